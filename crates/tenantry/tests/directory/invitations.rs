//! Invitations: the link in the outbox, expiry, resending, the welcome way in.

use chrono::Duration;
use tenantry::*;
use tenantry_credentials::{Password, RawToken};
use tenantry_lifecycle::Event;
use tenantry_lifecycle::{AccountState, WayIn};

use crate::support::*;

#[tokio::test]
async fn invitation_flow_through_the_outbox() {
    let w = world().await;
    let created = w
        .dir
        .create_user(
            Caller::User(w.admin),
            w.org,
            standard("bob@acme.example", WayIn::Invitation),
        )
        .await
        .unwrap();
    let messages = outbox(w.store.as_ref(), w.clock.now()).await;
    assert_eq!(messages.len(), 1);
    let invite = &messages[0];
    assert_eq!(
        (invite.to.as_str(), invite.kind.as_str()),
        ("bob@acme.example", "invitation")
    );
    assert!(invite.subject.contains("Acme Network"));
    let raw = token_from(invite, "invitation");
    // Not signed in before accepting.
    let pw = Password::new("purple monkey dishwasher");
    assert!(matches!(
        w.dir.sign_in("bob@acme.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    // A weak password is refused and the link stays usable.
    assert!(matches!(
        w.dir.accept_invitation(&raw, &Password::new("short")).await,
        Err(DirectoryError::Credential(_))
    ));
    assert!(matches!(
        w.dir
            .accept_invitation(&raw, &Password::new("bob loves acme network"))
            .await,
        Err(DirectoryError::Credential(_))
    ));
    assert_eq!(
        w.dir.accept_invitation(&raw, &pw).await.unwrap(),
        created.id
    );
    assert!(
        matches!(
            w.dir.accept_invitation(&raw, &pw).await,
            Err(DirectoryError::InvalidLink)
        ),
        "single use"
    );
    assert!(matches!(
        w.dir.accept_invitation(&RawToken::new("forged"), &pw).await,
        Err(DirectoryError::InvalidLink)
    ));
    assert_eq!(
        w.dir.sign_in("bob@acme.example", &pw).await.unwrap(),
        created.id
    );
    match w
        .store
        .get(&RecordKey::User(created.id))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::User(u) => assert_eq!(u.account.state(), AccountState::Active),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn expired_invitations_do_not_work() {
    let w = world().await;
    w.dir
        .create_user(
            Caller::System,
            w.org,
            standard("late@acme.example", WayIn::Invitation),
        )
        .await
        .unwrap();
    let raw = token_from(
        &outbox(w.store.as_ref(), w.clock.now()).await[0],
        "invitation",
    );
    w.clock.advance(Duration::days(7));
    assert!(matches!(
        w.dir
            .accept_invitation(&raw, &Password::new("purple monkey dishwasher"))
            .await,
        Err(DirectoryError::InvalidLink)
    ));
}

#[tokio::test]
async fn welcome_way_in_is_active_at_once_and_mails_a_set_password_link() {
    let w = world().await;
    let created = w
        .dir
        .create_user(
            Caller::System,
            w.org,
            standard("occupant@acme.example", WayIn::Welcome),
        )
        .await
        .unwrap();
    let messages = outbox(w.store.as_ref(), w.clock.now()).await;
    assert_eq!(messages[0].kind, "welcome");
    let raw = token_from(&messages[0], "invitation");
    let pw = Password::new("purple monkey dishwasher");
    assert_eq!(
        w.dir.accept_invitation(&raw, &pw).await.unwrap(),
        created.id
    );
    assert_eq!(
        w.dir.sign_in("occupant@acme.example", &pw).await.unwrap(),
        created.id
    );
}

#[tokio::test]
async fn invitation_later_and_resend_replaces_the_link() {
    let w = world().await;
    let bob = with_bob(&w, WayIn::None).await;
    assert!(
        outbox(w.store.as_ref(), w.clock.now()).await.is_empty(),
        "the partner portal: no invitation unless asked"
    );
    w.dir
        .change_account(Caller::User(w.admin), bob, Event::Invite)
        .await
        .unwrap();
    let first = token_from(
        &outbox(w.store.as_ref(), w.clock.now()).await[0],
        "invitation",
    );
    w.dir
        .change_account(Caller::User(w.admin), bob, Event::ResendInvitation)
        .await
        .unwrap();
    let messages = outbox(w.store.as_ref(), w.clock.now()).await;
    assert_eq!(messages.len(), 2);
    let second = messages
        .iter()
        .map(|m| token_from(m, "invitation"))
        .find(|t| *t != first)
        .unwrap();
    let pw = Password::new("purple monkey dishwasher");
    assert!(
        matches!(
            w.dir.accept_invitation(&first, &pw).await,
            Err(DirectoryError::InvalidLink)
        ),
        "the older link stops working"
    );
    assert_eq!(w.dir.accept_invitation(&second, &pw).await.unwrap(), bob);
}

//! The password's life: a password someone else set is replaced at the first sign-in; a
//! user changes theirs with the current one; every path that sets a password tells the
//! user's mailbox.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use tenantry::testing::{WorldBuilder, token_from};
use tenantry::*;
use tenantry_credentials::Password;
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

const SET_BY_ADMIN: &str = "purple monkey dishwasher";
const OWN: &str = "tangerine elephant carousel";

#[tokio::test]
async fn an_admin_set_password_is_replaced_at_first_sign_in() {
    let w = WorldBuilder::new().build().await.unwrap();
    let bob = w
        .active_user(w.org, "bob@acme.example", SET_BY_ADMIN)
        .await
        .unwrap();
    let set = Password::new(SET_BY_ADMIN);
    assert!(matches!(
        w.dir.sign_in("bob@acme.example", &set).await,
        Err(DirectoryError::PasswordChangeRequired)
    ));
    // A wrong password still says nothing more than for an unknown account.
    let wrong = Password::new("not the password at all");
    assert!(matches!(
        w.dir.sign_in("bob@acme.example", &wrong).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    let own = Password::new(OWN);
    for (current, new) in [(&wrong, &own), (&set, &set)] {
        assert!(
            w.dir
                .change_password("bob@acme.example", current, new)
                .await
                .is_err()
        );
    }
    assert!(matches!(
        w.dir
            .change_password("bob@acme.example", &set, &Password::new("short"))
            .await,
        Err(DirectoryError::Credential(_))
    ));
    assert_eq!(
        w.dir
            .change_password("bob@acme.example", &set, &own)
            .await
            .unwrap(),
        bob
    );
    assert_eq!(w.dir.sign_in("bob@acme.example", &own).await.unwrap(), bob);
    assert!(matches!(
        w.dir.sign_in("bob@acme.example", &set).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert!(
        w.last_to("bob@acme.example", "password_changed")
            .await
            .is_some()
    );
    // A user's own password is changed the same way, and never needs changing again.
    let newer = Password::new("another quite long passphrase");
    w.dir
        .change_password("bob@acme.example", &own, &newer)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("bob@acme.example", &newer).await.unwrap(),
        bob
    );
}

#[tokio::test]
async fn change_password_answers_unknown_and_wrong_alike_and_is_throttled() {
    let w = WorldBuilder::new().build().await.unwrap();
    let wrong = Password::new("not the password at all");
    let new = Password::new(OWN);
    for who in [
        "nobody@acme.example",
        "ada@acme.example",
        "not an identifier!",
    ] {
        assert!(matches!(
            w.dir.change_password(who, &wrong, &new).await,
            Err(DirectoryError::InvalidCredentials)
        ));
    }
    for _ in 0..5 {
        let _ = w
            .dir
            .change_password("ada@acme.example", &wrong, &new)
            .await;
    }
    let right = Password::new(tenantry::testing::ADMIN_PASSWORD);
    assert!(matches!(
        w.dir
            .change_password("ada@acme.example", &right, &new)
            .await,
        Err(DirectoryError::Throttled { .. })
    ));
}

#[tokio::test]
async fn every_path_that_sets_a_password_sends_a_notice() {
    let w = WorldBuilder::new().build().await.unwrap();
    let notices = |to: &'static str| {
        let w = &w;
        async move {
            w.outbox()
                .await
                .unwrap()
                .iter()
                .filter(|m| m.to == to && m.kind == "password_changed")
                .count()
        }
    };
    // An invitation accepted.
    w.invite("ivy@acme.example").await.unwrap();
    let invite = w.last_to("ivy@acme.example", "invitation").await.unwrap();
    w.dir
        .accept_invitation(
            &token_from(&invite, "invitation").unwrap(),
            &Password::new(OWN),
        )
        .await
        .unwrap();
    assert_eq!(notices("ivy@acme.example").await, 1, "invitation");
    // A one-time password redeemed.
    let otto = NewUser {
        way_in: WayIn::OneTimePassword,
        password: Some(Password::new("Otto-Start-2026-xyz")),
        ..NewUser::invited(Email::parse("otto@acme.example").unwrap())
    };
    w.dir.create_user(w.admin(), w.org, otto).await.unwrap();
    w.dir
        .redeem_one_time_password(
            "otto@acme.example",
            &Password::new("Otto-Start-2026-xyz"),
            &Password::new(OWN),
        )
        .await
        .unwrap();
    assert_eq!(notices("otto@acme.example").await, 1, "one-time password");
    // An activation link with a password chosen.
    let ana = NewUser {
        way_in: WayIn::Activation,
        ..NewUser::invited(Email::parse("ana@acme.example").unwrap())
    };
    w.dir.create_user(w.admin(), w.org, ana).await.unwrap();
    let link = w
        .last_to("ana@acme.example", "activation_link")
        .await
        .unwrap();
    w.dir
        .activate(
            &token_from(&link, "activation").unwrap(),
            Some(&Password::new(OWN)),
        )
        .await
        .unwrap();
    assert_eq!(notices("ana@acme.example").await, 1, "activation");
}

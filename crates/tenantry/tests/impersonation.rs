//! "Log in as" and the admin paths into an account: never towards a user who holds, in any
//! organization, something the admin does not; what is done while impersonating is audited
//! as the admin acting for the user.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use tenantry::testing::{World, WorldBuilder};
use tenantry::*;
use tenantry_identity::*;

/// Ada administers the root organization; Bob is a member there with the same role, and
/// also an admin of a client organization Ada has no grant in.
async fn scene() -> (World, OrgId, UserId) {
    let w = WorldBuilder::new().build().await.unwrap();
    let client = w
        .dir
        .create_organization(Caller::System, w.org, Name::parse("Client").unwrap())
        .await
        .unwrap();
    let bob = w
        .active_user(w.org, "bob@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    for org in [w.org, client] {
        w.grant_admin(bob, org).await.unwrap();
    }
    (w, client, bob)
}

#[tokio::test]
async fn no_admin_path_leads_into_an_account_holding_more_elsewhere() {
    let (w, _client, bob) = scene().await;
    // At home Bob holds exactly what Ada holds; in the client organization he holds more.
    let r = w.dir.impersonate(w.admin, bob, "support ticket 7").await;
    assert!(
        matches!(r, Err(DirectoryError::Denied(_))),
        "impersonate: {r:?}"
    );
    let r = w.dir.send_login_link(w.admin(), bob).await;
    assert!(
        matches!(r, Err(DirectoryError::Denied(_))),
        "login link: {r:?}"
    );
    let r = w.dir.reset_password_by_admin(w.admin(), bob).await;
    assert!(matches!(r, Err(DirectoryError::Denied(_))), "reset: {r:?}");
    // Changing Bob's email to one Ada reads, then asking a reset: the first step is refused.
    let r = w
        .dir
        .update_user(
            w.admin(),
            bob,
            UserUpdate {
                email: Some(Some(Email::parse("ada.second@acme.example").unwrap())),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(r, Err(DirectoryError::Denied(_))),
        "email change: {r:?}"
    );
    assert!(
        w.last_to("ada.second@acme.example", "password_reset")
            .await
            .is_none()
    );
    // Nor any other way in or out: an invitation link to his active account, a code, a new
    // external id (what single sign-on matches), blocking or deleting him.
    for (what, r) in [
        (
            "invite",
            w.dir
                .change_account(w.admin(), bob, tenantry_lifecycle::Event::Invite)
                .await
                .map(|_| ()),
        ),
        (
            "block",
            w.dir
                .change_account(w.admin(), bob, tenantry_lifecycle::Event::Block)
                .await
                .map(|_| ()),
        ),
        (
            "code",
            w.dir
                .send_activation_code(w.admin(), bob, tenantry_credentials::CodeChannel::Email)
                .await,
        ),
        (
            "external id",
            w.dir
                .update_user(
                    w.admin(),
                    bob,
                    UserUpdate {
                        external_id: Some(Some(ExternalId::parse("ada-controls-this").unwrap())),
                        ..Default::default()
                    },
                )
                .await
                .map(|_| ()),
        ),
    ] {
        assert!(matches!(r, Err(DirectoryError::Denied(_))), "{what}: {r:?}");
    }
    // An unknown id is refused like one the caller may not take over: no existence oracle.
    let nobody = UserId::generate(w.clock.now(), &mut rand::rng());
    let r = w.dir.impersonate(w.admin, nobody, "probing").await;
    assert!(
        matches!(r, Err(DirectoryError::Denied(_))),
        "unknown: {r:?}"
    );
    // The system (the host's own code) is not bound by it.
    w.dir.send_login_link(Caller::System, bob).await.unwrap();
}

#[tokio::test]
async fn actions_while_impersonating_name_the_admin_acting_for_the_user() {
    let (w, _client, _bob) = scene().await;
    let carl = w
        .active_user(w.org, "carl@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    assert_eq!(
        w.dir.impersonate(w.admin, carl, "preview").await.unwrap(),
        carl
    );
    let acting = Caller::Impersonating {
        admin: w.admin,
        user: carl,
    };
    // Carl's own permissions apply: he changes his own settings, administers nothing.
    let muted = NotificationSettings {
        muted: [Topic::Digest].into(),
        ..Default::default()
    };
    w.dir
        .set_notification_settings(acting, carl, muted)
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .create_location(acting, w.org, Name::parse("Hall").unwrap())
            .await,
        Err(DirectoryError::Denied(_))
    ));
    let events = w
        .store
        .audit(&AuditQuery {
            subject: Some(carl),
            ..Default::default()
        })
        .await
        .unwrap();
    let changed = events
        .iter()
        .find(|e| e.action == "notifications.changed")
        .unwrap();
    assert_eq!(changed.actor, Some(w.admin));
    assert_eq!(
        changed.detail.get("acting_for"),
        Some(&carl.to_string()),
        "{changed:?}"
    );
    // Once Ada is blocked, the impersonation acts for nobody.
    let ben = w
        .active_user(w.org, "ben@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    w.grant_admin(ben, w.org).await.unwrap();
    w.dir
        .change_account(Caller::User(ben), w.admin, tenantry_lifecycle::Event::Block)
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .set_notification_settings(acting, carl, NotificationSettings::default())
            .await,
        Err(DirectoryError::CallerMayNotAct)
    ));
}

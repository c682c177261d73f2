//! Account states, grants through the guard, and the last-admin rule.

use std::sync::Arc;

use chrono::Duration;
use tenantry::*;
use tenantry_access::{Change, GrantRef, Scope};
use tenantry_credentials::Password;
use tenantry_lifecycle::Event;
use tenantry_lifecycle::{AccountState, WayIn};

use crate::support::*;

#[tokio::test]
async fn deactivate_block_and_the_last_admin() {
    let w = world().await;
    let bob = with_bob(&w, WayIn::Password).await;
    let pw = Password::new("purple monkey dishwasher");
    let change = w
        .dir
        .change_account(Caller::User(w.admin), bob, Event::Deactivate)
        .await
        .unwrap();
    assert_eq!(
        change,
        AccountChange {
            state: AccountState::Inactive,
            end_sessions: true
        }
    );
    assert!(matches!(
        w.dir.sign_in("bob@acme.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    w.dir
        .change_account(Caller::User(w.admin), bob, Event::Reactivate)
        .await
        .unwrap();
    let pw = replace_admin_set_password(&w, "bob@acme.example", &pw).await;
    assert_eq!(w.dir.sign_in("bob@acme.example", &pw).await.unwrap(), bob);
    w.dir
        .change_account(Caller::User(w.admin), bob, Event::Block)
        .await
        .unwrap();
    // Bob administers nothing, and blocked he acts for nobody; the system never unblocks
    // (only staff do).
    assert!(matches!(
        w.dir
            .change_account(Caller::User(bob), bob, Event::Unblock)
            .await,
        Err(DirectoryError::CallerMayNotAct)
    ));
    assert!(matches!(
        w.dir
            .change_account(Caller::System, bob, Event::Unblock)
            .await,
        Err(DirectoryError::Lifecycle(_))
    ));
    assert_eq!(
        w.dir
            .change_account(Caller::User(w.admin), bob, Event::Unblock)
            .await
            .unwrap()
            .state,
        AccountState::Active
    );
    // Ada is the only admin: she cannot be deactivated, blocked or deleted.
    for event in [Event::Deactivate, Event::Block, Event::Delete] {
        let r = w
            .dir
            .change_account(Caller::User(w.admin), w.admin, event)
            .await;
        assert!(
            matches!(
                r,
                Err(DirectoryError::Refused(
                    tenantry_access::Refusal::LastAdmin { .. }
                ))
            ),
            "{event:?}: {r:?}"
        );
    }
    // Deleting Bob frees his email.
    w.dir
        .change_account(Caller::User(w.admin), bob, Event::Delete)
        .await
        .unwrap();
    assert!(w.store.get(&RecordKey::User(bob)).await.unwrap().is_none());
    w.dir
        .create_user(
            Caller::User(w.admin),
            w.org,
            standard("bob@acme.example", WayIn::None),
        )
        .await
        .unwrap();
    let audit = w
        .store
        .audit(&AuditQuery {
            subject: Some(bob),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "account.delete" && e.actor == Some(w.admin))
    );
}

#[tokio::test]
async fn grants_go_through_the_guard() {
    let w = world().await;
    let bob = with_bob(&w, WayIn::Password).await;
    let bob_grant = GrantRef {
        user: bob,
        org: w.org,
        scope: Scope::Organization,
    };
    let ada_grant = GrantRef {
        user: w.admin,
        org: w.org,
        scope: Scope::Organization,
    };
    // Bob cannot make himself an admin.
    let r = w
        .dir
        .change_grant(Caller::User(bob), bob_grant, Change::Grant(admin_role()))
        .await;
    assert!(
        matches!(
            r,
            Err(DirectoryError::Refused(
                tenantry_access::Refusal::NotAdministrator { .. }
            ))
        ),
        "{r:?}"
    );
    // Ada can; the org's version moves because its admins changed.
    let before = w
        .store
        .get(&RecordKey::Org(w.org))
        .await
        .unwrap()
        .unwrap()
        .version;
    let plan = w
        .dir
        .change_grant(
            Caller::User(w.admin),
            bob_grant,
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    assert_eq!(plan.admin_orgs, vec![w.org]);
    assert_eq!(
        w.store
            .get(&RecordKey::Org(w.org))
            .await
            .unwrap()
            .unwrap()
            .version,
        before + 1
    );
    // Nobody removes their own admin permission.
    let revoke = || Change::Revoke {
        what: admin_role(),
        cascade: true,
    };
    assert!(matches!(
        w.dir
            .change_grant(Caller::User(w.admin), ada_grant, revoke())
            .await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::SelfDemotion
        ))
    ));
    // Bob demotes Ada; then Bob is the last admin and cannot be demoted by the system.
    w.dir
        .change_grant(Caller::User(bob), ada_grant, revoke())
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .create_user(
                Caller::User(w.admin),
                w.org,
                standard("x@acme.example", WayIn::None)
            )
            .await,
        Err(DirectoryError::Denied(_))
    ));
    let r = w
        .dir
        .change_grant(Caller::System, bob_grant, revoke())
        .await;
    assert!(
        matches!(
            r,
            Err(DirectoryError::Refused(
                tenantry_access::Refusal::LastAdmin { .. }
            ))
        ),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    for _ in 0..20 {
        let w = Arc::new(world().await);
        let bob = with_bob(&w, WayIn::Password).await;
        let bob_grant = GrantRef {
            user: bob,
            org: w.org,
            scope: Scope::Organization,
        };
        let ada_grant = GrantRef {
            user: w.admin,
            org: w.org,
            scope: Scope::Organization,
        };
        w.dir
            .change_grant(
                Caller::User(w.admin),
                bob_grant,
                Change::Grant(admin_role()),
            )
            .await
            .unwrap();
        let revoke = Change::Revoke {
            what: admin_role(),
            cascade: true,
        };
        let (w1, w2) = (w.clone(), w.clone());
        let (r1, r2) = (revoke.clone(), revoke);
        let a = tokio::spawn(async move {
            w1.dir
                .change_grant(Caller::User(w1.admin), bob_grant, r1)
                .await
        });
        let b = tokio::spawn(
            async move { w2.dir.change_grant(Caller::User(bob), ada_grant, r2).await },
        );
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert!(
            a.is_ok() != b.is_ok(),
            "exactly one demotion wins: {a:?} / {b:?}"
        );
        let grants = w.store.list(&ListOf::GrantsAt(w.org)).await.unwrap();
        assert_eq!(grants.len(), 1, "one admin grant is left");
    }
}

#[tokio::test]
async fn forgot_password_and_admin_reset() {
    let w = world().await;
    let bob = with_bob(&w, WayIn::Password).await;
    // Unknown identifiers get the same answer and produce nothing.
    w.dir
        .request_password_reset("nobody@acme.example")
        .await
        .unwrap();
    w.dir
        .request_password_reset("not an identifier!")
        .await
        .unwrap();
    assert!(outbox(w.store.as_ref(), w.clock.now()).await.is_empty());
    w.dir
        .request_password_reset("BOB@acme.example")
        .await
        .unwrap();
    let first = token_from(
        &outbox(w.store.as_ref(), w.clock.now()).await[0],
        "password-reset",
    );
    // The admin triggers another: the older link stops working.
    w.dir
        .reset_password_by_admin(Caller::User(w.admin), bob)
        .await
        .unwrap();
    let messages = outbox(w.store.as_ref(), w.clock.now()).await;
    let second = messages
        .iter()
        .map(|m| token_from(m, "password-reset"))
        .find(|t| *t != first)
        .unwrap();
    let new = Password::new("a brand new long passphrase");
    assert!(matches!(
        w.dir.reset_password(&first, &new).await,
        Err(DirectoryError::InvalidLink)
    ));
    // Links last one hour.
    w.clock.advance(Duration::minutes(59));
    assert_eq!(w.dir.reset_password(&second, &new).await.unwrap(), bob);
    assert!(matches!(
        w.dir.reset_password(&second, &new).await,
        Err(DirectoryError::InvalidLink)
    ));
    assert_eq!(w.dir.sign_in("bob@acme.example", &new).await.unwrap(), bob);
    let kinds: Vec<String> = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert!(kinds.contains(&"password_changed".to_owned()), "{kinds:?}");
    // Bob is no admin.
    assert!(matches!(
        w.dir
            .reset_password_by_admin(Caller::User(bob), w.admin)
            .await,
        Err(DirectoryError::Denied(_))
    ));
    w.dir
        .request_password_reset("bob@acme.example")
        .await
        .unwrap();
    let late = outbox(w.store.as_ref(), w.clock.now())
        .await
        .into_iter()
        .rfind(|m| m.kind == "password_reset")
        .unwrap();
    w.clock.advance(Duration::hours(1));
    assert!(matches!(
        w.dir
            .reset_password(&token_from(&late, "password-reset"), &new)
            .await,
        Err(DirectoryError::InvalidLink)
    ));
}

/// Found by the model-based test: blocked (or inactive) admins still counted as admins, so
/// an organization could be left with no admin who can act.
#[tokio::test]
async fn blocked_admins_do_not_count_as_the_organization_keeping_one() {
    let w = world().await;
    let admin = Caller::User(w.admin);
    let mut dan = standard("dan@acme.example", WayIn::Password);
    dan.password = Some(Password::new("purple monkey dishwasher"));
    let dan = w.dir.create_user(admin, w.org, dan).await.unwrap().id;
    let dan_at = tenantry_access::GrantRef {
        user: dan,
        org: w.org,
        scope: tenantry_access::Scope::Organization,
    };
    w.dir
        .change_grant(admin, dan_at, tenantry_access::Change::Grant(admin_role()))
        .await
        .unwrap();
    // Two admins: blocking one is fine...
    w.dir
        .change_account(admin, dan, tenantry_lifecycle::Event::Block)
        .await
        .unwrap();
    // ...but then Ada is the last one who counts: Dan may not demote her (he is blocked
    // anyway), the system may not either, nor deactivate her.
    let ada_at = tenantry_access::GrantRef {
        user: w.admin,
        org: w.org,
        scope: tenantry_access::Scope::Organization,
    };
    let demote = tenantry_access::Change::Revoke {
        what: admin_role(),
        cascade: true,
    };
    assert!(matches!(
        w.dir.change_grant(Caller::System, ada_at, demote).await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::LastAdmin { .. }
        ))
    ));
    let blocked = w
        .dir
        .change_account(
            Caller::System,
            w.admin,
            tenantry_lifecycle::Event::Deactivate,
        )
        .await;
    assert!(
        matches!(
            blocked,
            Err(DirectoryError::Refused(
                tenantry_access::Refusal::LastAdmin { .. }
            ))
        ),
        "{blocked:?}"
    );
    // Unblocked, Dan counts again, and Ada may go.
    w.dir
        .change_account(admin, dan, tenantry_lifecycle::Event::Unblock)
        .await
        .unwrap();
    w.dir
        .change_account(
            Caller::System,
            w.admin,
            tenantry_lifecycle::Event::Deactivate,
        )
        .await
        .unwrap();
}

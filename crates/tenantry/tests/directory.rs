//! The Directory's first use cases on MemoryStore: bootstrap, users of every kind,
//! invitations accepted through the link in the outbox, sign-in with throttling.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use tenantry::*;
use tenantry_access::{Area, Catalog, CatalogBuilder, Grantables, RoleKey};
use tenantry_credentials::{HashParams, LinkBuilder, Password, PinKey, RawToken};
use tenantry_identity::*;
use tenantry_lifecycle::{AccountState, WayIn};

fn catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    b.permission("org.admin", Area::Admin, "administer", &[])
        .unwrap();
    b.permission("feed.read", Area::Network, "read", &[])
        .unwrap();
    b.role("admin", "Admin", &["org.admin", "feed.read"])
        .unwrap();
    b.admin_permission("org.admin");
    b.build().unwrap()
}

struct World {
    dir: Directory,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    org: OrgId,
    admin: UserId,
}

async fn world() -> World {
    world_with(catalog()).await
}

async fn enable_pin_users(w: &World) {
    let v = w.store.get(&RecordKey::Org(w.org)).await.unwrap().unwrap();
    let Record::Org(mut org) = v.value else {
        panic!()
    };
    org.org.settings.pin_users = Some(PinUserSettings {
        domain: EmailDomain::parse("pins.acme.example").unwrap(),
    });
    let mut cs = Changeset::new();
    cs.update(Record::Org(org), v.version);
    w.store.commit(cs).await.unwrap();
}

fn pin_user(first: &str, last: &str, external_id: &str) -> NewUser {
    NewUser {
        kind: UserKind::Pin,
        profile: Profile {
            first_name: Some(NamePart::parse(first).unwrap()),
            last_name: Some(NamePart::parse(last).unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            external_id: Some(ExternalId::parse(external_id).unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Pin,
        password: None,
    }
}

fn standard(email: &str, way_in: WayIn) -> NewUser {
    NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            first_name: Some(NamePart::parse("Bob").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(email).unwrap()),
            ..Default::default()
        },
        way_in,
        password: None,
    }
}

async fn outbox(store: &MemoryStore, now: chrono::DateTime<Utc>) -> Vec<OutboxMessage> {
    store
        .pending_outbox(now + Duration::days(1), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.value)
        .collect()
}

/// The first sign-in with a password an admin set: refused until the user replaces it with
/// their own, which is returned.
async fn replace_admin_set_password(w: &World, identifier: &str, set: &Password) -> Password {
    assert!(matches!(
        w.dir.sign_in(identifier, set).await,
        Err(DirectoryError::PasswordChangeRequired)
    ));
    let own = Password::new("tangerine elephant carousel");
    w.dir.change_password(identifier, set, &own).await.unwrap();
    own
}

fn token_from(message: &OutboxMessage, purpose: &str) -> RawToken {
    let marker = format!("https://app.example/{purpose}/");
    let start = message.text.find(&marker).unwrap() + marker.len();
    let raw: String = message.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    RawToken::new(raw)
}

#[tokio::test]
async fn bootstrap_then_sign_in_case_insensitively() {
    let w = world().await;
    let pw = Password::new("correct horse battery staple");
    assert_eq!(
        w.dir.sign_in("ADA@Acme.example", &pw).await.unwrap(),
        w.admin
    );
    let audit = w
        .store
        .audit(&AuditQuery {
            org: Some(w.org),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.signed_in", "user.created", "org.created"]);
    match w
        .store
        .get(&RecordKey::Org(w.org))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(o.org.contact_person, Some(w.admin)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sign_in_answers_the_same_for_unknown_and_wrong_and_throttles() {
    let w = world().await;
    let wrong = Password::new("not the password at all");
    for who in [
        "ada@acme.example",
        "nobody@acme.example",
        "not an identifier!",
    ] {
        assert!(
            matches!(
                w.dir.sign_in(who, &wrong).await,
                Err(DirectoryError::InvalidCredentials)
            ),
            "{who}"
        );
    }
    for _ in 0..5 {
        assert!(matches!(
            w.dir.sign_in("ada@acme.example", &wrong).await,
            Err(DirectoryError::InvalidCredentials)
        ));
    }
    // Six failures: the next attempt must wait, even with the right password.
    let right = Password::new("correct horse battery staple");
    assert!(matches!(
        w.dir.sign_in("ada@acme.example", &right).await,
        Err(DirectoryError::Throttled { .. })
    ));
    w.clock.advance(Duration::seconds(2));
    assert_eq!(
        w.dir.sign_in("ada@acme.example", &right).await.unwrap(),
        w.admin
    );
}

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
    let messages = outbox(&w.store, w.clock.now()).await;
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
    let raw = token_from(&outbox(&w.store, w.clock.now()).await[0], "invitation");
    w.clock.advance(Duration::days(7));
    assert!(matches!(
        w.dir
            .accept_invitation(&raw, &Password::new("purple monkey dishwasher"))
            .await,
        Err(DirectoryError::InvalidLink)
    ));
}

#[tokio::test]
async fn only_admins_create_users_and_identifiers_are_unique() {
    let w = world().await;
    let mut bob = standard("bob@acme.example", WayIn::Password);
    bob.password = Some(Password::new("purple monkey dishwasher"));
    let bob = w
        .dir
        .create_user(Caller::User(w.admin), w.org, bob)
        .await
        .unwrap();
    // Bob holds no grant: he may not create users.
    let denied = w
        .dir
        .create_user(
            Caller::User(bob.id),
            w.org,
            standard("eve@acme.example", WayIn::None),
        )
        .await;
    assert!(
        matches!(denied, Err(DirectoryError::Denied(_))),
        "{denied:?}"
    );
    let dup = w
        .dir
        .create_user(
            Caller::System,
            w.org,
            standard("BOB@acme.example", WayIn::None),
        )
        .await;
    assert!(
        matches!(dup, Err(DirectoryError::IdentifierTaken)),
        "{dup:?}"
    );
    assert!(
        outbox(&w.store, w.clock.now()).await.is_empty(),
        "a password way in sends nothing"
    );
}

#[tokio::test]
async fn pin_users_and_consumers_need_their_settings() {
    let w = world().await;
    let pin_user = pin_user("Jürgen", "Weiß", "EMP-1");
    assert!(matches!(
        w.dir
            .create_user(Caller::System, w.org, pin_user.clone())
            .await,
        Err(DirectoryError::Model(ModelError::PinUsersDisabled(_)))
    ));
    // Enable PIN users with a domain.
    enable_pin_users(&w).await;
    let first = w
        .dir
        .create_user(Caller::System, w.org, pin_user.clone())
        .await
        .unwrap();
    assert_eq!(
        first.placeholder_email.unwrap().as_str(),
        "juergen.weiss@pins.acme.example"
    );
    assert_eq!(first.pin.as_ref().unwrap().expose().len(), 8);
    let mut second = pin_user;
    second.identifiers.external_id = Some(ExternalId::parse("EMP-2").unwrap());
    let second = w
        .dir
        .create_user(Caller::System, w.org, second)
        .await
        .unwrap();
    assert_eq!(
        second.placeholder_email.unwrap().as_str(),
        "juergen.weiss2@pins.acme.example"
    );
    assert!(
        outbox(&w.store, w.clock.now()).await.is_empty(),
        "PIN users get no mail"
    );
    // Consumers are disabled by default.
    let consumer = NewUser {
        kind: UserKind::Consumer,
        ..standard("c@acme.example", WayIn::None)
    };
    assert!(matches!(
        w.dir.create_user(Caller::System, w.org, consumer).await,
        Err(DirectoryError::Model(ModelError::ConsumersDisabled(_)))
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
    let messages = outbox(&w.store, w.clock.now()).await;
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

use tenantry_access::{Change, GrantRef, Scope};
use tenantry_lifecycle::Event;

async fn with_bob(w: &World, way_in: WayIn) -> UserId {
    let mut bob = standard("bob@acme.example", way_in);
    if way_in == WayIn::Password {
        bob.password = Some(Password::new("purple monkey dishwasher"));
    }
    w.dir
        .create_user(Caller::User(w.admin), w.org, bob)
        .await
        .unwrap()
        .id
}

fn admin_role() -> Grantables {
    Grantables {
        roles: [RoleKey::new("admin").unwrap()].into(),
        ..Grantables::new()
    }
}

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
async fn invitation_later_and_resend_replaces_the_link() {
    let w = world().await;
    let bob = with_bob(&w, WayIn::None).await;
    assert!(
        outbox(&w.store, w.clock.now()).await.is_empty(),
        "seed 002: no invitation unless asked"
    );
    w.dir
        .change_account(Caller::User(w.admin), bob, Event::Invite)
        .await
        .unwrap();
    let first = token_from(&outbox(&w.store, w.clock.now()).await[0], "invitation");
    w.dir
        .change_account(Caller::User(w.admin), bob, Event::ResendInvitation)
        .await
        .unwrap();
    let messages = outbox(&w.store, w.clock.now()).await;
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
    assert!(outbox(&w.store, w.clock.now()).await.is_empty());
    w.dir
        .request_password_reset("BOB@acme.example")
        .await
        .unwrap();
    let first = token_from(&outbox(&w.store, w.clock.now()).await[0], "password-reset");
    // The admin triggers another: the older link stops working.
    w.dir
        .reset_password_by_admin(Caller::User(w.admin), bob)
        .await
        .unwrap();
    let messages = outbox(&w.store, w.clock.now()).await;
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
    let kinds: Vec<String> = outbox(&w.store, w.clock.now())
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
    let late = outbox(&w.store, w.clock.now())
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

#[tokio::test]
async fn seed_000_pin_flow() {
    let w = world().await;
    enable_pin_users(&w).await;
    let pin_user = pin_user("Max", "Muster", "4711");
    let created = w
        .dir
        .create_user(Caller::User(w.admin), w.org, pin_user)
        .await
        .unwrap();
    let address = created.placeholder_email.unwrap();
    let pin = created.pin.unwrap();
    let pw = Password::new("forklift driver on shift two");
    // Wrong PIN, unknown address: one answer.
    assert!(matches!(
        w.dir
            .set_password_with_pin(address.as_str(), "00000000", &pw)
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert!(matches!(
        w.dir
            .set_password_with_pin("ghost@pins.acme.example", pin.expose(), &pw)
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert_eq!(
        w.dir
            .set_password_with_pin(address.as_str(), pin.expose(), &pw)
            .await
            .unwrap(),
        created.id
    );
    assert_eq!(
        w.dir.sign_in(address.as_str(), &pw).await.unwrap(),
        created.id
    );
    // The PIN stays valid: it resets the password again.
    let pw2 = Password::new("forklift driver on shift three");
    w.dir
        .set_password_with_pin(address.as_str(), pin.expose(), &pw2)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in(address.as_str(), &pw2).await.unwrap(),
        created.id
    );
    // Ten wrong PINs lock it, even against the right one, until an admin resets it.
    for _ in 0..10 {
        let _ = w
            .dir
            .set_password_with_pin(address.as_str(), "11112222", &pw)
            .await;
    }
    assert!(matches!(
        w.dir
            .set_password_with_pin(address.as_str(), pin.expose(), &pw)
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    let new_pin = w
        .dir
        .reset_pin(Caller::User(w.admin), created.id)
        .await
        .unwrap();
    assert!(
        matches!(
            w.dir
                .set_password_with_pin(address.as_str(), pin.expose(), &pw)
                .await,
            Err(DirectoryError::InvalidCredentials)
        ),
        "the old PIN is gone"
    );
    assert_eq!(
        w.dir
            .set_password_with_pin(address.as_str(), new_pin.expose(), &pw)
            .await
            .unwrap(),
        created.id
    );
    assert!(
        outbox(&w.store, w.clock.now()).await.is_empty(),
        "PIN users never get mail"
    );
}

#[tokio::test]
async fn seed_002_partner_customers_and_customer_manager() {
    let w = world().await;
    let partner = w.org;
    let acme = w
        .dir
        .create_organization(
            Caller::User(w.admin),
            partner,
            Name::parse("Acme Ltd").unwrap(),
        )
        .await
        .unwrap();
    // Entitlements: narrowed by the partner's admin, never beyond the partner's own.
    let admin_only: std::collections::BTreeSet<_> =
        [tenantry_access::PermissionKey::new("org.admin").unwrap()].into();
    w.dir
        .set_entitlements(Caller::User(w.admin), acme, admin_only.clone())
        .await
        .unwrap();
    let r = w
        .dir
        .set_entitlements(Caller::User(w.admin), partner, admin_only.clone())
        .await;
    assert!(
        matches!(r, Err(DirectoryError::Denied(_))),
        "only the system sets a root's entitlements: {r:?}"
    );
    // Carl, a partner employee, becomes customer manager: admin in every customer, not at home.
    let mut carl = standard("carl@partner.example", WayIn::Password);
    carl.password = Some(Password::new("purple monkey dishwasher"));
    let carl = w
        .dir
        .create_user(Caller::User(w.admin), partner, carl)
        .await
        .unwrap()
        .id;
    let manager = GrantRef {
        user: carl,
        org: partner,
        scope: Scope::Children,
    };
    w.dir
        .change_grant(Caller::User(w.admin), manager, Change::Grant(admin_role()))
        .await
        .unwrap();
    let ann = w
        .dir
        .create_user(
            Caller::User(carl),
            acme,
            standard("ann@acme-ltd.example", WayIn::Invitation),
        )
        .await
        .unwrap()
        .id;
    let denied = w
        .dir
        .create_user(
            Caller::User(carl),
            partner,
            standard("x@partner.example", WayIn::None),
        )
        .await;
    assert!(
        matches!(denied, Err(DirectoryError::Denied(_))),
        "{denied:?}"
    );
    // The first admin of Acme, granted by the customer manager; the role's feed.read is not
    // within Acme's entitlements and is refused.
    let ann_grant = GrantRef {
        user: ann,
        org: acme,
        scope: Scope::Organization,
    };
    let r = w
        .dir
        .change_grant(Caller::User(carl), ann_grant, Change::Grant(admin_role()))
        .await;
    assert!(
        matches!(
            r,
            Err(DirectoryError::Refused(
                tenantry_access::Refusal::NotEntitled { .. }
            ))
        ),
        "{r:?}"
    );
    let admin_perm = Grantables {
        permissions: admin_only,
        ..Grantables::new()
    };
    w.dir
        .change_grant(Caller::User(carl), ann_grant, Change::Grant(admin_perm))
        .await
        .unwrap();
    w.dir
        .set_contact_person(Caller::User(carl), acme, ann)
        .await
        .unwrap();
    match w
        .store
        .get(&RecordKey::Org(acme))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(
            (o.org.parent, o.org.contact_person),
            (Some(partner), Some(ann))
        ),
        other => panic!("{other:?}"),
    }
    // A contact person must be a member.
    assert!(matches!(
        w.dir
            .set_contact_person(Caller::User(w.admin), partner, ann)
            .await,
        Err(DirectoryError::Model(_))
    ));
}

#[tokio::test]
async fn seed_004_groups_bulk_membership_and_archive() {
    let w = world().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            w.dir
                .create_user(
                    Caller::User(w.admin),
                    w.org,
                    standard(&format!("o{i}@acme.example"), WayIn::None),
                )
                .await
                .unwrap()
                .id,
        );
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(4);
    let group = Group::new(
        GroupId::generate(w.clock.now(), &mut rng),
        w.org,
        Name::parse("Acme Co.").unwrap(),
        w.clock.now(),
    );
    let gid = w
        .dir
        .create_group(Caller::User(w.admin), group)
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &ids, &[])
            .await
            .unwrap(),
        (5, 0)
    );
    assert_eq!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &ids[..2], &ids[3..])
            .await
            .unwrap(),
        (0, 2)
    );
    assert_eq!(
        w.store.list(&ListOf::MembersOf(gid)).await.unwrap().len(),
        3
    );
    // Members are no admins (and these, invited and not yet active, act for nobody).
    assert!(matches!(
        w.dir
            .change_members(Caller::User(ids[0]), gid, &ids[3..], &[])
            .await,
        Err(DirectoryError::CallerMayNotAct)
    ));
    w.dir
        .update_group(Caller::User(w.admin), gid, |g| {
            g.archived = true;
            g.members_share_requests = true;
        })
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &ids[3..4], &[])
            .await,
        Err(DirectoryError::Model(ModelError::ArchivedGroup(_)))
    ));
    assert_eq!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &[], &ids[..1])
            .await
            .unwrap(),
        (0, 1),
        "removing still works"
    );
    // Users of another organization cannot join.
    let other = w
        .dir
        .create_organization(
            Caller::User(w.admin),
            w.org,
            Name::parse("Elsewhere").unwrap(),
        )
        .await
        .unwrap();
    // Ada's grant has organization scope: she does not administer the child.
    let denied = w
        .dir
        .create_user(
            Caller::User(w.admin),
            other,
            standard("s@else.example", WayIn::None),
        )
        .await;
    assert!(matches!(denied, Err(DirectoryError::Denied(_))));
    let stranger = w
        .dir
        .create_user(
            Caller::System,
            other,
            standard("s@else.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
    w.dir
        .update_group(Caller::User(w.admin), gid, |g| g.archived = false)
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .change_members(Caller::User(w.admin), gid, &[stranger], &[])
            .await,
        Err(DirectoryError::Denied(_))
    ));
}

async fn configure(
    w: &World,
    f: impl FnOnce(&mut OrgSettings, &mut tenantry_lifecycle::LifecyclePolicy),
) {
    configure_org(w, Caller::User(w.admin), w.org, f).await;
}

async fn configure_org(
    w: &World,
    by: Caller,
    at: OrgId,
    f: impl FnOnce(&mut OrgSettings, &mut tenantry_lifecycle::LifecyclePolicy),
) {
    let Record::Org(mut org) = w
        .store
        .get(&RecordKey::Org(at))
        .await
        .unwrap()
        .unwrap()
        .value
    else {
        panic!()
    };
    f(&mut org.org.settings, &mut org.lifecycle);
    w.dir
        .configure_organization(by, at, org.org.settings, org.lifecycle)
        .await
        .unwrap();
}

fn form(w: &World, email: &str) -> SignUpForm {
    SignUpForm {
        org: w.org,
        as_guest: false,
        profile: Profile {
            first_name: Some(NamePart::parse("Sam").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(email).unwrap()),
            ..Default::default()
        },
        password: Password::new("purple monkey dishwasher"),
        chosen_department: None,
        link: None,
    }
}

#[tokio::test]
async fn seed_004_self_sign_up_with_approval() {
    let w = world().await;
    // Off by default.
    assert!(matches!(
        w.dir.sign_up(form(&w, "sam@acme.example")).await,
        Err(DirectoryError::Lifecycle(_))
    ));
    configure(&w, |_, l| {
        l.sign_up.enabled = true;
        l.sign_up.needs_approval = true;
        l.sign_up.defaults.permission_type = Some("admin".into());
    })
    .await;
    w.dir.sign_up(form(&w, "sam@acme.example")).await.unwrap();
    let messages = outbox(&w.store, w.clock.now()).await;
    let kinds: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m.kind.as_str(), m.to.as_str()))
        .collect();
    assert!(
        kinds.contains(&("activation_link", "sam@acme.example")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("sign_up_pending_approval", "ada@acme.example")),
        "{kinds:?}"
    );
    let sam = w
        .store
        .user_by_login(&LoginKey::Email("sam@acme.example".into()))
        .await
        .unwrap()
        .unwrap()
        .value
        .user
        .id();
    let pw = Password::new("purple monkey dishwasher");
    // Activated but pending: may not sign in until approved.
    let link = messages
        .iter()
        .find(|m| m.kind == "activation_link")
        .unwrap();
    assert_eq!(
        w.dir
            .activate(&token_from(link, "activation"), None)
            .await
            .unwrap(),
        sam
    );
    assert!(matches!(
        w.dir.sign_in("sam@acme.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    w.dir
        .change_account(Caller::User(w.admin), sam, Event::Approve)
        .await
        .unwrap();
    assert_eq!(w.dir.sign_in("sam@acme.example", &pw).await.unwrap(), sam);
    // Signing up again with the same email: the same answer, no second account.
    w.dir.sign_up(form(&w, "SAM@acme.example")).await.unwrap();
    assert_eq!(
        w.store
            .users(&UserQuery {
                org: Some(w.org),
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

#[tokio::test]
async fn seed_000_consumers_get_digests_with_their_registration_link() {
    let w = world().await;
    configure(&w, |s, _| s.consumers_enabled = true).await;
    let carla = NewUser {
        kind: UserKind::Consumer,
        ..standard("carla@crm.example", WayIn::None)
    };
    let carla = w
        .dir
        .create_user(Caller::System, w.org, carla)
        .await
        .unwrap()
        .id;
    assert!(
        w.dir
            .send_digest(Caller::System, carla, vec!["A new post in News".into()])
            .await
            .unwrap()
    );
    let first = outbox(&w.store, w.clock.now()).await;
    let old_link = token_from(&first[0], "registration");
    assert!(first[0].text.contains("A new post in News"));
    // Every digest carries a fresh link; the older stops working.
    w.dir
        .send_digest(Caller::System, carla, vec!["An event tomorrow".into()])
        .await
        .unwrap();
    let newest = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .map(|m| token_from(&m, "registration"))
        .find(|t| *t != old_link)
        .unwrap();
    let pw = Password::new("purple monkey dishwasher");
    assert!(matches!(
        w.dir.register_consumer(&old_link, &pw).await,
        Err(DirectoryError::InvalidLink)
    ));
    assert_eq!(w.dir.register_consumer(&newest, &pw).await.unwrap(), carla);
    assert_eq!(
        w.dir.sign_in("carla@crm.example", &pw).await.unwrap(),
        carla
    );
    match w
        .store
        .get(&RecordKey::User(carla))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::User(u) => assert_eq!(u.user.kind(), UserKind::Standard),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn seed_003_sso_just_in_time() {
    let w = world().await;
    let ids = |e: &str| LoginIdentifiers {
        email: Some(Email::parse(e).unwrap()),
        ..Default::default()
    };
    // Not provisioned and JIT off: refused.
    assert!(matches!(
        w.dir
            .sso_login(SsoLogin::new(w.org, ids("new@acme.example")))
            .await,
        Err(DirectoryError::SsoRefused)
    ));
    configure(&w, |_, l| l.sso_just_in_time = true).await;
    let id = w
        .dir
        .sso_login(SsoLogin::new(w.org, ids("new@acme.example")))
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .sso_login(SsoLogin::new(w.org, ids("NEW@acme.example")))
            .await
            .unwrap(),
        id,
        "the second login finds the same user"
    );
    // An invited user is activated by their first SSO login.
    let bob = with_bob(&w, WayIn::Invitation).await;
    assert_eq!(
        w.dir
            .sso_login(SsoLogin::new(w.org, ids("bob@acme.example")))
            .await
            .unwrap(),
        bob
    );
    match w
        .store
        .get(&RecordKey::User(bob))
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
async fn seed_001_log_in_as_and_login_links() {
    let w = world().await;
    let bob = with_bob(&w, WayIn::Password).await;
    // Ada previews Bob's view; it is audited with her reason.
    assert_eq!(
        w.dir
            .impersonate(w.admin, bob, "checking his dashboard before inviting")
            .await
            .unwrap(),
        bob
    );
    let audit = w
        .store
        .audit(&AuditQuery {
            subject: Some(bob),
            ..Default::default()
        })
        .await
        .unwrap();
    let e = audit
        .iter()
        .find(|e| e.action == "user.impersonated")
        .unwrap();
    assert_eq!(e.actor, Some(w.admin));
    assert_eq!(
        e.detail.get("reason").map(String::as_str),
        Some("checking his dashboard before inviting")
    );
    assert!(
        matches!(
            w.dir.impersonate(w.admin, bob, "  ").await,
            Err(DirectoryError::Denied(_))
        ),
        "a reason is required"
    );
    // Bob may not impersonate Ada (no admin), and once Bob is an admin with less than Ada,
    // he still cannot look through her eyes.
    assert!(matches!(
        w.dir.impersonate(bob, w.admin, "curious").await,
        Err(DirectoryError::Denied(_))
    ));
    let only_admin = Grantables {
        permissions: [tenantry_access::PermissionKey::new("org.admin").unwrap()].into(),
        ..Grantables::new()
    };
    w.dir
        .change_grant(
            Caller::User(w.admin),
            GrantRef {
                user: bob,
                org: w.org,
                scope: Scope::Organization,
            },
            Change::Grant(only_admin),
        )
        .await
        .unwrap();
    assert!(
        matches!(
            w.dir.impersonate(bob, w.admin, "curious").await,
            Err(DirectoryError::Denied(_))
        ),
        "Ada also holds feed.read"
    );
    // An automatic-login link works once, within 15 minutes.
    w.dir
        .send_login_link(Caller::User(w.admin), bob)
        .await
        .unwrap();
    let link = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.kind == "auto_login")
        .unwrap();
    let raw = token_from(&link, "auto-login");
    w.clock.advance(Duration::minutes(14));
    assert_eq!(w.dir.redeem_login_link(&raw).await.unwrap(), bob);
    assert!(matches!(
        w.dir.redeem_login_link(&raw).await,
        Err(DirectoryError::InvalidLink)
    ));
    w.dir
        .send_login_link(Caller::User(w.admin), bob)
        .await
        .unwrap();
    let late = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .filter(|m| m.kind == "auto_login")
        .map(|m| token_from(&m, "auto-login"))
        .find(|t| *t != raw)
        .unwrap();
    w.clock.advance(Duration::minutes(15));
    assert!(matches!(
        w.dir.redeem_login_link(&late).await,
        Err(DirectoryError::InvalidLink)
    ));
}

#[tokio::test]
async fn seed_000_exports_and_seed_003_import() {
    let w = world().await;
    configure(&w, |s, _| {
        s.consumers_enabled = true;
        s.pin_users = Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        });
        s.phone_region = Some("DE".into());
    })
    .await;
    let consumer = NewUser {
        kind: UserKind::Consumer,
        ..standard("carla@crm.example", WayIn::None)
    };
    w.dir
        .create_user(Caller::System, w.org, consumer)
        .await
        .unwrap();
    let pin_user = pin_user("Max", "Muster", "0042");
    let pin = w
        .dir
        .create_user(Caller::System, w.org, pin_user)
        .await
        .unwrap()
        .pin
        .unwrap();
    let mut csv = Vec::new();
    let n = w
        .dir
        .export(
            Caller::User(w.admin),
            w.org,
            ExportKind::Consumers,
            Format::Csv(Default::default()),
            &tenantry_tabular::Headers::default(),
            &mut csv,
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("carla@crm.example,Bob,,0,yes"), "{text}");
    let mut xlsx = Vec::new();
    w.dir
        .export(
            Caller::User(w.admin),
            w.org,
            ExportKind::PinUsers,
            Format::Xlsx,
            &tenantry_tabular::Headers::new(tenantry_tabular::Lang::De),
            &mut xlsx,
        )
        .await
        .unwrap();
    let sheet = tenantry_tabular::read_xlsx(&xlsx, &Default::default()).unwrap();
    assert_eq!(
        sheet.rows[0].1,
        [
            "max.muster@pins.acme.example",
            "Max",
            "Muster",
            "0042",
            pin.expose()
        ]
    );
    let audit = w
        .store
        .audit(&AuditQuery {
            org: Some(w.org),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "export.pins" && e.actor == Some(w.admin))
    );

    // Import: one new row with a one-time password, one existing user (skipped, never
    // overwritten), one bad row.
    let file = "First name;Last name;Job profile;Department;Permission type;Email;Username;Phone;Language;One-time password\n\
                Nina;Neu;;;admin;nina@acme.example;;;de;Import-Welcome-2026-x\n\
                Carla;Changed;;;admin;carla@crm.example;;;de;\n\
                Olaf;;;;admin;;olaf;0170 1234567;de;\n";
    let plan = w
        .dir
        .plan_import(Caller::User(w.admin), w.org, file.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(
        (plan.create.len(), plan.skipped.len(), plan.rejected.len()),
        (1, 1, 1),
        "{plan:?}"
    );
    assert_eq!(
        plan.rejected[0].column,
        Some(tenantry_tabular::Column::LastName)
    );
    let outcome = w
        .dir
        .commit_import(Caller::User(w.admin), w.org, &plan)
        .await
        .unwrap();
    assert_eq!(outcome.created.len(), 1);
    assert_eq!(outcome.skipped, vec![(3, "the user exists".to_owned())]);
    let nina = outcome.created[0].1;
    match w
        .store
        .get(&RecordKey::User(nina))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::User(u) => {
            assert_eq!(
                u.account.state(),
                AccountState::Invited,
                "the one-time password is the way in"
            );
            assert_eq!(u.user.profile().language.as_ref().unwrap().as_str(), "de");
        }
        other => panic!("{other:?}"),
    }
    assert!(w.store.get(&RecordKey::Otp(nina)).await.unwrap().is_some());
    assert_eq!(
        w.store
            .list(&ListOf::GrantsOfUser(nina))
            .await
            .unwrap()
            .len(),
        1,
        "the permission type is granted"
    );
    let carla = w
        .store
        .user_by_login(&LoginKey::Email("carla@crm.example".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        carla.value.user.profile().last_name,
        None,
        "the existing user was not overwritten"
    );
    // Not for non-admins (Nina was made one by her permission type; Carla was not).
    let denied = w
        .dir
        .plan_import(
            Caller::User(carla.value.user.id()),
            w.org,
            file.as_bytes(),
            false,
        )
        .await;
    // (Carla has not activated her account: she acts for nobody.)
    assert!(matches!(denied, Err(DirectoryError::CallerMayNotAct)));
}

#[tokio::test]
async fn seed_003_one_time_passwords_and_activation_codes() {
    let w = world().await;
    // A one-time password set by the admin: it only lets the user set their own, once.
    let mut otp_user = standard("otto@acme.example", WayIn::OneTimePassword);
    otp_user.password = Some(Password::new("Otto-Start-2026-xyz"));
    let otto = w
        .dir
        .create_user(Caller::User(w.admin), w.org, otp_user)
        .await
        .unwrap()
        .id;
    let mine = Password::new("my own long passphrase here");
    assert!(matches!(
        w.dir
            .redeem_one_time_password(
                "otto@acme.example",
                &Password::new("guess guess guess"),
                &mine
            )
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert!(matches!(
        w.dir
            .redeem_one_time_password(
                "nobody@acme.example",
                &Password::new("Otto-Start-2026-xyz"),
                &mine
            )
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert_eq!(
        w.dir
            .redeem_one_time_password(
                "otto@acme.example",
                &Password::new("Otto-Start-2026-xyz"),
                &mine
            )
            .await
            .unwrap(),
        otto
    );
    assert!(
        matches!(
            w.dir
                .redeem_one_time_password(
                    "otto@acme.example",
                    &Password::new("Otto-Start-2026-xyz"),
                    &mine
                )
                .await,
            Err(DirectoryError::InvalidCredentials)
        ),
        "spent"
    );
    assert_eq!(
        w.dir.sign_in("otto@acme.example", &mine).await.unwrap(),
        otto
    );

    // An activation code by SMS to a username + phone user.
    let sms_user = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            phone: Some(Phone::parse("+49 170 7654321").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            username: Some(Username::parse("worker.7").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::None,
        password: None,
    };
    let worker = w
        .dir
        .create_user(Caller::User(w.admin), w.org, sms_user)
        .await
        .unwrap()
        .id;
    let no_mailbox = w
        .dir
        .change_account(Caller::User(w.admin), worker, Event::Invite)
        .await;
    assert!(
        matches!(no_mailbox, Err(DirectoryError::NotFound("mailbox"))),
        "{no_mailbox:?}"
    );
    w.dir
        .send_activation_code(
            Caller::User(w.admin),
            worker,
            tenantry_credentials::CodeChannel::Sms,
        )
        .await
        .unwrap();
    let sms = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.channel == Channel::Sms)
        .unwrap();
    assert_eq!(sms.to, "+491707654321");
    let code: String = sms
        .text
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(code.len(), 6);
    let pw = Password::new("forklift driver on shift two");
    assert!(matches!(
        w.dir.activate_with_code("worker.7", "000000x", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert_eq!(
        w.dir
            .activate_with_code("WORKER.7", &code, &pw)
            .await
            .unwrap(),
        worker
    );
    assert_eq!(w.dir.sign_in("worker.7", &pw).await.unwrap(), worker);
}

#[tokio::test]
async fn seed_004_locations_and_seed_003_department_links() {
    let w = world().await;
    let hq = w
        .dir
        .create_location(Caller::User(w.admin), w.org, Name::parse("HQ").unwrap())
        .await
        .unwrap();
    let annex = w
        .dir
        .create_location(Caller::User(w.admin), w.org, Name::parse("Annex").unwrap())
        .await
        .unwrap();
    let occupant = w
        .dir
        .create_user(
            Caller::User(w.admin),
            w.org,
            standard("occ@acme.example", WayIn::Welcome),
        )
        .await
        .unwrap()
        .id;
    // Via groups by default, and in no group yet: nowhere.
    assert!(!w.dir.may_file_request(occupant, hq.id).await.unwrap());
    w.dir
        .set_location_access(
            Caller::User(w.admin),
            occupant,
            LocationAccess::Specific([annex.id].into()),
        )
        .await
        .unwrap();
    assert!(w.dir.may_file_request(occupant, annex.id).await.unwrap());
    assert!(!w.dir.may_file_request(occupant, hq.id).await.unwrap());
    // A group with all locations covers one created later.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(8);
    let mut group = Group::new(
        GroupId::generate(w.clock.now(), &mut rng),
        w.org,
        Name::parse("Acme Co.").unwrap(),
        w.clock.now(),
    );
    group.locations = LocationScope::All;
    let gid = w
        .dir
        .create_group(Caller::User(w.admin), group)
        .await
        .unwrap();
    w.dir
        .change_members(Caller::User(w.admin), gid, &[occupant], &[])
        .await
        .unwrap();
    let later = w
        .dir
        .create_location(
            Caller::User(w.admin),
            w.org,
            Name::parse("New wing").unwrap(),
        )
        .await
        .unwrap();
    assert!(w.dir.may_file_request(occupant, later.id).await.unwrap());
    // Locations of another organization are refused.
    let other = w
        .dir
        .create_organization(Caller::User(w.admin), w.org, Name::parse("Other").unwrap())
        .await
        .unwrap();
    let foreign = w
        .dir
        .create_location(Caller::System, other, Name::parse("Far").unwrap())
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .set_location_access(
                Caller::User(w.admin),
                occupant,
                LocationAccess::Specific([foreign.id].into())
            )
            .await,
        Err(DirectoryError::NotFound("location"))
    ));

    // Seed 003: a department link places sign-ups in that department.
    let night = w
        .dir
        .create_department(
            Caller::User(w.admin),
            w.org,
            Name::parse("Night shift").unwrap(),
            true,
        )
        .await
        .unwrap();
    w.dir
        .create_job_profile(Caller::User(w.admin), w.org, Name::parse("Cook").unwrap())
        .await
        .unwrap();
    configure(&w, |_, l| l.sign_up.enabled = true).await;
    let mut f = form(&w, "newbie@acme.example");
    f.link = night.sign_up_code.clone();
    w.dir.sign_up(f).await.unwrap();
    let newbie = w
        .store
        .user_by_login(&LoginKey::Email("newbie@acme.example".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newbie.value.user.profile().department, Some(night.id));
    let mut bad = form(&w, "other@acme.example");
    bad.link = Some(SignUpCode::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap());
    assert!(matches!(
        w.dir.sign_up(bad).await,
        Err(DirectoryError::Lifecycle(_))
    ));
}

#[tokio::test]
async fn seed_003_email_and_sms_both_when_a_user_has_both() {
    let w = world().await;
    configure(&w, |s, _| s.communication.sms = true).await;
    let mut both = standard("both@acme.example", WayIn::Activation);
    both.profile.phone = Some(Phone::parse("+49 170 1112223").unwrap());
    w.dir
        .create_user(Caller::User(w.admin), w.org, both)
        .await
        .unwrap();
    let messages = outbox(&w.store, w.clock.now()).await;
    let mut sent: Vec<(Channel, &str)> = messages
        .iter()
        .map(|m| (m.channel, m.to.as_str()))
        .collect();
    sent.sort_by_key(|(c, _)| *c == Channel::Sms);
    assert_eq!(
        sent,
        vec![
            (Channel::Email, "both@acme.example"),
            (Channel::Sms, "+491701112223")
        ]
    );
    let sms = messages.iter().find(|m| m.channel == Channel::Sms).unwrap();
    assert!(sms.text.contains("https://app.example/activation/") && sms.html.is_none());
    // Both carry the same link.
    let email = messages
        .iter()
        .find(|m| m.channel == Channel::Email)
        .unwrap();
    assert_eq!(
        token_from(sms, "activation"),
        token_from(email, "activation")
    );
    // A username + phone user without email is reached by SMS alone.
    let phone_only = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            phone: Some(Phone::parse("+49 170 9998887").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            username: Some(Username::parse("driver.9").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Activation,
        password: None,
    };
    w.dir
        .create_user(Caller::User(w.admin), w.org, phone_only)
        .await
        .unwrap();
    assert!(
        outbox(&w.store, w.clock.now())
            .await
            .iter()
            .any(|m| m.to == "+491709998887" && m.channel == Channel::Sms)
    );
}

#[tokio::test]
async fn sign_in_rehashes_when_the_parameters_fall_below_policy() {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
    ));
    let mut weak = DirectoryConfig::new(LinkBuilder::new("https://app.example").unwrap());
    weak.hash_params = HashParams::INSECURE_FAST_FOR_TESTS;
    let dir = Directory::new(store.clone(), catalog(), clock.clone(), weak.clone())
        .unwrap()
        .with_random_source(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1));
    let pw = Password::new("correct horse battery staple");
    let (_, ada) = dir
        .create_root_organization(
            Name::parse("Acme").unwrap(),
            Profile::default(),
            Email::parse("ada@acme.example").unwrap(),
            &pw,
            Grantables::new(),
        )
        .await
        .unwrap();
    let stored = |store: Arc<MemoryStore>| async move {
        match store
            .get(&RecordKey::User(ada))
            .await
            .unwrap()
            .unwrap()
            .value
        {
            Record::User(u) => u.password.unwrap(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        stored(store.clone()).await.params().unwrap(),
        HashParams::INSECURE_FAST_FOR_TESTS
    );
    // The host raises its parameters; the next sign-in upgrades the stored hash.
    let mut strong = weak;
    strong.hash_params = HashParams {
        m_cost: 64,
        t_cost: 2,
        p_cost: 1,
    };
    let dir = Directory::new(store.clone(), catalog(), clock, strong).unwrap();
    assert_eq!(dir.sign_in("ada@acme.example", &pw).await.unwrap(), ada);
    let after = stored(store.clone()).await;
    assert_eq!(
        after.params().unwrap(),
        HashParams {
            m_cost: 64,
            t_cost: 2,
            p_cost: 1
        }
    );
    assert_eq!(dir.sign_in("ada@acme.example", &pw).await.unwrap(), ada);
}

// ---- One test per seed article, walking its flows end to end. ----

fn network_catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    b.permission("network.admin", Area::Admin, "administer the network", &[])
        .unwrap();
    b.permission(
        "feed.global.read",
        Area::Network,
        "read the global feed",
        &[],
    )
    .unwrap();
    b.permission("group.post", Area::Group, "post in a group", &[])
        .unwrap();
    b.role(
        "admin",
        "Admin",
        &["network.admin", "feed.global.read", "group.post"],
    )
    .unwrap();
    b.role("member", "Member", &["feed.global.read", "group.post"])
        .unwrap();
    b.role("guest", "Guest", &["group.post"]).unwrap();
    b.admin_permission("network.admin");
    b.build().unwrap()
}

async fn world_with(catalog: Catalog) -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
    ));
    let mut config = DirectoryConfig::new(LinkBuilder::new("https://app.example").unwrap());
    config.hash_params = HashParams::INSECURE_FAST_FOR_TESTS;
    config.pin_keys = vec![PinKey::new(1, &[9; 32]).unwrap()];
    let dir = Directory::new(store.clone(), catalog, clock.clone(), config).unwrap();
    let (org, admin) = dir
        .create_root_organization(
            Name::parse("Acme Network").unwrap(),
            Profile {
                first_name: Some(NamePart::parse("Ada").unwrap()),
                ..Profile::default()
            },
            Email::parse("ada@acme.example").unwrap(),
            &Password::new("correct horse battery staple"),
            admin_role(),
        )
        .await
        .unwrap();
    World {
        dir,
        store,
        clock,
        org,
        admin,
    }
}

/// Delivers the outbox through a mailer that records what it was given.
#[derive(Default)]
struct Inbox(
    std::sync::Mutex<Vec<EmailMessage>>,
    std::sync::Mutex<Vec<SmsMessage>>,
);

#[async_trait::async_trait]
impl Mailer for Inbox {
    async fn send(&self, m: &EmailMessage) -> Result<(), DeliveryError> {
        self.0.lock().unwrap().push(m.clone());
        Ok(())
    }
}

#[async_trait::async_trait]
impl SmsSender for Inbox {
    async fn send(&self, m: &SmsMessage) -> Result<(), DeliveryError> {
        self.1.lock().unwrap().push(m.clone());
        Ok(())
    }
}

#[tokio::test]
async fn seed_000_network_end_to_end() {
    let (w, research, internal) = network_world().await;
    let admin = Caller::User(w.admin);

    // A guest, invited into Research only.
    let guest = NewUser {
        kind: UserKind::Guest,
        ..standard("consultant@partner.example", WayIn::Invitation)
    };
    let guest = w.dir.create_user(admin, w.org, guest).await.unwrap().id;
    // Guests cannot hold network-wide permissions at all: the member role is refused.
    let member = Grantables {
        roles: [RoleKey::new("member").unwrap()].into(),
        ..Grantables::new()
    };
    let guest_grant = GrantRef {
        user: guest,
        org: w.org,
        scope: Scope::Organization,
    };
    assert!(matches!(
        w.dir
            .change_grant(admin, guest_grant, Change::Grant(member))
            .await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::KindCannotHold { .. }
        ))
    ));
    let guest_role = Grantables {
        roles: [RoleKey::new("guest").unwrap()].into(),
        ..Grantables::new()
    };
    w.dir
        .change_grant(admin, guest_grant, Change::Grant(guest_role))
        .await
        .unwrap();
    w.dir
        .change_members(admin, research, &[guest], &[])
        .await
        .unwrap();
    let invite = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.to == "consultant@partner.example")
        .unwrap();
    let pw = Password::new("consulting all the way down");
    w.dir
        .accept_invitation(&token_from(&invite, "invitation"), &pw)
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .sign_in("consultant@partner.example", &pw)
            .await
            .unwrap(),
        guest
    );
    assert!(
        w.dir
            .check(
                guest,
                "group.post",
                tenantry_access::Target::Group(research)
            )
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !w.dir
            .check(
                guest,
                "group.post",
                tenantry_access::Target::Group(internal)
            )
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !w.dir
            .check(
                guest,
                "feed.global.read",
                tenantry_access::Target::Org(w.org)
            )
            .await
            .unwrap()
            .is_allowed()
    );

    // A consumer from the CRM sync: digests with a registration link, then registration.
    let consumer = NewUser {
        kind: UserKind::Consumer,
        ..standard("reader@crm.example", WayIn::None)
    };
    let consumer = w
        .dir
        .create_user(Caller::System, w.org, consumer)
        .await
        .unwrap()
        .id;
    w.dir
        .change_members(admin, research, &[consumer], &[])
        .await
        .unwrap();
    w.dir
        .send_digest(
            Caller::System,
            consumer,
            vec!["New in Research: the Q3 report".into()],
        )
        .await
        .unwrap();

    // A PIN user: placeholder email, PIN export, password set with the PIN.
    let created = w
        .dir
        .create_user(admin, w.org, pin_user("Jürgen", "Weiß", "EMP-7"))
        .await
        .unwrap();
    let mut export = Vec::new();
    w.dir
        .export(
            admin,
            w.org,
            ExportKind::PinUsers,
            Format::Csv(Default::default()),
            &tenantry_tabular::Headers::default(),
            &mut export,
        )
        .await
        .unwrap();
    let export = String::from_utf8(export).unwrap();
    let line = export
        .lines()
        .find(|l| l.starts_with("juergen.weiss@pins.acme.example"))
        .unwrap();
    let pin = line.rsplit(',').next().unwrap();
    assert_eq!(pin, created.pin.unwrap().expose());
    let shift = Password::new("assembly line shift password");
    w.dir
        .set_password_with_pin("juergen.weiss@pins.acme.example", pin, &shift)
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .sign_in("juergen.weiss@pins.acme.example", &shift)
            .await
            .unwrap(),
        created.id
    );

    // Everything queued goes out; the PIN user got nothing; the digest carried the link.
    let inbox = Inbox::default();
    let report = dispatch(
        w.store.as_ref(),
        &inbox,
        Some(&inbox),
        w.clock.as_ref(),
        &RetryPolicy::default(),
        100,
    )
    .await
    .unwrap();
    assert_eq!(report.failed, 0);
    let mails = inbox.0.lock().unwrap().clone();
    assert!(mails.iter().all(|m| !m.to.ends_with("pins.acme.example")));
    let digest = mails.iter().find(|m| m.to == "reader@crm.example").unwrap();
    assert!(
        digest.text.contains("New in Research")
            && digest.text.contains("https://app.example/registration/")
    );
    let link = digest
        .text
        .split("https://app.example/registration/")
        .nth(1)
        .unwrap();
    let raw: String = link
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    w.dir
        .register_consumer(
            &RawToken::new(raw),
            &Password::new("finally a full member now"),
        )
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .sign_in(
                "reader@crm.example",
                &Password::new("finally a full member now")
            )
            .await
            .unwrap(),
        consumer
    );
}

fn agency_catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    b.permission(
        "org.admin",
        Area::Admin,
        "edit organization info, invite users",
        &[],
    )
    .unwrap();
    for k in [
        "home.view",
        "conversations.view",
        "analytics.view",
        "kb.edit",
        "channels.manage",
        "prompt.edit",
        "settings.edit",
        "custom-tabs.view",
    ] {
        b.permission(k, Area::Network, k, &[]).unwrap();
    }
    b.role(
        "admin",
        "Org Admin",
        &[
            "org.admin",
            "home.view",
            "conversations.view",
            "analytics.view",
            "kb.edit",
            "channels.manage",
            "prompt.edit",
            "settings.edit",
            "custom-tabs.view",
        ],
    )
    .unwrap();
    b.admin_permission("org.admin");
    b.build().unwrap()
}

#[tokio::test]
async fn seed_001_agency_end_to_end() {
    let w = world_with(agency_catalog()).await;
    let owner = Caller::User(w.admin);
    // The agency administers every client: its admin grant covers the subtree.
    w.dir
        .change_grant(
            owner,
            GrantRef {
                user: w.admin,
                org: w.org,
                scope: Scope::Subtree,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    let bakery = w
        .dir
        .create_organization(owner, w.org, Name::parse("Bakery Ltd").unwrap())
        .await
        .unwrap();
    // Add User with a generated password, first user as Org Admin.
    let generated = tenantry_credentials::generate_password(
        &Default::default(),
        &Default::default(),
        &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3),
    )
    .unwrap();
    let mut baker = standard("baker@bakery.example", WayIn::Password);
    baker.password = Some(generated.clone());
    let baker = w.dir.create_user(owner, bakery, baker).await.unwrap().id;
    w.dir
        .change_grant(
            owner,
            GrantRef {
                user: baker,
                org: bakery,
                scope: Scope::Organization,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    // The Org Admin adds a helper with two module checkboxes.
    let mut helper = standard("helper@bakery.example", WayIn::Password);
    helper.password = Some(Password::new("a passphrase long enough for her"));
    let helper = w
        .dir
        .create_user(Caller::User(baker), bakery, helper)
        .await
        .unwrap()
        .id;
    let boxes = Grantables {
        permissions: ["home.view", "conversations.view"]
            .into_iter()
            .map(|k| tenantry_access::PermissionKey::new(k).unwrap())
            .collect(),
        ..Grantables::new()
    };
    w.dir
        .change_grant(
            Caller::User(baker),
            GrantRef {
                user: helper,
                org: bakery,
                scope: Scope::Organization,
            },
            Change::Grant(boxes),
        )
        .await
        .unwrap();
    let at = tenantry_access::Target::Org(bakery);
    assert!(
        w.dir
            .check(helper, "conversations.view", at)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !w.dir
            .check(helper, "prompt.edit", at)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        w.dir
            .check(w.admin, "prompt.edit", at)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(matches!(
        w.dir.check(helper, "no.such.module", at).await,
        Err(DirectoryError::Access(_))
    ));
    // "Log in" to preview, then Invite: a link that signs the client in.
    w.dir
        .impersonate(w.admin, baker, "checking the dashboard before the invite")
        .await
        .unwrap();
    w.dir.send_login_link(owner, baker).await.unwrap();
    let link = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.kind == "auto_login")
        .unwrap();
    assert_eq!(
        w.dir
            .redeem_login_link(&token_from(&link, "auto-login"))
            .await
            .unwrap(),
        baker
    );
    // The generated password works once, to choose their own ("change their passwords
    // upon first login").
    let own = replace_admin_set_password(&w, "baker@bakery.example", &generated).await;
    assert_eq!(
        w.dir.sign_in("baker@bakery.example", &own).await.unwrap(),
        baker
    );
}

#[tokio::test]
async fn seed_003_workforce_end_to_end() {
    let w = world().await;
    configure(&w, |s, l| {
        s.communication.activation_on_create = true;
        s.communication.sms = true;
        s.phone_region = Some("DE".into());
        l.sign_up.enabled = true;
        l.sso_just_in_time = true;
    })
    .await;
    let admin = Caller::User(w.admin);
    let kitchen = w
        .dir
        .create_department(admin, w.org, Name::parse("Kitchen").unwrap(), true)
        .await
        .unwrap();
    w.dir
        .create_job_profile(admin, w.org, Name::parse("Cook").unwrap())
        .await
        .unwrap();
    // Integration: created with an activation message.
    let integrated = w
        .dir
        .create_user(
            Caller::System,
            w.org,
            standard("hr-sync@acme.example", WayIn::Activation),
        )
        .await
        .unwrap()
        .id;
    let activation = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.kind == "activation_link")
        .unwrap();
    let pw = Password::new("purple monkey dishwasher");
    assert_eq!(
        w.dir
            .activate(&token_from(&activation, "activation"), Some(&pw))
            .await
            .unwrap(),
        integrated
    );
    // SSO just in time.
    let sso = LoginIdentifiers {
        email: Some(Email::parse("sso@acme.example").unwrap()),
        ..Default::default()
    };
    w.dir.sso_login(SsoLogin::new(w.org, sso)).await.unwrap();
    // Self sign-up through the kitchen's link.
    let mut f = form(&w, "cook@acme.example");
    f.link = kitchen.sign_up_code.clone();
    w.dir.sign_up(f).await.unwrap();
    // The Excel template import, with a one-time password and a username + phone row.
    let file = "Vorname;Nachname;Jobprofil;Abteilung;Berechtigungstyp;E-Mail;Benutzername;Telefon;Sprache;Einmalpasswort\n\
                Paula;Plan;Cook;Kitchen;admin;;paula.p;0170 5556667;de;Erster-Tag-2026-x\n";
    let plan = w
        .dir
        .plan_import(admin, w.org, file.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(plan.create.len(), 1, "{plan:?}");
    let paula = w
        .dir
        .commit_import(admin, w.org, &plan)
        .await
        .unwrap()
        .created[0]
        .1;
    let own = Password::new("menus every single morning");
    assert_eq!(
        w.dir
            .redeem_one_time_password("paula.p", &Password::new("Erster-Tag-2026-x"), &own)
            .await
            .unwrap(),
        paula
    );
    assert_eq!(w.dir.sign_in("PAULA.P", &own).await.unwrap(), paula);
}

#[tokio::test]
async fn seed_004_helpdesk_end_to_end() {
    let w = world().await;
    configure(&w, |_, l| {
        l.sign_up.enabled = true;
        l.sign_up.needs_approval = true;
    })
    .await;
    let staff = Caller::User(w.admin);
    let hq = w
        .dir
        .create_location(staff, w.org, Name::parse("HQ").unwrap())
        .await
        .unwrap();
    // Staff create an occupant: active at once, welcome email, resend on request.
    let occ = w
        .dir
        .create_user(
            staff,
            w.org,
            standard("manager@tenant.example", WayIn::Welcome),
        )
        .await
        .unwrap()
        .id;
    w.dir
        .change_account(staff, occ, Event::ResendWelcome)
        .await
        .unwrap();
    assert_eq!(
        outbox(&w.store, w.clock.now())
            .await
            .iter()
            .filter(|m| m.kind == "welcome")
            .count(),
        2
    );
    w.dir
        .set_location_access(staff, occ, LocationAccess::All)
        .await
        .unwrap();
    assert!(w.dir.may_file_request(occ, hq.id).await.unwrap());
    // Self sign-up awaiting approval: may file requests, may not sign in.
    w.dir
        .sign_up(form(&w, "newcomer@tenant.example"))
        .await
        .unwrap();
    let newcomer = w
        .store
        .user_by_login(&LoginKey::Email("newcomer@tenant.example".into()))
        .await
        .unwrap()
        .unwrap()
        .value
        .user
        .id();
    w.dir
        .set_location_access(staff, newcomer, LocationAccess::All)
        .await
        .unwrap();
    assert!(w.dir.may_file_request(newcomer, hq.id).await.unwrap());
    let pw = Password::new("purple monkey dishwasher");
    assert!(matches!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    w.dir
        .change_account(staff, newcomer, Event::Approve)
        .await
        .unwrap();
    // Approved but not yet activated: the activation link finishes it.
    let link = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.kind == "activation_link")
        .unwrap();
    w.dir
        .activate(&token_from(&link, "activation"), None)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await.unwrap(),
        newcomer
    );
    // Inactive: re-activated by the occupant through the sign-up form, once they redeem
    // the link it sends to their own mailbox.
    w.dir
        .change_account(staff, newcomer, Event::Deactivate)
        .await
        .unwrap();
    assert!(!w.dir.may_file_request(newcomer, hq.id).await.unwrap());
    w.clock.advance(Duration::minutes(1)); // the link below is the newest message
    w.dir
        .sign_up(form(&w, "newcomer@tenant.example"))
        .await
        .unwrap();
    assert!(matches!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    let link = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .rev()
        .find(|m| m.kind == "activation_link" && m.to == "newcomer@tenant.example")
        .unwrap();
    w.dir
        .activate(&token_from(&link, "activation"), None)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await.unwrap(),
        newcomer
    );
    // Blocked: signing up again changes nothing; only staff unblock.
    w.dir
        .change_account(staff, newcomer, Event::Block)
        .await
        .unwrap();
    w.dir
        .sign_up(form(&w, "newcomer@tenant.example"))
        .await
        .unwrap();
    assert!(matches!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    w.dir
        .change_account(staff, newcomer, Event::Unblock)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("newcomer@tenant.example", &pw).await.unwrap(),
        newcomer
    );
}

#[tokio::test]
async fn seed_002_partner_portal_end_to_end() {
    let w = world().await;
    let partner_admin = Caller::User(w.admin);
    let customer = w
        .dir
        .create_organization(partner_admin, w.org, Name::parse("Customer AS").unwrap())
        .await
        .unwrap();
    // The partner's customer manager administers customers, not the partner.
    let mut carl = standard("carl@partner.example", WayIn::Password);
    carl.password = Some(Password::new("purple monkey dishwasher"));
    let carl = w
        .dir
        .create_user(partner_admin, w.org, carl)
        .await
        .unwrap()
        .id;
    w.dir
        .change_grant(
            partner_admin,
            GrantRef {
                user: carl,
                org: w.org,
                scope: Scope::Children,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    let manager = Caller::User(carl);
    // He adds the customer's first user without a sign-in invitation, and invites later.
    let cara = w
        .dir
        .create_user(
            manager,
            customer,
            standard("cara@customer.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
    w.dir
        .change_grant(
            manager,
            GrantRef {
                user: cara,
                org: customer,
                scope: Scope::Organization,
            },
            Change::Grant(admin_role()),
        )
        .await
        .unwrap();
    w.dir
        .set_contact_person(manager, customer, cara)
        .await
        .unwrap();
    assert!(
        outbox(&w.store, w.clock.now())
            .await
            .iter()
            .all(|m| m.to != "cara@customer.example")
    );
    w.dir
        .change_account(manager, cara, Event::Invite)
        .await
        .unwrap();
    let invite = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.to == "cara@customer.example")
        .unwrap();
    let pw = Password::new("finance team long passphrase");
    w.dir
        .accept_invitation(&token_from(&invite, "invitation"), &pw)
        .await
        .unwrap();
    // The Company Admin cannot remove her own admin permission; the company keeps one.
    let own = GrantRef {
        user: cara,
        org: customer,
        scope: Scope::Organization,
    };
    assert!(matches!(
        w.dir
            .change_grant(
                Caller::User(cara),
                own,
                Change::Revoke {
                    what: admin_role(),
                    cascade: true
                }
            )
            .await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::SelfDemotion
        ))
    ));
    assert!(matches!(
        w.dir
            .change_grant(
                manager,
                own,
                Change::Revoke {
                    what: admin_role(),
                    cascade: true
                }
            )
            .await,
        Err(DirectoryError::Refused(
            tenantry_access::Refusal::LastAdmin { .. }
        ))
    ));
    // Resets: triggered by the admin, or "Forgot your password?".
    w.dir
        .reset_password_by_admin(Caller::User(cara), cara)
        .await
        .unwrap();
    w.clock.advance(Duration::minutes(1));
    w.dir
        .request_password_reset("cara@customer.example")
        .await
        .unwrap();
    // The newer link is the one that works (outbox order is by time).
    let reset = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .rfind(|m| m.kind == "password_reset")
        .unwrap();
    let new = Password::new("a fresh spring passphrase");
    w.dir
        .reset_password(&token_from(&reset, "password-reset"), &new)
        .await
        .unwrap();
    assert_eq!(
        w.dir.sign_in("cara@customer.example", &new).await.unwrap(),
        cara
    );
    // Carl changes nothing at the partner.
    assert!(matches!(
        w.dir
            .create_user(manager, w.org, standard("z@partner.example", WayIn::None))
            .await,
        Err(DirectoryError::Denied(_))
    ));
}

#[tokio::test]
async fn seed_002_first_user_of_a_company_is_its_contact_and_admin() {
    let w = world().await;
    let company = first_user_company(&w).await;
    let first = w
        .dir
        .create_user(
            Caller::System,
            company,
            standard("first@company.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
    let second = w
        .dir
        .create_user(
            Caller::System,
            company,
            standard("second@company.example", WayIn::None),
        )
        .await
        .unwrap()
        .id;
    match w
        .store
        .get(&RecordKey::Org(company))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(o.org.contact_person, Some(first)),
        other => panic!("{other:?}"),
    }
    let grants = w.store.list(&ListOf::GrantsOfUser(first)).await.unwrap();
    assert_eq!(grants.len(), 1);
    match &grants[0].value {
        Record::Grant(at, g) => {
            assert_eq!(at.org, company);
            assert!(
                g.permissions
                    .contains(&tenantry_access::PermissionKey::new("org.admin").unwrap()),
                "{g:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        w.store
            .list(&ListOf::GrantsOfUser(second))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn seed_003_import_commits_in_blocks_and_skips_what_it_may_not_create() {
    let mut b = CatalogBuilder::new();
    b.permission("org.admin", Area::Admin, "administer", &[])
        .unwrap();
    b.permission("feed.read", Area::Network, "read", &[])
        .unwrap();
    b.permission("billing.manage", Area::Admin, "manage billing", &[])
        .unwrap();
    b.role("admin", "Admin", &["org.admin", "feed.read"])
        .unwrap();
    b.role("member", "Member", &["feed.read"]).unwrap();
    b.role("billing", "Billing", &["billing.manage"]).unwrap();
    b.admin_permission("org.admin");
    let w = world_with(b.build().unwrap()).await;
    let company = first_user_company(&w).await;
    w.dir
        .set_entitlements(
            Caller::System,
            company,
            ["org.admin", "feed.read"]
                .iter()
                .map(|k| tenantry_access::PermissionKey::new(k).unwrap())
                .collect(),
        )
        .await
        .unwrap();

    // 1,203 rows: more than two blocks. One asks for a role the company is not entitled to,
    // one's email is taken after the plan.
    let n = 1203;
    let mut file = String::from("First name;Last name;Permission type;Email;Language\n");
    for i in 0..n {
        let role = if i == 700 { "billing" } else { "member" };
        file.push_str(&format!("F{i};L{i};{role};u{i}@company.example;en\n"));
    }
    // The host's integration imports (the root admin's grant covers the root only).
    let admin = Caller::System;
    let plan = w
        .dir
        .plan_import(admin, company, file.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(plan.create.len(), n, "{:?}", plan.rejected.first());
    let row_of = |email: &str| {
        plan.create
            .iter()
            .find(|r| r.email.as_ref().is_some_and(|e| e.as_str() == email))
            .unwrap()
            .row
    };
    let (billing_row, taken_row, first_row) = (
        row_of("u700@company.example"),
        row_of("u1000@company.example"),
        row_of("u0@company.example"),
    );
    w.dir
        .create_user(
            Caller::System,
            w.org,
            standard("u1000@company.example", WayIn::None),
        )
        .await
        .unwrap();

    let outcome = w.dir.commit_import(admin, company, &plan).await.unwrap();

    assert_eq!(outcome.created.len(), n - 2);
    assert_eq!(outcome.skipped.len(), 2, "{:?}", outcome.skipped);
    let reason = |row| {
        outcome
            .skipped
            .iter()
            .find(|(r, _)| *r == row)
            .map(|(_, why)| why.clone())
            .unwrap()
    };
    assert!(
        reason(billing_row).contains("billing"),
        "{}",
        reason(billing_row)
    );
    assert_eq!(reason(taken_row), "the user exists");
    // The refused row's user was not created; the taken one was not overwritten.
    assert!(
        w.dir
            .sign_in("u700@company.example", &Password::new("x"))
            .await
            .is_err()
    );
    let (mut stored, mut after) = (0, None);
    loop {
        let page = w
            .store
            .users(&tenantry::UserQuery {
                org: Some(company),
                after,
                ..Default::default()
            })
            .await
            .unwrap();
        stored += page.items.len();
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    assert_eq!(stored, n - 2);

    // Seed 002: the first row's user is the company's contact person and admin, with the
    // row's role as well; the others have the role only.
    let first = outcome
        .created
        .iter()
        .find(|(r, _)| *r == first_row)
        .unwrap()
        .1;
    match w
        .store
        .get(&RecordKey::Org(company))
        .await
        .unwrap()
        .unwrap()
        .value
    {
        Record::Org(o) => assert_eq!(o.org.contact_person, Some(first)),
        other => panic!("{other:?}"),
    }
    for (_, user) in [outcome.created[0], outcome.created[n - 3]] {
        let grants = w.store.list(&ListOf::GrantsOfUser(user)).await.unwrap();
        let Record::Grant(at, g) = &grants[0].value else {
            panic!("{grants:?}")
        };
        assert_eq!((grants.len(), at.org), (1, company));
        assert!(g.roles.contains(&RoleKey::new("member").unwrap()));
        assert_eq!(
            g.permissions
                .contains(&tenantry_access::PermissionKey::new("org.admin").unwrap()),
            user == first
        );
    }

    // One audit event per user created and per grant (audit listings are capped at a
    // page, so per user).
    for (_, user) in &outcome.created {
        let mut actions: Vec<String> = w
            .store
            .audit(&AuditQuery {
                subject: Some(*user),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        actions.sort();
        assert_eq!(actions, ["grant.changed", "user.created"], "{user}");
    }
}

/// A child organization of `w.org` whose first user becomes its contact person and admin.
async fn first_user_company(w: &World) -> OrgId {
    let company = w
        .dir
        .create_organization(
            Caller::User(w.admin),
            w.org,
            Name::parse("Company A/S").unwrap(),
        )
        .await
        .unwrap();
    configure_org(w, Caller::System, company, |s, _| {
        s.first_user_becomes_admin = true
    })
    .await;
    company
}

#[tokio::test]
async fn seed_003_identifiers_added_later() {
    let w = world().await;
    let admin = Caller::User(w.admin);
    let worker = NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            phone: Some(Phone::parse("+49 170 7654321").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            username: Some(Username::parse("worker.7").unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Password,
        password: Some(Password::new("forklift driver on shift two")),
    };
    let worker = w.dir.create_user(admin, w.org, worker).await.unwrap().id;
    let pw = Password::new("forklift driver on shift two");
    assert!(matches!(
        w.dir.sign_in("worker7@acme.example", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    // Someone else's email is refused and changes nothing.
    let taken = UserUpdate {
        email: Some(Some(Email::parse("ADA@acme.example").unwrap())),
        ..UserUpdate::default()
    };
    assert!(matches!(
        w.dir.update_user(admin, worker, taken).await,
        Err(DirectoryError::IdentifierTaken)
    ));
    // Only admins edit users.
    let email = UserUpdate {
        email: Some(Some(Email::parse("worker7@acme.example").unwrap())),
        ..UserUpdate::default()
    };
    assert!(matches!(
        w.dir
            .update_user(Caller::User(worker), worker, email.clone())
            .await,
        Err(DirectoryError::Denied(_))
    ));
    let updated = w.dir.update_user(admin, worker, email).await.unwrap();
    assert_eq!(
        updated.user.identifiers().email.as_ref().map(Email::as_str),
        Some("worker7@acme.example")
    );
    // Either identifier signs in now (once the admin's password is replaced).
    let pw = replace_admin_set_password(&w, "worker7@acme.example", &pw).await;
    assert_eq!(
        w.dir.sign_in("worker7@acme.example", &pw).await.unwrap(),
        worker
    );
    assert_eq!(w.dir.sign_in("worker.7", &pw).await.unwrap(), worker);
    // The username can go now that there is an email; then the email cannot.
    let no_username = UserUpdate {
        username: Some(None),
        ..UserUpdate::default()
    };
    w.dir.update_user(admin, worker, no_username).await.unwrap();
    assert!(matches!(
        w.dir.sign_in("worker.7", &pw).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    let no_email = UserUpdate {
        email: Some(None),
        ..UserUpdate::default()
    };
    assert!(matches!(
        w.dir.update_user(admin, worker, no_email).await,
        Err(DirectoryError::Model(ModelError::MissingIdentifier { .. }))
    ));
    assert_eq!(
        w.dir.sign_in("worker7@acme.example", &pw).await.unwrap(),
        worker
    );
    let audit = w
        .store
        .audit(&AuditQuery {
            subject: Some(worker),
            ..Default::default()
        })
        .await
        .unwrap();
    let fields: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "user.updated")
        .map(|e| e.detail["fields"].as_str())
        .collect();
    assert_eq!(fields, ["username", "email"], "newest first");
}

#[tokio::test]
async fn changing_the_email_kills_links_sent_to_the_old_one() {
    let w = world().await;
    let admin = Caller::User(w.admin);
    let bob = w
        .dir
        .create_user(
            admin,
            w.org,
            standard("bob@acme.example", WayIn::Invitation),
        )
        .await
        .unwrap()
        .id;
    let link = token_from(&outbox(&w.store, w.clock.now()).await[0], "invitation");
    let fix = UserUpdate {
        email: Some(Some(Email::parse("robert@acme.example").unwrap())),
        ..UserUpdate::default()
    };
    w.dir.update_user(admin, bob, fix).await.unwrap();
    let pw = Password::new("purple monkey dishwasher");
    assert!(matches!(
        w.dir.accept_invitation(&link, &pw).await,
        Err(DirectoryError::InvalidLink)
    ));
    // A new invitation goes to the new address.
    w.dir
        .change_account(admin, bob, tenantry_lifecycle::Event::ResendInvitation)
        .await
        .unwrap();
    let resent = outbox(&w.store, w.clock.now())
        .await
        .into_iter()
        .find(|m| m.to == "robert@acme.example")
        .unwrap();
    assert_eq!(
        w.dir
            .accept_invitation(&token_from(&resent, "invitation"), &pw)
            .await
            .unwrap(),
        bob
    );
    // Changing nothing writes nothing.
    let v = w.store.get(&RecordKey::User(bob)).await.unwrap().unwrap();
    let same = UserUpdate {
        email: Some(Some(Email::parse("robert@acme.example").unwrap())),
        ..UserUpdate::default()
    };
    w.dir.update_user(admin, bob, same).await.unwrap();
    let after = w.store.get(&RecordKey::User(bob)).await.unwrap().unwrap();
    assert_eq!(v.version, after.version);
}

#[tokio::test]
async fn seed_000_renaming_a_pin_user_keeps_the_placeholder_unless_asked() {
    let w = world().await;
    enable_pin_users(&w).await;
    let admin = Caller::User(w.admin);
    let max = w
        .dir
        .create_user(admin, w.org, pin_user("Max", "Muster", "0042"))
        .await
        .unwrap();
    let other = w
        .dir
        .create_user(admin, w.org, pin_user("Max", "Mustermann", "0043"))
        .await
        .unwrap();
    let placeholder = |r: &UserRecord| {
        r.user
            .identifiers()
            .placeholder_email
            .as_ref()
            .unwrap()
            .as_str()
            .to_owned()
    };
    // Married, renamed: the address the PIN export lists stays.
    let renamed = Profile {
        first_name: Some(NamePart::parse("Max").unwrap()),
        last_name: Some(NamePart::parse("Mustermann").unwrap()),
        ..Profile::default()
    };
    let update = UserUpdate {
        profile: Some(renamed.clone()),
        external_id: Some(Some(ExternalId::parse("0042-B").unwrap())),
        ..UserUpdate::default()
    };
    let r = w.dir.update_user(admin, max.id, update).await.unwrap();
    assert_eq!(placeholder(&r), "max.muster@pins.acme.example");
    assert_eq!(r.user.profile(), &renamed);
    // A PIN user keeps an external id.
    let no_external = UserUpdate {
        external_id: Some(None),
        ..UserUpdate::default()
    };
    assert!(matches!(
        w.dir.update_user(admin, max.id, no_external).await,
        Err(DirectoryError::Model(ModelError::MissingIdentifier { .. }))
    ));
    // Asked to regenerate: from the new name, unique beside the other Max Mustermann.
    let regenerate = UserUpdate {
        regenerate_placeholder: true,
        ..UserUpdate::default()
    };
    assert_eq!(
        other.placeholder_email.unwrap().as_str(),
        "max.mustermann@pins.acme.example"
    );
    let r = w
        .dir
        .update_user(admin, max.id, regenerate.clone())
        .await
        .unwrap();
    assert_eq!(placeholder(&r), "max.mustermann2@pins.acme.example");
    // Again: the user's own address counts as free, so it stays.
    let r = w
        .dir
        .update_user(admin, max.id, regenerate.clone())
        .await
        .unwrap();
    assert_eq!(placeholder(&r), "max.mustermann2@pins.acme.example");
    // The PIN flow works with the new address, not the old one.
    let pin = max.pin.unwrap();
    let pw = Password::new("assembly line shift password");
    assert!(matches!(
        w.dir
            .set_password_with_pin("max.muster@pins.acme.example", pin.expose(), &pw)
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert_eq!(
        w.dir
            .set_password_with_pin("max.mustermann2@pins.acme.example", pin.expose(), &pw)
            .await
            .unwrap(),
        max.id
    );
    // Standard users have no placeholder to regenerate.
    assert!(matches!(
        w.dir.update_user(admin, w.admin, regenerate).await,
        Err(DirectoryError::NotFound(_))
    ));
}

#[tokio::test]
async fn wrong_pins_are_counted_per_user_and_unknown_addresses_lock_alike() {
    let w = world().await;
    enable_pin_users(&w).await;
    let pw = Password::new("assembly line shift password");
    let wrong = |p: &tenantry_credentials::Pin| {
        if p.expose() == "11112222" {
            "22221111"
        } else {
            "11112222"
        }
    };
    // Ten guesses at an address nobody has yet: it answers as a locked PIN would...
    for _ in 0..10 {
        assert!(matches!(
            w.dir
                .set_password_with_pin("max.muster@pins.acme.example", "11112222", &pw)
                .await,
            Err(DirectoryError::InvalidCredentials)
        ));
    }
    // ...but the user who later gets that address is not locked by them.
    let max = w
        .dir
        .create_user(
            Caller::User(w.admin),
            w.org,
            pin_user("Max", "Muster", "4711"),
        )
        .await
        .unwrap();
    let address = max.placeholder_email.clone().unwrap().to_string();
    assert_eq!(address, "max.muster@pins.acme.example");
    let pin = max.pin.unwrap();
    let fail = |times: usize, address: String| {
        let (w, pw, wrong) = (&w, &pw, wrong(&pin));
        async move {
            for _ in 0..times {
                let outcome = w.dir.set_password_with_pin(&address, wrong, pw).await;
                assert!(matches!(outcome, Err(DirectoryError::InvalidCredentials)));
            }
        }
    };
    fail(9, address.clone()).await;
    // Nine failures, then the right PIN: it works and the count starts over.
    assert_eq!(
        w.dir
            .set_password_with_pin(&address, pin.expose(), &pw)
            .await
            .unwrap(),
        max.id
    );
    fail(9, address.clone()).await;
    assert!(
        w.dir
            .set_password_with_pin(&address, pin.expose(), &pw)
            .await
            .is_ok()
    );
    // Ten in a row lock it; a new placeholder does not unlock it (the count is the user's).
    fail(10, address.clone()).await;
    let regenerate = UserUpdate {
        profile: Some(Profile {
            first_name: Some(NamePart::parse("Max").unwrap()),
            last_name: Some(NamePart::parse("Mustermann").unwrap()),
            ..Profile::default()
        }),
        regenerate_placeholder: true,
        ..UserUpdate::default()
    };
    let renamed = w
        .dir
        .update_user(Caller::User(w.admin), max.id, regenerate)
        .await
        .unwrap();
    let address = renamed
        .user
        .identifiers()
        .placeholder_email
        .clone()
        .unwrap()
        .to_string();
    assert_eq!(address, "max.mustermann@pins.acme.example");
    assert!(matches!(
        w.dir
            .set_password_with_pin(&address, pin.expose(), &pw)
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    // The admin's reset lifts the lock.
    let new_pin = w
        .dir
        .reset_pin(Caller::User(w.admin), max.id)
        .await
        .unwrap();
    assert_eq!(
        w.dir
            .set_password_with_pin(&address, new_pin.expose(), &pw)
            .await
            .unwrap(),
        max.id
    );
}

#[tokio::test]
async fn seed_001_access_review_lists_kind_state_last_sign_in_and_permissions() {
    let w = world_with(agency_catalog()).await;
    let admin = Caller::User(w.admin);
    let mut helper = standard("helper@acme.example", WayIn::Password);
    helper.password = Some(Password::new("a passphrase long enough for her"));
    let helper = w.dir.create_user(admin, w.org, helper).await.unwrap().id;
    let boxes = Grantables {
        permissions: ["home.view", "conversations.view"]
            .into_iter()
            .map(|k| tenantry_access::PermissionKey::new(k).unwrap())
            .collect(),
        ..Grantables::new()
    };
    let at = tenantry_access::GrantRef {
        user: helper,
        org: w.org,
        scope: tenantry_access::Scope::Organization,
    };
    w.dir
        .change_grant(admin, at, tenantry_access::Change::Grant(boxes))
        .await
        .unwrap();
    let own = replace_admin_set_password(
        &w,
        "helper@acme.example",
        &Password::new("a passphrase long enough for her"),
    )
    .await;
    w.dir.sign_in("helper@acme.example", &own).await.unwrap();
    let idle = w
        .dir
        .create_user(admin, w.org, standard("idle@acme.example", WayIn::None))
        .await
        .unwrap()
        .id;
    w.dir
        .change_account(admin, idle, tenantry_lifecycle::Event::Block)
        .await
        .unwrap();

    let mut csv = Vec::new();
    let rows = w
        .dir
        .export(
            admin,
            w.org,
            ExportKind::AccessReview,
            Format::Csv(Default::default()),
            &tenantry_tabular::Headers::default(),
            &mut csv,
        )
        .await
        .unwrap();
    assert_eq!(rows, 3);
    let text = String::from_utf8(csv).unwrap();
    let line = |email: &str| {
        text.lines()
            .find(|l| l.starts_with(email))
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        text.lines().next().unwrap(),
        "Email,Username,First name,Last name,User type,Status,Last sign-in,Permissions"
    );
    let signed_in = "2026-11-22T09:00:00Z";
    assert_eq!(
        line("helper@acme.example"),
        format!(
            "helper@acme.example,,Bob,,standard,active,{signed_in},\"home.view, conversations.view\""
        )
    );
    assert_eq!(
        line("idle@acme.example"),
        "idle@acme.example,,Bob,,standard,blocked,,"
    );
    assert!(line("ada@acme.example").contains("org.admin"));
    // Only admins export, and the export is audited.
    assert!(matches!(
        w.dir
            .export(
                Caller::User(helper),
                w.org,
                ExportKind::AccessReview,
                Format::Xlsx,
                &tenantry_tabular::Headers::default(),
                Vec::new(),
            )
            .await,
        Err(DirectoryError::Denied(_))
    ));
    let audit = w
        .store
        .audit(&AuditQuery {
            org: Some(w.org),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "export.access_review" && e.actor == Some(w.admin))
    );
}

#[tokio::test]
async fn seed_000_group_directory_hides_consumers_behind_a_notice() {
    let (w, research, internal) = network_world().await;
    let admin = Caller::User(w.admin);
    let create = |new: NewUser| async { w.dir.create_user(admin, w.org, new).await.unwrap().id };
    let mut member = standard("member@acme.example", WayIn::Password);
    member.password = Some(Password::new("purple monkey dishwasher"));
    let member = create(member).await;
    let mut guest = NewUser {
        kind: UserKind::Guest,
        ..standard("guest@partner.example", WayIn::Password)
    };
    guest.password = Some(Password::new("purple monkey dishwasher"));
    let guest = create(guest).await;
    let pin = create(pin_user("Max", "Muster", "0042")).await;
    let consumers = [
        create(NewUser {
            kind: UserKind::Consumer,
            ..standard("c1@crm.example", WayIn::None)
        })
        .await,
        create(NewUser {
            kind: UserKind::Consumer,
            ..standard("c2@crm.example", WayIn::None)
        })
        .await,
    ];
    let mut everyone = vec![member, guest, pin];
    everyone.extend(consumers);
    w.dir
        .change_members(admin, research, &everyone, &[])
        .await
        .unwrap();

    let page = w.dir.group_members(admin, research, None, 0).await.unwrap();
    let mut listed: Vec<UserId> = page.members.iter().map(|m| m.id).collect();
    listed.sort();
    let mut expected = vec![member, guest, pin];
    expected.sort();
    assert_eq!(listed, expected, "no consumer listed");
    assert_eq!(page.consumers_receiving_digests, 2);
    assert_eq!(page.next, None);
    // Pages.
    let first = w.dir.group_members(admin, research, None, 2).await.unwrap();
    assert_eq!(first.members.len(), 2);
    let rest = w
        .dir
        .group_members(admin, research, first.next, 2)
        .await
        .unwrap();
    assert_eq!(rest.members.len(), 1);
    assert_eq!(rest.next, None);
    // Who sees which group.
    for viewer in [member, guest] {
        assert!(
            w.dir
                .group_members(Caller::User(viewer), research, None, 0)
                .await
                .is_ok()
        );
    }
    assert!(matches!(
        w.dir
            .group_members(Caller::User(guest), internal, None, 0)
            .await,
        Err(DirectoryError::NotFound("group"))
    ));
    assert!(
        w.dir
            .group_members(Caller::User(member), internal, None, 0)
            .await
            .is_ok(),
        "standard users see every unarchived group of their organization"
    );
    assert!(matches!(
        w.dir
            .group_members(Caller::User(consumers[0]), research, None, 0)
            .await,
        // Consumers never sign in: they view nothing.
        Err(DirectoryError::CallerMayNotAct)
    ));
    // A deleted consumer receives nothing any more: the notice counts one.
    w.dir
        .change_account(admin, consumers[1], tenantry_lifecycle::Event::Delete)
        .await
        .unwrap();
    let page = w
        .dir
        .group_members(Caller::System, research, None, 0)
        .await
        .unwrap();
    assert_eq!(page.consumers_receiving_digests, 1);
}

/// The network of seed 000: guests, consumers and PIN users on; the groups Research (shown
/// to guests) and Internal.
async fn network_world() -> (World, GroupId, GroupId) {
    let w = world_with(network_catalog()).await;
    configure(&w, |s, _| {
        s.guests.enabled = true;
        s.consumers_enabled = true;
        s.pin_users = Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        });
    })
    .await;
    let admin = Caller::User(w.admin);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let mut group = |name: &str, shown_to_guests: bool| {
        let mut g = Group::new(
            GroupId::generate(w.clock.now(), &mut rng),
            w.org,
            Name::parse(name).unwrap(),
            w.clock.now(),
        );
        g.visible_to_guests = shown_to_guests;
        g
    };
    let (research, internal) = (group("Research", true), group("Internal", false));
    let research = w.dir.create_group(admin, research).await.unwrap();
    let internal = w.dir.create_group(admin, internal).await.unwrap();
    (w, research, internal)
}

/// Delivers everything due; returns the report and the emails sent.
async fn deliver(w: &World) -> (DispatchReport, Vec<EmailMessage>) {
    let inbox = Inbox::default();
    let report = dispatch(
        w.store.as_ref(),
        &inbox,
        Some(&inbox),
        w.clock.as_ref(),
        &RetryPolicy::default(),
        1000,
    )
    .await
    .unwrap();
    let mails = inbox.0.lock().unwrap().clone();
    (report, mails)
}

fn link_in(text: &str, path: &str) -> RawToken {
    let marker = format!("https://app.example/{path}/");
    let start = text.rfind(&marker).unwrap() + marker.len();
    RawToken::new(
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect::<String>(),
    )
}

#[tokio::test]
async fn seed_000_notification_settings_through_the_digest_link() {
    let (w, research, _) = network_world().await;
    let admin = Caller::User(w.admin);
    let carla = NewUser {
        kind: UserKind::Consumer,
        ..standard("carla@crm.example", WayIn::None)
    };
    let carla = w
        .dir
        .create_user(Caller::System, w.org, carla)
        .await
        .unwrap()
        .id;
    w.dir
        .change_members(admin, research, &[carla], &[])
        .await
        .unwrap();
    assert!(
        w.dir
            .send_digest(Caller::System, carla, vec!["News".into()])
            .await
            .unwrap()
    );
    let (_, mails) = deliver(&w).await;
    let digest = &mails[0];
    assert!(digest.text.contains("https://app.example/registration/"));
    assert!(digest.html.as_ref().unwrap().contains("/notifications/"));
    let link = link_in(&digest.text, "notifications");

    // The page behind the link: shown, saved, shown again — the link works repeatedly.
    let (who, settings) = w.dir.notification_settings_by_link(&link).await.unwrap();
    assert_eq!(
        (who, settings.clone()),
        (carla, NotificationSettings::default())
    );
    let no_digests = NotificationSettings {
        muted: [Topic::Digest].into(),
        all_muted: false,
    };
    assert_eq!(
        w.dir
            .set_notification_settings_by_link(&link, no_digests.clone())
            .await
            .unwrap(),
        carla
    );
    assert_eq!(
        w.dir.notification_settings_by_link(&link).await.unwrap().1,
        no_digests
    );
    // Honoured: no digest; the export's "Received" is empty; the group notice counts none.
    assert!(
        !w.dir
            .send_digest(Caller::System, carla, vec!["More news".into()])
            .await
            .unwrap()
    );
    let mut csv = Vec::new();
    w.dir
        .export(
            admin,
            w.org,
            ExportKind::Consumers,
            Format::Csv(Default::default()),
            &tenantry_tabular::Headers::default(),
            &mut csv,
        )
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.lines().any(|l| l == "carla@crm.example,Bob,,1,"),
        "{csv}"
    );
    let page = w.dir.group_members(admin, research, None, 0).await.unwrap();
    assert_eq!(page.consumers_receiving_digests, 0);

    // A host's recommendation still arrives, with the registration link in it.
    let recommendation = HostMessage {
        topic: Topic::Recommendation,
        subject: "Recommended: the Q3 report".into(),
        text: "Ada recommends this post.\n\nRead it <now>.".into(),
    };
    assert!(
        w.dir
            .send_message(admin, carla, recommendation.clone())
            .await
            .unwrap()
    );
    let (_, mails) = deliver(&w).await;
    assert_eq!(mails[0].subject, "Recommended: the Q3 report");
    assert!(mails[0].text.contains("Ada recommends this post."));
    assert!(mails[0].text.contains("https://app.example/registration/"));
    let html = mails[0].html.as_ref().unwrap();
    assert!(html.contains("Read it &lt;now&gt;.") && !html.contains("<now>"));
    // A newer message's link replaces the older one.
    let newer = link_in(&mails[0].text, "notifications");
    assert!(matches!(
        w.dir.notification_settings_by_link(&link).await,
        Err(DirectoryError::InvalidLink)
    ));
    // Muted after queueing: the dispatcher withdraws it.
    assert!(
        w.dir
            .send_message(admin, carla, recommendation.clone())
            .await
            .unwrap()
    );
    // (That message brought a newer link again: the one in the queued message works.)
    assert!(w.dir.notification_settings_by_link(&newer).await.is_err());
    let queued = outbox(&w.store, w.clock.now()).await;
    let newest = link_in(&queued[0].text, "notifications");
    let everything = NotificationSettings {
        muted: Default::default(),
        all_muted: true,
    };
    w.dir
        .set_notification_settings_by_link(&newest, everything)
        .await
        .unwrap();
    let (report, mails) = deliver(&w).await;
    assert_eq!((report.withdrawn, mails.len()), (1, 0));
    assert!(
        !w.dir
            .send_message(admin, carla, recommendation)
            .await
            .unwrap()
    );
    // Security mail is never muted.
    let ada_settings = NotificationSettings {
        all_muted: true,
        ..NotificationSettings::default()
    };
    w.dir
        .set_notification_settings(admin, w.admin, ada_settings)
        .await
        .unwrap();
    w.dir
        .request_password_reset("ada@acme.example")
        .await
        .unwrap();
    let (_, mails) = deliver(&w).await;
    assert!(mails.iter().any(|m| m.to == "ada@acme.example"));
}

#[tokio::test]
async fn notification_settings_and_host_messages_refuse_what_they_must() {
    let w = world().await;
    let admin = Caller::User(w.admin);
    let mut bob = standard("bob@acme.example", WayIn::Password);
    bob.password = Some(Password::new("purple monkey dishwasher"));
    let bob = w.dir.create_user(admin, w.org, bob).await.unwrap().id;
    // Bob changes his own settings, not Ada's.
    let mine = NotificationSettings {
        muted: [
            Topic::EventInvitation,
            Topic::custom("shift-swaps").unwrap(),
        ]
        .into(),
        all_muted: false,
    };
    w.dir
        .set_notification_settings(Caller::User(bob), bob, mine.clone())
        .await
        .unwrap();
    assert!(matches!(
        w.dir
            .set_notification_settings(Caller::User(bob), w.admin, mine)
            .await,
        Err(DirectoryError::Denied(_))
    ));
    // Muted topics, custom topics included, are not sent; others are, without a
    // registration link for a standard user.
    let message = |topic: Topic| HostMessage {
        topic,
        subject: "Hello".into(),
        text: "Text".into(),
    };
    for (topic, sent) in [
        (Topic::EventInvitation, false),
        (Topic::custom("shift-swaps").unwrap(), false),
        (Topic::Recommendation, true),
    ] {
        assert_eq!(
            w.dir
                .send_message(admin, bob, message(topic))
                .await
                .unwrap(),
            sent
        );
    }
    let (_, mails) = deliver(&w).await;
    assert_eq!(mails.len(), 1);
    assert!(!mails[0].text.contains("/registration/"));
    assert!(mails[0].text.contains("/notifications/"));
    // Bad input: typed errors, nothing queued.
    for (subject, text) in [
        ("Two\nlines", "x".to_owned()),
        ("  ", "x".to_owned()),
        (&*"s".repeat(201), "x".to_owned()),
        ("Fine", "t".repeat(20_001)),
    ] {
        let bad = HostMessage {
            topic: Topic::Recommendation,
            subject: subject.to_owned(),
            text,
        };
        assert!(matches!(
            w.dir.send_message(admin, bob, bad).await,
            Err(DirectoryError::Invalid { .. })
        ));
    }
    for bad in ["", "Shift swaps", "ü", &"x".repeat(65)] {
        assert!(matches!(
            Topic::custom(bad),
            Err(DirectoryError::Invalid { field: "topic", .. })
        ));
    }
    // Only admins send.
    assert!(matches!(
        w.dir
            .send_message(Caller::User(bob), w.admin, message(Topic::Recommendation))
            .await,
        Err(DirectoryError::Denied(_))
    ));
    assert_eq!(deliver(&w).await.1.len(), 0);
    // A forged or wrong-purpose link.
    assert!(matches!(
        w.dir
            .notification_settings_by_link(&RawToken::new("forged"))
            .await,
        Err(DirectoryError::InvalidLink)
    ));
}

#[tokio::test]
async fn seed_000_guests_see_exactly_the_shared_channels() {
    let (w, research, _) = network_world().await;
    let admin = Caller::User(w.admin);
    let mut guest = NewUser {
        kind: UserKind::Guest,
        ..standard("guest@partner.example", WayIn::Password)
    };
    guest.password = Some(Password::new("purple monkey dishwasher"));
    let guest = w.dir.create_user(admin, w.org, guest).await.unwrap().id;
    w.dir
        .change_members(admin, research, &[guest], &[])
        .await
        .unwrap();
    let mut member = standard("member@acme.example", WayIn::Password);
    member.password = Some(Password::new("purple monkey dishwasher"));
    let member = w.dir.create_user(admin, w.org, member).await.unwrap().id;
    let consumer = NewUser {
        kind: UserKind::Consumer,
        ..standard("c@crm.example", WayIn::None)
    };
    let consumer = w.dir.create_user(admin, w.org, consumer).await.unwrap().id;
    let news = SharedArea::new("channel", "news").unwrap();
    let board = SharedArea::new("channel", "board-only").unwrap();
    let wiki = SharedArea::new("wiki", "handbook").unwrap();

    // Only admins share.
    assert!(matches!(
        w.dir
            .share_with_guests(Caller::User(member), w.org, news.clone(), true)
            .await,
        Err(DirectoryError::Denied(_))
    ));
    for area in [&news, &wiki] {
        w.dir
            .share_with_guests(admin, w.org, area.clone(), true)
            .await
            .unwrap();
    }
    let v = w.store.get(&RecordKey::Org(w.org)).await.unwrap().unwrap();
    w.dir
        .share_with_guests(admin, w.org, news.clone(), true)
        .await
        .unwrap();
    let again = w.store.get(&RecordKey::Org(w.org)).await.unwrap().unwrap();
    assert_eq!(v.version, again.version, "sharing twice changes nothing");
    assert_eq!(
        w.dir.guest_areas(w.org, Some("channel")).await.unwrap(),
        [news.clone()].into()
    );
    assert_eq!(w.dir.guest_areas(w.org, None).await.unwrap().len(), 2);

    let sees = |user, area: SharedArea| {
        let dir = &w.dir;
        let org = w.org;
        async move { dir.may_see_area(user, org, &area).await.unwrap() }
    };
    assert!(sees(guest, news.clone()).await && !sees(guest, board.clone()).await);
    assert!(sees(member, news.clone()).await && sees(member, board.clone()).await);
    assert!(!sees(consumer, news.clone()).await);
    // Closed again: the guest no longer sees it; a blocked member sees nothing.
    w.dir
        .share_with_guests(admin, w.org, news.clone(), false)
        .await
        .unwrap();
    assert!(!sees(guest, news.clone()).await && sees(guest, wiki.clone()).await);
    w.dir
        .change_account(admin, member, tenantry_lifecycle::Event::Block)
        .await
        .unwrap();
    assert!(!sees(member, board).await);
    let audit = w
        .store
        .audit(&AuditQuery {
            org: Some(w.org),
            ..Default::default()
        })
        .await
        .unwrap();
    let shared: Vec<&str> = audit
        .iter()
        .filter(|e| e.action.starts_with("area."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(shared, ["area.unshared", "area.shared", "area.shared"]);
    // Bad names are typed errors.
    for (kind, id) in [
        ("", "x"),
        ("Channel", "x"),
        ("channel", ""),
        ("channel", "a\nb"),
    ] {
        assert!(matches!(
            SharedArea::new(kind, id),
            Err(DirectoryError::Invalid { .. })
        ));
    }
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

//! Signing in: identifiers, throttling, rehashing, PINs, single sign-on, log-in-as and login links.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use tenantry::*;
use tenantry_access::Grantables;
use tenantry_access::{Change, GrantRef, Scope};
use tenantry_credentials::{HashParams, LinkBuilder, Password};
use tenantry_identity::*;
use tenantry_lifecycle::{AccountState, WayIn};

use crate::support::*;

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
async fn workforce_sso_just_in_time() {
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
async fn agency_log_in_as_and_login_links() {
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
    let link = outbox(w.store.as_ref(), w.clock.now())
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
    let late = outbox(w.store.as_ref(), w.clock.now())
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
        .create_root_organization(NewRootOrganization {
            name: Name::parse("Acme").unwrap(),
            admin_profile: Profile::default(),
            admin_email: Email::parse("ada@acme.example").unwrap(),
            admin_password: pw.clone(),
            admin_grant: Grantables::new(),
        })
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

/// A principal name (Entra ID's UPN, kept beside the mailbox) is an identifier of its own:
/// no one else may take it as an address, and it signs in only where the organization
/// allows it, answered as an unknown identifier elsewhere.
#[tokio::test]
async fn a_principal_name_is_unique_and_signs_in_only_where_allowed() {
    let w = world().await;
    let admin = Caller::User(w.admin);
    let mut ann = standard("ann@mail.example", WayIn::Password);
    ann.identifiers.principal_name = Some(Email::parse("Ann.Lee@corp.example").unwrap());
    ann.password = Some(Password::new("a passphrase long enough for ann"));
    let ann = w.dir.create_user(admin, w.org, ann).await.unwrap().id;
    let own = replace_admin_set_password(
        &w,
        "ann@mail.example",
        &Password::new("a passphrase long enough for ann"),
    )
    .await;
    assert_eq!(w.dir.sign_in("ann@mail.example", &own).await.unwrap(), ann);
    assert!(matches!(
        w.dir.sign_in("ann.lee@corp.example", &own).await,
        Err(DirectoryError::InvalidCredentials)
    ));
    configure(&w, |s, _| s.principal_name_sign_in = true).await;
    assert_eq!(
        w.dir.sign_in("ANN.LEE@corp.example", &own).await.unwrap(),
        ann
    );
    // Nobody else gets it, as an email or as a principal name.
    assert!(matches!(
        w.dir
            .create_user(admin, w.org, standard("ann.lee@corp.example", WayIn::None))
            .await,
        Err(DirectoryError::IdentifierTaken)
    ));
    let mut other = standard("other@mail.example", WayIn::None);
    other.identifiers.principal_name = Some(Email::parse("ann@mail.example").unwrap());
    assert!(matches!(
        w.dir.create_user(admin, w.org, other).await,
        Err(DirectoryError::IdentifierTaken)
    ));
    // A password built from the principal name is refused like one built from the email.
    let mut guessable = standard("zq@mail.example", WayIn::Password);
    guessable.identifiers.principal_name =
        Some(Email::parse("Zanzibar.Quokka@corp.example").unwrap());
    guessable.password = Some(Password::new("my zanzibar horse battery staple"));
    assert!(matches!(
        w.dir.create_user(admin, w.org, guessable).await,
        Err(DirectoryError::Credential(_))
    ));
    // PIN users sign in with their placeholder address and have no principal name.
    w.enable_pin_users("pins.acme.example").await.unwrap();
    let mut pin = pin_user("Max", "Muster", "0042");
    pin.identifiers.principal_name = Some(Email::parse("max@corp.example").unwrap());
    assert!(w.dir.create_user(admin, w.org, pin).await.is_err());
}

/// Found in review: someone signs up with another person's address and a password of their
/// own, never confirming it; the real person's first single sign-on activated that account
/// and the stranger's password kept working. The provider's sign-on now drops it.
#[tokio::test]
async fn a_password_chosen_before_the_account_was_proven_does_not_survive_sso() {
    let w = world().await;
    configure(&w, |_, l| l.sign_up.enabled = true).await;
    let mut squat = form(&w, "sam@acme.example");
    squat.password = Password::new("the squatter's own passphrase");
    w.dir.sign_up(squat).await.unwrap();
    let ids = LoginIdentifiers {
        email: Some(Email::parse("sam@acme.example").unwrap()),
        ..Default::default()
    };
    let sam = w.dir.sso_login(SsoLogin::new(w.org, ids)).await.unwrap();
    assert!(matches!(
        w.dir
            .sign_in(
                "sam@acme.example",
                &Password::new("the squatter's own passphrase")
            )
            .await,
        Err(DirectoryError::InvalidCredentials)
    ));
    assert!(
        w.user_record(sam)
            .await
            .unwrap()
            .unwrap()
            .password
            .is_none()
    );
    // And a sign-up cannot claim a principal name, which provisioning matches on.
    let mut claim = form(&w, "mallory@acme.example");
    claim.identifiers.principal_name = Some(Email::parse("alice@corp.example").unwrap());
    assert!(matches!(
        w.dir.sign_up(claim).await,
        Err(DirectoryError::Invalid { .. })
    ));
}

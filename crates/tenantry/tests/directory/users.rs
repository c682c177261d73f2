//! Creating users of every kind, their identifiers, and editing them.

use tenantry::*;
use tenantry_credentials::Password;
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

use crate::support::*;

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
    // The denial says, in a form a program can match, what was checked and why it failed.
    match denied {
        Err(DirectoryError::Denied(DenialReason::Permission {
            permission,
            target,
            denial,
            explanation,
        })) => {
            assert_eq!(permission.as_str(), "org.admin");
            assert_eq!(target, tenantry_access::Target::Org(w.org));
            assert_eq!(denial, tenantry_access::Denial::NoGrant);
            assert!(explanation.starts_with("denied: no grant"), "{explanation}");
        }
        other => panic!("{other:?}"),
    }
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
        outbox(w.store.as_ref(), w.clock.now()).await.is_empty(),
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
        outbox(w.store.as_ref(), w.clock.now()).await.is_empty(),
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
async fn network_pin_flow() {
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
        outbox(w.store.as_ref(), w.clock.now()).await.is_empty(),
        "PIN users never get mail"
    );
}

#[tokio::test]
async fn workforce_identifiers_added_later() {
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
    let link = token_from(
        &outbox(w.store.as_ref(), w.clock.now()).await[0],
        "invitation",
    );
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
    let resent = outbox(w.store.as_ref(), w.clock.now())
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
async fn network_renaming_a_pin_user_keeps_the_placeholder_unless_asked() {
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
async fn messages_to_a_user_without_a_mailbox_are_refused_as_such() {
    let w = world().await;
    enable_pin_users(&w).await;
    let pin = w
        .dir
        .create_user(w.admin(), w.org, pin_user("Max", "Muster", "0042"))
        .await
        .unwrap()
        .id;
    // A PIN user has only a placeholder address: no reset mail, no invitation.
    let reset = w.dir.reset_password_by_admin(w.admin(), pin).await;
    assert!(matches!(reset, Err(DirectoryError::NoMailbox)), "{reset:?}");
    assert!(
        w.outbox()
            .await
            .unwrap()
            .iter()
            .all(|m| m.user != Some(pin))
    );
}

//! Sign-up with an identifier that exists: the same answer as for a new one, after the
//! same checks, and an inactive account comes back only through a link sent to its own
//! mailbox.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use tenantry::testing::{World, WorldBuilder, token_from};
use tenantry::*;
use tenantry_credentials::Password;
use tenantry_identity::*;
use tenantry_lifecycle::{AccountState, Event, LifecyclePolicy};

const OLD_PASSWORD: &str = "purple monkey dishwasher";

async fn open_sign_up(w: &World, required: RequiredFields) {
    let mut lifecycle = LifecyclePolicy::default();
    lifecycle.sign_up.enabled = true;
    let settings = OrgSettings {
        required_fields: required,
        ..OrgSettings::default()
    };
    w.dir
        .configure_organization(Caller::System, w.org, settings, lifecycle)
        .await
        .unwrap();
}

fn form(w: &World, email: &str, password: &str, last_name: Option<&str>) -> SignUpForm {
    SignUpForm {
        org: w.org,
        as_guest: false,
        profile: Profile {
            first_name: Some(NamePart::parse("Ina").unwrap()),
            last_name: last_name.map(|n| NamePart::parse(n).unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(email).unwrap()),
            ..Default::default()
        },
        password: Password::new(password),
        chosen_department: None,
        link: None,
    }
}

fn state(r: Option<Versioned<Record>>) -> AccountState {
    match r.unwrap().value {
        Record::User(u) => u.account.state(),
        other => panic!("{other:?}"),
    }
}

/// Whatever is wrong with the form is told the same way for an existing and a new
/// identifier: a weak password, a missing required field.
#[tokio::test]
async fn an_existing_identifier_gets_the_same_answer_for_every_form() {
    let w = WorldBuilder::new().build().await.unwrap();
    w.active_user(w.org, "ina@acme.example", OLD_PASSWORD)
        .await
        .unwrap();
    open_sign_up(&w, RequiredFields::from_iter([ProfileField::LastName])).await;
    let cases = [
        ("weak password", "short", Some("Ek")),
        ("missing last name", "a long enough passphrase", None),
        ("acceptable", "a long enough passphrase", Some("Ek")),
    ];
    for (what, password, last) in cases {
        let existing = w
            .dir
            .sign_up(form(&w, "ina@acme.example", password, last))
            .await
            .map_err(|e| e.to_string());
        let new = w
            .dir
            .sign_up(form(
                &w,
                &format!("new-{}@acme.example", what.len()),
                password,
                last,
            ))
            .await
            .map_err(|e| e.to_string());
        assert_eq!(existing, new, "{what}");
    }
}

/// A sign-up names an email or a username, never an external id (what single sign-on and
/// provisioning match on): claiming one would catch a future employee's account.
#[tokio::test]
async fn sign_up_refuses_an_external_id() {
    let w = WorldBuilder::new().build().await.unwrap();
    open_sign_up(&w, RequiredFields::none()).await;
    let mut f = form(&w, "eve@acme.example", "a long enough passphrase", None);
    f.identifiers.external_id = Some(ExternalId::parse("E-1001").unwrap());
    let r = w.dir.sign_up(f).await;
    assert!(matches!(r, Err(DirectoryError::Invalid { .. })), "{r:?}");
    let key = LoginKey::ExternalId("E-1001".into());
    assert!(w.store.user_by_login(&key).await.unwrap().is_none());
}

/// Seed 004: an occupant may reactivate their own account where self sign-up is on, but
/// only by proving the mailbox: the sign-up sends a link to the stored address, and the
/// account is active again when it is redeemed, not before.
#[tokio::test]
async fn an_inactive_account_is_reactivated_by_a_link_to_its_own_mailbox() {
    let w = WorldBuilder::new().build().await.unwrap();
    open_sign_up(&w, RequiredFields::none()).await;
    let ina = w
        .active_user(w.org, "ina@acme.example", OLD_PASSWORD)
        .await
        .unwrap();
    w.dir
        .change_account(w.admin(), ina, Event::Deactivate)
        .await
        .unwrap();
    w.dir
        .sign_up(form(
            &w,
            "ina@acme.example",
            "an attacker's passphrase",
            None,
        ))
        .await
        .unwrap();
    // Nothing changed yet: neither the old nor the new password signs in.
    assert_eq!(
        state(w.store.get(&RecordKey::User(ina)).await.unwrap()),
        AccountState::Inactive
    );
    for pw in [OLD_PASSWORD, "an attacker's passphrase"] {
        assert!(matches!(
            w.dir.sign_in("ina@acme.example", &Password::new(pw)).await,
            Err(DirectoryError::InvalidCredentials)
        ));
    }
    // The link went to the stored address; redeeming it (choosing a password) reactivates.
    let message = w
        .last_to("ina@acme.example", "activation_link")
        .await
        .expect("a link to the stored mailbox");
    let raw = token_from(&message, "activation").unwrap();
    let chosen = Password::new("ina's own new passphrase");
    assert_eq!(w.dir.activate(&raw, Some(&chosen)).await.unwrap(), ina);
    assert_eq!(
        state(w.store.get(&RecordKey::User(ina)).await.unwrap()),
        AccountState::Active
    );
    assert_eq!(
        w.dir.sign_in("ina@acme.example", &chosen).await.unwrap(),
        ina
    );
    // The link works once.
    assert!(matches!(
        w.dir.activate(&raw, Some(&chosen)).await,
        Err(DirectoryError::InvalidLink)
    ));
}

/// Where self sign-up is off, an inactive account only comes back through staff; no link
/// is sent.
#[tokio::test]
async fn without_self_sign_up_no_reactivation_link_is_sent() {
    let w = WorldBuilder::new().build().await.unwrap();
    let ina = w
        .active_user(w.org, "ina@acme.example", OLD_PASSWORD)
        .await
        .unwrap();
    w.dir
        .change_account(w.admin(), ina, Event::Deactivate)
        .await
        .unwrap();
    let _ = w
        .dir
        .sign_up(form(
            &w,
            "ina@acme.example",
            "a long enough passphrase",
            None,
        ))
        .await;
    assert!(
        w.last_to("ina@acme.example", "activation_link")
            .await
            .is_none()
    );
    assert_eq!(
        state(w.store.get(&RecordKey::User(ina)).await.unwrap()),
        AccountState::Inactive
    );
}

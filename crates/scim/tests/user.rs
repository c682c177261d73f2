//! SCIM Users to and from tenantry users: what Entra ID and Okta send, the errors, and a
//! user created through the directory read back from its SCIM view.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use serde_json::json;
use tenantry::testing::WorldBuilder;
use tenantry::{Caller, NewUser};
use tenantry_identity::{PhoneRegion, UserKind};
use tenantry_lifecycle::WayIn;
use tenantry_scim::user::*;

#[test]
fn an_entra_id_user() {
    let body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER],
        "externalId": "8f0b2c1e-entra",
        "userName": "Paula.Plan@Kuechenwerk.example",
        "active": "True",
        "displayName": "Paula Plan",
        "name": {"givenName": "Paula", "familyName": "Plan", "formatted": "Paula Plan"},
        "emails": [{"primary": true, "type": "work", "value": "paula.plan@kuechenwerk.example"}],
        "phoneNumbers": [{"type": "mobile", "value": "0170 5556667"}],
        "preferredLanguage": "de_DE",
        ENTERPRISE_USER: {"department": "Kitchen", "employeeNumber": "7"}
    });
    let u = user_from_scim(&body, PhoneRegion::from_iso("DE").ok()).unwrap();
    assert_eq!(u.kind, UserKind::Standard);
    assert_eq!(
        u.identifiers.email.as_ref().unwrap().key(),
        "paula.plan@kuechenwerk.example"
    );
    assert_eq!(
        u.identifiers.external_id.unwrap().as_str(),
        "8f0b2c1e-entra"
    );
    assert_eq!(u.profile.first_name.unwrap().as_str(), "Paula");
    assert_eq!(u.profile.phone.unwrap().as_str(), "+491705556667");
    assert_eq!(u.profile.language.unwrap().as_str(), "de-DE");
    assert_eq!(u.active, Some(true));
    assert_eq!(u.department.as_deref(), Some("Kitchen"));
}

#[test]
fn a_username_user_and_the_tenantry_extension() {
    let body = json!({
        "userName": "worker.7",
        "phoneNumbers": [{"value": "+49 170 7654321", "primary": true}],
        "active": false,
        TENANTRY_USER: {"kind": "Consumer", "department": "Bakery", "jobProfile": "Cook"}
    });
    let u = user_from_scim(&body, None).unwrap();
    assert_eq!(u.identifiers.username.unwrap().as_str(), "worker.7");
    assert!(u.identifiers.email.is_none());
    assert_eq!(u.kind, UserKind::Consumer);
    assert_eq!(u.active, Some(false));
    assert_eq!(
        (u.department.as_deref(), u.job_profile.as_deref()),
        (Some("Bakery"), Some("Cook"))
    );
}

/// Entra ID's userName is the user principal name, which need not be the mailbox: it is kept
/// as an identifier of its own beside the email (before, such a user was refused).
#[test]
fn a_user_principal_name_other_than_the_mailbox_is_kept_beside_it() {
    let u = user_from_scim(
        &json!({
            "userName": "Ann.Lee@corp.example",
            "emails": [{"value": "ann@mail.example", "type": "work", "primary": true}],
        }),
        None,
    )
    .unwrap();
    assert_eq!(
        u.identifiers.email.as_ref().map(|e| e.as_str()),
        Some("ann@mail.example")
    );
    assert_eq!(
        u.identifiers.principal_name.as_ref().map(|e| e.as_str()),
        Some("Ann.Lee@corp.example")
    );
    // The same address twice is one identifier, the email.
    let same = user_from_scim(
        &json!({"userName": "ann@mail.example", "emails": [{"value": "ANN@mail.example"}]}),
        None,
    )
    .unwrap();
    assert_eq!(same.identifiers.principal_name, None);
    // Without an email the userName is the email, as before.
    let alone = user_from_scim(&json!({"userName": "ann@mail.example"}), None).unwrap();
    assert_eq!(
        alone.identifiers.email.as_ref().map(|e| e.as_str()),
        Some("ann@mail.example")
    );
}

#[test]
fn bad_users_name_the_attribute() {
    for (body, attribute) in [
        (json!("a string"), "User"),
        (json!({}), "userName"),
        (json!({"userName": "  "}), "userName"),
        (json!({"userName": "not an@email"}), "userName"),
        (json!({"userName": "has space"}), "userName"),
        (
            json!({"userName": "user1", "emails": [{"value": "nope"}]}),
            "emails",
        ),
        (json!({"userName": "user1", "active": "yes"}), "active"),
        (
            json!({"userName": "user1", "phoneNumbers": [{"value": "12"}]}),
            "phoneNumbers",
        ),
        (
            json!({"userName": "user1", "preferredLanguage": "!!"}),
            "preferredLanguage",
        ),
        (
            json!({"userName": "user1", "name": {"givenName": "\u{0007}"}}),
            "name.givenName",
        ),
        (
            json!({"userName": "user1", TENANTRY_USER: {"kind": "robot"}}),
            "kind",
        ),
    ] {
        let err = user_from_scim(&body, None).unwrap_err();
        assert_eq!(err.attribute, attribute, "{body}: {err}");
    }
}

#[tokio::test]
async fn a_directory_user_reads_back_from_its_scim_view() {
    let w = WorldBuilder::new().build().await.unwrap();
    let incoming = json!({
        "userName": "bjensen@example.com",
        "externalId": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs",
        "phoneNumbers": [{"value": "+1 201 555 0123"}],
        "preferredLanguage": "en-US"
    });
    let scim = user_from_scim(&incoming, None).unwrap();
    let new = NewUser {
        kind: scim.kind,
        profile: scim.profile.clone(),
        identifiers: scim.identifiers.clone(),
        way_in: WayIn::None,
        password: None,
    };
    let id = w
        .dir
        .create_user(Caller::System, w.org, new)
        .await
        .unwrap()
        .id;
    let record = w.user_record(id).await.unwrap().unwrap();
    let view = user_to_scim(
        &record,
        &Names {
            department: Some("Kitchen"),
            job_profile: None,
        },
        "https://app.example/scim/v2/",
    );
    assert_eq!(view["id"], id.to_string());
    assert_eq!(view["userName"], "bjensen@example.com");
    assert_eq!(view["emails"][0]["type"], "work");
    assert_eq!(
        view["active"], true,
        "administratively active, though nobody signed in yet"
    );
    assert!(
        view.get(TENANTRY_USER).is_none(),
        "a standard user without a job profile has no tenantry extension"
    );
    assert_eq!(view[ENTERPRISE_USER]["department"], "Kitchen");
    assert_eq!(
        view["meta"]["location"],
        format!("https://app.example/scim/v2/Users/{id}")
    );
    assert_eq!(view["meta"]["created"], "2026-11-22T09:00:00Z");
    // Read back: the same identifiers and profile.
    let again = user_from_scim(&view, None).unwrap();
    assert_eq!(again.identifiers, scim.identifiers);
    assert_eq!(again.profile, scim.profile);
    assert_eq!(again.active, Some(true));
}

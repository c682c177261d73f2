//! SCIM PATCH: RFC 7644 §3.5.2's examples, what Entra ID and Okta send, errors, and that no
//! request makes it panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use proptest::prelude::*;
use serde_json::{Value, json};
use tenantry_scim::patch::{PATCH_OP_SCHEMA, apply};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn ops(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops})
}

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223",
        "userName": "bjensen@example.com",
        "displayName": "Babs",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"type": "work", "value": "bjensen@example.com", "primary": true},
            {"type": "home", "value": "babs@jensen.org"}
        ]
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba",
        "displayName": "Tour Guides",
        "members": [{"value": "2819c223", "display": "Babs"}]
    })
}

#[test]
fn rfc_7644_examples() {
    // Add members.
    let mut g = group();
    apply(
        &mut g,
        &ops(json!([{"op": "add", "path": "members", "value": [{"value": "902c246b", "display": "James"}]}])),
    )
    .unwrap();
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    // Remove one member by filter, then all.
    apply(
        &mut g,
        &ops(json!([{"op": "remove", "path": "members[value eq \"2819c223\"]"}])),
    )
    .unwrap();
    assert_eq!(
        g["members"],
        json!([{"value": "902c246b", "display": "James"}])
    );
    apply(&mut g, &ops(json!([{"op": "remove", "path": "members"}]))).unwrap();
    assert!(g.get("members").is_none());
    // Replace all members.
    apply(
        &mut g,
        &ops(json!([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}])),
    )
    .unwrap();
    assert_eq!(g["members"], json!([{"value": "a"}, {"value": "b"}]));

    // Add without a path: attributes merge, multi-valued ones append.
    let mut u = user();
    apply(
        &mut u,
        &ops(json!([{"op": "add", "value": {
            "emails": [{"value": "babs@example.org", "type": "other"}],
            "nickName": "Babs"
        }}])),
    )
    .unwrap();
    assert_eq!(u["emails"].as_array().unwrap().len(), 3);
    assert_eq!(u["nickName"], "Babs");
    // Replace a sub-attribute of the values a filter selects.
    apply(
        &mut u,
        &ops(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com"}])),
    )
    .unwrap();
    assert_eq!(u["emails"][0]["value"], "barbara@example.com");
    assert_eq!(u["emails"][0]["type"], "work");
    // A complex attribute's sub-attribute; names in any case.
    apply(
        &mut u,
        &ops(json!([
            {"op": "replace", "path": "name.givenName", "value": "Barb"},
            {"op": "replace", "path": "DISPLAYNAME", "value": "Barb J."}
        ])),
    )
    .unwrap();
    assert_eq!(
        u["name"],
        json!({"givenName": "Barb", "familyName": "Jensen"})
    );
    assert_eq!(u["displayName"], "Barb J.");
    assert!(u.get("DISPLAYNAME").is_none());
}

#[test]
fn entra_id_and_okta_requests() {
    // Entra ID: capitalised operation names, a boolean as a string, an extension attribute by
    // its full name, a work email added to a user who has none.
    let mut u = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "1",
        "userName": "worker.7"
    });
    apply(
        &mut u,
        &ops(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": format!("{ENTERPRISE}:department"), "value": "Kitchen"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w7@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Worker"}
        ])),
    )
    .unwrap();
    assert_eq!(
        u["active"], "False",
        "interpreting it is the mapping's part"
    );
    assert_eq!(u[ENTERPRISE]["department"], "Kitchen");
    assert!(
        u["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(ENTERPRISE))
    );
    assert_eq!(
        u["emails"],
        json!([{"type": "work", "value": "w7@example.com"}])
    );
    assert_eq!(u["name"]["familyName"], "Worker");
    // Okta: replace without a path; an extension's whole object.
    apply(
        &mut u,
        &ops(json!([
            {"op": "replace", "value": {"active": false, "displayName": "W. Worker"}},
            {"op": "replace", "value": {ENTERPRISE: {"department": "Bakery", "employeeNumber": "7"}}}
        ])),
    )
    .unwrap();
    assert_eq!(u["active"], false);
    assert_eq!(
        u[ENTERPRISE],
        json!({"department": "Bakery", "employeeNumber": "7"})
    );
    // Removing what is not there is no error.
    apply(&mut u, &ops(json!([{"op": "remove", "path": "nickName"}]))).unwrap();
}

#[test]
fn errors_change_nothing() {
    let original = user();
    for (request, scim_type) in [
        (json!({"Operations": []}), "invalidSyntax"),
        (json!({"schemas": [PATCH_OP_SCHEMA]}), "invalidSyntax"),
        (
            ops(json!([{"op": "move", "path": "title"}])),
            "invalidSyntax",
        ),
        (ops(json!([{"op": "remove"}])), "noTarget"),
        (
            ops(json!([{"op": "replace", "path": "id", "value": "x"}])),
            "mutability",
        ),
        (
            ops(json!([{"op": "replace", "path": "meta", "value": {}}])),
            "mutability",
        ),
        (
            ops(json!([{"op": "replace", "path": "emails[type eq", "value": "x"}])),
            "invalidPath",
        ),
        (
            ops(json!([{"op": "replace", "path": 7, "value": "x"}])),
            "invalidPath",
        ),
        (
            ops(json!([{"op": "add", "value": "not an object"}])),
            "invalidValue",
        ),
        (ops(json!([{"op": "add", "path": "title"}])), "invalidValue"),
        (
            ops(
                json!([{"op": "replace", "path": "emails[value co \"nobody\"].value", "value": "x"}]),
            ),
            "noTarget",
        ),
        (
            // The first operation would apply; the second fails; nothing changes.
            ops(json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "replace", "path": "id", "value": "x"}
            ])),
            "mutability",
        ),
    ] {
        let mut u = original.clone();
        let err = apply(&mut u, &request).unwrap_err();
        assert_eq!(err.scim_type, scim_type, "{request}: {err}");
        assert_eq!(u, original, "{request} changed the resource");
    }
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"op": "remove", "path": "title"}))
        .collect();
    let mut u = original.clone();
    assert_eq!(
        apply(&mut u, &ops(Value::Array(too_many)))
            .unwrap_err()
            .scim_type,
        "tooMany"
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z\"\\[\\] .:]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z:.]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn no_request_panics(
        operations in prop::collection::vec(
            (
                prop::sample::select(vec!["add", "remove", "replace", "Replace", "x"]),
                prop::option::of(prop::sample::select(vec![
                    "emails", "emails[type eq \"work\"]", "emails[type eq \"work\"].value",
                    "name.givenName", "members[value eq \"a\"]", "displayName", "id",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    "emails[value co \"x\" or primary eq true].type", "name[x pr]", "",
                ])),
                prop::option::of(json_value()),
            ),
            0..6,
        )
    ) {
        let body: Vec<Value> = operations
            .into_iter()
            .map(|(op, path, value)| {
                let mut o = json!({"op": op});
                if let Some(p) = path { o["path"] = json!(p); }
                if let Some(v) = value { o["value"] = v; }
                o
            })
            .collect();
        let mut u = user();
        let before = u.clone();
        if apply(&mut u, &ops(Value::Array(body))).is_err() {
            prop_assert_eq!(u, before);
        }
    }
}

/// Entra ID removes one member with a value on the `members` path; some clients send the id
/// alone, or spelled otherwise (upper case, braces). Only the listed members go.
#[test]
fn removing_listed_members_removes_only_them_whatever_the_spelling() {
    let a = "01a2027b-d680-7c3b-9890-e31ecb9a82f5";
    let b = "01a2027b-d680-7495-b6fb-03f8c38e85ae";
    let c = "01a2027b-d680-7886-b6f2-60718a574620";
    let members = || {
        let mut g = group();
        g["members"] = json!([{"value": a}, {"value": b}, {"value": c}]);
        g
    };
    for listed in [
        json!([{"value": b}]),
        json!([b]),
        json!(b),
        json!({"value": b.to_uppercase()}),
        json!([{"value": format!("{{{b}}}")}]),
    ] {
        let mut g = members();
        apply(
            &mut g,
            &ops(json!([{"op": "Remove", "path": "members", "value": listed.clone()}])),
        )
        .unwrap();
        assert_eq!(
            g["members"],
            json!([{"value": a}, {"value": c}]),
            "{listed}"
        );
    }
    // Without a value the attribute goes, as RFC 7644 says.
    let mut g = members();
    apply(&mut g, &ops(json!([{"op": "remove", "path": "members"}]))).unwrap();
    assert!(g.get("members").is_none());
}

/// Okta's rename carries the group's own id: unchanged, it is accepted; changed, refused.
#[test]
fn an_unchanged_read_only_value_is_accepted_a_changed_one_refused() {
    let mut g = group();
    apply(
        &mut g,
        &ops(json!([{"op": "replace", "value": {"id": "e9e30dba", "displayName": "Guides"}}])),
    )
    .unwrap();
    assert_eq!(g["displayName"], "Guides");
    let mut g = group();
    let err = apply(
        &mut g,
        &ops(json!([{"op": "replace", "value": {"id": "other", "displayName": "Guides"}}])),
    )
    .unwrap_err();
    assert_eq!(err.scim_type, "mutability");
    assert_eq!(g, group(), "nothing applied");
}

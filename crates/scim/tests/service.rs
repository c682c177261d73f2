//! The SCIM endpoints through `ScimService::handle`, on a directory in memory: tokens and
//! organizations, ETags, lists, PATCH as identity providers send it, groups, and that every
//! change is the directory's (permission-checked, audited).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::sync::Arc;

use serde_json::{Value, json};
use tenantry::testing::{WorldBuilder, admin_role, user_record};
use tenantry::{AuditQuery, Caller, Directory, Store};
use tenantry_credentials::PinKey;
use tenantry_identity::{OrgId, UserId};
use tenantry_lifecycle::AccountState;
use tenantry_scim::service::{ScimClient, ScimConfigError, ScimRequest, ScimResponse, ScimService};

const BASE: &str = "https://app.example/scim/v2";
const TOKEN_A: &str = "token-of-acme-0123456789abcdef0123456789";
const TOKEN_B: &str = "token-of-bolt-0123456789abcdef0123456789";
const TOKEN_MEMBER: &str = "token-of-a-non-admin-0123456789abcdef012";
const TOKEN_SAM: &str = "token-of-sam-a-second-admin-0123456789ab";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const TENANTRY: &str = "urn:tenantry:params:scim:schemas:extension:tenantry:2.0:User";

struct World {
    dir: Arc<Directory>,
    store: Arc<dyn Store>,
    /// A second admin of Acme, whose token is `TOKEN_SAM`.
    sam: UserId,
    scim: ScimService,
    acme: OrgId,
    acme_admin: UserId,
}

fn admin_grant(org: OrgId, user: UserId) -> tenantry_access::GrantRef {
    tenantry_access::GrantRef {
        user,
        org,
        scope: tenantry_access::Scope::Organization,
    }
}

async fn world() -> World {
    let w = WorldBuilder::new()
        .pin_keys(vec![PinKey::new(1, &[3; 32]).unwrap()])
        .build()
        .await
        .unwrap();
    let (acme, acme_admin) = (w.org, w.admin);
    let (bolt, bolt_admin) = w.add_root("Bolt", "bob@bolt.example").await.unwrap();
    w.enable_pin_users("pins.acme.example").await.unwrap();
    // A plain member of Acme, whose token may read but not change.
    let member = w.invite("max@acme.example").await.unwrap();
    let sam = w
        .active_user(acme, "sam@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    w.grant_admin(sam, acme).await.unwrap();
    let clients = vec![
        ScimClient::new(acme, acme_admin, TOKEN_A).unwrap(),
        ScimClient::new(bolt, bolt_admin, TOKEN_B).unwrap(),
        ScimClient::new(acme, member, TOKEN_MEMBER).unwrap(),
        ScimClient::new(acme, sam, TOKEN_SAM).unwrap(),
    ];
    let dir = Arc::new(w.dir);
    let scim = ScimService::new(dir.clone(), BASE, clients).unwrap();
    World {
        dir,
        sam,
        store: w.store,
        scim,
        acme,
        acme_admin,
    }
}

impl World {
    async fn call_as(
        &self,
        token: Option<&str>,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> ScimResponse {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let auth = token.map(|t| format!("Bearer {t}"));
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.scim
            .handle(ScimRequest {
                method,
                path,
                query,
                authorization: auth.as_deref(),
                if_match,
                if_none_match: if method == "GET" { if_match } else { None },
                body: body.as_bytes(),
            })
            .await
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> ScimResponse {
        self.call_as(Some(TOKEN_A), method, path, body, None).await
    }

    async fn create_user(&self, user_name: &str, email: &str) -> Value {
        let r = self
            .call(
                "POST",
                "/Users",
                Some(json!({
                    "schemas": [USER],
                    "userName": user_name,
                    "name": {"givenName": "Barbara", "familyName": "Jensen"},
                    "emails": [{"value": email, "type": "work", "primary": true}],
                    "active": true,
                })),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body.unwrap()
    }

    async fn state_of(&self, id: &str) -> AccountState {
        let id: UserId = id.parse().unwrap();
        let user = user_record(self.store.as_ref(), id).await.unwrap();
        user.unwrap().account.state()
    }
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": ops})
}

fn status_and_type(r: &ScimResponse) -> (u16, Option<String>) {
    let body = r.body.clone().unwrap_or(Value::Null);
    (r.status, body["scimType"].as_str().map(str::to_owned))
}

#[test]
fn weak_tokens_and_bad_base_urls_are_refused() {
    let id = UserId::from_uuid(uuid_nil());
    assert_eq!(
        ScimClient::new(OrgId::from_uuid(uuid_nil()), id, "short").unwrap_err(),
        ScimConfigError::WeakToken
    );
    assert_eq!(
        ScimClient::new(
            OrgId::from_uuid(uuid_nil()),
            id,
            "with a space 0123456789abcdef0123456789"
        )
        .unwrap_err(),
        ScimConfigError::WeakToken
    );
    let debug = format!(
        "{:?}",
        ScimClient::new(OrgId::from_uuid(uuid_nil()), id, TOKEN_A).unwrap()
    );
    assert!(!debug.contains(TOKEN_A) && debug.contains("redacted"));
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}

#[tokio::test]
async fn tokens_authenticate_and_each_sees_its_own_organization() {
    let w = world().await;
    for token in [
        None,
        Some("nope"),
        Some("token-of-acme-0123456789abcdef012345678X"),
    ] {
        let r = w.call_as(token, "GET", "/Users", None, None).await;
        assert_eq!(r.status, 401, "{token:?}");
        assert_eq!(
            r.body.unwrap()["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
    }
    let created = w.create_user("bjensen", "bjensen@acme.example").await;
    let id = created["id"].as_str().unwrap();
    // Bolt's token neither finds nor lists Acme's user.
    let r = w
        .call_as(Some(TOKEN_B), "GET", &format!("/Users/{id}"), None, None)
        .await;
    assert_eq!(r.status, 404);
    let r = w.call_as(Some(TOKEN_B), "GET", "/Users", None, None).await;
    let listed = r.body.unwrap();
    assert!(
        listed["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != id),
        "{listed}"
    );
    // A token acting as a non-admin may neither read nor change.
    let r = w
        .call_as(Some(TOKEN_MEMBER), "GET", "/Users", None, None)
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = w
        .call_as(Some(TOKEN_MEMBER), "POST", "/Users", Some(json!({
            "schemas": [USER], "userName": "mallory", "emails": [{"value": "m@acme.example"}], "active": true
        })), None)
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
}

#[tokio::test]
async fn users_are_created_audited_and_versioned() {
    let w = world().await;
    let created = w.create_user("bjensen", "bjensen@acme.example").await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["userName"], "bjensen");
    assert_eq!(created["active"], true);
    assert_eq!(created["meta"]["location"], format!("{BASE}/Users/{id}"));
    // The change is the directory's, by the token's user.
    let events = w
        .store
        .audit(&AuditQuery {
            org: Some(w.acme),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "user.created" && e.actor == Some(w.acme_admin)),
        "{events:?}"
    );
    // ETags: a GET with the current one is 304; a change with a stale one is 412.
    let tag = created["meta"]["version"].as_str().unwrap().to_owned();
    let r = w
        .call_as(
            Some(TOKEN_A),
            "GET",
            &format!("/Users/{id}"),
            None,
            Some(&tag),
        )
        .await;
    assert_eq!(r.status, 304);
    let rename = patch(json!([{"op": "replace", "path": "name.givenName", "value": "Babs"}]));
    let r = w
        .call_as(
            Some(TOKEN_A),
            "PATCH",
            &format!("/Users/{id}"),
            Some(rename.clone()),
            Some(&tag),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body.as_ref().unwrap()["name"]["givenName"], "Babs");
    assert_ne!(
        r.etag.as_deref(),
        Some(tag.as_str()),
        "a change moves the version"
    );
    let r = w
        .call_as(
            Some(TOKEN_A),
            "PATCH",
            &format!("/Users/{id}"),
            Some(rename),
            Some(&tag),
        )
        .await;
    assert_eq!(r.status, 412);
    // The same userName twice: uniqueness.
    let r = w
        .call("POST", "/Users", Some(json!({
            "schemas": [USER], "userName": "BJensen", "emails": [{"value": "other@acme.example"}], "active": true
        })))
        .await;
    assert_eq!(status_and_type(&r), (409, Some("uniqueness".into())));
    // Bad input: a typed SCIM error, nothing written.
    let r = w
        .call(
            "POST",
            "/Users",
            Some(json!({"schemas": [USER], "emails": [{"value": "x@acme.example"}]})),
        )
        .await;
    assert_eq!(status_and_type(&r), (400, Some("invalidValue".into())));
    let r = w.call_as(Some(TOKEN_A), "POST", "/Users", None, None).await;
    assert_eq!(status_and_type(&r), (400, Some("invalidSyntax".into())));
}

#[tokio::test]
async fn entra_and_okta_patches_switch_accounts_off_and_on() {
    let w = world().await;
    let created = w.create_user("bjensen", "bjensen@acme.example").await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");
    // Entra ID: a string boolean, and an email by value path.
    let r = w
        .call("PATCH", &path, Some(patch(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "babs@acme.example"},
        ]))))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let body = r.body.unwrap();
    assert_eq!(body["active"], false);
    assert_eq!(body["emails"][0]["value"], "babs@acme.example");
    assert_eq!(w.state_of(&id).await, AccountState::Inactive);
    // Okta: a value object without a path.
    let r = w
        .call(
            "PATCH",
            &path,
            Some(patch(json!([{"op": "replace", "value": {"active": true}}]))),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_ne!(w.state_of(&id).await, AccountState::Inactive);
    // The kind never changes.
    let r = w
        .call(
            "PATCH",
            &path,
            Some(patch(
                json!([{"op": "add", "path": format!("{TENANTRY}:kind"), "value": "consumer"}]),
            )),
        )
        .await;
    assert_eq!(status_and_type(&r), (400, Some("mutability".into())));
    // DELETE: gone from reads and lists.
    let r = w.call("DELETE", &path, None).await;
    assert_eq!(r.status, 204);
    assert_eq!(w.call("GET", &path, None).await.status, 404);
    let listed = w.call("GET", "/Users", None).await.body.unwrap();
    assert!(
        listed["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != id.as_str())
    );
    assert_eq!(w.call("DELETE", &path, None).await.status, 404);
}

#[tokio::test]
async fn lists_filter_sort_page_and_project() {
    let w = world().await;
    for (user, email) in [
        ("carol", "carol@acme.example"),
        ("alice", "alice@acme.example"),
        ("bob", "bob@acme.example"),
    ] {
        w.create_user(user, email).await;
    }
    // Identity providers' lookup: case-insensitive, answered by the login index.
    let r = w
        .call("GET", "/Users?filter=userName%20eq%20%22ALICE%22", None)
        .await;
    let body = r.body.unwrap();
    assert_eq!(body["totalResults"], 1, "{body}");
    assert_eq!(body["Resources"][0]["userName"], "alice");
    // A general filter, sorted descending, the second page of one.
    let r = w
        .call(
            "GET",
            "/Users?filter=emails.value+ew+%22%40acme.example%22+and+name.familyName+sw+%22jen%22&sortBy=userName&sortOrder=descending&startIndex=2&count=1&attributes=userName",
            None,
        )
        .await;
    let body = r.body.unwrap();
    assert_eq!(body["totalResults"], 3, "{body}");
    assert_eq!(body["startIndex"], 2);
    assert_eq!(body["itemsPerPage"], 1);
    let only = &body["Resources"][0];
    assert_eq!(only["userName"], "bob");
    assert!(
        only.get("emails").is_none() && only.get("id").is_some(),
        "{only}"
    );
    // The same as a .search, with excluded attributes.
    let r = w
        .call(
            "POST",
            "/Users/.search",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": "userName sw \"al\"",
                "excludedAttributes": ["emails", "name.givenName"],
            })),
        )
        .await;
    let body = r.body.unwrap();
    assert_eq!(body["totalResults"], 1, "{body}");
    let alice = &body["Resources"][0];
    assert!(alice.get("emails").is_none());
    assert_eq!(alice["name"], json!({"familyName": "Jensen"}));
    // A broken filter is invalidFilter; a bad sortOrder invalidValue.
    let r = w.call("GET", "/Users?filter=userName%20eq", None).await;
    assert_eq!(status_and_type(&r), (400, Some("invalidFilter".into())));
    let r = w
        .call("GET", "/Users?sortBy=userName&sortOrder=sideways", None)
        .await;
    assert_eq!(status_and_type(&r), (400, Some("invalidValue".into())));
}

#[tokio::test]
async fn groups_keep_their_members_in_the_directory() {
    let w = world().await;
    let a = w.create_user("alice", "alice@acme.example").await;
    let b = w.create_user("bob", "bob@acme.example").await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let r = w
        .call(
            "POST",
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Kitchen",
                "externalId": "grp-7",
                "members": [{"value": a}],
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let group = r.body.unwrap();
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    assert_eq!(
        group["members"],
        json!([{"value": a, "$ref": format!("{BASE}/Users/{a}")}])
    );
    assert_eq!(group["externalId"], "grp-7");
    // Entra ID adds and removes members by PATCH.
    let r = w
        .call(
            "PATCH",
            &path,
            Some(patch(json!([
                {"op": "Add", "path": "members", "value": [{"value": b}]},
                {"op": "Remove", "path": format!("members[value eq \"{a}\"]")},
            ]))),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body.unwrap()["members"],
        json!([{"value": b, "$ref": format!("{BASE}/Users/{b}")}])
    );
    // A user of another organization cannot join.
    let bolt_user = w
        .call_as(Some(TOKEN_B), "POST", "/Users", Some(json!({
            "schemas": [USER], "userName": "zed", "emails": [{"value": "zed@bolt.example"}], "active": true
        })), None)
        .await;
    let zed = bolt_user.body.unwrap()["id"].as_str().unwrap().to_owned();
    let r = w
        .call(
            "PATCH",
            &path,
            Some(patch(
                json!([{"op": "add", "path": "members", "value": [{"value": zed}]}]),
            )),
        )
        .await;
    assert_eq!(status_and_type(&r), (400, Some("invalidValue".into())));
    // Filter groups by name; delete one.
    let r = w
        .call(
            "GET",
            "/Groups?filter=displayName%20eq%20%22kitchen%22",
            None,
        )
        .await;
    assert_eq!(r.body.unwrap()["totalResults"], 1);
    assert_eq!(w.call("DELETE", &path, None).await.status, 204);
    assert_eq!(w.call("GET", &path, None).await.status, 404);
}

#[tokio::test]
async fn pin_users_are_created_through_the_tenantry_extension() {
    let w = world().await;
    let r = w
        .call(
            "POST",
            "/Users",
            Some(json!({
                "schemas": [USER, TENANTRY],
                "userName": "max.muster",
                "externalId": "4711",
                "name": {"givenName": "Max", "familyName": "Muster"},
                "active": true,
                TENANTRY: {"kind": "pin"},
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let body = r.body.unwrap();
    assert_eq!(body[TENANTRY]["kind"], "pin");
    assert_eq!(body["userName"], "max.muster@pins.acme.example");
    assert_eq!(body["externalId"], "4711");
    // Found by externalId through the login index.
    let r = w
        .call("GET", "/Users?filter=externalId%20eq%20%224711%22", None)
        .await;
    assert_eq!(r.body.unwrap()["totalResults"], 1);
}

#[tokio::test]
async fn discovery_and_unknown_endpoints() {
    let w = world().await;
    let r = w.call("GET", "/ServiceProviderConfig", None).await;
    let config = r.body.unwrap();
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    let r = w.call("GET", "/Schemas", None).await;
    assert_eq!(r.body.unwrap()["totalResults"], 4);
    assert_eq!(w.call("GET", "/ResourceTypes/User", None).await.status, 200);
    assert_eq!(w.call("GET", "/Nope", None).await.status, 404);
    assert_eq!(w.call("PUT", "/Schemas", None).await.status, 405);
    assert_eq!(w.call("POST", "/Bulk", Some(json!({}))).await.status, 501);
}

/// A token's user is checked on every request: blocked, or demoted, they can neither read
/// nor write; unblocked and promoted again, they can.
#[tokio::test]
async fn a_token_whose_user_was_blocked_or_demoted_reads_and_writes_nothing() {
    let w = world().await;
    let bjensen = w.create_user("bjensen", "bjensen@acme.example").await;
    let one = format!("/Users/{}", bjensen["id"].as_str().unwrap());
    let new_user = || {
        Some(json!({
            "schemas": [USER], "userName": "eve", "emails": [{"value": "eve@acme.example"}]
        }))
    };
    assert_eq!(sam_statuses(&w, &one).await, [200, 200, 200, 200]);
    w.dir
        .change_account(
            Caller::User(w.acme_admin),
            w.sam,
            tenantry_lifecycle::Event::Block,
        )
        .await
        .unwrap();
    assert_eq!(sam_statuses(&w, &one).await, [403, 403, 403, 403]);
    let r = w
        .call_as(Some(TOKEN_SAM), "POST", "/Users", new_user(), None)
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    w.dir
        .change_account(
            Caller::User(w.acme_admin),
            w.sam,
            tenantry_lifecycle::Event::Unblock,
        )
        .await
        .unwrap();
    assert_eq!(sam_statuses(&w, &one).await, [200, 200, 200, 200]);
    w.dir
        .change_grant(
            Caller::User(w.acme_admin),
            admin_grant(w.acme, w.sam),
            tenantry_access::Change::Revoke {
                what: admin_role(),
                cascade: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(sam_statuses(&w, &one).await, [403, 403, 403, 403]);
    let r = w
        .call_as(Some(TOKEN_SAM), "POST", "/Users", new_user(), None)
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
}

/// What Sam's token gets for a list of users, one user, a list of groups and a search.
async fn sam_statuses(w: &World, one: &str) -> [u16; 4] {
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
    [
        w.call_as(Some(TOKEN_SAM), "GET", "/Users", None, None)
            .await
            .status,
        w.call_as(Some(TOKEN_SAM), "GET", one, None, None)
            .await
            .status,
        w.call_as(Some(TOKEN_SAM), "GET", "/Groups", None, None)
            .await
            .status,
        w.call_as(Some(TOKEN_SAM), "POST", "/.search", Some(search), None)
            .await
            .status,
    ]
}

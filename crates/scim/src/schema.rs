//! What the server publishes about itself (RFC 7643 §5–7): `/ServiceProviderConfig`,
//! `/ResourceTypes` and `/Schemas`.
//!
//! The schemas list only what tenantry stores and returns as it was sent, because clients
//! (and the scim2-tester compliance checker) take them at their word: an attribute listed
//! here round-trips. So the core User schema has no addresses, photos, ims, entitlements,
//! roles or x509 certificates; `phoneNumbers` is not listed either, because a national
//! number comes back in E.164 form (it is still read, see [`crate::user`]); `emails` and
//! `phoneNumbers` carry only `value` and `type` (`work`): tenantry keeps one of each.
//! `primary` is read (to choose among several a client sends) and given back, as the client
//! stated it, on the email tenantry keeps (kept as the user attribute `scim.email_primary`). `title` and the enterprise extension's `department`,
//! `employeeNumber`, `costCenter`, `organization` and `division` round-trip (kept as user
//! attributes, see [`crate::user`]). Read and written but not published: `phoneNumbers` by
//! type (they come back in E.164 form) and the enterprise `manager` (only the id of a user
//! of the same organization is accepted, which a checker's made-up value is not).
//! Ignored: `nickName`, `profileUrl`, `userType`, `locale`, `timezone`, `password`,
//! `addresses`, `ims`, `photos`, `entitlements`, `roles`, `x509Certificates`, `groups`
//! (membership is changed through the Group), and the other sub-attributes of `name`.
//! Deviations, each for a reason:
//!
//! - `emails` is published as required: tenantry needs a way to reach a user (an email,
//!   or a username with a phone, which SCIM cannot round-trip; see above).
//! - `active` is published as required: tenantry always has an answer (an account is
//!   switched off or not), so it cannot be "removed"; a request without it keeps the current
//!   state, or creates an active user.
//! - tenantry's `kind` is `readOnly` (a user's kind never changes), yet a POST may set it:
//!   it is how an integration creates consumers and PIN users. RFC 7643 would have a server
//!   ignore a client's readOnly value; tenantry reads it at creation only.

use serde_json::{Value, json};

use crate::user::{ENTERPRISE_USER, TENANTRY_USER, USER_SCHEMA};

/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The schema of `/Schemas` entries.
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// The schema of `/ResourceTypes` entries.
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// The schema of `/ServiceProviderConfig`.
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// The schema of list responses.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The schema of error responses.
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The schema of PATCH requests.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The schema of `.search` requests.
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The most resources one list response returns (`count` above it is lowered to it).
pub const MAX_RESULTS: usize = 1000;

/// Languages offered as `preferredLanguage`'s canonical values (any BCP 47 tag is read).
const LANGUAGES: &[&str] = &["en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv", "tr"];

/// One attribute definition.
struct Attr {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    mutability: &'static str,
    returned: &'static str,
    uniqueness: &'static str,
    case_exact: bool,
    canonical: &'static [&'static str],
    references: &'static [&'static str],
    sub: Vec<Attr>,
}

impl Attr {
    fn new(name: &'static str, kind: &'static str) -> Self {
        Self {
            name,
            kind,
            multi: false,
            required: false,
            mutability: "readWrite",
            returned: "default",
            uniqueness: "none",
            case_exact: false,
            canonical: &[],
            references: &[],
            sub: Vec::new(),
        }
    }
    fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn mutability(mut self, m: &'static str) -> Self {
        self.mutability = m;
        self
    }
    fn unique(mut self) -> Self {
        self.uniqueness = "server";
        self
    }
    fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical = values;
        self
    }
    fn references(mut self, types: &'static [&'static str]) -> Self {
        self.references = types;
        self
    }
    fn sub(mut self, sub: Vec<Attr>) -> Self {
        self.sub = sub;
        self
    }
    fn json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": "",
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        });
        if !self.canonical.is_empty() {
            v["canonicalValues"] = json!(self.canonical);
        }
        if !self.references.is_empty() {
            v["referenceTypes"] = json!(self.references);
        }
        if !self.sub.is_empty() {
            v["subAttributes"] = Value::Array(self.sub.iter().map(Attr::json).collect());
        }
        v
    }
}

fn value_type_primary() -> Vec<Attr> {
    vec![
        Attr::new("value", "string").required(),
        Attr::new("type", "string").canonical(&["work"]),
        // Read to choose among several values, and given back as the client stated it on
        // the value tenantry keeps (Okta expects `"primary": true` back).
        Attr::new("primary", "boolean"),
    ]
}

fn schema(id: &str, name: &str, description: &str, attributes: &[Attr], base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(Attr::json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{id}", base(base_url)),
        },
    })
}

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// Every schema the server publishes, in the order `/Schemas` lists them.
pub fn schemas(base_url: &str) -> Vec<Value> {
    let user = [
        Attr::new("userName", "string").required().unique(),
        Attr::new("name", "complex").sub(vec![
            Attr::new("givenName", "string"),
            Attr::new("familyName", "string"),
        ]),
        Attr::new("displayName", "string"),
        Attr::new("title", "string"),
        Attr::new("preferredLanguage", "string").canonical(LANGUAGES),
        Attr::new("active", "boolean").required(),
        Attr::new("emails", "complex")
            .multi()
            .required()
            .sub(value_type_primary()),
    ];
    let enterprise = [
        Attr::new("employeeNumber", "string"),
        Attr::new("costCenter", "string"),
        Attr::new("organization", "string"),
        Attr::new("division", "string"),
        Attr::new("department", "string"),
    ];
    let tenantry = [
        Attr::new("kind", "string")
            .mutability("readOnly")
            .canonical(&["standard", "guest", "consumer", "pin"]),
        Attr::new("jobProfile", "string"),
    ];
    let group = [
        Attr::new("displayName", "string").required(),
        Attr::new("members", "complex").multi().sub(vec![
            Attr::new("value", "string").mutability("immutable"),
            Attr::new("$ref", "reference")
                .mutability("immutable")
                .references(&["User"]),
            Attr::new("display", "string").mutability("readOnly"),
        ]),
    ];
    vec![
        schema(USER_SCHEMA, "User", "User Account", &user, base_url),
        schema(
            ENTERPRISE_USER,
            "EnterpriseUser",
            "Enterprise User",
            &enterprise,
            base_url,
        ),
        schema(
            TENANTRY_USER,
            "TenantryUser",
            "tenantry's user kind and job profile",
            &tenantry,
            base_url,
        ),
        schema(GROUP_SCHEMA, "Group", "Group", &group, base_url),
    ]
}

/// The `/ResourceTypes` entries.
pub fn resource_types(base_url: &str) -> Vec<Value> {
    let b = base(base_url);
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [
                {"schema": ENTERPRISE_USER, "required": false},
                {"schema": TENANTRY_USER, "required": false},
            ],
            "meta": {"resourceType": "ResourceType", "location": format!("{b}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{b}/ResourceTypes/Group")},
        }),
    ]
}

/// `/ServiceProviderConfig`: PATCH, filters, sorting and ETags supported; bulk and
/// password changes not (passwords stay with tenantry's own flows).
pub fn service_provider_config(base_url: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A bearer token issued by the host for one organization",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(base_url)),
        },
    })
}

/// The definition of `path` (`userName`, `name.givenName`, `emails.value`, or prefixed by a
/// schema URN) in the User or Group schemas: `(caseExact, multiValued)`, for filters and
/// sorting. Unknown attributes are `None`.
pub fn attribute_traits(resource: &str, path: &str) -> Option<(bool, bool)> {
    // Asked once per comparison while a filter runs over a list: built once.
    static SCHEMAS: std::sync::LazyLock<Vec<Value>> = std::sync::LazyLock::new(|| schemas(""));
    let schemas = &*SCHEMAS;
    let (urn, rest) = split_urn(path);
    let candidates: Vec<&Value> = schemas
        .iter()
        .filter(|s| {
            let id = s["id"].as_str().unwrap_or_default();
            match urn {
                Some(u) => id.eq_ignore_ascii_case(u),
                None => {
                    (resource == "User" && id == USER_SCHEMA)
                        || (resource == "Group" && id == GROUP_SCHEMA)
                }
            }
        })
        .collect();
    let mut parts = rest.splitn(2, '.');
    let first = parts.next()?;
    let sub = parts.next();
    for s in candidates {
        let attrs = s["attributes"].as_array()?;
        let Some(a) = attrs.iter().find(|a| {
            a["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(first))
        }) else {
            continue;
        };
        let multi = a["multiValued"].as_bool().unwrap_or(false);
        return match sub {
            None => Some((a["caseExact"].as_bool().unwrap_or(false), multi)),
            Some(sub) => a["subAttributes"]
                .as_array()?
                .iter()
                .find(|b| {
                    b["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(sub))
                })
                .map(|b| (b["caseExact"].as_bool().unwrap_or(false), multi)),
        };
    }
    None
}

/// Splits `urn:...:User:name.givenName` into the URN and the attribute path.
pub(crate) fn split_urn(path: &str) -> (Option<&str>, &str) {
    if path.len() > 4 && path[..4].eq_ignore_ascii_case("urn:") {
        match path.rfind(':') {
            Some(i) => (Some(&path[..i]), &path[i + 1..]),
            None => (None, path),
        }
    } else {
        (None, path)
    }
}

//! SCIM User resources (RFC 7643 §4.1, the enterprise extension §4.3, and tenantry's own
//! extension for the user kind, department and job profile) to and from tenantry users.
//!
//! | SCIM | tenantry |
//! | --- | --- |
//! | `id` | the user's id |
//! | `externalId` | `LoginIdentifiers::external_id` |
//! | `userName` | the username; an email-shaped userName is the principal name (`LoginIdentifiers::principal_name`) when the primary email differs from it, else the email; a PIN user's placeholder email |
//! | `name.givenName`, `name.familyName` | first and last name |
//! | `displayName` | the display name |
//! | `emails` (primary, or the first) | the email (the mailbox; also the userName when they are the same) |
//! | `phoneNumbers` (primary, or the first) | the phone, E.164 (national numbers in the organization's region) |
//! | `phoneNumbers` by `type` (work, home, mobile, fax, pager, other) | user attributes `scim.phone.<type>`, E.164 |
//! | `title` | user attribute `scim.title` |
//! | enterprise `employeeNumber`, `costCenter`, `organization`, `division` | user attributes `scim.employee_number`, `scim.cost_center`, `scim.organization`, `scim.division` |
//! | enterprise `manager` (`{"value": id}`, or the id alone as Entra ID sends it) | user attribute `scim.manager`: the id of a user of the same organization |
//! | `preferredLanguage` | the language (BCP 47) |
//! | `active` | the administrative status: false when the account is switched off (inactive) or blocked, true otherwise, also before the first sign-in (`"True"`/`"False"` strings accepted, as Entra ID sends) |
//! | enterprise `department` | the department's name (tenantry's `department` is read too) |
//! | tenantry `kind`, `jobProfile` | the user kind (consumer, PIN, ...; written only when not standard) and the job profile's name |
//!
//! What is ignored is listed in [`crate::schema`]. The user attributes SCIM keeps start with
//! `scim.`; a SCIM request replaces all of them and leaves the host's other attributes.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use tenantry::UserRecord;
use tenantry_identity::{
    Attributes, DisplayName, Email, ExternalId, Language, LoginIdentifiers, NamePart, Phone,
    PhoneRegion, Profile, UserKind, Username,
};
use tenantry_lifecycle::AccountState;

use crate::filter::member;

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension.
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// tenantry's User extension: kind, department, job profile.
pub const TENANTRY_USER: &str = "urn:tenantry:params:scim:schemas:extension:tenantry:2.0:User";

/// Why a SCIM User cannot become a tenantry user: SCIM's `invalidValue`, naming the
/// attribute.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalidValue: {attribute}: {problem}")]
pub struct MappingError {
    /// The SCIM attribute.
    pub attribute: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn invalid(attribute: &'static str, problem: impl std::fmt::Display) -> MappingError {
    MappingError {
        attribute,
        problem: problem.to_string(),
    }
}

/// What a SCIM User says of a tenantry user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimUser {
    /// The kind (tenantry extension; standard when absent).
    pub kind: UserKind,
    /// Names, phone, language (department and job profile by name, below).
    pub profile: Profile,
    /// Email, username, external id.
    pub identifiers: LoginIdentifiers,
    /// Whether the account should be active, if the resource says.
    pub active: Option<bool>,
    /// The department's name (tenantry extension, else the enterprise extension).
    pub department: Option<String>,
    /// The job profile's name (tenantry extension).
    pub job_profile: Option<String>,
    /// The attributes that have no field of their own in tenantry, as user attributes
    /// under keys starting with [`SCIM_ATTRIBUTE_PREFIX`] (see the table above). A
    /// resource replaces all of these at once; the user's other attributes stay.
    pub attributes: BTreeMap<String, String>,
}

/// The prefix of the user attributes (`Profile::attributes`) SCIM keeps: `scim.title`,
/// `scim.employee_number`, `scim.cost_center`, `scim.organization`, `scim.division`,
/// `scim.manager` and `scim.phone.<type>`.
pub const SCIM_ATTRIBUTE_PREFIX: &str = "scim.";

/// The phone types SCIM names (RFC 7643 §4.1.2); any other is kept as `other`.
const PHONE_TYPES: [&str; 6] = ["work", "home", "mobile", "fax", "pager", "other"];

/// Plain strings of the core and enterprise schemas kept as user attributes:
/// (the extension or core, the SCIM name, the attribute key).
const KEPT: [(Option<&str>, &str, &str); 5] = [
    (None, "title", "scim.title"),
    (
        Some(ENTERPRISE_USER),
        "employeeNumber",
        "scim.employee_number",
    ),
    (Some(ENTERPRISE_USER), "costCenter", "scim.cost_center"),
    (Some(ENTERPRISE_USER), "organization", "scim.organization"),
    (Some(ENTERPRISE_USER), "division", "scim.division"),
];
/// The user attribute that holds the manager's user id.
pub const MANAGER_ATTRIBUTE: &str = "scim.manager";
const MANAGER: &str = MANAGER_ATTRIBUTE;
/// Whether the client marked the email primary (`true` or `false`), as it was sent.
const EMAIL_PRIMARY: &str = "scim.email_primary";
const PHONE: &str = "scim.phone.";

fn text<'v>(v: &'v Value, name: &str) -> Option<&'v str> {
    member(v, name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The primary value of a multi-valued attribute, else its first.
fn primary<'v>(v: &'v Value, name: &str) -> Option<&'v str> {
    let items = member(v, name)?.as_array()?;
    // Items without a value (what a remove of `emails[type eq "work"].value` leaves) are
    // no values at all.
    let with_value = || items.iter().filter(|i| text(i, "value").is_some());
    with_value()
        .find(|i| member(i, "primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| with_value().next())
        .and_then(|i| text(i, "value"))
}

/// A boolean, or Entra ID's `"True"`/`"False"`.
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads a SCIM User (as POSTed or PUT) into what tenantry needs. Phone numbers without a
/// country code are read in `region`.
pub fn user_from_scim(
    resource: &Value,
    region: Option<PhoneRegion>,
) -> Result<ScimUser, MappingError> {
    if !resource.is_object() {
        return Err(invalid("User", "must be a JSON object"));
    }
    let user_name = text(resource, "userName").ok_or_else(|| invalid("userName", "is required"))?;
    let mut identifiers = LoginIdentifiers::default();
    // userName is an identifier of its own: a username, or an email-shaped name (Entra ID's
    // user principal name, Okta's username) that is the user's email only when no other
    // primary email is given.
    let mailbox = primary(resource, "emails")
        .map(|e| Email::parse(e).map_err(|e| invalid("emails", e)))
        .transpose()?;
    if user_name.contains('@') {
        let name = Email::parse(user_name).map_err(|e| invalid("userName", e))?;
        match mailbox {
            Some(email) if email.key() != name.key() => {
                identifiers.email = Some(email);
                identifiers.principal_name = Some(name);
            }
            Some(email) => identifiers.email = Some(email),
            None => identifiers.email = Some(name),
        }
    } else {
        identifiers.username =
            Some(Username::parse(user_name).map_err(|e| invalid("userName", e))?);
        identifiers.email = mailbox;
    }
    if let Some(id) = text(resource, "externalId") {
        identifiers.external_id =
            Some(ExternalId::parse(id).map_err(|e| invalid("externalId", e))?);
    }
    let name = member(resource, "name").cloned().unwrap_or(Value::Null);
    let part = |attribute: &'static str, key: &str| {
        text(&name, key)
            .map(|s| NamePart::parse(s).map_err(|e| invalid(attribute, e)))
            .transpose()
    };
    let mut profile = Profile {
        first_name: part("name.givenName", "givenName")?,
        last_name: part("name.familyName", "familyName")?,
        ..Profile::default()
    };
    if let Some(d) = text(resource, "displayName") {
        profile.display_name = Some(DisplayName::parse(d).map_err(|e| invalid("displayName", e))?);
    }
    let phone = |p: &str| {
        let p = p.strip_prefix("tel:").unwrap_or(p);
        Phone::parse_with_region(p, region).map_err(|e| invalid("phoneNumbers", e))
    };
    if let Some(p) = primary(resource, "phoneNumbers") {
        profile.phone = Some(phone(p)?);
    }
    let mut attributes = BTreeMap::new();
    // Whether the client marked the email primary, so that the answer says what it was sent
    // (Okta expects `"primary": true` back; a client that sent none gets none).
    let stated_primary = member(resource, "emails")
        .and_then(Value::as_array)
        .and_then(|items| {
            // The item `primary` chose: the one marked primary, else the first with a value.
            let with_value = || items.iter().filter(|i| text(i, "value").is_some());
            with_value()
                .find(|i| member(i, "primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| with_value().next())
        })
        .and_then(|chosen| member(chosen, "primary").and_then(boolean));
    if let Some(flag) = stated_primary {
        attributes.insert(EMAIL_PRIMARY.to_owned(), flag.to_string());
    }
    // Every number by its type, in E.164 form; the primary one is also the profile's phone.
    for item in member(resource, "phoneNumbers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(number) = text(item, "value") else {
            continue;
        };
        let kind = text(item, "type").map_or("work".to_owned(), str::to_ascii_lowercase);
        let kind = if PHONE_TYPES.contains(&kind.as_str()) {
            kind
        } else {
            "other".to_owned()
        };
        attributes.insert(format!("{PHONE}{kind}"), phone(number)?.as_str().to_owned());
    }
    if let Some(l) = text(resource, "preferredLanguage") {
        // SCIM uses `en-US` or `en_US`; BCP 47 wants the hyphen.
        let l = l.replace('_', "-");
        profile.language = Some(Language::parse(&l).map_err(|e| invalid("preferredLanguage", e))?);
    }
    let active = match member(resource, "active") {
        None | Some(Value::Null) => None,
        Some(v) => Some(boolean(v).ok_or_else(|| invalid("active", "must be true or false"))?),
    };
    let ext = member(resource, TENANTRY_USER)
        .cloned()
        .unwrap_or(Value::Null);
    let enterprise = member(resource, ENTERPRISE_USER)
        .cloned()
        .unwrap_or(Value::Null);
    let kind = match text(&ext, "kind") {
        None => UserKind::Standard,
        Some(k) => UserKind::parse(&k.to_ascii_lowercase())
            .ok_or_else(|| invalid("kind", "standard, guest, consumer or pin"))?,
    };
    for (extension, name, key) in KEPT {
        let scope = extension.map_or(resource, |_| &enterprise);
        match member(scope, name) {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if v.trim().is_empty() => {}
            Some(Value::String(v)) => {
                attributes.insert(key.to_owned(), v.trim().to_owned());
            }
            Some(_) => return Err(invalid(name, "must be a string")),
        }
    }
    // The manager as Entra ID sends it (the id alone) or as RFC 7643 has it ({"value": id}).
    let manager = match member(&enterprise, "manager") {
        Some(Value::String(id)) => Some(id.trim()),
        Some(m @ Value::Object(_)) => text(m, "value"),
        _ => None,
    };
    if let Some(id) = manager.filter(|id| !id.is_empty()) {
        let id = id
            .parse::<tenantry_identity::UserId>()
            .map_err(|_| invalid("manager", format!("`{id}` is not a user id")))?;
        attributes.insert(MANAGER.to_owned(), id.to_string());
    }
    for (key, value) in &attributes {
        // Validated as user attributes are (length, characters).
        Attributes::new()
            .insert(key, value)
            .map_err(|e| invalid("attributes", e))?;
    }
    Ok(ScimUser {
        kind,
        profile,
        identifiers,
        active,
        attributes,
        department: text(&ext, "department")
            .or_else(|| text(&enterprise, "department"))
            .map(str::to_owned),
        job_profile: text(&ext, "jobProfile").map(str::to_owned),
    })
}

/// Names the SCIM view shows for ids it cannot print itself.
#[derive(Clone, Debug, Default)]
pub struct Names<'a> {
    /// The user's department's name.
    pub department: Option<&'a str>,
    /// The user's job profile's name.
    pub job_profile: Option<&'a str>,
}

/// A tenantry user as a SCIM User, with `meta.location` under `base_url` (`.../scim/v2`).
pub fn user_to_scim(record: &UserRecord, names: &Names<'_>, base_url: &str) -> Value {
    let user = &record.user;
    let ids = user.identifiers();
    let profile = user.profile();
    let id = user.id().to_string();
    let user_name = ids
        .username
        .as_ref()
        .map(|u| u.as_str().to_owned())
        .or_else(|| ids.principal_name.as_ref().map(|e| e.as_str().to_owned()))
        .or_else(|| ids.email.as_ref().map(|e| e.as_str().to_owned()))
        .or_else(|| {
            ids.placeholder_email
                .as_ref()
                .map(|e| e.as_str().to_owned())
        })
        .unwrap_or_else(|| id.clone());
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    if let Some(x) = &ids.external_id {
        out.insert("externalId".into(), json!(x.as_str()));
    }
    out.insert("userName".into(), json!(user_name));
    let mut name = Map::new();
    if let Some(f) = &profile.first_name {
        name.insert("givenName".into(), json!(f.as_str()));
    }
    if let Some(l) = &profile.last_name {
        name.insert("familyName".into(), json!(l.as_str()));
    }
    if !name.is_empty() {
        out.insert("name".into(), Value::Object(name));
    }
    if let Some(d) = &profile.display_name {
        out.insert("displayName".into(), json!(d.as_str()));
    }
    let kept = |key: &str| profile.attributes.get(key);
    if let Some(e) = &ids.email {
        out.insert(
            "emails".into(),
            match kept(EMAIL_PRIMARY) {
                Some(flag) => {
                    json!([{"value": e.as_str(), "type": "work", "primary": flag == "true"}])
                }
                None => json!([{"value": e.as_str(), "type": "work"}]),
            },
        );
    }
    let mut phones: Vec<Value> = PHONE_TYPES
        .iter()
        .filter_map(|t| {
            kept(&format!("{PHONE}{t}")).map(|number| {
                let primary = profile.phone.as_ref().is_some_and(|p| p.as_str() == number);
                let mut item = json!({"value": number, "type": t});
                if primary {
                    item["primary"] = json!(true);
                }
                item
            })
        })
        .collect();
    if let Some(p) = &profile.phone
        && !phones.iter().any(|item| item["value"] == p.as_str())
    {
        // The phone was set outside SCIM (or no type was kept): it is the work number.
        phones.retain(|item| item["type"] != "work");
        phones.insert(
            0,
            json!({"value": p.as_str(), "type": "work", "primary": true}),
        );
    }
    if !phones.is_empty() {
        out.insert("phoneNumbers".into(), Value::Array(phones));
    }
    if let Some(title) = kept("scim.title") {
        out.insert("title".into(), json!(title));
    }
    if let Some(l) = &profile.language {
        out.insert("preferredLanguage".into(), json!(l.as_str()));
    }
    // `active` is the administrative status: not switched off (inactive) or blocked. An
    // account still waiting for its first sign-in is active in this sense.
    out.insert(
        "active".into(),
        json!(!matches!(
            record.account.state(),
            AccountState::Inactive | AccountState::Blocked | AccountState::Deleted
        )),
    );
    let mut schemas = vec![USER_SCHEMA];
    let mut enterprise = Map::new();
    if let Some(d) = names.department {
        enterprise.insert("department".into(), json!(d));
    }
    for (extension, name, key) in KEPT {
        if extension.is_some()
            && let Some(v) = kept(key)
        {
            enterprise.insert(name.into(), json!(v));
        }
    }
    if let Some(m) = kept(MANAGER) {
        enterprise.insert(
            "manager".into(),
            json!({"value": m, "$ref": format!("{}/Users/{m}", base_url.trim_end_matches('/'))}),
        );
    }
    if !enterprise.is_empty() {
        out.insert(ENTERPRISE_USER.into(), Value::Object(enterprise));
        schemas.push(ENTERPRISE_USER);
    }
    // The kind is only written when it is not the default (standard).
    let mut ext = Map::new();
    if user.kind() != UserKind::Standard {
        ext.insert("kind".into(), json!(user.kind().as_str()));
    }
    if let Some(j) = names.job_profile {
        ext.insert("jobProfile".into(), json!(j));
    }
    if !ext.is_empty() {
        out.insert(TENANTRY_USER.into(), Value::Object(ext));
        schemas.push(TENANTRY_USER);
    }
    out.insert("schemas".into(), json!(schemas));
    let secs = chrono::SecondsFormat::Secs;
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": user.created_at().to_rfc3339_opts(secs, true),
            "lastModified": user.updated_at().to_rfc3339_opts(secs, true),
            "version": crate::weak_etag(user.version()),
            "location": format!("{}/Users/{id}", base_url.trim_end_matches('/')),
        }),
    );
    Value::Object(out)
}

//! SCIM Group resources (RFC 7643 §4.2) to and from tenantry groups.
//!
//! | SCIM | tenantry |
//! | --- | --- |
//! | `id` | the group's id |
//! | `externalId` | `Group::external_id` |
//! | `displayName` | the group's name |
//! | `members[].value` | a member's user id (users of the group's organization only) |
//! | `members[].$ref` | the member's `/Users/{id}` location |
//!
//! Groups do not nest in tenantry, so members are users; `members[].type` other than
//! `User` is refused.

use serde_json::{Map, Value, json};
use tenantry_identity::{ExternalId, Group, Name, UserId};

use crate::filter::member;
use crate::schema::GROUP_SCHEMA;
use crate::user::MappingError;

/// What a SCIM Group says of a tenantry group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimGroup {
    /// The name (`displayName`).
    pub name: Name,
    /// The provisioning system's id for it.
    pub external_id: Option<ExternalId>,
    /// The members, in the order given, without repeats.
    pub members: Vec<UserId>,
}

fn invalid(attribute: &'static str, problem: impl std::fmt::Display) -> MappingError {
    MappingError {
        attribute,
        problem: problem.to_string(),
    }
}

/// Reads a SCIM Group (as POSTed or PUT).
pub fn group_from_scim(resource: &Value) -> Result<ScimGroup, MappingError> {
    if !resource.is_object() {
        return Err(invalid("Group", "must be a JSON object"));
    }
    let name = member(resource, "displayName")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("displayName", "is required"))?;
    let name = Name::parse(name).map_err(|e| invalid("displayName", e))?;
    let external_id = match member(resource, "externalId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(ExternalId::parse(s).map_err(|e| invalid("externalId", e))?),
        Some(_) => return Err(invalid("externalId", "must be a string")),
    };
    let mut members = Vec::new();
    match member(resource, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                if let Some(kind) = member(item, "type").and_then(Value::as_str)
                    && !kind.eq_ignore_ascii_case("User")
                {
                    return Err(invalid(
                        "members",
                        "groups take users as members, not groups",
                    ));
                }
                let value = member(item, "value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("members", "every member needs a value (a user id)"))?;
                let id = value
                    .parse::<UserId>()
                    .map_err(|_| invalid("members", format!("`{value}` is not a user id")))?;
                if !members.contains(&id) {
                    members.push(id);
                }
            }
        }
        Some(_) => return Err(invalid("members", "must be an array")),
    }
    Ok(ScimGroup {
        name,
        external_id,
        members,
    })
}

/// A tenantry group as a SCIM Group, with its `members` and `meta` (the version is the
/// stored record's) under `base_url` (`.../scim/v2`).
pub fn group_to_scim(group: &Group, version: u64, members: &[UserId], base_url: &str) -> Value {
    let base = base_url.trim_end_matches('/');
    let id = group.id.to_string();
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), json!(id));
    if let Some(x) = &group.external_id {
        out.insert("externalId".into(), json!(x.as_str()));
    }
    out.insert("displayName".into(), json!(group.name.as_str()));
    if !members.is_empty() {
        let members: Vec<Value> = members
            .iter()
            .map(|m| json!({"value": m.to_string(), "$ref": format!("{base}/Users/{m}")}))
            .collect();
        out.insert("members".into(), Value::Array(members));
    }
    let secs = chrono::SecondsFormat::Secs;
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": group.created_at.to_rfc3339_opts(secs, true),
            "version": crate::weak_etag(version),
            "location": format!("{base}/Groups/{id}"),
        }),
    );
    Value::Object(out)
}

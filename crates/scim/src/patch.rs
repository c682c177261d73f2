//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: `add`, `remove` and `replace`,
//! with attribute paths, schema-URI paths and value filters, as Entra ID and Okta send them
//! (operation names in any case, no path with an object value, fully qualified extension
//! attribute names as keys).
//!
//! The result is the resource as it should be; mapping it back onto the directory (and
//! refusing what may not change) is the caller's part.

use serde_json::{Map, Value};

use crate::filter::{AttrPath, CompValue, CompareOp, Filter, PatchPath};

/// The most operations one PATCH request may carry.
pub const MAX_OPERATIONS: usize = 1000;

/// Why an operation could not be applied, with SCIM's `scimType`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{scim_type}: {detail}")]
pub struct PatchError {
    /// `invalidSyntax`, `invalidPath`, `noTarget`, `invalidValue`, `mutability` or
    /// `tooMany`.
    pub scim_type: &'static str,
    /// What was wrong (names the operation).
    pub detail: String,
}

impl PatchError {
    fn new(scim_type: &'static str, index: usize, detail: impl std::fmt::Display) -> Self {
        Self {
            scim_type,
            detail: format!("operation {index}: {detail}"),
        }
    }
}

/// The schema of a PATCH request.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Attributes no PATCH changes.
const READ_ONLY: [&str; 3] = ["id", "meta", "schemas"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Remove,
    Replace,
}

/// Applies a PATCH request body (`{"schemas": [...PatchOp], "Operations": [...]}`) to
/// `resource`, all operations or none: on error `resource` is unchanged.
pub fn apply(resource: &mut Value, request: &Value) -> Result<(), PatchError> {
    let schemas_ok = crate::filter::member(request, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(PATCH_OP_SCHEMA)));
    if !schemas_ok {
        return Err(PatchError {
            scim_type: "invalidSyntax",
            detail: format!("the request's schemas must list {PATCH_OP_SCHEMA}"),
        });
    }
    let Some(Value::Array(ops)) = crate::filter::member(request, "Operations") else {
        return Err(PatchError {
            scim_type: "invalidSyntax",
            detail: "the request needs an \"Operations\" array".into(),
        });
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(PatchError {
            scim_type: "tooMany",
            detail: format!("at most {MAX_OPERATIONS} operations per request"),
        });
    }
    let mut work = resource.clone();
    for (index, op) in ops.iter().enumerate() {
        apply_one(&mut work, op, index)?;
    }
    *resource = work;
    Ok(())
}

fn apply_one(resource: &mut Value, op: &Value, index: usize) -> Result<(), PatchError> {
    let kind = match crate::filter::member(op, "op").and_then(Value::as_str) {
        Some(k) if k.eq_ignore_ascii_case("add") => Kind::Add,
        Some(k) if k.eq_ignore_ascii_case("remove") => Kind::Remove,
        Some(k) if k.eq_ignore_ascii_case("replace") => Kind::Replace,
        _ => {
            return Err(PatchError::new(
                "invalidSyntax",
                index,
                "\"op\" must be add, remove or replace",
            ));
        }
    };
    let value = crate::filter::member(op, "value");
    let path = match crate::filter::member(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        // A path naming a whole extension (`urn:...:enterprise:2.0:User`).
        Some(Value::String(p)) if extension_uri(p.trim()) => {
            return whole_extension(resource, kind, p.trim(), value, index);
        }
        Some(Value::String(p)) => {
            Some(PatchPath::parse(p).map_err(|e| PatchError::new("invalidPath", index, e))?)
        }
        Some(_) => {
            return Err(PatchError::new(
                "invalidPath",
                index,
                "\"path\" must be a string",
            ));
        }
    };
    match path {
        None => {
            if kind == Kind::Remove {
                return Err(PatchError::new("noTarget", index, "remove needs a path"));
            }
            let Some(Value::Object(fields)) = value else {
                return Err(PatchError::new(
                    "invalidValue",
                    index,
                    "without a path the value must be an object",
                ));
            };
            for (key, v) in fields {
                // An extension's URI alone (its last segment a schema name such as `User`)
                // with its object: the attributes inside go into the extension.
                if extension_uri(key)
                    && let Value::Object(inner) = v
                {
                    extension_attributes(resource, kind, key, inner, index)?;
                    continue;
                }
                let target =
                    PatchPath::parse(key).map_err(|e| PatchError::new("invalidPath", index, e))?;
                at_path(resource, kind, &target, Some(v), index)?;
            }
            Ok(())
        }
        Some(path) => {
            if kind != Kind::Remove && value.is_none() {
                return Err(PatchError::new(
                    "invalidValue",
                    index,
                    "a value is required",
                ));
            }
            at_path(resource, kind, &path, value, index)
        }
    }
}

/// Whether `key` is an extension's URI alone (its last segment a schema name such as
/// `User`), not an attribute inside one.
fn extension_uri(key: &str) -> bool {
    key.len() > 4
        && key[..4].eq_ignore_ascii_case("urn:")
        && !key.contains(":core:")
        && key
            .rsplit(':')
            .next()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// An operation on a whole extension: remove drops it, replace sets it, add merges into it.
fn whole_extension(
    resource: &mut Value,
    kind: Kind,
    uri: &str,
    value: Option<&Value>,
    index: usize,
) -> Result<(), PatchError> {
    let Some(obj) = resource.as_object_mut() else {
        return Err(PatchError::new(
            "invalidValue",
            index,
            "the resource is not an object",
        ));
    };
    let existing = obj.keys().find(|k| k.eq_ignore_ascii_case(uri)).cloned();
    match kind {
        Kind::Remove => {
            if let Some(k) = existing {
                obj.remove(&k);
            }
            if let Some(Value::Array(schemas)) = obj.get_mut("schemas") {
                schemas.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(uri)));
            }
            Ok(())
        }
        Kind::Add | Kind::Replace => {
            let Some(Value::Object(inner)) = value else {
                return Err(PatchError::new(
                    "invalidValue",
                    index,
                    "an extension's value must be an object",
                ));
            };
            if kind == Kind::Replace
                && let Some(k) = existing
            {
                obj.remove(&k);
            }
            extension_attributes(resource, Kind::Add, uri, inner, index)
        }
    }
}

/// Applies `kind` to each attribute of `inner` inside the extension `uri`.
fn extension_attributes(
    resource: &mut Value,
    kind: Kind,
    uri: &str,
    inner: &Map<String, Value>,
    index: usize,
) -> Result<(), PatchError> {
    for (name, value) in inner {
        let path = PatchPath {
            attr: AttrPath {
                uri: Some(uri.to_owned()),
                name: name.clone(),
                sub: None,
            },
            filter: None,
            sub: None,
        };
        at_path(resource, kind, &path, Some(value), index)?;
    }
    Ok(())
}

/// The object an attribute path lives in: the resource, or an extension's object (created
/// on the way when writing).
fn scope<'v>(resource: &'v mut Value, uri: Option<&str>, create: bool) -> Option<&'v mut Value> {
    let is_core = uri.is_none_or(|u| u.contains(":core:"));
    if is_core {
        return Some(resource);
    }
    let uri = uri?;
    let obj = resource.as_object_mut()?;
    let key = obj.keys().find(|k| k.eq_ignore_ascii_case(uri)).cloned();
    match key {
        Some(k) => obj.get_mut(&k),
        None if create => {
            if let Some(Value::Array(schemas)) = obj.get_mut("schemas")
                && !schemas.iter().any(|s| s.as_str() == Some(uri))
            {
                schemas.push(Value::String(uri.to_owned()));
            }
            obj.insert(uri.to_owned(), Value::Object(Map::new()));
            obj.get_mut(uri)
        }
        None => None,
    }
}

/// The key of `name` in `obj`, ignoring case, or `name` itself.
/// Whether a value of a multi-valued attribute is the one a removal lists: the same
/// `value` sub-attribute when the listed one has it (members, emails), else equal whole.
fn same_value(item: &Value, listed: &Value) -> bool {
    // The listed value: `{"value": x}`, or `x` alone as some clients send it.
    let listed_value = crate::filter::member(listed, "value").or(match listed {
        Value::String(_) => Some(listed),
        _ => None,
    });
    match (crate::filter::member(item, "value"), listed_value) {
        (Some(Value::String(a)), Some(Value::String(b))) => {
            // Ids in any spelling an id is accepted in (case, braces, `urn:uuid:`).
            use tenantry_identity::UserId;
            match (a.trim().parse::<UserId>(), b.trim().parse::<UserId>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            }
        }
        (Some(a), Some(b)) => a == b,
        _ => item == listed,
    }
}

fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn at_path(
    resource: &mut Value,
    kind: Kind,
    path: &PatchPath,
    value: Option<&Value>,
    index: usize,
) -> Result<(), PatchError> {
    let attr = &path.attr;
    if attr.uri.is_none() && READ_ONLY.iter().any(|r| attr.name.eq_ignore_ascii_case(r)) {
        // Okta's group rename carries the group's own `id` beside the new name: a read-only
        // attribute given its current value changes nothing and is accepted; only a change
        // is refused.
        let current = resource
            .as_object()
            .and_then(|obj| obj.get(&key_of(obj, &attr.name)));
        if kind != Kind::Remove
            && path.filter.is_none()
            && attr.sub.is_none()
            && current.is_some()
            && current == value
        {
            return Ok(());
        }
        return Err(PatchError::new(
            "mutability",
            index,
            format!("{} is read-only", attr.name),
        ));
    }
    let writing = kind != Kind::Remove;
    let Some(Value::Object(obj)) = scope(resource, attr.uri.as_deref(), writing) else {
        return if writing {
            Err(PatchError::new("invalidPath", index, "not an object"))
        } else {
            Ok(())
        };
    };
    let key = key_of(obj, &attr.name);
    match (&path.filter, &attr.sub) {
        // name.givenName: a sub-attribute of a complex attribute.
        (None, Some(sub)) => {
            if !writing {
                if let Some(Value::Object(inner)) = obj.get_mut(&key) {
                    let k = key_of(inner, sub);
                    inner.remove(&k);
                }
                return Ok(());
            }
            let entry = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(inner) = entry else {
                return Err(PatchError::new(
                    "invalidPath",
                    index,
                    "not a complex attribute",
                ));
            };
            let k = key_of(inner, sub);
            inner.insert(k, value.cloned().unwrap_or(Value::Null));
            Ok(())
        }
        // emails[type eq "work"] or emails[type eq "work"].value
        (Some(filter), _) => {
            let items = obj.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = items else {
                return Err(PatchError::new(
                    "invalidPath",
                    index,
                    "not a multi-valued attribute",
                ));
            };
            let matching: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, item)| filter.matches(item, &|_| false))
                .map(|(i, _)| i)
                .collect();
            match kind {
                Kind::Remove => {
                    for &i in matching.iter().rev() {
                        match &path.sub {
                            Some(sub) => {
                                if let Some(Value::Object(item)) = items.get_mut(i) {
                                    let k = key_of(item, sub);
                                    item.remove(&k);
                                }
                            }
                            None => {
                                items.remove(i);
                            }
                        }
                    }
                    Ok(())
                }
                Kind::Add | Kind::Replace => {
                    let value = value.cloned().unwrap_or(Value::Null);
                    if matching.is_empty() {
                        // Entra ID and Okta add `emails[type eq "work"].value` to a user
                        // without a work email: create the value the filter describes.
                        let Some(mut item) = seed_from(filter) else {
                            return Err(PatchError::new(
                                "noTarget",
                                index,
                                "no value matches the filter",
                            ));
                        };
                        match (&path.sub, value) {
                            (Some(sub), v) => {
                                item.insert(sub.clone(), v);
                            }
                            (None, Value::Object(fields)) => item.extend(fields),
                            (None, _) => {
                                return Err(PatchError::new(
                                    "invalidValue",
                                    index,
                                    "the value must be an object",
                                ));
                            }
                        }
                        items.push(Value::Object(item));
                        return Ok(());
                    }
                    for i in matching {
                        let Some(Value::Object(item)) = items.get_mut(i) else {
                            continue;
                        };
                        match (&path.sub, &value) {
                            (Some(sub), v) => {
                                let k = key_of(item, sub);
                                item.insert(k, v.clone());
                            }
                            (None, Value::Object(fields)) => {
                                if kind == Kind::Replace {
                                    item.clear();
                                }
                                for (k, v) in fields {
                                    let k2 = key_of(item, k);
                                    item.insert(k2, v.clone());
                                }
                            }
                            (None, _) => {
                                return Err(PatchError::new(
                                    "invalidValue",
                                    index,
                                    "the value must be an object",
                                ));
                            }
                        }
                    }
                    Ok(())
                }
            }
        }
        // A whole attribute.
        (None, None) => match kind {
            // Entra ID removes one member as `{"op": "Remove", "path": "members", "value":
            // [{"value": "<id>"}]}`: with a value, only the listed values leave a
            // multi-valued attribute (matched by their `value`, else whole); without one,
            // the attribute goes.
            Kind::Remove => {
                match (value, obj.get_mut(&key)) {
                    (Some(listed), Some(Value::Array(items))) if !listed.is_null() => {
                        let listed: Vec<&Value> = match listed {
                            Value::Array(listed) => listed.iter().collect(),
                            one => vec![one],
                        };
                        items.retain(|item| !listed.iter().any(|l| same_value(item, l)));
                        if items.is_empty() {
                            obj.remove(&key);
                        }
                    }
                    _ => {
                        obj.remove(&key);
                    }
                }
                Ok(())
            }
            Kind::Replace => {
                obj.insert(key, value.cloned().unwrap_or(Value::Null));
                Ok(())
            }
            Kind::Add => {
                let value = value.cloned().unwrap_or(Value::Null);
                match (obj.get_mut(&key), value) {
                    // Multi-valued: the new values join the old ones (equal ones once).
                    (Some(Value::Array(old)), Value::Array(new)) => {
                        for v in new {
                            if !old.contains(&v) {
                                old.push(v);
                            }
                        }
                    }
                    (Some(Value::Array(old)), v) => {
                        if !old.contains(&v) {
                            old.push(v);
                        }
                    }
                    // Complex: sub-attributes merge.
                    (Some(Value::Object(old)), Value::Object(new)) => {
                        for (k, v) in new {
                            let k2 = key_of(old, &k);
                            old.insert(k2, v);
                        }
                    }
                    (_, v) => {
                        obj.insert(key, v);
                    }
                }
                Ok(())
            }
        },
    }
}

/// The value a filter such as `type eq "work"` (or `type eq "work" and primary eq true`)
/// describes, to create when none matches; `None` for filters that describe no single value.
fn seed_from(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.sub.is_none() && path.uri.is_none() => {
            let v = match value {
                CompValue::String(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return None,
            };
            let mut m = Map::new();
            m.insert(path.name.clone(), v);
            Some(m)
        }
        Filter::And(a, b) => {
            let mut m = seed_from(a)?;
            m.extend(seed_from(b)?);
            Some(m)
        }
        _ => None,
    }
}

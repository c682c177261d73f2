//! Lists and searches: parameters, filtering, sorting, paging and attribute projection.

use serde_json::{Map, Value, json};
use tenantry::{DirectoryError, ListOf, Record, UserQuery};
use tenantry_identity::LoginKey;
use tenantry_lifecycle::AccountState;

use super::*;
use crate::filter::{AttrPath, Filter, member};
use crate::group::group_to_scim;
use crate::schema::{self, LIST_RESPONSE, MAX_RESULTS, SEARCH_REQUEST};

impl ScimService {
    /// Every resource of `kind` the client sees, as SCIM JSON.
    pub(super) async fn resources(
        &self,
        client: &ScimClient,
        kind: Kind,
    ) -> Result<Vec<Value>, ScimError> {
        let store = self.dir.store();
        let mut out = Vec::new();
        match kind {
            Kind::Users => {
                let names = self.names(client.org).await?;
                let mut after = None;
                loop {
                    let page = store
                        .users(&UserQuery {
                            org: Some(client.org),
                            after,
                            limit: 500,
                            ..UserQuery::default()
                        })
                        .await
                        .map_err(DirectoryError::from)?;
                    for v in &page.items {
                        if v.value.account.state() != AccountState::Deleted {
                            out.push(self.user_json(&v.value, &names));
                        }
                    }
                    match page.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
            }
            Kind::Groups => {
                for r in store
                    .list(&ListOf::GroupsOf(client.org))
                    .await
                    .map_err(DirectoryError::from)?
                {
                    if let Record::Group(g) = r.value {
                        let members = self.members(g.id).await?;
                        out.push(group_to_scim(&g, r.version, &members, &self.base_url));
                    }
                }
            }
        }
        Ok(out)
    }

    pub(super) fn list_response(
        &self,
        mut all: Vec<Value>,
        params: ListParams,
        kind: Option<Kind>,
    ) -> Result<ScimResponse, ScimError> {
        let type_of = |v: &Value| match v["meta"]["resourceType"].as_str() {
            Some("Group") => "Group",
            _ => "User",
        };
        if let Some(filter) = &params.filter {
            all.retain(|v| {
                let resource = type_of(v);
                filter.matches(v, &|p| case_exact(resource, p))
            });
        }
        if let Some(sort_by) = &params.sort_by {
            let resource = kind.map_or("User", Kind::name);
            let exact = case_exact(resource, sort_by);
            let key = |v: &Value| -> Option<String> {
                sort_by.values(v).first().map(|x| match x {
                    Value::String(s) if exact => s.clone(),
                    Value::String(s) => s.to_lowercase(),
                    other => other.to_string(),
                })
            };
            // Resources without the attribute go last either way (RFC 7644 §3.4.2.3).
            all.sort_by(|a, b| match (key(a), key(b)) {
                (Some(x), Some(y)) if params.descending => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
        }
        let total = all.len();
        let start = params.start_index.max(1);
        let page: Vec<Value> = all
            .into_iter()
            .skip(start - 1)
            .take(params.count)
            .map(|v| params.projection.apply(v))
            .collect();
        Ok(ScimResponse {
            status: 200,
            etag: None,
            location: None,
            body: Some(json!({
                "schemas": [LIST_RESPONSE],
                "totalResults": total,
                "startIndex": start,
                "itemsPerPage": page.len(),
                "Resources": page,
            })),
        })
    }
}
pub(super) fn list_of(resources: Vec<Value>) -> ScimResponse {
    ScimResponse::json(
        200,
        json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": resources.len(),
            "startIndex": 1,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// The login key an `userName eq "..."` or `externalId eq "..."` filter looks up. The full
/// filter is still applied to what it finds.
pub(super) fn login_lookup(filter: &Filter) -> Option<LoginKey> {
    let Filter::Compare {
        path,
        op: crate::filter::CompareOp::Eq,
        value: crate::filter::CompValue::String(value),
    } = filter
    else {
        return None;
    };
    if path.sub.is_some()
        || path
            .uri
            .as_deref()
            .is_some_and(|u| u != crate::user::USER_SCHEMA)
    {
        return None;
    }
    if path.name.eq_ignore_ascii_case("userName") {
        // userName is case-insensitive, as the login keys are.
        Some(if value.contains('@') {
            LoginKey::Email(value.to_lowercase())
        } else {
            LoginKey::Username(value.to_lowercase())
        })
    } else if path.name.eq_ignore_ascii_case("externalId") {
        Some(LoginKey::ExternalId(value.clone()))
    } else {
        None
    }
}

pub(super) fn case_exact(resource: &str, path: &AttrPath) -> bool {
    let text = match (&path.uri, &path.sub) {
        (Some(uri), Some(sub)) => format!("{uri}:{}.{sub}", path.name),
        (Some(uri), None) => format!("{uri}:{}", path.name),
        (None, Some(sub)) => format!("{}.{sub}", path.name),
        (None, None) => path.name.clone(),
    };
    if path.uri.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case("id") {
        return true;
    }
    schema::attribute_traits(resource, &text).is_some_and(|(exact, _)| exact)
}

pub(super) fn paths(list: &str) -> Result<Vec<AttrPath>, ScimError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| {
            AttrPath::parse(p).map_err(|e| ScimError::bad("invalidPath", format!("`{p}`: {e}")))
        })
        .collect()
}

pub(super) fn number(name: &str, value: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse()
        .map_err(|_| ScimError::bad("invalidValue", format!("{name} must be a number")))
}

pub(super) fn query_params(query: &str) -> Result<ListParams, ScimError> {
    let mut p = ListParams {
        start_index: 1,
        count: MAX_RESULTS,
        ..ListParams::default()
    };
    for pair in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        set_param(&mut p, &k, &Value::String(v))?;
    }
    Ok(p)
}

pub(super) fn search_params(body: &[u8]) -> Result<ListParams, ScimError> {
    let body = parse_body(body)?;
    let schemas_ok = member(&body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(SEARCH_REQUEST)));
    if !schemas_ok {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("a search request's schemas must list {SEARCH_REQUEST}"),
        ));
    }
    let mut p = ListParams {
        start_index: 1,
        count: MAX_RESULTS,
        ..ListParams::default()
    };
    if let Some(obj) = body.as_object() {
        for (k, v) in obj {
            if k != "schemas" {
                set_param(&mut p, k, v)?;
            }
        }
    }
    Ok(p)
}

pub(super) fn set_param(p: &mut ListParams, key: &str, value: &Value) -> Result<(), ScimError> {
    let text = |v: &Value| -> Result<String, ScimError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Array(items) => Ok(items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")),
            _ => Err(ScimError::bad(
                "invalidValue",
                format!("{key} has the wrong type"),
            )),
        }
    };
    match key.to_ascii_lowercase().as_str() {
        "filter" => p.filter = Some(Filter::parse(&text(value)?)?),
        "sortby" => {
            let t = text(value)?;
            p.sort_by = Some(
                AttrPath::parse(t.trim())
                    .map_err(|e| ScimError::bad("invalidPath", format!("sortBy: {e}")))?,
            );
        }
        "sortorder" => match text(value)?.to_ascii_lowercase().as_str() {
            "ascending" => p.descending = false,
            "descending" => p.descending = true,
            _ => {
                return Err(ScimError::bad(
                    "invalidValue",
                    "sortOrder is ascending or descending",
                ));
            }
        },
        "startindex" => {
            p.start_index =
                usize::try_from(number("startIndex", &text(value)?)?.max(1)).unwrap_or(1)
        }
        "count" => {
            p.count = usize::try_from(number("count", &text(value)?)?.max(0))
                .unwrap_or(0)
                .min(MAX_RESULTS);
        }
        "attributes" => p.projection.attributes = paths(&text(value)?)?,
        "excludedattributes" => p.projection.excluded = paths(&text(value)?)?,
        _ => {}
    }
    Ok(())
}

impl Projection {
    /// Keeps the requested attributes (plus `id` and `schemas`, always returned), or drops
    /// the excluded ones.
    pub(super) fn apply(&self, resource: Value) -> Value {
        let Value::Object(obj) = resource else {
            return resource;
        };
        if !self.attributes.is_empty() {
            let mut out = Map::new();
            for (k, v) in &obj {
                if k == "id" || k == "schemas" {
                    out.insert(k.clone(), v.clone());
                    continue;
                }
                if k.starts_with("urn:") {
                    // An extension: keep it whole, or the named attributes of it.
                    let Value::Object(ext) = v else { continue };
                    if self
                        .attributes
                        .iter()
                        .any(|p| p.uri.is_none() && p.name.eq_ignore_ascii_case(k))
                    {
                        out.insert(k.clone(), v.clone());
                        continue;
                    }
                    let kept: Map<String, Value> = ext
                        .iter()
                        .filter(|(name, _)| {
                            self.attributes.iter().any(|p| {
                                p.uri.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(k))
                                    && p.name.eq_ignore_ascii_case(name)
                            })
                        })
                        .map(|(a, b)| (a.clone(), b.clone()))
                        .collect();
                    if !kept.is_empty() {
                        out.insert(k.clone(), Value::Object(kept));
                    }
                    continue;
                }
                let wanted: Vec<&AttrPath> = self
                    .attributes
                    .iter()
                    .filter(|p| {
                        p.name.eq_ignore_ascii_case(k)
                            && p.uri.as_deref().is_none_or(|u| !u.contains(":extension:"))
                    })
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                if wanted.iter().any(|p| p.sub.is_none()) {
                    out.insert(k.clone(), v.clone());
                } else {
                    out.insert(k.clone(), only_subs(v, &wanted));
                }
            }
            return Value::Object(out);
        }
        let mut obj = obj;
        for p in &self.excluded {
            if p.name.eq_ignore_ascii_case("id") || p.name.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let scope_key = p.uri.clone().filter(|u| u.contains(":extension:"));
            let scope: &mut Map<String, Value> = match &scope_key {
                Some(u) => match obj
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(u))
                    .and_then(|(_, v)| v.as_object_mut())
                {
                    Some(ext) => ext,
                    None => continue,
                },
                None => &mut obj,
            };
            let Some(key) = scope
                .keys()
                .find(|k| k.eq_ignore_ascii_case(&p.name))
                .cloned()
            else {
                continue;
            };
            match &p.sub {
                None => {
                    scope.remove(&key);
                }
                Some(sub) => {
                    if let Some(v) = scope.get_mut(&key) {
                        drop_sub(v, sub);
                    }
                }
            }
        }
        Value::Object(obj)
    }
}

pub(super) fn only_subs(v: &Value, wanted: &[&AttrPath]) -> Value {
    let keep = |item: &Value| -> Value {
        match item {
            Value::Object(o) => Value::Object(
                o.iter()
                    .filter(|(k, _)| {
                        wanted
                            .iter()
                            .any(|p| p.sub.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(k)))
                    })
                    .map(|(a, b)| (a.clone(), b.clone()))
                    .collect(),
            ),
            other => other.clone(),
        }
    };
    match v {
        Value::Array(items) => Value::Array(items.iter().map(keep).collect()),
        other => keep(other),
    }
}

pub(super) fn drop_sub(v: &mut Value, sub: &str) {
    match v {
        Value::Array(items) => {
            for item in items {
                drop_sub(item, sub);
            }
        }
        Value::Object(o) => {
            if let Some(k) = o.keys().find(|k| k.eq_ignore_ascii_case(sub)).cloned() {
                o.remove(&k);
            }
        }
        _ => {}
    }
}

//! Routing a request to its resource and method; request bodies, preconditions and paths.

use serde_json::Value;
use tenantry_lifecycle::Event;

use super::*;
use crate::group::group_from_scim;
use crate::schema::{self};
use crate::user::user_from_scim;

impl ScimService {
    pub(super) async fn route(
        &self,
        client: &ScimClient,
        req: ScimRequest<'_>,
    ) -> Result<ScimResponse, ScimError> {
        let path = req.path.trim_end_matches('/');
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let method = req.method.to_ascii_uppercase();
        // Beyond discovery every endpoint reads or changes the organization's users and
        // groups: only for a token whose user may act and administers the organization,
        // checked on every request (a user blocked or demoted since reads nothing).
        let discovery = matches!(
            segments.first(),
            Some(&("ServiceProviderConfig" | "ResourceTypes" | "Schemas"))
        );
        if !discovery {
            self.dir
                .authorize_admin(Self::caller(client), client.org)
                .await?;
        }
        let not_allowed = || {
            Err(ScimError::new(
                405,
                None,
                format!("{method} is not allowed here"),
            ))
        };
        match (segments.as_slice(), method.as_str()) {
            (["ServiceProviderConfig"], "GET") => Ok(ScimResponse::json(
                200,
                schema::service_provider_config(&self.base_url),
            )),
            (["ResourceTypes"], "GET") => Ok(list_of(schema::resource_types(&self.base_url))),
            (["ResourceTypes", id], "GET") => schema::resource_types(&self.base_url)
                .into_iter()
                .find(|r| r["id"].as_str() == Some(*id))
                .map(|r| ScimResponse::json(200, r))
                .ok_or_else(|| ScimError::not_found("resource type")),
            (["Schemas"], "GET") => Ok(list_of(schema::schemas(&self.base_url))),
            (["Schemas", id], "GET") => schema::schemas(&self.base_url)
                .into_iter()
                .find(|s| s["id"].as_str() == Some(*id))
                .map(|s| ScimResponse::json(200, s))
                .ok_or_else(|| ScimError::not_found("schema")),
            (["ServiceProviderConfig" | "ResourceTypes" | "Schemas", ..], _) => not_allowed(),
            ([".search"], "POST") => {
                let params = search_params(req.body)?;
                let mut all = self.resources(client, Kind::Users).await?;
                all.extend(self.resources(client, Kind::Groups).await?);
                self.list_response(all, params, None)
            }
            (["Bulk"], _) => Err(ScimError::new(
                501,
                None,
                "bulk operations are not supported",
            )),
            ([kind], m) => {
                let kind = resource_kind(kind)?;
                match m {
                    "GET" => {
                        let params = query_params(req.query)?;
                        let all = match (kind, params.filter.as_ref().and_then(login_lookup)) {
                            // Identity providers look users up by userName or externalId
                            // before every change: answered from the login index.
                            (Kind::Users, Some(key)) => self.user_by_login(client, &key).await?,
                            _ => self.resources(client, kind).await?,
                        };
                        self.list_response(all, params, Some(kind))
                    }
                    "POST" => self.create(client, kind, req.body).await,
                    _ => not_allowed(),
                }
            }
            ([kind, ".search"], m) => {
                let kind = resource_kind(kind)?;
                if m != "POST" {
                    return not_allowed();
                }
                let params = search_params(req.body)?;
                let all = self.resources(client, kind).await?;
                self.list_response(all, params, Some(kind))
            }
            ([kind, id], m) => {
                let kind = resource_kind(kind)?;
                match m {
                    "GET" => {
                        let params = query_params(req.query)?;
                        let (resource, _) = self.one(client, kind, id).await?;
                        let etag = resource["meta"]["version"].as_str().map(str::to_owned);
                        if let (Some(tag), Some(none_match)) = (&etag, req.if_none_match)
                            && etag_matches(none_match, tag)
                        {
                            return Ok(ScimResponse {
                                status: 304,
                                etag,
                                location: None,
                                body: None,
                            });
                        }
                        let projected = params.projection.apply(resource);
                        let mut r = ScimResponse::json(200, projected);
                        r.etag = etag;
                        Ok(r)
                    }
                    "PUT" => {
                        let body = parse_body(req.body)?;
                        self.replace(client, kind, id, req.if_match, |_| Ok(body.clone()))
                            .await
                    }
                    "PATCH" => {
                        let body = parse_body(req.body)?;
                        self.replace(client, kind, id, req.if_match, |current| {
                            let mut next = current.clone();
                            crate::patch::apply(&mut next, &body)?;
                            Ok(next)
                        })
                        .await
                    }
                    "DELETE" => self.delete(client, kind, id, req.if_match).await,
                    _ => not_allowed(),
                }
            }
            _ => Err(ScimError::not_found("endpoint")),
        }
    }

    pub(super) async fn create(
        &self,
        client: &ScimClient,
        kind: Kind,
        body: &[u8],
    ) -> Result<ScimResponse, ScimError> {
        let body = parse_body(body)?;
        let id = match kind {
            Kind::Users => {
                let scim = user_from_scim(&body, self.region)?;
                self.create_user(client, scim).await?.to_string()
            }
            Kind::Groups => {
                let scim = group_from_scim(&body)?;
                self.create_group(client, scim).await?.to_string()
            }
        };
        let (resource, _) = self.one(client, kind, &id).await?;
        let mut r = ScimResponse::json(201, resource);
        r.location = Some(format!("{}/{}s/{id}", self.base_url, kind.name()));
        Ok(r)
    }

    /// PUT and PATCH: `next` makes the new resource from the current one.
    pub(super) async fn replace(
        &self,
        client: &ScimClient,
        kind: Kind,
        id: &str,
        if_match: Option<&str>,
        next: impl Fn(&Value) -> Result<Value, ScimError>,
    ) -> Result<ScimResponse, ScimError> {
        let (current, tag) = self.one(client, kind, id).await?;
        precondition(if_match, &tag)?;
        let wanted = next(&current)?;
        match kind {
            Kind::Users => self.replace_user(client, id, &current, &wanted).await?,
            Kind::Groups => self.replace_group(client, id, &wanted).await?,
        }
        let (resource, _) = self.one(client, kind, id).await?;
        Ok(ScimResponse::json(200, resource))
    }

    pub(super) async fn delete(
        &self,
        client: &ScimClient,
        kind: Kind,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<ScimResponse, ScimError> {
        let caller = Self::caller(client);
        match kind {
            Kind::Users => {
                let (record, _) = self.user_record(client, id).await?;
                precondition(if_match, &crate::weak_etag(record.user.version()))?;
                self.dir
                    .change_account(caller, record.user.id(), Event::Delete)
                    .await?;
            }
            Kind::Groups => {
                let (group, version) = self.group_record(client, id).await?;
                precondition(if_match, &crate::weak_etag(version))?;
                self.dir.delete_group(caller, group.id).await?;
            }
        }
        Ok(ScimResponse {
            status: 204,
            etag: None,
            location: None,
            body: None,
        })
    }
}
pub(super) fn resource_kind(segment: &str) -> Result<Kind, ScimError> {
    match segment {
        "Users" => Ok(Kind::Users),
        "Groups" => Ok(Kind::Groups),
        _ => Err(ScimError::not_found("endpoint")),
    }
}

/// A change's `If-Match` precondition: 412 unless the header names the current `tag`.
pub(super) fn precondition(if_match: Option<&str>, tag: &str) -> Result<(), ScimError> {
    match if_match {
        Some(expected) if !etag_matches(expected, tag) => Err(ScimError::new(
            412,
            None,
            "the resource changed since it was read",
        )),
        _ => Ok(()),
    }
}

/// Whether an `If-Match`/`If-None-Match` header names `tag` (or is `*`).
pub(super) fn etag_matches(header: &str, tag: &str) -> bool {
    let bare = |t: &str| {
        t.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    header
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(tag))
}

pub(super) fn parse_body(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))
}

pub(super) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3) {
                Some(&[h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                    out.push(digit(h) * 16 + digit(l));
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

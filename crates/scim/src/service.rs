//! The SCIM endpoints as one request handler, independent of any web framework:
//! [`ScimService::handle`] takes a [`ScimRequest`] and answers a [`ScimResponse`]. The
//! `axum` feature mounts it as a router ([`crate::router`]).
//!
//! Every change goes through the [`Directory`], acting as the user a bearer token belongs
//! to, so it is permission-checked (that user must administer the token's organization),
//! audited, and follows the lifecycle rules. A token sees the users and groups of its own
//! organization only.
//!
//! | Endpoint | Methods |
//! | --- | --- |
//! | `/ServiceProviderConfig`, `/ResourceTypes[/{id}]`, `/Schemas[/{id}]` | GET |
//! | `/Users`, `/Groups` | GET (filter, sortBy/sortOrder, startIndex/count, attributes/excludedAttributes), POST |
//! | `/Users/.search`, `/Groups/.search`, `/.search` | POST (a SearchRequest) |
//! | `/Users/{id}`, `/Groups/{id}` | GET (If-None-Match), PUT, PATCH, DELETE (If-Match) |
//!
//! Users are created with the way in the service is configured with (default: none, as for
//! users who sign in through single sign-on), PIN users with their PIN; `active: false`
//! switches an account off (deactivate), `active: true` switches it on again. A DELETE
//! deletes the account (lifecycle `Delete`), a group's DELETE deletes the group and its
//! memberships. Unknown departments and job profiles named by a user are created.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tenantry::{
    Caller, Directory, DirectoryError, ListOf, NewUser, Record, RecordKey, UserQuery, UserRecord,
    UserUpdate,
};
use tenantry_identity::{
    DepartmentId, Group, GroupId, JobProfileId, LoginKey, Name, OrgId, PhoneRegion, UserId,
    UserKind,
};
use tenantry_lifecycle::{AccountState, Event, WayIn};

use crate::filter::{AttrPath, Filter, member};
use crate::group::{ScimGroup, group_from_scim, group_to_scim};
use crate::schema::{self, ERROR, LIST_RESPONSE, MAX_RESULTS, SEARCH_REQUEST};
use crate::user::{MappingError, Names, ScimUser, TENANTRY_USER, user_from_scim, user_to_scim};

/// The shortest bearer token accepted (characters).
pub const MIN_TOKEN_LEN: usize = 32;

/// A bearer token's grant: whose organization it serves and whom it acts as.
#[derive(Clone)]
pub struct ScimClient {
    org: OrgId,
    actor: UserId,
    token_hash: [u8; 32],
}

impl std::fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimClient")
            .field("org", &self.org)
            .field("actor", &self.actor)
            .field("token_hash", &"[redacted]")
            .finish()
    }
}

/// Why a [`ScimClient`] or [`ScimService`] could not be set up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScimConfigError {
    /// The token is shorter than [`MIN_TOKEN_LEN`] or holds characters a header cannot.
    #[error("a SCIM bearer token needs at least {MIN_TOKEN_LEN} visible ASCII characters")]
    WeakToken,
    /// The base URL is not `http(s)://...`.
    #[error("the SCIM base URL must start with http:// or https://")]
    BaseUrl,
}

impl ScimClient {
    /// A client for `org`, acting as `actor`, authenticated by `token`. On every request
    /// beyond discovery the directory checks that `actor` may sign in (an active account: a
    /// service account with a random password nobody knows will do) and administers `org`.
    /// Only the token's SHA-256 is kept.
    pub fn new(org: OrgId, actor: UserId, token: &str) -> Result<Self, ScimConfigError> {
        if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ScimConfigError::WeakToken);
        }
        Ok(Self {
            org,
            actor,
            token_hash: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// The organization it serves.
    pub fn org(&self) -> OrgId {
        self.org
    }
}

/// One HTTP request, as the router hands it over.
#[derive(Clone, Copy, Debug)]
pub struct ScimRequest<'a> {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: &'a str,
    /// The path below the SCIM base (`/Users/2819c223...`).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `If-Match` header.
    pub if_match: Option<&'a str>,
    /// The `If-None-Match` header.
    pub if_none_match: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// The answer: a status, headers the router sets, and a JSON body (sent as
/// `application/scim+json`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScimResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Location` header (after a creation).
    pub location: Option<String>,
    /// The body, if any.
    pub body: Option<Value>,
}

impl ScimResponse {
    fn json(status: u16, body: Value) -> Self {
        let etag = body["meta"]["version"].as_str().map(str::to_owned);
        Self {
            status,
            etag,
            location: None,
            body: Some(body),
        }
    }
}

/// A SCIM error response (RFC 7644 §3.12).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {}: {detail}", scim_type.unwrap_or(""))]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    /// SCIM's `scimType`, for 400s and 409s.
    pub scim_type: Option<&'static str>,
    /// What went wrong.
    pub detail: String,
}

impl ScimError {
    fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }
    fn not_found(what: &str) -> Self {
        Self::new(404, None, format!("{what} not found"))
    }

    /// The error as a response.
    pub fn response(&self) -> ScimResponse {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        ScimResponse {
            status: self.status,
            etag: None,
            location: None,
            body: Some(body),
        }
    }
}

impl From<MappingError> for ScimError {
    fn from(e: MappingError) -> Self {
        Self::bad("invalidValue", format!("{}: {}", e.attribute, e.problem))
    }
}

impl From<crate::patch::PatchError> for ScimError {
    fn from(e: crate::patch::PatchError) -> Self {
        Self::bad(e.scim_type, e.detail)
    }
}

impl From<crate::filter::FilterError> for ScimError {
    fn from(e: crate::filter::FilterError) -> Self {
        Self::bad("invalidFilter", e.to_string())
    }
}

impl From<DirectoryError> for ScimError {
    fn from(e: DirectoryError) -> Self {
        match &e {
            DirectoryError::NotFound(what) => Self::not_found(what),
            DirectoryError::Denied(_)
            | DirectoryError::Refused(_)
            | DirectoryError::CallerMayNotAct => Self::new(403, None, e.to_string()),
            DirectoryError::IdentifierTaken => Self::new(409, Some("uniqueness"), e.to_string()),
            DirectoryError::Store(s) if s.kind() == tenantry::StoreErrorKind::Conflict => {
                Self::new(409, None, "changed concurrently; read it again")
            }
            DirectoryError::Contended => Self::new(409, None, e.to_string()),
            DirectoryError::Store(_) => {
                tracing::error!(error = %e, "SCIM request failed in the store");
                Self::new(500, None, "the store failed")
            }
            DirectoryError::Lifecycle(_) => Self::bad("invalidValue", e.to_string()),
            _ => Self::bad("invalidValue", e.to_string()),
        }
    }
}

/// The SCIM service of one directory.
pub struct ScimService {
    dir: Arc<Directory>,
    base_url: String,
    clients: Vec<ScimClient>,
    way_in: WayIn,
    region: Option<PhoneRegion>,
}

impl std::fmt::Debug for ScimService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimService")
            .field("base_url", &self.base_url)
            .field("clients", &self.clients)
            .finish_non_exhaustive()
    }
}

/// An organization's departments and job profiles, by id, to name them in SCIM.
type OrgNames = (Vec<(DepartmentId, Name)>, Vec<(JobProfileId, Name)>);

/// Which resource type a path names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Users => "User",
            Kind::Groups => "Group",
        }
    }
}

/// The query parameters of a list or search.
#[derive(Default)]
struct ListParams {
    filter: Option<Filter>,
    sort_by: Option<AttrPath>,
    descending: bool,
    start_index: usize,
    count: usize,
    projection: Projection,
}

/// `attributes` / `excludedAttributes`.
#[derive(Default, Clone)]
struct Projection {
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

impl ScimService {
    /// A service over `dir`, whose resources live under `base_url` (the public URL of
    /// `/scim/v2`, used in `meta.location`), for `clients`.
    pub fn new(
        dir: Arc<Directory>,
        base_url: &str,
        clients: Vec<ScimClient>,
    ) -> Result<Self, ScimConfigError> {
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ScimConfigError::BaseUrl);
        }
        Ok(Self {
            dir,
            base_url: base_url.trim_end_matches('/').to_owned(),
            clients,
            way_in: WayIn::None,
            region: None,
        })
    }

    /// How users created through SCIM get in (default [`WayIn::None`]: they sign in through
    /// single sign-on; [`WayIn::Invitation`] mails them an invitation). PIN users always get
    /// a PIN.
    pub fn with_way_in(mut self, way_in: WayIn) -> Self {
        self.way_in = way_in;
        self
    }

    /// The region national phone numbers are read in.
    pub fn with_phone_region(mut self, region: PhoneRegion) -> Self {
        self.region = Some(region);
        self
    }

    /// Answers one request. Never fails: errors are SCIM error responses.
    pub async fn handle(&self, req: ScimRequest<'_>) -> ScimResponse {
        let Some(client) = self.authenticate(req.authorization) else {
            return ScimError::new(401, None, "a valid bearer token is required").response();
        };
        match self.route(client, req).await {
            Ok(r) => r,
            Err(e) => e.response(),
        }
    }

    fn authenticate(&self, header: Option<&str>) -> Option<&ScimClient> {
        let header = header?.trim();
        let (scheme, token) = header.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let hash: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        // Every client is compared, in constant time, so timing does not tell which matched.
        let mut found = None;
        for c in &self.clients {
            if bool::from(c.token_hash.ct_eq(&hash)) {
                found = Some(c);
            }
        }
        found
    }

    async fn route(
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

    fn caller(client: &ScimClient) -> Caller {
        Caller::User(client.actor)
    }

    /// Department and job profile names of the client's organization, by id.
    async fn names(&self, org: OrgId) -> Result<OrgNames, ScimError> {
        let store = self.dir.store();
        let mut departments = Vec::new();
        for r in store
            .list(&ListOf::DepartmentsOf(org))
            .await
            .map_err(DirectoryError::from)?
        {
            if let Record::Department(d) = r.value {
                departments.push((d.id, d.name));
            }
        }
        let mut jobs = Vec::new();
        for r in store
            .list(&ListOf::JobProfilesOf(org))
            .await
            .map_err(DirectoryError::from)?
        {
            if let Record::JobProfile(j) = r.value {
                jobs.push((j.id, j.name));
            }
        }
        Ok((departments, jobs))
    }

    fn user_json(&self, record: &UserRecord, names: &OrgNames) -> Value {
        let profile = record.user.profile();
        let department = profile
            .department
            .and_then(|id| names.0.iter().find(|(d, _)| *d == id))
            .map(|(_, n)| n.as_str());
        let job_profile = profile
            .job_profile
            .and_then(|id| names.1.iter().find(|(j, _)| *j == id))
            .map(|(_, n)| n.as_str());
        user_to_scim(
            record,
            &Names {
                department,
                job_profile,
            },
            &self.base_url,
        )
    }

    /// Every resource of `kind` the client sees, as SCIM JSON.
    async fn resources(&self, client: &ScimClient, kind: Kind) -> Result<Vec<Value>, ScimError> {
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

    /// The user (of the client's organization, not deleted) a login key names, as a list.
    async fn user_by_login(
        &self,
        client: &ScimClient,
        key: &LoginKey,
    ) -> Result<Vec<Value>, ScimError> {
        let found = self
            .dir
            .store()
            .user_by_login(key)
            .await
            .map_err(DirectoryError::from)?;
        match found {
            Some(v)
                if v.value.user.org() == client.org
                    && v.value.account.state() != AccountState::Deleted =>
            {
                let names = self.names(client.org).await?;
                Ok(vec![self.user_json(&v.value, &names)])
            }
            _ => Ok(Vec::new()),
        }
    }

    async fn members(&self, group: GroupId) -> Result<Vec<UserId>, ScimError> {
        Ok(self
            .dir
            .store()
            .list(&ListOf::MembersOf(group))
            .await
            .map_err(DirectoryError::from)?
            .into_iter()
            .filter_map(|r| match r.value {
                Record::Membership(m) => Some(m.user),
                _ => None,
            })
            .collect())
    }

    async fn user_record(
        &self,
        client: &ScimClient,
        id: &str,
    ) -> Result<(UserRecord, u64), ScimError> {
        let id: UserId = id.parse().map_err(|_| ScimError::not_found("User"))?;
        match self
            .dir
            .store()
            .get(&RecordKey::User(id))
            .await
            .map_err(DirectoryError::from)?
        {
            Some(v) => match v.value {
                Record::User(u)
                    if u.user.org() == client.org && u.account.state() != AccountState::Deleted =>
                {
                    Ok((u, v.version))
                }
                _ => Err(ScimError::not_found("User")),
            },
            None => Err(ScimError::not_found("User")),
        }
    }

    async fn group_record(&self, client: &ScimClient, id: &str) -> Result<(Group, u64), ScimError> {
        let id: GroupId = id.parse().map_err(|_| ScimError::not_found("Group"))?;
        match self
            .dir
            .store()
            .get(&RecordKey::Group(id))
            .await
            .map_err(DirectoryError::from)?
        {
            Some(v) => match v.value {
                Record::Group(g) if g.org == client.org => Ok((g, v.version)),
                _ => Err(ScimError::not_found("Group")),
            },
            None => Err(ScimError::not_found("Group")),
        }
    }

    /// One resource as SCIM JSON, with its version tag.
    async fn one(
        &self,
        client: &ScimClient,
        kind: Kind,
        id: &str,
    ) -> Result<(Value, String), ScimError> {
        let resource = match kind {
            Kind::Users => {
                let (record, _) = self.user_record(client, id).await?;
                let names = self.names(client.org).await?;
                self.user_json(&record, &names)
            }
            Kind::Groups => {
                let (group, version) = self.group_record(client, id).await?;
                let members = self.members(group.id).await?;
                group_to_scim(&group, version, &members, &self.base_url)
            }
        };
        let tag = resource["meta"]["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok((resource, tag))
    }

    fn list_response(
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

    async fn create(
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

    async fn department_and_job(
        &self,
        client: &ScimClient,
        scim: &ScimUser,
    ) -> Result<(Option<DepartmentId>, Option<JobProfileId>), ScimError> {
        let (departments, jobs) = self.names(client.org).await?;
        let caller = Self::caller(client);
        let department = match named(&departments, "department", &scim.department)? {
            (Some(name), None) => Some(
                self.dir
                    .create_department(caller, client.org, name, false)
                    .await?
                    .id,
            ),
            (_, found) => found,
        };
        let job = match named(&jobs, "jobProfile", &scim.job_profile)? {
            (Some(name), None) => Some(
                self.dir
                    .create_job_profile(caller, client.org, name)
                    .await?
                    .id,
            ),
            (_, found) => found,
        };
        Ok((department, job))
    }

    async fn create_user(&self, client: &ScimClient, scim: ScimUser) -> Result<UserId, ScimError> {
        let (department, job_profile) = self.department_and_job(client, &scim).await?;
        let mut profile = scim.profile.clone();
        profile.department = department;
        profile.job_profile = job_profile;
        let way_in = match scim.kind {
            UserKind::Pin => WayIn::Pin,
            UserKind::Consumer => WayIn::None,
            _ => self.way_in,
        };
        let mut identifiers = scim.identifiers.clone();
        if scim.kind == UserKind::Pin {
            // A PIN user signs in with a placeholder address tenantry makes.
            identifiers.email = None;
            identifiers.username = None;
        }
        let created = self
            .dir
            .create_user(
                Self::caller(client),
                client.org,
                NewUser {
                    kind: scim.kind,
                    profile,
                    identifiers,
                    way_in,
                    password: None,
                },
            )
            .await?;
        if scim.active == Some(false) {
            self.dir
                .change_account(Self::caller(client), created.id, Event::Deactivate)
                .await?;
        }
        Ok(created.id)
    }

    /// Every member must be a user of the client's organization.
    async fn check_members(
        &self,
        client: &ScimClient,
        members: &[UserId],
    ) -> Result<(), ScimError> {
        for m in members {
            self.user_record(client, &m.to_string())
                .await
                .map_err(|_| {
                    ScimError::bad("invalidValue", format!("members: no user {m} here"))
                })?;
        }
        Ok(())
    }

    async fn create_group(
        &self,
        client: &ScimClient,
        scim: ScimGroup,
    ) -> Result<GroupId, ScimError> {
        let caller = Self::caller(client);
        self.check_members(client, &scim.members).await?;
        let now = self.dir.clock().now();
        let id = GroupId::generate(now, &mut rand::rng());
        let mut group = Group::new(id, client.org, scim.name, now);
        group.external_id = scim.external_id;
        self.dir.create_group(caller, group).await?;
        if !scim.members.is_empty() {
            self.dir
                .change_members(caller, id, &scim.members, &[])
                .await?;
        }
        Ok(id)
    }

    /// PUT and PATCH: `next` makes the new resource from the current one.
    async fn replace(
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

    async fn replace_user(
        &self,
        client: &ScimClient,
        id: &str,
        current_json: &Value,
        wanted: &Value,
    ) -> Result<(), ScimError> {
        let (record, _) = self.user_record(client, id).await?;
        let user = &record.user;
        let caller = Self::caller(client);
        let scim = user_from_scim(wanted, self.region)?;
        // The kind never changes; saying the same kind again is fine.
        let stated_kind = member(wanted, TENANTRY_USER)
            .and_then(|e| member(e, "kind"))
            .is_some();
        if stated_kind && scim.kind != user.kind() {
            return Err(ScimError::bad("mutability", "a user's kind cannot change"));
        }
        let (department, job_profile) = self.department_and_job(client, &scim).await?;
        let mut profile = user.profile().clone();
        profile.first_name = scim.profile.first_name.clone();
        profile.last_name = scim.profile.last_name.clone();
        profile.display_name = scim.profile.display_name.clone();
        profile.language = scim.profile.language.clone();
        profile.department = department;
        profile.job_profile = job_profile;
        // Phones are not published (they come back in E.164 form); a resource without one
        // keeps the stored phone unless it had one before.
        if scim.profile.phone.is_some() || member(current_json, "phoneNumbers").is_some() {
            profile.phone = scim.profile.phone.clone();
        }
        let ids = user.identifiers();
        let mut update = UserUpdate::default();
        if &profile != user.profile() {
            update.profile = Some(profile);
        }
        if user.kind() != UserKind::Pin {
            if scim.identifiers.email != ids.email {
                update.email = Some(scim.identifiers.email.clone());
            }
            if scim.identifiers.username != ids.username {
                update.username = Some(scim.identifiers.username.clone());
            }
        } else if member(wanted, "userName")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            != ids.placeholder_email.as_ref().map(|e| e.key())
        {
            return Err(ScimError::bad(
                "mutability",
                "a PIN user's userName is the placeholder address tenantry gives it",
            ));
        }
        if scim.identifiers.external_id != ids.external_id {
            update.external_id = Some(scim.identifiers.external_id.clone());
        }
        let changed = update.profile.is_some()
            || update.email.is_some()
            || update.username.is_some()
            || update.external_id.is_some();
        if changed {
            self.dir.update_user(caller, user.id(), update).await?;
        }
        let state = record.account.state();
        match scim.active {
            Some(false)
                if matches!(
                    state,
                    AccountState::Created | AccountState::Invited | AccountState::Active
                ) =>
            {
                self.dir
                    .change_account(caller, user.id(), Event::Deactivate)
                    .await?;
            }
            Some(true) if state == AccountState::Inactive => {
                self.dir
                    .change_account(caller, user.id(), Event::Reactivate)
                    .await?;
            }
            Some(true) if state == AccountState::Blocked => {
                return Err(ScimError::bad(
                    "invalidValue",
                    "active: the account is blocked in tenantry; an admin lifts blocks there",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    async fn replace_group(
        &self,
        client: &ScimClient,
        id: &str,
        wanted: &Value,
    ) -> Result<(), ScimError> {
        let (group, _) = self.group_record(client, id).await?;
        let scim = group_from_scim(wanted)?;
        let caller = Self::caller(client);
        self.check_members(client, &scim.members).await?;
        if scim.name != group.name || scim.external_id != group.external_id {
            let (name, external_id) = (scim.name.clone(), scim.external_id.clone());
            self.dir
                .update_group(caller, group.id, move |g| {
                    g.name = name.clone();
                    g.external_id = external_id.clone();
                })
                .await?;
        }
        let current = self.members(group.id).await?;
        let add: Vec<UserId> = scim
            .members
            .iter()
            .filter(|m| !current.contains(m))
            .copied()
            .collect();
        let remove: Vec<UserId> = current
            .iter()
            .filter(|m| !scim.members.contains(m))
            .copied()
            .collect();
        if !add.is_empty() || !remove.is_empty() {
            self.dir
                .change_members(caller, group.id, &add, &remove)
                .await?;
        }
        Ok(())
    }

    async fn delete(
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

/// The name `text` gives (validated) and the id of the entry of `list` that has it
/// (compared case-insensitively), if any.
fn named<I: Copy>(
    list: &[(I, Name)],
    attribute: &str,
    text: &Option<String>,
) -> Result<(Option<Name>, Option<I>), ScimError> {
    let Some(text) = text else {
        return Ok((None, None));
    };
    let name = Name::parse(text)
        .map_err(|e| ScimError::bad("invalidValue", format!("{attribute}: {e}")))?;
    let found = list
        .iter()
        .find(|(_, n)| n.as_str().eq_ignore_ascii_case(name.as_str()))
        .map(|(id, _)| *id);
    Ok((Some(name), found))
}

fn list_of(resources: Vec<Value>) -> ScimResponse {
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
fn login_lookup(filter: &Filter) -> Option<LoginKey> {
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

fn resource_kind(segment: &str) -> Result<Kind, ScimError> {
    match segment {
        "Users" => Ok(Kind::Users),
        "Groups" => Ok(Kind::Groups),
        _ => Err(ScimError::not_found("endpoint")),
    }
}

fn case_exact(resource: &str, path: &AttrPath) -> bool {
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

/// A change's `If-Match` precondition: 412 unless the header names the current `tag`.
fn precondition(if_match: Option<&str>, tag: &str) -> Result<(), ScimError> {
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
fn etag_matches(header: &str, tag: &str) -> bool {
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

fn parse_body(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))
}

fn decode(s: &str) -> String {
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

fn paths(list: &str) -> Result<Vec<AttrPath>, ScimError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| {
            AttrPath::parse(p).map_err(|e| ScimError::bad("invalidPath", format!("`{p}`: {e}")))
        })
        .collect()
}

fn number(name: &str, value: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse()
        .map_err(|_| ScimError::bad("invalidValue", format!("{name} must be a number")))
}

fn query_params(query: &str) -> Result<ListParams, ScimError> {
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

fn search_params(body: &[u8]) -> Result<ListParams, ScimError> {
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

fn set_param(p: &mut ListParams, key: &str, value: &Value) -> Result<(), ScimError> {
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
    fn apply(&self, resource: Value) -> Value {
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

fn only_subs(v: &Value, wanted: &[&AttrPath]) -> Value {
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

fn drop_sub(v: &mut Value, sub: &str) {
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

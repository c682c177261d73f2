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
//!
//! Inside: `auth` (bearer tokens), `routing` (endpoints, bodies, preconditions), `read`
//! (single resources), `lists` (filters, sorting, paging, projection), `users`, `groups`
//! and `error` (the mapping of library errors onto SCIM errors).

use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tenantry::Directory;
use tenantry_identity::{DepartmentId, JobProfileId, Name, OrgId, PhoneRegion, UserId};
use tenantry_lifecycle::WayIn;

use crate::filter::{AttrPath, Filter};

mod auth;
mod error;
mod groups;
mod lists;
mod read;
mod routing;
mod users;

pub use error::ScimError;
use lists::*;
use routing::*;

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
}

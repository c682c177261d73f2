//! # tenantry-scim
//!
//! SCIM 2.0 (RFC 7643/7644) provisioning on top of the tenantry directory, for identity
//! providers such as Entra ID and Okta:
//!
//! - [`service`]: every endpoint (`/Users`, `/Groups`, `.search`, `/ServiceProviderConfig`,
//!   `/ResourceTypes`, `/Schemas`) as one framework-free request handler over a
//!   [`Directory`](tenantry::Directory), with bearer tokens per organization; every change is
//!   the directory's, so permission-checked, audited and following the lifecycle rules;
//! - [`router`] (feature `axum`): the same as an axum router;
//! - [`filter`]: the parser, printer and evaluator of SCIM filters and PATCH paths;
//! - [`patch`]: PATCH operations applied to a resource's JSON;
//! - [`user`], [`group`]: SCIM resources to and from tenantry users and groups;
//! - [`schema`]: what the server publishes about itself, and why it lists what it lists.
//!
//! The `scim_server` example serves it on SQLite; `.ci/run` checks it with the scim2-tester
//! compliance checker. Bulk operations and password changes are not offered.
//!
//! ```
//! use tenantry_scim::filter::{Filter, PatchPath};
//! use serde_json::json;
//!
//! let filter = Filter::parse(r#"userName eq "bjensen" and emails[type eq "work" and value co "@example.com"]"#)?;
//! let user = json!({
//!     "userName": "BJensen",
//!     "emails": [{"type": "work", "value": "bjensen@example.com"}],
//! });
//! // userName is not case-exact: "bjensen" matches "BJensen".
//! assert!(filter.matches(&user, &|_| false));
//! // What prints parses back to the same filter.
//! assert_eq!(Filter::parse(&filter.to_string())?, filter);
//!
//! let path = PatchPath::parse(r#"emails[type eq "work"].value"#)?;
//! assert_eq!(path.sub.as_deref(), Some("value"));
//! assert!(Filter::parse("userName eq").is_err());
//! # Ok::<(), tenantry_scim::filter::FilterError>(())
//! ```

pub mod filter;
pub mod group;
pub mod patch;
#[cfg(feature = "axum")]
pub mod router;
pub mod schema;
pub mod service;
pub mod user;

/// A resource's `meta.version` and `ETag`: the stored version as a weak tag.
pub(crate) fn weak_etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

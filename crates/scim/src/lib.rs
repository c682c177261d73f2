//! # tenantry-scim
//!
//! SCIM 2.0 (RFC 7643/7644) provisioning on top of the tenantry directory, for identity
//! providers such as Entra ID and Okta. This release holds three modules: [`filter`], the
//! parser, printer and evaluator of SCIM filters and PATCH paths; [`patch`], PATCH
//! operations applied to a resource's JSON; and [`user`], SCIM Users to and from tenantry
//! users. Groups, the use cases behind each endpoint and the axum router are not written
//! yet.
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
pub mod patch;
pub mod user;

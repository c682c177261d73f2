//! # tenantry-scim
//!
//! SCIM 2.0 (RFC 7643/7644) provisioning on top of the tenantry directory: resource
//! mapping, filters, PATCH and an axum router for identity providers such as Entra ID and Okta.
//!
//! It is not written yet: see the SCIM issue. Nothing here is public API.

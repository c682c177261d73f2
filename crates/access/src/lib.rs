//! # tenantry-access
//!
//! Who may do what, where. This crate will hold the permission catalog the host
//! application builds (permissions with stable keys, requirements between them, roles),
//! organization entitlements, grants with their scopes (the organization, its children,
//! its subtree), a compiled resolver whose decisions explain themselves, and the guards the
//! directory service runs before every administrative change.
//!
//! It is not written yet: see the permission-resolution issue. Nothing here is public API.

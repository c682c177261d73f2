//! The crate's errors: building a catalog, and using keys it does not know.

use crate::catalog::{PermissionKey, RoleKey};

/// Why a catalog could not be built or a key not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// A key that is not well formed.
    #[error(
        "invalid key {key:?}: keys are 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter"
    )]
    InvalidKey {
        /// The key as given.
        key: String,
    },
    /// A permission that the catalog does not have.
    #[error("unknown permission {0}")]
    UnknownPermission(String),
    /// A role that the catalog does not have.
    #[error("unknown role {0}")]
    UnknownRole(String),
    /// The same key twice.
    #[error("duplicate key {0}")]
    Duplicate(String),
    /// Requirements that go round in a circle.
    #[error("requirement cycle: {}", .0.iter().map(PermissionKey::as_str).collect::<Vec<_>>().join(" -> "))]
    RequirementCycle(Vec<PermissionKey>),
    /// More permissions than the compiled resolver holds.
    #[error("a catalog holds at most {max} permissions")]
    TooManyPermissions {
        /// The maximum.
        max: usize,
    },
    /// The catalog names no admin permission, or an unknown one.
    #[error("the catalog needs an admin permission")]
    NoAdminPermission,
    /// A role referenced by a grant.
    #[error("role {0} is not in the catalog")]
    RoleNotInCatalog(RoleKey),
    /// An organization the resolver does not know.
    #[error("unknown organization {0}")]
    UnknownOrganization(tenantry_identity::OrgId),
    /// The organization tree given to the resolver is not a tree.
    #[error("organization tree: {0}")]
    Tree(#[from] tenantry_identity::ModelError),
}

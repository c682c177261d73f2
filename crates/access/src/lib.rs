//! # tenantry-access
//!
//! Who may do what, where — decided purely, in nanoseconds, with an explanation.
//!
//! The host builds a [`Catalog`] of permissions (stable keys, descriptions, the permissions
//! each requires, the [`Area`] it applies to) and roles (named bundles). Organizations are
//! [entitled](AccessModel::entitle) to what they may hand out (the partner portal's company-level
//! permissions); users hold [grants](AccessModel::set_grant) of permissions and roles at an
//! organization with a [`Scope`]: the organization, its children only (the partner portal's Customer
//! Manager), or its whole subtree. A [`Resolver`] compiles all of it into dense bit sets and
//! answers [`Resolver::check`] with a [`Decision`] that names the grant that allowed it, or
//! the entitlement, kind rule or requirement that denied it. Deny is the default; an unknown
//! permission key is an error, never an allow.
//!
//! Kind rules (social intranet): guests never hold network-wide permissions and hold group ones
//! only in groups they belong to; administration is for standard users; consumers hold
//! nothing unless the catalog says so. Before any change the directory service asks
//! [`Resolver::guard_change`] or [`Resolver::guard_remove_user`]: no escalation, only within
//! entitlements, requirements kept, nobody removes their own admin permission, and no
//! organization loses its last admin.
//!
//! ```
//! use tenantry_access::*;
//! use tenantry_identity::{OrgId, UserId, UserKind};
//! # use rand::SeedableRng;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! # let now = chrono::DateTime::UNIX_EPOCH;
//! let mut b = CatalogBuilder::new();
//! b.permission("company.admin", Area::Admin, "administer the company", &[])?
//!     .permission("environment.view", Area::Network, "see environments", &[])?
//!     .permission("environment.admin", Area::Admin, "manage environments", &["environment.view"])?
//!     .admin_permission("company.admin");
//! let catalog = b.build()?;
//!
//! let (partner, acme) = (OrgId::generate(now, &mut rng), OrgId::generate(now, &mut rng));
//! let (manager, ann) = (UserId::generate(now, &mut rng), UserId::generate(now, &mut rng));
//! let all = ["company.admin", "environment.view", "environment.admin"].map(|k| PermissionKey::new(k).unwrap());
//! let mut model = AccessModel::new();
//! model.add_org(partner, None).add_org(acme, Some(partner));
//! model.entitle(partner, all.clone()).entitle(acme, all.clone());
//! model.add_user(manager, UserKind::Standard, partner).add_user(ann, UserKind::Standard, acme);
//! // The partner's Customer Manager: admin in every customer company, not in its own.
//! let admin = Grantables { permissions: [all[0].clone()].into(), ..Grantables::new() };
//! model.set_grant(manager, partner, Scope::Children, admin);
//!
//! let resolver = Resolver::compile(&catalog, &model)?;
//! let company_admin = catalog.permission("company.admin")?;
//! assert!(resolver.check(manager, company_admin, Target::Org(acme)).is_allowed());
//! let own = resolver.check(manager, company_admin, Target::Org(partner));
//! assert_eq!(own, Decision::Deny(Denial::NoGrant));
//! assert!(resolver.check_key(manager, "no.such.permission", Target::Org(acme)).is_err());
//! # Ok(())
//! # }
//! ```

mod catalog;
mod error;
mod guard;
mod model;
mod permset;
mod resolver;
mod visibility;

pub use catalog::{
    Area, Catalog, CatalogBuilder, KindMask, PermissionDef, PermissionId, PermissionKey, RoleDef,
    RoleKey,
};
pub use error::AccessError;
pub use guard::{Change, Plan, Refusal};
pub use model::{AccessModel, GrantRef, Grantables, Scope};
pub use permset::PermSet;
pub use resolver::{Allowance, Decision, Denial, Resolver, Target, Via};
pub use visibility::{may_file_request, sees_group, sees_request};

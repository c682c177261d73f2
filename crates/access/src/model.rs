//! What the resolver is compiled from: organizations, entitlements, users, groups, grants.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use tenantry_identity::{GroupId, OrgId, UserId, UserKind};

use crate::catalog::{PermissionKey, RoleKey};

/// Where a grant applies, relative to its organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The organization itself.
    Organization,
    /// Its direct children only, not itself (the partner portal's Customer Manager: admin in every
    /// customer company, nothing in its own).
    Children,
    /// The organization and everything below it.
    Subtree,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Organization => "the organization",
            Scope::Children => "its child organizations",
            Scope::Subtree => "the organization and everything below it",
        })
    }
}

/// The permissions and roles one grant names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grantables {
    /// Permissions named one by one (the agency's checkboxes).
    pub permissions: BTreeSet<PermissionKey>,
    /// Roles.
    pub roles: BTreeSet<RoleKey>,
}

impl Grantables {
    /// Nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether it names nothing.
    pub fn is_empty(&self) -> bool {
        self.permissions.is_empty() && self.roles.is_empty()
    }
}

/// Identifies a grant: one per user, organization and scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GrantRef {
    /// The holder.
    pub user: UserId,
    /// The organization it is anchored at.
    pub org: OrgId,
    /// Where it applies.
    pub scope: Scope,
}

/// A snapshot of everything permissions depend on; the directory service loads it from its
/// store and compiles it into a [`crate::Resolver`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessModel {
    /// Organizations and their parents.
    pub orgs: BTreeMap<OrgId, Option<OrgId>>,
    /// What each organization may hand out (the partner portal's company-level permissions). An
    /// organization without an entry may hand out nothing.
    pub entitlements: BTreeMap<OrgId, BTreeSet<PermissionKey>>,
    /// Each user's kind and home organization.
    pub users: BTreeMap<UserId, (UserKind, OrgId)>,
    /// Each group's organization and whether guests see it.
    pub groups: BTreeMap<GroupId, (OrgId, bool)>,
    /// Group memberships.
    pub memberships: BTreeSet<(UserId, GroupId)>,
    /// Grants.
    pub grants: BTreeMap<GrantRef, Grantables>,
    /// Users whose accounts do not count as admins whatever they hold (inactive, blocked,
    /// waiting for approval): the "keep an admin" rules look past them.
    #[serde(default)]
    pub dormant: BTreeSet<UserId>,
}

impl AccessModel {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an organization.
    pub fn add_org(&mut self, org: OrgId, parent: Option<OrgId>) -> &mut Self {
        self.orgs.insert(org, parent);
        self
    }

    /// Sets what `org` may hand out.
    pub fn entitle(
        &mut self,
        org: OrgId,
        permissions: impl IntoIterator<Item = PermissionKey>,
    ) -> &mut Self {
        self.entitlements
            .insert(org, permissions.into_iter().collect());
        self
    }

    /// Adds a user.
    pub fn add_user(&mut self, user: UserId, kind: UserKind, org: OrgId) -> &mut Self {
        self.users.insert(user, (kind, org));
        self
    }

    /// Marks `user` as not counting as an admin (or counting again).
    pub fn set_dormant(&mut self, user: UserId, dormant: bool) -> &mut Self {
        if dormant {
            self.dormant.insert(user);
        } else {
            self.dormant.remove(&user);
        }
        self
    }

    /// Adds a group.
    pub fn add_group(&mut self, group: GroupId, org: OrgId, visible_to_guests: bool) -> &mut Self {
        self.groups.insert(group, (org, visible_to_guests));
        self
    }

    /// Adds a membership.
    pub fn add_member(&mut self, user: UserId, group: GroupId) -> &mut Self {
        self.memberships.insert((user, group));
        self
    }

    /// Sets the grant of `user` at `org` with `scope` (an empty one removes it).
    pub fn set_grant(
        &mut self,
        user: UserId,
        org: OrgId,
        scope: Scope,
        grantables: Grantables,
    ) -> &mut Self {
        let key = GrantRef { user, org, scope };
        if grantables.is_empty() {
            self.grants.remove(&key);
        } else {
            self.grants.insert(key, grantables);
        }
        self
    }
}

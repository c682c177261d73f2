//! Guards the directory service runs before any change of grants or of a user's standing.

use tenantry_identity::{OrgId, UserId, UserKind};

use crate::catalog::{Catalog, PermissionKey, RoleKey};
use crate::error::AccessError;
use crate::model::{GrantRef, Grantables};
use crate::permset::PermSet;
use crate::resolver::{Resolver, Target};

/// A proposed change to one grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Add these permissions and roles.
    Grant(Grantables),
    /// Remove these; with `cascade`, also remove what would lose a requirement.
    Revoke {
        /// What to remove.
        what: Grantables,
        /// Remove dependants too instead of refusing.
        cascade: bool,
    },
}

/// What the service commits when a change is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The grant changed.
    pub grant: GrantRef,
    /// Its content afterwards (empty: delete it).
    pub after: Grantables,
    /// Permissions removed by the cascade, beyond those asked for.
    pub cascaded: Vec<PermissionKey>,
    /// Roles removed by the cascade.
    pub cascaded_roles: Vec<RoleKey>,
    /// Organizations whose set of admins changes: bump their versions in the changeset so
    /// concurrent changes cannot together leave one without an admin.
    pub admin_orgs: Vec<OrgId>,
}

/// Why a guard refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A user the resolver does not know.
    #[error("unknown user {0}")]
    UnknownUser(UserId),
    /// An organization the resolver does not know.
    #[error("unknown organization {0}")]
    UnknownOrganization(OrgId),
    /// A key the catalog does not know.
    #[error(transparent)]
    Catalog(#[from] AccessError),
    /// The actor does not administer this permission where the grant is anchored.
    #[error("the actor needs {needs} at organization {org} to change {permission}")]
    NotAdministrator {
        /// The permission being changed.
        permission: PermissionKey,
        /// What the actor would need.
        needs: PermissionKey,
        /// Where.
        org: OrgId,
    },
    /// The organization may not hand this permission out.
    #[error("organization {org} is not entitled to {permission}")]
    NotEntitled {
        /// The permission.
        permission: PermissionKey,
        /// The organization.
        org: OrgId,
    },
    /// The user's kind may not hold this permission.
    #[error("{kind} users cannot hold {permission}")]
    KindCannotHold {
        /// The permission.
        permission: PermissionKey,
        /// The kind.
        kind: UserKind,
    },
    /// Granting a permission without one it requires.
    #[error("{permission} requires {requires}, which the user would not have")]
    MissingRequirement {
        /// The permission granted.
        permission: PermissionKey,
        /// What it needs.
        requires: PermissionKey,
    },
    /// Revoking a permission another held one requires (ask for a cascade to remove both).
    #[error("{permission} requires {requires}: revoke it too, or ask for a cascade")]
    RequiredBy {
        /// The dependant that would lose its requirement.
        permission: PermissionKey,
        /// The permission being revoked.
        requires: PermissionKey,
    },
    /// Revoking a permission that comes through a role; revoke the role instead.
    #[error("{permission} comes through role {role}; revoke the role")]
    GrantedThroughRole {
        /// The permission.
        permission: PermissionKey,
        /// The role that brings it.
        role: RoleKey,
    },
    /// Nobody removes their own admin permission (partner portal).
    #[error("nobody can remove their own admin permission")]
    SelfDemotion,
    /// The change would leave the organization without an admin.
    #[error("organization {org} would be left without an admin")]
    LastAdmin {
        /// The organization.
        org: OrgId,
    },
}

impl Resolver {
    /// The organization's admins: its own members who hold the admin permission there and are
    /// not dormant (see [`crate::AccessModel::dormant`]).
    pub fn admins_of(&self, org: OrgId) -> Vec<UserId> {
        let Some(o) = self.org_idx(org) else {
            return Vec::new();
        };
        let admin = self.catalog().admin();
        self.members(o)
            .iter()
            .map(|&u| self.user_id(u))
            .filter(|u| !self.model().dormant.contains(u))
            .filter(|&u| Catalog::has(self.effective(u, Target::Org(org)), admin))
            .collect()
    }

    /// Checks `actor` may make `change` to the grant `grant`, and plans it.
    ///
    /// The rules: the actor must hold, at the grant's organization, the permission that
    /// administers each permission changed (no escalation: what nobody administers, nobody
    /// confers, and roles are checked permission by permission); granted permissions must be
    /// within the organization's entitlements and the user's kind, with their requirements;
    /// revoking a requirement of a held permission is refused or cascades; nobody removes
    /// their own admin permission; no organization that has an admin is left without one.
    pub fn guard_change(
        &self,
        actor: UserId,
        grant: GrantRef,
        change: &Change,
    ) -> Result<Plan, Refusal> {
        self.plan(Some(actor), grant, change)
    }

    /// [`Self::guard_change`] for a change the host or an integration makes with the
    /// organization's own authority: every rule but the actor's (entitlements, kinds,
    /// requirements, the last admin) still holds.
    pub fn guard_system_change(&self, grant: GrantRef, change: &Change) -> Result<Plan, Refusal> {
        self.plan(None, grant, change)
    }

    fn plan(
        &self,
        actor: Option<UserId>,
        grant: GrantRef,
        change: &Change,
    ) -> Result<Plan, Refusal> {
        let catalog = self.catalog();
        if let Some(actor) = actor {
            self.user_idx(actor).ok_or(Refusal::UnknownUser(actor))?;
        }
        let t = self
            .user_idx(grant.user)
            .ok_or(Refusal::UnknownUser(grant.user))?;
        let o = self
            .org_idx(grant.org)
            .ok_or(Refusal::UnknownOrganization(grant.org))?;
        let current = self.model().grants.get(&grant).cloned().unwrap_or_default();
        let actor_here = actor.map(|a| self.effective(a, Target::Org(grant.org)));
        let authority = |set: PermSet| -> Result<(), Refusal> {
            let Some(actor_here) = actor_here else {
                return Ok(());
            };
            for id in catalog.ids(set) {
                let needs = catalog.administered_by(id);
                if !Catalog::has(actor_here, needs) {
                    return Err(Refusal::NotAdministrator {
                        permission: catalog.key(id).clone(),
                        needs: catalog.key(needs).clone(),
                        org: grant.org,
                    });
                }
            }
            Ok(())
        };
        let covered = self.covered(o, grant.scope);
        let mut cascaded = Vec::new();
        let mut cascaded_roles = Vec::new();

        let after = match change {
            Change::Grant(add) => {
                let delta = catalog.expand(&add.permissions, &add.roles)?;
                authority(delta)?;
                let kind = self.user_kind(t);
                for id in catalog.ids(delta) {
                    if !Catalog::has(self.entitled(o), id) {
                        return Err(Refusal::NotEntitled {
                            permission: catalog.key(id).clone(),
                            org: grant.org,
                        });
                    }
                    if !Catalog::has(catalog.kind_set(kind), id) {
                        return Err(Refusal::KindCannotHold {
                            permission: catalog.key(id).clone(),
                            kind,
                        });
                    }
                }
                let mut after = current.clone();
                after.permissions.extend(add.permissions.iter().cloned());
                after.roles.extend(add.roles.iter().cloned());
                let named = catalog.expand(&after.permissions, &after.roles)?;
                // Requirements must hold wherever the grant applies (or at its anchor when
                // it covers nothing yet, such as the children of a leaf).
                let places = if covered.is_empty() {
                    vec![o]
                } else {
                    covered.clone()
                };
                for &place in &places {
                    let available = self
                        .granted_at(t, place, o, grant.scope, named)
                        .union(named.intersect(self.entitled(o)));
                    for id in catalog.ids(delta) {
                        if let Some(req) = catalog.missing_requirement(id, available) {
                            return Err(Refusal::MissingRequirement {
                                permission: catalog.key(id).clone(),
                                requires: catalog.key(req).clone(),
                            });
                        }
                    }
                }
                after
            }
            Change::Revoke { what, cascade } => {
                let delta = catalog.expand(&what.permissions, &what.roles)?;
                authority(delta)?;
                let mut after = current.clone();
                for p in &what.permissions {
                    if !after.permissions.remove(p) {
                        let id = catalog.permission(p.as_str())?;
                        if let Some(role) = after
                            .roles
                            .iter()
                            .find(|r| catalog.role(r).is_ok_and(|s| Catalog::has(s, id)))
                        {
                            return Err(Refusal::GrantedThroughRole {
                                permission: p.clone(),
                                role: role.clone(),
                            });
                        }
                    }
                }
                for r in &what.roles {
                    after.roles.remove(r);
                }
                // Dependants that would lose a requirement: refuse, or remove them too.
                loop {
                    let named = catalog.expand(&after.permissions, &after.roles)?;
                    let mut broken = None;
                    for &place in &covered {
                        let before = self.effective_with(
                            t,
                            place,
                            o,
                            grant.scope,
                            catalog.expand(&current.permissions, &current.roles)?,
                        );
                        let available = self.granted_at(t, place, o, grant.scope, named);
                        for id in catalog.ids(before.intersect(named)) {
                            if let Some(req) = catalog.missing_requirement(id, available) {
                                broken = Some((id, req));
                                break;
                            }
                        }
                        if broken.is_some() {
                            break;
                        }
                    }
                    let Some((dependant, req)) = broken else {
                        break;
                    };
                    if !cascade {
                        return Err(Refusal::RequiredBy {
                            permission: catalog.key(dependant).clone(),
                            requires: catalog.key(req).clone(),
                        });
                    }
                    let dep_key = catalog.key(dependant).clone();
                    if after.permissions.remove(&dep_key) {
                        cascaded.push(dep_key);
                    }
                    let roles: Vec<RoleKey> = after
                        .roles
                        .iter()
                        .filter(|r| catalog.role(r).is_ok_and(|s| Catalog::has(s, dependant)))
                        .cloned()
                        .collect();
                    for r in roles {
                        after.roles.remove(&r);
                        cascaded_roles.push(r);
                    }
                }
                let extra = catalog.expand(
                    &cascaded.iter().cloned().collect(),
                    &cascaded_roles.iter().cloned().collect(),
                )?;
                authority(extra)?;
                after
            }
        };

        // Admins: who gains or loses the admin permission, and where.
        let admin = catalog.admin();
        let before_named = catalog.expand(&current.permissions, &current.roles)?;
        let after_named = catalog.expand(&after.permissions, &after.roles)?;
        let home = self.model().users.get(&grant.user).map(|(_, org)| *org);
        let mut admin_orgs = Vec::new();
        for &place in &covered {
            let had = Catalog::has(
                self.effective_with(t, place, o, grant.scope, before_named),
                admin,
            );
            let has = Catalog::has(
                self.effective_with(t, place, o, grant.scope, after_named),
                admin,
            );
            if had == has {
                continue;
            }
            let place_id = self.org_id(place);
            admin_orgs.push(place_id);
            if had && !has {
                if actor == Some(grant.user) {
                    return Err(Refusal::SelfDemotion);
                }
                if home == Some(place_id)
                    && self.admins_of(place_id).iter().all(|u| *u == grant.user)
                {
                    return Err(Refusal::LastAdmin { org: place_id });
                }
            }
        }
        Ok(Plan {
            grant,
            after,
            cascaded,
            cascaded_roles,
            admin_orgs,
        })
    }

    /// Checks `user` may stop counting as an admin (deactivated, blocked, deleted or moved):
    /// no organization that has an admin is left without one. Returns the organizations whose
    /// admins change, to bump in the changeset.
    pub fn guard_remove_user(&self, user: UserId) -> Result<Vec<OrgId>, Refusal> {
        let home = self
            .model()
            .users
            .get(&user)
            .map(|(_, org)| *org)
            .ok_or(Refusal::UnknownUser(user))?;
        let admins = self.admins_of(home);
        if !admins.contains(&user) {
            return Ok(Vec::new());
        }
        if admins.len() == 1 {
            return Err(Refusal::LastAdmin { org: home });
        }
        Ok(vec![home])
    }
}

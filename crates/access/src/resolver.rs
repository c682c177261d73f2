//! The compiled resolver: dense indices, bit sets, O(1) scope tests, explained decisions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tenantry_identity::{GroupId, OrgId, OrgTree, UserId, UserKind};

use crate::catalog::{Area, Catalog, PermissionId, RoleKey};
use crate::error::AccessError;
use crate::model::{AccessModel, GrantRef, Scope};
use crate::permset::PermSet;

/// A fast hasher for ids (UUIDs are already random): an FxHash-style fold.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// What a check is about: an organization, or a group inside one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The organization as a whole (its network-wide areas, its administration).
    Org(OrgId),
    /// A group (guests act only in groups they belong to).
    Group(GroupId),
}

/// How an allowed permission came to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// Named in the grant.
    Direct,
    /// Through this role.
    Role(RoleKey),
}

/// Why a check came out allowed: the grant and the way in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// The grant that allowed it.
    pub grant: GrantRef,
    /// Directly or through a role.
    pub via: Via,
}

/// Why a check came out denied. Denial is the default: anything not allowed is denied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// The user is not in the resolver.
    UnknownSubject,
    /// The organization or group is not in the resolver.
    UnknownTarget,
    /// No grant covering the target names the permission.
    NoGrant,
    /// The organization may not hand the permission out (an entitlement is missing).
    NotEntitled {
        /// The organization without the entitlement.
        org: OrgId,
    },
    /// The user's kind may not hold it (guests and network areas, consumers, PIN users).
    KindLimit {
        /// The kind.
        kind: UserKind,
    },
    /// A guest acting outside the groups they belong to.
    NotGroupMember,
    /// It requires a permission the user does not have here.
    MissingRequirement {
        /// The missing permission.
        requires: PermissionId,
    },
}

/// The answer of a check, with its explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, and by which grant.
    Allow(Allowance),
    /// Denied, and why.
    Deny(Denial),
}

impl Decision {
    /// Whether it is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// A sentence for logs and admin screens.
    pub fn explain(&self, catalog: &Catalog) -> String {
        match self {
            Decision::Allow(a) => {
                let via = match &a.via {
                    Via::Direct => "directly".to_owned(),
                    Via::Role(r) => format!("through role {r}"),
                };
                format!(
                    "allowed by the grant at organization {} for {}, {via}",
                    a.grant.org, a.grant.scope
                )
            }
            Decision::Deny(d) => match d {
                Denial::UnknownSubject => "denied: unknown user".to_owned(),
                Denial::UnknownTarget => "denied: unknown organization or group".to_owned(),
                Denial::NoGrant => "denied: no grant covering the target names it".to_owned(),
                Denial::NotEntitled { org } => {
                    format!("denied: organization {org} is not entitled to it")
                }
                Denial::KindLimit { kind } => format!("denied: {kind} users cannot hold it"),
                Denial::NotGroupMember => {
                    "denied: guests act only in groups they belong to".to_owned()
                }
                Denial::MissingRequirement { requires } => {
                    format!(
                        "denied: it requires {}, which the user does not have here",
                        catalog.key(*requires)
                    )
                }
            },
        }
    }
}

/// The part of a grant every check reads, kept small and contiguous.
#[derive(Clone, Copy, Debug)]
struct CompiledGrant {
    org: u32,
    scope: Scope,
    /// What the grant names (roles expanded) within the anchor organization's entitlements.
    usable: PermSet,
    /// Index into `role_keys` of the grant's only role, when it names exactly one role and
    /// no permission directly: then an allowance needs nothing from `grant_cold`.
    sole_role: Option<u16>,
    /// Whether `named` (in `grant_cold`) equals `usable`: then a denial needs nothing from it.
    all_usable: bool,
}

/// What explanations read of a grant when its compiled form does not settle them.
#[derive(Clone, Debug)]
struct GrantCold {
    /// What the grant names (roles expanded), entitled or not.
    named: PermSet,
    /// What it names directly.
    direct: PermSet,
    roles: Vec<(RoleKey, PermSet)>,
}

#[derive(Clone, Debug)]
struct OrgNode {
    id: OrgId,
    parent: Option<u32>,
    pre: u32,
    post: u32,
    entitled: PermSet,
}

/// What a check reads of a user, small enough to sit in the user index itself, so a check
/// reaches the user's grants with one look-up (see `benches/access.rs`).
#[derive(Clone, Copy, Debug)]
struct UserNode {
    /// The user's index into `users`, `user_ids` and `user_groups`.
    idx: u32,
    /// This user's grants are `grants[first..first + count]`.
    first: u32,
    count: u32,
    kind: UserKind,
}

/// The compiled resolver: build it from an [`AccessModel`] once, then check in nanoseconds.
#[derive(Clone, Debug)]
pub struct Resolver {
    catalog: Catalog,
    orgs: Vec<OrgNode>,
    org_index: IdMap<OrgId, u32>,
    users: Vec<UserNode>,
    /// The sorted groups of each user: read only for kinds limited to shared areas.
    user_groups: Vec<Vec<u32>>,
    grants: Vec<CompiledGrant>,
    /// Per grant, what explanations read when the compiled grant does not settle them.
    grant_cold: Vec<GrantCold>,
    /// Every role key of the catalog, for `CompiledGrant::sole_role`.
    role_keys: Vec<RoleKey>,
    user_ids: Vec<UserId>,
    user_index: IdMap<UserId, UserNode>,
    groups: Vec<(u32, bool)>,
    group_index: IdMap<GroupId, u32>,
    members_by_org: Vec<Vec<u32>>,
    tree: OrgTree,
    model: AccessModel,
}

impl Resolver {
    /// Compiles `model` against `catalog`. Fails on an organization tree with cycles or
    /// missing parents, on unknown keys, and on users, groups or grants of unknown organizations.
    pub fn compile(catalog: &Catalog, model: &AccessModel) -> Result<Self, AccessError> {
        let tree = OrgTree::from_edges(model.orgs.iter().map(|(o, p)| (*o, *p)))?;
        // Euler tour numbering: `a` is an ancestor-or-self of `b` iff pre[a] <= pre[b] && post[b] <= post[a].
        let mut orgs: Vec<OrgNode> = Vec::with_capacity(model.orgs.len());
        let mut org_index: IdMap<OrgId, u32> = IdMap::default();
        let mut counter = 0u32;
        let roots: Vec<OrgId> = tree.roots().collect();
        for root in roots {
            // Iterative DFS: (org, parent index, entering?).
            let mut stack = vec![(root, None::<u32>, true)];
            while let Some((id, parent, entering)) = stack.pop() {
                if entering {
                    let idx = orgs.len() as u32;
                    org_index.insert(id, idx);
                    let entitled = match model.entitlements.get(&id) {
                        Some(keys) => {
                            let mut s = PermSet::EMPTY;
                            for k in keys {
                                s.insert(catalog.permission(k.as_str())?.index());
                            }
                            s
                        }
                        None => PermSet::EMPTY,
                    };
                    orgs.push(OrgNode {
                        id,
                        parent,
                        pre: counter,
                        post: 0,
                        entitled,
                    });
                    counter += 1;
                    stack.push((id, parent, false));
                    let mut kids: Vec<OrgId> = tree.children(id).collect();
                    kids.reverse();
                    for k in kids {
                        stack.push((k, Some(idx), true));
                    }
                } else if let Some(&idx) = org_index.get(&id) {
                    orgs[idx as usize].post = counter;
                    counter += 1;
                }
            }
        }
        let org_of = |o: &OrgId| {
            org_index
                .get(o)
                .copied()
                .ok_or(AccessError::UnknownOrganization(*o))
        };

        let mut groups = Vec::with_capacity(model.groups.len());
        let mut group_index: IdMap<GroupId, u32> = IdMap::default();
        for (g, (org, visible)) in &model.groups {
            group_index.insert(*g, groups.len() as u32);
            groups.push((org_of(org)?, *visible));
        }

        let mut users = Vec::with_capacity(model.users.len());
        let mut user_ids = Vec::with_capacity(model.users.len());
        let mut user_index: IdMap<UserId, u32> = IdMap::default();
        let mut members_by_org = vec![Vec::new(); orgs.len()];
        for (u, (kind, org)) in &model.users {
            let idx = users.len() as u32;
            user_index.insert(*u, idx);
            user_ids.push(*u);
            let org = org_of(org)?;
            members_by_org[org as usize].push(idx);
            users.push(UserNode {
                idx,
                first: 0,
                count: 0,
                kind: *kind,
            });
        }
        let mut user_groups = vec![Vec::new(); users.len()];
        for (u, g) in &model.memberships {
            if let (Some(&ui), Some(&gi)) = (user_index.get(u), group_index.get(g)) {
                user_groups[ui as usize].push(gi);
            }
        }
        for g in &mut user_groups {
            g.sort_unstable();
        }
        let role_keys: Vec<RoleKey> = catalog.roles().map(|r| r.key.clone()).collect();
        // Grants are sorted by user in the model's order; lay them out contiguously per user.
        let mut per_user: Vec<Vec<(CompiledGrant, GrantCold)>> = vec![Vec::new(); users.len()];
        for (r, grantables) in &model.grants {
            let Some(&ui) = user_index.get(&r.user) else {
                continue;
            };
            let org = org_of(&r.org)?;
            let mut direct = PermSet::EMPTY;
            for p in &grantables.permissions {
                direct.insert(catalog.permission(p.as_str())?.index());
            }
            let mut roles = Vec::with_capacity(grantables.roles.len());
            let mut named = direct;
            for role in &grantables.roles {
                let set = catalog.role(role)?;
                named = named.union(set);
                roles.push((role.clone(), set));
            }
            let usable = named.intersect(orgs[org as usize].entitled);
            let sole_role = match roles.as_slice() {
                [(key, _)] if direct == PermSet::EMPTY => role_keys
                    .iter()
                    .position(|k| k == key)
                    .and_then(|i| u16::try_from(i).ok()),
                _ => None,
            };
            per_user[ui as usize].push((
                CompiledGrant {
                    org,
                    scope: r.scope,
                    usable,
                    sole_role,
                    all_usable: named == usable,
                },
                GrantCold {
                    named,
                    direct,
                    roles,
                },
            ));
        }
        let mut grants = Vec::with_capacity(model.grants.len());
        let mut grant_cold = Vec::with_capacity(model.grants.len());
        for (ui, list) in per_user.into_iter().enumerate() {
            users[ui].first = grants.len() as u32;
            users[ui].count = list.len() as u32;
            for (g, cold) in list {
                grants.push(g);
                grant_cold.push(cold);
            }
        }
        let user_index = user_index
            .into_iter()
            .map(|(id, i)| (id, users[i as usize]))
            .collect();
        Ok(Self {
            catalog: catalog.clone(),
            orgs,
            org_index,
            users,
            user_groups,
            grants,
            grant_cold,
            role_keys,
            user_ids,
            user_index,
            groups,
            group_index,
            members_by_org,
            tree,
            model: model.clone(),
        })
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The model it was compiled from.
    pub fn model(&self) -> &AccessModel {
        &self.model
    }

    /// The organization tree.
    pub fn tree(&self) -> &OrgTree {
        &self.tree
    }

    /// The grants of `u`, with their indices into `grant_cold`.
    #[inline]
    fn grants_of(&self, u: &UserNode) -> impl Iterator<Item = (usize, &CompiledGrant)> {
        let first = u.first as usize;
        self.grants[first..first + u.count as usize]
            .iter()
            .enumerate()
            .map(move |(i, g)| (first + i, g))
    }

    #[inline]
    fn covers(&self, g: &CompiledGrant, target: u32) -> bool {
        self.covers_at(g.org, g.scope, target)
    }

    /// Whether a grant anchored at `anchor` with `scope` applies at `target`.
    #[inline]
    fn covers_at(&self, anchor: u32, scope: Scope, target: u32) -> bool {
        match scope {
            Scope::Organization => anchor == target,
            Scope::Children => self.orgs[target as usize].parent == Some(anchor),
            Scope::Subtree => {
                let (a, t) = (&self.orgs[anchor as usize], &self.orgs[target as usize]);
                a.pre <= t.pre && t.post <= a.post
            }
        }
    }

    /// The target's organization index and, for a group, (group index, visible to guests).
    #[inline]
    fn locate(&self, target: Target) -> Option<(u32, Option<u32>)> {
        match target {
            Target::Org(o) => self.org_index.get(&o).map(|&i| (i, None)),
            Target::Group(g) => self
                .group_index
                .get(&g)
                .map(|&gi| (self.groups[gi as usize].0, Some(gi))),
        }
    }

    /// What `user` may hold at `target` before requirements are applied.
    #[inline]
    fn unpruned(&self, u: &UserNode, org: u32, group: Option<u32>) -> PermSet {
        let mut raw = PermSet::EMPTY;
        for (_, g) in self.grants_of(u) {
            if self.covers(g, org) {
                raw = raw.union(g.usable);
            }
        }
        let mut set = raw
            .intersect(self.orgs[org as usize].entitled)
            .intersect(self.catalog.kind_set(u.kind));
        if u.kind.limited_to_shared_areas() {
            let in_group =
                group.is_some_and(|gi| self.user_groups[u.idx as usize].binary_search(&gi).is_ok());
            if !in_group {
                set = set.difference(self.catalog.area_set(Area::Group));
            }
        }
        set
    }

    /// The permissions `user` holds at `target`, closed under requirements. Cheap: hosts
    /// may cache it per (user, organization).
    pub fn effective(&self, user: UserId, target: Target) -> PermSet {
        let (Some(u), Some((org, group))) = (self.user_index.get(&user), self.locate(target))
        else {
            return PermSet::EMPTY;
        };
        self.catalog.prune(self.unpruned(u, org, group))
    }

    /// Whether `user` holds `permission` at `target`, with the reason. Deny by default.
    #[inline]
    pub fn check(&self, user: UserId, permission: PermissionId, target: Target) -> Decision {
        let Some(u) = self.user_index.get(&user) else {
            return Decision::Deny(Denial::UnknownSubject);
        };
        let Some((org, group)) = self.locate(target) else {
            return Decision::Deny(Denial::UnknownTarget);
        };
        let set = self.unpruned(u, org, group);
        let p = permission.index();
        if set.contains(p) && self.catalog.requirements(permission).is_subset(set) {
            return Decision::Allow(self.allowance(user, u, org, p));
        }
        Decision::Deny(self.denial(u, org, permission, set))
    }

    /// The key-based form of [`Self::check`]: an unknown key is an error, never a deny.
    pub fn check_key(
        &self,
        user: UserId,
        permission: &str,
        target: Target,
    ) -> Result<Decision, AccessError> {
        Ok(self.check(user, self.catalog.permission(permission)?, target))
    }

    fn allowance(&self, user: UserId, u: &UserNode, org: u32, p: usize) -> Allowance {
        for (i, g) in self.grants_of(u) {
            if self.covers(g, org) && g.usable.contains(p) {
                let via = if let Some(r) = g.sole_role {
                    Via::Role(self.role_keys[r as usize].clone())
                } else {
                    let cold = &self.grant_cold[i];
                    if cold.direct.contains(p) {
                        Via::Direct
                    } else {
                        cold.roles
                            .iter()
                            .find(|(_, s)| s.contains(p))
                            .map_or(Via::Direct, |(r, _)| Via::Role(r.clone()))
                    }
                };
                return Allowance {
                    grant: GrantRef {
                        user,
                        org: self.orgs[g.org as usize].id,
                        scope: g.scope,
                    },
                    via,
                };
            }
        }
        // Not reached after a successful check, which needs a covering grant with `p`.
        Allowance {
            grant: GrantRef {
                user,
                org: self.orgs[org as usize].id,
                scope: Scope::Organization,
            },
            via: Via::Direct,
        }
    }

    fn denial(&self, u: &UserNode, org: u32, permission: PermissionId, set: PermSet) -> Denial {
        let p = permission.index();
        let mut named_somewhere = None;
        let mut usable_somewhere = false;
        for (i, g) in self.grants_of(u) {
            if self.covers(g, org) {
                usable_somewhere |= g.usable.contains(p);
                let named = if g.all_usable {
                    g.usable
                } else {
                    self.grant_cold[i].named
                };
                if named_somewhere.is_none() && named.contains(p) {
                    named_somewhere = Some(g.org);
                }
            }
        }
        let Some(anchor) = named_somewhere else {
            return Denial::NoGrant;
        };
        if !usable_somewhere {
            return Denial::NotEntitled {
                org: self.orgs[anchor as usize].id,
            };
        }
        if !self.orgs[org as usize].entitled.contains(p) {
            return Denial::NotEntitled {
                org: self.orgs[org as usize].id,
            };
        }
        if !self.catalog.kind_set(u.kind).contains(p) {
            return Denial::KindLimit { kind: u.kind };
        }
        if !set.contains(p) {
            // Entitled, granted and of an allowed kind, yet filtered: a guest outside its groups.
            return Denial::NotGroupMember;
        }
        match self.catalog.missing_requirement(permission, set) {
            Some(requires) => Denial::MissingRequirement { requires },
            None => Denial::NoGrant,
        }
    }

    // ---- helpers for the guards ----

    pub(crate) fn user_idx(&self, user: UserId) -> Option<u32> {
        self.user_index.get(&user).map(|u| u.idx)
    }

    pub(crate) fn org_idx(&self, org: OrgId) -> Option<u32> {
        self.org_index.get(&org).copied()
    }

    pub(crate) fn org_id(&self, idx: u32) -> OrgId {
        self.orgs[idx as usize].id
    }

    pub(crate) fn entitled(&self, org: u32) -> PermSet {
        self.orgs[org as usize].entitled
    }

    pub(crate) fn user_kind(&self, idx: u32) -> UserKind {
        self.users[idx as usize].kind
    }

    pub(crate) fn members(&self, org: u32) -> &[u32] {
        &self.members_by_org[org as usize]
    }

    pub(crate) fn user_id(&self, idx: u32) -> UserId {
        self.user_ids[idx as usize]
    }

    /// The organizations a grant at `anchor` with `scope` covers.
    pub(crate) fn covered(&self, anchor: u32, scope: Scope) -> Vec<u32> {
        (0..self.orgs.len() as u32)
            .filter(|&t| self.covers_at(anchor, scope, t))
            .collect()
    }

    /// The effective set of user `ui` at organization `org` (no group), with the grant at
    /// (`anchor`, `scope`) replaced by `replacement` (the state after a proposed change).
    pub(crate) fn effective_with(
        &self,
        ui: u32,
        org: u32,
        anchor: u32,
        scope: Scope,
        replacement: PermSet,
    ) -> PermSet {
        let u = self.users[ui as usize];
        let mut set = self
            .granted_at(ui, org, anchor, scope, replacement)
            .intersect(self.catalog.kind_set(u.kind));
        if u.kind.limited_to_shared_areas() {
            set = set.difference(self.catalog.area_set(Area::Group));
        }
        self.catalog.prune(set)
    }

    /// What user `ui`'s grants make available at `org` within the entitlements, before kind
    /// and group rules, with the grant at (`anchor`, `scope`) replaced by `replacement`.
    pub(crate) fn granted_at(
        &self,
        ui: u32,
        org: u32,
        anchor: u32,
        scope: Scope,
        replacement: PermSet,
    ) -> PermSet {
        let mut raw = PermSet::EMPTY;
        for (_, g) in self.grants_of(&self.users[ui as usize]) {
            if !(g.org == anchor && g.scope == scope) && self.covers(g, org) {
                raw = raw.union(g.usable);
            }
        }
        if self.covers_at(anchor, scope, org) {
            raw = raw.union(replacement.intersect(self.orgs[anchor as usize].entitled));
        }
        raw.intersect(self.orgs[org as usize].entitled)
    }
}

//! The permission catalog the host builds: permissions, their requirements, roles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use tenantry_identity::UserKind;

use crate::error::AccessError;
use crate::permset::PermSet;

fn valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

macro_rules! key_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `key`: 1 to 64 characters of `a-z 0-9 . _ -`, starting with a letter.
            pub fn new(key: &str) -> Result<Self, AccessError> {
                if valid_key(key) { Ok(Self(key.to_owned())) } else { Err(AccessError::InvalidKey { key: key.to_owned() }) }
            }

            /// The key.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = AccessError;
            fn try_from(s: String) -> Result<Self, AccessError> {
                Self::new(&s)
            }
        }

        impl From<$name> for String {
            fn from(k: $name) -> String {
                k.0
            }
        }
    };
}

key_type!(
    /// The stable key of a permission: `conversations.view`, `company.admin`.
    PermissionKey
);
key_type!(
    /// The stable key of a role: `org-admin`, `customer-manager`.
    RoleKey
);

/// Where a permission applies, which decides which user kinds may hold it (social intranet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Network-wide areas: global feeds, network files and calendars, module dashboards.
    /// Standard and PIN users; never guests.
    Network,
    /// Inside a group: guests hold these too, but only in groups they belong to.
    Group,
    /// Administration. Standard users only.
    Admin,
}

impl Area {
    /// The kinds that may hold a permission of this area unless the catalog says otherwise.
    pub const fn default_kinds(self) -> KindMask {
        match self {
            Area::Network => KindMask::of(&[UserKind::Standard, UserKind::Pin]),
            Area::Group => KindMask::of(&[UserKind::Standard, UserKind::Pin, UserKind::Guest]),
            Area::Admin => KindMask::of(&[UserKind::Standard]),
        }
    }
}

/// A set of user kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KindMask(u8);

impl KindMask {
    /// The kinds in `kinds`.
    pub const fn of(kinds: &[UserKind]) -> Self {
        let mut bits = 0u8;
        let mut i = 0;
        while i < kinds.len() {
            bits |= Self::bit(kinds[i]);
            i += 1;
        }
        Self(bits)
    }

    const fn bit(kind: UserKind) -> u8 {
        match kind {
            UserKind::Standard => 1,
            UserKind::Guest => 2,
            UserKind::Consumer => 4,
            UserKind::Pin => 8,
            #[allow(unreachable_patterns)]
            _ => 0,
        }
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: UserKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }
}

/// A permission as the host declares it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionDef {
    /// The stable key.
    pub key: PermissionKey,
    /// What it allows, for admin screens.
    pub description: String,
    /// Permissions a holder must also hold for this one to take effect (partner portal).
    pub requires: Vec<PermissionKey>,
    /// Where it applies.
    pub area: Area,
    /// The kinds that may hold it (default: the area's).
    pub kinds: KindMask,
    /// The permission whose holders may grant and revoke this one (default: the catalog's
    /// admin permission).
    pub administered_by: Option<PermissionKey>,
}

/// A role: a named bundle of permissions (Org Admin, Company Admin, the agency's checkboxes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDef {
    /// The stable key.
    pub key: RoleKey,
    /// The display name.
    pub name: String,
    /// The permissions it bundles.
    pub permissions: Vec<PermissionKey>,
}

/// Builds a [`Catalog`]. Keys are checked when added; references and cycles when built.
#[derive(Clone, Debug, Default)]
pub struct CatalogBuilder {
    permissions: Vec<PermissionDef>,
    roles: Vec<RoleDef>,
    admin: Option<String>,
}

impl CatalogBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a permission of `area` that requires `requires`.
    pub fn permission(
        &mut self,
        key: &str,
        area: Area,
        description: &str,
        requires: &[&str],
    ) -> Result<&mut Self, AccessError> {
        let key = PermissionKey::new(key)?;
        let requires = requires
            .iter()
            .map(|r| PermissionKey::new(r))
            .collect::<Result<Vec<_>, _>>()?;
        self.permissions.push(PermissionDef {
            key,
            description: description.to_owned(),
            requires,
            area,
            kinds: area.default_kinds(),
            administered_by: None,
        });
        Ok(self)
    }

    /// Adds a fully specified permission.
    pub fn permission_def(&mut self, def: PermissionDef) -> &mut Self {
        self.permissions.push(def);
        self
    }

    /// Adds a role bundling `permissions`.
    pub fn role(
        &mut self,
        key: &str,
        name: &str,
        permissions: &[&str],
    ) -> Result<&mut Self, AccessError> {
        let key = RoleKey::new(key)?;
        let permissions = permissions
            .iter()
            .map(|p| PermissionKey::new(p))
            .collect::<Result<Vec<_>, _>>()?;
        self.roles.push(RoleDef {
            key,
            name: name.to_owned(),
            permissions,
        });
        Ok(self)
    }

    /// Names the permission that makes its holder an administrator of an organization: the
    /// one every organization keeps a holder of, and nobody removes from themselves (partner portal).
    pub fn admin_permission(&mut self, key: &str) -> &mut Self {
        self.admin = Some(key.to_owned());
        self
    }

    /// Checks references, duplicates and cycles and compiles the catalog.
    pub fn build(&self) -> Result<Catalog, AccessError> {
        if self.permissions.len() > PermSet::CAPACITY {
            return Err(AccessError::TooManyPermissions {
                max: PermSet::CAPACITY,
            });
        }
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, p) in self.permissions.iter().enumerate() {
            if index.insert(p.key.as_str(), i).is_some() {
                return Err(AccessError::Duplicate(p.key.to_string()));
            }
        }
        let lookup = |k: &PermissionKey| {
            index
                .get(k.as_str())
                .copied()
                .ok_or_else(|| AccessError::UnknownPermission(k.to_string()))
        };
        let admin_key = self
            .admin
            .as_deref()
            .ok_or(AccessError::NoAdminPermission)?;
        let admin = *index.get(admin_key).ok_or(AccessError::NoAdminPermission)?;

        let n = self.permissions.len();
        let mut direct: Vec<Vec<usize>> = Vec::with_capacity(n);
        let mut administered_by = Vec::with_capacity(n);
        for p in &self.permissions {
            direct.push(p.requires.iter().map(lookup).collect::<Result<_, _>>()?);
            administered_by.push(match &p.administered_by {
                Some(k) => lookup(k)?,
                None => admin,
            });
        }
        // Transitive requirements, refusing cycles (depth-first with colours).
        let mut closure = vec![PermSet::EMPTY; n];
        let mut state = vec![0u8; n]; // 0 new, 1 on the path, 2 done
        fn visit(
            i: usize,
            direct: &[Vec<usize>],
            state: &mut [u8],
            closure: &mut [PermSet],
            path: &mut Vec<usize>,
        ) -> Result<(), Vec<usize>> {
            match state[i] {
                2 => return Ok(()),
                1 => {
                    let start = path.iter().position(|&p| p == i).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(i);
                    return Err(cycle);
                }
                _ => {}
            }
            state[i] = 1;
            path.push(i);
            let mut set = PermSet::EMPTY;
            for &r in &direct[i] {
                visit(r, direct, state, closure, path)?;
                set.insert(r);
                set = set.union(closure[r]);
            }
            path.pop();
            state[i] = 2;
            closure[i] = set;
            Ok(())
        }
        for i in 0..n {
            let mut path = Vec::new();
            visit(i, &direct, &mut state, &mut closure, &mut path).map_err(|cycle| {
                AccessError::RequirementCycle(
                    cycle
                        .into_iter()
                        .map(|c| self.permissions[c].key.clone())
                        .collect(),
                )
            })?;
        }
        let mut roles = BTreeMap::new();
        for r in &self.roles {
            let mut set = PermSet::EMPTY;
            for p in &r.permissions {
                set.insert(lookup(p)?);
            }
            if roles.insert(r.key.clone(), (r.clone(), set)).is_some() {
                return Err(AccessError::Duplicate(r.key.to_string()));
            }
        }
        let mut kind_sets = [PermSet::EMPTY; 4];
        for (k, kind) in UserKind::ALL.into_iter().enumerate() {
            for (i, p) in self.permissions.iter().enumerate() {
                if p.kinds.contains(kind) {
                    kind_sets[k].insert(i);
                }
            }
        }
        let mut area_sets = [PermSet::EMPTY; 3];
        for (i, p) in self.permissions.iter().enumerate() {
            area_sets[area_index(p.area)].insert(i);
        }
        Ok(Catalog {
            index: self
                .permissions
                .iter()
                .enumerate()
                .map(|(i, p)| (p.key.clone(), i))
                .collect(),
            defs: self.permissions.clone(),
            closure,
            administered_by,
            admin,
            roles,
            kind_sets,
            area_sets,
        })
    }
}

pub(crate) const fn area_index(area: Area) -> usize {
    match area {
        Area::Network => 0,
        Area::Group => 1,
        Area::Admin => 2,
    }
}

pub(crate) fn kind_index(kind: UserKind) -> usize {
    UserKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

/// A permission's dense index in its catalog: what checks take, so a check never looks up a
/// string. Get one from [`Catalog::permission`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermissionId(pub(crate) u16);

impl PermissionId {
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A compiled catalog: dense indices, transitive requirements as bit sets.
#[derive(Clone, Debug)]
pub struct Catalog {
    index: BTreeMap<PermissionKey, usize>,
    defs: Vec<PermissionDef>,
    closure: Vec<PermSet>,
    administered_by: Vec<usize>,
    admin: usize,
    roles: BTreeMap<RoleKey, (RoleDef, PermSet)>,
    kind_sets: [PermSet; 4],
    area_sets: [PermSet; 3],
}

impl Catalog {
    /// The id of the permission `key`; an unknown key is an error, never a silent deny.
    pub fn permission(&self, key: &str) -> Result<PermissionId, AccessError> {
        let k = PermissionKey::new(key)?;
        self.index
            .get(&k)
            .map(|&i| PermissionId(i as u16))
            .ok_or_else(|| AccessError::UnknownPermission(key.to_owned()))
    }

    /// The set of the permissions `keys`.
    pub fn set_of(&self, keys: &[&str]) -> Result<PermSet, AccessError> {
        let mut set = PermSet::EMPTY;
        for k in keys {
            set.insert(self.permission(k)?.index());
        }
        Ok(set)
    }

    /// The permissions of role `key`.
    pub fn role(&self, key: &RoleKey) -> Result<PermSet, AccessError> {
        self.roles
            .get(key)
            .map(|(_, s)| *s)
            .ok_or_else(|| AccessError::UnknownRole(key.to_string()))
    }

    /// Every role, by key.
    pub fn roles(&self) -> impl Iterator<Item = &RoleDef> {
        self.roles.values().map(|(d, _)| d)
    }

    /// The declaration of `id`.
    pub fn def(&self, id: PermissionId) -> &PermissionDef {
        &self.defs[id.index()]
    }

    /// The key of `id`.
    pub fn key(&self, id: PermissionId) -> &PermissionKey {
        &self.defs[id.index()].key
    }

    /// Every permission in declaration order.
    pub fn permissions(&self) -> impl Iterator<Item = (PermissionId, &PermissionDef)> {
        self.defs
            .iter()
            .enumerate()
            .map(|(i, d)| (PermissionId(i as u16), d))
    }

    /// How many permissions there are.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Every permission.
    pub fn all(&self) -> PermSet {
        PermSet::first(self.defs.len())
    }

    /// The admin permission.
    pub fn admin(&self) -> PermissionId {
        PermissionId(self.admin as u16)
    }

    /// Everything `id` requires, transitively.
    pub fn requirements(&self, id: PermissionId) -> PermSet {
        self.closure[id.index()]
    }

    /// The permission whose holders administer `id`.
    pub fn administered_by(&self, id: PermissionId) -> PermissionId {
        PermissionId(self.administered_by[id.index()] as u16)
    }

    /// The permissions `kind` may hold.
    pub fn kind_set(&self, kind: UserKind) -> PermSet {
        self.kind_sets[kind_index(kind)]
    }

    /// The permissions of `area`.
    pub fn area_set(&self, area: Area) -> PermSet {
        self.area_sets[area_index(area)]
    }

    /// `set` less every permission whose requirements are not all in `set`: what can take
    /// effect. Transitive requirements make one pass enough.
    pub fn prune(&self, set: PermSet) -> PermSet {
        let mut out = set;
        for i in set.iter() {
            if !self.closure[i].is_subset(set) {
                out.remove(i);
            }
        }
        out
    }

    /// The first requirement of `id` missing from `set`, if any.
    pub fn missing_requirement(&self, id: PermissionId, set: PermSet) -> Option<PermissionId> {
        self.closure[id.index()]
            .difference(set)
            .iter()
            .next()
            .map(|i| PermissionId(i as u16))
    }

    /// The keys of `set`, in declaration order.
    pub fn keys(&self, set: PermSet) -> Vec<&PermissionKey> {
        set.iter()
            .filter_map(|i| self.defs.get(i).map(|d| &d.key))
            .collect()
    }

    /// Ids of `set`.
    pub fn ids(&self, set: PermSet) -> impl Iterator<Item = PermissionId> {
        set.iter().map(|i| PermissionId(i as u16))
    }

    /// Whether `set` contains `id`.
    pub fn has(set: PermSet, id: PermissionId) -> bool {
        set.contains(id.index())
    }

    /// The set of `roles` and `permissions` together (what a grant names).
    pub fn expand(
        &self,
        permissions: &BTreeSet<PermissionKey>,
        roles: &BTreeSet<RoleKey>,
    ) -> Result<PermSet, AccessError> {
        let mut set = PermSet::EMPTY;
        for p in permissions {
            set.insert(self.permission(p.as_str())?.index());
        }
        for r in roles {
            set = set.union(self.role(r)?);
        }
        Ok(set)
    }
}

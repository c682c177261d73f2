//! Organizations, their settings, and the tree they form.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::email::EmailDomain;
use crate::error::ModelError;
use crate::ids::{OrgId, UserId};
use crate::kind::UserKind;
use crate::text::Name;
use crate::user::{RequiredFields, User};

/// Guest access of an organization (the social intranet's "Joining the network").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuestSettings {
    /// Guests may be invited at all.
    pub enabled: bool,
    /// Guests may join by themselves.
    pub self_join: bool,
    /// Guests may use the chat with members of their groups.
    pub chat: bool,
    /// Guests see group promotions (of guest-visible groups).
    pub see_group_promotions: bool,
}

/// PIN users of an organization (social intranet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinUserSettings {
    /// The domain of the generated placeholder addresses; best one the customer owns.
    pub domain: EmailDomain,
}

/// Which channels messages may use (the workforce platform's communication settings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunicationSettings {
    /// Email may be sent.
    pub email: bool,
    /// SMS may be sent (users with both get both).
    pub sms: bool,
    /// An activation message goes out as soon as a user is created.
    pub activation_on_create: bool,
}

impl Default for CommunicationSettings {
    fn default() -> Self {
        Self {
            email: true,
            sms: false,
            activation_on_create: false,
        }
    }
}

/// The settings of an organization that the seeds name. Sign-up policy lives in
/// `tenantry-lifecycle`, entitlements in `tenantry-access`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// Guest access.
    pub guests: GuestSettings,
    /// Consumer users are enabled.
    pub consumers_enabled: bool,
    /// PIN users are enabled, with this placeholder domain.
    pub pin_users: Option<PinUserSettings>,
    /// Message channels.
    pub communication: CommunicationSettings,
    /// Profile fields every standard user must have.
    pub required_fields: RequiredFields,
    /// The ISO 3166 region national phone numbers are read in (`"DE"`).
    pub phone_region: Option<String>,
    /// The first standard user added becomes the contact person and an admin (partner portal).
    pub first_user_becomes_admin: bool,
    /// Users may sign in with their principal name (`LoginIdentifiers::principal_name`, the
    /// name Entra ID or Okta provisioned them under) as well as with their email. Off by
    /// default: a principal name need not be an address the user knows as theirs.
    pub principal_name_sign_in: bool,
}

impl OrgSettings {
    /// Checks that a user of `kind` may be created here.
    pub fn allows_kind(&self, org: OrgId, kind: UserKind) -> Result<(), ModelError> {
        match kind {
            UserKind::Guest if !self.guests.enabled => Err(ModelError::GuestsDisabled(org)),
            UserKind::Consumer if !self.consumers_enabled => {
                Err(ModelError::ConsumersDisabled(org))
            }
            UserKind::Pin if self.pin_users.is_none() => Err(ModelError::PinUsersDisabled(org)),
            _ => Ok(()),
        }
    }
}

/// An organization: a network, a section, an agency, a client, a partner, a customer company.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// The id.
    pub id: OrgId,
    /// The parent (the agency of a client, the partner of a customer), if any.
    pub parent: Option<OrgId>,
    /// Its name.
    pub name: Name,
    /// The person the parent organization contacts (partner portal); no privileges come with it.
    pub contact_person: Option<UserId>,
    /// Settings.
    #[serde(default)]
    pub settings: OrgSettings,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The stored version; bumped by every change that touches the organization's admins.
    #[serde(default)]
    pub version: u64,
}

impl Organization {
    /// A new organization with default settings, at version 0.
    pub fn new(id: OrgId, parent: Option<OrgId>, name: Name, now: DateTime<Utc>) -> Self {
        Self {
            id,
            parent,
            name,
            contact_person: None,
            settings: OrgSettings::default(),
            created_at: now,
            version: 0,
        }
    }

    /// Makes `user` the contact person: they must belong to this organization and be a
    /// standard user (someone who can be reached and can sign in).
    pub fn set_contact_person(&mut self, user: &User) -> Result<(), ModelError> {
        let refuse = |reason| {
            Err(ModelError::ContactPerson {
                user: user.id(),
                org: self.id,
                reason,
            })
        };
        if user.org() != self.id {
            return refuse("they belong to another organization");
        }
        if user.kind() != UserKind::Standard {
            return refuse("only standard users can be contact persons");
        }
        self.contact_person = Some(user.id());
        Ok(())
    }
}

/// The organization tree: parents and children, free of cycles.
///
/// Built by inserting organizations parent first (or all at once with
/// [`OrgTree::from_edges`]); [`OrgTree::reparent`] refuses self-parenting and cycles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgTree {
    parent: BTreeMap<OrgId, Option<OrgId>>,
    children: BTreeMap<OrgId, BTreeSet<OrgId>>,
}

impl OrgTree {
    /// Deepest tree allowed (a root is at depth 0).
    pub const MAX_DEPTH: usize = 32;

    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree from `(organization, parent)` pairs in any order.
    pub fn from_edges(
        edges: impl IntoIterator<Item = (OrgId, Option<OrgId>)>,
    ) -> Result<Self, ModelError> {
        let mut pending: BTreeMap<OrgId, Option<OrgId>> = BTreeMap::new();
        for (id, parent) in edges {
            if pending.insert(id, parent).is_some() {
                return Err(ModelError::DuplicateOrganization(id));
            }
        }
        let mut tree = Self::new();
        // Insert in waves: each wave adds the organizations whose parent is already in.
        while !pending.is_empty() {
            let ready: Vec<(OrgId, Option<OrgId>)> = pending
                .iter()
                .filter(|(_, p)| p.is_none_or(|p| tree.contains(&p)))
                .map(|(id, p)| (*id, *p))
                .collect();
            if ready.is_empty() {
                // Whatever is left has a missing parent or sits on a cycle.
                let (&id, &parent) = pending.iter().next().ok_or(ModelError::TooDeep {
                    max: Self::MAX_DEPTH,
                })?;
                let parent = parent.ok_or(ModelError::UnknownOrganization(id))?;
                if parent == id {
                    return Err(ModelError::SelfParent(id));
                }
                if pending.contains_key(&parent) {
                    return Err(ModelError::Cycle { child: id, parent });
                }
                return Err(ModelError::UnknownOrganization(parent));
            }
            for (id, parent) in ready {
                pending.remove(&id);
                tree.insert(id, parent)?;
            }
        }
        Ok(tree)
    }

    /// Adds a new organization under `parent` (or as a root).
    pub fn insert(&mut self, id: OrgId, parent: Option<OrgId>) -> Result<(), ModelError> {
        if self.contains(&id) {
            return Err(ModelError::DuplicateOrganization(id));
        }
        if let Some(p) = parent {
            if p == id {
                return Err(ModelError::SelfParent(id));
            }
            if !self.contains(&p) {
                return Err(ModelError::UnknownOrganization(p));
            }
            if self.depth(p) + 1 > Self::MAX_DEPTH {
                return Err(ModelError::TooDeep {
                    max: Self::MAX_DEPTH,
                });
            }
            self.children.entry(p).or_default().insert(id);
        }
        self.parent.insert(id, parent);
        Ok(())
    }

    /// Moves `id` (with its subtree) under `new_parent`, or makes it a root.
    pub fn reparent(&mut self, id: OrgId, new_parent: Option<OrgId>) -> Result<(), ModelError> {
        let old = *self
            .parent
            .get(&id)
            .ok_or(ModelError::UnknownOrganization(id))?;
        if let Some(p) = new_parent {
            if p == id {
                return Err(ModelError::SelfParent(id));
            }
            if !self.contains(&p) {
                return Err(ModelError::UnknownOrganization(p));
            }
            if self.is_ancestor(id, p) {
                return Err(ModelError::Cycle {
                    child: id,
                    parent: p,
                });
            }
            if self.depth(p) + 1 + self.height(id) > Self::MAX_DEPTH {
                return Err(ModelError::TooDeep {
                    max: Self::MAX_DEPTH,
                });
            }
        }
        if let Some(set) = old.and_then(|o| self.children.get_mut(&o)) {
            set.remove(&id);
        }
        if let Some(p) = new_parent {
            self.children.entry(p).or_default().insert(id);
        }
        self.parent.insert(id, new_parent);
        Ok(())
    }

    /// Removes a leaf organization.
    pub fn remove(&mut self, id: OrgId) -> Result<(), ModelError> {
        let parent = *self
            .parent
            .get(&id)
            .ok_or(ModelError::UnknownOrganization(id))?;
        if self.children.get(&id).is_some_and(|c| !c.is_empty()) {
            return Err(ModelError::HasChildren(id));
        }
        if let Some(set) = parent.and_then(|p| self.children.get_mut(&p)) {
            set.remove(&id);
        }
        self.children.remove(&id);
        self.parent.remove(&id);
        Ok(())
    }

    /// Whether `id` is in the tree.
    pub fn contains(&self, id: &OrgId) -> bool {
        self.parent.contains_key(id)
    }

    /// How many organizations there are.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The parent of `id`.
    pub fn parent(&self, id: OrgId) -> Option<OrgId> {
        self.parent.get(&id).copied().flatten()
    }

    /// The direct children of `id`.
    pub fn children(&self, id: OrgId) -> impl Iterator<Item = OrgId> + '_ {
        self.children.get(&id).into_iter().flatten().copied()
    }

    /// The ancestors of `id`, nearest first, without `id`.
    pub fn ancestors(&self, id: OrgId) -> impl Iterator<Item = OrgId> + '_ {
        std::iter::successors(self.parent(id), move |p| self.parent(*p))
    }

    /// Every organization below `id`, without `id`, parents before children.
    pub fn descendants(&self, id: OrgId) -> Vec<OrgId> {
        let mut out = Vec::new();
        let mut stack: Vec<OrgId> = self.children(id).collect();
        stack.reverse();
        while let Some(next) = stack.pop() {
            out.push(next);
            let mut kids: Vec<OrgId> = self.children(next).collect();
            kids.reverse();
            stack.extend(kids);
        }
        out
    }

    /// Whether `ancestor` is a strict ancestor of `id`.
    pub fn is_ancestor(&self, ancestor: OrgId, id: OrgId) -> bool {
        self.ancestors(id).any(|a| a == ancestor)
    }

    /// The roots, in id order.
    pub fn roots(&self) -> impl Iterator<Item = OrgId> + '_ {
        self.parent
            .iter()
            .filter(|(_, p)| p.is_none())
            .map(|(id, _)| *id)
    }

    /// The depth of `id` (a root is at 0).
    pub fn depth(&self, id: OrgId) -> usize {
        self.ancestors(id).count()
    }

    /// The height of the subtree under `id` (a leaf is 0).
    fn height(&self, id: OrgId) -> usize {
        self.children(id)
            .map(|c| 1 + self.height(c))
            .max()
            .unwrap_or(0)
    }
}

//! Groups and memberships: tixxt's groups, Tikkit's occupant groups.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::ids::{GroupId, OrgId, UserId};
use crate::location::LocationScope;
use crate::text::Name;

/// A group of users inside an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The id.
    pub id: GroupId,
    /// The organization it belongs to.
    pub org: OrgId,
    /// Its name ("Acme Co.", "Accounting department").
    pub name: Name,
    /// Shown to guests in the group directory and group promotions (social intranet).
    #[serde(default)]
    pub visible_to_guests: bool,
    /// Archived groups keep their history but take no new members (help desk).
    #[serde(default)]
    pub archived: bool,
    /// The locations members may file requests for (help desk).
    #[serde(default)]
    pub locations: LocationScope,
    /// Members see each other's requests (the help desk's occupant groups).
    #[serde(default)]
    pub members_share_requests: bool,
    /// The id a provisioning system (SCIM's `externalId`) knows it by.
    #[serde(default)]
    pub external_id: Option<crate::ExternalId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The stored version.
    #[serde(default)]
    pub version: u64,
}

impl Group {
    /// A new, unarchived group visible to members only, at version 0.
    pub fn new(id: GroupId, org: OrgId, name: Name, now: DateTime<Utc>) -> Self {
        Self {
            id,
            org,
            name,
            visible_to_guests: false,
            archived: false,
            locations: LocationScope::None,
            members_share_requests: false,
            external_id: None,
            created_at: now,
            version: 0,
        }
    }

    /// A membership of `user` in this group, refused if the group is archived.
    pub fn admit(&self, user: UserId, now: DateTime<Utc>) -> Result<Membership, ModelError> {
        if self.archived {
            return Err(ModelError::ArchivedGroup(self.id));
        }
        Ok(Membership {
            group: self.id,
            user,
            since: now,
        })
    }
}

/// A user's membership of a group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// The group.
    pub group: GroupId,
    /// The member.
    pub user: UserId,
    /// Since when.
    pub since: DateTime<Utc>,
}

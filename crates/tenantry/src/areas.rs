//! Areas of the host's product shared with guests beyond groups (the social intranet's channels:
//! "Channel administrators and managers also have the option of sharing selected channels
//! with guest users ... they can view all shared channels in their entirety").
//!
//! The host owns its areas; the directory keeps which of them an organization opened to
//! guests, and answers who may see one: members of the organization (standard and PIN users)
//! every area, guests exactly the shared ones, consumers none (they have not joined yet), and
//! nobody whose account may not sign in.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tenantry_identity::{OrgId, UserId, UserKind};

use crate::changeset::Changeset;
use crate::directory::{Caller, Directory, DirectoryError, retrying};
use crate::records::Record;

/// One of the host's areas: a kind the host defines (`channel`) and the host's id for it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SharedArea {
    kind: String,
    id: String,
}

impl SharedArea {
    /// An area of `kind` (1 to 32 characters of `a-z`, `0-9`, `_` and `-`) with the host's
    /// `id` (1 to 128 characters, no control characters).
    pub fn new(kind: &str, id: &str) -> Result<Self, DirectoryError> {
        let kind_ok = (1..=32).contains(&kind.len())
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !kind_ok {
            return Err(DirectoryError::Invalid {
                field: "area kind",
                reason: "1 to 32 characters of a-z, 0-9, _ and -",
            });
        }
        if !(1..=128).contains(&id.chars().count()) || id.chars().any(char::is_control) {
            return Err(DirectoryError::Invalid {
                field: "area id",
                reason: "1 to 128 characters without control characters",
            });
        }
        Ok(Self {
            kind: kind.to_owned(),
            id: id.to_owned(),
        })
    }

    /// The kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The host's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// How many areas one organization may open to guests (they live on its record).
pub const MAX_GUEST_AREAS: usize = 1_000;

impl Directory {
    /// Opens `area` of `org` to guests. The caller must administer the organization; hosts
    /// whose own roles (channel managers) decide it call this as [`Caller::System`] after
    /// their own check. Audited as `area.shared`; sharing what is shared changes nothing.
    /// At most [`MAX_GUEST_AREAS`] areas per organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "share_with_guests"),
        err(Display)
    )]
    pub async fn share_with_guests(
        &self,
        caller: Caller,
        org: OrgId,
        area: SharedArea,
    ) -> Result<(), DirectoryError> {
        self.set_shared(caller, org, area, true).await
    }

    /// Closes `area` of `org` to guests again, under the same rules as
    /// [`Self::share_with_guests`]. Audited as `area.unshared`; closing what is not open
    /// changes nothing.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "stop_sharing_with_guests"),
        err(Display)
    )]
    pub async fn stop_sharing_with_guests(
        &self,
        caller: Caller,
        org: OrgId,
        area: SharedArea,
    ) -> Result<(), DirectoryError> {
        self.set_shared(caller, org, area, false).await
    }

    async fn set_shared(
        &self,
        caller: Caller,
        org: OrgId,
        area: SharedArea,
        shared: bool,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_share(caller, org, &area, shared))
    }

    async fn try_share(
        &self,
        caller: Caller,
        org_id: OrgId,
        area: &SharedArea,
        shared: bool,
    ) -> Result<(), DirectoryError> {
        let (mut org, version) = self.org(org_id).await?;
        let changed = if shared {
            if org.guest_areas.len() >= MAX_GUEST_AREAS && !org.guest_areas.contains(area) {
                return Err(DirectoryError::Invalid {
                    field: "area",
                    reason: "at most 1,000 areas per organization are open to guests",
                });
            }
            org.guest_areas.insert(area.clone())
        } else {
            org.guest_areas.remove(area)
        };
        if !changed {
            return Ok(());
        }
        let action = if shared {
            "area.shared"
        } else {
            "area.unshared"
        };
        let mut event = self.audit(caller, Some(org_id), None, action);
        event
            .detail
            .insert("area".into(), format!("{}:{}", area.kind, area.id));
        let mut cs = Changeset::new();
        cs.update(Record::Org(org), version).audit(event);
        self.store.commit(cs).await?;
        Ok(())
    }

    /// The areas of `org` open to guests, optionally of one `kind` (for a guest's module
    /// bar).
    pub async fn guest_areas(
        &self,
        org: OrgId,
        kind: Option<&str>,
    ) -> Result<BTreeSet<SharedArea>, DirectoryError> {
        let (record, _) = self.org(org).await?;
        Ok(record
            .guest_areas
            .into_iter()
            .filter(|a| kind.is_none_or(|k| a.kind == k))
            .collect())
    }

    /// Whether `user` may see `area` of `org`: standard and PIN users of the organization
    /// every area; guests of it the shared ones; consumers, users of other organizations
    /// and accounts that may not sign in none.
    pub async fn may_see_area(
        &self,
        user: UserId,
        org: OrgId,
        area: &SharedArea,
    ) -> Result<bool, DirectoryError> {
        let Ok((record, _)) = self.user(user).await else {
            return Ok(false);
        };
        if record.user.org() != org || !record.account.capabilities().may_sign_in {
            return Ok(false);
        }
        Ok(match record.user.kind() {
            UserKind::Standard | UserKind::Pin => true,
            UserKind::Guest => self.org(org).await?.0.guest_areas.contains(area),
            // Consumers, and any kind added later, until it is decided for them.
            _ => false,
        })
    }
}

//! Groups and their members.

use super::*;

impl Directory {
    /// Creates a group in `org` (a tixxt group, an occupant group). The caller must
    /// administer the organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_group"),
        err(Display)
    )]
    pub async fn create_group(
        &self,
        caller: Caller,
        group: tenantry_identity::Group,
    ) -> Result<tenantry_identity::GroupId, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, group.org).await?;
        self.org(group.org).await?;
        let id = group.id;
        let mut cs = Changeset::new();
        cs.insert(Record::Group(group.clone())).audit(self.audit(
            caller,
            Some(group.org),
            None,
            "group.created",
        ));
        self.store.commit(cs).await?;
        Ok(id)
    }

    /// Changes a group's name, guest visibility, archived flag, locations or request sharing
    /// (the help desk's archive). `change` receives the stored group and edits it.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "update_group"),
        err(Display)
    )]
    pub async fn update_group(
        &self,
        caller: Caller,
        group: tenantry_identity::GroupId,
        change: impl Fn(&mut tenantry_identity::Group) + Send + Sync,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        retrying!(self, self.try_update_group(caller, group, &change))
    }

    pub(crate) async fn try_update_group(
        &self,
        caller: Caller,
        id: tenantry_identity::GroupId,
        change: &(impl Fn(&mut tenantry_identity::Group) + Send + Sync),
    ) -> Result<(), DirectoryError> {
        let (group, version) = self.group(id).await?;
        self.require_admin(caller, group.org).await?;
        let mut changed = group.clone();
        change(&mut changed);
        changed.id = group.id;
        changed.org = group.org;
        let mut cs = Changeset::new();
        cs.update(Record::Group(changed), version).audit(self.audit(
            caller,
            Some(group.org),
            None,
            "group.updated",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Deletes a group and its memberships (a SCIM `DELETE /Groups/{id}`); the members'
    /// accounts stay. Use [`Self::update_group`] to archive a group instead, which keeps its
    /// history. The caller must administer the group's organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "delete_group"),
        err(Display)
    )]
    pub async fn delete_group(
        &self,
        caller: Caller,
        group: tenantry_identity::GroupId,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        retrying!(self, self.try_delete_group(caller, group))
    }

    pub(crate) async fn try_delete_group(
        &self,
        caller: Caller,
        id: tenantry_identity::GroupId,
    ) -> Result<(), DirectoryError> {
        let (group, version) = self.group(id).await?;
        self.require_admin(caller, group.org).await?;
        let mut cs = Changeset::new();
        for membership in self.store.list(&ListOf::MembersOf(id)).await? {
            cs.delete(membership.value.key(), membership.version);
        }
        cs.delete(RecordKey::Group(id), version).audit(self.audit(
            caller,
            Some(group.org),
            None,
            "group.deleted",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Adds and removes many members at once (the help desk: "much easier ... by editing the group
    /// directly"), in one changeset. Members must belong to the group's organization;
    /// archived groups take no new members. Adding a member twice or removing a non-member
    /// changes nothing. Returns how many were added and removed.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_members"),
        err(Display)
    )]
    pub async fn change_members(
        &self,
        caller: Caller,
        group: tenantry_identity::GroupId,
        add: &[UserId],
        remove: &[UserId],
    ) -> Result<(usize, usize), DirectoryError> {
        self.acting(caller).await?;
        let (g, _) = self.group(group).await?;
        self.require_admin(caller, g.org).await?;
        retrying!(self, self.try_change_members(caller, group, add, remove))
    }

    pub(crate) async fn try_change_members(
        &self,
        caller: Caller,
        id: tenantry_identity::GroupId,
        add: &[UserId],
        remove: &[UserId],
    ) -> Result<(usize, usize), DirectoryError> {
        let now = self.clock.now();
        let (group, _) = self.group(id).await?;
        let mut cs = Changeset::new();
        let (mut added, mut removed) = (0, 0);
        let mut seen = std::collections::HashSet::new();
        for &user in add {
            if !seen.insert(user)
                || self
                    .store
                    .get(&RecordKey::Membership(id, user))
                    .await?
                    .is_some()
            {
                continue;
            }
            let (member, _) = self.user(user).await?;
            if member.user.org() != group.org {
                return Err(DirectoryError::Denied(DenialReason::OtherOrganization {
                    user,
                }));
            }
            cs.insert(Record::Membership(group.admit(user, now)?));
            added += 1;
        }
        for &user in remove {
            if let Some(v) = self.store.get(&RecordKey::Membership(id, user)).await?
                && seen.insert(user)
            {
                cs.delete(RecordKey::Membership(id, user), v.version);
                removed += 1;
            }
        }
        if added + removed > 0 {
            cs.audit(self.audit(caller, Some(group.org), None, "group.members_changed"));
            self.store.commit(cs).await?;
        }
        Ok((added, removed))
    }
}

//! Creating and replacing groups.

use serde_json::Value;
use tenantry_identity::{Group, GroupId, UserId};

use super::*;
use crate::group::{ScimGroup, group_from_scim};

impl ScimService {
    /// Every member must be a user of the client's organization.
    pub(super) async fn check_members(
        &self,
        client: &ScimClient,
        members: &[UserId],
    ) -> Result<(), ScimError> {
        for m in members {
            self.user_record(client, &m.to_string())
                .await
                .map_err(|_| {
                    ScimError::bad("invalidValue", format!("members: no user {m} here"))
                })?;
        }
        Ok(())
    }

    pub(super) async fn create_group(
        &self,
        client: &ScimClient,
        scim: ScimGroup,
    ) -> Result<GroupId, ScimError> {
        let caller = Self::caller(client);
        self.check_members(client, &scim.members).await?;
        let now = self.dir.clock().now();
        let id = GroupId::generate(now, &mut rand::rng());
        let mut group = Group::new(id, client.org, scim.name, now);
        group.external_id = scim.external_id;
        self.dir.create_group(caller, group).await?;
        if !scim.members.is_empty() {
            self.dir
                .change_members(caller, id, &scim.members, &[])
                .await?;
        }
        Ok(id)
    }

    pub(super) async fn replace_group(
        &self,
        client: &ScimClient,
        id: &str,
        wanted: &Value,
    ) -> Result<(), ScimError> {
        let (group, _) = self.group_record(client, id).await?;
        let scim = group_from_scim(wanted)?;
        let caller = Self::caller(client);
        self.check_members(client, &scim.members).await?;
        if scim.name != group.name || scim.external_id != group.external_id {
            let (name, external_id) = (scim.name.clone(), scim.external_id.clone());
            self.dir
                .update_group(caller, group.id, move |g| {
                    g.name = name.clone();
                    g.external_id = external_id.clone();
                })
                .await?;
        }
        let current = self.members(group.id).await?;
        let add: Vec<UserId> = scim
            .members
            .iter()
            .filter(|m| !current.contains(m))
            .copied()
            .collect();
        let remove: Vec<UserId> = current
            .iter()
            .filter(|m| !scim.members.contains(m))
            .copied()
            .collect();
        if !add.is_empty() || !remove.is_empty() {
            self.dir
                .change_members(caller, group.id, &add, &remove)
                .await?;
        }
        Ok(())
    }
}

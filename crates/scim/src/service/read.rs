//! Reading single resources and the names a resource refers to.

use serde_json::Value;
use tenantry::{DirectoryError, ListOf, Record, RecordKey, UserRecord};
use tenantry_identity::{Group, GroupId, LoginKey, OrgId, UserId};
use tenantry_lifecycle::AccountState;

use super::*;
use crate::group::group_to_scim;
use crate::user::{Names, user_to_scim};

impl ScimService {
    /// Department and job profile names of the client's organization, by id.
    pub(super) async fn names(&self, org: OrgId) -> Result<OrgNames, ScimError> {
        let store = self.dir.store();
        let mut departments = Vec::new();
        for r in store
            .list(&ListOf::DepartmentsOf(org))
            .await
            .map_err(DirectoryError::from)?
        {
            if let Record::Department(d) = r.value {
                departments.push((d.id, d.name));
            }
        }
        let mut jobs = Vec::new();
        for r in store
            .list(&ListOf::JobProfilesOf(org))
            .await
            .map_err(DirectoryError::from)?
        {
            if let Record::JobProfile(j) = r.value {
                jobs.push((j.id, j.name));
            }
        }
        Ok((departments, jobs))
    }

    pub(super) fn user_json(&self, record: &UserRecord, names: &OrgNames) -> Value {
        let profile = record.user.profile();
        let department = profile
            .department
            .and_then(|id| names.0.iter().find(|(d, _)| *d == id))
            .map(|(_, n)| n.as_str());
        let job_profile = profile
            .job_profile
            .and_then(|id| names.1.iter().find(|(j, _)| *j == id))
            .map(|(_, n)| n.as_str());
        user_to_scim(
            record,
            &Names {
                department,
                job_profile,
            },
            &self.base_url,
        )
    }

    /// The user (of the client's organization, not deleted) a login key names, as a list.
    pub(super) async fn user_by_login(
        &self,
        client: &ScimClient,
        key: &LoginKey,
    ) -> Result<Vec<Value>, ScimError> {
        let found = self
            .dir
            .store()
            .user_by_login(key)
            .await
            .map_err(DirectoryError::from)?;
        match found {
            Some(v)
                if v.value.user.org() == client.org
                    && v.value.account.state() != AccountState::Deleted =>
            {
                let names = self.names(client.org).await?;
                Ok(vec![self.user_json(&v.value, &names)])
            }
            _ => Ok(Vec::new()),
        }
    }

    pub(super) async fn members(&self, group: GroupId) -> Result<Vec<UserId>, ScimError> {
        Ok(self
            .dir
            .store()
            .list(&ListOf::MembersOf(group))
            .await
            .map_err(DirectoryError::from)?
            .into_iter()
            .filter_map(|r| match r.value {
                Record::Membership(m) => Some(m.user),
                _ => None,
            })
            .collect())
    }

    pub(super) async fn user_record(
        &self,
        client: &ScimClient,
        id: &str,
    ) -> Result<(UserRecord, u64), ScimError> {
        let id: UserId = id.parse().map_err(|_| ScimError::not_found("User"))?;
        match self
            .dir
            .store()
            .get(&RecordKey::User(id))
            .await
            .map_err(DirectoryError::from)?
        {
            Some(v) => match v.value {
                Record::User(u)
                    if u.user.org() == client.org && u.account.state() != AccountState::Deleted =>
                {
                    Ok((u, v.version))
                }
                _ => Err(ScimError::not_found("User")),
            },
            None => Err(ScimError::not_found("User")),
        }
    }

    pub(super) async fn group_record(
        &self,
        client: &ScimClient,
        id: &str,
    ) -> Result<(Group, u64), ScimError> {
        let id: GroupId = id.parse().map_err(|_| ScimError::not_found("Group"))?;
        match self
            .dir
            .store()
            .get(&RecordKey::Group(id))
            .await
            .map_err(DirectoryError::from)?
        {
            Some(v) => match v.value {
                Record::Group(g) if g.org == client.org => Ok((g, v.version)),
                _ => Err(ScimError::not_found("Group")),
            },
            None => Err(ScimError::not_found("Group")),
        }
    }

    /// One resource as SCIM JSON, with its version tag.
    pub(super) async fn one(
        &self,
        client: &ScimClient,
        kind: Kind,
        id: &str,
    ) -> Result<(Value, String), ScimError> {
        let resource = match kind {
            Kind::Users => {
                let (record, _) = self.user_record(client, id).await?;
                let names = self.names(client.org).await?;
                self.user_json(&record, &names)
            }
            Kind::Groups => {
                let (group, version) = self.group_record(client, id).await?;
                let members = self.members(group.id).await?;
                group_to_scim(&group, version, &members, &self.base_url)
            }
        };
        let tag = resource["meta"]["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok((resource, tag))
    }
}

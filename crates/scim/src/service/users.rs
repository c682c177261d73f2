//! Creating and replacing users.

use serde_json::Value;
use tenantry::{NewUser, UserUpdate};
use tenantry_identity::{Attributes, DepartmentId, JobProfileId, Name, UserId, UserKind};
use tenantry_lifecycle::{AccountState, Event, WayIn};

use super::*;
use crate::filter::member;
use crate::user::{
    MANAGER_ATTRIBUTE, SCIM_ATTRIBUTE_PREFIX, ScimUser, TENANTRY_USER, user_from_scim,
};

/// The user's attributes with the SCIM-kept ones (`scim.*`) replaced by what `scim` says;
/// the host's own attributes stay.
fn kept_attributes(current: &Attributes, scim: &ScimUser) -> Result<Attributes, ScimError> {
    let mut out = Attributes::new();
    let own = current
        .iter()
        .filter(|(k, _)| !k.starts_with(SCIM_ATTRIBUTE_PREFIX));
    let kept = scim
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    for (key, value) in own.chain(kept) {
        out.insert(key, value)
            .map_err(|e| ScimError::bad("invalidValue", format!("attributes: {e}")))?;
    }
    Ok(out)
}

impl ScimService {
    /// A manager must be a user of the client's organization.
    async fn check_manager(&self, client: &ScimClient, scim: &ScimUser) -> Result<(), ScimError> {
        if let Some(manager) = scim.attributes.get(MANAGER_ATTRIBUTE) {
            self.user_record(client, manager).await.map_err(|_| {
                ScimError::bad("invalidValue", format!("manager: no user {manager} here"))
            })?;
        }
        Ok(())
    }

    pub(super) async fn department_and_job(
        &self,
        client: &ScimClient,
        scim: &ScimUser,
    ) -> Result<(Option<DepartmentId>, Option<JobProfileId>), ScimError> {
        let (departments, jobs) = self.names(client.org).await?;
        let caller = Self::caller(client);
        let department = match named(&departments, "department", &scim.department)? {
            (Some(name), None) => Some(
                self.dir
                    .create_department(
                        caller,
                        client.org,
                        tenantry::NewDepartment {
                            name,
                            sign_up_link: false,
                        },
                    )
                    .await?
                    .id,
            ),
            (_, found) => found,
        };
        let job = match named(&jobs, "jobProfile", &scim.job_profile)? {
            (Some(name), None) => Some(
                self.dir
                    .create_job_profile(caller, client.org, name)
                    .await?
                    .id,
            ),
            (_, found) => found,
        };
        Ok((department, job))
    }

    pub(super) async fn create_user(
        &self,
        client: &ScimClient,
        scim: ScimUser,
    ) -> Result<UserId, ScimError> {
        self.check_manager(client, &scim).await?;
        let (department, job_profile) = self.department_and_job(client, &scim).await?;
        let mut profile = scim.profile.clone();
        profile.department = department;
        profile.job_profile = job_profile;
        profile.attributes = kept_attributes(&profile.attributes, &scim)?;
        let way_in = match scim.kind {
            UserKind::Pin => WayIn::Pin,
            UserKind::Consumer => WayIn::None,
            _ => self.way_in,
        };
        let mut identifiers = scim.identifiers.clone();
        if scim.kind == UserKind::Pin {
            // A PIN user signs in with a placeholder address tenantry makes.
            identifiers.email = None;
            identifiers.username = None;
            identifiers.principal_name = None;
        }
        let created = self
            .dir
            .create_user(
                Self::caller(client),
                client.org,
                NewUser {
                    kind: scim.kind,
                    profile,
                    identifiers,
                    way_in,
                    password: None,
                },
            )
            .await?;
        if scim.active == Some(false) {
            self.dir
                .change_account(Self::caller(client), created.id, Event::Deactivate)
                .await?;
        }
        Ok(created.id)
    }

    pub(super) async fn replace_user(
        &self,
        client: &ScimClient,
        id: &str,
        current_json: &Value,
        wanted: &Value,
    ) -> Result<(), ScimError> {
        let (record, _) = self.user_record(client, id).await?;
        let user = &record.user;
        let caller = Self::caller(client);
        let scim = user_from_scim(wanted, self.region)?;
        // The kind never changes; saying the same kind again is fine.
        let stated_kind = member(wanted, TENANTRY_USER)
            .and_then(|e| member(e, "kind"))
            .is_some();
        if stated_kind && scim.kind != user.kind() {
            return Err(ScimError::bad("mutability", "a user's kind cannot change"));
        }
        // Only a new manager is checked: a manager deleted since must not block every later
        // change of their reports (a deactivation above all).
        if scim.attributes.get(MANAGER_ATTRIBUTE).map(String::as_str)
            != user.profile().attributes.get(MANAGER_ATTRIBUTE)
        {
            self.check_manager(client, &scim).await?;
        }
        let (department, job_profile) = self.department_and_job(client, &scim).await?;
        let mut profile = user.profile().clone();
        profile.attributes = kept_attributes(&profile.attributes, &scim)?;
        profile.first_name = scim.profile.first_name.clone();
        profile.last_name = scim.profile.last_name.clone();
        profile.display_name = scim.profile.display_name.clone();
        profile.language = scim.profile.language.clone();
        profile.department = department;
        profile.job_profile = job_profile;
        // Phones are not published (they come back in E.164 form); a resource without one
        // keeps the stored phone unless it had one before.
        if scim.profile.phone.is_some() || member(current_json, "phoneNumbers").is_some() {
            profile.phone = scim.profile.phone.clone();
        }
        let ids = user.identifiers();
        let mut update = UserUpdate::default();
        if &profile != user.profile() {
            update.profile = Some(profile);
        }
        if user.kind() != UserKind::Pin {
            if scim.identifiers.email != ids.email {
                update.email = Some(scim.identifiers.email.clone());
            }
            if scim.identifiers.username != ids.username {
                update.username = Some(scim.identifiers.username.clone());
            }
            if scim.identifiers.principal_name != ids.principal_name {
                update.principal_name = Some(scim.identifiers.principal_name.clone());
            }
        } else if member(wanted, "userName")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            != ids.placeholder_email.as_ref().map(|e| e.key())
        {
            return Err(ScimError::bad(
                "mutability",
                "a PIN user's userName is the placeholder address tenantry gives it",
            ));
        }
        if scim.identifiers.external_id != ids.external_id {
            update.external_id = Some(scim.identifiers.external_id.clone());
        }
        let changed = update.profile.is_some()
            || update.email.is_some()
            || update.username.is_some()
            || update.principal_name.is_some()
            || update.external_id.is_some();
        if changed {
            self.dir.update_user(caller, user.id(), update).await?;
        }
        let state = record.account.state();
        match scim.active {
            Some(false)
                if matches!(
                    state,
                    AccountState::Created | AccountState::Invited | AccountState::Active
                ) =>
            {
                self.dir
                    .change_account(caller, user.id(), Event::Deactivate)
                    .await?;
            }
            Some(true) if state == AccountState::Inactive => {
                self.dir
                    .change_account(caller, user.id(), Event::Reactivate)
                    .await?;
            }
            Some(true) if state == AccountState::Blocked => {
                return Err(ScimError::bad(
                    "invalidValue",
                    "active: the account is blocked in tenantry; an admin lifts blocks there",
                ));
            }
            _ => {}
        }
        Ok(())
    }
}
/// The name `text` gives (validated) and the id of the entry of `list` that has it
/// (compared case-insensitively), if any.
pub(super) fn named<I: Copy>(
    list: &[(I, Name)],
    attribute: &str,
    text: &Option<String>,
) -> Result<(Option<Name>, Option<I>), ScimError> {
    let Some(text) = text else {
        return Ok((None, None));
    };
    let name = Name::parse(text)
        .map_err(|e| ScimError::bad("invalidValue", format!("{attribute}: {e}")))?;
    let found = list
        .iter()
        .find(|(_, n)| n.as_str().eq_ignore_ascii_case(name.as_str()))
        .map(|(id, _)| *id);
    Ok((Some(name), found))
}

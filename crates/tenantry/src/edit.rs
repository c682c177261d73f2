//! Editing a user: profile and login identifiers (an email added later, the workforce platform's FAQ; a
//! PIN user renamed, the social intranet).

use std::collections::{BTreeSet, HashSet};

use tenantry_identity::{Email, ExternalId, Profile, UserId, UserKind, Username};

use crate::changeset::Changeset;
use crate::directory::{Caller, Directory, DirectoryError, retrying};
use crate::records::{Record, UserRecord};
use crate::store::ListOf;

/// What to change about a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    /// The new profile (name, phone, language, department, ...).
    pub profile: Option<Profile>,
    /// A new sign-in email, or `Some(None)` to remove it.
    pub email: Option<Option<Email>>,
    /// A new username, or `Some(None)` to remove it.
    pub username: Option<Option<Username>>,
    /// A new external id, or `Some(None)` to remove it.
    pub external_id: Option<Option<ExternalId>>,
    /// A new principal name (the name a provisioning system knows the user by, see
    /// `LoginIdentifiers::principal_name`), or `Some(None)` to remove it.
    pub principal_name: Option<Option<Email>>,
    /// PIN users: make a new placeholder email from the (new) name. Without it the
    /// placeholder stays as it is even when the name changes, so the address the user
    /// signs in with and the PIN export keep matching.
    pub regenerate_placeholder: bool,
}

impl Directory {
    /// Changes a user's profile and login identifiers. The caller must administer the
    /// user's organization. The user kind's rules must still hold (a PIN user keeps an
    /// external id; a username-only user keeps a phone); a new identifier someone else
    /// holds is [`DirectoryError::IdentifierTaken`], and nothing changes.
    ///
    /// A user created with a username and phone can be given an email and then signs in
    /// with either. When the sign-in email changes, links already sent (invitation, reset,
    /// login) stop working: they went to the old address; send a new one if needed.
    /// Audited as `user.updated` with the names of the changed fields (never their values).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "update_user"),
        err(Display)
    )]
    pub async fn update_user(
        &self,
        caller: Caller,
        user: UserId,
        update: UserUpdate,
    ) -> Result<UserRecord, DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        // A new email, username, phone, external id (what single sign-on and provisioning
        // match on) or placeholder is a way into the account: only for a caller who may
        // take the account over.
        let phone_changes = update
            .profile
            .as_ref()
            .is_some_and(|p| p.phone != record.user.profile().phone);
        if update.email.is_some()
            || update.username.is_some()
            || update.external_id.is_some()
            || update.principal_name.is_some()
            || update.regenerate_placeholder
            || phone_changes
        {
            self.require_take_over(caller, &record).await?;
        }
        retrying!(self, self.try_update_user(caller, user, &update))
    }

    async fn try_update_user(
        &self,
        caller: Caller,
        user: UserId,
        update: &UserUpdate,
    ) -> Result<UserRecord, DirectoryError> {
        let now = self.clock.now();
        let (mut record, version) = self.user(user).await?;
        let (org, _) = self.org(record.user.org()).await?;
        let mut changed = BTreeSet::new();
        if let Some(profile) = &update.profile
            && profile != record.user.profile()
        {
            record.user.set_profile(profile.clone(), now)?;
            changed.insert("profile");
        }
        let mut identifiers = record.user.identifiers().clone();
        let email_changed = update.email.as_ref().is_some_and(|e| {
            e.as_ref().map(Email::key) != identifiers.email.as_ref().map(Email::key)
        });
        if let Some(email) = &update.email
            && *email != identifiers.email
        {
            identifiers.email = email.clone();
            changed.insert("email");
        }
        if let Some(username) = &update.username
            && *username != identifiers.username
        {
            identifiers.username = username.clone();
            changed.insert("username");
        }
        if let Some(external_id) = &update.external_id
            && *external_id != identifiers.external_id
        {
            identifiers.external_id = external_id.clone();
            changed.insert("external_id");
        }
        if let Some(principal_name) = &update.principal_name
            && *principal_name != identifiers.principal_name
        {
            identifiers.principal_name = principal_name.clone();
            changed.insert("principal_name");
        }
        if update.regenerate_placeholder {
            if record.user.kind() != UserKind::Pin {
                return Err(DirectoryError::NotFound(
                    "placeholder email (only PIN users have one)",
                ));
            }
            let fresh = self
                .free_placeholder(&org, record.user.profile(), &HashSet::new(), Some(user))
                .await?;
            if Some(&fresh) != identifiers.placeholder_email.as_ref() {
                identifiers.placeholder_email = Some(fresh);
                changed.insert("placeholder_email");
            }
        }
        if identifiers != *record.user.identifiers() {
            record.user.set_identifiers(identifiers, now)?;
        }
        if changed.is_empty() {
            return Ok(record);
        }
        org.org.settings.required_fields.check(&record.user)?;
        let mut cs = Changeset::new();
        if email_changed {
            for t in self.store.list(&ListOf::TokensOf(user)).await? {
                cs.delete(t.value.key(), t.version);
            }
        }
        let mut event = self.audit(caller, Some(record.user.org()), Some(user), "user.updated");
        event.detail.insert(
            "fields".into(),
            changed.into_iter().collect::<Vec<_>>().join(","),
        );
        cs.update(Record::User(record.clone()), version)
            .audit(event);
        self.commit_claims(cs).await?;
        Ok(record)
    }
}

//! Passwords: the policy check, "forgot password", admin-triggered resets, the password-changed notice.

use super::*;

impl Directory {
    pub(crate) fn check_password(
        &self,
        password: &Password,
        user: &User,
        org_name: &Name,
    ) -> Result<(), DirectoryError> {
        let mut ctx = PolicyContext::new();
        let p = user.profile();
        for part in [&p.first_name, &p.last_name].into_iter().flatten() {
            ctx.add(tenantry_credentials::ContextKind::Name, part.as_str());
        }
        if let Some(e) = user.sign_in_email() {
            ctx.add_email(e.as_str());
        }
        // The name a provisioning system knows the user by is as guessable as their email.
        if let Some(p) = &user.identifiers().principal_name {
            ctx.add_email(p.as_str());
        }
        if let Some(u) = &user.identifiers().username {
            ctx.add(tenantry_credentials::ContextKind::Username, u.as_str());
        }
        ctx.add(
            tenantry_credentials::ContextKind::Organization,
            org_name.as_str(),
        );
        Ok(self.config.password_policy.check(password, &ctx)?)
    }

    /// "Forgot password" (partner portal): mails a reset link valid one hour if `identifier`
    /// belongs to an account that may sign in and has a mailbox; an older reset link stops
    /// working. Answers `Ok(())` either way, so the form does not reveal which accounts exist.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "request_password_reset"),
        err(Display)
    )]
    pub async fn request_password_reset(&self, identifier: &str) -> Result<(), DirectoryError> {
        let Ok(id) = LoginIdentifier::parse(identifier) else {
            return Ok(());
        };
        let Some(found) = self.store.user_by_login(&id.key()).await? else {
            return Ok(());
        };
        if !found.value.account.capabilities().may_sign_in {
            return Ok(());
        }
        // A conflict means the account changed meanwhile; the person can simply ask again.
        match self
            .queue_reset(Caller::User(found.value.user.id()), &found.value.user)
            .await
        {
            Err(DirectoryError::Store(e)) if conflict(&e) => Ok(()),
            other => other,
        }
    }

    /// An admin triggers a password reset for `user` (the partner portal's Reset Password button).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "reset_password_by_admin"),
        err(Display)
    )]
    pub async fn reset_password_by_admin(
        &self,
        caller: Caller,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        let record = self.takeover_target(caller, user).await?;
        if record.user.mailbox().is_none() {
            return Err(DirectoryError::NoMailbox);
        }
        retrying!(self, self.queue_reset(caller, &record.user))
    }

    pub(crate) async fn queue_reset(
        &self,
        caller: Caller,
        user: &User,
    ) -> Result<(), DirectoryError> {
        let (org, _) = self.org(user.org()).await?;
        if !reachable(user, &org) {
            return Ok(());
        }
        let purpose = TokenPurpose::PasswordReset;
        let mut cs = Changeset::new();
        self.supersede_tokens(&mut cs, user.id(), purpose).await?;
        self.queue_link(
            &mut cs,
            user,
            &org,
            MessageKind::PasswordReset,
            purpose,
            purpose.default_ttl(),
            None,
        )?;
        cs.audit(self.audit(
            caller,
            Some(user.org()),
            Some(user.id()),
            "password.reset_requested",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Sets a new password through a reset link: the link works once and within its hour;
    /// the password must meet the policy. A "password changed" notice is mailed (security
    /// notices are never suppressed).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "reset_password"),
        err(Display)
    )]
    pub async fn reset_password(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_reset_password(raw, password))
    }

    pub(crate) async fn try_reset_password(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) = self
            .redeem_link(raw, TokenPurpose::PasswordReset, now)
            .await?;
        let (mut record, version) = self.user(user_id).await?;
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidLink);
        }
        let (org, _) = self.org(record.user.org()).await?;
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        let mut cs = Changeset::new();
        cs.update(Record::Token(token), token_version);
        self.password_changed(&mut cs, &record.user, &org);
        let keys = record.user.identifiers().keys();
        cs.update(Record::User(record), version).audit(self.audit(
            Caller::User(user_id),
            Some(org.org.id),
            Some(user_id),
            "password.reset",
        ));
        self.store.commit(cs).await?;
        // The reset proved the mailbox: failed sign-ins under the user's identifiers start
        // over, lifting a suspension (best effort, as after a successful sign-in).
        self.clear_sign_in_attempts(keys).await;
        Ok(user_id)
    }

    pub(crate) fn password_changed(&self, cs: &mut Changeset, user: &User, org: &OrgRecord) {
        let Some(to) = user.mailbox().cloned() else {
            return;
        };
        let ctx = MessageContext::new(
            MessageKind::PasswordChanged,
            Locale::from_language(user.profile().language.as_ref()),
            &user.display_name(),
            org.org.name.as_str(),
        );
        let rendered = self.renderer.render(&ctx);
        let key = format!(
            "{}:{}:{}",
            MessageKind::PasswordChanged.as_str(),
            user.id(),
            self.uuid()
        );
        cs.insert(Record::Outbox(self.outbox(
            &to,
            user.id(),
            key,
            rendered,
            MessageKind::PasswordChanged,
        )));
    }
}

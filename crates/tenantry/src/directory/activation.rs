//! Activation: invitations accepted, activation links and codes, one-time passwords.

use super::*;

impl Directory {
    /// Accepts an invitation (or the set-password link of a welcome email): the link's token
    /// must be valid, unused and current; the password must meet the policy. The account
    /// becomes active. Returns the user.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "accept_invitation"),
        err(Display)
    )]
    pub async fn accept_invitation(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_accept_invitation(raw, password))
    }

    pub(crate) async fn try_accept_invitation(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) =
            self.redeem_link(raw, TokenPurpose::Invitation, now).await?;
        let (mut record, user_version) = self.user(user_id).await?;
        let (org, _) = self.org(record.user.org()).await?;
        let mut cs = Changeset::new();
        let invitation = self.store.get(&RecordKey::Invitation(user_id)).await?;
        if let Some((Record::Invitation(mut inv), version)) =
            invitation.map(|v| (v.value, v.version))
        {
            inv.accept(token.context.unwrap_or(0), now)
                .map_err(|_| DirectoryError::InvalidLink)?;
            cs.update(Record::Invitation(inv), version);
        }
        let event = if record.account.state() == tenantry_lifecycle::AccountState::Active {
            None // a welcome link: the account is active already, the user sets a password
        } else {
            Some(Event::Activate {
                method: ActivationMethod::InvitationLink,
            })
        };
        if let Some(event) = event {
            record.account = record
                .account
                .apply(event, Actor::User, &org.lifecycle, now)?
                .account;
        }
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        self.password_changed(&mut cs, &record.user, &org);
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), user_version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "invitation.accepted",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }

    /// Activates an account through its activation link (workforce platform). A user without a
    /// password yet (created by an integration) chooses one now. Where approval is still
    /// required, the account stays pending.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "activate"),
        err(Display)
    )]
    pub async fn activate(
        &self,
        raw: &RawToken,
        password: Option<&Password>,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_activate(raw, password))
    }

    pub(crate) async fn try_activate(
        &self,
        raw: &RawToken,
        password: Option<&Password>,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) =
            self.redeem_link(raw, TokenPurpose::Activation, now).await?;
        let (mut record, version) = self.user(user_id).await?;
        let (org, _) = self.org(record.user.org()).await?;
        // A reactivation link (a sign-up with an inactive account's identifier) brings the
        // account back; any other activation link activates.
        let event = if token.context == Some(REACTIVATION) {
            Event::Reactivate
        } else {
            Event::Activate {
                method: ActivationMethod::EmailLink,
            }
        };
        record.account = record
            .account
            .apply(event, Actor::User, &org.lifecycle, now)?
            .account;
        match (password, &record.password) {
            (Some(p), _) => {
                self.check_password(p, &record.user, &org.org.name)?;
                record.password = Some(self.hash(p).await?);
                record.must_change_password = false;
            }
            (None, None) => return Err(DirectoryError::PasswordRequired),
            (None, Some(_)) => {}
        }
        let mut cs = Changeset::new();
        if password.is_some() {
            self.password_changed(&mut cs, &record.user, &org);
        }
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "account.activated",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }

    /// Signs in with a one-time password an admin set or the import template carried
    /// (workforce platform) and sets the user's own password at once: the one thing it allows. It works
    /// once and until it expires; failures count against the identifier like failed
    /// sign-ins. Unknown identifiers and wrong or spent passwords share one answer.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "redeem_one_time_password"),
        err(Display)
    )]
    pub async fn redeem_one_time_password(
        &self,
        identifier: &str,
        otp: &Password,
        new_password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let Ok(id) = LoginIdentifier::parse(identifier) else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let attempts_key = sign_in_attempts_key(Some(&id), identifier);
        self.count_attempt(&attempts_key, now).await?;
        let user = self.signing_in_as(&id.key()).await?;
        let stored = match &user {
            Some(u) => self.store.get(&RecordKey::Otp(u.value.user.id())).await?,
            None => None,
        };
        let redeemed = match (&user, stored) {
            (Some(u), Some(v)) => match v.value {
                Record::Otp(mut record) => record
                    .redeem(otp, now)
                    .ok()
                    .map(|_| (u.clone(), record, v.version)),
                _ => None,
            },
            _ => {
                // The same work as a real check.
                let _ = self.verify(otp, &self.dummy).await;
                None
            }
        };
        let Some((user, record, otp_version)) = redeemed else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let mut account = user.value.clone();
        let (org, _) = self.org(account.user.org()).await?;
        if !account.account.activated() {
            account.account = account
                .account
                .apply(
                    Event::Activate {
                        method: ActivationMethod::OneTimePassword,
                    },
                    Actor::User,
                    &org.lifecycle,
                    now,
                )?
                .account;
        } else if !account.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidCredentials);
        }
        self.check_password(new_password, &account.user, &org.org.name)?;
        account.password = Some(self.hash(new_password).await?);
        account.must_change_password = false;
        let user_id = account.user.id();
        let keys = account.user.identifiers().keys();
        let mut cs = Changeset::new();
        self.password_changed(&mut cs, &account.user, &org);
        cs.update(Record::Otp(record), otp_version)
            .update(Record::User(account), user.version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "one_time_password.redeemed",
            ));
        self.store.commit(cs).await?;
        self.clear_attempts(&attempts_key).await;
        self.clear_sign_in_attempts(keys).await;
        Ok(user_id)
    }

    /// Sends an activation code by SMS or email (the workforce platform's activation SMS). A new code
    /// replaces the older but keeps its wrong attempts. The caller must administer the
    /// user's organization (or be the system, as after a self sign-up).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "send_activation_code"),
        err(Display)
    )]
    pub async fn send_activation_code(
        &self,
        caller: Caller,
        user: UserId,
        channel: tenantry_credentials::CodeChannel,
    ) -> Result<(), DirectoryError> {
        let record = self.takeover_target(caller, user).await?;
        retrying!(self, self.try_send_code(caller, &record.user, channel))
    }

    pub(crate) async fn try_send_code(
        &self,
        caller: Caller,
        user: &User,
        channel: tenantry_credentials::CodeChannel,
    ) -> Result<(), DirectoryError> {
        use tenantry_credentials::{CodeChannel, CodeRecord, CodeSettings};
        let now = self.clock.now();
        let (org, _) = self.org(user.org()).await?;
        let to = match channel {
            CodeChannel::Sms => user.profile().phone.as_ref().map(|p| p.as_str().to_owned()),
            CodeChannel::Email => user.mailbox().map(|e| e.as_str().to_owned()),
        }
        .ok_or(DirectoryError::NotFound("phone or mailbox"))?;
        let previous = self.store.get(&RecordKey::Code(user.id(), channel)).await?;
        let (previous, version) = match previous.map(|v| (v.value, v.version)) {
            Some((Record::Code(c), v)) => (Some(c), Some(v)),
            _ => (None, None),
        };
        let (code, record) = self.with_rng(|rng| {
            CodeRecord::issue(
                user.id(),
                channel,
                now,
                previous.as_ref(),
                &CodeSettings::default(),
                rng,
            )
        })?;
        let mut ctx = MessageContext::new(
            MessageKind::ActivationCode,
            Locale::from_language(user.profile().language.as_ref()),
            &user.display_name(),
            org.org.name.as_str(),
        );
        ctx.expires_at = Some(record.expires_at());
        ctx.code = Some(code);
        let rendered = self.renderer.render(&ctx);
        let sms = rendered.sms.clone();
        let mut message = self.outbox_to(
            &to,
            user.id(),
            format!(
                "{}:{}:{}",
                MessageKind::ActivationCode.as_str(),
                user.id(),
                self.uuid()
            ),
            rendered,
            MessageKind::ActivationCode,
        );
        if channel == CodeChannel::Sms {
            message.channel = Channel::Sms;
            message.html = None;
            message.text = sms;
        }
        let mut cs = Changeset::new();
        // A code is a way in: an account that had none is invited by it.
        let (mut stored, user_version) = self.user(user.id()).await?;
        if stored.account.state() == tenantry_lifecycle::AccountState::Created {
            stored.account = stored
                .account
                .apply(Event::Invite, Actor::Staff, &org.lifecycle, now)?
                .account;
            cs.update(Record::User(stored), user_version);
        }
        cs.put(Record::Code(record), version)
            .insert(Record::Outbox(message))
            .audit(self.audit(
                caller,
                Some(user.org()),
                Some(user.id()),
                "activation_code.sent",
            ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Activates an account with the code it was sent and sets its password (workforce platform).
    /// Five wrong codes spend it; a new code does not reset the count. Unknown identifiers
    /// and wrong codes share one answer.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "activate_with_code"),
        err(Display)
    )]
    pub async fn activate_with_code(
        &self,
        identifier: &str,
        code: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        use tenantry_credentials::{Code, CodeChannel};
        let now = self.clock.now();
        let Ok(id) = LoginIdentifier::parse(identifier) else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let code = Code::new(code);
        for channel in [CodeChannel::Sms, CodeChannel::Email] {
            // A wrong code is answered only once its failure is stored: a lost race re-reads
            // and checks again (counting again), so concurrent guesses are all counted.
            let mut counted = false;
            for _ in 0..COUNTER_ROUNDS {
                let Some(user) = self.signing_in_as(&id.key()).await? else {
                    return Err(DirectoryError::InvalidCredentials);
                };
                let user_id = user.value.user.id();
                let Some(stored) = self.store.get(&RecordKey::Code(user_id, channel)).await? else {
                    counted = true;
                    break;
                };
                let Record::Code(mut record) = stored.value else {
                    counted = true;
                    break;
                };
                if record.verify(&code, now).is_err() {
                    let mut cs = Changeset::new();
                    cs.update(Record::Code(record), stored.version);
                    match self.store.commit(cs).await {
                        Ok(_) => {
                            counted = true;
                            break;
                        }
                        Err(e) if conflict(&e) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                let mut account = user.value.clone();
                let (org, _) = self.org(account.user.org()).await?;
                account.account = account
                    .account
                    .apply(
                        Event::Activate {
                            method: ActivationMethod::SmsCode,
                        },
                        Actor::User,
                        &org.lifecycle,
                        now,
                    )?
                    .account;
                self.check_password(password, &account.user, &org.org.name)?;
                account.password = Some(self.hash(password).await?);
                account.must_change_password = false;
                let mut cs = Changeset::new();
                self.password_changed(&mut cs, &account.user, &org);
                cs.update(Record::Code(record), stored.version)
                    .update(Record::User(account), user.version)
                    .audit(self.audit(
                        Caller::User(user_id),
                        Some(org.org.id),
                        Some(user_id),
                        "account.activated_by_code",
                    ));
                match self.store.commit(cs).await {
                    Ok(_) => return Ok(user_id),
                    Err(e) if conflict(&e) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            if !counted {
                return Err(DirectoryError::Contended);
            }
        }
        Err(DirectoryError::InvalidCredentials)
    }
}

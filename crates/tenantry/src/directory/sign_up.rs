//! Self sign-up, a guest's self-join, and what a sign-up with an existing identifier does.

use super::*;

impl Directory {
    /// Self sign-up (the workforce platform's form and department links, the help desk's pending approval,
    /// the social intranet's guest self-join). The policy decides the placement (department, job
    /// profile, permission type); the new account waits for activation by email link and,
    /// where required, for approval, of which the organization's admins are told.
    ///
    /// Answers `Ok(())` whenever the form itself is acceptable, also when the identifier
    /// belongs to an account already (which then gets what `Account::sign_up_again` says:
    /// a fresh activation, a self-reactivation, or nothing — a blocked account stays
    /// blocked), so the form does not reveal which accounts exist.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "sign_up"),
        err(Display)
    )]
    pub async fn sign_up(&self, form: SignUpForm) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        // A person signing up names how they sign in (an email, or a username with a phone
        // in the profile), never an external id, a placeholder or a principal name: those
        // are what single sign-on and provisioning match on, and claiming one would catch a
        // future account.
        if form.identifiers.external_id.is_some()
            || form.identifiers.placeholder_email.is_some()
            || form.identifiers.principal_name.is_some()
        {
            return Err(DirectoryError::Invalid {
                field: "identifiers",
                reason: "sign-up takes an email or a username, nothing else",
            });
        }
        let (org, _) = self.org(form.org).await?;
        let link = match &form.link {
            Some(code) => match self.store.department_by_code(code).await?.map(|v| v.value) {
                Some(Record::Department(d)) => Some(tenantry_lifecycle::SignUpLink {
                    code: code.clone(),
                    org: d.org,
                    department: d.id,
                    job_profile: None,
                    permission_type: None,
                    expires_at: None,
                    revoked: false,
                }),
                _ => {
                    return Err(LifecycleError::SignUp(
                        tenantry_lifecycle::SignUpProblem::LinkRevoked,
                    )
                    .into());
                }
            },
            None => None,
        };
        let request = tenantry_lifecycle::SignUpRequest {
            email: form.identifiers.email.clone(),
            chosen_department: form.chosen_department,
            as_guest: form.as_guest,
        };
        let placement = org
            .lifecycle
            .sign_up
            .place(form.org, &request, link.as_ref(), now)?;
        // Everything that does not depend on whether the identifier exists is checked
        // first, and the password is hashed either way: a weak password, a missing field or
        // the time taken tell an existing account from a new one no more than the answer.
        let kind = if form.as_guest {
            UserKind::Guest
        } else {
            UserKind::Standard
        };
        let mut profile = form.profile.clone();
        profile.department = placement.department.or(profile.department);
        profile.job_profile = placement.job_profile.or(profile.job_profile);
        let user_id = UserId::from_uuid(self.uuid());
        let user = User::new(
            user_id,
            form.org,
            kind,
            profile,
            form.identifiers.clone(),
            now,
        )?;
        org.org.settings.required_fields.check(&user)?;
        self.check_password(&form.password, &user, &org.org.name)?;
        let t = Account::create(
            kind,
            Creation::SelfSignUp { verified: false },
            Actor::User,
            &org.lifecycle,
            now,
        )?;
        let permission_type = match &placement.permission_type {
            Some(role) => {
                let role = tenantry_access::RoleKey::new(role)?;
                self.catalog.role(&role)?;
                Some(role)
            }
            None => None,
        };
        let hash = self.hash(&form.password).await?;
        // An identifier that exists: the existing account's path, with the same answer.
        for key in form.identifiers.keys() {
            if let Some(existing) = self.store.user_by_login(&key).await? {
                self.sign_up_again(&org, existing, now).await;
                return Ok(());
            }
        }
        let mut cs = Changeset::new();
        self.carry_out(&mut cs, &user, &org, &t.effects, None)
            .await?;
        if t.effects.contains(&Effect::NotifyStaffOfPendingSignUp) {
            self.notify_admins(&mut cs, &org, &user).await?;
        }
        if let Some(role) = permission_type {
            let grant = Grantables {
                roles: [role].into(),
                ..Grantables::new()
            };
            cs.insert(Record::Grant(
                GrantRef {
                    user: user_id,
                    org: form.org,
                    scope: Scope::Organization,
                },
                grant,
            ));
        }
        cs.insert(Record::User(UserRecord {
            user,
            account: t.account,
            password: Some(hash),
            last_sign_in: None,
            notifications: Default::default(),
            must_change_password: false,
        }))
        .audit(self.audit(
            Caller::User(user_id),
            Some(form.org),
            Some(user_id),
            "account.signed_up",
        ));
        match self.store.commit(cs).await {
            // Someone took the identifier meanwhile: the same answer as for an existing one.
            Err(e) if e.kind() == StoreErrorKind::Duplicate => Ok(()),
            other => other.map(|_| ()).map_err(DirectoryError::from),
        }
    }

    /// The existing account's side of a sign-up with its identifier. The person at the form
    /// is told nothing of it (every outcome, failures included, answers as a new sign-up
    /// does). Only an account of the organization signed up to is touched: an inactive one
    /// where self-reactivation is allowed gets a link to its stored mailbox and stays
    /// inactive until the link is redeemed ([`Directory::activate`]); one not yet
    /// activated gets a fresh activation message; the rest nothing.
    pub(crate) async fn sign_up_again(
        &self,
        org: &OrgRecord,
        existing: Versioned<UserRecord>,
        now: DateTime<Utc>,
    ) {
        let id = existing.value.user.id();
        if let Err(e) = self.try_sign_up_again(org, existing, now).await {
            tracing::debug!(user = %id, error = %e, "sign-up with an existing identifier changed nothing");
        }
    }

    pub(crate) async fn try_sign_up_again(
        &self,
        org: &OrgRecord,
        existing: Versioned<UserRecord>,
        now: DateTime<Utc>,
    ) -> Result<(), DirectoryError> {
        let record = existing.value;
        let id = record.user.id();
        if record.user.org() != org.org.id {
            return Ok(());
        }
        let t = record.account.sign_up_again(&org.lifecycle, now)?;
        let mut cs = Changeset::new();
        if record.account.state() == tenantry_lifecycle::AccountState::Inactive {
            // Reactivation needs proof of the mailbox: nothing changes until the link is
            // redeemed, and an older such link stops working.
            let purpose = TokenPurpose::Activation;
            self.supersede_tokens(&mut cs, id, purpose).await?;
            self.queue_link(
                &mut cs,
                &record.user,
                org,
                MessageKind::ActivationLink,
                purpose,
                purpose.default_ttl(),
                Some(REACTIVATION),
            )?;
            cs.audit(self.audit(
                Caller::System,
                Some(org.org.id),
                Some(id),
                "account.reactivation_requested",
            ));
        } else {
            let invitation = match self
                .store
                .get(&RecordKey::Invitation(id))
                .await?
                .map(|v| (v.value, v.version))
            {
                Some((Record::Invitation(inv), v)) => Some((inv, v)),
                _ => None,
            };
            self.carry_out(&mut cs, &record.user, org, &t.effects, invitation)
                .await?;
            cs.update(
                Record::User(UserRecord {
                    account: t.account,
                    ..record
                }),
                existing.version,
            )
            .audit(self.audit(
                Caller::System,
                Some(org.org.id),
                Some(id),
                "account.signed_up_again",
            ));
        }
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Tells the organization's admins that `user` signed up and awaits approval.
    pub(crate) async fn notify_admins(
        &self,
        cs: &mut Changeset,
        org: &OrgRecord,
        user: &User,
    ) -> Result<(), DirectoryError> {
        let candidates = self.admin_candidates(org.org.id).await?;
        let resolver = self.resolver_for(&candidates).await?;
        for admin in resolver.admins_of(org.org.id) {
            let (record, _) = self.user(admin).await?;
            let Some(to) = record.user.mailbox().cloned() else {
                continue;
            };
            let mut ctx = MessageContext::new(
                MessageKind::SignUpPendingApproval,
                Locale::from_language(record.user.profile().language.as_ref()),
                &record.user.display_name(),
                org.org.name.as_str(),
            );
            ctx.about = Some(user.display_name());
            let rendered = self.renderer.render(&ctx);
            let key = format!(
                "{}:{}:{}",
                MessageKind::SignUpPendingApproval.as_str(),
                user.id(),
                admin
            );
            cs.insert(Record::Outbox(self.outbox(
                &to,
                admin,
                key,
                rendered,
                MessageKind::SignUpPendingApproval,
            )));
        }
        Ok(())
    }
}

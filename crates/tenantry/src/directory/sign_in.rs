//! Sign-in: passwords, changing one's password, throttling, single sign-on, automatic-login links and "log in as".

use super::*;

impl Directory {
    /// Signs a user in by email or username and password, with throttling per identifier and
    /// a rehash when the stored parameters fall below policy. Unknown identifiers, wrong
    /// passwords and accounts that may not sign in all get [`DirectoryError::InvalidCredentials`]
    /// after the same work (a dummy hash is verified when there is no real one).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "sign_in"),
        err(Display)
    )]
    pub async fn sign_in(
        &self,
        identifier: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (user, attempts_key, hash) = self.password_of(identifier, password, now).await?;
        if user.value.must_change_password {
            // The right password, but someone else chose it: no sign-in until it is replaced.
            self.clear_attempts(&attempts_key).await;
            return Err(DirectoryError::PasswordChangeRequired);
        }
        let mut rehashed = if hash.needs_rehash(&self.config.hash_params) {
            Some(self.hash(password).await?)
        } else {
            None
        };
        let user_id = user.value.user.id();
        let mut checked = user.value.password.clone();
        self.clear_attempts(&attempts_key).await;
        // The stamp and the audit event are part of the sign-in: a commit that loses a race
        // is made again on the fresh record, as long as that record still lets this password
        // sign in. Every successful sign-in leaves its event.
        let mut current = user;
        for _ in 0..self.config.max_attempts.max(1) {
            let mut record = current.value.clone();
            if let Some(h) = &rehashed {
                record.password = Some(h.clone());
            }
            record.last_sign_in = Some(now);
            let org = record.user.org();
            let mut cs = Changeset::new();
            cs.update(Record::User(record), current.version)
                .audit(self.audit(
                    Caller::User(user_id),
                    Some(org),
                    Some(user_id),
                    "user.signed_in",
                ));
            match self.store.commit(cs).await {
                Ok(_) => return Ok(user_id),
                Err(e) if conflict(&e) => {}
                Err(e) => return Err(e.into()),
            }
            // Someone changed the account meanwhile: the sign-in stands only if the account
            // still may sign in with the password just checked.
            current = match self.store.get(&RecordKey::User(user_id)).await? {
                Some(Versioned {
                    value: Record::User(u),
                    version,
                }) => Versioned { value: u, version },
                _ => return Err(DirectoryError::InvalidCredentials),
            };
            let fresh = &current.value;
            if !fresh.account.capabilities().may_sign_in {
                return Err(DirectoryError::InvalidCredentials);
            }
            if fresh.password != checked {
                // A new hash: another sign-in may have rehashed this same password, or the
                // password changed. Only the password itself can tell.
                match &fresh.password {
                    Some(h) if self.verify(password, h).await? => {
                        checked = fresh.password.clone();
                        if !h.needs_rehash(&self.config.hash_params) {
                            rehashed = None;
                        }
                    }
                    _ => return Err(DirectoryError::InvalidCredentials),
                }
            }
            if fresh.must_change_password {
                return Err(DirectoryError::PasswordChangeRequired);
            }
        }
        Err(DirectoryError::Contended)
    }

    /// The account `identifier` signs in with, if `password` is its password, with the key of
    /// its attempt record and the stored hash. The attempt is counted before the password
    /// is checked (concurrent guesses each take a place in the count, so they cannot slip
    /// past the throttle together); unknown identifiers, accounts that may not sign in and
    /// wrong passwords all get [`DirectoryError::InvalidCredentials`] after one hash.
    pub(crate) async fn password_of(
        &self,
        identifier: &str,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<(Versioned<UserRecord>, String, PasswordHash), DirectoryError> {
        let parsed = LoginIdentifier::parse(identifier).ok();
        let attempts_key = sign_in_attempts_key(parsed.as_ref(), identifier);
        self.count_attempt(&attempts_key, now).await?;
        let found = match &parsed {
            Some(id) => self.signing_in_as(&id.key()).await?,
            None => None,
        };
        let usable = found
            .filter(|u| u.value.account.capabilities().may_sign_in && u.value.password.is_some());
        let hash = usable
            .as_ref()
            .and_then(|u| u.value.password.clone())
            .unwrap_or_else(|| self.dummy.clone());
        let ok = self.verify(password, &hash).await? && usable.is_some();
        match usable.filter(|_| ok) {
            Some(user) => Ok((user, attempts_key, hash)),
            None => Err(DirectoryError::InvalidCredentials),
        }
    }

    /// The user a sign-in identifier names, for every way of signing in with one (password,
    /// one-time password, activation code): a principal name signs in only where the
    /// organization allows it (`OrgSettings::principal_name_sign_in`), and elsewhere it is
    /// answered as an unknown identifier.
    pub(crate) async fn signing_in_as(
        &self,
        key: &tenantry_identity::LoginKey,
    ) -> Result<Option<Versioned<UserRecord>>, DirectoryError> {
        let Some(user) = self.store.user_by_login(key).await? else {
            return Ok(None);
        };
        if !user.value.user.identifiers().is_principal_name_only(key) {
            return Ok(Some(user));
        }
        let (org, _) = self.org(user.value.user.org()).await?;
        Ok(org.org.settings.principal_name_sign_in.then_some(user))
    }

    /// Starts the failed sign-ins under each of `keys` (a user's login keys) over, lifting a
    /// suspension: after a proof other than the password (a reset link, a PIN, a one-time
    /// password). Best effort, as after a successful sign-in.
    pub(crate) async fn clear_sign_in_attempts(&self, keys: Vec<tenantry_identity::LoginKey>) {
        for key in keys {
            self.clear_attempts(&tenantry_credentials::attempt_key("sign-in", key.as_str()))
                .await;
        }
    }

    /// Changes the password of the account `identifier` signs in with, proven by its
    /// `current` password: for a signed-in user changing theirs, and for the first sign-in
    /// with a password an admin set ([`DirectoryError::PasswordChangeRequired`]). Throttled
    /// and answered like [`Self::sign_in`]: unknown identifiers and wrong passwords get
    /// [`DirectoryError::InvalidCredentials`] after the same work. The new password must
    /// meet the policy and differ from the current one; older reset links stop working; a
    /// notice goes to the user's mailbox.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_password"),
        err(Display)
    )]
    pub async fn change_password(
        &self,
        identifier: &str,
        current: &Password,
        new: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (found, attempts_key, _) = self.password_of(identifier, current, now).await?;
        self.clear_attempts(&attempts_key).await;
        let mut record = found.value;
        let (org, _) = self.org(record.user.org()).await?;
        if current == new {
            return Err(DirectoryError::Invalid {
                field: "new password",
                reason: "must differ from the current one",
            });
        }
        self.check_password(new, &record.user, &org.org.name)?;
        record.password = Some(self.hash(new).await?);
        record.must_change_password = false;
        let user_id = record.user.id();
        let mut cs = Changeset::new();
        self.supersede_tokens(&mut cs, user_id, TokenPurpose::PasswordReset)
            .await?;
        self.password_changed(&mut cs, &record.user, &org);
        cs.update(Record::User(record), found.version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "password.changed",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }

    /// A single sign-on login, reported by the host after the identity provider configured
    /// for `login.org` vouched for `login.identifiers` (a workforce platform's company
    /// login). Only a user of that organization (or of its subtree, where `login.subtree`
    /// says so) is signed in: an existing account not yet in use is activated (SSO proves
    /// who they are), an active one just signs in. With just-in-time provisioning on, an
    /// unknown person gets an account in `login.org` with the organization's sign-up
    /// defaults (permission type, department, job profile), if the profile has the
    /// organization's required fields.
    ///
    /// Every refusal is the same [`DirectoryError::SsoRefused`]: an identity of another
    /// organization, an unknown one without just-in-time provisioning, identifiers of two
    /// different users, an account that may not sign in (blocked, inactive) — so a login
    /// does not reveal where else an identity exists. Only a missing required field is
    /// told apart, for the just-in-time case.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "sso_login"),
        err(Display)
    )]
    pub async fn sso_login(&self, login: SsoLogin) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_sso_login(&login))
    }

    /// Whether `org` is `root` or, with `subtree`, one of its descendants.
    pub(crate) async fn within(
        &self,
        org: OrgId,
        root: OrgId,
        subtree: bool,
    ) -> Result<bool, DirectoryError> {
        if org == root {
            return Ok(true);
        }
        if !subtree {
            return Ok(false);
        }
        let mut at = org;
        // A stored tree has no cycle; the bound only guards against a corrupt store.
        for _ in 0..tenantry_identity::OrgTree::MAX_DEPTH + 1 {
            match self.org(at).await?.0.org.parent {
                Some(p) if p == root => return Ok(true),
                Some(p) => at = p,
                None => return Ok(false),
            }
        }
        Ok(false)
    }

    pub(crate) async fn try_sso_login(&self, login: &SsoLogin) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let org_id = login.org;
        let (org, _) = self.org(org_id).await?;
        let mut found: Option<Versioned<UserRecord>> = None;
        for key in login.identifiers.keys() {
            let Some(existing) = self.store.user_by_login(&key).await? else {
                continue;
            };
            match &found {
                Some(f) if f.value.user.id() != existing.value.user.id() => {
                    return Err(DirectoryError::SsoRefused);
                }
                Some(_) => {}
                None => found = Some(existing),
            }
        }
        if let Some(existing) = found {
            let mut record = existing.value;
            let id = record.user.id();
            if !self
                .within(record.user.org(), org_id, login.subtree)
                .await?
            {
                return Err(DirectoryError::SsoRefused);
            }
            let (own_org, _) = self.org(record.user.org()).await?;
            if !record.account.capabilities().may_sign_in {
                record.account = record
                    .account
                    .apply(Event::SsoLogin, Actor::System, &own_org.lifecycle, now)
                    .map_err(|_| DirectoryError::SsoRefused)?
                    .account;
                if !record.account.capabilities().may_sign_in {
                    return Err(DirectoryError::SsoRefused);
                }
                // The account is proven by the identity provider, not by whoever chose its
                // password before it could sign in (a self sign-up never confirmed, with
                // someone else's address): that password goes, so only the provider's
                // user gets in; a password can be set again through a reset link.
                record.password = None;
            }
            record.last_sign_in = Some(now);
            let mut cs = Changeset::new();
            cs.update(Record::User(record), existing.version)
                .audit(self.audit(
                    Caller::User(id),
                    Some(own_org.org.id),
                    Some(id),
                    "user.signed_in_sso",
                ));
            self.store.commit(cs).await?;
            return Ok(id);
        }
        let t = Account::create(
            UserKind::Standard,
            Creation::SsoFirstLogin,
            Actor::System,
            &org.lifecycle,
            now,
        )
        .map_err(|_| DirectoryError::SsoRefused)?;
        let placement = &org.lifecycle.sign_up.defaults;
        let mut profile = login.profile.clone();
        profile.department = placement.department.or(profile.department);
        profile.job_profile = placement.job_profile.or(profile.job_profile);
        let id = UserId::from_uuid(self.uuid());
        let user = User::new(
            id,
            org_id,
            UserKind::Standard,
            profile,
            login.identifiers.clone(),
            now,
        )?;
        org.org.settings.required_fields.check(&user)?;
        let mut cs = Changeset::new();
        if let Some(role) = &placement.permission_type {
            let role = tenantry_access::RoleKey::new(role)?;
            self.catalog.role(&role)?;
            cs.insert(Record::Grant(
                GrantRef {
                    user: id,
                    org: org_id,
                    scope: Scope::Organization,
                },
                Grantables {
                    roles: [role].into(),
                    ..Grantables::new()
                },
            ));
        }
        cs.insert(Record::User(UserRecord {
            user,
            account: t.account,
            password: None,
            last_sign_in: Some(now),
            notifications: Default::default(),
            must_change_password: false,
        }))
        .audit(self.audit(
            Caller::System,
            Some(org_id),
            Some(id),
            "user.created_by_sso",
        ));
        match self.store.commit(cs).await {
            Err(e) if e.kind() == StoreErrorKind::Duplicate => Err(StoreError::new(
                StoreErrorKind::Conflict,
                "sso identifier taken meanwhile",
            )
            .into()),
            other => other.map(|_| id).map_err(DirectoryError::from),
        }
    }

    /// "Log in as" (the agency's preview): an admin of the target's organization views it as
    /// the target does. Refused towards a target who holds anything there the admin does
    /// not, and towards accounts that may not sign in. Recorded in the audit log with the
    /// admin and the reason. The host starts the session it returns the user for.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "impersonate"),
        err(Display)
    )]
    pub async fn impersonate(
        &self,
        caller: UserId,
        target: UserId,
        reason: &str,
    ) -> Result<UserId, DirectoryError> {
        let admin = self.may_act(caller).await?;
        // An unknown user is refused as one the caller may not take over: the answer tells
        // another tenant's admin nothing about which ids exist, nor their state.
        let (record, _) = self.user(target).await.map_err(|e| match e {
            DirectoryError::NotFound(_) => DirectoryError::Denied(DenialReason::NotAdminOfUser),
            other => other,
        })?;
        let org = record.user.org();
        self.may_take_over(&admin, &record).await?;
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::Denied(DenialReason::AccountMayNotSignIn));
        }
        let reason: String = reason
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(500)
            .collect();
        if reason.is_empty() {
            return Err(DirectoryError::Denied(DenialReason::ReasonRequired));
        }
        let mut event = self.audit(
            Caller::User(caller),
            Some(org),
            Some(target),
            "user.impersonated",
        );
        event.detail.insert("reason".into(), reason);
        let mut cs = Changeset::new();
        cs.audit(event);
        self.store.commit(cs).await?;
        Ok(target)
    }

    /// Mails `user` a link that signs them in once within 15 minutes (the agency's invitation
    /// that "automatically logs the client into their dashboard"). The caller must
    /// administer the user's organization; an older such link stops working.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "send_login_link"),
        err(Display)
    )]
    pub async fn send_login_link(
        &self,
        caller: Caller,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        let record = self.takeover_target(caller, user).await?;
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::Denied(DenialReason::AccountMayNotSignIn));
        }
        retrying!(self, self.try_send_login_link(caller, &record.user))
    }

    pub(crate) async fn try_send_login_link(
        &self,
        caller: Caller,
        user: &User,
    ) -> Result<(), DirectoryError> {
        let (org, _) = self.org(user.org()).await?;
        let purpose = TokenPurpose::AutoLogin;
        let mut cs = Changeset::new();
        self.supersede_tokens(&mut cs, user.id(), purpose).await?;
        self.queue_link(
            &mut cs,
            user,
            &org,
            MessageKind::AutoLogin,
            purpose,
            purpose.default_ttl(),
            None,
        )?;
        cs.audit(self.audit(caller, Some(user.org()), Some(user.id()), "login_link.sent"));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Redeems an automatic-login link: once, within its 15 minutes, for an account that may
    /// sign in. Returns the user the host signs in.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "redeem_login_link"),
        err(Display)
    )]
    pub async fn redeem_login_link(&self, raw: &RawToken) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_redeem_login_link(raw))
    }

    pub(crate) async fn try_redeem_login_link(
        &self,
        raw: &RawToken,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) =
            self.redeem_link(raw, TokenPurpose::AutoLogin, now).await?;
        let (mut record, version) = self.user(user_id).await?;
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidLink);
        }
        record.last_sign_in = Some(now);
        let org = record.user.org();
        let mut cs = Changeset::new();
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org),
                Some(user_id),
                "user.signed_in_link",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }
    /// Counts one attempt under `key` before the secret is checked, or answers `Throttled`.
    /// Each round that loses a race lost it to another attempt that was counted, so the
    /// count ends exact; after [`COUNTER_ROUNDS`] lost rounds the attempt is refused as
    /// contended (never let through uncounted).
    pub(crate) async fn count_attempt(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DirectoryError> {
        for _ in 0..COUNTER_ROUNDS {
            let (mut attempts, version) = self.attempts(key).await?;
            match self.config.throttle.check(&attempts, now) {
                ThrottleDecision::Allow => {}
                ThrottleDecision::Wait { until } | ThrottleDecision::Locked { until } => {
                    return Err(DirectoryError::Throttled { until });
                }
                ThrottleDecision::Suspended => return Err(DirectoryError::Suspended),
            }
            self.config.throttle.record_failure(&mut attempts, now);
            let mut cs = Changeset::new();
            cs.put(Record::Attempts(key.to_owned(), attempts), version);
            match self.store.commit(cs).await {
                Ok(_) => return Ok(()),
                Err(e) if conflict(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DirectoryError::Contended)
    }

    /// Starts the count under `key` over after a success. Best effort: if it keeps losing
    /// races, the success stands and the count stays (erring towards throttling).
    pub(crate) async fn clear_attempts(&self, key: &str) {
        for _ in 0..self.config.max_attempts.max(1) {
            let Ok((mut attempts, Some(version))) = self.attempts(key).await else {
                return;
            };
            self.config.throttle.record_success(&mut attempts);
            let mut cs = Changeset::new();
            cs.update(Record::Attempts(key.to_owned(), attempts), version);
            match self.store.commit(cs).await {
                Err(e) if conflict(&e) => continue,
                Err(e) => {
                    tracing::warn!(kind = %e.kind(), "could not reset the attempt count");
                    return;
                }
                Ok(_) => return,
            }
        }
    }

    pub(crate) async fn attempts(
        &self,
        key: &str,
    ) -> Result<(Attempts, Option<u64>), DirectoryError> {
        Ok(
            match self.store.get(&RecordKey::Attempts(key.to_owned())).await? {
                Some(v) => match v.value {
                    Record::Attempts(_, a) => (a, Some(v.version)),
                    _ => (Attempts::default(), Some(v.version)),
                },
                None => (Attempts::default(), None),
            },
        )
    }
}

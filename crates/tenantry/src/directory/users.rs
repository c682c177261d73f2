//! Creating users of every kind, and carrying out what the lifecycle asks for.

use super::*;

impl Directory {
    /// Creates a user of any kind in `org`, with the way in `new.way_in` gives (social intranet, help desk):
    /// checks the caller administers `org`, that the kind is enabled there and the
    /// organization's required fields; generates a PIN user's placeholder email and PIN;
    /// writes the invitation, activation or welcome message to the outbox.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_user"),
        err(Display)
    )]
    pub async fn create_user(
        &self,
        caller: Caller,
        org: OrgId,
        new: NewUser,
    ) -> Result<CreatedUser, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_create_user(caller, org, new.clone()))
    }

    pub(crate) async fn try_create_user(
        &self,
        caller: Caller,
        org_id: OrgId,
        new: NewUser,
    ) -> Result<CreatedUser, DirectoryError> {
        let (org, org_version) = self.org(org_id).await?;
        let (cs, created) = self
            .prepare_user(caller, &org, org_version, new, &mut NewUsers::default())
            .await?;
        self.commit_claims(cs).await?;
        Ok(created)
    }

    /// Commits a changeset that claims login identifiers (creating or editing users): one
    /// someone else holds is [`DirectoryError::IdentifierTaken`].
    pub(crate) async fn commit_claims(&self, cs: Changeset) -> Result<(), DirectoryError> {
        match self.store.commit(cs).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == StoreErrorKind::Duplicate => Err(DirectoryError::IdentifierTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Everything creating `new` in `org` (read at `org_version`) writes, uncommitted.
    /// `batch` carries what earlier users of the same commit took: placeholder emails, and
    /// whether the organization already has a user.
    pub(crate) async fn prepare_user(
        &self,
        caller: Caller,
        org: &OrgRecord,
        org_version: u64,
        new: NewUser,
        batch: &mut NewUsers,
    ) -> Result<(Changeset, CreatedUser), DirectoryError> {
        let now = self.clock.now();
        let org_id = org.org.id;
        org.org.settings.allows_kind(org_id, new.kind)?;
        let user_id = UserId::from_uuid(self.uuid());
        let mut identifiers = new.identifiers.clone();
        if new.kind == UserKind::Pin {
            let found = self
                .free_placeholder(org, &new.profile, &batch.placeholders, None)
                .await?;
            batch.placeholders.insert(found.key());
            identifiers.placeholder_email = Some(found);
        }
        let user = User::new(
            user_id,
            org_id,
            new.kind,
            new.profile.clone(),
            identifiers,
            now,
        )?;
        org.org.settings.required_fields.check(&user)?;
        let actor = if caller == Caller::System {
            Actor::System
        } else {
            Actor::Staff
        };
        let t = Account::create(
            new.kind,
            Creation::Provisioned { way_in: new.way_in },
            actor,
            &org.lifecycle,
            now,
        )?;
        let mut cs = Changeset::new();
        let mut password = None;
        let mut must_change_password = false;
        let mut pin = None;
        match (new.way_in, &new.password) {
            (WayIn::Password, Some(p)) => {
                self.check_password(p, &user, &org.org.name)?;
                password = Some(self.hash(p).await?);
                // Someone else chose it: the user replaces it at first sign-in.
                must_change_password = true;
            }
            (WayIn::OneTimePassword, Some(p)) => {
                let params = self.config.hash_params;
                let otp = self.with_rng(|rng| {
                    tenantry_credentials::OneTimePassword::issue(
                        user_id,
                        p,
                        now,
                        tenantry_credentials::OneTimePassword::DEFAULT_TTL,
                        &params,
                        rng,
                    )
                })?;
                cs.insert(Record::Otp(otp));
            }
            (WayIn::Password | WayIn::OneTimePassword, None) => {
                return Err(CredentialError::InvalidSetting("this way in needs a password").into());
            }
            (WayIn::Pin, _) => {
                let key = self
                    .config
                    .pin_keys
                    .first()
                    .ok_or(CredentialError::InvalidKey)?;
                let (record, issued) = self.with_rng(|rng| {
                    PinRecord::issue(user_id, tenantry_credentials::DEFAULT_PIN_DIGITS, key, rng)
                })?;
                cs.insert(Record::Pin(record));
                pin = Some(issued);
            }
            _ => {}
        }
        self.carry_out(&mut cs, &user, org, &t.effects, None)
            .await?;
        // The partner portal: the first user added to a company is its contact person and its admin.
        // Writing the organization at the version read first makes two concurrent "first"
        // users conflict, and the retry sees the other.
        let first_user = org.org.settings.first_user_becomes_admin
            && new.kind == UserKind::Standard
            && !batch.org_has_users
            && self
                .store
                .users(&crate::store::UserQuery {
                    org: Some(org_id),
                    limit: 1,
                    ..Default::default()
                })
                .await?
                .items
                .is_empty();
        batch.org_has_users = true;
        if first_user {
            let mut updated = org.clone();
            updated.org.set_contact_person(&user)?;
            cs.update(Record::Org(updated), org_version);
            let admin = self.catalog.key(self.catalog.admin()).clone();
            if org.entitlements.contains(&admin) {
                let grant = Grantables {
                    permissions: [admin].into(),
                    ..Grantables::new()
                };
                cs.insert(Record::Grant(
                    GrantRef {
                        user: user_id,
                        org: org_id,
                        scope: Scope::Organization,
                    },
                    grant,
                ));
            }
        }
        let placeholder = user.identifiers().placeholder_email.clone();
        cs.insert(Record::User(UserRecord {
            user,
            account: t.account,
            password,
            last_sign_in: None,
            notifications: Default::default(),
            must_change_password,
        }))
        .audit(self.audit(caller, Some(org_id), Some(user_id), "user.created"));
        Ok((
            cs,
            CreatedUser {
                id: user_id,
                pin,
                placeholder_email: placeholder,
            },
        ))
    }

    /// Adds to `cs` what the lifecycle's `effects` ask for: link messages with their tokens
    /// and invitation, revoked invitations and tokens, cancelled mail, a kind change.
    /// `invitation` is the user's current invitation record and version, if any.
    pub(crate) async fn carry_out(
        &self,
        cs: &mut Changeset,
        user: &User,
        org: &OrgRecord,
        effects: &[Effect],
        invitation: Option<(Invitation, u64)>,
    ) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        let user_id = user.id();
        // The invitation as the effects leave it, and its stored version (None: new); written once.
        let mut invitation: Option<(Invitation, Option<u64>)> =
            invitation.map(|(inv, v)| (inv, Some(v)));
        let mut invitation_changed = false;
        let revoke_tokens = |purposes: &[TokenPurpose]| {
            let purposes = purposes.to_vec();
            async move {
                let mut out = Vec::new();
                for t in self.store.list(&ListOf::TokensOf(user_id)).await? {
                    if let Record::Token(token) = &t.value
                        && purposes.contains(&token.purpose)
                    {
                        out.push((t.value.key(), t.version));
                    }
                }
                Ok::<_, DirectoryError>(out)
            }
        };
        let mut deleted = std::collections::HashSet::new();
        for effect in effects {
            match effect {
                Effect::SendInvitation | Effect::SendActivation | Effect::SendWelcome => {
                    let (kind, purpose) = match effect {
                        Effect::SendInvitation => {
                            (MessageKind::Invitation, TokenPurpose::Invitation)
                        }
                        Effect::SendActivation => {
                            (MessageKind::ActivationLink, TokenPurpose::Activation)
                        }
                        _ => (MessageKind::Welcome, TokenPurpose::Invitation),
                    };
                    if !reachable(user, org) {
                        continue;
                    }
                    let ttl = org.lifecycle.invitation_ttl();
                    let generation = match &mut invitation {
                        Some((inv, _)) => inv.resend(now, ttl)?,
                        None => {
                            let inv = Invitation::issue(user_id, now, ttl)?;
                            let g = inv.generation();
                            invitation = Some((inv, None));
                            g
                        }
                    };
                    invitation_changed = true;
                    self.queue_link(cs, user, org, kind, purpose, ttl, Some(generation))?;
                }
                Effect::RevokeInvitation => {
                    if let Some((inv, _)) = &mut invitation {
                        invitation_changed |= inv.revoke(now).is_ok();
                    }
                    for (key, version) in
                        revoke_tokens(&[TokenPurpose::Invitation, TokenPurpose::Activation]).await?
                    {
                        if deleted.insert(format!("{key:?}")) {
                            cs.delete(key, version);
                        }
                    }
                }
                Effect::RevokeTokens => {
                    for (key, version) in revoke_tokens(&TokenPurpose::ALL).await? {
                        if deleted.insert(format!("{key:?}")) {
                            cs.delete(key, version);
                        }
                    }
                }
                Effect::CancelPendingMail => {
                    for m in self.store.list(&ListOf::OutboxOf(user_id)).await? {
                        if let Record::Outbox(mut message) = m.value
                            && matches!(message.status, OutboxStatus::Pending { .. })
                        {
                            message.status = OutboxStatus::Cancelled { at: now };
                            message.text.clear();
                            message.html = None;
                            cs.update(Record::Outbox(message), m.version);
                        }
                    }
                }
                // Sessions live in the host: `AccountChange::end_sessions` tells it.
                // Staff notices and kind changes are handled by the use cases that cause them.
                _ => {}
            }
        }
        if let (true, Some((inv, version))) = (invitation_changed, invitation) {
            cs.put(Record::Invitation(inv), version);
        }
        Ok(())
    }
}

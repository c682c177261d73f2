//! PIN users: setting a password with the placeholder email and PIN, an admin's new PIN.

use super::*;

impl Directory {
    /// The social intranet's "Change password (for PIN users)": the placeholder email and the PIN set a
    /// new password (and activate the account the first time). The PIN stays valid. Wrong
    /// PINs are counted per user; the tenth locks the PIN until an admin resets it. Unknown
    /// addresses, wrong PINs and locked PINs all get [`DirectoryError::InvalidCredentials`],
    /// after the same store work (an unknown address is counted and locks alike).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_password_with_pin"),
        err(Display)
    )]
    pub async fn set_password_with_pin(
        &self,
        placeholder: &str,
        pin: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(
            self,
            self.try_set_password_with_pin(placeholder, pin, password)
        )
    }

    pub(crate) async fn try_set_password_with_pin(
        &self,
        placeholder: &str,
        pin: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (Ok(email), Ok(pin)) = (Email::parse(placeholder), Pin::parse(pin)) else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let found = self
            .store
            .user_by_login(&tenantry_identity::LoginKey::Email(email.key()))
            .await?
            .filter(|u| u.value.user.kind() == UserKind::Pin);
        // A known and an unknown placeholder cost the same: three reads (the user, the
        // failure count, the PIN) and one commit on failure, which counts it and audits
        // `pin.failed`. The count is the user's (a renamed user keeps it, a reset clears it);
        // an unknown address gets its own, so it locks alike.
        let owner = found.as_ref().map(|u| u.value.user.id());
        let attempts_key = owner.map_or_else(
            || tenantry_credentials::attempt_key("pin", email.key().as_str()),
            pin_attempts_key,
        );
        let (mut attempts, attempts_version) = self.attempts(&attempts_key).await?;
        let owner_org = found.as_ref().map(|u| u.value.user.org());
        let pin_owner = owner.unwrap_or(UserId::from_uuid(Uuid::nil()));
        let stored = self.store.get(&RecordKey::Pin(pin_owner)).await?;
        let locked = attempts.failures >= tenantry_credentials::MAX_PIN_FAILURES;
        let verified = match (&found, stored.map(|v| v.value)) {
            (Some(_), Some(Record::Pin(record))) if !locked => {
                match record.matches(&pin, &self.config.pin_keys) {
                    Ok(matched) => matched,
                    Err(CredentialError::PinLocked) => false,
                    Err(e) => return Err(e.into()),
                }
            }
            _ => false,
        };
        let Some(found) = found.filter(|_| verified) else {
            let mut cs = Changeset::new();
            if !locked {
                attempts.failures = attempts.failures.saturating_add(1);
                attempts.last_failure = Some(now);
                cs.put(Record::Attempts(attempts_key, attempts), attempts_version);
            }
            cs.audit(self.audit(Caller::System, owner_org, owner, "pin.failed"));
            self.store.commit(cs).await?;
            return Err(DirectoryError::InvalidCredentials);
        };
        let user_id = found.value.user.id();
        let mut record = found.value;
        let (org, _) = self.org(record.user.org()).await?;
        if !record.account.activated() {
            record.account = record
                .account
                .apply(
                    Event::Activate {
                        method: ActivationMethod::Pin,
                    },
                    Actor::User,
                    &org.lifecycle,
                    now,
                )?
                .account;
        } else if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidCredentials);
        }
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        let mut cs = Changeset::new();
        // A PIN user has no mailbox: the notice goes out only where there is one.
        self.password_changed(&mut cs, &record.user, &org);
        if let Some(version) = attempts_version.filter(|_| attempts != Attempts::default()) {
            cs.update(Record::Attempts(attempts_key, Attempts::default()), version);
        }
        let keys = record.user.identifiers().keys();
        cs.update(Record::User(record), found.version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "password.set_with_pin",
            ));
        self.store.commit(cs).await?;
        self.clear_sign_in_attempts(keys).await;
        Ok(user_id)
    }

    /// An admin resets a PIN user's PIN (the social intranet's "Reset PIN"): a new PIN, which the next
    /// PIN export shows; the old one stops working and a lock is lifted.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "reset_pin"),
        err(Display)
    )]
    pub async fn reset_pin(&self, caller: Caller, user: UserId) -> Result<Pin, DirectoryError> {
        let record = self.takeover_target(caller, user).await?;
        if record.user.kind() != UserKind::Pin {
            return Err(DirectoryError::NotFound("PIN user"));
        }
        retrying!(self, self.try_reset_pin(caller, &record.user))
    }

    pub(crate) async fn try_reset_pin(
        &self,
        caller: Caller,
        user: &User,
    ) -> Result<Pin, DirectoryError> {
        let key = self
            .config
            .pin_keys
            .first()
            .ok_or(CredentialError::InvalidKey)?;
        let version = self
            .store
            .get(&RecordKey::Pin(user.id()))
            .await?
            .map(|v| v.version);
        let (record, pin) = self.with_rng(|rng| {
            PinRecord::issue(
                user.id(),
                tenantry_credentials::DEFAULT_PIN_DIGITS,
                key,
                rng,
            )
        })?;
        let attempts_key = pin_attempts_key(user.id());
        let (_, attempts_version) = self.attempts(&attempts_key).await?;
        let mut cs = Changeset::new();
        if let Some(version) = attempts_version {
            cs.update(Record::Attempts(attempts_key, Attempts::default()), version);
        }
        cs.put(Record::Pin(record), version).audit(self.audit(
            caller,
            Some(user.org()),
            Some(user.id()),
            "pin.reset",
        ));
        self.store.commit(cs).await?;
        Ok(pin)
    }
}

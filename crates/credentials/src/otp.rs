//! One-time passwords set by an admin or in the import template (workforce platform): they only let
//! the user set a new password, expire, and work once.

use chrono::{DateTime, Duration, Utc};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use tenantry_identity::UserId;

use crate::error::CredentialError;
use crate::password::{HashParams, PasswordHash, hash_password, verify_password};
use crate::secret::Password;

/// A stored one-time password: its hash, owner, expiry, and whether it was used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimePassword {
    user: UserId,
    hash: PasswordHash,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

/// Proof that a one-time password was redeemed: the one thing it allows is setting a new
/// password for `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "the user must now set a new password"]
pub struct MustSetPassword {
    /// Whose password must be set.
    pub user: UserId,
}

impl OneTimePassword {
    /// The default validity: 7 days.
    pub const DEFAULT_TTL: Duration = Duration::days(7);

    /// Stores `password` (chosen by an admin, or a cell of the import template) for `user`.
    /// The policy's length and blocklist rules are the caller's to apply to admin-chosen ones.
    pub fn issue(
        user: UserId,
        password: &Password,
        now: DateTime<Utc>,
        ttl: Duration,
        params: &HashParams,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Self, CredentialError> {
        if ttl <= Duration::zero() || ttl > Duration::days(90) {
            return Err(CredentialError::InvalidSetting(
                "one-time password validity must be 1 second to 90 days",
            ));
        }
        let hash = hash_password(password, params, rng)?;
        Ok(Self {
            user,
            hash,
            issued_at: now,
            expires_at: now + ttl,
            used_at: None,
        })
    }

    /// Redeems `password` at `now`: it must match, be unexpired and unused. Marks it used.
    /// A wrong password leaves it usable (throttling is the caller's, per identifier).
    pub fn redeem(
        &mut self,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<MustSetPassword, CredentialError> {
        let matches = verify_password(password, &self.hash)?;
        if !matches {
            return Err(CredentialError::Mismatch("one-time password"));
        }
        if self.used_at.is_some() {
            return Err(CredentialError::AlreadyUsed("one-time password"));
        }
        if now >= self.expires_at {
            return Err(CredentialError::Expired("one-time password"));
        }
        self.used_at = Some(now);
        Ok(MustSetPassword { user: self.user })
    }

    /// The owner.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// When it expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// When it was used, if it was.
    pub fn used_at(&self) -> Option<DateTime<Utc>> {
        self.used_at
    }

    /// The stored hash.
    pub fn hash(&self) -> &PasswordHash {
        &self.hash
    }
}

//! Verification codes sent by SMS or email (the workforce platform's activation by SMS).

use chrono::{DateTime, Duration, Utc};
use rand::{CryptoRng, RngExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tenantry_identity::UserId;

use crate::error::CredentialError;
use crate::secret::{Code, ct_eq_bytes};

/// Where a code was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeChannel {
    /// By SMS.
    Sms,
    /// By email.
    Email,
}

/// How codes work. The default: 6 digits, valid 10 minutes, 5 attempts, and the attempts of
/// codes sent within the last hour carry over to a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CodeSettings {
    /// Digits per code (6 to 10).
    pub digits: u32,
    /// Validity in seconds.
    pub ttl_secs: i64,
    /// Wrong attempts allowed.
    pub max_attempts: u32,
    /// A new code inherits the attempts of a code issued this many seconds before it.
    pub attempt_window_secs: i64,
}

/// The longest a code may be valid: one hour (a six-digit code guessed at the throttle's
/// pace must expire long before it could be found).
pub const MAX_CODE_TTL_SECS: i64 = 3600;
/// The most wrong attempts a code may allow.
pub const MAX_CODE_ATTEMPTS: u32 = 10;

impl Default for CodeSettings {
    fn default() -> Self {
        Self {
            digits: 6,
            ttl_secs: 600,
            max_attempts: 5,
            attempt_window_secs: 3600,
        }
    }
}

/// A stored verification code: salted hash, owner, channel, expiry and wrong attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    user: UserId,
    channel: CodeChannel,
    salt: [u8; 16],
    hash: [u8; 32],
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    attempts: u32,
    max_attempts: u32,
    used: bool,
}

fn digest(salt: &[u8; 16], code: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"tenantry-code-v1\0");
    h.update(salt);
    h.update(code.as_bytes());
    h.finalize().into()
}

impl CodeRecord {
    /// Issues a code for `user` on `channel`. `previous` is the user's last code on that
    /// channel, if any: its wrong attempts carry over when it was issued within the attempt
    /// window, so asking for a new code does not buy new guesses.
    pub fn issue(
        user: UserId,
        channel: CodeChannel,
        now: DateTime<Utc>,
        previous: Option<&CodeRecord>,
        settings: &CodeSettings,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<(Code, CodeRecord), CredentialError> {
        if !(6..=10).contains(&settings.digits)
            || !(1..=MAX_CODE_TTL_SECS).contains(&settings.ttl_secs)
            || !(1..=MAX_CODE_ATTEMPTS).contains(&settings.max_attempts)
        {
            return Err(CredentialError::InvalidSetting(
                "codes need 6 to 10 digits, a validity of at most an hour and 1 to 10 attempts",
            ));
        }
        let code: String = (0..settings.digits)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect();
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let inherited = previous
            .filter(|p| p.user == user && p.channel == channel)
            .filter(|p| now < p.issued_at + Duration::seconds(settings.attempt_window_secs))
            .map_or(0, |p| p.attempts);
        let record = CodeRecord {
            user,
            channel,
            salt,
            hash: digest(&salt, &code),
            issued_at: now,
            expires_at: now + Duration::seconds(settings.ttl_secs),
            attempts: inherited,
            max_attempts: settings.max_attempts,
            used: false,
        };
        Ok((Code::new(code), record))
    }

    /// Checks `code` at `now`. A wrong code counts an attempt; once the attempts are spent,
    /// even the right code is refused. A right code is used up.
    pub fn verify(&mut self, code: &Code, now: DateTime<Utc>) -> Result<UserId, CredentialError> {
        if self.used {
            return Err(CredentialError::AlreadyUsed("code"));
        }
        if self.attempts >= self.max_attempts {
            return Err(CredentialError::TooManyAttempts);
        }
        if now >= self.expires_at {
            return Err(CredentialError::Expired("code"));
        }
        let candidate: String = code
            .expose()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if ct_eq_bytes(&digest(&self.salt, &candidate), &self.hash) {
            self.used = true;
            Ok(self.user)
        } else {
            self.attempts += 1;
            Err(CredentialError::Mismatch("code"))
        }
    }

    /// Wrong attempts so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The owner.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The channel.
    pub fn channel(&self) -> CodeChannel {
        self.channel
    }

    /// When it expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

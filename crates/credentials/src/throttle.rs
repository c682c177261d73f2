//! Throttling of failed sign-ins per identifier: progressive delay, then a lock, and an
//! absolute cap that only a success lifts.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::CredentialError;
use crate::secret::hex;

/// The key an attempt record is stored under: `{scope}:` and the SHA-256 of `subject` in
/// hex, so whatever a guesser types, the key is 64 hex digits long and holds no identifier
/// in clear. `scope` is the caller's own constant (`sign-in`, `pin`).
pub fn attempt_key(scope: &str, subject: &str) -> String {
    format!("{scope}:{}", hex(&Sha256::digest(subject.as_bytes())))
}

/// How failed sign-ins are slowed down, in the spirit of Keycloak's brute-force detection
/// and Kanidm's soft lock. The defaults:
///
/// - the first 5 failures cost nothing (typos happen);
/// - each further failure doubles a wait, from 1 second up to 15 minutes;
/// - the 20th consecutive failure locks the identifier for 1 hour, after which it starts over;
/// - 12 hours without a failure forget the count; a success resets it;
/// - 100 consecutive failures, however spread out, suspend the identifier until a success
///   (a password reset is one): neither an expired lock nor a quiet time resets that count.
///
/// NIST SP 800-63B-4 §3.2.2 caps consecutive failures at 100: `max_consecutive` is that
/// cap, and may be lower, never higher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThrottlePolicy {
    /// Failures before any delay.
    pub free_failures: u32,
    /// The first delay, in seconds.
    pub base_delay_secs: i64,
    /// The longest delay, in seconds.
    pub max_delay_secs: i64,
    /// Consecutive failures that lock.
    pub lock_after: u32,
    /// How long a lock lasts, in seconds.
    pub lock_secs: i64,
    /// Quiet time after which failures are forgotten, in seconds (not the absolute count).
    pub reset_after_secs: i64,
    /// Consecutive failures, over any period, after which only a success lifts the
    /// suspension (at most 100).
    pub max_consecutive: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            base_delay_secs: 1,
            max_delay_secs: 900,
            lock_after: 20,
            lock_secs: 3600,
            reset_after_secs: 12 * 3600,
            max_consecutive: 100,
        }
    }
}

/// The failures recorded for one identifier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    /// Consecutive failures.
    pub failures: u32,
    /// When the last one happened.
    pub last_failure: Option<DateTime<Utc>>,
    /// Locked until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// Consecutive failures since the last success, never forgotten by time (absent in
    /// older records: 0).
    #[serde(default)]
    pub consecutive: u32,
    /// The consecutive failures reached the policy's cap: only a success lifts it (and
    /// housekeeping never deletes the record).
    #[serde(default)]
    pub suspended: bool,
}

/// Whether a sign-in may be attempted now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Go ahead.
    Allow,
    /// Not before `until`.
    Wait {
        /// The earliest next attempt.
        until: DateTime<Utc>,
    },
    /// Locked until `until`.
    Locked {
        /// When the lock ends.
        until: DateTime<Utc>,
    },
    /// [`ThrottlePolicy::max_consecutive`] failures in a row: no attempt until a success
    /// by another way (a password reset, an admin).
    Suspended,
}

impl ThrottlePolicy {
    /// Checks the policy is usable.
    pub fn validate(&self) -> Result<(), CredentialError> {
        if self.lock_after == 0 || self.lock_after <= self.free_failures || self.lock_after > 100 {
            return Err(CredentialError::InvalidSetting(
                "lock after more than the free failures and at most 100",
            ));
        }
        if self.max_consecutive < self.lock_after || self.max_consecutive > 100 {
            return Err(CredentialError::InvalidSetting(
                "suspend after at least the lock's failures and at most 100",
            ));
        }
        if self.base_delay_secs < 0
            || self.max_delay_secs < self.base_delay_secs
            || self.lock_secs <= 0
            || self.reset_after_secs <= 0
        {
            return Err(CredentialError::InvalidSetting(
                "throttle durations must be positive and ordered",
            ));
        }
        Ok(())
    }

    /// The attempts as they stand at `now`: an expired lock or a long quiet starts over.
    /// The absolute count survives both.
    fn current(&self, a: &Attempts, now: DateTime<Utc>) -> Attempts {
        let fresh = Attempts {
            consecutive: a.consecutive,
            suspended: a.suspended,
            ..Attempts::default()
        };
        if a.locked_until.is_some_and(|until| now >= until) {
            return fresh;
        }
        if a.locked_until.is_none()
            && a.last_failure
                .is_some_and(|t| now >= t + Duration::seconds(self.reset_after_secs))
        {
            return fresh;
        }
        *a
    }

    /// The wait after `failures` consecutive failures.
    fn delay(&self, failures: u32) -> Duration {
        if failures <= self.free_failures {
            return Duration::zero();
        }
        let doublings = (failures - self.free_failures - 1).min(40);
        let secs = self
            .base_delay_secs
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_secs);
        Duration::seconds(secs)
    }

    /// Whether an attempt may be made at `now`.
    pub fn check(&self, attempts: &Attempts, now: DateTime<Utc>) -> ThrottleDecision {
        let a = self.current(attempts, now);
        if a.suspended || a.consecutive >= self.max_consecutive {
            return ThrottleDecision::Suspended;
        }
        if let Some(until) = a.locked_until {
            return ThrottleDecision::Locked { until };
        }
        match a.last_failure {
            Some(t) if now < t + self.delay(a.failures) => ThrottleDecision::Wait {
                until: t + self.delay(a.failures),
            },
            _ => ThrottleDecision::Allow,
        }
    }

    /// Records a failed attempt at `now` (made after [`Self::check`] allowed it).
    pub fn record_failure(&self, attempts: &mut Attempts, now: DateTime<Utc>) {
        let mut a = self.current(attempts, now);
        a.failures = a.failures.saturating_add(1);
        a.consecutive = a.consecutive.saturating_add(1);
        a.suspended |= a.consecutive >= self.max_consecutive;
        a.last_failure = Some(now);
        if a.failures >= self.lock_after {
            a.locked_until = Some(now + Duration::seconds(self.lock_secs));
        }
        *attempts = a;
    }

    /// Records a success: the count starts over.
    pub fn record_success(&self, attempts: &mut Attempts) {
        *attempts = Attempts::default();
    }
}

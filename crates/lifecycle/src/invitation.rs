//! Invitations: sent now or later, resent (the older link stops working), revoked, accepted.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tenantry_identity::UserId;

use crate::error::{InvitationProblem, LifecycleError};

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "at", rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Sent and not used.
    Pending,
    /// Accepted at this time.
    Accepted(DateTime<Utc>),
    /// Revoked at this time.
    Revoked(DateTime<Utc>),
}

/// The invitation of one user. Each send (the first and every resend) is a new generation;
/// a link carries the generation it was sent with, and only the newest one is accepted.
///
/// The link's secret token lives in `tenantry-credentials` (stored as a hash, bound to the
/// user, the purpose and this generation); this record says whether it may still be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    user: UserId,
    generation: u32,
    sent_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    status: InvitationStatus,
}

/// The longest validity an invitation may have.
pub const MAX_INVITATION_TTL: Duration = Duration::days(90);

fn check_ttl(ttl: Duration) -> Result<(), LifecycleError> {
    if ttl < Duration::minutes(1) || ttl > MAX_INVITATION_TTL {
        return Err(LifecycleError::Invitation(InvitationProblem::InvalidTtl {
            max_days: MAX_INVITATION_TTL.num_days(),
        }));
    }
    Ok(())
}

impl Invitation {
    /// The first invitation of `user`, sent at `now`, valid for `ttl` (1 minute to 90 days).
    pub fn issue(user: UserId, now: DateTime<Utc>, ttl: Duration) -> Result<Self, LifecycleError> {
        check_ttl(ttl)?;
        Ok(Self {
            user,
            generation: 1,
            sent_at: now,
            expires_at: now + ttl,
            status: InvitationStatus::Pending,
        })
    }

    /// Sends it again: a new generation with a fresh expiry, so every older link stops
    /// working. Also revives an expired or revoked invitation; refused once accepted.
    pub fn resend(&mut self, now: DateTime<Utc>, ttl: Duration) -> Result<u32, LifecycleError> {
        check_ttl(ttl)?;
        if let InvitationStatus::Accepted(_) = self.status {
            return Err(LifecycleError::Invitation(
                InvitationProblem::AlreadyAccepted,
            ));
        }
        self.generation = self.generation.saturating_add(1);
        self.sent_at = now;
        self.expires_at = now + ttl;
        self.status = InvitationStatus::Pending;
        Ok(self.generation)
    }

    /// Withdraws it; its links stop working.
    pub fn revoke(&mut self, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        match self.status {
            InvitationStatus::Accepted(_) => Err(LifecycleError::Invitation(
                InvitationProblem::AlreadyAccepted,
            )),
            InvitationStatus::Revoked(_) => {
                Err(LifecycleError::Invitation(InvitationProblem::Revoked))
            }
            InvitationStatus::Pending => {
                self.status = InvitationStatus::Revoked(now);
                Ok(())
            }
        }
    }

    /// Checks a link of `generation` may be used at `now`, without using it.
    pub fn check(&self, generation: u32, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        let problem = match self.status {
            InvitationStatus::Accepted(_) => Some(InvitationProblem::AlreadyAccepted),
            InvitationStatus::Revoked(_) => Some(InvitationProblem::Revoked),
            InvitationStatus::Pending if generation != self.generation => {
                Some(InvitationProblem::Superseded)
            }
            InvitationStatus::Pending if now >= self.expires_at => Some(InvitationProblem::Expired),
            InvitationStatus::Pending => None,
        };
        problem.map_or(Ok(()), |p| Err(LifecycleError::Invitation(p)))
    }

    /// Accepts a link of `generation` at `now`.
    pub fn accept(&mut self, generation: u32, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        self.check(generation, now)?;
        self.status = InvitationStatus::Accepted(now);
        Ok(())
    }

    /// The invited user.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The current generation (1 for the first send).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// When the current generation was sent.
    pub fn sent_at(&self) -> DateTime<Utc> {
        self.sent_at
    }

    /// When the current generation expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The status.
    pub fn status(&self) -> InvitationStatus {
        self.status
    }

    /// Whether the current generation can still be accepted at `now`.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.check(self.generation, now).is_ok()
    }
}

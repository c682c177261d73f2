//! The crate's error.

use tenantry_identity::{DepartmentId, OrgId, UserKind};

use crate::state::{AccountState, Actor, Creation, EventKind};

/// Why a lifecycle step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The event is not allowed in this state, for this actor, kind or policy.
    #[error("{event} by {actor} is not allowed for a {kind} account that is {state}: {reason}")]
    IllegalTransition {
        /// The account's state.
        state: AccountState,
        /// The account's kind.
        kind: UserKind,
        /// What was attempted.
        event: EventKind,
        /// Who attempted it.
        actor: Actor,
        /// Why not.
        reason: &'static str,
    },
    /// An account cannot be created this way.
    #[error("a {kind} account cannot be created by {creation} through {actor}: {reason}")]
    IllegalCreation {
        /// The kind to create.
        kind: UserKind,
        /// How.
        creation: Creation,
        /// By whom.
        actor: Actor,
        /// Why not.
        reason: &'static str,
    },
    /// Stored parts that break the state machine's invariants.
    #[error("inconsistent account record: {0}")]
    Inconsistent(&'static str),
    /// An invitation cannot be used or changed.
    #[error("invitation {0}")]
    Invitation(InvitationProblem),
    /// Self sign-up was refused.
    #[error("sign-up refused: {0}")]
    SignUp(SignUpProblem),
}

/// What is wrong with an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvitationProblem {
    /// Past its expiry.
    #[error("has expired")]
    Expired,
    /// A newer invitation replaced the one this link belongs to.
    #[error("was replaced by a newer one")]
    Superseded,
    /// Revoked by staff.
    #[error("was revoked")]
    Revoked,
    /// Accepted already.
    #[error("was already accepted")]
    AlreadyAccepted,
    /// A validity that is not positive or longer than the maximum.
    #[error("validity must be between one minute and {max_days} days")]
    InvalidTtl {
        /// The longest validity allowed, in days.
        max_days: i64,
    },
}

/// Why a self sign-up was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignUpProblem {
    /// Self sign-up is off for this organization.
    #[error("self sign-up is not enabled")]
    Disabled,
    /// Guests may not join by themselves here.
    #[error("guests cannot join by themselves")]
    GuestJoinDisabled,
    /// The email domain is not on the allowed list.
    #[error("the email domain is not allowed")]
    DomainNotAllowed,
    /// Allowed domains are configured but no email was given.
    #[error("an email address on an allowed domain is required")]
    EmailRequired,
    /// The sign-up link has expired.
    #[error("the sign-up link has expired")]
    LinkExpired,
    /// The sign-up link was switched off.
    #[error("the sign-up link is no longer active")]
    LinkRevoked,
    /// The link belongs to another organization.
    #[error("the sign-up link belongs to organization {0}")]
    LinkForOtherOrg(OrgId),
    /// The user must choose a department and did not.
    #[error("a department must be chosen")]
    DepartmentRequired,
    /// The chosen department is not one users may choose.
    #[error("department {0} cannot be chosen")]
    DepartmentNotSelectable(DepartmentId),
    /// The account is blocked: it cannot sign up again.
    #[error("the account is blocked")]
    Blocked,
    /// An account with this identifier is in use already (or is a consumer or PIN user, who
    /// come in through their registration link or PIN instead).
    #[error("an account with this identifier exists")]
    AlreadyRegistered,
}

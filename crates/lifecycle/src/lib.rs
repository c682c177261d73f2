//! # tenantry-lifecycle
//!
//! How an account moves through its life, and who may move it: the account state machine,
//! invitations, and self sign-up with department links. Pure and synchronous: time is an
//! argument, and every step returns the new account and the effects the directory service
//! must carry out (send an invitation, revoke tokens, notify staff, ...), or a typed error
//! naming the state, event and actor.
//!
//! ```text
//!                  provisioned, no way in                 consumer registers (social intranet)
//!   (new) ─────────────────────────────► Created ──────────────────────────────────┐
//!     │  invitation / activation / OTP /    │  ▲ revoke invitation                  │
//!     │  PIN                         invite ▼  │                                     ▼
//!     ├────────────────────────────────► Invited ─── activate (link, SMS code, ──► Active ◄── welcome / password /
//!     │  self sign-up, unverified           │        OTP, PIN) or SSO login         ▲  │     SSO first login
//!     │                                     │ (not approved yet)                    │  │
//!     │  self sign-up needing approval      ▼                                       │  │ deactivate
//!     └──────────────────────────────► PendingApproval ──── approve ────────────────┘  ▼
//!                                           │ reject                      reactivate Inactive
//!                                           ▼                      (staff; the user too where
//!         any state ──── delete ─────►  Deleted (terminal)          self sign-up is on)
//!         any state ──── block ──────►  Blocked ──── unblock (staff only) ──► back where it can be
//! ```
//!
//! An account is `Active` only when it is both *activated* (the user proved a way in) and
//! *approved* (by staff, or no approval was required); unblocking or reactivating lands where
//! those two facts allow, so no path skips an activation or an approval the policy requires.
//! Pending accounts may file requests but not sign in (help desk); a blocked account is left
//! only through staff (help desk) and cannot sign up again; deleted is terminal (social intranet).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use tenantry_identity::UserKind;
//! use tenantry_lifecycle::{
//!     Account, AccountState, ActivationMethod, Actor, Creation, Effect, Event, LifecyclePolicy,
//! };
//!
//! # fn main() -> Result<(), tenantry_lifecycle::LifecycleError> {
//! let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
//! let mut policy = LifecyclePolicy::default();
//! policy.sign_up.enabled = true;
//! policy.sign_up.needs_approval = true;
//!
//! // The help desk: an occupant signs up; staff must approve.
//! let t = Account::create(UserKind::Standard, Creation::SelfSignUp { verified: true }, Actor::User, &policy, now)?;
//! assert_eq!(t.account.state(), AccountState::PendingApproval);
//! assert!(t.account.capabilities().may_file_requests && !t.account.capabilities().may_sign_in);
//! assert_eq!(t.effects, vec![Effect::NotifyStaffOfPendingSignUp]);
//!
//! // The user cannot approve themselves; staff can.
//! assert!(t.account.apply(Event::Approve, Actor::User, &policy, now).is_err());
//! let t = t.account.apply(Event::Approve, Actor::Staff, &policy, now)?;
//! assert_eq!(t.account.state(), AccountState::Active);
//!
//! // Blocked: only staff unblock.
//! let blocked = t.account.apply(Event::Block, Actor::Staff, &policy, now)?.account;
//! assert!(blocked.apply(Event::Reactivate, Actor::User, &policy, now).is_err());
//! assert!(blocked.apply(Event::Unblock, Actor::System, &policy, now).is_err());
//! let _ = ActivationMethod::EmailLink;
//! # Ok(())
//! # }
//! ```

mod error;
mod invitation;
mod policy;
#[cfg(feature = "qr")]
mod qr;
mod signup;
mod state;

pub use error::{InvitationProblem, LifecycleError, SignUpProblem};
pub use invitation::{Invitation, InvitationStatus, MAX_INVITATION_TTL};
pub use policy::LifecyclePolicy;
#[cfg(feature = "qr")]
pub use qr::{MAX_PNG_SCALE, QUIET_ZONE, QrCode, QrError};
pub use signup::{
    DepartmentChoice, Placement, SignUpLink, SignUpPolicy, SignUpRequest, sign_up_url,
};
pub use state::{
    Account, AccountParts, AccountState, ActivationMethod, Actor, Capabilities, Creation, Effect,
    Event, EventKind, Transition, WayIn,
};

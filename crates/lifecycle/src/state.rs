//! The account state machine.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_identity::UserKind;

use crate::error::LifecycleError;
use crate::policy::LifecyclePolicy;

/// Where an account is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountState {
    /// Exists, with no way in yet: a consumer before registering, a user added without an
    /// invitation (partner portal), an invitation that was revoked.
    Created,
    /// A way in is out and unused: an invitation, an activation email or SMS, a one-time
    /// password, or a PIN (social intranet, workforce platform).
    Invited,
    /// Signed up by themselves and waiting for staff approval: may file requests, may not
    /// sign in (help desk).
    PendingApproval,
    /// In use.
    Active,
    /// Switched off; staff can switch it on again, and so can the user where self sign-up is
    /// on (help desk).
    Inactive,
    /// Switched off for good reason; only staff unblock, and the user cannot sign up again.
    Blocked,
    /// Gone. Terminal: no more mail, no registration, no way back (social intranet).
    Deleted,
}

impl AccountState {
    /// Every state.
    pub const ALL: [AccountState; 7] = [
        AccountState::Created,
        AccountState::Invited,
        AccountState::PendingApproval,
        AccountState::Active,
        AccountState::Inactive,
        AccountState::Blocked,
        AccountState::Deleted,
    ];

    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            AccountState::Created => "created",
            AccountState::Invited => "invited",
            AccountState::PendingApproval => "pending_approval",
            AccountState::Active => "active",
            AccountState::Inactive => "inactive",
            AccountState::Blocked => "blocked",
            AccountState::Deleted => "deleted",
        }
    }

    /// Parses [`AccountState::as_str`]'s names.
    pub fn parse(name: &str) -> Option<AccountState> {
        AccountState::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who makes a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// An administrator or staff member (whether they may act on this user at all is
    /// `tenantry-access`'s question; this is about the state machine).
    Staff,
    /// The account's own user.
    User,
    /// An integration: SCIM, an HR sync, single sign-on. Acts like staff for provisioning,
    /// deactivation and deletion, but never unblocks or approves.
    System,
}

impl Actor {
    /// Every actor.
    pub const ALL: [Actor; 3] = [Actor::Staff, Actor::User, Actor::System];
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Actor::Staff => "staff",
            Actor::User => "the user",
            Actor::System => "the system",
        })
    }
}

/// How a user proved they hold the way in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationMethod {
    /// Followed an invitation link and set a password.
    InvitationLink,
    /// Followed an activation email link (workforce platform).
    EmailLink,
    /// Entered an SMS code (workforce platform).
    SmsCode,
    /// Signed in with a one-time password and set their own (workforce platform).
    OneTimePassword,
    /// Set a password with the placeholder email and PIN (the social intranet; PIN users only).
    Pin,
}

/// How an account comes to exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Creation {
    /// Created by staff or an integration, with this way in.
    Provisioned {
        /// The way in given at creation.
        way_in: WayIn,
    },
    /// The user signed up on the sign-up form or a department link (workforce platform, help desk), or a
    /// guest joined by themselves (social intranet).
    SelfSignUp {
        /// Whether the sign-up already proved control of the email or phone (a code entered
        /// in the same flow). If not, an activation message goes out.
        verified: bool,
    },
    /// Created on the first single sign-on (just in time, the workforce platform).
    SsoFirstLogin,
}

impl fmt::Display for Creation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Creation::Provisioned { way_in } => write!(f, "provisioning with {way_in}"),
            Creation::SelfSignUp { .. } => f.write_str("self sign-up"),
            Creation::SsoFirstLogin => f.write_str("first SSO login"),
        }
    }
}

/// The way into an account that staff or an integration give it at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WayIn {
    /// None yet (the partner portal's unchecked "send sign-in invitation"; every consumer).
    None,
    /// An invitation with a link to choose a password, sent now.
    Invitation,
    /// An activation email and/or SMS, sent now (workforce platform).
    Activation,
    /// A one-time password set by staff or in the import template (workforce platform).
    OneTimePassword,
    /// A PIN, handed out through the PIN export (the social intranet; PIN users only).
    Pin,
    /// Active at once, with a welcome email (the help desk's occupants).
    Welcome,
    /// Active at once with a password set by staff (the agency's custom or generated password).
    Password,
}

impl fmt::Display for WayIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WayIn::None => "no way in",
            WayIn::Invitation => "an invitation",
            WayIn::Activation => "an activation message",
            WayIn::OneTimePassword => "a one-time password",
            WayIn::Pin => "a PIN",
            WayIn::Welcome => "a welcome email",
            WayIn::Password => "a password",
        })
    }
}

/// Something that happens to an existing account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Send an invitation: from `Created` it gives the account its way in; to an `Active`
    /// account it sends a sign-in link (the agency's Invite button, the partner portal's "invite later").
    Invite,
    /// Send the invitation again; the older link stops working.
    ResendInvitation,
    /// Withdraw an unused invitation.
    RevokeInvitation,
    /// The user proved they hold the way in.
    Activate {
        /// How.
        method: ActivationMethod,
    },
    /// Staff approve a pending sign-up.
    Approve,
    /// Staff reject a pending sign-up; the account is deleted.
    Reject,
    /// Switch the account off.
    Deactivate,
    /// Switch an inactive account on again.
    Reactivate,
    /// Block the account.
    Block,
    /// Lift a block.
    Unblock,
    /// Delete the account.
    Delete,
    /// A consumer registers through their personal link and becomes a standard user (social intranet).
    RegisterConsumer,
    /// The user signed in through single sign-on, which proves who they are (workforce platform).
    SsoLogin,
    /// Send the welcome email again (help desk).
    ResendWelcome,
}

/// An [`Event`] without its data, for errors and tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// [`Event::Invite`].
    Invite,
    /// [`Event::ResendInvitation`].
    ResendInvitation,
    /// [`Event::RevokeInvitation`].
    RevokeInvitation,
    /// [`Event::Activate`].
    Activate,
    /// [`Event::Approve`].
    Approve,
    /// [`Event::Reject`].
    Reject,
    /// [`Event::Deactivate`].
    Deactivate,
    /// [`Event::Reactivate`].
    Reactivate,
    /// [`Event::Block`].
    Block,
    /// [`Event::Unblock`].
    Unblock,
    /// [`Event::Delete`].
    Delete,
    /// [`Event::RegisterConsumer`].
    RegisterConsumer,
    /// [`Event::SsoLogin`].
    SsoLogin,
    /// [`Event::ResendWelcome`].
    ResendWelcome,
}

impl Event {
    /// The event's kind.
    pub const fn kind(&self) -> EventKind {
        match self {
            Event::Invite => EventKind::Invite,
            Event::ResendInvitation => EventKind::ResendInvitation,
            Event::RevokeInvitation => EventKind::RevokeInvitation,
            Event::Activate { .. } => EventKind::Activate,
            Event::Approve => EventKind::Approve,
            Event::Reject => EventKind::Reject,
            Event::Deactivate => EventKind::Deactivate,
            Event::Reactivate => EventKind::Reactivate,
            Event::Block => EventKind::Block,
            Event::Unblock => EventKind::Unblock,
            Event::Delete => EventKind::Delete,
            Event::RegisterConsumer => EventKind::RegisterConsumer,
            Event::SsoLogin => EventKind::SsoLogin,
            Event::ResendWelcome => EventKind::ResendWelcome,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventKind::Invite => "invite",
            EventKind::ResendInvitation => "resend invitation",
            EventKind::RevokeInvitation => "revoke invitation",
            EventKind::Activate => "activate",
            EventKind::Approve => "approve",
            EventKind::Reject => "reject",
            EventKind::Deactivate => "deactivate",
            EventKind::Reactivate => "reactivate",
            EventKind::Block => "block",
            EventKind::Unblock => "unblock",
            EventKind::Delete => "delete",
            EventKind::RegisterConsumer => "consumer registration",
            EventKind::SsoLogin => "SSO login",
            EventKind::ResendWelcome => "resend welcome",
        })
    }
}

/// What the service must carry out after a transition, in the same changeset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Effect {
    /// Send an invitation (a set-password link, or an automatic sign-in link to an active
    /// account).
    SendInvitation,
    /// Make every earlier invitation or activation link unusable.
    RevokeInvitation,
    /// Send an activation email and/or SMS (both where the user has both, the workforce platform).
    SendActivation,
    /// Send the welcome email.
    SendWelcome,
    /// Tell staff a sign-up awaits approval.
    NotifyStaffOfPendingSignUp,
    /// End every session of the user.
    RevokeSessions,
    /// Make every outstanding token (reset, automatic login, registration) unusable.
    RevokeTokens,
    /// Drop mail not yet delivered to the user (a deleted consumer gets no more digests).
    CancelPendingMail,
    /// Change the user's kind to standard (a consumer who registered).
    BecomeStandardUser,
}

/// What an account may do in its state, given its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// May sign in.
    pub may_sign_in: bool,
    /// May file requests (the help desk: pending accounts may).
    pub may_file_requests: bool,
    /// Mail may be sent to the user.
    pub receives_mail: bool,
    /// Appears in member and people directories.
    pub listed_in_directories: bool,
}

/// The life of one account: its kind, state, and the two facts the state machine needs to
/// never skip a step — whether the user has activated (proved a way in) and whether the
/// account is approved (by staff, or because no approval was required).
///
/// Invariant: the state is `Active` only if the account is activated and approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AccountParts", into = "AccountParts")]
pub struct Account {
    kind: UserKind,
    state: AccountState,
    activated: bool,
    approved: bool,
    since: DateTime<Utc>,
}

/// The plain fields of an [`Account`] for storage; [`Account::from_parts`] checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountParts {
    /// The user's kind.
    pub kind: UserKind,
    /// The state.
    pub state: AccountState,
    /// The user has proved a way in.
    pub activated: bool,
    /// Approved, or no approval was required.
    pub approved: bool,
    /// Since when the account is in this state.
    pub since: DateTime<Utc>,
}

/// The result of a lifecycle step: the account afterwards and what the service must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state before (`None` for a creation).
    pub from: Option<AccountState>,
    /// The account afterwards.
    pub account: Account,
    /// Effects, in the order to carry them out.
    pub effects: Vec<Effect>,
}

impl Account {
    /// Checks stored parts.
    pub fn from_parts(p: AccountParts) -> Result<Self, LifecycleError> {
        if p.state == AccountState::Active && !(p.activated && p.approved) {
            return Err(LifecycleError::Inconsistent(
                "an active account must be activated and approved",
            ));
        }
        if p.state == AccountState::PendingApproval && p.approved {
            return Err(LifecycleError::Inconsistent(
                "a pending account cannot be approved already",
            ));
        }
        if p.kind == UserKind::Consumer && p.activated {
            return Err(LifecycleError::Inconsistent(
                "a consumer becomes a standard user when they register",
            ));
        }
        Ok(Self {
            kind: p.kind,
            state: p.state,
            activated: p.activated,
            approved: p.approved,
            since: p.since,
        })
    }

    /// The plain fields.
    pub fn into_parts(self) -> AccountParts {
        AccountParts {
            kind: self.kind,
            state: self.state,
            activated: self.activated,
            approved: self.approved,
            since: self.since,
        }
    }

    /// The user's kind (as the lifecycle last saw it).
    pub fn kind(&self) -> UserKind {
        self.kind
    }

    /// The state.
    pub fn state(&self) -> AccountState {
        self.state
    }

    /// Whether the user has proved a way in.
    pub fn activated(&self) -> bool {
        self.activated
    }

    /// Whether the account is approved (or needed no approval).
    pub fn approved(&self) -> bool {
        self.approved
    }

    /// Since when the account is in its state.
    pub fn since(&self) -> DateTime<Utc> {
        self.since
    }

    /// What the account may do now: its state's capabilities and its kind's, combined.
    pub fn capabilities(&self) -> Capabilities {
        use AccountState::*;
        let kind = self.kind;
        let live = !matches!(self.state, Inactive | Blocked | Deleted);
        Capabilities {
            may_sign_in: self.state == Active && kind.may_sign_in(),
            may_file_requests: matches!(self.state, Active | PendingApproval)
                && kind != UserKind::Consumer,
            receives_mail: live && kind.has_mailbox(),
            listed_in_directories: self.state == Active && kind.listed_in_directories(),
        }
    }

    /// Creates an account of `kind` by `creation`, made by `actor`.
    pub fn create(
        kind: UserKind,
        creation: Creation,
        actor: Actor,
        policy: &LifecyclePolicy,
        now: DateTime<Utc>,
    ) -> Result<Transition, LifecycleError> {
        use AccountState::*;
        let refuse = |reason| {
            Err(LifecycleError::IllegalCreation {
                kind,
                creation,
                actor,
                reason,
            })
        };
        let (state, activated, approved, effects) = match creation {
            Creation::Provisioned { way_in } => {
                if actor == Actor::User {
                    return refuse("users cannot provision accounts");
                }
                match (kind, way_in) {
                    (UserKind::Consumer, WayIn::None) => (Created, false, true, vec![]),
                    (UserKind::Consumer, _) => {
                        return refuse(
                            "consumers are created without a way in; they register through their link",
                        );
                    }
                    (UserKind::Pin, WayIn::Pin) => (Invited, false, true, vec![]),
                    (UserKind::Pin, _) => return refuse("PIN users get their way in as a PIN"),
                    (_, WayIn::Pin) => return refuse("only PIN users have PINs"),
                    (_, WayIn::None) => (Created, false, true, vec![]),
                    (_, WayIn::Invitation) => (Invited, false, true, vec![Effect::SendInvitation]),
                    (_, WayIn::Activation) => (Invited, false, true, vec![Effect::SendActivation]),
                    (_, WayIn::OneTimePassword) => (Invited, false, true, vec![]),
                    (_, WayIn::Welcome) => (Active, true, true, vec![Effect::SendWelcome]),
                    (_, WayIn::Password) => (Active, true, true, vec![]),
                }
            }
            Creation::SelfSignUp { verified } => {
                if actor != Actor::User {
                    return refuse("only the user signs up by themselves");
                }
                let sign_up = &policy.sign_up;
                match kind {
                    UserKind::Standard if !sign_up.enabled => {
                        return refuse("self sign-up is not enabled");
                    }
                    UserKind::Guest if !sign_up.guest_self_join => {
                        return refuse("guests cannot join by themselves here");
                    }
                    UserKind::Standard | UserKind::Guest => {}
                    _ => return refuse("only standard users and guests sign up by themselves"),
                }
                let approved = !sign_up.needs_approval;
                let (state, mut effects) = settle(verified, approved);
                if state == Active {
                    effects.push(Effect::SendWelcome);
                }
                (state, verified, approved, effects)
            }
            Creation::SsoFirstLogin => {
                if actor != Actor::System {
                    return refuse("SSO logins come from the system");
                }
                if !policy.sso_just_in_time {
                    return refuse("just-in-time SSO provisioning is not enabled");
                }
                if !matches!(kind, UserKind::Standard | UserKind::Guest) {
                    return refuse("only standard users and guests are created by SSO");
                }
                (Active, true, true, vec![])
            }
        };
        Ok(Transition {
            from: None,
            account: Account {
                kind,
                state,
                activated,
                approved,
                since: now,
            },
            effects,
        })
    }

    /// Applies `event`, made by `actor`, under `policy`, at `now`: the one transition function.
    ///
    /// Returns the account afterwards and the effects the service must carry out, or a typed
    /// error naming the state, event and actor and saying why not. The account is not changed
    /// in place: on error nothing happened.
    pub fn apply(
        &self,
        event: Event,
        actor: Actor,
        policy: &LifecyclePolicy,
        now: DateTime<Utc>,
    ) -> Result<Transition, LifecycleError> {
        use AccountState::*;
        use Effect::*;
        let refuse = |reason| {
            Err(LifecycleError::IllegalTransition {
                state: self.state,
                kind: self.kind,
                event: event.kind(),
                actor,
                reason,
            })
        };
        let mut next = *self;
        let staff = actor == Actor::Staff;
        let staff_or_system = matches!(actor, Actor::Staff | Actor::System);

        if self.state == Deleted {
            return refuse("deleted accounts are gone for good");
        }
        if self.state == Blocked && !(staff && matches!(event, Event::Unblock | Event::Delete)) {
            return refuse(
                "a blocked account is left only through staff unblocking or deleting it",
            );
        }

        let effects: Vec<Effect> = match event {
            Event::Invite => {
                if !staff {
                    return refuse("only staff send invitations");
                }
                if !self.kind.has_mailbox() || self.kind == UserKind::Consumer {
                    return refuse("invitations go to standard users and guests only");
                }
                match self.state {
                    Created => {
                        next.state = Invited;
                        vec![SendInvitation]
                    }
                    Active => vec![SendInvitation],
                    Invited => return refuse("an invitation is out already; resend it"),
                    _ => return refuse("only new or active accounts are invited"),
                }
            }
            Event::ResendInvitation => {
                if !staff_or_system {
                    return refuse("only staff or the system resend invitations");
                }
                if self.state != Invited || self.kind == UserKind::Pin {
                    return refuse("there is no invitation out");
                }
                vec![RevokeInvitation, SendInvitation]
            }
            Event::RevokeInvitation => {
                if !staff {
                    return refuse("only staff revoke invitations");
                }
                if self.state != Invited || self.kind == UserKind::Pin {
                    return refuse("there is no invitation out");
                }
                next.state = Created;
                vec![RevokeInvitation]
            }
            Event::Activate { method } => {
                if actor != Actor::User {
                    return refuse("only the user activates their account");
                }
                match (self.kind, method) {
                    (UserKind::Consumer, _) => return refuse("consumers register instead"),
                    (UserKind::Pin, ActivationMethod::Pin) => {}
                    (UserKind::Pin, _) => return refuse("PIN users activate with their PIN"),
                    (_, ActivationMethod::Pin) => return refuse("only PIN users have PINs"),
                    _ => {}
                }
                if self.activated {
                    return refuse("the account is activated already");
                }
                if !matches!(self.state, Invited | PendingApproval) {
                    return refuse("there is no way in to activate");
                }
                next.activated = true;
                next.state = if self.approved {
                    Active
                } else {
                    PendingApproval
                };
                vec![RevokeInvitation]
            }
            Event::Approve | Event::Reject => {
                if !staff {
                    return refuse("only staff approve or reject sign-ups");
                }
                if self.state != PendingApproval {
                    return refuse("the account is not awaiting approval");
                }
                if event == Event::Reject {
                    next.state = Deleted;
                    vec![
                        RevokeInvitation,
                        RevokeSessions,
                        RevokeTokens,
                        CancelPendingMail,
                    ]
                } else {
                    next.approved = true;
                    let (state, mut effects) = settle(self.activated, true);
                    if state == Active {
                        effects.push(SendWelcome);
                    }
                    next.state = state;
                    effects
                }
            }
            Event::Deactivate => {
                if !staff_or_system {
                    return refuse("only staff or the system deactivate accounts");
                }
                match self.state {
                    Created | Invited | Active => {
                        next.state = Inactive;
                        vec![RevokeInvitation, RevokeSessions, RevokeTokens]
                    }
                    PendingApproval => {
                        return refuse("a pending sign-up is rejected, not deactivated");
                    }
                    _ => return refuse("the account is not in use"),
                }
            }
            Event::Reactivate => {
                if self.state != Inactive {
                    return refuse("only inactive accounts are reactivated");
                }
                match actor {
                    Actor::Staff | Actor::System => {}
                    Actor::User if policy.sign_up.enabled => {}
                    Actor::User => {
                        return refuse("users reactivate themselves only where self sign-up is on");
                    }
                }
                let (state, effects) = self.resume();
                next.state = state;
                effects
            }
            Event::Block => {
                if !staff {
                    return refuse("only staff block accounts");
                }
                next.state = Blocked;
                vec![RevokeInvitation, RevokeSessions, RevokeTokens]
            }
            Event::Unblock => {
                if !staff {
                    return refuse("only staff unblock accounts");
                }
                if self.state != Blocked {
                    return refuse("the account is not blocked");
                }
                let (state, effects) = self.resume();
                next.state = state;
                effects
            }
            Event::Delete => {
                let allowed = match actor {
                    Actor::Staff | Actor::System => true,
                    Actor::User => matches!(self.state, Active | PendingApproval),
                };
                if !allowed {
                    return refuse("users delete only accounts they can use");
                }
                next.state = Deleted;
                vec![
                    RevokeInvitation,
                    RevokeSessions,
                    RevokeTokens,
                    CancelPendingMail,
                ]
            }
            Event::RegisterConsumer => {
                if actor != Actor::User {
                    return refuse("consumers register themselves");
                }
                if self.kind != UserKind::Consumer {
                    return refuse("only consumers register");
                }
                if self.state != Created {
                    return refuse("the consumer cannot register in this state");
                }
                next.kind = UserKind::Standard;
                next.activated = true;
                next.approved = true;
                next.state = Active;
                vec![BecomeStandardUser, RevokeInvitation, SendWelcome]
            }
            Event::SsoLogin => {
                if actor != Actor::System {
                    return refuse("SSO logins come from the system");
                }
                if !matches!(self.kind, UserKind::Standard | UserKind::Guest) {
                    return refuse("only standard users and guests sign in through SSO");
                }
                if !matches!(self.state, Created | Invited) {
                    return refuse("SSO activates only accounts not yet in use");
                }
                next.activated = true;
                next.state = if self.approved {
                    Active
                } else {
                    PendingApproval
                };
                vec![RevokeInvitation]
            }
            Event::ResendWelcome => {
                if !staff {
                    return refuse("only staff resend the welcome email");
                }
                if self.state != Active || !self.kind.has_mailbox() {
                    return refuse("welcome emails go to active accounts with a mailbox");
                }
                vec![SendWelcome]
            }
        };
        if next.state != self.state {
            next.since = now;
        }
        Ok(Transition {
            from: Some(self.state),
            account: next,
            effects,
        })
    }
}

/// Where an account goes once nothing but activation and approval can hold it back, and what
/// to send: approval first (staff are told), then activation (a message goes out), then active.
fn settle(activated: bool, approved: bool) -> (AccountState, Vec<Effect>) {
    match (activated, approved) {
        (_, false) => {
            let mut effects = vec![Effect::NotifyStaffOfPendingSignUp];
            if !activated {
                effects.push(Effect::SendActivation);
            }
            (AccountState::PendingApproval, effects)
        }
        (false, true) => (AccountState::Invited, vec![Effect::SendActivation]),
        (true, true) => (AccountState::Active, vec![]),
    }
}

impl Account {
    /// What happens when someone uses the sign-up form with an identifier that belongs to
    /// this account (help desk): an inactive account is reactivated by its user where self
    /// sign-up is on; an account not yet activated gets a fresh activation message; a blocked
    /// account cannot sign up again; one in use, a consumer's or a PIN user's is refused as
    /// already registered; a deleted one is gone.
    ///
    /// Whatever this returns, the service must answer the person at the form the same way
    /// ("check your email"), so the form does not reveal which accounts exist.
    pub fn sign_up_again(
        &self,
        policy: &LifecyclePolicy,
        now: DateTime<Utc>,
    ) -> Result<Transition, LifecycleError> {
        use AccountState::*;
        match self.state {
            Blocked => Err(LifecycleError::SignUp(crate::error::SignUpProblem::Blocked)),
            Deleted | Inactive => self.apply(Event::Reactivate, Actor::User, policy, now),
            _ if !policy.sign_up.enabled => Err(LifecycleError::SignUp(
                crate::error::SignUpProblem::Disabled,
            )),
            Created | Invited
                if !self.activated && matches!(self.kind, UserKind::Standard | UserKind::Guest) =>
            {
                let mut next = *self;
                next.state = Invited;
                if next.state != self.state {
                    next.since = now;
                }
                Ok(Transition {
                    from: Some(self.state),
                    account: next,
                    effects: vec![Effect::RevokeInvitation, Effect::SendActivation],
                })
            }
            _ => Err(LifecycleError::SignUp(
                crate::error::SignUpProblem::AlreadyRegistered,
            )),
        }
    }

    /// Where an inactive or unblocked account resumes: a consumer is back to `Created` (their
    /// registration link works again); a PIN user without a password back to `Invited` (the
    /// PIN is the way in, nothing is sent); anyone else as [`settle`] says.
    fn resume(&self) -> (AccountState, Vec<Effect>) {
        match self.kind {
            UserKind::Consumer => (AccountState::Created, vec![]),
            UserKind::Pin if !self.activated => (AccountState::Invited, vec![]),
            _ => settle(self.activated, self.approved),
        }
    }
}

impl TryFrom<AccountParts> for Account {
    type Error = LifecycleError;
    fn try_from(p: AccountParts) -> Result<Self, LifecycleError> {
        Account::from_parts(p)
    }
}

impl From<Account> for AccountParts {
    fn from(a: Account) -> Self {
        a.into_parts()
    }
}

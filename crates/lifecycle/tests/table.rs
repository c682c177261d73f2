//! Every (state, event, actor) triple against a literal table of the rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use chrono::{DateTime, TimeZone, Utc};
use tenantry_identity::UserKind;
use tenantry_lifecycle::*;

use AccountState::*;
use Actor::{Staff, System, User};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn events() -> Vec<Event> {
    vec![
        Event::Invite,
        Event::ResendInvitation,
        Event::RevokeInvitation,
        Event::Activate {
            method: ActivationMethod::EmailLink,
        },
        Event::Approve,
        Event::Reject,
        Event::Deactivate,
        Event::Reactivate,
        Event::Block,
        Event::Unblock,
        Event::Delete,
        Event::RegisterConsumer,
        Event::SsoLogin,
        Event::ResendWelcome,
    ]
}

/// A standard account in `state`, with the activation and approval facts typical for it.
fn account(state: AccountState) -> Account {
    let (activated, approved) = match state {
        Created | Invited => (false, true),
        PendingApproval => (true, false),
        _ => (true, true),
    };
    Account::from_parts(AccountParts {
        kind: UserKind::Standard,
        state,
        activated,
        approved,
        since: now(),
    })
    .unwrap()
}

/// The rules, written out: what each allowed triple leads to. Everything else is refused.
fn expected(
    state: AccountState,
    event: EventKind,
    actor: Actor,
    self_sign_up: bool,
) -> Option<AccountState> {
    use EventKind as E;
    let to = match (state, event, actor) {
        (Created, E::Invite, Staff) => Invited,
        (Created | Invited | Active, E::Deactivate, Staff | System) => Inactive,
        (Created | Invited, E::SsoLogin, System) => Active,
        (Invited, E::ResendInvitation, Staff | System) => Invited,
        (Invited, E::RevokeInvitation, Staff) => Created,
        (Invited, E::Activate, User) => Active,
        (PendingApproval, E::Approve, Staff) => Active,
        (PendingApproval, E::Reject, Staff) => Deleted,
        (Active, E::Invite, Staff) => Active,
        (Active, E::ResendWelcome, Staff) => Active,
        (Inactive, E::Reactivate, Staff | System) => Active,
        (Inactive, E::Reactivate, User) if self_sign_up => Active,
        (Blocked, E::Unblock, Staff) => Active,
        (Blocked, E::Delete, Staff) => Deleted,
        (Blocked, _, _) => return None,
        (Deleted, _, _) => return None,
        (_, E::Block, Staff) => Blocked,
        (_, E::Delete, Staff | System) => Deleted,
        (PendingApproval | Active, E::Delete, User) => Deleted,
        _ => return None,
    };
    Some(to)
}

#[test]
fn every_triple_follows_the_table() {
    let mut checked = 0;
    for self_sign_up in [false, true] {
        let mut policy = LifecyclePolicy::default();
        policy.sign_up.enabled = self_sign_up;
        for state in AccountState::ALL {
            for event in events() {
                for actor in Actor::ALL {
                    let got = account(state).apply(event, actor, &policy, now());
                    let want = expected(state, event.kind(), actor, self_sign_up);
                    match (got, want) {
                        (Ok(t), Some(to)) => {
                            assert_eq!(t.account.state(), to, "{state} {:?} {actor}", event.kind());
                            assert_eq!(t.from, Some(state));
                        }
                        (
                            Err(LifecycleError::IllegalTransition {
                                state: s,
                                event: e,
                                actor: a,
                                ..
                            }),
                            None,
                        ) => {
                            assert_eq!((s, e, a), (state, event.kind(), actor));
                        }
                        (got, want) => panic!(
                            "{state} {:?} by {actor}: got {got:?}, want {want:?}",
                            event.kind()
                        ),
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 7 * 14 * 3);
}

#[test]
fn errors_say_what_and_why() {
    let policy = LifecyclePolicy::default();
    let err = account(Blocked)
        .apply(Event::Reactivate, User, &policy, now())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "reactivate by the user is not allowed for a standard account that is blocked: \
         a blocked account is left only through staff unblocking or deleting it"
    );
}

#[test]
fn effects_of_the_main_transitions() {
    let policy = LifecyclePolicy::default();
    let t = account(Created)
        .apply(Event::Invite, Staff, &policy, now())
        .unwrap();
    assert_eq!(t.effects, vec![Effect::SendInvitation]);
    let t = account(Invited)
        .apply(Event::ResendInvitation, Staff, &policy, now())
        .unwrap();
    assert_eq!(
        t.effects,
        vec![Effect::RevokeInvitation, Effect::SendInvitation]
    );
    let t = account(Active)
        .apply(Event::Block, Staff, &policy, now())
        .unwrap();
    assert_eq!(
        t.effects,
        vec![
            Effect::RevokeInvitation,
            Effect::RevokeSessions,
            Effect::RevokeTokens
        ]
    );
    let t = account(Active)
        .apply(Event::Delete, System, &policy, now())
        .unwrap();
    assert!(
        t.effects.contains(&Effect::CancelPendingMail)
            && t.effects.contains(&Effect::RevokeSessions)
    );
    let t = account(Active)
        .apply(Event::ResendWelcome, Staff, &policy, now())
        .unwrap();
    assert_eq!(t.effects, vec![Effect::SendWelcome]);
    // Reactivation sends no welcome.
    let t = account(Inactive)
        .apply(Event::Reactivate, Staff, &policy, now())
        .unwrap();
    assert!(t.effects.is_empty());
}

#[test]
fn since_moves_only_when_the_state_does() {
    let policy = LifecyclePolicy::default();
    let later = now() + chrono::Duration::hours(2);
    let t = account(Active)
        .apply(Event::ResendWelcome, Staff, &policy, later)
        .unwrap();
    assert_eq!(t.account.since(), now());
    let t = account(Active)
        .apply(Event::Deactivate, Staff, &policy, later)
        .unwrap();
    assert_eq!(t.account.since(), later);
}

#[test]
fn capabilities_per_state_and_kind() {
    let caps = |kind, state, activated, approved| {
        Account::from_parts(AccountParts {
            kind,
            state,
            activated,
            approved,
            since: now(),
        })
        .unwrap()
        .capabilities()
    };
    let active = caps(UserKind::Standard, Active, true, true);
    assert!(
        active.may_sign_in
            && active.may_file_requests
            && active.receives_mail
            && active.listed_in_directories
    );
    // The help desk: pending may file requests, may not sign in.
    let pending = caps(UserKind::Standard, PendingApproval, true, false);
    assert!(!pending.may_sign_in && pending.may_file_requests && !pending.listed_in_directories);
    for state in [Inactive, Blocked, Deleted] {
        let c = caps(UserKind::Standard, state, true, true);
        assert!(
            !c.may_sign_in && !c.may_file_requests && !c.receives_mail && !c.listed_in_directories
        );
    }
    // The social intranet: a consumer receives mail but does not sign in and is not listed.
    let consumer = caps(UserKind::Consumer, Created, false, true);
    assert!(!consumer.may_sign_in && consumer.receives_mail && !consumer.listed_in_directories);
    // PIN users: no mail ever.
    let pin = caps(UserKind::Pin, Active, true, true);
    assert!(pin.may_sign_in && !pin.receives_mail && pin.listed_in_directories);
}

#[test]
fn inconsistent_parts_are_refused() {
    let parts = |state, activated, approved| AccountParts {
        kind: UserKind::Standard,
        state,
        activated,
        approved,
        since: now(),
    };
    assert!(Account::from_parts(parts(Active, false, true)).is_err());
    assert!(Account::from_parts(parts(Active, true, false)).is_err());
    assert!(Account::from_parts(parts(PendingApproval, true, true)).is_err());
    let json = r#"{"kind":"standard","state":"active","activated":false,"approved":true,"since":"2026-01-01T00:00:00Z"}"#;
    assert!(serde_json::from_str::<Account>(json).is_err());
    let good = account(Active);
    let back: Account = serde_json::from_str(&serde_json::to_string(&good).unwrap()).unwrap();
    assert_eq!(back, good);
}

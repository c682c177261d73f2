//! Random event sequences: deleted is terminal; blocked is left only by staff; no sequence
//! reaches a state that may sign in while skipping a required activation or approval.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use tenantry_identity::UserKind;
use tenantry_lifecycle::*;

fn event() -> impl Strategy<Value = Event> {
    let method = prop_oneof![
        Just(ActivationMethod::InvitationLink),
        Just(ActivationMethod::EmailLink),
        Just(ActivationMethod::SmsCode),
        Just(ActivationMethod::OneTimePassword),
        Just(ActivationMethod::Pin),
    ];
    prop_oneof![
        Just(Event::Invite),
        Just(Event::ResendInvitation),
        Just(Event::RevokeInvitation),
        method.prop_map(|method| Event::Activate { method }),
        Just(Event::Approve),
        Just(Event::Reject),
        Just(Event::Deactivate),
        Just(Event::Reactivate),
        Just(Event::Block),
        Just(Event::Unblock),
        Just(Event::Delete),
        Just(Event::RegisterConsumer),
        Just(Event::SsoLogin),
        Just(Event::ResendWelcome),
    ]
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![Just(Actor::Staff), Just(Actor::User), Just(Actor::System)]
}

fn kind() -> impl Strategy<Value = UserKind> {
    prop_oneof![
        Just(UserKind::Standard),
        Just(UserKind::Guest),
        Just(UserKind::Consumer),
        Just(UserKind::Pin)
    ]
}

fn creation() -> impl Strategy<Value = Creation> {
    let way_in = prop_oneof![
        Just(WayIn::None),
        Just(WayIn::Invitation),
        Just(WayIn::Activation),
        Just(WayIn::OneTimePassword),
        Just(WayIn::Pin),
        Just(WayIn::Welcome),
        Just(WayIn::Password),
    ];
    prop_oneof![
        way_in.prop_map(|way_in| Creation::Provisioned { way_in }),
        any::<bool>().prop_map(|verified| Creation::SelfSignUp { verified }),
        Just(Creation::SsoFirstLogin),
    ]
}

fn policy() -> impl Strategy<Value = LifecyclePolicy> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(enabled, approval, guests, jit)| {
            let mut p = LifecyclePolicy::default();
            p.sign_up.enabled = enabled;
            p.sign_up.needs_approval = approval;
            p.sign_up.guest_self_join = guests;
            p.sso_just_in_time = jit;
            p
        },
    )
}

/// How the account got its way in and its approval, as the test sees it from outside.
#[derive(Default)]
struct Ghost {
    proved: bool,
    approved: bool,
}

impl Ghost {
    fn note_creation(&mut self, creation: Creation, policy: &LifecyclePolicy) {
        match creation {
            Creation::Provisioned { way_in } => {
                self.approved = true;
                self.proved = matches!(way_in, WayIn::Welcome | WayIn::Password);
            }
            Creation::SelfSignUp { verified } => {
                self.approved = !policy.sign_up.needs_approval;
                self.proved = verified;
            }
            Creation::SsoFirstLogin => {
                self.approved = true;
                self.proved = true;
            }
        }
    }

    fn note(&mut self, event: Event, actor: Actor) {
        match (event, actor) {
            (Event::Activate { .. } | Event::SsoLogin | Event::RegisterConsumer, _) => {
                self.proved = true
            }
            (Event::Approve, Actor::Staff) => self.approved = true,
            _ => {}
        }
        if event == Event::RegisterConsumer {
            self.approved = true;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_sequences_keep_the_rules(
        kind in kind(), creation in creation(), creator in actor(), policy in policy(),
        steps in prop::collection::vec((event(), actor(), any::<bool>()), 0..40),
    ) {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let Ok(created) = Account::create(kind, creation, creator, &policy, start) else { return Ok(()) };
        let mut ghost = Ghost::default();
        ghost.note_creation(creation, &policy);
        let mut account = created.account;
        for (i, (event, actor, flip_policy)) in steps.into_iter().enumerate() {
            let now = start + Duration::minutes(i as i64 + 1);
            // The policy may change between steps (an admin toggles self sign-up).
            let mut policy = policy.clone();
            if flip_policy {
                policy.sign_up.enabled = !policy.sign_up.enabled;
            }
            let before = account;
            match before.apply(event, actor, &policy, now) {
                Ok(t) => {
                    prop_assert_ne!(before.state(), AccountState::Deleted, "left deleted");
                    if before.state() == AccountState::Blocked {
                        prop_assert_eq!(actor, Actor::Staff, "blocked left by {}", actor);
                    }
                    if t.account.state() != before.state() {
                        prop_assert_eq!(t.account.since(), now);
                    }
                    ghost.note(event, actor);
                    account = t.account;
                }
                Err(e) => {
                    let is_illegal = matches!(e, LifecycleError::IllegalTransition { .. });
                    prop_assert!(is_illegal, "unexpected error {:?}", e);
                }
            }
            if account.capabilities().may_sign_in {
                prop_assert!(ghost.proved, "signs in without ever proving a way in");
                prop_assert!(ghost.approved, "signs in without a required approval");
            }
            if account.state() == AccountState::Active {
                prop_assert!(account.activated() && account.approved());
            }
            // Parts always round trip through the checks.
            prop_assert_eq!(Account::from_parts(account.into_parts()).unwrap(), account);
        }
    }
}

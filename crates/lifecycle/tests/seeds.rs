//! The seeds' flows through the state machine, invitations and sign-up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_identity::{
    DepartmentId, Email, EmailDomain, JobProfileId, OrgId, SignUpCode, UserId, UserKind,
};
use tenantry_lifecycle::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn create(
    kind: UserKind,
    creation: Creation,
    actor: Actor,
    policy: &LifecyclePolicy,
) -> Result<Transition, LifecycleError> {
    Account::create(kind, creation, actor, policy, now())
}

fn provisioned(way_in: WayIn) -> Creation {
    Creation::Provisioned { way_in }
}

#[test]
fn network_consumers_register_and_deleted_ones_cannot() {
    let policy = LifecyclePolicy::default();
    let t = create(
        UserKind::Consumer,
        provisioned(WayIn::None),
        Actor::System,
        &policy,
    )
    .unwrap();
    let consumer = t.account;
    assert_eq!(consumer.state(), AccountState::Created);
    assert!(consumer.capabilities().receives_mail);
    // Consumers are not invited: they register through the link in every digest.
    assert!(
        consumer
            .apply(Event::Invite, Actor::Staff, &policy, now())
            .is_err()
    );
    assert!(
        create(
            UserKind::Consumer,
            provisioned(WayIn::Invitation),
            Actor::Staff,
            &policy
        )
        .is_err()
    );
    let t = consumer
        .apply(Event::RegisterConsumer, Actor::User, &policy, now())
        .unwrap();
    assert_eq!(t.account.state(), AccountState::Active);
    assert_eq!(t.account.kind(), UserKind::Standard);
    assert!(t.effects.contains(&Effect::BecomeStandardUser));
    // A deleted consumer receives nothing and can no longer register.
    let deleted = consumer
        .apply(Event::Delete, Actor::Staff, &policy, now())
        .unwrap();
    assert!(deleted.effects.contains(&Effect::CancelPendingMail));
    assert!(!deleted.account.capabilities().receives_mail);
    assert!(
        deleted
            .account
            .apply(Event::RegisterConsumer, Actor::User, &policy, now())
            .is_err()
    );
    // A consumer reactivated or unblocked is a consumer again, link and all.
    let inactive = consumer
        .apply(Event::Deactivate, Actor::Staff, &policy, now())
        .unwrap()
        .account;
    let back = inactive
        .apply(Event::Reactivate, Actor::Staff, &policy, now())
        .unwrap();
    assert_eq!(back.account.state(), AccountState::Created);
    assert!(back.effects.is_empty());
}

#[test]
fn network_pin_users_activate_with_their_pin_only() {
    let policy = LifecyclePolicy::default();
    assert!(
        create(
            UserKind::Pin,
            provisioned(WayIn::Invitation),
            Actor::Staff,
            &policy
        )
        .is_err()
    );
    let pin = create(
        UserKind::Pin,
        provisioned(WayIn::Pin),
        Actor::Staff,
        &policy,
    )
    .unwrap();
    assert_eq!(pin.account.state(), AccountState::Invited);
    assert!(pin.effects.is_empty(), "PIN users get no mail");
    let a = pin.account;
    assert!(
        a.apply(
            Event::Activate {
                method: ActivationMethod::EmailLink
            },
            Actor::User,
            &policy,
            now()
        )
        .is_err()
    );
    assert!(
        a.apply(Event::ResendInvitation, Actor::Staff, &policy, now())
            .is_err()
    );
    let t = a
        .apply(
            Event::Activate {
                method: ActivationMethod::Pin,
            },
            Actor::User,
            &policy,
            now(),
        )
        .unwrap();
    assert_eq!(t.account.state(), AccountState::Active);
    assert!(
        t.account
            .apply(Event::ResendWelcome, Actor::Staff, &policy, now())
            .is_err()
    );
    // A standard user cannot use a PIN.
    let std = create(
        UserKind::Standard,
        provisioned(WayIn::Invitation),
        Actor::Staff,
        &policy,
    )
    .unwrap()
    .account;
    assert!(
        std.apply(
            Event::Activate {
                method: ActivationMethod::Pin
            },
            Actor::User,
            &policy,
            now()
        )
        .is_err()
    );
    // A PIN user blocked before activating resumes with the PIN as the way in, silently.
    let blocked = a
        .apply(Event::Block, Actor::Staff, &policy, now())
        .unwrap()
        .account;
    let back = blocked
        .apply(Event::Unblock, Actor::Staff, &policy, now())
        .unwrap();
    assert_eq!(back.account.state(), AccountState::Invited);
    assert!(back.effects.is_empty());
}

#[test]
fn network_guests_join_only_where_allowed() {
    let mut policy = LifecyclePolicy::default();
    let join = Creation::SelfSignUp { verified: true };
    assert!(create(UserKind::Guest, join, Actor::User, &policy).is_err());
    policy.sign_up.guest_self_join = true;
    assert_eq!(
        create(UserKind::Guest, join, Actor::User, &policy)
            .unwrap()
            .account
            .state(),
        AccountState::Active
    );
    // Guest self-join does not open self sign-up for members.
    assert!(create(UserKind::Standard, join, Actor::User, &policy).is_err());
}

#[test]
fn agency_password_now_invitation_later() {
    let policy = LifecyclePolicy::default();
    let t = create(
        UserKind::Standard,
        provisioned(WayIn::Password),
        Actor::Staff,
        &policy,
    )
    .unwrap();
    assert_eq!(t.account.state(), AccountState::Active);
    assert!(t.effects.is_empty());
    let t = t
        .account
        .apply(Event::Invite, Actor::Staff, &policy, now())
        .unwrap();
    assert_eq!(
        (t.account.state(), t.effects),
        (AccountState::Active, vec![Effect::SendInvitation])
    );
}

#[test]
fn partner_portal_invitation_optional_and_sent_later() {
    let policy = LifecyclePolicy::default();
    let t = create(
        UserKind::Standard,
        provisioned(WayIn::None),
        Actor::Staff,
        &policy,
    )
    .unwrap();
    assert_eq!(t.account.state(), AccountState::Created);
    assert!(!t.account.capabilities().may_sign_in);
    let t = t
        .account
        .apply(Event::Invite, Actor::Staff, &policy, now())
        .unwrap();
    assert_eq!(t.account.state(), AccountState::Invited);
    let t = t
        .account
        .apply(
            Event::Activate {
                method: ActivationMethod::InvitationLink,
            },
            Actor::User,
            &policy,
            now(),
        )
        .unwrap();
    assert_eq!(t.account.state(), AccountState::Active);
}

#[test]
fn workforce_creation_methods() {
    let mut policy = LifecyclePolicy::default();
    // Integration with an activation email/SMS.
    let t = create(
        UserKind::Standard,
        provisioned(WayIn::Activation),
        Actor::System,
        &policy,
    )
    .unwrap();
    assert_eq!(
        (t.account.state(), t.effects.clone()),
        (AccountState::Invited, vec![Effect::SendActivation])
    );
    for method in [
        ActivationMethod::EmailLink,
        ActivationMethod::SmsCode,
        ActivationMethod::OneTimePassword,
    ] {
        let a = t
            .account
            .apply(Event::Activate { method }, Actor::User, &policy, now())
            .unwrap();
        assert_eq!(a.account.state(), AccountState::Active);
    }
    // One-time password from the import template: a way in, nothing sent.
    let t = create(
        UserKind::Standard,
        provisioned(WayIn::OneTimePassword),
        Actor::Staff,
        &policy,
    )
    .unwrap();
    assert_eq!(
        (t.account.state(), t.effects.len()),
        (AccountState::Invited, 0)
    );
    // SSO just in time, only where enabled.
    assert!(
        create(
            UserKind::Standard,
            Creation::SsoFirstLogin,
            Actor::System,
            &policy
        )
        .is_err()
    );
    policy.sso_just_in_time = true;
    let t = create(
        UserKind::Standard,
        Creation::SsoFirstLogin,
        Actor::System,
        &policy,
    )
    .unwrap();
    assert_eq!(t.account.state(), AccountState::Active);
    assert!(
        create(
            UserKind::Standard,
            Creation::SsoFirstLogin,
            Actor::User,
            &policy
        )
        .is_err()
    );
    // Users never provision.
    assert!(
        create(
            UserKind::Standard,
            provisioned(WayIn::Password),
            Actor::User,
            &policy
        )
        .is_err()
    );
    // Self sign-up, unverified: an activation goes out.
    policy.sign_up.enabled = true;
    let t = create(
        UserKind::Standard,
        Creation::SelfSignUp { verified: false },
        Actor::User,
        &policy,
    )
    .unwrap();
    assert_eq!(
        (t.account.state(), t.effects),
        (AccountState::Invited, vec![Effect::SendActivation])
    );
}

#[test]
fn helpdesk_pending_inactive_blocked() {
    let mut policy = LifecyclePolicy::default();
    policy.sign_up.enabled = true;
    policy.sign_up.needs_approval = true;
    // Staff-created occupants are active at once, with a welcome email.
    let t = create(
        UserKind::Standard,
        provisioned(WayIn::Welcome),
        Actor::Staff,
        &policy,
    )
    .unwrap();
    assert_eq!(
        (t.account.state(), t.effects),
        (AccountState::Active, vec![Effect::SendWelcome])
    );
    // Self sign-up, unverified, needing approval: staff are told, an activation goes out.
    let t = create(
        UserKind::Standard,
        Creation::SelfSignUp { verified: false },
        Actor::User,
        &policy,
    )
    .unwrap();
    assert_eq!(t.account.state(), AccountState::PendingApproval);
    assert_eq!(
        t.effects,
        vec![Effect::NotifyStaffOfPendingSignUp, Effect::SendActivation]
    );
    // Verifying while pending keeps it pending; approval then makes it active.
    let t = t
        .account
        .apply(
            Event::Activate {
                method: ActivationMethod::EmailLink,
            },
            Actor::User,
            &policy,
            now(),
        )
        .unwrap();
    assert_eq!(t.account.state(), AccountState::PendingApproval);
    let active = t
        .account
        .apply(Event::Approve, Actor::Staff, &policy, now())
        .unwrap();
    assert_eq!(
        (active.account.state(), active.effects),
        (AccountState::Active, vec![Effect::SendWelcome])
    );
    // Approval before verification: the user still has to activate.
    let unverified = create(
        UserKind::Standard,
        Creation::SelfSignUp { verified: false },
        Actor::User,
        &policy,
    )
    .unwrap()
    .account;
    let t = unverified
        .apply(Event::Approve, Actor::Staff, &policy, now())
        .unwrap();
    assert_eq!(t.account.state(), AccountState::Invited);
    // Inactive: the occupant reactivates themselves (self sign-up is on).
    let inactive = active
        .account
        .apply(Event::Deactivate, Actor::Staff, &policy, now())
        .unwrap()
        .account;
    assert_eq!(
        inactive
            .apply(Event::Reactivate, Actor::User, &policy, now())
            .unwrap()
            .account
            .state(),
        AccountState::Active
    );
    // Blocked: not even with self sign-up on.
    let blocked = active
        .account
        .apply(Event::Block, Actor::Staff, &policy, now())
        .unwrap()
        .account;
    assert!(
        blocked
            .apply(Event::Reactivate, Actor::User, &policy, now())
            .is_err()
    );
    assert!(
        blocked
            .apply(Event::Delete, Actor::User, &policy, now())
            .is_err()
    );
    assert!(
        blocked
            .apply(Event::Unblock, Actor::System, &policy, now())
            .is_err()
    );
    assert_eq!(
        blocked
            .apply(Event::Unblock, Actor::Staff, &policy, now())
            .unwrap()
            .account
            .state(),
        AccountState::Active
    );
    // Rejecting deletes.
    let pending = create(
        UserKind::Standard,
        Creation::SelfSignUp { verified: true },
        Actor::User,
        &policy,
    )
    .unwrap()
    .account;
    assert_eq!(
        pending
            .apply(Event::Reject, Actor::Staff, &policy, now())
            .unwrap()
            .account
            .state(),
        AccountState::Deleted
    );
}

#[test]
fn invitations_expire_resend_and_revoke() {
    let mut rng = StdRng::seed_from_u64(1);
    let user = UserId::generate(now(), &mut rng);
    let ttl = LifecyclePolicy::default().invitation_ttl();
    assert_eq!(ttl, Duration::days(7));
    let mut inv = Invitation::issue(user, now(), ttl).unwrap();
    assert_eq!((inv.generation(), inv.user()), (1, user));
    assert!(inv.is_usable(now() + Duration::days(6)));
    assert_eq!(
        inv.check(1, now() + Duration::days(7)),
        Err(LifecycleError::Invitation(InvitationProblem::Expired))
    );
    // Resend: the old link is dead, the new one works with a fresh expiry.
    let later = now() + Duration::days(8);
    assert_eq!(inv.resend(later, ttl).unwrap(), 2);
    assert_eq!(
        inv.check(1, later),
        Err(LifecycleError::Invitation(InvitationProblem::Superseded))
    );
    assert!(inv.check(2, later + Duration::days(6)).is_ok());
    // Revoke.
    inv.revoke(later).unwrap();
    assert_eq!(
        inv.check(2, later),
        Err(LifecycleError::Invitation(InvitationProblem::Revoked))
    );
    assert!(inv.revoke(later).is_err());
    // Resend revives; accept once.
    inv.resend(later, ttl).unwrap();
    inv.accept(3, later).unwrap();
    assert_eq!(
        inv.accept(3, later),
        Err(LifecycleError::Invitation(
            InvitationProblem::AlreadyAccepted
        ))
    );
    assert!(inv.resend(later, ttl).is_err());
    assert!(matches!(inv.status(), InvitationStatus::Accepted(_)));
    // Silly validities are refused.
    assert!(Invitation::issue(user, now(), Duration::zero()).is_err());
    assert!(Invitation::issue(user, now(), Duration::days(91)).is_err());
}

#[test]
fn sign_up_placement_with_links_domains_and_choices() {
    let mut rng = StdRng::seed_from_u64(2);
    let org = OrgId::generate(now(), &mut rng);
    let (sales, ops, night) = (
        DepartmentId::generate(now(), &mut rng),
        DepartmentId::generate(now(), &mut rng),
        DepartmentId::generate(now(), &mut rng),
    );
    let cashier = JobProfileId::generate(now(), &mut rng);
    let mut policy = SignUpPolicy {
        enabled: true,
        ..Default::default()
    };
    policy.defaults.department = Some(sales);
    policy.defaults.permission_type = Some("employee".into());

    let req = SignUpRequest::default();
    let p = policy.place(org, &req, None, now()).unwrap();
    assert_eq!(
        (p.department, p.permission_type.as_deref()),
        (Some(sales), Some("employee"))
    );

    // Allowed domains.
    policy.allowed_email_domains = vec![EmailDomain::parse("acme.example").unwrap()];
    assert_eq!(
        policy.place(org, &req, None, now()),
        Err(LifecycleError::SignUp(SignUpProblem::EmailRequired))
    );
    let outsider = SignUpRequest {
        email: Some(Email::parse("x@evil.example").unwrap()),
        ..Default::default()
    };
    assert_eq!(
        policy.place(org, &outsider, None, now()),
        Err(LifecycleError::SignUp(SignUpProblem::DomainNotAllowed))
    );
    let insider = SignUpRequest {
        email: Some(Email::parse("x@ACME.example").unwrap()),
        ..Default::default()
    };
    assert!(policy.place(org, &insider, None, now()).is_ok());

    // A department link carries its own defaults.
    let mut link = SignUpLink {
        code: SignUpCode::generate(&mut rng),
        org,
        department: night,
        job_profile: Some(cashier),
        permission_type: None,
        expires_at: Some(now() + Duration::days(30)),
        revoked: false,
    };
    let p = policy.place(org, &insider, Some(&link), now()).unwrap();
    assert_eq!(
        (p.department, p.job_profile, p.permission_type.as_deref()),
        (Some(night), Some(cashier), Some("employee"))
    );
    assert!(
        link.url("https://app.example/")
            .ends_with(&format!("/signup/{}", link.code))
    );
    assert!(
        link.url("https://app.example/")
            .starts_with("https://app.example/signup/")
    );
    assert_eq!(
        policy.place(org, &insider, Some(&link), now() + Duration::days(30)),
        Err(LifecycleError::SignUp(SignUpProblem::LinkExpired))
    );
    let other = OrgId::generate(now(), &mut rng);
    assert_eq!(
        policy.place(other, &insider, Some(&link), now()),
        Err(LifecycleError::SignUp(SignUpProblem::LinkForOtherOrg(org)))
    );
    link.revoked = true;
    assert_eq!(
        policy.place(org, &insider, Some(&link), now()),
        Err(LifecycleError::SignUp(SignUpProblem::LinkRevoked))
    );

    // User-chosen departments.
    policy.department_choice = DepartmentChoice::UserChooses([sales, ops].into());
    assert_eq!(
        policy.place(org, &insider, None, now()),
        Err(LifecycleError::SignUp(SignUpProblem::DepartmentRequired))
    );
    let chose_night = SignUpRequest {
        chosen_department: Some(night),
        ..insider.clone()
    };
    assert_eq!(
        policy.place(org, &chose_night, None, now()),
        Err(LifecycleError::SignUp(
            SignUpProblem::DepartmentNotSelectable(night)
        ))
    );
    let chose_ops = SignUpRequest {
        chosen_department: Some(ops),
        ..insider
    };
    assert_eq!(
        policy
            .place(org, &chose_ops, None, now())
            .unwrap()
            .department,
        Some(ops)
    );

    // Disabled, and guests.
    policy.enabled = false;
    assert_eq!(
        policy.place(org, &chose_ops, None, now()),
        Err(LifecycleError::SignUp(SignUpProblem::Disabled))
    );
    let guest = SignUpRequest {
        as_guest: true,
        ..chose_ops
    };
    assert_eq!(
        policy.place(org, &guest, None, now()),
        Err(LifecycleError::SignUp(SignUpProblem::GuestJoinDisabled))
    );
    policy.guest_self_join = true;
    assert!(policy.place(org, &guest, None, now()).is_ok());
}

#[test]
fn signing_up_again_with_an_existing_identifier() {
    let mut policy = LifecyclePolicy::default();
    policy.sign_up.enabled = true;
    let active = create(
        UserKind::Standard,
        provisioned(WayIn::Password),
        Actor::Staff,
        &policy,
    )
    .unwrap()
    .account;
    let problem = |r: Result<Transition, LifecycleError>| match r {
        Err(LifecycleError::SignUp(p)) => Some(p),
        _ => None,
    };
    assert_eq!(
        problem(active.sign_up_again(&policy, now())),
        Some(SignUpProblem::AlreadyRegistered)
    );
    // A blocked user cannot sign up again.
    let blocked = active
        .apply(Event::Block, Actor::Staff, &policy, now())
        .unwrap()
        .account;
    assert_eq!(
        problem(blocked.sign_up_again(&policy, now())),
        Some(SignUpProblem::Blocked)
    );
    // An inactive one reactivates (help desk), but only where self sign-up is on.
    let inactive = active
        .apply(Event::Deactivate, Actor::Staff, &policy, now())
        .unwrap()
        .account;
    assert_eq!(
        inactive
            .sign_up_again(&policy, now())
            .unwrap()
            .account
            .state(),
        AccountState::Active
    );
    let off = LifecyclePolicy::default();
    assert!(matches!(
        inactive.sign_up_again(&off, now()),
        Err(LifecycleError::IllegalTransition { .. })
    ));
    // Created by staff, never activated: a fresh activation goes out.
    let created = create(
        UserKind::Standard,
        provisioned(WayIn::None),
        Actor::Staff,
        &policy,
    )
    .unwrap()
    .account;
    let t = created.sign_up_again(&policy, now()).unwrap();
    assert_eq!(
        (t.account.state(), t.effects),
        (
            AccountState::Invited,
            vec![Effect::RevokeInvitation, Effect::SendActivation]
        )
    );
    // Consumers and deleted accounts are not signed up this way.
    let consumer = create(
        UserKind::Consumer,
        provisioned(WayIn::None),
        Actor::Staff,
        &policy,
    )
    .unwrap()
    .account;
    assert_eq!(
        problem(consumer.sign_up_again(&policy, now())),
        Some(SignUpProblem::AlreadyRegistered)
    );
    let deleted = active
        .apply(Event::Delete, Actor::Staff, &policy, now())
        .unwrap()
        .account;
    assert!(matches!(
        deleted.sign_up_again(&policy, now()),
        Err(LifecycleError::IllegalTransition { .. })
    ));
}

//! One-time passwords, PINs, tokens, codes, generated passwords and the throttle.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_credentials::*;
use tenantry_identity::UserId;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn setup() -> (StdRng, UserId, UserId) {
    let mut rng = StdRng::seed_from_u64(11);
    let a = UserId::generate(now(), &mut rng);
    let b = UserId::generate(now(), &mut rng);
    (rng, a, b)
}

const FAST: HashParams = HashParams::INSECURE_FAST_FOR_TESTS;

#[test]
fn generated_passwords_meet_the_policy_and_avoid_look_alikes() {
    let (mut rng, ..) = setup();
    let policy = PasswordPolicy::default();
    let ctx = PolicyContext::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let p = generate_password(&policy, &ctx, &mut rng).unwrap();
        assert_eq!(p.expose().chars().count(), GENERATED_CHARS);
        assert!(p.expose().bytes().all(|b| UNAMBIGUOUS.contains(&b)));
        assert!(!p.expose().contains(['0', 'O', 'o', '1', 'l', 'I']));
        assert!(policy.check(&p, &ctx).is_ok());
        assert!(seen.insert(p.expose().to_owned()));
    }
    let long = PasswordPolicy {
        min_chars: 40,
        ..Default::default()
    };
    assert_eq!(
        generate_password(&long, &ctx, &mut rng)
            .unwrap()
            .expose()
            .len(),
        40
    );
    let unsound = PasswordPolicy {
        min_chars: 4,
        ..Default::default()
    };
    assert!(generate_password(&unsound, &ctx, &mut rng).is_err());
}

#[test]
fn one_time_passwords_expire_and_work_once() {
    let (mut rng, alice, _) = setup();
    let otp_text = Password::new("Welcome-Import-7319");
    let mut otp = OneTimePassword::issue(
        alice,
        &otp_text,
        now(),
        OneTimePassword::DEFAULT_TTL,
        &FAST,
        &mut rng,
    )
    .unwrap();
    assert_eq!(otp.expires_at(), now() + Duration::days(7));
    assert_eq!(
        otp.redeem(&Password::new("wrong guess here"), now()),
        Err(CredentialError::Mismatch("one-time password"))
    );
    assert_eq!(
        otp.redeem(&otp_text, now()).unwrap(),
        MustSetPassword { user: alice }
    );
    assert_eq!(
        otp.redeem(&otp_text, now()),
        Err(CredentialError::AlreadyUsed("one-time password"))
    );

    let mut late =
        OneTimePassword::issue(alice, &otp_text, now(), Duration::days(7), &FAST, &mut rng)
            .unwrap();
    assert_eq!(
        late.redeem(&otp_text, now() + Duration::days(7)),
        Err(CredentialError::Expired("one-time password"))
    );
    assert!(
        OneTimePassword::issue(alice, &otp_text, now(), Duration::zero(), &FAST, &mut rng).is_err()
    );
    assert!(
        !serde_json::to_string(&otp)
            .unwrap()
            .contains("Welcome-Import")
    );
}

#[test]
fn pins_are_sealed_per_user_and_lock_after_ten_failures() {
    let (mut rng, alice, bob) = setup();
    let key = PinKey::new(1, &[7u8; 32]).unwrap();
    let keys = [key.clone()];
    let (mut record, pin) = PinRecord::issue(alice, DEFAULT_PIN_DIGITS, &key, &mut rng).unwrap();
    assert_eq!(pin.expose().len(), 8);
    assert!(pin.expose().bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(format!("{pin:?}"), "Pin([redacted])");
    assert_eq!(format!("{key:?}"), "PinKey(1, [redacted])");
    // The export reveals it; the stored form does not contain it.
    assert_eq!(record.reveal(&keys).unwrap(), pin);
    assert!(!record.sealed().as_str().contains(pin.expose()));
    // Multi-use until reset.
    record.verify(&pin, &keys).unwrap();
    record.verify(&pin, &keys).unwrap();
    // Moved to another user, it does not open.
    assert_eq!(
        record.sealed().open(bob, &keys),
        Err(CredentialError::UnsealFailed)
    );
    // A wrong key does not open it.
    assert_eq!(
        record.reveal(&[PinKey::new(1, &[8u8; 32]).unwrap()]),
        Err(CredentialError::UnsealFailed)
    );
    assert_eq!(
        record.reveal(&[PinKey::new(2, &[7u8; 32]).unwrap()]),
        Err(CredentialError::UnsealFailed)
    );
    // Ten failures lock it, even against the right PIN.
    let wrong = Pin::parse(if pin.expose() == "00000000" {
        "11111111"
    } else {
        "00000000"
    })
    .unwrap();
    // `matches` compares without counting (for callers that count elsewhere).
    assert_eq!(record.matches(&pin, &keys), Ok(true));
    assert_eq!(record.matches(&wrong, &keys), Ok(false));
    assert_eq!(record.failures(), 0);
    for i in 1..MAX_PIN_FAILURES {
        assert_eq!(
            record.verify(&wrong, &keys),
            Err(CredentialError::Mismatch("PIN")),
            "attempt {i}"
        );
    }
    assert_eq!(
        record.verify(&wrong, &keys),
        Err(CredentialError::PinLocked)
    );
    assert_eq!(record.verify(&pin, &keys), Err(CredentialError::PinLocked));
    assert_eq!(record.matches(&pin, &keys), Err(CredentialError::PinLocked));
    assert!(record.is_locked());
    // An admin reset issues a new PIN and unlocks.
    let (mut record, new_pin) =
        PinRecord::issue(alice, DEFAULT_PIN_DIGITS, &key, &mut rng).unwrap();
    record.verify(&new_pin, &keys).unwrap();
    // Key rotation.
    let key2 = PinKey::new(2, &[9u8; 32]).unwrap();
    record.reseal(&keys, &key2, &mut rng).unwrap();
    assert_eq!(record.sealed().key_id().unwrap(), 2);
    assert_eq!(
        record.reveal(&[key.clone(), key2.clone()]).unwrap(),
        new_pin
    );
    // Bad input.
    assert!(
        Pin::parse("12345").is_err()
            && Pin::parse("12345a").is_err()
            && Pin::parse("1234 5678").is_ok()
    );
    assert!(Pin::generate(5, &mut rng).is_err());
    assert_eq!(
        PinKey::new(1, &[0u8; 31]).unwrap_err(),
        CredentialError::InvalidKey
    );
    assert!(serde_json::from_str::<SealedPin>("\"v1:1:zz:zz\"").is_err());
    assert!(serde_json::from_str::<SealedPin>("\"v2:1:00:00\"").is_err());
}

#[test]
fn tokens_are_bound_to_purpose_user_and_time() {
    let (mut rng, alice, bob) = setup();
    let p = TokenPurpose::Invitation;
    let (raw, mut record) =
        issue_token(p, alice, now(), p.default_ttl(), Some(3), &mut rng).unwrap();
    assert_eq!(raw.expose().len(), 43);
    assert_eq!(record.context, Some(3));
    assert_eq!(record.hash, TokenHash::of(p, &raw));
    assert_ne!(TokenHash::of(TokenPurpose::AutoLogin, &raw), record.hash);
    assert_eq!(
        record.check(&raw, TokenPurpose::PasswordReset, None, now()),
        Err(CredentialError::WrongPurpose)
    );
    assert_eq!(
        record.check(&raw, p, Some(bob), now()),
        Err(CredentialError::WrongUser)
    );
    assert_eq!(
        record.check(&raw, p, None, now() + Duration::days(7)),
        Err(CredentialError::Expired("token"))
    );
    assert_eq!(
        record.check(&RawToken::new("guess"), p, None, now()),
        Err(CredentialError::Mismatch("token"))
    );
    assert_eq!(record.redeem(&raw, p, Some(alice), now()).unwrap(), alice);
    assert_eq!(
        record.redeem(&raw, p, None, now()),
        Err(CredentialError::AlreadyUsed("token"))
    );

    // A newer token of the same purpose supersedes the older; others don't.
    let (_, newer) = issue_token(
        p,
        alice,
        now() + Duration::minutes(1),
        p.default_ttl(),
        None,
        &mut rng,
    )
    .unwrap();
    let (_, other_purpose) = issue_token(
        TokenPurpose::AutoLogin,
        alice,
        now(),
        Duration::minutes(15),
        None,
        &mut rng,
    )
    .unwrap();
    let (_, other_user) = issue_token(p, bob, now(), p.default_ttl(), None, &mut rng).unwrap();
    assert!(newer.supersedes(&record));
    assert!(!record.supersedes(&newer) && !newer.supersedes(&newer));
    assert!(!newer.supersedes(&other_purpose) && !newer.supersedes(&other_user));

    // Defaults.
    assert_eq!(
        TokenPurpose::PasswordReset.default_ttl(),
        Duration::hours(1)
    );
    assert_eq!(TokenPurpose::Invitation.default_ttl(), Duration::days(7));
    assert_eq!(TokenPurpose::AutoLogin.default_ttl(), Duration::minutes(15));
    assert!(issue_token(p, alice, now(), Duration::days(91), None, &mut rng).is_err());
}

#[test]
fn links_come_from_the_configured_base_only() {
    let (mut rng, alice, _) = setup();
    let (raw, _) = issue_token(
        TokenPurpose::ConsumerRegistration,
        alice,
        now(),
        Duration::days(30),
        None,
        &mut rng,
    )
    .unwrap();
    let b = LinkBuilder::new(" https://intranet.example.com/app/ ").unwrap();
    let link = b.link(TokenPurpose::ConsumerRegistration, &raw);
    assert_eq!(
        link.expose(),
        format!(
            "https://intranet.example.com/app/registration/{}",
            raw.expose()
        )
    );
    assert_eq!(format!("{link:?}"), "Link([redacted])");
    for bad in [
        "",
        "intranet.example.com",
        "ftp://x.example",
        "https://",
        "https://x.example/?a=b",
        "https://x.example/#f",
        "https://evil@x.example",
        "https://x .example",
    ] {
        assert_eq!(
            LinkBuilder::new(bad),
            Err(CredentialError::InvalidBaseUrl),
            "{bad}"
        );
    }
    assert!(LinkBuilder::new("http://localhost:8080").is_ok());
}

#[test]
fn codes_expire_limit_attempts_and_keep_count_across_new_codes() {
    let (mut rng, alice, _) = setup();
    let s = CodeSettings::default();
    let (code, mut record) =
        CodeRecord::issue(alice, CodeChannel::Sms, now(), None, &s, &mut rng).unwrap();
    assert_eq!(code.expose().len(), 6);
    assert_eq!(record.expires_at(), now() + Duration::minutes(10));
    let wrong = Code::new(if code.expose() == "000000" {
        "111111"
    } else {
        "000000"
    });
    for _ in 0..4 {
        assert_eq!(
            record.verify(&wrong, now()),
            Err(CredentialError::Mismatch("code"))
        );
    }
    // A new code inherits the four wrong attempts: one guess left.
    let (code2, mut record2) =
        CodeRecord::issue(alice, CodeChannel::Sms, now(), Some(&record), &s, &mut rng).unwrap();
    assert_eq!(record2.attempts(), 4);
    assert_eq!(
        record2.verify(&wrong, now()),
        Err(CredentialError::Mismatch("code"))
    );
    assert_eq!(
        record2.verify(&code2, now()),
        Err(CredentialError::TooManyAttempts)
    );
    // After the window, a new code starts fresh.
    let later = now() + Duration::hours(2);
    let (code3, mut record3) =
        CodeRecord::issue(alice, CodeChannel::Sms, later, Some(&record2), &s, &mut rng).unwrap();
    assert_eq!(record3.attempts(), 0);
    assert_eq!(
        record3
            .verify(&Code::new(format!(" {} ", code3.expose())), later)
            .unwrap(),
        alice
    );
    assert_eq!(
        record3.verify(&code3, later),
        Err(CredentialError::AlreadyUsed("code"))
    );
    // Expiry.
    let (code4, mut record4) =
        CodeRecord::issue(alice, CodeChannel::Email, later, None, &s, &mut rng).unwrap();
    assert_eq!(
        record4.verify(&code4, later + Duration::minutes(10)),
        Err(CredentialError::Expired("code"))
    );
    let _ = code;
}

/// NIST SP 800-63B-4 §3.2.2: at most 100 consecutive failures, however long the attacker
/// waits between locks; a success (a password reset, in the directory) lifts it.
#[test]
fn no_more_than_a_hundred_failures_in_a_row_over_any_period() {
    let policy = ThrottlePolicy::default();
    let mut a = Attempts::default();
    let mut t = now();
    let mut failures = 0;
    // A patient guesser: each attempt at the earliest moment allowed, for a month.
    let end = t + Duration::days(30);
    while t < end {
        match policy.check(&a, t) {
            ThrottleDecision::Allow => {
                policy.record_failure(&mut a, t);
                failures += 1;
            }
            ThrottleDecision::Wait { until } | ThrottleDecision::Locked { until } => t = until,
            _ => break,
        }
    }
    assert_eq!(failures, 100);
    assert_ne!(
        policy.check(&a, end + Duration::days(365)),
        ThrottleDecision::Allow
    );
    policy.record_success(&mut a);
    assert_eq!(policy.check(&a, end), ThrottleDecision::Allow);
}

#[test]
fn throttle_delays_then_locks_then_forgets() {
    let policy = ThrottlePolicy::default();
    policy.validate().unwrap();
    let mut a = Attempts::default();
    let mut t = now();
    for _ in 0..5 {
        assert_eq!(policy.check(&a, t), ThrottleDecision::Allow);
        policy.record_failure(&mut a, t);
    }
    // Sixth failure: 1 s wait, then 2 s, 4 s...
    assert_eq!(policy.check(&a, t), ThrottleDecision::Allow);
    policy.record_failure(&mut a, t);
    assert_eq!(
        policy.check(&a, t),
        ThrottleDecision::Wait {
            until: t + Duration::seconds(1)
        }
    );
    t += Duration::seconds(1);
    assert_eq!(policy.check(&a, t), ThrottleDecision::Allow);
    policy.record_failure(&mut a, t);
    assert_eq!(
        policy.check(&a, t),
        ThrottleDecision::Wait {
            until: t + Duration::seconds(2)
        }
    );
    // Keep failing at the earliest moment until the lock.
    while a.locked_until.is_none() {
        if let ThrottleDecision::Wait { until } = policy.check(&a, t) {
            t = until;
        }
        assert_eq!(policy.check(&a, t), ThrottleDecision::Allow);
        policy.record_failure(&mut a, t);
    }
    assert_eq!(a.failures, 20);
    let until = t + Duration::hours(1);
    assert_eq!(
        policy.check(&a, t + Duration::minutes(59)),
        ThrottleDecision::Locked { until }
    );
    assert_eq!(policy.check(&a, until), ThrottleDecision::Allow);
    // Success resets; a long quiet forgets.
    policy.record_success(&mut a);
    assert_eq!(a, Attempts::default());
    policy.record_failure(&mut a, t);
    policy.record_failure(&mut a, t);
    let mut b = a;
    policy.record_failure(&mut b, t + Duration::hours(13));
    assert_eq!(b.failures, 1);
    assert!(
        ThrottlePolicy {
            lock_after: 3,
            ..Default::default()
        }
        .validate()
        .is_err()
    );
}

#[test]
fn notification_settings_links_work_until_they_expire() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let p = TokenPurpose::NotificationSettings;
    assert!(!p.single_use());
    assert!(
        TokenPurpose::ALL
            .iter()
            .filter(|q| **q != p)
            .all(|q| q.single_use())
    );
    let alice = UserId::generate(now(), &mut rng);
    let (raw, mut record) = issue_token(p, alice, now(), p.default_ttl(), None, &mut rng).unwrap();
    for _ in 0..3 {
        assert_eq!(record.redeem(&raw, p, None, now()).unwrap(), alice);
    }
    assert_eq!(record.used_at, None);
    assert_eq!(
        record.redeem(&raw, p, None, now() + Duration::days(30)),
        Err(CredentialError::Expired("token"))
    );
    assert_eq!(
        record.check(&raw, TokenPurpose::ConsumerRegistration, None, now()),
        Err(CredentialError::WrongPurpose)
    );
}

/// A code's validity and wrong attempts are capped: at most an hour, at most ten.
#[test]
fn code_settings_beyond_the_caps_are_refused() {
    use tenantry_credentials::{
        CodeChannel, CodeRecord, CodeSettings, MAX_CODE_ATTEMPTS, MAX_CODE_TTL_SECS,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let user = tenantry_identity::UserId::generate(now(), &mut rng);
    let issue = |settings: CodeSettings, rng: &mut rand::rngs::StdRng| {
        CodeRecord::issue(user, CodeChannel::Sms, now(), None, &settings, rng)
    };
    for settings in [
        CodeSettings {
            max_attempts: MAX_CODE_ATTEMPTS + 1,
            ..CodeSettings::default()
        },
        CodeSettings {
            max_attempts: 1_000_000,
            ..CodeSettings::default()
        },
        CodeSettings {
            ttl_secs: MAX_CODE_TTL_SECS + 1,
            ..CodeSettings::default()
        },
        CodeSettings {
            ttl_secs: 365 * 86_400,
            ..CodeSettings::default()
        },
    ] {
        assert!(
            matches!(
                issue(settings, &mut rng),
                Err(CredentialError::InvalidSetting(_))
            ),
            "{settings:?}"
        );
    }
    let edge = CodeSettings {
        max_attempts: MAX_CODE_ATTEMPTS,
        ttl_secs: MAX_CODE_TTL_SECS,
        ..CodeSettings::default()
    };
    assert!(issue(edge, &mut rng).is_ok());
}

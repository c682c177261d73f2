//! Properties: tokens verify only for their purpose and user and before expiry; any changed
//! character fails; no stored form contains the raw secret; the throttle never lets more
//! through than its limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_credentials::*;
use tenantry_identity::UserId;

fn purpose() -> impl Strategy<Value = TokenPurpose> {
    (0..TokenPurpose::ALL.len()).prop_map(|i| TokenPurpose::ALL[i])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn tokens_verify_only_where_they_should(
        seed in any::<u64>(), issued in purpose(), presented in purpose(),
        ttl_secs in 1i64..100_000, at_secs in 0i64..200_000, same_user in any::<bool>(),
        flip in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_-]",
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let owner = UserId::generate(now, &mut rng);
        let other = UserId::generate(now, &mut rng);
        let (raw, record) = issue_token(issued, owner, now, Duration::seconds(ttl_secs), None, &mut rng).unwrap();
        let at = now + Duration::seconds(at_secs);
        let claimed = if same_user { owner } else { other };
        let result = record.check(&raw, presented, Some(claimed), at);
        let should = presented == issued && same_user && at_secs < ttl_secs;
        prop_assert_eq!(result.is_ok(), should);

        // Any changed character fails.
        let mut chars: Vec<char> = raw.expose().chars().collect();
        let i = flip.index(chars.len());
        let new = replacement.chars().next().unwrap();
        if chars[i] != new {
            chars[i] = new;
            let changed = RawToken::new(chars.into_iter().collect::<String>());
            prop_assert!(record.check(&changed, issued, Some(owner), now).is_err());
        }
        // The stored form never holds the raw token.
        let stored = serde_json::to_string(&record).unwrap();
        prop_assert!(!stored.contains(raw.expose()));
    }

    #[test]
    fn stored_forms_hold_no_raw_secret(seed in any::<u64>()) {
        let mut rng = StdRng::seed_from_u64(seed);
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let user = UserId::generate(now, &mut rng);
        let key = PinKey::new(1, &[(seed as u8) | 1; 32]).unwrap(); // never all zero
        let (pin_record, pin) = PinRecord::issue(user, 8, &key, &mut rng).unwrap();
        prop_assert!(!serde_json::to_string(&pin_record).unwrap().contains(pin.expose()));
        let (code, code_record) = CodeRecord::issue(user, CodeChannel::Sms, now, None, &CodeSettings::default(), &mut rng).unwrap();
        let stored = serde_json::to_string(&code_record).unwrap();
        let quoted = format!("\"{}\"", code.expose());
        prop_assert!(!stored.contains(&quoted));
        let password = generate_password(&PasswordPolicy::default(), &PolicyContext::new(), &mut rng).unwrap();
        let hash = hash_password(&password, &HashParams::INSECURE_FAST_FOR_TESTS, &mut rng).unwrap();
        prop_assert!(!hash.as_str().contains(password.expose()));
        let debug = format!("{password:?}{pin:?}{code:?}");
        prop_assert!(!debug.contains(pin.expose()) && !debug.contains(password.expose()));
    }

    #[test]
    fn the_throttle_never_lets_more_through_than_its_limit(
        gaps in prop::collection::vec(prop_oneof![3 => 0i64..3, 1 => 0i64..4_000], 1..200), successes in prop::collection::vec(any::<bool>(), 200),
    ) {
        let policy = ThrottlePolicy::default();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut attempts = Attempts::default();
        let mut t = start;
        let mut allowed_failures: Vec<chrono::DateTime<Utc>> = Vec::new();
        for (gap, success) in gaps.iter().zip(successes.iter()) {
            t += Duration::seconds(*gap);
            match policy.check(&attempts, t) {
                ThrottleDecision::Allow => {
                    // Successes are rare in an attack; one in eight attempts here.
                    if *success && gap % 8 == 0 {
                        policy.record_success(&mut attempts);
                        // NIST limits consecutive failures: a success starts a new run.
                        check_window(&policy, &allowed_failures)?;
                        allowed_failures.clear();
                    } else {
                        policy.record_failure(&mut attempts, t);
                        allowed_failures.push(t);
                        prop_assert!(attempts.failures <= policy.lock_after);
                    }
                }
                ThrottleDecision::Locked { until } => prop_assert!(until > t),
                ThrottleDecision::Wait { until } => prop_assert!(until > t),
                ThrottleDecision::Suspended => {
                    prop_assert!(allowed_failures.len() >= policy.max_consecutive as usize)
                }
            }
            // NIST SP 800-63B-4 §3.2.2: never more than the cap in a row, over any period.
            prop_assert!(allowed_failures.len() <= policy.max_consecutive as usize);
        }
        check_window(&policy, &allowed_failures)?;
    }
}

/// In any window of one lock period, at most `lock_after` consecutive failures got through.
fn check_window(
    policy: &ThrottlePolicy,
    failures: &[chrono::DateTime<Utc>],
) -> Result<(), TestCaseError> {
    let window = Duration::seconds(policy.lock_secs);
    for (i, first) in failures.iter().enumerate() {
        let within = failures[i..]
            .iter()
            .take_while(|t| **t < *first + window)
            .count();
        prop_assert!(
            within <= policy.lock_after as usize,
            "{} failures within an hour",
            within
        );
    }
    Ok(())
}

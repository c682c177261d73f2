//! Properties: no input makes a constructor panic; placeholder emails are valid and unique;
//! serde round trips are the identity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use tenantry_identity::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_constructor_panics(s in any::<String>(), region in "[A-Za-z]{0,3}") {
        let _ = Email::parse(&s);
        let _ = EmailDomain::parse(&s);
        let _ = Username::parse(&s);
        let _ = Phone::parse(&s);
        let _ = PhoneRegion::from_iso(&region).map(|r| Phone::parse_with_region(&s, Some(r)));
        let _ = Language::parse(&s);
        let _ = ExternalId::parse(&s);
        let _ = NamePart::parse(&s);
        let _ = DisplayName::parse(&s);
        let _ = Name::parse(&s);
        let _ = AvatarRef::parse(&s);
        let _ = SignUpCode::parse(&s);
        let _ = LoginIdentifier::parse(&s);
        let _ = s.parse::<UserId>();
        let _ = UserKind::parse(&s);
        let _ = transliterate(&s);
        let mut a = Attributes::new();
        let _ = a.insert(&s, &s);
    }

    #[test]
    fn no_panic_on_email_shaped_input(local in "[ -~]{0,70}", domain in "[ -~]{0,70}") {
        let input = format!("{local}@{domain}");
        if let Ok(e) = Email::parse(&input) {
            // Whatever is accepted parses again to itself and keeps its parts.
            prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
            prop_assert!(e.as_str().len() <= MAX_EMAIL_BYTES);
            prop_assert_eq!(format!("{}@{}", e.local_part(), e.domain()), e.as_str());
        }
    }

    #[test]
    fn phone_numbers_are_e164(s in "[+0-9 ()/.-]{0,24}") {
        if let Ok(p) = Phone::parse_with_region(&s, PhoneRegion::from_iso("DE").ok()) {
            let text = p.as_str();
            prop_assert!(text.starts_with('+'));
            prop_assert!((8..=16).contains(&text.len()));
            prop_assert!(text[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(Phone::parse(text).unwrap(), p.clone());
        }
    }

    #[test]
    fn language_tags_are_canonical_and_stable(s in "[a-zA-Z0-9_-]{1,20}") {
        if let Ok(l) = Language::parse(&s) {
            prop_assert_eq!(Language::parse(l.as_str()).unwrap(), l.clone());
            prop_assert!(Language::parse(&l.as_str().to_uppercase()).is_ok());
        }
    }

    #[test]
    fn placeholder_emails_are_valid_and_unique(
        names in prop::collection::vec((any::<String>(), any::<String>()), 1..40),
        preset in prop::collection::vec("[a-z.]{1,12}", 0..10),
    ) {
        let domain = EmailDomain::parse("pins.example.com").unwrap();
        let mut taken: HashSet<String> = preset.iter().map(|l| format!("{l}@pins.example.com")).collect();
        for (first, last) in names {
            let (Ok(first), Ok(last)) = (NamePart::parse(&first), NamePart::parse(&last)) else { continue };
            let email = placeholder_email(&first, &last, &domain, |a| taken.contains(a)).unwrap();
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            prop_assert_eq!(email.domain(), "pins.example.com");
            prop_assert!(taken.insert(email.key()), "{} was taken", email);
        }
    }

    #[test]
    fn serde_round_trips(
        first in "\\PC{1,20}", last in "\\PC{1,20}", local in "[a-z0-9._+-]{1,20}",
        user_name in "[a-z][a-z0-9._-]{2,20}", ext in "\\PC{1,30}", millis in 0i64..4_000_000_000_000,
        seed in any::<u64>(), kind_index in 0usize..4, attr in "[a-z]{1,8}", value in "\\PC{0,30}",
    ) {
        use rand::SeedableRng;
        let now = Utc.timestamp_millis_opt(millis).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let kind = UserKind::ALL[kind_index];
        let (Ok(first), Ok(last), Ok(email), Ok(username), Ok(ext)) = (
            NamePart::parse(&first), NamePart::parse(&last), Email::parse(&format!("{local}@example.com")),
            Username::parse(&user_name), ExternalId::parse(&ext),
        ) else { return Ok(()) };
        let mut attributes = Attributes::new();
        attributes.insert(&attr, &value).unwrap();
        let profile = Profile {
            first_name: Some(first), last_name: Some(last),
            phone: Some(Phone::parse("+49 170 1234567").unwrap()),
            language: Some(Language::parse("de-AT").unwrap()),
            department: Some(DepartmentId::generate(now, &mut rng)),
            attributes,
            ..Profile::default()
        };
        let ids = if kind == UserKind::Pin {
            LoginIdentifiers { placeholder_email: Some(email), external_id: Some(ext), username: Some(username), ..Default::default() }
        } else {
            LoginIdentifiers { email: Some(email), external_id: Some(ext), username: Some(username), ..Default::default() }
        };
        let mut user = User::new(UserId::generate(now, &mut rng), OrgId::generate(now, &mut rng), kind, profile, ids, now).unwrap();
        user.set_location_access(LocationAccess::Specific([LocationId::generate(now, &mut rng)].into()), now);
        let json = serde_json::to_string(&user).unwrap();
        prop_assert_eq!(serde_json::from_str::<User>(&json).unwrap(), user.clone());

        let mut org = Organization::new(OrgId::generate(now, &mut rng), Some(user.org()), Name::parse("Acme").unwrap(), now);
        org.settings.pin_users = Some(PinUserSettings { domain: EmailDomain::parse("pins.example.com").unwrap() });
        org.settings.required_fields = RequiredFields::workforce();
        let json = serde_json::to_string(&org).unwrap();
        prop_assert_eq!(serde_json::from_str::<Organization>(&json).unwrap(), org);

        let mut group = Group::new(GroupId::generate(now, &mut rng), user.org(), Name::parse("Acme Co.").unwrap(), now);
        group.locations = LocationScope::All;
        let json = serde_json::to_string(&group).unwrap();
        prop_assert_eq!(serde_json::from_str::<Group>(&json).unwrap(), group);

        let dept = Department {
            id: DepartmentId::generate(now, &mut rng), org: user.org(), name: Name::parse("Sales").unwrap(),
            sign_up_code: Some(SignUpCode::generate(&mut rng)), created_at: now, version: 3,
        };
        let json = serde_json::to_string(&dept).unwrap();
        prop_assert_eq!(serde_json::from_str::<Department>(&json).unwrap(), dept);
    }
}

#[test]
fn deserializing_a_user_that_breaks_its_kind_is_refused() {
    let json = r#"{"id":"0190b3a2-7c00-7000-8000-000000000001","org":"0190b3a2-7c00-7000-8000-000000000002",
        "kind":"pin","identifiers":{"email":"a@example.com"},
        "created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}"#;
    let err = serde_json::from_str::<User>(json).unwrap_err();
    assert!(
        err.to_string()
            .contains("a pin user cannot have this identifier: email"),
        "{err}"
    );
}

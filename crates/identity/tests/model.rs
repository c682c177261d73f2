//! The rules of the model: user kinds, required fields, organizations and their tree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use chrono::{DateTime, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_identity::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(42)
}

fn email(s: &str) -> Option<Email> {
    Some(Email::parse(s).unwrap())
}

fn user(kind: UserKind, profile: Profile, ids: LoginIdentifiers) -> Result<User, ModelError> {
    let mut rng = rng();
    User::new(
        UserId::generate(now(), &mut rng),
        OrgId::generate(now(), &mut rng),
        kind,
        profile,
        ids,
        now(),
    )
}

fn phone() -> Option<Phone> {
    Some(Phone::parse("+49 170 1234567").unwrap())
}

#[test]
fn standard_users_need_an_email_or_a_username_and_a_phone() {
    let with_email = LoginIdentifiers {
        email: email("ann@example.com"),
        ..Default::default()
    };
    assert!(user(UserKind::Standard, Profile::default(), with_email).is_ok());

    let username = LoginIdentifiers {
        username: Some(Username::parse("worker7").unwrap()),
        ..Default::default()
    };
    let err = user(UserKind::Standard, Profile::default(), username.clone()).unwrap_err();
    assert_eq!(
        err,
        ModelError::MissingIdentifier {
            kind: UserKind::Standard,
            needs: "an email, or a username and a phone"
        }
    );
    assert_eq!(
        err.to_string(),
        "a standard user needs an email, or a username and a phone"
    );
    let with_phone = Profile {
        phone: phone(),
        ..Default::default()
    };
    assert!(user(UserKind::Standard, with_phone, username).is_ok());

    let placeholder = LoginIdentifiers {
        email: email("ann@example.com"),
        placeholder_email: email("ann@pins.example.com"),
        ..Default::default()
    };
    assert_eq!(
        user(UserKind::Standard, Profile::default(), placeholder).unwrap_err(),
        ModelError::ForbiddenIdentifier {
            kind: UserKind::Standard,
            field: IdentifierField::PlaceholderEmail
        }
    );
}

#[test]
fn consumers_need_an_email() {
    assert!(
        user(
            UserKind::Consumer,
            Profile::default(),
            LoginIdentifiers::default()
        )
        .is_err()
    );
    let ids = LoginIdentifiers {
        email: email("crm@example.com"),
        ..Default::default()
    };
    let c = user(UserKind::Consumer, Profile::default(), ids).unwrap();
    assert_eq!(c.mailbox().map(Email::as_str), Some("crm@example.com"));
}

#[test]
fn pin_users_have_placeholder_and_external_id_and_no_real_email() {
    let good = LoginIdentifiers {
        placeholder_email: email("max.muster@pins.example.com"),
        external_id: Some(ExternalId::parse("4711").unwrap()),
        ..Default::default()
    };
    let pin = user(UserKind::Pin, Profile::default(), good.clone()).unwrap();
    assert_eq!(pin.mailbox(), None);
    assert_eq!(
        pin.sign_in_email().map(Email::as_str),
        Some("max.muster@pins.example.com")
    );
    assert_eq!(pin.display_name(), "max.muster");

    let no_external = LoginIdentifiers {
        external_id: None,
        ..good.clone()
    };
    assert!(matches!(
        user(UserKind::Pin, Profile::default(), no_external),
        Err(ModelError::MissingIdentifier {
            kind: UserKind::Pin,
            ..
        })
    ));
    let with_real = LoginIdentifiers {
        email: email("max@example.com"),
        ..good
    };
    assert_eq!(
        user(UserKind::Pin, Profile::default(), with_real).unwrap_err(),
        ModelError::ForbiddenIdentifier {
            kind: UserKind::Pin,
            field: IdentifierField::Email
        }
    );
}

#[test]
fn changes_keep_the_rules() {
    let ids = LoginIdentifiers {
        username: Some(Username::parse("worker7").unwrap()),
        ..Default::default()
    };
    let mut u = user(
        UserKind::Standard,
        Profile {
            phone: phone(),
            ..Default::default()
        },
        ids,
    )
    .unwrap();
    let later = now() + chrono::Duration::hours(1);
    // Dropping the phone of a username-only user is refused, and nothing changes.
    assert!(u.set_profile(Profile::default(), later).is_err());
    assert!(u.profile().phone.is_some());
    assert_eq!(u.updated_at(), now());
    // The workforce platform's FAQ: an email added later; then either identifier signs in.
    let mut more = u.identifiers().clone();
    more.email = email("Worker7@Example.com");
    u.set_identifiers(more, later).unwrap();
    assert!(u.has_login(&LoginIdentifier::parse("WORKER7").unwrap()));
    assert!(u.has_login(&LoginIdentifier::parse("worker7@example.com").unwrap()));
    assert!(!u.has_login(&LoginIdentifier::parse("worker8").unwrap()));
    assert_eq!(u.updated_at(), later);
    // Now the phone may go.
    u.set_profile(Profile::default(), later).unwrap();

    // A consumer registering becomes a standard user.
    let mut c = user(
        UserKind::Consumer,
        Profile::default(),
        LoginIdentifiers {
            email: email("c@example.com"),
            ..Default::default()
        },
    )
    .unwrap();
    c.set_kind(UserKind::Standard, later).unwrap();
    assert_eq!(c.kind(), UserKind::Standard);
    // ... but not into a PIN user, which has no placeholder.
    assert!(c.set_kind(UserKind::Pin, later).is_err());
    assert_eq!(c.kind(), UserKind::Standard);
}

#[test]
fn login_keys_share_the_email_namespace() {
    let ids = LoginIdentifiers {
        username: Some(Username::parse("Max").unwrap()),
        placeholder_email: email("Max.M@Pins.Example.com"),
        external_id: Some(ExternalId::parse("EX-1").unwrap()),
        ..Default::default()
    };
    assert_eq!(
        ids.keys(),
        vec![
            LoginKey::Email("max.m@pins.example.com".into()),
            LoginKey::Username("max".into()),
            LoginKey::ExternalId("EX-1".into()),
        ]
    );
    assert!(matches!(
        LoginIdentifier::parse("a@b"),
        Err(ValueError {
            kind: ValueKind::Email,
            ..
        })
    ));
    assert!(matches!(
        LoginIdentifier::parse("x"),
        Err(ValueError {
            kind: ValueKind::Username,
            ..
        })
    ));
}

#[test]
fn required_fields_of_the_workforce_platform() {
    let required = RequiredFields::workforce();
    let ids = LoginIdentifiers {
        email: email("ann@example.com"),
        ..Default::default()
    };
    let mut rng = rng();
    let profile = Profile {
        first_name: Some(NamePart::parse("Ann").unwrap()),
        language: Some(Language::parse("de").unwrap()),
        department: Some(DepartmentId::generate(now(), &mut rng)),
        ..Default::default()
    };
    let u = user(UserKind::Standard, profile, ids.clone()).unwrap();
    let err = required.check(&u).unwrap_err();
    assert_eq!(
        err,
        ModelError::MissingRequiredFields {
            missing: vec![ProfileField::LastName, ProfileField::JobProfile]
        }
    );
    assert_eq!(
        err.to_string(),
        "required fields are missing: last_name, job_profile"
    );
    // Consumers are created from less.
    let c = user(UserKind::Consumer, Profile::default(), ids).unwrap();
    assert!(required.check(&c).is_ok());
    let mut custom = RequiredFields::none();
    custom.require(ProfileField::Phone);
    assert!(custom.check(&u).is_err());
}

#[test]
fn kinds_must_be_enabled_in_the_organization() {
    let mut rng = rng();
    let org = OrgId::generate(now(), &mut rng);
    let mut settings = OrgSettings::default();
    assert_eq!(settings.allows_kind(org, UserKind::Standard), Ok(()));
    assert_eq!(
        settings.allows_kind(org, UserKind::Guest),
        Err(ModelError::GuestsDisabled(org))
    );
    assert_eq!(
        settings.allows_kind(org, UserKind::Consumer),
        Err(ModelError::ConsumersDisabled(org))
    );
    assert_eq!(
        settings.allows_kind(org, UserKind::Pin),
        Err(ModelError::PinUsersDisabled(org))
    );
    settings.guests.enabled = true;
    settings.consumers_enabled = true;
    settings.pin_users = Some(PinUserSettings {
        domain: EmailDomain::parse("pins.example.com").unwrap(),
    });
    for kind in UserKind::ALL {
        assert_eq!(settings.allows_kind(org, kind), Ok(()));
    }
}

#[test]
fn contact_person_is_a_standard_member() {
    let mut rng = rng();
    let org_id = OrgId::generate(now(), &mut rng);
    let mut org = Organization::new(org_id, None, Name::parse("Acme").unwrap(), now());
    let ids = LoginIdentifiers {
        email: email("ann@acme.example"),
        ..Default::default()
    };
    let ann = User::new(
        UserId::generate(now(), &mut rng),
        org_id,
        UserKind::Standard,
        Profile::default(),
        ids.clone(),
        now(),
    )
    .unwrap();
    org.set_contact_person(&ann).unwrap();
    assert_eq!(org.contact_person, Some(ann.id()));

    let outsider = User::new(
        UserId::generate(now(), &mut rng),
        OrgId::generate(now(), &mut rng),
        UserKind::Standard,
        Profile::default(),
        ids.clone(),
        now(),
    )
    .unwrap();
    assert!(matches!(
        org.set_contact_person(&outsider),
        Err(ModelError::ContactPerson { .. })
    ));
    let guest = User::new(
        UserId::generate(now(), &mut rng),
        org_id,
        UserKind::Guest,
        Profile::default(),
        ids,
        now(),
    )
    .unwrap();
    assert!(matches!(
        org.set_contact_person(&guest),
        Err(ModelError::ContactPerson { .. })
    ));
    assert_eq!(org.contact_person, Some(ann.id()));
}

fn ids(n: usize) -> Vec<OrgId> {
    let mut rng = rng();
    (0..n)
        .map(|i| OrgId::generate(now() + chrono::Duration::milliseconds(i as i64), &mut rng))
        .collect()
}

#[test]
fn org_tree_partner_customers_and_cycles() {
    let o = ids(5);
    let (partner, acme, globex, acme_sub, other) = (o[0], o[1], o[2], o[3], o[4]);
    let mut tree = OrgTree::new();
    tree.insert(partner, None).unwrap();
    tree.insert(acme, Some(partner)).unwrap();
    tree.insert(globex, Some(partner)).unwrap();
    tree.insert(acme_sub, Some(acme)).unwrap();

    assert_eq!(
        tree.children(partner).collect::<Vec<_>>(),
        vec![acme, globex]
    );
    assert_eq!(tree.descendants(partner), vec![acme, acme_sub, globex]);
    assert_eq!(
        tree.ancestors(acme_sub).collect::<Vec<_>>(),
        vec![acme, partner]
    );
    assert!(tree.is_ancestor(partner, acme_sub));
    assert!(!tree.is_ancestor(acme_sub, partner));
    assert!(!tree.is_ancestor(acme, acme));
    assert_eq!(tree.depth(acme_sub), 2);
    assert_eq!(tree.roots().collect::<Vec<_>>(), vec![partner]);

    assert_eq!(
        tree.insert(other, Some(other)),
        Err(ModelError::SelfParent(other))
    );
    assert_eq!(
        tree.insert(acme, None),
        Err(ModelError::DuplicateOrganization(acme))
    );
    assert_eq!(
        tree.insert(other, Some(o[4])),
        Err(ModelError::SelfParent(other))
    );
    assert_eq!(
        tree.reparent(partner, Some(acme_sub)),
        Err(ModelError::Cycle {
            child: partner,
            parent: acme_sub
        })
    );
    assert_eq!(
        tree.reparent(acme, Some(acme)),
        Err(ModelError::SelfParent(acme))
    );
    assert_eq!(
        tree.reparent(other, None),
        Err(ModelError::UnknownOrganization(other))
    );
    // A legal move keeps the subtree.
    tree.reparent(acme, Some(globex)).unwrap();
    assert_eq!(tree.descendants(globex), vec![acme, acme_sub]);
    assert_eq!(tree.children(partner).collect::<Vec<_>>(), vec![globex]);

    assert_eq!(tree.remove(acme), Err(ModelError::HasChildren(acme)));
    tree.remove(acme_sub).unwrap();
    tree.remove(acme).unwrap();
    assert_eq!(tree.len(), 2);
}

#[test]
fn org_tree_from_edges_in_any_order_and_refusals() {
    let o = ids(4);
    let tree = OrgTree::from_edges([
        (o[2], Some(o[1])),
        (o[1], Some(o[0])),
        (o[0], None),
        (o[3], Some(o[0])),
    ])
    .unwrap();
    assert_eq!(tree.descendants(o[0]), vec![o[1], o[2], o[3]]);

    let cyc =
        OrgTree::from_edges([(o[0], None), (o[1], Some(o[2])), (o[2], Some(o[1]))]).unwrap_err();
    assert!(matches!(cyc, ModelError::Cycle { .. }));
    assert_eq!(
        OrgTree::from_edges([(o[0], Some(o[0]))]).unwrap_err(),
        ModelError::SelfParent(o[0])
    );
    assert_eq!(
        OrgTree::from_edges([(o[0], Some(o[1]))]).unwrap_err(),
        ModelError::UnknownOrganization(o[1])
    );
    assert_eq!(
        OrgTree::from_edges([(o[0], None), (o[0], None)]).unwrap_err(),
        ModelError::DuplicateOrganization(o[0])
    );
}

#[test]
fn org_tree_depth_is_capped() {
    let o = ids(OrgTree::MAX_DEPTH + 2);
    let mut tree = OrgTree::new();
    tree.insert(o[0], None).unwrap();
    for i in 1..=OrgTree::MAX_DEPTH {
        tree.insert(o[i], Some(o[i - 1])).unwrap();
    }
    let last = OrgTree::MAX_DEPTH + 1;
    assert_eq!(
        tree.insert(o[last], Some(o[last - 1])),
        Err(ModelError::TooDeep {
            max: OrgTree::MAX_DEPTH
        })
    );
}

#[test]
fn archived_groups_take_no_members() {
    let mut rng = rng();
    let mut g = Group::new(
        GroupId::generate(now(), &mut rng),
        OrgId::generate(now(), &mut rng),
        Name::parse("Acme Co.").unwrap(),
        now(),
    );
    let ann = UserId::generate(now(), &mut rng);
    assert_eq!(g.admit(ann, now()).unwrap().user, ann);
    g.archived = true;
    assert_eq!(g.admit(ann, now()), Err(ModelError::ArchivedGroup(g.id)));
}

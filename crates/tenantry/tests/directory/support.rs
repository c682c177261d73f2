//! What the directory's tests share beyond [`tenantry::testing`].

use chrono::{Duration, Utc};
use tenantry::*;
use tenantry_access::Catalog;
use tenantry_credentials::{Password, RawToken};
use tenantry_identity::*;
use tenantry_lifecycle::WayIn;

pub use tenantry::testing::{
    Inbox, World, admin_catalog as catalog, admin_role, agency_catalog, network_catalog,
};

/// A world with the small admin catalog.
pub async fn world_with(catalog: Catalog) -> World {
    tenantry::testing::WorldBuilder::new()
        .store(crate::store().await)
        .catalog(catalog)
        .build()
        .await
        .unwrap()
}

/// The token of the link for `purpose` in `message`.
pub fn token_from(message: &OutboxMessage, purpose: &str) -> RawToken {
    tenantry::testing::token_from(message, purpose).unwrap()
}

pub async fn world() -> World {
    world_with(catalog()).await
}

pub async fn enable_pin_users(w: &World) {
    let v = w.store.get(&RecordKey::Org(w.org)).await.unwrap().unwrap();
    let Record::Org(mut org) = v.value else {
        panic!()
    };
    org.org.settings.pin_users = Some(PinUserSettings {
        domain: EmailDomain::parse("pins.acme.example").unwrap(),
    });
    let mut cs = Changeset::new();
    cs.update(Record::Org(org), v.version);
    w.store.commit(cs).await.unwrap();
}

pub fn pin_user(first: &str, last: &str, external_id: &str) -> NewUser {
    NewUser {
        kind: UserKind::Pin,
        profile: Profile {
            first_name: Some(NamePart::parse(first).unwrap()),
            last_name: Some(NamePart::parse(last).unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            external_id: Some(ExternalId::parse(external_id).unwrap()),
            ..Default::default()
        },
        way_in: WayIn::Pin,
        password: None,
    }
}

pub fn standard(email: &str, way_in: WayIn) -> NewUser {
    NewUser {
        kind: UserKind::Standard,
        profile: Profile {
            first_name: Some(NamePart::parse("Bob").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(email).unwrap()),
            ..Default::default()
        },
        way_in,
        password: None,
    }
}

pub async fn outbox(store: &dyn Store, now: chrono::DateTime<Utc>) -> Vec<OutboxMessage> {
    store
        .pending_outbox(now + Duration::days(1), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.value)
        .collect()
}

/// The first sign-in with a password an admin set: refused until the user replaces it with
/// their own, which is returned.
pub async fn replace_admin_set_password(w: &World, identifier: &str, set: &Password) -> Password {
    assert!(matches!(
        w.dir.sign_in(identifier, set).await,
        Err(DirectoryError::PasswordChangeRequired)
    ));
    let own = Password::new("tangerine elephant carousel");
    w.dir.change_password(identifier, set, &own).await.unwrap();
    own
}

pub async fn with_bob(w: &World, way_in: WayIn) -> UserId {
    let mut bob = standard("bob@acme.example", way_in);
    if way_in == WayIn::Password {
        bob.password = Some(Password::new("purple monkey dishwasher"));
    }
    w.dir
        .create_user(Caller::User(w.admin), w.org, bob)
        .await
        .unwrap()
        .id
}

pub async fn configure(
    w: &World,
    f: impl FnOnce(&mut OrgSettings, &mut tenantry_lifecycle::LifecyclePolicy),
) {
    configure_org(w, Caller::User(w.admin), w.org, f).await;
}

pub async fn configure_org(
    w: &World,
    by: Caller,
    at: OrgId,
    f: impl FnOnce(&mut OrgSettings, &mut tenantry_lifecycle::LifecyclePolicy),
) {
    let Record::Org(mut org) = w
        .store
        .get(&RecordKey::Org(at))
        .await
        .unwrap()
        .unwrap()
        .value
    else {
        panic!()
    };
    f(&mut org.org.settings, &mut org.lifecycle);
    w.dir
        .configure_organization(by, at, org.org.settings, org.lifecycle)
        .await
        .unwrap();
}

pub fn form(w: &World, email: &str) -> SignUpForm {
    SignUpForm {
        org: w.org,
        as_guest: false,
        profile: Profile {
            first_name: Some(NamePart::parse("Sam").unwrap()),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(email).unwrap()),
            ..Default::default()
        },
        password: Password::new("purple monkey dishwasher"),
        chosen_department: None,
        link: None,
    }
}

/// A child organization of `w.org` whose first user becomes its contact person and admin.
pub async fn first_user_company(w: &World) -> OrgId {
    let company = w
        .dir
        .create_organization(
            Caller::User(w.admin),
            w.org,
            Name::parse("Company A/S").unwrap(),
        )
        .await
        .unwrap();
    configure_org(w, Caller::System, company, |s, _| {
        s.first_user_becomes_admin = true
    })
    .await;
    company
}

/// The network of the social intranet: guests, consumers and PIN users on; the groups Research (shown
/// to guests) and Internal.
pub async fn network_world() -> (World, GroupId, GroupId) {
    let w = world_with(network_catalog()).await;
    configure(&w, |s, _| {
        s.guests.enabled = true;
        s.consumers_enabled = true;
        s.pin_users = Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example").unwrap(),
        });
    })
    .await;
    let admin = Caller::User(w.admin);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let mut group = |name: &str, shown_to_guests: bool| {
        let mut g = Group::new(
            GroupId::generate(w.clock.now(), &mut rng),
            w.org,
            Name::parse(name).unwrap(),
            w.clock.now(),
        );
        g.visible_to_guests = shown_to_guests;
        g
    };
    let (research, internal) = (group("Research", true), group("Internal", false));
    let research = w.dir.create_group(admin, research).await.unwrap();
    let internal = w.dir.create_group(admin, internal).await.unwrap();
    (w, research, internal)
}

/// Delivers everything due; returns the report and the emails sent.
pub async fn deliver(w: &World) -> (DispatchReport, Vec<EmailMessage>) {
    let inbox = Inbox::default();
    let report = w.deliver(&inbox).await.unwrap();
    (report, inbox.mail())
}

pub fn link_in(text: &str, path: &str) -> RawToken {
    let marker = format!("https://app.example/{path}/");
    let start = text.rfind(&marker).unwrap() + marker.len();
    RawToken::new(
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect::<String>(),
    )
}

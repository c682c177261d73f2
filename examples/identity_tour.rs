//! A tour of the identity model (`cargo run --example identity_tour`).
//!
//! Builds an agency with two client organizations, users of every kind, PIN users with
//! placeholder emails, and an occupant with location access, printing each step. It uses
//! only `tenantry-identity`; the directory service's `quickstart` example will replace it as
//! the README's first command once that crate exists.

use std::collections::HashSet;
use std::error::Error;

use chrono::{TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_identity::{
    Email, EmailDomain, ExternalId, Group, GroupId, LocationAccess, LocationId, LocationScope,
    LoginIdentifier, LoginIdentifiers, Name, NamePart, OrgId, OrgTree, Organization, Phone,
    PhoneRegion, PinUserSettings, Profile, User, UserId, UserKind, Username, placeholder_email,
};

fn main() -> Result<(), Box<dyn Error>> {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .ok_or("bad date")?;
    let mut rng = StdRng::seed_from_u64(2026);

    // An agency with client organizations.
    let agency = Organization::new(
        OrgId::generate(now, &mut rng),
        None,
        Name::parse("Agency")?,
        now,
    );
    let mut tree = OrgTree::new();
    tree.insert(agency.id, None)?;
    let mut clients = Vec::new();
    for name in ["Bakery Ltd", "Garage GmbH"] {
        let client = Organization::new(
            OrgId::generate(now, &mut rng),
            Some(agency.id),
            Name::parse(name)?,
            now,
        );
        tree.insert(client.id, Some(agency.id))?;
        println!("organization {:<12} under {}", client.name, agency.name);
        clients.push(client);
    }
    match tree.reparent(agency.id, Some(clients[0].id)) {
        Err(e) => println!("refused: {e}"),
        Ok(()) => return Err("a cycle was accepted".into()),
    }

    // The workforce platform: a standard user by username + phone, who adds an email later.
    let region = PhoneRegion::from_iso("DE")?;
    let phone = Phone::parse_with_region("0170 1234567", Some(region))?;
    println!("phone \"0170 1234567\" in DE is {phone}");
    let ids = LoginIdentifiers {
        username: Some(Username::parse("baker.max")?),
        ..Default::default()
    };
    let profile = Profile {
        phone: Some(phone),
        ..Default::default()
    };
    let mut max = User::new(
        UserId::generate(now, &mut rng),
        clients[0].id,
        UserKind::Standard,
        profile,
        ids,
        now,
    )?;
    let mut with_email = max.identifiers().clone();
    with_email.email = Some(Email::parse("Max@Bakery.example")?);
    max.set_identifiers(with_email, now)?;
    for typed in ["BAKER.MAX", "max@bakery.example"] {
        println!(
            "sign-in as {typed:<20} finds max: {}",
            max.has_login(&LoginIdentifier::parse(typed)?)
        );
    }
    match LoginIdentifier::parse("max@@bakery") {
        Err(e) => println!("sign-in as max@@bakery: {e}"),
        Ok(_) => return Err("a bad address was accepted".into()),
    }

    // The social intranet: PIN users with placeholder emails on the configured domain.
    let mut garage = clients[1].clone();
    garage.settings.pin_users = Some(PinUserSettings {
        domain: EmailDomain::parse("pins.garage.example")?,
    });
    let domain = garage
        .settings
        .pin_users
        .as_ref()
        .map(|p| p.domain.clone())
        .ok_or("no domain")?;
    let mut taken = HashSet::new();
    for (i, (first, last)) in [
        ("Jürgen", "Weiß"),
        ("Jürgen", "Weiss"),
        ("Σοφία", "Παπαδοπούλου"),
    ]
    .into_iter()
    .enumerate()
    {
        let (first, last) = (NamePart::parse(first)?, NamePart::parse(last)?);
        let address = placeholder_email(&first, &last, &domain, |a| taken.contains(a))?;
        taken.insert(address.key());
        let ids = LoginIdentifiers {
            placeholder_email: Some(address),
            external_id: Some(ExternalId::parse(&format!("EMP-{:04}", i + 1))?),
            ..Default::default()
        };
        let profile = Profile {
            first_name: Some(first),
            last_name: Some(last),
            ..Default::default()
        };
        let pin = User::new(
            UserId::generate(now, &mut rng),
            garage.id,
            UserKind::Pin,
            profile,
            ids,
            now,
        )?;
        println!(
            "PIN user {:<24} signs in as {:<40} mailbox: {:?}",
            pin.display_name(),
            pin.sign_in_email().map(Email::as_str).unwrap_or("-"),
            pin.mailbox().map(Email::as_str)
        );
    }

    // The social intranet: what each kind may do by its nature.
    for kind in UserKind::ALL {
        println!(
            "{:<8} sign in: {:<5} network areas: {:<5} directories: {:<5} digests: {:<5}",
            kind.as_str(),
            kind.may_sign_in(),
            kind.sees_network_wide_areas(),
            kind.listed_in_directories(),
            kind.receives_digests()
        );
    }

    // The help desk: an occupant with access through a group.
    let (hq, annex) = (
        LocationId::generate(now, &mut rng),
        LocationId::generate(now, &mut rng),
    );
    let mut acme = Group::new(
        GroupId::generate(now, &mut rng),
        clients[0].id,
        Name::parse("Acme Co.")?,
        now,
    );
    acme.locations = LocationScope::Specific([annex].into());
    let occupant = LocationAccess::ViaGroups;
    println!(
        "occupant in {}: may file for annex: {}, for hq: {}",
        acme.name,
        occupant.allows(annex, [&acme.locations]),
        occupant.allows(hq, [&acme.locations])
    );
    Ok(())
}

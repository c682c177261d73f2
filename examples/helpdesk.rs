//! A building help desk: occupants with access to locations; groups for the
//! companies in the building, filled in bulk and archived; a welcome email (resent on
//! request); self sign-up waiting for approval (may file requests, may not sign in); what
//! inactive and blocked occupants may do. Run with `cargo run --example helpdesk`.

mod support;

use rand::SeedableRng;
use support::{App, Result, detail, person, step, user_with_email};
use tenantry::{Caller, Clock, SignUpForm, SystemClock};
use tenantry_access::{Area, Catalog, CatalogBuilder};
use tenantry_credentials::Password;
use tenantry_identity::{Email, Group, GroupId, LocationAccess, Name, UserKind};
use tenantry_lifecycle::{Event, LifecyclePolicy, WayIn};

fn catalog() -> Result<Catalog> {
    let mut b = CatalogBuilder::new();
    b.permission("desk.admin", Area::Admin, "run the help desk", &[])?;
    b.permission("requests.handle", Area::Network, "handle requests", &[])?;
    b.role("staff", "Staff", &["desk.admin", "requests.handle"])?;
    b.admin_permission("desk.admin");
    Ok(b.build()?)
}

#[tokio::main]
async fn main() -> Result {
    let app = App::start("helpdesk", catalog()?).await?;
    let dir = &app.dir;
    let (building, sid) = app
        .root(
            "Harbour House",
            ("Sid", "Staff"),
            "sid@harbour.example",
            "staff",
        )
        .await?;
    let staff = Caller::User(sid);
    let mut lifecycle = LifecyclePolicy::default();
    lifecycle.sign_up.enabled = true;
    lifecycle.sign_up.needs_approval = true;
    dir.configure_organization(staff, building, Default::default(), lifecycle)
        .await?;
    let lobby = dir
        .create_location(staff, building, Name::parse("Lobby")?)
        .await?;
    let roof = dir
        .create_location(staff, building, Name::parse("Roof terrace")?)
        .await?;
    step("Harbour House with the locations Lobby and Roof terrace; sign-up needs approval");

    // An occupant created by staff: active at once, with a welcome email.
    let occupant = user_with_email(
        UserKind::Standard,
        "Mona",
        "Manager",
        "mona@tenant.example",
        WayIn::Welcome,
    )?;
    let mona = dir.create_user(staff, building, occupant).await?.id;
    dir.set_location_access(staff, mona, LocationAccess::All)
        .await?;
    step("staff added the occupant mona@tenant.example with access to every location:");
    app.deliver().await?;
    let first = app.link("mona@tenant.example", "invitation")?;
    dir.change_account(staff, mona, Event::ResendWelcome)
        .await?;
    step("Mona lost the email; staff resend the welcome:");
    app.deliver().await?;
    let pw = Password::new("sunrise over the quay wall");
    detail(format!(
        "the first link now: {}",
        dir.accept_invitation(&first, &pw)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    ));
    dir.accept_invitation(&app.link("mona@tenant.example", "invitation")?, &pw)
        .await?;
    dir.sign_in("mona@tenant.example", &pw).await?;
    detail("Mona set her password with the new link and signed in");
    detail(format!(
        "may Mona file a request at the roof terrace? {}",
        dir.may_file_request(mona, roof.id).await?
    ));

    // A group per company in the building, filled in bulk, then archived.
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let now = SystemClock.now();
    let mut people = vec![mona];
    for i in 1..=4 {
        let new = user_with_email(
            UserKind::Standard,
            "Colleague",
            &format!("No{i}"),
            &format!("colleague{i}@tenant.example"),
            WayIn::None,
        )?;
        people.push(dir.create_user(staff, building, new).await?.id);
    }
    let group = Group::new(
        GroupId::generate(now, &mut rng),
        building,
        Name::parse("Tenant Co.")?,
        now,
    );
    let tenant_co = dir.create_group(staff, group).await?;
    let (added, removed) = dir.change_members(staff, tenant_co, &people, &[]).await?;
    step(format!(
        "group \"Tenant Co.\": {added} added, {removed} removed"
    ));
    dir.update_group(staff, tenant_co, |g| g.archived = true)
        .await?;
    let late = dir
        .change_members(staff, tenant_co, &[sid], &[])
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    step(format!(
        "Tenant Co. moved out and the group is archived; adding to it now: {late}"
    ));

    // Self sign-up: waits for approval; may file requests meanwhile, may not sign in.
    let form = SignUpForm {
        org: building,
        as_guest: false,
        profile: person("Nico", "Newcomer")?,
        identifiers: tenantry_identity::LoginIdentifiers {
            email: Some(Email::parse("nico@tenant.example")?),
            ..Default::default()
        },
        password: Password::new("purple monkey dishwasher"),
        chosen_department: None,
        link: None,
    };
    dir.sign_up(form.clone()).await?;
    step("nico@tenant.example signed up; the outbox delivers:");
    app.deliver().await?;
    let nico = dir
        .store()
        .user_by_login(&tenantry_identity::LoginKey::Email(
            "nico@tenant.example".into(),
        ))
        .await?
        .ok_or("the sign-up created no user")?
        .value
        .user
        .id();
    dir.set_location_access(staff, nico, LocationAccess::All)
        .await?;
    detail(format!(
        "before approval: may file a request in the lobby {}, may sign in {}",
        dir.may_file_request(nico, lobby.id).await?,
        dir.sign_in("nico@tenant.example", &form.password)
            .await
            .is_ok()
    ));
    dir.change_account(staff, nico, Event::Approve).await?;
    step("staff approve Nico; the activation link goes out:");
    app.deliver().await?;
    dir.activate(&app.link("nico@tenant.example", "activation")?, None)
        .await?;
    detail(format!(
        "after activation: may sign in {}",
        dir.sign_in("nico@tenant.example", &form.password)
            .await
            .is_ok()
    ));

    // Inactive and blocked.
    dir.change_account(staff, nico, Event::Deactivate).await?;
    detail(format!(
        "inactive: may file a request {}",
        dir.may_file_request(nico, lobby.id).await?
    ));
    dir.sign_up(form.clone()).await?;
    detail(format!(
        "signed up again while inactive: may sign in {} until the link to the mailbox is used",
        dir.sign_in("nico@tenant.example", &form.password)
            .await
            .is_ok()
    ));
    app.deliver().await?;
    dir.activate(&app.link("nico@tenant.example", "activation")?, None)
        .await?;
    detail(format!(
        "after the reactivation link: may sign in {}",
        dir.sign_in("nico@tenant.example", &form.password)
            .await
            .is_ok()
    ));
    dir.change_account(staff, nico, Event::Block).await?;
    dir.sign_up(form.clone()).await?;
    detail(format!(
        "blocked, then signed up again: may sign in {} (only staff unblock)",
        dir.sign_in("nico@tenant.example", &form.password)
            .await
            .is_ok()
    ));
    dir.change_account(staff, nico, Event::Unblock).await?;
    step(format!(
        "staff unblocked Nico: may sign in {}",
        dir.sign_in("nico@tenant.example", &form.password)
            .await
            .is_ok()
    ));
    Ok(())
}

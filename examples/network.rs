//! A social intranet: the four user kinds; a guest who sees exactly the groups
//! opened to guests; a consumer from a CRM sync who gets digests with a personal
//! registration link and registers; PIN users with placeholder emails, the PIN export and a
//! password set with the PIN. Run with `cargo run --example network`.

mod support;

use std::fs::File;

use rand::SeedableRng;
use support::{
    App, Result, SYSTEM, at, detail, may, out_dir, person, pin_user, role, step, user_with_email,
};
use tenantry::{
    Caller, Clock, DirectoryError, ExportKind, ExportRequest, Format, HostMessage,
    NotificationSettings, SharedArea, SystemClock, Topic, UserUpdate,
};
use tenantry_access::{Area, Catalog, CatalogBuilder, Change, Target};
use tenantry_credentials::Password;
use tenantry_identity::{
    EmailDomain, Group, GroupId, Name, OrgSettings, PinUserSettings, UserKind,
};
use tenantry_lifecycle::{LifecyclePolicy, WayIn};
use tenantry_tabular::Headers;

fn catalog() -> Result<Catalog> {
    let mut b = CatalogBuilder::new();
    b.permission("network.admin", Area::Admin, "administer the network", &[])?;
    b.permission(
        "feed.global.read",
        Area::Network,
        "read the global feed",
        &[],
    )?;
    b.permission("group.post", Area::Group, "post in a group", &[])?;
    b.role(
        "admin",
        "Admin",
        &["network.admin", "feed.global.read", "group.post"],
    )?;
    b.role("member", "Member", &["feed.global.read", "group.post"])?;
    b.role("guest", "Guest", &["group.post"])?;
    b.admin_permission("network.admin");
    Ok(b.build()?)
}

#[tokio::main]
async fn main() -> Result {
    let app = App::start("network", catalog()?).await?;
    let dir = &app.dir;
    let (net, ada) = app
        .root(
            "Acme Network",
            ("Ada", "Admin"),
            "ada@acme.example",
            "admin",
        )
        .await?;
    let admin = Caller::User(ada);
    let settings = OrgSettings {
        consumers_enabled: true,
        pin_users: Some(PinUserSettings {
            domain: EmailDomain::parse("pins.acme.example")?,
        }),
        guests: tenantry_identity::GuestSettings {
            enabled: true,
            ..Default::default()
        },
        ..OrgSettings::default()
    };
    dir.configure_organization(admin, net, settings, LifecyclePolicy::default())
        .await?;
    step("Acme Network: guests, consumers and PIN users switched on");

    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let now = SystemClock.now();
    let mut research = Group::new(
        GroupId::generate(now, &mut rng),
        net,
        Name::parse("Research")?,
        now,
    );
    research.visible_to_guests = true;
    let research = dir.create_group(admin, research).await?;
    let internal = Group::new(
        GroupId::generate(now, &mut rng),
        net,
        Name::parse("Internal")?,
        now,
    );
    let internal = dir.create_group(admin, internal).await?;
    step("groups: Research (open to guests) and Internal");

    // A guest: limited to the groups they are a member of.
    let guest = user_with_email(
        UserKind::Guest,
        "Gus",
        "Guest",
        "gus@partner.example",
        WayIn::Invitation,
    )?;
    let gus = dir.create_user(admin, net, guest).await?.id;
    match dir
        .change_grant(admin, at(gus, net), Change::Grant(role("member")?))
        .await
    {
        Err(DirectoryError::Refused(why)) => step(format!("the Member role for a guest: {why}")),
        other => return Err(format!("a guest got the member role: {other:?}").into()),
    }
    dir.change_grant(admin, at(gus, net), Change::Grant(role("guest")?))
        .await?;
    dir.change_members(admin, research, &[gus], &[]).await?;
    step("invited the guest gus@partner.example into Research:");
    app.deliver().await?;
    let pw = Password::new("consulting all the way down");
    dir.accept_invitation(&app.link("gus@partner.example", "invitation")?, &pw)
        .await?;
    dir.sign_in("gus@partner.example", &pw).await?;
    detail(format!(
        "Gus signed in; may post in Research: {}, in Internal: {}, read the global feed: {}",
        may(dir, gus, "group.post", Target::Group(research)).await?,
        may(dir, gus, "group.post", Target::Group(internal)).await?,
        may(dir, gus, "feed.global.read", Target::Org(net)).await?,
    ));

    // Channels beyond groups: the admin shares one with guests.
    let news = SharedArea::new("channel", "company-news")?;
    let board = SharedArea::new("channel", "board-room")?;
    dir.share_with_guests(admin, net, news.clone()).await?;
    detail(format!(
        "the channel company-news is shared with guests: Gus sees it {}, board-room {}",
        dir.may_see_area(gus, net, &news).await?,
        dir.may_see_area(gus, net, &board).await?
    ));

    // A consumer: no sign-in, digests with a personal registration link.
    let reader = user_with_email(
        UserKind::Consumer,
        "Rita",
        "Reader",
        "rita@crm.example",
        WayIn::None,
    )?;
    let rita = dir.create_user(SYSTEM, net, reader).await?.id;
    dir.change_members(admin, research, &[rita], &[]).await?;
    let refused = dir.sign_in("rita@crm.example", &pw).await.is_err();
    step(format!(
        "the CRM sync added the consumer rita@crm.example to Research (may sign in: {})",
        !refused
    ));
    let listing = dir
        .group_members(Caller::User(gus), research, None, 0)
        .await?;
    let names: Vec<String> = listing
        .members
        .into_iter()
        .map(|m| m.display_name)
        .collect();
    step(format!(
        "Research's member directory as Gus sees it: {}; notice: {} more receive digests",
        names.join(", "),
        listing.consumers_receiving_digests
    ));
    dir.send_digest(SYSTEM, rita, vec!["New in Research: the Q3 report".into()])
        .await?;
    step("the weekly digest goes out, with her registration link:");
    app.deliver().await?;
    // Her notification settings, through the link in the digest: no event invitations.
    let settings = app.link("rita@crm.example", "notifications")?;
    let no_events = NotificationSettings {
        muted: [Topic::EventInvitation].into(),
        ..NotificationSettings::default()
    };
    dir.set_notification_settings_by_link(&settings, no_events)
        .await?;
    let invitation = HostMessage {
        topic: Topic::EventInvitation,
        subject: "Summer party on Friday".into(),
        text: "Join us at 5 pm in the courtyard.".into(),
    };
    let recommendation = HostMessage {
        topic: Topic::Recommendation,
        subject: "Recommended: the Q3 report".into(),
        text: "Ada thinks you will like this post.".into(),
    };
    let sent_invitation = dir.send_message(SYSTEM, rita, invitation).await?;
    let sent_recommendation = dir.send_message(SYSTEM, rita, recommendation).await?;
    step(format!(
        "Rita muted event invitations through the digest's link; the host's event \
         invitation sent: {sent_invitation}, its post recommendation sent: {sent_recommendation} \
         (with her registration link):"
    ));
    app.deliver().await?;
    let own = Password::new("finally a full member now");
    let link = app.link("rita@crm.example", "registration")?;
    dir.register_consumer(&link, &own).await?;
    dir.sign_in("rita@crm.example", &own).await?;
    step("Rita registered through the link and signed in: she is a standard user now");
    app.deliver().await?;

    // PIN users: no email of their own; the admin hands out PINs from the export.
    let jurgen = dir
        .create_user(admin, net, pin_user("Jürgen", "Weiß", "EMP-7")?)
        .await?;
    let again = dir
        .create_user(admin, net, pin_user("Jürgen", "Weiß", "EMP-8")?)
        .await?;
    let address = |c: &tenantry::CreatedUser| {
        c.placeholder_email
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    step(format!(
        "two PIN users named Jürgen Weiß: {} and {}",
        address(&jurgen),
        address(&again)
    ));
    let path = out_dir()?.join("network-pins.csv");
    let rows = dir
        .export(
            admin,
            net,
            ExportRequest {
                kind: ExportKind::PinUsers,
                format: Format::Csv(Default::default()),
                headers: &Headers::default(),
            },
            File::create(&path)?,
        )
        .await?;
    step(format!(
        "exported {rows} PIN users with their PINs to {}",
        path.display()
    ));
    let export = std::fs::read_to_string(&path)?;
    let placeholder = address(&jurgen);
    let pin = export
        .lines()
        .find(|l| l.starts_with(&placeholder))
        .and_then(|l| l.rsplit(',').next())
        .ok_or("the PIN user is missing from the export")?;
    let shift = Password::new("assembly line shift password");
    dir.set_password_with_pin(&placeholder, pin, &shift).await?;
    dir.sign_in(&placeholder, &shift).await?;
    step(format!(
        "Jürgen set a password with his PIN and signed in as {placeholder}"
    ));
    app.deliver().await?;
    detail("(nothing is mailed to placeholder addresses)");

    // Renamed: the placeholder address stays (it is on the PIN list) unless asked.
    let renamed = UserUpdate {
        profile: Some(person("Jürgen", "Weißmann")?),
        ..UserUpdate::default()
    };
    dir.update_user(admin, jurgen.id, renamed).await?;
    dir.sign_in(&placeholder, &shift).await?;
    let regenerate = UserUpdate {
        regenerate_placeholder: true,
        ..UserUpdate::default()
    };
    let record = dir.update_user(admin, jurgen.id, regenerate).await?;
    let fresh = record
        .user
        .identifiers()
        .placeholder_email
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_default();
    step(format!(
        "Jürgen became Jürgen Weißmann: still {placeholder} until the admin regenerates it: {fresh}"
    ));
    Ok(())
}

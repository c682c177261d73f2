//! tenantry in one run: an agency with two client organizations on a SQLite file, an
//! invitation accepted, a consumer and PIN users, a spreadsheet import with one bad row, and
//! exports to CSV and XLSX in `./tenantry-out/`. Every message the directory would send is
//! printed instead. Run it with `cargo run --example quickstart`; each run starts afresh.

mod support;

use std::fs::File;

use support::{
    App, Result, SYSTEM, at, detail, may, out_dir, person, pin_user, role, step, user_with_email,
};
use tenantry::{Caller, ExportKind, ExportRequest, Format, ImportFormat, NewRootOrganization};
use tenantry_access::{Area, Catalog, CatalogBuilder, Change, GrantRef, Scope, Target};
use tenantry_credentials::Password;
use tenantry_identity::{Email, EmailDomain, Name, OrgSettings, PinUserSettings, UserKind};
use tenantry_lifecycle::{LifecyclePolicy, WayIn};
use tenantry_tabular::{CsvOptions, Headers};

/// What users may do in your product: permissions, grouped into roles.
fn catalog() -> Result<Catalog> {
    let mut b = CatalogBuilder::new();
    b.permission(
        "org.admin",
        Area::Admin,
        "manage the organization and its users",
        &[],
    )?;
    b.permission("orders.view", Area::Network, "see orders", &[])?;
    b.permission(
        "orders.manage",
        Area::Network,
        "change orders",
        &["orders.view"],
    )?;
    b.role(
        "admin",
        "Admin",
        &["org.admin", "orders.manage", "orders.view"],
    )?;
    b.role("staff", "Staff", &["orders.view"])?;
    b.admin_permission("org.admin");
    Ok(b.build()?)
}

#[tokio::main]
async fn main() -> Result {
    let app = App::start("quickstart", catalog()?).await?;
    let dir = &app.dir;
    step("opened tenantry-out/quickstart.db (SQLite, migrated on open)");

    // 1. The agency and its admin; her grant covers the agency's whole tree.
    let (agency, ada) = dir
        .create_root_organization(NewRootOrganization {
            name: Name::parse("Northwind Agency")?,
            admin_profile: person("Ada", "Lovelace")?,
            admin_email: Email::parse("ada@northwind.example")?,
            admin_password: Password::new("correct horse battery staple"),
            admin_grant: role("admin")?,
        })
        .await?;
    let ada_at_agency = GrantRef {
        user: ada,
        org: agency,
        scope: Scope::Subtree,
    };
    dir.change_grant(SYSTEM, ada_at_agency, Change::Grant(role("admin")?))
        .await?;
    let admin = Caller::User(ada);
    step("created the agency \"Northwind Agency\" with its admin ada@northwind.example");

    // 2. Two client organizations under it.
    let bakery = dir
        .create_organization(admin, agency, Name::parse("Bakery Ltd")?)
        .await?;
    let florist = dir
        .create_organization(admin, agency, Name::parse("Florist GmbH")?)
        .await?;
    step("created the client organizations \"Bakery Ltd\" and \"Florist GmbH\"");

    // 3. Invite a user; the invitation is a message with a link; accepting sets a password.
    let bob = user_with_email(
        UserKind::Standard,
        "Bob",
        "Baker",
        "bob@bakery.example",
        WayIn::Invitation,
    )?;
    let bob = dir.create_user(admin, bakery, bob).await?.id;
    dir.change_grant(admin, at(bob, bakery), Change::Grant(role("staff")?))
        .await?;
    step("invited bob@bakery.example to Bakery Ltd as Staff; the outbox delivers:");
    app.deliver().await?;
    let link = app.link("bob@bakery.example", "invitation")?;
    let password = Password::new("flour water salt yeast");
    dir.accept_invitation(&link, &password).await?;
    let signed_in = dir.sign_in("bob@bakery.example", &password).await?;
    step(format!(
        "Bob accepted the invitation and signed in (same user: {})",
        signed_in == bob
    ));
    let here = Target::Org(bakery);
    detail(format!(
        "may Bob see orders? {}; change them? {}",
        may(dir, bob, "orders.view", here).await?,
        may(dir, bob, "orders.manage", here).await?
    ));

    // 4. A consumer (no sign-in until they register) and two PIN users (no email).
    let consumers = OrgSettings {
        consumers_enabled: true,
        ..OrgSettings::default()
    };
    dir.configure_organization(admin, bakery, consumers, LifecyclePolicy::default())
        .await?;
    let carla = user_with_email(
        UserKind::Consumer,
        "Carla",
        "Customer",
        "carla@customer.example",
        WayIn::None,
    )?;
    dir.create_user(SYSTEM, bakery, carla).await?;
    step("added the consumer carla@customer.example to Bakery Ltd (from a CRM sync)");
    let pins = OrgSettings {
        pin_users: Some(PinUserSettings {
            domain: EmailDomain::parse("pins.florist.example")?,
        }),
        ..OrgSettings::default()
    };
    dir.configure_organization(admin, florist, pins, LifecyclePolicy::default())
        .await?;
    for (first, last, number) in [("Max", "Muster", "F-001"), ("Max", "Muster", "F-002")] {
        let created = dir
            .create_user(admin, florist, pin_user(first, last, number)?)
            .await?;
        let email = created
            .placeholder_email
            .map(|e| e.to_string())
            .unwrap_or_default();
        step(format!(
            "added the PIN user {first} {last} ({number}) to Florist GmbH: {email}"
        ));
    }

    // 5. Import a sheet: the dry run finds the bad row; the commit creates the rest.
    let sheet = "First name;Last name;Permission type;Email;Language\n\
                 Dora;Dough;staff;dora@bakery.example;en\n\
                 Ernst;Ofen;staff;ernst@bakery.example;de\n\
                 Fay;;staff;fay@bakery.example;en\n";
    let plan = dir
        .plan_import(admin, bakery, sheet.as_bytes(), ImportFormat::Csv)
        .await?;
    step(format!(
        "planned an import: {} to create, {} rejected",
        plan.create.len(),
        plan.rejected.len()
    ));
    for bad in &plan.rejected {
        detail(format!("rejected: {bad}"));
    }
    let outcome = dir.commit_import(admin, bakery, &plan).await?;
    step(format!(
        "imported {} users into Bakery Ltd",
        outcome.created.len()
    ));

    // 6. Exports.
    let out = out_dir()?;
    let csv = CsvOptions::default();
    let headers = Headers::default();
    let users = ExportKind::Users;
    let n = dir
        .export(
            admin,
            bakery,
            ExportRequest {
                kind: users,
                format: Format::Csv(csv),
                headers: &headers,
            },
            File::create(out.join("bakery-users.csv"))?,
        )
        .await?;
    dir.export(
        admin,
        bakery,
        ExportRequest {
            kind: users,
            format: Format::Xlsx,
            headers: &headers,
        },
        File::create(out.join("bakery-users.xlsx"))?,
    )
    .await?;
    let pins = ExportKind::PinUsers;
    let p = dir
        .export(
            admin,
            florist,
            ExportRequest {
                kind: pins,
                format: Format::Xlsx,
                headers: &headers,
            },
            File::create(out.join("florist-pins.xlsx"))?,
        )
        .await?;
    step(format!(
        "exported {n} Bakery users to tenantry-out/bakery-users.csv and .xlsx, \
         {p} PIN users with their PINs to tenantry-out/florist-pins.xlsx"
    ));
    step(format!(
        "Bakery Ltd has {} users, Florist GmbH {}",
        app.count_users(bakery).await?,
        app.count_users(florist).await?
    ));
    Ok(())
}

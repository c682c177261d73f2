//! An agency platform: the agency manages client organizations; an Org Admin per
//! client, added with a generated password; module permissions as checkboxes; "log in as"
//! to preview what a client sees (audited with its reason); an invitation that signs the
//! client in automatically. Run with `cargo run --example agency`.

mod support;

use std::fs::File;
use support::{App, Result, at, detail, may, out_dir, role, step, user_with_email};

use tenantry::{AuditQuery, Caller, ExportKind, ExportRequest, Format};
use tenantry_access::{
    Area, Catalog, CatalogBuilder, Change, GrantRef, Grantables, PermissionKey, Scope, Target,
};
use tenantry_credentials::{Password, generate_password};
use tenantry_identity::{Name, UserKind};
use tenantry_lifecycle::WayIn;
use tenantry_tabular::Headers;

/// The modules a client may be given, each a checkbox in the agency's UI.
const MODULES: [&str; 8] = [
    "home.view",
    "conversations.view",
    "analytics.view",
    "kb.edit",
    "channels.manage",
    "prompt.edit",
    "settings.edit",
    "custom-tabs.view",
];

fn catalog() -> Result<Catalog> {
    let mut b = CatalogBuilder::new();
    b.permission(
        "org.admin",
        Area::Admin,
        "edit organization info, invite users",
        &[],
    )?;
    for module in MODULES {
        b.permission(module, Area::Network, module, &[])?;
    }
    let mut admin = vec!["org.admin"];
    admin.extend(MODULES);
    b.role("admin", "Org Admin", &admin)?;
    b.admin_permission("org.admin");
    Ok(b.build()?)
}

#[tokio::main]
async fn main() -> Result {
    let app = App::start("agency", catalog()?).await?;
    let dir = &app.dir;
    let (agency, owner) = app
        .root(
            "Pixel Agency",
            ("Olga", "Owner"),
            "olga@pixel.example",
            "admin",
        )
        .await?;
    // The agency administers every client: its admin grant covers the subtree.
    let subtree = GrantRef {
        user: owner,
        org: agency,
        scope: Scope::Subtree,
    };
    let olga = Caller::User(owner);
    dir.change_grant(olga, subtree, Change::Grant(role("admin")?))
        .await?;
    step("Pixel Agency, administered by olga@pixel.example across all its clients");

    let bakery = dir
        .create_organization(olga, agency, Name::parse("Bakery Ltd")?)
        .await?;
    step("new client organization: Bakery Ltd");

    // "Add User" with a generated password; the first user becomes the client's Org Admin.
    let generated = generate_password(&Default::default(), &Default::default(), &mut rand::rng())?;
    let mut new = user_with_email(
        UserKind::Standard,
        "Bert",
        "Baker",
        "bert@bakery.example",
        WayIn::Password,
    )?;
    new.password = Some(generated.clone());
    let bert = dir.create_user(olga, bakery, new).await?.id;
    dir.change_grant(olga, at(bert, bakery), Change::Grant(role("admin")?))
        .await?;
    step(format!(
        "added bert@bakery.example as Org Admin with the generated password {}",
        generated.expose()
    ));

    // The Org Admin adds a helper and ticks two module checkboxes.
    let mut helper = user_with_email(
        UserKind::Standard,
        "Hanna",
        "Helper",
        "hanna@bakery.example",
        WayIn::Password,
    )?;
    helper.password = Some(Password::new("a passphrase long enough for her"));
    let hanna = dir
        .create_user(Caller::User(bert), bakery, helper)
        .await?
        .id;
    let boxes = Grantables {
        permissions: ["home.view", "conversations.view"]
            .into_iter()
            .map(PermissionKey::new)
            .collect::<std::result::Result<_, _>>()?,
        ..Grantables::new()
    };
    dir.change_grant(Caller::User(bert), at(hanna, bakery), Change::Grant(boxes))
        .await?;
    step("Bert added hanna@bakery.example with the modules Home and Conversations");
    let here = Target::Org(bakery);
    for module in ["conversations.view", "prompt.edit"] {
        detail(format!(
            "{module}: Hanna {}, Olga {}",
            may(dir, hanna, module, here).await?,
            may(dir, owner, module, here).await?
        ));
    }
    let why = dir.check(hanna, "prompt.edit", here).await?;
    detail(format!(
        "why Hanna may not edit the prompt: {}",
        why.explain(dir.catalog())
    ));

    // Bert may not give Hanna what he does not hold himself, nor demote himself.
    let escalate = dir
        .change_grant(
            Caller::User(hanna),
            at(hanna, bakery),
            Change::Grant(role("admin")?),
        )
        .await;
    detail(format!(
        "Hanna making herself Org Admin: {}",
        escalate.err().map(|e| e.to_string()).unwrap_or_default()
    ));

    // "Log in as" to preview the client, then the invitation that signs Bert in.
    dir.impersonate(owner, bert, "checking the dashboard before the invite")
        .await?;
    let audit = dir
        .store()
        .audit(&AuditQuery {
            subject: Some(bert),
            ..Default::default()
        })
        .await?;
    let entry = audit
        .iter()
        .find(|e| e.action == "user.impersonated")
        .ok_or("log in as was not audited")?;
    step(format!(
        "Olga logged in as Bert; the audit log says: {}, reason \"{}\"",
        entry.action,
        entry.detail.get("reason").map_or("", String::as_str)
    ));
    dir.send_login_link(olga, bert).await?;
    step("Olga sends Bert the invitation with automatic login:");
    app.deliver().await?;
    let link = app.link("bert@bakery.example", "auto-login")?;
    let who = dir.redeem_login_link(&link).await?;
    detail(format!("the link signs in Bert: {}", who == bert));
    detail(format!(
        "used twice: {}",
        dir.redeem_login_link(&link)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    ));
    let first = dir.sign_in("bert@bakery.example", &generated).await;
    step(format!(
        "Bert signs in with the generated password: {}",
        first.err().map(|e| e.to_string()).unwrap_or_default()
    ));
    let own = Password::new("sourdough starter every morning");
    dir.change_password("bert@bakery.example", &generated, &own)
        .await?;
    dir.sign_in("bert@bakery.example", &own).await?;
    detail("he chose his own password and signs in with it");

    // The regular audit: who is in the client's organization, and what may they do?
    let path = out_dir()?.join("agency-access-review.csv");
    dir.export(
        olga,
        bakery,
        ExportRequest {
            kind: ExportKind::AccessReview,
            format: Format::Csv(Default::default()),
            headers: &Headers::default(),
        },
        File::create(&path)?,
    )
    .await?;
    step(format!(
        "the access review of Bakery Ltd, in {}:",
        path.display()
    ));
    for line in std::fs::read_to_string(&path)?.lines() {
        detail(line);
    }
    Ok(())
}

//! A partner portal: the partner's customer companies, entitled to some
//! permissions; requirements between permissions (revoking one takes its dependants with
//! it); the first user of a company becomes its contact person and admin; a customer
//! manager who administers the customers but not the partner; an invitation sent later; the
//! last admin who cannot be removed; resets by the admin and "Forgot your password?". Run
//! with `cargo run --example partner_portal`.

mod support;

use support::{App, Result, SYSTEM, at, detail, role, step, user_with_email};
use tenantry::Caller;
use tenantry_access::{
    Area, Catalog, CatalogBuilder, Change, GrantRef, Grantables, PermissionKey, Scope,
};
use tenantry_credentials::Password;
use tenantry_identity::{Name, OrgSettings, UserKind};
use tenantry_lifecycle::{Event, LifecyclePolicy, WayIn};

fn catalog() -> Result<Catalog> {
    let mut b = CatalogBuilder::new();
    b.permission("company.admin", Area::Admin, "administer the company", &[])?;
    b.permission("orders.view", Area::Network, "see orders", &[])?;
    b.permission(
        "orders.place",
        Area::Network,
        "place orders",
        &["orders.view"],
    )?;
    b.permission(
        "invoices.view",
        Area::Network,
        "see invoices",
        &["orders.view"],
    )?;
    b.permission("price-lists.edit", Area::Network, "edit price lists", &[])?;
    b.role(
        "admin",
        "Company Admin",
        &[
            "company.admin",
            "orders.view",
            "orders.place",
            "invoices.view",
        ],
    )?;
    b.role(
        "partner",
        "Partner Admin",
        &[
            "company.admin",
            "orders.view",
            "orders.place",
            "invoices.view",
            "price-lists.edit",
        ],
    )?;
    b.admin_permission("company.admin");
    Ok(b.build()?)
}

fn permissions(keys: &[&str]) -> Result<Grantables> {
    Ok(Grantables {
        permissions: keys
            .iter()
            .map(|k| PermissionKey::new(k))
            .collect::<std::result::Result<_, _>>()?,
        ..Grantables::new()
    })
}

#[tokio::main]
async fn main() -> Result {
    let app = App::start("partner_portal", catalog()?).await?;
    let dir = &app.dir;
    let (partner, pia) = app
        .root(
            "Parts Partner AS",
            ("Pia", "Partner"),
            "pia@partner.example",
            "partner",
        )
        .await?;
    let pia = Caller::User(pia);
    step("the partner \"Parts Partner AS\" with its admin pia@partner.example");

    // A customer company: entitled to ordering and invoices, not to price lists; its
    // first user becomes its contact person and admin.
    let customer = dir
        .create_organization(pia, partner, Name::parse("Customer AS")?)
        .await?;
    let entitled = [
        "company.admin",
        "orders.view",
        "orders.place",
        "invoices.view",
    ];
    dir.set_entitlements(
        SYSTEM,
        customer,
        entitled
            .iter()
            .map(|k| PermissionKey::new(k))
            .collect::<std::result::Result<_, _>>()?,
    )
    .await?;
    let settings = OrgSettings {
        first_user_becomes_admin: true,
        ..OrgSettings::default()
    };
    dir.configure_organization(SYSTEM, customer, settings, LifecyclePolicy::default())
        .await?;
    step(format!(
        "the customer company \"Customer AS\", entitled to {}",
        entitled.join(", ")
    ));

    // The customer manager administers the partner's customers (its children), not the
    // partner itself.
    let mut carl = user_with_email(
        UserKind::Standard,
        "Carl",
        "Manager",
        "carl@partner.example",
        WayIn::Password,
    )?;
    carl.password = Some(Password::new("purple monkey dishwasher"));
    let carl = dir.create_user(pia, partner, carl).await?.id;
    let children = GrantRef {
        user: carl,
        org: partner,
        scope: Scope::Children,
    };
    dir.change_grant(pia, children, Change::Grant(role("admin")?))
        .await?;
    let manager = Caller::User(carl);
    step("carl@partner.example is the customer manager (admin of every customer company)");
    let denied = dir
        .create_user(
            manager,
            partner,
            user_with_email(
                UserKind::Standard,
                "Zed",
                "Z",
                "z@partner.example",
                WayIn::None,
            )?,
        )
        .await;
    detail(format!(
        "Carl adding a user to the partner itself: {}",
        denied.err().map(|e| e.to_string()).unwrap_or_default()
    ));

    // Carl adds the company's first user without an invitation, and invites later.
    let cara = user_with_email(
        UserKind::Standard,
        "Cara",
        "Customer",
        "cara@customer.example",
        WayIn::None,
    )?;
    let cara = dir.create_user(manager, customer, cara).await?.id;
    step("Carl added cara@customer.example, the first user: contact person and admin");
    app.deliver().await?;
    detail("(no invitation yet: nothing was sent)");
    dir.change_account(manager, cara, Event::Invite).await?;
    step("Carl invites Cara now:");
    app.deliver().await?;
    let pw = Password::new("finance team long passphrase");
    dir.accept_invitation(&app.link("cara@customer.example", "invitation")?, &pw)
        .await?;
    dir.sign_in("cara@customer.example", &pw).await?;
    detail("Cara accepted and signed in");

    // Entitlements and requirements.
    let mut dan = user_with_email(
        UserKind::Standard,
        "Dan",
        "Buyer",
        "dan@customer.example",
        WayIn::Password,
    )?;
    dan.password = Some(Password::new("dan buys the spare parts"));
    let cara_acts = Caller::User(cara);
    let dan = dir.create_user(cara_acts, customer, dan).await?.id;
    let refused = dir
        .change_grant(
            cara_acts,
            at(dan, customer),
            Change::Grant(permissions(&["price-lists.edit"])?),
        )
        .await;
    step(format!(
        "Cara giving Dan the price lists: {}",
        refused.err().map(|e| e.to_string()).unwrap_or_default()
    ));
    let plan = dir
        .change_grant(
            cara_acts,
            at(dan, customer),
            Change::Grant(permissions(&[
                "orders.view",
                "orders.place",
                "invoices.view",
            ])?),
        )
        .await?;
    detail(format!(
        "Dan may see and place orders and see invoices: {:?}",
        plan.after.permissions
    ));
    let plan = dir
        .change_grant(
            cara_acts,
            at(dan, customer),
            Change::Revoke {
                what: permissions(&["orders.view"])?,
                cascade: true,
            },
        )
        .await?;
    step(format!(
        "revoking \"see orders\" also revokes what requires it: {:?}; left: {:?}",
        plan.cascaded, plan.after.permissions
    ));

    // The last admin stays.
    let own = at(cara, customer);
    let revoke_admin = Change::Revoke {
        what: permissions(&["company.admin"])?,
        cascade: true,
    };
    for (who, caller) in [("Cara herself", cara_acts), ("Carl", manager)] {
        let outcome = dir.change_grant(caller, own, revoke_admin.clone()).await;
        step(format!(
            "{who} removing Cara's admin permission: {}",
            outcome.err().map(|e| e.to_string()).unwrap_or_default()
        ));
    }

    // Resets.
    dir.reset_password_by_admin(manager, cara).await?;
    step("Carl triggers a password reset for Cara:");
    app.deliver().await?;
    dir.request_password_reset("cara@customer.example").await?;
    dir.request_password_reset("nobody@customer.example")
        .await?;
    step("\"Forgot your password?\" for Cara and for an unknown address (same answer):");
    app.deliver().await?;
    let fresh = Password::new("a fresh spring passphrase");
    dir.reset_password(
        &app.link("cara@customer.example", "password-reset")?,
        &fresh,
    )
    .await?;
    dir.sign_in("cara@customer.example", &fresh).await?;
    step("Cara set a new password with the newest link and signed in");
    Ok(())
}

//! A SCIM 2.0 server on the SQLite store, for identity providers (Entra ID, Okta) and for
//! the scim2-tester compliance checker:
//!
//! ```sh
//! TENANTRY_SCIM_TOKEN=$(openssl rand -hex 32) cargo run --example scim_server
//! ```
//!
//! It serves the organization "Acme" at `http://$TENANTRY_SCIM_ADDR/scim/v2` (default
//! `127.0.0.1:8087`) to whoever presents `Authorization: Bearer $TENANTRY_SCIM_TOKEN`. The
//! token acts as a provisioning account that administers Acme, so every change is
//! permission-checked and audited under its name. It runs until Ctrl-C and starts from an
//! empty `tenantry-out/scim.db` each time.

mod support;

use std::sync::Arc;

use support::{App, Result, at, role, step};
use tenantry::{Caller, NewUser};
use tenantry_access::{Area, Catalog, CatalogBuilder, Change};
use tenantry_credentials::{PasswordPolicy, PolicyContext, generate_password};
use tenantry_identity::{DisplayName, Email, LoginIdentifiers, Profile, UserKind};
use tenantry_lifecycle::WayIn;
use tenantry_scim::service::{ScimClient, ScimService};

fn catalog() -> Result<Catalog> {
    let mut b = CatalogBuilder::new();
    b.permission("org.admin", Area::Admin, "administer the organization", &[])?;
    b.role("admin", "Administrator", &["org.admin"])?;
    b.admin_permission("org.admin");
    Ok(b.build()?)
}

#[tokio::main]
async fn main() -> Result {
    let addr = std::env::var("TENANTRY_SCIM_ADDR").unwrap_or_else(|_| "127.0.0.1:8087".into());
    let token = std::env::var("TENANTRY_SCIM_TOKEN")
        .map_err(|_| "set TENANTRY_SCIM_TOKEN to a secret of at least 32 characters")?;

    let app = App::start("scim", catalog()?).await?;
    let (org, ada) = app
        .root("Acme", ("Ada", "Lovelace"), "ada@acme.example", "admin")
        .await?;
    // The account the identity provider acts as: an active admin of Acme whose password
    // nobody knows (a random one, never shown). It must stay able to sign in: a token whose
    // user is blocked, deactivated or demoted reads and writes nothing.
    let unknown = generate_password(
        &PasswordPolicy::default(),
        &PolicyContext::new(),
        &mut rand::rng(),
    )?;
    let provisioning = app
        .dir
        .create_user(
            Caller::User(ada),
            org,
            NewUser {
                kind: UserKind::Standard,
                profile: Profile {
                    display_name: Some(DisplayName::parse("SCIM provisioning")?),
                    ..Profile::default()
                },
                identifiers: LoginIdentifiers {
                    email: Some(Email::parse("scim-provisioning@acme.example")?),
                    ..LoginIdentifiers::default()
                },
                way_in: WayIn::Password,
                password: Some(unknown),
            },
        )
        .await?
        .id;
    app.dir
        .change_grant(
            Caller::User(ada),
            at(provisioning, org),
            Change::Grant(role("admin")?),
        )
        .await?;

    let base = format!("http://{addr}/scim/v2");
    let client = ScimClient::new(org, provisioning, &token)?;
    let service = ScimService::new(Arc::new(app.dir), &base, vec![client])?;
    let router =
        axum::Router::new().nest("/scim/v2", tenantry_scim::router::router(Arc::new(service)));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    step(format!("SCIM 2.0 for Acme at {base} (Ctrl-C stops it)"));
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

//! Entitlements and the last-admin rule: an organization whose admins hold the admin
//! permission keeps one when its entitlements change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeSet;

use tenantry::testing::WorldBuilder;
use tenantry::*;
use tenantry_access::{PermissionKey, Refusal, Target};
use tenantry_identity::*;

fn keys(names: &[&str]) -> BTreeSet<PermissionKey> {
    names
        .iter()
        .map(|k| PermissionKey::new(k).unwrap())
        .collect()
}

/// A client organization under the root, and Carla, its admin.
async fn client_with_admin(w: &tenantry::testing::World) -> (OrgId, UserId) {
    let client = w
        .dir
        .create_organization(w.admin(), w.org, Name::parse("Client").unwrap())
        .await
        .unwrap();
    let carla = w
        .active_user(client, "carla@client.example", "purple monkey dishwasher")
        .await
        .unwrap();
    w.grant_admin(carla, client).await.unwrap();
    (client, carla)
}

#[tokio::test]
async fn entitlements_never_take_the_admin_permission_from_an_organization_with_admins() {
    let w = WorldBuilder::new().build().await.unwrap();
    let (client, carla) = client_with_admin(&w).await;
    let admin_at = |user| w.dir.check(user, "org.admin", Target::Org(client));
    assert!(admin_at(carla).await.unwrap().is_allowed());
    // The agency's admin (an admin of the parent) takes the admin permission out of the
    // client's entitlements: refused, by a user and by the system alike; nothing changes.
    for caller in [w.admin(), Caller::System] {
        let r = w
            .dir
            .set_entitlements(caller, client, keys(&["feed.read"]))
            .await;
        assert!(
            matches!(r, Err(DirectoryError::Refused(Refusal::LastAdmin { org })) if org == client),
            "{caller:?}: {r:?}"
        );
        assert!(admin_at(carla).await.unwrap().is_allowed());
    }
    // Other entitlements change freely.
    w.dir
        .set_entitlements(w.admin(), client, keys(&["org.admin"]))
        .await
        .unwrap();
    assert!(admin_at(carla).await.unwrap().is_allowed());
    // An organization without admins may lose the permission.
    let empty = w
        .dir
        .create_organization(w.admin(), w.org, Name::parse("Empty").unwrap())
        .await
        .unwrap();
    w.dir
        .set_entitlements(w.admin(), empty, keys(&["feed.read"]))
        .await
        .unwrap();
}

/// The admin permission is lost as surely by dropping a permission it requires, and an
/// organization below, whose admins hold a subtree grant anchored here, keeps one too.
#[tokio::test]
async fn requirements_and_subtree_grants_keep_the_last_admin_rule() {
    let mut catalog = tenantry_access::CatalogBuilder::new();
    catalog
        .permission(
            "base",
            tenantry_access::Area::Admin,
            "see the admin pages",
            &[],
        )
        .unwrap();
    catalog
        .permission(
            "org.admin",
            tenantry_access::Area::Admin,
            "administer",
            &["base"],
        )
        .unwrap();
    catalog
        .role("admin", "Admin", &["org.admin", "base"])
        .unwrap();
    catalog.admin_permission("org.admin");
    let w = WorldBuilder::new()
        .catalog(catalog.build().unwrap())
        .build()
        .await
        .unwrap();
    let (client, carla) = client_with_admin(&w).await;
    let r = w
        .dir
        .set_entitlements(Caller::System, client, keys(&["org.admin"]))
        .await;
    assert!(
        matches!(r, Err(DirectoryError::Refused(Refusal::LastAdmin { .. }))),
        "dropping the requirement: {r:?}"
    );
    assert!(
        w.dir
            .check(carla, "org.admin", Target::Org(client))
            .await
            .unwrap()
            .is_allowed()
    );
}

/// Settings a host could not mean are refused, not stored to fail later.
#[tokio::test]
async fn an_impossible_invitation_validity_is_refused() {
    let w = WorldBuilder::new().build().await.unwrap();
    for secs in [0, 30, i64::MAX, 91 * 86_400] {
        let lifecycle = tenantry_lifecycle::LifecyclePolicy {
            invitation_ttl_secs: secs,
            ..Default::default()
        };
        let r = w
            .dir
            .configure_organization(w.admin(), w.org, OrgSettings::default(), lifecycle)
            .await;
        assert!(
            matches!(r, Err(DirectoryError::Invalid { .. })),
            "{secs}: {r:?}"
        );
    }
    // The organization still invites.
    w.invite("bob@acme.example").await.unwrap();
}

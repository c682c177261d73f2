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

#[tokio::test]
async fn entitlements_never_take_the_admin_permission_from_an_organization_with_admins() {
    let w = WorldBuilder::new().build().await.unwrap();
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

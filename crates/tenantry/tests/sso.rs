//! Single sign-on: an identity provider configured for one organization signs in only that
//! organization's users (its subtree only where the host says so), answers the same for
//! every refusal, and gives just-in-time users the organization's sign-up defaults and
//! required fields.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use tenantry::testing::{World, WorldBuilder};
use tenantry::*;
use tenantry_access::{GrantRef, RoleKey, Scope};
use tenantry_identity::*;
use tenantry_lifecycle::{Event, LifecyclePolicy};

fn ids(email: &str) -> LoginIdentifiers {
    LoginIdentifiers {
        email: Some(Email::parse(email).unwrap()),
        ..Default::default()
    }
}

async fn jit(
    w: &World,
    org: OrgId,
    settings: OrgSettings,
    change: impl FnOnce(&mut LifecyclePolicy),
) {
    let mut lifecycle = LifecyclePolicy {
        sso_just_in_time: true,
        ..LifecyclePolicy::default()
    };
    change(&mut lifecycle);
    w.dir
        .configure_organization(Caller::System, org, settings, lifecycle)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_identity_provider_of_one_organization_signs_in_nobody_of_another() {
    let w = WorldBuilder::new().build().await.unwrap();
    let (bolt, bea) = w.add_root("Bolt", "bea@bolt.example").await.unwrap();
    jit(&w, bolt, OrgSettings::default(), |_| {}).await;
    // Bolt's identity provider vouches for Acme's admin: refused, and nothing changes.
    let refused = w
        .dir
        .sso_login(SsoLogin::new(bolt, ids("ada@acme.example")))
        .await;
    assert!(
        matches!(refused, Err(DirectoryError::SsoRefused)),
        "{refused:?}"
    );
    let ada = w.user_record(w.admin).await.unwrap().unwrap();
    assert_eq!(ada.last_sign_in, None);
    // Bolt's own admin signs in through it.
    assert_eq!(
        w.dir
            .sso_login(SsoLogin::new(bolt, ids("bea@bolt.example")))
            .await
            .unwrap(),
        bea
    );
}

#[tokio::test]
async fn every_refusal_is_the_same_answer() {
    let w = WorldBuilder::new().build().await.unwrap();
    let (bolt, _) = w.add_root("Bolt", "bea@bolt.example").await.unwrap();
    // JIT off at Bolt: an unknown person, a user of Acme, and a blocked user of Bolt.
    let blocked = w
        .active_user(bolt, "bill@bolt.example", "purple monkey dishwasher")
        .await
        .unwrap();
    w.dir
        .change_account(Caller::System, blocked, Event::Deactivate)
        .await
        .unwrap();
    let answers: Vec<String> = [
        "nobody@bolt.example",
        "ada@acme.example",
        "bill@bolt.example",
    ]
    .iter()
    .map(|e| (*e).to_owned())
    .collect();
    let mut seen = Vec::new();
    for e in &answers {
        let r = w.dir.sso_login(SsoLogin::new(bolt, ids(e))).await;
        seen.push(format!("{:?}", r.map(|_| ())));
    }
    assert!(seen.iter().all(|s| s == &seen[0]), "{seen:?}");
    assert!(seen[0].starts_with("Err(SsoRefused"), "{seen:?}");
}

#[tokio::test]
async fn a_subtree_login_reaches_child_organizations_only_when_asked() {
    let w = WorldBuilder::new().build().await.unwrap();
    let child = w
        .dir
        .create_organization(Caller::System, w.org, Name::parse("Branch").unwrap())
        .await
        .unwrap();
    let carl = w
        .active_user(child, "carl@acme.example", "purple monkey dishwasher")
        .await
        .unwrap();
    let refused = w
        .dir
        .sso_login(SsoLogin::new(w.org, ids("carl@acme.example")))
        .await;
    assert!(
        matches!(refused, Err(DirectoryError::SsoRefused)),
        "{refused:?}"
    );
    let login = SsoLogin::new(w.org, ids("carl@acme.example")).with_subtree();
    assert_eq!(w.dir.sso_login(login).await.unwrap(), carl);
    // A subtree login never reaches upwards: the child's provider does not sign in Ada.
    let login = SsoLogin::new(child, ids("ada@acme.example")).with_subtree();
    assert!(matches!(
        w.dir.sso_login(login).await,
        Err(DirectoryError::SsoRefused)
    ));
}

#[tokio::test]
async fn just_in_time_users_get_the_sign_up_defaults_and_required_fields() {
    let mut catalog = tenantry_access::CatalogBuilder::new();
    catalog
        .permission("org.admin", tenantry_access::Area::Admin, "administer", &[])
        .unwrap();
    catalog
        .permission(
            "shift.read",
            tenantry_access::Area::Network,
            "read shifts",
            &[],
        )
        .unwrap();
    catalog
        .role("admin", "Admin", &["org.admin", "shift.read"])
        .unwrap();
    catalog.role("worker", "Worker", &["shift.read"]).unwrap();
    catalog.admin_permission("org.admin");
    let w = WorldBuilder::new()
        .catalog(catalog.build().unwrap())
        .build()
        .await
        .unwrap();
    let kitchen = w
        .dir
        .create_department(
            w.admin(),
            w.org,
            NewDepartment {
                name: Name::parse("Kitchen").unwrap(),
                sign_up_link: false,
            },
        )
        .await
        .unwrap();
    let settings = OrgSettings {
        required_fields: RequiredFields::from_iter([ProfileField::LastName]),
        ..OrgSettings::default()
    };
    jit(&w, w.org, settings, |l| {
        l.sign_up.defaults.permission_type = Some("worker".into());
        l.sign_up.defaults.department = Some(kitchen.id);
    })
    .await;
    // Without the required last name: refused, nothing created.
    let missing = w
        .dir
        .sso_login(SsoLogin::new(w.org, ids("sven@acme.example")))
        .await;
    assert!(
        matches!(
            missing,
            Err(DirectoryError::Model(
                ModelError::MissingRequiredFields { .. }
            ))
        ),
        "{missing:?}"
    );
    assert!(
        w.store
            .user_by_login(&ids("sven@acme.example").keys()[0])
            .await
            .unwrap()
            .is_none()
    );
    let profile = Profile {
        last_name: Some(NamePart::parse("Sso").unwrap()),
        ..Profile::default()
    };
    let sven = w
        .dir
        .sso_login(SsoLogin::new(w.org, ids("sven@acme.example")).with_profile(profile))
        .await
        .unwrap();
    let record = w.user_record(sven).await.unwrap().unwrap();
    assert_eq!(record.user.profile().department, Some(kitchen.id));
    let decision = w
        .dir
        .check(sven, "shift.read", tenantry_access::Target::Org(w.org))
        .await
        .unwrap();
    assert!(
        decision.is_allowed(),
        "the default permission type is granted"
    );
    let grant = w
        .store
        .get(&RecordKey::Grant(GrantRef {
            user: sven,
            org: w.org,
            scope: Scope::Organization,
        }))
        .await
        .unwrap();
    match grant.map(|v| v.value) {
        Some(Record::Grant(_, g)) => assert_eq!(g.roles, [RoleKey::new("worker").unwrap()].into()),
        other => panic!("{other:?}"),
    }
}

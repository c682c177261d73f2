//! The seeds' own scenarios: TIXAE module checkboxes, TimeXtender partners and customer
//! managers, tixxt guests, Tikkit locations and request sharing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use chrono::{DateTime, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_access::*;
use tenantry_identity::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn keys(ks: &[&str]) -> Vec<PermissionKey> {
    ks.iter().map(|k| PermissionKey::new(k).unwrap()).collect()
}

fn perms(ks: &[&str]) -> Grantables {
    Grantables {
        permissions: keys(ks).into_iter().collect(),
        ..Grantables::new()
    }
}

fn role(r: &str) -> Grantables {
    Grantables {
        roles: [RoleKey::new(r).unwrap()].into(),
        ..Grantables::new()
    }
}

/// The partner portal's portal: company admin, customer manager (partners only), environment admin
/// that requires environment view.
fn portal_catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    b.permission(
        "company.admin",
        Area::Admin,
        "edit company info, users and permissions",
        &[],
    )
    .unwrap();
    b.permission(
        "environment.view",
        Area::Network,
        "see environments and copy secrets",
        &[],
    )
    .unwrap();
    b.permission(
        "environment.admin",
        Area::Admin,
        "add, edit, delete environments",
        &["environment.view"],
    )
    .unwrap();
    b.permission("billing.view", Area::Network, "see invoices", &[])
        .unwrap();
    b.role(
        "company-admin",
        "Company Admin",
        &[
            "company.admin",
            "environment.view",
            "environment.admin",
            "billing.view",
        ],
    )
    .unwrap();
    b.admin_permission("company.admin");
    b.build().unwrap()
}

struct Portal {
    catalog: Catalog,
    model: AccessModel,
    partner: OrgId,
    acme: OrgId,
    globex: OrgId,
    paula: UserId, // partner company admin
    carl: UserId,  // partner customer manager
    ann: UserId,   // acme company admin
    bob: UserId,   // acme user
}

fn portal() -> Portal {
    let mut rng = StdRng::seed_from_u64(2);
    let id = |rng: &mut StdRng| OrgId::generate(now(), rng);
    let (partner, acme, globex) = (id(&mut rng), id(&mut rng), id(&mut rng));
    let user = |rng: &mut StdRng| UserId::generate(now(), rng);
    let (paula, carl, ann, bob) = (
        user(&mut rng),
        user(&mut rng),
        user(&mut rng),
        user(&mut rng),
    );
    let mut model = AccessModel::new();
    model
        .add_org(partner, None)
        .add_org(acme, Some(partner))
        .add_org(globex, Some(partner));
    let everything = keys(&[
        "company.admin",
        "environment.view",
        "environment.admin",
        "billing.view",
    ]);
    model
        .entitle(partner, everything.clone())
        .entitle(acme, everything.clone());
    // Globex's plan has no environments (company-level permissions cap user-level ones).
    model.entitle(globex, keys(&["company.admin", "billing.view"]));
    model
        .add_user(paula, UserKind::Standard, partner)
        .add_user(carl, UserKind::Standard, partner);
    model
        .add_user(ann, UserKind::Standard, acme)
        .add_user(bob, UserKind::Standard, acme);
    model.set_grant(paula, partner, Scope::Organization, role("company-admin"));
    model.set_grant(carl, partner, Scope::Children, role("company-admin"));
    model.set_grant(ann, acme, Scope::Organization, role("company-admin"));
    model.set_grant(bob, acme, Scope::Organization, perms(&["environment.view"]));
    Portal {
        catalog: portal_catalog(),
        model,
        partner,
        acme,
        globex,
        paula,
        carl,
        ann,
        bob,
    }
}

#[test]
fn partner_portal_customer_manager_is_admin_in_customers_not_at_home() {
    let p = portal();
    let r = Resolver::compile(&p.catalog, &p.model).unwrap();
    let admin = p.catalog.permission("company.admin").unwrap();
    let d = r.check(p.carl, admin, Target::Org(p.acme));
    match &d {
        Decision::Allow(a) => {
            assert_eq!(
                a.grant,
                GrantRef {
                    user: p.carl,
                    org: p.partner,
                    scope: Scope::Children
                }
            );
            assert_eq!(a.via, Via::Role(RoleKey::new("company-admin").unwrap()));
        }
        other => panic!("{other:?}"),
    }
    assert!(d.explain(&p.catalog).contains("through role company-admin"));
    assert_eq!(
        r.check(p.carl, admin, Target::Org(p.partner)),
        Decision::Deny(Denial::NoGrant)
    );
    // Carl changes things in Acme...
    let plan = r.guard_change(
        p.carl,
        GrantRef {
            user: p.bob,
            org: p.acme,
            scope: Scope::Organization,
        },
        &Change::Grant(perms(&["billing.view"])),
    );
    assert!(plan.is_ok(), "{plan:?}");
    // ...but nothing in his own company.
    let refused = r.guard_change(
        p.carl,
        GrantRef {
            user: p.paula,
            org: p.partner,
            scope: Scope::Organization,
        },
        &Change::Grant(perms(&["billing.view"])),
    );
    assert!(
        matches!(refused, Err(Refusal::NotAdministrator { .. })),
        "{refused:?}"
    );
}

#[test]
fn partner_portal_company_permissions_cap_user_permissions() {
    let mut p = portal();
    p.model
        .set_grant(p.carl, p.partner, Scope::Children, role("company-admin"));
    let r = Resolver::compile(&p.catalog, &p.model).unwrap();
    let env = p.catalog.permission("environment.admin").unwrap();
    // In Globex the role brings environment.admin, but Globex is not entitled to it.
    assert_eq!(
        r.check(p.carl, env, Target::Org(p.globex)),
        Decision::Deny(Denial::NotEntitled { org: p.globex })
    );
    assert!(r.check(p.carl, env, Target::Org(p.acme)).is_allowed());
    // Granting outside the entitlements is refused when made.
    let mut rng = StdRng::seed_from_u64(9);
    let gus = UserId::generate(now(), &mut rng);
    p.model.add_user(gus, UserKind::Standard, p.globex);
    let r = Resolver::compile(&p.catalog, &p.model).unwrap();
    let refused = r.guard_change(
        p.carl,
        GrantRef {
            user: gus,
            org: p.globex,
            scope: Scope::Organization,
        },
        &Change::Grant(perms(&["environment.view"])),
    );
    assert_eq!(
        refused,
        Err(Refusal::NotEntitled {
            permission: PermissionKey::new("environment.view").unwrap(),
            org: p.globex
        })
    );
}

#[test]
fn partner_portal_requirements_between_permissions() {
    let p = portal();
    let r = Resolver::compile(&p.catalog, &p.model).unwrap();
    let bob_at_acme = GrantRef {
        user: p.bob,
        org: p.acme,
        scope: Scope::Organization,
    };
    // Bob has environment.view, so environment.admin may be added.
    assert!(
        r.guard_change(
            p.ann,
            bob_at_acme,
            &Change::Grant(perms(&["environment.admin"]))
        )
        .is_ok()
    );
    // Someone without the view cannot get the admin alone.
    let mut m = p.model.clone();
    let mut rng = StdRng::seed_from_u64(5);
    let eve = UserId::generate(now(), &mut rng);
    m.add_user(eve, UserKind::Standard, p.acme);
    let r2 = Resolver::compile(&p.catalog, &m).unwrap();
    let refused = r2.guard_change(
        p.ann,
        GrantRef {
            user: eve,
            org: p.acme,
            scope: Scope::Organization,
        },
        &Change::Grant(perms(&["environment.admin"])),
    );
    assert_eq!(
        refused,
        Err(Refusal::MissingRequirement {
            permission: PermissionKey::new("environment.admin").unwrap(),
            requires: PermissionKey::new("environment.view").unwrap(),
        })
    );
    // Revoking the view while the admin needs it: refused naming the dependant, or cascaded.
    let mut m = p.model.clone();
    m.set_grant(
        p.bob,
        p.acme,
        Scope::Organization,
        perms(&["environment.view", "environment.admin"]),
    );
    let r3 = Resolver::compile(&p.catalog, &m).unwrap();
    let revoke = |cascade| Change::Revoke {
        what: perms(&["environment.view"]),
        cascade,
    };
    assert_eq!(
        r3.guard_change(p.ann, bob_at_acme, &revoke(false)),
        Err(Refusal::RequiredBy {
            permission: PermissionKey::new("environment.admin").unwrap(),
            requires: PermissionKey::new("environment.view").unwrap(),
        })
    );
    let plan = r3.guard_change(p.ann, bob_at_acme, &revoke(true)).unwrap();
    assert!(plan.after.is_empty());
    assert_eq!(plan.cascaded, keys(&["environment.admin"]));
    // A grant whose requirement is missing is not effective, and says why.
    let mut m = p.model.clone();
    m.set_grant(
        p.bob,
        p.acme,
        Scope::Organization,
        perms(&["environment.admin"]),
    );
    let r4 = Resolver::compile(&p.catalog, &m).unwrap();
    let env_admin = p.catalog.permission("environment.admin").unwrap();
    let view = p.catalog.permission("environment.view").unwrap();
    assert_eq!(
        r4.check(p.bob, env_admin, Target::Org(p.acme)),
        Decision::Deny(Denial::MissingRequirement { requires: view })
    );
}

#[test]
fn partner_portal_admins_keep_their_crown_and_companies_keep_an_admin() {
    let p = portal();
    let r = Resolver::compile(&p.catalog, &p.model).unwrap();
    let ann_grant = GrantRef {
        user: p.ann,
        org: p.acme,
        scope: Scope::Organization,
    };
    // Ann cannot remove her own admin permission.
    assert_eq!(
        r.guard_change(
            p.ann,
            ann_grant,
            &Change::Revoke {
                what: role("company-admin"),
                cascade: true
            }
        ),
        Err(Refusal::SelfDemotion)
    );
    // Carl (customer manager) cannot demote Ann: she is Acme's last admin.
    assert_eq!(
        r.guard_change(
            p.carl,
            ann_grant,
            &Change::Revoke {
                what: role("company-admin"),
                cascade: true
            }
        ),
        Err(Refusal::LastAdmin { org: p.acme })
    );
    assert_eq!(
        r.guard_remove_user(p.ann),
        Err(Refusal::LastAdmin { org: p.acme })
    );
    assert_eq!(r.admins_of(p.acme), vec![p.ann]);
    // Once Bob is an admin too, Ann can be demoted (by someone else) and the plan says to
    // bump Acme's version.
    let mut m = p.model.clone();
    m.set_grant(p.bob, p.acme, Scope::Organization, role("company-admin"));
    let r = Resolver::compile(&p.catalog, &m).unwrap();
    let plan = r
        .guard_change(
            p.bob,
            ann_grant,
            &Change::Revoke {
                what: role("company-admin"),
                cascade: true,
            },
        )
        .unwrap();
    assert_eq!(plan.admin_orgs, vec![p.acme]);
    assert_eq!(r.guard_remove_user(p.ann), Ok(vec![p.acme]));
    assert_eq!(
        r.guard_remove_user(p.paula),
        Err(Refusal::LastAdmin { org: p.partner })
    );
}

#[test]
fn no_escalation_through_roles() {
    let p = portal();
    let r = Resolver::compile(&p.catalog, &p.model).unwrap();
    // Bob is no admin: he can confer nothing, not even what he holds, not through a role.
    let bob_self = GrantRef {
        user: p.bob,
        org: p.acme,
        scope: Scope::Organization,
    };
    assert!(matches!(
        r.guard_change(p.bob, bob_self, &Change::Grant(role("company-admin"))),
        Err(Refusal::NotAdministrator { .. })
    ));
    assert!(matches!(
        r.guard_change(p.bob, bob_self, &Change::Grant(perms(&["billing.view"]))),
        Err(Refusal::NotAdministrator { .. })
    ));
    // Ann administers Acme only.
    let paula = GrantRef {
        user: p.paula,
        org: p.partner,
        scope: Scope::Organization,
    };
    assert!(matches!(
        r.guard_change(
            p.ann,
            paula,
            &Change::Revoke {
                what: role("company-admin"),
                cascade: true
            }
        ),
        Err(Refusal::NotAdministrator { .. })
    ));
    // Unknown keys are errors.
    let bad = Grantables {
        permissions: [PermissionKey::new("root.everything").unwrap()].into(),
        ..Grantables::new()
    };
    assert!(matches!(
        r.guard_change(p.ann, bob_self, &Change::Grant(bad)),
        Err(Refusal::Catalog(AccessError::UnknownPermission(_)))
    ));
}

/// The agency: TIXAE's module checkboxes, each a permission of the agency's client organizations.
#[test]
fn agency_module_checkboxes() {
    let mut b = CatalogBuilder::new();
    b.permission(
        "org.admin",
        Area::Admin,
        "edit organization info, invite users",
        &[],
    )
    .unwrap();
    for (k, d) in [
        ("home.view", "dashboard overview"),
        ("conversations.view", "chat transcripts"),
        ("analytics.view", "widget statistics"),
        ("kb.edit", "view and edit the knowledge base"),
        ("channels.manage", "connected channels"),
        ("prompt.edit", "prompt, AI model, UI engine"),
        ("settings.edit", "widget settings"),
        ("custom-tabs.view", "custom tabs"),
    ] {
        b.permission(k, Area::Network, d, &[]).unwrap();
    }
    b.role(
        "org-admin",
        "Org Admin",
        &[
            "org.admin",
            "home.view",
            "conversations.view",
            "analytics.view",
            "kb.edit",
            "channels.manage",
            "prompt.edit",
            "settings.edit",
            "custom-tabs.view",
        ],
    )
    .unwrap();
    b.admin_permission("org.admin");
    let catalog = b.build().unwrap();

    let mut rng = StdRng::seed_from_u64(1);
    let (agency, bakery) = (
        OrgId::generate(now(), &mut rng),
        OrgId::generate(now(), &mut rng),
    );
    let (owner, baker, helper) = (
        UserId::generate(now(), &mut rng),
        UserId::generate(now(), &mut rng),
        UserId::generate(now(), &mut rng),
    );
    let all: Vec<PermissionKey> = catalog.permissions().map(|(_, d)| d.key.clone()).collect();
    let mut model = AccessModel::new();
    model.add_org(agency, None).add_org(bakery, Some(agency));
    model.entitle(agency, all.clone()).entitle(bakery, all);
    model
        .add_user(owner, UserKind::Standard, agency)
        .add_user(baker, UserKind::Standard, bakery)
        .add_user(helper, UserKind::Standard, bakery);
    // The agency owner administers every client (subtree).
    model.set_grant(owner, agency, Scope::Subtree, role("org-admin"));
    let r = Resolver::compile(&catalog, &model).unwrap();
    // The agency adds the first client user as Org Admin (the agency's recommendation).
    let plan = r
        .guard_change(
            owner,
            GrantRef {
                user: baker,
                org: bakery,
                scope: Scope::Organization,
            },
            &Change::Grant(role("org-admin")),
        )
        .unwrap();
    model.set_grant(baker, bakery, Scope::Organization, plan.after);
    let r = Resolver::compile(&catalog, &model).unwrap();
    // The baker ticks two boxes for the helper: minimal permissions.
    let plan = r
        .guard_change(
            baker,
            GrantRef {
                user: helper,
                org: bakery,
                scope: Scope::Organization,
            },
            &Change::Grant(perms(&["home.view", "conversations.view"])),
        )
        .unwrap();
    model.set_grant(helper, bakery, Scope::Organization, plan.after);
    let r = Resolver::compile(&catalog, &model).unwrap();
    let eff = r.effective(helper, Target::Org(bakery));
    assert_eq!(
        catalog.keys(eff),
        keys(&["home.view", "conversations.view"])
            .iter()
            .collect::<Vec<_>>()
    );
    assert!(
        !r.check_key(helper, "prompt.edit", Target::Org(bakery))
            .unwrap()
            .is_allowed()
    );
    assert!(
        r.check_key(baker, "prompt.edit", Target::Org(bakery))
            .unwrap()
            .is_allowed()
    );
    // The baker does not administer the agency.
    assert!(
        !r.check_key(baker, "org.admin", Target::Org(agency))
            .unwrap()
            .is_allowed()
    );
}

/// The social intranet: guests act only in their groups, never network-wide; consumers hold nothing.
#[test]
fn network_guests_and_consumers() {
    let mut b = CatalogBuilder::new();
    b.permission("network.admin", Area::Admin, "administer the network", &[])
        .unwrap();
    b.permission(
        "feed.global.read",
        Area::Network,
        "read the global feed",
        &[],
    )
    .unwrap();
    b.permission("group.post", Area::Group, "post in a group", &[])
        .unwrap();
    b.role("member", "Member", &["feed.global.read", "group.post"])
        .unwrap();
    b.admin_permission("network.admin");
    let catalog = b.build().unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let net = OrgId::generate(now(), &mut rng);
    let (research, secret) = (
        GroupId::generate(now(), &mut rng),
        GroupId::generate(now(), &mut rng),
    );
    let (guest, member, consumer) = (
        UserId::generate(now(), &mut rng),
        UserId::generate(now(), &mut rng),
        UserId::generate(now(), &mut rng),
    );
    let mut model = AccessModel::new();
    model.add_org(net, None).entitle(
        net,
        keys(&["network.admin", "feed.global.read", "group.post"]),
    );
    model
        .add_group(research, net, true)
        .add_group(secret, net, false);
    model
        .add_user(guest, UserKind::Guest, net)
        .add_user(member, UserKind::Standard, net)
        .add_user(consumer, UserKind::Consumer, net);
    model
        .add_member(guest, research)
        .add_member(consumer, research);
    for u in [guest, member, consumer] {
        model.set_grant(u, net, Scope::Organization, role("member"));
    }
    let r = Resolver::compile(&catalog, &model).unwrap();
    let post = catalog.permission("group.post").unwrap();
    let feed = catalog.permission("feed.global.read").unwrap();
    // In the group they were invited to, guests have the same rights as members.
    assert!(r.check(guest, post, Target::Group(research)).is_allowed());
    assert_eq!(
        r.check(guest, post, Target::Group(secret)),
        Decision::Deny(Denial::NotGroupMember)
    );
    assert_eq!(
        r.check(guest, feed, Target::Org(net)),
        Decision::Deny(Denial::KindLimit {
            kind: UserKind::Guest
        })
    );
    assert!(r.check(member, post, Target::Group(secret)).is_allowed());
    assert!(r.check(member, feed, Target::Org(net)).is_allowed());
    assert_eq!(
        r.check(consumer, post, Target::Group(research)),
        Decision::Deny(Denial::KindLimit {
            kind: UserKind::Consumer
        })
    );
    // Guests cannot be made admins.
    model.set_grant(
        member,
        net,
        Scope::Organization,
        Grantables {
            roles: [RoleKey::new("member").unwrap()].into(),
            permissions: keys(&["network.admin"]).into_iter().collect(),
        },
    );
    let r = Resolver::compile(&catalog, &model).unwrap();
    let refused = r.guard_change(
        member,
        GrantRef {
            user: guest,
            org: net,
            scope: Scope::Organization,
        },
        &Change::Grant(perms(&["network.admin"])),
    );
    assert_eq!(
        refused,
        Err(Refusal::KindCannotHold {
            permission: PermissionKey::new("network.admin").unwrap(),
            kind: UserKind::Guest
        })
    );
    // Directory visibility.
    let g = |visible| Group {
        visible_to_guests: visible,
        ..Group::new(research, net, Name::parse("Research").unwrap(), now())
    };
    assert!(
        sees_group(UserKind::Guest, false, &g(true))
            && !sees_group(UserKind::Guest, false, &g(false))
    );
    assert!(
        sees_group(UserKind::Guest, true, &g(false))
            && sees_group(UserKind::Standard, false, &g(false))
    );
    assert!(!sees_group(UserKind::Consumer, false, &g(true)));
}

/// The help desk: occupant groups share requests and give location access.
#[test]
fn helpdesk_requests_and_locations() {
    let mut rng = StdRng::seed_from_u64(4);
    let org = OrgId::generate(now(), &mut rng);
    let (hq, annex) = (
        LocationId::generate(now(), &mut rng),
        LocationId::generate(now(), &mut rng),
    );
    let mut acme = Group::new(
        GroupId::generate(now(), &mut rng),
        org,
        Name::parse("Acme Co.").unwrap(),
        now(),
    );
    acme.members_share_requests = true;
    acme.locations = LocationScope::Specific([annex].into());
    let ids = LoginIdentifiers {
        email: Some(Email::parse("om@acme.example").unwrap()),
        ..Default::default()
    };
    let manager = User::new(
        UserId::generate(now(), &mut rng),
        org,
        UserKind::Standard,
        Profile::default(),
        ids,
        now(),
    )
    .unwrap();
    let other = UserId::generate(now(), &mut rng);
    assert!(sees_request(manager.id(), other, [&acme]));
    let mut quiet = acme.clone();
    quiet.members_share_requests = false;
    assert!(!sees_request(manager.id(), other, [&quiet]));
    assert!(sees_request(manager.id(), manager.id(), []));
    assert!(may_file_request(&manager, [&acme], annex));
    assert!(!may_file_request(&manager, [&acme], hq));
    acme.archived = true;
    assert!(!may_file_request(&manager, [&acme], annex));
}

#[test]
fn catalog_refuses_unknown_keys_cycles_and_duplicates() {
    let mut b = CatalogBuilder::new();
    b.permission("a", Area::Network, "", &["b"])
        .unwrap()
        .permission("b", Area::Network, "", &["c"])
        .unwrap();
    b.permission("c", Area::Network, "", &["a"])
        .unwrap()
        .admin_permission("a");
    match b.build() {
        Err(AccessError::RequirementCycle(path)) => assert_eq!(path.len(), 4),
        other => panic!("{other:?}"),
    }
    let mut b = CatalogBuilder::new();
    b.permission("a", Area::Network, "", &["nope"])
        .unwrap()
        .admin_permission("a");
    assert_eq!(
        b.build().unwrap_err(),
        AccessError::UnknownPermission("nope".into())
    );
    let mut b = CatalogBuilder::new();
    b.permission("a", Area::Network, "", &[])
        .unwrap()
        .permission("a", Area::Admin, "", &[])
        .unwrap()
        .admin_permission("a");
    assert_eq!(b.build().unwrap_err(), AccessError::Duplicate("a".into()));
    let mut b = CatalogBuilder::new();
    b.permission("a", Area::Network, "", &[]).unwrap();
    assert_eq!(b.build().unwrap_err(), AccessError::NoAdminPermission);
    b.role("r", "R", &["zzz"]).unwrap().admin_permission("a");
    assert_eq!(
        b.build().unwrap_err(),
        AccessError::UnknownPermission("zzz".into())
    );
    assert!(
        CatalogBuilder::new()
            .permission("Bad Key", Area::Network, "", &[])
            .is_err()
    );
    let mut b = CatalogBuilder::new();
    for i in 0..=PermSet::CAPACITY {
        b.permission(&format!("p{i}"), Area::Network, "", &[])
            .unwrap();
    }
    b.admin_permission("p0");
    assert_eq!(
        b.build().unwrap_err(),
        AccessError::TooManyPermissions { max: 256 }
    );
}

/// Explanations name the grant and, for a grant with several roles or direct permissions,
/// the first role (in key order) that holds the permission; a permission named but
/// not entitled is explained as such, whatever else the grant holds.
#[test]
fn explanations_name_the_right_grant_and_role() {
    let mut b = CatalogBuilder::new();
    for p in ["org.admin", "kb.view", "kb.edit", "billing.view"] {
        b.permission(p, Area::Network, p, &[]).unwrap();
    }
    b.role("reader", "Reader", &["kb.view"]).unwrap();
    b.role("writer", "Writer", &["kb.view", "kb.edit"]).unwrap();
    b.admin_permission("org.admin");
    let catalog = b.build().unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let org = OrgId::generate(now(), &mut rng);
    let (sole, mixed, two) = (
        UserId::generate(now(), &mut rng),
        UserId::generate(now(), &mut rng),
        UserId::generate(now(), &mut rng),
    );
    let mut model = AccessModel::new();
    model
        .add_org(org, None)
        .entitle(org, keys(&["org.admin", "kb.view", "kb.edit"]));
    for u in [sole, mixed, two] {
        model.add_user(u, UserKind::Standard, org);
    }
    model.set_grant(sole, org, Scope::Organization, role("writer"));
    model.set_grant(
        mixed,
        org,
        Scope::Organization,
        Grantables {
            permissions: keys(&["kb.edit", "billing.view"]).into_iter().collect(),
            roles: [RoleKey::new("reader").unwrap()].into(),
        },
    );
    model.set_grant(
        two,
        org,
        Scope::Organization,
        Grantables {
            roles: [
                RoleKey::new("reader").unwrap(),
                RoleKey::new("writer").unwrap(),
            ]
            .into(),
            ..Grantables::new()
        },
    );
    let r = Resolver::compile(&catalog, &model).unwrap();
    let at = Target::Org(org);
    let via = |u: UserId, p: &str| match r.check_key(u, p, at).unwrap() {
        Decision::Allow(a) => {
            assert_eq!(
                a.grant,
                GrantRef {
                    user: u,
                    org,
                    scope: Scope::Organization
                }
            );
            a.via
        }
        d => panic!("{p} denied to {u}: {d:?}"),
    };
    let by = |k: &str| Via::Role(RoleKey::new(k).unwrap());
    assert_eq!(via(sole, "kb.view"), by("writer"));
    assert_eq!(via(sole, "kb.edit"), by("writer"));
    assert_eq!(via(mixed, "kb.edit"), Via::Direct);
    assert_eq!(via(mixed, "kb.view"), by("reader"));
    assert_eq!(via(two, "kb.view"), by("reader"));
    assert_eq!(via(two, "kb.edit"), by("writer"));
    // Named directly but the organization is not entitled to it.
    assert_eq!(
        r.check_key(mixed, "billing.view", at).unwrap(),
        Decision::Deny(Denial::NotEntitled { org })
    );
    // Not named at all, by any of them.
    for u in [sole, mixed, two] {
        assert_eq!(
            r.check_key(u, "org.admin", at).unwrap(),
            Decision::Deny(Denial::NoGrant)
        );
    }
}

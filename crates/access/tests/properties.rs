//! Random catalogs, organization trees and grants: (1) effective sets are closed under
//! requirements and inside entitlements; (2) guarded admin operations give nobody a
//! permission that no administrator of it conferred; (3) organizations keep their admin;
//! (4) an allowed decision names a grant that exists and names the permission.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_access::*;
use tenantry_identity::{OrgId, UserId, UserKind};

/// (user, organization, scope, permissions, roles)
type GrantSpec = (usize, usize, u8, Vec<usize>, Vec<usize>);
/// (actor, target, organization, scope, grant?, permissions, roles, cascade)
type OpSpec = (usize, usize, usize, u8, bool, Vec<usize>, Vec<usize>, bool);

#[derive(Debug, Clone)]
struct World {
    perms: usize,
    requires: Vec<Vec<usize>>,
    areas: Vec<u8>,
    roles: Vec<Vec<usize>>,
    parents: Vec<Option<usize>>,
    entitled: Vec<Vec<bool>>,
    users: Vec<(u8, usize)>,
    grants: Vec<GrantSpec>,
    ops: Vec<OpSpec>,
}

fn world() -> impl Strategy<Value = World> {
    (3usize..10, 1usize..7, 2usize..9).prop_flat_map(|(perms, orgs, users)| {
        (
            Just(perms),
            prop::collection::vec(
                prop::collection::vec(any::<prop::sample::Index>(), 0..3),
                perms,
            ),
            prop::collection::vec(0u8..3, perms),
            prop::collection::vec(prop::collection::vec(0..perms, 1..4), 0..3),
            prop::collection::vec(any::<prop::sample::Index>(), orgs),
            prop::collection::vec(
                prop::collection::vec(prop::bool::weighted(0.8), perms),
                orgs,
            ),
            prop::collection::vec((0u8..4, 0..orgs), users),
            prop::collection::vec(
                (
                    0..users,
                    0..orgs,
                    0u8..3,
                    prop::collection::vec(0..perms, 0..3),
                    prop::collection::vec(0usize..3, 0..2),
                ),
                0..8,
            ),
            prop::collection::vec(
                (
                    0..users,
                    0..users,
                    0..orgs,
                    0u8..3,
                    any::<bool>(),
                    prop::collection::vec(0..perms, 0..3),
                    prop::collection::vec(0usize..3, 0..2),
                    any::<bool>(),
                ),
                0..25,
            ),
        )
            .prop_map(
                |(perms, req, areas, roles, par, entitled, users, grants, ops)| World {
                    perms,
                    // Requirements only point at lower indices: acyclic by construction.
                    requires: req
                        .iter()
                        .enumerate()
                        .map(|(i, rs)| {
                            if i == 0 {
                                vec![]
                            } else {
                                rs.iter().map(|r| r.index(i)).collect()
                            }
                        })
                        .collect(),
                    areas,
                    roles,
                    parents: par
                        .iter()
                        .enumerate()
                        .map(|(i, p)| if i == 0 { None } else { Some(p.index(i)) })
                        .collect(),
                    entitled,
                    users,
                    grants,
                    ops,
                },
            )
    })
}

fn key(i: usize) -> String {
    format!("p{i}")
}

fn scope(s: u8) -> Scope {
    [Scope::Organization, Scope::Children, Scope::Subtree][usize::from(s % 3)]
}

fn kind(k: u8) -> UserKind {
    UserKind::ALL[usize::from(k % 4)]
}

fn grantables(w: &World, perms: &[usize], roles: &[usize]) -> Grantables {
    Grantables {
        permissions: perms
            .iter()
            .map(|p| PermissionKey::new(&key(*p)).unwrap())
            .collect(),
        roles: roles
            .iter()
            .filter(|r| **r < w.roles.len())
            .map(|r| RoleKey::new(&format!("r{r}")).unwrap())
            .collect(),
    }
}

fn build(w: &World) -> (Catalog, AccessModel, Vec<OrgId>, Vec<UserId>) {
    let mut b = CatalogBuilder::new();
    for i in 0..w.perms {
        // p0 is the admin permission, always of the admin area.
        let area = if i == 0 {
            Area::Admin
        } else {
            [Area::Network, Area::Group, Area::Admin][usize::from(w.areas[i])]
        };
        let reqs: Vec<String> = w.requires[i].iter().map(|r| key(*r)).collect();
        let reqs: Vec<&str> = reqs.iter().map(String::as_str).collect();
        b.permission(&key(i), area, "", &reqs).unwrap();
    }
    for (i, r) in w.roles.iter().enumerate() {
        let ks: Vec<String> = r.iter().map(|p| key(*p)).collect();
        let ks: Vec<&str> = ks.iter().map(String::as_str).collect();
        b.role(&format!("r{i}"), "", &ks).unwrap();
    }
    b.admin_permission("p0");
    let catalog = b.build().unwrap();
    let mut rng = StdRng::seed_from_u64(0);
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let orgs: Vec<OrgId> = w
        .parents
        .iter()
        .map(|_| OrgId::generate(t, &mut rng))
        .collect();
    let users: Vec<UserId> = w
        .users
        .iter()
        .map(|_| UserId::generate(t, &mut rng))
        .collect();
    let mut m = AccessModel::new();
    for (i, p) in w.parents.iter().enumerate() {
        m.add_org(orgs[i], p.map(|p| orgs[p]));
        let ent: Vec<PermissionKey> = (0..w.perms)
            .filter(|p| *p == 0 || w.entitled[i][*p])
            .map(|p| PermissionKey::new(&key(p)).unwrap())
            .collect();
        m.entitle(orgs[i], ent);
    }
    for (i, (k, o)) in w.users.iter().enumerate() {
        m.add_user(users[i], kind(*k), orgs[*o]);
    }
    // Every organization with a standard member gets one admin to start with.
    for (o, org) in orgs.iter().enumerate() {
        if let Some(u) = w
            .users
            .iter()
            .position(|(k, uo)| *uo == o && kind(*k) == UserKind::Standard)
        {
            m.set_grant(
                users[u],
                *org,
                Scope::Organization,
                grantables(w, &[0], &[]),
            );
        }
    }
    for (u, o, s, ps, rs) in &w.grants {
        let g = grantables(w, ps, rs);
        let key = GrantRef {
            user: users[*u],
            org: orgs[*o],
            scope: scope(*s),
        };
        let mut merged = m.grants.get(&key).cloned().unwrap_or_default();
        merged.permissions.extend(g.permissions);
        merged.roles.extend(g.roles);
        m.set_grant(users[*u], orgs[*o], scope(*s), merged);
    }
    (catalog, m, orgs, users)
}

fn check_invariants(
    catalog: &Catalog,
    r: &Resolver,
    m: &AccessModel,
    orgs: &[OrgId],
    users: &[UserId],
) -> Result<(), TestCaseError> {
    for &u in users {
        let (k, _) = m.users[&u];
        for &o in orgs {
            let eff = r.effective(u, Target::Org(o));
            // (1) closed under requirements, inside entitlements and the kind's permissions.
            for id in catalog.ids(eff) {
                prop_assert!(catalog.requirements(id).is_subset(eff), "not closed");
                let ent: BTreeSet<&str> = m.entitlements[&o]
                    .iter()
                    .map(PermissionKey::as_str)
                    .collect();
                prop_assert!(
                    ent.contains(catalog.key(id).as_str()),
                    "outside entitlements"
                );
                prop_assert!(Catalog::has(catalog.kind_set(k), id), "outside kind");
            }
            // (4) allowed decisions name an existing grant that names the permission.
            for (id, _) in catalog.permissions() {
                let d = r.check(u, id, Target::Org(o));
                prop_assert_eq!(d.is_allowed(), Catalog::has(eff, id));
                if let Decision::Allow(a) = d {
                    let g = m.grants.get(&a.grant);
                    prop_assert!(g.is_some(), "allowance names a missing grant");
                    let named = catalog
                        .expand(&g.unwrap().permissions, &g.unwrap().roles)
                        .unwrap();
                    prop_assert!(
                        Catalog::has(named, id),
                        "allowance names a grant without the permission"
                    );
                    prop_assert_eq!(a.grant.user, u);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn guarded_operations_keep_every_rule(w in world()) {
        let (catalog, mut m, orgs, users) = build(&w);
        let mut r = Resolver::compile(&catalog, &m).unwrap();
        let had_admin: Vec<OrgId> = orgs.iter().copied().filter(|o| !r.admins_of(*o).is_empty()).collect();
        check_invariants(&catalog, &r, &m, &orgs, &users)?;
        // (2) Every permission named in a grant was there from the start or added by an
        // actor who administered it at the grant's organization at that moment.
        let mut vouched: BTreeMap<GrantRef, PermSet> =
            m.grants.iter().map(|(g, v)| (*g, catalog.expand(&v.permissions, &v.roles).unwrap())).collect();
        for (actor, target, org, s, grant, ps, rs, cascade) in &w.ops {
            let gref = GrantRef { user: users[*target], org: orgs[*org], scope: scope(*s) };
            let what = grantables(&w, ps, rs);
            let change = if *grant { Change::Grant(what.clone()) } else { Change::Revoke { what: what.clone(), cascade: *cascade } };
            let before = m.grants.get(&gref).cloned().unwrap_or_default();
            let before_set = catalog.expand(&before.permissions, &before.roles).unwrap();
            if let Ok(plan) = r.guard_change(users[*actor], gref, &change) {
                let after_set = catalog.expand(&plan.after.permissions, &plan.after.roles).unwrap();
                let added = after_set.difference(before_set);
                let requested = catalog.expand(&what.permissions, &what.roles).unwrap();
                prop_assert!(added.is_subset(requested), "plan adds what was not asked");
                if !*grant {
                    prop_assert!(after_set.is_subset(before_set), "a revoke added something");
                }
                let actor_here = r.effective(users[*actor], Target::Org(orgs[*org]));
                for id in catalog.ids(added) {
                    prop_assert!(Catalog::has(actor_here, catalog.administered_by(id)), "conferred without administering");
                }
                let v = vouched.entry(gref).or_default();
                *v = v.union(added);
                m.set_grant(gref.user, gref.org, gref.scope, plan.after);
                r = Resolver::compile(&catalog, &m).unwrap();
                check_invariants(&catalog, &r, &m, &orgs, &users)?;
                // (3) every organization that had an admin still has one.
                for o in &had_admin {
                    prop_assert!(!r.admins_of(*o).is_empty(), "organization lost its last admin");
                }
            }
            // Removing a user never strands an organization either.
            if let Ok(orgs_touched) = r.guard_remove_user(users[*target]) {
                let mut without = m.clone();
                without.grants.retain(|g, _| g.user != users[*target]);
                let r2 = Resolver::compile(&catalog, &without).unwrap();
                for o in &had_admin {
                    if !r.admins_of(*o).is_empty() {
                        prop_assert!(!r2.admins_of(*o).is_empty() || orgs_touched.is_empty() && !r.admins_of(*o).contains(&users[*target]),
                            "removing a user stranded an organization");
                    }
                }
            }
        }
        for (g, v) in &m.grants {
            let named = catalog.expand(&v.permissions, &v.roles).unwrap();
            let ok = vouched.get(g).copied().unwrap_or_default();
            prop_assert!(named.is_subset(ok), "a grant names a permission nobody vouched for");
        }
    }
}

//! `Resolver::check` on an RBAC-with-domains policy: 10 permissions, 3 roles, one role per
//! user, 10 users per organization, at 100 / 1,000 / 10,000 organizations (1k / 10k / 100k
//! users), over the same seeded 2,000 requests (half in the user's own organization).
//!
//! Run with `cargo bench --bench access`.

#![allow(clippy::expect_used)] // bench setup fails loudly: a broken fixture is no measurement

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tenantry_access::{
    AccessModel, Area, Catalog, CatalogBuilder, Grantables, PermissionId, PermissionKey, Resolver,
    RoleKey, Scope, Target,
};
use tenantry_identity::{OrgId, UserId, UserKind};

const PERMS: [&str; 10] = [
    "org.admin",
    "home.view",
    "conversations.view",
    "conversations.edit",
    "analytics.view",
    "kb.view",
    "kb.edit",
    "channels.manage",
    "prompt.edit",
    "settings.edit",
];

fn catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    for p in PERMS {
        let area = if p == "org.admin" {
            Area::Admin
        } else {
            Area::Network
        };
        b.permission(p, area, p, &[]).expect("permission");
    }
    b.role("admin", "Admin", &PERMS).expect("role");
    b.role(
        "editor",
        "Editor",
        &[
            "home.view",
            "conversations.view",
            "conversations.edit",
            "kb.view",
            "kb.edit",
        ],
    )
    .expect("role");
    b.role(
        "viewer",
        "Viewer",
        &[
            "home.view",
            "conversations.view",
            "analytics.view",
            "kb.view",
        ],
    )
    .expect("role");
    b.admin_permission("org.admin");
    b.build().expect("catalog")
}

struct Fixture {
    resolver: Resolver,
    requests: Vec<(UserId, PermissionId, Target)>,
}

fn fixture(catalog: &Catalog, orgs: usize) -> Fixture {
    let mut rng = StdRng::seed_from_u64(42);
    let t = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let org_ids: Vec<OrgId> = (0..orgs).map(|_| OrgId::generate(t, &mut rng)).collect();
    let all: Vec<PermissionKey> = PERMS
        .iter()
        .map(|p| PermissionKey::new(p).expect("key"))
        .collect();
    let roles = ["admin", "editor", "viewer"].map(|r| RoleKey::new(r).expect("role"));
    let mut model = AccessModel::new();
    let mut users = Vec::with_capacity(orgs * 10);
    for &o in &org_ids {
        model.add_org(o, None).entitle(o, all.clone());
        for i in 0..10 {
            let u = UserId::generate(t, &mut rng);
            model.add_user(u, UserKind::Standard, o);
            let role = roles[if i == 0 { 0 } else { 1 + i % 2 }].clone();
            model.set_grant(
                u,
                o,
                Scope::Organization,
                Grantables {
                    roles: [role].into(),
                    ..Grantables::new()
                },
            );
            users.push((u, o));
        }
    }
    let resolver = Resolver::compile(catalog, &model).expect("compile");
    let ids: Vec<PermissionId> = PERMS
        .iter()
        .map(|p| catalog.permission(p).expect("id"))
        .collect();
    let requests = (0..2000)
        .map(|i| {
            let (u, home) = users[rng.random_range(0..users.len())];
            let org = if i % 2 == 0 {
                home
            } else {
                org_ids[rng.random_range(0..org_ids.len())]
            };
            (u, ids[rng.random_range(0..ids.len())], Target::Org(org))
        })
        .collect();
    Fixture { resolver, requests }
}

fn check(c: &mut Criterion) {
    let catalog = catalog();
    let mut group = c.benchmark_group("access check");
    for orgs in [100, 1_000, 10_000] {
        let f = fixture(&catalog, orgs);
        let allowed = f
            .requests
            .iter()
            .filter(|(u, p, t)| f.resolver.check(*u, *p, *t).is_allowed())
            .count();
        eprintln!(
            "{orgs} organizations, {} users: {allowed} of 2000 requests allowed",
            orgs * 10
        );
        group.throughput(Throughput::Elements(f.requests.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("2000 requests", format!("{}k users", orgs / 100)),
            &f,
            |b, f| {
                b.iter(|| {
                    let mut n = 0usize;
                    for (u, p, t) in &f.requests {
                        n += usize::from(f.resolver.check(black_box(*u), *p, *t).is_allowed());
                    }
                    n
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);

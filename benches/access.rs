//! `Resolver::check` on an RBAC-with-domains policy: 3 roles and 10 rules per organization
//! (admin holds 5 permissions, editor 3, viewer 2), one role per user, 10 users per
//! organization, at 100 / 1,000 / 10,000 organizations (1k / 10k / 100k users), over the same
//! seeded 2,000 requests (half in the user's own organization, half in a random one).
//!
//! `cargo bench --bench access` times tenantry alone. The same file, built by the package in
//! `benches/peers` (`cargo bench --manifest-path benches/peers/Cargo.toml`), also builds the
//! same policy in casbin-rs (an uncached `Enforcer` and a `CachedEnforcer` whose cache holds
//! every request) and in cedar-policy (one policy set per organization), first asserts that
//! all of them decide every request alike, then times them side by side. The peers live in a
//! package of their own so that the workspace's tests and CI never compile them.

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

const PERMS: [&str; 5] = [
    "org.admin",
    "conversations.edit",
    "conversations.view",
    "home.view",
    "kb.edit",
];

/// The three roles and their permissions: 5 + 3 + 2 = 10 rules per organization.
const ROLES: [(&str, &[&str]); 3] = [
    ("admin", &PERMS),
    (
        "editor",
        &["conversations.edit", "conversations.view", "home.view"],
    ),
    ("viewer", &["conversations.view", "home.view"]),
];

const REQUESTS: usize = 2_000;

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
    for (key, perms) in ROLES {
        b.role(key, key, perms).expect("role");
    }
    b.admin_permission("org.admin");
    b.build().expect("catalog")
}

/// The policy and requests every engine is given, by index.
struct Spec {
    orgs: Vec<OrgId>,
    /// (user, home organization, role) by index into `orgs` and `ROLES`.
    users: Vec<(UserId, usize, usize)>,
    /// (user, permission, organization) by index into `users`, `PERMS` and `orgs`.
    requests: Vec<(usize, usize, usize)>,
}

fn spec(orgs: usize) -> Spec {
    let mut rng = StdRng::seed_from_u64(42);
    let t = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let org_ids: Vec<OrgId> = (0..orgs).map(|_| OrgId::generate(t, &mut rng)).collect();
    let mut users = Vec::with_capacity(orgs * 10);
    for o in 0..orgs {
        for i in 0..10 {
            let role = if i == 0 { 0 } else { 1 + i % 2 };
            users.push((UserId::generate(t, &mut rng), o, role));
        }
    }
    let requests = (0..REQUESTS)
        .map(|i| {
            let u = rng.random_range(0..users.len());
            let org = if i % 2 == 0 {
                users[u].1
            } else {
                rng.random_range(0..orgs)
            };
            (u, rng.random_range(0..PERMS.len()), org)
        })
        .collect();
    Spec {
        orgs: org_ids,
        users,
        requests,
    }
}

struct Fixture {
    resolver: Resolver,
    requests: Vec<(UserId, PermissionId, Target)>,
}

fn fixture(catalog: &Catalog, spec: &Spec) -> Fixture {
    let all: Vec<PermissionKey> = PERMS
        .iter()
        .map(|p| PermissionKey::new(p).expect("key"))
        .collect();
    let roles = ROLES.map(|(r, _)| RoleKey::new(r).expect("role"));
    let mut model = AccessModel::new();
    for &o in &spec.orgs {
        model.add_org(o, None).entitle(o, all.clone());
    }
    for &(u, o, r) in &spec.users {
        model.add_user(u, UserKind::Standard, spec.orgs[o]);
        model.set_grant(
            u,
            spec.orgs[o],
            Scope::Organization,
            Grantables {
                roles: [roles[r].clone()].into(),
                ..Grantables::new()
            },
        );
    }
    let resolver = Resolver::compile(catalog, &model).expect("compile");
    let ids: Vec<PermissionId> = PERMS
        .iter()
        .map(|p| catalog.permission(p).expect("id"))
        .collect();
    let requests = spec
        .requests
        .iter()
        .map(|&(u, p, o)| (spec.users[u].0, ids[p], Target::Org(spec.orgs[o])))
        .collect();
    Fixture { resolver, requests }
}

fn label(orgs: usize) -> String {
    format!("{}k users", orgs / 100)
}

fn check(c: &mut Criterion) {
    let catalog = catalog();
    let mut group = c.benchmark_group("access check");
    for orgs in [100, 1_000, 10_000] {
        let spec = spec(orgs);
        let f = fixture(&catalog, &spec);
        let decisions: Vec<bool> = f
            .requests
            .iter()
            .map(|(u, p, t)| f.resolver.check(*u, *p, *t).is_allowed())
            .collect();
        let allowed = decisions.iter().filter(|d| **d).count();
        eprintln!(
            "{orgs} organizations, {} users: {allowed} of {REQUESTS} requests allowed",
            orgs * 10
        );
        #[cfg(tenantry_peers)]
        let peers = peers::Peers::build(&spec, &decisions);

        group.throughput(Throughput::Elements(REQUESTS as u64));
        group.bench_with_input(BenchmarkId::new("tenantry", label(orgs)), &f, |b, f| {
            b.iter(|| {
                let mut n = 0usize;
                for (u, p, t) in &f.requests {
                    n += usize::from(f.resolver.check(black_box(*u), *p, *t).is_allowed());
                }
                n
            })
        });
        #[cfg(tenantry_peers)]
        peers.bench(&mut group, orgs);
    }
    group.finish();
}

/// casbin-rs and cedar-policy given the same policy and requests.
#[cfg(tenantry_peers)]
mod peers {
    use std::collections::HashSet;
    use std::hint::black_box;
    use std::str::FromStr;

    use casbin::{
        CachedApi, CachedEnforcer, CoreApi, DefaultCache, DefaultModel, EnforceArgs, Enforcer,
        MemoryAdapter, MgmtApi,
    };
    use cedar_policy::{
        Authorizer, Context, Decision, Entities, Entity, EntityUid, PolicySet, Request,
    };
    use criterion::measurement::WallTime;
    use criterion::{BenchmarkGroup, BenchmarkId, SamplingMode, Throughput};

    use super::{PERMS, REQUESTS, ROLES, Spec, label};

    /// casbin's RBAC-with-domains model (its `rbac_with_domains_model.conf`).
    const MODEL: &str = "
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
";

    /// How many requests the uncached enforcer is timed on at this size: it scans every
    /// policy line per request, so all 2,000 at 10k organizations would take minutes a sample.
    fn uncached_sample(orgs: usize) -> usize {
        (REQUESTS * 100 / orgs).clamp(20, REQUESTS)
    }

    pub struct Peers {
        casbin: Enforcer,
        cached: CachedEnforcer,
        /// (user, organization, object, action) per request.
        casbin_requests: Vec<[String; 4]>,
        cedar_policies: Vec<PolicySet>,
        cedar_entities: Entities,
        /// (organization index, request) per request.
        cedar_requests: Vec<(usize, Request)>,
    }

    fn split(perm: &str) -> (&str, &str) {
        perm.split_once('.')
            .expect("permission keys are object.action")
    }

    impl Peers {
        /// Builds both peers and asserts that they decide every request as tenantry did.
        pub fn build(spec: &Spec, expected: &[bool]) -> Self {
            let mut policies = Vec::new();
            for o in &spec.orgs {
                for (role, perms) in ROLES {
                    for p in perms {
                        let (obj, act) = split(p);
                        policies.push(vec![role.into(), o.to_string(), obj.into(), act.into()]);
                    }
                }
            }
            let groupings: Vec<Vec<String>> = spec
                .users
                .iter()
                .map(|&(u, o, r)| vec![u.to_string(), ROLES[r].0.into(), spec.orgs[o].to_string()])
                .collect();
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            let (casbin, mut cached) = rt.block_on(async {
                let model = DefaultModel::from_str(MODEL).await.expect("model");
                let mut plain = Enforcer::new(model, MemoryAdapter::default())
                    .await
                    .expect("enforcer");
                plain
                    .add_policies(policies.clone())
                    .await
                    .expect("policies");
                plain
                    .add_grouping_policies(groupings.clone())
                    .await
                    .expect("groupings");
                let model = DefaultModel::from_str(MODEL).await.expect("model");
                let mut cached = CachedEnforcer::new(model, MemoryAdapter::default())
                    .await
                    .expect("enforcer");
                cached.add_policies(policies).await.expect("policies");
                cached
                    .add_grouping_policies(groupings)
                    .await
                    .expect("groupings");
                (plain, cached)
            });
            cached.set_cache(Box::new(DefaultCache::new(2 * REQUESTS)));
            let casbin_requests: Vec<[String; 4]> = spec
                .requests
                .iter()
                .map(|&(u, p, o)| {
                    let (obj, act) = split(PERMS[p]);
                    [
                        spec.users[u].0.to_string(),
                        spec.orgs[o].to_string(),
                        obj.into(),
                        act.into(),
                    ]
                })
                .collect();

            let uid = |kind: &str, id: &str| {
                EntityUid::from_str(&format!("{kind}::\"{id}\"")).expect("entity uid")
            };
            let cedar_policies = spec
                .orgs
                .iter()
                .map(|o| {
                    let text: String = ROLES
                        .iter()
                        .map(|(role, perms)| {
                            let actions: Vec<String> =
                                perms.iter().map(|p| format!("Action::\"{p}\"")).collect();
                            format!(
                                "permit(principal in Role::\"{o}/{role}\", action in [{}], \
                                 resource == Org::\"{o}\");\n",
                                actions.join(", ")
                            )
                        })
                        .collect();
                    PolicySet::from_str(&text).expect("policies")
                })
                .collect();
            let roles = spec.orgs.iter().flat_map(|o| {
                ROLES.iter().map(move |(role, _)| {
                    Entity::new_no_attrs(uid("Role", &format!("{o}/{role}")), HashSet::new())
                })
            });
            let users = spec.users.iter().map(|&(u, o, r)| {
                let role = uid("Role", &format!("{}/{}", spec.orgs[o], ROLES[r].0));
                Entity::new_no_attrs(uid("User", &u.to_string()), [role].into())
            });
            let cedar_entities =
                Entities::from_entities(roles.chain(users), None).expect("entities");
            let cedar_requests = spec
                .requests
                .iter()
                .map(|&(u, p, o)| {
                    let request = Request::new(
                        uid("User", &spec.users[u].0.to_string()),
                        uid("Action", PERMS[p]),
                        uid("Org", &spec.orgs[o].to_string()),
                        Context::empty(),
                        None,
                    )
                    .expect("request");
                    (o, request)
                })
                .collect();
            let mut peers = Peers {
                casbin,
                cached,
                casbin_requests,
                cedar_policies,
                cedar_entities,
                cedar_requests,
            };
            peers.assert_same(expected, spec.orgs.len());
            peers
        }

        fn casbin_allows(e: &impl CoreApi, [u, o, obj, act]: &[String; 4]) -> bool {
            e.enforce((u.as_str(), o.as_str(), obj.as_str(), act.as_str()))
                .expect("enforce")
        }

        fn cedar_allows(&self, (o, request): &(usize, Request)) -> bool {
            Authorizer::new()
                .is_authorized(request, &self.cedar_policies[*o], &self.cedar_entities)
                .decision()
                == Decision::Allow
        }

        /// Every request through cedar and the cached enforcer (whose first pass is casbin's
        /// uncached evaluation and fills its cache), and the uncached enforcer's timed sample.
        fn assert_same(&mut self, expected: &[bool], orgs: usize) {
            for (i, want) in expected.iter().enumerate() {
                let cedar = self.cedar_allows(&self.cedar_requests[i]);
                assert_eq!(cedar, *want, "cedar differs on request {i}");
                let cached = Self::casbin_allows(&self.cached, &self.casbin_requests[i]);
                assert_eq!(cached, *want, "casbin (cached) differs on request {i}");
            }
            for (i, want) in expected.iter().enumerate().take(uncached_sample(orgs)) {
                let plain = Self::casbin_allows(&self.casbin, &self.casbin_requests[i]);
                assert_eq!(plain, *want, "casbin differs on request {i}");
            }
            // The cache's keys are casbin's own hash of the request; every one must be there,
            // or the "hit" figures would include evaluations.
            let cache = self.cached.get_mut_cache();
            let misses = self
                .casbin_requests
                .iter()
                .filter(|[u, o, obj, act]| {
                    !cache.has(&EnforceArgs::cache_key(&(
                        u.as_str(),
                        o.as_str(),
                        obj.as_str(),
                        act.as_str(),
                    )))
                })
                .count();
            assert_eq!(
                misses, 0,
                "the cached enforcer's cache must hold every request"
            );
            let sample = uncached_sample(orgs);
            eprintln!(
                "casbin and cedar agree with tenantry on all {} requests ({sample} through the \
                 uncached enforcer, {} of them allowed)",
                expected.len(),
                expected[..sample].iter().filter(|d| **d).count()
            );
        }

        pub fn bench(&self, group: &mut BenchmarkGroup<'_, WallTime>, orgs: usize) {
            group.throughput(Throughput::Elements(REQUESTS as u64));
            group.bench_function(
                BenchmarkId::new("casbin CachedEnforcer hit", label(orgs)),
                |b| {
                    b.iter(|| {
                        let mut n = 0usize;
                        for r in &self.casbin_requests {
                            n += usize::from(Self::casbin_allows(&self.cached, black_box(r)));
                        }
                        n
                    })
                },
            );
            group.bench_function(BenchmarkId::new("cedar is_authorized", label(orgs)), |b| {
                b.iter(|| {
                    let mut n = 0usize;
                    for r in &self.cedar_requests {
                        n += usize::from(self.cedar_allows(black_box(r)));
                    }
                    n
                })
            });
            let sample = uncached_sample(orgs);
            group.throughput(Throughput::Elements(sample as u64));
            // Seconds an iteration: ten flat samples, not criterion's hundred.
            group.sample_size(10).sampling_mode(SamplingMode::Flat);
            group.bench_function(
                BenchmarkId::new(format!("casbin Enforcer, first {sample}"), label(orgs)),
                |b| {
                    b.iter(|| {
                        let mut n = 0usize;
                        for r in &self.casbin_requests[..sample] {
                            n += usize::from(Self::casbin_allows(&self.casbin, black_box(r)));
                        }
                        n
                    })
                },
            );
            group.sample_size(100).sampling_mode(SamplingMode::Auto);
        }
    }
}

criterion_group!(benches, check);
criterion_main!(benches);

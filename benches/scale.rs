//! The data path at scale (issue 29), first part: what one admin action and one permission
//! check cost in an organization of 1,000 and of 100,000 users, on SQLite (a WAL file) and
//! PostgreSQL, each beside raw SQL answering the same question on the same database.
//!
//! - `check`: `Directory::check` of a member's permission; raw: the member's grants by an
//!   indexed `SELECT`.
//! - `group members`: `Directory::group_members` of a group of ten; raw: the members by a
//!   join of memberships and users.
//! - `add + remove group member`: `change_members` adding one member of the organization to
//!   the group, then removing them.
//! - `deactivate member` / `deactivate admin`: `change_account` deactivating, then
//!   reactivating, one member (or one of two admins: the last-admin rule then looks for the
//!   organization's other admins); raw: the same two state changes as two `UPDATE`s.
//!
//! Run with `cargo bench --bench scale`. `TENANTRY_BENCH_SIZES` sets the sizes (default
//! `1000,100000`); PostgreSQL cases run when `TENANTRY_POSTGRES_URL` is set, in a schema of
//! their own. The users are written straight into the store (not timed), 1,000 per commit,
//! each with a grant of the role `member`.

#![allow(clippy::expect_used, clippy::unwrap_used)] // bench setup fails loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use rand::SeedableRng;
use tenantry::testing::{World, WorldBuilder, admin_catalog_builder, epoch};
use tenantry::{Changeset, Record, Store, UserRecord};
use tenantry_access::{Catalog, GrantRef, Grantables, RoleKey, Scope, Target};
use tenantry_identity::{
    Email, Group, GroupId, LoginIdentifiers, Name, Profile, User, UserId, UserKind,
};
use tenantry_lifecycle::{Account, AccountParts, AccountState, Event};
use tenantry_sqlx::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tenantry_sqlx::{PostgresStore, SqliteStore, sqlx};
use tokio::runtime::Runtime;

fn sizes() -> Vec<usize> {
    std::env::var("TENANTRY_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 100_000])
}

/// The test catalog with the role `member` (`feed.read`).
fn catalog() -> Catalog {
    let mut b = admin_catalog_builder().unwrap();
    b.role("member", "Member", &["feed.read"]).unwrap();
    b.build().unwrap()
}

fn member_role() -> Grantables {
    Grantables {
        roles: [RoleKey::new("member").unwrap()].into(),
        ..Grantables::new()
    }
}

fn active_user(w: &World, rng: &mut rand::rngs::StdRng, i: usize) -> UserRecord {
    let ids = LoginIdentifiers {
        email: Some(Email::parse(&format!("user{i}@scale.example")).unwrap()),
        ..Default::default()
    };
    let id = UserId::generate(epoch(), rng);
    UserRecord {
        user: User::new(
            id,
            w.org,
            UserKind::Standard,
            Profile::default(),
            ids,
            epoch(),
        )
        .unwrap(),
        account: Account::from_parts(AccountParts {
            kind: UserKind::Standard,
            state: AccountState::Active,
            activated: true,
            approved: true,
            since: epoch(),
        })
        .unwrap(),
        password: None,
        last_sign_in: None,
        notifications: Default::default(),
        must_change_password: false,
    }
}

/// A world on `store` with `n` members and a group of ten of them; returns it with one
/// member, a second admin, the group and a member of the organization outside the group.
async fn populate(store: Arc<dyn Store>, n: usize) -> (World, UserId, UserId, GroupId, UserId) {
    let w = WorldBuilder::new()
        .store(store)
        .catalog(catalog())
        .build()
        .await
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64);
    let mut ids = Vec::with_capacity(n);
    for block in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut cs = Changeset::new();
        for &i in block {
            let user = active_user(&w, &mut rng, i);
            let at = GrantRef {
                user: user.user.id(),
                org: w.org,
                scope: Scope::Organization,
            };
            ids.push(user.user.id());
            cs.insert(Record::User(user))
                .insert(Record::Grant(at, member_role()));
        }
        w.store.commit(cs).await.unwrap();
    }
    let member = ids[n / 2];
    let admin = ids[n / 3];
    w.grant_admin(admin, w.org).await.unwrap();
    let group = Group::new(
        GroupId::generate(epoch(), &mut rng),
        w.org,
        Name::parse("Ten").unwrap(),
        epoch(),
    );
    let group = w.dir.create_group(w.admin(), group).await.unwrap();
    w.dir
        .change_members(w.admin(), group, &ids[..10], &[])
        .await
        .unwrap();
    (w, member, admin, group, ids[n - 1])
}

/// Times `f` `iters` times on `rt`.
fn timed<F, Fut>(rt: &Runtime, iters: u64, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            f().await;
        }
        start.elapsed()
    })
}

/// The raw queries, for one backend: the member's grants; a state change of one user.
struct Raw {
    grants: &'static str,
    members: &'static str,
    state: &'static str,
}

const RAW: Raw = Raw {
    grants: "SELECT body FROM tenantry_records WHERE kind = 'grant' AND user_id = $1",
    members: "SELECT r.body FROM tenantry_records m JOIN tenantry_records r \
        ON r.key = 'user/' || m.user_id WHERE m.kind = 'membership' AND m.group_id = $1",
    state: "UPDATE tenantry_records SET account_state = $1, version = version + 1 \
        WHERE key = $2",
};

macro_rules! cases {
    ($c:expr, $rt:expr, $label:expr, $world:expr, $pool:expr) => {{
        let ((w, member, admin, group, outsider), pool) = (&$world, &$pool);
        let (member, admin, group, outsider) = (*member, *admin, *group, *outsider);
        let mut g = $c.benchmark_group($label);
        g.sample_size(20)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(3));
        g.bench_function("check/directory", |b| {
            b.iter_custom(|iters| {
                timed(&$rt, iters, || async {
                    let d = w
                        .dir
                        .check(member, "feed.read", Target::Org(w.org))
                        .await
                        .unwrap();
                    assert!(d.is_allowed());
                })
            })
        });
        g.bench_function("check/raw", |b| {
            b.iter_custom(|iters| {
                timed(&$rt, iters, || async {
                    let rows = sqlx::query(RAW.grants)
                        .bind(member.to_string())
                        .fetch_all(pool)
                        .await
                        .unwrap();
                    assert_eq!(rows.len(), 1);
                })
            })
        });
        for (name, user) in [("deactivate member", member), ("deactivate admin", admin)] {
            g.bench_function(format!("{name}/directory"), |b| {
                b.iter_custom(|iters| {
                    timed(&$rt, iters, || async {
                        for e in [Event::Deactivate, Event::Reactivate] {
                            w.dir.change_account(w.admin(), user, e).await.unwrap();
                        }
                    })
                })
            });
        }
        g.bench_function("group members/directory", |b| {
            b.iter_custom(|iters| {
                timed(&$rt, iters, || async {
                    let page = w
                        .dir
                        .group_members(w.admin(), group, None, 0)
                        .await
                        .unwrap();
                    assert_eq!(page.members.len(), 10);
                })
            })
        });
        g.bench_function("group members/raw", |b| {
            b.iter_custom(|iters| {
                timed(&$rt, iters, || async {
                    let rows = sqlx::query(RAW.members)
                        .bind(group.to_string())
                        .fetch_all(pool)
                        .await
                        .unwrap();
                    assert_eq!(rows.len(), 10);
                })
            })
        });
        g.bench_function("add + remove group member/directory", |b| {
            b.iter_custom(|iters| {
                timed(&$rt, iters, || async {
                    let one = [outsider];
                    w.dir
                        .change_members(w.admin(), group, &one, &[])
                        .await
                        .unwrap();
                    w.dir
                        .change_members(w.admin(), group, &[], &one)
                        .await
                        .unwrap();
                })
            })
        });
        g.bench_function("deactivate/raw", |b| {
            b.iter_custom(|iters| {
                timed(&$rt, iters, || async {
                    for state in ["inactive", "active"] {
                        sqlx::query(RAW.state)
                            .bind(state)
                            .bind(format!("user/{member}"))
                            .execute(pool)
                            .await
                            .unwrap();
                    }
                })
            })
        });
        g.finish();
    }};
}

fn sqlite(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    for n in sizes() {
        let path =
            std::env::temp_dir().join(format!("tenantry-scale-{n}-{}.db", std::process::id()));
        let store = rt.block_on(SqliteStore::open(&path)).unwrap();
        let pool = store.pool().clone();
        let world = rt.block_on(populate(Arc::new(store), n));
        cases!(c, rt, format!("scale {n} users/sqlite"), world, pool);
        drop(world);
        rt.block_on(pool.close());
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

fn postgres(c: &mut Criterion) {
    let Ok(url) = std::env::var("TENANTRY_POSTGRES_URL") else {
        eprintln!("TENANTRY_POSTGRES_URL is not set: PostgreSQL cases skipped");
        return;
    };
    let rt = Runtime::new().unwrap();
    for n in sizes() {
        let schema = format!("tenantry_scale_{n}_{}", std::process::id());
        let admin_pool = rt
            .block_on(PgPoolOptions::new().max_connections(1).connect(&url))
            .unwrap();
        rt.block_on(sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin_pool))
            .unwrap();
        let options: PgConnectOptions = url.parse().unwrap();
        let pool = rt
            .block_on(
                PgPoolOptions::new()
                    .max_connections(8)
                    .connect_with(options.options([("search_path", schema.as_str())])),
            )
            .unwrap();
        let store = PostgresStore::from_pool(pool.clone());
        rt.block_on(store.migrate()).unwrap();
        let world = rt.block_on(populate(Arc::new(store), n));
        rt.block_on(sqlx::query("ANALYZE").execute(&pool)).unwrap();
        cases!(c, rt, format!("scale {n} users/postgres"), world, pool);
        drop(world);
        rt.block_on(pool.close());
        rt.block_on(sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin_pool))
            .unwrap();
    }
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);

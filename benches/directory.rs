//! Users imported through the Directory — the workforce platform template import: `plan_import` of a
//! CSV file, then `commit_import`, each user created with the permission type "member"
//! granted — on SQLite (a WAL file) and PostgreSQL, each beside a raw
//! sqlx batch insert of the same rows (id, organization, email, first and last name) into a
//! plain table of the same database, in the same run.
//!
//! Run with `cargo bench --bench directory` (long: each sample imports every user into a
//! fresh database). `TENANTRY_BENCH_USERS` sets the number of users (default 100,000);
//! PostgreSQL cases run when `TENANTRY_POSTGRES_URL` is set, each sample in a fresh schema.

#![allow(clippy::expect_used, clippy::unwrap_used)] // bench setup fails loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use rand::SeedableRng;
use tenantry::testing::{WorldBuilder, admin_catalog_builder, epoch};
use tenantry::{Caller, Directory, Store};
use tenantry_access::Catalog;
use tenantry_identity::{OrgId, UserId};
use tenantry_sqlx::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tenantry_sqlx::sqlx::{self, QueryBuilder};
use tenantry_sqlx::{PostgresStore, SqliteStore};

fn users() -> usize {
    std::env::var("TENANTRY_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn row(i: usize) -> (String, String, String) {
    (
        format!("First{i}"),
        format!("Last{i}"),
        format!("user{i}@import.example"),
    )
}

fn csv(n: usize) -> Vec<u8> {
    let mut out = String::from("First name;Last name;Permission type;Email;Language\n");
    for i in 0..n {
        let (first, last, email) = row(i);
        out.push_str(&format!("{first};{last};member;{email};en\n"));
    }
    out.into_bytes()
}

/// The test catalog (`org.admin`, `feed.read`, the role `admin`) with the role `member`.
fn catalog() -> Catalog {
    let mut b = admin_catalog_builder().unwrap();
    b.role("member", "Member", &["feed.read"]).unwrap();
    b.build().unwrap()
}

/// A directory on `store` with a root organization and its admin (not timed). Only the
/// admin's password is hashed, outside the timed part; the world's fast parameters keep the
/// setup short and change nothing that is measured.
async fn directory(store: Arc<dyn Store>) -> (Directory, OrgId, UserId) {
    let w = WorldBuilder::new()
        .store(store)
        .catalog(catalog())
        .root_name("Importers")
        .admin_email("ada@import-admin.example")
        .build()
        .await
        .unwrap();
    (w.dir, w.org, w.admin)
}

/// The timed part: plan and commit the import.
async fn import(dir: &Directory, org: OrgId, admin: UserId, file: &[u8], n: usize) -> Duration {
    let start = Instant::now();
    let plan = dir
        .plan_import(Caller::User(admin), org, file, tenantry::ImportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(plan.create.len(), n, "{:?}", plan.rejected.first());
    let outcome = dir
        .commit_import(Caller::User(admin), org, &plan)
        .await
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(outcome.created.len(), n);
    elapsed
}

const RAW_TABLE: &str = "CREATE TABLE bench_users (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, \
    email TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL, last_name TEXT NOT NULL)";

/// The same rows, with ids, as the raw baseline inserts them.
fn raw_rows(n: usize) -> Vec<[String; 5]> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let now = epoch();
    let org = OrgId::generate(now, &mut rng).to_string();
    (0..n)
        .map(|i| {
            let (first, last, email) = row(i);
            let id = UserId::generate(now, &mut rng).to_string();
            [id, org.clone(), email, first, last]
        })
        .collect()
}

/// Inserts `rows` in one transaction, 1,000 rows per statement.
macro_rules! raw_insert {
    ($pool:expr, $rows:expr) => {{
        let mut tx = $pool.begin().await.unwrap();
        for chunk in $rows.chunks(1000) {
            let mut q = QueryBuilder::new(
                "INSERT INTO bench_users (id, org_id, email, first_name, last_name) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(&r[0])
                    .push_bind(&r[1])
                    .push_bind(&r[2])
                    .push_bind(&r[3])
                    .push_bind(&r[4]);
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }};
}

fn temp_file() -> std::path::PathBuf {
    let mut bytes = [0u8; 8];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("tenantry-bench-{name}.db"))
}

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The settings of every group here: ten flat samples of one import each (not criterion's
/// 55-import ramp), no warm-up beyond one import.
fn group(c: &mut Criterion, name: String, n: usize) -> BenchmarkGroup<'_, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .throughput(Throughput::Elements(n as u64));
    g
}

/// Runs `one` `iters` times on `rt`, adding up the time each reports (setup excluded).
fn total<F, Fut>(rt: &Runtime, iters: u64, mut one: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Duration>,
{
    rt.block_on(async {
        let mut sum = Duration::ZERO;
        for _ in 0..iters {
            sum += one().await;
        }
        sum
    })
}

/// A root organization on `store`, then the timed import.
async fn import_into(store: Arc<dyn Store>, file: &[u8], n: usize) -> Duration {
    let (dir, org, admin) = directory(store).await;
    import(&dir, org, admin, file, n).await
}

fn sqlite(c: &mut Criterion) {
    let n = users();
    let (file, rows) = (&csv(n), &raw_rows(n));
    let rt = Runtime::new().unwrap();
    let mut g = group(c, format!("import {n} users/sqlite"), n);
    g.bench_function("directory", |b| {
        b.iter_custom(|iters| {
            total(&rt, iters, || async move {
                let path = temp_file();
                let store = Arc::new(SqliteStore::open(&path).await.unwrap());
                let took = import_into(store.clone(), file, n).await;
                store.pool().close().await;
                remove_db(&path);
                took
            })
        })
    });
    g.bench_function("raw sqlx", |b| {
        b.iter_custom(|iters| {
            total(&rt, iters, || async move {
                let path = temp_file();
                let pool = SqliteStore::open(&path).await.unwrap().pool().clone();
                sqlx::query(RAW_TABLE).execute(&pool).await.unwrap();
                let start = Instant::now();
                raw_insert!(pool, rows);
                let took = start.elapsed();
                pool.close().await;
                remove_db(&path);
                took
            })
        })
    });
    g.finish();
}

/// A store in a fresh schema `tenantry_bench` (dropped first if a run left one).
async fn fresh_schema(url: &str, admin_pool: &PgPool) -> PostgresStore {
    let name = "tenantry_bench";
    for statement in [
        format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
        format!("CREATE SCHEMA {name}"),
    ] {
        sqlx::query(&statement).execute(admin_pool).await.unwrap();
    }
    let options: PgConnectOptions = url.parse().unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(options.options([("search_path", name)]))
        .await
        .unwrap();
    let store = PostgresStore::from_pool(pool);
    store.migrate().await.unwrap();
    store
}

fn postgres(c: &mut Criterion) {
    let Ok(url) = std::env::var("TENANTRY_POSTGRES_URL") else {
        eprintln!("TENANTRY_POSTGRES_URL is not set: PostgreSQL cases skipped");
        return;
    };
    let n = users();
    let (file, rows) = (&csv(n), &raw_rows(n));
    let rt = Runtime::new().unwrap();
    let admin_pool = &rt.block_on(async {
        PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap()
    });
    let url = url.as_str();
    let mut g = group(c, format!("import {n} users/postgres"), n);
    g.bench_function("directory", |b| {
        b.iter_custom(|iters| {
            total(&rt, iters, || async move {
                let store = Arc::new(fresh_schema(url, admin_pool).await);
                let took = import_into(store.clone(), file, n).await;
                store.pool().close().await;
                took
            })
        })
    });
    g.bench_function("raw sqlx", |b| {
        b.iter_custom(|iters| {
            total(&rt, iters, || async move {
                let pool = fresh_schema(url, admin_pool).await.pool().clone();
                sqlx::query(RAW_TABLE).execute(&pool).await.unwrap();
                let start = Instant::now();
                raw_insert!(pool, rows);
                let took = start.elapsed();
                pool.close().await;
                took
            })
        })
    });
    g.finish();
    rt.block_on(async {
        sqlx::query("DROP SCHEMA IF EXISTS tenantry_bench CASCADE")
            .execute(admin_pool)
            .await
            .unwrap();
    });
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);

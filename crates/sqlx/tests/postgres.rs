//! The PostgreSQL store, when `TENANTRY_POSTGRES_URL` is set (`.ci/run` sets it): the
//! conformance suite, migrations, and the directory's concurrency scenarios, each test in a
//! schema of its own that is dropped afterwards.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::sync::Arc;

use tenantry::{Store, StoreErrorKind, conformance};
use tenantry_sqlx::sqlx::postgres::PgPoolOptions;
use tenantry_sqlx::{PostgresStore, SchemaError, sqlx};

/// Runs `test` on a store in a schema of its own (created first, migrated), then closes the
/// store's pool and drops the schema, also when the test panics. Without
/// `TENANTRY_POSTGRES_URL` it skips — except under CI, where that is an error.
async fn in_schema<F, Fut>(max_connections: u32, test: F)
where
    F: FnOnce(PostgresStore, String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Ok(url) = std::env::var("TENANTRY_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set TENANTRY_POSTGRES_URL"
        );
        eprintln!("TENANTRY_POSTGRES_URL is not set: PostgreSQL test skipped");
        return;
    };
    let name = format!("tenantry_test_{}", common::random_hex(8));
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let store = common::store_in_new_schema(&url, &name, max_connections).await;
    let pool = store.pool().clone();
    let outcome = tokio::spawn(test(store, url)).await;
    pool.close().await;
    sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_passes_the_conformance_suite_twice() {
    in_schema(16, |store, _| async move {
        let store: Arc<dyn Store> = Arc::new(store);
        conformance::run_all(store.clone()).await.unwrap();
        conformance::run_all(store).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn directory_scenarios_on_postgres() {
    in_schema(16, |store, _| async move {
        common::scenarios(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_take_turns() {
    in_schema(8, |store, _| async move {
        sqlx::query(
            "DROP TABLE tenantry_grant_names, tenantry_audit, tenantry_unique_keys, tenantry_records, \
             tenantry_migrations",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let store = PostgresStore::from_pool(store.pool().clone());
                tokio::spawn(async move { store.migrate().await })
            })
            .collect();
        let mut applied = 0;
        for h in handles {
            applied += h.await.unwrap().unwrap();
        }
        assert_eq!(
            applied, 3,
            "exactly one of four concurrent runs applied the three migrations"
        );
        assert!(store.orgs().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    in_schema(2, |store, _| async move {
        sqlx::query(
            "INSERT INTO tenantry_migrations (version, name, checksum) VALUES (7, 'future', 'x')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        match store.migrate().await {
            Err(SchemaError::Newer {
                applied: 7,
                known: 3,
            }) => {}
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    in_schema(1, |_, _| async move {
        // A short acquire timeout: the pool would otherwise retry for 30 s.
        let pool = PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_millis(500))
            .connect_lazy("postgres://postgres@127.0.0.1:1/test")
            .unwrap();
        let store = PostgresStore::from_pool(pool);
        match store.migrate().await {
            Err(SchemaError::Database(e)) => assert_eq!(e.kind(), StoreErrorKind::Unavailable),
            other => panic!("{other:?}"),
        }
        let err = store.orgs().await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
    })
    .await;
}

#[tokio::test]
async fn schema_3_indexes_the_grants_written_before_it() {
    in_schema(2, |store, _| async move {
        let at = common::admin_grant_before_schema_3(&store).await;
        for sql in common::BACK_TO_SCHEMA_2 {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        assert_eq!(store.migrate().await.unwrap(), 1, "schema 3 applied again");
        common::grant_is_indexed(&store, at).await;
    })
    .await;
}

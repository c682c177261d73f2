//! The directory's scenarios (`tenantry/tests/directory`) on PostgreSQL, when
//! `TENANTRY_POSTGRES_URL` is set (`.ci/run` sets it): every use case of every product walk,
//! each world in a schema of its own. Schemas of earlier runs are dropped when a run starts
//! (a test cannot drop its own: the world outlives the test's last statement).

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::sync::Arc;

use tenantry_sqlx::sqlx;
use tenantry_sqlx::sqlx::postgres::PgPoolOptions;

mod common;

include!("common/scenarios.rs");

/// The prefix of this binary's schemas; the process id tells this run's from earlier ones.
const PREFIX: &str = "tenantry_dir_";

static CLEANED: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

/// A fresh schema on the server for each world, migrated. Without `TENANTRY_POSTGRES_URL`
/// the scenarios say so and run on MemoryStore; under CI that is an error.
pub async fn store() -> Arc<dyn tenantry::Store> {
    let Ok(url) = std::env::var("TENANTRY_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set TENANTRY_POSTGRES_URL"
        );
        eprintln!(
            "TENANTRY_POSTGRES_URL is not set: this scenario ran on MemoryStore, not PostgreSQL"
        );
        return Arc::new(tenantry::MemoryStore::new());
    };
    let own = format!("{PREFIX}{}_", std::process::id());
    {
        let mut cleaned = CLEANED.lock().await;
        if !*cleaned {
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await
                .unwrap();
            let old: Vec<(String,)> = sqlx::query_as(
                "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'tenantry\\_dir\\_%'",
            )
            .fetch_all(&admin)
            .await
            .unwrap();
            for (name,) in old.into_iter().filter(|(n,)| !n.starts_with(&own)) {
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .execute(&admin)
                    .await
                    .unwrap();
            }
            admin.close().await;
            *cleaned = true;
        }
    }
    let suffix: u64 = rand::random();
    let name = format!("{own}{suffix:016x}");
    let store = common::store_in_new_schema(&url, &name, 4).await;
    Arc::new(store)
}

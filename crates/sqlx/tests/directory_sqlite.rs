//! The directory's scenarios (`tenantry/tests/directory`) on SQLite: every use case of
//! every product walk, on a fresh in-memory database per test.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::sync::Arc;

include!("common/scenarios.rs");

/// A fresh in-memory SQLite store for each world.
pub async fn store() -> Arc<dyn tenantry::Store> {
    Arc::new(tenantry_sqlx::SqliteStore::in_memory().await.unwrap())
}

//! The directory's use cases on MemoryStore, one module per area, and the end-to-end walks
//! of each product (`products`). Shared fixtures come from [`tenantry::testing`]; what only
//! these tests need is in `support`.
//!
//! The scenarios run against any store: a binary that includes these modules (by `#[path]`)
//! and defines its own `store()` runs them on that store. `tenantry-sqlx` runs them on
//! SQLite and PostgreSQL this way; a host can do the same for its own `Store`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod support;

use std::sync::Arc;

/// The store every scenario's world is built on.
pub async fn store() -> Arc<dyn tenantry::Store> {
    Arc::new(tenantry::MemoryStore::new())
}

mod accounts;
mod activation;
mod exchange;
mod groups;
mod invitations;
mod notifications;
mod organizations;
mod places;
mod products;
mod sign_in;
mod users;

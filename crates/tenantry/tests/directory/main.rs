//! The directory's use cases on MemoryStore, one module per area, and the end-to-end walks
//! of each product (`products`). Shared fixtures come from [`tenantry::testing`]; what only
//! these tests need is in `support`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod support;

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

//! # tenantry-sqlx
//!
//! The tenantry `Store` on real databases through sqlx: SQLite as the embedded default and
//! PostgreSQL for hosts that run many instances, with embedded versioned migrations.
//!
//! It is not written yet: see the SQLite-and-PostgreSQL issue. Nothing here is public API.

//! # tenantry-sqlx
//!
//! The tenantry [`Store`] on real databases through sqlx: [`SqliteStore`] (feature `sqlite`,
//! on by default) as the embedded default, a file or in memory, and [`PostgresStore`]
//! (feature `postgres`) for hosts that run many instances against one database.
//!
//! - **Schema**: embedded, versioned migrations, applied when a store is opened
//!   ([`SqliteStore::open`], [`PostgresStore::connect`]) or by an explicit
//!   [`SqliteStore::migrate`] / [`PostgresStore::migrate`] for stores made from a pool the
//!   host built. Applied migrations are recorded in `tenantry_migrations` (not sqlx's
//!   `_sqlx_migrations`, which the host's own migrations may use); a database migrated by a
//!   newer release, or whose recorded migration differs from the embedded one, is refused
//!   with a [`SchemaError`] and left untouched. All tables start with `tenantry_`.
//! - **Records**: each is a row of `tenantry_records` holding its version and the record as
//!   JSON, with the columns its queries need beside it (organization, user, group, user
//!   kind, account state, outbox due time), each indexed. Login identifiers and sign-up codes
//!   are rows of `tenantry_unique_keys`, whose primary key refuses a second owner; emails
//!   and usernames are case-folded before they get there, so the match is case-insensitive.
//! - **Commits**: one transaction per [`tenantry::Changeset`]. Updates and
//!   deletes are conditional on the version read (`UPDATE … WHERE key = $1 AND version = $2`);
//!   inserts and identifier claims use `ON CONFLICT DO NOTHING`. A write that changes no row
//!   is the database's own answer: `Conflict`, `NotFound` or `Duplicate` follow from it, never
//!   from a read made beforehand, so concurrent processes cannot slip between a check and a
//!   write. Consuming a single-use token is one such conditional update: of any number of
//!   concurrent redemptions, exactly one commits. Deadlocks and serialization failures on
//!   PostgreSQL are reported as `Conflict`, which the directory retries.
//! - **SQLite**: WAL journal, foreign keys on, a 5 s busy timeout, `BEGIN IMMEDIATE` for
//!   commits. An in-memory database lives in one connection that the pool never closes.
//!
//! ```
//! use tenantry::{Changeset, OrgRecord, Record, Store};
//! use tenantry_sqlx::SqliteStore;
//! # use chrono::{TimeZone, Utc};
//! # use rand::SeedableRng;
//! # use tenantry_identity::{Name, OrgId, Organization};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = SqliteStore::in_memory().await?; // or SqliteStore::open("directory.db")
//! # let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
//! # let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! let org = Organization::new(OrgId::generate(now, &mut rng), None, Name::parse("Acme")?, now);
//! let record = OrgRecord::new(org);
//! let mut changes = Changeset::new();
//! changes.insert(Record::Org(record));
//! store.commit(changes).await?;
//! assert_eq!(store.orgs().await?.len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! Both stores pass tenantry's store conformance suite (`tenantry::conformance`), SQLite in
//! every test run and PostgreSQL when `TENANTRY_POSTGRES_URL` is set.

mod backend;
mod core;
mod migrate;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use migrate::SchemaError;
/// The sqlx this crate is built on, to build pools and options with.
pub use sqlx;
use tenantry::{
    AuditEvent, AuditQuery, Changeset, Committed, ListOf, OrgRecord, OutboxMessage, Page, Record,
    RecordKey, StaleKind, Store, StoreError, UserQuery, UserRecord, Versioned,
};
use tenantry_identity::{LoginKey, SignUpCode};

use crate::core::Core;

/// Implements `Store` by handing each call to the store's `Core`.
macro_rules! delegate_store {
    ($store:ty) => {
        #[async_trait]
        impl Store for $store {
            async fn get(&self, key: &RecordKey) -> Result<Option<Versioned<Record>>, StoreError> {
                self.core.get(key).await
            }

            async fn user_by_login(
                &self,
                key: &LoginKey,
            ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
                self.core.user_by_login(key).await
            }

            async fn users(
                &self,
                query: &UserQuery,
            ) -> Result<Page<Versioned<UserRecord>>, StoreError> {
                self.core.users(query).await
            }

            async fn orgs(&self) -> Result<Vec<Versioned<OrgRecord>>, StoreError> {
                self.core.orgs().await
            }

            async fn list(&self, of: &ListOf) -> Result<Vec<Versioned<Record>>, StoreError> {
                self.core.list(of).await
            }

            async fn department_by_code(
                &self,
                code: &SignUpCode,
            ) -> Result<Option<Versioned<Record>>, StoreError> {
                self.core.department_by_code(code).await
            }

            async fn pending_outbox(
                &self,
                now: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<Versioned<OutboxMessage>>, StoreError> {
                self.core.pending_outbox(now, limit).await
            }

            async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
                self.core.audit(query).await
            }

            async fn commit(&self, changeset: Changeset) -> Result<Committed, StoreError> {
                self.core.commit(changeset).await
            }

            async fn stale(
                &self,
                kind: StaleKind,
                before: DateTime<Utc>,
                limit: usize,
            ) -> Result<Vec<Versioned<Record>>, StoreError> {
                self.core.stale(kind, before, limit).await
            }
        }
    };
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::path::Path;
    use std::str::FromStr;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

    use super::*;

    /// The [`Store`] on SQLite: a database file (created if missing) or memory.
    pub struct SqliteStore {
        core: Core<sqlx::Sqlite>,
    }

    impl SqliteStore {
        /// Opens (creating it if missing) the database file at `path` and brings its schema
        /// up to date.
        pub async fn open(path: impl AsRef<Path>) -> Result<Self, SchemaError> {
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true);
            Self::open_with(options, 8).await
        }

        /// A fresh database in memory (gone when the store is dropped), schema applied. One
        /// connection holds it; commits and reads take turns on it.
        pub async fn in_memory() -> Result<Self, SchemaError> {
            let options = SqliteConnectOptions::from_str("sqlite::memory:")
                .map_err(|e| unavailable("in-memory database", e))?;
            Self::open_with(options, 1).await
        }

        /// Opens with the host's `options` (WAL and foreign keys are set on them) and a pool
        /// of at most `max_connections`, and brings the schema up to date.
        pub async fn open_with(
            options: SqliteConnectOptions,
            max_connections: u32,
        ) -> Result<Self, SchemaError> {
            let in_memory = options.get_filename() == Path::new(":memory:");
            let options = options
                .journal_mode(if in_memory {
                    SqliteJournalMode::Memory
                } else {
                    SqliteJournalMode::Wal
                })
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(5));
            let mut pool = SqlitePoolOptions::new().max_connections(max_connections.max(1));
            if in_memory {
                // The database lives in its connection: never let the pool close it.
                pool = pool
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            let pool = pool
                .connect_with(options)
                .await
                .map_err(|e| unavailable("sqlite", e))?;
            let store = Self::from_pool(pool);
            store.migrate().await?;
            Ok(store)
        }

        /// A store over the host's pool, as it is: no migration runs until
        /// [`SqliteStore::migrate`]. The pool should enable foreign keys; an in-memory
        /// database needs a pool that keeps its one connection.
        pub fn from_pool(pool: SqlitePool) -> Self {
            Self {
                core: Core { pool },
            }
        }

        /// Applies the migrations the database lacks; how many it applied.
        pub async fn migrate(&self) -> Result<usize, SchemaError> {
            self.core.migrate().await
        }

        /// The pool, for the host's own queries (tenantry's tables start with `tenantry_`).
        pub fn pool(&self) -> &SqlitePool {
            &self.core.pool
        }
    }

    delegate_store!(SqliteStore);
}

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

#[cfg(feature = "postgres")]
mod postgres {
    use sqlx::postgres::{PgPool, PgPoolOptions};

    use super::*;

    /// The [`Store`] on PostgreSQL, for hosts that run several instances on one database.
    /// Its tables live in the connection's current schema (the first of `search_path`).
    pub struct PostgresStore {
        core: Core<sqlx::Postgres>,
    }

    impl PostgresStore {
        /// Connects a pool of up to 10 connections to `url` (`postgres://user@host/db`) and
        /// brings the schema up to date.
        pub async fn connect(url: &str) -> Result<Self, SchemaError> {
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .connect(url)
                .await
                .map_err(|e| unavailable("postgres", e))?;
            let store = Self::from_pool(pool);
            store.migrate().await?;
            Ok(store)
        }

        /// A store over the host's pool, as it is: no migration runs until
        /// [`PostgresStore::migrate`].
        pub fn from_pool(pool: PgPool) -> Self {
            Self {
                core: Core { pool },
            }
        }

        /// Applies the migrations the database lacks; how many it applied. Several
        /// processes may call it at once: an advisory lock makes them take turns.
        pub async fn migrate(&self) -> Result<usize, SchemaError> {
            self.core.migrate().await
        }

        /// The pool, for the host's own queries (tenantry's tables start with `tenantry_`).
        pub fn pool(&self) -> &PgPool {
            &self.core.pool
        }
    }

    delegate_store!(PostgresStore);
}

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;

fn unavailable(context: &str, err: sqlx::Error) -> SchemaError {
    SchemaError::Database(StoreError::with_source(
        tenantry::StoreErrorKind::Unavailable,
        context,
        err,
    ))
}

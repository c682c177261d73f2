//! Embedded, versioned migrations, applied in one transaction.
//!
//! tenantry keeps its own table of applied migrations, `tenantry_migrations`, rather than
//! using sqlx's migrator: that one records into `_sqlx_migrations`, which the host's own
//! sqlx migrations use too, and each would then refuse the other's versions as unknown.

use sha2::{Digest, Sha256};
use tenantry::{StoreError, StoreErrorKind};

use crate::backend::{Backend, kind_of};

/// One schema change.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Migration {
    /// Its number; applied in increasing order.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// The SQLite migrations.
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "records",
        sql: include_str!("../migrations/sqlite/0001_records.sql"),
    },
    Migration {
        version: 2,
        name: "stale_at",
        sql: include_str!("../migrations/sqlite/0002_stale_at.sql"),
    },
    Migration {
        version: 3,
        name: "grant_names",
        sql: include_str!("../migrations/sqlite/0003_grant_names.sql"),
    },
];

/// The PostgreSQL migrations.
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "records",
        sql: include_str!("../migrations/postgres/0001_records.sql"),
    },
    Migration {
        version: 2,
        name: "stale_at",
        sql: include_str!("../migrations/postgres/0002_stale_at.sql"),
    },
    Migration {
        version: 3,
        name: "grant_names",
        sql: include_str!("../migrations/postgres/0003_grant_names.sql"),
    },
];

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The database has a migration this library does not know: a newer tenantry wrote it.
    /// Nothing was changed.
    #[error("the database has schema version {applied}, newer than {known} of this library")]
    Newer {
        /// The newest version applied to the database.
        applied: i64,
        /// The newest version this library knows.
        known: i64,
    },
    /// A migration applied to the database differs from the one embedded here.
    #[error("migration {version} in the database differs from the one this library embeds")]
    Modified {
        /// Which.
        version: i64,
    },
    /// The database failed (unreachable, refused a statement).
    #[error(transparent)]
    Database(#[from] StoreError),
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn db_error<B: Backend>(context: &str, err: sqlx::Error) -> StoreError {
    StoreError::with_source(kind_of::<B>(&err), context, err)
}

/// Applies every embedded migration the database lacks, in one transaction; the number
/// applied. Safe to call from several processes at once: they take turns, and the later
/// ones find nothing to do.
pub(crate) async fn run<B: Backend>(pool: &sqlx::Pool<B>) -> Result<usize, SchemaError> {
    let mut tx = pool
        .begin_with(B::BEGIN_WRITE)
        .await
        .map_err(|e| SchemaError::Database(db_error::<B>("migrate", e)))?;
    match apply::<B>(&mut tx).await {
        Ok(count) => {
            tx.commit()
                .await
                .map_err(|e| SchemaError::Database(db_error::<B>("migrate", e)))?;
            if count > 0 {
                tracing::info!(applied = count, "tenantry schema migrated");
            }
            Ok(count)
        }
        Err(e) => {
            // Roll back now, releasing the lock, rather than when the pool next uses the
            // connection.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn apply<B: Backend>(conn: &mut B::Connection) -> Result<usize, SchemaError> {
    let e = |err| SchemaError::Database(db_error::<B>("migrate", err));
    B::exec(conn, B::LOCK_MIGRATIONS, &[]).await.map_err(e)?;
    B::script(conn, B::MIGRATIONS_TABLE).await.map_err(e)?;
    let applied = B::fetch(
        conn,
        "SELECT version, checksum FROM tenantry_migrations ORDER BY version",
        &[],
    )
    .await
    .map_err(e)?;
    let known = B::MIGRATIONS.last().map_or(0, |m| m.version);
    for (version, sum) in &applied {
        match B::MIGRATIONS.iter().find(|m| m.version == *version) {
            None => {
                return Err(SchemaError::Newer {
                    applied: applied.last().map_or(*version, |(v, _)| *v),
                    known,
                });
            }
            Some(m) if checksum(m.sql) != *sum => {
                return Err(SchemaError::Modified { version: *version });
            }
            Some(_) => {}
        }
    }
    let mut count = 0;
    for m in B::MIGRATIONS {
        if applied.iter().any(|(v, _)| *v == m.version) {
            continue;
        }
        B::script(conn, m.sql).await.map_err(e)?;
        B::exec(
            conn,
            "INSERT INTO tenantry_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[m.version.into(), m.name.into(), checksum(m.sql).into()],
        )
        .await
        .map_err(e)?;
        count += 1;
    }
    Ok(count)
}

/// The kind a schema error has as a store error.
impl From<SchemaError> for StoreError {
    fn from(err: SchemaError) -> Self {
        match err {
            SchemaError::Database(e) => e,
            other => StoreError::with_source(StoreErrorKind::Other, "schema", other),
        }
    }
}

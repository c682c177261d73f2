//! What differs between SQLite and PostgreSQL, behind one small trait: running a statement
//! with arguments, fetching `(number, text)` rows, running a migration script, and telling
//! what a database error means. Everything else is written once, in `core.rs`.

use async_trait::async_trait;
use tenantry::StoreErrorKind;

use crate::migrate::Migration;

/// One statement argument. Every statement the store runs takes text and integers only.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    /// Text, or a text NULL.
    Text(Option<String>),
    /// An integer, or an integer NULL.
    Int(Option<i64>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(Some(s.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(Some(s))
    }
}

impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Arg::Int(Some(i))
    }
}

impl From<Option<i64>> for Arg {
    fn from(i: Option<i64>) -> Self {
        Arg::Int(i)
    }
}

/// A database the store runs on.
#[async_trait]
pub(crate) trait Backend: sqlx::Database {
    /// The embedded migrations, in order.
    const MIGRATIONS: &'static [Migration];
    /// How a committing transaction starts.
    const BEGIN_WRITE: &'static str;
    /// What a migration run does first inside its transaction, so two processes migrating
    /// at once take turns.
    const LOCK_MIGRATIONS: &'static str;
    /// The table of applied migrations.
    const MIGRATIONS_TABLE: &'static str;

    /// Runs one statement; the number of rows it changed.
    async fn exec(conn: &mut Self::Connection, sql: &str, args: &[Arg])
    -> Result<u64, sqlx::Error>;

    /// Runs one query whose rows are `(integer, text)`.
    async fn fetch(
        conn: &mut Self::Connection,
        sql: &str,
        args: &[Arg],
    ) -> Result<Vec<(i64, String)>, sqlx::Error>;

    /// Runs a script of several statements without arguments.
    async fn script(conn: &mut Self::Connection, sql: &str) -> Result<(), sqlx::Error>;

    /// What a database error means to the service, from the database's own error code.
    fn kind_of_code(code: &str) -> StoreErrorKind;
}

/// What a sqlx error means to the service.
pub(crate) fn kind_of<B: Backend>(err: &sqlx::Error) -> StoreErrorKind {
    match err {
        sqlx::Error::Database(db) => db
            .code()
            .map_or(StoreErrorKind::Other, |code| B::kind_of_code(&code)),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreErrorKind::Unavailable,
        _ => StoreErrorKind::Other,
    }
}

/// A query with its arguments bound.
macro_rules! bound {
    ($sql:expr, $args:expr) => {{
        let mut query = sqlx::query($sql);
        for arg in $args {
            query = match arg {
                Arg::Text(t) => query.bind(t.as_deref()),
                Arg::Int(i) => query.bind(*i),
            };
        }
        query
    }};
}

/// Implements [`Backend`] for one sqlx database: the binding and row reading are the same
/// code for both, only the types differ.
macro_rules! backend {
    ($db:ty, $conn:ty, migrations: $migrations:expr, begin: $begin:expr, lock: $lock:expr,
     table: $table:expr, codes: $codes:expr) => {
        #[async_trait]
        impl Backend for $db {
            const MIGRATIONS: &'static [Migration] = $migrations;
            const BEGIN_WRITE: &'static str = $begin;
            const LOCK_MIGRATIONS: &'static str = $lock;
            const MIGRATIONS_TABLE: &'static str = $table;

            async fn exec(conn: &mut $conn, sql: &str, args: &[Arg]) -> Result<u64, sqlx::Error> {
                let query = bound!(sql, args);
                Ok(query.execute(&mut *conn).await?.rows_affected())
            }

            async fn fetch(
                conn: &mut $conn,
                sql: &str,
                args: &[Arg],
            ) -> Result<Vec<(i64, String)>, sqlx::Error> {
                use sqlx::Row as _;
                let query = bound!(sql, args);
                let rows = query.fetch_all(&mut *conn).await?;
                rows.iter()
                    .map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?)))
                    .collect()
            }

            async fn script(conn: &mut $conn, sql: &str) -> Result<(), sqlx::Error> {
                // Without arguments, both databases run every statement of the text.
                sqlx::Executor::execute(&mut *conn, sql).await?;
                Ok(())
            }

            fn kind_of_code(code: &str) -> StoreErrorKind {
                ($codes)(code)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
backend!(
    sqlx::Sqlite,
    sqlx::SqliteConnection,
    migrations: crate::migrate::SQLITE,
    // Takes the write lock at once, so a commit never fails upgrading a read lock.
    begin: "BEGIN IMMEDIATE",
    // BEGIN IMMEDIATE already excludes every other writer.
    lock: "SELECT 1",
    table: "CREATE TABLE IF NOT EXISTS tenantry_migrations (
        version    INTEGER NOT NULL PRIMARY KEY,
        name       TEXT    NOT NULL,
        checksum   TEXT    NOT NULL,
        applied_at TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    // Result codes: https://sqlite.org/rescode.html (extended codes as numbers).
    codes: |code: &str| match code {
        // SQLITE_BUSY_SNAPSHOT: a read snapshot went stale; re-read and decide again.
        "517" => StoreErrorKind::Conflict,
        // SQLITE_BUSY and SQLITE_LOCKED (still locked after the busy timeout), SQLITE_IOERR,
        // SQLITE_FULL and SQLITE_CANTOPEN, with their extended codes.
        c if c.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13 | 14)) => {
            StoreErrorKind::Unavailable
        }
        _ => StoreErrorKind::Other,
    }
);

#[cfg(feature = "postgres")]
backend!(
    sqlx::Postgres,
    sqlx::PgConnection,
    migrations: crate::migrate::POSTGRES,
    begin: "BEGIN",
    // One migration run at a time per schema, across processes.
    lock: "SELECT pg_advisory_xact_lock(hashtext('tenantry_migrations.' || current_schema()))",
    table: "CREATE TABLE IF NOT EXISTS tenantry_migrations (
        version    BIGINT NOT NULL PRIMARY KEY,
        name       TEXT   NOT NULL,
        checksum   TEXT   NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    // SQLSTATE codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
    codes: |code: &str| match code {
        // serialization_failure, deadlock_detected: the transaction lost a race.
        "40001" | "40P01" => StoreErrorKind::Conflict,
        "23505" => StoreErrorKind::Duplicate,
        // Connection exceptions, too many connections, shutting down, out of disk.
        c if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => {
            StoreErrorKind::Unavailable
        }
        _ => StoreErrorKind::Other,
    }
);

//! The SQLite store: the conformance suite on a file and in memory, migrations, persistence
//! across reopening, and refusals of schemas this release did not write.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::sync::Arc;

use tenantry::{Store, StoreErrorKind, conformance};
use tenantry_sqlx::{SchemaError, SqliteStore, sqlx};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_store_passes_the_conformance_suite_twice() {
    let dir = common::TempDir::new();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.file("t.db")).await.unwrap());
    conformance::run_all(store.clone()).await.unwrap();
    conformance::run_all(store).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_passes_the_conformance_suite() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    conformance::run_all(store).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_reopening_and_migrations_run_once() {
    let dir = common::TempDir::new();
    let path = dir.file("t.db");
    let org = common::org_record("Persisted");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.migrate().await.unwrap(), 0, "open already migrated");
        let mut cs = tenantry::Changeset::new();
        cs.insert(tenantry::Record::Org(org.clone()));
        store.commit(cs).await.unwrap();
        store.pool().close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let orgs = store.orgs().await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].value.org.name, org.org.name);
    assert_eq!(orgs[0].version, 1);
}

#[tokio::test]
async fn a_pool_from_the_host_is_migrated_only_when_asked() {
    let pool = tenantry_sqlx::sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    let store = SqliteStore::from_pool(pool);
    let err = store.orgs().await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Other, "no tables yet: {err}");
    assert_eq!(store.migrate().await.unwrap(), 3, "every migration");
    assert!(store.orgs().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_newer_or_altered_schema_is_refused_and_left_alone() {
    let dir = common::TempDir::new();
    let path = dir.file("t.db");
    let store = SqliteStore::open(&path).await.unwrap();
    sqlx::query(
        "INSERT INTO tenantry_migrations (version, name, checksum) VALUES (99, 'future', 'x')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    match store.migrate().await {
        Err(SchemaError::Newer {
            applied: 99,
            known: 3,
        }) => {}
        other => panic!("{other:?}"),
    }
    sqlx::query("DELETE FROM tenantry_migrations WHERE version = 99")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE tenantry_migrations SET checksum = 'edited' WHERE version = 1")
        .execute(store.pool())
        .await
        .unwrap();
    match SqliteStore::open(&path).await {
        Err(SchemaError::Modified { version: 1 }) => {}
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("an edited migration was accepted"),
    }
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_not_a_panic() {
    let store = SqliteStore::in_memory().await.unwrap();
    let org = common::org_record("Corrupt");
    let mut cs = tenantry::Changeset::new();
    cs.insert(tenantry::Record::Org(org.clone()));
    store.commit(cs).await.unwrap();
    sqlx::query("UPDATE tenantry_records SET body = '{\"type\": \"org\"'")
        .execute(store.pool())
        .await
        .unwrap();
    let err = store
        .get(&tenantry::RecordKey::Org(org.org.id))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Other);
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[tokio::test]
async fn an_unwritable_path_is_unavailable() {
    match SqliteStore::open("/nonexistent-dir/for/sure/t.db").await {
        Err(SchemaError::Database(e)) => assert_eq!(e.kind(), StoreErrorKind::Unavailable),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("opened a database in a missing directory"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn directory_scenarios_on_sqlite() {
    let dir = common::TempDir::new();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.file("t.db")).await.unwrap());
    common::scenarios(store).await;
}

/// The same scenarios on the reference store, so a failure here tells a store bug from a
/// directory bug.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn directory_scenarios_on_the_memory_store() {
    common::scenarios(Arc::new(tenantry::MemoryStore::new())).await;
}

#[tokio::test]
async fn schema_3_indexes_the_grants_written_before_it() {
    let dir = common::TempDir::new();
    let store = SqliteStore::open(dir.file("t.db")).await.unwrap();
    let at = common::admin_grant_before_schema_3(&store).await;
    for sql in common::BACK_TO_SCHEMA_2 {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
    assert_eq!(store.migrate().await.unwrap(), 1, "schema 3 applied again");
    common::grant_is_indexed(&store, at).await;
}

#[tokio::test]
async fn entitlements_keep_an_admin_the_index_of_grant_names_does_not_list() {
    // A grant written by an older tenantry during a rolling upgrade has no rows in
    // `tenantry_grant_names`: the entitlements rule must still see its holder.
    let dir = common::TempDir::new();
    let store = SqliteStore::open(dir.file("t.db")).await.unwrap();
    let pool = store.pool().clone();
    let w = common::world(Arc::new(store), Default::default()).await;
    sqlx::query("DELETE FROM tenantry_grant_names")
        .execute(&pool)
        .await
        .unwrap();
    let only_reading = [tenantry_access::PermissionKey::new("feed.read").unwrap()].into();
    let r = w
        .dir
        .set_entitlements(tenantry::Caller::System, w.org, only_reading)
        .await;
    assert!(
        matches!(
            r,
            Err(tenantry::DirectoryError::Refused(
                tenantry_access::Refusal::LastAdmin { .. }
            ))
        ),
        "{r:?}"
    );
}

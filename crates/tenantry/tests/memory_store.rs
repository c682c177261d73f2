//! The conformance suite on MemoryStore, run twice against the same store (the suite must
//! not depend on an empty store), plus the clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use tenantry::conformance::{self, ConformanceError};
use tenantry::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_passes_the_conformance_suite_twice() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    conformance::run_all(store.clone()).await.unwrap();
    conformance::run_all(store).await.unwrap();
}

/// A store that loses updates must fail the suite: the suite can fail.
struct LossyStore(MemoryStore);

#[async_trait::async_trait]
impl Store for LossyStore {
    async fn get(&self, key: &RecordKey) -> Result<Option<Versioned<Record>>, StoreError> {
        self.0.get(key).await
    }
    async fn user_by_login(
        &self,
        key: &tenantry_identity::LoginKey,
    ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
        self.0.user_by_login(key).await
    }
    async fn users(&self, q: &UserQuery) -> Result<Page<Versioned<UserRecord>>, StoreError> {
        self.0.users(q).await
    }
    async fn orgs(&self) -> Result<Vec<Versioned<OrgRecord>>, StoreError> {
        self.0.orgs().await
    }
    async fn list(&self, of: &ListOf) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.0.list(of).await
    }
    async fn department_by_code(
        &self,
        code: &tenantry_identity::SignUpCode,
    ) -> Result<Option<Versioned<Record>>, StoreError> {
        self.0.department_by_code(code).await
    }
    async fn pending_outbox(
        &self,
        now: chrono::DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<OutboxMessage>>, StoreError> {
        self.0.pending_outbox(now, limit).await
    }
    async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.0.audit(q).await
    }
    async fn stale(
        &self,
        kind: StaleKind,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.0.stale(kind, before, limit).await
    }
    /// Ignores expected versions: last writer wins.
    async fn commit(&self, mut cs: Changeset) -> Result<Committed, StoreError> {
        for (record, expect) in &mut cs.puts {
            if let Expect::Version(_) = expect {
                let current = self.0.get(&record.key()).await?.map(|v| v.version);
                if let Some(v) = current {
                    *expect = Expect::Version(v);
                }
            }
        }
        self.0.commit(cs).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_that_ignores_versions_fails_the_suite() {
    let store = Arc::new(LossyStore(MemoryStore::new()));
    let err: ConformanceError = conformance::versions(store.as_ref()).await.unwrap_err();
    assert_eq!(err.check, "versions");
    assert!(err.to_string().contains("stale version"), "{err}");
}

#[test]
fn manual_clock_moves_only_when_told() {
    let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let clock = ManualClock::new(t);
    assert_eq!(clock.now(), t);
    clock.advance(Duration::minutes(5));
    assert_eq!(clock.now(), t + Duration::minutes(5));
    clock.set(t);
    assert_eq!(clock.now(), t);
    let system: Arc<dyn Clock> = Arc::new(SystemClock);
    assert!(system.now() > t - Duration::days(3650));
}

#[test]
fn store_errors_carry_kind_context_and_source() {
    let io = std::io::Error::other("connection reset");
    let e = StoreError::with_source(StoreErrorKind::Unavailable, "commit", io);
    assert_eq!(e.kind(), StoreErrorKind::Unavailable);
    assert_eq!(e.to_string(), "unavailable: commit");
    assert_eq!(
        std::error::Error::source(&e)
            .map(|s| s.to_string())
            .as_deref(),
        Some("connection reset")
    );
    let d = DeliveryError::Retryable("421 try later".into());
    assert!(d.is_retryable() && !DeliveryError::Permanent("550".into()).is_retryable());
    let m = EmailMessage {
        to: "a@example.com".into(),
        to_name: None,
        subject: "Reset".into(),
        text: "https://app.example/password-reset/SECRET".into(),
        html: None,
        idempotency_key: "k".into(),
    };
    assert!(
        !format!("{m:?}").contains("SECRET"),
        "bodies carry tokens and are never printed"
    );
}

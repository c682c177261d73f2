//! The store conformance suite: any [`Store`] implementation runs it with one call.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() {
//! use std::sync::Arc;
//! let store = Arc::new(tenantry::MemoryStore::new());
//! tenantry::conformance::run_all(store).await.unwrap();
//! # }
//! ```
//!
//! Each check uses fresh ids, so the suite can run against a store that holds other data,
//! and may run twice against the same store. Concurrency checks spawn tokio tasks: run the
//! suite inside a multi-threaded tokio runtime.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_identity::{
    Email, LoginIdentifiers, Name, OrgId, Organization, Profile, User, UserId, UserKind,
};
use tenantry_lifecycle::{Account, AccountParts, AccountState};
use uuid::Uuid;

use crate::changeset::Changeset;
use crate::records::{AuditEvent, OrgRecord, Record, UserRecord};
use crate::store::Store;

/// A failed conformance check: which check, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConformanceError {
    /// The check.
    pub check: &'static str,
    /// What was expected and what happened.
    pub detail: String,
}

impl fmt::Display for ConformanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "store conformance check {} failed: {}",
            self.check, self.detail
        )
    }
}

impl std::error::Error for ConformanceError {}

type Outcome = Result<(), ConformanceError>;

macro_rules! ensure {
    ($check:expr, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(ConformanceError { check: $check, detail: format!($($fmt)+) });
        }
    };
}

macro_rules! attempt {
    ($check:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Err(fail($check, e)),
        }
    };
}

mod concurrency;
mod logs;
mod reads;
mod writes;

pub use concurrency::{concurrent_demotions, concurrent_increments};
pub use logs::{outbox_and_audit, stale_records};
pub use reads::{grants_naming, reads};
pub use writes::{atomicity, duplicates, versions};

/// Runs every check.
pub async fn run_all(store: Arc<dyn Store>) -> Outcome {
    reads(store.as_ref()).await?;
    grants_naming(store.as_ref()).await?;
    versions(store.as_ref()).await?;
    atomicity(store.as_ref()).await?;
    duplicates(store.as_ref()).await?;
    outbox_and_audit(store.as_ref()).await?;
    stale_records(store.as_ref()).await?;
    concurrent_increments(store.clone(), 32).await?;
    concurrent_demotions(store, 32).await?;
    Ok(())
}

/// Fresh ids and a time, different on every call (the suite may run against a store twice).
struct Fixture {
    rng: StdRng,
    now: DateTime<Utc>,
    tag: String,
}

impl Fixture {
    fn new() -> Self {
        let mut seed = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut seed);
        let tag = Uuid::from_bytes(seed[..16].try_into().unwrap_or([0; 16]))
            .simple()
            .to_string()[..10]
            .to_owned();
        Self {
            rng: StdRng::from_seed(seed),
            now: Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            tag,
        }
    }

    fn org(&mut self) -> Result<OrgRecord, ConformanceError> {
        Ok(OrgRecord {
            org: Organization::new(
                OrgId::generate(self.now, &mut self.rng),
                None,
                name()?,
                self.now,
            ),
            lifecycle: Default::default(),
            entitlements: BTreeSet::new(),
            guest_areas: Default::default(),
        })
    }

    fn user(&mut self, org: OrgId, local: &str) -> Option<UserRecord> {
        let email = Email::parse(&format!("{local}.{}@conformance.example", self.tag)).ok()?;
        let ids = LoginIdentifiers {
            email: Some(email),
            ..Default::default()
        };
        let user = User::new(
            UserId::generate(self.now, &mut self.rng),
            org,
            UserKind::Standard,
            Profile::default(),
            ids,
            self.now,
        )
        .ok()?;
        let account = Account::from_parts(AccountParts {
            kind: UserKind::Standard,
            state: AccountState::Active,
            activated: true,
            approved: true,
            since: self.now,
        })
        .ok()?;
        Some(UserRecord {
            user,
            account,
            password: None,
            last_sign_in: None,
            notifications: Default::default(),
            must_change_password: false,
        })
    }
}

fn name() -> Result<Name, ConformanceError> {
    Name::parse("Conformance").map_err(|e| ConformanceError {
        check: "fixture",
        detail: e.to_string(),
    })
}

async fn insert(store: &dyn Store, records: Vec<Record>) -> Result<(), crate::error::StoreError> {
    let mut cs = Changeset::new();
    for r in records {
        cs.insert(r);
    }
    store.commit(cs).await.map(|_| ())
}

fn event(f: &mut Fixture, org: OrgId, action: &str) -> AuditEvent {
    let mut bytes = [0u8; 16];
    rand::Rng::fill_bytes(&mut f.rng, &mut bytes);
    AuditEvent {
        id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
        at: f.now,
        actor: None,
        org: Some(org),
        subject: None,
        action: action.to_owned(),
        detail: Default::default(),
    }
}

/// A check's failure from an unexpected error.
fn fail(check: &'static str, e: impl fmt::Display) -> ConformanceError {
    ConformanceError {
        check,
        detail: format!("unexpected error: {e}"),
    }
}

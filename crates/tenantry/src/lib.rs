//! # tenantry
//!
//! The directory service host applications call. This release holds its foundations: the
//! [`Store`] trait (reads, and one all-or-nothing [`Store::commit`] of a [`Changeset`]), the
//! [`Record`]s it stores, typed [`StoreError`]s with a kind, the [`MemoryStore`] reference
//! implementation, the [`Mailer`] and [`SmsSender`] traits, an injectable [`Clock`], and — with
//! the `conformance` feature — a suite any Store implementation runs against itself; the
//! [`DefaultRenderer`] with English and German texts for every message, the outbox
//! [`dispatch`]er, and the first [`Directory`] use cases: creating a root organization with
//! its admin, creating users of every kind, accepting invitations, signing in, moving accounts
//! through their life, changing grants, password resets, the PIN flow, child organizations
//! with their entitlements and settings, groups and bulk membership, self sign-up with
//! approval notices, activation by link, consumer digests and registration, SSO just in time,
//! "log in as", automatic-login links, exports, the template import, one-time passwords and
//! activation codes, departments with sign-up codes, job profiles, locations and location
//! access. Every use case runs in a `tracing` span named `tenantry` with its name as the
//! `use_case` field; arguments are never recorded, so no secret reaches a log. Not written
//! yet: notification preferences.
//!
//! ```
//! use std::sync::Arc;
//! use chrono::{TimeZone, Utc};
//! use rand::SeedableRng;
//! use tenantry::*;
//! use tenantry_identity::{Name, OrgId, Organization};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
//! let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
//! let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! let org = Organization::new(OrgId::generate(now, &mut rng), None, Name::parse("Acme")?, now);
//! let record = OrgRecord { org, lifecycle: Default::default(), entitlements: Default::default() };
//!
//! let mut changes = Changeset::new();
//! changes.insert(Record::Org(record.clone()));
//! store.commit(changes).await?;
//!
//! // A second insert of the same record conflicts, and changes nothing.
//! let mut again = Changeset::new();
//! again.insert(Record::Org(record));
//! let err = store.commit(again).await.unwrap_err();
//! assert_eq!(err.kind(), StoreErrorKind::Conflict);
//! assert_eq!(store.orgs().await?.len(), 1);
//! # Ok(())
//! # }
//! ```

mod changeset;
mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
mod directory;
mod error;
mod exchange;
mod mail;
mod memory;
mod outbox;
mod records;
mod render;
mod store;

pub use changeset::{Changeset, Committed, Expect};
pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{
    AccountChange, Caller, CreatedUser, Directory, DirectoryConfig, DirectoryError, NewUser,
    SignUpForm,
};
pub use error::{StoreError, StoreErrorKind};
pub use exchange::{ExportKind, Format, ImportOutcome};
pub use mail::{DeliveryError, EmailMessage, Mailer, SmsMessage, SmsSender};
pub use memory::{DEFAULT_PAGE, MAX_PAGE, MemoryStore};
pub use outbox::{DispatchReport, RetryPolicy, dispatch};
pub use records::{
    AuditEvent, Channel, OrgRecord, OutboxMessage, OutboxStatus, Record, RecordKey, UniqueKey,
    UserRecord, Versioned,
};
pub use render::{
    DefaultRenderer, Locale, MessageContext, MessageKind, Rendered, Renderer, html_escape,
};
pub use store::{AuditQuery, ListOf, Page, Store, UserQuery};

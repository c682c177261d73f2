//! # tenantry
//!
//! The directory service host applications call: a [`Directory`] over a [`Store`] (this
//! crate's [`MemoryStore`], `tenantry-sqlx`'s SQLite and PostgreSQL stores, or your own),
//! with the host's permission [`Catalog`](tenantry_access::Catalog), a [`Clock`] and a
//! [`DirectoryConfig`]. Its use cases: root and child organizations with entitlements and
//! settings, users of every kind, invitations, sign-in with throttling, account changes,
//! grants through the access guards, password resets, the PIN flow, groups and bulk
//! membership, self sign-up with approval, activation by link, code or one-time password,
//! consumer digests and registration, SSO just in time, "log in as", automatic-login links,
//! exports and the template import, departments with sign-up codes, job profiles and
//! locations, editing users, group member directories, notification settings and the
//! host's own messages. Every change is one all-or-nothing [`Store::commit`] of a [`Changeset`] with
//! its audit events; messages go to an outbox in the same commit, and a [`Dispatcher`] delivers
//! them through your [`Mailer`] and [`SmsSender`] (texts by the [`DefaultRenderer`], English
//! and German, or your [`Renderer`]). Every use case runs in a `tracing` span named
//! `tenantry` with its name as the `use_case` field; arguments are never recorded, so no
//! secret reaches a log. The `conformance` feature has a suite any Store implementation
//! runs against itself; the `testing` feature has the world tests build on
//! (`testing::WorldBuilder`).
//!
//! ## Where things live
//!
//! | module | what it holds |
//! | --- | --- |
//! | `directory` | [`Directory`], [`DirectoryConfig`], [`Caller`] and the helpers every use case shares |
//! | `directory::inputs`, `directory::error` | the inputs ([`NewUser`], [`NewRootOrganization`], [`SignUpForm`], [`SsoLogin`], ...); [`DirectoryError`] and [`DenialReason`] |
//! | `directory::authority` | who may act: the caller's account state, admin checks, the take-over rule, [`Directory::check`] |
//! | `directory::sign_in` | sign-in, [`Directory::change_password`], throttling, single sign-on, automatic-login links, "log in as" |
//! | `directory::activation` | invitations accepted, activation links and codes, one-time passwords |
//! | `directory::passwords` | the password policy check, "forgot password", admin resets, the password-changed notice |
//! | `directory::pin` | PIN users: a password set with the placeholder email and PIN, an admin's new PIN |
//! | `directory::sign_up` | self sign-up, guests joining, a sign-up with an identifier that exists |
//! | `directory::users` | creating users of every kind; carrying out the lifecycle's effects |
//! | `directory::accounts` | account states (deactivate, block, delete, approve) and grants |
//! | `directory::organizations` | root and child organizations, entitlements, settings, the contact person |
//! | `directory::groups`, `members` | groups, their members, the member directory |
//! | `directory::places` | departments, job profiles, locations, who may file requests where |
//! | `directory::consumers`, `notify` | digests, consumer registration, notification settings, the host's messages |
//! | `edit`, `areas`, `exchange`, `pins`, `housekeeping` | editing users; areas shared with guests; exports and imports; PIN key rotation; [`Directory::purge`] |
//! | `store`, `memory`, `changeset`, `records` | the [`Store`] trait, [`MemoryStore`], [`Changeset`], the records |
//! | `outbox`, `mail`, `render` | [`Dispatcher`], [`Mailer`] and [`SmsSender`], message texts |
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use tenantry::*;
//! use tenantry_access::{Area, CatalogBuilder, Grantables, RoleKey};
//! use tenantry_credentials::{LinkBuilder, Password, RawToken};
//! use tenantry_identity::{Email, Name, Profile};
//!
//! /// A mailer that keeps what it is given (yours sends it: SMTP, an API, ...).
//! #[derive(Default)]
//! struct Kept(Mutex<Vec<EmailMessage>>);
//! #[async_trait::async_trait]
//! impl Mailer for Kept {
//!     async fn send(&self, m: &EmailMessage) -> Result<(), DeliveryError> {
//!         self.0.lock().unwrap().push(m.clone());
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut catalog = CatalogBuilder::new();
//! catalog.permission("org.admin", Area::Admin, "administer", &[])?;
//! catalog.role("admin", "Admin", &["org.admin"])?;
//! catalog.admin_permission("org.admin");
//! let store = Arc::new(MemoryStore::new());
//! let mut config = DirectoryConfig::new(LinkBuilder::new("https://app.example")?);
//! # config.hash_params = tenantry_credentials::HashParams::INSECURE_FAST_FOR_TESTS;
//! let dir = Directory::new(store.clone(), catalog.build()?, Arc::new(SystemClock), config)?;
//!
//! let admin = Grantables { roles: [RoleKey::new("admin")?].into(), ..Grantables::new() };
//! let (acme, ada) = dir
//!     .create_root_organization(NewRootOrganization {
//!         name: Name::parse("Acme")?,
//!         admin_profile: Profile::default(),
//!         admin_email: Email::parse("ada@acme.example")?,
//!         admin_password: Password::new("correct horse battery staple"),
//!         admin_grant: admin,
//!     })
//!     .await?;
//! let bob = NewUser::invited(Email::parse("bob@acme.example")?);
//! let bob = dir.create_user(Caller::User(ada), acme, bob).await?.id;
//!
//! // The invitation waits in the outbox until a dispatcher delivers it.
//! let mailer = Kept::default();
//! Dispatcher::new(store.as_ref(), &mailer, &SystemClock).batch(10).run().await?;
//! let invitation = mailer.0.lock().unwrap().pop().unwrap();
//! assert_eq!(invitation.to, "bob@acme.example");
//! let token = invitation.text.split("https://app.example/invitation/").nth(1).unwrap();
//! let token = RawToken::new(token.split_whitespace().next().unwrap());
//!
//! // Bob accepts with a password of his own, then signs in.
//! let password = Password::new("a long passphrase of his own");
//! assert_eq!(dir.accept_invitation(&token, &password).await?, bob);
//! assert_eq!(dir.sign_in("BOB@acme.example", &password).await?, bob);
//! assert!(dir.sign_in("bob@acme.example", &Password::new("wrong")).await.is_err());
//! # Ok(())
//! # }
//! ```
//!
//! ## Glossary: the five products
//!
//! The requirements come from five products' help-center articles. The code and its tests
//! name a behaviour by the product it comes from:
//!
//! | product | what it needs from the directory |
//! | --- | --- |
//! | the **social intranet** (the "network") | four user kinds: standard users, guests who see only the groups and channels shared with them, consumers who receive digests with their personal registration link, and PIN users (placeholder email, an 8-digit PIN an admin can export); notification settings through a link |
//! | the **agency** | client organizations under the agency's, an Org Admin per client, permissions chosen one by one, custom or generated passwords, invitations that log the client in, "log in as", the access review |
//! | the **partner portal** | customer companies whose first user is their contact and admin, company-level permissions the partner entitles them to, a Customer Manager who administers every customer, the last-admin rule |
//! | the **workforce platform** | users created by an integration, SSO, an import template, or self sign-up through a department's link; activation by email or SMS code; one-time passwords; username-and-phone users |
//! | the **help desk** | occupants with access to locations, occupant groups that see one another's requests, self sign-up with approval |

mod areas;
mod changeset;
mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
mod detached;
mod directory;
mod edit;
mod error;
mod exchange;
mod housekeeping;
mod mail;
mod members;
mod memory;
mod notify;
mod outbox;
mod pins;
mod records;
mod render;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use areas::{MAX_GUEST_AREAS, SharedArea};
pub use changeset::{Changeset, Committed, Expect};
pub use clock::{Clock, ManualClock, SystemClock};
pub use detached::Started;
pub use directory::{
    AccountChange, Caller, CreatedUser, DenialReason, Directory, DirectoryConfig, DirectoryError,
    NewDepartment, NewRootOrganization, NewUser, SignUpForm, SsoLogin,
};
pub use edit::UserUpdate;
pub use error::{StoreError, StoreErrorKind};
pub use exchange::{ExportKind, ExportRequest, Format, ImportFormat, ImportOutcome};
pub use housekeeping::{PurgeReport, Retention};
pub use mail::{DeliveryError, EmailMessage, Mailer, SmsMessage, SmsSender};
pub use members::{GroupMembers, Member};
pub use memory::{DEFAULT_PAGE, MAX_PAGE, MemoryStore};
pub use notify::{HostMessage, MAX_SUBJECT, MAX_TEXT, NotificationSettings, Topic};
pub use outbox::{DispatchReport, Dispatcher, RetryPolicy};
pub use records::{
    AuditEvent, Channel, OrgRecord, OutboxMessage, OutboxStatus, Record, RecordKey, UniqueKey,
    UserRecord, Versioned,
};
pub use render::{
    DefaultRenderer, Locale, MessageContext, MessageKind, Rendered, Renderer, html_escape,
};
pub use store::{AuditQuery, ListOf, Page, StaleKind, Store, UserQuery};

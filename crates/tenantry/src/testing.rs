//! Test support (feature `testing`): a world to run use cases in, shared by the tests of
//! tenantry and its adapters, the benches and the examples, and by hosts testing their own
//! [`Store`].
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use tenantry::testing::WorldBuilder;
//! use tenantry::Caller;
//!
//! let w = WorldBuilder::new().build().await.unwrap();
//! let bob = w.invite("bob@acme.example").await.unwrap();
//! assert!(w.outbox().await.unwrap().iter().any(|m| m.user == Some(bob)));
//! # let _ = Caller::User(w.admin);
//! # });
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeZone, Utc};
use tenantry_access::{Area, Catalog, CatalogBuilder, Grantables, RoleKey};
use tenantry_credentials::{HashParams, LinkBuilder, Password, PinKey, RawToken, ThrottlePolicy};
use tenantry_identity::{
    Email, LoginIdentifiers, Name, NamePart, OrgId, Profile, UserId, UserKind,
};
use tenantry_lifecycle::WayIn;

use tenantry_identity::{LoginKey, SignUpCode};

use crate::changeset::{Changeset, Committed};
use crate::clock::{Clock, ManualClock};
use crate::directory::{Caller, Directory, DirectoryConfig, DirectoryError, NewUser};
use crate::error::{StoreError, StoreErrorKind};
use crate::mail::{DeliveryError, EmailMessage, Mailer, SmsMessage, SmsSender};
use crate::memory::MemoryStore;
use crate::records::{
    AuditEvent, OrgRecord, OutboxMessage, Record, RecordKey, UserRecord, Versioned,
};
use crate::store::{AuditQuery, ListOf, Page, StaleKind, Store, UserQuery};

/// The base URL every test link starts with.
pub const BASE_URL: &str = "https://app.example";
/// The root admin's password.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
/// The root admin's email.
pub const ADMIN_EMAIL: &str = "ada@acme.example";

/// The moment every world's clock starts at.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The smallest catalog a directory needs: `org.admin` (the admin permission), `feed.read`,
/// and the role `admin` holding both.
pub fn admin_catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    let built = (|| {
        b.permission("org.admin", Area::Admin, "administer", &[])?;
        b.permission("feed.read", Area::Network, "read", &[])?;
        b.role("admin", "Admin", &["org.admin", "feed.read"])?;
        b.admin_permission("org.admin");
        b.build()
    })();
    match built {
        Ok(c) => c,
        Err(e) => unreachable!("the fixed test catalog is valid: {e}"),
    }
}

/// The grant that makes a user an admin in [`admin_catalog`].
pub fn admin_role() -> Grantables {
    Grantables {
        roles: RoleKey::new("admin").into_iter().collect(),
        ..Grantables::new()
    }
}

/// Builds a [`World`].
pub struct WorldBuilder {
    store: Option<Arc<dyn Store>>,
    catalog: Option<Catalog>,
    hash_params: HashParams,
    throttle: ThrottlePolicy,
    pin_keys: Vec<PinKey>,
}

impl Default for WorldBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WorldBuilder {
    /// A MemoryStore, [`admin_catalog`], fast (insecure) hashing and the default throttle.
    pub fn new() -> Self {
        Self {
            store: None,
            catalog: None,
            hash_params: HashParams::INSECURE_FAST_FOR_TESTS,
            throttle: ThrottlePolicy::default(),
            pin_keys: Vec::new(),
        }
    }

    /// Runs on `store` instead of a new MemoryStore.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses `catalog` (it must name an admin permission, granted by the role `admin`).
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Hashes with `params`.
    pub fn hash_params(mut self, params: HashParams) -> Self {
        self.hash_params = params;
        self
    }

    /// Throttles with `policy`.
    pub fn throttle(mut self, policy: ThrottlePolicy) -> Self {
        self.throttle = policy;
        self
    }

    /// Seals PINs with `keys` (the first seals new ones) instead of one test key.
    pub fn pin_keys(mut self, keys: Vec<PinKey>) -> Self {
        self.pin_keys = keys;
        self
    }

    /// The directory, its root organization "Acme Network" and its admin Ada.
    pub async fn build(self) -> Result<World, DirectoryError> {
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::new()) as Arc<dyn Store>);
        let clock = Arc::new(ManualClock::new(epoch()));
        let mut config = DirectoryConfig::new(LinkBuilder::new(BASE_URL)?);
        config.hash_params = self.hash_params;
        config.throttle = self.throttle;
        config.pin_keys = if self.pin_keys.is_empty() {
            vec![PinKey::new(1, &[9; 32])?]
        } else {
            self.pin_keys
        };
        let dir = Directory::new(
            store.clone(),
            self.catalog.unwrap_or_else(admin_catalog),
            clock.clone(),
            config,
        )?;
        let (org, admin) = dir
            .create_root_organization(
                Name::parse("Acme Network")?,
                Profile {
                    first_name: Some(NamePart::parse("Ada")?),
                    ..Profile::default()
                },
                Email::parse(ADMIN_EMAIL)?,
                &Password::new(ADMIN_PASSWORD),
                admin_role(),
            )
            .await?;
        Ok(World {
            dir,
            store,
            clock,
            org,
            admin,
        })
    }
}

/// A directory with a root organization and its admin, on a manual clock.
pub struct World {
    /// The directory.
    pub dir: Directory,
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Its clock.
    pub clock: Arc<ManualClock>,
    /// The root organization.
    pub org: OrgId,
    /// Its first admin (Ada, [`ADMIN_EMAIL`], [`ADMIN_PASSWORD`]).
    pub admin: UserId,
}

impl World {
    /// The admin as a caller.
    pub fn admin(&self) -> Caller {
        Caller::User(self.admin)
    }

    /// Every message due within a day, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxMessage>, DirectoryError> {
        Ok(self
            .store
            .pending_outbox(self.clock.now() + chrono::Duration::days(1), 10_000)
            .await?
            .into_iter()
            .map(|m| m.value)
            .collect())
    }

    /// The newest message to `to` of `kind` (by creation time; messages created at the same
    /// instant come in the store's order, so advance the clock between them).
    pub async fn last_to(&self, to: &str, kind: &str) -> Option<OutboxMessage> {
        self.outbox()
            .await
            .ok()?
            .into_iter()
            .rev()
            .find(|m| m.to == to && m.kind == kind)
    }

    /// Grants `user` the role `admin` at `org` (scope: the organization), as the system.
    pub async fn grant_admin(&self, user: UserId, org: OrgId) -> Result<(), DirectoryError> {
        let at = tenantry_access::GrantRef {
            user,
            org,
            scope: tenantry_access::Scope::Organization,
        };
        let change = tenantry_access::Change::Grant(admin_role());
        self.dir.change_grant(Caller::System, at, change).await?;
        Ok(())
    }

    /// Creates a standard user invited by the admin.
    pub async fn invite(&self, email: &str) -> Result<UserId, DirectoryError> {
        let new = NewUser::invited(Email::parse(email)?);
        Ok(self.dir.create_user(self.admin(), self.org, new).await?.id)
    }

    /// Creates an active standard user with `password`, in `org`, by the system.
    pub async fn active_user(
        &self,
        org: OrgId,
        email: &str,
        password: &str,
    ) -> Result<UserId, DirectoryError> {
        let new = NewUser {
            kind: UserKind::Standard,
            profile: Profile::default(),
            identifiers: LoginIdentifiers {
                email: Some(Email::parse(email)?),
                ..LoginIdentifiers::default()
            },
            way_in: WayIn::Password,
            password: Some(Password::new(password)),
        };
        Ok(self.dir.create_user(Caller::System, org, new).await?.id)
    }
}

/// The raw token of the link for `purpose` (its path segment, e.g. `"invitation"`) in a
/// message's text.
pub fn token_from(message: &OutboxMessage, purpose: &str) -> Option<RawToken> {
    token_in(&message.text, purpose)
}

/// The raw token of the first link for `purpose` in `text`.
pub fn token_in(text: &str, purpose: &str) -> Option<RawToken> {
    let marker = format!("{BASE_URL}/{purpose}/");
    let start = text.find(&marker)? + marker.len();
    let raw: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!raw.is_empty()).then(|| RawToken::new(raw))
}

/// A mailer and SMS sender that keeps what it was given.
#[derive(Default)]
pub struct Inbox {
    mail: Mutex<Vec<EmailMessage>>,
    sms: Mutex<Vec<SmsMessage>>,
}

impl Inbox {
    /// The emails sent so far.
    pub fn mail(&self) -> Vec<EmailMessage> {
        self.mail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The text messages sent so far.
    pub fn sms(&self) -> Vec<SmsMessage> {
        self.sms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl Mailer for Inbox {
    async fn send(&self, m: &EmailMessage) -> Result<(), DeliveryError> {
        self.mail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(m.clone());
        Ok(())
    }
}

#[async_trait::async_trait]
impl SmsSender for Inbox {
    async fn send(&self, m: &SmsMessage) -> Result<(), DeliveryError> {
        self.sms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(m.clone());
        Ok(())
    }
}

/// Which commits a [`Faulty`] store refuses.
type CommitFilter = Box<dyn Fn(&Changeset) -> bool + Send + Sync>;

/// A store that answers `Conflict` to chosen commits without applying them, as if another
/// process had won the race; everything else goes to the store it wraps. For tests of what
/// a use case does when it loses a race.
pub struct Faulty {
    inner: Arc<dyn Store>,
    refuse: Mutex<Vec<(usize, CommitFilter)>>,
}

impl Faulty {
    /// Wraps `inner`, refusing nothing yet.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            refuse: Mutex::new(Vec::new()),
        }
    }

    /// The next `times` commits for which `when` holds answer `Conflict`.
    pub fn conflict_next(
        &self,
        times: usize,
        when: impl Fn(&Changeset) -> bool + Send + Sync + 'static,
    ) {
        self.refuse
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((times, Box::new(when)));
    }
}

#[async_trait::async_trait]
impl Store for Faulty {
    async fn get(&self, key: &RecordKey) -> Result<Option<Versioned<Record>>, StoreError> {
        self.inner.get(key).await
    }
    async fn user_by_login(
        &self,
        key: &LoginKey,
    ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
        self.inner.user_by_login(key).await
    }
    async fn users(&self, query: &UserQuery) -> Result<Page<Versioned<UserRecord>>, StoreError> {
        self.inner.users(query).await
    }
    async fn orgs(&self) -> Result<Vec<Versioned<OrgRecord>>, StoreError> {
        self.inner.orgs().await
    }
    async fn list(&self, of: &ListOf) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.list(of).await
    }
    async fn department_by_code(
        &self,
        code: &SignUpCode,
    ) -> Result<Option<Versioned<Record>>, StoreError> {
        self.inner.department_by_code(code).await
    }
    async fn pending_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<OutboxMessage>>, StoreError> {
        self.inner.pending_outbox(now, limit).await
    }
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.inner.audit(query).await
    }
    async fn stale(
        &self,
        kind: StaleKind,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.stale(kind, before, limit).await
    }
    async fn commit(&self, changeset: Changeset) -> Result<Committed, StoreError> {
        let refused = {
            let mut rules = self.refuse.lock().unwrap_or_else(PoisonError::into_inner);
            let hit = rules
                .iter_mut()
                .find(|(times, when)| *times > 0 && when(&changeset));
            match hit {
                Some((times, _)) => {
                    *times -= 1;
                    true
                }
                None => false,
            }
        };
        if refused {
            return Err(StoreError::new(
                StoreErrorKind::Conflict,
                "refused by the test's Faulty store",
            ));
        }
        self.inner.commit(changeset).await
    }
}

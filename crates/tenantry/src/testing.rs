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
use tenantry_access::{AccessError, Area, Catalog, CatalogBuilder, Grantables, RoleKey};
use tenantry_credentials::{HashParams, LinkBuilder, Password, PinKey, RawToken, ThrottlePolicy};
use tenantry_identity::{
    Email, EmailDomain, ExternalId, LoginIdentifiers, Name, NamePart, OrgId, OrgSettings,
    PinUserSettings, Profile, UserId, UserKind,
};
use tenantry_lifecycle::WayIn;

use tenantry_identity::{LoginKey, SignUpCode};

use crate::changeset::{Changeset, Committed};
use crate::clock::{Clock, ManualClock};
use crate::directory::{
    Caller, Directory, DirectoryConfig, DirectoryError, NewRootOrganization, NewUser, SignUpForm,
};
use crate::error::{StoreError, StoreErrorKind};
use crate::mail::{DeliveryError, EmailMessage, Mailer, SmsMessage, SmsSender};
use crate::memory::MemoryStore;
use crate::outbox::{DispatchReport, Dispatcher};
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
/// The root organization's name.
pub const ROOT_NAME: &str = "Acme Network";

/// The moment every world's clock starts at.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// One of this module's fixed catalogs, which always build.
fn fixed(built: Result<Catalog, tenantry_access::AccessError>) -> Catalog {
    match built {
        Ok(c) => c,
        Err(e) => unreachable!("the fixed test catalog is valid: {e}"),
    }
}

/// The smallest catalog a directory needs: `org.admin` (the admin permission), `feed.read`,
/// and the role `admin` holding both.
pub fn admin_catalog() -> Catalog {
    fixed(admin_catalog_builder().and_then(|b| b.build()))
}

/// The builder of [`admin_catalog`], for a test to add its own permissions and roles to.
///
/// ```
/// let mut b = tenantry::testing::admin_catalog_builder().unwrap();
/// b.role("member", "Member", &["feed.read"]).unwrap();
/// let catalog = b.build().unwrap();
/// assert_eq!(catalog.roles().count(), 2);
/// ```
pub fn admin_catalog_builder() -> Result<CatalogBuilder, AccessError> {
    let mut b = CatalogBuilder::new();
    b.permission("org.admin", Area::Admin, "administer", &[])?;
    b.permission("feed.read", Area::Network, "read", &[])?;
    b.role("admin", "Admin", &["org.admin", "feed.read"])?;
    b.admin_permission("org.admin");
    Ok(b)
}

/// The social intranet's catalog: `network.admin` (the admin permission),
/// `feed.global.read` (network area), `group.post` (group area); the roles `admin` (all
/// three), `member` (reading and posting) and `guest` (posting in groups).
pub fn network_catalog() -> Catalog {
    let mut b = CatalogBuilder::new();
    let built = (|| {
        b.permission("network.admin", Area::Admin, "administer the network", &[])?;
        b.permission(
            "feed.global.read",
            Area::Network,
            "read the global feed",
            &[],
        )?;
        b.permission("group.post", Area::Group, "post in a group", &[])?;
        b.role(
            "admin",
            "Admin",
            &["network.admin", "feed.global.read", "group.post"],
        )?;
        b.role("member", "Member", &["feed.global.read", "group.post"])?;
        b.role("guest", "Guest", &["group.post"])?;
        b.admin_permission("network.admin");
        b.build()
    })();
    fixed(built)
}

/// The agency's catalog: `org.admin` (the admin permission, "edit organization info,
/// invite users"), eight permissions chosen one by one (`home.view`, `conversations.view`,
/// `analytics.view`, `kb.edit`, `channels.manage`, `prompt.edit`, `settings.edit`,
/// `custom-tabs.view`) and the role `admin` ("Org Admin") holding all nine.
pub fn agency_catalog() -> Catalog {
    const CHECKBOXES: [&str; 8] = [
        "home.view",
        "conversations.view",
        "analytics.view",
        "kb.edit",
        "channels.manage",
        "prompt.edit",
        "settings.edit",
        "custom-tabs.view",
    ];
    let mut b = CatalogBuilder::new();
    let built = (|| {
        b.permission(
            "org.admin",
            Area::Admin,
            "edit organization info, invite users",
            &[],
        )?;
        for k in CHECKBOXES {
            b.permission(k, Area::Network, k, &[])?;
        }
        let mut all = vec!["org.admin"];
        all.extend(CHECKBOXES);
        b.role("admin", "Org Admin", &all)?;
        b.admin_permission("org.admin");
        b.build()
    })();
    fixed(built)
}

/// The grant that makes a user an admin in [`admin_catalog`].
pub fn admin_role() -> Grantables {
    Grantables {
        roles: RoleKey::new("admin").into_iter().collect(),
        ..Grantables::new()
    }
}

/// A PIN user's form: `first` `last`, known by `external_id`, to be given a PIN (its
/// organization must allow PIN users, see [`World::enable_pin_users`]).
pub fn pin_user(first: &str, last: &str, external_id: &str) -> Result<NewUser, DirectoryError> {
    Ok(NewUser {
        kind: UserKind::Pin,
        profile: Profile {
            first_name: Some(NamePart::parse(first)?),
            last_name: Some(NamePart::parse(last)?),
            ..Profile::default()
        },
        identifiers: LoginIdentifiers {
            external_id: Some(ExternalId::parse(external_id)?),
            ..LoginIdentifiers::default()
        },
        way_in: WayIn::Pin,
        password: None,
    })
}

/// A sign-up form for `org` with just `email` and `password`: no profile, not as a guest, no
/// department chosen, no link.
pub fn sign_up_form(org: OrgId, email: &str, password: &str) -> Result<SignUpForm, DirectoryError> {
    Ok(SignUpForm {
        org,
        as_guest: false,
        profile: Profile::default(),
        identifiers: LoginIdentifiers {
            email: Some(Email::parse(email)?),
            ..LoginIdentifiers::default()
        },
        password: Password::new(password),
        chosen_department: None,
        link: None,
    })
}

/// Builds a [`World`].
pub struct WorldBuilder {
    store: Option<Arc<dyn Store>>,
    catalog: Option<Catalog>,
    hash_params: HashParams,
    throttle: ThrottlePolicy,
    pin_keys: Vec<PinKey>,
    root_name: String,
    admin_email: String,
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
            root_name: ROOT_NAME.to_owned(),
            admin_email: ADMIN_EMAIL.to_owned(),
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

    /// Names the root organization `name` instead of [`ROOT_NAME`].
    pub fn root_name(mut self, name: &str) -> Self {
        self.root_name = name.to_owned();
        self
    }

    /// Gives the admin the email `email` instead of [`ADMIN_EMAIL`] (for worlds that share a
    /// store, where each admin needs an address of their own).
    pub fn admin_email(mut self, email: &str) -> Self {
        self.admin_email = email.to_owned();
        self
    }

    /// The directory, its root organization ([`ROOT_NAME`] unless renamed) and its admin Ada
    /// ([`ADMIN_EMAIL`] unless changed, [`ADMIN_PASSWORD`], the role `admin`).
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
            .create_root_organization(NewRootOrganization {
                name: Name::parse(&self.root_name)?,
                admin_profile: Profile {
                    first_name: Some(NamePart::parse("Ada")?),
                    ..Profile::default()
                },
                admin_email: Email::parse(&self.admin_email)?,
                admin_password: Password::new(ADMIN_PASSWORD),
                admin_grant: admin_role(),
            })
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
    /// Its first admin (Ada, [`ADMIN_EMAIL`] unless the builder changed it,
    /// [`ADMIN_PASSWORD`]).
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

    /// Dispatches every message due now to `inbox` (emails and text messages), with the
    /// default retry policy.
    pub async fn deliver(&self, inbox: &Inbox) -> Result<DispatchReport, StoreError> {
        Dispatcher::new(self.store.as_ref(), inbox, self.clock.as_ref())
            .sms(inbox)
            .batch(10_000)
            .run()
            .await
    }

    /// The stored record of user `id`, if there is one (see [`user_record`]).
    pub async fn user_record(&self, id: UserId) -> Result<Option<UserRecord>, StoreError> {
        user_record(self.store.as_ref(), id).await
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

    /// Creates another root organization `name` with its own first admin: `admin_email`,
    /// [`ADMIN_PASSWORD`], the role `admin` ([`admin_role`]), no profile.
    pub async fn add_root(
        &self,
        name: &str,
        admin_email: &str,
    ) -> Result<(OrgId, UserId), DirectoryError> {
        self.dir
            .create_root_organization(NewRootOrganization {
                name: Name::parse(name)?,
                admin_profile: Profile::default(),
                admin_email: Email::parse(admin_email)?,
                admin_password: Password::new(ADMIN_PASSWORD),
                admin_grant: admin_role(),
            })
            .await
    }

    /// Lets the root organization have PIN users, their placeholder emails at `domain`
    /// (e.g. `"pins.acme.example"`), as the admin. Its settings and lifecycle policy become
    /// the defaults but for that.
    pub async fn enable_pin_users(&self, domain: &str) -> Result<(), DirectoryError> {
        let settings = OrgSettings {
            pin_users: Some(PinUserSettings {
                domain: EmailDomain::parse(domain)?,
            }),
            ..OrgSettings::default()
        };
        self.dir
            .configure_organization(self.admin(), self.org, settings, Default::default())
            .await?;
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

/// The record of user `id` in `store`, if there is one; a record of another kind under
/// the user's key is an error.
pub async fn user_record(store: &dyn Store, id: UserId) -> Result<Option<UserRecord>, StoreError> {
    match store.get(&RecordKey::User(id)).await? {
        None => Ok(None),
        Some(Versioned {
            value: Record::User(u),
            ..
        }) => Ok(Some(u)),
        Some(_) => Err(StoreError::new(
            StoreErrorKind::Other,
            "a record of another kind under a user's key",
        )),
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

/// A world on a [`Faulty`] store over a [`MemoryStore`], and that store, to make chosen
/// commits lose their race.
pub async fn faulty_world() -> Result<(World, Arc<Faulty>), DirectoryError> {
    let faulty = Arc::new(Faulty::new(Arc::new(MemoryStore::new())));
    let world = WorldBuilder::new().store(faulty.clone()).build().await?;
    Ok((world, faulty))
}

/// Which commits a [`Faulty`] store refuses.
type CommitFilter = Box<dyn Fn(&Changeset) -> bool + Send + Sync>;

/// A store that answers `Conflict` to chosen commits without applying them, as if another
/// process had won the race; everything else goes to the store it wraps. For tests of what
/// a use case does when it loses a race.
pub struct Faulty {
    inner: Arc<dyn Store>,
    refuse: Mutex<Vec<(usize, CommitFilter)>>,
    interleave: Mutex<Vec<(CommitFilter, Option<Changeset>)>>,
}

impl Faulty {
    /// Wraps `inner`, refusing nothing yet.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            refuse: Mutex::new(Vec::new()),
            interleave: Mutex::new(Vec::new()),
        }
    }

    /// When the next commit for which `when` holds arrives, `other` is committed first, as
    /// if another process had committed it a moment earlier; then the commit goes on to the
    /// store (which then answers what a real race would: `Conflict`, `NotFound`, ...). If
    /// `other` itself fails, that failure is answered and the commit is not made.
    pub fn interleave_next(
        &self,
        when: impl Fn(&Changeset) -> bool + Send + Sync + 'static,
        other: Changeset,
    ) {
        self.interleave
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((Box::new(when), Some(other)));
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
        let first = {
            let mut rules = self
                .interleave
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            rules
                .iter_mut()
                .find(|(when, other)| other.is_some() && when(&changeset))
                .and_then(|(_, other)| other.take())
        };
        if let Some(other) = first {
            self.inner.commit(other).await?;
        }
        self.inner.commit(changeset).await
    }
}

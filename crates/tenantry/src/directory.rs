//! The `Directory`: the use cases host applications call.
//!
//! Every use case reads what it needs, decides in the pure crates (access for permissions,
//! lifecycle for states, credentials for secrets), and submits one [`Changeset`] with its
//! audit events and outbox messages. On `Conflict` it re-reads and decides again, at most
//! [`DirectoryConfig::max_attempts`] times.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_access::{
    AccessError, AccessModel, Catalog, GrantRef, Grantables, Refusal, Resolver, Scope, Target,
};
use tenantry_credentials::{
    Attempts, CredentialError, HashParams, LinkBuilder, Password, PasswordHash, PasswordPolicy,
    Pin, PinKey, PinRecord, PolicyContext, RawToken, ThrottleDecision, ThrottlePolicy, TokenHash,
    TokenPurpose, dummy_hash, hash_password, issue_token, verify_password,
};
use tenantry_identity::{
    Email, LoginIdentifier, LoginIdentifiers, ModelError, Name, OrgId, Organization, Profile, User,
    UserId, UserKind, ValueError, placeholder_email,
};
use tenantry_lifecycle::{
    Account, ActivationMethod, Actor, Creation, Effect, Event, Invitation, LifecycleError, WayIn,
};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::changeset::Changeset;
use crate::clock::Clock;
use crate::error::{StoreError, StoreErrorKind};
use crate::records::{
    AuditEvent, Channel, OrgRecord, OutboxMessage, OutboxStatus, Record, RecordKey, UserRecord,
    Versioned,
};
use crate::render::{DefaultRenderer, Locale, MessageContext, MessageKind, Renderer};
use crate::store::{ListOf, Store};

/// How the directory is set up.
#[derive(Clone, Debug)]
pub struct DirectoryConfig {
    /// Builds links from the public base URL (never from a request's Host header).
    pub links: LinkBuilder,
    /// argon2id parameters for new hashes (default: OWASP's).
    pub hash_params: HashParams,
    /// The password policy.
    pub password_policy: PasswordPolicy,
    /// Failed sign-in throttling.
    pub throttle: ThrottlePolicy,
    /// Keys that seal PINs: the first seals new ones; all open old ones (each id once).
    /// Empty: PIN users cannot be enabled. To rotate, put the new key first and run
    /// [`Directory::reseal_pins`].
    pub pin_keys: Vec<PinKey>,
    /// How often a use case re-reads and decides again after a conflict (default 5).
    pub max_attempts: u32,
    /// How many passwords are hashed at once (default: the number of CPUs).
    pub hashing_concurrency: usize,
}

impl DirectoryConfig {
    /// Defaults around the host's public base URL.
    pub fn new(links: LinkBuilder) -> Self {
        Self {
            links,
            hash_params: HashParams::OWASP,
            password_policy: PasswordPolicy::default(),
            throttle: ThrottlePolicy::default(),
            pin_keys: Vec::new(),
            max_attempts: 5,
            hashing_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
        }
    }
}

/// Who calls a use case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The host itself, or an integration, with full authority (bootstrap, SCIM, imports).
    System,
    /// A signed-in user, whose permissions are checked.
    User(UserId),
    /// An admin acting as `user` after [`Directory::impersonate`] ("log in as"): the
    /// user's permissions apply, and the audit log names the admin as the actor, acting for
    /// the user (`acting_for` in the event's detail). On every call both accounts must be
    /// able to sign in and the admin must still be allowed to impersonate the user.
    Impersonating {
        /// The admin who acts.
        admin: UserId,
        /// The user acted for.
        user: UserId,
    },
}

impl Caller {
    /// The user whose permissions apply: the user, or the one impersonated; `None` for the
    /// system.
    pub fn user(self) -> Option<UserId> {
        match self {
            Caller::System => None,
            Caller::User(u) | Caller::Impersonating { user: u, .. } => Some(u),
        }
    }
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record the use case needs does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller lacks a permission.
    #[error("denied: {0}")]
    Denied(String),
    /// The calling user's account may not sign in (invited and not yet activated, pending,
    /// inactive, blocked, deleted, or of a kind that never signs in): it acts for nobody.
    #[error("the caller's account may not act")]
    CallerMayNotAct,
    /// An access guard refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The catalog does not know a key.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The lifecycle refused.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// A credential operation failed (including password policy refusals).
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// A model rule would break.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A value is invalid.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A spreadsheet could not be written or read.
    #[error(transparent)]
    Tabular(#[from] tenantry_tabular::TabularError),
    /// A login identifier of the new or changed user belongs to someone else.
    #[error("an identifier is already taken")]
    IdentifierTaken,
    /// An argument is malformed (a message subject too long, a topic key with spaces).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which argument.
        field: &'static str,
        /// What it must be.
        reason: &'static str,
    },
    /// Sign-in failed. The same answer whether the account exists or not.
    #[error("invalid identifier or password")]
    InvalidCredentials,
    /// Too many failed sign-ins for this identifier; try again later.
    #[error("too many attempts; try again after {until}")]
    Throttled {
        /// When the next attempt is allowed.
        until: DateTime<Utc>,
    },
    /// The identifier failed [`tenantry_credentials::ThrottlePolicy::max_consecutive`] times
    /// in a row (100 at most, however spread out): no attempt is accepted until a password
    /// reset (or another proof) succeeds.
    #[error("too many failed attempts; reset the password to continue")]
    Suspended,
    /// The link is invalid, used or expired (one answer for all three).
    #[error("the link is invalid or has expired")]
    InvalidLink,
    /// The account has no password yet: this step needs one.
    #[error("a password must be chosen")]
    PasswordRequired,
    /// A single sign-on login was refused: the identity belongs to no user of the
    /// organization the provider is configured for, just-in-time provisioning is off, or
    /// the account may not sign in (one answer for all).
    #[error("single sign-on refused")]
    SsoRefused,
    /// The password was right, but an admin set it: the user must choose their own with
    /// [`Directory::change_password`] before signing in.
    #[error("the password must be changed before signing in")]
    PasswordChangeRequired,
    /// Others kept changing the same records; the use case gave up.
    #[error("the change kept conflicting with concurrent changes; try again")]
    Contended,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Their kind.
    pub kind: UserKind,
    /// Their profile. PIN users need first and last name (for the placeholder email).
    pub profile: Profile,
    /// Their identifiers. For PIN users the placeholder email is generated: leave it empty.
    pub identifiers: LoginIdentifiers,
    /// Their way in.
    pub way_in: WayIn,
    /// The password for [`WayIn::Password`] (seed 001's custom or generated password), or
    /// the one-time password for [`WayIn::OneTimePassword`].
    pub password: Option<Password>,
}

impl NewUser {
    /// A standard user who signs in with `email` and is sent an invitation to set a
    /// password. Set the other fields (profile, kind, way in) as needed.
    pub fn invited(email: Email) -> Self {
        Self {
            kind: UserKind::Standard,
            profile: Profile::default(),
            identifiers: LoginIdentifiers {
                email: Some(email),
                ..LoginIdentifiers::default()
            },
            way_in: WayIn::Invitation,
            password: None,
        }
    }
}

/// A single sign-on login as the host reports it, after the identity provider configured
/// for `org` vouched for the person (see [`Directory::sso_login`]).
#[derive(Debug, Clone)]
pub struct SsoLogin {
    /// The organization the identity provider is configured for.
    pub org: OrgId,
    /// Also sign in users of `org`'s descendants (an agency's provider for its client
    /// organizations); off by default: only `org`'s own users.
    pub subtree: bool,
    /// What the provider says of the person (used for a just-in-time account).
    pub profile: Profile,
    /// The identifiers the provider vouched for.
    pub identifiers: LoginIdentifiers,
}

impl SsoLogin {
    /// A login to `org` of the person the provider knows by `identifiers`, for `org`'s
    /// own users only, with an empty profile.
    pub fn new(org: OrgId, identifiers: LoginIdentifiers) -> Self {
        Self {
            org,
            subtree: false,
            profile: Profile::default(),
            identifiers,
        }
    }

    /// The same login with `profile` for a just-in-time account.
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// The same login, reaching users of `org`'s descendants too.
    pub fn with_subtree(mut self) -> Self {
        self.subtree = true;
        self
    }
}

/// What a person enters on the sign-up form (seed 003, 004) or a guest's join form (seed 000).
#[derive(Debug, Clone)]
pub struct SignUpForm {
    /// The organization signed up to.
    pub org: OrgId,
    /// Joining as a guest.
    pub as_guest: bool,
    /// Name and the rest.
    pub profile: Profile,
    /// An email, or a username and (in `profile`) a phone.
    pub identifiers: LoginIdentifiers,
    /// The password they chose.
    pub password: Password,
    /// The department they picked, where the form offers a choice.
    pub chosen_department: Option<tenantry_identity::DepartmentId>,
    /// The code of the department link or QR code they came by.
    pub link: Option<tenantry_identity::SignUpCode>,
}

/// What the users prepared for one commit have taken so far.
#[derive(Debug, Default)]
pub(crate) struct NewUsers {
    /// Placeholder emails given out (their keys).
    pub(crate) placeholders: std::collections::HashSet<String>,
    /// Whether a user of the organization exists or is being created.
    pub(crate) org_has_users: bool,
}

/// What creating a user produced.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    /// The new user's id.
    pub id: UserId,
    /// A PIN user's PIN, for the admin's PIN export.
    pub pin: Option<Pin>,
    /// A PIN user's generated placeholder email.
    pub placeholder_email: Option<Email>,
}

/// The directory service.
pub struct Directory {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) catalog: Catalog,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) renderer: Arc<dyn Renderer>,
    pub(crate) config: DirectoryConfig,
    rng: Mutex<StdRng>,
    hashing: Arc<Semaphore>,
    dummy: PasswordHash,
}

/// Writes each organization whose admins `plan` changes at the version it was read at in
/// `orgs`, so the change conflicts with any other change to those admins committed since.
pub(crate) fn bump_admin_orgs(
    cs: &mut Changeset,
    plan: &tenantry_access::Plan,
    orgs: &std::collections::HashMap<OrgId, (OrgRecord, u64)>,
) -> Result<(), DirectoryError> {
    for org in &plan.admin_orgs {
        let (record, version) = orgs
            .get(org)
            .cloned()
            .ok_or(DirectoryError::NotFound("organization"))?;
        cs.update(Record::Org(record), version);
    }
    Ok(())
}

/// Whether an account in this state counts as an admin of its organization when it holds
/// the admin permission: active ones, and those on their way in (created, invited — seed
/// 002's first user, invited later). Accounts waiting for approval, inactive, blocked or
/// deleted do not: "keep an admin" looks past them.
pub(crate) fn counts_as_admin(account: &Account) -> bool {
    use tenantry_lifecycle::AccountState::{Active, Created, Invited};
    matches!(account.state(), Created | Invited | Active)
}

pub(crate) fn conflict(e: &StoreError) -> bool {
    e.kind() == StoreErrorKind::Conflict
}

/// The context of an activation token that reactivates an inactive account (a sign-up with
/// its identifier) instead of activating a new one; invitation generations, the other
/// contexts, never reach it.
const REACTIVATION: u32 = u32::MAX;

/// How many lost races an attempt counter tolerates before refusing the attempt: enough for
/// dozens of simultaneous guesses at one identifier to all be counted.
const COUNTER_ROUNDS: u32 = 64;

/// Runs a use case's `try_` step until it does not fail with a store `Conflict`, at most
/// `max_attempts` times; each attempt re-reads and decides again. (A macro, not an async
/// closure: the futures must stay `Send` for hosts that spawn them.)
macro_rules! retrying {
    ($self:ident, $attempt:expr) => {{
        let mut outcome = Err(DirectoryError::Contended);
        for _ in 0..$self.config.max_attempts.max(1) {
            match $attempt.await {
                Err(DirectoryError::Store(e)) if crate::directory::conflict(&e) => continue,
                other => {
                    outcome = other;
                    break;
                }
            }
        }
        outcome
    }};
}
pub(crate) use retrying;

impl Directory {
    /// A directory over `store`, with the host's permission `catalog`, a `clock` and its
    /// configuration. Hashes one random password at start, to verify against when an
    /// identifier is unknown (so unknown and known identifiers take the same time).
    pub fn new(
        store: Arc<dyn Store>,
        catalog: Catalog,
        clock: Arc<dyn Clock>,
        config: DirectoryConfig,
    ) -> Result<Self, DirectoryError> {
        config.password_policy.validate()?;
        config.throttle.validate()?;
        let mut key_ids = std::collections::HashSet::new();
        if !config.pin_keys.iter().all(|k| key_ids.insert(k.id())) {
            return Err(CredentialError::InvalidSetting("two PIN keys share an id").into());
        }
        let mut rng = StdRng::from_rng(&mut rand::rng());
        let dummy = dummy_hash(&config.hash_params, &mut rng)?;
        let hashing = Arc::new(Semaphore::new(config.hashing_concurrency.max(1)));
        Ok(Self {
            store,
            catalog,
            clock,
            renderer: Arc::new(DefaultRenderer),
            config,
            rng: Mutex::new(rng),
            hashing,
            dummy,
        })
    }

    /// Replaces the random source (seeded from the operating system by default) — for tests
    /// that need repeatable ids, tokens and PINs. Use a CSPRNG in production.
    pub fn with_random_source(self, rng: StdRng) -> Self {
        *self.rng.lock().unwrap_or_else(PoisonError::into_inner) = rng;
        self
    }

    /// Replaces the default renderer.
    pub fn with_renderer(mut self, renderer: Arc<dyn Renderer>) -> Self {
        self.renderer = renderer;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock it reads the time from (for adapters that stamp records they build, such
    /// as a SCIM group).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The public URL of the sign-up link with `code` (a department's, seed 003), under the
    /// configured base URL: `{base}/signup/{code}`. For posters,
    /// [`QrCode::encode`](tenantry_lifecycle::QrCode::encode) makes it a QR code (SVG or PNG).
    pub fn sign_up_url(&self, code: &tenantry_identity::SignUpCode) -> String {
        tenantry_lifecycle::sign_up_url(self.config.links.base(), code)
    }

    /// The permission catalog, e.g. to explain a [`Directory::check`] decision.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(crate) fn with_rng<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        f(&mut self.rng.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn uuid(&self) -> Uuid {
        let now = self.clock.now();
        self.with_rng(|rng| tenantry_identity::uuid_v7(now, rng))
    }

    pub(crate) fn audit(
        &self,
        caller: Caller,
        org: Option<OrgId>,
        subject: Option<UserId>,
        action: &str,
    ) -> AuditEvent {
        let mut detail = std::collections::BTreeMap::new();
        if let Caller::Impersonating { user, .. } = caller {
            detail.insert("acting_for".to_owned(), user.to_string());
        }
        AuditEvent {
            id: self.uuid(),
            at: self.clock.now(),
            actor: match caller {
                Caller::System => None,
                Caller::User(u) | Caller::Impersonating { admin: u, .. } => Some(u),
            },
            org,
            subject,
            action: action.to_owned(),
            detail,
        }
    }

    /// Hashes off the async executor, at most `hashing_concurrency` at once.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, DirectoryError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|_| DirectoryError::Contended)?;
        let (password, params) = (password.clone(), self.config.hash_params);
        let seed: [u8; 32] = self.with_rng(|rng| {
            let mut s = [0u8; 32];
            rand::Rng::fill_bytes(rng, &mut s);
            s
        });
        tokio::task::spawn_blocking(move || {
            hash_password(&password, &params, &mut StdRng::from_seed(seed))
        })
        .await
        .map_err(|_| DirectoryError::Contended)?
        .map_err(DirectoryError::from)
    }

    async fn verify(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<bool, DirectoryError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|_| DirectoryError::Contended)?;
        let (password, hash) = (password.clone(), hash.clone());
        tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|_| DirectoryError::Contended)?
            .map_err(DirectoryError::from)
    }

    /// Finds the token of a link for `purpose`, redeems it (unused, unexpired) and returns it
    /// with its stored version (commit it back at that version: the single use is the
    /// version check) and its owner. Every failure is the same [`DirectoryError::InvalidLink`].
    async fn redeem_link(
        &self,
        raw: &RawToken,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<(tenantry_credentials::TokenRecord, u64, UserId), DirectoryError> {
        let (mut token, version) = self.stored_token(raw, purpose).await?;
        let user = token
            .redeem(raw, purpose, None, now)
            .map_err(|_| DirectoryError::InvalidLink)?;
        Ok((token, version, user))
    }

    /// The stored token `raw` stands for, as `purpose`, with its version; none is
    /// [`DirectoryError::InvalidLink`].
    pub(crate) async fn stored_token(
        &self,
        raw: &RawToken,
        purpose: TokenPurpose,
    ) -> Result<(tenantry_credentials::TokenRecord, u64), DirectoryError> {
        let found = self
            .store
            .get(&RecordKey::Token(TokenHash::of(purpose, raw)))
            .await?;
        match found.map(|v| (v.value, v.version)) {
            Some((Record::Token(token), version)) => Ok((token, version)),
            _ => Err(DirectoryError::InvalidLink),
        }
    }

    /// Issues a token of `purpose` for `user` (bound to `context`, valid `ttl`), renders a
    /// `kind` message with its link in the user's language, and adds both to `cs`. Returns
    /// the token's hash (the message's idempotency key carries it).
    #[allow(clippy::too_many_arguments)]
    fn queue_link(
        &self,
        cs: &mut Changeset,
        user: &User,
        org: &OrgRecord,
        kind: MessageKind,
        purpose: TokenPurpose,
        ttl: chrono::Duration,
        context: Option<u32>,
    ) -> Result<TokenHash, DirectoryError> {
        let now = self.clock.now();
        let channels = &org.org.settings.communication;
        let email = user.mailbox().filter(|_| channels.email).cloned();
        let phone = user
            .profile()
            .phone
            .as_ref()
            .filter(|_| channels.sms && user.kind().has_mailbox());
        if email.is_none() && phone.is_none() {
            return Err(DirectoryError::NotFound("mailbox or phone"));
        }
        let (raw, token) =
            self.with_rng(|rng| issue_token(purpose, user.id(), now, ttl, context, rng))?;
        let mut ctx = MessageContext::new(
            kind,
            Locale::from_language(user.profile().language.as_ref()),
            &user.display_name(),
            org.org.name.as_str(),
        );
        ctx.link = Some(self.config.links.link(purpose, &raw));
        ctx.expires_at = Some(token.expires_at);
        let hash = token.hash;
        let key = format!("{}:{}:{}", kind.as_str(), user.id(), hash.to_hex());
        let rendered = self.renderer.render(&ctx);
        // Seed 003: a user with both an email and a phone gets both.
        if let Some(phone) = phone {
            let mut sms = self.outbox_to(
                phone.as_str(),
                user.id(),
                format!("{key}:sms"),
                rendered.clone(),
                kind,
            );
            sms.channel = Channel::Sms;
            sms.text = rendered.sms.clone();
            sms.html = None;
            cs.insert(Record::Outbox(sms));
        }
        if let Some(to) = email {
            cs.insert(Record::Outbox(self.outbox(
                &to,
                user.id(),
                key,
                rendered,
                kind,
            )));
        }
        cs.insert(Record::Token(token));
        Ok(hash)
    }

    /// Deletes the user's tokens of `purpose` in `cs`: a new one for the same purpose
    /// revokes the older.
    pub(crate) async fn supersede_tokens(
        &self,
        cs: &mut Changeset,
        user: UserId,
        purpose: TokenPurpose,
    ) -> Result<(), DirectoryError> {
        for t in self.store.list(&ListOf::TokensOf(user)).await? {
            if matches!(&t.value, Record::Token(token) if token.purpose == purpose) {
                cs.delete(t.value.key(), t.version);
            }
        }
        Ok(())
    }

    /// A placeholder email for a PIN user of `org` named as in `profile` that no other user
    /// holds and `reserved` does not list; `own` is the user it is for, whose own address
    /// counts as free.
    pub(crate) async fn free_placeholder(
        &self,
        org: &OrgRecord,
        profile: &Profile,
        reserved: &std::collections::HashSet<String>,
        own: Option<UserId>,
    ) -> Result<Email, DirectoryError> {
        let org_id = org.org.id;
        let domain = &org
            .org
            .settings
            .pin_users
            .as_ref()
            .ok_or(ModelError::PinUsersDisabled(org_id))?
            .domain;
        let (Some(first), Some(last)) = (&profile.first_name, &profile.last_name) else {
            return Err(ModelError::MissingRequiredFields {
                missing: vec![
                    tenantry_identity::ProfileField::FirstName,
                    tenantry_identity::ProfileField::LastName,
                ],
            }
            .into());
        };
        let mut taken = std::collections::HashSet::new();
        for _ in 0..1000 {
            let candidate = placeholder_email(first, last, domain, |a| {
                taken.contains(a) || reserved.contains(a)
            })?;
            let key = tenantry_identity::LoginKey::Email(candidate.key());
            match self.store.user_by_login(&key).await? {
                Some(holder) if Some(holder.value.user.id()) != own => {
                    taken.insert(candidate.key());
                }
                _ => return Ok(candidate),
            }
        }
        Err(ModelError::PlaceholderExhausted { attempts: 1000 }.into())
    }

    pub(crate) async fn org(&self, id: OrgId) -> Result<(OrgRecord, u64), DirectoryError> {
        match self.store.get(&RecordKey::Org(id)).await? {
            Some(v) => match v.value {
                Record::Org(o) => Ok((o, v.version)),
                _ => Err(DirectoryError::NotFound("organization")),
            },
            None => Err(DirectoryError::NotFound("organization")),
        }
    }

    pub(crate) async fn user(&self, id: UserId) -> Result<(UserRecord, u64), DirectoryError> {
        match self
            .store
            .get(&RecordKey::User(id))
            .await?
            .map(|v| (v.value, v.version))
        {
            Some((Record::User(u), v)) => Ok((u, v)),
            _ => Err(DirectoryError::NotFound("user")),
        }
    }

    /// A resolver over every organization and the given users with their grants.
    async fn resolver_for(&self, users: &[UserId]) -> Result<Resolver, DirectoryError> {
        Ok(self.resolver_with_orgs(users).await?.0)
    }

    /// [`Self::resolver_for`], with the organizations as read *before* the grants: a change
    /// decided on this resolver bumps these versions, so it conflicts with any change to
    /// admins committed after the read.
    async fn resolver_with_orgs(
        &self,
        users: &[UserId],
    ) -> Result<(Resolver, std::collections::HashMap<OrgId, (OrgRecord, u64)>), DirectoryError>
    {
        let (model, orgs) = self.access_model(users).await?;
        Ok((Resolver::compile(&self.catalog, &model)?, orgs))
    }

    /// The access model of every organization and of `users` (their grants and groups),
    /// with the organizations as read.
    pub(crate) async fn access_model(
        &self,
        users: &[UserId],
    ) -> Result<
        (
            AccessModel,
            std::collections::HashMap<OrgId, (OrgRecord, u64)>,
        ),
        DirectoryError,
    > {
        let mut records = Vec::with_capacity(users.len());
        for &u in users {
            if let Ok((record, _)) = self.user(u).await {
                records.push(record);
            }
        }
        self.access_model_of(&records).await
    }

    /// [`Self::access_model`] for users whose records the caller has already read.
    pub(crate) async fn access_model_of(
        &self,
        users: &[UserRecord],
    ) -> Result<
        (
            AccessModel,
            std::collections::HashMap<OrgId, (OrgRecord, u64)>,
        ),
        DirectoryError,
    > {
        let mut model = AccessModel::new();
        let mut orgs = std::collections::HashMap::new();
        for o in self.store.orgs().await? {
            model.add_org(o.value.org.id, o.value.org.parent);
            model.entitle(o.value.org.id, o.value.entitlements.iter().cloned());
            orgs.insert(o.value.org.id, (o.value, o.version));
        }
        for record in users {
            let u = record.user.id();
            model.add_user(u, record.user.kind(), record.user.org());
            model.set_dormant(u, !counts_as_admin(&record.account));
            for g in self.store.list(&ListOf::GrantsOfUser(u)).await? {
                if let Record::Grant(r, what) = g.value {
                    model.set_grant(r.user, r.org, r.scope, what);
                }
            }
            for m in self.store.list(&ListOf::GroupsOfUser(u)).await? {
                if let Record::Membership(m) = m.value
                    && let Some(Record::Group(g)) = self
                        .store
                        .get(&RecordKey::Group(m.group))
                        .await?
                        .map(|v| v.value)
                {
                    model.add_group(g.id, g.org, g.visible_to_guests);
                    model.add_member(u, g.id);
                }
            }
        }
        Ok((model, orgs))
    }

    /// The calling user's record, read now; `None` for the system. A user whose account may
    /// not sign in — or who no longer exists — is refused with
    /// [`DirectoryError::CallerMayNotAct`]: every use case that acts for a user asks this
    /// first, before it reads anything of the target, so a dormant caller learns nothing.
    pub(crate) async fn acting(
        &self,
        caller: Caller,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        match caller {
            Caller::System => Ok(None),
            Caller::User(id) => self.may_act(id).await.map(Some),
            Caller::Impersonating { admin, user } => {
                let admin = self.may_act(admin).await?;
                let user = self.may_act(user).await?;
                match self.may_take_over(&admin, &user).await {
                    Ok(()) => Ok(Some(user)),
                    Err(DirectoryError::Store(e)) => Err(e.into()),
                    Err(_) => Err(DirectoryError::CallerMayNotAct),
                }
            }
        }
    }

    /// `id`'s record if the account may sign in, else [`DirectoryError::CallerMayNotAct`].
    pub(crate) async fn may_act(&self, id: UserId) -> Result<UserRecord, DirectoryError> {
        match self.user(id).await {
            Ok((record, _)) if record.account.capabilities().may_sign_in => Ok(record),
            Ok(_) | Err(DirectoryError::NotFound(_)) => Err(DirectoryError::CallerMayNotAct),
            Err(e) => Err(e),
        }
    }

    /// [`Self::may_take_over`] for the user `caller` acts as; the system may take over anyone.
    pub(crate) async fn require_take_over(
        &self,
        caller: Caller,
        target: &UserRecord,
    ) -> Result<(), DirectoryError> {
        match self.acting(caller).await? {
            Some(actor) => self.may_take_over(&actor, target).await,
            None => Ok(()),
        }
    }

    /// Whether `admin` may take over `target`'s account — impersonate it, send it a login or
    /// reset link, change the identifiers it signs in with: `admin` administers the
    /// target's organization, and the target holds nothing, in any organization or group
    /// its grants reach, that the admin does not hold there. Refused with
    /// [`DirectoryError::Denied`].
    pub(crate) async fn may_take_over(
        &self,
        admin: &UserRecord,
        target: &UserRecord,
    ) -> Result<(), DirectoryError> {
        let (a, t) = (admin.user.id(), target.user.id());
        let home = target.user.org();
        let (model, _) = self
            .access_model_of(&[admin.clone(), target.clone()])
            .await?;
        let resolver = Resolver::compile(&self.catalog, &model)?;
        if !resolver
            .check(a, self.catalog.admin(), Target::Org(home))
            .is_allowed()
        {
            return Err(DirectoryError::Denied(
                "the caller does not administer the user's organization".into(),
            ));
        }
        // Every place the target's grants reach, and the groups of both.
        let mut targets = vec![Target::Org(home)];
        let mut tree = None;
        for g in self.store.list(&ListOf::GrantsOfUser(t)).await? {
            let Record::Grant(r, _) = g.value else {
                continue;
            };
            targets.push(Target::Org(r.org));
            if r.scope != Scope::Organization {
                if tree.is_none() {
                    tree = Some(tenantry_identity::OrgTree::from_edges(
                        self.store
                            .orgs()
                            .await?
                            .into_iter()
                            .map(|o| (o.value.org.id, o.value.org.parent)),
                    )?);
                }
                if let Some(tree) = &tree {
                    targets.extend(tree.descendants(r.org).into_iter().map(Target::Org));
                }
            }
        }
        targets.extend(model.groups.keys().map(|&g| Target::Group(g)));
        for at in targets {
            if !resolver
                .effective(t, at)
                .is_subset(resolver.effective(a, at))
            {
                return Err(DirectoryError::Denied(
                    "the user holds permissions the caller does not".into(),
                ));
            }
        }
        Ok(())
    }

    /// Checks that `caller` may act (a user whose account may sign in, or the system) and
    /// administers `org`: for adapters that serve an organization's data outside a use case,
    /// such as SCIM's reads. Refused with [`DirectoryError::CallerMayNotAct`] or
    /// [`DirectoryError::Denied`].
    pub async fn authorize_admin(&self, caller: Caller, org: OrgId) -> Result<(), DirectoryError> {
        self.require_admin(caller, org).await
    }

    /// Checks the caller may act ([`Self::acting`]) and administers `org`.
    pub(crate) async fn require_admin(
        &self,
        caller: Caller,
        org: OrgId,
    ) -> Result<(), DirectoryError> {
        let Some(record) = self.acting(caller).await? else {
            return Ok(());
        };
        let user = record.user.id();
        let (model, _) = self.access_model_of(std::slice::from_ref(&record)).await?;
        let resolver = Resolver::compile(&self.catalog, &model)?;
        let decision = resolver.check(user, self.catalog.admin(), Target::Org(org));
        if decision.is_allowed() {
            Ok(())
        } else {
            // The explanation starts "denied: ", as this error's message does.
            let explained = decision.explain(&self.catalog);
            let reason = explained.strip_prefix("denied: ").unwrap_or(&explained);
            Err(DirectoryError::Denied(reason.to_owned()))
        }
    }

    pub(crate) fn outbox(
        &self,
        to: &Email,
        user: UserId,
        key: String,
        rendered: crate::render::Rendered,
        kind: MessageKind,
    ) -> OutboxMessage {
        self.outbox_to(to.as_str(), user, key, rendered, kind)
    }

    /// An email message to `to` for the outbox, due now.
    fn outbox_to(
        &self,
        to: &str,
        user: UserId,
        key: String,
        rendered: crate::render::Rendered,
        kind: MessageKind,
    ) -> OutboxMessage {
        let now = self.clock.now();
        OutboxMessage {
            id: self.uuid(),
            idempotency_key: key,
            channel: Channel::Email,
            to: to.to_owned(),
            user: Some(user),
            kind: kind.as_str().to_owned(),
            subject: rendered.subject,
            text: rendered.text,
            html: Some(rendered.html),
            created_at: now,
            status: OutboxStatus::Pending {
                attempts: 0,
                next_attempt_at: now,
            },
            topic: None,
        }
    }

    /// Whether `user` holds `permission` at `target` (an organization, or a group for
    /// group-area permissions), with the decision's explanation. Hosts that check often
    /// should cache [`tenantry_access::Resolver::effective`] sets instead; this reads the
    /// store each time. An unknown permission key is an error, never a deny. Accounts that
    /// may neither sign in nor file requests (inactive, blocked, not yet activated) are
    /// denied everything, as an unknown subject.
    #[tracing::instrument(name = "tenantry", skip_all, fields(use_case = "check"), err(Display))]
    pub async fn check(
        &self,
        user: UserId,
        permission: &str,
        target: Target,
    ) -> Result<tenantry_access::Decision, DirectoryError> {
        let id = self.catalog.permission(permission)?;
        let Ok((record, _)) = self.user(user).await else {
            return Ok(tenantry_access::Decision::Deny(
                tenantry_access::Denial::UnknownSubject,
            ));
        };
        if !record.account.capabilities().may_sign_in
            && !record.account.capabilities().may_file_requests
        {
            return Ok(tenantry_access::Decision::Deny(
                tenantry_access::Denial::UnknownSubject,
            ));
        }
        Ok(self.resolver_for(&[user]).await?.check(user, id, target))
    }

    /// Creates a root organization (a network, an agency, a partner) with its first admin,
    /// who gets `admin_grant` there, a password, and is its contact person. The organization
    /// is entitled to every permission of the catalog.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_root_organization"),
        err(Display)
    )]
    pub async fn create_root_organization(
        &self,
        name: Name,
        admin_profile: Profile,
        admin_email: Email,
        password: &Password,
        admin_grant: Grantables,
    ) -> Result<(OrgId, UserId), DirectoryError> {
        let now = self.clock.now();
        let org_id = OrgId::from_uuid(self.uuid());
        let user_id = UserId::from_uuid(self.uuid());
        let ids = LoginIdentifiers {
            email: Some(admin_email.clone()),
            ..Default::default()
        };
        let user = User::new(user_id, org_id, UserKind::Standard, admin_profile, ids, now)?;
        self.check_password(password, &user, &name)?;
        let hash = self.hash(password).await?;
        let mut org = Organization::new(org_id, None, name, now);
        org.set_contact_person(&user)?;
        let entitlements = self
            .catalog
            .permissions()
            .map(|(_, d)| d.key.clone())
            .collect();
        let record = OrgRecord {
            entitlements,
            ..OrgRecord::new(org)
        };
        let lifecycle = Account::create(
            UserKind::Standard,
            Creation::Provisioned {
                way_in: WayIn::Password,
            },
            Actor::System,
            &record.lifecycle,
            now,
        )?;
        let mut cs = Changeset::new();
        cs.insert(Record::Org(record))
            .insert(Record::User(UserRecord {
                user,
                account: lifecycle.account,
                password: Some(hash),
                last_sign_in: None,
                notifications: Default::default(),
                must_change_password: false,
            }))
            .insert(Record::Grant(
                GrantRef {
                    user: user_id,
                    org: org_id,
                    scope: Scope::Organization,
                },
                admin_grant,
            ))
            .audit(self.audit(Caller::System, Some(org_id), None, "org.created"))
            .audit(self.audit(Caller::System, Some(org_id), Some(user_id), "user.created"));
        self.commit_claims(cs).await?;
        Ok((org_id, user_id))
    }

    fn check_password(
        &self,
        password: &Password,
        user: &User,
        org_name: &Name,
    ) -> Result<(), DirectoryError> {
        let mut ctx = PolicyContext::new();
        let p = user.profile();
        for part in [&p.first_name, &p.last_name].into_iter().flatten() {
            ctx.add(tenantry_credentials::ContextKind::Name, part.as_str());
        }
        if let Some(e) = user.sign_in_email() {
            ctx.add_email(e.as_str());
        }
        if let Some(u) = &user.identifiers().username {
            ctx.add(tenantry_credentials::ContextKind::Username, u.as_str());
        }
        ctx.add(
            tenantry_credentials::ContextKind::Organization,
            org_name.as_str(),
        );
        Ok(self.config.password_policy.check(password, &ctx)?)
    }

    /// Creates a user of any kind in `org`, with the way in `new.way_in` gives (seeds 000-004):
    /// checks the caller administers `org`, that the kind is enabled there and the
    /// organization's required fields; generates a PIN user's placeholder email and PIN;
    /// writes the invitation, activation or welcome message to the outbox.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_user"),
        err(Display)
    )]
    pub async fn create_user(
        &self,
        caller: Caller,
        org: OrgId,
        new: NewUser,
    ) -> Result<CreatedUser, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_create_user(caller, org, new.clone()))
    }

    async fn try_create_user(
        &self,
        caller: Caller,
        org_id: OrgId,
        new: NewUser,
    ) -> Result<CreatedUser, DirectoryError> {
        let (org, org_version) = self.org(org_id).await?;
        let (cs, created) = self
            .prepare_user(caller, &org, org_version, new, &mut NewUsers::default())
            .await?;
        self.commit_claims(cs).await?;
        Ok(created)
    }

    /// Commits a changeset that claims login identifiers (creating or editing users): one
    /// someone else holds is [`DirectoryError::IdentifierTaken`].
    pub(crate) async fn commit_claims(&self, cs: Changeset) -> Result<(), DirectoryError> {
        match self.store.commit(cs).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == StoreErrorKind::Duplicate => Err(DirectoryError::IdentifierTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Everything creating `new` in `org` (read at `org_version`) writes, uncommitted.
    /// `batch` carries what earlier users of the same commit took: placeholder emails, and
    /// whether the organization already has a user.
    pub(crate) async fn prepare_user(
        &self,
        caller: Caller,
        org: &OrgRecord,
        org_version: u64,
        new: NewUser,
        batch: &mut NewUsers,
    ) -> Result<(Changeset, CreatedUser), DirectoryError> {
        let now = self.clock.now();
        let org_id = org.org.id;
        org.org.settings.allows_kind(org_id, new.kind)?;
        let user_id = UserId::from_uuid(self.uuid());
        let mut identifiers = new.identifiers.clone();
        if new.kind == UserKind::Pin {
            let found = self
                .free_placeholder(org, &new.profile, &batch.placeholders, None)
                .await?;
            batch.placeholders.insert(found.key());
            identifiers.placeholder_email = Some(found);
        }
        let user = User::new(
            user_id,
            org_id,
            new.kind,
            new.profile.clone(),
            identifiers,
            now,
        )?;
        org.org.settings.required_fields.check(&user)?;
        let actor = if caller == Caller::System {
            Actor::System
        } else {
            Actor::Staff
        };
        let t = Account::create(
            new.kind,
            Creation::Provisioned { way_in: new.way_in },
            actor,
            &org.lifecycle,
            now,
        )?;
        let mut cs = Changeset::new();
        let mut password = None;
        let mut must_change_password = false;
        let mut pin = None;
        match (new.way_in, &new.password) {
            (WayIn::Password, Some(p)) => {
                self.check_password(p, &user, &org.org.name)?;
                password = Some(self.hash(p).await?);
                // Someone else chose it: the user replaces it at first sign-in.
                must_change_password = true;
            }
            (WayIn::OneTimePassword, Some(p)) => {
                let params = self.config.hash_params;
                let otp = self.with_rng(|rng| {
                    tenantry_credentials::OneTimePassword::issue(
                        user_id,
                        p,
                        now,
                        tenantry_credentials::OneTimePassword::DEFAULT_TTL,
                        &params,
                        rng,
                    )
                })?;
                cs.insert(Record::Otp(otp));
            }
            (WayIn::Password | WayIn::OneTimePassword, None) => {
                return Err(CredentialError::InvalidSetting("this way in needs a password").into());
            }
            (WayIn::Pin, _) => {
                let key = self
                    .config
                    .pin_keys
                    .first()
                    .ok_or(CredentialError::InvalidKey)?;
                let (record, issued) = self.with_rng(|rng| {
                    PinRecord::issue(user_id, tenantry_credentials::DEFAULT_PIN_DIGITS, key, rng)
                })?;
                cs.insert(Record::Pin(record));
                pin = Some(issued);
            }
            _ => {}
        }
        self.carry_out(&mut cs, &user, org, &t.effects, None)
            .await?;
        // Seed 002: the first user added to a company is its contact person and its admin.
        // Writing the organization at the version read first makes two concurrent "first"
        // users conflict, and the retry sees the other.
        let first_user = org.org.settings.first_user_becomes_admin
            && new.kind == UserKind::Standard
            && !batch.org_has_users
            && self
                .store
                .users(&crate::store::UserQuery {
                    org: Some(org_id),
                    limit: 1,
                    ..Default::default()
                })
                .await?
                .items
                .is_empty();
        batch.org_has_users = true;
        if first_user {
            let mut updated = org.clone();
            updated.org.set_contact_person(&user)?;
            cs.update(Record::Org(updated), org_version);
            let admin = self.catalog.key(self.catalog.admin()).clone();
            if org.entitlements.contains(&admin) {
                let grant = Grantables {
                    permissions: [admin].into(),
                    ..Grantables::new()
                };
                cs.insert(Record::Grant(
                    GrantRef {
                        user: user_id,
                        org: org_id,
                        scope: Scope::Organization,
                    },
                    grant,
                ));
            }
        }
        let placeholder = user.identifiers().placeholder_email.clone();
        cs.insert(Record::User(UserRecord {
            user,
            account: t.account,
            password,
            last_sign_in: None,
            notifications: Default::default(),
            must_change_password,
        }))
        .audit(self.audit(caller, Some(org_id), Some(user_id), "user.created"));
        Ok((
            cs,
            CreatedUser {
                id: user_id,
                pin,
                placeholder_email: placeholder,
            },
        ))
    }

    /// Accepts an invitation (or the set-password link of a welcome email): the link's token
    /// must be valid, unused and current; the password must meet the policy. The account
    /// becomes active. Returns the user.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "accept_invitation"),
        err(Display)
    )]
    pub async fn accept_invitation(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_accept_invitation(raw, password))
    }

    async fn try_accept_invitation(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) =
            self.redeem_link(raw, TokenPurpose::Invitation, now).await?;
        let (mut record, user_version) = self.user(user_id).await?;
        let (org, _) = self.org(record.user.org()).await?;
        let mut cs = Changeset::new();
        let invitation = self.store.get(&RecordKey::Invitation(user_id)).await?;
        if let Some((Record::Invitation(mut inv), version)) =
            invitation.map(|v| (v.value, v.version))
        {
            inv.accept(token.context.unwrap_or(0), now)
                .map_err(|_| DirectoryError::InvalidLink)?;
            cs.update(Record::Invitation(inv), version);
        }
        let event = if record.account.state() == tenantry_lifecycle::AccountState::Active {
            None // a welcome link: the account is active already, the user sets a password
        } else {
            Some(Event::Activate {
                method: ActivationMethod::InvitationLink,
            })
        };
        if let Some(event) = event {
            record.account = record
                .account
                .apply(event, Actor::User, &org.lifecycle, now)?
                .account;
        }
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        self.password_changed(&mut cs, &record.user, &org);
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), user_version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "invitation.accepted",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }

    /// Signs a user in by email or username and password, with throttling per identifier and
    /// a rehash when the stored parameters fall below policy. Unknown identifiers, wrong
    /// passwords and accounts that may not sign in all get [`DirectoryError::InvalidCredentials`]
    /// after the same work (a dummy hash is verified when there is no real one).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "sign_in"),
        err(Display)
    )]
    pub async fn sign_in(
        &self,
        identifier: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (user, attempts_key, hash) = self.password_of(identifier, password, now).await?;
        if user.value.must_change_password {
            // The right password, but someone else chose it: no sign-in until it is replaced.
            self.clear_attempts(&attempts_key).await;
            return Err(DirectoryError::PasswordChangeRequired);
        }
        let mut record = user.value;
        if hash.needs_rehash(&self.config.hash_params) {
            record.password = Some(self.hash(password).await?);
        }
        record.last_sign_in = Some(now);
        let user_id = record.user.id();
        let org = record.user.org();
        self.clear_attempts(&attempts_key).await;
        let mut cs = Changeset::new();
        cs.update(Record::User(record), user.version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org),
                Some(user_id),
                "user.signed_in",
            ));
        // A concurrent change to the user only costs the last-sign-in stamp; the sign-in stands.
        match self.store.commit(cs).await {
            Err(e) if !conflict(&e) => Err(e.into()),
            _ => Ok(user_id),
        }
    }
    /// The account `identifier` signs in with, if `password` is its password, with the key of
    /// its attempt record and the stored hash. The attempt is counted before the password
    /// is checked (concurrent guesses each take a place in the count, so they cannot slip
    /// past the throttle together); unknown identifiers, accounts that may not sign in and
    /// wrong passwords all get [`DirectoryError::InvalidCredentials`] after one hash.
    async fn password_of(
        &self,
        identifier: &str,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<(Versioned<UserRecord>, String, PasswordHash), DirectoryError> {
        let parsed = LoginIdentifier::parse(identifier).ok();
        let attempts_key = sign_in_attempts_key(parsed.as_ref(), identifier);
        self.count_attempt(&attempts_key, now).await?;
        let found = match &parsed {
            Some(id) => self.store.user_by_login(&id.key()).await?,
            None => None,
        };
        let usable = found
            .filter(|u| u.value.account.capabilities().may_sign_in && u.value.password.is_some());
        let hash = usable
            .as_ref()
            .and_then(|u| u.value.password.clone())
            .unwrap_or_else(|| self.dummy.clone());
        let ok = self.verify(password, &hash).await? && usable.is_some();
        match usable.filter(|_| ok) {
            Some(user) => Ok((user, attempts_key, hash)),
            None => Err(DirectoryError::InvalidCredentials),
        }
    }

    /// Changes the password of the account `identifier` signs in with, proven by its
    /// `current` password: for a signed-in user changing theirs, and for the first sign-in
    /// with a password an admin set ([`DirectoryError::PasswordChangeRequired`]). Throttled
    /// and answered like [`Self::sign_in`]: unknown identifiers and wrong passwords get
    /// [`DirectoryError::InvalidCredentials`] after the same work. The new password must
    /// meet the policy and differ from the current one; older reset links stop working; a
    /// notice goes to the user's mailbox.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_password"),
        err(Display)
    )]
    pub async fn change_password(
        &self,
        identifier: &str,
        current: &Password,
        new: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (found, attempts_key, _) = self.password_of(identifier, current, now).await?;
        self.clear_attempts(&attempts_key).await;
        let mut record = found.value;
        let (org, _) = self.org(record.user.org()).await?;
        if current == new {
            return Err(DirectoryError::Invalid {
                field: "new password",
                reason: "must differ from the current one",
            });
        }
        self.check_password(new, &record.user, &org.org.name)?;
        record.password = Some(self.hash(new).await?);
        record.must_change_password = false;
        let user_id = record.user.id();
        let mut cs = Changeset::new();
        self.supersede_tokens(&mut cs, user_id, TokenPurpose::PasswordReset)
            .await?;
        self.password_changed(&mut cs, &record.user, &org);
        cs.update(Record::User(record), found.version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "password.changed",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }

    /// Adds to `cs` what the lifecycle's `effects` ask for: link messages with their tokens
    /// and invitation, revoked invitations and tokens, cancelled mail, a kind change.
    /// `invitation` is the user's current invitation record and version, if any.
    async fn carry_out(
        &self,
        cs: &mut Changeset,
        user: &User,
        org: &OrgRecord,
        effects: &[Effect],
        invitation: Option<(Invitation, u64)>,
    ) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        let user_id = user.id();
        // The invitation as the effects leave it, and its stored version (None: new); written once.
        let mut invitation: Option<(Invitation, Option<u64>)> =
            invitation.map(|(inv, v)| (inv, Some(v)));
        let mut invitation_changed = false;
        let revoke_tokens = |purposes: &[TokenPurpose]| {
            let purposes = purposes.to_vec();
            async move {
                let mut out = Vec::new();
                for t in self.store.list(&ListOf::TokensOf(user_id)).await? {
                    if let Record::Token(token) = &t.value
                        && purposes.contains(&token.purpose)
                    {
                        out.push((t.value.key(), t.version));
                    }
                }
                Ok::<_, DirectoryError>(out)
            }
        };
        let mut deleted = std::collections::HashSet::new();
        for effect in effects {
            match effect {
                Effect::SendInvitation | Effect::SendActivation | Effect::SendWelcome => {
                    let (kind, purpose) = match effect {
                        Effect::SendInvitation => {
                            (MessageKind::Invitation, TokenPurpose::Invitation)
                        }
                        Effect::SendActivation => {
                            (MessageKind::ActivationLink, TokenPurpose::Activation)
                        }
                        _ => (MessageKind::Welcome, TokenPurpose::Invitation),
                    };
                    if !reachable(user, org) {
                        continue;
                    }
                    let ttl = org.lifecycle.invitation_ttl();
                    let generation = match &mut invitation {
                        Some((inv, _)) => inv.resend(now, ttl)?,
                        None => {
                            let inv = Invitation::issue(user_id, now, ttl)?;
                            let g = inv.generation();
                            invitation = Some((inv, None));
                            g
                        }
                    };
                    invitation_changed = true;
                    self.queue_link(cs, user, org, kind, purpose, ttl, Some(generation))?;
                }
                Effect::RevokeInvitation => {
                    if let Some((inv, _)) = &mut invitation {
                        invitation_changed |= inv.revoke(now).is_ok();
                    }
                    for (key, version) in
                        revoke_tokens(&[TokenPurpose::Invitation, TokenPurpose::Activation]).await?
                    {
                        if deleted.insert(format!("{key:?}")) {
                            cs.delete(key, version);
                        }
                    }
                }
                Effect::RevokeTokens => {
                    for (key, version) in revoke_tokens(&TokenPurpose::ALL).await? {
                        if deleted.insert(format!("{key:?}")) {
                            cs.delete(key, version);
                        }
                    }
                }
                Effect::CancelPendingMail => {
                    for m in self.store.list(&ListOf::OutboxOf(user_id)).await? {
                        if let Record::Outbox(mut message) = m.value
                            && matches!(message.status, OutboxStatus::Pending { .. })
                        {
                            message.status = OutboxStatus::Cancelled { at: now };
                            message.text.clear();
                            message.html = None;
                            cs.update(Record::Outbox(message), m.version);
                        }
                    }
                }
                // Sessions live in the host: `AccountChange::end_sessions` tells it.
                // Staff notices and kind changes are handled by the use cases that cause them.
                _ => {}
            }
        }
        if let (true, Some((inv, version))) = (invitation_changed, invitation) {
            cs.put(Record::Invitation(inv), version);
        }
        Ok(())
    }

    /// Moves `user`'s account by `event` (invite, resend or revoke an invitation, approve,
    /// reject, deactivate, reactivate, block, unblock, delete, resend the welcome email), as
    /// staff when `caller` is a user (who must administer the user's organization) or as the
    /// system. An admin the change would take out is refused if they are their
    /// organization's last one. Returns the new state and whether the host must end the
    /// user's sessions.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_account"),
        err(Display)
    )]
    pub async fn change_account(
        &self,
        caller: Caller,
        user: UserId,
        event: Event,
    ) -> Result<AccountChange, DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        retrying!(self, self.try_change_account(caller, user, event))
    }

    async fn try_change_account(
        &self,
        caller: Caller,
        user_id: UserId,
        event: Event,
    ) -> Result<AccountChange, DirectoryError> {
        let now = self.clock.now();
        let (mut record, version) = self.user(user_id).await?;
        let org_id = record.user.org();
        let (org, org_version) = self.org(org_id).await?;
        let actor = if caller == Caller::System {
            Actor::System
        } else {
            Actor::Staff
        };
        let t = record.account.apply(event, actor, &org.lifecycle, now)?;
        // Messages that only email carries need a mailbox (a username + phone user gets an
        // activation code instead).
        let needs_mail = matches!(
            event,
            Event::Invite | Event::ResendInvitation | Event::ResendWelcome
        );
        if needs_mail && record.user.mailbox().is_none() {
            return Err(DirectoryError::NotFound("mailbox"));
        }
        let mut cs = Changeset::new();
        // Leaving use (deactivate, block, delete, reject) must not strand an organization.
        if counts_as_admin(&record.account) && !counts_as_admin(&t.account) {
            let mut users = self.admin_candidates(org_id).await?;
            users.push(user_id);
            users.sort();
            users.dedup();
            let resolver = self.resolver_for(&users).await?;
            let admin_orgs = resolver.guard_remove_user(user_id)?;
            if !admin_orgs.is_empty() {
                cs.update(Record::Org(org.clone()), org_version);
            }
        }
        let invitation = match self
            .store
            .get(&RecordKey::Invitation(user_id))
            .await?
            .map(|v| (v.value, v.version))
        {
            Some((Record::Invitation(inv), v)) => Some((inv, v)),
            _ => None,
        };
        self.carry_out(&mut cs, &record.user, &org, &t.effects, invitation)
            .await?;
        let end_sessions = t.effects.contains(&Effect::RevokeSessions);
        record.account = t.account;
        let state = record.account.state();
        if state == tenantry_lifecycle::AccountState::Deleted {
            // Deleting releases the user's identifiers and grants; the audit log keeps the id.
            for g in self.store.list(&ListOf::GrantsOfUser(user_id)).await? {
                cs.delete(g.value.key(), g.version);
            }
            cs.delete(RecordKey::User(user_id), version);
        } else {
            cs.update(Record::User(record), version);
        }
        cs.audit(self.audit(
            caller,
            Some(org_id),
            Some(user_id),
            &format!("account.{}", event_name(event)),
        ));
        self.store.commit(cs).await?;
        Ok(AccountChange {
            state,
            end_sessions,
        })
    }

    /// Everyone who could administer `org`: the holders of a grant anchored at it or at one
    /// of its ancestors (no other grant reaches it). Sorted, without repeats.
    async fn admin_candidates(&self, org: OrgId) -> Result<Vec<UserId>, DirectoryError> {
        let parents: std::collections::HashMap<OrgId, Option<OrgId>> = self
            .store
            .orgs()
            .await?
            .into_iter()
            .map(|o| (o.value.org.id, o.value.org.parent))
            .collect();
        let mut users = Vec::new();
        let mut at = Some(org);
        let mut seen = std::collections::HashSet::new();
        while let Some(o) = at {
            if !seen.insert(o) {
                break; // a cycle cannot be stored, but never loop on one
            }
            for g in self.store.list(&ListOf::GrantsAt(o)).await? {
                if let Record::Grant(r, _) = g.value {
                    users.push(r.user);
                }
            }
            at = parents.get(&o).copied().flatten();
        }
        users.sort();
        users.dedup();
        Ok(users)
    }

    /// Changes one grant through the access guard: no escalation, within entitlements,
    /// requirements kept (or cascaded), nobody demotes themselves, no organization loses its
    /// last admin. Changes that touch admins bump the organizations' versions in the same
    /// changeset, so concurrent demotions cannot together leave one without an admin.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_grant"),
        err(Display)
    )]
    pub async fn change_grant(
        &self,
        caller: Caller,
        grant: GrantRef,
        change: tenantry_access::Change,
    ) -> Result<tenantry_access::Plan, DirectoryError> {
        self.acting(caller).await?;
        retrying!(self, self.try_change_grant(caller, grant, &change))
    }

    async fn try_change_grant(
        &self,
        caller: Caller,
        grant: GrantRef,
        change: &tenantry_access::Change,
    ) -> Result<tenantry_access::Plan, DirectoryError> {
        // First with the actor and the target alone: every rule but "keep an admin" needs
        // nothing else, and with fewer admins known that rule only refuses more. Only when
        // it refuses are the organization's other possible admins loaded and asked again.
        // (Loading every member each time made a 100,000-row import quadratic.)
        let mut users = vec![grant.user];
        if let Some(actor) = caller.user() {
            users.push(actor);
        }
        let guard = |resolver: &Resolver| match caller.user() {
            Some(actor) => resolver.guard_change(actor, grant, change),
            None => resolver.guard_system_change(grant, change),
        };
        let (mut resolver, mut orgs) = self.resolver_with_orgs(&users).await?;
        let mut plan = guard(&resolver);
        if let Err(tenantry_access::Refusal::LastAdmin { org }) = plan {
            users.extend(self.admin_candidates(org).await?);
            users.sort();
            users.dedup();
            (resolver, orgs) = self.resolver_with_orgs(&users).await?;
            plan = guard(&resolver);
        }
        let plan = plan?;
        let existing = self
            .store
            .get(&RecordKey::Grant(grant))
            .await?
            .map(|v| v.version);
        let mut cs = Changeset::new();
        match (plan.after.is_empty(), existing) {
            (true, Some(v)) => {
                cs.delete(RecordKey::Grant(grant), v);
            }
            (true, None) => {}
            (false, v) => {
                cs.put(Record::Grant(grant, plan.after.clone()), v);
            }
        }
        bump_admin_orgs(&mut cs, &plan, &orgs)?;
        cs.audit(self.audit(caller, Some(grant.org), Some(grant.user), "grant.changed"));
        self.store.commit(cs).await?;
        Ok(plan)
    }
    /// "Forgot password" (seed 002): mails a reset link valid one hour if `identifier`
    /// belongs to an account that may sign in and has a mailbox; an older reset link stops
    /// working. Answers `Ok(())` either way, so the form does not reveal which accounts exist.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "request_password_reset"),
        err(Display)
    )]
    pub async fn request_password_reset(&self, identifier: &str) -> Result<(), DirectoryError> {
        let Ok(id) = LoginIdentifier::parse(identifier) else {
            return Ok(());
        };
        let Some(found) = self.store.user_by_login(&id.key()).await? else {
            return Ok(());
        };
        if !found.value.account.capabilities().may_sign_in {
            return Ok(());
        }
        // A conflict means the account changed meanwhile; the person can simply ask again.
        match self
            .queue_reset(Caller::User(found.value.user.id()), &found.value.user)
            .await
        {
            Err(DirectoryError::Store(e)) if conflict(&e) => Ok(()),
            other => other,
        }
    }

    /// An admin triggers a password reset for `user` (seed 002's Reset Password button).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "reset_password_by_admin"),
        err(Display)
    )]
    pub async fn reset_password_by_admin(
        &self,
        caller: Caller,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        self.require_take_over(caller, &record).await?;
        if record.user.mailbox().is_none() {
            return Err(DirectoryError::NotFound("mailbox"));
        }
        retrying!(self, self.queue_reset(caller, &record.user))
    }

    async fn queue_reset(&self, caller: Caller, user: &User) -> Result<(), DirectoryError> {
        let (org, _) = self.org(user.org()).await?;
        if !reachable(user, &org) {
            return Ok(());
        }
        let purpose = TokenPurpose::PasswordReset;
        let mut cs = Changeset::new();
        self.supersede_tokens(&mut cs, user.id(), purpose).await?;
        self.queue_link(
            &mut cs,
            user,
            &org,
            MessageKind::PasswordReset,
            purpose,
            purpose.default_ttl(),
            None,
        )?;
        cs.audit(self.audit(
            caller,
            Some(user.org()),
            Some(user.id()),
            "password.reset_requested",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Sets a new password through a reset link: the link works once and within its hour;
    /// the password must meet the policy. A "password changed" notice is mailed (security
    /// notices are never suppressed).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "reset_password"),
        err(Display)
    )]
    pub async fn reset_password(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_reset_password(raw, password))
    }

    async fn try_reset_password(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) = self
            .redeem_link(raw, TokenPurpose::PasswordReset, now)
            .await?;
        let (mut record, version) = self.user(user_id).await?;
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidLink);
        }
        let (org, _) = self.org(record.user.org()).await?;
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        let mut cs = Changeset::new();
        cs.update(Record::Token(token), token_version);
        self.password_changed(&mut cs, &record.user, &org);
        let keys = record.user.identifiers().keys();
        cs.update(Record::User(record), version).audit(self.audit(
            Caller::User(user_id),
            Some(org.org.id),
            Some(user_id),
            "password.reset",
        ));
        self.store.commit(cs).await?;
        // The reset proved the mailbox: failed sign-ins under the user's identifiers start
        // over, lifting a suspension (best effort, as after a successful sign-in).
        for key in keys {
            self.clear_attempts(&tenantry_credentials::attempt_key("sign-in", key.as_str()))
                .await;
        }
        Ok(user_id)
    }

    fn password_changed(&self, cs: &mut Changeset, user: &User, org: &OrgRecord) {
        let Some(to) = user.mailbox().cloned() else {
            return;
        };
        let ctx = MessageContext::new(
            MessageKind::PasswordChanged,
            Locale::from_language(user.profile().language.as_ref()),
            &user.display_name(),
            org.org.name.as_str(),
        );
        let rendered = self.renderer.render(&ctx);
        let key = format!(
            "{}:{}:{}",
            MessageKind::PasswordChanged.as_str(),
            user.id(),
            self.uuid()
        );
        cs.insert(Record::Outbox(self.outbox(
            &to,
            user.id(),
            key,
            rendered,
            MessageKind::PasswordChanged,
        )));
    }

    /// Seed 000's "Change password (for PIN users)": the placeholder email and the PIN set a
    /// new password (and activate the account the first time). The PIN stays valid. Wrong
    /// PINs are counted per user; the tenth locks the PIN until an admin resets it. Unknown
    /// addresses, wrong PINs and locked PINs all get [`DirectoryError::InvalidCredentials`],
    /// after the same store work (an unknown address is counted and locks alike).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_password_with_pin"),
        err(Display)
    )]
    pub async fn set_password_with_pin(
        &self,
        placeholder: &str,
        pin: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(
            self,
            self.try_set_password_with_pin(placeholder, pin, password)
        )
    }

    async fn try_set_password_with_pin(
        &self,
        placeholder: &str,
        pin: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (Ok(email), Ok(pin)) = (Email::parse(placeholder), Pin::parse(pin)) else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let found = self
            .store
            .user_by_login(&tenantry_identity::LoginKey::Email(email.key()))
            .await?
            .filter(|u| u.value.user.kind() == UserKind::Pin);
        // A known and an unknown placeholder cost the same: three reads (the user, the
        // failure count, the PIN) and one commit on failure, which counts it and audits
        // `pin.failed`. The count is the user's (a renamed user keeps it, a reset clears it);
        // an unknown address gets its own, so it locks alike.
        let owner = found.as_ref().map(|u| u.value.user.id());
        let attempts_key = owner.map_or_else(
            || tenantry_credentials::attempt_key("pin", email.key().as_str()),
            pin_attempts_key,
        );
        let (mut attempts, attempts_version) = self.attempts(&attempts_key).await?;
        let owner_org = found.as_ref().map(|u| u.value.user.org());
        let pin_owner = owner.unwrap_or(UserId::from_uuid(Uuid::nil()));
        let stored = self.store.get(&RecordKey::Pin(pin_owner)).await?;
        let locked = attempts.failures >= tenantry_credentials::MAX_PIN_FAILURES;
        let verified = match (&found, stored.map(|v| v.value)) {
            (Some(_), Some(Record::Pin(record))) if !locked => {
                match record.matches(&pin, &self.config.pin_keys) {
                    Ok(matched) => matched,
                    Err(CredentialError::PinLocked) => false,
                    Err(e) => return Err(e.into()),
                }
            }
            _ => false,
        };
        let Some(found) = found.filter(|_| verified) else {
            let mut cs = Changeset::new();
            if !locked {
                attempts.failures = attempts.failures.saturating_add(1);
                attempts.last_failure = Some(now);
                cs.put(Record::Attempts(attempts_key, attempts), attempts_version);
            }
            cs.audit(self.audit(Caller::System, owner_org, owner, "pin.failed"));
            self.store.commit(cs).await?;
            return Err(DirectoryError::InvalidCredentials);
        };
        let user_id = found.value.user.id();
        let mut record = found.value;
        let (org, _) = self.org(record.user.org()).await?;
        if !record.account.activated() {
            record.account = record
                .account
                .apply(
                    Event::Activate {
                        method: ActivationMethod::Pin,
                    },
                    Actor::User,
                    &org.lifecycle,
                    now,
                )?
                .account;
        } else if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidCredentials);
        }
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        let mut cs = Changeset::new();
        // A PIN user has no mailbox: the notice goes out only where there is one.
        self.password_changed(&mut cs, &record.user, &org);
        if let Some(version) = attempts_version.filter(|_| attempts != Attempts::default()) {
            cs.update(Record::Attempts(attempts_key, Attempts::default()), version);
        }
        cs.update(Record::User(record), found.version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "password.set_with_pin",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }

    /// An admin resets a PIN user's PIN (seed 000's "Reset PIN"): a new PIN, which the next
    /// PIN export shows; the old one stops working and a lock is lifted.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "reset_pin"),
        err(Display)
    )]
    pub async fn reset_pin(&self, caller: Caller, user: UserId) -> Result<Pin, DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        if record.user.kind() != UserKind::Pin {
            return Err(DirectoryError::NotFound("PIN user"));
        }
        retrying!(self, self.try_reset_pin(caller, &record.user))
    }

    async fn try_reset_pin(&self, caller: Caller, user: &User) -> Result<Pin, DirectoryError> {
        let key = self
            .config
            .pin_keys
            .first()
            .ok_or(CredentialError::InvalidKey)?;
        let version = self
            .store
            .get(&RecordKey::Pin(user.id()))
            .await?
            .map(|v| v.version);
        let (record, pin) = self.with_rng(|rng| {
            PinRecord::issue(
                user.id(),
                tenantry_credentials::DEFAULT_PIN_DIGITS,
                key,
                rng,
            )
        })?;
        let attempts_key = pin_attempts_key(user.id());
        let (_, attempts_version) = self.attempts(&attempts_key).await?;
        let mut cs = Changeset::new();
        if let Some(version) = attempts_version {
            cs.update(Record::Attempts(attempts_key, Attempts::default()), version);
        }
        cs.put(Record::Pin(record), version).audit(self.audit(
            caller,
            Some(user.org()),
            Some(user.id()),
            "pin.reset",
        ));
        self.store.commit(cs).await?;
        Ok(pin)
    }
    /// Creates a child organization under `parent` (an agency's client, a partner's customer,
    /// a network's section). The caller must administer the parent. The child is entitled to
    /// what the parent is, until [`Self::set_entitlements`] narrows it.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_organization"),
        err(Display)
    )]
    pub async fn create_organization(
        &self,
        caller: Caller,
        parent: OrgId,
        name: Name,
    ) -> Result<OrgId, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, parent).await?;
        let (parent_record, _) = self.org(parent).await?;
        let now = self.clock.now();
        let id = OrgId::from_uuid(self.uuid());
        let mut tree = tenantry_identity::OrgTree::from_edges(
            self.store
                .orgs()
                .await?
                .into_iter()
                .map(|o| (o.value.org.id, o.value.org.parent)),
        )?;
        tree.insert(id, Some(parent))?;
        let record = OrgRecord {
            org: Organization::new(id, Some(parent), name, now),
            lifecycle: Default::default(),
            entitlements: parent_record.entitlements.clone(),
            guest_areas: Default::default(),
        };
        let mut cs = Changeset::new();
        cs.insert(Record::Org(record))
            .audit(self.audit(caller, Some(id), None, "org.created"));
        self.store.commit(cs).await?;
        Ok(id)
    }

    /// Sets what `org` may hand out (seed 002's company-level permissions). Only the system
    /// or an admin of its parent may, and never beyond the parent's own entitlements. Grants
    /// outside the new entitlements stop being effective at once.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_entitlements"),
        err(Display)
    )]
    pub async fn set_entitlements(
        &self,
        caller: Caller,
        org: OrgId,
        entitlements: std::collections::BTreeSet<tenantry_access::PermissionKey>,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        for key in &entitlements {
            self.catalog.permission(key.as_str())?;
        }
        retrying!(self, self.try_set_entitlements(caller, org, &entitlements))
    }

    async fn try_set_entitlements(
        &self,
        caller: Caller,
        org: OrgId,
        entitlements: &std::collections::BTreeSet<tenantry_access::PermissionKey>,
    ) -> Result<(), DirectoryError> {
        let (mut record, version) = self.org(org).await?;
        match (caller.user(), record.org.parent) {
            (None, _) => {}
            (Some(_), None) => {
                return Err(DirectoryError::Denied(
                    "only the system sets a root organization's entitlements".into(),
                ));
            }
            (Some(_), Some(parent)) => {
                self.require_admin(caller, parent).await?;
                let (parent_record, _) = self.org(parent).await?;
                if let Some(extra) = entitlements
                    .iter()
                    .find(|k| !parent_record.entitlements.contains(*k))
                {
                    return Err(Refusal::NotEntitled {
                        permission: extra.clone(),
                        org: parent,
                    }
                    .into());
                }
            }
        }
        self.keep_admin_through_entitlements(org, entitlements)
            .await?;
        record.entitlements = entitlements.clone();
        let mut cs = Changeset::new();
        cs.update(Record::Org(record), version).audit(self.audit(
            caller,
            Some(org),
            None,
            "org.entitlements_changed",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Refuses new `entitlements` for `org` that would take the admin permission from every
    /// admin it has (the last-admin rule, as for grants and account changes). The
    /// organization record is written at the version read, so a concurrent change to its
    /// admins conflicts.
    async fn keep_admin_through_entitlements(
        &self,
        org: OrgId,
        entitlements: &std::collections::BTreeSet<tenantry_access::PermissionKey>,
    ) -> Result<(), DirectoryError> {
        let admin = self.catalog.key(self.catalog.admin());
        if entitlements.contains(admin) {
            return Ok(());
        }
        let candidates = self.admin_candidates(org).await?;
        let (mut model, _) = self.access_model(&candidates).await?;
        if Resolver::compile(&self.catalog, &model)?
            .admins_of(org)
            .is_empty()
        {
            return Ok(());
        }
        model.entitle(org, entitlements.iter().cloned());
        if Resolver::compile(&self.catalog, &model)?
            .admins_of(org)
            .is_empty()
        {
            return Err(Refusal::LastAdmin { org }.into());
        }
        Ok(())
    }

    /// Replaces an organization's settings and lifecycle policy (guest access, consumers, PIN
    /// users and their domain, channels, required fields, sign-up). The caller must
    /// administer the organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "configure_organization"),
        err(Display)
    )]
    pub async fn configure_organization(
        &self,
        caller: Caller,
        org: OrgId,
        settings: tenantry_identity::OrgSettings,
        lifecycle: tenantry_lifecycle::LifecyclePolicy,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_configure(caller, org, &settings, &lifecycle))
    }

    async fn try_configure(
        &self,
        caller: Caller,
        org: OrgId,
        settings: &tenantry_identity::OrgSettings,
        lifecycle: &tenantry_lifecycle::LifecyclePolicy,
    ) -> Result<(), DirectoryError> {
        if settings.pin_users.is_some() && self.config.pin_keys.is_empty() {
            return Err(CredentialError::InvalidKey.into());
        }
        let (mut record, version) = self.org(org).await?;
        record.org.settings = settings.clone();
        record.lifecycle = lifecycle.clone();
        let mut cs = Changeset::new();
        cs.update(Record::Org(record), version).audit(self.audit(
            caller,
            Some(org),
            None,
            "org.configured",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Makes `user` the organization's contact person (seed 002): a standard member; no
    /// privileges come with it.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_contact_person"),
        err(Display)
    )]
    pub async fn set_contact_person(
        &self,
        caller: Caller,
        org: OrgId,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        retrying!(self, self.try_set_contact(caller, org, user))
    }

    async fn try_set_contact(
        &self,
        caller: Caller,
        org: OrgId,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        let (mut record, version) = self.org(org).await?;
        let (person, _) = self.user(user).await?;
        record.org.set_contact_person(&person.user)?;
        let mut cs = Changeset::new();
        cs.update(Record::Org(record), version).audit(self.audit(
            caller,
            Some(org),
            Some(user),
            "org.contact_person_changed",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Creates a group in `org` (a tixxt group, an occupant group). The caller must
    /// administer the organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_group"),
        err(Display)
    )]
    pub async fn create_group(
        &self,
        caller: Caller,
        group: tenantry_identity::Group,
    ) -> Result<tenantry_identity::GroupId, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, group.org).await?;
        self.org(group.org).await?;
        let id = group.id;
        let mut cs = Changeset::new();
        cs.insert(Record::Group(group.clone())).audit(self.audit(
            caller,
            Some(group.org),
            None,
            "group.created",
        ));
        self.store.commit(cs).await?;
        Ok(id)
    }

    /// Changes a group's name, guest visibility, archived flag, locations or request sharing
    /// (seed 004's archive). `change` receives the stored group and edits it.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "update_group"),
        err(Display)
    )]
    pub async fn update_group(
        &self,
        caller: Caller,
        group: tenantry_identity::GroupId,
        change: impl Fn(&mut tenantry_identity::Group) + Send + Sync,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        retrying!(self, self.try_update_group(caller, group, &change))
    }

    async fn try_update_group(
        &self,
        caller: Caller,
        id: tenantry_identity::GroupId,
        change: &(impl Fn(&mut tenantry_identity::Group) + Send + Sync),
    ) -> Result<(), DirectoryError> {
        let (group, version) = self.group(id).await?;
        self.require_admin(caller, group.org).await?;
        let mut changed = group.clone();
        change(&mut changed);
        changed.id = group.id;
        changed.org = group.org;
        let mut cs = Changeset::new();
        cs.update(Record::Group(changed), version).audit(self.audit(
            caller,
            Some(group.org),
            None,
            "group.updated",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Deletes a group and its memberships (a SCIM `DELETE /Groups/{id}`); the members'
    /// accounts stay. Use [`Self::update_group`] to archive a group instead, which keeps its
    /// history. The caller must administer the group's organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "delete_group"),
        err(Display)
    )]
    pub async fn delete_group(
        &self,
        caller: Caller,
        group: tenantry_identity::GroupId,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        retrying!(self, self.try_delete_group(caller, group))
    }

    async fn try_delete_group(
        &self,
        caller: Caller,
        id: tenantry_identity::GroupId,
    ) -> Result<(), DirectoryError> {
        let (group, version) = self.group(id).await?;
        self.require_admin(caller, group.org).await?;
        let mut cs = Changeset::new();
        for membership in self.store.list(&ListOf::MembersOf(id)).await? {
            cs.delete(membership.value.key(), membership.version);
        }
        cs.delete(RecordKey::Group(id), version).audit(self.audit(
            caller,
            Some(group.org),
            None,
            "group.deleted",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    pub(crate) async fn group(
        &self,
        id: tenantry_identity::GroupId,
    ) -> Result<(tenantry_identity::Group, u64), DirectoryError> {
        match self
            .store
            .get(&RecordKey::Group(id))
            .await?
            .map(|v| (v.value, v.version))
        {
            Some((Record::Group(g), v)) => Ok((g, v)),
            _ => Err(DirectoryError::NotFound("group")),
        }
    }

    /// Adds and removes many members at once (seed 004: "much easier ... by editing the group
    /// directly"), in one changeset. Members must belong to the group's organization;
    /// archived groups take no new members. Adding a member twice or removing a non-member
    /// changes nothing. Returns how many were added and removed.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "change_members"),
        err(Display)
    )]
    pub async fn change_members(
        &self,
        caller: Caller,
        group: tenantry_identity::GroupId,
        add: &[UserId],
        remove: &[UserId],
    ) -> Result<(usize, usize), DirectoryError> {
        self.acting(caller).await?;
        let (g, _) = self.group(group).await?;
        self.require_admin(caller, g.org).await?;
        retrying!(self, self.try_change_members(caller, group, add, remove))
    }

    async fn try_change_members(
        &self,
        caller: Caller,
        id: tenantry_identity::GroupId,
        add: &[UserId],
        remove: &[UserId],
    ) -> Result<(usize, usize), DirectoryError> {
        let now = self.clock.now();
        let (group, _) = self.group(id).await?;
        let mut cs = Changeset::new();
        let (mut added, mut removed) = (0, 0);
        let mut seen = std::collections::HashSet::new();
        for &user in add {
            if !seen.insert(user)
                || self
                    .store
                    .get(&RecordKey::Membership(id, user))
                    .await?
                    .is_some()
            {
                continue;
            }
            let (member, _) = self.user(user).await?;
            if member.user.org() != group.org {
                return Err(DirectoryError::Denied(format!(
                    "user {user} belongs to another organization"
                )));
            }
            cs.insert(Record::Membership(group.admit(user, now)?));
            added += 1;
        }
        for &user in remove {
            if let Some(v) = self.store.get(&RecordKey::Membership(id, user)).await?
                && seen.insert(user)
            {
                cs.delete(RecordKey::Membership(id, user), v.version);
                removed += 1;
            }
        }
        if added + removed > 0 {
            cs.audit(self.audit(caller, Some(group.org), None, "group.members_changed"));
            self.store.commit(cs).await?;
        }
        Ok((added, removed))
    }
    /// Self sign-up (seed 003's form and department links, seed 004's pending approval,
    /// seed 000's guest self-join). The policy decides the placement (department, job
    /// profile, permission type); the new account waits for activation by email link and,
    /// where required, for approval, of which the organization's admins are told.
    ///
    /// Answers `Ok(())` whenever the form itself is acceptable, also when the identifier
    /// belongs to an account already (which then gets what `Account::sign_up_again` says:
    /// a fresh activation, a self-reactivation, or nothing — a blocked account stays
    /// blocked), so the form does not reveal which accounts exist.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "sign_up"),
        err(Display)
    )]
    pub async fn sign_up(&self, form: SignUpForm) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        let (org, _) = self.org(form.org).await?;
        let link = match &form.link {
            Some(code) => match self.store.department_by_code(code).await?.map(|v| v.value) {
                Some(Record::Department(d)) => Some(tenantry_lifecycle::SignUpLink {
                    code: code.clone(),
                    org: d.org,
                    department: d.id,
                    job_profile: None,
                    permission_type: None,
                    expires_at: None,
                    revoked: false,
                }),
                _ => {
                    return Err(LifecycleError::SignUp(
                        tenantry_lifecycle::SignUpProblem::LinkRevoked,
                    )
                    .into());
                }
            },
            None => None,
        };
        let request = tenantry_lifecycle::SignUpRequest {
            email: form.identifiers.email.clone(),
            chosen_department: form.chosen_department,
            as_guest: form.as_guest,
        };
        let placement = org
            .lifecycle
            .sign_up
            .place(form.org, &request, link.as_ref(), now)?;
        // Everything that does not depend on whether the identifier exists is checked
        // first, and the password is hashed either way: a weak password, a missing field or
        // the time taken tell an existing account from a new one no more than the answer.
        let kind = if form.as_guest {
            UserKind::Guest
        } else {
            UserKind::Standard
        };
        let mut profile = form.profile.clone();
        profile.department = placement.department.or(profile.department);
        profile.job_profile = placement.job_profile.or(profile.job_profile);
        let user_id = UserId::from_uuid(self.uuid());
        let user = User::new(
            user_id,
            form.org,
            kind,
            profile,
            form.identifiers.clone(),
            now,
        )?;
        org.org.settings.required_fields.check(&user)?;
        self.check_password(&form.password, &user, &org.org.name)?;
        let t = Account::create(
            kind,
            Creation::SelfSignUp { verified: false },
            Actor::User,
            &org.lifecycle,
            now,
        )?;
        let permission_type = match &placement.permission_type {
            Some(role) => {
                let role = tenantry_access::RoleKey::new(role)?;
                self.catalog.role(&role)?;
                Some(role)
            }
            None => None,
        };
        let hash = self.hash(&form.password).await?;
        // An identifier that exists: the existing account's path, with the same answer.
        for key in form.identifiers.keys() {
            if let Some(existing) = self.store.user_by_login(&key).await? {
                self.sign_up_again(&org, existing, now).await;
                return Ok(());
            }
        }
        let mut cs = Changeset::new();
        self.carry_out(&mut cs, &user, &org, &t.effects, None)
            .await?;
        if t.effects.contains(&Effect::NotifyStaffOfPendingSignUp) {
            self.notify_admins(&mut cs, &org, &user).await?;
        }
        if let Some(role) = permission_type {
            let grant = Grantables {
                roles: [role].into(),
                ..Grantables::new()
            };
            cs.insert(Record::Grant(
                GrantRef {
                    user: user_id,
                    org: form.org,
                    scope: Scope::Organization,
                },
                grant,
            ));
        }
        cs.insert(Record::User(UserRecord {
            user,
            account: t.account,
            password: Some(hash),
            last_sign_in: None,
            notifications: Default::default(),
            must_change_password: false,
        }))
        .audit(self.audit(
            Caller::User(user_id),
            Some(form.org),
            Some(user_id),
            "account.signed_up",
        ));
        match self.store.commit(cs).await {
            // Someone took the identifier meanwhile: the same answer as for an existing one.
            Err(e) if e.kind() == StoreErrorKind::Duplicate => Ok(()),
            other => other.map(|_| ()).map_err(DirectoryError::from),
        }
    }

    /// The existing account's side of a sign-up with its identifier. The person at the form
    /// is told nothing of it (every outcome, failures included, answers as a new sign-up
    /// does). Only an account of the organization signed up to is touched: an inactive one
    /// where self-reactivation is allowed gets a link to its stored mailbox and stays
    /// inactive until the link is redeemed ([`Directory::activate`]); one not yet
    /// activated gets a fresh activation message; the rest nothing.
    async fn sign_up_again(
        &self,
        org: &OrgRecord,
        existing: Versioned<UserRecord>,
        now: DateTime<Utc>,
    ) {
        let id = existing.value.user.id();
        if let Err(e) = self.try_sign_up_again(org, existing, now).await {
            tracing::debug!(user = %id, error = %e, "sign-up with an existing identifier changed nothing");
        }
    }

    async fn try_sign_up_again(
        &self,
        org: &OrgRecord,
        existing: Versioned<UserRecord>,
        now: DateTime<Utc>,
    ) -> Result<(), DirectoryError> {
        let record = existing.value;
        let id = record.user.id();
        if record.user.org() != org.org.id {
            return Ok(());
        }
        let t = record.account.sign_up_again(&org.lifecycle, now)?;
        let mut cs = Changeset::new();
        if record.account.state() == tenantry_lifecycle::AccountState::Inactive {
            // Reactivation needs proof of the mailbox: nothing changes until the link is
            // redeemed, and an older such link stops working.
            let purpose = TokenPurpose::Activation;
            self.supersede_tokens(&mut cs, id, purpose).await?;
            self.queue_link(
                &mut cs,
                &record.user,
                org,
                MessageKind::ActivationLink,
                purpose,
                purpose.default_ttl(),
                Some(REACTIVATION),
            )?;
            cs.audit(self.audit(
                Caller::System,
                Some(org.org.id),
                Some(id),
                "account.reactivation_requested",
            ));
        } else {
            let invitation = match self
                .store
                .get(&RecordKey::Invitation(id))
                .await?
                .map(|v| (v.value, v.version))
            {
                Some((Record::Invitation(inv), v)) => Some((inv, v)),
                _ => None,
            };
            self.carry_out(&mut cs, &record.user, org, &t.effects, invitation)
                .await?;
            cs.update(
                Record::User(UserRecord {
                    account: t.account,
                    ..record
                }),
                existing.version,
            )
            .audit(self.audit(
                Caller::System,
                Some(org.org.id),
                Some(id),
                "account.signed_up_again",
            ));
        }
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Tells the organization's admins that `user` signed up and awaits approval.
    async fn notify_admins(
        &self,
        cs: &mut Changeset,
        org: &OrgRecord,
        user: &User,
    ) -> Result<(), DirectoryError> {
        let candidates = self.admin_candidates(org.org.id).await?;
        let resolver = self.resolver_for(&candidates).await?;
        for admin in resolver.admins_of(org.org.id) {
            let (record, _) = self.user(admin).await?;
            let Some(to) = record.user.mailbox().cloned() else {
                continue;
            };
            let mut ctx = MessageContext::new(
                MessageKind::SignUpPendingApproval,
                Locale::from_language(record.user.profile().language.as_ref()),
                &record.user.display_name(),
                org.org.name.as_str(),
            );
            ctx.about = Some(user.display_name());
            let rendered = self.renderer.render(&ctx);
            let key = format!(
                "{}:{}:{}",
                MessageKind::SignUpPendingApproval.as_str(),
                user.id(),
                admin
            );
            cs.insert(Record::Outbox(self.outbox(
                &to,
                admin,
                key,
                rendered,
                MessageKind::SignUpPendingApproval,
            )));
        }
        Ok(())
    }

    /// Activates an account through its activation link (seed 003). A user without a
    /// password yet (created by an integration) chooses one now. Where approval is still
    /// required, the account stays pending.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "activate"),
        err(Display)
    )]
    pub async fn activate(
        &self,
        raw: &RawToken,
        password: Option<&Password>,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_activate(raw, password))
    }

    async fn try_activate(
        &self,
        raw: &RawToken,
        password: Option<&Password>,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) =
            self.redeem_link(raw, TokenPurpose::Activation, now).await?;
        let (mut record, version) = self.user(user_id).await?;
        let (org, _) = self.org(record.user.org()).await?;
        // A reactivation link (a sign-up with an inactive account's identifier) brings the
        // account back; any other activation link activates.
        let event = if token.context == Some(REACTIVATION) {
            Event::Reactivate
        } else {
            Event::Activate {
                method: ActivationMethod::EmailLink,
            }
        };
        record.account = record
            .account
            .apply(event, Actor::User, &org.lifecycle, now)?
            .account;
        match (password, &record.password) {
            (Some(p), _) => {
                self.check_password(p, &record.user, &org.org.name)?;
                record.password = Some(self.hash(p).await?);
                record.must_change_password = false;
            }
            (None, None) => return Err(DirectoryError::PasswordRequired),
            (None, Some(_)) => {}
        }
        let mut cs = Changeset::new();
        if password.is_some() {
            self.password_changed(&mut cs, &record.user, &org);
        }
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "account.activated",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }

    /// Sends a digest (seed 000) to `user`: to a consumer with their personal registration
    /// link (a fresh one; the link of older digests stops working). Users whose kind or
    /// state receives no mail get nothing. Returns whether a message was queued.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "send_digest"),
        err(Display)
    )]
    pub async fn send_digest(
        &self,
        caller: Caller,
        user: UserId,
        items: Vec<String>,
    ) -> Result<bool, DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        let mut ctx = MessageContext::new(
            MessageKind::ConsumerDigest,
            Locale::from_language(record.user.profile().language.as_ref()),
            &record.user.display_name(),
            "",
        );
        ctx.digest_items = items;
        retrying!(
            self,
            self.queue_optional(caller, user, crate::notify::Topic::Digest, ctx.clone())
        )
    }

    /// A consumer registers through the personal link in their mail (seed 000) and becomes a
    /// standard user with the password they choose. A deleted consumer's link is dead.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "register_consumer"),
        err(Display)
    )]
    pub async fn register_consumer(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_register_consumer(raw, password))
    }

    async fn try_register_consumer(
        &self,
        raw: &RawToken,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) = self
            .redeem_link(raw, TokenPurpose::ConsumerRegistration, now)
            .await?;
        let Ok((mut record, version)) = self.user(user_id).await else {
            return Err(DirectoryError::InvalidLink);
        };
        let (org, _) = self.org(record.user.org()).await?;
        let t = record
            .account
            .apply(Event::RegisterConsumer, Actor::User, &org.lifecycle, now)?;
        record.user.set_kind(UserKind::Standard, now)?;
        record.account = t.account;
        self.check_password(password, &record.user, &org.org.name)?;
        record.password = Some(self.hash(password).await?);
        record.must_change_password = false;
        let mut cs = Changeset::new();
        // Welcome them, without a set-password link: they just chose one.
        if let Some(to) = record.user.mailbox().cloned() {
            let ctx = MessageContext::new(
                MessageKind::Welcome,
                Locale::from_language(record.user.profile().language.as_ref()),
                &record.user.display_name(),
                org.org.name.as_str(),
            );
            let key = format!("{}:{}:registered", MessageKind::Welcome.as_str(), user_id);
            cs.insert(Record::Outbox(self.outbox(
                &to,
                user_id,
                key,
                self.renderer.render(&ctx),
                MessageKind::Welcome,
            )));
        }
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "consumer.registered",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }
    /// A single sign-on login, reported by the host after the identity provider configured
    /// for `login.org` vouched for `login.identifiers` (a workforce platform's company
    /// login). Only a user of that organization (or of its subtree, where `login.subtree`
    /// says so) is signed in: an existing account not yet in use is activated (SSO proves
    /// who they are), an active one just signs in. With just-in-time provisioning on, an
    /// unknown person gets an account in `login.org` with the organization's sign-up
    /// defaults (permission type, department, job profile), if the profile has the
    /// organization's required fields.
    ///
    /// Every refusal is the same [`DirectoryError::SsoRefused`]: an identity of another
    /// organization, an unknown one without just-in-time provisioning, identifiers of two
    /// different users, an account that may not sign in (blocked, inactive) — so a login
    /// does not reveal where else an identity exists. Only a missing required field is
    /// told apart, for the just-in-time case.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "sso_login"),
        err(Display)
    )]
    pub async fn sso_login(&self, login: SsoLogin) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_sso_login(&login))
    }

    /// Whether `org` is `root` or, with `subtree`, one of its descendants.
    async fn within(&self, org: OrgId, root: OrgId, subtree: bool) -> Result<bool, DirectoryError> {
        if org == root {
            return Ok(true);
        }
        if !subtree {
            return Ok(false);
        }
        let mut at = org;
        // A stored tree has no cycle; the bound only guards against a corrupt store.
        for _ in 0..tenantry_identity::OrgTree::MAX_DEPTH + 1 {
            match self.org(at).await?.0.org.parent {
                Some(p) if p == root => return Ok(true),
                Some(p) => at = p,
                None => return Ok(false),
            }
        }
        Ok(false)
    }

    async fn try_sso_login(&self, login: &SsoLogin) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let org_id = login.org;
        let (org, _) = self.org(org_id).await?;
        let mut found: Option<Versioned<UserRecord>> = None;
        for key in login.identifiers.keys() {
            let Some(existing) = self.store.user_by_login(&key).await? else {
                continue;
            };
            match &found {
                Some(f) if f.value.user.id() != existing.value.user.id() => {
                    return Err(DirectoryError::SsoRefused);
                }
                Some(_) => {}
                None => found = Some(existing),
            }
        }
        if let Some(existing) = found {
            let mut record = existing.value;
            let id = record.user.id();
            if !self
                .within(record.user.org(), org_id, login.subtree)
                .await?
            {
                return Err(DirectoryError::SsoRefused);
            }
            let (own_org, _) = self.org(record.user.org()).await?;
            if !record.account.capabilities().may_sign_in {
                record.account = record
                    .account
                    .apply(Event::SsoLogin, Actor::System, &own_org.lifecycle, now)
                    .map_err(|_| DirectoryError::SsoRefused)?
                    .account;
                if !record.account.capabilities().may_sign_in {
                    return Err(DirectoryError::SsoRefused);
                }
            }
            record.last_sign_in = Some(now);
            let mut cs = Changeset::new();
            cs.update(Record::User(record), existing.version)
                .audit(self.audit(
                    Caller::User(id),
                    Some(own_org.org.id),
                    Some(id),
                    "user.signed_in_sso",
                ));
            self.store.commit(cs).await?;
            return Ok(id);
        }
        let t = Account::create(
            UserKind::Standard,
            Creation::SsoFirstLogin,
            Actor::System,
            &org.lifecycle,
            now,
        )
        .map_err(|_| DirectoryError::SsoRefused)?;
        let placement = &org.lifecycle.sign_up.defaults;
        let mut profile = login.profile.clone();
        profile.department = placement.department.or(profile.department);
        profile.job_profile = placement.job_profile.or(profile.job_profile);
        let id = UserId::from_uuid(self.uuid());
        let user = User::new(
            id,
            org_id,
            UserKind::Standard,
            profile,
            login.identifiers.clone(),
            now,
        )?;
        org.org.settings.required_fields.check(&user)?;
        let mut cs = Changeset::new();
        if let Some(role) = &placement.permission_type {
            let role = tenantry_access::RoleKey::new(role)?;
            self.catalog.role(&role)?;
            cs.insert(Record::Grant(
                GrantRef {
                    user: id,
                    org: org_id,
                    scope: Scope::Organization,
                },
                Grantables {
                    roles: [role].into(),
                    ..Grantables::new()
                },
            ));
        }
        cs.insert(Record::User(UserRecord {
            user,
            account: t.account,
            password: None,
            last_sign_in: Some(now),
            notifications: Default::default(),
            must_change_password: false,
        }))
        .audit(self.audit(
            Caller::System,
            Some(org_id),
            Some(id),
            "user.created_by_sso",
        ));
        match self.store.commit(cs).await {
            Err(e) if e.kind() == StoreErrorKind::Duplicate => Err(StoreError::new(
                StoreErrorKind::Conflict,
                "sso identifier taken meanwhile",
            )
            .into()),
            other => other.map(|_| id).map_err(DirectoryError::from),
        }
    }

    /// "Log in as" (seed 001's preview): an admin of the target's organization views it as
    /// the target does. Refused towards a target who holds anything there the admin does
    /// not, and towards accounts that may not sign in. Recorded in the audit log with the
    /// admin and the reason. The host starts the session it returns the user for.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "impersonate"),
        err(Display)
    )]
    pub async fn impersonate(
        &self,
        caller: UserId,
        target: UserId,
        reason: &str,
    ) -> Result<UserId, DirectoryError> {
        let admin = self.may_act(caller).await?;
        let (record, _) = self.user(target).await?;
        let org = record.user.org();
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::Denied("the account may not sign in".into()));
        }
        self.may_take_over(&admin, &record).await?;
        let reason: String = reason
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(500)
            .collect();
        if reason.is_empty() {
            return Err(DirectoryError::Denied("a reason is required".into()));
        }
        let mut event = self.audit(
            Caller::User(caller),
            Some(org),
            Some(target),
            "user.impersonated",
        );
        event.detail.insert("reason".into(), reason);
        let mut cs = Changeset::new();
        cs.audit(event);
        self.store.commit(cs).await?;
        Ok(target)
    }

    /// Mails `user` a link that signs them in once within 15 minutes (seed 001's invitation
    /// that "automatically logs the client into their dashboard"). The caller must
    /// administer the user's organization; an older such link stops working.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "send_login_link"),
        err(Display)
    )]
    pub async fn send_login_link(
        &self,
        caller: Caller,
        user: UserId,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        self.require_take_over(caller, &record).await?;
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::Denied("the account may not sign in".into()));
        }
        retrying!(self, self.try_send_login_link(caller, &record.user))
    }

    async fn try_send_login_link(&self, caller: Caller, user: &User) -> Result<(), DirectoryError> {
        let (org, _) = self.org(user.org()).await?;
        let purpose = TokenPurpose::AutoLogin;
        let mut cs = Changeset::new();
        self.supersede_tokens(&mut cs, user.id(), purpose).await?;
        self.queue_link(
            &mut cs,
            user,
            &org,
            MessageKind::AutoLogin,
            purpose,
            purpose.default_ttl(),
            None,
        )?;
        cs.audit(self.audit(caller, Some(user.org()), Some(user.id()), "login_link.sent"));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Redeems an automatic-login link: once, within its 15 minutes, for an account that may
    /// sign in. Returns the user the host signs in.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "redeem_login_link"),
        err(Display)
    )]
    pub async fn redeem_login_link(&self, raw: &RawToken) -> Result<UserId, DirectoryError> {
        retrying!(self, self.try_redeem_login_link(raw))
    }

    async fn try_redeem_login_link(&self, raw: &RawToken) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let (token, token_version, user_id) =
            self.redeem_link(raw, TokenPurpose::AutoLogin, now).await?;
        let (mut record, version) = self.user(user_id).await?;
        if !record.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidLink);
        }
        record.last_sign_in = Some(now);
        let org = record.user.org();
        let mut cs = Changeset::new();
        cs.update(Record::Token(token), token_version)
            .update(Record::User(record), version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org),
                Some(user_id),
                "user.signed_in_link",
            ));
        self.store.commit(cs).await?;
        Ok(user_id)
    }
    /// Signs in with a one-time password an admin set or the import template carried
    /// (seed 003) and sets the user's own password at once: the one thing it allows. It works
    /// once and until it expires; failures count against the identifier like failed
    /// sign-ins. Unknown identifiers and wrong or spent passwords share one answer.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "redeem_one_time_password"),
        err(Display)
    )]
    pub async fn redeem_one_time_password(
        &self,
        identifier: &str,
        otp: &Password,
        new_password: &Password,
    ) -> Result<UserId, DirectoryError> {
        let now = self.clock.now();
        let Ok(id) = LoginIdentifier::parse(identifier) else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let attempts_key = sign_in_attempts_key(Some(&id), identifier);
        self.count_attempt(&attempts_key, now).await?;
        let user = self.store.user_by_login(&id.key()).await?;
        let stored = match &user {
            Some(u) => self.store.get(&RecordKey::Otp(u.value.user.id())).await?,
            None => None,
        };
        let redeemed = match (&user, stored) {
            (Some(u), Some(v)) => match v.value {
                Record::Otp(mut record) => record
                    .redeem(otp, now)
                    .ok()
                    .map(|_| (u.clone(), record, v.version)),
                _ => None,
            },
            _ => {
                // The same work as a real check.
                let _ = self.verify(otp, &self.dummy).await;
                None
            }
        };
        let Some((user, record, otp_version)) = redeemed else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let mut account = user.value.clone();
        let (org, _) = self.org(account.user.org()).await?;
        if !account.account.activated() {
            account.account = account
                .account
                .apply(
                    Event::Activate {
                        method: ActivationMethod::OneTimePassword,
                    },
                    Actor::User,
                    &org.lifecycle,
                    now,
                )?
                .account;
        } else if !account.account.capabilities().may_sign_in {
            return Err(DirectoryError::InvalidCredentials);
        }
        self.check_password(new_password, &account.user, &org.org.name)?;
        account.password = Some(self.hash(new_password).await?);
        account.must_change_password = false;
        let user_id = account.user.id();
        let mut cs = Changeset::new();
        self.password_changed(&mut cs, &account.user, &org);
        cs.update(Record::Otp(record), otp_version)
            .update(Record::User(account), user.version)
            .audit(self.audit(
                Caller::User(user_id),
                Some(org.org.id),
                Some(user_id),
                "one_time_password.redeemed",
            ));
        self.store.commit(cs).await?;
        self.clear_attempts(&attempts_key).await;
        Ok(user_id)
    }

    /// Counts one attempt under `key` before the secret is checked, or answers `Throttled`.
    /// Each round that loses a race lost it to another attempt that was counted, so the
    /// count ends exact; after [`COUNTER_ROUNDS`] lost rounds the attempt is refused as
    /// contended (never let through uncounted).
    async fn count_attempt(&self, key: &str, now: DateTime<Utc>) -> Result<(), DirectoryError> {
        for _ in 0..COUNTER_ROUNDS {
            let (mut attempts, version) = self.attempts(key).await?;
            match self.config.throttle.check(&attempts, now) {
                ThrottleDecision::Allow => {}
                ThrottleDecision::Wait { until } | ThrottleDecision::Locked { until } => {
                    return Err(DirectoryError::Throttled { until });
                }
                ThrottleDecision::Suspended => return Err(DirectoryError::Suspended),
            }
            self.config.throttle.record_failure(&mut attempts, now);
            let mut cs = Changeset::new();
            cs.put(Record::Attempts(key.to_owned(), attempts), version);
            match self.store.commit(cs).await {
                Ok(_) => return Ok(()),
                Err(e) if conflict(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DirectoryError::Contended)
    }

    /// Starts the count under `key` over after a success. Best effort: if it keeps losing
    /// races, the success stands and the count stays (erring towards throttling).
    async fn clear_attempts(&self, key: &str) {
        for _ in 0..self.config.max_attempts.max(1) {
            let Ok((mut attempts, Some(version))) = self.attempts(key).await else {
                return;
            };
            self.config.throttle.record_success(&mut attempts);
            let mut cs = Changeset::new();
            cs.update(Record::Attempts(key.to_owned(), attempts), version);
            match self.store.commit(cs).await {
                Err(e) if conflict(&e) => continue,
                Err(e) => {
                    tracing::warn!(kind = %e.kind(), "could not reset the attempt count");
                    return;
                }
                Ok(_) => return,
            }
        }
    }

    async fn attempts(&self, key: &str) -> Result<(Attempts, Option<u64>), DirectoryError> {
        Ok(
            match self.store.get(&RecordKey::Attempts(key.to_owned())).await? {
                Some(v) => match v.value {
                    Record::Attempts(_, a) => (a, Some(v.version)),
                    _ => (Attempts::default(), Some(v.version)),
                },
                None => (Attempts::default(), None),
            },
        )
    }

    /// Sends an activation code by SMS or email (seed 003's activation SMS). A new code
    /// replaces the older but keeps its wrong attempts. The caller must administer the
    /// user's organization (or be the system, as after a self sign-up).
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "send_activation_code"),
        err(Display)
    )]
    pub async fn send_activation_code(
        &self,
        caller: Caller,
        user: UserId,
        channel: tenantry_credentials::CodeChannel,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        retrying!(self, self.try_send_code(caller, &record.user, channel))
    }

    async fn try_send_code(
        &self,
        caller: Caller,
        user: &User,
        channel: tenantry_credentials::CodeChannel,
    ) -> Result<(), DirectoryError> {
        use tenantry_credentials::{CodeChannel, CodeRecord, CodeSettings};
        let now = self.clock.now();
        let (org, _) = self.org(user.org()).await?;
        let to = match channel {
            CodeChannel::Sms => user.profile().phone.as_ref().map(|p| p.as_str().to_owned()),
            CodeChannel::Email => user.mailbox().map(|e| e.as_str().to_owned()),
        }
        .ok_or(DirectoryError::NotFound("phone or mailbox"))?;
        let previous = self.store.get(&RecordKey::Code(user.id(), channel)).await?;
        let (previous, version) = match previous.map(|v| (v.value, v.version)) {
            Some((Record::Code(c), v)) => (Some(c), Some(v)),
            _ => (None, None),
        };
        let (code, record) = self.with_rng(|rng| {
            CodeRecord::issue(
                user.id(),
                channel,
                now,
                previous.as_ref(),
                &CodeSettings::default(),
                rng,
            )
        })?;
        let mut ctx = MessageContext::new(
            MessageKind::ActivationCode,
            Locale::from_language(user.profile().language.as_ref()),
            &user.display_name(),
            org.org.name.as_str(),
        );
        ctx.expires_at = Some(record.expires_at());
        ctx.code = Some(code);
        let rendered = self.renderer.render(&ctx);
        let sms = rendered.sms.clone();
        let mut message = self.outbox_to(
            &to,
            user.id(),
            format!(
                "{}:{}:{}",
                MessageKind::ActivationCode.as_str(),
                user.id(),
                self.uuid()
            ),
            rendered,
            MessageKind::ActivationCode,
        );
        if channel == CodeChannel::Sms {
            message.channel = Channel::Sms;
            message.html = None;
            message.text = sms;
        }
        let mut cs = Changeset::new();
        // A code is a way in: an account that had none is invited by it.
        let (mut stored, user_version) = self.user(user.id()).await?;
        if stored.account.state() == tenantry_lifecycle::AccountState::Created {
            stored.account = stored
                .account
                .apply(Event::Invite, Actor::Staff, &org.lifecycle, now)?
                .account;
            cs.update(Record::User(stored), user_version);
        }
        cs.put(Record::Code(record), version)
            .insert(Record::Outbox(message))
            .audit(self.audit(
                caller,
                Some(user.org()),
                Some(user.id()),
                "activation_code.sent",
            ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Activates an account with the code it was sent and sets its password (seed 003).
    /// Five wrong codes spend it; a new code does not reset the count. Unknown identifiers
    /// and wrong codes share one answer.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "activate_with_code"),
        err(Display)
    )]
    pub async fn activate_with_code(
        &self,
        identifier: &str,
        code: &str,
        password: &Password,
    ) -> Result<UserId, DirectoryError> {
        use tenantry_credentials::{Code, CodeChannel};
        let now = self.clock.now();
        let Ok(id) = LoginIdentifier::parse(identifier) else {
            return Err(DirectoryError::InvalidCredentials);
        };
        let code = Code::new(code);
        for channel in [CodeChannel::Sms, CodeChannel::Email] {
            // A wrong code is answered only once its failure is stored: a lost race re-reads
            // and checks again (counting again), so concurrent guesses are all counted.
            let mut counted = false;
            for _ in 0..COUNTER_ROUNDS {
                let Some(user) = self.store.user_by_login(&id.key()).await? else {
                    return Err(DirectoryError::InvalidCredentials);
                };
                let user_id = user.value.user.id();
                let Some(stored) = self.store.get(&RecordKey::Code(user_id, channel)).await? else {
                    counted = true;
                    break;
                };
                let Record::Code(mut record) = stored.value else {
                    counted = true;
                    break;
                };
                if record.verify(&code, now).is_err() {
                    let mut cs = Changeset::new();
                    cs.update(Record::Code(record), stored.version);
                    match self.store.commit(cs).await {
                        Ok(_) => {
                            counted = true;
                            break;
                        }
                        Err(e) if conflict(&e) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                let mut account = user.value.clone();
                let (org, _) = self.org(account.user.org()).await?;
                account.account = account
                    .account
                    .apply(
                        Event::Activate {
                            method: ActivationMethod::SmsCode,
                        },
                        Actor::User,
                        &org.lifecycle,
                        now,
                    )?
                    .account;
                self.check_password(password, &account.user, &org.org.name)?;
                account.password = Some(self.hash(password).await?);
                account.must_change_password = false;
                let mut cs = Changeset::new();
                self.password_changed(&mut cs, &account.user, &org);
                cs.update(Record::Code(record), stored.version)
                    .update(Record::User(account), user.version)
                    .audit(self.audit(
                        Caller::User(user_id),
                        Some(org.org.id),
                        Some(user_id),
                        "account.activated_by_code",
                    ));
                match self.store.commit(cs).await {
                    Ok(_) => return Ok(user_id),
                    Err(e) if conflict(&e) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            if !counted {
                return Err(DirectoryError::Contended);
            }
        }
        Err(DirectoryError::InvalidCredentials)
    }
    /// Checks the caller administers `org`, which must exist (done by the callers), then
    /// inserts a new record it owns with its audit event.
    async fn insert_owned(
        &self,
        caller: Caller,
        org: OrgId,
        record: Record,
        action: &str,
    ) -> Result<(), DirectoryError> {
        let mut cs = Changeset::new();
        cs.insert(record)
            .audit(self.audit(caller, Some(org), None, action));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Creates a department in `org`, with a sign-up link code when `sign_up_link` is set
    /// (seed 003's department-specific links and QR codes). The caller must administer `org`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_department"),
        err(Display)
    )]
    pub async fn create_department(
        &self,
        caller: Caller,
        org: OrgId,
        name: Name,
        sign_up_link: bool,
    ) -> Result<tenantry_identity::Department, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        self.org(org).await?;
        let now = self.clock.now();
        let department = tenantry_identity::Department {
            id: tenantry_identity::DepartmentId::from_uuid(self.uuid()),
            org,
            name,
            sign_up_code: sign_up_link
                .then(|| self.with_rng(tenantry_identity::SignUpCode::generate)),
            created_at: now,
            version: 0,
        };
        self.insert_owned(
            caller,
            org,
            Record::Department(department.clone()),
            "department.created",
        )
        .await?;
        Ok(department)
    }

    /// Creates a job profile in `org`. The caller must administer `org`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_job_profile"),
        err(Display)
    )]
    pub async fn create_job_profile(
        &self,
        caller: Caller,
        org: OrgId,
        name: Name,
    ) -> Result<tenantry_identity::JobProfile, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        self.org(org).await?;
        let profile = tenantry_identity::JobProfile {
            id: tenantry_identity::JobProfileId::from_uuid(self.uuid()),
            org,
            name,
            created_at: self.clock.now(),
            version: 0,
        };
        self.insert_owned(
            caller,
            org,
            Record::JobProfile(profile.clone()),
            "job_profile.created",
        )
        .await?;
        Ok(profile)
    }

    /// Creates a location in `org` (seed 004). Users and groups with access to all locations
    /// cover it at once. The caller must administer `org`.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "create_location"),
        err(Display)
    )]
    pub async fn create_location(
        &self,
        caller: Caller,
        org: OrgId,
        name: Name,
    ) -> Result<tenantry_identity::Location, DirectoryError> {
        self.acting(caller).await?;
        self.require_admin(caller, org).await?;
        self.org(org).await?;
        let location = tenantry_identity::Location {
            id: tenantry_identity::LocationId::from_uuid(self.uuid()),
            org,
            name,
            archived: false,
            created_at: self.clock.now(),
            version: 0,
        };
        self.insert_owned(
            caller,
            org,
            Record::Location(location.clone()),
            "location.created",
        )
        .await?;
        Ok(location)
    }

    /// Sets which locations `user` may file requests for (seed 004: all, specific, or through
    /// their groups). Specific locations must be of the user's organization.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "set_location_access"),
        err(Display)
    )]
    pub async fn set_location_access(
        &self,
        caller: Caller,
        user: UserId,
        access: tenantry_identity::LocationAccess,
    ) -> Result<(), DirectoryError> {
        self.acting(caller).await?;
        let (record, _) = self.user(user).await?;
        self.require_admin(caller, record.user.org()).await?;
        if let tenantry_identity::LocationAccess::Specific(set) = &access {
            for l in set {
                match self
                    .store
                    .get(&RecordKey::Location(*l))
                    .await?
                    .map(|v| v.value)
                {
                    Some(Record::Location(loc)) if loc.org == record.user.org() => {}
                    _ => return Err(DirectoryError::NotFound("location")),
                }
            }
        }
        retrying!(
            self,
            self.try_set_location_access(caller, user, access.clone())
        )
    }

    async fn try_set_location_access(
        &self,
        caller: Caller,
        user: UserId,
        access: tenantry_identity::LocationAccess,
    ) -> Result<(), DirectoryError> {
        let (mut record, version) = self.user(user).await?;
        let org = record.user.org();
        record.user.set_location_access(access, self.clock.now());
        let mut cs = Changeset::new();
        cs.update(Record::User(record), version).audit(self.audit(
            caller,
            Some(org),
            Some(user),
            "location_access.changed",
        ));
        self.store.commit(cs).await?;
        Ok(())
    }

    /// Whether `user` may file a request for `location` (seed 004): their own access and
    /// that of their unarchived groups; archived locations take none.
    #[tracing::instrument(
        name = "tenantry",
        skip_all,
        fields(use_case = "may_file_request"),
        err(Display)
    )]
    pub async fn may_file_request(
        &self,
        user: UserId,
        location: tenantry_identity::LocationId,
    ) -> Result<bool, DirectoryError> {
        let (record, _) = self.user(user).await?;
        if !record.account.capabilities().may_file_requests {
            return Ok(false);
        }
        match self
            .store
            .get(&RecordKey::Location(location))
            .await?
            .map(|v| v.value)
        {
            Some(Record::Location(l)) if !l.archived && l.org == record.user.org() => {}
            _ => return Ok(false),
        }
        let mut groups = Vec::new();
        for m in self.store.list(&ListOf::GroupsOfUser(user)).await? {
            if let Record::Membership(m) = m.value
                && let Ok((g, _)) = self.group(m.group).await
            {
                groups.push(g);
            }
        }
        Ok(tenantry_access::may_file_request(
            &record.user,
            groups.iter(),
            location,
        ))
    }
}

/// Whether a message can reach `user` under the organization's channels: email to a
/// mailbox, or SMS to a phone (PIN users get neither).
fn reachable(user: &User, org: &OrgRecord) -> bool {
    let channels = &org.org.settings.communication;
    (channels.email && user.mailbox().is_some())
        || (channels.sms && user.kind().has_mailbox() && user.profile().phone.is_some())
}

/// The result of [`Directory::change_account`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountChange {
    /// The account's state afterwards.
    pub state: tenantry_lifecycle::AccountState,
    /// The host must end the user's sessions now.
    pub end_sessions: bool,
}

fn event_name(event: Event) -> String {
    event.kind().to_string().replace(' ', "_")
}

/// Where a PIN user's wrong PINs are counted: per user, so a renamed placeholder keeps the
/// count and nobody can lock a placeholder before its user exists.
fn pin_attempts_key(user: UserId) -> String {
    format!("pin:user:{user}")
}

/// The attempt record of sign-ins with `identifier` (parsed, where it parses): keyed by a
/// hash of its normalised form, so a guesser's input is never stored and never long.
fn sign_in_attempts_key(parsed: Option<&LoginIdentifier>, identifier: &str) -> String {
    match parsed {
        Some(id) => tenantry_credentials::attempt_key("sign-in", id.key().as_str()),
        None => tenantry_credentials::attempt_key("sign-in", &identifier.trim().to_lowercase()),
    }
}

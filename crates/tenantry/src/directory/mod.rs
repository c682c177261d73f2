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

/// What the users prepared for one commit have taken so far.
#[derive(Debug, Default)]
pub(crate) struct NewUsers {
    /// Placeholder emails given out (their keys).
    pub(crate) placeholders: std::collections::HashSet<String>,
    /// Whether a user of the organization exists or is being created.
    pub(crate) org_has_users: bool,
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
/// the admin permission: active ones, and those on their way in (created, invited — the
/// partner portal's first user, invited later). Accounts waiting for approval, inactive, blocked or
/// deleted do not: "keep an admin" looks past them.
pub(crate) fn counts_as_admin(account: &Account) -> bool {
    use tenantry_lifecycle::AccountState::{Active, Created, Invited};
    matches!(account.state(), Created | Invited | Active)
}

pub(crate) fn conflict(e: &StoreError) -> bool {
    // A commit answers NotFound when a record it updates or deletes at the version read was
    // deleted meanwhile: a lost race like a stale version, settled by reading again. (Reads
    // answer `None` for a missing record, never NotFound.)
    matches!(
        e.kind(),
        StoreErrorKind::Conflict | StoreErrorKind::NotFound
    )
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

mod accounts;
mod activation;
mod authority;
mod consumers;
mod error;
mod groups;
mod inputs;
mod organizations;
mod passwords;
mod pin;
mod places;
mod sign_in;
mod sign_up;
mod users;

pub use error::{DenialReason, DirectoryError};
pub use inputs::{CreatedUser, NewDepartment, NewRootOrganization, NewUser, SignUpForm, SsoLogin};

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

    /// The public URL of the sign-up link with `code` (a department's, the workforce platform), under the
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
            return Err(DirectoryError::NoMailbox);
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
        // The workforce platform: a user with both an email and a phone gets both.
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

    /// Every organization's place in the tree, as stored.
    pub(crate) async fn org_tree(&self) -> Result<tenantry_identity::OrgTree, DirectoryError> {
        Ok(tenantry_identity::OrgTree::from_edges(
            self.store
                .orgs()
                .await?
                .into_iter()
                .map(|o| (o.value.org.id, o.value.org.parent)),
        )?)
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

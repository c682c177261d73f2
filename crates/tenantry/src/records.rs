//! What the directory stores: one [`Record`] per [`RecordKey`], each with a version.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_access::{GrantRef, Grantables, PermissionKey};
use tenantry_credentials::{
    CodeChannel, CodeRecord, OneTimePassword, PasswordHash, PinRecord, TokenHash, TokenRecord,
};
use tenantry_identity::{
    Department, DepartmentId, Group, GroupId, JobProfile, JobProfileId, Location, LocationId,
    LoginKey, Membership, OrgId, Organization, SignUpCode, User, UserId,
};
use tenantry_lifecycle::{Account, Invitation, LifecyclePolicy};
use uuid::Uuid;

/// An organization with what the directory keeps beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRecord {
    /// The organization.
    pub org: Organization,
    /// How its accounts move through their life (sign-up, SSO, invitation validity).
    pub lifecycle: LifecyclePolicy,
    /// What it may hand out (the partner portal's company-level permissions).
    pub entitlements: BTreeSet<PermissionKey>,
    /// The host's areas (channels, say) opened to guests (social intranet).
    #[serde(default)]
    pub guest_areas: BTreeSet<crate::areas::SharedArea>,
}

impl OrgRecord {
    /// `org` with the default lifecycle policy, no entitlements and no areas open to guests.
    pub fn new(org: Organization) -> Self {
        Self {
            org,
            lifecycle: LifecyclePolicy::default(),
            entitlements: BTreeSet::new(),
            guest_areas: BTreeSet::new(),
        }
    }
}

/// A user with their account state and credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Who they are.
    pub user: User,
    /// Where their account is in its life.
    pub account: Account,
    /// Their password hash, once they have one.
    pub password: Option<PasswordHash>,
    /// When they last signed in.
    pub last_sign_in: Option<DateTime<Utc>>,
    /// Which optional mail they receive (absent in records written before it existed:
    /// everything).
    #[serde(default)]
    pub notifications: crate::notify::NotificationSettings,
    /// The password was set by someone else (an admin's custom or generated password): sign-in
    /// answers [`crate::DirectoryError::PasswordChangeRequired`] until the user replaces it
    /// with [`crate::Directory::change_password`]. Absent in older records: `false`.
    #[serde(default)]
    pub must_change_password: bool,
}

/// One action, recorded: who did what to whom, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The event's id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who acted (`None` for the system).
    pub actor: Option<UserId>,
    /// In which organization.
    pub org: Option<OrgId>,
    /// On whom.
    pub subject: Option<UserId>,
    /// What (`user.created`, `grant.changed`, `user.impersonated`, ...).
    pub action: String,
    /// Details (never a secret).
    pub detail: BTreeMap<String, String>,
}

/// How a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email.
    Email,
    /// SMS.
    Sms,
}

/// Where an outbox message stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Not yet delivered.
    Pending {
        /// Failed deliveries so far.
        attempts: u32,
        /// Not before this.
        next_attempt_at: DateTime<Utc>,
    },
    /// Delivered.
    Sent {
        /// When.
        at: DateTime<Utc>,
    },
    /// Given up on (a permanent failure, or too many retries).
    Failed {
        /// When.
        at: DateTime<Utc>,
        /// Why (the mailer's message).
        reason: String,
    },
    /// Withdrawn before delivery (the user was deleted, the link revoked).
    Cancelled {
        /// When.
        at: DateTime<Utc>,
    },
}

/// A message written in the same changeset as the change that causes it, and delivered
/// afterwards, so a crash never loses one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The message's id.
    pub id: Uuid,
    /// The same for every retry: receivers can tell a resend from a new message.
    pub idempotency_key: String,
    /// Email or SMS.
    pub channel: Channel,
    /// The address or number.
    pub to: String,
    /// The user it is for, if any.
    pub user: Option<UserId>,
    /// What kind of message (`invitation`, `password_reset`, ...).
    pub kind: String,
    /// The subject line (email).
    pub subject: String,
    /// The plain text body.
    pub text: String,
    /// The HTML body (email).
    pub html: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub status: OutboxStatus,
    /// The topic of an optional message (a digest, a host's notification): the dispatcher
    /// withdraws it if its user muted the topic meanwhile. `None`: not optional.
    #[serde(default)]
    pub topic: Option<crate::notify::Topic>,
}

impl std::fmt::Debug for OutboxMessage {
    // Bodies carry links with live tokens and codes: never print them, only their size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("id", &self.id)
            .field("idempotency_key", &self.idempotency_key)
            .field("channel", &self.channel)
            .field("to", &self.to)
            .field("user", &self.user)
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field(
                "html",
                &self.html.as_ref().map(|h| format!("<{} bytes>", h.len())),
            )
            .field("created_at", &self.created_at)
            .field("status", &self.status)
            .field("topic", &self.topic)
            .finish()
    }
}

/// The key of a stored record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "key", rename_all = "snake_case")]
pub enum RecordKey {
    /// An organization.
    Org(OrgId),
    /// A user.
    User(UserId),
    /// A group.
    Group(GroupId),
    /// A membership.
    Membership(GroupId, UserId),
    /// A location.
    Location(LocationId),
    /// A department.
    Department(DepartmentId),
    /// A job profile.
    JobProfile(JobProfileId),
    /// A grant.
    Grant(GrantRef),
    /// A user's invitation.
    Invitation(UserId),
    /// A token, by its hash.
    Token(TokenHash),
    /// A PIN user's PIN.
    Pin(UserId),
    /// A user's one-time password.
    Otp(UserId),
    /// A user's verification code on a channel.
    Code(UserId, CodeChannel),
    /// Failed sign-in attempts for an identifier key.
    Attempts(String),
    /// An outbox message.
    Outbox(Uuid),
}

/// A stored record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "record", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// An organization.
    Org(OrgRecord),
    /// A user.
    User(UserRecord),
    /// A group.
    Group(Group),
    /// A membership.
    Membership(Membership),
    /// A location.
    Location(Location),
    /// A department.
    Department(Department),
    /// A job profile.
    JobProfile(JobProfile),
    /// A grant and what it names.
    Grant(GrantRef, Grantables),
    /// An invitation.
    Invitation(Invitation),
    /// A token.
    Token(TokenRecord),
    /// A PIN.
    Pin(PinRecord),
    /// A one-time password.
    Otp(OneTimePassword),
    /// A verification code.
    Code(CodeRecord),
    /// Failed sign-in attempts for an identifier key.
    Attempts(String, tenantry_credentials::Attempts),
    /// An outbox message.
    Outbox(OutboxMessage),
}

impl Record {
    /// The record's key.
    pub fn key(&self) -> RecordKey {
        match self {
            Record::Org(r) => RecordKey::Org(r.org.id),
            Record::User(r) => RecordKey::User(r.user.id()),
            Record::Group(g) => RecordKey::Group(g.id),
            Record::Membership(m) => RecordKey::Membership(m.group, m.user),
            Record::Location(l) => RecordKey::Location(l.id),
            Record::Department(d) => RecordKey::Department(d.id),
            Record::JobProfile(j) => RecordKey::JobProfile(j.id),
            Record::Grant(g, _) => RecordKey::Grant(*g),
            Record::Invitation(i) => RecordKey::Invitation(i.user()),
            Record::Token(t) => RecordKey::Token(t.hash),
            Record::Pin(p) => RecordKey::Pin(p.user()),
            Record::Otp(o) => RecordKey::Otp(o.user()),
            Record::Code(c) => RecordKey::Code(c.user(), c.channel()),
            Record::Attempts(k, _) => RecordKey::Attempts(k.clone()),
            Record::Outbox(m) => RecordKey::Outbox(m.id),
        }
    }

    /// The unique keys the record claims: login identifiers of users, sign-up codes of
    /// departments. A store refuses a commit that gives one to two records (`Duplicate`).
    pub fn unique_keys(&self) -> Vec<UniqueKey> {
        match self {
            Record::User(r) => r
                .user
                .identifiers()
                .keys()
                .into_iter()
                .map(UniqueKey::Login)
                .collect(),
            Record::Department(d) => d
                .sign_up_code
                .iter()
                .map(|c| UniqueKey::SignUpCode(c.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Writes the store's version into records that carry one of their own.
    pub fn set_version(&mut self, version: u64) {
        match self {
            Record::Org(r) => r.org.version = version,
            Record::User(r) => r.user.set_version(version),
            Record::Group(g) => g.version = version,
            Record::Location(l) => l.version = version,
            Record::Department(d) => d.version = version,
            Record::JobProfile(j) => j.version = version,
            _ => {}
        }
    }
}

/// A value only one record may hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "key", rename_all = "snake_case")]
pub enum UniqueKey {
    /// A login identifier.
    Login(LoginKey),
    /// A department's sign-up code.
    SignUpCode(SignUpCode),
}

/// A record with the version the store holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned<T> {
    /// The record.
    pub value: T,
    /// Its version: 1 after the first commit, one more after each.
    pub version: u64,
}

impl Record {
    /// Since when the record is of no use but as history, for housekeeping
    /// ([`crate::Store::stale`], [`crate::Directory::purge`]): a token's, code's or one-time
    /// password's expiry; an attempt record's last failure (or the end of its lock, if
    /// later; the Unix epoch once a success cleared it; never while suspended); a delivered, failed or cancelled outbox message's creation. `None` for every
    /// other record, and for a message still to be sent.
    pub fn stale_since(&self) -> Option<(crate::store::StaleKind, DateTime<Utc>)> {
        use crate::store::StaleKind;
        match self {
            Record::Token(t) => Some((StaleKind::Token, t.expires_at)),
            Record::Code(c) => Some((StaleKind::Code, c.expires_at())),
            Record::Otp(o) => Some((StaleKind::Otp, o.expires_at())),
            Record::Attempts(_, a) if a.suspended => None,
            // A count started over by a success holds nothing: stale at once.
            Record::Attempts(_, a) => Some((
                StaleKind::Attempts,
                a.last_failure.map_or(DateTime::UNIX_EPOCH, |t| {
                    a.locked_until.map_or(t, |l| l.max(t))
                }),
            )),
            Record::Outbox(m) => match m.status {
                OutboxStatus::Pending { .. } => None,
                _ => Some((StaleKind::Outbox, m.created_at)),
            },
            _ => None,
        }
    }
}

//! The storage trait the host implements (or takes from `tenantry-sqlx`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tenantry_access::Grantables;
use tenantry_identity::{GroupId, LoginKey, OrgId, SignUpCode, UserId, UserKind};
use tenantry_lifecycle::AccountState;

use crate::changeset::{Changeset, Committed};
use crate::error::StoreError;
use crate::records::{
    AuditEvent, OrgRecord, OutboxMessage, Record, RecordKey, UserRecord, Versioned,
};

/// Which users to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Users of this organization.
    pub org: Option<OrgId>,
    /// Members of this group.
    pub group: Option<GroupId>,
    /// Of these kinds (empty: any).
    pub kinds: Vec<UserKind>,
    /// In these states (empty: any).
    pub states: Vec<AccountState>,
    /// Users after this id (keyset paging: pass the previous page's `next`).
    pub after: Option<UserId>,
    /// At most this many (the store may cap it; 0 means the store's default).
    pub limit: usize,
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, by id.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<UserId>,
}

/// Records listed by what they belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListOf {
    /// The groups of an organization.
    GroupsOf(OrgId),
    /// The memberships of a group.
    MembersOf(GroupId),
    /// The memberships of a user.
    GroupsOfUser(UserId),
    /// The locations of an organization.
    LocationsOf(OrgId),
    /// The departments of an organization.
    DepartmentsOf(OrgId),
    /// The job profiles of an organization.
    JobProfilesOf(OrgId),
    /// The grants a user holds.
    GrantsOfUser(UserId),
    /// The grants anchored at an organization.
    GrantsAt(OrgId),
    /// The grants anchored at an organization that name any of these roles or permissions
    /// (the grants that can make their holder an admin there, for the last-admin rule):
    /// stores answer from an index, not by reading every grant of the organization.
    GrantsNaming(OrgId, Grantables),
    /// The tokens issued to a user.
    TokensOf(UserId),
    /// The outbox messages for a user.
    OutboxOf(UserId),
}

/// The kinds of record that go stale ([`Record::stale_since`]), for [`Store::stale`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StaleKind {
    /// Link tokens, stale once expired.
    Token,
    /// Verification codes, stale once expired.
    Code,
    /// One-time passwords, stale once expired.
    Otp,
    /// Attempt records, stale since their last failure or lock.
    Attempts,
    /// Outbox messages no longer pending, stale since written.
    Outbox,
}

impl StaleKind {
    /// Every kind.
    pub const ALL: [StaleKind; 5] = [
        StaleKind::Token,
        StaleKind::Code,
        StaleKind::Otp,
        StaleKind::Attempts,
        StaleKind::Outbox,
    ];
}

/// Which audit events to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// In this organization.
    pub org: Option<OrgId>,
    /// About this user.
    pub subject: Option<UserId>,
    /// At most this many, newest first (0: the store's default).
    pub limit: usize,
}

/// Where the directory keeps its records.
///
/// Reads return records with their versions; the one write, [`Store::commit`], applies a
/// [`Changeset`] all or nothing: it answers `Conflict` when a version moved (or a record
/// expected absent exists), `NotFound` when a record expected at a version is missing, and
/// `Duplicate` when a unique key (a login identifier, matched case-insensitively through
/// [`LoginKey`]; a sign-up code) would belong to two records. Implementations must be safe
/// under concurrent use, and dyn-compatible: `Arc<dyn Store>` is how the directory holds one.
/// The `conformance` feature has a suite any implementation can run.
#[async_trait]
pub trait Store: Send + Sync {
    /// A record by key.
    async fn get(&self, key: &RecordKey) -> Result<Option<Versioned<Record>>, StoreError>;

    /// The user who owns a login identifier.
    async fn user_by_login(
        &self,
        key: &LoginKey,
    ) -> Result<Option<Versioned<UserRecord>>, StoreError>;

    /// A page of users, ordered by id.
    async fn users(&self, query: &UserQuery) -> Result<Page<Versioned<UserRecord>>, StoreError>;

    /// Every organization (to build the tree).
    async fn orgs(&self) -> Result<Vec<Versioned<OrgRecord>>, StoreError>;

    /// Records that belong to something, ordered by key.
    async fn list(&self, of: &ListOf) -> Result<Vec<Versioned<Record>>, StoreError>;

    /// The department whose sign-up link has `code`.
    async fn department_by_code(
        &self,
        code: &SignUpCode,
    ) -> Result<Option<Versioned<Record>>, StoreError>;

    /// Outbox messages due for delivery at `now`, oldest first.
    async fn pending_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<OutboxMessage>>, StoreError>;

    /// Audit events, newest first.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;

    /// Applies `changeset` all or nothing.
    async fn commit(&self, changeset: Changeset) -> Result<Committed, StoreError>;

    /// Records of `kind` stale since before `before` ([`Record::stale_since`]), the longest
    /// stale first, at most `limit` (0: the store's default page). Housekeeping reads them
    /// to delete them ([`crate::Directory::purge`]); a store answers from an index.
    async fn stale(
        &self,
        kind: StaleKind,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<Record>>, StoreError>;
}

//! `MemoryStore`: a complete reference [`Store`] in memory, safe under concurrent use.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tenantry_identity::{LoginKey, SignUpCode};

use crate::changeset::{Changeset, Committed, Expect};
use crate::error::{StoreError, StoreErrorKind};
use crate::records::{
    AuditEvent, OrgRecord, OutboxMessage, OutboxStatus, Record, RecordKey, UniqueKey, UserRecord,
    Versioned,
};
use crate::store::{AuditQuery, ListOf, Page, StaleKind, Store, UserQuery};

/// Listings return at most this many when asked for 0.
pub const DEFAULT_PAGE: usize = 100;
/// Listings never return more than this.
pub const MAX_PAGE: usize = 1000;

#[derive(Default)]
struct Inner {
    records: HashMap<RecordKey, (u64, Record)>,
    unique: HashMap<UniqueKey, RecordKey>,
    audit: Vec<AuditEvent>,
}

/// A [`Store`] in memory: for tests, examples and hosts that keep nothing. Every commit
/// takes one lock, checks every expectation and unique key, then applies everything, so it
/// is all or nothing and linearisable. Listings scan: fine for thousands of records, not
/// for millions (use `tenantry-sqlx` there).
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied changeset: commits
        // check everything before changing anything.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn versioned(version: u64, record: &Record) -> Versioned<Record> {
    let mut value = record.clone();
    value.set_version(version);
    Versioned { value, version }
}

fn sort_key(key: &RecordKey) -> String {
    format!("{key:?}")
}

#[async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &RecordKey) -> Result<Option<Versioned<Record>>, StoreError> {
        Ok(self.lock().records.get(key).map(|(v, r)| versioned(*v, r)))
    }

    async fn user_by_login(
        &self,
        key: &LoginKey,
    ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
        let inner = self.lock();
        let Some(owner) = inner.unique.get(&UniqueKey::Login(key.clone())) else {
            return Ok(None);
        };
        Ok(inner
            .records
            .get(owner)
            .and_then(|(v, r)| match versioned(*v, r) {
                Versioned {
                    value: Record::User(u),
                    version,
                } => Some(Versioned { value: u, version }),
                _ => None,
            }))
    }

    async fn users(&self, q: &UserQuery) -> Result<Page<Versioned<UserRecord>>, StoreError> {
        let inner = self.lock();
        let limit = if q.limit == 0 {
            DEFAULT_PAGE
        } else {
            q.limit.min(MAX_PAGE)
        };
        let mut users: Vec<Versioned<UserRecord>> = inner
            .records
            .values()
            .filter_map(|(v, r)| match versioned(*v, r) {
                Versioned {
                    value: Record::User(u),
                    version,
                } => Some(Versioned { value: u, version }),
                _ => None,
            })
            .filter(|u| q.org.is_none_or(|o| u.value.user.org() == o))
            .filter(|u| q.kinds.is_empty() || q.kinds.contains(&u.value.user.kind()))
            .filter(|u| q.states.is_empty() || q.states.contains(&u.value.account.state()))
            .filter(|u| q.after.is_none_or(|a| u.value.user.id() > a))
            .filter(|u| {
                q.group.is_none_or(|g| {
                    inner
                        .records
                        .contains_key(&RecordKey::Membership(g, u.value.user.id()))
                })
            })
            .collect();
        users.sort_by_key(|u| u.value.user.id());
        let next = if users.len() > limit {
            users.get(limit - 1).map(|u| u.value.user.id())
        } else {
            None
        };
        users.truncate(limit);
        Ok(Page { items: users, next })
    }

    async fn orgs(&self) -> Result<Vec<Versioned<OrgRecord>>, StoreError> {
        let inner = self.lock();
        let mut orgs: Vec<Versioned<OrgRecord>> = inner
            .records
            .values()
            .filter_map(|(v, r)| match versioned(*v, r) {
                Versioned {
                    value: Record::Org(o),
                    version,
                } => Some(Versioned { value: o, version }),
                _ => None,
            })
            .collect();
        orgs.sort_by_key(|o| o.value.org.id);
        Ok(orgs)
    }

    async fn list(&self, of: &ListOf) -> Result<Vec<Versioned<Record>>, StoreError> {
        let inner = self.lock();
        let belongs = |r: &Record| match (of, r) {
            (ListOf::GroupsOf(o), Record::Group(g)) => g.org == *o,
            (ListOf::MembersOf(g), Record::Membership(m)) => m.group == *g,
            (ListOf::GroupsOfUser(u), Record::Membership(m)) => m.user == *u,
            (ListOf::LocationsOf(o), Record::Location(l)) => l.org == *o,
            (ListOf::DepartmentsOf(o), Record::Department(d)) => d.org == *o,
            (ListOf::JobProfilesOf(o), Record::JobProfile(j)) => j.org == *o,
            (ListOf::GrantsOfUser(u), Record::Grant(g, _)) => g.user == *u,
            (ListOf::GrantsAt(o), Record::Grant(g, _)) => g.org == *o,
            (ListOf::GrantsNaming(o, any), Record::Grant(g, what)) => {
                g.org == *o
                    && (what.roles.iter().any(|r| any.roles.contains(r))
                        || what.permissions.iter().any(|p| any.permissions.contains(p)))
            }
            (ListOf::TokensOf(u), Record::Token(t)) => t.user == *u,
            (ListOf::OutboxOf(u), Record::Outbox(m)) => m.user == Some(*u),
            _ => false,
        };
        let mut out: Vec<(String, Versioned<Record>)> = inner
            .records
            .iter()
            .filter(|(_, (_, r))| belongs(r))
            .map(|(k, (v, r))| (sort_key(k), versioned(*v, r)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }

    async fn department_by_code(
        &self,
        code: &SignUpCode,
    ) -> Result<Option<Versioned<Record>>, StoreError> {
        let inner = self.lock();
        let Some(owner) = inner.unique.get(&UniqueKey::SignUpCode(code.clone())) else {
            return Ok(None);
        };
        Ok(inner.records.get(owner).map(|(v, r)| versioned(*v, r)))
    }

    async fn stale(
        &self,
        kind: StaleKind,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        let inner = self.lock();
        let limit = if limit == 0 {
            DEFAULT_PAGE
        } else {
            limit.min(MAX_PAGE)
        };
        let mut stale: Vec<(DateTime<Utc>, String, Versioned<Record>)> = inner
            .records
            .iter()
            .filter_map(|(key, (v, r))| match r.stale_since() {
                Some((k, at)) if k == kind && at < before => {
                    Some((at, sort_key(key), versioned(*v, r)))
                }
                _ => None,
            })
            .collect();
        stale.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(stale.into_iter().take(limit).map(|(_, _, r)| r).collect())
    }

    async fn pending_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<OutboxMessage>>, StoreError> {
        let inner = self.lock();
        let limit = if limit == 0 {
            DEFAULT_PAGE
        } else {
            limit.min(MAX_PAGE)
        };
        let mut due: Vec<Versioned<OutboxMessage>> = inner
            .records
            .values()
            .filter_map(|(v, r)| match r {
                Record::Outbox(m) if matches!(m.status, OutboxStatus::Pending { next_attempt_at, .. } if next_attempt_at <= now) => {
                    Some(Versioned { value: m.clone(), version: *v })
                }
                _ => None,
            })
            .collect();
        due.sort_by_key(|m| (m.value.created_at, m.value.id));
        due.truncate(limit);
        Ok(due)
    }

    async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let inner = self.lock();
        let limit = if q.limit == 0 {
            DEFAULT_PAGE
        } else {
            q.limit.min(MAX_PAGE)
        };
        Ok(inner
            .audit
            .iter()
            .rev()
            .filter(|e| q.org.is_none_or(|o| e.org == Some(o)))
            .filter(|e| q.subject.is_none_or(|s| e.subject == Some(s)))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn commit(&self, changeset: Changeset) -> Result<Committed, StoreError> {
        let mut inner = self.lock();
        let err = |kind, key: &RecordKey| Err(StoreError::new(kind, format!("{key:?}")));
        // 1. Every expectation, before anything changes.
        let mut touched: HashSet<RecordKey> = HashSet::new();
        for (record, expect) in &changeset.puts {
            let key = record.key();
            if !touched.insert(key.clone()) {
                return err(StoreErrorKind::Other, &key);
            }
            match (expect, inner.records.get(&key).map(|(v, _)| *v)) {
                (Expect::Absent, Some(_)) => return err(StoreErrorKind::Conflict, &key),
                (Expect::Version(_), None) => return err(StoreErrorKind::NotFound, &key),
                (Expect::Version(want), Some(have)) if *want != have => {
                    return err(StoreErrorKind::Conflict, &key);
                }
                _ => {}
            }
        }
        for (key, want) in &changeset.deletes {
            if !touched.insert(key.clone()) {
                return err(StoreErrorKind::Other, key);
            }
            match inner.records.get(key).map(|(v, _)| *v) {
                None => return err(StoreErrorKind::NotFound, key),
                Some(have) if have != *want => return err(StoreErrorKind::Conflict, key),
                _ => {}
            }
        }
        // 2. Unique keys: what the written records claim may belong to no other record,
        // except records this changeset rewrites or deletes (their old claims are released).
        let mut claimed: HashMap<UniqueKey, RecordKey> = HashMap::new();
        for (record, _) in &changeset.puts {
            let key = record.key();
            for unique in record.unique_keys() {
                let twice = claimed
                    .insert(unique.clone(), key.clone())
                    .is_some_and(|other| other != key);
                let taken = inner
                    .unique
                    .get(&unique)
                    .is_some_and(|owner| *owner != key && !touched.contains(owner));
                if twice || taken {
                    return Err(StoreError::new(
                        StoreErrorKind::Duplicate,
                        format!("{unique:?}"),
                    ));
                }
            }
        }
        // 3. Apply.
        for key in &touched {
            if let Some((_, old)) = inner.records.get(key) {
                for unique in old.unique_keys() {
                    if inner.unique.get(&unique) == Some(key) {
                        inner.unique.remove(&unique);
                    }
                }
            }
        }
        for (key, _) in &changeset.deletes {
            inner.records.remove(key);
        }
        let mut committed = Committed::default();
        for (mut record, _) in changeset.puts {
            let key = record.key();
            let version = inner.records.get(&key).map_or(1, |(v, _)| v + 1);
            record.set_version(version);
            for unique in record.unique_keys() {
                inner.unique.insert(unique, key.clone());
            }
            inner.records.insert(key.clone(), (version, record));
            committed.versions.push((key, version));
        }
        inner.audit.extend(changeset.audit);
        Ok(committed)
    }
}

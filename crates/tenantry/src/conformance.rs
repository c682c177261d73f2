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

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tenantry_access::{GrantRef, Grantables, PermissionKey, Scope};
use tenantry_credentials::{Attempts, TokenPurpose, issue_token};
use tenantry_identity::{
    Department, DepartmentId, Email, Group, GroupId, LoginIdentifiers, LoginKey, Membership, Name,
    OrgId, Organization, Profile, SignUpCode, User, UserId, UserKind, Username,
};
use tenantry_lifecycle::{Account, AccountParts, AccountState};
use uuid::Uuid;

use crate::changeset::Changeset;
use crate::error::StoreErrorKind;
use crate::records::{
    AuditEvent, Channel, OrgRecord, OutboxMessage, OutboxStatus, Record, RecordKey, UserRecord,
};
use crate::store::{AuditQuery, ListOf, StaleKind, Store, UserQuery};

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
            Err(e) => {
                return Err(ConformanceError {
                    check: $check,
                    detail: format!("unexpected error: {e}"),
                })
            }
        }
    };
}

/// Runs every check.
pub async fn run_all(store: Arc<dyn Store>) -> Outcome {
    reads(store.as_ref()).await?;
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

/// Every read returns what was written.
pub async fn reads(store: &dyn Store) -> Outcome {
    const C: &str = "reads";
    let mut f = Fixture::new();
    let org = f.org()?;
    let org_id = org.org.id;
    let ann = f.user(org_id, "Ann").ok_or_else(|| ConformanceError {
        check: C,
        detail: "fixture".into(),
    })?;
    let bob = f.user(org_id, "bob").ok_or_else(|| ConformanceError {
        check: C,
        detail: "fixture".into(),
    })?;
    let group = Group::new(GroupId::generate(f.now, &mut f.rng), org_id, name()?, f.now);
    let membership = Membership {
        group: group.id,
        user: bob.user.id(),
        since: f.now,
    };
    let code = SignUpCode::generate(&mut f.rng);
    let dept = Department {
        id: DepartmentId::generate(f.now, &mut f.rng),
        org: org_id,
        name: name()?,
        sign_up_code: Some(code.clone()),
        created_at: f.now,
        version: 0,
    };
    let grant = GrantRef {
        user: ann.user.id(),
        org: org_id,
        scope: Scope::Organization,
    };
    let grantables = Grantables {
        permissions: PermissionKey::new("org.admin")
            .map(|k| [k].into())
            .unwrap_or_default(),
        ..Grantables::new()
    };
    let (_, token) = attempt!(
        C,
        issue_token(
            TokenPurpose::PasswordReset,
            ann.user.id(),
            f.now,
            Duration::hours(1),
            None,
            &mut f.rng
        )
    );
    attempt!(
        C,
        insert(
            store,
            vec![
                Record::Org(org.clone()),
                Record::User(ann.clone()),
                Record::User(bob.clone()),
                Record::Group(group.clone()),
                Record::Membership(membership.clone()),
                Record::Department(dept.clone()),
                Record::Grant(grant, grantables.clone()),
                Record::Token(token.clone()),
            ],
        )
        .await
    );

    let got = attempt!(C, store.get(&RecordKey::User(ann.user.id())).await);
    ensure!(
        C,
        got.as_ref().is_some_and(|v| v.version == 1),
        "a new record has version 1, got {got:?}"
    );
    ensure!(
        C,
        matches!(got.map(|v| v.value), Some(Record::User(u)) if u.user.identifiers() == ann.user.identifiers()),
        "get(user) returns the user"
    );
    ensure!(
        C,
        attempt!(
            C,
            store
                .get(&RecordKey::User(UserId::from_uuid(Uuid::nil())))
                .await
        )
        .is_none(),
        "get of a missing key is None"
    );

    // Login identifiers are found case-insensitively (their keys are lowercase).
    let upper = attempt!(
        C,
        Email::parse(&format!("ANN.{}@CONFORMANCE.EXAMPLE", f.tag)).map_err(|e| e.to_string())
    );
    let by_login = attempt!(C, store.user_by_login(&LoginKey::Email(upper.key())).await);
    ensure!(
        C,
        by_login.is_some_and(|u| u.value.user.id() == ann.user.id()),
        "user_by_login finds Ann by her email in another case"
    );
    let missing = attempt!(
        C,
        store
            .user_by_login(&LoginKey::Username("nobody-here".into()))
            .await
    );
    ensure!(
        C,
        missing.is_none(),
        "user_by_login of an unknown key is None"
    );

    // Users by organization and group, paged.
    let page = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                limit: 1,
                ..Default::default()
            })
            .await
    );
    ensure!(
        C,
        page.items.len() == 1 && page.next.is_some(),
        "first page of one user with a next, got {} items",
        page.items.len()
    );
    let rest = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                limit: 10,
                after: page.next,
                ..Default::default()
            })
            .await
    );
    ensure!(
        C,
        rest.items.len() == 1 && rest.next.is_none(),
        "second page holds the other user and ends"
    );
    ensure!(
        C,
        page.items[0].value.user.id() < rest.items[0].value.user.id(),
        "users are ordered by id"
    );
    let members = attempt!(
        C,
        store
            .users(&UserQuery {
                group: Some(group.id),
                ..Default::default()
            })
            .await
    );
    ensure!(
        C,
        members.items.len() == 1 && members.items[0].value.user.id() == bob.user.id(),
        "users of a group"
    );
    let none = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                kinds: vec![UserKind::Pin],
                ..Default::default()
            })
            .await
    );
    ensure!(C, none.items.is_empty(), "kind filter");
    let active = attempt!(
        C,
        store
            .users(&UserQuery {
                org: Some(org_id),
                states: vec![AccountState::Active],
                ..Default::default()
            })
            .await
    );
    ensure!(C, active.items.len() == 2, "state filter");

    ensure!(
        C,
        attempt!(C, store.orgs().await)
            .iter()
            .any(|o| o.value.org.id == org_id),
        "orgs lists the organization"
    );
    for (of, want) in [
        (ListOf::GroupsOf(org_id), 1),
        (ListOf::MembersOf(group.id), 1),
        (ListOf::GroupsOfUser(bob.user.id()), 1),
        (ListOf::DepartmentsOf(org_id), 1),
        (ListOf::LocationsOf(org_id), 0),
        (ListOf::JobProfilesOf(org_id), 0),
        (ListOf::GrantsOfUser(ann.user.id()), 1),
        (ListOf::GrantsAt(org_id), 1),
        (ListOf::TokensOf(ann.user.id()), 1),
        (ListOf::OutboxOf(ann.user.id()), 0),
    ] {
        let got = attempt!(C, store.list(&of).await).len();
        ensure!(C, got == want, "list({of:?}) gave {got}, want {want}");
    }
    let by_code = attempt!(C, store.department_by_code(&code).await);
    ensure!(
        C,
        matches!(by_code.map(|v| v.value), Some(Record::Department(d)) if d.id == dept.id),
        "department_by_code"
    );
    let token_back = attempt!(C, store.get(&RecordKey::Token(token.hash)).await);
    ensure!(
        C,
        matches!(token_back.map(|v| v.value), Some(Record::Token(t)) if t == token),
        "tokens are found by hash"
    );
    Ok(())
}

/// Versions count commits; stale, missing and already-present records are refused.
pub async fn versions(store: &dyn Store) -> Outcome {
    const C: &str = "versions";
    let mut f = Fixture::new();
    let org = f.org()?;
    let key = RecordKey::Org(org.org.id);
    attempt!(C, insert(store, vec![Record::Org(org.clone())]).await);
    let mut cs = Changeset::new();
    cs.update(Record::Org(org.clone()), 1);
    let committed = attempt!(C, store.commit(cs).await);
    ensure!(
        C,
        committed.versions == vec![(key.clone(), 2)],
        "an update moves the version to 2, got {:?}",
        committed.versions
    );
    let mut stale = Changeset::new();
    stale.update(Record::Org(org.clone()), 1);
    let e = store.commit(stale).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "a stale version is a Conflict, got {e:?}"
    );
    let mut again = Changeset::new();
    again.insert(Record::Org(org.clone()));
    let e = store.commit(again).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "inserting an existing record is a Conflict, got {e:?}"
    );
    let other = f.org()?;
    let mut missing = Changeset::new();
    missing.update(Record::Org(other.clone()), 1);
    let e = store.commit(missing).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::NotFound),
        "updating a missing record is NotFound, got {e:?}"
    );
    let mut del = Changeset::new();
    del.delete(key.clone(), 1);
    let e = store.commit(del).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "deleting at a stale version is a Conflict, got {e:?}"
    );
    let mut del = Changeset::new();
    del.delete(key.clone(), 2);
    attempt!(C, store.commit(del).await);
    ensure!(
        C,
        attempt!(C, store.get(&key).await).is_none(),
        "a deleted record is gone"
    );
    let read = attempt!(C, store.get(&RecordKey::Org(other.org.id)).await);
    ensure!(C, read.is_none(), "nothing was written by refused commits");
    Ok(())
}

/// A commit with one failing part writes nothing.
pub async fn atomicity(store: &dyn Store) -> Outcome {
    const C: &str = "atomicity";
    let mut f = Fixture::new();
    let (a, b) = (f.org()?, f.org()?);
    attempt!(C, insert(store, vec![Record::Org(a.clone())]).await);
    let mut cs = Changeset::new();
    cs.insert(Record::Org(b.clone()))
        .update(Record::Org(a.clone()), 7)
        .audit(event(&mut f, a.org.id, "conformance.atomicity"));
    let e = store.commit(cs).await.err().map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Conflict),
        "the stale part fails the commit, got {e:?}"
    );
    ensure!(
        C,
        attempt!(C, store.get(&RecordKey::Org(b.org.id)).await).is_none(),
        "the valid part was not written"
    );
    let audit = attempt!(
        C,
        store
            .audit(&AuditQuery {
                org: Some(a.org.id),
                ..Default::default()
            })
            .await
    );
    ensure!(C, audit.is_empty(), "no audit event of a refused commit");
    let version = attempt!(C, store.get(&RecordKey::Org(a.org.id)).await).map(|v| v.version);
    ensure!(
        C,
        version == Some(1),
        "the existing record is untouched, version {version:?}"
    );
    Ok(())
}

/// Login identifiers and sign-up codes belong to one record; releasing them frees them.
pub async fn duplicates(store: &dyn Store) -> Outcome {
    const C: &str = "duplicates";
    let mut f = Fixture::new();
    let org = f.org()?;
    let fixture = || ConformanceError {
        check: C,
        detail: "fixture".into(),
    };
    let ann = f.user(org.org.id, "ann").ok_or_else(fixture)?;
    attempt!(
        C,
        insert(
            store,
            vec![Record::Org(org.clone()), Record::User(ann.clone())]
        )
        .await
    );
    // Same email, other case, other user.
    let mut clash = f.user(org.org.id, "ANN").ok_or_else(fixture)?;
    let e = insert(store, vec![Record::User(clash.clone())])
        .await
        .err()
        .map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Duplicate),
        "an email in another case is a Duplicate, got {e:?}"
    );
    // Two new users with one username in one changeset.
    let mut x = f.user(org.org.id, "x").ok_or_else(fixture)?;
    let mut y = f.user(org.org.id, "y").ok_or_else(fixture)?;
    let shared = attempt!(
        C,
        Username::parse(&format!("shared-{}", f.tag)).map_err(|e| e.to_string())
    );
    for u in [&mut x, &mut y] {
        let mut ids = u.user.identifiers().clone();
        ids.username = Some(shared.clone());
        attempt!(
            C,
            u.user
                .set_identifiers(ids, f.now)
                .map_err(|e| e.to_string())
        );
    }
    let e = insert(
        store,
        vec![Record::User(x.clone()), Record::User(y.clone())],
    )
    .await
    .err()
    .map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Duplicate),
        "a username twice in one changeset is a Duplicate, got {e:?}"
    );
    // Swapping identifiers between two users in one changeset is fine.
    let bob = f.user(org.org.id, "bob").ok_or_else(fixture)?;
    attempt!(C, insert(store, vec![Record::User(bob.clone())]).await);
    let (mut ann2, mut bob2) = (ann.clone(), bob.clone());
    let (ai, bi) = (
        ann.user.identifiers().clone(),
        bob.user.identifiers().clone(),
    );
    attempt!(
        C,
        ann2.user
            .set_identifiers(bi, f.now)
            .map_err(|e| e.to_string())
    );
    attempt!(
        C,
        bob2.user
            .set_identifiers(ai, f.now)
            .map_err(|e| e.to_string())
    );
    let mut swap = Changeset::new();
    swap.update(Record::User(ann2), 1)
        .update(Record::User(bob2), 1);
    attempt!(C, store.commit(swap).await);
    let found = attempt!(
        C,
        store.user_by_login(&ann.user.identifiers().keys()[0]).await
    );
    ensure!(
        C,
        found.is_some_and(|u| u.value.user.id() == bob.user.id()),
        "after the swap, Ann's old email finds Bob"
    );
    // Deleting a user frees its identifiers.
    let mut del = Changeset::new();
    del.delete(RecordKey::User(bob.user.id()), 2);
    attempt!(C, store.commit(del).await);
    let mut ids = clash.user.identifiers().clone();
    ids.email = ann.user.identifiers().email.clone();
    attempt!(
        C,
        clash
            .user
            .set_identifiers(ids, f.now)
            .map_err(|e| e.to_string())
    );
    attempt!(C, insert(store, vec![Record::User(clash)]).await);
    // Sign-up codes.
    let code = SignUpCode::generate(&mut f.rng);
    let dept = |f: &mut Fixture| -> Result<Department, ConformanceError> {
        Ok(Department {
            id: DepartmentId::generate(f.now, &mut f.rng),
            org: org.org.id,
            name: name()?,
            sign_up_code: Some(code.clone()),
            created_at: f.now,
            version: 0,
        })
    };
    attempt!(
        C,
        insert(store, vec![Record::Department(dept(&mut f)?)]).await
    );
    let e = insert(store, vec![Record::Department(dept(&mut f)?)])
        .await
        .err()
        .map(|e| e.kind());
    ensure!(
        C,
        e == Some(StoreErrorKind::Duplicate),
        "a sign-up code twice is a Duplicate, got {e:?}"
    );
    Ok(())
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

/// Pending outbox messages come due in order; audit events come back newest first.
pub async fn outbox_and_audit(store: &dyn Store) -> Outcome {
    const C: &str = "outbox_and_audit";
    let mut f = Fixture::new();
    let org = f.org()?;
    let message = |f: &mut Fixture, minutes: i64, key: &str| {
        let mut bytes = [0u8; 16];
        rand::Rng::fill_bytes(&mut f.rng, &mut bytes);
        OutboxMessage {
            id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
            idempotency_key: format!("{}-{key}", f.tag),
            channel: Channel::Email,
            to: "someone@conformance.example".into(),
            user: None,
            kind: "welcome".into(),
            subject: "Welcome".into(),
            text: "Hello".into(),
            html: None,
            created_at: f.now + Duration::minutes(minutes),
            status: OutboxStatus::Pending {
                attempts: 0,
                next_attempt_at: f.now + Duration::minutes(minutes),
            },
            topic: None,
        }
    };
    let (first, second, later) = (
        message(&mut f, 0, "a"),
        message(&mut f, 1, "b"),
        message(&mut f, 600, "c"),
    );
    let mut cs = Changeset::new();
    cs.insert(Record::Org(org.clone()))
        .insert(Record::Outbox(second.clone()))
        .insert(Record::Outbox(first.clone()))
        .insert(Record::Outbox(later.clone()))
        .audit(event(&mut f, org.org.id, "conformance.first"))
        .audit(event(&mut f, org.org.id, "conformance.second"));
    attempt!(C, store.commit(cs).await);
    let due: Vec<Uuid> = attempt!(
        C,
        store
            .pending_outbox(f.now + Duration::minutes(5), 1000)
            .await
    )
    .into_iter()
    .filter(|m| m.value.idempotency_key.starts_with(&f.tag))
    .map(|m| m.value.id)
    .collect();
    ensure!(
        C,
        due == vec![first.id, second.id],
        "two messages are due, oldest first; got {due:?}"
    );
    let mut sent = first.clone();
    sent.status = OutboxStatus::Sent {
        at: f.now + Duration::minutes(2),
    };
    let mut cs = Changeset::new();
    cs.update(Record::Outbox(sent), 1);
    attempt!(C, store.commit(cs).await);
    let due = attempt!(
        C,
        store
            .pending_outbox(f.now + Duration::minutes(5), 1000)
            .await
    )
    .into_iter()
    .filter(|m| m.value.idempotency_key.starts_with(&f.tag))
    .count();
    ensure!(C, due == 1, "a sent message is no longer pending");
    let audit = attempt!(
        C,
        store
            .audit(&AuditQuery {
                org: Some(org.org.id),
                ..Default::default()
            })
            .await
    );
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    ensure!(
        C,
        actions == ["conformance.second", "conformance.first"],
        "audit newest first, got {actions:?}"
    );
    let one = attempt!(
        C,
        store
            .audit(&AuditQuery {
                org: Some(org.org.id),
                limit: 1,
                ..Default::default()
            })
            .await
    );
    ensure!(C, one.len() == 1, "audit limit");
    Ok(())
}

/// [`Store::stale`] answers records of the kind asked, stale before the time asked, the
/// longest stale first; never a suspended attempt record or a pending message.
pub async fn stale_records(store: &dyn Store) -> Outcome {
    const C: &str = "stale_records";
    let f = Fixture::new();
    let attempts = |key: &str, days_ago: i64, suspended: bool| {
        Record::Attempts(
            format!("conformance:{}:{key}", f.tag),
            Attempts {
                failures: 3,
                last_failure: Some(f.now - Duration::days(days_ago)),
                locked_until: None,
                consecutive: 3,
                suspended,
            },
        )
    };
    let message = |key: &str, sent: bool| OutboxMessage {
        id: uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
        idempotency_key: format!("{}-{key}", f.tag),
        channel: Channel::Email,
        to: "someone@conformance.example".into(),
        user: None,
        kind: "welcome".into(),
        subject: "Welcome".into(),
        text: String::new(),
        html: None,
        created_at: f.now - Duration::days(20),
        status: if sent {
            OutboxStatus::Sent { at: f.now }
        } else {
            OutboxStatus::Pending {
                attempts: 0,
                next_attempt_at: f.now + Duration::days(1000),
            }
        },
        topic: None,
    };
    attempt!(
        C,
        insert(
            store,
            vec![
                attempts("older", 12, false),
                attempts("old", 10, false),
                attempts("recent", 1, false),
                attempts("suspended", 30, true),
                Record::Outbox(message("sent", true)),
                Record::Outbox(message("pending", false)),
            ],
        )
        .await
    );
    let ours = |records: Vec<crate::records::Versioned<Record>>| -> Vec<String> {
        records
            .into_iter()
            .filter_map(|r| match r.value {
                Record::Attempts(key, _) => key
                    .strip_prefix(&format!("conformance:{}:", f.tag))
                    .map(str::to_owned),
                Record::Outbox(m) => m
                    .idempotency_key
                    .strip_prefix(&format!("{}-", f.tag))
                    .map(str::to_owned),
                _ => None,
            })
            .collect()
    };
    let stale = ours(attempt!(
        C,
        store
            .stale(StaleKind::Attempts, f.now - Duration::days(5), 1000)
            .await
    ));
    ensure!(
        C,
        stale == ["older", "old"],
        "idle attempt records, longest stale first, no suspended one; got {stale:?}"
    );
    let stale = ours(attempt!(
        C,
        store.stale(StaleKind::Outbox, f.now, 1000).await
    ));
    ensure!(
        C,
        stale == ["sent"],
        "messages no longer pending only; got {stale:?}"
    );
    let none = ours(attempt!(
        C,
        store.stale(StaleKind::Token, f.now, 1000).await
    ));
    ensure!(C, none.is_empty(), "only the kind asked; got {none:?}");
    Ok(())
}

/// `tasks` tasks each add one failed attempt to one counter, re-reading on Conflict: the
/// counter ends at `tasks` (no lost update).
pub async fn concurrent_increments(store: Arc<dyn Store>, tasks: u32) -> Outcome {
    const C: &str = "concurrent_increments";
    let f = Fixture::new();
    let key = format!("conformance-{}", f.tag);
    attempt!(
        C,
        insert(
            store.as_ref(),
            vec![Record::Attempts(key.clone(), Attempts::default())]
        )
        .await
    );
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (store, key) = (store.clone(), key.clone());
        handles.push(tokio::spawn(async move {
            for _ in 0..10_000 {
                let Ok(Some(current)) = store.get(&RecordKey::Attempts(key.clone())).await else {
                    return false;
                };
                let Record::Attempts(_, mut a) = current.value else {
                    return false;
                };
                a.failures += 1;
                let mut cs = Changeset::new();
                cs.update(Record::Attempts(key.clone(), a), current.version);
                match store.commit(cs).await {
                    Ok(_) => return true,
                    Err(e) if e.kind() == StoreErrorKind::Conflict => {
                        tokio::task::yield_now().await
                    }
                    Err(_) => return false,
                }
            }
            false
        }));
    }
    for h in handles {
        ensure!(
            C,
            matches!(h.await, Ok(true)),
            "a task failed to commit its increment"
        );
    }
    let end = attempt!(C, store.get(&RecordKey::Attempts(key)).await);
    let failures = match end.map(|v| v.value) {
        Some(Record::Attempts(_, a)) => a.failures,
        _ => 0,
    };
    ensure!(
        C,
        failures == tasks,
        "the counter is {failures}, want {tasks}: an update was lost"
    );
    Ok(())
}

/// `tasks` admins of one organization each try to revoke another's admin grant, deciding on
/// what they read and bumping the organization's version: the organization keeps an admin.
pub async fn concurrent_demotions(store: Arc<dyn Store>, tasks: usize) -> Outcome {
    const C: &str = "concurrent_demotions";
    let mut f = Fixture::new();
    let org = f.org()?;
    let org_id = org.org.id;
    let admin = Grantables {
        permissions: PermissionKey::new("org.admin")
            .map(|k| [k].into())
            .unwrap_or_default(),
        ..Grantables::new()
    };
    let mut records = vec![Record::Org(org.clone())];
    let mut admins = Vec::new();
    for i in 0..tasks {
        let u = f
            .user(org_id, &format!("admin{i}"))
            .ok_or_else(|| ConformanceError {
                check: C,
                detail: "fixture".into(),
            })?;
        admins.push(u.user.id());
        records.push(Record::Grant(
            GrantRef {
                user: u.user.id(),
                org: org_id,
                scope: Scope::Organization,
            },
            admin.clone(),
        ));
        records.push(Record::User(u));
    }
    attempt!(C, insert(store.as_ref(), records).await);
    let mut handles = Vec::new();
    for i in 0..tasks {
        let store = store.clone();
        let victim = admins[(i + 1) % tasks];
        handles.push(tokio::spawn(async move {
            let Ok(Some(org)) = store.get(&RecordKey::Org(org_id)).await else {
                return;
            };
            let Ok(grants) = store.list(&ListOf::GrantsAt(org_id)).await else {
                return;
            };
            // Decide on what was read: only demote if another admin would remain.
            let Some(target) = grants
                .iter()
                .find(|g| matches!(&g.value, Record::Grant(r, _) if r.user == victim))
            else {
                return;
            };
            if grants.len() < 2 {
                return;
            }
            let mut cs = Changeset::new();
            cs.update(org.value.clone(), org.version)
                .delete(target.value.key(), target.version);
            let _ = store.commit(cs).await;
        }));
    }
    for h in handles {
        ensure!(C, h.await.is_ok(), "a task panicked");
    }
    let left = attempt!(C, store.list(&ListOf::GrantsAt(org_id)).await).len();
    ensure!(C, left >= 1, "the organization was left without an admin");
    ensure!(
        C,
        left < tasks,
        "no demotion went through at all (every commit conflicted)"
    );
    Ok(())
}

//! The store, written once over [`Backend`].
//!
//! Each record is one row of `tenantry_records`: its key as text, its version, the record
//! as JSON, and the columns its listings filter on. Unique keys are rows of
//! `tenantry_unique_keys`, whose primary key makes the database refuse a second owner.
//! `commit` is one transaction; every refusal comes from the database's own answer to a
//! write (a conditional update or delete that changed no row, an insert that met an
//! existing key), never from a read made beforehand.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry::{
    AuditEvent, AuditQuery, Changeset, Committed, DEFAULT_PAGE, Expect, ListOf, MAX_PAGE,
    OrgRecord, OutboxMessage, OutboxStatus, Page, Record, RecordKey, StaleKind, StoreError,
    StoreErrorKind, UniqueKey, UserQuery, UserRecord, Versioned,
};
use tenantry_identity::{LoginKey, OrgId, SignUpCode};

use crate::backend::{Arg, Backend};
use crate::migrate::{self, SchemaError, db_error};

/// The text a record key is stored under. Within a kind, the order of these texts is the
/// order of the keys' parts (UUIDs print in byte order), so listings sort alike everywhere.
pub(crate) fn key_text(key: &RecordKey) -> String {
    match key {
        RecordKey::Org(id) => format!("org/{id}"),
        RecordKey::User(id) => format!("user/{id}"),
        RecordKey::Group(id) => format!("group/{id}"),
        RecordKey::Membership(g, u) => format!("membership/{g}/{u}"),
        RecordKey::Location(id) => format!("location/{id}"),
        RecordKey::Department(id) => format!("department/{id}"),
        RecordKey::JobProfile(id) => format!("job_profile/{id}"),
        RecordKey::Grant(g) => format!("grant/{}/{}/{}", g.user, g.org, tag(&g.scope)),
        RecordKey::Invitation(u) => format!("invitation/{u}"),
        RecordKey::Token(h) => format!("token/{}", h.to_hex()),
        RecordKey::Pin(u) => format!("pin/{u}"),
        RecordKey::Otp(u) => format!("otp/{u}"),
        RecordKey::Code(u, channel) => format!("code/{u}/{}", tag(channel)),
        RecordKey::Attempts(k) => format!("attempts/{k}"),
        RecordKey::Outbox(id) => format!("outbox/{id}"),
    }
}

/// The names `tenantry_grant_names` indexes a grant under: its roles and permissions.
fn grant_names(what: &tenantry_access::Grantables) -> Vec<String> {
    what.roles
        .iter()
        .map(|r| format!("role:{r}"))
        .chain(what.permissions.iter().map(|p| format!("permission:{p}")))
        .collect()
}

/// The text a unique key is stored under. Login keys are already case-folded where their
/// kind is matched case-insensitively (emails, usernames), so equality here is the rule.
fn unique_text(key: &UniqueKey) -> String {
    match key {
        UniqueKey::Login(login) => login_text(login),
        UniqueKey::SignUpCode(code) => sign_up_text(code),
    }
}

fn login_text(key: &LoginKey) -> String {
    match key {
        LoginKey::Email(k) => format!("login/email/{k}"),
        LoginKey::Username(k) => format!("login/username/{k}"),
        LoginKey::ExternalId(k) => format!("login/external_id/{k}"),
    }
}

fn sign_up_text(code: &SignUpCode) -> String {
    format!("sign_up_code/{}", code.as_str())
}

/// A value's serde name (`"standard"`, `"active"`), as stored in the filter columns.
fn tag<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The row a record is written as.
struct Row {
    key: String,
    kind: &'static str,
    org: Option<String>,
    user: Option<String>,
    group: Option<String>,
    user_kind: Option<String>,
    state: Option<String>,
    due_at: Option<i64>,
    created_at: Option<i64>,
    stale_at: Option<i64>,
    body: String,
    unique: BTreeSet<String>,
    /// What a grant names (`role:` and `permission:` keys), for `tenantry_grant_names`.
    names: Vec<String>,
}

impl Row {
    fn of(record: &Record) -> Result<Self, StoreError> {
        let key = key_text(&record.key());
        let body = serde_json::to_string(record)
            .map_err(|e| StoreError::with_source(StoreErrorKind::Other, key.clone(), e))?;
        let mut row = Row {
            kind: "",
            org: None,
            user: None,
            group: None,
            user_kind: None,
            state: None,
            due_at: None,
            created_at: None,
            stale_at: record.stale_since().map(|(_, at)| micros(at)),
            unique: record.unique_keys().iter().map(unique_text).collect(),
            names: Vec::new(),
            key,
            body,
        };
        match record {
            Record::Org(r) => {
                row.kind = "org";
                row.org = Some(r.org.id.to_string());
            }
            Record::User(r) => {
                row.kind = "user";
                row.org = Some(r.user.org().to_string());
                row.user = Some(r.user.id().to_string());
                row.user_kind = Some(tag(&r.user.kind()));
                row.state = Some(tag(&r.account.state()));
            }
            Record::Group(g) => {
                row.kind = "group";
                row.org = Some(g.org.to_string());
                row.group = Some(g.id.to_string());
            }
            Record::Membership(m) => {
                row.kind = "membership";
                row.group = Some(m.group.to_string());
                row.user = Some(m.user.to_string());
            }
            Record::Location(l) => {
                row.kind = "location";
                row.org = Some(l.org.to_string());
            }
            Record::Department(d) => {
                row.kind = "department";
                row.org = Some(d.org.to_string());
            }
            Record::JobProfile(j) => {
                row.kind = "job_profile";
                row.org = Some(j.org.to_string());
            }
            Record::Grant(g, what) => {
                row.kind = "grant";
                row.org = Some(g.org.to_string());
                row.user = Some(g.user.to_string());
                row.names = grant_names(what);
            }
            Record::Invitation(i) => {
                row.kind = "invitation";
                row.user = Some(i.user().to_string());
            }
            Record::Token(t) => {
                row.kind = "token";
                row.user = Some(t.user.to_string());
            }
            Record::Pin(p) => {
                row.kind = "pin";
                row.user = Some(p.user().to_string());
            }
            Record::Otp(o) => {
                row.kind = "otp";
                row.user = Some(o.user().to_string());
            }
            Record::Code(c) => {
                row.kind = "code";
                row.user = Some(c.user().to_string());
            }
            Record::Attempts(..) => row.kind = "attempts",
            Record::Outbox(m) => {
                row.kind = "outbox";
                row.user = m.user.map(|u| u.to_string());
                row.created_at = Some(micros(m.created_at));
                if let OutboxStatus::Pending {
                    next_attempt_at, ..
                } = m.status
                {
                    row.due_at = Some(micros(next_attempt_at));
                }
            }
        }
        Ok(row)
    }

    /// The filter columns and the body, in the order `INSERT_RECORD` and `UPDATE_RECORD`
    /// number them after the key.
    fn args(&self) -> Vec<Arg> {
        vec![
            self.key.clone().into(),
            self.kind.into(),
            self.org.clone().into(),
            self.user.clone().into(),
            self.group.clone().into(),
            self.user_kind.clone().into(),
            self.state.clone().into(),
            self.due_at.into(),
            self.created_at.into(),
            self.body.clone().into(),
            self.stale_at.into(),
        ]
    }
}

const INSERT_RECORD: &str = "INSERT INTO tenantry_records \
    (key, kind, org_id, user_id, group_id, user_kind, account_state, due_at, created_at, body, \
    stale_at, version) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1) ON CONFLICT (key) DO NOTHING";
const UPDATE_RECORD: &str = "UPDATE tenantry_records SET version = version + 1, kind = $2, \
    org_id = $3, user_id = $4, group_id = $5, user_kind = $6, account_state = $7, due_at = $8, \
    created_at = $9, body = $10, stale_at = $11 WHERE key = $1 AND version = $12";
const DELETE_RECORD: &str = "DELETE FROM tenantry_records WHERE key = $1 AND version = $2";
const VERSION_OF: &str = "SELECT version, '' FROM tenantry_records WHERE key = $1";
const RELEASE_UNIQUE: &str = "DELETE FROM tenantry_unique_keys WHERE owner = $1";
const RELEASE_NAMES: &str = "DELETE FROM tenantry_grant_names WHERE record_key = $1";
const INDEX_NAME: &str = "INSERT INTO tenantry_grant_names (org_id, name, record_key) \
    VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
const CLAIM_UNIQUE: &str = "INSERT INTO tenantry_unique_keys (unique_key, owner) VALUES ($1, $2) \
    ON CONFLICT (unique_key) DO NOTHING";
const INSERT_AUDIT: &str =
    "INSERT INTO tenantry_audit (org_id, subject_id, at, body) VALUES ($1, $2, $3, $4)";
const GET: &str = "SELECT version, body FROM tenantry_records WHERE key = $1";
const BY_UNIQUE: &str = "SELECT r.version, r.body FROM tenantry_unique_keys u \
    JOIN tenantry_records r ON r.key = u.owner WHERE u.unique_key = $1";

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn version_arg(version: u64, key: &str) -> Result<Arg, StoreError> {
    i64::try_from(version)
        .map(Arg::from)
        .map_err(|_| StoreError::new(StoreErrorKind::Conflict, key))
}

fn page_limit(limit: usize) -> usize {
    if limit == 0 {
        DEFAULT_PAGE
    } else {
        limit.min(MAX_PAGE)
    }
}

fn limit_arg(limit: usize) -> Arg {
    Arg::from(i64::try_from(limit).unwrap_or(i64::MAX))
}

/// A stored row back into a record with its version.
fn decode(version: i64, body: &str, context: &str) -> Result<Versioned<Record>, StoreError> {
    let version = u64::try_from(version).map_err(|_| {
        StoreError::new(
            StoreErrorKind::Other,
            format!("corrupt version in {context}"),
        )
    })?;
    let mut value: Record = serde_json::from_str(body).map_err(|e| {
        StoreError::with_source(
            StoreErrorKind::Other,
            format!("corrupt record in {context}"),
            e,
        )
    })?;
    value.set_version(version);
    Ok(Versioned { value, version })
}

fn as_user(v: Versioned<Record>, context: &str) -> Result<Versioned<UserRecord>, StoreError> {
    match v.value {
        Record::User(value) => Ok(Versioned {
            value,
            version: v.version,
        }),
        _ => Err(StoreError::new(
            StoreErrorKind::Other,
            format!("not a user: {context}"),
        )),
    }
}

/// The store over one database.
pub(crate) struct Core<B: Backend> {
    pub(crate) pool: sqlx::Pool<B>,
}

impl<B: Backend> Core<B> {
    pub(crate) async fn migrate(&self) -> Result<usize, SchemaError> {
        migrate::run(&self.pool).await
    }

    async fn read(
        &self,
        context: &str,
        sql: &str,
        args: &[Arg],
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| db_error::<B>(context, e))?;
        B::fetch(&mut conn, sql, args)
            .await
            .map_err(|e| db_error::<B>(context, e))
    }

    async fn read_records(
        &self,
        context: &str,
        sql: &str,
        args: &[Arg],
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.read(context, sql, args)
            .await?
            .iter()
            .map(|(v, body)| decode(*v, body, context))
            .collect()
    }

    async fn read_one(
        &self,
        context: &str,
        sql: &str,
        arg: String,
    ) -> Result<Option<Versioned<Record>>, StoreError> {
        Ok(self
            .read_records(context, sql, &[arg.into()])
            .await?
            .into_iter()
            .next())
    }

    pub(crate) async fn get(
        &self,
        key: &RecordKey,
    ) -> Result<Option<Versioned<Record>>, StoreError> {
        let text = key_text(key);
        self.read_one(&text, GET, text.clone()).await
    }

    pub(crate) async fn user_by_login(
        &self,
        key: &LoginKey,
    ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
        let text = login_text(key);
        self.read_one("user by login", BY_UNIQUE, text)
            .await?
            .map(|v| as_user(v, "user by login"))
            .transpose()
    }

    pub(crate) async fn users(
        &self,
        q: &UserQuery,
    ) -> Result<Page<Versioned<UserRecord>>, StoreError> {
        let limit = page_limit(q.limit);
        let mut sql =
            String::from("SELECT r.version, r.body FROM tenantry_records r WHERE r.kind = 'user'");
        let mut args: Vec<Arg> = Vec::new();
        let mut bind = |sql: &mut String, arg: Arg| {
            args.push(arg);
            sql.push_str(&format!("${}", args.len()));
        };
        if let Some(org) = q.org {
            sql.push_str(" AND r.org_id = ");
            bind(&mut sql, org.to_string().into());
        }
        if let Some(after) = q.after {
            sql.push_str(" AND r.key > ");
            bind(&mut sql, key_text(&RecordKey::User(after)).into());
        }
        for (column, values) in [
            ("user_kind", q.kinds.iter().map(tag).collect::<Vec<_>>()),
            ("account_state", q.states.iter().map(tag).collect()),
        ] {
            if values.is_empty() {
                continue;
            }
            sql.push_str(&format!(" AND r.{column} IN ("));
            for (i, value) in values.into_iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                bind(&mut sql, value.into());
            }
            sql.push(')');
        }
        if let Some(group) = q.group {
            // Driven by the group's memberships (an index range), each member then found by
            // its key: the cost follows the group, not every user of the store.
            sql.push_str(
                " AND r.key IN (SELECT 'user/' || m.user_id FROM tenantry_records m \
                 WHERE m.kind = 'membership' AND m.group_id = ",
            );
            bind(&mut sql, group.to_string().into());
            sql.push(')');
        }
        sql.push_str(" ORDER BY r.key LIMIT ");
        bind(&mut sql, limit_arg(limit + 1));
        let mut items = self
            .read_records("users", &sql, &args)
            .await?
            .into_iter()
            .map(|v| as_user(v, "users"))
            .collect::<Result<Vec<_>, _>>()?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|u| u.value.user.id())
        } else {
            None
        };
        Ok(Page { items, next })
    }

    pub(crate) async fn orgs(&self) -> Result<Vec<Versioned<OrgRecord>>, StoreError> {
        self.read_records(
            "orgs",
            "SELECT version, body FROM tenantry_records WHERE kind = 'org' ORDER BY key",
            &[],
        )
        .await?
        .into_iter()
        .map(|v| match v.value {
            Record::Org(value) => Ok(Versioned {
                value,
                version: v.version,
            }),
            _ => Err(StoreError::new(StoreErrorKind::Other, "not an org")),
        })
        .collect()
    }

    pub(crate) async fn list(&self, of: &ListOf) -> Result<Vec<Versioned<Record>>, StoreError> {
        if let ListOf::GrantsNaming(org, any) = of {
            return self.grants_naming(*org, any).await;
        }
        let (kind, column, id) = match of {
            ListOf::GroupsOf(o) => ("group", "org_id", o.to_string()),
            ListOf::MembersOf(g) => ("membership", "group_id", g.to_string()),
            ListOf::GroupsOfUser(u) => ("membership", "user_id", u.to_string()),
            ListOf::LocationsOf(o) => ("location", "org_id", o.to_string()),
            ListOf::DepartmentsOf(o) => ("department", "org_id", o.to_string()),
            ListOf::JobProfilesOf(o) => ("job_profile", "org_id", o.to_string()),
            ListOf::GrantsOfUser(u) => ("grant", "user_id", u.to_string()),
            ListOf::GrantsAt(o) => ("grant", "org_id", o.to_string()),
            ListOf::TokensOf(u) => ("token", "user_id", u.to_string()),
            ListOf::OutboxOf(u) => ("outbox", "user_id", u.to_string()),
            other => {
                return Err(StoreError::new(
                    StoreErrorKind::Other,
                    format!("listing not supported: {other:?}"),
                ));
            }
        };
        let sql = format!(
            "SELECT version, body FROM tenantry_records WHERE kind = $1 AND {column} = $2 \
             ORDER BY key"
        );
        self.read_records(kind, &sql, &[kind.into(), id.into()])
            .await
    }

    /// The grants at `org` naming any of `any`'s roles or permissions, through
    /// `tenantry_grant_names`.
    async fn grants_naming(
        &self,
        org: OrgId,
        any: &tenantry_access::Grantables,
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        let names = grant_names(any);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..names.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT r.version, r.body FROM tenantry_records r WHERE r.key IN \
             (SELECT n.record_key FROM tenantry_grant_names n WHERE n.org_id = $1 AND n.name IN ({})) \
             ORDER BY r.key",
            placeholders.join(", ")
        );
        let mut args: Vec<Arg> = vec![org.to_string().into()];
        args.extend(names.into_iter().map(Arg::from));
        self.read_records("grant", &sql, &args).await
    }

    pub(crate) async fn department_by_code(
        &self,
        code: &SignUpCode,
    ) -> Result<Option<Versioned<Record>>, StoreError> {
        self.read_one("department by code", BY_UNIQUE, sign_up_text(code))
            .await
    }

    pub(crate) async fn stale(
        &self,
        kind: StaleKind,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        let kind = match kind {
            StaleKind::Token => "token",
            StaleKind::Code => "code",
            StaleKind::Otp => "otp",
            StaleKind::Attempts => "attempts",
            StaleKind::Outbox => "outbox",
            other => {
                return Err(StoreError::new(
                    StoreErrorKind::Other,
                    format!("this store does not know stale records of {other:?}"),
                ));
            }
        };
        self.read_records(
            kind,
            "SELECT version, body FROM tenantry_records WHERE kind = $1 AND stale_at IS NOT NULL \
             AND stale_at < $2 ORDER BY stale_at, key LIMIT $3",
            &[
                kind.into(),
                micros(before).into(),
                limit_arg(page_limit(limit)),
            ],
        )
        .await
    }

    pub(crate) async fn pending_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Versioned<OutboxMessage>>, StoreError> {
        self.read_records(
            "outbox",
            "SELECT version, body FROM tenantry_records WHERE due_at IS NOT NULL \
             AND due_at <= $1 ORDER BY created_at, key LIMIT $2",
            &[micros(now).into(), limit_arg(page_limit(limit))],
        )
        .await?
        .into_iter()
        .map(|v| match v.value {
            Record::Outbox(value) => Ok(Versioned {
                value,
                version: v.version,
            }),
            _ => Err(StoreError::new(
                StoreErrorKind::Other,
                "not an outbox message",
            )),
        })
        .collect()
    }

    pub(crate) async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let mut sql = String::from("SELECT seq, body FROM tenantry_audit WHERE 1 = 1");
        let mut args: Vec<Arg> = Vec::new();
        if let Some(org) = q.org {
            args.push(org.to_string().into());
            sql.push_str(&format!(" AND org_id = ${}", args.len()));
        }
        if let Some(subject) = q.subject {
            args.push(subject.to_string().into());
            sql.push_str(&format!(" AND subject_id = ${}", args.len()));
        }
        args.push(limit_arg(page_limit(q.limit)));
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len()));
        self.read("audit", &sql, &args)
            .await?
            .iter()
            .map(|(seq, body)| {
                serde_json::from_str(body).map_err(|e| {
                    StoreError::with_source(
                        StoreErrorKind::Other,
                        format!("corrupt audit event {seq}"),
                        e,
                    )
                })
            })
            .collect()
    }

    pub(crate) async fn commit(&self, changeset: Changeset) -> Result<Committed, StoreError> {
        // What needs no database: each key once, each record serialisable.
        let mut seen = HashSet::new();
        let mut puts = Vec::with_capacity(changeset.puts.len());
        for (index, (record, expect)) in changeset.puts.iter().enumerate() {
            let row = Row::of(record)?;
            if !seen.insert(row.key.clone()) {
                return Err(StoreError::new(StoreErrorKind::Other, row.key));
            }
            puts.push((index, row, *expect));
        }
        let mut deletes = Vec::with_capacity(changeset.deletes.len());
        for (key, version) in &changeset.deletes {
            let text = key_text(key);
            if !seen.insert(text.clone()) {
                return Err(StoreError::new(StoreErrorKind::Other, text));
            }
            deletes.push((text, *version));
        }
        let mut audit = Vec::with_capacity(changeset.audit.len());
        for event in &changeset.audit {
            let body = serde_json::to_string(event)
                .map_err(|e| StoreError::with_source(StoreErrorKind::Other, "audit event", e))?;
            audit.push((event, body));
        }
        // Writes in key order, so two transactions touching the same rows lock them in the
        // same order and do not deadlock.
        puts.sort_by(|a, b| a.1.key.cmp(&b.1.key));
        deletes.sort();

        let mut tx = self
            .pool
            .begin_with(B::BEGIN_WRITE)
            .await
            .map_err(|e| db_error::<B>("begin", e))?;
        let outcome = apply::<B>(&mut tx, &puts, &deletes, &audit).await;
        match outcome {
            Ok(mut versions) => {
                tx.commit().await.map_err(|e| db_error::<B>("commit", e))?;
                versions.sort_by_key(|(index, _, _)| *index);
                Ok(Committed {
                    versions: versions
                        .into_iter()
                        .map(|(index, _, version)| (changeset.puts[index].0.key(), version))
                        .collect(),
                })
            }
            Err(e) => {
                // Dropping the transaction would roll back too; this returns the connection
                // to the pool clean before the caller retries.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }
}

type Applied = Vec<(usize, String, u64)>;

async fn apply<B: Backend>(
    conn: &mut B::Connection,
    puts: &[(usize, Row, Expect)],
    deletes: &[(String, u64)],
    audit: &[(&AuditEvent, String)],
) -> Result<Applied, StoreError> {
    let e = |context: &str| {
        let context = context.to_owned();
        move |err| db_error::<B>(&context, err)
    };
    // 1. Release the unique keys of records rewritten or deleted; what the new versions
    // claim is claimed again in step 4 (so two records can swap an identifier).
    for key in puts
        .iter()
        .filter(|(_, _, expect)| matches!(expect, Expect::Version(_)))
        .map(|(_, row, _)| &row.key)
        .chain(deletes.iter().map(|(key, _)| key))
    {
        B::exec(conn, RELEASE_UNIQUE, &[key.as_str().into()])
            .await
            .map_err(e(key))?;
        if key.starts_with("grant/") {
            B::exec(conn, RELEASE_NAMES, &[key.as_str().into()])
                .await
                .map_err(e(key))?;
        }
    }
    // 2. Deletes, each at the version it was read at.
    for (key, version) in deletes {
        let changed = B::exec(
            conn,
            DELETE_RECORD,
            &[key.as_str().into(), version_arg(*version, key)?],
        )
        .await
        .map_err(e(key))?;
        if changed == 0 {
            return Err(missing_or_moved::<B>(conn, key).await);
        }
    }
    // 3. Inserts (which must find the key free) and updates (at the version read).
    let mut versions = Vec::with_capacity(puts.len());
    for (index, row, expect) in puts {
        let mut args = row.args();
        let version = match expect {
            Expect::Absent => {
                let changed = B::exec(conn, INSERT_RECORD, &args)
                    .await
                    .map_err(e(&row.key))?;
                if changed == 0 {
                    return Err(StoreError::new(StoreErrorKind::Conflict, row.key.clone()));
                }
                1
            }
            Expect::Version(version) => {
                args.push(version_arg(*version, &row.key)?);
                let changed = B::exec(conn, UPDATE_RECORD, &args)
                    .await
                    .map_err(e(&row.key))?;
                if changed == 0 {
                    return Err(missing_or_moved::<B>(conn, &row.key).await);
                }
                version + 1
            }
        };
        versions.push((*index, row.key.clone(), version));
    }
    // 4. Unique keys: the primary key refuses a second owner.
    for (_, row, _) in puts {
        for unique in &row.unique {
            let claimed = B::exec(
                conn,
                CLAIM_UNIQUE,
                &[unique.as_str().into(), row.key.as_str().into()],
            )
            .await
            .map_err(e(&row.key))?;
            if claimed == 0 {
                return Err(StoreError::new(StoreErrorKind::Duplicate, unique.clone()));
            }
        }
    }
    // 5. What grants name, for ListOf::GrantsNaming.
    for (_, row, _) in puts {
        for name in &row.names {
            B::exec(
                conn,
                INDEX_NAME,
                &[
                    row.org.clone().into(),
                    name.as_str().into(),
                    row.key.as_str().into(),
                ],
            )
            .await
            .map_err(e(&row.key))?;
        }
    }
    // 6. The audit trail, in the changeset's order.
    for (event, body) in audit {
        B::exec(
            conn,
            INSERT_AUDIT,
            &[
                event.org.map(|o| o.to_string()).into(),
                event.subject.map(|s| s.to_string()).into(),
                micros(event.at).into(),
                body.as_str().into(),
            ],
        )
        .await
        .map_err(e("audit"))?;
    }
    Ok(versions)
}

/// After a conditional write changed nothing: was the record missing, or had it moved?
async fn missing_or_moved<B: Backend>(conn: &mut B::Connection, key: &str) -> StoreError {
    match B::fetch(conn, VERSION_OF, &[key.into()]).await {
        Ok(rows) if rows.is_empty() => StoreError::new(StoreErrorKind::NotFound, key),
        Ok(_) => StoreError::new(StoreErrorKind::Conflict, key),
        Err(err) => db_error::<B>(key, err),
    }
}

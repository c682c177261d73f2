-- tenantry schema 1 (SQLite): every record as a JSON document with the columns its queries
-- need promoted beside it, the unique keys (login identifiers, sign-up codes) as rows whose
-- primary key makes the database itself refuse a second owner, and the audit trail.

CREATE TABLE tenantry_records (
    key           TEXT    NOT NULL PRIMARY KEY,
    kind          TEXT    NOT NULL,
    version       INTEGER NOT NULL CHECK (version > 0),
    org_id        TEXT,
    user_id       TEXT,
    group_id      TEXT,
    user_kind     TEXT,
    account_state TEXT,
    due_at        INTEGER,
    created_at    INTEGER,
    body          TEXT    NOT NULL
) WITHOUT ROWID;

CREATE INDEX tenantry_records_by_org   ON tenantry_records (kind, org_id, key)   WHERE org_id IS NOT NULL;
CREATE INDEX tenantry_records_by_user  ON tenantry_records (kind, user_id, key)  WHERE user_id IS NOT NULL;
CREATE INDEX tenantry_records_by_group ON tenantry_records (kind, group_id, key) WHERE group_id IS NOT NULL;
CREATE INDEX tenantry_records_outbox_due ON tenantry_records (due_at, created_at, key) WHERE due_at IS NOT NULL;

CREATE TABLE tenantry_unique_keys (
    unique_key TEXT NOT NULL PRIMARY KEY,
    owner      TEXT NOT NULL REFERENCES tenantry_records (key) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX tenantry_unique_keys_by_owner ON tenantry_unique_keys (owner);

CREATE TABLE tenantry_audit (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     TEXT,
    subject_id TEXT,
    at         INTEGER NOT NULL,
    body       TEXT    NOT NULL
);

CREATE INDEX tenantry_audit_by_org     ON tenantry_audit (org_id, seq)     WHERE org_id IS NOT NULL;
CREATE INDEX tenantry_audit_by_subject ON tenantry_audit (subject_id, seq) WHERE subject_id IS NOT NULL;

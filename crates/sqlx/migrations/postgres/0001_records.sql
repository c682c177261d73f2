-- tenantry schema 1 (PostgreSQL): every record as a JSON document with the columns its queries
-- need promoted beside it, the unique keys (login identifiers, sign-up codes) as rows whose
-- primary key makes the database itself refuse a second owner, and the audit trail. Keys use
-- the "C" collation so that ordering is by bytes, as on SQLite and in the memory store.

CREATE TABLE tenantry_records (
    key           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind          TEXT   NOT NULL,
    version       BIGINT NOT NULL CHECK (version > 0),
    org_id        TEXT COLLATE "C",
    user_id       TEXT COLLATE "C",
    group_id      TEXT COLLATE "C",
    user_kind     TEXT,
    account_state TEXT,
    due_at        BIGINT,
    created_at    BIGINT,
    body          TEXT   NOT NULL
);

CREATE INDEX tenantry_records_by_org   ON tenantry_records (kind, org_id, key)   WHERE org_id IS NOT NULL;
CREATE INDEX tenantry_records_by_user  ON tenantry_records (kind, user_id, key)  WHERE user_id IS NOT NULL;
CREATE INDEX tenantry_records_by_group ON tenantry_records (kind, group_id, key) WHERE group_id IS NOT NULL;
CREATE INDEX tenantry_records_outbox_due ON tenantry_records (due_at, created_at, key) WHERE due_at IS NOT NULL;

CREATE TABLE tenantry_unique_keys (
    unique_key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    owner      TEXT COLLATE "C" NOT NULL REFERENCES tenantry_records (key) ON DELETE CASCADE
);

CREATE INDEX tenantry_unique_keys_by_owner ON tenantry_unique_keys (owner);

CREATE TABLE tenantry_audit (
    seq        BIGSERIAL PRIMARY KEY,
    org_id     TEXT COLLATE "C",
    subject_id TEXT COLLATE "C",
    at         BIGINT NOT NULL,
    body       TEXT   NOT NULL
);

CREATE INDEX tenantry_audit_by_org     ON tenantry_audit (org_id, seq)     WHERE org_id IS NOT NULL;
CREATE INDEX tenantry_audit_by_subject ON tenantry_audit (subject_id, seq) WHERE subject_id IS NOT NULL;

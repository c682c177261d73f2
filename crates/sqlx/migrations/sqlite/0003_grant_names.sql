-- tenantry schema 3 (SQLite): an index of what each grant names, so the last-admin rule
-- reads the grants that can make someone an admin (ListOf::GrantsNaming) without reading
-- every grant of the organization; and the organizations by key, so reading the
-- organization tree does not scan every record. Existing grants are indexed here.

CREATE TABLE tenantry_grant_names (
    org_id     TEXT NOT NULL,
    name       TEXT NOT NULL,
    record_key TEXT NOT NULL,
    PRIMARY KEY (org_id, name, record_key)
) WITHOUT ROWID;

CREATE INDEX tenantry_grant_names_by_record ON tenantry_grant_names (record_key);

INSERT OR IGNORE INTO tenantry_grant_names (org_id, name, record_key)
SELECT r.org_id, 'role:' || j.value, r.key
FROM tenantry_records r, json_each(r.body, '$.record[1].roles') j
WHERE r.kind = 'grant';

INSERT OR IGNORE INTO tenantry_grant_names (org_id, name, record_key)
SELECT r.org_id, 'permission:' || j.value, r.key
FROM tenantry_records r, json_each(r.body, '$.record[1].permissions') j
WHERE r.kind = 'grant';

CREATE INDEX tenantry_records_orgs ON tenantry_records (key) WHERE kind = 'org';

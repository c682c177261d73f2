-- tenantry schema 2 (SQLite): since when a record is stale (an expired token, code or
-- one-time password, an idle attempt record, a message no longer pending), for
-- housekeeping. Records written before this migration get it when next written.

ALTER TABLE tenantry_records ADD COLUMN stale_at INTEGER;

CREATE INDEX tenantry_records_stale ON tenantry_records (kind, stale_at, key) WHERE stale_at IS NOT NULL;

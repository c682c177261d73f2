//! Changesets: everything one use case writes, applied all or nothing.

use crate::records::{AuditEvent, Record, RecordKey};

/// What a write expects of the record it replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The record must not exist yet.
    Absent,
    /// The record must be at this version.
    Version(u64),
}

/// A set of writes and the audit events that describe them. A store applies it in one
/// transaction: every expectation holds and every write lands, or nothing does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changeset {
    /// Records to write, with what each expects.
    pub puts: Vec<(Record, Expect)>,
    /// Records to delete, at the version each must be at.
    pub deletes: Vec<(RecordKey, u64)>,
    /// Audit events to append.
    pub audit: Vec<AuditEvent>,
}

impl Changeset {
    /// An empty changeset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes a new record.
    pub fn insert(&mut self, record: Record) -> &mut Self {
        self.puts.push((record, Expect::Absent));
        self
    }

    /// Replaces a record read at `version`.
    pub fn update(&mut self, record: Record, version: u64) -> &mut Self {
        self.puts.push((record, Expect::Version(version)));
        self
    }

    /// Writes `record`, new when `version` is `None`.
    pub fn put(&mut self, record: Record, version: Option<u64>) -> &mut Self {
        self.puts
            .push((record, version.map_or(Expect::Absent, Expect::Version)));
        self
    }

    /// Deletes a record read at `version`.
    pub fn delete(&mut self, key: RecordKey, version: u64) -> &mut Self {
        self.deletes.push((key, version));
        self
    }

    /// Appends an audit event.
    pub fn audit(&mut self, event: AuditEvent) -> &mut Self {
        self.audit.push(event);
        self
    }

    /// Whether it writes nothing.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty() && self.audit.is_empty()
    }
}

/// What a commit wrote: every put record's key and new version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// Keys and versions, in the order of the changeset's puts.
    pub versions: Vec<(RecordKey, u64)>,
}

//! Storage errors, with a kind the service can react to without knowing the backend.

use std::error::Error as StdError;
use std::fmt;

/// What kind of storage failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// A version the changeset expected has moved (or a record expected new exists): re-read
    /// and decide again.
    Conflict,
    /// A unique identifier (email, username, external id, sign-up code) is taken.
    Duplicate,
    /// A record the changeset expected is missing.
    NotFound,
    /// The backend cannot be reached right now; retrying later may work.
    Unavailable,
    /// Anything else.
    Other,
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreErrorKind::Conflict => "conflict",
            StoreErrorKind::Duplicate => "duplicate",
            StoreErrorKind::NotFound => "not found",
            StoreErrorKind::Unavailable => "unavailable",
            StoreErrorKind::Other => "storage error",
        })
    }
}

/// A storage failure: its kind, what it concerns, and the backend's error as the source.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    context: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl StoreError {
    /// A new error of `kind` about `context` (a record key, a constraint name; never a secret).
    pub fn new(kind: StoreErrorKind, context: impl Into<String>) -> Self {
        Self {
            kind,
            context: context.into(),
            source: None,
        }
    }

    /// The same, carrying the backend's error.
    pub fn with_source(
        kind: StoreErrorKind,
        context: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// What it concerns.
    pub fn context(&self) -> &str {
        &self.context
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.context)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

//! SCIM error responses and the mapping of library errors onto them.

use serde_json::json;
use tenantry::DirectoryError;

use super::*;
use crate::schema::ERROR;
use crate::user::MappingError;

/// A SCIM error response (RFC 7644 §3.12).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {}: {detail}", scim_type.unwrap_or(""))]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    /// SCIM's `scimType`, for 400s and 409s.
    pub scim_type: Option<&'static str>,
    /// What went wrong.
    pub detail: String,
}

impl ScimError {
    pub(super) fn new(
        status: u16,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    pub(super) fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }
    pub(super) fn not_found(what: &str) -> Self {
        Self::new(404, None, format!("{what} not found"))
    }

    /// The error as a response.
    pub fn response(&self) -> ScimResponse {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        ScimResponse {
            status: self.status,
            etag: None,
            location: None,
            body: Some(body),
        }
    }
}

impl From<MappingError> for ScimError {
    fn from(e: MappingError) -> Self {
        Self::bad("invalidValue", format!("{}: {}", e.attribute, e.problem))
    }
}

impl From<crate::patch::PatchError> for ScimError {
    fn from(e: crate::patch::PatchError) -> Self {
        Self::bad(e.scim_type, e.detail)
    }
}

impl From<crate::filter::FilterError> for ScimError {
    fn from(e: crate::filter::FilterError) -> Self {
        Self::bad("invalidFilter", e.to_string())
    }
}

impl From<DirectoryError> for ScimError {
    fn from(e: DirectoryError) -> Self {
        match &e {
            DirectoryError::NotFound(what) => Self::not_found(what),
            DirectoryError::Denied(_)
            | DirectoryError::Refused(_)
            | DirectoryError::CallerMayNotAct => Self::new(403, None, e.to_string()),
            DirectoryError::IdentifierTaken => Self::new(409, Some("uniqueness"), e.to_string()),
            DirectoryError::Store(s) if s.kind() == tenantry::StoreErrorKind::Conflict => {
                Self::new(409, None, "changed concurrently; read it again")
            }
            DirectoryError::Contended => Self::new(409, None, e.to_string()),
            DirectoryError::Store(_) => {
                tracing::error!(error = %e, "SCIM request failed in the store");
                Self::new(500, None, "the store failed")
            }
            DirectoryError::Lifecycle(_) => Self::bad("invalidValue", e.to_string()),
            _ => Self::bad("invalidValue", e.to_string()),
        }
    }
}

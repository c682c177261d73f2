//! Self sign-up: the policy, department sign-up links, and where a new user lands.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_identity::{DepartmentId, Email, EmailDomain, JobProfileId, OrgId, SignUpCode};

use crate::error::{LifecycleError, SignUpProblem};

/// What a self-signed-up user gets assigned (the workforce platform's defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Placement {
    /// The key of the role ("permission type") to grant, from the host's catalog.
    pub permission_type: Option<String>,
    /// The job profile.
    pub job_profile: Option<JobProfileId>,
    /// The department.
    pub department: Option<DepartmentId>,
}

/// Whether users pick their department on the sign-up form (workforce platform).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "departments", rename_all = "snake_case")]
pub enum DepartmentChoice {
    /// The default department of the policy (or of the link) is used.
    #[default]
    Default,
    /// The user must choose one of these.
    UserChooses(BTreeSet<DepartmentId>),
}

/// Self sign-up for one organization.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignUpPolicy {
    /// Users may create their own accounts ("Don't have an account? Create one now!").
    pub enabled: bool,
    /// New accounts wait for staff approval (the help desk's pending state).
    pub needs_approval: bool,
    /// If not empty, only addresses on these domains may sign up.
    pub allowed_email_domains: Vec<EmailDomain>,
    /// Defaults for every sign-up without a link.
    pub defaults: Placement,
    /// Whether the user picks the department.
    pub department_choice: DepartmentChoice,
    /// Guests may join by themselves (the social intranet's "Guest access" in "Joining the network").
    pub guest_self_join: bool,
}

/// A department's sign-up link or QR code: its code, and the defaults it carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpLink {
    /// The code in the URL.
    pub code: SignUpCode,
    /// The organization.
    pub org: OrgId,
    /// The department sign-ups through this link join.
    pub department: DepartmentId,
    /// Overrides the policy's default job profile.
    pub job_profile: Option<JobProfileId>,
    /// Overrides the policy's default permission type.
    pub permission_type: Option<String>,
    /// After this the link is refused.
    pub expires_at: Option<DateTime<Utc>>,
    /// Switched off by staff.
    pub revoked: bool,
}

impl SignUpLink {
    /// The link's URL under the host's configured public base URL (never a request's Host
    /// header): `{base}/signup/{code}`.
    pub fn url(&self, base_url: &str) -> String {
        sign_up_url(base_url, &self.code)
    }

    /// The link's URL as a QR code, for posters (feature `qr`).
    #[cfg(feature = "qr")]
    pub fn qr_code(&self, base_url: &str) -> Result<crate::QrCode, crate::QrError> {
        crate::QrCode::encode(&self.url(base_url))
    }
}

/// The URL of the sign-up link with `code` under the host's public base URL:
/// `{base}/signup/{code}`.
pub fn sign_up_url(base_url: &str, code: &SignUpCode) -> String {
    format!("{}/signup/{}", base_url.trim_end_matches('/'), code)
}

/// What a person entered on the sign-up form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignUpRequest {
    /// Their email, if they gave one (the workforce platform also allows username + phone).
    pub email: Option<Email>,
    /// The department they picked, if the form offered a choice.
    pub chosen_department: Option<DepartmentId>,
    /// They join as a guest.
    pub as_guest: bool,
}

impl SignUpPolicy {
    /// Decides where a sign-up for `org` lands, through `link` if they came by one, or refuses.
    pub fn place(
        &self,
        org: OrgId,
        request: &SignUpRequest,
        link: Option<&SignUpLink>,
        now: DateTime<Utc>,
    ) -> Result<Placement, LifecycleError> {
        let refuse = |p| Err(LifecycleError::SignUp(p));
        if request.as_guest {
            if !self.guest_self_join {
                return refuse(SignUpProblem::GuestJoinDisabled);
            }
        } else if !self.enabled {
            return refuse(SignUpProblem::Disabled);
        }
        if !self.allowed_email_domains.is_empty() {
            let Some(email) = &request.email else {
                return refuse(SignUpProblem::EmailRequired);
            };
            if !self
                .allowed_email_domains
                .iter()
                .any(|d| d.as_str() == email.domain())
            {
                return refuse(SignUpProblem::DomainNotAllowed);
            }
        }
        let mut placement = self.defaults.clone();
        if let Some(link) = link {
            if link.org != org {
                return refuse(SignUpProblem::LinkForOtherOrg(link.org));
            }
            if link.revoked {
                return refuse(SignUpProblem::LinkRevoked);
            }
            if link.expires_at.is_some_and(|at| now >= at) {
                return refuse(SignUpProblem::LinkExpired);
            }
            placement.department = Some(link.department);
            if link.job_profile.is_some() {
                placement.job_profile = link.job_profile;
            }
            if link.permission_type.is_some() {
                placement.permission_type.clone_from(&link.permission_type);
            }
            return Ok(placement);
        }
        if let DepartmentChoice::UserChooses(allowed) = &self.department_choice {
            match request.chosen_department {
                None => return refuse(SignUpProblem::DepartmentRequired),
                Some(d) if !allowed.contains(&d) => {
                    return refuse(SignUpProblem::DepartmentNotSelectable(d));
                }
                Some(d) => placement.department = Some(d),
            }
        }
        Ok(placement)
    }
}

//! The policy the state machine and sign-up follow, per organization.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::signup::SignUpPolicy;

/// How accounts of one organization move through their life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecyclePolicy {
    /// Self sign-up (and with it, self reactivation of inactive accounts).
    pub sign_up: SignUpPolicy,
    /// Accounts are created on the first single sign-on (workforce platform).
    pub sso_just_in_time: bool,
    /// How long invitations and activation links stay valid, in seconds (default 7 days).
    pub invitation_ttl_secs: i64,
}

impl LifecyclePolicy {
    /// The default validity of invitations: 7 days.
    pub const DEFAULT_INVITATION_TTL: Duration = Duration::days(7);

    /// The invitation validity as a duration.
    pub fn invitation_ttl(&self) -> Duration {
        Duration::seconds(self.invitation_ttl_secs)
    }
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        Self {
            sign_up: SignUpPolicy::default(),
            sso_just_in_time: false,
            invitation_ttl_secs: Self::DEFAULT_INVITATION_TTL.num_seconds(),
        }
    }
}

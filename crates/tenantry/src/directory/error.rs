//! Why a use case failed: [`DirectoryError`] and, for refusals, [`DenialReason`].

use super::*;

/// Why [`DirectoryError::Denied`] was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenialReason {
    /// The access check said no: the caller does not hold `permission` at `target`.
    Permission {
        /// The permission checked (the catalog's admin permission for admin actions).
        permission: tenantry_access::PermissionKey,
        /// Where it was checked.
        target: Target,
        /// The resolver's reason.
        denial: tenantry_access::Denial,
        /// The resolver's explanation, as a sentence for logs and admin screens.
        explanation: String,
    },
    /// The caller does not administer the organization of the user acted on (also the
    /// answer for an unknown user, so that ids of other tenants stay unknown).
    NotAdminOfUser,
    /// The user acted on holds a permission the caller does not, somewhere its grants
    /// reach: the caller may not take the account over.
    UserHoldsMore,
    /// The account acted on may not sign in, so it cannot be signed in as.
    AccountMayNotSignIn,
    /// "Log in as" needs a reason for the audit log.
    ReasonRequired,
    /// Only the system sets a root organization's entitlements.
    RootEntitlements,
    /// The user belongs to another organization than the one acted in.
    OtherOrganization {
        /// The user.
        user: UserId,
    },
}

impl std::fmt::Display for DenialReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DenialReason::Permission { explanation, .. } => {
                // The resolver's sentence starts "denied: ", as the error's message does.
                f.write_str(explanation.strip_prefix("denied: ").unwrap_or(explanation))
            }
            DenialReason::NotAdminOfUser => {
                f.write_str("the caller does not administer the user's organization")
            }
            DenialReason::UserHoldsMore => {
                f.write_str("the user holds permissions the caller does not")
            }
            DenialReason::AccountMayNotSignIn => f.write_str("the account may not sign in"),
            DenialReason::ReasonRequired => f.write_str("a reason is required"),
            DenialReason::RootEntitlements => {
                f.write_str("only the system sets a root organization's entitlements")
            }
            DenialReason::OtherOrganization { user } => {
                write!(f, "user {user} belongs to another organization")
            }
        }
    }
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record the use case needs does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The user has no mailbox to send to (a PIN user, or a user known by username and
    /// phone only), nor a phone where a text message would do.
    #[error("the user has no mailbox to send to")]
    NoMailbox,
    /// The caller may not do this; the reason says why, in a form a program can match.
    #[error("denied: {0}")]
    Denied(DenialReason),
    /// The calling user's account may not sign in (invited and not yet activated, pending,
    /// inactive, blocked, deleted, or of a kind that never signs in): it acts for nobody.
    #[error("the caller's account may not act")]
    CallerMayNotAct,
    /// An access guard refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The catalog does not know a key.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The lifecycle refused.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// A credential operation failed (including password policy refusals).
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// A model rule would break.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A value is invalid.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A spreadsheet could not be written or read.
    #[error(transparent)]
    Tabular(#[from] tenantry_tabular::TabularError),
    /// A revocation of what the grant does not hold (none of it): nothing is written or
    /// audited. Two admins revoking the same thing at once: the second gets this.
    #[error("the grant holds none of what is revoked")]
    NotHeld,
    /// A login identifier of the new or changed user belongs to someone else.
    #[error("an identifier is already taken")]
    IdentifierTaken,
    /// An argument is malformed (a message subject too long, a topic key with spaces).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which argument.
        field: &'static str,
        /// What it must be.
        reason: &'static str,
    },
    /// Sign-in failed. The same answer whether the account exists or not.
    #[error("invalid identifier or password")]
    InvalidCredentials,
    /// Too many failed sign-ins for this identifier; try again later.
    #[error("too many attempts; try again after {until}")]
    Throttled {
        /// When the next attempt is allowed.
        until: DateTime<Utc>,
    },
    /// The identifier failed [`tenantry_credentials::ThrottlePolicy::max_consecutive`] times
    /// in a row (100 at most, however spread out): no attempt is accepted until a password
    /// reset (or another proof) succeeds.
    #[error("too many failed attempts; reset the password to continue")]
    Suspended,
    /// The link is invalid, used or expired (one answer for all three).
    #[error("the link is invalid or has expired")]
    InvalidLink,
    /// The account has no password yet: this step needs one.
    #[error("a password must be chosen")]
    PasswordRequired,
    /// A single sign-on login was refused: the identity belongs to no user of the
    /// organization the provider is configured for, just-in-time provisioning is off, or
    /// the account may not sign in (one answer for all).
    #[error("single sign-on refused")]
    SsoRefused,
    /// The password was right, but an admin set it: the user must choose their own with
    /// [`Directory::change_password`] before signing in.
    #[error("the password must be changed before signing in")]
    PasswordChangeRequired,
    /// Others kept changing the same records; the use case gave up.
    #[error("the change kept conflicting with concurrent changes; try again")]
    Contended,
}

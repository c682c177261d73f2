//! The crate's error.

use crate::policy::PolicyViolation;

/// Why a credential operation failed. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// A password longer than the hard cap (before any policy): refused, never truncated.
    #[error("password is longer than {max} bytes")]
    PasswordTooLong {
        /// The cap, in bytes.
        max: usize,
    },
    /// A password that breaks the policy.
    #[error("password refused: {0}")]
    Policy(PolicyViolation),
    /// A stored password hash that does not parse as a PHC string.
    #[error("stored password hash is malformed")]
    MalformedHash,
    /// A stored hash of an algorithm other than argon2id.
    #[error("stored password hash uses an unsupported algorithm")]
    UnsupportedAlgorithm,
    /// Stored hash parameters beyond what this crate will compute (a tampered record could
    /// otherwise make one verification take gigabytes).
    #[error("stored password hash parameters exceed the allowed maximum")]
    ParametersTooCostly,
    /// Hash parameters argon2 refuses.
    #[error("invalid argon2 parameters")]
    InvalidParameters,
    /// The PIN has the wrong form (digits only, at least 6).
    #[error("a PIN must be {min} to {max} digits")]
    MalformedPin {
        /// Fewest digits.
        min: usize,
        /// Most digits.
        max: usize,
    },
    /// A sealed PIN that does not decrypt with the keys given, or belongs to another user.
    #[error("sealed PIN cannot be opened with the keys given")]
    UnsealFailed,
    /// A sealed PIN that does not parse.
    #[error("sealed PIN is malformed")]
    MalformedSealedPin,
    /// A PIN key of the wrong length or all zeros, or no PIN key where one is needed.
    #[error("a PIN key is 32 random bytes (not all zero), and one is needed here")]
    InvalidKey,
    /// The PIN is locked after too many failures, until an admin resets it.
    #[error("PIN is locked after too many failed attempts")]
    PinLocked,
    /// A token, code or one-time password that does not match.
    #[error("the {0} does not match")]
    Mismatch(&'static str),
    /// Past its expiry.
    #[error("the {0} has expired")]
    Expired(&'static str),
    /// Used already.
    #[error("the {0} was used already")]
    AlreadyUsed(&'static str),
    /// A token presented for another purpose than it was issued for.
    #[error("the token was issued for another purpose")]
    WrongPurpose,
    /// A token presented for another user than it was issued for.
    #[error("the token was issued for another user")]
    WrongUser,
    /// Too many wrong attempts at a verification code.
    #[error("too many attempts; request a new code later")]
    TooManyAttempts,
    /// A configured base URL that cannot carry links.
    #[error("base URL must be an absolute http(s) URL without query or fragment")]
    InvalidBaseUrl,
    /// A duration or count outside what the setting allows.
    #[error("invalid setting: {0}")]
    InvalidSetting(&'static str),
}

//! The password policy of NIST SP 800-63B-4: length, a blocklist, context words; no
//! composition rules.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::CredentialError;
use crate::password::MAX_PASSWORD_BYTES;
use crate::secret::Password;

/// The common passwords shipped with the crate: Django's list of 19,640 (see
/// `data/common-passwords.LICENSE`), lowercased.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(|l| l.trim().to_lowercase())
        .collect()
});

/// Which rule a password broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PolicyViolation {
    /// Fewer characters than the minimum.
    #[error("it must have at least {min} characters")]
    TooShort {
        /// The minimum, in characters.
        min: usize,
    },
    /// More characters than the maximum.
    #[error("it must have at most {max} characters")]
    TooLong {
        /// The maximum, in characters.
        max: usize,
    },
    /// On the list of common passwords, alone or with digits and symbols added at the end.
    #[error("it is a commonly used password")]
    Common,
    /// One short piece repeated ("abcabcabcabcabc").
    #[error("it repeats the same few characters")]
    Repetitive,
    /// Contains the user's name, email, username or organization.
    #[error("it contains the {0}")]
    ContainsContext(ContextKind),
}

/// What a context word came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContextKind {
    /// The user's first or last name.
    Name,
    /// The user's email address.
    Email,
    /// The username.
    Username,
    /// The organization or product name.
    Organization,
}

impl fmt::Display for ContextKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextKind::Name => "user's name",
            ContextKind::Email => "email address",
            ContextKind::Username => "username",
            ContextKind::Organization => "organization's name",
        })
    }
}

/// Words a password must not contain: the user's and the organization's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyContext {
    words: Vec<(ContextKind, String)>,
}

impl PolicyContext {
    /// Shortest word that counts (shorter ones match too much by chance).
    pub const MIN_WORD_CHARS: usize = 4;

    /// No context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the words of `text` (split at anything not a letter or digit) as `kind`.
    pub fn add(&mut self, kind: ContextKind, text: &str) -> &mut Self {
        for word in text
            .nfkc()
            .collect::<String>()
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
        {
            if word.chars().count() >= Self::MIN_WORD_CHARS {
                self.words.push((kind, word.to_owned()));
            }
        }
        self
    }

    /// Adds an email address: its local part and its domain's first label.
    pub fn add_email(&mut self, email: &str) -> &mut Self {
        let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
        self.add(ContextKind::Email, local);
        self.add(ContextKind::Email, domain.split('.').next().unwrap_or(""))
    }
}

/// A password policy. The default follows NIST SP 800-63B-4 for passwords used as a single
/// factor: at least 15 characters, at most 128 (at least 64 must be allowed), no composition
/// rules, a blocklist, context words refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode code points after NFKC normalisation).
    pub min_chars: usize,
    /// Most characters.
    pub max_chars: usize,
    /// Refuse common passwords.
    pub blocklist: bool,
    /// Refuse context words.
    pub refuse_context: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 15,
            max_chars: 128,
            blocklist: true,
            refuse_context: true,
        }
    }
}

impl PasswordPolicy {
    /// NIST's floor: 8 characters, acceptable only where the password is one of two factors.
    pub const MIN_ALLOWED_CHARS: usize = 8;
    /// NIST's floor for the maximum: at least 64 characters must be accepted.
    pub const MIN_MAX_CHARS: usize = 64;

    /// Checks the policy itself is sound (minimum at least 8, maximum at least 64 and not
    /// beyond the hard byte cap).
    pub fn validate(&self) -> Result<(), CredentialError> {
        if self.min_chars < Self::MIN_ALLOWED_CHARS {
            return Err(CredentialError::InvalidSetting(
                "password minimum below 8 characters",
            ));
        }
        if self.max_chars < Self::MIN_MAX_CHARS || self.max_chars < self.min_chars {
            return Err(CredentialError::InvalidSetting(
                "password maximum below 64 characters or below the minimum",
            ));
        }
        if self.max_chars > MAX_PASSWORD_BYTES / 4 * 4 {
            return Err(CredentialError::InvalidSetting(
                "password maximum beyond the hard cap",
            ));
        }
        Ok(())
    }

    /// Checks `password`; the error names the first rule it breaks.
    pub fn check(
        &self,
        password: &Password,
        context: &PolicyContext,
    ) -> Result<(), CredentialError> {
        let norm = crate::password::normalized(password)?;
        let chars = norm.chars().count();
        if chars < self.min_chars {
            return Err(CredentialError::Policy(PolicyViolation::TooShort {
                min: self.min_chars,
            }));
        }
        if chars > self.max_chars {
            return Err(CredentialError::Policy(PolicyViolation::TooLong {
                max: self.max_chars,
            }));
        }
        let lower = norm.to_lowercase();
        if self.blocklist && is_common(&lower) {
            return Err(CredentialError::Policy(PolicyViolation::Common));
        }
        if is_repetitive(&lower) {
            return Err(CredentialError::Policy(PolicyViolation::Repetitive));
        }
        if self.refuse_context
            && let Some((kind, _)) = context
                .words
                .iter()
                .find(|(_, w)| lower.contains(w.as_str()))
        {
            return Err(CredentialError::Policy(PolicyViolation::ContainsContext(
                *kind,
            )));
        }
        Ok(())
    }
}

/// On the list as it is, or once trailing digits and symbols are removed ("iloveyou2024!!!").
fn is_common(lower: &str) -> bool {
    if COMMON.contains(lower) {
        return true;
    }
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    stem.chars().count() >= 4 && stem.len() < lower.len() && COMMON.contains(stem)
}

/// One unit of 1 to 4 characters repeated to the whole length.
fn is_repetitive(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    (1..=4).any(|unit| {
        chars.len() > unit
            && chars.len().is_multiple_of(unit)
            && chars.chunks(unit).all(|c| c == &chars[..unit])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<(), CredentialError> {
        PasswordPolicy::default().check(&Password::new(p), &PolicyContext::new())
    }

    fn violation(p: &str) -> PolicyViolation {
        match check(p) {
            Err(CredentialError::Policy(v)) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(violation("short"), PolicyViolation::TooShort { min: 15 });
        assert!(check("correct horse battery").is_ok());
        // 15 umlauts are 30 bytes but 15 characters.
        assert!(check("äöüäöüäößßéèêëç").is_ok());
        assert_eq!(
            violation(&"xy1".repeat(50)),
            PolicyViolation::TooLong { max: 128 }
        );
        // No composition rules: all lowercase letters and spaces is fine.
        assert!(check("purple monkey dishwasher").is_ok());
    }

    #[test]
    fn common_and_repetitive_passwords_are_refused() {
        let weak = PasswordPolicy {
            min_chars: 8,
            ..Default::default()
        };
        let ctx = PolicyContext::new();
        for p in ["password", "Password", "qwertyuiop", "iloveyou"] {
            assert_eq!(
                weak.check(&Password::new(p), &ctx),
                Err(CredentialError::Policy(PolicyViolation::Common)),
                "{p}"
            );
        }
        assert_eq!(violation("iloveyou12345678"), PolicyViolation::Common);
        assert_eq!(violation("Password2024!!!!"), PolicyViolation::Common);
        assert_eq!(violation("1q2w3e4r5t6y7u8i9o0p"), PolicyViolation::Common);
        assert_eq!(violation("aaaaaaaaaaaaaaaa"), PolicyViolation::Repetitive);
        assert_eq!(violation("abcdabcdabcdabcd"), PolicyViolation::Repetitive);
        assert!(check("abcdeabcdeabcdeX").is_ok());
    }

    #[test]
    fn context_words_are_refused() {
        let mut ctx = PolicyContext::new();
        ctx.add(ContextKind::Name, "Jürgen Weiß")
            .add_email("j.weiss@acme-corp.example")
            .add(ContextKind::Organization, "Acme");
        let policy = PasswordPolicy::default();
        let refused = |p: &str| policy.check(&Password::new(p), &ctx).unwrap_err();
        assert_eq!(
            refused("my name is JÜRGEN really"),
            CredentialError::Policy(PolicyViolation::ContainsContext(ContextKind::Name))
        );
        assert_eq!(
            refused("weiss family holidays"),
            CredentialError::Policy(PolicyViolation::ContainsContext(ContextKind::Email))
        );
        assert_eq!(
            refused("acme rocket skates 2026"),
            CredentialError::Policy(PolicyViolation::ContainsContext(ContextKind::Email))
        );
        // Short words do not count ("j" of the email).
        assert!(
            policy
                .check(&Password::new("just a long phrase here"), &ctx)
                .is_ok()
        );
    }

    #[test]
    fn hard_cap_and_policy_validation() {
        let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(
            check(&huge),
            Err(CredentialError::PasswordTooLong {
                max: MAX_PASSWORD_BYTES
            })
        );
        assert!(PasswordPolicy::default().validate().is_ok());
        assert!(
            PasswordPolicy {
                min_chars: 6,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            PasswordPolicy {
                max_chars: 32,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            PasswordPolicy {
                min_chars: 100,
                max_chars: 80,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(COMMON.len() > 19_000);
        assert!(COMMON.contains("123456"));
    }
}

//! Departments with their sign-up link codes, and job profiles (workforce platform).

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Problem, ValueError, ValueKind};
use crate::ids::{DepartmentId, JobProfileId, OrgId};
use crate::text::Name;

/// A department of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// The id.
    pub id: DepartmentId,
    /// The organization.
    pub org: OrgId,
    /// Its name.
    pub name: Name,
    /// The code of its sign-up link or QR code, when it has one.
    pub sign_up_code: Option<SignUpCode>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The stored version.
    #[serde(default)]
    pub version: u64,
}

/// A job profile (the workforce platform: assigned on creation, defaulted on self sign-up).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProfile {
    /// The id.
    pub id: JobProfileId,
    /// The organization.
    pub org: OrgId,
    /// Its name.
    pub name: Name,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The stored version.
    #[serde(default)]
    pub version: u64,
}

/// The code in a department's sign-up link or QR code: 16 to 64 characters of the URL-safe
/// alphabet `A-Z a-z 0-9 - _`, so it fits a URL path unescaped.
///
/// Generated codes carry 128 random bits; they are not secrets (they are printed on posters)
/// but cannot be guessed, so only people who saw the poster or link find the sign-up page.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SignUpCode(String);

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl SignUpCode {
    /// Fewest characters.
    pub const MIN_CHARS: usize = 16;
    /// Most characters.
    pub const MAX_CHARS: usize = 64;

    /// A fresh code: 128 random bits from `rng`, 22 URL-safe characters.
    pub fn generate(rng: &mut (impl Rng + ?Sized)) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        let value = u128::from_be_bytes(bytes);
        let code: String = (0..22)
            .map(|i| char::from(URL_SAFE[((value >> (i * 6)) & 63) as usize]))
            .collect();
        Self(code)
    }

    /// Validates a code read from a URL or from storage.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let err = |problem| ValueError::new(ValueKind::SignUpCode, problem);
        let input = input.trim();
        if input.is_empty() {
            return Err(err(Problem::Empty));
        }
        if let Some(ch) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(err(if ch.is_control() {
                Problem::ControlCharacter
            } else {
                Problem::InvalidCharacter { ch }
            }));
        }
        if input.len() < Self::MIN_CHARS {
            return Err(err(Problem::TooShort {
                min: Self::MIN_CHARS,
            }));
        }
        if input.len() > Self::MAX_CHARS {
            return Err(err(Problem::TooLong {
                max: Self::MAX_CHARS,
                unit: "characters",
            }));
        }
        Ok(Self(input.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text::string_value_impls!(SignUpCode, 0);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn generated_codes_are_url_safe_distinct_and_parse() {
        let mut rng = StdRng::seed_from_u64(5);
        let a = SignUpCode::generate(&mut rng);
        let b = SignUpCode::generate(&mut rng);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(SignUpCode::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn refuses_bad_codes() {
        let p = |s: &str| SignUpCode::parse(s).unwrap_err().problem;
        assert_eq!(p(""), Problem::Empty);
        assert_eq!(p("short"), Problem::TooShort { min: 16 });
        assert_eq!(
            p("abcdefghijklmnop/"),
            Problem::InvalidCharacter { ch: '/' }
        );
        assert_eq!(p("abcdefgh\u{0}ijklmnop"), Problem::ControlCharacter);
        assert_eq!(
            p(&"a".repeat(65)),
            Problem::TooLong {
                max: 64,
                unit: "characters"
            }
        );
    }
}

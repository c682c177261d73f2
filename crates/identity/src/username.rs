//! Usernames: the sign-in name of users without an email (the workforce platform's "username + phone").

use serde::{Deserialize, Serialize};

use crate::error::{Problem, ValueError, ValueKind};

/// A username: 3 to 64 characters of ASCII letters, digits, `.`, `_` and `-`, starting with
/// a letter or digit.
///
/// It never contains `@`, so a sign-in form can tell a username from an email address (see
/// [`crate::LoginIdentifier::parse`]). The case is kept for display; uniqueness and look-up
/// use [`Username::key`], the lowercased form. ASCII only, so that look-alike letters from
/// other scripts cannot impersonate another user.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Fewest characters.
    pub const MIN_CHARS: usize = 3;
    /// Most characters.
    pub const MAX_CHARS: usize = 64;

    /// Validates `input` (trimmed first).
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let err = |problem| ValueError::new(ValueKind::Username, problem);
        let input = input.trim();
        if input.is_empty() {
            return Err(err(Problem::Empty));
        }
        if input.chars().any(char::is_control) {
            return Err(err(Problem::ControlCharacter));
        }
        if let Some(ch) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(err(Problem::InvalidCharacter { ch }));
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
        if !input.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(err(Problem::MustStartAlphanumeric));
        }
        Ok(Self(input.to_owned()))
    }

    /// The username as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercased username: the key under which usernames are unique and looked up.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

crate::text::string_value_impls!(Username, 0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_usernames_and_keys_them_lowercase() {
        let u = Username::parse(" Max.Mustermann_2 ").unwrap();
        assert_eq!(u.as_str(), "Max.Mustermann_2");
        assert_eq!(u.key(), "max.mustermann_2");
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse("0-worker").is_ok());
    }

    #[test]
    fn refuses_with_reasons() {
        let p = |s: &str| Username::parse(s).unwrap_err().problem;
        assert_eq!(p(""), Problem::Empty);
        assert_eq!(p("ab"), Problem::TooShort { min: 3 });
        assert_eq!(
            p(&"a".repeat(65)),
            Problem::TooLong {
                max: 64,
                unit: "characters"
            }
        );
        assert_eq!(p("ann@example.com"), Problem::InvalidCharacter { ch: '@' });
        assert_eq!(p("ann lee"), Problem::InvalidCharacter { ch: ' ' });
        assert_eq!(p("аnn"), Problem::InvalidCharacter { ch: 'а' }); // Cyrillic a
        assert_eq!(p(".ann"), Problem::MustStartAlphanumeric);
        assert_eq!(p("_ann"), Problem::MustStartAlphanumeric);
        assert_eq!(p("an\tn"), Problem::ControlCharacter);
    }
}

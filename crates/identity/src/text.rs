//! Plain validated text values: names, display names, external ids, avatar references and
//! free-form attributes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Problem, ValueError, ValueKind};

/// Trims `input` and checks it is non-empty, free of control characters and at most
/// `max_chars` characters long. The shared rule behind every text value of this crate.
pub(crate) fn clean_text(
    input: &str,
    kind: ValueKind,
    max_chars: usize,
) -> Result<String, ValueError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ValueError::new(kind, Problem::Empty));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ValueError::new(kind, Problem::ControlCharacter));
    }
    if trimmed.chars().count() > max_chars {
        return Err(ValueError::new(
            kind,
            Problem::TooLong {
                max: max_chars,
                unit: "characters",
            },
        ));
    }
    Ok(trimmed.to_owned())
}

/// Implements `Display`, `Debug`, `FromStr`, `TryFrom<String>`, `From<T> for String` and
/// `AsRef<str>` for a validated string newtype with `parse(&str)` and `as_str()`; `$field` is
/// the field holding the text.
macro_rules! string_value_impls {
    ($name:ident, $field:tt) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ValueError;
            fn from_str(s: &str) -> Result<Self, $crate::ValueError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::ValueError;
            fn try_from(s: String) -> Result<Self, $crate::ValueError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.$field
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}
pub(crate) use string_value_impls;

/// Defines a newtype over `String` that is validated by [`clean_text`] on construction and
/// deserialization.
macro_rules! text_value {
    ($(#[$meta:meta])* $name:ident, $kind:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The longest value accepted, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Validates `input`: trimmed, not empty, no control characters, at most
            /// [`Self::MAX_CHARS`] characters.
            pub fn parse(input: &str) -> Result<Self, ValueError> {
                clean_text(input, $kind, $max).map(Self)
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_value_impls!($name, 0);
    };
}

text_value!(
    /// A first or last name: trimmed, at most 100 characters, any script.
    NamePart,
    ValueKind::NamePart,
    100
);
text_value!(
    /// The name shown for a user: trimmed, at most 200 characters.
    DisplayName,
    ValueKind::DisplayName,
    200
);
text_value!(
    /// The name of an organization, group, location, department or job profile.
    Name,
    ValueKind::Name,
    200
);
text_value!(
    /// An id another system knows the user by (an HR number, a CRM id, SCIM's `externalId`).
    /// Case-sensitive, compared exactly; at most 255 characters.
    ExternalId,
    ValueKind::ExternalId,
    255
);
text_value!(
    /// A reference to an avatar image held by the host (a URL or a storage key); tenantry
    /// never fetches it.
    AvatarRef,
    ValueKind::AvatarRef,
    2048
);

/// Free-form profile attributes the host defines (a cost centre, a shirt size).
///
/// Keys are 1 to 64 characters of `a-z`, `0-9`, `_`, `.` and `-`, starting with a letter;
/// values are text of at most 4,096 characters; at most 64 entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct Attributes(BTreeMap<String, String>);

impl Attributes {
    /// Most entries.
    pub const MAX_ENTRIES: usize = 64;
    /// Longest key, in characters.
    pub const MAX_KEY_CHARS: usize = 64;
    /// Longest value, in characters.
    pub const MAX_VALUE_CHARS: usize = 4096;

    /// No attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value` after validating both; returns the previous value.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<Option<String>, ValueError> {
        let key = Self::check_key(key)?;
        let value = clean_value(value)?;
        if !self.0.contains_key(&key) && self.0.len() >= Self::MAX_ENTRIES {
            return Err(ValueError::new(
                ValueKind::Attribute,
                Problem::TooMany {
                    max: Self::MAX_ENTRIES,
                },
            ));
        }
        Ok(self.0.insert(key, value))
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Every attribute, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn check_key(key: &str) -> Result<String, ValueError> {
        let err = |problem| ValueError::new(ValueKind::Attribute, problem);
        if key.is_empty() {
            return Err(err(Problem::Empty));
        }
        if key.chars().count() > Self::MAX_KEY_CHARS {
            return Err(err(Problem::TooLong {
                max: Self::MAX_KEY_CHARS,
                unit: "characters",
            }));
        }
        if let Some(ch) = key.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
        }) {
            return Err(err(Problem::InvalidCharacter { ch }));
        }
        if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(err(Problem::MustStartAlphanumeric));
        }
        Ok(key.to_owned())
    }
}

/// Attribute values may be empty or contain newlines (a postal address), but no other
/// control characters.
fn clean_value(value: &str) -> Result<String, ValueError> {
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ValueError::new(
            ValueKind::Attribute,
            Problem::ControlCharacter,
        ));
    }
    if value.chars().count() > Attributes::MAX_VALUE_CHARS {
        return Err(ValueError::new(
            ValueKind::Attribute,
            Problem::TooLong {
                max: Attributes::MAX_VALUE_CHARS,
                unit: "characters",
            },
        ));
    }
    Ok(value.to_owned())
}

impl TryFrom<BTreeMap<String, String>> for Attributes {
    type Error = ValueError;
    fn try_from(map: BTreeMap<String, String>) -> Result<Self, ValueError> {
        let mut out = Attributes::new();
        for (k, v) in &map {
            out.insert(k, v)?;
        }
        Ok(out)
    }
}

impl From<Attributes> for BTreeMap<String, String> {
    fn from(a: Attributes) -> Self {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_keep_any_script() {
        assert_eq!(NamePart::parse("  Jürgen ").unwrap().as_str(), "Jürgen");
        assert_eq!(NamePart::parse("王").unwrap().as_str(), "王");
        assert_eq!(
            NamePart::parse("O'Brien-Smith").unwrap().as_str(),
            "O'Brien-Smith"
        );
    }

    #[test]
    fn empty_control_and_long_names_are_refused() {
        assert_eq!(NamePart::parse("   ").unwrap_err().problem, Problem::Empty);
        assert_eq!(
            NamePart::parse("a\u{0}b").unwrap_err().problem,
            Problem::ControlCharacter
        );
        assert_eq!(
            NamePart::parse("a\nb").unwrap_err().problem,
            Problem::ControlCharacter
        );
        let long = "x".repeat(NamePart::MAX_CHARS + 1);
        assert_eq!(
            NamePart::parse(&long).unwrap_err().problem,
            Problem::TooLong {
                max: 100,
                unit: "characters"
            }
        );
        assert!(NamePart::parse(&"ü".repeat(NamePart::MAX_CHARS)).is_ok());
    }

    #[test]
    fn external_ids_are_exact() {
        let a = ExternalId::parse("HR-0042").unwrap();
        let b = ExternalId::parse("hr-0042").unwrap();
        assert_ne!(a, b);
        assert_eq!(
            ExternalId::parse("").unwrap_err().kind,
            ValueKind::ExternalId
        );
    }

    #[test]
    fn error_messages_name_the_value_kind() {
        assert_eq!(
            DisplayName::parse("").unwrap_err().to_string(),
            "invalid display name: is empty"
        );
        assert_eq!(
            AvatarRef::parse(&"a".repeat(3000)).unwrap_err().to_string(),
            "invalid avatar reference: is longer than 2048 characters"
        );
    }

    #[test]
    fn attributes_validate_keys_values_and_count() {
        let mut a = Attributes::new();
        assert_eq!(a.insert("cost_centre", "4711").unwrap(), None);
        assert_eq!(
            a.insert("cost_centre", "4712").unwrap(),
            Some("4711".into())
        );
        assert_eq!(a.insert("address", "Main St 1\n12345 Town").unwrap(), None);
        assert_eq!(a.get("cost_centre"), Some("4712"));
        assert_eq!(
            a.insert("Bad", "x").unwrap_err().problem,
            Problem::InvalidCharacter { ch: 'B' }
        );
        assert_eq!(
            a.insert("1abc", "x").unwrap_err().problem,
            Problem::MustStartAlphanumeric
        );
        assert_eq!(a.insert("", "x").unwrap_err().problem, Problem::Empty);
        assert_eq!(
            a.insert("k", "a\tb").unwrap_err().problem,
            Problem::ControlCharacter
        );
        for i in a.len()..Attributes::MAX_ENTRIES {
            a.insert(&format!("k{i}"), "v").unwrap();
        }
        assert_eq!(
            a.insert("one_more", "v").unwrap_err().problem,
            Problem::TooMany { max: 64 }
        );
        assert!(a.insert("cost_centre", "replace is fine").is_ok());
        assert_eq!(a.remove("cost_centre").as_deref(), Some("replace is fine"));
    }

    #[test]
    fn serde_validates_on_the_way_in() {
        let n: NamePart = serde_json::from_str("\" Ann \"").unwrap();
        assert_eq!(n.as_str(), "Ann");
        assert!(serde_json::from_str::<NamePart>("\"\"").is_err());
        assert!(serde_json::from_str::<Attributes>(r#"{"Bad":"x"}"#).is_err());
    }
}

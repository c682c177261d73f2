//! Placeholder emails for PIN users (social intranet): generated from the name and the
//! organization's configured domain, unique against the addresses already taken.

use crate::email::{Email, EmailDomain, MAX_LOCAL_PART_BYTES};
use crate::error::ModelError;
use crate::text::NamePart;

/// The most numeric suffixes tried before giving up.
pub const MAX_PLACEHOLDER_ATTEMPTS: u32 = 1_000_000;

/// The local part is cut to this many bytes before a suffix is added, so that any suffix up
/// to [`MAX_PLACEHOLDER_ATTEMPTS`] still fits in 64 bytes.
const BASE_MAX_BYTES: usize = MAX_LOCAL_PART_BYTES - 7;

/// Transliterates one name to lowercase ASCII for an address: German umlauts and ß as
/// `ae oe ue ss` (Jürgen Weiß → juergen, weiss), other scripts by Unicode transliteration
/// (Łukasz → lukasz, Σοφία → sophia, 王 → wang). Spaces, dots and underscores become `.`,
/// hyphens stay, anything else (apostrophes, emoji) is dropped.
pub fn transliterate(name: &str) -> String {
    let mut ascii = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            'ä' | 'Ä' => ascii.push_str("ae"),
            'ö' | 'Ö' => ascii.push_str("oe"),
            'ü' | 'Ü' => ascii.push_str("ue"),
            'ß' | 'ẞ' => ascii.push_str("ss"),
            c if c.is_ascii() => ascii.push(c),
            c if c.is_whitespace() => ascii.push(' '),
            // Symbols and emoji carry no part of a name; deunicode would spell them out.
            c if !c.is_alphanumeric() => {}
            c => {
                // Transliterated words from ideographic scripts come out as "Bei Jing ".
                if let Some(t) = deunicode::deunicode_char(c) {
                    ascii.push_str(t.trim_end());
                    if t.ends_with(' ') {
                        ascii.push(' ');
                    }
                }
            }
        }
    }
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        let mapped = match c {
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            ' ' | '.' | '_' | '\t' => Some('.'),
            '-' => Some('-'),
            _ => None,
        };
        match mapped {
            Some(sep @ ('.' | '-')) => {
                // Collapse runs of separators into one, a dot winning over a hyphen.
                match out.chars().last() {
                    None | Some('.') => {}
                    Some('-') if sep == '.' => {
                        out.pop();
                        out.push('.');
                    }
                    Some('-') => {}
                    Some(_) => out.push(sep),
                }
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out.trim_matches(['.', '-']).to_owned()
}

/// The address-safe base `first.last` of a PIN user, at most 57 bytes, never empty.
fn base_local_part(first: &NamePart, last: &NamePart) -> String {
    let parts: Vec<String> = [transliterate(first.as_str()), transliterate(last.as_str())]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    let mut base = if parts.is_empty() {
        "user".to_owned()
    } else {
        parts.join(".")
    };
    if base.len() > BASE_MAX_BYTES {
        base.truncate(BASE_MAX_BYTES); // ASCII only, so any byte index is a char boundary
        base = base.trim_end_matches(['.', '-']).to_owned();
    }
    base
}

/// Generates a placeholder email for a PIN user: `first.last@domain`, then `first.last2`,
/// `first.last3`, ... until `is_taken` (given a lowercased address) says the address is free.
///
/// The result is always a valid [`Email`]. Fails only if [`MAX_PLACEHOLDER_ATTEMPTS`]
/// candidates are all taken.
pub fn placeholder_email(
    first: &NamePart,
    last: &NamePart,
    domain: &EmailDomain,
    mut is_taken: impl FnMut(&str) -> bool,
) -> Result<Email, ModelError> {
    let base = base_local_part(first, last);
    for n in 1..=MAX_PLACEHOLDER_ATTEMPTS {
        let local = if n == 1 {
            base.clone()
        } else {
            format!("{base}{n}")
        };
        let Ok(email) = Email::from_parts(&local, domain) else {
            // Local part and domain are valid on their own; only the total length can fail,
            // for a domain near 253 bytes. Fall back to the shortest base.
            return Email::from_parts(&format!("u{n}"), domain)
                .map_err(|_| ModelError::PlaceholderExhausted { attempts: n });
        };
        if !is_taken(&email.key()) {
            return Ok(email);
        }
    }
    Err(ModelError::PlaceholderExhausted {
        attempts: MAX_PLACEHOLDER_ATTEMPTS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn name(s: &str) -> NamePart {
        NamePart::parse(s).unwrap()
    }

    fn domain() -> EmailDomain {
        EmailDomain::parse("pins.example.com").unwrap()
    }

    #[test]
    fn network_example_and_other_scripts() {
        let e = placeholder_email(&name("Jürgen"), &name("Weiß"), &domain(), |_| false).unwrap();
        assert_eq!(e.as_str(), "juergen.weiss@pins.example.com");
        assert_eq!(transliterate("Łukasz"), "lukasz");
        assert_eq!(transliterate("Σοφία"), "sophia");
        assert_eq!(transliterate("Иван"), "ivan");
        assert_eq!(transliterate("王 小明"), "wang.xiao.ming");
        assert_eq!(transliterate("O'Brien"), "obrien");
        assert_eq!(transliterate("Anna Maria"), "anna.maria");
        assert_eq!(
            transliterate("Müller-Lüdenscheidt"),
            "mueller-luedenscheidt"
        );
        assert_eq!(transliterate("  -- . "), "");
        assert_eq!(transliterate("Zoë"), "zoe");
    }

    #[test]
    fn names_with_nothing_transliterable_fall_back() {
        let e = placeholder_email(&name("🙂"), &name("🎉"), &domain(), |_| false).unwrap();
        assert_eq!(e.as_str(), "user@pins.example.com");
        let e = placeholder_email(&name("🙂"), &name("Ng"), &domain(), |_| false).unwrap();
        assert_eq!(e.as_str(), "ng@pins.example.com");
    }

    #[test]
    fn suffixes_make_it_unique_case_insensitively() {
        let taken: HashSet<String> = [
            "juergen.weiss@pins.example.com",
            "juergen.weiss2@pins.example.com",
        ]
        .map(String::from)
        .into();
        let e = placeholder_email(&name("JÜRGEN"), &name("WEISS"), &domain(), |a| {
            taken.contains(a)
        })
        .unwrap();
        assert_eq!(e.as_str(), "juergen.weiss3@pins.example.com");
    }

    #[test]
    fn long_names_are_cut_to_fit() {
        let long = "a".repeat(100);
        let e = placeholder_email(&name(&long), &name(&long), &domain(), |_| false).unwrap();
        assert!(e.local_part().len() <= 64);
        let e = placeholder_email(&name(&long), &name(&long), &domain(), |a| {
            a.starts_with("aaaa") && !a.contains('9')
        })
        .unwrap();
        assert!(e.local_part().ends_with('9'));
    }

    #[test]
    fn exhaustion_is_an_error_not_a_hang() {
        let err = placeholder_email(&name("a"), &name("b"), &domain(), |_| true).unwrap_err();
        assert_eq!(
            err,
            ModelError::PlaceholderExhausted {
                attempts: MAX_PLACEHOLDER_ATTEMPTS
            }
        );
    }
}

//! Email addresses and email domains.

use serde::{Deserialize, Serialize};

use crate::error::{Problem, ValueError, ValueKind};

/// The longest address accepted, in bytes (RFC 5321's path limit of 256 less the angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// The longest local part, in bytes (RFC 5321).
pub const MAX_LOCAL_PART_BYTES: usize = 64;
/// The longest domain, in bytes (RFC 1035).
pub const MAX_DOMAIN_BYTES: usize = 253;

/// A domain name as used after the `@` of an address, lowercased.
///
/// ASCII only: internationalised domains are accepted in their `xn--` (punycode) form and
/// refused in Unicode form with [`Problem::NonAscii`]. At least two labels, each 1 to 63
/// characters of letters, digits and inner hyphens; no address literals or IP addresses.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailDomain(String);

impl EmailDomain {
    /// Validates and lowercases `input`.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let domain = input.trim();
        check_domain(domain, ValueKind::EmailDomain)?;
        Ok(Self(domain.to_ascii_lowercase()))
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a domain (the rules are the same in any case; the caller lowercases it).
fn check_domain(domain: &str, kind: ValueKind) -> Result<(), ValueError> {
    let err = |problem| ValueError::new(kind, problem);
    if domain.is_empty() {
        return Err(err(Problem::Empty));
    }
    if domain.chars().any(char::is_control) {
        return Err(err(Problem::ControlCharacter));
    }
    if !domain.is_ascii() {
        return Err(err(Problem::NonAscii));
    }
    if domain.starts_with('[') {
        return Err(err(Problem::AddressLiteral));
    }
    if domain.len() > MAX_DOMAIN_BYTES {
        return Err(err(Problem::TooLong {
            max: MAX_DOMAIN_BYTES,
            unit: "bytes",
        }));
    }
    let mut labels = 0;
    for label in domain.split('.') {
        labels += 1;
        if let Some(ch) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(err(Problem::InvalidCharacter { ch }));
        }
        if label.is_empty() || label.len() > 63 || label.starts_with('-') || label.ends_with('-') {
            return Err(err(Problem::DomainLabel));
        }
    }
    if labels < 2 {
        return Err(err(Problem::DomainNeedsDot));
    }
    if domain
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(err(Problem::AddressLiteral));
    }
    Ok(())
}

crate::text::string_value_impls!(EmailDomain, 0);

/// An email address: `local@domain`, trimmed, with the domain lowercased.
///
/// The local part keeps its case (some mail servers honour it) but identifiers are matched
/// case-insensitively through [`Email::key`]. Accepted: dot-atom local parts of RFC 5322
/// `atext` (letters, digits and ``!#$%&'*+-/=?^_`{|}~``), at most 64 bytes; a domain as
/// [`EmailDomain`]; at most 254 bytes in all. Refused with a typed reason: quoted local
/// parts, address literals, control characters and non-ASCII addresses (SMTPUTF8).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email {
    text: String,
    at: usize,
}

impl Email {
    /// Validates `input`.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let err = |problem| ValueError::new(ValueKind::Email, problem);
        let input = input.trim();
        if input.is_empty() {
            return Err(err(Problem::Empty));
        }
        if input.chars().any(char::is_control) {
            return Err(err(Problem::ControlCharacter));
        }
        if input.starts_with('"') {
            return Err(err(Problem::QuotedLocalPart));
        }
        if !input.is_ascii() {
            return Err(err(Problem::NonAscii));
        }
        if input.len() > MAX_EMAIL_BYTES {
            return Err(err(Problem::TooLong {
                max: MAX_EMAIL_BYTES,
                unit: "bytes",
            }));
        }
        let (local, domain) = input.rsplit_once('@').ok_or(err(Problem::MissingAt))?;
        if local.is_empty() || local.len() > MAX_LOCAL_PART_BYTES {
            return Err(err(Problem::LocalPartLength));
        }
        if let Some(ch) = local.chars().find(|c| !is_atext(*c) && *c != '.') {
            return Err(err(Problem::InvalidCharacter { ch }));
        }
        if local.starts_with('.')
            || local.ends_with('.')
            || local.as_bytes().windows(2).any(|w| w == b"..")
        {
            return Err(err(Problem::DotPlacement));
        }
        if domain.is_empty() {
            return Err(err(Problem::DomainLabel));
        }
        check_domain(domain, ValueKind::Email)?;
        let mut text = String::with_capacity(input.len());
        text.push_str(local);
        text.push('@');
        text.push_str(domain);
        if let Some(domain) = text.get_mut(local.len() + 1..) {
            domain.make_ascii_lowercase();
        }
        Ok(Self {
            text,
            at: local.len(),
        })
    }

    /// Builds an address from a validated local part and domain (used for placeholder
    /// addresses); checks the local part and the total length.
    pub fn from_parts(local: &str, domain: &EmailDomain) -> Result<Self, ValueError> {
        Self::parse(&format!("{local}@{}", domain.as_str()))
    }

    /// The whole address.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The part before `@`, case as given.
    pub fn local_part(&self) -> &str {
        &self.text[..self.at]
    }

    /// The lowercased domain.
    pub fn domain(&self) -> &str {
        &self.text[self.at + 1..]
    }

    /// The lowercased address: the key under which identifiers are unique and looked up.
    pub fn key(&self) -> String {
        self.text.to_ascii_lowercase()
    }
}

/// The characters of RFC 5322 `atext` besides letters and digits.
const ATEXT_SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";

/// RFC 5322 `atext`.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || u8::try_from(c).is_ok_and(|b| ATEXT_SPECIALS.contains(&b))
}

crate::text::string_value_impls!(Email, text);

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(input: &str) -> Problem {
        Email::parse(input).unwrap_err().problem
    }

    #[test]
    fn accepts_and_normalises_ordinary_addresses() {
        let e = Email::parse("  Ann.Lee+news@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ann.Lee+news@example.com");
        assert_eq!(e.local_part(), "Ann.Lee+news");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(e.key(), "ann.lee+news@example.com");
        assert!(Email::parse("o'brien@mail.example.co.uk").is_ok());
        assert!(Email::parse("x@xn--mnchen-3ya.de").is_ok());
        assert!(Email::parse("a@b-c.io").is_ok());
    }

    #[test]
    fn refuses_what_is_wrong_with_a_reason() {
        assert_eq!(problem(""), Problem::Empty);
        assert_eq!(problem("   "), Problem::Empty);
        assert_eq!(problem("ann.example.com"), Problem::MissingAt);
        assert_eq!(problem("@example.com"), Problem::LocalPartLength);
        assert_eq!(problem("ann@"), Problem::DomainLabel);
        assert_eq!(
            problem("a@b@example.com"),
            Problem::InvalidCharacter { ch: '@' }
        );
        assert_eq!(
            problem("ann lee@example.com"),
            Problem::InvalidCharacter { ch: ' ' }
        );
        assert_eq!(problem(".ann@example.com"), Problem::DotPlacement);
        assert_eq!(problem("ann.@example.com"), Problem::DotPlacement);
        assert_eq!(problem("a..b@example.com"), Problem::DotPlacement);
        assert_eq!(problem("ann@localhost"), Problem::DomainNeedsDot);
        assert_eq!(problem("ann@example..com"), Problem::DomainLabel);
        assert_eq!(problem("ann@-example.com"), Problem::DomainLabel);
        assert_eq!(problem("ann@example.com."), Problem::DomainLabel);
        assert_eq!(
            problem("ann@ex_ample.com"),
            Problem::InvalidCharacter { ch: '_' }
        );
        assert_eq!(problem("ann@[127.0.0.1]"), Problem::AddressLiteral);
        assert_eq!(problem("ann@127.0.0.1"), Problem::AddressLiteral);
        assert_eq!(problem("\"ann lee\"@example.com"), Problem::QuotedLocalPart);
        assert_eq!(problem("ann\r\n@example.com"), Problem::ControlCharacter);
        assert_eq!(problem("ann@exa\u{0}mple.com"), Problem::ControlCharacter);
        assert_eq!(problem("jürgen@example.com"), Problem::NonAscii);
        assert_eq!(problem("ann@münchen.de"), Problem::NonAscii);
    }

    #[test]
    fn length_caps() {
        let local = "a".repeat(64);
        assert!(Email::parse(&format!("{local}@example.com")).is_ok());
        assert_eq!(
            problem(&format!("a{local}@example.com")),
            Problem::LocalPartLength
        );
        let label = "b".repeat(63);
        assert_eq!(problem(&format!("a@{label}b.com")), Problem::DomainLabel);
        let long_domain = format!("{label}.{label}.{label}.{label}.com");
        assert_eq!(
            problem(&format!("a@{long_domain}")),
            Problem::TooLong {
                max: 254,
                unit: "bytes"
            }
        );
        let domain = EmailDomain::parse(&format!("{label}.{label}.{label}.{}.com", "c".repeat(58)));
        assert_eq!(
            domain.unwrap_err().problem,
            Problem::TooLong {
                max: 253,
                unit: "bytes"
            }
        );
    }

    #[test]
    fn domain_type_lowercases_and_checks() {
        assert_eq!(
            EmailDomain::parse("Pins.Example.COM").unwrap().as_str(),
            "pins.example.com"
        );
        assert_eq!(
            EmailDomain::parse("example").unwrap_err().problem,
            Problem::DomainNeedsDot
        );
        assert_eq!(
            EmailDomain::parse("exämple.com").unwrap_err().kind,
            ValueKind::EmailDomain
        );
    }

    #[test]
    fn from_parts_builds_a_valid_address() {
        let d = EmailDomain::parse("pins.example.com").unwrap();
        assert_eq!(
            Email::from_parts("ann.lee", &d).unwrap().as_str(),
            "ann.lee@pins.example.com"
        );
        assert!(Email::from_parts("bad..dots", &d).is_err());
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let e = Email::parse("Ann@Example.com").unwrap();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, "\"Ann@example.com\"");
        assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), e);
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }
}

//! Phone numbers in E.164 form, normalised from what people type.

use serde::{Deserialize, Serialize};

use crate::error::{Problem, ValueError, ValueKind};

/// Fewest digits of an E.164 number, country code included (Niue's are 7).
pub const MIN_DIGITS: usize = 7;
/// Most digits of an E.164 number, country code included.
pub const MAX_DIGITS: usize = 15;

/// Country calling codes assigned by the ITU (E.164 is prefix-free, so a number's code is
/// the one of these that starts it).
const CALLING_CODES: &[&str] = &[
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
    "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98", "211",
    "212", "213", "216", "218", "220", "221", "222", "223", "224", "225", "226", "227", "228",
    "229", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239", "240", "241",
    "242", "243", "244", "245", "246", "247", "248", "249", "250", "251", "252", "253", "254",
    "255", "256", "257", "258", "260", "261", "262", "263", "264", "265", "266", "267", "268",
    "269", "290", "291", "297", "298", "299", "350", "351", "352", "353", "354", "355", "356",
    "357", "358", "359", "370", "371", "372", "373", "374", "375", "376", "377", "378", "379",
    "380", "381", "382", "383", "385", "386", "387", "389", "420", "421", "423", "500", "501",
    "502", "503", "504", "505", "506", "507", "508", "509", "590", "591", "592", "593", "594",
    "595", "596", "597", "598", "599", "670", "672", "673", "674", "675", "676", "677", "678",
    "679", "680", "681", "682", "683", "685", "686", "687", "688", "689", "690", "691", "692",
    "800", "808", "850", "852", "853", "855", "856", "870", "878", "880", "881", "882", "883",
    "886", "888", "960", "961", "962", "963", "964", "965", "966", "967", "968", "970", "971",
    "972", "973", "974", "975", "976", "977", "979", "992", "993", "994", "995", "996", "998",
];

/// ISO 3166-1 alpha-2 code, calling code, trunk prefix dialled before national numbers,
/// and the prefix dialled before international numbers.
const REGIONS: &[(&str, &str, Option<&str>, &str)] = &[
    ("AD", "376", None, "00"),
    ("AE", "971", Some("0"), "00"),
    ("AL", "355", Some("0"), "00"),
    ("AM", "374", Some("0"), "00"),
    ("AR", "54", Some("0"), "00"),
    ("AT", "43", Some("0"), "00"),
    ("AU", "61", Some("0"), "0011"),
    ("AZ", "994", Some("0"), "00"),
    ("BA", "387", Some("0"), "00"),
    ("BD", "880", Some("0"), "00"),
    ("BE", "32", Some("0"), "00"),
    ("BG", "359", Some("0"), "00"),
    ("BH", "973", None, "00"),
    ("BR", "55", Some("0"), "00"),
    ("BY", "375", Some("8"), "810"),
    ("CA", "1", Some("1"), "011"),
    ("CH", "41", Some("0"), "00"),
    ("CL", "56", None, "00"),
    ("CN", "86", Some("0"), "00"),
    ("CO", "57", None, "00"),
    ("CY", "357", None, "00"),
    ("CZ", "420", None, "00"),
    ("DE", "49", Some("0"), "00"),
    ("DK", "45", None, "00"),
    ("DZ", "213", Some("0"), "00"),
    ("EE", "372", None, "00"),
    ("EG", "20", Some("0"), "00"),
    ("ES", "34", None, "00"),
    ("ET", "251", Some("0"), "00"),
    ("FI", "358", Some("0"), "00"),
    ("FR", "33", Some("0"), "00"),
    ("GB", "44", Some("0"), "00"),
    ("GE", "995", Some("0"), "00"),
    ("GH", "233", Some("0"), "00"),
    ("GR", "30", None, "00"),
    ("HK", "852", None, "001"),
    ("HR", "385", Some("0"), "00"),
    ("HU", "36", Some("06"), "00"),
    ("ID", "62", Some("0"), "001"),
    ("IE", "353", Some("0"), "00"),
    ("IL", "972", Some("0"), "00"),
    ("IN", "91", Some("0"), "00"),
    ("IQ", "964", Some("0"), "00"),
    ("IR", "98", Some("0"), "00"),
    ("IS", "354", None, "00"),
    ("IT", "39", None, "00"),
    ("JO", "962", Some("0"), "00"),
    ("JP", "81", Some("0"), "010"),
    ("KE", "254", Some("0"), "000"),
    ("KR", "82", Some("0"), "001"),
    ("KW", "965", None, "00"),
    ("KZ", "7", Some("8"), "810"),
    ("LB", "961", Some("0"), "00"),
    ("LI", "423", None, "00"),
    ("LK", "94", Some("0"), "00"),
    ("LU", "352", None, "00"),
    ("LV", "371", None, "00"),
    ("MA", "212", Some("0"), "00"),
    ("MC", "377", None, "00"),
    ("MD", "373", Some("0"), "00"),
    ("ME", "382", Some("0"), "00"),
    ("MK", "389", Some("0"), "00"),
    ("MT", "356", None, "00"),
    ("MX", "52", None, "00"),
    ("MY", "60", Some("0"), "00"),
    ("NG", "234", Some("0"), "009"),
    ("NL", "31", Some("0"), "00"),
    ("NO", "47", None, "00"),
    ("NZ", "64", Some("0"), "00"),
    ("OM", "968", None, "00"),
    ("PE", "51", Some("0"), "00"),
    ("PH", "63", Some("0"), "00"),
    ("PK", "92", Some("0"), "00"),
    ("PL", "48", None, "00"),
    ("PT", "351", None, "00"),
    ("QA", "974", None, "00"),
    ("RO", "40", Some("0"), "00"),
    ("RS", "381", Some("0"), "00"),
    ("RU", "7", Some("8"), "810"),
    ("SA", "966", Some("0"), "00"),
    ("SE", "46", Some("0"), "00"),
    ("SG", "65", None, "000"),
    ("SI", "386", Some("0"), "00"),
    ("SK", "421", Some("0"), "00"),
    ("TH", "66", Some("0"), "001"),
    ("TN", "216", None, "00"),
    ("TR", "90", Some("0"), "00"),
    ("TW", "886", Some("0"), "002"),
    ("TZ", "255", Some("0"), "000"),
    ("UA", "380", Some("0"), "00"),
    ("UG", "256", Some("0"), "000"),
    ("US", "1", Some("1"), "011"),
    ("VN", "84", Some("0"), "00"),
    ("ZA", "27", Some("0"), "00"),
];

/// The country whose dialling rules apply to a number typed without a country code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PhoneRegion {
    iso: &'static str,
    calling_code: &'static str,
    trunk_prefix: Option<&'static str>,
    international_prefix: &'static str,
}

impl PhoneRegion {
    /// The region for an ISO 3166-1 alpha-2 code (`"DE"`, `"us"`), if this crate knows its
    /// dialling rules; [`PhoneRegion::all`] lists them.
    pub fn from_iso(code: &str) -> Result<Self, ValueError> {
        let code = code.trim();
        REGIONS
            .iter()
            .find(|(iso, ..)| iso.eq_ignore_ascii_case(code))
            .map(
                |&(iso, calling_code, trunk_prefix, international_prefix)| Self {
                    iso,
                    calling_code,
                    trunk_prefix,
                    international_prefix,
                },
            )
            .ok_or(ValueError::new(
                ValueKind::PhoneRegion,
                Problem::UnknownRegion,
            ))
    }

    /// Every region this crate knows, by ISO code.
    pub fn all() -> impl Iterator<Item = PhoneRegion> {
        REGIONS.iter().map(
            |&(iso, calling_code, trunk_prefix, international_prefix)| Self {
                iso,
                calling_code,
                trunk_prefix,
                international_prefix,
            },
        )
    }

    /// The ISO 3166-1 alpha-2 code.
    pub fn iso(&self) -> &'static str {
        self.iso
    }

    /// The country calling code, without `+`.
    pub fn calling_code(&self) -> &'static str {
        self.calling_code
    }
}

/// A phone number in E.164 form (`+491701234567`).
///
/// [`Phone::parse`] takes what people type: `+49 170 1234567`, `+49 (0)170 1234567`,
/// `0049 170 1234567`, or, with a default region, national forms such as `0170 1234567`
/// (Germany) or `(212) 555-0100` (United States). Spaces, hyphens, dots, slashes and
/// parentheses are dropped; anything else is refused. The country calling code must be an
/// assigned one, and the whole number 7 to 15 digits. No check is made that the number is
/// in service: that is the SMS provider's business.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a number that carries its country code (`+…` or `00…`).
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        Self::parse_with_region(input, None)
    }

    /// Parses a number, reading one without a country code as a national number of `region`.
    pub fn parse_with_region(input: &str, region: Option<PhoneRegion>) -> Result<Self, ValueError> {
        let err = |problem| ValueError::new(ValueKind::Phone, problem);
        let input = input.trim();
        if input.is_empty() {
            return Err(err(Problem::Empty));
        }
        if input.chars().any(char::is_control) {
            return Err(err(Problem::ControlCharacter));
        }
        let (plus, rest) = match input.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        // "+49 (0)170 ..." : the "(0)" is the national trunk prefix, written for locals only.
        let rest = rest.replacen("(0)", "", usize::from(plus));
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' | '\u{2009}' | '\u{202f}' => {}
                ch => return Err(err(Problem::InvalidCharacter { ch })),
            }
        }
        if digits.is_empty() {
            return Err(err(Problem::Empty));
        }
        let international = if plus {
            digits
        } else if let Some(rest) = region.and_then(|r| digits.strip_prefix(r.international_prefix))
        {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else {
            let region = region.ok_or(err(Problem::NoRegion))?;
            let national = region
                .trunk_prefix
                .and_then(|trunk| digits.strip_prefix(trunk))
                .unwrap_or(&digits);
            format!("{}{national}", region.calling_code)
        };
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&international.len()) {
            return Err(err(Problem::PhoneDigits {
                min: MIN_DIGITS,
                max: MAX_DIGITS,
            }));
        }
        if calling_code_of(&international).is_none() {
            return Err(err(Problem::UnknownCallingCode));
        }
        Ok(Self(format!("+{international}")))
    }

    /// The number in E.164 form, with its `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country calling code, without `+`.
    pub fn calling_code(&self) -> &str {
        calling_code_of(&self.0[1..]).unwrap_or("")
    }

    /// The digits after the calling code.
    pub fn national_number(&self) -> &str {
        &self.0[1 + self.calling_code().len()..]
    }
}

fn calling_code_of(digits: &str) -> Option<&'static str> {
    (1..=3).find_map(|n| {
        let prefix = digits.get(..n)?;
        CALLING_CODES.iter().copied().find(|code| *code == prefix)
    })
}

crate::text::string_value_impls!(Phone, 0);

#[cfg(test)]
mod tests {
    use super::*;

    fn de() -> Option<PhoneRegion> {
        Some(PhoneRegion::from_iso("DE").unwrap())
    }

    #[test]
    fn normalises_the_common_forms() {
        for input in [
            "+49 170 1234567",
            "+49 (0)170 1234567",
            "+49-170-123 45 67",
            "0049 170 1234567",
            "+491701234567",
            "+49 170/1234567",
        ] {
            assert_eq!(
                Phone::parse(input).unwrap().as_str(),
                "+491701234567",
                "{input}"
            );
        }
        assert_eq!(
            Phone::parse_with_region("0170 1234567", de())
                .unwrap()
                .as_str(),
            "+491701234567"
        );
        assert_eq!(
            Phone::parse_with_region("(0170) 123-4567", de())
                .unwrap()
                .as_str(),
            "+491701234567"
        );
    }

    #[test]
    fn national_rules_per_region() {
        let us = Some(PhoneRegion::from_iso("us").unwrap());
        assert_eq!(
            Phone::parse_with_region("(212) 555-0100", us)
                .unwrap()
                .as_str(),
            "+12125550100"
        );
        assert_eq!(
            Phone::parse_with_region("1 212 555 0100", us)
                .unwrap()
                .as_str(),
            "+12125550100"
        );
        assert_eq!(
            Phone::parse_with_region("011 49 170 1234567", us)
                .unwrap()
                .as_str(),
            "+491701234567"
        );
        let it = Some(PhoneRegion::from_iso("IT").unwrap());
        assert_eq!(
            Phone::parse_with_region("06 1234 5678", it)
                .unwrap()
                .as_str(),
            "+390612345678"
        );
        let hu = Some(PhoneRegion::from_iso("HU").unwrap());
        assert_eq!(
            Phone::parse_with_region("06 20 123 4567", hu)
                .unwrap()
                .as_str(),
            "+36201234567"
        );
    }

    #[test]
    fn parts() {
        let p = Phone::parse("+44 20 7946 0958").unwrap();
        assert_eq!(p.calling_code(), "44");
        assert_eq!(p.national_number(), "2079460958");
        let p = Phone::parse("+1 212 555 0100").unwrap();
        assert_eq!(p.calling_code(), "1");
        let p = Phone::parse("+354 555 1234").unwrap();
        assert_eq!(p.calling_code(), "354");
    }

    #[test]
    fn refuses_with_reasons() {
        let p = |s: &str| Phone::parse(s).unwrap_err().problem;
        assert_eq!(p(""), Problem::Empty);
        assert_eq!(p("+"), Problem::Empty);
        assert_eq!(p("0170 1234567"), Problem::NoRegion);
        assert_eq!(p("+49 170 12345x"), Problem::InvalidCharacter { ch: 'x' });
        assert_eq!(p("+49 170\n1234567"), Problem::ControlCharacter);
        assert_eq!(p("+4912"), Problem::PhoneDigits { min: 7, max: 15 });
        assert_eq!(
            p("+49 1234 5678 9012 34"),
            Problem::PhoneDigits { min: 7, max: 15 }
        );
        assert_eq!(p("+999 1234 5678"), Problem::UnknownCallingCode);
        assert_eq!(p("+0 1234 5678"), Problem::UnknownCallingCode);
        assert_eq!(
            PhoneRegion::from_iso("XX").unwrap_err().problem,
            Problem::UnknownRegion
        );
    }

    #[test]
    fn every_region_has_an_assigned_calling_code() {
        for region in PhoneRegion::all() {
            assert!(
                CALLING_CODES.contains(&region.calling_code()),
                "{}",
                region.iso()
            );
            assert_eq!(PhoneRegion::from_iso(region.iso()).unwrap(), region);
        }
    }

    #[test]
    fn calling_codes_are_prefix_free() {
        for a in CALLING_CODES {
            for b in CALLING_CODES {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn serde_round_trip() {
        let p = Phone::parse("+49 170 1234567").unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"+491701234567\"");
        assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), p);
    }
}

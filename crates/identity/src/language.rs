//! BCP 47 language tags.

use serde::{Deserialize, Serialize};

use crate::error::{Problem, ValueError, ValueKind};

/// A well-formed BCP 47 (RFC 5646) language tag in its canonical case: `de`, `en-GB`,
/// `zh-Hant-TW`, `sr-Latn`, `es-419`, `de-CH-1996`, `en-US-x-twain`.
///
/// Checks the syntax of RFC 5646 section 2.1 (language with extended subtags, script,
/// region, variants, extensions, private use); `_` is accepted as a separator and written as
/// `-`. It does not look subtags up in the IANA registry, and the irregular grandfathered
/// tags (`i-klingon`, `en-GB-oed`) are refused. At most 64 characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    /// Most characters.
    pub const MAX_CHARS: usize = 64;

    /// Validates `input` and brings it to canonical case.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let err = |problem| ValueError::new(ValueKind::Language, problem);
        let input = input.trim();
        if input.is_empty() {
            return Err(err(Problem::Empty));
        }
        if input.len() > Self::MAX_CHARS {
            return Err(err(Problem::TooLong {
                max: Self::MAX_CHARS,
                unit: "characters",
            }));
        }
        if let Some(ch) = input
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(if ch.is_control() {
                err(Problem::ControlCharacter)
            } else {
                err(Problem::InvalidCharacter { ch })
            });
        }
        let subtags: Vec<&str> = input.split(['-', '_']).collect();
        canonical(&subtags)
            .map(Self)
            .map_err(|position| err(Problem::MalformedTag { position }))
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`de` of `de-CH`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or("")
    }
}

fn alpha(s: &str, lo: usize, hi: usize) -> bool {
    (lo..=hi).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn alnum(s: &str, lo: usize, hi: usize) -> bool {
    (lo..=hi).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The case a subtag is written in.
#[derive(Clone, Copy)]
enum Case {
    Lower,
    Upper,
    /// First letter upper, the rest lower (scripts: `Hant`).
    Title,
}

/// Appends `subtag` (ASCII, checked by the caller) to the tag being built, in `case`.
fn push(out: &mut String, subtag: &str, case: Case) {
    if !out.is_empty() {
        out.push('-');
    }
    for (i, b) in subtag.bytes().enumerate() {
        let upper = match case {
            Case::Lower => false,
            Case::Upper => true,
            Case::Title => i == 0,
        };
        out.push(char::from(if upper {
            b.to_ascii_uppercase()
        } else {
            b.to_ascii_lowercase()
        }));
    }
}

/// The tag in canonical case, or the 1-based position of the first bad subtag.
fn canonical(subtags: &[&str]) -> Result<String, usize> {
    let mut out = String::with_capacity(subtags.iter().map(|s| s.len() + 1).sum());
    let mut i = 0;
    let bad = |i: usize| i + 1;
    let at = |i: usize| subtags.get(i).copied().unwrap_or("");

    // A tag that is only private use: x-whatever.
    if at(0).eq_ignore_ascii_case("x") {
        return private_use(subtags, 0, out);
    }
    // language = 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
    let lang = at(0);
    if !alpha(lang, 2, 8) {
        return Err(bad(0));
    }
    push(&mut out, lang, Case::Lower);
    i += 1;
    if lang.len() <= 3 {
        // extlang = 3ALPHA *2("-" 3ALPHA)
        let mut ext = 0;
        while ext < 3 && alpha(at(i), 3, 3) {
            push(&mut out, at(i), Case::Lower);
            i += 1;
            ext += 1;
        }
    }
    // script = 4ALPHA
    if alpha(at(i), 4, 4) {
        push(&mut out, at(i), Case::Title);
        i += 1;
    }
    // region = 2ALPHA / 3DIGIT
    let r = at(i);
    if alpha(r, 2, 2) || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit())) {
        push(&mut out, r, Case::Upper);
        i += 1;
    }
    // variant = 5*8alphanum / (DIGIT 3alphanum)
    let mut variants: Vec<&str> = Vec::new();
    loop {
        let v = at(i);
        let is_variant = alnum(v, 5, 8)
            || (v.len() == 4 && v.starts_with(|c: char| c.is_ascii_digit()) && alnum(v, 4, 4));
        if !is_variant {
            break;
        }
        if variants.iter().any(|seen| seen.eq_ignore_ascii_case(v)) {
            return Err(bad(i));
        }
        variants.push(v);
        push(&mut out, v, Case::Lower);
        i += 1;
    }
    // extension = singleton 1*("-" (2*8alphanum))
    let mut singletons: Vec<char> = Vec::new();
    while i < subtags.len() {
        let s = at(i);
        if s.len() != 1 {
            return Err(bad(i));
        }
        let c = s.chars().next().unwrap_or('x').to_ascii_lowercase();
        if c == 'x' {
            return private_use(subtags, i, out);
        }
        if !c.is_ascii_alphanumeric() || singletons.contains(&c) {
            return Err(bad(i));
        }
        singletons.push(c);
        push(&mut out, s, Case::Lower);
        i += 1;
        let start = i;
        while alnum(at(i), 2, 8) {
            push(&mut out, at(i), Case::Lower);
            i += 1;
        }
        if i == start {
            return Err(bad(i));
        }
    }
    Ok(out)
}

/// privateuse = "x" 1*("-" (1*8alphanum)), to the end of the tag.
fn private_use(subtags: &[&str], x_at: usize, mut out: String) -> Result<String, usize> {
    push(&mut out, "x", Case::Lower);
    let rest = &subtags[x_at + 1..];
    if rest.is_empty() {
        return Err(x_at + 2);
    }
    for (j, s) in rest.iter().enumerate() {
        if !alnum(s, 1, 8) {
            return Err(x_at + j + 2);
        }
        push(&mut out, s, Case::Lower);
    }
    Ok(out)
}

crate::text::string_value_impls!(Language, 0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_case() {
        let c = |s: &str| Language::parse(s).unwrap().as_str().to_owned();
        assert_eq!(c("DE"), "de");
        assert_eq!(c("en_gb"), "en-GB");
        assert_eq!(c("zh-hant-tw"), "zh-Hant-TW");
        assert_eq!(c("sr-latn"), "sr-Latn");
        assert_eq!(c("es-419"), "es-419");
        assert_eq!(c("de-ch-1996"), "de-CH-1996");
        assert_eq!(c("sl-rozaj-biske"), "sl-rozaj-biske");
        assert_eq!(c("zh-yue-HK"), "zh-yue-HK");
        assert_eq!(c("en-US-u-ca-gregory"), "en-US-u-ca-gregory");
        assert_eq!(c("en-US-x-Twain"), "en-US-x-twain");
        assert_eq!(c("x-whatever"), "x-whatever");
        assert_eq!(Language::parse("de-AT").unwrap().primary(), "de");
    }

    #[test]
    fn refuses_malformed_tags() {
        let p = |s: &str| Language::parse(s).unwrap_err().problem;
        assert_eq!(p(""), Problem::Empty);
        assert_eq!(p("e"), Problem::MalformedTag { position: 1 });
        assert_eq!(p("toolonglang"), Problem::MalformedTag { position: 1 });
        assert_eq!(p("de-"), Problem::MalformedTag { position: 2 });
        assert_eq!(p("de--CH"), Problem::MalformedTag { position: 2 });
        assert_eq!(p("en-a"), Problem::MalformedTag { position: 3 });
        assert_eq!(p("en-a-bb-a-cc"), Problem::MalformedTag { position: 4 });
        assert_eq!(p("de-1996-1996"), Problem::MalformedTag { position: 3 });
        assert_eq!(p("en-x"), Problem::MalformedTag { position: 3 });
        assert_eq!(p("i-klingon"), Problem::MalformedTag { position: 1 });
        assert_eq!(p("de CH"), Problem::InvalidCharacter { ch: ' ' });
        assert_eq!(Language::parse("de\n").unwrap().as_str(), "de");
        assert_eq!(p("d\te"), Problem::ControlCharacter);
        assert_eq!(
            p(&"a-".repeat(40)),
            Problem::TooLong {
                max: 64,
                unit: "characters"
            }
        );
    }
}

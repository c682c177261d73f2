//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): a parser with positioned
//! errors, a printer whose output parses back to the same filter, and evaluation against a
//! resource's JSON.
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / "not" "(" FILTER ")" / "(" FILTER ")"
//! valuePath = attrPath "[" valFilter "]"          ; no valuePath inside the brackets
//! attrExp   = attrPath "pr" / attrPath compareOp compValue
//! logExp    = FILTER ("and" / "or") FILTER        ; "and" binds tighter than "or"
//! compValue = false / null / true / number / string
//! compareOp = eq / ne / co / sw / ew / gt / lt / ge / le
//! attrPath  = [URI ":"] ATTRNAME ["." subAttr]
//! ```
//!
//! Operators, keywords and attribute names are case-insensitive. A filter is at most
//! [`MAX_FILTER_LEN`] bytes and [`MAX_DEPTH`] levels deep; anything else is a
//! [`FilterError`] naming the byte offset where reading stopped. The printed form of a
//! filter parses back to it as long as it stays within those bounds (it can be longer than
//! what was parsed: `1e5` prints as `100000.0`).

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// The deepest nesting of parentheses, `not` and brackets accepted.
pub const MAX_DEPTH: usize = 32;

/// Why a filter or path could not be read; SCIM's `invalidFilter` (or `invalidPath`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter at byte {position}: {problem}")]
pub struct FilterError {
    /// Where reading stopped (a byte offset into the input).
    pub position: usize,
    /// What was expected or wrong there.
    pub problem: &'static str,
}

/// An attribute path: an optional schema URI, an attribute and an optional sub-attribute.
/// Names keep the case they were written in; [`AttrPath::matches_name`] compares them
/// case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URI (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`), if given.
    pub uri: Option<String>,
    /// The attribute.
    pub name: String,
    /// The sub-attribute (`familyName` of `name.familyName`).
    pub sub: Option<String>,
}

impl AttrPath {
    /// A path to `name` with no URI and no sub-attribute.
    pub fn new(name: &str) -> Self {
        Self {
            uri: None,
            name: name.to_owned(),
            sub: None,
        }
    }

    /// Parses a plain attribute path (`userName`, `name.givenName`, or one prefixed by a
    /// schema URI), as `sortBy`, `attributes` and `excludedAttributes` name them.
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        let path = PatchPath::parse(input)?;
        if path.filter.is_some() {
            return Err(FilterError {
                position: 0,
                problem: "an attribute path, without a value filter",
            });
        }
        Ok(path.attr)
    }

    /// Every value this path reaches in `resource` (each value's sub-attribute for a
    /// multi-valued attribute; its `value`s without one).
    pub fn values<'v>(&self, resource: &'v Value) -> Vec<&'v Value> {
        values(resource, self)
    }

    /// Whether this path names `name` (and `sub`), ignoring case and the URI.
    pub fn matches_name(&self, name: &str, sub: Option<&str>) -> bool {
        self.name.eq_ignore_ascii_case(name)
            && match (&self.sub, sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        write!(f, "{}", self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains (strings).
    Co,
    /// Starts with (strings).
    Sw,
    /// Ends with (strings).
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    const ALL: [(CompareOp, &'static str); 9] = [
        (CompareOp::Eq, "eq"),
        (CompareOp::Ne, "ne"),
        (CompareOp::Co, "co"),
        (CompareOp::Sw, "sw"),
        (CompareOp::Ew, "ew"),
        (CompareOp::Gt, "gt"),
        (CompareOp::Ge, "ge"),
        (CompareOp::Lt, "lt"),
        (CompareOp::Le, "le"),
    ];

    /// The operator's keyword.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(op, _)| *op == self)
            .map_or("eq", |(_, s)| s)
    }

    fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, s)| s.eq_ignore_ascii_case(word))
            .map(|(op, _)| *op)
    }
}

/// A value compared against.
#[derive(Clone, Debug, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string.
    String(String),
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => write!(f, "null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => write!(f, "{}", Value::String(s.clone())),
        }
    }
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `path op value`.
    Compare {
        /// The attribute.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value.
        value: CompValue,
    },
    /// `path pr`: the attribute has a value.
    Present(AttrPath),
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// `not (filter)`.
    Not(Box<Filter>),
    /// `path[filter]`: some value of the multi-valued attribute matches the inner filter,
    /// whose paths name sub-attributes.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// What one of its values must match.
        filter: Box<Filter>,
    },
}

impl Filter {
    /// Parses a filter.
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        let mut p = Parser::new(input)?;
        let filter = p.or(false)?;
        p.skip_space();
        if p.pos < p.bytes.len() {
            return Err(p.error("the end of the filter"));
        }
        Ok(filter)
    }

    fn precedence(&self) -> u8 {
        match self {
            Filter::Or(..) => 1,
            Filter::And(..) => 2,
            _ => 3,
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Operands of lower precedence, and right operands of equal precedence (the parser
        // groups to the left), are parenthesised; the output parses back to this filter.
        let operand = |f: &mut fmt::Formatter<'_>, child: &Filter, right: bool| {
            if child.precedence() < self.precedence()
                || (right && child.precedence() == self.precedence())
            {
                write!(f, "({child})")
            } else {
                write!(f, "{child}")
            }
        };
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(a, b) => {
                operand(f, a, false)?;
                write!(f, " and ")?;
                operand(f, b, true)
            }
            Filter::Or(a, b) => {
                operand(f, a, false)?;
                write!(f, " or ")?;
                operand(f, b, true)
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

/// A PATCH operation's target (RFC 7644 §3.5.2): an attribute, optionally narrowed to the
/// values of a multi-valued attribute matching a filter, optionally one sub-attribute of them
/// (`emails[type eq "work"].value`).
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    /// The attribute.
    pub attr: AttrPath,
    /// The values it applies to, for a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute of those values.
    pub sub: Option<String>,
}

impl PatchPath {
    /// Parses a PATCH path.
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        let mut p = Parser::new(input)?;
        p.skip_space();
        let attr = p.attr_path()?;
        let mut filter = None;
        let mut sub = None;
        if p.eat(b'[') {
            filter = Some(p.or(true)?);
            p.skip_space();
            if !p.eat(b']') {
                return Err(p.error("`]`"));
            }
            if p.eat(b'.') {
                let start = p.pos;
                p.take_while(is_name_char);
                let name = &input[start..p.pos];
                if !valid_name(name) {
                    return Err(p.error("a sub-attribute name"));
                }
                sub = Some(name.to_owned());
            }
        }
        p.skip_space();
        if p.pos < p.bytes.len() {
            return Err(p.error("the end of the path"));
        }
        if filter.is_some() && attr.sub.is_some() {
            return Err(FilterError {
                position: 0,
                problem: "a value filter applies to an attribute, not a sub-attribute",
            });
        }
        Ok(Self { attr, filter, sub })
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'$'
}

fn valid_name(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'$')
        && name.bytes().all(is_name_char)
}

struct Parser<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(FilterError {
                position: MAX_FILTER_LEN,
                problem: "at most 4,096 bytes",
            });
        }
        Ok(Self {
            input,
            bytes: input.as_bytes(),
            pos: 0,
            depth: 0,
        })
    }

    fn error(&self, problem: &'static str) -> FilterError {
        FilterError {
            position: self.pos,
            problem,
        }
    }

    fn skip_space(&mut self) {
        self.take_while(|b| b == b' ' || b == b'\t');
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) {
        while self.bytes.get(self.pos).is_some_and(|&b| f(b)) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The keyword `word` (case-insensitive), not followed by a character of a name.
    fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let matches = self
            .input
            .get(self.pos..end)
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
            && self
                .bytes
                .get(end)
                .is_none_or(|&b| !is_name_char(b) && b != b':' && b != b'.');
        if matches {
            self.pos = end;
        }
        matches
    }

    fn deeper(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("at most 32 levels of nesting"));
        }
        Ok(())
    }

    fn or(&mut self, inside: bool) -> Result<Filter, FilterError> {
        self.chain(inside, "or", Self::and, Filter::Or)
    }

    fn and(&mut self, inside: bool) -> Result<Filter, FilterError> {
        self.chain(inside, "and", Self::term, Filter::And)
    }

    /// `operand (word operand)*`, grouped to the left.
    fn chain(
        &mut self,
        inside: bool,
        word: &str,
        operand: fn(&mut Self, bool) -> Result<Filter, FilterError>,
        join: fn(Box<Filter>, Box<Filter>) -> Filter,
    ) -> Result<Filter, FilterError> {
        let mut left = operand(self, inside)?;
        loop {
            let save = self.pos;
            self.skip_space();
            if self.keyword(word) {
                let right = operand(self, inside)?;
                left = join(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn term(&mut self, inside: bool) -> Result<Filter, FilterError> {
        self.skip_space();
        if self.keyword("not") {
            self.skip_space();
            if !self.eat(b'(') {
                return Err(self.error("`(` after `not`"));
            }
            let inner = self.group(inside)?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.eat(b'(') {
            return self.group(inside);
        }
        let path = self.attr_path()?;
        if self.eat(b'[') {
            if inside {
                return Err(FilterError {
                    position: self.pos - 1,
                    problem: "no value filter inside a value filter",
                });
            }
            if path.sub.is_some() {
                return Err(self.error("a value filter on an attribute, not a sub-attribute"));
            }
            self.deeper()?;
            let inner = self.or(true)?;
            self.skip_space();
            if !self.eat(b']') {
                return Err(self.error("`]`"));
            }
            self.depth -= 1;
            // `emails[type eq "work"].value eq "x"`, as Entra ID sends it: a comparison on a
            // sub-attribute of the matching value, the same as `emails[type eq "work" and
            // value eq "x"]`.
            let inner = if self.eat(b'.') {
                let start = self.pos;
                self.take_while(is_name_char);
                let sub = &self.input[start..self.pos];
                if !valid_name(sub) {
                    self.pos = start;
                    return Err(self.error("a sub-attribute name after `].`"));
                }
                let sub = AttrPath::new(sub);
                Filter::And(Box::new(inner), Box::new(self.comparison(sub)?))
            } else {
                inner
            };
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        self.comparison(path)
    }

    /// After an attribute path: `pr`, or an operator and a value.
    fn comparison(&mut self, path: AttrPath) -> Result<Filter, FilterError> {
        self.skip_space();
        let start = self.pos;
        self.take_while(|b| b.is_ascii_alphabetic());
        let word = &self.input[start..self.pos];
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(word) else {
            self.pos = start;
            return Err(self.error("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.skip_space();
        let value = self.value()?;
        Ok(Filter::Compare { path, op, value })
    }

    /// After `(`: a filter and `)`.
    fn group(&mut self, inside: bool) -> Result<Filter, FilterError> {
        self.deeper()?;
        let inner = self.or(inside)?;
        self.skip_space();
        if !self.eat(b')') {
            return Err(self.error("`)`"));
        }
        self.depth -= 1;
        Ok(inner)
    }

    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        let start = self.pos;
        self.take_while(|b| is_name_char(b) || b == b':' || b == b'.');
        let token = &self.input[start..self.pos];
        if token.is_empty() {
            return Err(self.error("an attribute name"));
        }
        let (uri, rest) = match token.rfind(':') {
            Some(i) => (Some(&token[..i]), &token[i + 1..]),
            None => (None, token),
        };
        if let Some(uri) = uri
            && (uri.is_empty() || !uri.contains(':'))
        {
            return Err(FilterError {
                position: start,
                problem: "a schema URI before the attribute",
            });
        }
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        if !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
            return Err(FilterError {
                position: start,
                problem: "an attribute name (a letter, then letters, digits, - or _)",
            });
        }
        Ok(AttrPath {
            uri: uri.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    fn value(&mut self) -> Result<CompValue, FilterError> {
        let start = self.pos;
        match self.bytes.get(self.pos) {
            Some(b'"') => {
                // A JSON string: find its end, then let serde_json unescape it.
                self.pos += 1;
                loop {
                    match self.bytes.get(self.pos) {
                        None => return Err(self.error("the end of the string")),
                        Some(b'\\') => self.pos += 2,
                        Some(b'"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                let text = self.input.get(start..self.pos).ok_or(FilterError {
                    position: start,
                    problem: "a string",
                })?;
                match serde_json::from_str::<String>(text) {
                    Ok(s) => Ok(CompValue::String(s)),
                    Err(_) => Err(FilterError {
                        position: start,
                        problem: "a valid JSON string",
                    }),
                }
            }
            Some(b) if *b == b'-' || b.is_ascii_digit() => {
                self.take_while(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
                let text = &self.input[start..self.pos];
                // JSON's number syntax, checked by serde_json; the value read by Rust's
                // correctly rounded parser, so that printing reads back the same number.
                let number = serde_json::from_str::<serde_json::Number>(text)
                    .ok()
                    .and_then(|n| {
                        if n.is_f64() {
                            text.parse::<f64>()
                                .ok()
                                .and_then(serde_json::Number::from_f64)
                        } else {
                            Some(n)
                        }
                    });
                number.map(CompValue::Number).ok_or(FilterError {
                    position: start,
                    problem: "a valid number",
                })
            }
            _ => {
                for (word, value) in [
                    ("true", CompValue::Bool(true)),
                    ("false", CompValue::Bool(false)),
                    ("null", CompValue::Null),
                ] {
                    if self.keyword(word) {
                        return Ok(value);
                    }
                }
                Err(self.error("a value (a string, number, true, false or null)"))
            }
        }
    }
}

/// Finds the member of `object` named `name`, ignoring case (SCIM attribute names are
/// case-insensitive).
pub fn member<'v>(object: &'v Value, name: &str) -> Option<&'v Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

impl Filter {
    /// Whether `resource` (a SCIM resource as JSON) matches. Strings compare
    /// case-insensitively unless `case_exact(path)` says the attribute is case-exact; `gt`,
    /// `ge`, `lt`, `le` compare strings (so ISO 8601 timestamps order correctly) and numbers.
    pub fn matches(&self, resource: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
        match self {
            Filter::And(a, b) => a.matches(resource, case_exact) && b.matches(resource, case_exact),
            Filter::Or(a, b) => a.matches(resource, case_exact) || b.matches(resource, case_exact),
            Filter::Not(inner) => !inner.matches(resource, case_exact),
            Filter::Present(path) => values(resource, path).iter().any(|v| present(v)),
            // An absent attribute equals null.
            Filter::Compare {
                path,
                op,
                value: CompValue::Null,
            } => {
                let has_value = values(resource, path).iter().any(|v| !v.is_null());
                match op {
                    CompareOp::Eq => !has_value,
                    CompareOp::Ne => has_value,
                    _ => false,
                }
            }
            Filter::Compare { path, op, value } => {
                let exact = case_exact(path);
                values(resource, path)
                    .iter()
                    .any(|v| compare(v, *op, value, exact))
            }
            Filter::ValuePath { path, filter } => match attribute(resource, path) {
                Some(Value::Array(items)) => {
                    items.iter().any(|item| filter.matches(item, case_exact))
                }
                Some(single @ Value::Object(_)) => filter.matches(single, case_exact),
                _ => false,
            },
        }
    }
}

/// The attribute `path` names in `resource` (in its extension object when the URI is an
/// extension's; the core schema's URI addresses the top level).
fn attribute<'v>(resource: &'v Value, path: &AttrPath) -> Option<&'v Value> {
    let scope = match &path.uri {
        Some(uri) => member(resource, uri).unwrap_or(resource),
        None => resource,
    };
    member(scope, &path.name)
}

/// Every value `path` reaches: a multi-valued attribute's sub-attribute in each of its
/// values; a multi-valued attribute without a sub-attribute means its `value`s.
fn values<'v>(resource: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let Some(attr) = attribute(resource, path) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match attr {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let multi = attr.is_array();
    items
        .into_iter()
        .filter_map(|item| match (&path.sub, item) {
            (Some(sub), _) => member(item, sub),
            (None, Value::Object(_)) if multi => member(item, "value"),
            (None, v) => Some(v),
        })
        .collect()
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn compare(actual: &Value, op: CompareOp, expected: &CompValue, exact: bool) -> bool {
    let fold = |s: &str| {
        if exact {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    match (actual, expected) {
        (Value::String(a), CompValue::String(e)) => {
            let (a, e) = (fold(a), fold(e));
            match op {
                CompareOp::Eq => a == e,
                CompareOp::Ne => a != e,
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                CompareOp::Gt => a > e,
                CompareOp::Ge => a >= e,
                CompareOp::Lt => a < e,
                CompareOp::Le => a <= e,
            }
        }
        (Value::Number(a), CompValue::Number(e)) => {
            let ordering = match (a.as_f64(), e.as_f64()) {
                (Some(a), Some(e)) => a.partial_cmp(&e),
                _ => None,
            };
            match (op, ordering) {
                (CompareOp::Eq, Some(o)) => o == Ordering::Equal,
                (CompareOp::Ne, Some(o)) => o != Ordering::Equal,
                (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
                (CompareOp::Ge, Some(o)) => o != Ordering::Less,
                (CompareOp::Lt, Some(o)) => o == Ordering::Less,
                (CompareOp::Le, Some(o)) => o != Ordering::Greater,
                _ => false,
            }
        }
        (Value::Bool(a), CompValue::Bool(e)) => match op {
            CompareOp::Eq => a == e,
            CompareOp::Ne => a != e,
            _ => false,
        },
        _ => op == CompareOp::Ne,
    }
}

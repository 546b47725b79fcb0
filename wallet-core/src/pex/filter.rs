//! The JSON Schema subset used by Presentation Exchange `filter` objects.
//!
//! Hand-written and bounded instead of a full JSON Schema engine: a filter comes
//! from an untrusted verifier and is evaluated inside the wallet (and in wasm).
//!
//! Supported keywords: `type` (a name or an array of names), `const`, `enum`,
//! `pattern`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
//! `minLength`, `maxLength` (Unicode code points), `format` (`date`, `date-time`,
//! RFC 3339), `formatMinimum`, `formatMaximum`, `formatExclusiveMinimum`,
//! `formatExclusiveMaximum` (dates and date-times compared in time order),
//! `contains`, `items`, `minItems`, `maxItems`, `properties`, `required`, `not`,
//! `allOf`, `anyOf`, `oneOf`.
//!
//! **Unknown keywords.** JSON Schema (2020-12 Core §6.5) says unknown keywords are
//! ignored, and the DIF spec's own examples carry misspelled ones
//! (`forrmatMaximum`), so a word that is not a JSON Schema keyword is ignored as an
//! annotation. But a keyword that *is* part of the JSON Schema validation or
//! applicator vocabularies and that this subset does not implement (`$ref`, `if`,
//! `multipleOf`, `uniqueItems`, `additionalProperties`, …) is **rejected** with
//! [`PexError::UnsupportedFilterKeyword`]: silently ignoring it would make a
//! verifier accept credentials that do not meet its own constraint. For the same
//! reason an unknown `format` value is rejected.
//!
//! Patterns use the `regex` crate (finite automata: matching is linear in the input,
//! no catastrophic backtracking), with a bounded pattern length and compiled size.
//! As in ECMA-262 Annex B (which JSON Schema patterns follow), a `{` that does not
//! start a valid quantifier is a literal, so `[0-9]{10-12}` from the DIF examples
//! compiles.

use std::cmp::Ordering;

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use super::PexError;

/// Deepest nesting of sub-schemas accepted in one filter.
pub const MAX_FILTER_DEPTH: usize = 8;
/// Most schema objects accepted in one filter.
pub const MAX_FILTER_NODES: usize = 128;
/// Longest accepted `pattern`, in bytes.
pub const MAX_PATTERN_LEN: usize = 256;
/// Bound on the compiled size of one pattern (`RegexBuilder::size_limit`).
pub const MAX_REGEX_SIZE: usize = 64 * 1024;
/// Most entries in an `enum`, `required`, `properties`, `allOf`/`anyOf`/`oneOf`.
pub const MAX_KEYWORD_ITEMS: usize = 64;

/// JSON Schema keywords (validation and applicator vocabularies) this subset does
/// not implement: rejected rather than ignored.
const UNSUPPORTED: &[&str] = &[
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "dependencies",
    "prefixItems",
    "additionalItems",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "minContains",
    "maxContains",
    "multipleOf",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Filter {
    root: Node,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Date,
    DateTime,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// `false` for the boolean schema `false`.
    accept_all: bool,
    reject_all: bool,
    types: Option<Vec<JsonType>>,
    konst: Option<Value>,
    enumeration: Option<Vec<Value>>,
    pattern: Option<Regex>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    format: Option<Format>,
    format_minimum: Option<Instant>,
    format_maximum: Option<Instant>,
    format_exclusive_minimum: Option<Instant>,
    format_exclusive_maximum: Option<Instant>,
    contains: Option<Box<Node>>,
    items: Option<Box<Node>>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    properties: Vec<(String, Node)>,
    required: Vec<String>,
    not: Option<Box<Node>>,
    all_of: Vec<Node>,
    any_of: Vec<Node>,
    one_of: Vec<Node>,
}

impl Filter {
    /// Compiles an untrusted filter object.
    pub fn compile(schema: &Value) -> Result<Self, PexError> {
        let mut budget = MAX_FILTER_NODES;
        Ok(Self {
            root: compile_node(schema, 0, &mut budget)?,
        })
    }

    /// Whether `value` is valid against the filter.
    pub fn accepts(&self, value: &Value) -> bool {
        self.root.accepts(value)
    }
}

fn compile_node(schema: &Value, depth: usize, budget: &mut usize) -> Result<Node, PexError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(PexError::FilterTooDeep);
    }
    *budget = budget.checked_sub(1).ok_or(PexError::FilterTooLarge)?;
    let obj = match schema {
        Value::Bool(true) => {
            return Ok(Node {
                accept_all: true,
                ..Node::default()
            });
        }
        Value::Bool(false) => {
            return Ok(Node {
                reject_all: true,
                ..Node::default()
            });
        }
        Value::Object(o) => o,
        _ => return Err(invalid("schema", "must be an object or a boolean")),
    };
    let mut node = Node::default();
    for (key, value) in obj {
        if UNSUPPORTED.contains(&key.as_str()) {
            return Err(PexError::UnsupportedFilterKeyword(key.clone()));
        }
        match key.as_str() {
            "type" => node.types = Some(compile_types(value)?),
            "const" => node.konst = Some(value.clone()),
            "enum" => {
                let items = bounded_array(value, "enum")?;
                node.enumeration = Some(items.to_vec());
            }
            "pattern" => node.pattern = Some(compile_pattern(value)?),
            "minimum" => node.minimum = Some(number(value, key)?),
            "maximum" => node.maximum = Some(number(value, key)?),
            "exclusiveMinimum" => node.exclusive_minimum = Some(number(value, key)?),
            "exclusiveMaximum" => node.exclusive_maximum = Some(number(value, key)?),
            "minLength" => node.min_length = Some(count(value, key)?),
            "maxLength" => node.max_length = Some(count(value, key)?),
            "minItems" => node.min_items = Some(count(value, key)?),
            "maxItems" => node.max_items = Some(count(value, key)?),
            "format" => {
                node.format = Some(match value.as_str() {
                    Some("date") => Format::Date,
                    Some("date-time") => Format::DateTime,
                    Some(other) => return Err(PexError::UnsupportedFilterFormat(other.to_owned())),
                    None => return Err(invalid(key, "must be a string")),
                })
            }
            "formatMinimum" => node.format_minimum = Some(instant_bound(value, key)?),
            "formatMaximum" => node.format_maximum = Some(instant_bound(value, key)?),
            "formatExclusiveMinimum" => {
                node.format_exclusive_minimum = Some(instant_bound(value, key)?)
            }
            "formatExclusiveMaximum" => {
                node.format_exclusive_maximum = Some(instant_bound(value, key)?)
            }
            "contains" => node.contains = Some(Box::new(compile_node(value, depth + 1, budget)?)),
            "items" => node.items = Some(Box::new(compile_node(value, depth + 1, budget)?)),
            "not" => node.not = Some(Box::new(compile_node(value, depth + 1, budget)?)),
            "allOf" | "anyOf" | "oneOf" => {
                let items = bounded_array(value, key)?;
                if items.is_empty() {
                    return Err(invalid(key, "must not be empty"));
                }
                let compiled = items
                    .iter()
                    .map(|s| compile_node(s, depth + 1, budget))
                    .collect::<Result<Vec<_>, _>>()?;
                match key.as_str() {
                    "allOf" => node.all_of = compiled,
                    "anyOf" => node.any_of = compiled,
                    _ => node.one_of = compiled,
                }
            }
            "properties" => {
                let props = value
                    .as_object()
                    .ok_or_else(|| invalid(key, "must be an object"))?;
                if props.len() > MAX_KEYWORD_ITEMS {
                    return Err(PexError::FilterTooLarge);
                }
                for (name, sub) in props {
                    node.properties
                        .push((name.clone(), compile_node(sub, depth + 1, budget)?));
                }
            }
            "required" => {
                for name in bounded_array(value, key)? {
                    let name = name
                        .as_str()
                        .ok_or_else(|| invalid(key, "must be an array of strings"))?;
                    node.required.push(name.to_owned());
                }
            }
            // Anything else is an annotation or an unknown word: ignored (module doc).
            _ => {}
        }
    }
    Ok(node)
}

fn invalid(keyword: &str, reason: &str) -> PexError {
    PexError::InvalidFilter {
        keyword: keyword.to_owned(),
        reason: reason.to_owned(),
    }
}

fn bounded_array<'a>(value: &'a Value, keyword: &str) -> Result<&'a [Value], PexError> {
    let items = value
        .as_array()
        .ok_or_else(|| invalid(keyword, "must be an array"))?;
    if items.len() > MAX_KEYWORD_ITEMS {
        return Err(PexError::FilterTooLarge);
    }
    Ok(items)
}

fn number(value: &Value, keyword: &str) -> Result<f64, PexError> {
    value
        .as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| invalid(keyword, "must be a number"))
}

fn count(value: &Value, keyword: &str) -> Result<u64, PexError> {
    value
        .as_u64()
        .ok_or_else(|| invalid(keyword, "must be a non-negative integer"))
}

fn instant_bound(value: &Value, keyword: &str) -> Result<Instant, PexError> {
    value
        .as_str()
        .and_then(Instant::parse)
        .ok_or_else(|| invalid(keyword, "must be an RFC 3339 date or date-time"))
}

fn compile_types(value: &Value) -> Result<Vec<JsonType>, PexError> {
    let one = |v: &Value| -> Result<JsonType, PexError> {
        Ok(match v.as_str() {
            Some("string") => JsonType::String,
            Some("number") => JsonType::Number,
            Some("integer") => JsonType::Integer,
            Some("boolean") => JsonType::Boolean,
            Some("object") => JsonType::Object,
            Some("array") => JsonType::Array,
            Some("null") => JsonType::Null,
            _ => return Err(invalid("type", "unknown type name")),
        })
    };
    match value {
        Value::Array(items) => {
            if items.is_empty() || items.len() > 7 {
                return Err(invalid("type", "must list 1 to 7 type names"));
            }
            items.iter().map(one).collect()
        }
        other => Ok(vec![one(other)?]),
    }
}

fn compile_pattern(value: &Value) -> Result<Regex, PexError> {
    let pattern = value
        .as_str()
        .ok_or_else(|| invalid("pattern", "must be a string"))?;
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(PexError::PatternTooLong);
    }
    RegexBuilder::new(&annex_b_braces(pattern))
        .size_limit(MAX_REGEX_SIZE)
        .dfa_size_limit(4 * MAX_REGEX_SIZE)
        .nest_limit(32)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => PexError::PatternTooComplex,
            other => PexError::InvalidPattern(other.to_string()),
        })
}

/// Escapes every `{` that does not open a valid quantifier (`{n}`, `{n,}`,
/// `{n,m}`), outside character classes: ECMA-262 Annex B treats such braces as
/// literals, the `regex` crate rejects them.
fn annex_b_braces(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                out.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                let rest = chars.get(i + 1..).unwrap_or_default();
                if is_quantifier(rest) {
                    // Copy the whole quantifier `{n,m}` unchanged.
                    while let Some(&q) = chars.get(i) {
                        out.push(q);
                        i += 1;
                        if q == '}' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\{");
                    i += 1;
                }
                continue;
            }
            '}' if !in_class => {
                out.push_str("\\}");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `rest` follows a `{`: does it read `n}`, `n,}` or `n,m}`?
fn is_quantifier(rest: &[char]) -> bool {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while rest.get(*i).is_some_and(|c| c.is_ascii_digit()) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if rest.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    rest.get(i) == Some(&'}')
}

impl Node {
    fn accepts(&self, value: &Value) -> bool {
        if self.accept_all {
            return true;
        }
        if self.reject_all {
            return false;
        }
        if let Some(types) = &self.types
            && !types.iter().any(|t| has_type(value, *t))
        {
            return false;
        }
        if let Some(k) = &self.konst
            && !json_eq(k, value)
        {
            return false;
        }
        if let Some(e) = &self.enumeration
            && !e.iter().any(|k| json_eq(k, value))
        {
            return false;
        }
        match value {
            Value::String(s) => {
                if !self.accepts_string(s) {
                    return false;
                }
            }
            Value::Number(n) => {
                let Some(f) = n.as_f64() else { return false };
                if self.minimum.is_some_and(|m| f < m)
                    || self.maximum.is_some_and(|m| f > m)
                    || self.exclusive_minimum.is_some_and(|m| f <= m)
                    || self.exclusive_maximum.is_some_and(|m| f >= m)
                {
                    return false;
                }
            }
            Value::Array(items) => {
                let len = items.len() as u64;
                if self.min_items.is_some_and(|m| len < m)
                    || self.max_items.is_some_and(|m| len > m)
                {
                    return false;
                }
                if let Some(c) = &self.contains
                    && !items.iter().any(|i| c.accepts(i))
                {
                    return false;
                }
                if let Some(s) = &self.items
                    && !items.iter().all(|i| s.accepts(i))
                {
                    return false;
                }
            }
            Value::Object(map) => {
                if !self.accepts_object(map) {
                    return false;
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
        if let Some(n) = &self.not
            && n.accepts(value)
        {
            return false;
        }
        if !self.all_of.iter().all(|s| s.accepts(value)) {
            return false;
        }
        if !self.any_of.is_empty() && !self.any_of.iter().any(|s| s.accepts(value)) {
            return false;
        }
        if !self.one_of.is_empty() && self.one_of.iter().filter(|s| s.accepts(value)).count() != 1 {
            return false;
        }
        true
    }

    fn accepts_string(&self, s: &str) -> bool {
        if self.min_length.is_some() || self.max_length.is_some() {
            // JSON Schema counts length in Unicode code points.
            let len = s.chars().count() as u64;
            if self.min_length.is_some_and(|m| len < m) || self.max_length.is_some_and(|m| len > m)
            {
                return false;
            }
        }
        if let Some(p) = &self.pattern
            && !p.is_match(s)
        {
            return false;
        }
        let needs_instant = self.format_minimum.is_some()
            || self.format_maximum.is_some()
            || self.format_exclusive_minimum.is_some()
            || self.format_exclusive_maximum.is_some();
        if self.format.is_none() && !needs_instant {
            return true;
        }
        let parsed = match self.format {
            Some(Format::Date) => parse_date(s).map(Instant::Date),
            Some(Format::DateTime) => parse_date_time(s).map(Instant::DateTime),
            None => Instant::parse(s),
        };
        let Some(instant) = parsed else { return false };
        let cmp = |bound: &Option<Instant>, bad: &[Ordering]| {
            bound
                .as_ref()
                .is_some_and(|b| instant.compare(b).is_none_or(|o| bad.contains(&o)))
        };
        !(cmp(&self.format_minimum, &[Ordering::Less])
            || cmp(&self.format_maximum, &[Ordering::Greater])
            || cmp(
                &self.format_exclusive_minimum,
                &[Ordering::Less, Ordering::Equal],
            )
            || cmp(
                &self.format_exclusive_maximum,
                &[Ordering::Greater, Ordering::Equal],
            ))
    }

    fn accepts_object(&self, map: &Map<String, Value>) -> bool {
        if !self.required.iter().all(|r| map.contains_key(r)) {
            return false;
        }
        self.properties
            .iter()
            .all(|(name, sub)| map.get(name).is_none_or(|v| sub.accepts(v)))
    }
}

fn has_type(value: &Value, t: JsonType) -> bool {
    match (t, value) {
        (JsonType::String, Value::String(_))
        | (JsonType::Number, Value::Number(_))
        | (JsonType::Boolean, Value::Bool(_))
        | (JsonType::Object, Value::Object(_))
        | (JsonType::Array, Value::Array(_))
        | (JsonType::Null, Value::Null) => true,
        // JSON Schema: an integer is any number with a zero fractional part (1.0 too).
        (JsonType::Integer, Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// JSON Schema equality: numbers compare by value (1 == 1.0), objects by members.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// A point in time from an RFC 3339 `full-date` or `date-time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Instant {
    /// Days since 0000-03-01 (proleptic Gregorian).
    Date(i64),
    /// Seconds since the same epoch in UTC, and nanoseconds.
    DateTime((i64, u32)),
}

impl Instant {
    fn parse(s: &str) -> Option<Self> {
        if s.len() == 10 {
            parse_date(s).map(Instant::Date)
        } else {
            parse_date_time(s).map(Instant::DateTime)
        }
    }

    /// A date compares with a date-time as that day's midnight UTC.
    fn compare(&self, other: &Self) -> Option<Ordering> {
        let as_pair = |i: &Self| match *i {
            Instant::Date(d) => (d.checked_mul(86_400), 0),
            Instant::DateTime((s, n)) => (Some(s), n),
        };
        let (a, an) = as_pair(self);
        let (b, bn) = as_pair(other);
        Some((a?, an).cmp(&(b?, bn)))
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// RFC 3339 `full-date`: `YYYY-MM-DD` with a day valid for its month.
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let y = digits(b.get(0..4)?)?;
    let m = digits(b.get(5..7)?)?;
    let d = digits(b.get(8..10)?)?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let max = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > max {
        return None;
    }
    // Days from civil (H. Hinnant), epoch-independent ordering is all we need.
    let (y, m, d) = (i64::from(y), i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe)
}

/// RFC 3339 §5.6 `date-time`: `full-date "T" HH:MM:SS[.frac] (Z / ±HH:MM)`.
fn parse_date_time(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    let day = parse_date(s.get(0..10)?)?;
    if !matches!(b.get(10), Some(b'T' | b't'))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let h = digits(b.get(11..13)?)?;
    let mi = digits(b.get(14..16)?)?;
    let sec = digits(b.get(17..19)?)?;
    // RFC 3339 allows a leap second (60).
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = b.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        for (k, d) in frac.iter().take(9).enumerate() {
            nanos += u32::from(d - b'0') * 10u32.pow(8 - k as u32);
        }
    }
    let offset: i64 = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh @ .., b':', om1, om2] if oh.len() == 2 => {
            let oh = i64::from(digits(oh)?);
            let om = i64::from(digits(&[*om1, *om2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let secs = day * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec) - offset;
    Some((secs, nanos))
}

/// Whether `s` is an RFC 3339 `full-date` (exposed for tests of the date grammar).
pub fn is_rfc3339_date(s: &str) -> bool {
    parse_date(s).is_some()
}

/// Whether `s` is an RFC 3339 `date-time`.
pub fn is_rfc3339_date_time(s: &str) -> bool {
    parse_date_time(s).is_some()
}

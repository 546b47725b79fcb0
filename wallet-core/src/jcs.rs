//! JSON Canonicalization Scheme (JCS, [RFC 8785]).
//!
//! Data Integrity proofs (`eddsa-jcs-2022`, `ecdsa-jcs-2019`) hash the JCS form of a
//! document, so this must produce byte-for-byte what every other implementation does.
//! The serializer writes a `serde_json::Value` straight into a byte buffer and
//! implements the three rules of RFC 8785 §3.2: ECMAScript number serialization
//! (§3.2.2.3: integers of magnitude ≤ 2^53 directly, every other number through the
//! `serde_json_canonicalizer` crate, i.e. `ryu-js`), minimal string escaping
//! (§3.2.2.2) and member sorting by UTF-16 code units (§3.2.3). It is checked in
//! `tests/jcs.rs` against the RFC's own examples, its Appendix B number table and the
//! reference implementation's test data, and in `tests/jcs_native.rs` against
//! `serde_json_canonicalizer::to_string` on arbitrary values (byte-identical output).
//! The crate's own serializer is not used on the hot path because it re-parses every
//! member name and builds a UTF-16 vector per member to sort.
//!
//! This module adds what the crate leaves to its caller:
//!
//! - the I-JSON constraints of §3.1 on parsed text ("MUST … conform to I-JSON"):
//!   duplicate member names are rejected (serde_json would silently keep the last),
//!   numbers must be finite binary64 values and strings must be valid Unicode
//!   (serde_json already rejects lone surrogates and out-of-range numbers);
//! - bounds on untrusted input: a size limit and a nesting-depth limit, so that a
//!   hostile document can neither exhaust memory nor the stack.
//!
//! Integers are canonicalized as the IEEE-754 double they denote (RFC 8785 §3.2.2.3:
//! "JSON numbers MUST be serialized according to … ECMAScript"), so
//! `9007199254740993` becomes `9007199254740992`, as it does in JavaScript.
//!
//! [RFC 8785]: https://www.rfc-editor.org/rfc/rfc8785

use core::cmp::Ordering;
use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Largest JSON text [`canonicalize_str`] accepts, in bytes (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// Deepest nesting of arrays and objects accepted (the top-level value is depth 1).
pub const MAX_DEPTH: usize = 64;

/// Why a value could not be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JcsError {
    /// The input text is larger than [`MAX_INPUT_BYTES`].
    #[error("JSON input of {0} bytes exceeds the {MAX_INPUT_BYTES}-byte limit")]
    TooLarge(usize),
    /// Arrays/objects nest deeper than [`MAX_DEPTH`].
    #[error("JSON nesting exceeds the depth limit of {MAX_DEPTH}")]
    TooDeep,
    /// The text is not JSON (syntax error, trailing data, lone surrogate, invalid UTF-8).
    #[error("invalid JSON at line {line}, column {column}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// An object has the same member name twice; I-JSON (RFC 7493 §2.3), required by
    /// RFC 8785 §3.1, forbids it.
    #[error("duplicate object member name {0:?}")]
    DuplicateMember(String),
    /// A number is outside the IEEE-754 binary64 range (RFC 8785 §3.2.2.3 requires
    /// an error rather than a silent infinity).
    #[error("number out of the IEEE-754 double range")]
    NumberOutOfRange,
    /// NaN or ±Infinity: not representable in JSON (RFC 8785 §3.2.2.3, Appendix B).
    #[error("NaN and Infinity cannot be canonicalized")]
    NonFinite,
    /// The serializer failed (not expected for a `serde_json::Value`).
    #[error("canonical serialization failed")]
    Serialize,
}

/// Returns the RFC 8785 canonical form of `value`.
///
/// # Errors
/// [`JcsError::TooDeep`] when the value nests deeper than [`MAX_DEPTH`];
/// [`JcsError::Serialize`] should the underlying serializer fail.
pub fn canonicalize(value: &Value) -> Result<String, JcsError> {
    String::from_utf8(canonicalize_to_vec(value)?).map_err(|_| JcsError::Serialize)
}

/// Like [`canonicalize`], returning the UTF-8 bytes that are hashed or signed.
///
/// # Errors
/// As [`canonicalize`].
pub fn canonicalize_to_vec(value: &Value) -> Result<Vec<u8>, JcsError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, 1, &mut out)?;
    Ok(out)
}

/// Appends the canonical form of the object `map` to `out`, without building a
/// `Value` around it (the Data Integrity suites hash borrowed maps).
///
/// # Errors
/// As [`canonicalize`]; `out` then holds a partial serialization.
pub(crate) fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) -> Result<(), JcsError> {
    write_map(map, 1, out)
}

/// Appends the canonical form of the object made of `members` (distinct names, in
/// any order) to `out`: a view of a document with members left out or replaced, so
/// that the caller need not clone the document.
///
/// # Errors
/// As [`canonicalize`]; `out` then holds a partial serialization.
pub(crate) fn write_members(
    members: &mut [(&str, &Value)],
    out: &mut Vec<u8>,
) -> Result<(), JcsError> {
    members.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
    write_sorted_members(members.iter().copied(), 1, out)
}

/// Writes one value whose nesting level is `depth` (the top level is 1). Recursion
/// stops at [`MAX_DEPTH`]: an array or object deeper than that is an error (a
/// scalar may sit one level below it), so a value nested deeper than the stack
/// allows is rejected instead of crashing.
fn write_value(value: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), JcsError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            if depth > MAX_DEPTH {
                return Err(JcsError::TooDeep);
            }
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, depth + 1, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_map(map, depth, out)?,
    }
    Ok(())
}

fn write_map(map: &Map<String, Value>, depth: usize, out: &mut Vec<u8>) -> Result<(), JcsError> {
    if depth > MAX_DEPTH {
        return Err(JcsError::TooDeep);
    }
    // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names.
    // `Map` iterates in UTF-8 byte order, which is the same order unless names mix
    // supplementary-plane characters with U+E000..U+FFFF; only then sort again.
    let in_order = map
        .keys()
        .is_sorted_by(|a, b| utf16_cmp(a, b) != Ordering::Greater);
    if in_order {
        write_sorted_members(map.iter().map(|(k, v)| (k.as_str(), v)), depth, out)
    } else {
        let mut members: Vec<(&str, &Value)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
        members.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
        write_sorted_members(members.into_iter(), depth, out)
    }
}

fn write_sorted_members<'a>(
    members: impl Iterator<Item = (&'a str, &'a Value)>,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), JcsError> {
    if depth > MAX_DEPTH {
        return Err(JcsError::TooDeep);
    }
    out.push(b'{');
    for (i, (name, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(name, out);
        out.push(b':');
        write_value(value, depth + 1, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// Largest magnitude up to which every integer is an exact binary64 value, and
/// ECMAScript prints it as its decimal digits (RFC 8785 §3.2.2.3).
const MAX_EXACT_INT: u64 = 1 << 53;

fn write_number(n: &Number, out: &mut Vec<u8>) -> Result<(), JcsError> {
    use std::io::Write as _;
    if let Some(u) = n.as_u64().filter(|u| *u <= MAX_EXACT_INT) {
        write!(out, "{u}").map_err(|_| JcsError::Serialize)
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_EXACT_INT) {
        write!(out, "{i}").map_err(|_| JcsError::Serialize)
    } else {
        // Larger integers and all fractions: the ECMAScript double formatting of
        // `serde_json_canonicalizer` (ryu-js), which also rounds integers above 2^53
        // to the double they denote.
        serde_json_canonicalizer::to_writer(n, out).map_err(|_| JcsError::Serialize)
    }
}

/// RFC 8785 §3.2.2.2: `"` and `\` escaped, U+0000..U+001F as `\b \t \n \f \r` or
/// `\u00xx` (lowercase hex), every other character as is.
fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut unicode = *b"\\u0000";
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => {
                // Both indices are below 16.
                unicode[4] = HEX[usize::from(b >> 4)];
                unicode[5] = HEX[usize::from(b & 0xf)];
                &unicode
            }
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Compares two strings by their UTF-16 code units (RFC 8785 §3.2.3) without
/// transcoding them. UTF-8 byte order is code point order; UTF-16 order differs only
/// where a supplementary-plane character (UTF-8 lead byte 0xF0..0xF4, a surrogate
/// pair 0xD800..0xDFFF in UTF-16) meets a character of U+E000..U+FFFF (lead byte
/// 0xEE or 0xEF): the surrogate sorts first.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let Some(i) = x.iter().zip(y).position(|(p, q)| p != q) else {
        return x.len().cmp(&y.len());
    };
    let (p, q) = (x.get(i).copied(), y.get(i).copied());
    // The characters before `i` are equal, so the bytes at `i` are either both lead
    // bytes or both continuation bytes (0x80..0xBF) of characters with the same
    // lead byte, hence the same length, where byte order is UTF-16 order.
    match (p, q) {
        (Some(0xee..=0xef), Some(0xf0..)) => Ordering::Greater,
        (Some(0xf0..), Some(0xee..=0xef)) => Ordering::Less,
        _ => p.cmp(&q),
    }
}

/// Parses JSON text under the I-JSON rules of RFC 8785 §3.1 and returns its
/// canonical form.
///
/// # Errors
/// [`JcsError::TooLarge`], [`JcsError::TooDeep`], [`JcsError::Syntax`],
/// [`JcsError::DuplicateMember`], [`JcsError::NumberOutOfRange`].
pub fn canonicalize_str(json: &str) -> Result<String, JcsError> {
    let value = parse(json)?;
    canonicalize(&value)
}

/// Parses JSON text under the I-JSON rules of RFC 8785 §3.1 (no duplicate member
/// names, binary64 numbers) with the size and depth limits of this module.
///
/// # Errors
/// As [`canonicalize_str`].
pub fn parse(json: &str) -> Result<Value, JcsError> {
    if json.len() > MAX_INPUT_BYTES {
        return Err(JcsError::TooLarge(json.len()));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let mut failure = None;
    let value = BoundedValue {
        depth: 1,
        failure: &mut failure,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match (value, failure) {
        (_, Some(f)) => Err(f),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(classify(&e)),
    }
}

/// The ECMAScript `Number.prototype.toString` form of `n` that RFC 8785 §3.2.2.3
/// prescribes (`-0` becomes `0`).
///
/// # Errors
/// [`JcsError::NonFinite`] for NaN and ±Infinity (RFC 8785 Appendix B: "error").
pub fn number_to_string(n: f64) -> Result<String, JcsError> {
    let number = Number::from_f64(n).ok_or(JcsError::NonFinite)?;
    canonicalize(&Value::Number(number))
}

/// serde_json reports out-of-range numbers as a syntax error; tell them apart by the
/// fixed message serde_json uses for `ErrorCode::NumberOutOfRange`.
fn classify(e: &serde_json::Error) -> JcsError {
    if e.to_string().starts_with("number out of range") {
        JcsError::NumberOutOfRange
    } else if e.to_string().starts_with("recursion limit exceeded") {
        JcsError::TooDeep
    } else {
        JcsError::Syntax {
            line: e.line(),
            column: e.column(),
        }
    }
}

/// A `serde_json::Value` deserializer that enforces the depth limit and rejects
/// duplicate member names. Our own errors are recorded in `failure`, because serde's
/// error type can only carry a message.
struct BoundedValue<'f> {
    depth: usize,
    failure: &'f mut Option<JcsError>,
}

impl BoundedValue<'_> {
    fn fail<E: de::Error>(&mut self, e: JcsError) -> E {
        let msg = e.to_string();
        *self.failure = Some(e);
        E::custom(msg)
    }
}

impl<'de> DeserializeSeed<'de> for BoundedValue<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BoundedValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<Value, E> {
        match Number::from_f64(v) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(self.fail(JcsError::NumberOutOfRange)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth > MAX_DEPTH {
            return Err(self.fail(JcsError::TooDeep));
        }
        let mut out = Vec::new();
        loop {
            let seed = BoundedValue {
                depth: self.depth + 1,
                failure: &mut *self.failure,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        if self.depth > MAX_DEPTH {
            return Err(self.fail(JcsError::TooDeep));
        }
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(self.fail(JcsError::DuplicateMember(key)));
            }
            let seed = BoundedValue {
                depth: self.depth + 1,
                failure: &mut *self.failure,
            };
            let value = map.next_value_seed(seed)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

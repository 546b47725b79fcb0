//! JSON Canonicalization Scheme (JCS, [RFC 8785]).
//!
//! Data Integrity proofs (`eddsa-jcs-2022`, `ecdsa-jcs-2019`) hash the JCS form of a
//! document, so this must produce byte-for-byte what every other implementation does.
//! The serializer is the `serde_json_canonicalizer` crate, which implements the three
//! rules of RFC 8785 §3.2: ECMAScript number serialization (§3.2.2.3, via `ryu-js`),
//! minimal string escaping (§3.2.2.2) and member sorting by UTF-16 code units
//! (§3.2.3). It is checked in `tests/jcs.rs` against the RFC's own examples, its
//! Appendix B number table and the reference implementation's test data.
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
    check_depth(value)?;
    serde_json_canonicalizer::to_string(value).map_err(|_| JcsError::Serialize)
}

/// Like [`canonicalize`], returning the UTF-8 bytes that are hashed or signed.
///
/// # Errors
/// As [`canonicalize`].
pub fn canonicalize_to_vec(value: &Value) -> Result<Vec<u8>, JcsError> {
    canonicalize(value).map(String::into_bytes)
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

/// Depth of a `Value` built in memory, computed without recursion so that a value
/// nested deeper than the stack allows is still rejected instead of crashing.
fn check_depth(value: &Value) -> Result<(), JcsError> {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 1)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(o) => Box::new(o.values()),
            _ => continue,
        };
        if depth > MAX_DEPTH {
            return Err(JcsError::TooDeep);
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    Ok(())
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

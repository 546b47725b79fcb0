//! W3C Verifiable Credentials Data Model [1.1] and [2.0]: [`Credential`],
//! [`Presentation`] and [`EnvelopedCredential`] (VC 2.0 §4.13).
//!
//! # Nothing is dropped
//!
//! Each type wraps the JSON object it was built from and never rebuilds it: every
//! member, known or not, is kept, and [`Credential::as_map`] returns it unchanged.
//! A proof made over the document therefore stays valid after a round trip through
//! these types. The accessors (`issuer()`, `types()`, `valid_from()`, …) read the
//! wrapped object; the constructors check it once, so they cannot fail later.
//!
//! Member *order* is not kept: this crate uses `serde_json` without its
//! `preserve_order` feature, so a `Map` is a `BTreeMap` and serializes in name
//! order. That feature is deliberately not enabled — it would change
//! `serde_json::Map` for every module of the workspace, and signed JSON is
//! required to be deterministic. Order is irrelevant to the proofs this crate
//! makes and checks: Data Integrity `*-jcs-*` suites hash the JCS (RFC 8785) form,
//! which sorts members, and JWTs sign their payload bytes as received.
//!
//! # Bounds
//!
//! JSON text is parsed with [`crate::jcs::parse`] (1 MiB, 64 levels, duplicate
//! member names refused); values handed in directly are checked against
//! [`MAX_DEPTH`] and [`MAX_NODES`] without recursion.
//!
//! [1.1]: https://www.w3.org/TR/vc-data-model/
//! [2.0]: https://www.w3.org/TR/vc-data-model-2.0/

mod credential;
mod datetime;
mod envelope;
mod presentation;

pub use self::credential::Credential;
pub use self::datetime::{format_datetime, parse_datetime};
pub use self::envelope::{EnvelopedCredential, EnvelopedMediaType};
pub use self::presentation::{EmbeddedCredential, Presentation};

use serde_json::{Map, Value};

use crate::jcs::JcsError;

/// The base context of VC Data Model 1.1 (§4.1: the first `@context` item).
pub const CREDENTIALS_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
/// The base context of VC Data Model 2.0 (§4.3: the first `@context` item).
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The deepest nesting of arrays and objects accepted (the document is depth 1).
pub const MAX_DEPTH: usize = 64;
/// The most JSON values (objects, arrays, scalars) a document may hold.
pub const MAX_NODES: usize = 100_000;
/// The most credentials a presentation may carry.
pub const MAX_CREDENTIALS: usize = 256;

/// Which version of the data model a document follows, named by its first
/// `@context` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VcVersion {
    /// VC Data Model 1.1 (`https://www.w3.org/2018/credentials/v1`).
    V1_1,
    /// VC Data Model 2.0 (`https://www.w3.org/ns/credentials/v2`).
    V2_0,
}

impl VcVersion {
    /// The base context URL of this version.
    #[must_use]
    pub fn context(self) -> &'static str {
        match self {
            Self::V1_1 => CREDENTIALS_V1_CONTEXT,
            Self::V2_0 => CREDENTIALS_V2_CONTEXT,
        }
    }
}

/// What is wrong with a credential or presentation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VcError {
    /// The JSON text is not acceptable (syntax, size, depth, duplicate names).
    #[error("invalid JSON: {0}")]
    Json(#[from] JcsError),
    /// The document is not a JSON object.
    #[error("document is not a JSON object")]
    NotAnObject,
    /// The document nests deeper than [`MAX_DEPTH`].
    #[error("document nests deeper than {MAX_DEPTH}")]
    TooDeep,
    /// The document holds more than [`MAX_NODES`] values.
    #[error("document holds more than {MAX_NODES} values")]
    TooLarge,
    /// `@context` is absent (VC 1.1 §4.1, VC 2.0 §4.3: it MUST be present).
    #[error("missing @context")]
    MissingContext,
    /// `@context` is not a string or an array of strings and objects.
    #[error("@context is malformed")]
    InvalidContext,
    /// The first `@context` item is neither base context (VC 1.1 §4.1: "The value
    /// of the first item MUST be `https://www.w3.org/2018/credentials/v1`";
    /// VC 2.0 §4.3 likewise for `https://www.w3.org/ns/credentials/v2`).
    #[error("first @context item is not a VC base context")]
    UnknownBaseContext,
    /// `type` is absent.
    #[error("missing type")]
    MissingType,
    /// `type` is not a string or an array of strings.
    #[error("type is malformed")]
    InvalidType,
    /// `type` lacks the required value (`VerifiableCredential` or
    /// `VerifiablePresentation`, VC 2.0 §4.5).
    #[error("type does not include {0}")]
    MissingRequiredType(&'static str),
    /// `id` is present but not a string (VC 2.0 §4.4: a single URL).
    #[error("id is not a string")]
    InvalidId,
    /// `issuer` is absent (VC 2.0 §4.7: it MUST be present).
    #[error("missing issuer")]
    MissingIssuer,
    /// `issuer` is not a URL string or an object whose `id` is one.
    #[error("issuer is malformed")]
    InvalidIssuer,
    /// `credentialSubject` is absent (VC 2.0 §4.8: it MUST be present).
    #[error("missing credentialSubject")]
    MissingSubject,
    /// `credentialSubject` is not an object or a non-empty array of objects, or a
    /// subject `id` is not a string.
    #[error("credentialSubject is malformed")]
    InvalidSubject,
    /// A required date is absent (VC 1.1 §4.6: `issuanceDate` MUST be present).
    #[error("missing {0}")]
    MissingDate(&'static str),
    /// A date is not an RFC 3339 / XML Schema `dateTimeStamp` (with a time zone).
    #[error("{0} is not an RFC 3339 date-time with a time zone")]
    InvalidDate(&'static str),
    /// A member that must be an object or an array of objects is not
    /// (`proof`, `credentialStatus`, `verifiableCredential` entries).
    #[error("{0} is malformed")]
    InvalidMember(&'static str),
    /// The presentation's `holder` is not a URL string or an object whose `id` is.
    #[error("holder is malformed")]
    InvalidHolder,
    /// More than [`MAX_CREDENTIALS`] credentials in a presentation.
    #[error("more than {MAX_CREDENTIALS} credentials in a presentation")]
    TooManyCredentials,
    /// An `EnvelopedVerifiableCredential` is malformed (VC 2.0 §4.13).
    #[error("EnvelopedVerifiableCredential is malformed: {0}")]
    InvalidEnvelope(&'static str),
    /// An `EnvelopedVerifiableCredential` has a media type this crate does not
    /// handle.
    #[error("unsupported enveloped media type {0:?}")]
    UnsupportedMediaType(String),
    /// The credential is not valid yet (`validFrom` / `issuanceDate` after now).
    #[error("not valid before {not_before}, now {now}")]
    NotYetValid {
        /// The start of validity (unix seconds).
        not_before: i64,
        /// The caller's time.
        now: i64,
    },
    /// The credential has expired (`validUntil` / `expirationDate` before now).
    #[error("expired at {not_after}, now {now}")]
    Expired {
        /// The end of validity (unix seconds).
        not_after: i64,
        /// The caller's time.
        now: i64,
    },
}

/// Checks nesting depth and value count of a JSON object without recursion.
pub(crate) fn check_bounds(root: &Map<String, Value>) -> Result<(), VcError> {
    let mut stack: Vec<(&Value, usize)> = root.values().map(|v| (v, 2)).collect();
    let mut nodes = 1usize;
    while let Some((value, depth)) = stack.pop() {
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(VcError::TooLarge);
        }
        if depth > MAX_DEPTH {
            return Err(VcError::TooDeep);
        }
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Parses JSON text with the bounds of [`crate::jcs::parse`] into an object.
pub(crate) fn parse_object(json: &str) -> Result<Map<String, Value>, VcError> {
    match crate::jcs::parse(json)? {
        Value::Object(map) => Ok(map),
        _ => Err(VcError::NotAnObject),
    }
}

/// Reads and checks `@context`; returns the version its first item names.
pub(crate) fn check_context(map: &Map<String, Value>) -> Result<VcVersion, VcError> {
    let first = match map.get("@context") {
        None => return Err(VcError::MissingContext),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(items)) => {
            if items
                .iter()
                .any(|v| !matches!(v, Value::String(_) | Value::Object(_)))
            {
                return Err(VcError::InvalidContext);
            }
            match items.first() {
                Some(Value::String(s)) => s.as_str(),
                _ => return Err(VcError::UnknownBaseContext),
            }
        }
        Some(_) => return Err(VcError::InvalidContext),
    };
    match first {
        CREDENTIALS_V1_CONTEXT => Ok(VcVersion::V1_1),
        CREDENTIALS_V2_CONTEXT => Ok(VcVersion::V2_0),
        _ => Err(VcError::UnknownBaseContext),
    }
}

/// Reads `type` (a string or an array of strings) and checks it has `required`.
pub(crate) fn check_types(map: &Map<String, Value>, required: &'static str) -> Result<(), VcError> {
    let types = string_or_strings(map.get("type").ok_or(VcError::MissingType)?)
        .ok_or(VcError::InvalidType)?;
    if types.contains(&required) {
        Ok(())
    } else {
        Err(VcError::MissingRequiredType(required))
    }
}

/// The strings of a value that is a string or an array of strings.
pub(crate) fn string_or_strings(value: &Value) -> Option<Vec<&str>> {
    match value {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// The objects of a value that is an object or an array of objects.
pub(crate) fn object_or_objects(value: &Value) -> Option<Vec<&Map<String, Value>>> {
    match value {
        Value::Object(m) => Some(vec![m]),
        Value::Array(items) => items.iter().map(Value::as_object).collect(),
        _ => None,
    }
}

/// Checks an optional member that must be an object or an array of objects.
pub(crate) fn check_objects(map: &Map<String, Value>, name: &'static str) -> Result<(), VcError> {
    match map.get(name) {
        None => Ok(()),
        Some(v) => object_or_objects(v)
            .map(|_| ())
            .ok_or(VcError::InvalidMember(name)),
    }
}

/// The id of a member that is a URL string or an object with a string `id`
/// (`issuer`, `holder`).
pub(crate) fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Object(m) => m
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// Checks an optional `id` member is a string.
pub(crate) fn check_id(map: &Map<String, Value>) -> Result<(), VcError> {
    match map.get("id") {
        None | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(VcError::InvalidId),
    }
}

/// The accessors every top-level object of the data model has: [`Credential`] and
/// [`Presentation`] both keep their JSON object in `map` and their version in `version`.
macro_rules! json_object_accessors {
    ($what:literal) => {
        /// The JSON object, with every member as given.
        #[must_use]
        pub fn as_map(&self) -> &serde_json::Map<String, serde_json::Value> {
            &self.map
        }

        /// The JSON object, with every member as given.
        #[must_use]
        pub fn into_map(self) -> serde_json::Map<String, serde_json::Value> {
            self.map
        }

        #[doc = concat!("The ", $what, " as compact JSON text (members in name order).")]
        #[must_use]
        pub fn to_json(&self) -> String {
            serde_json::Value::Object(self.map.clone()).to_string()
        }

        /// The data model version, from the first `@context` item.
        #[must_use]
        pub fn version(&self) -> $crate::vc::VcVersion {
            self.version
        }

        /// The `@context` items (a single string gives one item).
        #[must_use]
        pub fn context(&self) -> Vec<&serde_json::Value> {
            match self.map.get("@context") {
                Some(serde_json::Value::Array(items)) => items.iter().collect(),
                Some(v) => vec![v],
                None => Vec::new(),
            }
        }

        /// The `type` values.
        #[must_use]
        pub fn types(&self) -> Vec<&str> {
            self.map
                .get("type")
                .and_then($crate::vc::string_or_strings)
                .unwrap_or_default()
        }
    };
}
pub(crate) use json_object_accessors;

//! The JWS Protected Header (RFC 7515 §4): typed registered members, every other
//! member kept in an ordered map, strict parsing and deterministic serialization.

use core::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::{Algorithm, JwsError};

/// The largest decoded protected header (JSON bytes) that is parsed.
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// Header Parameter names registered by RFC 7515 §4.1. `crit` may not list them
/// (§4.1.11: "Producers MUST NOT include Header Parameter names defined by this
/// specification"), and [`Header::insert_member`] refuses the typed ones.
const REGISTERED: [&str; 11] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
];

/// The members with a typed field in [`Header`].
const TYPED: [&str; 5] = ["alg", "kid", "typ", "cty", "crit"];

/// A JWS Protected Header.
///
/// Serialization ([`Header::to_json`]) is deterministic: all members, typed and
/// other, are emitted in lexicographic order of their names, without whitespace.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// `alg` (§4.1.1): the signature algorithm.
    pub alg: Algorithm,
    /// `kid` (§4.1.4): which key signed.
    pub kid: Option<String>,
    /// `typ` (§4.1.9): the media type of the whole JWS (e.g. `JWT`, `dc+sd-jwt`).
    pub typ: Option<String>,
    /// `cty` (§4.1.10): the media type of the payload.
    pub cty: Option<String>,
    crit: Option<Vec<String>>,
    other: Map<String, Value>,
}

impl Header {
    /// A header with only `alg`.
    #[must_use]
    pub fn new(alg: Algorithm) -> Self {
        Self {
            alg,
            kid: None,
            typ: None,
            cty: None,
            crit: None,
            other: Map::new(),
        }
    }

    /// Sets `kid`, builder style.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `typ`, builder style.
    #[must_use]
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets `cty`, builder style.
    #[must_use]
    pub fn with_cty(mut self, cty: impl Into<String>) -> Self {
        self.cty = Some(cty.into());
        self
    }

    /// The `crit` list (§4.1.11), if present.
    #[must_use]
    pub fn crit(&self) -> Option<&[String]> {
        self.crit.as_deref()
    }

    /// Sets `crit`. Every name must be a member already set with
    /// [`Header::insert_member`]; the list must be non-empty, without duplicates and
    /// without registered names (§4.1.11). Note that [`super::verify`] rejects every
    /// `crit`: this crate understands no extension.
    ///
    /// # Errors
    /// [`JwsError::CritEmpty`], [`JwsError::CritInvalid`].
    pub fn set_crit(&mut self, names: Vec<String>) -> Result<(), JwsError> {
        check_crit(&names, &self.other)?;
        self.crit = Some(names);
        Ok(())
    }

    /// Adds a member that has no typed field (e.g. `nonce`, `jwk` for a proof of
    /// possession, `b64`). Replaces an earlier value of the same name.
    ///
    /// # Errors
    /// [`JwsError::InvalidHeaderMember`] for `alg`, `kid`, `typ`, `cty` and `crit`,
    /// which have typed fields.
    pub fn insert_member(&mut self, name: impl Into<String>, value: Value) -> Result<(), JwsError> {
        let name = name.into();
        if let Some(typed) = TYPED.iter().find(|t| **t == name) {
            return Err(JwsError::InvalidHeaderMember(typed));
        }
        self.other.insert(name, value);
        Ok(())
    }

    /// Adds a member, builder style (see [`Header::insert_member`]).
    ///
    /// # Errors
    /// As [`Header::insert_member`].
    pub fn with_member(mut self, name: impl Into<String>, value: Value) -> Result<Self, JwsError> {
        self.insert_member(name, value)?;
        Ok(self)
    }

    /// A member without a typed field, by name.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.other.get(name)
    }

    /// All members without a typed field, in name order.
    #[must_use]
    pub fn members(&self) -> &Map<String, Value> {
        &self.other
    }

    /// The header as a JSON object (an ordered map).
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = self.other.clone();
        map.insert("alg".into(), Value::String(self.alg.as_str().into()));
        let opt = [("kid", &self.kid), ("typ", &self.typ), ("cty", &self.cty)];
        for (name, value) in opt {
            if let Some(v) = value {
                map.insert(name.into(), Value::String(v.clone()));
            }
        }
        if let Some(crit) = &self.crit {
            map.insert(
                "crit".into(),
                Value::Array(crit.iter().cloned().map(Value::String).collect()),
            );
        }
        map
    }

    /// The deterministic JSON text: members sorted by name, no whitespace.
    #[must_use]
    pub fn to_json(&self) -> String {
        // serde_json's Map is a BTreeMap (no `preserve_order`), so the order is
        // lexicographic by construction, and Value serialization cannot fail.
        Value::Object(self.to_map()).to_string()
    }

    /// Parses a decoded protected header: a JSON object of at most
    /// [`MAX_HEADER_LEN`] bytes, without duplicate member names (RFC 7515 §4: "the
    /// Header Parameter names ... MUST be unique"), with a supported `alg` and
    /// well-typed registered members.
    ///
    /// # Errors
    /// [`JwsError::HeaderTooLarge`], [`JwsError::HeaderJson`],
    /// [`JwsError::HeaderNotObject`], [`JwsError::DuplicateHeaderMember`],
    /// [`JwsError::MissingAlg`], the `alg` errors of [`Algorithm::parse`],
    /// [`JwsError::InvalidHeaderMember`], [`JwsError::CritEmpty`],
    /// [`JwsError::CritInvalid`].
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, JwsError> {
        if bytes.len() > MAX_HEADER_LEN {
            return Err(JwsError::HeaderTooLarge {
                len: bytes.len(),
                max: MAX_HEADER_LEN,
            });
        }
        let mut map = parse_unique_object(bytes).map_err(|e| match e {
            ObjectError::Json(msg) => JwsError::HeaderJson(msg),
            ObjectError::NotObject => JwsError::HeaderNotObject,
            ObjectError::Duplicate(name) => JwsError::DuplicateHeaderMember(name),
        })?;
        let alg = match map.remove("alg") {
            None => return Err(JwsError::MissingAlg),
            Some(Value::String(s)) => Algorithm::parse(&s)?,
            Some(_) => return Err(JwsError::InvalidHeaderMember("alg")),
        };
        let kid = take_string(&mut map, "kid")?;
        let typ = take_string(&mut map, "typ")?;
        let cty = take_string(&mut map, "cty")?;
        let crit = match map.remove("crit") {
            None => None,
            Some(Value::Array(items)) => {
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => names.push(s),
                        _ => return Err(JwsError::CritInvalid),
                    }
                }
                check_crit(&names, &map)?;
                Some(names)
            }
            Some(_) => return Err(JwsError::CritInvalid),
        };
        Ok(Self {
            alg,
            kid,
            typ,
            cty,
            crit,
            other: map,
        })
    }
}

fn take_string(
    map: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, JwsError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwsError::InvalidHeaderMember(name)),
    }
}

/// RFC 7515 §4.1.11: `crit` is a non-empty array ("Producers MUST NOT use the empty
/// list"), of names that are not registered ones, and each named member MUST be
/// present. Duplicates make no sense and are refused too.
fn check_crit(names: &[String], other: &Map<String, Value>) -> Result<(), JwsError> {
    if names.is_empty() {
        return Err(JwsError::CritEmpty);
    }
    for (i, name) in names.iter().enumerate() {
        let registered = REGISTERED.contains(&name.as_str());
        let duplicate = names.iter().take(i).any(|n| n == name);
        if registered || duplicate || !other.contains_key(name) {
            return Err(JwsError::CritInvalid);
        }
    }
    Ok(())
}

/// Why a JSON text is not an object with unique member names.
pub(crate) enum ObjectError {
    /// Not JSON (syntax, UTF-8, nesting deeper than serde_json's limit of 128).
    Json(String),
    /// JSON, but not an object.
    NotObject,
    /// A top-level member name occurs twice.
    Duplicate(String),
}

/// Parses a JSON object and refuses duplicate top-level member names, which
/// serde_json's own `Map` deserialization would silently resolve to the last one
/// (two parsers disagreeing about a signed header is a classic confusion).
/// Nested objects are not checked.
pub(crate) fn parse_unique_object(bytes: &[u8]) -> Result<Map<String, Value>, ObjectError> {
    let mut duplicate = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = UniqueObjectSeed {
        duplicate: &mut duplicate,
    }
    .deserialize(&mut de)
    .and_then(|map| de.end().map(|()| map));
    match parsed {
        Ok(map) => Ok(map),
        Err(e) => {
            if let Some(name) = duplicate {
                return Err(ObjectError::Duplicate(name));
            }
            // Only on the error path: tell "valid JSON, wrong type" from "not JSON".
            match serde_json::from_slice::<Value>(bytes) {
                Ok(_) => Err(ObjectError::NotObject),
                Err(_) => Err(ObjectError::Json(e.to_string())),
            }
        }
    }
}

struct UniqueObjectSeed<'a> {
    duplicate: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for UniqueObjectSeed<'_> {
    type Value = Map<String, Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for UniqueObjectSeed<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let err = A::Error::custom(format_args!("duplicate member {key:?}"));
                *self.duplicate = Some(key);
                return Err(err);
            }
            let value: Value = access.next_value()?;
            map.insert(key, value);
        }
        Ok(map)
    }
}

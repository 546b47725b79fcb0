//! A verifiable presentation (VC 1.1 §4.10, VC 2.0 §4.12) kept as its JSON object.

use serde_json::{Map, Value};

use super::envelope::EnvelopedCredential;
use super::{
    Credential, MAX_CREDENTIALS, VcError, VcVersion, check_bounds, check_context, check_id,
    check_objects, check_types, id_of, object_or_objects, parse_object,
};

/// One entry of a presentation's `verifiableCredential`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EmbeddedCredential {
    /// A JSON credential (secured by an embedded proof, checked separately).
    Json(Credential),
    /// An `EnvelopedVerifiableCredential` (VC 2.0 §4.13).
    Enveloped(EnvelopedCredential),
    /// A compact JWT string, as VC 1.1 §6.3.1 allows inside a VP-JWT's `vp` claim.
    Jwt(String),
}

/// A presentation: the JSON object it was made from, checked once at construction.
///
/// Checked: `@context`, `type` includes `VerifiablePresentation`, `holder` (when
/// present) a URL string or an object with a string `id`, every
/// `verifiableCredential` entry (a valid [`Credential`], an
/// [`EnvelopedCredential`], or a JWT string), `proof` an object or array of objects,
/// size and depth bounds. Every member is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    map: Map<String, Value>,
    version: VcVersion,
    credentials: Vec<EmbeddedCredential>,
}

impl Presentation {
    /// Parses JSON text (bounded, duplicate member names refused).
    ///
    /// # Errors
    /// [`VcError::Json`] and the errors of [`Presentation::from_map`].
    pub fn from_json(json: &str) -> Result<Self, VcError> {
        Self::from_map(parse_object(json)?)
    }

    /// Checks a JSON value.
    ///
    /// # Errors
    /// [`VcError::NotAnObject`] and the errors of [`Presentation::from_map`].
    pub fn from_value(value: Value) -> Result<Self, VcError> {
        match value {
            Value::Object(map) => Self::from_map(map),
            _ => Err(VcError::NotAnObject),
        }
    }

    /// Checks a JSON object.
    ///
    /// # Errors
    /// One [`VcError`] variant per failed check; an invalid embedded credential
    /// gives its own error.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, VcError> {
        check_bounds(&map)?;
        let version = check_context(&map)?;
        check_types(&map, "VerifiablePresentation")?;
        check_id(&map)?;
        if let Some(h) = map.get("holder")
            && id_of(h).is_none()
        {
            return Err(VcError::InvalidHolder);
        }
        check_objects(&map, "proof")?;
        let entries: Vec<&Value> = match map.get("verifiableCredential") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v) => vec![v],
        };
        if entries.len() > MAX_CREDENTIALS {
            return Err(VcError::TooManyCredentials);
        }
        let credentials = entries
            .into_iter()
            .map(|entry| match entry {
                Value::Object(m) if EnvelopedCredential::is_envelope(m) => {
                    EnvelopedCredential::from_map(m.clone()).map(EmbeddedCredential::Enveloped)
                }
                Value::Object(m) => Credential::from_map(m.clone()).map(EmbeddedCredential::Json),
                Value::String(s) if is_compact_jws(s) => Ok(EmbeddedCredential::Jwt(s.clone())),
                _ => Err(VcError::InvalidMember("verifiableCredential")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            map,
            version,
            credentials,
        })
    }

    super::json_object_accessors!("presentation");

    /// The presentation's `id`, if any.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.map.get("id").and_then(Value::as_str)
    }

    /// The holder's id (the `holder` string, or its `id`), if present.
    #[must_use]
    pub fn holder(&self) -> Option<&str> {
        self.map.get("holder").and_then(id_of)
    }

    /// The credentials, in order.
    #[must_use]
    pub fn verifiable_credentials(&self) -> &[EmbeddedCredential] {
        &self.credentials
    }

    /// The embedded proofs.
    #[must_use]
    pub fn proofs(&self) -> Vec<&Map<String, Value>> {
        self.map
            .get("proof")
            .and_then(object_or_objects)
            .unwrap_or_default()
    }

    /// A member by name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }
}

impl TryFrom<Map<String, Value>> for Presentation {
    type Error = VcError;
    fn try_from(map: Map<String, Value>) -> Result<Self, VcError> {
        Self::from_map(map)
    }
}

impl serde::Serialize for Presentation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(s)
    }
}

/// Three non-empty-header base64url parts separated by `.` (an SD-JWT's `~`
/// suffix allowed), bounded like an envelope token.
fn is_compact_jws(s: &str) -> bool {
    s.len() <= super::envelope::MAX_TOKEN_LEN
        && s.split('~').next().is_some_and(|jws| {
            let parts: Vec<&str> = jws.split('.').collect();
            parts.len() == 3
                && parts.first().is_some_and(|h| !h.is_empty())
                && parts.iter().all(|p| {
                    p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
        })
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

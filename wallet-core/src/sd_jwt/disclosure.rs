//! Disclosures (RFC 9901 §4.2): `base64url(JSON([salt, name, value]))` for object
//! properties and `base64url(JSON([salt, value]))` for array elements, and their
//! digests (§4.2.3).

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::{SALT_BYTES, SdJwtError};
use crate::encoding::{b64u_decode, b64u_encode};
use crate::random::SecureRandom;

/// One disclosure: its exact encoded form (what is hashed and sent) and its decoded
/// content.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    encoded: String,
    salt: String,
    name: Option<String>,
    value: Value,
    digest: String,
}

/// The base64url SHA-256 digest of a disclosure. RFC 9901 §4.2.3: "The digest MUST be
/// taken over the US-ASCII bytes of the base64url-encoded value that is the
/// Disclosure", and the digest bytes are base64url-encoded.
#[must_use]
pub fn disclosure_digest(encoded: &str) -> String {
    b64u_encode(Sha256::digest(encoded.as_bytes()))
}

impl Disclosure {
    /// Decodes a disclosure string.
    ///
    /// # Errors
    /// [`SdJwtError::MalformedDisclosure`] when it is not base64url of a JSON array of
    /// two or three elements whose salt (and name) are strings.
    pub fn parse(encoded: &str) -> Result<Self, SdJwtError> {
        let bytes =
            b64u_decode(encoded).map_err(|_| SdJwtError::MalformedDisclosure("not base64url"))?;
        let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(SdJwtError::MalformedDisclosure("not a JSON array"));
        };
        let mut items = items.into_iter();
        let (salt, name, value) = match (items.next(), items.next(), items.next(), items.next()) {
            (Some(Value::String(salt)), Some(value), None, None) => (salt, None, value),
            (Some(Value::String(salt)), Some(Value::String(name)), Some(value), None) => {
                (salt, Some(name), value)
            }
            (Some(Value::String(_)), Some(_), Some(_), None) => {
                return Err(SdJwtError::MalformedDisclosure(
                    "claim name is not a string",
                ));
            }
            (Some(Value::String(_)), _, _, _) => {
                return Err(SdJwtError::MalformedDisclosure("not 2 or 3 elements"));
            }
            _ => return Err(SdJwtError::MalformedDisclosure("salt is not a string")),
        };
        Ok(Self {
            digest: disclosure_digest(encoded),
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
        })
    }

    /// A new disclosure with a fresh salt of [`SALT_BYTES`] random bytes: for an
    /// object property when `name` is given, else for an array element.
    ///
    /// # Errors
    /// [`SdJwtError::Random`].
    pub fn new(
        name: Option<&str>,
        value: Value,
        rng: &mut impl SecureRandom,
    ) -> Result<Self, SdJwtError> {
        let salt = b64u_encode(rng.bytes::<SALT_BYTES>()?);
        let array = match name {
            Some(n) => Value::Array(vec![
                Value::String(salt.clone()),
                Value::String(n.to_owned()),
                value.clone(),
            ]),
            None => Value::Array(vec![Value::String(salt.clone()), value.clone()]),
        };
        let encoded = b64u_encode(array.to_string());
        Ok(Self {
            digest: disclosure_digest(&encoded),
            encoded,
            salt,
            name: name.map(str::to_owned),
            value,
        })
    }

    /// The encoded disclosure, exactly as issued.
    #[must_use]
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// The salt.
    #[must_use]
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The claim name (object property disclosures only).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The claim value.
    #[must_use]
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The base64url SHA-256 digest of [`Disclosure::encoded`].
    #[must_use]
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

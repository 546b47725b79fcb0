//! JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037 §2) and JWK thumbprints (RFC 7638).
//!
//! A [`Jwk`] is the parsed JSON object; [`Jwk::to_public_key`] and
//! [`Jwk::to_private_key`] turn it into validated key types. Private members are held
//! in [`SecretParam`]s: zeroized on drop and redacted in `Debug`.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::encoding::{b64u_decode, b64u_encode};
use crate::keys::{
    Ed25519PrivateKey, Ed25519PublicKey, KeyError, KeyType, P256PrivateKey, P256PublicKey,
    PrivateKey, PublicKey, RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey,
};

/// The largest JWK JSON document [`Jwk::from_json`] parses.
pub const MAX_JWK_JSON_LEN: usize = 16 * 1024;

/// What is wrong with a JWK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkError {
    /// Not a JSON object of the JWK shape (or larger than [`MAX_JWK_JSON_LEN`]).
    #[error("malformed JWK: {0}")]
    Malformed(String),
    /// `kty` / `crv` name a key type this crate does not support.
    #[error("unsupported key type {kty:?} / curve {crv:?}")]
    Unsupported {
        /// The `kty` member.
        kty: String,
        /// The `crv` member, if any.
        crv: Option<String>,
    },
    /// A member required for this key type is missing (RFC 7518 §6).
    #[error("JWK member {0:?} is required for this key type")]
    MissingMember(&'static str),
    /// A member is not base64url without padding.
    #[error("JWK member {0:?} is not base64url")]
    BadEncoding(&'static str),
    /// The decoded members are not a valid key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A private key was asked for, but the JWK has no `d`.
    #[error("JWK holds no private key")]
    NotPrivate,
}

/// A private JWK member (`d`, `p`, `q`, `dp`, `dq`, `qi`): base64url text that is
/// zeroized on drop and never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(transparent)]
pub struct SecretParam(String);

impl SecretParam {
    fn from_bytes(bytes: &[u8]) -> Self {
        Self(b64u_encode(bytes))
    }

    /// The base64url text. Named so that reading a secret is visible in review.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.0
    }

    fn decode(&self, name: &'static str) -> Result<Zeroizing<Vec<u8>>, JwkError> {
        b64u_decode(&self.0)
            .map(Zeroizing::new)
            .map_err(|_| JwkError::BadEncoding(name))
    }
}

impl core::fmt::Debug for SecretParam {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A JSON Web Key. Unknown members are ignored on input (RFC 7517 §4) and not
/// re-emitted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `OKP`, `EC` or `RSA`.
    pub kty: String,
    /// Curve: `Ed25519`, `X25519` (OKP) or `P-256` (EC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// Public key (OKP) or x-coordinate (EC), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// y-coordinate (EC), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Private key (OKP seed, EC scalar, RSA private exponent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<SecretParam>,
    /// RSA first prime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<SecretParam>,
    /// RSA second prime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<SecretParam>,
    /// RSA first factor CRT exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<SecretParam>,
    /// RSA second factor CRT exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dq: Option<SecretParam>,
    /// RSA first CRT coefficient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qi: Option<SecretParam>,
    /// Key ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended use: `sig` or `enc`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Algorithm intended for the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Permitted operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
}

fn required<'a>(v: Option<&'a String>, name: &'static str) -> Result<&'a str, JwkError> {
    v.map(String::as_str).ok_or(JwkError::MissingMember(name))
}

fn decode(v: Option<&String>, name: &'static str) -> Result<Vec<u8>, JwkError> {
    b64u_decode(required(v, name)?).map_err(|_| JwkError::BadEncoding(name))
}

fn secret(v: Option<&SecretParam>, name: &'static str) -> Result<Zeroizing<Vec<u8>>, JwkError> {
    v.ok_or(JwkError::MissingMember(name))?.decode(name)
}

impl Jwk {
    /// Parses a JWK from JSON text of at most [`MAX_JWK_JSON_LEN`] bytes.
    ///
    /// # Errors
    /// [`JwkError::Malformed`].
    pub fn from_json(json: &str) -> Result<Self, JwkError> {
        if json.len() > MAX_JWK_JSON_LEN {
            return Err(JwkError::Malformed("larger than 16 KiB".into()));
        }
        serde_json::from_str(json).map_err(|e| JwkError::Malformed(e.to_string()))
    }

    /// The public JWK of `key` (no `kid`, `use` or `alg`).
    #[must_use]
    pub fn from_public_key(key: &PublicKey) -> Self {
        match key {
            PublicKey::Ed25519(k) => Self::okp("Ed25519", &k.to_bytes()),
            PublicKey::X25519(k) => Self::okp("X25519", k.as_bytes()),
            PublicKey::P256(k) => {
                let (x, y) = k.coordinates();
                Self {
                    kty: "EC".into(),
                    crv: Some("P-256".into()),
                    x: Some(b64u_encode(x)),
                    y: Some(b64u_encode(y)),
                    ..Self::default()
                }
            }
            PublicKey::Rsa(k) => Self {
                kty: "RSA".into(),
                n: Some(b64u_encode(k.n())),
                e: Some(b64u_encode(k.e())),
                ..Self::default()
            },
        }
    }

    fn okp(crv: &str, x: &[u8]) -> Self {
        Self {
            kty: "OKP".into(),
            crv: Some(crv.into()),
            x: Some(b64u_encode(x)),
            ..Self::default()
        }
    }

    /// The private JWK of `key`, public members included.
    ///
    /// # Errors
    /// [`JwkError::Key`] for an RSA key whose CRT parameters cannot be derived.
    pub fn from_private_key(key: &PrivateKey) -> Result<Self, JwkError> {
        let mut jwk = Self::from_public_key(&key.public_key());
        match key {
            PrivateKey::Ed25519(k) => jwk.d = Some(SecretParam::from_bytes(k.to_seed().as_slice())),
            PrivateKey::X25519(k) => jwk.d = Some(SecretParam::from_bytes(k.to_bytes().as_slice())),
            PrivateKey::P256(k) => jwk.d = Some(SecretParam::from_bytes(k.to_bytes().as_slice())),
            PrivateKey::Rsa(k) => {
                let parts = k.private_parts()?;
                jwk.d = Some(SecretParam::from_bytes(&parts.d));
                jwk.p = Some(SecretParam::from_bytes(&parts.p));
                jwk.q = Some(SecretParam::from_bytes(&parts.q));
                jwk.dp = Some(SecretParam::from_bytes(&parts.dp));
                jwk.dq = Some(SecretParam::from_bytes(&parts.dq));
                jwk.qi = Some(SecretParam::from_bytes(&parts.qi));
            }
        }
        Ok(jwk)
    }

    /// The JWK without its private members.
    #[must_use]
    pub fn to_public(&self) -> Self {
        Self {
            d: None,
            p: None,
            q: None,
            dp: None,
            dq: None,
            qi: None,
            ..self.clone()
        }
    }

    /// Whether the JWK carries private key material.
    #[must_use]
    pub fn is_private(&self) -> bool {
        self.d.is_some()
    }

    /// Sets `kid`, builder style.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key type named by `kty` and `crv`.
    ///
    /// # Errors
    /// [`JwkError::Unsupported`].
    pub fn key_type(&self) -> Result<KeyType, JwkError> {
        match (self.kty.as_str(), self.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => Ok(KeyType::Ed25519),
            ("OKP", Some("X25519")) => Ok(KeyType::X25519),
            ("EC", Some("P-256")) => Ok(KeyType::P256),
            ("RSA", None) => Ok(KeyType::Rsa),
            _ => Err(JwkError::Unsupported {
                kty: self.kty.clone(),
                crv: self.crv.clone(),
            }),
        }
    }

    /// The validated public key (private members, if any, are ignored).
    ///
    /// # Errors
    /// [`JwkError`] for an unsupported type, a missing or badly encoded member, or
    /// invalid key material.
    pub fn to_public_key(&self) -> Result<PublicKey, JwkError> {
        Ok(match self.key_type()? {
            KeyType::Ed25519 => PublicKey::Ed25519(Ed25519PublicKey::from_bytes(&decode(
                self.x.as_ref(),
                "x",
            )?)?),
            KeyType::X25519 => {
                PublicKey::X25519(X25519PublicKey::from_bytes(&decode(self.x.as_ref(), "x")?)?)
            }
            KeyType::P256 => PublicKey::P256(P256PublicKey::from_coordinates(
                &decode(self.x.as_ref(), "x")?,
                &decode(self.y.as_ref(), "y")?,
            )?),
            KeyType::Rsa => PublicKey::Rsa(RsaPublicKey::from_components(
                &decode(self.n.as_ref(), "n")?,
                &decode(self.e.as_ref(), "e")?,
            )?),
        })
    }

    /// The validated private key. The public members must be present and must match
    /// the private key.
    ///
    /// # Errors
    /// [`JwkError::NotPrivate`] without `d`, [`KeyError::Mismatch`] (wrapped) when
    /// the public members belong to another key, and the errors of
    /// [`Jwk::to_public_key`].
    pub fn to_private_key(&self) -> Result<PrivateKey, JwkError> {
        if self.d.is_none() {
            return Err(JwkError::NotPrivate);
        }
        let public = self.to_public_key()?;
        let d = secret(self.d.as_ref(), "d")?;
        let key = match self.key_type()? {
            KeyType::Ed25519 => PrivateKey::Ed25519(Ed25519PrivateKey::from_seed(&d)?),
            KeyType::X25519 => PrivateKey::X25519(X25519PrivateKey::from_bytes(&d)?),
            KeyType::P256 => PrivateKey::P256(P256PrivateKey::from_bytes(&d)?),
            KeyType::Rsa => PrivateKey::Rsa(RsaPrivateKey::from_components(
                &decode(self.n.as_ref(), "n")?,
                &decode(self.e.as_ref(), "e")?,
                &d,
                &secret(self.p.as_ref(), "p")?,
                &secret(self.q.as_ref(), "q")?,
            )?),
        };
        if key.public_key() != public {
            return Err(KeyError::Mismatch.into());
        }
        Ok(key)
    }

    /// The RFC 7638 thumbprint: base64url of SHA-256 over the required members in
    /// lexicographic order with no whitespace (§3.2–3.3).
    ///
    /// # Errors
    /// [`JwkError`] when the key type is unsupported or a required member is missing.
    pub fn thumbprint(&self) -> Result<String, JwkError> {
        // Members are base64url strings, which need no JSON escaping, but `crv` and
        // `kty` were validated by `key_type`, so the format! below cannot inject.
        let canonical = match self.key_type()? {
            KeyType::Ed25519 | KeyType::X25519 => format!(
                r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
                required(self.crv.as_ref(), "crv")?,
                b64u_member(self.x.as_ref(), "x")?
            ),
            KeyType::P256 => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64u_member(self.x.as_ref(), "x")?,
                b64u_member(self.y.as_ref(), "y")?
            ),
            KeyType::Rsa => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64u_member(self.e.as_ref(), "e")?,
                b64u_member(self.n.as_ref(), "n")?
            ),
        };
        Ok(b64u_encode(Sha256::digest(canonical.as_bytes())))
    }
}

/// A required member that must be base64url (so it is safe to splice into JSON).
fn b64u_member<'a>(v: Option<&'a String>, name: &'static str) -> Result<&'a str, JwkError> {
    let s = required(v, name)?;
    b64u_decode(s).map_err(|_| JwkError::BadEncoding(name))?;
    Ok(s)
}

impl TryFrom<&Jwk> for PublicKey {
    type Error = JwkError;
    fn try_from(jwk: &Jwk) -> Result<Self, JwkError> {
        jwk.to_public_key()
    }
}

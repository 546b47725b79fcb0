//! `EnvelopedVerifiableCredential` (VC 2.0 §4.13): a credential secured by an
//! enveloping proof (a JWT or SD-JWT) carried in a JSON presentation as a `data:`
//! URL (RFC 2397) in `id`:
//!
//! ```json
//! {"@context": "https://www.w3.org/ns/credentials/v2",
//!  "id": "data:application/vc+jwt,eyJhbGciOi…",
//!  "type": "EnvelopedVerifiableCredential"}
//! ```

use core::fmt;

use serde_json::{Map, Value};

use super::{CREDENTIALS_V2_CONTEXT, VcError, check_bounds, string_or_strings};

/// The longest token accepted inside a `data:` URL (bytes).
pub const MAX_TOKEN_LEN: usize = 256 * 1024;

/// The media types of enveloped credentials this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopedMediaType {
    /// `application/vc+jwt` (VC-JOSE-COSE §3.1.1): a JWS whose payload is the
    /// credential.
    VcJwt,
    /// `application/vc+sd-jwt` (VC-JOSE-COSE §3.2.1).
    VcSdJwt,
    /// `application/dc+sd-jwt` (SD-JWT VC).
    DcSdJwt,
}

impl EnvelopedMediaType {
    /// The media type string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VcJwt => "application/vc+jwt",
            Self::VcSdJwt => "application/vc+sd-jwt",
            Self::DcSdJwt => "application/dc+sd-jwt",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        // RFC 2045 §5.1: media type names are case-insensitive.
        [Self::VcJwt, Self::VcSdJwt, Self::DcSdJwt]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for EnvelopedMediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `EnvelopedVerifiableCredential`: its media type and token (not verified here;
/// the token goes to the verifier of its format).
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopedCredential {
    media_type: EnvelopedMediaType,
    token: String,
    map: Map<String, Value>,
}

impl EnvelopedCredential {
    /// Wraps a token in a new envelope object.
    ///
    /// # Errors
    /// [`VcError::InvalidEnvelope`] when the token is empty, too long or has
    /// characters outside base64url, `.` and `~`.
    pub fn new(media_type: EnvelopedMediaType, token: &str) -> Result<Self, VcError> {
        check_token(token)?;
        let mut map = Map::new();
        map.insert(
            "@context".into(),
            Value::String(CREDENTIALS_V2_CONTEXT.into()),
        );
        map.insert(
            "id".into(),
            Value::String(format!("data:{},{token}", media_type.as_str())),
        );
        map.insert(
            "type".into(),
            Value::String("EnvelopedVerifiableCredential".into()),
        );
        Ok(Self {
            media_type,
            token: token.to_owned(),
            map,
        })
    }

    /// Whether a JSON object declares itself an `EnvelopedVerifiableCredential`.
    #[must_use]
    pub fn is_envelope(map: &Map<String, Value>) -> bool {
        map.get("type")
            .and_then(string_or_strings)
            .is_some_and(|t| t.contains(&"EnvelopedVerifiableCredential"))
    }

    /// Parses an envelope object. Other members are kept.
    ///
    /// # Errors
    /// [`VcError::InvalidEnvelope`] for a missing v2 context, a wrong `type`, an
    /// `id` that is not a `data:` URL with a token; [`VcError::UnsupportedMediaType`].
    pub fn from_map(map: Map<String, Value>) -> Result<Self, VcError> {
        check_bounds(&map)?;
        // VC 2.0 §4.13: "The @context property of the object MUST be present and
        // include a context, such as the base context for this specification".
        let has_v2 = match map.get("@context") {
            Some(Value::String(s)) => s == CREDENTIALS_V2_CONTEXT,
            Some(Value::Array(items)) => items
                .first()
                .is_some_and(|v| v.as_str() == Some(CREDENTIALS_V2_CONTEXT)),
            _ => false,
        };
        if !has_v2 {
            return Err(VcError::InvalidEnvelope(
                "@context must start with the v2 context",
            ));
        }
        if !Self::is_envelope(&map) {
            return Err(VcError::InvalidEnvelope(
                "type is not EnvelopedVerifiableCredential",
            ));
        }
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .ok_or(VcError::InvalidEnvelope("id is not a string"))?;
        let rest = id
            .strip_prefix("data:")
            .ok_or(VcError::InvalidEnvelope("id is not a data: URL"))?;
        let (media, token) = rest
            .split_once(',')
            .ok_or(VcError::InvalidEnvelope("data: URL has no ','"))?;
        // Parameters (`;base64`, `;charset=`) are not used for these types: the token
        // itself is the data.
        let media_type = EnvelopedMediaType::parse(media)
            .ok_or_else(|| VcError::UnsupportedMediaType(media.chars().take(64).collect()))?;
        check_token(token)?;
        let token = token.to_owned();
        Ok(Self {
            media_type,
            token,
            map,
        })
    }

    /// The media type.
    #[must_use]
    pub fn media_type(&self) -> EnvelopedMediaType {
        self.media_type
    }

    /// The enveloped token (a compact JWS, or an SD-JWT with its disclosures).
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The envelope object.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }
}

fn check_token(token: &str) -> Result<(), VcError> {
    if token.is_empty() {
        return Err(VcError::InvalidEnvelope("empty token"));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(VcError::InvalidEnvelope("token too long"));
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    {
        return Err(VcError::InvalidEnvelope(
            "token has characters outside base64url, '.', '~'",
        ));
    }
    Ok(())
}

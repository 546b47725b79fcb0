//! Byte encodings shared by every format: base64url without padding (JOSE, RFC 7515
//! §2), base58btc multibase (`z…`, did:key) and multicodec varint prefixes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A string was not valid in the expected encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// Not base64url without padding (RFC 7515 §2 forbids padding and the standard alphabet).
    #[error("invalid base64url")]
    Base64Url,
    /// Not base58btc multibase (must start with `z`).
    #[error("invalid base58btc multibase value")]
    Multibase,
    /// Not an even-length string of hex digits.
    #[error("invalid hex")]
    Hex,
}

/// Encodes bytes as base64url without padding.
#[must_use]
pub fn b64u_encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; padding, whitespace and the standard
/// alphabet's `+` `/` are rejected, as are non-canonical trailing bits.
///
/// # Errors
/// [`EncodingError::Base64Url`].
pub fn b64u_decode(s: &str) -> Result<Vec<u8>, EncodingError> {
    URL_SAFE_NO_PAD
        .decode(s.as_bytes())
        .map_err(|_| EncodingError::Base64Url)
}

/// Encodes bytes as a base58btc multibase string (`z` prefix).
#[must_use]
pub fn multibase_encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 138 / 100 + 2);
    s.push('z');
    s.push_str(&bs58::encode(bytes).into_string());
    s
}

/// Decodes a base58btc multibase string (`z` prefix).
///
/// # Errors
/// [`EncodingError::Multibase`] for any other prefix or invalid base58.
pub fn multibase_decode(s: &str) -> Result<Vec<u8>, EncodingError> {
    let rest = s.strip_prefix('z').ok_or(EncodingError::Multibase)?;
    bs58::decode(rest)
        .into_vec()
        .map_err(|_| EncodingError::Multibase)
}

/// Lower-case hex.
#[must_use]
pub fn hex_encode(bytes: impl AsRef<[u8]>) -> String {
    base16ct::lower::encode_string(bytes.as_ref())
}

/// Decodes hex (either case; an optional `0x` prefix is accepted, as KILT's
/// Credential API implementations emit it).
///
/// # Errors
/// [`EncodingError::Hex`].
pub fn hex_decode(s: &str) -> Result<Vec<u8>, EncodingError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    base16ct::mixed::decode_vec(s).map_err(|_| EncodingError::Hex)
}

//! JWS Compact Serialization (RFC 7515 §7.1) with strict, allow-listed verification.
//!
//! Signing: `EdDSA` (Ed25519, RFC 8037 §3.1) and `ES256` (RFC 7518 §3.4).
//! Verification: those two plus `RS256` (RFC 7518 §3.3), for tokens from outside
//! issuers; this crate never signs RS256 (the `rsa` crate's private-key operations are
//! not constant-time, see [`crate::keys`]).
//!
//! [`verify`] is deliberately narrow. The caller names the key *and* the algorithms it
//! accepts; the token's `alg` must be in that list and fit the key type (RFC 8725
//! §3.1, §3.2). `none`, every HMAC `alg`, keys carried in the token (`jwk`, `jku`,
//! `x5u`, `x5c`: RFC 8725 §3.10) and any `crit` extension are refused, each with its
//! own [`JwsError`] variant. JWT claims are parsed by [`verify_jwt`]; time checks are
//! the caller's, with its own clock, through [`check_time`].

mod header;
mod jwt;

pub use self::header::{Header, MAX_HEADER_LEN};
pub use self::jwt::{VerifiedJwt, check_time, sign_jwt, verify_jwt};

use crate::encoding::{b64u_decode, b64u_encode};
use crate::jwk::Jwk;
use crate::keys::{KeyError, KeyType, PrivateKey, PublicKey};

/// The largest compact JWS (in bytes) that [`verify`] looks at.
pub const MAX_JWS_LEN: usize = 256 * 1024;

/// Which part of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The encoded protected header.
    Header,
    /// The encoded payload.
    Payload,
    /// The encoded signature.
    Signature,
}

/// What went wrong signing or verifying a JWS.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// The token is longer than [`MAX_JWS_LEN`].
    #[error("JWS of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The compact serialization does not have exactly three `.`-separated parts.
    #[error("compact JWS must have 3 parts, found {0}")]
    PartCount(usize),
    /// A part is not base64url without padding (RFC 7515 §2, §7.1).
    #[error("JWS {0:?} part is not base64url")]
    Base64(Part),
    /// The decoded protected header is larger than [`MAX_HEADER_LEN`].
    #[error("protected header of {len} bytes exceeds the limit of {max}")]
    HeaderTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The protected header is not valid UTF-8 JSON.
    #[error("protected header is not JSON: {0}")]
    HeaderJson(String),
    /// The protected header is JSON but not an object (RFC 7515 §5.2 step 4).
    #[error("protected header is not a JSON object")]
    HeaderNotObject,
    /// A member name occurs twice in the protected header (RFC 7515 §5.2 step 4).
    #[error("protected header repeats member {0:?}")]
    DuplicateHeaderMember(String),
    /// The protected header has no `alg` (RFC 7515 §4.1.1: it MUST be present).
    #[error("protected header has no \"alg\"")]
    MissingAlg,
    /// `alg` is `none`: an unsecured JWS is never accepted (RFC 8725 §3.2).
    #[error("\"alg\":\"none\" is refused")]
    AlgNone,
    /// `alg` is an HMAC algorithm (`HS256`/`HS384`/`HS512`), refused outright so a
    /// public key can never be used as a MAC secret (RFC 8725 §2.1, §3.1).
    #[error("HMAC \"alg\" {0:?} is refused")]
    HmacAlgorithm(String),
    /// `alg` names an algorithm this crate does not implement.
    #[error("unsupported \"alg\" {0:?}")]
    UnsupportedAlgorithm(String),
    /// `alg` is supported but not in the caller's allow-list.
    #[error("\"alg\" {0} is not allowed here")]
    AlgorithmNotAllowed(Algorithm),
    /// The key's type does not fit `alg` (e.g. an ES256 token and an Ed25519 key).
    #[error("{alg} cannot be used with a {key} key")]
    KeyMismatch {
        /// The algorithm.
        alg: Algorithm,
        /// The key type given.
        key: KeyType,
    },
    /// The algorithm is verify-only here (RS256).
    #[error("signing with {0} is not supported (verify only)")]
    SigningNotSupported(Algorithm),
    /// A registered member has the wrong JSON type, or a typed member was passed to
    /// [`Header::insert_member`].
    #[error("header member {0:?} is invalid here")]
    InvalidHeaderMember(&'static str),
    /// The token carries a key or a key reference (`jwk`, `jku`, `x5u`, `x5c`);
    /// keys are never taken from the token it is to verify (RFC 8725 §3.10).
    #[error("header member {0:?} (a key in the token) is refused")]
    EmbeddedKey(&'static str),
    /// [`verify_with_header_jwk`]: the header's `jwk` is missing, private, or not a
    /// usable public key.
    #[error("header \"jwk\": {0}")]
    HeaderJwk(String),
    /// `crit` is an empty list (RFC 7515 §4.1.11: "Producers MUST NOT use the empty
    /// list").
    #[error("\"crit\" is empty")]
    CritEmpty,
    /// `crit` is not an array of distinct, unregistered names each present in the
    /// header (RFC 7515 §4.1.11).
    #[error("\"crit\" is malformed")]
    CritInvalid,
    /// `crit` names an extension; this crate understands none, and RFC 7515 §4.1.11
    /// says "the JWS is invalid" when a listed extension is not understood.
    #[error("critical extension {0:?} is not understood")]
    UnsupportedCritical(String),
    /// The signature has the wrong length for `alg` (64 bytes for EdDSA and ES256,
    /// the modulus length for RS256).
    #[error("signature of {actual} bytes, expected {expected}")]
    SignatureLength {
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// An ES256 signature has `r = 0` or `s = 0` (CVE-2022-21449, "psychic
    /// signatures"; SEC 1 §4.1.4 step 1 requires both in `[1, n-1]`).
    #[error("ECDSA signature with r or s equal to zero")]
    EcdsaZeroScalar,
    /// An ES256 signature has `r` or `s` not below the group order.
    #[error("ECDSA signature with r or s not below the group order")]
    EcdsaScalarRange,
    /// An Ed25519 signature whose `S` is not below the group order `L`
    /// (RFC 8032 §5.1.7: "If any of the decodings fail (including S being out of
    /// range), the signature is invalid"); refusing it prevents malleability.
    #[error("non-canonical Ed25519 signature (S >= L)")]
    Ed25519NonCanonical,
    /// The signature does not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// The payload of a JWT is not a JSON object with unique member names.
    #[error("JWT claims are not a JSON object: {0}")]
    ClaimsNotObject(String),
    /// A JWT claims set repeats a member name (RFC 7519 §4: claim names MUST be
    /// unique).
    #[error("JWT claims repeat member {0:?}")]
    DuplicateClaim(String),
    /// A time claim (`exp`, `nbf`, `iat`) is not a number (RFC 7519 §2 NumericDate).
    #[error("JWT claim {0:?} is not a NumericDate")]
    InvalidTimeClaim(&'static str),
    /// `now` is at or after `exp` + leeway (RFC 7519 §4.1.4).
    #[error("JWT expired at {exp}, now {now}")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The caller's time.
        now: i64,
    },
    /// `now` is before `nbf` − leeway (RFC 7519 §4.1.5).
    #[error("JWT not valid before {nbf}, now {now}")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The caller's time.
        now: i64,
    },
    /// `iat` is after `now` + leeway: issued in the future.
    #[error("JWT issued at {iat}, in the future of {now}")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The caller's time.
        now: i64,
    },
    /// A key operation failed (other than a bad signature).
    #[error(transparent)]
    Key(KeyError),
    /// A [`JwsSigner`] returned a signature of the wrong length for its `alg`.
    #[error("signer produced {actual} bytes, expected {expected}")]
    SignerOutput {
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
}

impl From<KeyError> for JwsError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::BadSignature => Self::BadSignature,
            other => Self::Key(other),
        }
    }
}

/// The JWS algorithms this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `EdDSA` with Ed25519 (RFC 8037 §3.1).
    EdDSA,
    /// `ES256`: ECDSA P-256 SHA-256, signature `r || s` (RFC 7518 §3.4).
    ES256,
    /// `RS256`: RSASSA-PKCS1-v1_5 SHA-256 (RFC 7518 §3.3). Verify only.
    RS256,
}

impl Algorithm {
    /// The `alg` string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDSA => "EdDSA",
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
        }
    }

    /// The key type the algorithm needs.
    #[must_use]
    pub fn key_type(self) -> KeyType {
        match self {
            Self::EdDSA => KeyType::Ed25519,
            Self::ES256 => KeyType::P256,
            Self::RS256 => KeyType::Rsa,
        }
    }

    /// Parses an `alg` value (case-sensitive, RFC 7515 §4.1.1).
    ///
    /// # Errors
    /// [`JwsError::AlgNone`] for `none` (in any case), [`JwsError::HmacAlgorithm`]
    /// for `HS256`/`HS384`/`HS512` (in any case), [`JwsError::UnsupportedAlgorithm`]
    /// for anything else unknown.
    pub fn parse(alg: &str) -> Result<Self, JwsError> {
        match alg {
            "EdDSA" => Ok(Self::EdDSA),
            "ES256" => Ok(Self::ES256),
            "RS256" => Ok(Self::RS256),
            // Case variants are refused by name too, so that a lenient parser
            // elsewhere can never turn them into something accepted.
            a if a.eq_ignore_ascii_case("none") => Err(JwsError::AlgNone),
            a if ["HS256", "HS384", "HS512"]
                .iter()
                .any(|h| a.eq_ignore_ascii_case(h)) =>
            {
                Err(JwsError::HmacAlgorithm(a.to_owned()))
            }
            a => Err(JwsError::UnsupportedAlgorithm(a.to_owned())),
        }
    }
}

impl core::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for Algorithm {
    type Err = JwsError;
    fn from_str(s: &str) -> Result<Self, JwsError> {
        Self::parse(s)
    }
}

/// A verified JWS: its protected header and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The protected header.
    pub header: Header,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

/// Signs `payload` and returns the compact serialization
/// `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)` (RFC 7515 §7.1).
///
/// # Errors
/// [`JwsError::KeyMismatch`] when `key` does not fit `header.alg`,
/// [`JwsError::SigningNotSupported`] for RS256.
pub fn sign(header: &Header, payload: &[u8], key: &PrivateKey) -> Result<String, JwsError> {
    let encoded_payload = b64u_encode(payload);
    let (signing_input, signature) = sign_parts(header, &encoded_payload, key)?;
    Ok(format!("{signing_input}.{signature}"))
}

/// Signs `payload` and returns the compact serialization with the payload part left
/// empty (`header..signature`, RFC 7515 Appendix F). The signature covers the
/// payload as usual; the receiver supplies it to [`verify_detached`].
///
/// # Errors
/// As [`sign`].
pub fn sign_detached(
    header: &Header,
    payload: &[u8],
    key: &PrivateKey,
) -> Result<String, JwsError> {
    let (signing_input, signature) = sign_parts(header, &b64u_encode(payload), key)?;
    let encoded_header = signing_input.split('.').next().unwrap_or_default();
    Ok(format!("{encoded_header}..{signature}"))
}

fn sign_parts(
    header: &Header,
    encoded_payload: &str,
    key: &PrivateKey,
) -> Result<(String, String), JwsError> {
    let signing_input = format!("{}.{encoded_payload}", b64u_encode(header.to_json()));
    let signature: [u8; 64] = match (header.alg, key) {
        (Algorithm::EdDSA, PrivateKey::Ed25519(k)) => k.sign(signing_input.as_bytes()),
        (Algorithm::ES256, PrivateKey::P256(k)) => k.sign_es256(signing_input.as_bytes()),
        (Algorithm::RS256, _) => return Err(JwsError::SigningNotSupported(Algorithm::RS256)),
        (alg, key) => {
            return Err(JwsError::KeyMismatch {
                alg,
                key: key.key_type(),
            });
        }
    };
    Ok((signing_input, b64u_encode(signature)))
}

/// A signing key held outside [`PrivateKey`], e.g. a native constant-time RSA key
/// (`keys::RsaSigningKey`, feature `native-crypto`), used through [`sign_with`].
pub trait JwsSigner {
    /// The algorithm the key signs with; [`sign_with`] requires `header.alg` to equal it.
    fn algorithm(&self) -> Algorithm;
    /// The raw signature of the JWS signing input (RFC 7515 §5.1 step 5).
    ///
    /// # Errors
    /// Whatever the key operation reports.
    fn sign_input(&self, signing_input: &[u8]) -> Result<Vec<u8>, JwsError>;
}

#[cfg(feature = "native-crypto")]
impl JwsSigner for crate::keys::RsaSigningKey {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }

    fn sign_input(&self, signing_input: &[u8]) -> Result<Vec<u8>, JwsError> {
        Ok(self.sign_rs256(signing_input)?)
    }
}

#[cfg(feature = "native-crypto")]
impl JwsSigner for crate::keys::NativeSigningKey {
    fn algorithm(&self) -> Algorithm {
        match self.key_type() {
            crate::keys::KeyType::P256 => Algorithm::ES256,
            _ => Algorithm::EdDSA,
        }
    }

    fn sign_input(&self, signing_input: &[u8]) -> Result<Vec<u8>, JwsError> {
        Ok(self.sign(signing_input)?)
    }
}

/// Signs `payload` with an outside [`JwsSigner`] and returns the compact
/// serialization, as [`sign`] does for a [`PrivateKey`].
///
/// # Errors
/// [`JwsError::KeyMismatch`] when `header.alg` is not the signer's algorithm;
/// [`JwsError::SignerOutput`] for a signature of the wrong length; the signer's
/// own errors.
pub fn sign_with(
    header: &Header,
    payload: &[u8],
    signer: &dyn JwsSigner,
) -> Result<String, JwsError> {
    if header.alg != signer.algorithm() {
        return Err(JwsError::KeyMismatch {
            alg: header.alg,
            key: signer.algorithm().key_type(),
        });
    }
    let signing_input = format!("{}.{}", b64u_encode(header.to_json()), b64u_encode(payload));
    let signature = signer.sign_input(signing_input.as_bytes())?;
    let expected = match header.alg {
        Algorithm::EdDSA | Algorithm::ES256 => 64,
        // The modulus length, which the signer knows; at least 2048 bits.
        Algorithm::RS256 => signature.len().max(256),
    };
    if signature.len() != expected {
        return Err(JwsError::SignerOutput {
            expected,
            actual: signature.len(),
        });
    }
    Ok(format!("{signing_input}.{}", b64u_encode(signature)))
}

/// Reads the protected header of a compact JWS **without verifying anything**, e.g. to
/// pick a key by `kid`. Never act on its content before [`verify`] succeeds.
///
/// # Errors
/// The size, structure and header errors of [`verify`].
pub fn peek_header(token: &str) -> Result<Header, JwsError> {
    let (header_b64, _, _) = split(token)?;
    decode_header(header_b64)
}

/// Verifies a compact JWS with `key`, accepting only the algorithms in `allowed`.
///
/// Checks, in order: size, three parts, base64url, header (a JSON object with unique
/// names and a known `alg`: not `none`, not HMAC), no embedded keys, no `crit`, `alg`
/// in `allowed`, `alg` fits the key type, signature encoding, then the signature.
///
/// # Errors
/// One specific [`JwsError`] variant per failed check.
pub fn verify(token: &str, key: &PublicKey, allowed: &[Algorithm]) -> Result<Verified, JwsError> {
    let (header_b64, payload_b64, signature_b64) = split(token)?;
    let header = decode_header(header_b64)?;
    let payload = b64u_decode(payload_b64).map_err(|_| JwsError::Base64(Part::Payload))?;
    let header = verify_parts(header, header_b64, payload_b64, signature_b64, key, allowed)?;
    Ok(Verified { header, payload })
}

/// Verifies a compact JWS signed by the public key in its own `jwk` header member
/// (RFC 7515 §4.1.3), as proofs of possession are (a DPoP proof, RFC 9449 §4.3: "the
/// JWT is signed using the public key contained in the jwk JOSE Header"). Returns
/// what [`verify`] returns and that key. What the signature proves is possession of
/// that key, nothing about whose it is: the caller binds the key (e.g. by its
/// RFC 7638 thumbprint) to what it authorizes.
///
/// The checks of [`verify`], except that `jwk` is required; the other key members
/// (`jku`, `x5u`, `x5c`) are still refused, and so is a `jwk` holding private key
/// material.
///
/// # Errors
/// As [`verify`]; [`JwsError::HeaderJwk`] for a missing, private or unusable `jwk`.
pub fn verify_with_header_jwk(
    token: &str,
    allowed: &[Algorithm],
) -> Result<(Verified, Jwk), JwsError> {
    let (header_b64, payload_b64, signature_b64) = split(token)?;
    let header = decode_header(header_b64)?;
    let jwk_json = header
        .member("jwk")
        .ok_or_else(|| JwsError::HeaderJwk("missing".into()))?;
    if !jwk_json.is_object() {
        return Err(JwsError::HeaderJwk("not a JSON object".into()));
    }
    let jwk =
        Jwk::from_json(&jwk_json.to_string()).map_err(|e| JwsError::HeaderJwk(e.to_string()))?;
    if jwk.is_private() {
        return Err(JwsError::HeaderJwk("holds private key material".into()));
    }
    let key = jwk
        .to_public_key()
        .map_err(|e| JwsError::HeaderJwk(e.to_string()))?;
    let payload = b64u_decode(payload_b64).map_err(|_| JwsError::Base64(Part::Payload))?;
    let header = verify_parts_with(
        header,
        header_b64,
        payload_b64,
        signature_b64,
        &key,
        allowed,
        &KEY_MEMBERS[1..],
    )?;
    Ok((Verified { header, payload }, jwk))
}

/// Verifies a JWS with a detached payload (`header..signature`, RFC 7515 Appendix F)
/// against `payload`, with the same checks as [`verify`].
///
/// # Errors
/// As [`verify`]; [`JwsError::Base64`] with [`Part::Payload`] when the token's
/// payload part is not empty.
pub fn verify_detached(
    token: &str,
    payload: &[u8],
    key: &PublicKey,
    allowed: &[Algorithm],
) -> Result<Header, JwsError> {
    let (header_b64, empty, signature_b64) = split(token)?;
    if !empty.is_empty() {
        return Err(JwsError::Base64(Part::Payload));
    }
    let header = decode_header(header_b64)?;
    let payload_b64 = b64u_encode(payload);
    verify_parts(
        header,
        header_b64,
        &payload_b64,
        signature_b64,
        key,
        allowed,
    )
}

fn split(token: &str) -> Result<(&str, &str, &str), JwsError> {
    if token.len() > MAX_JWS_LEN {
        return Err(JwsError::TooLarge {
            len: token.len(),
            max: MAX_JWS_LEN,
        });
    }
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err(JwsError::PartCount(token.split('.').count())),
    }
}

fn decode_header(header_b64: &str) -> Result<Header, JwsError> {
    // Base64url inflates by 4/3: refuse before decoding what cannot fit.
    if header_b64.len() > MAX_HEADER_LEN.saturating_mul(4) / 3 + 4 {
        return Err(JwsError::HeaderTooLarge {
            len: header_b64.len() * 3 / 4,
            max: MAX_HEADER_LEN,
        });
    }
    let bytes = b64u_decode(header_b64).map_err(|_| JwsError::Base64(Part::Header))?;
    Header::from_json_bytes(&bytes)
}

/// Members that carry or point to a key (RFC 7515 §4.1.2, §4.1.3, §4.1.5, §4.1.6).
const KEY_MEMBERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

fn verify_parts(
    header: Header,
    header_b64: &str,
    payload_b64: &str,
    signature_b64: &str,
    key: &PublicKey,
    allowed: &[Algorithm],
) -> Result<Header, JwsError> {
    verify_parts_with(
        header,
        header_b64,
        payload_b64,
        signature_b64,
        key,
        allowed,
        &KEY_MEMBERS,
    )
}

/// [`verify_parts`] refusing the key members `refused` (all of [`KEY_MEMBERS`] but
/// `jwk` for [`verify_with_header_jwk`]).
fn verify_parts_with(
    header: Header,
    header_b64: &str,
    payload_b64: &str,
    signature_b64: &str,
    key: &PublicKey,
    allowed: &[Algorithm],
    refused: &[&'static str],
) -> Result<Header, JwsError> {
    let signature = b64u_decode(signature_b64).map_err(|_| JwsError::Base64(Part::Signature))?;
    if let Some(name) = refused.iter().find(|m| header.member(m).is_some()) {
        return Err(JwsError::EmbeddedKey(name));
    }
    if let Some(first) = header.crit().and_then(|c| c.first()) {
        return Err(JwsError::UnsupportedCritical(first.clone()));
    }
    if !allowed.contains(&header.alg) {
        return Err(JwsError::AlgorithmNotAllowed(header.alg));
    }
    // RFC 7515 §5.2 step 8: the signature is checked over the ASCII signing input
    // exactly as received, never a re-encoding of the parsed header.
    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    let mut signing_input = Vec::with_capacity(signing_input_len);
    signing_input.extend_from_slice(header_b64.as_bytes());
    signing_input.push(b'.');
    signing_input.extend_from_slice(payload_b64.as_bytes());
    match (header.alg, key) {
        (Algorithm::EdDSA, PublicKey::Ed25519(k)) => {
            check_len(&signature, 64)?;
            check_ed25519_s(&signature)?;
            k.verify(&signing_input, &signature)?;
        }
        (Algorithm::ES256, PublicKey::P256(k)) => {
            check_len(&signature, 64)?;
            check_ecdsa_scalars(&signature)?;
            k.verify_es256(&signing_input, &signature)?;
        }
        (Algorithm::RS256, PublicKey::Rsa(k)) => {
            check_len(&signature, k.bits().div_ceil(8))?;
            k.verify_rs256(&signing_input, &signature)?;
        }
        (alg, key) => {
            return Err(JwsError::KeyMismatch {
                alg,
                key: key.key_type(),
            });
        }
    }
    Ok(header)
}

fn check_len(signature: &[u8], expected: usize) -> Result<(), JwsError> {
    if signature.len() == expected {
        Ok(())
    } else {
        Err(JwsError::SignatureLength {
            expected,
            actual: signature.len(),
        })
    }
}

/// The P-256 group order n, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// SEC 1 §4.1.4 step 1: `r` and `s` must be integers in `[1, n-1]`. The p256 crate
/// checks this too; doing it here makes the rule explicit and its failure specific.
fn check_ecdsa_scalars(signature: &[u8]) -> Result<(), JwsError> {
    let (r, s) = signature.split_at(32);
    for scalar in [r, s] {
        if scalar.iter().all(|b| *b == 0) {
            return Err(JwsError::EcdsaZeroScalar);
        }
        // Same-length big-endian byte strings compare like the integers.
        if scalar >= P256_ORDER.as_slice() {
            return Err(JwsError::EcdsaScalarRange);
        }
    }
    Ok(())
}

/// The Ed25519 group order L = 2^252 + 27742317777372353535851937790883648493,
/// little-endian.
const ED25519_L: [u8; 32] = [
    0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// RFC 8032 §5.1.7 step 1: S (the second half, little-endian) must be below L.
/// `verify_strict` rejects it as well; this names the failure.
fn check_ed25519_s(signature: &[u8]) -> Result<(), JwsError> {
    let s = signature.get(32..).unwrap_or_default();
    // Compare little-endian numbers from the most significant byte down.
    if s.iter().rev().cmp(ED25519_L.iter().rev()) == core::cmp::Ordering::Less {
        Ok(())
    } else {
        Err(JwsError::Ed25519NonCanonical)
    }
}

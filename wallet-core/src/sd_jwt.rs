//! Selective Disclosure for JWTs (SD-JWT, RFC 9901) and SD-JWT-based Verifiable
//! Credentials (IETF draft "SD-JWT VC", media type `dc+sd-jwt`).
//!
//! - Issuer: [`issue`] turns a claims object and a list of claim paths into an SD-JWT
//!   `<JWT>~<D1>~…~<Dn>~` with `_sd` digest arrays, `...` array-element digests,
//!   optional decoys and a `cnf` holder key (RFC 7800).
//! - Holder: [`SdJwt::parse`], [`SdJwt::decode_unverified`] (which claims can be
//!   disclosed, e.g. for a Presentation Exchange `limit_disclosure` decision) and
//!   [`SdJwt::present`] (a chosen subset plus a Key Binding JWT).
//! - Verifier: [`verify`], with the issuer key from a caller-supplied resolver (never
//!   from the token), an algorithm allow-list, the caller's clock, and key binding
//!   required unless the caller says otherwise.
//!
//! Every parser here is bounded: [`MAX_SD_JWT_LEN`] bytes, [`MAX_DISCLOSURES`]
//! disclosures and [`MAX_DEPTH`] levels of nesting.

mod disclosure;
mod issue;
mod present;
mod process;
mod verify;

pub use self::disclosure::{Disclosure, disclosure_digest};
pub use self::issue::{IssueOptions, issue, sd_jwt_vc_claims};
pub use self::present::KeyBindingParams;
pub use self::process::ClaimPathElement;
pub use self::verify::{
    IssuerKeyLookup, KeyBinding, VerifiedSdJwt, VerifyOptions, did_issuer_key, verify,
};

use serde_json::{Map, Value};

use crate::did::DidError;
use crate::encoding::b64u_decode;
use crate::jwk::JwkError;
use crate::jws::JwsError;
use crate::random::RandomError;

/// The `typ` of an SD-JWT VC (SD-JWT VC draft §3.2.1: "`typ` REQUIRED. MUST be
/// `dc+sd-jwt`").
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";
/// The `typ` of a Key Binding JWT (RFC 9901 §4.3: "MUST be `kb+jwt`").
pub const KB_JWT_TYP: &str = "kb+jwt";
/// The only `_sd_alg` accepted and produced (RFC 9901 §4.1.1: "implementations MUST
/// support the `sha-256` hash algorithm"; also the default when `_sd_alg` is absent).
pub const SD_ALG: &str = "sha-256";
/// The largest serialized SD-JWT or SD-JWT+KB looked at (bytes).
pub const MAX_SD_JWT_LEN: usize = 512 * 1024;
/// The largest number of disclosures in one SD-JWT.
pub const MAX_DISCLOSURES: usize = 1000;
/// The deepest nesting of objects and arrays (across recursive disclosures) that is
/// processed.
pub const MAX_DEPTH: usize = 64;
/// Salt length in bytes: RFC 9901 §9.3 "the salt value MUST contain at least 128 bits
/// of cryptographically secure random data".
pub const SALT_BYTES: usize = 16;

/// A claim path: object member names and array indices from the top of the
/// processed payload, e.g. `["address", "street_address"]` or `["nationalities", 1]`.
pub type ClaimPath = Vec<ClaimPathElement>;

/// What went wrong issuing, presenting or verifying an SD-JWT.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SdJwtError {
    /// The serialization is longer than [`MAX_SD_JWT_LEN`].
    #[error("SD-JWT of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not `<JWT>~<D1>~…~<Dn>~[<KB-JWT>]` (RFC 9901 §4: there is always a `~` after
    /// the issuer-signed JWT, and no empty disclosure).
    #[error("malformed SD-JWT serialization: {0}")]
    Malformed(&'static str),
    /// More than [`MAX_DISCLOSURES`] disclosures.
    #[error("more than {0} disclosures")]
    TooManyDisclosures(usize),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("claims nested deeper than {0} levels")]
    TooDeep(usize),
    /// A disclosure is not base64url of a JSON array `[salt, name, value]` or
    /// `[salt, value]` with a string salt and name (RFC 9901 §4.2.1, §4.2.2).
    #[error("malformed disclosure: {0}")]
    MalformedDisclosure(&'static str),
    /// The same disclosure occurs twice (RFC 9901 §4: a Holder "MUST NOT ... send a
    /// Disclosure more than once").
    #[error("disclosure {0} occurs twice")]
    DuplicateDisclosure(String),
    /// A disclosure's digest is referenced nowhere in the payload or in other
    /// disclosures: it was not issued with this JWT (RFC 9901 §7.1 step 5, "the
    /// SD-JWT MUST be rejected").
    #[error("disclosure with digest {0} is not referenced by the issuer-signed JWT")]
    UnreferencedDisclosure(String),
    /// A digest occurs more than once in the payload (RFC 9901 §7.1 step 4).
    #[error("digest {0} occurs more than once")]
    DuplicateDigest(String),
    /// A disclosure for an `_sd` entry is not `[salt, name, value]`, or one for an
    /// array element is not `[salt, value]` (RFC 9901 §7.1 step 3.3.2.1 and 3.3.3.1).
    #[error("disclosure with digest {0} has the wrong shape for where it is referenced")]
    DisclosureShape(String),
    /// A disclosure names the claim `_sd` or `...` (RFC 9901 §7.1 step 3.3.2.2).
    #[error("disclosure uses the reserved claim name {0:?}")]
    ReservedClaimName(String),
    /// A disclosed claim name already exists in the object its digest is in (RFC
    /// 9901 §7.1 step 3.3.2.3).
    #[error("disclosed claim {0:?} already exists in its object")]
    ClaimCollision(String),
    /// `_sd` is not an array of strings, or a `...` element is not a string (RFC 9901
    /// §4.2.4.1: "The `_sd` key MUST refer to an array of strings").
    #[error("invalid digest container: {0}")]
    InvalidDigest(&'static str),
    /// `_sd_alg` names a hash other than `sha-256`, or is not a string.
    #[error("unsupported _sd_alg {0:?}")]
    UnsupportedSdAlg(String),
    /// `_sd_alg` appears below the top level (RFC 9901 §4.1.1: it "MUST NOT be used
    /// in any object nested within the payload").
    #[error("_sd_alg inside a nested object")]
    NestedSdAlg,
    /// The issuer-signed JWT payload is not a JSON object.
    #[error("issuer-signed JWT payload is not a JSON object")]
    PayloadNotObject,
    /// The issuer-signed JWT does not verify (including `alg` `none`, an algorithm
    /// outside the allow-list, a key in the header, a bad signature).
    #[error("issuer signature: {0}")]
    IssuerSignature(JwsError),
    /// The caller's key resolver found no key for this issuer.
    #[error("no key found for issuer {iss:?} kid {kid:?}")]
    IssuerKeyNotFound {
        /// The unverified `iss`.
        iss: Option<String>,
        /// The unverified header `kid`.
        kid: Option<String>,
    },
    /// Resolving the issuer's DID or verification method failed.
    #[error("issuer DID: {0}")]
    IssuerDid(DidError),
    /// The issuer-signed JWT has the wrong `typ` (e.g. not `dc+sd-jwt`).
    #[error("unexpected typ {found:?}, expected {expected:?}")]
    WrongTyp {
        /// The `typ` found.
        found: Option<String>,
        /// The `typ` expected.
        expected: String,
    },
    /// An SD-JWT VC without a string `vct` (SD-JWT VC draft §3.2.2.1.1: REQUIRED).
    #[error("SD-JWT VC without vct")]
    MissingVct,
    /// A claim that must stay in the clear was asked to be selectively disclosable
    /// (SD-JWT VC draft §3.2.2.2: `iss`, `nbf`, `exp`, `cnf`, `vct`, `status` …; and
    /// `_sd_alg`, `_sd`, `...` always).
    #[error("claim {0:?} may not be selectively disclosable")]
    NotDisclosable(String),
    /// A claim path names no claim in the claims set.
    #[error("claim path {0} does not exist")]
    UnknownClaimPath(String),
    /// `exp` has passed (RFC 7519 §4.1.4).
    #[error("expired at {exp}, now {now}")]
    Expired {
        /// `exp`.
        exp: i64,
        /// The caller's time.
        now: i64,
    },
    /// `nbf` is in the future (RFC 7519 §4.1.5).
    #[error("not valid before {nbf}, now {now}")]
    NotYetValid {
        /// `nbf`.
        nbf: i64,
        /// The caller's time.
        now: i64,
    },
    /// The issuer-signed JWT's `iat` is in the future.
    #[error("issued at {iat}, in the future of {now}")]
    IssuedInFuture {
        /// `iat`.
        iat: i64,
        /// The caller's time.
        now: i64,
    },
    /// A time claim is not a NumericDate.
    #[error("time claim {0:?} is not a NumericDate")]
    InvalidTimeClaim(&'static str),
    /// The SD-JWT has no usable holder key (`cnf.jwk`) but key binding is required.
    #[error("no holder key (cnf.jwk) for key binding")]
    NoHolderKey,
    /// `cnf` is present but not a `jwk` this crate can use (RFC 7800 §3.2), or the
    /// JWK carries private members.
    #[error("invalid cnf: {0}")]
    InvalidCnf(String),
    /// Key binding is required but the presentation has no Key Binding JWT (RFC
    /// 9901 §7.3 step 2: "the Verifier MUST reject the presentation").
    #[error("key binding required but no KB-JWT presented")]
    KbMissing,
    /// An issuance (as given to a holder) carries a KB-JWT (RFC 9901 §7.2: "If the
    /// Holder receives an SD-JWT+KB, it MUST be rejected").
    #[error("unexpected KB-JWT")]
    KbUnexpected,
    /// The KB-JWT does not verify with the `cnf` key.
    #[error("KB-JWT signature: {0}")]
    KbSignature(JwsError),
    /// The KB-JWT `typ` is not `kb+jwt` (RFC 9901 §7.3 step 5.4).
    #[error("KB-JWT typ {0:?} is not kb+jwt")]
    KbWrongTyp(Option<String>),
    /// A required KB-JWT claim (`iat`, `aud`, `nonce`, `sd_hash`) is missing or has
    /// the wrong type (RFC 9901 §4.3).
    #[error("KB-JWT claim {0:?} missing or invalid")]
    KbClaim(&'static str),
    /// The KB-JWT `nonce` differs from the expected one.
    #[error("KB-JWT nonce mismatch")]
    KbNonceMismatch,
    /// The KB-JWT `aud` differs from the expected one.
    #[error("KB-JWT audience mismatch")]
    KbAudienceMismatch,
    /// The KB-JWT `iat` is older than the accepted window (RFC 9901 §7.3 step 5.5).
    #[error("KB-JWT issued at {iat}, too old at {now}")]
    KbStale {
        /// `iat`.
        iat: i64,
        /// The caller's time.
        now: i64,
    },
    /// The KB-JWT `iat` is in the future.
    #[error("KB-JWT issued at {iat}, in the future of {now}")]
    KbIssuedInFuture {
        /// `iat`.
        iat: i64,
        /// The caller's time.
        now: i64,
    },
    /// The KB-JWT `sd_hash` is not the digest of the presented SD-JWT (RFC 9901
    /// §4.3.1, §7.3 step 5.7).
    #[error("KB-JWT sd_hash does not match the presented SD-JWT")]
    WrongSdHash,
    /// Signing the issuer JWT or the KB-JWT failed.
    #[error("signing: {0}")]
    Signing(JwsError),
    /// A holder JWK could not be used.
    #[error("JWK: {0}")]
    Jwk(JwkError),
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// A parsed SD-JWT or SD-JWT+KB: the issuer-signed JWT, the disclosures, and the Key
/// Binding JWT if any. Parsing checks the structure and decodes each disclosure;
/// nothing is verified until [`verify`].
#[derive(Debug, Clone, PartialEq)]
pub struct SdJwt {
    issuer_jwt: String,
    disclosures: Vec<Disclosure>,
    kb_jwt: Option<String>,
}

impl SdJwt {
    /// Parses `<JWT>~<D1>~…~<Dn>~` or `<JWT>~<D1>~…~<Dn>~<KB-JWT>` (RFC 9901 §4).
    ///
    /// # Errors
    /// [`SdJwtError::TooLarge`], [`SdJwtError::Malformed`],
    /// [`SdJwtError::TooManyDisclosures`], the errors of [`Disclosure::parse`],
    /// [`SdJwtError::DuplicateDisclosure`].
    pub fn parse(serialized: &str) -> Result<Self, SdJwtError> {
        if serialized.len() > MAX_SD_JWT_LEN {
            return Err(SdJwtError::TooLarge {
                len: serialized.len(),
                max: MAX_SD_JWT_LEN,
            });
        }
        // Count before splitting, so a flood of `~` allocates nothing.
        let tildes = serialized.bytes().filter(|b| *b == b'~').count();
        if tildes == 0 {
            return Err(SdJwtError::Malformed("no '~' after the issuer-signed JWT"));
        }
        if tildes > MAX_DISCLOSURES + 1 {
            return Err(SdJwtError::TooManyDisclosures(MAX_DISCLOSURES));
        }
        let mut parts: Vec<&str> = serialized.split('~').collect();
        let last = parts.pop().unwrap_or_default();
        let kb_jwt = if last.is_empty() {
            None
        } else {
            if last.split('.').count() != 3 {
                return Err(SdJwtError::Malformed("KB-JWT is not a compact JWS"));
            }
            Some(last.to_owned())
        };
        let mut parts = parts.into_iter();
        let issuer_jwt = parts.next().unwrap_or_default();
        if issuer_jwt.split('.').count() != 3 {
            return Err(SdJwtError::Malformed(
                "issuer-signed JWT is not a compact JWS",
            ));
        }
        let mut disclosures: Vec<Disclosure> = Vec::new();
        for encoded in parts {
            if encoded.is_empty() {
                return Err(SdJwtError::Malformed("empty disclosure"));
            }
            if disclosures.iter().any(|d| d.encoded() == encoded) {
                return Err(SdJwtError::DuplicateDisclosure(
                    encoded.chars().take(64).collect(),
                ));
            }
            disclosures.push(Disclosure::parse(encoded)?);
        }
        Ok(Self {
            issuer_jwt: issuer_jwt.to_owned(),
            disclosures,
            kb_jwt,
        })
    }

    /// The issuer-signed JWT (compact JWS).
    #[must_use]
    pub fn issuer_jwt(&self) -> &str {
        &self.issuer_jwt
    }

    /// The disclosures, in order.
    #[must_use]
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The Key Binding JWT, if any.
    #[must_use]
    pub fn kb_jwt(&self) -> Option<&str> {
        self.kb_jwt.as_deref()
    }

    /// The SD-JWT without the KB-JWT: `<JWT>~<D1>~…~<Dn>~`, the exact input of
    /// `sd_hash` (RFC 9901 §4.3.1: "the US-ASCII bytes of the SD-JWT ... including
    /// the last `~`").
    #[must_use]
    pub fn sd_jwt_part(&self) -> String {
        let mut out = self.issuer_jwt.clone();
        out.push('~');
        for d in &self.disclosures {
            out.push_str(d.encoded());
            out.push('~');
        }
        out
    }

    /// The serialization, with the KB-JWT if any.
    #[must_use]
    pub fn to_compact(&self) -> String {
        let mut out = self.sd_jwt_part();
        if let Some(kb) = &self.kb_jwt {
            out.push_str(kb);
        }
        out
    }

    /// Decodes the issuer-signed payload **without verifying its signature** and
    /// processes it with all disclosures held: the fully disclosed claims and the path
    /// of every selectively disclosable claim. For the holder's own credentials (to
    /// decide what to reveal); a verifier uses [`verify`].
    ///
    /// # Errors
    /// [`SdJwtError::Malformed`], [`SdJwtError::PayloadNotObject`] and the
    /// processing errors of [`verify`].
    pub fn decode_unverified(&self) -> Result<DecodedSdJwt, SdJwtError> {
        let payload = unverified_payload(&self.issuer_jwt)?;
        let processed = process::process(payload, &self.disclosures)?;
        Ok(DecodedSdJwt {
            claims: processed.claims,
            disclosable: processed.paths.into_iter().map(|(p, _)| p).collect(),
        })
    }
}

/// An SD-JWT decoded with all its disclosures (see [`SdJwt::decode_unverified`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedSdJwt {
    /// The processed payload with every disclosure applied (`_sd`, `_sd_alg` and
    /// undisclosed `...` entries removed).
    pub claims: Map<String, Value>,
    /// The path of each selectively disclosable claim, in the order of the
    /// disclosures.
    pub disclosable: Vec<ClaimPath>,
}

/// The payload of a compact JWS, decoded but not verified.
fn unverified_payload(jwt: &str) -> Result<Map<String, Value>, SdJwtError> {
    let payload_b64 = jwt.split('.').nth(1).ok_or(SdJwtError::Malformed(
        "issuer-signed JWT is not a compact JWS",
    ))?;
    let bytes = b64u_decode(payload_b64)
        .map_err(|_| SdJwtError::Malformed("issuer-signed JWT payload is not base64url"))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(SdJwtError::PayloadNotObject),
    }
}

/// Renders a claim path for error messages, e.g. `["address","street_address"]`.
fn path_to_string(path: &[ClaimPathElement]) -> String {
    let items: Vec<Value> = path
        .iter()
        .map(|e| match e {
            ClaimPathElement::Key(k) => Value::String(k.clone()),
            ClaimPathElement::Index(i) => Value::from(*i),
        })
        .collect();
    Value::Array(items).to_string()
}

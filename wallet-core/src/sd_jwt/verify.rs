//! Verification by the verifier (RFC 9901 §7.1, §7.3).

use serde_json::{Map, Value};

use super::{
    ClaimPath, KB_JWT_TYP, SD_JWT_VC_TYP, SdJwt, SdJwtError, disclosure_digest, process,
    unverified_payload,
};
use crate::did::{Did, DidUrl, Relationship, resolve_verification_method};
use crate::jwk::Jwk;
use crate::jws::{Algorithm, Header, JwsError, check_time, peek_header, verify_jwt};
use crate::keys::PublicKey;

/// What a key resolver gets to pick the issuer's key. All of it is **unverified**:
/// the resolver must map it to a key the caller trusts for that issuer, never take a
/// key from it.
#[derive(Debug, Clone, Copy)]
pub struct IssuerKeyLookup<'a> {
    /// The `iss` claim, if a string.
    pub iss: Option<&'a str>,
    /// The header `kid`.
    pub kid: Option<&'a str>,
    /// The whole protected header.
    pub header: &'a Header,
}

/// The verifier's key binding policy (RFC 9901 §7.3 step 1: decided by the verifier,
/// "MUST NOT be based on whether a Key Binding JWT is provided").
#[derive(Debug, Clone, Copy)]
pub enum KeyBinding<'a> {
    /// A KB-JWT signed with the `cnf` key is required, with this `nonce` and `aud`,
    /// and an `iat` no older than `max_age` seconds (plus the leeway).
    Required {
        /// The expected `nonce`.
        nonce: &'a str,
        /// The expected `aud` (this verifier).
        aud: &'a str,
        /// The oldest accepted KB-JWT, in seconds before `now`.
        max_age: u32,
    },
    /// No key binding: a KB-JWT, if present, is ignored and
    /// [`VerifiedSdJwt::key_bound`] is `false`.
    NotRequired,
}

/// How to verify.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// The signature algorithms accepted for the issuer JWT and the KB-JWT.
    pub algorithms: &'a [Algorithm],
    /// The caller's time (unix seconds).
    pub now: i64,
    /// Allowed clock skew in seconds.
    pub leeway: u32,
    /// The key binding policy.
    pub key_binding: KeyBinding<'a>,
    /// The `typ` the issuer JWT must have, e.g. [`SD_JWT_VC_TYP`]; `None` accepts any.
    pub expected_typ: Option<&'a str>,
}

/// A verified SD-JWT presentation.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedSdJwt {
    /// The issuer-signed JWT's protected header.
    pub header: Header,
    /// `iss`.
    pub issuer: Option<String>,
    /// `vct` (SD-JWT VC).
    pub vct: Option<String>,
    /// The holder key from `cnf.jwk`.
    pub holder_jwk: Option<Jwk>,
    /// The processed payload: clear claims plus the disclosed ones, without `_sd`,
    /// `_sd_alg` and undisclosed array entries.
    pub claims: Map<String, Value>,
    /// The paths of the claims that were disclosed.
    pub disclosed: Vec<ClaimPath>,
    /// Whether a KB-JWT was verified.
    pub key_bound: bool,
}

/// Verifies an SD-JWT or SD-JWT+KB (RFC 9901 §7.1 and §7.3).
///
/// `resolve_key` maps the (unverified) `iss`/`kid` to the issuer's public key, e.g.
/// [`did_issuer_key`] or a lookup in the caller's trust list; the token's own header
/// keys are refused by [`crate::jws::verify`].
///
/// # Errors
/// One [`SdJwtError`] variant per failed check: parsing, the resolver's error,
/// [`SdJwtError::IssuerSignature`], [`SdJwtError::WrongTyp`], the processing errors
/// (digests, disclosures, `_sd_alg`), the time errors, [`SdJwtError::MissingVct`],
/// [`SdJwtError::InvalidCnf`], and with key binding [`SdJwtError::KbMissing`],
/// [`SdJwtError::NoHolderKey`], [`SdJwtError::KbSignature`],
/// [`SdJwtError::KbWrongTyp`], [`SdJwtError::KbClaim`], [`SdJwtError::KbStale`],
/// [`SdJwtError::KbIssuedInFuture`], [`SdJwtError::KbNonceMismatch`],
/// [`SdJwtError::KbAudienceMismatch`], [`SdJwtError::WrongSdHash`].
pub fn verify<F>(
    presentation: &str,
    resolve_key: F,
    options: &VerifyOptions<'_>,
) -> Result<VerifiedSdJwt, SdJwtError>
where
    F: FnOnce(&IssuerKeyLookup<'_>) -> Result<PublicKey, SdJwtError>,
{
    let sd_jwt = SdJwt::parse(presentation)?;
    if matches!(options.key_binding, KeyBinding::Required { .. }) && sd_jwt.kb_jwt.is_none() {
        return Err(SdJwtError::KbMissing);
    }
    let header = peek_header(&sd_jwt.issuer_jwt).map_err(SdJwtError::IssuerSignature)?;
    let unverified = unverified_payload(&sd_jwt.issuer_jwt)?;
    let key = resolve_key(&IssuerKeyLookup {
        iss: unverified.get("iss").and_then(Value::as_str),
        kid: header.kid.as_deref(),
        header: &header,
    })?;
    let verified = verify_jwt(&sd_jwt.issuer_jwt, &key, options.algorithms)
        .map_err(SdJwtError::IssuerSignature)?;
    if let Some(expected) = options.expected_typ
        && verified.header.typ.as_deref() != Some(expected)
    {
        return Err(SdJwtError::WrongTyp {
            found: verified.header.typ.clone(),
            expected: expected.to_owned(),
        });
    }
    let processed = process::process(verified.claims, &sd_jwt.disclosures)?;
    let claims = processed.claims;
    // §7.1 step 6: validity from `nbf`, `iat`, `exp` of the processed payload.
    check_time(&claims, options.now, options.leeway).map_err(time_error)?;
    let vct = claims.get("vct").and_then(Value::as_str).map(str::to_owned);
    if verified.header.typ.as_deref() == Some(SD_JWT_VC_TYP) && vct.is_none() {
        return Err(SdJwtError::MissingVct);
    }
    let holder_jwk = holder_jwk(&claims)?;
    let key_bound = match options.key_binding {
        KeyBinding::NotRequired => false,
        KeyBinding::Required {
            nonce,
            aud,
            max_age,
        } => {
            let jwk = holder_jwk.as_ref().ok_or(SdJwtError::NoHolderKey)?;
            let holder = jwk.to_public_key().map_err(SdJwtError::Jwk)?;
            let kb = sd_jwt.kb_jwt.as_deref().ok_or(SdJwtError::KbMissing)?;
            let expected = KbExpectations {
                nonce,
                aud,
                max_age,
                sd_hash: disclosure_digest(&sd_jwt.sd_jwt_part()),
            };
            verify_kb(kb, &holder, &expected, options)?;
            true
        }
    };
    Ok(VerifiedSdJwt {
        issuer: claims.get("iss").and_then(Value::as_str).map(str::to_owned),
        vct,
        holder_jwk,
        disclosed: processed.paths.into_iter().map(|(p, _)| p).collect(),
        claims,
        header: verified.header,
        key_bound,
    })
}

fn time_error(e: JwsError) -> SdJwtError {
    match e {
        JwsError::Expired { exp, now } => SdJwtError::Expired { exp, now },
        JwsError::NotYetValid { nbf, now } => SdJwtError::NotYetValid { nbf, now },
        JwsError::IssuedInFuture { iat, now } => SdJwtError::IssuedInFuture { iat, now },
        JwsError::InvalidTimeClaim(name) => SdJwtError::InvalidTimeClaim(name),
        _ => SdJwtError::InvalidTimeClaim("?"),
    }
}

/// `cnf.jwk` (RFC 7800 §3.2), public only.
fn holder_jwk(claims: &Map<String, Value>) -> Result<Option<Jwk>, SdJwtError> {
    let Some(cnf) = claims.get("cnf") else {
        return Ok(None);
    };
    let Some(jwk) = cnf.get("jwk") else {
        return Err(SdJwtError::InvalidCnf("no jwk member".into()));
    };
    let jwk: Jwk =
        serde_json::from_value(jwk.clone()).map_err(|e| SdJwtError::InvalidCnf(e.to_string()))?;
    if jwk.is_private() {
        return Err(SdJwtError::InvalidCnf("private key in cnf".into()));
    }
    Ok(Some(jwk))
}

struct KbExpectations<'a> {
    nonce: &'a str,
    aud: &'a str,
    max_age: u32,
    sd_hash: String,
}

/// RFC 9901 §7.3 step 5.
fn verify_kb(
    kb: &str,
    holder: &PublicKey,
    expected: &KbExpectations<'_>,
    options: &VerifyOptions<'_>,
) -> Result<(), SdJwtError> {
    let verified = verify_jwt(kb, holder, options.algorithms).map_err(SdJwtError::KbSignature)?;
    if verified.header.typ.as_deref() != Some(KB_JWT_TYP) {
        return Err(SdJwtError::KbWrongTyp(verified.header.typ));
    }
    let claims = verified.claims;
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(SdJwtError::KbClaim("iat"))?;
    let leeway = i64::from(options.leeway);
    let now = options.now;
    if iat > now.saturating_add(leeway) {
        return Err(SdJwtError::KbIssuedInFuture { iat, now });
    }
    if iat
        < now
            .saturating_sub(i64::from(expected.max_age))
            .saturating_sub(leeway)
    {
        return Err(SdJwtError::KbStale { iat, now });
    }
    let nonce = claims
        .get("nonce")
        .and_then(Value::as_str)
        .ok_or(SdJwtError::KbClaim("nonce"))?;
    if nonce != expected.nonce {
        return Err(SdJwtError::KbNonceMismatch);
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == expected.aud,
        Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(expected.aud)),
        _ => return Err(SdJwtError::KbClaim("aud")),
    };
    if !aud_ok {
        return Err(SdJwtError::KbAudienceMismatch);
    }
    let sd_hash = claims
        .get("sd_hash")
        .and_then(Value::as_str)
        .ok_or(SdJwtError::KbClaim("sd_hash"))?;
    if sd_hash != expected.sd_hash {
        return Err(SdJwtError::WrongSdHash);
    }
    // A KB-JWT may carry `exp`/`nbf` of its own (RFC 7519): honour them too.
    check_time(&claims, now, options.leeway).map_err(|e| match e {
        JwsError::Expired { .. } | JwsError::NotYetValid { .. } => SdJwtError::KbStale { iat, now },
        _ => SdJwtError::KbClaim("exp"),
    })?;
    Ok(())
}

/// A key resolver for DID issuers: `kid` is a DID URL (absolute, or a `#fragment`
/// relative to a DID `iss`); its DID must be `iss` when `iss` is a DID, and the
/// method must be in the DID document's `assertionMethod` relationship (DID Core
/// §5.3.2). Resolution is offline (`did:key`, `did:jwk`).
///
/// # Errors
/// [`SdJwtError::IssuerKeyNotFound`] without a usable `kid` or when `kid` names
/// another DID than `iss`; [`SdJwtError::IssuerDid`] for resolution failures.
pub fn did_issuer_key(lookup: &IssuerKeyLookup<'_>) -> Result<PublicKey, SdJwtError> {
    let not_found = || SdJwtError::IssuerKeyNotFound {
        iss: lookup.iss.map(str::to_owned),
        kid: lookup.kid.map(str::to_owned),
    };
    let kid = lookup.kid.ok_or_else(not_found)?;
    let iss_did = match lookup.iss {
        Some(iss) if iss.starts_with("did:") => {
            Some(Did::parse(iss).map_err(SdJwtError::IssuerDid)?)
        }
        _ => None,
    };
    let url = if kid.starts_with('#') {
        let base = iss_did.as_ref().ok_or_else(not_found)?;
        DidUrl::parse_relative(kid, base).map_err(SdJwtError::IssuerDid)?
    } else {
        DidUrl::parse(kid).map_err(SdJwtError::IssuerDid)?
    };
    if let Some(iss) = &iss_did
        && url.did() != iss
    {
        return Err(not_found());
    }
    let method = resolve_verification_method(&url)
        .map_err(SdJwtError::IssuerDid)?
        .require_relationship(Relationship::AssertionMethod)
        .map_err(SdJwtError::IssuerDid)?;
    Ok(method.public_key().clone())
}

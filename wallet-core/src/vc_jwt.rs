//! Credentials and presentations as JWTs: VC-JWT and VP-JWT (VC Data Model 1.1
//! §6.3.1, the OID4VP formats `jwt_vc_json` / `jwt_vp_json`), and the VC 2.0
//! VC-JOSE-COSE `vc+jwt` form, where the JWT payload *is* the credential.
//!
//! Encoding (VC 1.1 §6.3.1.1 "JWT and JWS Considerations"): `iss` ← `issuer`,
//! `nbf` ← `issuanceDate` (`validFrom` for a 2.0 credential), `exp` ←
//! `expirationDate` (`validUntil`), `jti` ← `id`, `sub` ← `credentialSubject.id`;
//! the credential goes in the `vc` claim without the members moved into registered
//! claims. A member is moved only when the claim gives it back exactly (a date with
//! fractional seconds or a non-`Z` offset stays in `vc`), so decoding
//! ([`decode_vc_claims`]) restores the credential as it was.
//!
//! Verification takes no key from the token: `kid` must be a DID URL whose DID is
//! the `iss` (for `vc+jwt`, the credential's issuer), the key comes from resolving
//! it, the method must be in `assertionMethod` (credentials) or `authentication`
//! (presentations), and only `EdDSA` and `ES256` are accepted.

use serde_json::{Map, Value};

use crate::data_integrity::{MethodResolver, OfflineResolver};
use crate::did::{Did, DidError, DidUrl, Relationship};
use crate::jws::{self, Algorithm, Header, JwsError};
use crate::keys::{KeyType, PrivateKey};
use crate::vc::{Credential, Presentation, VcError, VcVersion, format_datetime, parse_datetime};

/// The algorithms accepted on verification.
pub const ALLOWED_ALGORITHMS: [Algorithm; 2] = [Algorithm::EdDSA, Algorithm::ES256];

/// What went wrong encoding, signing or verifying a VC-JWT or VP-JWT.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VcJwtError {
    /// The JWS layer failed (structure, algorithm, signature, time claims).
    #[error(transparent)]
    Jws(#[from] JwsError),
    /// The credential or presentation inside is invalid.
    #[error(transparent)]
    Vc(#[from] VcError),
    /// The header has no `kid`.
    #[error("header has no kid")]
    MissingKid,
    /// `kid` is not a DID URL with a fragment.
    #[error("kid is not a DID URL: {0}")]
    InvalidKid(DidError),
    /// The `kid`'s DID is not the issuer (VC-JWT `iss`, `vc+jwt` `issuer`) or the
    /// holder (VP-JWT `iss`): a key of another DID signed.
    #[error("kid {kid} does not belong to {expected}")]
    KidNotOfIssuer {
        /// The `kid`.
        kid: String,
        /// The DID it must belong to.
        expected: String,
    },
    /// The verification method could not be resolved.
    #[error("verification method: {0}")]
    VerificationMethod(DidError),
    /// The method is not in the relationship required (`assertionMethod` for
    /// credentials, `authentication` for presentations).
    #[error("verification method {method} is not in {relationship}")]
    MethodNotAuthorized {
        /// The method.
        method: String,
        /// The relationship required.
        relationship: Relationship,
    },
    /// `typ` is not the one this function handles (`JWT` or absent for VC-JWT and
    /// VP-JWT, `vc+jwt` for VC-JOSE-COSE).
    #[error("unexpected typ {0:?}")]
    UnexpectedType(String),
    /// A required claim is absent (`iss`, `vc`, `vp`, `aud`, `nonce`).
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or value.
    #[error("invalid claim {0}")]
    InvalidClaim(&'static str),
    /// `iss` is not a DID.
    #[error("iss is not a DID: {0}")]
    IssuerNotDid(DidError),
    /// A registered claim and the member it stands for in `vc`/`vp` disagree.
    #[error("claim {claim} disagrees with {member}")]
    ClaimMismatch {
        /// The JWT claim.
        claim: &'static str,
        /// The credential or presentation member.
        member: &'static str,
    },
    /// `aud` does not contain the expected audience.
    #[error("audience mismatch")]
    AudienceMismatch,
    /// `nonce` is not the expected one.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// The presentation has no `holder` to put in `iss` when signing.
    #[error("presentation has no holder DID")]
    MissingHolder,
    /// The signing key does not fit `kid`'s key type or is not a signing key.
    #[error("cannot sign with a {0} key")]
    UnsupportedKey(KeyType),
    /// A date cannot be written as a NumericDate.
    #[error("date {0} cannot be encoded")]
    InvalidDate(&'static str),
}

/// A verified VC-JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedVcJwt {
    /// The credential, decoded from the claims.
    pub credential: Credential,
    /// The issuer DID (`iss`).
    pub issuer: Did,
    /// The verification method that signed (`kid`).
    pub kid: DidUrl,
    /// The protected header.
    pub header: Header,
    /// All JWT claims.
    pub claims: Map<String, Value>,
}

/// A verified VP-JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedVpJwt {
    /// The presentation, decoded from the claims (its credentials not yet verified).
    pub presentation: Presentation,
    /// The holder DID (`iss`).
    pub holder: Did,
    /// The verification method that signed (`kid`).
    pub kid: DidUrl,
    /// The protected header.
    pub header: Header,
    /// All JWT claims.
    pub claims: Map<String, Value>,
}

/// What the verifier requires of a VP-JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpJwtExpectations {
    /// The audience (the verifier's client id or origin); `aud` must contain it.
    pub audience: String,
    /// The nonce the verifier issued; `nonce` must equal it.
    pub nonce: String,
    /// The caller's time (unix seconds).
    pub now: i64,
    /// Allowed clock skew (seconds).
    pub skew_secs: u32,
}

/// What [`sign_vp_jwt`] puts in the registered claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpJwtClaims {
    /// `aud`.
    pub audience: String,
    /// `nonce`.
    pub nonce: String,
    /// `iat` (unix seconds, the caller's clock).
    pub issued_at: i64,
    /// `exp`, if any.
    pub expires_at: Option<i64>,
}

/// Turns a credential into VC-JWT claims (VC 1.1 §6.3.1.1 transformation).
///
/// # Errors
/// [`VcJwtError::InvalidDate`] for a date outside the NumericDate range.
pub fn encode_vc_claims(credential: &Credential) -> Result<Map<String, Value>, VcJwtError> {
    let mut vc = credential.as_map().clone();
    let mut claims = Map::new();
    let (nbf_member, exp_member) = date_members(credential.version());
    // "iss MUST represent the issuer property of a verifiable credential".
    let issuer = credential.issuer().to_owned();
    match vc.get_mut("issuer") {
        Some(Value::String(_)) => {
            vc.remove("issuer");
        }
        Some(Value::Object(obj)) => {
            obj.remove("id");
            if obj.is_empty() {
                vc.remove("issuer");
            }
        }
        _ => {}
    }
    claims.insert("iss".into(), Value::String(issuer));
    for (claim, member) in [("nbf", nbf_member), ("exp", exp_member)] {
        if let Some(Value::String(s)) = vc.get(member) {
            let t = parse_datetime(s).ok_or(VcJwtError::InvalidDate(member))?;
            claims.insert(claim.into(), Value::from(t));
            if format_datetime(t).as_deref() == Some(s.as_str()) {
                vc.remove(member);
            }
        }
    }
    if let Some(Value::String(id)) = vc.remove("id") {
        claims.insert("jti".into(), Value::String(id));
    }
    // "sub MUST represent the id property contained in the credentialSubject";
    // only defined for a single subject.
    if let Some(Value::Object(subject)) = vc.get_mut("credentialSubject")
        && let Some(Value::String(sub)) = subject.remove("id")
    {
        claims.insert("sub".into(), Value::String(sub));
    }
    claims.insert("vc".into(), Value::Object(vc));
    Ok(claims)
}

/// Rebuilds the credential from VC-JWT claims (the reverse of
/// [`encode_vc_claims`]; VC 1.1 §6.3.1.2 "JWT Decoding").
///
/// # Errors
/// [`VcJwtError::MissingClaim`] (`vc`), [`VcJwtError::InvalidClaim`],
/// [`VcJwtError::ClaimMismatch`] when a claim and the member left in `vc`
/// disagree, and the credential's own [`VcError`].
pub fn decode_vc_claims(claims: &Map<String, Value>) -> Result<Credential, VcJwtError> {
    let mut vc = match claims.get("vc") {
        None => return Err(VcJwtError::MissingClaim("vc")),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(VcJwtError::InvalidClaim("vc")),
    };
    let version = match vc.get("@context") {
        Some(Value::Array(a))
            if a.first().and_then(Value::as_str) == Some(crate::vc::CREDENTIALS_V2_CONTEXT) =>
        {
            VcVersion::V2_0
        }
        Some(Value::String(s)) if s == crate::vc::CREDENTIALS_V2_CONTEXT => VcVersion::V2_0,
        _ => VcVersion::V1_1,
    };
    let (nbf_member, exp_member) = date_members(version);
    if let Some(iss) = str_claim(claims, "iss")? {
        match vc.get_mut("issuer") {
            None => {
                vc.insert("issuer".into(), Value::String(iss.to_owned()));
            }
            Some(Value::Object(obj)) => match obj.get("id") {
                None => {
                    obj.insert("id".into(), Value::String(iss.to_owned()));
                }
                Some(v) if v.as_str() == Some(iss) => {}
                Some(_) => return Err(mismatch("iss", "issuer")),
            },
            Some(v) if v.as_str() == Some(iss) => {}
            Some(_) => return Err(mismatch("iss", "issuer")),
        }
    }
    for (claim, member) in [("nbf", nbf_member), ("exp", exp_member)] {
        let Some(value) = claims.get(claim) else {
            continue;
        };
        let t = value.as_i64().ok_or(VcJwtError::InvalidClaim(claim))?;
        match vc.get(member) {
            None => {
                let s = format_datetime(t).ok_or(VcJwtError::InvalidClaim(claim))?;
                vc.insert(member.into(), Value::String(s));
            }
            Some(Value::String(s)) if parse_datetime(s) == Some(t) => {}
            Some(_) => return Err(mismatch(claim, member)),
        }
    }
    if let Some(jti) = str_claim(claims, "jti")? {
        match vc.get("id") {
            None => {
                vc.insert("id".into(), Value::String(jti.to_owned()));
            }
            Some(v) if v.as_str() == Some(jti) => {}
            Some(_) => return Err(mismatch("jti", "id")),
        }
    }
    if let Some(sub) = str_claim(claims, "sub")? {
        // Several subjects: `sub` cannot say which one it names; leave them.
        if let Some(Value::Object(subject)) = vc.get_mut("credentialSubject") {
            match subject.get("id") {
                None => {
                    subject.insert("id".into(), Value::String(sub.to_owned()));
                }
                Some(v) if v.as_str() == Some(sub) => {}
                Some(_) => return Err(mismatch("sub", "credentialSubject.id")),
            }
        }
    }
    Ok(Credential::from_map(vc)?)
}

/// Signs a credential as a VC-JWT (`typ` `JWT`, `kid` = `kid`). The `kid`'s DID
/// should be the credential's issuer; [`verify_vc_jwt`] requires it.
///
/// # Errors
/// [`VcJwtError::UnsupportedKey`], the errors of [`encode_vc_claims`] and
/// [`jws::sign_jwt`].
pub fn sign_vc_jwt(
    credential: &Credential,
    kid: &DidUrl,
    key: &PrivateKey,
) -> Result<String, VcJwtError> {
    let claims = encode_vc_claims(credential)?;
    let header = Header::new(alg_for(key)?)
        .with_typ("JWT")
        .with_kid(kid.as_str());
    Ok(jws::sign_jwt(&header, &claims, key)?)
}

/// Verifies a VC-JWT with the offline resolver (`did:key`, `did:jwk`).
///
/// # Errors
/// As [`verify_vc_jwt_with`].
pub fn verify_vc_jwt(token: &str, now: i64, skew_secs: u32) -> Result<VerifiedVcJwt, VcJwtError> {
    verify_vc_jwt_with(token, now, skew_secs, &OfflineResolver)
}

/// Verifies a VC-JWT: `typ` `JWT` or absent, `kid` a DID URL of the `iss` DID,
/// resolved with `resolver` and in `assertionMethod`, `EdDSA`/`ES256` only, the
/// signature, the time claims (`nbf`, `exp`, `iat`) against `now`, then decodes
/// the credential.
///
/// # Errors
/// One [`VcJwtError`] variant per failed check.
pub fn verify_vc_jwt_with(
    token: &str,
    now: i64,
    skew_secs: u32,
    resolver: &impl MethodResolver,
) -> Result<VerifiedVcJwt, VcJwtError> {
    let verified = verify_signed(
        token,
        &["JWT"],
        Relationship::AssertionMethod,
        resolver,
        |claims| {
            Ok(str_claim(claims, "iss")?
                .ok_or(VcJwtError::MissingClaim("iss"))?
                .to_owned())
        },
    )?;
    jws::check_time(&verified.claims, now, skew_secs)?;
    let credential = decode_vc_claims(&verified.claims)?;
    Ok(VerifiedVcJwt {
        credential,
        issuer: verified.signer,
        kid: verified.kid,
        header: verified.header,
        claims: verified.claims,
    })
}

/// Verifies a VC-JOSE-COSE `vc+jwt` (VC-JOSE-COSE §3.1.1: the payload is the
/// credential itself): `typ` `vc+jwt`, `kid` a DID URL of the credential's issuer
/// DID in `assertionMethod`, the signature, JWT time claims when present and the
/// credential's validity period (`validFrom`/`validUntil`).
///
/// # Errors
/// One [`VcJwtError`] variant per failed check.
pub fn verify_vc_jose(
    token: &str,
    now: i64,
    skew_secs: u32,
    resolver: &impl MethodResolver,
) -> Result<VerifiedVcJwt, VcJwtError> {
    let verified = verify_signed(
        token,
        &["vc+jwt"],
        Relationship::AssertionMethod,
        resolver,
        |claims| {
            crate::vc::id_of(
                claims
                    .get("issuer")
                    .ok_or(VcJwtError::Vc(VcError::MissingIssuer))?,
            )
            .map(str::to_owned)
            .ok_or(VcJwtError::Vc(VcError::InvalidIssuer))
        },
    )?;
    jws::check_time(&verified.claims, now, skew_secs)?;
    let credential = Credential::from_map(verified.claims.clone())?;
    credential.check_validity(now, skew_secs)?;
    Ok(VerifiedVcJwt {
        credential,
        issuer: verified.signer,
        kid: verified.kid,
        header: verified.header,
        claims: verified.claims,
    })
}

/// Signs a presentation as a VP-JWT: `iss` = the holder, `aud`, `nonce`, `iat`,
/// optional `exp`, `jti` = the presentation `id`, the presentation (without
/// `holder` and `id`) in `vp`.
///
/// # Errors
/// [`VcJwtError::MissingHolder`], [`VcJwtError::UnsupportedKey`], JWS errors.
pub fn sign_vp_jwt(
    presentation: &Presentation,
    claims_in: &VpJwtClaims,
    kid: &DidUrl,
    key: &PrivateKey,
) -> Result<String, VcJwtError> {
    let holder = presentation
        .holder()
        .ok_or(VcJwtError::MissingHolder)?
        .to_owned();
    let mut vp = presentation.as_map().clone();
    vp.remove("holder");
    let mut claims = Map::new();
    if let Some(Value::String(id)) = vp.remove("id") {
        claims.insert("jti".into(), Value::String(id));
    }
    claims.insert("iss".into(), Value::String(holder));
    claims.insert("aud".into(), Value::String(claims_in.audience.clone()));
    claims.insert("nonce".into(), Value::String(claims_in.nonce.clone()));
    claims.insert("iat".into(), Value::from(claims_in.issued_at));
    if let Some(exp) = claims_in.expires_at {
        claims.insert("exp".into(), Value::from(exp));
    }
    claims.insert("vp".into(), Value::Object(vp));
    let header = Header::new(alg_for(key)?)
        .with_typ("JWT")
        .with_kid(kid.as_str());
    Ok(jws::sign_jwt(&header, &claims, key)?)
}

/// Verifies a VP-JWT with the offline resolver.
///
/// # Errors
/// As [`verify_vp_jwt_with`].
pub fn verify_vp_jwt(
    token: &str,
    expectations: &VpJwtExpectations,
) -> Result<VerifiedVpJwt, VcJwtError> {
    verify_vp_jwt_with(token, expectations, &OfflineResolver)
}

/// Verifies a VP-JWT: `typ` `JWT` or absent, `kid` a DID URL of the `iss` (holder)
/// DID in `authentication`, `EdDSA`/`ES256`, the signature, time claims, `aud`
/// containing the expected audience, `nonce` equal to the expected one, and the
/// `vp` claim a valid presentation whose `holder`, if present, is `iss`. The
/// credentials inside are not verified here.
///
/// # Errors
/// One [`VcJwtError`] variant per failed check.
pub fn verify_vp_jwt_with(
    token: &str,
    expectations: &VpJwtExpectations,
    resolver: &impl MethodResolver,
) -> Result<VerifiedVpJwt, VcJwtError> {
    let verified = verify_signed(
        token,
        &["JWT"],
        Relationship::Authentication,
        resolver,
        |claims| {
            Ok(str_claim(claims, "iss")?
                .ok_or(VcJwtError::MissingClaim("iss"))?
                .to_owned())
        },
    )?;
    let claims = &verified.claims;
    jws::check_time(claims, expectations.now, expectations.skew_secs)?;
    // RFC 7519 §4.1.3: "If the principal processing the claim does not identify
    // itself with a value in the aud claim ... the JWT MUST be rejected."
    let aud_ok = match claims.get("aud") {
        None => return Err(VcJwtError::MissingClaim("aud")),
        Some(Value::String(a)) => *a == expectations.audience,
        Some(Value::Array(items)) => items
            .iter()
            .any(|a| a.as_str() == Some(expectations.audience.as_str())),
        Some(_) => return Err(VcJwtError::InvalidClaim("aud")),
    };
    if !aud_ok {
        return Err(VcJwtError::AudienceMismatch);
    }
    match str_claim(claims, "nonce")? {
        None => return Err(VcJwtError::MissingClaim("nonce")),
        Some(n) if n != expectations.nonce => return Err(VcJwtError::NonceMismatch),
        Some(_) => {}
    }
    let mut vp = match claims.get("vp") {
        None => return Err(VcJwtError::MissingClaim("vp")),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(VcJwtError::InvalidClaim("vp")),
    };
    let holder = verified.signer.as_str().to_owned();
    match vp.get("holder").map(crate::vc::id_of) {
        None => {
            vp.insert("holder".into(), Value::String(holder));
        }
        Some(Some(h)) if h == holder => {}
        Some(_) => return Err(mismatch("iss", "holder")),
    }
    if let Some(jti) = str_claim(claims, "jti")? {
        match vp.get("id") {
            None => {
                vp.insert("id".into(), Value::String(jti.to_owned()));
            }
            Some(v) if v.as_str() == Some(jti) => {}
            Some(_) => return Err(mismatch("jti", "id")),
        }
    }
    let presentation = Presentation::from_map(vp)?;
    Ok(VerifiedVpJwt {
        presentation,
        holder: verified.signer,
        kid: verified.kid,
        header: verified.header,
        claims: verified.claims,
    })
}

struct Signed {
    signer: Did,
    kid: DidUrl,
    header: Header,
    claims: Map<String, Value>,
}

/// The shared part of every verification: header checks, the signer's DID from
/// the claims (read before the signature is checked, only to pick the key), `kid`
/// bound to that DID, key from the resolver, then the JWS signature.
fn verify_signed(
    token: &str,
    typs: &[&str],
    relationship: Relationship,
    resolver: &impl MethodResolver,
    signer_of: impl Fn(&Map<String, Value>) -> Result<String, VcJwtError>,
) -> Result<Signed, VcJwtError> {
    let header = jws::peek_header(token)?;
    match header.typ.as_deref() {
        None if typs.contains(&"JWT") => {}
        Some(t) if typs.iter().any(|x| x.eq_ignore_ascii_case(t)) => {}
        Some(t) => return Err(VcJwtError::UnexpectedType(t.chars().take(64).collect())),
        None => return Err(VcJwtError::UnexpectedType(String::new())),
    }
    let kid_str = header.kid.as_deref().ok_or(VcJwtError::MissingKid)?;
    let kid = DidUrl::parse(kid_str).map_err(VcJwtError::InvalidKid)?;
    if kid.fragment().is_none() {
        return Err(VcJwtError::InvalidKid(DidError::MissingFragment));
    }
    let unverified = unverified_claims(token)?;
    let signer_str = signer_of(&unverified)?;
    let signer = Did::parse(&signer_str).map_err(VcJwtError::IssuerNotDid)?;
    if kid.did() != &signer {
        return Err(VcJwtError::KidNotOfIssuer {
            kid: kid.to_string(),
            expected: signer.to_string(),
        });
    }
    let resolved = resolver
        .resolve_method(&kid)
        .map_err(VcJwtError::VerificationMethod)?;
    if !resolved.relationships.contains(&relationship) {
        return Err(VcJwtError::MethodNotAuthorized {
            method: kid.to_string(),
            relationship,
        });
    }
    let verified = jws::verify_jwt(token, resolved.method.public_key(), &ALLOWED_ALGORITHMS)?;
    // The claims that count are the verified ones; the signer must not change.
    if signer_of(&verified.claims)? != signer_str {
        return Err(VcJwtError::InvalidClaim("iss"));
    }
    Ok(Signed {
        signer,
        kid,
        header: verified.header,
        claims: verified.claims,
    })
}

/// The payload of a compact JWS parsed as a claims object, without verification.
fn unverified_claims(token: &str) -> Result<Map<String, Value>, VcJwtError> {
    let payload = token.split('.').nth(1).ok_or(JwsError::PartCount(1))?;
    let bytes =
        crate::encoding::b64u_decode(payload).map_err(|_| JwsError::Base64(jws::Part::Payload))?;
    let text =
        core::str::from_utf8(&bytes).map_err(|_| JwsError::ClaimsNotObject("not UTF-8".into()))?;
    match crate::jcs::parse(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JwsError::ClaimsNotObject("not an object".into()).into()),
        Err(e) => Err(JwsError::ClaimsNotObject(e.to_string()).into()),
    }
}

fn alg_for(key: &PrivateKey) -> Result<Algorithm, VcJwtError> {
    match key.key_type() {
        KeyType::Ed25519 => Ok(Algorithm::EdDSA),
        KeyType::P256 => Ok(Algorithm::ES256),
        other => Err(VcJwtError::UnsupportedKey(other)),
    }
}

fn date_members(version: VcVersion) -> (&'static str, &'static str) {
    match version {
        VcVersion::V1_1 => ("issuanceDate", "expirationDate"),
        _ => ("validFrom", "validUntil"),
    }
}

fn str_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, VcJwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(VcJwtError::InvalidClaim(name)),
    }
}

fn mismatch(claim: &'static str, member: &'static str) -> VcJwtError {
    VcJwtError::ClaimMismatch { claim, member }
}

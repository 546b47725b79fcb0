//! The verifier side: every check of a received presentation, in order.

use std::collections::BTreeSet;

use serde_json::Value;

use super::status::{StatusCache, check_status};
use super::{
    CredentialFormat, PresentationError, StatusPolicy, VerificationPolicy, VerifiedCredential,
    VerifiedPresentation, pointer_of,
};
use crate::data_integrity::{
    self, DiError, MethodResolver, ProofExpectations, ProofPurpose, VerifiedProof,
};
use crate::did::{self, Did, DidError, DidUrl, Relationship};
use crate::jwk::Jwk;
use crate::jws::{self, JwsError};
use crate::keys::PublicKey;
use crate::pex::PresentationSubmission;
use crate::sd_jwt::{self, IssuerKeyLookup, KeyBinding, SD_JWT_VC_TYP, SdJwtError, VerifyOptions};
use crate::status_list::StatusListSource;
use crate::vc::{Credential, EmbeddedCredential, EnvelopedMediaType, Presentation, VcError};
use crate::vc_jwt::{self, VcJwtError, VpJwtExpectations};

/// Verifies a presentation given as JSON text (DESIGN.md §4 step 6): size and
/// credential count bounds, the data model, `holder`, the presentation's Data
/// Integrity proof (`authentication`, challenge, domain, `created`/`expires`) and
/// that its key belongs to the holder; then for each credential its signature,
/// validity period, issuer trust, holder binding and status.
///
/// # Errors
/// The first failed check, each its own [`PresentationError`] variant.
pub fn verify_presentation(
    json: &str,
    policy: &VerificationPolicy,
    resolver: &impl MethodResolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, PresentationError> {
    if json.len() > policy.max_vp_bytes {
        return Err(PresentationError::TooLarge {
            len: json.len(),
            max: policy.max_vp_bytes,
        });
    }
    let value = crate::jcs::parse(json)
        .map_err(|e| PresentationError::InvalidPresentation(VcError::Json(e)))?;
    verify_parsed(value, policy, resolver, status)
}

/// Verifies a presentation already parsed as JSON, as [`verify_presentation`]. The
/// size bound applies to its compact serialization.
///
/// # Errors
/// As [`verify_presentation`].
pub fn verify_presentation_value(
    vp: &Value,
    policy: &VerificationPolicy,
    resolver: &impl MethodResolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, PresentationError> {
    let Value::Object(map) = vp else {
        return Err(PresentationError::InvalidPresentation(VcError::NotAnObject));
    };
    // Depth and node bounds before serializing, so the length is cheap to get.
    crate::vc::check_bounds(map).map_err(PresentationError::InvalidPresentation)?;
    let len = serde_json::to_string(vp).map_or(usize::MAX, |s| s.len());
    if len > policy.max_vp_bytes {
        return Err(PresentationError::TooLarge {
            len,
            max: policy.max_vp_bytes,
        });
    }
    verify_parsed(vp.clone(), policy, resolver, status)
}

/// What every credential check needs.
pub(super) struct Ctx<'a, R> {
    pub(super) policy: &'a VerificationPolicy,
    pub(super) resolver: &'a R,
    pub(super) status: &'a dyn StatusListSource,
    holder: &'a Did,
    /// The method that signed the presentation (a method of the holder).
    holder_method: &'a DidUrl,
}

fn verify_parsed<R: MethodResolver>(
    value: Value,
    policy: &VerificationPolicy,
    resolver: &R,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, PresentationError> {
    // Count before the data model parses every credential.
    let count = match value.get("verifiableCredential") {
        None => 0,
        Some(Value::Array(items)) => items.len(),
        Some(_) => 1,
    };
    if count > policy.max_credentials {
        return Err(PresentationError::TooManyCredentials {
            count,
            max: policy.max_credentials,
        });
    }
    let vp = Presentation::from_value(value).map_err(|e| match e {
        VcError::TooManyCredentials => PresentationError::TooManyCredentials {
            count,
            max: policy.max_credentials,
        },
        other => PresentationError::InvalidPresentation(other),
    })?;
    // DESIGN.md §4: the presentation is "signed by the holder's DID"; without a
    // holder there is nobody to bind the proof and the credentials to.
    if vp.get("holder").is_none() {
        return Err(PresentationError::MissingHolder);
    }
    let holder_str = vp.holder().ok_or(PresentationError::MissingHolder)?;
    let holder = Did::parse(holder_str).map_err(PresentationError::InvalidHolder)?;
    if vp.proofs().is_empty() {
        return Err(PresentationError::MissingProof);
    }
    let expectations = ProofExpectations {
        purpose: ProofPurpose::Authentication,
        challenge: Some(policy.challenge.clone()),
        domain: Some(policy.domain.clone()),
        now: policy.now,
        skew_secs: policy.skew_secs,
    };
    let proof: VerifiedProof = data_integrity::verify_proof(vp.as_map(), &expectations, resolver)
        .map_err(|e| match e {
        DiError::MissingChallenge | DiError::ChallengeMismatch => {
            PresentationError::ChallengeMismatch
        }
        DiError::MissingDomain | DiError::DomainMismatch => PresentationError::DomainMismatch,
        DiError::UnsupportedCryptosuite(s) => PresentationError::UnsupportedCryptosuite(s),
        other => PresentationError::PresentationProof(other),
    })?;
    if proof.controller != holder {
        return Err(PresentationError::HolderKeyMismatch {
            holder: holder.to_string(),
            signer: proof.controller.to_string(),
        });
    }
    let ctx = Ctx {
        policy,
        resolver,
        status,
        holder: &holder,
        holder_method: &proof.verification_method,
    };
    verify_credentials(&ctx, vp)
}

/// The embedded `presentation_submission`, if any.
fn submission_of(vp: &Presentation) -> Result<Option<PresentationSubmission>, PresentationError> {
    vp.get("presentation_submission")
        .map(|v| {
            PresentationSubmission::parse(&v.to_string())
                .map_err(PresentationError::InvalidSubmission)
        })
        .transpose()
}

/// Every credential of a presentation whose holder binding (`ctx.holder`,
/// `ctx.holder_method`) is established, in order.
fn verify_credentials<R: MethodResolver>(
    ctx: &Ctx<'_, R>,
    vp: Presentation,
) -> Result<VerifiedPresentation, PresentationError> {
    let presentation_submission = submission_of(&vp)?;
    let mut cache = StatusCache::new();
    let mut credentials = Vec::with_capacity(vp.verifiable_credentials().len());
    for (index, embedded) in vp.verifiable_credentials().iter().enumerate() {
        let verified = match embedded {
            EmbeddedCredential::Json(c) => verify_json(ctx, index, c, &mut cache)?,
            EmbeddedCredential::Jwt(token) => verify_jwt(ctx, index, token, &mut cache)?,
            EmbeddedCredential::Enveloped(e) => match e.media_type() {
                EnvelopedMediaType::VcJwt => verify_jwt(ctx, index, e.token(), &mut cache)?,
                EnvelopedMediaType::DcSdJwt => verify_sd_jwt(ctx, index, e.token())?,
                other => {
                    // VC-JOSE-COSE `vc+sd-jwt` carries the credential in a different
                    // payload shape; it is not verified here.
                    return Err(PresentationError::UnsupportedFormat {
                        index,
                        media_type: other.as_str().to_owned(),
                    });
                }
            },
        };
        credentials.push(verified);
    }
    // Each credential's `raw` is its entry as received, moved out of the
    // presentation now that nothing borrows it any more.
    let raw_entries: Vec<Value> = match vp.into_map().remove("verifiableCredential") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(v) => vec![v],
    };
    let credentials = credentials
        .into_iter()
        .zip(raw_entries)
        .map(|(verified, raw)| VerifiedCredential { raw, ..verified })
        .collect();
    Ok(VerifiedPresentation {
        holder: ctx.holder.clone(),
        challenge: ctx.policy.challenge.clone(),
        domain: ctx.policy.domain.clone(),
        credentials,
        presentation_submission,
    })
}

/// Verifies a presentation secured as a VP-JWT (VC Data Model 1.1 §6.3.1, the
/// OID4VP 1.0 presentation of `jwt_vc_json` credentials, Appendix B.1.3.1.5): the
/// JWT signed by a key of its `iss` (the holder) in `authentication`, `nonce` equal
/// to the policy's challenge, `aud` containing its domain, the time claims; then
/// every credential inside exactly as [`verify_presentation`] checks them.
///
/// # Errors
/// [`PresentationError::TooLarge`], [`PresentationError::ChallengeMismatch`] (wrong
/// or missing `nonce`), [`PresentationError::DomainMismatch`] (wrong or missing
/// `aud`), [`PresentationError::PresentationJwt`] for the other JWT checks,
/// [`PresentationError::TooManyCredentials`], and the credential errors of
/// [`verify_presentation`].
pub fn verify_vp_jwt_presentation(
    token: &str,
    policy: &VerificationPolicy,
    resolver: &impl MethodResolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, PresentationError> {
    if token.len() > policy.max_vp_bytes {
        return Err(PresentationError::TooLarge {
            len: token.len(),
            max: policy.max_vp_bytes,
        });
    }
    let expectations = VpJwtExpectations {
        audience: policy.domain.clone(),
        nonce: policy.challenge.clone(),
        now: policy.now,
        skew_secs: policy.skew_secs,
    };
    let verified =
        vc_jwt::verify_vp_jwt_with(token, &expectations, resolver).map_err(|e| match e {
            VcJwtError::NonceMismatch | VcJwtError::MissingClaim("nonce") => {
                PresentationError::ChallengeMismatch
            }
            VcJwtError::AudienceMismatch | VcJwtError::MissingClaim("aud") => {
                PresentationError::DomainMismatch
            }
            other => PresentationError::PresentationJwt(other),
        })?;
    let count = verified.presentation.verifiable_credentials().len();
    if count > policy.max_credentials {
        return Err(PresentationError::TooManyCredentials {
            count,
            max: policy.max_credentials,
        });
    }
    let ctx = Ctx {
        policy,
        resolver,
        status,
        holder: &verified.holder,
        holder_method: &verified.kid,
    };
    verify_credentials(&ctx, verified.presentation)
}

/// Verifies an SD-JWT VC presented on its own with a Key Binding JWT (the OID4VP
/// 1.0 presentation of `dc+sd-jwt` credentials, Appendix B.3.6): the issuer's
/// signature and disclosures, validity, issuer trust, and the KB-JWT signed with
/// the `cnf` key, with `nonce` = the policy's challenge and `aud` = its domain.
///
/// The holder is whoever controls the `cnf` key: its `did:key` (Ed25519, P-256) or
/// else its `did:jwk`, so that a wallet presenting with the key of its `did:key`
/// identity is the same holder whichever way it presents. The result is a
/// presentation with that holder and this one credential.
///
/// # Errors
/// [`PresentationError::TooLarge`], [`PresentationError::SdJwt`] (index 0) for a
/// malformed token, a missing `cnf` key and every SD-JWT check,
/// [`PresentationError::InvalidHolder`] for a key no DID can name,
/// [`PresentationError::SdJwtIssuer`], [`PresentationError::UntrustedIssuer`], the
/// validity and status errors.
pub fn verify_sd_jwt_presentation(
    token: &str,
    policy: &VerificationPolicy,
    resolver: &impl MethodResolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, PresentationError> {
    if token.len() > policy.max_vp_bytes {
        return Err(PresentationError::TooLarge {
            len: token.len(),
            max: policy.max_vp_bytes,
        });
    }
    let sd_err = |error| PresentationError::SdJwt { index: 0, error };
    // Unverified, only to name the holder: verify_sd_jwt then checks that the
    // verified `cnf` key is this holder's and that the KB-JWT is signed with it.
    let decoded = sd_jwt::SdJwt::parse(token)
        .and_then(|t| t.decode_unverified())
        .map_err(sd_err)?;
    let key = decoded
        .claims
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(|jwk| Jwk::from_json(&jwk.to_string()).ok())
        .and_then(|jwk| jwk.to_public_key().ok())
        .ok_or(sd_err(SdJwtError::NoHolderKey))?;
    let (holder, fragment) = match did::key::encode(&key) {
        Ok(did) => {
            let fragment = did.method_specific_id().to_owned();
            (did, fragment)
        }
        Err(_) => (
            did::jwk::encode_public_key(&key).map_err(PresentationError::InvalidHolder)?,
            "0".to_owned(),
        ),
    };
    let holder_method = holder
        .with_fragment(&fragment)
        .map_err(PresentationError::InvalidHolder)?;
    let ctx = Ctx {
        policy,
        resolver,
        status,
        holder: &holder,
        holder_method: &holder_method,
    };
    let credential = verify_sd_jwt(&ctx, 0, token)?;
    Ok(VerifiedPresentation {
        holder: holder.clone(),
        challenge: policy.challenge.clone(),
        domain: policy.domain.clone(),
        credentials: vec![VerifiedCredential {
            raw: Value::String(token.to_owned()),
            ..credential
        }],
        presentation_submission: None,
    })
}

/// A JSON credential secured by its own Data Integrity proof.
fn verify_json<R: MethodResolver>(
    ctx: &Ctx<'_, R>,
    index: usize,
    credential: &Credential,
    cache: &mut StatusCache,
) -> Result<VerifiedCredential, PresentationError> {
    let expectations = ProofExpectations {
        purpose: ProofPurpose::AssertionMethod,
        challenge: None,
        domain: None,
        now: ctx.policy.now,
        skew_secs: ctx.policy.skew_secs,
    };
    let proof = data_integrity::verify_proof(credential.as_map(), &expectations, ctx.resolver)
        .map_err(|e| match e {
            DiError::UnsupportedCryptosuite(s) => PresentationError::UnsupportedCryptosuite(s),
            error => PresentationError::CredentialProof { index, error },
        })?;
    // Data Integrity proves who signed; VC 2.0 §4.7 makes the issuer the one
    // asserting the claims, so the signer must be the issuer.
    let issuer = issuer_did(index, credential.issuer(), &proof.controller)?;
    check_credential(ctx, index, credential, &issuer, cache)?;
    let json = Value::Object(credential.as_map().clone());
    Ok(VerifiedCredential {
        format: CredentialFormat::LdpVc,
        issuer,
        subjects: owned(credential.subject_ids()),
        types: owned(credential.types()),
        claims: json.clone(),
        query_claims: json,
        disclosed_paths: None,
        index,
        raw: Value::Null,
    })
}

/// A VC-JWT (`typ` `JWT`) or VC-JOSE-COSE `vc+jwt`.
fn verify_jwt<R: MethodResolver>(
    ctx: &Ctx<'_, R>,
    index: usize,
    token: &str,
    cache: &mut StatusCache,
) -> Result<VerifiedCredential, PresentationError> {
    let jwt_err = |error: VcJwtError| match error {
        VcJwtError::Jws(JwsError::Expired { exp, now })
        | VcJwtError::Vc(VcError::Expired {
            not_after: exp,
            now,
        }) => PresentationError::CredentialExpired {
            index,
            not_after: exp,
            now,
        },
        VcJwtError::Jws(JwsError::NotYetValid { nbf, now })
        | VcJwtError::Vc(VcError::NotYetValid {
            not_before: nbf,
            now,
        }) => PresentationError::CredentialNotYetValid {
            index,
            not_before: nbf,
            now,
        },
        error => PresentationError::VcJwt { index, error },
    };
    let header = jws::peek_header(token).map_err(|e| jwt_err(VcJwtError::Jws(e)))?;
    let (policy, resolver) = (ctx.policy, ctx.resolver);
    let jose = header.typ.as_deref() == Some("vc+jwt");
    let verified = if jose {
        vc_jwt::verify_vc_jose(token, policy.now, policy.skew_secs, resolver)
    } else {
        vc_jwt::verify_vc_jwt_with(token, policy.now, policy.skew_secs, resolver)
    }
    .map_err(jwt_err)?;
    let credential = &verified.credential;
    let issuer = issuer_did(index, credential.issuer(), &verified.issuer)?;
    check_credential(ctx, index, credential, &issuer, cache)?;
    let subjects = owned(credential.subject_ids());
    let types = owned(credential.types());
    let json = Value::Object(verified.credential.into_map());
    let (format, query_claims) = if jose {
        (CredentialFormat::VcJwt, json.clone())
    } else {
        (CredentialFormat::JwtVcJson, Value::Object(verified.claims))
    };
    Ok(VerifiedCredential {
        format,
        issuer,
        subjects,
        types,
        claims: json,
        query_claims,
        disclosed_paths: None,
        index,
        raw: Value::Null,
    })
}

/// The checks shared by JSON credentials and VC-JWTs once the signature holds.
fn check_credential<R: MethodResolver>(
    ctx: &Ctx<'_, R>,
    index: usize,
    credential: &Credential,
    issuer: &Did,
    cache: &mut StatusCache,
) -> Result<(), PresentationError> {
    credential
        .check_validity(ctx.policy.now, ctx.policy.skew_secs)
        .map_err(|e| match e {
            VcError::NotYetValid { not_before, now } => PresentationError::CredentialNotYetValid {
                index,
                not_before,
                now,
            },
            VcError::Expired { not_after, now } => PresentationError::CredentialExpired {
                index,
                not_after,
                now,
            },
            error => PresentationError::InvalidCredential { index, error },
        })?;
    check_trust(ctx, issuer)?;
    // Holder binding: every subject must be the holder who signed the
    // presentation, unless the caller explicitly accepts unbound credentials.
    if !ctx.policy.allow_unbound_credentials {
        for subject in credential.credential_subjects() {
            let id = subject.get("id").and_then(Value::as_str);
            if id != Some(ctx.holder.as_str()) {
                return Err(PresentationError::HolderMismatch {
                    index,
                    subject: id.map(str::to_owned),
                    holder: ctx.holder.to_string(),
                });
            }
        }
    }
    check_status(ctx, index, credential.credential_status(), issuer, cache)
}

fn check_trust<R>(ctx: &Ctx<'_, R>, issuer: &Did) -> Result<(), PresentationError> {
    if ctx.policy.trusted_issuers.trusts(issuer.as_str()) {
        Ok(())
    } else {
        Err(PresentationError::UntrustedIssuer {
            issuer: issuer.to_string(),
        })
    }
}

/// An SD-JWT VC with a Key Binding JWT: the KB-JWT (`nonce` = challenge, `aud` =
/// domain) stands in for the presentation proof over this credential, so its `cnf`
/// key must be the holder's.
fn verify_sd_jwt<R: MethodResolver>(
    ctx: &Ctx<'_, R>,
    index: usize,
    token: &str,
) -> Result<VerifiedCredential, PresentationError> {
    let policy = ctx.policy;
    let options = VerifyOptions {
        algorithms: &vc_jwt::ALLOWED_ALGORITHMS,
        now: policy.now,
        leeway: policy.skew_secs,
        // RFC 9901 §7.3 step 1: key binding is the verifier's decision; here it is
        // always required, bound to this presentation's challenge and domain.
        key_binding: KeyBinding::Required {
            nonce: &policy.challenge,
            aud: &policy.domain,
            max_age: policy.kb_max_age_secs,
        },
        expected_typ: Some(SD_JWT_VC_TYP),
    };
    let verified =
        sd_jwt::verify(token, |l| issuer_key(ctx.resolver, l), &options).map_err(|e| match e {
            SdJwtError::Expired { exp, now } => PresentationError::CredentialExpired {
                index,
                not_after: exp,
                now,
            },
            SdJwtError::NotYetValid { nbf, now } => PresentationError::CredentialNotYetValid {
                index,
                not_before: nbf,
                now,
            },
            error => PresentationError::SdJwt { index, error },
        })?;
    let issuer = verified
        .issuer
        .as_deref()
        .and_then(|i| Did::parse(i).ok())
        .ok_or(PresentationError::SdJwtIssuer { index })?;
    check_trust(ctx, &issuer)?;
    if !policy.allow_unbound_credentials {
        let bound = match &verified.holder_jwk {
            Some(jwk) => match jwk.to_public_key() {
                Ok(key) => key_is_holders(ctx, &key),
                Err(_) => false,
            },
            None => false,
        };
        if !bound {
            return Err(PresentationError::SdJwtHolderMismatch {
                index,
                holder: ctx.holder.to_string(),
            });
        }
    }
    // SD-JWT VCs carry status as an IETF Token Status List reference (`status`),
    // not a W3C `credentialStatus`; that mechanism is not implemented, so such a
    // status cannot be checked.
    match policy.status {
        StatusPolicy::Ignore => {}
        _ if verified.claims.contains_key("status") => {
            return Err(PresentationError::StatusUnavailable {
                index,
                reason: "IETF Token Status List (SD-JWT VC status) is not supported".into(),
            });
        }
        StatusPolicy::Required => {
            return Err(PresentationError::StatusUnavailable {
                index,
                reason: "credential has no status".into(),
            });
        }
        _ => {}
    }
    let subjects = verified
        .claims
        .get("sub")
        .and_then(Value::as_str)
        .map(|s| vec![s.to_owned()])
        .unwrap_or_default();
    let types = verified.vct.iter().cloned().collect();
    let claims = Value::Object(verified.claims);
    Ok(VerifiedCredential {
        format: CredentialFormat::DcSdJwt,
        issuer,
        subjects,
        types,
        claims: claims.clone(),
        query_claims: claims,
        disclosed_paths: Some(
            verified
                .disclosed
                .iter()
                .map(|p| pointer_of(p))
                .collect::<BTreeSet<_>>(),
        ),
        index,
        raw: Value::Null,
    })
}

/// Whether `key` is the holder's: the holder DID is the `did:key` or `did:jwk` of
/// it, or it is the key of the method that signed the presentation.
fn key_is_holders<R: MethodResolver>(ctx: &Ctx<'_, R>, key: &PublicKey) -> bool {
    if did::key::encode(key).is_ok_and(|d| &d == ctx.holder)
        || did::jwk::encode_public_key(key).is_ok_and(|d| &d == ctx.holder)
    {
        return true;
    }
    ctx.resolver
        .resolve_method(ctx.holder_method)
        .is_ok_and(|m| m.method.public_key() == key)
}

/// The SD-JWT issuer key: `kid` a DID URL (absolute, or `#fragment` relative to
/// `iss`) of the `iss` DID, resolved with the caller's resolver, in
/// `assertionMethod` (DID Core §5.3.2). Never a key from the token.
fn issuer_key<R: MethodResolver>(
    resolver: &R,
    lookup: &IssuerKeyLookup<'_>,
) -> Result<PublicKey, SdJwtError> {
    let not_found = || SdJwtError::IssuerKeyNotFound {
        iss: lookup.iss.map(str::to_owned),
        kid: lookup.kid.map(str::to_owned),
    };
    let iss = Did::parse(lookup.iss.ok_or_else(not_found)?).map_err(SdJwtError::IssuerDid)?;
    let kid = lookup.kid.ok_or_else(not_found)?;
    let url = if kid.starts_with('#') {
        DidUrl::parse_relative(kid, &iss)
    } else {
        DidUrl::parse(kid)
    }
    .map_err(SdJwtError::IssuerDid)?;
    if url.did() != &iss {
        return Err(not_found());
    }
    let resolved = resolver
        .resolve_method(&url)
        .map_err(SdJwtError::IssuerDid)?;
    if !resolved
        .relationships
        .contains(&Relationship::AssertionMethod)
    {
        return Err(SdJwtError::IssuerDid(DidError::NotInRelationship {
            id: url.to_string(),
            relationship: Relationship::AssertionMethod,
        }));
    }
    if resolved.method.controller() != &iss {
        return Err(not_found());
    }
    Ok(resolved.method.public_key().clone())
}

/// The issuer DID, which must be the signer's.
fn issuer_did(index: usize, issuer: &str, signer: &Did) -> Result<Did, PresentationError> {
    match Did::parse(issuer) {
        Ok(did) if &did == signer => Ok(did),
        _ => Err(PresentationError::IssuerMismatch {
            index,
            issuer: issuer.to_owned(),
            signer: signer.to_string(),
        }),
    }
}

fn owned(items: Vec<&str>) -> Vec<String> {
    items.into_iter().map(str::to_owned).collect()
}

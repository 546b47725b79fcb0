//! Presentation Exchange and DCQL around presentations: stored credentials as
//! query candidates (wallet), verified credentials as query candidates and the
//! submission check (verifier).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{PresentationError, VerificationPolicy, VerifiedPresentation, pointer_of};
use crate::data_integrity::MethodResolver;
use crate::dcql::{self, DcqlQuery, VerifiedDcqlResponse};
use crate::encoding::b64u_decode;
use crate::jws;
use crate::pex::{
    self, CandidateCredential, PresentationDefinition, PresentationSubmission, VerifiedSubmission,
};
use crate::sd_jwt::{ClaimPath, ClaimPathElement, SdJwt};
use crate::status_list::StatusListSource;
use crate::vc::Credential;

/// The longest JSON Pointer accepted by [`sd_jwt_reveal_paths`].
const MAX_POINTER_LEN: usize = 4096;

/// A credential as the wallet stores it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum StoredCredential<'a> {
    /// A JSON credential with an embedded proof (`ldp_vc`).
    Json(&'a Credential),
    /// An SD-JWT VC as issued, with all its disclosures (`dc+sd-jwt`).
    SdJwt(&'a str),
    /// A VC-JWT (`jwt_vc_json`), or a VC-JOSE-COSE `vc+jwt` (by its `typ`).
    VcJwt(&'a str),
}

/// Turns a stored credential into the candidate the query engines select from:
/// `ldp_vc` with the credential JSON; `dc+sd-jwt` with the fully disclosed claims
/// and the JSON Pointers of its selectively disclosable claims; `jwt_vc_json` with
/// the JWT payload (the credential in its `vc` claim, as PEX paths like
/// `$.vc.credentialSubject…` expect) or `vc+jwt` with the payload that is the
/// credential.
///
/// The holder's own credentials are decoded without verifying their signatures.
///
/// # Errors
/// [`PresentationError::InvalidStoredCredential`] for a token that cannot be
/// decoded.
pub fn candidate_from_stored(
    id: &str,
    stored: StoredCredential<'_>,
) -> Result<CandidateCredential, PresentationError> {
    let invalid = |reason: String| PresentationError::InvalidStoredCredential {
        id: id.to_owned(),
        reason,
    };
    let (format, claims, selectively_disclosable) = match stored {
        StoredCredential::Json(c) => ("ldp_vc", Value::Object(c.as_map().clone()), None),
        StoredCredential::SdJwt(token) => {
            let decoded = SdJwt::parse(token)
                .and_then(|s| s.decode_unverified())
                .map_err(|e| invalid(e.to_string()))?;
            let pointers = decoded.disclosable.iter().map(|p| pointer_of(p)).collect();
            ("dc+sd-jwt", Value::Object(decoded.claims), Some(pointers))
        }
        StoredCredential::VcJwt(token) => {
            let header = jws::peek_header(token).map_err(|e| invalid(e.to_string()))?;
            let payload = token
                .split('.')
                .nth(1)
                .and_then(|p| b64u_decode(p).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|text| crate::jcs::parse(&text).ok())
                .filter(Value::is_object)
                .ok_or_else(|| invalid("JWT payload is not a JSON object".into()))?;
            let format = if header.typ.as_deref() == Some("vc+jwt") {
                "vc+jwt"
            } else {
                "jwt_vc_json"
            };
            (format, payload, None)
        }
    };
    Ok(CandidateCredential {
        id: id.to_owned(),
        format: format.to_owned(),
        claims,
        selectively_disclosable,
    })
}

/// The claim paths to reveal with [`SdJwt::present`] for the JSON Pointers a
/// selection asks for (`pex::Disclosure::Only`, a DCQL match), walked through the
/// candidate's `claims` so that array indices and member names are told apart.
///
/// # Errors
/// [`PresentationError::UnknownPointer`] for a pointer that is malformed or names
/// no claim.
pub fn sd_jwt_reveal_paths<'p>(
    claims: &Value,
    pointers: impl IntoIterator<Item = &'p String>,
) -> Result<Vec<ClaimPath>, PresentationError> {
    let mut out = Vec::new();
    for pointer in pointers {
        let unknown = || PresentationError::UnknownPointer(pointer.chars().take(256).collect());
        if pointer.len() > MAX_POINTER_LEN {
            return Err(unknown());
        }
        // RFC 6901 §3: a pointer is empty or a sequence of `/`-prefixed tokens.
        let Some(rest) = pointer.strip_prefix('/') else {
            return Err(unknown());
        };
        let mut node = claims;
        let mut path = Vec::new();
        for token in rest.split('/') {
            // §4: "~1" → "/" first, then "~0" → "~".
            let name = token.replace("~1", "/").replace("~0", "~");
            match node {
                Value::Array(items) => {
                    let i: usize = name.parse().map_err(|_| unknown())?;
                    node = items.get(i).ok_or_else(unknown)?;
                    path.push(ClaimPathElement::Index(i));
                }
                Value::Object(map) => {
                    node = map.get(&name).ok_or_else(unknown)?;
                    path.push(ClaimPathElement::Key(name));
                }
                _ => return Err(unknown()),
            }
        }
        out.push(path);
    }
    Ok(out)
}

/// The verified credentials as query candidates: `id` is the
/// `$.verifiableCredential[i]` path a JSON presentation's `descriptor_map` uses,
/// `claims` the [`super::VerifiedCredential::query_claims`], and for SD-JWT the
/// disclosed claims as the selectively disclosable set (so that
/// `limit_disclosure: required` can catch over-disclosure).
#[must_use]
pub fn to_candidates(vp: &VerifiedPresentation) -> Vec<CandidateCredential> {
    vp.credentials
        .iter()
        .map(|c| CandidateCredential {
            id: format!("$.verifiableCredential[{}]", c.index),
            format: c.format.as_str().to_owned(),
            claims: c.query_claims.clone(),
            selectively_disclosable: c.disclosed_paths.clone(),
        })
        .collect()
}

/// Verifies a presentation ([`super::verify_presentation`]) and that its
/// embedded `presentation_submission` satisfies `definition`
/// ([`pex::verify_submission`]); `descriptor_map` paths must be
/// `$.verifiableCredential[i]` without `path_nested`.
///
/// # Errors
/// The errors of [`super::verify_presentation`],
/// [`PresentationError::MissingSubmission`], [`PresentationError::Pex`].
pub fn verify_presentation_against_definition(
    json: &str,
    definition: &PresentationDefinition,
    policy: &VerificationPolicy,
    resolver: &impl MethodResolver,
    status: &dyn StatusListSource,
) -> Result<(VerifiedPresentation, VerifiedSubmission), PresentationError> {
    verify_against(json, policy, resolver, status, |submission, candidates| {
        pex::verify_submission(definition, submission, |entry| {
            credential_at(entry, candidates)
        })
    })
}

/// [`verify_presentation_against_definition`] with a definition compiled once
/// ([`pex::CompiledDefinition`]), for a verifier that checks many presentations
/// against it.
///
/// # Errors
/// As [`verify_presentation_against_definition`].
pub fn verify_presentation_against_compiled(
    json: &str,
    definition: &pex::CompiledDefinition,
    policy: &VerificationPolicy,
    resolver: &impl MethodResolver,
    status: &dyn StatusListSource,
) -> Result<(VerifiedPresentation, VerifiedSubmission), PresentationError> {
    verify_against(json, policy, resolver, status, |submission, candidates| {
        pex::verify_compiled_submission(definition, submission, |entry| {
            credential_at(entry, candidates)
        })
    })
}

fn verify_against(
    json: &str,
    policy: &VerificationPolicy,
    resolver: &impl MethodResolver,
    status: &dyn StatusListSource,
    check: impl FnOnce(
        &PresentationSubmission,
        &[CandidateCredential],
    ) -> Result<VerifiedSubmission, pex::PexError>,
) -> Result<(VerifiedPresentation, VerifiedSubmission), PresentationError> {
    let verified = super::verify_presentation(json, policy, resolver, status)?;
    let submission = verified
        .presentation_submission
        .as_ref()
        .ok_or(PresentationError::MissingSubmission)?;
    let candidates = to_candidates(&verified);
    let checked = check(submission, &candidates).map_err(PresentationError::Pex)?;
    Ok((verified, checked))
}

/// The credential a `descriptor_map` entry points at: `$.verifiableCredential[i]`
/// without `path_nested`.
fn credential_at<'c>(
    entry: &pex::DescriptorMapEntry,
    candidates: &'c [CandidateCredential],
) -> Option<&'c CandidateCredential> {
    if entry.path_nested.is_some() || !entry.path.starts_with("$.verifiableCredential[") {
        return None;
    }
    pex::vp_index(entry).and_then(|i| candidates.get(i))
}

/// Checks verified credentials against a DCQL query: `response` maps each
/// Credential Query id to the indices (in `verifiableCredential`) of the
/// credentials answering it.
///
/// # Errors
/// [`PresentationError::UnknownCredentialIndex`], [`PresentationError::Dcql`].
pub fn verify_dcql_response(
    vp: &VerifiedPresentation,
    query: &DcqlQuery,
    response: &BTreeMap<String, Vec<usize>>,
) -> Result<VerifiedDcqlResponse, PresentationError> {
    let candidates = to_candidates(vp);
    let mut mapped = BTreeMap::new();
    for (id, indices) in response {
        let mut creds = Vec::with_capacity(indices.len());
        let mut seen = BTreeSet::new();
        for &i in indices {
            let c = candidates
                .get(i)
                .ok_or(PresentationError::UnknownCredentialIndex(i))?;
            if seen.insert(i) {
                creds.push(c.clone());
            }
        }
        mapped.insert(id.clone(), creds);
    }
    dcql::verify_response(query, &mapped).map_err(PresentationError::Dcql)
}

//! Credential status through W3C Bitstring Status List v1.0: fetch the list
//! credential, verify it like any credential, check it comes from the credential's
//! issuer, then read the bit.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::verify::Ctx;
use super::{PresentationError, StatusPolicy};
use crate::data_integrity::{self, DiError, MethodResolver, ProofExpectations, ProofPurpose};
use crate::did::Did;
use crate::status_list::{StatusEntry, StatusError, StatusList};
use crate::vc::{Credential, VcError};
use crate::vc_jwt;

/// The only status entry type this module checks.
const ENTRY_TYPE: &str = "BitstringStatusListEntry";

/// Status lists verified during one presentation, by URL, so a list shared by
/// several credentials is fetched and verified once.
pub(super) struct StatusCache(BTreeMap<String, CachedList>);

struct CachedList {
    issuer: Did,
    id: Option<String>,
    list: StatusList,
}

impl StatusCache {
    pub(super) fn new() -> Self {
        Self(BTreeMap::new())
    }
}

/// Checks the `credentialStatus` entries of credential `index` issued by `issuer`.
pub(super) fn check_status<R: MethodResolver>(
    ctx: &Ctx<'_, R>,
    index: usize,
    entries: Vec<&Map<String, Value>>,
    issuer: &Did,
    cache: &mut StatusCache,
) -> Result<(), PresentationError> {
    match ctx.policy.status {
        StatusPolicy::Ignore => return Ok(()),
        StatusPolicy::Required if entries.is_empty() => {
            return Err(PresentationError::StatusUnavailable {
                index,
                reason: "credential has no credentialStatus".into(),
            });
        }
        _ => {}
    }
    for entry in entries {
        let kind = entry.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != ENTRY_TYPE {
            return Err(PresentationError::StatusUnavailable {
                index,
                reason: format!(
                    "status type {:?} is not supported",
                    kind.chars().take(64).collect::<String>()
                ),
            });
        }
        let entry = StatusEntry::from_value(&Value::Object(entry.clone()))
            .map_err(|error| PresentationError::Status { index, error })?;
        if !cache.0.contains_key(&entry.list_credential) {
            let fetched = fetch_list(ctx, index, &entry.list_credential)?;
            cache.0.insert(entry.list_credential.clone(), fetched);
        }
        let cached = cache.0.get(&entry.list_credential).ok_or_else(|| {
            PresentationError::StatusUnavailable {
                index,
                reason: "status list not cached".into(),
            }
        })?;
        // Bitstring Status List §3.2 (validate algorithm): the status list
        // credential must be issued by the issuer of the credential it speaks for,
        // or anybody could "revoke" or "un-revoke" it.
        if &cached.issuer != issuer {
            return Err(PresentationError::StatusListIssuerMismatch {
                index,
                list_issuer: cached.issuer.to_string(),
                issuer: issuer.to_string(),
            });
        }
        if cached
            .id
            .as_deref()
            .is_some_and(|id| id != entry.list_credential)
        {
            return Err(PresentationError::Status {
                index,
                error: StatusError::WrongList,
            });
        }
        let value = cached
            .list
            .status(&entry)
            .map_err(|error| PresentationError::Status { index, error })?;
        if value != 0 {
            match entry.purpose.as_str() {
                "revocation" => return Err(PresentationError::Revoked { index }),
                "suspension" => return Err(PresentationError::Suspended { index }),
                // `refresh` and `message` inform; they do not invalidate.
                _ => {}
            }
        }
    }
    Ok(())
}

/// Fetches and verifies one status list credential: a JSON credential with a
/// Data Integrity proof, or a VC-JWT given as a JSON string.
fn fetch_list<R: MethodResolver>(
    ctx: &Ctx<'_, R>,
    index: usize,
    url: &str,
) -> Result<CachedList, PresentationError> {
    let policy = ctx.policy;
    let value = ctx
        .status
        .status_list_credential(url)
        .map_err(|e| match e {
            StatusError::Retrieval { .. } => PresentationError::StatusUnavailable {
                index,
                reason: e.to_string(),
            },
            error => PresentationError::Status { index, error },
        })?;
    let list_err = |error: VcError| PresentationError::StatusListCredential { index, error };
    let (credential, issuer) = match value {
        Value::Object(map) => {
            let credential = Credential::from_map(map).map_err(list_err)?;
            let expectations = ProofExpectations {
                purpose: ProofPurpose::AssertionMethod,
                challenge: None,
                domain: None,
                now: policy.now,
                skew_secs: policy.skew_secs,
            };
            let proof =
                data_integrity::verify_proof(credential.as_map(), &expectations, ctx.resolver)
                    .map_err(|e| match e {
                        DiError::UnsupportedCryptosuite(s) => {
                            PresentationError::UnsupportedCryptosuite(s)
                        }
                        error => PresentationError::StatusListProof { index, error },
                    })?;
            if credential.issuer() != proof.controller.as_str() {
                return Err(PresentationError::StatusListIssuerMismatch {
                    index,
                    list_issuer: proof.controller.to_string(),
                    issuer: credential.issuer().to_owned(),
                });
            }
            (credential, proof.controller)
        }
        Value::String(token) => {
            let verified =
                vc_jwt::verify_vc_jwt_with(&token, policy.now, policy.skew_secs, ctx.resolver)
                    .map_err(|error| PresentationError::StatusListJwt { index, error })?;
            (verified.credential, verified.issuer)
        }
        _ => {
            return Err(PresentationError::Status {
                index,
                error: StatusError::InvalidListCredential("not a credential"),
            });
        }
    };
    credential
        .check_validity(policy.now, policy.skew_secs)
        .map_err(list_err)?;
    let list = StatusList::from_credential(&Value::Object(credential.as_map().clone()))
        .map_err(|error| PresentationError::Status { index, error })?;
    Ok(CachedList {
        issuer,
        id: credential.id().map(str::to_owned),
        list,
    })
}

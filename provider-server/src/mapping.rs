//! The client's `id_token_mapping`: claims for the id_token and userinfo, taken
//! from a verified presentation with JSONPath ([`wallet_core::jsonpath`], RFC 9535,
//! bounded).
//!
//! # The JSON view the `source` paths are evaluated against
//!
//! Only what verification established is visible — never the raw presentation:
//!
//! ```json
//! {
//!   "holder": "did:key:z6Mk…",
//!   "verifiableCredential": [ <claims of credential 0>, … ],
//!   "credentials": [
//!     { "index": 0, "format": "ldp_vc", "issuer": "did:key:z6Mk…",
//!       "types": ["VerifiableCredential", "EmailCredential"],
//!       "subjects": ["did:key:z6Mk…"], "claims": <claims of credential 0> }
//!   ],
//!   "presentation_submission": { … }
//! }
//! ```
//!
//! `verifiableCredential[i]` is [`VerifiedCredential::claims`]: the credential
//! JSON for a Data Integrity credential or a VC-JWT, the processed (disclosed)
//! payload of an SD-JWT VC. So `$.verifiableCredential[0].credentialSubject.email`
//! reads like a path into the presentation itself, and
//! `$.verifiableCredential[*].credentialSubject.email` takes it from any
//! credential. `presentation_submission` is present only when one was embedded.
//!
//! # Conflicts
//!
//! All values selected for one claim (by every entry naming it) are collected and
//! equal ones merged. No value: the claim is left out. Several different values:
//! [`MappingError::Conflict`], unless the first entry for that claim says
//! `"on_conflict": "first"` (take the first in document order) or `"array"` (a JSON
//! array of the distinct values).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use wallet_core::jsonpath::{JsonPathError, Query};
use wallet_core::presentation::VerifiedPresentation;

use crate::clients::IdTokenMapping;

/// What to do when a claim's sources yield different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OnConflict {
    /// Refuse the login (the default).
    #[default]
    Error,
    /// Take the first value in document order.
    First,
    /// Put all distinct values in an array.
    Array,
}

/// Why the mapping could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// A `source` is not an accepted JSONPath expression.
    #[error("id_token_mapping source for claim {claim:?} is invalid: {error}")]
    InvalidSource {
        /// The claim.
        claim: String,
        /// Why.
        error: JsonPathError,
    },
    /// The presentation gives different values for one claim.
    #[error("the presentation gives conflicting values for claim {0:?}")]
    Conflict(String),
}

/// Checks a `source` expression (at registration and before use).
///
/// # Errors
/// [`MappingError::InvalidSource`].
pub fn check_source(entry: &IdTokenMapping) -> Result<Query, MappingError> {
    Query::parse(&entry.source).map_err(|error| MappingError::InvalidSource {
        claim: entry.claim.clone(),
        error,
    })
}

/// The JSON view of a verified presentation (see the module docs).
#[must_use]
pub fn presentation_view(vp: &VerifiedPresentation) -> Value {
    let credentials: Vec<Value> = vp
        .credentials
        .iter()
        .map(|c| {
            json!({
                "index": c.index,
                "format": c.format.as_str(),
                "issuer": c.issuer.as_str(),
                "types": c.types,
                "subjects": c.subjects,
                "claims": c.claims,
            })
        })
        .collect();
    let mut view = Map::new();
    view.insert(
        "holder".into(),
        Value::String(vp.holder.as_str().to_owned()),
    );
    view.insert(
        "verifiableCredential".into(),
        Value::Array(vp.credentials.iter().map(|c| c.claims.clone()).collect()),
    );
    view.insert("credentials".into(), Value::Array(credentials));
    if let Some(submission) = &vp.presentation_submission
        && let Ok(value) = serde_json::to_value(submission)
    {
        view.insert("presentation_submission".into(), value);
    }
    Value::Object(view)
}

/// Applies `mapping` to `view` (see the module docs for conflicts).
///
/// # Errors
/// [`MappingError`].
pub fn apply(mapping: &[IdTokenMapping], view: &Value) -> Result<Map<String, Value>, MappingError> {
    // Claim → (policy of its first entry, distinct values in order).
    let mut collected: Vec<(String, OnConflict, Vec<Value>)> = Vec::new();
    for entry in mapping {
        let query = check_source(entry)?;
        let nodes = query
            .select(view)
            .map_err(|error| MappingError::InvalidSource {
                claim: entry.claim.clone(),
                error,
            })?;
        let slot = if let Some(i) = collected.iter().position(|(c, _, _)| *c == entry.claim) {
            i
        } else {
            collected.push((
                entry.claim.clone(),
                entry.on_conflict.unwrap_or_default(),
                Vec::new(),
            ));
            collected.len() - 1
        };
        if let Some((_, _, values)) = collected.get_mut(slot) {
            for node in nodes {
                if !values.contains(node.value) {
                    values.push(node.value.clone());
                }
            }
        }
    }
    let mut claims = Map::new();
    for (claim, policy, mut values) in collected {
        let value = match (values.len(), policy) {
            (0, _) => continue,
            (1, _) | (_, OnConflict::First) => values.swap_remove(0),
            (_, OnConflict::Array) => Value::Array(values),
            (_, OnConflict::Error) => return Err(MappingError::Conflict(claim)),
        };
        claims.insert(claim, value);
    }
    Ok(claims)
}

//! The wallet side: a VC 2.0 presentation signed by the holder.

use serde_json::{Map, Value};

use super::PresentationError;
use crate::data_integrity::{self, Cryptosuite, ProofOptions, ProofPurpose};
use crate::did::DidUrl;
use crate::keys::{KeyType, PrivateKey};
use crate::pex::PresentationSubmission;
use crate::vc::{CREDENTIALS_V2_CONTEXT, EmbeddedCredential, Presentation, parse_datetime};

/// The holder's signing key and the DID URL of its verification method (a method
/// in the `authentication` relationship of the holder's DID).
#[derive(Clone, Copy)]
pub struct HolderKey<'a> {
    /// The verification method; its DID becomes the presentation's `holder`.
    pub verification_method: &'a DidUrl,
    /// The private key of that method (Ed25519 or P-256).
    pub key: &'a PrivateKey,
}

impl core::fmt::Debug for HolderKey<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The private key is never printed.
        f.debug_struct("HolderKey")
            .field("verification_method", self.verification_method)
            .finish_non_exhaustive()
    }
}

/// What the wallet puts in the presentation and its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationOptions {
    /// The verifier's challenge (the proof's `challenge`).
    pub challenge: String,
    /// The verifier's domain (the proof's `domain`, e.g. the provider origin).
    pub domain: String,
    /// `created`: an RFC 3339 date-time from the caller's clock.
    pub created: String,
    /// `expires` of the proof, if any (RFC 3339).
    pub expires: Option<String>,
    /// The `presentation_submission` to embed (when a definition was sent).
    pub presentation_submission: Option<PresentationSubmission>,
    /// The presentation `id`, if any.
    pub id: Option<String>,
}

impl PresentationOptions {
    /// Options with a challenge, domain and `created`, and nothing else.
    #[must_use]
    pub fn new(
        challenge: impl Into<String>,
        domain: impl Into<String>,
        created: impl Into<String>,
    ) -> Self {
        Self {
            challenge: challenge.into(),
            domain: domain.into(),
            created: created.into(),
            expires: None,
            presentation_submission: None,
            id: None,
        }
    }
}

/// Builds and signs a presentation: `@context` VC 2.0, `type`
/// `VerifiablePresentation`, `holder` = the DID of `holder.verification_method`,
/// `verifiableCredential` = `credentials` in order (JSON credentials as they are,
/// enveloped ones as their `EnvelopedVerifiableCredential` objects), the
/// `presentation_submission` when given, and a `DataIntegrityProof` with
/// `proofPurpose` `authentication`, `challenge`, `domain` and `created`.
///
/// The cryptosuite follows the key: `eddsa-jcs-2022` for Ed25519, `ecdsa-jcs-2019`
/// for P-256.
///
/// # Errors
/// [`PresentationError::UnsupportedHolderKey`], [`PresentationError::InvalidOption`]
/// (empty challenge or domain, dates not RFC 3339),
/// [`PresentationError::InvalidPresentation`] (too many credentials),
/// [`PresentationError::Signing`].
pub fn build_presentation(
    holder: &HolderKey<'_>,
    credentials: Vec<EmbeddedCredential>,
    options: &PresentationOptions,
) -> Result<Presentation, PresentationError> {
    let cryptosuite = match holder.key.key_type() {
        KeyType::Ed25519 => Cryptosuite::EddsaJcs2022,
        KeyType::P256 => Cryptosuite::EcdsaJcs2019,
        other => return Err(PresentationError::UnsupportedHolderKey(other)),
    };
    if options.challenge.is_empty() {
        return Err(PresentationError::InvalidOption("challenge"));
    }
    if options.domain.is_empty() {
        return Err(PresentationError::InvalidOption("domain"));
    }
    if parse_datetime(&options.created).is_none() {
        return Err(PresentationError::InvalidOption("created"));
    }
    if options
        .expires
        .as_deref()
        .is_some_and(|e| parse_datetime(e).is_none())
    {
        return Err(PresentationError::InvalidOption("expires"));
    }

    let mut vp = Map::new();
    vp.insert(
        "@context".into(),
        Value::Array(vec![Value::String(CREDENTIALS_V2_CONTEXT.into())]),
    );
    vp.insert(
        "type".into(),
        Value::Array(vec![Value::String("VerifiablePresentation".into())]),
    );
    if let Some(id) = &options.id {
        vp.insert("id".into(), Value::String(id.clone()));
    }
    vp.insert(
        "holder".into(),
        Value::String(holder.verification_method.did().as_str().to_owned()),
    );
    let entries: Vec<Value> = credentials
        .into_iter()
        .map(|c| match c {
            EmbeddedCredential::Json(c) => Value::Object(c.into_map()),
            EmbeddedCredential::Enveloped(e) => Value::Object(e.as_map().clone()),
            EmbeddedCredential::Jwt(token) => Value::String(token),
        })
        .collect();
    if !entries.is_empty() {
        vp.insert("verifiableCredential".into(), Value::Array(entries));
    }
    if let Some(submission) = &options.presentation_submission {
        let value = serde_json::to_value(submission)
            .map_err(|_| PresentationError::InvalidOption("presentation_submission"))?;
        vp.insert("presentation_submission".into(), value);
    }

    let mut proof = ProofOptions::new(
        cryptosuite,
        holder.verification_method.clone(),
        ProofPurpose::Authentication,
    );
    proof.created = Some(options.created.clone());
    proof.expires.clone_from(&options.expires);
    proof.challenge = Some(options.challenge.clone());
    proof.domain = vec![options.domain.clone()];
    let signed =
        data_integrity::add_proof(&vp, &proof, holder.key).map_err(PresentationError::Signing)?;
    Presentation::from_map(signed).map_err(PresentationError::InvalidPresentation)
}

//! W3C Verifiable Credential Data Integrity 1.0 proofs with the JCS cryptosuites
//! `eddsa-jcs-2022` (vc-di-eddsa §3.3) and `ecdsa-jcs-2019` on P-256 (vc-di-ecdsa
//! §3.3).
//!
//! Both suites work the same way; only the signature differs:
//!
//! - transformation: `canonicalDocument = JCS(unsecuredDocument)`;
//! - proof configuration: `canonicalProofConfig = JCS(proof options without
//!   proofValue)`, where the options carry the document's `@context` when it has one;
//! - hashing: `hashData = SHA-256(canonicalProofConfig) ‖ SHA-256(canonicalDocument)`
//!   (64 bytes);
//! - signing: Ed25519 over `hashData`, or ECDSA P-256 with SHA-256 over `hashData`
//!   (64-byte `r ‖ s`); `proofValue` is the signature in multibase base58btc (`z…`).
//!
//! [`add_proof`] creates a proof; [`verify_proof`] checks one against the
//! caller's [`ProofExpectations`] and a [`MethodResolver`] (by default
//! [`OfflineResolver`]: `did:key` and `did:jwk`), and returns a [`VerifiedProof`]
//! naming the verification method and its controller, which the caller compares to
//! the credential's issuer or the presentation's holder. Keys are never taken from
//! the document.

mod proof;
mod suite;

pub use self::proof::{DataIntegrityProof, ProofPurpose};
pub use self::suite::{Cryptosuite, hash_data};

use serde_json::{Map, Value};

use crate::did::{
    self, DereferencedMethod, Did, DidError, DidUrl, Relationship, VerificationMethod,
};
use crate::encoding::multibase_encode;
use crate::jcs::JcsError;
use crate::keys::{KeyType, PrivateKey, PublicKey};
use crate::vc::{check_bounds, parse_datetime};

/// The `type` of every proof this module makes and checks.
pub const PROOF_TYPE: &str = "DataIntegrityProof";

/// What went wrong creating or verifying a Data Integrity proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiError {
    /// The document is too large or too deep, or cannot be canonicalized.
    #[error("document cannot be canonicalized: {0}")]
    Canonicalization(#[from] JcsError),
    /// The document exceeds the size or depth bounds of [`crate::vc`].
    #[error("document exceeds the size or depth bounds")]
    TooLarge,
    /// The document has no `proof`.
    #[error("document has no proof")]
    MissingProof,
    /// `proof` is not an object or an array of objects.
    #[error("proof is malformed")]
    MalformedProof,
    /// The document holds several proofs where one was expected; use
    /// [`verify_proofs`].
    #[error("document holds {0} proofs, expected one")]
    MultipleProofs(usize),
    /// The proof `type` is not `DataIntegrityProof`.
    #[error("unsupported proof type {0:?}")]
    UnsupportedProofType(String),
    /// The `cryptosuite` is not `eddsa-jcs-2022` or `ecdsa-jcs-2019`.
    #[error("unsupported cryptosuite {0:?}")]
    UnsupportedCryptosuite(String),
    /// A required proof member is absent (`cryptosuite`, `verificationMethod`,
    /// `proofPurpose`).
    #[error("proof lacks {0}")]
    MissingProofMember(&'static str),
    /// A proof member has the wrong JSON type or an invalid value.
    #[error("proof member {0} is invalid")]
    InvalidProofMember(&'static str),
    /// The proof has no `proofValue`.
    #[error("proof has no proofValue")]
    MissingProofValue,
    /// `proofValue` is not base58btc multibase (`z…`) of a 64-byte signature.
    #[error("proofValue is not a base58btc multibase 64-byte signature")]
    BadProofValueEncoding,
    /// The signature does not verify.
    #[error("signature verification failed")]
    SignatureInvalid,
    /// The proof's `proofPurpose` is not the one expected.
    #[error("proof purpose {actual:?}, expected {expected}")]
    PurposeMismatch {
        /// The purpose the caller expects.
        expected: ProofPurpose,
        /// The purpose in the proof.
        actual: String,
    },
    /// A challenge was expected and the proof has none.
    #[error("proof has no challenge")]
    MissingChallenge,
    /// The proof's `challenge` differs from the one expected.
    #[error("challenge mismatch")]
    ChallengeMismatch,
    /// A domain was expected and the proof has none.
    #[error("proof has no domain")]
    MissingDomain,
    /// The proof's `domain` does not include the one expected.
    #[error("domain mismatch")]
    DomainMismatch,
    /// `created` lies after `now` plus the allowed skew.
    #[error("proof created at {created}, in the future of {now}")]
    CreatedInFuture {
        /// `created` (unix seconds).
        created: i64,
        /// The caller's time.
        now: i64,
    },
    /// `expires` lies before `now` minus the allowed skew.
    #[error("proof expired at {expires}, now {now}")]
    ProofExpired {
        /// `expires` (unix seconds).
        expires: i64,
        /// The caller's time.
        now: i64,
    },
    /// The proof's `@context` is not a prefix of the document's (vc-di-eddsa
    /// §3.3.2 step 4, vc-di-ecdsa §3.3.2 step 4: "check that the
    /// securedDocument.@context starts with all values contained in the
    /// proofOptions.@context in the same order").
    #[error("proof @context does not match the document's")]
    ContextMismatch,
    /// The proof has `previousProof` (a proof chain), which is not supported.
    #[error("proof chains (previousProof) are not supported")]
    ProofChainUnsupported,
    /// The verification method could not be resolved or parsed.
    #[error("verification method: {0}")]
    VerificationMethod(DidError),
    /// The verification method is not authorized for the proof purpose (DID Core
    /// §5.3; Data Integrity §4.3: the method must be in the relationship the
    /// purpose names).
    #[error("verification method {method} is not authorized for {purpose}")]
    MethodNotAuthorized {
        /// The method.
        method: String,
        /// The purpose.
        purpose: ProofPurpose,
    },
    /// The key's type does not fit the cryptosuite (Ed25519 for `eddsa-jcs-2022`,
    /// P-256 for `ecdsa-jcs-2019`).
    #[error("{cryptosuite} cannot be used with a {key_type} key")]
    KeyTypeMismatch {
        /// The cryptosuite.
        cryptosuite: Cryptosuite,
        /// The key type.
        key_type: KeyType,
    },
    /// The resolved method's `controller` is not the DID of its id, so the
    /// signing DID is ambiguous.
    #[error("verification method {method} is controlled by {controller}, not its DID")]
    ControllerMismatch {
        /// The method id.
        method: String,
        /// Its controller.
        controller: String,
    },
    /// A proof option given to [`add_proof`] is invalid (a date that is not RFC
    /// 3339, an empty domain list).
    #[error("invalid proof option {0}")]
    InvalidOption(&'static str),
}

/// What [`add_proof`] puts in the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// The cryptosuite.
    pub cryptosuite: Cryptosuite,
    /// The verification method (a DID URL naming the signing key).
    pub verification_method: DidUrl,
    /// The proof purpose.
    pub purpose: ProofPurpose,
    /// `created`, an RFC 3339 date-time from the caller's clock.
    pub created: Option<String>,
    /// `expires`, an RFC 3339 date-time.
    pub expires: Option<String>,
    /// `challenge` (Data Integrity §2.1: to prevent replay).
    pub challenge: Option<String>,
    /// `domain`: one value is written as a string, several as an array.
    pub domain: Vec<String>,
    /// `nonce`.
    pub nonce: Option<String>,
}

impl ProofOptions {
    /// Options with only the required members.
    #[must_use]
    pub fn new(
        cryptosuite: Cryptosuite,
        verification_method: DidUrl,
        purpose: ProofPurpose,
    ) -> Self {
        Self {
            cryptosuite,
            verification_method,
            purpose,
            created: None,
            expires: None,
            challenge: None,
            domain: Vec::new(),
            nonce: None,
        }
    }
}

/// What the verifier requires of a proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofExpectations {
    /// The proof purpose (`assertionMethod` for a credential, `authentication` for
    /// a presentation).
    pub purpose: ProofPurpose,
    /// The challenge the verifier issued; when set, the proof's must be equal.
    pub challenge: Option<String>,
    /// The verifier's domain; when set, the proof's `domain` must be it (or, as an
    /// array, include it).
    pub domain: Option<String>,
    /// The caller's time (unix seconds).
    pub now: i64,
    /// Allowed clock skew in seconds for `created` and `expires`.
    pub skew_secs: u32,
}

impl ProofExpectations {
    /// Expectations with a purpose and a time, no challenge or domain, no skew.
    #[must_use]
    pub fn new(purpose: ProofPurpose, now: i64) -> Self {
        Self {
            purpose,
            challenge: None,
            domain: None,
            now,
            skew_secs: 0,
        }
    }
}

/// A proof that verified: who signed, how and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The verification method that signed.
    pub verification_method: DidUrl,
    /// The DID controlling that method: the caller compares it to the issuer or
    /// holder.
    pub controller: Did,
    /// The cryptosuite.
    pub cryptosuite: Cryptosuite,
    /// The proof purpose.
    pub purpose: ProofPurpose,
    /// `created` (unix seconds), if present.
    pub created: Option<i64>,
    /// `expires` (unix seconds), if present.
    pub expires: Option<i64>,
    /// The proof's `challenge`, if present.
    pub challenge: Option<String>,
    /// The proof's `domain` values.
    pub domain: Vec<String>,
}

/// A source of verification methods. Implement it to add DID methods that need I/O
/// (`did:web`); [`OfflineResolver`] handles `did:key` and `did:jwk`.
pub trait MethodResolver {
    /// Dereferences a DID URL to its verification method and the relationships the
    /// method is in.
    ///
    /// # Errors
    /// Any [`DidError`].
    fn resolve_method(&self, url: &DidUrl) -> Result<ResolvedMethod, DidError>;
}

/// A verification method with the relationships its DID document puts it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMethod {
    /// The method.
    pub method: VerificationMethod,
    /// Its relationships.
    pub relationships: Vec<Relationship>,
}

impl From<DereferencedMethod> for ResolvedMethod {
    fn from(d: DereferencedMethod) -> Self {
        let relationships = d.relationships().to_vec();
        Self {
            method: d.into_method(),
            relationships,
        }
    }
}

/// Resolves `did:key` and `did:jwk` offline with [`did::resolve_verification_method`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfflineResolver;

impl MethodResolver for OfflineResolver {
    fn resolve_method(&self, url: &DidUrl) -> Result<ResolvedMethod, DidError> {
        did::resolve_verification_method(url).map(ResolvedMethod::from)
    }
}

/// Adds a Data Integrity proof to `document` (Data Integrity §4.2 "Add Proof",
/// with the suite's "Create Proof"). An existing `proof` becomes a proof set: the
/// new proof signs the document without its existing proofs and is appended.
///
/// # Errors
/// [`DiError::KeyTypeMismatch`] when `key` does not fit the cryptosuite,
/// [`DiError::InvalidOption`] for a `created`/`expires` that is not RFC 3339,
/// [`DiError::TooLarge`] / [`DiError::Canonicalization`] for a document beyond the
/// bounds, [`DiError::MalformedProof`] when the existing `proof` is malformed.
pub fn add_proof(
    document: &Map<String, Value>,
    options: &ProofOptions,
    key: &PrivateKey,
) -> Result<Map<String, Value>, DiError> {
    let suite = options.cryptosuite;
    suite.check_key_type(key.key_type())?;
    for (name, value) in [("created", &options.created), ("expires", &options.expires)] {
        if value
            .as_deref()
            .is_some_and(|v| parse_datetime(v).is_none())
        {
            return Err(DiError::InvalidOption(name));
        }
    }
    let mut unsecured = document.clone();
    let existing = unsecured.remove("proof");
    bounded(&unsecured)?;

    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), suite.as_str().into());
    let optional = [
        ("created", &options.created),
        ("expires", &options.expires),
        ("challenge", &options.challenge),
        ("nonce", &options.nonce),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            proof.insert(name.into(), Value::String(v.clone()));
        }
    }
    match options.domain.as_slice() {
        [] => {}
        [one] => {
            proof.insert("domain".into(), Value::String(one.clone()));
        }
        many => {
            proof.insert(
                "domain".into(),
                Value::Array(many.iter().cloned().map(Value::String).collect()),
            );
        }
    }
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.as_str().into(),
    );
    proof.insert("proofPurpose".into(), options.purpose.as_str().into());
    // vc-di-eddsa §3.3.1 step 2 / vc-di-ecdsa §3.3.1 step 2: "If
    // unsecuredDocument.@context is present, set proof.@context to
    // unsecuredDocument.@context."
    if let Some(ctx) = unsecured.get("@context") {
        proof.insert("@context".into(), ctx.clone());
    }
    let hash_data = suite::hash_data(&proof, &unsecured)?;
    let signature = suite::sign(key, &hash_data)?;
    proof.insert(
        "proofValue".into(),
        Value::String(multibase_encode(&signature)),
    );

    let mut secured = unsecured;
    let proof_member = match existing {
        None => Value::Object(proof),
        Some(Value::Object(p)) => Value::Array(vec![Value::Object(p), Value::Object(proof)]),
        Some(Value::Array(mut set)) if set.iter().all(Value::is_object) => {
            set.push(Value::Object(proof));
            Value::Array(set)
        }
        Some(_) => return Err(DiError::MalformedProof),
    };
    secured.insert("proof".into(), proof_member);
    Ok(secured)
}

/// Verifies the one proof of `secured` (Data Integrity §4.3 "Verify Proof" with the
/// suite's algorithm) and resolves its verification method with `resolver`.
///
/// Checks, in order: the proof's structure, type and cryptosuite; purpose,
/// challenge, domain, `created` and `expires` against `expectations`; the method
/// resolves, is in the relationship the purpose names, has a key fitting the
/// suite and is controlled by its own DID; then the signature.
///
/// # Errors
/// One [`DiError`] variant per failed check; [`DiError::MultipleProofs`] when the
/// document holds a proof set.
pub fn verify_proof(
    secured: &Map<String, Value>,
    expectations: &ProofExpectations,
    resolver: &impl MethodResolver,
) -> Result<VerifiedProof, DiError> {
    let proofs = proofs_of(secured)?;
    match proofs.as_slice() {
        [one] => verify_one(secured, one, expectations, resolver),
        many => Err(DiError::MultipleProofs(many.len())),
    }
}

/// Verifies every proof of a proof set (Data Integrity §2.1.2): each is checked
/// over the document without the `proof` member, as [`verify_proof`] does.
///
/// # Errors
/// The first failure, as [`verify_proof`].
pub fn verify_proofs(
    secured: &Map<String, Value>,
    expectations: &ProofExpectations,
    resolver: &impl MethodResolver,
) -> Result<Vec<VerifiedProof>, DiError> {
    proofs_of(secured)?
        .iter()
        .map(|p| verify_one(secured, p, expectations, resolver))
        .collect()
}

/// Verifies the one proof of `secured` with a key the caller already trusts (for
/// verification methods that are not DIDs, such as the `https:` ones of the W3C
/// test vectors). No relationship or controller check is possible here.
///
/// # Errors
/// As [`verify_proof`], without the resolution errors.
pub fn verify_proof_with_key(
    secured: &Map<String, Value>,
    expectations: &ProofExpectations,
    key: &PublicKey,
) -> Result<DataIntegrityProof, DiError> {
    let proofs = proofs_of(secured)?;
    let proof = match proofs.as_slice() {
        [one] => DataIntegrityProof::from_map(one)?,
        many => return Err(DiError::MultipleProofs(many.len())),
    };
    check_expectations(&proof, expectations)?;
    proof.cryptosuite().check_key_type(key.key_type())?;
    verify_signature(secured, &proof, key)?;
    Ok(proof)
}

fn verify_one(
    secured: &Map<String, Value>,
    proof_map: &Map<String, Value>,
    expectations: &ProofExpectations,
    resolver: &impl MethodResolver,
) -> Result<VerifiedProof, DiError> {
    let proof = DataIntegrityProof::from_map(proof_map)?;
    check_expectations(&proof, expectations)?;
    let url = DidUrl::parse(proof.verification_method()).map_err(DiError::VerificationMethod)?;
    let resolved = resolver
        .resolve_method(&url)
        .map_err(DiError::VerificationMethod)?;
    if !resolved
        .relationships
        .contains(&proof.purpose().relationship())
    {
        return Err(DiError::MethodNotAuthorized {
            method: url.to_string(),
            purpose: proof.purpose(),
        });
    }
    let method = resolved.method;
    if method.controller() != url.did() {
        return Err(DiError::ControllerMismatch {
            method: url.to_string(),
            controller: method.controller().to_string(),
        });
    }
    proof
        .cryptosuite()
        .check_key_type(method.public_key().key_type())?;
    verify_signature(secured, &proof, method.public_key())?;
    Ok(VerifiedProof {
        verification_method: url,
        controller: method.controller().clone(),
        cryptosuite: proof.cryptosuite(),
        purpose: proof.purpose(),
        created: proof.created(),
        expires: proof.expires(),
        challenge: proof.challenge().map(str::to_owned),
        domain: proof.domain().iter().map(|d| (*d).to_owned()).collect(),
    })
}

fn check_expectations(proof: &DataIntegrityProof, exp: &ProofExpectations) -> Result<(), DiError> {
    // Data Integrity §4.3 step 5: "If expectedProofPurpose does not match
    // proof.proofPurpose, ... PROOF_VERIFICATION_ERROR".
    if proof.purpose() != exp.purpose {
        return Err(DiError::PurposeMismatch {
            expected: exp.purpose,
            actual: proof.purpose().as_str().to_owned(),
        });
    }
    // §4.3 step 6-7: INVALID_DOMAIN_ERROR / INVALID_CHALLENGE_ERROR when the
    // options name a domain or challenge the proof does not match.
    if let Some(expected) = &exp.challenge {
        match proof.challenge() {
            None => return Err(DiError::MissingChallenge),
            Some(c) if c != expected => return Err(DiError::ChallengeMismatch),
            Some(_) => {}
        }
    }
    if let Some(expected) = &exp.domain {
        let domain = proof.domain();
        if domain.is_empty() {
            return Err(DiError::MissingDomain);
        }
        if !domain.contains(&expected.as_str()) {
            return Err(DiError::DomainMismatch);
        }
    }
    let skew = i64::from(exp.skew_secs);
    if let Some(created) = proof.created()
        && created > exp.now.saturating_add(skew)
    {
        return Err(DiError::CreatedInFuture {
            created,
            now: exp.now,
        });
    }
    // Data Integrity §2.1 `expires`: "the proof ... is to be considered invalid"
    // after this time.
    if let Some(expires) = proof.expires()
        && exp.now.saturating_sub(skew) >= expires
    {
        return Err(DiError::ProofExpired {
            expires,
            now: exp.now,
        });
    }
    Ok(())
}

/// The suites' "Verify Proof" steps 1-8 for one proof.
fn verify_signature(
    secured: &Map<String, Value>,
    proof: &DataIntegrityProof,
    key: &PublicKey,
) -> Result<(), DiError> {
    // Step 1: unsecuredDocument is securedDocument without proof. It is a view of
    // `secured` (its members but `proof`), not a clone: the hashing below is all
    // that reads it.
    bounded_without_proof(secured)?;
    // Step 2: proofOptions is the proof without proofValue.
    let mut options: Vec<(&str, &Value)> = proof
        .as_map()
        .iter()
        .filter(|(k, _)| k.as_str() != "proofValue")
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let mut unsecured: Vec<(&str, &Value)> = secured
        .iter()
        .filter(|(k, _)| k.as_str() != "proof")
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    // Step 4: the proof's @context must be a prefix of the document's; the
    // unsecured document then takes the proof's @context.
    if let Some(proof_ctx) = proof.as_map().get("@context") {
        let doc_items = context_items(secured.get("@context"));
        let proof_items = context_items(Some(proof_ctx));
        if proof_items.len() > doc_items.len()
            || proof_items.iter().zip(&doc_items).any(|(a, b)| a != b)
        {
            return Err(DiError::ContextMismatch);
        }
        match unsecured.iter_mut().find(|(k, _)| *k == "@context") {
            Some(member) => member.1 = proof_ctx,
            None => unsecured.push(("@context", proof_ctx)),
        }
    }
    let hash_data = suite::hash_members(&mut options, &mut unsecured)?;
    suite::verify(proof.cryptosuite(), key, &hash_data, proof.proof_value())
}

/// [`bounded`] on `secured` without its `proof` member. The document without a
/// member is within the bounds whenever the whole document is, so only a document
/// beyond them pays for the copy that removes `proof` before checking again.
fn bounded_without_proof(secured: &Map<String, Value>) -> Result<(), DiError> {
    if bounded(secured).is_ok() {
        return Ok(());
    }
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    bounded(&unsecured)
}

fn context_items(ctx: Option<&Value>) -> Vec<&Value> {
    match ctx {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
    }
}

fn proofs_of(secured: &Map<String, Value>) -> Result<Vec<&Map<String, Value>>, DiError> {
    match secured.get("proof") {
        None => Err(DiError::MissingProof),
        Some(Value::Object(p)) => Ok(vec![p]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_object().ok_or(DiError::MalformedProof))
            .collect(),
        Some(_) => Err(DiError::MalformedProof),
    }
}

fn bounded(doc: &Map<String, Value>) -> Result<(), DiError> {
    check_bounds(doc).map_err(|_| DiError::TooLarge)
}

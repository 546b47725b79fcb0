//! Verifiable Presentations as the wallet submits them and the provider checks them
//! (DESIGN.md §4 "Wire details"): a VC Data Model 2.0 presentation whose `holder` is
//! the identity's DID, secured by a Data Integrity proof (`eddsa-jcs-2022` for an
//! Ed25519 holder key, `ecdsa-jcs-2019` for P-256) with `proofPurpose`
//! `authentication` and the verifier's `challenge` and `domain`, carrying
//! `presentation_submission` when a Presentation Exchange definition was sent.
//!
//! The credentials inside are JSON credentials with their own Data Integrity proof,
//! or `EnvelopedVerifiableCredential`s holding a VC-JWT (`application/vc+jwt`) or
//! an SD-JWT VC with a Key Binding JWT (`application/dc+sd-jwt`).
//!
//! - Wallet: [`build_presentation`]; [`candidate_from_stored`] turns a stored
//!   credential into the [`pex::CandidateCredential`] the query engines select from;
//!   [`sd_jwt_reveal_paths`] turns the pointers a selection asks for into the claim
//!   paths [`crate::sd_jwt::SdJwt::present`] reveals.
//! - Verifier: [`verify_presentation`] checks every signature, the holder binding,
//!   challenge and domain, validity periods, the issuer trust list and credential
//!   status, and returns a [`VerifiedPresentation`]; [`verify_vp_jwt_presentation`]
//!   does the same for a VP-JWT, and [`verify_sd_jwt_presentation`] for an SD-JWT VC
//!   presented on its own with a Key Binding JWT (the OID4VP forms of `jwt_vc_json`
//!   and `dc+sd-jwt`);
//!   [`verify_presentation_against_definition`] also checks the embedded
//!   `presentation_submission` against a definition with [`pex::verify_submission`],
//!   and [`verify_dcql_response`] checks credentials against a DCQL query.
//!
//! Nothing here re-implements a proof format: Data Integrity comes from
//! [`crate::data_integrity`], JWTs from [`crate::vc_jwt`], SD-JWT from
//! [`crate::sd_jwt`], status lists from [`crate::status_list`].

mod build;
mod query;
mod status;
mod verify;

pub use self::build::{HolderKey, PresentationOptions, build_presentation};
pub use self::query::{
    StoredCredential, candidate_from_stored, sd_jwt_reveal_paths, to_candidates,
    verify_dcql_response, verify_presentation_against_compiled,
    verify_presentation_against_definition,
};
pub use self::verify::{
    verify_presentation, verify_presentation_value, verify_sd_jwt_presentation,
    verify_vp_jwt_presentation,
};

use std::collections::BTreeSet;

use serde_json::Value;

use crate::data_integrity::DiError;
use crate::dcql::DcqlError;
use crate::did::{Did, DidError};
use crate::keys::KeyType;
use crate::pex::{self, PexError, PresentationSubmission};
use crate::sd_jwt::SdJwtError;
use crate::status_list::StatusError;
use crate::vc::VcError;
use crate::vc_jwt::VcJwtError;

/// The default allowed clock skew (seconds).
pub const DEFAULT_SKEW_SECS: u32 = 60;
/// The default largest number of credentials in one presentation.
pub const DEFAULT_MAX_CREDENTIALS: usize = 32;
/// The default largest presentation accepted, in bytes of JSON.
pub const DEFAULT_MAX_VP_BYTES: usize = 1024 * 1024;
/// The default oldest SD-JWT Key Binding JWT accepted (seconds before `now`).
pub const DEFAULT_KB_MAX_AGE_SECS: u32 = 300;

/// What went wrong building or verifying a presentation. Each check has its own
/// variant; failures of one credential name its `index` in `verifiableCredential`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PresentationError {
    /// The presentation JSON is larger than the policy allows.
    #[error("presentation of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The presentation carries more credentials than the policy allows.
    #[error("presentation carries {count} credentials, more than {max}")]
    TooManyCredentials {
        /// How many (or more).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The presentation is not a valid VC Data Model presentation (JSON, `@context`,
    /// `type`, a malformed embedded credential or envelope, …).
    #[error("invalid presentation: {0}")]
    InvalidPresentation(VcError),
    /// The presentation has no `holder` (required here: the holder is whom the proof
    /// and every credential are bound to).
    #[error("presentation has no holder")]
    MissingHolder,
    /// `holder` is not a DID.
    #[error("holder is not a DID: {0}")]
    InvalidHolder(DidError),
    /// The presentation has no `proof`.
    #[error("presentation has no proof")]
    MissingProof,
    /// The presentation proof's `challenge` is absent or not the expected one (Data
    /// Integrity §4.3 step 7, INVALID_CHALLENGE_ERROR).
    #[error("presentation challenge mismatch")]
    ChallengeMismatch,
    /// The presentation proof's `domain` is absent or does not include the expected
    /// one (Data Integrity §4.3 step 6, INVALID_DOMAIN_ERROR).
    #[error("presentation domain mismatch")]
    DomainMismatch,
    /// A proof (of the presentation, a credential or a status list) uses a
    /// cryptosuite other than `eddsa-jcs-2022` and `ecdsa-jcs-2019`.
    #[error("unsupported cryptosuite {0:?}")]
    UnsupportedCryptosuite(String),
    /// The presentation proof fails another check (signature, purpose, time,
    /// verification method).
    #[error("presentation proof: {0}")]
    PresentationProof(DiError),
    /// A VP-JWT fails a check other than its `nonce` and `aud` (signature, `kid`,
    /// time claims, the `vp` claim).
    #[error("presentation JWT: {0}")]
    PresentationJwt(VcJwtError),
    /// The presentation is signed by a key of another DID than its `holder`.
    #[error("presentation signed by {signer}, holder is {holder}")]
    HolderKeyMismatch {
        /// The holder DID.
        holder: String,
        /// The DID whose key signed.
        signer: String,
    },
    /// A JSON credential does not satisfy the data model.
    #[error("credential {index}: {error}")]
    InvalidCredential {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What is wrong.
        error: VcError,
    },
    /// A JSON credential's Data Integrity proof fails (a tampered claim gives
    /// [`DiError::SignatureInvalid`]).
    #[error("credential {index} proof: {error}")]
    CredentialProof {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What failed.
        error: DiError,
    },
    /// A credential is signed by a key of another DID than its `issuer`.
    #[error("credential {index} issued by {issuer} but signed by {signer}")]
    IssuerMismatch {
        /// Position in `verifiableCredential`.
        index: usize,
        /// The credential's issuer.
        issuer: String,
        /// The DID whose key signed.
        signer: String,
    },
    /// A VC-JWT fails verification.
    #[error("credential {index} (VC-JWT): {error}")]
    VcJwt {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What failed.
        error: VcJwtError,
    },
    /// An SD-JWT VC fails verification (forged disclosure, `sd_hash`, KB-JWT
    /// `nonce`/`aud`, signature, …).
    #[error("credential {index} (SD-JWT): {error}")]
    SdJwt {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What failed.
        error: SdJwtError,
    },
    /// An enveloped credential's media type is recognised but not verified here.
    #[error("credential {index}: media type {media_type} is not supported")]
    UnsupportedFormat {
        /// Position in `verifiableCredential`.
        index: usize,
        /// The media type.
        media_type: String,
    },
    /// The SD-JWT VC has no `iss`, or its `iss` is not a DID.
    #[error("credential {index}: SD-JWT VC issuer is missing or not a DID")]
    SdJwtIssuer {
        /// Position in `verifiableCredential`.
        index: usize,
    },
    /// The SD-JWT VC's `cnf` key is not a key of the holder: the KB-JWT was signed
    /// by someone else than the presentation's holder.
    #[error("credential {index}: SD-JWT cnf key does not belong to holder {holder}")]
    SdJwtHolderMismatch {
        /// Position in `verifiableCredential`.
        index: usize,
        /// The holder DID.
        holder: String,
    },
    /// The credential's validity period has not started (`validFrom`,
    /// `issuanceDate`, `nbf`), allowing for the skew.
    #[error("credential {index} not valid before {not_before}, now {now}")]
    CredentialNotYetValid {
        /// Position in `verifiableCredential`.
        index: usize,
        /// Start of validity (unix seconds).
        not_before: i64,
        /// The caller's time.
        now: i64,
    },
    /// The credential's validity period has ended (`validUntil`,
    /// `expirationDate`, `exp`), allowing for the skew.
    #[error("credential {index} expired at {not_after}, now {now}")]
    CredentialExpired {
        /// Position in `verifiableCredential`.
        index: usize,
        /// End of validity (unix seconds).
        not_after: i64,
        /// The caller's time.
        now: i64,
    },
    /// The issuer is not in the caller's trust list.
    #[error("untrusted issuer {issuer}")]
    UntrustedIssuer {
        /// The issuer.
        issuer: String,
    },
    /// A credential subject is not the holder (and unbound credentials are not
    /// allowed).
    #[error("credential {index} subject {subject:?} is not the holder {holder}")]
    HolderMismatch {
        /// Position in `verifiableCredential`.
        index: usize,
        /// The subject's `id` (`None` for a subject without one).
        subject: Option<String>,
        /// The holder DID.
        holder: String,
    },
    /// The credential is revoked (its `revocation` status bit is set).
    #[error("credential {index} is revoked")]
    Revoked {
        /// Position in `verifiableCredential`.
        index: usize,
    },
    /// The credential is suspended (its `suspension` status bit is set).
    #[error("credential {index} is suspended")]
    Suspended {
        /// Position in `verifiableCredential`.
        index: usize,
    },
    /// Status is required (or present) but cannot be checked: no
    /// `credentialStatus`, a status mechanism not supported, or the list could not
    /// be fetched.
    #[error("credential {index} status unavailable: {reason}")]
    StatusUnavailable {
        /// Position in `verifiableCredential`.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The status entry or the status list is invalid (purpose, index range,
    /// encoding, wrong list).
    #[error("credential {index} status: {error}")]
    Status {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What failed.
        error: StatusError,
    },
    /// The status list credential is not a valid credential, or has expired.
    #[error("credential {index} status list credential: {error}")]
    StatusListCredential {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What is wrong.
        error: VcError,
    },
    /// The status list credential's proof fails.
    #[error("credential {index} status list proof: {error}")]
    StatusListProof {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What failed.
        error: DiError,
    },
    /// The status list credential (as a VC-JWT) fails verification.
    #[error("credential {index} status list VC-JWT: {error}")]
    StatusListJwt {
        /// Position in `verifiableCredential`.
        index: usize,
        /// What failed.
        error: VcJwtError,
    },
    /// The status list credential is not issued (or not signed) by the
    /// credential's issuer.
    #[error("credential {index}: status list issued by {list_issuer}, credential by {issuer}")]
    StatusListIssuerMismatch {
        /// Position in `verifiableCredential`.
        index: usize,
        /// The status list's issuer or signer.
        list_issuer: String,
        /// The credential's issuer.
        issuer: String,
    },
    /// A definition was given but the presentation has no `presentation_submission`.
    #[error("presentation has no presentation_submission")]
    MissingSubmission,
    /// `presentation_submission` is not a valid submission object.
    #[error("invalid presentation_submission: {0}")]
    InvalidSubmission(PexError),
    /// The submission does not satisfy the definition.
    #[error("submission does not satisfy the definition: {0}")]
    Pex(PexError),
    /// The credentials do not satisfy the DCQL query.
    #[error("response does not satisfy the DCQL query: {0}")]
    Dcql(DcqlError),
    /// A DCQL response names a credential index the presentation does not have.
    #[error("DCQL response names credential {0}, which is not in the presentation")]
    UnknownCredentialIndex(usize),
    /// The holder key cannot sign a presentation (only Ed25519 and P-256 can).
    #[error("cannot sign a presentation with a {0} key")]
    UnsupportedHolderKey(KeyType),
    /// A builder option is invalid (an empty challenge or domain, a `created` that
    /// is not RFC 3339).
    #[error("invalid presentation option {0}")]
    InvalidOption(&'static str),
    /// Signing the presentation failed.
    #[error("signing the presentation: {0}")]
    Signing(DiError),
    /// A JSON Pointer is malformed or names no claim of the credential.
    #[error("JSON Pointer {0:?} names no claim")]
    UnknownPointer(String),
    /// A stored credential cannot be turned into a query candidate.
    #[error("stored credential {id}: {reason}")]
    InvalidStoredCredential {
        /// The caller's handle.
        id: String,
        /// Why.
        reason: String,
    },
}

/// Which issuers the verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustList {
    /// Only these issuer DIDs (per client `trusted_issuers`, or global).
    Issuers(BTreeSet<String>),
    /// Any issuer whose signature verifies. Only when the caller explicitly asks:
    /// it proves who signed, not that the signer is an authority on the claims.
    AnyIssuer,
}

impl TrustList {
    /// A trust list of the given issuer DIDs.
    #[must_use]
    pub fn issuers<I, S>(issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Issuers(issuers.into_iter().map(Into::into).collect())
    }

    /// Whether `issuer` is trusted.
    #[must_use]
    pub fn trusts(&self, issuer: &str) -> bool {
        match self {
            Self::Issuers(set) => set.contains(issuer),
            Self::AnyIssuer => true,
        }
    }
}

/// How credential status (W3C Bitstring Status List) is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusPolicy {
    /// Every credential must have a status entry that is checked; one that has none
    /// or whose list cannot be fetched is [`PresentationError::StatusUnavailable`].
    Required,
    /// Credentials with a `credentialStatus` are checked; a list that cannot be
    /// fetched is [`PresentationError::StatusUnavailable`]. Those without pass.
    IfPresent,
    /// Status is not checked.
    Ignore,
}

/// What the verifier requires of a presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationPolicy {
    /// The challenge the verifier issued (the proof's `challenge`, the KB-JWT
    /// `nonce`).
    pub challenge: String,
    /// The verifier's domain (the proof's `domain`, the KB-JWT `aud`).
    pub domain: String,
    /// The caller's time (unix seconds).
    pub now: i64,
    /// Allowed clock skew in seconds (default [`DEFAULT_SKEW_SECS`]).
    pub skew_secs: u32,
    /// The accepted issuers.
    pub trusted_issuers: TrustList,
    /// Accept credentials whose subject is not the holder (default `false`).
    pub allow_unbound_credentials: bool,
    /// The status policy (default [`StatusPolicy::IfPresent`]).
    pub status: StatusPolicy,
    /// The most credentials in one presentation (default
    /// [`DEFAULT_MAX_CREDENTIALS`]).
    pub max_credentials: usize,
    /// The largest presentation in bytes (default [`DEFAULT_MAX_VP_BYTES`]).
    pub max_vp_bytes: usize,
    /// The oldest SD-JWT KB-JWT accepted, in seconds (default
    /// [`DEFAULT_KB_MAX_AGE_SECS`]).
    pub kb_max_age_secs: u32,
}

impl VerificationPolicy {
    /// A policy with the given challenge, domain, time and trust list, and the
    /// defaults for everything else.
    #[must_use]
    pub fn new(
        challenge: impl Into<String>,
        domain: impl Into<String>,
        now: i64,
        trusted_issuers: TrustList,
    ) -> Self {
        Self {
            challenge: challenge.into(),
            domain: domain.into(),
            now,
            skew_secs: DEFAULT_SKEW_SECS,
            trusted_issuers,
            allow_unbound_credentials: false,
            status: StatusPolicy::IfPresent,
            max_credentials: DEFAULT_MAX_CREDENTIALS,
            max_vp_bytes: DEFAULT_MAX_VP_BYTES,
            kb_max_age_secs: DEFAULT_KB_MAX_AGE_SECS,
        }
    }
}

/// The format of a verified credential, named as the query languages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialFormat {
    /// A JSON credential with a Data Integrity proof (`ldp_vc`).
    LdpVc,
    /// A VC-JWT (`jwt_vc_json`).
    JwtVcJson,
    /// A VC-JOSE-COSE `vc+jwt` (the JWT payload is the credential).
    VcJwt,
    /// An SD-JWT VC (`dc+sd-jwt`).
    DcSdJwt,
}

impl CredentialFormat {
    /// The format identifier used in Presentation Exchange and DCQL.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LdpVc => "ldp_vc",
            Self::JwtVcJson => "jwt_vc_json",
            Self::VcJwt => "vc+jwt",
            Self::DcSdJwt => "dc+sd-jwt",
        }
    }
}

/// One credential of a verified presentation.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCredential {
    /// Its format.
    pub format: CredentialFormat,
    /// Its issuer DID.
    pub issuer: Did,
    /// The subject ids (`credentialSubject.id`, or the SD-JWT `sub`).
    pub subjects: Vec<String>,
    /// The `type` values (the `vct` for an SD-JWT VC).
    pub types: Vec<String>,
    /// The disclosed claims: the credential JSON for JSON credentials and JWTs,
    /// the processed payload for an SD-JWT VC.
    pub claims: Value,
    /// What query paths are evaluated against: the credential JSON for `ldp_vc`
    /// and `vc+jwt`, the JWT payload (with its `vc` claim) for `jwt_vc_json`, the
    /// processed payload for `dc+sd-jwt`.
    pub query_claims: Value,
    /// The JSON Pointers of the disclosed selectively disclosable claims (SD-JWT
    /// only; `None` for formats presented whole).
    pub disclosed_paths: Option<BTreeSet<String>>,
    /// Position in `verifiableCredential`.
    pub index: usize,
    /// The `verifiableCredential` entry as received.
    pub raw: Value,
}

/// A presentation that passed every check of [`verify_presentation`].
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPresentation {
    /// The holder DID.
    pub holder: Did,
    /// The challenge it was bound to.
    pub challenge: String,
    /// The domain it was bound to.
    pub domain: String,
    /// The credentials, in `verifiableCredential` order.
    pub credentials: Vec<VerifiedCredential>,
    /// The embedded `presentation_submission`, if any (parsed, not yet checked
    /// against a definition).
    pub presentation_submission: Option<PresentationSubmission>,
}

impl VerifiedPresentation {
    /// The credentials as query candidates (see [`to_candidates`]).
    #[must_use]
    pub fn candidates(&self) -> Vec<pex::CandidateCredential> {
        to_candidates(self)
    }
}

/// RFC 6901 JSON Pointer of a claim path (`~` → `~0`, `/` → `~1`).
pub(crate) fn pointer_of(path: &[crate::sd_jwt::ClaimPathElement]) -> String {
    use crate::sd_jwt::ClaimPathElement as E;
    let mut out = String::new();
    for element in path {
        out.push('/');
        match element {
            E::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            E::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

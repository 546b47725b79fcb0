//! Decentralized identifiers (W3C DID Core 1.0): validated [`Did`] and [`DidUrl`]
//! strings, [`DidDocument`]s, offline resolution of `did:key` ([`key`]) and
//! `did:jwk` ([`jwk`]), and the pure parts of `did:web` ([`web`]).
//!
//! Untrusted strings are parsed once at the edge: a [`Did`] or [`DidUrl`] value is
//! always syntactically valid and length-bounded. Resolving a DID URL to the key it
//! names is [`resolve_verification_method`]; whether that key may be used for a
//! purpose is [`DereferencedMethod::require_relationship`]:
//!
//! ```
//! use wallet_core::did::{DidUrl, Relationship, resolve_verification_method};
//! # fn main() -> Result<(), wallet_core::did::DidError> {
//! let url = DidUrl::parse(
//!     "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW",
//! )?;
//! let method = resolve_verification_method(&url)?.require_relationship(Relationship::KeyAgreement)?;
//! assert_eq!(method.public_key().key_type(), wallet_core::keys::KeyType::X25519);
//! # Ok(()) }
//! ```
//!
//! `did:web` needs a network fetcher, which wallet-core does not have: [`resolve`]
//! answers it with [`DidError::ResolverUnavailable`]. What does not need the network
//! is in [`web`]: [`web::document_url`] gives the HTTPS URL to fetch, and
//! [`web::parse_document`] checks and parses the fetched bytes into a [`DidDocument`].
//! A caller with a fetcher reports fetch failures as [`DidError::ResolutionFailed`].

mod document;
mod identifier;
pub mod jwk;
pub mod key;
pub mod web;

use core::ops::Deref;

pub use self::document::{
    DID_CONTEXT_V1, DidDocument, MAX_DOCUMENT_LEN, MAX_METHODS, Relationship, VerificationMethod,
    VerificationMethodFormat, VerificationMethodType, VerificationReference,
};
pub use self::identifier::{Did, DidUrl, MAX_DID_LEN, MAX_DID_URL_LEN};

use crate::jwk::JwkError;
use crate::keys::{KeyError, KeyType};

/// What is wrong with a DID, a DID URL, a DID document or a resolution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    /// The input is longer than the stated limit.
    #[error("input longer than {max} bytes")]
    TooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The string does not start with `did:`.
    #[error("not a DID (must start with \"did:\")")]
    NotADid,
    /// The method name is missing or has characters other than `a-z` and `0-9`
    /// (DID Core §3.1 `method-name`).
    #[error("invalid DID method name")]
    InvalidMethodName,
    /// The method-specific id is empty, ends with `:`, or has characters other than
    /// idchars and percent-encodings (DID Core §3.1 `method-specific-id`).
    #[error("invalid DID method-specific identifier")]
    InvalidMethodSpecificId,
    /// The path, query or fragment of a DID URL is malformed (DID Core §3.2, RFC 3986).
    #[error("invalid DID URL path, query or fragment")]
    InvalidDidUrl,
    /// No resolver exists for this DID method.
    #[error("unsupported DID method {0:?}")]
    UnsupportedMethod(String),
    /// The method is known but needs a resolver wallet-core does not have (network).
    #[error("no resolver available for {0} in wallet-core (needs a network fetcher)")]
    ResolverUnavailable(&'static str),
    /// A method-specific operation was given a DID of another method.
    #[error("expected a did:{expected}, got did:{actual}")]
    WrongMethod {
        /// The method the operation handles.
        expected: &'static str,
        /// The method of the DID given.
        actual: String,
    },
    /// A multibase value is not base58btc (`z…`) or not valid base58.
    #[error("invalid multibase value (must be base58btc, 'z' prefix)")]
    InvalidMultibase,
    /// A `publicKeyBase58` value is not valid base58.
    #[error("invalid base58 value")]
    InvalidBase58,
    /// The multicodec prefix is not a minimal unsigned varint of at most 9 bytes.
    #[error("invalid or non-minimal multicodec varint")]
    InvalidVarint,
    /// The multicodec names a key type this crate does not support.
    #[error("unsupported multicodec 0x{0:x}")]
    UnsupportedCodec(u64),
    /// The raw key has the wrong length for its multicodec.
    #[error("key of {actual} bytes for multicodec 0x{codec:x}, expected {expected}")]
    InvalidKeyLength {
        /// The multicodec.
        codec: u64,
        /// The length that codec requires.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The key bytes are not a valid key (not a curve point, small order, ...).
    #[error(transparent)]
    InvalidKey(#[from] KeyError),
    /// The did:key is not the canonical encoding of its key.
    #[error("non-canonical did:key encoding")]
    NonCanonical,
    /// The key type cannot be used with this DID method.
    #[error("{0} keys are not supported here")]
    UnsupportedKeyType(KeyType),
    /// The chosen verification method representation cannot hold this key type.
    #[error("{key_type} keys cannot be represented as {format}")]
    UnsupportedFormat {
        /// The key type.
        key_type: KeyType,
        /// The representation asked for.
        format: VerificationMethodFormat,
    },
    /// The did:jwk method-specific id is not base64url without padding.
    #[error("did:jwk value is not base64url")]
    InvalidBase64Url,
    /// The JWK (of a did:jwk or a `publicKeyJwk`) is malformed or not a valid key.
    #[error("invalid JWK: {0}")]
    InvalidJwk(JwkError),
    /// The JWK holds private key members (`d`, `p`, `q`, `dp`, `dq`, `qi`).
    #[error("JWK holds private key material")]
    PrivateKeyInJwk,
    /// The did:jwk JWK has a `use` other than `sig` or `enc`.
    #[error("unsupported JWK use {0:?}")]
    UnsupportedJwkUse(String),
    /// A DID URL without a fragment was given where a verification method is needed.
    #[error("DID URL has no fragment naming a verification method")]
    MissingFragment,
    /// The DID URL has a path or query, which offline dereferencing does not handle.
    #[error("DID URL paths and queries cannot be dereferenced")]
    UnsupportedDereference,
    /// The document has no verification method with this id.
    #[error("no verification method {0} in the DID document")]
    VerificationMethodNotFound(String),
    /// The method exists but is not authorized for the relationship asked for.
    #[error("verification method {id} is not in {relationship}")]
    NotInRelationship {
        /// The method id.
        id: String,
        /// The relationship required.
        relationship: Relationship,
    },
    /// A DID document is structurally invalid.
    #[error("invalid DID document: {0}")]
    InvalidDocument(String),
    /// A verification method has a `type` this crate does not understand.
    #[error("unsupported verification method type {0:?}")]
    UnsupportedVerificationMethodType(String),
    /// A verification method lacks the key member its type requires.
    #[error("verification method lacks {0}")]
    MissingKeyMaterial(&'static str),
    /// The key inside a verification method is not of the type its `type` requires.
    #[error("{method_type} cannot hold a {key_type} key")]
    KeyTypeMismatch {
        /// The method type.
        method_type: VerificationMethodType,
        /// The key type found.
        key_type: KeyType,
    },
    /// A `did:web` has no valid HTTPS document URL (did:web Method Specification,
    /// "Read (Resolve)"); the reason names the rule it breaks.
    #[error("invalid did:web: {0}")]
    InvalidWebDid(&'static str),
    /// A fetched DID document describes another DID: its `id` is not exactly the DID
    /// that was resolved.
    #[error("DID document id {actual:?} is not the DID resolved, {expected}")]
    DocumentIdMismatch {
        /// The DID resolved.
        expected: String,
        /// The document's `id` (at most 64 characters of it).
        actual: String,
    },
    /// A verification method's id is not `<DID>#<fragment>` of the document's own DID.
    #[error("verification method id {0} is not a fragment of the document's DID")]
    ForeignMethodId(String),
    /// A verification method's `controller` is not the document's DID: only keys the
    /// DID controls itself are accepted from a fetched document.
    #[error("verification method {id} is controlled by {controller}, not by the DID itself")]
    ForeignController {
        /// The method id.
        id: String,
        /// The controller the method names.
        controller: String,
    },
    /// Two verification methods of a document have the same id (DID Core §5.2: ids
    /// are unique within a document).
    #[error("verification method id {0} appears more than once in the DID document")]
    DuplicateMethodId(String),
    /// A verification relationship references a method the document does not have.
    #[error("{relationship} references {id}, which is not a verification method of the document")]
    DanglingReference {
        /// The relationship holding the reference.
        relationship: Relationship,
        /// The method id referenced.
        id: String,
    },
    /// Fetching or reading a DID document failed (network, HTTP status, content
    /// type, ...). wallet-core never returns this itself, as it fetches nothing; it is
    /// here for callers that resolve `did:web` with their own fetcher, so that their
    /// failures are [`DidError`]s too.
    #[error("could not resolve {did}: {reason}")]
    ResolutionFailed {
        /// The DID being resolved.
        did: String,
        /// What went wrong.
        reason: String,
    },
}

/// Options for generating a DID document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolveOptions {
    /// The verification method representation (did:key; did:jwk always uses
    /// `JsonWebKey2020`). Default [`VerificationMethodFormat::Multikey`].
    pub format: VerificationMethodFormat,
    /// did:key v0.7 `enableEncryptionKeyDerivation`: add the X25519 key derived from
    /// an Ed25519 key as `keyAgreement`. Default `true`.
    pub enable_encryption_key_derivation: bool,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self {
            format: VerificationMethodFormat::Multikey,
            enable_encryption_key_derivation: true,
        }
    }
}

impl ResolveOptions {
    /// The default options with another representation.
    #[must_use]
    pub fn with_format(format: VerificationMethodFormat) -> Self {
        Self {
            format,
            ..Self::default()
        }
    }
}

/// Resolves a DID offline to its document with the default options.
///
/// # Errors
/// As [`resolve_with`].
pub fn resolve(did: &Did) -> Result<DidDocument, DidError> {
    resolve_with(did, &ResolveOptions::default())
}

/// Resolves a DID offline to its document.
///
/// # Errors
/// [`DidError::ResolverUnavailable`] for `did:web` ([`web`] has the parts of resolving
/// it that need no network), [`DidError::UnsupportedMethod`] for any method other than
/// `key`, `jwk` and `web`, and the method's own errors.
pub fn resolve_with(did: &Did, options: &ResolveOptions) -> Result<DidDocument, DidError> {
    match did.method() {
        key::METHOD => key::resolve(did, options),
        jwk::METHOD => jwk::resolve(did),
        web::METHOD => Err(DidError::ResolverUnavailable("did:web")),
        other => Err(DidError::UnsupportedMethod(
            other.chars().take(64).collect(),
        )),
    }
}

/// Dereferences a DID URL (`<did>#<fragment>`) to the verification method it names,
/// together with the relationships that method is in.
///
/// # Errors
/// [`DidError::UnsupportedDereference`] for a path or query,
/// [`DidError::MissingFragment`], the errors of [`resolve`], and
/// [`DidError::VerificationMethodNotFound`] when the fragment names no method.
pub fn resolve_verification_method(url: &DidUrl) -> Result<DereferencedMethod, DidError> {
    if !url.path().is_empty() || url.query().is_some() {
        return Err(DidError::UnsupportedDereference);
    }
    let Some(fragment) = url.fragment() else {
        return Err(DidError::MissingFragment);
    };
    if url.did().method() == key::METHOD && fragment == url.did().method_specific_id() {
        let (method, relationships) = key::primary_method(url.did(), &ResolveOptions::default())?;
        return Ok(DereferencedMethod {
            method,
            relationships,
        });
    }
    let doc = resolve(url.did())?;
    let method = doc.dereference(url)?.clone();
    let relationships = doc.relationships_of(url);
    Ok(DereferencedMethod {
        method,
        relationships,
    })
}

/// A verification method found by [`resolve_verification_method`], with the
/// relationships its document puts it in. Derefs to [`VerificationMethod`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DereferencedMethod {
    method: VerificationMethod,
    relationships: Vec<Relationship>,
}

impl DereferencedMethod {
    /// The relationships the method is in.
    #[must_use]
    pub fn relationships(&self) -> &[Relationship] {
        &self.relationships
    }

    /// Whether the method is in `rel`.
    #[must_use]
    pub fn has_relationship(&self, rel: Relationship) -> bool {
        self.relationships.contains(&rel)
    }

    /// The method, if it is authorized for `rel` (DID Core §5.3: a method may be used
    /// for a purpose only through the matching verification relationship).
    ///
    /// # Errors
    /// [`DidError::NotInRelationship`].
    pub fn require_relationship(self, rel: Relationship) -> Result<VerificationMethod, DidError> {
        if self.has_relationship(rel) {
            Ok(self.method)
        } else {
            Err(DidError::NotInRelationship {
                id: self.method.id().to_string(),
                relationship: rel,
            })
        }
    }

    /// The method, whatever its relationships.
    #[must_use]
    pub fn into_method(self) -> VerificationMethod {
        self.method
    }
}

impl Deref for DereferencedMethod {
    type Target = VerificationMethod;
    fn deref(&self) -> &VerificationMethod {
        &self.method
    }
}

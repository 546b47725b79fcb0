//! `did:jwk` (the did:jwk method specification, github.com/quartzjer/did-jwk): the
//! DID is `did:jwk:` + base64url(UTF-8 JSON of a public JWK); its document has one
//! `JsonWebKey2020` method `#0`.

use crate::encoding::{b64u_decode, b64u_encode};
use crate::jwk::{Jwk, JwkError};
use crate::keys::PublicKey;

use super::document::{DidDocument, Relationship, VerificationMethod, reject_private};
use super::{Did, DidError};

/// The method name.
pub const METHOD: &str = "jwk";

/// The did:jwk of a public JWK. The JSON is written with members in lexicographic
/// order (the spec leaves serialization open and suggests canonical JSON; sorted
/// members of base64url strings are what JCS produces for a JWK).
///
/// # Errors
/// [`DidError::PrivateKeyInJwk`] for a JWK with private members, and
/// [`DidError::InvalidJwk`] for one that is not a valid public key.
pub fn encode(jwk: &Jwk) -> Result<Did, DidError> {
    reject_private(jwk)?;
    jwk.to_public_key().map_err(DidError::InvalidJwk)?;
    // `to_value` builds a BTreeMap-backed object, so members come out sorted.
    let value = serde_json::to_value(jwk)
        .map_err(|e| DidError::InvalidJwk(JwkError::Malformed(e.to_string())))?;
    Did::parse(&format!("did:jwk:{}", b64u_encode(value.to_string())))
}

/// The did:jwk of a public key (its bare JWK, no `use`).
///
/// # Errors
/// As [`encode`].
pub fn encode_public_key(key: &PublicKey) -> Result<Did, DidError> {
    encode(&Jwk::from_public_key(key))
}

/// The JWK a did:jwk carries (spec "Read" steps 1–4).
///
/// # Errors
/// [`DidError::WrongMethod`], [`DidError::InvalidBase64Url`] (step 2),
/// [`DidError::InvalidJwk`] for text that is not UTF-8 JSON of a valid public JWK
/// (steps 3–4), [`DidError::PrivateKeyInJwk`] and [`DidError::UnsupportedJwkUse`].
pub fn decode(did: &Did) -> Result<Jwk, DidError> {
    if did.method() != METHOD {
        return Err(DidError::WrongMethod {
            expected: METHOD,
            actual: did.method().to_owned(),
        });
    }
    let bytes = b64u_decode(did.method_specific_id()).map_err(|_| DidError::InvalidBase64Url)?;
    let text = core::str::from_utf8(&bytes)
        .map_err(|_| DidError::InvalidJwk(JwkError::Malformed("not UTF-8".into())))?;
    let jwk = Jwk::from_json(text).map_err(DidError::InvalidJwk)?;
    // "Only JWKs containing public key material may be used, a JWK for a private key
    // must never be used and must be rejected by all implementations when encountered."
    reject_private(&jwk)?;
    jwk.to_public_key().map_err(DidError::InvalidJwk)?;
    relationships_for(&jwk)?;
    Ok(jwk)
}

/// "If the JWK contains a `use` property with the value "sig" then the
/// `keyAgreement` property is not included in the DID Document. If the `use` value
/// is "enc" then _only_ the `keyAgreement` property is included." Any other `use`
/// is rejected rather than guessed at.
fn relationships_for(jwk: &Jwk) -> Result<&'static [Relationship], DidError> {
    match jwk.use_.as_deref() {
        None => Ok(&Relationship::ALL),
        Some("sig") => Ok(&Relationship::SIGNING),
        Some("enc") => Ok(&[Relationship::KeyAgreement]),
        Some(other) => Err(DidError::UnsupportedJwkUse(
            other.chars().take(32).collect(),
        )),
    }
}

/// The DID document of a did:jwk: the single method `<did>#0` of type
/// `JsonWebKey2020` ("Since did:jwk only contains a single key, the DID URL fragment
/// identifier is always a fixed `#0` value"), in the relationships its `use` allows.
///
/// # Errors
/// As [`decode`].
pub fn resolve(did: &Did) -> Result<DidDocument, DidError> {
    let jwk = decode(did)?;
    let relationships = relationships_for(&jwk)?;
    let method = VerificationMethod::from_jwk(did.with_fragment("0")?, did.clone(), jwk)?;
    let id = method.id().clone();
    let mut doc = DidDocument::new(did.clone());
    doc.add_method(method);
    // The spec's document template lists the relationships in this order.
    for rel in [
        Relationship::AssertionMethod,
        Relationship::Authentication,
        Relationship::CapabilityInvocation,
        Relationship::CapabilityDelegation,
        Relationship::KeyAgreement,
    ] {
        if relationships.contains(&rel) {
            doc.add_reference(rel, id.clone());
        }
    }
    doc.set_context_from_methods();
    Ok(doc)
}

//! `did:key` (W3C CCG "The did:key Method" v0.7): a public key, prefixed with its
//! multicodec code as an unsigned varint, encoded as base58btc multibase (`z…`).
//!
//! Supported codecs: `ed25519-pub` (0xed, `z6Mk…`), `x25519-pub` (0xec, `z6LS…`) and
//! `p256-pub` (0x1200, 33-byte compressed SEC1 point, `zDn…`).

use crate::encoding::{multibase_decode, multibase_encode};
use crate::keys::{Ed25519PublicKey, P256PublicKey, PublicKey, X25519PublicKey};

use super::document::{DidDocument, Relationship, VerificationMethod};
use super::{Did, DidError, ResolveOptions};

/// Multicodec `ed25519-pub`.
pub const CODEC_ED25519_PUB: u64 = 0xed;
/// Multicodec `x25519-pub`.
pub const CODEC_X25519_PUB: u64 = 0xec;
/// Multicodec `p256-pub` (compressed point).
pub const CODEC_P256_PUB: u64 = 0x1200;

/// The method name.
pub const METHOD: &str = "key";

/// The multibase (`z…`) multikey encoding of `key`: varint(codec) || raw key bytes.
///
/// # Errors
/// [`DidError::UnsupportedKeyType`] for RSA (no did:key support here).
pub fn multikey_encode(key: &PublicKey) -> Result<String, DidError> {
    let (codec, raw): (u64, Vec<u8>) = match key {
        PublicKey::Ed25519(k) => (CODEC_ED25519_PUB, k.to_bytes().to_vec()),
        PublicKey::X25519(k) => (CODEC_X25519_PUB, k.to_bytes().to_vec()),
        PublicKey::P256(k) => (CODEC_P256_PUB, k.to_sec1_compressed().to_vec()),
        other => return Err(DidError::UnsupportedKeyType(other.key_type())),
    };
    let mut bytes = varint_encode(codec);
    bytes.extend_from_slice(&raw);
    Ok(multibase_encode(&bytes))
}

/// Decodes a multibase (`z…`) multikey value into a validated public key.
///
/// Following the decode algorithm of did:key v0.7 §3.1 ("Decode Public Key"):
/// the value must be base58btc (`z`), the varint prefix must name a supported
/// codec, the raw key must have exactly that codec's length, and the bytes must be a
/// valid key. In addition, the value must be the canonical encoding of the key it
/// decodes to (so one key has exactly one did:key).
///
/// # Errors
/// [`DidError::InvalidMultibase`], [`DidError::InvalidVarint`],
/// [`DidError::UnsupportedCodec`], [`DidError::InvalidKeyLength`],
/// [`DidError::InvalidKey`], [`DidError::NonCanonical`].
pub fn multikey_decode(value: &str) -> Result<PublicKey, DidError> {
    let bytes = multibase_decode(value).map_err(|_| DidError::InvalidMultibase)?;
    let (codec, used) = varint_decode(&bytes)?;
    let raw = bytes.get(used..).ok_or(DidError::InvalidVarint)?;
    let expected = match codec {
        CODEC_ED25519_PUB | CODEC_X25519_PUB => 32,
        CODEC_P256_PUB => 33,
        other => return Err(DidError::UnsupportedCodec(other)),
    };
    if raw.len() != expected {
        return Err(DidError::InvalidKeyLength {
            codec,
            expected,
            actual: raw.len(),
        });
    }
    let key = match codec {
        CODEC_ED25519_PUB => PublicKey::Ed25519(Ed25519PublicKey::from_bytes(raw)?),
        CODEC_X25519_PUB => PublicKey::X25519(X25519PublicKey::from_bytes(raw)?),
        _ => PublicKey::P256(P256PublicKey::from_sec1(raw)?),
    };
    // base58 and the checks above already make the encoding unique; this re-encode
    // is a cheap guard against any alias we did not think of.
    if multikey_encode(&key)? != value {
        return Err(DidError::NonCanonical);
    }
    Ok(key)
}

/// The did:key of `key`.
///
/// # Errors
/// [`DidError::UnsupportedKeyType`] for RSA.
pub fn encode(key: &PublicKey) -> Result<Did, DidError> {
    Did::parse(&format!("did:key:{}", multikey_encode(key)?))
}

/// The public key a did:key names.
///
/// # Errors
/// [`DidError::WrongMethod`] when `did` is not a did:key, and the errors of
/// [`multikey_decode`].
pub fn decode(did: &Did) -> Result<PublicKey, DidError> {
    if did.method() != METHOD {
        return Err(DidError::WrongMethod {
            expected: METHOD,
            actual: did.method().to_owned(),
        });
    }
    multikey_decode(did.method_specific_id())
}

/// The DID document of a did:key (did:key v0.7 §3.1 "Document Creation Algorithm"):
///
/// - Ed25519: one signature verification method `#<z6Mk…>` referenced from
///   `authentication`, `assertionMethod`, `capabilityInvocation` and
///   `capabilityDelegation`, plus (unless disabled) the derived X25519 key
///   `#<z6LS…>` in `keyAgreement`.
/// - X25519: one method, in `keyAgreement` only.
/// - P-256: one method in all five relationships.
///
/// # Errors
/// The errors of [`decode`], and [`DidError::UnsupportedFormat`] when the chosen
/// representation cannot hold the key (e.g. P-256 as `Ed25519VerificationKey2020`).
pub fn resolve(did: &Did, options: &ResolveOptions) -> Result<DidDocument, DidError> {
    let key = decode(did)?;
    let format = options.format;
    let mut doc = DidDocument::new(did.clone());
    let main = VerificationMethod::for_key(
        did.with_fragment(did.method_specific_id())?,
        did.clone(),
        key.clone(),
        format,
    )?;
    let main_id = main.id().clone();
    doc.add_method(main);
    match &key {
        PublicKey::Ed25519(ed) => {
            for rel in Relationship::SIGNING {
                doc.add_reference(rel, main_id.clone());
            }
            if options.enable_encryption_key_derivation {
                let x = PublicKey::X25519(ed.to_x25519());
                let fragment = multikey_encode(&x)?;
                let agreement = VerificationMethod::for_key(
                    did.with_fragment(&fragment)?,
                    did.clone(),
                    x,
                    format,
                )?;
                let agreement_id = agreement.id().clone();
                doc.add_method(agreement);
                doc.add_reference(Relationship::KeyAgreement, agreement_id);
            }
        }
        PublicKey::X25519(_) => doc.add_reference(Relationship::KeyAgreement, main_id),
        _ => {
            for rel in Relationship::ALL {
                doc.add_reference(rel, main_id.clone());
            }
        }
    }
    doc.set_context_from_methods();
    Ok(doc)
}

/// The primary verification method of a `did:key` (the one whose fragment is the
/// method-specific id) and its relationships: exactly what [`resolve`] followed by
/// dereferencing gives for that id, without building the rest of the document. For an
/// Ed25519 key the document also derives the X25519 key-agreement key, whose Montgomery
/// conversion (a field inversion) and base58 encoding cost more than the signature check
/// the caller is about to make (measured: most of a presentation verification).
pub(crate) fn primary_method(
    did: &Did,
    options: &ResolveOptions,
) -> Result<(VerificationMethod, Vec<Relationship>), DidError> {
    let key = decode(did)?;
    let relationships = Relationship::ALL
        .into_iter()
        .filter(|r| match &key {
            PublicKey::Ed25519(_) => *r != Relationship::KeyAgreement,
            PublicKey::X25519(_) => *r == Relationship::KeyAgreement,
            _ => true,
        })
        .collect();
    let method = VerificationMethod::for_key(
        did.with_fragment(did.method_specific_id())?,
        did.clone(),
        key,
        options.format,
    )?;
    Ok((method, relationships))
}

/// Unsigned LEB128 varint (multiformats unsigned-varint).
fn varint_encode(mut v: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(3);
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Decodes an unsigned varint; returns the value and the bytes used. The
/// multiformats unsigned-varint spec requires minimal encoding ("MUST be encoded
/// in the minimum number of bytes") and caps it at 9 bytes; both are enforced.
fn varint_decode(bytes: &[u8]) -> Result<(u64, usize), DidError> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            // A final byte of 0 after at least one byte is a padded (non-minimal) encoding.
            if b == 0 && i > 0 {
                return Err(DidError::InvalidVarint);
            }
            return Ok((value, i + 1));
        }
    }
    Err(DidError::InvalidVarint)
}

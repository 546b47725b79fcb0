//! The two JCS cryptosuites: hashing (vc-di-eddsa §3.3.4, vc-di-ecdsa §3.3.4),
//! signing and verification.

use core::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::DiError;
use crate::encoding::multibase_decode;
use crate::jcs::{write_members, write_object};
use crate::keys::{KeyError, KeyType, PrivateKey, PublicKey};

/// A Data Integrity cryptosuite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cryptosuite {
    /// `eddsa-jcs-2022` (vc-di-eddsa §3.3): Ed25519 over JCS.
    EddsaJcs2022,
    /// `ecdsa-jcs-2019` (vc-di-ecdsa §3.3) with P-256 and SHA-256. P-384 is not
    /// supported.
    EcdsaJcs2019,
}

impl Cryptosuite {
    /// The `cryptosuite` string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
            Self::EcdsaJcs2019 => "ecdsa-jcs-2019",
        }
    }

    /// Parses a `cryptosuite` value.
    ///
    /// # Errors
    /// [`DiError::UnsupportedCryptosuite`].
    pub fn parse(s: &str) -> Result<Self, DiError> {
        match s {
            "eddsa-jcs-2022" => Ok(Self::EddsaJcs2022),
            "ecdsa-jcs-2019" => Ok(Self::EcdsaJcs2019),
            other => Err(DiError::UnsupportedCryptosuite(
                other.chars().take(64).collect(),
            )),
        }
    }

    /// The key type the suite signs with.
    #[must_use]
    pub fn key_type(self) -> KeyType {
        match self {
            Self::EddsaJcs2022 => KeyType::Ed25519,
            Self::EcdsaJcs2019 => KeyType::P256,
        }
    }

    pub(super) fn check_key_type(self, key_type: KeyType) -> Result<(), DiError> {
        if key_type == self.key_type() {
            Ok(())
        } else {
            Err(DiError::KeyTypeMismatch {
                cryptosuite: self,
                key_type,
            })
        }
    }
}

impl fmt::Display for Cryptosuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `hashData = SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document))` (vc-di-eddsa
/// and vc-di-ecdsa §3.3.4 "Hashing": "proofConfigHash ... transformedDocumentHash
/// ... concatenating"). `proof_config` is the proof without `proofValue`;
/// `document` the document without `proof`. Exposed so that each intermediate of
/// the published test vectors can be checked.
///
/// # Errors
/// [`DiError::Canonicalization`].
pub fn hash_data(
    proof_config: &Map<String, Value>,
    document: &Map<String, Value>,
) -> Result<[u8; 64], DiError> {
    let mut buf = Vec::with_capacity(1024);
    write_object(proof_config, &mut buf)?;
    let config_hash = Sha256::digest(&buf);
    buf.clear();
    write_object(document, &mut buf)?;
    Ok(concat_hashes(&config_hash, &Sha256::digest(&buf)))
}

/// [`hash_data`] over objects given as their members (distinct names, any order):
/// views of the proof without `proofValue` and of the document without `proof`,
/// so that verification need not clone the document.
pub(super) fn hash_members(
    proof_config: &mut [(&str, &Value)],
    document: &mut [(&str, &Value)],
) -> Result<[u8; 64], DiError> {
    let mut buf = Vec::with_capacity(1024);
    write_members(proof_config, &mut buf)?;
    let config_hash = Sha256::digest(&buf);
    buf.clear();
    write_members(document, &mut buf)?;
    Ok(concat_hashes(&config_hash, &Sha256::digest(&buf)))
}

fn concat_hashes(config: &[u8], document: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let (first, second) = out.split_at_mut(32);
    first.copy_from_slice(config);
    second.copy_from_slice(document);
    out
}

pub(super) fn sign(key: &PrivateKey, hash_data: &[u8; 64]) -> Result<[u8; 64], DiError> {
    match key {
        PrivateKey::Ed25519(k) => Ok(k.sign(hash_data)),
        // vc-di-ecdsa §3.3.5: ECDSA with SHA-256 for P-256 over hashData; the
        // signature is the 64-byte r ‖ s (RFC 6979 deterministic nonce here).
        PrivateKey::P256(k) => Ok(k.sign_es256(hash_data)),
        other => Err(DiError::KeyTypeMismatch {
            cryptosuite: Cryptosuite::EddsaJcs2022,
            key_type: other.key_type(),
        }),
    }
}

pub(super) fn verify(
    suite: Cryptosuite,
    key: &PublicKey,
    hash_data: &[u8; 64],
    proof_value: &str,
) -> Result<(), DiError> {
    // §2.2.1 "proofValue ... MUST be ... base58-btc encoded" (a `z` multibase value).
    let signature = multibase_decode(proof_value).map_err(|_| DiError::BadProofValueEncoding)?;
    if signature.len() != 64 {
        return Err(DiError::BadProofValueEncoding);
    }
    let result = match (suite, key) {
        (Cryptosuite::EddsaJcs2022, PublicKey::Ed25519(k)) => k.verify(hash_data, &signature),
        (Cryptosuite::EcdsaJcs2019, PublicKey::P256(k)) => k.verify_es256(hash_data, &signature),
        (cryptosuite, key) => {
            return Err(DiError::KeyTypeMismatch {
                cryptosuite,
                key_type: key.key_type(),
            });
        }
    };
    // Every failure here (including an ECDSA scalar out of range) means the
    // signature does not verify.
    result.map_err(|_: KeyError| DiError::SignatureInvalid)
}

//! Ed25519 (RFC 8032) with strict verification.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::{KeyError, KeyType, X25519PrivateKey, X25519PublicKey};
use crate::random::SecureRandom;

/// An Ed25519 public key. Construction rejects encodings that are not points and
/// small-order ("weak") keys, for which a signature proves nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ed25519PublicKey(VerifyingKey);

impl core::fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Ed25519PublicKey({})",
            crate::encoding::b64u_encode(self.to_bytes())
        )
    }
}

impl Ed25519PublicKey {
    /// Parses the 32-byte compressed Edwards encoding.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length, a non-point or a small-order point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Invalid(KeyType::Ed25519))?;
        let key = VerifyingKey::from_bytes(arr).map_err(|_| KeyError::Invalid(KeyType::Ed25519))?;
        if key.is_weak() {
            return Err(KeyError::Invalid(KeyType::Ed25519));
        }
        Ok(Self(key))
    }

    /// The 32-byte encoding.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Verifies a 64-byte signature with `verify_strict`: non-canonical `S`, small-order
    /// `R` and other malleable encodings are rejected (RFC 8032 §5.1.7 plus the
    /// cofactorless strictness of ed25519-dalek).
    ///
    /// # Errors
    /// [`KeyError::BadSignature`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let sig = Signature::from_slice(signature).map_err(|_| KeyError::BadSignature)?;
        self.0
            .verify_strict(message, &sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// The birationally equivalent X25519 public key (the `z6LS…` key-agreement key
    /// derived from an Ed25519 did:key).
    #[must_use]
    pub fn to_x25519(&self) -> X25519PublicKey {
        X25519PublicKey::from_array(self.0.to_montgomery().to_bytes())
    }
}

/// An Ed25519 private key (the 32-byte seed). Zeroized on drop.
#[derive(Clone)]
pub struct Ed25519PrivateKey(SigningKey);

impl core::fmt::Debug for Ed25519PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Ed25519PrivateKey([redacted])")
    }
}

impl Ed25519PrivateKey {
    /// A fresh key from `rng`.
    ///
    /// # Errors
    /// [`KeyError::Random`].
    pub fn generate(rng: &mut impl SecureRandom) -> Result<Self, KeyError> {
        let seed = Zeroizing::new(rng.bytes::<32>()?);
        Ok(Self(SigningKey::from_bytes(&seed)))
    }

    /// The key for a 32-byte seed (RFC 8032 private key).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length.
    pub fn from_seed(seed: &[u8]) -> Result<Self, KeyError> {
        let arr: &[u8; 32] = seed
            .try_into()
            .map_err(|_| KeyError::Invalid(KeyType::Ed25519))?;
        Ok(Self(SigningKey::from_bytes(arr)))
    }

    /// The 32-byte seed, in a buffer that is zeroized on drop.
    #[must_use]
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (pure Ed25519, deterministic).
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The X25519 private key derived from this key's expanded secret scalar, matching
    /// [`Ed25519PublicKey::to_x25519`] (as libsodium's
    /// `crypto_sign_ed25519_sk_to_curve25519`).
    #[must_use]
    pub fn to_x25519(&self) -> X25519PrivateKey {
        let scalar = Zeroizing::new(self.0.to_scalar_bytes());
        X25519PrivateKey::from_array(*scalar)
    }
}

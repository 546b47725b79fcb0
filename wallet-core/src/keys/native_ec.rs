//! Ed25519 (`EdDSA`) and P-256 (`ES256`) signing with aws-lc-rs, behind the
//! `native-crypto` feature: the server signs its id_tokens with these.
//!
//! On the project's x86-64 machine aws-lc signs Ed25519 about twice as fast as
//! ed25519-dalek (12 µs against 26 µs) and ES256 several times faster than the `p256`
//! crate (BENCHMARKS.md). The key comes from a [`PrivateKey`] (the pure-Rust key the
//! server stores and reloads), and aws-lc must derive the same public key from it, or
//! the key is refused: the public key published in the JWKS is the pure-Rust one.
//!
//! Ed25519 signatures are deterministic (RFC 8032), so they equal the pure-Rust ones
//! byte for byte (tested, and against RFC 8032 §7.1). ES256 signatures from aws-lc use
//! a random nonce, as RFC 7518 allows; they verify with [`super::P256PublicKey`].

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};

use super::{KeyError, KeyType, PrivateKey, PublicKey};

/// An Ed25519 or P-256 private key held by aws-lc, for signing. Its `Debug` output
/// shows no private material.
pub struct NativeSigningKey {
    pair: Pair,
    public: PublicKey,
}

enum Pair {
    Ed25519(Ed25519KeyPair),
    P256(EcdsaKeyPair),
}

impl core::fmt::Debug for NativeSigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NativeSigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl NativeSigningKey {
    /// The aws-lc key for `key`, an Ed25519 or P-256 private key.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for another key type or when aws-lc refuses the key;
    /// [`KeyError::Mismatch`] when aws-lc derives another public key than `key`'s.
    pub fn from_private_key(key: &PrivateKey) -> Result<Self, KeyError> {
        let public = key.public_key();
        let pair = match (key, &public) {
            (PrivateKey::Ed25519(k), PublicKey::Ed25519(p)) => Pair::Ed25519(
                Ed25519KeyPair::from_seed_and_public_key(k.to_seed().as_slice(), &p.to_bytes())
                    .map_err(|_| KeyError::Mismatch)?,
            ),
            (PrivateKey::P256(k), PublicKey::P256(p)) => {
                let (x, y) = p.coordinates();
                let mut sec1 = [0u8; 65];
                sec1[0] = 0x04;
                sec1[1..33].copy_from_slice(&x);
                sec1[33..].copy_from_slice(&y);
                Pair::P256(
                    EcdsaKeyPair::from_private_key_and_public_key(
                        &ECDSA_P256_SHA256_FIXED_SIGNING,
                        k.to_bytes().as_slice(),
                        &sec1,
                    )
                    .map_err(|_| KeyError::Mismatch)?,
                )
            }
            (other, _) => return Err(KeyError::Invalid(other.key_type())),
        };
        Ok(Self { pair, public })
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// The key type: [`KeyType::Ed25519`] or [`KeyType::P256`].
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        match self.pair {
            Pair::Ed25519(_) => KeyType::Ed25519,
            Pair::P256(_) => KeyType::P256,
        }
    }

    /// Signs `message`: a 64-byte Ed25519 signature (RFC 8032), or the 64-byte
    /// `r || s` of ES256 over SHA-256 of `message` (RFC 7518 §3.4).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] when aws-lc fails to sign (it does not for a key it
    /// accepted, short of an entropy failure).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.pair {
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Pair::P256(pair) => pair
                .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Invalid(KeyType::P256)),
        }
    }
}

//! NIST P-256: ECDSA (ES256, RFC 7518 §3.4) and ECDH (for ECDH-ES, RFC 7518 §4.6).

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::sec1::ToSec1Point as _;
use zeroize::Zeroizing;

use super::{KeyError, KeyType};
use crate::random::SecureRandom;

/// A P-256 public key: a point on the curve, never the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct P256PublicKey(p256::PublicKey);

impl core::fmt::Debug for P256PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "P256PublicKey({})",
            crate::encoding::b64u_encode(self.to_sec1_compressed())
        )
    }
}

impl P256PublicKey {
    /// Parses a SEC1 point, compressed (33 bytes) or uncompressed (65 bytes).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for anything that is not a point on the curve.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        p256::PublicKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::Invalid(KeyType::P256))
    }

    /// Builds the key from its affine coordinates (a JWK's `x` and `y`, 32 bytes each,
    /// RFC 7518 §6.2.1.2 requires the full length).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length or a point not on the curve.
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        if x.len() != 32 || y.len() != 32 {
            return Err(KeyError::Invalid(KeyType::P256));
        }
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        Self::from_sec1(&sec1)
    }

    /// The affine coordinates `(x, y)`, 32 bytes each.
    #[must_use]
    pub fn coordinates(&self) -> ([u8; 32], [u8; 32]) {
        let point = self.0.to_sec1_point(false);
        let bytes = point.as_bytes();
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&bytes[1..33]);
        y.copy_from_slice(&bytes[33..65]);
        (x, y)
    }

    /// The 33-byte compressed SEC1 encoding (used by `did:key:zDn…`).
    #[must_use]
    pub fn to_sec1_compressed(&self) -> [u8; 33] {
        let point = self.0.to_sec1_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// Verifies an ES256 signature: the 64-byte `r || s` of RFC 7518 §3.4 over
    /// SHA-256 of `message`. `r` or `s` equal to zero or not below the group order is
    /// rejected (the "psychic signatures" class of bugs, CVE-2022-21449).
    ///
    /// # Errors
    /// [`KeyError::BadSignature`].
    pub fn verify_es256(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        if signature.len() != 64 {
            return Err(KeyError::BadSignature);
        }
        let sig = Signature::from_slice(signature).map_err(|_| KeyError::BadSignature)?;
        VerifyingKey::from(&self.0)
            .verify(message, &sig)
            .map_err(|_| KeyError::BadSignature)
    }

    pub(crate) fn inner(&self) -> &p256::PublicKey {
        &self.0
    }
}

/// A P-256 private key (a non-zero scalar). Zeroized on drop.
#[derive(Clone)]
pub struct P256PrivateKey(p256::SecretKey);

impl core::fmt::Debug for P256PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("P256PrivateKey([redacted])")
    }
}

impl P256PrivateKey {
    /// A fresh key: 32 random bytes, rejected and redrawn while not a valid scalar
    /// (probability ~2^-32 per draw).
    ///
    /// # Errors
    /// [`KeyError::Random`].
    pub fn generate(rng: &mut impl SecureRandom) -> Result<Self, KeyError> {
        loop {
            let bytes = Zeroizing::new(rng.bytes::<32>()?);
            if let Ok(key) = p256::SecretKey::from_slice(bytes.as_slice()) {
                return Ok(Self(key));
            }
        }
    }

    /// Parses the 32-byte big-endian scalar (a JWK's `d`).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length, zero, or a value not below the order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 32 {
            return Err(KeyError::Invalid(KeyType::P256));
        }
        p256::SecretKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| KeyError::Invalid(KeyType::P256))
    }

    /// The 32-byte scalar, in a buffer that is zeroized on drop.
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(self.0.to_bytes().as_slice());
        out
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> P256PublicKey {
        P256PublicKey(self.0.public_key())
    }

    /// Signs `message` with ES256 (deterministic nonces, RFC 6979); returns `r || s`.
    #[must_use]
    pub fn sign_es256(&self, message: &[u8]) -> [u8; 64] {
        let sig: Signature = SigningKey::from(&self.0).sign(message);
        let mut out = [0u8; 64];
        out.copy_from_slice(sig.to_bytes().as_slice());
        out
    }

    /// The ECDH shared secret with `peer`: the x-coordinate `Z` (RFC 7518 §4.6.2).
    /// The peer key was validated as a curve point at construction, which is what
    /// stops invalid-curve attacks.
    #[must_use]
    pub fn agree(&self, peer: &P256PublicKey) -> Zeroizing<[u8; 32]> {
        let shared = self.0.diffie_hellman(peer.inner());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(shared.raw_secret_bytes().as_slice());
        out
    }
}

//! Asymmetric keys: Ed25519 (signatures), P-256 (ECDSA and ECDH), X25519 (key
//! agreement) and RSA (OAEP-SHA256 encryption, RS256 verification).
//!
//! Private keys are zeroized on drop (the underlying crates' `zeroize` features) and
//! their `Debug` output is `[redacted]`. Nothing in this module reads a clock or an
//! ambient random source: generation takes a [`SecureRandom`].

mod ed25519;
#[cfg(feature = "native-crypto")]
mod native_ec;
#[cfg(feature = "native-crypto")]
mod native_rsa;
mod p256;
mod rsa;
mod x25519;

pub use self::ed25519::{Ed25519PrivateKey, Ed25519PublicKey};
#[cfg(feature = "native-crypto")]
pub use self::native_ec::NativeSigningKey;
#[cfg(feature = "native-crypto")]
pub use self::native_rsa::RsaSigningKey;
pub use self::p256::{P256PrivateKey, P256PublicKey};
pub use self::rsa::{RSA_MAX_BITS, RSA_MIN_BITS, RsaPrivateKey, RsaPublicKey};
pub use self::x25519::{X25519PrivateKey, X25519PublicKey};

use crate::random::{RandomError, SecureRandom};

/// What went wrong with a key or a key operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The bytes are not a valid key of the stated type (wrong length, not on the
    /// curve, the identity point, a zero or out-of-range scalar).
    #[error("invalid {0} key material")]
    Invalid(KeyType),
    /// The RSA modulus is smaller than [`RSA_MIN_BITS`] or larger than [`RSA_MAX_BITS`].
    #[error("RSA modulus of {0} bits is outside the allowed {RSA_MIN_BITS}..={RSA_MAX_BITS}")]
    RsaSize(usize),
    /// A signature did not verify (or was malformed, or was a non-canonical encoding).
    #[error("signature verification failed")]
    BadSignature,
    /// Decryption failed (wrong key or tampered ciphertext). Deliberately uninformative.
    #[error("decryption failed")]
    Decrypt,
    /// Encryption failed (e.g. the plaintext is too long for the RSA modulus).
    #[error("encryption failed")]
    Encrypt,
    /// A key agreement produced the all-zero shared secret: the peer sent a
    /// low-order point (RFC 7748 §6.1 permits aborting).
    #[error("key agreement with a low-order public key")]
    NonContributory,
    /// The private key does not match the public key it was given with.
    #[error("private key does not match its public key")]
    Mismatch,
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The kinds of asymmetric key this crate handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// Ed25519 (RFC 8032), for signatures.
    Ed25519,
    /// NIST P-256, for ES256 signatures and ECDH.
    P256,
    /// X25519 (RFC 7748), for key agreement.
    X25519,
    /// RSA, for OAEP encryption and RS256 verification.
    Rsa,
}

impl core::fmt::Display for KeyType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Ed25519 => "Ed25519",
            Self::P256 => "P-256",
            Self::X25519 => "X25519",
            Self::Rsa => "RSA",
        })
    }
}

/// Any public key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// Ed25519.
    Ed25519(Ed25519PublicKey),
    /// P-256.
    P256(P256PublicKey),
    /// X25519.
    X25519(X25519PublicKey),
    /// RSA.
    Rsa(RsaPublicKey),
}

impl PublicKey {
    /// Which kind of key this is.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        match self {
            Self::Ed25519(_) => KeyType::Ed25519,
            Self::P256(_) => KeyType::P256,
            Self::X25519(_) => KeyType::X25519,
            Self::Rsa(_) => KeyType::Rsa,
        }
    }
}

/// Any private key. Zeroized on drop; `Debug` prints only the key type.
#[non_exhaustive]
pub enum PrivateKey {
    /// Ed25519.
    Ed25519(Ed25519PrivateKey),
    /// P-256.
    P256(P256PrivateKey),
    /// X25519.
    X25519(X25519PrivateKey),
    /// RSA.
    Rsa(RsaPrivateKey),
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PrivateKey({}, [redacted])", self.key_type())
    }
}

impl PrivateKey {
    /// Generates a fresh key of the given type. RSA keys are generated at
    /// 4096 bits here; use [`RsaPrivateKey::generate`] to choose, and never on a path a
    /// user waits on (seconds in wasm).
    ///
    /// # Errors
    /// [`KeyError::Random`] when the random source fails.
    pub fn generate(key_type: KeyType, rng: &mut impl SecureRandom) -> Result<Self, KeyError> {
        Ok(match key_type {
            KeyType::Ed25519 => Self::Ed25519(Ed25519PrivateKey::generate(rng)?),
            KeyType::P256 => Self::P256(P256PrivateKey::generate(rng)?),
            KeyType::X25519 => Self::X25519(X25519PrivateKey::generate(rng)?),
            KeyType::Rsa => Self::Rsa(RsaPrivateKey::generate(rng, 4096)?),
        })
    }

    /// Which kind of key this is.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        match self {
            Self::Ed25519(_) => KeyType::Ed25519,
            Self::P256(_) => KeyType::P256,
            Self::X25519(_) => KeyType::X25519,
            Self::Rsa(_) => KeyType::Rsa,
        }
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        match self {
            Self::Ed25519(k) => PublicKey::Ed25519(k.public_key()),
            Self::P256(k) => PublicKey::P256(k.public_key()),
            Self::X25519(k) => PublicKey::X25519(k.public_key()),
            Self::Rsa(k) => PublicKey::Rsa(k.public_key()),
        }
    }
}

//! X25519 (RFC 7748) key agreement.

use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use super::{KeyError, KeyType};
use crate::random::SecureRandom;

/// An X25519 public key (32 bytes, the u-coordinate).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct X25519PublicKey([u8; 32]);

impl core::fmt::Debug for X25519PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "X25519PublicKey({})",
            crate::encoding::b64u_encode(self.0)
        )
    }
}

impl X25519PublicKey {
    /// Parses 32 bytes. Every 32-byte string is a valid u-coordinate (RFC 7748 §5);
    /// low-order points are caught at agreement time.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Invalid(KeyType::X25519))?;
        Ok(Self(arr))
    }

    pub(crate) fn from_array(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32-byte encoding.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Borrowed bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// An X25519 private key. Zeroized on drop.
#[derive(Clone)]
pub struct X25519PrivateKey(StaticSecret);

impl core::fmt::Debug for X25519PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("X25519PrivateKey([redacted])")
    }
}

impl X25519PrivateKey {
    /// A fresh key from `rng`.
    ///
    /// # Errors
    /// [`KeyError::Random`].
    pub fn generate(rng: &mut impl SecureRandom) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(rng.bytes::<32>()?);
        Ok(Self::from_array(*bytes))
    }

    /// The key for 32 secret bytes (clamped when used, RFC 7748 §5).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a wrong length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let arr: Zeroizing<[u8; 32]> = Zeroizing::new(
            bytes
                .try_into()
                .map_err(|_| KeyError::Invalid(KeyType::X25519))?,
        );
        Ok(Self::from_array(*arr))
    }

    pub(crate) fn from_array(bytes: [u8; 32]) -> Self {
        Self(StaticSecret::from(bytes))
    }

    /// The secret bytes, in a buffer that is zeroized on drop.
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> X25519PublicKey {
        X25519PublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }

    /// The raw X25519 shared secret with `peer`.
    ///
    /// # Errors
    /// [`KeyError::NonContributory`] when `peer` is a low-order point (all-zero output).
    pub fn agree(&self, peer: &X25519PublicKey) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let shared = self
            .0
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer.0));
        if !shared.was_contributory() {
            return Err(KeyError::NonContributory);
        }
        Ok(Zeroizing::new(shared.to_bytes()))
    }
}

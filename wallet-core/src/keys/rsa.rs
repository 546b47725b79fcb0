//! RSA: OAEP with SHA-256 (RSA-OAEP-256, RFC 7518 §4.3) and RS256 verification.
//!
//! Private-key operations of the `rsa` crate are not constant-time (the Marvin attack,
//! RUSTSEC-2023-0071). They are used only wallet-side, for the user's own key, where
//! there is no remote timing oracle; the server only encrypts and verifies.

use rsa::sha2::{Digest as _, Sha256};
use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
use rsa::{BigUint, Oaep, Pkcs1v15Sign};
use zeroize::Zeroizing;

use super::{KeyError, KeyType};
use crate::random::{Rng06, SecureRandom};

/// The smallest RSA modulus accepted anywhere (RFC 7518 §3.3 and §4.2 MUST).
pub const RSA_MIN_BITS: usize = 2048;
/// The largest RSA modulus accepted, which bounds the cost of an attacker's key.
pub const RSA_MAX_BITS: usize = 4096;

/// An RSA public key of [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`] bits.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey(rsa::RsaPublicKey);

impl core::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.bits())
    }
}

fn check_bits(n: &BigUint) -> Result<(), KeyError> {
    let bits = n.bits();
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        return Err(KeyError::RsaSize(bits));
    }
    Ok(())
}

impl RsaPublicKey {
    /// Builds the key from big-endian modulus `n` and exponent `e` (a JWK's `n`, `e`).
    ///
    /// # Errors
    /// [`KeyError::RsaSize`] for a modulus outside the allowed sizes,
    /// [`KeyError::Invalid`] for a bad exponent.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = BigUint::from_bytes_be(n);
        check_bits(&n)?;
        let e = BigUint::from_bytes_be(e);
        rsa::RsaPublicKey::new_with_max_size(n, e, RSA_MAX_BITS)
            .map(Self)
            .map_err(|_| KeyError::Invalid(KeyType::Rsa))
    }

    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.0.n().bits()
    }

    /// Big-endian modulus.
    #[must_use]
    pub fn n(&self) -> Vec<u8> {
        self.0.n().to_bytes_be()
    }

    /// Big-endian public exponent.
    #[must_use]
    pub fn e(&self) -> Vec<u8> {
        self.0.e().to_bytes_be()
    }

    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RSA-OAEP-256).
    ///
    /// # Errors
    /// [`KeyError::Encrypt`] when the message is too long, [`KeyError::Random`].
    pub fn encrypt_oaep_sha256(
        &self,
        rng: &mut impl SecureRandom,
        message: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let mut rng = Rng06::new(rng);
        let out = self
            .0
            .encrypt(&mut rng, Oaep::new::<Sha256>(), message)
            .map_err(|_| KeyError::Encrypt)?;
        rng.check()?;
        Ok(out)
    }

    /// Verifies an RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3).
    ///
    /// # Errors
    /// [`KeyError::BadSignature`].
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let hashed = Sha256::digest(message);
        self.0
            .verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, signature)
            .map_err(|_| KeyError::BadSignature)
    }
}

/// An RSA private key. Zeroized on drop. Wallet side only (see the module docs).
#[derive(Clone)]
pub struct RsaPrivateKey(rsa::RsaPrivateKey);

impl core::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "RsaPrivateKey({} bits, [redacted])",
            self.public_key().bits()
        )
    }
}

/// The private parameters of an RSA key (RFC 7518 §6.3.2), big-endian, zeroized on drop.
#[derive(zeroize::ZeroizeOnDrop)]
#[allow(missing_docs)]
pub struct RsaPrivateParts {
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub dp: Vec<u8>,
    pub dq: Vec<u8>,
    pub qi: Vec<u8>,
}

impl RsaPrivateKey {
    /// Generates a key of `bits` bits. Slow (seconds in wasm at 2048 bits): never on a
    /// path a user waits on.
    ///
    /// # Errors
    /// [`KeyError::RsaSize`], [`KeyError::Random`].
    pub fn generate(rng: &mut impl SecureRandom, bits: usize) -> Result<Self, KeyError> {
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(KeyError::RsaSize(bits));
        }
        let mut rng = Rng06::new(rng);
        let key =
            rsa::RsaPrivateKey::new(&mut rng, bits).map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        rng.check()?;
        Ok(Self(key))
    }

    /// Builds a key from `n`, `e`, `d` and the two primes, and validates it.
    ///
    /// # Errors
    /// [`KeyError::RsaSize`], [`KeyError::Invalid`] for inconsistent parameters.
    pub fn from_components(
        n: &[u8],
        e: &[u8],
        d: &[u8],
        p: &[u8],
        q: &[u8],
    ) -> Result<Self, KeyError> {
        let n = BigUint::from_bytes_be(n);
        check_bits(&n)?;
        let mut key = rsa::RsaPrivateKey::from_components(
            n,
            BigUint::from_bytes_be(e),
            BigUint::from_bytes_be(d),
            vec![BigUint::from_bytes_be(p), BigUint::from_bytes_be(q)],
        )
        .map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        key.validate()
            .map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        key.precompute()
            .map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        Ok(Self(key))
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> RsaPublicKey {
        RsaPublicKey(self.0.to_public_key())
    }

    /// The private parameters, for JWK export into the encrypted store.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a key without exactly two primes.
    pub fn private_parts(&self) -> Result<RsaPrivateParts, KeyError> {
        let primes = self.0.primes();
        let (Some(p), Some(q), true) = (primes.first(), primes.get(1), primes.len() == 2) else {
            return Err(KeyError::Invalid(KeyType::Rsa));
        };
        let mut key = self.0.clone();
        key.precompute()
            .map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        let (Some(dp), Some(dq), Some(qi)) = (key.dp(), key.dq(), key.crt_coefficient()) else {
            return Err(KeyError::Invalid(KeyType::Rsa));
        };
        Ok(RsaPrivateParts {
            d: self.0.d().to_bytes_be(),
            p: p.to_bytes_be(),
            q: q.to_bytes_be(),
            dp: dp.to_bytes_be(),
            dq: dq.to_bytes_be(),
            qi: qi.to_bytes_be(),
        })
    }

    /// Decrypts RSA-OAEP-256. Not constant-time: wallet side only.
    ///
    /// # Errors
    /// [`KeyError::Decrypt`].
    pub fn decrypt_oaep_sha256(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.0
            .decrypt(Oaep::new::<Sha256>(), ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Decrypt)
    }
}

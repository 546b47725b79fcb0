//! RSA signing with a constant-time backend (aws-lc-rs), behind the `native-crypto`
//! feature.
//!
//! The `rsa` crate's private-key operations are not constant time (the Marvin attack,
//! RUSTSEC-2023-0071), so this crate never signs with them (DESIGN §3). The server
//! signs RS256 id_tokens with this key instead; the public half converts to the
//! crate's [`RsaPublicKey`], so verification goes through [`crate::jws`] as usual.
//! aws-lc-rs reads its own OS entropy for key generation and RSA blinding: it does
//! not take a [`crate::random::SecureRandom`].

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeyPairComponents, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use zeroize::Zeroizing;

use super::{KeyError, KeyType, RSA_MAX_BITS, RSA_MIN_BITS, RsaPublicKey};
use crate::encoding::b64u_decode;
use crate::jwk::{Jwk, SecretParam};

/// An RSA private key for RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3)
/// signatures, held by aws-lc. Its `Debug` output shows no private material.
pub struct RsaSigningKey {
    pair: KeyPair,
    public: RsaPublicKey,
}

impl core::fmt::Debug for RsaSigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaSigningKey")
            .field("bits", &self.public.bits())
            .finish_non_exhaustive()
    }
}

impl RsaSigningKey {
    /// Generates a key with a modulus of `bits` bits: 2048, 3072 or 4096.
    ///
    /// # Errors
    /// [`KeyError::RsaSize`] for any other size; [`KeyError::Invalid`] when aws-lc
    /// fails to generate the key.
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            other => return Err(KeyError::RsaSize(other)),
        };
        let pair = KeyPair::generate(size).map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        Self::from_pair(pair)
    }

    /// Reads an unencrypted PKCS#8 (RFC 5208) DER private key.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] when the bytes are not a consistent RSA private key;
    /// [`KeyError::RsaSize`] for a modulus outside
    /// [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let pair = KeyPair::from_pkcs8(der).map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        Self::from_pair(pair)
    }

    /// Reads a private RSA JWK (RFC 7518 §6.3.2: `n`, `e`, `d`, `p`, `q`, `dp`, `dq`,
    /// `qi`, all required here). aws-lc checks that the components are consistent.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a missing, non-base64url or inconsistent member or
    /// a JWK that is not RSA; [`KeyError::RsaSize`] for a modulus outside
    /// [`RSA_MIN_BITS`]..=[`RSA_MAX_BITS`].
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        let invalid = || KeyError::Invalid(KeyType::Rsa);
        if jwk.kty != "RSA" {
            return Err(invalid());
        }
        let public = |v: &Option<String>| -> Result<Vec<u8>, KeyError> {
            b64u_decode(v.as_deref().ok_or_else(invalid)?).map_err(|_| invalid())
        };
        let private = |v: &Option<SecretParam>| -> Result<Zeroizing<Vec<u8>>, KeyError> {
            let s = v.as_ref().ok_or_else(invalid)?;
            b64u_decode(s.secret())
                .map(Zeroizing::new)
                .map_err(|_| invalid())
        };
        let components = KeyPairComponents {
            public_key: PublicKeyComponents {
                n: public(&jwk.n)?,
                e: public(&jwk.e)?,
            },
            d: private(&jwk.d)?,
            p: private(&jwk.p)?,
            q: private(&jwk.q)?,
            dP: private(&jwk.dp)?,
            dQ: private(&jwk.dq)?,
            qInv: private(&jwk.qi)?,
        };
        let pair = KeyPair::from_components(&components).map_err(|_| invalid())?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: KeyPair) -> Result<Self, KeyError> {
        let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let public = RsaPublicKey::from_components(&components.n, &components.e)?;
        let bits = public.bits();
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(KeyError::RsaSize(bits));
        }
        Ok(Self { pair, public })
    }

    /// The private key as unencrypted PKCS#8 DER, zeroized on drop.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] when aws-lc fails to serialize the key.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let der = self
            .pair
            .as_der()
            .map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }

    /// The public key, usable with [`crate::jws::verify`] and [`crate::jwk::Jwk`].
    #[must_use]
    pub fn public_key(&self) -> RsaPublicKey {
        self.public.clone()
    }

    /// The RS256 signature (RSASSA-PKCS1-v1_5, SHA-256) of `message`: as many bytes
    /// as the modulus.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] when aws-lc fails to sign.
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        // aws-lc-rs ignores the `rng` argument (its blinding uses its own entropy).
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
            .map_err(|_| KeyError::Invalid(KeyType::Rsa))?;
        Ok(signature)
    }
}

//! The algorithms: key management (`alg`, RFC 7518 §4), content encryption (`enc`,
//! RFC 7518 §5) and the Concat KDF of ECDH-ES (RFC 7518 §4.6.2).

use aes_gcm::aead::AeadInOut;
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::JweError;

/// Length of the AES-GCM initialization vector: RFC 7518 §5.3 "Use of an IV of size
/// 96 bits is REQUIRED with this algorithm".
pub const IV_LEN: usize = 12;
/// Length of the AES-GCM authentication tag: RFC 7518 §5.3 "The requested size of the
/// Authentication Tag output MUST be 128 bits".
pub const TAG_LEN: usize = 16;

/// A key management algorithm (the `alg` header), the ones this crate supports.
///
/// `RSA1_5` and `RSA-OAEP` (SHA-1) are deliberately absent, as are the password-based
/// and symmetric key-wrap modes; `none` is not a JWE algorithm at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyManagement {
    /// `ECDH-ES`: direct key agreement; the CEK is the Concat KDF output (RFC 7518 §4.6).
    EcdhEs,
    /// `ECDH-ES+A256KW`: the Concat KDF output wraps a random CEK with AES key wrap.
    EcdhEsA256Kw,
    /// `RSA-OAEP-256`: RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 7518 §4.3).
    RsaOaep256,
    /// `dir`: a shared symmetric key is the CEK (RFC 7518 §4.5).
    Dir,
}

impl KeyManagement {
    /// Every supported algorithm.
    pub const ALL: [Self; 4] = [
        Self::EcdhEs,
        Self::EcdhEsA256Kw,
        Self::RsaOaep256,
        Self::Dir,
    ];

    /// The registered `alg` name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::EcdhEs => "ECDH-ES",
            Self::EcdhEsA256Kw => "ECDH-ES+A256KW",
            Self::RsaOaep256 => "RSA-OAEP-256",
            Self::Dir => "dir",
        }
    }

    /// Parses an `alg` name (case-sensitive, RFC 7516 §4.1.1).
    ///
    /// # Errors
    /// [`JweError::UnsupportedAlgorithm`] for anything else, `none` included.
    pub fn from_name(name: &str) -> Result<Self, JweError> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| JweError::UnsupportedAlgorithm(name.to_owned()))
    }
}

impl core::fmt::Display for KeyManagement {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A content encryption algorithm (the `enc` header): AES-GCM with a 128- or 256-bit
/// key (RFC 7518 §5.3). `A128GCM` is the default `enc` of OpenID for Verifiable
/// Presentations 1.0 §8.3 (encrypted responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// `A128GCM`: AES-128 in Galois/Counter Mode (RFC 7518 §5.3).
    A128Gcm,
    /// `A256GCM`: AES-256 in Galois/Counter Mode (RFC 7518 §5.3).
    A256Gcm,
}

impl ContentEncryption {
    /// The registered `enc` name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::A128Gcm => "A128GCM",
            Self::A256Gcm => "A256GCM",
        }
    }

    /// Parses an `enc` name (case-sensitive, RFC 7516 §4.1.2).
    ///
    /// # Errors
    /// [`JweError::UnsupportedEncryption`].
    pub fn from_name(name: &str) -> Result<Self, JweError> {
        match name {
            "A128GCM" => Ok(Self::A128Gcm),
            "A256GCM" => Ok(Self::A256Gcm),
            other => Err(JweError::UnsupportedEncryption(other.to_owned())),
        }
    }

    /// The CEK length in bytes.
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A256Gcm => 32,
        }
    }

    /// Encrypts `plaintext` under `cek` with the 96-bit `iv`; `aad` is the ASCII of the
    /// encoded protected header (RFC 7516 §5.1 step 14). Returns ciphertext and tag.
    ///
    /// # Errors
    /// [`JweError::CekLength`] for a key of another length than [`Self::key_len`],
    /// [`JweError::Encrypt`] when the cipher refuses (inputs beyond AES-GCM's limits).
    pub fn encrypt(
        self,
        cek: &[u8],
        iv: &[u8; IV_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, [u8; TAG_LEN]), JweError> {
        let mut buf = plaintext.to_vec();
        let tag = match self {
            Self::A128Gcm => gcm_seal::<Aes128Gcm>(cek, iv, aad, &mut buf)?,
            Self::A256Gcm => gcm_seal::<Aes256Gcm>(cek, iv, aad, &mut buf)?,
        };
        Ok((buf, tag))
    }

    /// Decrypts and authenticates.
    ///
    /// # Errors
    /// [`JweError::CekLength`] for a key of another length than [`Self::key_len`] and
    /// the uninformative [`JweError::Decrypt`] when the tag does not verify.
    pub fn decrypt(
        self,
        cek: &[u8],
        iv: &[u8; IV_LEN],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<Zeroizing<Vec<u8>>, JweError> {
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        match self {
            Self::A128Gcm => gcm_open::<Aes128Gcm>(cek, iv, aad, &mut buf, tag)?,
            Self::A256Gcm => gcm_open::<Aes256Gcm>(cek, iv, aad, &mut buf, tag)?,
        }
        Ok(buf)
    }
}

/// The key schedule of `C`. The one length check: AES-GCM keys are exactly
/// `key_len()` bytes.
fn gcm_cipher<C: KeyInit>(cek: &[u8]) -> Result<C, JweError> {
    C::new_from_slice(cek).map_err(|_| JweError::CekLength(cek.len()))
}

/// Encrypts `buf` in place and returns the tag.
fn gcm_seal<C>(
    cek: &[u8],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN], JweError>
where
    C: KeyInit + AeadInOut<NonceSize = U12, TagSize = U16>,
{
    let tag = gcm_cipher::<C>(cek)?
        .encrypt_inout_detached(&(*iv).into(), aad, buf.into())
        .map_err(|_| JweError::Encrypt)?;
    Ok(tag.into())
}

/// Decrypts `buf` in place after verifying `tag`.
fn gcm_open<C>(
    cek: &[u8],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), JweError>
where
    C: KeyInit + AeadInOut<NonceSize = U12, TagSize = U16>,
{
    gcm_cipher::<C>(cek)?
        .decrypt_inout_detached(&(*iv).into(), aad, buf.into(), &(*tag).into())
        .map_err(|_| JweError::Decrypt)
}

impl core::fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as profiled by RFC 7518
/// §4.6.2: `OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo`, where
/// the first three are 32-bit big-endian length-prefixed, and `SuppPubInfo` is the
/// output length in bits, 32-bit big-endian. Fills `out` (its length is `keydatalen`).
///
/// `algorithm_id` is the `enc` name in direct key agreement and the `alg` name when
/// the output is a key-wrapping key.
///
/// # Errors
/// [`JweError::TooLarge`] for an input or output whose length does not fit the
/// 32-bit fields.
pub fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    out: &mut [u8],
) -> Result<(), JweError> {
    let too_large = || JweError::TooLarge {
        what: "Concat KDF input",
        max: u32::MAX as usize,
    };
    let len32 = |b: &[u8]| {
        u32::try_from(b.len())
            .map(u32::to_be_bytes)
            .map_err(|_| too_large())
    };
    let keydatalen_bits = out
        .len()
        .checked_mul(8)
        .and_then(|bits| u32::try_from(bits).ok())
        .ok_or_else(too_large)?;
    let alg_len = len32(algorithm_id.as_bytes())?;
    let apu_len = len32(apu)?;
    let apv_len = len32(apv)?;
    for (round, chunk) in (1u32..).zip(out.chunks_mut(32)) {
        let mut h = Sha256::new();
        h.update(round.to_be_bytes());
        h.update(z);
        h.update(alg_len);
        h.update(algorithm_id.as_bytes());
        h.update(apu_len);
        h.update(apu);
        h.update(apv_len);
        h.update(apv);
        h.update(keydatalen_bits.to_be_bytes());
        // SuppPrivInfo is empty (RFC 7518 §4.6.2).
        let digest = Zeroizing::new(h.finalize());
        let n = chunk.len();
        chunk.copy_from_slice(digest.get(..n).ok_or_else(too_large)?);
    }
    Ok(())
}

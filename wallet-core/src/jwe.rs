//! JWE compact serialization (RFC 7516) to public keys and with direct keys.
//!
//! Supported key management (`alg`): `ECDH-ES` and `ECDH-ES+A256KW` on P-256 and
//! X25519 (RFC 7518 §4.6, RFC 8037 §3.2), `RSA-OAEP-256` (RFC 7518 §4.3) and `dir`.
//! Content encryption (`enc`): `A128GCM` and `A256GCM` (RFC 7518 §5.3); `A256GCM`
//! unless [`EncryptOptions::enc`] says otherwise. The CEK length follows the
//! header's `enc` in every mode but `dir`, whose 32-byte key is `A256GCM` only.
//!
//! Decryption is strict: the caller lists the algorithms it accepts, the algorithm
//! must suit the key it holds, and anything this crate does not implement fully is an
//! error rather than ignored — `zip` (we never decompress), `crit`, `jku`/`x5u`/`jwk`
//! (keys chosen or fetched on the sender's say-so). Every authentication or key
//! unwrapping failure is one uninformative [`JweError::Decrypt`], so that RSA padding
//! errors cannot be told apart from tag failures (Bleichenbacher/Manger oracles).
//!
//! Every encryption draws a fresh CEK, IV and ephemeral key from the caller's
//! [`SecureRandom`].

mod alg;
mod header;

pub use self::alg::{ContentEncryption, IV_LEN, KeyManagement, TAG_LEN, concat_kdf};
pub use self::header::{Header, MAX_HEADER_LEN};

use aes_kw::{KeyInit as _, KwAes256};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::encoding::{b64u_decode, b64u_encode};
use crate::jwk::{Jwk, JwkError};
use crate::keys::{KeyError, KeyType, P256PrivateKey, PrivateKey, PublicKey, X25519PrivateKey};
use crate::random::{RandomError, SecureRandom};

/// The largest compact JWE [`decrypt`] accepts and [`encrypt`] produces (1 MiB).
pub const MAX_JWE_LEN: usize = 1024 * 1024;

/// Length of the `dir` key, which is an `A256GCM` key: [`encrypt_dir`] and
/// [`decrypt_dir`] refuse any other `enc`.
const DIR_KEY_LEN: usize = 32;
/// Length of the AES-256 key wrapping key of `ECDH-ES+A256KW`, whatever the `enc`.
const KEK_LEN: usize = 32;
/// AES key wrap adds one 64-bit block (RFC 3394 §2.2.1).
const KEY_WRAP_OVERHEAD: usize = 8;

/// A content encryption key, `enc.key_len()` bytes.
type Cek = Zeroizing<Vec<u8>>;

/// What went wrong while encrypting or decrypting a JWE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JweError {
    /// The input (or output) is larger than the stated limit.
    #[error("{what} is larger than {max} bytes")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// The limit in bytes.
        max: usize,
    },
    /// A compact JWE has exactly five dot-separated parts (RFC 7516 §7.1).
    #[error("a compact JWE has 5 parts, found {0}")]
    PartCount(usize),
    /// A part (or `apu`/`apv`) is not base64url without padding.
    #[error("{0} is not base64url")]
    Base64(&'static str),
    /// The protected header is not a JSON object.
    #[error("protected header is not a JSON object: {0}")]
    HeaderJson(String),
    /// A required header member is absent.
    #[error("header member {0:?} is required")]
    MissingHeader(&'static str),
    /// A header member has the wrong JSON type.
    #[error("header member {0:?} has the wrong type")]
    HeaderMemberType(&'static str),
    /// `alg` names an algorithm this crate does not implement (`none`, `RSA1_5`, …).
    #[error("unsupported key management algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// `enc` names an algorithm this crate does not implement, or one that the key
    /// management cannot use (`dir` keys are `A256GCM` only).
    #[error("unsupported content encryption algorithm {0:?}")]
    UnsupportedEncryption(String),
    /// The header has `zip`: compressed content is refused (decompression bombs).
    #[error("compressed JWEs (\"zip\") are not accepted")]
    Compression,
    /// The header has `crit`: no extension is understood, so RFC 7516 §4.1.13 requires
    /// rejecting it.
    #[error("critical header extensions (\"crit\") are not supported")]
    Critical,
    /// The header has `jku`, `x5u` or `jwk`: keys are never taken from the message.
    #[error("header member {0:?} is not accepted")]
    ForbiddenHeader(&'static str),
    /// An extra header member passed to encryption collides with one this module
    /// sets or refuses.
    #[error("header member {0:?} cannot be set as an extra member")]
    ReservedHeader(String),
    /// `alg` is supported but not in the caller's allow-list.
    #[error("algorithm {0} is not allowed here")]
    AlgorithmNotAllowed(KeyManagement),
    /// The algorithm does not fit the key (e.g. `RSA-OAEP-256` with a P-256 key).
    #[error("algorithm {alg} cannot be used with a {key} key")]
    KeyMismatch {
        /// The algorithm.
        alg: KeyManagement,
        /// The key's type.
        key: KeyType,
    },
    /// `dir` and `ECDH-ES` require an empty JWE Encrypted Key (RFC 7516 §5.2 step 10/11).
    #[error("the encrypted key must be empty for this algorithm")]
    EncryptedKeyNotEmpty,
    /// The JWE Encrypted Key has the wrong length for the algorithm and key.
    #[error("encrypted key of {0} bytes has the wrong length")]
    EncryptedKeyLength(usize),
    /// The IV is not 96 bits (RFC 7518 §5.3).
    #[error("IV of {0} bytes; AES-GCM requires 12")]
    IvLength(usize),
    /// The tag is not 128 bits (RFC 7518 §5.3).
    #[error("authentication tag of {0} bytes; AES-GCM requires 16")]
    TagLength(usize),
    /// A content encryption key of the wrong length was supplied.
    #[error("content encryption key of {0} bytes has the wrong length")]
    CekLength(usize),
    /// `epk` is on another curve than the recipient's key (or an unsupported one).
    #[error("ephemeral public key is not on the recipient's curve")]
    EpkCurveMismatch,
    /// `epk` is not a valid public key (not on the curve: the invalid-curve attack).
    #[error("ephemeral public key is invalid")]
    InvalidEpk,
    /// `epk` is a low-order X25519 point (the shared secret would be all zeros).
    #[error("ephemeral public key is a low-order point")]
    LowOrderEpk,
    /// Decryption failed: wrong key, tampered header, key, IV, ciphertext or tag.
    /// Deliberately uninformative.
    #[error("decryption failed")]
    Decrypt,
    /// The cipher refused to encrypt.
    #[error("encryption failed")]
    Encrypt,
    /// A key operation failed while encrypting (e.g. a low-order X25519 recipient).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The recipient JWK is not a usable public key.
    #[error(transparent)]
    Jwk(#[from] JwkError),
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Optional header members for encryption. `alg` and `epk` are set by the algorithm,
/// `enc` by [`Self::enc`]; `apu`/`apv` are raw bytes (base64url-encoded into the
/// header and fed to the Concat KDF for the ECDH-ES modes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncryptOptions {
    /// `kid`.
    pub kid: Option<String>,
    /// `typ`.
    pub typ: Option<String>,
    /// `cty` (`JWT` for a nested signed token).
    pub cty: Option<String>,
    /// `apu` (agreement PartyUInfo), raw bytes.
    pub apu: Option<Vec<u8>>,
    /// `apv` (agreement PartyVInfo), raw bytes.
    pub apv: Option<Vec<u8>>,
    /// Further members. Names handled above, and `zip`, `crit`, `jku`, `x5u`, `jwk`,
    /// are refused with [`JweError::ReservedHeader`].
    pub extra: Map<String, Value>,
    /// `enc`, the content encryption; `None` is `A256GCM`. OpenID4VP 1.0 §8.3
    /// responses default to `A128GCM`. [`encrypt_dir`] accepts only `A256GCM`.
    pub enc: Option<ContentEncryption>,
}

impl EncryptOptions {
    /// Options with only `kid` set.
    #[must_use]
    pub fn with_kid(kid: impl Into<String>) -> Self {
        Self {
            kid: Some(kid.into()),
            ..Self::default()
        }
    }

    fn header(&self, alg: KeyManagement) -> Result<Header, JweError> {
        if let Some(name) = self
            .extra
            .keys()
            .find(|k| Header::is_known(k) || header::REJECTED.contains(&k.as_str()))
        {
            return Err(JweError::ReservedHeader(name.clone()));
        }
        Ok(Header {
            alg,
            enc: self.enc.unwrap_or(ContentEncryption::A256Gcm),
            kid: self.kid.clone(),
            typ: self.typ.clone(),
            cty: self.cty.clone(),
            epk: None,
            apu: self.apu.as_ref().map(b64u_encode),
            apv: self.apv.as_ref().map(b64u_encode),
            extra: self.extra.clone(),
        })
    }
}

/// A decrypted JWE: its authenticated header and the plaintext (zeroized on drop,
/// not printed by `Debug`).
#[derive(Clone)]
pub struct Decrypted {
    /// The protected header (authenticated by the tag).
    pub header: Header,
    /// The plaintext.
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decrypted")
            .field("header", &self.header)
            .field(
                "plaintext",
                &format_args!("[{} bytes redacted]", self.plaintext.len()),
            )
            .finish()
    }
}

/// Encrypts `plaintext` to `recipient` with `alg` and `options.enc` (`A256GCM`
/// unless set).
///
/// `ECDH-ES` / `ECDH-ES+A256KW` need a P-256 or X25519 key, `RSA-OAEP-256` an RSA
/// key; `dir` goes through [`encrypt_dir`].
///
/// # Errors
/// [`JweError::KeyMismatch`], [`JweError::ReservedHeader`], [`JweError::TooLarge`],
/// [`JweError::Key`] (e.g. a low-order X25519 recipient), [`JweError::Random`].
pub fn encrypt(
    plaintext: &[u8],
    recipient: &PublicKey,
    alg: KeyManagement,
    options: &EncryptOptions,
    rng: &mut impl SecureRandom,
) -> Result<String, JweError> {
    check_plaintext(plaintext)?;
    let mut header = options.header(alg)?;
    let enc = header.enc;
    let apu = options.apu.as_deref().unwrap_or_default();
    let apv = options.apv.as_deref().unwrap_or_default();
    let (cek, encrypted_key) = match (alg, recipient) {
        (KeyManagement::EcdhEs | KeyManagement::EcdhEsA256Kw, PublicKey::P256(pk)) => {
            let eph = P256PrivateKey::generate(rng)?;
            let z = eph.agree(pk);
            header.epk = Some(Jwk::from_public_key(&PublicKey::P256(eph.public_key())));
            ecdh_sender_cek(alg, enc, z.as_slice(), apu, apv, rng)?
        }
        (KeyManagement::EcdhEs | KeyManagement::EcdhEsA256Kw, PublicKey::X25519(pk)) => {
            let eph = X25519PrivateKey::generate(rng)?;
            let z = eph.agree(pk)?;
            header.epk = Some(Jwk::from_public_key(&PublicKey::X25519(eph.public_key())));
            ecdh_sender_cek(alg, enc, z.as_slice(), apu, apv, rng)?
        }
        (KeyManagement::RsaOaep256, PublicKey::Rsa(pk)) => {
            let cek = random_cek(enc, rng)?;
            let encrypted_key = pk.encrypt_oaep_sha256(rng, cek.as_slice())?;
            (cek, encrypted_key)
        }
        (alg, key) => {
            return Err(JweError::KeyMismatch {
                alg,
                key: key.key_type(),
            });
        }
    };
    seal(&header, &cek, &encrypted_key, plaintext, rng)
}

/// [`encrypt`] to the public key in `recipient`; its `kid` becomes the header's
/// `kid` unless `options` sets one.
///
/// # Errors
/// [`JweError::Jwk`] for a JWK that is not a valid public key, and those of
/// [`encrypt`].
pub fn encrypt_to_jwk(
    plaintext: &[u8],
    recipient: &Jwk,
    alg: KeyManagement,
    options: &EncryptOptions,
    rng: &mut impl SecureRandom,
) -> Result<String, JweError> {
    let key = recipient.to_public_key()?;
    if options.kid.is_none() && recipient.kid.is_some() {
        let options = EncryptOptions {
            kid: recipient.kid.clone(),
            ..options.clone()
        };
        return encrypt(plaintext, &key, alg, &options, rng);
    }
    encrypt(plaintext, &key, alg, options, rng)
}

/// Encrypts with `alg` `dir`: `key` is the `A256GCM` content encryption key itself.
///
/// # Errors
/// [`JweError::UnsupportedEncryption`] when `options.enc` is not `A256GCM`,
/// [`JweError::ReservedHeader`], [`JweError::TooLarge`], [`JweError::Random`].
pub fn encrypt_dir(
    plaintext: &[u8],
    key: &[u8; DIR_KEY_LEN],
    options: &EncryptOptions,
    rng: &mut impl SecureRandom,
) -> Result<String, JweError> {
    check_plaintext(plaintext)?;
    let header = options.header(KeyManagement::Dir)?;
    check_dir_enc(header.enc)?;
    seal(&header, key, &[], plaintext, rng)
}

/// Decrypts a compact JWE with `key`, accepting only the key management algorithms
/// in `allowed`. Any supported `enc` is accepted; the CEK (derived, unwrapped or
/// decrypted) must have the key length of the header's `enc`.
///
/// # Errors
/// Structural errors ([`JweError::TooLarge`], [`JweError::PartCount`],
/// [`JweError::Base64`], header errors, [`JweError::IvLength`],
/// [`JweError::TagLength`]), policy errors ([`JweError::AlgorithmNotAllowed`],
/// [`JweError::KeyMismatch`]), key-management errors
/// ([`JweError::EncryptedKeyNotEmpty`], [`JweError::EncryptedKeyLength`],
/// [`JweError::MissingHeader`] for `epk`, [`JweError::EpkCurveMismatch`],
/// [`JweError::InvalidEpk`], [`JweError::LowOrderEpk`], [`JweError::Base64`] for
/// `apu`/`apv`), and [`JweError::Decrypt`] for everything cryptographic.
pub fn decrypt(
    compact: &str,
    key: &PrivateKey,
    allowed: &[KeyManagement],
) -> Result<Decrypted, JweError> {
    let parts = Parts::parse(compact)?;
    let alg = parts.header.alg;
    if !allowed.contains(&alg) {
        return Err(JweError::AlgorithmNotAllowed(alg));
    }
    let cek = match (alg, key) {
        (KeyManagement::EcdhEs | KeyManagement::EcdhEsA256Kw, PrivateKey::P256(k)) => {
            parts.check_ecdh_encrypted_key()?;
            let epk = parts.epk(KeyType::P256)?;
            let PublicKey::P256(epk) = epk else {
                return Err(JweError::EpkCurveMismatch);
            };
            let z = k.agree(&epk);
            parts.ecdh_recipient_cek(z.as_slice())?
        }
        (KeyManagement::EcdhEs | KeyManagement::EcdhEsA256Kw, PrivateKey::X25519(k)) => {
            parts.check_ecdh_encrypted_key()?;
            let PublicKey::X25519(epk) = parts.epk(KeyType::X25519)? else {
                return Err(JweError::EpkCurveMismatch);
            };
            let z = k.agree(&epk).map_err(|_| JweError::LowOrderEpk)?;
            parts.ecdh_recipient_cek(z.as_slice())?
        }
        (KeyManagement::RsaOaep256, PrivateKey::Rsa(k)) => {
            // The length of an RSA ciphertext is public (the modulus size), so
            // checking it gives nothing away; what follows must not distinguish.
            let modulus_len = k.public_key().bits().div_ceil(8);
            if parts.encrypted_key.len() != modulus_len {
                return Err(JweError::EncryptedKeyLength(parts.encrypted_key.len()));
            }
            // RFC 7516 §11.5: padding failures and a CEK of the wrong length must be
            // indistinguishable from a bad tag, or the recipient is a padding oracle.
            let cek = k
                .decrypt_oaep_sha256(&parts.encrypted_key)
                .map_err(|_| JweError::Decrypt)?;
            if cek.len() != parts.header.enc.key_len() {
                return Err(JweError::Decrypt);
            }
            cek
        }
        (alg, key) => {
            return Err(JweError::KeyMismatch {
                alg,
                key: key.key_type(),
            });
        }
    };
    parts.open(&cek)
}

/// Decrypts a compact JWE whose `alg` is `dir` and `enc` `A256GCM`, with the shared
/// `A256GCM` key.
///
/// # Errors
/// [`JweError::AlgorithmNotAllowed`] for any other `alg`,
/// [`JweError::UnsupportedEncryption`] for any other `enc`,
/// [`JweError::EncryptedKeyNotEmpty`], the structural errors of [`decrypt`], and
/// [`JweError::Decrypt`].
pub fn decrypt_dir(compact: &str, key: &[u8; DIR_KEY_LEN]) -> Result<Decrypted, JweError> {
    let parts = Parts::parse(compact)?;
    if parts.header.alg != KeyManagement::Dir {
        return Err(JweError::AlgorithmNotAllowed(parts.header.alg));
    }
    check_dir_enc(parts.header.enc)?;
    // RFC 7516 §5.2 step 11: "When Direct Encryption is employed, verify that the JWE
    // Encrypted Key value is an empty octet sequence."
    if !parts.encrypted_key.is_empty() {
        return Err(JweError::EncryptedKeyNotEmpty);
    }
    parts.open(key)
}

/// Parses and checks the structure and header of a compact JWE without decrypting
/// it, e.g. to pick a key by `kid`. Nothing returned here is authenticated yet.
///
/// # Errors
/// The structural and header errors of [`decrypt`].
pub fn peek_header(compact: &str) -> Result<Header, JweError> {
    Parts::parse(compact).map(|p| p.header)
}

fn check_plaintext(plaintext: &[u8]) -> Result<(), JweError> {
    if plaintext.len() > MAX_JWE_LEN {
        return Err(JweError::TooLarge {
            what: "plaintext",
            max: MAX_JWE_LEN,
        });
    }
    Ok(())
}

/// `dir` keys are `A256GCM` keys ([`DIR_KEY_LEN`] bytes); no other `enc` may use them.
fn check_dir_enc(enc: ContentEncryption) -> Result<(), JweError> {
    if enc == ContentEncryption::A256Gcm {
        Ok(())
    } else {
        Err(JweError::UnsupportedEncryption(enc.name().to_owned()))
    }
}

/// A fresh random CEK for `enc`.
fn random_cek(enc: ContentEncryption, rng: &mut impl SecureRandom) -> Result<Cek, JweError> {
    let mut cek = Zeroizing::new(vec![0u8; enc.key_len()]);
    rng.fill(cek.as_mut_slice())?;
    Ok(cek)
}

/// The sender's CEK and JWE Encrypted Key for the ECDH-ES modes (RFC 7518 §4.6.2).
fn ecdh_sender_cek(
    alg: KeyManagement,
    enc: ContentEncryption,
    z: &[u8],
    apu: &[u8],
    apv: &[u8],
    rng: &mut impl SecureRandom,
) -> Result<(Cek, Vec<u8>), JweError> {
    if alg == KeyManagement::EcdhEs {
        // Direct key agreement: the Concat KDF output is the CEK, so its length is the
        // `enc` key length and AlgorithmID is the "enc" value; the JWE Encrypted Key
        // is the empty octet sequence.
        let mut cek = Zeroizing::new(vec![0u8; enc.key_len()]);
        concat_kdf(z, enc.name(), apu, apv, cek.as_mut_slice())?;
        return Ok((cek, Vec::new()));
    }
    // Key agreement with key wrapping: the output is an A256KW key and AlgorithmID is
    // the "alg" value; the wrapped CEK has the `enc` key length.
    let mut kek = Zeroizing::new([0u8; KEK_LEN]);
    concat_kdf(z, alg.name(), apu, apv, kek.as_mut_slice())?;
    let cek = random_cek(enc, rng)?;
    let kw = KwAes256::new_from_slice(kek.as_slice()).map_err(|_| JweError::Encrypt)?;
    let mut wrapped = vec![0u8; cek.len() + KEY_WRAP_OVERHEAD];
    kw.wrap_key(cek.as_slice(), &mut wrapped)
        .map_err(|_| JweError::Encrypt)?;
    Ok((cek, wrapped))
}

/// Encrypts the content and assembles the compact serialization (RFC 7516 §5.1).
fn seal(
    header: &Header,
    cek: &[u8],
    encrypted_key: &[u8],
    plaintext: &[u8],
    rng: &mut impl SecureRandom,
) -> Result<String, JweError> {
    let iv = rng.bytes::<IV_LEN>()?;
    let protected = b64u_encode(header.to_json());
    // RFC 7516 §5.1 step 14: AAD = ASCII(Encoded Protected Header).
    let (ciphertext, tag) = header
        .enc
        .encrypt(cek, &iv, protected.as_bytes(), plaintext)?;
    let compact = [
        protected,
        b64u_encode(encrypted_key),
        b64u_encode(iv),
        b64u_encode(ciphertext),
        b64u_encode(tag),
    ]
    .join(".");
    if compact.len() > MAX_JWE_LEN {
        return Err(JweError::TooLarge {
            what: "JWE",
            max: MAX_JWE_LEN,
        });
    }
    Ok(compact)
}

/// A structurally valid compact JWE, decoded.
struct Parts<'a> {
    protected_b64: &'a str,
    header: Header,
    encrypted_key: Vec<u8>,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

impl<'a> Parts<'a> {
    fn parse(compact: &'a str) -> Result<Self, JweError> {
        if compact.len() > MAX_JWE_LEN {
            return Err(JweError::TooLarge {
                what: "JWE",
                max: MAX_JWE_LEN,
            });
        }
        let parts: Vec<&str> = compact.split('.').collect();
        let [protected_b64, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
            return Err(JweError::PartCount(parts.len()));
        };
        // Bound the header before decoding it (base64 expands by 4/3).
        if protected_b64.len() > MAX_HEADER_LEN.div_ceil(3) * 4 {
            return Err(JweError::TooLarge {
                what: "protected header",
                max: MAX_HEADER_LEN,
            });
        }
        let decode = |s: &str, what| b64u_decode(s).map_err(|_| JweError::Base64(what));
        let header_json = decode(protected_b64, "protected header")?;
        let encrypted_key = decode(encrypted_key, "encrypted key")?;
        let iv = decode(iv, "IV")?;
        let ciphertext = decode(ciphertext, "ciphertext")?;
        let tag = decode(tag, "authentication tag")?;
        let header = Header::from_json(&header_json)?;
        // RFC 7518 §5.3: a 96-bit IV and a 128-bit tag, nothing else.
        let iv: [u8; IV_LEN] = iv
            .as_slice()
            .try_into()
            .map_err(|_| JweError::IvLength(iv.len()))?;
        let tag: [u8; TAG_LEN] = tag
            .as_slice()
            .try_into()
            .map_err(|_| JweError::TagLength(tag.len()))?;
        Ok(Self {
            protected_b64,
            header,
            encrypted_key,
            iv,
            ciphertext,
            tag,
        })
    }

    /// RFC 7516 §5.2 step 10: "When Direct Key Agreement is employed, verify that the
    /// JWE Encrypted Key value is an empty octet sequence." For key wrapping, the
    /// wrapped key is a CEK of the header's `enc`, one key-wrap block longer.
    fn check_ecdh_encrypted_key(&self) -> Result<(), JweError> {
        let wrapped_len = self.header.enc.key_len() + KEY_WRAP_OVERHEAD;
        match self.header.alg {
            KeyManagement::EcdhEs if !self.encrypted_key.is_empty() => {
                Err(JweError::EncryptedKeyNotEmpty)
            }
            KeyManagement::EcdhEsA256Kw if self.encrypted_key.len() != wrapped_len => {
                Err(JweError::EncryptedKeyLength(self.encrypted_key.len()))
            }
            _ => Ok(()),
        }
    }

    /// The validated `epk`, which must be on `curve`. Validation (a point on the
    /// curve, not the identity) happens in `Jwk::to_public_key`; skipping it is the
    /// invalid-curve attack that leaks the recipient's private key.
    fn epk(&self, curve: KeyType) -> Result<PublicKey, JweError> {
        let epk = self
            .header
            .epk
            .as_ref()
            .ok_or(JweError::MissingHeader("epk"))?;
        if epk.key_type().ok() != Some(curve) {
            return Err(JweError::EpkCurveMismatch);
        }
        epk.to_public_key().map_err(|_| JweError::InvalidEpk)
    }

    fn party_info(&self) -> Result<(Vec<u8>, Vec<u8>), JweError> {
        let decode = |v: Option<&String>, what| {
            v.map_or(Ok(Vec::new()), |s| {
                b64u_decode(s).map_err(|_| JweError::Base64(what))
            })
        };
        Ok((
            decode(self.header.apu.as_ref(), "apu")?,
            decode(self.header.apv.as_ref(), "apv")?,
        ))
    }

    /// The recipient's CEK for the ECDH-ES modes (RFC 7518 §4.6.2), of the header's
    /// `enc` key length. The encrypted key's length was checked by
    /// [`Self::check_ecdh_encrypted_key`].
    fn ecdh_recipient_cek(&self, z: &[u8]) -> Result<Cek, JweError> {
        let (apu, apv) = self.party_info()?;
        let enc = self.header.enc;
        let mut cek = Zeroizing::new(vec![0u8; enc.key_len()]);
        if self.header.alg == KeyManagement::EcdhEs {
            concat_kdf(z, enc.name(), &apu, &apv, cek.as_mut_slice())?;
            return Ok(cek);
        }
        let mut kek = Zeroizing::new([0u8; KEK_LEN]);
        concat_kdf(z, self.header.alg.name(), &apu, &apv, kek.as_mut_slice())?;
        let kw = KwAes256::new_from_slice(kek.as_slice()).map_err(|_| JweError::Decrypt)?;
        kw.unwrap_key(&self.encrypted_key, cek.as_mut_slice())
            .map_err(|_| JweError::Decrypt)?;
        Ok(cek)
    }

    fn open(self, cek: &[u8]) -> Result<Decrypted, JweError> {
        let plaintext = self.header.enc.decrypt(
            cek,
            &self.iv,
            self.protected_b64.as_bytes(),
            &self.ciphertext,
            &self.tag,
        )?;
        Ok(Decrypted {
            header: self.header,
            plaintext,
        })
    }
}

//! The wallet at rest: a password-encrypted, versioned, self-describing blob
//! (DESIGN.md §3 "wallet at rest", §6), stored as a string in `chrome.storage.local`.
//!
//! AES-256-GCM under a 32-byte key that Argon2id (RFC 9106, v1.3) derives from the
//! password. The blob header — format version, KDF id and parameters, salt, nonce,
//! plaintext length — is the GCM associated data, so a parameter downgrade or a
//! version swap fails authentication. The exact layout is in `docs/store-format.md`.
//!
//! Every function is pure: it takes the stored blob as a `&str` and returns a *new*
//! blob for the caller to write back. A failed operation returns `Err` and nothing
//! else, so the stored blob can never be replaced by the result of a failure.
//!
//! Salt and nonce policy:
//! - every write that has the password ([`seal_new`], [`change_password`], the upgrade
//!   inside [`unlock`]) draws a fresh salt **and** a fresh nonce, so the key changes;
//! - a write with the cached key ([`reseal`], e.g. from the service worker after a
//!   restart) draws a fresh nonce and keeps salt and parameters, because the key is a
//!   function of them and changing the salt needs the password. 96-bit random nonces
//!   under one key are safe for far more writes than a wallet makes (NIST SP 800-38D
//!   §8.3 limits random IVs to 2^32 invocations per key).
//!
//! Format versions: 2 is current; 1 is an earlier layout (fixed Argon2id m=4096 KiB,
//! t=3, p=1 and only `magic ‖ version` authenticated), read so that it can be upgraded.

mod format;
mod key;
mod params;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::array::Array;
use aes_gcm::aead::{AeadInOut as _, KeyInit as _};
use zeroize::Zeroizing;

pub use self::key::{DerivedKey, Password};
pub use self::params::KdfParams;

use self::format::{NONCE_LEN, ParsedBlob, SALT_LEN};
use crate::random::{RandomError, SecureRandom};

/// The current format version, written by every function here.
pub const CURRENT_VERSION: u8 = format::VERSION_2;
/// Largest plaintext a blob can hold (8 MiB).
pub const MAX_PLAINTEXT_LEN: usize = format::MAX_PLAINTEXT_LEN;
/// Longest blob string accepted; longer input is refused before it is decoded.
pub const MAX_BLOB_LEN: usize = format::MAX_BLOB_LEN;

/// What went wrong with a wallet blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The blob string is longer than [`MAX_BLOB_LEN`]; it was not decoded.
    #[error("blob of {len} characters exceeds the maximum of {max}")]
    Oversize {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The blob ends before its header or its ciphertext is complete.
    #[error("blob is truncated")]
    Truncated,
    /// The blob is not a wallet blob: not base64url, wrong magic, impossible lengths,
    /// trailing bytes. The reason is for logs only.
    #[error("blob is malformed: {0}")]
    Malformed(&'static str),
    /// The format version is not one this build reads.
    #[error("unknown blob format version {0}")]
    UnknownVersion(u8),
    /// The KDF identifier is not Argon2id.
    #[error("unsupported key-derivation function id {0}")]
    UnsupportedKdf(u8),
    /// The Argon2 version is not 1.3 (0x13).
    #[error("unsupported Argon2 version {0:#04x}")]
    UnsupportedKdfVersion(u8),
    /// Argon2id parameters above the maxima (1 GiB, 10 passes, 4 lanes) or with zero
    /// passes or lanes: refused before any memory is allocated.
    #[error("Argon2id parameters out of bounds (m={m_cost_kib} KiB, t={t_cost}, p={p_cost})")]
    ParamsOutOfBounds {
        /// Memory cost in KiB.
        m_cost_kib: u32,
        /// Passes.
        t_cost: u32,
        /// Lanes.
        p_cost: u32,
    },
    /// Argon2id memory cost below the floor of the current format
    /// ([`KdfParams::MIN_M_COST_KIB`]).
    #[error("Argon2id parameters below the floor (m={m_cost_kib} KiB, t={t_cost})")]
    ParamsTooWeak {
        /// Memory cost in KiB.
        m_cost_kib: u32,
        /// Passes.
        t_cost: u32,
    },
    /// AES-GCM authentication failed after a successful parse: the password is wrong or
    /// the blob (header or ciphertext) was altered. The two cannot be told apart.
    #[error("wrong password or tampered blob")]
    WrongPasswordOrTampered,
    /// The cached key's salt and parameters match the blob but authentication failed:
    /// the key bytes are wrong or the blob was altered.
    #[error("wrong key or tampered blob")]
    WrongKeyOrTampered,
    /// The cached key was derived for another blob (another salt or other parameters,
    /// e.g. the password was changed since the key was cached).
    #[error("the key does not belong to this blob")]
    KeyMismatch,
    /// The plaintext to seal is larger than [`MAX_PLAINTEXT_LEN`].
    #[error("plaintext of {len} bytes exceeds the maximum of {max}")]
    PlaintextTooLarge {
        /// Length of the plaintext.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A new password is empty.
    #[error("the new password is empty")]
    EmptyPassword,
    /// The string given to [`DerivedKey::import`] is not an exported key.
    #[error("invalid exported key")]
    InvalidExportedKey,
    /// The Argon2 working memory could not be allocated.
    #[error("out of memory for the key derivation")]
    OutOfMemory,
    /// The Argon2 implementation rejected its inputs (not expected after validation).
    #[error("key derivation failed")]
    Kdf,
    /// AES-GCM refused to encrypt (not expected for bounded plaintexts).
    #[error("encryption failed")]
    Encrypt,
    /// The random number generator failed; nothing was produced.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// What [`inspect`] can tell about a blob without the password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlobInfo {
    /// Format version.
    pub version: u8,
    /// Argon2id parameters.
    pub params: KdfParams,
    /// Argon2id salt.
    pub salt: Vec<u8>,
    /// AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
}

impl BlobInfo {
    /// `true` when [`unlock`] with this `target` would return an upgraded blob: an
    /// older format version, or parameters weaker than `target`.
    #[must_use]
    pub fn needs_upgrade(&self, target: &KdfParams) -> bool {
        self.version < CURRENT_VERSION || self.params.is_weaker_than(target)
    }
}

/// An opened wallet.
pub struct Unlocked {
    plaintext: Zeroizing<Vec<u8>>,
    key: DerivedKey,
    upgraded_blob: Option<String>,
}

impl Unlocked {
    /// The decrypted wallet contents.
    #[must_use]
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// The key for [`reseal`] and [`unlock_with_key`]: after an upgrade, the key of
    /// the upgraded blob.
    #[must_use]
    pub fn key(&self) -> &DerivedKey {
        &self.key
    }

    /// When the blob was in an older format or had weaker parameters than asked for:
    /// the same plaintext re-encrypted at the current version and parameters with a
    /// fresh salt and nonce. The caller writes it back in place of the old blob.
    #[must_use]
    pub fn upgraded_blob(&self) -> Option<&str> {
        self.upgraded_blob.as_deref()
    }

    /// Plaintext, key and upgraded blob, by value.
    #[must_use]
    pub fn into_parts(self) -> (Zeroizing<Vec<u8>>, DerivedKey, Option<String>) {
        (self.plaintext, self.key, self.upgraded_blob)
    }
}

impl core::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Unlocked")
            .field("plaintext", &"[redacted]")
            .field("key", &self.key)
            .field("upgraded", &self.upgraded_blob.is_some())
            .finish()
    }
}

/// Encrypts `plaintext` under a new password: fresh salt, fresh nonce, `params`.
/// Returns the blob and its key.
///
/// # Errors
/// [`StoreError::EmptyPassword`], [`StoreError::PlaintextTooLarge`],
/// [`StoreError::Random`], [`StoreError::OutOfMemory`].
pub fn seal_new(
    plaintext: &[u8],
    password: &Password,
    params: KdfParams,
    rng: &mut impl SecureRandom,
) -> Result<(String, DerivedKey), StoreError> {
    if password.is_empty() {
        return Err(StoreError::EmptyPassword);
    }
    check_plaintext_len(plaintext)?;
    let salt = rng.bytes::<SALT_LEN>()?;
    let key = DerivedKey::derive(password, &salt, params)?;
    let blob = seal_with_key(plaintext, &key, rng)?;
    Ok((blob, key))
}

/// Decrypts `blob` with the password.
///
/// When the blob is in an older format or its parameters are weaker than `target`
/// (normally [`KdfParams::default`]), the plaintext is re-encrypted at the current
/// version and `target` with a fresh salt and nonce, and returned as
/// [`Unlocked::upgraded_blob`]; the returned key is then the new blob's key.
///
/// # Errors
/// Parse errors ([`StoreError::Oversize`], [`StoreError::Truncated`],
/// [`StoreError::Malformed`], [`StoreError::UnknownVersion`],
/// [`StoreError::UnsupportedKdf`], [`StoreError::UnsupportedKdfVersion`],
/// [`StoreError::ParamsOutOfBounds`], [`StoreError::ParamsTooWeak`]), then
/// [`StoreError::WrongPasswordOrTampered`]; during an upgrade [`StoreError::Random`].
pub fn unlock(
    blob: &str,
    password: &Password,
    target: KdfParams,
    rng: &mut impl SecureRandom,
) -> Result<Unlocked, StoreError> {
    let parsed = format::parse(blob)?;
    let key = DerivedKey::derive(password, &parsed.salt, parsed.params)?;
    let plaintext = open(&parsed, &key).map_err(|()| StoreError::WrongPasswordOrTampered)?;
    if parsed.version < CURRENT_VERSION || parsed.params.is_weaker_than(&target) {
        let (upgraded, new_key) = seal_new(&plaintext, password, target, rng)?;
        return Ok(Unlocked {
            plaintext,
            key: new_key,
            upgraded_blob: Some(upgraded),
        });
    }
    Ok(Unlocked {
        plaintext,
        key,
        upgraded_blob: None,
    })
}

/// Decrypts `blob` with a cached key (the service-worker restart path). The key must
/// have been derived for this blob's salt and parameters. Never upgrades (that needs
/// the password).
///
/// # Errors
/// Parse errors as for [`unlock`], [`StoreError::KeyMismatch`],
/// [`StoreError::WrongKeyOrTampered`].
pub fn unlock_with_key(blob: &str, key: &DerivedKey) -> Result<Unlocked, StoreError> {
    let parsed = format::parse(blob)?;
    let plaintext = open_with_cached_key(&parsed, key)?;
    Ok(Unlocked {
        plaintext,
        key: key.duplicate(),
        upgraded_blob: None,
    })
}

/// Encrypts new contents with the cached key: same salt and parameters, fresh nonce,
/// current format version. `current_blob` is the blob in storage: the key is first
/// checked to open it, so a key that went stale (the password was changed elsewhere)
/// can never write a blob the new password does not open.
///
/// # Errors
/// Everything [`unlock_with_key`] returns, [`StoreError::PlaintextTooLarge`],
/// [`StoreError::Random`].
pub fn reseal(
    current_blob: &str,
    plaintext: &[u8],
    key: &DerivedKey,
    rng: &mut impl SecureRandom,
) -> Result<String, StoreError> {
    check_plaintext_len(plaintext)?;
    let parsed = format::parse(current_blob)?;
    drop(open_with_cached_key(&parsed, key)?);
    seal_with_key(plaintext, key, rng)
}

/// Re-encrypts the blob's contents under a new password, with a fresh salt, a fresh
/// nonce and `params`. A wrong old password returns an error and no blob.
///
/// # Errors
/// [`StoreError::EmptyPassword`] for an empty new password, everything [`unlock`]
/// returns for the old one, [`StoreError::Random`].
pub fn change_password(
    blob: &str,
    old: &Password,
    new: &Password,
    params: KdfParams,
    rng: &mut impl SecureRandom,
) -> Result<(String, DerivedKey), StoreError> {
    if new.is_empty() {
        return Err(StoreError::EmptyPassword);
    }
    let parsed = format::parse(blob)?;
    let old_key = DerivedKey::derive(old, &parsed.salt, parsed.params)?;
    let plaintext = open(&parsed, &old_key).map_err(|()| StoreError::WrongPasswordOrTampered)?;
    seal_new(&plaintext, new, params, rng)
}

/// Parses a blob's header without decrypting it.
///
/// # Errors
/// The parse errors listed for [`unlock`].
pub fn inspect(blob: &str) -> Result<BlobInfo, StoreError> {
    let parsed = format::parse(blob)?;
    Ok(BlobInfo {
        version: parsed.version,
        params: parsed.params,
        salt: parsed.salt,
        nonce: parsed.nonce,
    })
}

fn check_plaintext_len(plaintext: &[u8]) -> Result<(), StoreError> {
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(StoreError::PlaintextTooLarge {
            len: plaintext.len(),
            max: MAX_PLAINTEXT_LEN,
        });
    }
    Ok(())
}

/// A version-2 blob of `plaintext` under `key`, with a fresh nonce.
fn seal_with_key(
    plaintext: &[u8],
    key: &DerivedKey,
    rng: &mut impl SecureRandom,
) -> Result<String, StoreError> {
    let nonce = rng.bytes::<NONCE_LEN>()?;
    let header = format::encode_v2_header(&key.params(), key.salt(), &nonce, plaintext.len())?;
    let cipher = Aes256Gcm::new_from_slice(key.bytes()).map_err(|_| StoreError::Encrypt)?;
    let mut buffer = Zeroizing::new(plaintext.to_vec());
    cipher
        .encrypt_in_place(&Array::from(nonce), &header, &mut *buffer)
        .map_err(|_| StoreError::Encrypt)?;
    Ok(format::encode_blob(&header, &buffer))
}

/// AES-256-GCM open of a parsed blob; `Err(())` is a tag failure.
fn open(parsed: &ParsedBlob, key: &DerivedKey) -> Result<Zeroizing<Vec<u8>>, ()> {
    let cipher = Aes256Gcm::new_from_slice(key.bytes()).map_err(|_| ())?;
    let mut buffer = Zeroizing::new(parsed.sealed.clone());
    cipher
        .decrypt_in_place(&Array::from(parsed.nonce), &parsed.aad, &mut *buffer)
        .map_err(|_| ())?;
    Ok(buffer)
}

fn open_with_cached_key(
    parsed: &ParsedBlob,
    key: &DerivedKey,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    if !key.belongs_to(&parsed.params, &parsed.salt) {
        return Err(StoreError::KeyMismatch);
    }
    open(parsed, key).map_err(|()| StoreError::WrongKeyOrTampered)
}

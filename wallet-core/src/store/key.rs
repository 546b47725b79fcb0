//! The password, the key Argon2id derives from it, and the key's export form for
//! `chrome.storage.session`.

use core::fmt;

use argon2::{Algorithm, Argon2, Block, Version};
use zeroize::{Zeroize as _, Zeroizing};

use super::format::{ARGON2_VERSION_13, KDF_ARGON2ID, MAX_SALT_LEN, MIN_SALT_LEN, Reader};
use super::{KdfParams, StoreError};
use crate::encoding::{b64u_decode, b64u_encode};

/// AES-256 key length.
pub(crate) const KEY_LEN: usize = 32;
/// Magic of an exported key (distinct from a blob's, so one is never taken for the other).
const EXPORT_MAGIC: [u8; 4] = *b"SSIK";
/// Version of the export layout.
const EXPORT_VERSION: u8 = 1;
/// Longest export string accepted by [`DerivedKey::import`].
const MAX_EXPORT_LEN: usize = 256;

/// The wallet password. Zeroized on drop, `Debug` prints `[redacted]`.
///
/// The bytes fed to Argon2id are the UTF-8 of the string exactly as given: callers
/// should normalise it (JavaScript `password.normalize("NFC")`) before constructing
/// this, so that the same password typed on another keyboard still unlocks.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    #[must_use]
    pub fn new(password: impl Into<String>) -> Self {
        Self(Zeroizing::new(password.into()))
    }

    /// The password's bytes, for the KDF.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// `true` for the empty password.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// The AES-256-GCM key Argon2id derived from the password, together with the salt
/// and parameters it was derived with (so it can be checked against a blob before use).
///
/// Zeroized on drop; `Debug` shows only the parameters.
pub struct DerivedKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    salt: Vec<u8>,
    params: KdfParams,
}

impl DerivedKey {
    /// Argon2id v1.3 (RFC 9106) of `password` with `salt` and `params`, 32-byte output,
    /// no secret, no associated data.
    ///
    /// The Argon2 working memory is allocated fallibly (an out-of-memory condition is
    /// [`StoreError::OutOfMemory`], not an abort) and wiped before it is freed: it holds
    /// values from which guesses of the password could be checked cheaply.
    pub(crate) fn derive(
        password: &Password,
        salt: &[u8],
        params: KdfParams,
    ) -> Result<Self, StoreError> {
        let argon_params = argon2::Params::new(
            params.m_cost_kib(),
            params.t_cost(),
            params.p_cost(),
            Some(KEY_LEN),
        )
        .map_err(|_| StoreError::ParamsOutOfBounds {
            m_cost_kib: params.m_cost_kib(),
            t_cost: params.t_cost(),
            p_cost: params.p_cost(),
        })?;
        let blocks_needed = argon_params.block_count();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut blocks: Vec<Block> = Vec::new();
        blocks
            .try_reserve_exact(blocks_needed)
            .map_err(|_| StoreError::OutOfMemory)?;
        blocks.resize(blocks_needed, Block::default());
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let result =
            argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut *key, &mut blocks);
        blocks.zeroize();
        result.map_err(|_| StoreError::Kdf)?;
        Ok(Self {
            key,
            salt: salt.to_vec(),
            params,
        })
    }

    /// An explicit copy (no `Clone`, so that copies of the secret are visible in code).
    pub(crate) fn duplicate(&self) -> Self {
        Self {
            key: Zeroizing::new(*self.key),
            salt: self.salt.clone(),
            params: self.params,
        }
    }

    /// The raw key, for AES-GCM.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// `true` when this key was derived with exactly this salt and these parameters.
    pub(crate) fn belongs_to(&self, params: &KdfParams, salt: &[u8]) -> bool {
        self.params == *params && self.salt == salt
    }

    /// The parameters the key was derived with.
    #[must_use]
    pub fn params(&self) -> KdfParams {
        self.params
    }

    /// The Argon2id salt the key was derived with (not secret).
    #[must_use]
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Serialises the key for `chrome.storage.session`, so that a restarted service
    /// worker can unlock again without asking for the password.
    ///
    /// **Risk:** the string *is* the wallet key: anyone who reads it can decrypt the
    /// blob in `chrome.storage.local` without the password (until the password is
    /// changed). `chrome.storage.session` is kept in memory only, is cleared when the
    /// browser restarts or the extension reloads, and by default is not readable from
    /// content scripts; store it nowhere else, and remove it on lock. The format is in
    /// docs/store-format.md.
    #[must_use]
    pub fn export(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(
            EXPORT_MAGIC.len() + 16 + self.salt.len() + KEY_LEN,
        ));
        bytes.extend_from_slice(&EXPORT_MAGIC);
        bytes.push(EXPORT_VERSION);
        bytes.push(KDF_ARGON2ID);
        bytes.push(ARGON2_VERSION_13);
        bytes.extend_from_slice(&self.params.m_cost_kib().to_be_bytes());
        bytes.extend_from_slice(&self.params.t_cost().to_be_bytes());
        bytes.extend_from_slice(&self.params.p_cost().to_be_bytes());
        // The salt length is at most MAX_SALT_LEN (64) by construction.
        bytes.push(u8::try_from(self.salt.len()).unwrap_or(u8::MAX));
        bytes.extend_from_slice(&self.salt);
        bytes.extend_from_slice(&*self.key);
        Zeroizing::new(b64u_encode(&*bytes))
    }

    /// Parses a string made by [`DerivedKey::export`].
    ///
    /// # Errors
    /// [`StoreError::InvalidExportedKey`] for anything that is not such a string;
    /// [`StoreError::ParamsOutOfBounds`] / [`StoreError::ParamsTooWeak`] for parameters
    /// outside the bounds.
    pub fn import(exported: &str) -> Result<Self, StoreError> {
        if exported.len() > MAX_EXPORT_LEN {
            return Err(StoreError::InvalidExportedKey);
        }
        let bytes =
            Zeroizing::new(b64u_decode(exported).map_err(|_| StoreError::InvalidExportedKey)?);
        let invalid = |_| StoreError::InvalidExportedKey;
        let mut r = Reader::new(&bytes);
        if r.array::<4>().map_err(invalid)? != EXPORT_MAGIC
            || r.u8().map_err(invalid)? != EXPORT_VERSION
            || r.u8().map_err(invalid)? != KDF_ARGON2ID
            || r.u8().map_err(invalid)? != ARGON2_VERSION_13
        {
            return Err(StoreError::InvalidExportedKey);
        }
        let m = r.u32().map_err(invalid)?;
        let t = r.u32().map_err(invalid)?;
        let p = r.u32().map_err(invalid)?;
        let params = KdfParams::new(m, t, p)?;
        let salt_len = usize::from(r.u8().map_err(invalid)?);
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt_len) {
            return Err(StoreError::InvalidExportedKey);
        }
        let salt = r.take(salt_len).map_err(invalid)?;
        let key_bytes = r.take(KEY_LEN).map_err(invalid)?;
        if !r.is_empty() || key_bytes.len() != KEY_LEN {
            return Err(StoreError::InvalidExportedKey);
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(key_bytes);
        Ok(Self {
            key,
            salt: salt.to_vec(),
            params,
        })
    }
}

impl fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DerivedKey")
            .field("key", &"[redacted]")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

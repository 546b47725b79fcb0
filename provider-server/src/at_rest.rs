//! Encryption at rest of the provider's own secrets in the database: the signing keys,
//! the provider DID's seed and the pairwise-subject salt.
//!
//! With `--key-encryption-secret` (env `PROVIDER_KEY_ENCRYPTION_SECRET`), each value is
//! stored as `enc1.<nonce>.<ciphertext>` (base64url): AES-256-GCM under a key derived
//! from the secret with HKDF-SHA256 (RFC 5869), with the row's name (`signing_keys/<kid>`,
//! `settings/<name>`) as associated data, so a ciphertext moved to another row does not
//! open. Without the secret values are stored as before, in the clear.
//!
//! A database written without the secret keeps working when the secret is added: the
//! clear values are read and then encrypted in place ([`AtRest::open`] says when). A
//! database with encrypted values refuses to start without the secret or with another
//! one, with an error that says so.
//!
//! **Changing the secret.** Start with the new secret and the old one as
//! `--previous-key-encryption-secret`: values that open only with the previous secret
//! are read with it and encrypted again under the new one in place. Without a new
//! secret they are decrypted and stored in the clear (encryption turned off). The
//! previous secret only ever opens values; nothing is sealed with it. With several
//! instances on one database, first give every instance the new secret as its
//! *previous* one (they keep sealing with the old), then swap the two: every instance
//! reads both throughout (`docs/decisions.md`).

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::array::Array;
use aes_gcm::aead::{AeadInOut as _, KeyInit as _};
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::random::{OsRandom, SecureRandom as _};
use zeroize::Zeroizing;

use crate::config::Secret;

/// The prefix of an encrypted value.
const PREFIX: &str = "enc1.";
/// HKDF `info`: what the derived key is for.
const INFO: &[u8] = b"provider-server at-rest key v1";
/// The shortest secret accepted (characters): 32 random characters of base64 are 192
/// bits.
pub const MIN_SECRET_LEN: usize = 32;

/// Why a stored secret could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AtRestError {
    /// A configured secret (the flag named) is too short.
    #[error("{0} must be at least {MIN_SECRET_LEN} characters")]
    WeakSecret(&'static str),
    /// An encrypted value, and no secret configured.
    #[error(
        "{0} is encrypted: start with the --key-encryption-secret (PROVIDER_KEY_ENCRYPTION_SECRET) it was stored with"
    )]
    NoSecret(String),
    /// The value does not open with the configured secret, nor with the previous one
    /// (another secret, or damage).
    #[error(
        "{0} does not decrypt with this --key-encryption-secret or --previous-key-encryption-secret (another secret, or a damaged value)"
    )]
    WrongSecret(String),
    /// The random source or the cipher failed.
    #[error("encrypting {0} failed")]
    Seal(String),
}

/// A value read back: the clear text, and whether it is not stored as configured (in
/// the clear although a secret is configured, or under the previous secret), so that
/// the caller stores it again with [`AtRest::seal`].
#[derive(Debug)]
pub struct Opened {
    /// The value.
    pub value: Zeroizing<String>,
    /// Stored in the clear while a secret is configured, or under the previous secret.
    pub needs_sealing: bool,
}

/// The at-rest key, if a secret is configured, and the previous secret's key, if one
/// is given (it only opens values).
#[derive(Clone)]
pub struct AtRest {
    key: Option<Zeroizing<[u8; 32]>>,
    previous: Option<Zeroizing<[u8; 32]>>,
}

impl core::fmt::Debug for AtRest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AtRest")
            .field("encrypted", &self.key.is_some())
            .field("previous", &self.previous.is_some())
            .finish()
    }
}

impl AtRest {
    /// From the configured secret (none: values are stored in the clear) and the
    /// previous one, if the secret is being changed.
    ///
    /// # Errors
    /// [`AtRestError::WeakSecret`] for a secret under [`MIN_SECRET_LEN`] characters.
    pub fn new(secret: Option<&Secret>, previous: Option<&Secret>) -> Result<Self, AtRestError> {
        Ok(Self {
            key: secret
                .map(|s| derive(s, "--key-encryption-secret"))
                .transpose()?,
            previous: previous
                .map(|s| derive(s, "--previous-key-encryption-secret"))
                .transpose()?,
        })
    }

    /// From `--key-encryption-secret` and `--previous-key-encryption-secret`.
    ///
    /// # Errors
    /// [`AtRestError::WeakSecret`].
    pub fn from_config(config: &crate::config::Config) -> Result<Self, AtRestError> {
        Self::new(
            config.key_encryption_secret.as_ref(),
            config.previous_key_encryption_secret.as_ref(),
        )
    }

    /// Whether values are encrypted.
    #[must_use]
    pub fn encrypts(&self) -> bool {
        self.key.is_some()
    }

    /// Whether values stored otherwise than configured may be there to store again:
    /// clear ones while a secret is configured, or any under a previous secret.
    #[must_use]
    pub fn may_need_sealing(&self) -> bool {
        self.key.is_some() || self.previous.is_some()
    }

    /// `value` as stored for row `name`: encrypted with a secret, else as it is.
    ///
    /// # Errors
    /// [`AtRestError::Seal`].
    pub fn seal(&self, name: &str, value: &str) -> Result<String, AtRestError> {
        let Some(key) = &self.key else {
            return Ok(value.to_owned());
        };
        let fail = || AtRestError::Seal(name.to_owned());
        let nonce = OsRandom.bytes::<12>().map_err(|_| fail())?;
        let cipher = Aes256Gcm::new_from_slice(key.as_slice()).map_err(|_| fail())?;
        let mut buffer = Zeroizing::new(value.as_bytes().to_vec());
        cipher
            .encrypt_in_place(&Array::from(nonce), name.as_bytes(), &mut *buffer)
            .map_err(|_| fail())?;
        Ok(format!(
            "{PREFIX}{}.{}",
            b64u_encode(nonce),
            b64u_encode(&*buffer)
        ))
    }

    /// The value stored for row `name`.
    ///
    /// # Errors
    /// [`AtRestError::NoSecret`], [`AtRestError::WrongSecret`].
    pub fn open(&self, name: &str, stored: &str) -> Result<Opened, AtRestError> {
        let Some(sealed) = stored.strip_prefix(PREFIX) else {
            return Ok(Opened {
                value: Zeroizing::new(stored.to_owned()),
                needs_sealing: self.key.is_some(),
            });
        };
        if self.key.is_none() && self.previous.is_none() {
            return Err(AtRestError::NoSecret(name.to_owned()));
        }
        if let Some(value) = self.key.as_ref().and_then(|k| open_with(k, name, sealed)) {
            return Ok(Opened {
                value,
                needs_sealing: false,
            });
        }
        match self
            .previous
            .as_ref()
            .and_then(|k| open_with(k, name, sealed))
        {
            Some(value) => Ok(Opened {
                value,
                needs_sealing: true,
            }),
            None => Err(AtRestError::WrongSecret(name.to_owned())),
        }
    }
}

/// The AES-256 key of `secret` (given as `flag`).
fn derive(secret: &Secret, flag: &'static str) -> Result<Zeroizing<[u8; 32]>, AtRestError> {
    if secret.expose().chars().count() < MIN_SECRET_LEN {
        return Err(AtRestError::WeakSecret(flag));
    }
    let mut key = Zeroizing::new([0_u8; 32]);
    hkdf::Hkdf::<sha2::Sha256>::new(None, secret.expose().as_bytes())
        .expand(INFO, key.as_mut_slice())
        .map_err(|_| AtRestError::Seal("the at-rest key".into()))?;
    Ok(key)
}

/// `<nonce>.<ciphertext>` of row `name` opened with `key`; `None` if it does not open
/// (another key, or damage).
fn open_with(key: &[u8; 32], name: &str, sealed: &str) -> Option<Zeroizing<String>> {
    let (nonce, ciphertext) = sealed.split_once('.')?;
    let nonce: [u8; 12] = b64u_decode(nonce).ok()?.try_into().ok()?;
    let mut buffer = Zeroizing::new(b64u_decode(ciphertext).ok()?);
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    cipher
        .decrypt_in_place(&Array::from(nonce), name.as_bytes(), &mut *buffer)
        .ok()?;
    String::from_utf8(std::mem::take(&mut *buffer))
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_rest(secret: &str) -> AtRest {
        AtRest::new(Some(&Secret::from(secret)), None).unwrap()
    }

    const SECRET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

    #[test]
    fn sealed_values_open_only_for_their_row_and_secret() {
        let a = at_rest(SECRET);
        let sealed = a.seal("signing_keys/k1", "private").unwrap();
        assert!(sealed.starts_with(PREFIX), "{sealed}");
        assert!(!sealed.contains("private"));
        // A fresh nonce every time.
        assert_ne!(sealed, a.seal("signing_keys/k1", "private").unwrap());
        let opened = a.open("signing_keys/k1", &sealed).unwrap();
        assert_eq!(opened.value.as_str(), "private");
        assert!(!opened.needs_sealing);
        assert_eq!(
            a.open("signing_keys/k2", &sealed).unwrap_err(),
            AtRestError::WrongSecret("signing_keys/k2".into())
        );
        let other = at_rest("another secret of at least thirty-two chars");
        assert!(matches!(
            other.open("signing_keys/k1", &sealed),
            Err(AtRestError::WrongSecret(_))
        ));
        let clear = AtRest::new(None, None).unwrap();
        assert_eq!(
            clear.open("signing_keys/k1", &sealed).unwrap_err(),
            AtRestError::NoSecret("signing_keys/k1".into())
        );
        // Damaged values are refused, not panicked on.
        for bad in [
            "enc1.",
            "enc1.x",
            "enc1.AAAA.AAAA",
            &sealed[..sealed.len() - 2],
            &format!("{sealed}A"),
        ] {
            assert!(a.open("signing_keys/k1", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clear_values_are_read_and_flagged_for_sealing() {
        let opened = at_rest(SECRET).open("settings/x", "plain").unwrap();
        assert_eq!(opened.value.as_str(), "plain");
        assert!(opened.needs_sealing);
        let clear = AtRest::new(None, None).unwrap();
        assert_eq!(clear.seal("settings/x", "plain").unwrap(), "plain");
        assert!(!clear.open("settings/x", "plain").unwrap().needs_sealing);
    }

    #[test]
    fn short_secrets_are_refused() {
        let short = Secret::from("short");
        let long = Secret::from(SECRET);
        assert_eq!(
            AtRest::new(Some(&short), None).unwrap_err(),
            AtRestError::WeakSecret("--key-encryption-secret")
        );
        assert_eq!(
            AtRest::new(Some(&long), Some(&short)).unwrap_err(),
            AtRestError::WeakSecret("--previous-key-encryption-secret")
        );
    }

    const NEW_SECRET: &str = "the new at-rest secret, 0123456789";

    #[test]
    fn values_under_the_previous_secret_open_and_are_flagged_for_sealing() {
        let old = at_rest(SECRET);
        let sealed_old = old.seal("settings/x", "value").unwrap();
        let changing =
            AtRest::new(Some(&Secret::from(NEW_SECRET)), Some(&Secret::from(SECRET))).unwrap();
        let opened = changing.open("settings/x", &sealed_old).unwrap();
        assert_eq!(opened.value.as_str(), "value");
        assert!(opened.needs_sealing);
        // Sealed again under the new secret only: the old one no longer opens it.
        let sealed_new = changing.seal("settings/x", &opened.value).unwrap();
        assert!(
            !changing
                .open("settings/x", &sealed_new)
                .unwrap()
                .needs_sealing
        );
        assert!(at_rest(NEW_SECRET).open("settings/x", &sealed_new).is_ok());
        assert_eq!(
            old.open("settings/x", &sealed_new).unwrap_err(),
            AtRestError::WrongSecret("settings/x".into())
        );
        // The previous secret keys to its row too.
        assert!(changing.open("settings/y", &sealed_old).is_err());
        // Neither secret: refused, naming both flags.
        let err = at_rest("a third secret, 0123456789 abcdefghij")
            .open("settings/x", &sealed_old)
            .unwrap_err();
        assert!(err.to_string().contains("--previous-key-encryption-secret"));

        // Only a previous secret: turning encryption off, values come out to be
        // stored in the clear.
        let off = AtRest::new(None, Some(&Secret::from(SECRET))).unwrap();
        assert!(!off.encrypts() && off.may_need_sealing());
        let opened = off.open("settings/x", &sealed_old).unwrap();
        assert!(opened.needs_sealing);
        assert_eq!(off.seal("settings/x", &opened.value).unwrap(), "value");
        assert!(!off.open("settings/x", "value").unwrap().needs_sealing);
    }
}

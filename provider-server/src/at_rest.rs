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
    /// The configured secret is too short.
    #[error("--key-encryption-secret must be at least {MIN_SECRET_LEN} characters")]
    WeakSecret,
    /// An encrypted value, and no secret configured.
    #[error(
        "{0} is encrypted: start with the --key-encryption-secret (PROVIDER_KEY_ENCRYPTION_SECRET) it was stored with"
    )]
    NoSecret(String),
    /// The value does not open with the configured secret (another secret, or damage).
    #[error(
        "{0} does not decrypt with this --key-encryption-secret (another secret, or a damaged value)"
    )]
    WrongSecret(String),
    /// The random source or the cipher failed.
    #[error("encrypting {0} failed")]
    Seal(String),
}

/// A value read back: the clear text, and whether it was stored in the clear although
/// a secret is configured (then the caller encrypts it in place).
#[derive(Debug)]
pub struct Opened {
    /// The value.
    pub value: Zeroizing<String>,
    /// Stored in the clear while a secret is configured.
    pub needs_sealing: bool,
}

/// The at-rest key, if a secret is configured.
#[derive(Clone)]
pub struct AtRest {
    key: Option<Zeroizing<[u8; 32]>>,
}

impl core::fmt::Debug for AtRest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AtRest")
            .field("encrypted", &self.key.is_some())
            .finish()
    }
}

impl AtRest {
    /// From the configured secret (none: values are stored in the clear).
    ///
    /// # Errors
    /// [`AtRestError::WeakSecret`] for a secret under [`MIN_SECRET_LEN`] characters.
    pub fn new(secret: Option<&Secret>) -> Result<Self, AtRestError> {
        let Some(secret) = secret else {
            return Ok(Self { key: None });
        };
        if secret.expose().chars().count() < MIN_SECRET_LEN {
            return Err(AtRestError::WeakSecret);
        }
        let mut key = Zeroizing::new([0_u8; 32]);
        hkdf::Hkdf::<sha2::Sha256>::new(None, secret.expose().as_bytes())
            .expand(INFO, key.as_mut_slice())
            .map_err(|_| AtRestError::Seal("the at-rest key".into()))?;
        Ok(Self { key: Some(key) })
    }

    /// Whether values are encrypted.
    #[must_use]
    pub fn encrypts(&self) -> bool {
        self.key.is_some()
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
        let Some(key) = &self.key else {
            return Err(AtRestError::NoSecret(name.to_owned()));
        };
        let wrong = || AtRestError::WrongSecret(name.to_owned());
        let (nonce, ciphertext) = sealed.split_once('.').ok_or_else(wrong)?;
        let nonce: [u8; 12] = b64u_decode(nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(wrong)?;
        let mut buffer = Zeroizing::new(b64u_decode(ciphertext).map_err(|_| wrong())?);
        let cipher = Aes256Gcm::new_from_slice(key.as_slice()).map_err(|_| wrong())?;
        cipher
            .decrypt_in_place(&Array::from(nonce), name.as_bytes(), &mut *buffer)
            .map_err(|_| wrong())?;
        let value = String::from_utf8(std::mem::take(&mut *buffer)).map_err(|_| wrong())?;
        Ok(Opened {
            value: Zeroizing::new(value),
            needs_sealing: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_rest(secret: &str) -> AtRest {
        AtRest::new(Some(&Secret::from(secret))).unwrap()
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
        let clear = AtRest::new(None).unwrap();
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
        let clear = AtRest::new(None).unwrap();
        assert_eq!(clear.seal("settings/x", "plain").unwrap(), "plain");
        assert!(!clear.open("settings/x", "plain").unwrap().needs_sealing);
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(
            AtRest::new(Some(&Secret::from("short"))).unwrap_err(),
            AtRestError::WeakSecret
        );
    }
}

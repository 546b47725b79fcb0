//! Credential API session crypto (KILT Credential API 4.0 shape, DESIGN §4).
//!
//! The provider's login page and the wallet extension exchange [`Message`]s inside
//! [`EncryptedMessage`]s. The encryption is NaCl `crypto_box`
//! (`x25519-xsalsa20-poly1305`): X25519 between the sender's secret key and the
//! receiver's public key, HSalsa20 key derivation, XSalsa20-Poly1305 with a fresh
//! random 24-byte nonce. The box is `tag(16) ‖ ciphertext`, hex encoded on the wire.
//!
//! Decryption authenticates the *keys*; [`decrypt`] additionally binds the plaintext
//! to them: the message's `sender` must be the party the caller expects and the DID
//! that owns `senderKeyUri`, and its `receiver` the DID that owns `receiverKeyUri`.
//! Without those checks a party holding a valid session could relay a message that
//! claims to come from someone else.
//!
//! The login handshake's key exchange (`POST /api/v1/challenge`) boxes the raw
//! challenge bytes instead of a message: [`seal_challenge`] / [`open_challenge`].
//!
//! Each free function does its own key agreement. A party that exchanges several
//! boxes with the same peer key builds a [`SessionBox`] once and calls its methods of
//! the same names: same bytes, same checks, one X25519 instead of one per box.

mod envelope;
mod message;

use crypto_secretbox::aead::generic_array::GenericArray;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::{Kdf as _, Key, XSalsa20Poly1305};
use zeroize::Zeroizing;

pub use envelope::{EncryptedMessage, RawEncryptedMessage};
pub use message::{
    ErrorContent, MAX_DID_URL_LEN, MAX_MESSAGE_ID_LEN, MAX_REFERENCES, Message, MessageBody,
    validate_did_url,
};

use crate::encoding::{hex_decode, hex_encode};
use crate::keys::{KeyError, X25519PrivateKey, X25519PublicKey};
use crate::random::{RandomError, SecureRandom};

/// Length of a `crypto_box` nonce (`crypto_box_NONCEBYTES`).
pub const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag in front of the ciphertext (`crypto_box_MACBYTES`).
pub const TAG_LEN: usize = 16;
/// Largest plaintext message accepted or produced, in bytes (1 MiB).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Largest hex `ciphertext` string accepted (the largest box, hex, with `0x`).
pub const MAX_ENVELOPE_BYTES: usize = 2 * (MAX_MESSAGE_BYTES + TAG_LEN) + 2;
/// Largest challenge [`seal_challenge`] / [`open_challenge`] handle, in bytes.
pub const MAX_CHALLENGE_BYTES: usize = 1024;

/// Why a session message could not be built, sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// `ciphertext`, `nonce` or `encryptedChallenge` is not hex.
    #[error("invalid hex in encrypted message")]
    BadHex,
    /// The nonce is not 24 bytes (the length found is given).
    #[error("nonce must be {NONCE_LEN} bytes, got {0}")]
    NonceLength(usize),
    /// The box did not authenticate: wrong key, wrong nonce, or tampered ciphertext.
    /// Deliberately uninformative.
    #[error("decryption failed")]
    Decrypt,
    /// The JSON is not an `EncryptedMessage` (missing, extra or non-string members).
    #[error("not an encrypted message")]
    NotAnEnvelope,
    /// The decrypted plaintext is not a Credential API message of a known type.
    #[error("plaintext is not a valid message")]
    NotAMessage,
    /// A message field is malformed (the reason is given).
    #[error("invalid message: {0}")]
    InvalidMessage(&'static str),
    /// A sender, receiver or key URI is not a DID / DID URL of the accepted shape.
    #[error("invalid DID or DID URL")]
    InvalidDid,
    /// The message's `sender` is not the party the caller expected.
    #[error("message sender is not the expected party")]
    SenderMismatch,
    /// `senderKeyUri` does not belong to the message's sender DID.
    #[error("sender key does not belong to the message sender")]
    SenderKeyMismatch,
    /// The message's `receiver` is not the DID that owns `receiverKeyUri`.
    #[error("message receiver does not own the receiver key")]
    ReceiverMismatch,
    /// A message, box or challenge exceeds its size limit.
    #[error("message too large")]
    Oversize,
    /// A public key is a low-order point: the shared secret would be predictable.
    #[error("key agreement with a low-order public key")]
    WeakKey,
    /// Encryption failed inside the cipher.
    #[error("encryption failed")]
    Encrypt,
    /// The random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The DID of a DID URL: everything before the first `/`, `?` or `#`.
#[must_use]
pub fn did_of(did_url: &str) -> &str {
    let end = did_url.find(['/', '?', '#']).unwrap_or(did_url.len());
    did_url.get(..end).unwrap_or(did_url)
}

/// A NaCl box between one X25519 key pair, with the key agreement done once.
///
/// `crypto_box` derives its symmetric key from the two parties' keys alone:
/// `k = HSalsa20(X25519(my_secret, their_public), 0¹⁶)`, and every box between the
/// pair, in either direction, is XSalsa20-Poly1305 under `k`. The one-shot functions
/// ([`encrypt`], [`decrypt`], [`seal_challenge`], …) derive `k` for each call; a
/// `SessionBox` derives it in [`SessionBox::new`] and reuses it, so a login's three
/// boxes (challenge, `request-credential`, `submit-credential`) cost one X25519 per
/// side instead of three. Its output is byte-for-byte that of `crypto_box::SalsaBox`
/// (and libsodium's `crypto_box_beforenm` / `crypto_box_easy_afternm`).
///
/// The box holds only `k` (zeroized on drop; `Debug` prints no key material). Both
/// parties compute the same box, so it seals and opens in both directions; the
/// message checks of [`SessionBox::decrypt`] are what tell the directions apart.
#[derive(Clone)]
pub struct SessionBox {
    cipher: XSalsa20Poly1305,
}

impl core::fmt::Debug for SessionBox {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SessionBox([redacted])")
    }
}

impl SessionBox {
    /// The box between `my_secret` and `their_public`: one X25519 and one HSalsa20.
    ///
    /// # Errors
    /// [`SessionError::WeakKey`] when `their_public` is a low-order point: the shared
    /// secret would be all zeros, known to anyone. `crypto_box` itself would derive a
    /// key from it; libsodium refuses (box.c `small_order_p`), and so do we.
    pub fn new(
        my_secret: &X25519PrivateKey,
        their_public: &X25519PublicKey,
    ) -> Result<Self, SessionError> {
        let shared = my_secret.agree(their_public).map_err(|e| match e {
            KeyError::NonContributory => SessionError::WeakKey,
            _ => SessionError::Decrypt,
        })?;
        // crypto_box 0.9.1 `CryptoBox::new`: HSalsa20 keyed with the shared secret
        // over a zero 16-byte input (NaCl `crypto_box_beforenm`).
        let key = Zeroizing::new(XSalsa20Poly1305::kdf(
            Key::from_slice(shared.as_slice()),
            &GenericArray::default(),
        ));
        Ok(Self {
            cipher: XSalsa20Poly1305::new(&key),
        })
    }

    /// Raw NaCl box of `plaintext` under `nonce`: `tag ‖ ciphertext`. The caller
    /// must never reuse a nonce with the same box.
    ///
    /// # Errors
    /// [`SessionError::Encrypt`].
    pub fn seal_with_nonce(
        &self,
        plaintext: &[u8],
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Vec<u8>, SessionError> {
        self.cipher
            .encrypt(nonce.into(), plaintext)
            .map_err(|_| SessionError::Encrypt)
    }

    /// Opens a raw NaCl box (`tag ‖ ciphertext`). The plaintext is zeroized on drop.
    ///
    /// # Errors
    /// [`SessionError::Decrypt`] when it does not authenticate.
    pub fn open_with_nonce(
        &self,
        sealed: &[u8],
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Zeroizing<Vec<u8>>, SessionError> {
        open_with(&Keys::Session(self), sealed, nonce)
    }

    /// [`encrypt`] with this box: `message` from `sender_key_uri` to
    /// `receiver_key_uri` (the URIs of this box's two keys), with a fresh nonce.
    ///
    /// # Errors
    /// As [`encrypt`], except [`SessionError::WeakKey`] (refused by [`Self::new`]).
    pub fn encrypt(
        &self,
        message: &Message,
        sender_key_uri: &str,
        receiver_key_uri: &str,
        rng: &mut impl SecureRandom,
    ) -> Result<EncryptedMessage, SessionError> {
        encrypt_with(
            &Keys::Session(self),
            message,
            sender_key_uri,
            receiver_key_uri,
            rng,
        )
    }

    /// [`decrypt`] with this box: opens `encrypted` and checks that it comes from
    /// `expected_sender`.
    ///
    /// # Errors
    /// As [`decrypt`], except [`SessionError::WeakKey`] (refused by [`Self::new`]).
    pub fn decrypt(
        &self,
        encrypted: &EncryptedMessage,
        expected_sender: &str,
    ) -> Result<Message, SessionError> {
        decrypt_with(&Keys::Session(self), encrypted, expected_sender)
    }

    /// [`seal_challenge`] with this box.
    ///
    /// # Errors
    /// [`SessionError::Oversize`] above [`MAX_CHALLENGE_BYTES`];
    /// [`SessionError::Random`].
    pub fn seal_challenge(
        &self,
        challenge: &[u8],
        rng: &mut impl SecureRandom,
    ) -> Result<SealedChallenge, SessionError> {
        seal_challenge_with(&Keys::Session(self), challenge, rng)
    }

    /// [`open_challenge`] with this box.
    ///
    /// # Errors
    /// [`SessionError::Oversize`], [`SessionError::BadHex`],
    /// [`SessionError::NonceLength`], [`SessionError::Decrypt`].
    pub fn open_challenge(
        &self,
        encrypted_challenge: &str,
        nonce: &str,
    ) -> Result<Vec<u8>, SessionError> {
        open_challenge_with(&Keys::Session(self), encrypted_challenge, nonce)
    }
}

/// The keys of one operation: a [`SessionBox`], or the key pair of a one-shot
/// function. A pair's box is derived only where the box is first needed, after every
/// cheap check of the input, so malformed input is refused without an X25519 and with
/// the same error as before `SessionBox` existed.
enum Keys<'a> {
    Session(&'a SessionBox),
    Pair(&'a X25519PrivateKey, &'a X25519PublicKey),
}

impl Keys<'_> {
    fn seal(&self, plaintext: &[u8], nonce: &[u8; NONCE_LEN]) -> Result<Vec<u8>, SessionError> {
        match self {
            Keys::Session(b) => b.seal_with_nonce(plaintext, nonce),
            Keys::Pair(secret, public) => {
                SessionBox::new(secret, public)?.seal_with_nonce(plaintext, nonce)
            }
        }
    }

    /// Opens a box already known to be at least [`TAG_LEN`] long.
    fn open(
        &self,
        sealed: &[u8],
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Zeroizing<Vec<u8>>, SessionError> {
        let open = |b: &SessionBox| {
            b.cipher
                .decrypt(nonce.into(), sealed)
                .map(Zeroizing::new)
                .map_err(|_| SessionError::Decrypt)
        };
        match self {
            Keys::Session(b) => open(b),
            Keys::Pair(secret, public) => open(&SessionBox::new(secret, public)?),
        }
    }
}

/// Raw NaCl box of `plaintext` under `nonce`: `tag ‖ ciphertext`.
///
/// # Errors
/// [`SessionError::WeakKey`] for a low-order `receiver_public`;
/// [`SessionError::Encrypt`].
pub fn seal_with_nonce(
    plaintext: &[u8],
    nonce: &[u8; NONCE_LEN],
    sender_secret: &X25519PrivateKey,
    receiver_public: &X25519PublicKey,
) -> Result<Vec<u8>, SessionError> {
    Keys::Pair(sender_secret, receiver_public).seal(plaintext, nonce)
}

/// Opens a raw NaCl box (`tag ‖ ciphertext`). The plaintext is zeroized on drop.
///
/// # Errors
/// [`SessionError::Decrypt`] when it does not authenticate;
/// [`SessionError::WeakKey`] for a low-order `sender_public`.
pub fn open_with_nonce(
    sealed: &[u8],
    nonce: &[u8; NONCE_LEN],
    receiver_secret: &X25519PrivateKey,
    sender_public: &X25519PublicKey,
) -> Result<Zeroizing<Vec<u8>>, SessionError> {
    open_with(&Keys::Pair(receiver_secret, sender_public), sealed, nonce)
}

fn open_with(
    keys: &Keys<'_>,
    sealed: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Result<Zeroizing<Vec<u8>>, SessionError> {
    if sealed.len() < TAG_LEN {
        return Err(SessionError::Decrypt);
    }
    keys.open(sealed, nonce)
}

/// Encrypts `message` from `sender_key_uri` to `receiver_key_uri` with a fresh nonce.
///
/// The plaintext is the message's JSON. The message's `sender` must be the DID that
/// owns `sender_key_uri` and its `receiver` the one owning `receiver_key_uri`, so
/// that [`decrypt`] on the other side accepts it. For several messages between the
/// same keys, build a [`SessionBox`] once and use [`SessionBox::encrypt`].
///
/// # Errors
/// [`SessionError::InvalidDid`], [`SessionError::SenderKeyMismatch`],
/// [`SessionError::ReceiverMismatch`], [`SessionError::Oversize`],
/// [`SessionError::WeakKey`], [`SessionError::Random`].
pub fn encrypt(
    message: &Message,
    sender_key_uri: &str,
    sender_secret: &X25519PrivateKey,
    receiver_key_uri: &str,
    receiver_public: &X25519PublicKey,
    rng: &mut impl SecureRandom,
) -> Result<EncryptedMessage, SessionError> {
    encrypt_with(
        &Keys::Pair(sender_secret, receiver_public),
        message,
        sender_key_uri,
        receiver_key_uri,
        rng,
    )
}

fn encrypt_with(
    keys: &Keys<'_>,
    message: &Message,
    sender_key_uri: &str,
    receiver_key_uri: &str,
    rng: &mut impl SecureRandom,
) -> Result<EncryptedMessage, SessionError> {
    message.validate()?;
    validate_did_url(sender_key_uri)?;
    validate_did_url(receiver_key_uri)?;
    if message.sender_did() != did_of(sender_key_uri) {
        return Err(SessionError::SenderKeyMismatch);
    }
    if message.receiver_did() != did_of(receiver_key_uri) {
        return Err(SessionError::ReceiverMismatch);
    }
    let plaintext = Zeroizing::new(message.to_json()?);
    let nonce = rng.bytes::<NONCE_LEN>()?;
    let sealed = keys.seal(&plaintext, &nonce)?;
    EncryptedMessage::from_bytes(receiver_key_uri, sender_key_uri, sealed, nonce)
}

/// Decrypts and checks a message.
///
/// `sender_public` is the key the caller resolved for `encrypted.sender_key_uri()`;
/// `expected_sender` is the DID (or a DID URL of it) the caller expects to talk to.
/// For several messages between the same keys, build a [`SessionBox`] once and use
/// [`SessionBox::decrypt`].
///
/// # Errors
/// [`SessionError::Oversize`], [`SessionError::Decrypt`], [`SessionError::WeakKey`],
/// [`SessionError::NotAMessage`], [`SessionError::InvalidDid`],
/// [`SessionError::InvalidMessage`], [`SessionError::SenderMismatch`] (the message
/// claims another sender than expected), [`SessionError::SenderKeyMismatch`] (the
/// sender key is not the sender's), [`SessionError::ReceiverMismatch`].
pub fn decrypt(
    encrypted: &EncryptedMessage,
    receiver_secret: &X25519PrivateKey,
    sender_public: &X25519PublicKey,
    expected_sender: &str,
) -> Result<Message, SessionError> {
    decrypt_with(
        &Keys::Pair(receiver_secret, sender_public),
        encrypted,
        expected_sender,
    )
}

fn decrypt_with(
    keys: &Keys<'_>,
    encrypted: &EncryptedMessage,
    expected_sender: &str,
) -> Result<Message, SessionError> {
    envelope::check_ciphertext_len(encrypted.ciphertext().len())?;
    let plaintext = open_with(keys, encrypted.ciphertext(), encrypted.nonce())?;
    let message = Message::from_json(&plaintext)?;
    if message.sender_did() != did_of(expected_sender) {
        return Err(SessionError::SenderMismatch);
    }
    if did_of(encrypted.sender_key_uri()) != message.sender_did() {
        return Err(SessionError::SenderKeyMismatch);
    }
    if did_of(encrypted.receiver_key_uri()) != message.receiver_did() {
        return Err(SessionError::ReceiverMismatch);
    }
    Ok(message)
}

/// The wallet's answer to the login challenge (DESIGN §4: `encryptedChallenge`,
/// `nonce`), both lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedChallenge {
    /// Hex of NaCl box(challenge bytes).
    pub encrypted_challenge: String,
    /// Hex of the 24-byte nonce.
    pub nonce: String,
}

/// Boxes the raw challenge bytes from the wallet's session key to the provider's key
/// (DESIGN §4 "Wire details", `POST /api/v1/challenge`).
///
/// # Errors
/// [`SessionError::Oversize`] above [`MAX_CHALLENGE_BYTES`];
/// [`SessionError::WeakKey`]; [`SessionError::Random`].
pub fn seal_challenge(
    challenge: &[u8],
    sender_secret: &X25519PrivateKey,
    receiver_public: &X25519PublicKey,
    rng: &mut impl SecureRandom,
) -> Result<SealedChallenge, SessionError> {
    seal_challenge_with(&Keys::Pair(sender_secret, receiver_public), challenge, rng)
}

fn seal_challenge_with(
    keys: &Keys<'_>,
    challenge: &[u8],
    rng: &mut impl SecureRandom,
) -> Result<SealedChallenge, SessionError> {
    if challenge.len() > MAX_CHALLENGE_BYTES {
        return Err(SessionError::Oversize);
    }
    let nonce = rng.bytes::<NONCE_LEN>()?;
    let sealed = keys.seal(challenge, &nonce)?;
    Ok(SealedChallenge {
        encrypted_challenge: hex_encode(sealed),
        nonce: hex_encode(nonce),
    })
}

/// Opens an `encryptedChallenge` (hex, optional `0x`) with its `nonce` (hex); the
/// caller compares the result with the challenge it issued, in constant time.
///
/// # Errors
/// [`SessionError::Oversize`], [`SessionError::BadHex`],
/// [`SessionError::NonceLength`], [`SessionError::Decrypt`], [`SessionError::WeakKey`].
pub fn open_challenge(
    encrypted_challenge: &str,
    nonce: &str,
    receiver_secret: &X25519PrivateKey,
    sender_public: &X25519PublicKey,
) -> Result<Vec<u8>, SessionError> {
    open_challenge_with(
        &Keys::Pair(receiver_secret, sender_public),
        encrypted_challenge,
        nonce,
    )
}

fn open_challenge_with(
    keys: &Keys<'_>,
    encrypted_challenge: &str,
    nonce: &str,
) -> Result<Vec<u8>, SessionError> {
    if encrypted_challenge.len() > 2 * (MAX_CHALLENGE_BYTES + TAG_LEN) + 2 {
        return Err(SessionError::Oversize);
    }
    let sealed = hex_decode(encrypted_challenge).map_err(|_| SessionError::BadHex)?;
    let nonce = hex_decode(nonce).map_err(|_| SessionError::BadHex)?;
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|v: Vec<u8>| SessionError::NonceLength(v.len()))?;
    let opened = open_with(keys, &sealed, &nonce)?;
    Ok(opened.to_vec())
}

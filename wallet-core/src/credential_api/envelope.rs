//! The `EncryptedMessage` wire object `{receiverKeyUri, senderKeyUri, ciphertext, nonce}`.

use serde::{Deserialize, Serialize};

use super::message::validate_did_url;
use super::{MAX_ENVELOPE_BYTES, MAX_MESSAGE_BYTES, NONCE_LEN, SessionError, TAG_LEN};
use crate::encoding::{hex_decode, hex_encode};

/// An encrypted Credential API message, validated: key URIs are DID URLs, the nonce
/// is 24 bytes and the ciphertext (tag ‖ XSalsa20 ciphertext) is within bounds.
///
/// On the wire `ciphertext` and `nonce` are lower-case hex; an `0x` prefix (as KILT's
/// JavaScript emits) is accepted on input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawEncryptedMessage", into = "RawEncryptedMessage")]
pub struct EncryptedMessage {
    receiver_key_uri: String,
    sender_key_uri: String,
    ciphertext: Vec<u8>,
    nonce: [u8; NONCE_LEN],
}

/// The unvalidated wire form, all strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawEncryptedMessage {
    /// DID URL of the receiver's key-agreement key.
    pub receiver_key_uri: String,
    /// DID URL of the sender's key-agreement key.
    pub sender_key_uri: String,
    /// Hex of the NaCl box (Poly1305 tag ‖ ciphertext).
    pub ciphertext: String,
    /// Hex of the 24-byte nonce.
    pub nonce: String,
}

impl EncryptedMessage {
    pub(crate) fn from_bytes(
        receiver_key_uri: &str,
        sender_key_uri: &str,
        ciphertext: Vec<u8>,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Self, SessionError> {
        validate_key_uri(receiver_key_uri)?;
        validate_key_uri(sender_key_uri)?;
        check_ciphertext_len(ciphertext.len())?;
        Ok(Self {
            receiver_key_uri: receiver_key_uri.to_owned(),
            sender_key_uri: sender_key_uri.to_owned(),
            ciphertext,
            nonce,
        })
    }

    /// Validates the wire form.
    ///
    /// # Errors
    /// [`SessionError::InvalidDid`] for a key URI that is not a DID URL with a fragment;
    /// [`SessionError::BadHex`]; [`SessionError::NonceLength`];
    /// [`SessionError::Oversize`] / [`SessionError::Decrypt`] for a ciphertext longer
    /// than the message limit or shorter than the authentication tag.
    pub fn from_raw(raw: &RawEncryptedMessage) -> Result<Self, SessionError> {
        validate_key_uri(&raw.receiver_key_uri)?;
        validate_key_uri(&raw.sender_key_uri)?;
        if raw.ciphertext.len() > MAX_ENVELOPE_BYTES {
            return Err(SessionError::Oversize);
        }
        let ciphertext = hex_decode(&raw.ciphertext).map_err(|_| SessionError::BadHex)?;
        let nonce = hex_decode(&raw.nonce).map_err(|_| SessionError::BadHex)?;
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|v: Vec<u8>| SessionError::NonceLength(v.len()))?;
        Self::from_bytes(
            &raw.receiver_key_uri,
            &raw.sender_key_uri,
            ciphertext,
            nonce,
        )
    }

    /// Parses and validates the JSON wire form.
    ///
    /// # Errors
    /// [`SessionError::Oversize`] for input above the envelope limit;
    /// [`SessionError::NotAnEnvelope`] when the JSON does not have exactly the four
    /// string members; otherwise as [`EncryptedMessage::from_raw`].
    pub fn from_json(json: &str) -> Result<Self, SessionError> {
        if json.len() > MAX_ENVELOPE_BYTES + 4096 {
            return Err(SessionError::Oversize);
        }
        let raw: RawEncryptedMessage =
            serde_json::from_str(json).map_err(|_| SessionError::NotAnEnvelope)?;
        Self::from_raw(&raw)
    }

    /// The JSON wire form.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing four strings cannot fail; fall back to an empty object anyway
        // rather than panic.
        serde_json::to_string(&RawEncryptedMessage::from(self.clone()))
            .unwrap_or_else(|_| String::from("{}"))
    }

    /// DID URL of the receiver's key-agreement key.
    #[must_use]
    pub fn receiver_key_uri(&self) -> &str {
        &self.receiver_key_uri
    }

    /// DID URL of the sender's key-agreement key.
    #[must_use]
    pub fn sender_key_uri(&self) -> &str {
        &self.sender_key_uri
    }

    /// The box: Poly1305 tag (16 bytes) ‖ XSalsa20 ciphertext.
    #[must_use]
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The 24-byte nonce.
    #[must_use]
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }
}

impl TryFrom<RawEncryptedMessage> for EncryptedMessage {
    type Error = SessionError;

    fn try_from(raw: RawEncryptedMessage) -> Result<Self, SessionError> {
        Self::from_raw(&raw)
    }
}

impl From<EncryptedMessage> for RawEncryptedMessage {
    fn from(m: EncryptedMessage) -> Self {
        Self {
            receiver_key_uri: m.receiver_key_uri,
            sender_key_uri: m.sender_key_uri,
            ciphertext: hex_encode(&m.ciphertext),
            nonce: hex_encode(m.nonce),
        }
    }
}

/// A key URI must name one key: a DID URL with a non-empty fragment.
fn validate_key_uri(uri: &str) -> Result<(), SessionError> {
    validate_did_url(uri)?;
    match uri.split_once('#') {
        Some((_, fragment)) if !fragment.is_empty() => Ok(()),
        _ => Err(SessionError::InvalidDid),
    }
}

pub(crate) fn check_ciphertext_len(len: usize) -> Result<(), SessionError> {
    if len < TAG_LEN {
        // Too short to hold the tag: it cannot authenticate.
        return Err(SessionError::Decrypt);
    }
    if len - TAG_LEN > MAX_MESSAGE_BYTES {
        return Err(SessionError::Oversize);
    }
    Ok(())
}

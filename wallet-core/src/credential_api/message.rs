//! The Credential API message envelope (KILT Credential API 4.0 shape):
//! `{body:{type,content}, createdAt, sender, receiver, messageId, inReplyTo?, references?}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{MAX_MESSAGE_BYTES, SessionError, did_of};
use crate::encoding::hex_encode;
use crate::random::SecureRandom;

/// Longest DID or DID URL accepted in `sender` / `receiver` / key URIs.
pub const MAX_DID_URL_LEN: usize = 1024;
/// Longest `messageId` / `inReplyTo` value accepted.
pub const MAX_MESSAGE_ID_LEN: usize = 128;
/// Most entries accepted in `references`.
pub const MAX_REFERENCES: usize = 64;

/// The `content` of `reject` and `error` messages (Credential API: `{name?, message?}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorContent {
    /// A short machine-readable name of the error or reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The typed body of a [`Message`]: `{"type": …, "content": …}`. Unknown types are
/// rejected when parsing. The content of requests and submissions is kept as JSON and
/// validated by the code that acts on it (PEX / DCQL / VP verification).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "content", deny_unknown_fields)]
#[non_exhaustive]
pub enum MessageBody {
    /// `request-credential`: the provider's requirements, challenge and client data.
    #[serde(rename = "request-credential")]
    RequestCredential(Value),
    /// `submit-credential`: the wallet's Verifiable Presentation.
    #[serde(rename = "submit-credential")]
    SubmitCredential(Value),
    /// `reject`: the user declined.
    #[serde(rename = "reject")]
    Reject(ErrorContent),
    /// `error`: the workflow failed and must be reset.
    #[serde(rename = "error")]
    Error(ErrorContent),
}

impl MessageBody {
    /// The wire name of this body's `type`.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::RequestCredential(_) => "request-credential",
            Self::SubmitCredential(_) => "submit-credential",
            Self::Reject(_) => "reject",
            Self::Error(_) => "error",
        }
    }
}

/// A Credential API message. Fields are validated on construction and on parsing;
/// unknown top-level members are rejected so that what is decrypted is exactly what
/// was checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Message {
    /// What the message says.
    pub body: MessageBody,
    /// Creation time, milliseconds since the Unix epoch (set by the caller).
    pub created_at: u64,
    /// The sender's DID (or a DID URL of one of its keys).
    pub sender: String,
    /// The receiver's DID (or a DID URL of one of its keys).
    pub receiver: String,
    /// A random identifier of this message.
    pub message_id: String,
    /// The `messageId` of the message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// The `messageId`s of the thread this message belongs to, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<String>>,
}

impl Message {
    /// A new message with a fresh random `messageId` (16 random bytes, hex).
    ///
    /// # Errors
    /// [`SessionError::InvalidDid`] for a malformed `sender` or `receiver`;
    /// [`SessionError::Random`] when `rng` fails.
    pub fn new(
        body: MessageBody,
        sender: &str,
        receiver: &str,
        created_at: u64,
        rng: &mut impl SecureRandom,
    ) -> Result<Self, SessionError> {
        validate_did_url(sender)?;
        validate_did_url(receiver)?;
        let id = rng.bytes::<16>()?;
        Ok(Self {
            body,
            created_at,
            sender: sender.to_owned(),
            receiver: receiver.to_owned(),
            message_id: hex_encode(id),
            in_reply_to: None,
            references: None,
        })
    }

    /// A reply to `to`: sender and receiver swapped, `inReplyTo` set to its
    /// `messageId` and `references` extended with it (as KILT's `Message.fromBody`
    /// threads messages).
    ///
    /// # Errors
    /// [`SessionError::InvalidMessage`] when the thread would exceed
    /// [`MAX_REFERENCES`]; [`SessionError::Random`] when `rng` fails.
    pub fn reply(
        body: MessageBody,
        to: &Self,
        created_at: u64,
        rng: &mut impl SecureRandom,
    ) -> Result<Self, SessionError> {
        let mut refs = to.references.clone().unwrap_or_default();
        refs.push(to.message_id.clone());
        if refs.len() > MAX_REFERENCES {
            return Err(SessionError::InvalidMessage("too many references"));
        }
        let mut msg = Self::new(body, &to.receiver, &to.sender, created_at, rng)?;
        msg.in_reply_to = Some(to.message_id.clone());
        msg.references = Some(refs);
        Ok(msg)
    }

    /// The sender's DID (the DID URL without path, query or fragment).
    #[must_use]
    pub fn sender_did(&self) -> &str {
        did_of(&self.sender)
    }

    /// The receiver's DID (the DID URL without path, query or fragment).
    #[must_use]
    pub fn receiver_did(&self) -> &str {
        did_of(&self.receiver)
    }

    /// Parses and validates a message from JSON bytes.
    ///
    /// # Errors
    /// [`SessionError::Oversize`] above [`MAX_MESSAGE_BYTES`];
    /// [`SessionError::NotAMessage`] when the JSON is not a message of a known type;
    /// [`SessionError::InvalidDid`] / [`SessionError::InvalidMessage`] for bad fields.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SessionError> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(SessionError::Oversize);
        }
        let msg: Self = serde_json::from_slice(bytes).map_err(|_| SessionError::NotAMessage)?;
        msg.validate()?;
        Ok(msg)
    }

    /// The JSON form (members in declaration order; not canonicalized: the box
    /// authenticates the exact bytes).
    ///
    /// # Errors
    /// [`SessionError::Oversize`] above [`MAX_MESSAGE_BYTES`];
    /// [`SessionError::InvalidMessage`] should serialization fail.
    pub fn to_json(&self) -> Result<Vec<u8>, SessionError> {
        let bytes = serde_json::to_vec(self)
            .map_err(|_| SessionError::InvalidMessage("not serializable"))?;
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(SessionError::Oversize);
        }
        Ok(bytes)
    }

    /// Checks every field's shape.
    ///
    /// # Errors
    /// [`SessionError::InvalidDid`] or [`SessionError::InvalidMessage`].
    pub fn validate(&self) -> Result<(), SessionError> {
        validate_did_url(&self.sender)?;
        validate_did_url(&self.receiver)?;
        validate_id(&self.message_id)?;
        if let Some(r) = &self.in_reply_to {
            validate_id(r)?;
        }
        if let Some(refs) = &self.references {
            if refs.len() > MAX_REFERENCES {
                return Err(SessionError::InvalidMessage("too many references"));
            }
            for r in refs {
                validate_id(r)?;
            }
        }
        Ok(())
    }
}

/// Minimal DID / DID URL shape check (full DID parsing lives in the `did` module):
/// `did:<method>:<id>…`, bounded length, printable ASCII without spaces.
///
/// # Errors
/// [`SessionError::InvalidDid`].
pub fn validate_did_url(s: &str) -> Result<(), SessionError> {
    let ok = s.len() <= MAX_DID_URL_LEN
        && s.bytes().all(|b| b.is_ascii_graphic())
        && s.strip_prefix("did:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(method, id)| {
                !method.is_empty()
                    && method
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    && !did_of(id).is_empty()
            });
    if ok {
        Ok(())
    } else {
        Err(SessionError::InvalidDid)
    }
}

fn validate_id(s: &str) -> Result<(), SessionError> {
    if s.is_empty() || s.len() > MAX_MESSAGE_ID_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SessionError::InvalidMessage("bad message id"));
    }
    Ok(())
}

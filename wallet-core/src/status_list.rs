//! W3C Bitstring Status List v1.0: the status of a credential is a bit (or a few bits,
//! `statusSize`) at `statusListIndex` in a GZIP-compressed bitstring published in a
//! `BitstringStatusListCredential`.
//!
//! This module decodes and checks; it does not fetch and does not verify the status list
//! credential's proof. The presentation verifier fetches the list through a
//! caller-supplied [`StatusListSource`], verifies its proof with the same code as any
//! credential, and then asks [`StatusList::status`].

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::Value;

/// The smallest bitstring the spec allows, in entries: 131,072 (16 KiB at one bit per
/// entry), so that one list hides each holder among many (§ "Bitstring Encoding", herd
/// privacy). Smaller lists are `STATUS_LIST_LENGTH_ERROR`.
pub const MIN_ENTRIES: u64 = 131_072;
/// The largest decompressed bitstring accepted: 16 MiB. The compressed form comes from
/// the network, so decompression is bounded (a GZIP bomb expands 1000×).
pub const MAX_BITSTRING_BYTES: usize = 16 * 1024 * 1024;
/// The largest `encodedList` string accepted.
pub const MAX_ENCODED_LEN: usize = 4 * 1024 * 1024;
/// The widest status entry supported, in bits.
pub const MAX_STATUS_SIZE: u8 = 8;

/// What went wrong with a status entry or a status list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The `credentialStatus` entry is not a valid `BitstringStatusListEntry`.
    #[error("invalid credentialStatus entry: {0}")]
    InvalidEntry(&'static str),
    /// The status list credential is not a valid `BitstringStatusListCredential`.
    #[error("invalid status list credential: {0}")]
    InvalidListCredential(&'static str),
    /// `encodedList` is not multibase base64url (`u…`) of GZIP data, or is too large.
    #[error("encodedList cannot be decoded")]
    Encoding,
    /// The decompressed bitstring is shorter than the spec's minimum or longer than
    /// [`MAX_BITSTRING_BYTES`] (`STATUS_LIST_LENGTH_ERROR`).
    #[error("status list length out of bounds")]
    Length,
    /// The index points past the end of the bitstring (`RANGE_ERROR`).
    #[error("status list index {0} out of range")]
    Range(u64),
    /// The entry's `statusPurpose` is not one the list credential declares
    /// (`STATUS_VERIFICATION_ERROR`).
    #[error("status purpose {0:?} does not match the status list")]
    PurposeMismatch(String),
    /// The entry names a different status list than the one supplied.
    #[error("the status list credential is not the one the entry references")]
    WrongList,
    /// The status list could not be obtained (`STATUS_RETRIEVAL_ERROR`).
    #[error("status list {url} could not be retrieved: {reason}")]
    Retrieval {
        /// The `statusListCredential` URL.
        url: String,
        /// Why, as reported by the source.
        reason: String,
    },
}

/// A credential's `credentialStatus` entry of type `BitstringStatusListEntry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// `statusPurpose`: `revocation`, `suspension`, `refresh`, `message`, ….
    pub purpose: String,
    /// `statusListIndex` (a decimal string on the wire).
    pub index: u64,
    /// `statusListCredential`: the URL of the list.
    pub list_credential: String,
    /// `statusSize` in bits (default 1).
    pub size: u8,
}

impl StatusEntry {
    /// Parses one `credentialStatus` object.
    ///
    /// # Errors
    /// [`StatusError::InvalidEntry`].
    pub fn from_value(v: &Value) -> Result<Self, StatusError> {
        let obj = v
            .as_object()
            .ok_or(StatusError::InvalidEntry("not an object"))?;
        if obj.get("type").and_then(Value::as_str) != Some("BitstringStatusListEntry") {
            return Err(StatusError::InvalidEntry(
                "type is not BitstringStatusListEntry",
            ));
        }
        let purpose = obj
            .get("statusPurpose")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 64)
            .ok_or(StatusError::InvalidEntry("statusPurpose"))?
            .to_owned();
        // The spec serializes the index as a string of base-10 digits; accept a JSON
        // integer as well since some issuers emit one.
        let index = match obj.get("statusListIndex") {
            Some(Value::String(s))
                if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse()
                    .map_err(|_| StatusError::InvalidEntry("statusListIndex"))?
            }
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or(StatusError::InvalidEntry("statusListIndex"))?,
            _ => return Err(StatusError::InvalidEntry("statusListIndex")),
        };
        let list_credential = obj
            .get("statusListCredential")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 2048)
            .ok_or(StatusError::InvalidEntry("statusListCredential"))?
            .to_owned();
        let size = match obj.get("statusSize") {
            None => 1,
            Some(v) => v
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| (1..=MAX_STATUS_SIZE).contains(n))
                .ok_or(StatusError::InvalidEntry("statusSize"))?,
        };
        Ok(Self {
            purpose,
            index,
            list_credential,
            size,
        })
    }
}

/// A decoded status list: the purposes it serves and its bitstring.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    purposes: Vec<String>,
    bits: Vec<u8>,
}

impl core::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "StatusList({:?}, {} bytes)",
            self.purposes,
            self.bits.len()
        )
    }
}

impl StatusList {
    /// An all-zero list of `entries` entries of `size` bits (issuer side).
    ///
    /// # Errors
    /// [`StatusError::Length`] when below the spec's minimum or above the maximum.
    pub fn new(purpose: &str, entries: u64, size: u8) -> Result<Self, StatusError> {
        if entries < MIN_ENTRIES || !(1..=MAX_STATUS_SIZE).contains(&size) {
            return Err(StatusError::Length);
        }
        let bytes = usize::try_from(entries.saturating_mul(u64::from(size)).div_ceil(8))
            .map_err(|_| StatusError::Length)?;
        if bytes > MAX_BITSTRING_BYTES {
            return Err(StatusError::Length);
        }
        Ok(Self {
            purposes: vec![purpose.to_owned()],
            bits: vec![0; bytes],
        })
    }

    /// Decodes the list of a `BitstringStatusListCredential` whose proof the caller has
    /// already verified.
    ///
    /// # Errors
    /// [`StatusError::InvalidListCredential`], [`StatusError::Encoding`],
    /// [`StatusError::Length`].
    pub fn from_credential(credential: &Value) -> Result<Self, StatusError> {
        let types = credential
            .get("type")
            .ok_or(StatusError::InvalidListCredential("type"))?;
        if !has_type(types, "BitstringStatusListCredential") {
            return Err(StatusError::InvalidListCredential(
                "type is not BitstringStatusListCredential",
            ));
        }
        let subject = credential
            .get("credentialSubject")
            .and_then(Value::as_object)
            .ok_or(StatusError::InvalidListCredential("credentialSubject"))?;
        if !subject
            .get("type")
            .is_some_and(|t| has_type(t, "BitstringStatusList"))
        {
            return Err(StatusError::InvalidListCredential(
                "credentialSubject type is not BitstringStatusList",
            ));
        }
        // statusPurpose is a string or, since v1.0, an array of strings.
        let purposes: Vec<String> = match subject.get("statusPurpose") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) if !a.is_empty() && a.len() <= 16 => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or(StatusError::InvalidListCredential("statusPurpose"))?,
            _ => return Err(StatusError::InvalidListCredential("statusPurpose")),
        };
        let encoded = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or(StatusError::InvalidListCredential("encodedList"))?;
        Ok(Self {
            purposes,
            bits: decode_list(encoded)?,
        })
    }

    /// The purposes this list serves.
    #[must_use]
    pub fn purposes(&self) -> &[String] {
        &self.purposes
    }

    /// The status value of `entry`: 0 means "not set" (for `revocation`: not revoked).
    /// The entry's purpose must be one of the list's and its size-aligned position must
    /// lie inside the bitstring.
    ///
    /// # Errors
    /// [`StatusError::PurposeMismatch`], [`StatusError::Length`] (the list is shorter
    /// than the minimum for this entry size), [`StatusError::Range`].
    pub fn status(&self, entry: &StatusEntry) -> Result<u8, StatusError> {
        if !self.purposes.iter().any(|p| p == &entry.purpose) {
            return Err(StatusError::PurposeMismatch(entry.purpose.clone()));
        }
        let total_bits = (self.bits.len() as u64).saturating_mul(8);
        if total_bits < MIN_ENTRIES.saturating_mul(u64::from(entry.size)) {
            return Err(StatusError::Length);
        }
        self.get(entry.index, entry.size)
    }

    /// Reads `size` bits at entry `index`, most significant bit first ("the first index
    /// is the left-most bit").
    fn get(&self, index: u64, size: u8) -> Result<u8, StatusError> {
        let start = index
            .checked_mul(u64::from(size))
            .ok_or(StatusError::Range(index))?;
        let end = start
            .checked_add(u64::from(size))
            .ok_or(StatusError::Range(index))?;
        if end > (self.bits.len() as u64).saturating_mul(8) {
            return Err(StatusError::Range(index));
        }
        let mut value = 0u8;
        for bit in start..end {
            let byte = self
                .bits
                .get(usize::try_from(bit / 8).map_err(|_| StatusError::Range(index))?)
                .ok_or(StatusError::Range(index))?;
            value = (value << 1) | ((byte >> (7 - (bit % 8))) & 1);
        }
        Ok(value)
    }

    /// Sets the status of entry `index` (issuer side).
    ///
    /// # Errors
    /// [`StatusError::Range`] when the entry lies outside the list or `value` does not fit
    /// in `size` bits.
    pub fn set(&mut self, index: u64, size: u8, value: u8) -> Result<(), StatusError> {
        if size == 0 || size > MAX_STATUS_SIZE || (size < 8 && value >> size != 0) {
            return Err(StatusError::Range(index));
        }
        let start = index
            .checked_mul(u64::from(size))
            .ok_or(StatusError::Range(index))?;
        if start.saturating_add(u64::from(size)) > (self.bits.len() as u64).saturating_mul(8) {
            return Err(StatusError::Range(index));
        }
        for i in 0..u64::from(size) {
            let bit = start + i;
            let on = (value >> (u64::from(size) - 1 - i)) & 1 == 1;
            let pos = usize::try_from(bit / 8).map_err(|_| StatusError::Range(index))?;
            let mask = 1u8 << (7 - (bit % 8));
            let byte = self.bits.get_mut(pos).ok_or(StatusError::Range(index))?;
            if on {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
        Ok(())
    }

    /// The `encodedList` value: multibase base64url (`u` prefix, no padding) of the
    /// GZIP-compressed bitstring.
    ///
    /// # Errors
    /// [`StatusError::Encoding`] if compression fails (it does not for in-memory data).
    pub fn encode(&self) -> Result<String, StatusError> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&self.bits)
            .map_err(|_| StatusError::Encoding)?;
        let compressed = gz.finish().map_err(|_| StatusError::Encoding)?;
        Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
    }
}

fn has_type(types: &Value, wanted: &str) -> bool {
    match types {
        Value::String(s) => s == wanted,
        Value::Array(a) => a.iter().any(|t| t.as_str() == Some(wanted)),
        _ => false,
    }
}

/// Decodes an `encodedList`: `u` + base64url (padding tolerated, as the spec's examples
/// come from implementations that differ on it), then GZIP with a bounded output.
fn decode_list(encoded: &str) -> Result<Vec<u8>, StatusError> {
    if encoded.len() > MAX_ENCODED_LEN {
        return Err(StatusError::Encoding);
    }
    let b64 = encoded.strip_prefix('u').ok_or(StatusError::Encoding)?;
    let compressed = URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| StatusError::Encoding)?;
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_BITSTRING_BYTES).unwrap_or(u64::MAX) + 1;
    GzDecoder::new(compressed.as_slice())
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| StatusError::Encoding)?;
    if out.len() > MAX_BITSTRING_BYTES {
        return Err(StatusError::Length);
    }
    if (out.len() as u64).saturating_mul(8) < MIN_ENTRIES {
        return Err(StatusError::Length);
    }
    Ok(out)
}

/// Where the verifier gets status list credentials from: an HTTP client on the server,
/// `fetch` in the extension, a map in tests. Implementations return the credential JSON
/// (a VC-JWT or SD-JWT list is decoded by the caller first).
pub trait StatusListSource {
    /// The status list credential published at `url`.
    ///
    /// # Errors
    /// [`StatusError::Retrieval`] when it cannot be obtained.
    fn status_list_credential(&self, url: &str) -> Result<Value, StatusError>;
}

impl<S: StatusListSource + ?Sized> StatusListSource for &S {
    fn status_list_credential(&self, url: &str) -> Result<Value, StatusError> {
        (**self).status_list_credential(url)
    }
}

/// A [`StatusListSource`] over status list credentials held in memory, keyed by URL.
#[derive(Debug, Clone, Default)]
pub struct StaticStatusLists(pub std::collections::BTreeMap<String, Value>);

impl StatusListSource for StaticStatusLists {
    fn status_list_credential(&self, url: &str) -> Result<Value, StatusError> {
        self.0
            .get(url)
            .cloned()
            .ok_or_else(|| StatusError::Retrieval {
                url: url.to_owned(),
                reason: "not available".into(),
            })
    }
}

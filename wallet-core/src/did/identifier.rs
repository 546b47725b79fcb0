//! Validated DID and DID URL strings (W3C DID Core 1.0 §3.1 and §3.2).

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DidError;

/// The longest DID accepted. A did:jwk of an RSA-4096 key is about 960 characters;
/// anything much longer is not an identifier this wallet can use.
pub const MAX_DID_LEN: usize = 4096;

/// The longest DID URL accepted (a DID plus path, query and fragment).
pub const MAX_DID_URL_LEN: usize = 8192;

/// A DID: `did:` method-name `:` method-specific-id, validated against the ABNF of
/// DID Core §3.1:
///
/// ```text
/// did                = "did:" method-name ":" method-specific-id
/// method-name        = 1*method-char
/// method-char        = %x61-7A / DIGIT
/// method-specific-id = *( *idchar ":" ) 1*idchar
/// idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
/// pct-encoded        = "%" HEXDIG HEXDIG
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did {
    text: String,
    /// Byte length of the method name (the text after `did:` up to the next `:`).
    method_len: usize,
}

const DID_PREFIX: &str = "did:";

impl Did {
    /// Parses and validates a DID (no path, query or fragment).
    ///
    /// # Errors
    /// [`DidError::TooLong`], [`DidError::NotADid`], [`DidError::InvalidMethodName`],
    /// [`DidError::InvalidMethodSpecificId`].
    pub fn parse(s: &str) -> Result<Self, DidError> {
        if s.len() > MAX_DID_LEN {
            return Err(DidError::TooLong { max: MAX_DID_LEN });
        }
        let rest = s.strip_prefix(DID_PREFIX).ok_or(DidError::NotADid)?;
        let (method, msid) = rest.split_once(':').ok_or(DidError::InvalidMethodName)?;
        if method.is_empty()
            || !method
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(DidError::InvalidMethodName);
        }
        validate_method_specific_id(msid)?;
        Ok(Self {
            text: s.to_owned(),
            method_len: method.len(),
        })
    }

    /// The method name, e.g. `key`.
    #[must_use]
    pub fn method(&self) -> &str {
        self.text
            .get(DID_PREFIX.len()..DID_PREFIX.len() + self.method_len)
            .unwrap_or_default()
    }

    /// The method-specific identifier (everything after `did:<method>:`).
    #[must_use]
    pub fn method_specific_id(&self) -> &str {
        self.text
            .get(DID_PREFIX.len() + self.method_len + 1..)
            .unwrap_or_default()
    }

    /// The whole DID.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The DID URL `<did>#<fragment>`.
    ///
    /// # Errors
    /// [`DidError::InvalidDidUrl`] when `fragment` has characters a fragment may not
    /// hold, [`DidError::TooLong`] past [`MAX_DID_URL_LEN`].
    pub fn with_fragment(&self, fragment: &str) -> Result<DidUrl, DidError> {
        DidUrl::parse(&format!("{}#{fragment}", self.text))
    }
}

/// `method-specific-id = *( *idchar ":" ) 1*idchar`: colon-separated segments of
/// idchars, where only the last must be non-empty.
fn validate_method_specific_id(msid: &str) -> Result<(), DidError> {
    let bytes = msid.as_bytes();
    if bytes.is_empty() || bytes.last() == Some(&b':') {
        return Err(DidError::InvalidMethodSpecificId);
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b':' => i += 1,
            b'%' if is_pct_encoded(bytes, i) => i += 3,
            _ => return Err(DidError::InvalidMethodSpecificId),
        }
    }
    Ok(())
}

fn is_pct_encoded(bytes: &[u8], at: usize) -> bool {
    matches!(
        (bytes.get(at + 1), bytes.get(at + 2)),
        (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit()
    )
}

/// RFC 3986 `pchar` = unreserved / pct-encoded / sub-delims / ":" / "@".
/// Returns the byte length consumed at `at`, or `None` if it is not a pchar.
fn pchar_len(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => Some(1),
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => Some(1),
        b':' | b'@' => Some(1),
        b'%' if is_pct_encoded(bytes, at) => Some(3),
        _ => None,
    }
}

/// Checks `s` against a production made of pchars plus the listed extra bytes.
fn all_pchars(s: &str, extra: &[u8]) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(b) = bytes.get(i) {
        if extra.contains(b) {
            i += 1;
        } else if let Some(n) = pchar_len(bytes, i) {
            i += n;
        } else {
            return false;
        }
    }
    true
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.text)
    }
}

impl FromStr for Did {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Self, DidError> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Did {
    type Error = DidError;
    fn try_from(s: &str) -> Result<Self, DidError> {
        Self::parse(s)
    }
}

impl AsRef<str> for Did {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for Did {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Did {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A DID URL (DID Core §3.2): a DID followed by an optional path, query and fragment.
///
/// ```text
/// did-url = did path-abempty [ "?" query ] [ "#" fragment ]
/// ```
///
/// `path-abempty`, `query` and `fragment` are those of RFC 3986 §3.3–3.5.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DidUrl {
    text: String,
    did: Did,
    /// Byte ranges of the parts within `text` (path without nothing stripped,
    /// query and fragment without their `?` / `#`).
    path: (usize, usize),
    query: Option<(usize, usize)>,
    fragment: Option<(usize, usize)>,
}

impl DidUrl {
    /// Parses and validates an absolute DID URL.
    ///
    /// # Errors
    /// [`DidError::TooLong`], the errors of [`Did::parse`] for the DID part, and
    /// [`DidError::InvalidDidUrl`] for a malformed path, query or fragment.
    pub fn parse(s: &str) -> Result<Self, DidError> {
        if s.len() > MAX_DID_URL_LEN {
            return Err(DidError::TooLong {
                max: MAX_DID_URL_LEN,
            });
        }
        // None of '/', '?', '#' is an idchar, so the DID ends at the first of them.
        let did_end = s.find(['/', '?', '#']).unwrap_or(s.len());
        let did = Did::parse(s.get(..did_end).ok_or(DidError::InvalidDidUrl)?)?;

        let (before_fragment, fragment) = match s.find('#') {
            Some(h) => (h, Some((h + 1, s.len()))),
            None => (s.len(), None),
        };
        let query_start = s.get(..before_fragment).and_then(|p| p.find('?'));
        let (path_end, query) = match query_start {
            Some(q) => (q, Some((q + 1, before_fragment))),
            None => (before_fragment, None),
        };
        let path = (did_end, path_end);

        let part = |r: (usize, usize)| s.get(r.0..r.1).ok_or(DidError::InvalidDidUrl);
        // path-abempty = *( "/" segment ): empty, or starts with '/'.
        let path_text = part(path)?;
        if !(path_text.is_empty() || path_text.starts_with('/')) || !all_pchars(path_text, b"/") {
            return Err(DidError::InvalidDidUrl);
        }
        if let Some(q) = query
            && !all_pchars(part(q)?, b"/?")
        {
            return Err(DidError::InvalidDidUrl);
        }
        if let Some(f) = fragment
            && !all_pchars(part(f)?, b"/?")
        {
            return Err(DidError::InvalidDidUrl);
        }
        Ok(Self {
            text: s.to_owned(),
            did,
            path,
            query,
            fragment,
        })
    }

    /// Resolves a DID URL reference found inside the document of `base`: either an
    /// absolute DID URL or a relative one starting with `#`, `?` or `/` (DID Core §3.2.2).
    ///
    /// # Errors
    /// As [`DidUrl::parse`].
    pub fn parse_relative(s: &str, base: &Did) -> Result<Self, DidError> {
        if s.starts_with(['#', '?', '/']) {
            if s.len() > MAX_DID_URL_LEN {
                return Err(DidError::TooLong {
                    max: MAX_DID_URL_LEN,
                });
            }
            Self::parse(&format!("{base}{s}"))
        } else {
            Self::parse(s)
        }
    }

    /// The DID part.
    #[must_use]
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The path (`""` when absent; otherwise starting with `/`).
    #[must_use]
    pub fn path(&self) -> &str {
        self.text.get(self.path.0..self.path.1).unwrap_or_default()
    }

    /// The query, without its `?`.
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.query.and_then(|(a, b)| self.text.get(a..b))
    }

    /// The fragment, without its `#`.
    #[must_use]
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.and_then(|(a, b)| self.text.get(a..b))
    }

    /// The whole DID URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidUrl({})", self.text)
    }
}

impl FromStr for DidUrl {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Self, DidError> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for DidUrl {
    type Error = DidError;
    fn try_from(s: &str) -> Result<Self, DidError> {
        Self::parse(s)
    }
}

impl From<Did> for DidUrl {
    fn from(did: Did) -> Self {
        let end = did.text.len();
        Self {
            text: did.text.clone(),
            did,
            path: (end, end),
            query: None,
            fragment: None,
        }
    }
}

impl AsRef<str> for DidUrl {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for DidUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DidUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

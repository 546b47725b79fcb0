//! HTTP helpers shared by the handlers: parameter parsing, HTML pages, headers,
//! random handles and their hashes, the clock.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest as _, Sha256};
use wallet_core::encoding::{b64u_encode, hex_encode};
use wallet_core::random::{OsRandom, SecureRandom as _};

use crate::error::AppError;

/// Largest accepted value of one request parameter, in bytes.
pub const MAX_PARAM_LEN: usize = 8 * 1024;
/// Most parameters accepted in one request.
pub const MAX_PARAMS: usize = 64;

/// Request parameters (query string or form body), each name at most once.
#[derive(Debug, Default, Clone)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text.
    ///
    /// # Errors
    /// `invalid_request` for a repeated parameter (RFC 6749 §3.1: "Request and
    /// response parameters MUST NOT be included more than once"), too many or too
    /// long parameters.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let mut map = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
            if map.len() >= MAX_PARAMS {
                return Err(AppError::invalid_request("too many parameters"));
            }
            if value.len() > MAX_PARAM_LEN || name.len() > 256 {
                return Err(AppError::invalid_request("parameter too long"));
            }
            // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if
            // they were omitted from the request."
            if value.is_empty() {
                continue;
            }
            if map.insert(name.to_string(), value.to_string()).is_some() {
                return Err(AppError::invalid_request(format!(
                    "parameter {name} repeated"
                )));
            }
        }
        Ok(Self(map))
    }

    /// The value of `name`, if given.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Whether `name` was given.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// These parameters with `name` set to `value` (replacing any given value).
    #[must_use]
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0.insert(name.to_owned(), value.to_owned());
        self
    }
}

/// Current time, unix seconds.
#[must_use]
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Hex digits of a handle's time prefix (milliseconds since the epoch).
const TIME_PREFIX: usize = 12;
/// Length of a handle: the time prefix, then 256 random bits in base64url.
const HANDLE_LEN: usize = TIME_PREFIX + 43;

/// A fresh handle (codes, tokens, login challenges, client secrets): 256 random bits
/// in base64url, after the creation time in milliseconds as 12 hex digits.
///
/// The time prefix is no secret and adds no strength; it orders the stored keys
/// ([`handle_hash`]) by creation time, so that the rows a burst of logins writes share
/// the same few B-tree pages instead of each dirtying a random one (every dirty page
/// is a 4 KiB WAL write and a checkpoint write; docs/decisions.md, "Performance").
///
/// # Errors
/// When the OS random source fails.
pub fn random_handle() -> Result<String, AppError> {
    let bytes = OsRandom
        .bytes::<32>()
        .map_err(|_| AppError::internal("OS random source failed"))?;
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    // 48 bits of milliseconds last until the year 10889.
    let prefix = millis & 0xffff_ffff_ffff;
    Ok(format!("{prefix:012x}{}", b64u_encode(bytes)))
}

/// `N` random bytes, hex (challenges).
///
/// # Errors
/// When the OS random source fails.
pub fn random_hex<const N: usize>() -> Result<String, AppError> {
    OsRandom
        .bytes::<N>()
        .map(hex_encode)
        .map_err(|_| AppError::internal("OS random source failed"))
}

/// The stored form of a secret handle: its time prefix, then
/// base64url(SHA-256(handle)). Handles are 256-bit random, so a fast hash is enough;
/// lookups by hash keep comparisons off the secret. A handle without the prefix (made
/// before handles had one) is stored and looked up as the bare hash, as it was.
#[must_use]
pub fn handle_hash(handle: &str) -> String {
    let hash = b64u_encode(Sha256::digest(handle.as_bytes()));
    match handle.get(..TIME_PREFIX) {
        Some(prefix)
            if handle.len() == HANDLE_LEN
                && prefix
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            format!("{prefix}{hash}")
        }
        _ => hash,
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A JSON response that no cache may keep (flow state, tokens, challenges).
pub fn json_no_store(value: serde_json::Value) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let mut response = axum::Json(value).into_response();
    no_store(response.headers_mut());
    response
}

/// The value of cookie `name` in the request's `Cookie` headers, if present,
/// non-empty and at most 128 bytes (every cookie we set is a short random handle).
#[must_use]
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Security headers for every HTML page: no framing, no referrer, nothing loaded
/// from anywhere else. `script_hash` allows exactly one inline script.
pub fn html_security_headers(headers: &mut HeaderMap, script_hash: Option<&str>) {
    let script = script_hash.map_or_else(
        || "script-src 'none'".to_owned(),
        |h| format!("script-src 'sha256-{h}'"),
    );
    let csp = format!(
        "default-src 'none'; {script}; style-src 'unsafe-inline'; img-src 'self'; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    no_store(headers);
}

/// The base64 SHA-256 of an inline script, for `script-src 'sha256-…'`.
#[must_use]
pub fn script_hash(script: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
}

/// HTML-escapes text for element content and attribute values.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete HTML page; `body` must already be escaped.
#[must_use]
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head><body>{body}</body></html>",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_handles_sort_by_creation_time() {
        let first = random_handle().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = random_handle().unwrap();
        assert_eq!(first.len(), HANDLE_LEN);
        assert_ne!(first[TIME_PREFIX..], second[TIME_PREFIX..]);
        assert!(handle_hash(&first) < handle_hash(&second));
        assert!(handle_hash(&first).starts_with(&first[..TIME_PREFIX]));
        assert!(handle_hash(&first).ends_with(&b64u_encode(Sha256::digest(first.as_bytes()))));
    }

    #[test]
    fn handles_without_a_time_prefix_hash_as_before() {
        // A handle of the earlier format: 43 base64url characters.
        let legacy = "0123456789abcdefDEADBEEF-_0123456789abcdefXY";
        let legacy = &legacy[..43];
        assert_eq!(
            handle_hash(legacy),
            b64u_encode(Sha256::digest(legacy.as_bytes()))
        );
        // Right length, but not a hex prefix: the bare hash too.
        let odd = format!("zzzzzzzzzzzz{}", &"A".repeat(43));
        assert_eq!(
            handle_hash(&odd),
            b64u_encode(Sha256::digest(odd.as_bytes()))
        );
    }
}

/// A request body read whole (`axum::body::Bytes`), with the failures a client causes
/// answered as OAuth-style JSON errors instead of axum's plain-text rejections:
///
/// - past `--body-limit`: 413 `invalid_request`;
/// - a client that stops sending mid-body for the body timeout ([`crate::app`]): 408
///   `invalid_request`, not the 503 the whole-request timeout would give later (a
///   stalled client is the client's fault, not an outage);
/// - a body that breaks off or is not valid HTTP framing: 400 `invalid_request`.
#[derive(Debug)]
pub struct ReadBody(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ReadBody {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
        use axum::http::StatusCode;
        match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
                Err(AppError::with_status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the request body is larger than this server accepts",
                ))
            }
            Err(e) if caused_by_timeout(&e) => Err(AppError::with_status(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time",
            )),
            Err(_) => Err(AppError::invalid_request(
                "the request body could not be read",
            )),
        }
    }
}

/// Whether tower-http's body timeout is among the causes of `e`.
fn caused_by_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

//! Where status list credentials come from (W3C Bitstring Status List v1.0 §3.2):
//! HTTP(S) with bounded size, time and redirects, or a fixed map for tests.
//!
//! wallet-core's [`StatusListSource`] is synchronous, so verification runs on a
//! blocking thread ([`tokio::task::spawn_blocking`]) and [`HttpStatusLists`] drives
//! its async HTTP request to completion there with the runtime's handle
//! ([`block_on`]).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wallet_core::status_list::{StatusError, StatusListSource};

/// Largest status list credential fetched, in bytes.
pub const MAX_STATUS_LIST_BYTES: usize = 1 << 20;
/// Time limit for fetching one status list credential.
pub const STATUS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Most redirects followed when fetching a status list credential.
pub const MAX_STATUS_REDIRECTS: usize = 3;

/// A shareable status list source (HTTP in production, a map in tests).
#[derive(Clone)]
pub struct StatusLists(pub Arc<dyn StatusListSource + Send + Sync>);

impl core::fmt::Debug for StatusLists {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StatusLists")
    }
}

impl StatusLists {
    /// Fetches over HTTP(S), trusting the Mozilla roots and `extra_roots`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn http(extra_roots: &[reqwest::Certificate]) -> Result<Self, reqwest::Error> {
        Ok(Self(Arc::new(HttpStatusLists::with_roots(extra_roots)?)))
    }

    /// Serves `source` (e.g. [`wallet_core::status_list::StaticStatusLists`]).
    #[must_use]
    pub fn fixed(source: impl StatusListSource + Send + Sync + 'static) -> Self {
        Self(Arc::new(source))
    }
}

/// Fetches status list credentials with `reqwest`. Must be called from a thread
/// that may block inside a Tokio runtime (a `spawn_blocking` task).
#[derive(Debug, Clone)]
pub struct HttpStatusLists {
    client: reqwest::Client,
}

impl HttpStatusLists {
    /// A client with the module's bounds.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new() -> Result<Self, reqwest::Error> {
        Self::with_roots(&[])
    }

    /// [`HttpStatusLists::new`], also trusting `extra_roots` (`--tls-root-ca`).
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn with_roots(extra_roots: &[reqwest::Certificate]) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: outbound_client(STATUS_FETCH_TIMEOUT, extra_roots)
                .redirect(reqwest::redirect::Policy::limited(MAX_STATUS_REDIRECTS))
                .build()?,
        })
    }

    async fn fetch(&self, url: &str) -> Result<Value, String> {
        let parsed = url::Url::parse(url).map_err(|_| "not a URL".to_owned())?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("only http and https status lists are fetched".into());
        }
        let body = get_limited(
            &self.client,
            parsed,
            "application/vc+ld+json, application/vc+jwt, application/json",
            MAX_STATUS_LIST_BYTES,
        )
        .await?;
        let text = String::from_utf8(body).map_err(|_| "not UTF-8".to_owned())?;
        let trimmed = text.trim();
        // A VC-JWT list is a compact JWS; wallet-core takes it as a JSON string.
        if trimmed.starts_with("ey") {
            return Ok(Value::String(trimmed.to_owned()));
        }
        wallet_core::jcs::parse(trimmed).map_err(|_| "not JSON".to_owned())
    }
}

/// An HTTP client for the provider's own requests during verification: `timeout` for
/// connecting and for the whole request, the Mozilla roots plus `extra_roots`
/// (`--tls-root-ca`).
pub(crate) fn outbound_client(
    timeout: std::time::Duration,
    extra_roots: &[reqwest::Certificate],
) -> reqwest::ClientBuilder {
    extra_roots.iter().fold(
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout),
        |builder, root| builder.add_root_certificate(root.clone()),
    )
}

/// Runs `future` to completion from synchronous verification code. Meant for the
/// blocking pool, where verification that may fetch runs
/// ([`crate::credentials::Verification::run`] decides that from the presentation's
/// text). A presentation that fetches although its text did not say so (JSON escapes
/// can hide a member name) is verified on a worker thread instead: on the
/// multi-threaded runtime the server runs on, the worker is then handed over with
/// `block_in_place` rather than blocked, so that is no panic either. (On a
/// current-thread runtime, as in tests, this must be called from the blocking pool.)
///
/// # Errors
/// When there is no runtime.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, &'static str> {
    let handle =
        tokio::runtime::Handle::try_current().map_err(|_| "no async runtime to fetch with")?;
    Ok(match handle.runtime_flavor() {
        tokio::runtime::RuntimeFlavor::CurrentThread => handle.block_on(future),
        _ => tokio::task::block_in_place(|| handle.block_on(future)),
    })
}

/// `GET url` with `accept`: the body of a 2xx answer of at most `max` bytes
/// (announced and actually read). The error says what failed, without the URL.
pub(crate) async fn get_limited(
    client: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    accept: &'static str,
    max: usize,
) -> Result<Vec<u8>, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, accept)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("answered HTTP {}", response.status().as_u16()));
    }
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("larger than {max} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading failed: {e}"))?
    {
        if body.len().saturating_add(chunk.len()) > max {
            return Err(format!("larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl StatusListSource for HttpStatusLists {
    fn status_list_credential(&self, url: &str) -> Result<Value, StatusError> {
        let fail = |reason: String| StatusError::Retrieval {
            url: url.chars().take(256).collect(),
            reason,
        };
        block_on(self.fetch(url))
            .map_err(|e| fail(e.into()))?
            .map_err(fail)
    }
}

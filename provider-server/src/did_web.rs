//! `did:web` resolution (DESIGN §2: "`did:web` over HTTPS where a fetcher is
//! available"): the provider fetches `https://<host>/…/did.json` (the mapping and the
//! document checks are wallet-core's [`wallet_core::did::web`]) and keeps each
//! document for `--did-web-cache-secs`.
//!
//! **Only trusted issuers are resolved.** A presentation names DIDs the provider did
//! not choose (the holder's, the issuers'), and resolving a `did:web` is an HTTPS
//! request to the host it names: resolving any of them would let a wallet make the
//! provider fetch from any host its network can reach (server-side request forgery).
//! So [`Resolver`] resolves a `did:web` only when it is on the trust list of the
//! verification at hand — DIDs an operator put there — and refuses the others with an
//! error that says so. Holders use `did:key` or `did:jwk` (DESIGN §2), which need no
//! fetch.
//!
//! Fetches are bounded like status list fetches: HTTPS only, 5 s, no redirects (the
//! did:web specification maps a DID to one URL), [`MAX_DOCUMENT_BYTES`]. Failures are
//! not cached, successes are, so a document is fetched once per `--did-web-cache-secs`
//! however many logins use it. Like [`crate::credentials::status`], the fetch blocks:
//! verification that may need one runs on the blocking pool
//! ([`crate::credentials::Verification::run`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wallet_core::data_integrity::{MethodResolver, ResolvedMethod};
use wallet_core::did::web::{self, MAX_DOCUMENT_BYTES};
use wallet_core::did::{Did, DidDocument, DidError, DidUrl};

use crate::credentials::status::{block_on, get_limited, outbound_client};
use crate::did_cache::CachedResolver;

/// Time limit for fetching one DID document.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Documents kept before the cache starts over (each is at most
/// [`MAX_DOCUMENT_BYTES`]).
pub const CACHE_CAPACITY: usize = 1024;

/// Fetched `did:web` documents, each kept for the configured time.
#[derive(Debug)]
pub struct WebDids {
    client: reqwest::Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Arc<DidDocument>)>>,
}

impl WebDids {
    /// A fetcher trusting the Mozilla roots and `extra_roots`, keeping documents for
    /// `ttl`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        extra_roots: &[reqwest::Certificate],
        ttl: Duration,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: outbound_client(FETCH_TIMEOUT, extra_roots)
                .redirect(reqwest::redirect::Policy::none())
                .https_only(true)
                .build()?,
            ttl,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The document of `did`, from the cache or fetched. A fetch blocks: see
    /// [`block_on`].
    ///
    /// # Errors
    /// [`DidError::ResolutionFailed`] when it cannot be fetched, and the errors of
    /// [`web::document_url`] and [`web::parse_document`].
    pub fn document(&self, did: &Did) -> Result<Arc<DidDocument>, DidError> {
        if let Some(hit) = self.cached(did) {
            return Ok(hit);
        }
        let url = web::document_url(did)?;
        let failed = |reason: String| DidError::ResolutionFailed {
            did: did.as_str().to_owned(),
            reason,
        };
        let bytes = block_on(self.fetch(&url))
            .map_err(|e| failed(e.into()))?
            .map_err(failed)?;
        let document = Arc::new(web::parse_document(&bytes, did)?);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(
                did.as_str().to_owned(),
                (Instant::now(), Arc::clone(&document)),
            );
        }
        tracing::info!(did = %did.as_str(), "did:web document fetched");
        Ok(document)
    }

    fn cached(&self, did: &Did) -> Option<Arc<DidDocument>> {
        let cache = self.cache.lock().ok()?;
        let (at, document) = cache.get(did.as_str())?;
        (at.elapsed() < self.ttl).then(|| Arc::clone(document))
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        get_limited(
            &self.client,
            url,
            "application/did+json, application/json",
            MAX_DOCUMENT_BYTES,
        )
        .await
        .map_err(|e| format!("{url}: {e}"))
    }
}

/// The provider's verification-method resolver: `did:key` and `did:jwk` offline
/// ([`CachedResolver`]), and `did:web` for the DIDs in `resolvable` only (see the
/// module docs).
#[derive(Debug, Clone)]
pub struct Resolver {
    web: Arc<WebDids>,
    resolvable: Arc<BTreeSet<String>>,
}

impl Resolver {
    /// Resolves `did:web` DIDs among `resolvable` with `web`.
    #[must_use]
    pub fn new(web: Arc<WebDids>, resolvable: BTreeSet<String>) -> Self {
        Self {
            web,
            resolvable: Arc::new(resolvable),
        }
    }

    /// Whether verifying `text` (a presentation in any form) may fetch a DID
    /// document: it names a `did:web` this resolver would resolve, in the clear or
    /// inside a base64url-encoded JWT or SD-JWT part.
    #[must_use]
    pub fn may_fetch(&self, text: &str) -> bool {
        if self.resolvable.is_empty() {
            return false;
        }
        let dids: Vec<&str> = self.resolvable.iter().map(String::as_str).collect();
        crate::credentials::mentions_any(text, &dids)
    }
}

impl MethodResolver for Resolver {
    fn resolve_method(&self, url: &DidUrl) -> Result<ResolvedMethod, DidError> {
        if url.did().method() != web::METHOD {
            return CachedResolver.resolve_method(url);
        }
        if !self.resolvable.contains(url.did().as_str()) {
            return Err(DidError::ResolutionFailed {
                did: url.did().as_str().to_owned(),
                reason: "did:web is resolved only for trusted issuers".into(),
            });
        }
        let document = self.web.document(url.did())?;
        Ok(ResolvedMethod {
            method: document.dereference(url)?.clone(),
            relationships: document.relationships_of(url),
        })
    }
}

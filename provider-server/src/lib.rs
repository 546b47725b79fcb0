//! # provider-server
//!
//! The OpenID Connect provider whose login is the wallet handshake (DESIGN §4–5).
//!
//! - [`config`]: flags and environment; `provider-server` starts with none.
//! - [`db`]: SQLite (WAL, default; rusqlite) or PostgreSQL (sqlx), migrations.
//! - [`clients`]: Login Configurations (OAuth clients).
//! - [`keys`]: id_token signing keys (RS256 via aws-lc, ES256, EdDSA) and the
//!   provider's DID. Private keys are encrypted in the database with
//!   `--key-encryption-secret` ([`at_rest`]), stored in the clear without it.
//! - [`oidc`]: discovery, JWKS, authorize, token, userinfo, register.
//! - [`login`]: login sessions, the `/login` page, `/api/v1/challenge`, and
//!   [`login::complete_login`] / [`login::reject_login`].
//! - [`credentials`]: `/api/v1/credentials` — the encrypted `request-credential`,
//!   presentation verification with wallet-core, status lists over HTTP(S).
//! - [`oid4vp`]: OpenID for Verifiable Presentations 1.0 for cross-device and
//!   headless wallets: the signed Request Object at `request_uri`, the
//!   `direct_post` response endpoint, `response_code`, and the `/login` page's
//!   status poll.
//! - [`did_cache`]: a memo of `did:key` / `did:jwk` verification-method resolution.
//! - [`session_boxes`]: the provider's Credential API boxes per wallet session key,
//!   derived once per login and cached in memory (bounded, expiring).
//! - [`mapping`]: the client's `id_token_mapping` over a JSON view of the
//!   verified presentation.
//! - [`clock`]: the injected clock of presentation verification and of the cleanup.
//! - [`cleanup`]: deleting expired sessions, codes and tokens in the background.
//! - [`demo`]: the demo relying party and the demo (unverified) email issuer.
//! - [`cors`]: cross-origin reads for browser-based clients.
//! - [`error`]: the single mapping of failures to OAuth/OIDC error responses.
//!
//! Logs never carry secrets, codes, tokens, login challenges or personal data.

pub mod at_rest;
pub mod cleanup;
pub mod clients;
pub mod clock;
pub mod config;
pub mod cors;
pub mod credentials;
pub mod db;
pub mod demo;
pub mod did_cache;
pub mod did_web;
pub mod error;
pub mod keys;
pub mod login;
pub mod mapping;
pub mod oid4vp;
pub mod oidc;
pub mod session_boxes;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::db::Db;
use crate::keys::{Keys, ProviderIdentity};
use crate::session_boxes::SessionBoxes;

/// Everything a handler needs; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Settings.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    /// Signing keys.
    pub keys: Arc<Keys>,
    /// The provider's DID and session key.
    pub identity: Arc<ProviderIdentity>,
    /// The Credential API boxes between `identity`'s key and the wallets' session keys.
    pub session_boxes: Arc<SessionBoxes>,
    /// The clock presentation verification reads.
    pub clock: clock::Clock,
    /// Where credential status lists come from.
    pub status_lists: credentials::status::StatusLists,
    /// The `did:web` documents of trusted issuers.
    pub web_dids: Arc<did_web::WebDids>,
    /// The origin of `config.issuer` (the `domain` presentations are bound to),
    /// parsed once rather than on every credential request.
    pub origin: Arc<str>,
}

impl AppState {
    /// Opens the database, applies migrations, creates or loads keys.
    ///
    /// # Errors
    /// Database and key failures.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        // Before anything is created: a bad issuer must not leave a database behind.
        let origin = url::Url::parse(&config.issuer)
            .map_err(|e| anyhow::anyhow!("--issuer is not a URL: {e}"))?
            .origin()
            .ascii_serialization();
        let roots = tls_roots(config.tls_root_ca.as_deref())?;
        let status_lists = credentials::status::StatusLists::http(&roots)?;
        let web_dids = did_web::WebDids::new(
            &roots,
            Duration::from_secs(u64::from(config.did_web_cache_secs)),
        )?;
        let db = Db::connect(&config.database_url()).await?;
        let keys = Keys::init(&db, &config).await?;
        let identity = ProviderIdentity::init(&db, keys.at_rest()).await?;
        let session_boxes = SessionBoxes::new(
            identity.x25519().clone(),
            SessionBoxes::DEFAULT_CAPACITY,
            Duration::from_secs(u64::from(config.login_session_lifetime_secs)),
        );
        Ok(Self {
            origin: origin.into(),
            config: Arc::new(config),
            db,
            keys: Arc::new(keys),
            identity: Arc::new(identity),
            session_boxes: Arc::new(session_boxes),
            clock: clock::Clock::system(),
            status_lists,
            web_dids: Arc::new(web_dids),
        })
    }
}

/// The certificates of `--tls-root-ca`, if given.
///
/// # Errors
/// A file that cannot be read or holds no PEM certificate.
fn tls_roots(path: Option<&std::path::Path>) -> anyhow::Result<Vec<reqwest::Certificate>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("--tls-root-ca {}: {e}", path.display()))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| anyhow::anyhow!("--tls-root-ca {}: {e}", path.display()))?;
    if roots.is_empty() {
        anyhow::bail!("--tls-root-ca {} holds no PEM certificate", path.display());
    }
    Ok(roots)
}

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    let timeout = Duration::from_secs(u64::from(state.config.request_timeout_secs));
    // Documents anyone may read, from any origin (`cors::public`).
    let public = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(oidc::discovery::openid_configuration),
        )
        // RFC 8414 §3: the same document for OAuth 2.0 clients that look here.
        .route(
            "/.well-known/oauth-authorization-server",
            get(oidc::discovery::openid_configuration),
        )
        .route("/jwks", get(oidc::discovery::jwks))
        .route(
            "/.well-known/did-configuration.json",
            get(oidc::discovery::did_configuration),
        )
        .layer(middleware::from_fn(cors::public));
    // What a browser-based client calls itself (`cors::client_endpoint`).
    let client_endpoints = Router::new()
        .route("/token", post(oidc::token::token))
        .route("/revoke", post(oidc::revoke::revoke))
        .route("/par", post(oidc::par::push))
        .route(
            "/userinfo",
            get(oidc::userinfo::userinfo).post(oidc::userinfo::userinfo),
        )
        .layer(middleware::from_fn(cors::client_endpoint));
    Router::new()
        .merge(public)
        .merge(client_endpoints)
        .route(
            "/authorize",
            get(oidc::authorize::authorize_get).post(oidc::authorize::authorize_post),
        )
        .route("/introspect", post(oidc::introspect::introspect))
        .route(
            "/logout",
            get(oidc::logout::logout_get).post(oidc::logout::logout_post),
        )
        .route("/register", post(oidc::register::register))
        .route("/login", get(login::login_page))
        .route("/login.js", get(login::login_js))
        .route("/login/finish", get(login::login_finish))
        .route(
            "/api/v1/challenge",
            get(login::get_challenge).post(login::post_challenge),
        )
        .route(
            "/api/v1/credentials",
            get(credentials::get_credentials).post(credentials::post_credentials),
        )
        .route("/api/v1/oid4vp/request", get(oid4vp::create_request))
        .route("/api/v1/oid4vp/status", get(oid4vp::status))
        .route(
            "/api/v1/oid4vp/response_code",
            post(oid4vp::redeem_response_code),
        )
        .route(
            "/oid4vp/request/{handle}",
            get(oid4vp::request_object).post(oid4vp::request_object),
        )
        .route(oid4vp::RESPONSE_PATH, post(oid4vp::direct_post))
        .route(oid4vp::CALLBACK_PATH, get(oid4vp::callback_page))
        .route("/login/oid4vp/callback.js", get(oid4vp::callback_js))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        // A body that stalls for half the request timeout is the client's fault: 408
        // (`web::ReadBody`), before the whole-request timeout would answer 503.
        .layer(RequestBodyTimeoutLayer::new(timeout / 2))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                // Only method and path: query strings carry codes and challenges.
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            },
        ))
        .with_state(state)
}

/// Re-reads the signing keys every `--key-reload-secs` (another instance or
/// `keys rotate` may have rotated them).
pub fn spawn_key_reloader(state: &AppState) {
    let state = state.clone();
    let period = Duration::from_secs(u64::from(state.config.key_reload_secs.max(1)));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.tick().await;
        loop {
            interval.tick().await;
            if let Err(e) = state.keys.reload(&state.db).await {
                tracing::warn!(error = %e, "reloading signing keys failed");
            }
        }
    });
}

/// Serves until Ctrl-C.
///
/// # Errors
/// Bind and startup failures.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(state.config.bind).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        issuer = %state.config.issuer,
        did = %state.identity.did().as_str(),
        "provider-server listening"
    );
    spawn_key_reloader(&state);
    cleanup::spawn_cleanup(&state);
    // Responses go out as soon as they are written (as nginx's `tcp_nodelay on`): with
    // Nagle's algorithm a response written in two segments waits for the client's
    // delayed ACK, up to 40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// Ctrl-C or SIGTERM (how service managers and containers stop a process).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

//! The demo relying party: how an ordinary web app logs its users in through the
//! provider. Nothing here knows about wallets: it is the standard OpenID Connect
//! authorization code flow (OIDC Core §3.1) with PKCE S256 (RFC 7636), `state` and
//! `nonce`, written with the `openidconnect` crate.
//!
//! 1. `POST /login` fetches the provider's discovery document, makes a PKCE
//!    verifier, a `state` and a `nonce`, keeps them server-side in this browser's
//!    session and redirects to the provider's `authorization_endpoint`.
//! 2. The provider runs the wallet login and redirects back to `GET /callback`
//!    with `code`, `state` and `iss`.
//! 3. The callback checks `state` and `iss`, redeems the code with the PKCE
//!    verifier and the client secret, validates the id_token (signature against
//!    the JWKS, `iss`, `aud`, `exp`, `nonce`) and shows its claims.
//!
//! Sessions live in memory, keyed by a random cookie (`HttpOnly`, `SameSite=Lax`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutRequest, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, TokenResponse as _,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq as _;

use crate::web::{escape, html_security_headers, now, page, random_handle};

/// The session cookie's name.
pub const COOKIE: &str = "demo_rp_session";
/// How long a login may take between `/login` and `/callback`, in seconds.
pub const LOGIN_LIFETIME_SECS: i64 = 600;
/// How long a logged-in session lasts, in seconds.
pub const SESSION_LIFETIME_SECS: i64 = 3600;
/// Most sessions kept in memory; beyond it new logins are refused (503).
pub const MAX_SESSIONS: usize = 10_000;

/// Why the demo relying party failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpError {
    /// A configured URL is not a valid URL.
    #[error("invalid URL in the configuration: {0}")]
    Config(String),
    /// The discovery document or the JWKS could not be fetched or parsed.
    #[error("the provider's discovery document could not be loaded: {0}")]
    Discovery(String),
    /// The provider's metadata lacks a token endpoint.
    #[error("the provider announces no token endpoint")]
    NoTokenEndpoint,
    /// `/callback` came without a login in progress in this browser.
    #[error("no login in progress in this browser (expired, or already finished)")]
    NoLoginInProgress,
    /// `state` is missing or differs from the one sent (RFC 6749 §10.12: CSRF).
    #[error("the state parameter does not match this browser's login")]
    StateMismatch,
    /// `iss` is missing or names another issuer (RFC 9207 §2.4: mix-up defence).
    #[error("the iss parameter does not name the provider")]
    IssuerMismatch,
    /// The provider answered with an error (`error`, `error_description`).
    #[error("the provider answered {0}")]
    Provider(String),
    /// No `code` in the callback.
    #[error("the callback carries no code")]
    MissingCode,
    /// The token endpoint refused the code.
    #[error("the code could not be redeemed: {0}")]
    Token(String),
    /// The token response holds no id_token.
    #[error("the token response holds no id_token")]
    MissingIdToken,
    /// The id_token did not validate (signature, issuer, audience, expiry, nonce).
    #[error("the id_token is invalid: {0}")]
    InvalidIdToken(String),
    /// Too many sessions in memory.
    #[error("too many sessions, try again later")]
    Busy,
    /// The OS random source failed.
    #[error("the OS random source failed")]
    Random,
}

impl RpError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Discovery(_) | Self::NoTokenEndpoint | Self::Token(_) => StatusCode::BAD_GATEWAY,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Random | Self::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for RpError {
    fn into_response(self) -> Response {
        tracing::warn!(error = %self, "demo RP login failed");
        let body = format!(
            "<h1>Login failed</h1><p>{}</p><p><a href=\"/\">Back</a></p>",
            escape(&self.to_string())
        );
        html(self.status(), page("Demo relying party", &body))
    }
}

/// Settings of the demo relying party.
#[derive(Clone)]
pub struct RpConfig {
    /// The provider's issuer URL (its discovery document is below it).
    pub provider: String,
    /// The `client_id` registered at the provider.
    pub client_id: String,
    /// The `client_secret` (`client_secret_basic`); `None` for a public client.
    pub client_secret: Option<String>,
    /// The origin browsers reach this app at; the redirect URI is
    /// `<public_url>/callback`.
    pub public_url: String,
}

impl core::fmt::Debug for RpConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RpConfig")
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// A browser's login in progress: what the callback must match.
struct Pending {
    state: CsrfToken,
    nonce: Nonce,
    pkce_verifier: PkceCodeVerifier,
    started: i64,
}

/// A logged-in user: the validated id_token claims, and the id_token itself for
/// the `id_token_hint` of the logout.
struct LoggedIn {
    claims: Map<String, Value>,
    id_token: String,
    since: i64,
}

enum Session {
    Pending(Pending),
    LoggedIn(LoggedIn),
}

impl Session {
    fn expired(&self, now: i64) -> bool {
        match self {
            Self::Pending(p) => now.saturating_sub(p.started) > LOGIN_LIFETIME_SECS,
            Self::LoggedIn(l) => now.saturating_sub(l.since) > SESSION_LIFETIME_SECS,
        }
    }
}

/// The app's state: settings, an HTTP client, the sessions.
#[derive(Clone)]
pub struct RpState {
    config: Arc<RpConfig>,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
}

impl core::fmt::Debug for RpState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RpState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RpState {
    /// Checks the URLs and builds the HTTP client.
    ///
    /// # Errors
    /// [`RpError::Config`].
    pub fn new(config: RpConfig) -> Result<Self, RpError> {
        let issuer = IssuerUrl::new(config.provider.trim_end_matches('/').to_owned())
            .map_err(|e| RpError::Config(format!("provider: {e}")))?;
        let redirect = RedirectUrl::new(format!(
            "{}/callback",
            config.public_url.trim_end_matches('/')
        ))
        .map_err(|e| RpError::Config(format!("public URL: {e}")))?;
        // openidconnect's advice: never follow redirects from the provider
        // (SSRF), and bound every call.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| RpError::Config(e.to_string()))?;
        Ok(Self {
            config: Arc::new(config),
            issuer,
            redirect,
            http,
            sessions: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The redirect URI to register at the provider.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        self.redirect.as_str()
    }

    /// Fetches the discovery document and the JWKS and builds the OIDC client. A
    /// production app caches the metadata and refetches the JWKS when an id_token
    /// names an unknown `kid`; the demo fetches per login, which also follows key
    /// rotation.
    async fn oidc_client(&self) -> Result<OidcClient, RpError> {
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| RpError::Discovery(error_chain(&e)))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect.clone()))
    }

    /// The provider's logout URL for `id_token`, back to [`Self::post_logout_uri`];
    /// `None` when the provider announces no `end_session_endpoint`.
    async fn end_session_url(&self, id_token: &str) -> Option<url::Url> {
        let metadata = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| tracing::warn!(error = %error_chain(&e), "demo RP: discovery for logout failed"))
            .ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let id_token: CoreIdToken = id_token.parse().ok()?;
        let back = PostLogoutRedirectUrl::new(self.post_logout_uri()).ok()?;
        Some(
            LogoutRequest::from(endpoint)
                .set_id_token_hint(&id_token)
                .set_post_logout_redirect_uri(back)
                .http_get_url(),
        )
    }

    /// Where the provider sends the browser after logout (register it with
    /// `--post-logout-redirect-uri`): this app's start page.
    #[must_use]
    pub fn post_logout_uri(&self) -> String {
        format!("{}/", self.config.public_url.trim_end_matches('/'))
    }

    fn with_sessions<T>(&self, f: impl FnOnce(&mut HashMap<String, Session>) -> T) -> T {
        let mut guard = match self.sessions.lock() {
            Ok(g) => g,
            // A panic elsewhere cannot leave a session half-written (each insert
            // or remove is one call): keep serving.
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Stores `session` under a fresh id (never one the browser chose: no session
    /// fixation) and returns the id.
    fn insert_session(&self, session: Session) -> Result<String, RpError> {
        let id = random_handle().map_err(|_| RpError::Random)?;
        let now = now();
        self.with_sessions(|sessions| {
            if sessions.len() >= MAX_SESSIONS {
                sessions.retain(|_, s| !s.expired(now));
            }
            if sessions.len() >= MAX_SESSIONS {
                return Err(RpError::Busy);
            }
            sessions.insert(id.clone(), session);
            Ok(())
        })?;
        Ok(id)
    }
}

type OidcClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The demo relying party's routes.
pub fn app(state: RpState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/login", post(login))
        .route("/callback", get(callback))
        .route("/logout", post(logout))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .with_state(state)
}

/// `GET /`: the login button, or the logged-in user's claims.
async fn index(State(state): State<RpState>, headers: HeaderMap) -> Response {
    let now = now();
    let claims = session_id(&headers).and_then(|id| {
        state.with_sessions(|sessions| match sessions.get(&id) {
            Some(s @ Session::LoggedIn(l)) if !s.expired(now) => Some(l.claims.clone()),
            _ => None,
        })
    });
    let body = match claims {
        None => format!(
            "<h1>Demo relying party</h1>\
             <p>This web app knows nothing about wallets: it asks the OpenID provider at \
             <code>{}</code> to log you in, and the provider asks your wallet.</p>\
             <form method=\"post\" action=\"/login\">\
             <button type=\"submit\">Log in with your wallet</button></form>",
            escape(state.issuer.as_str())
        ),
        Some(claims) => {
            let rows: String = claims
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!(
                        "<tr><th>{}</th><td><code>{}</code></td></tr>",
                        escape(name),
                        escape(&value)
                    )
                })
                .collect();
            format!(
                "<h1>You are logged in</h1>\
                 <p>The provider vouched for these claims in a signed id_token, which \
                 this app validated against the provider's JWKS:</p>\
                 <table>{rows}</table>\
                 <form method=\"post\" action=\"/logout\">\
                 <button type=\"submit\">Log out</button></form>"
            )
        }
    };
    html(StatusCode::OK, page("Demo relying party", &body))
}

/// `POST /login`: start the code flow.
async fn login(State(state): State<RpState>, headers: HeaderMap) -> Result<Response, RpError> {
    let client = state.oidc_client().await?;
    // RFC 7636 §4.1–4.2: a 256-bit verifier, sent as its S256 challenge.
    let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("openid".into()))
        .set_pkce_challenge(pkce_challenge)
        .url();
    // Replace any earlier session of this browser.
    if let Some(old) = session_id(&headers) {
        state.with_sessions(|sessions| sessions.remove(&old));
    }
    let id = state.insert_session(Session::Pending(Pending {
        state: csrf,
        nonce,
        pkce_verifier,
        started: now(),
    }))?;
    let mut response = Redirect::to(url.as_str()).into_response();
    set_cookie(&mut response, &state, &id, SESSION_LIFETIME_SECS);
    Ok(response)
}

/// What the provider's redirect carries (OIDC Core §3.1.2.5–3.1.2.6, RFC 9207).
#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /callback`: check, redeem, validate, remember the user.
async fn callback(
    State(state): State<RpState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, RpError> {
    // The login is single-use: take it out of the session whatever happens next.
    let id = session_id(&headers).ok_or(RpError::NoLoginInProgress)?;
    let pending = state
        .with_sessions(|sessions| match sessions.remove(&id) {
            Some(Session::Pending(p)) => Some(p),
            Some(other) => {
                sessions.insert(id.clone(), other);
                None
            }
            None => None,
        })
        .filter(|p| now().saturating_sub(p.started) <= LOGIN_LIFETIME_SECS)
        .ok_or(RpError::NoLoginInProgress)?;

    // RFC 6749 §10.12: the state binds this response to this browser's request.
    let state_ok = query
        .state
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(pending.state.secret().as_bytes())));
    if !state_ok {
        return Err(RpError::StateMismatch);
    }
    // RFC 9207 §2.4: the provider announces `iss` in responses, so it is required
    // and must be the issuer we started with.
    if query.iss.as_deref() != Some(state.issuer.as_str()) {
        return Err(RpError::IssuerMismatch);
    }
    if let Some(error) = query.error {
        let description = query.error_description.unwrap_or_default();
        return Err(RpError::Provider(format!("{error}: {description}")));
    }
    let code = query.code.ok_or(RpError::MissingCode)?;

    let client = state.oidc_client().await?;
    let tokens: CoreTokenResponse = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|_| RpError::NoTokenEndpoint)?
        .set_pkce_verifier(pending.pkce_verifier)
        .request_async(&state.http)
        .await
        .map_err(|e| RpError::Token(error_chain(&e)))?;
    let id_token = tokens.id_token().ok_or(RpError::MissingIdToken)?;
    // Signature (JWKS), iss, aud, exp, iat and nonce (OIDC Core §3.1.3.7).
    let claims = id_token
        .claims(&client.id_token_verifier(), &pending.nonce)
        .map_err(|e| RpError::InvalidIdToken(error_chain(&e)))?;
    let claims = match serde_json::to_value(claims) {
        Ok(Value::Object(map)) => map,
        _ => return Err(RpError::InvalidIdToken("claims are not an object".into())),
    };
    tracing::info!("demo RP: login complete");
    let id = state.insert_session(Session::LoggedIn(LoggedIn {
        claims,
        id_token: id_token.to_string(),
        since: now(),
    }))?;
    let mut response = Redirect::to("/").into_response();
    set_cookie(&mut response, &state, &id, SESSION_LIFETIME_SECS);
    Ok(response)
}

/// `POST /logout` (a form, so another site cannot log the user out: the session
/// cookie is `SameSite=Lax`): forget this browser's session, then send the browser
/// through the provider's `end_session_endpoint` (RP-Initiated Logout 1.0) with the
/// id_token as `id_token_hint`, back to this app's start page. The demo asks for no
/// `offline_access`, so it holds no refresh token to revoke first. Without the
/// endpoint (discovery failing, or a provider that announces none), straight home.
async fn logout(State(state): State<RpState>, headers: HeaderMap) -> Response {
    let id_token = session_id(&headers).and_then(|id| {
        state.with_sessions(|sessions| match sessions.remove(&id) {
            Some(Session::LoggedIn(l)) => Some(l.id_token),
            _ => None,
        })
    });
    let target = match id_token {
        Some(id_token) => state.end_session_url(&id_token).await,
        None => None,
    };
    let mut response = match target {
        Some(url) => Redirect::to(url.as_str()).into_response(),
        None => Redirect::to("/").into_response(),
    };
    set_cookie(&mut response, &state, "", 0);
    response
}

/// The session cookie's value, if the browser sent one.
fn session_id(headers: &HeaderMap) -> Option<String> {
    crate::web::cookie(headers, COOKIE)
}

fn set_cookie(response: &mut Response, state: &RpState, value: &str, max_age: i64) {
    // HttpOnly: no script reads it. SameSite=Lax: sent on the provider's top-level
    // redirect back to /callback, not on cross-site subrequests or POSTs.
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    html_security_headers(response.headers_mut(), None);
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    // CSP without scripts, no framing, no referrer (the callback URL holds a code).
    html_security_headers(response.headers_mut(), None);
    response
}

/// An error and its sources on one line (the crate's errors wrap the useful part).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Serves the demo relying party on `listener` until `shutdown` resolves.
///
/// # Errors
/// I/O failures of the listener.
pub async fn serve(
    state: RpState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

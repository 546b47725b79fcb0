//! The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1; OIDC Core §3.1.2,
//! §3.2.2), GET and POST.
//!
//! Parsing happens once, here: the raw parameters become an [`AuthorizationRequest`]
//! or an error. Until the client and the exact `redirect_uri` are known, errors are
//! an HTML page (RFC 6749 §4.1.2.1: the server "MUST NOT automatically redirect the
//! user-agent to the invalid redirection URI"); after that, they go back to the
//! client in the requested response mode, with `state` and `iss` (RFC 9207).
//!
//! A request pushed first (RFC 9126, [`crate::oidc::par`]) arrives as `client_id` and
//! `request_uri` alone; it was validated by the same code ([`check`]) when pushed.
//!
//! The provider keeps no browser session: every authorization request runs a fresh
//! wallet login. Hence (OIDC Core §3.1.2.1):
//! - `prompt=login` and every `max_age` (0 included) are satisfied by construction,
//!   and every id_token of a login carries `auth_time` (the time the wallet's
//!   presentation was verified), whatever the client registered as
//!   `require_auth_time`;
//! - `prompt=none` is always `login_required`;
//! - `prompt=consent` is satisfied by the wallet, which asks its user to approve every
//!   presentation, and `prompt=select_account` by the login page, which lists the
//!   wallets to choose from (each wallet lets its user pick the identity);
//! - `id_token_hint` must be an id_token this provider issued to the client (else
//!   `invalid_request`); the login then succeeds only for the End-User it names:
//!   a wallet login by another holder ends in `login_required`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::clients::{self, LoginConfiguration, StoredClient};
use crate::error::{AppError, ErrorCode};
use crate::login;
use crate::oidc::grants;
use crate::web::{self, Params, ReadBody};

/// The script that submits a `form_post` response.
const FORM_POST_SCRIPT: &str = "document.forms[0].submit();";

/// `response_type` (OAuth 2.0 Multiple Response Type Encoding Practices §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseType {
    /// `code`: authorization code flow.
    Code,
    /// `id_token`: implicit, id_token only.
    IdToken,
    /// `id_token token`: implicit, id_token and access token.
    IdTokenToken,
}

impl ResponseType {
    fn parse(s: &str) -> Option<Self> {
        let mut parts: Vec<&str> = s.split(' ').collect();
        parts.sort_unstable();
        match parts.as_slice() {
            ["code"] => Some(Self::Code),
            ["id_token"] => Some(Self::IdToken),
            ["id_token", "token"] => Some(Self::IdTokenToken),
            _ => None,
        }
    }

    /// Whether this is an implicit response type.
    #[must_use]
    pub fn is_implicit(self) -> bool {
        self != Self::Code
    }
}

/// `response_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// Parameters in the redirect URI's query.
    Query,
    /// Parameters in the redirect URI's fragment.
    Fragment,
    /// An auto-submitted HTML form (OAuth 2.0 Form Post Response Mode).
    FormPost,
}

/// Where and how an authorization response goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTarget {
    /// The registered redirect URI (exact match checked).
    pub redirect_uri: String,
    /// The response mode.
    pub response_mode: ResponseMode,
    /// The client's `state`, echoed.
    pub state: Option<String>,
}

/// A validated authorization request, stored with its login session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Where the answer goes.
    pub target: ResponseTarget,
    /// The response type.
    pub response_type: ResponseType,
    /// The requested scopes (contains `openid`).
    pub scope: String,
    /// `nonce`, required for implicit responses.
    pub nonce: Option<String>,
    /// The S256 PKCE `code_challenge`.
    pub code_challenge: Option<String>,
    /// `max_age`, seconds.
    pub max_age: Option<u64>,
    /// The `sub` of a verified `id_token_hint`: only that End-User may complete
    /// the login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_hint_sub: Option<String>,
    /// The thumbprint of the DPoP key the code is bound to (RFC 9449 §10): the
    /// `dpop_jkt` parameter, or the key of a proof sent with a pushed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

/// `GET /authorize`.
pub async fn authorize_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or_default());
    into_response(authorize(&state, params).await)
}

/// `POST /authorize` (form body, OIDC Core §3.1.2.1).
pub async fn authorize_post(State(state): State<AppState>, ReadBody(body): ReadBody) -> Response {
    let params = std::str::from_utf8(&body)
        .map_err(|_| AppError::invalid_request("body is not UTF-8"))
        .and_then(Params::parse);
    into_response(authorize(&state, params).await)
}

fn into_response(result: Result<Response, AppError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn authorize(
    state: &AppState,
    params: Result<Params, AppError>,
) -> Result<Response, AppError> {
    // Before the redirect URI is validated, nothing goes back to it.
    let params = params.map_err(|e| AppError::ErrorPage(e.to_string()))?;
    if let Some(handle) = params
        .get("request_uri")
        .and_then(|uri| uri.strip_prefix(crate::oidc::par::REQUEST_URI_PREFIX))
    {
        return pushed(state, &params, handle).await;
    }
    let (client, target, validated) = check(state, &params).await?;
    // RFC 9126 §6: a client registered with `require_pushed_authorization_requests`
    // has every request without a pushed `request_uri` refused.
    let validated = validated.and_then(|request| {
        if client.config.require_pushed_authorization_requests {
            Err((
                ErrorCode::InvalidRequest,
                "this client must push its authorization requests (PAR)".to_owned(),
            ))
        } else {
            Ok(request)
        }
    });
    let request = match validated {
        Ok(request) => request,
        Err((code, description)) => {
            tracing::debug!(error = code.as_str(), %description, "authorization request refused");
            return error_response(state, &target, code, &description);
        }
    };
    start_login(state, &request).await
}

/// What an authorization request's parameters come to, whether they arrive at
/// `/authorize` or are pushed (RFC 9126): `Err` when the client or the redirect URI
/// is not valid (an error page: nothing may go back to that URI), else the client,
/// where the answer goes, and the validated request or the error to send there.
pub(crate) async fn check(
    state: &AppState,
    params: &Params,
) -> Result<(Arc<StoredClient>, ResponseTarget, Checked), AppError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| AppError::ErrorPage("client_id is missing".into()))?;
    let client = clients::get(&state.db, client_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::ErrorPage("unknown client_id".into()))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| AppError::ErrorPage("redirect_uri is missing".into()))?;
    // OIDC Core §3.1.2.1: "This URI MUST exactly match one of the Redirection URI
    // values for the Client pre-registered at the OpenID Provider" (simple string
    // comparison, RFC 3986 §6.2.1).
    if !client
        .config
        .redirect_uris
        .iter()
        .any(|u| u == redirect_uri)
    {
        return Err(AppError::ErrorPage(
            "redirect_uri is not registered for this client".into(),
        ));
    }
    let response_type = params.get("response_type").and_then(ResponseType::parse);
    let default_mode = match response_type {
        Some(rt) if rt.is_implicit() => ResponseMode::Fragment,
        _ => ResponseMode::Query,
    };
    let (mode, mode_error) = match params.get("response_mode") {
        None => (default_mode, None),
        Some("query") => (ResponseMode::Query, None),
        Some("fragment") => (ResponseMode::Fragment, None),
        Some("form_post") => (ResponseMode::FormPost, None),
        Some(_) => (default_mode, Some("unsupported response_mode")),
    };
    let target = ResponseTarget {
        redirect_uri: redirect_uri.to_owned(),
        response_mode: mode,
        state: params.get("state").map(str::to_owned),
    };
    let validated = match mode_error {
        Some(e) => Err((ErrorCode::InvalidRequest, e.to_owned())),
        None => validate(state, params, &client.config, response_type, target.clone()),
    };
    Ok((client, target, validated))
}

/// A validated authorization request, or the error to send to its redirect URI.
pub(crate) type Checked = Result<AuthorizationRequest, (ErrorCode, String)>;

/// `/authorize` with a `request_uri` from the pushed authorization request endpoint
/// (RFC 9126 §4): the request pushed then, used once, by the client it was pushed by.
/// The other parameters are not read: only what was pushed (and validated there)
/// counts. Every failure is an error page, since nothing validated says where an
/// error may be sent.
async fn pushed(state: &AppState, params: &Params, handle: &str) -> Result<Response, AppError> {
    let client_id = params.get("client_id").ok_or_else(|| {
        AppError::ErrorPage("client_id is missing (it must come with request_uri)".into())
    })?;
    let request = crate::oidc::par::take(state, client_id, handle)
        .await?
        .ok_or_else(|| {
            AppError::ErrorPage(
                "request_uri is unknown, expired, already used or pushed by another client".into(),
            )
        })?;
    // The client may have changed since the push (seconds ago): its redirect URI must
    // still be registered.
    let client = clients::get(&state.db, &request.client_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::ErrorPage("unknown client_id".into()))?;
    if !client
        .config
        .redirect_uris
        .contains(&request.target.redirect_uri)
    {
        return Err(AppError::ErrorPage(
            "redirect_uri is not registered for this client".into(),
        ));
    }
    start_login(state, &request).await
}

/// Stores the login session of a validated request and sends the browser to the
/// login page.
async fn start_login(
    state: &AppState,
    request: &AuthorizationRequest,
) -> Result<Response, AppError> {
    // RFC 6749 §4.1.2.1: with the redirect URI validated, even our own failure goes
    // back to the client (`temporarily_unavailable` or `server_error`), so the user
    // returns to the application instead of stranding on an error.
    let login_challenge = match login::create_session(state, request).await {
        Ok(challenge) => challenge,
        Err(e) => {
            let code = match &e {
                AppError::OAuth {
                    code: ErrorCode::TemporarilyUnavailable,
                    ..
                } => ErrorCode::TemporarilyUnavailable,
                _ => {
                    tracing::error!(error = %e, "storing a login session failed");
                    ErrorCode::ServerError
                }
            };
            return error_response(
                state,
                &request.target,
                code,
                "the login could not be started",
            );
        }
    };
    let location = format!(
        "{}/login?login_challenge={login_challenge}",
        state.config.issuer
    );
    Ok(see_other(&location))
}

fn validate(
    state: &AppState,
    params: &Params,
    client: &LoginConfiguration,
    response_type: Option<ResponseType>,
    target: ResponseTarget,
) -> Result<AuthorizationRequest, (ErrorCode, String)> {
    let fail = |code: ErrorCode, msg: &str| Err((code, msg.to_owned()));
    // OIDC Core §6: without support, "request_not_supported" /
    // "request_uri_not_supported". A pushed request's `request_uri` (RFC 9126) never
    // gets here: `authorize` takes it first, and the pushed request endpoint refuses
    // one in what is pushed.
    if params.has("request") {
        return fail(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        );
    }
    if params.has("request_uri") {
        return fail(
            ErrorCode::RequestUriNotSupported,
            "request_uri is supported only as issued by the pushed authorization request \
             endpoint",
        );
    }
    let Some(response_type) = response_type else {
        return fail(
            ErrorCode::UnsupportedResponseType,
            "response_type must be code, id_token or id_token token",
        );
    };
    // Multiple Response Type Encoding Practices §5: for id_token and token responses
    // "the default Response Mode ... is the fragment encoding" and query "MUST NOT" be
    // used for them.
    if response_type.is_implicit() && target.response_mode == ResponseMode::Query {
        return fail(
            ErrorCode::InvalidRequest,
            "response_mode query is not allowed for implicit responses",
        );
    }
    let scope = params.get("scope").unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return fail(ErrorCode::InvalidScope, "scope must include openid");
    }
    let nonce = params.get("nonce").map(str::to_owned);
    // OIDC Core §3.2.2.1: for the implicit flow nonce is REQUIRED.
    if response_type.is_implicit() && nonce.is_none() {
        return fail(
            ErrorCode::InvalidRequest,
            "nonce is required for implicit responses",
        );
    }
    let code_challenge = pkce(params, client, response_type)?;
    let mut prompt_none = false;
    if let Some(prompt) = params.get("prompt") {
        let values: Vec<&str> = prompt.split(' ').collect();
        if values
            .iter()
            .any(|v| !matches!(*v, "none" | "login" | "consent" | "select_account"))
        {
            return fail(ErrorCode::InvalidRequest, "unknown prompt value");
        }
        if values.contains(&"none") {
            // OIDC Core §3.1.2.1: none with any other value is an error.
            if values.len() > 1 {
                return fail(ErrorCode::InvalidRequest, "prompt=none cannot be combined");
            }
            prompt_none = true;
        }
    }
    let max_age = match params.get("max_age").map(parse_max_age) {
        None => None,
        Some(Some(n)) => Some(n),
        Some(None) => {
            return fail(
                ErrorCode::InvalidRequest,
                "max_age must be a non-negative integer (seconds)",
            );
        }
    };
    let id_token_hint_sub = match params.get("id_token_hint") {
        None => None,
        Some(hint) => match grants::verify_id_token_hint(state, &client.client_id, hint) {
            Ok(sub) => Some(sub),
            Err(description) => return fail(ErrorCode::InvalidRequest, &description),
        },
    };
    // RFC 9449 §10: `dpop_jkt` binds the code to a DPoP key, so only a token request
    // with a proof by that key redeems it. A thumbprint is base64url SHA-256.
    let dpop_jkt = params.get("dpop_jkt").map(str::to_owned);
    if let Some(jkt) = &dpop_jkt {
        if response_type != ResponseType::Code {
            return fail(
                ErrorCode::InvalidRequest,
                "dpop_jkt binds an authorization code: it needs response_type=code",
            );
        }
        if jkt.len() != 43
            || !jkt
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return fail(
                ErrorCode::InvalidRequest,
                "dpop_jkt is not a base64url SHA-256 thumbprint",
            );
        }
    }
    // Every login is a fresh wallet handshake: there is no provider session to reuse,
    // so prompt=none can never be satisfied without UI (an id_token_hint names an
    // End-User but does not log them in).
    if prompt_none {
        return fail(ErrorCode::LoginRequired, "a wallet login is required");
    }
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        target,
        response_type,
        scope: scope.to_owned(),
        nonce,
        code_challenge,
        max_age,
        id_token_hint_sub,
        dpop_jkt,
    })
}

/// OIDC Core §3.1.2.1: `max_age` is a number of seconds, so only ASCII digits (no
/// sign, no fraction, no exponent). A value beyond `u64` is still a valid age: it
/// saturates.
fn parse_max_age(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.parse::<u64>().unwrap_or(u64::MAX))
}

/// RFC 7636 §4.3 with S256 only.
fn pkce(
    params: &Params,
    client: &LoginConfiguration,
    response_type: ResponseType,
) -> Result<Option<String>, (ErrorCode, String)> {
    let err = |msg: &str| Err((ErrorCode::InvalidRequest, msg.to_owned()));
    let challenge = params.get("code_challenge");
    match (challenge, params.get("code_challenge_method")) {
        (_, Some("plain")) => err("PKCE method plain is not supported; use S256"),
        (_, Some(m)) if m != "S256" => err("unsupported code_challenge_method; use S256"),
        (None, Some(_)) => err("code_challenge_method without code_challenge"),
        // RFC 7636 §4.3: a missing method means plain, which is refused.
        (Some(_), None) => err("code_challenge_method is required and must be S256"),
        (Some(c), Some(_)) => {
            // S256 of a verifier is 32 bytes: 43 base64url characters.
            if c.len() != 43
                || !c
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return err("code_challenge is not a base64url SHA-256");
            }
            Ok(Some(c.to_owned()))
        }
        (None, None) => {
            if response_type == ResponseType::Code && client.is_public() {
                err("PKCE (S256) is required for public clients")
            } else {
                Ok(None)
            }
        }
    }
}

/// A 303 See Other to `location`.
#[must_use]
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    web::no_store(response.headers_mut());
    response
}

/// An error authorization response (RFC 6749 §4.1.2.1) to a validated target.
///
/// # Errors
/// An unparsable registered redirect URI (500).
pub fn error_response(
    state: &AppState,
    target: &ResponseTarget,
    code: ErrorCode,
    description: &str,
) -> Result<Response, AppError> {
    let params = vec![
        ("error", code.as_str().to_owned()),
        (
            "error_description",
            crate::error::sanitize_description(description),
        ),
    ];
    respond(state, target, params)
}

/// The authorization response: a redirect (query/fragment) or a form post page.
///
/// # Errors
/// An unparsable registered redirect URI (500).
pub fn respond(
    state: &AppState,
    target: &ResponseTarget,
    params: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    match target.response_mode {
        ResponseMode::FormPost => Ok(form_post(target, &with_common(state, target, params))),
        _ => Ok(see_other(&response_url(state, target, params)?)),
    }
}

fn with_common(
    state: &AppState,
    target: &ResponseTarget,
    mut params: Vec<(&'static str, String)>,
) -> Vec<(&'static str, String)> {
    if let Some(s) = &target.state {
        params.push(("state", s.clone()));
    }
    // RFC 9207 §2: the `iss` parameter in every authorization response.
    params.push(("iss", state.config.issuer.clone()));
    params
}

/// The redirect URL of a query or fragment response.
///
/// # Errors
/// An unparsable registered redirect URI (500).
pub fn response_url(
    state: &AppState,
    target: &ResponseTarget,
    params: Vec<(&'static str, String)>,
) -> Result<String, AppError> {
    let params = with_common(state, target, params);
    let mut url = url::Url::parse(&target.redirect_uri)
        .map_err(|_| AppError::internal("registered redirect_uri does not parse"))?;
    match target.response_mode {
        ResponseMode::Fragment => {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &params {
                ser.append_pair(k, v);
            }
            url.set_fragment(Some(&ser.finish()));
        }
        _ => {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &params {
                pairs.append_pair(k, v);
            }
        }
    }
    Ok(url.into())
}

/// OAuth 2.0 Form Post Response Mode §2: an HTML form POSTed to the redirect URI.
#[must_use]
pub fn form_post(target: &ResponseTarget, params: &[(&'static str, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                web::escape(k),
                web::escape(v)
            )
        })
        .collect();
    let body = format!(
        "<form method=\"post\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue\
         </button></noscript></form><script>{FORM_POST_SCRIPT}</script>",
        web::escape(&target.redirect_uri)
    );
    let mut response = Html(web::page("Continue", &body)).into_response();
    web::html_security_headers(
        response.headers_mut(),
        Some(&web::script_hash(FORM_POST_SCRIPT)),
    );
    response
}

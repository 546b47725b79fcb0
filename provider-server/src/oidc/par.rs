//! Pushed authorization requests (RFC 9126) at `POST /par`, announced as
//! `pushed_authorization_request_endpoint`.
//!
//! A client sends its authorization request straight to the provider, authenticated
//! as at the token endpoint, instead of through the browser: nothing of it (the
//! presentation the app asks for, its PKCE challenge, its `state`) can be read or
//! changed on the way, and a confidential client is authenticated before the user
//! sees anything. The request is validated here exactly as `/authorize` validates one
//! ([`crate::oidc::authorize::check`]), errors come back as JSON (§2.3), and what is
//! stored is the validated request, under a `request_uri`
//! (`urn:ietf:params:oauth:request_uri:<handle>`) that lives
//! [`PUSHED_REQUEST_LIFETIME_SECS`] and is used once, by the same client, at
//! `/authorize?client_id=…&request_uri=…` (§4). Like every piece of flow state it is in
//! the database, so an instance other than the one that took the push can use it.
//!
//! A client registered with `require_pushed_authorization_requests` has every other
//! authorization request refused (§6).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::clients::StoredClient;
use crate::cors;
use crate::error::AppError;
use crate::oidc::authorize::{self, AuthorizationRequest};
use crate::oidc::dpop;
use crate::oidc::token;
use crate::web::{self, ReadBody, handle_hash, now, random_handle};

/// The prefix of every `request_uri` this endpoint issues (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// How long a pushed request may wait for its `/authorize`: the RFC's example
/// value, long enough for a redirect, short enough that a leaked URI is soon useless.
pub const PUSHED_REQUEST_LIFETIME_SECS: i64 = 60;

/// `POST /par`.
pub async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    ReadBody(body): ReadBody,
) -> Response {
    match handle(&state, &headers, &body).await {
        Ok((request_uri, client)) => {
            let mut response = (
                StatusCode::CREATED,
                axum::Json(json!({
                    "request_uri": request_uri,
                    "expires_in": PUSHED_REQUEST_LIFETIME_SECS,
                })),
            )
                .into_response();
            web::no_store(response.headers_mut());
            cors::readable_by(response, client)
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Arc<StoredClient>), AppError> {
    let (params, client) = token::authenticated_form(state, headers, body).await?;
    // §2.1: "The request_uri authorization request parameter is one exception, and it
    // MUST NOT be provided."
    if params.has("request_uri") {
        return Err(AppError::invalid_request(
            "request_uri must not be pushed (RFC 9126 §2.1)",
        ));
    }
    // The authenticated client is the request's client: `client_id` may be left out
    // of the body when the client authenticates with HTTP Basic, and must match if
    // given (checked by `authenticated_form`).
    let mut params = params.with("client_id", &client.config.client_id);
    // RFC 9449 §10.1: a DPoP proof sent with the push binds the code to its key, as
    // `dpop_jkt` would (and must agree with one given).
    if let Some(jkt) = dpop::check(state, headers, "POST", "/par", None)
        .await?
        .map_err(dpop::Refused::at_token_endpoint)?
    {
        if params.get("dpop_jkt").is_some_and(|given| given != jkt) {
            return Err(
                dpop::Refused("dpop_jkt is not the thumbprint of the proof's key".into())
                    .at_token_endpoint(),
            );
        }
        params = params.with("dpop_jkt", &jkt);
    }
    // §2.1: the pushed request is validated as an authorization request would be; its
    // errors are answered here, as JSON (§2.3), never sent to the redirect URI.
    let (_, _, validated) = authorize::check(state, &params)
        .await
        .map_err(|e| match e {
            AppError::ErrorPage(description) => AppError::invalid_request(description),
            other => other,
        })?;
    let request = validated.map_err(|(code, description)| AppError::oauth(code, description))?;
    let handle = random_handle()?;
    crate::db::query(
        "INSERT INTO pushed_requests (handle_hash, client_id, request, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(handle_hash(&handle))
    .bind(&request.client_id)
    .bind(serde_json::to_string(&request).map_err(AppError::internal)?)
    .bind(now().saturating_add(PUSHED_REQUEST_LIFETIME_SECS))
    .execute(&state.db)
    .await?;
    tracing::info!(client_id = %request.client_id, "authorization request pushed");
    Ok((format!("{REQUEST_URI_PREFIX}{handle}"), client))
}

/// Takes the pushed request `handle` (the `request_uri` without its prefix) for
/// `client_id`: `None` when it is unknown, expired, already taken or pushed by another
/// client. One statement deletes and reads it, so of several concurrent uses exactly
/// one gets it (RFC 9126 §4: "the client MUST only use a request_uri value once").
///
/// # Errors
/// Database failures, a stored request that does not parse (500).
pub(crate) async fn take(
    state: &AppState,
    client_id: &str,
    handle: &str,
) -> Result<Option<AuthorizationRequest>, AppError> {
    // PostgreSQL refuses NUL in a text parameter; no client_id holds one.
    if handle.len() > 256 || client_id.len() > 256 || client_id.contains('\0') {
        return Ok(None);
    }
    let row: Option<(String,)> = crate::db::query_as(
        "DELETE FROM pushed_requests WHERE handle_hash = $1 AND client_id = $2 \
         AND expires_at > $3 RETURNING request",
    )
    .bind(handle_hash(handle))
    .bind(client_id)
    .bind(now())
    .fetch_optional(&state.db)
    .await?;
    row.map(|(request,)| serde_json::from_str(&request).map_err(AppError::internal))
        .transpose()
}

//! `/.well-known/openid-configuration` (OIDC Discovery 1.0 §3) and the JWKS.
//!
//! Discovery lists exactly what is implemented: nothing more. The same document is
//! the OAuth 2.0 Authorization Server Metadata (RFC 8414) at
//! `/.well-known/oauth-authorization-server`: every member it has is defined by both
//! (RFC 8414 §2 took them from OIDC Discovery), and its `issuer` is the same. An
//! issuer with a path needs its proxy to route RFC 8414's
//! `/.well-known/oauth-authorization-server/<path>` here.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;
use crate::keys::SIGNING_ALGORITHMS;

/// The discovery document.
#[must_use]
pub fn document(state: &AppState) -> Value {
    let issuer = &state.config.issuer;
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "scopes_supported": ["openid", "offline_access"],
        "response_types_supported": ["code", "id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported":
            SIGNING_ALGORITHMS.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint": format!("{issuer}/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint": format!("{issuer}/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_signing_alg_values_supported":
            SIGNING_ALGORITHMS.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "end_session_endpoint": format!("{issuer}/logout"),
        "pushed_authorization_request_endpoint": format!("{issuer}/par"),
        "require_pushed_authorization_requests": false,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": crate::oidc::dpop::ALGORITHM_NAMES,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash"],
    });
    if state.config.registration_token.is_some()
        && let Some(obj) = doc.as_object_mut()
    {
        obj.insert(
            "registration_endpoint".into(),
            Value::String(format!("{issuer}/register")),
        );
    }
    doc
}

/// `GET /.well-known/openid-configuration`.
pub async fn openid_configuration(State(state): State<AppState>) -> Response {
    cached_json(document(&state), 300)
}

/// `GET /jwks`: current and not yet retired public keys.
///
/// # Errors
/// A poisoned key store (500).
pub async fn jwks(State(state): State<AppState>) -> Result<Response, AppError> {
    let set = state.keys.get().map_err(AppError::internal)?;
    Ok(cached_json(set.jwks().clone(), 60))
}

fn cached_json(value: Value, max_age: u32) -> Response {
    let mut response = Json(value).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    response
}

/// `GET /.well-known/did-configuration.json` (DIF Well Known DID Configuration): one
/// Domain Linkage Credential tying the provider's DID to the issuer's origin, which
/// the wallet checks against the login page's origin before it starts a session.
///
/// # Errors
/// A signing failure (500).
pub async fn did_configuration(State(state): State<AppState>) -> Result<Response, AppError> {
    let jwt = state
        .identity
        .domain_linkage_jwt(&state.origin, crate::web::now(), 365 * 86_400)
        .map_err(AppError::internal)?;
    Ok(cached_json(
        json!({
            "@context": "https://identity.foundation/.well-known/did-configuration/v1",
            "linked_dids": [jwt],
        }),
        3600,
    ))
}

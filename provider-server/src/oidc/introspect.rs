//! Token introspection (RFC 7662): an app's back end asks whether an access or
//! refresh token it was given is live, and for whom. Access tokens are opaque
//! handles, so this (besides `/userinfo`) is how an API of the app checks one.
//!
//! - Only confidential clients may ask (client authentication as at the token
//!   endpoint; RFC 7662 §2.1 requires an authorized caller "to prevent token scanning
//!   attacks"); a public client gets `unauthorized_client`.
//! - A client learns only about tokens issued to it: any other token, and every
//!   unknown, expired, used, revoked or malformed one, is `{"active": false}` (§2.2)
//!   and nothing more.
//! - A live token: `active`, `client_id`, `scope`, `exp`, `iss`, `aud` (the client),
//!   `sub` when the grant has an End-User (not for `client_credentials`), and
//!   `token_type` `Bearer` for access tokens.
//! - `token_type_hint` only orders the two look-ups; an unknown hint is ignored.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::oidc::grants::{self, LiveToken};
use crate::oidc::token;
use crate::web::{self, ReadBody};

/// `POST /introspect`.
pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    ReadBody(body): ReadBody,
) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(value) => web::json_no_store(value),
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, AppError> {
    let (params, client) = token::authenticated_form(state, headers, body).await?;
    if client.config.is_public() {
        return Err(AppError::oauth(
            ErrorCode::UnauthorizedClient,
            "public clients cannot introspect tokens",
        ));
    }
    let token = params
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::invalid_request("token is missing"))?;
    // (the live token, whether it is an access token)
    let found = grants::by_hint(
        params.get("token_type_hint"),
        async {
            Ok(grants::lookup_access_token(state, token)
                .await?
                .map(|l| (l, true)))
        },
        async {
            Ok(grants::lookup_refresh_token(state, token)
                .await?
                .map(|l| (l, false)))
        },
    )
    .await?;
    let client_id = &client.config.client_id;
    Ok(match found {
        Some((live, is_access)) if &live.client_id == client_id => active(state, &live, is_access),
        _ => json!({ "active": false }),
    })
}

fn active(state: &AppState, live: &LiveToken, is_access: bool) -> Value {
    let mut value = json!({
        "active": true,
        "client_id": live.client_id,
        "scope": live.grant.scope,
        "exp": live.expires_at,
        "iss": state.config.issuer,
        "aud": live.client_id,
    });
    if let Some(obj) = value.as_object_mut() {
        if let Some(sub) = &live.grant.sub {
            obj.insert("sub".into(), Value::String(sub.clone()));
        }
        if is_access {
            obj.insert("token_type".into(), Value::String("Bearer".into()));
        }
    }
    value
}

//! The UserInfo endpoint (OIDC Core §5.3), GET and POST, bearer token in the
//! `Authorization` header (RFC 6750 §2.1).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::clients;
use crate::cors;
use crate::error::AppError;
use crate::oidc::grants;
use crate::web;

/// `GET|POST /userinfo`.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match handle(&state, &headers).await {
        Ok((value, client_id)) => {
            let response = web::json_no_store(value);
            // Only a browser sends `Origin`; only then is the client looked up, to let
            // the origins of its redirect URIs read the claims (`crate::cors`).
            if headers.contains_key(header::ORIGIN) {
                match clients::get(&state.db, &client_id).await {
                    Ok(Some(client)) => return cors::readable_by(response, client),
                    Ok(None) => {}
                    Err(e) => return AppError::internal(e).into_response(),
                }
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

/// The claims, and the client the token was issued to.
async fn handle(state: &AppState, headers: &HeaderMap) -> Result<(Value, String), AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| AppError::BearerToken("a Bearer access token is required".into()))?;
    let grants::LiveToken {
        grant, client_id, ..
    } = grants::lookup_access_token(state, token)
        .await?
        .ok_or_else(|| AppError::BearerToken("invalid, expired or revoked token".into()))?;
    let sub = grant
        .sub
        .ok_or_else(|| AppError::BearerToken("token has no end-user".into()))?;
    let mut claims = grant.claims;
    claims.insert("sub".into(), Value::String(sub));
    Ok((Value::Object(claims), client_id))
}

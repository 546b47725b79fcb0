//! The UserInfo endpoint (OIDC Core §5.3), GET and POST, bearer token in the
//! `Authorization` header (RFC 6750 §2.1).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::error::AppError;
use crate::oidc::grants;
use crate::web;

/// `GET|POST /userinfo`.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match handle(&state, &headers).await {
        Ok(value) => web::json_no_store(value),
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap) -> Result<Value, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| AppError::BearerToken("a Bearer access token is required".into()))?;
    let grants::LiveToken { grant, .. } = grants::lookup_access_token(state, token)
        .await?
        .ok_or_else(|| AppError::BearerToken("invalid, expired or revoked token".into()))?;
    let sub = grant
        .sub
        .ok_or_else(|| AppError::BearerToken("token has no end-user".into()))?;
    let mut claims = grant.claims;
    claims.insert("sub".into(), Value::String(sub));
    Ok(Value::Object(claims))
}

//! Token revocation (RFC 7009): a client ends the tokens it was issued, e.g. when its
//! user logs out.
//!
//! - Client authentication as at the token endpoint (`client_secret_basic`,
//!   `client_secret_post`, or `client_id` alone for a public client).
//! - A refresh token revokes its whole family: every refresh token of the grant and
//!   every access token made from them (RFC 7009 §2.1: "SHOULD also invalidate all
//!   access tokens based on the same authorization grant").
//! - An access token revokes that access token.
//! - An unknown, expired or already revoked token is answered `200` like a revoked
//!   one (§2.2: "invalid tokens do not cause an error response"). A token issued to
//!   another client is refused with `invalid_grant` and left alone (§2.1).
//! - `token_type_hint` only says where to look first; an unknown value is ignored
//!   (§2.1).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::clients::StoredClient;
use crate::cors;
use crate::error::AppError;
use crate::oidc::{grants, token};
use crate::web::{self, ReadBody};

/// `POST /revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    ReadBody(body): ReadBody,
) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(client) => {
            let mut response = StatusCode::OK.into_response();
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
) -> Result<Arc<StoredClient>, AppError> {
    let (params, client) = token::authenticated_form(state, headers, body).await?;
    let token = params
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::invalid_request("token is missing"))?;
    let found = grants::by_hint(
        params.get("token_type_hint"),
        grants::access_token_owner(state, token),
        grants::refresh_token_owner(state, token),
    )
    .await?;
    let Some(owner) = found else {
        return Ok(client);
    };
    if owner.client_id() != client.config.client_id {
        return Err(AppError::invalid_grant(
            "the token was issued to another client",
        ));
    }
    grants::revoke(state, &owner).await?;
    tracing::info!(client_id = %client.config.client_id, kind = owner.kind(), "token revoked");
    Ok(client)
}

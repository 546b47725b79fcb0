//! The UserInfo endpoint (OIDC Core §5.3), GET and POST, the access token in the
//! `Authorization` header: `Bearer` (RFC 6750 §2.1), or `DPoP` with a proof for a
//! token bound to a key (RFC 9449 §7, [`crate::oidc::dpop`]).

use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::clients;
use crate::cors;
use crate::error::{AppError, ErrorCode};
use crate::oidc::{dpop, grants};
use crate::web;

/// `GET|POST /userinfo`.
pub async fn userinfo(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match handle(&state, &method, &headers).await {
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

/// How the access token came: `Authorization: Bearer` or `Authorization: DPoP`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

/// The token of an `Authorization` header and its scheme (case-insensitive, RFC 9110
/// §11.1).
fn credentials(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let scheme = if scheme.eq_ignore_ascii_case("Bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("DPoP") {
        Scheme::Dpop
    } else {
        return None;
    };
    Some((scheme, token.trim()))
}

/// The claims, and the client the token was issued to.
async fn handle(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(Value, String), AppError> {
    let (scheme, token) = credentials(headers)
        .ok_or_else(|| AppError::BearerToken("a Bearer access token is required".into()))?;
    let refuse = |scheme: Scheme, description: &str| match scheme {
        Scheme::Bearer => AppError::BearerToken(description.into()),
        Scheme::Dpop => AppError::DpopToken {
            code: ErrorCode::InvalidToken,
            description: description.into(),
        },
    };
    let grants::LiveToken {
        grant, client_id, ..
    } = grants::lookup_access_token(state, token)
        .await?
        .ok_or_else(|| refuse(scheme, "invalid, expired or revoked token"))?;
    // RFC 9449 §7: a bound token only with `DPoP` and a proof by its key; an unbound
    // one only as `Bearer`.
    match (&grant.dpop_jkt, scheme) {
        (Some(_), Scheme::Bearer) => {
            return Err(refuse(
                Scheme::Dpop,
                "the token is DPoP-bound: send it as DPoP with a proof",
            ));
        }
        (None, Scheme::Dpop) => {
            return Err(refuse(Scheme::Dpop, "the token is not DPoP-bound"));
        }
        (Some(bound), Scheme::Dpop) => {
            let jkt = dpop::check(state, headers, method.as_str(), "/userinfo", Some(token))
                .await?
                .map_err(dpop::Refused::at_resource)?
                .ok_or_else(|| dpop::Refused("a DPoP proof is required".into()).at_resource())?;
            if &jkt != bound {
                return Err(refuse(Scheme::Dpop, "the proof is not by the token's key"));
            }
        }
        (None, Scheme::Bearer) => {}
    }
    let sub = grant
        .sub
        .ok_or_else(|| AppError::BearerToken("token has no end-user".into()))?;
    let mut claims = grant.claims;
    claims.insert("sub".into(), Value::String(sub));
    Ok((Value::Object(claims), client_id))
}

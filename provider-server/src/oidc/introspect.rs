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
//!   `token_type` for access tokens: `Bearer`, or `DPoP` with the key's `cnf.jkt`
//!   for a DPoP-bound one (RFC 9449 §6.2).
//! - `token_type_hint` only orders the two look-ups; an unknown hint is ignored.
//! - A caller that accepts `application/token-introspection+jwt` gets the answer
//!   signed (RFC 9701): a JWT of `typ` `token-introspection+jwt`, with the client's
//!   `introspection_signed_response_alg` (RS256 by default), carrying `iss`, `aud`
//!   (the client), `iat`, `jti` and the answer above as `token_introspection`, so
//!   that the resource server can keep it as proof of what the provider said.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::clients::StoredClient;
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
    let answer = match handle(&state, &headers, &body).await {
        Ok(answer) => answer,
        Err(e) => return e.into_response(),
    };
    if !accepts_jwt(&headers) {
        return web::json_no_store(answer.value);
    }
    match signed(&state, &answer) {
        Ok(jwt) => {
            let mut response = ([(header::CONTENT_TYPE, JWT_MEDIA_TYPE)], jwt).into_response();
            web::no_store(response.headers_mut());
            response
        }
        Err(e) => e.into_response(),
    }
}

/// The media type of a signed introspection response (RFC 9701 §4).
const JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// An introspection answer and the client it is for.
struct Answer {
    value: Value,
    client: Arc<StoredClient>,
}

/// Whether the `Accept` header asks for a signed response (RFC 9701 §4): the media
/// type is listed, without `q=0`.
fn accepts_jwt(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let listed = parts
                .next()
                .is_some_and(|t| t.eq_ignore_ascii_case(JWT_MEDIA_TYPE));
            let refused = parts.any(|p| {
                p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("q")
                        && v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
                })
            });
            listed && !refused
        })
}

/// RFC 9701 §5: the answer as the `token_introspection` claim of a JWT the provider
/// signs for the client.
fn signed(state: &AppState, answer: &Answer) -> Result<String, AppError> {
    let key = state
        .keys
        .get()
        .and_then(|set| set.current(answer.client.config.introspection_alg()))
        .map_err(AppError::internal)?;
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), Value::String(state.config.issuer.clone()));
    claims.insert(
        "aud".into(),
        Value::String(answer.client.config.client_id.clone()),
    );
    claims.insert("iat".into(), Value::from(web::now()));
    claims.insert("jti".into(), Value::String(web::random_hex::<16>()?));
    claims.insert("token_introspection".into(), answer.value.clone());
    key.sign_typed(&claims, "token-introspection+jwt")
        .map_err(AppError::internal)
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Answer, AppError> {
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
    let value = match found {
        Some((live, is_access)) if &live.client_id == client_id => active(state, &live, is_access),
        _ => json!({ "active": false }),
    };
    Ok(Answer { value, client })
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
            // RFC 9449 §6.2: a DPoP-bound token's key thumbprint as `cnf.jkt`.
            let token_type = match &live.grant.dpop_jkt {
                Some(jkt) => {
                    obj.insert("cnf".into(), json!({ "jkt": jkt }));
                    "DPoP"
                }
                None => "Bearer",
            };
            obj.insert("token_type".into(), Value::String(token_type.into()));
        }
    }
    value
}

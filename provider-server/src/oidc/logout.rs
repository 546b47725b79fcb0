//! RP-Initiated Logout 1.0: the `end_session_endpoint`, GET and POST.
//!
//! The provider keeps no browser session (every authorization request runs a fresh
//! wallet login; see [`crate::oidc::authorize`]), so there is no login at the
//! provider to end and nothing to ask the End-User about (§2's question "whether to
//! log out of the OP as well" has one answer). The endpoint exists so that an app's
//! logout goes through the flow every OIDC library builds and comes back to the app:
//!
//! - `id_token_hint` (RECOMMENDED) must be an id_token this provider signed as this
//!   issuer, with a key it still publishes; an expired one is accepted (§4: "even
//!   when the exp time has passed"). It names the client by its `aud` (or `azp`).
//! - `client_id`, when given with a hint, must be the client the hint was issued to
//!   (§2: "the OP MUST verify that the Client Identifier matches").
//! - `post_logout_redirect_uri` must exactly match one of the client's registered
//!   `post_logout_redirect_uris` (§3: "MUST NOT perform post-logout redirection if
//!   the … value supplied does not exactly match"); it needs the client, named by
//!   the hint or by `client_id`. `state` is added to its query (§3).
//! - Any error is an HTML page and never a redirect (§4). `logout_hint`,
//!   `ui_locales` and unknown parameters are accepted and ignored.
//!
//! Without a redirect the answer is a page saying the End-User is logged out.
//!
//! Logout ends no token: an access token lives its few minutes, and a refresh token
//! exists only for `offline_access`, which is meant to outlive the End-User's login
//! (OIDC Core §11). An app that wants its tokens ended revokes them (`/revoke`,
//! RFC 7009) before it sends the End-User here, as the demo relying party does.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::clients::{self, StoredClient};
use crate::error::AppError;
use crate::oidc::grants;
use crate::web::{self, Params, ReadBody};

/// `GET /logout`.
pub async fn logout_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or_default());
    logout(&state, params)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /logout` (form body, RP-Initiated Logout 1.0 §2).
pub async fn logout_post(State(state): State<AppState>, ReadBody(body): ReadBody) -> Response {
    let params = std::str::from_utf8(&body)
        .map_err(|_| AppError::invalid_request("body is not UTF-8"))
        .and_then(Params::parse);
    logout(&state, params)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn logout(state: &AppState, params: Result<Params, AppError>) -> Result<Response, AppError> {
    let refuse = |why: String| AppError::LogoutErrorPage(why);
    let params = params.map_err(|e| refuse(e.to_string()))?;
    let hinted_client = params
        .get("id_token_hint")
        .map(|hint| {
            let claims = grants::verify_own_id_token(state, hint).map_err(refuse)?;
            audience(&claims).ok_or_else(|| {
                refuse("id_token_hint is not valid: it names no single client".into())
            })
        })
        .transpose()?;
    let client_id = match (params.get("client_id"), hinted_client.as_deref()) {
        (Some(given), Some(hinted)) if given != hinted => {
            return Err(refuse(
                "client_id is not the client the id_token_hint was issued to".into(),
            ));
        }
        (Some(given), _) => Some(given.to_owned()),
        (None, hinted) => hinted.map(str::to_owned),
    };
    let client = match &client_id {
        Some(id) => Some(
            clients::get(&state.db, id)
                .await
                .map_err(AppError::internal)?
                .ok_or_else(|| refuse("unknown client_id".into()))?,
        ),
        None => None,
    };
    let Some(uri) = params.get("post_logout_redirect_uri") else {
        return Ok(logged_out_page(client.as_deref()));
    };
    let client = client.ok_or_else(|| {
        refuse("post_logout_redirect_uri needs an id_token_hint or a client_id".into())
    })?;
    if !client
        .config
        .post_logout_redirect_uris
        .iter()
        .any(|registered| registered == uri)
    {
        return Err(refuse(
            "post_logout_redirect_uri is not registered for this client".into(),
        ));
    }
    let mut target =
        url::Url::parse(uri).map_err(|_| refuse("post_logout_redirect_uri is invalid".into()))?;
    if let Some(s) = params.get("state") {
        target.query_pairs_mut().append_pair("state", s);
    }
    tracing::info!(client_id = %client.config.client_id, "logout, redirecting back to the client");
    let mut response = StatusCode::SEE_OTHER.into_response();
    let location = HeaderValue::from_str(target.as_str())
        .map_err(|_| refuse("post_logout_redirect_uri is invalid".into()))?;
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    web::no_store(headers);
    Ok(response)
}

/// The one client an id_token was issued to: its `aud`, or `azp` when `aud` holds
/// several (OIDC Core §2).
fn audience(claims: &serde_json::Map<String, Value>) -> Option<String> {
    match claims.get("aud") {
        Some(Value::String(aud)) => Some(aud.clone()),
        Some(Value::Array(auds)) if auds.len() == 1 => {
            auds.first().and_then(Value::as_str).map(str::to_owned)
        }
        Some(Value::Array(auds)) => claims
            .get("azp")
            .and_then(Value::as_str)
            .filter(|azp| auds.iter().any(|a| a.as_str() == Some(azp)))
            .map(str::to_owned),
        _ => None,
    }
}

fn logged_out_page(client: Option<&StoredClient>) -> Response {
    let from = client.map_or_else(String::new, |c| {
        format!(" of {}", web::escape(&c.config.name))
    });
    let page = web::page(
        "Logged out",
        &format!(
            "<h1>You are logged out{from}</h1>\
             <p>This provider keeps no login of its own: your next login runs through \
             your wallet again. Your credentials stay in your wallet.</p>\
             <p>You can close this page.</p>"
        ),
    );
    let mut response = (StatusCode::OK, Html(page)).into_response();
    web::html_security_headers(response.headers_mut(), None);
    response
}

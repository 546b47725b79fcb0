//! Cross-origin reads (CORS, WHATWG Fetch §3.2) for the endpoints a browser-based
//! client calls itself, so that a single-page app with any standard OIDC library
//! (oidc-client-ts and the like) can log its users in without a back end of its own.
//!
//! RFC 9700 §4.16 ("Usage of CORS"): the token endpoint, the metadata and `jwks_uri`
//! MAY support CORS; the authorization endpoint MUST NOT, as the browser is
//! redirected there and never fetches it. So `/authorize`, the login page and the
//! wallet's Credential API get no CORS headers here.
//!
//! - [`public`] documents (discovery, JWKS, the DID configuration) are readable by
//!   every origin: `Access-Control-Allow-Origin: *`.
//! - The client endpoints ([`client_endpoint`]: `/token`, `/userinfo`, `/revoke`,
//!   `/par`)
//!   let an origin read a *successful* answer only when it is the origin of one of
//!   the client's registered redirect URIs (the handler names the client with a
//!   [`ReadableBy`] extension on its response; Keycloak's default "web origins"
//!   rule). Error answers carry no data and are readable by every origin, so an app
//!   sees `invalid_grant` or `invalid_token` instead of an opaque network error.
//!   None of these endpoints reads a cookie (the origin is echoed, never with
//!   `Access-Control-Allow-Credentials`), so CORS guards no ambient authority
//!   here: what it adds is that tokens and claims are not handed to pages of
//!   another origin.
//! - Preflights of the client endpoints are answered for every origin: a preflight
//!   only lets the browser send the request, and each request carries its own
//!   credentials (client authentication, PKCE verifier or bearer token).
//!
//! `/introspect` and `/register` stay without CORS: they are for back ends
//! (introspection needs a client secret, registration an initial access token).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::clients::StoredClient;

/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// Put on a successful response of a client endpoint: the client it was for, whose
/// redirect URIs' origins may read it.
#[derive(Clone, Debug)]
pub struct ReadableBy(pub Arc<StoredClient>);

/// `response`, marked as readable by the origins of `client`'s redirect URIs.
#[must_use]
pub fn readable_by(mut response: Response, client: Arc<StoredClient>) -> Response {
    response.extensions_mut().insert(ReadableBy(client));
    response
}

/// `Access-Control-Allow-Origin: *` on every answer (public documents).
pub async fn public(request: Request, next: Next) -> Response {
    let preflight = is_preflight(&request);
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if preflight {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE),
        );
    }
    response
}

/// CORS for `/token`, `/userinfo`, `/revoke` and `/par` (see the module
/// documentation).
pub async fn client_endpoint(request: Request, next: Next) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        return next.run(request).await;
    };
    if is_preflight(&request) {
        return preflight(&origin);
    }
    let mut response = next.run(request).await;
    let readable = if response.status().is_success() {
        origin.to_str().is_ok_and(|origin| {
            response
                .extensions()
                .get::<ReadableBy>()
                .is_some_and(|client| client.0.allows_origin(origin))
        })
    } else {
        true
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if readable {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        // A bearer token's refusal is explained in this header (RFC 6750 §3).
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("WWW-Authenticate"),
        );
    }
    response
}

fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn preflight(origin: &HeaderValue) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers: &mut HeaderMap = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    // Client authentication (Basic), bearer and DPoP tokens, DPoP proofs (RFC 9449),
    // and a form or JSON body.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, DPoP"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

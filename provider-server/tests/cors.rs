//! Cross-origin reads over real HTTP (`provider_server::cors`): what a browser would
//! let a page of each origin read. A real browser runs the same endpoints in
//! `spa_browser.rs` (oidc-client-ts in headless Chromium).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use provider_server::clients::CreatedClient;
use reqwest::{Method, Response};
use serde_json::Value;
use support::{Provider, REDIRECT, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
/// The origin of [`REDIRECT`].
const RP_ORIGIN: &str = "http://rp.example";
/// An origin no client registered.
const OTHER_ORIGIN: &str = "https://other.example";

fn allow_origin(response: &Response) -> Option<&str> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap())
}

fn varies_by_origin(response: &Response) -> bool {
    response
        .headers()
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap().eq_ignore_ascii_case("origin"))
}

/// A code redeemed by `client` with `Origin: origin`: the whole response.
async fn redeem_from(p: &Provider, client: &CreatedClient, origin: &str, scope: &str) -> Response {
    let login = p
        .begin(&p.authorize_url_with_scope(
            &client.config.client_id,
            REDIRECT,
            scope,
            "&response_type=code",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    p.redeem_request(client, &code, REDIRECT, &[])
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

async fn userinfo_from(p: &Provider, token: &str, origin: &str) -> Response {
    p.http
        .get(p.url("/userinfo"))
        .header("origin", origin)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn preflight(p: &Provider, path: &str, origin: &str) -> Response {
    p.http
        .request(Method::OPTIONS, p.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn public_documents_are_readable_by_every_origin() {
    let p = Provider::start().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks",
        "/.well-known/did-configuration.json",
    ] {
        let response = p
            .http
            .get(p.url(path))
            .header("origin", OTHER_ORIGIN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(allow_origin(&response), Some("*"), "{path}");
        // Without `Origin` too: the answer may be cached and served to a page.
        let response = p.http.get(p.url(path)).send().await.unwrap();
        assert_eq!(allow_origin(&response), Some("*"), "{path}");
        let response = p
            .http
            .request(Method::OPTIONS, p.url(path))
            .header("origin", OTHER_ORIGIN)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{path}");
        assert_eq!(allow_origin(&response), Some("*"), "{path}");
    }
}

#[tokio::test]
async fn tokens_are_readable_only_by_the_clients_redirect_origins() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;

    let response = redeem_from(&p, &client, RP_ORIGIN, "openid").await;
    assert_eq!(response.status(), 200);
    assert_eq!(allow_origin(&response), Some(RP_ORIGIN));
    assert!(varies_by_origin(&response));
    let body: Value = response.json().await.unwrap();
    let access_token = body["access_token"].as_str().unwrap().to_owned();

    // The same success, asked from a page of another origin: issued (the request
    // carried the client's own credentials), but the browser keeps it from the page.
    let response = redeem_from(&p, &client, OTHER_ORIGIN, "openid").await;
    assert_eq!(response.status(), 200);
    assert_eq!(allow_origin(&response), None);
    assert!(varies_by_origin(&response));

    // Userinfo: the claims go to the client's origin only.
    let response = userinfo_from(&p, &access_token, RP_ORIGIN).await;
    assert_eq!(response.status(), 200);
    assert_eq!(allow_origin(&response), Some(RP_ORIGIN));
    let response = userinfo_from(&p, &access_token, OTHER_ORIGIN).await;
    assert_eq!(response.status(), 200);
    assert_eq!(allow_origin(&response), None);

    // A scheme, host or port that differs is another origin.
    for origin in [
        "https://rp.example",
        "http://rp.example:8080",
        "http://www.rp.example",
        "null",
    ] {
        let response = userinfo_from(&p, &access_token, origin).await;
        assert_eq!(response.status(), 200);
        assert_eq!(allow_origin(&response), None, "{origin}");
    }

    // Revocation answers the client's origin.
    let response = p
        .http
        .post(p.url("/revoke"))
        .header("origin", RP_ORIGIN)
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(&[("token", access_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(allow_origin(&response), Some(RP_ORIGIN));
}

#[tokio::test]
async fn errors_are_readable_by_every_origin() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;

    // A revoked bearer token: 401 with the challenge the page may read.
    let response = userinfo_from(&p, "no-such-token", OTHER_ORIGIN).await;
    assert_eq!(response.status(), 401);
    assert_eq!(allow_origin(&response), Some(OTHER_ORIGIN));
    assert_eq!(
        response.headers()["access-control-expose-headers"],
        "WWW-Authenticate"
    );
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    // An unknown code at the token endpoint: the error, not an opaque network failure.
    let response = p
        .redeem_request(&client, "no-such-code", REDIRECT, &[])
        .header("origin", OTHER_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(allow_origin(&response), Some(OTHER_ORIGIN));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn client_endpoints_answer_preflights() {
    let p = Provider::start().await;
    for path in ["/token", "/userinfo", "/revoke", "/par"] {
        let response = preflight(&p, path, RP_ORIGIN).await;
        assert_eq!(response.status(), 204, "{path}");
        assert_eq!(allow_origin(&response), Some(RP_ORIGIN), "{path}");
        let headers = response.headers();
        let methods = headers["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains("POST"), "{path}: {methods}");
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(allowed.contains("authorization"), "{path}: {allowed}");
        assert!(allowed.contains("content-type"), "{path}: {allowed}");
        assert!(allowed.contains("dpop"), "{path}: {allowed}");
        assert!(headers.contains_key("access-control-max-age"), "{path}");
        // No cookie is ever read here: credentials mode is never allowed.
        assert!(
            !headers.contains_key("access-control-allow-credentials"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn endpoints_a_page_never_fetches_have_no_cors() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    // RFC 9700: CORS MUST NOT be supported at the authorization endpoint.
    let response = p
        .http
        .get(p.authorize_url(&client.config.client_id, REDIRECT, "&response_type=code"))
        .header("origin", RP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(allow_origin(&response), None);
    // Introspection is for back ends (it needs a client secret); the Credential API
    // is the wallet's.
    for path in [
        "/introspect",
        "/api/v1/challenge",
        "/register",
        "/authorize",
    ] {
        let response = preflight(&p, path, RP_ORIGIN).await;
        assert_eq!(allow_origin(&response), None, "{path}");
        assert_ne!(response.status(), 204, "{path}");
        assert!(response.status().is_client_error(), "{path}");
    }
    let response = p
        .http
        .post(p.url("/introspect"))
        .header("origin", RP_ORIGIN)
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(&[("token", "no-such-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(allow_origin(&response), None);
}

#[tokio::test]
async fn requests_without_origin_get_no_cors_headers() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let login = p
        .begin(&p.authorize_url(&client.config.client_id, REDIRECT, "&response_type=code"))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let response = p
        .redeem_request(&client, &code, REDIRECT, &[])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(allow_origin(&response), None);
    assert!(!varies_by_origin(&response));
}

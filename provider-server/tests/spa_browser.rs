//! A single-page app logs in with a browser OIDC library we did not write:
//! oidc-client-ts in headless Chromium (`tests/interop/spa-rp.mjs`, driven by
//! Playwright), served from its own origin, so every request the library makes to the
//! provider is a cross-origin `fetch` that the browser lets through only on the
//! provider's CORS answers (`provider_server::cors`). The library discovers the
//! provider, sends the authorization request (code + PKCE, made with WebCrypto); the
//! test wallet logs in; the library redeems the code as a public client, validates
//! the id_token against the JWKS, loads userinfo, revokes the refresh token and logs
//! out through the `end_session_endpoint`, checking the `state` it gets back. A page of
//! an origin the client did not register reads the discovery document and error
//! answers, and is refused the claims.
//!
//! REQUIRES `node`, the npm packages of the repository's `package-lock.json` (`npm ci`
//! at the root; `scripts/test` does it) and Chromium at `/usr/bin/chromium` (Debian's
//! `chromium`; `CHROMIUM` names another). A missing one fails the test; it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/node.rs"]
mod node;
#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use node::{Script, root};
use serde_json::{Value, json};
use support::Provider;
use wallet::{Wallet, email_client, party};

/// Serves the app's page and the library on a port of its own: a separate origin.
async fn serve_app() -> String {
    let library = root().join("node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js");
    let script = std::fs::read_to_string(&library).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `npm ci` at the repository root",
            library.display()
        )
    });
    let page = Html(
        "<!doctype html><meta charset=\"utf-8\"><title>SPA</title>\
                     <script src=\"/oidc-client-ts.min.js\"></script>",
    );
    let app = Router::new()
        .route(
            "/oidc-client-ts.min.js",
            get(move || async move { ([(header::CONTENT_TYPE, "text/javascript")], script) }),
        )
        .fallback(move || async move { page.into_response() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

/// The app's next message; panics with its error.
async fn next(script: &mut Script) -> Value {
    script
        .next()
        .await
        .unwrap_or_else(|e| panic!("the app failed: {e}"))
}

#[tokio::test]
async fn oidc_client_ts_logs_in_from_its_own_origin() {
    let p = Provider::start().await;
    let app = serve_app().await;
    let other = serve_app().await;
    let issuer = party();
    let mut wallet = Wallet::holding_email(&issuer, "holder@example.com");
    let client = email_client(&p, &issuer, |c| {
        c.redirect_uris = vec![format!("{app}/cb")];
        c.post_logout_redirect_uris = vec![format!("{app}/logged-out")];
        c.token_endpoint_auth_method = Some("none".into());
        c.id_token_signed_response_alg = Some("ES256".into());
    })
    .await;

    let mut script = Script::start(
        "spa-rp.mjs",
        "playwright-core",
        &[
            ("ISSUER", &p.issuer),
            ("CLIENT_ID", &client.config.client_id),
            ("APP", &app),
            ("OTHER", &other),
        ],
    );
    let authorize = next(&mut script).await["authorize"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(authorize.starts_with(&p.url("/authorize?")), "{authorize}");
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let callback = wallet.login(&p, &authorize).await;
    assert!(callback.starts_with(&format!("{app}/cb?")), "{callback}");
    script.send(&json!({ "callback": callback })).await;

    let logout = next(&mut script).await["logout"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(logout.starts_with(&p.url("/logout?")), "{logout}");
    let response = p.http.get(&logout).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let back = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&format!("{app}/logged-out?state=")),
        "{back}"
    );
    script.send(&json!({ "callback": back })).await;

    let result = next(&mut script).await["result"].clone();
    assert!(script.succeeded().await);

    let signin = &result["signin"];
    assert!(
        signin["token_type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("bearer"),
        "{result}"
    );
    assert_eq!(signin["has_refresh_token"], true, "{result}");
    // The profile holds the id_token's claims and userinfo's: the email came through
    // the mapping, and userinfo (a preflighted request) was read.
    assert_eq!(signin["profile"]["email"], "holder@example.com", "{result}");
    assert_eq!(signin["profile"]["iss"], p.issuer.as_str(), "{result}");
    assert_eq!(
        signin["profile"]["aud"],
        client.config.client_id.as_str(),
        "{result}"
    );

    let from_other = &result["from_other"];
    assert_eq!(from_other["discovery"]["status"], 200, "{result}");
    assert_eq!(from_other["userinfo"]["blocked"], "TypeError", "{result}");
    assert_eq!(from_other["bad_token"]["status"], 401, "{result}");
    assert!(
        from_other["bad_token"]["www_authenticate"]
            .as_str()
            .unwrap()
            .contains("invalid_token"),
        "{result}"
    );

    let before = &result["revoked"]["userinfo_before"];
    assert_eq!(before["email"], "holder@example.com", "{result}");
    assert_eq!(before["sub"], signin["profile"]["sub"], "{result}");
    // The refresh token's revocation ended the access token made with it.
    assert_eq!(result["revoked"]["userinfo_status"], 401, "{result}");
    // The library matched the `state` that came back to the one it stored, and
    // handed back the app's data kept under it.
    assert_eq!(result["signout"]["error"], Value::Null, "{result}");
    assert_eq!(
        result["signout"]["user_state"],
        json!({ "back_to": "/home" }),
        "{result}"
    );
}

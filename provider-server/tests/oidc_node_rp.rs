//! The provider against a relying party we did not write: Node's `openid-client`
//! (panva, OpenID Certified; `tests/interop/oidc-rp.mjs`). The library discovers the
//! provider, builds the authorization request (code + PKCE S256, or implicit
//! `id_token`), and after the wallet login here validates everything it is built to
//! validate: `state`, `iss` in the authorization response (RFC 9207), the code
//! exchange, the id_token's signature against the JWKS (RS256, ES256 and EdDSA),
//! `iss`, `aud`, `nonce`, `exp`, then userinfo (whose `sub` must match), a refresh,
//! introspection, revocation and the RP-Initiated Logout URL (followed here).
//!
//! REQUIRES `node` and the npm packages of the repository's `package-lock.json`
//! (`npm ci` at the root; `scripts/test` does it). A missing one fails the test with a
//! message naming it; it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/node.rs"]
mod node;
#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use node::Script;
use provider_server::clients::CreatedClient;
use serde_json::{Value, json};
use support::{Provider, REDIRECT, params_of};
use wallet::{Party, Wallet, email_client, party};

/// Where the library asks the provider to send the user after logging out.
const LOGGED_OUT: &str = "http://rp.example/logged-out";

async fn client(p: &Provider, issuer: &Party, auth: &str, alg: &str) -> CreatedClient {
    email_client(p, issuer, |c| {
        c.token_endpoint_auth_method = Some(auth.into());
        c.id_token_signed_response_alg = Some(alg.into());
        c.post_logout_redirect_uris = vec![LOGGED_OUT.into()];
        // A confidential client also asks for signed introspection answers (RFC 9701),
        // with the same algorithm.
        if auth != "none" {
            c.introspection_signed_response_alg = Some(alg.into());
        }
    })
    .await
}

/// Follows the library's RP-Initiated Logout URL: the provider must send the browser
/// back to [`LOGGED_OUT`] with the library's `state`.
async fn assert_logout_returns(p: &Provider, result: &Value) {
    let url = result["end_session_url"].as_str().unwrap();
    assert!(url.starts_with(&p.url("/logout?")), "{url}");
    let response = p.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303, "{url}");
    let back = response.headers()["location"].to_str().unwrap();
    assert_eq!(
        back,
        format!(
            "{LOGGED_OUT}?state={}",
            result["logout_state"].as_str().unwrap()
        )
    );
}

/// Runs `oidc-rp.mjs` for `client` and `flow`, doing the wallet's part when it asks;
/// returns its `result`, or panics with the library's error.
async fn node_rp(p: &Provider, wallet: &mut Wallet, client: &CreatedClient, flow: &str) -> Value {
    node_rp_with(p, wallet, client, flow, |url| url)
        .await
        .unwrap_or_else(|e| panic!("openid-client refused: {e}"))
}

/// [`node_rp`] with the callback URL changed by `edit` on its way to the library;
/// `Err` is the library's refusal.
async fn node_rp_with(
    p: &Provider,
    wallet: &mut Wallet,
    client: &CreatedClient,
    flow: &str,
    edit: impl FnOnce(String) -> String,
) -> Result<Value, String> {
    let config = &client.config;
    let mut script = Script::start(
        "oidc-rp.mjs",
        "openid-client",
        &[
            ("ISSUER", &p.issuer),
            ("CLIENT_ID", &config.client_id),
            (
                "CLIENT_SECRET",
                client.client_secret.as_deref().unwrap_or_default(),
            ),
            ("REDIRECT_URI", REDIRECT),
            ("POST_LOGOUT_REDIRECT_URI", LOGGED_OUT),
            (
                "INTROSPECTION_ALG",
                config
                    .introspection_signed_response_alg
                    .as_deref()
                    .unwrap_or_default(),
            ),
            ("FLOW", flow),
        ],
    );
    let authorize = script.next().await.unwrap()["authorize"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback = edit(wallet.login(p, &authorize).await);
    script.send(&json!({ "callback": callback })).await;
    let answer = script.next().await;
    assert_eq!(script.succeeded().await, answer.is_ok());
    answer.map(|a| a["result"].clone())
}

struct Setup {
    p: Provider,
    issuer: Party,
    wallet: Wallet,
}

async fn setup() -> Setup {
    let p = Provider::start().await;
    let issuer = party();
    let wallet = Wallet::holding_email(&issuer, "holder@example.com");
    Setup { p, issuer, wallet }
}

#[tokio::test]
async fn openid_client_code_flow_with_each_signing_alg() {
    let mut s = setup().await;
    let mut subjects = Vec::new();
    for alg in ["RS256", "ES256", "EdDSA"] {
        let c = client(&s.p, &s.issuer, "client_secret_basic", alg).await;
        let r = node_rp(&s.p, &mut s.wallet, &c, "code").await;
        assert_eq!(r["id_token_alg"], alg, "{r}");
        let claims = &r["id_token_claims"];
        assert_eq!(claims["iss"], s.p.issuer.as_str());
        assert_eq!(claims["aud"], c.config.client_id.as_str());
        assert_eq!(claims["email"], "holder@example.com");
        assert_eq!(r["token_type"], "bearer", "{r}");
        assert_eq!(r["userinfo"]["sub"], claims["sub"]);
        assert_eq!(r["userinfo"]["email"], "holder@example.com");
        // The refreshed id_token names the same End-User; the refresh token rotated.
        assert_eq!(r["refreshed_claims"]["sub"], claims["sub"], "{r}");
        assert_eq!(r["refresh_rotated"], true, "{r}");
        // RFC 7662 as the library reads it: the refreshed access token is live. The
        // answer came signed (RFC 9701) and the library verified it.
        assert_eq!(
            r["introspection_content_type"], "application/token-introspection+jwt",
            "{r}"
        );
        let intro = &r["introspection"];
        assert_eq!(intro["active"], true, "{r}");
        assert_eq!(intro["sub"], claims["sub"], "{r}");
        assert_eq!(intro["client_id"], c.config.client_id.as_str(), "{r}");
        // The library revoked the refresh token (RFC 7009): the refresh grant and the
        // access token made with it are refused afterwards.
        assert_eq!(r["revoked"]["refresh"], "invalid_grant", "{r}");
        assert_eq!(r["revoked"]["userinfo"], "invalid_token", "{r}");
        assert_logout_returns(&s.p, &r).await;
        subjects.push(claims["sub"].clone());
    }
    // One public `sub` per holder, whichever client and alg.
    assert!(subjects.windows(2).all(|w| w[0] == w[1]), "{subjects:?}");
}

#[tokio::test]
async fn openid_client_public_client_with_pkce() {
    let mut s = setup().await;
    let c = client(&s.p, &s.issuer, "none", "RS256").await;
    assert!(c.client_secret.is_none());
    let r = node_rp(&s.p, &mut s.wallet, &c, "code").await;
    assert_eq!(r["id_token_claims"]["email"], "holder@example.com");
    assert_eq!(r["userinfo"]["email"], "holder@example.com");
    // A public client revokes with its client_id alone (and does not introspect).
    assert_eq!(r["introspection"], Value::Null, "{r}");
    assert_eq!(r["revoked"]["refresh"], "invalid_grant", "{r}");
    assert_eq!(r["revoked"]["userinfo"], "invalid_token", "{r}");
    assert_logout_returns(&s.p, &r).await;
}

#[tokio::test]
async fn openid_client_pushes_its_authorization_request() {
    let mut s = setup().await;
    for auth in ["client_secret_basic", "none"] {
        let c = client(&s.p, &s.issuer, auth, "EdDSA").await;
        let r = node_rp(&s.p, &mut s.wallet, &c, "par").await;
        let url = r["authorize_url"].as_str().unwrap();
        let query = params_of(url, false);
        // Only client_id and the request_uri travel through the browser.
        assert_eq!(
            query.keys().map(String::as_str).collect::<Vec<_>>(),
            ["client_id", "request_uri"],
            "{url}"
        );
        assert!(
            query["request_uri"].starts_with("urn:ietf:params:oauth:request_uri:"),
            "{url}"
        );
        assert_eq!(r["id_token_claims"]["email"], "holder@example.com", "{r}");
        assert_eq!(r["userinfo"]["email"], "holder@example.com", "{r}");
    }
}

#[tokio::test]
async fn openid_client_binds_its_tokens_with_dpop() {
    let mut s = setup().await;
    for auth in ["none", "client_secret_basic"] {
        let c = client(&s.p, &s.issuer, auth, "ES256").await;
        let r = node_rp(&s.p, &mut s.wallet, &c, "dpop").await;
        // RFC 9449: the library made its key, sent proofs, and got bound tokens that
        // it used at userinfo with proofs (openid-client lowercases token_type).
        assert_eq!(r["token_type"], "dpop", "{r}");
        assert_eq!(r["userinfo"]["email"], "holder@example.com", "{r}");
        assert_eq!(
            r["refreshed_claims"]["sub"], r["id_token_claims"]["sub"],
            "{r}"
        );
        if auth != "none" {
            assert_eq!(r["introspection"]["token_type"], "DPoP", "{r}");
            assert!(r["introspection"]["cnf"]["jkt"].is_string(), "{r}");
        }
        assert_eq!(r["revoked"]["refresh"], "invalid_grant", "{r}");
        assert_eq!(r["revoked"]["userinfo"], "invalid_token", "{r}");
    }
}

#[tokio::test]
async fn openid_client_implicit_id_token() {
    let mut s = setup().await;
    let c = client(&s.p, &s.issuer, "client_secret_basic", "EdDSA").await;
    let r = node_rp(&s.p, &mut s.wallet, &c, "implicit").await;
    let claims = &r["id_token_claims"];
    assert_eq!(claims["aud"], c.config.client_id.as_str());
    assert_eq!(claims["email"], "holder@example.com");
    assert!(claims["nonce"].is_string(), "{r}");
}

#[tokio::test]
async fn openid_client_refuses_a_callback_from_another_issuer() {
    // The harness passes the library's refusals on: a mix-up attack's callback (RFC
    // 9207: another `iss`) and a forged `state` are refused, not redeemed.
    let mut s = setup().await;
    let c = client(&s.p, &s.issuer, "client_secret_basic", "RS256").await;
    let issuer = url::form_urlencoded::byte_serialize(s.p.issuer.as_bytes()).collect::<String>();
    let e = node_rp_with(&s.p, &mut s.wallet, &c, "code", |url| {
        assert!(url.contains(&format!("iss={issuer}")), "{url}");
        url.replace(
            &format!("iss={issuer}"),
            "iss=https%3A%2F%2Fattacker.example",
        )
    })
    .await
    .unwrap_err();
    assert!(e.contains("iss"), "{e}");
    let e = node_rp_with(&s.p, &mut s.wallet, &c, "code", |url| {
        let (head, tail) = url.split_once("state=").unwrap();
        format!(
            "{head}state=forged{}",
            &tail[tail.find('&').unwrap_or(tail.len())..]
        )
    })
    .await
    .unwrap_err();
    assert!(e.contains("state"), "{e}");
}

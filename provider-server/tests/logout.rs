//! RP-Initiated Logout 1.0 over real HTTP (`provider_server::oidc::logout`), with the
//! `openidconnect` crate building the logout request from the discovery document,
//! and every rule that keeps the endpoint from becoming an open redirector. Node's
//! `openid-client` (`oidc_node_rp.rs`) and oidc-client-ts in Chromium
//! (`spa_browser.rs`) log out too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutRequest, Nonce,
    PkceCodeChallenge, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl,
    TokenResponse as _,
};
use provider_server::clients::{self, CreatedClient, NewClient};
use reqwest::Response;
use serde_json::{Map, Value, json};
use support::{Provider, REDIRECT, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
/// Registered for the test client; its query must survive the added `state`.
const LOGGED_OUT: &str = "http://rp.example/logged-out?from=op";

async fn client_with_logout(p: &Provider) -> CreatedClient {
    clients::create(
        &p.state.db,
        NewClient {
            name: Some("Logout RP".into()),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![LOGGED_OUT.into()],
            ..NewClient::default()
        },
    )
    .await
    .unwrap()
}

/// The id_token of a code flow for `client` (verified by the helper).
async fn login(p: &Provider, client: &CreatedClient) -> String {
    let authorize = p.authorize_url(
        &client.config.client_id,
        REDIRECT,
        "&response_type=code&nonce=n1",
    );
    let login = p.begin(&authorize).await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let tokens = p.redeem(client, &code, REDIRECT).await;
    tokens["id_token"].as_str().unwrap().to_owned()
}

async fn get(p: &Provider, query: &[(&str, &str)]) -> Response {
    p.http
        .get(p.url("/logout"))
        .query(query)
        .send()
        .await
        .unwrap()
}

fn location(response: &Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// A refusal: 400, an HTML page naming `why`, and no redirect.
async fn assert_refused(response: Response, why: &str) {
    assert_eq!(response.status(), 400);
    assert_eq!(location(&response), None);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let page = response.text().await.unwrap();
    assert!(
        page.contains("This logout request cannot be processed"),
        "{page}"
    );
    assert!(page.contains(why), "{why:?} not in {page}");
}

#[tokio::test]
async fn the_openidconnect_crate_logs_out_and_comes_back() {
    let p = Provider::start().await;
    let created = client_with_logout(&p).await;
    let metadata = ProviderMetadataWithLogout::discover_async(
        IssuerUrl::new(p.issuer.clone()).unwrap(),
        &p.http,
    )
    .await
    .unwrap();
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint announced");
    assert_eq!(end_session.url().as_str(), p.url("/logout"));
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(created.config.client_id.clone()),
        Some(ClientSecret::new(created.client_secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let login = p.begin(url.as_str()).await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&p.http)
        .await
        .unwrap();
    let id_token: &CoreIdToken = tokens.id_token().unwrap();
    id_token.claims(&rp.id_token_verifier(), &nonce).unwrap();

    let state = CsrfToken::new_random();
    let logout = LogoutRequest::from(end_session)
        .set_id_token_hint(id_token)
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(LOGGED_OUT.into()).unwrap())
        .set_state(state.clone())
        .http_get_url();
    let response = p.http.get(logout).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let back = location(&response).unwrap();
    assert!(back.starts_with("http://rp.example/logged-out?"), "{back}");
    let params = params_of(&back, false);
    assert_eq!(params["from"], "op");
    assert_eq!(params["state"], *state.secret());
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn logout_by_post_and_by_client_id_alone() {
    let p = Provider::start().await;
    let client = client_with_logout(&p).await;
    let hint = login(&p, &client).await;
    let response = p
        .http
        .post(p.url("/logout"))
        .form(&[
            ("id_token_hint", hint.as_str()),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "s 2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        params_of(&location(&response).unwrap(), false)["state"],
        "s 2"
    );

    // §2: client_id names the client when the RP kept no id_token.
    let response = get(
        &p,
        &[
            ("client_id", &client.config.client_id),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let back = location(&response).unwrap();
    assert_eq!(back, LOGGED_OUT, "no state given, none added");
}

#[tokio::test]
async fn without_a_redirect_the_user_sees_a_page() {
    let p = Provider::start().await;
    let client = client_with_logout(&p).await;
    let response = get(&p, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let page = response.text().await.unwrap();
    assert!(page.contains("You are logged out</h1>"), "{page}");

    let hint = login(&p, &client).await;
    let response = get(&p, &[("id_token_hint", &hint), ("state", "x")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(location(&response), None);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("You are logged out of Logout RP</h1>"),
        "{page}"
    );
}

#[tokio::test]
async fn an_expired_id_token_is_still_a_hint() {
    let p = Provider::start().await;
    let client = client_with_logout(&p).await;
    let mut claims = Map::new();
    for (name, value) in [
        ("iss", json!(p.issuer)),
        ("sub", json!("someone")),
        ("aud", json!(client.config.client_id)),
        ("iat", json!(1_000_000_000)),
        ("exp", json!(1_000_000_600)),
    ] {
        claims.insert(name.into(), value);
    }
    let key = p
        .state
        .keys
        .get()
        .unwrap()
        .current(wallet_core::jws::Algorithm::RS256)
        .unwrap();
    let expired = key.sign_jwt(&claims).unwrap();
    let response = get(
        &p,
        &[
            ("id_token_hint", &expired),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn never_an_open_redirect() {
    let p = Provider::start().await;
    let client = client_with_logout(&p).await;
    let other = client_with_logout(&p).await;
    let hint = login(&p, &client).await;

    // Not registered, or registered for the login's redirect only.
    for uri in [
        "https://attacker.example/",
        REDIRECT,
        "http://rp.example/logged-out",
        "http://rp.example/logged-out?from=op&x=1",
    ] {
        let response = get(
            &p,
            &[("id_token_hint", &hint), ("post_logout_redirect_uri", uri)],
        )
        .await;
        assert_refused(response, "not registered for this client").await;
    }
    // No client named at all.
    let response = get(&p, &[("post_logout_redirect_uri", LOGGED_OUT)]).await;
    assert_refused(response, "needs an id_token_hint or a client_id").await;
    // client_id of another client than the hint's.
    let response = get(
        &p,
        &[
            ("id_token_hint", &hint),
            ("client_id", &other.config.client_id),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_refused(response, "not the client the id_token_hint was issued to").await;
    let response = get(
        &p,
        &[
            ("client_id", "no-such-client"),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_refused(response, "unknown client_id").await;

    // A hint whose signature does not verify, that is no JWS, or that another
    // provider signed.
    let mut parts: Vec<String> = hint.split('.').map(str::to_owned).collect();
    let payload: Value =
        serde_json::from_slice(&wallet_core::encoding::b64u_decode(&parts[1]).unwrap()).unwrap();
    let mut forged = payload.as_object().unwrap().clone();
    forged.insert("aud".into(), json!(other.config.client_id));
    parts[1] = wallet_core::encoding::b64u_encode(Value::Object(forged).to_string());
    let tampered = parts.join(".");
    for (bad, why) in [
        (tampered.as_str(), "signature does not verify"),
        ("not-a-jwt", "not a JWS"),
    ] {
        let response = get(
            &p,
            &[
                ("id_token_hint", bad),
                ("post_logout_redirect_uri", LOGGED_OUT),
            ],
        )
        .await;
        assert_refused(response, why).await;
    }
    let elsewhere = Provider::start().await;
    let foreign_client = client_with_logout(&elsewhere).await;
    let foreign = login(&elsewhere, &foreign_client).await;
    let response = get(
        &p,
        &[
            ("id_token_hint", &foreign),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_refused(response, "not signed by a key of this provider").await;

    // RFC 6749 §3.1 holds here too: a parameter given twice.
    let response = p
        .http
        .get(format!(
            "{}?state=a&state=b&post_logout_redirect_uri={}",
            p.url("/logout"),
            url::form_urlencoded::byte_serialize(LOGGED_OUT.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    assert_refused(response, "parameter state repeated").await;
}

#[tokio::test]
async fn post_logout_redirect_uris_are_registered_like_redirect_uris() {
    let p = Provider::start_with(|c| c.registration_token = Some("iat-secret".into())).await;
    let register = |body: Value| {
        p.http
            .post(p.url("/register"))
            .bearer_auth("iat-secret")
            .json(&body)
            .send()
    };
    let response = register(json!({
        "client_name": "Registered RP",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGGED_OUT],
    }))
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["post_logout_redirect_uris"], json!([LOGGED_OUT]));
    let response = get(
        &p,
        &[
            ("client_id", body["client_id"].as_str().unwrap()),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);

    for bad in [
        "http://rp.example/out#frag",
        "relative/path",
        "javascript:alert(1)",
    ] {
        let response = register(json!({
            "client_name": "Registered RP",
            "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": [bad],
        }))
        .await
        .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{bad}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("post_logout_redirect_uris"),
            "{body}"
        );
    }
}

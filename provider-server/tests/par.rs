//! Pushed authorization requests (RFC 9126) over real HTTP: the push, the
//! authorization request that uses it once, and every refusal. Node's `openid-client`
//! pushes too (`oidc_node_rp.rs`, `buildAuthorizationUrlWithPAR`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use provider_server::clients::{self, CreatedClient, NewClient};
use provider_server::oidc::par::{PUSHED_REQUEST_LIFETIME_SECS, REQUEST_URI_PREFIX};
use reqwest::Response;
use serde_json::Value;
use support::{Provider, REDIRECT, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An authorization request's parameters for `client_id`, PKCE included.
fn request(client_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", client_id.to_owned()),
        ("response_type", "code".into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid email".into()),
        ("state", "pushed-state".into()),
        ("nonce", "pushed-nonce".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// Pushes `form` as `client` (HTTP Basic for a confidential client, `client_id` in the
/// form for a public one).
async fn push(p: &Provider, client: &CreatedClient, form: &[(&str, String)]) -> Response {
    let mut request = p.http.post(p.url("/par")).form(form);
    if let Some(secret) = &client.client_secret {
        request = request.basic_auth(&client.config.client_id, Some(secret));
    }
    request.send().await.unwrap()
}

/// A successful push: the `request_uri`.
async fn pushed(p: &Provider, client: &CreatedClient) -> String {
    let response = push(p, client, &request(&client.config.client_id)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], PUSHED_REQUEST_LIFETIME_SECS);
    let uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(uri.starts_with(REQUEST_URI_PREFIX), "{uri}");
    uri
}

fn authorize_with(p: &Provider, client_id: &str, request_uri: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "{}/authorize?client_id={}&request_uri={}",
        p.base,
        enc(client_id),
        enc(request_uri)
    )
}

/// A refusal at `/authorize` after a push: an error page, no redirect.
async fn assert_error_page(p: &Provider, url: &str, why: &str) {
    let response = p.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 400, "{url}");
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains(why), "{why:?} not in {page}");
}

async fn error_of(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn a_pushed_request_logs_in_once() {
    let p = Provider::start().await;
    let doc = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(doc["pushed_authorization_request_endpoint"], p.url("/par"));
    assert_eq!(doc["require_pushed_authorization_requests"], false);

    let client = p.client("client_secret_basic", "RS256").await;
    let request_uri = pushed(&p, &client).await;
    let url = authorize_with(&p, &client.config.client_id, &request_uri);
    let login = p.begin(&url).await;
    let redirect = p.finish(&login, HOLDER).await;
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    let params = params_of(&redirect, false);
    // What was pushed, not what the URL said: state, and the PKCE challenge.
    assert_eq!(params["state"], "pushed-state");
    assert_eq!(params["iss"], p.issuer);
    let response = p
        .redeem_request(
            &client,
            &params["code"],
            REDIRECT,
            &[("code_verifier", VERIFIER)],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let claims = p
        .id_token_claims(tokens["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["nonce"], "pushed-nonce");

    // Used once: the same request_uri again is refused.
    assert_error_page(&p, &url, "request_uri is unknown, expired, already used").await;
}

#[tokio::test]
async fn only_the_pushing_client_uses_it_and_only_in_time() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let other = p.client("client_secret_basic", "RS256").await;
    let request_uri = pushed(&p, &client).await;
    // Another client's attempt fails and leaves the request to its client.
    assert_error_page(
        &p,
        &authorize_with(&p, &other.config.client_id, &request_uri),
        "pushed by another client",
    )
    .await;
    let response = p
        .http
        .get(format!(
            "{}/authorize?request_uri={}",
            p.base,
            url::form_urlencoded::byte_serialize(request_uri.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "request_uri without client_id");
    p.begin(&authorize_with(&p, &client.config.client_id, &request_uri))
        .await;

    // Expired: the row is still there, past its time.
    let late = pushed(&p, &client).await;
    provider_server::db::query("UPDATE pushed_requests SET expires_at = 0")
        .execute(&p.state.db)
        .await
        .unwrap();
    assert_error_page(
        &p,
        &authorize_with(&p, &client.config.client_id, &late),
        "expired",
    )
    .await;
    // And the cleanup deletes it.
    let purged = provider_server::cleanup::purge_expired(&p.state)
        .await
        .unwrap();
    assert_eq!(purged.pushed_requests, 1);
    // A request_uri this provider did not issue, and one with our prefix but no row.
    assert_error_page(
        &p,
        &authorize_with(
            &p,
            &client.config.client_id,
            &format!("{REQUEST_URI_PREFIX}made-up"),
        ),
        "unknown",
    )
    .await;
}

#[tokio::test]
async fn parallel_uses_of_one_request_uri_start_one_login() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let request_uri = pushed(&p, &client).await;
    let url = authorize_with(&p, &client.config.client_id, &request_uri);
    let attempts = (0..8).map(|_| {
        let http = p.http.clone();
        let url = url.clone();
        tokio::spawn(async move { http.get(&url).send().await.unwrap().status().as_u16() })
    });
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 400, 400, 400, 400, 400, 400, 400]);
}

#[tokio::test]
async fn pushes_are_checked_as_authorization_requests_and_answered_in_json() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let id = client.config.client_id.clone();
    let public = p.client("none", "RS256").await;

    // Client authentication as at the token endpoint.
    let response = p
        .http
        .post(p.url("/par"))
        .form(&request(&id))
        .send()
        .await
        .unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    let response = p
        .http
        .post(p.url("/par"))
        .basic_auth(&id, Some("wrong"))
        .form(&request(&id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let with = |name: &'static str, value: &str| {
        let mut form: Vec<(&str, String)> = request(&id)
            .into_iter()
            .filter(|(n, _)| *n != name)
            .collect();
        if !value.is_empty() {
            form.push((name, value.to_owned()));
        }
        form
    };
    for (form, expected, why) in [
        (
            with("redirect_uri", "https://attacker.example/cb"),
            "invalid_request",
            "redirect_uri is not registered",
        ),
        (
            with("response_type", "token"),
            "unsupported_response_type",
            "",
        ),
        (with("scope", "email"), "invalid_scope", ""),
        (
            with("code_challenge_method", "plain"),
            "invalid_request",
            "S256",
        ),
        (with("request", "eyJ"), "request_not_supported", ""),
        (
            with("request_uri", "urn:ietf:params:oauth:request_uri:x"),
            "invalid_request",
            "must not be pushed",
        ),
        (
            with("client_id", "someone-else"),
            "invalid_request",
            "client_id does not match",
        ),
    ] {
        let (status, error, description) = error_of(push(&p, &client, &form).await).await;
        assert_eq!((status, error.as_str()), (400, expected), "{form:?}");
        assert!(description.contains(why), "{description}");
    }
    // A public client pushes with client_id alone; PKCE stays required for it.
    let public_id = public.config.client_id.clone();
    let response = push(&p, &public, &request(&public_id)).await;
    assert_eq!(response.status(), 201);
    let without_pkce: Vec<_> = request(&public_id)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("code_challenge"))
        .collect();
    let (status, error, description) = error_of(push(&p, &public, &without_pkce).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    assert!(description.contains("PKCE"), "{description}");
    // A confidential client authenticated with Basic may leave client_id out.
    let without_id: Vec<_> = request(&id)
        .into_iter()
        .filter(|(n, _)| *n != "client_id")
        .collect();
    assert_eq!(push(&p, &client, &without_id).await.status(), 201);
    // Nothing was stored for the refusals: the two successes only.
    let (count,): (i64,) = provider_server::db::query_as("SELECT COUNT(*) FROM pushed_requests")
        .fetch_one(&p.state.db)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn a_client_can_require_pushed_requests() {
    let p = Provider::start().await;
    let client = clients::create(
        &p.state.db,
        NewClient {
            name: Some("PAR only".into()),
            redirect_uris: vec![REDIRECT.into()],
            require_pushed_authorization_requests: Some(true),
            ..NewClient::default()
        },
    )
    .await
    .unwrap();
    assert!(client.config.require_pushed_authorization_requests);
    let direct = p.authorize_url(
        &client.config.client_id,
        REDIRECT,
        &format!("&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256"),
    );
    let response = p.http.get(&direct).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    let params = params_of(location, false);
    assert_eq!(params["error"], "invalid_request", "{location}");
    assert!(params["error_description"].contains("PAR"), "{location}");
    let request_uri = pushed(&p, &client).await;
    p.begin(&authorize_with(&p, &client.config.client_id, &request_uri))
        .await;
}

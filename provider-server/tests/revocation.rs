//! Token revocation (RFC 7009) over real HTTP. An outside client revokes too: Node's
//! `openid-client` in `oidc_node_rp.rs` (the `openidconnect` crate's revocation request
//! refuses any URL but `https`, which the test provider on 127.0.0.1 does not serve).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use provider_server::clients::CreatedClient;
use serde_json::Value;
use support::{Provider, REDIRECT, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

/// A code flow with `offline_access` for `client`: (access token, refresh token).
async fn tokens(p: &Provider, client: &CreatedClient) -> (String, String) {
    let login = p
        .begin(&p.authorize_url_with_scope(
            &client.config.client_id,
            REDIRECT,
            "openid email offline_access",
            "&response_type=code",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let (status, body) = post(
        p,
        "/token",
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// A form POST with `client_secret_basic`: status and JSON body (`Null` when empty).
async fn post(
    p: &Provider,
    path: &str,
    client: &CreatedClient,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = p
        .http
        .post(p.url(path))
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

async fn userinfo(p: &Provider, token: &str) -> u16 {
    p.http
        .get(p.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn refresh(p: &Provider, client: &CreatedClient, token: &str) -> (u16, Value) {
    post(
        p,
        "/token",
        client,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

async fn revoked_flag(p: &Provider, access: &str) -> i64 {
    let (revoked,): (i64,) =
        provider_server::db::query_as("SELECT revoked FROM access_tokens WHERE token_hash = $1")
            .bind(provider_server::web::handle_hash(access))
            .fetch_one(&p.state.db)
            .await
            .unwrap();
    revoked
}

#[tokio::test]
async fn revoking_access_and_refresh_tokens() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let doc = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(doc["revocation_endpoint"], format!("{}/revoke", p.issuer));
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        doc["token_endpoint_auth_methods_supported"]
    );
    let revoke = |token: String, hint: &'static str| {
        let (p, client) = (&p, &client);
        async move {
            let (status, body) = post(
                p,
                "/revoke",
                client,
                &[("token", &token), ("token_type_hint", hint)],
            )
            .await;
            assert_eq!((status, &body), (200, &Value::Null), "{token}");
        }
    };

    let (access, refresh_token) = tokens(&p, &client).await;
    assert_eq!(userinfo(&p, &access).await, 200);
    // An access token: that token ends, the grant's refresh token goes on.
    revoke(access.clone(), "access_token").await;
    assert_eq!(userinfo(&p, &access).await, 401);
    let (status, refreshed) = refresh(&p, &client, &refresh_token).await;
    assert_eq!(status, 200, "{refreshed}");
    let access2 = refreshed["access_token"].as_str().unwrap();
    let refresh2 = refreshed["refresh_token"].as_str().unwrap();
    assert_eq!(userinfo(&p, access2).await, 200);
    // A refresh token: the whole family ends, with the access tokens made from it.
    revoke(refresh2.to_owned(), "refresh_token").await;
    assert_eq!(userinfo(&p, access2).await, 401);
    let (status, body) = refresh(&p, &client, refresh2).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Revoking again, or a token nobody issued, is answered like a revocation.
    revoke(refresh2.to_owned(), "refresh_token").await;
    revoke("never-issued".to_owned(), "access_token").await;
}

/// A refresh token of a family that already rotated still ends the family; a wrong
/// hint only changes where the server looks first; an unknown hint is ignored.
#[tokio::test]
async fn hints_and_spent_refresh_tokens() {
    let p = Provider::start().await;
    let client = p.client("client_secret_post", "EdDSA").await;
    let secret = client.client_secret.clone().unwrap();
    let id = client.config.client_id.clone();
    let revoke = |token: String, hint: &'static str| {
        let (p, id, secret) = (&p, id.clone(), secret.clone());
        async move {
            let mut form = vec![
                ("token", token),
                ("client_id", id),
                ("client_secret", secret),
            ];
            if !hint.is_empty() {
                form.push(("token_type_hint", hint.to_owned()));
            }
            let r = p
                .http
                .post(p.url("/revoke"))
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let login = p
        .begin(&p.authorize_url_with_scope(
            &id,
            REDIRECT,
            "openid offline_access",
            "&response_type=code",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let r = p
        .http
        .post(p.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let first: Value = r.json().await.unwrap();
    let old_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let r = p
        .http
        .post(p.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh.as_str()),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let second: Value = r.json().await.unwrap();
    let access = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&p, &access).await, 200);
    // The wrong hint for an access token: found anyway.
    assert_eq!(
        revoke(access.clone(), "refresh_token").await,
        (200, String::new())
    );
    assert_eq!(revoked_flag(&p, &access).await, 1);
    // The spent refresh token, under a hint no RFC defines: the family ends.
    let live_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(revoke(old_refresh, "id_token").await.0, 200);
    let r = p
        .http
        .post(p.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", live_refresh.as_str()),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn another_clients_token_and_bad_requests_are_refused() {
    let p = Provider::start().await;
    let owner = p.client("client_secret_basic", "RS256").await;
    let other = p.client("client_secret_basic", "RS256").await;
    let (access, refresh_token) = tokens(&p, &owner).await;
    // RFC 7009 §2.1: the token must have been issued to the client asking.
    for token in [&access, &refresh_token] {
        let (status, body) = post(&p, "/revoke", &other, &[("token", token)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    assert_eq!(revoked_flag(&p, &access).await, 0);
    assert_eq!(userinfo(&p, &access).await, 200);
    assert_eq!(refresh(&p, &owner, &refresh_token).await.0, 200);

    let (status, body) = post(
        &p,
        "/revoke",
        &owner,
        &[("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // Client authentication as at the token endpoint.
    let r = p
        .http
        .post(p.url("/revoke"))
        .basic_auth(&owner.config.client_id, Some("wrong"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let r = p
        .http
        .post(p.url("/revoke"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no client authentication");
    let r = p
        .http
        .post(p.url("/revoke"))
        .basic_auth(&owner.config.client_id, owner.client_secret.as_deref())
        .json(&serde_json::json!({"token": access}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "JSON instead of a form");
    let r = p.http.get(p.url("/revoke")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    // None of that revoked anything.
    assert_eq!(userinfo(&p, &access).await, 200);
}

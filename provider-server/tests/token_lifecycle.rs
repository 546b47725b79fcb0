//! What happens to tokens after they are issued, over real HTTP: revocation (RFC 7009)
//! and introspection (RFC 7662). An outside client does both too: Node's
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
    tokens_as(p, Auth::Basic(client), client).await
}

/// The same, with the code redeemed as `auth` says.
async fn tokens_as(p: &Provider, auth: Auth<'_>, client: &CreatedClient) -> (String, String) {
    let login = p
        .begin(&p.authorize_url_with_scope(
            &client.config.client_id,
            REDIRECT,
            "openid email offline_access",
            "&response_type=code",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let (status, body) = post_as(
        p,
        "/token",
        auth,
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

/// How a request authenticates its client.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// `client_secret_basic`.
    Basic(&'a CreatedClient),
    /// `client_secret_post`.
    Post(&'a CreatedClient),
    /// Basic with a wrong secret.
    WrongSecret(&'a CreatedClient),
    /// None at all.
    Nothing,
}

/// A form POST: status and JSON body (`Null` when empty); every answer, errors
/// included, must say `no-store`.
async fn post_as(p: &Provider, path: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> (u16, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = p.http.post(p.url(path));
    match auth {
        Auth::Basic(c) => {
            request = request.basic_auth(&c.config.client_id, c.client_secret.as_deref());
        }
        Auth::Post(c) => {
            form.push(("client_id", &c.config.client_id));
            form.push(("client_secret", c.client_secret.as_deref().unwrap()));
        }
        Auth::WrongSecret(c) => request = request.basic_auth(&c.config.client_id, Some("wrong")),
        Auth::Nothing => {}
    }
    let response = request.form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    if status == 401 {
        assert!(response.headers().contains_key("www-authenticate"));
    }
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

async fn post(
    p: &Provider,
    path: &str,
    client: &CreatedClient,
    form: &[(&str, &str)],
) -> (u16, Value) {
    post_as(p, path, Auth::Basic(client), form).await
}

/// A revocation that must succeed: 200 with an empty body.
async fn revoke_as(p: &Provider, auth: Auth<'_>, token: &str, hint: &str) {
    let form = [("token", token), ("token_type_hint", hint)];
    let answer = post_as(p, "/revoke", auth, &form).await;
    assert_eq!(answer, (200, Value::Null), "{token} ({hint})");
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
    let as_client = Auth::Basic(&client);
    let (access, refresh_token) = tokens(&p, &client).await;
    assert_eq!(userinfo(&p, &access).await, 200);
    // An access token: that token ends, the grant's refresh token goes on.
    revoke_as(&p, as_client, &access, "access_token").await;
    assert_eq!(userinfo(&p, &access).await, 401);
    let (status, refreshed) = refresh(&p, &client, &refresh_token).await;
    assert_eq!(status, 200, "{refreshed}");
    let access2 = refreshed["access_token"].as_str().unwrap();
    let refresh2 = refreshed["refresh_token"].as_str().unwrap();
    assert_eq!(userinfo(&p, access2).await, 200);
    // A refresh token: the whole family ends, with the access tokens made from it.
    revoke_as(&p, as_client, refresh2, "refresh_token").await;
    assert_eq!(userinfo(&p, access2).await, 401);
    let (status, body) = refresh(&p, &client, refresh2).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Revoking again, or a token nobody issued, is answered like a revocation.
    revoke_as(&p, as_client, refresh2, "refresh_token").await;
    revoke_as(&p, as_client, "never-issued", "access_token").await;
}

/// A refresh token of a family that already rotated still ends the family; a wrong
/// hint only changes where the server looks first; an unknown hint is ignored.
/// (`client_secret_post` throughout.)
#[tokio::test]
async fn hints_and_spent_refresh_tokens() {
    let p = Provider::start().await;
    let client = p.client("client_secret_post", "EdDSA").await;
    let as_client = Auth::Post(&client);
    let (_, first_refresh) = tokens_as(&p, as_client, &client).await;
    let old_refresh = first_refresh.as_str();
    let refresh = |token: String| {
        let p = &p;
        async move {
            post_as(
                p,
                "/token",
                as_client,
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            )
            .await
        }
    };
    let (_, second) = refresh(old_refresh.to_owned()).await;
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&p, access).await, 200);
    // The wrong hint for an access token: found anyway.
    revoke_as(&p, as_client, access, "refresh_token").await;
    assert_eq!(revoked_flag(&p, access).await, 1);
    // The spent refresh token, under a hint no RFC defines: the family ends.
    revoke_as(&p, as_client, old_refresh, "id_token").await;
    let live_refresh = second["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(live_refresh.to_owned()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
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

    for form in [
        &[("token_type_hint", "access_token")][..],
        &[("token", ""), ("token_type_hint", "access_token")][..],
    ] {
        let (status, body) = post(&p, "/revoke", &owner, form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
    }
    // Client authentication as at the token endpoint.
    let (status, body) = post_as(
        &p,
        "/revoke",
        Auth::WrongSecret(&owner),
        &[("token", &access)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = post_as(&p, "/revoke", Auth::Nothing, &[("token", &access)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
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

/// RFC 7662 answers for `token`, asked as `auth`.
async fn introspect(p: &Provider, auth: Auth<'_>, token: &str, hint: &str) -> Value {
    let form = [("token", token), ("token_type_hint", hint)];
    let (status, body) = post_as(p, "/introspect", auth, &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn introspection_reports_live_tokens_to_their_client_only() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let other = p.client("client_secret_post", "RS256").await;
    let doc = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        doc["introspection_endpoint"],
        format!("{}/introspect", p.issuer)
    );
    let me = Auth::Basic(&client);
    let (access, refresh_token) = tokens(&p, &client).await;
    let id = client.config.client_id.as_str();

    let a = introspect(&p, me, &access, "").await;
    assert_eq!(a["active"], true, "{a}");
    assert_eq!(a["token_type"], "Bearer");
    assert_eq!(
        (a["client_id"].as_str(), a["aud"].as_str()),
        (Some(id), Some(id))
    );
    assert_eq!(a["iss"], p.issuer);
    assert_eq!(a["scope"], "openid email offline_access");
    assert!(a["exp"].as_i64().unwrap() > 0);
    // The End-User is the one userinfo names.
    let info: Value = p
        .http
        .get(p.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["sub"], info["sub"]);
    let r = introspect(&p, me, &refresh_token, "refresh_token").await;
    assert_eq!(r["active"], true, "{r}");
    assert_eq!(r["sub"], info["sub"]);
    assert!(r.get("token_type").is_none(), "{r}");

    // Another client learns nothing; nor does anyone about tokens that never were.
    for token in [access.as_str(), refresh_token.as_str()] {
        let seen = introspect(&p, Auth::Post(&other), token, "").await;
        assert_eq!(seen, serde_json::json!({"active": false}));
    }
    assert_eq!(
        introspect(&p, me, "never-issued", "access_token").await,
        serde_json::json!({"active": false})
    );
    // Rotation spends the old refresh token; revocation ends the access token.
    let (status, refreshed) = refresh(&p, &client, &refresh_token).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        introspect(&p, me, &refresh_token, "").await["active"],
        false
    );
    let new_refresh = refreshed["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&p, me, new_refresh, "").await["active"], true);
    revoke_as(&p, me, &access, "access_token").await;
    assert_eq!(introspect(&p, me, &access, "").await["active"], false);
    // client_credentials: live, with no End-User.
    let (_, cc) = post(
        &p,
        "/token",
        &client,
        &[("grant_type", "client_credentials")],
    )
    .await;
    let c = introspect(&p, me, cc["access_token"].as_str().unwrap(), "").await;
    assert_eq!(c["active"], true, "{c}");
    assert!(c.get("sub").is_none(), "{c}");
}

#[tokio::test]
async fn introspection_needs_an_authenticated_confidential_client() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let public = p.client("none", "RS256").await;
    let (access, _) = tokens(&p, &client).await;
    let (status, body) = post_as(
        &p,
        "/introspect",
        Auth::Nothing,
        &[("token", &access), ("client_id", &public.config.client_id)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    for auth in [Auth::Nothing, Auth::WrongSecret(&client)] {
        let (status, body) = post_as(&p, "/introspect", auth, &[("token", &access)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }
    for form in [&[][..], &[("token", "")][..]] {
        let (status, body) = post(&p, "/introspect", &client, form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
    }
}

/// `/introspect` asked for a signed answer (RFC 9701): its `alg` and verified claims.
async fn introspect_jwt(
    p: &Provider,
    client: &CreatedClient,
    token: &str,
    accept: &str,
) -> (String, Value) {
    let response = p
        .http
        .post(p.url("/introspect"))
        .header("accept", accept)
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.headers()["content-type"],
        "application/token-introspection+jwt"
    );
    let jwt = response.text().await.unwrap();
    let header = wallet_core::jws::peek_header(&jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("token-introspection+jwt"));
    (
        header.alg.as_str().to_owned(),
        Value::Object(p.id_token_claims(&jwt).await),
    )
}

#[tokio::test]
async fn introspection_answers_signed_when_asked() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let es256 = provider_server::clients::create(
        &p.state.db,
        provider_server::clients::NewClient {
            name: Some("ES256 introspection".into()),
            redirect_uris: vec![REDIRECT.into()],
            introspection_signed_response_alg: Some("ES256".into()),
            ..provider_server::clients::NewClient::default()
        },
    )
    .await
    .unwrap();
    // Only the provider's signing algorithms; never `none` or a shared secret.
    for bad in ["none", "HS256", "RS512"] {
        let refused = provider_server::clients::create(
            &p.state.db,
            provider_server::clients::NewClient {
                name: Some("bad alg".into()),
                redirect_uris: vec![REDIRECT.into()],
                introspection_signed_response_alg: Some(bad.into()),
                ..provider_server::clients::NewClient::default()
            },
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(provider_server::clients::ClientError::Metadata(_))
            ),
            "{bad}"
        );
    }
    let doc = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        doc["introspection_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );

    let (access, _) = tokens(&p, &client).await;
    let before = provider_server::web::now();
    let (alg, claims) = introspect_jwt(
        &p,
        &client,
        &access,
        "application/json;q=0.5, application/token-introspection+jwt",
    )
    .await;
    assert_eq!(alg, "RS256", "the default (RFC 9701 §6)");
    assert_eq!(claims["iss"], p.issuer.as_str());
    assert_eq!(claims["aud"], client.config.client_id.as_str());
    assert!(claims["iat"].as_i64().unwrap() >= before);
    assert!(claims["jti"].is_string());
    // The answer is inside; nothing of it at the top, where it could pass for an
    // access token's claims.
    let answer = &claims["token_introspection"];
    assert_eq!(answer["active"], true, "{claims}");
    assert_eq!(answer["client_id"], client.config.client_id.as_str());
    assert!(answer["sub"].is_string(), "{claims}");
    assert!(
        claims.get("sub").is_none() && claims.get("exp").is_none(),
        "{claims}"
    );

    // Inactive answers are signed too; another client's token is inactive for it,
    // and the client's registered algorithm signs.
    let (alg, claims) =
        introspect_jwt(&p, &es256, &access, "application/token-introspection+jwt").await;
    assert_eq!(alg, "ES256");
    assert_eq!(
        claims["token_introspection"],
        serde_json::json!({"active": false})
    );
    assert_eq!(claims["aud"], es256.config.client_id.as_str());

    // Refused with q=0, or not asked for: plain JSON.
    for accept in [
        "application/token-introspection+jwt;q=0",
        "application/json",
        "*/*",
    ] {
        let response = p
            .http
            .post(p.url("/introspect"))
            .header("accept", accept)
            .basic_auth(&client.config.client_id, client.client_secret.as_deref())
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap();
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{accept}"
        );
    }
}

//! The authentication-request parameters that depend on a provider session (OIDC Core
//! §3.1.2.1): `max_age` and `auth_time`, `prompt`, and `id_token_hint`. The provider
//! keeps no session — every request is a fresh wallet login — so `max_age` and
//! `prompt=login` are satisfied by construction, `prompt=none` is `login_required`,
//! and an `id_token_hint` restricts who may complete the login.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, RedirectUrl,
    TokenResponse as _,
};
use provider_server::clients::CreatedClient;
use serde_json::{Map, Value, json};
use support::{Provider, REDIRECT, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const OTHER_HOLDER: &str = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG";

fn now() -> i64 {
    provider_server::web::now()
}

/// An authorization request that must come back to the client as an error.
async fn error_redirect(p: &Provider, url: &str) -> BTreeMap<String, String> {
    let response = p.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303, "{url}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    let params = params_of(&location, false);
    assert_eq!(params["iss"], p.issuer);
    assert_eq!(params["state"], "s1");
    assert!(!params.contains_key("code"));
    params
}

/// A whole code login of `holder` at `client` with `extra` authorization parameters;
/// returns the token response.
async fn code_login(p: &Provider, client: &CreatedClient, holder: &str, extra: &str) -> Value {
    let login = p
        .begin(&p.authorize_url(
            &client.config.client_id,
            REDIRECT,
            &format!("&response_type=code&nonce=n1{extra}"),
        ))
        .await;
    let redirect_to = p.finish(&login, holder).await;
    let code = params_of(&redirect_to, false)["code"].clone();
    p.redeem(client, &code, REDIRECT).await
}

#[tokio::test]
async fn max_age_must_be_a_non_negative_integer() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let id = &client.config.client_id;
    for bad in ["-1", "%2B5", "1.5", "abc", "1e3", "%205", "0x10"] {
        let url = p.authorize_url(id, REDIRECT, &format!("&response_type=code&max_age={bad}"));
        let params = error_redirect(&p, &url).await;
        assert_eq!(params["error"], "invalid_request", "max_age={bad}");
        assert!(
            params["error_description"].contains("max_age"),
            "{params:?}"
        );
    }
    for good in ["0", "60", "99999999999999999999999999"] {
        let url = p.authorize_url(id, REDIRECT, &format!("&response_type=code&max_age={good}"));
        p.begin(&url).await;
    }
}

#[tokio::test]
async fn auth_time_is_in_every_id_token_of_a_login() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(p.issuer.clone()).unwrap(), &p.http)
            .await
            .unwrap();
    let rp = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(client.config.client_id.clone()),
        Some(ClientSecret::new(client.client_secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    // max_age=0 and prompt=login, as an RP that insists on a fresh login sends them.
    let (url, _, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_max_age(Duration::from_secs(0))
        .add_prompt(CoreAuthPrompt::Login)
        .url();
    assert!(url.as_str().contains("max_age=0"));
    let before = now();
    let login = p.begin(url.as_str()).await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let after = now();
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&p.http)
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&rp.id_token_verifier(), &nonce)
        .unwrap();
    let auth_time = claims.auth_time().unwrap().timestamp();
    assert!(
        (before..=after).contains(&auth_time),
        "{auth_time} not in {before}..={after}"
    );

    // Without max_age the id_token carries auth_time too, and a refreshed id_token
    // keeps the time of the original authentication (OIDC Core §12.2).
    let login = p
        .begin(&p.authorize_url_with_scope(
            &client.config.client_id,
            REDIRECT,
            "openid offline_access",
            "&response_type=code&nonce=n1",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let first = p.redeem(&client, &code, REDIRECT).await;
    let first_claims = p.id_token_claims(first["id_token"].as_str().unwrap()).await;
    let auth_time = first_claims["auth_time"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refreshed: Value = p
        .http
        .post(p.url("/token"))
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refreshed_claims = p
        .id_token_claims(refreshed["id_token"].as_str().unwrap())
        .await;
    assert_eq!(refreshed_claims["auth_time"].as_i64(), Some(auth_time));
    assert!(refreshed_claims["iat"].as_i64().unwrap() > auth_time);

    // Implicit: auth_time in the id_token of the fragment response.
    let login = p
        .begin(&p.authorize_url(
            &client.config.client_id,
            REDIRECT,
            "&response_type=id_token&nonce=n2&max_age=300",
        ))
        .await;
    let fragment = params_of(&p.finish(&login, HOLDER).await, true);
    let implicit = p.id_token_claims(&fragment["id_token"]).await;
    assert!(implicit["auth_time"].as_i64().unwrap() >= before);
}

#[tokio::test]
async fn require_auth_time_is_registered_and_honoured() {
    let p = Provider::start_with(|c| c.registration_token = Some("iat-secret".into())).await;
    let response = p
        .http
        .post(p.url("/register"))
        .bearer_auth("iat-secret")
        .json(&json!({
            "client_name": "Needs auth_time",
            "redirect_uris": [REDIRECT],
            "require_auth_time": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    assert_eq!(registered["require_auth_time"], true);
    let client = CreatedClient {
        config: serde_json::from_value(registered.clone()).unwrap(),
        client_secret: registered["client_secret"].as_str().map(str::to_owned),
    };
    let tokens = code_login(&p, &client, HOLDER, "").await;
    let claims = p
        .id_token_claims(tokens["id_token"].as_str().unwrap())
        .await;
    assert!(claims["auth_time"].as_i64().unwrap() > 0);
    // A wrongly typed value is invalid metadata, not a server error.
    let response = p
        .http
        .post(p.url("/register"))
        .bearer_auth("iat-secret")
        .json(&json!({
            "client_name": "x",
            "redirect_uris": [REDIRECT],
            "require_auth_time": "yes",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");
}

#[tokio::test]
async fn prompt_values() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let id = &client.config.client_id;
    // No session to reuse: login, consent and select_account all lead to the wallet
    // login page, alone or combined.
    for prompt in ["login", "consent", "select_account", "login%20consent"] {
        let url = p.authorize_url(
            id,
            REDIRECT,
            &format!("&response_type=code&prompt={prompt}"),
        );
        p.begin(&url).await;
    }
    for (prompt, error) in [
        ("none", "login_required"),
        ("none%20login", "invalid_request"),
        ("unknown", "invalid_request"),
    ] {
        let url = p.authorize_url(
            id,
            REDIRECT,
            &format!("&response_type=code&prompt={prompt}"),
        );
        let params = error_redirect(&p, &url).await;
        assert_eq!(params["error"], error, "prompt={prompt}");
    }
}

/// An id_token signed with the provider's current key for `alg` from `claims`.
fn sign_with_provider_key(p: &Provider, alg: &str, claims: &Value) -> String {
    let alg = wallet_core::jws::Algorithm::parse(alg).unwrap();
    let key = p.state.keys.get().unwrap().current(alg).unwrap();
    let Value::Object(map) = claims else {
        panic!("claims must be an object")
    };
    key.sign_jwt(map).unwrap()
}

#[tokio::test]
async fn id_token_hint_must_be_an_id_token_of_this_provider_for_this_client() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let other_client = p.client("client_secret_basic", "ES256").await;
    let id = &client.config.client_id;
    let tokens = code_login(&p, &client, HOLDER, "").await;
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    let sub = p.id_token_claims(&hint).await["sub"].clone();
    let with_hint = |h: &str, extra: &str| {
        p.authorize_url(
            id,
            REDIRECT,
            &format!("&response_type=code&id_token_hint={h}{extra}"),
        )
    };

    // Accepted, and the same holder logs in.
    let login = p.begin(&with_hint(&hint, "")).await;
    let redirect_to = p.finish(&login, HOLDER).await;
    let code = params_of(&redirect_to, false)["code"].clone();
    let again = p.redeem(&client, &code, REDIRECT).await;
    assert_eq!(
        p.id_token_claims(again["id_token"].as_str().unwrap()).await["sub"],
        sub
    );

    // An expired id_token is still a hint (OIDC Core: it names a past session).
    let mut expired: Map<String, Value> = p.id_token_claims(&hint).await;
    expired.insert("iat".into(), json!(now() - 7200));
    expired.insert("exp".into(), json!(now() - 3600));
    let expired = sign_with_provider_key(&p, "RS256", &Value::Object(expired));
    p.begin(&with_hint(&expired, "")).await;

    // Refused: not a JWS, a tampered signature, another audience, another issuer,
    // a key this provider never published, no sub.
    // One character in the middle of the signature (the last one may carry only
    // padding bits).
    let at = hint.len() - 20;
    let flipped = if hint.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{}{flipped}{}", &hint[..at], &hint[at + 1..]);
    let other_audience = code_login(&p, &other_client, HOLDER, "").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let foreign_issuer = sign_with_provider_key(
        &p,
        "RS256",
        &json!({"iss": "https://elsewhere.example", "aud": id, "sub": sub, "iat": now(), "exp": now() + 60}),
    );
    let no_sub = sign_with_provider_key(
        &p,
        "EdDSA",
        &json!({"iss": p.issuer, "aud": [id, "x"], "iat": now(), "exp": now() + 60}),
    );
    let stranger = Provider::start().await;
    let stranger_client = stranger.client("client_secret_basic", "RS256").await;
    let foreign_key = code_login(&stranger, &stranger_client, HOLDER, "").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (bad, why) in [
        ("not-a-jwt".to_owned(), "not a JWS"),
        (tampered, "signature"),
        (other_audience, "another client"),
        (foreign_issuer, "another issuer"),
        (foreign_key, "not signed by a key of this provider"),
        (no_sub, "no sub"),
    ] {
        let params = error_redirect(&p, &with_hint(&bad, "")).await;
        assert_eq!(params["error"], "invalid_request", "{why}");
        assert!(params["error_description"].contains(why), "{params:?}");
    }
    // An audience array holding the client is accepted (and names the End-User).
    let multi = sign_with_provider_key(
        &p,
        "ES256",
        &json!({"iss": p.issuer, "aud": ["x", id], "sub": sub, "iat": now(), "exp": now() + 60}),
    );
    p.begin(&with_hint(&multi, "")).await;

    // prompt=none is still login_required: a hint names the End-User, it does not
    // log them in.
    let params = error_redirect(&p, &with_hint(&hint, "&prompt=none")).await;
    assert_eq!(params["error"], "login_required");
}

#[tokio::test]
async fn id_token_hint_of_another_holder_ends_in_login_required() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "EdDSA").await;
    let hint = code_login(&p, &client, HOLDER, "").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let login = p
        .begin(&p.authorize_url(
            &client.config.client_id,
            REDIRECT,
            &format!("&response_type=code&id_token_hint={hint}"),
        ))
        .await;
    let redirect_to = p.finish(&login, OTHER_HOLDER).await;
    let params = params_of(&redirect_to, false);
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], "s1");
    assert_eq!(params["iss"], p.issuer);
    assert!(!params.contains_key("code"));
    // Nothing was issued and the session is finished: no code row, no second try.
    let codes: (i64,) =
        provider_server::db::query_as("SELECT COUNT(*) FROM auth_codes WHERE used_at IS NULL")
            .fetch_one(&p.state.db)
            .await
            .unwrap();
    assert_eq!(codes.0, 0);
    let retry = provider_server::login::complete_login(
        &p.state,
        &login,
        provider_server::login::VerifiedHolder {
            did: HOLDER.into(),
            claims: Map::new(),
        },
    )
    .await;
    assert!(retry.is_err());

    // The hint survives a key rotation: signed by the previous key, still published.
    provider_server::keys::rotate(&p.state.db, &p.state.config)
        .await
        .unwrap();
    p.state.keys.reload(&p.state.db).await.unwrap();
    let login = p
        .begin(&p.authorize_url(
            &client.config.client_id,
            REDIRECT,
            &format!("&response_type=code&id_token_hint={hint}"),
        ))
        .await;
    let params = params_of(&p.finish(&login, HOLDER).await, false);
    assert!(params.contains_key("code"), "{params:?}");
}

#[tokio::test]
async fn id_token_from_openidconnect_works_as_a_hint() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "RS256").await;
    let tokens = code_login(&p, &client, HOLDER, "").await;
    let id_token: CoreIdToken = tokens["id_token"].as_str().unwrap().parse().unwrap();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(p.issuer.clone()).unwrap(), &p.http)
            .await
            .unwrap();
    let rp = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(client.config.client_id.clone()),
        Some(ClientSecret::new(client.client_secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (url, _, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_id_token_hint(&id_token)
        .url();
    assert!(url.as_str().contains("id_token_hint="));
    let login = p.begin(url.as_str()).await;
    let params = params_of(&p.finish(&login, HOLDER).await, false);
    assert!(params.contains_key("code"));
}

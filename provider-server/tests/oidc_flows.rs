//! The OIDC provider over real HTTP with the `openidconnect` crate as relying party:
//! code + PKCE, implicit, refresh, userinfo, JWKS rotation, and the negative rules
//! of the issue (redirect mismatch, code reuse, PKCE, nonce, parallel redemption).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse as _,
};
use serde_json::Value;
use support::{Provider, REDIRECT, params_of};

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

async fn discover(p: &Provider) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(IssuerUrl::new(p.issuer.clone()).unwrap(), &p.http)
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_lists_what_is_supported() {
    let p = Provider::start().await;
    let doc: Value = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(doc["issuer"], p.issuer);
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );
    // No initial access token configured: no registration endpoint announced.
    assert!(doc.get("registration_endpoint").is_none());
    // RFC 8414: OAuth 2.0 clients find the same metadata at their well-known path.
    let oauth: Value = p.get_json("/.well-known/oauth-authorization-server").await;
    assert_eq!(oauth, doc);
    let jwks: Value = p.get_json("/jwks").await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for k in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(k.get(private).is_none(), "private member {private} in JWKS");
        }
        assert!(k["kid"].is_string());
    }
}

#[tokio::test]
async fn code_flow_with_pkce_refresh_and_userinfo() {
    let p = Provider::start().await;
    let created = p.client("client_secret_basic", "RS256").await;
    let rp = CoreClient::from_provider_metadata(
        discover(&p).await,
        ClientId::new(created.config.client_id.clone()),
        Some(ClientSecret::new(created.client_secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let login = p.begin(url.as_str()).await;
    let redirect_to = p.finish(&login, HOLDER).await;
    let params = params_of(&redirect_to, false);
    assert!(redirect_to.starts_with(REDIRECT));
    assert_eq!(params["state"], *csrf.secret());
    assert_eq!(params["iss"], p.issuer);
    let tokens = rp
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&p.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let verifier = rp.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.issuer().as_str(), p.issuer);
    assert!(claims.auth_time().is_some());
    // at_hash binds the access token (OIDC Core §3.1.3.8 / 3.2.2.9).
    let expected = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected));
    let sub = claims.subject().clone();
    assert_ne!(sub.as_str(), HOLDER, "sub must not be the DID itself");

    let info: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), Some(sub.clone()))
        .unwrap()
        .request_async(&p.http)
        .await
        .unwrap();
    assert_eq!(info.email().unwrap().as_str(), "holder@example.com");

    // Refresh rotates: the new pair works, the old refresh token is spent.
    let old_refresh = tokens.refresh_token().unwrap().clone();
    let refreshed = rp
        .exchange_refresh_token(&old_refresh)
        .unwrap()
        .request_async(&p.http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        old_refresh.secret()
    );
    // Reusing the old refresh token fails and revokes the family.
    let reuse = rp
        .exchange_refresh_token(&old_refresh)
        .unwrap()
        .request_async(&p.http)
        .await;
    assert!(format!("{:?}", reuse.unwrap_err()).contains("invalid_grant"));
    let after = rp
        .exchange_refresh_token(refreshed.refresh_token().unwrap())
        .unwrap()
        .request_async(&p.http)
        .await;
    assert!(format!("{:?}", after.unwrap_err()).contains("invalid_grant"));
    let status = p
        .http
        .get(p.url("/userinfo"))
        .bearer_auth(refreshed.access_token().secret())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401, "access token of a revoked family still works");
}

#[tokio::test]
async fn es256_post_auth_and_eddsa_public_client() {
    let p = Provider::start().await;
    for (auth, alg) in [("client_secret_post", "ES256"), ("none", "EdDSA")] {
        let created = p.client(auth, alg).await;
        let meta = discover(&p).await;
        let mut rp = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(created.config.client_id.clone()),
            created.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
        if auth == "client_secret_post" {
            rp = rp.set_auth_type(openidconnect::AuthType::RequestBody);
        }
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
        let id_token = tokens.id_token().unwrap();
        let verifier = rp
            .id_token_verifier()
            .set_allowed_algs(vec![id_token.signing_alg().unwrap().clone()]);
        let claims = id_token.claims(&verifier, &nonce).unwrap();
        assert_eq!(
            format!("{:?}", id_token.signing_alg().unwrap()),
            if alg == "ES256" {
                "EcdsaP256Sha256"
            } else {
                "EdDsa"
            }
        );
        let expected = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected), "{alg} at_hash");
    }
}

#[tokio::test]
async fn implicit_id_token_token() {
    let p = Provider::start().await;
    let created = p.client("client_secret_basic", "RS256").await;
    let rp = CoreClient::from_provider_metadata(
        discover(&p).await,
        ClientId::new(created.config.client_id.clone()),
        None,
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::Implicit(true),
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    let login = p.begin(url.as_str()).await;
    let redirect_to = p.finish(&login, HOLDER).await;
    let params = params_of(&redirect_to, true);
    assert_eq!(params["state"], *csrf.secret());
    assert_eq!(params["iss"], p.issuer);
    assert_eq!(params["token_type"], "Bearer");
    let id_token: CoreIdToken = params["id_token"].parse().unwrap();
    let verifier = rp.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    let access = AccessToken::new(params["access_token"].clone());
    let expected = AccessTokenHash::from_token(
        &access,
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected));
    let status = p
        .http
        .post(p.url("/userinfo"))
        .bearer_auth(access.secret())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

async fn login_id_token(
    p: &Provider,
    created: &provider_server::clients::CreatedClient,
) -> (CoreIdToken, Nonce) {
    let rp = CoreClient::from_provider_metadata(
        discover(p).await,
        ClientId::new(created.config.client_id.clone()),
        Some(ClientSecret::new(created.client_secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (url, _, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    let login = p.begin(url.as_str()).await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&p.http)
        .await
        .unwrap();
    (tokens.id_token().unwrap().clone(), nonce)
}

#[tokio::test]
async fn jwks_rotation_keeps_previous_keys() {
    let p = Provider::start().await;
    let created = p.client("client_secret_basic", "RS256").await;
    let (old_token, old_nonce) = login_id_token(&p, &created).await;
    let kids = provider_server::keys::rotate(&p.state.db, &p.state.config)
        .await
        .unwrap();
    p.state.keys.reload(&p.state.db).await.unwrap();
    let (new_token, new_nonce) = login_id_token(&p, &created).await;
    let kid = |t: &CoreIdToken| {
        let compact = serde_json::to_value(t).unwrap();
        wallet_core::jws::peek_header(compact.as_str().unwrap())
            .unwrap()
            .kid
    };
    let (old_kid, new_kid) = (kid(&old_token), kid(&new_token));
    assert_ne!(old_kid, new_kid);
    assert!(kids.contains(new_kid.as_ref().unwrap()));
    // A client that fetched the JWKS after the rotation verifies both tokens.
    let rp = CoreClient::from_provider_metadata(
        discover(&p).await,
        ClientId::new(created.config.client_id.clone()),
        Some(ClientSecret::new(created.client_secret.clone().unwrap())),
    );
    new_token
        .claims(&rp.id_token_verifier(), &new_nonce)
        .unwrap();
    old_token
        .claims(&rp.id_token_verifier(), &old_nonce)
        .unwrap();
    let jwks: Value = p.get_json("/jwks").await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 6);
}

fn authorize_url(p: &Provider, client_id: &str, extra: &str) -> String {
    format!(
        "{}/authorize?client_id={client_id}&redirect_uri={}&scope=openid&state=s1{extra}",
        p.issuer,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn unregistered_redirect_or_client_gets_an_error_page_never_a_redirect() {
    let p = Provider::start().await;
    let created = p.client("client_secret_basic", "RS256").await;
    let id = &created.config.client_id;
    for url in [
        format!(
            "{}/authorize?client_id={id}&redirect_uri=http%3A%2F%2Frp.example%2Fcb%2F&response_type=code&scope=openid",
            p.issuer
        ),
        format!(
            "{}/authorize?client_id={id}&redirect_uri=http%3A%2F%2Fevil.example%2Fcb&response_type=code&scope=openid",
            p.issuer
        ),
        format!(
            "{}/authorize?client_id=nope&redirect_uri=http%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid",
            p.issuer
        ),
        format!(
            "{}/authorize?redirect_uri=http%3A%2F%2Frp.example%2Fcb&response_type=code",
            p.issuer
        ),
    ] {
        let response = p.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{url}");
        assert!(response.headers().get("location").is_none());
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("cannot be processed")
        );
    }
}

async fn error_redirect(
    p: &Provider,
    url: &str,
    fragment: bool,
) -> std::collections::BTreeMap<String, String> {
    let response = p.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303, "{url}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    let params = params_of(&location, fragment);
    assert_eq!(params["iss"], p.issuer, "iss missing from error response");
    assert_eq!(params["state"], "s1");
    params
}

#[tokio::test]
async fn authorization_request_rules() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    let public = p.client("none", "RS256").await;
    let c = &conf.config.client_id;
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let cases: Vec<(String, bool, &str)> = vec![
        (
            authorize_url(&p, c, "&response_type=id_token"),
            true,
            "invalid_request",
        ), // no nonce
        (
            authorize_url(&p, c, "&response_type=id_token%20token"),
            true,
            "invalid_request",
        ),
        (
            authorize_url(
                &p,
                c,
                &format!(
                    "&response_type=code&code_challenge={challenge}&code_challenge_method=plain"
                ),
            ),
            false,
            "invalid_request",
        ),
        (
            authorize_url(
                &p,
                c,
                &format!("&response_type=code&code_challenge={challenge}"),
            ),
            false,
            "invalid_request",
        ),
        (
            authorize_url(&p, c, "&response_type=code&code_challenge_method=S256"),
            false,
            "invalid_request",
        ),
        (
            authorize_url(&p, &public.config.client_id, "&response_type=code"),
            false,
            "invalid_request",
        ),
        (
            authorize_url(&p, c, "&response_type=token"),
            false,
            "unsupported_response_type",
        ),
        (
            authorize_url(&p, c, "&response_type=code&prompt=none"),
            false,
            "login_required",
        ),
        (
            authorize_url(&p, c, "&response_type=code&request=eyJ"),
            false,
            "request_not_supported",
        ),
        (
            authorize_url(&p, c, "&response_type=code&request_uri=https%3A%2F%2Fx"),
            false,
            "request_uri_not_supported",
        ),
        (
            authorize_url(&p, c, "&response_type=code&max_age=abc"),
            false,
            "invalid_request",
        ),
        (
            authorize_url(&p, c, "&response_type=id_token&nonce=n&response_mode=query"),
            false,
            "invalid_request",
        ),
        (
            format!(
                "{}/authorize?client_id={c}&redirect_uri=http%3A%2F%2Frp.example%2Fcb&scope=profile&state=s1&response_type=code",
                p.issuer
            ),
            false,
            "invalid_scope",
        ),
    ];
    for (url, fragment, expected) in cases {
        let params = error_redirect(&p, &url, fragment).await;
        assert_eq!(params["error"], expected, "{url}");
    }
    // Unknown parameters and optional OIDC ones are accepted.
    let url = authorize_url(
        &p,
        c,
        "&response_type=code&display=page&ui_locales=de&claims_locales=de&acr_values=x&login_hint=h&foo=bar&max_age=60&prompt=login",
    );
    p.begin(&url).await;
    // A POSTed authorization request works like GET.
    let body = url.split_once('?').unwrap().1.to_owned();
    let response = p
        .http
        .post(p.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/login?login_challenge=")
    );
}

async fn token_request(
    p: &Provider,
    client: &provider_server::clients::CreatedClient,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = p
        .http
        .post(p.url("/token"))
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn code_reuse_is_refused_and_revokes_the_first_tokens() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    let login = p
        .begin(&p.authorize_url_with_scope(
            &conf.config.client_id,
            REDIRECT,
            "openid offline_access",
            "&response_type=code",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, first) = token_request(&p, &conf, &form).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().unwrap();
    let ok = p
        .http
        .get(p.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let (status, second) = token_request(&p, &conf, &form).await;
    assert_eq!(status, 400);
    assert_eq!(second["error"], "invalid_grant");
    let revoked = p
        .http
        .get(p.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, body) = token_request(
        &p,
        &conf,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn code_is_bound_to_redirect_uri_and_client() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    let other = p.client("client_secret_basic", "RS256").await;
    for (who, redirect) in [(&conf, "http://rp.example/other"), (&other, REDIRECT)] {
        let login = p
            .begin(&authorize_url(
                &p,
                &conf.config.client_id,
                "&response_type=code",
            ))
            .await;
        let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
        let (status, body) = token_request(
            &p,
            who,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    // Wrong secret: invalid_client with 401 and WWW-Authenticate.
    let response = p
        .http
        .post(p.url("/token"))
        .basic_auth(&conf.config.client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    // client_credentials: an access token without an end-user.
    let (status, body) = token_request(&p, &conf, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200);
    assert!(body.get("id_token").is_none());
}

#[tokio::test]
async fn pkce_mismatch_and_downgrade_are_refused() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // RFC 7636 Appendix B: S256(verifier) = E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
    let with_pkce = "&response_type=code&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";
    let cases: [(&str, Option<&str>, u16); 4] = [
        (
            with_pkce,
            Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX"),
            400,
        ),
        (with_pkce, None, 400),
        ("&response_type=code", Some(verifier), 400), // downgrade
        (with_pkce, Some(verifier), 200),
    ];
    for (extra, v, expected) in cases {
        let login = p
            .begin(&authorize_url(&p, &conf.config.client_id, extra))
            .await;
        let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        if let Some(v) = v {
            form.push(("code_verifier", v));
        }
        let (status, body) = token_request(&p, &conf, &form).await;
        assert_eq!(status, expected, "{extra} {v:?}: {body}");
        if expected == 400 {
            assert_eq!(body["error"], "invalid_grant");
        }
    }
}

#[tokio::test]
async fn parallel_code_redemption_succeeds_once() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    let login = p
        .begin(&authorize_url(
            &p,
            &conf.config.client_id,
            "&response_type=code",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let http = p.http.clone();
        let url = p.url("/token");
        let (id, secret, code) = (
            conf.config.client_id.clone(),
            conf.client_secret.clone(),
            code.clone(),
        );
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .basic_auth(id, secret)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn form_post_response_is_delivered_once() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    let login = p
        .begin(&authorize_url(
            &p,
            &conf.config.client_id,
            "&response_type=code&response_mode=form_post",
        ))
        .await;
    let redirect_to = p.finish(&login, HOLDER).await;
    assert!(redirect_to.starts_with(&p.url("/login/finish")));
    let page = p.http.get(&redirect_to).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'sha256-"));
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"http://rp.example/cb\""));
    assert!(html.contains("name=\"code\""));
    assert!(html.contains("name=\"iss\""));
    assert!(html.contains("name=\"state\" value=\"s1\""));
    let again = p.http.get(&redirect_to).send().await.unwrap();
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn token_endpoint_errors_are_clean() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    // A repeated parameter whose name carries CR/LF: the description stays one line.
    let response = p
        .http
        .post(p.url("/token"))
        .basic_auth(&conf.config.client_id, conf.client_secret.as_deref())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a%0D%0A%09b=1&a%0D%0A%09b=2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let d = body["error_description"].as_str().unwrap();
    assert!(!d.contains(['\r', '\n', '\t']), "{d:?}");
    for (form, error) in [
        ("grant_type=password", "unsupported_grant_type"),
        (
            "grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2Frp.example%2Fcb",
            "invalid_grant",
        ),
        ("grant_type=refresh_token&refresh_token=x", "invalid_grant"),
        ("code=x", "invalid_request"),
    ] {
        let response = p
            .http
            .post(p.url("/token"))
            .basic_auth(&conf.config.client_id, conf.client_secret.as_deref())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{form}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{form}");
    }
    // A body over the global limit is a 413, not a 5xx.
    let big = "a".repeat(2 << 20);
    let response = p.http.post(p.url("/token")).body(big).send().await.unwrap();
    assert_eq!(response.status(), 413);
}

/// A NUL byte is a valid character in SQLite TEXT but PostgreSQL refuses it in any
/// string parameter: raw request values that reach a query must be screened first, or
/// the same request is a 400 on SQLite and a 500 on PostgreSQL.
#[tokio::test]
async fn nul_bytes_are_client_errors_on_every_backend() {
    use base64::Engine as _;
    let p = Provider::start().await;
    let conf = p.client("client_secret_post", "RS256").await;
    let response = p
        .http
        .get(authorize_url(&p, "abc%00", "&response_type=code"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let form = format!(
        "grant_type=client_credentials&client_id={}%00&client_secret={}",
        conf.config.client_id,
        conf.client_secret.as_deref().unwrap()
    );
    for (body, basic) in [
        (form, None),
        (
            "grant_type=client_credentials".to_owned(),
            Some(base64::engine::general_purpose::STANDARD.encode("a%00b:secret")),
        ),
    ] {
        let mut request = p
            .http
            .post(p.url("/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(b) = basic {
            request = request.header("authorization", format!("Basic {b}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
}

/// OIDC Core §11: a refresh token only for `offline_access`; without it the code
/// yields an access token and an id_token, and no refresh family is stored.
#[tokio::test]
async fn refresh_tokens_only_for_offline_access() {
    let p = Provider::start().await;
    let conf = p.client("client_secret_basic", "RS256").await;
    let discovery = p.get_json("/.well-known/openid-configuration").await;
    assert!(
        discovery["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("offline_access"))
    );
    let login = p
        .begin(&authorize_url(
            &p,
            &conf.config.client_id,
            "&response_type=code",
        ))
        .await;
    let code = params_of(&p.finish(&login, HOLDER).await, false)["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, tokens) = token_request(&p, &conf, &form).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert!(tokens["access_token"].is_string() && tokens["id_token"].is_string());
    let families: (i64,) = provider_server::db::query_as("SELECT COUNT(*) FROM refresh_families")
        .fetch_one(&p.state.db)
        .await
        .unwrap();
    assert_eq!(families.0, 0);
    // The access token works, and a replay of the code still revokes it.
    let userinfo = |token: String| {
        let p = &p;
        async move {
            p.http
                .get(p.url("/userinfo"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(access.clone()).await, 200);
    assert_eq!(token_request(&p, &conf, &form).await.0, 400);
    assert_eq!(userinfo(access).await, 401);
}

//! DPoP (RFC 9449) over real HTTP: tokens bound to the client's key at the token
//! endpoint, used at `/userinfo` with proofs, reported by introspection, and every
//! proof rule refused with its own reason. Proofs are made here with wallet-core keys;
//! Node's `openid-client` makes its own in `oidc_node_rp.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use provider_server::clients::{self, CreatedClient, NewClient};
use provider_server::web::now;
use reqwest::{RequestBuilder, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use support::{Provider, REDIRECT, params_of};
use wallet_core::encoding::b64u_encode;
use wallet_core::jwk::Jwk;
use wallet_core::jws::{self, Algorithm, Header};
use wallet_core::keys::{KeyType, PrivateKey};
use wallet_core::random::OsRandom;

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A client's DPoP key.
struct Key {
    key: PrivateKey,
    alg: Algorithm,
    jwk: Value,
    jkt: String,
}

impl Key {
    fn new(key_type: KeyType, alg: Algorithm) -> Self {
        let key = PrivateKey::generate(key_type, &mut OsRandom).unwrap();
        let jwk = Jwk::from_public_key(&key.public_key());
        Self {
            jkt: jwk.thumbprint().unwrap(),
            jwk: serde_json::to_value(&jwk).unwrap(),
            key,
            alg,
        }
    }

    fn es256() -> Self {
        Self::new(KeyType::P256, Algorithm::ES256)
    }

    /// A proof for `htm` at `htu`, with `ath` for `token`, changed by `edit`.
    fn proof_with(
        &self,
        htm: &str,
        htu: &str,
        token: Option<&str>,
        edit: impl FnOnce(&mut Header, &mut Map<String, Value>),
    ) -> String {
        let mut header = Header::new(self.alg)
            .with_typ("dpop+jwt")
            .with_member("jwk", self.jwk.clone())
            .unwrap();
        let mut claims = Map::new();
        claims.insert(
            "jti".into(),
            json!(provider_server::web::random_hex::<16>().unwrap()),
        );
        claims.insert("htm".into(), json!(htm));
        claims.insert("htu".into(), json!(htu));
        claims.insert("iat".into(), json!(now()));
        if let Some(token) = token {
            claims.insert(
                "ath".into(),
                json!(b64u_encode(Sha256::digest(token.as_bytes()))),
            );
        }
        edit(&mut header, &mut claims);
        jws::sign(
            &header,
            Value::Object(claims).to_string().as_bytes(),
            &self.key,
        )
        .unwrap()
    }

    fn proof(&self, htm: &str, htu: &str, token: Option<&str>) -> String {
        self.proof_with(htm, htu, token, |_, _| {})
    }
}

/// A code for `client` (PKCE S256, `offline_access`).
async fn code_for(p: &Provider, client: &CreatedClient) -> String {
    code_with(p, client, "").await
}

/// [`code_for`] with `extra` (`&name=value…`) on the authorization request.
async fn code_with(p: &Provider, client: &CreatedClient, extra: &str) -> String {
    let login = p
        .begin(&p.authorize_url_with_scope(
            &client.config.client_id,
            REDIRECT,
            "openid email offline_access",
            &format!(
                "&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}"
            ),
        ))
        .await;
    finish_code(p, &login).await
}

/// The code of the login `login` once the wallet has presented.
async fn finish_code(p: &Provider, login: &str) -> String {
    params_of(&p.finish(login, HOLDER).await, false)["code"].clone()
}

/// A `/token` request as `client` (Basic for a confidential one, `client_id` in
/// the form for a public one).
fn token_request(p: &Provider, client: &CreatedClient, form: &[(&str, &str)]) -> RequestBuilder {
    let mut form = form.to_vec();
    let request = p.http.post(p.url("/token"));
    let request = match &client.client_secret {
        Some(secret) => request.basic_auth(&client.config.client_id, Some(secret)),
        None => {
            form.push(("client_id", &client.config.client_id));
            request
        }
    };
    request.form(&form)
}

fn code_form(code: &str) -> [(&str, &str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]
}

async fn json_of(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A `/token` request with `form`, and `proof` as its `DPoP` header when given: the
/// status and JSON body.
async fn token_with(
    p: &Provider,
    client: &CreatedClient,
    form: &[(&str, &str)],
    proof: Option<String>,
) -> (u16, Value) {
    let mut request = token_request(p, client, form);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    json_of(request.send().await.unwrap()).await
}

async fn userinfo(p: &Provider, authorization: &str, proof: Option<&str>) -> Response {
    let mut request = p
        .http
        .get(p.url("/userinfo"))
        .header("authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.send().await.unwrap()
}

fn challenge(response: &Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// [`token_with`] carrying a fresh `/token` proof by `key`.
async fn token_by(
    p: &Provider,
    client: &CreatedClient,
    form: &[(&str, &str)],
    key: &Key,
) -> (u16, Value) {
    let proof = key.proof("POST", &p.url("/token"), None);
    token_with(p, client, form, Some(proof)).await
}

/// A code flow for `client` whose code is redeemed with a proof by `key`: the
/// token response, checked to be DPoP-bound.
async fn bound_tokens(p: &Provider, client: &CreatedClient, key: &Key) -> Value {
    let code = code_for(p, client).await;
    let proof = key.proof("POST", &p.url("/token"), None);
    let (status, tokens) = token_with(p, client, &code_form(&code), Some(proof)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");
    tokens
}

#[tokio::test]
async fn a_public_clients_tokens_are_bound_to_its_key() {
    let p = Provider::start().await;
    let doc = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        doc["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA"])
    );
    let client = p.client("none", "ES256").await;
    let key = Key::es256();
    let tokens = bound_tokens(&p, &client, &key).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // Userinfo: as DPoP with a proof for this token, by this key.
    let userinfo_url = p.url("/userinfo");
    let proof = key.proof("GET", &userinfo_url, Some(&access));
    let response = userinfo(&p, &format!("DPoP {access}"), Some(&proof)).await;
    assert_eq!(response.status(), 200);
    let claims: Value = response.json().await.unwrap();
    assert_eq!(claims["email"], "holder@example.com");
    // The same proof again is a replay.
    let response = userinfo(&p, &format!("DPoP {access}"), Some(&proof)).await;
    assert_eq!(response.status(), 401);
    assert!(
        challenge(&response).contains("invalid_dpop_proof"),
        "{}",
        challenge(&response)
    );
    // A bound token as a bearer token, or without a proof, or with another key's.
    let response = userinfo(&p, &format!("Bearer {access}"), None).await;
    assert_eq!(response.status(), 401);
    let c = challenge(&response);
    assert!(c.starts_with("DPoP ") && c.contains("invalid_token"), "{c}");
    assert!(c.contains("algs=\"ES256 EdDSA\""), "{c}");
    let response = userinfo(&p, &format!("DPoP {access}"), None).await;
    assert_eq!(response.status(), 401);
    let other = Key::new(KeyType::Ed25519, Algorithm::EdDSA);
    let response = userinfo(
        &p,
        &format!("DPoP {access}"),
        Some(&other.proof("GET", &userinfo_url, Some(&access))),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(challenge(&response).contains("not by the token's key"));
    // A proof for another token (its ath), or for POST on a GET.
    let response = userinfo(
        &p,
        &format!("DPoP {access}"),
        Some(&key.proof("GET", &userinfo_url, Some("another-token"))),
    )
    .await;
    assert!(
        challenge(&response).contains("ath"),
        "{}",
        challenge(&response)
    );
    let response = userinfo(
        &p,
        &format!("DPoP {access}"),
        Some(&key.proof("POST", &userinfo_url, Some(&access))),
    )
    .await;
    assert!(
        challenge(&response).contains("htm"),
        "{}",
        challenge(&response)
    );

    // Refresh: only with a proof by the same key (the refresh token is bound).
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let (status, refreshed) = token_by(&p, &client, &refresh_form, &key).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["token_type"], "DPoP");
    let rotated = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let rotated_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rotated.as_str()),
    ];
    let (status, body) = token_by(&p, &client, &rotated_form, &other).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    // The refused refresh token was spent: using it again is a reuse, which ends the
    // family.
    let (status, body) = token_by(&p, &client, &rotated_form, &key).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_confidential_client_sees_the_binding_in_introspection() {
    let p = Provider::start().await;
    let client = p.client("client_secret_basic", "EdDSA").await;
    let key = Key::new(KeyType::Ed25519, Algorithm::EdDSA);
    let tokens = bound_tokens(&p, &client, &key).await;
    let introspect = |token: String| {
        p.http
            .post(p.url("/introspect"))
            .basic_auth(&client.config.client_id, client.client_secret.as_deref())
            .form(&[("token", token)])
            .send()
    };
    let answer: Value = introspect(tokens["access_token"].as_str().unwrap().to_owned())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "DPoP", "{answer}");
    assert_eq!(answer["cnf"]["jkt"], key.jkt.as_str(), "{answer}");
    // A confidential client's refresh token is bound to its authentication, not the
    // key: refreshing without a proof gives a bearer token.
    let (status, refreshed) = token_with(
        &p,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["token_type"], "Bearer");
    let answer: Value = introspect(refreshed["access_token"].as_str().unwrap().to_owned())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "Bearer", "{answer}");
    assert!(answer.get("cnf").is_none(), "{answer}");
}

#[tokio::test]
async fn every_proof_rule_is_checked_at_the_token_endpoint() {
    let p = Provider::start().await;
    let client = p.client("none", "RS256").await;
    let key = Key::es256();
    let token_url = p.url("/token");
    // Every refusal comes before the code is redeemed: one code serves them all.
    let code = code_for(&p, &client).await;
    let private = {
        let jwk = Jwk::from_private_key(&key.key).unwrap();
        serde_json::to_value(&jwk).unwrap()
    };
    type Edit = Box<dyn FnOnce(&mut Header, &mut Map<String, Value>)>;
    let cases: Vec<(&str, String, Edit)> = vec![
        (
            "htm",
            token_url.clone(),
            Box::new(|_, c| {
                c.insert("htm".into(), json!("GET"));
            }),
        ),
        ("htu", p.url("/userinfo"), Box::new(|_, _| {})),
        (
            "iat",
            token_url.clone(),
            Box::new(|_, c| {
                c.insert("iat".into(), json!(now() - 3_600));
            }),
        ),
        (
            "iat",
            token_url.clone(),
            Box::new(|_, c| {
                c.insert("iat".into(), json!(now() + 3_600));
            }),
        ),
        (
            "jti",
            token_url.clone(),
            Box::new(|_, c| {
                c.remove("jti");
            }),
        ),
        (
            "typ",
            token_url.clone(),
            Box::new(|h, _| {
                h.typ = Some("JWT".into());
            }),
        ),
        (
            "jwk",
            token_url.clone(),
            Box::new(move |h, _| {
                h.insert_member("jwk", private).unwrap();
            }),
        ),
    ];
    for (why, htu, edit) in cases {
        let proof = key.proof_with("POST", &htu, None, edit);
        let (status, body) = token_with(&p, &client, &code_form(&code), Some(proof)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_dpop_proof")),
            "{why}"
        );
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(why), "{why}: {description}");
    }
    // Not a JWT, two proofs, a tampered one.
    let good = key.proof("POST", &token_url, None);
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged = b64u_encode(br#"{"htm":"POST"}"#);
    parts[1] = &forged;
    let tampered = parts.join(".");
    for headers in [
        vec!["not-a-jwt"],
        vec![good.as_str(), good.as_str()],
        vec![&tampered],
    ] {
        let mut request = token_request(&p, &client, &code_form(&code));
        for h in &headers {
            request = request.header("dpop", *h);
        }
        let (status, body) = json_of(request.send().await.unwrap()).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_dpop_proof"))
        );
    }
    // The code is still good for a valid proof.
    let (status, tokens) = token_by(&p, &client, &code_form(&code), &key).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");

    // The cleanup forgets proofs whose time is over.
    provider_server::db::query("UPDATE dpop_proofs SET expires_at = 0")
        .execute(&p.state.db)
        .await
        .unwrap();
    let purged = provider_server::cleanup::purge_expired(&p.state)
        .await
        .unwrap();
    assert!(purged.dpop_proofs >= 1, "{purged:?}");
}

#[tokio::test]
async fn a_client_can_require_proofs_and_bearer_clients_are_unchanged() {
    let p = Provider::start().await;
    let strict = clients::create(
        &p.state.db,
        NewClient {
            name: Some("DPoP only".into()),
            redirect_uris: vec![REDIRECT.into()],
            token_endpoint_auth_method: Some("none".into()),
            dpop_bound_access_tokens: Some(true),
            ..NewClient::default()
        },
    )
    .await
    .unwrap();
    let code = code_for(&p, &strict).await;
    let (status, body) = token_with(&p, &strict, &code_form(&code), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );

    // Without DPoP nothing changes: bearer tokens, and a bearer token sent as DPoP is
    // refused.
    let client = p.client("none", "RS256").await;
    let code = code_for(&p, &client).await;
    let (status, tokens) = token_with(&p, &client, &code_form(&code), None).await;
    assert_eq!(status, 200);
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo(&p, &format!("Bearer {access}"), None)
            .await
            .status(),
        200
    );
    let key = Key::es256();
    let response = userinfo(
        &p,
        &format!("DPoP {access}"),
        Some(&key.proof("GET", &p.url("/userinfo"), Some(access))),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(challenge(&response).contains("not DPoP-bound"));
}

#[tokio::test]
async fn a_code_bound_with_dpop_jkt_is_redeemed_only_by_that_key() {
    let p = Provider::start().await;
    let client = p.client("none", "ES256").await;
    let key = Key::es256();
    let other = Key::es256();
    let bound = format!("&dpop_jkt={}", key.jkt);
    let refused = |body: &Value| body["error"].as_str() == Some("invalid_dpop_proof");

    // Another key's proof, and no proof: refused (and the code is spent, RFC 6749).
    let code = code_with(&p, &client, &bound).await;
    let (status, body) = token_by(&p, &client, &code_form(&code), &other).await;
    assert!(status == 400 && refused(&body), "{body}");
    let (status, body) = token_by(&p, &client, &code_form(&code), &key).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let code = code_with(&p, &client, &bound).await;
    let (status, body) = token_with(&p, &client, &code_form(&code), None).await;
    assert!(status == 400 && refused(&body), "{body}");
    // The bound key's proof redeems it.
    let code = code_with(&p, &client, &bound).await;
    let (status, tokens) = token_by(&p, &client, &code_form(&code), &key).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");

    // dpop_jkt is for the code flow, and must look like a thumbprint.
    for (extra, why) in [
        ("&dpop_jkt=short", "thumbprint"),
        (
            "&response_type=id_token&nonce=n&dpop_jkt=0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
            "response_type=code",
        ),
    ] {
        let url = if extra.contains("response_type") {
            p.authorize_url(&client.config.client_id, REDIRECT, extra)
        } else {
            p.authorize_url(
                &client.config.client_id,
                REDIRECT,
                &format!(
                    "&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}"
                ),
            )
        };
        let response = p.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap();
        let params = params_of(location, location.contains('#'));
        assert_eq!(params["error"], "invalid_request", "{location}");
        assert!(params["error_description"].contains(why), "{location}");
    }
}

#[tokio::test]
async fn a_proof_sent_with_a_pushed_request_binds_its_code() {
    let p = Provider::start().await;
    let client = p.client("none", "ES256").await;
    let key = Key::es256();
    let other = Key::es256();
    let push = |proof: String, extra: Vec<(&'static str, String)>| {
        let mut form = vec![
            ("client_id", client.config.client_id.clone()),
            ("response_type", "code".to_owned()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("scope", "openid".to_owned()),
            ("code_challenge", CHALLENGE.to_owned()),
            ("code_challenge_method", "S256".to_owned()),
        ];
        form.extend(extra);
        p.http
            .post(p.url("/par"))
            .header("dpop", proof)
            .form(&form)
            .send()
    };
    let par_url = p.url("/par");
    let response = push(key.proof("POST", &par_url, None), Vec::new())
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let pushed: Value = response.json().await.unwrap();
    let request_uri: String =
        url::form_urlencoded::byte_serialize(pushed["request_uri"].as_str().unwrap().as_bytes())
            .collect();
    let login = p
        .begin(&format!(
            "{}/authorize?client_id={}&request_uri={request_uri}",
            p.base, client.config.client_id
        ))
        .await;
    let code = finish_code(&p, &login).await;
    let token_url = p.url("/token");
    let (status, body) = token_by(&p, &client, &code_form(&code), &other).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );

    // A dpop_jkt that is not the proof's key, and a proof for another endpoint.
    let mismatch = vec![("dpop_jkt", other.jkt.clone())];
    let (status, body) = json_of(
        push(key.proof("POST", &par_url, None), mismatch)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    let (status, body) = json_of(
        push(key.proof("POST", &token_url, None), Vec::new())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
}

//! The wallet login API over real HTTP (DESIGN §4 "Wire details"): the key
//! exchange at `/api/v1/challenge`, `/api/v1/credentials` before it, the
//! login page's headers, and dynamic registration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use serde_json::{Value, json};
use support::Provider;
use wallet_core::credential_api::seal_challenge;
use wallet_core::did::{self, DidUrl};
use wallet_core::encoding::hex_decode;
use wallet_core::keys::{PublicKey, X25519PrivateKey, X25519PublicKey};
use wallet_core::random::OsRandom;

async fn login(p: &Provider) -> String {
    let c = p.client("client_secret_basic", "RS256").await;
    p.begin(&format!(
        "{}/authorize?client_id={}&redirect_uri=http%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid",
        p.issuer, c.config.client_id
    ))
    .await
}

struct Wallet {
    secret: X25519PrivateKey,
    key_uri: String,
}

fn wallet() -> Wallet {
    let secret = X25519PrivateKey::generate(&mut OsRandom).unwrap();
    let mk = did::key::multikey_encode(&PublicKey::X25519(secret.public_key())).unwrap();
    Wallet {
        secret,
        key_uri: format!("did:key:{mk}#{mk}"),
    }
}

fn provider_key(uri: &str) -> X25519PublicKey {
    let url = DidUrl::parse(uri).unwrap();
    assert!(url.did().as_str().starts_with("did:key:z6Mk"));
    let fragment = url.fragment().unwrap();
    assert!(fragment.starts_with("z6LS"));
    match did::key::multikey_decode(fragment).unwrap() {
        PublicKey::X25519(k) => k,
        other => panic!("{other:?}"),
    }
}

async fn get_challenge(p: &Provider, lc: &str) -> Value {
    let r = p
        .http
        .get(p.url(&format!("/api/v1/challenge?login_challenge={lc}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn post_challenge(p: &Provider, lc: &str, body: &Value) -> (u16, String) {
    let r = p
        .http
        .post(p.url(&format!("/api/v1/challenge?login_challenge={lc}")))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn answer(w: &Wallet, challenge: &Value, bytes: Option<Vec<u8>>) -> Value {
    let provider = provider_key(challenge["dAppEncryptionKeyUri"].as_str().unwrap());
    let bytes =
        bytes.unwrap_or_else(|| hex_decode(challenge["challenge"].as_str().unwrap()).unwrap());
    let sealed = seal_challenge(&bytes, &w.secret, &provider, &mut OsRandom).unwrap();
    json!({
        "encryptionKeyUri": w.key_uri,
        "encryptedChallenge": sealed.encrypted_challenge,
        "nonce": sealed.nonce,
    })
}

#[tokio::test]
async fn key_exchange_succeeds_once() {
    let p = Provider::start().await;
    let lc = login(&p).await;
    let c = get_challenge(&p, &lc).await;
    assert_eq!(c["dAppName"], "SSI Wallet Login");
    assert_eq!(c["challenge"].as_str().unwrap().len(), 48);
    let w = wallet();
    let body = answer(&w, &c, None);
    assert_eq!(post_challenge(&p, &lc, &body).await.0, 204);
    // Replaying the same answer fails.
    let (status, text) = post_challenge(&p, &lc, &body).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("invalid_request"));
}

#[tokio::test]
async fn key_exchange_rejects_bad_answers() {
    let p = Provider::start().await;
    let lc = login(&p).await;
    let c = get_challenge(&p, &lc).await;
    let w = wallet();
    // Wrong challenge bytes.
    let (status, _) = post_challenge(&p, &lc, &answer(&w, &c, Some(vec![7u8; 24]))).await;
    assert_eq!(status, 400);
    // Until it is answered, the challenge issued with the session is handed out again.
    assert_eq!(get_challenge(&p, &lc).await["challenge"], c["challenge"]);
    // Once answered, asking again restarts the key exchange with a fresh challenge,
    // and an answer to the older one is refused.
    let stale = answer(&w, &c, None);
    assert_eq!(post_challenge(&p, &lc, &stale).await.0, 204);
    let c2 = get_challenge(&p, &lc).await;
    assert_ne!(c["challenge"], c2["challenge"]);
    assert_eq!(post_challenge(&p, &lc, &stale).await.0, 400);
    assert_eq!(
        get_challenge(&p, &lc).await["challenge"],
        c2["challenge"],
        "a restart is not repeated until the new challenge is answered"
    );
    // A key URI that is not an X25519 did:key.
    let mut wrong_key = answer(&w, &c2, None);
    wrong_key["encryptionKeyUri"] = json!(
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    );
    assert_eq!(post_challenge(&p, &lc, &wrong_key).await.0, 400);
    // Unknown login session.
    assert_eq!(
        post_challenge(&p, "unknown", &answer(&w, &c2, None))
            .await
            .0,
        400
    );
    let r = p
        .http
        .get(p.url("/api/v1/challenge?login_challenge=unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = p.http.get(p.url("/api/v1/challenge")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // Malformed JSON.
    let (status, _) = post_challenge(&p, &lc, &json!({"foo": 1})).await;
    assert_eq!(status, 400);
    // The current challenge still works after all that.
    assert_eq!(post_challenge(&p, &lc, &answer(&w, &c2, None)).await.0, 204);
}

#[tokio::test]
async fn credentials_require_the_key_exchange() {
    let p = Provider::start().await;
    let lc = login(&p).await;
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let r = p
            .http
            .request(
                method,
                p.url(&format!("/api/v1/credentials?login_challenge={lc}")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("no completed key exchange")
        );
    }
}

#[tokio::test]
async fn login_page_is_locked_down() {
    let p = Provider::start().await;
    let lc = login(&p).await;
    let r = p
        .http
        .get(p.url(&format!("/login?login_challenge={lc}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let html = r.text().await.unwrap();
    assert!(html.contains("Test RP"));
    let js = p
        .http
        .get(p.url("/login.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(js.contains("credentials: '4.0'"));
    let r = p
        .http
        .get(p.url("/login?login_challenge=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn dynamic_registration_requires_the_initial_access_token() {
    let p = Provider::start_with(|c| c.registration_token = Some("iat-secret".into())).await;
    let doc: Value = p.get_json("/.well-known/openid-configuration").await;
    assert_eq!(doc["registration_endpoint"], p.url("/register"));
    let metadata = json!({"client_name": "Dyn", "redirect_uris": ["https://dyn.example/cb"]});
    let r = p
        .http
        .post(p.url("/register"))
        .json(&metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = p
        .http
        .post(p.url("/register"))
        .bearer_auth("wrong")
        .json(&metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = p
        .http
        .post(p.url("/register"))
        .bearer_auth("iat-secret")
        .json(&metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert!(created["client_id"].is_string());
    assert!(created["client_secret"].is_string());
    assert_eq!(created["client_secret_expires_at"], 0);
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");
    for (bad, error) in [
        (
            json!({"client_name": "F", "redirect_uris": ["https://dyn.example/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"client_name": "F", "redirect_uris": []}),
            "invalid_redirect_uri",
        ),
        (
            json!({"client_name": "F", "redirect_uris": ["https://x/cb"], "id_token_signed_response_alg": "HS256"}),
            "invalid_client_metadata",
        ),
        (
            json!({"client_name": "F", "redirect_uris": ["https://x/cb"], "id_token_mapping": [{"source": "$.a", "claim": "sub"}]}),
            "invalid_client_metadata",
        ),
        (json!("nope"), "invalid_client_metadata"),
    ] {
        let r = p
            .http
            .post(p.url("/register"))
            .bearer_auth("iat-secret")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], error, "{bad}");
    }
}

#[tokio::test]
async fn did_configuration_links_the_provider_did_to_the_issuer_origin() {
    let p = Provider::start().await;
    let doc: Value = p.get_json("/.well-known/did-configuration.json").await;
    assert_eq!(
        doc["@context"],
        "https://identity.foundation/.well-known/did-configuration/v1"
    );
    let jwt = doc["linked_dids"][0].as_str().unwrap();
    let header = wallet_core::jws::peek_header(jwt).unwrap();
    let kid = DidUrl::parse(header.kid.as_deref().unwrap()).unwrap();
    let did = p.state.identity.did().as_str().to_owned();
    assert_eq!(kid.did().as_str(), did);
    // The signature verifies with the key the DID itself names.
    let key = did::key::decode(kid.did()).unwrap();
    let claims = wallet_core::jws::verify_jwt(jwt, &key, &[wallet_core::jws::Algorithm::EdDSA])
        .unwrap()
        .claims;
    assert_eq!(claims["iss"], did);
    assert_eq!(claims["sub"], did);
    assert_eq!(claims["vc"]["issuer"], did);
    assert_eq!(claims["vc"]["credentialSubject"]["id"], did);
    assert_eq!(claims["vc"]["credentialSubject"]["origin"], p.issuer);
    assert_eq!(claims["vc"]["type"][1], "DomainLinkageCredential");
    // The key-agreement key announced by the challenge belongs to the same DID.
    let lc = login(&p).await;
    let c = get_challenge(&p, &lc).await;
    let uri = DidUrl::parse(c["dAppEncryptionKeyUri"].as_str().unwrap()).unwrap();
    assert_eq!(uri.did().as_str(), did);
}

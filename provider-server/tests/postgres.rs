//! The provider on PostgreSQL with two instances sharing one database: a login begun
//! on one finishes on the other (Credential API and OID4VP), and a code redeemed
//! concurrently on both succeeds exactly once, and a request pushed to one (RFC 9126)
//! is used once on either. Needs a server, so it is compiled only with the `postgres-tests`
//! feature; `scripts/test` runs the whole native suite through `scripts/with-postgres`
//! (which starts a throw-away cluster and sets `PROVIDER_TEST_POSTGRES_URL`) with that
//! feature on.
#![cfg(feature = "postgres-tests")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/oid4vp_wallet.rs"]
mod oid4vp_wallet;
#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use serde_json::{Value, json};
use support::{Provider, REDIRECT, TestDatabase, params_of};
use wallet_core::credential_api::seal_challenge;
use wallet_core::did::{self, DidUrl};
use wallet_core::encoding::hex_decode;
use wallet_core::jwk::Jwk;
use wallet_core::jws::{Algorithm, verify_jwt};
use wallet_core::keys::{PublicKey, X25519PrivateKey};
use wallet_core::random::OsRandom;

#[tokio::test]
async fn two_instances_share_one_postgres() {
    // One fresh database, shared by both instances.
    let db = TestDatabase::create().await;
    let a = Provider::start_on(Some(&db.url), None, |_| {}).await;
    let b = Provider::start_on(Some(&db.url), Some(&a.issuer), |_| {}).await;
    assert_eq!(a.state.db.backend, provider_server::db::Backend::Postgres);
    // Both instances serve the same keys and the same provider DID.
    let jwks_a: Value = a.get_json("/jwks").await;
    let jwks_b: Value = b.get_json("/jwks").await;
    assert_eq!(jwks_a, jwks_b);
    assert_eq!(a.state.identity.did(), b.state.identity.did());

    let client = a.client("client_secret_basic", "EdDSA").await;
    // Authorize on A.
    let login = a
        .begin(&format!(
            "{}/authorize?client_id={}&redirect_uri=http%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&nonce=n1&state=s1",
            a.base, client.config.client_id
        ))
        .await;
    // Key exchange: challenge from A, answer to B.
    let c: Value = a
        .get_json(&format!("/api/v1/challenge?login_challenge={login}"))
        .await;
    let provider_uri = DidUrl::parse(c["dAppEncryptionKeyUri"].as_str().unwrap()).unwrap();
    let PublicKey::X25519(provider_key) =
        did::key::multikey_decode(provider_uri.fragment().unwrap()).unwrap()
    else {
        panic!("not an X25519 key")
    };
    let wallet = X25519PrivateKey::generate(&mut OsRandom).unwrap();
    let mk = did::key::multikey_encode(&PublicKey::X25519(wallet.public_key())).unwrap();
    let sealed = seal_challenge(
        &hex_decode(c["challenge"].as_str().unwrap()).unwrap(),
        &wallet,
        &provider_key,
        &mut OsRandom,
    )
    .unwrap();
    let body = json!({
        "encryptionKeyUri": format!("did:key:{mk}#{mk}"),
        "encryptedChallenge": sealed.encrypted_challenge,
        "nonce": sealed.nonce,
    });
    let post = |p: &Provider| {
        p.http
            .post(p.url(&format!("/api/v1/challenge?login_challenge={login}")))
            .json(&body)
            .send()
    };
    assert_eq!(post(&b).await.unwrap().status(), 204);
    assert_eq!(
        post(&a).await.unwrap().status(),
        400,
        "replay on the other instance"
    );
    // Finish on B; redeem concurrently on A and B.
    let redirect_to = b
        .finish(
            &login,
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        )
        .await;
    let params = params_of(&redirect_to, false);
    assert!(redirect_to.starts_with(REDIRECT));
    assert_eq!(params["iss"], a.issuer);
    let code = params["code"].clone();
    let redeem = |p: &Provider| {
        p.http
            .post(p.url("/token"))
            .basic_auth(&client.config.client_id, client.client_secret.as_deref())
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
            ])
            .send()
    };
    let (ra, rb) = tokio::join!(redeem(&a), redeem(&b),);
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let statuses = [ra.status().as_u16(), rb.status().as_u16()];
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    let winner: Value = if statuses[0] == 200 {
        ra.json().await.unwrap()
    } else {
        rb.json().await.unwrap()
    };
    // The id_token verifies against the shared JWKS.
    let id_token = winner["id_token"].as_str().unwrap();
    let kid = wallet_core::jws::peek_header(id_token)
        .unwrap()
        .kid
        .unwrap();
    let jwk = jwks_a["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    let key = Jwk::from_json(&jwk.to_string())
        .unwrap()
        .to_public_key()
        .unwrap();
    let claims = verify_jwt(id_token, &key, &[Algorithm::EdDSA])
        .unwrap()
        .claims;
    assert_eq!(claims["iss"], a.issuer);
    assert_eq!(claims["nonce"], "n1");
    // The second redemption was a reuse (RFC 6749 §4.1.2): what the first issued is
    // revoked on both instances, whichever of the two transactions committed first.
    let token = winner["access_token"].as_str().unwrap();
    for p in [&a, &b] {
        let r = p
            .http
            .get(p.url("/userinfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }

    // A second login, begun on B, finished on A and redeemed once on B: its access
    // token works on both instances.
    let login2 = b
        .begin(&format!(
            "{}/authorize?client_id={}&redirect_uri=http%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&nonce=n2&state=s2",
            b.base, client.config.client_id
        ))
        .await;
    let redirect2 = a
        .finish(
            &login2,
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        )
        .await;
    let code2 = params_of(&redirect2, false)["code"].clone();
    let r = b
        .redeem_request(&client, &code2, REDIRECT, &[])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    for p in [&a, &b] {
        let r = p
            .http
            .get(p.url("/userinfo"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn oid4vp_login_across_two_instances() {
    use oid4vp_wallet::{AppWallet, Held, WalletLink, direct_post, fetch_request_object, status};
    use provider_server::clients::{self, NewClient};

    let db = TestDatabase::create().await;
    let a = Provider::start_on(Some(&db.url), None, |_| {}).await;
    let b = Provider::start_on(Some(&db.url), Some(&a.issuer), |_| {}).await;
    let issuer = wallet::party();
    let client = clients::create(
        &a.state.db,
        NewClient {
            name: Some("OID4VP on two instances".into()),
            redirect_uris: vec![REDIRECT.into()],
            dcql_query: Some(json!({"credentials": [{
                "id": "email", "format": "ldp_vc",
                "meta": {"type_values": [["EmailCredential"]]},
                "claims": [{"path": ["credentialSubject", "email"]}]
            }]})),
            trusted_issuers: vec![issuer.did.as_str().to_owned()],
            ..NewClient::default()
        },
    )
    .await
    .unwrap();
    // The login and its wallet link on A …
    let login = a
        .begin(&format!(
            "{}/authorize?client_id={}&redirect_uri=http%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&nonce=n1&state=s2",
            a.base, client.config.client_id
        ))
        .await;
    let link = oid4vp_wallet::wallet_link(&a, &login).await;
    // … the wallet's requests reach B (same issuer, another instance).
    let on_b = |u: &str| u.replacen(&a.base, &b.base, 1);
    let link = WalletLink {
        request_uri: on_b(&link.request_uri),
        ..link
    };
    let ro = fetch_request_object(&b, &link, None).await;
    let mut w = AppWallet::new();
    let credential = wallet::email_credential(
        &issuer,
        &w.holder.did,
        "pg@example.com",
        wallet::now() + 3600,
    );
    w.credentials.push(Held::Json(credential));
    let answer = w.answer(&ro, |_| {});
    // Encrypted (direct_post.jwt) to the key A made and B reads from the database.
    let form = oid4vp_wallet::response_form(
        &ro,
        &[
            ("vp_token", answer.vp_token.as_str()),
            ("state", ro.str("state")),
        ],
    );
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(form[0].0, "response");
    let (st, body) = direct_post(&b, &on_b(ro.str("response_uri")), &form).await;
    assert_eq!(st, 200, "{body}");
    // The state is spent on both instances.
    let (st, _) = direct_post(&a, ro.str("response_uri"), &form).await;
    assert_eq!(st, 400, "replay on the other instance");
    // A's page collects the result.
    let (st, body) = status(&a, &login).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["status"], "complete");
    let params = params_of(body["redirect_to"].as_str().unwrap(), false);
    assert_eq!(params["state"], "s2");
    assert!(params.contains_key("code"));
    let (_, body) = status(&b, &login).await;
    assert_eq!(body["status"], "delivered");
}

/// A request pushed to one instance (RFC 9126) is used on the other, once: the
/// parallel attempts on both instances start exactly one login.
#[tokio::test]
async fn a_request_pushed_to_one_instance_is_used_on_the_other_once() {
    let db = TestDatabase::create().await;
    let a = Provider::start_on(Some(&db.url), None, |_| {}).await;
    let b = Provider::start_on(Some(&db.url), Some(&a.issuer), |_| {}).await;
    let client = a.client("client_secret_basic", "EdDSA").await;
    let pushed: Value = a
        .http
        .post(a.url("/par"))
        .basic_auth(&client.config.client_id, client.client_secret.as_deref())
        .form(&[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "pushed"),
            ("nonce", "n1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request_uri: String =
        url::form_urlencoded::byte_serialize(pushed["request_uri"].as_str().unwrap().as_bytes())
            .collect();
    let url = |p: &Provider| {
        format!(
            "{}/authorize?client_id={}&request_uri={request_uri}",
            p.base, client.config.client_id
        )
    };
    let attempts = [&a, &b, &a, &b].map(|p| {
        let http = p.http.clone();
        let url = url(p);
        tokio::spawn(async move { http.get(&url).send().await.unwrap().status().as_u16() })
    });
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 400, 400, 400]);
}

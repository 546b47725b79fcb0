//! The whole wallet login over real HTTP (DESIGN §4): an `openidconnect` RP with
//! code + PKCE, a wallet on wallet-core doing the key exchange, reading the
//! encrypted `request-credential`, presenting an eddsa-jcs-2022 credential with
//! PEX, and the claims mapped into the id_token and userinfo; then one test per
//! rule that must refuse a presentation or message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse as _,
};
use provider_server::clients::{self, CreatedClient, NewClient};
use serde_json::{Value, json};
use support::{Provider, REDIRECT, params_of};
use wallet::{
    Party, Wallet, email_credential, email_definition, error_of, now, party, post_credentials,
};
use wallet_core::credential_api::{ErrorContent, MessageBody};

type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

struct Setup {
    p: Provider,
    issuer: Party,
    client: CreatedClient,
    wallet: Wallet,
}

async fn client_with(p: &Provider, edit: impl FnOnce(&mut NewClient)) -> CreatedClient {
    let mut new = NewClient {
        name: Some("Wallet RP".into()),
        redirect_uris: vec![REDIRECT.into()],
        presentation_definition: Some(email_definition()),
        id_token_mapping: Some(json!([
            {"source": "$.verifiableCredential[*].credentialSubject.email", "claim": "email"}
        ])),
        ..NewClient::default()
    };
    edit(&mut new);
    clients::create(&p.state.db, new).await.unwrap()
}

/// A provider, a trusted issuer, a client trusting it, and a wallet holding one
/// email credential from that issuer.
async fn setup() -> Setup {
    let p = Provider::start().await;
    let issuer = party();
    let did = issuer.did.as_str().to_owned();
    let client = client_with(&p, |c| c.trusted_issuers = vec![did]).await;
    let mut wallet = Wallet::new();
    let cred = email_credential(
        &issuer,
        &wallet.holder.did,
        "holder@example.com",
        now() + 86_400,
    );
    wallet.credentials.push(cred);
    Setup {
        p,
        issuer,
        client,
        wallet,
    }
}

async fn rp(s: &Setup) -> Rp {
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(s.p.issuer.clone()).unwrap(),
        &s.p.http,
    )
    .await
    .unwrap();
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(s.client.config.client_id.clone()),
        Some(ClientSecret::new(s.client.client_secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

struct Begun {
    lc: String,
    csrf: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

/// `/authorize` (redirects followed by hand) → `/login` → its login_challenge.
async fn begin(s: &Setup, rp: &Rp) -> Begun {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let lc = s.p.begin(url.as_str()).await;
    // The page carries the same login_challenge for its script.
    let page =
        s.p.http
            .get(s.p.url(&format!("/login?login_challenge={lc}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    let marker = "data-login-challenge=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let end = start + page[start..].find('"').unwrap();
    assert_eq!(page[start..end], lc);
    Begun {
        lc,
        csrf,
        nonce,
        verifier,
    }
}

/// A started login with the key exchange done: the wallet, ready to ask.
async fn ready() -> (Setup, Rp, Begun) {
    let mut s = setup().await;
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    s.wallet.key_exchange(&s.p, &b.lc).await;
    (s, rp, b)
}

async fn refused(s: &Setup, lc: &str, body: &str, needle: &str) {
    let (status, body) = post_credentials(&s.p, lc, body).await;
    assert_eq!(status, 400, "{body}");
    let (code, description) = error_of(&body);
    assert_eq!(code, "invalid_request", "{body}");
    assert!(
        description.contains(needle),
        "expected {needle:?} in {description:?}"
    );
    assert!(!description.contains(['\r', '\n', '\t']));
}

#[tokio::test]
async fn full_wallet_login_maps_claims_into_id_token_and_userinfo() {
    let (s, rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let c = &request.content;
    assert_eq!(c["domain"], s.p.issuer);
    assert_eq!(c["challenge"].as_str().unwrap().len(), 64);
    assert_eq!(c["presentation_definition"], email_definition());
    assert!(c.get("dcql_query").is_none());
    assert_eq!(c["client"]["client_id"], s.client.config.client_id);
    assert_eq!(c["client"]["name"], "Wallet RP");
    assert_eq!(c["client"]["redirect_origin"], "http://rp.example");
    assert_eq!(
        request.message.sender,
        s.p.state.identity.key_agreement_uri()
    );
    assert_eq!(request.message.receiver, s.wallet.session_uri);

    let vp = s.wallet.present(&request, |_| {});
    let (status, body) = post_credentials(&s.p, &b.lc, &s.wallet.submit(&request, vp)).await;
    assert_eq!(status, 200, "{body}");
    let redirect_to = body["redirect_to"].as_str().unwrap();
    assert!(redirect_to.starts_with(REDIRECT));
    let params = params_of(redirect_to, false);
    assert_eq!(params["state"], *b.csrf.secret());
    assert_eq!(params["iss"], s.p.issuer);

    let tokens = rp
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(b.verifier)
        .request_async(&s.p.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let claims = id_token.claims(&rp.id_token_verifier(), &b.nonce).unwrap();
    assert_eq!(claims.email().unwrap().as_str(), "holder@example.com");
    let sub = claims.subject().clone();
    assert_ne!(sub.as_str(), s.wallet.holder.did.as_str());
    let info: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), Some(sub))
        .unwrap()
        .request_async(&s.p.http)
        .await
        .unwrap();
    assert_eq!(info.email().unwrap().as_str(), "holder@example.com");
}

#[tokio::test]
async fn replayed_credentials_challenge_is_refused() {
    let (s, _rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    // Until spent, the outstanding challenge is asked for again (in a new message).
    let again = s.wallet.request(&s.p, &b.lc).await;
    assert_eq!(again.content["challenge"], request.content["challenge"]);
    assert_ne!(again.message.message_id, request.message.message_id);
    // A failed submission still spends the challenge …
    let bad = s
        .wallet
        .present(&request, |o| o.domain = "https://evil.example".into());
    refused(&s, &b.lc, &s.wallet.submit(&request, bad), "domain").await;
    // … so a good presentation for it is refused too.
    let vp = s.wallet.present(&request, |_| {});
    let sealed = s.wallet.submit(&request, vp.clone());
    refused(&s, &b.lc, &sealed, "no credential request outstanding").await;
    // Retrying with a fresh challenge works; replaying after success does not.
    let fresh = s.wallet.request(&s.p, &b.lc).await;
    assert_ne!(fresh.content["challenge"], request.content["challenge"]);
    let sealed = s.wallet.submit(&fresh, s.wallet.present(&fresh, |_| {}));
    let (status, body) = post_credentials(&s.p, &b.lc, &sealed).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_credentials(&s.p, &b.lc, &sealed).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).0, "invalid_request");
}

#[tokio::test]
async fn parallel_submissions_of_one_challenge_succeed_once() {
    let (s, _rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let sealed = s
        .wallet
        .submit(&request, s.wallet.present(&request, |_| {}));
    let results = futures_join(&s, &b.lc, &sealed, 6).await;
    assert_eq!(
        results.iter().filter(|&&st| st == 200).count(),
        1,
        "{results:?}"
    );
    assert!(results.iter().all(|&st| st == 200 || st == 400));
}

async fn futures_join(s: &Setup, lc: &str, body: &str, n: usize) -> Vec<u16> {
    let mut handles = Vec::new();
    for _ in 0..n {
        let http = s.p.http.clone();
        let url =
            s.p.url(&format!("/api/v1/credentials?login_challenge={lc}"));
        let body = body.to_owned();
        handles.push(tokio::spawn(async move {
            http.post(url)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn wrong_domain_is_refused() {
    let (s, _rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s
        .wallet
        .present(&request, |o| o.domain = "https://rp.example".into());
    refused(&s, &b.lc, &s.wallet.submit(&request, vp), "domain mismatch").await;
}

#[tokio::test]
async fn vp_signed_for_another_challenge_is_refused() {
    let (s, _rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s
        .wallet
        .present(&request, |o| o.challenge = "00ff00ff".into());
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "challenge mismatch",
    )
    .await;
}

#[tokio::test]
async fn holder_who_is_not_the_subject_is_refused() {
    let (mut s, _rp, b) = ready().await;
    let someone_else = party();
    s.wallet.credentials = vec![email_credential(
        &s.issuer,
        &someone_else.did,
        "other@example.com",
        now() + 86_400,
    )];
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "subject is not the holder",
    )
    .await;
}

#[tokio::test]
async fn untrusted_issuer_is_refused() {
    let (mut s, _rp, b) = ready().await;
    let stranger = party();
    s.wallet.credentials = vec![email_credential(
        &stranger,
        &s.wallet.holder.did,
        "holder@example.com",
        now() + 86_400,
    )];
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "untrusted issuer",
    )
    .await;
}

#[tokio::test]
async fn expired_credential_is_refused_by_the_injected_clock() {
    let (mut s, _rp, b) = ready().await;
    s.wallet.credentials = vec![email_credential(
        &s.issuer,
        &s.wallet.holder.did,
        "holder@example.com",
        now() + 3600,
    )];
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    // Two days later by the provider's clock.
    s.p.state.clock.set_offset(2 * 86_400);
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "credential 0 has expired",
    )
    .await;
}

#[tokio::test]
async fn tampered_vp_is_refused() {
    let (s, _rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let mut vp = s.wallet.present(&request, |_| {});
    vp["verifiableCredential"][0]["credentialSubject"]["email"] = json!("admin@example.com");
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "presentation proof",
    )
    .await;
}

#[tokio::test]
async fn reject_message_gives_access_denied_at_the_rp() {
    let (s, _rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let sealed = s.wallet.seal(
        &request,
        MessageBody::Reject(ErrorContent {
            name: Some("declined".into()),
            message: None,
        }),
    );
    let (status, body) = post_credentials(&s.p, &b.lc, &sealed).await;
    assert_eq!(status, 200, "{body}");
    let params = params_of(body["redirect_to"].as_str().unwrap(), false);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], *b.csrf.secret());
    assert_eq!(params["iss"], s.p.issuer);
    assert!(!params.contains_key("code"));
    // The session is over.
    let (status, _) = post_credentials(&s.p, &b.lc, &sealed).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn credentials_before_key_exchange_are_refused() {
    let s = setup().await;
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let r = s
            .p
            .http
            .request(
                method,
                s.p.url(&format!("/api/v1/credentials?login_challenge={}", b.lc)),
            )
            .body(
                json!({"receiverKeyUri": "did:key:z6LSx#z6LSx", "senderKeyUri": "did:key:z6LSy#z6LSy", "ciphertext": "00", "nonce": "00"})
                    .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        let (code, description) = error_of(&body);
        assert_eq!(code, "invalid_request");
        assert!(
            description.contains("no completed key exchange"),
            "{description}"
        );
    }
}

#[tokio::test]
async fn message_from_another_sender_key_is_refused() {
    let (mut s, _rp, b) = ready().await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    let original = s.wallet.session_uri.clone();
    // Same message, sealed with a key that did not do the key exchange.
    s.wallet.new_session_key();
    let mut forged_request = wallet::Request {
        message: request.message.clone(),
        content: request.content.clone(),
    };
    forged_request.message.receiver = s.wallet.session_uri.clone();
    let sealed = s.wallet.submit(&forged_request, vp);
    refused(&s, &b.lc, &sealed, "not from this session's wallet key").await;
    // Claiming the session key's URI without holding it fails to decrypt.
    let mut envelope: Value = serde_json::from_str(&sealed).unwrap();
    envelope["senderKeyUri"] = json!(original);
    refused(&s, &b.lc, &envelope.to_string(), "decryption failed").await;
}

#[tokio::test]
async fn no_trusted_issuers_means_no_login() {
    let p = Provider::start().await;
    let issuer = party();
    let client = client_with(&p, |_| {}).await;
    let mut wallet = Wallet::new();
    wallet.credentials.push(email_credential(
        &issuer,
        &wallet.holder.did,
        "a@example.com",
        now() + 86_400,
    ));
    let s = Setup {
        p,
        issuer,
        client,
        wallet,
    };
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    let mut s = s;
    s.wallet.key_exchange(&s.p, &b.lc).await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "no trusted issuers",
    )
    .await;
}

#[tokio::test]
async fn global_trusted_issuer_and_conflicting_claims() {
    let issuer = party();
    let did = issuer.did.as_str().to_owned();
    let p = Provider::start_with(|c| c.trusted_issuers = vec![did]).await;
    let client = client_with(&p, |c| c.presentation_definition = None).await;
    let mut wallet = Wallet::new();
    for email in ["a@example.com", "b@example.com"] {
        wallet.credentials.push(email_credential(
            &issuer,
            &wallet.holder.did,
            email,
            now() + 86_400,
        ));
    }
    let mut s = Setup {
        p,
        issuer,
        client,
        wallet,
    };
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    s.wallet.key_exchange(&s.p, &b.lc).await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    assert!(request.content.get("presentation_definition").is_none());
    let vp = s.wallet.present(&request, |_| {});
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "conflicting values for claim",
    )
    .await;
    // With one credential the globally trusted issuer is accepted.
    s.wallet.credentials.truncate(1);
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    let (status, body) = post_credentials(&s.p, &b.lc, &s.wallet.submit(&request, vp)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn dcql_client_is_checked_against_its_query() {
    let issuer = party();
    let did = issuer.did.as_str().to_owned();
    let p = Provider::start().await;
    let query = json!({"credentials": [{
        "id": "email",
        "format": "ldp_vc",
        "meta": {"type_values": [["EmailCredential"]]},
        "claims": [{"path": ["credentialSubject", "email"]}]
    }]});
    let client = client_with(&p, |c| {
        c.presentation_definition = None;
        c.dcql_query = Some(query.clone());
        c.trusted_issuers = vec![did];
    })
    .await;
    let mut s = Setup {
        p,
        issuer,
        client,
        wallet: Wallet::new(),
    };
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    s.wallet.key_exchange(&s.p, &b.lc).await;
    let request = s.wallet.request(&s.p, &b.lc).await;
    assert_eq!(request.content["dcql_query"], query);
    // Without a matching credential the query is not satisfied.
    let vp = s.wallet.present(&request, |_| {});
    refused(&s, &b.lc, &s.wallet.submit(&request, vp), "DCQL").await;
    let cred = email_credential(
        &s.issuer,
        &s.wallet.holder.did,
        "d@example.com",
        now() + 86_400,
    );
    s.wallet.credentials.push(cred);
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    let (status, body) = post_credentials(&s.p, &b.lc, &s.wallet.submit(&request, vp)).await;
    assert_eq!(status, 200, "{body}");
}

/// Status lists are fetched over real HTTP by the provider: a revoked credential is
/// refused, the same credential passes once its bit is cleared.
#[tokio::test]
async fn revoked_credential_is_refused_via_a_status_list_over_http() {
    use std::sync::{Arc, Mutex};
    let (mut s, _rp, b) = ready().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status/1", listener.local_addr().unwrap());
    let served = Arc::new(Mutex::new(wallet::revocation_list(
        &s.issuer, &url, 4242, 1,
    )));
    let shared = served.clone();
    let app = axum::Router::new().route(
        "/status/1",
        axum::routing::get(move || {
            let list = shared.lock().unwrap().clone();
            async move { axum::Json(list) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let entry_url = url.clone();
    s.wallet.credentials = vec![wallet::email_credential_with(
        &s.issuer,
        &s.wallet.holder.did,
        "holder@example.com",
        now() + 86_400,
        |m| {
            m.insert(
                "credentialStatus".into(),
                wallet::revocation_entry(&entry_url, 4242),
            );
        },
    )];
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    refused(
        &s,
        &b.lc,
        &s.wallet.submit(&request, vp),
        "credential 0 is revoked",
    )
    .await;
    *served.lock().unwrap() = wallet::revocation_list(&s.issuer, &url, 4242, 0);
    let request = s.wallet.request(&s.p, &b.lc).await;
    let vp = s.wallet.present(&request, |_| {});
    let (status, body) = post_credentials(&s.p, &b.lc, &s.wallet.submit(&request, vp)).await;
    assert_eq!(status, 200, "{body}");
}

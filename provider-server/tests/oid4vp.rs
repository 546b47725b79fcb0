//! OpenID for Verifiable Presentations 1.0 login over real HTTP: an `openidconnect`
//! RP starts a login, a wallet app on wallet-core reads the `openid4vp://` link,
//! verifies the Request Object by resolving the provider's DID, answers the DCQL
//! query (or a PEX definition) with presentations bound to `nonce` and
//! `client_id`, and `direct_post`s them; the browser redeems the `response_code`
//! (same device) or the `/login` page's poll picks the result up (cross device),
//! and the RP redeems the code at `/token`. Then one test per rule that must
//! refuse a response.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/oid4vp_wallet.rs"]
mod oid4vp_wallet;
#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use oid4vp_wallet::{
    AppWallet, Held, RequestObject, WalletLink, direct_post, encrypt_response,
    fetch_request_object, post_answer, post_response, redeem, response_code_of, response_form,
    status, verify_request_object, wallet_link,
};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _,
};
use provider_server::clients::{CreatedClient, NewClient};
use provider_server::config::Oid4vpResponseMode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use support::{Provider, REDIRECT, params_of};
use wallet::{
    Party, email_client, email_credential, email_credential_with, error_of, now, party, refused,
    revocation_entry, revocation_list,
};
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::jwe::{self, ContentEncryption, EncryptOptions, KeyManagement};
use wallet_core::jwk::Jwk;
use wallet_core::keys::{KeyType, PrivateKey};
use wallet_core::random::OsRandom;
use wallet_core::vc::{Credential, format_datetime};

type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn email_query() -> Value {
    json!({
        "credentials": [{
            "id": "email",
            "format": "ldp_vc",
            "meta": {"type_values": [["EmailCredential"]]},
            "claims": [{"path": ["credentialSubject", "email"]}]
        }]
    })
}

fn email_definition(format: Value, path: &str) -> Value {
    json!({
        "id": "email-login",
        "input_descriptors": [{
            "id": "email",
            "format": format,
            "constraints": {"fields": [{"path": [path]}]}
        }]
    })
}

struct Setup {
    p: Provider,
    issuer: Party,
    client: CreatedClient,
    wallet: AppWallet,
}

/// A provider, a trusted issuer, a client (DCQL email query unless `edit` says
/// otherwise) trusting it, and a wallet app holding one email credential.
async fn setup_with(edit: impl FnOnce(&mut NewClient)) -> Setup {
    setup_on(Provider::start().await, edit).await
}

/// [`setup_with`] on provider `p`.
async fn setup_on(p: Provider, edit: impl FnOnce(&mut NewClient)) -> Setup {
    let issuer = party();
    // The email client, asking with DCQL instead of PEX.
    let client = email_client(&p, &issuer, |c| {
        c.name = Some("Wallet App RP".into());
        c.presentation_definition = None;
        c.dcql_query = Some(email_query());
        edit(c);
    })
    .await;
    let mut wallet = AppWallet::new();
    let credential = email_credential(
        &issuer,
        &wallet.holder.did,
        "holder@example.com",
        now() + 86_400,
    );
    wallet.credentials.push(Held::Json(credential));
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
    Begun {
        lc,
        csrf,
        nonce,
        verifier,
    }
}

/// A login begun at the RP, the link shown, the Request Object fetched.
async fn started(
    edit: impl FnOnce(&mut NewClient),
) -> (Setup, Rp, Begun, WalletLink, RequestObject) {
    let s = setup_with(edit).await;
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    let link = wallet_link(&s.p, &b.lc).await;
    let ro = fetch_request_object(&s.p, &link, None).await;
    (s, rp, b, link, ro)
}

/// Another transaction of the same login (after a refused response).
async fn again(s: &Setup, lc: &str) -> RequestObject {
    let link = wallet_link(&s.p, lc).await;
    fetch_request_object(&s.p, &link, None).await
}

/// The RP's side of `redirect_to`: state and iss checked, code redeemed, id_token
/// validated; returns its `email` claim.
async fn rp_finishes(rp: &Rp, b: Begun, s: &Setup, redirect_to: &str) -> String {
    assert!(redirect_to.starts_with(REDIRECT), "{redirect_to}");
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
    assert_ne!(claims.subject().as_str(), s.wallet.holder.did.as_str());
    claims.email().unwrap().as_str().to_owned()
}

/// The browser's side after the wallet's response: `response_code` redeemed for the
/// login, then [`rp_finishes`]; returns the id_token's `email`.
async fn finish_login(s: &Setup, rp: &Rp, b: Begun, response_code: &str) -> String {
    let (st, body) = redeem(&s.p, Some(&b.lc), None, response_code).await;
    assert_eq!(st, 200, "{body}");
    let redirect_to = body["redirect_to"].as_str().unwrap().to_owned();
    rp_finishes(rp, b, s, &redirect_to).await
}

#[tokio::test]
async fn dcql_login_over_direct_post_and_response_code() {
    let (s, rp, b, link, ro) = started(|_| {}).await;
    let did = s.p.state.identity.did().as_str().to_owned();
    // The Request Object (OID4VP 1.0 §5, §5.9.3, §5.10.1, §8.2).
    assert_eq!(link.client_id, format!("decentralized_identifier:{did}"));
    assert!(
        link.request_uri
            .starts_with(&format!("{}/oid4vp/request/", s.p.issuer))
    );
    assert_eq!(
        ro.header.kid.as_deref().unwrap(),
        format!("{did}#{}", &did[8..])
    );
    assert_eq!(ro.header.alg.as_str(), "EdDSA");
    assert_eq!(ro.str("aud"), "https://self-issued.me/v2");
    assert_eq!(ro.str("client_id"), link.client_id);
    assert_eq!(
        ro.str("response_uri"),
        format!("{}/oid4vp/response", s.p.issuer)
    );
    assert_eq!(ro.claims["dcql_query"], email_query());
    assert!(ro.claims.get("presentation_definition").is_none());
    assert!(ro.claims.get("wallet_nonce").is_none());
    assert!(b64u_decode(ro.str("nonce")).unwrap().len() >= 16);
    assert!(b64u_decode(ro.str("state")).unwrap().len() >= 16);
    let iat = ro.claims["iat"].as_i64().unwrap();
    let exp = ro.claims["exp"].as_i64().unwrap();
    assert!((now() - 5..=now()).contains(&iat));
    assert!(exp > iat && exp <= iat + 300);
    let formats = &ro.claims["client_metadata"]["vp_formats_supported"];
    assert_eq!(
        formats["ldp_vc"]["cryptosuite_values"],
        json!(["eddsa-jcs-2022", "ecdsa-jcs-2019"])
    );
    assert_eq!(ro.claims["client_metadata"]["client_name"], "Wallet App RP");

    let answer = s.wallet.answer(&ro, |_| {});
    let token: Value = serde_json::from_str(&answer.vp_token).unwrap();
    assert_eq!(token["email"].as_array().unwrap().len(), 1);
    assert_eq!(token["email"][0]["proof"]["challenge"], ro.str("nonce"));
    assert_eq!(token["email"][0]["proof"]["domain"], link.client_id);
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let redirect_uri = body["redirect_uri"].as_str().unwrap();
    let prefix = format!("{}/login/oid4vp/callback#response_code=", s.p.issuer);
    assert!(redirect_uri.starts_with(&prefix), "{redirect_uri}");

    // The page the wallet opens: same-origin script only.
    let page = s.p.http.get(redirect_uri).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("/login/oid4vp/callback.js")
    );
    let js =
        s.p.http
            .get(s.p.url("/login/oid4vp/callback.js"))
            .send()
            .await
            .unwrap();
    assert_eq!(js.status(), 200);
    assert!(
        js.text()
            .await
            .unwrap()
            .contains("/api/v1/oid4vp/response_code")
    );

    assert_eq!(
        finish_login(&s, &rp, b, &response_code_of(redirect_uri)).await,
        "holder@example.com"
    );
}

#[tokio::test]
async fn cross_device_login_finishes_through_the_status_poll() {
    let (s, rp, b, _link, ro) = started(|_| {}).await;
    let (st, body) = status(&s.p, &b.lc).await;
    assert_eq!((st, &body), (200, &json!({"status": "pending"})));
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    // The desktop page's poll collects the result, once.
    let (st, body) = status(&s.p, &b.lc).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["status"], "complete");
    let redirect_to = body["redirect_to"].as_str().unwrap().to_owned();
    let (st, body) = status(&s.p, &b.lc).await;
    assert_eq!((st, &body), (200, &json!({"status": "delivered"})));
    // The phone's browser can no longer take it.
    let (st, body) = redeem(&s.p, Some(&b.lc), None, &code).await;
    assert_eq!(st, 400);
    assert_eq!(error_of(&body).0, "invalid_grant");
    assert_eq!(
        rp_finishes(&rp, b, &s, &redirect_to).await,
        "holder@example.com"
    );
}

#[tokio::test]
async fn response_code_redeemed_with_the_cookie_of_the_browser_that_started() {
    let (s, rp, b, link, ro) = started(|_| {}).await;
    assert!(link.cookie.starts_with("oid4vp_login="));
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    // Another device's browser has no cookie: it is sent back to where it started.
    let (st, body) = redeem(&s.p, None, None, &code).await;
    refused(st, &body, "login_challenge is missing");
    let (st, body) = redeem(&s.p, None, Some(&link.cookie), &code).await;
    assert_eq!(st, 200, "{body}");
    let redirect_to = body["redirect_to"].as_str().unwrap().to_owned();
    assert_eq!(
        rp_finishes(&rp, b, &s, &redirect_to).await,
        "holder@example.com"
    );
}

#[tokio::test]
async fn request_uri_post_repeats_the_wallet_nonce() {
    let (s, _rp, _b, link, get) = started(|_| {}).await;
    let post = fetch_request_object(&s.p, &link, Some("qPmxiNFCR3QTm19POc8u")).await;
    assert_eq!(post.str("wallet_nonce"), "qPmxiNFCR3QTm19POc8u");
    // The same transaction: same state and nonce.
    assert_eq!(post.str("state"), get.str("state"));
    assert_eq!(post.str("nonce"), get.str("nonce"));
}

#[tokio::test]
async fn request_object_is_signed_by_the_provider_did() {
    let (s, _rp, _b, link, _ro) = started(|_| {}).await;
    let jwt =
        s.p.http
            .get(&link.request_uri)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(verify_request_object(&jwt, &link.client_id).is_ok());
    // A changed payload no longer verifies against the DID's key.
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&b64u_decode(parts[1]).unwrap()).unwrap();
    claims["response_uri"] = json!("https://evil.example/post");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64u_encode(claims.to_string().as_bytes()),
        parts[2]
    );
    assert!(verify_request_object(&forged, &link.client_id).is_err());
    // Nor does it pass for another DID.
    let other = format!("decentralized_identifier:{}", party().did.as_str());
    assert!(verify_request_object(&jwt, &other).is_err());
}

#[tokio::test]
async fn pex_configuration_sends_a_presentation_definition() {
    let definition = email_definition(
        json!({"ldp_vc": {"proof_type": ["DataIntegrityProof"]}}),
        "$.credentialSubject.email",
    );
    let pd = definition.clone();
    let (s, rp, b, _link, ro) = started(|c| {
        c.dcql_query = None;
        c.presentation_definition = Some(pd);
    })
    .await;
    assert_eq!(ro.claims["presentation_definition"], definition);
    assert!(ro.claims.get("dcql_query").is_none());
    assert!(ro.claims["client_metadata"]["vp_formats"]["ldp_vp"].is_object());
    let answer = s.wallet.answer(&ro, |_| {});
    let submission: Value =
        serde_json::from_str(answer.presentation_submission.as_deref().unwrap()).unwrap();
    assert_eq!(submission["descriptor_map"][0]["path"], "$");
    assert_eq!(
        submission["descriptor_map"][0]["path_nested"]["path"],
        "$.verifiableCredential[0]"
    );
    // Without the submission the response is refused (and the transaction spent).
    let (st, body) = post_response(
        &s.p,
        &ro,
        &[("vp_token", &answer.vp_token), ("state", ro.str("state"))],
    )
    .await;
    refused(st, &body, "presentation_submission is missing");
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "state is unknown");
    // A new transaction of the same login succeeds.
    let ro = again(&s, &b.lc).await;
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    assert_eq!(finish_login(&s, &rp, b, &code).await, "holder@example.com");
}

#[tokio::test]
async fn pex_with_a_vc_jwt_inside_the_ldp_vp() {
    let definition = email_definition(
        json!({"jwt_vc_json": {"alg": ["EdDSA"]}}),
        "$.vc.credentialSubject.email",
    );
    let (mut s, rp, b, _link, ro) = started(|c| {
        c.dcql_query = None;
        c.presentation_definition = Some(definition);
    })
    .await;
    let credential = email_credential(
        &s.issuer,
        &s.wallet.holder.did,
        "jwt@example.com",
        now() + 86_400,
    );
    let token = wallet_core::vc_jwt::sign_vc_jwt(&credential, &s.issuer.vm, &s.issuer.key).unwrap();
    s.wallet.credentials = vec![Held::VcJwt(token)];
    let answer = s.wallet.answer(&ro, |_| {});
    let submission: Value =
        serde_json::from_str(answer.presentation_submission.as_deref().unwrap()).unwrap();
    assert_eq!(
        submission["descriptor_map"][0]["path_nested"]["format"],
        "jwt_vc_json"
    );
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = status(&s.p, &b.lc).await;
    assert_eq!(body["status"], "complete", "{st} {body}");
    let redirect_to = body["redirect_to"].as_str().unwrap().to_owned();
    assert_eq!(
        rp_finishes(&rp, b, &s, &redirect_to).await,
        "jwt@example.com"
    );
}

#[tokio::test]
async fn client_without_requirements_gets_the_default_query() {
    let (s, rp, b, _link, ro) = started(|c| c.dcql_query = None).await;
    assert_eq!(
        ro.claims["dcql_query"],
        provider_server::oid4vp::Requested::default_query()
    );
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    assert_eq!(finish_login(&s, &rp, b, &code).await, "holder@example.com");
}

#[tokio::test]
async fn client_asking_for_an_unverified_format_is_refused_up_front() {
    let s = setup_with(|c| {
        c.dcql_query = Some(json!({"credentials": [{
            "id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": "org.iso.18013.5.1.mDL"}
        }]}));
    })
    .await;
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    let r =
        s.p.http
            .get(s.p.url(&format!("/api/v1/oid4vp/request?login_challenge={}", b.lc)))
            .send()
            .await
            .unwrap();
    let st = r.status().as_u16();
    refused(st, &r.json().await.unwrap(), "mso_mdoc");
}

#[tokio::test]
async fn unknown_or_missing_state_is_refused() {
    let (s, _rp, _b, _link, ro) = started(|_| {}).await;
    let answer = s.wallet.answer(&ro, |_| {});
    let (st, body) = direct_post(
        &s.p,
        ro.str("response_uri"),
        &[("vp_token", &answer.vp_token), ("state", "not-a-state")],
    )
    .await;
    refused(st, &body, "state is unknown, already answered or expired");
    let (st, body) = direct_post(
        &s.p,
        ro.str("response_uri"),
        &[("vp_token", &answer.vp_token)],
    )
    .await;
    refused(st, &body, "state is missing");
    // Neither spent the real state.
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
}

#[tokio::test]
async fn replayed_state_after_success_is_refused() {
    let (s, _rp, _b, _link, ro) = started(|_| {}).await;
    let answer = s.wallet.answer(&ro, |_| {});
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "state is unknown, already answered or expired");
    // The Request Object is gone too.
    let r = s.p.http.get(&_link.request_uri).send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn parallel_posts_of_one_state_succeed_once() {
    const K: usize = 8;
    let (s, _rp, _b, _link, ro) = started(|_| {}).await;
    let answer = s.wallet.answer(&ro, |_| {});
    let form = response_form(
        &ro,
        &[("vp_token", &answer.vp_token), ("state", ro.str("state"))],
    );
    let mut tasks = Vec::new();
    for _ in 0..K {
        let http = s.p.http.clone();
        let uri = ro.str("response_uri").to_owned();
        // The same (encrypted) response, K times at once.
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let ok: Vec<_> = results.iter().filter(|(st, _)| *st == 200).collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    for (st, body) in results.iter().filter(|(st, _)| *st != 200) {
        refused(*st, body, "state is unknown, already answered or expired");
    }
}

#[tokio::test]
async fn expired_transaction_is_refused() {
    let (s, _rp, b, link, ro) = started(|_| {}).await;
    let answer = s.wallet.answer(&ro, |_| {});
    // Five minutes and a second later by the provider's clock.
    s.p.state.clock.set_offset(301);
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "state is unknown, already answered or expired");
    let r = s.p.http.get(&link.request_uri).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let (st, body) = status(&s.p, &b.lc).await;
    assert_eq!((st, &body), (200, &json!({"status": "expired"})));
}

#[tokio::test]
async fn vp_for_another_nonce_is_refused_and_the_login_can_retry() {
    let (s, rp, b, _link, ro) = started(|_| {}).await;
    let answer = s
        .wallet
        .answer(&ro, |o| o.challenge = "another-nonce".into());
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "presentation challenge mismatch");
    let (st, body) = status(&s.p, &b.lc).await;
    assert_eq!(st, 200);
    assert_eq!(body["status"], "failed");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("challenge mismatch")
    );
    let ro = again(&s, &b.lc).await;
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    assert_eq!(st, 200, "{body}");
    let (_, body) = status(&s.p, &b.lc).await;
    let redirect_to = body["redirect_to"].as_str().unwrap().to_owned();
    assert_eq!(
        rp_finishes(&rp, b, &s, &redirect_to).await,
        "holder@example.com"
    );
}

#[tokio::test]
async fn vp_for_another_audience_is_refused() {
    let (s, _rp, _b, _link, ro) = started(|_| {}).await;
    // What the extension path binds to: the provider origin, not the client_id.
    let origin = s.p.issuer.clone();
    let answer = s.wallet.answer(&ro, move |o| o.domain = origin.clone());
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "presentation domain mismatch");
}

#[tokio::test]
async fn tampered_vp_is_refused() {
    let (s, _rp, _b, _link, ro) = started(|_| {}).await;
    let mut answer = s.wallet.answer(&ro, |_| {});
    let mut token: Value = serde_json::from_str(&answer.vp_token).unwrap();
    token["email"][0]["verifiableCredential"][0]["credentialSubject"]["email"] =
        json!("admin@example.com");
    answer.vp_token = token.to_string();
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "presentation proof");
}

#[tokio::test]
async fn untrusted_issuer_is_refused() {
    let (mut s, _rp, _b, _link, ro) = started(|_| {}).await;
    let stranger = party();
    s.wallet.credentials = vec![Held::Json(email_credential(
        &stranger,
        &s.wallet.holder.did,
        "holder@example.com",
        now() + 86_400,
    ))];
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    refused(st, &body, "untrusted issuer");
}

#[tokio::test]
async fn holder_who_is_not_the_subject_is_refused() {
    let (mut s, _rp, _b, _link, ro) = started(|_| {}).await;
    let someone_else = party();
    s.wallet.credentials = vec![Held::Json(email_credential(
        &s.issuer,
        &someone_else.did,
        "other@example.com",
        now() + 86_400,
    ))];
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    refused(st, &body, "subject is not the holder");
}

#[tokio::test]
async fn credential_lacking_the_queried_claim_is_refused() {
    let (s, _rp, _b, _link, ro) = started(|_| {}).await;
    // A valid presentation of a credential without credentialSubject.email.
    let mut doc = json!({
        "@context": [wallet_core::vc::CREDENTIALS_V2_CONTEXT],
        "type": ["VerifiableCredential", "EmailCredential"],
        "issuer": s.issuer.did.as_str(),
        "validFrom": format_datetime(now() - 3600).unwrap(),
        "credentialSubject": {"id": s.wallet.holder.did.as_str(), "name": "Holder"}
    });
    let signed = wallet::sign(doc.as_object_mut().unwrap(), &s.issuer);
    let bare = Held::Json(Credential::from_map(signed).unwrap());
    // The wallet's own selection would not offer it; send it anyway.
    let vp = s.wallet.ldp_vp(&[&bare], &ro, &|_| {});
    let answer = oid4vp_wallet::Answer {
        vp_token: json!({ "email": [vp] }).to_string(),
        presentation_submission: None,
    };
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "lacks requested claims");
}

#[tokio::test]
async fn response_code_cannot_be_reused() {
    let (s, _rp, b, _link, ro) = started(|_| {}).await;
    let (_, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    let (st, body) = redeem(&s.p, Some(&b.lc), None, &code).await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = redeem(&s.p, Some(&b.lc), None, &code).await;
    assert_eq!(st, 400);
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_grant");
    assert!(description.contains("already used"), "{description}");
    let (st, body) = redeem(&s.p, Some(&b.lc), None, "made-up-code").await;
    assert_eq!(st, 400);
    assert_eq!(error_of(&body), ("invalid_grant", "unknown response_code"));
}

#[tokio::test]
async fn response_code_of_another_login_is_refused() {
    let (s, rp, b, _link, ro) = started(|_| {}).await;
    // The attacker's own login, whose page would present the victim's code.
    let other = begin(&s, &rp).await;
    let (_, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    let (st, body) = redeem(&s.p, Some(&other.lc), None, &code).await;
    assert_eq!(st, 400);
    let (error, description) = error_of(&body);
    assert_eq!(error, "invalid_grant");
    assert!(description.contains("another login"), "{description}");
    // Still good for the login it belongs to.
    let (st, body) = redeem(&s.p, Some(&b.lc), None, &code).await;
    assert_eq!(st, 200, "{body}");
}

#[tokio::test]
async fn wallet_access_denied_gives_access_denied_at_the_rp() {
    let (s, _rp, b, _link, ro) = started(|_| {}).await;
    let (st, body) = direct_post(
        &s.p,
        ro.str("response_uri"),
        &[
            ("error", "access_denied"),
            ("error_description", "the user declined"),
            ("state", ro.str("state")),
        ],
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    let (st, body) = redeem(&s.p, Some(&b.lc), None, &code).await;
    assert_eq!(st, 200, "{body}");
    let params = params_of(body["redirect_to"].as_str().unwrap(), false);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], *b.csrf.secret());
    assert_eq!(params["iss"], s.p.issuer);
    assert!(!params.contains_key("code"));
    // The login is over.
    let r =
        s.p.http
            .get(s.p.url(&format!("/api/v1/oid4vp/request?login_challenge={}", b.lc)))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn other_wallet_errors_leave_the_login_open() {
    let (s, _rp, b, _link, ro) = started(|_| {}).await;
    let (st, body) = direct_post(
        &s.p,
        ro.str("response_uri"),
        &[
            ("error", "vp_formats_not_supported"),
            ("state", ro.str("state")),
        ],
    )
    .await;
    assert_eq!((st, &body), (200, &json!({})));
    let (_, body) = status(&s.p, &b.lc).await;
    assert_eq!(body["status"], "failed");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("vp_formats_not_supported")
    );
    let ro = again(&s, &b.lc).await;
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    assert_eq!(st, 200, "{body}");
}

#[tokio::test]
async fn malformed_vp_token_is_refused() {
    let (s, _rp, b, _link, ro) = started(|_| {}).await;
    let good = s.wallet.answer(&ro, |_| {});
    let token: Value = serde_json::from_str(&good.vp_token).unwrap();
    let cases = [
        ("not json{".to_owned(), "vp_token must be a JSON object"),
        (token["email"].to_string(), "vp_token must be a JSON object"),
        (
            json!({"nope": token["email"]}).to_string(),
            "vp_token entry nope matches no credential query",
        ),
        (
            json!({"email": []}).to_string(),
            "must be a non-empty array",
        ),
        (
            json!({"email": token["email"][0]}).to_string(),
            "must be a non-empty array",
        ),
        (
            json!({"email": ["eyJhbGciOiJFZERTQSJ9.e30.sig"]}).to_string(),
            "must be a JSON Verifiable Presentation",
        ),
        (
            json!({"email": [token["email"][0], token["email"][0]]}).to_string(),
            "does not allow multiple",
        ),
    ];
    let mut ro = ro;
    for (vp_token, needle) in cases {
        let (st, body) = post_response(
            &s.p,
            &ro,
            &[("vp_token", &vp_token), ("state", ro.str("state"))],
        )
        .await;
        refused(st, &body, needle);
        ro = again(&s, &b.lc).await;
    }
    // A repeated parameter is malformed too.
    let (st, body) = direct_post(
        &s.p,
        ro.str("response_uri"),
        &[
            ("state", ro.str("state")),
            ("state", ro.str("state")),
            ("vp_token", "{}"),
        ],
    )
    .await;
    refused(st, &body, "parameter state repeated");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let (s, _rp, _b, _link, ro) = started(|_| {}).await;
    let huge = "a".repeat(s.p.state.config.body_limit + 1);
    let (st, _) = direct_post(
        &s.p,
        ro.str("response_uri"),
        &[("vp_token", &huge), ("state", ro.str("state"))],
    )
    .await;
    assert_eq!(st, 413);
    // Nothing was consumed.
    let (st, body) = post_answer(&s.p, &ro, &s.wallet.answer(&ro, |_| {})).await;
    assert_eq!(st, 200, "{body}");
}

#[tokio::test]
async fn login_page_offers_the_wallet_link() {
    let s = setup_with(|_| {}).await;
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    let page =
        s.p.http
            .get(s.p.url(&format!("/login?login_challenge={}", b.lc)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(page.contains("id=\"oid4vp-start\""));
    let js =
        s.p.http
            .get(s.p.url("/login.js"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(js.contains("oid4vp/request") && js.contains("oid4vp/status"));
    // No transaction yet: the poll says so.
    let (st, body) = status(&s.p, &b.lc).await;
    refused(st, &body, "no wallet request");
}

const VCT: &str = "https://credentials.example/email";

/// An SD-JWT VC about `holder`'s email from `issuer`, bound to the holder's key.
fn sd_jwt_email(issuer: &Party, holder: &AppWallet, email: &str) -> String {
    use wallet_core::sd_jwt::{self, ClaimPathElement, IssueOptions};
    let claims = sd_jwt::sd_jwt_vc_claims(
        issuer.did.as_str(),
        VCT,
        now() - 60,
        Some(now() + 86_400),
        None,
        None,
        json!({"email": email, "given_name": "Holder"})
            .as_object()
            .unwrap()
            .clone(),
    )
    .unwrap();
    let holder_key = holder.holder.key.public_key();
    let options = IssueOptions::sd_jwt_vc(
        wallet_core::jws::Algorithm::EdDSA,
        issuer.vm.as_str(),
        Some(&holder_key),
    );
    sd_jwt::issue(
        &claims,
        &[
            vec![ClaimPathElement::from("email")],
            vec![ClaimPathElement::from("given_name")],
        ],
        &options,
        &issuer.key,
        &mut wallet_core::random::OsRandom,
    )
    .unwrap()
}

fn sd_jwt_query() -> Value {
    json!({"credentials": [{
        "id": "pid",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [VCT]},
        "claims": [{"path": ["email"]}]
    }]})
}

#[tokio::test]
async fn dcql_sd_jwt_vc_login() {
    let (mut s, rp, b, _link, ro) = started(|c| {
        c.dcql_query = Some(sd_jwt_query());
        c.id_token_mapping =
            Some(json!([{"source": "$.verifiableCredential[0].email", "claim": "email"}]));
    })
    .await;
    let formats = &ro.claims["client_metadata"]["vp_formats_supported"];
    assert_eq!(
        formats["dc+sd-jwt"]["kb-jwt_alg_values"],
        json!(["EdDSA", "ES256"])
    );
    let issued = sd_jwt_email(&s.issuer, &s.wallet, "sd@example.com");
    s.wallet.credentials = vec![Held::SdJwt(issued)];
    let answer = s.wallet.answer(&ro, |_| {});
    // The SD-JWT+KB itself, disclosing only what the query asks for.
    let token: Value = serde_json::from_str(&answer.vp_token).unwrap();
    let presented = token["pid"][0].as_str().unwrap();
    let sd = wallet_core::sd_jwt::SdJwt::parse(presented).unwrap();
    assert!(sd.kb_jwt().is_some());
    assert_eq!(sd.disclosures().len(), 1);
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let (_, body) = status(&s.p, &b.lc).await;
    let redirect_to = body["redirect_to"].as_str().unwrap().to_owned();
    assert_eq!(
        rp_finishes(&rp, b, &s, &redirect_to).await,
        "sd@example.com"
    );
}

#[tokio::test]
async fn sd_jwt_key_binding_for_another_audience_is_refused() {
    let (mut s, _rp, _b, _link, ro) = started(|c| c.dcql_query = Some(sd_jwt_query())).await;
    let issued = sd_jwt_email(&s.issuer, &s.wallet, "sd@example.com");
    s.wallet.credentials = vec![Held::SdJwt(issued)];
    let origin = s.p.issuer.clone();
    let answer = s.wallet.answer(&ro, move |o| o.domain = origin.clone());
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "KB-JWT audience mismatch");
}

fn vc_jwt_query() -> Value {
    json!({"credentials": [{
        "id": "email",
        "format": "jwt_vc_json",
        "meta": {"type_values": [["EmailCredential"]]},
        "claims": [{"path": ["credentialSubject", "email"]}]
    }]})
}

fn vc_jwt_email(s: &Setup, email: &str) -> Held {
    let credential = email_credential(&s.issuer, &s.wallet.holder.did, email, now() + 86_400);
    Held::VcJwt(wallet_core::vc_jwt::sign_vc_jwt(&credential, &s.issuer.vm, &s.issuer.key).unwrap())
}

#[tokio::test]
async fn dcql_vp_jwt_login() {
    let (mut s, rp, b, link, ro) = started(|c| c.dcql_query = Some(vc_jwt_query())).await;
    s.wallet.credentials = vec![vc_jwt_email(&s, "jwt@example.com")];
    let answer = s.wallet.answer(&ro, |_| {});
    let token: Value = serde_json::from_str(&answer.vp_token).unwrap();
    let vp_jwt = token["email"][0].as_str().unwrap();
    let payload: Value =
        serde_json::from_slice(&b64u_decode(vp_jwt.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(payload["aud"], link.client_id);
    assert_eq!(payload["nonce"], ro.str("nonce"));
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    assert_eq!(finish_login(&s, &rp, b, &code).await, "jwt@example.com");
}

#[tokio::test]
async fn vp_jwt_for_another_nonce_is_refused() {
    let (mut s, _rp, _b, _link, ro) = started(|c| c.dcql_query = Some(vc_jwt_query())).await;
    s.wallet.credentials = vec![vc_jwt_email(&s, "jwt@example.com")];
    let answer = s
        .wallet
        .answer(&ro, |o| o.challenge = "another-nonce".into());
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    refused(st, &body, "presentation challenge mismatch");
}

#[tokio::test]
async fn pex_with_a_vp_jwt() {
    let definition = email_definition(
        json!({"jwt_vc_json": {"alg": ["EdDSA"]}}),
        "$.vc.credentialSubject.email",
    );
    let (mut s, rp, b, _link, ro) = started(|c| {
        c.dcql_query = None;
        c.presentation_definition = Some(definition);
    })
    .await;
    assert!(ro.claims["client_metadata"]["vp_formats"]["jwt_vp_json"].is_object());
    s.wallet.credentials = vec![vc_jwt_email(&s, "jwt@example.com")];
    s.wallet.jwt_vp = true;
    let answer = s.wallet.answer(&ro, |_| {});
    // The VP-JWT as sent, not JSON.
    assert!(!answer.vp_token.starts_with(['{', '[', '"']));
    let submission: Value =
        serde_json::from_str(answer.presentation_submission.as_deref().unwrap()).unwrap();
    assert_eq!(submission["descriptor_map"][0]["format"], "jwt_vp_json");
    assert_eq!(
        submission["descriptor_map"][0]["path_nested"]["path"],
        "$.vp.verifiableCredential[0]"
    );
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let (_, body) = status(&s.p, &b.lc).await;
    let redirect_to = body["redirect_to"].as_str().unwrap().to_owned();
    assert_eq!(
        rp_finishes(&rp, b, &s, &redirect_to).await,
        "jwt@example.com"
    );
}

/// The stored response keys of the provider's OID4VP transactions, oldest first.
async fn response_keys(s: &Setup) -> Vec<Option<String>> {
    let rows: Vec<(Option<String>,)> = provider_server::db::query_as(
        "SELECT response_key FROM oid4vp_transactions ORDER BY created_at, id_hash",
    )
    .fetch_all(&s.p.state.db)
    .await
    .unwrap();
    rows.into_iter().map(|(k,)| k).collect()
}

/// `direct_post.jwt` (OID4VP 1.0 §8.3), the default: the Request Object carries a
/// public P-256 key made for the transaction, the response comes back as a JWE
/// (here with `A256GCM`, the second `enc` announced), and the transaction's key is
/// forgotten once its response is consumed.
#[tokio::test]
async fn encrypted_response_to_the_transaction_key() {
    let (s, rp, b, _link, ro) = started(|_| {}).await;
    assert_eq!(ro.str("response_mode"), "direct_post.jwt");
    let metadata = &ro.claims["client_metadata"];
    assert_eq!(
        metadata["encrypted_response_enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
    let keys = metadata["jwks"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{metadata}");
    let key = &keys[0];
    for (member, value) in [
        ("kty", "EC"),
        ("crv", "P-256"),
        ("alg", "ECDH-ES"),
        ("use", "enc"),
    ] {
        assert_eq!(key[member], value, "{key}");
    }
    assert!(key.get("d").is_none(), "private key in the request: {key}");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "{key}");
    // Another transaction of the login gets another key.
    let other = again(&s, &b.lc).await;
    assert_ne!(other.claims["client_metadata"]["jwks"], metadata["jwks"]);
    let stored = response_keys(&s).await;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(Option::is_some), "{stored:?}");

    let answer = s.wallet.answer(&ro, |_| {});
    let payload = json!({
        "vp_token": serde_json::from_str::<Value>(&answer.vp_token).unwrap(),
        "state": ro.str("state"),
    });
    let jwe = encrypt_response(&ro, &payload, Some(ContentEncryption::A256Gcm));
    assert_eq!(jwe.split('.').count(), 5);
    let (st, body) = direct_post(&s.p, ro.str("response_uri"), &[("response", &jwe)]).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    // The answered transaction's key is gone, the other one's is still there.
    assert_eq!(
        response_keys(&s)
            .await
            .iter()
            .filter(|k| k.is_some())
            .count(),
        1
    );
    // The same JWE again: its transaction is spent.
    let (st, body) = direct_post(&s.p, ro.str("response_uri"), &[("response", &jwe)]).await;
    refused(st, &body, "state is unknown");
    assert_eq!(finish_login(&s, &rp, b, &code).await, "holder@example.com");
}

/// What a `direct_post.jwt` transaction refuses, each time without spending it:
/// presentations in the clear, a `response` that is not a JWE, one naming no or an
/// unknown `kid`, one that does not open (tampered, or key wrapping instead of the
/// key's `alg`), one carrying another transaction's `state`, a payload that is not
/// a JSON object. The genuine response then succeeds, and an error may still come
/// in the clear (§8.3).
#[tokio::test]
async fn encrypted_response_failures_spend_nothing() {
    let (s, _rp, b, _link, ro) = started(|_| {}).await;
    let other = again(&s, &b.lc).await;
    let answer = s.wallet.answer(&ro, |_| {});
    let vp_token: Value = serde_json::from_str(&answer.vp_token).unwrap();
    let uri = ro.str("response_uri");
    let jwk = Jwk::from_json(&ro.claims["client_metadata"]["jwks"]["keys"][0].to_string()).unwrap();
    let payload = json!({"vp_token": vp_token, "state": ro.str("state")});
    let to = |jwk: &Jwk, alg, plaintext: &[u8]| {
        jwe::encrypt_to_jwk(
            plaintext,
            jwk,
            alg,
            &EncryptOptions::default(),
            &mut OsRandom,
        )
        .unwrap()
    };
    let plain = payload.to_string();
    let mut no_kid = jwk.clone();
    no_kid.kid = None;
    let mut unknown = jwk.clone();
    unknown.kid = Some("no-such-transaction".into());
    let good = encrypt_response(&ro, &payload, None);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut ciphertext = b64u_decode(&parts[3]).unwrap();
    ciphertext[0] ^= 1;
    parts[3] = b64u_encode(ciphertext);
    let swapped = json!({"vp_token": vp_token, "state": other.str("state")});

    let (st, body) = direct_post(
        &s.p,
        uri,
        &[("vp_token", &answer.vp_token), ("state", ro.str("state"))],
    )
    .await;
    refused(st, &body, "asked for an encrypted response");
    for (response, needle) in [
        ("not.a.jwe".to_owned(), "response is not a JWE"),
        (
            to(&no_kid, KeyManagement::EcdhEs, plain.as_bytes()),
            "names no kid",
        ),
        (
            to(&unknown, KeyManagement::EcdhEs, plain.as_bytes()),
            "state is unknown",
        ),
        (parts.join("."), "encrypted response rejected"),
        (
            to(&jwk, KeyManagement::EcdhEsA256Kw, plain.as_bytes()),
            "encrypted response rejected",
        ),
        (encrypt_response(&ro, &swapped, None), "another state"),
        (
            to(&jwk, KeyManagement::EcdhEs, b"[1, 2]"),
            "not a JSON object",
        ),
    ] {
        let (st, body) = direct_post(&s.p, uri, &[("response", &response)]).await;
        refused(st, &body, needle);
    }

    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = direct_post(
        &s.p,
        uri,
        &[("error", "invalid_request"), ("state", other.str("state"))],
    )
    .await;
    assert_eq!(st, 200, "{body}");
}

/// `--oid4vp-response-mode direct_post`: no key is made, the Request Object asks
/// for a plain form, which completes the login; an encrypted response is refused.
#[tokio::test]
async fn plain_direct_post_when_configured() {
    let p = Provider::start_on(None, None, |c| {
        c.oid4vp_response_mode = Oid4vpResponseMode::DirectPost;
    })
    .await;
    let s = setup_on(p, |_| {}).await;
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    let link = wallet_link(&s.p, &b.lc).await;
    let ro = fetch_request_object(&s.p, &link, None).await;
    assert_eq!(ro.str("response_mode"), "direct_post");
    let metadata = &ro.claims["client_metadata"];
    assert!(metadata.get("jwks").is_none(), "{metadata}");
    assert!(
        metadata
            .get("encrypted_response_enc_values_supported")
            .is_none()
    );
    assert_eq!(response_keys(&s).await, vec![None]);
    // A JWE naming this transaction (its kid would be the hash of its state).
    let key = PrivateKey::generate(KeyType::P256, &mut OsRandom).unwrap();
    let mut jwk = Jwk::from_public_key(&key.public_key());
    jwk.kid = Some(b64u_encode(Sha256::digest(ro.str("state").as_bytes())));
    let answer = s.wallet.answer(&ro, |_| {});
    let payload = json!({"vp_token": answer.vp_token, "state": ro.str("state")});
    let jwe = jwe::encrypt_to_jwk(
        payload.to_string().as_bytes(),
        &jwk,
        KeyManagement::EcdhEs,
        &EncryptOptions::default(),
        &mut OsRandom,
    )
    .unwrap();
    let (st, body) = direct_post(&s.p, ro.str("response_uri"), &[("response", &jwe)]).await;
    refused(st, &body, "asked for a plain direct_post response");
    let (st, body) = post_answer(&s.p, &ro, &answer).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    assert_eq!(finish_login(&s, &rp, b, &code).await, "holder@example.com");
}

/// A `vp_token` whose text hides `credentialStatus` behind a JSON escape (the proof
/// still verifies: it signs the canonical form) is not routed to the blocking pool,
/// so its status list is fetched from a worker thread: that must work, not panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_list_hidden_by_a_json_escape_is_still_fetched() {
    let mut s = setup_with(|_| {}).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status/1", listener.local_addr().unwrap());
    let list = revocation_list(&s.issuer, &url, 7, 0);
    let app = axum::Router::new().route(
        "/status/1",
        axum::routing::get(move || {
            let list = list.clone();
            async move { axum::Json(list) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let entry = url.clone();
    let credential = email_credential_with(
        &s.issuer,
        &s.wallet.holder.did,
        "holder@example.com",
        now() + 86_400,
        |m| {
            m.insert("credentialStatus".into(), revocation_entry(&entry, 7));
        },
    );
    s.wallet.credentials = vec![Held::Json(credential)];
    let rp = rp(&s).await;
    let b = begin(&s, &rp).await;
    let link = wallet_link(&s.p, &b.lc).await;
    let ro = fetch_request_object(&s.p, &link, None).await;
    let answer = s.wallet.answer(&ro, |_| {});
    // "credentialStatus" and every "status" (member names and values alike) written
    // with a \u escape: the same JSON, and none of the text the provider looks for.
    let hidden = answer
        .vp_token
        .replace("credentialStatus", "credential\\u0053tatus")
        .replace("status", "\\u0073tatus");
    assert!(
        !hidden.contains("credentialStatus") && !hidden.contains("status"),
        "{hidden}"
    );
    // The vp_token as a JSON string in the payload keeps its text as sent.
    let payload = json!({"vp_token": hidden, "state": ro.str("state")});
    let jwe = encrypt_response(&ro, &payload, None);
    let (st, body) = direct_post(&s.p, ro.str("response_uri"), &[("response", &jwe)]).await;
    assert_eq!(st, 200, "{body}");
    let code = response_code_of(body["redirect_uri"].as_str().unwrap());
    assert_eq!(finish_login(&s, &rp, b, &code).await, "holder@example.com");
}

//! "Never log secrets or personal data", checked: every log line of this process at
//! TRACE level (the provider's, axum's, hyper's, SQLite's, in the JSON format
//! `--log-format json` writes) is captured while a whole wallet login, the token
//! grants, userinfo, introspection, revocation, logout, an OID4VP request and a series
//! of refused requests run; then no secret and no personal datum of any of them may appear in the text: client secrets
//! (right and wrong), the registration token, the at-rest secret, login challenges,
//! key-exchange and presentation challenges, codes, PKCE verifiers, access, refresh and
//! id tokens, OID4VP handles, the holder's DID and e-mail address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/oid4vp_wallet.rs"]
mod oid4vp_wallet;
#[path = "support/mod_provider.rs"]
mod support;
#[path = "support/wallet.rs"]
mod wallet;

use std::io::Write;
use std::sync::{Arc, Mutex};

use oid4vp_wallet::{fetch_request_object, wallet_link};
use serde_json::{Value, json};
use support::{Provider, REDIRECT, params_of};
use wallet::{Wallet, email_client, email_credential, now, party, post_credentials};

/// Where the subscriber writes: one buffer for the whole process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

const EMAIL: &str = "log-canary@example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_login_and_its_failures_log_no_secret() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(logs.clone())
        .json()
        .init();

    let registration_token = "registration-token-canary-0123456789";
    let at_rest_secret = "at-rest-secret-canary-0123456789abcdef0123456789";
    let p = Provider::start_with(|c| {
        c.registration_token = Some(registration_token.into());
        c.key_encryption_secret = Some(at_rest_secret.into());
    })
    .await;
    let issuer = party();
    let c = email_client(&p, &issuer, |_| {}).await;
    let id = c.config.client_id.clone();
    let secret = c.client_secret.clone().unwrap();
    let mut wallet = Wallet::holding_email(&issuer, EMAIL);
    let mut secrets: Vec<(&str, String)> = vec![
        ("client secret", secret.clone()),
        ("registration token", registration_token.into()),
        ("at-rest secret", at_rest_secret.into()),
        ("holder DID", wallet.holder.did.as_str().to_owned()),
        ("holder e-mail", EMAIL.into()),
    ];

    // A whole login with PKCE, the way the page and the wallet run it.
    let verifier = "log-canary-pkce-verifier-0123456789abcdefghijklmnop";
    let challenge = wallet_core::encoding::b64u_encode(
        <sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()).as_slice(),
    );
    let extra = format!(
        "&response_type=code&nonce=n-canary&code_challenge={challenge}&code_challenge_method=S256"
    );
    let lc = p
        .begin(&p.authorize_url_with_scope(&id, REDIRECT, "openid email offline_access", &extra))
        .await;
    let exchange: Value = p
        .get_json(&format!("/api/v1/challenge?login_challenge={lc}"))
        .await;
    secrets.push(("login challenge", lc.clone()));
    secrets.push((
        "key-exchange challenge",
        exchange["challenge"].as_str().unwrap().to_owned(),
    ));
    wallet.key_exchange(&p, &lc).await;
    let request = wallet.request(&p, &lc).await;
    secrets.push((
        "presentation challenge",
        request.content["challenge"].as_str().unwrap().to_owned(),
    ));
    let vp = wallet.present(&request, |_| {});
    let (status, body) = post_credentials(&p, &lc, &wallet.submit(&request, vp)).await;
    assert_eq!(status, 200, "{body}");
    let code = params_of(body["redirect_to"].as_str().unwrap(), false)["code"].clone();
    secrets.push(("code", code.clone()));
    secrets.push(("PKCE verifier", verifier.into()));

    let token = |form: Vec<(&'static str, String)>, secret: String| {
        let (p, id) = (&p, id.clone());
        async move {
            let r = p
                .http
                .post(p.url("/token"))
                .basic_auth(id, Some(secret))
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let code_grant = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("code_verifier", verifier.to_owned()),
    ];
    let (status, tokens) = token(code_grant.clone(), secret.clone()).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        p.id_token_claims(tokens["id_token"].as_str().unwrap())
            .await["email"],
        EMAIL
    );
    for name in ["access_token", "refresh_token", "id_token"] {
        secrets.push((name, tokens[name].as_str().unwrap().to_owned()));
    }
    let signature = tokens["id_token"]
        .as_str()
        .unwrap()
        .rsplit('.')
        .next()
        .unwrap();
    secrets.push(("id_token signature", signature.to_owned()));
    let access = tokens["access_token"].as_str().unwrap();
    let userinfo = p
        .http
        .get(p.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    let (status, refreshed) = token(
        vec![
            ("grant_type", "refresh_token".to_owned()),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().unwrap().to_owned(),
            ),
        ],
        secret.clone(),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    for name in ["access_token", "refresh_token"] {
        secrets.push(("refreshed", refreshed[name].as_str().unwrap().to_owned()));
    }
    // Introspection and revocation take tokens in their bodies too.
    for (path, name) in [
        ("/introspect", "access_token"),
        ("/revoke", "refresh_token"),
    ] {
        let r = p
            .http
            .post(p.url(path))
            .basic_auth(&id, Some(&secret))
            .form(&[("token", refreshed[name].as_str().unwrap())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Logout carries the id_token, and a `state`; a refused logout too (a client_id
    // the hint was not issued to).
    let logout_state = "logout-state-canary-0123456789";
    secrets.push(("logout state", logout_state.into()));
    for client_id in [None, Some("another-client")] {
        let mut query = vec![
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("state", logout_state),
        ];
        query.extend(client_id.map(|c| ("client_id", c)));
        let r = p
            .http
            .get(p.url("/logout"))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), if client_id.is_none() { 200 } else { 400 });
    }

    // Refusals carry the secret they refuse: none may reach a log line.
    let wrong_secret = "wrong-secret-canary-0123456789";
    secrets.push(("wrong client secret", wrong_secret.into()));
    let (status, _) = token(code_grant.clone(), wrong_secret.into()).await;
    assert_eq!(status, 401);
    let (status, body) = token(code_grant, secret.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let forged = "forged-token-canary-0123456789";
    secrets.push(("forged bearer token", forged.into()));
    let r = p
        .http
        .get(p.url("/userinfo"))
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A presentation whose issuer the client does not trust, and a replayed one.
    let lc = p
        .begin(&p.authorize_url_with_scope(&id, REDIRECT, "openid email", "&response_type=code"))
        .await;
    secrets.push(("second login challenge", lc.clone()));
    wallet.new_session_key();
    wallet.key_exchange(&p, &lc).await;
    let request = wallet.request(&p, &lc).await;
    let trusted = std::mem::replace(
        &mut wallet.credentials,
        vec![email_credential(
            &party(),
            &wallet.holder.did,
            EMAIL,
            now() + 86_400,
        )],
    );
    let vp = wallet.present(&request, |_| {});
    wallet.credentials = trusted;
    let sealed = wallet.submit(&request, vp);
    let (status, _) = post_credentials(&p, &lc, &sealed).await;
    assert_eq!(status, 400);
    let (status, _) = post_credentials(&p, &lc, &sealed).await;
    assert_eq!(status, 400);
    // A credential about someone else (holder ≠ subject), and an expired one: the
    // refusals name what is wrong without naming whom.
    let other = party();
    secrets.push(("other subject's DID", other.did.as_str().to_owned()));
    for credential in [
        email_credential(&issuer, &other.did, EMAIL, now() + 86_400),
        email_credential(&issuer, &wallet.holder.did, EMAIL, now() - 3_600),
    ] {
        let request = wallet.request(&p, &lc).await;
        let trusted = std::mem::replace(&mut wallet.credentials, vec![credential]);
        let vp = wallet.present(&request, |_| {});
        wallet.credentials = trusted;
        let (status, body) = post_credentials(&p, &lc, &wallet.submit(&request, vp)).await;
        assert_eq!(status, 400, "{body}");
    }
    // An OID4VP request: its handle and state are bearer secrets too.
    let link = wallet_link(&p, &lc).await;
    let ro = fetch_request_object(&p, &link, None).await;
    secrets.push(("OID4VP request_uri", link.request_uri.clone()));
    secrets.push(("OID4VP state", ro.str("state").to_owned()));
    secrets.push((
        "OID4VP cookie",
        link.cookie.split('=').nth(1).unwrap().to_owned(),
    ));
    // Dynamic registration.
    let r = p
        .http
        .post(p.url("/register"))
        .bearer_auth(registration_token)
        .json(&json!({"redirect_uris": [REDIRECT], "client_name": "registered"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let registered: Value = r.json().await.unwrap();
    secrets.push((
        "registered client secret",
        registered["client_secret"].as_str().unwrap().to_owned(),
    ));

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines = text.lines().count();
    // The capture works and saw the server at work (a silent logger proves nothing).
    assert!(lines > 100, "only {lines} log lines captured");
    assert!(text.contains("login completed"), "no login in the logs");
    assert!(
        text.contains("code redeemed"),
        "no code redemption in the logs"
    );
    let leaks: Vec<String> = secrets
        .iter()
        .filter(|(_, value)| text.contains(value.as_str()))
        .map(|(name, value)| {
            let at = text.find(value.as_str()).unwrap();
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            format!("{name}: {}", &text[line_start..line_end])
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "{} of {} secrets in {lines} log lines:\n{}",
        leaks.len(),
        secrets.len(),
        leaks.join("\n")
    );
}

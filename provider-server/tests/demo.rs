//! The demo parts of `scripts/run`: the demo relying party against a real provider
//! (start page, login redirect with PKCE S256 + nonce + state, callback checks, a
//! whole login ending in the claims page) and the demo issuer's credential.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod_provider.rs"]
mod support;

use provider_server::clients::{self, NewClient};
use provider_server::demo::issuer::{CREDENTIAL_NAME, DemoIssuer, IssueError, VALIDITY_SECS};
use provider_server::demo::rp::{self, COOKIE, RpConfig, RpState};
use provider_server::login::{VerifiedHolder, complete_login};
use provider_server::web::now;
use serde_json::{Map, Value};
use support::{Provider, params_of};
use wallet_core::data_integrity::{
    DiError, OfflineResolver, ProofExpectations, ProofPurpose, verify_proof,
};
use wallet_core::vc::Credential;

const HOLDER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

/// A provider, a client registered for the demo RP, and the RP on its own socket.
struct Demo {
    provider: Provider,
    rp: String,
    redirect_uri: String,
}

async fn start() -> Demo {
    let provider = Provider::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rp = format!("http://{}", listener.local_addr().unwrap());
    let redirect_uri = format!("{rp}/callback");
    let created = clients::create(
        &provider.state.db,
        NewClient {
            name: Some("Demo RP".into()),
            redirect_uris: vec![redirect_uri.clone()],
            post_logout_redirect_uris: vec![format!("{rp}/")],
            ..NewClient::default()
        },
    )
    .await
    .unwrap();
    let state = RpState::new(RpConfig {
        provider: provider.issuer.clone(),
        client_id: created.config.client_id.clone(),
        client_secret: created.client_secret.clone(),
        public_url: rp.clone(),
    })
    .unwrap();
    assert_eq!(state.redirect_uri(), redirect_uri);
    assert_eq!(state.post_logout_uri(), format!("{rp}/"));
    tokio::spawn(rp::serve(state, listener, std::future::pending()));
    Demo {
        provider,
        rp,
        redirect_uri,
    }
}

impl Demo {
    fn http(&self) -> &reqwest::Client {
        &self.provider.http
    }

    /// Clicks "Log in with your wallet": returns the session cookie and the
    /// authorize URL the RP redirected to.
    async fn click_login(&self) -> (String, String) {
        let response = self
            .http()
            .post(format!("{}/login", self.rp))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        assert!(cookie.starts_with(&format!("{COOKIE}=")));
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        (cookie, location)
    }

    async fn get(&self, url: &str, cookie: &str) -> reqwest::Response {
        self.http()
            .get(url)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn start_page_renders_with_security_headers() {
    let d = start().await;
    let response = d.http().get(format!("{}/", d.rp)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'none'"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    let body = response.text().await.unwrap();
    assert!(body.contains("Log in with your wallet"), "{body}");
    assert!(body.contains("action=\"/login\""), "{body}");
}

#[tokio::test]
async fn login_redirects_to_authorize_with_pkce_nonce_and_state() {
    let d = start().await;
    let (_, location) = d.click_login().await;
    assert!(
        location.starts_with(&format!("{}/authorize?", d.provider.issuer)),
        "{location}"
    );
    let params = params_of(&location, false);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["redirect_uri"], d.redirect_uri);
    assert_eq!(params["code_challenge_method"], "S256");
    // base64url(SHA-256(verifier)) is 43 characters (RFC 7636 §4.2).
    assert_eq!(params["code_challenge"].len(), 43);
    assert!(params["state"].len() >= 22, "state too short");
    assert!(params["nonce"].len() >= 22, "nonce too short");
    assert!(params["scope"].split(' ').any(|s| s == "openid"));
    // Two logins never share state, nonce or challenge.
    let (_, again) = d.click_login().await;
    let again = params_of(&again, false);
    for name in ["state", "nonce", "code_challenge"] {
        assert_ne!(params[name], again[name], "{name} repeated");
    }
}

#[tokio::test]
async fn callback_rejects_wrong_state_missing_iss_and_unknown_session() {
    let d = start().await;
    let iss =
        url::form_urlencoded::byte_serialize(d.provider.issuer.as_bytes()).collect::<String>();

    let (cookie, _) = d.click_login().await;
    let wrong = d
        .get(
            &format!("{}/callback?code=c&state=wrong&iss={iss}", d.rp),
            &cookie,
        )
        .await;
    assert_eq!(wrong.status(), 400);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("state parameter does not match")
    );

    let (cookie, location) = d.click_login().await;
    let state = params_of(&location, false)["state"].clone();
    let no_iss = d
        .get(&format!("{}/callback?code=c&state={state}", d.rp), &cookie)
        .await;
    assert_eq!(no_iss.status(), 400);
    assert!(no_iss.text().await.unwrap().contains("iss parameter"));
    // The failed attempt consumed the login: even the right answer fails now.
    let replay = d
        .get(
            &format!("{}/callback?code=c&state={state}&iss={iss}", d.rp),
            &cookie,
        )
        .await;
    assert_eq!(replay.status(), 400);
    assert!(
        replay
            .text()
            .await
            .unwrap()
            .contains("no login in progress")
    );

    let no_cookie = d
        .http()
        .get(format!("{}/callback?code=c&state={state}&iss={iss}", d.rp))
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), 400);
}

#[tokio::test]
async fn whole_login_shows_escaped_claims_and_logs_out() {
    let d = start().await;
    let (cookie, authorize) = d.click_login().await;
    let challenge = d.provider.begin(&authorize).await;
    let mut claims = Map::new();
    claims.insert("email".into(), "holder@example.com".into());
    claims.insert("name".into(), "<script>alert(1)</script>".into());
    let redirect_to = complete_login(
        &d.provider.state,
        &challenge,
        VerifiedHolder {
            did: HOLDER.into(),
            claims,
        },
    )
    .await
    .unwrap();
    assert!(redirect_to.starts_with(&d.redirect_uri), "{redirect_to}");

    let back = d.get(&redirect_to, &cookie).await;
    assert_eq!(back.status(), 303, "{}", back.text().await.unwrap());
    assert_eq!(back.headers()["location"], "/");
    // A fresh session id after login (no session fixation).
    let logged_in = back.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(logged_in, cookie);

    let page = d
        .get(&format!("{}/", d.rp), &logged_in)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("You are logged in"), "{page}");
    assert!(page.contains("holder@example.com"), "{page}");
    assert!(page.contains(&d.provider.issuer), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "claims must be escaped");

    // The code was redeemed once; replaying the redirect finds no login.
    assert_eq!(d.get(&redirect_to, &cookie).await.status(), 400);

    // Logging out is a form (POST): a link another site could embed is refused.
    let response = d.get(&format!("{}/logout", d.rp), &logged_in).await;
    assert_eq!(response.status(), 405);
    let out = d
        .http()
        .post(format!("{}/logout", d.rp))
        .header("cookie", &logged_in)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // Through the provider's end_session_endpoint, with the id_token as the hint,
    // back to the app's start page.
    let end_session = out.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        end_session.starts_with(&d.provider.url("/logout?")),
        "{end_session}"
    );
    let logout_params = params_of(&end_session, false);
    assert!(logout_params.contains_key("id_token_hint"), "{end_session}");
    let home = d.get(&end_session, &logged_in).await;
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()["location"], format!("{}/", d.rp));
    let page = d
        .get(&format!("{}/", d.rp), &logged_in)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Log in with your wallet"), "{page}");
}

#[tokio::test]
async fn issued_credential_verifies_against_the_provider_did() {
    let p = Provider::start().await;
    let issuer = DemoIssuer::load(&p.state.db, p.state.keys.at_rest())
        .await
        .unwrap();
    assert_eq!(issuer.did(), p.state.identity.did());
    let now = now();
    let credential = issuer
        .issue_email_credential(HOLDER, "holder@example.com", now)
        .unwrap();

    let verified = verify_proof(
        &credential,
        &ProofExpectations::new(ProofPurpose::AssertionMethod, now),
        &OfflineResolver,
    )
    .unwrap();
    assert_eq!(verified.controller, *p.state.identity.did());
    assert_eq!(verified.cryptosuite.as_str(), "eddsa-jcs-2022");

    let vc = Credential::from_map(credential.clone()).unwrap();
    assert_eq!(vc.issuer(), p.state.identity.did().as_str());
    assert_eq!(vc.types(), ["VerifiableCredential", "EmailCredential"]);
    assert_eq!(vc.subject_ids(), [HOLDER]);
    assert_eq!(vc.valid_from(), Some(now));
    assert_eq!(vc.valid_until(), Some(now + VALIDITY_SECS));
    assert_eq!(vc.get("name"), Some(&Value::from(CREDENTIAL_NAME)));
    vc.check_validity(now, 0).unwrap();

    // The proof covers the subject: another email breaks it.
    let mut tampered = credential;
    tampered["credentialSubject"]["email"] = "other@example.com".into();
    assert!(matches!(
        verify_proof(
            &tampered,
            &ProofExpectations::new(ProofPurpose::AssertionMethod, now),
            &OfflineResolver,
        ),
        Err(DiError::SignatureInvalid)
    ));

    // A second load (another `demo issue-credential` run) uses the same DID.
    let again = DemoIssuer::load(&p.state.db, p.state.keys.at_rest())
        .await
        .unwrap();
    assert_eq!(again.did(), issuer.did());

    assert!(matches!(
        issuer.issue_email_credential("not-a-did", "a@b.example", now),
        Err(IssueError::InvalidHolder(_))
    ));
    for bad in ["", "no-at", "@b.example", "a@", "a b@c.example", "a@b@c"] {
        assert!(
            matches!(
                issuer.issue_email_credential(HOLDER, bad, now),
                Err(IssueError::InvalidEmail)
            ),
            "{bad:?}"
        );
    }
}

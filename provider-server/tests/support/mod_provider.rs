//! A provider on a real socket with a real SQLite file, for the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use provider_server::clients::{self, CreatedClient, NewClient};
use provider_server::config::Config;
use provider_server::login::{VerifiedHolder, complete_login};
use provider_server::{AppState, app};
use serde_json::Map;

pub struct Provider {
    pub issuer: String,
    /// This instance's own address (differs from `issuer` when instances share one).
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub const REDIRECT: &str = "http://rp.example/cb";

impl Provider {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(edit: impl FnOnce(&mut Config)) -> Self {
        Self::start_on(None, None, edit).await
    }

    /// A provider on `database_url` (default: a fresh SQLite file), with `issuer`
    /// (default: its own address).
    pub async fn start_on(
        database_url: Option<&str>,
        issuer: Option<&str>,
        edit: impl FnOnce(&mut Config),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let own = format!("http://{}", listener.local_addr().unwrap());
        let issuer = issuer.map_or_else(|| own.clone(), str::to_owned);
        let url = database_url.map_or_else(
            || format!("sqlite://{}/provider.db?mode=rwc", dir.path().display()),
            str::to_owned,
        );
        let mut config = Config::for_tests(&issuer, &url);
        edit(&mut config);
        let state = AppState::new(config).await.unwrap();
        let router = app(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            issuer,
            base: own,
            state,
            http,
            _dir: dir,
        }
    }

    pub async fn client(&self, auth: &str, alg: &str) -> CreatedClient {
        clients::create(
            &self.state.db,
            NewClient {
                name: Some("Test RP".into()),
                redirect_uris: vec![REDIRECT.into()],
                token_endpoint_auth_method: Some(auth.into()),
                id_token_signed_response_alg: Some(alg.into()),
                ..NewClient::default()
            },
        )
        .await
        .unwrap()
    }

    /// GETs an authorize URL; returns the login_challenge of the 303 to /login.
    pub async fn begin(&self, url: &str) -> String {
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(
            response.status(),
            303,
            "authorize did not redirect to /login"
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let prefix = format!("{}/login?login_challenge=", self.issuer);
        assert!(location.starts_with(&prefix), "{location}");
        location[prefix.len()..].to_owned()
    }

    /// Finishes a login as if the wallet had presented a verified credential.
    pub async fn finish(&self, login_challenge: &str, did: &str) -> String {
        let mut claims = Map::new();
        claims.insert("email".into(), "holder@example.com".into());
        complete_login(
            &self.state,
            login_challenge,
            VerifiedHolder {
                did: did.into(),
                claims,
            },
        )
        .await
        .unwrap()
    }

    /// GETs `path` and parses the body as JSON (panics on any failure: tests only).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Query or fragment parameters of a URL.
pub fn params_of(url: &str, fragment: bool) -> BTreeMap<String, String> {
    let parsed = url::Url::parse(url).unwrap();
    let text = if fragment {
        parsed.fragment().unwrap_or_default().to_owned()
    } else {
        parsed.query().unwrap_or_default().to_owned()
    };
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

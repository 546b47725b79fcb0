//! A provider on a real socket with a real database, for the integration tests.
//!
//! The database is a fresh SQLite file per provider, or — with
//! `PROVIDER_TEST_DATABASE=postgres` and the server URL in `PROVIDER_TEST_POSTGRES_URL`
//! (what `scripts/with-postgres` exports) — a fresh PostgreSQL database per provider,
//! created under a random name and dropped when the provider is. Either way every test
//! starts from an empty, freshly migrated database; tests that share one between two
//! instances pass its URL to [`Provider::start_on`] themselves.
#![allow(dead_code)]

use std::collections::BTreeMap;

use sqlx::Connection as _;

use provider_server::clients::{self, CreatedClient, NewClient};
use provider_server::config::Config;
use provider_server::login::{VerifiedHolder, complete_login};
use provider_server::{AppState, app};
use serde_json::{Map, Value};

pub struct Provider {
    pub issuer: String,
    /// This instance's own address (differs from `issuer` when instances share one).
    pub base: String,
    pub state: AppState,
    /// The database URL the provider runs on.
    pub database_url: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database this provider created for itself, if any.
    _db: Option<TestDatabase>,
}

/// Chooses the backend of providers started without a database URL.
pub const DATABASE_ENV: &str = "PROVIDER_TEST_DATABASE";
/// The PostgreSQL server URL (any database on it; `scripts/with-postgres` sets it).
pub const POSTGRES_URL_ENV: &str = "PROVIDER_TEST_POSTGRES_URL";

/// Whether `PROVIDER_TEST_DATABASE` asks for PostgreSQL (`postgres`) rather than SQLite
/// (unset or `sqlite`). Any other value stops the test: a typo must not silently test
/// SQLite again.
pub fn postgres_requested() -> bool {
    match std::env::var(DATABASE_ENV).as_deref() {
        Err(_) | Ok("" | "sqlite") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("{DATABASE_ENV}={other}: expected sqlite or postgres"),
    }
}

/// The PostgreSQL server URL; panics with a hint when it is not set.
pub fn postgres_server_url() -> String {
    std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| {
        panic!("{POSTGRES_URL_ENV} is not set: run the tests through scripts/with-postgres")
    })
}

/// A fresh database for several providers to share: an SQLite file, or a PostgreSQL
/// database when `PROVIDER_TEST_DATABASE=postgres`. Dropped with this guard.
pub struct SharedDatabase {
    pub url: String,
    _dir: tempfile::TempDir,
    _db: Option<TestDatabase>,
}

impl SharedDatabase {
    pub async fn create() -> Self {
        let dir = tempfile::tempdir().unwrap();
        if postgres_requested() {
            let db = TestDatabase::create().await;
            return Self {
                url: db.url.clone(),
                _dir: dir,
                _db: Some(db),
            };
        }
        Self {
            url: format!("sqlite://{}/shared.db?mode=rwc", dir.path().display()),
            _dir: dir,
            _db: None,
        }
    }
}

/// A fresh PostgreSQL database (random name) on the server of
/// `PROVIDER_TEST_POSTGRES_URL`, dropped — connections and all — when this guard is.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL naming the new database.
    pub url: String,
    server_url: String,
    name: String,
}

impl TestDatabase {
    /// Creates the database.
    pub async fn create() -> Self {
        let server_url = postgres_server_url();
        let name = format!(
            "provider_test_{}",
            wallet_core::encoding::hex_encode(
                wallet_core::random::SecureRandom::bytes::<8>(&mut wallet_core::random::OsRandom)
                    .unwrap()
            )
        );
        let mut admin = sqlx::PgConnection::connect(&server_url).await.unwrap();
        // The name is ours (hex), so formatting it into the statement is safe.
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&server_url).unwrap();
        url.set_path(&format!("/{name}"));
        Self {
            url: url.into(),
            server_url,
            name,
        }
    }
}

impl Drop for TestDatabase {
    /// Best effort: the provider's pool still holds connections (its server task
    /// outlives the test body), hence `WITH (FORCE)`. A failure leaves the database
    /// to the throw-away cluster.
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await, and the test's runtime may be shutting down: use a
        // runtime of our own on a thread of our own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server_url).await {
                    let _ = sqlx::query(&statement).execute(&mut admin).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub const REDIRECT: &str = "http://rp.example/cb";

impl Provider {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(edit: impl FnOnce(&mut Config)) -> Self {
        Self::start_on(None, None, edit).await
    }

    /// A provider on `database_url` (default: a fresh database of the backend
    /// `PROVIDER_TEST_DATABASE` names, SQLite unless it says `postgres`), with `issuer`
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
        let own_db = if database_url.is_none() && postgres_requested() {
            Some(TestDatabase::create().await)
        } else {
            None
        };
        let url = match (database_url, &own_db) {
            (Some(url), _) => url.to_owned(),
            (None, Some(db)) => db.url.clone(),
            (None, None) => format!("sqlite://{}/provider.db?mode=rwc", dir.path().display()),
        };
        let mut config = Config::for_tests(&issuer, &url);
        edit(&mut config);
        let state = AppState::new(config).await.unwrap();
        if own_db.is_some() {
            assert_eq!(state.db.backend, provider_server::db::Backend::Postgres);
        }
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
            database_url: url,
            http,
            _dir: dir,
            _db: own_db,
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

    /// An authorization request URL for `client_id` and `redirect_uri` with
    /// `scope=openid&state=s1` and `extra` (`&name=value…`, already encoded).
    pub fn authorize_url(&self, client_id: &str, redirect_uri: &str, extra: &str) -> String {
        self.authorize_url_with_scope(client_id, redirect_uri, "openid", extra)
    }

    /// [`Self::authorize_url`] with another `scope` (e.g. `openid offline_access` for
    /// a refresh token).
    pub fn authorize_url_with_scope(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        extra: &str,
    ) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!(
            "{}/authorize?client_id={client_id}&redirect_uri={}&scope={}&state=s1{extra}",
            self.base,
            enc(redirect_uri),
            enc(scope)
        )
    }

    /// Redeems `code` at `/token` with HTTP Basic; panics unless it is a 200.
    pub async fn redeem(&self, client: &CreatedClient, code: &str, redirect_uri: &str) -> Value {
        let response = self
            .redeem_request(client, code, redirect_uri, &[])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// The `/token` request redeeming `code` with HTTP Basic and the form fields
    /// `extra` (e.g. `code_verifier`), for the caller to add headers to and send.
    pub fn redeem_request(
        &self,
        client: &CreatedClient,
        code: &str,
        redirect_uri: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        form.extend_from_slice(extra);
        self.http
            .post(self.url("/token"))
            .basic_auth(&client.config.client_id, client.client_secret.as_deref())
            .form(&form)
    }

    /// Verifies an id_token against this provider's JWKS (wallet-core) and returns
    /// its claims.
    pub async fn id_token_claims(&self, id_token: &str) -> Map<String, Value> {
        let jwks = self.get_json("/jwks").await;
        let kid = wallet_core::jws::peek_header(id_token)
            .unwrap()
            .kid
            .unwrap();
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .unwrap();
        let alg = wallet_core::jws::Algorithm::parse(jwk["alg"].as_str().unwrap()).unwrap();
        let key = wallet_core::jwk::Jwk::from_json(&jwk.to_string())
            .unwrap()
            .to_public_key()
            .unwrap();
        wallet_core::jws::verify_jwt(id_token, &key, &[alg])
            .unwrap()
            .claims
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

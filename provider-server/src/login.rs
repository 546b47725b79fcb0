//! The wallet login (DESIGN §4, "Wire details"): login sessions named by
//! `login_challenge`, the `/login` page, the Credential API key exchange
//! (`/api/v1/challenge`) and the credential exchange (`/api/v1/credentials`), and
//! [`complete_login`], which turns a verified holder into the authorization response.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq as _;
use wallet_core::did::{self, DidUrl};
use wallet_core::encoding::{hex_decode, hex_encode};
use wallet_core::keys::PublicKey;

use crate::AppState;
use crate::clients;
use crate::db::Backend;
use crate::error::AppError;
use crate::oidc::authorize::{self, AuthorizationRequest, ResponseMode, ResponseType};
use crate::oidc::grants::{self, Grant};
use crate::web::{self, ReadBody, handle_hash, now, random_handle};

/// Length of the key-exchange challenge, bytes (DESIGN §4: 24 random bytes, hex).
pub const CHALLENGE_LEN: usize = 24;

/// The login page script, served from `/login.js` (CSP `script-src 'self'`).
pub const LOGIN_JS: &str = include_str!("login/login.js");

/// A holder whose presentation was verified: the DID and the claims mapped from it.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedHolder {
    /// The holder's DID (the presentation's `holder`, proven by its proof).
    pub did: String,
    /// Claims for the id_token and userinfo (the client's `id_token_mapping` result).
    pub claims: Map<String, Value>,
}

/// The `login_challenge` query parameter of every `/login` and `/api/v1/*` call.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// The login session handle.
    pub login_challenge: Option<String>,
}

impl LoginQuery {
    pub(crate) fn handle(&self) -> Result<&str, AppError> {
        self.login_challenge
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 128)
            .ok_or_else(|| AppError::invalid_request("login_challenge is missing"))
    }
}

/// Stores a login session for a validated authorization request; returns its
/// `login_challenge` (256 random bits; only its hash is stored).
///
/// # Errors
/// Database failures (500).
pub async fn create_session(
    state: &AppState,
    request: &AuthorizationRequest,
) -> Result<String, AppError> {
    let handle = random_handle()?;
    let now = now();
    // The key-exchange challenge is issued with the session, so that handing it out
    // (`GET /api/v1/challenge`) is a read, not another write.
    crate::db::query(
        "INSERT INTO login_sessions (id_hash, client_id, request, created_at, expires_at, \
         challenge, challenge_state) VALUES ($1, $2, $3, $4, $5, $6, 'issued')",
    )
    .bind(handle_hash(&handle))
    .bind(&request.client_id)
    .bind(serde_json::to_string(request).map_err(AppError::internal)?)
    .bind(now)
    .bind(now.saturating_add(i64::from(state.config.login_session_lifetime_secs)))
    .bind(fresh_challenge()?)
    .execute(&state.db)
    .await?;
    Ok(handle)
}

/// A key-exchange challenge: [`CHALLENGE_LEN`] random bytes, hex.
fn fresh_challenge() -> Result<String, AppError> {
    web::random_hex::<CHALLENGE_LEN>()
}

/// A live (unexpired, unfinished) login session.
pub(crate) struct Session {
    /// The validated authorization request.
    pub(crate) request: AuthorizationRequest,
    /// The key-exchange challenge issued last.
    pub(crate) challenge: Option<String>,
    /// The wallet's session key URI, once the key exchange is complete.
    pub(crate) wallet_key_uri: Option<String>,
    /// The outstanding `request-credential` challenge, if any.
    pub(crate) vp_challenge: Option<String>,
    /// When the session ends, unix seconds.
    pub(crate) expires_at: i64,
}

type SessionRow = (
    String,
    Option<String>,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
);

pub(crate) async fn live_session(state: &AppState, handle: &str) -> Result<Session, AppError> {
    live_session_by_hash(state, &handle_hash(handle)).await
}

/// [`live_session`] by the stored hash of the handle.
pub(crate) async fn live_session_by_hash(
    state: &AppState,
    id_hash: &str,
) -> Result<Session, AppError> {
    let row: Option<SessionRow> = crate::db::query_as(
        "SELECT request, challenge, expires_at, completed_at, challenge_state, wallet_key_uri, \
         vp_challenge FROM login_sessions WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(&state.db)
    .await?;
    match row {
        Some((request, challenge, expires_at, None, challenge_state, wallet_key_uri, vp))
            if expires_at > now() =>
        {
            Ok(Session {
                request: serde_json::from_str(&request).map_err(AppError::internal)?,
                challenge,
                // Only an answered key exchange names the wallet's key.
                wallet_key_uri: wallet_key_uri.filter(|_| challenge_state == "answered"),
                vp_challenge: vp,
                expires_at,
            })
        }
        _ => Err(AppError::invalid_request(
            "unknown, expired or finished login session",
        )),
    }
}

/// `GET /login`: the page that runs the Credential API handshake with the wallet.
///
/// # Errors
/// An unknown or finished session (400).
pub async fn login_page(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let handle = query
        .handle()
        .map_err(|e| AppError::ErrorPage(e.to_string()))?;
    let session = live_session(&state, handle)
        .await
        .map_err(|e| AppError::ErrorPage(e.to_string()))?;
    let client = clients::get(&state.db, &session.request.client_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::ErrorPage("the client no longer exists".into()))?;
    let body = format!(
        "<main><h1>Log in to {}</h1>\
         <p>Choose the wallet to log in with. {} will receive only what you approve.</p>\
         <ul id=\"wallets\"><li>Looking for wallets…</li></ul>\
         <section id=\"oid4vp\"><h2>Wallet app on this or another device</h2>\
         <p><button type=\"button\" id=\"oid4vp-start\">Show a wallet link</button></p>\
         <p id=\"oid4vp-link\"></p></section>\
         <p id=\"status\" role=\"status\"></p></main>\
         <script src=\"/login.js\" data-login-challenge=\"{}\"></script>",
        web::escape(&client.config.name),
        web::escape(&client.config.name),
        web::escape(handle),
    );
    Ok(script_page("Log in with your wallet", &body))
}

/// An HTML page whose only scripts are same-origin files (`script-src 'self'`):
/// no framing, no referrer, nothing from anywhere else.
pub(crate) fn script_page(title: &str, body: &str) -> Response {
    let mut response = Html(web::page(title, body)).into_response();
    web::html_security_headers(response.headers_mut(), None);
    if let Ok(v) = HeaderValue::from_str(
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; \
         img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// `GET /login.js`.
pub async fn login_js() -> Response {
    let mut response = LOGIN_JS.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    response
}

/// `GET /api/v1/challenge` → `{dAppName, dAppEncryptionKeyUri, challenge}`: the
/// challenge issued with the session, as long as it is unanswered. A call after the
/// key exchange was answered (the page loaded again, another wallet chosen) restarts
/// it: a fresh challenge, and the wallet key and any credential request forgotten.
///
/// # Errors
/// An unknown or finished session (400).
pub async fn get_challenge(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let handle = query.handle()?;
    let id_hash = handle_hash(handle);
    let unknown = || AppError::invalid_request("unknown, expired or finished login session");
    let issued: Option<(Option<String>, String)> = crate::db::query_as(
        "SELECT challenge, challenge_state FROM login_sessions \
         WHERE id_hash = $1 AND completed_at IS NULL AND expires_at > $2",
    )
    .bind(&id_hash)
    .bind(now())
    .fetch_optional(&state.db)
    .await?;
    let challenge = match issued {
        None => return Err(unknown()),
        Some((Some(challenge), challenge_state)) if challenge_state == "issued" => challenge,
        Some(_) => {
            let challenge = fresh_challenge()?;
            // One statement checks the session is still live and restarts it.
            let updated = crate::db::query(
                "UPDATE login_sessions SET challenge = $1, challenge_state = 'issued', \
                 wallet_key_uri = NULL, vp_challenge = NULL \
                 WHERE id_hash = $2 AND completed_at IS NULL AND expires_at > $3",
            )
            .bind(&challenge)
            .bind(&id_hash)
            .bind(now())
            .execute(&state.db)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(unknown());
            }
            challenge
        }
    };
    Ok(web::json_no_store(json!({
        "dAppName": state.config.name,
        "dAppEncryptionKeyUri": state.identity.key_agreement_uri(),
        "challenge": challenge,
    })))
}

/// The body of `POST /api/v1/challenge`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChallengeAnswer {
    encryption_key_uri: String,
    encrypted_challenge: String,
    nonce: String,
}

/// `POST /api/v1/challenge` with `{encryptionKeyUri, encryptedChallenge, nonce}` →
/// `204`. A reused, unknown or mismatching challenge → `400`.
///
/// # Errors
/// 400 for every failure of the answer.
pub async fn post_challenge(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    ReadBody(body): ReadBody,
) -> Result<Response, AppError> {
    let handle = query.handle()?;
    let answer: ChallengeAnswer = serde_json::from_slice(&body).map_err(|_| {
        AppError::invalid_request("body must be {encryptionKeyUri, encryptedChallenge, nonce}")
    })?;
    let wallet_key = wallet_session_key(&answer.encryption_key_uri)?;
    let opened = state
        .session_boxes
        .get(&wallet_key)
        .and_then(|b| b.open_challenge(&answer.encrypted_challenge, &answer.nonce))
        .map_err(|e| AppError::invalid_request(format!("encrypted challenge rejected: {e}")))?;
    // One statement checks that the session is live, that the box holds the challenge
    // issued last, and spends it: only the first answer moves the state. (The
    // challenge is no secret from the wallet, which received it in the clear; what
    // this binds is the wallet's session key to this login.) It also issues the
    // presentation challenge, so that `GET /api/v1/credentials` only reads.
    let won = crate::db::query(
        "UPDATE login_sessions SET challenge_state = 'answered', wallet_key_uri = $1, \
         vp_challenge = $2 \
         WHERE id_hash = $3 AND challenge = $4 AND challenge_state = 'issued' \
         AND completed_at IS NULL AND expires_at > $5",
    )
    .bind(&answer.encryption_key_uri)
    .bind(crate::credentials::fresh_vp_challenge()?)
    .bind(handle_hash(handle))
    .bind(hex_encode(&opened))
    .bind(now())
    .execute(&state.db)
    .await?
    .rows_affected()
        == 1;
    if !won {
        // Only a refused answer pays for a second read, to say precisely why.
        let session = live_session(&state, handle).await?;
        let issued = session
            .challenge
            .ok_or_else(|| AppError::invalid_request("no challenge was issued"))?;
        let expected = hex_decode(&issued).map_err(AppError::internal)?;
        if !bool::from(opened.as_slice().ct_eq(expected.as_slice())) {
            return Err(AppError::invalid_request("challenge does not match"));
        }
        return Err(AppError::invalid_request("challenge already used"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DESIGN §4: `encryptionKeyUri` is a `did:key:z6LS…#z6LS…` (X25519) DID URL.
pub(crate) fn wallet_session_key(
    uri: &str,
) -> Result<wallet_core::keys::X25519PublicKey, AppError> {
    let bad = || AppError::invalid_request("encryptionKeyUri must be did:key:z6LS…#z6LS…");
    let url = DidUrl::parse(uri).map_err(|_| bad())?;
    if url.fragment() != Some(url.did().method_specific_id()) || !url.path().is_empty() {
        return Err(bad());
    }
    match did::key::decode(url.did()) {
        Ok(PublicKey::X25519(k)) => Ok(k),
        _ => Err(bad()),
    }
}

/// Finishes a login: issues the code or tokens, marks the session complete (once)
/// and returns the `redirect_to` URL for the page.
///
/// The caller must have verified the holder's presentation against the session's
/// challenge and the client's requirements (`/api/v1/credentials` does; tests also
/// call it directly).
///
/// Nothing is left half-written: the code or tokens are stored first (unrevealed
/// random handles, useless to anyone), then one conditional `UPDATE` completes the
/// session and stores a form_post response together; a concurrent completion that
/// loses that `UPDATE` deletes what it stored. (On SQLite a code and the completion
/// are one transaction, rolled back when the `UPDATE` loses.)
///
/// # Errors
/// `invalid_request` for an unknown, expired or already completed session; 500 for
/// storage and signing failures.
pub async fn complete_login(
    state: &AppState,
    login_challenge: &str,
    holder: VerifiedHolder,
) -> Result<String, AppError> {
    let session = live_session(state, login_challenge).await?;
    complete_session(state, login_challenge, session, holder, None).await
}

/// [`complete_login`] for a caller that has just read the live `session` (saves
/// reading it again; the completing `UPDATE` still checks it is live and unfinished).
///
/// `spends` is the credential request challenge the holder's presentation was
/// verified against: the completing `UPDATE` then also requires it to be still
/// outstanding and clears it, so spending the challenge and completing the session
/// are one statement (a concurrent submission of the same challenge, or a newer
/// challenge fetched meanwhile, makes it affect no row).
pub(crate) async fn complete_session(
    state: &AppState,
    login_challenge: &str,
    session: Session,
    holder: VerifiedHolder,
    spends: Option<&str>,
) -> Result<String, AppError> {
    let now = now();
    let request = session.request;
    let stored = clients::get(&state.db, &request.client_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::invalid_request("the client no longer exists"))?;
    let client = &stored.config;
    let sub = grants::subject(state, client, &holder.did)?;
    // OIDC Core §3.1.2.1 id_token_hint: "If the End-User identified by the ID Token is
    // logged in or is logged in by the request, then the Authorization Server returns
    // a positive response; otherwise, it SHOULD return an error, such as
    // login_required."
    if request
        .id_token_hint_sub
        .as_ref()
        .is_some_and(|h| *h != sub)
    {
        let params = vec![
            ("error", "login_required".to_owned()),
            (
                "error_description",
                "the wallet's holder is not the End-User of id_token_hint".to_owned(),
            ),
        ];
        return finish(state, login_challenge, &request, params, spends).await;
    }
    let grant = Grant {
        sub: Some(sub),
        claims: holder.claims,
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        auth_time: Some(now),
        code_challenge: request.code_challenge.clone(),
        // On a code: the key its redemption must prove (RFC 9449 §10).
        dpop_jkt: request.dpop_jkt.clone(),
    };
    let (params, issued) = match request.response_type {
        ResponseType::Code if state.db.backend == Backend::Sqlite => {
            // One transaction stores the code and completes the session: one
            // group-commit wait, and nothing to discard when the session was completed
            // by someone else meanwhile (the transaction rolls back).
            let (code, insert) = grants::new_code(
                state,
                &client.client_id,
                &request.target.redirect_uri,
                &grant,
            )?;
            let (url, complete) = completion(
                state,
                login_challenge,
                &request,
                vec![("code", code)],
                spends,
            )?;
            let mut tx = state.db.begin().await?;
            insert.execute_in(&mut tx).await?;
            if complete.execute_in(&mut tx).await?.rows_affected() != 1 {
                tx.rollback().await?;
                return Err(already_finished());
            }
            tx.commit().await?;
            tracing::info!(client_id = %client.client_id, "login completed");
            return Ok(url);
        }
        ResponseType::Code => {
            let code = grants::create_code(
                state,
                &client.client_id,
                &request.target.redirect_uri,
                &grant,
            )
            .await?;
            let issued = Issued::Code(handle_hash(&code));
            (vec![("code", code)], issued)
        }
        ResponseType::IdToken => (
            vec![(
                "id_token",
                grants::id_token(state, client, &grant, None, None)?,
            )],
            Issued::Nothing,
        ),
        ResponseType::IdTokenToken => {
            let access =
                grants::create_access_token(state, &client.client_id, &grant, None, None).await?;
            let issued = Issued::AccessToken(handle_hash(&access));
            let id_token = grants::id_token(state, client, &grant, Some(&access), None)?;
            (
                vec![
                    ("access_token", access),
                    ("token_type", "Bearer".to_owned()),
                    (
                        "expires_in",
                        state.config.access_token_lifetime_secs.to_string(),
                    ),
                    ("id_token", id_token),
                ],
                issued,
            )
        }
    };
    match finish(state, login_challenge, &request, params, spends).await {
        Ok(url) => {
            tracing::info!(client_id = %client.client_id, "login completed");
            Ok(url)
        }
        Err(e) => {
            issued.discard(state).await;
            Err(e)
        }
    }
}

/// What [`complete_login`] stored before completing the session.
enum Issued {
    Nothing,
    Code(String),
    AccessToken(String),
}

impl Issued {
    /// Best effort: the handles were never shown to anyone, so a failure to delete
    /// leaves only unreachable rows that expire.
    async fn discard(self, state: &AppState) {
        let (sql, hash) = match self {
            Self::Nothing => return,
            Self::Code(h) => ("DELETE FROM auth_codes WHERE code_hash = $1", h),
            Self::AccessToken(h) => ("DELETE FROM access_tokens WHERE token_hash = $1", h),
        };
        if let Err(e) = crate::db::query(sql).bind(hash).execute(&state.db).await {
            tracing::warn!(error = %e, "discarding an unused grant failed");
        }
    }
}

/// Ends a login the user declined: `error=access_denied` to the client.
///
/// # Errors
/// As [`complete_login`].
pub async fn reject_login(state: &AppState, login_challenge: &str) -> Result<String, AppError> {
    let session = live_session(state, login_challenge).await?;
    let params = vec![
        ("error", "access_denied".to_owned()),
        ("error_description", "the user declined".to_owned()),
    ];
    finish(state, login_challenge, &session.request, params, None).await
}

/// Completes the session — once, in one statement that also stores a form_post
/// response and spends the credential request challenge `spends` — and returns the
/// `redirect_to` URL.
async fn finish(
    state: &AppState,
    login_challenge: &str,
    request: &AuthorizationRequest,
    params: Vec<(&'static str, String)>,
    spends: Option<&str>,
) -> Result<String, AppError> {
    let (redirect_to, complete) = completion(state, login_challenge, request, params, spends)?;
    if complete.execute(&state.db).await?.rows_affected() != 1 {
        return Err(already_finished());
    }
    Ok(redirect_to)
}

fn already_finished() -> AppError {
    AppError::invalid_request(
        "login session already finished, or its credential request challenge already used",
    )
}

/// The `redirect_to` URL of a completed login and the statement that completes its
/// session (affecting one row only if the session was live and unfinished and, when
/// `spends` is given, that credential request challenge still outstanding).
fn completion(
    state: &AppState,
    login_challenge: &str,
    request: &AuthorizationRequest,
    params: Vec<(&'static str, String)>,
    spends: Option<&str>,
) -> Result<(String, crate::db::Query<'static>), AppError> {
    let form_post = request.target.response_mode == ResponseMode::FormPost;
    // A form post cannot be a URL: keep the parameters for one visit of
    // `/login/finish`, which renders the auto-submitting form.
    let (redirect_to, stored) = if form_post {
        let stored: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        (
            format!(
                "{}/login/finish?login_challenge={login_challenge}",
                state.config.issuer
            ),
            Some(serde_json::to_string(&stored).map_err(AppError::internal)?),
        )
    } else {
        (
            authorize::response_url(state, &request.target, params)?,
            None,
        )
    };
    let now = now();
    let sql = match spends {
        None => {
            "UPDATE login_sessions SET completed_at = $1, response = $2 WHERE id_hash = $3 \
             AND completed_at IS NULL AND expires_at > $4"
        }
        Some(_) => {
            "UPDATE login_sessions SET completed_at = $1, response = $2, vp_challenge = NULL \
             WHERE id_hash = $3 AND completed_at IS NULL AND expires_at > $4 \
             AND vp_challenge = $5"
        }
    };
    let mut complete = crate::db::query(sql)
        .bind(now)
        .bind(stored)
        .bind(handle_hash(login_challenge))
        .bind(now);
    if let Some(challenge) = spends {
        complete = complete.bind(challenge.to_owned());
    }
    Ok((redirect_to, complete))
}

/// `GET /login/finish`: the form_post response of a completed login, once.
///
/// # Errors
/// An unknown session or a response already delivered (error page).
pub async fn login_finish(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let handle = query
        .handle()
        .map_err(|e| AppError::ErrorPage(e.to_string()))?;
    let gone = || AppError::ErrorPage("this login has already been delivered".into());
    let row: Option<(String, Option<String>)> =
        crate::db::query_as("SELECT request, response FROM login_sessions WHERE id_hash = $1")
            .bind(handle_hash(handle))
            .fetch_optional(&state.db)
            .await?;
    let Some((request, Some(response))) = row else {
        return Err(gone());
    };
    let taken = crate::db::query(
        "UPDATE login_sessions SET response = NULL WHERE id_hash = $1 AND response IS NOT NULL",
    )
    .bind(handle_hash(handle))
    .execute(&state.db)
    .await?
    .rows_affected()
        == 1;
    if !taken {
        return Err(gone());
    }
    let request: AuthorizationRequest =
        serde_json::from_str(&request).map_err(AppError::internal)?;
    let params: Vec<(String, String)> =
        serde_json::from_str(&response).map_err(AppError::internal)?;
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    for (k, v) in params {
        let name = match k.as_str() {
            "code" => "code",
            "id_token" => "id_token",
            "access_token" => "access_token",
            "token_type" => "token_type",
            "expires_in" => "expires_in",
            "error" => "error",
            "error_description" => "error_description",
            _ => continue,
        };
        fields.push((name, v));
    }
    authorize::respond(&state, &request.target, fields)
}

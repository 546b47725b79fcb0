//! OpenID for Verifiable Presentations 1.0 for cross-device and headless wallets
//! (DESIGN §4, last paragraph): the provider is the Verifier of a login session.
//!
//! 1. The `/login` page asks `GET /api/v1/oid4vp/request?login_challenge=…` for an
//!    Authorization Request: `openid4vp://?client_id=…&request_uri=…&request_uri_method=post`.
//!    Each call starts a *transaction* of the session (random `request_uri` handle,
//!    `state`, `nonce`; it ends with the session at the latest).
//! 2. The wallet fetches the Request Object at `request_uri` (`GET`, or `POST` with
//!    `wallet_nonce` per §5.10): a JWT `typ` `oauth-authz-req+jwt` signed with the
//!    provider DID's Ed25519 key, `client_id` `decentralized_identifier:<did>` (§5.9.3),
//!    `response_type` `vp_token`, `response_mode` `direct_post`, `response_uri`,
//!    `nonce`, `state`, and `dcql_query` — or `presentation_definition` for a Login
//!    Configuration that uses DIF Presentation Exchange (the pre-1.0 drafts that
//!    Affinidi-style configurations are written for).
//!
//!    By default (`--oid4vp-response-mode direct_post.jwt`) the `response_mode` is
//!    `direct_post.jwt` (§8.3): `client_metadata.jwks` holds a P-256 key made for
//!    this transaction (`alg` `ECDH-ES`, `kid` the hash of its `state`), stored
//!    sealed with the transaction and forgotten once a response is consumed, and
//!    `encrypted_response_enc_values_supported` lists `A128GCM` and `A256GCM`.
//! 3. The wallet posts `vp_token` and `state` (and `presentation_submission` for
//!    PEX), or `error`, to `response_uri` ([`direct_post`]); with `direct_post.jwt`
//!    it posts them as the JSON payload of a JWE in `response`, and presentations
//!    sent in the clear are refused (an `error` may still come in the clear, §8.3).
//!    Only a live, unanswered `state` is accepted, and one `UPDATE` consumes it:
//!    whatever the outcome, a transaction verifies at most one response. The
//!    presentations (an `ldp_vp`, a VP-JWT or an SD-JWT VC with a Key Binding JWT, as
//!    the format asks; see [`Requested`]) are verified with wallet-core under the same
//!    policy as `/api/v1/credentials` (trusted issuers, holder binding, validity,
//!    status) but bound to the OID4VP values: proof `challenge` / JWT `nonce` =
//!    `nonce`, proof `domain` / JWT `aud` = `client_id` (§14.1.2, Appendix B). The
//!    answer is
//!    `{"redirect_uri": "<issuer>/login/oid4vp/callback#response_code=…"}` with a
//!    fresh single-use `response_code` (§8.2, §13.3).
//! 4. The verified holder waits in the transaction until a browser of the login
//!    session claims it, once: the page that redirect lands on posts the
//!    `response_code` ([`redeem_response_code`]; the login is named by a cookie set
//!    in step 1, or by `login_challenge`), or the `/login` page that polls
//!    [`status`] (the cross-device case). Only then is the login completed
//!    ([`crate::login::complete_login`], or [`crate::login::reject_login`] after
//!    `error=access_denied`) and the RP redirect handed out.

mod vp_token;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::jwe::{self, KeyManagement};
use wallet_core::jwk::Jwk;
use wallet_core::keys::{P256PrivateKey, PrivateKey, PublicKey};
use wallet_core::random::OsRandom;
use zeroize::Zeroizing;

use crate::AppState;
use crate::config::Oid4vpResponseMode;
use crate::credentials::{self, Verification};
use crate::error::{AppError, ErrorCode};
use crate::login::{self, LoginQuery, VerifiedHolder};
use crate::web::{self, ReadBody, handle_hash, random_handle};

pub use self::vp_token::Requested;

/// The Client Identifier Prefix of a Verifier identified by a DID (OID4VP 1.0
/// §5.9.3): "the original Client Identifier (the part without the prefix
/// `decentralized_identifier:`) is a Decentralized Identifier".
pub const CLIENT_ID_PREFIX: &str = "decentralized_identifier:";
/// The Request Object `aud` under static discovery (§5.8): "the `aud` claim MUST be
/// `https://self-issued.me/v2`".
pub const REQUEST_OBJECT_AUDIENCE: &str = "https://self-issued.me/v2";
/// The media type of the Request URI response (§5.10.1, RFC 9101 §10.2).
pub const REQUEST_OBJECT_MEDIA_TYPE: &str = "application/oauth-authz-req+jwt";
/// The custom scheme wallets register (§9, §12.1.2: `openid4vp://`).
pub const WALLET_SCHEME: &str = "openid4vp://";
/// The cookie that names the login session for the `response_code` redemption on
/// the device that started the login.
pub const LOGIN_COOKIE: &str = "oid4vp_login";
/// Path of the `response_uri`.
pub const RESPONSE_PATH: &str = "/oid4vp/response";
/// Path prefix of `request_uri`s.
pub const REQUEST_PATH: &str = "/oid4vp/request/";
/// Path of the page the wallet's redirect lands on.
pub const CALLBACK_PATH: &str = "/login/oid4vp/callback";
/// Longest `wallet_nonce` accepted, in bytes.
pub const MAX_WALLET_NONCE_LEN: usize = 256;
/// The content encryption a `direct_post.jwt` response may use (§8.3, announced as
/// `encrypted_response_enc_values_supported`); `A128GCM` is the one a wallet assumes
/// when none is announced.
pub const RESPONSE_ENC_VALUES: [&str; 2] = ["A128GCM", "A256GCM"];

/// The callback page script, served from `/login/oid4vp/callback.js`.
pub const CALLBACK_JS: &str = include_str!("login/oid4vp_callback.js");

/// The provider's `client_id` as a Verifier.
#[must_use]
pub fn client_id(state: &AppState) -> String {
    format!("{CLIENT_ID_PREFIX}{}", state.identity.did().as_str())
}

fn response_uri(state: &AppState) -> String {
    format!("{}{RESPONSE_PATH}", state.config.issuer)
}

/// The `state` of a transaction, derived from its `request_uri` handle (so that
/// only hashes are stored and every fetch of the Request Object can repeat it).
fn state_of(handle: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"oid4vp state\0");
    hash.update(handle.as_bytes());
    b64u_encode(hash.finalize())
}

/// The `kid` of a transaction's response encryption key: the hash of its `state`, as
/// stored, so that an encrypted response names its transaction before it is opened.
/// (Whoever holds the Request Object knows the `state` anyway.)
fn response_kid(handle: &str) -> String {
    handle_hash(&state_of(handle))
}

/// The at-rest name (associated data) of a transaction's response key.
fn response_key_row(id_hash: &str) -> String {
    format!("oid4vp_transactions/{id_hash}")
}

/// A fresh response encryption key for a `direct_post.jwt` transaction, as stored.
fn new_response_key(state: &AppState, id_hash: &str) -> Result<String, AppError> {
    let key = P256PrivateKey::generate(&mut OsRandom).map_err(AppError::internal)?;
    state
        .keys
        .at_rest()
        .seal(&response_key_row(id_hash), &b64u_encode(*key.to_bytes()))
        .map_err(AppError::internal)
}

/// The transaction's response decryption key, if it asked for `direct_post.jwt`.
fn response_key(state: &AppState, tx: &Transaction) -> Result<Option<P256PrivateKey>, AppError> {
    let Some(stored) = &tx.response_key else {
        return Ok(None);
    };
    let opened = state
        .keys
        .at_rest()
        .open(&response_key_row(&tx.id_hash), stored)
        .map_err(AppError::internal)?;
    let bytes = Zeroizing::new(b64u_decode(&opened.value).map_err(AppError::internal)?);
    P256PrivateKey::from_bytes(&bytes)
        .map(Some)
        .map_err(AppError::internal)
}

/// A transaction row.
#[derive(Debug)]
struct Transaction {
    id_hash: String,
    login_hash: String,
    nonce: String,
    expires_at: i64,
    answered_at: Option<i64>,
    outcome: Option<String>,
    holder: Option<String>,
    error_description: Option<String>,
    delivered_at: Option<i64>,
    /// The private key of a `direct_post.jwt` response, as stored (sealed).
    response_key: Option<String>,
}

/// How transactions are looked up.
#[derive(Debug, Clone, Copy)]
enum Key {
    /// By the hash of the `request_uri` handle.
    Request,
    /// By the hash of `state`.
    State,
    /// By the hash of the `response_code`.
    ResponseCode,
    /// All of a login session, newest first.
    Login,
}

/// The transactions whose `key` column holds `hash`.
async fn transactions(
    state: &AppState,
    key: Key,
    hash: &str,
) -> Result<Vec<Transaction>, AppError> {
    const SELECT: &str = "SELECT id_hash, login_hash, nonce, expires_at, answered_at, outcome, \
                          holder, error_description, delivered_at, response_key \
                          FROM oid4vp_transactions";
    let filter = match key {
        Key::Request => "WHERE id_hash = $1",
        Key::State => "WHERE state_hash = $1",
        Key::ResponseCode => "WHERE response_code_hash = $1",
        Key::Login => "WHERE login_hash = $1 ORDER BY created_at DESC, id_hash",
    };
    type Row = (
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = crate::db::query_as(&format!("{SELECT} {filter}"))
        .bind(hash)
        .fetch_all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id_hash,
                login_hash,
                nonce,
                expires_at,
                answered_at,
                outcome,
                holder,
                error_description,
                delivered_at,
                response_key,
            )| Transaction {
                id_hash,
                login_hash,
                nonce,
                expires_at,
                answered_at,
                outcome,
                holder,
                error_description,
                delivered_at,
                response_key,
            },
        )
        .collect())
}

impl Transaction {
    /// Unanswered and unexpired.
    fn is_live(&self, now: i64) -> bool {
        self.answered_at.is_none() && self.expires_at > now
    }

    /// Verified or declined, and not yet handed to a browser.
    fn is_deliverable(&self) -> bool {
        self.delivered_at.is_none()
            && matches!(
                Outcome::parse(self.outcome.as_deref()),
                Some(Outcome::Verified | Outcome::Declined)
            )
    }
}

/// `GET /api/v1/oid4vp/request?login_challenge=…` → `{authorization_request,
/// client_id, request_uri, request_uri_method, expires_in}`: a new transaction for
/// the live login session, and a cookie naming the session for the
/// `response_code` redemption on this device.
///
/// # Errors
/// 400 for an unknown or finished session, or a client whose requirements cannot
/// be asked for over OID4VP.
pub async fn create_request(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let login = query.handle()?;
    let session = login::live_session(&state, login).await?;
    let client = credentials::client_of(&state, &session).await?;
    // Refuse now what could never be verified later.
    Requested::of(&client.config)?;
    let handle = random_handle()?;
    let nonce = random_handle()?;
    let now = state.clock.now();
    let expires_at = now
        .saturating_add(i64::from(state.config.oid4vp_request_lifetime_secs))
        .min(session.expires_at);
    let id_hash = handle_hash(&handle);
    let response_key = match state.config.oid4vp_response_mode {
        Oid4vpResponseMode::DirectPostJwt => Some(new_response_key(&state, &id_hash)?),
        Oid4vpResponseMode::DirectPost => None,
    };
    crate::db::query(
        "INSERT INTO oid4vp_transactions (id_hash, state_hash, login_hash, nonce, created_at, \
         expires_at, response_key) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id_hash)
    .bind(response_kid(&handle))
    .bind(handle_hash(login))
    .bind(&nonce)
    .bind(now)
    .bind(expires_at)
    .bind(response_key)
    .execute(&state.db)
    .await?;
    let client_id = client_id(&state);
    let request_uri = format!("{}{REQUEST_PATH}{handle}", state.config.issuer);
    let authorization_request = format!(
        "{WALLET_SCHEME}?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &client_id)
            .append_pair("request_uri", &request_uri)
            .append_pair("request_uri_method", "post")
            .finish()
    );
    let mut response = web::json_no_store(json!({
        "authorization_request": authorization_request,
        "client_id": client_id,
        "request_uri": request_uri,
        "request_uri_method": "post",
        "expires_in": expires_at.saturating_sub(now),
    }));
    let secure = if state.config.issuer.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LOGIN_COOKIE}={login}; Path=/api/v1/oid4vp/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        session.expires_at.saturating_sub(web::now()).max(0)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    tracing::info!(client_id = %session.request.client_id, "oid4vp request created");
    Ok(response)
}

/// `GET` or `POST` at a `request_uri` → the signed Request Object
/// (`application/oauth-authz-req+jwt`). A `POST` (§5.10, `request_uri_method=post`)
/// may carry `wallet_nonce`, which the Request Object then repeats.
///
/// # Errors
/// 400 for an unknown, answered or expired transaction, or a finished session
/// (§5.10.2: the wallet "MUST terminate the process").
pub async fn request_object(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    ReadBody(body): ReadBody,
) -> Result<Response, AppError> {
    let gone = || AppError::invalid_request("request_uri unknown, answered or expired");
    if handle.is_empty() || handle.len() > 128 {
        return Err(gone());
    }
    let form = web::Params::parse(
        std::str::from_utf8(&body).map_err(|_| AppError::invalid_request("body is not UTF-8"))?,
    )?;
    let wallet_nonce = form.get("wallet_nonce");
    if wallet_nonce.is_some_and(|n| n.len() > MAX_WALLET_NONCE_LEN) {
        return Err(AppError::invalid_request("wallet_nonce too long"));
    }
    let now = state.clock.now();
    let tx = transactions(&state, Key::Request, &handle_hash(&handle))
        .await?
        .into_iter()
        .find(|t| t.is_live(now))
        .ok_or_else(gone)?;
    let session = login::live_session_by_hash(&state, &tx.login_hash).await?;
    let client = credentials::client_of(&state, &session).await?;
    let requested = Requested::of(&client.config)?;
    let mut claims = Map::new();
    claims.insert("aud".into(), REQUEST_OBJECT_AUDIENCE.into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), tx.expires_at.into());
    claims.insert("client_id".into(), client_id(&state).into());
    claims.insert("response_type".into(), "vp_token".into());
    claims.insert("response_uri".into(), response_uri(&state).into());
    claims.insert("nonce".into(), tx.nonce.clone().into());
    claims.insert("state".into(), state_of(&handle).into());
    let (name, query) = requested.request_parameter();
    claims.insert(name.into(), query);
    let mut metadata = requested.client_metadata(&client.config);
    match (response_key(&state, &tx)?, &mut metadata) {
        (Some(key), Value::Object(metadata)) => {
            // §8.3: the key to encrypt the response to, with its `alg`, and the
            // content encryption accepted.
            claims.insert("response_mode".into(), "direct_post.jwt".into());
            let mut jwk = Jwk::from_public_key(&PublicKey::P256(key.public_key()));
            jwk.kid = Some(response_kid(&handle));
            jwk.use_ = Some("enc".into());
            jwk.alg = Some(KeyManagement::EcdhEs.name().into());
            metadata.insert(
                "jwks".into(),
                json!({ "keys": [serde_json::to_value(&jwk).map_err(AppError::internal)?] }),
            );
            metadata.insert(
                "encrypted_response_enc_values_supported".into(),
                json!(RESPONSE_ENC_VALUES),
            );
        }
        _ => {
            claims.insert("response_mode".into(), "direct_post".into());
        }
    }
    claims.insert("client_metadata".into(), metadata);
    if let Some(n) = wallet_nonce {
        claims.insert("wallet_nonce".into(), n.into());
    }
    let jwt = state
        .identity
        .sign_request_object(&claims)
        .map_err(AppError::internal)?;
    let mut response = jwt.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(REQUEST_OBJECT_MEDIA_TYPE),
    );
    web::no_store(response.headers_mut());
    Ok(response)
}

/// How a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The presentations verified; the holder waits for delivery.
    Verified,
    /// The wallet answered `error=access_denied`: the RP gets `access_denied`.
    Declined,
    /// Verification failed or the wallet answered another error; the login stays
    /// open for another attempt.
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Declined => "declined",
            Self::Failed => "failed",
        }
    }

    fn parse(stored: Option<&str>) -> Option<Self> {
        match stored? {
            "verified" => Some(Self::Verified),
            "declined" => Some(Self::Declined),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Stores how a consumed transaction ended; a `response_code` for outcomes the
/// browser collects. Returns that `response_code`.
async fn record(
    state: &AppState,
    tx: &Transaction,
    outcome: Outcome,
    holder: Option<&VerifiedHolder>,
    error_description: Option<&str>,
) -> Result<Option<String>, AppError> {
    let code = match outcome {
        Outcome::Failed => None,
        Outcome::Verified | Outcome::Declined => Some(random_handle()?),
    };
    let holder = holder
        .map(|h| {
            serde_json::to_string(&StoredHolder {
                did: h.did.clone(),
                claims: h.claims.clone(),
            })
        })
        .transpose()
        .map_err(AppError::internal)?;
    crate::db::query(
        "UPDATE oid4vp_transactions SET outcome = $1, holder = $2, error_description = $3, \
         response_code_hash = $4 WHERE id_hash = $5 AND outcome IS NULL",
    )
    .bind(outcome.as_str())
    .bind(holder)
    .bind(error_description.map(crate::error::sanitize_description))
    .bind(code.as_deref().map(handle_hash))
    .bind(&tx.id_hash)
    .execute(&state.db)
    .await?;
    Ok(code)
}

fn redirect_answer(state: &AppState, code: &str) -> Response {
    // The fragment, as in §8.2's example: the code reaches only the page's script,
    // never a server log, a proxy or a Referer header.
    web::json_no_store(json!({
        "redirect_uri": format!("{}{CALLBACK_PATH}#response_code={code}", state.config.issuer)
    }))
}

/// `POST /oid4vp/response` (`response_mode` `direct_post`, §8.2, or
/// `direct_post.jwt`, §8.3): the wallet's Authorization Response, form-encoded, or
/// encrypted in the form's `response` parameter.
///
/// # Errors
/// 400 `invalid_request` for a missing, unknown, answered or expired `state`, a
/// malformed response, an encrypted response that does not open with its
/// transaction's key or carries another `state`, presentations in the clear for a
/// `direct_post.jwt` request, and every failed check of the presentations (the
/// transaction is then spent; the `/login` page can start another).
pub async fn direct_post(
    State(state): State<AppState>,
    ReadBody(body): ReadBody,
) -> Result<Response, AppError> {
    let mut params = vp_token::form_params(&body)?;
    let now = state.clock.now();
    let refused = || AppError::invalid_request("state is unknown, already answered or expired");
    let (response, tx) = if let Some(jwe) = params.remove("response") {
        // `direct_post.jwt` (§8.3): the `kid` of the key the response is encrypted
        // to names the transaction; its `state` must be the transaction's too.
        let kid = jwe::peek_header(&jwe)
            .map_err(|e| AppError::invalid_request(format!("response is not a JWE: {e}")))?
            .kid
            .ok_or_else(|| AppError::invalid_request("the encrypted response names no kid"))?;
        let tx = transactions(&state, Key::State, &kid)
            .await?
            .into_iter()
            .find(|t| t.is_live(now))
            .ok_or_else(refused)?;
        let key = response_key(&state, &tx)?.ok_or_else(|| {
            AppError::invalid_request("this request asked for a plain direct_post response")
        })?;
        let opened = jwe::decrypt(&jwe, &PrivateKey::P256(key), &[KeyManagement::EcdhEs])
            .map_err(|e| AppError::invalid_request(format!("encrypted response rejected: {e}")))?;
        let response = vp_token::AuthorizationResponse::from_json(&opened.plaintext)?;
        if handle_hash(&response.state) != kid {
            return Err(AppError::invalid_request(
                "the encrypted response is for another state than its key's",
            ));
        }
        (response, tx)
    } else {
        let response = vp_token::AuthorizationResponse::from_params(params)?;
        let tx = transactions(&state, Key::State, &handle_hash(&response.state))
            .await?
            .into_iter()
            .find(|t| t.is_live(now))
            .ok_or_else(refused)?;
        // §8.3: a wallet that cannot encrypt may still send an error in the clear,
        // but presentations asked for encrypted never come in the clear.
        if tx.response_key.is_some() && matches!(response.answer, vp_token::Answer::VpToken { .. })
        {
            return Err(AppError::invalid_request(
                "this request asked for an encrypted response (response_mode direct_post.jwt)",
            ));
        }
        (response, tx)
    };
    let session = login::live_session_by_hash(&state, &tx.login_hash).await?;
    // §14.3.2 "Protection of the Response URI": one conditional UPDATE; only the
    // first response for this state goes on, whatever its outcome.
    let won = crate::db::query(
        "UPDATE oid4vp_transactions SET answered_at = $1, response_key = NULL \
         WHERE id_hash = $2 AND answered_at IS NULL AND expires_at > $3",
    )
    .bind(now)
    .bind(&tx.id_hash)
    .bind(now)
    .execute(&state.db)
    .await?
    .rows_affected()
        == 1;
    if !won {
        return Err(refused());
    }
    let (vp_token, submission) = match response.answer {
        vp_token::Answer::Error { error } => {
            let declined = error == "access_denied";
            let outcome = if declined {
                Outcome::Declined
            } else {
                Outcome::Failed
            };
            let description = format!("the wallet answered {error}");
            let code = record(&state, &tx, outcome, None, Some(&description)).await?;
            tracing::info!(client_id = %session.request.client_id, error = %error, "oid4vp wallet error");
            return Ok(match code {
                Some(code) => redirect_answer(&state, &code),
                None => web::json_no_store(json!({})),
            });
        }
        vp_token::Answer::VpToken {
            vp_token,
            presentation_submission,
        } => (vp_token, presentation_submission),
    };
    let verified = verify(&state, &session, &tx, vp_token, submission).await;
    match verified {
        Ok(holder) => {
            let code = record(&state, &tx, Outcome::Verified, Some(&holder), None).await?;
            tracing::info!(client_id = %session.request.client_id, "oid4vp presentation verified");
            match code {
                Some(code) => Ok(redirect_answer(&state, &code)),
                None => Err(AppError::internal(
                    "no response_code for a verified outcome",
                )),
            }
        }
        Err(e) => {
            let description = match &e {
                AppError::OAuth { description, .. } => description.clone(),
                _ => "internal error".to_owned(),
            };
            record(&state, &tx, Outcome::Failed, None, Some(&description)).await?;
            Err(e)
        }
    }
}

async fn verify(
    state: &AppState,
    session: &login::Session,
    tx: &Transaction,
    vp_token: String,
    submission: Option<String>,
) -> Result<VerifiedHolder, AppError> {
    let client = credentials::client_of(state, session).await?;
    let requested = Requested::of(&client.config)?;
    // §14.1.2: the proof binds the nonce (challenge) and the client_id (domain).
    let verification =
        Verification::new(state, &client.config, tx.nonce.clone(), client_id(state))?;
    let verified = verification
        .run(vp_token, move |vp_token, policy, resolver, status| {
            requested.verify(vp_token, submission.as_deref(), policy, resolver, status)
        })
        .await?;
    credentials::verified_holder(&client.config, &verified)
}

/// Hands the verified holder (or the refusal) of `tx` to the login session
/// `login`, once: the conditional `UPDATE` on `delivered_at` picks the one caller
/// that completes the login. `None` when another caller was first.
async fn deliver(
    state: &AppState,
    login: &str,
    tx: Transaction,
) -> Result<Option<String>, AppError> {
    let won = crate::db::query(
        "UPDATE oid4vp_transactions SET delivered_at = $1 WHERE id_hash = $2 \
         AND delivered_at IS NULL AND outcome IN ('verified', 'declined')",
    )
    .bind(state.clock.now())
    .bind(&tx.id_hash)
    .execute(&state.db)
    .await?
    .rows_affected()
        == 1;
    if !won {
        return Ok(None);
    }
    let redirect_to = match Outcome::parse(tx.outcome.as_deref()) {
        Some(Outcome::Verified) => {
            let stored: StoredHolder = tx
                .holder
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(AppError::internal)?
                .ok_or_else(|| AppError::internal("verified transaction without holder"))?;
            let holder = VerifiedHolder {
                did: stored.did,
                claims: stored.claims,
            };
            login::complete_login(state, login, holder).await
        }
        _ => login::reject_login(state, login).await,
    };
    // The holder's claims are not kept once handed over (best effort: the row
    // cannot be delivered twice anyway).
    if let Err(e) =
        crate::db::query("UPDATE oid4vp_transactions SET holder = NULL WHERE id_hash = $1")
            .bind(&tx.id_hash)
            .execute(&state.db)
            .await
    {
        tracing::warn!(error = %e, "clearing a delivered oid4vp holder failed");
    }
    redirect_to.map(Some)
}

/// A verified holder as the transaction keeps it until delivery.
#[derive(Debug, Serialize, Deserialize)]
struct StoredHolder {
    did: String,
    claims: Map<String, Value>,
}

/// `GET /api/v1/oid4vp/status?login_challenge=…`, polled by the `/login` page:
/// `{"status": "pending"}`, `{"status": "complete", "redirect_to": url}` (once: this
/// call completes the login), `{"status": "delivered"}` (another browser collected
/// it with the `response_code`), `{"status": "failed", "error_description"}` or
/// `{"status": "expired"}` (the page may start another transaction).
///
/// # Errors
/// 400 for a login session without any OID4VP transaction, or when completing the
/// login fails.
pub async fn status(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let login = query.handle()?;
    let mut all = transactions(&state, Key::Login, &handle_hash(login)).await?;
    if all.is_empty() {
        return Err(AppError::invalid_request(
            "no wallet request for this login session",
        ));
    }
    let delivered = all.iter().any(|t| t.delivered_at.is_some());
    if let Some(i) = all.iter().position(Transaction::is_deliverable) {
        let tx = all.swap_remove(i);
        return Ok(web::json_no_store(
            match deliver(&state, login, tx).await? {
                Some(url) => json!({"status": "complete", "redirect_to": url}),
                None => json!({"status": "delivered"}),
            },
        ));
    }
    if delivered {
        return Ok(web::json_no_store(json!({"status": "delivered"})));
    }
    let now = state.clock.now();
    let latest = all.first();
    let answer = match latest {
        Some(t) if Outcome::parse(t.outcome.as_deref()) == Some(Outcome::Failed) => json!({
            "status": "failed",
            "error_description": t.error_description.clone().unwrap_or_default(),
        }),
        Some(t) if t.answered_at.is_none() && t.expires_at <= now => json!({"status": "expired"}),
        _ => json!({"status": "pending"}),
    };
    Ok(web::json_no_store(answer))
}

/// The body of `POST /api/v1/oid4vp/response_code`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseCodeBody {
    response_code: String,
}

/// `POST /api/v1/oid4vp/response_code` with `{"response_code"}` from the page the
/// wallet's redirect landed on; the login session is named by the cookie set with
/// the Authorization Request, or by `login_challenge` → `{"redirect_to": url}`.
///
/// §13.3 step 8: the response is released only to the session that started the
/// transaction and only against the `response_code` the wallet was given, once.
///
/// # Errors
/// 400 `invalid_request` without a login session; 400 `invalid_grant` for an
/// unknown or used `response_code` or one of another login.
pub async fn redeem_response_code(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
    ReadBody(body): ReadBody,
) -> Result<Response, AppError> {
    let login = match query.handle() {
        Ok(h) => h.to_owned(),
        Err(e) => web::cookie(&headers, LOGIN_COOKIE).ok_or(e)?,
    };
    let body: ResponseCodeBody = serde_json::from_slice(&body)
        .map_err(|_| AppError::invalid_request("body must be {\"response_code\": …}"))?;
    let invalid = |why: &str| AppError::oauth(ErrorCode::InvalidGrant, why);
    if body.response_code.is_empty() || body.response_code.len() > 128 {
        return Err(invalid("unknown response_code"));
    }
    let tx = transactions(&state, Key::ResponseCode, &handle_hash(&body.response_code))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| invalid("unknown response_code"))?;
    if tx.login_hash != handle_hash(&login) {
        return Err(invalid("the response_code belongs to another login"));
    }
    let redirect_to = deliver(&state, &login, tx)
        .await?
        .ok_or_else(|| invalid("the response_code was already used"))?;
    Ok(web::json_no_store(json!({ "redirect_to": redirect_to })))
}

/// `GET /login/oid4vp/callback`: the page the wallet sends the browser to; its
/// script posts the fragment's `response_code` and follows `redirect_to`.
pub async fn callback_page() -> Response {
    let body = "<main><h1>Finishing your login</h1>\
                <p id=\"status\" role=\"status\">One moment…</p></main>\
                <script src=\"/login/oid4vp/callback.js\"></script>";
    login::script_page("Finishing your login", body)
}

/// `GET /login/oid4vp/callback.js`.
pub async fn callback_js() -> Response {
    let mut response = CALLBACK_JS.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    response
}

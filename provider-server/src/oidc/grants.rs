//! What the provider hands out: authorization codes, access tokens, refresh token
//! families and id_tokens, all stored hashed and consumed atomically.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256, Sha512};
use wallet_core::encoding::b64u_encode;
use wallet_core::jws::Algorithm;

use crate::AppState;
use crate::clients::{LoginConfiguration, SubjectType};
use crate::db::{self, Backend};
use crate::error::AppError;
use crate::web::{handle_hash, now, random_handle};

/// What a grant carries from the login to the tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The subject (absent for `client_credentials`).
    pub sub: Option<String>,
    /// Extra claims for the id_token and userinfo (from the id_token mapping).
    #[serde(default)]
    pub claims: Map<String, Value>,
    /// Granted scopes.
    pub scope: String,
    /// The authorization request's `nonce`.
    pub nonce: Option<String>,
    /// When the holder authenticated.
    pub auth_time: Option<i64>,
    /// The S256 PKCE challenge the code is bound to.
    pub code_challenge: Option<String>,
    /// The RFC 7638 thumbprint of a DPoP key (RFC 9449): on an access or refresh
    /// token, the key it is bound to; on a code, the key whose proof must redeem it
    /// (`dpop_jkt`, §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

/// The `sub` of `holder_did` at `client`: stable across logins, never the DID
/// itself; [`public_subject`] or, for a `pairwise` client, the holder's identifier
/// in the client's sector ([`crate::keys::ProviderIdentity::pairwise_subject`]).
///
/// # Errors
/// A pairwise client without a sector identifier (registration refuses those; 500).
pub fn subject(
    state: &AppState,
    client: &LoginConfiguration,
    holder_did: &str,
) -> Result<String, AppError> {
    match client.subject_type {
        SubjectType::Public => Ok(public_subject(&state.config.issuer, holder_did)),
        SubjectType::Pairwise => {
            let sector = client
                .sector_identifier()
                .ok_or_else(|| AppError::internal("pairwise client without one sector"))?;
            Ok(state.identity.pairwise_subject(&sector, holder_did))
        }
    }
}

/// The public `sub`: stable per holder DID and issuer, and not the DID itself:
/// base64url(SHA-256(issuer ‖ 0x00 ‖ holder DID)).
#[must_use]
pub fn public_subject(issuer: &str, holder_did: &str) -> String {
    let mut h = Sha256::new();
    h.update(issuer.as_bytes());
    h.update([0u8]);
    h.update(holder_did.as_bytes());
    b64u_encode(h.finalize())
}

/// OIDC Core §3.1.3.6 / §3.3.2.11: base64url of the left half of the hash of the
/// ASCII value, with the hash of the id_token's `alg` (SHA-256 for RS256/ES256,
/// SHA-512 for EdDSA with Ed25519).
#[must_use]
pub fn half_hash(alg: Algorithm, value: &str) -> String {
    match alg {
        Algorithm::EdDSA => {
            let d = Sha512::digest(value.as_bytes());
            b64u_encode(d.get(..32).unwrap_or_default())
        }
        _ => {
            let d = Sha256::digest(value.as_bytes());
            b64u_encode(d.get(..16).unwrap_or_default())
        }
    }
}

/// Builds and signs an id_token (OIDC Core §2).
///
/// # Errors
/// Signing failures (500).
pub fn id_token(
    state: &AppState,
    client: &LoginConfiguration,
    grant: &Grant,
    access_token: Option<&str>,
    code: Option<&str>,
) -> Result<String, AppError> {
    let alg = client.id_token_alg();
    let key = state
        .keys
        .get()
        .and_then(|set| set.current(alg))
        .map_err(AppError::internal)?;
    let now = now();
    let mut claims = grant.claims.clone();
    let mut set = |k: &str, v: Value| {
        claims.insert(k.to_owned(), v);
    };
    set("iss", Value::String(state.config.issuer.clone()));
    set("sub", Value::String(grant.sub.clone().unwrap_or_default()));
    set("aud", Value::String(client.client_id.clone()));
    set("iat", now.into());
    set(
        "exp",
        now.saturating_add(i64::from(state.config.access_token_lifetime_secs))
            .into(),
    );
    if let Some(t) = grant.auth_time {
        set("auth_time", t.into());
    }
    if let Some(n) = &grant.nonce {
        set("nonce", Value::String(n.clone()));
    }
    if let Some(t) = access_token {
        set("at_hash", Value::String(half_hash(alg, t)));
    }
    if let Some(c) = code {
        set("c_hash", Value::String(half_hash(alg, c)));
    }
    key.sign_jwt(&claims).map_err(AppError::internal)
}

/// Checks an `id_token_hint` (OIDC Core §3.1.2.1) and returns its `sub`: an id_token
/// this provider signed (with a key it still publishes, current or previous), issued
/// by this issuer to `client_id`. Its expiry is not checked: the hint names an
/// End-User of a "current or past authenticated session", and OIDC Core expects old
/// id_tokens here.
///
/// # Errors
/// A description for `invalid_request`.
pub fn verify_id_token_hint(
    state: &AppState,
    client_id: &str,
    token: &str,
) -> Result<String, String> {
    let invalid = |why: &str| format!("id_token_hint is not valid: {why}");
    let claims = verify_own_id_token(state, token)?;
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !audience_ok {
        return Err(invalid("issued to another client"));
    }
    claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| invalid("no sub"))
}

/// The claims of an id_token this provider signed (with a key it still publishes,
/// current or previous) as this issuer, whatever its audience and expiry.
///
/// # Errors
/// A description for `invalid_request` (or an error page), naming the failed check.
pub fn verify_own_id_token(state: &AppState, token: &str) -> Result<Map<String, Value>, String> {
    let invalid = |why: &str| format!("id_token_hint is not valid: {why}");
    let header = wallet_core::jws::peek_header(token).map_err(|_| invalid("not a JWS"))?;
    let kid = header.kid.ok_or_else(|| invalid("no kid"))?;
    let set = state
        .keys
        .get()
        .map_err(|_| invalid("signing keys unavailable"))?;
    let (alg, key) = set
        .published_key(&kid)
        .ok_or_else(|| invalid("not signed by a key of this provider"))?;
    let claims = wallet_core::jws::verify_jwt(token, key, &[alg])
        .map_err(|_| invalid("signature does not verify"))?
        .claims;
    if claims.get("iss").and_then(Value::as_str) != Some(state.config.issuer.as_str()) {
        return Err(invalid("issued by another issuer"));
    }
    Ok(claims)
}

/// Stores a new authorization code for `grant`; returns the code.
///
/// # Errors
/// Database failures (500).
pub async fn create_code(
    state: &AppState,
    client_id: &str,
    redirect_uri: &str,
    grant: &Grant,
) -> Result<String, AppError> {
    let (code, insert) = new_code(state, client_id, redirect_uri, grant)?;
    insert.execute(&state.db).await?;
    Ok(code)
}

/// A new authorization code for `grant` and the `INSERT` that stores it (for a caller
/// that runs it inside its own transaction).
///
/// # Errors
/// When the OS random source fails.
pub fn new_code(
    state: &AppState,
    client_id: &str,
    redirect_uri: &str,
    grant: &Grant,
) -> Result<(String, db::Query<'static>), AppError> {
    let code = random_handle()?;
    let data = serde_json::to_string(grant).map_err(AppError::internal)?;
    let insert = db::query(
        "INSERT INTO auth_codes (code_hash, client_id, redirect_uri, grant_data, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(handle_hash(&code))
    .bind(client_id)
    .bind(redirect_uri)
    .bind(data)
    .bind(now().saturating_add(i64::from(state.config.code_lifetime_secs)));
    Ok((code, insert))
}

/// A redeemed code.
#[derive(Debug)]
pub struct RedeemedCode {
    /// Hash of the code (links the tokens it yields, for revocation).
    pub code_hash: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// When it expires.
    pub expires_at: i64,
    /// The grant.
    pub grant: Grant,
}

/// Consumes a code: exactly one caller gets `Ok(Some)`. A code that was already
/// used revokes everything its first redemption issued (RFC 6749 §4.1.2: "If an
/// authorization code is used more than once, the authorization server MUST deny the
/// request and SHOULD revoke (when possible) all tokens previously issued based on
/// that authorization code"), then `Ok(None)`.
///
/// # Errors
/// Database failures (500).
pub async fn redeem_code(state: &AppState, code: &str) -> Result<Option<RedeemedCode>, AppError> {
    let code_hash = handle_hash(code);
    let row = redeem_query(&code_hash).fetch_optional(&state.db).await?;
    let Some(row) = row else {
        unusable_code(state, &code_hash).await?;
        return Ok(None);
    };
    redeemed(code_hash, row).map(Some)
}

type RedeemRow = (String, String, String, i64);

/// One statement consumes the code and reads it back: the winner gets the row.
fn redeem_query(code_hash: &str) -> db::QueryAs<'static, RedeemRow> {
    db::query_as(
        "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
         RETURNING client_id, redirect_uri, grant_data, expires_at",
    )
    .bind(now())
    .bind(code_hash)
}

fn redeemed(
    code_hash: String,
    (client_id, redirect_uri, data, expires_at): RedeemRow,
) -> Result<RedeemedCode, AppError> {
    let grant = serde_json::from_str(&data).map_err(AppError::internal)?;
    Ok(RedeemedCode {
        code_hash,
        client_id,
        redirect_uri,
        expires_at,
        grant,
    })
}

/// A code that could not be consumed: unknown, or used before. A used one is marked
/// first: tokens of the first redemption that are still being written (another
/// instance, another transaction) check this mark when used, so the revocation below
/// cannot miss them. An unknown code marks nothing.
async fn unusable_code(state: &AppState, code_hash: &str) -> Result<(), AppError> {
    let marked = crate::db::query("UPDATE auth_codes SET reused_at = $1 WHERE code_hash = $2")
        .bind(now())
        .bind(code_hash)
        .execute(&state.db)
        .await?
        .rows_affected();
    if marked > 0 {
        revoke_code_grants(state, code_hash).await?;
    }
    Ok(())
}

/// Redeems `code` and stores the tokens it yields, bound to `dpop_jkt` when given
/// (RFC 9449), once `check` accepts the redeemed code (client, `redirect_uri`,
/// expiry, PKCE). `Ok(None)`: the code is unknown or was
/// used before (see [`redeem_code`]). A code `check` refuses stays consumed.
///
/// On SQLite the whole step is one transaction on the process's connection: one
/// group-commit wait instead of two. On PostgreSQL it is [`redeem_code`] then
/// [`create_code_tokens`], two statements, each its own round trip.
///
/// # Errors
/// What `check` returns; database failures (500).
pub async fn redeem_code_for_tokens(
    state: &AppState,
    code: &str,
    dpop_jkt: Option<String>,
    check: impl FnOnce(&RedeemedCode) -> Result<(), AppError>,
) -> Result<Option<(RedeemedCode, CodeTokens)>, AppError> {
    if state.db.backend == Backend::Postgres {
        let Some(mut redeemed) = redeem_code(state, code).await? else {
            return Ok(None);
        };
        check(&redeemed)?;
        redeemed.grant.dpop_jkt = dpop_jkt;
        let tokens = create_code_tokens(
            state,
            &redeemed.client_id,
            &redeemed.grant,
            &redeemed.code_hash,
        )
        .await?;
        return Ok(Some((redeemed, tokens)));
    }
    let code_hash = handle_hash(code);
    let mut tx = state.db.begin().await?;
    let Some(row) = redeem_query(&code_hash).fetch_optional_in(&mut tx).await? else {
        tx.rollback().await?;
        unusable_code(state, &code_hash).await?;
        return Ok(None);
    };
    let mut redeemed = redeemed(code_hash, row)?;
    if let Err(e) = check(&redeemed) {
        // Refused codes stay consumed (RFC 6749 §4.1.2: single use).
        tx.commit().await?;
        return Err(e);
    }
    redeemed.grant.dpop_jkt = dpop_jkt;
    let rows = CodeTokenRows::new(
        state,
        &redeemed.client_id,
        &redeemed.grant,
        &redeemed.code_hash,
    )?;
    rows.insert_in(&mut tx).await?;
    tx.commit().await?;
    Ok(Some((redeemed, rows.tokens)))
}

async fn revoke_code_grants(state: &AppState, code_hash: &str) -> Result<(), AppError> {
    let access = crate::db::query(
        "UPDATE access_tokens SET revoked = 1 WHERE code_hash = $1 OR family_id IN \
         (SELECT family_id FROM refresh_families WHERE code_hash = $2)",
    )
    .bind(code_hash)
    .bind(code_hash)
    .execute(&state.db)
    .await?
    .rows_affected();
    let families = crate::db::query("UPDATE refresh_families SET revoked = 1 WHERE code_hash = $1")
        .bind(code_hash)
        .execute(&state.db)
        .await?
        .rows_affected();
    if access + families > 0 {
        tracing::warn!(
            access_tokens = access,
            refresh_families = families,
            "authorization code reused: revoked what it issued"
        );
    }
    Ok(())
}

/// Stores a new access token; returns it.
///
/// # Errors
/// Database failures (500).
pub async fn create_access_token(
    state: &AppState,
    client_id: &str,
    grant: &Grant,
    code_hash: Option<&str>,
    family_id: Option<&str>,
) -> Result<String, AppError> {
    let token = random_handle()?;
    let data = serde_json::to_string(grant).map_err(AppError::internal)?;
    crate::db::query(
        "INSERT INTO access_tokens (token_hash, client_id, grant_data, code_hash, family_id, \
         expires_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(handle_hash(&token))
    .bind(client_id)
    .bind(data)
    .bind(code_hash)
    .bind(family_id)
    .bind(now().saturating_add(i64::from(state.config.access_token_lifetime_secs)))
    .execute(&state.db)
    .await?;
    Ok(token)
}

/// A live access or refresh token: what introspection (RFC 7662) reports of it.
#[derive(Debug)]
pub struct LiveToken {
    /// The client it was issued to.
    pub client_id: String,
    /// Its grant.
    pub grant: Grant,
    /// When it expires (unix seconds).
    pub expires_at: i64,
}

/// A live access token's grant and client.
///
/// # Errors
/// Database failures (500).
pub async fn lookup_access_token(
    state: &AppState,
    token: &str,
) -> Result<Option<LiveToken>, AppError> {
    // A token is live only if neither it, its refresh family, nor the code that began
    // its grant was revoked or reused: the joins make a revocation that raced with the
    // token's issuance still apply.
    let row: Option<(String, String, i64, i64, i64, Option<i64>)> = crate::db::query_as(
        "SELECT a.client_id, a.grant_data, a.expires_at, a.revoked, COALESCE(f.revoked, 0), \
         c.reused_at FROM access_tokens a \
         LEFT JOIN refresh_families f ON f.family_id = a.family_id \
         LEFT JOIN auth_codes c ON c.code_hash = COALESCE(a.code_hash, f.code_hash) \
         WHERE a.token_hash = $1",
    )
    .bind(handle_hash(token))
    .fetch_optional(&state.db)
    .await?;
    match row {
        Some((client_id, data, expires_at, 0, 0, None)) if expires_at > now() => {
            let grant = serde_json::from_str(&data).map_err(AppError::internal)?;
            Ok(Some(LiveToken {
                client_id,
                grant,
                expires_at,
            }))
        }
        _ => Ok(None),
    }
}

/// A live refresh token (unused, unexpired, its family and the code that began it
/// neither revoked nor reused): its grant and client. Nothing is consumed.
///
/// # Errors
/// Database failures (500).
pub async fn lookup_refresh_token(
    state: &AppState,
    token: &str,
) -> Result<Option<LiveToken>, AppError> {
    /// client_id, grant_data, expires_at, used_at, the family's revoked, the code's
    /// reused_at.
    type Row = (String, String, i64, Option<i64>, i64, Option<i64>);
    let row: Option<Row> = crate::db::query_as(
        "SELECT r.client_id, r.grant_data, r.expires_at, r.used_at, f.revoked, c.reused_at \
         FROM refresh_tokens r JOIN refresh_families f ON f.family_id = r.family_id \
         LEFT JOIN auth_codes c ON c.code_hash = f.code_hash WHERE r.token_hash = $1",
    )
    .bind(handle_hash(token))
    .fetch_optional(&state.db)
    .await?;
    match row {
        Some((client_id, data, expires_at, None, 0, None)) if expires_at > now() => {
            let grant = serde_json::from_str(&data).map_err(AppError::internal)?;
            Ok(Some(LiveToken {
                client_id,
                grant,
                expires_at,
            }))
        }
        _ => Ok(None),
    }
}

/// The scope value asking for a refresh token (OIDC Core §11).
pub const OFFLINE_ACCESS: &str = "offline_access";

impl Grant {
    /// Whether the grant includes `offline_access`, i.e. a refresh token.
    #[must_use]
    pub fn offline_access(&self) -> bool {
        self.scope.split(' ').any(|s| s == OFFLINE_ACCESS)
    }
}

/// What a redeemed code yields: an access token and, when `offline_access` was
/// granted, the first refresh token of a new family linked to the code.
#[derive(Debug)]
pub struct CodeTokens {
    /// The access token.
    pub access: String,
    /// The refresh token (`offline_access` only).
    pub refresh: Option<String>,
}

/// Stores what a redeemed code yields: the access token, plus a refresh family and
/// its first refresh token when the grant includes `offline_access`. All rows or
/// none: on PostgreSQL in one statement (data-modifying CTEs, one round trip), on
/// SQLite in one transaction on the process's connection.
///
/// # Errors
/// Database failures (500).
pub async fn create_code_tokens(
    state: &AppState,
    client_id: &str,
    grant: &Grant,
    code_hash: &str,
) -> Result<CodeTokens, AppError> {
    let rows = CodeTokenRows::new(state, client_id, grant, code_hash)?;
    match (state.db.backend, rows.offline) {
        (Backend::Postgres, true) => {
            // The three inserts as one statement (data-modifying CTEs).
            let all = format!(
                "WITH f AS ({}), a AS ({}) {}",
                CodeTokenRows::FAMILY,
                CodeTokenRows::ACCESS,
                CodeTokenRows::REFRESH
            );
            rows.bind(&all, 9).execute(&state.db).await?;
        }
        (_, false) => {
            rows.bind(CodeTokenRows::ACCESS, 7)
                .execute(&state.db)
                .await?;
        }
        (Backend::Sqlite, true) => {
            let mut tx = state.db.begin().await?;
            rows.insert_in(&mut tx).await?;
            tx.commit().await?;
        }
    }
    Ok(rows.tokens)
}

/// The rows a redeemed code yields and the parameters of their `INSERT`s.
struct CodeTokenRows {
    params: [db::Param; 9],
    offline: bool,
    tokens: CodeTokens,
}

impl CodeTokenRows {
    const FAMILY: &'static str = "INSERT INTO refresh_families (family_id, client_id, \
                                  code_hash, revoked, created_at) VALUES ($1, $2, $3, 0, $4)";
    const ACCESS: &'static str = "INSERT INTO access_tokens (token_hash, client_id, \
                                  grant_data, code_hash, family_id, expires_at, revoked) \
                                  VALUES ($5, $2, $6, $3, $1, $7, 0)";
    const REFRESH: &'static str = "INSERT INTO refresh_tokens (token_hash, family_id, \
                                   client_id, grant_data, expires_at) VALUES ($8, $1, $2, $6, $9)";

    fn new(
        state: &AppState,
        client_id: &str,
        grant: &Grant,
        code_hash: &str,
    ) -> Result<Self, AppError> {
        let offline = grant.offline_access();
        // Without a family the access token's family_id ($1) is NULL.
        let family_id = offline.then(random_handle).transpose()?;
        let access = random_handle()?;
        let refresh = offline.then(random_handle).transpose()?;
        let data = serde_json::to_string(grant).map_err(AppError::internal)?;
        let now = now();
        let params: [db::Param; 9] = [
            family_id.into(),
            client_id.into(),
            code_hash.into(),
            now.into(),
            handle_hash(&access).into(),
            data.into(),
            now.saturating_add(i64::from(state.config.access_token_lifetime_secs))
                .into(),
            refresh.as_deref().map(handle_hash).into(),
            now.saturating_add(i64::from(state.config.refresh_token_lifetime_secs))
                .into(),
        ];
        Ok(Self {
            params,
            offline,
            tokens: CodeTokens { access, refresh },
        })
    }

    /// Runs the `INSERT`s one by one in `tx` (each with the parameters it names).
    async fn insert_in(&self, tx: &mut db::Tx) -> Result<(), AppError> {
        let statements: &[(&str, usize)] = if self.offline {
            &[(Self::FAMILY, 4), (Self::ACCESS, 7), (Self::REFRESH, 9)]
        } else {
            &[(Self::ACCESS, 7)]
        };
        for &(sql, n) in statements {
            self.bind(sql, n).execute_in(tx).await?;
        }
        Ok(())
    }

    /// `sql` with exactly the parameters it names ($1..$n): PostgreSQL refuses extra
    /// ones.
    fn bind<'q>(&self, sql: &'q str, n: usize) -> db::Query<'q> {
        self.params
            .iter()
            .take(n)
            .cloned()
            .fold(db::query(sql), db::Query::bind)
    }
}

/// Stores a new refresh token in `family_id`; returns it.
///
/// # Errors
/// Database failures (500).
pub async fn create_refresh_token(
    state: &AppState,
    client_id: &str,
    family_id: &str,
    grant: &Grant,
) -> Result<String, AppError> {
    let token = random_handle()?;
    let data = serde_json::to_string(grant).map_err(AppError::internal)?;
    crate::db::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, grant_data, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(handle_hash(&token))
    .bind(family_id)
    .bind(client_id)
    .bind(data)
    .bind(now().saturating_add(i64::from(state.config.refresh_token_lifetime_secs)))
    .execute(&state.db)
    .await?;
    Ok(token)
}

/// A redeemed refresh token.
#[derive(Debug)]
pub struct RedeemedRefresh {
    /// Its family.
    pub family_id: String,
    /// The client.
    pub client_id: String,
    /// The grant.
    pub grant: Grant,
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRefusal {
    /// Unknown token.
    Unknown,
    /// Already used: the family is now revoked (OAuth 2.0 Security BCP §4.14.2).
    Reused,
    /// Expired.
    Expired,
    /// Its family was revoked.
    Revoked,
}

/// Consumes a refresh token (rotation): exactly one caller succeeds; a reuse revokes
/// the whole family and its access tokens.
///
/// # Errors
/// Database failures (500).
pub async fn redeem_refresh(
    state: &AppState,
    token: &str,
) -> Result<Result<RedeemedRefresh, RefreshRefusal>, AppError> {
    let token_hash = handle_hash(token);
    let row: Option<(String, String, String, i64)> = crate::db::query_as(
        "SELECT family_id, client_id, grant_data, expires_at FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(&token_hash)
    .fetch_optional(&state.db)
    .await?;
    let Some((family_id, client_id, data, expires_at)) = row else {
        return Ok(Err(RefreshRefusal::Unknown));
    };
    let won = crate::db::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now())
    .bind(&token_hash)
    .execute(&state.db)
    .await?
    .rows_affected()
        == 1;
    if !won {
        revoke_family(state, &family_id).await?;
        tracing::warn!("refresh token reused: family revoked");
        return Ok(Err(RefreshRefusal::Reused));
    }
    let family: Option<(i64, Option<i64>)> = crate::db::query_as(
        "SELECT f.revoked, c.reused_at FROM refresh_families f \
         LEFT JOIN auth_codes c ON c.code_hash = f.code_hash WHERE f.family_id = $1",
    )
    .bind(&family_id)
    .fetch_optional(&state.db)
    .await?;
    if !matches!(family, Some((0, None))) {
        return Ok(Err(RefreshRefusal::Revoked));
    }
    if expires_at <= now() {
        return Ok(Err(RefreshRefusal::Expired));
    }
    let grant = serde_json::from_str(&data).map_err(AppError::internal)?;
    Ok(Ok(RedeemedRefresh {
        family_id,
        client_id,
        grant,
    }))
}

/// A stored token found by its value, with what revoking it takes.
#[derive(Debug)]
pub enum TokenOwner {
    /// An access token: its hash and client.
    Access {
        /// `access_tokens.token_hash`.
        token_hash: String,
        /// The client it was issued to.
        client_id: String,
    },
    /// A refresh token: its family and client.
    Refresh {
        /// The family it belongs to.
        family_id: String,
        /// The client it was issued to.
        client_id: String,
    },
}

impl TokenOwner {
    /// The client the token was issued to.
    #[must_use]
    pub fn client_id(&self) -> &str {
        match self {
            Self::Access { client_id, .. } | Self::Refresh { client_id, .. } => client_id,
        }
    }

    /// `access_token` or `refresh_token` (RFC 7009 token type hints), for logs.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Access { .. } => "access_token",
            Self::Refresh { .. } => "refresh_token",
        }
    }
}

/// Looks a token up as its `token_type_hint` says first (RFC 7009 §2.1, RFC 7662
/// §2.1: the hint only orders the search), then as the other kind.
///
/// # Errors
/// What the look-ups return.
pub async fn by_hint<T>(
    hint: Option<&str>,
    access: impl Future<Output = Result<Option<T>, AppError>>,
    refresh: impl Future<Output = Result<Option<T>, AppError>>,
) -> Result<Option<T>, AppError> {
    if hint == Some("refresh_token") {
        match refresh.await? {
            Some(found) => Ok(Some(found)),
            None => access.await,
        }
    } else {
        match access.await? {
            Some(found) => Ok(Some(found)),
            None => refresh.await,
        }
    }
}

/// The access token `token`, if one is stored (live or not).
///
/// # Errors
/// Database failures (500).
pub async fn access_token_owner(
    state: &AppState,
    token: &str,
) -> Result<Option<TokenOwner>, AppError> {
    let token_hash = handle_hash(token);
    let row: Option<(String,)> =
        crate::db::query_as("SELECT client_id FROM access_tokens WHERE token_hash = $1")
            .bind(&token_hash)
            .fetch_optional(&state.db)
            .await?;
    Ok(row.map(|(client_id,)| TokenOwner::Access {
        token_hash,
        client_id,
    }))
}

/// The refresh token `token`, if one is stored (live, used or expired).
///
/// # Errors
/// Database failures (500).
pub async fn refresh_token_owner(
    state: &AppState,
    token: &str,
) -> Result<Option<TokenOwner>, AppError> {
    let row: Option<(String, String)> = crate::db::query_as(
        "SELECT family_id, client_id FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(handle_hash(token))
    .fetch_optional(&state.db)
    .await?;
    Ok(row.map(|(family_id, client_id)| TokenOwner::Refresh {
        family_id,
        client_id,
    }))
}

/// Revokes a token (RFC 7009 §2.1): an access token alone; a refresh token with its
/// whole family, the access tokens made from it included. `lookup_access_token` and
/// `redeem_refresh` refuse what this marks.
///
/// # Errors
/// Database failures (500).
pub async fn revoke(state: &AppState, owner: &TokenOwner) -> Result<(), AppError> {
    match owner {
        TokenOwner::Access { token_hash, .. } => {
            crate::db::query("UPDATE access_tokens SET revoked = 1 WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&state.db)
                .await?;
            Ok(())
        }
        TokenOwner::Refresh { family_id, .. } => revoke_family(state, family_id).await,
    }
}

async fn revoke_family(state: &AppState, family_id: &str) -> Result<(), AppError> {
    crate::db::query("UPDATE refresh_families SET revoked = 1 WHERE family_id = $1")
        .bind(family_id)
        .execute(&state.db)
        .await?;
    crate::db::query("UPDATE access_tokens SET revoked = 1 WHERE family_id = $1")
        .bind(family_id)
        .execute(&state.db)
        .await?;
    Ok(())
}

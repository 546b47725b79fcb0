//! Login Configurations: the OAuth clients of this provider, Affinidi-style (name,
//! redirect URIs, presentation requirements, id_token mapping, token endpoint auth
//! method, signing algorithm, optional JWKS).
//!
//! The client secret is 256 random bits, shown once and stored as its SHA-256
//! (a high-entropy secret needs no slow hash); it is compared in constant time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq as _;
use wallet_core::did::Did;
use wallet_core::jwk::Jwk;
use wallet_core::jws::Algorithm;

use crate::credentials::{self, Requirements};
use crate::db::Db;
use crate::error::AppError;
use crate::web::{handle_hash, now, random_handle};

/// Most redirect URIs per client.
pub const MAX_REDIRECT_URIS: usize = 32;
/// Most `id_token_mapping` entries per client.
pub const MAX_MAPPINGS: usize = 64;

/// Claims the provider sets itself; a mapping may not overwrite them.
const RESERVED_CLAIMS: [&str; 14] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "nonce",
    "at_hash",
    "c_hash",
    "azp",
    "acr",
    "amr",
    "sid",
];

/// Why a Login Configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A redirect URI is not acceptable (RFC 7591 `invalid_redirect_uri`).
    #[error("invalid redirect_uri: {0}")]
    RedirectUri(String),
    /// Some other metadata is not acceptable (RFC 7591 `invalid_client_metadata`).
    #[error("invalid client metadata: {0}")]
    Metadata(String),
    /// A database failure.
    #[error("database error: {0}")]
    Db(#[from] crate::db::DbError),
    /// The stored configuration could not be read back.
    #[error("stored client configuration is corrupt: {0}")]
    Corrupt(String),
    /// The random source failed.
    #[error("random source failed")]
    Random,
}

/// How a client authenticates at the token endpoint (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with `client_id:client_secret` (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client: no secret, PKCE required.
    None,
}

impl TokenEndpointAuthMethod {
    /// Parses the RFC 7591 name.
    ///
    /// # Errors
    /// [`ClientError::Metadata`] for any other value.
    pub fn parse(s: &str) -> Result<Self, ClientError> {
        match s {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "none" => Ok(Self::None),
            other => Err(ClientError::Metadata(format!(
                "unsupported token_endpoint_auth_method {other:?}"
            ))),
        }
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
        }
    }
}

/// How `sub` is derived from the holder's DID (OIDC Core §8, Registration §2
/// `subject_type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    /// The same `sub` for a holder at every client of this provider.
    #[default]
    Public,
    /// A different `sub` per sector (the host of the client's redirect URIs), which
    /// clients on different hosts cannot correlate (OIDC Core §8.1).
    Pairwise,
}

impl SubjectType {
    /// Parses the registration value.
    ///
    /// # Errors
    /// [`ClientError::Metadata`] for any other value.
    pub fn parse(s: &str) -> Result<Self, ClientError> {
        match s {
            "public" => Ok(Self::Public),
            "pairwise" => Ok(Self::Pairwise),
            other => Err(ClientError::Metadata(format!(
                "unsupported subject_type {other:?}: public or pairwise"
            ))),
        }
    }
}

/// One `id_token_mapping` entry: a JSONPath into the verified presentation and the
/// claim it fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenMapping {
    /// JSONPath into the verified presentation (starts with `$`).
    pub source: String,
    /// The id_token / userinfo claim name.
    pub claim: String,
    /// What to do when the presentation gives several different values for the
    /// claim (default: refuse the login); see [`crate::mapping`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_conflict: Option<crate::mapping::OnConflict>,
}

/// A registered client, as stored and as printed (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginConfiguration {
    /// The `client_id`.
    pub client_id: String,
    /// Display name shown to the user.
    pub name: String,
    /// Registered redirect URIs, compared by exact string match.
    pub redirect_uris: Vec<String>,
    /// Where the End-User may be sent after logging out at the provider (OIDC
    /// RP-Initiated Logout 1.0 §3.1), compared by exact string match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Token endpoint client authentication.
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// The id_token signature algorithm.
    pub id_token_signed_response_alg: String,
    /// A DIF Presentation Exchange v2 definition the login must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation_definition: Option<Value>,
    /// A DCQL query the login must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcql_query: Option<Value>,
    /// How verified presentation data becomes claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_mapping: Option<Vec<IdTokenMapping>>,
    /// Issuer DIDs this client trusts (besides the global list).
    #[serde(default)]
    pub trusted_issuers: Vec<String>,
    /// The client's public keys (e.g. for encrypted claims).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    /// `public` or `pairwise` `sub` (stored configurations from before this field
    /// are public).
    #[serde(default)]
    pub subject_type: SubjectType,
    /// The client asked for `auth_time` in every id_token (OIDC Registration §2).
    /// Every login is a fresh wallet authentication and every id_token of a login
    /// carries `auth_time`, so this is recorded and echoed, not needed.
    #[serde(default)]
    pub require_auth_time: bool,
    /// Every authorization request must be pushed first (RFC 9126 §6).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// The algorithm of signed introspection responses (RFC 9701 §6); RS256 when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_signed_response_alg: Option<String>,
    /// Every token request must carry a DPoP proof (RFC 9449 §5.2).
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// When the client was created (unix seconds).
    pub created_at: i64,
}

impl LoginConfiguration {
    /// The id_token algorithm (validated at registration).
    #[must_use]
    pub fn id_token_alg(&self) -> Algorithm {
        Algorithm::parse(&self.id_token_signed_response_alg).unwrap_or(Algorithm::RS256)
    }

    /// The algorithm of this client's signed introspection responses (validated at
    /// registration; RS256 by default, RFC 9701 §6).
    #[must_use]
    pub fn introspection_alg(&self) -> Algorithm {
        self.introspection_signed_response_alg
            .as_deref()
            .and_then(|a| Algorithm::parse(a).ok())
            .unwrap_or(Algorithm::RS256)
    }

    /// Whether this is a public client (no secret).
    #[must_use]
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }

    /// The sector identifier of pairwise subjects (OIDC Core §8.1: without a
    /// `sector_identifier_uri`, "the host component of the registered redirect_uri"):
    /// the one host all redirect URIs share, as registration checked.
    #[must_use]
    pub fn sector_identifier(&self) -> Option<String> {
        sector_of(&self.redirect_uris).ok()
    }
}

/// The host every URI in `uris` shares.
fn sector_of(uris: &[String]) -> Result<String, ClientError> {
    let mut sector: Option<String> = None;
    for uri in uris {
        let host = url::Url::parse(uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                ClientError::Metadata(
                    "pairwise subject_type needs redirect_uris with a host".into(),
                )
            })?;
        match &sector {
            Some(s) if *s != host => {
                return Err(ClientError::Metadata(
                    "pairwise subject_type needs all redirect_uris on one host \
                     (sector_identifier_uri is not supported)"
                        .into(),
                ));
            }
            Some(_) => {}
            None => sector = Some(host),
        }
    }
    sector.ok_or_else(|| ClientError::Metadata("no redirect_uris".into()))
}

/// What a new client asks for, before validation (the CLI and `/register` fill it).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewClient {
    /// Display name (`client_name` over RFC 7591).
    #[serde(alias = "client_name")]
    pub name: Option<String>,
    /// Redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs (RP-Initiated Logout 1.0 §3.1).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// `client_secret_basic` (default), `client_secret_post` or `none`.
    pub token_endpoint_auth_method: Option<String>,
    /// `RS256` (default), `ES256` or `EdDSA`.
    pub id_token_signed_response_alg: Option<String>,
    /// PEX v2 presentation definition.
    pub presentation_definition: Option<Value>,
    /// DCQL query.
    pub dcql_query: Option<Value>,
    /// id_token mapping.
    pub id_token_mapping: Option<Value>,
    /// Trusted issuer DIDs.
    #[serde(default)]
    pub trusted_issuers: Vec<String>,
    /// Public JWKS.
    pub jwks: Option<Value>,
    /// `public` (default) or `pairwise`.
    pub subject_type: Option<String>,
    /// Whether every id_token must carry `auth_time` (it always does).
    pub require_auth_time: Option<bool>,
    /// Whether every authorization request must be pushed (RFC 9126 §6).
    pub require_pushed_authorization_requests: Option<bool>,
    /// `RS256` (default), `ES256` or `EdDSA` for signed introspection responses.
    pub introspection_signed_response_alg: Option<String>,
    /// Whether every token request must carry a DPoP proof (RFC 9449 §5.2).
    pub dpop_bound_access_tokens: Option<bool>,
    /// Refused: fetching a sector identifier document is not implemented.
    pub sector_identifier_uri: Option<String>,
}

/// A created client and its secret (absent for public clients).
#[derive(Debug, Clone, Serialize)]
pub struct CreatedClient {
    /// The configuration.
    #[serde(flatten)]
    pub config: LoginConfiguration,
    /// The secret, shown only now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// RFC 7591 §2: a redirect URI is absolute and "MUST NOT include a fragment
/// component" (RFC 6749 §3.1.2).
fn validate_redirect_uri(uri: &str) -> Result<(), ClientError> {
    let parsed =
        url::Url::parse(uri).map_err(|_| ClientError::RedirectUri("not an absolute URI".into()))?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(ClientError::RedirectUri(
            "must not contain a fragment".into(),
        ));
    }
    match parsed.scheme() {
        "https" | "http" => {}
        "javascript" | "data" | "file" | "vbscript" | "blob" => {
            return Err(ClientError::RedirectUri("scheme not allowed".into()));
        }
        // Private-use schemes of native apps (RFC 8252 §7.1).
        _ => {}
    }
    if uri.len() > 2048 {
        return Err(ClientError::RedirectUri("too long".into()));
    }
    Ok(())
}

fn validate(new: NewClient) -> Result<LoginConfiguration, ClientError> {
    let name = new.name.unwrap_or_default().trim().to_owned();
    if name.is_empty() || name.len() > 200 {
        return Err(ClientError::Metadata(
            "name must be 1 to 200 characters".into(),
        ));
    }
    if new.redirect_uris.is_empty() || new.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(ClientError::RedirectUri(format!(
            "between 1 and {MAX_REDIRECT_URIS} redirect_uris are required"
        )));
    }
    for uri in &new.redirect_uris {
        validate_redirect_uri(uri)?;
    }
    // The same rules as redirect URIs; RFC 7591 has no error code of its own for
    // these, so a bad one is `invalid_client_metadata`.
    if new.post_logout_redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(ClientError::Metadata(format!(
            "at most {MAX_REDIRECT_URIS} post_logout_redirect_uris"
        )));
    }
    for uri in &new.post_logout_redirect_uris {
        validate_redirect_uri(uri).map_err(|e| match e {
            ClientError::RedirectUri(why) => {
                ClientError::Metadata(format!("post_logout_redirect_uris: {why}"))
            }
            other => other,
        })?;
    }
    let method = TokenEndpointAuthMethod::parse(
        new.token_endpoint_auth_method
            .as_deref()
            .unwrap_or("client_secret_basic"),
    )?;
    let alg = new
        .id_token_signed_response_alg
        .unwrap_or_else(|| "RS256".to_owned());
    if !matches!(alg.as_str(), "RS256" | "ES256" | "EdDSA") {
        return Err(ClientError::Metadata(format!(
            "unsupported id_token_signed_response_alg {alg:?}"
        )));
    }
    if let Some(alg) = &new.introspection_signed_response_alg
        && !matches!(alg.as_str(), "RS256" | "ES256" | "EdDSA")
    {
        return Err(ClientError::Metadata(format!(
            "unsupported introspection_signed_response_alg {alg:?}"
        )));
    }
    for issuer in &new.trusted_issuers {
        Did::parse(issuer)
            .map_err(|_| ClientError::Metadata("trusted_issuers must be DIDs".into()))?;
    }
    if let Some(pd) = &new.presentation_definition
        && !pd.is_object()
    {
        return Err(ClientError::Metadata(
            "presentation_definition must be an object".into(),
        ));
    }
    if let Some(q) = &new.dcql_query
        && !q.is_object()
    {
        return Err(ClientError::Metadata("dcql_query must be an object".into()));
    }
    let id_token_mapping = new.id_token_mapping.map(parse_mapping).transpose()?;
    if let Some(jwks) = &new.jwks {
        validate_jwks(jwks)?;
    }
    if new.sector_identifier_uri.is_some() {
        return Err(ClientError::Metadata(
            "sector_identifier_uri is not supported; the sector of a pairwise client is \
             the one host of its redirect_uris"
                .into(),
        ));
    }
    let subject_type = SubjectType::parse(new.subject_type.as_deref().unwrap_or("public"))?;
    if subject_type == SubjectType::Pairwise {
        sector_of(&new.redirect_uris)?;
    }
    Ok(LoginConfiguration {
        client_id: String::new(),
        name,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        token_endpoint_auth_method: method,
        id_token_signed_response_alg: alg,
        presentation_definition: new.presentation_definition,
        dcql_query: new.dcql_query,
        id_token_mapping,
        trusted_issuers: new.trusted_issuers,
        jwks: new.jwks,
        subject_type,
        require_auth_time: new.require_auth_time.unwrap_or(false),
        require_pushed_authorization_requests: new
            .require_pushed_authorization_requests
            .unwrap_or(false),
        introspection_signed_response_alg: new.introspection_signed_response_alg,
        dpop_bound_access_tokens: new.dpop_bound_access_tokens.unwrap_or(false),
        created_at: now(),
    })
}

fn parse_mapping(value: Value) -> Result<Vec<IdTokenMapping>, ClientError> {
    let mapping: Vec<IdTokenMapping> = serde_json::from_value(value).map_err(|_| {
        ClientError::Metadata("id_token_mapping must be [{\"source\", \"claim\"}]".into())
    })?;
    if mapping.len() > MAX_MAPPINGS {
        return Err(ClientError::Metadata(
            "too many id_token_mapping entries".into(),
        ));
    }
    for entry in &mapping {
        if !entry.source.starts_with('$') || entry.source.len() > 512 {
            return Err(ClientError::Metadata(
                "id_token_mapping source must be a JSONPath starting with $".into(),
            ));
        }
        crate::mapping::check_source(entry).map_err(|e| ClientError::Metadata(e.to_string()))?;
        if entry.claim.is_empty() || entry.claim.len() > 128 {
            return Err(ClientError::Metadata(
                "id_token_mapping claim name invalid".into(),
            ));
        }
        if RESERVED_CLAIMS.contains(&entry.claim.as_str()) {
            return Err(ClientError::Metadata(format!(
                "id_token_mapping may not set the reserved claim {:?}",
                entry.claim
            )));
        }
    }
    Ok(mapping)
}

fn validate_jwks(jwks: &Value) -> Result<(), ClientError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| ClientError::Metadata("jwks must be {\"keys\": [...]}".into()))?;
    if keys.len() > 16 {
        return Err(ClientError::Metadata("too many keys in jwks".into()));
    }
    for key in keys {
        let jwk: Jwk = serde_json::from_value(key.clone())
            .map_err(|_| ClientError::Metadata("jwks holds an invalid JWK".into()))?;
        if jwk.is_private() {
            return Err(ClientError::Metadata(
                "jwks must not hold private keys".into(),
            ));
        }
        jwk.to_public_key()
            .map_err(|_| ClientError::Metadata("jwks holds an unsupported key".into()))?;
    }
    Ok(())
}

/// Validates and stores a new client; returns it with its secret.
///
/// # Errors
/// [`ClientError`].
pub async fn create(db: &Db, new: NewClient) -> Result<CreatedClient, ClientError> {
    let mut config = validate(new)?;
    config.client_id = random_handle().map_err(|_| ClientError::Random)?;
    let secret = if config.is_public() {
        None
    } else {
        Some(random_handle().map_err(|_| ClientError::Random)?)
    };
    let json = serde_json::to_string(&config).map_err(|e| ClientError::Corrupt(e.to_string()))?;
    crate::db::query(
        "INSERT INTO clients (client_id, secret_hash, config, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&config.client_id)
    .bind(secret.as_deref().map(handle_hash))
    .bind(json)
    .bind(config.created_at)
    .execute(db)
    .await?;
    Ok(CreatedClient {
        config,
        client_secret: secret,
    })
}

/// A stored client and its secret hash.
#[derive(Debug)]
pub struct StoredClient {
    /// The configuration.
    pub config: LoginConfiguration,
    secret_hash: Option<String>,
    /// Its presentation requirements, parsed on first use (once per cached client,
    /// not once per login).
    requirements: OnceLock<Result<Arc<Requirements>, String>>,
    /// The origins of its registered redirect URIs, in the same order, computed on
    /// first use.
    redirect_origins: OnceLock<Vec<String>>,
}

impl StoredClient {
    /// What a presentation for this client must satisfy (its PEX definition or DCQL
    /// query, parsed and checked).
    ///
    /// # Errors
    /// `invalid_request` for an invalid definition or query.
    pub(crate) fn requirements(&self) -> Result<Arc<Requirements>, AppError> {
        self.requirements
            .get_or_init(|| {
                credentials::requirements(&self.config)
                    .map(Arc::new)
                    .map_err(|e| match e {
                        AppError::OAuth { description, .. } => description,
                        other => other.to_string(),
                    })
            })
            .clone()
            .map_err(AppError::invalid_request)
    }

    /// The origins of the registered redirect URIs, in their order.
    fn redirect_origins(&self) -> &[String] {
        self.redirect_origins.get_or_init(|| {
            self.config
                .redirect_uris
                .iter()
                .map(|uri| credentials::redirect_origin(uri))
                .collect()
        })
    }

    /// The origin shown to the user for `redirect_uri`: cached for this client's
    /// registered redirect URIs (`/authorize` matches exactly, so a login's URI is one
    /// of them unless the client was changed meanwhile), computed for any other.
    pub(crate) fn redirect_origin(&self, redirect_uri: &str) -> String {
        let origins = self.redirect_origins();
        self.config
            .redirect_uris
            .iter()
            .position(|uri| uri == redirect_uri)
            .and_then(|index| origins.get(index))
            .map_or_else(|| credentials::redirect_origin(redirect_uri), Clone::clone)
    }

    /// Whether a page of `origin` (an `Origin` header's value) may read this client's
    /// answers from the browser: it is the origin of one of the registered redirect
    /// URIs (`crate::cors`). Only `scheme://host[:port]` origins count: an `https`
    /// or `http` redirect URI's, never a custom scheme's or `null`.
    #[must_use]
    pub fn allows_origin(&self, origin: &str) -> bool {
        origin.contains("://") && self.redirect_origins().iter().any(|o| o == origin)
    }

    /// Whether `secret` is this client's secret (constant-time on the hashes).
    #[must_use]
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.secret_hash.as_ref().is_some_and(|stored| {
            bool::from(stored.as_bytes().ct_eq(handle_hash(secret).as_bytes()))
        })
    }
}

/// Looks a client up.
///
/// # Errors
/// [`ClientError::Db`], [`ClientError::Corrupt`].
pub async fn get(db: &Db, client_id: &str) -> Result<Option<Arc<StoredClient>>, ClientError> {
    // No client_id is that long or holds a NUL; PostgreSQL refuses NUL in a text
    // parameter (an error, where SQLite finds no row), so it never reaches a query.
    if client_id.len() > 256 || client_id.contains('\0') {
        return Ok(None);
    }
    if let Some(hit) = db.clients.get(client_id) {
        return Ok(Some(hit));
    }
    let row: Option<(String, Option<String>)> =
        crate::db::query_as("SELECT config, secret_hash FROM clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(db)
            .await?;
    let client = row
        .map(|(config, secret_hash)| {
            Ok::<_, ClientError>(Arc::new(StoredClient {
                config: serde_json::from_str(&config)
                    .map_err(|e| ClientError::Corrupt(e.to_string()))?,
                secret_hash,
                requirements: OnceLock::new(),
                redirect_origins: OnceLock::new(),
            }))
        })
        .transpose()?;
    if let Some(c) = &client {
        db.clients.put(client_id, c);
    }
    Ok(client)
}

/// How long a looked-up client is served from memory. A client deleted or changed
/// through another process (the CLI, another instance) is seen here within this time.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// At most this many clients are cached; a full cache starts over.
const CACHE_MAX: usize = 4096;

/// Clients read recently, so that the several requests of one login (and every
/// `/token` call) do not each parse the Login Configuration again. Only clients that
/// exist are cached: unknown `client_id`s cannot fill it.
#[derive(Debug, Default)]
pub struct Cache(Mutex<HashMap<String, (Instant, Arc<StoredClient>)>>);

impl Cache {
    fn get(&self, client_id: &str) -> Option<Arc<StoredClient>> {
        let map = self.0.lock().ok()?;
        map.get(client_id)
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, c)| c.clone())
    }

    fn put(&self, client_id: &str, client: &Arc<StoredClient>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CACHE_MAX {
                map.clear();
            }
            map.insert(client_id.to_owned(), (Instant::now(), Arc::clone(client)));
        }
    }

    fn forget(&self, client_id: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(client_id);
        }
    }
}

/// All clients, oldest first.
///
/// # Errors
/// [`ClientError::Db`], [`ClientError::Corrupt`].
pub async fn list(db: &Db) -> Result<Vec<LoginConfiguration>, ClientError> {
    let rows: Vec<(String,)> =
        crate::db::query_as("SELECT config FROM clients ORDER BY created_at, client_id")
            .fetch_all(db)
            .await?;
    rows.into_iter()
        .map(|(c,)| serde_json::from_str(&c).map_err(|e| ClientError::Corrupt(e.to_string())))
        .collect()
}

/// Deletes a client; `false` when there was none.
///
/// # Errors
/// [`ClientError::Db`].
pub async fn delete(db: &Db, client_id: &str) -> Result<bool, ClientError> {
    db.clients.forget(client_id);
    if client_id.contains('\0') {
        return Ok(false);
    }
    let result = crate::db::query("DELETE FROM clients WHERE client_id = $1")
        .bind(client_id)
        .execute(db)
        .await?;
    Ok(result.rows_affected() > 0)
}

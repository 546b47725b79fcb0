//! Command line and environment configuration (`clap`, every flag also an env
//! variable). `provider-server` with no flags at all serves on 127.0.0.1:8080.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The OpenID Connect provider whose login is the wallet handshake.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Settings shared by every subcommand.
    #[command(flatten)]
    pub config: Config,
    /// What to do; without one, serve.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the provider (the default).
    Serve,
    /// Manage Login Configurations (OAuth clients).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage the id_token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Run the demo relying party (default `--bind` 127.0.0.1:8081).
    DemoRp(crate::demo::DemoRpArgs),
    /// Demo helpers: the provider's DID, a demo credential.
    #[command(subcommand)]
    Demo(crate::demo::DemoCommand),
}

/// `client …` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create a Login Configuration and print it as JSON, with its `client_secret`
    /// (shown only here).
    Create(Box<ClientCreate>),
    /// List the Login Configurations as JSON.
    List,
    /// Show one Login Configuration as JSON.
    Show {
        /// The `client_id`.
        client_id: String,
    },
    /// Delete a Login Configuration.
    Delete {
        /// The `client_id`.
        client_id: String,
    },
}

/// `keys …` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create new current signing keys; the previous ones stay in the JWKS for
    /// `--previous-key-retention-secs`.
    Rotate,
}

/// `client create` arguments.
#[derive(Debug, Args)]
pub struct ClientCreate {
    /// Display name shown to the user.
    #[arg(long)]
    pub name: String,
    /// A redirect URI (exact match); repeat for several.
    #[arg(long = "redirect-uri", required = true)]
    pub redirect_uris: Vec<String>,
    /// Where the user may be sent back after logging out (RP-Initiated Logout, exact
    /// match); repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A file holding a DIF Presentation Exchange v2 `presentation_definition`.
    #[arg(long)]
    pub presentation_definition: Option<PathBuf>,
    /// A file holding a DCQL query.
    #[arg(long)]
    pub dcql: Option<PathBuf>,
    /// A file holding the `id_token_mapping` (`[{"source": JSONPath, "claim": name}]`).
    #[arg(long)]
    pub id_token_mapping: Option<PathBuf>,
    /// A DID whose credentials this client trusts; repeat for several.
    #[arg(long = "trusted-issuer")]
    pub trusted_issuers: Vec<String>,
    /// How the client authenticates at the token endpoint.
    #[arg(long, default_value = "client_secret_basic")]
    pub token_endpoint_auth_method: String,
    /// The id_token signature algorithm: RS256, ES256 or EdDSA.
    #[arg(long, default_value = "RS256")]
    pub id_token_signed_response_alg: String,
    /// A file holding the client's JWKS (e.g. an encryption key).
    #[arg(long)]
    pub jwks: Option<PathBuf>,
    /// `public`: one `sub` per holder for every client; `pairwise`: a `sub` per
    /// sector, the one host all redirect URIs must share (OIDC Core §8.1).
    #[arg(long, default_value = "public")]
    pub subject_type: String,
    /// Record that the client requires `auth_time` in id_tokens (every id_token of a
    /// login carries it anyway).
    #[arg(long)]
    pub require_auth_time: bool,
    /// Refuse every authorization request that was not pushed first to `/par`
    /// (RFC 9126 §6).
    #[arg(long)]
    pub require_pushed_authorization_requests: bool,
    /// Sign this client's introspection responses, when it asks for them as JWTs
    /// (RFC 9701), with RS256 (the default), ES256 or EdDSA.
    #[arg(long)]
    pub introspection_signed_response_alg: Option<String>,
    /// Refuse this client's token requests without a DPoP proof (RFC 9449 §5.2).
    #[arg(long)]
    pub dpop_bound_access_tokens: bool,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// How OID4VP wallets are asked to send their Authorization Response (OID4VP 1.0
/// §8.2, §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Oid4vpResponseMode {
    /// `direct_post.jwt`: the response is a JWE (ECDH-ES on P-256, A128GCM or
    /// A256GCM) to a key made for the one request, so the presentations it carries
    /// are readable only by the provider, whatever carries them.
    #[value(name = "direct_post.jwt")]
    DirectPostJwt,
    /// `direct_post`: the response is a plain form (for wallets without encryption).
    #[value(name = "direct_post")]
    DirectPost,
}

/// Settings shared by all subcommands.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long,
        env = "PROVIDER_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,
    /// The issuer identifier (`iss`): the public origin of this provider, no trailing
    /// slash.
    #[arg(
        long,
        env = "PROVIDER_ISSUER",
        default_value = "http://localhost:8080",
        global = true
    )]
    pub issuer: String,
    /// Directory for the default SQLite database.
    #[arg(
        long,
        env = "PROVIDER_DATA_DIR",
        default_value = "provider-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://…`. Defaults to
    /// `sqlite://<data-dir>/provider.db?mode=rwc`.
    #[arg(
        long,
        env = "PROVIDER_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<Secret>,
    /// Log format.
    #[arg(
        long,
        env = "PROVIDER_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Log filter (`tracing_subscriber::EnvFilter` syntax, e.g. `info` or
    /// `provider_server=debug,tower_http=warn`). A filter that does not parse is
    /// refused at start rather than replaced by a default.
    #[arg(
        long,
        env = "PROVIDER_LOG_LEVEL",
        default_value = "info",
        global = true,
        value_parser = parse_log_filter
    )]
    pub log_level: String,
    /// The provider's display name (`dAppName` of the Credential API handshake).
    #[arg(
        long,
        env = "PROVIDER_NAME",
        default_value = "SSI Wallet Login",
        global = true
    )]
    pub name: String,
    /// DIDs whose credentials every client trusts (besides each client's own list).
    #[arg(
        long = "trusted-issuer",
        env = "PROVIDER_TRUSTED_ISSUERS",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_issuers: Vec<String>,
    /// The initial access token `/register` requires (RFC 7591 §3); without it
    /// dynamic registration is off.
    #[arg(
        long,
        env = "PROVIDER_REGISTRATION_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub registration_token: Option<Secret>,
    /// Encrypts the provider's signing keys, DID seed and pairwise salt in the
    /// database (AES-256-GCM under HKDF-SHA256 of this secret; at least 32
    /// characters). Give every instance and every CLI call on the database the same
    /// one. Values stored in the clear before are encrypted at the next start; a
    /// database with encrypted values does not start without it.
    #[arg(
        long,
        env = "PROVIDER_KEY_ENCRYPTION_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub key_encryption_secret: Option<Secret>,
    /// The secret the values were encrypted with before, while changing
    /// `--key-encryption-secret`: values that open only with it are encrypted again
    /// under the new secret at start (or stored in the clear without one). Nothing is
    /// encrypted with it. With several instances, first give each the new secret as
    /// this one, then swap the two (README, "Configuration").
    #[arg(
        long,
        env = "PROVIDER_PREVIOUS_KEY_ENCRYPTION_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub previous_key_encryption_secret: Option<Secret>,
    /// Size of the generated RSA signing key, in bits (2048, 3072 or 4096).
    #[arg(long, env = "PROVIDER_RSA_BITS", default_value_t = 2048, global = true)]
    pub rsa_bits: usize,
    /// Signing keys older than this are rotated at start-up, in days.
    #[arg(
        long,
        env = "PROVIDER_SIGNING_KEY_LIFETIME_DAYS",
        default_value_t = 90,
        global = true
    )]
    pub signing_key_lifetime_days: u32,
    /// How long a superseded signing key stays in the JWKS, in seconds.
    #[arg(long, env = "PROVIDER_PREVIOUS_KEY_RETENTION_SECS", default_value_t = 7 * 24 * 3600, global = true)]
    pub previous_key_retention_secs: u32,
    /// How often a running server re-reads the signing keys from the database, in
    /// seconds (another instance or `keys rotate` may have rotated them).
    #[arg(
        long,
        env = "PROVIDER_KEY_RELOAD_SECS",
        default_value_t = 60,
        global = true
    )]
    pub key_reload_secs: u32,
    /// Lifetime of an authorization code, in seconds (at most 600).
    #[arg(long, env = "PROVIDER_CODE_LIFETIME_SECS", default_value_t = 120, global = true,
          value_parser = clap::value_parser!(u32).range(1..=600))]
    pub code_lifetime_secs: u32,
    /// Lifetime of access tokens and id_tokens, in seconds.
    #[arg(
        long,
        env = "PROVIDER_ACCESS_TOKEN_LIFETIME_SECS",
        default_value_t = 3600,
        global = true
    )]
    pub access_token_lifetime_secs: u32,
    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "PROVIDER_REFRESH_TOKEN_LIFETIME_SECS", default_value_t = 30 * 24 * 3600, global = true)]
    pub refresh_token_lifetime_secs: u32,
    /// Lifetime of a login session (authorize → wallet answer), in seconds.
    #[arg(
        long,
        env = "PROVIDER_LOGIN_SESSION_LIFETIME_SECS",
        default_value_t = 600,
        global = true
    )]
    pub login_session_lifetime_secs: u32,
    /// Lifetime of an OID4VP authorization request (its `request_uri`, `state` and
    /// `nonce`), in seconds; never longer than the login session it belongs to.
    #[arg(
        long,
        env = "PROVIDER_OID4VP_REQUEST_LIFETIME_SECS",
        default_value_t = 300,
        global = true
    )]
    pub oid4vp_request_lifetime_secs: u32,
    /// The `response_mode` of OID4VP requests: `direct_post.jwt` (encrypted
    /// responses; a plain `vp_token` is then refused) or `direct_post`.
    #[arg(
        long,
        env = "PROVIDER_OID4VP_RESPONSE_MODE",
        value_enum,
        default_value = "direct_post.jwt",
        global = true
    )]
    pub oid4vp_response_mode: Oid4vpResponseMode,
    /// A PEM file of root certificates to trust, besides the Mozilla roots, for the
    /// provider's own HTTPS requests (status lists, `did:web` documents of trusted
    /// issuers): for issuers behind a private PKI.
    #[arg(long, env = "PROVIDER_TLS_ROOT_CA", global = true)]
    pub tls_root_ca: Option<PathBuf>,
    /// How long a fetched `did:web` document of a trusted issuer is used before it
    /// is fetched again, in seconds.
    #[arg(
        long,
        env = "PROVIDER_DID_WEB_CACHE_SECS",
        default_value_t = 300,
        global = true
    )]
    pub did_web_cache_secs: u32,
    /// How often expired login sessions, codes and tokens are deleted, in seconds; 0
    /// turns the cleanup off (e.g. on all instances sharing a database but one).
    #[arg(
        long,
        env = "PROVIDER_CLEANUP_INTERVAL_SECS",
        default_value_t = 60,
        global = true
    )]
    pub cleanup_interval_secs: u32,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PROVIDER_BODY_LIMIT", default_value_t = 1 << 20, global = true)]
    pub body_limit: usize,
    /// Time limit for handling one request, in seconds (503 past it); a request body
    /// that stops arriving for half of it is answered 408.
    #[arg(
        long,
        env = "PROVIDER_REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub request_timeout_secs: u32,
}

impl Config {
    /// The database URL, defaulting to an SQLite file in the data directory.
    #[must_use]
    pub fn database_url(&self) -> String {
        self.database_url
            .as_ref()
            .map(|url| url.expose().to_owned())
            .unwrap_or_else(|| format!("sqlite://{}/provider.db?mode=rwc", self.data_dir.display()))
    }

    /// A configuration for tests: the defaults, with `issuer` and `database_url`.
    #[must_use]
    pub fn for_tests(issuer: &str, database_url: &str) -> Self {
        let mut config = Cli::parse_from(["provider-server"]).config;
        config.issuer = issuer.to_owned();
        config.database_url = Some(database_url.into());
        config
    }
}

/// A setting that must not show up in logs or `Debug` output (the initial access
/// token, a database URL with its password): `Debug` prints `[redacted]`, and the
/// value is zeroed when dropped. [`Secret::expose`] gives the value to the one place
/// that uses it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// The value.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(zeroize::Zeroizing::new(value.to_owned()))
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(zeroize::Zeroizing::new(value))
    }
}

impl core::str::FromStr for Secret {
    type Err = core::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.into())
    }
}

/// `--log-level`: the text, once `EnvFilter` accepts it.
fn parse_log_filter(text: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| text.to_owned())
        .map_err(|e| format!("not a log filter ({e})"))
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::Parser as _;

    #[test]
    fn a_log_filter_that_does_not_parse_is_refused() {
        let ok = Cli::try_parse_from([
            "provider-server",
            "--log-level",
            "provider_server=debug,tower_http=warn",
        ])
        .unwrap();
        assert_eq!(ok.config.log_level, "provider_server=debug,tower_http=warn");
        let e = Cli::try_parse_from(["provider-server", "--log-level", "provider_server=loud"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--log-level") && e.contains("not a log filter"),
            "{e}"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let cli = Cli::parse_from([
            "provider-server",
            "--registration-token",
            "iat-0123456789",
            "--database-url",
            "postgres://provider:pw-0123456789@db.example/provider",
            "--key-encryption-secret",
            "kek-new-0123456789-0123456789-0123",
            "--previous-key-encryption-secret",
            "kek-old-0123456789-0123456789-0123",
        ]);
        let shown = format!("{cli:?}");
        for secret in ["iat-0123456789", "pw-0123456789", "kek-new-", "kek-old-"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("[redacted]"), "{shown}");
        assert_eq!(
            cli.config
                .registration_token
                .as_ref()
                .map(super::Secret::expose),
            Some("iat-0123456789")
        );
        assert_eq!(
            cli.config.database_url(),
            "postgres://provider:pw-0123456789@db.example/provider"
        );
    }
}

//! The demo parts started by `scripts/run`: a relying party that logs users in
//! through the provider ([`rp`]), and an issuer that gives anyone an (unverified)
//! email credential signed by the provider's DID ([`issuer`]).

pub mod issuer;
pub mod rp;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Where `demo-rp` listens when `--bind` is not given (the provider has 8080).
pub const DEFAULT_RP_BIND: &str = "127.0.0.1:8081";

/// `demo-rp` arguments. It listens on the global `--bind`, whose default for this
/// subcommand is [`DEFAULT_RP_BIND`].
#[derive(Debug, Args)]
pub struct DemoRpArgs {
    /// The provider's issuer URL.
    #[arg(
        long,
        env = "DEMO_RP_PROVIDER",
        default_value = "http://localhost:8080"
    )]
    pub provider: String,
    /// The `client_id` registered at the provider (`provider-server client create`).
    #[arg(long, env = "DEMO_RP_CLIENT_ID")]
    pub client_id: String,
    /// The `client_secret`; omit for a public client (`--token-endpoint-auth-method none`).
    #[arg(long, env = "DEMO_RP_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The URL browsers reach this app at; the redirect URI is `<public-url>/callback`.
    #[arg(
        long,
        env = "DEMO_RP_PUBLIC_URL",
        default_value = "http://localhost:8081"
    )]
    pub public_url: String,
}

/// `demo …` subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Print the provider's DID (created on first use, as the server would).
    Did,
    /// Issue an `eddsa-jcs-2022` EmailCredential signed by the provider's DID.
    /// The address is NOT verified: the credential says so.
    IssueCredential(IssueCredentialArgs),
}

/// `demo issue-credential` arguments.
#[derive(Debug, Args)]
pub struct IssueCredentialArgs {
    /// The holder's DID (the wallet's `did:key:…`): the credential subject.
    #[arg(long)]
    pub holder: String,
    /// The email address to put in the credential.
    #[arg(long)]
    pub email: String,
    /// Write the credential JSON to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the demo relying party on `bind` until `shutdown` resolves.
///
/// # Errors
/// Configuration and listener failures.
pub async fn run_rp(
    args: DemoRpArgs,
    bind: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = rp::RpState::new(rp::RpConfig {
        provider: args.provider,
        client_id: args.client_id,
        client_secret: args.client_secret,
        public_url: args.public_url.clone(),
    })?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        public_url = %args.public_url,
        redirect_uri = %state.redirect_uri(),
        "demo relying party listening"
    );
    rp::serve(state, listener, shutdown).await?;
    Ok(())
}

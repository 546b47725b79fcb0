//! `provider-server`: serve, or manage clients and keys. See the library docs.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use provider_server::clients::{self, NewClient};
use provider_server::config::{Cli, ClientCommand, Command, KeysCommand, LogFormat};
use provider_server::db::Db;
use provider_server::{AppState, keys, serve};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.config.log_format, &cli.config.log_level);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("provider-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn read_json(path: Option<&std::path::Path>) -> anyhow::Result<Option<serde_json::Value>> {
    path.map(|p| {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", p.display()))
    })
    .transpose()
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(AppState::new(config).await?).await,
        Command::Keys(KeysCommand::Rotate) => {
            let db = Db::connect(&config.database_url()).await?;
            // Make sure the first keys exist, then rotate.
            keys::Keys::init(&db, &config).await?;
            let kids = keys::rotate(&db, &config).await?;
            println!("{}", serde_json::json!({ "new_kids": kids }));
            Ok(())
        }
        Command::Client(cmd) => {
            let db = Db::connect(&config.database_url()).await?;
            match cmd {
                ClientCommand::Create(args) => {
                    let new = NewClient {
                        name: Some(args.name),
                        redirect_uris: args.redirect_uris,
                        token_endpoint_auth_method: Some(args.token_endpoint_auth_method),
                        id_token_signed_response_alg: Some(args.id_token_signed_response_alg),
                        presentation_definition: read_json(
                            args.presentation_definition.as_deref(),
                        )?,
                        dcql_query: read_json(args.dcql.as_deref())?,
                        id_token_mapping: read_json(args.id_token_mapping.as_deref())?,
                        trusted_issuers: args.trusted_issuers,
                        jwks: read_json(args.jwks.as_deref())?,
                    };
                    let created = clients::create(&db, new).await?;
                    println!("{}", serde_json::to_string_pretty(&created)?);
                }
                ClientCommand::List => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&clients::list(&db).await?)?
                    );
                }
                ClientCommand::Show { client_id } => {
                    let client = clients::get(&db, &client_id)
                        .await?
                        .with_context(|| format!("no client {client_id}"))?;
                    println!("{}", serde_json::to_string_pretty(&client.config)?);
                }
                ClientCommand::Delete { client_id } => {
                    if !clients::delete(&db, &client_id).await? {
                        anyhow::bail!("no client {client_id}");
                    }
                    println!("{}", serde_json::json!({ "deleted": client_id }));
                }
            }
            Ok(())
        }
    }
}

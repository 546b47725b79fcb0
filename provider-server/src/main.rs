//! `provider-server`: serve, or manage clients and keys. See the library docs.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::parser::ValueSource;
use clap::{CommandFactory as _, FromArgMatches as _};
use provider_server::clients::{self, NewClient};
use provider_server::config::{Cli, ClientCommand, Command, KeysCommand, LogFormat};
use provider_server::db::Db;
use provider_server::demo::{self, DemoCommand, issuer::DemoIssuer};
use provider_server::{AppState, keys, serve, shutdown_signal};

/// mimalloc: under load, glibc's malloc and free were about a tenth of the provider's
/// CPU (BENCHMARKS.md, load driver profile).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // `--bind` is global and defaults to the provider's address; `demo-rp` has its
    // own default unless the flag or PROVIDER_BIND is given.
    let rp_bind_default = matches
        .subcommand_matches("demo-rp")
        .and_then(|m| m.value_source("bind"))
        .is_none_or(|source| source == ValueSource::DefaultValue);
    init_tracing(cli.config.log_format, &cli.config.log_level);
    // tokio's defaults: `global_queue_interval(4)` was set while sqlx's SQLite worker
    // threads woke tasks from outside the runtime; with SQLite on the calling task it
    // made no measurable difference (BENCHMARKS.md), so it is gone.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, rp_bind_default)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("provider-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat, level: &str) {
    // `--log-level` was checked when the arguments were parsed.
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: not in files, pipes or journald, and
    // not when NO_COLOR (https://no-color.org) is set.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
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

async fn run(cli: Cli, rp_bind_default: bool) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(AppState::new(config).await?).await,
        Command::DemoRp(args) => {
            let bind = if rp_bind_default {
                demo::DEFAULT_RP_BIND.parse()?
            } else {
                config.bind
            };
            demo::run_rp(args, bind, shutdown_signal()).await
        }
        Command::Demo(cmd) => {
            let db = Db::connect(&config.database_url()).await?;
            let at_rest = provider_server::at_rest::AtRest::from_config(&config)?;
            let issuer = DemoIssuer::load(&db, &at_rest).await?;
            match cmd {
                DemoCommand::Did => println!("{}", issuer.did().as_str()),
                DemoCommand::IssueCredential(args) => {
                    let credential = issuer.issue_email_credential(
                        &args.holder,
                        &args.email,
                        provider_server::web::now(),
                    )?;
                    let json = serde_json::to_string_pretty(&credential)?;
                    match args.out {
                        Some(path) => std::fs::write(&path, json + "\n")
                            .with_context(|| format!("writing {}", path.display()))?,
                        None => println!("{json}"),
                    }
                }
            }
            Ok(())
        }
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
                        post_logout_redirect_uris: args.post_logout_redirect_uris,
                        token_endpoint_auth_method: Some(args.token_endpoint_auth_method),
                        id_token_signed_response_alg: Some(args.id_token_signed_response_alg),
                        presentation_definition: read_json(
                            args.presentation_definition.as_deref(),
                        )?,
                        dcql_query: read_json(args.dcql.as_deref())?,
                        id_token_mapping: read_json(args.id_token_mapping.as_deref())?,
                        trusted_issuers: args.trusted_issuers,
                        jwks: read_json(args.jwks.as_deref())?,
                        subject_type: Some(args.subject_type),
                        require_auth_time: Some(args.require_auth_time),
                        require_pushed_authorization_requests: Some(
                            args.require_pushed_authorization_requests,
                        ),
                        introspection_signed_response_alg: args.introspection_signed_response_alg,
                        dpop_bound_access_tokens: Some(args.dpop_bound_access_tokens),
                        sector_identifier_uri: None,
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

//! `countersign serve`: the REST API, MCP over HTTP at `/mcp`, `/healthz`, `/metrics` and
//! the outbox worker, until SIGINT or SIGTERM.
//!
//! Configuration layers, later wins: defaults → `--config FILE` (or `./countersign.toml`)
//! → `COUNTERSIGN_SECTION__KEY` and `COUNTERSIGN_DATABASE_URL` → these flags. See
//! `countersign.example.toml` for every key. The bound address is printed on stdout as
//! `listening on http://ADDR` (useful with `--listen 127.0.0.1:0`).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use countersign_server::config::{Config, Overrides};

use crate::Outcome;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (default: ./countersign.toml when present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<String>,
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB` [default: sqlite://countersign.db].
    #[arg(long, env = "COUNTERSIGN_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Policy directory to activate at start (audited); default: keep the database's.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Log format: `human` or `json`.
    #[arg(long)]
    pub log_format: Option<String>,
}

/// Loads the configuration from the file, the environment and `overrides`.
pub fn load(file: Option<&std::path::Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    Config::load(file, std::env::vars(), overrides).context("invalid configuration")
}

pub fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    let config = load(
        args.config.as_deref(),
        &Overrides {
            listen: args.listen,
            database_url: args.database_url,
            policy_dir: args.policy,
            log_format: args.log_format,
        },
    )?;
    countersign_server::telemetry::init(&config.log.format, &config.log.filter);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime
        .block_on(countersign_server::serve(
            config,
            countersign_server::shutdown_signal(),
        ))
        .context("countersign serve failed")?;
    Ok(Outcome::Success)
}

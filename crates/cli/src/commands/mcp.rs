//! `countersign mcp`: the MCP server over stdin/stdout, for agent frameworks that start
//! their tools as child processes. It acts as the tool whose API key it is given, with the
//! same store, policy and decision deadline as `serve`. Logs go to stderr.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use countersign_server::AppState;
use countersign_server::config::Overrides;

use crate::Outcome;

#[derive(Debug, Args)]
pub struct McpArgs {
    /// The tool's API key (from `countersign tools add`).
    #[arg(long, env = "COUNTERSIGN_TOOL_KEY", hide_env_values = true)]
    pub tool_key: String,
    /// Configuration file (default: ./countersign.toml when present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB` [default: sqlite://countersign.db].
    #[arg(long, env = "COUNTERSIGN_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Policy directory to activate at start (audited); default: keep the database's.
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

pub fn run(args: McpArgs) -> anyhow::Result<Outcome> {
    let config = super::serve::load(
        args.config.as_deref(),
        &Overrides {
            database_url: args.database_url,
            policy_dir: args.policy,
            ..Overrides::default()
        },
    )?;
    // stdout carries the protocol: only warnings, and only to stderr.
    countersign_server::telemetry::init(&config.log.format, "warn");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async {
        let state = AppState::build(config)
            .await
            .context("failed to open the store")?;
        let result = countersign_server::mcp::serve_stdio(state.clone(), &args.tool_key).await;
        state.store.close().await;
        result.context("countersign mcp failed")
    })?;
    Ok(Outcome::Success)
}

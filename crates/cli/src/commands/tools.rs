//! `countersign tools add|list|revoke`: the registry of sanctioned tools. `add` prints the
//! new API key once; only its SHA-256 hash is stored.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// Register a tool and print its API key (shown once).
    Add(AddArgs),
    /// List registered tools (never their keys).
    List(ListArgs),
    /// Revoke a tool: its key is refused from now on (shadow AI).
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The tool's name, e.g. `outreach-agent`.
    pub name: String,
    /// Action kinds it may propose, comma-separated: `email.send,crm.note.create`.
    #[arg(long, required = true)]
    pub kinds: String,
    /// Data classes it is cleared for, comma-separated (the policy's `[data_classes]`).
    #[arg(long, default_value = "")]
    pub data_classes: String,
    /// Policy directory (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The active tool's name.
    pub name: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(cmd: ToolsCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ToolsCommand::Add(args) => database::block_on(add(args))?,
        ToolsCommand::List(args) => database::block_on(list(args))?,
        ToolsCommand::Revoke(args) => database::block_on(revoke(args))?,
    }
}

async fn add(args: AddArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let policy = database::policy(&store, args.policy.as_deref()).await?;
    let new = match store
        .add_tool(
            &args.name,
            &database::list(&args.kinds),
            &database::list(&args.data_classes),
            &policy,
            &database::actor(),
            database::now(),
        )
        .await
    {
        Ok(n) => n,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&new)?)?,
        Format::Human => {
            writeln!(out, "registered tool `{}`", new.tool.name)?;
            writeln!(out, "api key (shown once, store it now): {}", new.api_key)?;
        }
    }
    Ok(Outcome::Success)
}

async fn list(args: ListArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let tools = match store.list_tools().await {
        Ok(t) => t,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => {
            for t in &tools {
                writeln!(out, "{}", serde_json::to_string(t)?)?;
            }
        }
        Format::Human => {
            writeln!(
                out,
                "{:<24} {:<9} {:<14} {:<40} data classes",
                "tool", "status", "key", "kinds"
            )?;
            for t in &tools {
                let kinds: Vec<&str> = t.kinds.iter().map(String::as_str).collect();
                let classes: Vec<&str> = t.data_classes.iter().map(String::as_str).collect();
                writeln!(
                    out,
                    "{:<24} {:<9} {:<14} {:<40} {}",
                    t.name,
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    },
                    t.key_fingerprint,
                    kinds.join(","),
                    classes.join(",")
                )?;
            }
        }
    }
    Ok(Outcome::Success)
}

async fn revoke(args: RevokeArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let tool = match store
        .revoke_tool(&args.name, &database::actor(), database::now())
        .await
    {
        Ok(t) => t,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&tool)?)?,
        Format::Human => writeln!(out, "revoked tool `{}`", tool.name)?,
    }
    Ok(Outcome::Success)
}

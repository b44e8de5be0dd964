//! `countersign edit ACTION_ID --reviewer NAME (--body TEXT | --body-file F) [--subject S]`:
//! a new revision of a held e-mail or note, decided again. New findings add their roles;
//! approvals of earlier revisions stop counting.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use countersign_store::{Edit, StoreOptions};

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The held action's id (`act_…`).
    pub action_id: String,
    /// The editing reviewer.
    #[arg(long)]
    pub reviewer: String,
    /// The new body.
    #[arg(
        long,
        conflicts_with = "body_file",
        required_unless_present = "body_file"
    )]
    pub body: Option<String>,
    /// Read the new body from this file (`-` for stdin).
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// The new subject (default: unchanged).
    #[arg(long)]
    pub subject: Option<String>,
    /// Policy directory (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: EditArgs) -> anyhow::Result<Outcome> {
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => b.clone(),
        (None, Some(p)) if p.as_os_str() == "-" => {
            io::read_to_string(io::stdin()).context("failed to read the body from stdin")?
        }
        (None, Some(p)) => {
            std::fs::read_to_string(p).with_context(|| format!("failed to read {}", p.display()))?
        }
        (None, None) => anyhow::bail!("--body or --body-file is required"),
    };
    database::block_on(edit(args, body))?
}

async fn edit(args: EditArgs, body: String) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let policy = database::policy(&store, args.policy.as_deref()).await?;
    let edit = Edit {
        subject: args.subject.clone(),
        body,
    };
    let outcome = match store
        .edit(
            &args.action_id,
            &args.reviewer,
            &edit,
            &policy,
            database::now(),
        )
        .await
    {
        Ok(o) => o,
        Err(e) => return database::refused(e, args.format),
    };
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&outcome)?)?,
        Format::Human => {
            let roles: Vec<&str> = outcome.required_roles.iter().map(String::as_str).collect();
            writeln!(
                out,
                "{}: revision {} is {} ({}), needs {}",
                outcome.action_id,
                outcome.revision,
                outcome.status,
                outcome.decision.decision,
                roles.join(" + ")
            )?;
            for reason in outcome.decision.causes() {
                writeln!(out, "    {reason}")?;
            }
        }
    }
    store.close().await;
    Ok(Outcome::Success)
}

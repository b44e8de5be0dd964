//! `countersign approve ACTION_ID --revision N --reviewer NAME`: approve the revision you
//! read (`countersign show`), which must be the latest of a held action; it is released to
//! the outbox when every required role has approved.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The held action's id (`act_…`).
    pub action_id: String,
    /// The revision you read; refused when the action was edited since.
    #[arg(long)]
    pub revision: i64,
    /// The approving reviewer (from `countersign reviewers add`).
    #[arg(long)]
    pub reviewer: String,
    /// Approvals stop counting after this many hours.
    #[arg(long, env = "COUNTERSIGN_APPROVAL_TTL_HOURS", default_value_t = 72)]
    pub approval_ttl_hours: u32,
    /// Policy directory (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: ApproveArgs) -> anyhow::Result<Outcome> {
    database::block_on(approve(args))?
}

async fn approve(args: ApproveArgs) -> anyhow::Result<Outcome> {
    let options = StoreOptions {
        approval_ttl: chrono::Duration::hours(i64::from(args.approval_ttl_hours)),
        ..StoreOptions::default()
    };
    let store = match database::open(&args.db, options).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let policy = database::policy(&store, args.policy.as_deref()).await?;
    let outcome = match store
        .approve(
            &args.action_id,
            args.revision,
            &args.reviewer,
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
            let missing: Vec<&str> = outcome.missing_roles.iter().map(String::as_str).collect();
            match (&outcome.waiting_for, missing.is_empty()) {
                (Some(why), _) => writeln!(out, "{}: still held: {why}", outcome.action_id)?,
                (None, true) => writeln!(
                    out,
                    "{}: approved and released to the outbox",
                    outcome.action_id
                )?,
                (None, false) => writeln!(
                    out,
                    "{}: approval recorded, still needs {}",
                    outcome.action_id,
                    missing.join(" + ")
                )?,
            }
        }
    }
    store.close().await;
    Ok(Outcome::Success)
}

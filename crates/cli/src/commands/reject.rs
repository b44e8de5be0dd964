//! `countersign reject ACTION_ID --reviewer NAME --reason TEXT`.

use std::io::{self, Write};

use clap::Args;
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The held action's id (`act_…`).
    pub action_id: String,
    /// The rejecting reviewer.
    #[arg(long)]
    pub reviewer: String,
    /// Why, for the rep and the audit log (required, not empty).
    #[arg(long)]
    pub reason: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: RejectArgs) -> anyhow::Result<Outcome> {
    database::block_on(reject(args))?
}

async fn reject(args: RejectArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    if let Err(e) = store
        .reject(
            &args.action_id,
            &args.reviewer,
            &args.reason,
            database::now(),
        )
        .await
    {
        return database::refused(e, args.format);
    }
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::json!({"action_id": args.action_id, "status": "rejected"})
        )?,
        Format::Human => writeln!(out, "{}: rejected", args.action_id)?,
    }
    store.close().await;
    Ok(Outcome::Success)
}

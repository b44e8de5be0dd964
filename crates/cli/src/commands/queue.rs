//! `countersign queue`: held actions waiting for approvals, oldest first.

use std::io::{self, Write};

use clap::Args;
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Only actions that still need this role.
    #[arg(long)]
    pub role: Option<String>,
    /// `json`: one held action per line.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: QueueArgs) -> anyhow::Result<Outcome> {
    database::block_on(queue(args))?
}

async fn queue(args: QueueArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let items = match store.queue(args.role.as_deref(), database::now()).await {
        Ok(items) => items,
        Err(e) => return database::refused(e, args.format),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => {
            for item in &items {
                writeln!(out, "{}", serde_json::to_string(item)?)?;
            }
        }
        Format::Human => {
            writeln!(
                out,
                "{:<25} {:<22} {:<28} {:<24} age",
                "action", "kind", "to", "missing roles"
            )?;
            writeln!(out, "{}", "-".repeat(108))?;
            let now = database::now();
            for item in &items {
                let missing: Vec<&str> = item.missing_roles.iter().map(String::as_str).collect();
                writeln!(
                    out,
                    "{:<25} {:<22} {:<28} {:<24} {}m",
                    item.action_id,
                    item.kind,
                    item.recipient.as_deref().unwrap_or("-"),
                    missing.join(", "),
                    (now - item.created_at).num_minutes().max(0)
                )?;
            }
            writeln!(out, "{} held", items.len())?;
        }
    }
    out.flush()?;
    store.close().await;
    Ok(Outcome::Success)
}

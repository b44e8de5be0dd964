//! `countersign audit verify|export`: prove the hash chain intact (or name the first broken
//! record, exit 1), and write it as JSON Lines.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use countersign_store::{StoreError, StoreOptions};

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every record's hash; name the first broken record and exit 1 if any.
    Verify(VerifyArgs),
    /// Write every record as one JSON object per line.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(cmd: AuditCommand) -> anyhow::Result<Outcome> {
    match cmd {
        AuditCommand::Verify(args) => database::block_on(verify(args))?,
        AuditCommand::Export(args) => database::block_on(export(args))?,
    }
}

async fn verify(args: VerifyArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let result = store.verify_audit().await;
    store.close().await;
    match result {
        Ok(v) => {
            match args.format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"intact": true, "records": v.records, "head_hash": v.head_hash})
                ),
                Format::Human => println!(
                    "audit chain intact: {} record(s), head {}",
                    v.records, v.head_hash
                ),
            }
            Ok(Outcome::Success)
        }
        Err(StoreError::AuditBroken(b)) => {
            match args.format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"intact": false, "seq": b.seq, "check": b.check, "error": b.to_string()})
                ),
                Format::Human => println!("{b}"),
            }
            Ok(Outcome::Problems)
        }
        Err(e) => database::refused(e, args.format),
    }
}

async fn export(args: ExportArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, Format::Human),
    };
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("failed to create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let n = store
        .export_audit(&mut out)
        .await
        .map_err(database::flat)
        .context("failed to export the audit log")?;
    out.flush().context("failed to write the export")?;
    store.close().await;
    if args.out.is_some() {
        eprintln!("exported {n} audit record(s)");
    }
    Ok(Outcome::Success)
}

//! `countersign suppress EMAIL --reason opt_out|do_not_contact|legal_hold`: the address is
//! never e-mailed again (proposals to it are denied). Audited.

use std::io::{self, Write};

use clap::{Args, ValueEnum};
use countersign_engine::context::Suppression;
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Reason {
    OptOut,
    DoNotContact,
    LegalHold,
}

#[derive(Debug, Args)]
pub struct SuppressArgs {
    /// The address.
    pub email: String,
    #[arg(long, value_enum)]
    pub reason: Reason,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: SuppressArgs) -> anyhow::Result<Outcome> {
    database::block_on(suppress(args))?
}

async fn suppress(args: SuppressArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let reason = match args.reason {
        Reason::OptOut => Suppression::OptOut,
        Reason::DoNotContact => Suppression::DoNotContact,
        Reason::LegalHold => Suppression::LegalHold,
    };
    if let Err(e) = store
        .suppress(&args.email, reason, &database::actor(), database::now())
        .await
    {
        return database::refused(e, args.format);
    }
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::json!({"email": args.email.trim().to_ascii_lowercase(), "suppressed": true})
        )?,
        Format::Human => writeln!(out, "suppressed {}", args.email.trim())?,
    }
    Ok(Outcome::Success)
}

//! `countersign opportunities upsert ID …`: an opportunity as the CRM has it. A change of
//! stage, amount, close date or owner bumps its version, which expires approvals given on
//! the old one. Options left out keep their stored value.

use std::io::{self, Write};

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use countersign_store::{OpportunityUpsert, StoreOptions};

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Subcommand)]
pub enum OpportunitiesCommand {
    /// Create or update an opportunity.
    Upsert(UpsertArgs),
}

#[derive(Debug, Args)]
pub struct UpsertArgs {
    /// The CRM's opportunity id (actions name it as `target.opportunity_id`).
    pub opportunity_id: String,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub stage: Option<String>,
    #[arg(long)]
    pub amount: Option<f64>,
    /// `YYYY-MM-DD`.
    #[arg(long)]
    pub close_date: Option<NaiveDate>,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(cmd: OpportunitiesCommand) -> anyhow::Result<Outcome> {
    match cmd {
        OpportunitiesCommand::Upsert(args) => database::block_on(upsert(args))?,
    }
}

async fn upsert(args: UpsertArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let change = OpportunityUpsert {
        opportunity_id: args.opportunity_id.clone(),
        account_id: args.account.clone(),
        name: args.name.clone(),
        stage: args.stage.clone(),
        amount: args.amount,
        close_date: args.close_date,
        owner: args.owner.clone(),
    };
    let stored = match store.upsert_opportunity(&change, database::now()).await {
        Ok(o) => o,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&stored)?)?,
        Format::Human => writeln!(
            out,
            "opportunity `{}` saved (version {})",
            stored.opportunity_id, stored.version
        )?,
    }
    Ok(Outcome::Success)
}

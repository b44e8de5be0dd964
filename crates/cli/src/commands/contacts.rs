//! `countersign contacts upsert ID …`: a buyer's contact as the CRM has it (title, time
//! zone, account), for the gate's context. Options left out keep their stored value.

use std::io::{self, Write};

use clap::{Args, Subcommand};
use countersign_store::{ContactRecord, StoreOptions};

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Create or update a contact.
    Upsert(UpsertArgs),
}

#[derive(Debug, Args)]
pub struct UpsertArgs {
    /// The CRM's contact id (actions name it as `target.contact_id`).
    pub contact_id: String,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// Job title, e.g. `VP Finance`.
    #[arg(long)]
    pub title: Option<String>,
    /// Role on the opportunity, e.g. `economic_buyer`.
    #[arg(long)]
    pub crm_role: Option<String>,
    /// IANA time zone for quiet hours, e.g. `Europe/Berlin`.
    #[arg(long)]
    pub timezone: Option<String>,
    /// The account, for per-account frequency caps.
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(cmd: ContactsCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ContactsCommand::Upsert(args) => database::block_on(upsert(args))?,
    }
}

async fn upsert(args: UpsertArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let record = ContactRecord {
        contact_id: args.contact_id.clone(),
        email: args.email.clone(),
        name: args.name.clone(),
        title: args.title.clone(),
        crm_role: args.crm_role.clone(),
        timezone: args.timezone.clone(),
        account_id: args.account.clone(),
    };
    let stored = match store.upsert_contact(&record, database::now()).await {
        Ok(c) => c,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&stored)?)?,
        Format::Human => writeln!(out, "contact `{}` saved", stored.contact_id)?,
    }
    Ok(Outcome::Success)
}

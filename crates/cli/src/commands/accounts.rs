//! `countersign accounts add|list`: reviewer and admin accounts that log in to the
//! server. The password is read from `COUNTERSIGN_PASSWORD` or the first line of stdin,
//! never from an argument (arguments show in `ps`), and stored as an argon2id hash.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create an account (or set the password of an existing reviewer with --reset).
    Add(AddArgs),
    /// List accounts (never their passwords).
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The account's name, e.g. `dora.dealdesk`.
    pub name: String,
    /// Roles from the policy, comma-separated: `manager,deal_desk`.
    #[arg(long, default_value = "")]
    pub roles: String,
    /// Make it an admin (manages tools, accounts, the policy and the audit log).
    #[arg(long)]
    pub admin: bool,
    /// Set the password of an existing reviewer instead of creating one.
    #[arg(long)]
    pub reset: bool,
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

pub fn run(cmd: AccountsCommand) -> anyhow::Result<Outcome> {
    match cmd {
        AccountsCommand::Add(args) => database::block_on(add(args))?,
        AccountsCommand::List(args) => database::block_on(list(args))?,
    }
}

fn password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("COUNTERSIGN_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .context("failed to read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn add(args: AddArgs) -> anyhow::Result<Outcome> {
    let password = password()?;
    let hash = match countersign_server::auth::hash_password(password).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!(
                "error: {}: {}",
                e.field.as_deref().unwrap_or("password"),
                e.message
            );
            return Ok(Outcome::Problems);
        }
    };
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let result = if args.reset {
        store
            .set_password(
                &args.name,
                &hash,
                countersign_store::PasswordSet::Reset,
                &database::actor(),
                database::now(),
            )
            .await
    } else {
        let policy = database::policy(&store, args.policy.as_deref()).await?;
        store
            .create_account(
                &args.name,
                &database::list(&args.roles),
                args.admin,
                &hash,
                &policy,
                &database::actor(),
                database::now(),
            )
            .await
    };
    let account = match result {
        Ok(a) => a,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&account)?)?,
        Format::Human => writeln!(
            out,
            "account `{}` ready{} (log in with POST /v1/sessions)",
            account.name,
            if account.admin { ", admin" } else { "" }
        )?,
    }
    Ok(Outcome::Success)
}

async fn list(args: ListArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let accounts = match store.list_accounts().await {
        Ok(a) => a,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    for a in &accounts {
        match args.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string(a)?)?,
            Format::Human => {
                let roles: Vec<&str> = a.roles.iter().map(String::as_str).collect();
                writeln!(
                    out,
                    "{:<24} {:<6} {:<9} {}",
                    a.name,
                    if a.admin { "admin" } else { "" },
                    if a.has_password {
                        "password"
                    } else {
                        "no login"
                    },
                    roles.join(",")
                )?;
            }
        }
    }
    Ok(Outcome::Success)
}

//! `countersign reviewers add|list`: named reviewers and their roles.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use countersign_store::{Chat, StoreOptions};

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Subcommand)]
pub enum ReviewersCommand {
    /// Register a reviewer, or replace an existing reviewer's roles.
    Add(AddArgs),
    /// List reviewers and their roles.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The reviewer's name, e.g. `dora.dealdesk`.
    pub name: String,
    /// Roles from the policy, comma-separated: `manager,deal_desk`.
    #[arg(long, required = true)]
    pub roles: String,
    /// Where to e-mail this reviewer when an action enters their queue (needs
    /// `[notifications] email = true` in the server's configuration).
    #[arg(long)]
    pub email: Option<String>,
    /// The reviewer's Slack user id (`U024BE7LH`): their clicks on Slack's Approve and
    /// Reject buttons act as them.
    #[arg(long)]
    pub slack_user: Option<String>,
    /// The reviewer's Azure AD object id: their `@Countersign approve …` in Teams acts as
    /// them.
    #[arg(long)]
    pub teams_user: Option<String>,
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

pub fn run(cmd: ReviewersCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ReviewersCommand::Add(args) => database::block_on(add(args))?,
        ReviewersCommand::List(args) => database::block_on(list(args))?,
    }
}

async fn add(args: AddArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let policy = database::policy(&store, args.policy.as_deref()).await?;
    let added = store
        .add_reviewer(
            &args.name,
            &database::list(&args.roles),
            &policy,
            &database::actor(),
            database::now(),
        )
        .await;
    let added = match (added, &args.email) {
        (Ok(r), Some(email)) => {
            store
                .set_reviewer_email(&r.name, Some(email), &database::actor(), database::now())
                .await
        }
        (other, _) => other,
    };
    let mut added = added;
    for (chat, id) in [
        (Chat::Slack, &args.slack_user),
        (Chat::Teams, &args.teams_user),
    ] {
        if let (Ok(r), Some(id)) = (&added, id) {
            added = store
                .set_reviewer_chat(&r.name, chat, Some(id), &database::actor(), database::now())
                .await;
        }
    }
    let reviewer = match added {
        Ok(r) => r,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&reviewer)?)?,
        Format::Human => {
            let roles: Vec<&str> = reviewer.roles.iter().map(String::as_str).collect();
            let email = reviewer
                .email
                .as_deref()
                .map_or(String::new(), |e| format!(" <{e}>"));
            writeln!(
                out,
                "reviewer `{}`{email}: {}",
                reviewer.name,
                roles.join(", ")
            )?;
        }
    }
    Ok(Outcome::Success)
}

async fn list(args: ListArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let reviewers = match store.list_reviewers().await {
        Ok(r) => r,
        Err(e) => return database::refused(e, args.format),
    };
    store.close().await;
    let mut out = io::stdout().lock();
    for r in &reviewers {
        match args.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string(r)?)?,
            Format::Human => {
                let roles: Vec<&str> = r.roles.iter().map(String::as_str).collect();
                writeln!(out, "{:<24} {}", r.name, roles.join(", "))?;
            }
        }
    }
    Ok(Outcome::Success)
}

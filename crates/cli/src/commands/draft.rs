//! `countersign draft OPPORTUNITY_ID --intent TEXT`: the follow-up assistant writes a draft
//! from the deal's context and proposes it through the gate as the registered assistant
//! tool, exactly as `POST /v1/drafts` does. Prints the decision, the draft and its sources.
//!
//! Reads the server's configuration (`--config`, `countersign.toml`, `COUNTERSIGN_…`), so
//! the assistant's tool (`[assistant] tool`) and writer are the server's. Run by hand with
//! database access, it acts as an administrator would.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use countersign_server::auth::Principal;
use countersign_server::config::Overrides;
use countersign_server::routes::drafts::DraftedBody;
use countersign_server::service::drafts::{self, DraftRequest};
use countersign_server::state::AppState;
use countersign_store::Account;

use crate::Outcome;
use crate::commands::check::Format;

#[derive(Debug, Args)]
pub struct DraftArgs {
    /// The CRM's id of the opportunity.
    pub opportunity_id: String,
    /// What the follow-up is for: "recap the demo", "answer their SSO question", "re-engage".
    #[arg(long)]
    pub intent: String,
    /// Whom to write to (a contact id); by default the contact who wrote last.
    #[arg(long)]
    pub contact: Option<String>,
    /// Propose `email.send` instead of `email.draft` (the assistant's grant must allow it).
    #[arg(long)]
    pub send: bool,
    /// Retries with the same key return the first draft.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Configuration file (default: ./countersign.toml when present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://…` [default: the configuration's].
    #[arg(long, env = "COUNTERSIGN_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

pub fn run(args: DraftArgs) -> anyhow::Result<Outcome> {
    crate::database::block_on(go(args))?
}

async fn go(args: DraftArgs) -> anyhow::Result<Outcome> {
    let config = super::serve::load(
        args.config.as_deref(),
        &Overrides {
            database_url: args.database_url,
            ..Overrides::default()
        },
    )?;
    let state = AppState::build(config)
        .await
        .context("failed to open the store")?;
    let operator = Principal::Account(Account {
        reviewer_id: 0,
        name: crate::database::actor(),
        roles: Default::default(),
        admin: true,
        has_password: false,
        email: None,
        disabled_at: None,
        created_at: crate::database::now(),
    });
    let request = DraftRequest {
        opportunity_id: args.opportunity_id,
        intent: args.intent,
        contact_id: args.contact,
        send: args.send,
        idempotency_key: args.idempotency_key,
    };
    let drafted = drafts::draft(&state, &operator, request)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    state.store.close().await;
    let body = DraftedBody::from(drafted);
    let mut out = std::io::stdout().lock();
    if args.format == Format::Json {
        writeln!(out, "{}", serde_json::to_string(&body)?)?;
        return Ok(Outcome::Success);
    }
    let d = &body.proposal.decision;
    writeln!(
        out,
        "{}: {} (written by {})",
        body.proposal.action_id, d.decision, body.writer
    )?;
    for r in &d.reasons {
        writeln!(out, "  - {r}")?;
    }
    writeln!(out, "\nSubject: {}\n\n{}\n", body.subject, body.body)?;
    writeln!(out, "Sources:")?;
    for s in &body.sources {
        writeln!(out, "  [{} {}] {}", s.kind, s.reference, s.excerpt)?;
    }
    writeln!(out, "\n{}", body.proposal.next_step)?;
    Ok(Outcome::Success)
}

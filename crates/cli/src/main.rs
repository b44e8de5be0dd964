//! `countersign`: the command line around the decision engine.
//!
//! `main` only parses arguments and maps results to exit codes; each subcommand lives in
//! `commands/`. Exit codes: 0 success; 1 the command ran but found problems (a malformed
//! input line, a failing policy test, an invalid policy) or the store refused the operation
//! (wrong role, not held, idempotency conflict, broken audit chain); 2 usage or set-up
//! error (bad input, bad `--database-url`, unreachable database).

mod commands;
mod database;
mod input;
mod policy_files;
mod timeout;
mod training;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The governance gate between AI and buyers: AI drafts, humans countersign what matters.
#[derive(Debug, Parser)]
#[command(name = "countersign", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the inbox on a fresh demo database: an organisation, two weeks of AI proposals.
    Demo(commands::demo::DemoArgs),
    /// Decide actions from JSON Lines (a file or stdin).
    Check(commands::check::CheckArgs),
    /// Measure the detectors on labelled messages (`--folds K` cross-validates the model).
    Eval(commands::eval::EvalArgs),
    /// Train the model that ships with the engine from labelled messages.
    Train(commands::train::TrainArgs),
    /// Measure decision speed over a JSON Lines corpus.
    Bench(commands::bench::BenchArgs),
    /// Show, validate and test policies.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// Decide actions from JSON Lines and store them with their decisions.
    Propose(commands::propose::ProposeArgs),
    /// List held actions waiting for approvals.
    Queue(commands::queue::QueueArgs),
    /// Show everything stored about one action.
    Show(commands::show::ShowArgs),
    /// Approve the latest revision of a held action.
    Approve(commands::approve::ApproveArgs),
    /// Replace a held action's body (a new revision, decided again).
    Edit(commands::edit::EditArgs),
    /// Reject a held action, with a reason.
    Reject(commands::reject::RejectArgs),
    /// Verify or export the hash-chained audit log.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Register, list and revoke sanctioned tools and their API keys.
    #[command(subcommand)]
    Tools(commands::tools::ToolsCommand),
    /// Register and list reviewers and their roles.
    #[command(subcommand)]
    Reviewers(commands::reviewers::ReviewersCommand),
    /// Import a CRM's export (Salesforce or HubSpot CSV files): accounts, contacts,
    /// opportunities, their history and activities, upserted by the CRM's ids.
    Import(commands::import::ImportArgs),
    /// Open opportunities ranked by how much they need a human now, with reasons.
    Triage(commands::triage::TriageArgs),
    /// The AI Opportunity Score: where AI should start (follow-up e-mail, CRM hygiene,
    /// research, meeting prep, knowledge), each workflow's parts, and what would move
    /// follow-up e-mail up.
    Assess(commands::assess::AssessArgs),
    /// A deal's context: a summary, the buying committee, how it moved, the last touches,
    /// earlier held or rejected messages and promises.
    Context(commands::context::ContextArgs),
    /// Replay the actions proposed over a window under a candidate policy and the active
    /// one: what would change, per topic, role, tool and week, and the reviewers' load.
    Simulate(commands::simulate::SimulateArgs),
    /// Find shadow AI: sent mail, CRM login exports and extension inventories read against
    /// the signatures of AI tools, with the server's sightings of unknown keys.
    Scan(commands::scan::ScanArgs),
    /// Draft a follow-up for an opportunity from its context, with its sources, and propose
    /// it through the gate as the registered assistant.
    Draft(commands::draft::DraftArgs),
    /// The approved answers sellers may give (Markdown with front matter): claims in
    /// proposed messages are checked against them.
    #[command(subcommand)]
    Knowledge(commands::knowledge::KnowledgeCommand),
    /// Record buyers' contacts (title, time zone, account).
    #[command(subcommand)]
    Contacts(commands::contacts::ContactsCommand),
    /// Record opportunities (changes expire approvals given before them).
    #[command(subcommand)]
    Opportunities(commands::opportunities::OpportunitiesCommand),
    /// Never e-mail an address again (opt-out, do-not-contact, legal hold).
    Suppress(commands::suppress::SuppressArgs),
    /// Deliver released actions: e-mail over SMTP, CRM changes to the webhook.
    Deliver(commands::deliver::DeliverArgs),
    /// Serve the REST API, MCP over HTTP at /mcp, /healthz and /metrics (and deliver).
    Serve(commands::serve::ServeArgs),
    /// Serve MCP over stdin/stdout as one tool (for agents that start tools as processes).
    Mcp(commands::mcp::McpArgs),
    /// Create and list reviewer and admin accounts that log in to the server.
    #[command(subcommand)]
    Accounts(commands::accounts::AccountsCommand),
}

/// What a command reports back to `main`.
pub enum Outcome {
    /// Everything went as expected.
    Success,
    /// The command ran and found problems the user must look at.
    Problems,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Policy(cmd) => commands::policy::run(cmd),
        Command::Propose(args) => commands::propose::run(args),
        Command::Queue(args) => commands::queue::run(args),
        Command::Show(args) => commands::show::run(args),
        Command::Approve(args) => commands::approve::run(args),
        Command::Edit(args) => commands::edit::run(args),
        Command::Reject(args) => commands::reject::run(args),
        Command::Audit(cmd) => commands::audit::run(cmd),
        Command::Tools(cmd) => commands::tools::run(cmd),
        Command::Reviewers(cmd) => commands::reviewers::run(cmd),
        Command::Import(args) => commands::import::run(args),
        Command::Triage(args) => commands::triage::run(args),
        Command::Assess(args) => commands::assess::run(args),
        Command::Context(args) => commands::context::run(args),
        Command::Draft(args) => commands::draft::run(args),
        Command::Scan(args) => commands::scan::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Knowledge(args) => commands::knowledge::run(args),
        Command::Contacts(cmd) => commands::contacts::run(cmd),
        Command::Opportunities(cmd) => commands::opportunities::run(cmd),
        Command::Suppress(args) => commands::suppress::run(args),
        Command::Deliver(args) => commands::deliver::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Mcp(args) => commands::mcp::run(args),
        Command::Accounts(cmd) => commands::accounts::run(cmd),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(e) => {
            // A closed pipe (`countersign check | head`) is not an error worth a message.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

//! `countersign`: the command line around the decision engine.
//!
//! `main` only parses arguments and maps results to exit codes; each subcommand lives in
//! `commands/`. Exit codes: 0 success; 1 the command ran but found problems (a malformed
//! input line, a failing policy test, an invalid policy); 2 usage or set-up error.

mod commands;
mod input;
mod policy_files;
mod timeout;

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
    /// Decide a shipped set of example actions and print the decisions.
    Demo(commands::demo::DemoArgs),
    /// Decide actions from JSON Lines (a file or stdin).
    Check(commands::check::CheckArgs),
    /// Measure the detectors on labelled messages.
    Eval(commands::eval::EvalArgs),
    /// Measure decision speed over a JSON Lines corpus.
    Bench(commands::bench::BenchArgs),
    /// Show, validate and test policies.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
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
        Command::Bench(args) => commands::bench::run(args),
        Command::Policy(cmd) => commands::policy::run(cmd),
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

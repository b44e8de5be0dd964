//! `countersign demo`: decide a shipped set of example actions and print the decisions.
//!
//! The examples are a scripted AI agent's proposals across every category: routine
//! follow-ups that run by themselves, objection answers, pricing and contract talk, an
//! executive recipient, sensitive data, pressure, injection, CRM stage and amount changes.

use std::io::{self, Write};

use clap::Args;

use crate::Outcome;
use crate::commands::check::print_table;
use crate::input::{self, Parsed};
use crate::timeout::TimedGate;

/// The scripted agent's proposals, compiled into the binary.
const DEMO_ACTIONS: &str = include_str!("../../demo/actions.jsonl");

#[derive(Debug, Args)]
pub struct DemoArgs {}

pub fn run(_args: DemoArgs) -> anyhow::Result<Outcome> {
    let policy = countersign_engine::Policy::default_policy().clone();
    println!(
        "Countersign demo: a scripted AI agent proposes {} actions.",
        DEMO_ACTIONS.lines().count()
    );
    println!(
        "Policy `{}` version {}\n",
        policy.config.name, policy.version
    );
    let mut gate = TimedGate::new(policy, std::time::Duration::from_secs(2));
    let mut records = Vec::new();
    for line in input::read_lines(DEMO_ACTIONS.as_bytes()) {
        let line = line?;
        if let Parsed::Action(pair) = line.parsed {
            let (action, ctx) = *pair;
            records.push(gate.decide(action, ctx));
        } else {
            anyhow::bail!("demo action on line {} is malformed", line.number);
        }
    }
    let mut out = io::stdout().lock();
    print_table(&mut out, &records)?;
    let count =
        |d: countersign_engine::Decision| records.iter().filter(|r| r.decision == d).count();
    use countersign_engine::Decision::*;
    writeln!(
        out,
        "\n{} allowed, {} held for approval, {} returned as drafts, {} denied.",
        count(Allow),
        count(Hold),
        count(DraftOnly),
        count(Deny)
    )?;
    writeln!(
        out,
        "Try: countersign check --format json < your-actions.jsonl"
    )?;
    Ok(Outcome::Success)
}

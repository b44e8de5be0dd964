//! `countersign train`: trains the model that ships with the engine (`training/README.md`).
//!
//! Deterministic: the same files give the same weights, byte for byte. The shared labelled
//! sets are read where they are (`../shared/eval/`), never copied into the repository.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use countersign_engine::detect::model::TrainConfig;
use countersign_engine::gate::Judgement;

use crate::Outcome;
use crate::policy_files;
use crate::training::{self, Record};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled JSON Lines to learn from (the `eval` format); repeat for several files.
    /// Default: training/examples.jsonl, ../shared/eval/sellers.jsonl, ../shared/eval/dev.jsonl.
    #[arg(long)]
    pub data: Vec<PathBuf>,
    /// Where to write the weights.
    #[arg(long, default_value = "crates/engine/model/weights.bin")]
    pub out: PathBuf,
    /// Policy directory whose rules produce the model's rule features (default: built in).
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

pub fn run(args: TrainArgs) -> anyhow::Result<Outcome> {
    let policy = policy_files::load(args.policy.as_deref())?;
    let files = if args.data.is_empty() {
        training::default_data()
    } else {
        args.data
    };
    anyhow::ensure!(!files.is_empty(), "--data: no training file found");
    let mut records: Vec<Record> = Vec::new();
    let mut err = std::io::stderr().lock();
    for file in &files {
        let loaded = training::load(file)?;
        for (line, problem) in &loaded.errors {
            writeln!(err, "{}: line {line}: {problem} (skipped)", file.display())?;
        }
        writeln!(err, "{}: {} records", file.display(), loaded.records.len())?;
        records.extend(loaded.records);
    }
    let cfg = TrainConfig::default();
    let refs: Vec<&Record> = records.iter().collect();
    let model = training::fit(&refs, &policy, Judgement::Both, &cfg)?;
    let bytes = model.to_bytes();
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("failed to write {}", args.out.display()))?;
    writeln!(
        err,
        "trained on {} records: {} bytes written to {}",
        records.len(),
        bytes.len(),
        args.out.display()
    )?;
    Ok(Outcome::Success)
}

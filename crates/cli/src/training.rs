//! Labelled records and the model trained on them: shared by `countersign train` (which
//! writes the shipped weights) and `countersign eval --folds` (which trains one model per
//! fold, so no record is ever judged by a model that learnt from it).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use countersign_engine::detect::model::{Example, LABELS, Model, TrainConfig, train};
use countersign_engine::gate::Judgement;
use countersign_engine::{Action, Category, Context, Gate, Policy};
use serde_json::Value;

use crate::input::{self, Parsed};

/// The training set `countersign train` uses when no `--data` is given: our own written
/// examples in the repository, then the shared labelled sets, read in place, never copied.
pub const DEFAULT_DATA: [&str; 3] = [
    "training/examples.jsonl",
    "../shared/eval/sellers.jsonl",
    "../shared/eval/dev.jsonl",
];

/// One labelled message.
pub struct Record {
    /// 1-based line in its file.
    pub line: usize,
    pub id: String,
    pub action: Action,
    pub context: Context,
    /// The gold labels.
    pub gold: Vec<Category>,
    /// The raw record, for fields `eval` reports by (`subtopics`, `lang`).
    pub value: Value,
}

impl Record {
    /// Whether each of the model's labels applies.
    pub fn targets(&self) -> [bool; LABELS.len()] {
        LABELS.map(|c| self.gold.contains(&c))
    }
}

/// What a data file held: the records, and the lines that could not be read.
pub struct Loaded {
    pub records: Vec<Record>,
    /// `(line, problem)` for every line that is not a labelled action.
    pub errors: Vec<(usize, String)>,
}

/// Reads a labelled JSON Lines file (the `eval` format).
pub fn load(path: &Path) -> anyhow::Result<Loaded> {
    let file = File::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for line in input::read_lines(BufReader::new(file)) {
        let line = line.with_context(|| format!("failed to read {}", path.display()))?;
        let (action, context) = match line.parsed {
            Parsed::Action(pair) => *pair,
            Parsed::Unreadable(failure) => {
                errors.push((line.number, failure.to_string()));
                continue;
            }
            Parsed::Malformed(problem) => {
                errors.push((line.number, problem));
                continue;
            }
        };
        let raw = line.value.unwrap_or(Value::Null);
        let value = Some(&raw);
        let gold = gold_labels(value)
            .with_context(|| format!("{}: line {}", path.display(), line.number))?;
        let id = value
            .and_then(|v| v.get("id"))
            .and_then(Value::as_str)
            .map_or_else(|| format!("line-{}", line.number), str::to_owned);
        records.push(Record {
            line: line.number,
            id,
            action,
            context,
            gold,
            value: raw,
        });
    }
    Ok(Loaded { records, errors })
}

/// The record's labels; `[]` and `["routine"]` both mean routine.
pub fn gold_labels(value: Option<&Value>) -> anyhow::Result<Vec<Category>> {
    let Some(labels) = value.and_then(|v| v.get("labels")) else {
        anyhow::bail!("labels: missing");
    };
    let list = labels.as_array().context("labels: expected a list")?;
    let mut out = Vec::new();
    for l in list {
        let name = l.as_str().context("labels: expected strings")?;
        match Category::parse(name) {
            Some(c) => out.push(c),
            None if name == "routine" => {}
            None => anyhow::bail!("labels: `{name}` is not a label"),
        }
    }
    Ok(out)
}

/// The fold of a record, from a hash of its id: stable across runs and file orders.
pub fn fold_of(id: &str, folds: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % folds as u64) as usize
}

/// The model's view of each record (rules run once here, not once per epoch).
pub fn examples(
    records: &[&Record],
    policy: &Policy,
    judgement: Judgement,
    cfg: &TrainConfig,
) -> anyhow::Result<Vec<Example>> {
    // Features come from the rules alone: the model must not read its own judgement.
    let gate = Gate::new().with_judgement(judgement);
    records
        .iter()
        .map(|r| {
            let features = gate
                .features(&r.action, &r.context, policy, cfg)
                .with_context(|| format!("record `{}`", r.id))?;
            Ok(Example {
                features,
                labels: r.targets(),
            })
        })
        .collect()
}

/// Trains on `records`.
pub fn fit(
    records: &[&Record],
    policy: &Policy,
    judgement: Judgement,
    cfg: &TrainConfig,
) -> anyhow::Result<Model> {
    Ok(train(&examples(records, policy, judgement, cfg)?, cfg))
}

/// Whether two paths name the same file (so `eval --folds` never trains on the file it judges).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The default training files that exist, relative to the working directory.
pub fn default_data() -> Vec<PathBuf> {
    DEFAULT_DATA
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

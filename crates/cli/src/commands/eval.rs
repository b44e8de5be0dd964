//! `countersign eval`: measure the detectors on labelled messages (DESIGN §6).
//!
//! A label counts as detected when the decision has at least one finding of that category.
//! Escape rate: protected messages (objection, commercial or executive) that would be
//! allowed. False-hold rate: routine messages (no label) that would not be allowed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use chrono::Utc;
use clap::Args;
use countersign_engine::{Category, Decision, DecisionRecord, Gate};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::Outcome;
use crate::commands::check::Format;
use crate::input::{self, Parsed};
use crate::policy_files;

/// The labels the evaluation data carries.
const LABELS: [Category; 4] = [
    Category::Objection,
    Category::Commercial,
    Category::Executive,
    Category::Sensitive,
];

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled JSON Lines: {"id", "text", "subject"?, "recipient_title"?, "labels": [...]}.
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write every record's decision (the `check --format json` lines) to this file.
    #[arg(long)]
    pub decisions: Option<PathBuf>,
    /// Policy directory (default: the built-in policy, as the published figures use).
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn json(self) -> Value {
        let p = ratio(self.tp, self.tp + self.fp);
        let r = ratio(self.tp, self.tp + self.fn_);
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        json!({"tp": self.tp, "fp": self.fp, "fn": self.fn_,
               "precision": round(p), "recall": round(r), "f1": round(f1)})
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

pub fn run(args: EvalArgs) -> anyhow::Result<Outcome> {
    let policy = policy_files::load(args.policy.as_deref())?;
    let file = File::open(&args.data)
        .with_context(|| format!("failed to open {}", args.data.display()))?;
    let lines: Vec<input::Line> = input::read_lines(BufReader::new(file))
        .collect::<Result<_, _>>()
        .context("failed to read the data")?;
    let mut decisions_out = match &args.decisions {
        Some(p) => {
            Some(BufWriter::new(File::create(p).with_context(|| {
                format!("failed to create {}", p.display())
            })?))
        }
        None => None,
    };

    let progress = if std::io::stderr().is_terminal() {
        let bar =
            ProgressBar::with_draw_target(Some(lines.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} messages {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let gate = Gate::new();
    let now = Utc::now();
    let mut per_label: BTreeMap<Category, Counts> =
        LABELS.iter().map(|c| (*c, Counts::default())).collect();
    // (label, gold subtopic) → (records, detected)
    let mut per_subtopic: BTreeMap<(Category, String), (usize, usize)> = BTreeMap::new();
    let (mut protected, mut escaped, mut routine, mut false_holds, mut errors) = (0, 0, 0, 0, 0);
    let mut decide_time = std::time::Duration::ZERO;

    for line in &lines {
        progress.inc(1);
        let (action, ctx) = match &line.parsed {
            Parsed::Action(pair) => (&pair.0, &pair.1),
            Parsed::Unreadable(problem) | Parsed::Malformed(problem) => {
                errors += 1;
                if let Some(out) = decisions_out.as_mut() {
                    writeln!(out, "{}", json!({"line": line.number, "error": problem}))?;
                }
                continue;
            }
        };
        let gold =
            gold_labels(line.value.as_ref()).with_context(|| format!("line {}", line.number))?;
        let started = Instant::now();
        let record: DecisionRecord = gate.decide(action, ctx, &policy, now);
        decide_time += started.elapsed();
        if let Some(out) = decisions_out.as_mut() {
            writeln!(out, "{}", serde_json::to_string(&record)?)?;
        }

        let found = countersign_engine::detect::categories(&record.findings);
        for label in LABELS {
            let c = per_label.entry(label).or_default();
            match (gold.contains(&label), found.contains(&label)) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => {}
            }
        }
        for (label, subs) in gold_subtopics(line.value.as_ref(), &gold) {
            for sub in subs {
                let e = per_subtopic.entry((label, sub)).or_default();
                e.0 += 1;
                e.1 += usize::from(found.contains(&label));
            }
        }
        if gold.iter().any(|c| c.is_protected()) {
            protected += 1;
            escaped += usize::from(record.decision == Decision::Allow);
        } else if gold.is_empty() {
            routine += 1;
            false_holds += usize::from(record.decision != Decision::Allow);
        }
    }
    progress.finish_and_clear();
    if let Some(mut out) = decisions_out {
        out.flush()?;
    }

    let decided = lines.len() - errors;
    let per_second = decided as f64 / decide_time.as_secs_f64().max(1e-9);
    let summary = json!({
        "n": decided,
        "per_label": per_label.iter().map(|(c, counts)| (c.as_str().to_owned(), counts.json())).collect::<serde_json::Map<_, _>>(),
        "protected": {
            "escape_rate": round(ratio(escaped, protected)),
            "false_hold_rate": round(ratio(false_holds, routine)),
            "protected": protected, "escaped": escaped, "routine": routine, "false_holds": false_holds,
        },
        "messages_per_second": per_second.round(),
    });

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<12} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}",
        "label", "tp", "fp", "fn", "precision", "recall", "f1"
    )?;
    for (c, counts) in &per_label {
        let j = counts.json();
        writeln!(
            out,
            "{:<12} {:>5} {:>5} {:>5} {:>9.3} {:>7.3} {:>6.3}",
            c.as_str(),
            counts.tp,
            counts.fp,
            counts.fn_,
            j["precision"].as_f64().unwrap_or_default(),
            j["recall"].as_f64().unwrap_or_default(),
            j["f1"].as_f64().unwrap_or_default()
        )?;
    }
    writeln!(
        out,
        "\n{:<30} {:>7} {:>8} {:>7}",
        "label/subtopic", "records", "detected", "recall"
    )?;
    for ((label, sub), (n, hit)) in &per_subtopic {
        writeln!(
            out,
            "{:<30} {:>7} {:>8} {:>7.3}",
            format!("{label}/{sub}"),
            n,
            hit,
            ratio(*hit, *n)
        )?;
    }
    writeln!(
        out,
        "\nescape rate {:.4} ({escaped} of {protected} protected allowed), false-hold rate {:.4} ({false_holds} of {routine} routine not allowed), {:.0} messages/s",
        ratio(escaped, protected),
        ratio(false_holds, routine),
        per_second
    )?;
    if errors > 0 {
        writeln!(out, "{errors} record(s) could not be read")?;
    }
    if args.format == Format::Json {
        writeln!(out, "{summary}")?;
    }
    Ok(if errors > 0 {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

/// The record's labels; `[]` and `["routine"]` both mean routine.
fn gold_labels(value: Option<&Value>) -> anyhow::Result<Vec<Category>> {
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

/// Gold subtopics attributed to the label they belong to (sensitive kinds to sensitive,
/// the rest to objection or commercial by the detectors' subtopic lists).
fn gold_subtopics(value: Option<&Value>, gold: &[Category]) -> Vec<(Category, Vec<String>)> {
    let subs: Vec<String> = value
        .and_then(|v| v.get("subtopics"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut out: Vec<(Category, Vec<String>)> = Vec::new();
    for label in gold {
        let own: Vec<String> = subs
            .iter()
            .filter(|s| {
                countersign_engine::detect::known_subtopic(*label, s)
                    || (*label == Category::Sensitive
                        && !gold.iter().any(|g| {
                            *g != Category::Sensitive
                                && countersign_engine::detect::known_subtopic(*g, s)
                        }))
            })
            .cloned()
            .collect();
        out.push((
            *label,
            if own.is_empty() {
                vec!["(none)".to_owned()]
            } else {
                own
            },
        ));
    }
    out
}

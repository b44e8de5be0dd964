//! `countersign eval`: measure the detectors on labelled messages (DESIGN §6).
//!
//! A label counts as detected when the decision has at least one finding of that category.
//! Escape rate: protected messages (objection, commercial or executive) that would be
//! allowed. False-hold rate: routine messages (no label) that would not be allowed.
//!
//! `--folds K` is the honest figure for the model: each record is judged by a model trained
//! on the other K−1 folds (plus the other training files, never this one), so no record is
//! judged by a model that learnt from it. Without it the shipped weights judge, and on the
//! files they were trained on that figure flatters.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, ValueEnum};
use countersign_engine::detect::model::TrainConfig;
use countersign_engine::gate::Judgement;
use countersign_engine::policy::Sensitivity;
use countersign_engine::{Category, Decision, DecisionRecord, Gate, Policy};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::Outcome;
use crate::commands::check::Format;
use crate::policy_files;
use crate::training::{self, Record};

/// The labels the evaluation data carries.
const LABELS: [Category; 4] = [
    Category::Objection,
    Category::Commercial,
    Category::Executive,
    Category::Sensitive,
];

/// Which judgement decides the protected categories, for an ablation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Detectors {
    /// The rules alone.
    Rules,
    /// The model alone (trained without the rules' findings when `--folds` is given).
    Model,
    /// The model over the rules (what the gate runs).
    Both,
}

impl Detectors {
    fn judgement(self) -> Judgement {
        match self {
            Detectors::Rules => Judgement::Rules,
            Detectors::Model => Judgement::Model,
            Detectors::Both => Judgement::Both,
        }
    }
}

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
    /// Cross-validate: judge each record with a model trained on the other K−1 folds.
    #[arg(long, value_parser = clap::value_parser!(u16).range(2..=50))]
    pub folds: Option<u16>,
    /// With `--folds`: other labelled files the fold models also learn from. Default: the
    /// training set of `countersign train`, without the file being judged.
    #[arg(long)]
    pub train_data: Vec<PathBuf>,
    /// Judge with the rules, the model, or both (the default, and what the gate runs).
    #[arg(long, value_enum, default_value_t = Detectors::Both)]
    pub detectors: Detectors,
    /// With `--folds`: training epochs (tuning; the default is what `train` ships).
    #[arg(long, hide = true)]
    pub epochs: Option<usize>,
    /// With `--folds`: AdaGrad learning rate (tuning).
    #[arg(long, hide = true)]
    pub learning_rate: Option<f32>,
    /// With `--folds`: L2 penalty (tuning).
    #[arg(long, hide = true)]
    pub l2: Option<f32>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn add(&mut self, gold: bool, found: bool) {
        match (gold, found) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => {}
        }
    }

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

/// Escape and false-hold counts over a set of records.
#[derive(Debug, Default, Clone, Copy)]
struct Rates {
    protected: usize,
    escaped: usize,
    routine: usize,
    false_holds: usize,
}

impl Rates {
    fn add(&mut self, gold: &[Category], decision: Decision) {
        if gold.iter().any(|c| c.is_protected()) {
            self.protected += 1;
            self.escaped += usize::from(decision == Decision::Allow);
        } else if gold.is_empty() {
            self.routine += 1;
            self.false_holds += usize::from(decision != Decision::Allow);
        }
    }

    fn json(self) -> Value {
        json!({
            "escape_rate": round(ratio(self.escaped, self.protected)),
            "false_hold_rate": round(ratio(self.false_holds, self.routine)),
            "protected": self.protected, "escaped": self.escaped,
            "routine": self.routine, "false_holds": self.false_holds,
        })
    }
}

/// Every figure for one pass over the records.
#[derive(Debug, Default)]
struct Tally {
    decided: usize,
    per_label: BTreeMap<Category, Counts>,
    /// (label, gold subtopic) → (records, detected)
    per_subtopic: BTreeMap<(Category, String), (usize, usize)>,
    rates: Rates,
    per_lang: BTreeMap<String, (Rates, BTreeMap<Category, Counts>)>,
}

impl Tally {
    fn add(&mut self, record: &Record, decision: &DecisionRecord) {
        self.decided += 1;
        let found = countersign_engine::detect::categories(&decision.findings);
        let lang = record
            .value
            .get("lang")
            .and_then(Value::as_str)
            .map(str::to_owned);
        for label in LABELS {
            let (gold, hit) = (record.gold.contains(&label), found.contains(&label));
            self.per_label.entry(label).or_default().add(gold, hit);
            if let Some(lang) = &lang {
                let entry = self.per_lang.entry(lang.clone()).or_default();
                entry.1.entry(label).or_default().add(gold, hit);
            }
        }
        for (label, subs) in gold_subtopics(&record.value, &record.gold) {
            for sub in subs {
                let e = self.per_subtopic.entry((label, sub)).or_default();
                e.0 += 1;
                e.1 += usize::from(found.contains(&label));
            }
        }
        self.rates.add(&record.gold, decision.decision);
        if let Some(lang) = lang {
            self.per_lang
                .entry(lang)
                .or_default()
                .0
                .add(&record.gold, decision.decision);
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn progress(len: usize, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {what} eta {{eta}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// One gate per fold (or one for all records without `--folds`), and each record's fold.
fn gates(
    args: &EvalArgs,
    records: &[Record],
    policy: &Policy,
) -> anyhow::Result<(Vec<Gate>, Vec<usize>)> {
    let judgement = args.detectors.judgement();
    let Some(folds) = args.folds.map(usize::from) else {
        return Ok((
            vec![Gate::new().with_judgement(judgement)],
            vec![0; records.len()],
        ));
    };
    let fold: Vec<usize> = records
        .iter()
        .map(|r| training::fold_of(&r.id, folds))
        .collect();
    let extra_files: Vec<PathBuf> = if args.train_data.is_empty() {
        training::default_data()
    } else {
        args.train_data.clone()
    };
    let mut extra: Vec<Record> = Vec::new();
    for file in extra_files
        .iter()
        .filter(|f| !training::same_file(f, &args.data))
    {
        extra.extend(training::load(file)?.records);
    }
    // The rules run once per record; each fold only re-weighs.
    let defaults = TrainConfig::default();
    let cfg = TrainConfig {
        epochs: args.epochs.unwrap_or(defaults.epochs),
        learning_rate: args.learning_rate.unwrap_or(defaults.learning_rate),
        l2: args.l2.unwrap_or(defaults.l2),
        ..defaults
    };
    let feature_judgement = match judgement {
        Judgement::Rules => Judgement::Both,
        j => j,
    };
    let own = training::examples(
        &records.iter().collect::<Vec<_>>(),
        policy,
        feature_judgement,
        &cfg,
    )?;
    let others = training::examples(
        &extra.iter().collect::<Vec<_>>(),
        policy,
        feature_judgement,
        &cfg,
    )?;
    let bar = progress(folds, "folds trained");
    let mut out = Vec::with_capacity(folds);
    for k in 0..folds {
        let set: Vec<_> = others
            .iter()
            .chain(
                own.iter()
                    .zip(&fold)
                    .filter(|(_, f)| **f != k)
                    .map(|(e, _)| e),
            )
            .cloned()
            .collect();
        let model = countersign_engine::detect::model::train(&set, &cfg);
        out.push(Gate::new().with_model(model).with_judgement(judgement));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((out, fold))
}

pub fn run(args: EvalArgs) -> anyhow::Result<Outcome> {
    let mut policy = policy_files::load(args.policy.as_deref())?;
    let loaded = training::load(&args.data)?;
    let records = &loaded.records;
    let (gates, fold) = gates(&args, records, &policy)?;
    let now = Utc::now();

    // The policy's own operating point first; the others for the trade-off table.
    let chosen = policy.config.model.sensitivity;
    let mut tally = Tally::default();
    let mut decisions: Vec<DecisionRecord> = Vec::with_capacity(records.len());
    let mut decide_time = Duration::ZERO;
    let bar = progress(records.len(), "messages");
    for (record, k) in records.iter().zip(&fold) {
        bar.inc(1);
        let started = Instant::now();
        let decision = gates[*k].decide(&record.action, &record.context, &policy, now);
        decide_time += started.elapsed();
        tally.add(record, &decision);
        decisions.push(decision);
    }
    bar.finish_and_clear();
    // The trade-off: the named points and a few probabilities between them.
    let mut points: Vec<(Sensitivity, Rates)> = Vec::new();
    if args.detectors != Detectors::Rules {
        let extra = [0.03, 0.05, 0.08, 0.1, 0.2, 0.4].map(Sensitivity::Threshold);
        let mut all: Vec<Sensitivity> = Sensitivity::NAMED.into_iter().chain(extra).collect();
        all.sort_by(|a, b| a.threshold().total_cmp(&b.threshold()));
        all.dedup_by(|a, b| a.threshold() == b.threshold());
        for point in all {
            if point.threshold() == chosen.threshold() {
                points.push((point, tally.rates));
                continue;
            }
            policy.config.model.sensitivity = point;
            let mut rates = Rates::default();
            for (record, k) in records.iter().zip(&fold) {
                let d = gates[*k].decide(&record.action, &record.context, &policy, now);
                rates.add(&record.gold, d.decision);
            }
            points.push((point, rates));
        }
        policy.config.model.sensitivity = chosen;
    }

    if let Some(path) = &args.decisions {
        let mut out = BufWriter::new(
            File::create(path).with_context(|| format!("failed to create {}", path.display()))?,
        );
        // In input order, unreadable lines as error records where they stood.
        let mut errors = loaded.errors.iter().peekable();
        for (record, decision) in records.iter().zip(&decisions) {
            while let Some((line, problem)) = errors.next_if(|(l, _)| *l < record.line) {
                writeln!(out, "{}", json!({"line": line, "error": problem}))?;
            }
            writeln!(out, "{}", serde_json::to_string(decision)?)?;
        }
        for (line, problem) in errors {
            writeln!(out, "{}", json!({"line": line, "error": problem}))?;
        }
        out.flush()?;
    }

    let per_second = records.len() as f64 / decide_time.as_secs_f64().max(1e-9);
    print_report(
        &args,
        &tally,
        &points,
        chosen,
        per_second,
        loaded.errors.len(),
    )?;
    Ok(if loaded.errors.is_empty() {
        Outcome::Success
    } else {
        Outcome::Problems
    })
}

fn print_report(
    args: &EvalArgs,
    tally: &Tally,
    points: &[(Sensitivity, Rates)],
    chosen: Sensitivity,
    per_second: f64,
    errors: usize,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<12} {:>5} {:>5} {:>5} {:>9} {:>7} {:>6}",
        "label", "tp", "fp", "fn", "precision", "recall", "f1"
    )?;
    for (c, counts) in &tally.per_label {
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
    for ((label, sub), (n, hit)) in &tally.per_subtopic {
        writeln!(
            out,
            "{:<30} {:>7} {:>8} {:>7.3}",
            format!("{label}/{sub}"),
            n,
            hit,
            ratio(*hit, *n)
        )?;
    }
    if !tally.per_lang.is_empty() {
        writeln!(
            out,
            "\n{:<6} {:>8} {:>11}   f1 per label",
            "lang", "escape", "false hold"
        )?;
        for (lang, (rates, labels)) in &tally.per_lang {
            let f1s: Vec<String> = labels
                .iter()
                .map(|(c, counts)| {
                    format!(
                        "{} {:.2}",
                        c.as_str(),
                        counts.json()["f1"].as_f64().unwrap_or_default()
                    )
                })
                .collect();
            writeln!(
                out,
                "{:<6} {:>8.4} {:>11.4}   {}",
                lang,
                ratio(rates.escaped, rates.protected),
                ratio(rates.false_holds, rates.routine),
                f1s.join(", ")
            )?;
        }
    }
    if !points.is_empty() {
        writeln!(
            out,
            "\n{:<10} {:>10} {:>8} {:>11}",
            "sensitivity", "threshold", "escape", "false hold"
        )?;
        for (point, rates) in points {
            writeln!(
                out,
                "{:<10} {:>10.2} {:>8.4} {:>11.4}{}",
                point.as_str(),
                point.threshold(),
                ratio(rates.escaped, rates.protected),
                ratio(rates.false_holds, rates.routine),
                if point.threshold() == chosen.threshold() {
                    "   (the policy's)"
                } else {
                    ""
                }
            )?;
        }
    }
    let r = tally.rates;
    writeln!(
        out,
        "\nescape rate {:.4} ({} of {} protected allowed), false-hold rate {:.4} ({} of {} routine not allowed), {:.0} messages/s{}",
        ratio(r.escaped, r.protected),
        r.escaped,
        r.protected,
        ratio(r.false_holds, r.routine),
        r.false_holds,
        r.routine,
        per_second,
        match args.folds {
            Some(k) => format!(", {k}-fold cross-validated"),
            None => String::new(),
        }
    )?;
    if errors > 0 {
        writeln!(out, "{errors} record(s) could not be read")?;
    }
    if args.format == Format::Json {
        let summary = json!({
            "n": tally.decided,
            "per_label": tally.per_label.iter().map(|(c, counts)| (c.as_str().to_owned(), counts.json())).collect::<serde_json::Map<_, _>>(),
            "protected": r.json(),
            "per_lang": tally.per_lang.iter().map(|(lang, (rates, labels))| {
                (lang.clone(), json!({
                    "protected": rates.json(),
                    "per_label": labels.iter().map(|(c, counts)| (c.as_str().to_owned(), counts.json())).collect::<serde_json::Map<_, _>>(),
                }))
            }).collect::<serde_json::Map<_, _>>(),
            "operating_points": points.iter().map(|(p, rates)| json!({
                "sensitivity": p.as_str(), "threshold": p.threshold(), "protected": rates.json(),
            })).collect::<Vec<_>>(),
            "sensitivity": chosen.as_str(),
            "folds": args.folds,
            "detectors": format!("{:?}", args.detectors).to_lowercase(),
            "messages_per_second": per_second.round(),
        });
        writeln!(out, "{summary}")?;
    }
    Ok(())
}

/// Gold subtopics attributed to the label they belong to (sensitive kinds to sensitive,
/// the rest to objection or commercial by the detectors' subtopic lists).
fn gold_subtopics(value: &Value, gold: &[Category]) -> Vec<(Category, Vec<String>)> {
    let subs: Vec<String> = value
        .get("subtopics")
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

//! `countersign simulate --policy DIR`: what a candidate policy would have done to the
//! actions proposed over a window, next to what the active policy does with them.
//!
//! Each stored action's first revision (its action, the context the store assembled then,
//! the time it was decided) is decided again under the candidate (read from `DIR` as
//! `policy validate` reads it) and under the store's active policy (the built-in default
//! when none was activated), with the same gate and the same `now`. The report
//! ([`countersign_engine::simulate::Simulation`]) counts decisions per topic, role, tool
//! and ISO week, estimates the reviewers' load, and lists the actions decided differently.
//!
//! It writes one `simulation` audit record and nothing else: the candidate is not
//! recorded as a policy. Exit codes: 0 done; 1 the store refused; 2 a missing or invalid
//! `--policy` (named by file, line and column), a bad `--since`, or an unreachable store.
//!
//! Speed and memory: the history is read in batches of 10,000 (`--limit` reads the oldest
//! N in one query instead); the decisions are the work (two per action), so they run on
//! every core, each thread taking the next slice and keeping its own counts, merged at
//! the end. The report sorts everything, so the result does not depend on the split. What
//! stays in memory beyond a batch is the counts and the changed actions.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::{Args, ValueEnum};
use countersign_engine::simulate::{self, Breakdown, Change, Observed, Past, Simulation, Tally};
use countersign_engine::{Decision, Gate, Policy};
use countersign_store::{SimulationRun, Store, StoreOptions, StoredProposal};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};
use crate::policy_files::PolicyFiles;
use countersign_server::inbox::charts::escape;

mod history;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateFormat {
    /// A summary, tables and the first changed actions.
    Human,
    /// The whole report as one JSON object.
    Json,
    /// A standalone page to read or print.
    Html,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The candidate policy: a directory like `policies/default` (or its policy.toml).
    #[arg(long)]
    pub policy: PathBuf,
    /// The window: `90d`, `12w`, `36h`, or a day (`2026-09-01`, from midnight UTC).
    #[arg(long, default_value = "90d", value_parser = Since::parse)]
    pub since: Since,
    /// Replay this history of sent mail instead of the store's proposals: an mbox export,
    /// or JSON Lines `{"action": …, "context": …, "at": RFC 3339}` as `check` reads them.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// At most this many actions, the oldest first.
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub limit: Option<i64>,
    /// Changed actions listed in human and HTML output (JSON lists them all).
    #[arg(long, default_value_t = 50)]
    pub show_changes: usize,
    #[arg(long, value_enum, default_value_t = SimulateFormat::Human)]
    pub format: SimulateFormat,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// The start of the window, as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before now.
    Ago(Duration),
    /// From midnight UTC of this day.
    Day(NaiveDate),
}

impl Since {
    fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Self::Day(day));
        }
        let bad =
            || format!("`{s}` is not a duration like 90d, 12w or 36h, nor a day like 2026-09-01");
        let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = s.split_at(split);
        let n: i64 = n.parse().map_err(|_| bad())?;
        if n <= 0 {
            return Err(format!("`{s}` must be longer than nothing"));
        }
        let duration = match unit {
            "h" => Duration::try_hours(n),
            "d" => Duration::try_days(n),
            "w" => Duration::try_weeks(n),
            _ => None,
        };
        duration.map(Self::Ago).ok_or_else(bad)
    }

    fn at(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Ago(d) => now
                .checked_sub_signed(d)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            Self::Day(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
        }
    }
}

/// Actions read and held in memory at a time.
const BATCH: i64 = 10_000;

pub fn run(args: SimulateArgs) -> anyhow::Result<Outcome> {
    database::block_on(simulate(args))?
}

/// Fails with `message`, also as `{"error": …}` on stdout for `--format json`.
fn fail(format: SimulateFormat, message: String) -> anyhow::Result<Outcome> {
    if format == SimulateFormat::Json {
        println!("{}", serde_json::json!({"error": message}));
    }
    Err(anyhow::anyhow!(message))
}

/// The candidate, every problem named by file, line and column.
fn candidate(path: &std::path::Path) -> Result<Policy, String> {
    if !path.exists() {
        return Err(format!("--policy {}: no such directory", path.display()));
    }
    let files = PolicyFiles::read(path).map_err(|e| format!("--policy: {e:#}"))?;
    files.load().map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!(
            "the candidate policy at {} is invalid:\n  {}",
            path.display(),
            list.join("\n  ")
        )
    })
}

/// The store's active policy, or the built-in one when none was activated (`None`).
async fn active(store: &Store) -> anyhow::Result<(Policy, bool)> {
    let Some(activation) = store.active_policy().await? else {
        return Ok((Policy::default_policy().clone(), false));
    };
    let texts = store
        .policy_texts(&activation.version)
        .await?
        .with_context(|| {
            format!(
                "the active policy `{}` was recorded without its texts: it cannot be replayed",
                activation.version
            )
        })?;
    Ok((Policy::load(&texts.sources())?, true))
}

async fn simulate(args: SimulateArgs) -> anyhow::Result<Outcome> {
    let candidate = match candidate(&args.policy) {
        Ok(p) => p,
        Err(message) => return fail(args.format, message),
    };
    let now = database::now();
    let since = args.since.at(now);
    if since >= now {
        return fail(
            args.format,
            format!("--since: `{}` is not in the past", since.format("%Y-%m-%d")),
        );
    }
    let json = if args.format == SimulateFormat::Json {
        Format::Json
    } else {
        Format::Human
    };
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, json),
    };
    let (active, activated) = active(&store).await?;
    let approvals = store.approvals_by_role(since, now).await?;
    let gate = Gate::new();
    let bar = progress();
    let mut tally = Tally::default();
    let mut decide = |stored: &[StoredProposal]| -> anyhow::Result<()> {
        let history: Vec<Past<'_>> = stored.iter().map(StoredProposal::past).collect();
        tally.merge(decide_all(&history, &active, &candidate, &gate, &bar)?);
        Ok(())
    };
    if let Some(path) = &args.history {
        let (items, problems) =
            history::read(path, now).with_context(|| format!("--history {}", path.display()))?;
        for p in &problems {
            eprintln!("{}: {p}", path.display());
        }
        let items: Vec<&history::Item> = items.iter().filter(|i| i.at >= since).collect();
        let past: Vec<Past<'_>> = items
            .iter()
            .map(|i| Past {
                action_id: &i.id,
                tool: &i.tool,
                created_at: i.at,
                action: &i.action,
                context: &i.context,
                approved_at: None,
            })
            .collect();
        tally.merge(decide_all(&past, &active, &candidate, &gate, &bar)?);
    } else {
        match args.limit {
            // The oldest N: one query, ordered by time.
            Some(limit) => match store.history_for_simulation(since, Some(limit)).await {
                Ok(stored) => decide(&stored)?,
                Err(e) => return database::refused(e, json),
            },
            // The whole window: a batch in memory at a time.
            None => {
                let mut after = None;
                loop {
                    let batch = match store.history_batch(since, now, after, BATCH).await {
                        Ok(b) => b,
                        Err(e) => return database::refused(e, json),
                    };
                    decide(&batch.proposals)?;
                    match batch.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
            }
        }
    }
    bar.finish_and_clear();
    let sim = tally.finish(
        &active.version,
        &candidate.version,
        &Observed {
            since,
            until: now,
            approvals,
        },
    );
    store
        .audit_simulation(
            &SimulationRun {
                candidate_version: candidate.version.to_string(),
                active_version: active.version.to_string(),
                since,
                actions: sim.actions,
                changed: sim.changed.len() as u64,
            },
            &database::actor(),
            now,
        )
        .await
        .map_err(database::flat)?;
    store.close().await;
    let names = Names {
        active: &active.config.name,
        candidate: &candidate.config.name,
        activated,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        SimulateFormat::Json => {
            serde_json::to_writer(&mut out, &sim)?;
            writeln!(out)?;
        }
        SimulateFormat::Human => {
            out.write_all(human(&sim, &names, args.show_changes).as_bytes())?
        }
        SimulateFormat::Html => out.write_all(html(&sim, &names, args.show_changes).as_bytes())?,
    }
    Ok(Outcome::Success)
}

/// Decides `history` on every core: each thread takes the next slice and counts into its
/// own [`Tally`]; the tallies are merged (the report sorts, so order is irrelevant).
fn decide_all(
    history: &[Past<'_>],
    active: &Policy,
    candidate: &Policy,
    gate: &Gate,
    bar: &ProgressBar,
) -> anyhow::Result<Tally> {
    const SLICE: usize = 256;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
    let next = AtomicUsize::new(0);
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Tally::default();
                    loop {
                        let start = next.fetch_add(SLICE, Ordering::Relaxed);
                        let end = history.len().min(start.saturating_add(SLICE));
                        match history.get(start..end) {
                            Some(slice) if !slice.is_empty() => {
                                mine.merge(simulate::tally(slice, active, candidate, gate));
                                bar.inc(slice.len() as u64);
                            }
                            _ => return mine,
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| anyhow::anyhow!("a thread deciding the history stopped"))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let mut all = Tally::default();
    for t in tallies {
        all.merge(t);
    }
    Ok(all)
}

/// Actions decided so far; drawn only on a terminal.
fn progress() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos} actions decided under both policies ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

/// The policies' names, for people.
struct Names<'a> {
    active: &'a str,
    candidate: &'a str,
    /// Whether the active policy was activated in the store (else the built-in default).
    activated: bool,
}

const DECISIONS: [Decision; 4] = [
    Decision::Allow,
    Decision::Hold,
    Decision::DraftOnly,
    Decision::Deny,
];

/// `12` when both policies agree, else `12 → 15`.
fn cell(b: &Breakdown, d: Decision) -> String {
    let p = b.get(&d).copied().unwrap_or_default();
    if p.active == p.candidate {
        p.active.to_string()
    } else {
        format!("{} → {}", p.active, p.candidate)
    }
}

fn signed(n: i128) -> String {
    match n {
        0 => String::new(),
        n if n > 0 => format!("+{n}"),
        n => n.to_string(),
    }
}

fn rate(x: f64) -> String {
    format!("{x:.2}")
}

fn maybe(x: Option<f64>, unit: &str) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}{unit}"))
}

/// A breakdown table's rows: a key, then one cell per decision.
fn rows<'a, K: ToString + 'a>(
    map: impl IntoIterator<Item = (K, &'a Breakdown)>,
) -> Vec<Vec<String>> {
    map.into_iter()
        .map(|(k, b)| {
            let mut row = vec![k.to_string()];
            row.extend(DECISIONS.iter().map(|d| cell(b, *d)));
            row
        })
        .collect()
}

/// One table of the report, as every format shows it.
struct Table {
    title: &'static str,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The tables every format shows.
fn tables(sim: &Simulation) -> Vec<Table> {
    let header = |first: &str| {
        let mut h = vec![first.to_owned()];
        h.extend(DECISIONS.iter().map(|d| d.as_str().to_owned()));
        h
    };
    let mut totals = Vec::new();
    for d in DECISIONS {
        let p = sim.totals.get(&d).copied().unwrap_or_default();
        totals.push(vec![
            d.as_str().to_owned(),
            p.active.to_string(),
            p.candidate.to_string(),
            signed(i128::from(p.candidate) - i128::from(p.active)),
        ]);
    }
    let load = sim
        .load
        .iter()
        .map(|l| {
            vec![
                l.role.clone(),
                format!("{} → {}", l.held.active, l.held.candidate),
                format!("{} → {}", rate(l.active_per_day), rate(l.candidate_per_day)),
                rate(l.approvals_per_day),
                format!(
                    "{} → {}",
                    maybe(l.active_latency_days, ""),
                    maybe(l.candidate_latency_days, "")
                ),
                maybe(l.observed_latency_hours, " h"),
            ]
        })
        .collect();
    let strings = |h: &[&str]| h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let table = |title, header, rows| Table {
        title,
        header,
        rows,
    };
    vec![
        table(
            "Decisions",
            strings(&["decision", "active", "candidate", "change"]),
            totals,
        ),
        table(
            "Reviewer load (held per day and latency: active → candidate)",
            strings(&[
                "role",
                "held",
                "held/day",
                "approvals/day",
                "latency (days)",
                "observed latency",
            ]),
            load,
        ),
        table(
            "By topic (actions with findings of that category and subtopic)",
            header("topic"),
            rows(
                sim.by_topic
                    .iter()
                    .map(|t| (format!("{}/{}", t.category, t.subtopic), &t.decisions)),
            ),
        ),
        table("By required role", header("role"), rows(&sim.by_role)),
        table("By tool", header("tool"), rows(&sim.by_tool)),
        table("By week", header("week"), rows(&sim.by_week)),
    ]
}

fn summary(sim: &Simulation, names: &Names<'_>) -> Vec<String> {
    let active = if names.activated {
        format!(
            "the active policy `{}` ({})",
            names.active, sim.active_version
        )
    } else {
        format!(
            "the built-in policy `{}` ({}; no policy was activated in this store)",
            names.active, sim.active_version
        )
    };
    vec![
        format!(
            "Candidate policy `{}` ({}) against {active}.",
            names.candidate, sim.candidate_version
        ),
        format!(
            "{} actions proposed from {} to {} ({:.1} days): {} would be decided differently.",
            sim.actions,
            sim.since.format("%Y-%m-%d %H:%M UTC"),
            sim.until.format("%Y-%m-%d %H:%M UTC"),
            sim.days,
            sim.changed.len()
        ),
        "Latency: days of a role's approvals at today's rate that one day of held items \
         takes (above 1 the queue grows); observed: median proposal-to-release time of \
         approved items."
            .to_owned(),
    ]
}

fn roles(c: &countersign_engine::simulate::Side) -> String {
    if c.roles.is_empty() {
        c.decision.to_string()
    } else {
        let r: Vec<&str> = c.roles.iter().map(String::as_str).collect();
        format!("{} ({})", c.decision, r.join(", "))
    }
}

fn reasons(side: &countersign_engine::simulate::Side) -> String {
    side.reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn human(sim: &Simulation, names: &Names<'_>, show: usize) -> String {
    let mut s = String::new();
    for line in summary(sim, names) {
        let _ = writeln!(s, "{line}");
    }
    for Table {
        title,
        header,
        rows,
    } in tables(sim)
    {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title}");
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            let _ = writeln!(s, "  {}", line.join("  ").trim_end());
        }
    }
    if !sim.changed.is_empty() {
        let _ = writeln!(
            s,
            "\nChanged actions ({} of {}, oldest first)",
            show.min(sim.changed.len()),
            sim.changed.len()
        );
        for c in sim.changed.iter().take(show) {
            let _ = writeln!(
                s,
                "  {}  {}  {}  {} → {}",
                c.created_at.format("%Y-%m-%d %H:%M"),
                c.action_id,
                c.tool,
                roles(&c.active),
                roles(&c.candidate)
            );
            let _ = writeln!(s, "      active:    {}", reasons(&c.active));
            let _ = writeln!(s, "      candidate: {}", reasons(&c.candidate));
        }
    }
    s
}

fn html_table(s: &mut String, header: &[String], rows: &[Vec<String>]) {
    s.push_str("<table>\n<thead><tr>");
    for h in header {
        let _ = write!(s, "<th scope=\"col\">{}</th>", escape(h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        s.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(s, "<th scope=\"row\">{}</th>", escape(c));
            } else {
                let _ = write!(s, "<td>{}</td>", escape(c));
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
}

fn html(sim: &Simulation, names: &Names<'_>, show: usize) -> String {
    let mut s = String::new();
    let title = format!("Policy simulation: {}", names.candidate);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    for line in summary(sim, names) {
        let _ = writeln!(s, "<p>{}</p>", escape(&line));
    }
    for Table {
        title,
        header,
        rows,
    } in tables(sim)
    {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "<h2>{}</h2>", escape(title));
        html_table(&mut s, &header, &rows);
    }
    if !sim.changed.is_empty() {
        let _ = writeln!(
            s,
            "<h2>Changed actions ({} of {}, oldest first)</h2>",
            show.min(sim.changed.len()),
            sim.changed.len()
        );
        let header: Vec<String> = ["proposed", "action", "tool", "active", "candidate"]
            .iter()
            .map(|h| (*h).to_owned())
            .collect();
        let rows: Vec<Vec<String>> = sim
            .changed
            .iter()
            .take(show)
            .map(|c: &Change| {
                vec![
                    c.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    c.action_id.clone(),
                    c.tool.clone(),
                    format!("{}: {}", roles(&c.active), reasons(&c.active)),
                    format!("{}: {}", roles(&c.candidate), reasons(&c.candidate)),
                ]
            })
            .collect();
        html_table(&mut s, &header, &rows);
    }
    s.push_str("</main>\n</body>\n</html>\n");
    s
}

/// Plain, printable: black on white, tables that break across pages by row.
const STYLE: &str =
    "body { font: 14px/1.45 system-ui, sans-serif; color: #111; background: #fff; margin: 2rem; }
main { max-width: 72rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #eee; }
tbody th { font-weight: 600; }
@media print { body { margin: 0; } tr { break-inside: avoid; } h2 { break-after: avoid; } }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_durations_or_days() {
        assert_eq!(Since::parse("90d"), Ok(Since::Ago(Duration::days(90))));
        assert_eq!(Since::parse("36h"), Ok(Since::Ago(Duration::hours(36))));
        assert_eq!(Since::parse("2w"), Ok(Since::Ago(Duration::weeks(2))));
        assert_eq!(
            Since::parse("2026-09-01"),
            Ok(Since::Day(
                NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default()
            ))
        );
        for bad in ["", "d", "90", "90m", "-3d", "0d", "1e9d"] {
            assert!(Since::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}

//! `countersign assess`: the AI Opportunity Score — which sales workflow AI should start
//! with, each scored 0–100 with its parts, and what would move follow-up e-mail up.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use countersign_engine::assess::{Assessment, assess, label};
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::database::{self, DatabaseArgs};
use countersign_server::inbox::charts::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AssessFormat {
    /// A ranked table with each part in words.
    Human,
    /// The assessment as one JSON object.
    Json,
    /// A standalone printable page with bar charts.
    Html,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Policy directory for the `[assess]` weights (default: the database's active policy,
    /// else the built-in one).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = AssessFormat::Human)]
    pub format: AssessFormat,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: AssessArgs) -> anyhow::Result<Outcome> {
    database::block_on(go(args))?
}

async fn go(args: AssessArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => {
            let format = if args.format == AssessFormat::Json {
                crate::commands::check::Format::Json
            } else {
                crate::commands::check::Format::Human
            };
            return database::refused(e, format);
        }
    };
    let policy = match &args.policy {
        Some(dir) => database::policy(&store, Some(dir)).await?,
        None => database::active_policy(&store).await?,
    };
    let facts = store
        .assess_facts(database::now())
        .await
        .map_err(database::flat)?;
    store.close().await;
    let assessment = assess(&facts, &policy.config.assess);
    let mut out = std::io::stdout().lock();
    match args.format {
        AssessFormat::Json => writeln!(out, "{}", serde_json::to_string(&assessment)?)?,
        AssessFormat::Human => out.write_all(human(&assessment).as_bytes())?,
        AssessFormat::Html => out.write_all(html(&assessment).as_bytes())?,
    }
    Ok(Outcome::Success)
}

const PARTS: [&str; 5] = ["volume", "risk", "readiness", "capacity", "exposure"];

fn human(a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "AI Opportunity Score over the last {} days, highest first:",
        a.window_days
    );
    for (i, w) in a.workflows.iter().enumerate() {
        let _ = writeln!(
            s,
            "{:>2}. {:<20} {:>5.1}",
            i + 1,
            label(&w.workflow),
            w.score
        );
        for name in PARTS {
            if let Some(p) = w.parts.get(name) {
                let _ = writeln!(
                    s,
                    "      {name:<9} {:>4.2} × {:.2} = {:>4.1}  {}",
                    p.value, p.weight, p.points, p.words
                );
            }
        }
    }
    let _ = writeln!(s, "\n{}", a.recommendation);
    if a.to_move_followup_up.is_empty() {
        let _ = writeln!(s, "\nFollow-up e-mail meets every condition we check.");
    } else {
        let _ = writeln!(s, "\nTo move follow-up e-mail up:");
        for c in &a.to_move_followup_up {
            let _ = writeln!(s, "  - {c}");
        }
    }
    let _ = writeln!(s, "\n{}", a.formula);
    let _ = writeln!(
        s,
        "(risk and exposure count as safety, 1 − value; weights from the policy's [assess])"
    );
    s
}

/// A horizontal bar for `value` of `max`, `width` pixels at most.
fn bar(value: f64, max: f64, width: f64, colour: &str, caption: &str) -> String {
    let w = if max > 0.0 {
        (value / max).clamp(0.0, 1.0) * width
    } else {
        0.0
    };
    format!(
        "<svg width=\"{total}\" height=\"16\" role=\"img\" aria-label=\"{caption}\">\
         <rect x=\"0\" y=\"2\" width=\"{width}\" height=\"12\" fill=\"#eee\"/>\
         <rect x=\"0\" y=\"2\" width=\"{w:.1}\" height=\"12\" fill=\"{colour}\"/>\
         <text x=\"{tx}\" y=\"13\" font-size=\"11\">{label}</text></svg>",
        total = width + 48.0,
        tx = width + 4.0,
        caption = escape(caption),
        label = escape(caption),
    )
}

fn html(a: &Assessment) -> String {
    let mut s = String::new();
    s.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>AI Opportunity Score</title><style>\
         body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}\
         table{border-collapse:collapse;width:100%}td,th{padding:.2rem .5rem;text-align:left;\
         vertical-align:top}section{page-break-inside:avoid;margin-bottom:1.5rem}\
         .words{color:#555;font-size:.9rem}</style></head><body>\n",
    );
    let _ = writeln!(
        s,
        "<h1>AI Opportunity Score</h1><p>Over the last {} days, highest first.</p>",
        a.window_days
    );
    let _ = writeln!(s, "<p><strong>{}</strong></p>", escape(&a.recommendation));
    for (i, w) in a.workflows.iter().enumerate() {
        let name = label(&w.workflow);
        let _ = writeln!(
            s,
            "<section><h2>{}. {}</h2>{}<table>",
            i + 1,
            escape(name),
            bar(w.score, 100.0, 320.0, "#2b6cb0", &format!("{:.1}", w.score))
        );
        for part in PARTS {
            if let Some(p) = w.parts.get(part) {
                let max = 100.0 * p.weight / a_weight_sum(a);
                let _ = writeln!(
                    s,
                    "<tr><th>{part}</th><td>{}</td><td class=\"words\">{} \
                     (value {:.2}, weight {:.2})</td></tr>",
                    bar(p.points, max, 160.0, "#38a169", &format!("{:.1}", p.points)),
                    escape(&p.words),
                    p.value,
                    p.weight
                );
            }
        }
        s.push_str("</table></section>\n");
    }
    s.push_str("<h2>To move follow-up e-mail up</h2><ul>");
    if a.to_move_followup_up.is_empty() {
        s.push_str("<li>It meets every condition we check.</li>");
    }
    for c in &a.to_move_followup_up {
        let _ = write!(s, "<li>{}</li>", escape(c));
    }
    s.push_str("</ul>\n");
    let _ = writeln!(
        s,
        "<h2>Formula</h2><p><code>{}</code></p><p>Risk and exposure count as safety \
         (1 − value); the weights are the policy's <code>[assess]</code>.</p></body></html>",
        escape(&a.formula)
    );
    s
}

fn a_weight_sum(a: &Assessment) -> f64 {
    let w = a.weights;
    let sum = w.volume + w.risk + w.readiness + w.capacity + w.exposure;
    if sum > 0.0 { sum } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_it_shows() {
        assert_eq!(
            escape("<b>\"a\" & 'b'</b>"),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
        assert!(bar(5.0, 10.0, 100.0, "#000", "<x>").contains("width=\"50.0\""));
    }
}

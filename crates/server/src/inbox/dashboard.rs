//! The dashboard (`/inbox/dashboard`), open to every logged-in reviewer: over a window of
//! days (default 30, `?days=`), how much ran by itself per tier and action kind, why
//! actions were held, how long approvals took (p50/p90), how often reviewers changed or
//! refused what the AI wrote, and deliveries per day. Each figure is a server-drawn SVG
//! chart ([`super::charts`]) with the same numbers in a table beside it.
//!
//! The figures are the store's ([`countersign_store::Store::dashboard`]); this page only
//! formats them.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use chrono::Utc;
use countersign_store::{AutomationRow, DASHBOARD_MAX_DAYS, QueueQuery};
use serde::Deserialize;

use super::charts::{self, Bar};
use super::{PageError, Reviewer, render};
use crate::state::AppState;

/// The window when `?days=` is not given.
const DEFAULT_DAYS: u32 = 30;

/// The query: `days` as text, so a bad value gets a page naming it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    pub days: String,
}

fn days(q: &DashboardQuery) -> Result<u32, PageError> {
    let raw = q.days.trim();
    if raw.is_empty() {
        return Ok(DEFAULT_DAYS);
    }
    raw.parse::<u32>()
        .ok()
        .filter(|d| (1..=DASHBOARD_MAX_DAYS).contains(d))
        .ok_or_else(|| PageError {
            status: StatusCode::BAD_REQUEST,
            message: format!(
                "days: `{raw}` is not a number of days between 1 and {DASHBOARD_MAX_DAYS}"
            ),
        })
}

/// A rate as a whole percentage, for people.
fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

/// A wait in seconds as people say it: `45 s`, `20 min`, `3.5 h`, `2.1 days`.
pub fn duration(seconds: i64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a wait shown to one decimal")]
    let s = seconds as f64;
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{:.0} min", s / 60.0)
    } else if seconds < 86_400 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

fn automation_rows(rows: &[AutomationRow]) -> Vec<minijinja::Value> {
    rows.iter()
        .map(|r| {
            minijinja::context! {
                label => r.label.replace('_', " "),
                // Kinds like `crm.opportunity.update` may wrap only after a dot.
                label_parts => r.label.replace('_', " ").split('.').map(str::to_owned).collect::<Vec<_>>(),
                total => r.total, allowed => r.allowed, held => r.held,
                draft_only => r.draft_only, denied => r.denied,
                rate => percent(r.automation_rate()),
            }
        })
        .collect()
}

fn automation_bars(rows: &[AutomationRow]) -> Vec<Bar> {
    rows.iter()
        .map(|r| Bar {
            label: r.label.replace('_', " "),
            value: r.automation_rate() * 100.0,
            shown: format!(
                "{} ({} of {})",
                percent(r.automation_rate()),
                r.allowed,
                r.total
            ),
        })
        .collect()
}

fn safe(svg: String) -> minijinja::Value {
    // Built by `charts`, which escapes every label it writes.
    minijinja::Value::from_safe_string(svg)
}

/// `GET /inbox/dashboard`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Query(q): Query<DashboardQuery>,
) -> Result<Html<String>, PageError> {
    let days = days(&q)?;
    let now = Utc::now();
    let d = state.store.dashboard(now, days).await?;
    // Held now, whenever proposed (what the demo's "held" counts): every role's queue.
    let waiting = state
        .store
        .queue_page(
            &QueueQuery {
                limit: 1,
                ..QueueQuery::default()
            },
            now,
        )
        .await?
        .queue_total;
    // Kinds as people say them (`e-mail`, `CRM change`), not as tools send them.
    let by_kind: Vec<AutomationRow> = d
        .by_kind
        .iter()
        .cloned()
        .map(|mut r| {
            r.label = super::kind_words(&r.label);
            r
        })
        .collect();
    let per_tier = charts::horizontal(
        "chart-tier",
        "Automation rate per tier",
        "Share of the actions of each tier that the gate allowed on proposal, without a human.",
        &automation_bars(&d.by_tier),
        Some(100.0),
    );
    let per_kind = charts::horizontal(
        "chart-kind",
        "Automation rate per action kind",
        "Share of the actions of each kind that the gate allowed on proposal, without a human.",
        &automation_bars(&by_kind),
        Some(100.0),
    );
    let reasons = charts::horizontal(
        "chart-holds",
        "Hold reasons by category",
        "Number of held actions whose findings include each category.",
        &d.hold_reasons
            .iter()
            .map(|r| Bar {
                label: r.category.clone(),
                value: f64::from(u32::try_from(r.actions).unwrap_or(u32::MAX)),
                shown: r.actions.to_string(),
            })
            .collect::<Vec<_>>(),
        None,
    );
    let latency_bars: Vec<Bar> = [
        ("p50", d.latency.p50_seconds),
        ("p90", d.latency.p90_seconds),
    ]
    .into_iter()
    .filter_map(|(label, s)| {
        s.map(|s| Bar {
            label: label.to_owned(),
            #[expect(clippy::cast_precision_loss, reason = "minutes for a bar's length")]
            value: s as f64 / 60.0,
            shown: duration(s),
        })
    })
    .collect();
    let latency = charts::horizontal(
        "chart-latency",
        "Approval latency",
        "Time from proposal to release of approved actions: median (p50) and 90th percentile (p90).",
        &latency_bars,
        None,
    );
    let o = &d.overrides;
    let override_bars = if o.reviewed > 0 {
        vec![
            Bar {
                label: "edited".to_owned(),
                value: ratio_pct(o.edited, o.reviewed),
                shown: format!("{} of {}", o.edited, o.reviewed),
            },
            Bar {
                label: "rejected".to_owned(),
                value: ratio_pct(o.rejected, o.reviewed),
                shown: format!("{} of {}", o.rejected, o.reviewed),
            },
            Bar {
                label: "edited or rejected".to_owned(),
                value: o.override_rate() * 100.0,
                shown: percent(o.override_rate()),
            },
        ]
    } else {
        Vec::new()
    };
    let overrides = charts::horizontal(
        "chart-overrides",
        "Override rate",
        "Share of the actions a reviewer acted on that were edited or rejected.",
        &override_bars,
        Some(100.0),
    );
    let delivery_bars: Vec<Bar> = d
        .deliveries
        .iter()
        .map(|c| Bar {
            label: c.day.format("%b %d").to_string(),
            value: f64::from(u32::try_from(c.sent).unwrap_or(u32::MAX)),
            shown: c.sent.to_string(),
        })
        .collect();
    let deliveries = charts::columns(
        "chart-deliveries",
        "Deliveries per day",
        "Messages and CRM changes delivered each day (UTC), by the time they were sent.",
        &delivery_bars,
    );
    let total_sent: i64 = d.deliveries.iter().map(|c| c.sent).sum();
    let policy = state.policy();
    let service = state.store.service_report(&policy, d.since, now).await?;
    let business = policy.config.review.business_hours.is_some();
    let allowed: i64 = d.by_kind.iter().map(|r| r.allowed).sum();
    render(
        "dashboard.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => super::audit::may_see(&reviewer.account),
            nav => "dashboard",
            days,
            choices => [7, 30, 90],
            since => d.since.format("%Y-%m-%d").to_string(),
            until => d.until.format("%Y-%m-%d %H:%M UTC").to_string(),
            actions => d.actions,
            allowed,
            automation => percent(if d.actions > 0 {
                ratio_pct(allowed, d.actions) / 100.0
            } else {
                0.0
            }),
            held => d.held,
            waiting,
            by_tier => automation_rows(&d.by_tier),
            by_kind => automation_rows(&by_kind),
            hold_reasons => d.hold_reasons.iter().map(|r| minijinja::context! {
                category => r.category.clone(), actions => r.actions,
                share => percent(if d.held > 0 { ratio_pct(r.actions, d.held) / 100.0 } else { 0.0 }),
            }).collect::<Vec<_>>(),
            approved => d.latency.approved,
            p50 => d.latency.p50_seconds.map(duration),
            p90 => d.latency.p90_seconds.map(duration),
            reviewed => o.reviewed,
            edited => o.edited,
            rejected => o.rejected,
            overridden => o.overridden,
            override_rate => percent(o.override_rate()),
            deliveries => d.deliveries.iter().rev().map(|c| minijinja::context! {
                day => c.day.format("%Y-%m-%d (%a)").to_string(), sent => c.sent,
            }).collect::<Vec<_>>(),
            total_sent,
            service => service.roles.iter().map(|r| minijinja::context! {
                role => r.role.clone(),
                level => r.within_minutes.map(|m| {
                    let span = duration(m * 60).replace(".0 ", " ");
                    if business { format!("{span}, business hours") } else { span }
                }),
                approvals => r.approvals,
                p50 => r.p50_seconds.map(duration),
                p90 => r.p90_seconds.map(duration),
                late => r.late,
                waiting => r.waiting,
                overdue => r.overdue,
            }).collect::<Vec<_>>(),
            expired => service.expired,
            overdue => service.roles.iter().map(|r| r.overdue).sum::<i64>(),
            charts => minijinja::context! {
                per_tier => safe(per_tier), per_kind => safe(per_kind), reasons => safe(reasons),
                latency => safe(latency), overrides => safe(overrides), deliveries => safe(deliveries),
            },
        },
    )
}

fn ratio_pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let r = part as f64 * 100.0 / whole as f64;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(20 * 60), "20 min");
        assert_eq!(duration(3 * 3600 + 1800), "3.5 h");
        assert_eq!(duration(2 * 86_400), "2.0 days");
    }

    #[test]
    fn the_window_defaults_to_30_days_and_refuses_nonsense() {
        assert_eq!(days(&DashboardQuery::default()).unwrap(), 30);
        assert_eq!(days(&DashboardQuery { days: "7".into() }).unwrap(), 7);
        for bad in ["0", "-1", "abc", "10000"] {
            let e = days(&DashboardQuery { days: bad.into() }).unwrap_err();
            assert!(e.message.starts_with("days: "), "{}", e.message);
        }
    }
}

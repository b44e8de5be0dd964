//! `/inbox/assess`: the AI Opportunity Score — which workflow to automate first, each
//! workflow's score with its parts (volume, risk, data readiness, review capacity,
//! exposure) in words and server-drawn bars, the recommendation, what would move follow-up
//! e-mail up, and the formula with the policy's weights. Printable as it is.

use axum::extract::State;
use axum::response::Html;
use chrono::Utc;
use countersign_engine::assess::{Assessment, assess, label};

use super::charts::{self, Bar};
use super::{PageError, Reviewer, render};
use crate::state::AppState;

/// The assessment now, under the active policy's weights (REST and the page).
pub async fn assessment(state: &AppState) -> Result<Assessment, crate::error::ApiError> {
    let facts = state.store.assess_facts(Utc::now()).await?;
    Ok(assess(&facts, &state.policy().config.assess))
}

/// `GET /inbox/assess` (admins, managers, security and legal, as the audit view).
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
) -> Result<Html<String>, PageError> {
    let account = &reviewer.account;
    if !super::audit::may_see(account) {
        return Err(PageError::forbidden(
            "The assessment is for admins, managers, security and legal.",
        ));
    }
    let a = assessment(&state).await?;
    let bars: Vec<Bar> = a
        .workflows
        .iter()
        .map(|w| Bar {
            label: label(&w.workflow).to_owned(),
            value: w.score,
            shown: format!("{:.0}", w.score),
        })
        .collect();
    let chart = charts::horizontal(
        "chart-assess",
        "AI Opportunity Score by workflow",
        "Each workflow's score out of 100; the parts are listed below the chart.",
        &bars,
        Some(100.0),
    );
    let workflows: Vec<minijinja::Value> = a
        .workflows
        .iter()
        .map(|w| {
            minijinja::context! {
                name => label(&w.workflow),
                score => format!("{:.0}", w.score),
                parts => w.parts.iter().map(|(name, p)| minijinja::context! {
                    name => name.replace('_', " "),
                    value => format!("{:.0} %", p.value * 100.0),
                    weight => format!("{:.2}", p.weight),
                    points => format!("{:.1}", p.points),
                    words => p.words.clone(),
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    render(
        "assess.html",
        minijinja::context! {
            account => account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => true,
            nav => "assess",
            chart => minijinja::Value::from_safe_string(chart),
            workflows,
            recommendation => a.recommendation,
            to_move => a.to_move_followup_up,
            formula => a.formula,
            window => a.window_days,
        },
    )
}

//! `/inbox/pipeline`: the open opportunities that need a human now (issue 13) — a rep's
//! own, or everyone's for managers — each with why in words and what to do next.

use axum::extract::State;
use axum::response::Html;

use super::{PageError, Reviewer, render};
use crate::service::triage;
use crate::state::AppState;

/// How many deals the page lists.
const SHOWN: usize = 100;

/// `GET /inbox/pipeline`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
) -> Result<Html<String>, PageError> {
    let account = &reviewer.account;
    let (ranked, open) = triage::for_account(&state, account, None, SHOWN).await?;
    let deals: Vec<minijinja::Value> = ranked
        .iter()
        .map(|t| {
            let f = &t.facts;
            minijinja::context! {
                id => f.opportunity_id.clone(),
                name => f.name.clone().unwrap_or_else(|| f.opportunity_id.clone()),
                account => f.account.clone(),
                owner => f.owner.clone(),
                stage => f.stage.clone(),
                amount => f.amount.map(|a| format!("{a:.0}")),
                close_date => f.close_date.map(|d| d.to_string()),
                score => format!("{:.0}", t.score),
                reasons => t.reasons.iter().map(|r| minijinja::context! { code => r.code, words => r.words.clone() }).collect::<Vec<_>>(),
                action => t.suggested_action,
            }
        })
        .collect();
    render(
        "pipeline.html",
        minijinja::context! {
            account => account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => super::audit::may_see(account),
            nav => "pipeline",
            everyone => account.admin || account.roles.contains("manager"),
            deals,
            open,
        },
    )
}

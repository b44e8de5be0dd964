//! `/inbox/pipeline`: the open opportunities that need a human now (issue 13) — a rep's
//! own, or everyone's for managers — each with why in words and what to do next.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, Response};
use serde::Deserialize;

use super::{PageError, Reviewer, render, see_other};
use crate::service::drafts::{self, DraftRequest};
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
    let drafting = match &state.assistant {
        Some(a) => a.registered(&state).await?.is_some(),
        None => false,
    };
    // The assistant's last draft on each deal, so a rep back on this page sees it.
    let ids: Vec<String> = ranked
        .iter()
        .map(|t| t.facts.opportunity_id.clone())
        .collect();
    let drafted = state
        .store
        .latest_by_tool(&state.config.assistant.tool, &ids)
        .await?;
    let deals: Vec<minijinja::Value> = ranked
        .iter()
        .map(|t| {
            let f = &t.facts;
            Ok(minijinja::context! {
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
                drafted => drafted.get(&f.opportunity_id).map(|d| minijinja::context! {
                    id => d.action_id.clone(),
                    status => d.status.as_str().replace('_', " "),
                    at => d.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                }),
                // One key per rendered button: a double click drafts once.
                key => format!("pipeline-{}", super::login::random_token()?),
            })
        })
        .collect::<Result<_, PageError>>()?;
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
            drafting,
            assistant => state.config.assistant.tool.clone(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub intent: String,
    /// The rep's own words, which win over the chosen intent.
    #[serde(default)]
    pub note: String,
}

/// `POST /inbox/pipeline/{opportunity_id}/draft`: drafts, proposes through the gate, and
/// opens the item.
pub async fn draft(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Path(opportunity_id): Path<String>,
    Form(f): Form<DraftForm>,
) -> Result<Response, PageError> {
    reviewer.check_csrf(&f.csrf)?;
    let intent = if f.note.trim().is_empty() {
        f.intent
    } else {
        f.note
    };
    let drafted = drafts::draft(
        &state,
        &reviewer.principal(),
        DraftRequest {
            opportunity_id,
            intent,
            contact_id: None,
            send: false,
            idempotency_key: (!f.key.is_empty()).then_some(f.key),
        },
    )
    .await?;
    Ok(see_other(&format!(
        "/inbox/items/{}?done=drafted",
        drafted.proposal.action_id
    )))
}

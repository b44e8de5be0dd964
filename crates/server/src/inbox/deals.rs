//! `/inbox/deals` ("My deals", issue 12): for a rep, every action on their opportunities —
//! what the tools proposed, where each stands, and what a held one waits for — grouped by
//! deal, newest first. Reps cannot approve their own protected moments, but they answer
//! for their deals and must see what is waiting.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Html;
use chrono::Utc;
use countersign_store::{ActionStatus, DealAction};

use super::queue::age;
use super::{PageError, Reviewer, kind_words, render, roles_in_words};
use crate::state::AppState;

/// How many actions the page shows.
const SHOWN: i64 = 200;

/// Where an action stands, for the rep.
fn standing(a: &DealAction) -> String {
    match a.status {
        ActionStatus::Allowed => "Allowed: delivered without review".to_owned(),
        ActionStatus::Held => format!("Waiting for {}", roles_in_words(&a.waiting_for)),
        ActionStatus::Approved => "Approved and released".to_owned(),
        ActionStatus::Rejected => format!(
            "Rejected: “{}”",
            a.rejection_reason.as_deref().unwrap_or("no reason given")
        ),
        ActionStatus::Denied => "Refused by the gate".to_owned(),
        ActionStatus::DraftOnly => "Returned to you as a draft to send by hand".to_owned(),
        ActionStatus::Expired => "Expired: nobody decided in time, never sent".to_owned(),
    }
}

/// `GET /inbox/deals`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
) -> Result<Html<String>, PageError> {
    let now = Utc::now();
    let actions = state
        .store
        .deal_actions(&reviewer.account.name, SHOWN, now)
        .await?;
    // Deals in the order of their newest action.
    let mut order: Vec<String> = Vec::new();
    let mut deals: BTreeMap<String, Vec<minijinja::Value>> = BTreeMap::new();
    let mut held = 0;
    for a in &actions {
        let deal = a
            .opportunity
            .clone()
            .or_else(|| a.opportunity_id.clone())
            .unwrap_or_else(|| "Not on an opportunity".to_owned());
        if !deals.contains_key(&deal) {
            order.push(deal.clone());
        }
        held += usize::from(a.status == ActionStatus::Held);
        deals.entry(deal).or_default().push(minijinja::context! {
            action_id => a.action_id.clone(),
            what => match (a.subject.trim(), &a.recipient) {
                ("", Some(to)) => format!("{} to {to}", kind_words(&a.kind)),
                ("", None) => kind_words(&a.kind),
                (s, _) => s.to_owned(),
            },
            kind => a.kind.clone(),
            recipient => a.recipient.clone(),
            tool => a.tool.clone(),
            status => a.status.as_str(),
            standing => standing(a),
            ago => age(a.created_at, now),
            at => a.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        });
    }
    let groups: Vec<minijinja::Value> = order
        .into_iter()
        .map(|name| {
            let items = deals.remove(&name).unwrap_or_default();
            minijinja::context! { name, items }
        })
        .collect();
    render(
        "deals.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => super::audit::may_see(&reviewer.account),
            nav => "deals",
            groups,
            total => actions.len(),
            held,
            shown => SHOWN,
        },
    )
}

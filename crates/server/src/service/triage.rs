//! Pipeline triage for a caller: reps see their own deals, managers and admins everyone's.

use chrono::Utc;
use countersign_engine::triage::{Triaged, triage};
use countersign_store::Account;

use crate::error::ApiError;
use crate::state::AppState;

/// The ranked opportunities `account` may see, at most `limit`, of `owner` when given.
pub async fn for_account(
    state: &AppState,
    account: &Account,
    owner: Option<&str>,
    limit: usize,
) -> Result<(Vec<Triaged>, usize), ApiError> {
    let sees_all = account.admin || account.roles.contains("manager");
    let owner = match owner {
        Some(o) if !sees_all && o != account.name => {
            return Err(ApiError::forbidden(format!(
                "you see your own deals only (`{}`); managers see everyone's",
                account.name
            )));
        }
        Some(o) => Some(o.to_owned()),
        None if sees_all => None,
        None => Some(account.name.clone()),
    };
    ranked(state, owner.as_deref(), limit).await
}

/// The ranked opportunities (of `owner`, when given), at most `limit`, and how many are open.
pub async fn ranked(
    state: &AppState,
    owner: Option<&str>,
    limit: usize,
) -> Result<(Vec<Triaged>, usize), ApiError> {
    let now = Utc::now();
    let facts = state.store.triage_facts(owner, now).await?;
    let open = facts.len();
    let mut ranked = triage(facts, &state.policy().config.triage, now.date_naive());
    ranked.truncate(limit);
    Ok((ranked, open))
}

/// One opportunity as the API and `countersign triage --format json` give it.
pub fn json(t: &Triaged) -> serde_json::Value {
    serde_json::json!({
        "opportunity_id": t.facts.opportunity_id,
        "name": t.facts.name,
        "account": t.facts.account,
        "owner": t.facts.owner,
        "stage": t.facts.stage,
        "amount": t.facts.amount,
        "close_date": t.facts.close_date,
        "score": t.score,
        "reasons": t.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
        "explanation": t.reasons.iter().map(|r| r.words.clone()).collect::<Vec<_>>().join("; "),
        "suggested_action": t.suggested_action,
    })
}

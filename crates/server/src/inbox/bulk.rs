//! `/inbox/bulk`: approving several low-risk items at once (issue 12), one time.
//!
//! The reviewer ticks items in their queue; the confirmation page lists exactly what will
//! go out (recipient, subject, the start of the text, the role they approve as); only then
//! does "Approve these N" approve — each item on its own, through the same service call as
//! the item page, so each is checked (the revision they saw, their role, separation of
//! duties) and audited separately. Nothing is remembered: no standing rule is created.
//!
//! Only items without a protected moment (objection, commercial, executive findings) can
//! be ticked, and all of one kind: a protected moment is read and approved on its own page.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use countersign_engine::{Action, Payload};
use countersign_store::ActionStatus;

use super::act::approved_words;
use super::item::change_rows;
use super::{PageError, Reviewer, render};
use crate::service::actions;
use crate::state::AppState;

/// At most this many items in one bulk approval.
pub const MAX_ITEMS: usize = 50;

/// The ticked items, `ACTION_ID:REVISION`, and the form's CSRF token.
struct Picked {
    csrf: String,
    items: Vec<(String, i64)>,
}

fn picked(body: &[u8]) -> Result<Picked, PageError> {
    let mut csrf = String::new();
    let mut items = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "item" => {
                let (id, rev) = v
                    .rsplit_once(':')
                    .ok_or_else(|| bad("item: not ACTION_ID:REVISION"))?;
                let rev = rev
                    .parse()
                    .map_err(|_| bad("item: the revision is not a number"))?;
                if !items.iter().any(|(i, _)| i == id) {
                    items.push((id.to_owned(), rev));
                }
            }
            _ => {}
        }
    }
    if items.is_empty() {
        return Err(bad(
            "Tick at least one item in the queue, then choose “Approve selected…”.",
        ));
    }
    if items.len() > MAX_ITEMS {
        return Err(bad(&format!(
            "At most {MAX_ITEMS} items at once; you ticked {}.",
            items.len()
        )));
    }
    Ok(Picked { csrf, items })
}

fn bad(message: &str) -> PageError {
    PageError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: message.to_owned(),
    }
}

/// `POST /inbox/bulk`: the confirmation, listing what will go out.
pub async fn confirm(
    State(state): State<AppState>,
    reviewer: Reviewer,
    body: Bytes,
) -> Result<Html<String>, PageError> {
    let p = picked(&body)?;
    reviewer.check_csrf(&p.csrf)?;
    let mut rows = Vec::new();
    let mut kinds = BTreeSet::new();
    for (id, revision) in &p.items {
        let view = actions::visible(&state, &reviewer.principal(), id).await?;
        let latest = view
            .revisions
            .last()
            .ok_or_else(|| bad("an item without a revision"))?;
        let protected = protected_moments(&view);
        if !protected.is_empty() {
            return Err(bad(&format!(
                "`{id}` is a protected moment ({}): open it and approve it on its own page.",
                protected.join(", ")
            )));
        }
        kinds.insert(view.kind.clone());
        let action = Action::from_json(&latest.action).map_err(|e| PageError::internal(&e))?;
        let roles: Vec<String> = reviewer
            .account
            .roles
            .intersection(&view.missing_roles)
            .cloned()
            .collect();
        let body = action.body();
        let excerpt: String = body.chars().take(280).collect();
        let (title, change) = describe(&state, &view, &action).await?;
        rows.push(minijinja::context! {
            action_id => id, revision, kind => view.kind, change, title,
            stale => latest.number != *revision,
            held => view.status == ActionStatus::Held,
            recipient => view.recipient_email, subject => action.subject(),
            excerpt, more => body.chars().count() > 280,
            roles, rep => view.on_behalf_of,
        });
    }
    if kinds.len() > 1 {
        return Err(bad(&format!(
            "Approve one kind at a time: you ticked {}.",
            kinds
                .iter()
                .map(|k| super::kind_words(k))
                .collect::<Vec<_>>()
                .join(" and ")
        )));
    }
    render(
        "bulk.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => super::audit::may_see(&reviewer.account),
            nav => "queue",
            confirm => true,
            kind => kinds.into_iter().next(),
            rows,
            count => p.items.len(),
        },
    )
}

/// `POST /inbox/bulk/approve`: each confirmed item approved on its own.
pub async fn approve(
    State(state): State<AppState>,
    reviewer: Reviewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = picked(&body)?;
    reviewer.check_csrf(&p.csrf)?;
    let mut rows = Vec::new();
    let mut approved = 0;
    for (id, revision) in &p.items {
        let view = actions::visible(&state, &reviewer.principal(), id).await?;
        let title = match view.revisions.last().map(|r| Action::from_json(&r.action)) {
            Some(Ok(action)) => describe(&state, &view, &action).await?.0,
            _ => id.clone(),
        };
        // Checked again here, not only on the confirmation page: a hand-made form must not
        // approve a protected moment in bulk.
        let protected = protected_moments(&view);
        let outcome = if protected.is_empty() {
            actions::approve(&state, &reviewer.principal(), id, *revision).await
        } else {
            Err(crate::error::ApiError::forbidden(format!(
                "a protected moment ({}) is approved on its own page",
                protected.join(", ")
            )))
        };
        if outcome.is_ok() {
            approved += 1;
        }
        rows.push(minijinja::context! {
            action_id => id,
            title,
            ok => outcome.is_ok(),
            outcome => match outcome {
                Ok(o) => approved_words(&o),
                Err(e) => format!("Not approved: {}", super::sentence(&e.message)),
            },
        });
    }
    let html = render(
        "bulk.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => super::audit::may_see(&reviewer.account),
            nav => "queue",
            done => true,
            rows,
            approved,
            count => p.items.len(),
            at => Utc::now().format("%H:%M UTC").to_string(),
        },
    )?;
    Ok((StatusCode::OK, html).into_response())
}

/// What an item is, in a line, and for a CRM change its fields: each with the CRM's value
/// now and the one proposed.
async fn describe(
    state: &AppState,
    view: &countersign_store::ActionView,
    action: &Action,
) -> Result<(String, Option<Vec<minijinja::Value>>), PageError> {
    Ok(match &action.payload {
        Payload::OpportunityUpdate(u) => {
            let deal = match &view.opportunity_id {
                Some(o) => state.store.opportunity(o).await?,
                None => None,
            };
            let name = deal
                .as_ref()
                .and_then(|d| d.name.clone())
                .or_else(|| view.opportunity_id.clone())
                .unwrap_or_else(|| "the opportunity".to_owned());
            (
                format!("Change to {name}"),
                Some(change_rows(u, deal.as_ref())),
            )
        }
        _ => match (action.subject().trim(), &view.recipient_email) {
            ("", Some(to)) => (format!("{} to {to}", super::kind_words(&view.kind)), None),
            ("", None) => (super::kind_words(&view.kind), None),
            (s, _) => (s.to_owned(), None),
        },
    })
}

/// The protected categories (objection, commercial, executive) in any revision's findings.
fn protected_moments(view: &countersign_store::ActionView) -> Vec<&'static str> {
    view.revisions
        .iter()
        .flat_map(|r| &r.decision.findings)
        .filter(|f| f.category.is_protected())
        .map(|f| f.category.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

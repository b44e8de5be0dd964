//! `/inbox/act/{token}`: approving or rejecting from a notification e-mail's link, without
//! logging in (issue 12).
//!
//! The link is the reviewer's credential for one verb on one revision (see the store's
//! `review_links`). Opening it changes nothing — mail scanners fetch links — it shows what
//! would be approved or rejected and asks to confirm; the confirming POST uses the link
//! up, and the store then checks the reviewer as for any approval. A reject without a
//! reason is answered beside the field and leaves the link unused.

use std::collections::BTreeSet;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use countersign_engine::{Action, Payload};
use countersign_store::{
    ActionStatus, ActionView, ApprovalOutcome, LinkRefusal, LinkVerb, ReviewLink, Via,
};
use serde::Deserialize;

use super::item::{approve_label, change_rows, reason_parts, split_reasons};
use super::{PageError, render, roles_in_words};
use crate::service::actions;
use crate::state::AppState;

/// The confirming form.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub reason: String,
}

/// `GET /inbox/act/{token}`: what the link would do, and a button to do it.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let link = match state.store.review_link(&token, Utc::now()).await? {
        Ok(link) if link.verb != LinkVerb::Reply => link,
        Ok(_) => return Ok(refusal(&LinkRefusal::Unknown, None)),
        Err(why) => return Ok(refusal(&why, None)),
    };
    confirm(&state, &link, None).await
}

/// `POST /inbox/act/{token}`: uses the link and acts.
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    // Checked before the link is used, so a blank reason costs the reviewer nothing.
    if let Ok(Ok(link)) = state.store.review_link(&token, Utc::now()).await
        && link.verb == LinkVerb::Reject
        && f.reason.trim().is_empty()
    {
        return confirm(
            &state,
            &link,
            Some("Say why it is rejected: the rep and the tool see your reason."),
        )
        .await;
    }
    let link = match state.store.use_review_link(&token, Utc::now()).await? {
        Ok(link) if link.verb != LinkVerb::Reply => link,
        Ok(_) => return Ok(refusal(&LinkRefusal::Unknown, None)),
        Err(why) => return Ok(refusal(&why, None)),
    };
    let who = &link.reviewer.name;
    let id = &link.action_id;
    let done = match link.verb {
        LinkVerb::Approve => {
            actions::approve_via(&state, who, id, link.revision, Some(Via::EmailLink))
                .await
                .map(|o| approved_words(&o))
        }
        _ => actions::reject_via(&state, who, id, &f.reason, Some(Via::EmailLink))
            .await
            .map(|()| {
                "Rejected. The rep and the tool that proposed it see your reason; nothing is sent."
                    .to_owned()
            }),
    };
    let (status, title, message) = match done {
        Ok(words) => (StatusCode::OK, "Done", words),
        Err(e) => (e.status, "Nothing was changed", super::sentence(&e.message)),
    };
    let html = render(
        "act.html",
        minijinja::context! {
            title, outcome => message, action_id => id,
            reviewer => who,
        },
    )?;
    Ok((status, html).into_response())
}

/// What happens next after an approval, in words.
pub fn approved_words(o: &ApprovalOutcome) -> String {
    match (&o.status, &o.waiting_for) {
        (ActionStatus::Approved, _) => {
            "Approved. Every role has countersigned, so it is released now.".to_owned()
        }
        (_, Some(why)) => format!("Approved. It still waits: {why}."),
        _ => format!(
            "Approved. It still needs {} before it goes out.",
            roles_in_words(&o.missing_roles)
        ),
    }
}

/// The page that asks to confirm, with `problem` beside the reason field.
async fn confirm(
    state: &AppState,
    link: &ReviewLink,
    problem: Option<&str>,
) -> Result<Response, PageError> {
    let view = state.store.show(&link.action_id, Utc::now()).await?;
    if let Some(why) = no_longer(&view, link) {
        let html = render(
            "act.html",
            minijinja::context! {
                title => "Nothing to do", outcome => why, action_id => view.action_id,
                reviewer => link.reviewer.name.clone(),
            },
        )?;
        return Ok((StatusCode::CONFLICT, html).into_response());
    }
    let latest = view
        .revisions
        .last()
        .ok_or_else(|| PageError::forbidden("this item has no revision"))?;
    let action = Action::from_json(&latest.action).map_err(|e| PageError::internal(&e))?;
    let opportunity = match &view.opportunity_id {
        Some(id) => state.store.opportunity(id).await?,
        None => None,
    };
    let change = match &action.payload {
        Payload::OpportunityUpdate(u) => Some(change_rows(u, opportunity.as_ref())),
        _ => None,
    };
    let deal = opportunity
        .as_ref()
        .and_then(|o| o.name.clone())
        .or_else(|| view.opportunity_id.clone());
    let roles: BTreeSet<String> = link
        .reviewer
        .roles
        .intersection(&view.missing_roles)
        .cloned()
        .collect();
    let approve = approve_label(&view, &roles, deal.as_deref(), link.revision);
    let (_, why) = split_reasons(&latest.decision.reasons, Utc::now());
    // Roles in words (`deal desk`), evidence as written.
    let why: Vec<Vec<minijinja::Value>> = why
        .iter()
        .map(|w| reason_parts(w, &latest.required_roles))
        .collect();
    let html = render(
        "act.html",
        minijinja::context! {
            title => if link.verb == LinkVerb::Approve { format!("{approve}?") } else { "Reject this item?".to_owned() },
            confirm => true,
            approve => link.verb == LinkVerb::Approve,
            button => if link.verb == LinkVerb::Approve { approve } else { "Reject it".to_owned() },
            reviewer => link.reviewer.name.clone(),
            kind => view.kind,
            tool => view.tool,
            rep => view.on_behalf_of,
            recipient => view.recipient_email,
            subject => action.subject(),
            body => action.body(),
            change, deal, why,
            problem,
            action_id => view.action_id,
            expires => link.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        },
    )?;
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, html).into_response())
}

/// Why a link's item no longer needs its reviewer, if it does not.
fn no_longer(view: &ActionView, link: &ReviewLink) -> Option<String> {
    let latest = view.revisions.last().map_or(0, |r| r.number);
    if view.status != ActionStatus::Held {
        return Some(format!(
            "This item is already {}; nothing waits for you.",
            view.status.as_str().replace('_', " ")
        ));
    }
    if latest != link.revision {
        return Some(format!(
            "This item was edited after the e-mail was sent (it is at revision {latest}; the \
             link is for revision {}). Open it in the inbox and read the new text before \
             deciding.",
            link.revision
        ));
    }
    None
}

/// A link that cannot be used: why, and the way to the inbox.
fn refusal(why: &LinkRefusal, action_id: Option<&str>) -> Response {
    let status = match why {
        LinkRefusal::Unknown => StatusCode::NOT_FOUND,
        LinkRefusal::Used(_) | LinkRefusal::Expired(_) => StatusCode::GONE,
    };
    match render(
        "act.html",
        minijinja::context! {
            title => "This link cannot be used",
            outcome => super::sentence(&why.to_string()),
            action_id,
        },
    ) {
        Ok(html) => (status, html).into_response(),
        Err(e) => e.into_response(),
    }
}

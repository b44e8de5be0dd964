//! The item page: the latest revision's message with each finding highlighted in place
//! (by its byte span), the findings beside it, the reasons, the required roles with who
//! approved, the sources with their excerpts, the revisions; and the forms to approve,
//! edit (re-scanned: the new findings show on this page before anyone can approve) and
//! reject with a reason. When the reviewer may not act, the page says why.
//!
//! Who may open the page is [`visible`] (the REST rule); who may act is the store's rule,
//! which these handlers call unchanged.

use std::collections::BTreeSet;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use chrono::Utc;
use countersign_engine::{Action, Finding};
use countersign_store::{ActionStatus, ActionView, Edit};
use serde::{Deserialize, Serialize};

use super::queue::{age, list};
use super::{PageError, Reviewer, render, see_other};
use crate::routes::actions::visible;
use crate::state::AppState;

/// A piece of the message: plain text, or the text a finding points at.
#[derive(Debug, PartialEq, Serialize)]
pub struct Segment {
    pub text: String,
    /// The 1-based number of the finding it belongs to.
    pub finding: Option<usize>,
    pub category: Option<String>,
    pub title: Option<String>,
}

/// Cuts `body` at the body findings' spans. Spans that are empty, outside the text, off a
/// character boundary or overlapping an earlier one are not highlighted (they are still
/// listed beside the message).
pub fn segments(body: &str, findings: &[Finding]) -> Vec<Segment> {
    let mut spans: Vec<(usize, &Finding)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.field == "body"
                && f.start < f.end
                && f.end <= body.len()
                && body.is_char_boundary(f.start)
                && body.is_char_boundary(f.end)
        })
        .map(|(i, f)| (i + 1, f))
        .collect();
    spans.sort_by_key(|(_, f)| (f.start, f.end));
    let mut out = Vec::new();
    let mut at = 0;
    for (n, f) in spans {
        if f.start < at {
            continue;
        }
        if f.start > at {
            out.push(plain(&body[at..f.start]));
        }
        out.push(Segment {
            text: body[f.start..f.end].to_owned(),
            finding: Some(n),
            category: Some(f.category.as_str().to_owned()),
            title: Some(format!(
                "{} / {} — {} — “{}”",
                f.category, f.subtopic, f.rule, f.evidence
            )),
        });
        at = f.end;
    }
    if at < body.len() {
        out.push(plain(&body[at..]));
    }
    out
}

fn plain(text: &str) -> Segment {
    Segment {
        text: text.to_owned(),
        finding: None,
        category: None,
        title: None,
    }
}

/// What the page says about whether the reviewer may act.
#[derive(Debug, Default, Serialize)]
struct MayAct {
    approve: bool,
    edit: bool,
    reject: bool,
    /// Why an action is not offered, in plain words.
    why_not: Vec<String>,
}

fn may_act(view: &ActionView, reviewer: &Reviewer, protected: bool) -> MayAct {
    let account = &reviewer.account;
    if view.status != ActionStatus::Held {
        let mut why = format!(
            "This action is {}: only held actions can be approved, edited or rejected.",
            view.status.as_str()
        );
        if let (Some(by), Some(reason)) = (&view.rejected_by, &view.rejection_reason) {
            why.push_str(&format!(" {by} rejected it: “{reason}”."));
        }
        return MayAct {
            why_not: vec![why],
            ..MayAct::default()
        };
    }
    let required: BTreeSet<String> = view
        .revisions
        .last()
        .map(|r| r.required_roles.clone())
        .unwrap_or_default();
    let is_rep = view.on_behalf_of.as_deref() == Some(account.name.as_str());
    let holds_missing = view.missing_roles.iter().any(|r| account.roles.contains(r));
    let holds_required = required.iter().any(|r| account.roles.contains(r));
    let mut m = MayAct {
        approve: holds_missing && !(is_rep && protected),
        edit: holds_required || is_rep,
        reject: holds_required || is_rep,
        why_not: Vec::new(),
    };
    if is_rep && protected {
        m.why_not.push(
            "You are the rep this item is on behalf of, and it is a protected moment: \
             someone else must approve it (separation of duties). You may edit or reject it."
                .to_owned(),
        );
    } else if !holds_missing {
        m.why_not.push(format!(
            "It still needs {}; you hold {}, so you cannot approve it.",
            list(&view.missing_roles),
            list(&account.roles)
        ));
    }
    m
}

/// The page's notices after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    pub done: String,
}

/// `GET /inbox/items/{action_id}`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Path(action_id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Html<String>, PageError> {
    let principal = crate::auth::Principal::Account(reviewer.account.clone());
    let view = visible(&state, &principal, &action_id).await?;
    let latest = view
        .revisions
        .last()
        .ok_or_else(|| PageError::internal(&"an action without revisions"))?;
    let action = Action::from_json(&latest.action).map_err(|e| PageError::internal(&e))?;
    let findings = &latest.decision.findings;
    let protected = view.revisions.iter().any(|r| {
        r.decision
            .findings
            .iter()
            .any(|f| f.category.is_protected())
    });
    let previous: BTreeSet<(String, String, String)> = view
        .revisions
        .iter()
        .rev()
        .nth(1)
        .map(|r| {
            r.decision
                .findings
                .iter()
                .map(|f| {
                    (
                        f.category.to_string(),
                        f.subtopic.clone(),
                        f.evidence.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let finding_rows: Vec<_> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            minijinja::context! {
                n => i + 1,
                category => f.category.as_str(),
                subtopic => f.subtopic.clone(),
                rule => f.rule.clone(),
                evidence => f.evidence.clone(),
                field => f.field.clone(),
                confidence => format!("{:.2}", f.confidence),
                new => view.revisions.len() > 1
                    && !previous.contains(&(f.category.to_string(), f.subtopic.clone(), f.evidence.clone())),
            }
        })
        .collect();
    let roles: Vec<_> = latest
        .required_roles
        .iter()
        .map(|role| {
            let by: Vec<String> = view
                .approvals
                .iter()
                .filter(|a| a.counts && a.roles.contains(role))
                .map(|a| a.reviewer.clone())
                .collect();
            minijinja::context! { role, by, missing => view.missing_roles.contains(role) }
        })
        .collect();
    let approvals: Vec<_> = view
        .approvals
        .iter()
        .map(|a| {
            minijinja::context! {
                reviewer => a.reviewer.clone(),
                revision => a.revision,
                roles => a.roles.iter().cloned().collect::<Vec<_>>(),
                at => a.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                counts => a.counts,
            }
        })
        .collect();
    let revisions: Vec<_> = view
        .revisions
        .iter()
        .map(|r| {
            let a = Action::from_json(&r.action).ok();
            minijinja::context! {
                number => r.number,
                author => r.author.clone(),
                at => r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                decision => r.decision.decision.to_string(),
                findings => r.decision.findings.len(),
                subject => a.as_ref().map(|a| a.subject().to_owned()),
                body => a.as_ref().map(|a| a.body().to_owned()),
            }
        })
        .collect();
    let sources: Vec<_> = action
        .sources
        .iter()
        .map(|s| {
            minijinja::context! {
                kind => s.kind.clone(), reference => s.reference.clone(),
                excerpt => s.excerpt.clone(), approved => s.approved,
            }
        })
        .collect();
    let may = may_act(&view, &reviewer, protected);
    let added_by_edit = notice.done == "edited";
    render(
        "item.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            id => view.action_id.clone(),
            kind => view.kind.clone(),
            tool => view.tool.clone(),
            rep => view.on_behalf_of.clone(),
            recipient => view.recipient_email.clone(),
            status => view.status.as_str(),
            age => age(view.created_at, Utc::now()),
            subject => action.subject().to_owned(),
            body => action.body().to_owned(),
            segments => minijinja::Value::from(minijinja::value::Serde(segments(action.body(), findings))),
            findings => finding_rows,
            decision => latest.decision.decision.to_string(),
            tier => latest.decision.tier.to_string(),
            reasons => latest.decision.reasons.clone(),
            roles,
            approvals,
            revisions,
            revision => latest.number,
            sources,
            may => minijinja::Value::from(minijinja::value::Serde(&may)),
            editable => !action.body().is_empty(),
            notice => notice.done.clone(),
            edited => added_by_edit,
        },
    )
}

/// The approve form: the revision the reviewer saw.
#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub revision: i64,
}

/// `POST /inbox/items/{action_id}/approve`. Refused when the action changed since the
/// page was shown: a reviewer approves what they read.
pub async fn approve(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Path(action_id): Path<String>,
    Form(f): Form<ApproveForm>,
) -> Result<Response, PageError> {
    reviewer.check_csrf(&f.csrf)?;
    let principal = crate::auth::Principal::Account(reviewer.account.clone());
    let view = visible(&state, &principal, &action_id).await?;
    let latest = view.revisions.last().map_or(0, |r| r.number);
    if latest != f.revision {
        return Err(PageError {
            status: axum::http::StatusCode::CONFLICT,
            message: format!(
                "the action was edited since you opened it (revision {latest} now, you saw {}): \
                 reload it and read the new revision before approving",
                f.revision
            ),
        });
    }
    let policy = state.policy();
    state
        .store
        .approve(&action_id, &reviewer.account.name, &policy, Utc::now())
        .await?;
    metrics::counter!(crate::metrics::REVIEWS, "outcome" => "approval").increment(1);
    Ok(see_other(&format!(
        "/inbox/items/{action_id}?done=approved"
    )))
}

/// The edit form.
#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub csrf: String,
    pub subject: Option<String>,
    #[serde(default)]
    pub body: String,
}

/// `POST /inbox/items/{action_id}/edit`: a new revision, decided again; the page then
/// shows its findings (new ones marked) before anyone approves it.
pub async fn edit(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Path(action_id): Path<String>,
    Form(f): Form<EditForm>,
) -> Result<Response, PageError> {
    reviewer.check_csrf(&f.csrf)?;
    let principal = crate::auth::Principal::Account(reviewer.account.clone());
    visible(&state, &principal, &action_id).await?;
    let policy = state.policy();
    // Browsers send CRLF line ends in a textarea: keep the text as the rep would see it.
    let body = f.body.replace("\r\n", "\n");
    state
        .store
        .edit(
            &action_id,
            &reviewer.account.name,
            &Edit {
                subject: f.subject.filter(|s| !s.trim().is_empty()),
                body,
            },
            &policy,
            Utc::now(),
        )
        .await?;
    metrics::counter!(crate::metrics::REVIEWS, "outcome" => "edit").increment(1);
    Ok(see_other(&format!("/inbox/items/{action_id}?done=edited")))
}

/// The reject form.
#[derive(Debug, Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /inbox/items/{action_id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Path(action_id): Path<String>,
    Form(f): Form<RejectForm>,
) -> Result<Response, PageError> {
    reviewer.check_csrf(&f.csrf)?;
    let principal = crate::auth::Principal::Account(reviewer.account.clone());
    visible(&state, &principal, &action_id).await?;
    state
        .store
        .reject(&action_id, &reviewer.account.name, &f.reason, Utc::now())
        .await?;
    metrics::counter!(crate::metrics::REVIEWS, "outcome" => "rejection").increment(1);
    Ok(see_other(&format!(
        "/inbox/items/{action_id}?done=rejected"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_engine::Category;

    fn finding(start: usize, end: usize) -> Finding {
        Finding {
            category: Category::Commercial,
            subtopic: "discount".into(),
            start,
            end,
            field: "body".into(),
            evidence: "20% off".into(),
            confidence: 0.9,
            rule: "commercial.discount".into(),
        }
    }

    #[test]
    fn a_finding_is_cut_out_of_the_text_in_place() {
        let s = segments("We can do 20% off today.", &[finding(10, 17)]);
        let texts: Vec<_> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["We can do ", "20% off", " today."]);
        assert_eq!(s[1].finding, Some(1));
        assert_eq!(s[1].category.as_deref(), Some("commercial"));
    }

    #[test]
    fn bad_and_overlapping_spans_are_not_highlighted() {
        let body = "é 20% off";
        let s = segments(
            body,
            &[
                finding(1, 3),
                finding(3, 10),
                finding(4, 6),
                finding(99, 100),
            ],
        );
        let marked: Vec<_> = s.iter().filter(|s| s.finding.is_some()).collect();
        assert_eq!(marked.len(), 1);
        assert_eq!(marked[0].text, "20% off");
        assert_eq!(s.iter().map(|s| s.text.as_str()).collect::<String>(), body);
    }
}

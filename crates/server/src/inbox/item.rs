//! The item page: the latest revision's message with each finding highlighted in place
//! (by its byte span), the findings beside it, the reasons, the required roles with who
//! approved, what each guard found (caps, quiet hours, suppression, follow-up limits), the
//! sources with their excerpts, the revisions with a word diff between consecutive ones;
//! and the forms to approve, edit (re-scanned: the new findings show on this page before
//! anyone can approve) and reject with a reason. When the reviewer may not act, the page
//! says why.
//!
//! Guard results are recomputed with the engine's own guard functions from the context
//! stored with the revision, so the counts shown are the ones the decision saw.
//!
//! Who may open the page is [`visible`] (the REST rule); who may act is the store's rule,
//! which these handlers call unchanged.

use std::collections::BTreeSet;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use countersign_engine::action::ActionKind;
use countersign_engine::context::Suppression;
use countersign_engine::guards::{self, GuardKind, GuardOutcome, next_allowed};
use countersign_engine::policy::{Authz, Guards};
use countersign_engine::review::{self, Refusal, may_review};
use countersign_engine::{Action, Context, Decision, DecisionRecord, Finding, Reason};
use countersign_store::{ActionStatus, ActionView, AuditQuery, Edit, RevisionView};
use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, TextDiff};

use super::queue::age;
use super::{PageError, Reviewer, render, see_other};
use crate::service::actions::{self, visible};
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
    segments_in(body, "body", findings)
}

/// Cuts `text`, the action's `field` (`body`, `subject`, …), at the spans of the findings
/// that point into it, as [`segments`] does for the body.
pub fn segments_in(text: &str, field: &str, findings: &[Finding]) -> Vec<Segment> {
    let body = text;
    let mut spans: Vec<(usize, &Finding)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.field == field
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

/// A piece of a word diff: text both revisions share, or text one added or removed.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct DiffPart {
    /// `same`, `ins` or `del`.
    pub change: &'static str,
    pub text: String,
}

/// The word diff from `old` to `new`. A changed phrase reads as one deletion followed by
/// one insertion: changed words separated only by spaces or line breaks are gathered
/// together instead of alternating word by word.
pub fn word_diff(old: &str, new: &str) -> Vec<DiffPart> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_words(old, new);
    let mut out: Vec<DiffPart> = Vec::new();
    // The pending change: deleted and inserted text, whether each side has a changed word
    // (not only the spaces shared with the other side), and spaces not yet placed.
    let mut del = String::new();
    let mut ins = String::new();
    let (mut deleted, mut inserted) = (false, false);
    let mut gap = String::new();
    fn push(out: &mut Vec<DiffPart>, change: &'static str, text: &str) {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.change == change => last.text.push_str(text),
            _ => out.push(DiffPart {
                change,
                text: text.to_owned(),
            }),
        }
    }
    for c in diff.iter_all_changes() {
        let text = c.value();
        match c.tag() {
            ChangeTag::Equal if text.trim().is_empty() && (deleted || inserted) => {
                gap.push_str(text);
            }
            ChangeTag::Equal => {
                if deleted {
                    push(&mut out, "del", &del);
                }
                if inserted {
                    push(&mut out, "ins", &ins);
                }
                (deleted, inserted) = (false, false);
                del.clear();
                ins.clear();
                push(&mut out, "same", &std::mem::take(&mut gap));
                push(&mut out, "same", text);
            }
            tag => {
                // Spaces between two changed words belong to both sides of the change.
                del.push_str(&gap);
                ins.push_str(&std::mem::take(&mut gap));
                if tag == ChangeTag::Delete {
                    deleted = true;
                    del.push_str(text);
                } else {
                    inserted = true;
                    ins.push_str(text);
                }
            }
        }
    }
    if deleted {
        push(&mut out, "del", &del);
    }
    if inserted {
        push(&mut out, "ins", &ins);
    }
    push(&mut out, "same", &gap);
    out
}

/// What one guard found, in words a reviewer reads without the policy file open.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct GuardRow {
    pub guard: &'static str,
    /// `passed`, `deferred`, `held`, `blocked`, `not checked` or `off`.
    pub outcome: &'static str,
    pub detail: String,
}

fn guard_row(guard: &'static str, outcome: &'static str, detail: String) -> GuardRow {
    GuardRow {
        guard,
        outcome,
        detail,
    }
}

/// Each guard's result for an action of `kind` decided at `decided_at` with `ctx`, as the
/// engine found it ([`guards::report`], which the gate also uses), in words; `held_now`
/// answers when a held action would go out if released now.
pub fn guard_rows(
    kind: &str,
    guards: &Guards,
    ctx: &Context,
    decided_at: DateTime<Utc>,
    held_now: Option<DateTime<Utc>>,
) -> Vec<GuardRow> {
    if kind != ActionKind::EMAIL_SEND {
        return Vec::new();
    }
    let h = &ctx.history;
    let zone = ctx.contact.as_ref().and_then(|c| c.timezone.as_deref());
    guards::report(guards, ctx, decided_at)
        .into_iter()
        .map(|c| match c.guard {
            GuardKind::Suppression => {
                let name = "Suppression";
                match c.outcome {
                    GuardOutcome::Blocked(s) => guard_row(
                        name,
                        "blocked",
                        match s {
                            Suppression::OptOut => {
                                "The recipient opted out of e-mail: it is refused."
                            }
                            Suppression::DoNotContact => {
                                "The recipient is marked do-not-contact: it is refused."
                            }
                            Suppression::LegalHold => {
                                "The recipient's account is under legal hold: it is refused."
                            }
                        }
                        .to_owned(),
                    ),
                    _ => guard_row(
                        name,
                        "passed",
                        "The recipient is not opted out, marked do-not-contact or under legal hold."
                            .to_owned(),
                    ),
                }
            }
            GuardKind::ContactCap | GuardKind::AccountCap => {
                let (name, cap, sent, whom) = if c.guard == GuardKind::ContactCap {
                    ("Contact frequency cap", guards.contact_cap, h.emails_to_contact, "this contact")
                } else {
                    (
                        "Account frequency cap",
                        guards.account_cap,
                        h.emails_to_account,
                        "anyone at this account",
                    )
                };
                match (c.outcome, cap) {
                    (GuardOutcome::Held, Some(cap)) => guard_row(
                        name,
                        "held",
                        format!(
                            "{sent} e-mails already went to {whom} in the last {} hours; the cap \
                             is {}. A manager must approve another.",
                            cap.window_hours, cap.max
                        ),
                    ),
                    (_, Some(cap)) => guard_row(
                        name,
                        "passed",
                        format!(
                            "{sent} of at most {} e-mails to {whom} in the last {} hours.",
                            cap.max, cap.window_hours
                        ),
                    ),
                    (_, None) => guard_row(name, "off", "The policy sets no cap.".to_owned()),
                }
            }
            GuardKind::AutomatedFollowups => {
                let name = "Automated follow-ups";
                match (c.outcome, guards.automated_followups) {
                    (GuardOutcome::Held, Some(cap)) => guard_row(
                        name,
                        "held",
                        format!(
                            "{} automated follow-ups on this opportunity in the last {} days; the \
                             limit is {}. A manager must approve another (no unsupervised pressure).",
                            h.automated_followups, cap.window_days, cap.max
                        ),
                    ),
                    (_, Some(cap)) => guard_row(
                        name,
                        "passed",
                        format!(
                            "{} of at most {} automated follow-ups on this opportunity in {} days.",
                            h.automated_followups, cap.max, cap.window_days
                        ),
                    ),
                    (_, None) => guard_row(name, "off", "The policy sets no limit.".to_owned()),
                }
            }
            GuardKind::QuietHours => quiet_hours_row(c.outcome, guards, zone, decided_at, held_now),
        })
        .collect()
}

/// The quiet-hours row: the window in the recipient's zone, and when a held action would
/// go out if it were released now.
fn quiet_hours_row(
    outcome: GuardOutcome,
    guards: &Guards,
    zone: Option<&str>,
    decided_at: DateTime<Utc>,
    held_now: Option<DateTime<Utc>>,
) -> GuardRow {
    let name = "Quiet hours";
    let Some(q) = guards.quiet_hours else {
        return guard_row(name, "off", "The policy sets no quiet hours.".to_owned());
    };
    let window = format!(
        "{}–{}{}",
        q.start.format("%H:%M"),
        q.end.format("%H:%M"),
        if q.weekends { " and weekends" } else { "" }
    );
    let zone = zone.unwrap_or_default();
    let local = |t: DateTime<Utc>, tz: Tz| {
        t.with_timezone(&tz)
            .format("%a %Y-%m-%d %H:%M %Z")
            .to_string()
    };
    match outcome {
        GuardOutcome::NotChecked => guard_row(
            name,
            "not checked",
            format!(
                "The recipient's time zone is unknown, so quiet hours ({window}) cannot apply."
            ),
        ),
        GuardOutcome::Deferred { until, tz } => {
            let mut detail = format!(
                "Proposed at {} in the recipient's zone ({tz}), inside quiet hours ({window}): \
                 delivery deferred to {}.",
                local(decided_at, tz),
                local(until, tz)
            );
            // Read days later, a deferral that has passed must say so.
            if let Some(now) = held_now.filter(|now| until <= *now) {
                detail.push_str(" That time has passed");
                match next_allowed(q, tz, now) {
                    Some(next) => detail.push_str(&format!(
                        "; if approved now, delivery would wait until {}.",
                        local(next, tz)
                    )),
                    None => detail.push_str(": if approved now, it goes out at once."),
                }
            }
            guard_row(name, "deferred", detail)
        }
        GuardOutcome::Passed => match zone.parse::<Tz>() {
            Ok(tz) => {
                let mut detail = format!(
                    "Proposed at {} in the recipient's zone ({tz}), outside quiet hours ({window}).",
                    local(decided_at, tz)
                );
                if let Some(until) = held_now.and_then(|now| next_allowed(q, tz, now)) {
                    detail.push_str(&format!(
                        " If approved now, delivery would wait until {}.",
                        local(until, tz)
                    ));
                }
                guard_row(name, "passed", detail)
            }
            Err(_) => guard_row(name, "passed", format!("Outside quiet hours ({window}).")),
        },
        _ => guard_row(
            name,
            "held",
            format!("The recipient's time zone `{zone}` is not a real zone: held for a manager."),
        ),
    }
}

/// The decision's reasons split for the page: the kind's base tier, which reads like a
/// reason *not* to hold, apart from the reasons that made the decision stricter.
pub(super) fn split_reasons(
    reasons: &[Reason],
    now: DateTime<Utc>,
) -> (Option<String>, Vec<String>) {
    let base = reasons.iter().find_map(|r| match r {
        Reason::BaseTier { tier, .. } => Some(tier_words(tier.as_str())),
        _ => None,
    });
    let causes = reasons
        .iter()
        .filter(|r| r.is_cause())
        .map(|r| match r {
            // Read days later, a deferral that has passed must say so.
            Reason::QuietHours { zone, local, until } if *until <= now => format!(
                "quiet hours in the recipient's time zone ({zone}) deferred it to {local}; \
                 that time has passed"
            ),
            r => r.to_string(),
        })
        .collect();
    (base, causes)
}

/// The deal card: the opportunity as the CRM has it now, the recipient, the account, and
/// the other recent actions on them (newest first).
fn deal_card(
    ctx: &countersign_store::AccountContext,
    this: &str,
    now: DateTime<Utc>,
) -> minijinja::Value {
    minijinja::context! {
        opportunity => ctx.opportunity.as_ref().map(|o| minijinja::context! {
            id => o.opportunity_id.clone(),
            name => o.name.clone(),
            stage => o.stage.clone(),
            amount => o.amount.map(|a| format!("{a:.0}")),
            close_date => o.close_date.map(|d| d.to_string()),
            overdue => o.close_date.is_some_and(|d| d < now.date_naive()),
            owner => o.owner.clone(),
        }),
        contact => ctx.contact.as_ref().map(|c| minijinja::context! {
            name => c.name.clone(),
            title => c.title.clone(),
            role => c.crm_role.clone(),
        }),
        suppression => ctx.suppression.clone(),
        account => ctx.account_name.clone().or_else(|| ctx.account_id.clone()),
        // The buying committee: who else at the account, with titles (the recipient marked).
        committee => ctx.committee.iter().map(|c| minijinja::context! {
            name => c.name.clone().or_else(|| c.email.clone()),
            title => c.title.clone(),
            role => c.crm_role.clone(),
            recipient => ctx.contact.as_ref().is_some_and(|r| r.contact_id == c.contact_id),
        }).collect::<Vec<_>>(),
        earlier => ctx.recent_actions.iter().filter(|a| a.action_id != this).take(8).map(|a| {
            minijinja::context! {
                id => a.action_id.clone(),
                kind => a.kind.clone(),
                status => a.status.as_str().replace('_', " "),
                ago => ago(a.created_at, now),
            }
        }).collect::<Vec<_>>(),
    }
}

/// What the approve button approves, in the reviewer's words: "Approve the e-mail to
/// dana@acme.example as deal desk (revision 2)". The revision is named once an edit made
/// more than one, since that is what the approval is bound to.
pub(super) fn approve_label(
    view: &ActionView,
    roles: &BTreeSet<String>,
    opportunity: Option<&str>,
    revision: i64,
) -> String {
    let what = match (view.kind.as_str(), &view.recipient_email, opportunity) {
        (ActionKind::CRM_OPPORTUNITY_UPDATE, _, Some(deal)) => format!("the change to {deal}"),
        (ActionKind::CRM_OPPORTUNITY_UPDATE, _, None) => "the change to the opportunity".to_owned(),
        (kind, Some(to), _) if kind.starts_with("email.") => format!("the e-mail to {to}"),
        (ActionKind::CRM_NOTE_CREATE, _, _) => "the CRM note".to_owned(),
        (ActionKind::CRM_TASK_CREATE, _, _) => "the CRM task".to_owned(),
        (ActionKind::NOTIFY_INTERNAL, _, _) => "the internal notification".to_owned(),
        (kind, _, _) => format!("this {}", super::kind_words(kind)),
    };
    let covers: Vec<&String> = roles
        .iter()
        .filter(|r| view.missing_roles.contains(*r))
        .collect();
    let mut label = format!("Approve {what}");
    if !covers.is_empty() {
        label.push_str(&format!(" as {}", super::roles_in_words(covers)));
    }
    if revision > 1 {
        label.push_str(&format!(" (revision {revision})"));
    }
    label
}

/// A CRM update as the reviewer must see it: each field with its value in the CRM now
/// (as Countersign last heard it) and the value proposed. Fields Countersign does not
/// keep say so rather than showing an empty "now".
pub(super) fn change_rows(
    update: &countersign_engine::payload::OpportunityUpdate,
    now: Option<&countersign_store::OpportunityRecord>,
) -> Vec<minijinja::Value> {
    use countersign_engine::names::crm_field;
    let shown = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(empty)".to_owned(),
        other => other.to_string(),
    };
    update
        .changes
        .iter()
        .map(|(field, proposed)| {
            let current = now.and_then(|o| match crm_field(field).as_str() {
                "stage" | "stagename" => Some(o.stage.clone().unwrap_or_default()),
                "amount" => Some(o.amount.map(|a| a.to_string()).unwrap_or_default()),
                "closedate" => Some(o.close_date.map(|d| d.to_string()).unwrap_or_default()),
                "owner" | "ownerid" => Some(o.owner.clone().unwrap_or_default()),
                "name" | "opportunityname" => Some(o.name.clone().unwrap_or_default()),
                _ => None,
            });
            let proposed = shown(proposed);
            minijinja::context! {
                field => field.replace('_', " "),
                now => current.clone(),
                proposed => proposed.clone(),
                same => current.as_deref() == Some(proposed.as_str()),
            }
        })
        .collect()
}

/// A tier as people write it: `manager_approved` → `manager-approved`.
fn tier_words(tier: &str) -> String {
    tier.replace('_', "-")
}

/// A reason for the page: role and tier identifiers the engine writes (`deal_desk`,
/// `automation_safe`) in words, outside the parts it quotes as code.
pub(super) fn reason_parts(reason: &str, identifiers: &BTreeSet<String>) -> Vec<minijinja::Value> {
    let mut plain = reason.to_owned();
    // Only the words of this decision's roles and the tiers: evidence quoted in a reason
    // may hold underscores that must stay as written.
    for id in identifiers {
        if id.contains('_') {
            plain = replace_word(&plain, id, &super::words(id));
        }
    }
    super::code_spans(&plain)
}

/// Replaces `word` in `text` where it stands alone (not inside a longer identifier) and
/// outside backticks.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                return part.to_owned();
            }
            let mut out = String::new();
            let mut rest = part;
            while let Some(at) = rest.find(word) {
                let before = rest[..at].chars().next_back();
                let after = rest[at + word.len()..].chars().next();
                let alone = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                out.push_str(&rest[..at]);
                out.push_str(if alone(before) && alone(after) {
                    with
                } else {
                    word
                });
                rest = &rest[at + word.len()..];
            }
            out.push_str(rest);
            out
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// How long ago, for people: "just now", "5 min ago", "3 h ago".
fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if (now - then).num_minutes() < 1 {
        "just now".to_owned()
    } else {
        format!("{} ago", age(then, now))
    }
}

/// Where a finding outside the body is, for the findings list.
fn field_words(field: &str) -> &'static str {
    match field {
        "subject" => "in the subject",
        "recipient_title" => "about the recipient",
        "quoted" => "in the quoted buyer text",
        "payload.changes" => "in the CRM changes",
        "body" => "",
        _ => "outside the message body",
    }
}

/// The decision in plain words, for the page's headline.
fn decision_words(d: &DecisionRecord) -> &'static str {
    match d.decision {
        Decision::Allow if d.not_before.is_some() => "Allowed, delivery deferred",
        Decision::Allow => "Allowed without review",
        Decision::Hold => "Held for approval",
        Decision::DraftOnly => "Draft only: the rep sends it by hand",
        Decision::Deny => "Refused by the gate",
    }
}

/// What the page says about whether the reviewer may act.
#[derive(Debug, Default, Serialize)]
struct MayAct {
    approve: bool,
    edit: bool,
    reject: bool,
    /// Why an action is not offered on a held item, in plain words.
    why_not: Vec<String>,
    /// For an item that is no longer held: what became of it (not a refusal).
    closed: Option<String>,
}

fn may_act(view: &ActionView, reviewer: &Reviewer, protected: bool, authz: &Authz) -> MayAct {
    let account = &reviewer.account;
    if view.status != ActionStatus::Held {
        let closed = match view.status {
            ActionStatus::Approved => {
                "Approved: every required approval is in, and the action was released for delivery."
            }
            ActionStatus::Rejected => "Rejected: it will not be sent.",
            ActionStatus::Allowed => "The gate allowed it without review: nothing to decide.",
            ActionStatus::DraftOnly => {
                "Draft only: the rep sends or applies it by hand; nothing to decide here."
            }
            ActionStatus::Denied => "Refused by the gate: it cannot be approved.",
            ActionStatus::Expired => {
                "Expired: nobody decided it in time, so it will not be sent. The tool is told it expired."
            }
            ActionStatus::Held => "",
        };
        return MayAct {
            closed: Some(format!(
                "{closed} Only held items can be approved, edited or rejected."
            )),
            ..MayAct::default()
        };
    }
    let required: BTreeSet<String> = view
        .revisions
        .last()
        .map(|r| r.required_roles.clone())
        .unwrap_or_default();
    let approvers: BTreeSet<String> = view
        .approvals
        .iter()
        .filter(|a| a.counts)
        .map(|a| a.reviewer.clone())
        .collect();
    // The store's own answer, so the page never offers what the store would refuse.
    let may = may_review(
        authz,
        &review::Item {
            id: &view.action_id,
            kind: &view.kind,
            tool: view.tool.as_deref().unwrap_or(""),
            held: true,
            on_behalf_of: view.on_behalf_of.as_deref(),
            protected,
            required: &required,
            missing: &view.missing_roles,
            approvers: &approvers,
        },
        &review::Reviewer {
            name: &account.name,
            roles: &account.roles,
        },
    );
    let mut m = MayAct {
        approve: may.approve.is_ok(),
        edit: may.edit.is_ok(),
        reject: may.reject.is_ok(),
        ..MayAct::default()
    };
    let needs = if view.missing_roles.is_empty() {
        &required
    } else {
        &view.missing_roles
    };
    match may.approve {
        Ok(_) => {}
        Err(Refusal::OwnProtectedMoment) => m.why_not.push(
            "You are the rep this item is on behalf of, and it is a protected moment: \
             someone else must approve it (separation of duties). You may edit or reject it."
                .to_owned(),
        ),
        Err(Refusal::AlreadyApproved) => m.why_not.push(format!(
            "You approved this revision{}; it still needs {}.",
            my_approval(
                view,
                reviewer,
                view.revisions.last().map_or(0, |r| r.number)
            )
            .map(|at| format!(" at {at}"))
            .unwrap_or_default(),
            super::roles_in_words(needs)
        )),
        Err(Refusal::NoRequiredRole { .. } | Refusal::NotAMissingRole { .. }) => {
            m.why_not.push(format!(
                "It still needs {}; you hold {}, so you cannot approve it.",
                super::roles_in_words(needs),
                super::roles_in_words(&account.roles)
            ));
        }
        Err(Refusal::Policy { policies, errors }) => m.why_not.push(if errors.is_empty() {
            format!(
                "The policy does not let you approve it ({}).",
                policies.join(", ")
            )
        } else {
            "The policy could not be evaluated, so nobody can approve it until it is fixed."
                .to_owned()
        }),
        // Checked above: only held items get this far.
        Err(Refusal::NotHeld) => {}
    }
    m
}

/// The oldest other item waiting for one of the reviewer's roles: where to go after
/// deciding this one.
async fn next_item(
    state: &AppState,
    reviewer: &Reviewer,
    current: &str,
) -> Result<Option<String>, PageError> {
    let query = countersign_store::QueueQuery {
        roles: (!reviewer.account.admin).then(|| reviewer.account.roles.clone()),
        limit: 2,
        ..countersign_store::QueueQuery::default()
    };
    let page = state.store.queue_page(&query, Utc::now()).await?;
    Ok(page
        .items
        .into_iter()
        .map(|i| i.action_id)
        .find(|id| id != current))
}

/// When `reviewer` approved `revision`, if that approval counts (or the item went out on it).
fn my_approval(view: &ActionView, reviewer: &Reviewer, revision: i64) -> Option<String> {
    view.approvals
        .iter()
        .rev()
        .find(|a| {
            a.reviewer == reviewer.account.name
                && a.revision == revision
                && (a.counts || view.status == ActionStatus::Approved)
        })
        .map(|a| a.created_at.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Whether any revision of the item is a protected moment (which its rep may not approve).
fn protected(view: &ActionView) -> bool {
    view.revisions.iter().any(|r| {
        r.decision
            .findings
            .iter()
            .any(|f| f.category.is_protected())
    })
}

/// The item `action_id` if the reviewer may open it, else a 403 in the reviewer's words
/// (which roles it waits for, which they hold) instead of the API's message.
async fn open(
    state: &AppState,
    reviewer: &Reviewer,
    action_id: &str,
) -> Result<ActionView, PageError> {
    match visible(state, &reviewer.principal(), action_id).await {
        Ok(view) => Ok(view),
        Err(e) if e.status == StatusCode::FORBIDDEN => {
            let waits_for: BTreeSet<String> = state
                .store
                .show(action_id, Utc::now())
                .await?
                .revisions
                .iter()
                .flat_map(|r| r.required_roles.iter().cloned())
                .collect();
            Err(PageError::forbidden(format!(
                "This item waits for {}; you hold {}, and it is not on your behalf. \
                 Only reviewers with a role it needs, its rep and admins can open it.",
                super::roles_in_words(&waits_for),
                super::roles_in_words(&reviewer.account.roles)
            )))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "There is no item `{action_id}`: check the link, or find the item in the queue."
            ),
        }),
        Err(e) => Err(e.into()),
    }
}

/// A form refused before it reaches the store, because the page would not have offered it.
fn refused(what: &str, may: &MayAct) -> PageError {
    let why = may
        .closed
        .iter()
        .chain(may.why_not.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let status = if may.closed.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::FORBIDDEN
    };
    PageError {
        status,
        message: format!("You cannot {what} this item. {why}"),
    }
}

/// Who rejected the item, when and why, from the audit log (the action row keeps who and
/// why, not when).
async fn rejection(
    state: &AppState,
    view: &ActionView,
) -> Result<Option<minijinja::Value>, PageError> {
    if view.status != ActionStatus::Rejected {
        return Ok(None);
    }
    let page = state
        .store
        .audit_page(&AuditQuery {
            event: Some("rejection".to_owned()),
            action_id: Some(view.action_id.clone()),
            actor: None,
            from: None,
            until: None,
            before_seq: None,
            limit: 1,
        })
        .await?;
    let record = page.records.first();
    let by = view.rejected_by.clone().or_else(|| {
        record.map(|r| {
            r.actor
                .split_once(':')
                .map_or(r.actor.as_str(), |(_, n)| n)
                .to_owned()
        })
    });
    Ok(Some(minijinja::context! {
        by,
        reason => view.rejection_reason.clone(),
        at => record.and_then(|r| DateTime::parse_from_rfc3339(&r.at).ok())
            .map(|t| t.with_timezone(&Utc).format("%Y-%m-%d %H:%M UTC").to_string()),
        revision => record.and_then(|r| r.data.get("revision")).and_then(serde_json::Value::as_i64),
    }))
}

/// The page's notices after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    pub done: String,
    /// A form field sent back to be fixed: `reason` for an empty rejection reason.
    pub problem: String,
}

/// Word diffs of the subject and the body from `before` to `after`; `None` where unchanged.
fn diffs(before: &Action, after: &Action) -> (Option<minijinja::Value>, Option<minijinja::Value>) {
    let diff = |old: &str, new: &str| {
        (old != new).then(|| minijinja::Value::from(minijinja::value::Serde(word_diff(old, new))))
    };
    (
        diff(before.subject(), after.subject()),
        diff(before.body(), after.body()),
    )
}

/// Every revision as the page lists it, each compared with the one before.
fn revision_rows(revisions: &[RevisionView]) -> Vec<minijinja::Value> {
    revisions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = Action::from_json(&r.action).ok();
            let before = i
                .checked_sub(1)
                .and_then(|p| revisions.get(p))
                .and_then(|p| Action::from_json(&p.action).ok().map(|a| (p, a)));
            let (subject_diff, body_diff, added_roles) = match (&before, &a) {
                (Some((p, pa)), Some(a)) => {
                    let (subject, body) = diffs(pa, a);
                    let added: Vec<String> = r
                        .required_roles
                        .difference(&p.required_roles)
                        .cloned()
                        .collect();
                    (subject, body, added)
                }
                _ => (None, None, Vec::new()),
            };
            minijinja::context! {
                number => r.number,
                author => r.author.split_once(':').map_or(r.author.as_str(), |(_, n)| n).to_owned(),
                by_tool => r.author.starts_with("tool:"),
                at => r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                decision => decision_words(&r.decision),
                findings => r.decision.findings.len(),
                roles => r.required_roles.iter().cloned().collect::<Vec<_>>(),
                added_roles,
                subject => a.as_ref().map(|a| a.subject().to_owned()).unwrap_or_default(),
                body => a.as_ref().map(|a| a.body().to_owned()).unwrap_or_default(),
                previous => before.as_ref().map(|(p, _)| p.number),
                unchanged => before.is_some() && subject_diff.is_none() && body_diff.is_none(),
                subject_diff,
                body_diff,
            }
        })
        .collect()
}

/// `GET /inbox/items/{action_id}`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Path(action_id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Html<String>, PageError> {
    let view = open(&state, &reviewer, &action_id).await?;
    let latest = view
        .revisions
        .last()
        .ok_or_else(|| PageError::internal(&"an action without revisions"))?;
    let action = Action::from_json(&latest.action).map_err(|e| PageError::internal(&e))?;
    let findings = &latest.decision.findings;
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
                place => field_words(&f.field),
                confidence => format!("{:.2}", f.confidence),
                new => view.revisions.len() > 1
                    && !previous.contains(&(f.category.to_string(), f.subtopic.clone(), f.evidence.clone())),
            }
        })
        .collect();
    let policy = state.policy();
    let levels = &policy.config.review;
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
            // An edit never loosens: a role an earlier revision needed stays required even
            // when the latest text no longer triggers it. Say so, or the role looks unexplained.
            let carried = !latest.decision.roles.contains(role);
            // The role's service level, counted from when this revision entered the queue.
            let due = levels.due(role, latest.created_at).map(|d| {
                let at = d.format("%a %d %b %H:%M UTC");
                if d > Utc::now() {
                    format!("due by {at}")
                } else {
                    format!("overdue since {at}")
                }
            });
            let overdue = levels.due(role, latest.created_at).is_some_and(|d| d <= Utc::now());
            minijinja::context! { role, by, missing => view.missing_roles.contains(role), carried, due, overdue }
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
    let revisions = revision_rows(&view.revisions);
    // The deal beside the item: the opportunity as the CRM has it now, the recipient, and
    // what else happened on it.
    let context = if view.opportunity_id.is_some()
        || view.contact_id.is_some()
        || view.account_id.is_some()
    {
        let query = countersign_store::ContextQuery {
            contact_id: view.contact_id.clone(),
            email: None,
            opportunity_id: view.opportunity_id.clone(),
            account_id: view.account_id.clone(),
        };
        Some(state.store.account_context(&query, 9).await?)
    } else {
        None
    };
    let deal_record = context.as_ref().and_then(|c| c.opportunity.as_ref());
    // A CRM update is its change: shown field by field against the CRM's current values.
    let (change, opportunity) = match &action.payload {
        countersign_engine::Payload::OpportunityUpdate(update) => (
            Some(change_rows(update, deal_record)),
            deal_record
                .and_then(|o| o.name.clone())
                .or_else(|| view.opportunity_id.clone()),
        ),
        _ => (None, None),
    };
    let deal = context
        .as_ref()
        .map(|c| deal_card(c, &view.action_id, Utc::now()));
    // Guards as the latest revision's decision saw them (its stored context and time).
    let ctx = state
        .store
        .revision_context(&view.action_id, latest.number)
        .await?;
    let policy = state.policy();
    let guards = guard_rows(
        &view.kind,
        &policy.config.guards,
        &ctx,
        latest.created_at,
        (view.status == ActionStatus::Held).then(Utc::now),
    );
    let guard_policy_changed = policy.version != latest.decision.policy_version;
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
    let claims = claims(&latest.decision.reasons);
    let may = may_act(&view, &reviewer, protected(&view), &state.policy().authz);
    let approve_label = approve_label(
        &view,
        &reviewer.account.roles,
        opportunity.as_deref(),
        latest.number,
    );
    let next_item_id = if notice.done.is_empty() {
        None
    } else {
        next_item(&state, &reviewer, &view.action_id).await?
    };
    let added_by_edit = notice.done == "edited";
    let (base_tier, held_reasons) = split_reasons(&latest.decision.reasons, Utc::now());
    // The identifiers a reason may name: this decision's roles and the tiers.
    let identifiers: BTreeSet<String> = latest
        .required_roles
        .iter()
        .chain(&latest.decision.roles)
        .cloned()
        .chain(
            [
                "read_only",
                "draft_only",
                "manager_approved",
                "automation_safe",
            ]
            .map(str::to_owned),
        )
        .collect();
    // The latest edit's changes, shown under the message: what the reviewer must read now.
    let latest_diff = view.revisions.len().checked_sub(2).and_then(|i| {
        let previous = view.revisions.get(i)?;
        let (subject, body) = diffs(&Action::from_json(&previous.action).ok()?, &action);
        Some(minijinja::context! { previous => previous.number, subject, body })
    });
    let about: Vec<_> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.field != "body" && f.field != "subject")
        .map(|(i, f)| {
            minijinja::context! {
                n => i + 1, category => f.category.as_str(), subtopic => f.subtopic.clone(),
                evidence => f.evidence.clone(),
                label => match f.field.as_str() {
                    "recipient_title" => "Recipient",
                    "quoted" => "Quoted text",
                    "payload.changes" => "CRM changes",
                    _ => "Elsewhere",
                },
            }
        })
        .collect();
    let rejection = rejection(&state, &view).await?;
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
            age => ago(view.created_at, Utc::now()),
            subject => action.subject().to_owned(),
            change,
            opportunity,
            deal,
            approve_label,
            my_approval => my_approval(&view, &reviewer, latest.number),
            // An edit is a new revision: the approvals given so far stop counting.
            voided_by_edit => view.approvals.iter().filter(|a| a.counts)
                .map(|a| format!("{} ({})", a.reviewer, super::roles_in_words(&a.roles)))
                .collect::<Vec<_>>(),
            // After a decision: how long the approval counts, and where to go next.
            my_approval_until => view.approvals.iter().rev()
                .find(|a| a.reviewer == reviewer.account.name && a.revision == latest.number && a.counts)
                .map(|a| a.expires_at.format("%Y-%m-%d %H:%M UTC").to_string()),
            missing_words => super::roles_in_words(&view.missing_roles),
            next_item => next_item_id,
            subject_segments => minijinja::Value::from(minijinja::value::Serde(segments_in(action.subject(), "subject", findings))),
            // The buyer's message the draft answers, folded above it.
            buyer => match &action.payload {
                countersign_engine::Payload::Email(e) => e.in_reply_to.as_ref().filter(|m| !m.text.trim().is_empty()).map(|m| minijinja::context! {
                    from => m.from.clone(),
                    first => m.text.trim().lines().next().unwrap_or_default().chars().take(90).collect::<String>(),
                    text => m.text.clone(),
                }),
                _ => None,
            },
            about,
            latest_diff,
            rejection,
            body => action.body().to_owned(),
            segments => minijinja::Value::from(minijinja::value::Serde(segments(action.body(), findings))),
            findings => finding_rows,
            decision => latest.decision.decision.to_string(),
            decision_words => match (view.status, decision_words(&latest.decision)) {
                // The gate held it; what became of it since is the headline.
                (ActionStatus::Approved, _) => "Held for approval, then approved",
                (ActionStatus::Rejected, _) => "Held for approval, then rejected",
                (ActionStatus::Expired, _) => "Held for approval, then expired undecided",
                (_, words) => words,
            },
            tier => tier_words(&latest.decision.tier.to_string()),
            base_tier,
            not_before => latest.decision.not_before.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            guards => minijinja::Value::from(minijinja::value::Serde(&guards)),
            guard_policy_changed,
            policy_version => latest.decision.policy_version.to_string(),
            delivery => view.outbox.as_ref().map(|o| minijinja::context! {
                status => o.status.clone(),
                sent_at => o.sent_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                next_attempt_at => o.next_attempt_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                attempts => o.attempts,
                last_error => o.last_error.clone(),
            }),
            may_audit => super::audit::may_see(&reviewer.account),
            nav => "queue",
            reasons => held_reasons.iter().map(|r| reason_parts(r, &identifiers)).collect::<Vec<_>>(),
            roles,
            approvals,
            revisions,
            revision => latest.number,
            sources,
            may => minijinja::Value::from(minijinja::value::Serde(&may)),
            editable => !action.body().is_empty(),
            notice => notice.done.clone(),
            claims,
            problem => notice.problem.clone(),
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
    let view = open(&state, &reviewer, &action_id).await?;
    let latest = view.revisions.last().map_or(0, |r| r.number);
    if latest != f.revision {
        return Err(PageError {
            status: StatusCode::CONFLICT,
            message: format!(
                "This item was edited after you opened it (it is at revision {latest} now; you \
                 read revision {}), so nothing was approved. Open it again and read the new \
                 revision before approving.",
                f.revision
            ),
        });
    }
    // A second click (Back, or a double submit) on what this reviewer already approved is
    // no error: say so on the item instead of refusing.
    if my_approval(&view, &reviewer, f.revision).is_some() {
        return Ok(see_other(&format!("/inbox/items/{action_id}?done=already")));
    }
    let may = may_act(&view, &reviewer, protected(&view), &state.policy().authz);
    if !may.approve {
        return Err(refused("approve", &may));
    }
    actions::approve(&state, &reviewer.principal(), &action_id, f.revision).await?;
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
    let view = open(&state, &reviewer, &action_id).await?;
    let may = may_act(&view, &reviewer, protected(&view), &state.policy().authz);
    if !may.edit {
        return Err(refused("edit", &may));
    }
    // Browsers send CRLF line ends in a textarea: keep the text as the rep would see it.
    let edit = Edit {
        subject: f.subject.filter(|s| !s.trim().is_empty()),
        body: f.body.replace("\r\n", "\n"),
    };
    actions::edit(&state, &reviewer.principal(), &action_id, &edit).await?;
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
    let view = open(&state, &reviewer, &action_id).await?;
    let may = may_act(&view, &reviewer, protected(&view), &state.policy().authz);
    if !may.reject {
        return Err(refused("reject", &may));
    }
    // Said beside the field on the item itself, not on an error page.
    if f.reason.trim().is_empty() {
        return Ok(see_other(&format!(
            "/inbox/items/{action_id}?problem=reason#reject-reason"
        )));
    }
    actions::reject(&state, &reviewer.principal(), &action_id, &f.reason).await?;
    Ok(see_other(&format!(
        "/inbox/items/{action_id}?done=rejected"
    )))
}

/// The claims the gate checked against the approved knowledge, as the Sources card lists
/// them: backed (with the entry's sentence), contradicted (with what the entry says), or
/// backed by nothing.
fn claims(reasons: &[countersign_engine::Reason]) -> Vec<minijinja::Value> {
    use countersign_engine::Reason;
    reasons
        .iter()
        .filter_map(|r| match r {
            Reason::ClaimSupported {
                claim,
                entry,
                excerpt,
            } => Some(minijinja::context! {
                status => "backed", claim, entry, excerpt,
            }),
            Reason::ClaimContradicted {
                claim, entry, says, ..
            } => Some(minijinja::context! {
                status => "contradicted", claim, entry, says,
            }),
            Reason::ClaimUnsupported { claim, roles, .. } => Some(minijinja::context! {
                status => "unsupported", claim,
                roles => roles.iter().map(|r| r.replace('_', " ")).collect::<Vec<_>>().join(" or "),
            }),
            _ => None,
        })
        .collect()
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

    fn rebuilt(parts: &[DiffPart], skip: &str) -> String {
        parts
            .iter()
            .filter(|p| p.change != skip)
            .map(|p| p.text.as_str())
            .collect()
    }

    #[test]
    fn a_changed_phrase_reads_as_one_deletion_and_one_insertion() {
        let d = word_diff("Following up today", "Your offer today");
        assert_eq!(
            d,
            [
                DiffPart {
                    change: "del",
                    text: "Following up".into()
                },
                DiffPart {
                    change: "ins",
                    text: "Your offer".into()
                },
                DiffPart {
                    change: "same",
                    text: " today".into()
                },
            ]
        );
    }

    #[test]
    fn a_diff_keeps_both_texts() {
        let old = "Hi Dana,\nwe can do 15% off if you sign by Friday.\nBest, Sam";
        let new = "Hi Dana,\nwe can do 10% off if you sign this month.\nBest, Sam";
        let d = word_diff(old, new);
        assert_eq!(rebuilt(&d, "ins"), old);
        assert_eq!(rebuilt(&d, "del"), new);
        assert!(d.iter().any(|p| p.change == "del" && p.text == "15%"));
        assert!(word_diff(old, old).iter().all(|p| p.change == "same"));
    }

    #[test]
    fn guards_apply_to_emails_only() {
        let ctx = Context::default();
        let now = Utc::now();
        assert!(guard_rows("crm.note.create", &Guards::default(), &ctx, now, None).is_empty());
        let rows = guard_rows("email.send", &Guards::default(), &ctx, now, None);
        let outcomes: Vec<_> = rows.iter().map(|r| (r.guard, r.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                ("Suppression", "passed"),
                ("Contact frequency cap", "off"),
                ("Account frequency cap", "off"),
                ("Automated follow-ups", "off"),
                ("Quiet hours", "off"),
            ]
        );
    }

    #[test]
    fn quiet_hours_defer_in_the_recipients_zone_and_suppression_blocks() {
        use chrono::{NaiveTime, TimeZone};
        use countersign_engine::context::Contact;
        use countersign_engine::policy::config::QuietHours;
        let guards = Guards {
            quiet_hours: Some(QuietHours {
                start: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                weekends: true,
            }),
            ..Guards::default()
        };
        let ctx = Context {
            contact: Some(Contact {
                timezone: Some("Europe/Berlin".into()),
                suppression: Some(Suppression::OptOut),
                ..Contact::default()
            }),
            ..Context::default()
        };
        // Tuesday 22:30 in Berlin.
        let late = Utc.with_ymd_and_hms(2026, 11, 24, 21, 30, 0).unwrap();
        let rows = guard_rows("email.send", &guards, &ctx, late, None);
        assert_eq!(rows[0].outcome, "blocked");
        let quiet = rows.last().unwrap();
        assert_eq!(quiet.outcome, "deferred");
        assert!(
            quiet
                .detail
                .contains("delivery deferred to Wed 2026-11-25 08:00 CET"),
            "{}",
            quiet.detail
        );
    }

    #[test]
    fn the_base_tier_is_told_apart_from_the_reasons_to_hold() {
        let reasons = [
            Reason::BaseTier {
                kind: "email.send".to_owned(),
                tier: countersign_engine::Tier::AutomationSafe,
            },
            Reason::Finding {
                category: Category::Commercial,
                subtopic: "discount".to_owned(),
                evidence: vec!["15% off".to_owned()],
                roles: BTreeSet::from(["deal_desk".to_owned()]),
            },
        ];
        let (base, why) = split_reasons(&reasons, Utc::now());
        assert_eq!(base.as_deref(), Some("automation-safe"));
        assert_eq!(
            why,
            ["commercial: discount negotiation (\"15% off\") needs deal_desk"]
        );
        // A fail-closed decision has no base-tier reason: every reason is a reason to hold.
        let failed = [Reason::FailClosed {
            failure: countersign_engine::decision::Failure::Panicked,
        }];
        let (base, why) = split_reasons(&failed, Utc::now());
        assert_eq!(base, None);
        assert_eq!(why, ["fail closed: internal error while deciding"]);
    }

    #[test]
    fn role_names_in_reasons_read_as_words_but_quoted_values_stay() {
        let ids = BTreeSet::from(["deal_desk".to_owned()]);
        assert_eq!(
            replace_word(
                "needs deal_desk, not deal_desk_x; `deal_desk`",
                "deal_desk",
                "deal desk"
            ),
            "needs deal desk, not deal_desk_x; `deal_desk`"
        );
        let parts = reason_parts("`crm.stage` needs deal_desk", &ids);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[1].get_attr("text").unwrap().as_str(),
            Some(" needs deal desk")
        );
    }

    #[test]
    fn a_fresh_item_is_just_now() {
        let now = Utc::now();
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now - chrono::Duration::minutes(5), now), "5 min ago");
    }

    #[test]
    fn subject_findings_are_marked_in_the_subject_only() {
        let mut f = finding(4, 13);
        f.field = "subject".into();
        let subject = segments_in("Re: pen test!", "subject", std::slice::from_ref(&f));
        assert_eq!(subject[1].text, "pen test!");
        assert!(
            segments("Re: pen test!", &[f])
                .iter()
                .all(|s| s.finding.is_none())
        );
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

//! Approvals (DESIGN §2 Approval): approve, edit (a new revision, decided again) and reject
//! held actions; the queue of what waits for whom; and the full view of one action.
//!
//! Rules, in the order they are checked:
//! - Only `held` actions are approved, edited or rejected.
//! - An approval is asked of the policy's Cedar rules (`Verb::Approve`), which refuse tools,
//!   reviewers without a required role and the rep approving their own protected moment.
//! - An approval covers the required roles the reviewer holds, on the latest revision only,
//!   while the opportunity keeps the version it saw and for the approval TTL.
//! - The action is released when every required role is covered and, for a protected
//!   moment, at least one approver is not the rep it is on behalf of — checked here too,
//!   so a policy without Cedar's self-approval rule still cannot let the rep alone through.
//! - An edit may come from a reviewer with a required role or from the rep; its new
//!   findings add roles, earlier roles stay (an edit never loosens), earlier approvals stop
//!   counting.
//! - A rejection needs a reason.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use countersign_engine::action::Payload;
use countersign_engine::context::ToolGrant;
use countersign_engine::review::{self, Refusal, may_review};
use countersign_engine::{Action, ActionKind, Context, Decision, DecisionRecord, Policy};
use serde::Serialize;
use serde_json::Value;

use crate::audit::{self, AuditEvent, Event};
use crate::canonical::{canonical_json, json_value, sha256_hex};
use crate::db::{Lock, Tx};
use crate::error::StoreError;
use crate::outbox::{self, OutboxView};
use crate::propose::{insert_revision, required_roles};
use crate::registry::{self, Reviewer};
use crate::review_links::Via;
use crate::{ActionStatus, Store, context, crm, micros, notify};

/// The result of an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalOutcome {
    pub action_id: String,
    /// `held` while roles are missing, `approved` once released.
    pub status: ActionStatus,
    /// The revision approved.
    pub revision: i64,
    /// Required roles covered by approvals that still count.
    pub approved_roles: BTreeSet<String>,
    /// Required roles still missing.
    pub missing_roles: BTreeSet<String>,
    /// Why a fully covered action is still held, if it is.
    pub waiting_for: Option<String>,
    /// The outbox row created by this approval's release.
    pub outbox_id: Option<i64>,
}

/// A reviewer's edit: the new body and, optionally, subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub subject: Option<String>,
    pub body: String,
}

/// The result of an edit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditOutcome {
    pub action_id: String,
    pub revision: i64,
    pub status: ActionStatus,
    /// The new revision's decision.
    pub decision: DecisionRecord,
    /// Roles the new revision needs (earlier roles plus new findings' roles).
    pub required_roles: BTreeSet<String>,
    /// Roles the edit added.
    pub added_roles: BTreeSet<String>,
    pub audit_seq: i64,
}

/// A held action waiting for approvals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueItem {
    pub action_id: String,
    pub kind: String,
    pub tool: Option<String>,
    pub on_behalf_of: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
    pub revision: i64,
    pub required_roles: BTreeSet<String>,
    pub approved_roles: BTreeSet<String>,
    pub missing_roles: BTreeSet<String>,
    /// Shown (and printed as JSON) in words.
    #[serde(serialize_with = "countersign_engine::reason::serialize_words")]
    pub reasons: Vec<countersign_engine::Reason>,
    /// The latest revision's findings (the inbox filters on their category and subtopic).
    pub findings: Vec<countersign_engine::Finding>,
    pub created_at: DateTime<Utc>,
    /// When the latest revision entered the queues: service levels count from here.
    pub revised_at: DateTime<Utc>,
    /// The opportunity's name, stage and amount as the CRM has them now.
    pub deal: Option<String>,
    pub deal_stage: Option<String>,
    pub deal_amount: Option<f64>,
}

/// One revision of an action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionView {
    pub number: i64,
    pub author: String,
    pub created_at: DateTime<Utc>,
    /// The action as decided.
    pub action: Value,
    pub decision: DecisionRecord,
    pub required_roles: BTreeSet<String>,
    pub audit_seq: i64,
}

/// One approval of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalView {
    pub reviewer: String,
    pub revision: i64,
    pub roles: BTreeSet<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whether it still counts (latest revision, not expired, opportunity unchanged).
    pub counts: bool,
}

/// Everything stored about one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionView {
    pub action_id: String,
    pub external_id: Option<String>,
    pub kind: String,
    pub tool: Option<String>,
    pub on_behalf_of: Option<String>,
    pub status: ActionStatus,
    pub contact_id: Option<String>,
    pub recipient_email: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
    pub rejected_by: Option<String>,
    pub rejection_reason: Option<String>,
    /// For a held action: the required roles not yet covered.
    pub missing_roles: BTreeSet<String>,
    pub revisions: Vec<RevisionView>,
    pub approvals: Vec<ApprovalView>,
    pub outbox: Option<OutboxView>,
}

/// The action row and its latest revision.
struct Current {
    action_id: String,
    status: ActionStatus,
    kind: String,
    tool_id: Option<i64>,
    tool_name: Option<String>,
    on_behalf_of: Option<String>,
    opportunity_id: Option<String>,
    revision: i64,
    revision_id: i64,
    action: Action,
    context: Context,
    decision: DecisionRecord,
    required: BTreeSet<String>,
}

async fn current(tx: &mut Tx, action_id: &str) -> Result<Current, StoreError> {
    let row = tx
        .fetch_optional(
            tx.query(
                "SELECT a.action_id, a.status, a.kind, a.tool_id, a.tool_name, a.on_behalf_of, \
                        a.opportunity_id, a.latest_revision, r.revision_id, r.action_json, \
                        r.context_json, r.decision_json, r.required_roles \
                 FROM action a JOIN revision r \
                   ON r.action_id = a.action_id AND r.number = a.latest_revision \
                 WHERE a.action_id = $1",
            )
            .bind(action_id.to_owned()),
        )
        .await?
        .ok_or_else(|| StoreError::not_found("action", action_id))?;
    let action_json: Value = row.json("action_json")?;
    Ok(Current {
        action_id: row.get("action_id")?,
        status: row.get::<String>("status")?.parse()?,
        kind: row.get("kind")?,
        tool_id: row.get("tool_id")?,
        tool_name: row.get("tool_name")?,
        on_behalf_of: row.get("on_behalf_of")?,
        opportunity_id: row.get("opportunity_id")?,
        revision: row.get("latest_revision")?,
        revision_id: row.get("revision_id")?,
        action: Action::from_json(&action_json)
            .map_err(|e| StoreError::Corrupt(format!("revision action: {e}")))?,
        context: row.json("context_json")?,
        decision: row.json("decision_json")?,
        required: row.json("required_roles")?,
    })
}

/// A held action whose approvals of its latest revision stopped counting (the approval
/// time limit ran out, or the opportunity changed): the roles they covered, if still
/// missing, are back in their queues, and their reviewers are told. Idempotent: the
/// notification is keyed by how many approvals of the revision have lapsed, so telling
/// twice about the same lapse writes nothing.
pub(crate) async fn notify_lapsed(
    tx: &mut Tx,
    options: &notify::Notifications,
    action_id: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let c = current(tx, action_id).await?;
    if c.status != ActionStatus::Held {
        return Ok(0);
    }
    let list = approvals(tx, action_id, c.revision, c.opportunity_id.as_deref(), now).await?;
    let missing: BTreeSet<String> = c.required.difference(&coverage(&list).0).cloned().collect();
    let lapsed: Vec<&ApprovalView> = list
        .iter()
        .map(|a| &a.view)
        .filter(|a| a.revision == c.revision && !a.counts)
        .collect();
    let roles: BTreeSet<String> = lapsed
        .iter()
        .flat_map(|a| a.roles.iter())
        .filter(|r| missing.contains(*r))
        .cloned()
        .collect();
    let occasion = format!("l{}", lapsed.len());
    let entered = notify::Entered {
        action_id,
        revision: c.revision,
        roles: &roles,
        action: &c.action,
        decision: &c.decision,
        editor: None,
        occasion: Some(&occasion),
        chase: None,
    };
    notify::entered_queue(tx, options, entered, now).await
}

fn ensure_held(c: &Current) -> Result<(), StoreError> {
    if c.status == ActionStatus::Held {
        Ok(())
    } else {
        Err(StoreError::NotHeld {
            action_id: c.action_id.clone(),
            status: c.status.to_string(),
        })
    }
}

/// Whether any revision of the action has an objection, commercial or executive finding.
async fn protected(tx: &mut Tx, action_id: &str) -> Result<bool, StoreError> {
    let rows = tx
        .fetch_all(
            tx.query("SELECT decision_json FROM revision WHERE action_id = $1")
                .bind(action_id.to_owned()),
        )
        .await?;
    for row in rows {
        let d: DecisionRecord = row.json("decision_json")?;
        if d.findings.iter().any(|f| f.category.is_protected()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The roles a held action still needs now, with the action as it stands.
pub(crate) async fn still_needed(
    tx: &mut Tx,
    action_id: &str,
    now: DateTime<Utc>,
) -> Result<(Action, DecisionRecord, i64, BTreeSet<String>), StoreError> {
    let c = current(tx, action_id).await?;
    let list = approvals(tx, action_id, c.revision, c.opportunity_id.as_deref(), now).await?;
    let missing = c.required.difference(&coverage(&list).0).cloned().collect();
    Ok((c.action, c.decision, c.revision, missing))
}

/// One approval with whether it still counts.
struct Counted {
    view: ApprovalView,
}

async fn approvals(
    tx: &mut Tx,
    action_id: &str,
    latest_revision: i64,
    opportunity_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Counted>, StoreError> {
    let version = match opportunity_id {
        Some(id) => crm::opportunity_by_id(tx, id).await?.map(|o| o.version),
        None => None,
    };
    let rows = tx
        .fetch_all(
            tx.query(
                "SELECT rv.name, r.number, ap.roles, ap.opportunity_version, ap.expires_at, ap.created_at \
                 FROM approval ap \
                 JOIN reviewer rv ON rv.reviewer_id = ap.reviewer_id \
                 JOIN revision r ON r.revision_id = ap.revision_id \
                 WHERE ap.action_id = $1 ORDER BY ap.approval_id",
            )
            .bind(action_id.to_owned()),
        )
        .await?;
    rows.iter()
        .map(|row| {
            let revision: i64 = row.get("number")?;
            let seen: Option<i64> = row.get("opportunity_version")?;
            let expires_at: DateTime<Utc> = row.get("expires_at")?;
            Ok(Counted {
                view: ApprovalView {
                    reviewer: row.get("name")?,
                    revision,
                    roles: row.json("roles")?,
                    created_at: row.get("created_at")?,
                    expires_at,
                    counts: revision == latest_revision && expires_at > now && seen == version,
                },
            })
        })
        .collect()
}

/// Roles covered by approvals that count, and who gave them.
fn coverage(list: &[Counted]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut roles = BTreeSet::new();
    let mut approvers = BTreeSet::new();
    for c in list.iter().filter(|c| c.view.counts) {
        roles.extend(c.view.roles.iter().cloned());
        approvers.insert(c.view.reviewer.clone());
    }
    (roles, approvers)
}

/// The held item as [`may_review`] reads it.
fn item<'a>(
    c: &'a Current,
    protected: bool,
    missing: &'a BTreeSet<String>,
    approvers: &'a BTreeSet<String>,
) -> review::Item<'a> {
    review::Item {
        id: &c.action_id,
        kind: &c.kind,
        tool: c.tool_name.as_deref().unwrap_or(""),
        held: c.status == ActionStatus::Held,
        on_behalf_of: c.on_behalf_of.as_deref(),
        protected,
        required: &c.required,
        missing,
        approvers,
    }
}

/// May `reviewer` edit or reject? [`review::may_handle`]: a required role, or being the rep.
fn may_handle(reviewer: &Reviewer, c: &Current) -> Result<(), StoreError> {
    let none = BTreeSet::new();
    let who = review::Reviewer {
        name: &reviewer.name,
        roles: &reviewer.roles,
    };
    review::may_handle(&item(c, false, &none, &none), &who).map_err(|_| {
        StoreError::Refused(format!(
            "reviewer `{}` holds none of the roles action `{}` needs ({})",
            reviewer.name,
            c.action_id,
            join(&c.required)
        ))
    })
}

fn join(roles: &BTreeSet<String>) -> String {
    roles.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// For an e-mail released by approval: the end of quiet hours in the recipient's zone.
fn quiet_hours_until(c: &Current, policy: &Policy, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if c.kind != ActionKind::EMAIL_SEND {
        return None;
    }
    let quiet = policy.config.guards.quiet_hours?;
    let tz: Tz = c
        .context
        .contact
        .as_ref()?
        .timezone
        .as_deref()?
        .parse()
        .ok()?;
    countersign_engine::guards::next_allowed(quiet, tz, now)
}

impl Store {
    /// `reviewer` approves `revision`, the one they read, which must be the latest of a
    /// held action. Releases it to the outbox when every required role is covered.
    pub async fn approve(
        &self,
        action_id: &str,
        revision: i64,
        reviewer: &str,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<ApprovalOutcome, StoreError> {
        self.approve_via(action_id, revision, reviewer, policy, None, now)
            .await
    }

    /// [`Store::approve`] from outside the inbox and the API (a link, a reply, a chat),
    /// which the audit record names.
    pub async fn approve_via(
        &self,
        action_id: &str,
        revision: i64,
        reviewer: &str,
        policy: &Policy,
        via: Option<Via>,
        now: DateTime<Utc>,
    ) -> Result<ApprovalOutcome, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let c = current(&mut tx, action_id).await?;
        ensure_held(&c)?;
        if revision != c.revision {
            return Err(StoreError::StaleRevision {
                action_id: c.action_id,
                latest: c.revision,
                reviewed: revision,
            });
        }
        let reviewer = registry::reviewer_by_name(&mut tx, reviewer).await?;
        let protected = protected(&mut tx, action_id).await?;
        let on_behalf_of = c.on_behalf_of.clone().unwrap_or_default();
        let before = approvals(
            &mut tx,
            action_id,
            c.revision,
            c.opportunity_id.as_deref(),
            now,
        )
        .await?;
        let (covered, approvers) = coverage(&before);
        let missing: BTreeSet<String> = c.required.difference(&covered).cloned().collect();
        let may = may_review(
            &policy.authz,
            &item(&c, protected, &missing, &approvers),
            &review::Reviewer {
                name: &reviewer.name,
                roles: &reviewer.roles,
            },
        );
        let policies = match may.approve {
            Ok(policies) => policies,
            Err(Refusal::AlreadyApproved) => {
                return Err(StoreError::Refused(format!(
                    "reviewer `{}` already approved revision {} of action `{}`",
                    reviewer.name, c.revision, c.action_id
                )));
            }
            Err(why) => {
                return Err(StoreError::Refused(format!(
                    "reviewer `{}` may not approve action `{}`: {why}",
                    reviewer.name, c.action_id
                )));
            }
        };
        let covers: BTreeSet<String> = reviewer.roles.intersection(&c.required).cloned().collect();
        let version = match &c.opportunity_id {
            Some(id) => crm::opportunity_by_id(&mut tx, id)
                .await?
                .map(|o| o.version),
            None => None,
        };
        let q = tx
            .query(
                "INSERT INTO approval \
                 (action_id, revision_id, reviewer_id, roles, opportunity_version, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(c.action_id.clone())
            .bind(c.revision_id)
            .bind(reviewer.reviewer_id)
            .bind(sqlx::types::Json(&covers))
            .bind(version)
            .bind(now + self.options.approval_ttl)
            .bind(now);
        tx.execute(q).await?;
        let actor = format!("reviewer:{}", reviewer.name);
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Approval {
                    revision: c.revision,
                    roles: covers.clone(),
                    opportunity_version: version,
                    policies,
                    via: via.map(|v| v.as_str().to_owned()),
                },
                action_id: Some(&c.action_id),
                actor: &actor,
            },
            now,
        )
        .await?;

        let after = approvals(
            &mut tx,
            action_id,
            c.revision,
            c.opportunity_id.as_deref(),
            now,
        )
        .await?;
        let (approved_roles, approvers) = coverage(&after);
        let missing: BTreeSet<String> = c.required.difference(&approved_roles).cloned().collect();
        // Separation of duties: a protected moment is never released on the rep's word alone.
        let rep_only = protected && approvers.iter().all(|a| *a == on_behalf_of);
        let mut outcome = ApprovalOutcome {
            action_id: c.action_id.clone(),
            status: ActionStatus::Held,
            revision: c.revision,
            approved_roles,
            missing_roles: missing.clone(),
            waiting_for: None,
            outbox_id: None,
        };
        if missing.is_empty() && rep_only {
            outcome.waiting_for = Some(format!(
                "a protected moment needs an approver besides `{on_behalf_of}`, the rep it is on behalf of"
            ));
        } else if missing.is_empty() {
            let q = tx
                .query(
                    "UPDATE action SET status = 'approved', released_at = $1, updated_at = $1 \
                     WHERE action_id = $2",
                )
                .bind(now)
                .bind(c.action_id.clone());
            tx.execute(q).await?;
            let not_before = quiet_hours_until(&c, policy, now);
            outcome.outbox_id =
                outbox::release(&mut tx, &c.action_id, &c.action, not_before, &actor, now).await?;
            outcome.status = ActionStatus::Approved;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// `reviewer` replaces the body (and subject) of a held e-mail or note. The new revision
    /// is decided again; approvals of earlier revisions stop counting.
    pub async fn edit(
        &self,
        action_id: &str,
        reviewer: &str,
        edit: &Edit,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<EditOutcome, StoreError> {
        let now = micros(now);
        if edit.body.trim().is_empty() {
            return Err(StoreError::invalid("body", "must not be empty"));
        }
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let c = current(&mut tx, action_id).await?;
        ensure_held(&c)?;
        let reviewer = registry::reviewer_by_name(&mut tx, reviewer).await?;
        may_handle(&reviewer, &c)?;

        let mut action = c.action.clone();
        match &mut action.payload {
            Payload::Email(e) => {
                e.body.clone_from(&edit.body);
                if let Some(s) = &edit.subject {
                    e.subject.clone_from(s);
                }
            }
            Payload::Text(t) => {
                t.body.clone_from(&edit.body);
                if let Some(s) = &edit.subject {
                    t.subject.clone_from(s);
                }
            }
            Payload::OpportunityUpdate(_) => {
                return Err(StoreError::invalid(
                    "body",
                    "a CRM update has no body to edit: reject it and propose another",
                ));
            }
        }
        let grant = match c.tool_id {
            Some(id) => registry::tool_by_id(&mut tx, id).await?.map(|t| t.grant()),
            None => None,
        }
        .unwrap_or_else(|| ToolGrant {
            name: c.tool_name.clone().unwrap_or_else(|| "unknown".to_owned()),
            registered: false,
            ..ToolGrant::default()
        });
        let (ctx, _) = context::assemble(&mut tx, &action, grant, policy, now).await?;
        let decision = countersign_engine::decide(&action, &ctx, policy, now);
        let new_roles = required_roles(&decision);
        let required: BTreeSet<String> = c.required.union(&new_roles).cloned().collect();
        let added: BTreeSet<String> = required.difference(&c.required).cloned().collect();
        // An edit never loosens: allow stays held for the earlier roles; stricter outcomes win.
        let status = match decision.decision {
            Decision::Deny => ActionStatus::Denied,
            Decision::DraftOnly => ActionStatus::DraftOnly,
            Decision::Hold | Decision::Allow => ActionStatus::Held,
        };
        let number = c.revision + 1;
        let author = format!("reviewer:{}", reviewer.name);
        let action_json = json_value(&action)?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Edit {
                    revision: number,
                    previous_revision: c.revision,
                    subject_changed: edit.subject.is_some(),
                    content_sha256: sha256_hex(canonical_json(&action_json)),
                    added_roles: added.clone(),
                },
                action_id: Some(&c.action_id),
                actor: &author,
            },
            now,
        )
        .await?;
        let audit_seq = insert_revision(
            &mut tx,
            &c.action_id,
            number,
            &author,
            &action_json,
            &ctx,
            &decision,
            &required,
            now,
        )
        .await?;
        crate::queue::record_revision_index(
            &mut tx,
            &c.action_id,
            number,
            &decision,
            &required,
            now,
        )
        .await?;
        let q = tx
            .query(
                "UPDATE action SET latest_revision = $1, status = $2, updated_at = $3 WHERE action_id = $4",
            )
            .bind(number)
            .bind(status.as_str())
            .bind(now)
            .bind(c.action_id.clone());
        tx.execute(q).await?;
        if status == ActionStatus::Held {
            // Earlier approvals stop counting: every role that had countersigned, and every
            // role the edit adds, has the action back in its queue.
            let list = approvals(
                &mut tx,
                &c.action_id,
                c.revision,
                c.opportunity_id.as_deref(),
                now,
            )
            .await?;
            let still_missing: BTreeSet<String> =
                c.required.difference(&coverage(&list).0).cloned().collect();
            let entered: BTreeSet<String> = required.difference(&still_missing).cloned().collect();
            let entered = notify::Entered {
                action_id: &c.action_id,
                revision: number,
                roles: &entered,
                action: &action,
                decision: &decision,
                editor: Some(&reviewer.name),
                occasion: None,
                chase: None,
            };
            notify::entered_queue(&mut tx, &self.options.notifications, entered, now).await?;
        }
        tx.commit().await?;
        Ok(EditOutcome {
            action_id: c.action_id,
            revision: number,
            status,
            decision,
            required_roles: required,
            added_roles: added,
            audit_seq,
        })
    }

    /// `reviewer` rejects a held action; `reason` must say why.
    pub async fn reject(
        &self,
        action_id: &str,
        reviewer: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.reject_via(action_id, reviewer, reason, None, now)
            .await
    }

    /// [`Store::reject`] from a link, a reply or a chat, which the audit record names.
    pub async fn reject_via(
        &self,
        action_id: &str,
        reviewer: &str,
        reason: &str,
        via: Option<Via>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = micros(now);
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::invalid(
                "reason",
                "must not be empty: say why it is rejected",
            ));
        }
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let c = current(&mut tx, action_id).await?;
        ensure_held(&c)?;
        let reviewer = registry::reviewer_by_name(&mut tx, reviewer).await?;
        may_handle(&reviewer, &c)?;
        let q = tx
            .query(
                "UPDATE action SET status = 'rejected', rejected_by = $1, rejection_reason = $2, \
                 updated_at = $3 WHERE action_id = $4",
            )
            .bind(reviewer.name.clone())
            .bind(reason.to_owned())
            .bind(now)
            .bind(c.action_id.clone());
        tx.execute(q).await?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Rejection {
                    revision: c.revision,
                    reason: reason.to_owned(),
                    via: via.map(|v| v.as_str().to_owned()),
                },
                action_id: Some(&c.action_id),
                actor: &format!("reviewer:{}", reviewer.name),
            },
            now,
        )
        .await?;
        tx.commit().await
    }

    /// Everything stored about one action.
    pub async fn show(
        &self,
        action_id: &str,
        now: DateTime<Utc>,
    ) -> Result<ActionView, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.read().await?;
        let c = current(&mut tx, action_id).await?;
        let row = tx
            .fetch_one(
                tx.query(
                    "SELECT external_id, contact_id, recipient_email, account_id, idempotency_key, \
                            created_at, released_at, rejected_by, rejection_reason \
                     FROM action WHERE action_id = $1",
                )
                .bind(action_id.to_owned()),
            )
            .await?;
        let revisions = tx
            .fetch_all(
                tx.query(
                    "SELECT number, author, created_at, action_json, decision_json, required_roles, audit_seq \
                     FROM revision WHERE action_id = $1 ORDER BY number",
                )
                .bind(action_id.to_owned()),
            )
            .await?
            .iter()
            .map(|r| {
                Ok(RevisionView {
                    number: r.get("number")?,
                    author: r.get("author")?,
                    created_at: r.get("created_at")?,
                    action: r.json("action_json")?,
                    decision: r.json("decision_json")?,
                    required_roles: r.json("required_roles")?,
                    audit_seq: r.get("audit_seq")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let list = approvals(
            &mut tx,
            action_id,
            c.revision,
            c.opportunity_id.as_deref(),
            now,
        )
        .await?;
        let (approved, _) = coverage(&list);
        let outbox = tx
            .fetch_optional(
                tx.query(
                    "SELECT outbox_id, kind, status, attempts, next_attempt_at, message_id, last_error, sent_at \
                     FROM outbox WHERE action_id = $1 AND purpose = 'release'",
                )
                .bind(action_id.to_owned()),
            )
            .await?
            .as_ref()
            .map(outbox::view_from)
            .transpose()?;
        Ok(ActionView {
            action_id: c.action_id.clone(),
            external_id: row.get("external_id")?,
            kind: c.kind.clone(),
            tool: c.tool_name.clone(),
            on_behalf_of: c.on_behalf_of.clone(),
            status: c.status,
            contact_id: row.get("contact_id")?,
            recipient_email: row.get("recipient_email")?,
            opportunity_id: c.opportunity_id.clone(),
            account_id: row.get("account_id")?,
            idempotency_key: row.get("idempotency_key")?,
            created_at: row.get("created_at")?,
            released_at: row.get("released_at")?,
            rejected_by: row.get("rejected_by")?,
            rejection_reason: row.get("rejection_reason")?,
            missing_roles: if c.status == ActionStatus::Held {
                c.required.difference(&approved).cloned().collect()
            } else {
                BTreeSet::new()
            },
            revisions,
            approvals: list.into_iter().map(|c| c.view).collect(),
            outbox,
        })
    }
}

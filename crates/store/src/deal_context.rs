//! One deal's context (issue 13): what a rep (or an agent drafting for them) should know
//! before writing — the buying committee and who has gone quiet, how the deal moved, the
//! last touches each way, what was promised in approved messages and what the gate held or
//! reviewers rejected before. Every fact keeps its record id.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use countersign_engine::DecisionRecord;
use countersign_engine::detect::executive::is_executive_title;
use serde::Serialize;

use crate::crm::{self, OpportunityRecord};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitteeMember {
    pub contact_id: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub executive: bool,
    /// Their last activity on this deal.
    pub last_touch: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Move {
    pub history_id: String,
    pub at: DateTime<Utc>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Touch {
    pub activity_id: String,
    pub kind: String,
    pub at: Option<DateTime<Utc>>,
    pub subject: Option<String>,
    pub direction: Option<String>,
    pub contact_id: Option<String>,
}

/// An earlier action of Countersign's on the deal that a human stopped or that promised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PastAction {
    pub action_id: String,
    pub kind: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub rejection_reason: Option<String>,
    /// What the gate held it for (finding categories and evidence).
    pub held_for: Vec<String>,
    /// Commitments in it (approved or allowed actions only).
    pub commitments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DealContext {
    pub opportunity: OpportunityRecord,
    /// The next step the CRM records, as the rep wrote it.
    pub next_step: Option<String>,
    /// The owner's full name as the CRM's users list it (`Sam Okafor` for `sam.okafor`).
    pub owner_name: Option<String>,
    pub account: Option<String>,
    pub committee: Vec<CommitteeMember>,
    pub moves: Vec<Move>,
    pub last_inbound: Option<Touch>,
    pub last_outbound: Option<Touch>,
    /// The buyer's messages since our last one, newest first: what still waits for an
    /// answer (their questions and objections, by subject).
    pub awaiting_answer: Vec<Touch>,
    pub recent: Vec<Touch>,
    pub past_actions: Vec<PastAction>,
}

impl Store {
    /// The context of opportunity `id`, or `None` when the store does not know it.
    pub async fn deal_context(&self, id: &str) -> Result<Option<DealContext>, StoreError> {
        let mut tx = self.pool.read().await?;
        let Some(opportunity) = crm::opportunity_by_id(&mut tx, id).await? else {
            return Ok(None);
        };
        let next_step: Option<String> = tx
            .fetch_optional(
                tx.query("SELECT next_step FROM opportunity WHERE opportunity_id = $1")
                    .bind(id.to_owned()),
            )
            .await?
            .map(|r| r.get::<Option<String>>("next_step"))
            .transpose()?
            .flatten()
            .filter(|s| !s.trim().is_empty());
        let owner_name = match &opportunity.owner {
            Some(rep) => tx
                .fetch_optional(
                    tx.query("SELECT name FROM crm_user WHERE rep = $1 ORDER BY user_id LIMIT 1")
                        .bind(rep.clone()),
                )
                .await?
                .map(|r| r.get::<Option<String>>("name"))
                .transpose()?
                .flatten(),
            None => None,
        };
        let account = match &opportunity.account_id {
            Some(a) => tx
                .fetch_optional(
                    tx.query("SELECT name FROM crm_account WHERE account_id = $1")
                        .bind(a.clone()),
                )
                .await?
                .map(|r| r.get::<Option<String>>("name"))
                .transpose()?
                .flatten()
                .or_else(|| Some(a.clone())),
            None => None,
        };
        let touches = tx
            .fetch_all(
                tx.query(
                    "SELECT activity_id, kind, at, subject, direction, who_id FROM crm_activity \
                     WHERE what_id = $1 ORDER BY at DESC, activity_id DESC LIMIT 200",
                )
                .bind(id.to_owned()),
            )
            .await?;
        let mut recent = Vec::new();
        let mut last_by_contact: HashMap<String, DateTime<Utc>> = HashMap::new();
        for r in &touches {
            let t = Touch {
                activity_id: r.get("activity_id")?,
                kind: r.get("kind")?,
                at: r.get("at")?,
                subject: r.get("subject")?,
                direction: r.get("direction")?,
                contact_id: r.get("who_id")?,
            };
            if let (Some(who), Some(at)) = (&t.contact_id, t.at) {
                last_by_contact.entry(who.clone()).or_insert(at);
            }
            recent.push(t);
        }
        let last = |dir: &str| {
            recent
                .iter()
                .find(|t| t.direction.as_deref() == Some(dir))
                .cloned()
        };
        let (last_inbound, last_outbound) = (last("inbound"), last("outbound"));
        let awaiting_answer: Vec<Touch> = recent
            .iter()
            .take_while(|t| t.direction.as_deref() != Some("outbound"))
            .filter(|t| t.direction.as_deref() == Some("inbound"))
            .take(5)
            .cloned()
            .collect();
        recent.truncate(10);
        let committee = match &opportunity.account_id {
            Some(a) => tx
                .fetch_all(
                    tx.query(
                        "SELECT contact_id, name, title FROM contact WHERE account_id = $1 \
                         ORDER BY name, contact_id LIMIT 25",
                    )
                    .bind(a.clone()),
                )
                .await?
                .iter()
                .map(|r| {
                    let contact_id: String = r.get("contact_id")?;
                    let title: Option<String> = r.get("title")?;
                    Ok(CommitteeMember {
                        last_touch: last_by_contact.get(&contact_id).copied(),
                        executive: title.as_deref().is_some_and(is_executive_title),
                        contact_id,
                        name: r.get("name")?,
                        title,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?,
            None => Vec::new(),
        };
        let moves = tx
            .fetch_all(
                tx.query(
                    "SELECT history_id, at, stage, amount, close_date FROM opportunity_history \
                     WHERE opportunity_id = $1 ORDER BY at, history_id",
                )
                .bind(id.to_owned()),
            )
            .await?
            .iter()
            .map(|r| {
                Ok(Move {
                    history_id: r.get("history_id")?,
                    at: r.get("at")?,
                    stage: r.get("stage")?,
                    amount: r.get("amount")?,
                    close_date: r.get("close_date")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let actions = tx
            .fetch_all(
                tx.query(
                    "SELECT a.action_id, a.kind, a.status, a.created_at, a.rejection_reason, \
                            r.decision_json FROM action a \
                     JOIN revision r ON r.action_id = a.action_id AND r.number = a.latest_revision \
                     WHERE a.opportunity_id = $1 ORDER BY a.created_at DESC LIMIT 20",
                )
                .bind(id.to_owned()),
            )
            .await?;
        let mut past_actions = Vec::new();
        for r in &actions {
            let status: String = r.get("status")?;
            let decision: DecisionRecord = r.json("decision_json")?;
            let released = matches!(status.as_str(), "approved" | "allowed");
            past_actions.push(PastAction {
                action_id: r.get("action_id")?,
                kind: r.get("kind")?,
                created_at: r.get("created_at")?,
                rejection_reason: r.get("rejection_reason")?,
                held_for: decision
                    .findings
                    .iter()
                    .filter(|f| f.category.is_protected())
                    .map(|f| format!("{}: “{}”", f.category.as_str(), f.evidence))
                    .collect(),
                commitments: if released {
                    decision
                        .findings
                        .iter()
                        .filter(|f| f.category.as_str() == "commitment")
                        .map(|f| f.evidence.clone())
                        .collect()
                } else {
                    Vec::new()
                },
                status,
            });
        }
        Ok(Some(DealContext {
            opportunity,
            next_step,
            owner_name,
            account,
            committee,
            moves,
            last_inbound,
            last_outbound,
            awaiting_answer,
            recent,
            past_actions,
        }))
    }
}

impl DealContext {
    /// The deal in a few sentences, for a rep with thirty seconds.
    pub fn summary(&self, today: NaiveDate) -> String {
        let o = &self.opportunity;
        let mut s = format!(
            "{} ({}) is in {}",
            o.name.as_deref().unwrap_or(&o.opportunity_id),
            self.account.as_deref().unwrap_or("no account"),
            o.stage.as_deref().unwrap_or("no stage")
        );
        if let Some(a) = o.amount {
            s.push_str(&format!(" at {a:.0}"));
        }
        if let Some(c) = o.close_date {
            let when = if c < today { "was to close" } else { "closes" };
            s.push_str(&format!(", {when} {c}"));
        }
        s.push('.');
        match &self.next_step {
            Some(n) => s.push_str(&format!(" Next step: {n}.")),
            None => s.push_str(" No next step is recorded."),
        }
        let pushes = self
            .moves
            .windows(2)
            .filter(|w| match (w[0].close_date, w[1].close_date) {
                (Some(a), Some(b)) => b > a,
                _ => false,
            })
            .count();
        if pushes > 0 {
            s.push_str(&format!(" The close date moved later {pushes} times."));
        }
        let engaged: Vec<&CommitteeMember> = self
            .committee
            .iter()
            .filter(|m| m.last_touch.is_some())
            .collect();
        let quiet = self.committee.len() - engaged.len();
        s.push_str(&format!(
            " {} of {} contacts took part{}{}.",
            engaged.len(),
            self.committee.len(),
            if engaged.iter().any(|m| m.executive) {
                ", an executive among them"
            } else {
                ", no executive"
            },
            if quiet > 0 {
                format!("; {quiet} never did")
            } else {
                String::new()
            }
        ));
        match (&self.last_inbound, &self.last_outbound) {
            (Some(i), _) => s.push_str(&format!(
                " The buyer last wrote {} (“{}”).",
                i.at.map_or("at an unknown time".to_owned(), |t| t
                    .date_naive()
                    .to_string()),
                i.subject.as_deref().unwrap_or("no subject")
            )),
            (None, Some(_)) => s.push_str(" The buyer has not written on this deal."),
            (None, None) => {}
        }
        if !self.awaiting_answer.is_empty() {
            let subjects: Vec<String> = self
                .awaiting_answer
                .iter()
                .map(|t| format!("“{}”", t.subject.as_deref().unwrap_or("no subject")))
                .collect();
            s.push_str(&format!(
                " Waiting for our answer: {}.",
                subjects.join(", ")
            ));
        }
        let stopped: Vec<&PastAction> = self
            .past_actions
            .iter()
            .filter(|a| matches!(a.status.as_str(), "held" | "rejected"))
            .collect();
        if !stopped.is_empty() {
            s.push_str(&format!(
                " {} earlier messages were held or rejected.",
                stopped.len()
            ));
        }
        let promised: Vec<&String> = self
            .past_actions
            .iter()
            .flat_map(|a| &a.commitments)
            .collect();
        if !promised.is_empty() {
            s.push_str(&format!(
                " Already promised: {}.",
                promised
                    .iter()
                    .map(|p| format!("“{p}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s
    }
}

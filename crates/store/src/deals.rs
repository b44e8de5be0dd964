//! A rep's deals (issue 12, "My deals"): every action on the opportunities they own or
//! that was proposed on their behalf, newest first, with where it stands and, while held,
//! the roles it still waits for.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use countersign_engine::Action;
use countersign_engine::action::Payload;
use serde::Serialize;

use crate::{ActionStatus, Store, StoreError, approvals};

/// One action on a rep's deal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DealAction {
    pub action_id: String,
    pub kind: String,
    pub tool: Option<String>,
    pub status: ActionStatus,
    pub opportunity_id: Option<String>,
    /// The opportunity's name as the CRM has it, when known.
    pub opportunity: Option<String>,
    pub recipient: Option<String>,
    /// The subject, or for a CRM change its fields (`stage → Commit`).
    pub subject: String,
    /// While held: the roles that have not approved yet.
    pub waiting_for: BTreeSet<String>,
    pub rejection_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// The newest `limit` actions on `rep`'s deals.
    pub async fn deal_actions(
        &self,
        rep: &str,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<DealAction>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT a.action_id, a.kind, a.tool_name, a.status, a.opportunity_id, \
                            o.name AS opportunity, a.recipient_email, a.rejection_reason, \
                            a.created_at, a.updated_at, r.action_json \
                     FROM action a \
                     JOIN revision r ON r.action_id = a.action_id AND r.number = a.latest_revision \
                     LEFT JOIN opportunity o ON o.opportunity_id = a.opportunity_id \
                     WHERE a.on_behalf_of = $1 OR o.owner = $1 \
                     ORDER BY a.created_at DESC, a.action_id DESC LIMIT $2",
                )
                .bind(rep.to_owned())
                .bind(limit),
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let action = Action::from_json(&row.json("action_json")?)
                .map_err(|e| StoreError::Corrupt(format!("revision action: {e}")))?;
            let status: ActionStatus = row.get::<String>("status")?.parse()?;
            let action_id: String = row.get("action_id")?;
            let waiting_for = if status == ActionStatus::Held {
                approvals::still_needed(&mut tx, &action_id, now).await?.3
            } else {
                BTreeSet::new()
            };
            out.push(DealAction {
                action_id,
                kind: row.get("kind")?,
                tool: row.get("tool_name")?,
                status,
                opportunity_id: row.get("opportunity_id")?,
                opportunity: row.get("opportunity")?,
                recipient: row.get("recipient_email")?,
                subject: match &action.payload {
                    // A CRM change has no subject: its changes say what it is.
                    Payload::OpportunityUpdate(u) => u
                        .changes
                        .iter()
                        .map(|(field, to)| match to {
                            serde_json::Value::String(s) => format!("{field} → {s}"),
                            other => format!("{field} → {other}"),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => action.subject().to_owned(),
                },
                waiting_for,
                rejection_reason: row.get("rejection_reason")?,
                created_at: row.get("created_at")?,
                updated_at: row.get("updated_at")?,
            });
        }
        Ok(out)
    }
}

/// A tool's latest action on an opportunity: what the Pipeline page links from a deal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestAction {
    pub action_id: String,
    pub status: ActionStatus,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// `tool`'s newest action on each of `opportunity_ids` that has one.
    pub async fn latest_by_tool(
        &self,
        tool: &str,
        opportunity_ids: &[String],
    ) -> Result<std::collections::HashMap<String, LatestAction>, StoreError> {
        let mut out = std::collections::HashMap::new();
        if opportunity_ids.is_empty() {
            return Ok(out);
        }
        let mut tx = self.pool.read().await?;
        let q = match tx.backend() {
            crate::db::Backend::Sqlite => tx.query(
                "SELECT opportunity_id, action_id, status, created_at FROM action \
                 WHERE tool_name = $1 AND opportunity_id IN (SELECT value FROM json_each($2)) \
                 ORDER BY created_at DESC, action_id DESC",
            ),
            crate::db::Backend::Postgres => tx.query(
                "SELECT opportunity_id, action_id, status, created_at FROM action \
                 WHERE tool_name = $1 \
                   AND opportunity_id IN (SELECT jsonb_array_elements_text($2::jsonb)) \
                 ORDER BY created_at DESC, action_id DESC",
            ),
        };
        let rows = tx
            .fetch_all(
                q.bind(tool.to_owned())
                    .bind(serde_json::json!(opportunity_ids).to_string()),
            )
            .await?;
        for r in &rows {
            let id: String = r.get("opportunity_id")?;
            if out.contains_key(&id) {
                continue;
            }
            out.insert(
                id,
                LatestAction {
                    action_id: r.get("action_id")?,
                    status: r.get::<String>("status")?.parse()?,
                    created_at: r.get("created_at")?,
                },
            );
        }
        Ok(out)
    }
}

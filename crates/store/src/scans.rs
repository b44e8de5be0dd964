//! Shadow-AI scans (issue 14): what the store knows that a scan compares mail and exports
//! against (reps, buyer domains, what Countersign itself delivered or decided), and the
//! reports of scans that ran, each audited.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::audit::{self, AuditEvent, Event};
use crate::db::{Backend, Lock};
use crate::{Store, StoreError, micros, outbox};

/// The facts a scan reads, as plain lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanFacts {
    /// (lower-cased address, rep name): reviewers' and CRM users' company addresses.
    pub rep_addresses: Vec<(String, String)>,
    /// (lower-cased full name, rep name), from the CRM's users.
    pub rep_names: Vec<(String, String)>,
    /// Rep names themselves (`sam.okafor`).
    pub reps: Vec<String>,
    /// Buyer domains: contacts' address domains and accounts' domains.
    pub buyer_domains: Vec<String>,
    /// Message-IDs of e-mail Countersign released (`act_…@countersign.invalid`, no <>).
    pub delivered_message_ids: Vec<String>,
    /// (recipient, subject) of every e-mail action Countersign decided.
    pub decided_pairs: Vec<(String, String)>,
    /// Active registered tools.
    pub tools: Vec<String>,
}

/// Proposals made with a key the registry did not know, or had revoked, per claimed tool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnregisteredProposals {
    pub claimed_tool: Option<String>,
    pub count: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

/// A stored scan report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredScan {
    pub scan_id: i64,
    pub created_at: DateTime<Utc>,
    pub actor: String,
    /// The report as the scan produced it.
    pub report: Value,
}

impl Store {
    /// What a scan compares against.
    pub async fn scan_facts(&self) -> Result<ScanFacts, StoreError> {
        let mut facts = ScanFacts::default();
        for r in self.list_reviewers().await? {
            if let Some(e) = &r.email {
                facts.rep_addresses.push((e.to_lowercase(), r.name.clone()));
            }
            facts.reps.push(r.name);
        }
        let mut tx = self.pool.read().await?;
        for r in &tx
            .fetch_all(tx.query(
                "SELECT name, email, rep FROM crm_user WHERE rep IS NOT NULL ORDER BY user_id",
            ))
            .await?
        {
            let rep: String = r.get("rep")?;
            if let Some(e) = r.get::<Option<String>>("email")? {
                facts.rep_addresses.push((e.to_lowercase(), rep.clone()));
            }
            if let Some(n) = r.get::<Option<String>>("name")? {
                facts.rep_names.push((n.to_lowercase(), rep.clone()));
            }
            facts.reps.push(rep);
        }
        facts.reps.sort();
        facts.reps.dedup();
        let domains = match tx.backend() {
            Backend::Sqlite => tx.query(
                "SELECT DISTINCT lower(substr(email, instr(email, '@') + 1)) AS domain \
                 FROM contact WHERE email LIKE '%@%' \
                 UNION SELECT DISTINCT lower(domain) FROM crm_account WHERE domain IS NOT NULL",
            ),
            Backend::Postgres => tx.query(
                "SELECT DISTINCT lower(split_part(email, '@', 2)) AS domain \
                 FROM contact WHERE email LIKE '%@%' \
                 UNION SELECT DISTINCT lower(domain) FROM crm_account WHERE domain IS NOT NULL",
            ),
        };
        for r in &tx.fetch_all(domains).await? {
            if let Some(d) = r.get::<Option<String>>("domain")? {
                facts.buyer_domains.push(d);
            }
        }
        let subject = match tx.backend() {
            Backend::Sqlite => tx.query(
                "SELECT a.action_id, a.recipient_email, a.released_at, \
                        json_extract(r.action_json, '$.payload.subject') AS subject \
                 FROM action a JOIN revision r \
                   ON r.action_id = a.action_id AND r.number = a.latest_revision \
                 WHERE a.kind IN ('email.send', 'email.draft') AND a.recipient_email IS NOT NULL",
            ),
            Backend::Postgres => tx.query(
                "SELECT a.action_id, a.recipient_email, a.released_at, \
                        r.action_json->'payload'->>'subject' AS subject \
                 FROM action a JOIN revision r \
                   ON r.action_id = a.action_id AND r.number = a.latest_revision \
                 WHERE a.kind IN ('email.send', 'email.draft') AND a.recipient_email IS NOT NULL",
            ),
        };
        for r in &tx.fetch_all(subject).await? {
            let id: String = r.get("action_id")?;
            if r.get::<Option<DateTime<Utc>>>("released_at")?.is_some() {
                let mid = outbox::message_id(&id);
                facts
                    .delivered_message_ids
                    .push(mid.trim_matches(['<', '>']).to_lowercase());
            }
            facts.decided_pairs.push((
                r.get::<String>("recipient_email")?.to_lowercase(),
                r.get::<Option<String>>("subject")?.unwrap_or_default(),
            ));
        }
        drop(tx);
        facts.tools = self
            .list_tools()
            .await?
            .into_iter()
            .filter(|t| t.revoked_at.is_none())
            .map(|t| t.name)
            .collect();
        Ok(facts)
    }

    /// Proposals since `since` from unknown or revoked keys (denied as shadow AI), per
    /// claimed tool name.
    pub async fn unregistered_proposals(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<UnregisteredProposals>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT a.tool_name, COUNT(*) AS n, MIN(a.created_at) AS first, \
                            MAX(a.created_at) AS last \
                     FROM action a LEFT JOIN tool t ON t.tool_id = a.tool_id \
                     WHERE a.created_at >= $1 \
                       AND (a.tool_id IS NULL OR t.revoked_at <= a.created_at) \
                     GROUP BY a.tool_name ORDER BY a.tool_name",
                )
                .bind(micros(since)),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UnregisteredProposals {
                    claimed_tool: r.get("tool_name")?,
                    count: r.get("n")?,
                    first: r.get("first")?,
                    last: r.get("last")?,
                })
            })
            .collect()
    }

    /// Stores a scan's report and audits that it ran (its inputs and counts by kind).
    pub async fn save_scan(
        &self,
        report: &Value,
        inputs: Vec<String>,
        counts: std::collections::BTreeMap<String, u64>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let row = tx
            .fetch_one(
                tx.query(
                    "INSERT INTO scan_report (created_at, actor, report) VALUES ($1, $2, $3) \
                     RETURNING scan_id",
                )
                .bind(now)
                .bind(actor.to_owned())
                .bind(report.to_string()),
            )
            .await?;
        let scan_id: i64 = row.get("scan_id")?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Scan {
                    scan_id,
                    inputs,
                    counts,
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(scan_id)
    }

    /// The newest scan, if one ran.
    pub async fn latest_scan(&self) -> Result<Option<StoredScan>, StoreError> {
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(tx.query(
                "SELECT scan_id, created_at, actor, report FROM scan_report \
                 ORDER BY scan_id DESC LIMIT 1",
            ))
            .await?;
        row.map(|r| {
            let text: String = r.get("report")?;
            Ok(StoredScan {
                scan_id: r.get("scan_id")?,
                created_at: r.get("created_at")?,
                actor: r.get("actor")?,
                report: serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("scan report: {e}")))?,
            })
        })
        .transpose()
    }
}

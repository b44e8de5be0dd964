//! The facts pipeline triage judges (issue 13), gathered in a few set-based queries: the
//! open opportunities, their stage history, and the activities on them. The judging is the
//! engine's ([`countersign_engine::triage`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use countersign_engine::detect::executive::is_executive_title;
use countersign_engine::triage::DealFacts;

use crate::db::Backend;
use crate::{Store, StoreError, micros};

/// Activities older than this do not count as engagement.
const ENGAGEMENT_DAYS: i64 = 90;

impl Store {
    /// Every open opportunity (of `owner`, when given) with its facts on `now`.
    pub async fn triage_facts(
        &self,
        owner: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<DealFacts>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT o.opportunity_id, o.name, COALESCE(a.name, o.account_id) AS account, \
                            o.owner, o.stage, o.amount, o.close_date, o.next_step, \
                            o.last_activity, o.crm_modified_at, o.updated_at \
                     FROM opportunity o LEFT JOIN crm_account a ON a.account_id = o.account_id \
                     WHERE (o.is_closed IS NULL OR o.is_closed = $2) \
                       AND (o.stage IS NULL OR lower(o.stage) NOT LIKE 'closed%') \
                       AND ($1 IS NULL OR o.owner = $1) \
                     ORDER BY o.opportunity_id",
                )
                .bind(owner.map(str::to_owned))
                .bind(false),
            )
            .await?;
        let mut deals: Vec<DealFacts> = Vec::with_capacity(rows.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.get("opportunity_id")?;
            let modified: Option<DateTime<Utc>> = r.get("crm_modified_at")?;
            let updated: DateTime<Utc> = r.get("updated_at")?;
            index.insert(id.clone(), deals.len());
            deals.push(DealFacts {
                opportunity_id: id,
                name: r.get("name")?,
                account: r.get("account")?,
                owner: r.get("owner")?,
                stage: r.get("stage")?,
                amount: r.get("amount")?,
                close_date: r.get("close_date")?,
                next_step: r.get("next_step")?,
                next_step_since: Some(modified.unwrap_or(updated).date_naive()),
                last_activity: r.get("last_activity")?,
                ..DealFacts::default()
            });
        }
        if deals.is_empty() {
            return Ok(deals);
        }
        // Each fact is one aggregate per opportunity, so memory stays flat however long the
        // history: when the current stage began, how often the close date moved later…
        let moves = tx
            .fetch_all(tx.query(
                "SELECT id, MIN(CASE WHEN stage = current THEN at END) AS since, \
                        SUM(CASE WHEN close_date > prev THEN 1 ELSE 0 END) AS pushes \
                 FROM (SELECT h.opportunity_id AS id, h.at, h.stage, o.stage AS current, \
                              h.close_date, \
                              LAG(h.close_date) OVER (PARTITION BY h.opportunity_id ORDER BY h.at) AS prev \
                       FROM opportunity_history h \
                       JOIN opportunity o ON o.opportunity_id = h.opportunity_id) moves \
                 GROUP BY id",
            ))
            .await?;
        for r in &moves {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                let since: Option<DateTime<Utc>> = r.get("since")?;
                deals[i].stage_since = since.map(|t| t.date_naive());
                let pushes: Option<i64> = r.get("pushes")?;
                deals[i].close_date_pushes = u32::try_from(pushes.unwrap_or(0)).unwrap_or(u32::MAX);
            }
        }
        // …who took part lately, and whether one of them is an executive (titles judged by
        // the executive detector, once per distinct title), in one pass over the window.
        let since = micros(now - Duration::days(ENGAGEMENT_DAYS));
        let titles = tx
            .fetch_all(tx.query("SELECT DISTINCT title FROM contact WHERE title IS NOT NULL"))
            .await?;
        let mut executive_titles = Vec::new();
        for r in &titles {
            let title: String = r.get("title")?;
            if is_executive_title(&title) {
                executive_titles.push(title);
            }
        }
        let q = match tx.backend() {
            Backend::Sqlite => tx.query(
                "WITH exec (title) AS (SELECT value FROM json_each($2)) \
                 SELECT act.what_id AS id, COUNT(DISTINCT act.who_id) AS n, \
                        COUNT(e.title) AS exec \
                 FROM crm_activity act LEFT JOIN contact c ON c.contact_id = act.who_id \
                 LEFT JOIN exec e ON e.title = c.title \
                 WHERE act.at >= $1 AND act.what_id IS NOT NULL AND act.who_id IS NOT NULL \
                 GROUP BY act.what_id",
            ),
            Backend::Postgres => tx.query(
                "WITH exec (title) AS (SELECT jsonb_array_elements_text($2::jsonb)) \
                 SELECT act.what_id AS id, COUNT(DISTINCT act.who_id) AS n, \
                        COUNT(e.title) AS exec \
                 FROM crm_activity act LEFT JOIN contact c ON c.contact_id = act.who_id \
                 LEFT JOIN exec e ON e.title = c.title \
                 WHERE act.at >= $1 AND act.what_id IS NOT NULL AND act.who_id IS NOT NULL \
                 GROUP BY act.what_id",
            ),
        };
        let engaged = tx
            .fetch_all(
                q.bind(since)
                    .bind(serde_json::json!(executive_titles).to_string()),
            )
            .await?;
        for r in &engaged {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                deals[i].contacts_engaged = u32::try_from(r.get::<i64>("n")?).unwrap_or(u32::MAX);
                deals[i].executive_engaged = r.get::<i64>("exec")? > 0;
            }
        }
        // …and our e-mails the buyer has not answered (none of theirs came after).
        let unanswered = tx
            .fetch_all(tx.query(
                "SELECT a.what_id AS id, COUNT(*) AS n FROM crm_activity a \
                 WHERE a.kind = 'email' AND a.direction = 'outbound' AND a.what_id IS NOT NULL \
                   AND NOT EXISTS (SELECT 1 FROM crm_activity b WHERE b.what_id = a.what_id \
                     AND b.direction = 'inbound' AND b.at > a.at) \
                 GROUP BY a.what_id",
            ))
            .await?;
        for r in &unanswered {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                deals[i].unanswered = u32::try_from(r.get::<i64>("n")?).unwrap_or(u32::MAX);
            }
        }
        Ok(deals)
    }
}

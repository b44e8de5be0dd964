//! The reviewer queue (issue 6): held actions that still need a role, oldest first, filtered
//! and paged by SQL, with totals and counts per role from SQL aggregates.
//!
//! What a held action still needs is derived, never stored: it depends on `now` (approvals
//! expire) and on the opportunity's version (an approval given on another version no
//! longer counts). So the queries compute it the way [`Store::approve`] does: a required
//! role of the latest revision is missing unless an approval *of that revision* covers it,
//! has not expired (`expires_at > now`) and saw the opportunity's current version (both
//! NULL when the action has no opportunity in the store).
//!
//! Owns the two index tables of migration 0003, written by [`record_revision_index`] in the
//! transaction that inserts a revision: `requirement` (one row per required role) and
//! `finding_tag` (one row per distinct category and subtopic among the findings).
//!
//! Only the page's rows are loaded in detail (their decision JSON); everything else is a
//! count or a range scan over the partial index of held actions.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use countersign_engine::{Action, DecisionRecord};
use serde::Serialize;

use crate::approvals::QueueItem;
use crate::db::{Backend, Row, Tx};
use crate::error::StoreError;
use crate::{Store, micros};

/// The most rows one page may hold.
pub const QUEUE_PAGE_LIMIT: usize = 100;

/// Which held actions to list, and which page of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueQuery {
    /// A reviewer's roles: an action is listed when one of the roles it still misses is
    /// among them. `None`: every held action, even one waiting only for a second approver.
    pub roles: Option<BTreeSet<String>>,
    /// Only actions still missing this role (a narrowing of `roles`: the counts and
    /// `queue_total` stay those of `roles`).
    pub role: Option<String>,
    /// Only actions whose latest revision has a finding of this category…
    pub category: Option<String>,
    /// …and (on the same finding) this subtopic.
    pub subtopic: Option<String>,
    /// Only actions proposed by this tool (the registry's name).
    pub tool: Option<String>,
    /// Only actions on behalf of this rep.
    pub on_behalf_of: Option<String>,
    /// Only actions created before this instant (the inbox's "older than").
    pub created_before: Option<DateTime<Utc>>,
    /// The page after this cursor (a page's `next`).
    pub after: Option<QueueCursor>,
    /// The page before this cursor (a page's `prev`); not with `after`.
    pub before: Option<QueueCursor>,
    /// Rows per page, 1 to [`QUEUE_PAGE_LIMIT`].
    pub limit: usize,
}

impl Default for QueueQuery {
    fn default() -> Self {
        Self {
            roles: None,
            role: None,
            category: None,
            subtopic: None,
            tool: None,
            on_behalf_of: None,
            created_before: None,
            after: None,
            before: None,
            limit: 50,
        }
    }
}

/// A position in the queue's order: the action's `created_at`, ties broken by its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct QueueCursor {
    pub created_at: DateTime<Utc>,
    pub action_id: String,
}

/// Written `MICROS_ACTIONID` (`created_at` in microseconds since the epoch), so it fits a
/// URL's query string as it is.
impl fmt::Display for QueueCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}_{}",
            self.created_at.timestamp_micros(),
            self.action_id
        )
    }
}

impl FromStr for QueueCursor {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            StoreError::invalid(
                "cursor",
                format!("`{s}` is not a queue cursor (MICROSECONDS_ACTIONID)"),
            )
        };
        let (micros, action_id) = s.split_once('_').ok_or_else(bad)?;
        let created_at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(bad)?;
        if action_id.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            created_at,
            action_id: action_id.to_owned(),
        })
    }
}

/// The values the filters can take among the actions in the query's roles, for pickers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueFacets {
    pub categories: BTreeSet<String>,
    pub subtopics: BTreeSet<String>,
    pub tools: BTreeSet<String>,
    pub reps: BTreeSet<String>,
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuePage {
    /// At most `limit` actions, oldest first.
    pub items: Vec<QueueItem>,
    /// Actions matching every filter (on all pages).
    pub total: i64,
    /// Actions in the query's roles, ignoring the other filters.
    pub queue_total: i64,
    /// Per role (the query's roles, or every role): held actions still missing it.
    pub counts: BTreeMap<String, i64>,
    /// The cursor of the next page, when more actions follow.
    pub next: Option<QueueCursor>,
    /// The cursor of the previous page, when actions precede this page.
    pub prev: Option<QueueCursor>,
    pub facets: QueueFacets,
}

/// Writes the queue's index rows for revision `number` of `action_id`: one `requirement`
/// per required role and one `finding_tag` per distinct (category, subtopic). Called in
/// the transaction that inserts the revision, right after it.
pub(crate) async fn record_revision_index(
    tx: &mut Tx,
    action_id: &str,
    number: i64,
    decision: &DecisionRecord,
    roles: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for role in roles {
        let q = tx
            .query(
                "INSERT INTO requirement (revision_id, action_id, role, created_at) \
                 SELECT revision_id, action_id, $3, $4 FROM revision \
                 WHERE action_id = $1 AND number = $2",
            )
            .bind(action_id.to_owned())
            .bind(number)
            .bind(role.clone())
            .bind(now);
        ensure_one(tx.execute(q).await?, action_id, number)?;
    }
    let tags: BTreeSet<(&str, &str)> = decision
        .findings
        .iter()
        .map(|f| (f.category.as_str(), f.subtopic.as_str()))
        .collect();
    for (category, subtopic) in tags {
        let q = tx
            .query(
                "INSERT INTO finding_tag (revision_id, action_id, category, subtopic, created_at) \
                 SELECT revision_id, action_id, $3, $4, $5 FROM revision \
                 WHERE action_id = $1 AND number = $2",
            )
            .bind(action_id.to_owned())
            .bind(number)
            .bind(category.to_owned())
            .bind(subtopic.to_owned())
            .bind(now);
        ensure_one(tx.execute(q).await?, action_id, number)?;
    }
    Ok(())
}

fn ensure_one(rows: u64, action_id: &str, number: i64) -> Result<(), StoreError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "revision {number} of action `{action_id}` was not found while indexing it"
        )))
    }
}

// The SQL, written once with the dialects' differences as macros. Placeholders, the same
// in every query that uses them: $1 now, $2 roles (a JSON array, or NULL for every role),
// $3 category, $4 subtopic, $5 tool, $6 rep, $7 created_before, $8 role, $9/$10 the
// cursor's created_at and action_id, $11 the number of rows.

/// Approval `ap` covers the role of requirement `q`.
macro_rules! covers {
    (sqlite) => {
        "EXISTS (SELECT 1 FROM json_each(ap.roles) j WHERE j.value = q.role)"
    };
    (postgres) => {
        "ap.roles ? q.role"
    };
}

/// Approval `ap` saw the opportunity's current version (NULL = NULL: no opportunity).
macro_rules! same_version {
    (sqlite) => {
        "ap.opportunity_version IS o.version"
    };
    (postgres) => {
        "ap.opportunity_version IS NOT DISTINCT FROM o.version"
    };
}

/// Requirement `q`'s role is among the roles in $2.
macro_rules! in_roles {
    (sqlite) => {
        "q.role IN (SELECT value FROM json_each($2))"
    };
    (postgres) => {
        "$2 ? q.role"
    };
}

/// Requirement `q` (of the latest revision) is not covered by an approval that counts.
macro_rules! missing {
    ($d:tt) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM approval ap WHERE ap.revision_id = q.revision_id \
             AND ap.expires_at > $1 AND ",
            same_version!($d),
            " AND ",
            covers!($d),
            ")"
        )
    };
}

/// Held actions with their latest revision `r` and opportunity `o`.
macro_rules! held {
    () => {
        " FROM action a \
          JOIN revision r ON r.action_id = a.action_id AND r.number = a.latest_revision \
          LEFT JOIN opportunity o ON o.opportunity_id = a.opportunity_id \
          WHERE a.status = 'held' "
    };
}

/// The action still misses one of the roles in $2 (every held action when $2 is NULL).
macro_rules! in_scope {
    ($d:tt) => {
        concat!(
            "($2 IS NULL OR EXISTS (SELECT 1 FROM requirement q \
             WHERE q.revision_id = r.revision_id AND ",
            in_roles!($d),
            " AND ",
            missing!($d),
            "))"
        )
    };
}

/// The category, subtopic, tool, rep, age and role filters.
macro_rules! filters {
    ($d:tt) => {
        concat!(
            "(($3 IS NULL AND $4 IS NULL) OR EXISTS (SELECT 1 FROM finding_tag t \
                WHERE t.revision_id = r.revision_id \
                AND ($3 IS NULL OR t.category = $3) AND ($4 IS NULL OR t.subtopic = $4))) \
             AND ($5 IS NULL OR a.tool_name = $5) \
             AND ($6 IS NULL OR a.on_behalf_of = $6) \
             AND ($7 IS NULL OR a.created_at < $7) \
             AND ($8 IS NULL OR EXISTS (SELECT 1 FROM requirement q \
                WHERE q.revision_id = r.revision_id AND q.role = $8 AND ",
            missing!($d),
            "))"
        )
    };
}

/// The JSON array of the roles requirement rows of `r` still miss.
macro_rules! missing_roles {
    (sqlite) => {
        concat!(
            "(SELECT json_group_array(q.role) FROM requirement q \
             WHERE q.revision_id = r.revision_id AND ",
            missing!(sqlite),
            ")"
        )
    };
    (postgres) => {
        concat!(
            "(SELECT COALESCE(jsonb_agg(q.role), '[]'::jsonb) FROM requirement q \
             WHERE q.revision_id = r.revision_id AND ",
            missing!(postgres),
            ")"
        )
    };
}

/// One page in queue order from the cursor: `>` and ascending, or `<` and descending.
macro_rules! page {
    ($d:tt, $cmp:literal, $order:literal) => {
        concat!(
            "SELECT a.action_id, a.kind, a.tool_name, a.on_behalf_of, a.recipient_email, \
                    a.created_at, a.latest_revision, r.action_json, r.decision_json, \
                    r.required_roles, r.created_at AS revised_at, \
                    (SELECT o.name FROM opportunity o WHERE o.opportunity_id = a.opportunity_id) AS deal, \
                    (SELECT o.stage FROM opportunity o WHERE o.opportunity_id = a.opportunity_id) AS deal_stage, \
                    (SELECT o.amount FROM opportunity o WHERE o.opportunity_id = a.opportunity_id) AS deal_amount, ",
            missing_roles!($d),
            " AS missing_roles",
            held!(),
            " AND ",
            in_scope!($d),
            " AND ",
            filters!($d),
            " AND (a.created_at, a.action_id) ",
            $cmp,
            " ($9, $10) ORDER BY a.created_at ",
            $order,
            ", a.action_id ",
            $order,
            " LIMIT $11"
        )
    };
}

/// Per (tool, rep) among the actions in scope: how many, and how many match the filters:
/// the totals and the tool and rep pickers in one pass.
macro_rules! totals {
    ($d:tt) => {
        concat!(
            "SELECT a.tool_name, a.on_behalf_of, COUNT(*) AS in_scope, \
                    COALESCE(SUM(CASE WHEN ",
            filters!($d),
            " THEN 1 ELSE 0 END), 0) AS matching",
            held!(),
            " AND ",
            in_scope!($d),
            " GROUP BY a.tool_name, a.on_behalf_of"
        )
    };
}

macro_rules! counts {
    ($d:tt) => {
        concat!(
            "SELECT q.role, COUNT(*) AS n \
             FROM action a \
             JOIN revision r ON r.action_id = a.action_id AND r.number = a.latest_revision \
             JOIN requirement q ON q.revision_id = r.revision_id \
             LEFT JOIN opportunity o ON o.opportunity_id = a.opportunity_id \
             WHERE a.status = 'held' AND ($2 IS NULL OR ",
            in_roles!($d),
            ") AND ",
            missing!($d),
            " GROUP BY q.role"
        )
    };
}

macro_rules! facet_tags {
    ($d:tt) => {
        concat!(
            "SELECT DISTINCT t.category, t.subtopic",
            " FROM action a \
              JOIN revision r ON r.action_id = a.action_id AND r.number = a.latest_revision \
              JOIN finding_tag t ON t.revision_id = r.revision_id \
              LEFT JOIN opportunity o ON o.opportunity_id = a.opportunity_id \
              WHERE a.status = 'held' AND ",
            in_scope!($d)
        )
    };
}

/// One query's text per backend.
struct Sql {
    sqlite: &'static str,
    postgres: &'static str,
}

impl Sql {
    fn on(&self, tx: &Tx) -> &'static str {
        match tx.backend() {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

const PAGE_FORWARD: Sql = Sql {
    sqlite: page!(sqlite, ">", "ASC"),
    postgres: page!(postgres, ">", "ASC"),
};
const PAGE_BACKWARD: Sql = Sql {
    sqlite: page!(sqlite, "<", "DESC"),
    postgres: page!(postgres, "<", "DESC"),
};
const TOTALS: Sql = Sql {
    sqlite: totals!(sqlite),
    postgres: totals!(postgres),
};
const COUNTS: Sql = Sql {
    sqlite: counts!(sqlite),
    postgres: counts!(postgres),
};
const FACET_TAGS: Sql = Sql {
    sqlite: facet_tags!(sqlite),
    postgres: facet_tags!(postgres),
};

/// Which way a page is read from its cursor.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// A query's values, bound in placeholder order.
struct Bound<'a> {
    now: DateTime<Utc>,
    roles: Option<&'a BTreeSet<String>>,
    query: &'a QueueQuery,
}

impl Bound<'_> {
    fn scope(&self, tx: &Tx, sql: &Sql) -> crate::db::Query {
        tx.query(sql.on(tx))
            .bind(self.now)
            .bind(self.roles.cloned().map(sqlx::types::Json))
    }

    fn filtered(&self, tx: &Tx, sql: &Sql) -> crate::db::Query {
        let q = self.query;
        self.scope(tx, sql)
            .bind(q.category.clone())
            .bind(q.subtopic.clone())
            .bind(q.tool.clone())
            .bind(q.on_behalf_of.clone())
            .bind(q.created_before.map(micros))
            .bind(q.role.clone())
    }

    /// `limit` rows from `from` (exclusive) in `direction`; no cursor starts at the queue's
    /// end in that direction.
    async fn rows(
        &self,
        tx: &mut Tx,
        direction: Direction,
        from: Option<&QueueCursor>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        // Without a cursor, bound a position before (after) every action, so the keyset
        // condition is always a plain row comparison the index can seek on.
        let (sql, edge) = match direction {
            Direction::Forward => (&PAGE_FORWARD, Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)),
            Direction::Backward => (&PAGE_BACKWARD, Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0)),
        };
        let (at, id) = match from {
            Some(c) => (micros(c.created_at), c.action_id.clone()),
            None => (
                edge.single()
                    .ok_or_else(|| StoreError::Corrupt("queue edge instant".into()))?,
                String::new(),
            ),
        };
        let q = self
            .filtered(tx, sql)
            .bind(at)
            .bind(id)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        tx.fetch_all(q).await
    }
}

fn item_from(row: &Row) -> Result<QueueItem, StoreError> {
    let action_json: serde_json::Value = row.json("action_json")?;
    let action = Action::from_json(&action_json)
        .map_err(|e| StoreError::Corrupt(format!("revision action: {e}")))?;
    let decision: DecisionRecord = row.json("decision_json")?;
    let required: BTreeSet<String> = row.json("required_roles")?;
    let missing: BTreeSet<String> = row.json("missing_roles")?;
    Ok(QueueItem {
        action_id: row.get("action_id")?,
        kind: row.get("kind")?,
        tool: row.get("tool_name")?,
        on_behalf_of: row.get("on_behalf_of")?,
        recipient: row.get("recipient_email")?,
        subject: action.subject().to_owned(),
        revision: row.get("latest_revision")?,
        // Approvals only ever cover required roles, so what is not missing is approved.
        approved_roles: required.difference(&missing).cloned().collect(),
        required_roles: required,
        missing_roles: missing,
        reasons: decision.reasons,
        findings: decision.findings,
        created_at: row.get("created_at")?,
        revised_at: row.get("revised_at")?,
        deal: row.get("deal")?,
        deal_stage: row.get("deal_stage")?,
        deal_amount: row.get("deal_amount")?,
    })
}

fn cursor_of(item: &QueueItem) -> QueueCursor {
    QueueCursor {
        created_at: item.created_at,
        action_id: item.action_id.clone(),
    }
}

impl Store {
    /// One page of held actions, oldest first, with the roles they still need, the totals
    /// and counts per role. See [`QueueQuery`] for the filters.
    pub async fn queue_page(
        &self,
        query: &QueueQuery,
        now: DateTime<Utc>,
    ) -> Result<QueuePage, StoreError> {
        if !(1..=QUEUE_PAGE_LIMIT).contains(&query.limit) {
            return Err(StoreError::invalid(
                "limit",
                format!("`{}` is not between 1 and {QUEUE_PAGE_LIMIT}", query.limit),
            ));
        }
        if query.after.is_some() && query.before.is_some() {
            return Err(StoreError::invalid(
                "before",
                "cannot be combined with `after`: a page is read one way",
            ));
        }
        let now = micros(now);
        let bound = Bound {
            now,
            roles: query.roles.as_ref(),
            query,
        };
        // One read transaction: the page, its totals and its counts are one snapshot.
        let mut tx = self.pool.read().await?;
        let limit = query.limit;

        let mut items = Vec::with_capacity(limit);
        if let Some(before) = &query.before {
            let rows = bound
                .rows(&mut tx, Direction::Backward, Some(before), limit + 1)
                .await?;
            if rows.len() > limit {
                // A full page with more before it; read backwards, shown oldest first.
                for row in rows.iter().take(limit).rev() {
                    items.push(item_from(row)?);
                }
                let prev = items.first().map(cursor_of);
                let mut next = None;
                if let Some(last) = items.last().map(cursor_of)
                    && has_beyond(&bound, &mut tx, Direction::Forward, &last).await?
                {
                    next = Some(last);
                }
                return finish(&bound, &mut tx, items, next, prev).await;
            }
            // Fewer than a page before the cursor: that is the start of the queue, shown
            // as a full first page.
        }
        let forward_from = match query.before {
            Some(_) => None,
            None => query.after.as_ref(),
        };
        let mut next = None;
        let mut prev = None;
        let rows = bound
            .rows(&mut tx, Direction::Forward, forward_from, limit + 1)
            .await?;
        for row in rows.iter().take(limit) {
            items.push(item_from(row)?);
        }
        if rows.len() > limit {
            next = items.last().map(cursor_of);
        }
        if forward_from.is_some()
            && let Some(first) = items.first().map(cursor_of)
            && has_beyond(&bound, &mut tx, Direction::Backward, &first).await?
        {
            prev = Some(first);
        }
        finish(&bound, &mut tx, items, next, prev).await
    }

    /// Every held action matching `query`'s filters (its cursors and limit are ignored),
    /// oldest first, read page by page.
    pub async fn queue_items(
        &self,
        query: &QueueQuery,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let mut query = QueueQuery {
            after: None,
            before: None,
            limit: QUEUE_PAGE_LIMIT,
            ..query.clone()
        };
        let mut out = Vec::new();
        loop {
            let page = self.queue_page(&query, now).await?;
            out.extend(page.items);
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Held actions, oldest first, with the roles they still need; with `role`, only those
    /// that still need it. [`Store::queue_items`] with one role.
    pub async fn queue(
        &self,
        role: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let query = QueueQuery {
            roles: role.map(|r| BTreeSet::from([r.to_owned()])),
            ..QueueQuery::default()
        };
        self.queue_items(&query, now).await
    }

    /// Refreshes the query planner's statistics, e.g. after a bulk load: PostgreSQL's
    /// autovacuum does this on its own a while after, but until then the queue's plans
    /// are chosen as if the tables were empty.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.write(crate::db::Lock::Rows).await?;
        let q = tx.query("ANALYZE");
        tx.execute(q).await?;
        tx.commit().await
    }

    /// Held actions per role still missing (every role), from one aggregate query.
    pub async fn queue_counts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let query = QueueQuery::default();
        let bound = Bound {
            now: micros(now),
            roles: None,
            query: &query,
        };
        let mut tx = self.pool.read().await?;
        counts(&bound, &mut tx).await
    }
}

/// Whether a matching action lies beyond `from` in `direction`.
async fn has_beyond(
    bound: &Bound<'_>,
    tx: &mut Tx,
    direction: Direction,
    from: &QueueCursor,
) -> Result<bool, StoreError> {
    Ok(!bound.rows(tx, direction, Some(from), 1).await?.is_empty())
}

async fn counts(bound: &Bound<'_>, tx: &mut Tx) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows = tx.fetch_all(bound.scope(tx, &COUNTS)).await?;
    let mut counts: BTreeMap<String, i64> = bound
        .query
        .roles
        .iter()
        .flatten()
        .map(|r| (r.clone(), 0))
        .collect();
    for row in rows {
        counts.insert(row.get("role")?, row.get("n")?);
    }
    Ok(counts)
}

/// The page's totals, counts and facets around its items: three passes over the held
/// actions in scope, whatever the page.
async fn finish(
    bound: &Bound<'_>,
    tx: &mut Tx,
    items: Vec<QueueItem>,
    next: Option<QueueCursor>,
    prev: Option<QueueCursor>,
) -> Result<QueuePage, StoreError> {
    let mut facets = QueueFacets::default();
    let (mut total, mut queue_total) = (0, 0);
    for row in tx.fetch_all(bound.filtered(tx, &TOTALS)).await? {
        queue_total += row.get::<i64>("in_scope")?;
        total += row.get::<i64>("matching")?;
        facets.tools.extend(row.get::<Option<String>>("tool_name")?);
        facets
            .reps
            .extend(row.get::<Option<String>>("on_behalf_of")?);
    }
    let counts = counts(bound, tx).await?;
    for row in tx.fetch_all(bound.scope(tx, &FACET_TAGS)).await? {
        facets.categories.insert(row.get("category")?);
        facets.subtopics.insert(row.get("subtopic")?);
    }
    Ok(QueuePage {
        items,
        total,
        queue_total,
        counts,
        next,
        prev,
        facets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The highest `$N` in `sql`, and whether every `$1..$N` appears.
    fn placeholders(sql: &str) -> (usize, bool) {
        let used: BTreeSet<usize> = sql
            .split('$')
            .skip(1)
            .filter_map(|s| {
                let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
            .collect();
        let max = used.iter().max().copied().unwrap_or(0);
        (max, used.len() == max)
    }

    #[test]
    fn each_query_binds_its_placeholders_without_gaps() {
        for (name, sql, bound) in [
            ("page forward", &PAGE_FORWARD, 11),
            ("page backward", &PAGE_BACKWARD, 11),
            ("totals", &TOTALS, 8),
            ("counts", &COUNTS, 2),
            ("facet tags", &FACET_TAGS, 2),
        ] {
            for text in [sql.sqlite, sql.postgres] {
                if std::env::var_os("QUEUE_SQL").is_some() {
                    println!("-- {name}\n{text};\n");
                }
                assert_eq!(placeholders(text), (bound, true), "{name}: {text}");
            }
        }
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let c = QueueCursor {
            created_at: DateTime::from_timestamp_micros(1_795_599_776_489_041).unwrap_or_default(),
            action_id: "act_xwn59WsxPwG6fhtdnu7Y".into(),
        };
        assert_eq!(c.to_string(), "1795599776489041_act_xwn59WsxPwG6fhtdnu7Y");
        assert_eq!(c.to_string().parse::<QueueCursor>().ok(), Some(c));
    }
}

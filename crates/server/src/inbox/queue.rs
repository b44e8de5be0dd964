//! The queue page: held actions that still need one of the reviewer's roles, oldest first,
//! with a count per role, filters (role, category, subtopic, tool, rep, age) and pages.
//!
//! Everything is one store query ([`Store::queue_page`]): the filters become its SQL, the
//! pages are keyset pages ("next" and "previous" carry a cursor, so a page is as quick deep
//! in a queue of 10,000 as at its start), and the counts and totals are SQL aggregates.
//!
//! [`Store::queue_page`]: countersign_store::Store::queue_page

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use chrono::{DateTime, Duration, Utc};
use countersign_engine::service_level::ServiceLevels;
use countersign_store::{QueueCursor, QueueItem, QueueQuery};
use serde::{Deserialize, Serialize};

use super::{PageError, Reviewer, render};
use crate::state::AppState;

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

/// The filters, from the query string; an empty value means "any".
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Filters {
    pub role: String,
    pub category: String,
    pub subtopic: String,
    pub tool: String,
    pub rep: String,
    /// Only items older than this many hours.
    pub older_than_hours: String,
    /// The page after this cursor (from a "next page" link).
    pub after: String,
    /// The page before this cursor (from a "previous page" link).
    pub before: String,
}

impl Filters {
    /// The store query for `account`'s queue with these filters.
    fn query(
        &self,
        account: &countersign_store::Account,
        now: DateTime<Utc>,
    ) -> Result<QueueQuery, PageError> {
        let given = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
        let created_before = match given(&self.older_than_hours) {
            None => None,
            Some(h) => match h.parse::<i64>() {
                Ok(h) if (0..=24 * 365 * 10).contains(&h) => Some(now - Duration::hours(h)),
                _ => {
                    return Err(unprocessable(format!(
                        "older_than_hours: `{h}` is not a number of hours"
                    )));
                }
            },
        };
        let cursor = |v: &str| given(v).map(|c| c.parse::<QueueCursor>()).transpose();
        Ok(QueueQuery {
            // An admin sees every held action; anyone else the roles they hold.
            roles: (!account.admin).then(|| account.roles.clone()),
            role: given(&self.role),
            category: given(&self.category),
            subtopic: given(&self.subtopic),
            tool: given(&self.tool),
            on_behalf_of: given(&self.rep),
            created_before,
            after: cursor(&self.after)?,
            before: cursor(&self.before)?,
            limit: PAGE_SIZE,
        })
    }

    /// This page's filters with a cursor, as a query string.
    fn link(&self, cursor: (&str, &QueueCursor)) -> String {
        let mut q = vec![(cursor.0, cursor.1.to_string())];
        for (k, v) in [
            ("role", &self.role),
            ("category", &self.category),
            ("subtopic", &self.subtopic),
            ("tool", &self.tool),
            ("rep", &self.rep),
            ("older_than_hours", &self.older_than_hours),
        ] {
            if !v.is_empty() {
                q.push((k, v.clone()));
            }
        }
        q.iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn filtered(&self) -> bool {
        [
            &self.category,
            &self.subtopic,
            &self.tool,
            &self.rep,
            &self.older_than_hours,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

/// A filter that cannot be read, answered like the store's invalid fields.
fn unprocessable(message: String) -> PageError {
    PageError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message,
    }
}

/// One row of the queue.
#[derive(Debug, Serialize)]
struct Row {
    action_id: String,
    subject: String,
    kind: String,
    tool: Option<String>,
    rep: Option<String>,
    recipient: Option<String>,
    missing_roles: Vec<String>,
    /// The missing roles the reviewer holds: marked "you" under Needs.
    my_roles: Vec<String>,
    approved_roles: Vec<String>,
    /// The reason, cut at its code spans, roles in words.
    reason: Option<Vec<minijinja::Value>>,
    categories: Vec<String>,
    age: String,
    created_at: String,
    /// When the reviewer's role (or, on the rep's list, the first missing role) must have
    /// decided: "due in 3 h", "overdue 2 h".
    due: Option<String>,
    overdue: bool,
    revision: i64,
    /// May be ticked for bulk approval: waits for the reviewer, and no protected moment.
    bulk: bool,
    /// The deal in a line: "Acme renewal · Negotiation · 84,000".
    deal: Option<String>,
}

/// "3 min", "5 h", "2 d".
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let m = (now - then).num_minutes().max(0);
    if m < 60 {
        format!("{m} min")
    } else if m < 48 * 60 {
        format!("{} h", m / 60)
    } else {
        format!("{} d", m / (24 * 60))
    }
}

/// `GET /inbox`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Query(f): Query<Filters>,
) -> Result<Html<String>, PageError> {
    let account = &reviewer.account;
    if !f.role.is_empty() && !account.admin && !account.roles.contains(&f.role) {
        return Err(PageError::forbidden(format!(
            "You do not hold the {} role, so its queue is not yours to see; you hold {}.",
            super::words(&f.role),
            super::roles_in_words(&account.roles)
        )));
    }
    let now = Utc::now();
    let queue = state.store.queue_page(&f.query(account, now)?, now).await?;
    let policy = state.policy();
    let levels = &policy.config.review;

    // Counts per role the reviewer holds, zeros included (an admin: every role with items).
    let counts: BTreeMap<String, i64> = queue.counts.clone();
    let rows: Vec<Row> = queue
        .items
        .iter()
        .map(|i| row(i, &account.roles, levels, now))
        .collect();
    // A rep's own held items: what they proposed (through their tools) that waits for
    // someone else. Not theirs to approve, but theirs to know about.
    let mine = state
        .store
        .queue_page(
            &QueueQuery {
                roles: None,
                on_behalf_of: Some(account.name.clone()),
                limit: PAGE_SIZE,
                ..QueueQuery::default()
            },
            now,
        )
        .await?;
    let mine: Vec<Row> = mine
        .items
        .iter()
        .map(|i| row(i, &BTreeSet::new(), levels, now))
        .collect();
    let facets = &queue.facets;
    render(
        "queue.html",
        minijinja::context! {
            account => account.name.clone(),
            roles => account.roles.iter().cloned().collect::<Vec<_>>(),
            csrf => reviewer.csrf(),
            may_audit => super::audit::may_see(account),
            nav => "queue",
            counts => counts,
            total => queue.queue_total,
            shown => queue.total,
            filtered => f.filtered(),
            rows => minijinja::Value::from(minijinja::value::Serde(&rows)),
            mine => minijinja::Value::from(minijinja::value::Serde(&mine)),
            f => minijinja::Value::from(minijinja::value::Serde(&f)),
            categories => &facets.categories,
            subtopics => &facets.subtopics,
            tools => &facets.tools,
            reps => &facets.reps,
            page_size => PAGE_SIZE,
            prev => queue.prev.as_ref().map(|c| f.link(("before", c))),
            next => queue.next.as_ref().map(|c| f.link(("after", c))),
        },
    )
}

fn row(i: &QueueItem, mine: &BTreeSet<String>, levels: &ServiceLevels, now: DateTime<Utc>) -> Row {
    // The reviewer's own roles first; on a list of someone else's roles, the earliest.
    let watched: Vec<&String> = match i.missing_roles.intersection(mine).collect::<Vec<_>>() {
        own if own.is_empty() => i.missing_roles.iter().collect(),
        own => own,
    };
    let due = watched
        .iter()
        .filter_map(|r| levels.due(r, i.revised_at))
        .min();
    Row {
        action_id: i.action_id.clone(),
        subject: if i.subject.is_empty() {
            "(no subject)".to_owned()
        } else {
            i.subject.clone()
        },
        kind: i.kind.clone(),
        tool: i.tool.clone(),
        rep: i.on_behalf_of.clone(),
        recipient: i.recipient.clone(),
        missing_roles: i.missing_roles.iter().cloned().collect(),
        my_roles: i.missing_roles.intersection(mine).cloned().collect(),
        approved_roles: i.approved_roles.iter().cloned().collect(),
        // The first reason for one of the reviewer's own missing roles, else the first
        // that made it stricter than the kind's base tier.
        reason: {
            let mine: BTreeSet<&String> = i.missing_roles.intersection(mine).collect();
            let causes = || i.reasons.iter().filter(|r| r.is_cause());
            causes()
                .find(|r| r.roles().iter().any(|role| mine.contains(role)))
                .or_else(|| causes().next())
        }
        .map(|r| {
            let roles: BTreeSet<String> = i
                .missing_roles
                .iter()
                .chain(&i.approved_roles)
                .cloned()
                .collect();
            super::item::reason_parts(&r.to_string(), &roles)
        }),
        categories: i
            .findings
            .iter()
            .map(|x| x.category.as_str().to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        age: age(i.created_at, now),
        created_at: i.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        due: due.map(|d| {
            if d > now {
                format!("due in {}", age(now, d))
            } else {
                format!("overdue {}", age(d, now))
            }
        }),
        overdue: due.is_some_and(|d| d <= now),
        revision: i.revision,
        bulk: !i.missing_roles.is_disjoint(mine)
            && !i.findings.iter().any(|f| f.category.is_protected()),
        deal: i.deal.as_ref().map(|name| {
            let mut line = name.clone();
            if let Some(stage) = &i.deal_stage {
                line.push_str(&format!(" · {stage}"));
            }
            if let Some(amount) = i.deal_amount {
                line.push_str(&format!(" · {}", thousands(amount)));
            }
            line
        }),
    }
}

/// An amount with thousands separators: 84000 → "84,000".
fn thousands(amount: f64) -> String {
    #[allow(clippy::cast_possible_truncation, reason = "a deal amount shown whole")]
    let whole = amount.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_engine::{Category, Reason};

    /// An item held for deal desk (a discount) and security (a security answer).
    fn held_for_two() -> QueueItem {
        let finding = |category, subtopic: &str, role: &str| Reason::Finding {
            category,
            subtopic: subtopic.to_owned(),
            evidence: vec![subtopic.to_owned()],
            roles: BTreeSet::from([role.to_owned()]),
        };
        let roles = BTreeSet::from(["deal_desk".to_owned(), "security".to_owned()]);
        QueueItem {
            action_id: "act_1".to_owned(),
            kind: "email.send".to_owned(),
            tool: None,
            on_behalf_of: None,
            recipient: None,
            subject: "Hi".to_owned(),
            revision: 1,
            required_roles: roles.clone(),
            approved_roles: BTreeSet::new(),
            missing_roles: roles,
            reasons: vec![
                finding(Category::Commercial, "discount", "deal_desk"),
                finding(Category::Objection, "security", "security"),
            ],
            findings: Vec::new(),
            created_at: Utc::now(),
            revised_at: Utc::now(),
            deal: None,
            deal_stage: None,
            deal_amount: None,
        }
    }

    #[test]
    fn why_held_names_the_reviewers_own_reason_first() {
        let item = held_for_two();
        let text = |r: &Row| {
            r.reason
                .iter()
                .flatten()
                .filter_map(|p| p.get_attr("text").ok().map(|t| t.to_string()))
                .collect::<String>()
        };
        let none = ServiceLevels::default();
        let security = row(
            &item,
            &BTreeSet::from(["security".to_owned()]),
            &none,
            Utc::now(),
        );
        assert!(
            text(&security).starts_with("objection"),
            "{}",
            text(&security)
        );
        assert_eq!(security.my_roles, ["security"]);
        let desk = row(
            &item,
            &BTreeSet::from(["deal_desk".to_owned()]),
            &none,
            Utc::now(),
        );
        assert!(text(&desk).starts_with("commercial"), "{}", text(&desk));
    }

    #[test]
    fn ages_read_in_minutes_hours_and_days() {
        let now = Utc::now();
        assert_eq!(age(now - chrono::Duration::minutes(3), now), "3 min");
        assert_eq!(age(now - chrono::Duration::hours(5), now), "5 h");
        assert_eq!(age(now - chrono::Duration::days(3), now), "3 d");
    }

    #[test]
    fn amounts_read_with_thousands_separators() {
        assert_eq!(thousands(84_000.0), "84,000");
        assert_eq!(thousands(1_250_000.4), "1,250,000");
        assert_eq!(thousands(950.0), "950");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(urlencode("deal desk&x"), "deal%20desk%26x");
    }
}

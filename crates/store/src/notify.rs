//! Telling reviewers that an action waits for them (issue 6, notifications).
//!
//! When an action enters a role's queue — it is held, or an edit adds roles or voids
//! earlier approvals — the reviewers holding that role get an e-mail, and a
//! Slack-compatible webhook gets one message, if configured. Both are outbox rows
//! (`purpose = 'notify'`) written in the transaction that held the action, so a
//! notification is never lost to a crash and never sent for a hold that rolled back; the
//! worker delivers them with the same leases, retries and parking as releases.
//!
//! What a notification carries: who proposed what for whom, the roles needed, the reasons
//! (with their short, masked evidence) and a link to the inbox. Not the draft's body: the
//! inbox shows it with its findings, behind a log-in.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use countersign_engine::action::Payload;
use countersign_engine::{Action, DecisionRecord};

use crate::StoreError;
use crate::audit::{self, AuditEvent, Event};
use crate::db::{Lock, Tx};
use crate::outbox::{Delivery, OutgoingEmail, SlackMessage};

/// Who is told when an action enters a role's queue, and how.
#[derive(Debug, Clone, Default)]
pub struct Notifications {
    /// E-mail each reviewer who holds a role the action now needs and has an address.
    pub email: bool,
    /// Post one message per action to the Slack-compatible webhook the worker knows.
    pub slack: bool,
    /// The inbox's base URL for links (`https://countersign.example.com`); without it
    /// messages name the action id only.
    pub inbox_url: Option<String>,
    /// The notification e-mail's sender (`Countersign <countersign@example.com>`); without
    /// it, the relay's configured sender.
    pub email_from: Option<String>,
}

impl Notifications {
    pub(crate) fn any(&self) -> bool {
        self.email || self.slack
    }
}

/// The action that entered a queue, as the notification describes it.
pub(crate) struct Entered<'a> {
    pub action_id: &'a str,
    pub revision: i64,
    /// The roles whose queue the action entered now.
    pub roles: &'a BTreeSet<String>,
    pub action: &'a Action,
    pub decision: &'a DecisionRecord,
    /// The reviewer whose edit put it back in the queues: they are looking at it already.
    pub editor: Option<&'a str>,
    /// What brought it back when its revision did not change (`l2`: the second lapsed
    /// approval); part of the Message-ID, so each occasion is told once.
    pub occasion: Option<&'a str>,
}

/// Queues the notifications for `entered` in the caller's transaction (which holds the
/// audit chain lock) and audits them as one `notification` event. Returns how many outbox
/// rows were written.
pub(crate) async fn entered_queue(
    tx: &mut Tx,
    options: &Notifications,
    entered: Entered<'_>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if !options.any() || entered.roles.is_empty() {
        return Ok(0);
    }
    let text = Text::of(&entered, options.inbox_url.as_deref());
    let mut emailed = Vec::new();
    if options.email {
        for (reviewer_id, name, address) in reviewers_to_tell(tx, &entered).await? {
            let email = Delivery::Email(OutgoingEmail {
                to: vec![address],
                cc: Vec::new(),
                subject: text.subject.clone(),
                body: text.body.clone(),
                from: options.email_from.clone(),
            });
            let audience = reviewer_id.to_string();
            if insert(tx, &entered, &email, &audience, now).await? {
                emailed.push(name);
            }
        }
    }
    let slack = options.slack && {
        let message = Delivery::Slack(SlackMessage {
            text: text.slack.clone(),
        });
        insert(tx, &entered, &message, "slack", now).await?
    };
    let rows = emailed.len() + usize::from(slack);
    if rows > 0 {
        audit::append(
            tx,
            Event {
                what: AuditEvent::Notification {
                    revision: entered.revision,
                    roles: entered.roles.clone(),
                    emailed,
                    slack,
                    occasion: entered.occasion.map(str::to_owned),
                },
                action_id: Some(entered.action_id),
                actor: "countersign",
            },
            now,
        )
        .await?;
    }
    Ok(rows)
}

impl crate::Store {
    /// Tells reviewers about held actions whose approvals ran out of time between `since`
    /// and `now`: their roles are back in the queues. `serve` calls it every minute with
    /// overlapping windows; an occasion already told is not told again. Returns how many
    /// notifications were written.
    pub async fn notify_lapsed_approvals(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let options = &self.options.notifications;
        if !options.any() {
            return Ok(0);
        }
        let (since, now) = (crate::micros(since), crate::micros(now));
        let find = |tx: &Tx| {
            tx.query(
                "SELECT DISTINCT ap.action_id FROM approval ap \
                 JOIN action a ON a.action_id = ap.action_id \
                 WHERE a.status = 'held' AND ap.expires_at > $1 AND ap.expires_at <= $2 \
                 ORDER BY ap.action_id",
            )
            .bind(since)
            .bind(now)
        };
        // Most minutes nothing lapsed: look before taking the write lock.
        let mut read = self.pool.read().await?;
        let q = find(&read);
        if read.fetch_all(q).await?.is_empty() {
            return Ok(0);
        }
        drop(read);
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let q = find(&tx);
        let mut written = 0;
        for row in tx.fetch_all(q).await? {
            let id: String = row.get("action_id")?;
            written += crate::approvals::notify_lapsed(&mut tx, options, &id, now).await?;
        }
        tx.commit().await?;
        Ok(written)
    }
}

/// Active reviewers with an address who hold one of the roles, except the rep the action
/// is on behalf of (they cannot countersign their own protected moment alone) and the
/// editor.
async fn reviewers_to_tell(
    tx: &mut Tx,
    entered: &Entered<'_>,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    let rows = tx
        .fetch_all(tx.query(
            "SELECT reviewer_id, name, roles, email FROM reviewer \
             WHERE email IS NOT NULL AND disabled_at IS NULL ORDER BY reviewer_id",
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.get("name")?;
        let roles: BTreeSet<String> = row.json("roles")?;
        if entered.action.on_behalf_of.as_deref() == Some(name.as_str())
            || entered.editor == Some(name.as_str())
            || roles.is_disjoint(entered.roles)
        {
            continue;
        }
        out.push((row.get("reviewer_id")?, name, row.get("email")?));
    }
    Ok(out)
}

async fn insert(
    tx: &mut Tx,
    entered: &Entered<'_>,
    delivery: &Delivery,
    audience: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    // One per action, revision, occasion and audience: a redelivery carries the same
    // Message-ID, and telling about the same occasion twice writes nothing.
    let occasion = entered.occasion.map_or(String::new(), |o| format!(".{o}"));
    let key = format!(
        "ntf.{}.r{}{occasion}.{audience}",
        entered.action_id, entered.revision
    );
    let q = tx
        .query(
            "INSERT INTO outbox \
             (action_id, purpose, kind, payload, message_id, idempotency_key, status, attempts, \
              next_attempt_at, created_at, updated_at) \
             VALUES ($1, 'notify', $2, $3, $4, $5, 'pending', 0, $6, $6, $6) \
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(entered.action_id.to_owned())
        .bind(delivery.kind().as_str())
        .bind(sqlx::types::Json(delivery.to_json()?))
        .bind(format!("<{key}@countersign.invalid>"))
        .bind(key)
        .bind(now);
    Ok(tx.execute(q).await? == 1)
}

/// The words of a notification.
struct Text {
    subject: String,
    body: String,
    slack: String,
}

impl Text {
    fn of(entered: &Entered<'_>, inbox_url: Option<&str>) -> Self {
        let roles = entered
            .roles
            .iter()
            .map(|r| r.replace('_', " "))
            .collect::<Vec<_>>()
            .join(", ");
        let action = entered.action;
        let subject = action.subject().replace(['\r', '\n'], " ");
        let what = match (&action.payload, subject.trim()) {
            (Payload::Email(e), s) => {
                let to = e.to.first().map_or("", |t| t.as_str());
                match s {
                    "" => format!("an e-mail to {to}"),
                    s => format!("an e-mail “{s}” to {to}"),
                }
            }
            (_, "") => format!("a `{}` action", action.kind.as_str()),
            (_, s) => format!("a `{}` action “{s}”", action.kind.as_str()),
        };
        let tool = action.tool.as_deref().unwrap_or("an unknown tool");
        let rep = action
            .on_behalf_of
            .as_deref()
            .map_or(String::new(), |r| format!(" on behalf of {r}"));
        let link = match inbox_url {
            Some(base) => format!(
                "{}/inbox/items/{}",
                base.trim_end_matches('/'),
                entered.action_id
            ),
            None => format!("action {}", entered.action_id),
        };
        // The base tier is where the decision started, not why it is held.
        let why: Vec<String> = entered.decision.causes().map(ToString::to_string).collect();
        let reasons: String = why.iter().map(|r| format!("  - {r}\n")).collect();
        let back = if entered.occasion.is_some() {
            " An approval it had no longer counts (its time limit ran out, or the opportunity \
             changed since), so it is back in your queue."
        } else {
            ""
        };
        let revision = if entered.revision > 1 {
            format!(" (revision {})", entered.revision)
        } else {
            String::new()
        };
        Self {
            subject: clip(
                &format!("[Countersign] Review needed ({roles}): {what}"),
                200,
            ),
            body: format!(
                "{tool} proposed {what}{rep}{revision}. It is held until these roles \
                 countersign: {roles}.{back}\n\nWhy it is held:\n{reasons}\nReview it: {link}\n\n\
                 You get this because you hold one of these roles in Countersign.\n"
            ),
            slack: format!(
                "Review needed ({roles}): {what} from {tool}{rep}{revision}. {}. {link}",
                why.first().map_or("Held for review", String::as_str)
            ),
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

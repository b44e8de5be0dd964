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
use serde_json::json;

use crate::StoreError;
use crate::audit::{self, AuditEvent, Event};
use crate::db::{Lock, Tx};
use crate::outbox::{Delivery, OutgoingEmail, SlackMessage, TeamsCard};
use crate::review_links::{self, LinkVerb};

/// Who is told when an action enters a role's queue, and how.
#[derive(Debug, Clone)]
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
    /// Post one Adaptive Card per action to the Teams incoming webhook the worker knows.
    pub teams: bool,
    /// Slack messages carry Approve and Reject buttons (the server verifies Slack's signed
    /// requests); without it, only a link to the inbox.
    pub slack_buttons: bool,
    /// The address replies to a notification go to (`approvals@cs.example.com`); each
    /// e-mail's Reply-To is it plus-tagged with a single-use token
    /// (`approvals+<token>@cs.example.com`). Without it, replies are not read.
    pub reply_to: Option<String>,
    /// How long a notification's approve and reject links (and reply address) work.
    pub link_ttl: chrono::Duration,
}

impl Default for Notifications {
    fn default() -> Self {
        Self {
            email: false,
            slack: false,
            inbox_url: None,
            email_from: None,
            teams: false,
            slack_buttons: false,
            reply_to: None,
            link_ttl: chrono::Duration::hours(72),
        }
    }
}

impl Notifications {
    pub(crate) fn any(&self) -> bool {
        self.email || self.slack || self.teams
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
    /// approval, `remind.deal_desk`); part of the Message-ID, so each occasion is told once.
    pub occasion: Option<&'a str>,
    /// A service level chasing the roles' decision (`None`: it just entered the queues).
    pub chase: Option<Chase<'a>>,
}

/// Why a service level tells people about an item again.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chase<'a> {
    /// The roles' reviewers, before `due`.
    Reminder { due: DateTime<Utc> },
    /// `to` (roles or reviewer names), after the roles let `due` pass.
    Escalation {
        due: DateTime<Utc>,
        to: &'a [String],
    },
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
        for reviewer in reviewers_to_tell(tx, &entered).await? {
            let (actions, reply_to) = act_from_email(tx, options, &entered, &reviewer, now).await?;
            let email = Delivery::Email(OutgoingEmail {
                to: vec![reviewer.address],
                cc: Vec::new(),
                subject: text.subject.clone(),
                body: format!("{}{actions}{}", text.body, text.footer),
                from: options.email_from.clone(),
                reply_to,
            });
            let audience = reviewer.reviewer_id.to_string();
            if insert(tx, &entered, &email, &audience, now).await? {
                emailed.push(reviewer.name);
            }
        }
    }
    let slack = options.slack && {
        let message = Delivery::Slack(SlackMessage {
            text: text.slack.clone(),
            blocks: Some(slack_blocks(&entered, &text, options)),
        });
        insert(tx, &entered, &message, "slack", now).await?
    };
    let teams = options.teams && {
        let card = Delivery::Teams(TeamsCard {
            summary: text.subject.clone(),
            card: teams_card(&entered, &text, options),
        });
        insert(tx, &entered, &card, "teams", now).await?
    };
    let rows = emailed.len() + usize::from(slack) + usize::from(teams);
    if rows > 0 {
        audit::append(
            tx,
            Event {
                what: AuditEvent::Notification {
                    revision: entered.revision,
                    roles: entered.roles.clone(),
                    emailed,
                    slack,
                    teams,
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

/// A reviewer a notification e-mail goes to.
struct Recipient {
    reviewer_id: i64,
    name: String,
    address: String,
    /// The roles they hold that the action needs now.
    roles: BTreeSet<String>,
}

/// Active reviewers with an address who hold one of the roles, except the rep the action
/// is on behalf of (they cannot countersign their own protected moment alone) and the
/// editor.
async fn reviewers_to_tell(
    tx: &mut Tx,
    entered: &Entered<'_>,
) -> Result<Vec<Recipient>, StoreError> {
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
        let addressed = match entered.chase {
            Some(Chase::Escalation { to, .. }) => {
                to.contains(&name) || roles.iter().any(|r| to.contains(r))
            }
            _ => !roles.is_disjoint(entered.roles),
        };
        if entered.action.on_behalf_of.as_deref() == Some(name.as_str())
            || entered.editor == Some(name.as_str())
            || !addressed
        {
            continue;
        }
        out.push(Recipient {
            reviewer_id: row.get("reviewer_id")?,
            name,
            address: row.get("email")?,
            roles: roles.intersection(entered.roles).cloned().collect(),
        });
    }
    Ok(out)
}

/// The part of one reviewer's e-mail that lets them act without logging in: single-use
/// approve and reject links (each opens a page that asks to confirm: a link scanner that
/// fetches it approves nothing) and a Reply-To address that takes "approve" or
/// "reject: why". Empty without an inbox URL; no Reply-To without `reply_to`.
async fn act_from_email(
    tx: &mut Tx,
    options: &Notifications,
    entered: &Entered<'_>,
    reviewer: &Recipient,
    now: DateTime<Utc>,
) -> Result<(String, Option<String>), StoreError> {
    let expires = now + options.link_ttl;
    let (id, revision, reviewer_id) = (entered.action_id, entered.revision, reviewer.reviewer_id);
    let mut text = String::new();
    if reviewer.roles.is_empty() {
        // Told as a manager or backup: nothing for them to approve here.
        return Ok((text, None));
    }
    if let Some(base) = &options.inbox_url {
        let base = base.trim_end_matches('/');
        let as_roles = words(&reviewer.roles);
        let approve = review_links::issue(
            tx,
            id,
            revision,
            reviewer_id,
            LinkVerb::Approve,
            expires,
            now,
        )
        .await?;
        let reject = review_links::issue(
            tx,
            id,
            revision,
            reviewer_id,
            LinkVerb::Reject,
            expires,
            now,
        )
        .await?;
        text = format!(
            "\nApprove as {as_roles}: {base}/inbox/act/{approve}\n\
             Reject (with a reason): {base}/inbox/act/{reject}\n"
        );
    }
    let reply_to = match options.reply_to.as_deref().and_then(|a| a.split_once('@')) {
        Some((local, domain)) => {
            let token =
                review_links::issue(tx, id, revision, reviewer_id, LinkVerb::Reply, expires, now)
                    .await?;
            text.push_str(
                "Or reply to this e-mail with the word \"approve\", or \"reject:\" and your reason.\n",
            );
            Some(format!("{local}+{token}@{domain}"))
        }
        None => None,
    };
    if !text.is_empty() {
        text.push_str(&format!(
            "These work once, for you only, until {} UTC; each page asks you to confirm.\n",
            expires.format("%a %d %b %H:%M")
        ));
    }
    Ok((text, reply_to))
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
    /// The e-mail up to where each reviewer's own links go.
    body: String,
    footer: String,
    slack: String,
    /// `Review needed`, `Reminder` or `Overdue`.
    headline: String,
    /// What is proposed, in words (`an e-mail “Pricing” to dana@acme.example`).
    what: String,
    roles: String,
    why: Vec<String>,
    /// The inbox page of the action, when the inbox URL is known.
    link: Option<String>,
}

/// Role names for people: `deal_desk` → `deal desk`, joined with commas.
fn words(roles: &BTreeSet<String>) -> String {
    roles
        .iter()
        .map(|r| r.replace('_', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Text {
    fn of(entered: &Entered<'_>, inbox_url: Option<&str>) -> Self {
        let roles = words(entered.roles);
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
            (Payload::OpportunityUpdate(_), _) => match action.target.opportunity_id.as_deref() {
                Some(id) => format!("a change to opportunity {id}"),
                None => "a CRM change".to_owned(),
            },
            (_, "") => format!("a `{}` action", action.kind.as_str()),
            (_, s) => format!("a `{}` action “{s}”", action.kind.as_str()),
        };
        let tool = action.tool.as_deref().unwrap_or("an unknown tool");
        let rep = action
            .on_behalf_of
            .as_deref()
            .map_or(String::new(), |r| format!(" on behalf of {r}"));
        let link = inbox_url.map(|base| {
            format!(
                "{}/inbox/items/{}",
                base.trim_end_matches('/'),
                entered.action_id
            )
        });
        let open = link
            .clone()
            .unwrap_or_else(|| format!("action {}", entered.action_id));
        // The base tier is where the decision started, not why it is held.
        let why: Vec<String> = entered.decision.causes().map(ToString::to_string).collect();
        let reasons: String = why.iter().map(|r| format!("  - {r}\n")).collect();
        let back = if entered.occasion.is_some() && entered.chase.is_none() {
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
        let when = |due: &DateTime<Utc>| due.format("%a %d %b %H:%M UTC").to_string();
        let (headline, chase) = match entered.chase {
            None => ("Review needed".to_owned(), String::new()),
            Some(Chase::Reminder { due }) => (
                "Reminder".to_owned(),
                format!(
                    "Reminder: the {roles} has until {} to decide this.\n\n",
                    when(&due)
                ),
            ),
            Some(Chase::Escalation { due, .. }) => (
                "Overdue".to_owned(),
                format!(
                    "Escalated to you: the {roles} did not decide this by {}. Please decide it, \
                     or find someone who holds the role.\n\n",
                    when(&due)
                ),
            ),
        };
        Self {
            subject: clip(&format!("[Countersign] {headline} ({roles}): {what}"), 200),
            body: format!(
                "{chase}{tool} proposed {what}{rep}{revision}. It is held until these roles \
                 countersign: {roles}.{back}\n\nWhy it is held:\n{reasons}\nReview it: {open}\n"
            ),
            footer: "\nYou get this because you hold one of these roles in Countersign.\n"
                .to_owned(),
            slack: format!(
                "{headline} ({roles}): {what} from {tool}{rep}{revision}. {}. {open}",
                why.first().map_or("Held for review", String::as_str)
            ),
            what: format!("{tool} proposed {what}{rep}{revision}"),
            headline,
            roles,
            why,
            link,
        }
    }
}

/// Slack's Block Kit: the proposal, why it is held, and Approve, Reject and Open buttons.
/// A button's value names the action and the revision shown, so a click approves what the
/// reviewer read; Slack signs the click and the server checks the reviewer as the inbox
/// does. Without `slack_buttons` (no signing secret), only Open.
fn slack_blocks(entered: &Entered<'_>, text: &Text, options: &Notifications) -> serde_json::Value {
    let mrkdwn = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let why: String = text
        .why
        .iter()
        .map(|r| format!("• {}\n", mrkdwn(r)))
        .collect();
    let value = format!("{}:{}", entered.action_id, entered.revision);
    let mut buttons = Vec::new();
    if options.slack_buttons {
        buttons.push(
            json!({"type": "button", "action_id": "approve", "style": "primary",
            "text": {"type": "plain_text", "text": "Approve"}, "value": value}),
        );
        buttons.push(
            json!({"type": "button", "action_id": "reject", "style": "danger",
            "text": {"type": "plain_text", "text": "Reject…"}, "value": value}),
        );
    }
    if let Some(link) = &text.link {
        buttons.push(json!({"type": "button", "action_id": "open",
            "text": {"type": "plain_text", "text": "Open in Countersign"}, "url": link}));
    }
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!(
            "*{} ({})*\n{}.", text.headline, mrkdwn(&text.roles), mrkdwn(&text.what))}}),
        json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*Why it is held*\n{why}")}}),
    ];
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "block_id": "countersign", "elements": buttons}));
    }
    json!(blocks)
}

/// An Adaptive Card for a Teams channel. A card posted through an incoming webhook cannot
/// call back, so it opens the item in the inbox; reviewers also answer in the channel
/// (`@Countersign approve <id>`), which Teams signs and the server checks.
fn teams_card(entered: &Entered<'_>, text: &Text, _options: &Notifications) -> serde_json::Value {
    let why: Vec<serde_json::Value> = text
        .why
        .iter()
        .map(|r| json!({"type": "TextBlock", "text": format!("- {r}"), "wrap": true}))
        .collect();
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
               "text": format!("{} ({})", text.headline, text.roles)}),
        json!({"type": "TextBlock", "wrap": true, "text": format!("{}.", text.what)}),
        json!({"type": "TextBlock", "weight": "Bolder", "text": "Why it is held"}),
    ];
    body.extend(why);
    body.push(json!({"type": "TextBlock", "wrap": true, "isSubtle": true, "text": format!(
        "To decide here, reply: @Countersign approve {id} rev {rev} — or @Countersign reject {id}: your reason",
        id = entered.action_id, rev = entered.revision)}));
    let actions: Vec<serde_json::Value> = text
        .link
        .iter()
        .map(|l| json!({"type": "Action.OpenUrl", "title": "Open in Countersign", "url": l}))
        .collect();
    json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": actions,
    })
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

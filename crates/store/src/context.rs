//! Assembling the engine's [`Context`] from the store: the recipient contact and its
//! suppression, the opportunity, the proposing tool's grant and the history counts the
//! guards cap, over the windows of the policy's guards.
//!
//! History counts e-mails the store released (allowed, or approved), whatever tool or
//! sender proposed them: one cap per buyer. An action proposed by the tool itself never
//! counts towards its own decision.

use chrono::{DateTime, Duration, Utc};
use countersign_engine::action::Payload;
use countersign_engine::context::{Contact, History, Opportunity, Suppression, ToolGrant};
use countersign_engine::knowledge::Entry;
use countersign_engine::specificity::{self, DealFacts};
use countersign_engine::{Action, ActionKind, Context, Policy};

use crate::crm;
use crate::db::Tx;
use crate::error::StoreError;

/// The records an action resolved to, stored on the action row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    pub contact_id: Option<String>,
    pub recipient_email: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
    /// An e-mail's text without its mail-merge fields, hashed (`specificity::fingerprint`).
    pub text_fingerprint: Option<String>,
}

/// Every recipient address of an e-mail (to, then cc).
fn recipients(action: &Action) -> Vec<String> {
    match &action.payload {
        Payload::Email(e) => {
            e.to.iter()
                .chain(&e.cc)
                .map(|a| a.as_str().to_owned())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Builds the context `decide` needs for `action`.
pub(crate) async fn assemble(
    tx: &mut Tx,
    action: &Action,
    tool: ToolGrant,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<(Context, Resolved), StoreError> {
    let all = recipients(action);
    let first_to = match &action.payload {
        Payload::Email(e) => e.to.first().map(|a| a.as_str().to_owned()),
        _ => None,
    };

    // The contact: by the target's id, else by the first recipient.
    let record = match (&action.target.contact_id, &first_to) {
        (Some(id), _) => crm::contact_by_id(tx, id).await?,
        (None, Some(email)) => crm::contact_by_email(tx, email).await?,
        (None, None) => None,
    };
    let mut contact = match &record {
        Some(c) => Some(Contact {
            id: Some(c.contact_id.clone()),
            name: c.name.clone(),
            email: c.email.clone(),
            title: c.title.clone(),
            crm_role: c.crm_role.clone(),
            timezone: c.timezone.clone(),
            suppression: None,
        }),
        None if action.target.contact_id.is_some() || first_to.is_some() => Some(Contact {
            id: action.target.contact_id.clone(),
            email: first_to.clone(),
            ..Contact::default()
        }),
        None => None,
    };

    // Suppression applies if any recipient, or the contact's own address, is suppressed.
    // The engine has one contact, so the strictest reason found is put on it.
    let mut addresses = all.clone();
    if let Some(e) = contact.as_ref().and_then(|c| c.email.clone()) {
        addresses.push(e);
    }
    let mut suppression: Option<Suppression> = None;
    for address in &addresses {
        if let Some(s) = crm::suppression_of(tx, address).await? {
            suppression = Some(match (suppression, s) {
                (Some(Suppression::LegalHold), _) | (_, Suppression::LegalHold) => {
                    Suppression::LegalHold
                }
                (Some(Suppression::DoNotContact), _) | (_, Suppression::DoNotContact) => {
                    Suppression::DoNotContact
                }
                _ => Suppression::OptOut,
            });
        }
    }
    if let Some(s) = suppression {
        contact.get_or_insert_with(Contact::default).suppression = Some(s);
    }

    let opportunity_record = match &action.target.opportunity_id {
        Some(id) => crm::opportunity_by_id(tx, id).await?,
        None => None,
    };
    let opportunity = match (&opportunity_record, &action.target.opportunity_id) {
        (Some(o), _) => Some(Opportunity {
            id: Some(o.opportunity_id.clone()),
            stage: o.stage.clone(),
            amount: o.amount,
            close_date: o.close_date,
            owner: o.owner.clone(),
        }),
        (None, Some(id)) => Some(Opportunity {
            id: Some(id.clone()),
            ..Opportunity::default()
        }),
        (None, None) => None,
    };

    let resolved = Resolved {
        contact_id: record
            .as_ref()
            .map(|c| c.contact_id.clone())
            .or_else(|| action.target.contact_id.clone()),
        recipient_email: first_to,
        opportunity_id: action.target.opportunity_id.clone(),
        account_id: action
            .target
            .account_id
            .clone()
            .or_else(|| record.as_ref().and_then(|c| c.account_id.clone()))
            .or_else(|| {
                opportunity_record
                    .as_ref()
                    .and_then(|o| o.account_id.clone())
            }),
        text_fingerprint: None,
    };
    let mut resolved = resolved;

    let history = if action.kind.as_str() == ActionKind::EMAIL_SEND {
        history(tx, &resolved, policy, now).await?
    } else {
        History::default()
    };

    let mut history = history;
    let (mut deal, mut knowledge) = (None, Vec::new());
    let email = matches!(
        action.kind.as_str(),
        ActionKind::EMAIL_SEND | ActionKind::EMAIL_DRAFT
    );
    if email {
        let fingerprint = specificity::fingerprint(action.body());
        if !fingerprint.is_empty() {
            // Sequences are judged on follow-ups to opportunities only (see the gate).
            if resolved.opportunity_id.is_some() {
                history.same_text_recipients =
                    same_text_recipients(tx, &fingerprint, &resolved, policy, now).await?;
            }
            resolved.text_fingerprint = Some(fingerprint);
        }
        if let Some(id) = &resolved.opportunity_id {
            deal = deal_facts(tx, id).await?;
        }
        // Only a message that makes a claim needs the knowledge to check it against. A
        // claim hidden from this raw reading is still found by the gate, unsupported: held.
        if !countersign_engine::detect::claims::extract(action.body()).is_empty() {
            knowledge = valid_knowledge(tx, now).await?;
        }
    }

    Ok((
        Context {
            contact,
            opportunity,
            sender: None,
            history,
            tool: Some(tool),
            rep: None,
            deal,
            knowledge,
        },
        resolved,
    ))
}

/// Buyers who were proposed this text in the `[sequences]` window, this one included,
/// counted no further than the policy's threshold: a text sent to thousands costs what one
/// sent to five does.
async fn same_text_recipients(
    tx: &mut Tx,
    fingerprint: &str,
    r: &Resolved,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let since = now - Duration::hours(i64::from(policy.config.sequences.window_hours));
    let q = tx
        .query(
            "SELECT count(*) AS n FROM (SELECT DISTINCT recipient_email FROM action \
               WHERE text_fingerprint = $1 AND created_at > $2 \
                 AND recipient_email IS NOT NULL AND recipient_email <> $3 \
               LIMIT $4) t",
        )
        .bind(fingerprint.to_owned())
        .bind(since)
        .bind(r.recipient_email.clone().unwrap_or_default())
        .bind(i64::from(policy.config.sequences.min_recipients));
    let others = count(tx.fetch_one(q).await?.get("n")?);
    Ok(others.saturating_add(u32::from(r.recipient_email.is_some())))
}

/// The deal an e-mail belongs to, as the generic check reads it: its names, next step and
/// what the buyer wrote last (subjects of their recent messages). The account's name is the
/// imported CRM's, never its id: the gate trusts it to name a company.
async fn deal_facts(tx: &mut Tx, opportunity_id: &str) -> Result<Option<DealFacts>, StoreError> {
    let Some(row) = tx
        .fetch_optional(
            tx.query(
                "SELECT o.name, o.next_step, o.is_closed, a.name AS account \
                 FROM opportunity o LEFT JOIN crm_account a ON a.account_id = o.account_id \
                 WHERE o.opportunity_id = $1",
            )
            .bind(opportunity_id.to_owned()),
        )
        .await?
    else {
        return Ok(None);
    };
    let closed: Option<bool> = row.get("is_closed")?;
    let buyer_wrote = tx
        .fetch_all(
            tx.query(
                "SELECT subject FROM crm_activity \
                 WHERE what_id = $1 AND direction = 'inbound' AND subject IS NOT NULL \
                 ORDER BY at DESC LIMIT 5",
            )
            .bind(opportunity_id.to_owned()),
        )
        .await?
        .iter()
        .map(|r| r.get::<String>("subject"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(DealFacts {
        open: closed != Some(true),
        account: row.get("account")?,
        opportunity: row.get("name")?,
        next_step: row.get("next_step")?,
        buyer_wrote,
    }))
}

/// The approved knowledge valid today.
async fn valid_knowledge(tx: &mut Tx, now: DateTime<Utc>) -> Result<Vec<Entry>, StoreError> {
    crate::knowledge::valid_on(tx, now.date_naive()).await
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Counts released e-mails over the policy's guard windows.
async fn history(
    tx: &mut Tx,
    r: &Resolved,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<History, StoreError> {
    let guards = &policy.config.guards;
    let mut h = History::default();
    if let Some(cap) = guards.contact_cap
        && (r.contact_id.is_some() || r.recipient_email.is_some())
    {
        let since = now - Duration::hours(i64::from(cap.window_hours));
        let q = tx
            .query(
                "SELECT count(*) AS n FROM action \
                 WHERE kind = 'email.send' AND released_at > $1 \
                   AND (contact_id = $2 OR recipient_email = $3)",
            )
            .bind(since)
            .bind(r.contact_id.clone())
            .bind(r.recipient_email.clone());
        h.emails_to_contact = count(tx.fetch_one(q).await?.get("n")?);
    }
    if let (Some(cap), Some(account)) = (guards.account_cap, &r.account_id) {
        let since = now - Duration::hours(i64::from(cap.window_hours));
        let q = tx
            .query(
                "SELECT count(*) AS n FROM action \
                 WHERE kind = 'email.send' AND released_at > $1 AND account_id = $2",
            )
            .bind(since)
            .bind(account.clone());
        h.emails_to_account = count(tx.fetch_one(q).await?.get("n")?);
    }
    if let (Some(cap), Some(opportunity)) = (guards.automated_followups, &r.opportunity_id) {
        let since = now - Duration::days(i64::from(cap.window_days));
        // Automated = released without a human's approval.
        let q = tx
            .query(
                "SELECT count(*) AS n FROM action \
                 WHERE kind = 'email.send' AND status = 'allowed' AND released_at > $1 \
                   AND opportunity_id = $2",
            )
            .bind(since)
            .bind(opportunity.clone());
        h.automated_followups = count(tx.fetch_one(q).await?.get("n")?);
    }
    Ok(h)
}

//! What the store knows about buyers: contacts, opportunities and suppressions. These feed
//! the engine's [`Context`](countersign_engine::Context) (titles, time zones, suppression)
//! and the approvals (an opportunity's `version`).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use countersign_engine::EmailAddress;
use countersign_engine::context::Suppression;
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::db::{Lock, Row, Tx};
use crate::error::StoreError;
use crate::{Store, micros};

/// A contact as the CRM has it. In an upsert, `None` fields keep their stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactRecord {
    pub contact_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub crm_role: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    pub account_id: Option<String>,
}

/// An opportunity change from the CRM. `None` fields keep their stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpportunityUpsert {
    pub opportunity_id: String,
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
    pub owner: Option<String>,
}

/// An opportunity as stored, with its version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpportunityRecord {
    pub opportunity_id: String,
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
    pub owner: Option<String>,
    /// Bumped by every change of stage, amount, close date or owner.
    pub version: i64,
}

pub(crate) fn contact_from(row: &Row) -> Result<ContactRecord, StoreError> {
    Ok(ContactRecord {
        contact_id: row.get("contact_id")?,
        email: row.get("email")?,
        name: row.get("name")?,
        title: row.get("title")?,
        crm_role: row.get("crm_role")?,
        timezone: row.get("timezone")?,
        account_id: row.get("account_id")?,
    })
}

pub(crate) fn opportunity_from(row: &Row) -> Result<OpportunityRecord, StoreError> {
    Ok(OpportunityRecord {
        opportunity_id: row.get("opportunity_id")?,
        account_id: row.get("account_id")?,
        name: row.get("name")?,
        stage: row.get("stage")?,
        amount: row.get("amount")?,
        close_date: row.get("close_date")?,
        owner: row.get("owner")?,
        version: row.get("version")?,
    })
}

pub(crate) async fn contact_by_id(
    tx: &mut Tx,
    id: &str,
) -> Result<Option<ContactRecord>, StoreError> {
    contact_where(
        tx,
        "SELECT contact_id, email, name, title, crm_role, timezone, account_id FROM contact WHERE contact_id = $1",
        id,
    )
    .await
}

pub(crate) async fn contact_by_email(
    tx: &mut Tx,
    email: &str,
) -> Result<Option<ContactRecord>, StoreError> {
    contact_where(
        tx,
        "SELECT contact_id, email, name, title, crm_role, timezone, account_id FROM contact WHERE email = $1",
        email,
    )
    .await
}

/// The one contact `sql` selects with `value` as its parameter.
async fn contact_where(
    tx: &mut Tx,
    sql: &'static str,
    value: &str,
) -> Result<Option<ContactRecord>, StoreError> {
    let q = tx.query(sql).bind(value.to_owned());
    tx.fetch_optional(q)
        .await?
        .as_ref()
        .map(contact_from)
        .transpose()
}

pub(crate) async fn opportunity_by_id(
    tx: &mut Tx,
    id: &str,
) -> Result<Option<OpportunityRecord>, StoreError> {
    let q = tx
        .query("SELECT opportunity_id, account_id, name, stage, amount, close_date, owner, version FROM opportunity WHERE opportunity_id = $1")
        .bind(id.to_owned());
    tx.fetch_optional(q)
        .await?
        .as_ref()
        .map(opportunity_from)
        .transpose()
}

/// The suppression of an address, if any.
pub(crate) async fn suppression_of(
    tx: &mut Tx,
    email: &str,
) -> Result<Option<Suppression>, StoreError> {
    let q = tx
        .query("SELECT reason FROM suppression WHERE email = $1")
        .bind(email.to_ascii_lowercase());
    match tx.fetch_optional(q).await? {
        None => Ok(None),
        Some(row) => parse_suppression(&row.get::<String>("reason")?)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt("unknown suppression reason".into())),
    }
}

/// `opt_out`, `do_not_contact` or `legal_hold`.
pub(crate) fn parse_suppression(s: &str) -> Option<Suppression> {
    match s {
        "opt_out" => Some(Suppression::OptOut),
        "do_not_contact" => Some(Suppression::DoNotContact),
        "legal_hold" => Some(Suppression::LegalHold),
        _ => None,
    }
}

fn suppression_str(s: Suppression) -> &'static str {
    match s {
        Suppression::OptOut => "opt_out",
        Suppression::DoNotContact => "do_not_contact",
        Suppression::LegalHold => "legal_hold",
    }
}

fn required_id(field: &str, id: &str) -> Result<(), StoreError> {
    if id.trim().is_empty() || id.len() > 200 {
        return Err(StoreError::invalid(field, "must be 1 to 200 characters"));
    }
    Ok(())
}

impl Store {
    /// Creates or updates a contact; fields left `None` keep their stored value.
    pub async fn upsert_contact(
        &self,
        contact: &ContactRecord,
        now: DateTime<Utc>,
    ) -> Result<ContactRecord, StoreError> {
        let now = micros(now);
        required_id("contact_id", &contact.contact_id)?;
        let email = contact
            .email
            .as_deref()
            .map(|e| EmailAddress::parse("email", e).map(|a| a.as_str().to_owned()))
            .transpose()
            .map_err(|e| StoreError::invalid(e.field, e.problem))?;
        if let Some(tz) = &contact.timezone {
            tz.parse::<Tz>().map_err(|_| {
                StoreError::invalid(
                    "timezone",
                    format!("`{tz}` is not an IANA time zone (e.g. `Europe/Berlin`)"),
                )
            })?;
        }
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let q = tx
            .query(
                "INSERT INTO contact \
                 (contact_id, email, name, title, crm_role, timezone, account_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (contact_id) DO UPDATE SET \
                   email = COALESCE(excluded.email, contact.email), \
                   name = COALESCE(excluded.name, contact.name), \
                   title = COALESCE(excluded.title, contact.title), \
                   crm_role = COALESCE(excluded.crm_role, contact.crm_role), \
                   timezone = COALESCE(excluded.timezone, contact.timezone), \
                   account_id = COALESCE(excluded.account_id, contact.account_id), \
                   updated_at = excluded.updated_at \
                 RETURNING contact_id, email, name, title, crm_role, timezone, account_id",
            )
            .bind(contact.contact_id.clone())
            .bind(email)
            .bind(contact.name.clone())
            .bind(contact.title.clone())
            .bind(contact.crm_role.clone())
            .bind(contact.timezone.clone())
            .bind(contact.account_id.clone())
            .bind(now);
        let row = match tx.fetch_one(q).await {
            Err(e) if e.is_unique_violation() => {
                return Err(StoreError::Refused(format!(
                    "email: `{}` belongs to another contact",
                    contact.email.as_deref().unwrap_or_default()
                )));
            }
            other => other?,
        };
        let stored = contact_from(&row)?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Creates or updates an opportunity. A change of stage, amount, close date or owner
    /// bumps its version, which expires approvals given on the old one.
    pub async fn upsert_opportunity(
        &self,
        o: &OpportunityUpsert,
        now: DateTime<Utc>,
    ) -> Result<OpportunityRecord, StoreError> {
        let now = micros(now);
        required_id("opportunity_id", &o.opportunity_id)?;
        if let Some(a) = o.amount
            && (!a.is_finite() || a < 0.0)
        {
            return Err(StoreError::invalid(
                "amount",
                format!("`{a}` is not a non-negative amount"),
            ));
        }
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let old = opportunity_by_id(&mut tx, &o.opportunity_id).await?;
        let merged = match &old {
            None => OpportunityRecord {
                opportunity_id: o.opportunity_id.clone(),
                account_id: o.account_id.clone(),
                name: o.name.clone(),
                stage: o.stage.clone(),
                amount: o.amount,
                close_date: o.close_date,
                owner: o.owner.clone(),
                version: 1,
            },
            Some(old) => {
                let mut m = OpportunityRecord {
                    opportunity_id: old.opportunity_id.clone(),
                    account_id: o.account_id.clone().or_else(|| old.account_id.clone()),
                    name: o.name.clone().or_else(|| old.name.clone()),
                    stage: o.stage.clone().or_else(|| old.stage.clone()),
                    amount: o.amount.or(old.amount),
                    close_date: o.close_date.or(old.close_date),
                    owner: o.owner.clone().or_else(|| old.owner.clone()),
                    version: old.version,
                };
                let changed = m.stage != old.stage
                    || m.amount != old.amount
                    || m.close_date != old.close_date
                    || m.owner != old.owner;
                if changed {
                    m.version += 1;
                }
                m
            }
        };
        let q = tx
            .query(
                "INSERT INTO opportunity \
                 (opportunity_id, account_id, name, stage, amount, close_date, owner, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (opportunity_id) DO UPDATE SET \
                   account_id = excluded.account_id, name = excluded.name, stage = excluded.stage, \
                   amount = excluded.amount, close_date = excluded.close_date, owner = excluded.owner, \
                   version = excluded.version, updated_at = excluded.updated_at",
            )
            .bind(merged.opportunity_id.clone())
            .bind(merged.account_id.clone())
            .bind(merged.name.clone())
            .bind(merged.stage.clone())
            .bind(merged.amount)
            .bind(merged.close_date)
            .bind(merged.owner.clone())
            .bind(merged.version)
            .bind(now);
        tx.execute(q).await?;
        // Approvals given on the old version stop counting: their roles are back in the
        // queues of the held actions on this opportunity.
        if old.is_some_and(|o| o.version != merged.version) && self.options.notifications.any() {
            let held = tx
                .fetch_all(
                    tx.query(
                        "SELECT action_id FROM action WHERE status = 'held' AND opportunity_id = $1 \
                         ORDER BY action_id",
                    )
                    .bind(merged.opportunity_id.clone()),
                )
                .await?;
            for row in held {
                let id: String = row.get("action_id")?;
                crate::approvals::notify_lapsed(&mut tx, &self.options.notifications, &id, now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(merged)
    }

    /// Suppresses an address (or changes why it is suppressed). Audited: it changes
    /// decisions.
    pub async fn suppress(
        &self,
        email: &str,
        reason: Suppression,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = micros(now);
        let email = EmailAddress::parse("email", email)
            .map_err(|e| StoreError::invalid(e.field, e.problem))?;
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let q = tx
            .query(
                "INSERT INTO suppression (email, reason, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (email) DO UPDATE SET reason = excluded.reason",
            )
            .bind(email.as_str().to_owned())
            .bind(suppression_str(reason))
            .bind(now);
        tx.execute(q).await?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Suppression {
                    email: email.as_str().to_owned(),
                    reason: suppression_str(reason).to_owned(),
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

//! What a CRM import stores (issue 13): the records an export's rows become
//! (`countersign-import` reads them), upserted by the CRM's own ids in batches.
//!
//! Each batch is one statement per kind: the rows travel as one JSON array
//! (`json_each` on SQLite, `jsonb_to_recordset` on PostgreSQL), so a million activities are
//! a few thousand statements, not a million. An upsert writes only what differs
//! (`ON CONFLICT … DO UPDATE … WHERE` a column changed), so the rows it reports are the
//! changes, and importing the same files again reports none. History and activities are
//! appended once (`DO NOTHING`). An opportunity's version moves only when its stage,
//! amount, close date or owner does, as with any CRM update: approvals given on the old
//! values stop counting.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::audit::{self, AuditEvent, Event};
use crate::db::{Backend, Lock};
use crate::{Store, StoreError, micros};

/// One CRM record, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    User(User),
    Account(Account),
    Contact(Contact),
    Opportunity(Opportunity),
    StageChange(StageChange),
    Activity(Activity),
}

/// A CRM user (an opportunity's owner).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Their name in Countersign (see `countersign_import::rep_name`).
    pub rep: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub account_id: String,
    pub name: Option<String>,
    pub domain: Option<String>,
    /// The owner as a rep name when the users are known, else the CRM's user id.
    pub owner: Option<String>,
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub contact_id: String,
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opportunity {
    pub opportunity_id: String,
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
    /// The owner as a rep name when the users are known, else the CRM's user id (or, in
    /// a report, the owner's name).
    pub owner: Option<String>,
    pub next_step: Option<String>,
    pub last_activity: Option<NaiveDate>,
    pub next_activity: Option<NaiveDate>,
    pub is_closed: Option<bool>,
    pub is_won: Option<bool>,
    pub probability: Option<f64>,
    pub forecast_category: Option<String>,
    pub pipeline: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub modified_at: Option<DateTime<Utc>>,
    pub attributes: Map<String, Value>,
}

/// One row of an opportunity's history: its stage, amount and close date from `at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageChange {
    /// The CRM's id for the row, or one derived from its content.
    pub history_id: String,
    pub opportunity_id: String,
    pub at: DateTime<Utc>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
}

/// A task, event, call, meeting, e-mail or note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub activity_id: String,
    /// `task`, `event`, `email`, `call`, `meeting`, `note`.
    pub kind: String,
    /// The opportunity or account it is about (Salesforce `WhatId`).
    pub what_id: Option<String>,
    /// The contact it is with (Salesforce `WhoId`).
    pub who_id: Option<String>,
    pub at: Option<DateTime<Utc>>,
    pub subject: Option<String>,
    pub status: Option<String>,
    /// `inbound` (the buyer wrote) or `outbound`, when the export says.
    pub direction: Option<String>,
}

/// What an import changed, per kind: rows read, and rows written (new or different).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub read: u64,
    pub written: u64,
}

impl Store {
    /// Upserts one batch of records of one kind (at most a few thousand) in one
    /// transaction; returns how many were new or different.
    pub async fn import_batch(
        &self,
        records: &[Record],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let Some(first) = records.first() else {
            return Ok(0);
        };
        let now = micros(now);
        let rows: Vec<Value> = records.iter().map(Record::row).collect();
        if records
            .iter()
            .any(|r| std::mem::discriminant(r) != std::mem::discriminant(first))
        {
            return Err(StoreError::invalid(
                "records",
                "a batch holds records of one kind",
            ));
        }
        let mut tx = self.pool.write(Lock::Rows).await?;
        let sql = match (first, tx.backend()) {
            (Record::User(_), Backend::Sqlite) => sql::USER_SQLITE,
            (Record::User(_), Backend::Postgres) => sql::USER_POSTGRES,
            (Record::Account(_), Backend::Sqlite) => sql::ACCOUNT_SQLITE,
            (Record::Account(_), Backend::Postgres) => sql::ACCOUNT_POSTGRES,
            (Record::Contact(_), Backend::Sqlite) => sql::CONTACT_SQLITE,
            (Record::Contact(_), Backend::Postgres) => sql::CONTACT_POSTGRES,
            (Record::Opportunity(_), Backend::Sqlite) => sql::OPPORTUNITY_SQLITE,
            (Record::Opportunity(_), Backend::Postgres) => sql::OPPORTUNITY_POSTGRES,
            (Record::StageChange(_), Backend::Sqlite) => sql::HISTORY_SQLITE,
            (Record::StageChange(_), Backend::Postgres) => sql::HISTORY_POSTGRES,
            (Record::Activity(_), Backend::Sqlite) => sql::ACTIVITY_SQLITE,
            (Record::Activity(_), Backend::Postgres) => sql::ACTIVITY_POSTGRES,
        };
        let q = tx.query(sql).bind(Value::Array(rows).to_string()).bind(now);
        let written = tx.execute(q).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Audits a finished import: where from, what was read and changed, and how many rows
    /// were refused.
    pub async fn audit_import(
        &self,
        source: &str,
        counts: &std::collections::BTreeMap<String, ImportCounts>,
        problems: u64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::CrmImport {
                    source: source.to_owned(),
                    counts: counts
                        .iter()
                        .map(|(k, c)| (k.clone(), json!({"read": c.read, "written": c.written})))
                        .collect(),
                    problems,
                },
                action_id: None,
                actor,
            },
            micros(now),
        )
        .await?;
        tx.commit().await
    }
}

impl Record {
    /// The record as one JSON object of its columns, as the batch statements read it.
    fn row(&self) -> Value {
        let date = |d: &Option<NaiveDate>| d.map(|d| d.to_string());
        let instant = |t: &Option<DateTime<Utc>>| t.map(|t| crate::audit::format_at(micros(t)));
        match self {
            Self::User(u) => {
                json!({"id": u.user_id, "name": u.name, "email": u.email, "rep": u.rep})
            }
            Self::Account(a) => json!({"id": a.account_id, "name": a.name, "domain": a.domain,
                "owner": a.owner, "attributes": a.attributes}),
            Self::Contact(c) => json!({"id": c.contact_id, "account": c.account_id, "name": c.name,
                "email": c.email.as_ref().map(|e| e.to_ascii_lowercase()), "title": c.title,
                "attributes": c.attributes}),
            Self::Opportunity(o) => json!({"id": o.opportunity_id, "account": o.account_id,
                "name": o.name, "stage": o.stage, "amount": o.amount,
                "close_date": date(&o.close_date), "owner": o.owner, "next_step": o.next_step,
                "last_activity": date(&o.last_activity), "next_activity": date(&o.next_activity),
                "is_closed": o.is_closed, "is_won": o.is_won, "probability": o.probability,
                "forecast_category": o.forecast_category, "pipeline": o.pipeline,
                "created": instant(&o.created_at), "modified": instant(&o.modified_at),
                "attributes": o.attributes}),
            Self::StageChange(h) => json!({"id": h.history_id, "opportunity": h.opportunity_id,
                "at": crate::audit::format_at(micros(h.at)), "stage": h.stage, "amount": h.amount,
                "close_date": date(&h.close_date)}),
            Self::Activity(a) => json!({"id": a.activity_id, "kind": a.kind, "what": a.what_id,
                "who": a.who_id, "at": instant(&a.at), "subject": a.subject, "status": a.status,
                "direction": a.direction}),
        }
    }
}

/// The batch statements: `$1` the rows as a JSON array, `$2` now.
mod sql {
    pub const USER_SQLITE: &str = "INSERT INTO crm_user (user_id, name, email, rep, updated_at) \
        SELECT value ->> 'id', value ->> 'name', value ->> 'email', value ->> 'rep', $2 \
        FROM json_each($1) WHERE true \
        ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, email = excluded.email, \
          rep = excluded.rep, updated_at = excluded.updated_at \
        WHERE crm_user.name IS NOT excluded.name OR crm_user.email IS NOT excluded.email \
          OR crm_user.rep IS NOT excluded.rep";
    pub const USER_POSTGRES: &str = "INSERT INTO crm_user (user_id, name, email, rep, updated_at) \
        SELECT r.id, r.name, r.email, r.rep, $2 \
        FROM jsonb_to_recordset($1::jsonb) AS r(id text, name text, email text, rep text) \
        ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, email = excluded.email, \
          rep = excluded.rep, updated_at = excluded.updated_at \
        WHERE crm_user.name IS DISTINCT FROM excluded.name \
          OR crm_user.email IS DISTINCT FROM excluded.email OR crm_user.rep IS DISTINCT FROM excluded.rep";

    pub const ACCOUNT_SQLITE: &str = "INSERT INTO crm_account \
          (account_id, name, domain, owner, attributes, created_at, updated_at) \
        SELECT value ->> 'id', value ->> 'name', value ->> 'domain', value ->> 'owner', \
          json(value -> 'attributes'), $2, $2 \
        FROM json_each($1) WHERE true \
        ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, domain = excluded.domain, \
          owner = excluded.owner, attributes = excluded.attributes, updated_at = excluded.updated_at \
        WHERE crm_account.name IS NOT excluded.name OR crm_account.domain IS NOT excluded.domain \
          OR crm_account.owner IS NOT excluded.owner OR crm_account.attributes IS NOT excluded.attributes";
    pub const ACCOUNT_POSTGRES: &str = "INSERT INTO crm_account \
          (account_id, name, domain, owner, attributes, created_at, updated_at) \
        SELECT r.id, r.name, r.domain, r.owner, r.attributes, $2, $2 \
        FROM jsonb_to_recordset($1::jsonb) AS r(id text, name text, domain text, owner text, attributes jsonb) \
        ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, domain = excluded.domain, \
          owner = excluded.owner, attributes = excluded.attributes, updated_at = excluded.updated_at \
        WHERE crm_account.name IS DISTINCT FROM excluded.name \
          OR crm_account.domain IS DISTINCT FROM excluded.domain \
          OR crm_account.owner IS DISTINCT FROM excluded.owner \
          OR crm_account.attributes IS DISTINCT FROM excluded.attributes";

    // Contacts keep what Countersign knows and the export does not (time zone, CRM role):
    // only the export's columns are written.
    pub const CONTACT_SQLITE: &str = "INSERT INTO contact \
          (contact_id, account_id, name, email, title, attributes, created_at, updated_at) \
        SELECT value ->> 'id', value ->> 'account', value ->> 'name', value ->> 'email', \
          value ->> 'title', json(value -> 'attributes'), $2, $2 \
        FROM json_each($1) WHERE true \
        ON CONFLICT (contact_id) DO UPDATE SET account_id = excluded.account_id, \
          name = excluded.name, email = excluded.email, title = excluded.title, \
          attributes = excluded.attributes, updated_at = excluded.updated_at \
        WHERE contact.account_id IS NOT excluded.account_id OR contact.name IS NOT excluded.name \
          OR contact.email IS NOT excluded.email OR contact.title IS NOT excluded.title \
          OR contact.attributes IS NOT excluded.attributes";
    pub const CONTACT_POSTGRES: &str = "INSERT INTO contact \
          (contact_id, account_id, name, email, title, attributes, created_at, updated_at) \
        SELECT r.id, r.account, r.name, r.email, r.title, r.attributes, $2, $2 \
        FROM jsonb_to_recordset($1::jsonb) \
          AS r(id text, account text, name text, email text, title text, attributes jsonb) \
        ON CONFLICT (contact_id) DO UPDATE SET account_id = excluded.account_id, \
          name = excluded.name, email = excluded.email, title = excluded.title, \
          attributes = excluded.attributes, updated_at = excluded.updated_at \
        WHERE contact.account_id IS DISTINCT FROM excluded.account_id \
          OR contact.name IS DISTINCT FROM excluded.name \
          OR contact.email IS DISTINCT FROM excluded.email \
          OR contact.title IS DISTINCT FROM excluded.title \
          OR contact.attributes IS DISTINCT FROM excluded.attributes";

    pub const OPPORTUNITY_SQLITE: &str = "INSERT INTO opportunity \
          (opportunity_id, account_id, name, stage, amount, close_date, owner, next_step, \
           last_activity, next_activity, is_closed, is_won, probability, forecast_category, \
           pipeline, crm_created_at, crm_modified_at, attributes, version, created_at, updated_at) \
        SELECT value ->> 'id', value ->> 'account', value ->> 'name', value ->> 'stage', \
          value ->> 'amount', value ->> 'close_date', value ->> 'owner', value ->> 'next_step', \
          value ->> 'last_activity', value ->> 'next_activity', value ->> 'is_closed', \
          value ->> 'is_won', value ->> 'probability', value ->> 'forecast_category', \
          value ->> 'pipeline', value ->> 'created', value ->> 'modified', \
          json(value -> 'attributes'), 1, $2, $2 \
        FROM json_each($1) WHERE true \
        ON CONFLICT (opportunity_id) DO UPDATE SET \
          version = opportunity.version + (opportunity.stage IS NOT excluded.stage \
            OR opportunity.amount IS NOT excluded.amount \
            OR opportunity.close_date IS NOT excluded.close_date \
            OR opportunity.owner IS NOT excluded.owner), \
          account_id = excluded.account_id, name = excluded.name, stage = excluded.stage, \
          amount = excluded.amount, close_date = excluded.close_date, owner = excluded.owner, \
          next_step = excluded.next_step, last_activity = excluded.last_activity, \
          next_activity = excluded.next_activity, is_closed = excluded.is_closed, \
          is_won = excluded.is_won, probability = excluded.probability, \
          forecast_category = excluded.forecast_category, pipeline = excluded.pipeline, \
          crm_created_at = excluded.crm_created_at, crm_modified_at = excluded.crm_modified_at, \
          attributes = excluded.attributes, updated_at = excluded.updated_at \
        WHERE opportunity.account_id IS NOT excluded.account_id \
          OR opportunity.name IS NOT excluded.name OR opportunity.stage IS NOT excluded.stage \
          OR opportunity.amount IS NOT excluded.amount \
          OR opportunity.close_date IS NOT excluded.close_date \
          OR opportunity.owner IS NOT excluded.owner \
          OR opportunity.next_step IS NOT excluded.next_step \
          OR opportunity.last_activity IS NOT excluded.last_activity \
          OR opportunity.next_activity IS NOT excluded.next_activity \
          OR opportunity.is_closed IS NOT excluded.is_closed \
          OR opportunity.is_won IS NOT excluded.is_won \
          OR opportunity.probability IS NOT excluded.probability \
          OR opportunity.forecast_category IS NOT excluded.forecast_category \
          OR opportunity.pipeline IS NOT excluded.pipeline \
          OR opportunity.crm_created_at IS NOT excluded.crm_created_at \
          OR opportunity.crm_modified_at IS NOT excluded.crm_modified_at \
          OR opportunity.attributes IS NOT excluded.attributes";
    pub const OPPORTUNITY_POSTGRES: &str = "INSERT INTO opportunity \
          (opportunity_id, account_id, name, stage, amount, close_date, owner, next_step, \
           last_activity, next_activity, is_closed, is_won, probability, forecast_category, \
           pipeline, crm_created_at, crm_modified_at, attributes, version, created_at, updated_at) \
        SELECT r.id, r.account, r.name, r.stage, r.amount, r.close_date, r.owner, r.next_step, \
          r.last_activity, r.next_activity, r.is_closed, r.is_won, r.probability, \
          r.forecast_category, r.pipeline, r.created, r.modified, r.attributes, 1, $2, $2 \
        FROM jsonb_to_recordset($1::jsonb) AS r(id text, account text, name text, stage text, \
          amount double precision, close_date date, owner text, next_step text, \
          last_activity date, next_activity date, is_closed boolean, is_won boolean, \
          probability double precision, forecast_category text, pipeline text, \
          created timestamptz, modified timestamptz, attributes jsonb) \
        ON CONFLICT (opportunity_id) DO UPDATE SET \
          version = opportunity.version + CASE WHEN opportunity.stage IS DISTINCT FROM excluded.stage \
            OR opportunity.amount IS DISTINCT FROM excluded.amount \
            OR opportunity.close_date IS DISTINCT FROM excluded.close_date \
            OR opportunity.owner IS DISTINCT FROM excluded.owner THEN 1 ELSE 0 END, \
          account_id = excluded.account_id, name = excluded.name, stage = excluded.stage, \
          amount = excluded.amount, close_date = excluded.close_date, owner = excluded.owner, \
          next_step = excluded.next_step, last_activity = excluded.last_activity, \
          next_activity = excluded.next_activity, is_closed = excluded.is_closed, \
          is_won = excluded.is_won, probability = excluded.probability, \
          forecast_category = excluded.forecast_category, pipeline = excluded.pipeline, \
          crm_created_at = excluded.crm_created_at, crm_modified_at = excluded.crm_modified_at, \
          attributes = excluded.attributes, updated_at = excluded.updated_at \
        WHERE (opportunity.account_id, opportunity.name, opportunity.stage, opportunity.amount, \
            opportunity.close_date, opportunity.owner, opportunity.next_step, \
            opportunity.last_activity, opportunity.next_activity, opportunity.is_closed, \
            opportunity.is_won, opportunity.probability, opportunity.forecast_category, \
            opportunity.pipeline, opportunity.crm_created_at, opportunity.crm_modified_at, \
            opportunity.attributes) IS DISTINCT FROM (excluded.account_id, excluded.name, \
            excluded.stage, excluded.amount, excluded.close_date, excluded.owner, \
            excluded.next_step, excluded.last_activity, excluded.next_activity, \
            excluded.is_closed, excluded.is_won, excluded.probability, \
            excluded.forecast_category, excluded.pipeline, excluded.crm_created_at, \
            excluded.crm_modified_at, excluded.attributes)";

    pub const HISTORY_SQLITE: &str = "INSERT INTO opportunity_history \
          (history_id, opportunity_id, at, stage, amount, close_date) \
        SELECT value ->> 'id', value ->> 'opportunity', value ->> 'at', value ->> 'stage', \
          value ->> 'amount', value ->> 'close_date' \
        FROM json_each($1) WHERE $2 IS NOT NULL \
        ON CONFLICT (history_id) DO NOTHING";
    pub const HISTORY_POSTGRES: &str = "INSERT INTO opportunity_history \
          (history_id, opportunity_id, at, stage, amount, close_date) \
        SELECT r.id, r.opportunity, r.at, r.stage, r.amount, r.close_date \
        FROM jsonb_to_recordset($1::jsonb) AS r(id text, opportunity text, at timestamptz, \
          stage text, amount double precision, close_date date) WHERE $2::timestamptz IS NOT NULL \
        ON CONFLICT (history_id) DO NOTHING";

    pub const ACTIVITY_SQLITE: &str = "INSERT INTO crm_activity \
          (activity_id, kind, what_id, who_id, at, subject, status, direction) \
        SELECT value ->> 'id', value ->> 'kind', value ->> 'what', value ->> 'who', \
          value ->> 'at', value ->> 'subject', value ->> 'status', value ->> 'direction' \
        FROM json_each($1) WHERE $2 IS NOT NULL \
        ON CONFLICT (activity_id) DO NOTHING";
    pub const ACTIVITY_POSTGRES: &str = "INSERT INTO crm_activity \
          (activity_id, kind, what_id, who_id, at, subject, status, direction) \
        SELECT r.id, r.kind, r.what, r.who, r.at, r.subject, r.status, r.direction \
        FROM jsonb_to_recordset($1::jsonb) AS r(id text, kind text, what text, who text, \
          at timestamptz, subject text, status text, direction text) \
          WHERE $2::timestamptz IS NOT NULL \
        ON CONFLICT (activity_id) DO NOTHING";
}

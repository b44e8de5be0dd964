//! Approved knowledge (issue 13): the answers sellers may give, as Markdown files with front
//! matter (`countersign knowledge add`). Stored whole, so what `show` returns is the file
//! that was approved; a changed file is a new revision, audited with its hash.

use chrono::{DateTime, Utc};
use countersign_engine::knowledge::Entry;
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::canonical::sha256_hex;
use crate::db::{Lock, Row};
use crate::{Store, StoreError, micros};

/// An entry as stored: what the file says, and who last changed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEntry {
    pub entry: Entry,
    pub revision: i64,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    /// The file as given.
    #[serde(skip)]
    pub source_text: String,
}

/// What `put_knowledge` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KnowledgeWrite {
    pub revision: i64,
    /// False when the stored file was already this one.
    pub changed: bool,
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT entry_id, title, topic, owner, approved_by, valid_until, body, source_text, \
             revision, updated_by, updated_at FROM knowledge_entry ",
            $rest
        )
    };
}

fn stored(row: &Row) -> Result<StoredEntry, StoreError> {
    Ok(StoredEntry {
        entry: Entry {
            id: row.get("entry_id")?,
            title: row.get("title")?,
            topic: row.get("topic")?,
            owner: row.get("owner")?,
            approved_by: row.get("approved_by")?,
            valid_until: row.get("valid_until")?,
            body: row.get("body")?,
        },
        revision: row.get("revision")?,
        updated_by: row.get("updated_by")?,
        updated_at: row.get("updated_at")?,
        source_text: row.get("source_text")?,
    })
}

/// The entries valid on `today`, for the gate (in the proposal's transaction).
pub(crate) async fn valid_on(
    tx: &mut crate::db::Tx,
    today: chrono::NaiveDate,
) -> Result<Vec<Entry>, StoreError> {
    tx.fetch_all(
        tx.query(select!("WHERE valid_until >= $1 ORDER BY entry_id"))
            .bind(today),
    )
    .await?
    .iter()
    .map(|r| stored(r).map(|s| s.entry))
    .collect()
}

impl Store {
    /// Adds `entry` (parsed from `source_text`) or replaces the stored one of its id. The
    /// same text again changes nothing and audits nothing.
    pub async fn put_knowledge(
        &self,
        entry: &Entry,
        source_text: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<KnowledgeWrite, StoreError> {
        let now = micros(now);
        let sha = sha256_hex(source_text.as_bytes());
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let current = tx
            .fetch_optional(
                tx.query("SELECT revision, source_sha256 FROM knowledge_entry WHERE entry_id = $1")
                    .bind(entry.id.clone()),
            )
            .await?;
        let revision = match &current {
            Some(row) => {
                let revision: i64 = row.get("revision")?;
                if row.get::<String>("source_sha256")? == sha {
                    return Ok(KnowledgeWrite {
                        revision,
                        changed: false,
                    });
                }
                revision + 1
            }
            None => 1,
        };
        tx.execute(
            tx.query(
                "INSERT INTO knowledge_entry (entry_id, title, topic, owner, approved_by, \
                 valid_until, body, source_text, source_sha256, revision, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (entry_id) DO UPDATE SET title = excluded.title, \
                 topic = excluded.topic, owner = excluded.owner, \
                 approved_by = excluded.approved_by, valid_until = excluded.valid_until, \
                 body = excluded.body, source_text = excluded.source_text, \
                 source_sha256 = excluded.source_sha256, revision = excluded.revision, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(entry.id.clone())
            .bind(entry.title.clone())
            .bind(entry.topic.clone())
            .bind(entry.owner.clone())
            .bind(entry.approved_by.clone())
            .bind(entry.valid_until)
            .bind(entry.body.clone())
            .bind(source_text.to_owned())
            .bind(sha.clone())
            .bind(revision)
            .bind(actor.to_owned())
            .bind(now),
        )
        .await?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Knowledge {
                    entry_id: entry.id.clone(),
                    revision,
                    topic: entry.topic.clone(),
                    approved_by: entry.approved_by.clone(),
                    valid_until: entry.valid_until,
                    content_sha256: sha,
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(KnowledgeWrite {
            revision,
            changed: true,
        })
    }

    /// Every entry, expired ones too, by topic and id.
    pub async fn knowledge(&self) -> Result<Vec<StoredEntry>, StoreError> {
        let mut tx = self.pool.read().await?;
        tx.fetch_all(tx.query(select!("ORDER BY topic, entry_id")))
            .await?
            .iter()
            .map(stored)
            .collect()
    }

    pub async fn knowledge_entry(&self, id: &str) -> Result<Option<StoredEntry>, StoreError> {
        let mut tx = self.pool.read().await?;
        tx.fetch_optional(tx.query(select!("WHERE entry_id = $1")).bind(id.to_owned()))
            .await?
            .as_ref()
            .map(stored)
            .transpose()
    }
}

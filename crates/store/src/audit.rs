//! The audit log: one SHA-256 hash chain over every event (DESIGN §2 Audit log).
//!
//! A record's hash is the hex SHA-256 of the canonical JSON ([`crate::canonical`]) of
//!
//! ```text
//! {"action_id": <string|null>, "actor": <string>, "at": <RFC 3339 UTC, 6 fraction digits, Z>,
//!  "data": <object>, "event": <string>, "prev_hash": <hex>, "seq": <integer>}
//! ```
//!
//! and `prev_hash` is the previous record's hash (64 zeros for the first). Records are
//! appended only inside a write transaction that took [`crate::db::Lock::AuditChain`]
//! first, so on PostgreSQL with several writers the chain stays one chain, and a rolled
//! back transaction leaves no record behind.
//!
//! `verify` recomputes every hash and names the first record that fails a check. It cannot
//! see records cut off the end of the chain: compare the head hash with one kept elsewhere
//! (an export) for that.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

pub use event::{AccountRef, AuditEvent, Delivered, DeliveryFailed, ShadowAi};

use crate::Store;
use crate::canonical::{canonical_json, sha256_hex};
use crate::db::{Row, Tx};
use crate::error::StoreError;

mod event;

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record as stored and exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    /// RFC 3339 UTC with microseconds, exactly as hashed.
    pub at: String,
    pub event: String,
    pub action_id: Option<String>,
    pub actor: String,
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Which check a record failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainCheck {
    /// The sequence number is not the previous one plus one (a record removed or inserted).
    Seq,
    /// `at` is not a timestamp in the canonical form.
    At,
    /// `data` is not canonical JSON.
    Data,
    /// `prev_hash` is not the previous record's hash.
    PrevHash,
    /// `hash` is not the hash of the record's canonical encoding.
    Hash,
}

impl ChainCheck {
    fn as_str(self) -> &'static str {
        match self {
            ChainCheck::Seq => "seq",
            ChainCheck::At => "at",
            ChainCheck::Data => "data",
            ChainCheck::PrevHash => "prev_hash",
            ChainCheck::Hash => "hash",
        }
    }
}

/// The first broken record of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The broken record's sequence number as stored.
    pub seq: i64,
    pub check: ChainCheck,
    /// What was expected and found, in plain words.
    pub detail: String,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "audit record {} is broken: {}: {}",
            self.seq,
            self.check.as_str(),
            self.detail
        )
    }
}

/// An intact chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainVerified {
    /// How many records were checked.
    pub records: i64,
    /// The last record's hash (the genesis hash for an empty log). Keep it elsewhere to
    /// detect records cut off the end later.
    pub head_hash: String,
}

/// The canonical form of a timestamp in the log.
pub(crate) fn format_at(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The bytes a record's hash covers.
fn encoding(
    seq: i64,
    at: &str,
    event: &str,
    action_id: Option<&str>,
    actor: &str,
    data: &Value,
    prev_hash: &str,
) -> String {
    canonical_json(&json!({
        "seq": seq,
        "at": at,
        "event": event,
        "action_id": action_id,
        "actor": actor,
        "data": data,
        "prev_hash": prev_hash,
    }))
}

/// One event to append.
pub(crate) struct Event<'a> {
    pub what: AuditEvent,
    pub action_id: Option<&'a str>,
    pub actor: &'a str,
}

/// Appends `e` to the chain inside `tx` and returns its sequence number.
///
/// The caller's transaction must have been opened with `Lock::AuditChain`.
pub(crate) async fn append(
    tx: &mut Tx,
    e: Event<'_>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let (prev_seq, prev_hash) = match tx.chain_head() {
        Some((seq, hash)) => (*seq, hash.clone()),
        None => {
            let head = tx
                .fetch_optional(tx.query(
                    "SELECT audit_record_id, hash FROM audit_record \
                     ORDER BY audit_record_id DESC LIMIT 1",
                ))
                .await?;
            match head {
                Some(row) => (
                    row.get::<i64>("audit_record_id")?,
                    row.get::<String>("hash")?,
                ),
                None => (0, GENESIS_HASH.to_owned()),
            }
        }
    };
    let (event, data) = e.what.encode()?;
    let seq = prev_seq + 1;
    let at = format_at(now);
    // INVARIANT: `prev_hash` of record N is the `hash` of record N-1, read (or appended)
    // under the chain lock in this same transaction, so no other writer can append between
    // the read and the insert below.
    let hash = sha256_hex(encoding(
        seq,
        &at,
        &event,
        e.action_id,
        e.actor,
        &data,
        &prev_hash,
    ));
    let q = tx
        .query(
            "INSERT INTO audit_record \
             (audit_record_id, created_at, event, action_id, actor, data, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(at)
        .bind(event.clone())
        .bind(e.action_id.map(str::to_owned))
        .bind(e.actor.to_owned())
        .bind(canonical_json(&data))
        .bind(prev_hash)
        .bind(hash.clone());
    tx.execute(q).await?;
    tx.set_chain_head(seq, hash);
    Ok(seq)
}

/// A stored row, before any check.
struct RawRecord {
    seq: i64,
    at: String,
    event: String,
    action_id: Option<String>,
    actor: String,
    data: String,
    prev_hash: String,
    hash: String,
}

const PAGE: i64 = 1000;

async fn page(store: &Store, after: i64) -> Result<Vec<RawRecord>, StoreError> {
    let mut tx = store.pool.read().await?;
    let rows = tx
        .fetch_all(
            tx.query(
                "SELECT audit_record_id, created_at, event, action_id, actor, data, prev_hash, hash \
                 FROM audit_record WHERE audit_record_id > $1 ORDER BY audit_record_id LIMIT $2",
            )
            .bind(after)
            .bind(PAGE),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RawRecord {
                seq: r.get("audit_record_id")?,
                at: r.get("created_at")?,
                event: r.get("event")?,
                action_id: r.get("action_id")?,
                actor: r.get("actor")?,
                data: r.get("data")?,
                prev_hash: r.get("prev_hash")?,
                hash: r.get("hash")?,
            })
        })
        .collect()
}

/// Checks one record against the previous one's sequence number and hash.
fn check(r: &RawRecord, prev_seq: i64, prev_hash: &str) -> Result<Value, ChainBreak> {
    let broken = |check, detail: String| ChainBreak {
        seq: r.seq,
        check,
        detail,
    };
    if r.seq != prev_seq + 1 {
        return Err(broken(
            ChainCheck::Seq,
            format!("expected {} after {prev_seq}", prev_seq + 1),
        ));
    }
    let canonical_at = DateTime::parse_from_rfc3339(&r.at)
        .ok()
        .map(|t| format_at(t.with_timezone(&Utc)));
    if canonical_at.as_deref() != Some(r.at.as_str()) {
        return Err(broken(
            ChainCheck::At,
            format!("`{}` is not a canonical UTC timestamp", r.at),
        ));
    }
    let data: Value = match serde_json::from_str(&r.data) {
        Ok(v @ Value::Object(_)) if canonical_json(&v) == r.data => v,
        _ => {
            return Err(broken(
                ChainCheck::Data,
                "is not a canonical JSON object".to_owned(),
            ));
        }
    };
    if r.prev_hash != prev_hash {
        return Err(broken(
            ChainCheck::PrevHash,
            format!("does not match record {prev_seq}'s hash"),
        ));
    }
    let expected = sha256_hex(encoding(
        r.seq,
        &r.at,
        &r.event,
        r.action_id.as_deref(),
        &r.actor,
        &data,
        &r.prev_hash,
    ));
    if r.hash != expected {
        return Err(broken(
            ChainCheck::Hash,
            "does not match the record's contents".to_owned(),
        ));
    }
    Ok(data)
}

impl Store {
    /// Recomputes the whole chain. `Err(StoreError::AuditBroken)` names the first record
    /// that fails a check and which check.
    pub async fn verify_audit(&self) -> Result<ChainVerified, StoreError> {
        self.verify_audit_from(None).await
    }

    /// Checks only what was appended since `checkpoint` (an earlier verdict): the
    /// checkpoint's last record must still carry the hash it had, and every record after it
    /// must chain on. Cheap enough for every page view; what it cannot see is a rewrite of
    /// records before the checkpoint that kept the checkpoint's hash — only a full
    /// [`Store::verify_audit`] proves those, so callers run one regularly.
    pub async fn verify_audit_from(
        &self,
        checkpoint: Option<&ChainVerified>,
    ) -> Result<ChainVerified, StoreError> {
        let (mut prev_seq, mut prev_hash) = (0, GENESIS_HASH.to_owned());
        // From a checkpoint, the first page starts at its last record, which must be the
        // one verified then.
        let mut resume = checkpoint.filter(|c| c.records > 0);
        loop {
            let mut records = page(self, resume.map_or(prev_seq, |c| c.records - 1)).await?;
            let last = records.len() < usize::try_from(PAGE).unwrap_or(usize::MAX);
            if let Some(c) = resume.take() {
                let head = (!records.is_empty()).then(|| records.remove(0));
                if !head.is_some_and(|r| r.seq == c.records && r.hash == c.head_hash) {
                    return Err(StoreError::AuditBroken(ChainBreak {
                        seq: c.records,
                        check: ChainCheck::Hash,
                        detail: "is missing or changed since it was last verified".to_owned(),
                    }));
                }
                (prev_seq, prev_hash) = (c.records, c.head_hash.clone());
            }
            for r in records {
                check(&r, prev_seq, &prev_hash).map_err(StoreError::AuditBroken)?;
                prev_seq = r.seq;
                prev_hash = r.hash;
            }
            if last {
                return Ok(ChainVerified {
                    records: prev_seq,
                    head_hash: prev_hash,
                });
            }
        }
    }

    /// Writes every record as one JSON object per line, in order; returns how many.
    ///
    /// Exports what is stored, checked or not: run [`Store::verify_audit`] for the verdict.
    pub async fn export_audit(&self, out: &mut impl std::io::Write) -> Result<i64, StoreError> {
        let mut after = 0;
        let mut count = 0;
        loop {
            let records = page(self, after).await?;
            let last = records.len() < usize::try_from(PAGE).unwrap_or(usize::MAX);
            for r in records {
                after = r.seq;
                count += 1;
                let record = AuditRecord {
                    seq: r.seq,
                    at: r.at,
                    event: r.event,
                    action_id: r.action_id,
                    actor: r.actor,
                    // A tampered `data` that no longer parses is exported as the raw text.
                    data: serde_json::from_str(&r.data).unwrap_or(Value::String(r.data)),
                    prev_hash: r.prev_hash,
                    hash: r.hash,
                };
                let line = serde_json::to_string(&record)
                    .map_err(|e| StoreError::Corrupt(format!("audit record {after}: {e}")))?;
                writeln!(out, "{line}")
                    .map_err(|e| StoreError::invalid("--out", format!("cannot write: {e}")))?;
            }
            if last {
                return Ok(count);
            }
        }
    }

    /// The records of one action, oldest first.
    pub async fn audit_for_action(&self, action_id: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT audit_record_id, created_at, event, action_id, actor, data, prev_hash, hash \
                     FROM audit_record WHERE action_id = $1 ORDER BY audit_record_id",
                )
                .bind(action_id.to_owned()),
            )
            .await?;
        rows.iter().map(record_from).collect()
    }
}

/// An audit row as read back for people. A tampered `data` that no longer parses is shown
/// as the raw text.
pub(crate) fn record_from(r: &Row) -> Result<AuditRecord, StoreError> {
    let data: String = r.get("data")?;
    Ok(AuditRecord {
        seq: r.get("audit_record_id")?,
        at: r.get("created_at")?,
        event: r.get("event")?,
        action_id: r.get("action_id")?,
        actor: r.get("actor")?,
        data: serde_json::from_str(&data).unwrap_or(Value::String(data)),
        prev_hash: r.get("prev_hash")?,
        hash: r.get("hash")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(seq: i64, prev_hash: &str) -> RawRecord {
        let at = format_at(Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).unwrap());
        let data = json!({"decision": "hold", "roles": ["deal_desk"]});
        let hash = sha256_hex(encoding(
            seq,
            &at,
            "decision",
            Some("act_1"),
            "tool:outreach-agent",
            &data,
            prev_hash,
        ));
        RawRecord {
            seq,
            at,
            event: "decision".into(),
            action_id: Some("act_1".into()),
            actor: "tool:outreach-agent".into(),
            data: canonical_json(&data),
            prev_hash: prev_hash.into(),
            hash,
        }
    }

    #[test]
    fn timestamps_have_microseconds_and_z() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).unwrap();
        assert_eq!(format_at(t), "2026-11-25T09:30:00.000000Z");
    }

    #[test]
    fn an_intact_record_passes_and_each_field_change_is_named() {
        let r = record(1, GENESIS_HASH);
        assert!(check(&r, 0, GENESIS_HASH).is_ok());

        let mut r2 = record(1, GENESIS_HASH);
        r2.event = "approval".into();
        assert_eq!(
            check(&r2, 0, GENESIS_HASH).unwrap_err().check,
            ChainCheck::Hash
        );
        let mut r3 = record(1, GENESIS_HASH);
        r3.data = r3.data.replace(':', ": ");
        assert_eq!(
            check(&r3, 0, GENESIS_HASH).unwrap_err().check,
            ChainCheck::Data
        );
        let mut r4 = record(1, GENESIS_HASH);
        r4.at = "2026-11-25T09:30:00Z".into();
        assert_eq!(
            check(&r4, 0, GENESIS_HASH).unwrap_err().check,
            ChainCheck::At
        );
        assert_eq!(
            check(&record(2, GENESIS_HASH), 0, GENESIS_HASH)
                .unwrap_err()
                .check,
            ChainCheck::Seq
        );
        assert_eq!(
            check(&record(1, &"1".repeat(64)), 0, GENESIS_HASH)
                .unwrap_err()
                .check,
            ChainCheck::PrevHash
        );
    }
}

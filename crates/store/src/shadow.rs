//! Shadow AI: requests made with an API key the registry does not know (or revoked). The
//! server answers them 401 and stores nothing they sent; it counts them here, one row per
//! key fingerprint, source address and minute (count, first and last seen, the kind and
//! the recipient's domain, never a body), so a stranger cannot fill the store or contend
//! for the audit chain. The first request of each row is also an audit record
//! (`shadow_ai`), which is where reviewers and auditors see unregistered tools.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event, ShadowAi};
use crate::db::{Lock, Row};
use crate::error::StoreError;
use crate::{Store, micros};

/// One request from an unregistered key, as much of it as is kept.
#[derive(Debug, Clone, Default)]
pub struct Sighting {
    /// The first 12 hex digits of the key's SHA-256.
    pub key_fingerprint: String,
    /// The client's address.
    pub source: String,
    /// The action kind it asked for, if it said.
    pub kind: Option<String>,
    /// The domain of its first recipient, if it named one.
    pub recipient_domain: Option<String>,
    /// The tool it claimed to be (`tool`), or the revoked tool whose key it used.
    pub claimed_tool: Option<String>,
}

/// One key fingerprint from one address in one minute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SightingRow {
    pub key_fingerprint: String,
    pub source: String,
    pub minute: DateTime<Utc>,
    pub kind: Option<String>,
    pub recipient_domain: Option<String>,
    pub claimed_tool: Option<String>,
    pub count: i64,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// At most this many characters of anything a stranger sent are kept.
const KEPT_CHARS: usize = 64;

fn clip(s: Option<&str>) -> Option<String> {
    s.map(|s| s.chars().take(KEPT_CHARS).collect())
}

impl Store {
    /// Counts a request from an unregistered key; the first of its minute is audited.
    pub async fn record_sighting(
        &self,
        seen: &Sighting,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = micros(now);
        let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
        let fingerprint: String = seen.key_fingerprint.chars().take(12).collect();
        let source = clip(Some(&seen.source)).unwrap_or_default();
        let (kind, domain, claimed) = (
            clip(seen.kind.as_deref()),
            clip(seen.recipient_domain.as_deref()),
            clip(seen.claimed_tool.as_deref()),
        );
        // Counting takes only the row: a stranger's requests must not queue on the audit chain.
        let mut tx = self.pool.write(Lock::Rows).await?;
        let row = tx
            .fetch_one(
                tx.query(
                    "INSERT INTO shadow_sighting (key_fingerprint, source, minute, kind, \
                       recipient_domain, claimed_tool, count, first_seen_at, last_seen_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) \
                     ON CONFLICT (key_fingerprint, source, minute) DO UPDATE SET \
                       count = shadow_sighting.count + 1, last_seen_at = excluded.last_seen_at \
                     RETURNING count",
                )
                .bind(fingerprint.clone())
                .bind(source.clone())
                .bind(minute)
                .bind(kind.clone())
                .bind(domain.clone())
                .bind(claimed.clone())
                .bind(now),
            )
            .await?;
        let count: i64 = row.get("count")?;
        tx.commit().await?;
        if count == 1 {
            let mut tx = self.pool.write(Lock::AuditChain).await?;
            audit::append(
                &mut tx,
                Event {
                    what: AuditEvent::ShadowAi(ShadowAi {
                        key_fingerprint: fingerprint.to_owned(),
                        kind,
                        claimed_tool: claimed,
                        revoked_tool: None,
                        source: Some(source.to_owned()),
                        recipient_domain: domain,
                    }),
                    action_id: None,
                    actor: &format!("unknown-tool:{fingerprint}"),
                },
                now,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Sightings last seen at or after `since`, newest first (at most `limit`).
    pub async fn sightings(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<SightingRow>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT key_fingerprint, source, minute, kind, recipient_domain, claimed_tool, \
                       count, first_seen_at, last_seen_at FROM shadow_sighting \
                     WHERE last_seen_at >= $1 ORDER BY last_seen_at DESC LIMIT $2",
                )
                .bind(micros(since))
                .bind(limit),
            )
            .await?;
        rows.iter().map(sighting_from).collect()
    }
}

fn sighting_from(row: &Row) -> Result<SightingRow, StoreError> {
    Ok(SightingRow {
        key_fingerprint: row.get("key_fingerprint")?,
        source: row.get("source")?,
        minute: row.get("minute")?,
        kind: row.get("kind")?,
        recipient_domain: row.get("recipient_domain")?,
        claimed_tool: row.get("claimed_tool")?,
        count: row.get("count")?,
        first_seen_at: row.get("first_seen_at")?,
        last_seen_at: row.get("last_seen_at")?,
    })
}

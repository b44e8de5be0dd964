//! Log-in back-off per name: after [`FREE_FAILURES`] failed log-ins a name is refused for
//! a while, twice as long with each further failure (capped), from whatever address the
//! attempts come. Per-address rate limits stop one client; this stops many clients
//! guessing one account's password. The name is folded, so `Ada.Admin` is `ada.admin`, and
//! names no account has are throttled the same way, so the answer says nothing about which
//! names exist. Each block is audited (`login_throttled`): at most one record per block.

use chrono::{DateTime, Duration, Utc};
use countersign_engine::names::fold;

use crate::audit::{self, AuditEvent, Event};
use crate::db::Lock;
use crate::error::StoreError;
use crate::{Store, micros};

/// The failure that starts the first block.
pub const FREE_FAILURES: i64 = 3;
/// The first block; each further failure doubles it.
const FIRST_BLOCK_SECONDS: i64 = 5;
/// The longest block.
const MAX_BLOCK_SECONDS: i64 = 15 * 60;

/// How long a name is blocked after its `failures`-th failure, if at all.
fn block_after(failures: i64) -> Option<Duration> {
    let over = u32::try_from(failures - FREE_FAILURES).ok()?;
    let doublings = over.min(20);
    let seconds = FIRST_BLOCK_SECONDS.saturating_mul(1 << doublings);
    Some(Duration::seconds(seconds.min(MAX_BLOCK_SECONDS)))
}

impl Store {
    /// Until when log-ins as `name` are refused, if they are now.
    pub async fn login_blocked_until(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(
                tx.query("SELECT blocked_until FROM login_throttle WHERE name = $1")
                    .bind(fold(name)),
            )
            .await?;
        let until: Option<DateTime<Utc>> = match row {
            Some(r) => r.get("blocked_until")?,
            None => None,
        };
        Ok(until.filter(|u| *u > now))
    }

    /// Counts a failed log-in as `name` from `source`; returns until when the name is now
    /// blocked, if this failure blocks it.
    pub async fn record_login_failure(
        &self,
        name: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = micros(now);
        let name = fold(name);
        // Counting takes only the row: failed log-ins must not queue on the audit chain.
        let mut tx = self.pool.write(Lock::Rows).await?;
        let row = tx
            .fetch_one(
                tx.query(
                    "INSERT INTO login_throttle (name, failures, last_failure_at) VALUES ($1, 1, $2) \
                     ON CONFLICT (name) DO UPDATE SET failures = login_throttle.failures + 1, \
                       last_failure_at = excluded.last_failure_at \
                     RETURNING failures",
                )
                .bind(name.clone())
                .bind(now),
            )
            .await?;
        let failures: i64 = row.get("failures")?;
        let Some(until) = block_after(failures).map(|d| now + d) else {
            tx.commit().await?;
            return Ok(None);
        };
        let q = tx
            .query("UPDATE login_throttle SET blocked_until = $1 WHERE name = $2")
            .bind(until)
            .bind(name.clone());
        tx.execute(q).await?;
        tx.commit().await?;
        // At most one audit record per block.
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::LoginThrottled {
                    name: name.to_owned(),
                    failures,
                    blocked_until: until,
                },
                action_id: None,
                actor: &format!("anonymous:{source}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(until))
    }

    /// A successful log-in as `name`: its failures are forgotten.
    pub async fn record_login_success(&self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.write(Lock::Rows).await?;
        let q = tx
            .query("DELETE FROM login_throttle WHERE name = $1")
            .bind(fold(name));
        tx.execute(q).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_start_after_the_free_failures_and_double_up_to_the_cap() {
        assert_eq!(block_after(1), None);
        assert_eq!(block_after(FREE_FAILURES - 1), None);
        assert_eq!(block_after(FREE_FAILURES), Some(Duration::seconds(5)));
        assert_eq!(block_after(FREE_FAILURES + 1), Some(Duration::seconds(10)));
        assert_eq!(block_after(FREE_FAILURES + 2), Some(Duration::seconds(20)));
        assert_eq!(
            block_after(1_000),
            Some(Duration::seconds(MAX_BLOCK_SECONDS))
        );
    }
}

//! The audit chain's verdict for pages that show it on every view: a full verification at
//! most every [`ChainWatch::FULL_CHECK_EVERY`], and in between only the records appended
//! since the last verdict (with the last verified record re-read, so a cut or rewritten
//! head is still caught). A full check of a million records takes seconds; a page view
//! must not.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use countersign_store::{ChainVerified, Store, StoreError};

/// The last verdict and when the last full verification ran.
#[derive(Default)]
pub struct ChainWatch {
    last: Mutex<Option<(ChainVerified, Instant)>>,
}

/// What a page shows.
#[derive(Debug, Clone)]
pub struct ChainStatus {
    pub verified: ChainVerified,
    /// How long ago every record was last recomputed.
    pub full_check_age: Duration,
}

impl ChainWatch {
    pub const FULL_CHECK_EVERY: Duration = Duration::from_secs(10 * 60);

    /// The chain's verdict now. A broken chain is an error naming the record, and the
    /// next call checks everything again.
    pub async fn check(&self, store: &Store) -> Result<ChainStatus, StoreError> {
        let last = self.last.lock().ok().and_then(|l| l.clone());
        let (result, full_at) = match last {
            Some((checkpoint, at)) if at.elapsed() < Self::FULL_CHECK_EVERY => {
                (store.verify_audit_from(Some(&checkpoint)).await, at)
            }
            _ => (store.verify_audit().await, Instant::now()),
        };
        let mut slot = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(verified) => {
                *slot = Some((verified.clone(), full_at));
                Ok(ChainStatus {
                    verified,
                    full_check_age: full_at.elapsed(),
                })
            }
            Err(e) => {
                *slot = None;
                Err(e)
            }
        }
    }
}

impl std::fmt::Debug for ChainWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWatch").finish_non_exhaustive()
    }
}

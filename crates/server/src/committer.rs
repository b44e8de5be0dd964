//! Group commit for proposals: concurrent requests share one durable transaction.
//!
//! Every audited write takes the store's one chain lock, and with SQLite's
//! `synchronous=FULL` each commit waits for the disk, so proposals committed one by one
//! are bounded by fsync latency. The committer task takes whatever proposals are waiting
//! (up to `[server] group_commit_max`), decides and stores them in one transaction with
//! [`Store::propose_batch_with`](countersign_store::Store::propose_batch_with), and
//! answers each request only after that commit: every answer is as durable as a single
//! proposal's. While one batch commits, the next one gathers.
//!
//! Each decision in a batch still runs under the decision deadline (fail closed). A
//! request that times out while its proposal waits is not withdrawn: the proposal is
//! stored, and a retry with the same idempotency key returns it.

use countersign_store::GroupCommitter;

use crate::state::AppState;

/// Starts the server's committer: each batch is decided under the decision deadline and
/// stored by [`crate::service::actions::propose_batch`]. It stops when the server state is
/// gone.
pub fn start(state: std::sync::Weak<crate::state::Inner>, max_batch: usize) -> GroupCommitter {
    GroupCommitter::start(
        move |batch| {
            let state = state.upgrade().map(AppState::from_inner);
            async move {
                match state {
                    Some(state) => crate::service::actions::propose_batch(&state, batch).await,
                    // Shutting down: no answers, so every waiting caller hears "stopped".
                    None => Vec::new(),
                }
            }
        },
        max_batch,
    )
}

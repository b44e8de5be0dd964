//! Group commit: concurrent proposals share one durable transaction.
//!
//! With `synchronous=FULL` every commit waits for the disk, so proposals committed one by
//! one are bound by fsync latency. The committer task takes whatever proposals are
//! waiting, hands them to a batch function that commits them together (normally
//! [`Store::propose_batch`] or [`Store::propose_batch_with`]), and answers each caller only
//! after that commit: every answer is still durable before it is given, as a single
//! proposal's would be. While one batch commits, the next one gathers.
//!
//! [`Store::propose_batch`]: crate::Store::propose_batch
//! [`Store::propose_batch_with`]: crate::Store::propose_batch_with

use std::future::Future;

use countersign_engine::Action;
use tokio::sync::{mpsc, oneshot};

use crate::{Proposal, StoreError};

type Reply = oneshot::Sender<Result<Proposal, StoreError>>;

/// A handle to the committer task. Cheap to clone; the task stops when the last handle is
/// dropped, after answering what it already took.
#[derive(Debug, Clone)]
pub struct GroupCommitter {
    queue: mpsc::Sender<(Action, String, Reply)>,
}

impl GroupCommitter {
    /// Starts the committer on the current tokio runtime. `commit` stores one batch of
    /// `(action, tool key)` and returns one answer per proposal, in order; a batch holds at
    /// most `max_batch` proposals.
    pub fn start<C, F>(commit: C, max_batch: usize) -> Self
    where
        C: Fn(Vec<(Action, String)>) -> F + Send + 'static,
        F: Future<Output = Vec<Result<Proposal, StoreError>>> + Send,
    {
        let max_batch = max_batch.max(1);
        let (queue, mut rx) = mpsc::channel::<(Action, String, Reply)>(max_batch * 4);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < max_batch {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let (batch, replies): (Vec<(Action, String)>, Vec<Reply>) =
                    jobs.into_iter().map(|(a, k, r)| ((a, k), r)).unzip();
                let answers = commit(batch).await;
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // A caller that gave up (timed out) no longer wants its answer; the
                    // proposal is stored either way, and its idempotency key returns it.
                    let _ = reply.send(answer);
                }
            }
        });
        Self { queue }
    }

    /// Proposes through the next group commit; returns once it is durable.
    pub async fn propose(&self, action: Action, tool_key: &str) -> Result<Proposal, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Refused("the group committer has stopped".to_owned());
        self.queue
            .send((action, tool_key.to_owned(), reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

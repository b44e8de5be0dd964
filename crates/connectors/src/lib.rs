//! Delivery: what the gate released leaves through a [`Connector`] — e-mail over SMTP,
//! CRM changes through a signed webhook — driven by the outbox [`worker`].
//!
//! Exactly once, as far as a network allows: the store hands out outbox items under a
//! lease, a connector delivers, and only then is the item marked sent. A crash between the
//! remote server's acceptance and that mark can deliver twice; both copies then carry the
//! same Message-ID (derived from the action id) or the same `Idempotency-Key`, so the
//! receiving side can drop the duplicate.

pub mod chat;
pub mod pickup;
pub mod smtp;
pub mod webhook;
pub mod worker;

pub use chat::{ChatConfig, ChatConnector};
pub use pickup::{PickupConfig, PickupConnector};
pub use smtp::{SmtpConfig, SmtpConnector};
pub use webhook::{WebhookConfig, WebhookConnector};
pub use worker::{Worker, WorkerConfig, WorkerReport};

use countersign_store::OutboxItem;

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The remote side may accept it later (4xx, timeout, connection refused).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// It will never be accepted (5xx, malformed payload): park it for a human.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// What an HTTP receiver's status means for an outbox item: success, try again later (5xx,
/// 408, 429), or never (other 4xx: park it for a human).
pub(crate) fn http_outcome(
    receiver: &str,
    status: reqwest::StatusCode,
) -> Result<(), DeliveryError> {
    if status.is_success() {
        Ok(())
    } else if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
        Err(DeliveryError::Transient(format!(
            "{receiver} answered {status}"
        )))
    } else {
        Err(DeliveryError::Permanent(format!(
            "{receiver} answered {status}"
        )))
    }
}

/// Something that delivers an outbox item. Every connector passes the same conformance
/// checks: a clear healthcheck, and a permanent error (not a panic) on a malformed item.
pub trait Connector: Send + Sync {
    /// Short name for logs and audit records: `smtp`, `webhook`.
    fn name(&self) -> &'static str;

    /// Delivers one item.
    fn deliver(
        &self,
        item: &OutboxItem,
    ) -> impl std::future::Future<Output = Result<(), DeliveryError>> + Send;

    /// Whether the remote side is reachable, with a message that says what is wrong.
    fn healthcheck(&self) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

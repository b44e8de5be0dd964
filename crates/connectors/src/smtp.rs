//! E-mail over SMTP (lettre) to a configured relay.
//!
//! The Message-ID comes from the outbox item (derived from the action id), so a message
//! redelivered after a crash is recognisably the same message.

use std::time::Duration;

use countersign_store::{Delivery, OutboxItem};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Connector, DeliveryError};

/// What the user configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The envelope and header sender, e.g. `Sales <sales@example.com>`.
    pub from: String,
    pub timeout: Duration,
}

/// A connected SMTP relay.
#[derive(Clone)]
pub struct SmtpConnector {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    target: String,
}

impl std::fmt::Debug for SmtpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConnector")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl SmtpConfig {
    /// Builds the connector; fails if `from` is not an address.
    pub fn build(&self) -> Result<SmtpConnector, String> {
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|e| format!("smtp.from: `{}` is not an address: {e}", self.from))?;
        // Plain SMTP to a relay on a trusted network (loopback, a local MTA); TLS to the
        // outside world is the relay's job.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
            .port(self.port)
            .timeout(Some(self.timeout))
            .build();
        Ok(SmtpConnector {
            transport,
            from,
            target: format!("{}:{}", self.host, self.port),
        })
    }
}

impl SmtpConnector {
    fn message(&self, item: &OutboxItem) -> Result<Message, DeliveryError> {
        build_message(&self.from, item)
    }
}

/// The e-mail for an outbox item, from the payload's `from` when it names one (reviewer
/// notifications come from Countersign itself) or else `from`. The pickup directory writes
/// the same message, so a file and a relayed copy carry identical headers and Message-ID.
pub(crate) fn build_message(from: &Mailbox, item: &OutboxItem) -> Result<Message, DeliveryError> {
    let Delivery::Email(email) = &item.delivery else {
        return Err(DeliveryError::Permanent(format!(
            "outbox item {} is not an e-mail",
            item.outbox_id
        )));
    };
    let mailboxes = |field: &str, addresses: &[String]| -> Result<Vec<Mailbox>, DeliveryError> {
        addresses
            .iter()
            .map(|s| {
                s.parse::<Mailbox>().map_err(|e| {
                    DeliveryError::Permanent(format!("{field}: `{s}` is not an address: {e}"))
                })
            })
            .collect()
    };
    let to = mailboxes("to", &email.to)?;
    if to.is_empty() {
        return Err(DeliveryError::Permanent("to: no recipient".to_owned()));
    }
    let from = match &email.from {
        Some(s) => s
            .parse::<Mailbox>()
            .map_err(|e| DeliveryError::Permanent(format!("from: `{s}` is not an address: {e}")))?,
        None => from.clone(),
    };
    let mut builder = Message::builder()
        .from(from)
        .message_id(Some(item.message_id.clone()))
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN);
    for m in to {
        builder = builder.to(m);
    }
    for m in mailboxes("cc", &email.cc)? {
        builder = builder.cc(m);
    }
    if let Some(reply_to) = &email.reply_to {
        builder =
            builder.reply_to(mailboxes("reply_to", std::slice::from_ref(reply_to))?.remove(0));
    }
    builder
        .body(email.body.clone())
        .map_err(|e| DeliveryError::Permanent(format!("cannot build the message: {e}")))
}

fn classify(e: SmtpError) -> DeliveryError {
    if e.is_permanent() {
        DeliveryError::Permanent(e.to_string())
    } else {
        DeliveryError::Transient(e.to_string())
    }
}

impl Connector for SmtpConnector {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        let message = self.message(item)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn healthcheck(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("smtp relay {} did not answer NOOP", self.target)),
            Err(e) => Err(format!("smtp relay {} is unreachable: {e}", self.target)),
        }
    }
}

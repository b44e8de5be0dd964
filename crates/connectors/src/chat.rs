//! Reviewer notifications to a chat channel's incoming webhook: Slack (and the
//! Slack-compatible Mattermost and Rocket.Chat, which take `{"text": …}` and ignore
//! `blocks`) and Microsoft Teams (an Adaptive Card in a `message` envelope, as Teams'
//! incoming webhooks and Power Automate's "post to a channel" flow take it).
//!
//! The URL is the secret (whoever has it can post to the channel), so it comes from the
//! configuration at delivery time and is never stored in the outbox or printed.

use std::time::Duration;

use countersign_store::{Delivery, OutboxItem};
use serde_json::{Value, json};

use crate::{Connector, DeliveryError};

/// What the user configures for one chat's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatConfig {
    pub url: String,
    pub timeout: Duration,
    /// The configuration key the URL came from, for error messages.
    pub field: &'static str,
}

/// One chat channel's incoming webhook.
#[derive(Debug, Clone)]
pub struct ChatConnector {
    client: reqwest::Client,
    url: String,
    name: &'static str,
}

impl ChatConfig {
    pub fn build(&self) -> Result<ChatConnector, String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!("{}: is not an http(s) URL", self.field));
        }
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| format!("{}: cannot build the HTTP client: {e}", self.field))?;
        Ok(ChatConnector {
            client,
            url: self.url.clone(),
            name: if self.field.contains("teams") {
                "teams"
            } else {
                "slack"
            },
        })
    }
}

/// The request body for a chat delivery.
fn body(item: &OutboxItem) -> Result<Value, DeliveryError> {
    match &item.delivery {
        Delivery::Slack(m) => Ok(match &m.blocks {
            Some(blocks) => json!({ "text": m.text, "blocks": blocks }),
            None => json!({ "text": m.text }),
        }),
        Delivery::Teams(t) => Ok(json!({
            "type": "message",
            "summary": t.summary,
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": t.card,
            }],
        })),
        _ => Err(DeliveryError::Permanent(format!(
            "outbox item {} is not a chat message",
            item.outbox_id
        ))),
    }
}

impl Connector for ChatConnector {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        let body = body(item)?;
        let response = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            // Without the URL: reqwest's error names it, and the URL is the secret.
            .map_err(|e| {
                DeliveryError::Transient(format!(
                    "{} webhook unreachable: {}",
                    self.name,
                    e.without_url()
                ))
            })?;
        crate::http_outcome(&format!("{} webhook", self.name), response.status())
    }

    async fn healthcheck(&self) -> Result<(), String> {
        self.client
            .head(&self.url)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{} webhook is unreachable: {}", self.name, e.without_url()))
    }
}

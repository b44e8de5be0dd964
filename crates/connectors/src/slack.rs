//! Reviewer notifications to a Slack-compatible incoming webhook (Slack, Mattermost,
//! Rocket.Chat and Teams' Slack-compatible connectors all take `{"text": …}` by POST).
//!
//! The URL is the secret (whoever has it can post to the channel), so it comes from the
//! configuration at delivery time and is never stored in the outbox or printed.

use std::time::Duration;

use countersign_store::{Delivery, OutboxItem, SlackMessage};

use crate::{Connector, DeliveryError};

/// What the user configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackConfig {
    pub url: String,
    pub timeout: Duration,
}

/// A Slack-compatible incoming webhook.
#[derive(Debug, Clone)]
pub struct SlackConnector {
    client: reqwest::Client,
    url: String,
}

impl SlackConfig {
    pub fn build(&self) -> Result<SlackConnector, String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err("notifications.slack_webhook_url: is not an http(s) URL".to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| format!("slack: cannot build the HTTP client: {e}"))?;
        Ok(SlackConnector {
            client,
            url: self.url.clone(),
        })
    }
}

impl Connector for SlackConnector {
    fn name(&self) -> &'static str {
        "slack"
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        let Delivery::Slack(SlackMessage { text }) = &item.delivery else {
            return Err(DeliveryError::Permanent(format!(
                "outbox item {} is not a Slack message",
                item.outbox_id
            )));
        };
        let response = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            // Without the URL: reqwest's error names it, and the URL is the secret.
            .map_err(|e| {
                DeliveryError::Transient(format!("slack webhook unreachable: {}", e.without_url()))
            })?;
        crate::http_outcome("slack webhook", response.status())
    }

    async fn healthcheck(&self) -> Result<(), String> {
        self.client
            .head(&self.url)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("slack webhook is unreachable: {}", e.without_url()))
    }
}

//! CRM changes through a configured HTTP webhook, signed with HMAC-SHA256 and carrying the
//! action's idempotency key, so the receiver can verify the sender and drop duplicates.

use std::time::Duration;

use countersign_store::{Delivery, OutboxItem};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{Connector, DeliveryError};

/// What the user configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub url: String,
    /// Shared secret for the `X-Countersign-Signature` header.
    pub secret: String,
    pub timeout: Duration,
}

/// A webhook endpoint.
#[derive(Debug, Clone)]
pub struct WebhookConnector {
    client: reqwest::Client,
    url: String,
    secret: Vec<u8>,
}

impl WebhookConfig {
    pub fn build(&self) -> Result<WebhookConnector, String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!("webhook.url: `{}` is not an http(s) URL", self.url));
        }
        if self.secret.len() < 16 {
            return Err("webhook.secret: must be at least 16 characters".to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(|e| format!("webhook: cannot build the HTTP client: {e}"))?;
        Ok(WebhookConnector {
            client,
            url: self.url.clone(),
            secret: self.secret.as_bytes().to_vec(),
        })
    }
}

/// `sha256=<hex>` of the body under the shared secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The JSON body POSTed for an outbox item (the pickup directory writes the same bytes).
pub(crate) fn body(item: &OutboxItem) -> Result<Vec<u8>, DeliveryError> {
    let Delivery::Webhook(call) = &item.delivery else {
        return Err(DeliveryError::Permanent(format!(
            "outbox item {} is not a CRM change",
            item.outbox_id
        )));
    };
    // Built as a JSON value, as receivers have always seen it: the call under `changes`.
    let call = serde_json::to_value(call).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
    serde_json::to_vec(&serde_json::json!({
        "action_id": item.action_id,
        "idempotency_key": item.idempotency_key,
        "changes": call,
    }))
    .map_err(|e| DeliveryError::Permanent(e.to_string()))
}

impl Connector for WebhookConnector {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        let body = body(item)?;
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("idempotency-key", &item.idempotency_key)
            .header("x-countersign-signature", signature(&self.secret, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| DeliveryError::Transient(format!("webhook unreachable: {e}")))?;
        crate::http_outcome("webhook", response.status())
    }

    async fn healthcheck(&self) -> Result<(), String> {
        self.client
            .head(&self.url)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("webhook {} is unreachable: {e}", self.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

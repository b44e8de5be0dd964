//! Delivery into a pickup directory instead of over the network: each released e-mail is
//! written as an RFC 5322 `.eml` file, each CRM change as the `.json` body the webhook
//! would have POSTed. For demos, air-gapped trials and MTAs that read a pickup folder.
//!
//! The e-mail is built by the SMTP connector's own code, so its headers and Message-ID are
//! exactly what the relay would have received. A file is named after the action and
//! written under a temporary name, then renamed: a reader never sees half a message, and a
//! redelivery after a crash replaces the file instead of adding a second one.

use std::path::{Path, PathBuf};

use countersign_store::{OutboxItem, OutboxKind};
use lettre::message::Mailbox;

use crate::{Connector, DeliveryError, smtp, webhook};

/// What the user configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupConfig {
    /// The directory files are written to (created if missing).
    pub dir: PathBuf,
    /// The header sender, e.g. `Sales <sales@example.com>`.
    pub from: String,
}

/// A pickup directory, ready to write to.
#[derive(Debug, Clone)]
pub struct PickupConnector {
    dir: PathBuf,
    from: Mailbox,
}

impl PickupConfig {
    /// Builds the connector: checks `from` and creates the directory.
    pub fn build(&self) -> Result<PickupConnector, String> {
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|e| format!("pickup.from: `{}` is not an address: {e}", self.from))?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("pickup.dir: cannot create `{}`: {e}", self.dir.display()))?;
        Ok(PickupConnector {
            dir: self.dir.clone(),
            from,
        })
    }
}

impl PickupConnector {
    /// Where the files go.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file an item is written to: named after its Message-ID without the domain
    /// (`act_…` for an action, `ntf.act_….r1.7` for a notification about it), so each
    /// outbox item has its own file and a redelivery replaces it. Anything outside a safe
    /// set is replaced, so no id can climb out of the directory. `.eml` for e-mail, `.json`
    /// for anything else.
    pub fn path_for(&self, item: &OutboxItem) -> PathBuf {
        let id = item.message_id.trim_start_matches('<');
        let id = id.split_once('@').map_or(id, |(local, _)| local);
        let stem: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let ext = if item.kind() == OutboxKind::Email {
            "eml"
        } else {
            "json"
        };
        self.dir.join(format!("{stem}.{ext}"))
    }

    fn contents(&self, item: &OutboxItem) -> Result<Vec<u8>, DeliveryError> {
        match item.kind() {
            OutboxKind::Email => Ok(smtp::build_message(&self.from, item)?.formatted()),
            OutboxKind::Webhook => webhook::body(item),
            // Chat notifications are for people watching a channel, not for a folder.
            OutboxKind::Slack | OutboxKind::Teams => Err(DeliveryError::Permanent(
                "the pickup directory takes e-mail and CRM changes, not chat messages".to_owned(),
            )),
        }
    }
}

impl Connector for PickupConnector {
    fn name(&self) -> &'static str {
        "pickup"
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        let bytes = self.contents(item)?;
        let path = self.path_for(item);
        // File I/O blocks: keep it off the async workers.
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|e| DeliveryError::Transient(format!("pickup write was cancelled: {e}")))?
    }

    async fn healthcheck(&self) -> Result<(), String> {
        match std::fs::metadata(&self.dir) {
            Ok(m) if m.is_dir() && !m.permissions().readonly() => Ok(()),
            Ok(_) => Err(format!(
                "pickup directory `{}` is not a writable directory",
                self.dir.display()
            )),
            Err(e) => Err(format!(
                "pickup directory `{}` is missing: {e}",
                self.dir.display()
            )),
        }
    }
}

/// Writes under a temporary name, then renames: readers see the whole file or none.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DeliveryError> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes).map_err(|e| {
        DeliveryError::Transient(format!("cannot write `{}`: {e}", partial.display()))
    })?;
    std::fs::rename(&partial, path).map_err(|e| {
        DeliveryError::Transient(format!("cannot rename to `{}`: {e}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use serde_json::json;

    use super::*;

    fn item(kind: OutboxKind, payload: serde_json::Value) -> OutboxItem {
        OutboxItem {
            outbox_id: 7,
            action_id: "act_9f8e7d".to_owned(),
            delivery: countersign_store::Delivery::from_json(kind, payload).unwrap(),
            message_id: countersign_store::message_id("act_9f8e7d"),
            idempotency_key: "followup-42".to_owned(),
            attempts: 1,
        }
    }

    fn connector(dir: &Path) -> PickupConnector {
        PickupConfig {
            dir: dir.join("mail"),
            from: "Lumenfield Sales <sales@lumenfield.example>".to_owned(),
        }
        .build()
        .unwrap()
    }

    #[tokio::test]
    async fn an_email_is_written_as_an_eml_file_with_the_outbox_message_id() {
        let tmp = tempfile::tempdir().unwrap();
        let pickup = connector(tmp.path());
        let email = item(
            OutboxKind::Email,
            json!({"to": ["dana@acme.example"], "cc": ["ops@acme.example"],
                   "subject": "Recording from today", "body": "Hi Dana,\n\nHere is the recording.\n"}),
        );
        pickup.deliver(&email).await.unwrap();
        let text = std::fs::read_to_string(tmp.path().join("mail/act_9f8e7d.eml")).unwrap();
        assert!(
            text.contains("Message-ID: <act_9f8e7d@countersign.invalid>"),
            "{text}"
        );
        assert!(text.contains("To: dana@acme.example"), "{text}");
        assert!(text.contains("Cc: ops@acme.example"), "{text}");
        assert!(text.contains("Subject: Recording from today"), "{text}");
        assert!(
            text.contains("From: \"Lumenfield Sales\" <sales@lumenfield.example>"),
            "{text}"
        );
        // RFC 5322: CRLF line ends, a blank line between the headers and the body.
        assert!(text.contains("\r\n\r\nHi Dana,\r\n"), "{text:?}");
        assert!(text.contains("Here is the recording."), "{text}");
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["act_9f8e7d.eml"]);
    }

    #[tokio::test]
    async fn a_redelivery_replaces_the_file_instead_of_adding_one() {
        let tmp = tempfile::tempdir().unwrap();
        let pickup = connector(tmp.path());
        let email = item(
            OutboxKind::Email,
            json!({"to": ["dana@acme.example"], "subject": "Hi", "body": "Hello"}),
        );
        pickup.deliver(&email).await.unwrap();
        pickup.deliver(&email).await.unwrap();
        assert_eq!(std::fs::read_dir(pickup.dir()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn a_crm_change_is_written_as_the_webhook_body() {
        let tmp = tempfile::tempdir().unwrap();
        let pickup = connector(tmp.path());
        let change = item(
            OutboxKind::Webhook,
            json!({"kind": "crm.note.create", "subject": "Call notes", "body": "Went well"}),
        );
        pickup.deliver(&change).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(
            &std::fs::read(tmp.path().join("mail/act_9f8e7d.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(body["idempotency_key"], "followup-42");
        assert_eq!(body["changes"]["subject"], "Call notes");
    }

    #[tokio::test]
    async fn an_email_without_a_recipient_is_a_permanent_failure_not_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let pickup = connector(tmp.path());
        let err = pickup
            .deliver(&item(
                OutboxKind::Email,
                json!({"subject": "x", "body": "y"}),
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, DeliveryError::Permanent(m) if m.starts_with("to:")),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(pickup.dir()).unwrap().count(), 0);
    }

    #[test]
    fn a_message_id_cannot_name_a_path_outside_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let pickup = connector(tmp.path());
        let mut evil = item(OutboxKind::Email, json!({}));
        evil.message_id = "<../../etc/passwd@countersign.invalid>".to_owned();
        let path = pickup.path_for(&evil);
        assert_eq!(path.parent(), Some(pickup.dir()));
    }

    #[test]
    fn a_bad_sender_is_refused_naming_the_field() {
        let err = PickupConfig {
            dir: std::env::temp_dir(),
            from: "not an address".to_owned(),
        }
        .build()
        .unwrap_err();
        assert!(err.starts_with("pickup.from:"), "{err}");
    }

    #[tokio::test]
    async fn healthcheck_reports_a_missing_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let pickup = connector(tmp.path());
        std::fs::remove_dir(pickup.dir()).unwrap();
        let err = pickup.healthcheck().await.unwrap_err();
        assert!(err.contains("is missing"), "{err}");
    }
}

//! The policies the store has decided with, and replaying a stored decision.
//!
//! A decision names its policy by version (a content hash). The first time the store sees
//! a version it records it and appends a `policy_change` audit record; when the caller
//! gives the texts too ([`Store::record_policy`]), they are kept so that [`Store::replay`]
//! can load exactly that policy later.

use chrono::{DateTime, Utc};
use countersign_engine::policy::PolicySources;
use countersign_engine::{Action, Context, DecisionRecord, Policy};
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::db::{Lock, Tx};
use crate::error::StoreError;
use crate::{Store, micros};

/// Records `policy`'s version if it is new (with `sources` when given) and audits the
/// change. Runs inside the caller's transaction, which holds the chain lock.
pub(crate) async fn ensure(
    tx: &mut Tx,
    policy: &Policy,
    sources: Option<&PolicySources<'_>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let existing = tx
        .fetch_optional(
            tx.query("SELECT toml_source FROM policy WHERE version = $1")
                .bind(policy.version.as_str().to_owned()),
        )
        .await?;
    match existing {
        Some(row) => {
            let has_sources = row.get::<Option<String>>("toml_source")?.is_some();
            if let (false, Some(s)) = (has_sources, sources) {
                let q = tx
                    .query(
                        "UPDATE policy SET toml_source = $1, cedar_source = $2, schema_source = $3 \
                         WHERE version = $4",
                    )
                    .bind(s.toml.1.to_owned())
                    .bind(s.cedar.1.to_owned())
                    .bind(s.schema.1.to_owned())
                    .bind(policy.version.as_str().to_owned());
                tx.execute(q).await?;
            }
            Ok(())
        }
        None => {
            let q = tx
                .query(
                    "INSERT INTO policy (version, name, toml_source, cedar_source, schema_source, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(policy.version.as_str().to_owned())
                .bind(policy.config.name.clone())
                .bind(sources.map(|s| s.toml.1.to_owned()))
                .bind(sources.map(|s| s.cedar.1.to_owned()))
                .bind(sources.map(|s| s.schema.1.to_owned()))
                .bind(now);
            tx.execute(q).await?;
            audit::append(
                tx,
                Event {
                    what: AuditEvent::PolicyChange {
                        version: policy.version.as_str().to_owned(),
                        name: policy.config.name.clone(),
                        sources_recorded: sources.is_some(),
                    },
                    action_id: None,
                    actor,
                },
                now,
            )
            .await?;
            Ok(())
        }
    }
}

/// A stored decision next to the same inputs decided again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub action_id: String,
    pub revision: i64,
    pub stored: DecisionRecord,
    pub replayed: DecisionRecord,
}

impl Replay {
    /// Whether replaying gave the stored decision.
    pub fn matches(&self) -> bool {
        self.stored == self.replayed
    }
}

impl Store {
    /// Loads a policy from its texts, records it (auditing a `policy_change` if its version
    /// is new) and returns it, ready for [`Store::propose`].
    pub async fn record_policy(
        &self,
        sources: &PolicySources<'_>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Policy, StoreError> {
        let now = micros(now);
        let policy = Policy::load(sources)?;
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        ensure(&mut tx, &policy, Some(sources), actor, now).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Decides a stored revision again with the policy version it recorded, the context
    /// the store assembled then and the time it was decided.
    pub async fn replay(&self, action_id: &str, revision: i64) -> Result<Replay, StoreError> {
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(
                tx.query(
                    "SELECT r.action_json, r.context_json, r.decision_json, r.created_at, \
                            p.version, p.toml_source, p.cedar_source, p.schema_source \
                     FROM revision r JOIN policy p ON p.version = r.policy_version \
                     WHERE r.action_id = $1 AND r.number = $2",
                )
                .bind(action_id.to_owned())
                .bind(revision),
            )
            .await?
            .ok_or_else(|| StoreError::not_found("revision", format!("{action_id}#{revision}")))?;
        let version: String = row.get("version")?;
        let (Some(toml), Some(cedar), Some(schema)) = (
            row.get::<Option<String>>("toml_source")?,
            row.get::<Option<String>>("cedar_source")?,
            row.get::<Option<String>>("schema_source")?,
        ) else {
            return Err(StoreError::Refused(format!(
                "policy `{version}` was recorded without its texts: it cannot be replayed"
            )));
        };
        let policy = Policy::load(&PolicySources {
            toml: ("policy.toml", &toml),
            cedar: ("policy.cedar", &cedar),
            schema: ("policy.cedarschema", &schema),
        })?;
        if policy.version.as_str() != version {
            return Err(StoreError::Corrupt(format!(
                "the stored texts of policy `{version}` hash to `{}`",
                policy.version
            )));
        }
        let action_json: serde_json::Value = row.json("action_json")?;
        let action = Action::from_json(&action_json)
            .map_err(|e| StoreError::Corrupt(format!("revision action: {e}")))?;
        let context: Context = row.json("context_json")?;
        let stored: DecisionRecord = row.json("decision_json")?;
        let decided_at: DateTime<Utc> = row.get("created_at")?;
        let replayed = countersign_engine::decide(&action, &context, &policy, decided_at);
        Ok(Replay {
            action_id: action_id.to_owned(),
            revision,
            stored,
            replayed,
        })
    }
}

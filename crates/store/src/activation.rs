//! Which policy decides: activating a policy version (audited) and reading the active one.
//!
//! Several server instances share one database, so the active policy lives there: the
//! newest `policy_activation` row wins. Each instance loads it at start and re-reads the
//! active version periodically; an activation through one instance reaches the others
//! within that interval.

use chrono::{DateTime, Utc};
use countersign_engine::Policy;
use countersign_engine::policy::PolicySources;
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::db::Lock;
use crate::error::StoreError;
use crate::{Store, micros, policies};

/// The texts of a stored policy version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyTexts {
    pub version: String,
    pub name: String,
    pub toml: String,
    pub cedar: String,
    pub schema: String,
}

impl PolicyTexts {
    /// The texts as the engine's sources, named like the files of a policy directory.
    pub fn sources(&self) -> PolicySources<'_> {
        PolicySources {
            toml: ("policy.toml", &self.toml),
            cedar: ("policy.cedar", &self.cedar),
            schema: ("policy.cedarschema", &self.schema),
        }
    }
}

/// The active policy: its version, who activated it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activation {
    pub version: String,
    pub actor: String,
    pub audit_seq: i64,
    pub activated_at: DateTime<Utc>,
}

impl Store {
    /// Loads `sources`, records the policy (if new) and makes it the active one, auditing a
    /// `policy_activation`. Activating the version that is already active changes nothing
    /// and returns the existing activation.
    pub async fn activate_policy(
        &self,
        sources: &PolicySources<'_>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(Policy, Activation), StoreError> {
        let now = micros(now);
        let policy = Policy::load(sources)?;
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        policies::ensure(&mut tx, &policy, Some(sources), actor, now).await?;
        let current = tx
            .fetch_optional(tx.query(
                "SELECT version, actor, audit_seq, created_at FROM policy_activation \
                 ORDER BY policy_activation_id DESC LIMIT 1",
            ))
            .await?;
        if let Some(row) = current
            && row.get::<String>("version")? == policy.version.as_str()
        {
            let activation = Activation {
                version: row.get("version")?,
                actor: row.get("actor")?,
                audit_seq: row.get("audit_seq")?,
                activated_at: row.get("created_at")?,
            };
            tx.commit().await?;
            return Ok((policy, activation));
        }
        let audit_seq = audit::append(
            &mut tx,
            Event {
                what: AuditEvent::PolicyActivation {
                    version: policy.version.as_str().to_owned(),
                    name: policy.config.name.clone(),
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        let q = tx
            .query(
                "INSERT INTO policy_activation (version, actor, audit_seq, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(policy.version.as_str().to_owned())
            .bind(actor.to_owned())
            .bind(audit_seq)
            .bind(now);
        tx.execute(q).await?;
        tx.commit().await?;
        let activation = Activation {
            version: policy.version.as_str().to_owned(),
            actor: actor.to_owned(),
            audit_seq,
            activated_at: now,
        };
        Ok((policy, activation))
    }

    /// The active policy's activation, if any policy was ever activated.
    pub async fn active_policy(&self) -> Result<Option<Activation>, StoreError> {
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(tx.query(
                "SELECT version, actor, audit_seq, created_at FROM policy_activation \
                 ORDER BY policy_activation_id DESC LIMIT 1",
            ))
            .await?;
        row.map(|r| {
            Ok(Activation {
                version: r.get("version")?,
                actor: r.get("actor")?,
                audit_seq: r.get("audit_seq")?,
                activated_at: r.get("created_at")?,
            })
        })
        .transpose()
    }

    /// The stored texts of a policy version; `None` if the version is unknown or was
    /// recorded without its texts.
    pub async fn policy_texts(&self, version: &str) -> Result<Option<PolicyTexts>, StoreError> {
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(
                tx.query(
                    "SELECT version, name, toml_source, cedar_source, schema_source \
                     FROM policy WHERE version = $1",
                )
                .bind(version.to_owned()),
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let (Some(toml), Some(cedar), Some(schema)) = (
            row.get::<Option<String>>("toml_source")?,
            row.get::<Option<String>>("cedar_source")?,
            row.get::<Option<String>>("schema_source")?,
        ) else {
            return Ok(None);
        };
        Ok(Some(PolicyTexts {
            version: row.get("version")?,
            name: row.get("name")?,
            toml,
            cedar,
            schema,
        }))
    }
}

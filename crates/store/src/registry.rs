//! The tool registry (sanctioned tools and their hashed API keys) and the reviewer registry
//! (named people with roles). Registrations and revocations are audited.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use countersign_engine::context::ToolGrant;
use countersign_engine::{ActionKind, EmailAddress, Policy};
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::canonical::{random_base62, sha256_hex};
use crate::db::{Lock, Row, Tx};
use crate::error::StoreError;
use crate::{Store, micros};

/// A registered tool, as listed. The key is never stored, so never listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tool {
    pub tool_id: i64,
    pub name: String,
    pub kinds: BTreeSet<String>,
    pub data_classes: BTreeSet<String>,
    /// First 12 hex digits of the key's SHA-256: enough to tell keys apart in logs.
    pub key_fingerprint: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Tool {
    /// What the engine needs to know about the tool.
    pub fn grant(&self) -> ToolGrant {
        ToolGrant {
            name: self.name.clone(),
            kinds: self.kinds.clone(),
            data_classes: self.data_classes.clone(),
            registered: self.revoked_at.is_none(),
        }
    }
}

/// A just-registered tool with its API key, which is shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct NewTool {
    pub tool: Tool,
    /// `cs_` + 32 base62 characters.
    pub api_key: String,
}

/// A named reviewer with roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reviewer {
    pub reviewer_id: i64,
    pub name: String,
    pub roles: BTreeSet<String>,
    /// Where notifications go (`None`: the reviewer gets no e-mail).
    pub email: Option<String>,
    /// Who the reviewer is in Slack (`U…`): their button clicks count as theirs.
    pub slack_user_id: Option<String>,
    /// Who the reviewer is in Teams (Azure AD object id).
    pub teams_user_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn tool_from(row: &Row) -> Result<Tool, StoreError> {
    let key_hash: String = row.get("key_hash")?;
    Ok(Tool {
        tool_id: row.get("tool_id")?,
        name: row.get("name")?,
        kinds: row.json("kinds")?,
        data_classes: row.json("data_classes")?,
        key_fingerprint: key_hash.chars().take(12).collect(),
        created_at: row.get("created_at")?,
        revoked_at: row.get("revoked_at")?,
    })
}

fn reviewer_from(row: &Row) -> Result<Reviewer, StoreError> {
    Ok(Reviewer {
        reviewer_id: row.get("reviewer_id")?,
        name: row.get("name")?,
        roles: row.json("roles")?,
        email: row.get("email")?,
        slack_user_id: row.get("slack_user_id")?,
        teams_user_id: row.get("teams_user_id")?,
        created_at: row.get("created_at")?,
    })
}

/// Every role must be one the policy declares; the first that is not is named.
pub(crate) fn check_policy_roles(roles: &[String], policy: &Policy) -> Result<(), StoreError> {
    for (i, r) in roles.iter().enumerate() {
        if !policy.config.roles.contains(r) {
            let known: Vec<&str> = policy.config.roles.iter().map(String::as_str).collect();
            return Err(StoreError::invalid(
                format!("roles[{i}]"),
                format!(
                    "`{r}` is not a role of the policy (expected one of {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// A notification address: a bare address by the one e-mail rule
/// ([`EmailAddress::parse`]; the relay judges the rest), without a display name. Public so
/// callers can check before they store.
pub fn check_email(email: &str) -> Result<(), StoreError> {
    let bare = EmailAddress::parse("email", email)
        .is_ok_and(|a| a.as_str().eq_ignore_ascii_case(email.trim()));
    if bare {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "email",
            format!("`{email}` is not an e-mail address like name@example.com"),
        ))
    }
}

/// Names of people (reviewers and accounts): as [`check_name`], and in lower-case ASCII, so
/// a name cannot be another one's look-alike or differ from it only in case.
pub(crate) fn check_person_name(field: &str, name: &str) -> Result<(), StoreError> {
    check_name(field, name)?;
    if name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@'))
    {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            format!(
                "`{name}` must be lower-case ASCII letters, digits, `.`, `_`, `-` or `@` (like `{}`)",
                countersign_engine::names::fold(name)
            ),
        ))
    }
}

/// Names of tools and reviewers: 1–100 letters, digits, `.`, `_`, `-` or `@`.
pub(crate) fn check_name(field: &str, name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            format!("`{name}` must be 1 to 100 letters, digits, `.`, `_`, `-` or `@`"),
        ))
    }
}

/// The tool whose key hashes to `key_hash`, revoked or not.
pub(crate) async fn tool_by_key_hash(
    tx: &mut Tx,
    key_hash: &str,
) -> Result<Option<Tool>, StoreError> {
    let q = tx
        .query("SELECT tool_id, name, key_hash, kinds, data_classes, created_at, revoked_at FROM tool WHERE key_hash = $1")
        .bind(key_hash.to_owned());
    tx.fetch_optional(q)
        .await?
        .as_ref()
        .map(tool_from)
        .transpose()
}

/// The tool with this id, revoked or not.
pub(crate) async fn tool_by_id(tx: &mut Tx, tool_id: i64) -> Result<Option<Tool>, StoreError> {
    let q = tx
        .query("SELECT tool_id, name, key_hash, kinds, data_classes, created_at, revoked_at FROM tool WHERE tool_id = $1")
        .bind(tool_id);
    tx.fetch_optional(q)
        .await?
        .as_ref()
        .map(tool_from)
        .transpose()
}

/// The account a rep's name means, compared folded (case, width, invisible characters and
/// surrounding space do not count; account names are stored folded).
pub(crate) async fn reviewer_named(
    tx: &mut Tx,
    name: &str,
) -> Result<Option<Reviewer>, StoreError> {
    let q = tx
        .query("SELECT reviewer_id, name, roles, email, slack_user_id, teams_user_id, created_at FROM reviewer WHERE name = $1")
        .bind(countersign_engine::names::fold(name));
    tx.fetch_optional(q)
        .await?
        .as_ref()
        .map(reviewer_from)
        .transpose()
}

pub(crate) async fn reviewer_by_name(tx: &mut Tx, name: &str) -> Result<Reviewer, StoreError> {
    let q = tx
        .query("SELECT reviewer_id, name, roles, email, slack_user_id, teams_user_id, created_at FROM reviewer WHERE name = $1")
        .bind(name.to_owned());
    match tx.fetch_optional(q).await? {
        Some(row) => reviewer_from(&row),
        None => Err(StoreError::not_found("reviewer", name)),
    }
}

impl Store {
    /// Registers a tool and returns its API key, which is stored only as a hash.
    ///
    /// `kinds` must be action kinds; `data_classes` must be declared in the policy.
    pub async fn add_tool(
        &self,
        name: &str,
        kinds: &[String],
        data_classes: &[String],
        policy: &Policy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<NewTool, StoreError> {
        let now = micros(now);
        check_name("name", name)?;
        if kinds.is_empty() {
            return Err(StoreError::invalid(
                "kinds",
                "name at least one action kind",
            ));
        }
        for (i, k) in kinds.iter().enumerate() {
            ActionKind::parse(k)
                .map_err(|e| StoreError::invalid(format!("kinds[{i}]"), e.problem))?;
        }
        for (i, c) in data_classes.iter().enumerate() {
            if !policy.config.data_classes.contains_key(c) {
                let known: Vec<&str> = policy
                    .config
                    .data_classes
                    .keys()
                    .map(String::as_str)
                    .collect();
                return Err(StoreError::invalid(
                    format!("data_classes[{i}]"),
                    format!(
                        "`{c}` is not a data class of the policy (expected one of {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        let kinds: BTreeSet<String> = kinds.iter().cloned().collect();
        let data_classes: BTreeSet<String> = data_classes.iter().cloned().collect();
        let api_key = format!("cs_{}", random_base62(32)?);
        let key_hash = sha256_hex(&api_key);

        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let exists = tx
            .fetch_optional(
                tx.query("SELECT tool_id FROM tool WHERE name = $1 AND revoked_at IS NULL")
                    .bind(name.to_owned()),
            )
            .await?;
        if exists.is_some() {
            return Err(StoreError::Refused(format!(
                "tool `{name}` is already registered: revoke it first to issue a new key"
            )));
        }
        let row = tx
            .fetch_one(
                tx.query(
                    "INSERT INTO tool (name, key_hash, kinds, data_classes, created_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     RETURNING tool_id, name, key_hash, kinds, data_classes, created_at, revoked_at",
                )
                .bind(name.to_owned())
                .bind(key_hash)
                .bind(sqlx::types::Json(&kinds))
                .bind(sqlx::types::Json(&data_classes))
                .bind(now),
            )
            .await?;
        let tool = tool_from(&row)?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::ToolRegistration {
                    tool_id: tool.tool_id,
                    name: tool.name.clone(),
                    kinds: tool.kinds.clone(),
                    data_classes: tool.data_classes.clone(),
                    key_fingerprint: tool.key_fingerprint.clone(),
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(NewTool { tool, api_key })
    }

    /// Every tool ever registered, active ones first, then by name.
    pub async fn list_tools(&self) -> Result<Vec<Tool>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(tx.query(
                "SELECT tool_id, name, key_hash, kinds, data_classes, created_at, revoked_at FROM tool \
                 ORDER BY revoked_at IS NOT NULL, name, tool_id",
            ))
            .await?;
        rows.iter().map(tool_from).collect()
    }

    /// Revokes the active tool called `name`: its key is refused from now on.
    pub async fn revoke_tool(
        &self,
        name: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Tool, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let row = tx
            .fetch_optional(
                tx.query(
                    "UPDATE tool SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL \
                     RETURNING tool_id, name, key_hash, kinds, data_classes, created_at, revoked_at",
                )
                .bind(now)
                .bind(name.to_owned()),
            )
            .await?
            .ok_or_else(|| StoreError::not_found("active tool", name))?;
        let tool = tool_from(&row)?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::ToolRevocation {
                    tool_id: tool.tool_id,
                    name: tool.name.clone(),
                    key_fingerprint: tool.key_fingerprint.clone(),
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(tool)
    }

    /// Registers a reviewer, or replaces the roles of an existing one. Roles must be
    /// declared in the policy.
    pub async fn add_reviewer(
        &self,
        name: &str,
        roles: &[String],
        policy: &Policy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Reviewer, StoreError> {
        let now = micros(now);
        check_person_name("name", name)?;
        if roles.is_empty() {
            return Err(StoreError::invalid("roles", "name at least one role"));
        }
        check_policy_roles(roles, policy)?;
        let roles: BTreeSet<String> = roles.iter().cloned().collect();
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let row = tx
            .fetch_one(
                tx.query(
                    "INSERT INTO reviewer (name, roles, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET roles = excluded.roles \
                     RETURNING reviewer_id, name, roles, email, slack_user_id, teams_user_id, created_at",
                )
                .bind(name.to_owned())
                .bind(sqlx::types::Json(&roles))
                .bind(now),
            )
            .await?;
        let reviewer = reviewer_from(&row)?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::ReviewerRegistration {
                    reviewer_id: reviewer.reviewer_id,
                    name: reviewer.name.clone(),
                    roles: reviewer.roles.clone(),
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(reviewer)
    }

    /// Sets (or with `None` clears) where `name`'s notifications are e-mailed. Audited as
    /// `reviewer_email`.
    pub async fn set_reviewer_email(
        &self,
        name: &str,
        email: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Reviewer, StoreError> {
        let now = micros(now);
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = email {
            check_email(e)?;
        }
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let row = tx
            .fetch_optional(
                tx.query(
                    "UPDATE reviewer SET email = $1 WHERE name = $2 \
                     RETURNING reviewer_id, name, roles, email, slack_user_id, teams_user_id, created_at",
                )
                .bind(email.map(str::to_owned))
                .bind(name.to_owned()),
            )
            .await?
            .ok_or_else(|| StoreError::not_found("reviewer", name))?;
        let reviewer = reviewer_from(&row)?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::ReviewerEmail {
                    reviewer_id: reviewer.reviewer_id,
                    email: reviewer.email.clone(),
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(reviewer)
    }

    /// Every reviewer, by name.
    pub async fn list_reviewers(&self) -> Result<Vec<Reviewer>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(tx.query(
                "SELECT reviewer_id, name, roles, email, slack_user_id, teams_user_id, created_at FROM reviewer ORDER BY name",
            ))
            .await?;
        rows.iter().map(reviewer_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("name", "outreach-agent").is_ok());
        assert!(check_name("name", "dana.reyes@acme").is_ok());
        assert_eq!(
            check_name("name", "two words").unwrap_err().to_string(),
            "name: `two words` must be 1 to 100 letters, digits, `.`, `_`, `-` or `@`"
        );
    }
}

//! Accounts for the server: reviewers who log in with a password, admins, and the bearer
//! tokens (sessions) a log-in hands out. Also looks tools up by their API key, the other
//! kind of bearer the server accepts.
//!
//! The store never sees a password: the server hashes it (argon2id) and the store keeps
//! the PHC string. Session tokens and API keys are kept as SHA-256 hashes only, so a copy
//! of the database does not let anyone in. Account changes and log-ins are audited; a
//! failed log-in is not (it would let anyone grow the chain), the server counts it instead.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use countersign_engine::Policy;
use serde::Serialize;

use crate::audit::{self, AccountRef, AuditEvent, Event};
use crate::canonical::{random_base62, sha256_hex};
use crate::db::{Lock, Row, Tx};
use crate::error::StoreError;
use crate::registry::{self, Tool};
use crate::{Store, micros};

/// A reviewer or admin who may log in to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub reviewer_id: i64,
    pub name: String,
    /// Policy roles (`manager`, `deal_desk`, …); may be empty for an admin.
    pub roles: BTreeSet<String>,
    /// Manages tools, accounts, the policy and the audit log.
    pub admin: bool,
    /// Whether a password is set (an account without one cannot log in).
    pub has_password: bool,
    /// Where notifications are e-mailed (`None`: none are).
    pub email: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What a log-in needs: the account and its stored password hash.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: Account,
    /// The argon2id PHC string, if a password is set.
    pub password_hash: Option<String>,
}

/// A fresh session: the bearer token is shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct NewSession {
    /// `csr_` + 32 base62 characters.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: Account,
}

/// The prefix of session tokens; tools' API keys start with `cs_`.
pub const SESSION_TOKEN_PREFIX: &str = "csr_";

/// How stale a session's `last_seen_at` may get before a use writes it again: the idle
/// timeout is exact to within this much, and a busy reviewer costs one write a minute.
const SESSION_TOUCH_INTERVAL: Duration = Duration::minutes(1);

fn account_from(row: &Row) -> Result<Credentials, StoreError> {
    let password_hash: Option<String> = row.get("password_hash")?;
    Ok(Credentials {
        account: Account {
            reviewer_id: row.get("reviewer_id")?,
            name: row.get("name")?,
            roles: row.json("roles")?,
            admin: row.get("admin")?,
            has_password: password_hash.is_some(),
            email: row.get("email")?,
            disabled_at: row.get("disabled_at")?,
            created_at: row.get("created_at")?,
        },
        password_hash,
    })
}

fn check_roles(roles: &[String], admin: bool, policy: &Policy) -> Result<(), StoreError> {
    if roles.is_empty() && !admin {
        return Err(StoreError::invalid(
            "roles",
            "name at least one role (only an admin may have none)",
        ));
    }
    registry::check_policy_roles(roles, policy)
}

fn check_hash(password_hash: &str) -> Result<(), StoreError> {
    // The server passes a PHC string; anything else is a bug, never user input.
    if password_hash.starts_with("$argon2id$") {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "password_hash",
            "must be an argon2id PHC string",
        ))
    }
}

async fn credentials_by_name(tx: &mut Tx, name: &str) -> Result<Option<Credentials>, StoreError> {
    let q = tx
        .query(
            "SELECT reviewer_id, name, roles, admin, password_hash, email, disabled_at, created_at \
             FROM reviewer WHERE name = $1",
        )
        .bind(name.to_owned());
    tx.fetch_optional(q)
        .await?
        .as_ref()
        .map(account_from)
        .transpose()
}

/// Who set a password: the account itself, or an admin or operator resetting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSet {
    /// The account changed its own, having given the current one.
    Change,
    /// An admin (or the CLI's operator) set it; the account's sessions end.
    Reset,
}

impl PasswordSet {
    fn event(self, account: AccountRef) -> AuditEvent {
        match self {
            Self::Change => AuditEvent::PasswordChange(account),
            Self::Reset => AuditEvent::PasswordReset(account),
        }
    }
}

impl Store {
    /// Creates an account (a reviewer who can log in) with roles, the admin flag and a
    /// password hash. Refused if the name is taken.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_account(
        &self,
        name: &str,
        roles: &[String],
        admin: bool,
        password_hash: &str,
        policy: &Policy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, StoreError> {
        let now = micros(now);
        registry::check_person_name("name", name)?;
        check_roles(roles, admin, policy)?;
        check_hash(password_hash)?;
        let roles: BTreeSet<String> = roles.iter().cloned().collect();
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        if credentials_by_name(&mut tx, name).await?.is_some() {
            return Err(StoreError::Refused(format!(
                "account `{name}` already exists"
            )));
        }
        let row = tx
            .fetch_one(
                tx.query(
                    "INSERT INTO reviewer (name, roles, admin, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     RETURNING reviewer_id, name, roles, admin, password_hash, email, disabled_at, created_at",
                )
                    .bind(name.to_owned())
                    .bind(sqlx::types::Json(&roles))
                    .bind(admin)
                    .bind(password_hash.to_owned())
                    .bind(now),
            )
            .await?;
        let account = account_from(&row)?.account;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::AccountRegistration {
                    reviewer_id: account.reviewer_id,
                    name: account.name.clone(),
                    roles: account.roles.clone(),
                    admin: account.admin,
                },
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Sets (or replaces) the password hash of an existing reviewer, so they can log in.
    /// Their existing sessions are revoked. `how` names the audit event: the account's own
    /// change (after proving the current password) or someone else's reset.
    pub async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        how: PasswordSet,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, StoreError> {
        let now = micros(now);
        check_hash(password_hash)?;
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let row = tx
            .fetch_optional(
                tx.query(
                    "UPDATE reviewer SET password_hash = $1 WHERE name = $2 \
                     RETURNING reviewer_id, name, roles, admin, password_hash, email, disabled_at, created_at",
                )
                .bind(password_hash.to_owned())
                .bind(name.to_owned()),
            )
            .await?
            .ok_or_else(|| StoreError::not_found("account", name))?;
        let account = account_from(&row)?.account;
        let q = tx
            .query(
                "UPDATE reviewer_session SET revoked_at = $1 \
                 WHERE reviewer_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(account.reviewer_id);
        tx.execute(q).await?;
        audit::append(
            &mut tx,
            Event {
                what: how.event(AccountRef {
                    reviewer_id: account.reviewer_id,
                    name: account.name.clone(),
                }),
                action_id: None,
                actor,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// The account called `name` with its password hash, for a log-in.
    pub async fn credentials(&self, name: &str) -> Result<Option<Credentials>, StoreError> {
        let mut tx = self.pool.read().await?;
        credentials_by_name(&mut tx, name).await
    }

    /// Every account, by name.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(tx.query(
                "SELECT reviewer_id, name, roles, admin, password_hash, email, disabled_at, created_at \
                 FROM reviewer ORDER BY name",
            ))
            .await?;
        rows.iter()
            .map(|r| account_from(r).map(|c| c.account))
            .collect()
    }

    /// Starts a session for an account that just proved its password; returns the bearer
    /// token (shown once) valid for `ttl`. Audited as `login`.
    pub async fn create_session(
        &self,
        account: &Account,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<NewSession, StoreError> {
        let now = micros(now);
        if account.disabled_at.is_some() {
            return Err(StoreError::Refused(format!(
                "account `{}` is disabled",
                account.name
            )));
        }
        let token = format!("{SESSION_TOKEN_PREFIX}{}", random_base62(32)?);
        let expires_at = now + ttl;
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let q = tx
            .query(
                "INSERT INTO reviewer_session \
                 (token_hash, reviewer_id, expires_at, idle_seconds, last_seen_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(sha256_hex(&token))
            .bind(account.reviewer_id)
            .bind(expires_at)
            .bind(self.options.session_idle.map(|d| d.num_seconds().max(1)))
            .bind(now);
        tx.execute(q).await?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Login {
                    reviewer_id: account.reviewer_id,
                    token_fingerprint: sha256_hex(&token)[..12].to_owned(),
                    expires_at: audit::format_at(expires_at),
                },
                action_id: None,
                actor: &format!("reviewer:{}", account.name),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            token,
            expires_at,
            account: account.clone(),
        })
    }

    /// The account a session token belongs to, if the token is live: not expired, not
    /// logged out, not idle for longer than its idle timeout, account not disabled. Using
    /// a live session moves its idle deadline forward (written at most once a minute, so
    /// reads stay reads).
    pub async fn session_account(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(
                tx.query(
                    "SELECT s.reviewer_session_id, s.last_seen_at, s.idle_seconds, \
                            r.reviewer_id, r.name, r.roles, r.admin, r.password_hash, \
                            r.email, r.disabled_at, r.created_at \
                     FROM reviewer_session s JOIN reviewer r ON r.reviewer_id = s.reviewer_id \
                     WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
                       AND r.disabled_at IS NULL",
                )
                .bind(sha256_hex(token))
                .bind(now),
            )
            .await?;
        drop(tx);
        let Some(row) = row else {
            return Ok(None);
        };
        let last_seen: Option<DateTime<Utc>> = row.get("last_seen_at")?;
        let idle: Option<i64> = row.get("idle_seconds")?;
        if let (Some(seen), Some(idle)) = (last_seen, idle)
            && now >= seen + Duration::seconds(idle)
        {
            return Ok(None);
        }
        if last_seen.is_none_or(|seen| now - seen >= SESSION_TOUCH_INTERVAL) {
            let mut tx = self.pool.write(Lock::Rows).await?;
            let q = tx
                .query(
                    "UPDATE reviewer_session SET last_seen_at = $1 \
                     WHERE reviewer_session_id = $2 AND (last_seen_at IS NULL OR last_seen_at < $1)",
                )
                .bind(now)
                .bind(row.get::<i64>("reviewer_session_id")?);
            tx.execute(q).await?;
            tx.commit().await?;
        }
        account_from(&row).map(|c| Some(c.account))
    }

    /// Ends a session (log-out). Returns whether a live session was ended.
    pub async fn revoke_session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.write(Lock::Rows).await?;
        let n = tx
            .execute(
                tx.query(
                    "UPDATE reviewer_session SET revoked_at = $1 \
                     WHERE token_hash = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(sha256_hex(token)),
            )
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// The active tool named `name`, with its key's hash: the server proposes as a tool it
    /// runs itself (the assistant) by that hash, without holding the key.
    pub async fn active_tool_named(
        &self,
        name: &str,
    ) -> Result<Option<(Tool, String)>, StoreError> {
        let mut tx = self.pool.read().await?;
        let q = tx
            .query("SELECT key_hash FROM tool WHERE name = $1 AND revoked_at IS NULL")
            .bind(name.to_owned());
        let Some(row) = tx.fetch_optional(q).await? else {
            return Ok(None);
        };
        let key_hash: String = row.get("key_hash")?;
        let tool = crate::registry::tool_by_key_hash(&mut tx, &key_hash).await?;
        Ok(tool.map(|t| (t, key_hash)))
    }

    /// The active (not revoked) tool whose API key is `key`.
    pub async fn tool_by_key(&self, key: &str) -> Result<Option<Tool>, StoreError> {
        let mut tx = self.pool.read().await?;
        let tool = crate::registry::tool_by_key_hash(&mut tx, &sha256_hex(key)).await?;
        Ok(tool.filter(|t| t.revoked_at.is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_argon2id_hashes_are_stored() {
        assert!(check_hash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").is_ok());
        assert!(check_hash("hunter2").is_err());
    }

    #[test]
    fn an_account_without_roles_must_be_an_admin() {
        let policy = Policy::default_policy();
        assert!(check_roles(&[], true, policy).is_ok());
        assert_eq!(
            check_roles(&[], false, policy).unwrap_err().to_string(),
            "roles: name at least one role (only an admin may have none)"
        );
        assert!(check_roles(&["wizard".to_owned()], false, policy).is_err());
    }
}

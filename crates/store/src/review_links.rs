//! Acting on a held action from outside the inbox (issue 12): the approve and reject links
//! and the Reply-To address of a notification e-mail, and who a reviewer is in Slack and
//! Teams.
//!
//! A link is a random 128-bit token (lower-case hex, so it survives a mail system that
//! folds the case of an address) bound to one reviewer, one revision of one action and one
//! verb. Only its SHA-256 is stored, like a session's; it works once and until it expires.
//! Using it is a claim (`used_at` set where it was unset) in its own transaction, before the
//! approval: two clicks race for the claim and one loses, and a link whose approval then
//! fails (a newer revision, a role taken away) stays used, which fails closed.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::canonical::sha256_hex;
use crate::db::{Lock, Tx};
use crate::registry::{self, Reviewer};
use crate::{Store, StoreError, micros};

/// What a link lets its reviewer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkVerb {
    Approve,
    Reject,
    /// The Reply-To address: the reply says "approve" or "reject: why".
    Reply,
}

impl LinkVerb {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Reply => "reply",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "approve" => Ok(Self::Approve),
            "reject" => Ok(Self::Reject),
            "reply" => Ok(Self::Reply),
            other => Err(StoreError::Corrupt(format!("unknown link verb `{other}`"))),
        }
    }
}

/// A stored link, as its token finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewLink {
    pub action_id: String,
    pub revision: i64,
    pub verb: LinkVerb,
    /// The reviewer the link was sent to, as registered now.
    pub reviewer: Reviewer,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Why a token does not work, in words for the person who clicked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No such token (mistyped, forged, from another installation, or its reviewer's
    /// account was disabled since).
    Unknown,
    Used(DateTime<Utc>),
    Expired(DateTime<Utc>),
}

impl std::fmt::Display for LinkRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown => f.write_str("this link is not one Countersign sent"),
            Self::Used(at) => write!(
                f,
                "this link was already used ({} UTC); each link works once",
                at.format("%Y-%m-%d %H:%M")
            ),
            Self::Expired(at) => write!(
                f,
                "this link expired at {} UTC",
                at.format("%Y-%m-%d %H:%M")
            ),
        }
    }
}

/// Where a reviewer acted from, when not the inbox or the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    EmailLink,
    EmailReply,
    Slack,
    Teams,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailLink => "email_link",
            Self::EmailReply => "email_reply",
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }
}

/// A chat a reviewer can be known in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chat {
    Slack,
    Teams,
}

impl Chat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }
}

/// 128 random bits as 32 lower-case hex characters.
fn random_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Corrupt(format!("no randomness available: {e}")))?;
    Ok(hex::encode(bytes))
}

/// A token as typed or pasted: trimmed and lower-cased (mail systems may fold case).
fn token_hash(token: &str) -> String {
    sha256_hex(token.trim().to_ascii_lowercase())
}

/// Stores a new link in the caller's transaction and returns its token.
pub(crate) async fn issue(
    tx: &mut Tx,
    action_id: &str,
    revision: i64,
    reviewer_id: i64,
    verb: LinkVerb,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = random_token()?;
    let q = tx
        .query(
            "INSERT INTO review_link \
             (token_hash, action_id, revision, reviewer_id, verb, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash(&token))
        .bind(action_id.to_owned())
        .bind(revision)
        .bind(reviewer_id)
        .bind(verb.as_str())
        .bind(micros(expires_at))
        .bind(now);
    tx.execute(q).await?;
    Ok(token)
}

async fn find(tx: &mut Tx, token: &str) -> Result<Option<(i64, ReviewLink)>, StoreError> {
    let q = tx
        .query(
            "SELECT l.review_link_id, l.action_id, l.revision, l.verb, l.expires_at, l.used_at, \
             r.name FROM review_link l JOIN reviewer r ON r.reviewer_id = l.reviewer_id \
             WHERE l.token_hash = $1 AND r.disabled_at IS NULL",
        )
        .bind(token_hash(token));
    let Some(row) = tx.fetch_optional(q).await? else {
        return Ok(None);
    };
    let name: String = row.get("name")?;
    let link = ReviewLink {
        action_id: row.get("action_id")?,
        revision: row.get("revision")?,
        verb: LinkVerb::parse(&row.get::<String>("verb")?)?,
        reviewer: registry::reviewer_by_name(tx, &name).await?,
        expires_at: row.get("expires_at")?,
        used_at: row.get("used_at")?,
    };
    Ok(Some((row.get("review_link_id")?, link)))
}

fn usable(link: &ReviewLink, now: DateTime<Utc>) -> Result<(), LinkRefusal> {
    if let Some(at) = link.used_at {
        Err(LinkRefusal::Used(at))
    } else if now >= link.expires_at {
        Err(LinkRefusal::Expired(link.expires_at))
    } else {
        Ok(())
    }
}

impl Store {
    /// The link `token` names, if it still works: for the page that asks to confirm.
    pub async fn review_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<ReviewLink, LinkRefusal>, StoreError> {
        let mut tx = self.pool.read().await?;
        Ok(match find(&mut tx, token).await? {
            None => Err(LinkRefusal::Unknown),
            Some((_, link)) => usable(&link, now).map(|()| link),
        })
    }

    /// Uses the link `token` names: once, before it expires. The caller then acts as its
    /// reviewer on its revision.
    pub async fn use_review_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<ReviewLink, LinkRefusal>, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.write(Lock::Rows).await?;
        let Some((id, link)) = find(&mut tx, token).await? else {
            return Ok(Err(LinkRefusal::Unknown));
        };
        if let Err(why) = usable(&link, now) {
            return Ok(Err(why));
        }
        let q = tx
            .query(
                "UPDATE review_link SET used_at = $1 WHERE review_link_id = $2 AND used_at IS NULL",
            )
            .bind(now)
            .bind(id);
        if tx.execute(q).await? == 0 {
            return Ok(Err(LinkRefusal::Used(now)));
        }
        tx.commit().await?;
        Ok(Ok(ReviewLink {
            used_at: Some(now),
            ..link
        }))
    }

    /// The active reviewer known as `user_id` in `chat`, if any.
    pub async fn reviewer_by_chat(
        &self,
        chat: Chat,
        user_id: &str,
    ) -> Result<Option<Reviewer>, StoreError> {
        let mut tx = self.pool.read().await?;
        let q = match chat {
            Chat::Slack => tx.query(
                "SELECT name FROM reviewer WHERE slack_user_id = $1 AND disabled_at IS NULL",
            ),
            Chat::Teams => tx.query(
                "SELECT name FROM reviewer WHERE teams_user_id = $1 AND disabled_at IS NULL",
            ),
        }
        .bind(user_id.to_owned());
        let name = match tx.fetch_optional(q).await? {
            Some(row) => row.get::<String>("name")?,
            None => return Ok(None),
        };
        registry::reviewer_by_name(&mut tx, &name).await.map(Some)
    }

    /// Sets (or with `None` clears) who `name` is in `chat`. Audited as `reviewer_chat`.
    pub async fn set_reviewer_chat(
        &self,
        name: &str,
        chat: Chat,
        user_id: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Reviewer, StoreError> {
        let now = micros(now);
        let user_id = user_id.map(str::trim).filter(|u| !u.is_empty());
        if let Some(u) = user_id
            && (u.len() > 64 || !u.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(StoreError::invalid(
                format!("{}_user_id", chat.as_str()),
                format!(
                    "`{u}` is not a {} user id (up to 64 letters, digits or `-`, like `U024BE7LH` or an Azure AD object id)",
                    chat.as_str()
                ),
            ));
        }
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        if let Some(u) = user_id {
            let taken =
                match chat {
                    Chat::Slack => tx
                        .query("SELECT name FROM reviewer WHERE slack_user_id = $1 AND name <> $2"),
                    Chat::Teams => tx
                        .query("SELECT name FROM reviewer WHERE teams_user_id = $1 AND name <> $2"),
                }
                .bind(u.to_owned())
                .bind(name.to_owned());
            if let Some(row) = tx.fetch_optional(taken).await? {
                let other: String = row.get("name")?;
                return Err(StoreError::invalid(
                    format!("{}_user_id", chat.as_str()),
                    format!("`{u}` is already reviewer `{other}`'s"),
                ));
            }
        }
        let q = match chat {
            Chat::Slack => tx.query("UPDATE reviewer SET slack_user_id = $1 WHERE name = $2"),
            Chat::Teams => tx.query("UPDATE reviewer SET teams_user_id = $1 WHERE name = $2"),
        }
        .bind(user_id.map(str::to_owned))
        .bind(name.to_owned());
        let changed = tx.execute(q).await?;
        if changed == 0 {
            return Err(StoreError::not_found("reviewer", name));
        }
        let reviewer = registry::reviewer_by_name(&mut tx, name).await?;
        audit::append(
            &mut tx,
            Event {
                what: AuditEvent::ReviewerChat {
                    reviewer_id: reviewer.reviewer_id,
                    chat: chat.as_str().to_owned(),
                    user_id: user_id.map(str::to_owned),
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
}

//! Who is calling: tools with their registry API key, reviewers and admins with the
//! session token a log-in gave them — both as `Authorization: Bearer …`.
//!
//! Authentication happens here (the [`Caller`] and [`Proposer`] extractors); what each
//! caller may do is checked in the handlers, on the server, against the stored item
//! (ownership, roles). Each authenticated request takes one token from its principal's
//! rate-limit bucket; failed authentications take one from the client address's bucket,
//! which slows key and password guessing.
//!
//! Passwords are hashed with argon2id on a blocking thread. Keys, tokens and passwords
//! are never logged.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use countersign_store::{Account, SESSION_TOKEN_PREFIX, Tool};

use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A registered, active tool.
    Tool(Tool),
    /// A reviewer or admin with a live session.
    Account(Account),
}

impl Principal {
    /// `tool:NAME` or `reviewer:NAME`, as the audit log names actors.
    pub fn actor(&self) -> String {
        match self {
            Principal::Tool(t) => format!("tool:{}", t.name),
            Principal::Account(a) => format!("reviewer:{}", a.name),
        }
    }

    /// The account, or 403 for a tool.
    pub fn account(&self) -> Result<&Account, ApiError> {
        match self {
            Principal::Account(a) => Ok(a),
            Principal::Tool(_) => Err(ApiError::forbidden(
                "this endpoint is for reviewers and admins: log in with POST /v1/sessions",
            )),
        }
    }

    /// The account if it is an admin, or 403.
    pub fn admin(&self) -> Result<&Account, ApiError> {
        let a = self.account()?;
        if a.admin {
            Ok(a)
        } else {
            Err(ApiError::forbidden("this endpoint is for admins"))
        }
    }
}

/// The authenticated caller of a request, with the bearer it presented.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub token: String,
}

/// The caller of a proposal: a registered tool, or a key the registry does not know (or
/// revoked) — which the store denies and audits as shadow AI rather than turning away.
#[derive(Debug, Clone)]
pub enum Proposer {
    Tool { tool: Tool, key: String },
    Unknown { key: String },
    Account(Account),
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The client's IP address (for anonymous rate limits), `unknown` when not served with
/// connection info.
#[derive(Debug, Clone)]
pub struct PeerIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(peer(parts)))
    }
}

fn peer(parts: &Parts) -> String {
    peer_ip(&parts.extensions)
}

/// The client's IP address from a request's extensions, `unknown` without connection info.
pub fn peer_ip(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// Bearer tokens resolved in the last second, so a busy tool does not cost a database
/// read per request. Only successful look-ups are kept, by the token's SHA-256.
///
/// Why a second and not longer: a revocation, log-out or password change made through
/// this instance clears the cache at once; one made through another instance (or the CLI)
/// takes effect here within [`AuthCache::TTL`].
#[derive(Default)]
pub struct AuthCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (Principal, std::time::Instant)>>,
}

impl AuthCache {
    /// How long a resolved token is trusted without asking the store again.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(1);
    /// Entries kept at most; past it the cache starts over.
    const MAX: usize = 10_000;

    fn get(&self, key: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let (p, at) = entries.get(key)?;
        (at.elapsed() < Self::TTL).then(|| p.clone())
    }

    fn put(&self, key: String, p: Principal) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX {
                entries.clear();
            }
            entries.insert(key, (p, std::time::Instant::now()));
        }
    }

    /// Forgets every resolved token (after a revocation, log-out or password change).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

impl std::fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCache").finish_non_exhaustive()
    }
}

/// Looks up `token` as a session or an API key; `None` when it is neither.
pub async fn resolve(state: &AppState, token: &str) -> Result<Option<Principal>, ApiError> {
    let key = countersign_store::sha256_hex(token);
    if let Some(p) = state.auth_cache.get(&key) {
        return Ok(Some(p));
    }
    let principal = if token.starts_with(SESSION_TOKEN_PREFIX) {
        state
            .store
            .session_account(token, Utc::now())
            .await?
            .map(Principal::Account)
    } else {
        state.store.tool_by_key(token).await?.map(Principal::Tool)
    };
    if let Some(p) = &principal {
        state.auth_cache.put(key, p.clone());
    }
    Ok(principal)
}

/// Takes a token from the principal's bucket.
pub fn limit(state: &AppState, principal: &Principal) -> Result<(), ApiError> {
    match principal {
        Principal::Tool(t) => state.limiter.tool(t.tool_id),
        Principal::Account(a) => state.limiter.account(a.reviewer_id),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer(parts).map(str::to_owned) else {
            state.limiter.anonymous(peer(parts))?;
            return Err(ApiError::unauthorized(
                "missing `Authorization: Bearer …`: use a tool's API key or a session token from POST /v1/sessions",
            )
            .field("Authorization"));
        };
        match resolve(state, &token).await? {
            Some(principal) => {
                limit(state, &principal)?;
                Ok(Caller { principal, token })
            }
            None => {
                state.limiter.anonymous(peer(parts))?;
                Err(ApiError::unauthorized(
                    "the bearer token is not a live session or an active tool's API key",
                )
                .field("Authorization"))
            }
        }
    }
}

impl FromRequestParts<AppState> for Proposer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer(parts).map(str::to_owned) else {
            state.limiter.anonymous(peer(parts))?;
            return Err(ApiError::unauthorized(
                "missing `Authorization: Bearer …`: tools propose with their API key",
            )
            .field("Authorization"));
        };
        match resolve(state, &token).await? {
            Some(Principal::Tool(tool)) => {
                state.limiter.tool(tool.tool_id)?;
                Ok(Proposer::Tool { tool, key: token })
            }
            Some(Principal::Account(a)) => {
                state.limiter.account(a.reviewer_id)?;
                Ok(Proposer::Account(a))
            }
            None if token.starts_with(SESSION_TOKEN_PREFIX) => {
                state.limiter.anonymous(peer(parts))?;
                Err(ApiError::unauthorized("the session token is not live").field("Authorization"))
            }
            None => {
                // Unknown keys share the client address's bucket: recorded, but bounded.
                state.limiter.anonymous(peer(parts))?;
                Ok(Proposer::Unknown { key: token })
            }
        }
    }
}

/// A request with a key the registry does not know (or revoked): counted as a shadow-AI
/// sighting under its own rate limit per address (past it, only answered), never stored,
/// and answered 401. Recording is best effort: its failure is logged, the answer stays 401.
pub async fn unregistered_key(
    state: &AppState,
    ip: &str,
    key: &str,
    request: Option<&serde_json::Value>,
) -> ApiError {
    if state.limiter.anonymous(format!("sighting:{ip}")).is_ok() {
        fn text(v: Option<&serde_json::Value>) -> Option<&str> {
            v.and_then(serde_json::Value::as_str)
        }
        let payload_to = request.and_then(|r| r.pointer("/payload/to"));
        let first_to = match payload_to {
            Some(serde_json::Value::Array(a)) => text(a.first()),
            other => text(other),
        };
        let seen = countersign_store::Sighting {
            key_fingerprint: countersign_store::sha256_hex(key)[..12].to_owned(),
            source: ip.to_owned(),
            kind: text(request.and_then(|r| r.get("kind"))).map(str::to_owned),
            recipient_domain: first_to
                .and_then(|to| to.rsplit_once('@'))
                .map(|(_, domain)| domain.trim().to_lowercase()),
            claimed_tool: text(request.and_then(|r| r.get("tool"))).map(str::to_owned),
        };
        if let Err(e) = state.store.record_sighting(&seen, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "could not record a shadow-AI sighting");
        }
    }
    metrics::counter!(crate::metrics::SHADOW_AI).increment(1);
    ApiError::unauthorized(
        "not an active tool's API key: nothing was stored; ask an admin to register the tool",
    )
    .field("Authorization")
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes) on a blocking
/// thread. Returns the PHC string.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    check_password(&password)?;
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordHasher;
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))
}

/// Whether `password` matches the PHC string `hash`. With no hash (unknown account or no
/// password set) a dummy hash is checked, so a failed log-in takes as long either way.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    use argon2::password_hash::phc::PasswordHash;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let argon = argon2::Argon2::default();
        let known = hash.is_some();
        let hash = match hash {
            Some(h) => Some(h),
            None => DUMMY
                .get_or_init(|| {
                    argon
                        .hash_password(b"countersign-dummy-password")
                        .ok()
                        .map(|h| h.to_string())
                })
                .clone(),
        };
        let Some(parsed) = hash.as_deref().and_then(|h| PasswordHash::new(h).ok()) else {
            return false;
        };
        argon.verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await
    .unwrap_or(false)
}

/// Passwords: at least 12 characters, at most 1024 bytes (argon2 hashes any length, but
/// the limit keeps a request from buying seconds of CPU).
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 12 {
        return Err(ApiError::validation(
            "password",
            "must be at least 12 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(ApiError::validation(
            "password",
            "must be at most 1024 bytes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse battery".into(), Some(hash)).await);
        assert!(!verify_password("correct horse battery".into(), None).await);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough password").is_ok());
    }
}

//! Log-in, once for REST and the inbox's form: per-address and per-name limits, the
//! per-name back-off, and the new session.

use chrono::{Duration, Utc};

use crate::auth::verify_password;
use crate::error::ApiError;
use crate::state::AppState;

/// Checks a name and password and starts a new session: shared by REST log-in and the
/// inbox's log-in form. Rate-limited per client address and per name; a failure does
/// not say which of the two was wrong.
pub async fn authenticate(
    state: &AppState,
    ip: &str,
    name: &str,
    password: String,
) -> Result<countersign_store::NewSession, ApiError> {
    // Names are compared folded: `Ada.Admin` is ada.admin, for log-in and back-off alike.
    let name = countersign_engine::names::fold(name);
    state.limiter.anonymous(format!("login-ip:{ip}"))?;
    if name.is_empty() || name.len() > 100 {
        // No account has such a name (`check_name`): nothing to look up or back off.
        return Err(ApiError::unauthorized("wrong name or password"));
    }
    state.limiter.anonymous(format!("login-name:{name}"))?;
    if password.len() > 1024 {
        return Err(ApiError::validation(
            "password",
            "must be at most 1024 bytes",
        ));
    }
    let account = check_password(state, ip, &name, password).await?;
    let ttl =
        Duration::minutes(i64::try_from(state.config.auth.session_ttl_minutes).unwrap_or(720));
    let session = state
        .store
        .create_session(&account, ttl, Utc::now())
        .await?;
    metrics::counter!(crate::metrics::LOGINS, "result" => "ok").increment(1);
    tracing::info!(account = %account.name, "logged in");
    Ok(session)
}

/// The account `name` if `password` is its password. Refused without looking while the
/// name is backing off; a wrong password counts towards the next back-off.
pub async fn check_password(
    state: &AppState,
    ip: &str,
    name: &str,
    password: String,
) -> Result<countersign_store::Account, ApiError> {
    let now = Utc::now();
    if let Some(until) = state.store.login_blocked_until(name, now).await? {
        return Err(backing_off(until, now));
    }
    let creds = state.store.credentials(name).await?;
    let (account, hash) = match creds {
        Some(c) if c.account.disabled_at.is_none() => (Some(c.account), c.password_hash),
        _ => (None, None),
    };
    let ok = verify_password(password, hash).await;
    match account.filter(|_| ok) {
        Some(account) => {
            state.store.record_login_success(name).await?;
            Ok(account)
        }
        None => {
            metrics::counter!(crate::metrics::LOGINS, "result" => "failed").increment(1);
            tracing::info!("log-in failed");
            if let Some(until) = state.store.record_login_failure(name, ip, now).await? {
                tracing::warn!(%until, "log-ins for a name backing off");
            }
            Err(ApiError::unauthorized("wrong name or password"))
        }
    }
}

/// 429 while a name backs off, with when to try again.
fn backing_off(until: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>) -> ApiError {
    let wait = u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1);
    let mut e = ApiError::rate_limited(wait);
    e.message = format!("too many failed log-ins for this name: try again in {wait} s");
    e
}

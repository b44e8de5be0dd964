//! The log-in page and log-out.
//!
//! A log-in always starts a new session (a new token, so a session id planted before
//! log-in is worthless) and ends the one the browser had, if any. Log-out ends the session
//! in the store, so the old cookie is refused everywhere, not only in this browser.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::{LOGIN_CSRF_COOKIE, PageError, Reviewer, SESSION_COOKIE, cookie, render, same};
use crate::auth::PeerIp;
use crate::service::sessions::authenticate;
use crate::state::AppState;

/// How long the log-in form's anti-CSRF cookie lives.
const LOGIN_FORM_SECS: i64 = 30 * 60;

/// The log-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub csrf: String,
    /// The inbox page to return to.
    #[serde(default)]
    pub next: String,
}

/// What the log-in page is told in its query.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    /// The inbox page asked for before log-in.
    #[serde(default)]
    pub next: String,
    /// Set when the browser's session had ended.
    #[serde(default)]
    pub ended: Option<String>,
    /// Set by the log-out redirect.
    #[serde(default)]
    pub logged_out: Option<String>,
}

/// The log-in form's anti-CSRF value (and other one-use form keys): 32 random bytes, hex.
pub(super) fn random_token() -> Result<String, PageError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PageError::internal(&e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn login_page(
    headers: &HeaderMap,
    status: StatusCode,
    name: &str,
    next: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let token = random_token()?;
    let next = super::return_path(next);
    let html = render(
        "login.html",
        minijinja::context! { csrf => token.clone(), name, next, notice, error },
    )?;
    let mut response = (status, html).into_response();
    let c = super::set_cookie(headers, LOGIN_CSRF_COOKIE, &token, LOGIN_FORM_SECS);
    if let Ok(v) = HeaderValue::from_str(&c) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    Ok(response)
}

/// `GET /inbox/login`.
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let auth = &state.config.auth;
    let notice = if q.logged_out.is_some() {
        Some("You have logged out. Log in again to continue reviewing.".to_owned())
    } else {
        q.ended.is_some().then(|| {
            format!(
                "Your session has ended: you logged out, or it was idle for {} minutes, or it \
                 started {} hours ago. Log in again to continue.",
                auth.session_idle_minutes,
                auth.session_ttl_minutes / 60
            )
        })
    };
    login_page(
        &headers,
        StatusCode::OK,
        "",
        &q.next,
        notice.as_deref(),
        None,
    )
}

/// `POST /inbox/login`: checks the form's token against its cookie, then the password.
pub async fn submit(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(&f.csrf, &expected) {
        return Err(PageError::forbidden(
            "The log-in form is out of date (its anti-CSRF token is missing or wrong), so you \
             are not logged in. Open the log-in page again and retry.",
        ));
    }
    let session = match authenticate(&state, &ip, &f.name, f.password).await {
        Ok(s) => s,
        Err(e) if e.status.is_client_error() => {
            let error = super::sentence(&e.message);
            return login_page(&headers, e.status, &f.name, &f.next, None, Some(&error));
        }
        Err(e) => return Err(e.into()),
    };
    // The session the browser had before, if any, ends: one browser, one session.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        state.store.revoke_session(&old, Utc::now()).await?;
        state.auth_cache.clear();
    }
    let max_age = (session.expires_at - Utc::now()).num_seconds().max(0);
    let mut response = super::see_other(super::return_path(&f.next));
    for c in [
        super::set_cookie(&headers, SESSION_COOKIE, &session.token, max_age),
        super::set_cookie(&headers, LOGIN_CSRF_COOKIE, "", 0),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// The log-out form's field.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /inbox/logout`: ends the session in the store and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    reviewer: Reviewer,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    reviewer.check_csrf(&f.csrf)?;
    state
        .store
        .revoke_session(reviewer.token(), Utc::now())
        .await?;
    state.auth_cache.clear();
    tracing::info!(account = %reviewer.account.name, "logged out");
    let mut response = super::see_other("/inbox/login?logged_out=1");
    if let Ok(v) = HeaderValue::from_str(&super::set_cookie(&headers, SESSION_COOKIE, "", 0)) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    Ok(response)
}

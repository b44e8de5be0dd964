//! The reviewer inbox (DESIGN §4 Web inbox): HTML pages rendered on the server under
//! `/inbox`, one file per page in `inbox/`, templates in `templates/`, one CSS file.
//!
//! How it fits: the pages are a second face of the same operations as REST. A log-in
//! creates the store's reviewer session (the same token REST takes as a bearer), kept in
//! an `HttpOnly; SameSite=Strict` cookie; the session is resolved by [`crate::auth::resolve`]
//! and what a reviewer may see is [`crate::routes::actions::visible`]; approvals, edits
//! and rejections are the store's, which checks roles and separation of duties.
//!
//! Not here: JavaScript (there is none: plain forms, so the Content-Security-Policy
//! allows no script at all), and any rule about who may act (the store decides; the pages
//! only explain the refusal in advance).
//!
//! Anti-CSRF: every state-changing form carries a token. With a session it is derived
//! from the session token (`sha256("countersign-csrf:" + token)`), which an attacker's
//! page can neither read (HttpOnly cookie) nor compute; the log-in form, before a session
//! exists, uses a double-submit cookie. A POST without the right token is 403.

pub mod item;
pub mod login;
pub mod queue;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use countersign_store::Account;
use minijinja::Environment;

use crate::auth::{self, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cs_session";
/// The log-in form's double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "cs_login_csrf";

/// What every inbox response carries: no script may run, nothing may frame the page, and
/// forms post only to this origin.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The inbox's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(queue::page))
        .route("/inbox/login", get(login::form).post(login::submit))
        .route("/inbox/logout", post(login::logout))
        .route("/inbox/items/{action_id}", get(item::page))
        .route("/inbox/items/{action_id}/approve", post(item::approve))
        .route("/inbox/items/{action_id}/edit", post(item::edit))
        .route("/inbox/items/{action_id}/reject", post(item::reject))
        .route("/inbox/static/inbox.css", get(css))
        .layer(middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn css() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../templates/inbox.css"),
    )
        .into_response()
}

/// The templates, parsed once. Names end in `.html`, so minijinja escapes every value.
fn templates() -> Result<&'static Environment<'static>, PageError> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../templates/base.html")),
            ("login.html", include_str!("../templates/login.html")),
            ("queue.html", include_str!("../templates/queue.html")),
            ("item.html", include_str!("../templates/item.html")),
            ("error.html", include_str!("../templates/error.html")),
        ] {
            env.add_template(name, source).map_err(|e| e.to_string())?;
        }
        Ok(env)
    })
    .as_ref()
    .map_err(|e| PageError::internal(e))
}

/// Renders template `name` with `ctx`.
pub fn render(name: &str, ctx: minijinja::Value) -> Result<Html<String>, PageError> {
    let env = templates()?;
    let template = env
        .get_template(name)
        .map_err(|e| PageError::internal(&e))?;
    template
        .render(ctx)
        .map(Html)
        .map_err(|e| PageError::internal(&e))
}

/// An error shown as a page, with the status it deserves and a message a reviewer can act on.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "inbox page failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "the page could not be built: the server log has the details".to_owned(),
        }
    }

    /// 403 with `message`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        // ApiError's message is already safe to show: internal causes are logged and hidden.
        Self {
            status: e.status,
            message: e.message,
        }
    }
}

impl From<countersign_store::StoreError> for PageError {
    fn from(e: countersign_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error").to_owned();
        let page = render(
            "error.html",
            minijinja::context! { title, status => self.status.as_u16(), message => self.message },
        );
        match page {
            Ok(html) => (self.status, html).into_response(),
            Err(_) => (self.status, "error").into_response(),
        }
    }
}

/// A logged-in reviewer or admin, from the session cookie. Without a live session the
/// request is sent to the log-in page.
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub account: Account,
    token: String,
}

impl Reviewer {
    /// The anti-CSRF token of this session, for the forms of the page.
    pub fn csrf(&self) -> String {
        session_csrf(&self.token)
    }

    /// 403 unless `given` is this session's anti-CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), PageError> {
        if same(given, &self.csrf()) {
            Ok(())
        } else {
            Err(PageError::forbidden(
                "the form's anti-CSRF token is missing or wrong: reload the page and try again",
            ))
        }
    }

    /// The session token (for log-out).
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

/// The anti-CSRF token of session `token`.
fn session_csrf(token: &str) -> String {
    countersign_store::sha256_hex(format!("countersign-csrf:{token}"))
}

/// Compares two tokens in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl FromRequestParts<AppState> for Reviewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match auth::resolve(state, &token).await {
            Ok(Some(Principal::Account(account))) => {
                state
                    .limiter
                    .account(account.reviewer_id)
                    .map_err(|e| PageError::from(e).into_response())?;
                Ok(Reviewer { account, token })
            }
            Ok(_) => Err(to_login()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// 303 to `location`.
pub fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

fn to_login() -> Response {
    see_other("/inbox/login")
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`, and Secure when the
/// request came over TLS (as the TLS-terminating proxy says in `X-Forwarded-Proto`).
pub fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age_secs: i64) -> String {
    let tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if tls { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; cs_session=csr_x; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("csr_x"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn the_session_cookie_is_secure_only_over_tls() {
        let mut h = HeaderMap::new();
        assert!(!set_cookie(&h, "n", "v", 1).contains("Secure"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let c = set_cookie(&h, "n", "v", 1);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_compare_exactly() {
        assert_ne!(session_csrf("csr_a"), session_csrf("csr_b"));
        assert!(same(&session_csrf("csr_a"), &session_csrf("csr_a")));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}

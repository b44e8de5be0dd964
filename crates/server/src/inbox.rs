//! The reviewer inbox (DESIGN §4 Web inbox): HTML pages rendered on the server under
//! `/inbox`, one file per page in `inbox/`, templates in `templates/`, one CSS file.
//!
//! How it fits: the pages are a second face of the same operations as REST. A log-in
//! creates the store's reviewer session (the same token REST takes as a bearer), kept in
//! an `HttpOnly; SameSite=Strict` cookie; the session is resolved by [`crate::auth::resolve`]
//! and what a reviewer may see is [`crate::service::actions::visible`]; approvals, edits
//! and rejections are the store's, which checks roles and separation of duties.
//!
//! Not here: JavaScript beyond `revalidate.js` (plain forms; that one static file reloads
//! a page the browser restores with Back, and the Content-Security-Policy allows no other
//! script), and any rule about who may act (the store decides; the pages only explain the
//! refusal in advance).
//!
//! Anti-CSRF: every state-changing form carries a token. With a session it is derived
//! from the session token (`sha256("countersign-csrf:" + token)`), which an attacker's
//! page can neither read (HttpOnly cookie) nor compute; the log-in form, before a session
//! exists, uses a double-submit cookie. A POST without the right token is 403.

pub mod act;
pub mod assess;
pub mod audit;
pub mod bulk;
pub mod charts;
pub mod dashboard;
pub mod deals;
pub mod item;
pub mod login;
pub mod pipeline;
pub mod policy;
pub mod queue;
pub mod shadow;

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;

use axum::extract::{FromRequestParts, Request};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
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

/// What every inbox response carries: no script runs but our one static file (which
/// reloads a page restored from the back-forward cache), nothing may frame the page, and
/// forms post only to this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

/// The inbox's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        // The address `serve` and `demo` print opens the inbox.
        .route("/", get(async || see_other("/inbox")))
        .route("/inbox", get(queue::page))
        .route("/inbox/login", get(login::form).post(login::submit))
        .route("/inbox/logout", post(login::logout))
        .route("/inbox/audit", get(audit::page))
        .route("/inbox/dashboard", get(dashboard::page))
        .route("/inbox/deals", get(deals::page))
        .route("/inbox/pipeline", get(pipeline::page))
        .route("/inbox/shadow", get(shadow::page))
        .route("/inbox/assess", get(assess::page))
        .route("/inbox/policy", get(policy::page))
        .route("/inbox/policy/simulate", post(policy::simulate))
        .route("/inbox/policy/activate", post(policy::activate))
        .route(
            "/inbox/shadow/scan",
            post(shadow::scan).layer(shadow::body_limit()),
        )
        .route(
            "/inbox/pipeline/{opportunity_id}/draft",
            post(pipeline::draft),
        )
        .route("/inbox/glossary", get(glossary))
        .route("/inbox/items/{action_id}", get(item::page))
        .route("/inbox/items/{action_id}/approve", post(item::approve))
        .route("/inbox/items/{action_id}/edit", post(item::edit))
        .route("/inbox/items/{action_id}/reject", post(item::reject))
        .route("/inbox/act/{token}", get(act::page).post(act::submit))
        .route("/inbox/bulk", post(bulk::confirm))
        .route("/inbox/bulk/approve", post(bulk::approve))
        .route("/inbox/static/inbox.css", get(css))
        .route("/inbox/static/revalidate.js", get(revalidate_js))
        .layer(middleware::from_fn(error_pages))
        .layer(middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `GET /inbox/glossary`: the words the pages use, for people.
async fn glossary(reviewer: Reviewer) -> Result<Html<String>, PageError> {
    render(
        "glossary.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => audit::may_see(&reviewer.account),
            nav => "glossary",
        },
    )
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

async fn revalidate_js() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../templates/revalidate.js"),
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
            ("act.html", include_str!("../templates/act.html")),
            ("bulk.html", include_str!("../templates/bulk.html")),
            ("deals.html", include_str!("../templates/deals.html")),
            ("glossary.html", include_str!("../templates/glossary.html")),
            ("pipeline.html", include_str!("../templates/pipeline.html")),
            ("shadow.html", include_str!("../templates/shadow.html")),
            ("assess.html", include_str!("../templates/assess.html")),
            ("policy.html", include_str!("../templates/policy.html")),
            (
                "shadow-report.html",
                include_str!("../templates/shadow-report.html"),
            ),
            ("audit.html", include_str!("../templates/audit.html")),
            (
                "dashboard.html",
                include_str!("../templates/dashboard.html"),
            ),
        ] {
            env.add_template(name, source).map_err(|e| e.to_string())?;
        }
        // Roles and subtopics are stored as identifiers (`deal_desk`); pages show words.
        env.add_filter("role", |s: String| words(&s));
        env.add_filter("subtopic", |s: String| words(&s));
        env.add_filter("kind", |s: String| kind_words(&s));
        Ok(env)
    })
    .as_ref()
    .map_err(|e| PageError::internal(e))
}

/// An identifier as people write it: `deal_desk` → `deal desk`, `sla` → `SLA`.
pub fn words(identifier: &str) -> String {
    const ACRONYMS: [&str; 10] = [
        "sla", "crm", "iban", "ssn", "api", "jwt", "ip", "kb", "soc", "gdpr",
    ];
    identifier
        .split('_')
        .map(|w| {
            if ACRONYMS.contains(&w) {
                w.to_ascii_uppercase()
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An action kind as reviewers say it: `email.send` → "e-mail", `crm.opportunity.update`
/// → "CRM change". A kind a policy adds keeps its name.
pub fn kind_words(kind: &str) -> String {
    use countersign_engine::ActionKind as K;
    match kind {
        K::EMAIL_SEND => "e-mail",
        K::EMAIL_DRAFT => "e-mail draft",
        K::CRM_OPPORTUNITY_UPDATE => "CRM change",
        K::CRM_NOTE_CREATE => "CRM note",
        K::CRM_TASK_CREATE => "CRM task",
        K::NOTIFY_INTERNAL => "internal notice",
        K::RESEARCH_READ => "research",
        other => other,
    }
    .to_owned()
}

/// Roles as words: "deal desk and security", or "no role".
pub fn roles_in_words<'a>(roles: impl IntoIterator<Item = &'a String>) -> String {
    let mut roles: Vec<String> = roles.into_iter().map(|r| words(r)).collect();
    match roles.len() {
        0 => "no role".to_owned(),
        1 => roles.remove(0),
        _ => {
            let last = roles.pop().unwrap_or_default();
            format!("{} and {last}", roles.join(", "))
        }
    }
}

/// A text cut at its backticks, which engine reasons and API messages put around kinds,
/// ids and values: pages show those parts as code instead of literal backticks.
pub fn code_spans(text: &str) -> Vec<minijinja::Value> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| minijinja::context! { code => i % 2 == 1, text => part })
        .collect()
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
#[derive(Debug, Clone)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "inbox page failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The page could not be built; the server log has the details.".to_owned(),
        }
    }

    /// 400 with `message`: a form field the page names.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 403 with `message`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    /// The error page for a request to `path` with `method`: a heading in words, the
    /// message as a sentence, a way back (to the item a refused form was on, else the
    /// queue), and the navigation when `session` says who is logged in.
    fn page(&self, method: &Method, path: &str, session: Option<&Session>) -> Response {
        match render("error.html", self.context(method, path, session)) {
            Ok(html) => (self.status, html).into_response(),
            Err(_) => (self.status, "error").into_response(),
        }
    }

    /// What `error.html` shows for this error (see [`PageError::page`]).
    fn context(&self, method: &Method, path: &str, session: Option<&Session>) -> minijinja::Value {
        let item = path
            .strip_prefix("/inbox/items/")
            .map(|rest| rest.split('/').next().unwrap_or(rest))
            .filter(|id| !id.is_empty());
        let form = *method == Method::POST;
        let (back, back_label) = match item {
            Some(id) if form => (format!("/inbox/items/{id}"), "Back to the item"),
            _ if path.starts_with("/inbox/login") => ("/inbox/login".to_owned(), "Back to log-in"),
            _ => ("/inbox".to_owned(), "Back to the queue"),
        };
        let title = heading(self.status, item.is_some() && !form);
        let message = sentence(&self.message);
        minijinja::context! {
            title,
            status => self.status.as_u16(),
            message => code_spans(&message),
            back, back_label,
            account => session.map(|s| s.account.clone()),
            csrf => session.map(|s| s.csrf.clone()),
            may_audit => session.is_some_and(|s| s.may_audit),
        }
    }
}

/// An error page's heading: what happened in words, not an HTTP reason phrase.
fn heading(status: StatusCode, opening_item: bool) -> &'static str {
    match status {
        StatusCode::FORBIDDEN if opening_item => "You can't open this item",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "Nothing was changed",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        s if s.is_client_error() => "This request cannot be used",
        _ => "Something went wrong",
    }
}

/// `message` as a sentence: a capital first letter and a final stop. API messages are
/// lowercase fragments (STYLE §3); a page shows them to people.
fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', '”', ')']) {
        out.push('.');
    }
    out
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
        // Rendered once, by `error_pages`, which knows the request and who is logged in.
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Who is logged in, as an error page's navigation needs it.
#[derive(Debug, Clone)]
struct Session {
    account: String,
    csrf: String,
    may_audit: bool,
}

/// Where the [`Reviewer`] extractor leaves the session it resolved, so that an error page
/// made after it can show the navigation and the log-out form without resolving it again.
#[derive(Debug, Clone, Default)]
struct SessionSlot(Arc<Mutex<Option<Session>>>);

impl SessionSlot {
    fn set(&self, session: Session) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(session);
        }
    }

    fn get(&self) -> Option<Session> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

/// Renders error pages with what the handler could not know: the request's path
/// (for the way back) and the logged-in reviewer (for the navigation and log-out).
async fn error_pages(mut request: Request, next: Next) -> Response {
    let slot = SessionSlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<PageError>().cloned() else {
        return response;
    };
    error.page(&method, &path, slot.get().as_ref())
}

/// A logged-in reviewer or admin, from the session cookie. Without a live session the
/// request is sent to the log-in page.
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub account: Account,
    token: String,
}

impl Reviewer {
    /// The reviewer as the service layer knows callers.
    pub fn principal(&self) -> crate::auth::Principal {
        crate::auth::Principal::Account(self.account.clone())
    }

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
                "This form is out of date or was not sent from this inbox (its anti-CSRF token \
                 is missing or wrong), so nothing was changed. Open the page again and retry.",
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
pub(crate) fn same(a: &str, b: &str) -> bool {
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
            return Err(to_login(parts, false));
        };
        match auth::resolve(state, &token).await {
            Ok(Some(Principal::Account(account))) => {
                state
                    .limiter
                    .account(account.reviewer_id)
                    .map_err(|e| PageError::from(e).into_response())?;
                let reviewer = Reviewer { account, token };
                if let Some(slot) = parts.extensions.get::<SessionSlot>() {
                    slot.set(Session {
                        account: reviewer.account.name.clone(),
                        csrf: reviewer.csrf(),
                        may_audit: audit::may_see(&reviewer.account),
                    });
                }
                Ok(reviewer)
            }
            // The cookie's session ended: logged out, idle too long, or too old.
            Ok(_) => Err(to_login(parts, true)),
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

/// 303 to the log-in page, which comes back to the page asked for (a link in a
/// notification e-mail lands on its item after log-in) and says when a session ended.
fn to_login(parts: &Parts, ended: bool) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if parts.method == axum::http::Method::GET
        && let Some(next) = parts.uri.path_and_query().map(|p| p.as_str())
        && return_path(next) != "/inbox"
    {
        query.append_pair("next", next);
    }
    if ended {
        query.append_pair("ended", "1");
    }
    match query.finish() {
        q if q.is_empty() => see_other("/inbox/login"),
        q => see_other(&format!("/inbox/login?{q}")),
    }
}

/// Where to go after log-in: `next` when it is a page of this inbox, else the queue. An
/// absolute or protocol-relative URL would make the log-in page an open redirect.
pub fn return_path(next: &str) -> &str {
    let local = next.starts_with("/inbox")
        && !next.starts_with("/inbox/login")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local { next } else { "/inbox" }
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
    fn identifiers_read_as_words() {
        assert_eq!(words("deal_desk"), "deal desk");
        assert_eq!(words("sla"), "SLA");
        assert_eq!(words("data_residency"), "data residency");
        let roles = ["security".to_owned(), "deal_desk".to_owned()];
        assert_eq!(roles_in_words(&roles), "security and deal desk");
        assert_eq!(roles_in_words(&[]), "no role");
    }

    #[test]
    fn api_messages_become_sentences() {
        assert_eq!(
            sentence("wrong name or password"),
            "Wrong name or password."
        );
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn an_error_page_keeps_the_navigation_and_leads_back_to_the_item() {
        let session = Session {
            account: "dee.desk".to_owned(),
            csrf: "t0ken".to_owned(),
            may_audit: false,
        };
        let e = PageError::forbidden("form `x` is stale");
        let refused_form = e.context(&Method::POST, "/inbox/items/act_1/approve", Some(&session));
        // minijinja escapes `/` in attributes; a browser reads it back.
        let html = render("error.html", refused_form)
            .unwrap()
            .0
            .replace("&#x2f;", "/");
        assert!(html.contains("<h1>Not allowed</h1>"), "{html}");
        assert!(html.contains(r#"action="/inbox/logout""#), "{html}");
        assert!(html.contains(r#"value="t0ken""#), "{html}");
        assert!(html.contains("Form <code>x</code> is stale."), "{html}");
        assert!(
            html.contains(r#"href="/inbox/items/act_1" id="back""#),
            "{html}"
        );
        // Opening an item one may not see: its own heading, and back to the queue.
        let html = render(
            "error.html",
            e.context(&Method::GET, "/inbox/items/act_1", None),
        )
        .unwrap()
        .0
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'");
        assert!(html.contains("<h1>You can't open this item</h1>"), "{html}");
        assert!(html.contains(r#"href="/inbox" id="back""#), "{html}");
        assert!(
            !html.contains("/inbox/logout"),
            "no session, no log-out: {html}"
        );
        assert!(
            e.clone()
                .into_response()
                .extensions()
                .get::<PageError>()
                .is_some()
        );
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_compare_exactly() {
        assert_ne!(session_csrf("csr_a"), session_csrf("csr_b"));
        assert!(same(&session_csrf("csr_a"), &session_csrf("csr_a")));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}

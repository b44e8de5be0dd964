//! `/inbox/shadow`: the latest shadow-AI scan for admins, managers, security and legal — per rep and tool,
//! the evidence, when it was seen, what the gate would have held in that mail, and what to
//! do — with a form for admins to scan uploaded mail, CRM exports and extension inventories.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{Html, Response};
use serde_json::Value;

use super::{PageError, Reviewer, render, see_other};
use crate::state::AppState;

/// The largest upload the page's form takes (a mailbox export).
pub const LIMIT: usize = 4 * 1024 * 1024 * 1024;

pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(LIMIT)
}

/// A report's rows as the templates read them.
fn rows(report: &Value) -> Vec<minijinja::Value> {
    report["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    minijinja::context! {
                        kind => r["kind"].as_str().unwrap_or_default().replace('_', " "),
                        code => r["kind"].as_str().unwrap_or_default(),
                        rep => r["rep"].as_str(),
                        tool => r["tool"].as_str(),
                        count => r["count"].as_u64().unwrap_or(0),
                        first => r["first_seen"].as_str().map(|s| s.get(..10).unwrap_or(s).to_owned()),
                        last => r["last_seen"].as_str().map(|s| s.get(..10).unwrap_or(s).to_owned()),
                        evidence => r["evidence"].as_array().map(|e| e.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default(),
                        touched => r["touched"].as_object().map(|t| t.iter().map(|(k, n)| format!("{} ({})", k.replace(['_', '/'], " "), n)).collect::<Vec<_>>()).unwrap_or_default(),
                        recommendation => r["recommendation"].as_str(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What was read, in words (`sent.mbox: 2,000`).
fn read(report: &Value) -> Vec<String> {
    report["read"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| {
                    let name = std::path::Path::new(k)
                        .file_name()
                        .map_or_else(|| k.clone(), |f| f.to_string_lossy().into_owned());
                    format!("{name}: {}", n.as_u64().unwrap_or(0))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /inbox/shadow`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
) -> Result<Html<String>, PageError> {
    let account = &reviewer.account;
    if !super::audit::may_see(account) {
        return Err(PageError::forbidden(
            "The Shadow AI report is for admins, managers, security and legal.",
        ));
    }
    let latest = state.store.latest_scan().await?;
    render(
        "shadow.html",
        minijinja::context! {
            account => account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => super::audit::may_see(account),
            nav => "shadow",
            admin => account.admin,
            scan => latest.as_ref().map(|s| minijinja::context! {
                id => s.scan_id,
                at => s.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                actor => s.actor.clone(),
                version => s.report["signatures_version"].as_str().map(str::to_owned),
                read => read(&s.report),
                rows => rows(&s.report),
            }),
        },
    )
}

/// `POST /inbox/shadow/scan` (admins): scans the uploaded files, then shows the report.
pub async fn scan(
    State(state): State<AppState>,
    reviewer: Reviewer,
    mut form: Multipart,
) -> Result<Response, PageError> {
    if !reviewer.account.admin {
        return Err(PageError::forbidden("Only admins run scans."));
    }
    let dir = tempfile::tempdir().map_err(|e| PageError::internal(&e))?;
    let (inputs, csrf) = crate::routes::scans::receive(&mut form, dir.path()).await?;
    reviewer.check_csrf(&csrf)?;
    crate::service::scans::run(
        &state,
        inputs,
        &format!("reviewer:{}", reviewer.account.name),
    )
    .await?;
    Ok(see_other("/inbox/shadow"))
}

/// A report as a standalone printable page (`countersign scan --format html`).
pub fn report_html(report: &Value) -> Result<String, String> {
    super::render(
        "shadow-report.html",
        minijinja::context! {
            version => report["signatures_version"].as_str(),
            read => read(report),
            rows => rows(report),
        },
    )
    .map(|h| h.0)
    .map_err(|e| e.message)
}

//! The HTTP routes, one file per resource, each with its own `router()`.

pub mod accounts;
pub mod actions;
pub mod assess;
pub mod audit;
pub mod contacts;
pub mod context;
pub mod drafts;
pub mod health;
pub mod imports;
pub mod opportunities;
pub mod policy;
pub mod queue;
pub mod scans;
pub mod sessions;
pub mod suppressions;
pub mod tools;
pub mod triage;

use axum::Router;

use crate::state::AppState;

/// Every REST and operations route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(actions::router())
        .merge(queue::router())
        .merge(sessions::router())
        .merge(accounts::router())
        .merge(tools::router())
        .merge(policy::router())
        .merge(audit::router())
        .merge(contacts::router())
        .merge(opportunities::router())
        .merge(suppressions::router())
        .merge(context::router())
        .merge(drafts::router())
        .merge(scans::router())
        .merge(assess::router())
        .merge(health::router())
        .merge(imports::router())
        .merge(triage::router())
        .merge(crate::channels::router())
}

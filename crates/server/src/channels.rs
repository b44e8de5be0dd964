//! Where reviewers act besides the inbox (issue 12): Slack's buttons, a Teams channel,
//! a reply to the notification e-mail. (The e-mail's links are inbox pages: `inbox/act.rs`.)
//!
//! Each door proves who is asking the way its platform does — Slack signs each request
//! with the app's signing secret, Teams signs an outgoing webhook's request with its
//! security token, a reply carries a single-use token in the address it was sent to and
//! must come from the reviewer's registered address — and then calls the same service
//! functions as the inbox (`service::actions::approve_via`, `reject_via`), so the store's
//! checks (the revision read is the latest, a needed role, separation of duties) are the
//! same whichever door a decision came through, and the audit record names the door.

pub mod reply;
pub mod slack;
pub mod teams;

use axum::Router;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::state::AppState;

/// The channels' routes (only answered when their secrets are configured).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/integrations/slack/interactions",
            post(slack::interaction),
        )
        .route("/v1/integrations/teams/messages", post(teams::message))
        .route("/v1/inbound/email", post(reply::inbound))
}

/// HMAC-SHA256 of `parts` under `key`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    for p in parts {
        mac.update(p);
    }
    mac
}

/// One shared HTTP client for calls back to the chat platforms.
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap_or_default()
    })
}

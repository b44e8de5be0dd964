//! A Teams channel: reviewers answer a notification card with
//! `@Countersign approve <action id> rev <n>` or `@Countersign reject <action id>: why`.
//!
//! Teams posts each mention to the outgoing webhook's URL, `POST
//! /v1/integrations/teams/messages`, signed: `Authorization: HMAC base64(HMAC-SHA256(
//! base64-decoded security token, body))`. Another signature is refused (401). The sender
//! (`from.aadObjectId`) must be a reviewer registered with that Teams id; the answer is
//! Teams' synchronous reply, shown in the thread. An approval names the revision the card
//! showed, so an edit after the card cannot be approved unread.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use countersign_store::{Chat, Via};

use hmac::Mac;

use super::hmac_sha256;
use crate::error::ApiError;
use crate::inbox::act::approved_words;
use crate::service::actions;
use crate::state::AppState;

/// Checks Teams' signature of `body` with the base64 security token.
pub fn verify(token_b64: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let key = STANDARD
        .decode(token_b64)
        .map_err(|_| ApiError::internal(&"notifications.teams_outgoing_secret is not base64"))?;
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("HMAC "))
        .and_then(|sig| STANDARD.decode(sig.trim()).ok())
        .ok_or_else(|| ApiError::unauthorized("missing `Authorization: HMAC <signature>`"))?;
    hmac_sha256(&key, &[body])
        .verify_slice(&given)
        .map_err(|_| {
            ApiError::unauthorized("Authorization: the HMAC does not match the security token")
        })
}

/// What a message asks.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Approve { action_id: String, revision: i64 },
    Reject { action_id: String, reason: String },
}

/// Reads `approve <id> rev <n>` or `reject <id>: why` from a message's text, after the
/// mention (`<at>Countersign</at>`) and any HTML Teams wraps it in.
pub fn command(text: &str) -> Result<Command, String> {
    let plain = strip_tags(text).replace("&nbsp;", " ");
    let usage =
        "Say `approve <action id> rev <n>` (as the card shows it) or `reject <action id>: why`.";
    let mut words = plain
        .split_whitespace()
        .skip_while(|w| !matches!(w.to_ascii_lowercase().as_str(), "approve" | "reject"));
    let verb = words.next().map(str::to_ascii_lowercase).ok_or(usage)?;
    let rest: Vec<&str> = words.collect();
    let rest = rest.join(" ");
    match verb.as_str() {
        "approve" => {
            let mut parts = rest.split_whitespace();
            let id = parts.next().ok_or(usage)?;
            let revision = match (parts.next(), parts.next()) {
                (Some("rev" | "revision"), Some(n)) => {
                    n.parse::<i64>().map_err(|_| usage.to_owned())?
                }
                _ => {
                    return Err(format!(
                        "Say which revision you read: `approve {id} rev <n>` (the card names it)."
                    ));
                }
            };
            Ok(Command::Approve {
                action_id: id.to_owned(),
                revision,
            })
        }
        _ => {
            let (id, reason) = rest.split_once(':').unwrap_or((rest.as_str(), ""));
            let id = id.trim();
            if id.is_empty() {
                return Err(usage.to_owned());
            }
            if reason.trim().is_empty() {
                return Err(format!(
                    "Say why it is rejected: `reject {id}: your reason`. The rep and the tool see it."
                ));
            }
            Ok(Command::Reject {
                action_id: id.to_owned(),
                reason: reason.trim().to_owned(),
            })
        }
    }
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        match c {
            '<' => inside = true,
            '>' if inside => {
                inside = false;
                out.push(' ');
            }
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// `POST /v1/integrations/teams/messages`.
pub async fn message(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let Some(secret) = &state.config.notifications.teams_outgoing_secret else {
        return Err(ApiError::not_found(
            "the Teams outgoing webhook is not configured",
        ));
    };
    verify(secret.expose_secret(), &headers, &body)?;
    let activity: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::validation("body", format!("not a Teams activity: {e}")))?;
    let user = activity["from"]["aadObjectId"].as_str().unwrap_or_default();
    let Some(reviewer) = state.store.reviewer_by_chat(Chat::Teams, user).await? else {
        return Ok(reply(&format!(
            "{} is not a Countersign reviewer: ask an admin to register your Teams id.",
            activity["from"]["name"].as_str().unwrap_or("You")
        )));
    };
    let words = match command(activity["text"].as_str().unwrap_or_default()) {
        Err(usage) => usage,
        Ok(Command::Approve {
            action_id,
            revision,
        }) => {
            match actions::approve_via(
                &state,
                &reviewer.name,
                &action_id,
                revision,
                Some(Via::Teams),
            )
            .await
            {
                Ok(o) => format!("✅ {}: {}", reviewer.name, approved_words(&o)),
                Err(e) => format!("Nothing was changed: {}", e.message),
            }
        }
        Ok(Command::Reject { action_id, reason }) => {
            match actions::reject_via(
                &state,
                &reviewer.name,
                &action_id,
                &reason,
                Some(Via::Teams),
            )
            .await
            {
                Ok(()) => format!(
                    "❌ Rejected by {}: “{reason}”. Nothing is sent.",
                    reviewer.name
                ),
                Err(e) => format!("Nothing was changed: {}", e.message),
            }
        }
    };
    Ok(reply(&words))
}

fn reply(text: &str) -> Json<Value> {
    Json(json!({"type": "message", "text": text}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_after_the_mention() {
        assert_eq!(
            command("<at>Countersign</at> approve act_01 rev 2"),
            Ok(Command::Approve {
                action_id: "act_01".into(),
                revision: 2
            })
        );
        assert_eq!(
            command("<p><at>Countersign</at>&nbsp;Reject act_01: price is wrong</p>"),
            Ok(Command::Reject {
                action_id: "act_01".into(),
                reason: "price is wrong".into()
            })
        );
        assert!(
            command("<at>Countersign</at> approve act_01")
                .unwrap_err()
                .contains("rev <n>")
        );
        assert!(
            command("<at>Countersign</at> reject act_01:  ")
                .unwrap_err()
                .contains("why")
        );
        assert!(command("hello").is_err());
    }
}

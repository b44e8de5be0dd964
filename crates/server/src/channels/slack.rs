//! Slack's interactive messages: the Approve and Reject buttons on a notification.
//!
//! Slack posts each click to `POST /v1/integrations/slack/interactions` as a form with one
//! field, `payload` (JSON), signed: `X-Slack-Signature: v0=hex(HMAC-SHA256(signing secret,
//! "v0:" + X-Slack-Request-Timestamp + ":" + body))`. A request older than five minutes or
//! with another signature is refused (401) before its body is read as anything.
//!
//! The clicking Slack user must be a reviewer registered with that Slack id. Approve
//! approves the revision the message showed (the button's value); Reject opens a dialog
//! (`views.open`, with the bot token) asking why, and its submission rejects. The message
//! is then replaced, through the click's `response_url`, with the outcome and without
//! buttons; a refusal is told to the clicker alone (an ephemeral reply).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use countersign_store::{Chat, Via};

use hmac::Mac;

use super::{client, hmac_sha256};
use crate::error::ApiError;
use crate::inbox::act::approved_words;
use crate::service::actions;
use crate::state::AppState;

/// How old a signed request may be (Slack's advice: five minutes).
const MAX_AGE_SECONDS: i64 = 300;

/// The reject dialog's id.
const REJECT_VIEW: &str = "countersign_reject";

/// Checks Slack's signature of `body`.
pub fn verify(secret: &[u8], headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(ts), Some(sig)) = (
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
    ) else {
        return Err(ApiError::unauthorized(
            "missing X-Slack-Signature or X-Slack-Request-Timestamp",
        ));
    };
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (now - t).abs() <= MAX_AGE_SECONDS);
    if !fresh {
        return Err(ApiError::unauthorized(
            "X-Slack-Request-Timestamp: older than five minutes, or not a time",
        ));
    }
    let given = sig
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .unwrap_or_default();
    hmac_sha256(secret, &[b"v0:", ts.as_bytes(), b":", body])
        .verify_slice(&given)
        .map_err(|_| ApiError::unauthorized("X-Slack-Signature: does not match the signing secret"))
}

/// `POST /v1/integrations/slack/interactions`.
pub async fn interaction(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = &state.config.notifications;
    let Some(secret) = &n.slack_signing_secret else {
        return Err(ApiError::not_found("Slack interactivity is not configured"));
    };
    verify(
        secret.expose_secret().as_bytes(),
        &headers,
        &body,
        Utc::now().timestamp(),
    )?;
    let payload = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| ApiError::validation("payload", "missing"))?;
    let p: Value = serde_json::from_str(&payload)
        .map_err(|e| ApiError::validation("payload", format!("not JSON: {e}")))?;
    let user = p["user"]["id"].as_str().unwrap_or_default();
    let reviewer = state.store.reviewer_by_chat(Chat::Slack, user).await?;
    match p["type"].as_str() {
        Some("block_actions") => {
            let response_url = p["response_url"].as_str().unwrap_or_default().to_owned();
            let Some(reviewer) = reviewer else {
                say(&response_url, &ephemeral(&format!(
                    "Slack user {user} is not a Countersign reviewer: ask an admin to register your Slack id."
                ))).await;
                return Ok(StatusCode::OK.into_response());
            };
            let clicked = &p["actions"][0];
            let (action_id, revision) =
                match clicked["value"].as_str().and_then(|v| v.rsplit_once(':')) {
                    Some((id, rev)) => (id.to_owned(), rev.parse::<i64>().unwrap_or(0)),
                    None => return Ok(StatusCode::OK.into_response()), // "Open" is a link.
                };
            match clicked["action_id"].as_str() {
                Some("approve") => {
                    let reply = match actions::approve_via(
                        &state,
                        &reviewer.name,
                        &action_id,
                        revision,
                        Some(Via::Slack),
                    )
                    .await
                    {
                        Ok(o) => outcome(
                            &p,
                            &format!("✅ {} — {}", reviewer.name, approved_words(&o)),
                        ),
                        Err(e) => ephemeral(&format!("Nothing was changed: {}", e.message)),
                    };
                    say(&response_url, &reply).await;
                }
                Some("reject") => {
                    let opened =
                        open_reject_dialog(&state, &p, &action_id, revision, &response_url).await;
                    if let Err(why) = opened {
                        say(&response_url, &ephemeral(&why)).await;
                    }
                }
                _ => {}
            }
            Ok(StatusCode::OK.into_response())
        }
        Some("view_submission") if p["view"]["callback_id"] == REJECT_VIEW => {
            let Some(reviewer) = reviewer else {
                return Ok(field_error(
                    "You are not a Countersign reviewer in this workspace.",
                ));
            };
            let reason = p["view"]["state"]["values"]["reason"]["reason"]["value"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_owned();
            if reason.is_empty() {
                return Ok(field_error(
                    "Say why it is rejected: the rep and the tool see your reason.",
                ));
            }
            let meta: Value = p["view"]["private_metadata"]
                .as_str()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_default();
            let action_id = meta["action_id"].as_str().unwrap_or_default();
            let response_url = meta["response_url"].as_str().unwrap_or_default();
            match actions::reject_via(&state, &reviewer.name, action_id, &reason, Some(Via::Slack))
                .await
            {
                Ok(()) => {
                    say(response_url, &json!({
                        "replace_original": true,
                        "text": format!("❌ Rejected by {}: “{reason}”. Nothing is sent.", reviewer.name),
                    })).await;
                    Ok(Json(json!({"response_action": "clear"})).into_response())
                }
                Err(e) => Ok(field_error(&format!("Nothing was changed: {}", e.message))),
            }
        }
        _ => Ok(StatusCode::OK.into_response()),
    }
}

/// The message after a decision: the original text with the outcome, and no buttons.
fn outcome(p: &Value, words: &str) -> Value {
    let mut blocks: Vec<Value> = p["message"]["blocks"]
        .as_array()
        .map(|b| {
            b.iter()
                .filter(|b| b["type"] != "actions")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": words}}));
    json!({"replace_original": true, "text": words, "blocks": blocks})
}

fn ephemeral(text: &str) -> Value {
    json!({"response_type": "ephemeral", "replace_original": false, "text": text})
}

/// A dialog error beside the reason field.
fn field_error(text: &str) -> Response {
    Json(json!({"response_action": "errors", "errors": {"reason": text}})).into_response()
}

/// Posts to a click's `response_url` (a Slack URL valid for 30 minutes). Failures are
/// logged: the decision is already stored and the inbox shows it.
async fn say(response_url: &str, message: &Value) {
    if !response_url.starts_with("https://") && !response_url.starts_with("http://") {
        return;
    }
    if let Err(e) = client().post(response_url).json(message).send().await {
        tracing::warn!(error = %e.without_url(), "slack response_url unreachable");
    }
}

/// Opens the dialog that asks why (Slack's `views.open` with the click's `trigger_id`).
async fn open_reject_dialog(
    state: &AppState,
    p: &Value,
    action_id: &str,
    revision: i64,
    response_url: &str,
) -> Result<(), String> {
    let n = &state.config.notifications;
    let Some(token) = &n.slack_bot_token else {
        return Err("To reject with a reason, open the item in Countersign (this Slack app has no bot token for a dialog).".to_owned());
    };
    let api = n
        .slack_api_url
        .as_deref()
        .unwrap_or("https://slack.com/api");
    let view = json!({
        "type": "modal",
        "callback_id": REJECT_VIEW,
        "private_metadata": json!({"action_id": action_id, "revision": revision, "response_url": response_url}).to_string(),
        "title": {"type": "plain_text", "text": "Reject"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{
            "type": "input", "block_id": "reason",
            "label": {"type": "plain_text", "text": "Why is it rejected? The rep and the tool see this."},
            "element": {"type": "plain_text_input", "action_id": "reason", "multiline": true},
        }],
    });
    let sent = client()
        .post(format!("{}/views.open", api.trim_end_matches('/')))
        .bearer_auth(token.expose_secret())
        .json(&json!({"trigger_id": p["trigger_id"], "view": view}))
        .send()
        .await
        .map_err(|e| format!("Slack could not open the dialog: {}", e.without_url()))?;
    let answer: Value = sent.json().await.unwrap_or_default();
    if answer["ok"] == true {
        Ok(())
    } else {
        Err(format!(
            "Slack could not open the dialog ({}); reject it in Countersign instead.",
            answer["error"].as_str().unwrap_or("no answer")
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    /// Slack's documented example request and signature.
    #[test]
    fn slack_documented_signature_verifies() {
        let secret = b"8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let mut headers = HeaderMap::new();
        headers.insert("x-slack-request-timestamp", "1531420618".parse().unwrap());
        headers.insert(
            "x-slack-signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
                .parse()
                .unwrap(),
        );
        assert!(verify(secret, &headers, body, 1_531_420_618 + 10).is_ok());
        // Six minutes later the same request is a replay.
        assert!(verify(secret, &headers, body, 1_531_420_618 + 360).is_err());
        // One byte changed.
        assert!(verify(secret, &headers, &body[1..], 1_531_420_618).is_err());
    }
}

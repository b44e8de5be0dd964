//! Replies to a notification e-mail: "approve", or "reject: why".
//!
//! The mail gateway (Postfix piping to `curl`, or a provider's inbound route) posts each
//! message that reaches the reply address to `POST /v1/inbound/email`, the raw message as
//! the body, with `Authorization: Bearer <notifications.inbound_email_secret>`. The
//! message must be addressed to the plus-tagged address one notification carried (its
//! token works once, for one reviewer and one revision) and come from that reviewer's
//! registered address; its first line that is not quoted says what to do.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::Utc;
use mail_parser::{HeaderValue, MessageParser};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use countersign_store::{LinkVerb, Via};

use crate::error::ApiError;
use crate::inbox::act::approved_words;
use crate::service::actions;
use crate::state::AppState;

/// What a reply says.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Approve,
    Reject(String),
}

/// The answer in a reply's text: its first line that is neither empty nor quoted (`>`),
/// read before a signature or the quoted notification.
pub fn answer(text: &str) -> Result<Answer, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('>'))
        .unwrap_or_default();
    let lower = line.to_lowercase();
    let word = lower
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    match word {
        "approve" | "approved" => Ok(Answer::Approve),
        "reject" | "rejected" => {
            let reason = line[word.len()..]
                .trim_start_matches([':', '-', ' ', '—'])
                .trim();
            if reason.is_empty() {
                Err("say why after \"reject:\" — the rep and the tool see the reason".to_owned())
            } else {
                Ok(Answer::Reject(reason.to_owned()))
            }
        }
        _ => {
            Err("the reply's first line must be \"approve\" or \"reject: your reason\"".to_owned())
        }
    }
}

/// The token in the plus-tagged reply address among `addresses`, for the configured
/// `reply_to` (`approvals@cs.example.com` → `approvals+<token>@cs.example.com`).
pub fn token_in<'a>(
    reply_to: &str,
    addresses: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let (local, domain) = reply_to.split_once('@')?;
    let local = local.to_ascii_lowercase();
    addresses.into_iter().find_map(|a| {
        let (l, d) = a.trim().rsplit_once('@')?;
        let l = l.to_ascii_lowercase();
        let tag = l.strip_prefix(&local)?.strip_prefix('+')?;
        (d.eq_ignore_ascii_case(domain) && !tag.is_empty()).then(|| tag.to_owned())
    })
}

/// `POST /v1/inbound/email`.
pub async fn inbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let n = &state.config.notifications;
    let (Some(secret), Some(reply_to)) = (&n.inbound_email_secret, &n.reply_to) else {
        return Err(ApiError::not_found("replies by e-mail are not configured"));
    };
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::inbox::same(bearer, secret.expose_secret()) {
        return Err(ApiError::unauthorized(
            "the mail gateway's bearer secret is wrong",
        ));
    }
    let message = MessageParser::default()
        .parse(&body[..])
        .ok_or_else(|| ApiError::validation("body", "not an e-mail message"))?;
    // Where the gateway says it was delivered, then the visible recipients.
    let mut addresses: Vec<String> = Vec::new();
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for h in message.header_values(name) {
            if let HeaderValue::Text(t) = h {
                addresses.push(t.to_string());
            }
        }
    }
    for list in [message.to(), message.cc()].into_iter().flatten() {
        addresses.extend(list.iter().filter_map(|a| a.address()).map(str::to_owned));
    }
    let Some(token) = token_in(reply_to, addresses.iter().map(String::as_str)) else {
        return Err(ApiError::validation(
            "to",
            format!("no reply address like {reply_to} with a token"),
        ));
    };
    let from = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_owned();
    let text = message.body_text(0).unwrap_or_default();
    let answer = answer(&text).map_err(|e| ApiError::validation("body", e))?;
    // The sender is checked before the token is used, so a forged From costs it nothing.
    let link = match state.store.review_link(&token, Utc::now()).await? {
        Ok(link) if link.verb == LinkVerb::Reply => link,
        Ok(_) => {
            return Err(ApiError::not_found(
                "this reply address is not one Countersign sent",
            ));
        }
        Err(why) => {
            return Err(ApiError::new(
                axum::http::StatusCode::GONE,
                "link_refused",
                why.to_string(),
            ));
        }
    };
    if !link
        .reviewer
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(&from))
    {
        return Err(ApiError::forbidden(format!(
            "the reply comes from `{from}`, not from the address the notification went to"
        )));
    }
    let link = match state.store.use_review_link(&token, Utc::now()).await? {
        Ok(link) => link,
        Err(why) => {
            return Err(ApiError::new(
                axum::http::StatusCode::GONE,
                "link_refused",
                why.to_string(),
            ));
        }
    };
    let who = &link.reviewer.name;
    let done = match answer {
        Answer::Approve => {
            let o = actions::approve_via(
                &state,
                who,
                &link.action_id,
                link.revision,
                Some(Via::EmailReply),
            )
            .await?;
            json!({"action_id": link.action_id, "reviewer": who, "done": "approved", "status": o.status, "outcome": approved_words(&o)})
        }
        Answer::Reject(reason) => {
            actions::reject_via(&state, who, &link.action_id, &reason, Some(Via::EmailReply))
                .await?;
            json!({"action_id": link.action_id, "reviewer": who, "done": "rejected", "reason": reason})
        }
    };
    Ok(Json(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_unquoted_line_is_the_answer() {
        assert_eq!(
            answer("Approve\n\n> On Mon, Countersign wrote:\n> reject"),
            Ok(Answer::Approve)
        );
        assert_eq!(answer("\n  approved!\n-- \nDora"), Ok(Answer::Approve));
        assert_eq!(
            answer("Reject: the discount is too deep"),
            Ok(Answer::Reject("the discount is too deep".into()))
        );
        assert_eq!(
            answer("reject - wrong contact"),
            Ok(Answer::Reject("wrong contact".into()))
        );
        assert!(answer("reject").is_err());
        assert!(answer("> approve\nlooks fine to me").is_err());
        assert!(answer("I approve").is_err());
    }

    #[test]
    fn the_token_is_the_plus_tag_of_the_reply_address() {
        let r = "approvals@cs.example.com";
        assert_eq!(
            token_in(
                r,
                ["dora@seller.example", "Approvals+ABC123@CS.example.com"]
            ),
            Some("abc123".into())
        );
        assert_eq!(token_in(r, ["approvals@cs.example.com"]), None);
        assert_eq!(token_in(r, ["approvals+abc@evil.example"]), None);
        assert_eq!(token_in(r, ["approvalsx+abc@cs.example.com"]), None);
    }
}

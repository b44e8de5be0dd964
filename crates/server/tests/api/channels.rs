//! Approving where reviewers are (issue 12), end to end: the notification e-mail's links
//! and a reply to it (through a real SMTP server), Slack's buttons and reject dialog, and
//! a Teams channel — each against a local HTTP receiver playing the platform, which signs
//! its requests the way Slack and Teams do. Each door is probed as an attacker would:
//! forged signatures, replayed and expired tokens, a reviewer without the role, the rep
//! approving their own protected moment.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use countersign_server::config::SmtpSection;
use countersign_store::{Chat, LinkRefusal};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{DISCOUNT, Kind, TestApp};
use crate::smtp::SmtpServer;

/// What the fake platform received: (path, body).
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A local receiver for incoming webhooks, `response_url` posts and Slack's `views.open`
/// (answered `{"ok": true}`). Returns its base URL.
async fn platform() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/{*path}",
        post(
            move |axum::extract::Path(path): axum::extract::Path<String>,
                  axum::Json(body): axum::Json<Value>| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push((path, body));
                    axum::Json(json!({"ok": true}))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// Waits for the first body posted to `path`.
async fn posted(got: &Received, path: &str, skip: usize) -> Value {
    for _ in 0..200 {
        if let Some((_, b)) = got
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .nth(skip)
        {
            return b.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing posted to /{path}: {:?}", got.lock().unwrap());
}

const SLACK_SECRET: &str = "slack-signing-secret-0123456789";
const INBOUND_SECRET: &str = "inbound-mail-secret-0123456789";

fn teams_token() -> String {
    STANDARD.encode(b"teams outgoing webhook security token")
}

async fn app_with_channels(kind: Kind, smtp_port: u16, platform: &str) -> Option<TestApp> {
    let platform = platform.to_owned();
    TestApp::spawn_with(
        kind,
        move |c| {
            c.outbox.smtp = Some(SmtpSection {
                host: "127.0.0.1".to_owned(),
                port: smtp_port,
                from: "Sales <sales@seller.example>".to_owned(),
                timeout_ms: 5_000,
            });
            c.outbox.interval_ms = 100;
            let n = &mut c.notifications;
            n.email = true;
            n.inbox_url = Some("https://cs.example.com".to_owned());
            n.reply_to = Some("approvals@cs.example.com".to_owned());
            n.inbound_email_secret = Some(SecretString::from(INBOUND_SECRET));
            n.slack_webhook_url = Some(SecretString::from(format!("{platform}/slack/hook")));
            n.slack_signing_secret = Some(SecretString::from(SLACK_SECRET));
            n.slack_bot_token = Some(SecretString::from("xoxb-test"));
            n.slack_api_url = Some(format!("{platform}/api"));
            n.teams_webhook_url = Some(SecretString::from(format!("{platform}/teams/hook")));
            n.teams_outgoing_secret = Some(SecretString::from(teams_token()));
        },
        None,
    )
    .await
}

/// The deal desk reviewer with an address and chat ids, and a rep-only reviewer in Slack.
async fn reviewers(app: &TestApp) {
    app.account("dee.desk", &["deal_desk"], false).await;
    app.account("rita.rep", &["rep"], false).await;
    let store = &app.state.store;
    let now = chrono::Utc::now();
    store
        .set_reviewer_email("dee.desk", Some("dee@seller.example"), "cli:test", now)
        .await
        .unwrap();
    store
        .set_reviewer_chat("dee.desk", Chat::Slack, Some("U0DEE"), "cli:test", now)
        .await
        .unwrap();
    store
        .set_reviewer_chat(
            "dee.desk",
            Chat::Teams,
            Some("aad-dee-0001"),
            "cli:test",
            now,
        )
        .await
        .unwrap();
    store
        .set_reviewer_chat("rita.rep", Chat::Slack, Some("U0RITA"), "cli:test", now)
        .await
        .unwrap();
    // One chat id is one reviewer.
    let taken = store
        .set_reviewer_chat(
            "rita.rep",
            Chat::Teams,
            Some("aad-dee-0001"),
            "cli:test",
            now,
        )
        .await
        .unwrap_err();
    assert!(
        taken.to_string().contains("already reviewer `dee.desk`"),
        "{taken}"
    );
}

async fn held(app: &TestApp, key: &str) -> String {
    let r = app.propose_email(key, "dana@acme.example", DISCOUNT).await;
    assert_eq!(r.body["decision"]["decision"], "hold", "{:?}", r.body);
    r.body["action_id"].as_str().unwrap().to_owned()
}

async fn status(app: &TestApp, id: &str) -> String {
    let r = app.get(&format!("/v1/actions/{id}"), &app.admin).await;
    r.body["status"].as_str().unwrap_or_default().to_owned()
}

/// The notification e-mail to dee about `id`, parsed: its text and Reply-To.
async fn notification(smtp: &SmtpServer, id: &str) -> (String, String) {
    let raw = smtp
        .wait_for(Duration::from_secs(20), |m| {
            m.contains("X-RcptTo: dee@seller.example")
                && mail_parser::MessageParser::default()
                    .parse(m.as_bytes())
                    .and_then(|p| p.body_text(0).map(|t| t.contains(id)))
                    .unwrap_or(false)
        })
        .await;
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().into_owned();
    let reply_to = parsed
        .reply_to()
        .and_then(|r| r.first())
        .and_then(|a| a.address())
        .unwrap()
        .to_owned();
    (text, reply_to)
}

/// The path of the link on the line starting with `label`.
fn link(text: &str, label: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line in {text}"));
    let url = line.split_whitespace().last().unwrap();
    url.strip_prefix("https://cs.example.com")
        .unwrap()
        .to_owned()
}

async fn page(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let post = method == reqwest::Method::POST;
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    if post {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        req = req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn e_mail_links_and_replies_act_once_for_their_reviewer(kind: Kind) {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let (platform_url, _) = platform().await;
    let Some(app) = app_with_channels(kind, smtp.port, &platform_url).await else {
        return;
    };
    reviewers(&app).await;
    let key = app.tool("drafter").await;

    // Approve by link: opening it changes nothing (mail scanners fetch links).
    let a = held(&app, &key).await;
    let (text, reply_to) = notification(&smtp, &a).await;
    assert!(
        reply_to.starts_with("approvals+") && reply_to.ends_with("@cs.example.com"),
        "{reply_to}"
    );
    assert!(text.contains("work once, for you only"), "{text}");
    let approve = link(&text, "Approve as deal desk:");
    let (s, html) = page(&app, reqwest::Method::GET, &approve, &[]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("Approve the e-mail to dana@acme.example as deal desk?"),
        "{html}"
    );
    assert!(html.contains("15% off"), "{html}");
    assert_eq!(status(&app, &a).await, "held");
    let (s, html) = page(&app, reqwest::Method::POST, &approve, &[("reason", "")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Every role has countersigned"), "{html}");
    assert_eq!(status(&app, &a).await, "approved");
    smtp.wait_for(Duration::from_secs(20), |m| {
        m.contains("X-RcptTo: dana@acme.example")
    })
    .await;
    // Replayed: refused, and it says why.
    let (s, html) = page(&app, reqwest::Method::POST, &approve, &[]).await;
    assert_eq!(s, StatusCode::GONE, "{html}");
    assert!(html.contains("already used"), "{html}");
    // A forged token.
    let (s, _) = page(
        &app,
        reqwest::Method::GET,
        "/inbox/act/0123456789abcdef0123456789abcdef",
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Reject by link: a blank reason is answered beside the field and costs nothing.
    let b = held(&app, &key).await;
    let (text, _) = notification(&smtp, &b).await;
    let reject = link(&text, "Reject (with a reason):");
    let token = reject.rsplit('/').next().unwrap().to_owned();
    // Expired after its time (72 hours by default).
    let later = chrono::Utc::now() + chrono::Duration::hours(73);
    assert!(matches!(
        app.state.store.review_link(&token, later).await.unwrap(),
        Err(LinkRefusal::Expired(_))
    ));
    let (s, html) = page(&app, reqwest::Method::POST, &reject, &[("reason", "   ")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"reason-problem\""), "{html}");
    let (s, html) = page(
        &app,
        reqwest::Method::POST,
        &reject,
        &[("reason", "Too deep a discount")],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert_eq!(status(&app, &b).await, "rejected");

    // Reply "approve" from the registered address.
    let c = held(&app, &key).await;
    let (_, reply_to) = notification(&smtp, &c).await;
    let reply = |from: &str, body: &str| {
        format!(
            "From: Dee <{from}>\r\nTo: {reply_to}\r\nSubject: Re: [Countersign] Review needed\r\n\
             Message-ID: <r1@seller.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        )
    };
    let inbound = |secret: &str, message: String| {
        app.client
            .post(format!("{}/v1/inbound/email", app.base))
            .bearer_auth(secret)
            .header("content-type", "message/rfc822")
            .body(message)
            .send()
    };
    let r = inbound(
        "wrong-secret-0123456789",
        reply("dee@seller.example", "approve"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A forged From is refused and leaves the token unused.
    let r = inbound(INBOUND_SECRET, reply("mallory@evil.example", "approve"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = inbound(
        INBOUND_SECRET,
        reply("dee@seller.example", "Approve\r\n\r\n> reject: quoted"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["done"], "approved", "{body}");
    assert_eq!(status(&app, &c).await, "approved");
    let r = inbound(INBOUND_SECRET, reply("dee@seller.example", "approve"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);

    // The audit log names the door.
    let audit = app.audit_export().await;
    assert!(audit.contains("\"via\":\"email_link\""), "{audit}");
    assert!(audit.contains("\"via\":\"email_reply\""), "{audit}");
    app.stop().await;
}
api_test!(e_mail_links_and_replies_act_once_for_their_reviewer);

/// Signs a Slack interaction as Slack does.
fn slack_request(app: &TestApp, payload: &Value, ts: i64, secret: &str) -> reqwest::RequestBuilder {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    app.client
        .post(format!("{}/v1/integrations/slack/interactions", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", sig)
        .body(body)
}

async fn slack_buttons_approve_and_reject_as_the_clicking_reviewer(kind: Kind) {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let (platform_url, got) = platform().await;
    let Some(app) = app_with_channels(kind, smtp.port, &platform_url).await else {
        return;
    };
    reviewers(&app).await;
    let key = app.tool("drafter").await;
    let a = held(&app, &key).await;
    let message = posted(&got, "slack/hook", 0).await;
    let buttons = &message["blocks"][2]["elements"];
    assert_eq!(buttons[0]["action_id"], "approve", "{message}");
    assert_eq!(buttons[0]["value"], format!("{a}:1"));
    let click = |user: &str, action: &str, response: &str| {
        json!({
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": "trigger-1",
            "response_url": format!("{platform_url}/{response}"),
            "message": message,
            "actions": [{"action_id": action, "value": format!("{a}:1")}],
        })
    };
    let now = chrono::Utc::now().timestamp();
    // Forged: another secret; replayed: six minutes old.
    let r = slack_request(
        &app,
        &click("U0DEE", "approve", "r0"),
        now,
        "not-the-signing-secret",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = slack_request(
        &app,
        &click("U0DEE", "approve", "r0"),
        now - 360,
        SLACK_SECRET,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(status(&app, &a).await, "held");
    // A reviewer without the role: told privately, nothing changes.
    let r = slack_request(&app, &click("U0RITA", "approve", "r1"), now, SLACK_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let told = posted(&got, "r1", 0).await;
    assert_eq!(told["response_type"], "ephemeral", "{told}");
    assert!(
        told["text"]
            .as_str()
            .unwrap()
            .contains("Nothing was changed"),
        "{told}"
    );
    // Someone Slack knows and Countersign does not.
    slack_request(&app, &click("U0NOBODY", "approve", "r2"), now, SLACK_SECRET)
        .send()
        .await
        .unwrap();
    assert!(
        posted(&got, "r2", 0).await["text"]
            .as_str()
            .unwrap()
            .contains("not a Countersign reviewer")
    );
    // The deal desk approves: released, and the message shows the outcome without buttons.
    let r = slack_request(&app, &click("U0DEE", "approve", "r3"), now, SLACK_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let updated = posted(&got, "r3", 0).await;
    assert_eq!(updated["replace_original"], true, "{updated}");
    assert!(
        updated["text"].as_str().unwrap().contains("dee.desk"),
        "{updated}"
    );
    assert!(
        !updated["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["type"] == "actions")
    );
    assert_eq!(status(&app, &a).await, "approved");

    // Reject: the dialog asks why; a blank reason is answered beside the field.
    let b = held(&app, &key).await;
    let message = posted(&got, "slack/hook", 1).await;
    let reject = json!({
        "type": "block_actions", "user": {"id": "U0DEE"}, "trigger_id": "trigger-2",
        "response_url": format!("{platform_url}/r4"), "message": message,
        "actions": [{"action_id": "reject", "value": format!("{b}:1")}],
    });
    slack_request(&app, &reject, now, SLACK_SECRET)
        .send()
        .await
        .unwrap();
    let opened = posted(&got, "api/views.open", 0).await;
    assert_eq!(opened["trigger_id"], "trigger-2");
    let metadata = opened["view"]["private_metadata"]
        .as_str()
        .unwrap()
        .to_owned();
    let submit = |reason: &str| {
        json!({
            "type": "view_submission", "user": {"id": "U0DEE"},
            "view": {"callback_id": "countersign_reject", "private_metadata": metadata,
                     "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}}},
        })
    };
    let r: Value = slack_request(&app, &submit("  "), now, SLACK_SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["response_action"], "errors", "{r}");
    assert_eq!(status(&app, &b).await, "held");
    let r: Value = slack_request(&app, &submit("Wrong price"), now, SLACK_SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["response_action"], "clear", "{r}");
    assert_eq!(status(&app, &b).await, "rejected");
    assert!(
        posted(&got, "r4", 0).await["text"]
            .as_str()
            .unwrap()
            .contains("Wrong price")
    );
    assert!(app.audit_export().await.contains("\"via\":\"slack\""));
    app.stop().await;
}
api_test!(slack_buttons_approve_and_reject_as_the_clicking_reviewer);

/// Signs a Teams outgoing-webhook request as Teams does.
fn teams_request(
    app: &TestApp,
    from: &str,
    text: &str,
    token_b64: &str,
) -> reqwest::RequestBuilder {
    let body = json!({
        "type": "message", "text": text,
        "from": {"id": "29:1", "name": "Dee", "aadObjectId": from},
    })
    .to_string();
    let key = STANDARD.decode(token_b64).unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(body.as_bytes());
    app.client
        .post(format!("{}/v1/integrations/teams/messages", app.base))
        .header("content-type", "application/json")
        .header(
            "authorization",
            format!("HMAC {}", STANDARD.encode(mac.finalize().into_bytes())),
        )
        .body(body)
}

/// What Countersign answers a correctly signed Teams message, as text.
async fn teams_says(app: &TestApp, from: &str, text: &str) -> String {
    let r: Value = teams_request(app, from, text, &teams_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["text"].as_str().unwrap_or_default().to_owned()
}

async fn teams_commands_act_as_the_registered_reviewer(kind: Kind) {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let (platform_url, got) = platform().await;
    let Some(app) = app_with_channels(kind, smtp.port, &platform_url).await else {
        return;
    };
    reviewers(&app).await;
    let key = app.tool("drafter").await;
    let a = held(&app, &key).await;
    let card = posted(&got, "teams/hook", 0).await;
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let said = card.to_string();
    let command = format!("approve {a} rev 1");
    assert!(said.contains(&command), "{said}");
    let mention = format!("<at>Countersign</at> {command}");
    let forged = STANDARD.encode(b"some other security token!!");
    let r = teams_request(&app, "aad-dee-0001", &mention, &forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = teams_says(&app, "aad-stranger", &mention).await;
    assert!(r.contains("not a Countersign reviewer"), "{r}");
    // A stale revision is refused by the store, as in the inbox.
    let stale = format!("<at>Countersign</at> approve {a} rev 2");
    let r = teams_says(&app, "aad-dee-0001", &stale).await;
    assert!(r.contains("Nothing was changed"), "{r}");
    let r = teams_says(&app, "aad-dee-0001", &mention).await;
    assert!(r.contains("countersigned"), "{r}");
    assert_eq!(status(&app, &a).await, "approved");

    let b = held(&app, &key).await;
    let r = teams_says(
        &app,
        "aad-dee-0001",
        &format!("<at>Countersign</at> reject {b}"),
    )
    .await;
    assert!(r.contains("Say why"), "{r}");
    let r = teams_says(
        &app,
        "aad-dee-0001",
        &format!("<at>Countersign</at> reject {b}: not this quarter"),
    )
    .await;
    assert!(r.contains("Rejected"), "{r}");
    assert_eq!(status(&app, &b).await, "rejected");
    app.stop().await;
}
api_test!(teams_commands_act_as_the_registered_reviewer);

/// The rep cannot countersign their own protected moment from a chat either.
async fn separation_of_duties_holds_in_chat(kind: Kind) {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let (platform_url, _) = platform().await;
    let Some(app) = app_with_channels(kind, smtp.port, &platform_url).await else {
        return;
    };
    // sam.rep is the rep the tests propose for; here he also holds the deal desk role.
    app.account("sam.rep", &["rep", "deal_desk"], false).await;
    app.state
        .store
        .set_reviewer_chat(
            "sam.rep",
            Chat::Teams,
            Some("aad-sam-0001"),
            "cli:test",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let key = app.tool("drafter").await;
    let a = held(&app, &key).await;
    let r = teams_says(
        &app,
        "aad-sam-0001",
        &format!("<at>Countersign</at> approve {a} rev 1"),
    )
    .await;
    assert!(r.contains("is the rep the action is on behalf of"), "{r}");
    assert_eq!(status(&app, &a).await, "held");
    app.stop().await;
}
api_test!(separation_of_duties_holds_in_chat);

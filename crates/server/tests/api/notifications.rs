//! Notifications end to end: a held e-mail is announced to the deal desk by e-mail through
//! a real SMTP server (aiosmtpd) and a Slack-compatible webhook (a local HTTP receiver);
//! once approved, the buyer's e-mail itself arrives. Idle sessions are refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use countersign_server::config::SmtpSection;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{DISCOUNT, Kind, TestApp};
use crate::smtp::SmtpServer;

/// A Slack-compatible incoming webhook: records each JSON body it receives.
async fn slack_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/services/T0/B0/secret",
        post(move |axum::Json(body): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/services/T0/B0/secret",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

async fn a_held_email_is_announced_to_its_reviewers_then_delivered_once_approved(kind: Kind) {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let (slack_url, slack) = slack_receiver().await;
    let port = smtp.port;
    let Some(app) = TestApp::spawn_with(
        kind,
        |c| {
            c.outbox.smtp = Some(SmtpSection {
                host: "127.0.0.1".to_owned(),
                port,
                from: "Sales <sales@seller.example>".to_owned(),
                timeout_ms: 5_000,
            });
            c.outbox.interval_ms = 100;
            c.notifications.email = true;
            c.notifications.slack_webhook_url = Some(SecretString::from(slack_url));
            c.notifications.inbox_url = Some("https://cs.example.com".to_owned());
        },
        None,
    )
    .await
    else {
        return;
    };
    let dee = app.account("dee.desk", &["deal_desk"], false).await;
    app.state
        .store
        .set_reviewer_email(
            "dee.desk",
            Some("dee@seller.example"),
            "cli:test",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let key = app.tool("drafter").await;
    let r = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    assert_eq!(r.body["decision"]["decision"], "hold", "{:?}", r.body);
    let id = r.body["action_id"].as_str().unwrap().to_owned();

    let link = format!("https://cs.example.com/inbox/items/{id}");
    let note = smtp
        .wait_for(Duration::from_secs(20), |m| {
            m.contains("X-RcptTo: dee@seller.example")
        })
        .await;
    assert!(note.contains("Review needed (deal desk)"), "{note}");
    assert!(note.contains(&link), "{note}");
    for _ in 0..100 {
        if !slack.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let posted = slack.lock().unwrap().clone();
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert!(posted[0]["text"].as_str().unwrap().contains(&link));
    // Held means held: the buyer got nothing yet.
    assert!(
        !smtp
            .messages()
            .iter()
            .any(|m| m.contains("X-RcptTo: dana@acme.example"))
    );

    let r = app
        .post(
            &format!("/v1/actions/{id}/approve"),
            &dee,
            &json!({"revision": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mail = smtp
        .wait_for(Duration::from_secs(20), |m| {
            m.contains("X-RcptTo: dana@acme.example")
        })
        .await;
    assert!(mail.contains("15% off"), "{mail}");
    assert!(
        mail.contains(&format!("<{id}@countersign.invalid>")),
        "{mail}"
    );
    app.stop().await;
}
api_test!(a_held_email_is_announced_to_its_reviewers_then_delivered_once_approved);

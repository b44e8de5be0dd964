//! Nothing waits unseen (issue 12): an item nobody decides in time expires, and the tool
//! that proposed it is told `expired` — never `denied` or `rejected` — and nobody can
//! approve it any more.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{DISCOUNT, Kind, TestApp};

async fn an_item_nobody_decides_expires_and_the_tool_is_told(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let key = app.tool("drafter").await;
    let r = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    let id = r.body["action_id"].as_str().unwrap().to_owned();
    let policy = app.state.policy();
    // The default policy expires an undecided item ten days after its proposal.
    let swept = app
        .state
        .store
        .sweep_service_levels(&policy, Utc::now() + Duration::days(9))
        .await
        .unwrap();
    assert_eq!(swept.expired, 0);
    let swept = app
        .state
        .store
        .sweep_service_levels(
            &policy,
            Utc::now() + Duration::days(10) + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(swept.expired, 1, "{swept:?}");
    let seen = app.get(&format!("/v1/actions/{id}"), &key).await;
    assert_eq!(seen.body["status"], "expired", "{:?}", seen.body);
    assert!(
        seen.body["next_step"]
            .as_str()
            .unwrap()
            .starts_with("expired:"),
        "{:?}",
        seen.body
    );
    let late = app
        .post(
            &format!("/v1/actions/{id}/approve"),
            &desk,
            &json!({"revision": 1}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert!(
        late.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    // Gone from the queue.
    let queue = app.get("/v1/queue", &desk).await;
    assert_eq!(
        queue.body.as_array().map(Vec::len),
        Some(0),
        "{:?}",
        queue.body
    );
    app.stop().await;
}
api_test!(an_item_nobody_decides_expires_and_the_tool_is_told);

//! Rate limits per key and per account: 429 with Retry-After.

use reqwest::StatusCode;

use crate::helpers::{Kind, TestApp};

async fn a_tool_over_its_rate_gets_429_with_retry_after(kind: Kind) {
    let Some(app) = TestApp::spawn_with(
        kind,
        |c| {
            c.rate_limit.tool_per_second = 1;
            c.rate_limit.tool_burst = 3;
            c.rate_limit.account_per_second = 1;
            c.rate_limit.account_burst = 50;
        },
        None,
    )
    .await
    else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.get("/v1/me", &key).await);
    }
    let limited = statuses
        .iter()
        .find(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .expect("no 429");
    assert_eq!(limited.code(), "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // Another tool has its own bucket.
    let other = app.tool("notes-agent").await;
    assert_eq!(app.get("/v1/me", &other).await.status, StatusCode::OK);
    app.stop().await;
}
api_test!(a_tool_over_its_rate_gets_429_with_retry_after);

//! `/healthz`, `/metrics`, `/openapi.json` and `/docs`.

use reqwest::{Method, StatusCode};

use crate::helpers::{DISCOUNT, Kind, TestApp};

async fn readiness_reports_the_database(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let r = app.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["database"], "ok");
    assert!(
        r.body["policy_version"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let live = app
        .client
        .get(format!("{}/healthz/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    // With the database gone, readiness fails and liveness does not.
    app.state.store.close().await;
    let r = app.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body["database"], "unavailable");
    let live = app
        .client
        .get(format!("{}/healthz/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    app.stop().await;
}
api_test!(readiness_reports_the_database);

async fn metrics_count_decisions_queue_depth_and_outbox(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let r = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "countersign_decisions_total{decision=\"hold\",tier=\"manager_approved\"}",
        "countersign_decision_categories_total{decision=\"hold\",category=\"commercial\"}",
        "countersign_decision_duration_seconds_bucket",
        "countersign_proposal_duration_seconds_bucket",
        "countersign_queue_depth{role=\"deal_desk\"} 1",
        "countersign_outbox_items{state=\"pending\"}",
        "countersign_outbox_lag_seconds",
        "countersign_http_responses_total",
    ] {
        assert!(text.contains(name), "missing {name} in:\n{text}");
    }
    app.stop().await;
}
api_test!(metrics_count_decisions_queue_depth_and_outbox);

async fn the_openapi_document_is_3_1_and_lists_every_endpoint(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let r = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["openapi"], "3.1.0");
    // The inbox runs scripts from this origin: no API answer may be taken for one.
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    let paths = r.body["paths"].as_object().unwrap();
    for p in [
        "/v1/actions",
        "/v1/actions/{action_id}",
        "/v1/actions/{action_id}/approve",
        "/v1/actions/{action_id}/edit",
        "/v1/actions/{action_id}/reject",
        "/v1/queue",
        "/v1/sessions",
        "/v1/tools",
        "/v1/accounts",
        "/v1/policy",
        "/v1/policy/activate",
        "/v1/audit/verify",
        "/v1/audit/export",
        "/v1/suppressions",
        "/v1/contacts/{contact_id}",
        "/v1/opportunities/{opportunity_id}",
        "/v1/context",
        "/healthz",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    // Every operation documents the shared error statuses it can return.
    let propose = &r.body["paths"]["/v1/actions"]["post"]["responses"];
    for status in ["400", "401", "403", "409", "413", "415", "422", "429"] {
        assert!(
            propose.get(status).is_some(),
            "POST /v1/actions lacks {status}"
        );
    }
    let docs = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    app.stop().await;
}
api_test!(the_openapi_document_is_3_1_and_lists_every_endpoint);

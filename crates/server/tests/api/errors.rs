//! One error shape everywhere, with the right statuses; failing closed on a slow decision.

use std::time::Duration;

use countersign_engine::Gate;
use countersign_engine::detect::{Detector, DetectorError, Document, Signals};
use countersign_engine::finding::Finding;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Kind, ROUTINE, TestApp};

fn assert_shape(r: &crate::helpers::Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    assert_eq!(r.code(), code, "{:?}", r.body);
    assert!(r.body["error"]["message"].is_string());
    assert!(r.body["error"].get("field").is_some());
}

async fn every_error_has_one_shape_and_its_status(kind: Kind) {
    let Some(app) =
        TestApp::spawn_with(kind, |c| c.server.body_limit_bytes = 64 * 1024, None).await
    else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let url = format!("{}/v1/actions", app.base);
    // 400: not JSON.
    let r = app
        .client
        .post(&url)
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    let r = crate::helpers::Reply {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.json().await.unwrap(),
    };
    assert_shape(&r, StatusCode::BAD_REQUEST, "bad_request");
    // 415: not declared as JSON.
    let r = app
        .client
        .post(&url)
        .bearer_auth(&key)
        .body("{}")
        .send()
        .await
        .unwrap();
    let r = crate::helpers::Reply {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.json().await.unwrap(),
    };
    assert_shape(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    // 422: a field is wrong, and it is named.
    let r = app
        .post(
            "/v1/actions",
            &key,
            &json!({"kind": "email.send", "payload": {"to": ["bob@"], "body": "x"}}),
        )
        .await;
    assert_shape(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["error"]["field"], "payload.to[0]");
    // 413: over the body limit.
    let big = "x".repeat(100 * 1024);
    let r = app
        .post(
            "/v1/actions",
            &key,
            &json!({"kind": "email.send", "payload": {"to": ["a@b.example"], "body": big}}),
        )
        .await;
    assert_shape(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // 401 with a challenge.
    let r = app.send(Method::GET, "/v1/queue", None, None).await;
    assert_shape(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    // 404 for unknown endpoints and actions.
    let r = app.get("/v1/nope", &key).await;
    assert_shape(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app.get("/v1/actions/act_doesnotexist", &app.admin).await;
    assert_shape(&r, StatusCode::NOT_FOUND, "not_found");
    // 409: an account that exists.
    let r = app
        .post("/v1/accounts", &app.admin, &json!({"name": "ada.admin", "roles": [], "admin": true, "password": "another long password"}))
        .await;
    assert_shape(&r, StatusCode::FORBIDDEN, "forbidden");
    app.stop().await;
}
api_test!(every_error_has_one_shape_and_its_status);

/// A detector that takes far longer than the decision deadline.
struct Stuck;

impl Detector for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }

    fn detect(
        &self,
        _: &Document<'_>,
        _: &Signals<'_>,
        _: &mut Vec<Finding>,
    ) -> Result<(), DetectorError> {
        std::thread::sleep(Duration::from_millis(600));
        Ok(())
    }
}

async fn a_decision_that_runs_out_of_time_is_held_and_stored(kind: Kind) {
    // Both proposal paths: group commit and one transaction per proposal.
    for group_commit in [true, false] {
        let gate = Gate::with_detectors(vec![Box::new(Stuck)]);
        let Some(app) = TestApp::spawn_with(
            kind,
            |c| {
                c.server.decision_timeout_ms = 50;
                c.server.group_commit = group_commit;
            },
            Some(gate),
        )
        .await
        else {
            return;
        };
        let key = app.tool("outreach-agent").await;
        let r = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert_eq!(r.body["decision"]["decision"], "hold");
        assert_eq!(
            r.body["decision"]["reasons"],
            json!(["fail closed: deciding took longer than 50 ms"])
        );
        assert_eq!(r.body["decision"]["roles"], json!(["manager"]));
        let id = r.body["action_id"].as_str().unwrap();
        let view = app.get(&format!("/v1/actions/{id}"), &key).await;
        assert_eq!(view.body["status"], "held");
        assert!(view.body["outbox"].is_null());
        app.stop().await;
    }
}
api_test!(a_decision_that_runs_out_of_time_is_held_and_stored);

/// A detector that takes a moment, as a slow decision under load would.
struct Slow;

impl Detector for Slow {
    fn name(&self) -> &'static str {
        "slow"
    }

    fn detect(
        &self,
        _: &Document<'_>,
        _: &Signals<'_>,
        _: &mut Vec<Finding>,
    ) -> Result<(), DetectorError> {
        std::thread::sleep(Duration::from_millis(400));
        Ok(())
    }
}

async fn shutdown_lets_an_in_flight_proposal_finish_and_commit(kind: Kind) {
    let gate = Gate::with_detectors(vec![Box::new(Slow)]);
    let Some(mut app) = TestApp::spawn_with(kind, |_| {}, Some(gate)).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let (client, base) = (app.client.clone(), app.base.clone());
    let in_flight = tokio::spawn(async move {
        client
            .post(format!("{base}/v1/actions"))
            .bearer_auth(key)
            .json(&json!({"kind": "email.send", "payload": {"to": ["dana@acme.example"], "body": ROUTINE}}))
            .send()
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.shutdown().await;
    let resp = in_flight.await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: serde_json::Value = resp.json().await.unwrap();
    let id = body["action_id"].as_str().unwrap().to_owned();
    // New connections are refused once it has stopped.
    assert!(
        app.client
            .get(format!("{}/healthz/live", app.base))
            .send()
            .await
            .is_err()
    );
    // What it answered is committed.
    let store = countersign_store::Store::open(&app.database_url)
        .await
        .unwrap();
    let view = store.show(&id, chrono::Utc::now()).await.unwrap();
    assert_eq!(view.status.as_str(), "allowed");
    store.verify_audit().await.unwrap();
    store.close().await;
    app.stop().await;
}
api_test!(shutdown_lets_an_in_flight_proposal_finish_and_commit);

//! Proposing, reading and reviewing actions over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{DISCOUNT, DISCOUNT_AND_SECURITY, Kind, ROUTINE, TestApp};

async fn a_routine_email_is_allowed_and_queued_for_delivery(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let r = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["decision"]["decision"], "allow");
    assert_eq!(r.body["status"], "allowed");
    assert!(r.body["next_step"].as_str().unwrap().starts_with("allowed"));
    let id = r.body["action_id"].as_str().unwrap();
    let view = app.get(&format!("/v1/actions/{id}"), &key).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.body["outbox"]["status"], "pending");
    assert_eq!(view.body["tool"], "outreach-agent");
    app.stop().await;
}
api_test!(a_routine_email_is_allowed_and_queued_for_delivery);

async fn held_email_is_released_after_deal_desk_and_security_approve(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let desk = app.account("dora.dealdesk", &["deal_desk"], false).await;
    let sec = app.account("sid.security", &["security"], false).await;
    let r = app
        .propose_email(&key, "dana@acme.example", DISCOUNT_AND_SECURITY)
        .await;
    assert_eq!(r.body["decision"]["decision"], "hold", "{:?}", r.body);
    let roles = r.body["decision"]["roles"].as_array().unwrap();
    assert!(roles.contains(&json!("deal_desk")) && roles.contains(&json!("security")));
    let id = r.body["action_id"].as_str().unwrap().to_owned();

    let q = app.get("/v1/queue", &desk).await;
    assert_eq!(q.status, StatusCode::OK);
    assert_eq!(q.body.as_array().unwrap().len(), 1);

    let a = app
        .post(
            &format!("/v1/actions/{id}/approve"),
            &desk,
            &json!({"revision": 1}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["status"], "held");
    assert_eq!(a.body["missing_roles"], json!(["security"]));
    let a = app
        .post(
            &format!("/v1/actions/{id}/approve"),
            &sec,
            &json!({"revision": 1}),
        )
        .await;
    assert_eq!(a.body["status"], "approved", "{:?}", a.body);
    assert!(a.body["outbox_id"].is_i64());

    let view = app.get(&format!("/v1/actions/{id}"), &key).await;
    assert_eq!(view.body["status"], "approved");
    assert_eq!(view.body["approvals"].as_array().unwrap().len(), 2);
    assert!(
        view.body["next_step"]
            .as_str()
            .unwrap()
            .starts_with("approved")
    );
    // Approving again: not held any more.
    let again = app
        .post(
            &format!("/v1/actions/{id}/approve"),
            &desk,
            &json!({"revision": 1}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    app.stop().await;
}
api_test!(held_email_is_released_after_deal_desk_and_security_approve);

async fn an_edit_is_decided_again_and_a_rejection_needs_a_reason(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let desk = app.account("dora.dealdesk", &["deal_desk"], false).await;
    let r = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    let id = r.body["action_id"].as_str().unwrap().to_owned();
    let e = app
        .post(
            &format!("/v1/actions/{id}/edit"),
            &desk,
            &json!({"body": "Hi Dana, let's find a time to talk about pricing. Best, Sam"}),
        )
        .await;
    assert_eq!(e.status, StatusCode::OK, "{:?}", e.body);
    assert_eq!(e.body["revisions"].as_array().unwrap().len(), 2);
    let no_reason = app
        .post(
            &format!("/v1/actions/{id}/reject"),
            &desk,
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.body["error"]["field"], "reason");
    let rej = app
        .post(
            &format!("/v1/actions/{id}/reject"),
            &desk,
            &json!({"reason": "too pushy"}),
        )
        .await;
    assert_eq!(rej.status, StatusCode::OK, "{:?}", rej.body);
    assert_eq!(rej.body["status"], "rejected");
    app.stop().await;
}
api_test!(an_edit_is_decided_again_and_a_rejection_needs_a_reason);

async fn the_same_idempotency_key_returns_the_first_answer(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let body = json!({
        "kind": "email.send",
        "payload": {"to": ["dana@acme.example"], "subject": "Hi", "body": DISCOUNT},
    });
    let send = |b: serde_json::Value, k: &'static str| {
        let app = &app;
        let key = key.clone();
        async move {
            let resp = app
                .client
                .post(format!("{}/v1/actions", app.base))
                .bearer_auth(key)
                .header("Idempotency-Key", k)
                .json(&b)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            (status, resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (s1, first) = send(body.clone(), "k-1").await;
    let (s2, second) = send(body.clone(), "k-1").await;
    assert_eq!(s1, StatusCode::CREATED);
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(second["replayed"], true);
    assert_eq!(first["action_id"], second["action_id"]);
    let mut other = body.clone();
    other["payload"]["body"] = json!(ROUTINE);
    let (s3, conflict) = send(other, "k-1").await;
    assert_eq!(s3, StatusCode::CONFLICT);
    assert_eq!(conflict["error"]["code"], "idempotency_conflict");
    assert_eq!(conflict["error"]["field"], "Idempotency-Key");
    app.stop().await;
}
api_test!(the_same_idempotency_key_returns_the_first_answer);

/// A made-up key writes nothing: 401, no action, and the sighting counted per key
/// fingerprint, address and minute, with one audit record for the minute.
async fn an_unknown_key_is_refused_and_counted_as_shadow_ai(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    const MADE_UP: &str = "cs_thisKeyWasNeverIssued0000000000";
    let before = app.audit_export().await.lines().count();
    for _ in 0..3 {
        let r = app
            .propose_email(MADE_UP, "dana@acme.example", ROUTINE)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
        assert_eq!(r.body["error"]["field"], "Authorization");
        assert!(r.body.get("action_id").is_none());
    }
    let export = app.audit_export().await;
    let added: Vec<serde_json::Value> = export
        .lines()
        .skip(before)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // No proposal or decision records: nothing was stored as an action.
    assert_eq!(added.len(), 1, "one audit record per minute:\n{export}");
    assert_eq!(added[0]["event"], "shadow_ai");
    assert_eq!(added[0]["data"]["recipient_domain"], "acme.example");
    assert!(!export.contains(ROUTINE), "the body is never kept");
    let seen = app
        .state
        .store
        .sightings(chrono::Utc::now() - chrono::Duration::hours(1), 10)
        .await
        .unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].count, 3);
    assert_eq!(seen[0].kind.as_deref(), Some("email.send"));
    assert_eq!(
        seen[0].key_fingerprint,
        countersign_store::sha256_hex(MADE_UP)[..12]
    );
    app.stop().await;
}
api_test!(an_unknown_key_is_refused_and_counted_as_shadow_ai);

async fn a_policy_activation_is_audited_and_used(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default");
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let toml = read("policy.toml").replace("name = \"default\"", "name = \"stricter\"");
    let texts =
        json!({"toml": toml, "cedar": read("policy.cedar"), "schema": read("policy.cedarschema")});
    let v = app.post("/v1/policy/validate", &app.admin, &texts).await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    assert_eq!(v.body["valid"], true, "{:?}", v.body);
    let broken = app
        .post(
            "/v1/policy/validate",
            &app.admin,
            &json!({"toml": "[tiers", "cedar": "", "schema": ""}),
        )
        .await;
    assert_eq!(broken.body["valid"], false);
    assert!(!broken.body["problems"].as_array().unwrap().is_empty());
    let a = app.post("/v1/policy/activate", &app.admin, &texts).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let version = a.body["version"].as_str().unwrap().to_owned();
    let p = app.get("/v1/policy", &app.admin).await;
    assert_eq!(p.body["version"], version);
    let key = app.tool("outreach-agent").await;
    let r = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
    assert_eq!(r.body["decision"]["policy_version"], version);
    let verify = app.get("/v1/audit/verify", &app.admin).await;
    assert_eq!(verify.body["intact"], true, "{:?}", verify.body);
    app.stop().await;
}
api_test!(a_policy_activation_is_audited_and_used);

async fn account_context_shows_the_contact_suppression_and_recent_actions(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let put = app
        .send(
            Method::PUT,
            "/v1/contacts/c-1",
            Some(&app.admin),
            Some(&json!({"email": "dana@acme.example", "title": "VP Finance", "account_id": "acc-1", "timezone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let s = app
        .post(
            "/v1/suppressions",
            &app.admin,
            &json!({"email": "dana@acme.example", "reason": "opt_out"}),
        )
        .await;
    assert_eq!(s.status, StatusCode::CREATED, "{:?}", s.body);
    let denied = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
    assert_eq!(denied.body["decision"]["decision"], "deny");
    let ctx = app.get("/v1/context?contact_id=c-1", &key).await;
    assert_eq!(ctx.status, StatusCode::OK, "{:?}", ctx.body);
    assert_eq!(ctx.body["contact"]["title"], "VP Finance");
    assert_eq!(ctx.body["suppression"], "opt_out");
    assert_eq!(ctx.body["recent_actions"].as_array().unwrap().len(), 1);
    let none = app.get("/v1/context", &key).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}
api_test!(account_context_shows_the_contact_suppression_and_recent_actions);

async fn a_revoked_tool_key_is_refused_at_once(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    assert_eq!(app.get("/v1/me", &key).await.status, StatusCode::OK);
    let before = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
    let old_id = before.body["action_id"].as_str().unwrap().to_owned();
    let r = app
        .send(
            Method::DELETE,
            "/v1/tools/outreach-agent",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["revoked_at"].is_string());
    assert_eq!(
        app.get("/v1/me", &key).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A proposal with it is refused and counted as shadow AI, not stored as the tool's.
    let p = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED, "{:?}", p.body);
    // A new tool under the old name does not inherit the old tool's actions.
    let successor = app.tool("outreach-agent").await;
    let read = app.get(&format!("/v1/actions/{old_id}"), &successor).await;
    assert_eq!(read.status, StatusCode::NOT_FOUND, "{:?}", read.body);
    app.stop().await;
}
api_test!(a_revoked_tool_key_is_refused_at_once);

async fn two_instances_share_one_database_policy_and_audit_chain(kind: Kind) {
    let Some(a) = TestApp::spawn(kind).await else {
        return;
    };
    let b = a.another_instance().await;
    let key = a.tool("outreach-agent").await;
    let desk = a.account("dora.dealdesk", &["deal_desk"], false).await;
    // Proposed through A, approved through B.
    let p = a.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    let id = p.body["action_id"].as_str().unwrap().to_owned();
    let ok = b
        .post(
            &format!("/v1/actions/{id}/approve"),
            &desk,
            &json!({"revision": 1}),
        )
        .await;
    assert_eq!(ok.body["status"], "approved", "{:?}", ok.body);
    // Both write concurrently; the chain stays one chain.
    let recipients: Vec<String> = (0..10).map(|i| format!("buyer{i}@acme.example")).collect();
    let mut writes = Vec::new();
    for (i, to) in recipients.iter().enumerate() {
        let app = if i % 2 == 0 { &a } else { &b };
        writes.push(app.propose_email(&key, to, ROUTINE));
    }
    for r in futures::future::join_all(writes).await {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // A policy activated through A reaches B within its refresh interval (200 ms here).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default");
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let toml = read("policy.toml").replace("name = \"default\"", "name = \"shared\"");
    let texts =
        json!({"toml": toml, "cedar": read("policy.cedar"), "schema": read("policy.cedarschema")});
    let act = a.post("/v1/policy/activate", &a.admin, &texts).await;
    let version = act.body["version"].as_str().unwrap().to_owned();
    let mut seen = String::new();
    for _ in 0..50 {
        seen = b.get("/v1/policy", &b.admin).await.body["version"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if seen == version {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen, version);
    let verify = b.get("/v1/audit/verify", &b.admin).await;
    assert_eq!(verify.body["intact"], true, "{:?}", verify.body);
    b.stop().await;
    a.stop().await;
}
api_test!(two_instances_share_one_database_policy_and_audit_chain);

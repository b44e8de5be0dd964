//! A security probe's requests, replayed: each was a way for a protected action to reach a
//! buyer or the CRM without its review, or for a stranger to write to the store. Each test
//! sends what the probe sent and checks the answer it must get now.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{DISCOUNT, Kind, TestApp};

/// The reviewer read revision 1 (15 % off); the rep then made it 60 % off and a free year.
/// Approving "revision 1" must not release revision 2.
async fn an_approval_of_a_stale_revision_is_refused(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let desk = app.account("dora.dealdesk", &["deal_desk"], false).await;
    let sam = app.account("sam.rep", &["rep"], false).await;
    let p = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    let id = p.body["action_id"].as_str().unwrap().to_owned();

    let read = app.get(&format!("/v1/actions/{id}"), &desk).await;
    let etag = read.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{id}/1\""));

    let edited = app
        .post(
            &format!("/v1/actions/{id}/edit"),
            &sam,
            &json!({"body": "Hi Dana, we can do 60% off and a free year if you sign by Friday."}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);

    let approve = format!("/v1/actions/{id}/approve");
    let stale = app.post(&approve, &desk, &json!({"revision": 1})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{:?}", stale.body);
    assert_eq!(stale.body["error"]["field"], "revision");
    assert!(
        stale.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is at revision 2; you reviewed revision 1"),
        "{:?}",
        stale.body
    );
    // The same with the ETag read before the edit.
    let by_etag = app
        .client
        .post(format!("{}{approve}", app.base))
        .bearer_auth(&desk)
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(by_etag.status(), StatusCode::CONFLICT);
    // Without saying what was read: 428, naming the field.
    let blind = app.send(Method::POST, &approve, Some(&desk), None).await;
    assert_eq!(
        blind.status,
        StatusCode::PRECONDITION_REQUIRED,
        "{:?}",
        blind.body
    );
    assert_eq!(blind.body["error"]["field"], "revision");
    let blind = app.post(&approve, &desk, &json!({})).await;
    assert_eq!(blind.status, StatusCode::PRECONDITION_REQUIRED);
    // Body and header disagreeing, or another action's ETag: 422.
    let other = app
        .client
        .post(format!("{}{approve}", app.base))
        .bearer_auth(&desk)
        .header("If-Match", "\"act_other/2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_field = app.post(&approve, &desk, &json!({"rev": 2})).await;
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.get(&format!("/v1/actions/{id}"), &desk).await.body["approvals"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Reading again and approving what was read: released, and the audit names revision 2.
    let read = app.get(&format!("/v1/actions/{id}"), &desk).await;
    let etag = read.headers["etag"].to_str().unwrap().to_owned();
    let ok = app
        .client
        .post(format!("{}{approve}", app.base))
        .bearer_auth(&desk)
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let ok: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(ok["status"], "approved", "{ok:?}");
    assert_eq!(ok["revision"], 2);
    let export = app
        .client
        .get(format!("{}/v1/audit/export", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let approval: serde_json::Value = export
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["event"] == "approval" && r["action_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no approval record:\n{export}"));
    assert_eq!(approval["data"]["revision"], 2, "{approval:?}");
    app.stop().await;
}
api_test!(an_approval_of_a_stale_revision_is_refused);

/// `Stage` and `AMOUNT` are the CRM's `stage` and `amount`: held as they are; a field the
/// policy does not list is held; two spellings of one field are refused.
async fn crm_field_names_match_without_case(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("crm-copilot").await;
    let update = |changes| {
        json!({"kind": "crm.opportunity.update", "on_behalf_of": "sam.rep",
               "target": {"opportunity_id": "opp_1"}, "payload": {"changes": changes}})
    };
    let r = app
        .post(
            "/v1/actions",
            &key,
            &update(json!({"Stage": "Closed Won", "AMOUNT": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], "held", "{:?}", r.body);
    assert_eq!(r.body["decision"]["roles"], json!(["deal_desk", "manager"]));

    let r = app
        .post(
            "/v1/actions",
            &key,
            &update(json!({"Forecast_Category__c": "Commit"})),
        )
        .await;
    assert_eq!(r.body["status"], "held", "{:?}", r.body);
    assert!(
        r.body["decision"]["reasons"]
            .to_string()
            .contains("a field the policy does not list"),
        "{:?}",
        r.body
    );

    let r = app
        .post(
            "/v1/actions",
            &key,
            &update(json!({"stage": "Qualify", "STAGE": "Closed Won"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["field"]
            .as_str()
            .unwrap()
            .starts_with("payload.changes."),
        "{:?}",
        r.body
    );

    // A field the policy lists as routine still goes through on its own.
    let r = app
        .post(
            "/v1/actions",
            &key,
            &update(json!({"Next_Step": "Book the onboarding call for Thursday"})),
        )
        .await;
    assert_eq!(r.body["status"], "allowed", "{:?}", r.body);
    app.stop().await;
}
api_test!(crm_field_names_match_without_case);

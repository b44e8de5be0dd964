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
    let by_etag = app.post_if_match(&approve, &desk, &etag).await;
    assert_eq!(by_etag.status, StatusCode::CONFLICT);
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
    let other = app.post_if_match(&approve, &desk, "\"act_other/2\"").await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
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
    let ok = app.post_if_match(&approve, &desk, &etag).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["status"], "approved", "{:?}", ok.body);
    assert_eq!(ok.body["revision"], 2);
    let export = app.audit_export().await;
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

/// `Dev.Patel`, `DEV.PATEL`, `dev.patel ` and `dev\u{200B}.patel` are all dev.patel: he may
/// not countersign his own discount under any of them. A name no account has is held.
async fn separation_of_duties_compares_accounts_not_spellings(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("outreach-agent").await;
    let dev = app.account("dev.patel", &["rep", "deal_desk"], false).await;
    let propose = |rep: &'static str| {
        let body = json!({"kind": "email.send", "on_behalf_of": rep,
                "payload": {"to": ["dana@acme.example"], "subject": "Pricing", "body": DISCOUNT}});
        let (app, key) = (&app, key.clone());
        async move { app.post("/v1/actions", &key, &body).await }
    };
    for spelling in [
        "Dev.Patel",
        "DEV.PATEL",
        "dev.patel ",
        "dev\u{200B}.patel",
        "ｄｅｖ.patel",
    ] {
        let p = propose(spelling).await;
        assert_eq!(p.status, StatusCode::CREATED, "{:?}", p.body);
        let id = p.body["action_id"].as_str().unwrap().to_owned();
        let view = app.get(&format!("/v1/actions/{id}"), &dev).await;
        assert_eq!(view.body["on_behalf_of"], "dev.patel", "{spelling:?}");
        let own = app
            .post(
                &format!("/v1/actions/{id}/approve"),
                &dev,
                &json!({"revision": 1}),
            )
            .await;
        assert_eq!(
            own.status,
            StatusCode::FORBIDDEN,
            "{spelling:?}: {:?}",
            own.body
        );
    }

    // Almost dev.patel (a capital I for the l): nobody's account, so held for a manager.
    let p = propose("dev.pateI").await;
    assert_eq!(p.body["status"], "held", "{:?}", p.body);
    assert!(
        p.body["decision"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("manager")),
        "{:?}",
        p.body
    );
    assert!(
        p.body["decision"]["reasons"]
            .to_string()
            .contains("`dev.pateI`, who has no account here"),
        "{:?}",
        p.body
    );
    // Even a routine e-mail on behalf of a stranger waits.
    let routine = app
        .post(
            "/v1/actions",
            &key,
            &json!({"kind": "email.send", "on_behalf_of": "nobody.known",
                    "payload": {"to": ["lee@acme.example"], "subject": "Recap", "body": crate::helpers::ROUTINE}}),
        )
        .await;
    assert_eq!(routine.body["status"], "held", "{:?}", routine.body);
    app.stop().await;
}
api_test!(separation_of_duties_compares_accounts_not_spellings);

/// Changing one's own password needs the current one; an admin's reset of another account
/// is audited apart and ends that account's sessions.
async fn a_password_change_needs_the_current_password(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let dora = app.account("dora.dealdesk", &["deal_desk"], false).await;
    let path = "/v1/accounts/dora.dealdesk/password";
    let new = "a brand new passphrase 42";
    let put = |token: String, body: serde_json::Value| {
        let app = &app;
        async move { app.send(Method::PUT, path, Some(&token), Some(&body)).await }
    };
    let r = put(dora.clone(), json!({"password": new})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "current_password");
    let r = put(
        dora.clone(),
        json!({"password": new, "current_password": "guess"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "current_password");
    let r = put(
        dora.clone(),
        json!({"password": new, "current_password": crate::helpers::PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The session it was changed from ended with the others.
    assert_eq!(
        app.get("/v1/me", &dora).await.status,
        StatusCode::UNAUTHORIZED
    );

    // An admin resets it without the current one: audited as a reset.
    let r = put(
        app.admin.clone(),
        json!({"password": "reset by the admin 42"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let export = app.audit_export().await;
    assert!(export.contains("\"event\":\"password_change\""), "{export}");
    assert!(export.contains("\"event\":\"password_reset\""), "{export}");
    app.stop().await;
}
api_test!(a_password_change_needs_the_current_password);

/// A few wrong passwords for one name, from anywhere, and the name backs off: even the
/// right password is refused (429 with Retry-After) until the block ends, and the block is
/// audited. Other names are not affected.
async fn failed_log_ins_back_off_per_name(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    app.account("dora.dealdesk", &["deal_desk"], false).await;
    let login = |name: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/v1/sessions",
                None,
                Some(&json!({"name": name, "password": password})),
            )
            .await
        }
    };
    for _ in 0..countersign_store::LOGIN_FREE_FAILURES {
        assert_eq!(
            login("dora.dealdesk", "wrong guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Another spelling of the same name is the same name.
    let r = login("Dora.DealDesk", crate::helpers::PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    assert!(r.headers.contains_key("retry-after"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many failed log-ins"),
        "{:?}",
        r.body
    );
    // A name nobody has backs off the same way, so the answer reveals nothing.
    for _ in 0..countersign_store::LOGIN_FREE_FAILURES {
        login("nobody.here", "wrong guess").await;
    }
    assert_eq!(
        login("nobody.here", "wrong guess").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Others log in as before.
    app.login("ada.admin").await;
    let export = app.audit_export().await;
    assert!(export.contains("\"event\":\"login_throttled\""), "{export}");
    app.stop().await;
}
api_test!(failed_log_ins_back_off_per_name);

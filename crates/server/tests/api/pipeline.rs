//! The CRM import over HTTP (admins, multipart) and pipeline triage: reps see their own
//! deals, managers everyone's.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{Kind, TestApp};

fn export() -> Form {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../import/samples/salesforce");
    let mut form = Form::new().text("crm", "salesforce");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        form = form.part(name.clone(), Part::bytes(bytes).file_name(name));
    }
    form
}

async fn an_admin_imports_an_export_and_reps_see_their_own_triage(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let sam = app.account("sam.okafor", &["rep"], false).await;
    let mo = app.account("mo.manager", &["manager"], false).await;
    let post = |token: &str| {
        app.client
            .post(format!("{}/v1/imports", app.base))
            .bearer_auth(token)
            .multipart(export())
            .send()
    };
    let refused = app
        .client
        .post(format!("{}/v1/imports", app.base))
        .bearer_auth(&sam)
        .multipart(Form::new().text("crm", "salesforce"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let r = post(&app.admin).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["counts"]["opportunity"]["written"], 60, "{report}");
    // Again: nothing changes.
    let again: serde_json::Value = post(&app.admin).await.unwrap().json().await.unwrap();
    assert_eq!(again["counts"]["opportunity"]["written"], 0, "{again}");

    let mine = app.get("/v1/triage?limit=500", &sam).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    let mine = mine.body.as_array().unwrap().clone();
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|r| r["owner"] == "sam.okafor"), "{mine:?}");
    let everyone = app.get("/v1/triage?limit=500", &mo).await;
    assert!(everyone.body.as_array().unwrap().len() > mine.len());
    // A deal's context: a summary and its facts with record ids.
    let ctx = app
        .get("/v1/opportunities/006O000000000001/context", &mo)
        .await;
    assert_eq!(ctx.status, StatusCode::OK, "{:?}", ctx.body);
    let summary = ctx.body["summary"].as_str().unwrap();
    assert!(
        summary.contains(" is in ") && summary.contains("contacts took part"),
        "{summary}"
    );
    let facts = &ctx.body["facts"];
    assert_eq!(facts["moves"].as_array().unwrap().len(), 4, "{facts}");
    assert!(facts["committee"][0]["name"].is_string(), "{facts}");
    assert!(facts["recent"][0]["activity_id"].is_string(), "{facts}");
    let missing = app.get("/v1/opportunities/nope/context", &mo).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // A rep asking for another rep's deals is refused.
    let other = app.get("/v1/triage?owner=ivy.chen", &sam).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{:?}", other.body);
    app.stop().await;
}
api_test!(an_admin_imports_an_export_and_reps_see_their_own_triage);

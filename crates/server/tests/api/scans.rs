//! Shadow-AI scans over HTTP: an admin uploads sent mail, a CRM login export and an
//! extension inventory; the report names each kind of shadow AI with its rep and tool, and
//! what the gate would have held; readers are admins, managers, security and legal; a bad
//! input is reported as unreadable while the rest of the report is still produced.

use chrono::Utc;
use countersign_store::ContactRecord;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{Kind, TestApp};

const MBOX: &str = "From sam@seller.example Tue Nov 24 09:20:00 2026
From: Sam Seller <sam@seller.example>
To: Dana Buyer <dana@buyer.example>
Subject: About the renewal
Date: Tue, 24 Nov 2026 09:20:00 +0000
Message-ID: <a1@mail.lavender.ai>
X-Mailer: Lavender/3.2
Content-Type: text/plain; charset=utf-8

Hi Dana, if you sign this week I can offer 20% off the renewal.

From sam.private@gmail.example Wed Nov 25 10:00:00 2026
From: Sam Seller <sam.private@gmail.example>
To: Dana Buyer <dana@buyer.example>
Subject: From my own account
Date: Wed, 25 Nov 2026 10:00:00 +0000
Message-ID: <p1@gmail.example>
Content-Type: text/plain; charset=utf-8

Hi Dana, the onboarding plan is attached; talk on Friday.

From sam@seller.example Thu Nov 26 10:00:00 2026
From: Sam Seller <sam@seller.example>
To: Mo Manager <mo@seller.example>
Subject: Internal
Date: Thu, 26 Nov 2026 10:00:00 +0000
Message-ID: <i1@seller.example>
Content-Type: text/plain; charset=utf-8

Forecast moves to Tuesday.
";

const EXTENSIONS: &str = "Extension ID,Extension name,Version,Permissions,User email
aaaabbbbccccddddeeeeffffgggghhhh,Lavender - AI Email Coach,4.2.1,https://mail.google.com/*,sam@seller.example
iiiijjjjkkkkllllmmmmnnnnoooopppp,PDF Viewer,1.0,<all_urls>,sam@seller.example
";

fn part(name: &str, file: &str, body: &[u8]) -> (String, Part) {
    (
        name.to_owned(),
        Part::bytes(body.to_vec()).file_name(file.to_owned()),
    )
}

async fn upload(app: &TestApp, token: &str, parts: Vec<(String, Part)>) -> (StatusCode, Value) {
    let mut form = Form::new();
    for (name, p) in parts {
        form = form.part(name, p);
    }
    let r = app
        .client
        .post(format!("{}/v1/scans", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn rows<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .collect()
}

async fn an_admin_scans_mail_and_an_inventory_and_readers_see_the_report(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let now = Utc::now();
    app.account("sam.seller", &["rep"], false).await;
    app.state
        .store
        .set_reviewer_email("sam.seller", Some("sam@seller.example"), "cli:test", now)
        .await
        .unwrap();
    app.state
        .store
        .upsert_contact(
            &ContactRecord {
                contact_id: "c-dana".to_owned(),
                email: Some("dana@buyer.example".to_owned()),
                name: Some("Dana Buyer".to_owned()),
                ..ContactRecord::default()
            },
            now,
        )
        .await
        .unwrap();
    let mo = app.account("mo", &["manager"], false).await;
    let sam = app.login("sam.seller").await;

    let (status, report) = upload(
        &app,
        &app.admin,
        vec![
            part("mbox", "sent.mbox", MBOX.as_bytes()),
            part("extensions", "extensions.csv", EXTENSIONS.as_bytes()),
            // An inventory in the wrong form: said, and the rest still read.
            part("extensions", "inventory.json", b"{\"not\": \"extensions\"}"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let lavender = rows(&report, "ai_tool");
    assert_eq!(lavender.len(), 1, "{report}");
    assert_eq!(lavender[0]["rep"], "sam.seller");
    assert_eq!(lavender[0]["tool"], "Lavender");
    assert!(
        lavender[0]["touched"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("commercial/")),
        "the discount would have been held: {report}"
    );
    let personal = rows(&report, "personal_account");
    assert_eq!(personal.len(), 1, "{report}");
    assert_eq!(personal[0]["rep"], "sam.seller");
    let ungated = rows(&report, "ungated_send");
    assert_eq!(
        ungated.len(),
        1,
        "only the buyer mail from the company account: {report}"
    );
    let extensions = rows(&report, "ai_extension");
    assert_eq!(
        extensions.len(),
        1,
        "Lavender, not the PDF viewer: {report}"
    );
    assert_eq!(rows(&report, "unreadable").len(), 1, "{report}");
    assert!(
        report["read"].as_object().unwrap().values().any(|n| n == 3),
        "three messages read: {report}"
    );

    // Readers: a manager sees the latest report; a rep may neither read nor scan.
    let latest = app.get("/v1/scans/latest", &mo).await;
    assert_eq!(latest.status, StatusCode::OK, "{:?}", latest.body);
    assert_eq!(latest.body["report"], report);
    assert_eq!(
        app.get("/v1/scans/latest", &sam).await.status,
        StatusCode::FORBIDDEN
    );
    let (status, _) = upload(&app, &mo, vec![part("mbox", "sent.mbox", MBOX.as_bytes())]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A field that is no input is named.
    let (status, body) = upload(&app, &app.admin, vec![part("photos", "a.png", b"x")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "photos");
    // The scan is audited.
    assert!(app.audit_export().await.contains("\"scan\""));
    app.stop().await;
}
api_test!(an_admin_scans_mail_and_an_inventory_and_readers_see_the_report);

async fn the_assessment_is_for_readers_of_the_audit_log(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let mo = app.account("mo", &["manager"], false).await;
    let rep = app.account("rita", &["rep"], false).await;
    let a = app.get("/v1/assess", &mo).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let workflows = a.body["workflows"].as_array().unwrap();
    assert_eq!(workflows.len(), 5, "{:?}", a.body);
    for w in workflows {
        let score = w["score"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&score), "{w}");
        for part in ["volume", "risk", "readiness", "capacity", "exposure"] {
            assert!(w["parts"][part]["words"].is_string(), "{part}: {w}");
        }
    }
    assert!(a.body["recommendation"].as_str().unwrap().len() > 20);
    assert!(a.body["formula"].as_str().unwrap().contains("volume"));
    assert_eq!(
        app.get("/v1/assess", &rep).await.status,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}
api_test!(the_assessment_is_for_readers_of_the_audit_log);

async fn an_admin_simulates_a_candidate_policy_over_the_stored_history(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("agent").await;
    let routine = app
        .propose_email(
            &key,
            "a@buyer.example",
            "Hi, the recording of today's session is in the shared folder.",
        )
        .await;
    assert_eq!(
        routine.body["decision"]["decision"], "allow",
        "{:?}",
        routine.body
    );
    let policy = app.get("/v1/policy", &app.admin).await;
    let toml = policy.body["toml"].as_str().unwrap().replace(
        "\"email.send\" = \"automation_safe\"",
        "\"email.send\" = \"manager_approved\"",
    );
    let body = serde_json::json!({
        "toml": toml,
        "cedar": policy.body["cedar"],
        "schema": policy.body["schema"],
        "since_days": 7,
    });
    let before = app.audit_export().await.lines().count();
    let sim = app.post("/v1/policy/simulate", &app.admin, &body).await;
    assert_eq!(sim.status, StatusCode::OK, "{:?}", sim.body);
    assert_eq!(sim.body["actions"], 1);
    let changed = sim.body["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{:?}", sim.body);
    assert_eq!(changed[0]["candidate"]["decision"], "hold");
    // Nothing but the record that it ran; the active policy is unchanged.
    let audit = app.audit_export().await;
    assert_eq!(audit.lines().count(), before + 1);
    assert!(audit.lines().last().unwrap().contains("\"simulation\""));
    assert_eq!(
        app.get("/v1/policy", &app.admin).await.body["version"],
        policy.body["version"]
    );
    let mo = app.account("mo", &["manager"], false).await;
    assert_eq!(
        app.post("/v1/policy/simulate", &mo, &body).await.status,
        StatusCode::FORBIDDEN
    );
    let mut broken = body.clone();
    broken["toml"] = Value::String("name = ".to_owned());
    assert_eq!(
        app.post("/v1/policy/simulate", &app.admin, &broken)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.stop().await;
}
api_test!(an_admin_simulates_a_candidate_policy_over_the_stored_history);

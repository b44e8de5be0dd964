//! The Shadow AI page: an admin reads the latest scan — per rep and tool, the evidence, what
//! the gate would have held and what to do — and finds the form to scan more; a manager
//! reads it without the form; a rep has no link to it and is refused; it fits a phone.

use chrono::Utc;
use countersign_scan::run::Inputs;
use countersign_store::ContactRecord;

use crate::helpers::{Kind, PASSWORD, TestApp};
use crate::support::{
    Ui, exists, goto, log_in, overflow_x, phone_width, shot, status, text, too_wide,
};

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
";

/// A server whose latest scan read `MBOX` for the rep `sam.seller`.
async fn scanned_app() -> TestApp {
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    let now = Utc::now();
    app.account("sam.seller", &["rep"], false).await;
    app.account("mo.manager", &["manager"], false).await;
    let store = &app.state.store;
    store
        .set_reviewer_email("sam.seller", Some("sam@seller.example"), "test", now)
        .await
        .unwrap();
    store
        .upsert_contact(
            &ContactRecord {
                contact_id: "c-dana".to_owned(),
                email: Some("dana@buyer.example".to_owned()),
                ..ContactRecord::default()
            },
            now,
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("sent.mbox");
    std::fs::write(&mbox, MBOX).unwrap();
    let inputs = Inputs {
        mbox: vec![mbox],
        ..Inputs::default()
    };
    countersign_server::service::scans::run(&app.state, inputs, "test")
        .await
        .unwrap();
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_scan_is_read_by_admins_and_managers_and_fits_a_phone() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = scanned_app().await;
    let base = app.base.clone();

    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "ada.admin", PASSWORD).await;
    goto(&page, &format!("{base}/inbox/shadow")).await;
    let meta = text(&page, "#scan-meta").await;
    assert!(meta.contains("sent.mbox: 2"), "{meta}");
    let main = text(&page, "main").await;
    for words in [
        "ai tool",
        "Lavender",
        "personal account",
        "gmail.example",
        "Would have been held:",
        "commercial",
        "What to do:",
    ] {
        assert!(main.contains(words), "`{words}` missing: {main}");
    }
    assert!(exists(&page, "form.scan-form input[type=file][name=mbox]").await);
    shot(&page, "shadow-ai").await;
    phone_width(&page).await;
    goto(&page, &format!("{base}/inbox/shadow")).await;
    let wide = too_wide(&page).await;
    assert_eq!(
        overflow_x(&page).await,
        0,
        "sideways scrolling at 390 px: {wide:?}"
    );
    shot(&page, "shadow-ai-phone").await;

    // A manager reads it, without the form; a rep has no link and is refused.
    let manager = ui.open_private(&format!("{base}/inbox/login")).await;
    log_in(&manager, &base, "mo.manager", PASSWORD).await;
    assert!(exists(&manager, "nav a[href='/inbox/shadow']").await);
    goto(&manager, &format!("{base}/inbox/shadow")).await;
    assert!(text(&manager, "main").await.contains("Lavender"));
    assert!(!exists(&manager, "form.scan-form").await);
    let rep = ui.open_private(&format!("{base}/inbox/login")).await;
    log_in(&rep, &base, "sam.seller", PASSWORD).await;
    assert!(!exists(&rep, "nav a[href='/inbox/shadow']").await);
    goto(&rep, &format!("{base}/inbox/shadow")).await;
    assert_eq!(status(&rep).await, 403);

    ui.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assessment_ranks_the_workflows_with_their_parts_and_fits_a_phone() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = scanned_app().await;
    let base = app.base.clone();
    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "mo.manager", PASSWORD).await;
    goto(&page, &format!("{base}/inbox/assess")).await;
    assert!(exists(&page, "svg#chart-assess").await);
    let cards: Vec<String> = crate::support::eval(
        &page,
        "[...document.querySelectorAll('section.workflow h2')].map(h => h.textContent.trim())",
    )
    .await;
    assert_eq!(cards.len(), 5, "{cards:?}");
    for name in ["follow-up e-mail", "CRM hygiene", "account research"] {
        assert!(cards.iter().any(|c| c.contains(name)), "{name}: {cards:?}");
    }
    let main = text(&page, "main").await;
    for words in [
        "Recommendation",
        "volume",
        "readiness",
        "capacity",
        "exposure",
        "[assess]",
    ] {
        assert!(main.contains(words), "`{words}` missing: {main}");
    }
    shot(&page, "assess").await;
    phone_width(&page).await;
    goto(&page, &format!("{base}/inbox/assess")).await;
    let wide = too_wide(&page).await;
    assert_eq!(
        overflow_x(&page).await,
        0,
        "sideways scrolling at 390 px: {wide:?}"
    );
    shot(&page, "assess-phone").await;
    ui.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_is_simulated_over_history_before_it_is_activated() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = scanned_app().await;
    let base = app.base.clone();
    let key = app.tool("agent").await;
    for to in ["a@buyer.example", "b@buyer.example"] {
        let r = app
            .propose_email(
                &key,
                to,
                "Hi, the recording of today's session is in the shared folder.",
            )
            .await;
        assert_eq!(r.body["decision"]["decision"], "allow", "{:?}", r.body);
    }
    let before = app.state.policy().version.to_string();

    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "ada.admin", PASSWORD).await;
    goto(&page, &format!("{base}/inbox/policy")).await;
    assert!(text(&page, "main").await.contains(&before));
    // The candidate holds every e-mail for a manager.
    let _: bool = crate::support::eval(
        &page,
        "(() => { const t = document.querySelector('#policy-toml'); \
         t.value = t.value.replace('\"email.send\" = \"automation_safe\"', '\"email.send\" = \"manager_approved\"'); \
         return true; })()",
    )
    .await;
    crate::support::click(&page, "form.policy-form button[type=submit]").await;
    let summary = text(&page, "#simulation").await;
    assert!(summary.contains("2 decided differently"), "{summary}");
    assert!(text(&page, "#sim-changed").await.contains("allow → hold"));
    assert!(exists(&page, "#activate").await);
    shot(&page, "policy-simulated").await;
    crate::support::click(&page, "#activate").await;
    assert!(text(&page, "#notice").await.contains("is active"));
    assert_ne!(app.state.policy().version.to_string(), before);
    assert!(app.audit_export().await.contains("\"simulation\""));
    ui.close().await;
    app.stop().await;
}

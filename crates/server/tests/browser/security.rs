//! The inbox's defences, seen from a browser: a form posted without (or with a wrong)
//! anti-CSRF token is refused; a log-in replaces whatever session id the browser had and a
//! log-out ends the session on the server; another role's item can be neither opened nor
//! approved, even by a hand-made POST carrying a valid token.

use chrono::Utc;
use countersign_store::ActionStatus;
use reqwest::StatusCode;

use crate::helpers::{DISCOUNT, Kind, PASSWORD, TestApp};
use crate::support::{
    Ui, and_wait, click, cookie, eval, exists, goto, location, log_in, set_cookie, shot, status,
    text, type_into, wait_for,
};

/// A security claim only: held for `security`, nothing for deal desk.
const SECURITY_ONLY: &str = "Hi Dana, on security: we are SOC 2 Type II certified and encrypt all customer data at rest with AES-256. Best, Sam";

/// Proposes `body` to Dana; asserts it is held and returns its id.
async fn held(app: &TestApp, body: &str) -> String {
    let key = app.tool("drafter").await;
    let r = app.propose_email(&key, "dana@acme.example", body).await;
    assert_eq!(r.body["decision"]["decision"], "hold", "{:?}", r.body);
    r.body["action_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_without_its_csrf_token_is_refused_with_403() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    let id = held(&app, DISCOUNT).await;
    app.account("dee.desk", &["deal_desk"], false).await;
    let base = app.base.clone();
    let item = format!("{base}/inbox/items/{id}");

    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "dee.desk", PASSWORD).await;
    goto(&page, &item).await;
    // The page's own script could not do this (its CSP allows none); CDP can.
    let removed: bool = eval(
        &page,
        "(() => { const i = document.querySelector(\"form[action$='/approve'] input[name=csrf]\"); \
         if (!i) return false; i.remove(); return true; })()",
    )
    .await;
    assert!(removed, "the approve form has no anti-CSRF field");
    click(&page, "#approve").await;
    assert_eq!(status(&page).await, 403);
    let message = text(&page, "#error-message").await;
    assert!(message.contains("anti-CSRF token"), "{message}");
    shot(&page, "csrf-refused").await;

    // A token of the right shape but not this session's is refused too.
    goto(&page, &item).await;
    let _: bool = eval(
        &page,
        "(() => { document.querySelector(\"form[action$='/reject'] input[name=csrf]\").value = \
         '0'.repeat(64); return true; })()",
    )
    .await;
    type_into(&page, "input[name=reason]", "forged").await;
    click(&page, "#reject").await;
    assert_eq!(status(&page).await, 403);
    assert!(
        text(&page, "#error-message")
            .await
            .contains("anti-CSRF token")
    );

    let view = app.state.store.show(&id, Utc::now()).await.unwrap();
    assert_eq!(view.status, ActionStatus::Held);
    assert!(view.approvals.is_empty(), "{:?}", view.approvals);

    ui.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_replaces_the_session_id_and_log_out_ends_it_on_the_server() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    // A live session id an attacker knows and plants in the victim's browser.
    let planted = app.account("dee.desk", &["deal_desk"], false).await;
    let base = app.base.clone();
    let me = |token: String| {
        let app = &app;
        async move { app.get("/v1/me", &token).await.status }
    };

    let page = ui.open(&format!("{base}/inbox/login")).await;
    set_cookie(&page, &base, "cs_session", &planted).await;
    assert_eq!(
        cookie(&page, "cs_session").await.map(|c| c.value),
        Some(planted.clone())
    );
    log_in(&page, &base, "dee.desk", PASSWORD).await;
    wait_for(&page, "#counts").await;
    let session = cookie(&page, "cs_session")
        .await
        .expect("no session cookie after log-in");
    assert_ne!(session.value, planted, "log-in kept the planted session id");
    assert!(session.value.len() >= 32, "{}", session.value);
    assert!(
        session.http_only,
        "the session cookie is readable by scripts"
    );
    assert_eq!(
        session.same_site,
        Some(chromiumoxide::cdp::browser_protocol::network::CookieSameSite::Strict)
    );
    assert_eq!(me(planted.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(session.value.clone()).await, StatusCode::OK);

    click(&page, "form.logout button[type=submit]").await;
    assert!(
        location(&page).await.starts_with("/inbox/login"),
        "log-out did not lead to the log-in page"
    );
    assert!(cookie(&page, "cs_session").await.is_none());
    shot(&page, "logged-out").await;
    assert_eq!(me(session.value.clone()).await, StatusCode::UNAUTHORIZED);

    // The old cookie, put back, opens nothing: the session ended on the server.
    set_cookie(&page, &base, "cs_session", &session.value).await;
    goto(&page, &format!("{base}/inbox")).await;
    assert_eq!(location(&page).await, "/inbox/login?ended=1");
    let notice = text(&page, "#login-notice").await;
    assert!(notice.contains("session has ended"), "{notice}");
    assert!(!exists(&page, "form.logout").await);
    shot(&page, "session-ended").await;

    ui.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_can_neither_open_nor_approve_another_roles_item() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    let id = held(&app, SECURITY_ONLY).await;
    let view = app.state.store.show(&id, Utc::now()).await.unwrap();
    assert_eq!(
        view.missing_roles.iter().collect::<Vec<_>>(),
        ["security"],
        "the item should wait for security only"
    );
    app.account("dee.desk", &["deal_desk"], false).await;
    let base = app.base.clone();

    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "dee.desk", PASSWORD).await;
    wait_for(&page, "#empty").await;
    assert!(!exists(&page, &format!("a[href='/inbox/items/{id}']")).await);

    goto(&page, &format!("{base}/inbox/items/{id}")).await;
    assert_eq!(status(&page).await, 403);
    let message = text(&page, "#error-message").await;
    assert!(
        message.contains("This item waits for security; you hold deal desk"),
        "{message}"
    );
    assert!(!exists(&page, "#approve").await);
    shot(&page, "forbidden-other-role").await;

    // A hand-made approve form with this session's valid token (from the log-out form).
    goto(&page, &format!("{base}/inbox")).await;
    let script = format!(
        "(() => {{ const f = document.createElement('form'); f.method = 'post'; \
         f.action = '/inbox/items/{id}/approve'; \
         for (const [k, v] of [['csrf', document.querySelector('form.logout input[name=csrf]').value], \
         ['revision', '1']]) {{ const i = document.createElement('input'); i.type = 'hidden'; \
         i.name = k; i.value = v; f.appendChild(i); }} \
         document.body.appendChild(f); setTimeout(() => f.submit(), 0); return true; }})()"
    );
    and_wait(&page, || async {
        let _: bool = eval(&page, &script).await;
    })
    .await;
    assert_eq!(status(&page).await, 403);
    let message = text(&page, "#error-message").await;
    assert!(message.contains("waits for security"), "{message}");

    let view = app.state.store.show(&id, Utc::now()).await.unwrap();
    assert_eq!(view.status, ActionStatus::Held);
    assert!(view.approvals.is_empty(), "{:?}", view.approvals);

    ui.close().await;
    app.stop().await;
}

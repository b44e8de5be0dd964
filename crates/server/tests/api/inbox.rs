//! The reviewer inbox over plain HTTP: log-in sets an HttpOnly, SameSite=Strict cookie
//! with a new session id; every state-changing form needs its anti-CSRF token; the queue
//! and the item page render with the findings highlighted in place; another role's item
//! is refused. (The browser tests are the `inbox_browser` target.)

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};

use crate::helpers::{DISCOUNT, Kind, PASSWORD, TestApp};

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> Page {
    let r = client()
        .get(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

async fn post_form(app: &TestApp, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Page {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let r = client()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

/// The first `name="csrf" value="…"` of a page.
fn csrf(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

/// The value a `Set-Cookie` header gives cookie `name`, with the header.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v[name.len() + 1..].split(';').next().unwrap().to_owned();
            (value, v.to_owned())
        })
}

/// Logs in through the form; returns the session cookie value.
async fn form_login(app: &TestApp, name: &str, old_session: Option<&str>) -> (String, String) {
    let form = get(app, "/inbox/login", "").await;
    assert_eq!(form.status, StatusCode::OK);
    let (login_csrf, _) = set_cookie(&form.headers, "cs_login_csrf").unwrap();
    assert_eq!(csrf(&form.text), login_csrf);
    let mut cookie = format!("cs_login_csrf={login_csrf}");
    if let Some(old) = old_session {
        cookie.push_str(&format!("; cs_session={old}"));
    }
    let r = post_form(
        app,
        "/inbox/login",
        &cookie,
        &[
            ("csrf", &login_csrf),
            ("name", name),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[LOCATION], "/inbox");
    set_cookie(&r.headers, "cs_session").unwrap()
}

async fn held_discount(app: &TestApp) -> String {
    let key = app.tool("drafter").await;
    let r = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    assert_eq!(r.body["status"], "held", "{:?}", r.body);
    r.body["action_id"].as_str().unwrap().to_owned()
}

async fn login_sets_the_cookie_and_changes_the_session_id(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let before = app.account("dee.desk", &["deal_desk"], false).await;
    let (session, header) = form_login(&app, "dee.desk", Some(&before)).await;
    assert_ne!(session, before, "a log-in must start a new session id");
    assert!(header.contains("HttpOnly"), "{header}");
    assert!(header.contains("SameSite=Strict"), "{header}");
    assert!(!header.contains("Secure"), "plain HTTP: {header}");
    // The browser's earlier session ended with the log-in.
    let old = get(&app, "/inbox", &format!("cs_session={before}")).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    let queue = get(&app, "/inbox", &format!("cs_session={session}")).await;
    assert_eq!(queue.status, StatusCode::OK);
    let csp = queue.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // Log-out ends the session on the server: the old cookie is refused afterwards.
    let out = post_form(
        &app,
        "/inbox/logout",
        &format!("cs_session={session}"),
        &[("csrf", &csrf(&queue.text))],
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = get(&app, "/inbox", &format!("cs_session={session}")).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.headers[LOCATION], "/inbox/login?ended=1");
    app.stop().await;
}
api_test!(login_sets_the_cookie_and_changes_the_session_id);

async fn a_post_without_the_csrf_token_is_refused(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let id = held_discount(&app).await;
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let cookie = format!("cs_session={desk}");
    for (path, fields) in [
        (
            format!("/inbox/items/{id}/approve"),
            vec![("revision", "1")],
        ),
        (format!("/inbox/items/{id}/reject"), vec![("reason", "no")]),
        (format!("/inbox/items/{id}/edit"), vec![("body", "Hello")]),
        ("/inbox/logout".to_owned(), vec![]),
    ] {
        let r = post_form(&app, &path, &cookie, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        let mut wrong = fields.clone();
        wrong.push(("csrf", "0000"));
        let r = post_form(&app, &path, &cookie, &wrong).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} with a wrong token");
    }
    // The log-in form needs its double-submit token too.
    let r = post_form(
        &app,
        "/inbox/login",
        "",
        &[("name", "dee.desk"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let item = app.get(&format!("/v1/actions/{id}"), &desk).await;
    assert_eq!(item.body["status"], "held", "nothing changed");
    app.stop().await;
}
api_test!(a_post_without_the_csrf_token_is_refused);

async fn queue_and_item_render_with_findings_highlighted(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let id = held_discount(&app).await;
    app.account("dee.desk", &["deal_desk"], false).await;
    let (session, _) = form_login(&app, "dee.desk", None).await;
    let cookie = format!("cs_session={session}");
    let queue = get(&app, "/inbox", &cookie).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue.text.contains(&format!("/inbox/items/{id}")),
        "{}",
        queue.text
    );
    assert!(queue.text.contains("deal desk <b>1</b>"), "{}", queue.text);
    let filtered = get(&app, "/inbox?category=executive", &cookie).await;
    assert!(!filtered.text.contains(&format!("/inbox/items/{id}")));

    let item = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.text);
    let mark = item
        .text
        .find(r#"<mark class="finding cat-commercial""#)
        .expect("the discount is highlighted");
    let marked = &item.text[mark..mark + item.text[mark..].find("</mark>").unwrap()];
    assert!(marked.contains("15% off"), "{marked}");
    assert!(item.text.contains("id=\"approve\""));

    let r = post_form(
        &app,
        &format!("/inbox/items/{id}/approve"),
        &cookie,
        &[("csrf", &csrf(&item.text)), ("revision", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let after = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    assert!(
        after.text.contains(r#"id="status">approved"#),
        "{}",
        after.text
    );
    assert!(after.text.contains("Only held items can be approved"));
    app.stop().await;
}
api_test!(queue_and_item_render_with_findings_highlighted);

async fn an_edit_is_rescanned_and_its_new_findings_shown_before_approval(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let id = held_discount(&app).await;
    app.account("dee.desk", &["deal_desk"], false).await;
    let (session, _) = form_login(&app, "dee.desk", None).await;
    let cookie = format!("cs_session={session}");
    let item = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    let token = csrf(&item.text);
    let body = "Hi Dana, we can do 15% off if you sign by Friday. We are SOC 2 Type II certified. Best, Sam";
    let r = post_form(
        &app,
        &format!("/inbox/items/{id}/edit"),
        &cookie,
        &[
            ("csrf", &token),
            ("body", body),
            ("subject", "Following up"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let edited = get(&app, &format!("/inbox/items/{id}?done=edited"), &cookie).await;
    assert!(edited.text.contains("new in this edit"), "{}", edited.text);
    assert!(edited.text.contains("revision 2"));
    // Approving what the reviewer saw before the edit is refused.
    let stale = post_form(
        &app,
        &format!("/inbox/items/{id}/approve"),
        &cookie,
        &[("csrf", &token), ("revision", "1")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    app.stop().await;
}
api_test!(an_edit_is_rescanned_and_its_new_findings_shown_before_approval);

async fn another_roles_item_is_refused(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let id = held_discount(&app).await;
    let sec = app.account("sue.security", &["security"], false).await;
    let cookie = format!("cs_session={sec}");
    let queue = get(&app, "/inbox", &cookie).await;
    assert!(!queue.text.contains(&format!("/inbox/items/{id}")));
    let item = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    assert_eq!(item.status, StatusCode::FORBIDDEN);
    assert!(
        item.text
            .contains("This item waits for deal desk; you hold security"),
        "{}",
        item.text
    );
    let r = post_form(
        &app,
        &format!("/inbox/items/{id}/approve"),
        &cookie,
        &[("csrf", &csrf(&queue.text)), ("revision", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let role = get(&app, "/inbox?role=deal_desk", &cookie).await;
    assert_eq!(role.status, StatusCode::FORBIDDEN);
    app.stop().await;
}
api_test!(another_roles_item_is_refused);

/// The ids of the items a queue page links to, in order.
fn item_ids(html: &str) -> Vec<String> {
    html.match_indices("href=\"/inbox/items/")
        .map(|(at, m)| html[at + m.len()..].split('"').next().unwrap().to_owned())
        .collect()
}

/// A page's link with `id`, unescaped.
fn link(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let href = html[..at].rfind("href=\"")? + 6;
    let end = html[href..].find('"')? + href;
    Some(html[href..end].replace("&amp;", "&"))
}

async fn the_queue_pages_by_cursor_and_filters_in_the_store(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let drafter = app.tool("drafter").await;
    let renewer = app.tool("renewer").await;
    for i in 0..55 {
        let r = app
            .propose_email(&drafter, &format!("buyer{i}@acme.example"), DISCOUNT)
            .await;
        assert_eq!(r.body["status"], "held", "{:?}", r.body);
    }
    for i in 0..2 {
        let r = app
            .propose_email(&renewer, &format!("renewal{i}@acme.example"), DISCOUNT)
            .await;
        assert_eq!(r.body["status"], "held", "{:?}", r.body);
    }
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let cookie = format!("cs_session={desk}");

    let first = get(&app, "/inbox", &cookie).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert!(first.text.contains("(57 of 57)"), "{}", first.text);
    assert!(first.text.contains("deal desk <b>57</b>"));
    let first_ids = item_ids(&first.text);
    assert_eq!(first_ids.len(), 50);
    assert!(link(&first.text, "prev-page").is_none());

    let next = link(&first.text, "next-page").expect("a next page");
    let second = get(&app, &next, &cookie).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let second_ids = item_ids(&second.text);
    assert_eq!(second_ids.len(), 7);
    assert!(link(&second.text, "next-page").is_none());
    let all: std::collections::BTreeSet<&String> = first_ids.iter().chain(&second_ids).collect();
    assert_eq!(all.len(), 57, "no item twice, none left out");

    let back = get(&app, &link(&second.text, "prev-page").unwrap(), &cookie).await;
    assert_eq!(item_ids(&back.text), first_ids);

    let by_tool = get(&app, "/inbox?tool=renewer", &cookie).await;
    assert_eq!(item_ids(&by_tool.text).len(), 2);
    assert!(by_tool.text.contains("(2 of 57)"), "{}", by_tool.text);
    let older = get(&app, "/inbox?older_than_hours=1", &cookie).await;
    assert!(item_ids(&older.text).is_empty());
    assert!(older.text.contains("with these filters"));

    let bad = get(&app, "/inbox?after=yesterday", &cookie).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.to_lowercase().contains("cursor"), "{}", bad.text);
    let bad = get(&app, "/inbox?older_than_hours=soon", &cookie).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text.to_lowercase().contains("older_than_hours"),
        "{}",
        bad.text
    );
    app.stop().await;
}
api_test!(the_queue_pages_by_cursor_and_filters_in_the_store);

async fn log_in_returns_to_the_page_asked_for_and_says_when_a_session_ended(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    app.account("dee.desk", &["deal_desk"], false).await;
    let id = held_discount(&app).await;
    let item = format!("/inbox/items/{id}");
    // A link from a notification, opened without a session.
    let r = get(&app, &item, "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.headers[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/inbox/login?next=%2Finbox%2Fitems%2F{id}"));
    let form = get(&app, &to, "").await;
    assert!(!form.text.contains("login-notice"), "no session had ended");
    let (login_csrf, _) = set_cookie(&form.headers, "cs_login_csrf").unwrap();
    let log_in = async |next: &str| {
        post_form(
            &app,
            "/inbox/login",
            &format!("cs_login_csrf={login_csrf}"),
            &[
                ("csrf", &login_csrf),
                ("name", "dee.desk"),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await
    };
    let r = log_in(&item).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[LOCATION], item.as_str());
    // Never an open redirect.
    for evil in [
        "//evil.example/inbox",
        "https://evil.example/",
        "/inbox//evil.example",
        "/v1/actions",
    ] {
        let r = log_in(evil).await;
        assert_eq!(r.headers[LOCATION], "/inbox", "{evil}");
    }
    // A cookie whose session ended comes back to a log-in page that says so.
    let (session, _) = set_cookie(&r.headers, "cs_session").unwrap();
    app.state
        .store
        .revoke_session(&session, chrono::Utc::now())
        .await
        .unwrap();
    app.state.auth_cache.clear();
    let r = get(&app, "/inbox", &format!("cs_session={session}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[LOCATION], "/inbox/login?ended=1");
    let page = get(&app, "/inbox/login?ended=1", "").await;
    assert!(
        page.text.contains("Your session has ended"),
        "{}",
        page.text
    );
    app.stop().await;
}
api_test!(log_in_returns_to_the_page_asked_for_and_says_when_a_session_ended);

/// A held CRM update shows its change, field by field, against what the CRM has now, and
/// is titled by the deal, not "(no subject)".
async fn a_crm_change_shows_each_field_before_and_after(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    app.account("mo.manager", &["manager", "deal_desk"], false)
        .await;
    let id = app.held_crm_change(serde_json::json!({"Stage": "Commit", "amount": 78000, "next_step": "Send the order form"})).await;
    let (session, _) = form_login(&app, "mo.manager", None).await;
    // The queue names the deal as the CRM has it now.
    let queue = get(&app, "/inbox", &format!("cs_session={session}")).await;
    assert!(
        queue.text.contains("Acme renewal · Negotiation · 84,000"),
        "{}",
        queue.text
    );
    let page = get(
        &app,
        &format!("/inbox/items/{id}"),
        &format!("cs_session={session}"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let html = &page.text;
    assert!(html.contains("<h1>Change to Acme renewal</h1>"), "{html}");
    assert!(!html.contains("(no subject)"), "{html}");
    let row = |field: &str| {
        let at = html
            .find(&format!("<th scope=\"row\">{field}</th>"))
            .unwrap_or_else(|| panic!("no row for {field}: {html}"));
        let end = html[at..].find("</tr>").unwrap() + at;
        html[at..end].to_owned()
    };
    let stage = row("Stage");
    assert!(
        stage.contains("Negotiation") && stage.contains("<b>Commit</b>"),
        "{stage}"
    );
    let amount = row("amount");
    assert!(
        amount.contains("84000") && amount.contains("<b>78000</b>"),
        "{amount}"
    );
    let next = row("next step");
    assert!(next.contains("not kept by Countersign"), "{next}");
    // The deal beside it, as the CRM has it now.
    let deal = &html[html.find(r#"id="deal""#).expect("a deal card")..];
    let deal = &deal[..deal.find("</section>").unwrap()];
    assert!(
        deal.contains("Acme renewal") && deal.contains("Negotiation") && deal.contains("84000"),
        "{deal}"
    );
    // The button says what it approves and as whom.
    assert!(
        html.contains(">Approve the change to Acme renewal as deal desk and manager</button>"),
        "{html}"
    );
    app.stop().await;
}
api_test!(a_crm_change_shows_each_field_before_and_after);

/// The server's root opens the inbox: a newcomer who types the printed address lands on it.
async fn the_root_url_opens_the_inbox(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let r = get(&app, "/", "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[LOCATION], "/inbox");
    app.stop().await;
}
api_test!(the_root_url_opens_the_inbox);

/// A reason of spaces is sent back to the item with the problem beside the field, not to a
/// separate error page, and nothing is rejected.
async fn a_blank_rejection_reason_is_shown_beside_the_field(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    app.account("dee.desk", &["deal_desk"], false).await;
    let id = held_discount(&app).await;
    let (session, _) = form_login(&app, "dee.desk", None).await;
    let cookie = format!("cs_session={session}");
    let item = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    let token = csrf(&item.text);
    let r = post_form(
        &app,
        &format!("/inbox/items/{id}/reject"),
        &cookie,
        &[("csrf", &token), ("reason", "   ")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.headers[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        to,
        format!("/inbox/items/{id}?problem=reason#reject-reason")
    );
    let page = get(&app, to.split('#').next().unwrap(), &cookie).await;
    assert!(page.text.contains(r#"id="reason-error""#), "{}", page.text);
    assert!(
        page.text.contains(r#"aria-invalid="true""#),
        "{}",
        page.text
    );
    let view = app.state.store.show(&id, chrono::Utc::now()).await.unwrap();
    assert_eq!(view.status, countersign_store::ActionStatus::Held);
    app.stop().await;
}
api_test!(a_blank_rejection_reason_is_shown_beside_the_field);

/// A rep's queue lists what waits for others on their behalf, and a reviewer's queue
/// marks their own role under "Needs" with the reason that asks for it.
async fn the_queue_shows_the_reps_items_and_marks_the_reviewers_role(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    app.account("sam.rep", &["rep"], false).await;
    app.account("dee.desk", &["deal_desk"], false).await;
    let id = held_discount(&app).await;
    let (rep, _) = form_login(&app, "sam.rep", None).await;
    let queue = get(&app, "/inbox", &format!("cs_session={rep}")).await;
    let mine = &queue.text[queue.text.find(r#"id="mine""#).expect("a rep's own items")..];
    assert!(mine.contains(&format!("/inbox/items/{id}")), "{mine}");
    assert!(
        mine.contains("deal desk"),
        "it says what the item waits for: {mine}"
    );
    let (desk, _) = form_login(&app, "dee.desk", None).await;
    let queue = get(&app, "/inbox", &format!("cs_session={desk}")).await;
    assert!(
        queue
            .text
            .contains(r#"<span class="role mine">deal desk <span class="you">(you)</span>"#),
        "{}",
        queue.text
    );
    assert!(
        queue.text.contains("discount negotiation"),
        "{}",
        queue.text
    );
    app.stop().await;
}
api_test!(the_queue_shows_the_reps_items_and_marks_the_reviewers_role);

/// Before saving an edit, the editor is told whose approvals it will void.
async fn the_edit_form_says_whose_approval_an_edit_voids(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    app.account("pia.sec", &["security"], false).await;
    let key = app.tool("drafter").await;
    let r = app
        .propose_email(
            &key,
            "dana@acme.example",
            crate::helpers::DISCOUNT_AND_SECURITY,
        )
        .await;
    let id = r.body["action_id"].as_str().unwrap().to_owned();
    let (session, _) = form_login(&app, "pia.sec", None).await;
    let cookie = format!("cs_session={session}");
    let before = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    assert!(!before.text.contains(r#"id="voids""#), "no approval yet");
    let approved = app
        .post(
            &format!("/v1/actions/{id}/approve"),
            &desk,
            &serde_json::json!({"revision": 1}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let after = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    let voids = &after.text[after.text.find(r#"id="voids""#).expect("a warning")..];
    assert!(voids.contains("dee.desk (deal desk)"), "{voids}");
    app.stop().await;
}
api_test!(the_edit_form_says_whose_approval_an_edit_voids);

/// A reply shows the buyer's message it answers, folded above the draft; the glossary
/// explains the words the pages use.
async fn a_reply_shows_the_buyers_message_it_answers(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    app.account("dee.desk", &["deal_desk"], false).await;
    let key = app.tool("drafter").await;
    let r = app
        .post(
            "/v1/actions",
            &key,
            &serde_json::json!({
                "kind": "email.send", "on_behalf_of": "sam.rep",
                "payload": {
                    "to": "dana@acme.example", "subject": "Re: pricing",
                    "body": "Hi Dana, we can do 15% off if you sign by Friday. Best, Sam",
                    "in_reply_to": {"from": "Dana Whitfield <dana@acme.example>",
                                    "text": "Could you do better on price?\nOur budget closes this month."},
                },
            }),
        )
        .await;
    assert_eq!(r.body["status"], "held", "{:?}", r.body);
    let id = r.body["action_id"].as_str().unwrap().to_owned();
    let (session, _) = form_login(&app, "dee.desk", None).await;
    let cookie = format!("cs_session={session}");
    let page = get(&app, &format!("/inbox/items/{id}"), &cookie).await;
    let folded = &page.text[page
        .text
        .find(r#"id="buyer-message""#)
        .expect("the buyer's message")..];
    assert!(folded.contains("Could you do better on price?"), "{folded}");
    assert!(folded.contains("Dana Whitfield"), "{folded}");
    // Folded above the draft: it comes before the message body.
    assert!(page.text.find("buyer-message") < page.text.find(r#"id="message""#));
    let glossary = get(&app, "/inbox/glossary", &cookie).await;
    assert_eq!(glossary.status, StatusCode::OK);
    for word in [
        "Manager-approved",
        "Protected moment",
        "Revision",
        "Quiet hours",
        "Expired",
    ] {
        assert!(glossary.text.contains(word), "the glossary lacks {word}");
    }
    app.stop().await;
}
api_test!(a_reply_shows_the_buyers_message_it_answers);

/// A probe: a hand-made bulk form naming a protected moment (a discount) approves nothing,
/// though the reviewer holds the role; a routine item in the same form still goes through.
async fn a_hand_made_bulk_form_cannot_approve_a_protected_moment(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    app.account("mo.manager", &["manager", "deal_desk"], false)
        .await;
    let discount = held_discount(&app).await;
    let change = app
        .held_crm_change(serde_json::json!({"stage": "Commit"}))
        .await;
    let (session, _) = form_login(&app, "mo.manager", None).await;
    let cookie = format!("cs_session={session}");
    let queue = get(&app, "/inbox", &cookie).await;
    let token = csrf(&queue.text);
    let done = post_form(
        &app,
        "/inbox/bulk/approve",
        &cookie,
        &[
            ("csrf", &token),
            ("item", &format!("{discount}:1")),
            ("item", &format!("{change}:1")),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("Approved 1 of 2"), "{}", done.text);
    assert!(
        done.text.contains("approved on its own page"),
        "{}",
        done.text
    );
    let status = |id: &str| {
        let app = &app;
        let id = id.to_owned();
        async move { app.get(&format!("/v1/actions/{id}"), &app.admin).await.body["status"].clone() }
    };
    assert_eq!(status(&discount).await, "held");
    assert_eq!(status(&change).await, "approved");
    app.stop().await;
}
api_test!(a_hand_made_bulk_form_cannot_approve_a_protected_moment);

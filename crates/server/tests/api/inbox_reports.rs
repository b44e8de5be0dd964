//! The inbox's reports over plain HTTP: the audit view (events, filters, keyset pages, the
//! chain's verify status, who may see it), the dashboard (figures, SVG charts, the strict
//! CSP), and the item page's revision diff and guard results.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap};
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection};

use crate::helpers::{DISCOUNT, DISCOUNT_AND_SECURITY, Kind, ROUTINE, TestApp};

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

async fn get(app: &TestApp, path: &str, session: &str) -> Page {
    let r = client()
        .get(format!("{}{path}", app.base))
        .header(COOKIE, format!("cs_session={session}"))
        .send()
        .await
        .unwrap();
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

async fn post_form(app: &TestApp, path: &str, session: &str, fields: &[(&str, &str)]) -> Page {
    let body = serde_urlencoded(fields);
    let r = client()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, format!("cs_session={session}"))
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

fn serde_urlencoded(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        char::from(b).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The first `name="csrf" value="…"` of a page.
fn csrf(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

/// The text of the element with `id` up to its closing `</tag>`.
fn element<'a>(html: &'a str, tag: &str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no element #{id} in {html}"));
    let end = html[start..]
        .find(&format!("</{tag}>"))
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The audit table's event tags, top to bottom.
fn events(html: &str) -> Vec<String> {
    html.split(r#"<span class="tag event-"#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

fn assert_strict_csp(page: &Page) {
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // No inline script: the one script is our static file, allowed by `script-src 'self'`.
    let ours = r#"<script src="/inbox/static/revalidate.js" defer></script>"#;
    assert_eq!(
        page.text.matches("<script").count(),
        page.text.matches(ours).count(),
        "only the static revalidation script on inbox pages"
    );
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !page.text.contains("style="),
        "no inline style on inbox pages"
    );
}

async fn propose(app: &TestApp, key: &str, to: &str, body: &str) -> String {
    let r = app.propose_email(key, to, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["action_id"].as_str().unwrap().to_owned()
}

async fn the_audit_view_lists_events_filters_and_pages(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("drafter").await;
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let legal = app.account("lea.legal", &["legal"], false).await;
    let held = propose(&app, &key, "dana@acme.example", DISCOUNT).await;
    let item = get(&app, &format!("/inbox/items/{held}"), &desk).await;
    let r = post_form(
        &app,
        &format!("/inbox/items/{held}/approve"),
        &desk,
        &[("csrf", &csrf(&item.text)), ("revision", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // Enough routine e-mails (to different people) for more than one page of 50 records.
    for i in 0..24 {
        propose(&app, &key, &format!("buyer{i}@example{i}.com"), ROUTINE).await;
    }
    let chain = app.state.store.verify_audit().await.unwrap();

    let page = get(&app, "/inbox/audit", &legal).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_strict_csp(&page);
    let status = element(&page.text, "p", "chain");
    assert!(status.contains("Chain intact"), "{status}");
    assert!(
        status.contains(&format!("{} records, checked", chain.records)),
        "{status}"
    );
    assert!(status.contains(&chain.head_hash), "{status}");
    assert_eq!(events(&page.text).len(), 50, "one full page");
    assert!(
        page.text.contains(r#"href="/inbox/audit""#),
        "the nav links the audit view"
    );

    // The next page continues below the first one's last sequence number.
    let next = element(&page.text, "a", "next-page");
    let href = next
        .split("href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let older = get(&app, &href, &legal).await;
    assert_eq!(older.status, StatusCode::OK);
    let total = events(&page.text).len() + events(&older.text).len();
    assert_eq!(i64::try_from(total).unwrap(), chain.records.min(100));

    // Filters: one event type, one action, one actor.
    let approvals = get(&app, "/inbox/audit?event=approval", &legal).await;
    assert_eq!(events(&approvals.text), ["approval"]);
    assert!(approvals.text.contains(&format!("/inbox/items/{held}")));
    let of_action = get(&app, &format!("/inbox/audit?action_id={held}"), &legal).await;
    assert_eq!(
        events(&of_action.text),
        ["release", "approval", "decision", "proposal"]
    );
    let by_actor = get(&app, "/inbox/audit?actor=dee.desk", &legal).await;
    let by_actor_events = events(&by_actor.text);
    assert!(by_actor_events.contains(&"approval".to_owned()));
    assert!(!by_actor_events.contains(&"proposal".to_owned()));
    let today = chrono::Utc::now().date_naive();
    let dated = get(
        &app,
        &format!("/inbox/audit?from={today}&to={today}&event=proposal"),
        &legal,
    )
    .await;
    assert_eq!(events(&dated.text).len(), 25);
    let yesterday = today - chrono::Duration::days(1);
    let none = get(&app, &format!("/inbox/audit?to={yesterday}"), &legal).await;
    assert!(
        none.text.contains("No audit records match"),
        "{}",
        none.text
    );

    // A bad filter is named, not a 500.
    let bad = get(&app, "/inbox/audit?from=last-week", &legal).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text.contains("From: <code>last-week</code>"),
        "{}",
        bad.text
    );
    app.stop().await;
}
api_test!(the_audit_view_lists_events_filters_and_pages);

async fn a_tampered_record_is_named_on_the_audit_view(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("drafter").await;
    let sec = app.account("sue.security", &["security"], false).await;
    let id = propose(&app, &key, "dana@acme.example", DISCOUNT).await;
    let seq = app
        .state
        .store
        .audit_for_action(&id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.event == "decision")
        .unwrap()
        .seq;
    // An insider rewrites the decision record in the database.
    let sql = format!(
        "UPDATE audit_record SET actor = 'tool:someone-else' WHERE audit_record_id = {seq}"
    );
    match kind {
        Kind::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap();
        }
        Kind::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
    let page = get(&app, "/inbox/audit", &sec).await;
    assert_eq!(page.status, StatusCode::OK);
    let status = element(&page.text, "p", "chain");
    assert!(
        status.contains(&format!("Chain broken at record {seq}")),
        "{status}"
    );
    app.stop().await;
}
api_test!(a_tampered_record_is_named_on_the_audit_view);

async fn the_audit_view_is_refused_to_other_roles(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let page = get(&app, "/inbox/audit", &desk).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.text
            .contains("open to admins and to reviewers with the security, legal or manager role"),
        "{}",
        page.text
    );
    // Nor is it offered in the navigation; the dashboard is.
    let dash = get(&app, "/inbox/dashboard", &desk).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(!dash.text.contains(r#"href="/inbox/audit""#));
    assert!(dash.text.contains(r#"href="/inbox/dashboard""#));
    // An admin without reviewer roles may read it.
    let admin = get(&app, "/inbox/audit", &app.admin).await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.text);
    // Without a session: to the log-in page.
    let anon = client()
        .get(format!("{}/inbox/audit", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}
api_test!(the_audit_view_is_refused_to_other_roles);

async fn the_dashboard_shows_the_figures_of_a_known_history(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("drafter").await;
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let sec = app.account("sue.security", &["security"], false).await;
    // Four e-mails: one routine (allowed), one approved as is, one edited then approved,
    // one rejected.
    propose(&app, &key, "dana@acme.example", ROUTINE).await;
    let approved = propose(&app, &key, "lee@globex.example", DISCOUNT).await;
    let edited = propose(&app, &key, "kim@initech.example", DISCOUNT).await;
    let rejected = propose(&app, &key, "max@umbrella.example", DISCOUNT_AND_SECURITY).await;
    let r = app
        .post(
            &format!("/v1/actions/{approved}/approve"),
            &desk,
            &json!({"revision": 1}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let item = get(&app, &format!("/inbox/items/{edited}"), &desk).await;
    let token = csrf(&item.text);
    let body = "Hi Kim, we can do 10% off if you sign by Friday. Best, Sam";
    let r = post_form(
        &app,
        &format!("/inbox/items/{edited}/edit"),
        &desk,
        &[
            ("csrf", &token),
            ("body", body),
            ("subject", "Following up"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post_form(
        &app,
        &format!("/inbox/items/{edited}/approve"),
        &desk,
        &[("csrf", &token), ("revision", "2")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let item = get(&app, &format!("/inbox/items/{rejected}"), &sec).await;
    let r = post_form(
        &app,
        &format!("/inbox/items/{rejected}/reject"),
        &sec,
        &[
            ("csrf", &csrf(&item.text)),
            ("reason", "no certifications by e-mail"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    let page = get(&app, "/inbox/dashboard", &desk).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_strict_csp(&page);
    let kpi = |id: &str| {
        element(&page.text, "b", id)
            .split('>')
            .nth(1)
            .unwrap()
            .to_owned()
    };
    assert_eq!(kpi("kpi-actions"), "4");
    assert_eq!(kpi("kpi-automation"), "25%");
    assert_eq!(kpi("kpi-held"), "3");
    assert_eq!(kpi("kpi-override"), "67%");
    let cell = |id: &str| {
        element(&page.text, "td", id)
            .split('>')
            .nth(1)
            .unwrap()
            .to_owned()
    };
    assert_eq!(cell("approved"), "2");
    assert_eq!(cell("reviewed"), "3");
    assert_eq!(cell("edited"), "1");
    assert_eq!(cell("rejected"), "1");
    assert_ne!(cell("p50"), "—");
    // The per-kind table: 4 e-mails, 1 allowed, 3 held, 25%.
    let kinds = element(&page.text, "section", "automation-kind");
    assert!(
        kinds.contains(
            "<td class=\"label\">e-mail</td><td>4</td><td>1</td><td>3</td><td>0</td><td>0</td><td><b>25%</b></td>"
        ),
        "{kinds}"
    );
    let holds = element(&page.text, "section", "hold-reasons");
    assert!(
        holds.contains(r#"<span class="tag cat-commercial">commercial</span></td><td>3</td>"#),
        "{holds}"
    );
    // Every chart is an SVG with an accessible title and description.
    for id in [
        "chart-tier",
        "chart-kind",
        "chart-holds",
        "chart-latency",
        "chart-overrides",
        "chart-deliveries",
    ] {
        assert!(
            page.text.contains(&format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}""#
            )),
            "{id}"
        );
        assert!(page.text.contains(&format!(r#"<title id="{id}-title">"#)));
        assert!(page.text.contains(&format!(r#"<desc id="{id}-desc">"#)));
    }
    // Another window; a bad one is named.
    let week = get(&app, "/inbox/dashboard?days=7", &desk).await;
    assert!(week.text.contains("last 7 days"));
    let bad = get(&app, "/inbox/dashboard?days=zero", &desk).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("Days: <code>zero</code>"), "{}", bad.text);
    app.stop().await;
}
api_test!(the_dashboard_shows_the_figures_of_a_known_history);

async fn the_item_page_shows_the_edit_as_a_diff_and_the_guards(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("drafter").await;
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let id = propose(&app, &key, "dana@acme.example", DISCOUNT).await;
    let item = get(&app, &format!("/inbox/items/{id}"), &desk).await;
    assert_strict_csp(&item);
    let guards = element(&item.text, "section", "guards");
    for row in [
        "Suppression",
        "Contact frequency cap",
        "Account frequency cap",
        "Automated follow-ups",
        "Quiet hours",
    ] {
        assert!(guards.contains(row), "{row}: {guards}");
    }
    assert!(
        guards.contains("0 of at most 3 e-mails to this contact in the last 72 hours"),
        "{guards}"
    );
    assert!(guards.contains("time zone is unknown"), "{guards}");
    let r = post_form(
        &app,
        &format!("/inbox/items/{id}/edit"),
        &desk,
        &[
            ("csrf", &csrf(&item.text)),
            (
                "body",
                "Hi Dana, we can do 10% off if you sign this month. Best, Sam",
            ),
            ("subject", "Your offer"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let edited = get(&app, &format!("/inbox/items/{id}?done=edited"), &desk).await;
    let diff = element(&edited.text, "pre", "diff-2");
    assert!(diff.contains(r#"<del class="diff-del">15%"#), "{diff}");
    assert!(diff.contains(r#"<ins class="diff-ins">10%"#), "{diff}");
    assert!(
        diff.contains("Friday"),
        "the removed words stay readable: {diff}"
    );
    let subject = element(&edited.text, "p", "subject-diff-2");
    assert!(
        subject.contains(r#"<del class="diff-del">Following up</del>"#),
        "{subject}"
    );
    assert!(
        subject.contains(r#"<ins class="diff-ins">Your offer</ins>"#),
        "{subject}"
    );
    app.stop().await;
}
api_test!(the_item_page_shows_the_edit_as_a_diff_and_the_guards);

async fn a_frequency_cap_hold_is_shown_as_held_by_its_guard(kind: Kind) {
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("drafter").await;
    let boss = app.account("mia.manager", &["manager"], false).await;
    // The default policy allows three e-mails to a contact in 72 hours; the fourth is held.
    for _ in 0..3 {
        let r = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
        assert_eq!(r.body["status"], "allowed", "{:?}", r.body);
    }
    let r = app.propose_email(&key, "dana@acme.example", ROUTINE).await;
    assert_eq!(r.body["status"], "held", "{:?}", r.body);
    let id = r.body["action_id"].as_str().unwrap();
    let item = get(&app, &format!("/inbox/items/{id}"), &boss).await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.text);
    let guards = element(&item.text, "section", "guards");
    let cap = guards
        .split("<tr")
        .find(|row| row.contains("Contact frequency cap"))
        .unwrap();
    assert!(cap.contains("outcome-held"), "{cap}");
    assert!(
        cap.contains("3 e-mails already went to this contact in the last 72 hours; the cap is 3"),
        "{cap}"
    );
    let decision = element(&item.text, "section", "decision");
    assert!(decision.contains("Held for approval"), "{decision}");
    app.stop().await;
}
api_test!(a_frequency_cap_hold_is_shown_as_held_by_its_guard);

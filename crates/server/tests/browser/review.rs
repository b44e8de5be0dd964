//! A reviewer's day in the browser: log in (once with a wrong password), approve a held
//! e-mail and see it arrive at a real SMTP server; edit a draft so that it makes a
//! security claim and see the new finding and role before approving; reject with a reason.

use std::time::{Duration, Instant};

use chrono::Utc;
use countersign_server::config::SmtpSection;
use countersign_store::ActionStatus;

use crate::helpers::{DISCOUNT, Kind, PASSWORD, TestApp};
use crate::smtp::SmtpServer;
use crate::support::{
    Ui, and_wait, click, eval, exists, goto, log_in, overflow_x, phone_width, shot, status, text,
    type_into, wait_for,
};

/// A sentence a reviewer adds that answers a security objection with a claim.
const SECURITY_CLAIM: &str = "On security: we are SOC 2 Type II certified and encrypt all customer data at rest with AES-256. ";

/// A running app with one held discount e-mail (for `deal_desk`) and the reviewer
/// `dee.desk`; returns the action's id.
async fn held_discount(app: &TestApp) -> String {
    let key = app.tool("drafter").await;
    let r = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    assert_eq!(r.body["decision"]["decision"], "hold", "{:?}", r.body);
    app.account("dee.desk", &["deal_desk"], false).await;
    r.body["action_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_approves_a_held_email_in_the_browser_and_it_reaches_the_smtp_server() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let port = smtp.port;
    let app = TestApp::spawn_with(
        Kind::Sqlite,
        |c| {
            c.outbox.smtp = Some(SmtpSection {
                host: "127.0.0.1".to_owned(),
                port,
                from: "Sales <sales@seller.example>".to_owned(),
                timeout_ms: 5_000,
            });
            c.outbox.interval_ms = 100;
        },
        None,
    )
    .await
    .unwrap();
    let id = held_discount(&app).await;
    let base = app.base.clone();

    let page = ui.open(&format!("{base}/inbox/login")).await;
    shot(&page, "login").await;
    log_in(&page, &base, "dee.desk", "not the password").await;
    assert_eq!(status(&page).await, 401);
    let error = text(&page, "#login-error").await;
    assert!(error.contains("name or password"), "{error}");
    // The name stays filled in; the password does not.
    let kept: String = eval(
        &page,
        "document.querySelector('#login input[name=name]').value",
    )
    .await;
    assert_eq!(kept, "dee.desk");
    shot(&page, "login-error").await;

    log_in(&page, &base, "dee.desk", PASSWORD).await;
    wait_for(&page, "#counts").await;
    assert!(
        exists(&page, &format!("a.item-link[href='/inbox/items/{id}']")).await,
        "the held e-mail is not in deal desk's queue"
    );
    shot(&page, "queue").await;

    click(&page, "a.item-link").await;
    let marked = text(&page, "mark.finding.cat-commercial").await;
    assert!(marked.contains("15% off"), "{marked}");
    let findings = text(&page, "#findings").await;
    assert!(findings.contains("discount"), "{findings}");
    // Keyboard and touch: a highlight's number is a link, named for screen readers apart
    // from the word it follows, to the finding with its rule and evidence.
    let footnote: String = eval(
        &page,
        "(() => { const a = document.querySelector('mark.finding a.fn'); a.focus(); \
         return [document.activeElement === a, a.getAttribute('aria-label'), a.getAttribute('href')].join('|'); })()",
    )
    .await;
    assert_eq!(footnote, "true|finding 1|#finding-1");
    // Its rule is one step further, behind a toggle.
    let _: bool = eval(
        &page,
        "document.querySelector('#finding-1 details').open = true",
    )
    .await;
    let rule = text(&page, "#finding-1").await;
    assert!(rule.contains("commercial.discount"), "{rule}");
    shot(&page, "item-findings").await;
    // Keyboard users: the first Tab stop skips the header to the content.
    let first: String = eval(
        &page,
        "(() => { const e = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]'); \
         return e.className + ' ' + e.getAttribute('href'); })()",
    )
    .await;
    assert_eq!(first, "skip #main");
    // Held means held: nothing went to the buyer yet.
    assert!(
        !smtp
            .messages()
            .iter()
            .any(|m| m.contains("X-RcptTo: dana@acme.example"))
    );

    click(&page, "#approve").await;
    assert!(
        text(&page, "#notice")
            .await
            .contains("approval is recorded")
    );
    assert_eq!(
        text(&page, "#status").await.trim().to_lowercase(),
        "approved"
    );
    // Back: the page is fetched again (never from a cache), so it shows the approval and
    // offers no second one.
    and_wait(&page, || async {
        eval::<bool>(&page, "setTimeout(() => history.back(), 0), true").await;
    })
    .await;
    assert!(!exists(&page, "#approve").await, "Back showed the old form");
    assert!(text(&page, "#closed").await.contains("Approved"));
    // The same form posted again (a double submit that got through): no error and no
    // second approval, but the reviewer is told.
    and_wait(&page, || async {
        eval::<bool>(
            &page,
            "(() => { const f = document.createElement('form'); f.method = 'post'; \
             f.action = location.pathname + '/approve'; \
             for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['revision', '1']]) { \
               const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); } \
             document.body.appendChild(f); setTimeout(() => f.submit(), 0); return true; })()",
        )
        .await;
    })
    .await;
    let again = text(&page, "#notice").await;
    assert!(
        again.contains("You already approved revision 1 at"),
        "{again}"
    );
    assert_eq!(status(&page).await, 200);
    let mail = smtp
        .wait_for(Duration::from_secs(20), |m| {
            m.contains("X-RcptTo: dana@acme.example")
        })
        .await;
    assert!(mail.contains("15% off"), "{mail}");
    assert!(
        mail.contains(&format!("<{id}@countersign.invalid>")),
        "{mail}"
    );

    // The item page tells the reviewer it went out.
    let start = Instant::now();
    loop {
        goto(&page, &format!("{base}/inbox/items/{id}")).await;
        if exists(&page, "#delivery").await && text(&page, "#delivery").await.contains("Delivered")
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the item page never showed the delivery"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&page, "item-approved-delivered").await;
    assert_eq!(
        smtp.messages()
            .iter()
            .filter(|m| m.contains("X-RcptTo: dana@acme.example"))
            .count(),
        1,
        "the buyer got the e-mail more than once"
    );

    ui.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_adds_a_security_claim_shows_the_new_finding_and_needs_security_too() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    let id = held_discount(&app).await;
    app.account("pia.sec", &["security"], false).await;
    let base = app.base.clone();
    let item = format!("{base}/inbox/items/{id}");

    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "dee.desk", PASSWORD).await;
    goto(&page, &item).await;
    assert!(!exists(&page, "mark.finding.cat-objection").await);
    wait_for(&page, "details.edit summary")
        .await
        .click()
        .await
        .unwrap();
    // The caret goes before the sign-off, where a reviewer would add the sentence.
    let at: i64 = eval(
        &page,
        "(() => { const t = document.querySelector('#edit-body'); t.focus(); \
         const i = t.value.indexOf('Best, Sam'); t.setSelectionRange(i, i); return i; })()",
    )
    .await;
    assert!(at > 0, "the draft has no sign-off to type before");
    wait_for(&page, "#edit-body")
        .await
        .type_str(SECURITY_CLAIM)
        .await
        .unwrap();
    click(&page, "#save-edit").await;

    let notice = text(&page, "#notice").await;
    assert!(notice.contains("revision 2"), "{notice}");
    let new = text(&page, "#findings .finding-row.new").await;
    assert!(
        new.contains("objection") && new.contains("security") && new.contains("new in this edit"),
        "{new}"
    );
    let marked = text(&page, "mark.finding.cat-objection").await;
    assert!(
        marked.contains("SOC 2") || marked.contains("AES-256"),
        "{marked}"
    );
    let roles = text(&page, "#roles").await;
    assert!(
        roles.contains("security") && roles.contains("deal desk"),
        "{roles}"
    );
    let added = text(&page, "#diff-2 ins.diff-ins").await;
    assert!(added.contains("SOC 2"), "{added}");
    assert_eq!(
        text(&page, "#approve").await.trim(),
        "Approve the e-mail to dana@acme.example as deal desk (revision 2)"
    );
    shot(&page, "item-edited-diff").await;

    let view = app.state.store.show(&id, Utc::now()).await.unwrap();
    assert_eq!(view.status, ActionStatus::Held);
    assert!(view.missing_roles.contains("security"), "{view:?}");

    // Deal desk approves its part; the item waits for security.
    click(&page, "#approve").await;
    assert_eq!(text(&page, "#status").await.trim().to_lowercase(), "held");
    let roles = text(&page, "#roles").await;
    assert!(roles.contains("approved by dee.desk"), "{roles}");
    let why = text(&page, ".why-not").await;
    assert!(why.contains("security"), "{why}");
    assert!(!exists(&page, "#approve").await);

    // Security, in another browser.
    let other = ui.open_private(&format!("{base}/inbox/login")).await;
    log_in(&other, &base, "pia.sec", PASSWORD).await;
    assert!(
        exists(&other, &format!("a.item-link[href='/inbox/items/{id}']")).await,
        "the edited item is not in security's queue"
    );
    click(&other, &format!("a.item-link[href='/inbox/items/{id}']")).await;
    click(&other, "#approve").await;
    assert_eq!(
        text(&other, "#status").await.trim().to_lowercase(),
        "approved"
    );
    shot(&other, "item-approved-by-two-roles").await;

    let view = app.state.store.show(&id, Utc::now()).await.unwrap();
    assert_eq!(view.status, ActionStatus::Approved);
    let approvers: Vec<&str> = view
        .approvals
        .iter()
        .filter(|a| a.counts)
        .map(|a| a.reviewer.as_str())
        .collect();
    assert_eq!(approvers, ["dee.desk", "pia.sec"]);

    ui.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_item_leaves_the_queue_and_shows_the_reason() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    let id = held_discount(&app).await;
    let base = app.base.clone();
    let reason = "We never discount mid-quarter; offer the annual plan instead";

    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "dee.desk", PASSWORD).await;
    click(&page, &format!("a.item-link[href='/inbox/items/{id}']")).await;
    type_into(&page, "input[name=reason]", reason).await;
    click(&page, "#reject").await;

    assert!(text(&page, "#notice").await.contains("rejected"));
    assert_eq!(
        text(&page, "#status").await.trim().to_lowercase(),
        "rejected"
    );
    let why = text(&page, "#rejection").await;
    assert!(why.contains(reason) && why.contains("dee.desk"), "{why}");
    assert!(!exists(&page, "#approve").await && !exists(&page, "#reject").await);
    shot(&page, "item-rejected").await;

    goto(&page, &format!("{base}/inbox")).await;
    wait_for(&page, "#empty").await;
    assert!(!exists(&page, &format!("a[href='/inbox/items/{id}']")).await);

    let view = app.state.store.show(&id, Utc::now()).await.unwrap();
    assert_eq!(view.status, ActionStatus::Rejected);
    assert_eq!(view.rejection_reason.as_deref(), Some(reason));
    assert_eq!(view.rejected_by.as_deref(), Some("dee.desk"));

    ui.close().await;
    app.stop().await;
}

/// A held CRM update is read as its change: each field with the CRM's value now and the
/// value after approval, at a laptop's width and a phone's, without sideways scrolling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_change_shows_before_and_after_at_laptop_and_phone_width() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    app.account("mo.manager", &["manager", "deal_desk"], false)
        .await;
    let id = app
        .held_crm_change(serde_json::json!({"stage": "Commit", "amount": 78000}))
        .await;
    let base = app.base.clone();
    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "mo.manager", PASSWORD).await;
    goto(&page, &format!("{base}/inbox/items/{id}")).await;
    assert_eq!(text(&page, "h1").await.trim(), "Change to Acme renewal");
    let change = text(&page, "#change table").await;
    for seen in ["stage", "Negotiation", "Commit", "amount", "84000", "78000"] {
        assert!(change.contains(seen), "{seen} missing from {change}");
    }
    assert!(
        text(&page, "#approve")
            .await
            .contains("Approve the change to Acme renewal as"),
        "the button says what it approves"
    );
    shot(&page, "item-crm-change").await;
    phone_width(&page).await;
    assert!(
        text(&page, "#change table").await.contains("78000"),
        "the change is shown at phone width"
    );
    let wide = overflow_x(&page).await;
    shot(&page, "item-crm-change-phone").await;
    assert!(
        wide <= 0,
        "the page scrolls sideways by {wide} px at 390 px"
    );
    ui.close().await;
    app.stop().await;
}

/// Bulk approval: CRM stage changes (no protected moment) can be ticked; the confirmation
/// lists what goes out before anything is approved; each is then approved on its own. A
/// discount e-mail (a protected moment) has no tick box.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_approves_several_crm_changes_at_once_after_seeing_them_listed() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    app.account("mo.manager", &["manager", "deal_desk"], false)
        .await;
    let first = app
        .held_crm_change(serde_json::json!({"stage": "Commit"}))
        .await;
    let key = app.tool("crm-bot").await;
    let mut changes = vec![first];
    for stage in ["Proposal", "Closed Won"] {
        let r = app
            .post(
                "/v1/actions",
                &key,
                &serde_json::json!({
                    "kind": "crm.opportunity.update", "on_behalf_of": "sam.rep",
                    "target": {"opportunity_id": "o-1"},
                    "payload": {"changes": {"stage": stage}},
                }),
            )
            .await;
        assert_eq!(r.body["status"], "held", "{:?}", r.body);
        changes.push(r.body["action_id"].as_str().unwrap().to_owned());
    }
    let discount = held_discount_by(&app, &key).await;
    let base = app.base.clone();
    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "mo.manager", PASSWORD).await;
    goto(&page, &format!("{base}/inbox")).await;
    for id in &changes {
        assert!(
            exists(&page, &format!("#pick-{id}")).await,
            "{id} has no tick box"
        );
    }
    assert!(
        !exists(&page, &format!("#pick-{discount}")).await,
        "a protected moment must be approved on its own page"
    );
    // Ticking a box loads nothing.
    for id in &changes[..2] {
        let js =
            format!("(() => {{ document.getElementById('pick-{id}').click(); return true; }})()");
        assert!(eval::<bool>(&page, &js).await);
    }
    click(&page, "#bulk-review").await;
    let listed = text(&page, "#bulk-list").await;
    assert!(
        listed.contains("Commit") || listed.contains("stage"),
        "{listed}"
    );
    assert_eq!(
        eval::<i64>(&page, "document.querySelectorAll('#bulk-list > li').length").await,
        2
    );
    assert!(
        text(&page, "#approve-all")
            .await
            .contains("Approve these 2")
    );
    // Nothing is approved by the confirmation page itself.
    for id in &changes {
        assert_eq!(
            app.state.store.show(id, Utc::now()).await.unwrap().status,
            ActionStatus::Held
        );
    }
    shot(&page, "bulk-confirm").await;
    click(&page, "#approve-all").await;
    assert!(text(&page, "h1").await.contains("Approved 2 of 2"));
    shot(&page, "bulk-done").await;
    let status = |id: String| {
        let app = &app;
        async move { app.state.store.show(&id, Utc::now()).await.unwrap().status }
    };
    assert_eq!(status(changes[0].clone()).await, ActionStatus::Approved);
    assert_eq!(status(changes[1].clone()).await, ActionStatus::Approved);
    assert_eq!(status(changes[2].clone()).await, ActionStatus::Held);
    // Each was audited on its own: one approval record per item.
    let audit = app.audit_export().await;
    for id in &changes[..2] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains("\"event\":\"approval\"") && l.contains(id.as_str())),
            "no approval record for {id}"
        );
    }
    ui.close().await;
    app.stop().await;
}

async fn held_discount_by(app: &TestApp, key: &str) -> String {
    let r = app.propose_email(key, "dana@acme.example", DISCOUNT).await;
    assert_eq!(r.body["status"], "held", "{:?}", r.body);
    r.body["action_id"].as_str().unwrap().to_owned()
}

/// My deals: the rep sees every action on their deals — held ones with the roles they wait
/// for, rejected ones with the reason — at laptop and phone width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_sees_every_action_on_their_deals_and_what_each_waits_for() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    app.account("sam.rep", &["rep"], false).await;
    let desk = app.account("dee.desk", &["deal_desk"], false).await;
    let change = app
        .held_crm_change(serde_json::json!({"stage": "Commit"}))
        .await;
    let key = app.tool("drafter").await;
    let waiting = held_discount_by(&app, &key).await;
    let refused = held_discount_by(&app, &key).await;
    let r = app
        .post(
            &format!("/v1/actions/{refused}/reject"),
            &desk,
            &serde_json::json!({"reason": "Too deep before the pilot"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let base = app.base.clone();
    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "sam.rep", PASSWORD).await;
    click(&page, "a[href='/inbox/deals']").await;
    let all = text(&page, "main").await;
    assert!(all.contains("Acme renewal"), "{all}");
    assert!(all.contains("Waiting for deal desk"), "{all}");
    assert!(all.contains("Waiting for manager"), "{all}");
    assert!(
        all.contains("Rejected: “Too deep before the pilot”"),
        "{all}"
    );
    for id in [&change, &waiting, &refused] {
        assert!(
            exists(&page, &format!("a[href='/inbox/items/{id}']")).await,
            "{id} missing"
        );
    }
    shot(&page, "my-deals").await;
    // The rep opens one of them: theirs to read, not theirs to approve.
    click(&page, &format!("a[href='/inbox/items/{waiting}']")).await;
    assert_eq!(status(&page).await, 200);
    phone_width(&page).await;
    goto(&page, &format!("{base}/inbox/deals")).await;
    let wide = overflow_x(&page).await;
    shot(&page, "my-deals-phone").await;
    assert!(
        wide <= 0,
        "My deals scrolls sideways by {wide} px at 390 px"
    );
    ui.close().await;
    app.stop().await;
}

/// From the notification e-mail (received by the real SMTP server) to a decided item
/// without logging in: the link's page shows the draft and asks to confirm, at phone width,
/// and one more click approves it: two page loads, no log-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_approves_from_the_notification_e_mail_on_a_phone() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let port = smtp.port;
    let app = TestApp::spawn_with(
        Kind::Sqlite,
        |c| {
            c.outbox.smtp = Some(SmtpSection {
                host: "127.0.0.1".to_owned(),
                port,
                from: "Sales <sales@seller.example>".to_owned(),
                timeout_ms: 5_000,
            });
            c.outbox.interval_ms = 100;
            c.notifications.email = true;
            c.notifications.inbox_url = Some("https://cs.example.com".to_owned());
        },
        None,
    )
    .await
    .unwrap();
    app.account("dee.desk", &["deal_desk"], false).await;
    app.state
        .store
        .set_reviewer_email(
            "dee.desk",
            Some("dee@seller.example"),
            "cli:test",
            Utc::now(),
        )
        .await
        .unwrap();
    let key = app.tool("drafter").await;
    let id = held_discount_by(&app, &key).await;
    let raw = smtp
        .wait_for(Duration::from_secs(20), |m| {
            m.contains("X-RcptTo: dee@seller.example")
        })
        .await;
    let text_of = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
        .unwrap();
    assert!(text_of.contains(&id), "{text_of}");
    let approve = text_of
        .lines()
        .find(|l| l.starts_with("Approve as deal desk:"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|u| u.strip_prefix("https://cs.example.com"))
        .unwrap()
        .to_owned();
    let base = app.base.clone();
    let page = ui.open(&format!("{base}{approve}")).await;
    phone_width(&page).await;
    assert!(
        text(&page, "h1")
            .await
            .contains("Approve the e-mail to dana@acme.example as deal desk?")
    );
    assert!(text(&page, "#body").await.contains("15% off"));
    let wide = overflow_x(&page).await;
    shot(&page, "act-approve-phone").await;
    assert!(
        wide <= 0,
        "the confirm page scrolls sideways by {wide} px at 390 px"
    );
    click(&page, "#act").await;
    assert!(text(&page, "#outcome").await.contains("released"));
    shot(&page, "act-approved-phone").await;
    assert_eq!(
        app.state.store.show(&id, Utc::now()).await.unwrap().status,
        ActionStatus::Approved
    );
    ui.close().await;
    app.stop().await;
}

/// The Pipeline page over an imported Salesforce export: a rep's own deals, most urgent
/// first, each with why and what next; at laptop and phone width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_reads_their_pipeline_at_laptop_and_phone_width() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    let samples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/samples/salesforce");
    let report = countersign_import::import_dir(
        &app.state.store,
        countersign_import::Source::Salesforce,
        &samples,
        &countersign_import::Mapping::default(),
        "test",
        Utc::now(),
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(report.problem_count, 0);
    app.account("sam.okafor", &["rep"], false).await;
    let base = app.base.clone();
    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "sam.okafor", PASSWORD).await;
    click(&page, "a[href='/inbox/pipeline']").await;
    let main = text(&page, "main").await;
    assert!(main.contains("Next:"), "{main}");
    assert!(
        !main.contains("ivy.chen") && main.contains("sam.okafor"),
        "only sam's deals: {main}"
    );
    shot(&page, "pipeline").await;
    phone_width(&page).await;
    let wide = overflow_x(&page).await;
    shot(&page, "pipeline-phone").await;
    assert!(
        wide <= 0,
        "the pipeline scrolls sideways by {wide} px at 390 px"
    );
    ui.close().await;
    app.stop().await;
}

//! The follow-up assistant from the Pipeline page: a rep drafts for one of their deals and
//! lands on the item with the draft, its sources and the claims checked against approved
//! knowledge; Back and Draft again makes no second draft; both pages fit a phone; without
//! the assistant registered the page says drafting is off and offers no Draft button.

use chromiumoxide::Page;
use chrono::Utc;
use countersign_engine::knowledge;

use crate::helpers::{Kind, PASSWORD, TestApp};
use crate::support::{
    Ui, and_wait, click, eval, exists, goto, log_in, overflow_x, phone_width, shot, status, text,
    too_wide, type_into, wait_for,
};

/// The security lead's approved answer: its topic matches a security question.
const SOC2: &str = "---\ntitle: SOC 2 report\ntopic: security\nowner: security\napproved_by: Priya Shah\nvalid_until: 2099-06-30\n---\nWe are SOC 2 Type II certified and encrypt customer data at rest with AES-256.\n\nThe report is shared under NDA.\n";

/// A server over the imported sample Salesforce export, with the rep `sam.okafor` (who
/// owns some of its deals) able to log in.
async fn pipeline_app() -> TestApp {
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
    app
}

/// Registers the assistant as the Pipeline page tells an administrator to.
async fn register_assistant(app: &TestApp) {
    let r = app
        .post(
            "/v1/tools",
            &app.admin.clone(),
            &serde_json::json!({"name": "countersign-assistant", "kinds": ["email.draft"]}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
}

/// How many proposals the audit log holds.
async fn proposals(app: &TestApp) -> usize {
    app.audit_export()
        .await
        .lines()
        .filter(|l| l.contains("\"event\":\"proposal\""))
        .count()
}

/// The id of the first deal card on the Pipeline page (`deal-<opportunity id>`).
async fn first_deal(page: &Page) -> String {
    let id: String = eval(page, "document.querySelector('section.deal').id").await;
    id.strip_prefix("deal-").unwrap().to_owned()
}

/// The one-use key of a deal's draft form as the page shows it now.
async fn form_key(page: &Page, deal: &str) -> String {
    eval(
        page,
        &format!("document.querySelector('#deal-{deal} form.draft-form input[name=key]').value"),
    )
    .await
}

/// The page's width in CSS pixels, to prove a phone check ran at a phone's width.
async fn viewport_width(page: &Page) -> i64 {
    eval(page, "document.documentElement.clientWidth").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_drafts_a_follow_up_from_the_pipeline_and_reads_its_sources() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = pipeline_app().await;
    register_assistant(&app).await;
    let entry = knowledge::parse("soc2", SOC2).unwrap();
    app.state
        .store
        .put_knowledge(&entry, SOC2, "cli:priya", Utc::now())
        .await
        .unwrap();
    let base = app.base.clone();
    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "sam.okafor", PASSWORD).await;
    click(&page, "a[href='/inbox/pipeline']").await;
    assert!(!exists(&page, "#drafting-off").await);
    let deal = first_deal(&page).await;
    let form = format!("#deal-{deal} form.draft-form");
    // Every deal card has its own form, each labelled for screen readers.
    let forms: i64 = eval(&page, "document.querySelectorAll('form.draft-form').length").await;
    let cards: i64 = eval(&page, "document.querySelectorAll('section.deal').length").await;
    assert!(
        cards > 0 && forms == cards,
        "{forms} forms for {cards} deals"
    );
    shot(&page, "pipeline-draft").await;

    // The rep picks "Answer their latest question" and says which question in their words.
    let picked: String = eval(
        &page,
        &format!(
            "(() => {{ const s = document.querySelector('{form} select[name=intent]'); \
             s.value = 'answer their questions'; \
             return s.options[s.selectedIndex].text; }})()"
        ),
    )
    .await;
    assert_eq!(picked, "Answer their latest question");
    type_into(
        &page,
        &format!("{form} input[name=note]"),
        "Answer their security questions",
    )
    .await;
    let key = form_key(&page, &deal).await;
    let before = proposals(&app).await;
    click(&page, &format!("{form} button[type=submit]")).await;

    // The item page: the draft, what it was written from, the claims checked.
    assert_eq!(status(&page).await, 200);
    let at = crate::support::location(&page).await;
    assert!(
        at.starts_with("/inbox/items/") && at.ends_with("?done=drafted"),
        "{at}"
    );
    let item = at
        .trim_start_matches("/inbox/items/")
        .trim_end_matches("?done=drafted")
        .to_owned();
    assert_eq!(proposals(&app).await, before + 1);
    let notice = text(&page, "#notice").await;
    assert!(
        notice.contains("The assistant drafted this from the deal's records")
            && notice.contains("Check every sentence against the sources below"),
        "{notice}"
    );
    assert!(exists(&page, "#notice a[href='#sources']").await);
    let view = app.state.store.show(&item, Utc::now()).await.unwrap();
    let subject = view.revisions.last().unwrap().action["payload"]["subject"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!subject.is_empty());
    assert_eq!(text(&page, "h1").await.trim(), subject);
    assert_eq!(text(&page, "#subject").await.trim(), subject);
    // The approved answer is quoted (its "SOC 2" highlighted as finding 1, so the visible
    // text reads "SOC 21": compare without the footnote numbers).
    let message: String = eval(
        &page,
        "(() => { const m = document.querySelector('#message').cloneNode(true); \
         m.querySelectorAll('sup').forEach(s => s.remove()); return m.textContent; })()",
    )
    .await;
    assert!(
        message.contains(
            "We are SOC 2 Type II certified and encrypt customer data at rest with AES-256."
        ),
        "{message}"
    );
    let sources = text(&page, "#sources").await;
    assert!(sources.contains(&format!("crm {deal}")), "{sources}");
    assert!(
        sources.contains("writer template:answer_questions"),
        "{sources}"
    );
    assert!(
        sources.contains("asked: Answer their security questions"),
        "the rep's words are the writer's source: {sources}"
    );
    let kb: String = eval(
        &page,
        "[...document.querySelectorAll('#sources > li')].find(li => li.querySelector('.tag').textContent === 'kb').innerText",
    )
    .await;
    assert!(
        kb.contains("soc2") && kb.contains("approved") && !kb.contains("not approved"),
        "{kb}"
    );
    let claims = text(&page, "#claims").await;
    assert!(
        claims.contains("backed") && claims.contains("SOC 2 Type II") && claims.contains("soc2"),
        "{claims}"
    );
    let guards = text(&page, "#guards").await;
    assert!(
        guards.contains("this e-mail draft is not checked by them"),
        "{guards}"
    );
    shot(&page, "item-drafted").await;

    // Back, and Draft again on the same card: the same item, no second draft.
    and_wait(&page, || async {
        eval::<bool>(&page, "setTimeout(() => history.back(), 0), true").await;
    })
    .await;
    assert_eq!(
        crate::support::location(&page).await,
        "/inbox/pipeline",
        "Back leads to the pipeline"
    );
    let key_after_back = form_key(&page, &deal).await;
    let note_after_back: String = eval(
        &page,
        &format!("document.querySelector('{form} input[name=note]').value"),
    )
    .await;
    eprintln!(
        "after Back: key {} (before {key}), note “{note_after_back}”",
        if key_after_back == key {
            "restored"
        } else {
            "new"
        }
    );
    if key_after_back == key {
        click(&page, &format!("{form} button[type=submit]")).await;
    } else {
        // Inbox pages are never cached (`no-store`), so Back rendered the page anew with a
        // fresh key (and an empty note): post the form as it was when Draft was pressed.
        and_wait(&page, || async {
            eval::<bool>(
                &page,
                &format!(
                    "(() => {{ const f = document.querySelector('{form}'); \
                     f.querySelector('input[name=key]').value = '{key}'; \
                     f.querySelector('input[name=note]').value = 'Answer their security questions'; \
                     setTimeout(() => f.submit(), 0); return true; }})()"
                ),
            )
            .await;
        })
        .await;
    }
    assert_eq!(status(&page).await, 200);
    assert_eq!(
        crate::support::location(&page).await,
        format!("/inbox/items/{item}?done=drafted"),
        "the same key drafts once"
    );
    assert_eq!(proposals(&app).await, before + 1, "no second draft");

    // At a phone's width neither page scrolls sideways.
    phone_width(&page).await;
    wait_for(&page, "#sources").await;
    assert_eq!(viewport_width(&page).await, 390);
    let wide = overflow_x(&page).await;
    let culprits = too_wide(&page).await;
    shot(&page, "item-drafted-phone").await;
    assert!(
        wide <= 0 && culprits.is_empty(),
        "the drafted item scrolls sideways by {wide} px at 390 px: {culprits:?}"
    );
    goto(&page, &format!("{base}/inbox/pipeline")).await;
    // A navigation may drop the emulated phone (chromiumoxide re-applies its own
    // viewport): set it again on this page.
    phone_width(&page).await;
    wait_for(&page, &form).await;
    assert_eq!(viewport_width(&page).await, 390);
    let wide = overflow_x(&page).await;
    let culprits = too_wide(&page).await;
    shot(&page, "pipeline-draft-phone").await;
    assert!(
        wide <= 0 && culprits.is_empty(),
        "the pipeline's draft forms scroll sideways by {wide} px at 390 px: {culprits:?}"
    );

    ui.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_assistant_registered_the_pipeline_says_drafting_is_off() {
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let app = pipeline_app().await;
    let base = app.base.clone();
    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, "sam.okafor", PASSWORD).await;
    click(&page, "a[href='/inbox/pipeline']").await;
    let off = text(&page, "#drafting-off").await;
    assert!(
        off.contains("countersign tools add countersign-assistant --kinds email.draft"),
        "{off}"
    );
    assert!(
        exists(&page, "section.deal").await,
        "the deals are still listed"
    );
    assert!(!exists(&page, "form.draft-form").await);
    let buttons: Vec<String> = eval(
        &page,
        "[...document.querySelectorAll('main button')].map(b => b.textContent.trim())",
    )
    .await;
    assert!(!buttons.iter().any(|b| b == "Draft"), "{buttons:?}");
    shot(&page, "pipeline-drafting-off").await;

    // Registered, the same page offers drafting at once.
    register_assistant(&app).await;
    goto(&page, &format!("{base}/inbox/pipeline")).await;
    wait_for(&page, "form.draft-form button[type=submit]").await;
    assert!(!exists(&page, "#drafting-off").await);

    ui.close().await;
    app.stop().await;
}

//! The inbox in a real headless Chromium (Debian's `/usr/bin/chromium`, driven over CDP
//! with chromiumoxide): log in through the form, open the queue, open a held item with its
//! highlighted finding, approve it. Screenshots of each page go to
//! `target/inbox-screenshots/`.
//!
//! Without `/usr/bin/chromium` the test prints a note and passes, except under CI (`CI`
//! set), where it fails naming what is missing (`apt-get install -y chromium`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "test code: a failure should stop the test loudly"
)]

#[path = "api/helpers.rs"]
mod helpers;

use std::path::{Path, PathBuf};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::page::ScreenshotParams;
use futures::StreamExt;
use helpers::{DISCOUNT, Kind, PASSWORD, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium() -> Option<&'static str> {
    if Path::new(CHROMIUM).exists() {
        return Some(CHROMIUM);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing: the browser tests need it (apt-get install -y chromium)"
    );
    eprintln!("note: {CHROMIUM} is missing, browser test skipped (apt-get install -y chromium)");
    None
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/inbox-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits (at most 10 s) until `selector` is on the page: a click's navigation may not
/// have started when the click returns.
async fn wait_for(page: &chromiumoxide::Page, selector: &str) -> chromiumoxide::Element {
    for _ in 0..100 {
        if let Ok(e) = page.find_element(selector).await {
            return e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "`{selector}` did not appear: {}",
        page.content().await.unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_logs_in_and_approves_a_held_email_in_the_browser() {
    let Some(exe) = chromium() else {
        return;
    };
    let app = TestApp::spawn(Kind::Sqlite).await.unwrap();
    let key = app.tool("drafter").await;
    let r = app.propose_email(&key, "dana@acme.example", DISCOUNT).await;
    let id = r.body["action_id"].as_str().unwrap().to_owned();
    app.account("dee.desk", &["deal_desk"], false).await;

    let profile = tempfile::tempdir().unwrap();
    let config = BrowserConfig::builder()
        .chrome_executable(exe)
        .no_sandbox()
        .user_data_dir(profile.path())
        .window_size(1200, 900)
        .args([
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .build()
        .unwrap();
    let (mut browser, mut handler) = Browser::launch(config).await.unwrap();
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let shots = screenshots();
    let shot = |name: &str| shots.join(format!("{name}.png"));

    let page = browser
        .new_page(format!("{}/inbox/login", app.base))
        .await
        .unwrap();
    page.save_screenshot(ScreenshotParams::builder().build(), shot("login"))
        .await
        .unwrap();
    page.find_element("input[name=name]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str("dee.desk")
        .await
        .unwrap();
    page.find_element("input[name=password]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(PASSWORD)
        .await
        .unwrap();
    page.find_element("#login button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&page, "#counts").await;
    let queue = page.content().await.unwrap();
    assert!(queue.contains(&format!("/inbox/items/{id}")), "{queue}");
    page.save_screenshot(
        ScreenshotParams::builder().full_page(true).build(),
        shot("queue"),
    )
    .await
    .unwrap();

    page.find_element("a.item-link")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let marked = wait_for(&page, "mark.finding.cat-commercial")
        .await
        .inner_text()
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(marked.contains("15% off"), "{marked}");
    page.save_screenshot(
        ScreenshotParams::builder().full_page(true).build(),
        shot("item"),
    )
    .await
    .unwrap();

    page.find_element("#approve")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&page, "#notice").await;
    let status = page
        .find_element("#status")
        .await
        .unwrap()
        .inner_text()
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(status.trim().to_lowercase(), "approved");
    page.save_screenshot(
        ScreenshotParams::builder().full_page(true).build(),
        shot("approved"),
    )
    .await
    .unwrap();

    browser.close().await.unwrap();
    let _ = browser.wait().await;
    events.abort();
    app.stop().await;
}

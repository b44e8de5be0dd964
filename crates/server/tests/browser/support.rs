//! What every browser test needs: a headless Chromium ([`Ui`]), pages in it, and verbs a
//! reviewer's hands perform (type, submit, follow a link), each waiting for the page it
//! leads to by polling, never by a fixed sleep.
//!
//! The inbox's Content-Security-Policy forbids every script on the page; evaluation over
//! CDP (`Runtime.evaluate`) is the browser's own and is not subject to it, so the tests use
//! it to read state (cookies, status, form values) and to play an attacker's part.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::network::{Cookie, CookieParam, CookieSameSite};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Element, Page};
use futures::StreamExt;
use serde::de::DeserializeOwned;

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a page may take to show what a test waits for: generous, as two Chromiums and
/// a `cargo build` may share the machine's two cores.
const PATIENCE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

/// Debian's Chromium. A missing browser fails the test, naming what to install, unless
/// `COUNTERSIGN_SKIP_CHROMIUM=1` asks to skip (then `None`, with a note).
pub fn chromium() -> Option<&'static str> {
    if Path::new(CHROMIUM).exists() {
        return Some(CHROMIUM);
    }
    countersign_testkit::missing(
        countersign_testkit::Component::Chromium,
        CHROMIUM,
        "apt-get install -y chromium",
    )?;
    None
}

/// A headless Chromium with its own profile, driven over CDP.
pub struct Ui {
    browser: Browser,
    events: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Ui {
    /// Starts the browser, or `None` when it is missing (see [`chromium`]).
    pub async fn launch() -> Option<Self> {
        let exe = chromium()?;
        let profile = tempfile::tempdir().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(exe)
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(1280, 900)
            // A laptop's width for every page (the default emulated viewport is 800 wide).
            .viewport(Viewport {
                width: 1280,
                height: 900,
                ..Viewport::default()
            })
            // Without these Chromium keeps calling home on a network that is closed here.
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
        let (browser, mut handler) = Browser::launch(config).await.unwrap();
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Some(Self {
            browser,
            events,
            _profile: profile,
        })
    }

    /// A new tab at `url`, sharing cookies with the other tabs of the default context.
    pub async fn open(&self, url: &str) -> Page {
        let page = self.browser.new_page(url).await.unwrap();
        settle(&page).await;
        page
    }

    /// A new tab at `url` in a fresh browser context: its own cookie jar, as a second
    /// person's browser would have.
    pub async fn open_private(&self, url: &str) -> Page {
        let context = self
            .browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .unwrap();
        let params = CreateTargetParams::builder()
            .url(url)
            .browser_context_id(context)
            .build()
            .unwrap();
        let page = self.browser.new_page(params).await.unwrap();
        settle(&page).await;
        page
    }

    /// Closes the browser and waits for its process.
    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.events.abort();
    }
}

/// Evaluates `js` in the page and returns its value. A page mid-navigation has no context
/// to evaluate in: that is an `Err`, for callers that poll.
pub async fn try_eval<T: DeserializeOwned>(page: &Page, js: &str) -> Result<T, String> {
    let result = tokio::time::timeout(Duration::from_secs(5), page.evaluate(js))
        .await
        .map_err(|_| format!("`{js}` did not return within 5 s"))?
        .map_err(|e| e.to_string())?;
    result.into_value().map_err(|e| e.to_string())
}

/// Evaluates `js` in the page; panics naming the script when it fails.
pub async fn eval<T: DeserializeOwned>(page: &Page, js: &str) -> T {
    try_eval(page, js)
        .await
        .unwrap_or_else(|e| panic!("evaluating `{js}` failed: {e}"))
}

/// Polls until `js` is true; panics with `what` and the page's text when it never is.
async fn until(page: &Page, what: &str, js: &str) {
    let start = Instant::now();
    loop {
        if try_eval::<bool>(page, js).await == Ok(true) {
            return;
        }
        if start.elapsed() > PATIENCE {
            let text: String = try_eval(page, "document.body ? document.body.innerText : ''")
                .await
                .unwrap_or_default();
            panic!(
                "{what} did not happen within {PATIENCE:?}; the page ({}) says:\n{text}",
                location(page).await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the current document has loaded.
async fn settle(page: &Page) {
    until(
        page,
        "the page loading",
        "document.readyState === 'complete'",
    )
    .await;
}

/// Waits (at most [`PATIENCE`]) until `selector` is on the page.
pub async fn wait_for(page: &Page, selector: &str) -> Element {
    let start = Instant::now();
    loop {
        if let Ok(e) = page.find_element(selector).await {
            return e;
        }
        if start.elapsed() > PATIENCE {
            panic!(
                "`{selector}` did not appear on {}: {}",
                location(page).await,
                page.content().await.unwrap_or_default()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The visible text of `selector`, once it is on the page.
pub async fn text(page: &Page, selector: &str) -> String {
    wait_for(page, selector)
        .await
        .inner_text()
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Whether `selector` is on the page now.
pub async fn exists(page: &Page, selector: &str) -> bool {
    page.find_element(selector).await.is_ok()
}

/// Runs `act` (a click that submits a form or follows a link) and waits until the next
/// document has replaced this one and loaded. The old document is marked first, so its
/// elements are never mistaken for the new page's.
pub async fn and_wait<F, Fut>(page: &Page, act: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    eval::<bool>(page, "window.__countersignOld = true").await;
    act().await;
    until(
        page,
        "the next page loading",
        "window.__countersignOld === undefined && document.readyState === 'complete'",
    )
    .await;
}

/// Clicks `selector` and waits for the page it leads to.
pub async fn click(page: &Page, selector: &str) {
    let element = wait_for(page, selector).await;
    and_wait(page, || async {
        element.click().await.unwrap();
    })
    .await;
}

/// Loads `url` in the tab and waits until it has loaded.
pub async fn goto(page: &Page, url: &str) {
    and_wait(page, || async {
        page.goto(url).await.unwrap();
    })
    .await;
}

/// Types `text` into the field `selector` (at the caret's place), as keystrokes.
pub async fn type_into(page: &Page, selector: &str, text: &str) {
    wait_for(page, selector)
        .await
        .click()
        .await
        .unwrap()
        .type_str(text)
        .await
        .unwrap();
}

/// The HTTP status of the document shown (after redirects, the last response's).
pub async fn status(page: &Page) -> u16 {
    eval(
        page,
        "performance.getEntriesByType('navigation')[0].responseStatus",
    )
    .await
}

/// The path and query of the document shown.
pub async fn location(page: &Page) -> String {
    try_eval(page, "location.pathname + location.search")
        .await
        .unwrap_or_else(|e| format!("(location unknown: {e})"))
}

/// Fills the log-in form on `base`'s log-in page and submits it.
pub async fn log_in(page: &Page, base: &str, name: &str, password: &str) {
    goto(page, &format!("{base}/inbox/login")).await;
    type_into(page, "#login input[name=name]", name).await;
    type_into(page, "#login input[name=password]", password).await;
    click(page, "#login button[type=submit]").await;
}

/// The browser's cookie `name` for the page's URL, read over CDP (the session cookie is
/// HttpOnly: no script on the page could read it).
pub async fn cookie(page: &Page, name: &str) -> Option<Cookie> {
    page.get_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
}

/// Puts cookie `name=value` for `base` into the browser, as the server would have set it.
pub async fn set_cookie(page: &Page, base: &str, name: &str, value: &str) {
    page.set_cookie(
        CookieParam::builder()
            .name(name)
            .value(value)
            .url(base)
            .path("/")
            .http_only(true)
            .same_site(CookieSameSite::Strict)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
}

/// Shows the page as a phone does (390 × 844 CSS pixels, a mobile viewport) and reloads it.
pub async fn phone_width(page: &Page) {
    page.execute(SetDeviceMetricsOverrideParams::new(390, 844, 2.0, true))
        .await
        .unwrap();
    page.reload().await.unwrap();
    settle(page).await;
}

/// How far the page is wider than its viewport, in CSS pixels (0: no sideways scrolling).
pub async fn overflow_x(page: &Page) -> i64 {
    eval(
        page,
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )
    .await
}

/// The first elements that reach past the viewport's right edge, to say what is too wide.
pub async fn too_wide(page: &Page) -> Vec<String> {
    // Elements, and text whose line runs past its element (a long unbreakable word).
    eval(
        page,
        "(() => { const w = document.documentElement.clientWidth; \
         const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') \
             + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : ''); \
         const wide = [...document.querySelectorAll('body *')] \
           .filter(e => e.getBoundingClientRect().right > w + 1) \
           .map(e => name(e) + ' to ' + Math.round(e.getBoundingClientRect().right) + ' px'); \
         const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); \
         while (walk.nextNode()) { const r = document.createRange(); r.selectNodeContents(walk.currentNode); \
           const right = r.getBoundingClientRect().right; \
           if (right > w + 1) wide.push('text “' + walk.currentNode.textContent.trim().slice(0, 40) + '” in ' \
             + name(walk.currentNode.parentElement) + ' to ' + Math.round(right) + ' px'); } \
         return wide.slice(0, 6); })()",
    )
    .await
}

/// Where the screenshots go: `target/inbox-screenshots/`.
pub fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/inbox-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The page's WCAG 2.1 A and AA violations by axe-core, one line each: rule, impact, how
/// many elements and the first of them.
pub async fn accessibility_violations(page: &Page) -> Vec<String> {
    let Some(axe) = countersign_testkit::axe_core() else {
        return Vec::new();
    };
    // Injected over CDP, which the page's Content-Security-Policy does not govern.
    let loaded: bool = eval(page, &format!("{axe};\ntypeof axe === 'object'")).await;
    assert!(loaded, "axe-core did not load");
    let result = page
        .evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
             .then(r => r.violations.map(v => `${v.id} (${v.impact}) on ${v.nodes.length}: ${v.nodes[0].target.join(' ')} — ${v.help}`))",
        )
        .await
        .unwrap();
    result.into_value().unwrap()
}

/// Saves the whole page as `target/inbox-screenshots/<name>.png`, checks a PNG came out,
/// and checks the page against WCAG 2.1 AA with axe-core: no violation.
pub async fn shot(page: &Page, name: &str) {
    let violations = accessibility_violations(page).await;
    assert!(
        violations.is_empty(),
        "{name}: WCAG 2.1 AA violations (axe-core):\n{}",
        violations.join("\n")
    );
    let path = screenshots().join(format!("{name}.png"));
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), &path)
        .await
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.len() > 1_000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a screenshot",
        path.display()
    );
}

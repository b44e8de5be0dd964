//! The real `countersign demo` (the built binary, on a free port, with its own SQLite file
//! in a temporary folder) seen in the browser: log in with a login it prints, and check
//! that the dashboard's figures are the ones the store computes for that database; then
//! the queue (filtered too), an item and the audit view on the demo data.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chromiumoxide::Page;
use chrono::Utc;
use countersign_server::inbox::dashboard::duration;
use countersign_store::{AutomationRow, Store};

use crate::helpers::countersign_binary;
use crate::support::{
    Ui, click, eval, goto, location, log_in, overflow_x, phone_width, shot, text, too_wide,
    wait_for,
};

/// The demo server's process; killed on drop so a failing test leaves nothing running.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A row of the demo's logins table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Login {
    name: String,
    roles: String,
    password: String,
    /// "7 held", or what else waits for this login.
    waiting: String,
}

/// What the demo prints before serving.
#[derive(Debug, Default)]
struct Printed {
    base: String,
    database_url: String,
    logins: Vec<Login>,
    actions: i64,
    /// The follow-up assistant's drafts, seeded after the script.
    drafts: i64,
    delivered: i64,
    audit_records: i64,
}

/// The number after `prefix` in `line`, if the line has it.
fn number_after(line: &str, prefix: &str) -> Option<i64> {
    let rest = &line[line.find(prefix)? + prefix.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Reads the demo's summary up to "Press Ctrl-C to stop.". The logins table is read by
/// its header's columns (fixed widths, counted in characters).
fn parse(lines: &[String]) -> Printed {
    let mut p = Printed::default();
    let mut columns: Option<(usize, usize, usize)> = None;
    for line in lines {
        let trimmed = line.trim();
        if let Some(url) = trimmed.strip_prefix("Inbox") {
            p.base = url.trim().trim_end_matches("/inbox").to_owned();
        } else if trimmed.starts_with("login ") && trimmed.contains("password") {
            let at = |word: &str| line.find(word).unwrap();
            columns = Some((at("roles"), at("password"), at("waiting")));
        } else if trimmed.is_empty() {
            columns = None;
        } else if let Some((roles, password, waiting)) = columns {
            let chars: Vec<char> = line.chars().collect();
            let cut = |from: usize, to: usize| -> String {
                chars[from.min(chars.len())..to.min(chars.len())]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_owned()
            };
            p.logins.push(Login {
                name: cut(0, roles)
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                roles: cut(roles, password),
                password: cut(password, waiting),
                waiting: cut(waiting, chars.len()),
            });
        }
        if let Some(n) = number_after(line, "Seeded: ") {
            p.actions = n;
        }
        if let Some(at) = line.find(" drafts by the follow-up assistant") {
            p.drafts = number_after(&line[..at], "entries, ").unwrap_or_default();
        }
        // Not "waiting to be delivered: N", which follows it.
        if trimmed.starts_with("delivered: ") {
            p.delivered = number_after(trimmed, "delivered: ").unwrap_or_default();
        }
        if let Some(n) = number_after(line, "audit chain: ") {
            p.audit_records = n;
        }
        if let Some(url) = trimmed.strip_prefix("database: ") {
            url.clone_into(&mut p.database_url);
        }
    }
    p
}

/// Starts the demo on a free port in `dir`; returns it and what it printed.
async fn start_demo(binary: std::path::PathBuf, dir: std::path::PathBuf) -> (Demo, Printed) {
    let mut child = Command::new(binary)
        .args(["demo", "--listen", "127.0.0.1:0", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let demo = Demo(child);
    let read = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let last = line.contains("Press Ctrl-C");
            lines.push(line);
            if last {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the demo did not start serving within 60 s")
        .unwrap();
    let printed = parse(&lines);
    assert!(
        printed.base.starts_with("http://127.0.0.1:") && !printed.logins.is_empty(),
        "unexpected demo output:\n{}",
        lines.join("\n")
    );
    (demo, printed)
}

/// The cells of each row of `table` (a CSS selector), as the page shows them.
async fn cells(page: &Page, table: &str) -> Vec<Vec<String>> {
    eval(
        page,
        &format!(
            "Array.from(document.querySelectorAll(\"{table} tbody tr\")).map(tr => \
             Array.from(tr.cells).map(c => c.innerText.trim()))"
        ),
    )
    .await
}

/// A rate as the dashboard writes it: a whole percentage.
fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0%".to_owned();
    }
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    let p = part as f64 * 100.0 / whole as f64;
    format!("{p:.0}%")
}

/// The rows of an automation table as the store computes them.
fn automation(rows: &[AutomationRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                r.label.replace('_', " "),
                r.total.to_string(),
                r.allowed.to_string(),
                r.held.to_string(),
                r.draft_only.to_string(),
                r.denied.to_string(),
                percent(r.allowed, r.total),
            ]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_figures_of_the_demo_organisation() {
    let Some(binary) = countersign_binary() else {
        return;
    };
    let Some(ui) = Ui::launch().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_demo, printed) = start_demo(binary, dir.path().join("demo")).await;
    let base = printed.base.clone();
    // A manager sees the queue, the dashboard and the audit view.
    let Login {
        name,
        password,
        waiting,
        ..
    } = printed
        .logins
        .iter()
        .find(|l| l.roles.split(", ").any(|r| r == "manager"))
        .cloned()
        .unwrap_or_else(|| panic!("no manager among the demo logins: {:?}", printed.logins));

    let page = ui.open(&format!("{base}/inbox/login")).await;
    log_in(&page, &base, &name, &password).await;

    // The dashboard: every figure on the page is the store's for this database.
    goto(&page, &format!("{base}/inbox/dashboard")).await;
    wait_for(&page, "#kpis").await;
    let store = Store::open(&printed.database_url).await.unwrap();
    let d = store.dashboard(Utc::now(), 30).await.unwrap();
    let allowed: i64 = d.by_kind.iter().map(|r| r.allowed).sum();
    let sent: i64 = d.deliveries.iter().map(|c| c.sent).sum();
    assert!(d.actions > 50 && d.held > 0 && sent > 0, "{d:?}");
    let figure = |id: &'static str| {
        let page = &page;
        async move { text(page, &format!("#{id}")).await.trim().to_owned() }
    };
    assert_eq!(figure("kpi-actions").await, d.actions.to_string());
    assert_eq!(figure("kpi-automation").await, percent(allowed, d.actions));
    assert_eq!(figure("kpi-held").await, d.held.to_string());
    assert_eq!(figure("kpi-sent").await, sent.to_string());
    assert_eq!(figure("approved").await, d.latency.approved.to_string());
    let wait = |s: Option<i64>| s.map_or_else(|| "—".to_owned(), duration);
    assert_eq!(figure("p50").await, wait(d.latency.p50_seconds));
    assert_eq!(figure("p90").await, wait(d.latency.p90_seconds));
    assert_eq!(figure("kpi-p50").await, wait(d.latency.p50_seconds));
    assert_eq!(figure("reviewed").await, d.overrides.reviewed.to_string());
    assert_eq!(figure("edited").await, d.overrides.edited.to_string());
    assert_eq!(figure("rejected").await, d.overrides.rejected.to_string());
    assert_eq!(
        figure("overridden").await,
        format!(
            "{} ({})",
            d.overrides.overridden,
            percent(d.overrides.overridden, d.overrides.reviewed)
        )
    );
    assert_eq!(
        cells(&page, "#automation-tier table.figures").await,
        automation(&d.by_tier)
    );
    // Kinds in words: `e-mail`, `CRM change`.
    let by_kind: Vec<_> = d
        .by_kind
        .iter()
        .cloned()
        .map(|mut r| {
            r.label = countersign_server::inbox::kind_words(&r.label);
            r
        })
        .collect();
    assert_eq!(
        cells(&page, "#automation-kind table.figures").await,
        automation(&by_kind)
    );
    let holds: Vec<Vec<String>> = d
        .hold_reasons
        .iter()
        .map(|r| {
            vec![
                r.category.clone(),
                r.actions.to_string(),
                percent(r.actions, d.held),
            ]
        })
        .collect();
    assert_eq!(cells(&page, "#hold-reasons table.figures").await, holds);
    let days: Vec<Vec<String>> = d
        .deliveries
        .iter()
        .rev()
        .map(|c| {
            vec![
                c.day.format("%Y-%m-%d (%a)").to_string(),
                c.sent.to_string(),
            ]
        })
        .collect();
    assert_eq!(cells(&page, "#deliveries table.figures").await, days);
    // The charts are drawn, and the demo's own summary agrees on what it seeded.
    for chart in [
        "chart-tier",
        "chart-kind",
        "chart-holds",
        "chart-latency",
        "chart-overrides",
        "chart-deliveries",
    ] {
        wait_for(&page, &format!("svg#{chart}")).await;
    }
    assert_eq!(sent, printed.delivered, "deliveries: page vs demo summary");
    assert!(
        printed.drafts > 0,
        "the demo printed no drafts: {printed:?}"
    );
    assert_eq!(
        d.actions,
        printed.actions + printed.drafts,
        "actions: page vs demo summary (the script's and the assistant's)"
    );
    shot(&page, "dashboard").await;

    // The queue: as many items as the demo said wait for this login.
    goto(&page, &format!("{base}/inbox")).await;
    let total = text(&page, "#total").await;
    let expected = waiting.trim_end_matches(" held");
    assert!(
        total.ends_with(&format!("of {expected})")),
        "queue says {total}, the demo printed `{waiting}` for {name}"
    );
    shot(&page, "queue-demo").await;

    // Filtered by the category of the oldest item: every row shown has it.
    let category: String = eval(
        &page,
        "document.querySelector('#queue tbody tr .tag').textContent.trim()",
    )
    .await;
    let _: bool = eval(
        &page,
        &format!(
            "(() => {{ document.querySelector('select[name=category]').value = '{category}'; \
             return true; }})()"
        ),
    )
    .await;
    click(&page, "form.filters button[type=submit]").await;
    let rows: Vec<Vec<String>> = cells(&page, "#queue").await;
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(row[3].contains(&category), "{row:?} lacks {category}");
    }
    assert!(
        location(&page)
            .await
            .contains(&format!("category={category}"))
    );
    shot(&page, "queue-filtered").await;

    // An item of the demo, with its findings.
    click(&page, "a.item-link").await;
    wait_for(&page, "#findings").await;
    wait_for(&page, "#decision").await;
    // The deal's buying committee, from the CRM's contacts of the account.
    assert!(text(&page, "#committee").await.contains("recipient"));
    shot(&page, "item-demo").await;

    // On a phone (390 px): the queue becomes cards and nothing scrolls sideways.
    let phone = ui.open(&format!("{base}/inbox")).await;
    phone_width(&phone).await;
    let wide = overflow_x(&phone).await;
    shot(&phone, "queue-demo-phone").await;
    assert!(
        wide <= 0,
        "the queue scrolls sideways by {wide} px at 390 px: {:?}",
        too_wide(&phone).await
    );
    click(&phone, "a.item-link").await;
    phone_width(&phone).await;
    let wide = overflow_x(&phone).await;
    let culprits = too_wide(&phone).await;
    shot(&phone, "item-demo-phone").await;
    assert!(
        wide <= 0,
        "the item scrolls sideways by {wide} px at 390 px: {culprits:?}"
    );

    // The audit view: the chain verifies, and it holds at least what the seeding wrote.
    goto(&page, &format!("{base}/inbox/audit")).await;
    let chain = text(&page, "#chain").await;
    assert!(chain.contains("Chain intact"), "{chain}");
    let records = number_after(&chain, "Chain intact: ").unwrap();
    assert!(
        records >= printed.audit_records,
        "{records} < {}",
        printed.audit_records
    );
    assert!(!cells(&page, "#audit").await.is_empty());
    shot(&page, "audit").await;

    store.close().await;
    ui.close().await;
}

#[test]
fn the_demo_summary_is_read_by_its_columns() {
    let lines: Vec<String> = [
        "  Inbox      http://127.0.0.1:4242/inbox",
        "Demo logins (demo passwords: never reuse them):",
        "  login          who                        roles               password                waiting for them",
        "  alex.romero    Alex Romero, VP Sales      manager, deal_desk  demo-alex-lumenfield    8 held",
        "  ops.admin      Robin Ops, RevOps Administ admin               demo-admin-lumenfield   tools, accounts, policy, audit",
        "",
        "Seeded: 61 actions from a scripted agent (1 from an unregistered tool) for 6 buyers:",
        "  pipeline: 60 opportunities and 571 activities imported from a Salesforce export (/tmp/d/salesforce-export/), 4 approved knowledge entries, 3 drafts by the follow-up assistant",
        "  delivered: 39 (26 e-mails as .eml, 13 CRM changes as .json) in /tmp/d/delivered/",
        "  waiting to be delivered: 2 (quiet hours in the buyer's time zone)",
        "  audit chain: 261 records, verified; policy sha256:80e1",
        "  database: sqlite:///tmp/d/countersign.db",
    ]
    .map(str::to_owned)
    .to_vec();
    let p = parse(&lines);
    assert_eq!(p.base, "http://127.0.0.1:4242");
    assert_eq!(
        p.logins[0],
        Login {
            name: "alex.romero".to_owned(),
            roles: "manager, deal_desk".to_owned(),
            password: "demo-alex-lumenfield".to_owned(),
            waiting: "8 held".to_owned(),
        }
    );
    assert_eq!(p.logins.len(), 2);
    assert_eq!(
        (p.actions, p.drafts, p.delivered, p.audit_records),
        (61, 3, 39, 261)
    );
    assert_eq!(p.database_url, "sqlite:///tmp/d/countersign.db");
}

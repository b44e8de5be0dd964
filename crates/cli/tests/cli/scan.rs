//! `countersign scan` on a SQLite file over the imported sample export: the reps and buyer
//! domains come from the CRM, the findings come out as JSON lines or a printable page, a
//! bad signature file is refused by name, and a bad inventory is reported, not fatal.

use std::path::Path;

use serde_json::Value;

use crate::countersign;

const MBOX: &str = "From sam.okafor@seller.example Tue Nov 24 09:20:00 2026
From: Sam Okafor <sam.okafor@seller.example>
To: Elena Moreau <elena.moreau1@summit1.example>
Subject: Next steps
Date: Tue, 24 Nov 2026 09:20:00 +0000
Message-ID: <s1@outreach.io>
Content-Type: text/plain; charset=utf-8

Hi Elena, can we book the pilot kickoff for Tuesday?

From okafor.sam@gmail.example Wed Nov 25 10:00:00 2026
From: Sam Okafor <okafor.sam@gmail.example>
To: Elena Moreau <elena.moreau1@summit1.example>
Subject: Price
Date: Wed, 25 Nov 2026 10:00:00 +0000
Message-ID: <p1@gmail.example>
Content-Type: text/plain; charset=utf-8

Hi Elena, I can do 30% off if you sign by Friday.
";

#[test]
fn a_scan_reads_mail_against_the_crm_and_prints_json_lines_or_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("countersign.db").display());
    let run = |args: &[&str]| {
        countersign()
            .current_dir(dir.path())
            .env_remove("COUNTERSIGN_DATABASE_URL")
            .args(args)
            .args(["--database-url", &url])
            .assert()
    };
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/samples/salesforce");
    run(&["import", "salesforce", samples.to_str().unwrap()]).success();
    let mbox = dir.path().join("sent.mbox");
    std::fs::write(&mbox, MBOX).unwrap();
    let bad = dir.path().join("extensions.json");
    std::fs::write(&bad, "{\"no\": \"extensions here\"}").unwrap();

    let out = run(&[
        "scan",
        "--mbox",
        mbox.to_str().unwrap(),
        "--extensions",
        bad.to_str().unwrap(),
        "--format",
        "json",
    ])
    .success();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |kind: &str| lines.iter().find(|l| l["kind"] == kind);
    let outreach = find("ai_tool").expect("Outreach's Message-ID");
    assert_eq!(outreach["tool"], "Outreach");
    assert_eq!(outreach["rep"], "sam.okafor");
    for key in ["evidence", "count", "first_seen", "last_seen"] {
        assert!(!outreach[key].is_null(), "{key}: {outreach}");
    }
    let personal = find("personal_account").expect("the private address");
    assert_eq!(personal["rep"], "sam.okafor");
    assert!(
        personal["touched"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("commercial/")),
        "the discount would have been held: {personal}"
    );
    assert!(
        find("unreadable").is_some(),
        "the inventory in the wrong form is said: {lines:?}"
    );

    let page = run(&["scan", "--mbox", mbox.to_str().unwrap(), "--format", "html"]).success();
    let html = String::from_utf8_lossy(&page.get_output().stdout).into_owned();
    assert!(
        html.starts_with("<!doctype html>") && html.contains("Outreach"),
        "{html}"
    );

    let sigs = dir.path().join("mine.toml");
    std::fs::write(
        &sigs,
        "version = \"1\"\n[[tool]]\nname = \"X\"\ncategory = \"spy\"\n",
    )
    .unwrap();
    let refused = run(&["scan", "--signatures", sigs.to_str().unwrap()]).failure();
    let err = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        err.contains("mine.toml") && err.contains("category `spy`"),
        "{err}"
    );
}

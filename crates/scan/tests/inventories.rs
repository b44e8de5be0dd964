//! Shadow-AI discovery from inventories (issue 14): CRM login and connected-app exports and
//! browser extension inventories, written here as small made-up files, read against the
//! shipped signatures and folded into a report as `countersign scan` folds them.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::Path;

use chrono::{DateTime, Utc};
use countersign_scan::{
    Finding, Folder, Kind, Known, Report, ReportRow, Signatures, crm_logins, extensions,
};

type Scan = fn(&Path, &Known, &Signatures, &mut dyn FnMut(Finding)) -> Result<u64, std::io::Error>;

fn known() -> Known {
    let mut k = Known::default();
    k.rep_addresses
        .insert("sam.okafor@lumenfield.example".into(), "sam".into());
    k.rep_addresses
        .insert("jules.martin@lumenfield.example".into(), "jules".into());
    k.rep_names.insert("jules martin".into(), "jules".into());
    k.company_domains.insert("lumenfield.example".into());
    k
}

/// Writes `content` as `name` in a fresh directory and scans it; the rows read and the report.
fn scan_file(scan: Scan, name: &str, content: &[u8], known: &Known) -> (u64, Report) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let signatures = Signatures::shipped();
    let mut folder = Folder::new(&signatures);
    let rows = scan(&path, known, &signatures, &mut |f| folder.add(f)).unwrap();
    folder.read(name, rows);
    (rows, folder.finish())
}

fn row<'a>(report: &'a Report, kind: Kind, rep: Option<&str>, tool: &str) -> &'a ReportRow {
    report
        .rows
        .iter()
        .find(|r| r.kind == kind && r.rep.as_deref() == rep && r.tool.as_deref() == Some(tool))
        .unwrap_or_else(|| panic!("no {kind:?} row for {rep:?} and {tool}: {:#?}", report.rows))
}

fn unreadable(report: &Report) -> Vec<&str> {
    report
        .rows
        .iter()
        .filter(|r| r.kind == Kind::Unreadable)
        .flat_map(|r| r.evidence.iter().map(String::as_str))
        .collect()
}

fn at(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

/// A Salesforce `LoginHistory` export as the Setup page downloads it.
const LOGIN_HISTORY: &str = "\
Username,Login Time,Login Type,Status,Source IP,Browser,Platform,Application,API Type
sam.okafor@lumenfield.example,2026-11-03T14:22:10.000+0000,Application,Success,203.0.113.5,Chrome 130,Mac OSX,Browser,
sam.okafor@lumenfield.example,2026-11-03T15:00:00.000+0000,Remote Access 2.0,Success,203.0.113.5,,iOS,Salesforce for iOS,
sam.okafor@lumenfield.example,2026-11-03T16:00:00.000+0000,Remote Access 2.0,Success,54.1.1.1,,,Outreach,
sam.okafor@lumenfield.example,2026-11-04T09:00:00.000+0000,Remote Access 2.0,Success,54.1.1.1,,,Zapier,
jules.martin@lumenfield.example,11/05/2026 10:30,Remote Access 2.0,Success,,,,Zapier,
jules.martin@lumenfield.example,2026-11-05T11:00:00Z,Remote Access 2.0,Success,,,,Acme Sync,
jules.martin@lumenfield.example,2026-11-05T12:00:00Z,Remote Access 2.0,Failed: Invalid Password,,,,Shady App,
jules.martin@lumenfield.example,last tuesday,Remote Access 2.0,Success,,,,Acme Sync,
svc-sync@lumenfield.example,2026-11-06T08:00:00.000+0000,Other Apex API,Success,,,,N/A,SOAP Partner
jules.martin@lumenfield.example,2026-11-06T08:00:00.000+0000,Remote Access 2.0
pat.lee@lumenfield.example,2026-11-07T08:00:00.000+0000,Remote Access 2.0,Success,,,,Zapier,
";

#[test]
fn login_history_reports_unregistered_apps_and_integration_users_per_user() {
    let mut known = known();
    known.registered_tools.insert("outreach".into());
    let (rows, report) = scan_file(
        crm_logins::scan,
        "LoginHistory.csv",
        LOGIN_HISTORY.as_bytes(),
        &known,
    );
    assert_eq!(rows, 11, "every data row is read, the bad one too");

    let zapier = row(&report, Kind::UnknownIntegration, Some("sam"), "Zapier");
    assert_eq!(zapier.count, 1);
    assert_eq!(
        zapier.evidence,
        ["signs in to the CRM as `Zapier` (Remote Access 2.0) (LoginHistory.csv line 5)"]
    );
    assert_eq!(zapier.first_seen, at("2026-11-04T09:00:00Z"));
    // A US report's date and time.
    let zapier = row(&report, Kind::UnknownIntegration, Some("jules"), "Zapier");
    assert_eq!(zapier.first_seen, at("2026-11-05T10:30:00Z"));
    // An app no signature knows is named as written; a broken date leaves the time out.
    let acme = row(
        &report,
        Kind::UnknownIntegration,
        Some("jules"),
        "Acme Sync",
    );
    assert_eq!(acme.count, 2);
    assert_eq!(
        (acme.first_seen, acme.last_seen),
        (at("2026-11-05T11:00:00Z"), at("2026-11-05T11:00:00Z"))
    );
    // Someone who is not a rep is named by their address.
    row(
        &report,
        Kind::UnknownIntegration,
        Some("pat.lee@lumenfield.example"),
        "Zapier",
    );
    // An integration user signing in by API, without an app.
    let svc = row(
        &report,
        Kind::UnknownIntegration,
        Some("svc-sync@lumenfield.example"),
        "svc-sync@lumenfield.example",
    );
    assert!(svc.evidence[0].starts_with(
        "integration user `svc-sync@lumenfield.example` signs in to the CRM (Other Apex API)"
    ));

    // Browser and mobile logins, the registered Outreach and the failed login are not findings.
    let tools: Vec<&str> = report
        .rows
        .iter()
        .filter_map(|r| r.tool.as_deref())
        .collect();
    for absent in ["Browser", "Salesforce for iOS", "Outreach", "Shady App"] {
        assert!(!tools.contains(&absent), "{absent} reported: {tools:?}");
    }
    // The truncated row is named; the rows after it were still read.
    let bad = unreadable(&report);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].starts_with("has 3 fields where the header has 9"),
        "{bad:?}"
    );
    assert!(bad[0].ends_with("(LoginHistory.csv line 11)"), "{bad:?}");
    assert_eq!(report.rows.len(), 6, "{:#?}", report.rows);
}

#[test]
fn an_app_is_registered_under_its_own_name_or_its_signatures_name() {
    let (_, report) = scan_file(
        crm_logins::scan,
        "LoginHistory.csv",
        LOGIN_HISTORY.as_bytes(),
        &known(),
    );
    let outreach = row(&report, Kind::UnknownIntegration, Some("sam"), "Outreach");
    assert!(outreach.recommendation.starts_with("Register and govern"));

    let logins = "UserId,LoginTime,LoginType,Status,Application\n\
        005Ho00000AbCdE,2026-11-03T14:22:10.000+0000,Remote Access 2.0,Success,Integromat\n\
        005Ho00000AbCdE,2026-11-03T14:22:10.000+0000,Remote Access 2.0,Success,acme sync\n";
    let mut known = known();
    known
        .registered_tools
        .extend(["make".to_owned(), "acme sync".to_owned()]);
    let (rows, report) = scan_file(
        crm_logins::scan,
        "LoginHistory-api.csv",
        logins.as_bytes(),
        &known,
    );
    assert_eq!(rows, 2);
    assert!(report.rows.is_empty(), "{:#?}", report.rows);

    // Without the registration, Integromat is Make, and a user id is the rep as written.
    let (_, report) = scan_file(
        crm_logins::scan,
        "LoginHistory-api.csv",
        logins.as_bytes(),
        &Known::default(),
    );
    row(
        &report,
        Kind::UnknownIntegration,
        Some("005Ho00000AbCdE"),
        "Make",
    );
}

#[test]
fn connected_app_usage_reports_each_app_with_its_uses() {
    let usage = "Connected App Name,User,Use Count,Last Used Date\n\
        Zapier,sam.okafor@lumenfield.example,212,2026-11-02T10:00:00.000+0000\n\
        Salesforce for Outlook,sam.okafor@lumenfield.example,40,2026-11-02T10:00:00.000+0000\n\
        Clari,jules.martin@lumenfield.example,1,2026-11-01\n";
    let (rows, report) = scan_file(
        crm_logins::scan,
        "OAuthUsage.csv",
        usage.as_bytes(),
        &known(),
    );
    assert_eq!(rows, 3);
    assert_eq!(report.rows.len(), 2, "{:#?}", report.rows);
    let zapier = row(&report, Kind::UnknownIntegration, Some("sam"), "Zapier");
    assert_eq!(
        zapier.evidence,
        ["connected app `Zapier`, 212 uses (OAuthUsage.csv line 2)"]
    );
    assert_eq!(zapier.last_seen, at("2026-11-02T10:00:00Z"));
    let clari = row(&report, Kind::UnknownIntegration, Some("jules"), "Clari");
    assert!(clari.evidence[0].starts_with("connected app `Clari`, 1 use "));
}

#[test]
fn hubspot_connected_apps_are_reported_with_who_installed_them() {
    let apps = "\u{feff}App name;Installed by;Install date;Scopes\n\
        Zapier;sam.okafor@lumenfield.example;2026-10-01;crm.objects.contacts.read crm.objects.contacts.write\n\
        HubSpot Sales Chrome Extension;jules.martin@lumenfield.example;2026-09-15;sales-email-read\n\
        Gong;Jules Martin;09/20/2026;crm.objects.deals.read, crm.objects.contacts.read, timeline, oauth, files\n\
        HubSpot Mobile;sam.okafor@lumenfield.example;2026-01-01;\n";
    let (rows, report) = scan_file(
        crm_logins::scan,
        "hubspot-apps.csv",
        apps.as_bytes(),
        &known(),
    );
    assert_eq!(rows, 4);
    assert_eq!(report.rows.len(), 3, "{:#?}", report.rows);
    let zapier = row(&report, Kind::UnknownIntegration, Some("sam"), "Zapier");
    assert!(zapier.evidence[0].starts_with(
        "connected app `Zapier`, scopes crm.objects.contacts.read crm.objects.contacts.write"
    ));
    assert_eq!(zapier.first_seen, at("2026-10-01T00:00:00Z"));
    // The HubSpot Sales extension has access of its own: an app like any other.
    row(
        &report,
        Kind::UnknownIntegration,
        Some("jules"),
        "HubSpot Sales Chrome Extension",
    );
    // "Installed by" may be a name.
    let gong = row(&report, Kind::UnknownIntegration, Some("jules"), "Gong");
    assert!(
        gong.evidence[0].contains("timeline oauth and 1 more"),
        "{:?}",
        gong.evidence
    );
}

#[test]
fn hubspot_login_activity_reports_apps_and_not_people() {
    let logins = "Email,Date,Source,App,IP address\n\
        sam.okafor@lumenfield.example,Nov 3, 2026 2:22 PM,Password,,203.0.113.5\n\
        sam.okafor@lumenfield.example,\"Nov 3, 2026 2:22 PM\",Google,,203.0.113.5\n\
        jules.martin@lumenfield.example,2026-11-03 14:22,OAuth,Apollo.io,203.0.113.5\n";
    let (rows, report) = scan_file(
        crm_logins::scan,
        "hubspot-logins.csv",
        logins.as_bytes(),
        &known(),
    );
    assert_eq!(rows, 3);
    // The unquoted comma in the first date splits the row: named, and the rest still read.
    let bad = unreadable(&report);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].ends_with("(hubspot-logins.csv line 2)"));
    let apollo = row(&report, Kind::UnknownIntegration, Some("jules"), "Apollo");
    assert_eq!(apollo.first_seen, at("2026-11-03T14:22:00Z"));
    assert_eq!(report.rows.len(), 2, "{:#?}", report.rows);
}

#[test]
fn a_file_that_is_no_crm_export_is_one_unreadable_finding() {
    let (rows, report) = scan_file(
        crm_logins::scan,
        "contacts.csv",
        b"Name,Phone\nAda,123\n",
        &known(),
    );
    assert_eq!(rows, 0);
    assert_eq!(
        unreadable(&report),
        [
            "not a LoginHistory, connected-app or HubSpot apps export: its columns are `Name`, `Phone` (contacts.csv)"
        ]
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\xff\xfe";
    let (_, report) = scan_file(crm_logins::scan, "LoginHistory.csv", png, &known());
    let bad = unreadable(&report);
    assert!(
        bad.len() == 1 && bad[0].starts_with("not a CSV text file"),
        "{bad:?}"
    );
    let (_, report) = scan_file(crm_logins::scan, "LoginHistory.csv", b"", &known());
    assert!(unreadable(&report)[0].starts_with("the file is empty"));
}

/// A Chrome Enterprise "Apps & extensions usage" export, one row per extension and user.
const CHROME_CSV: &str = "\
App ID,App name,App type,Version,Permissions,User email
necbalcggglceeioaehdbkpbldmoabii,Lavender - AI Email Coach,Extension,4.2.1,storage;https://mail.google.com/*,sam.okafor@lumenfield.example
kbfnbcaeplbcioakkpcpgfkobkghlhen,Grammarly: AI Writing and Grammar Checker App,Extension,14.1100.0,\"storage, tabs\",sam.okafor@lumenfield.example
kbfnbcaeplbcioakkpcpgfkobkghlhen,Grammarly: AI Writing and Grammar Checker App,Extension,14.1100.0,\"storage, tabs\",jules.martin@lumenfield.example
oemmndcbldboiebfnladdacbdfmadadm,PDF Viewer,Extension,2.3,<all_urls>;storage,sam.okafor@lumenfield.example
pdnbkhnkdldabdmkblfagomaccjgkbgf,ChatGPT Writer - Write mails with AI,Extension,1.7.0,https://mail.google.com/*,jules.martin@lumenfield.example
aaaabbbbccccddddeeeeffffgggghhhh,Prospect AI Helper,Extension,0.9,<all_urls>,jules.martin@lumenfield.example
aaaabbbbccccddddeeeeffffgggghhhh,Prospect AI Helper,Extension,0.9,<all_urls>,pat.lee@lumenfield.example
";

/// The same inventory as JSON.
const CHROME_JSON: &str = r#"{"extensions": [
  {"id": "necbalcggglceeioaehdbkpbldmoabii", "name": "Lavender - AI Email Coach", "version": "4.2.1",
   "permissions": ["storage", "https://mail.google.com/*"], "users": ["sam.okafor@lumenfield.example"]},
  {"id": "kbfnbcaeplbcioakkpcpgfkobkghlhen", "name": "Grammarly: AI Writing and Grammar Checker App", "version": "14.1100.0",
   "permissions": ["storage", "tabs"], "users": ["sam.okafor@lumenfield.example", "jules.martin@lumenfield.example"]},
  {"id": "oemmndcbldboiebfnladdacbdfmadadm", "name": "PDF Viewer", "version": "2.3",
   "permissions": ["<all_urls>", "storage"], "users": ["sam.okafor@lumenfield.example"]},
  {"id": "pdnbkhnkdldabdmkblfagomaccjgkbgf", "name": "ChatGPT Writer - Write mails with AI", "version": "1.7.0",
   "permissions": ["https://mail.google.com/*"], "users": ["jules.martin@lumenfield.example"]},
  {"id": "aaaabbbbccccddddeeeeffffgggghhhh", "name": "Prospect AI Helper", "version": 0.9,
   "permissions": ["<all_urls>"], "users": ["jules.martin@lumenfield.example", "pat.lee@lumenfield.example"]}
]}"#;

/// A report row's kind, rep, tool, count and evidence.
type Seen = (Kind, Option<String>, Option<String>, u64, Vec<String>);

/// A report's rows without where each piece of evidence was seen.
fn without_sources(report: &Report) -> Vec<Seen> {
    report
        .rows
        .iter()
        .map(|r| {
            let evidence = r
                .evidence
                .iter()
                .map(|e| {
                    e.rsplit_once(" (")
                        .map_or(e.as_str(), |(e, _)| e)
                        .to_owned()
                })
                .collect();
            (r.kind, r.rep.clone(), r.tool.clone(), r.count, evidence)
        })
        .collect()
}

#[test]
fn a_chrome_inventory_reports_ai_extensions_per_rep_and_what_they_can_read() {
    let (rows, report) = scan_file(
        extensions::scan,
        "extensions.csv",
        CHROME_CSV.as_bytes(),
        &known(),
    );
    assert_eq!(rows, 7);
    let lavender = row(&report, Kind::AiExtension, Some("sam"), "Lavender");
    assert_eq!(
        lavender.evidence,
        [
            "`Lavender - AI Email Coach` 4.2.1, can read mail (https://mail.google.com/*) (extensions.csv line 2)"
        ]
    );
    assert!(lavender.recommendation.starts_with("Block the extension"));
    for rep in ["sam", "jules"] {
        let grammarly = row(&report, Kind::AiExtension, Some(rep), "Grammarly");
        assert_eq!(grammarly.count, 1);
        assert!(
            grammarly.evidence[0].contains("14.1100.0, an AI writing tool"),
            "{:?}",
            grammarly.evidence
        );
    }
    let chatgpt = row(&report, Kind::AiExtension, Some("jules"), "ChatGPT");
    assert!(chatgpt.evidence[0].contains("can read mail (https://mail.google.com/*)"));
    // Unknown to the signatures, but named like AI and able to read every page.
    let prospect = row(
        &report,
        Kind::AiExtension,
        Some("jules"),
        "Prospect AI Helper",
    );
    assert!(
        prospect.evidence[0]
            .starts_with("`Prospect AI Helper` 0.9, can read every page (<all_urls>)")
    );
    row(
        &report,
        Kind::AiExtension,
        Some("pat.lee@lumenfield.example"),
        "Prospect AI Helper",
    );
    // A PDF viewer reads every page too, but writes nothing.
    assert!(
        !report
            .rows
            .iter()
            .any(|r| r.tool.as_deref() == Some("PDF Viewer"))
    );
    assert_eq!(report.rows.len(), 6, "{:#?}", report.rows);
}

#[test]
fn the_same_inventory_as_json_gives_the_same_report() {
    let (csv_rows, from_csv) = scan_file(
        extensions::scan,
        "extensions.csv",
        CHROME_CSV.as_bytes(),
        &known(),
    );
    // Named .txt: the form is told by the content.
    let (json_rows, from_json) = scan_file(
        extensions::scan,
        "inventory.txt",
        CHROME_JSON.as_bytes(),
        &known(),
    );
    assert_eq!(json_rows, csv_rows);
    assert_eq!(without_sources(&from_json), without_sources(&from_csv));
    assert!(from_json.rows[0].evidence[0].contains("(inventory.txt extension "));

    // A bare array reads the same.
    let array = CHROME_JSON
        .trim_start_matches(r#"{"extensions": "#)
        .trim_end_matches('}');
    let (_, from_array) = scan_file(
        extensions::scan,
        "inventory.json",
        array.as_bytes(),
        &known(),
    );
    assert_eq!(without_sources(&from_array), without_sources(&from_csv));
}

#[test]
fn without_a_user_column_the_count_is_installs() {
    let csv = "Extension ID;Extension name;Install count;Permissions\n\
        aaaabbbbccccddddeeeeffffgggghhhh;Prospect AI Helper;1,204;<all_urls>\n\
        necbalcggglceeioaehdbkpbldmoabii;Lavender - AI Email Coach;3;\n\
        oemmndcbldboiebfnladdacbdfmadadm;PDF Viewer;5000;<all_urls>\n\
        zzzz;Sales Sequence Sidebar;many;https://*.google.com/*\n";
    let (rows, report) = scan_file(extensions::scan, "usage.csv", csv.as_bytes(), &known());
    assert_eq!(rows, 4);
    assert_eq!(
        row(&report, Kind::AiExtension, None, "Prospect AI Helper").count,
        1204
    );
    let lavender = row(&report, Kind::AiExtension, None, "Lavender");
    assert_eq!(lavender.count, 3);
    assert_eq!(
        lavender.evidence,
        ["`Lavender - AI Email Coach`, an AI writing tool (usage.csv line 3)"]
    );
    let bad = unreadable(&report);
    assert_eq!(bad, ["`many` is not an install count (usage.csv line 5)"]);

    let json = r#"[{"appId": "aaaabbbbccccddddeeeeffffgggghhhh", "displayName": "Prospect AI Helper", "installs": 7,
        "hostPermissions": ["*://*/*"]}]"#;
    let (_, report) = scan_file(extensions::scan, "usage.json", json.as_bytes(), &known());
    let prospect = row(&report, Kind::AiExtension, None, "Prospect AI Helper");
    assert_eq!(prospect.count, 7);
    assert!(prospect.evidence[0].contains("can read every page (*://*/*)"));
}

#[test]
fn an_inventory_in_the_wrong_form_is_one_unreadable_finding() {
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "extensions.csv",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "not a browser extension inventory: the file is not text",
        ),
        (
            "extensions.json",
            br#"{"apps_count": 3, "generated": "2026-11-01"}"#,
            "not a JSON extension inventory: expected an array of extensions or an object with `extensions`; this object has `apps_count`, `generated`",
        ),
        (
            "extensions.json",
            b"{\"extensions\": [",
            "not a JSON extension inventory: EOF while parsing",
        ),
        (
            "extensions.csv",
            b"Device,OS\nmac-14,macOS\n",
            "not a browser extension inventory: expected an `App ID`",
        ),
        ("extensions.csv", b"  \n", "the file is empty"),
    ];
    for (name, content, want) in cases {
        let (rows, report) = scan_file(extensions::scan, name, content, &known());
        assert_eq!(rows, 0);
        let bad = unreadable(&report);
        assert!(
            bad.len() == 1 && bad[0].starts_with(want),
            "{name}: {bad:?}"
        );
        assert_eq!(report.rows.len(), 1);
    }
}

#[test]
fn a_bad_extension_in_a_json_inventory_is_named_and_the_rest_read() {
    let json = r#"{"extensions": [
        {"version": "1.0", "users": ["sam.okafor@lumenfield.example"]},
        {"id": "x", "name": "Merlin", "permissions": "storage"},
        {"id": "y", "name": "Copy.ai", "users": "jules.martin@lumenfield.example", "permissions": [3]},
        "Lavender"
    ]}"#;
    let (rows, report) = scan_file(
        extensions::scan,
        "inventory.json",
        json.as_bytes(),
        &known(),
    );
    assert_eq!(rows, 4);
    assert_eq!(row(&report, Kind::AiExtension, None, "Merlin").count, 1);
    assert_eq!(
        unreadable(&report),
        [
            "has neither `id` nor `name` (inventory.json extension 1)",
            "`permissions` is not a list of text (inventory.json extension 3)",
            "not an object with `id` and `name` (inventory.json extension 4)",
        ]
    );
}

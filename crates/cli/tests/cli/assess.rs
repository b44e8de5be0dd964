//! `countersign assess` on the real demo: the five workflows ranked with their parts, as a
//! table, one JSON object and a printable HTML page.

use std::path::Path;

use serde_json::Value;

use crate::countersign;

fn seeded(dir: &Path) -> String {
    countersign()
        .args(["demo", "--no-serve", "--dir"])
        .arg(dir)
        .assert()
        .success();
    format!("sqlite://{}", dir.join("countersign.db").display())
}

fn assess(url: &str, format: &str) -> String {
    let out = countersign()
        .args(["assess", "--format", format, "--database-url", url])
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn assess_scores_the_demo_as_a_table_json_and_html() {
    let tmp = tempfile::tempdir().unwrap();
    let url = seeded(&tmp.path().join("demo"));

    let json: Value = serde_json::from_str(&assess(&url, "json")).unwrap();
    let workflows = json["workflows"].as_array().unwrap();
    let mut names: Vec<&str> = workflows
        .iter()
        .map(|w| w["workflow"].as_str().unwrap())
        .collect();
    let scores: Vec<f64> = workflows
        .iter()
        .map(|w| w["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|p| p[0] >= p[1]), "{scores:?}");
    assert!(scores.iter().all(|s| (0.0..=100.0).contains(s)));
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "account_research",
            "crm_hygiene",
            "followup_email",
            "knowledge_retrieval",
            "meeting_prep"
        ]
    );
    let followup = workflows
        .iter()
        .find(|w| w["workflow"] == "followup_email")
        .unwrap();
    for part in ["volume", "risk", "readiness", "capacity", "exposure"] {
        let p = &followup["parts"][part];
        assert!(p["value"].as_f64().is_some(), "{part}: {followup}");
        assert!(!p["words"].as_str().unwrap().is_empty());
    }
    // The demo proposed e-mail and held some of it: the facts are not empty.
    assert!(
        followup["parts"]["volume"]["value"].as_f64().unwrap() > 0.0,
        "{followup}"
    );
    assert!(
        json["recommendation"]
            .as_str()
            .unwrap()
            .starts_with("Start with"),
        "{json}"
    );
    assert!(json["to_move_followup_up"].is_array());
    assert!(json["formula"].as_str().unwrap().contains("0.25·volume"));
    assert_eq!(json["weights"]["risk"], 0.25);

    let human = assess(&url, "human");
    for wanted in [
        "AI Opportunity Score over the last 28 days",
        "follow-up e-mail",
        "CRM hygiene",
        "Start with",
        "score = 100 ×",
        "volume",
        "exposure",
    ] {
        assert!(human.contains(wanted), "{wanted} missing from:\n{human}");
    }

    let html = assess(&url, "html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    assert!(
        html.matches("<svg").count() >= 5 * 6,
        "a bar per workflow and part"
    );
    assert!(html.contains("AI Opportunity Score"));
    assert!(!html.contains("<script"));
}

use std::fs;
use std::path::Path;

use predicates::prelude::*;

use crate::countersign;

fn default_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../policies/default"
    ))
}

/// A copy of the default policy with `edit` applied to one file.
fn broken_policy(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["policy.toml", "policy.cedar", "policy.cedarschema"] {
        let text = fs::read_to_string(default_dir().join(name)).unwrap();
        let text = if name == file { edit(text) } else { text };
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn show_prints_the_shipped_policy() {
    let out = countersign()
        .args(["policy", "show", "--part", "toml"])
        .assert()
        .success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(
        shown,
        fs::read_to_string(default_dir().join("policy.toml")).unwrap()
    );
}

#[test]
fn validate_accepts_the_default_policy() {
    countersign()
        .args(["policy", "validate"])
        .arg(default_dir())
        .assert()
        .success()
        .stdout(predicates::str::contains("is valid"));
}

#[test]
fn validate_reports_every_problem_with_file_line_and_column() {
    let dir = broken_policy("policy.toml", |t| {
        t.replace("pricing = [\"deal_desk\"]", "pricing = [\"deal-desk\"]")
            .replace(
                "\"email.draft\" = \"draft_only\"",
                "\"email.draft\" = \"drafty\"",
            )
    });
    let out = countersign()
        .args(["policy", "validate", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let problems = v["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    for p in problems {
        assert!(p["file"].as_str().unwrap().ends_with("policy.toml"));
        assert!(
            p["line"].as_u64().unwrap() > 1 && p["column"].as_u64().unwrap() >= 1,
            "{p}"
        );
    }
    let all = v.to_string();
    assert!(all.contains("drafty"), "{all}");
}

#[test]
fn validate_names_unknown_roles_and_subtopics_together() {
    let dir = broken_policy("policy.toml", |t| {
        t.replace("pricing = [\"deal_desk\"]", "pricing = [\"deal-desk\"]")
            .replace("redline = [\"legal\"]", "redlines = [\"legal\"]")
    });
    let out = countersign()
        .args(["policy", "validate"])
        .arg(dir.path())
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("role `deal-desk` is not declared"), "{text}");
    assert!(
        text.contains("`redlines` is not a subtopic of `commercial`"),
        "{text}"
    );
    assert!(text.contains("2 problem(s)"), "{text}");
}

#[test]
fn validate_reports_cedar_errors_in_the_cedar_file() {
    let dir = broken_policy("policy.cedar", |t| {
        t.replace("principal.kinds.contains", "principal.kindz.contains")
    });
    let out = countersign()
        .args(["policy", "validate"])
        .arg(dir.path())
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("policy.cedar:") && text.contains("kindz"),
        "{text}"
    );
}

#[test]
fn shipped_policy_tests_pass() {
    countersign()
        .args(["policy", "test"])
        .arg(default_dir().join("tests"))
        .assert()
        .success()
        .stdout(predicates::str::contains("0 failed"));
}

#[test]
fn a_failing_policy_test_is_shown_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.json");
    fs::write(
        &cases,
        r#"[{"name": "discount is wrongly expected to run", "input": {"text": "We can do 15% off."}, "expect": {"decision": "allow"}}]"#,
    )
    .unwrap();
    countersign()
        .args(["policy", "test"])
        .arg(&cases)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("FAIL").and(predicates::str::contains("decision hold")));
}

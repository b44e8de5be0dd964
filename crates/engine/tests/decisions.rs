//! Every case in `tests/cases/<category>/*.json` (an action and its context) runs through
//! `decide` and its full decision is pinned with insta. A changed snapshot is a behaviour
//! change: review it with `cargo insta review` and say why in the commit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use countersign_engine::context::Context;
use countersign_engine::{Action, Policy, decide};
use serde_json::Value;

/// Tuesday 2026-01-06 21:00 in New York, 03:00 Wednesday in Berlin: inside quiet hours for
/// cases that name a time zone, irrelevant for the rest.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-07T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut out = Vec::new();
    for dir in fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        for file in fs::read_dir(&dir).unwrap() {
            out.push(file.unwrap().path());
        }
    }
    out.sort();
    out
}

/// Reads `{"action": …, "context": …}`.
pub fn load(path: &Path) -> (Action, Context) {
    let v: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let action =
        Action::from_json(&v["action"]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let context = match v.get("context") {
        Some(c) => serde_json::from_value(c.clone()).unwrap(),
        None => Context::default(),
    };
    (action, context)
}

#[test]
fn every_case_decides_as_its_snapshot_says() {
    let cases = cases();
    assert!(
        cases.len() >= 30,
        "expected the case library, found {}",
        cases.len()
    );
    for path in cases {
        let (action, context) = load(&path);
        let record = decide(&action, &context, Policy::default_policy(), now());
        let category = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = format!(
            "{category}__{}",
            path.file_stem().unwrap().to_string_lossy()
        );
        insta::assert_json_snapshot!(name, record, {".policy_version" => "[policy_version]"});
    }
}

use serde_json::Value;

use crate::countersign;

#[test]
fn eval_reports_per_label_figures_and_writes_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("labelled.jsonl");
    let decisions = dir.path().join("decisions.jsonl");
    std::fs::write(
        &data,
        concat!(
            "{\"id\": \"r1\", \"text\": \"See you Tuesday at 10.\", \"labels\": []}\n",
            "{\"id\": \"c1\", \"text\": \"We can do 20% off if you sign this week.\", \"labels\": [\"commercial\"], \"subtopics\": [\"discount\"]}\n",
            "{\"id\": \"e1\", \"text\": \"Thanks for your time.\", \"recipient_title\": \"Chief Financial Officer\", \"labels\": [\"executive\"]}\n",
            "{\"id\": \"o1\", \"text\": \"Thanks, noted.\", \"labels\": [\"objection\"], \"source\": \"test\"}\n",
        ),
    )
    .unwrap();
    let out = countersign()
        .args(["eval", "--format", "json", "--data"])
        .arg(&data)
        .arg("--decisions")
        .arg(&decisions)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("commercial/discount"),
        "per-subtopic table missing: {stdout}"
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["n"], 4);
    assert_eq!(summary["per_label"]["commercial"]["tp"], 1);
    assert_eq!(summary["per_label"]["objection"]["fn"], 1);
    // One protected message of three (the objection) escapes.
    assert_eq!(
        summary["protected"]["escape_rate"].as_f64().unwrap(),
        0.3333
    );
    assert_eq!(
        summary["protected"]["false_hold_rate"].as_f64().unwrap(),
        0.0
    );
    assert!(summary["messages_per_second"].as_f64().unwrap() > 0.0);
    let written = std::fs::read_to_string(&decisions).unwrap();
    let ids: Vec<String> = written
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["r1", "c1", "e1", "o1"]);
}

#[test]
fn eval_names_a_bad_label() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.jsonl");
    std::fs::write(&data, "{\"text\": \"x\", \"labels\": [\"urgent\"]}\n").unwrap();
    countersign()
        .args(["eval", "--data"])
        .arg(&data)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("labels: `urgent` is not a label"));
}

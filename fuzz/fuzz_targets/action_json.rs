//! Any bytes as an action's JSON: parsing never panics, and an action that parses is
//! decided without panicking; a decision that failed closed is a hold, never an allow.
#![no_main]

use countersign_engine::decision::Decision;
use countersign_engine::{Action, Context, Gate, Policy, Reason};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static GATE: LazyLock<Gate> = LazyLock::new(Gate::new);

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(action) = Action::from_json(&value) else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap_or_default();
    let record = GATE.decide(&action, &Context::default(), Policy::default_policy(), now);
    if record
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::FailClosed { .. }))
    {
        assert_eq!(
            record.decision,
            Decision::Hold,
            "an error must hold: {record:?}"
        );
    }
});

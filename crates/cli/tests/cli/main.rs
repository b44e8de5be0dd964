//! The real `countersign` binary, run as a user would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

mod assess;
mod assistant;
mod check;
mod delivery;
mod demo;
mod eval;
mod policy;
mod scan;
mod simulate;
mod store;

use assert_cmd::Command;

pub fn countersign() -> Command {
    Command::cargo_bin("countersign").unwrap()
}

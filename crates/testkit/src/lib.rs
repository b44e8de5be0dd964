//! What Countersign's tests share, so each crate's tests stop carrying copies:
//!
//! - [`database`]: a fresh database per test, a SQLite file or a new PostgreSQL database on
//!   the server named by `COUNTERSIGN_TEST_POSTGRES_URL` (`scripts/with-postgres` starts one);
//! - [`app`]: the real server on `127.0.0.1:0` over such a database, with verbs for what
//!   tests do (register a tool, log in, propose) and fixture texts;
//! - [`smtp`]: a real SMTP server (aiosmtpd) writing what it receives to a Maildir;
//! - [`tools`]: the repository's Python tools and the `countersign` binary.
//!
//! A component a test needs but the machine lacks fails the test, naming it and how to get
//! it, so a green run never hides tests that did not run. Skipping is asked for by name:
//! `COUNTERSIGN_SKIP_POSTGRES=1`, `COUNTERSIGN_SKIP_CHROMIUM=1` or `COUNTERSIGN_SKIP_SMTP=1`
//! (the Python tools: SMTP server, MCP client, schemathesis, client generator).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failure should stop the test loudly"
)]

pub mod app;
pub mod database;
pub mod smtp;
pub mod tools;

use std::convert::Infallible;
use std::path::PathBuf;

pub use app::{DISCOUNT, DISCOUNT_AND_SECURITY, PASSWORD, ROUTINE, Reply, TestApp};
pub use database::{Kind, TestDatabase};
pub use smtp::SmtpServer;
pub use tools::{axe_core, countersign_binary, python};

/// A component some tests need, and the variable that asks to skip them without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Postgres,
    Chromium,
    /// The Python tools venv, and what needs it (SMTP server, MCP client, …).
    Tools,
}

impl Component {
    pub fn skip_variable(self) -> &'static str {
        match self {
            Self::Postgres => "COUNTERSIGN_SKIP_POSTGRES",
            Self::Chromium => "COUNTERSIGN_SKIP_CHROMIUM",
            Self::Tools => "COUNTERSIGN_SKIP_SMTP",
        }
    }
}

/// `what` is missing: fails the test naming it and `how` to get it, unless the component's
/// skip variable is set, when it prints a note and answers `None` (the test returns).
pub fn missing(component: Component, what: &str, how: &str) -> Option<Infallible> {
    let var = component.skip_variable();
    assert!(
        std::env::var_os(var).is_some(),
        "missing: {what} ({how}; or set {var}=1 to skip the tests that need it)"
    );
    eprintln!("note: {what} is missing, test skipped ({var} is set)");
    None
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

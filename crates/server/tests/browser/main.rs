//! The reviewer inbox in a real headless Chromium (Debian's `/usr/bin/chromium`, driven
//! over CDP with chromiumoxide) against the real server: log in, approve and see the
//! e-mail reach a real SMTP server, edit so that a new finding needs another role, reject
//! with a reason, CSRF and session handling, another role's item refused, and the
//! dashboard of the real `countersign demo`. Every page is saved as a screenshot in
//! `target/inbox-screenshots/`.
//!
//! Without `/usr/bin/chromium` (or the Python tools for the SMTP server) a test fails
//! naming what is missing, unless `COUNTERSIGN_SKIP_CHROMIUM=1` (or `…_SMTP=1`) asks to skip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "test code: a failure should stop the test loudly"
)]

/// The shared test kit: the app on port 0, a database per test, the SMTP receiver.
use countersign_testkit as helpers;
use countersign_testkit::smtp;

mod assistant;
mod demo;
mod review;
mod security;
mod shadow;
mod support;

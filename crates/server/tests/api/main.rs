//! The server's API tests: the real server on `127.0.0.1:0`, driven over HTTP. Every test
//! runs on both backends through [`api_test!`]: `NAME::sqlite` on a temporary SQLite file
//! and `NAME::postgres` on a fresh PostgreSQL database (run under `scripts/with-postgres`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

/// The shared test kit: the app on port 0, a database per test, the SMTP receiver.
use countersign_testkit as helpers;
use countersign_testkit::smtp;

/// Instantiates `async fn NAME(kind: Kind)` once per backend, as `NAME::sqlite` and
/// `NAME::postgres`.
macro_rules! api_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::helpers::Kind::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(crate::helpers::Kind::Postgres).await;
            }
        }
    };
}

mod actions;
mod authz;
mod channels;
mod drafts;
mod errors;
mod generated_client;
mod health;
mod inbox;
mod inbox_reports;
mod limits;
mod mcp;
mod notifications;
mod pipeline;
mod probes;
mod scans;
mod schemathesis;
mod serve;
mod service_levels;

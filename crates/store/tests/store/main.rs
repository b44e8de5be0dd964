//! The store's test suite. Every test runs on both backends through [`store_test!`]:
//! `NAME::sqlite` on a temporary SQLite file and `NAME::postgres` on a fresh PostgreSQL
//! database (see `harness.rs`; run under `scripts/with-postgres` to get a server).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

mod harness;

/// Instantiates `async fn NAME(t: &TestDb)` once per backend, as `NAME::sqlite` and
/// `NAME::postgres`.
macro_rules! store_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::harness::run(crate::harness::Kind::Sqlite, super::$name).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::harness::run(crate::harness::Kind::Postgres, super::$name).await;
            }
        }
    };
}

mod accounts;
mod approvals;
mod assess;
mod audit;
mod group;
mod guards;
mod knowledge;
mod notify;
mod outbox;
mod propose;
mod queue;
mod registry;
mod reports;
mod service_levels;
mod simulate;

//! One module per subcommand; each has `XxxArgs` and `run(args) -> anyhow::Result<Outcome>`.

pub mod accounts;
pub mod approve;
pub mod audit;
pub mod bench;
pub mod bench_http;
pub mod bench_inbox;
pub mod bench_store;
pub mod check;
pub mod contacts;
pub mod deliver;
pub mod demo;
pub mod edit;
pub mod eval;
pub mod import;
pub mod mcp;
pub mod opportunities;
pub mod policy;
pub mod propose;
pub mod queue;
pub mod reject;
pub mod reviewers;
pub mod serve;
pub mod show;
pub mod suppress;
pub mod tools;
pub mod train;

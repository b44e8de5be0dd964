//! One module per subcommand; each has `XxxArgs` and `run(args) -> anyhow::Result<Outcome>`.

pub mod bench;
pub mod check;
pub mod demo;
pub mod eval;
pub mod policy;

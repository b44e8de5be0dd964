//! What every store command shares: `--database-url`, a small async runtime, the policy
//! recorded in the store, and the mapping of store errors to output and exit codes.
//!
//! Exit codes of store commands: 0 done; 1 refused (not held, wrong role, idempotency
//! conflict, broken audit chain, not found); 2 usage or set-up (bad input, bad URL,
//! unreachable database). With `--format json` the error is also printed as
//! `{"error": "…"}` on stdout.

use std::future::Future;
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::Args;
use countersign_engine::Policy;
use countersign_engine::policy::DEFAULT_SOURCES;
use countersign_store::{Store, StoreError, StoreOptions};

use crate::Outcome;
use crate::commands::check::Format;
use crate::policy_files::PolicyFiles;

/// Where the store lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "COUNTERSIGN_DATABASE_URL",
        default_value = "sqlite://countersign.db"
    )]
    pub database_url: String,
}

/// Runs one store command on a single-threaded runtime: the CLI does one thing at a time,
/// so the rest of it stays synchronous.
pub fn block_on<F: Future>(f: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    Ok(runtime.block_on(f))
}

/// Opens the store (creating a SQLite file if needed).
pub async fn open(db: &DatabaseArgs, options: StoreOptions) -> Result<Store, StoreError> {
    Store::open_with(&db.database_url, options).await
}

/// Who the audit log names for commands run by hand: `cli:$USER`.
pub fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The policy decisions use now: the store's active one, else the built-in policy.
pub async fn active_policy(store: &Store) -> anyhow::Result<Policy> {
    if let Some(active) = store.active_policy().await?
        && let Some(texts) = store.policy_texts(&active.version).await?
    {
        return Ok(Policy::load(&texts.sources())?);
    }
    Ok(Policy::default_policy().clone())
}

/// Loads `--policy DIR` (or the built-in policy), reporting every problem by file and
/// line, and records it in the store so its decisions can be replayed.
pub async fn policy(store: &Store, dir: Option<&Path>) -> anyhow::Result<Policy> {
    match dir {
        None => store
            .record_policy(&DEFAULT_SOURCES, &actor(), now())
            .await
            .map_err(flat),
        Some(dir) => {
            let files = PolicyFiles::read(dir)?;
            if let Err(problems) = files.load() {
                let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                anyhow::bail!(
                    "the policy at {} is invalid:\n  {}",
                    dir.display(),
                    list.join("\n  ")
                );
            }
            store
                .record_policy(&files.sources(), &actor(), now())
                .await
                .map_err(flat)
        }
    }
}

/// Prints a store error the way the command's format asks, and picks the exit code.
pub fn refused(err: StoreError, format: Format) -> anyhow::Result<Outcome> {
    if format == Format::Json {
        println!("{}", serde_json::json!({"error": err.to_string()}));
    }
    if err.is_refusal() {
        eprintln!("error: {err}");
        Ok(Outcome::Problems)
    } else {
        Err(flat(err))
    }
}

/// The store's message already names the cause: keep `main` from repeating the chain.
pub fn flat(err: StoreError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

/// Splits `a,b , c` into trimmed, non-empty items.
pub fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_split_and_trimmed() {
        assert_eq!(list("manager, deal_desk,,"), ["manager", "deal_desk"]);
        assert!(list("").is_empty());
    }
}

//! A fresh database per test: a SQLite file in a temporary directory, or a new database on
//! the PostgreSQL server named by [`POSTGRES_VAR`], dropped by [`TestDatabase::drop`].

use sqlx::{AssertSqlSafe, Connection};

use crate::{Component, missing};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub const POSTGRES_VAR: &str = "COUNTERSIGN_TEST_POSTGRES_URL";

/// One test's database: its URL, and what to clean up.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub kind: Kind,
    dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server's URL and the database's name.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A new, empty database; `None` when PostgreSQL is missing and skipping was asked for.
    pub async fn create(kind: Kind, prefix: &str) -> Option<Self> {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("countersign.db").display());
                Some(Self {
                    url,
                    kind,
                    dir: Some(dir),
                    postgres: None,
                })
            }
            Kind::Postgres => {
                let Ok(server) = std::env::var(POSTGRES_VAR) else {
                    missing(
                        Component::Postgres,
                        &format!("a PostgreSQL server in {POSTGRES_VAR}"),
                        "run the tests under scripts/with-postgres",
                    )?;
                    unreachable!("missing answers None or fails");
                };
                let name = format!("{prefix}_{}", suffix());
                let mut admin = sqlx::PgConnection::connect(&server)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {POSTGRES_VAR}: {e}"));
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                Some(Self {
                    url: with_database(&server, &name),
                    kind,
                    dir: None,
                    postgres: Some((server, name)),
                })
            }
        }
    }

    /// [`TestDatabase::create`] for tests without a runtime (the CLI's, which run the binary).
    pub fn create_blocking(kind: Kind, prefix: &str) -> Option<Self> {
        blocking(Self::create(kind, prefix))
    }

    /// [`TestDatabase::drop`] for tests without a runtime.
    pub fn drop_blocking(self) {
        blocking(self.drop());
    }

    /// A directory that lives as long as the database (for SQLite, the file's own).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }

    /// Drops a PostgreSQL database (a SQLite file goes with its directory).
    pub async fn drop(self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = sqlx::PgConnection::connect(server).await
        {
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
        }
    }
}

fn blocking<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// 16 random lowercase letters and digits, for database names.
fn suffix() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes
        .iter()
        .map(|b| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[usize::from(*b % 36)]))
        .collect()
}

/// `postgres://host/db?x` with the database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}/{name}{query}")
}

//! The two backends behind one small interface: a [`Pool`], its transactions ([`Tx`]),
//! queries ([`Query`]) and rows ([`Row`]).
//!
//! The store's logic is written once against these types. SQL text is shared where the
//! dialects agree, which is almost everywhere: both accept `$1` placeholders (sqlx's
//! SQLite driver maps `$N` to the N-th bound value), `RETURNING`, `ON CONFLICT` and partial
//! indexes. Where they differ, the caller picks the text with [`Tx::backend`] (row locks,
//! `FOR UPDATE SKIP LOCKED`). Values are bound and decoded through generic methods that
//! require the Rust type to work on both drivers, so a type one backend lacks fails to
//! compile instead of failing at run time.
//!
//! Not here: what the tables mean (see the migrations) and any business rule.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::error::StoreError;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, the embedded default.
    Sqlite,
    /// Several Countersign instances behind a load balancer.
    Postgres,
}

/// A connection pool on either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What a write transaction locks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Only the rows it touches (outbox claims on PostgreSQL).
    Rows,
    /// The audit chain: every transaction that appends audit records takes this first, so
    /// the chain stays one chain with several writers and no two writers interleave their
    /// reads of history counts or idempotency keys with each other's inserts.
    AuditChain,
}

/// The key of the PostgreSQL advisory lock that serializes audit appends ("CSAUDIT1").
const AUDIT_CHAIN_LOCK: i64 = 0x4353_4155_4449_5431;

impl Pool {
    /// Connects to `url` (`sqlite://PATH`, `sqlite::memory:` or `postgres://…`) and runs
    /// the embedded migrations.
    pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let shown = redact(url);
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::url(&shown, &format!("cannot be used: {e}")))?
                .create_if_missing(true)
                // WAL lets readers run beside the one writer; FULL syncs the WAL on every
                // commit, so a committed decision survives power loss, not just a crash.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .connect_with(options)
                .await
                .map_err(|e| StoreError::connect(&shown, e))?;
            sqlx::migrate!("./migrations/sqlite")
                .run(&pool)
                .await
                .map_err(StoreError::Migrate)?;
            Pool::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::url(&shown, &format!("cannot be used: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(|e| StoreError::connect(&shown, e))?;
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .map_err(StoreError::Migrate)?;
            Pool::Postgres(pool)
        } else {
            return Err(StoreError::url(
                &shown,
                "is not a `sqlite://PATH` or `postgres://…` URL",
            ));
        };
        Ok(pool)
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A read transaction: one consistent snapshot, no locks taken.
    pub(crate) async fn read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::Sqlite(p.begin().await?).into(),
            Pool::Postgres(p) => Conn::Postgres(p.begin().await?).into(),
        })
    }

    /// A write transaction holding `lock`.
    ///
    /// SQLite has one writer at a time; `BEGIN IMMEDIATE` takes the write lock up front, so
    /// a transaction that read something never fails to upgrade later (which `BEGIN`
    /// would, with `SQLITE_BUSY`), and the chain head it reads is the newest. On
    /// PostgreSQL an advisory transaction lock plays that part for the audit chain.
    pub(crate) async fn write(&self, lock: Lock) -> Result<Tx, StoreError> {
        match self {
            Pool::Sqlite(p) => Ok(Conn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?).into()),
            Pool::Postgres(p) => {
                let mut tx: Tx = Conn::Postgres(p.begin().await?).into();
                if lock == Lock::AuditChain {
                    let q = tx
                        .query("SELECT pg_advisory_xact_lock($1)")
                        .bind(AUDIT_CHAIN_LOCK);
                    tx.execute(q).await?;
                }
                Ok(tx)
            }
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// Hides the password of a `postgres://user:password@host` URL in messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// A transaction on either backend. Dropped without [`Tx::commit`], it rolls back.
pub(crate) struct Tx {
    conn: Conn,
    /// The audit chain's last record as this transaction left it (sequence number, hash):
    /// under the chain lock nobody else appends, so after the first append a transaction
    /// need not read the head again for the next one.
    chain_head: Option<(i64, String)>,
}

enum Conn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl From<Conn> for Tx {
    fn from(conn: Conn) -> Self {
        Self {
            conn,
            chain_head: None,
        }
    }
}

/// A query with its bound values, built for the backend of the transaction that made it.
pub(crate) enum Query {
    Sqlite(sqlx::query::Query<'static, Sqlite, sqlx::sqlite::SqliteArguments>),
    Postgres(sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments>),
}

/// A value both drivers can bind.
pub(crate) trait Bind:
    for<'a> sqlx::Encode<'a, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'a> sqlx::Encode<'a, Postgres>
    + sqlx::Type<Postgres>
    + Send
{
}

impl<T> Bind for T where
    T: for<'a> sqlx::Encode<'a, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'a> sqlx::Encode<'a, Postgres>
        + sqlx::Type<Postgres>
        + Send
{
}

/// A column type both drivers can decode.
pub(crate) trait Column:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
{
}

impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
{
}

impl Query {
    /// Binds the next `$N`.
    pub(crate) fn bind<T: Bind>(self, value: T) -> Self {
        match self {
            Query::Sqlite(q) => Query::Sqlite(q.bind(value)),
            Query::Postgres(q) => Query::Postgres(q.bind(value)),
        }
    }
}

/// A result row on either backend.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    /// Reads a column; a type mismatch is a corrupt-store error naming the column.
    pub(crate) fn get<T: Column>(&self, column: &str) -> Result<T, StoreError> {
        use sqlx::Row as _;
        let got = match self {
            Row::Sqlite(r) => r.try_get(column),
            Row::Postgres(r) => r.try_get(column),
        };
        got.map_err(|e| StoreError::Corrupt(format!("column `{column}`: {e}")))
    }

    /// Reads a JSON column into `T`.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        column: &str,
    ) -> Result<T, StoreError> {
        let sqlx::types::Json(v) = self.get::<sqlx::types::Json<serde_json::Value>>(column)?;
        serde_json::from_value(v)
            .map_err(|e| StoreError::Corrupt(format!("column `{column}`: {e}")))
    }
}

impl Tx {
    pub(crate) fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// The audit chain head this transaction last appended, if it appended any.
    pub(crate) fn chain_head(&self) -> Option<&(i64, String)> {
        self.chain_head.as_ref()
    }

    /// Remembers the record just appended as the chain head.
    pub(crate) fn set_chain_head(&mut self, seq: i64, hash: String) {
        self.chain_head = Some((seq, hash));
    }

    /// Starts a query for this transaction's backend.
    pub(crate) fn query(&self, sql: &'static str) -> Query {
        match self.conn {
            Conn::Sqlite(_) => Query::Sqlite(sqlx::query(sql)),
            Conn::Postgres(_) => Query::Postgres(sqlx::query(sql)),
        }
    }

    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(&mut self, q: Query) -> Result<u64, StoreError> {
        Ok(match (&mut self.conn, q) {
            (Conn::Sqlite(tx), Query::Sqlite(q)) => q.execute(&mut **tx).await?.rows_affected(),
            (Conn::Postgres(tx), Query::Postgres(q)) => q.execute(&mut **tx).await?.rows_affected(),
            _ => return Err(mismatch()),
        })
    }

    pub(crate) async fn fetch_optional(&mut self, q: Query) -> Result<Option<Row>, StoreError> {
        Ok(match (&mut self.conn, q) {
            (Conn::Sqlite(tx), Query::Sqlite(q)) => {
                q.fetch_optional(&mut **tx).await?.map(Row::Sqlite)
            }
            (Conn::Postgres(tx), Query::Postgres(q)) => {
                q.fetch_optional(&mut **tx).await?.map(Row::Postgres)
            }
            _ => return Err(mismatch()),
        })
    }

    pub(crate) async fn fetch_one(&mut self, q: Query) -> Result<Row, StoreError> {
        self.fetch_optional(q)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a query that returns a row returned none".into()))
    }

    pub(crate) async fn fetch_all(&mut self, q: Query) -> Result<Vec<Row>, StoreError> {
        Ok(match (&mut self.conn, q) {
            (Conn::Sqlite(tx), Query::Sqlite(q)) => q
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            (Conn::Postgres(tx), Query::Postgres(q)) => q
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
            _ => return Err(mismatch()),
        })
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self.conn {
            Conn::Sqlite(tx) => tx.commit().await?,
            Conn::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

fn mismatch() -> StoreError {
    StoreError::Corrupt("a query was run on the other backend's transaction".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(
            redact("postgres://app:s3cret@db.internal:5432/cs"),
            "postgres://app:***@db.internal:5432/cs"
        );
        assert_eq!(
            redact("postgres://app@127.0.0.1/cs"),
            "postgres://app@127.0.0.1/cs"
        );
        assert_eq!(redact("sqlite://countersign.db"), "sqlite://countersign.db");
    }
}

//! A fresh store per test, on SQLite (a temporary file) or PostgreSQL (a new database on
//! the server named by `COUNTERSIGN_TEST_POSTGRES_URL`), with fixture builders.
//!
//! Without that variable the PostgreSQL half of each test prints a note and passes, except
//! under CI (`CI` set), where it fails naming what is missing: `scripts/with-postgres`
//! provides the server.

use chrono::{DateTime, TimeZone, Utc};
use countersign_engine::policy::DEFAULT_SOURCES;
use countersign_engine::{Action, Policy};
use countersign_store::{ActionView, Store, StoreOptions};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection};

/// Which backend a test instance runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// One test's store and what it needs around it.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub kind: Kind,
    pub policy: Policy,
    _dir: Option<tempfile::TempDir>,
    drop_database: Option<(String, String)>,
}

pub const POSTGRES_VAR: &str = "COUNTERSIGN_TEST_POSTGRES_URL";

/// Runs `test` against a fresh store on `kind`.
pub async fn run(kind: Kind, test: impl AsyncFnOnce(&TestDb)) {
    let Some(db) = TestDb::create(kind, StoreOptions::default()).await else {
        return;
    };
    test(&db).await;
    db.cleanup().await;
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

impl TestDb {
    pub async fn create(kind: Kind, options: StoreOptions) -> Option<Self> {
        let suffix = uuid_like();
        let (url, dir, drop_database) = match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("countersign.db").display());
                (url, Some(dir), None)
            }
            Kind::Postgres => {
                let Ok(server) = std::env::var(POSTGRES_VAR) else {
                    // A green run must not hide tests that never ran: skipping is asked for.
                    assert!(
                        std::env::var_os("COUNTERSIGN_SKIP_POSTGRES").is_some(),
                        "{POSTGRES_VAR} is not set: the PostgreSQL store tests need a server \
                         (run them under scripts/with-postgres, or set \
                         COUNTERSIGN_SKIP_POSTGRES=1 to skip them)"
                    );
                    eprintln!("note: COUNTERSIGN_SKIP_POSTGRES is set, PostgreSQL half skipped");
                    return None;
                };
                let name = format!("cs_test_{suffix}");
                let mut admin = sqlx::PgConnection::connect(&server)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {POSTGRES_VAR}: {e}"));
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                (with_database(&server, &name), None, Some((server, name)))
            }
        };
        let store = Store::open_with(&url, options).await.unwrap();
        let policy = store
            .record_policy(&DEFAULT_SOURCES, "cli:admin", at(2026, 11, 1, 9, 0))
            .await
            .unwrap();
        // The reps the tests propose on behalf of have accounts, as in a deployment.
        for rep in ["sam.rep", "rita.rep"] {
            store
                .add_reviewer(
                    rep,
                    &["rep".to_owned()],
                    &policy,
                    "cli:admin",
                    at(2026, 11, 1, 9, 0),
                )
                .await
                .unwrap();
        }
        Some(Self {
            store,
            url,
            kind,
            policy,
            _dir: dir,
            drop_database,
        })
    }

    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((server, name)) = &self.drop_database
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

    /// Registers a tool cleared for e-mail, CRM updates and notes; returns its key.
    pub async fn tool(&self, name: &str) -> String {
        self.store
            .add_tool(
                name,
                &[
                    "email.send".to_owned(),
                    "crm.opportunity.update".to_owned(),
                    "crm.note.create".to_owned(),
                ],
                &["contact_details".to_owned()],
                &self.policy,
                "cli:admin",
                now(),
            )
            .await
            .unwrap()
            .api_key
    }

    pub async fn reviewer(&self, name: &str, roles: &[&str]) {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        self.store
            .add_reviewer(name, &roles, &self.policy, "cli:admin", now())
            .await
            .unwrap();
    }

    pub async fn show(&self, action_id: &str) -> ActionView {
        self.store.show(action_id, now()).await.unwrap()
    }

    /// Runs raw SQL (the same text on both backends), as an attacker with database access
    /// would. Returns the number of rows changed.
    pub async fn exec(&self, sql: &str) -> u64 {
        match self.kind {
            Kind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                let n = sqlx::query(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap()
                    .rows_affected();
                c.close().await.unwrap();
                n
            }
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let n = sqlx::query(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .unwrap()
                    .rows_affected();
                c.close().await.unwrap();
                n
            }
        }
    }

    /// The first column of the first row of `sql`, which must be an integer.
    pub async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        match self.kind {
            Kind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                let row = sqlx::query(AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
                row.get::<i64, _>(0)
            }
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                let row = sqlx::query(AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
                row.get::<i64, _>(0)
            }
        }
    }

    /// Rows in every lifecycle table, to prove an operation wrote nothing.
    pub async fn footprint(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for t in [
            "action",
            "revision",
            "approval",
            "outbox",
            "idempotency_key",
            "audit_record",
        ] {
            out.push(self.count(&format!("SELECT count(*) FROM {t}")).await);
        }
        out
    }
}

/// 16 random lowercase letters and digits, for database names.
fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes
        .iter()
        .map(|b| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[usize::from(*b % 36)]))
        .collect()
}

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Tuesday 2026-11-24 15:00 UTC: working hours in Berlin, London and New York.
pub fn now() -> DateTime<Utc> {
    at(2026, 11, 24, 15, 0)
}

/// An `email.send` from an action JSON with defaults filled in.
pub fn email(to: &str, body: &str) -> Action {
    action(json!({
        "kind": "email.send",
        "on_behalf_of": "sam.rep",
        "payload": {"to": [to], "subject": "Following up", "body": body},
    }))
}

pub fn action(v: Value) -> Action {
    Action::from_json(&v).unwrap()
}

/// A routine follow-up.
pub const ROUTINE: &str =
    "Hi Dana, thanks for the call today. I've attached the recap and the slides. Talk soon, Sam";
/// A discount: commercial, needs deal desk.
pub const DISCOUNT: &str = "Hi Dana, we can do 15% off if you sign by Friday. Best, Sam";
/// A discount plus a security claim: needs deal desk and security.
pub const DISCOUNT_AND_SECURITY: &str = "Hi Dana, we can do 15% off if you sign by Friday. On security: we are SOC 2 Type II certified and encrypt all customer data at rest with AES-256. Best, Sam";

//! A fresh store per test on the test kit's database (a SQLite file, or a new PostgreSQL
//! database under `scripts/with-postgres`), with fixture builders.

use chrono::{DateTime, TimeZone, Utc};
use countersign_engine::policy::DEFAULT_SOURCES;
use countersign_engine::{Action, Policy};
use countersign_store::{ActionView, Store, StoreOptions};
pub use countersign_testkit::Kind;
use countersign_testkit::TestDatabase;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection};

/// One test's store and what it needs around it.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub kind: Kind,
    pub policy: Policy,
    database: TestDatabase,
}

/// Runs `test` against a fresh store on `kind`.
pub async fn run(kind: Kind, test: impl AsyncFnOnce(&TestDb)) {
    let Some(db) = TestDb::create(kind, StoreOptions::default()).await else {
        return;
    };
    test(&db).await;
    db.cleanup().await;
}

impl TestDb {
    pub async fn create(kind: Kind, options: StoreOptions) -> Option<Self> {
        let database = TestDatabase::create(kind, "cs_test").await?;
        let url = database.url.clone();
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
            database,
        })
    }

    pub async fn cleanup(self) {
        self.store.close().await;
        self.database.drop().await;
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
    /// Runs `sql` on a connection of its own, with the database's error as text.
    pub async fn try_exec(&self, sql: &str) -> Result<u64, String> {
        let done = match self.kind {
            Kind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected())
            }
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::query(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .map(|r| r.rows_affected())
            }
        };
        done.map_err(|e| e.to_string())
    }

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

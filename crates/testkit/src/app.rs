//! [`TestApp`]: the real server on `127.0.0.1:0` over a fresh [`TestDatabase`], plus
//! verbs for what tests do: register tools, create accounts and log in, propose, approve.
//! Logs are quiet unless `TEST_LOG=1`.

use std::sync::{Arc, OnceLock};

use countersign_engine::Gate;
use countersign_server::{AppState, Config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::database::{Kind, TestDatabase};

/// The password every test account has.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running server and what it needs around it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub database_url: String,
    /// Bearer token of `ada.admin`, an admin with no reviewer roles.
    pub admin: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// `None` for a second instance on another's database.
    database: Option<TestDatabase>,
}

/// A response's status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// A response read whole: status, headers, and the body as JSON when it is JSON.
    pub async fn of(resp: reqwest::Response) -> Self {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Self {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            countersign_server::telemetry::init("human", "debug");
        }
    });
}

/// One argon2id hash of [`PASSWORD`], computed once: hashing is deliberately slow.
async fn password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        countersign_server::auth::hash_password(PASSWORD.to_owned())
            .await
            .unwrap()
    })
    .await
    .clone()
}

impl TestApp {
    /// A server with the default configuration.
    pub async fn spawn(kind: Kind) -> Option<Self> {
        Self::spawn_with(kind, |_| {}, None).await
    }

    /// A server with `configure` applied to its configuration and, optionally, a gate
    /// with chosen detectors.
    pub async fn spawn_with(
        kind: Kind,
        configure: impl FnOnce(&mut Config),
        gate: Option<Gate>,
    ) -> Option<Self> {
        init_logs();
        let database = TestDatabase::create(kind, "cs_api").await?;
        let url = database.url.clone();
        let mut config = Config::default();
        config.database.url.clone_from(&url);
        config.database.max_connections = 4;
        config.policy.refresh_interval_ms = 200;
        configure(&mut config);
        config.validate().unwrap();
        let state = match gate {
            None => AppState::build(config).await.unwrap(),
            Some(gate) => {
                let built = AppState::build(config.clone()).await.unwrap();
                AppState::new(
                    built.store.clone(),
                    (*built.policy()).clone(),
                    Arc::new(gate),
                    config,
                )
            }
        };
        let mut app = Self::serve(state, url, String::new(), Some(database)).await;
        app.admin = app.account("ada.admin", &[], true).await;
        // The rep the tests propose on behalf of has an account (no log-in), as in a
        // deployment; `account("sam.rep", …)` gives it roles and a password.
        let policy = app.state.policy();
        app.state
            .store
            .add_reviewer(
                "sam.rep",
                &["rep".to_owned()],
                &policy,
                "cli:test",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        Some(app)
    }

    /// A second server on the same database, as a second instance behind a load balancer
    /// would be. Its admin token is this one's (sessions live in the database).
    pub async fn another_instance(&self) -> TestApp {
        let mut config = self.state.config.clone();
        config.policy.dir = None;
        let state = AppState::build(config).await.unwrap();
        Self::serve(state, self.database_url.clone(), self.admin.clone(), None).await
    }

    /// Runs the server for `state` on a free port until [`TestApp::shutdown`].
    async fn serve(
        state: AppState,
        database_url: String,
        admin: String,
        database: Option<TestDatabase>,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(countersign_server::run(
            listener,
            state.clone(),
            async move {
                let _ = rx.await;
            },
        ));
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            state,
            database_url,
            admin,
            shutdown: Some(tx),
            server: Some(server),
            database,
        }
    }

    /// Signals shutdown and waits until the server has stopped (its database stays).
    pub async fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// Stops the server gracefully and drops its database.
    pub async fn stop(mut self) {
        self.shutdown().await;
        if let Some(database) = self.database.take() {
            database.drop().await;
        }
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        Reply::of(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    /// The audit log as `GET /v1/audit/export` gives it to the admin: one JSON record a line.
    pub async fn audit_export(&self) -> String {
        self.client
            .get(format!("{}/v1/audit/export", self.base))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// `POST path` with no body and `If-Match: etag`.
    pub async fn post_if_match(&self, path: &str, token: &str, etag: &str) -> Reply {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("If-Match", etag)
            .send()
            .await
            .unwrap();
        Reply::of(resp).await
    }

    /// The opportunity `o-1` ("Acme renewal", Negotiation, 84000) and a held proposal to
    /// change it with `changes`, on behalf of `sam.rep`; returns the action's id.
    pub async fn held_crm_change(&self, changes: Value) -> String {
        let deal = json!({"name": "Acme renewal", "stage": "Negotiation", "amount": 84000});
        let put = self
            .send(
                Method::PUT,
                "/v1/opportunities/o-1",
                Some(&self.admin),
                Some(&deal),
            )
            .await;
        assert!(put.status.is_success(), "{:?}", put.body);
        let key = self.tool("crm-agent").await;
        let r = self
            .post(
                "/v1/actions",
                &key,
                &json!({
                    "kind": "crm.opportunity.update", "on_behalf_of": "sam.rep",
                    "target": {"opportunity_id": "o-1"},
                    "payload": {"changes": changes},
                }),
            )
            .await;
        assert_eq!(r.body["status"], "held", "{:?}", r.body);
        r.body["action_id"].as_str().unwrap().to_owned()
    }

    /// Registers a tool cleared for e-mail, CRM updates and notes; returns its API key.
    pub async fn tool(&self, name: &str) -> String {
        let r = self
            .post(
                "/v1/tools",
                &self.admin.clone(),
                &json!({
                    "name": name,
                    "kinds": ["email.send", "crm.opportunity.update", "crm.note.create"],
                    "data_classes": ["contact_details"],
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["api_key"].as_str().unwrap().to_owned()
    }

    /// Creates an account with [`PASSWORD`] and logs it in; returns its session token. A
    /// registered reviewer without a log-in (`sam.rep`) gets these roles and the password.
    pub async fn account(&self, name: &str, roles: &[&str], admin: bool) -> String {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let policy = self.state.policy();
        let store = &self.state.store;
        let now = chrono::Utc::now();
        let created = store
            .create_account(
                name,
                &roles,
                admin,
                &password_hash().await,
                &policy,
                "cli:test",
                now,
            )
            .await;
        if created.is_err() && !admin {
            store
                .add_reviewer(name, &roles, &policy, "cli:test", now)
                .await
                .unwrap();
            store
                .set_password(
                    name,
                    &password_hash().await,
                    countersign_store::PasswordSet::Reset,
                    "cli:test",
                    now,
                )
                .await
                .unwrap();
        } else {
            created.unwrap();
        }
        self.login(name).await
    }

    /// Logs `name` in with [`PASSWORD`]; returns the token.
    pub async fn login(&self, name: &str) -> String {
        let r = self
            .send(
                Method::POST,
                "/v1/sessions",
                None,
                Some(&json!({"name": name, "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// Proposes an e-mail with `body` to `to` on behalf of `sam.rep`.
    pub async fn propose_email(&self, key: &str, to: &str, body: &str) -> Reply {
        self.post(
            "/v1/actions",
            key,
            &json!({
                "kind": "email.send",
                "on_behalf_of": "sam.rep",
                "payload": {"to": [to], "subject": "Following up", "body": body},
            }),
        )
        .await
    }
}

/// A routine follow-up: allowed.
pub const ROUTINE: &str =
    "Hi Dana, thanks for the call today. I've attached the recap and the slides. Talk soon, Sam";
/// A discount: commercial, held for deal desk.
pub const DISCOUNT: &str = "Hi Dana, we can do 15% off if you sign by Friday. Best, Sam";
/// A discount plus a security claim: held for deal desk and security.
pub const DISCOUNT_AND_SECURITY: &str = "Hi Dana, we can do 15% off if you sign by Friday. On security: we are SOC 2 Type II certified and encrypt all customer data at rest with AES-256. Best, Sam";

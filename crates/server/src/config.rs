//! The server's configuration: one [`Config`] tree of serde structs, each with
//! `deny_unknown_fields`, so a typo fails at start naming the key.
//!
//! Layers, later wins: built-in defaults → the TOML file (`--config PATH`, or
//! `countersign.toml` in the working directory when present) → `COUNTERSIGN_SECTION__KEY`
//! environment variables (and `COUNTERSIGN_DATABASE_URL`, shared with the other commands)
//! → command-line flags ([`Overrides`]). [`Config::load`] merges and validates once; nothing
//! reads the environment or files after start-up. `countersign.example.toml` at the
//! repository root documents every key, and a test loads it.
//!
//! Not here: the policy (tiers, roles, guards), which is versioned in the store and
//! audited when activated.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

/// Why the configuration cannot be used. The message names the key and where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {problem}")]
    Parse { origin: String, problem: String },
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

fn invalid(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

/// Everything `countersign serve` can be told.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub policy: PolicyConfig,
    pub auth: AuthConfig,
    pub rate_limit: RateLimitConfig,
    pub outbox: OutboxConfig,
    pub notifications: NotificationsConfig,
    pub mcp: McpConfig,
    pub assistant: AssistantConfig,
    pub log: LogConfig,
}

/// `[server]`: the HTTP listener and its limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// A request that takes longer is abandoned with 503 (its transaction rolls back).
    pub request_timeout_ms: u64,
    /// A decision that takes longer is held (fail closed). Less than the request timeout.
    pub decision_timeout_ms: u64,
    /// Largest request body accepted; larger ones get 413.
    pub body_limit_bytes: usize,
    /// How long shutdown waits for in-flight requests before giving up on them.
    pub shutdown_grace_ms: u64,
    /// Commit concurrent proposals together: one durable commit (one fsync) answers a
    /// whole batch, each answer still given only after its commit.
    pub group_commit: bool,
    /// Largest batch one group commit takes.
    pub group_commit_max: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            request_timeout_ms: 10_000,
            decision_timeout_ms: 2_000,
            body_limit_bytes: 2 * 1024 * 1024,
            shutdown_grace_ms: 30_000,
            group_commit: true,
            group_commit_max: 256,
        }
    }
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    pub url: String,
    /// Connections in the pool.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://countersign.db".to_owned(),
            max_connections: 8,
        }
    }
}

/// `[policy]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// A policy directory to activate at start. Empty: keep the database's active policy
    /// (the built-in one on a fresh database).
    pub dir: Option<PathBuf>,
    /// How often each instance re-reads which policy is active (activations made through
    /// another instance reach this one within it).
    pub refresh_interval_ms: u64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            dir: None,
            refresh_interval_ms: 5_000,
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// How long a log-in session token stays valid (absolute timeout).
    pub session_ttl_minutes: u64,
    /// A session unused this long is refused (idle timeout).
    pub session_idle_minutes: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_ttl_minutes: 12 * 60,
            session_idle_minutes: 30,
        }
    }
}

/// `[rate_limit]`: token buckets per API key, per account and per client address.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Requests per second per tool API key, and the burst above it.
    pub tool_per_second: u32,
    pub tool_burst: u32,
    /// Requests per second per reviewer or admin account, and the burst.
    pub account_per_second: u32,
    pub account_burst: u32,
    /// Log-in attempts and unauthenticated requests per minute per client address (and
    /// per account name for log-ins): slows password guessing.
    pub anonymous_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            tool_per_second: 200,
            tool_burst: 400,
            account_per_second: 20,
            account_burst: 60,
            anonymous_per_minute: 60,
        }
    }
}

/// `[outbox]`: the delivery worker that runs inside `serve`. It runs when at least one of
/// `[outbox.smtp]`, `[outbox.webhook]` and `pickup_dir` is configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Poll interval when the outbox is empty.
    pub interval_ms: u64,
    /// Attempts before an item is parked for a human.
    pub max_attempts: i32,
    pub smtp: Option<SmtpSection>,
    pub webhook: Option<WebhookSection>,
    /// A directory released e-mail is written to as `.eml` files (and CRM changes as
    /// `.json`) when `[outbox.smtp]` (or `[outbox.webhook]`) is not set.
    pub pickup_dir: Option<PathBuf>,
    /// The sender written into pickup e-mail.
    pub pickup_from: String,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            interval_ms: 1_000,
            max_attempts: 8,
            smtp: None,
            webhook: None,
            pickup_dir: None,
            pickup_from: "Sales <sales@example.com>".to_owned(),
        }
    }
}

/// `[outbox.smtp]`: the relay e-mail goes through (plain SMTP on a trusted network).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// Sender, e.g. `Sales <sales@example.com>`.
    pub from: String,
    #[serde(default = "default_connector_timeout")]
    pub timeout_ms: u64,
}

fn default_smtp_port() -> u16 {
    25
}

fn default_connector_timeout() -> u64 {
    10_000
}

/// `[outbox.webhook]`: where CRM changes are posted, signed with `secret`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    pub url: String,
    /// Shared HMAC secret (at least 16 characters). Never printed.
    pub secret: SecretString,
    #[serde(default = "default_connector_timeout")]
    pub timeout_ms: u64,
}

/// `[notifications]`: who hears that an action entered a role's queue. The messages are
/// outbox rows written with the hold, delivered by the worker.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// E-mail the reviewers who hold a needed role and have an address
    /// (`countersign reviewers add … --email`), through `[outbox.smtp]`.
    pub email: bool,
    /// A Slack-compatible incoming webhook that gets one message per held action. The URL
    /// is a secret: prefer COUNTERSIGN_NOTIFICATIONS__SLACK_WEBHOOK_URL. Never printed.
    pub slack_webhook_url: Option<SecretString>,
    /// The inbox's public base URL, for links in the messages (`https://cs.example.com`).
    pub inbox_url: Option<String>,
    /// The notification e-mail's sender; without it, the relay's `from`.
    pub email_from: Option<String>,
    /// Where replies to notification e-mails go (`approvals@cs.example.com`): each e-mail's
    /// Reply-To is this address plus-tagged with a single-use token, and a reply saying
    /// "approve" or "reject: why", handed to `POST /v1/inbound/email` by the mail
    /// gateway, acts as the reviewer. Without it, replies are not read.
    pub reply_to: Option<String>,
    /// How long a notification's approve and reject links (and its reply address) work.
    pub link_hours: Option<u32>,
    /// The bearer secret the mail gateway sends to `POST /v1/inbound/email` (at least 16
    /// characters). Never printed.
    pub inbound_email_secret: Option<SecretString>,
    /// The Slack app's signing secret: with it, Slack messages carry Approve and Reject
    /// buttons, and `POST /v1/integrations/slack/interactions` takes their clicks (signed
    /// by Slack, checked with this secret). Never printed.
    pub slack_signing_secret: Option<SecretString>,
    /// The Slack app's bot token, for the reject dialog (`views.open`) and for updating a
    /// message after a decision. Never printed.
    pub slack_bot_token: Option<SecretString>,
    /// Slack's Web API base URL (tests point it at a local receiver).
    pub slack_api_url: Option<String>,
    /// A Teams incoming webhook that gets one Adaptive Card per held action. A secret, as
    /// the Slack URL. Never printed.
    pub teams_webhook_url: Option<SecretString>,
    /// The security token Teams shows when an outgoing webhook is created (base64): with
    /// it, `POST /v1/integrations/teams/messages` takes `@Countersign approve <id>` and
    /// `@Countersign reject <id>: why`, signed by Teams. Never printed.
    pub teams_outgoing_secret: Option<SecretString>,
}

/// `[assistant]`: the follow-up assistant, which drafts from a deal's context and proposes
/// its drafts through the gate like any tool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssistantConfig {
    /// The registered tool the assistant proposes as (`countersign tools add NAME --kinds
    /// email.draft`): its grant decides what it may propose and which data classes it may
    /// see; revoking it stops drafting. Default `countersign-assistant`.
    pub tool: String,
    /// A folder of `<intent>.j2` templates that replace or add to the shipped ones.
    pub templates: Option<PathBuf>,
    /// An OpenAI-compatible chat-completions endpoint; without it, the templates write.
    pub model: Option<ModelSection>,
}

/// `[assistant.model]`: any server that speaks chat completions (hosted APIs, Ollama,
/// llama.cpp's server, vLLM).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    /// E.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub model: String,
    /// Never printed; empty for local servers that need none.
    #[serde(default)]
    pub api_key: Option<SecretString>,
    #[serde(default = "model_timeout_ms")]
    pub timeout_ms: u64,
}

impl Default for AssistantConfig {
    fn default() -> Self {
        Self {
            tool: "countersign-assistant".to_owned(),
            templates: None,
            model: None,
        }
    }
}

fn model_timeout_ms() -> u64 {
    30_000
}

/// `[mcp]`: the MCP endpoint at `/mcp`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpConfig {
    /// `Host` header values `/mcp` accepts (DNS-rebinding protection). Add the public
    /// host name when the server is reached through one.
    pub allowed_hosts: Vec<String>,
}

impl Default for McpConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `human` or `json`.
    pub format: String,
    /// An `EnvFilter` directive; `RUST_LOG` wins when set.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "human".to_owned(),
            filter: "info".to_owned(),
        }
    }
}

/// Values from command-line flags: the last layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub policy_dir: Option<PathBuf>,
    pub log_format: Option<String>,
}

/// The environment variables that configure the server: `COUNTERSIGN_SECTION__KEY`.
pub const ENV_PREFIX: &str = "COUNTERSIGN_";

impl Config {
    /// Merges the layers and validates the result.
    ///
    /// `file`: an explicit `--config` path (must exist); without one, `countersign.toml` in
    /// the working directory is read if present. `env`: the process environment (tests pass
    /// their own).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut tree = toml::Table::new();
        let (path, required) = match file {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("countersign.toml"), false),
        };
        if required || path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            tree = text
                .parse::<toml::Table>()
                .map_err(|e| ConfigError::Parse {
                    origin: path.display().to_string(),
                    problem: e.message().to_owned(),
                })?;
        }
        for (name, value) in env {
            if let Some(key) = env_key(&name) {
                set_path(&mut tree, &key, env_value(&value), &name)?;
            } else if name == "COUNTERSIGN_DATABASE_URL" {
                set_path(
                    &mut tree,
                    &["database", "url"],
                    toml::Value::String(value),
                    &name,
                )?;
            }
        }
        let mut flag = |path: &[&str], v: toml::Value| set_path(&mut tree, path, v, "flag");
        if let Some(v) = &overrides.listen {
            flag(&["server", "listen"], toml::Value::String(v.clone()))?;
        }
        if let Some(v) = &overrides.database_url {
            flag(&["database", "url"], toml::Value::String(v.clone()))?;
        }
        if let Some(v) = &overrides.policy_dir {
            flag(
                &["policy", "dir"],
                toml::Value::String(v.display().to_string()),
            )?;
        }
        if let Some(v) = &overrides.log_format {
            flag(&["log", "format"], toml::Value::String(v.clone()))?;
        }
        let config: Config =
            Config::deserialize(toml::Value::Table(tree)).map_err(|e| ConfigError::Parse {
                origin: "configuration".to_owned(),
                problem: e.message().to_owned(),
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: addresses, ranges and how values relate.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        let s = &self.server;
        if s.request_timeout_ms == 0 {
            return Err(invalid("server.request_timeout_ms", "must be more than 0"));
        }
        if s.decision_timeout_ms == 0 || s.decision_timeout_ms >= s.request_timeout_ms {
            return Err(invalid(
                "server.decision_timeout_ms",
                format!(
                    "`{}` must be more than 0 and less than server.request_timeout_ms ({})",
                    s.decision_timeout_ms, s.request_timeout_ms
                ),
            ));
        }
        if s.body_limit_bytes < 1024 {
            return Err(invalid(
                "server.body_limit_bytes",
                format!("`{}` is under the minimum of 1024", s.body_limit_bytes),
            ));
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database.url",
                "is not a `sqlite://PATH` or `postgres://…` URL",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.policy.refresh_interval_ms == 0 {
            return Err(invalid("policy.refresh_interval_ms", "must be more than 0"));
        }
        if self.auth.session_ttl_minutes == 0 {
            return Err(invalid("auth.session_ttl_minutes", "must be more than 0"));
        }
        if self.auth.session_idle_minutes == 0
            || self.auth.session_idle_minutes > self.auth.session_ttl_minutes
        {
            return Err(invalid(
                "auth.session_idle_minutes",
                format!(
                    "`{}` must be more than 0 and at most auth.session_ttl_minutes ({})",
                    self.auth.session_idle_minutes, self.auth.session_ttl_minutes
                ),
            ));
        }
        for chat in [self.slack_config(), self.teams_config()]
            .into_iter()
            .flatten()
        {
            chat.build().map_err(|e| invalid(chat.field, e))?;
        }
        let n = &self.notifications;
        if let Some(reply_to) = &n.reply_to {
            countersign_store::check_email(reply_to).map_err(|_| {
                invalid(
                    "notifications.reply_to",
                    format!("`{reply_to}` is not an address like approvals@cs.example.com"),
                )
            })?;
        }
        if n.link_hours == Some(0) {
            return Err(invalid("notifications.link_hours", "must be at least 1"));
        }
        for (key, secret) in [
            (
                "notifications.inbound_email_secret",
                &n.inbound_email_secret,
            ),
            (
                "notifications.slack_signing_secret",
                &n.slack_signing_secret,
            ),
        ] {
            use secrecy::ExposeSecret;
            if secret
                .as_ref()
                .is_some_and(|s| s.expose_secret().len() < 16)
            {
                return Err(invalid(key, "must be at least 16 characters"));
            }
        }
        if let Some(secret) = &n.teams_outgoing_secret {
            use base64::Engine;
            use secrecy::ExposeSecret;
            if base64::engine::general_purpose::STANDARD
                .decode(secret.expose_secret())
                .map_or(true, |key| key.len() < 16)
            {
                return Err(invalid(
                    "notifications.teams_outgoing_secret",
                    "must be the base64 security token Teams shows for the outgoing webhook",
                ));
            }
        }
        if let Some(url) = &n.slack_api_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid(
                "notifications.slack_api_url",
                format!("`{url}` is not an http(s) URL"),
            ));
        }
        if let Some(from) = &self.notifications.email_from {
            countersign_engine::EmailAddress::parse("notifications.email_from", from)
                .map_err(|e| invalid(&e.field, e.problem))?;
        }
        if let Some(url) = &self.notifications.inbox_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid(
                "notifications.inbox_url",
                format!("`{url}` is not an http(s) URL"),
            ));
        }
        if self.notifications.email
            && self.outbox.smtp.is_none()
            && self.outbox.pickup_dir.is_none()
        {
            return Err(invalid(
                "notifications.email",
                "needs [outbox.smtp] (or outbox.pickup_dir): notification e-mail goes where released e-mail goes",
            ));
        }
        crate::service::drafts::Assistant::from_config(&self.assistant)
            .map_err(|problem| invalid("assistant", problem))?;
        if let Some(m) = &self.assistant.model {
            if !(m.base_url.starts_with("http://") || m.base_url.starts_with("https://")) {
                return Err(invalid(
                    "assistant.model.base_url",
                    format!("`{}` is not an http(s) URL", m.base_url),
                ));
            }
            if m.model.trim().is_empty() {
                return Err(invalid("assistant.model.model", "must not be empty"));
            }
            if m.timeout_ms == 0 {
                return Err(invalid("assistant.model.timeout_ms", "must be more than 0"));
            }
        }
        let r = &self.rate_limit;
        for (key, v) in [
            ("rate_limit.tool_per_second", r.tool_per_second),
            ("rate_limit.tool_burst", r.tool_burst),
            ("rate_limit.account_per_second", r.account_per_second),
            ("rate_limit.account_burst", r.account_burst),
            ("rate_limit.anonymous_per_minute", r.anonymous_per_minute),
        ] {
            if v == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if self.outbox.interval_ms == 0 {
            return Err(invalid("outbox.interval_ms", "must be more than 0"));
        }
        if self.outbox.max_attempts < 1 {
            return Err(invalid("outbox.max_attempts", "must be at least 1"));
        }
        if let Some(smtp) = &self.outbox.smtp {
            // Building the connector needs a runtime (its pool spawns a task), so the
            // fields are checked here and the connector is built when the worker starts.
            if smtp.host.trim().is_empty() {
                return Err(invalid("outbox.smtp.host", "must not be empty"));
            }
            if smtp.port == 0 {
                return Err(invalid("outbox.smtp.port", "must not be 0"));
            }
            countersign_engine::EmailAddress::parse("outbox.smtp.from", &smtp.from)
                .map_err(|e| invalid(&e.field, e.problem))?;
        }
        if self.outbox.pickup_dir.is_some() {
            countersign_engine::EmailAddress::parse("outbox.pickup_from", &self.outbox.pickup_from)
                .map_err(|e| invalid(&e.field, e.problem))?;
        }
        if let Some(webhook) = &self.outbox.webhook {
            self.webhook_config(webhook)
                .build()
                .map_err(|e| invalid("outbox.webhook", e))?;
        }
        if !matches!(self.log.format.as_str(), "human" | "json") {
            return Err(invalid(
                "log.format",
                format!("`{}` is not `human` or `json`", self.log.format),
            ));
        }
        Ok(())
    }

    /// `server.listen` as an address.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.listen.parse().map_err(|_| {
            invalid(
                "server.listen",
                format!(
                    "`{}` is not an address like `127.0.0.1:8080`",
                    self.server.listen
                ),
            )
        })
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.server.request_timeout_ms)
    }

    pub fn decision_timeout(&self) -> Duration {
        Duration::from_millis(self.server.decision_timeout_ms)
    }

    /// What the connectors crate needs for SMTP.
    pub fn smtp_config(&self, s: &SmtpSection) -> countersign_connectors::SmtpConfig {
        countersign_connectors::SmtpConfig {
            host: s.host.clone(),
            port: s.port,
            from: s.from.clone(),
            timeout: Duration::from_millis(s.timeout_ms),
        }
    }

    /// The Slack-compatible notification webhook, when configured.
    pub fn slack_config(&self) -> Option<countersign_connectors::ChatConfig> {
        use secrecy::ExposeSecret;
        let url = self.notifications.slack_webhook_url.as_ref()?;
        Some(countersign_connectors::ChatConfig {
            url: url.expose_secret().to_owned(),
            timeout: Duration::from_millis(default_connector_timeout()),
            field: "notifications.slack_webhook_url",
        })
    }

    /// The Teams notification webhook, when configured.
    pub fn teams_config(&self) -> Option<countersign_connectors::ChatConfig> {
        use secrecy::ExposeSecret;
        let url = self.notifications.teams_webhook_url.as_ref()?;
        Some(countersign_connectors::ChatConfig {
            url: url.expose_secret().to_owned(),
            timeout: Duration::from_millis(default_connector_timeout()),
            field: "notifications.teams_webhook_url",
        })
    }

    /// What the store needs to write notifications and time out idle sessions.
    pub fn store_options(&self) -> countersign_store::StoreOptions {
        let n = &self.notifications;
        countersign_store::StoreOptions {
            max_connections: self.database.max_connections,
            session_idle: Some(chrono::Duration::minutes(
                i64::try_from(self.auth.session_idle_minutes).unwrap_or(30),
            )),
            notifications: countersign_store::Notifications {
                email: n.email,
                slack: n.slack_webhook_url.is_some(),
                inbox_url: n.inbox_url.clone(),
                email_from: n.email_from.clone(),
                teams: n.teams_webhook_url.is_some(),
                slack_buttons: n.slack_signing_secret.is_some(),
                reply_to: n.reply_to.clone(),
                link_ttl: chrono::Duration::hours(i64::from(n.link_hours.unwrap_or(72))),
            },
            ..countersign_store::StoreOptions::default()
        }
    }

    /// The pickup directory, when configured.
    pub fn pickup_config(&self) -> Option<countersign_connectors::PickupConfig> {
        Some(countersign_connectors::PickupConfig {
            dir: self.outbox.pickup_dir.clone()?,
            from: self.outbox.pickup_from.clone(),
        })
    }

    /// What the connectors crate needs for the webhook.
    pub fn webhook_config(&self, w: &WebhookSection) -> countersign_connectors::WebhookConfig {
        use secrecy::ExposeSecret;
        countersign_connectors::WebhookConfig {
            url: w.url.clone(),
            secret: w.secret.expose_secret().to_owned(),
            timeout: Duration::from_millis(w.timeout_ms),
        }
    }
}

/// `COUNTERSIGN_SERVER__LISTEN` → `["server", "listen"]`; `None` for variables that are
/// not configuration (`COUNTERSIGN_TOOL_KEY`, `COUNTERSIGN_TEST_POSTGRES_URL`, …): those
/// have no `__`.
fn env_key(name: &str) -> Option<Vec<String>> {
    let rest = name.strip_prefix(ENV_PREFIX)?;
    if !rest.contains("__") {
        return None;
    }
    Some(rest.split("__").map(str::to_ascii_lowercase).collect())
}

/// An environment value as TOML: numbers, booleans and arrays are read as such, anything
/// else is a string.
fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn set_path(
    tree: &mut toml::Table,
    path: &[impl AsRef<str>],
    value: toml::Value,
    origin: &str,
) -> Result<(), ConfigError> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut table = tree;
    for p in parents {
        let entry = table
            .entry(p.as_ref().to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ConfigError::Parse {
                    origin: origin.to_owned(),
                    problem: format!("`{}` is not a section", p.as_ref()),
                });
            }
        };
    }
    table.insert(last.as_ref().to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_example_file_loads_and_documents_every_section() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../countersign.example.toml");
        let config = Config::load(Some(&path), env(&[]), &Overrides::default())
            .unwrap_or_else(|e| panic!("countersign.example.toml: {e}"));
        assert_eq!(config.server.listen, "127.0.0.1:8080");
        assert!(config.outbox.smtp.is_some());
        assert!(config.outbox.webhook.is_some());
    }

    #[test]
    fn later_layers_win_file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[server]\nlisten = \"127.0.0.1:9000\"\nrequest_timeout_ms = 5000\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let c = Config::load(
            Some(&path),
            env(&[
                ("COUNTERSIGN_SERVER__REQUEST_TIMEOUT_MS", "7000"),
                ("COUNTERSIGN_SERVER__LISTEN", "127.0.0.1:9001"),
                ("COUNTERSIGN_TOOL_KEY", "cs_ignored"),
            ]),
            &Overrides {
                listen: Some("127.0.0.1:9002".into()),
                ..Overrides::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.server.request_timeout_ms, 7000);
        assert_eq!(c.server.listen, "127.0.0.1:9002");
    }

    #[test]
    fn a_misspelled_key_fails_naming_it() {
        let err = Config::load(
            None,
            env(&[("COUNTERSIGN_SERVER__LISTN", "127.0.0.1:1")]),
            &Overrides::default(),
        )
        .map(|_| ())
        .unwrap_err()
        .to_string();
        assert!(err.contains("listn"), "{err}");
    }

    #[test]
    fn values_are_validated_with_the_key_named() {
        let err = Config::load(
            None,
            env(&[("COUNTERSIGN_SERVER__DECISION_TIMEOUT_MS", "20000")]),
            &Overrides::default(),
        )
        .map(|_| ())
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("server.decision_timeout_ms:"), "{err}");
        let err = Config::load(
            None,
            env(&[]),
            &Overrides {
                listen: Some("localhost".into()),
                ..Overrides::default()
            },
        )
        .map(|_| ())
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("server.listen:"), "{err}");
    }

    #[test]
    fn the_shared_database_variable_is_read() {
        let c = Config::load(
            None,
            env(&[("COUNTERSIGN_DATABASE_URL", "postgres://cs@db/cs")]),
            &Overrides::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.database.url, "postgres://cs@db/cs");
    }
}

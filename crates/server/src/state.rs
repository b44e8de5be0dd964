//! What every handler shares: the store, the active policy, the gate, the settings taken
//! from the configuration, and the rate limiters. [`AppState`] is cheap to clone.
//!
//! The active policy is swapped, not mutated: handlers take an `Arc<Policy>` snapshot, so
//! a decision never sees half of one policy and half of another.

use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use countersign_engine::policy::{DEFAULT_SOURCES, PolicySources};
use countersign_engine::{Gate, Policy};
use countersign_store::{Store, StoreError};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;
use crate::error::ApiError;

/// Shared server state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The fields behind [`AppState`].
pub struct Inner {
    pub store: Store,
    policy: RwLock<Arc<Policy>>,
    /// The detectors, built once.
    pub gate: Arc<Gate>,
    pub config: Config,
    pub limiter: Limiter,
    /// Group commit for proposals, when `[server] group_commit` is on.
    pub committer: Option<countersign_store::GroupCommitter>,
    /// Recently resolved bearer tokens (see [`crate::auth::resolve`]).
    pub auth_cache: crate::auth::AuthCache,
    /// The audit chain's last verdict, so pages that show it need not recompute it all.
    pub chain: crate::chain_watch::ChainWatch,
    /// The follow-up assistant (`None` only if its template folder broke after start-up).
    pub assistant: Option<crate::service::drafts::Assistant>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Policy(#[from] countersign_engine::policy::PolicyError),
    #[error("policy directory {dir}: {problem}")]
    PolicyDir { dir: String, problem: String },
}

impl AppState {
    /// Opens the store and settles the active policy: `[policy] dir` is activated when
    /// given (audited; a no-op when it is already active); otherwise the database's active
    /// policy is used, and a fresh database activates the built-in one.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let store = Store::open_with(&config.database.url, config.store_options()).await?;
        let policy = initial_policy(&store, &config).await?;
        Ok(Self::new(store, policy, Arc::new(Gate::new()), config))
    }

    /// State around an opened store and a loaded policy (tests inject a gate).
    pub fn new(store: Store, policy: Policy, gate: Arc<Gate>, config: Config) -> Self {
        // Install the metrics recorder before anything records.
        crate::metrics::handle();
        let limiter = Limiter::new(&config);
        let group = config.server.group_commit && tokio::runtime::Handle::try_current().is_ok();
        let max_batch = config.server.group_commit_max;
        let assistant = match crate::service::drafts::Assistant::from_config(&config.assistant) {
            Ok(a) => Some(a),
            // `Config::validate` compiled the templates already; a folder changed since.
            Err(e) => {
                tracing::error!(error = %e, "the assistant is off");
                None
            }
        };
        // The committer task holds a weak reference: the state owns it, not the reverse.
        Self(Arc::new_cyclic(|weak| Inner {
            store,
            policy: RwLock::new(Arc::new(policy)),
            gate,
            config,
            limiter,
            committer: group.then(|| crate::committer::start(weak.clone(), max_batch)),
            auth_cache: crate::auth::AuthCache::default(),
            chain: crate::chain_watch::ChainWatch::default(),
            assistant,
        }))
    }

    /// The state behind a strong reference the committer upgraded.
    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self(inner)
    }

    /// The policy decisions use now.
    pub fn policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(p) => Arc::clone(&p),
            // A panic while holding the lock cannot leave a half-written Arc behind.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Makes `policy` the one decisions use.
    pub fn set_policy(&self, policy: Policy) {
        let new = Arc::new(policy);
        match self.policy.write() {
            Ok(mut p) => *p = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }

    /// Re-reads which policy is active in the database and swaps it in if it changed
    /// (another instance activated one). Returns whether it changed.
    pub async fn refresh_policy(&self) -> Result<bool, StoreError> {
        let Some(active) = self.store.active_policy().await? else {
            return Ok(false);
        };
        if active.version == self.policy().version.as_str() {
            return Ok(false);
        }
        let Some(texts) = self.store.policy_texts(&active.version).await? else {
            return Ok(false);
        };
        let policy = Policy::load(&texts.sources())?;
        tracing::info!(version = %policy.version, "active policy changed");
        self.set_policy(policy);
        Ok(true)
    }

    pub fn decision_timeout(&self) -> Duration {
        self.config.decision_timeout()
    }
}

async fn initial_policy(store: &Store, config: &Config) -> Result<Policy, StartError> {
    if let Some(dir) = &config.policy.dir {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|e| StartError::PolicyDir {
                dir: dir.display().to_string(),
                problem: format!("cannot read {name}: {e}"),
            })
        };
        let (toml, cedar, schema) = (
            read("policy.toml")?,
            read("policy.cedar")?,
            read("policy.cedarschema")?,
        );
        let sources = PolicySources {
            toml: ("policy.toml", &toml),
            cedar: ("policy.cedar", &cedar),
            schema: ("policy.cedarschema", &schema),
        };
        let (policy, _) = store
            .activate_policy(&sources, "serve:config", Utc::now())
            .await?;
        return Ok(policy);
    }
    if let Some(active) = store.active_policy().await?
        && let Some(texts) = store.policy_texts(&active.version).await?
    {
        return Ok(Policy::load(&texts.sources())?);
    }
    let (policy, _) = store
        .activate_policy(&DEFAULT_SOURCES, "serve:default", Utc::now())
        .await?;
    Ok(policy)
}

/// Token buckets per tool, per account and per client address.
pub struct Limiter {
    tools: DefaultKeyedRateLimiter<i64>,
    accounts: DefaultKeyedRateLimiter<i64>,
    anonymous: DefaultKeyedRateLimiter<String>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limiter {
    fn new(config: &Config) -> Self {
        let r = &config.rate_limit;
        Self {
            tools: RateLimiter::keyed(
                Quota::per_second(nz(r.tool_per_second)).allow_burst(nz(r.tool_burst)),
            ),
            accounts: RateLimiter::keyed(
                Quota::per_second(nz(r.account_per_second)).allow_burst(nz(r.account_burst)),
            ),
            anonymous: RateLimiter::keyed(
                Quota::per_minute(nz(r.anonymous_per_minute))
                    .allow_burst(nz(r.anonymous_per_minute)),
            ),
        }
    }

    /// Takes one token from tool `tool_id`'s bucket.
    pub fn tool(&self, tool_id: i64) -> Result<(), ApiError> {
        check(self.tools.check_key(&tool_id), "tool")
    }

    /// Takes one token from account `reviewer_id`'s bucket.
    pub fn account(&self, reviewer_id: i64) -> Result<(), ApiError> {
        check(self.accounts.check_key(&reviewer_id), "account")
    }

    /// Takes one token from an anonymous bucket (a client address, a log-in name).
    pub fn anonymous(&self, key: String) -> Result<(), ApiError> {
        check(self.anonymous.check_key(&key), "anonymous")
    }
}

fn check(
    outcome: Result<(), governor::NotUntil<governor::clock::QuantaInstant>>,
    kind: &'static str,
) -> Result<(), ApiError> {
    match outcome {
        Ok(()) => Ok(()),
        Err(not_until) => {
            use governor::clock::{Clock, DefaultClock};
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            metrics::counter!(crate::metrics::RATE_LIMITED, "kind" => kind).increment(1);
            Err(ApiError::rate_limited(wait.as_secs().max(1)))
        }
    }
}

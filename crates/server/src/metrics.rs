//! Every metric the server exports, declared once here (names, labels, buckets), and the
//! Prometheus recorder behind `/metrics`.
//!
//! Counters and histograms are recorded where things happen (decisions, approvals,
//! deliveries). Gauges that describe the database — queue depth per role, outbox state —
//! are read from the store at scrape time, so every instance reports the same shared
//! truth and nothing drifts after a restart.

use std::sync::OnceLock;
use std::time::Duration;

use countersign_engine::{Category, DecisionRecord};
use countersign_store::OutboxStats;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Decisions made, by `decision` (allow, hold, draft_only, deny) and `tier`.
pub const DECISIONS: &str = "countersign_decisions_total";
/// Findings behind decisions: one per category present in a decision, by `decision` and
/// `category`.
pub const DECISION_CATEGORIES: &str = "countersign_decision_categories_total";
/// Engine time per decision (seconds), measured around the deadline-bound call.
pub const DECISION_SECONDS: &str = "countersign_decision_duration_seconds";
/// Decisions that ran out of time and were held (fail closed).
pub const DECISION_TIMEOUTS: &str = "countersign_decision_timeouts_total";
/// Whole proposal, from request to durable commit (seconds).
pub const PROPOSAL_SECONDS: &str = "countersign_proposal_duration_seconds";
/// Held actions waiting, per role still missing (gauge, read from the store).
pub const QUEUE_DEPTH: &str = "countersign_queue_depth";
/// Time from proposal to release by the last approval (seconds).
pub const APPROVAL_SECONDS: &str = "countersign_approval_latency_seconds";
/// Approvals, edits and rejections, by `outcome`.
pub const REVIEWS: &str = "countersign_reviews_total";
/// Outbox items by `state` (pending, retrying, parked) (gauge, read from the store).
pub const OUTBOX_ITEMS: &str = "countersign_outbox_items";
/// Seconds the oldest due outbox item has waited (gauge, read from the store).
pub const OUTBOX_LAG: &str = "countersign_outbox_lag_seconds";
/// Deliveries by this instance's worker, by `result` (sent, retried, parked).
pub const OUTBOX_DELIVERIES: &str = "countersign_outbox_deliveries_total";
/// Outbox worker rounds that failed on the database.
pub const OUTBOX_WORKER_ERRORS: &str = "countersign_outbox_worker_errors_total";
/// HTTP responses by `status` class and matched `route`.
pub const HTTP_RESPONSES: &str = "countersign_http_responses_total";
/// Requests refused by the rate limiter, by principal `kind`.
pub const RATE_LIMITED: &str = "countersign_rate_limited_total";
/// Log-ins by `result` (ok, failed).
pub const LOGINS: &str = "countersign_logins_total";
/// Requests refused because their API key is not an active tool's (shadow AI).
pub const SHADOW_AI: &str = "countersign_shadow_ai_requests_total";

/// Latency buckets in seconds: 50 µs to 30 s.
const BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Approval latency buckets: a minute to a week.
const APPROVAL_BUCKETS: &[f64] = &[
    60.0,
    300.0,
    900.0,
    3_600.0,
    4.0 * 3_600.0,
    8.0 * 3_600.0,
    86_400.0,
    3.0 * 86_400.0,
    7.0 * 86_400.0,
];

/// The process-wide recorder. `metrics` has one global recorder, so several servers in one
/// process (tests) share it; their counters add up.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(APPROVAL_SECONDS.to_owned()), APPROVAL_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS))
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a host application): then our
        // handle renders only what it records through `with_local_recorder`, which we do
        // not use; the scrape shows gauges only. Not an error worth failing start-up for.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be incomplete");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(DECISIONS, "Decisions made, by decision and tier");
    describe_counter!(
        DECISION_CATEGORIES,
        "Categories found in decisions, by decision and category"
    );
    describe_histogram!(
        DECISION_SECONDS,
        Unit::Seconds,
        "Time the engine took per decision"
    );
    describe_counter!(
        DECISION_TIMEOUTS,
        "Decisions held because they ran out of time"
    );
    describe_histogram!(
        PROPOSAL_SECONDS,
        Unit::Seconds,
        "Proposal time, request to durable commit"
    );
    describe_gauge!(QUEUE_DEPTH, "Held actions waiting, per role still missing");
    describe_histogram!(
        APPROVAL_SECONDS,
        Unit::Seconds,
        "Time from proposal to release by approval"
    );
    describe_counter!(REVIEWS, "Reviews by outcome");
    describe_gauge!(OUTBOX_ITEMS, "Outbox items by state");
    describe_gauge!(
        OUTBOX_LAG,
        Unit::Seconds,
        "How long the oldest due outbox item has waited"
    );
    describe_counter!(OUTBOX_DELIVERIES, "Deliveries by this instance, by result");
    describe_counter!(
        OUTBOX_WORKER_ERRORS,
        "Outbox worker rounds that failed on the database"
    );
    describe_counter!(HTTP_RESPONSES, "HTTP responses by status class and route");
    describe_counter!(RATE_LIMITED, "Requests refused by the rate limiter");
    describe_counter!(LOGINS, "Log-ins by result");
    describe_counter!(
        SHADOW_AI,
        "Requests refused because their API key is not an active tool's"
    );
}

/// Records one decision: its outcome, its categories and how long the engine took.
pub fn decision(record: &DecisionRecord, took: Duration, timed_out: bool) {
    let decision = record.decision.as_str();
    metrics::counter!(DECISIONS, "decision" => decision, "tier" => record.tier.as_str())
        .increment(1);
    let mut seen: Vec<Category> = record.findings.iter().map(|f| f.category).collect();
    seen.sort();
    seen.dedup();
    for c in seen {
        metrics::counter!(DECISION_CATEGORIES, "decision" => decision, "category" => c.as_str())
            .increment(1);
    }
    metrics::histogram!(DECISION_SECONDS).record(took.as_secs_f64());
    if timed_out {
        metrics::counter!(DECISION_TIMEOUTS).increment(1);
    }
}

/// Sets the gauges read from the store.
pub fn store_gauges(
    roles: &[String],
    depth: &std::collections::BTreeMap<String, i64>,
    outbox: &OutboxStats,
) {
    #[allow(clippy::cast_precision_loss, reason = "gauges are f64")]
    for role in roles {
        let n = depth.get(role).copied().unwrap_or(0);
        metrics::gauge!(QUEUE_DEPTH, "role" => role.clone()).set(n as f64);
    }
    #[allow(clippy::cast_precision_loss, reason = "gauges are f64")]
    {
        metrics::gauge!(OUTBOX_ITEMS, "state" => "pending").set(outbox.pending as f64);
        metrics::gauge!(OUTBOX_ITEMS, "state" => "retrying").set(outbox.retrying as f64);
        metrics::gauge!(OUTBOX_ITEMS, "state" => "parked").set(outbox.parked as f64);
    }
    metrics::gauge!(OUTBOX_LAG).set(outbox.lag_seconds);
}

//! `/inbox/policy`: the active policy, and a candidate's texts simulated over the stored
//! history before it can be activated (readers of the audit log simulate; admins activate) — what would change per decision and role,
//! the reviewer load, and the actions decided differently; then "Activate" for the texts
//! that were simulated.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use chrono::Utc;
use countersign_engine::policy::{DEFAULT_SOURCES, PolicySources};
use countersign_engine::simulate::{Breakdown, Simulation};
use serde::Deserialize;

use super::{PageError, Reviewer, render, see_other};
use crate::state::AppState;

/// How many changed actions the page lists.
const SHOWN: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    pub done: String,
}

#[derive(Debug, Deserialize)]
pub struct Texts {
    #[serde(default)]
    pub csrf: String,
    pub toml: String,
    pub cedar: String,
    pub schema: String,
    #[serde(default)]
    pub since_days: Option<String>,
}

impl Texts {
    fn sources(&self) -> PolicySources<'_> {
        PolicySources {
            toml: ("policy.toml", &self.toml),
            cedar: ("policy.cedar", &self.cedar),
            schema: ("policy.cedarschema", &self.schema),
        }
    }
}

fn admin(reviewer: &Reviewer) -> Result<(), PageError> {
    if reviewer.account.admin {
        Ok(())
    } else {
        Err(PageError::forbidden("Only admins activate a policy."))
    }
}

fn reader(reviewer: &Reviewer) -> Result<(), PageError> {
    if super::audit::may_see(&reviewer.account) {
        Ok(())
    } else {
        Err(PageError::forbidden(
            "The policy page is for admins, managers, security and legal.",
        ))
    }
}

/// The page: the active policy's texts, ready to edit and simulate.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Query(notice): Query<Notice>,
) -> Result<Html<String>, PageError> {
    reader(&reviewer)?;
    let policy = state.policy();
    let texts = state.store.policy_texts(policy.version.as_str()).await?;
    let (toml, cedar, schema) = match &texts {
        Some(t) => {
            let s = t.sources();
            (
                s.toml.1.to_owned(),
                s.cedar.1.to_owned(),
                s.schema.1.to_owned(),
            )
        }
        None => (
            DEFAULT_SOURCES.toml.1.to_owned(),
            DEFAULT_SOURCES.cedar.1.to_owned(),
            DEFAULT_SOURCES.schema.1.to_owned(),
        ),
    };
    show(
        &reviewer,
        &policy.version.to_string(),
        &policy.config.name,
        (toml, cedar, schema),
        90,
        None,
        &notice.done,
    )
}

/// `POST /inbox/policy/simulate`: the candidate replayed; the same page with the result and
/// the Activate button.
pub async fn simulate(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Form(f): Form<Texts>,
) -> Result<Html<String>, PageError> {
    reader(&reviewer)?;
    reviewer.check_csrf(&f.csrf)?;
    let days: i64 = match f
        .since_days
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => 90,
        Some(s) => match s.parse::<i64>() {
            Ok(d) if (1..=3650).contains(&d) => d,
            _ => {
                return Err(PageError::bad_request(format!(
                    "Days of history: `{s}` is not a number of days from 1 to 3650."
                )));
            }
        },
    };
    let sim = crate::service::simulate::run(
        &state,
        &f.sources(),
        Utc::now() - chrono::Duration::days(days),
        &format!("reviewer:{}", reviewer.account.name),
    )
    .await?;
    let policy = state.policy();
    show(
        &reviewer,
        &policy.version.to_string(),
        &policy.config.name,
        (f.toml.clone(), f.cedar.clone(), f.schema.clone()),
        days,
        Some(&sim),
        "",
    )
}

/// `POST /inbox/policy/activate`: the simulated texts become the active policy (audited).
pub async fn activate(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Form(f): Form<Texts>,
) -> Result<Response, PageError> {
    admin(&reviewer)?;
    reviewer.check_csrf(&f.csrf)?;
    let (policy, _) = state
        .store
        .activate_policy(
            &f.sources(),
            &format!("reviewer:{}", reviewer.account.name),
            Utc::now(),
        )
        .await?;
    state.set_policy(policy);
    Ok(see_other("/inbox/policy?done=activated"))
}

/// Decisions as rows: decision, under the active policy, under the candidate.
fn rows(b: &Breakdown) -> Vec<minijinja::Value> {
    b.iter()
        .map(|(d, p)| {
            minijinja::context! {
                decision => d.as_str().replace('_', " "),
                active => p.active,
                candidate => p.candidate,
                changed => p.active != p.candidate,
            }
        })
        .collect()
}

fn show(
    reviewer: &Reviewer,
    version: &str,
    name: &str,
    (toml, cedar, schema): (String, String, String),
    days: i64,
    sim: Option<&Simulation>,
    done: &str,
) -> Result<Html<String>, PageError> {
    let result = sim.map(|s| {
        minijinja::context! {
            candidate => s.candidate_version.to_string(),
            actions => s.actions,
            changed_count => s.changed.len(),
            totals => rows(&s.totals),
            load => s.load.iter().map(|l| minijinja::context! {
                role => l.role.replace('_', " "),
                active => format!("{:.1}", l.active_per_day),
                candidate => format!("{:.1}", l.candidate_per_day),
                latency => match (l.active_latency_days, l.candidate_latency_days) {
                    (Some(a), Some(c)) => format!("{a:.1} → {c:.1} days"),
                    _ => "no approvals in the window".to_owned(),
                },
            }).collect::<Vec<_>>(),
            changed => s.changed.iter().take(SHOWN).map(|c| minijinja::context! {
                id => c.action_id.clone(),
                tool => c.tool.clone(),
                at => c.created_at.format("%Y-%m-%d").to_string(),
                active => c.active.decision.as_str().replace('_', " "),
                candidate => c.candidate.decision.as_str().replace('_', " "),
                reasons => c.candidate.reasons.iter().filter(|r| r.is_cause()).map(ToString::to_string).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
        }
    });
    render(
        "policy.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => true,
            nav => "policy",
            admin => reviewer.account.admin,
            version, name, toml, cedar, schema, days, result, done,
        },
    )
}

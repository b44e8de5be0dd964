//! The audit view (`/inbox/audit`): the hash-chained log newest first, filtered by event,
//! action, actor and date range, paged by sequence number; and the chain's verify status
//! (intact with its record count and head hash, or the first broken record named).
//!
//! Who may see it: admins, and reviewers holding `security`, `legal` or `manager` (the
//! people who answer for what was sent). Everyone else gets the 403 page. The log is the
//! store's ([`countersign_store::Store::audit_page`], [`countersign_store::Store::verify_audit`]);
//! this page only reads it.

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use countersign_engine::Decision;
use countersign_store::{Account, AuditQuery, StoreError};
use serde::Deserialize;
use serde_json::Value;

use super::{PageError, Reviewer, render};
use crate::state::AppState;

/// Records per audit page.
const PER_PAGE: i64 = 50;

/// The roles that may read the audit log besides admins.
pub const AUDIT_ROLES: [&str; 3] = ["security", "legal", "manager"];

/// Whether `account` may open the audit view.
pub fn may_see(account: &Account) -> bool {
    account.admin || AUDIT_ROLES.iter().any(|r| account.roles.contains(*r))
}

/// The filters, as the form sends them (all text, so a bad value is named, not a 400
/// from the extractor).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditFilters {
    pub event: String,
    pub action_id: String,
    pub actor: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    pub from: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    pub to: String,
    /// The keyset cursor: records older than this sequence number.
    pub before: String,
}

fn bad(field: &str, problem: String) -> PageError {
    PageError {
        status: StatusCode::BAD_REQUEST,
        message: format!("{field}: {problem}"),
    }
}

fn day(field: &str, value: &str) -> Result<Option<NaiveDate>, PageError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| bad(field, format!("`{value}` is not a date like 2026-11-25")))
}

impl AuditFilters {
    /// The store query for these filters.
    fn query(&self) -> Result<AuditQuery, PageError> {
        let from = day("from", &self.from)?;
        let to = day("to", &self.to)?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(bad("from", format!("`{f}` is after `to` ({t})")));
        }
        let before = match self.before.trim() {
            "" => None,
            s => Some(
                s.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| bad("before", format!("`{s}` is not a sequence number")))?,
            ),
        };
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(AuditQuery {
            event: text(&self.event),
            action_id: text(&self.action_id),
            actor: text(&self.actor),
            from: from.map(|d| d.and_time(NaiveTime::MIN).and_utc()),
            // `to` names a whole day: up to the next midnight.
            until: to.map(|d| (d + Duration::days(1)).and_time(NaiveTime::MIN).and_utc()),
            before_seq: before,
            limit: PER_PAGE,
        })
    }

    /// The filters as a query string, with `before` set to `cursor`.
    fn link(&self, cursor: Option<i64>) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("event", &self.event),
            ("action_id", &self.action_id),
            ("actor", &self.actor),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
        if let Some(c) = cursor {
            pairs.push(("before", c.to_string()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A one-line summary of an event's `data`: scalar fields as `key: value`, lists joined,
/// nested objects named only; cut to `max` characters.
pub fn summary(data: &Value, max: usize) -> String {
    let text = match data {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), short(v)))
            .collect::<Vec<_>>()
            .join(" · "),
        other => short(other),
    };
    cut(text, max)
}

/// An event's details in words, for the events the log holds most; any other event (or
/// one whose data lacks the expected fields) falls back to [`summary`].
pub fn describe(event: &str, data: &Value, max: usize) -> String {
    described(event, data).map_or_else(
        || summary(data, max),
        |text| {
            // Role lists may open the sentence ("security asked to review").
            let mut chars = text.chars();
            let text = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            cut(text, max)
        },
    )
}

fn cut(text: String, max: usize) -> String {
    if text.chars().count() > max {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    } else {
        text
    }
}

/// A stored instant (RFC 3339, microseconds) as people read it: `2026-11-24 15:00 UTC`.
pub fn when(at: &str) -> String {
    DateTime::parse_from_rfc3339(at).map_or_else(
        |_| at.to_owned(),
        |t| {
            t.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        },
    )
}

/// The event in words, read from its typed fields; `None` for an event this release
/// cannot read (the page then shows its data as stored).
fn described(event: &str, d: &Value) -> Option<String> {
    use countersign_store::audit::AuditEvent as E;
    let roles = |r: &BTreeSet<String>| super::roles_in_words(r);
    let delivery = |d: &str| match d {
        "email" => "by e-mail".to_owned(),
        "crm" => "to the CRM".to_owned(),
        "slack" | "webhook" => "by webhook".to_owned(),
        other => format!("by {other}"),
    };
    let attempt = |n: i64| format!("attempt {n}");
    let revision = |r: i64| {
        if r > 1 {
            format!(" · revision {r}")
        } else {
            String::new()
        }
    };
    Some(match E::decode(event, d)? {
        E::Proposal {
            revision: r,
            kind,
            on_behalf_of,
            target,
            ..
        } => {
            let mut s = format!("Proposed {kind}");
            if let Some(rep) = on_behalf_of {
                s.push_str(&format!(" on behalf of {rep}"));
            }
            for (label, id) in [
                ("contact", &target.contact_id),
                ("opportunity", &target.opportunity_id),
                ("account", &target.account_id),
            ] {
                if let Some(id) = id {
                    s.push_str(&format!(" · {label} {id}"));
                }
            }
            s.push_str(&revision(r));
            s
        }
        E::Decision {
            revision: r,
            decision,
            required_roles,
        } => {
            let mut s = match decision.decision {
                Decision::Hold => format!(
                    "Held for {}",
                    if required_roles.is_empty() {
                        "approval".to_owned()
                    } else {
                        roles(&required_roles)
                    }
                ),
                Decision::Allow => "Allowed".to_owned(),
                Decision::Deny => "Denied".to_owned(),
                Decision::DraftOnly => "Draft only".to_owned(),
            };
            let findings = match decision.findings.len() {
                0 => "no findings".to_owned(),
                1 => "1 finding".to_owned(),
                n => format!("{n} findings"),
            };
            s.push_str(&format!(
                " ({}, {findings})",
                decision.tier.as_str().replace('_', "-")
            ));
            s.push_str(&revision(r));
            s
        }
        E::Approval {
            revision,
            roles: r,
            via,
            ..
        } => format!(
            "Approved revision {revision} as {}{}",
            roles(&r),
            from(via.as_deref())
        ),
        E::Edit {
            revision,
            previous_revision,
            subject_changed,
            added_roles,
            ..
        } => {
            let mut s = format!("Edited: revision {revision} replaces {previous_revision}");
            if subject_changed {
                s.push_str(", subject changed");
            }
            if !added_roles.is_empty() {
                s.push_str(&format!("; now also needs {}", roles(&added_roles)));
            }
            s
        }
        E::Rejection {
            revision,
            reason,
            via,
        } => format!(
            "Rejected revision {revision}{}: “{reason}”",
            from(via.as_deref())
        ),
        E::Release {
            delivery: how,
            next_attempt_at,
            ..
        } => {
            let mut s = format!("Released for delivery {}", delivery(&how));
            if let Some(at) = next_attempt_at {
                s.push_str(&format!(", first attempt at {}", when(&at)));
            }
            s
        }
        E::Send(sent) => format!(
            "Delivered {} ({})",
            delivery(&sent.delivery),
            attempt(sent.attempts)
        ),
        E::NotificationSent(sent) => format!(
            "Review notification sent {} ({})",
            delivery(&sent.delivery),
            attempt(sent.attempts)
        ),
        E::DeliveryFailure(f) | E::NotificationFailure(f) => format!(
            "{} failed ({}): {}; next try at {}",
            if event == "delivery_failure" {
                "Delivery"
            } else {
                "Review notification"
            },
            attempt(f.attempts),
            f.error,
            f.retry_at.as_deref().map_or_else(String::new, when)
        ),
        E::Parked(f) | E::NotificationParked(f) => format!(
            "{} stopped after {} attempts: {}",
            if event == "parked" {
                "Delivery"
            } else {
                "Review notification"
            },
            f.attempts,
            f.error
        ),
        E::Notification {
            roles: r,
            emailed,
            slack,
            ..
        } => {
            let mut s = format!("{} asked to review", roles(&r));
            if !emailed.is_empty() {
                s.push_str(&format!("; e-mailed {}", emailed.join(", ")));
            }
            if slack {
                s.push_str("; posted to the webhook");
            }
            s
        }
        E::Login { expires_at, .. } => {
            format!("Logged in; the session lasts until {}", when(&expires_at))
        }
        E::AccountRegistration {
            name,
            roles: r,
            admin,
            ..
        } => {
            let mut s = format!(
                "Account {name} created with {}",
                if r.is_empty() {
                    "no reviewer role".to_owned()
                } else {
                    format!("role {}", roles(&r))
                }
            );
            if admin {
                s.push_str(", admin");
            }
            s
        }
        E::ReviewerEmail { email, .. } => format!(
            "Notification address set to {}",
            email.as_deref().unwrap_or("none")
        ),
        E::CrmImport {
            source,
            counts,
            problems,
        } => {
            let written: u64 = counts.values().filter_map(|c| c["written"].as_u64()).sum();
            let read: u64 = counts.values().filter_map(|c| c["read"].as_u64()).sum();
            format!(
                "Imported a {source} export: {read} rows read, {written} new or changed, {problems} refused"
            )
        }
        E::Scan { inputs, counts, .. } => {
            let found: Vec<String> = counts
                .iter()
                .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
                .collect();
            format!(
                "Shadow-AI scan of {}: {}",
                if inputs.is_empty() {
                    "the server's records".to_owned()
                } else {
                    inputs.join(", ")
                },
                if found.is_empty() {
                    "nothing found".to_owned()
                } else {
                    found.join(", ")
                }
            )
        }
        E::Simulation {
            candidate_version,
            active_version,
            since,
            actions,
            changed,
        } => format!(
            "Simulated policy {candidate_version} against the active {active_version} over {actions} actions since {}: {changed} would be decided differently",
            since.format("%Y-%m-%d")
        ),
        E::Knowledge {
            entry_id,
            revision,
            approved_by,
            valid_until,
            ..
        } => format!(
            "Knowledge entry {entry_id} revision {revision}, approved by {approved_by}, valid until {valid_until}"
        ),
        E::ServiceLevel { step, due_at, .. } => {
            let (what, role) = step.split_once('.').unwrap_or((step.as_str(), ""));
            let role = super::words(role);
            let due = due_at.format("%Y-%m-%d %H:%M UTC");
            match what {
                "remind" => format!("Reminded the {role}: due {due}"),
                "escalate" => format!("Escalated: the {role} did not decide by {due}"),
                _ => format!("Service level step {step} (due {due})"),
            }
        }
        E::Expiry {
            deadline,
            waiting_for,
            ..
        } => format!(
            "Expired at {}, still waiting for {}: it will not be sent",
            deadline.format("%Y-%m-%d %H:%M UTC"),
            roles(&waiting_for)
        ),
        E::ReviewerChat { chat, user_id, .. } => match user_id {
            Some(id) => format!("Known in {chat} as {id}"),
            None => format!("No longer known in {chat}"),
        },
        E::PasswordChange(_) => "Password changed".to_owned(),
        E::PasswordReset(a) => format!("Password of {} reset; their sessions ended", a.name),
        E::LoginThrottled {
            name,
            failures,
            blocked_until,
        } => format!(
            "Log-ins as {name} refused until {} after {failures} failed attempts",
            when(&blocked_until.to_rfc3339())
        ),
        E::ToolRegistration {
            name,
            kinds,
            data_classes,
            ..
        } => {
            let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
            let mut s = format!("Tool {name} registered: may propose {}", kinds.join(", "));
            if data_classes.is_empty() {
                s.push_str("; may receive no protected data");
            } else {
                let classes: Vec<&str> = data_classes.iter().map(String::as_str).collect();
                s.push_str(&format!(
                    "; may receive {}",
                    classes.join(", ").replace('_', " ")
                ));
            }
            s
        }
        E::ToolRevocation { name, .. } => format!("Tool {name} revoked"),
        E::ShadowAi(seen) => format!(
            "Refused a request from an unregistered key{} ({}{}{})",
            seen.claimed_tool
                .map(|t| format!(" claiming to be {t}"))
                .unwrap_or_default(),
            seen.kind.as_deref().unwrap_or("unknown kind"),
            seen.recipient_domain
                .map(|d| format!(" to {d}"))
                .unwrap_or_default(),
            seen.source
                .map(|s| format!(", from {s}; later requests that minute are only counted"))
                .unwrap_or_default(),
        ),
        E::Suppression { email, reason } => {
            format!("{email} suppressed: {}", reason.replace('_', " "))
        }
        E::PolicyChange { name, version, .. } => {
            format!("Policy {name} recorded, version {version}")
        }
        E::PolicyActivation { name, version } => {
            format!("Policy {name} activated, version {version}")
        }
        E::ReviewerRegistration { .. } => return None,
    })
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) if s.len() >= 20 && DateTime::parse_from_rfc3339(s).is_ok() => when(s),
        // Hashes and digests: enough to compare by eye, not a line of hex.
        Value::String(s) if s.len() > 24 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("{}…", &s[..12])
        }
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.iter().map(short).collect::<Vec<_>>().join(", ")
            }
        }
        Value::Array(items) => format!("{} items", items.len()),
        // A nested decision record reads as its outcome.
        Value::Object(map) => match map.get("decision") {
            Some(Value::String(d)) => d.clone(),
            _ => format!("{{{} fields}}", map.len()),
        },
        other => other.to_string(),
    }
}

/// `GET /inbox/audit`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Query(filters): Query<AuditFilters>,
) -> Result<Html<String>, PageError> {
    if !may_see(&reviewer.account) {
        return Err(PageError::forbidden(format!(
            "The audit log is open to admins and to reviewers with the {} role; you hold {}.",
            super::roles_in_words(&AUDIT_ROLES.map(str::to_owned)).replace(" and ", " or "),
            super::roles_in_words(&reviewer.account.roles)
        )));
    }
    let query = filters.query()?;
    let page = state.store.audit_page(&query).await?;
    let chain = match state.chain.check(&state.store).await {
        Ok(c) => minijinja::context! {
            intact => true, records => c.verified.records, head => c.verified.head_hash,
            full_check_minutes => c.full_check_age.as_secs() / 60,
        },
        Err(StoreError::AuditBroken(b)) => minijinja::context! {
            intact => false, seq => b.seq, detail => b.to_string(),
        },
        Err(e) => return Err(e.into()),
    };
    let rows: Vec<_> = page
        .records
        .iter()
        .map(|r| {
            minijinja::context! {
                seq => r.seq,
                at => r.at.get(..16).unwrap_or(&r.at).replace('T', " "),
                at_full => r.at.clone(),
                event => r.event.clone(),
                actor => r.actor.clone(),
                action_id => r.action_id.clone(),
                summary => describe(&r.event, &r.data, 200),
                hash => r.hash.get(..12).unwrap_or(&r.hash).to_owned(),
            }
        })
        .collect();
    let filtered = query.event.is_some()
        || query.action_id.is_some()
        || query.actor.is_some()
        || query.from.is_some()
        || query.until.is_some();
    render(
        "audit.html",
        minijinja::context! {
            account => reviewer.account.name.clone(),
            csrf => reviewer.csrf(),
            may_audit => true,
            nav => "audit",
            f => minijinja::context! {
                event => filters.event.trim(), action_id => filters.action_id.trim(),
                actor => filters.actor.trim(), from => filters.from.trim(), to => filters.to.trim(),
            },
            events => page.events,
            rows,
            chain,
            filtered,
            first_page => query.before_seq.is_none(),
            first => filters.link(None),
            next => page.next_before_seq.map(|c| filters.link(Some(c))),
            now => Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        },
    )
}

/// Where a decision was made, when not in the inbox or through the API.
fn from(via: Option<&str>) -> &'static str {
    match via {
        Some("email_link") => " from the e-mail's link",
        Some("email_reply") => " by replying to the e-mail",
        Some("slack") => " in Slack",
        Some("teams") => " in Teams",
        Some(_) => " from elsewhere",
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_summary_shows_scalars_and_lists_and_is_cut() {
        let s = summary(
            &json!({"decision": "hold", "roles": ["deal_desk", "security"], "policy": {"a": 1}, "x": null}),
            200,
        );
        assert_eq!(
            s,
            "decision: hold · roles: deal_desk, security · policy: {1 fields}"
        );
        assert_eq!(
            summary(&json!({"reason": "x".repeat(50)}), 10)
                .chars()
                .count(),
            10
        );
    }

    #[test]
    fn common_events_read_as_sentences() {
        // As an earlier release stored it: reasons in words only.
        let finding = json!({"category": "commercial", "subtopic": "discount", "start": 0,
            "end": 7, "field": "body", "evidence": "15% off", "confidence": 0.85,
            "rule": "commercial.discount.term"});
        let decision = json!({
            "decision": {"id": "a", "decision": "hold", "tier": "manager_approved",
                "roles": ["deal_desk", "security"], "reasons": ["…"],
                "findings": [finding, finding], "policy_version": "sha256:0123456789abcdef"},
            "required_roles": ["deal_desk", "security"], "revision": 1,
        });
        assert_eq!(
            describe("decision", &decision, 200),
            "Held for deal desk and security (manager-approved, 2 findings)"
        );
        assert_eq!(
            describe(
                "approval",
                &json!({"revision": 2, "roles": ["deal_desk"], "policies": ["x"]}),
                200
            ),
            "Approved revision 2 as deal desk"
        );
        assert_eq!(
            describe(
                "login",
                &json!({"reviewer_id": 3, "token_fingerprint": "abc", "expires_at": "2026-11-24T15:00:12.123456Z"}),
                200
            ),
            "Logged in; the session lasts until 2026-11-24 15:00 UTC"
        );
        assert_eq!(
            describe(
                "notification",
                &json!({"revision": 1, "roles": ["security"], "emailed": ["priya"], "slack": false, "occasion": null}),
                200
            ),
            "Security asked to review; e-mailed priya"
        );
    }

    #[test]
    fn an_event_without_its_usual_fields_falls_back_to_its_keys() {
        assert_eq!(
            describe("approval", &json!({"note": "by hand"}), 200),
            "note: by hand"
        );
        assert_eq!(
            describe(
                "something_new",
                &json!({"at": "2026-11-24T15:00:00.000000Z"}),
                200
            ),
            "at: 2026-11-24 15:00 UTC"
        );
    }

    #[test]
    fn bad_filters_name_their_field() {
        let f = AuditFilters {
            from: "yesterday".into(),
            ..AuditFilters::default()
        };
        let e = f.query().unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.starts_with("from: `yesterday`"), "{}", e.message);
        let f = AuditFilters {
            before: "-3".into(),
            ..AuditFilters::default()
        };
        assert!(f.query().unwrap_err().message.starts_with("before:"));
    }

    #[test]
    fn the_to_date_includes_its_whole_day() {
        let f = AuditFilters {
            from: "2026-11-24".into(),
            to: "2026-11-24".into(),
            ..AuditFilters::default()
        };
        let q = f.query().unwrap();
        assert_eq!(
            q.until.unwrap() - q.from.unwrap(),
            Duration::days(1),
            "{q:?}"
        );
    }

    #[test]
    fn links_keep_the_filters_and_move_the_cursor() {
        let f = AuditFilters {
            event: "approval".into(),
            actor: "reviewer:dee desk".into(),
            ..AuditFilters::default()
        };
        assert_eq!(
            f.link(Some(40)),
            "event=approval&actor=reviewer:dee%20desk&before=40"
        );
    }
}

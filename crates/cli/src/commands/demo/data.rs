//! The demo's data files, compiled into the binary: the organisation (`demo/org.toml`) and
//! the scripted agent's two weeks (`demo/script.toml`), parsed into typed values with
//! every problem named by entry and field.

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, Days, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use countersign_engine::Action;
use countersign_engine::context::Suppression;
use serde::Deserialize;

const ORG: &str = include_str!("../../../demo/org.toml");
const SCRIPT: &str = include_str!("../../../demo/script.toml");

/// The seller organisation, its tools and its buyers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// The seller's IANA time zone: script times are read in it.
    pub timezone: String,
    /// The sender of delivered e-mail.
    pub from: String,
    pub people: Vec<Person>,
    pub tools: Vec<ToolSpec>,
    pub accounts: Vec<BuyerAccount>,
    #[serde(default)]
    pub suppressions: Vec<SuppressionSpec>,
}

/// Someone who logs in to the inbox.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    pub full_name: String,
    pub title: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub admin: bool,
    /// A fixed, printed demo password.
    pub password: String,
    /// Where review notifications go.
    #[serde(default)]
    pub email: Option<String>,
}

/// An AI tool; an unregistered one proposes with a key the registry never issued.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub name: String,
    pub kinds: Vec<String>,
    pub data_classes: Vec<String>,
    #[serde(default = "yes")]
    pub registered: bool,
}

fn yes() -> bool {
    true
}

/// A buyer company with its contacts and opportunities.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerAccount {
    pub account_id: String,
    pub name: String,
    pub contacts: Vec<ContactSpec>,
    pub opportunities: Vec<OpportunitySpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    pub contact_id: String,
    pub name: String,
    pub email: String,
    pub title: String,
    pub crm_role: Option<String>,
    pub timezone: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpportunitySpec {
    pub opportunity_id: String,
    pub name: String,
    pub stage: String,
    pub amount: f64,
    /// Days from the demo's run to the expected close.
    pub close_in_days: u64,
    pub owner: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressionSpec {
    pub email: String,
    pub reason: Suppression,
}

/// The decision the script's story relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Allow,
    Hold,
    DraftOnly,
    Deny,
}

impl Expect {
    pub fn matches(self, d: countersign_engine::Decision) -> bool {
        use countersign_engine::Decision;
        matches!(
            (self, d),
            (Self::Allow, Decision::Allow)
                | (Self::Hold, Decision::Hold)
                | (Self::DraftOnly, Decision::DraftOnly)
                | (Self::Deny, Decision::Deny)
        )
    }
}

/// What a reviewer did to a held action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    Approve,
    Edit {
        subject: Option<String>,
        body: String,
    },
    Reject {
        reason: String,
    },
}

/// One reviewer step, at its own time.
#[derive(Debug, Clone)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub by: String,
    pub kind: StepKind,
}

/// One scripted proposal and what followed it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The script's id, kept as the action's external id.
    pub id: String,
    pub at: DateTime<Utc>,
    pub tool: String,
    pub expect: Expect,
    pub action: Action,
    pub steps: Vec<Step>,
    /// The status the story ends in: `allowed`, `held`, `approved`, `rejected`, `denied`,
    /// `draft_only` or `expired`.
    pub outcome: String,
}

/// The raw shape of a step in the script.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    after: String,
    by: String,
    #[serde(rename = "do")]
    verb: String,
    subject: Option<String>,
    body: Option<String>,
    reason: Option<String>,
}

/// Parses the organisation file.
pub fn org() -> anyhow::Result<Org> {
    let org: Org = toml::from_str(ORG).context("demo/org.toml is invalid")?;
    org.timezone.parse::<Tz>().map_err(|_| {
        anyhow!(
            "demo/org.toml: timezone: `{}` is not an IANA zone",
            org.timezone
        )
    })?;
    Ok(org)
}

/// Parses the script, placing `-Nd HH:MM` times on the calendar that ends at `day0`
/// (a date in the seller's zone `tz`).
pub fn script(tz: Tz, day0: chrono::NaiveDate) -> anyhow::Result<Vec<Entry>> {
    #[derive(Deserialize)]
    struct File {
        actions: Vec<toml::Table>,
    }
    let file: File = toml::from_str(SCRIPT).context("demo/script.toml is invalid")?;
    file.actions
        .into_iter()
        .enumerate()
        .map(|(i, table)| {
            let name = table
                .get("id")
                .and_then(toml::Value::as_str)
                .map_or_else(|| format!("actions[{i}]"), str::to_owned);
            entry(table, tz, day0).with_context(|| format!("demo/script.toml: entry `{name}`"))
        })
        .collect()
}

fn entry(mut table: toml::Table, tz: Tz, day0: chrono::NaiveDate) -> anyhow::Result<Entry> {
    let text = |t: &mut toml::Table, key: &str| -> anyhow::Result<String> {
        match t.remove(key) {
            Some(toml::Value::String(s)) => Ok(s),
            Some(_) => bail!("{key}: expected a string"),
            None => bail!("{key}: missing"),
        }
    };
    let at = when(&text(&mut table, "at")?, tz, day0).context("at")?;
    let tool = text(&mut table, "tool")?;
    let expect: Expect = table
        .remove("expect")
        .ok_or_else(|| anyhow!("expect: missing"))?
        .try_into()
        .map_err(|e: toml::de::Error| anyhow!("expect: {}", e.message()))?;
    let raw_steps: Vec<RawStep> = match table.remove("steps") {
        None => Vec::new(),
        Some(v) => v
            .try_into()
            .map_err(|e: toml::de::Error| anyhow!("steps: {}", e.message()))?,
    };
    let outcome = match table.remove("outcome") {
        Some(toml::Value::String(s)) => Some(s),
        Some(_) => bail!("outcome: expected a string"),
        None => None,
    };
    // The rest is the action exactly as a tool would send it.
    let mut json = serde_json::to_value(&table).context("cannot read the action")?;
    if let Some(obj) = json.as_object_mut() {
        obj.insert("tool".to_owned(), serde_json::Value::String(tool.clone()));
    }
    let action = Action::from_json(&json).map_err(|e| anyhow!("{e}"))?;
    let mut steps = Vec::new();
    for (n, s) in raw_steps.into_iter().enumerate() {
        let after = delay(&s.after).with_context(|| format!("steps[{n}].after"))?;
        let kind = match (s.verb.as_str(), s.body, s.reason) {
            ("approve", None, None) => StepKind::Approve,
            ("edit", Some(body), None) => StepKind::Edit {
                subject: s.subject,
                body,
            },
            ("reject", None, Some(reason)) => StepKind::Reject { reason },
            (verb, _, _) => bail!(
                "steps[{n}]: `{verb}` needs: approve (nothing else), edit (body, optional subject) or reject (reason)"
            ),
        };
        steps.push(Step {
            at: at + after,
            by: s.by,
            kind,
        });
    }
    let implied = match steps.last().map(|s: &Step| &s.kind) {
        Some(StepKind::Approve) => "approved",
        Some(StepKind::Reject { .. }) => "rejected",
        Some(StepKind::Edit { .. }) => "held",
        None => match expect {
            Expect::Allow => "allowed",
            Expect::Hold => "held",
            Expect::DraftOnly => "draft_only",
            Expect::Deny => "denied",
        },
    };
    let outcome = outcome.unwrap_or_else(|| implied.to_owned());
    if ![
        "allowed",
        "held",
        "approved",
        "rejected",
        "denied",
        "draft_only",
        "expired",
    ]
    .contains(&outcome.as_str())
    {
        bail!(
            "outcome: `{outcome}` is not allowed, held, approved, rejected, denied, draft_only or expired"
        );
    }
    Ok(Entry {
        outcome,
        id: action.id.clone(),
        at,
        tool,
        expect,
        action,
        steps,
    })
}

/// `-13d 09:20`: 13 days before `day0`, at 09:20 in `tz`.
pub fn when(s: &str, tz: Tz, day0: chrono::NaiveDate) -> anyhow::Result<DateTime<Utc>> {
    let err = || anyhow!("`{s}` is not like `-3d 09:30`");
    let (days, time) = s.trim().split_once(' ').ok_or_else(err)?;
    let days: u64 = days
        .strip_prefix('-')
        .and_then(|d| d.strip_suffix('d'))
        .and_then(|d| d.parse().ok())
        .ok_or_else(err)?;
    let time = NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| err())?;
    let date = day0.checked_sub_days(Days::new(days)).ok_or_else(err)?;
    // A time skipped by a DST change is taken an hour later.
    tz.from_local_datetime(&date.and_time(time))
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(date.and_time(time) + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(err)
}

/// `40m`, `2h`, `1d3h`, `1h30m`.
pub fn delay(s: &str) -> anyhow::Result<Duration> {
    let err = || anyhow!("`{s}` is not a delay like `40m`, `2h` or `1d3h`");
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| err())?;
        digits.clear();
        total += match c {
            'd' => Duration::days(n),
            'h' => Duration::hours(n),
            'm' => Duration::minutes(n),
            _ => return Err(err()),
        };
    }
    if !digits.is_empty() || total <= Duration::zero() {
        return Err(err());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use chrono::{NaiveDate, Timelike};

    use super::*;

    #[test]
    fn script_times_are_read_in_the_seller_zone() {
        let day0 = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
        let t = when("-2d 09:30", chrono_tz::America::New_York, day0).unwrap();
        // 18 March 2026 is after the US switch to daylight time: UTC-4.
        assert_eq!(
            t.date_naive(),
            NaiveDate::from_ymd_opt(2026, 3, 18).unwrap()
        );
        assert_eq!((t.hour(), t.minute()), (13, 30));
        assert!(when("3d 09:30", chrono_tz::UTC, day0).is_err());
        assert!(when("-3d 9h", chrono_tz::UTC, day0).is_err());
    }

    #[test]
    fn delays_add_up_and_nonsense_is_refused() {
        assert_eq!(delay("1d2h30m").unwrap(), Duration::minutes(24 * 60 + 150));
        assert_eq!(delay("40m").unwrap(), Duration::minutes(40));
        for bad in ["", "40", "m", "2x", "0m"] {
            assert!(delay(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shipped_files_parse() {
        let org = org().unwrap();
        let tz: Tz = org.timezone.parse().unwrap();
        let day0 = NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
        let entries = script(tz, day0).unwrap();
        assert!(entries.len() >= 55, "{}", entries.len());
        for e in &entries {
            assert!(
                org.tools.iter().any(|t| t.name == e.tool),
                "{}: {}",
                e.id,
                e.tool
            );
            assert!(e.steps.iter().all(|s| s.at > e.at), "{}", e.id);
        }
    }
}

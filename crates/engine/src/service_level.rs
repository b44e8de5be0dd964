//! How long a reviewer role has to decide a held item (issue 12: nothing waits unseen).
//!
//! The policy's `[review]` section sets, per role, the time to decide (`within`), when to
//! remind the role's reviewers (`remind_after`) and whom to tell when the time is up
//! (`escalate_to`: roles, such as the role's manager, or named backup reviewers), all
//! counted in business hours when `business_hours` is set; and `expire_after`, plain time
//! from the proposal after which an undecided item expires: never sent, and reported to
//! the tool as `expired`, never as denied.
//!
//! Pure: the store asks [`ServiceLevels::steps`] what is due for an item at `now` and
//! records what it did, so each step happens once.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Working hours: the clock of every service level when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
    /// Working days, Monday first.
    pub days: Vec<Weekday>,
    pub timezone: Tz,
}

/// One role's service level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLevel {
    pub within: Duration,
    pub remind_after: Option<Duration>,
    /// Roles or reviewer names told when `within` has passed.
    pub escalate_to: Vec<String>,
}

/// The policy's `[review]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceLevels {
    pub business_hours: Option<BusinessHours>,
    pub roles: BTreeMap<String, RoleLevel>,
    /// Plain time from the proposal after which an undecided item expires.
    pub expire_after: Option<Duration>,
}

/// A step that is due for a held item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Remind `role`'s reviewers; the item is due at `due`.
    Remind { role: String, due: DateTime<Utc> },
    /// `role` did not decide by `due`: tell `to`.
    Escalate {
        role: String,
        due: DateTime<Utc>,
        to: Vec<String>,
    },
    /// Nobody decided by `at`: the item expires.
    Expire { at: DateTime<Utc> },
}

impl Step {
    /// A stable name for the step, so the store records each one once.
    pub fn key(&self) -> String {
        match self {
            Self::Remind { role, .. } => format!("remind.{role}"),
            Self::Escalate { role, .. } => format!("escalate.{role}"),
            Self::Expire { .. } => "expire".to_owned(),
        }
    }
}

impl ServiceLevels {
    /// When `role` must have decided an item that entered its queue at `since`.
    pub fn due(&self, role: &str, since: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let level = self.roles.get(role)?;
        Some(self.add(since, level.within))
    }

    /// `span` of working time after `from` (plain time without business hours).
    pub fn add(&self, from: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
        match &self.business_hours {
            None => from + span,
            Some(b) => b.add(from, span),
        }
    }

    /// What is due at `now` for an item proposed at `proposed`, whose latest revision
    /// entered the queues at `since` and still misses `missing`. Expiry comes alone: an
    /// expired item needs no reminder.
    pub fn steps<'a>(
        &self,
        proposed: DateTime<Utc>,
        since: DateTime<Utc>,
        missing: impl IntoIterator<Item = &'a String>,
        now: DateTime<Utc>,
    ) -> Vec<Step> {
        if let Some(after) = self.expire_after
            && now >= proposed + after
        {
            return vec![Step::Expire {
                at: proposed + after,
            }];
        }
        let mut steps = Vec::new();
        for role in missing {
            let Some(level) = self.roles.get(role) else {
                continue;
            };
            let due = self.add(since, level.within);
            if now >= due {
                if !level.escalate_to.is_empty() {
                    steps.push(Step::Escalate {
                        role: role.clone(),
                        due,
                        to: level.escalate_to.clone(),
                    });
                }
            } else if let Some(remind) = level.remind_after
                && now >= self.add(since, remind)
            {
                steps.push(Step::Remind {
                    role: role.clone(),
                    due,
                });
            }
        }
        steps
    }
}

impl BusinessHours {
    /// `span` of working time after `from`: time outside working hours and days does not
    /// count. Walks day by day (a span of weeks is a few dozen steps).
    pub fn add(&self, from: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
        if self.days.is_empty() || self.end <= self.start {
            return from + span;
        }
        let mut left = span;
        let mut at = from.with_timezone(&self.timezone).naive_local();
        for _ in 0..3660 {
            let date = at.date();
            let open = date.and_time(self.start);
            let close = date.and_time(self.end);
            if self.days.contains(&date.weekday()) && at < close {
                let start = at.max(open);
                let available = close - start;
                if left <= available {
                    let local = start + left;
                    return self
                        .timezone
                        .from_local_datetime(&local)
                        .earliest()
                        .map_or(from + span, |t| t.with_timezone(&Utc));
                }
                left -= available;
            }
            let Some(next) = date.succ_opt() else { break };
            at = next.and_time(NaiveTime::MIN);
        }
        from + span
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn london_office() -> BusinessHours {
        BusinessHours {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            timezone: chrono_tz::Europe::London,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn business_hours_skip_nights_and_weekends() {
        let b = london_office();
        // Friday 15:00 (winter, UTC = London) + 4 working hours = Monday 11:00.
        assert_eq!(
            b.add(at("2026-12-04T15:00:00Z"), Duration::hours(4)),
            at("2026-12-07T11:00:00Z")
        );
        // Saturday night counts from Monday's opening.
        assert_eq!(
            b.add(at("2026-12-05T22:00:00Z"), Duration::hours(1)),
            at("2026-12-07T10:00:00Z")
        );
        // Summer time: 09:00 London is 08:00 UTC.
        assert_eq!(
            b.add(at("2026-06-01T07:00:00Z"), Duration::hours(2)),
            at("2026-06-01T10:00:00Z")
        );
    }

    #[test]
    fn a_reminder_then_an_escalation_then_expiry() {
        let levels = ServiceLevels {
            business_hours: None,
            roles: BTreeMap::from([(
                "deal_desk".to_owned(),
                RoleLevel {
                    within: Duration::hours(4),
                    remind_after: Some(Duration::hours(2)),
                    escalate_to: vec!["manager".to_owned()],
                },
            )]),
            expire_after: Some(Duration::days(3)),
        };
        let t0 = at("2026-12-07T09:00:00Z");
        let missing = ["deal_desk".to_owned(), "legal".to_owned()];
        let steps = |h: i64| levels.steps(t0, t0, &missing, t0 + Duration::hours(h));
        assert!(steps(1).is_empty());
        assert_eq!(steps(3)[0].key(), "remind.deal_desk");
        assert_eq!(
            steps(5),
            vec![Step::Escalate {
                role: "deal_desk".into(),
                due: t0 + Duration::hours(4),
                to: vec!["manager".into()]
            }]
        );
        assert_eq!(
            steps(72),
            vec![Step::Expire {
                at: t0 + Duration::days(3)
            }]
        );
    }
}

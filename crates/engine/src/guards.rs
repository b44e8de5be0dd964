//! Guards (DESIGN §2): suppression, frequency caps, quiet hours, automated follow-up limits.
//!
//! Pure functions of the policy, the context the store counted, and `now`. Each result is
//! a reason on the decision; guards only ever make a decision stricter or later.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::context::{Context, Suppression};
use crate::policy::Guards;
use crate::policy::config::QuietHours;
use crate::reason::Reason;

/// What one guard says about an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardResult {
    /// Refuse: the contact must not be contacted.
    Deny(Reason),
    /// Hold for these roles.
    Hold { roles: Vec<String>, reason: Reason },
    /// Run, but not before this time.
    Defer {
        until: DateTime<Utc>,
        reason: Reason,
    },
}

/// The guards, in the order they are checked and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardKind {
    Suppression,
    ContactCap,
    AccountCap,
    AutomatedFollowups,
    QuietHours,
}

/// What one guard found, whether or not it changes the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardOutcome {
    /// Checked, nothing to say.
    Passed,
    /// The policy does not set this guard.
    Off,
    /// It cannot apply: quiet hours for a contact whose time zone is unknown.
    NotChecked,
    /// The contact must not be contacted.
    Blocked(Suppression),
    /// A manager must approve (a cap reached, or a zone that is not a zone).
    Held,
    /// Quiet hours in the recipient's zone: not before `until`.
    Deferred { until: DateTime<Utc>, tz: Tz },
}

/// One guard's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardCheck {
    pub guard: GuardKind,
    pub outcome: GuardOutcome,
}

/// Every guard's finding for an outbound e-mail: the one place their rules live. The gate
/// keeps the ones that change the decision ([`check`]); the inbox shows them all.
pub fn report(guards: &Guards, ctx: &Context, now: DateTime<Utc>) -> Vec<GuardCheck> {
    let at = |guard, outcome| GuardCheck { guard, outcome };
    let contact = ctx.contact.as_ref();
    let mut out = vec![at(
        GuardKind::Suppression,
        contact
            .and_then(|c| c.suppression)
            .map_or(GuardOutcome::Passed, GuardOutcome::Blocked),
    )];
    let h = &ctx.history;
    for (guard, cap, sent) in [
        (
            GuardKind::ContactCap,
            guards.contact_cap,
            h.emails_to_contact,
        ),
        (
            GuardKind::AccountCap,
            guards.account_cap,
            h.emails_to_account,
        ),
    ] {
        out.push(at(
            guard,
            match cap {
                None => GuardOutcome::Off,
                Some(cap) if sent >= cap.max => GuardOutcome::Held,
                Some(_) => GuardOutcome::Passed,
            },
        ));
    }
    out.push(at(
        GuardKind::AutomatedFollowups,
        match guards.automated_followups {
            None => GuardOutcome::Off,
            Some(cap) if h.automated_followups >= cap.max => GuardOutcome::Held,
            Some(_) => GuardOutcome::Passed,
        },
    ));
    let zone = contact.and_then(|c| c.timezone.as_deref());
    out.push(at(
        GuardKind::QuietHours,
        match (guards.quiet_hours, zone) {
            (None, _) => GuardOutcome::Off,
            (Some(_), None) => GuardOutcome::NotChecked,
            (Some(quiet), Some(zone)) => match zone.parse::<Tz>() {
                Err(_) => GuardOutcome::Held,
                Ok(tz) => match next_allowed(quiet, tz, now) {
                    Some(until) => GuardOutcome::Deferred { until, tz },
                    None => GuardOutcome::Passed,
                },
            },
        },
    ));
    out
}

/// The guards that change the decision for an outbound e-mail, with their reasons.
pub fn check(guards: &Guards, ctx: &Context, now: DateTime<Utc>) -> Vec<GuardResult> {
    let h = &ctx.history;
    report(guards, ctx, now)
        .into_iter()
        .filter_map(|c| match (c.guard, c.outcome) {
            (_, GuardOutcome::Passed | GuardOutcome::Off | GuardOutcome::NotChecked) => None,
            (_, GuardOutcome::Blocked(suppression)) => {
                Some(GuardResult::Deny(Reason::Suppressed { suppression }))
            }
            (_, GuardOutcome::Deferred { until, tz }) => Some(GuardResult::Defer {
                until,
                reason: Reason::QuietHours {
                    zone: tz.name().to_owned(),
                    until,
                    local: until
                        .with_timezone(&tz)
                        .format("%a %Y-%m-%d %H:%M %Z")
                        .to_string(),
                },
            }),
            (GuardKind::ContactCap, GuardOutcome::Held) => {
                let cap = guards.contact_cap?;
                Some(hold(Reason::FrequencyCap {
                    scope: "contact".to_owned(),
                    count: h.emails_to_contact,
                    window_hours: cap.window_hours,
                    max: cap.max,
                }))
            }
            (GuardKind::AccountCap, GuardOutcome::Held) => {
                let cap = guards.account_cap?;
                Some(hold(Reason::FrequencyCap {
                    scope: "account".to_owned(),
                    count: h.emails_to_account,
                    window_hours: cap.window_hours,
                    max: cap.max,
                }))
            }
            (GuardKind::AutomatedFollowups, GuardOutcome::Held) => {
                let cap = guards.automated_followups?;
                Some(hold(Reason::AutomatedFollowups {
                    count: h.automated_followups,
                    window_days: cap.window_days,
                    max: cap.max,
                }))
            }
            // Only a zone that is not a zone holds quiet hours; suppression never holds.
            (GuardKind::QuietHours | GuardKind::Suppression, GuardOutcome::Held) => {
                let zone = ctx.contact.as_ref()?.timezone.as_deref()?;
                Some(hold(Reason::BadTimeZone {
                    zone: zone.to_owned(),
                }))
            }
        })
        .collect()
}

fn hold(reason: Reason) -> GuardResult {
    GuardResult::Hold {
        roles: vec!["manager".to_owned()],
        reason,
    }
}

/// The first allowed moment at or after `now`, or `None` if `now` is allowed.
pub fn next_allowed(q: QuietHours, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz).naive_local();
    if is_allowed(q, local) {
        return None;
    }
    // Step through the next 8 days at the quiet period's end time; the first allowed one wins.
    let mut day = local.date();
    for _ in 0..9 {
        let candidate = day.and_time(q.end);
        if candidate > local && is_allowed(q, candidate) {
            // DST gaps: take the earliest valid instant at or after the local time.
            let resolved = tz.from_local_datetime(&candidate).earliest().or_else(|| {
                tz.from_local_datetime(&(candidate + Duration::hours(1)))
                    .earliest()
            });
            if let Some(t) = resolved {
                return Some(t.with_timezone(&Utc));
            }
        }
        day = day.succ_opt()?;
    }
    None
}

fn is_allowed(q: QuietHours, local: NaiveDateTime) -> bool {
    if q.weekends && matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
        return false;
    }
    let t = local.time();
    let quiet = if q.start <= q.end {
        t >= q.start && t < q.end
    } else {
        t >= q.start || t < q.end
    };
    !quiet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Contact;
    use chrono::NaiveTime;

    fn quiet() -> QuietHours {
        QuietHours {
            start: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            weekends: true,
        }
    }

    #[test]
    fn late_evening_in_berlin_is_deferred_to_next_morning() {
        // Tuesday 2026-11-24 21:30 in Berlin (UTC+1) = 20:30 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 20, 30, 0).unwrap();
        let until = next_allowed(quiet(), chrono_tz::Europe::Berlin, now).unwrap();
        assert_eq!(until, Utc.with_ymd_and_hms(2026, 11, 25, 7, 0, 0).unwrap());
    }

    #[test]
    fn friday_night_is_deferred_to_monday() {
        // Friday 2026-11-27 22:00 in New York = Saturday 03:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0).unwrap();
        let until = next_allowed(quiet(), chrono_tz::America::New_York, now).unwrap();
        assert_eq!(until, Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap());
    }

    #[test]
    fn working_hours_are_allowed() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        assert_eq!(next_allowed(quiet(), chrono_tz::Europe::London, now), None);
    }

    #[test]
    fn opted_out_contact_is_denied() {
        let ctx = Context {
            contact: Some(Contact {
                suppression: Some(Suppression::OptOut),
                ..Contact::default()
            }),
            ..Context::default()
        };
        let r = check(
            &Guards::default(),
            &ctx,
            Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
        );
        assert!(matches!(&r[0], GuardResult::Deny(m) if m.to_string().contains("opted out")));
    }
}

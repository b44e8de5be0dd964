//! Guards (DESIGN §2): suppression, frequency caps, quiet hours, automated follow-up limits.
//!
//! Pure functions of the policy, the context the store counted, and `now`. Each result is
//! a reason on the decision; guards only ever make a decision stricter or later.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::context::{Context, Suppression};
use crate::policy::Guards;
use crate::policy::config::QuietHours;

/// What one guard says about an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardResult {
    /// Refuse: the contact must not be contacted.
    Deny(String),
    /// Hold for these roles.
    Hold { roles: Vec<String>, reason: String },
    /// Run, but not before this time.
    Defer {
        until: DateTime<Utc>,
        reason: String,
    },
}

/// Runs every guard that applies to an outbound e-mail.
pub fn check(guards: &Guards, ctx: &Context, now: DateTime<Utc>) -> Vec<GuardResult> {
    let mut out = Vec::new();
    if let Some(contact) = &ctx.contact
        && let Some(s) = contact.suppression
    {
        let why = match s {
            Suppression::OptOut => "the contact opted out of e-mail",
            Suppression::DoNotContact => "the contact is marked do-not-contact",
            Suppression::LegalHold => "the contact's account is under legal hold",
        };
        out.push(GuardResult::Deny(format!("suppression: {why}")));
    }
    if let Some(cap) = guards.contact_cap
        && ctx.history.emails_to_contact >= cap.max
    {
        out.push(hold(format!(
            "frequency cap: {} e-mails to this contact in the last {} h (cap {})",
            ctx.history.emails_to_contact, cap.window_hours, cap.max
        )));
    }
    if let Some(cap) = guards.account_cap
        && ctx.history.emails_to_account >= cap.max
    {
        out.push(hold(format!(
            "frequency cap: {} e-mails to this account in the last {} h (cap {})",
            ctx.history.emails_to_account, cap.window_hours, cap.max
        )));
    }
    if let Some(cap) = guards.automated_followups
        && ctx.history.automated_followups >= cap.max
    {
        out.push(hold(format!(
                "no unsupervised pressure: {} automated follow-ups on this opportunity in {} days (limit {})",
                ctx.history.automated_followups, cap.window_days, cap.max
            )));
    }
    if let (Some(quiet), Some(tz)) = (
        guards.quiet_hours,
        ctx.contact.as_ref().and_then(|c| c.timezone.as_deref()),
    ) {
        match tz.parse::<Tz>() {
            Ok(tz) => {
                if let Some(until) = next_allowed(quiet, tz, now) {
                    out.push(GuardResult::Defer {
                        until,
                        reason: format!(
                            "quiet hours in the recipient's time zone ({tz}): deferred to {}",
                            until.with_timezone(&tz).format("%a %Y-%m-%d %H:%M %Z")
                        ),
                    });
                }
            }
            Err(_) => out.push(hold(format!(
                "contact.timezone: `{tz}` is not an IANA time zone, quiet hours cannot be checked"
            ))),
        }
    }
    out
}

fn hold(reason: String) -> GuardResult {
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
        assert!(matches!(&r[0], GuardResult::Deny(m) if m.contains("opted out")));
    }
}

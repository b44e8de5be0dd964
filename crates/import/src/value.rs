//! Cell values as CRMs write them: dates (ISO, Salesforce's `…T10:00:00.000+0000`, a US
//! report's `3/1/2026`, HubSpot's epoch milliseconds), amounts with currency signs and
//! thousands separators, yes/no flags. Anything else is refused with what was expected.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// A date; a date-time gives its (UTC) date.
pub fn date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%m/%d/%Y") {
        return Ok(d);
    }
    if let Ok(t) = datetime(s) {
        return Ok(t.date_naive());
    }
    Err(format!(
        "`{s}` is not a date like 2026-03-01 (or 3/1/2026 as US reports write it)"
    ))
}

/// An instant; a date alone is its midnight UTC.
pub fn datetime(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    // Salesforce's Data Export: 2026-03-01T10:00:00.000+0000 (no colon in the offset).
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M %p",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    for f in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
        }
    }
    // HubSpot's timestamps: milliseconds since 1970.
    if s.len() >= 12
        && s.bytes().all(|b| b.is_ascii_digit())
        && let Some(t) = s
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
    {
        return Ok(t);
    }
    Err(format!(
        "`{s}` is not a date and time like 2026-03-01T10:00:00Z or 2026-03-01 10:00"
    ))
}

/// An amount: `84000`, `84,000.00`, `$84,000`, `€ 84000`.
pub fn amount(s: &str) -> Result<f64, String> {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | '¥' | ',' | ' ' | '\u{a0}'))
        .collect();
    let cleaned = cleaned.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    match cleaned.parse::<f64>() {
        Ok(a) if a.is_finite() && a >= 0.0 => Ok(a),
        _ => Err(format!(
            "`{}` is not an amount like 84000 or 84,000.00",
            s.trim()
        )),
    }
}

/// A percentage or plain number: `60`, `60%`, `0.6` stays 0.6.
pub fn number(s: &str) -> Result<f64, String> {
    let t = s.trim().trim_end_matches('%').trim();
    t.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("`{}` is not a number", s.trim()))
}

/// A flag: true/false, 1/0, yes/no.
pub fn flag(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Ok(true),
        "false" | "0" | "no" | "n" => Ok(false),
        other => Err(format!("`{other}` is not true or false")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn dates_as_crms_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(date("2026-03-01").unwrap(), d);
        assert_eq!(date("3/1/2026").unwrap(), d);
        assert_eq!(date("2026-03-01T10:00:00.000+0000").unwrap(), d);
        let e = date("01.03.2026").unwrap_err();
        assert!(e.contains("`01.03.2026` is not a date"), "{e}");
        assert_eq!(
            datetime("1772359200000").unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
        );
        assert_eq!(
            datetime("2026-03-01T10:00:00.000+0000").unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
        );
    }

    #[test]
    fn amounts_and_flags() {
        assert_eq!(amount("$84,000.00").unwrap(), 84_000.0);
        assert_eq!(amount("EUR 1200").unwrap(), 1200.0);
        assert!(amount("-5").is_err());
        assert!(amount("lots").is_err());
        assert_eq!(number("60%").unwrap(), 60.0);
        assert!(flag("TRUE").unwrap());
        assert!(flag("maybe").is_err());
    }
}

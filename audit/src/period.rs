//! The audit period as people give it: an RFC 3339 instant (`2025-06-01T00:00:00+07:00`), a
//! date alone (`2025-06-01`: local midnight in the audit's time zone), or a month
//! (`--month 2025-06`: its first local midnight to the next month's).
//!
//! Invariant: a resolved period is a half-open UTC interval `[from, to)` with `from < to`; a
//! date means midnight at the start of that day in the audit's offset, for `--to` too (so
//! `--from 2025-06-01 --to 2025-07-01` is June).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::AuditError;

/// `--from` / `--to` as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodBound {
    /// An instant with its offset, already in UTC.
    At(DateTime<Utc>),
    /// A local calendar date: its midnight in the audit's time zone.
    Date(NaiveDate),
}

impl From<DateTime<Utc>> for PeriodBound {
    fn from(t: DateTime<Utc>) -> Self {
        PeriodBound::At(t)
    }
}

impl PeriodBound {
    /// The instant, with dates at local midnight of `offset_hours`.
    pub fn resolve(self, offset_hours: i32) -> DateTime<Utc> {
        match self {
            PeriodBound::At(t) => t,
            PeriodBound::Date(d) => local_midnight(d, offset_hours),
        }
    }
}

/// A calendar month, `--month 2025-06`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    /// Its first day.
    pub first: NaiveDate,
}

impl Month {
    /// The first day of the next month.
    pub fn next(self) -> NaiveDate {
        let (y, m) = if self.first.month() == 12 {
            (self.first.year() + 1, 1)
        } else {
            (self.first.year(), self.first.month() + 1)
        };
        // Day 1 of a valid month always exists.
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(self.first)
    }
}

fn offset(offset_hours: i32) -> FixedOffset {
    // Validated to -12..=14 by AuditConfig::validate; fall back to UTC rather than panic.
    FixedOffset::east_opt(offset_hours * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).unwrap())
}

/// Midnight at the start of `date` in the zone `offset_hours` from UTC, in UTC.
pub fn local_midnight(date: NaiveDate, offset_hours: i32) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A fixed offset has exactly one local midnight.
    offset(offset_hours)
        .from_local_datetime(&naive)
        .single()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

/// An instant in the zone `offset_hours` from UTC, RFC 3339 with that offset
/// (`2025-06-01T00:00:00+07:00`), as every report and error writes times.
pub fn local_rfc3339(t: DateTime<Utc>, offset_hours: i32) -> String {
    t.with_timezone(&offset(offset_hours))
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Parses `--from`/`--to`: RFC 3339 (any offset) or a date `YYYY-MM-DD`.
pub fn parse_bound(s: &str) -> Result<PeriodBound, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(PeriodBound::At(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(PeriodBound::Date)
        .map_err(|_| {
            format!(
                "`{s}` is neither a date such as 2025-06-01 (local midnight) nor an RFC 3339 time such as 2025-06-01T00:00:00+07:00"
            )
        })
}

/// Parses `--month YYYY-MM`.
pub fn parse_month(s: &str) -> Result<Month, String> {
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 7)
        .map(|first| Month { first })
        .ok_or_else(|| format!("`{s}` is not a month such as 2025-06"))
}

/// The period `[from, to)` in UTC from `--from`/`--to` or `--month`, dates and months at local
/// midnight of `offset_hours`.
pub fn resolve(
    from: Option<PeriodBound>,
    to: Option<PeriodBound>,
    month: Option<Month>,
    offset_hours: i32,
) -> Result<(DateTime<Utc>, DateTime<Utc>), AuditError> {
    let (from, to) = match (from, to, month) {
        (None, None, Some(m)) => (
            local_midnight(m.first, offset_hours),
            local_midnight(m.next(), offset_hours),
        ),
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            return Err(AuditError::Period(
                "give either --month (e.g. --month 2025-06) or --from and --to, not both".into(),
            ));
        }
        (Some(f), Some(t), None) => (f.resolve(offset_hours), t.resolve(offset_hours)),
        _ => {
            return Err(AuditError::Period(
                "give --from and --to (e.g. --from 2025-06-01 --to 2025-07-01) or --month (e.g. --month 2025-06)".into(),
            ));
        }
    };
    if from >= to {
        return Err(AuditError::Period(format!(
            "--from {} is not before --to {}",
            local_rfc3339(from, offset_hours),
            local_rfc3339(to, offset_hours)
        )));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn dates_are_local_midnight() {
        let d = parse_bound("2025-06-01").unwrap();
        assert_eq!(d.resolve(7), utc(2025, 5, 31, 17));
        assert_eq!(d.resolve(0), utc(2025, 6, 1, 0));
        let t = parse_bound("2025-06-01T07:00:00+07:00").unwrap();
        assert_eq!(t.resolve(7), utc(2025, 6, 1, 0));
        let err = parse_bound("2025-13-01").unwrap_err();
        assert!(
            err.contains("2025-13-01") && err.contains("2025-06-01"),
            "{err}"
        );
        assert!(parse_bound("01/06/2025").is_err());
    }

    #[test]
    fn months_run_from_local_midnight_to_the_next() {
        let m = parse_month("2025-06").unwrap();
        assert_eq!(
            resolve(None, None, Some(m), 7).unwrap(),
            (utc(2025, 5, 31, 17), utc(2025, 6, 30, 17))
        );
        let dec = parse_month("2024-12").unwrap();
        assert_eq!(dec.next(), NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        for bad in ["2025-6", "2025-13", "June", "2025-06-01"] {
            assert!(parse_month(bad).unwrap_err().contains("2025-06"), "{bad}");
        }
    }

    #[test]
    fn period_errors_name_what_to_give() {
        let m = parse_month("2025-06").ok();
        let d = parse_bound("2025-06-01").ok();
        let msg = |r: Result<_, AuditError>| r.unwrap_err().to_string();
        assert!(msg(resolve(d, None, m, 7)).contains("not both"));
        assert!(msg(resolve(d, None, None, 7)).contains("--month"));
        let later = parse_bound("2025-05-01").ok();
        let e = msg(resolve(d, later, None, 7));
        assert!(
            e.contains("2025-06-01T00:00:00+07:00") && e.contains("2025-05-01T00:00:00+07:00"),
            "local times with the offset: {e}"
        );
        assert_eq!(
            local_rfc3339(utc(2025, 5, 31, 17), 7),
            "2025-06-01T00:00:00+07:00"
        );
    }
}

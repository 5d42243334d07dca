//! The `clock` check: synchronised, not synchronised (or a time before 2020, which the
//! collector rejects), unknown, or last synchronised more than a day ago. Pure: no I/O.

use super::report::{Check, age};
use chrono::{DateTime, Utc};
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill};

/// The `clock` line: ✔ synchronised, ✘ not synchronised (or a time before 2020), `!` unknown
/// or last synchronised more than a day ago.
pub fn clock_check(
    synced: Option<bool>,
    age_s: Option<f64>,
    now: DateTime<Utc>,
    lang: Lang,
) -> Check {
    let t = text(lang);
    let name = "clock";
    if now.timestamp() < 1_577_836_800 {
        return Check::fail(
            name,
            fill(
                t.clock_before_2020,
                &[("time", &now.format("%Y-%m-%d %H:%M UTC"))],
            ),
            t.clock_before_2020_fix,
        );
    }
    match synced {
        Some(true) => match age_s {
            Some(a) if a > 86_400.0 => Check::warn(
                name,
                fill(t.clock_stale, &[("age", &age(lang, a))]),
                t.clock_stale_fix,
            ),
            Some(a) => Check::pass(name, fill(t.clock_synced_age, &[("age", &age(lang, a))])),
            None => Check::pass(name, t.clock_synced),
        },
        Some(false) => Check::fail(name, t.clock_not_synced, t.clock_not_synced_fix),
        None => Check::warn(name, t.clock_unknown, t.clock_unknown_fix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    #[test]
    fn clock_lines() {
        let now = Utc::now();
        assert_eq!(
            clock_check(Some(true), Some(30.0), now, Lang::En).status,
            Status::Pass
        );
        assert!(
            clock_check(Some(true), Some(30.0), now, Lang::En)
                .detail
                .contains("30 s")
        );
        assert_eq!(
            clock_check(Some(true), None, now, Lang::En).status,
            Status::Pass
        );
        assert_eq!(
            clock_check(Some(true), Some(200_000.0), now, Lang::En).status,
            Status::Warn
        );
        assert_eq!(
            clock_check(Some(false), None, now, Lang::En).status,
            Status::Fail
        );
        assert_eq!(clock_check(None, None, now, Lang::En).status, Status::Warn);
        let epoch = DateTime::from_timestamp(0, 0).unwrap();
        let c = clock_check(Some(true), None, epoch, Lang::En);
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("1970-01-01"), "{c:?}");
    }
}

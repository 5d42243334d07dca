//! Rollup points on hand-built hourly aggregates and the real bac-kan-2020 set, with every
//! expected figure worked out by hand in the comments.

use super::*;
use crate::source::hourly::HourlyPosition;
use crate::source::{FieldCounts, MeasurementPosition, MobileKey, MobileRow};
use crate::test_registry as registry;
use chrono::TimeZone;

/// Inside bac-kan-2020 commune 01834 (district 058, 8 communes; province 06, 108 communes).
const IN_01834: (f64, f64) = (22.162534, 105.844234);

fn row(operator: &str, hour: i64, samples: u64, usable: u64) -> MobileRow {
    MobileRow {
        key: MobileKey {
            site: "s1".into(),
            operator: operator.into(),
            tech: "lte".into(),
            reg: "home".into(),
            placement: "outdoor".into(),
            hour,
        },
        all: FieldCounts {
            samples,
            rsrp_dbm: samples,
            usable,
            ..FieldCounts::default()
        },
        unsynced: FieldCounts::default(),
    }
}

/// Local day 2025-06-10 (+07:00) starts at 2025-06-09T17:00Z.
fn local_hour(day: u32, hour: u32) -> i64 {
    Utc.with_ymd_and_hms(2025, 6, day, hour, 0, 0)
        .unwrap()
        .timestamp_millis()
        - 7 * HOUR_MS
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, d).unwrap()
}

fn cfg() -> AuditConfig {
    AuditConfig {
        min_samples: 10,
        min_distinct_hours: 2,
        ..AuditConfig::default()
    }
}

/// Site s1 in 01834, no registry: 452-04 gives 10 usable of 10 at 01:00 and 02:00 on the 9th
/// and 5 of 10 at 03:00 on the 10th; 452-02 gives 6 of 6 at 04:00 and 05:00 on the 10th.
fn span() -> HourlyAggregates {
    let position = |hour| HourlyPosition {
        hour,
        position: MeasurementPosition {
            site: "s1".into(),
            measurement: "signal".into(),
            ts_ms: hour,
            lat: IN_01834.0,
            lon: IN_01834.1,
        },
    };
    let hours = [
        ("452-04", local_hour(9, 1), 10, 10),
        ("452-04", local_hour(9, 2), 10, 10),
        ("452-04", local_hour(10, 3), 10, 5),
        ("452-02", local_hour(10, 4), 6, 6),
        ("452-02", local_hour(10, 5), 6, 6),
    ];
    HourlyAggregates {
        from: Window::day(day(9), 7).from,
        to: Window::day(day(10), 7).to,
        mobile: hours
            .iter()
            .map(|(o, h, n, u)| row(o, *h, *n, *u))
            .collect(),
        fibre: vec![],
        throughput: vec![],
        positions: hours.iter().map(|(_, h, _, _)| position(*h)).collect(),
    }
}

fn find<'a>(
    points: &'a [AreaPoint],
    level: AreaLevel,
    service: &str,
    operator: &str,
    area: Option<&str>,
) -> &'a AreaPoint {
    points
        .iter()
        .find(|p| {
            p.level == level
                && p.service == service
                && p.operator == operator
                && match level {
                    AreaLevel::Commune => p.commune.as_ref().map(|c| c.0.as_str()) == area,
                    AreaLevel::District => p.district.as_ref().map(|c| c.0.as_str()) == area,
                    AreaLevel::Province => true,
                }
        })
        .unwrap_or_else(|| panic!("no {level:?} {service} {operator} {area:?} point"))
}

#[test]
fn a_day_and_its_trailing_period_by_hand() {
    let registry = registry();
    let cfg = cfg();
    let inputs = RollupInputs {
        registry: &registry,
        cfg: &cfg,
        period_days: 2,
    };
    let points = window_points(&inputs, &span(), Window::day(day(10), 7)).unwrap();
    // 108 communes x (any, 452-02, 452-04, fibre) + 8 districts x 4 + 1 province x 4.
    assert_eq!(points.len(), 108 * 4 + 8 * 4 + 4);
    let c = |op| find(&points, AreaLevel::Commune, "mobile", op, Some("01834"));

    // The 10th alone: 452-04 has 10 counted, 5 usable in one hour (2 distinct needed):
    // insufficient_data, share 0.5. 452-02: 12 of 12 in two hours: covered, share 1.
    let viettel = c("452-04");
    assert_eq!(viettel.figures.verdict, Some("insufficient_data"));
    assert_eq!(
        (viettel.figures.counted, viettel.figures.usable),
        (Some(10), Some(5))
    );
    assert_eq!(viettel.figures.usable_share, Some(0.5));
    assert_eq!(viettel.figures.sites, 1);
    // Over the 9th and 10th: 25 usable of 30 in three hours, below 95 %: not_covered, 0.8333.
    let period = viettel.period.as_ref().unwrap();
    assert_eq!(period.days, 2);
    assert_eq!(period.verdict, Some("not_covered"));
    assert_eq!(period.usable_share, Some(0.8333));
    assert_eq!(c("452-02").figures.verdict, Some("covered"));

    // `any`: covered, decided by 452-02, so its figures: 12 of 12.
    let any = c("any");
    assert_eq!(any.figures.verdict, Some("covered"));
    assert_eq!(
        (
            any.figures.counted,
            any.figures.usable,
            any.figures.usable_share
        ),
        (Some(12), Some(12), Some(1.0))
    );
    assert_eq!(any.period.as_ref().unwrap().verdict, Some("covered"));
    assert_eq!(any.period.as_ref().unwrap().usable_share, Some(1.0));
    assert_eq!(
        any.commune.as_ref().unwrap().1,
        "Phường Nguyễn Thị Minh Khai"
    );
    assert_eq!(any.district.as_ref().unwrap().0, "058");
    assert_eq!(any.province.0, "06");

    // A commune without a site: no_site, nothing counted.
    let empty = find(&points, AreaLevel::Commune, "mobile", "any", Some("01837"));
    assert_eq!(empty.figures.verdict, Some("no_site"));
    assert_eq!(empty.figures.counted, Some(0));
    assert_eq!(empty.figures.usable_share, None);

    // District 058: 1 covered, 7 without a site: insufficient_data (not every commune
    // covered, none not covered). Trailing, 452-04: its one commune not covered.
    let d = find(&points, AreaLevel::District, "mobile", "any", Some("058"));
    assert_eq!(d.figures.verdict, Some("insufficient_data"));
    let t = d.figures.tally.unwrap();
    assert_eq!((t.covered, t.no_site, t.areas()), (1, 7, 8));
    assert_eq!(d.figures.counted, Some(12));
    let dv = find(
        &points,
        AreaLevel::District,
        "mobile",
        "452-04",
        Some("058"),
    );
    let dp = dv.period.as_ref().unwrap();
    assert_eq!(dp.verdict, Some("not_covered"));
    let t = dp.tally.unwrap();
    assert_eq!((t.not_covered, t.no_site), (1, 7));
    // Bounds of a claim over the district's 8 communes: lower 0/8, upper 7/8 = 87.5 %.
    assert_eq!(t.bounds_pct(), Some((0.0, 87.5)));

    // Province: 1 of 108 communes covered: lower 0.93 %, upper 100 %.
    let p = find(&points, AreaLevel::Province, "mobile", "any", None);
    assert_eq!(p.figures.verdict, None);
    let t = p.period.as_ref().unwrap().tally.unwrap();
    assert_eq!(t.bounds_pct(), Some((0.93, 100.0)));

    // Fibre: no fibre site anywhere; a day has 24 windows.
    let f = find(&points, AreaLevel::Commune, "fibre", "any", Some("01834"));
    assert_eq!(f.figures.verdict, Some("no_site"));
    assert_eq!(f.figures.windows.unwrap().total, 24);
    // bac-kan-2020 has districts: the province's fibre areas are its 8 districts.
    let pf = find(&points, AreaLevel::Province, "fibre", "any", None);
    assert_eq!(pf.figures.tally.unwrap().no_site, 8);
}

#[test]
fn an_hour_without_a_deciding_operator_shows_every_operator_together() {
    let registry = registry();
    let cfg = cfg();
    let inputs = RollupInputs {
        registry: &registry,
        cfg: &cfg,
        period_days: 2,
    };
    let hour = Window::hour(local_hour(10, 3));
    let points = window_points(&inputs, &span(), hour).unwrap();
    let any = find(&points, AreaLevel::Commune, "mobile", "any", Some("01834"));
    // 03:00 on the 10th: 452-04's 5 of 10 only; one hour never decides.
    assert_eq!(any.figures.verdict, Some("insufficient_data"));
    assert_eq!(
        (
            any.figures.counted,
            any.figures.usable,
            any.figures.usable_share
        ),
        (Some(10), Some(5), Some(0.5))
    );
    assert!(any.period.is_none(), "hours carry no trailing period");
    assert!(points.iter().all(|p| p.window == hour));
}

#[test]
fn a_late_hour_touches_its_day_and_the_following_trailing_periods_that_are_closed() {
    let h = local_hour(10, 3);
    let closed = Window::day(day(12), 7).to;
    assert_eq!(affected_days(h, 3, 7, closed), [day(10), day(11), day(12)]);
    assert_eq!(affected_days(h, 30, 7, closed), [day(10), day(11), day(12)]);
    let before_12th_ends = closed - Duration::minutes(1);
    assert_eq!(
        affected_days(h, 30, 7, before_12th_ends),
        [day(10), day(11)]
    );
    // 23:30 UTC on the 9th is 06:30 on the 10th in Vietnam.
    let utc_late = Utc.with_ymd_and_hms(2025, 6, 9, 23, 30, 0).unwrap();
    assert_eq!(local_date(utc_late, 7), day(10));
    let windows = [Window::day(day(10), 7), Window::hour(h)];
    let (from, to) = span_of(&windows, 3).unwrap();
    assert_eq!(from, Window::day(day(8), 7).from);
    assert_eq!(to, Window::day(day(10), 7).to);
}

#[test]
fn a_window_outside_the_span_is_refused() {
    let registry = registry();
    let cfg = cfg();
    let inputs = RollupInputs {
        registry: &registry,
        cfg: &cfg,
        period_days: 3,
    };
    // The 10th's 3-day period starts on the 8th, before the span.
    let err = window_points(&inputs, &span(), Window::day(day(10), 7)).unwrap_err();
    assert!(
        err.to_string().contains("not inside the fetched span"),
        "{err}"
    );
}

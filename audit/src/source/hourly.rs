//! Aggregates of a span kept per hour throughout, so that one fetch serves every window of
//! whole hours inside it ([`HourlyAggregates::window`]): the coordinator's rollups fetch a span
//! once and cut out each hour, day and trailing period.
//!
//! [`Aggregates`] already holds mobile and fibre rows per hour; what it holds per period is
//! cut finer here:
//!
//! - throughput: per site, direction **and hour**, with the sum of the measured rates, so a
//!   window's mean is `sum / samples` over its hours, summed in hour order, rounded as
//!   [`round_mbps`] rounds InfluxDB's `mean()` (which sums in its own order: the two agree
//!   unless a mean falls within float error of a 1 kbit/s rounding boundary, as the archive
//!   and InfluxQL sources already do);
//! - positions: the last position of each site and measurement **in each hour**; a window's
//!   position per measurement is that of its latest hour with one, and the measurements are
//!   then resolved by [`resolve_positions`], exactly as for a period.
//!
//! Invariant: for any `[from, to)` of whole hours inside the span,
//! `window(from, to)` equals the [`Aggregates`] an audit of `[from, to)` fetches, except for
//! [`SitePosition::ts_ms`] where InfluxDB answered per hour (see [`HourlyPosition`]); the
//! report built from them is the same (tested against both sources).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::source::{
    Aggregates, FibreRow, HOUR_MS, MeasurementPosition, MobileRow, ThroughputRow,
    resolve_positions, round_mbps,
};

/// One site, direction and hour of fibre throughput transfers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourlyThroughputRow {
    /// `site` tag.
    pub site: String,
    /// `direction` tag.
    pub direction: String,
    /// Hour bucket start, ms.
    pub hour: i64,
    /// Transfers (`count(bytes)`).
    pub transfers: u64,
    /// Transfers with a measured speed (`count(mbps)`).
    pub samples: u64,
    /// `sum(mbps)`.
    pub sum_mbps: f64,
}

/// The last position of one site in one measurement and hour.
///
/// `position.ts_ms` is the point's time from the archive. InfluxDB answers `last()` grouped by
/// hour with the hour's start, so from InfluxDB it is the hour's start, except in an hour whose
/// measurements disagree on the position: there the source asks again for that site and hour
/// without grouping, and the times are the points' own, so the window resolves the hour's
/// measurements as an audit would.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourlyPosition {
    /// Hour bucket start, ms.
    pub hour: i64,
    /// The position, with its measurement.
    pub position: MeasurementPosition,
}

/// Every hourly row of a span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourlyAggregates {
    /// Span start (inclusive).
    pub from: DateTime<Utc>,
    /// Span end (exclusive).
    pub to: DateTime<Utc>,
    /// Hourly `signal` groups, sorted by key.
    pub mobile: Vec<MobileRow>,
    /// Hourly fibre groups per site, sorted by (site, hour).
    pub fibre: Vec<FibreRow>,
    /// Hourly throughput per site and direction.
    pub throughput: Vec<HourlyThroughputRow>,
    /// Hourly last positions per site and measurement.
    pub positions: Vec<HourlyPosition>,
}

impl HourlyAggregates {
    /// Sorts every list by its key (hours last), so a window sums the same rows in the same
    /// order whatever order the source produced them in (float sums depend on the order).
    pub fn normalise(&mut self) {
        let mut plain = Aggregates {
            mobile: std::mem::take(&mut self.mobile),
            fibre: std::mem::take(&mut self.fibre),
            throughput: Vec::new(),
            positions: Vec::new(),
        };
        plain.normalise();
        self.mobile = plain.mobile;
        self.fibre = plain.fibre;
        self.throughput.sort_by(|a, b| {
            (a.site.as_str(), a.direction.as_str(), a.hour).cmp(&(
                b.site.as_str(),
                b.direction.as_str(),
                b.hour,
            ))
        });
        self.positions.sort_by(|a, b| {
            (
                a.position.site.as_str(),
                a.hour,
                a.position.measurement.as_str(),
            )
                .cmp(&(
                    b.position.site.as_str(),
                    b.hour,
                    b.position.measurement.as_str(),
                ))
        });
    }

    /// The aggregates of `[from, to)`: the rows of every hour bucket that overlaps it. Exact
    /// for whole hours inside the span (and for the span itself, whatever its bounds, since
    /// its points were taken from exactly `[self.from, self.to)`).
    pub fn window(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Aggregates {
        let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
        let inside = |hour: i64| hour + HOUR_MS > from_ms && hour < to_ms;
        let mobile = self
            .mobile
            .iter()
            .filter(|r| inside(r.key.hour))
            .cloned()
            .collect();
        let fibre = self
            .fibre
            .iter()
            .filter(|r| inside(r.hour))
            .cloned()
            .collect();
        let mut sums: BTreeMap<(&str, &str), (u64, u64, f64)> = BTreeMap::new();
        for r in self.throughput.iter().filter(|r| inside(r.hour)) {
            let e = sums.entry((&r.site, &r.direction)).or_default();
            e.0 += r.transfers;
            e.1 += r.samples;
            e.2 += r.sum_mbps;
        }
        let throughput = sums
            .into_iter()
            .filter(|(_, (transfers, samples, _))| *transfers > 0 || *samples > 0)
            .map(
                |((site, direction), (transfers, samples, sum))| ThroughputRow {
                    site: site.to_owned(),
                    direction: direction.to_owned(),
                    transfers,
                    samples,
                    mean_mbps: (samples > 0).then(|| round_mbps(sum / samples as f64)),
                },
            )
            .collect();
        let mut last: BTreeMap<(&str, &str), &HourlyPosition> = BTreeMap::new();
        for p in self.positions.iter().filter(|p| inside(p.hour)) {
            let key = (p.position.site.as_str(), p.position.measurement.as_str());
            match last.get(&key) {
                Some(b) if (b.hour, b.position.ts_ms) >= (p.hour, p.position.ts_ms) => {}
                _ => {
                    last.insert(key, p);
                }
            }
        }
        let positions = resolve_positions(last.into_values().map(|p| p.position.clone()).collect());
        let mut out = Aggregates {
            mobile,
            fibre,
            throughput,
            positions,
        };
        out.normalise();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FieldCounts, MobileKey};
    use chrono::TimeZone;

    fn pos(site: &str, m: &str, hour: i64, ts: i64, lat: f64) -> HourlyPosition {
        HourlyPosition {
            hour,
            position: MeasurementPosition {
                site: site.into(),
                measurement: m.into(),
                ts_ms: ts,
                lat,
                lon: 105.0,
            },
        }
    }

    #[test]
    fn a_window_keeps_its_hours_and_recomputes_means_and_positions() {
        let h = |n: i64| n * HOUR_MS;
        let t = |n: i64| Utc.timestamp_millis_opt(h(n)).unwrap();
        let key = |hour| MobileKey {
            site: "s".into(),
            operator: "452-04".into(),
            tech: "lte".into(),
            reg: "home".into(),
            placement: String::new(),
            hour,
        };
        let counts = FieldCounts {
            samples: 3,
            ..Default::default()
        };
        let tp = |hour, samples, sum| HourlyThroughputRow {
            site: "s".into(),
            direction: "down".into(),
            hour,
            transfers: samples + 1,
            samples,
            sum_mbps: sum,
        };
        let span = HourlyAggregates {
            from: t(0),
            to: t(4),
            mobile: (0..4)
                .map(|n| MobileRow {
                    key: key(h(n)),
                    all: counts,
                    unsynced: FieldCounts::default(),
                })
                .collect(),
            fibre: vec![],
            throughput: vec![tp(h(0), 1, 100.0), tp(h(1), 2, 50.0), tp(h(3), 1, 7.0)],
            positions: vec![
                pos("s", "signal", h(0), h(0) + 10, 1.0),
                pos("s", "heartbeat", h(1), h(1) + 5, 2.0),
                pos("s", "signal", h(1), h(1) + 9, 3.0),
                pos("s", "signal", h(3), h(3), 4.0),
            ],
        };
        let w = span.window(t(0), t(2));
        assert_eq!(w.mobile.len(), 2);
        assert_eq!(w.mobile[1].key.hour, h(1));
        // (100 + 50) / 3 samples, 5 transfers.
        assert_eq!(w.throughput.len(), 1);
        assert_eq!(w.throughput[0].transfers, 5);
        assert_eq!(w.throughput[0].mean_mbps, Some(50.0));
        // Hour 1: signal at +9 beats heartbeat at +5.
        assert_eq!(w.positions.len(), 1);
        assert_eq!(w.positions[0].lat, 3.0);
        let w = span.window(t(0), t(1));
        assert_eq!(w.positions[0].lat, 1.0);
        assert_eq!(w.throughput[0].mean_mbps, Some(100.0));
        let w = span.window(t(2), t(3));
        assert_eq!(w.mobile.len(), 1);
        assert!(w.throughput.is_empty() && w.positions.is_empty(), "{w:?}");
    }
}

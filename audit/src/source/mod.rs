//! The seam between storage and verdicts: hourly aggregate rows and the sources that make them.
//!
//! Two sources produce the **same** rows for the same points: [`influxql::InfluxQlSource`] asks
//! InfluxDB (at a [`QueryEndpoint`]) for aggregates (never raw rows for the period), and
//! [`archive::ArchiveSource`] computes them in memory from line-protocol files. Rows hold raw
//! counts only, not classes: the verdict stage derives sample classes from them with
//! `coverage_shared::signal::classify_parts`, so both sources are judged by one rule.
//!
//! Invariants of [`Aggregates`]:
//!
//! - rows are sorted by their key and keys are unique (both sources call [`Aggregates::normalise`]);
//! - an hour is the UTC hour bucket `floor(ts / 1 h)`, as InfluxQL's `GROUP BY time(1h)`, given
//!   as its start in milliseconds since the epoch; only points with `from <= ts < to` count;
//! - tags missing from a point group as the empty string, as InfluxQL's `GROUP BY` does;
//! - a row exists only for a group with at least one point (`fill(none)`).

pub mod archive;
mod endpoint;
pub mod hourly;
pub mod influxql;

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use coverage_shared::signal::UsablePolicy;
use serde::Serialize;

use crate::AuditError;

pub use endpoint::QueryEndpoint;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// The hour bucket (start, ms) a millisecond timestamp falls in.
pub fn hour_of(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// What to aggregate: the period, the usable policy, the fibre target.
#[derive(Debug, Clone)]
pub struct AggregateQuery {
    /// First instant of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Decides which samples are usable (written into the InfluxQL `WHERE`).
    pub policy: UsablePolicy,
    /// `target` of the fibre rounds that count; `None` = every fibre round.
    pub fibre_target: Option<String>,
}

impl AggregateQuery {
    /// `from` in nanoseconds since the epoch (InfluxDB's resolution).
    pub fn from_ns(&self) -> i64 {
        self.from.timestamp_nanos_opt().unwrap_or(i64::MIN)
    }

    /// `to` in nanoseconds since the epoch.
    pub fn to_ns(&self) -> i64 {
        self.to.timestamp_nanos_opt().unwrap_or(i64::MAX)
    }

    /// `from` as RFC 3339 (UTC, `Z`), as written in queries and reports.
    pub fn from_rfc3339(&self) -> String {
        self.from.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// `to` as RFC 3339 (UTC, `Z`).
    pub fn to_rfc3339(&self) -> String {
        self.to.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

/// Counts of `signal` points in one group: all points, those with each deciding value, and
/// those meeting the usable condition (the InfluxQL `WHERE` / `classify_parts` with the clock
/// ignored).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FieldCounts {
    /// Points (`count(seq)`; every reading has `seq`).
    pub samples: u64,
    /// Points with `rsrp_dbm` (LTE, NR-NSA).
    pub rsrp_dbm: u64,
    /// Points with `ss_rsrp_dbm` (NR-SA).
    pub ss_rsrp_dbm: u64,
    /// Points with `rscp_dbm` (UMTS).
    pub rscp_dbm: u64,
    /// Points with `rssi_dbm` (GSM).
    pub rssi_dbm: u64,
    /// Points meeting the usable condition, whatever their clock.
    pub usable: u64,
}

impl FieldCounts {
    /// How many points carry `field` (one of the deciding fields), 0 for any other name.
    pub fn with_field(&self, field: &str) -> u64 {
        match field {
            "rsrp_dbm" => self.rsrp_dbm,
            "ss_rsrp_dbm" => self.ss_rsrp_dbm,
            "rscp_dbm" => self.rscp_dbm,
            "rssi_dbm" => self.rssi_dbm,
            _ => 0,
        }
    }

    /// Adds `other` field by field.
    pub fn add(&mut self, other: &FieldCounts) {
        self.samples += other.samples;
        self.rsrp_dbm += other.rsrp_dbm;
        self.ss_rsrp_dbm += other.ss_rsrp_dbm;
        self.rscp_dbm += other.rscp_dbm;
        self.rssi_dbm += other.rssi_dbm;
        self.usable += other.usable;
    }

    /// `self - other` field by field, never below zero.
    pub fn minus(&self, other: &FieldCounts) -> FieldCounts {
        FieldCounts {
            samples: self.samples.saturating_sub(other.samples),
            rsrp_dbm: self.rsrp_dbm.saturating_sub(other.rsrp_dbm),
            ss_rsrp_dbm: self.ss_rsrp_dbm.saturating_sub(other.ss_rsrp_dbm),
            rscp_dbm: self.rscp_dbm.saturating_sub(other.rscp_dbm),
            rssi_dbm: self.rssi_dbm.saturating_sub(other.rssi_dbm),
            usable: self.usable.saturating_sub(other.usable),
        }
    }
}

/// The grouping of mobile rows: `GROUP BY site, operator, tech, reg, placement, time(1h)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MobileKey {
    /// `site` tag.
    pub site: String,
    /// `operator` tag (`MCC-MNC`).
    pub operator: String,
    /// `tech` tag, raw.
    pub tech: String,
    /// `reg` tag, raw.
    pub reg: String,
    /// `placement` tag, raw (empty when the point had none).
    pub placement: String,
    /// Hour bucket start, ms since the epoch (UTC).
    pub hour: i64,
}

/// One hourly group of `signal` points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MobileRow {
    /// The group.
    pub key: MobileKey,
    /// Counts over every point of the group.
    pub all: FieldCounts,
    /// The same counts over the points with `clock_synced = false` (excluded later).
    pub unsynced: FieldCounts,
}

/// One site and hour of fibre rounds (`link = fibre`, to the configured target).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FibreRow {
    /// `site` tag.
    pub site: String,
    /// Hour bucket start, ms since the epoch (UTC).
    pub hour: i64,
    /// Rounds (`count(seq)`).
    pub rounds: u64,
    /// `sum(sent)`.
    pub sent: i64,
    /// `sum(received)`.
    pub received: i64,
    /// `median(rtt_p50_ms)` over the rounds that have one; `None` when none has.
    pub rtt_p50_median_ms: Option<f64>,
}

/// One site and direction of fibre throughput transfers (`link = fibre`) over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThroughputRow {
    /// `site` tag.
    pub site: String,
    /// `direction` tag (`down`, `up`; raw).
    pub direction: String,
    /// Transfers (`count(bytes)`; failed ones included).
    pub transfers: u64,
    /// Transfers with a measured speed (`count(mbps)`).
    pub samples: u64,
    /// `mean(mbps)` rounded to 1 kbit/s ([`round_mbps`]), so both sources agree whatever the
    /// order they sum in; `None` without a measured transfer.
    pub mean_mbps: Option<f64>,
}

/// A speed rounded to 0.001 Mbit/s.
pub fn round_mbps(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The span of time a store holds readings for, whatever the period asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoreSpan {
    /// Time of the first reading, ms since the epoch.
    pub first_ms: i64,
    /// Time of the last reading, ms since the epoch.
    pub last_ms: i64,
}

/// The last position a site reported in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePosition {
    /// Site id.
    pub site: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Time of the point it comes from, ms since the epoch.
    pub ts_ms: i64,
}

/// The last position of a site in one measurement (InfluxQL `last(pos_lat), pos_lon`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasurementPosition {
    /// Site id.
    pub site: String,
    /// Measurement name.
    pub measurement: String,
    /// Time of the point, ms.
    pub ts_ms: i64,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// Picks each site's latest position across measurements: latest time wins; at equal times the
/// measurement whose name sorts last wins (an arbitrary but fixed rule both sources share).
pub fn resolve_positions(per_measurement: Vec<MeasurementPosition>) -> Vec<SitePosition> {
    let mut best: BTreeMap<String, MeasurementPosition> = BTreeMap::new();
    for p in per_measurement {
        if p.site.is_empty() || !p.lat.is_finite() || !p.lon.is_finite() {
            continue;
        }
        match best.get(&p.site) {
            Some(b) if (b.ts_ms, &b.measurement) >= (p.ts_ms, &p.measurement) => {}
            _ => {
                best.insert(p.site.clone(), p);
            }
        }
    }
    best.into_values()
        .map(|p| SitePosition {
            site: p.site,
            lat: p.lat,
            lon: p.lon,
            ts_ms: p.ts_ms,
        })
        .collect()
}

/// Where the rows came from, for the report's provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceInfo {
    /// InfluxQL aggregates from an InfluxDB server.
    Influxql {
        /// Base URL (without credentials).
        url: String,
        /// Database queried.
        database: String,
        /// Every statement run, in order.
        queries: Vec<String>,
    },
    /// Line-protocol archive files aggregated in memory.
    Archive {
        /// Each file read.
        files: Vec<ArchiveFileInfo>,
        /// The InfluxQL statements these aggregates are equal to.
        equivalent_queries: Vec<String>,
    },
}

/// One archive file read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveFileInfo {
    /// Path as given.
    pub path: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Lines read.
    pub lines: u64,
    /// Lines that did not parse as line protocol (skipped and counted).
    pub unparsed_lines: u64,
    /// Points dropped as repeats of an earlier point (same measurement, tags and time), as
    /// InfluxDB would store them once.
    pub duplicate_points: u64,
}

/// Everything the verdicts need from storage for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregates {
    /// Hourly `signal` groups, sorted by key.
    pub mobile: Vec<MobileRow>,
    /// Hourly fibre groups per site, sorted by (site, hour).
    pub fibre: Vec<FibreRow>,
    /// Fibre throughput per site and direction, sorted by (site, direction).
    pub throughput: Vec<ThroughputRow>,
    /// Last position per site, sorted by site.
    pub positions: Vec<SitePosition>,
}

impl Aggregates {
    /// Sorts rows and merges repeated keys (a chunked answer may split a group across chunks).
    pub fn normalise(&mut self) {
        let mut mobile: BTreeMap<MobileKey, (FieldCounts, FieldCounts)> = BTreeMap::new();
        for row in self.mobile.drain(..) {
            let e = mobile.entry(row.key).or_default();
            e.0.add(&row.all);
            e.1.add(&row.unsynced);
        }
        self.mobile = mobile
            .into_iter()
            .map(|(key, (all, unsynced))| MobileRow { key, all, unsynced })
            .collect();
        self.fibre
            .sort_by(|a, b| (a.site.as_str(), a.hour).cmp(&(b.site.as_str(), b.hour)));
        self.throughput.sort_by(|a, b| {
            (a.site.as_str(), a.direction.as_str()).cmp(&(b.site.as_str(), b.direction.as_str()))
        });
        self.positions.sort_by(|a, b| a.site.cmp(&b.site));
    }

    /// Whether the period holds nothing at all that the audit reads.
    pub fn is_empty(&self) -> bool {
        self.mobile.is_empty()
            && self.fibre.is_empty()
            && self.throughput.is_empty()
            && self.positions.is_empty()
    }
}

/// A place that answers [`AggregateQuery`]s with [`Aggregates`].
pub trait AggregateSource {
    /// Computes the hourly aggregates of the period, and says how.
    fn fetch(
        &self,
        query: &AggregateQuery,
    ) -> impl std::future::Future<Output = Result<(Aggregates, SourceInfo), AuditError>> + Send;

    /// The aggregates of the period kept per hour ([`hourly::HourlyAggregates`]), so each
    /// window of whole hours inside it can be cut out without asking again.
    fn fetch_hourly(
        &self,
        query: &AggregateQuery,
    ) -> impl std::future::Future<
        Output = Result<(hourly::HourlyAggregates, SourceInfo), AuditError>,
    > + Send;

    /// The span of time the store holds readings for (any measurement, any time); `None` when
    /// it holds none. Asked only to explain an empty period.
    fn span(
        &self,
    ) -> impl std::future::Future<Output = Result<Option<StoreSpan>, AuditError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_utc_buckets() {
        assert_eq!(hour_of(0), 0);
        assert_eq!(hour_of(HOUR_MS - 1), 0);
        assert_eq!(hour_of(HOUR_MS), HOUR_MS);
        assert_eq!(hour_of(-1), -HOUR_MS);
    }

    #[test]
    fn latest_position_wins_with_a_fixed_tie_break() {
        let p = |m: &str, ts, lat| MeasurementPosition {
            site: "s".into(),
            measurement: m.into(),
            ts_ms: ts,
            lat,
            lon: 105.0,
        };
        let out = resolve_positions(vec![
            p("signal", 10, 1.0),
            p("heartbeat", 20, 2.0),
            p("latency", 5, 3.0),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].lat, 2.0);
        let out = resolve_positions(vec![p("signal", 10, 1.0), p("heartbeat", 10, 2.0)]);
        assert_eq!(out[0].lat, 1.0, "signal sorts after heartbeat");
        let out = resolve_positions(vec![p("heartbeat", 10, 2.0), p("signal", 10, 1.0)]);
        assert_eq!(out[0].lat, 1.0, "order of arrival does not matter");
    }

    #[test]
    fn normalise_merges_split_groups() {
        let key = MobileKey {
            site: "s".into(),
            operator: "452-04".into(),
            tech: "lte".into(),
            reg: "home".into(),
            placement: String::new(),
            hour: 0,
        };
        let c = FieldCounts {
            samples: 2,
            rsrp_dbm: 1,
            ..Default::default()
        };
        let mut a = Aggregates {
            mobile: vec![
                MobileRow {
                    key: key.clone(),
                    all: c,
                    unsynced: FieldCounts::default(),
                },
                MobileRow {
                    key,
                    all: c,
                    unsynced: c,
                },
            ],
            fibre: vec![],
            throughput: vec![],
            positions: vec![],
        };
        a.normalise();
        assert_eq!(a.mobile.len(), 1);
        assert_eq!(a.mobile[0].all.samples, 4);
        assert_eq!(a.mobile[0].unsynced.rsrp_dbm, 1);
    }
}

//! The archive source: the same hourly aggregates as InfluxQL, computed from line-protocol files.
//!
//! The demo's embedded store is a line-protocol archive holding exactly the lines the sink
//! writes to InfluxDB. This module streams one or more such files line by line (they may be
//! large), parses each line with InfluxData's `influxdb-line-protocol` parser, and builds the
//! rows [`crate::source::influxql::Queries`] would get from the database:
//!
//! - `usable` is decided per point by `coverage_shared::signal::classify_parts` with the clock
//!   ignored, which is what the InfluxQL `WHERE` encodes, so the two paths agree by construction;
//! - a point is identified, as in InfluxDB, by measurement + tag set + timestamp: a repeated
//!   identity (a reading delivered twice) counts once (the first copy is kept; a re-delivered
//!   reading is byte-identical);
//! - `median()` is InfluxDB's: the middle value, or for an even count `lo + (hi - lo) / 2`;
//! - `last()` is the point with the greatest time in each measurement (on equal times the first
//!   line read wins);
//! - timestamps are milliseconds (the archive is written with `precision=ms`); lines that do not
//!   parse, or have no timestamp, are skipped and counted in the provenance, never fatal.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use coverage_shared::schema;
use coverage_shared::signal::{SampleClass, classify_parts, deciding_field};
use coverage_shared::wire::{Placement, Reg, Tech};
use influxdb_line_protocol::{FieldValue, ParsedLine, parse_lines};
use sha2::{Digest, Sha256};

use crate::AuditError;
use crate::progress::Progress;
use crate::source::hourly::{HourlyAggregates, HourlyPosition, HourlyThroughputRow};
use crate::source::influxql::{POSITION_MEASUREMENTS, Queries};
use crate::source::{
    AggregateQuery, AggregateSource, Aggregates, ArchiveFileInfo, FibreRow, FieldCounts,
    MeasurementPosition, MobileKey, MobileRow, SourceInfo, StoreSpan, hour_of,
};

/// Reads line-protocol archive files instead of InfluxDB.
#[derive(Debug, Clone)]
pub struct ArchiveSource {
    paths: Vec<PathBuf>,
    progress: Progress,
}

/// A wire placement name back to its type (`None` for anything else, as an absent tag).
pub fn parse_placement(s: &str) -> Option<Placement> {
    [Placement::Indoor, Placement::Outdoor, Placement::Vehicle]
        .into_iter()
        .find(|p| p.as_str() == s)
}

/// One line of an archive file as a point with its timestamp (ms): `None` for a blank line, a
/// `#` comment, a line that does not parse or has no timestamp. The one reading of archive
/// lines, shared with the collector's site status, which scans the archive for heartbeats.
pub fn archive_point(text: &str) -> Option<(ParsedLine<'_>, i64)> {
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() || text.trim_start().starts_with('#') {
        return None;
    }
    let line = parse_lines(text).next()?.ok()?;
    let ts = line.timestamp?;
    Some((line, ts))
}

/// InfluxDB's `median()`: sorts, then the middle value or `lo + (hi - lo) / 2`.
pub fn influx_median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n.is_multiple_of(2) {
        let (lo, hi) = (values[n / 2 - 1], values[n / 2]);
        Some(lo + (hi - lo) / 2.0)
    } else {
        Some(values[n / 2])
    }
}

fn number(v: Option<&FieldValue<'_>>) -> Option<f64> {
    match v? {
        FieldValue::F64(f) => Some(*f),
        FieldValue::I64(i) => Some(*i as f64),
        FieldValue::U64(u) => Some(*u as f64),
        _ => None,
    }
}

fn integer(v: Option<&FieldValue<'_>>) -> Option<i64> {
    match v? {
        FieldValue::I64(i) => Some(*i),
        FieldValue::U64(u) => i64::try_from(*u).ok(),
        _ => None,
    }
}

#[derive(Default)]
struct FibreAcc {
    rounds: u64,
    sent: i64,
    received: i64,
    rtts: Vec<f64>,
}

/// Tag values seen so far, each stored once: rows are keyed by small ids, so a line costs no
/// allocation once its tag values are known.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        // Fewer distinct tag values than u32::MAX in any archive this reads.
        let id = self.names.len() as u32;
        self.names.push(s.to_owned());
        self.ids.insert(s.to_owned(), id);
        id
    }

    fn name(&self, id: u32) -> String {
        self.names[id as usize].clone()
    }
}

/// (site, operator, tech, reg, placement) ids and the hour.
type GroupKey = ([u32; 5], i64);

/// The last (time, lat, lon) per measurement of [`POSITION_MEASUREMENTS`].
type LastPositions = [Option<(i64, f64, f64)>; 4];

/// Rows being built from points.
struct Accumulator<'q> {
    query: &'q AggregateQuery,
    from_ns: i128,
    to_ns: i128,
    tags: Interner,
    mobile: HashMap<GroupKey, (FieldCounts, FieldCounts)>,
    fibre: HashMap<(u32, i64), FibreAcc>,
    /// (site, direction, hour) -> (transfers, measured, sum of mbps).
    throughput: HashMap<(u32, u32, i64), (u64, u64, f64)>,
    /// (site, hour) -> the last positions of that hour.
    positions: HashMap<(u32, i64), LastPositions>,
    /// Identities (measurement, tags, time) of the points counted so far.
    seen: HashSet<u128>,
}

/// A 128-bit identity of measurement + sorted tag set + timestamp.
fn identity(line: &ParsedLine<'_>, ts: i64) -> u128 {
    let mut tags: Vec<(&str, &str)> = line
        .series
        .tag_set
        .as_ref()
        .map(|t| t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
        .unwrap_or_default();
    tags.sort_unstable();
    let mut halves = [0u64; 2];
    for (salt, half) in halves.iter_mut().enumerate() {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        line.series.measurement.as_str().hash(&mut h);
        tags.hash(&mut h);
        ts.hash(&mut h);
        *half = h.finish();
    }
    (u128::from(halves[0]) << 64) | u128::from(halves[1])
}

enum Outcome {
    Counted,
    Ignored,
    Duplicate,
}

impl<'q> Accumulator<'q> {
    fn new(query: &'q AggregateQuery) -> Self {
        Accumulator {
            query,
            from_ns: i128::from(query.from_ns()),
            to_ns: i128::from(query.to_ns()),
            tags: Interner::default(),
            mobile: HashMap::new(),
            fibre: HashMap::new(),
            throughput: HashMap::new(),
            positions: HashMap::new(),
            seen: HashSet::new(),
        }
    }

    fn add(&mut self, line: &ParsedLine<'_>, ts: i64) -> Outcome {
        let ts_ns = i128::from(ts) * 1_000_000;
        if ts_ns < self.from_ns || ts_ns >= self.to_ns {
            return Outcome::Ignored;
        }
        let measurement = line.series.measurement.as_str();
        let Some(m) = POSITION_MEASUREMENTS.iter().position(|x| *x == measurement) else {
            return Outcome::Ignored;
        };
        if !self.seen.insert(identity(line, ts)) {
            return Outcome::Duplicate;
        }
        let tag = |k: &str| line.tag_value(k).map_or("", |v| v.as_str());
        let site = self.tags.id(tag(schema::tag::SITE));
        if let (Some(lat), Some(lon)) = (
            number(line.field_value(schema::field::POS_LAT)),
            number(line.field_value(schema::field::POS_LON)),
        ) {
            let last = &mut self.positions.entry((site, hour_of(ts))).or_default()[m];
            // `last()`: the greatest time; on equal times the first line read stays.
            if last.is_none_or(|(t, _, _)| ts > t) {
                *last = Some((ts, lat, lon));
            }
        }
        let has_seq = line.field_value(schema::field::SEQ).is_some();
        match measurement {
            schema::measurement::SIGNAL => {
                let (operator, tech, reg, placement) = (
                    tag(schema::tag::OPERATOR),
                    tag(schema::tag::TECH),
                    tag(schema::tag::REG),
                    tag(schema::tag::PLACEMENT),
                );
                let ids = [
                    site,
                    self.tags.id(operator),
                    self.tags.id(tech),
                    self.tags.id(reg),
                    self.tags.id(placement),
                ];
                let present = |f: &str| u64::from(line.field_value(f).is_some());
                let mut counts = FieldCounts {
                    samples: u64::from(has_seq),
                    rsrp_dbm: present("rsrp_dbm"),
                    ss_rsrp_dbm: present("ss_rsrp_dbm"),
                    rscp_dbm: present("rscp_dbm"),
                    rssi_dbm: present("rssi_dbm"),
                    usable: 0,
                };
                if let (Some(tech), Some(reg)) = (Tech::parse(tech), Reg::parse(reg)) {
                    let deciding = deciding_field(tech).and_then(|f| number(line.field_value(f)));
                    let class = classify_parts(
                        tech,
                        reg,
                        deciding,
                        operator,
                        parse_placement(placement),
                        None,
                        &self.query.policy,
                    );
                    // `count(seq)` under the usable WHERE: the point must also have `seq`.
                    counts.usable = u64::from(class == SampleClass::Usable && has_seq);
                }
                let unsynced = matches!(
                    line.field_value("clock_synced"),
                    Some(FieldValue::Boolean(false))
                );
                let entry = self.mobile.entry((ids, hour_of(ts))).or_default();
                entry.0.add(&counts);
                if unsynced {
                    entry.1.add(&counts);
                }
            }
            schema::measurement::LATENCY => {
                let target_ok = match &self.query.fibre_target {
                    Some(t) => tag(schema::tag::TARGET) == t,
                    None => true,
                };
                if tag(schema::tag::LINK) == "fibre" && target_ok {
                    let acc = self.fibre.entry((site, hour_of(ts))).or_default();
                    acc.rounds += u64::from(has_seq);
                    acc.sent += integer(line.field_value(schema::field::SENT)).unwrap_or(0);
                    acc.received += integer(line.field_value(schema::field::RECEIVED)).unwrap_or(0);
                    if let Some(rtt) = number(line.field_value(schema::field::RTT_P50_MS)) {
                        acc.rtts.push(rtt);
                    }
                }
            }
            schema::measurement::THROUGHPUT if tag(schema::tag::LINK) == "fibre" => {
                let direction = self.tags.id(tag(schema::tag::DIRECTION));
                let acc = self
                    .throughput
                    .entry((site, direction, hour_of(ts)))
                    .or_default();
                acc.0 += u64::from(line.field_value(schema::field::BYTES).is_some());
                if let Some(mbps) = number(line.field_value(schema::field::MBPS)) {
                    acc.1 += 1;
                    acc.2 += mbps;
                }
            }
            _ => {}
        }
        Outcome::Counted
    }

    fn finish(self) -> HourlyAggregates {
        let tags = &self.tags;
        let fibre: Vec<FibreRow> = self
            .fibre
            .into_iter()
            .map(|((site, hour), mut acc)| FibreRow {
                site: tags.name(site),
                hour,
                rounds: acc.rounds,
                sent: acc.sent,
                received: acc.received,
                rtt_p50_median_ms: influx_median(&mut acc.rtts),
            })
            // `count(seq)` with fill(none): a group without `seq` values has no row.
            .filter(|r| r.rounds > 0)
            .collect();
        let mobile = self
            .mobile
            .into_iter()
            .filter(|(_, (all, _))| all.samples > 0)
            .map(
                |(([site, operator, tech, reg, placement], hour), (all, unsynced))| MobileRow {
                    key: MobileKey {
                        site: tags.name(site),
                        operator: tags.name(operator),
                        tech: tags.name(tech),
                        reg: tags.name(reg),
                        placement: tags.name(placement),
                        hour,
                    },
                    all,
                    unsynced,
                },
            )
            .collect();
        let mut positions = Vec::new();
        for ((site, hour), last) in self.positions {
            for (m, p) in last.iter().enumerate() {
                if let Some((ts_ms, lat, lon)) = *p {
                    positions.push(HourlyPosition {
                        hour,
                        position: MeasurementPosition {
                            site: tags.name(site),
                            measurement: POSITION_MEASUREMENTS[m].to_owned(),
                            ts_ms,
                            lat,
                            lon,
                        },
                    });
                }
            }
        }
        let throughput = self
            .throughput
            .into_iter()
            .map(
                |((site, direction, hour), (transfers, samples, sum_mbps))| HourlyThroughputRow {
                    site: tags.name(site),
                    direction: tags.name(direction),
                    hour,
                    transfers,
                    samples,
                    sum_mbps,
                },
            )
            .collect();
        let mut hourly = HourlyAggregates {
            from: self.query.from,
            to: self.query.to,
            mobile,
            fibre,
            throughput,
            positions,
        };
        hourly.normalise();
        hourly
    }
}

impl ArchiveSource {
    /// A source reading `paths`, in order.
    pub fn new(paths: Vec<PathBuf>) -> Self {
        ArchiveSource {
            paths,
            progress: Progress::hidden(),
        }
    }

    /// Shows how much of each file has been read on `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Streams every file and computes the aggregates (blocking I/O): the hourly aggregates of
    /// the period cut to the period, so the audit and the rollups share one computation.
    pub fn aggregate(
        &self,
        query: &AggregateQuery,
    ) -> Result<(Aggregates, SourceInfo), AuditError> {
        let (hourly, info) = self.aggregate_hourly(query)?;
        Ok((hourly.window(query.from, query.to), info))
    }

    /// Streams every file and computes the aggregates of the period per hour (blocking I/O).
    pub fn aggregate_hourly(
        &self,
        query: &AggregateQuery,
    ) -> Result<(HourlyAggregates, SourceInfo), AuditError> {
        let mut acc = Accumulator::new(query);
        let mut files = Vec::new();
        for path in &self.paths {
            let read_err = |source| AuditError::Read {
                path: path.display().to_string(),
                source,
            };
            let file = std::fs::File::open(path).map_err(read_err)?;
            let len = file.metadata().map_or(0, |m| m.len());
            self.progress
                .bytes(format!("reading {}", path.display()), len);
            let mut unreported = 0u64;
            let mut reader = BufReader::with_capacity(1 << 20, file);
            let mut info = ArchiveFileInfo {
                path: path.display().to_string(),
                sha256: String::new(),
                lines: 0,
                unparsed_lines: 0,
                duplicate_points: 0,
            };
            let mut sha = Sha256::new();
            let mut buf = Vec::with_capacity(512);
            loop {
                buf.clear();
                let n = reader.read_until(b'\n', &mut buf).map_err(read_err)?;
                if n == 0 {
                    break;
                }
                sha.update(&buf);
                info.lines += 1;
                unreported += n as u64;
                if unreported >= 1 << 20 {
                    self.progress.inc(unreported);
                    unreported = 0;
                }
                let Ok(text) = std::str::from_utf8(&buf) else {
                    info.unparsed_lines += 1;
                    continue;
                };
                let text = text.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() || text.trim_start().starts_with('#') {
                    continue;
                }
                match parse_lines(text).next() {
                    Some(Ok(line)) => match line.timestamp {
                        Some(ts) => match acc.add(&line, ts) {
                            Outcome::Duplicate => info.duplicate_points += 1,
                            Outcome::Counted | Outcome::Ignored => {}
                        },
                        None => info.unparsed_lines += 1,
                    },
                    Some(Err(_)) => info.unparsed_lines += 1,
                    None => {}
                }
            }
            self.progress.inc(unreported);
            info.sha256 = hex::encode(sha.finalize());
            files.push(info);
        }
        self.progress.finish();
        let info = SourceInfo::Archive {
            files,
            equivalent_queries: Queries::build(query).all(),
        };
        Ok((acc.finish(), info))
    }
}

impl ArchiveSource {
    /// The first and last time of a reading in the files (blocking I/O; lines that do not parse
    /// and measurements that are not readings are left out).
    pub fn scan_span(&self) -> Result<Option<StoreSpan>, AuditError> {
        let mut span: Option<StoreSpan> = None;
        for path in &self.paths {
            let read_err = |source| AuditError::Read {
                path: path.display().to_string(),
                source,
            };
            let file = std::fs::File::open(path).map_err(read_err)?;
            let reader = BufReader::with_capacity(1 << 20, file);
            for line in reader.split(b'\n') {
                let line = line.map_err(read_err)?;
                let Ok(text) = std::str::from_utf8(&line) else {
                    continue;
                };
                let Some((parsed, ts)) = archive_point(text) else {
                    continue;
                };
                if !POSITION_MEASUREMENTS.contains(&parsed.series.measurement.as_str()) {
                    continue;
                }
                span = Some(match span {
                    None => StoreSpan {
                        first_ms: ts,
                        last_ms: ts,
                    },
                    Some(s) => StoreSpan {
                        first_ms: s.first_ms.min(ts),
                        last_ms: s.last_ms.max(ts),
                    },
                });
            }
        }
        Ok(span)
    }
}

impl AggregateSource for ArchiveSource {
    async fn fetch(&self, query: &AggregateQuery) -> Result<(Aggregates, SourceInfo), AuditError> {
        let (source, query) = (self.clone(), query.clone());
        tokio::task::spawn_blocking(move || source.aggregate(&query))
            .await
            .map_err(|e| AuditError::Task(e.to_string()))?
    }

    async fn fetch_hourly(
        &self,
        query: &AggregateQuery,
    ) -> Result<(HourlyAggregates, SourceInfo), AuditError> {
        let (source, query) = (self.clone(), query.clone());
        tokio::task::spawn_blocking(move || source.aggregate_hourly(&query))
            .await
            .map_err(|e| AuditError::Task(e.to_string()))?
    }

    async fn span(&self) -> Result<Option<StoreSpan>, AuditError> {
        let source = self.clone();
        tokio::task::spawn_blocking(move || source.scan_span())
            .await
            .map_err(|e| AuditError::Task(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use coverage_shared::signal::UsablePolicy;
    use std::io::Write;

    fn query(target: Option<&str>) -> AggregateQuery {
        AggregateQuery {
            from: chrono::Utc.with_ymd_and_hms(2025, 11, 1, 0, 0, 0).unwrap(),
            to: chrono::Utc.with_ymd_and_hms(2025, 11, 1, 4, 0, 0).unwrap(),
            policy: UsablePolicy::default(),
            fibre_target: target.map(str::to_owned),
        }
    }

    #[test]
    fn median_is_influxdbs() {
        assert_eq!(influx_median(&mut []), None);
        assert_eq!(influx_median(&mut [3.0]), Some(3.0));
        assert_eq!(influx_median(&mut [7.0, 5.0, 8.0]), Some(7.0));
        assert_eq!(influx_median(&mut [8.0, 5.0, 7.0, 1.0]), Some(6.0));
    }

    #[test]
    fn aggregates_dedupes_and_skips_bad_lines() {
        let t0: i64 = 1_761_955_200_000;
        let lines = [
            format!(
                "signal,site=s1,operator=452-04,tech=lte,reg=home,placement=indoor seq=1i,rsrp_dbm=-100,pos_lat=22.1,pos_lon=105.8,clock_synced=true {}",
                t0 + 1000
            ),
            format!(
                "signal,site=s1,operator=452-04,tech=lte,reg=home,placement=indoor seq=2i,rsrp_dbm=-115,pos_lat=22.1,pos_lon=105.8,clock_synced=false {}",
                t0 + 2000
            ),
            format!(
                "signal,site=s1,operator=452-04,tech=lte,reg=home,placement=indoor seq=3i,pos_lat=22.1,pos_lon=105.8 {}",
                t0 + 3000
            ),
            // The same point again (a re-delivered reading), with tags in another order.
            format!(
                "signal,placement=indoor,site=s1,operator=452-04,tech=lte,reg=home seq=3i,pos_lat=22.1,pos_lon=105.8 {}",
                t0 + 3000
            ),
            "this is not line protocol".to_owned(),
            String::new(),
            format!(
                "signal,site=s1,operator=452-04,tech=lte,reg=home seq=4i,rsrp_dbm=-90,pos_lat=22.2,pos_lon=105.9 {}",
                t0 + 7_200_005
            ),
            format!(
                "latency,site=s1,target=dc'x\\y,link=fibre,method=icmp seq=6i,sent=10i,received=10i,rtt_p50_ms=5,pos_lat=22.4,pos_lon=106.0 {}",
                t0 + 7_200_001
            ),
            format!(
                "latency,site=s1,target=dc'x\\y,link=fibre,method=tcp seq=8i,sent=10i,received=0i,pos_lat=22.4,pos_lon=106.0 {}",
                t0 + 7_200_003
            ),
            format!(
                "latency,site=s1,target=other,link=fibre,method=tcp seq=9i,sent=10i,received=10i,rtt_p50_ms=1,pos_lat=22.4,pos_lon=106.0 {}",
                t0 + 7_200_004
            ),
            // Outside the period.
            format!(
                "signal,site=s1,operator=452-04,tech=lte,reg=home seq=5i,rsrp_dbm=-90,pos_lat=0,pos_lon=0 {}",
                t0 + 4 * 3_600_000
            ),
        ];
        let mut file = tempfile::NamedTempFile::new().unwrap();
        for l in &lines {
            writeln!(file, "{l}").unwrap();
        }
        let source = ArchiveSource::new(vec![file.path().to_owned()]);
        let (agg, info) = source.aggregate(&query(Some(r"dc'x\y"))).unwrap();
        let SourceInfo::Archive { files, .. } = info else {
            panic!()
        };
        assert_eq!(files[0].lines, lines.len() as u64);
        assert_eq!(files[0].unparsed_lines, 1);
        assert_eq!(files[0].duplicate_points, 1);
        assert_eq!(agg.mobile.len(), 2);
        let indoor = agg
            .mobile
            .iter()
            .find(|r| r.key.placement == "indoor")
            .unwrap();
        assert_eq!(
            indoor.all,
            FieldCounts {
                samples: 3,
                rsrp_dbm: 2,
                usable: 1,
                ..Default::default()
            }
        );
        assert_eq!(
            indoor.unsynced,
            FieldCounts {
                samples: 1,
                rsrp_dbm: 1,
                usable: 0,
                ..Default::default()
            }
        );
        let other = agg
            .mobile
            .iter()
            .find(|r| r.key.placement.is_empty())
            .unwrap();
        assert_eq!(other.key.hour, t0 + 7_200_000);
        assert_eq!(other.all.usable, 1);
        assert_eq!(agg.fibre.len(), 1);
        assert_eq!(agg.fibre[0].rounds, 2);
        assert_eq!(agg.fibre[0].sent, 20);
        assert_eq!(agg.fibre[0].received, 10);
        assert_eq!(agg.fibre[0].rtt_p50_median_ms, Some(5.0));
        assert_eq!(agg.positions.len(), 1);
        assert_eq!(
            (agg.positions[0].lat, agg.positions[0].ts_ms),
            (22.2, t0 + 7_200_005)
        );
    }
}

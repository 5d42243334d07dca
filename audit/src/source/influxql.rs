//! InfluxQL aggregates: the audit's queries and the source that runs them over HTTP `/query`.
//!
//! The audit never reads raw rows for a period: every statement is an aggregate grouped by
//! site (and operator, tech, reg, placement for `signal`) and `time(1h)`. The usable rule of
//! `coverage_shared::signal::classify_parts` is written into the `WHERE` clause from the same
//! [`UsablePolicy`] (thresholds per technology and placement, roaming operators, counted
//! technologies), so the database counts exactly what the archive path classifies one by one.
//!
//! Facts checked on InfluxDB 1.6.7 (see `audit/tests/audit_influx.rs`):
//!
//! - without `fill(...)`, `GROUP BY time(1h)` returns every hour of the range for every series,
//!   with `count() = 0` for empty hours; the audit uses `fill(none)` so only hours with points
//!   come back (distinct hours are counted from them);
//! - `count(field)` of a field the shard has never seen is `null`, read as 0;
//! - a float in a query must be written without exponent (`-1e2` is a parse error), which
//!   Rust's `Display` for `f64` guarantees;
//! - string literals escape `\` as `\\` and `'` as `\'` ([`quote`]);
//! - a selector with a plain field (`last(pos_lat), pos_lon`) returns that point's time and
//!   both values, one series per measurement.
//!
//! Responses are read in chunks (`chunked=true`), line by line, so a large answer is never one
//! JSON document in memory. Each line is scanned for its end once (not again with every network
//! read), and cells are decoded straight into numbers ([`Cell`]), without a `serde_json::Value`
//! per cell: on 10 million points these two kept the audit within a few percent of the queries'
//! own time (`bench/audit-10m.sh`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use coverage_shared::schema;
use coverage_shared::signal::{UsablePolicy, deciding_field};
use coverage_shared::wire::{Placement, Tech};
use serde::{Deserialize, Deserializer};

use crate::AuditError;
use crate::progress::Progress;
use crate::source::QueryEndpoint;
use crate::source::hourly::{HourlyAggregates, HourlyPosition, HourlyThroughputRow};
use crate::source::{
    AggregateQuery, AggregateSource, Aggregates, FibreRow, FieldCounts, MeasurementPosition,
    MobileKey, MobileRow, SourceInfo, StoreSpan, ThroughputRow, resolve_positions, round_mbps,
};

/// Measurements whose `pos_lat`/`pos_lon` give a site's position.
pub const POSITION_MEASUREMENTS: [&str; 4] = [
    schema::measurement::SIGNAL,
    schema::measurement::LATENCY,
    schema::measurement::THROUGHPUT,
    schema::measurement::HEARTBEAT,
];

/// Rows per chunk asked of InfluxDB by default.
pub const CHUNK_SIZE: usize = 10_000;

/// An InfluxQL string literal: `'...'` with `\` and `'` escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A float literal InfluxQL parses (no exponent, which Rust's `Display` never writes).
fn float(value: f64) -> String {
    format!("{value}")
}

/// The technologies whose samples can be usable under `policy`, in a fixed order.
fn counted_techs(policy: &UsablePolicy) -> Vec<Tech> {
    Tech::ALL
        .into_iter()
        .filter(|t| policy.tech_counts(*t))
        .collect()
}

/// `(tech = 'lte' AND rsrp_dbm >= -110) OR ...` for the thresholds in force on one placement.
fn tech_terms(policy: &UsablePolicy, placement: Option<Placement>, techs: &[Tech]) -> String {
    let thresholds = policy.thresholds_for(placement);
    techs
        .iter()
        .filter_map(|&tech| {
            let field = deciding_field(tech)?;
            let min = thresholds.for_tech(tech)?;
            Some(format!(
                "(tech = {} AND {field} >= {})",
                quote(tech.as_str()),
                float(min)
            ))
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The usable condition of DESIGN.md for `policy`, without the clock (which is counted apart);
/// `None` when no technology can be usable (then nothing is).
pub fn usable_condition(policy: &UsablePolicy) -> Option<String> {
    let techs = counted_techs(policy);
    if techs.is_empty() {
        return None;
    }
    let reg = if policy.roaming_counts_for.is_empty() {
        "reg = 'home'".to_owned()
    } else {
        let ops = policy
            .roaming_counts_for
            .iter()
            .map(|o| format!("operator = {}", quote(o)))
            .collect::<Vec<_>>()
            .join(" OR ");
        format!("(reg = 'home' OR (reg = 'roaming' AND ({ops})))")
    };
    let levels = if policy.by_placement.is_empty() {
        format!("({})", tech_terms(policy, None, &techs))
    } else {
        let mut parts = Vec::new();
        let mut others = Vec::new();
        for &placement in policy.by_placement.keys() {
            parts.push(format!(
                "(placement = {} AND ({}))",
                quote(placement.as_str()),
                tech_terms(policy, Some(placement), &techs)
            ));
            others.push(format!("placement != {}", quote(placement.as_str())));
        }
        // Points of any other placement, or without one, use the general thresholds.
        parts.push(format!(
            "({} AND ({}))",
            others.join(" AND "),
            tech_terms(policy, None, &techs)
        ));
        format!("({})", parts.join(" OR "))
    };
    Some(format!("{reg} AND {levels}"))
}

/// The statements of one audit, in the order they run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queries {
    /// Every `signal` point: samples and deciding-value counts per group and hour.
    pub mobile_all: String,
    /// Usable points per group and hour; `None` when nothing can be usable.
    pub mobile_usable: Option<String>,
    /// As `mobile_all`, restricted to `clock_synced = false`.
    pub mobile_unsynced: String,
    /// As `mobile_usable`, restricted to `clock_synced = false`.
    pub mobile_unsynced_usable: Option<String>,
    /// Fibre rounds per site and hour.
    pub fibre: String,
    /// Fibre throughput per site and direction over the period.
    pub throughput: String,
    /// Last position per site and measurement.
    pub positions: String,
}

impl Queries {
    /// Builds the statements for `query`.
    pub fn build(query: &AggregateQuery) -> Queries {
        let time = format!(
            "time >= {} AND time < {}",
            quote(&query.from_rfc3339()),
            quote(&query.to_rfc3339())
        );
        use schema::{field, measurement, tag};
        let (signal, latency) = (measurement::SIGNAL, measurement::LATENCY);
        let (seq, site, link, target) = (field::SEQ, tag::SITE, tag::LINK, tag::TARGET);
        let group = format!(
            "GROUP BY {site}, {}, {}, {}, {}, time(1h) fill(none)",
            tag::OPERATOR,
            tag::TECH,
            tag::REG,
            tag::PLACEMENT
        );
        let counts = format!(
            "count({seq}) AS samples, count(rsrp_dbm) AS n_rsrp_dbm, \
             count(ss_rsrp_dbm) AS n_ss_rsrp_dbm, count(rscp_dbm) AS n_rscp_dbm, \
             count(rssi_dbm) AS n_rssi_dbm"
        );
        let unsynced = "clock_synced = false";
        let usable = usable_condition(&query.policy);
        let fibre_filter = match &query.fibre_target {
            Some(t) => format!("{link} = 'fibre' AND {target} = {}", quote(t)),
            None => format!("{link} = 'fibre'"),
        };
        Queries {
            mobile_all: format!("SELECT {counts} FROM {signal} WHERE {time} {group}"),
            mobile_usable: usable.as_ref().map(|u| {
                format!(
                    "SELECT count({seq}) AS usable FROM {signal} WHERE {time} AND {u} {group}"
                )
            }),
            mobile_unsynced: format!(
                "SELECT {counts} FROM {signal} WHERE {time} AND {unsynced} {group}"
            ),
            mobile_unsynced_usable: usable.as_ref().map(|u| {
                format!(
                    "SELECT count({seq}) AS usable FROM {signal} WHERE {time} AND {unsynced} AND {u} {group}"
                )
            }),
            fibre: format!(
                "SELECT count({seq}) AS rounds, sum({sent}) AS sent, sum({received}) AS received, \
                 median({rtt}) AS rtt_p50_median_ms FROM {latency} WHERE {time} AND \
                 {fibre_filter} GROUP BY {site}, time(1h) fill(none)",
                sent = field::SENT,
                received = field::RECEIVED,
                rtt = field::RTT_P50_MS,
            ),
            throughput: format!(
                "SELECT count({bytes}) AS transfers, count({mbps}) AS samples, mean({mbps}) AS \
                 mean_mbps FROM {throughput} WHERE {time} AND {link} = 'fibre' GROUP BY {site}, \
                 {direction}",
                bytes = field::BYTES,
                mbps = field::MBPS,
                throughput = measurement::THROUGHPUT,
                direction = tag::DIRECTION,
            ),
            positions: format!(
                "SELECT last({}) AS lat, {} AS lon FROM {} WHERE {time} GROUP BY {site}",
                field::POS_LAT,
                field::POS_LON,
                POSITION_MEASUREMENTS.join(", ")
            ),
        }
    }

    /// Every statement, in the order run (for provenance).
    pub fn all(&self) -> Vec<String> {
        let mut out = vec![self.mobile_all.clone()];
        out.extend(self.mobile_usable.clone());
        out.push(self.mobile_unsynced.clone());
        out.extend(self.mobile_unsynced_usable.clone());
        out.push(self.fibre.clone());
        out.push(self.throughput.clone());
        out.push(self.positions.clone());
        out
    }
}

/// The statements that find the span of time the store holds (first and last reading of every
/// measurement), asked only when a period is empty.
pub fn span_queries() -> [String; 2] {
    let from = POSITION_MEASUREMENTS.join(", ");
    let seq = schema::field::SEQ;
    [
        format!("SELECT first({seq}) FROM {from}"),
        format!("SELECT last({seq}) FROM {from}"),
    ]
}

/// Reads the answers to [`span_queries`] (one series per measurement, one row each).
pub fn read_span(first: &[Series], last: &[Series]) -> Result<Option<StoreSpan>, String> {
    let times = |series: &[Series]| -> Result<Vec<i64>, String> {
        let mut out = Vec::new();
        for s in series {
            for row in &s.values {
                out.push(time(row)?);
            }
        }
        Ok(out)
    };
    let (first, last) = (times(first)?, times(last)?);
    Ok(match (first.iter().min(), last.iter().max()) {
        (Some(f), Some(l)) => Some(StoreSpan {
            first_ms: *f,
            last_ms: *l,
        }),
        _ => None,
    })
}

/// Reads the throughput answer (one series per site and direction, one row each).
pub fn read_throughput(series: &[Series]) -> Result<Vec<ThroughputRow>, String> {
    let mut out = Vec::new();
    for s in series {
        let (transfers, samples, mean) = (
            s.column("transfers"),
            s.column("samples"),
            s.column("mean_mbps"),
        );
        for row in &s.values {
            out.push(ThroughputRow {
                site: s.tag(schema::tag::SITE),
                direction: s.tag(schema::tag::DIRECTION),
                transfers: count(row, transfers)?,
                samples: count(row, samples)?,
                mean_mbps: number(row, mean)?.map(round_mbps),
            });
        }
    }
    Ok(out)
}

/// One series of an InfluxQL answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Series {
    /// Measurement name.
    #[serde(default)]
    pub name: String,
    /// Group-by tags (missing tags as empty strings).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Column names; the first is `time`.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Rows.
    #[serde(default)]
    pub values: Vec<Vec<Cell>>,
}

/// One cell of an answer row. The audit's statements select times, counts, sums, medians and
/// positions, so a cell is a number or `null`; anything else is [`Cell::Other`], which the
/// readers refuse with the column's expectation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// JSON `null` (no value in that group).
    Null,
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string, boolean, array or object.
    Other,
}

impl Cell {
    fn as_f64(self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(i as f64),
            Cell::UInt(u) => Some(u as f64),
            Cell::Float(f) => Some(f),
            Cell::Null | Cell::Other => None,
        }
    }

    fn as_i64(self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(i),
            Cell::UInt(u) => i64::try_from(u).ok(),
            _ => None,
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Null => f.write_str("null"),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::UInt(u) => write!(f, "{u}"),
            Cell::Float(x) => write!(f, "{x}"),
            Cell::Other => f.write_str("a non-numeric value"),
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                Ok(if v >= 0 {
                    Cell::UInt(v as u64)
                } else {
                    Cell::Int(v)
                })
            }
            fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
                Ok(Cell::UInt(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell::Float(v))
            }
            fn visit_unit<E>(self) -> Result<Cell, E> {
                Ok(Cell::Null)
            }
            fn visit_none<E>(self) -> Result<Cell, E> {
                Ok(Cell::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Cell, E> {
                Ok(Cell::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Cell, E> {
                Ok(Cell::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Cell, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Cell::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Cell, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Cell::Other)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Series {
    fn tag(&self, key: &str) -> String {
        self.tags.get(key).cloned().unwrap_or_default()
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(bound = "S: serde::de::DeserializeOwned")]
struct Answer<S> {
    #[serde(default = "Vec::new")]
    results: Vec<StatementResult<S>>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(bound = "S: serde::de::DeserializeOwned")]
struct StatementResult<S> {
    #[serde(default = "Vec::new")]
    series: Vec<S>,
    #[serde(default)]
    error: Option<String>,
}

/// Parses one JSON line of a (chunked) `/query` answer into its series; an error message when
/// InfluxDB reported one.
pub fn parse_answer(line: &[u8]) -> Result<Vec<Series>, String> {
    parse_answer_as(line)
}

/// [`parse_answer`] into any series type `S` (the collector's coordinator keeps cells as JSON
/// values): InfluxDB's envelope (`results`, per-statement and whole-answer `error`) read once.
pub fn parse_answer_as<S: serde::de::DeserializeOwned>(line: &[u8]) -> Result<Vec<S>, String> {
    let answer: Answer<S> =
        serde_json::from_slice(line).map_err(|e| format!("answer is not InfluxDB JSON: {e}"))?;
    if let Some(error) = answer.error {
        return Err(error);
    }
    let mut out = Vec::new();
    for result in answer.results {
        if let Some(error) = result.error {
            return Err(error);
        }
        out.extend(result.series);
    }
    Ok(out)
}

/// A count column: a non-negative integer, `null` (field never seen) as 0.
fn count(row: &[Cell], column: Option<usize>) -> Result<u64, String> {
    match column.and_then(|i| row.get(i)) {
        None | Some(Cell::Null) => Ok(0),
        Some(Cell::UInt(u)) => Ok(*u),
        Some(Cell::Float(f)) if *f >= 0.0 && f.fract() == 0.0 => Ok(*f as u64),
        Some(v) => Err(format!("{v} is not a count")),
    }
}

/// An integer sum column, `null` as 0.
fn sum(row: &[Cell], column: Option<usize>) -> Result<i64, String> {
    match column.and_then(|i| row.get(i)) {
        None | Some(Cell::Null) => Ok(0),
        Some(Cell::Float(f)) if f.fract() == 0.0 => Ok(*f as i64),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| format!("{v} is not an integer sum")),
    }
}

/// A float column, `null` as `None`.
fn number(row: &[Cell], column: Option<usize>) -> Result<Option<f64>, String> {
    match column.and_then(|i| row.get(i)) {
        None | Some(Cell::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("{v} is not a number")),
    }
}

/// The `time` column in ms (`epoch=ms`).
fn time(row: &[Cell]) -> Result<i64, String> {
    row.first()
        .and_then(|c| c.as_i64())
        .ok_or_else(|| "a row has no integer `time` (was epoch=ms sent?)".to_owned())
}

/// The key of a series' rows, without the hour (set per row).
fn mobile_key(series: &Series) -> MobileKey {
    MobileKey {
        site: series.tag(schema::tag::SITE),
        operator: series.tag(schema::tag::OPERATOR),
        tech: series.tag(schema::tag::TECH),
        reg: series.tag(schema::tag::REG),
        placement: series.tag(schema::tag::PLACEMENT),
        hour: 0,
    }
}

/// `key` at the hour of `row`.
fn at_hour(key: &MobileKey, row: &[Cell]) -> Result<MobileKey, String> {
    Ok(MobileKey {
        hour: time(row)?,
        ..key.clone()
    })
}

/// Reads the rows of a `mobile_all`-shaped answer into `(key, counts)`.
pub fn read_counts(series: &[Series]) -> Result<Vec<(MobileKey, FieldCounts)>, String> {
    let mut out = Vec::new();
    for s in series {
        let cols = [
            s.column("samples"),
            s.column("n_rsrp_dbm"),
            s.column("n_ss_rsrp_dbm"),
            s.column("n_rscp_dbm"),
            s.column("n_rssi_dbm"),
        ];
        let key = mobile_key(s);
        for row in &s.values {
            let counts = FieldCounts {
                samples: count(row, cols[0])?,
                rsrp_dbm: count(row, cols[1])?,
                ss_rsrp_dbm: count(row, cols[2])?,
                rscp_dbm: count(row, cols[3])?,
                rssi_dbm: count(row, cols[4])?,
                usable: 0,
            };
            out.push((at_hour(&key, row)?, counts));
        }
    }
    Ok(out)
}

/// Reads the rows of a `mobile_usable`-shaped answer into `(key, usable)`.
pub fn read_usable(series: &[Series]) -> Result<Vec<(MobileKey, u64)>, String> {
    let mut out = Vec::new();
    for s in series {
        let col = s.column("usable");
        let key = mobile_key(s);
        for row in &s.values {
            out.push((at_hour(&key, row)?, count(row, col)?));
        }
    }
    Ok(out)
}

/// Reads the fibre answer.
pub fn read_fibre(series: &[Series]) -> Result<Vec<FibreRow>, String> {
    let mut out = Vec::new();
    for s in series {
        let (rounds, sent, received, rtt) = (
            s.column("rounds"),
            s.column(schema::field::SENT),
            s.column(schema::field::RECEIVED),
            s.column("rtt_p50_median_ms"),
        );
        for row in &s.values {
            out.push(FibreRow {
                site: s.tag(schema::tag::SITE),
                hour: time(row)?,
                rounds: count(row, rounds)?,
                sent: sum(row, sent)?,
                received: sum(row, received)?,
                rtt_p50_median_ms: number(row, rtt)?,
            });
        }
    }
    Ok(out)
}

/// Reads the positions answer (one series per measurement and site).
pub fn read_positions(series: &[Series]) -> Result<Vec<MeasurementPosition>, String> {
    let mut out = Vec::new();
    for s in series {
        let (lat, lon) = (s.column("lat"), s.column("lon"));
        for row in &s.values {
            if let (Some(lat), Some(lon)) = (number(row, lat)?, number(row, lon)?) {
                out.push(MeasurementPosition {
                    site: s.tag(schema::tag::SITE),
                    measurement: s.name.clone(),
                    ts_ms: time(row)?,
                    lat,
                    lon,
                });
            }
        }
    }
    Ok(out)
}

/// The statements [`AggregateSource::fetch_hourly`] runs besides the mobile and fibre ones of
/// [`Queries`]: throughput and positions per hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourlyQueries {
    /// Fibre throughput per site, direction and hour, with the sum of the rates.
    pub throughput: String,
    /// Last position per site, measurement and hour (times are the hours' starts).
    pub positions: String,
}

impl HourlyQueries {
    /// Builds the statements for `query`.
    pub fn build(query: &AggregateQuery) -> HourlyQueries {
        use schema::{field, measurement, tag};
        let time = format!(
            "time >= {} AND time < {}",
            quote(&query.from_rfc3339()),
            quote(&query.to_rfc3339())
        );
        HourlyQueries {
            throughput: format!(
                "SELECT count({bytes}) AS transfers, count({mbps}) AS samples, sum({mbps}) AS \
                 sum_mbps FROM {throughput} WHERE {time} AND {link} = 'fibre' GROUP BY {site}, \
                 {direction}, time(1h) fill(none)",
                bytes = field::BYTES,
                mbps = field::MBPS,
                throughput = measurement::THROUGHPUT,
                link = tag::LINK,
                site = tag::SITE,
                direction = tag::DIRECTION,
            ),
            positions: format!(
                "SELECT last({}) AS lat, last({}) AS lon FROM {} WHERE {time} GROUP BY {}, \
                 time(1h) fill(none)",
                field::POS_LAT,
                field::POS_LON,
                POSITION_MEASUREMENTS.join(", "),
                tag::SITE,
            ),
        }
    }

    /// The audit's positions statement for one site and hour (`hour` in ms).
    pub fn exact_positions(site: &str, hour: i64) -> String {
        let t = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        };
        format!(
            "SELECT last({}) AS lat, {} AS lon FROM {} WHERE {} = {} AND time >= {} AND time < {} \
             GROUP BY {}",
            schema::field::POS_LAT,
            schema::field::POS_LON,
            POSITION_MEASUREMENTS.join(", "),
            schema::tag::SITE,
            quote(site),
            quote(&t(hour)),
            quote(&t(hour + crate::source::HOUR_MS)),
            schema::tag::SITE,
        )
    }
}

/// Reads the hourly throughput answer.
pub fn read_hourly_throughput(series: &[Series]) -> Result<Vec<HourlyThroughputRow>, String> {
    let mut out = Vec::new();
    for s in series {
        let (transfers, samples, sum_mbps) = (
            s.column("transfers"),
            s.column("samples"),
            s.column("sum_mbps"),
        );
        for row in &s.values {
            out.push(HourlyThroughputRow {
                site: s.tag(schema::tag::SITE),
                direction: s.tag(schema::tag::DIRECTION),
                hour: time(row)?,
                transfers: count(row, transfers)?,
                samples: count(row, samples)?,
                sum_mbps: number(row, sum_mbps)?.unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}

/// Reads the hourly positions answer (one series per measurement and site).
pub fn read_hourly_positions(series: &[Series]) -> Result<Vec<HourlyPosition>, String> {
    Ok(read_positions(series)?
        .into_iter()
        .map(|position| HourlyPosition {
            hour: position.ts_ms,
            position,
        })
        .collect())
}

/// The (site, hour) pairs whose measurements report different positions.
pub fn disagreeing_hours(positions: &[HourlyPosition]) -> Vec<(String, i64)> {
    let mut first: BTreeMap<(&str, i64), (f64, f64)> = BTreeMap::new();
    let mut out = Vec::new();
    for p in positions {
        let key = (p.position.site.as_str(), p.hour);
        let here = (p.position.lat, p.position.lon);
        match first.get(&key) {
            None => {
                first.insert(key, here);
            }
            Some(seen) if *seen != here => out.push((key.0.to_owned(), key.1)),
            Some(_) => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Builds [`Aggregates`] from the answers to [`Queries`] (pure, so it is tested without a
/// server).
pub fn assemble(
    all: Vec<(MobileKey, FieldCounts)>,
    usable: Vec<(MobileKey, u64)>,
    unsynced: Vec<(MobileKey, FieldCounts)>,
    unsynced_usable: Vec<(MobileKey, u64)>,
    fibre: Vec<FibreRow>,
    throughput: Vec<ThroughputRow>,
    positions: Vec<MeasurementPosition>,
) -> Aggregates {
    // Hashed here; `normalise` sorts once.
    let mut rows: HashMap<MobileKey, (FieldCounts, FieldCounts)> =
        HashMap::with_capacity(all.len());
    for (k, c) in all {
        rows.entry(k).or_default().0.add(&c);
    }
    for (k, n) in usable {
        rows.entry(k).or_default().0.usable += n;
    }
    for (k, c) in unsynced {
        rows.entry(k).or_default().1.add(&c);
    }
    for (k, n) in unsynced_usable {
        rows.entry(k).or_default().1.usable += n;
    }
    let mut aggregates = Aggregates {
        mobile: rows
            .into_iter()
            .map(|(key, (all, unsynced))| MobileRow { key, all, unsynced })
            .collect(),
        fibre,
        throughput: throughput
            .into_iter()
            .filter(|t| t.transfers > 0 || t.samples > 0)
            .collect(),
        positions: resolve_positions(positions),
    };
    aggregates.normalise();
    aggregates
}

/// Hands each complete line of `pending` (without its `\n`) to `take` and keeps the
/// incomplete tail. `scanned` bytes at the start of `pending` are known to hold no newline (from
/// the previous call), so a long line arriving in many reads is scanned once, not once per read.
fn complete_lines<E>(
    pending: &mut Vec<u8>,
    scanned: &mut usize,
    mut take: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut start = 0;
    let mut from = *scanned;
    while let Some(offset) = pending[from..].iter().position(|&b| b == b'\n') {
        let end = from + offset;
        take(&pending[start..end])?;
        start = end + 1;
        from = start;
    }
    pending.drain(..start);
    *scanned = pending.len();
    Ok(())
}

/// How the source authenticates.
#[derive(Clone)]
enum Auth {
    None,
    /// `Authorization: Token ...` (InfluxDB 2.x/3.x, v1-compat endpoints).
    Token(String),
    /// v1 user and password, sent as HTTP basic auth.
    UserPassword(String, String),
}

/// Runs the audit's [`Queries`] against InfluxDB's `/query` endpoint.
#[derive(Clone)]
pub struct InfluxQlSource {
    client: reqwest::Client,
    query_url: reqwest::Url,
    /// The base URL without credentials, for reports and errors.
    shown_url: String,
    database: String,
    auth: Auth,
    chunk_size: usize,
    progress: Progress,
}

impl std::fmt::Debug for InfluxQlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match self.auth {
            Auth::None => "none",
            Auth::Token(_) => "token **REDACTED**",
            Auth::UserPassword(..) => "user/password **REDACTED**",
        };
        f.debug_struct("InfluxQlSource")
            .field("url", &self.shown_url)
            .field("database", &self.database)
            .field("auth", &auth)
            .finish()
    }
}

impl InfluxQlSource {
    /// A source for the server, database and credentials of `endpoint` (a token, or the v1
    /// password of `endpoint.username`). Credentials in the URL (`http://user:pass@host`) are
    /// used when nothing else is given.
    pub fn new(endpoint: &QueryEndpoint) -> Result<Self, AuditError> {
        let cfg = endpoint;
        let mut base = reqwest::Url::parse(&cfg.url).map_err(|e| AuditError::Config {
            key: "influx.url".into(),
            problem: format!("`{}` is not a URL: {e}", cfg.url),
        })?;
        let url_user = base.username().to_owned();
        let url_password = base.password().map(str::to_owned);
        let _ = base.set_username("");
        let _ = base.set_password(None);
        let shown_url = base.as_str().trim_end_matches('/').to_owned();
        let query_url =
            reqwest::Url::parse(&format!("{shown_url}/query")).map_err(|e| AuditError::Config {
                key: "influx.url".into(),
                problem: e.to_string(),
            })?;
        let token = cfg.secret.as_ref().map(|s| s.expose().to_owned());
        let auth = match (&cfg.username, token) {
            (Some(user), password) => {
                Auth::UserPassword(user.clone(), password.unwrap_or_default())
            }
            (None, Some(token)) if !token.is_empty() => Auth::Token(token),
            (None, _) if !url_user.is_empty() => {
                Auth::UserPassword(url_user, url_password.unwrap_or_default())
            }
            (None, _) => Auth::None,
        };
        coverage_net::tls::ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|source| AuditError::Http {
                url: shown_url.clone(),
                source,
            })?;
        Ok(InfluxQlSource {
            client,
            query_url,
            shown_url,
            database: cfg.database.clone(),
            chunk_size: CHUNK_SIZE,
            progress: Progress::hidden(),
            auth,
        })
    }

    /// Asks InfluxDB for chunks of at most `rows` rows (default [`CHUNK_SIZE`]); the rows are
    /// the same whatever the size, only memory and round trips change.
    pub fn with_chunk_size(mut self, rows: usize) -> Self {
        self.chunk_size = rows.max(1);
        self
    }

    /// Shows each statement and the bytes of its answer on `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Runs one statement and returns its series, reading the chunked answer line by line.
    pub async fn query(&self, statement: &str) -> Result<Vec<Series>, AuditError> {
        let measurement = statement
            .split(" FROM ")
            .nth(1)
            .and_then(|rest| rest.split(" WHERE ").next())
            .unwrap_or("");
        self.progress.step(format!(
            "InfluxDB {} ({measurement}): bytes",
            self.shown_url
        ));
        let chunk_size = self.chunk_size.to_string();
        let mut request = self.client.get(self.query_url.clone()).query(&[
            ("db", self.database.as_str()),
            ("epoch", "ms"),
            ("chunked", "true"),
            ("chunk_size", chunk_size.as_str()),
            ("q", statement),
        ]);
        request = match &self.auth {
            Auth::None => request,
            Auth::Token(t) => request.header(reqwest::header::AUTHORIZATION, format!("Token {t}")),
            Auth::UserPassword(u, p) => request.basic_auth(u, Some(p)),
        };
        let http = |source| AuditError::Http {
            url: self.shown_url.clone(),
            source,
        };
        let mut response = request.send().await.map_err(http)?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            // A 400 answers a bad statement with `{"error": ...}`: report it with the statement.
            if let Err(message) = parse_answer(body.as_bytes())
                && status.as_u16() == 400
            {
                return Err(AuditError::InfluxQuery {
                    query: statement.to_owned(),
                    message,
                });
            }
            return Err(AuditError::InfluxStatus {
                url: self.shown_url.clone(),
                status: status.as_u16(),
                body: body.chars().take(500).collect(),
            });
        }
        let mut series = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        // Bytes of `pending` already known to hold no newline: each byte is scanned once,
        // however many network reads a (multi-megabyte) line arrives in.
        let mut scanned = 0;
        let take_line = |line: &[u8], series: &mut Vec<Series>| -> Result<(), AuditError> {
            if line.iter().all(u8::is_ascii_whitespace) {
                return Ok(());
            }
            let parsed = parse_answer(line).map_err(|message| AuditError::InfluxQuery {
                query: statement.to_owned(),
                message,
            })?;
            series.extend(parsed);
            Ok(())
        };
        while let Some(chunk) = response.chunk().await.map_err(http)? {
            self.progress.inc(chunk.len() as u64);
            pending.extend_from_slice(&chunk);
            complete_lines(&mut pending, &mut scanned, |line| {
                take_line(line, &mut series)
            })?;
        }
        take_line(&pending, &mut series)?;
        Ok(series)
    }
}

impl InfluxQlSource {
    /// Runs `statement` and reads its answer with `read`, naming the statement on a bad answer.
    async fn read<T>(
        &self,
        statement: &str,
        read: impl FnOnce(&[Series]) -> Result<T, String>,
    ) -> Result<T, AuditError> {
        read(&self.query(statement).await?).map_err(|problem| AuditError::InfluxQuery {
            query: statement.to_owned(),
            message: format!("unexpected answer: {problem}"),
        })
    }

    /// The hourly mobile rows (four statements) and fibre rows, assembled.
    async fn hourly_rows(&self, queries: &Queries) -> Result<Aggregates, AuditError> {
        let all = self.read(&queries.mobile_all, read_counts).await?;
        let usable = match &queries.mobile_usable {
            Some(q) => self.read(q, read_usable).await?,
            None => Vec::new(),
        };
        let unsynced = self.read(&queries.mobile_unsynced, read_counts).await?;
        let unsynced_usable = match &queries.mobile_unsynced_usable {
            Some(q) => self.read(q, read_usable).await?,
            None => Vec::new(),
        };
        let fibre = self.read(&queries.fibre, read_fibre).await?;
        Ok(assemble(
            all,
            usable,
            unsynced,
            unsynced_usable,
            fibre,
            Vec::new(),
            Vec::new(),
        ))
    }
}

impl AggregateSource for InfluxQlSource {
    async fn fetch(&self, query: &AggregateQuery) -> Result<(Aggregates, SourceInfo), AuditError> {
        let queries = Queries::build(query);
        let rows = self.hourly_rows(&queries).await?;
        let throughput = self.read(&queries.throughput, read_throughput).await?;
        let positions = self.read(&queries.positions, read_positions).await?;
        let mut aggregates = Aggregates {
            throughput: throughput
                .into_iter()
                .filter(|t| t.transfers > 0 || t.samples > 0)
                .collect(),
            positions: resolve_positions(positions),
            ..rows
        };
        aggregates.normalise();
        let info = SourceInfo::Influxql {
            url: self.shown_url.clone(),
            database: self.database.clone(),
            queries: queries.all(),
        };
        Ok((aggregates, info))
    }

    async fn fetch_hourly(
        &self,
        query: &AggregateQuery,
    ) -> Result<(HourlyAggregates, SourceInfo), AuditError> {
        let queries = Queries::build(query);
        let hourly = HourlyQueries::build(query);
        let rows = self.hourly_rows(&queries).await?;
        let throughput = self
            .read(&hourly.throughput, read_hourly_throughput)
            .await?;
        let mut positions = self.read(&hourly.positions, read_hourly_positions).await?;
        let mut statements = queries.all();
        statements.truncate(statements.len() - 2);
        statements.extend([hourly.throughput.clone(), hourly.positions.clone()]);
        // Hours whose measurements disagree on a site's position: asked again without grouping,
        // so the points' own times resolve them as the audit's query would.
        for (site, hour) in disagreeing_hours(&positions) {
            let exact = HourlyQueries::exact_positions(&site, hour);
            let found = self.read(&exact, read_positions).await?;
            positions.retain(|p| !(p.hour == hour && p.position.site == site));
            positions.extend(
                found
                    .into_iter()
                    .map(|position| HourlyPosition { hour, position }),
            );
            statements.push(exact);
        }
        let info = SourceInfo::Influxql {
            url: self.shown_url.clone(),
            database: self.database.clone(),
            queries: statements,
        };
        let mut hourly = HourlyAggregates {
            from: query.from,
            to: query.to,
            mobile: rows.mobile,
            fibre: rows.fibre,
            throughput,
            positions,
        };
        hourly.normalise();
        Ok((hourly, info))
    }

    async fn span(&self) -> Result<Option<StoreSpan>, AuditError> {
        let [first_q, last_q] = span_queries();
        let first = self.query(&first_q).await?;
        let last = self.query(&last_q).await?;
        read_span(&first, &last).map_err(|problem| AuditError::InfluxQuery {
            query: format!("{first_q}; {last_q}"),
            message: format!("unexpected answer: {problem}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use coverage_shared::signal::Thresholds;

    fn query(policy: UsablePolicy, target: Option<&str>) -> AggregateQuery {
        AggregateQuery {
            from: chrono::Utc.with_ymd_and_hms(2025, 11, 1, 0, 0, 0).unwrap(),
            to: chrono::Utc.with_ymd_and_hms(2025, 11, 8, 0, 0, 0).unwrap(),
            policy,
            fibre_target: target.map(str::to_owned),
        }
    }

    #[test]
    fn quoting_escapes_backslash_and_quote() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote(r"dc'x\y"), r"'dc\'x\\y'");
        assert_eq!(quote(r"\'"), r"'\\\''");
    }

    #[test]
    fn default_policy_condition() {
        let c = usable_condition(&UsablePolicy::default()).unwrap();
        assert_eq!(
            c,
            "reg = 'home' AND ((tech = 'gsm' AND rssi_dbm >= -100) OR \
             (tech = 'umts' AND rscp_dbm >= -100) OR (tech = 'lte' AND rsrp_dbm >= -110) OR \
             (tech = 'nr5g-nsa' AND rsrp_dbm >= -110) OR (tech = 'nr5g-sa' AND ss_rsrp_dbm >= -110))"
        );
    }

    #[test]
    fn placement_overrides_roaming_and_techs_are_in_the_where_clause() {
        let mut p = UsablePolicy {
            roaming_counts_for: vec!["452-04".into(), "452-0'1".into()],
            usable_techs: vec![Tech::Lte, Tech::Umts],
            ..UsablePolicy::default()
        };
        p.by_placement.insert(
            Placement::Indoor,
            Thresholds {
                lte_rsrp_dbm: -105.5,
                ..Thresholds::default()
            },
        );
        let c = usable_condition(&p).unwrap();
        assert_eq!(
            c,
            "(reg = 'home' OR (reg = 'roaming' AND (operator = '452-04' OR operator = '452-0\\'1'))) \
             AND ((placement = 'indoor' AND ((tech = 'umts' AND rscp_dbm >= -100) OR \
             (tech = 'lte' AND rsrp_dbm >= -105.5))) OR (placement != 'indoor' AND \
             ((tech = 'umts' AND rscp_dbm >= -100) OR (tech = 'lte' AND rsrp_dbm >= -110))))"
        );
        p.usable_techs = vec![Tech::None];
        assert_eq!(usable_condition(&p), None);
    }

    #[test]
    fn statements() {
        let q = Queries::build(&query(UsablePolicy::default(), Some("dc'x")));
        assert_eq!(
            q.mobile_all,
            "SELECT count(seq) AS samples, count(rsrp_dbm) AS n_rsrp_dbm, count(ss_rsrp_dbm) AS \
             n_ss_rsrp_dbm, count(rscp_dbm) AS n_rscp_dbm, count(rssi_dbm) AS n_rssi_dbm FROM \
             signal WHERE time >= '2025-11-01T00:00:00Z' AND time < '2025-11-08T00:00:00Z' \
             GROUP BY site, operator, tech, reg, placement, time(1h) fill(none)"
        );
        assert!(
            q.mobile_unsynced
                .contains("AND clock_synced = false GROUP BY")
        );
        assert!(
            q.mobile_unsynced_usable
                .as_ref()
                .unwrap()
                .contains("clock_synced = false AND reg = 'home'")
        );
        assert_eq!(
            q.fibre,
            "SELECT count(seq) AS rounds, sum(sent) AS sent, sum(received) AS received, \
             median(rtt_p50_ms) AS rtt_p50_median_ms FROM latency WHERE time >= \
             '2025-11-01T00:00:00Z' AND time < '2025-11-08T00:00:00Z' AND link = 'fibre' AND \
             target = 'dc\\'x' GROUP BY site, time(1h) fill(none)"
        );
        assert_eq!(
            q.positions,
            "SELECT last(pos_lat) AS lat, pos_lon AS lon FROM signal, latency, throughput, \
             heartbeat WHERE time >= '2025-11-01T00:00:00Z' AND time < '2025-11-08T00:00:00Z' \
             GROUP BY site"
        );
        assert_eq!(
            q.throughput,
            "SELECT count(bytes) AS transfers, count(mbps) AS samples, mean(mbps) AS mean_mbps \
             FROM throughput WHERE time >= '2025-11-01T00:00:00Z' AND time < \
             '2025-11-08T00:00:00Z' AND link = 'fibre' GROUP BY site, direction"
        );
        assert_eq!(q.all().len(), 7);
        assert_eq!(
            span_queries(),
            [
                "SELECT first(seq) FROM signal, latency, throughput, heartbeat",
                "SELECT last(seq) FROM signal, latency, throughput, heartbeat"
            ]
        );
        let q = Queries::build(&query(UsablePolicy::default(), None));
        assert!(q.fibre.contains("AND link = 'fibre' GROUP BY"));
    }

    #[test]
    fn lines_are_whole_however_the_reads_split_them() {
        let text = b"{\"a\":1}\n\n{\"bb\":22}\n{\"ccc\":333}\n{\"tail\":4}";
        for step in 1..text.len() {
            let (mut pending, mut scanned, mut lines) = (Vec::new(), 0, Vec::new());
            for read in text.chunks(step) {
                pending.extend_from_slice(read);
                complete_lines(&mut pending, &mut scanned, |l| {
                    lines.push(String::from_utf8(l.to_vec()).unwrap());
                    Ok::<(), ()>(())
                })
                .unwrap();
                assert!(!pending.contains(&b'\n'));
            }
            assert_eq!(
                lines,
                ["{\"a\":1}", "", "{\"bb\":22}", "{\"ccc\":333}"],
                "{step}"
            );
            assert_eq!(pending, b"{\"tail\":4}");
        }
    }

    #[test]
    fn cells_are_numbers_or_null_and_others_are_refused() {
        let line = br#"{"results":[{"statement_id":0,"series":[{"name":"signal","columns":["time","samples"],"values":[[1,"x"],[2,-1],[3,2.5],[4,[1]],[5,{"k":1}],[6,true]]}]}]}"#;
        let series = parse_answer(line).unwrap();
        let v = &series[0].values;
        assert_eq!(v[0], [Cell::UInt(1), Cell::Other]);
        assert_eq!(v[1][1], Cell::Int(-1));
        assert_eq!(v[2][1], Cell::Float(2.5));
        assert!(v[3..].iter().all(|r| r[1] == Cell::Other));
        for row in v {
            let e = count(row, Some(1)).unwrap_err();
            assert!(e.ends_with("is not a count"), "{e}");
        }
        assert_eq!(sum(&v[1], Some(1)), Ok(-1));
        assert_eq!(number(&v[2], Some(1)), Ok(Some(2.5)));
        assert!(time(&[Cell::Float(1.5)]).is_err());
    }

    #[test]
    fn answers_are_read_with_nulls_as_zero() {
        let line = br#"{"results":[{"statement_id":0,"series":[{"name":"signal","tags":{"operator":"452-04","placement":"","reg":"home","site":"s1","tech":"lte"},"columns":["time","samples","n_rsrp_dbm","n_ss_rsrp_dbm","n_rscp_dbm","n_rssi_dbm"],"values":[[1761962400000,2,2,null,null,0]]}],"partial":true}]}"#;
        let series = parse_answer(line).unwrap();
        let rows = read_counts(&series).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0.placement, "");
        assert_eq!(rows[0].0.hour, 1_761_962_400_000);
        assert_eq!(rows[0].1.samples, 2);
        assert_eq!(rows[0].1.ss_rsrp_dbm, 0);
        let err =
            parse_answer(br#"{"results":[{"statement_id":0,"error":"database not found: x"}]}"#)
                .unwrap_err();
        assert!(err.contains("database not found"));
        let err = parse_answer(br#"{"error":"error parsing query: found \\y"}"#).unwrap_err();
        assert!(err.contains("parsing"));
        assert!(
            parse_answer(br#"{"results":[{"statement_id":0}]}"#)
                .unwrap()
                .is_empty()
        );
        let fibre = br#"{"results":[{"statement_id":0,"series":[{"name":"latency","tags":{"site":"s1"},"columns":["time","rounds","sent","received","rtt_p50_median_ms"],"values":[[0,4,40,29,7],[3600000,1,10,0,null]]}]}]}"#;
        let rows = read_fibre(&parse_answer(fibre).unwrap()).unwrap();
        assert_eq!(rows[0].rtt_p50_median_ms, Some(7.0));
        assert_eq!(rows[1].rtt_p50_median_ms, None);
        assert_eq!(rows[1].received, 0);
    }
}

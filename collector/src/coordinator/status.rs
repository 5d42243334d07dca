//! Site status (docs/operations.md "site_status"): every `coordinator.status_every`, per site,
//! what the **store** holds (never what this instance received): its newest reading and
//! heartbeat, the agent's version, uptime, spool and clock from that heartbeat, and a status
//! `alive` / `stale` / `silent` / `unregistered`.
//!
//! - The rules are pure functions ([`classify`], [`site_statuses`]) of the clock's `now` and
//!   what was read, unit-tested below.
//! - Reading: on InfluxDB two InfluxQL statements per pass ([`queries`]): the newest heartbeat
//!   row per site (`SELECT * ... GROUP BY site ORDER BY time DESC LIMIT 1`) and the newest
//!   reading per site and measurement (`last(seq)` with its position). The time range is
//!   bounded by the clock, not `now()`, so the demo runs it on simulated time: the first pass
//!   looks back [`FIRST_LOOKBACK`], later passes twice `silent_after` plus one period, and
//!   what earlier passes read is kept (newest wins), so a site silent for days keeps its last
//!   time. In archive mode (the demo) the archive file is scanned with the audit's archive
//!   parser, each pass from where the previous one stopped (the file is append-only).
//! - Output: one `site_status` point per site, timestamped with the minute, written to the
//!   `rollups` policy (idempotent: a pass repeated within the minute overwrites); the latest
//!   list is kept in a [`StatusBoard`] for `GET /api/v1/sites` and `/metrics` (per-site
//!   last-seen age, counts per status).
//!
//! Invariants: a site of the registry is always listed (never heard from: `silent`) until its
//! `retired` date, and not after it (its alerts stop with it); a site that is not in the
//! registry but is in the store is `unregistered`, whatever its heartbeats;
//! `silent` wins over `stale`, which wins over `alive`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, DurationRound, SecondsFormat, Utc};
use coverage_audit::source::archive::archive_point;
use coverage_audit::source::influxql::quote;
use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::schema::{measurement, tag};
use coverage_shared::site::SiteRegistry;
use influxdb_line_protocol::FieldValue;
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::store::{Series, Store, StoreError};
use super::{Clock, CoordinatorConfig};
use crate::metrics::Metrics;

/// How far back the first pass looks for a site's newest heartbeat and reading.
pub const FIRST_LOOKBACK: Duration = Duration::from_secs(30 * 86_400);

/// The heartbeat interval assumed for a heartbeat without `interval_s` (agents older than the
/// field): the agent's default `schedule.heartbeat_interval`.
pub const DEFAULT_INTERVAL_S: u64 = 60;

/// The measurements whose points are readings (not heartbeats).
const READINGS: [&str; 3] = [
    measurement::SIGNAL,
    measurement::LATENCY,
    measurement::THROUGHPUT,
];

/// A site's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Heartbeats arrive on time.
    Alive,
    /// `stale_heartbeats` heartbeat intervals without a heartbeat (readings may still come).
    Stale,
    /// Nothing (reading or heartbeat) for `silent_after`, or never.
    Silent,
    /// In the store but not in the site registry.
    Unregistered,
}

impl Status {
    /// Every status, in a fixed order.
    pub const ALL: [Status; 4] = [
        Status::Alive,
        Status::Stale,
        Status::Silent,
        Status::Unregistered,
    ];

    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Alive => "alive",
            Status::Stale => "stale",
            Status::Silent => "silent",
            Status::Unregistered => "unregistered",
        }
    }

    /// A tag value back to its status.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The thresholds of the rules, from `[coordinator]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatusRules {
    /// Nothing for this long: `silent`.
    pub silent_after: Duration,
    /// This many heartbeat intervals without a heartbeat: `stale`.
    pub stale_heartbeats: u32,
}

impl StatusRules {
    /// The rules of a `[coordinator]` table.
    pub fn from_config(cfg: &CoordinatorConfig) -> StatusRules {
        StatusRules {
            silent_after: cfg.silent_after,
            stale_heartbeats: cfg.stale_heartbeats,
        }
    }
}

/// The newest heartbeat of a site, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LastHeartbeat {
    /// Its time, ms since the epoch.
    pub ts_ms: i64,
    /// Agent version.
    pub agent: Option<String>,
    /// Seconds since the agent started.
    pub uptime_s: Option<i64>,
    /// The agent's heartbeat interval, s (absent from old agents).
    pub interval_s: Option<i64>,
    /// Readings in the spool.
    pub spool_depth: Option<i64>,
    /// Readings dropped since start.
    pub spool_dropped: Option<i64>,
    /// Whether the agent's clock was synchronised.
    pub clock_synced: Option<bool>,
    /// Age of the last synchronisation, s.
    pub clock_sync_age_s: Option<f64>,
    /// Reported position (lat, lon).
    pub pos: Option<(f64, f64)>,
}

/// What the store holds about one site.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// Time of the newest reading (signal, latency, throughput), ms.
    pub last_reading_ms: Option<i64>,
    /// Position reported by that reading.
    pub reading_pos: Option<(f64, f64)>,
    /// The newest heartbeat.
    pub heartbeat: Option<LastHeartbeat>,
}

impl Observed {
    /// Keeps the newer of each part of `self` and `other`.
    pub fn merge(&mut self, other: Observed) {
        if other.last_reading_ms > self.last_reading_ms {
            self.last_reading_ms = other.last_reading_ms;
            self.reading_pos = other.reading_pos.or(self.reading_pos);
        }
        if let Some(hb) = other.heartbeat
            && self.heartbeat.as_ref().is_none_or(|h| hb.ts_ms > h.ts_ms)
        {
            self.heartbeat = Some(hb);
        }
    }

    /// The newest time anything of the site was stored, ms.
    pub fn last_seen_ms(&self) -> Option<i64> {
        self.last_reading_ms
            .max(self.heartbeat.as_ref().map(|h| h.ts_ms))
    }
}

/// The status rule (module doc): `now_ms` is the clock's now.
pub fn classify(now_ms: i64, seen: &Observed, registered: bool, rules: &StatusRules) -> Status {
    if !registered {
        return Status::Unregistered;
    }
    let age_ms = |t: i64| now_ms.saturating_sub(t).max(0);
    let silent_ms = i64::try_from(rules.silent_after.as_millis()).unwrap_or(i64::MAX);
    match seen.last_seen_ms() {
        None => return Status::Silent,
        Some(t) if age_ms(t) > silent_ms => return Status::Silent,
        Some(_) => {}
    }
    let Some(hb) = &seen.heartbeat else {
        // Readings without any heartbeat: the heartbeats are missing.
        return Status::Stale;
    };
    let interval_s = hb
        .interval_s
        .filter(|i| *i > 0)
        .unwrap_or(DEFAULT_INTERVAL_S as i64);
    let stale_ms = interval_s
        .saturating_mul(1000)
        .saturating_mul(i64::from(rules.stale_heartbeats.max(1)));
    if age_ms(hb.ts_ms) > stale_ms {
        Status::Stale
    } else {
        Status::Alive
    }
}

/// One site's status, as `GET /api/v1/sites` serves it and `site_status` stores it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteStatus {
    /// Site id.
    pub site: String,
    /// Its status.
    pub status: Status,
    /// Whether the site is in the registry.
    pub registered: bool,
    /// Boundary set in force at the pass, when the site has a position.
    pub set: Option<String>,
    /// Province code.
    pub province: Option<String>,
    /// District code (sets with districts).
    pub district: Option<String>,
    /// Commune code.
    pub commune: Option<String>,
    /// Commune name.
    pub commune_name: Option<String>,
    /// Latitude: the registry's, else the last reported.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Newest reading, RFC 3339.
    pub last_reading: Option<String>,
    /// Seconds since it.
    pub last_reading_age_s: Option<f64>,
    /// Newest heartbeat, RFC 3339.
    pub last_heartbeat: Option<String>,
    /// Seconds since it.
    pub last_heartbeat_age_s: Option<f64>,
    /// Agent version (last heartbeat).
    pub agent: Option<String>,
    /// Agent uptime, s (last heartbeat).
    pub uptime_s: Option<i64>,
    /// Heartbeat interval, s (last heartbeat).
    pub interval_s: Option<i64>,
    /// Spool depth (last heartbeat).
    pub spool_depth: Option<i64>,
    /// Readings dropped by the spool (last heartbeat).
    pub spool_dropped: Option<i64>,
    /// Clock synchronised (last heartbeat).
    pub clock_synced: Option<bool>,
    /// Age of the clock synchronisation, s (last heartbeat).
    pub clock_sync_age_s: Option<f64>,
    /// Stored / issued readings over what the agent holds (the gap pass; InfluxDB only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completeness: Option<f64>,
}

fn rfc3339(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// The status of every site of the registry and of every site the store holds, sorted by id.
pub fn site_statuses(
    now: DateTime<Utc>,
    observed: &BTreeMap<String, Observed>,
    registry: &SiteRegistry,
    boundaries: &BoundaryRegistry,
    rules: &StatusRules,
) -> Vec<SiteStatus> {
    let now_ms = now.timestamp_millis();
    let mut ids: BTreeMap<&str, Option<(f64, f64)>> =
        observed.keys().map(|id| (id.as_str(), None)).collect();
    for s in &registry.sites {
        if s.retired.is_some_and(|r| r <= now) {
            // Retired (`site retire`): out of service, so neither silent nor unregistered.
            ids.remove(s.id.as_str());
        } else {
            ids.insert(s.id.as_str(), Some((s.lat, s.lon)));
        }
    }
    let set = boundaries.in_force_at(now);
    let empty = Observed::default();
    ids.into_iter()
        .map(|(id, registered_at)| {
            let seen = observed.get(id).unwrap_or(&empty);
            let hb = seen.heartbeat.as_ref();
            let pos = registered_at
                .or_else(|| hb.and_then(|h| h.pos))
                .or(seen.reading_pos);
            let commune = set
                .zip(pos)
                .and_then(|(set, (lat, lon))| set.commune_at(lat, lon));
            let age = |t: i64| now_ms.saturating_sub(t).max(0) as f64 / 1000.0;
            SiteStatus {
                site: id.to_owned(),
                status: classify(now_ms, seen, registered_at.is_some(), rules),
                registered: registered_at.is_some(),
                set: pos.and(set).map(|s| s.name().to_owned()),
                province: commune.map(|c| c.province.code.clone()),
                district: commune.and_then(|c| c.district.as_ref().map(|d| d.code.clone())),
                commune: commune.map(|c| c.code.clone()),
                commune_name: commune.map(|c| c.name.clone()),
                lat: pos.map(|p| p.0),
                lon: pos.map(|p| p.1),
                last_reading: seen.last_reading_ms.and_then(rfc3339),
                last_reading_age_s: seen.last_reading_ms.map(age),
                last_heartbeat: hb.and_then(|h| rfc3339(h.ts_ms)),
                last_heartbeat_age_s: hb.map(|h| age(h.ts_ms)),
                agent: hb.and_then(|h| h.agent.clone()),
                uptime_s: hb.and_then(|h| h.uptime_s),
                interval_s: hb.and_then(|h| h.interval_s),
                spool_depth: hb.and_then(|h| h.spool_depth),
                spool_dropped: hb.and_then(|h| h.spool_dropped),
                clock_synced: hb.and_then(|h| h.clock_synced),
                clock_sync_age_s: hb.and_then(|h| h.clock_sync_age_s),
                completeness: None,
            }
        })
        .collect()
}

/// The `site_status` lines of `statuses` at `at` (the pass's time, to the second).
pub fn status_lines(statuses: &[SiteStatus], at: DateTime<Utc>) -> String {
    use coverage_shared::schema::lines::status::{StatusPoint, line};
    // The pass's own second, not its minute: `status` is a tag, so a site whose status changed
    // between two passes of one minute would otherwise hold two points at the same time, one
    // per status, and `last("status")` could pick the older.
    let ts = at
        .duration_trunc(chrono::TimeDelta::seconds(1))
        .unwrap_or(at)
        .timestamp_millis();
    let mut out = String::new();
    for s in statuses {
        out.push_str(&line(
            &StatusPoint {
                site: &s.site,
                status: s.status.as_str(),
                set: s.set.as_deref(),
                province: s.province.as_deref(),
                district: s.district.as_deref(),
                commune: s.commune.as_deref(),
                commune_name: s.commune_name.as_deref(),
                last_reading_age_s: s.last_reading_age_s,
                last_heartbeat_age_s: s.last_heartbeat_age_s,
                last_reading: s.last_reading.as_deref(),
                last_heartbeat: s.last_heartbeat.as_deref(),
                agent: s.agent.as_deref(),
                uptime_s: s.uptime_s,
                interval_s: s.interval_s,
                spool_depth: s.spool_depth,
                spool_dropped: s.spool_dropped,
                clock_synced: s.clock_synced,
                clock_sync_age_s: s.clock_sync_age_s,
                completeness: s.completeness,
                lat: s.lat,
                lon: s.lon,
                registered: s.registered,
            },
            ts,
        ));
    }
    out
}

/// The two statements of a pass over `[from, to]`: the newest heartbeat row per site, and the
/// newest reading per site and measurement with its position.
pub fn queries(from: DateTime<Utc>, to: DateTime<Utc>) -> [String; 2] {
    let time = format!(
        "time >= {} AND time <= {}",
        quote(&from.to_rfc3339_opts(SecondsFormat::Millis, true)),
        quote(&to.to_rfc3339_opts(SecondsFormat::Millis, true))
    );
    let readings = READINGS
        .iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ");
    [
        format!(
            "SELECT * FROM \"{}\" WHERE {time} GROUP BY \"{}\" ORDER BY time DESC LIMIT 1",
            measurement::HEARTBEAT,
            tag::SITE
        ),
        format!(
            "SELECT last(\"seq\") AS \"seq\", \"pos_lat\", \"pos_lon\" FROM {readings} \
             WHERE {time} GROUP BY \"{}\"",
            tag::SITE
        ),
    ]
}

fn int(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

fn float(v: Option<&Value>) -> Option<f64> {
    v?.as_f64()
}

fn position(lat: Option<f64>, lon: Option<f64>) -> Option<(f64, f64)> {
    lat.zip(lon)
}

/// What the two answers of [`queries`] say, per site.
pub fn read_answers(heartbeats: &[Series], readings: &[Series]) -> BTreeMap<String, Observed> {
    let mut out: BTreeMap<String, Observed> = BTreeMap::new();
    for s in heartbeats {
        let site = s.tag(tag::SITE);
        if site.is_empty() {
            continue;
        }
        for row in &s.values {
            let Some(ts_ms) = int(s.cell(row, "time")) else {
                continue;
            };
            let get = |k: &str| s.cell(row, k);
            let hb = LastHeartbeat {
                ts_ms,
                agent: get("agent").and_then(Value::as_str).map(str::to_owned),
                uptime_s: int(get("uptime_s")),
                interval_s: int(get("interval_s")),
                spool_depth: int(get("spool_depth")),
                spool_dropped: int(get("spool_dropped")),
                clock_synced: get("clock_synced").and_then(Value::as_bool),
                clock_sync_age_s: float(get("clock_sync_age_s")),
                pos: position(float(get("pos_lat")), float(get("pos_lon"))),
            };
            out.entry(site.to_owned()).or_default().merge(Observed {
                heartbeat: Some(hb),
                ..Observed::default()
            });
        }
    }
    for s in readings {
        let site = s.tag(tag::SITE);
        if site.is_empty() {
            continue;
        }
        for row in &s.values {
            let Some(ts_ms) = int(s.cell(row, "time")) else {
                continue;
            };
            out.entry(site.to_owned()).or_default().merge(Observed {
                last_reading_ms: Some(ts_ms),
                reading_pos: position(float(s.cell(row, "pos_lat")), float(s.cell(row, "pos_lon"))),
                heartbeat: None,
            });
        }
    }
    out
}

fn lp_int(v: Option<&FieldValue<'_>>) -> Option<i64> {
    match v? {
        FieldValue::I64(i) => Some(*i),
        FieldValue::U64(u) => i64::try_from(*u).ok(),
        FieldValue::F64(f) => Some(*f as i64),
        _ => None,
    }
}

fn lp_float(v: Option<&FieldValue<'_>>) -> Option<f64> {
    match v? {
        FieldValue::F64(f) => Some(*f),
        FieldValue::I64(i) => Some(*i as f64),
        FieldValue::U64(u) => Some(*u as f64),
        _ => None,
    }
}

/// Scans an archive file for heartbeats and readings, from where the previous scan stopped.
#[derive(Debug)]
pub struct ArchiveScanner {
    path: PathBuf,
    /// Bytes already read (only whole lines are consumed).
    offset: u64,
}

impl ArchiveScanner {
    /// A scanner of `path` from its start.
    pub fn new(path: PathBuf) -> ArchiveScanner {
        ArchiveScanner { path, offset: 0 }
    }

    /// What the lines appended since the last scan say, per site (blocking I/O). A missing
    /// file is an empty store; a file shorter than what was read (replaced) is read again.
    pub fn scan(&mut self) -> Result<BTreeMap<String, Observed>, StoreError> {
        let io = |source| StoreError::Io {
            path: self.path.display().to_string(),
            source,
        };
        let mut out: BTreeMap<String, Observed> = BTreeMap::new();
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io(e)),
        };
        let len = file.metadata().map_err(io)?.len();
        if len < self.offset {
            self.offset = 0;
        }
        file.seek(SeekFrom::Start(self.offset)).map_err(io)?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut buf = Vec::with_capacity(512);
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(io)?;
            if n == 0 || buf.last() != Some(&b'\n') {
                // End of file, or a line still being written: read it next time.
                break;
            }
            self.offset += n as u64;
            let Ok(text) = std::str::from_utf8(&buf) else {
                continue;
            };
            let Some((line, ts)) = archive_point(text) else {
                continue;
            };
            let m = line.series.measurement.as_str();
            let Some(site) = line.tag_value(tag::SITE) else {
                continue;
            };
            let pos = position(
                lp_float(line.field_value("pos_lat")),
                lp_float(line.field_value("pos_lon")),
            );
            let seen = if m == measurement::HEARTBEAT {
                let f = |k: &str| line.field_value(k);
                Observed {
                    heartbeat: Some(LastHeartbeat {
                        ts_ms: ts,
                        agent: match f("agent") {
                            Some(FieldValue::String(s)) => Some(s.to_string()),
                            _ => None,
                        },
                        uptime_s: lp_int(f("uptime_s")),
                        interval_s: lp_int(f("interval_s")),
                        spool_depth: lp_int(f("spool_depth")),
                        spool_dropped: lp_int(f("spool_dropped")),
                        clock_synced: match f("clock_synced") {
                            Some(FieldValue::Boolean(b)) => Some(*b),
                            _ => None,
                        },
                        clock_sync_age_s: lp_float(f("clock_sync_age_s")),
                        pos,
                    }),
                    ..Observed::default()
                }
            } else if READINGS.contains(&m) {
                Observed {
                    last_reading_ms: Some(ts),
                    reading_pos: pos,
                    heartbeat: None,
                }
            } else {
                continue;
            };
            out.entry(site.to_string()).or_default().merge(seen);
        }
        Ok(out)
    }
}

/// The latest statuses, shared with the API and `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard(Arc<RwLock<Option<StatusSnapshot>>>);

/// One pass's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusSnapshot {
    /// The pass's time (the coordinator's clock), RFC 3339.
    pub at: String,
    /// Every site, by id.
    pub sites: Vec<SiteStatus>,
}

impl StatusBoard {
    /// The latest snapshot (`None` before the first pass, or on an instance that is not the
    /// coordinator).
    pub fn latest(&self) -> Option<StatusSnapshot> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the latest snapshot.
    pub fn publish(&self, snapshot: StatusSnapshot) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(snapshot);
    }
}

/// Why a pass failed (the next pass tries again).
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The archive scan task failed.
    #[error("archive scan task failed: {0}")]
    Task(String),
}

/// The status task of the coordinator.
#[derive(Debug)]
pub struct StatusTask {
    store: Store,
    clock: Arc<dyn Clock>,
    rules: StatusRules,
    every: Duration,
    registry: crate::registry::LiveRegistry,
    boundaries: Arc<BoundaryRegistry>,
    board: StatusBoard,
    metrics: Arc<Metrics>,
    gaps: super::gaps::GapBoard,
    /// Everything read so far, per site (newest wins).
    seen: BTreeMap<String, Observed>,
    /// In archive mode: where the previous scan stopped.
    scanner: Option<Arc<std::sync::Mutex<ArchiveScanner>>>,
    /// The end of the last range queried on InfluxDB.
    last_to: Option<DateTime<Utc>>,
}

/// What a [`StatusTask`] needs.
#[derive(Debug)]
pub struct StatusInputs {
    /// Where to read and write.
    pub store: Store,
    /// The coordinator's clock.
    pub clock: Arc<dyn Clock>,
    /// `[coordinator]`.
    pub config: CoordinatorConfig,
    /// The site registry (as the running collector has it now, at each pass).
    pub registry: crate::registry::LiveRegistry,
    /// Boundary sets (placement of each site in the set in force).
    pub boundaries: Arc<BoundaryRegistry>,
    /// Where the latest list is published.
    pub board: StatusBoard,
    /// Where the gauges are.
    pub metrics: Arc<Metrics>,
    /// Completeness per site, from the gap pass.
    pub gaps: super::gaps::GapBoard,
}

impl StatusTask {
    /// A task over `inputs`.
    pub fn new(inputs: StatusInputs) -> StatusTask {
        let scanner = match &inputs.store {
            Store::Archive(a) => Some(Arc::new(std::sync::Mutex::new(ArchiveScanner::new(
                a.archive.clone(),
            )))),
            Store::Influx(_) => None,
        };
        StatusTask {
            rules: StatusRules::from_config(&inputs.config),
            every: inputs.config.status_every,
            store: inputs.store,
            clock: inputs.clock,
            registry: inputs.registry,
            boundaries: inputs.boundaries,
            board: inputs.board,
            metrics: inputs.metrics,
            gaps: inputs.gaps,
            seen: BTreeMap::new(),
            scanner,
            last_to: None,
        }
    }

    /// Reads what was stored since the last pass into `self.seen`.
    async fn read(&mut self, now: DateTime<Utc>) -> Result<(), StatusError> {
        let fresh = match (&self.store, &self.scanner) {
            (Store::Influx(influx), _) => {
                let back = match self.last_to {
                    None => FIRST_LOOKBACK,
                    Some(_) => self.rules.silent_after * 2 + self.every,
                };
                let from = now - chrono::TimeDelta::from_std(back).unwrap_or_default();
                let [heartbeats, readings] = queries(from, now);
                let heartbeats = influx.query(&heartbeats).await?;
                let readings = influx.query(&readings).await?;
                self.last_to = Some(now);
                read_answers(&heartbeats, &readings)
            }
            (Store::Archive(_), Some(scanner)) => {
                let scanner = scanner.clone();
                tokio::task::spawn_blocking(move || {
                    scanner.lock().unwrap_or_else(|p| p.into_inner()).scan()
                })
                .await
                .map_err(|e| StatusError::Task(e.to_string()))??
            }
            (Store::Archive(_), None) => BTreeMap::new(),
        };
        for (site, seen) in fresh {
            self.seen.entry(site).or_default().merge(seen);
        }
        Ok(())
    }

    /// One pass: read, judge, write `site_status`, publish. Returns the statuses.
    pub async fn pass(&mut self) -> Result<Vec<SiteStatus>, StatusError> {
        let now = self.clock.now();
        self.read(now).await?;
        let sites = self.registry.current();
        let mut statuses = site_statuses(
            now,
            &self.seen,
            &sites.registry,
            &self.boundaries,
            &self.rules,
        );
        for s in &mut statuses {
            s.completeness = self.gaps.get(&s.site).and_then(|g| g.completeness());
        }
        let lines = status_lines(&statuses, now);
        if !lines.is_empty() {
            self.store.write_rollups(&lines).await?;
        }
        self.metrics.set_site_statuses(
            &Status::ALL.map(Status::as_str),
            statuses
                .iter()
                .map(|s| (s.site.as_str(), s.status.as_str(), s.last_seen_age_s())),
        );
        self.board.publish(StatusSnapshot {
            at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            sites: statuses.clone(),
        });
        Ok(statuses)
    }

    /// Runs a pass every `status_every` until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut tick = super::Periodic::new(self.every);
        while tick.next(&shutdown).await {
            match self.pass().await {
                Ok(statuses) => {
                    tracing::debug!(sites = statuses.len(), "Site status written.");
                }
                Err(e) => {
                    self.metrics.status_errors.inc();
                    tracing::warn!(error = %e, "Site status pass failed; trying again next period.");
                }
            }
        }
    }
}

impl SiteStatus {
    /// Seconds since anything of the site was stored (`None`: never).
    pub fn last_seen_age_s(&self) -> Option<f64> {
        match (self.last_reading_age_s, self.last_heartbeat_age_s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use coverage_shared::schema::derived;
    use coverage_shared::site::SiteEntry;

    const MIN: i64 = 60_000;

    fn rules() -> StatusRules {
        StatusRules {
            silent_after: Duration::from_secs(15 * 60),
            stale_heartbeats: 3,
        }
    }

    fn hb(ts_ms: i64, interval_s: Option<i64>) -> Option<LastHeartbeat> {
        Some(LastHeartbeat {
            ts_ms,
            interval_s,
            agent: Some("0.1.0".into()),
            ..LastHeartbeat::default()
        })
    }

    fn seen(reading: Option<i64>, heartbeat: Option<LastHeartbeat>) -> Observed {
        Observed {
            last_reading_ms: reading,
            reading_pos: None,
            heartbeat,
        }
    }

    #[test]
    fn heartbeats_on_time_are_alive_three_missed_are_stale() {
        let now = 100 * MIN;
        let r = rules();
        // Interval 60 s: stale after 3 minutes without a heartbeat.
        let at =
            |age_ms: i64| classify(now, &seen(Some(now), hb(now - age_ms, Some(60))), true, &r);
        assert_eq!(at(0), Status::Alive);
        assert_eq!(
            at(3 * MIN),
            Status::Alive,
            "exactly 3 intervals is not yet stale"
        );
        assert_eq!(at(3 * MIN + 1), Status::Stale);
        // Interval 5 min: 12 minutes without a heartbeat is still alive.
        let slow = seen(Some(now), hb(now - 12 * MIN, Some(300)));
        assert_eq!(classify(now, &slow, true, &r), Status::Alive);
        // Without interval_s (an old agent), the agent's default 60 s.
        let old = seen(Some(now), hb(now - 4 * MIN, None));
        assert_eq!(classify(now, &old, true, &r), Status::Stale);
        // Readings but never a heartbeat: stale.
        assert_eq!(
            classify(now, &seen(Some(now), None), true, &r),
            Status::Stale
        );
        // stale_heartbeats = 5 stretches it.
        let five = StatusRules {
            stale_heartbeats: 5,
            ..r
        };
        let four_missed = seen(Some(now), hb(now - 4 * MIN, Some(60)));
        assert_eq!(classify(now, &four_missed, true, &five), Status::Alive);
    }

    #[test]
    fn nothing_for_silent_after_or_never_is_silent_and_silent_wins() {
        let now = 100 * MIN;
        let r = rules();
        assert_eq!(classify(now, &seen(None, None), true, &r), Status::Silent);
        let quiet = seen(Some(now - 15 * MIN - 1), hb(now - 20 * MIN, Some(60)));
        assert_eq!(classify(now, &quiet, true, &r), Status::Silent);
        // A reading within silent_after keeps it merely stale.
        let readings_only = seen(Some(now - 14 * MIN), hb(now - 20 * MIN, Some(60)));
        assert_eq!(classify(now, &readings_only, true, &r), Status::Stale);
        // A long heartbeat interval cannot hide silence.
        let rare = seen(None, hb(now - 16 * MIN, Some(3600)));
        assert_eq!(classify(now, &rare, true, &r), Status::Silent);
        // A clock behind the store (a point "in the future") is not negative age.
        let ahead = seen(Some(now + MIN), hb(now + MIN, Some(60)));
        assert_eq!(classify(now, &ahead, true, &r), Status::Alive);
    }

    #[test]
    fn a_site_not_in_the_registry_is_unregistered_whatever_it_sends() {
        let now = 100 * MIN;
        for s in [
            seen(Some(now), hb(now, Some(60))),
            seen(None, hb(now - 60 * MIN, Some(60))),
        ] {
            assert_eq!(classify(now, &s, false, &rules()), Status::Unregistered);
        }
    }

    #[test]
    fn merge_keeps_the_newest_of_each_part() {
        let mut a = seen(Some(10), hb(20, Some(60)));
        a.merge(seen(Some(5), hb(30, Some(120))));
        assert_eq!(a.last_reading_ms, Some(10));
        assert_eq!(a.heartbeat.as_ref().unwrap().interval_s, Some(120));
        a.merge(seen(Some(40), None));
        assert_eq!(a.last_reading_ms, Some(40));
        assert_eq!(a.heartbeat.as_ref().unwrap().ts_ms, 30);
        assert_eq!(a.last_seen_ms(), Some(40));
    }

    fn boundaries() -> BoundaryRegistry {
        BoundaryRegistry::embedded().unwrap()
    }

    #[test]
    fn every_registry_site_is_listed_placed_and_the_store_adds_the_unregistered() {
        let now = Utc.with_ymd_and_hms(2025, 11, 1, 7, 0, 30).unwrap();
        let now_ms = now.timestamp_millis();
        let registry = SiteRegistry::from_sites(vec![
            SiteEntry::at("alive", 22.162534, 105.844234),
            SiteEntry::at("never", 22.14579, 105.816676),
        ])
        .unwrap();
        let mut observed = BTreeMap::new();
        observed.insert(
            "alive".to_owned(),
            seen(Some(now_ms - 1000), hb(now_ms - 30_000, Some(60))),
        );
        let mut stray = seen(Some(now_ms - 5000), None);
        stray.reading_pos = Some((22.162534, 105.844234));
        observed.insert("stray".to_owned(), stray);
        let list = site_statuses(now, &observed, &registry, &boundaries(), &rules());
        let ids: Vec<&str> = list.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(ids, ["alive", "never", "stray"]);
        let alive = &list[0];
        assert_eq!(alive.status, Status::Alive);
        assert!(alive.registered);
        // 2025-11 is the 2025 set: Phường Đức Xuân (01840) holds the former 01834.
        assert_eq!(alive.set.as_deref(), Some("thai-nguyen-2025"));
        assert_eq!(alive.commune.as_deref(), Some("01840"));
        assert!(alive.commune_name.is_some());
        assert_eq!(alive.last_heartbeat_age_s, Some(30.0));
        assert_eq!(
            alive.last_reading.as_deref(),
            Some("2025-11-01T07:00:29.000Z")
        );
        assert_eq!(alive.agent.as_deref(), Some("0.1.0"));
        assert_eq!(alive.last_seen_age_s(), Some(1.0));
        let never = &list[1];
        assert_eq!(never.status, Status::Silent);
        assert_eq!(never.last_reading, None);
        assert!(never.commune.is_some(), "placed from the registry");
        let stray = &list[2];
        assert_eq!(stray.status, Status::Unregistered);
        assert!(!stray.registered);
        assert_eq!(stray.lat, Some(22.162534), "placed where it reported");
    }

    #[test]
    fn a_retired_site_is_no_longer_listed_from_its_end_date() {
        let now = Utc.with_ymd_and_hms(2025, 11, 1, 7, 0, 30).unwrap();
        let now_ms = now.timestamp_millis();
        let mut gone = SiteEntry::at("gone", 22.162534, 105.844234);
        gone.retired = Some(now - chrono::TimeDelta::hours(1));
        let mut later = SiteEntry::at("later", 22.14579, 105.816676);
        later.retired = Some(now + chrono::TimeDelta::days(1));
        let registry = SiteRegistry::from_sites(vec![gone, later]).unwrap();
        let mut observed = BTreeMap::new();
        // Its last readings are still in the store's window.
        observed.insert(
            "gone".to_owned(),
            seen(
                Some(now_ms - 2 * 3_600_000),
                hb(now_ms - 2 * 3_600_000, Some(60)),
            ),
        );
        let list = site_statuses(now, &observed, &registry, &boundaries(), &rules());
        let ids: Vec<&str> = list.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(ids, ["later"], "retired: neither silent nor unregistered");
        assert_eq!(list[0].status, Status::Silent);
    }

    #[test]
    fn status_lines_follow_the_contract() {
        let now = Utc.with_ymd_and_hms(2025, 11, 1, 7, 0, 30).unwrap();
        let registry =
            SiteRegistry::from_sites(vec![SiteEntry::at("a", 22.162534, 105.844234)]).unwrap();
        let mut observed = BTreeMap::new();
        let mut h = hb(now.timestamp_millis() - 10_000, Some(60)).unwrap();
        h.uptime_s = Some(3600);
        h.spool_depth = Some(4);
        h.spool_dropped = Some(0);
        h.clock_synced = Some(true);
        h.clock_sync_age_s = Some(12.5);
        observed.insert("a".to_owned(), seen(None, Some(h)));
        let list = site_statuses(now, &observed, &registry, &boundaries(), &rules());
        let text = status_lines(&list, now);
        let p = influxdb_line_protocol::parse_lines(&text)
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(p.series.measurement.as_str(), derived::SITE_STATUS);
        assert_eq!(
            p.timestamp,
            Some(now.timestamp_millis()),
            "the pass's second"
        );
        let t = |k: &str| p.tag_value(k).map(|v| v.to_string());
        assert_eq!(t(tag::SITE).as_deref(), Some("a"));
        assert_eq!(t(derived::tag::STATUS).as_deref(), Some("alive"));
        assert_eq!(t(tag::COMMUNE).as_deref(), Some("01840"));
        assert!(t(derived::tag::COMMUNE_NAME).is_some());
        use derived::site_status as f;
        assert!(
            matches!(p.field_value(f::STATUS), Some(FieldValue::String(s)) if s.as_str() == "alive")
        );
        assert!(matches!(
            p.field_value(f::INTERVAL_S),
            Some(FieldValue::I64(60))
        ));
        assert!(matches!(
            p.field_value(f::SPOOL_DEPTH),
            Some(FieldValue::I64(4))
        ));
        assert!(matches!(
            p.field_value(f::CLOCK_SYNCED),
            Some(FieldValue::Boolean(true))
        ));
        assert!(
            matches!(p.field_value(f::LAST_HEARTBEAT_AGE_S), Some(FieldValue::F64(x)) if *x == 10.0)
        );
        assert!(matches!(
            p.field_value(f::REGISTERED),
            Some(FieldValue::Boolean(true))
        ));
        assert!(
            p.field_value(f::LAST_READING_AGE_S).is_none(),
            "never: absent"
        );
        assert!(matches!(p.field_value(f::LAT), Some(FieldValue::F64(_))));
    }

    #[test]
    fn answers_are_read_per_site_newest_first() {
        let hb_answer = br#"{"results":[{"statement_id":0,"series":[
            {"name":"heartbeat","tags":{"site":"a"},"columns":["time","agent","clock_sync_age_s","clock_synced","interval_s","pos_lat","pos_lon","spool_depth","spool_dropped","uptime_s","run"],
             "values":[[120000,"0.2.0",3.5,true,60,22.1,105.8,2,0,99,"r1"]]}]}]}"#;
        let readings_answer = br#"{"results":[{"statement_id":0,"series":[
            {"name":"signal","tags":{"site":"a"},"columns":["time","seq","pos_lat","pos_lon"],"values":[[180000,17,22.1,105.8]]},
            {"name":"latency","tags":{"site":"a"},"columns":["time","seq","pos_lat","pos_lon"],"values":[[170000,16,22.1,105.8]]},
            {"name":"latency","tags":{"site":"b"},"columns":["time","seq","pos_lat","pos_lon"],"values":[[60000,3,21.0,105.0]]}]}]}"#;
        let hbs = super::super::store::parse_answer(hb_answer).unwrap();
        let rs = super::super::store::parse_answer(readings_answer).unwrap();
        let got = read_answers(&hbs, &rs);
        let a = &got["a"];
        assert_eq!(a.last_reading_ms, Some(180_000));
        let h = a.heartbeat.as_ref().unwrap();
        assert_eq!(
            (
                h.ts_ms,
                h.agent.as_deref(),
                h.interval_s,
                h.clock_synced,
                h.uptime_s
            ),
            (120_000, Some("0.2.0"), Some(60), Some(true), Some(99))
        );
        assert_eq!(h.pos, Some((22.1, 105.8)));
        assert_eq!(got["b"].reading_pos, Some((21.0, 105.0)));
        assert!(got["b"].heartbeat.is_none());
    }

    #[test]
    fn the_archive_is_scanned_incrementally_with_the_audits_parser() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.lp");
        std::fs::write(
            &path,
            "heartbeat,site=a,run=r seq=1i,uptime_s=5i,interval_s=60i,spool_depth=0i,spool_dropped=0i,agent=\"0.2.0\",pos_lat=22.1,pos_lon=105.8,clock_synced=true 60000\n\
             signal,site=a,run=r,operator=452-04 seq=2i,rsrp_dbm=-90,pos_lat=22.1,pos_lon=105.8 90000\n\
             # a comment\n\
             not line protocol\n\
             latency,site=b,run=r seq=1i,sent=10i,pos_lat=1",
        )
        .unwrap();
        let mut scanner = ArchiveScanner::new(path.clone());
        let first = scanner.scan().unwrap();
        assert_eq!(first["a"].last_reading_ms, Some(90_000));
        let h = first["a"].heartbeat.as_ref().unwrap();
        assert_eq!(
            (h.interval_s, h.agent.as_deref()),
            (Some(60), Some("0.2.0"))
        );
        assert_eq!(h.clock_synced, Some(true));
        assert!(!first.contains_key("b"), "an unfinished last line waits");
        // The line is finished and another appended: only the new lines are read.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b".5,pos_lon=2 120000\nheartbeat,site=a,run=r seq=3i,interval_s=30i 150000\n")
            .unwrap();
        let second = scanner.scan().unwrap();
        assert_eq!(second["b"].last_reading_ms, Some(120_000));
        assert_eq!(second["a"].last_reading_ms, None, "not read twice");
        assert_eq!(second["a"].heartbeat.as_ref().unwrap().interval_s, Some(30));
        assert!(scanner.scan().unwrap().is_empty());
        // A missing file is an empty store.
        let mut none = ArchiveScanner::new(dir.path().join("none.lp"));
        assert!(none.scan().unwrap().is_empty());
    }

    #[test]
    fn queries_are_bounded_by_the_clock() {
        let to = Utc.with_ymd_and_hms(2025, 11, 1, 7, 0, 0).unwrap();
        let [h, r] = queries(to - chrono::TimeDelta::hours(1), to);
        assert!(
            h.contains("time >= '2025-11-01T06:00:00.000Z' AND time <= '2025-11-01T07:00:00.000Z'"),
            "{h}"
        );
        assert!(
            h.contains("GROUP BY \"site\" ORDER BY time DESC LIMIT 1"),
            "{h}"
        );
        assert!(
            r.contains("FROM \"signal\", \"latency\", \"throughput\""),
            "{r}"
        );
        assert!(!h.contains("now()") && !r.contains("now()"));
    }
}

//! The scenario: what to generate, as TOML (`deny_unknown_fields`) and as the same Rust structs.
//!
//! A scenario is a period, sites at chosen positions, and per site its SIMs (one operator each,
//! with signal statistics), its fibre latency probes and its throughput tests. Invariants that
//! [`Scenario::validate`] enforces, so generation itself cannot fail:
//!
//! - the period is non-empty and starts on or after 2020-01-01 (the collector rejects older);
//! - site ids are valid topic levels and unique; positions are valid WGS84;
//! - operators are `MCC-MNC`; shares are within 0..=1; the registration mix has a positive
//!   weight; rates are positive and at most one sample per second;
//! - every outage window is ordered;
//! - the heartbeat interval is 0 (none) or 1 s to 1 day.
//!
//! Times are RFC 3339 strings in the TOML (`from = "2024-11-01T00:00:00Z"`), since chrono reads
//! strings, not TOML's bare datetimes.

use chrono::{DateTime, Utc};
use coverage_shared::wire::{Antenna, Link, Method, Placement, Tech};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::GenError;

/// Everything the generator produces, in one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The seed used when the caller gives none.
    #[serde(default)]
    pub seed: u64,
    /// What time span the readings cover.
    pub period: Period,
    /// Seconds of simulated time between two heartbeats of a site (the heartbeats carry it as
    /// `interval_s`); `0`: no heartbeats. Default [`DEFAULT_HEARTBEAT_S`].
    #[serde(default = "default_heartbeat_s")]
    pub heartbeat_s: u64,
    /// The sites, each with its own agent (run id, sequence numbers).
    pub sites: Vec<SiteSpec>,
}

/// The heartbeat interval of a scenario that names none: the agent's own default (60 s).
pub const DEFAULT_HEARTBEAT_S: u64 = 60;

fn default_heartbeat_s() -> u64 {
    DEFAULT_HEARTBEAT_S
}

/// The time span of the readings: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First instant (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Offset of local time from UTC, in hours, for [`SimSpec::hours`] (Vietnam: 7).
    #[serde(default)]
    pub utc_offset_hours: i32,
}

/// One site: a box at a position with its SIMs and probes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// Site id, `[A-Za-z0-9_-]{1,64}` (also the MQTT topic level).
    pub id: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Antenna placement of every SIM of the site.
    #[serde(default = "default_placement")]
    pub placement: Placement,
    /// Antenna type of every SIM of the site.
    #[serde(default = "default_antenna")]
    pub antenna: Antenna,
    /// Modems/SIMs, one operator each.
    #[serde(default)]
    pub sims: Vec<SimSpec>,
    /// Latency probes (fibre or other links).
    #[serde(default)]
    pub fibre: Vec<LatencySpec>,
    /// Throughput tests.
    #[serde(default)]
    pub throughput: Vec<ThroughputSpec>,
}

fn default_placement() -> Placement {
    Placement::Indoor
}
fn default_antenna() -> Antenna {
    Antenna::Internal
}

/// One SIM's signal samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSpec {
    /// Home operator of the SIM, `MCC-MNC` (`452-04`).
    pub operator: String,
    /// Modem name; default `sim{index}`.
    #[serde(default)]
    pub modem: Option<String>,
    /// Technology of the serving cell while registered.
    #[serde(default = "default_tech")]
    pub tech: Tech,
    /// Samples per hour, evenly spaced (1..=3600).
    pub samples_per_hour: u32,
    /// Local hours of the day (0..=23, see [`Period::utc_offset_hours`]) that are measured;
    /// empty = every hour.
    #[serde(default)]
    pub hours: Vec<u8>,
    /// Of the registered samples with a deciding value, the share at or above the threshold.
    pub usable_share: f64,
    /// The threshold, dBm; default the audit's default for the technology
    /// (`coverage_shared::signal::Thresholds::default`).
    #[serde(default)]
    pub threshold_dbm: Option<f64>,
    /// Registration states, as relative weights.
    #[serde(default)]
    pub reg: RegMix,
    /// Share of samples with `clock_synced: false`.
    #[serde(default)]
    pub unsynced_share: f64,
    /// Share of registered samples whose deciding value is null.
    #[serde(default)]
    pub null_share: f64,
}

fn default_tech() -> Tech {
    Tech::Lte
}

/// Relative weights of the registration states of a SIM's samples. Registered samples (home,
/// roaming) carry the SIM's technology; the others have no serving cell (`tech: none`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegMix {
    /// Registered on the home network.
    #[serde(default)]
    pub home: f64,
    /// Registered, roaming.
    #[serde(default)]
    pub roaming: f64,
    /// Not registered, searching.
    #[serde(default)]
    pub searching: f64,
    /// Registration denied.
    #[serde(default)]
    pub denied: f64,
    /// Unknown.
    #[serde(default)]
    pub unknown: f64,
}

impl Default for RegMix {
    fn default() -> Self {
        RegMix {
            home: 1.0,
            roaming: 0.0,
            searching: 0.0,
            denied: 0.0,
            unknown: 0.0,
        }
    }
}

impl RegMix {
    /// The weights in the order home, roaming, searching, denied, unknown.
    pub fn weights(&self) -> [f64; 5] {
        [
            self.home,
            self.roaming,
            self.searching,
            self.denied,
            self.unknown,
        ]
    }
}

/// One latency probe of a site: rounds of `probes` packets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    /// Probe target (host or address; a tag).
    pub target: String,
    /// Link the probe uses.
    #[serde(default = "default_link")]
    pub link: Link,
    /// Probe method.
    #[serde(default = "default_method")]
    pub method: Method,
    /// Interface name, when bound to one.
    #[serde(default)]
    pub interface: Option<String>,
    /// Rounds per hour, evenly spaced (1..=3600).
    pub rounds_per_hour: u32,
    /// Probes per round.
    #[serde(default = "default_probes")]
    pub probes: u32,
    /// Mean round-trip time, ms.
    pub rtt_ms: f64,
    /// Standard deviation of the round-trip time, ms.
    #[serde(default)]
    pub rtt_stddev_ms: f64,
    /// Share of probes lost outside outages.
    #[serde(default)]
    pub loss: f64,
    /// Windows in which every probe is lost (a fibre cut).
    #[serde(default)]
    pub outages: Vec<Window>,
}

fn default_link() -> Link {
    Link::Fibre
}
fn default_method() -> Method {
    Method::Icmp
}
fn default_probes() -> u32 {
    10
}

/// A time window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
}

/// Throughput tests of a site: `samples` downloads and as many uploads over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThroughputSpec {
    /// Test server (a tag).
    pub target: String,
    /// Link the test uses.
    #[serde(default = "default_link")]
    pub link: Link,
    /// Interface name, when bound to one.
    #[serde(default)]
    pub interface: Option<String>,
    /// Typical download rate, Mbit/s (each test draws 85%..110% of it).
    pub down_mbps: f64,
    /// Typical upload rate, Mbit/s.
    pub up_mbps: f64,
    /// Tests per direction over the period, evenly spaced.
    pub samples: u32,
}

/// The first instant the collector accepts (its `validate::earliest_ts`).
fn earliest() -> DateTime<Utc> {
    coverage_shared::validate::earliest_ts()
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, GenError> {
        let text = std::fs::read_to_string(path).map_err(|source| GenError::Read {
            path: path.to_owned(),
            source,
        })?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// Parses and validates TOML `text`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, GenError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| GenError::Toml {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        scenario
            .validate()
            .map_err(|(key, problem)| GenError::Scenario {
                origin: origin.to_owned(),
                key,
                problem,
            })?;
        Ok(scenario)
    }

    /// The scenario as TOML (what [`Scenario::parse`] reads back).
    pub fn to_toml(&self) -> Result<String, GenError> {
        toml::to_string(self).map_err(|e| GenError::Toml {
            origin: "scenario".into(),
            message: e.to_string(),
        })
    }

    /// Checks the invariants of the module doc; `Err((key, problem))` names the first breach.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let p = &self.period;
        if p.to <= p.from {
            return Err(("period".into(), "`to` must be after `from`".into()));
        }
        if p.from < earliest() {
            return Err((
                "period.from".into(),
                "must be on or after 2020-01-01 (the collector rejects older readings)".into(),
            ));
        }
        if !(-12..=14).contains(&p.utc_offset_hours) {
            return Err(("period.utc_offset_hours".into(), "must be -12..=14".into()));
        }
        if self.heartbeat_s > 86_400 {
            return Err((
                "heartbeat_s".into(),
                format!(
                    "{} is more than a day (86400); 0 means no heartbeats",
                    self.heartbeat_s
                ),
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, site) in self.sites.iter().enumerate() {
            let at = |key: &str| format!("sites[{i}] ({}).{key}", site.id);
            coverage_shared::topic::validate_site(&site.id)
                .map_err(|e| (format!("sites[{i}].id"), e.to_string()))?;
            if !ids.insert(site.id.as_str()) {
                return Err((at("id"), "is used by an earlier site".into()));
            }
            if !coverage_shared::geo::LatLon::is_valid(site.lat, site.lon) {
                return Err((at("lat/lon"), "is not a WGS84 position".into()));
            }
            for (j, sim) in site.sims.iter().enumerate() {
                let at = |key: &str| at(&format!("sims[{j}].{key}"));
                parse_operator(&sim.operator).ok_or_else(|| {
                    (
                        at("operator"),
                        format!("{:?} is not MCC-MNC (e.g. 452-04)", sim.operator),
                    )
                })?;
                rate(sim.samples_per_hour).map_err(|p| (at("samples_per_hour"), p))?;
                if let Some(h) = sim.hours.iter().find(|h| **h > 23) {
                    return Err((
                        at("hours"),
                        format!("{h} is not an hour of the day (0..=23)"),
                    ));
                }
                for (key, v) in [
                    ("usable_share", sim.usable_share),
                    ("unsynced_share", sim.unsynced_share),
                    ("null_share", sim.null_share),
                ] {
                    share(v).map_err(|p| (at(key), p))?;
                }
                let w = sim.reg.weights();
                if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 {
                    return Err((
                        at("reg"),
                        "weights must be non-negative with a positive sum".into(),
                    ));
                }
                if sim.tech == Tech::None {
                    return Err((at("tech"), "must be a radio technology, not none".into()));
                }
                if let Some(t) = sim.threshold_dbm
                    && !t.is_finite()
                {
                    return Err((at("threshold_dbm"), "must be a finite number".into()));
                }
            }
            for (j, probe) in site.fibre.iter().enumerate() {
                let at = |key: &str| at(&format!("fibre[{j}].{key}"));
                rate(probe.rounds_per_hour).map_err(|p| (at("rounds_per_hour"), p))?;
                if probe.probes == 0 || probe.probes > 1000 {
                    return Err((at("probes"), "must be 1..=1000".into()));
                }
                if !(probe.rtt_ms.is_finite() && probe.rtt_ms > 0.0) {
                    return Err((at("rtt_ms"), "must be positive".into()));
                }
                if !(probe.rtt_stddev_ms.is_finite() && probe.rtt_stddev_ms >= 0.0) {
                    return Err((at("rtt_stddev_ms"), "must be non-negative".into()));
                }
                share(probe.loss).map_err(|p| (at("loss"), p))?;
                if probe.target.trim().is_empty() {
                    return Err((at("target"), "must not be empty".into()));
                }
                if let Some(k) = probe.outages.iter().position(|w| w.to <= w.from) {
                    return Err((
                        at(&format!("outages[{k}]")),
                        "`to` must be after `from`".into(),
                    ));
                }
            }
            for (j, t) in site.throughput.iter().enumerate() {
                let at = |key: &str| at(&format!("throughput[{j}].{key}"));
                for (key, v) in [("down_mbps", t.down_mbps), ("up_mbps", t.up_mbps)] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err((at(key), "must be positive".into()));
                    }
                }
                if t.samples == 0 {
                    return Err((at("samples"), "must be at least 1".into()));
                }
                if t.target.trim().is_empty() {
                    return Err((at("target"), "must not be empty".into()));
                }
            }
        }
        Ok(())
    }
}

fn share(v: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{v} is not a share within 0..=1"))
    }
}

fn rate(per_hour: u32) -> Result<(), String> {
    if (1..=3600).contains(&per_hour) {
        Ok(())
    } else {
        Err(format!("{per_hour} is not within 1..=3600 per hour"))
    }
}

/// `MCC-MNC` as `(mcc, mnc)`: three digits, a dash, two or three digits.
pub fn parse_operator(id: &str) -> Option<(&str, &str)> {
    let (mcc, mnc) = id.split_once('-')?;
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    (digits(mcc, 3..=3) && digits(mnc, 2..=3)).then_some((mcc, mnc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
seed = 7
[period]
from = "2024-11-01T00:00:00Z"
to = "2024-11-02T00:00:00Z"
utc_offset_hours = 7

[[sites]]
id = "bk-01834-a"
lat = 22.162534
lon = 105.844234
placement = "outdoor"

[[sites.sims]]
operator = "452-04"
samples_per_hour = 60
hours = [7, 8, 9]
usable_share = 0.9
reg = { home = 0.9, searching = 0.1 }

[[sites.fibre]]
target = "10.6.0.1"
rounds_per_hour = 4
rtt_ms = 8.0
outages = [{ from = "2024-11-01T03:00:00Z", to = "2024-11-01T04:00:00Z" }]

[[sites.throughput]]
target = "speed"
down_mbps = 90
up_mbps = 40
samples = 2
"#;

    #[test]
    fn parses_and_round_trips() {
        let s = Scenario::parse(TEXT, "t.toml").unwrap();
        assert_eq!(s.seed, 7);
        assert_eq!(s.heartbeat_s, DEFAULT_HEARTBEAT_S, "on by default");
        assert_eq!(s.sites[0].placement, Placement::Outdoor);
        assert_eq!(s.sites[0].sims[0].tech, Tech::Lte);
        assert_eq!(s.sites[0].fibre[0].probes, 10);
        let back = Scenario::parse(&s.to_toml().unwrap(), "again").unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn errors_name_the_key() {
        let bad = TEXT.replace("usable_share = 0.9", "usable_share = 1.5");
        let e = Scenario::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(
            e.contains("t.toml") && e.contains("sims[0].usable_share"),
            "{e}"
        );
        let bad = TEXT.replace("operator = \"452-04\"", "operator = \"Viettel\"");
        let e = Scenario::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(e.contains("sims[0].operator"), "{e}");
        let bad = TEXT.replace("rtt_ms = 8.0", "rtt_ms = 8.0\ncolour = 1");
        let e = Scenario::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
        let bad = TEXT.replace("seed = 7", "seed = 7\nheartbeat_s = 90000");
        let e = Scenario::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(e.contains("heartbeat_s"), "{e}");
        let bad = TEXT.replace("2024-11-02T00", "2024-10-02T00");
        let e = Scenario::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(e.contains("period"), "{e}");
    }

    #[test]
    fn operators_are_mcc_mnc() {
        assert_eq!(parse_operator("452-04"), Some(("452", "04")));
        assert_eq!(parse_operator("310-260"), Some(("310", "260")));
        assert_eq!(parse_operator("45204"), None);
        assert_eq!(parse_operator("452-4"), None);
    }
}

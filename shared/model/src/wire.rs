//! Wire format v1: the JSON readings agents publish and the collector decodes.
//!
//! This module is the contract of `DESIGN.md` ("Wire format v1") in types. Invariants:
//!
//! - One message carries one [`Reading`]: the common fields ([`Header`]) and one [`Body`], whose
//!   variant is chosen by the `kind` field.
//! - Readers ignore fields they do not know (no `deny_unknown_fields` here), so a newer agent can
//!   add fields without breaking an older collector.
//! - Measured values are raw and nullable (`Option`); nothing here classifies them. Range checks
//!   live in [`crate::validate`].
//! - `ts` is written as RFC 3339 UTC with milliseconds (`2025-11-01T07:00:00.000Z`) and read from
//!   any RFC 3339 form.
//! - `(site, run, seq)` identifies a reading across retries and resends.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Largest payload a reading may have, in bytes (DESIGN.md: at most 64 KiB).
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// One reading as it travels over MQTT: common header plus the kind-specific body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Fields every reading carries.
    #[serde(flatten)]
    pub header: Header,
    /// The measurement itself; its variant is the reading's `kind`.
    #[serde(flatten)]
    pub body: Body,
}

impl Reading {
    /// The kind of this reading, derived from its body so the two cannot disagree.
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// The JSON payload as published on the wire.
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail: every map key is a string and no value
        // is a non-finite float produced by us (JSON has no NaN; serde_json writes null).
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// Common fields, in every reading (DESIGN.md table "Common fields").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Schema version, [`SCHEMA_VERSION`].
    pub v: u32,
    /// Site id; equals the topic's site and the agent's MQTT username.
    pub site: String,
    /// Random id created once with the agent's state directory; a wiped box gets a new one.
    pub run: String,
    /// +1 per reading within `run`; gaps are allowed, reuse is not.
    pub seq: u64,
    /// Measurement time (UTC).
    #[serde(with = "ts_millis")]
    pub ts: DateTime<Utc>,
    /// The agent's clock was NTP-synchronised when measuring; `None` means unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_synced: Option<bool>,
    /// Where the site is (WGS84).
    pub pos: Position,
    /// The commune the site is configured in (informative: positions decide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<CommuneRef>,
    /// Agent version string.
    pub agent: String,
}

/// A WGS84 position and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Latitude in degrees, -90..90.
    pub lat: f64,
    /// Longitude in degrees, -180..180.
    pub lon: f64,
    /// Whether the position was configured or came from a GPS fix.
    pub src: PositionSource,
    /// Horizontal accuracy in metres, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acc_m: Option<f64>,
}

/// Origin of a [`Position`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PositionSource {
    /// Written in the site config by the technician.
    Config,
    /// From the modem's or a receiver's GPS fix.
    Gps,
}

/// A commune code always travels with the boundary set it belongs to (codes are reused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneRef {
    /// Boundary set name, e.g. `bac-kan-2020`.
    pub set: String,
    /// Commune code within that set, e.g. `01834`.
    pub code: String,
}

/// Reading kinds; also the last topic level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One modem, one sample.
    Signal,
    /// One probe round to one target.
    Latency,
    /// One transfer to or from one target.
    Throughput,
    /// Agent health.
    Heartbeat,
}

impl Kind {
    /// Every kind, in a fixed order.
    pub const ALL: [Kind; 4] = [
        Kind::Signal,
        Kind::Latency,
        Kind::Throughput,
        Kind::Heartbeat,
    ];

    /// The wire name (`signal`, `latency`, ...), also the InfluxDB measurement name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Signal => "signal",
            Kind::Latency => "latency",
            Kind::Throughput => "throughput",
            Kind::Heartbeat => "heartbeat",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind-specific part of a reading, tagged by `kind`.
///
/// `Signal` is the largest variant by far; it is also the most frequent one, so boxing it would
/// add an allocation to most readings to save memory on the rarer ones.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Body {
    /// A modem signal sample.
    Signal(Signal),
    /// A latency probe round.
    Latency(Latency),
    /// A throughput transfer.
    Throughput(Throughput),
    /// Agent health.
    Heartbeat(Heartbeat),
}

impl Body {
    /// The kind of this body.
    pub fn kind(&self) -> Kind {
        match self {
            Body::Signal(_) => Kind::Signal,
            Body::Latency(_) => Kind::Latency,
            Body::Throughput(_) => Kind::Throughput,
            Body::Heartbeat(_) => Kind::Heartbeat,
        }
    }
}

/// A PLMN (network) id. MCC and MNC are strings so leading zeros survive (`"452"`, `"04"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Plmn {
    /// Mobile country code, three digits.
    pub mcc: String,
    /// Mobile network code, two or three digits.
    pub mnc: String,
    /// Operator name, when the modem reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Plmn {
    /// `MCC-MNC`, the form used in InfluxDB tags and claims (`452-04`).
    pub fn id(&self) -> String {
        format!("{}-{}", self.mcc, self.mnc)
    }
}

/// Where the modem's antenna is, from the site config; thresholds may differ by placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Inside a building.
    Indoor,
    /// Outside (mast, roof).
    Outdoor,
    /// In a vehicle (drive tests).
    Vehicle,
}

impl Placement {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Indoor => "indoor",
            Placement::Outdoor => "outdoor",
            Placement::Vehicle => "vehicle",
        }
    }
}

/// Antenna type, from the site config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Antenna {
    /// The modem's own antenna.
    Internal,
    /// An external antenna.
    External,
}

/// Radio access technology of the serving cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tech {
    /// No serving cell.
    #[serde(rename = "none")]
    None,
    /// 2G.
    #[serde(rename = "gsm")]
    Gsm,
    /// 3G.
    #[serde(rename = "umts")]
    Umts,
    /// 4G.
    #[serde(rename = "lte")]
    Lte,
    /// 5G non-standalone (LTE anchor).
    #[serde(rename = "nr5g-nsa")]
    Nr5gNsa,
    /// 5G standalone.
    #[serde(rename = "nr5g-sa")]
    Nr5gSa,
}

impl Tech {
    /// Every technology, in a fixed order.
    pub const ALL: [Tech; 6] = [
        Tech::None,
        Tech::Gsm,
        Tech::Umts,
        Tech::Lte,
        Tech::Nr5gNsa,
        Tech::Nr5gSa,
    ];

    /// The wire name (`lte`, `nr5g-sa`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Tech::None => "none",
            Tech::Gsm => "gsm",
            Tech::Umts => "umts",
            Tech::Lte => "lte",
            Tech::Nr5gNsa => "nr5g-nsa",
            Tech::Nr5gSa => "nr5g-sa",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Tech> {
        Tech::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Data registration state, from `+CGREG`, `+CEREG` or `+C5GREG` (never `+CREG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reg {
    /// Registered on the home network (27.007 stat 1, 9).
    Home,
    /// Registered, roaming (stat 5, 10).
    Roaming,
    /// Not registered, searching (stat 2).
    Searching,
    /// Registration denied (stat 3): a SIM or account fault, not coverage.
    Denied,
    /// Not registered, not searching (stat 0).
    None,
    /// Unknown (stat 4).
    Unknown,
    /// SMS-only, emergency-only or RLOS (stat 6, 7, 8, 11).
    Limited,
}

impl Reg {
    /// Every state, in a fixed order.
    pub const ALL: [Reg; 7] = [
        Reg::Home,
        Reg::Roaming,
        Reg::Searching,
        Reg::Denied,
        Reg::None,
        Reg::Unknown,
        Reg::Limited,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reg::Home => "home",
            Reg::Roaming => "roaming",
            Reg::Searching => "searching",
            Reg::Denied => "denied",
            Reg::None => "none",
            Reg::Unknown => "unknown",
            Reg::Limited => "limited",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Reg> {
        Reg::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Maps a 3GPP TS 27.007 `<stat>` of `+CGREG`/`+CEREG`/`+C5GREG` as DESIGN.md defines it.
    pub fn from_3gpp_stat(stat: u8) -> Option<Reg> {
        Some(match stat {
            1 | 9 => Reg::Home,
            5 | 10 => Reg::Roaming,
            2 => Reg::Searching,
            3 => Reg::Denied,
            0 => Reg::None,
            4 => Reg::Unknown,
            6 | 7 | 8 | 11 => Reg::Limited,
            _ => return None,
        })
    }
}

/// Serving-cell identity. Ids are upper-case hex strings; channel numbers are integers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// Location area code (2G/3G), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lac: Option<String>,
    /// Tracking area code (LTE/NR), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tac: Option<String>,
    /// Cell id (CI, ECI or NCI), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
    /// Physical cell id (LTE/NR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pci: Option<u32>,
    /// ARFCN, UARFCN, EARFCN or NR-ARFCN of the serving cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arfcn: Option<u32>,
    /// Band, e.g. `"B3"`, `"n78"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
}

impl Cell {
    /// True when the modem gave no identity at all.
    pub fn is_empty(&self) -> bool {
        *self == Cell::default()
    }
}

/// What a modem says about the radio, without site configuration: the part of a `signal`
/// reading that a modem driver (or `coverage-agent decode`) determines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadioValues {
    /// Technology of the serving cell (`none` without one).
    pub tech: Tech,
    /// Data registration.
    pub reg: Reg,
    /// RSSI (GSM, and reported alongside others), dBm.
    #[serde(default)]
    pub rssi_dbm: Option<f64>,
    /// LTE RSRP (also the NR-NSA anchor), dBm.
    #[serde(default)]
    pub rsrp_dbm: Option<f64>,
    /// LTE RSRQ, dB.
    #[serde(default)]
    pub rsrq_db: Option<f64>,
    /// LTE SINR, dB.
    #[serde(default)]
    pub sinr_db: Option<f64>,
    /// UMTS RSCP, dBm.
    #[serde(default)]
    pub rscp_dbm: Option<f64>,
    /// UMTS Ec/N0 (Ec/Io), dB.
    #[serde(default)]
    pub ecno_db: Option<f64>,
    /// NR SS-RSRP, dBm.
    #[serde(default)]
    pub ss_rsrp_dbm: Option<f64>,
    /// NR SS-RSRQ, dB.
    #[serde(default)]
    pub ss_rsrq_db: Option<f64>,
    /// NR SS-SINR, dB.
    #[serde(default)]
    pub ss_sinr_db: Option<f64>,
    /// Serving-cell identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<Cell>,
}

impl RadioValues {
    /// A sample with no serving cell and nothing measured.
    pub fn no_service(reg: Reg) -> RadioValues {
        RadioValues {
            tech: Tech::None,
            reg,
            rssi_dbm: None,
            rsrp_dbm: None,
            rsrq_db: None,
            sinr_db: None,
            rscp_dbm: None,
            ecno_db: None,
            ss_rsrp_dbm: None,
            ss_rsrq_db: None,
            ss_sinr_db: None,
            cell: None,
        }
    }

    /// The named physical values with their wire names, in a fixed order.
    pub fn values(&self) -> [(&'static str, Option<f64>); 9] {
        [
            ("rssi_dbm", self.rssi_dbm),
            ("rsrp_dbm", self.rsrp_dbm),
            ("rsrq_db", self.rsrq_db),
            ("sinr_db", self.sinr_db),
            ("rscp_dbm", self.rscp_dbm),
            ("ecno_db", self.ecno_db),
            ("ss_rsrp_dbm", self.ss_rsrp_dbm),
            ("ss_rsrq_db", self.ss_rsrq_db),
            ("ss_sinr_db", self.ss_sinr_db),
        ]
    }

    /// Mutable access to a value by its wire name (used to null an out-of-range value).
    pub fn value_mut(&mut self, name: &str) -> Option<&mut Option<f64>> {
        Some(match name {
            "rssi_dbm" => &mut self.rssi_dbm,
            "rsrp_dbm" => &mut self.rsrp_dbm,
            "rsrq_db" => &mut self.rsrq_db,
            "sinr_db" => &mut self.sinr_db,
            "rscp_dbm" => &mut self.rscp_dbm,
            "ecno_db" => &mut self.ecno_db,
            "ss_rsrp_dbm" => &mut self.ss_rsrp_dbm,
            "ss_rsrq_db" => &mut self.ss_rsrq_db,
            "ss_sinr_db" => &mut self.ss_sinr_db,
            _ => return None,
        })
    }
}

/// `signal`: one modem, one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Modem name from the site config.
    pub modem: String,
    /// The SIM's home network.
    pub operator: Plmn,
    /// The network in use, when different from `operator`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<Plmn>,
    /// Antenna placement, from the site config.
    pub placement: Placement,
    /// Antenna type, from the site config.
    pub antenna: Antenna,
    /// What the modem measured.
    #[serde(flatten)]
    pub radio: RadioValues,
}

/// How a latency probe measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// ICMP echo.
    Icmp,
    /// TCP connect.
    Tcp,
    /// HTTP(S) request.
    Http,
    /// DNS query.
    Dns,
}

impl Method {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Icmp => "icmp",
            Method::Tcp => "tcp",
            Method::Http => "http",
            Method::Dns => "dns",
        }
    }
}

/// Which link a probe measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    /// The fixed fibre link.
    Fibre,
    /// The cellular modem.
    Mobile,
    /// Anything else.
    Other,
}

impl Link {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Link::Fibre => "fibre",
            Link::Mobile => "mobile",
            Link::Other => "other",
        }
    }
}

/// RTT statistics of a round, milliseconds (population statistics, iputils-compatible stddev).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RttStats {
    /// Smallest RTT.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest RTT.
    pub max: f64,
    /// Population standard deviation.
    pub stddev: f64,
}

/// `latency`: one probe round to one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Host or URL probed.
    pub target: String,
    /// Probe method.
    pub method: Method,
    /// Link measured.
    pub link: Link,
    /// Interface the probe was bound to (`None` when unbound).
    #[serde(default)]
    pub interface: Option<String>,
    /// Probes sent.
    pub sent: u32,
    /// Replies received, duplicates excluded.
    pub received: u32,
    /// Duplicate replies.
    #[serde(default)]
    pub dup: u32,
    /// RTT statistics; `None` when nothing came back.
    #[serde(default)]
    pub rtt_ms: Option<RttStats>,
    /// RFC 3550 interarrival jitter, ms.
    #[serde(default)]
    pub jitter_ms: Option<f64>,
    /// Every probe's RTT in send order, `None` for a lost one.
    #[serde(default)]
    pub rtts_ms: Vec<Option<f64>>,
    /// TCP only: how many of the answers were a refusal (RST, "connection refused"). They are
    /// counted in `received` (the host answered, so the path works); the audit ignores this
    /// field. `None` for other methods and for agents that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<u32>,
    /// Why the round failed, when it did (e.g. interface down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Transfer direction of a throughput measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Download.
    Down,
    /// Upload.
    Up,
}

impl Direction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Down => "down",
            Direction::Up => "up",
        }
    }
}

/// `throughput`: one transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// URL transferred from or to.
    pub target: String,
    /// Link measured.
    pub link: Link,
    /// Interface the transfer was bound to.
    #[serde(default)]
    pub interface: Option<String>,
    /// Download or upload.
    pub direction: Direction,
    /// Bytes transferred.
    pub bytes: u64,
    /// Transfer time, ms.
    pub duration_ms: f64,
    /// Mean rate, Mbit/s; `None` when the transfer failed.
    #[serde(default)]
    pub mbps: Option<f64>,
    /// Why the transfer failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One modem as the agent sees it, for heartbeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModemInfo {
    /// Modem name from the site config.
    pub name: String,
    /// Model as reported by the modem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// IMEI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    /// SIM ICCID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// SIM state (`ready`, `pin-required`, `absent`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_state: Option<String>,
}

/// `heartbeat`: agent health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Seconds since the agent started.
    pub uptime_s: u64,
    /// The agent's heartbeat interval, seconds: the collector's coordinator calls a site stale
    /// after 3 of them without a heartbeat. `None` from agents older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<u64>,
    /// Readings in the spool not yet acknowledged.
    pub spool_depth: u64,
    /// Readings dropped because the spool was full, since start.
    pub spool_dropped: u64,
    /// Age of the last clock synchronisation, seconds; `None` when unknown.
    #[serde(default)]
    pub clock_sync_age_s: Option<f64>,
    /// The modems this agent drives.
    #[serde(default)]
    pub modems: Vec<ModemInfo>,
    /// The readings this agent issued and still holds, sent or not: what the collector may ask
    /// for again. Numbers skipped between reserved blocks are in no range. At most
    /// [`MAX_SEQ_RANGES`], oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seq_ranges: Vec<SeqRange>,
}

/// Most ranges a heartbeat's `seq_ranges` holds.
pub const MAX_SEQ_RANGES: usize = 32;

/// Readings `first..=last` of run `run` (a heartbeat's `seq_ranges`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqRange {
    /// The run the seqs belong to.
    pub run: String,
    /// First seq, inclusive.
    pub first: u64,
    /// Last seq, inclusive.
    pub last: u64,
}

/// Serde helpers for `ts`: write RFC 3339 UTC with milliseconds, read any RFC 3339.
pub mod ts_millis {
    use super::*;

    /// Formats a timestamp the way the wire format requires.
    pub fn format(ts: &DateTime<Utc>) -> String {
        ts.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Serialises as RFC 3339 UTC with milliseconds.
    pub fn serialize<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(ts))
    }

    /// Deserialises any RFC 3339 timestamp and converts it to UTC.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| serde::de::Error::custom(format!("ts {s:?} is not RFC 3339: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind_ts: &str) -> Header {
        Header {
            v: 1,
            site: "bk-01834-a".into(),
            run: "9f1c2a7e5b3d4c60".into(),
            seq: 42,
            ts: DateTime::parse_from_rfc3339(kind_ts)
                .unwrap()
                .with_timezone(&Utc),
            clock_synced: Some(true),
            pos: Position {
                lat: 22.162534,
                lon: 105.844234,
                src: PositionSource::Config,
                acc_m: None,
            },
            commune: Some(CommuneRef {
                set: "bac-kan-2020".into(),
                code: "01834".into(),
            }),
            agent: "0.1.0".into(),
        }
    }

    #[test]
    fn signal_round_trip_keeps_every_field() {
        let r = Reading {
            header: header("2025-11-01T07:00:00.123Z"),
            body: Body::Signal(Signal {
                modem: "wwan0".into(),
                operator: Plmn {
                    mcc: "452".into(),
                    mnc: "04".into(),
                    name: Some("Viettel".into()),
                },
                serving: None,
                placement: Placement::Indoor,
                antenna: Antenna::External,
                radio: RadioValues {
                    tech: Tech::Nr5gNsa,
                    reg: Reg::Home,
                    rssi_dbm: Some(-65.0),
                    rsrp_dbm: Some(-95.0),
                    rsrq_db: Some(-11.5),
                    sinr_db: None,
                    rscp_dbm: None,
                    ecno_db: None,
                    ss_rsrp_dbm: Some(-88.0),
                    ss_rsrq_db: None,
                    ss_sinr_db: Some(18.5),
                    cell: Some(Cell {
                        tac: Some("1F00".into()),
                        ci: Some("79D903".into()),
                        pci: Some(1),
                        arfcn: Some(1575),
                        band: Some("B3".into()),
                        ..Cell::default()
                    }),
                },
            }),
        };
        let json = r.to_json();
        assert!(
            json.contains(r#""ts":"2025-11-01T07:00:00.123Z""#),
            "{json}"
        );
        assert!(json.contains(r#""kind":"signal""#), "{json}");
        assert!(json.contains(r#""tech":"nr5g-nsa""#), "{json}");
        assert!(json.contains(r#""mnc":"04""#), "{json}");
        assert!(
            json.contains(r#""sinr_db":null"#),
            "nulls are explicit: {json}"
        );
        let back: Reading = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.kind(), Kind::Signal);
    }

    #[test]
    fn latency_round_trip_keeps_lost_probes() {
        let r = Reading {
            header: header("2025-11-01T07:00:00Z"),
            body: Body::Latency(Latency {
                target: "10.6.0.1".into(),
                method: Method::Icmp,
                link: Link::Fibre,
                interface: Some("eth0".into()),
                sent: 3,
                received: 2,
                dup: 0,
                rtt_ms: Some(RttStats {
                    min: 1.0,
                    p50: 1.5,
                    mean: 1.5,
                    p95: 1.95,
                    max: 2.0,
                    stddev: 0.5,
                }),
                jitter_ms: Some(0.0625),
                rtts_ms: vec![Some(1.0), None, Some(2.0)],
                refused: None,
                error: None,
            }),
        };
        let json = r.to_json();
        assert!(json.contains(r#""rtts_ms":[1.0,null,2.0]"#), "{json}");
        let back: Reading = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn heartbeat_and_throughput_round_trip() {
        for body in [
            Body::Heartbeat(Heartbeat {
                uptime_s: 3600,
                interval_s: Some(60),
                spool_depth: 12,
                spool_dropped: 0,
                clock_sync_age_s: None,
                modems: vec![ModemInfo {
                    name: "m0".into(),
                    imei: Some("862570024875048".into()),
                    ..Default::default()
                }],
                seq_ranges: Vec::new(),
            }),
            Body::Throughput(Throughput {
                target: "http://10.6.0.1/10MB".into(),
                link: Link::Fibre,
                interface: None,
                direction: Direction::Down,
                bytes: 10_000_000,
                duration_ms: 812.5,
                mbps: Some(98.46),
                error: None,
            }),
        ] {
            let r = Reading {
                header: header("2025-11-01T07:00:00Z"),
                body,
            };
            let back: Reading = serde_json::from_str(&r.to_json()).unwrap();
            assert_eq!(back, r);
        }
    }

    #[test]
    fn unknown_fields_are_ignored_and_ts_offsets_become_utc() {
        let json = r#"{"v":1,"site":"s1","run":"r","seq":1,"ts":"2025-11-01T14:00:00.000+07:00",
            "kind":"heartbeat","pos":{"lat":22.1,"lon":105.8,"src":"gps","acc_m":5.0,"fix":"3d"},
            "agent":"9.9","uptime_s":1,"spool_depth":0,"spool_dropped":0,"future_field":{"x":1}}"#;
        let r: Reading = serde_json::from_str(json).unwrap();
        assert_eq!(ts_millis::format(&r.header.ts), "2025-11-01T07:00:00.000Z");
        assert_eq!(r.kind(), Kind::Heartbeat);
        assert_eq!(r.header.clock_synced, None);
    }

    #[test]
    fn registration_stats_map_as_designed() {
        let expected = [
            (0, Reg::None),
            (1, Reg::Home),
            (2, Reg::Searching),
            (3, Reg::Denied),
            (4, Reg::Unknown),
            (5, Reg::Roaming),
            (6, Reg::Limited),
            (7, Reg::Limited),
            (8, Reg::Limited),
            (9, Reg::Home),
            (10, Reg::Roaming),
            (11, Reg::Limited),
        ];
        for (stat, reg) in expected {
            assert_eq!(Reg::from_3gpp_stat(stat), Some(reg), "stat {stat}");
        }
        assert_eq!(Reg::from_3gpp_stat(12), None);
    }
}

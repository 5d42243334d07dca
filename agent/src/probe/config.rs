//! Probe configuration: the TOML a technician writes, and the validated types the probes run.
//!
//! Two layers, as ripgrep does with its flags: [`RawProbeConfig`] / [`RawThroughputConfig`]
//! mirror the TOML exactly (`deny_unknown_fields`, every field optional except what must be
//! said), and [`ProbeConfig`] / [`ThroughputConfig`] are what validation turns them into. The
//! validated types keep their fields private and can only be built through validation, so a
//! probe that runs cannot hold a zero count, an empty name, a port on an ICMP target or a round
//! longer than its interval. Both validated types deserialize straight from TOML (through
//! `#[serde(try_from = ...)]`), so an agent config can hold `Vec<ProbeConfig>` and still get
//! every check; an error names the probe and the key:
//!
//! ```text
//! probe "dc-ping": key `interval`: 5s is shorter than one round (10 probes 1s apart, 2s timeout, 0s jitter need 11s)
//! ```
//!
//! Durations are written as humantime strings (`"500ms"`, `"60s"`, `"6h"`).
//!
//! ```toml
//! [[probes]]
//! name = "dc-ping"             # unique; appears in logs
//! method = "icmp"              # icmp | tcp | http | dns
//! target = "10.6.0.1"          # icmp: host; tcp: host:port; dns: server[:port]; http: URL
//! link = "fibre"               # fibre | mobile | other
//! interface = "eth0"           # SO_BINDTODEVICE; omit to follow the routing table
//! count = 10                   # probes per round
//! spacing = "1s"               # between probes, like ping -i
//! timeout = "2s"               # per probe; a later reply counts as lost
//! interval = "60s"             # one round per interval
//! jitter = "6s"                # random delay added to each round
//!
//! [[probes]]
//! name = "resolver"
//! method = "dns"
//! target = "10.6.0.53"
//! link = "fibre"
//! query = "bac-kan.gov.vn"     # dns only; default "." (the root's NS, cached by resolvers)
//! query_type = "A"             # dns only; default "NS"
//!
//! [[throughput]]
//! name = "dc-download"
//! url = "http://10.6.0.1/10MB.bin"
//! link = "fibre"
//! interface = "eth0"
//! direction = "down"           # down | up (up POSTs zeros to the URL)
//! max_bytes = 10_000_000
//! max_duration = "10s"
//! interval = "6h"
//! enabled = true               # off by default: it costs the site's data
//! ```

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use coverage_shared::wire::{Direction, Link, Method};
use hickory_proto::rr::{Name, RecordType};
use reqwest::Url;
use serde::Deserialize;

/// Most probes in one round: sequence numbers stay far from wrapping and a reading with every
/// RTT listed stays well under the 64 KiB payload limit.
pub const MAX_COUNT: u32 = 1000;
/// Shortest spacing between probes (ping's floor for unprivileged users is 200 ms; we allow
/// faster on purpose for tests and short links, but not a flood).
pub const MIN_SPACING: Duration = Duration::from_millis(10);
/// Longest per-probe timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);
/// Shortest round period.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Longest throughput transfer.
pub const MAX_TRANSFER_DURATION: Duration = Duration::from_secs(300);
/// Largest throughput transfer.
pub const MAX_TRANSFER_BYTES: u64 = 1 << 30;
/// Linux `IFNAMSIZ` (16) minus the terminating NUL.
const MAX_IFNAME: usize = 15;

/// A configuration that cannot be used, naming the probe and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeConfigError {
    /// One key of one probe is wrong.
    #[error("{section} {name:?}: key `{key}`: {reason}")]
    Invalid {
        /// `probe` or `throughput`.
        section: &'static str,
        /// The probe's `name`.
        name: String,
        /// The TOML key at fault.
        key: &'static str,
        /// What is wrong and what would be right.
        reason: String,
    },
    /// Two probes share a name (names identify probes in logs and `check`).
    #[error("{section} name {name:?} is used more than once")]
    DuplicateName {
        /// `probe` or `throughput`.
        section: &'static str,
        /// The repeated name.
        name: String,
    },
}

/// Which address family to use when a host name has both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4 only.
    Ipv4,
    /// IPv6 only.
    Ipv6,
}

impl Family {
    /// Whether `ip` belongs to this family.
    pub fn matches(self, ip: IpAddr) -> bool {
        matches!(
            (self, ip),
            (Family::Ipv4, IpAddr::V4(_)) | (Family::Ipv6, IpAddr::V6(_))
        )
    }

    /// `IPv4` or `IPv6`, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        }
    }
}

/// One latency probe exactly as written in TOML (`[[probes]]`); see the module docs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProbeConfig {
    /// Unique name, used in logs and by `coverage-agent check`.
    pub name: String,
    /// How to measure: `icmp`, `tcp`, `http` or `dns`.
    pub method: Method,
    /// `icmp`: host or IP; `tcp`: `host:port` (`[v6]:port`); `dns`: server, port 53 unless
    /// given; `http`: an `http://` or `https://` URL. Reported as the reading's `target`.
    pub target: String,
    /// The link this probe measures; the audit uses only `fibre` rounds for fibre verdicts.
    pub link: Link,
    /// Interface to bind to (SO_BINDTODEVICE), so that a dead link shows as loss instead of
    /// the traffic taking another route (the modem). Omit to follow the routing table.
    #[serde(default)]
    pub interface: Option<String>,
    /// Address family for host names with both A and AAAA records; default: the resolver's
    /// first answer.
    #[serde(default)]
    pub family: Option<Family>,
    /// Probes per round; default 10 for icmp, 5 for tcp and dns, 3 for http.
    #[serde(default)]
    pub count: Option<u32>,
    /// Time between the starts of two probes of a round (ping -i); default 1s.
    #[serde(default, with = "humantime_serde")]
    pub spacing: Option<Duration>,
    /// How long one probe may take; a reply after it counts as lost. Default 2s (http: 10s).
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Period of rounds; default 60s.
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// Each round starts after a random delay in `[0, jitter]` so a fleet of agents does not
    /// fire in step (the first round also starts at a random point of the first interval).
    /// Default: a tenth of the interval, less if the round would not fit.
    #[serde(default, with = "humantime_serde")]
    pub jitter: Option<Duration>,
    /// `dns` only: the name to ask for; default `.`.
    #[serde(default)]
    pub query: Option<String>,
    /// `dns` only: the record type to ask for (`A`, `AAAA`, `NS`, `SOA`, ...); default `NS`.
    #[serde(default)]
    pub query_type: Option<String>,
}

impl RawProbeConfig {
    /// A probe with only the required keys; every other key takes its default.
    pub fn new(name: &str, method: Method, target: &str, link: Link) -> RawProbeConfig {
        RawProbeConfig {
            name: name.to_string(),
            method,
            target: target.to_string(),
            link,
            interface: None,
            family: None,
            count: None,
            spacing: None,
            timeout: None,
            interval: None,
            jitter: None,
            query: None,
            query_type: None,
        }
    }
}

/// Where a probe goes, parsed from `target` according to the method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `icmp`: a host name or IP address.
    Host(String),
    /// `tcp` and `dns`: a host name or IP address and a port.
    HostPort(String, u16),
    /// `http`: an `http` or `https` URL.
    Url(Url),
}

impl Target {
    /// The host part (no brackets around IPv6 literals).
    pub fn host(&self) -> &str {
        match self {
            Target::Host(h) | Target::HostPort(h, _) => h,
            Target::Url(u) => u
                .host_str()
                .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
                .unwrap_or(""),
        }
    }
}

/// The question a DNS probe asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DnsQuestion {
    pub(crate) name: Name,
    pub(crate) rtype: RecordType,
}

/// A validated latency probe; build it with [`ProbeConfig::try_from`] or deserialize it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawProbeConfig")]
pub struct ProbeConfig {
    name: String,
    method: Method,
    target_text: String,
    target: Target,
    link: Link,
    interface: Option<String>,
    family: Option<Family>,
    count: u32,
    spacing: Duration,
    timeout: Duration,
    interval: Duration,
    jitter: Duration,
    pub(crate) dns: Option<DnsQuestion>,
}

impl ProbeConfig {
    /// Unique name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Probe method.
    pub fn method(&self) -> Method {
        self.method
    }
    /// The target as configured (the reading's `target`).
    pub fn target_text(&self) -> &str {
        &self.target_text
    }
    /// The parsed target.
    pub fn target(&self) -> &Target {
        &self.target
    }
    /// The link measured.
    pub fn link(&self) -> Link {
        self.link
    }
    /// The interface bound to, if any.
    pub fn interface(&self) -> Option<&str> {
        self.interface.as_deref()
    }
    /// Address family restriction, if any.
    pub fn family(&self) -> Option<Family> {
        self.family
    }
    /// Probes per round (1..=[`MAX_COUNT`]).
    pub fn count(&self) -> u32 {
        self.count
    }
    /// Time between probe starts.
    pub fn spacing(&self) -> Duration {
        self.spacing
    }
    /// Per-probe timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// Round period.
    pub fn interval(&self) -> Duration {
        self.interval
    }
    /// Largest random delay added to each round's start.
    pub fn jitter(&self) -> Duration {
        self.jitter
    }
    /// Longest a round can take: `(count − 1) × spacing + timeout`.
    pub fn round_span(&self) -> Duration {
        round_span(self.count, self.spacing, self.timeout)
    }
}

fn round_span(count: u32, spacing: Duration, timeout: Duration) -> Duration {
    spacing.saturating_mul(count.saturating_sub(1)) + timeout
}

/// Builds [`ProbeConfigError::Invalid`] for one probe.
struct Check<'a> {
    section: &'static str,
    name: &'a str,
}

impl Check<'_> {
    fn err(&self, key: &'static str, reason: impl Into<String>) -> ProbeConfigError {
        ProbeConfigError::Invalid {
            section: self.section,
            name: self.name.to_string(),
            key,
            reason: reason.into(),
        }
    }

    fn name(&self) -> Result<(), ProbeConfigError> {
        if self.name.trim().is_empty() {
            return Err(self.err("name", "must not be empty"));
        }
        if self.name.len() > 64 || self.name.chars().any(char::is_control) {
            return Err(self.err("name", "must be at most 64 printable characters"));
        }
        Ok(())
    }

    fn interface(&self, iface: Option<String>) -> Result<Option<String>, ProbeConfigError> {
        let Some(i) = iface else { return Ok(None) };
        if i.is_empty()
            || i.len() > MAX_IFNAME
            || i == "."
            || i == ".."
            || i.chars()
                .any(|c| c == '/' || c.is_whitespace() || c.is_control())
        {
            return Err(self.err(
                "interface",
                format!(
                    "{i:?} is not a Linux interface name (1 to {MAX_IFNAME} bytes, no '/', no spaces)"
                ),
            ));
        }
        Ok(Some(i))
    }

    fn duration(
        &self,
        key: &'static str,
        value: Duration,
        min: Duration,
        max: Duration,
    ) -> Result<Duration, ProbeConfigError> {
        if value < min || value > max {
            return Err(self.err(
                key,
                format!(
                    "{} is out of range {} to {}",
                    fmt_d(value),
                    fmt_d(min),
                    fmt_d(max)
                ),
            ));
        }
        Ok(value)
    }

    fn host(&self, host: &str) -> Result<(), ProbeConfigError> {
        if host.parse::<IpAddr>().is_ok() {
            return Ok(());
        }
        let ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|l| !l.is_empty() && l.len() <= 63)
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if ok {
            Ok(())
        } else {
            Err(self.err(
                "target",
                format!("{host:?} is neither an IP address nor a host name"),
            ))
        }
    }

    fn family(&self, family: Option<Family>, target: &Target) -> Result<(), ProbeConfigError> {
        if let (Some(f), Ok(ip)) = (family, target.host().parse::<IpAddr>())
            && !f.matches(ip)
        {
            return Err(self.err(
                "family",
                format!("is {} but the target {ip} is not", f.as_str()),
            ));
        }
        Ok(())
    }
}

/// `host`, `[v6]`, `v6`, `host:port`, `[v6]:port` → (host, port?).
fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{s:?} has '[' without ']'"))?;
        return match after {
            "" => Ok((host.to_string(), None)),
            p => {
                let port = p
                    .strip_prefix(':')
                    .ok_or_else(|| format!("{s:?}: expected ':' after ']'"))?;
                Ok((host.to_string(), Some(parse_port(port)?)))
            }
        };
    }
    if s.parse::<IpAddr>().is_ok() {
        return Ok((s.to_string(), None));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((h.to_string(), Some(parse_port(p)?))),
        Some(_) => Err(format!(
            "{s:?}: write IPv6 addresses with a port as [addr]:port"
        )),
        None => Ok((s.to_string(), None)),
    }
}

fn parse_port(p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("port {p:?} is not a number from 1 to 65535")),
        Ok(n) => Ok(n),
    }
}

fn parse_url(check: &Check<'_>, key: &'static str, text: &str) -> Result<Url, ProbeConfigError> {
    let url =
        Url::parse(text).map_err(|e| check.err(key, format!("{text:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(check.err(key, format!("{text:?}: the scheme must be http or https")));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(check.err(key, format!("{text:?} has no host")));
    }
    Ok(url)
}

fn parse_target(check: &Check<'_>, method: Method, text: &str) -> Result<Target, ProbeConfigError> {
    let err = |reason: String| check.err("target", reason);
    let target = match method {
        Method::Http => Target::Url(parse_url(check, "target", text)?),
        Method::Icmp => match split_host_port(text).map_err(err)? {
            (h, None) => Target::Host(h),
            (_, Some(_)) => return Err(err(format!("{text:?}: ICMP targets have no port"))),
        },
        Method::Tcp => match split_host_port(text).map_err(err)? {
            (h, Some(p)) => Target::HostPort(h, p),
            (_, None) => {
                return Err(err(format!(
                    "{text:?}: a TCP target needs a port (host:port)"
                )));
            }
        },
        Method::Dns => {
            let (h, p) = split_host_port(text).map_err(err)?;
            Target::HostPort(h, p.unwrap_or(53))
        }
    };
    if !matches!(target, Target::Url(_)) {
        check.host(target.host())?;
    }
    Ok(target)
}

impl TryFrom<RawProbeConfig> for ProbeConfig {
    type Error = ProbeConfigError;

    fn try_from(raw: RawProbeConfig) -> Result<ProbeConfig, ProbeConfigError> {
        let c = Check {
            section: "probe",
            name: &raw.name,
        };
        c.name()?;
        let target = parse_target(&c, raw.method, &raw.target)?;
        c.family(raw.family, &target)?;
        let interface = c.interface(raw.interface)?;

        let count = raw.count.unwrap_or(match raw.method {
            Method::Icmp => 10,
            Method::Tcp | Method::Dns => 5,
            Method::Http => 3,
        });
        if !(1..=MAX_COUNT).contains(&count) {
            return Err(c.err("count", format!("{count} is out of range 1 to {MAX_COUNT}")));
        }
        let spacing = c.duration(
            "spacing",
            raw.spacing.unwrap_or(Duration::from_secs(1)),
            MIN_SPACING,
            Duration::from_secs(60),
        )?;
        let default_timeout = match raw.method {
            Method::Http => Duration::from_secs(10),
            _ => Duration::from_secs(2),
        };
        let timeout = c.duration(
            "timeout",
            raw.timeout.unwrap_or(default_timeout),
            Duration::from_millis(1),
            MAX_TIMEOUT,
        )?;
        let interval = c.duration(
            "interval",
            raw.interval.unwrap_or(Duration::from_secs(60)),
            MIN_INTERVAL,
            Duration::from_secs(7 * 24 * 3600),
        )?;
        let span = round_span(count, spacing, timeout);
        let jitter = match raw.jitter {
            Some(j) => j,
            None => (interval / 10).min(interval.saturating_sub(span)),
        };
        if span + jitter > interval {
            return Err(c.err(
                "interval",
                format!(
                    "{} is shorter than one round ({count} probes {} apart, {} timeout, {} jitter need {})",
                    fmt_d(interval),
                    fmt_d(spacing),
                    fmt_d(timeout),
                    fmt_d(jitter),
                    fmt_d(span + jitter)
                ),
            ));
        }

        let dns = match raw.method {
            Method::Dns => {
                let qname = raw.query.as_deref().unwrap_or(".");
                let mut name = Name::from_ascii(qname)
                    .map_err(|e| c.err("query", format!("{qname:?} is not a DNS name: {e}")))?;
                // Names in configs are absolute ("example.vn" means "example.vn.").
                name.set_fqdn(true);
                let qtype = raw.query_type.as_deref().unwrap_or("NS");
                let rtype = RecordType::from_str(&qtype.to_ascii_uppercase())
                    .ok()
                    .filter(|t| !matches!(t, RecordType::Unknown(_)))
                    .ok_or_else(|| {
                        c.err("query_type", format!("{qtype:?} is not a DNS record type"))
                    })?;
                Some(DnsQuestion { name, rtype })
            }
            _ => {
                if raw.query.is_some() {
                    return Err(c.err("query", "is only for method = \"dns\""));
                }
                if raw.query_type.is_some() {
                    return Err(c.err("query_type", "is only for method = \"dns\""));
                }
                None
            }
        };

        Ok(ProbeConfig {
            name: raw.name,
            method: raw.method,
            target_text: raw.target,
            target,
            link: raw.link,
            interface,
            family: raw.family,
            count,
            spacing,
            timeout,
            interval,
            jitter,
            dns,
        })
    }
}

/// One throughput measurement exactly as written in TOML (`[[throughput]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThroughputConfig {
    /// Unique name, used in logs.
    pub name: String,
    /// `http://` or `https://` URL to download from (or POST to, for `up`).
    pub url: String,
    /// The link measured.
    pub link: Link,
    /// Interface to bind to (SO_BINDTODEVICE).
    #[serde(default)]
    pub interface: Option<String>,
    /// Address family for host names with both.
    #[serde(default)]
    pub family: Option<Family>,
    /// `down` (GET, the default) or `up` (POST of zeros).
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Stop after this many bytes; default 10 MB (10,000,000).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Stop after this long; default 10s.
    #[serde(default, with = "humantime_serde")]
    pub max_duration: Option<Duration>,
    /// Period; default 6h (it costs the site's data).
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// Random delay in `[0, jitter]` before each transfer; default a tenth of the interval.
    #[serde(default, with = "humantime_serde")]
    pub jitter: Option<Duration>,
    /// Off unless set to `true`.
    #[serde(default)]
    pub enabled: bool,
}

impl RawThroughputConfig {
    /// A throughput measurement with only the required keys (disabled, as by default).
    pub fn new(name: &str, url: &str, link: Link) -> RawThroughputConfig {
        RawThroughputConfig {
            name: name.to_string(),
            url: url.to_string(),
            link,
            interface: None,
            family: None,
            direction: None,
            max_bytes: None,
            max_duration: None,
            interval: None,
            jitter: None,
            enabled: false,
        }
    }
}

/// A validated throughput measurement; build it with [`ThroughputConfig::try_from`] or
/// deserialize it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawThroughputConfig")]
pub struct ThroughputConfig {
    name: String,
    url: Url,
    url_text: String,
    link: Link,
    interface: Option<String>,
    family: Option<Family>,
    direction: Direction,
    max_bytes: u64,
    max_duration: Duration,
    interval: Duration,
    jitter: Duration,
    enabled: bool,
}

impl ThroughputConfig {
    /// Unique name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }
    /// The URL as configured (the reading's `target`).
    pub fn url_text(&self) -> &str {
        &self.url_text
    }
    /// The link measured.
    pub fn link(&self) -> Link {
        self.link
    }
    /// The interface bound to, if any.
    pub fn interface(&self) -> Option<&str> {
        self.interface.as_deref()
    }
    /// Address family restriction, if any.
    pub fn family(&self) -> Option<Family> {
        self.family
    }
    /// Download or upload.
    pub fn direction(&self) -> Direction {
        self.direction
    }
    /// Byte bound.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
    /// Time bound.
    pub fn max_duration(&self) -> Duration {
        self.max_duration
    }
    /// Period.
    pub fn interval(&self) -> Duration {
        self.interval
    }
    /// Largest random start delay.
    pub fn jitter(&self) -> Duration {
        self.jitter
    }
    /// Whether it is scheduled at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

impl TryFrom<RawThroughputConfig> for ThroughputConfig {
    type Error = ProbeConfigError;

    fn try_from(raw: RawThroughputConfig) -> Result<ThroughputConfig, ProbeConfigError> {
        let c = Check {
            section: "throughput",
            name: &raw.name,
        };
        c.name()?;
        let url = parse_url(&c, "url", &raw.url)?;
        let host = url
            .host_str()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']');
        if let (Some(f), Ok(ip)) = (raw.family, host.parse::<IpAddr>())
            && !f.matches(ip)
        {
            return Err(c.err(
                "family",
                format!("is {} but the URL's host {ip} is not", f.as_str()),
            ));
        }
        let interface = c.interface(raw.interface)?;
        let max_bytes = raw.max_bytes.unwrap_or(10_000_000);
        if !(1..=MAX_TRANSFER_BYTES).contains(&max_bytes) {
            return Err(c.err(
                "max_bytes",
                format!("{max_bytes} is out of range 1 to {MAX_TRANSFER_BYTES}"),
            ));
        }
        let max_duration = c.duration(
            "max_duration",
            raw.max_duration.unwrap_or(Duration::from_secs(10)),
            Duration::from_millis(100),
            MAX_TRANSFER_DURATION,
        )?;
        let interval = c.duration(
            "interval",
            raw.interval.unwrap_or(Duration::from_secs(6 * 3600)),
            MIN_INTERVAL,
            Duration::from_secs(30 * 24 * 3600),
        )?;
        let jitter = raw
            .jitter
            .unwrap_or_else(|| (interval / 10).min(interval.saturating_sub(max_duration)));
        if max_duration + jitter > interval {
            return Err(c.err(
                "interval",
                format!(
                    "{} is shorter than max_duration {} plus jitter {}",
                    fmt_d(interval),
                    fmt_d(max_duration),
                    fmt_d(jitter)
                ),
            ));
        }
        Ok(ThroughputConfig {
            name: raw.name,
            url,
            url_text: raw.url,
            link: raw.link,
            interface,
            family: raw.family,
            direction: raw.direction.unwrap_or(Direction::Down),
            max_bytes,
            max_duration,
            interval,
            jitter,
            enabled: raw.enabled,
        })
    }
}

/// Checks what single-probe validation cannot: names are unique within each section.
pub fn validate_names(
    probes: &[ProbeConfig],
    throughput: &[ThroughputConfig],
) -> Result<(), ProbeConfigError> {
    fn unique<'a>(
        section: &'static str,
        names: impl Iterator<Item = &'a str>,
    ) -> Result<(), ProbeConfigError> {
        let mut seen = std::collections::HashSet::new();
        for n in names {
            if !seen.insert(n) {
                return Err(ProbeConfigError::DuplicateName {
                    section,
                    name: n.to_string(),
                });
            }
        }
        Ok(())
    }
    unique("probe", probes.iter().map(ProbeConfig::name))?;
    unique("throughput", throughput.iter().map(ThroughputConfig::name))
}

fn fmt_d(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        probes: Vec<ProbeConfig>,
        #[serde(default)]
        throughput: Vec<ThroughputConfig>,
    }

    /// The example in the module docs parses and validates.
    #[test]
    fn module_doc_example_parses() {
        let doc = include_str!("config.rs");
        let toml_text: String = doc
            .split("//! ```toml\n")
            .nth(1)
            .unwrap()
            .split("//! ```")
            .next()
            .unwrap()
            .lines()
            .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let f: File = toml::from_str(&toml_text).unwrap();
        validate_names(&f.probes, &f.throughput).unwrap();
        let p = &f.probes[0];
        assert_eq!(p.name(), "dc-ping");
        assert_eq!(p.target(), &Target::Host("10.6.0.1".into()));
        assert_eq!(p.interface(), Some("eth0"));
        assert_eq!(p.jitter(), Duration::from_secs(6));
        let dns = &f.probes[1];
        assert_eq!(dns.target(), &Target::HostPort("10.6.0.53".into(), 53));
        assert_eq!(dns.dns.as_ref().unwrap().rtype, RecordType::A);
        let t = &f.throughput[0];
        assert!(t.enabled());
        assert_eq!(t.interval(), Duration::from_secs(6 * 3600));
        assert_eq!(t.max_bytes(), 10_000_000);
    }

    fn parse(toml_text: &str) -> Result<ProbeConfig, String> {
        toml::from_str::<File>(toml_text)
            .map(|mut f| f.probes.remove(0))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_depend_on_the_method() {
        let p =
            parse("[[probes]]\nname='a'\nmethod='icmp'\ntarget='127.0.0.1'\nlink='fibre'").unwrap();
        assert_eq!(p.count(), 10);
        assert_eq!(p.spacing(), Duration::from_secs(1));
        assert_eq!(p.timeout(), Duration::from_secs(2));
        assert_eq!(p.interval(), Duration::from_secs(60));
        assert_eq!(p.jitter(), Duration::from_secs(6));
        assert_eq!(p.round_span(), Duration::from_secs(11));
        let h = parse(
            "[[probes]]\nname='h'\nmethod='http'\ntarget='https://[::1]:8443/x'\nlink='other'",
        )
        .unwrap();
        assert_eq!((h.count(), h.timeout()), (3, Duration::from_secs(10)));
        assert_eq!(h.target().host(), "::1");
    }

    #[test]
    fn targets_parse_per_method() {
        let ok = |m, t: &str| {
            let mut raw = RawProbeConfig::new("p", m, t, Link::Fibre);
            raw.count = Some(1);
            ProbeConfig::try_from(raw).map(|p| p.target().clone())
        };
        assert_eq!(ok(Method::Icmp, "::1").unwrap(), Target::Host("::1".into()));
        assert_eq!(
            ok(Method::Icmp, "[::1]").unwrap(),
            Target::Host("::1".into())
        );
        assert_eq!(
            ok(Method::Tcp, "[::1]:80").unwrap(),
            Target::HostPort("::1".into(), 80)
        );
        assert_eq!(
            ok(Method::Tcp, "dc.example:443").unwrap(),
            Target::HostPort("dc.example".into(), 443)
        );
        assert_eq!(
            ok(Method::Dns, "127.0.0.1").unwrap(),
            Target::HostPort("127.0.0.1".into(), 53)
        );
        assert_eq!(
            ok(Method::Dns, "127.0.0.1:5353").unwrap(),
            Target::HostPort("127.0.0.1".into(), 5353)
        );
        for (m, bad) in [
            (Method::Icmp, "10.0.0.1:80"),
            (Method::Tcp, "10.0.0.1"),
            (Method::Tcp, "10.0.0.1:0"),
            (Method::Tcp, "::1:80"),
            (Method::Http, "ftp://x/"),
            (Method::Http, "10.0.0.1"),
            (Method::Icmp, "bad host"),
            (Method::Icmp, ""),
        ] {
            let e = ok(m, bad).unwrap_err();
            assert!(
                matches!(&e, ProbeConfigError::Invalid { key: "target", .. }),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn errors_name_the_probe_and_the_key() {
        let cases = [
            ("count=0", "count"),
            ("count=1001", "count"),
            ("spacing='1ms'", "spacing"),
            ("timeout='0s'", "timeout"),
            ("interval='5s'", "interval"),
            ("interval='12s'\njitter='2s'", "interval"),
            ("interface='a/b'", "interface"),
            ("interface='much-too-long-name'", "interface"),
            ("family='ipv6'", "family"),
            ("query='x'", "query"),
        ];
        for (extra, key) in cases {
            let text = format!(
                "[[probes]]\nname='dc-ping'\nmethod='icmp'\ntarget='127.0.0.1'\nlink='fibre'\n{extra}"
            );
            let e = parse(&text).unwrap_err();
            assert!(e.contains("probe \"dc-ping\""), "{extra}: {e}");
            assert!(e.contains(&format!("key `{key}`")), "{extra}: {e}");
        }
        let e = parse(
            "[[probes]]\nname='d'\nmethod='dns'\ntarget='::1'\nlink='fibre'\nquery_type='NOPE'",
        )
        .unwrap_err();
        assert!(e.contains("key `query_type`"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = parse("[[probes]]\nname='a'\nmethod='icmp'\ntarget='x'\nlink='fibre'\ncout=3")
            .unwrap_err();
        assert!(e.contains("unknown field `cout`"), "{e}");
        let e = parse("[[probes]]\nname='a'\nmethod='udp'\ntarget='x'\nlink='fibre'").unwrap_err();
        assert!(e.contains("udp"), "{e}");
    }

    #[test]
    fn default_jitter_shrinks_to_fit_the_round() {
        let p =
            parse("[[probes]]\nname='a'\nmethod='icmp'\ntarget='x'\nlink='fibre'\ninterval='12s'")
                .unwrap();
        // 12s interval, 11s round: a tenth (1.2s) would not fit; 1s does.
        assert_eq!(p.jitter(), Duration::from_secs(1));
    }

    #[test]
    fn throughput_is_off_by_default_and_validated() {
        let f: File =
            toml::from_str("[[throughput]]\nname='t'\nurl='http://127.0.0.1/x'\nlink='fibre'")
                .unwrap();
        let t = &f.throughput[0];
        assert!(!t.enabled());
        assert_eq!(t.direction(), Direction::Down);
        assert_eq!(t.max_duration(), Duration::from_secs(10));
        assert_eq!(t.jitter(), Duration::from_secs(2160));
        for (extra, key) in [
            ("max_bytes=0", "max_bytes"),
            ("max_duration='10m'", "max_duration"),
            ("interval='5s'", "interval"),
        ] {
            let e = toml::from_str::<File>(&format!(
                "[[throughput]]\nname='t'\nurl='http://127.0.0.1/x'\nlink='fibre'\n{extra}"
            ))
            .err()
            .unwrap()
            .to_string();
            assert!(
                e.contains("throughput \"t\"") && e.contains(&format!("key `{key}`")),
                "{e}"
            );
        }
        let e = toml::from_str::<File>("[[throughput]]\nname='t'\nurl='nope'\nlink='fibre'")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("key `url`"), "{e}");
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let a = ProbeConfig::try_from(RawProbeConfig::new("a", Method::Icmp, "::1", Link::Fibre))
            .unwrap();
        let e = validate_names(&[a.clone(), a], &[]).unwrap_err();
        assert_eq!(e.to_string(), "probe name \"a\" is used more than once");
    }
}

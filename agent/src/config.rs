//! Agent configuration (TOML), validated into an [`AgentConfig`] that cannot hold invalid
//! settings. The commented example lives in `deploy/agent.example.toml` and a test parses it.
//!
//! Every error names the file and the key (`agent.toml: mqtt.username: ...`).

use crate::modem::ModemConfig;
use crate::probe::{ProbeConfig, ThroughputConfig};
use crate::spool::SpoolConfig;
use coverage_net::mqtt::{MqttConfig, parse_url};
use coverage_shared::geo;
use coverage_shared::topic::validate_site;
use coverage_shared::wire::{Antenna, CommuneRef, Placement};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `[site]`: where this agent is and how its antenna is installed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Site id, `[A-Za-z0-9_-]{1,64}`; also the MQTT user name.
    pub id: String,
    /// Surveyed latitude, WGS84 degrees.
    pub lat: f64,
    /// Surveyed longitude, WGS84 degrees.
    pub lon: f64,
    /// Horizontal accuracy of the surveyed position, metres.
    #[serde(default)]
    pub acc_m: Option<f64>,
    /// Antenna placement: `indoor`, `outdoor` or `vehicle`.
    pub placement: Placement,
    /// `internal` or `external`.
    #[serde(default = "default_antenna")]
    pub antenna: Antenna,
    /// The commune the site was installed for (informative; the position decides).
    #[serde(default)]
    pub commune: Option<CommuneRef>,
}

fn default_antenna() -> Antenna {
    Antenna::Internal
}

/// `[schedule]`: how often the modem is sampled and heartbeats are sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Period of signal samples (per modem).
    #[serde(default = "default_signal_interval", with = "humantime_serde")]
    pub signal_interval: Duration,
    /// Period of heartbeats.
    #[serde(default = "default_heartbeat_interval", with = "humantime_serde")]
    pub heartbeat_interval: Duration,
}

fn default_signal_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_heartbeat_interval() -> Duration {
    Duration::from_secs(60)
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            signal_interval: default_signal_interval(),
            heartbeat_interval: default_heartbeat_interval(),
        }
    }
}

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Site identity and antenna.
    pub site: SiteConfig,
    /// Broker connection.
    pub mqtt: MqttConfig,
    /// Directory for the run id, seq reservations and the spool.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Directory with the boundary files (for `check`).
    #[serde(default = "default_boundaries_dir")]
    pub boundaries_dir: PathBuf,
    /// Sampling periods.
    #[serde(default)]
    pub schedule: ScheduleConfig,
    /// Spool bounds.
    #[serde(default)]
    pub spool: SpoolConfig,
    /// Modems.
    #[serde(default)]
    pub modems: Vec<ModemConfig>,
    /// Latency probes.
    #[serde(default)]
    pub probes: Vec<ProbeConfig>,
    /// Throughput tests (off unless listed and enabled).
    #[serde(default)]
    pub throughput: Vec<ThroughputConfig>,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/coverage-agent")
}

/// Where the packages install the boundary files (`boundaries_dir`'s default).
pub const DEFAULT_BOUNDARIES_DIR: &str = "/usr/share/coverage-monitor/boundaries";

fn default_boundaries_dir() -> PathBuf {
    PathBuf::from(DEFAULT_BOUNDARIES_DIR)
}

/// A validated agent configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The file it came from.
    pub file: PathBuf,
    /// The file's directory; relative paths resolve against it.
    pub base: PathBuf,
    /// Site identity.
    pub site: SiteConfig,
    /// Broker connection.
    pub mqtt: MqttConfig,
    /// State directory, resolved.
    pub state_dir: PathBuf,
    /// Boundary directory, resolved.
    pub boundaries_dir: PathBuf,
    /// Sampling periods.
    pub schedule: ScheduleConfig,
    /// Spool bounds.
    pub spool: SpoolConfig,
    /// Modems.
    pub modems: Vec<ModemConfig>,
    /// Latency probes.
    pub probes: Vec<ProbeConfig>,
    /// Throughput tests.
    pub throughput: Vec<ThroughputConfig>,
}

pub use coverage_shared::config::ConfigError;

impl AgentConfig {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<AgentConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_owned(),
            source,
        })?;
        AgentConfig::parse(&text, path)
    }

    /// Validates `text` as if read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<AgentConfig, ConfigError> {
        let file = path.to_owned();
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::toml(path, &e))?;
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            file: file.clone(),
            key: key.to_owned(),
            message,
        };
        let base = path.parent().map(Path::to_owned).unwrap_or_default();

        validate_site(&raw.site.id).map_err(|e| invalid("site.id", e.to_string()))?;
        if !geo::valid_lat(raw.site.lat) {
            return Err(invalid(
                "site.lat",
                format!("{} is not a latitude (-90..90)", raw.site.lat),
            ));
        }
        if !geo::valid_lon(raw.site.lon) {
            return Err(invalid(
                "site.lon",
                format!("{} is not a longitude (-180..180)", raw.site.lon),
            ));
        }
        parse_url(&raw.mqtt.url).map_err(|e| invalid("mqtt.url", e.to_string()))?;
        match &raw.mqtt.username {
            Some(u) if *u != raw.site.id => {
                return Err(invalid(
                    "mqtt.username",
                    format!(
                        "{u:?} must equal site.id {:?}: the broker's ACL lets a user write only coverage/v1/<username>/#",
                        raw.site.id
                    ),
                ));
            }
            _ => {}
        }
        for (key, d) in [
            ("schedule.signal_interval", raw.schedule.signal_interval),
            (
                "schedule.heartbeat_interval",
                raw.schedule.heartbeat_interval,
            ),
        ] {
            if d < Duration::from_secs(1) {
                return Err(invalid(key, format!("{d:?} is shorter than 1s")));
            }
        }
        raw.spool
            .validate()
            .map_err(|e| invalid("spool", e.to_string()))?;
        let mut names = std::collections::HashSet::new();
        for (i, m) in raw.modems.iter().enumerate() {
            m.validate()
                .map_err(|e| invalid(&format!("modems[{i}]"), e.to_string()))?;
            if !names.insert(m.name().to_owned()) {
                return Err(invalid(
                    &format!("modems[{i}].name"),
                    format!("{:?} is used twice", m.name()),
                ));
            }
        }
        crate::probe::validate_names(&raw.probes, &raw.throughput)
            .map_err(|e| invalid("probes", e.to_string()))?;
        Ok(AgentConfig {
            state_dir: base.join(&raw.state_dir),
            boundaries_dir: base.join(&raw.boundaries_dir),
            file,
            base,
            site: raw.site,
            mqtt: raw.mqtt,
            schedule: raw.schedule,
            spool: raw.spool,
            modems: raw.modems,
            probes: raw.probes,
            throughput: raw.throughput,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AgentConfig, ConfigError> {
        AgentConfig::parse(text, Path::new("/etc/coverage-agent/agent.toml"))
    }

    const MIN: &str = "[site]\nid = \"bk-01834-a\"\nlat = 22.16\nlon = 105.84\nplacement = \"indoor\"\n[mqtt]\nurl = \"mqtt://127.0.0.1\"\n";

    #[test]
    fn the_example_config_parses() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/agent.example.toml"
        ));
        let cfg = AgentConfig::load(path).unwrap();
        assert_eq!(cfg.site.id, cfg.mqtt.username.clone().unwrap());
        assert!(!cfg.modems.is_empty() && !cfg.probes.is_empty());
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(MIN).unwrap();
        assert_eq!(c.state_dir, PathBuf::from("/var/lib/coverage-agent"));
        assert_eq!(c.schedule.signal_interval, Duration::from_secs(60));
        assert_eq!(c.spool.max_bytes, 64 * 1024 * 1024);
    }

    #[test]
    fn username_must_equal_site_id() {
        let err = parse(&format!("{MIN}username = \"other\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("agent.toml")
                && err.contains("mqtt.username")
                && err.contains("bk-01834-a"),
            "{err}"
        );
        assert!(parse(&format!("{MIN}username = \"bk-01834-a\"\n")).is_ok());
    }

    #[test]
    fn errors_name_the_key() {
        let err = parse(&MIN.replace("lat = 22.16", "lat = 122.0"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("site.lat"), "{err}");
        let err = parse(&MIN.replace("bk-01834-a", "bk 01834"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("site.id"), "{err}");
        let err = parse(&format!("{MIN}[schedule]\nsignal_every = \"1m\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("signal_every"), "{err}");
        let err = parse(&format!("{MIN}[[modems]]\ndriver = \"simulated\"\nname = \"a\"\n[[modems]]\ndriver = \"simulated\"\nname = \"a\"\n")).unwrap_err().to_string();
        assert!(err.contains("modems[1].name"), "{err}");
        let err = parse(&format!("{MIN}[[probes]]\nname = \"p\"\nmethod = \"icmp\"\ntarget = \"10.0.0.1\"\nlink = \"fibre\"\ninterval = \"1s\"\n")).unwrap_err().to_string();
        assert!(err.contains("interval"), "{err}");
    }
}

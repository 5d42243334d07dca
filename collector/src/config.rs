//! Collector configuration (TOML), validated at start-up into a [`Config`] that cannot hold
//! invalid settings.
//!
//! This module only composes and validates: each component owns its own table's type
//! (`[influx]` and `[sink]` in [`crate::sink`], `[ingest]` in [`crate::ingest`],
//! `[dead_letter]` in [`crate::deadletter`], `[wal]` in [`crate::wal`], `[http]` in
//! [`crate::api`], `[audit]` in the
//! `coverage-audit` crate), so no component depends on this module.
//!
//! Every key is documented in `deploy/collector.example.toml`, which a test parses. Unknown keys
//! are errors; every error names the file and the key.

use crate::api::{ApiConfig, HttpConfig};
use crate::coordinator::{CoordinatorConfig, RollupsConfig};
use crate::deadletter::DeadLetterConfig;
use crate::ingest::IngestConfig;
use crate::sink::{InfluxApi, InfluxConfig, SinkConfig};
use crate::wal::WalConfig;
use coverage_audit::{AuditConfig, AuditError, QueryEndpoint};
use coverage_net::mqtt::MqttConfig;
use coverage_shared::secret::Secret;
use coverage_shared::site::SiteRegistry;
use coverage_shared::topic::{READINGS_FILTER, shared_readings_filter};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[archive]`: write line protocol to a file instead of InfluxDB (single-machine demo).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// The line-protocol file; relative to the config file's directory.
    pub path: PathBuf,
}

/// `[boundaries]`: where boundary sets come from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundariesConfig {
    /// A directory with the boundary files; default: the sets compiled into the binary.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

/// `[registry]`: the site registry's own file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// `sites.toml` with the `[[sites]]` entries; relative to the config file's directory.
    pub file: PathBuf,
    /// How often the running collector looks for a changed file (a site added or retired is
    /// picked up without a restart; an invalid file is logged and the last good one kept).
    #[serde(default = "default_reload_every", with = "humantime_serde")]
    pub reload_every: std::time::Duration,
    /// Readings of a site the registry does not list: `accept` (stored; its site status is
    /// `unregistered`, which the Fleet dashboard and alerts show) or `reject` (dead-lettered
    /// with the reason `unregistered`; the broker's ACL normally stops them first).
    #[serde(default)]
    pub unregistered: Unregistered,
}

/// `[registry] unregistered`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unregistered {
    /// Store them; their site status says `unregistered`.
    #[default]
    Accept,
    /// Dead-letter them.
    Reject,
}

fn default_reload_every() -> std::time::Duration {
    std::time::Duration::from_secs(5)
}

/// `[provisioning]`: what `coverage-collector site add` and `site retire` change besides the
/// registry (the broker's password file, then a reload of the broker) and what a new agent's
/// config names (how it reaches the broker).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningConfig {
    /// mosquitto's `password_file` (relative to the config file's directory).
    pub password_file: PathBuf,
    /// The command (argv) that makes the broker read its password file again, run after every
    /// change: `["systemctl", "reload", "mosquitto"]` (SIGHUP; mosquitto then also ends the
    /// sessions of users no longer in the file). Empty: none (reload it yourself).
    #[serde(default)]
    pub reload: Vec<String>,
    /// The broker URL written into a new agent's config (`mqtts://broker.example:8883`).
    pub agent_broker_url: String,
    /// The CA certificate copied beside a new agent's config (relative to the config file's
    /// directory); without it the agent's config names no `ca_file`.
    #[serde(default)]
    pub agent_ca_file: Option<PathBuf>,
}

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Broker connection.
    pub mqtt: MqttConfig,
    /// Subscription settings.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// InfluxDB (one of `influx` and `archive`).
    #[serde(default)]
    pub influx: Option<InfluxConfig>,
    /// Archive file (one of `influx` and `archive`).
    #[serde(default)]
    pub archive: Option<ArchiveConfig>,
    /// Batching.
    #[serde(default)]
    pub sink: SinkConfig,
    /// Dead letters.
    #[serde(default)]
    pub dead_letter: DeadLetterConfig,
    /// The write-ahead log (without it, a message is acknowledged once stored in InfluxDB).
    #[serde(default)]
    pub wal: Option<WalConfig>,
    /// Operations endpoint.
    #[serde(default)]
    pub http: HttpConfig,
    /// The HTTP API's limits.
    #[serde(default)]
    pub api: ApiConfig,
    /// Boundary sets.
    #[serde(default)]
    pub boundaries: BoundariesConfig,
    /// The site registry's file: surveyed positions win over reported ones.
    #[serde(default)]
    pub registry: Option<RegistryConfig>,
    /// `coverage-collector site` settings.
    #[serde(default)]
    pub provisioning: Option<ProvisioningConfig>,
    /// `[[sites]]` in the config itself, refused with a pointer to `[registry]` (the registry
    /// lives in its own file, whose SHA-256 the audit reports).
    #[serde(default)]
    pub sites: Option<toml::Value>,
    /// Audit thresholds and rules (validated by the audit module when it runs).
    #[serde(default)]
    pub audit: Option<toml::Value>,
    /// Whether this instance is the coordinator, and its settings.
    #[serde(default)]
    pub coordinator: CoordinatorConfig,
    /// What the rollups hold.
    #[serde(default)]
    pub rollups: RollupsConfig,
}

/// Where raw points are stored.
#[derive(Debug, Clone)]
pub enum Store {
    /// InfluxDB, with the token or password already read.
    Influx {
        /// Connection settings.
        cfg: InfluxConfig,
        /// Token (v2, or v1 with a token) or password (v1 with `username`).
        secret: Option<Secret>,
    },
    /// A line-protocol file.
    Archive(PathBuf),
}

impl Store {
    /// Where the audit queries the stored points: the InfluxDB server and database with the
    /// secret already resolved; `None` for an archive file (the audit reads it directly).
    pub fn query_endpoint(&self) -> Option<QueryEndpoint> {
        match self {
            Store::Influx { cfg, secret } => Some(QueryEndpoint {
                url: cfg.url.clone(),
                database: cfg.database.clone(),
                username: cfg.username.clone(),
                secret: secret.clone(),
            }),
            Store::Archive(_) => None,
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (for messages).
    pub file: PathBuf,
    /// The file's directory; relative paths resolve against it.
    pub base: PathBuf,
    /// Broker connection.
    pub mqtt: MqttConfig,
    /// Subscription filter, with the shared-subscription prefix when configured.
    pub filter: String,
    /// Subscription settings.
    pub ingest: IngestConfig,
    /// Where points go.
    pub store: Store,
    /// Batching.
    pub sink: SinkConfig,
    /// Dead letters, path resolved.
    pub dead_letter: DeadLetterConfig,
    /// The write-ahead log, directory resolved; `None`: acknowledge after the store.
    pub wal: Option<WalConfig>,
    /// Operations endpoint.
    pub http: HttpConfig,
    /// The bearer token the HTTP API requires (`[http] token_file`, read); `None`: none.
    pub http_token: Option<Secret>,
    /// The HTTP API's limits.
    pub api: ApiConfig,
    /// Boundary directory, resolved (`None` = embedded).
    pub boundaries_dir: Option<PathBuf>,
    /// Site registry (empty without `[registry]`).
    pub registry: SiteRegistry,
    /// How often the daemon looks for a changed registry file.
    pub registry_reload_every: std::time::Duration,
    /// What happens to readings of sites not in the registry.
    pub unregistered: Unregistered,
    /// `[provisioning]`, paths resolved.
    pub provisioning: Option<ProvisioningConfig>,
    /// Audit settings, validated, with the site registry.
    pub audit: AuditConfig,
    /// `[coordinator]`, with `instance` resolved (default: the MQTT client id).
    pub coordinator: CoordinatorConfig,
    /// `[rollups]`.
    pub rollups: RollupsConfig,
    /// `rollups.verdict_period` in days.
    pub verdict_period_days: u32,
}

pub use coverage_shared::config::ConfigError;

impl Config {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates `text` as if read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file = path.to_owned();
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::toml(path, &e))?;
        let base = path.parent().map(Path::to_owned).unwrap_or_default();
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            file: file.clone(),
            key: key.to_owned(),
            message,
        };

        coverage_net::mqtt::parse_url(&raw.mqtt.url)
            .map_err(|e| invalid("mqtt.url", e.to_string()))?;
        let filter = match &raw.ingest.shared_group {
            Some(g) if g.is_empty() || g.contains(['/', '+', '#']) => {
                return Err(invalid(
                    "ingest.shared_group",
                    format!("{g:?} must be a non-empty name without / + #"),
                ));
            }
            Some(g) => shared_readings_filter(g),
            None => READINGS_FILTER.to_owned(),
        };
        if raw.ingest.receive_maximum == 0 {
            return Err(invalid(
                "ingest.receive_maximum",
                "must be at least 1".into(),
            ));
        }

        let store = match (raw.influx, raw.archive) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "influx",
                    "give either [influx] or [archive], not both".into(),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "influx",
                    "missing: give [influx] (or [archive] for a file store)".into(),
                ));
            }
            (None, Some(a)) => Store::Archive(base.join(a.path)),
            (Some(cfg), None) => {
                url::Url::parse(&cfg.url)
                    .map_err(|e| invalid("influx.url", format!("{:?}: {e}", cfg.url)))?;
                let secret = match &cfg.token_file {
                    Some(p) => {
                        let p = base.join(p);
                        let text = std::fs::read_to_string(&p).map_err(|e| {
                            invalid("influx.token_file", format!("{}: {e}", p.display()))
                        })?;
                        Some(Secret::from_file_contents(&text))
                    }
                    None => cfg.token.clone(),
                };
                if cfg.api == InfluxApi::V2 {
                    if cfg.org.is_none() {
                        return Err(invalid("influx.org", "required with api = \"v2\"".into()));
                    }
                    if secret.is_none() {
                        return Err(invalid(
                            "influx.token",
                            "required with api = \"v2\" (or token_file)".into(),
                        ));
                    }
                }
                if cfg.database.is_empty() {
                    return Err(invalid("influx.database", "must not be empty".into()));
                }
                Store::Influx { cfg, secret }
            }
        };
        if let Err((key, problem)) = raw.dead_letter.validate() {
            return Err(invalid(key, problem));
        }
        if let Some(Err((key, problem))) = raw.wal.as_ref().map(WalConfig::validate) {
            return Err(invalid(&key, problem));
        }
        if raw.sink.batch_lines == 0 {
            return Err(invalid("sink.batch_lines", "must be at least 1".into()));
        }

        if raw.sites.is_some() {
            return Err(invalid(
                "sites",
                "the site registry lives in its own file: move the [[sites]] entries into \
                 sites.toml and name it with [registry] file = \"sites.toml\""
                    .into(),
            ));
        }
        let provisioning = raw.provisioning.map(|p| ProvisioningConfig {
            password_file: base.join(&p.password_file),
            agent_ca_file: p.agent_ca_file.map(|f| base.join(f)),
            ..p
        });
        if raw
            .registry
            .as_ref()
            .is_some_and(|r| r.reload_every.is_zero())
        {
            return Err(invalid(
                "registry.reload_every",
                "must be above zero".into(),
            ));
        }
        let registry = match &raw.registry {
            Some(r) => SiteRegistry::load(&base.join(&r.file))?,
            None => SiteRegistry::default(),
        };

        let audit = AuditConfig::from_toml(raw.audit)
            .map_err(|e| match e {
                AuditError::Config { key, problem } => invalid(&key, problem),
                other => invalid("audit", other.to_string()),
            })?
            .with_registry(&registry);
        let verdict_period_days = raw
            .rollups
            .period_days()
            .map_err(|m| invalid("rollups.verdict_period", m))?;
        if raw.coordinator.poll_every.is_zero() {
            return Err(invalid(
                "coordinator.poll_every",
                "must be above zero".into(),
            ));
        }
        let coordinator = CoordinatorConfig {
            instance: Some(raw.coordinator.instance.clone().unwrap_or_else(|| {
                raw.mqtt
                    .client_id
                    .clone()
                    .unwrap_or_else(|| "coverage-collector".to_owned())
            })),
            ..raw.coordinator
        };
        let http_token = match &raw.http.token_file {
            Some(p) => {
                let p = base.join(p);
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| invalid("http.token_file", format!("{}: {e}", p.display())))?;
                let token = Secret::from_file_contents(&text);
                if token.expose().len() < 16 {
                    return Err(invalid(
                        "http.token_file",
                        format!("{}: the token must be at least 16 characters", p.display()),
                    ));
                }
                Some(token)
            }
            None => None,
        };
        if !raw.http.listen.ip().is_loopback() && http_token.is_none() {
            return Err(invalid(
                "http.token_file",
                format!(
                    "required when http.listen ({}) is not a loopback address: the API \
                     answers only requests that carry this bearer token",
                    raw.http.listen
                ),
            ));
        }
        raw.api
            .validate()
            .map_err(|(key, message)| invalid(&key, message))?;
        let dead_letter = DeadLetterConfig {
            path: base.join(&raw.dead_letter.path),
            ..raw.dead_letter
        };
        let wal = raw.wal.map(|w| WalConfig {
            dir: base.join(&w.dir),
            ..w
        });
        Ok(Config {
            boundaries_dir: raw.boundaries.dir.map(|d| base.join(d)),
            file,
            base,
            mqtt: raw.mqtt,
            filter,
            ingest: raw.ingest,
            store,
            sink: raw.sink,
            dead_letter,
            wal,
            http: raw.http,
            http_token,
            api: raw.api,
            registry,
            registry_reload_every: raw
                .registry
                .as_ref()
                .map_or_else(default_reload_every, |r| r.reload_every),
            unregistered: raw
                .registry
                .as_ref()
                .map_or(Unregistered::Accept, |r| r.unregistered),
            provisioning,
            audit,
            coordinator,
            rollups: raw.rollups,
            verdict_period_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/coverage/collector.toml"))
    }

    const MIN: &str =
        "[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n[influx]\nurl = \"http://127.0.0.1:8086\"\n";

    #[test]
    fn the_example_config_parses() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/collector.example.toml"
        ));
        let text = std::fs::read_to_string(path).unwrap();
        // The password file it names need not exist to parse; the token file is commented out.
        let c = Config::parse(&text, path).unwrap();
        assert_eq!(c.registry.sites.len(), 1, "deploy/sites.example.toml");
        assert_eq!(c.registry.sites[0].operators, ["452-04", "452-02"]);
        assert_eq!(c.audit.fibre.target.as_deref(), Some("10.6.0.1"));
        assert!(c.coordinator.enabled);
        assert_eq!(c.verdict_period_days, 30);
        let Store::Influx { cfg, .. } = &c.store else {
            panic!("influx")
        };
        assert_eq!(
            cfg.raw_retention,
            Some(std::time::Duration::from_secs(400 * 86_400))
        );
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(MIN).unwrap();
        assert_eq!(c.filter, "coverage/v1/+/+");
        assert_eq!(c.ingest.receive_maximum, 1000);
        assert_eq!(
            c.dead_letter.path,
            PathBuf::from("/etc/coverage/dead-letter.jsonl")
        );
        let Store::Influx { cfg, secret } = c.store else {
            panic!("influx")
        };
        assert_eq!(cfg.database, "coverage");
        assert!(secret.is_none());
    }

    #[test]
    fn unknown_keys_name_the_file_and_key() {
        let err = parse(&format!("{MIN}batchsize = 3\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("collector.toml") && err.contains("batchsize"),
            "{err}"
        );
        let err = parse(&format!("{MIN}[sink]\nflush = \"1s\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("flush"), "{err}");
    }

    #[test]
    fn semantic_errors_name_the_key() {
        let v2 = "[mqtt]\nurl = \"mqtt://h\"\n[influx]\nurl = \"http://h:8086\"\napi = \"v2\"\n";
        let err = parse(v2).unwrap_err().to_string();
        assert!(err.contains("influx.org"), "{err}");
        let err = parse("[mqtt]\nurl = \"mqtt://h\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("influx") && err.contains("missing"), "{err}");
        let err = parse(&format!(
            "{MIN}[[sites]]\nid = \"s1\"\nlat = 1.0\nlon = 2.0\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("collector.toml: sites:") && err.contains("[registry] file"),
            "inline sites point to the registry file: {err}"
        );
        let err = parse("[mqtt]\nurl = \"http://h\"\n[archive]\npath = \"a.lp\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mqtt.url"), "{err}");
        let err = parse(&format!("{MIN}[ingest]\nshared_group = \"a/b\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ingest.shared_group"), "{err}");
    }

    #[test]
    fn audit_table_is_validated_and_gets_the_registry_file() {
        let dir = tempfile::tempdir().unwrap();
        let sites = "[[sites]]\nid = \"s1\"\nlat = 22.1\nlon = 105.8\noperators = [\"Viettel\"]\n";
        std::fs::write(dir.path().join("sites.toml"), sites).unwrap();
        let config = dir.path().join("collector.toml");
        let c = Config::parse(
            &format!(
                "{MIN}[registry]\nfile = \"sites.toml\"\n[audit]\nmin_samples = 10\n[audit.fibre]\ntarget = \"10.6.0.1\"\n"
            ),
            &config,
        )
        .unwrap();
        assert_eq!(c.audit.min_samples, 10);
        assert_eq!(c.audit.sites.len(), 1);
        assert_eq!(c.audit.sites[0].operators, ["452-04"]);
        let source = c.audit.registry.as_ref().unwrap();
        assert_eq!(source.sha256.len(), 64);
        assert!(source.file.ends_with("sites.toml"), "{}", source.file);
        let err = parse(&format!("{MIN}[audit]\nmin_smaples = 10\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("collector.toml") && err.contains("min_smaples"),
            "{err}"
        );
        // Errors in the registry name its file and the entry.
        let twice = "[[sites]]\nid = \"s1\"\nlat = 1.0\nlon = 2.0\n";
        std::fs::write(dir.path().join("sites.toml"), format!("{twice}{twice}")).unwrap();
        let err = Config::parse(
            &format!("{MIN}[registry]\nfile = \"sites.toml\"\n"),
            &config,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("sites.toml") && err.contains("sites[1].id") && err.contains("twice"),
            "{err}"
        );
        let err = Config::parse(&format!("{MIN}[registry]\nfile = \"none.toml\"\n"), &config)
            .unwrap_err()
            .to_string();
        assert!(err.contains("none.toml"), "{err}");
    }

    #[test]
    fn coordinator_and_rollups_get_defaults_and_bad_periods_name_the_key() {
        let c = parse(MIN).unwrap();
        assert!(!c.coordinator.enabled);
        assert_eq!(
            c.coordinator.instance.as_deref(),
            Some("coverage-collector")
        );
        assert_eq!(c.coordinator.settle, std::time::Duration::from_secs(120));
        assert_eq!(c.verdict_period_days, 30);
        let c = parse(&format!(
            "{MIN}[coordinator]\nenabled = true\ninstance = \"a\"\n[rollups]\nverdict_period = \"3d\"\n"
        ))
        .unwrap();
        assert!(c.coordinator.enabled);
        assert_eq!(c.coordinator.instance.as_deref(), Some("a"));
        assert_eq!(c.verdict_period_days, 3);
        let err = parse(&format!("{MIN}[rollups]\nverdict_period = \"36h\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rollups.verdict_period") && err.contains("whole number of days"),
            "{err}"
        );
    }

    #[test]
    fn a_non_loopback_listener_needs_a_token_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("collector.toml");
        let open = format!("{MIN}[http]\nlisten = \"0.0.0.0:9108\"\n");
        let err = Config::parse(&open, &config).unwrap_err().to_string();
        assert!(
            err.contains("collector.toml") && err.contains("http.token_file"),
            "{err}"
        );
        std::fs::write(dir.path().join("short"), "abc\n").unwrap();
        let err = Config::parse(&format!("{open}token_file = \"short\"\n"), &config)
            .unwrap_err()
            .to_string();
        assert!(err.contains("16 characters"), "{err}");
        std::fs::write(dir.path().join("token"), "0123456789abcdef0123\n").unwrap();
        let c = Config::parse(&format!("{open}token_file = \"token\"\n"), &config).unwrap();
        assert_eq!(c.http_token.unwrap().expose(), "0123456789abcdef0123");
        // Loopback needs none.
        assert!(parse(MIN).unwrap().http_token.is_none());
        let err = parse(&format!("{MIN}[api]\naudit_max_period = \"0s\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("api.audit_max_period"), "{err}");
    }

    #[test]
    fn shared_group_and_archive() {
        let c = parse("[mqtt]\nurl = \"mqtt://h\"\n[ingest]\nshared_group = \"collectors\"\n[archive]\npath = \"data/a.lp\"\n").unwrap();
        assert_eq!(c.filter, "$share/collectors/coverage/v1/+/+");
        let Store::Archive(p) = c.store else {
            panic!("archive")
        };
        assert_eq!(p, PathBuf::from("/etc/coverage/data/a.lp"));
    }
}

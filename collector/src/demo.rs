//! `coverage-collector demo`: the whole system on one machine with nothing installed.
//!
//! What runs, all real code on loopback:
//!
//! - an embedded MQTT 5 broker (rumqttd) on a free port;
//! - the collector ([`crate::run::run_with`]) subscribed to it, writing either a line-protocol
//!   archive file (the embedded store) or, with `--influx-url`, a real InfluxDB (v1 API);
//! - one simulated agent per commune of the boundary set (a few communes deliberately without a
//!   site, some weak, dead, flaky or thin), each with the agent's own [`Recorder`], crash-safe
//!   spool and MQTT 5 [`Publisher`], under its own MQTT connection;
//! - simulated modems ([`SimModem`], seeded and deterministic) and simulated fibre rounds whose
//!   statistics go through the probes' own `round_stats`;
//! - the audit of the period, from the archive (or InfluxQL), with claims.
//!
//! Time is compressed: the simulated period (default two days in the past) is played hour by
//! hour in `--duration` of wall time, each reading stamped with its simulated time.
//!
//! The simulation is deterministic (seeded by `--seed` and the commune codes), so two runs give
//! the same verdicts; the report's provenance differs only in what depends on the run (archive
//! hash, since every agent's `run` id is random).

use crate::api::HttpConfig;
use crate::config::{Config, Store};
use crate::deadletter::DeadLetterConfig;
use crate::ingest::IngestConfig;
use crate::metrics::Metrics;
use crate::sink::{InfluxApi, InfluxConfig, SinkConfig};
use chrono::{DateTime, Duration as Span, Utc};
use coverage_agent::clock::ClockWatch;
use coverage_agent::measure::Measurement;
use coverage_agent::modem::{SimModem, SimPreset, SimProfile};
use coverage_agent::probe::stats::round_stats;
use coverage_agent::publish::{PublishStats, Publisher};
use coverage_agent::run::Recorder;
use coverage_agent::spool::{SharedSpool, SpoolConfig, SpoolStats};
use coverage_agent::state::AgentState;
use coverage_audit::{self as audit, AuditArgs, AuditConfig, Format, Report};
use coverage_net::mqtt::MqttConfig;
use coverage_shared::boundary::{BoundaryRegistry, BoundarySet};
use coverage_shared::site::{SiteEntry, SiteRegistry};
use coverage_shared::topic::READINGS_FILTER;
use coverage_shared::wire::{
    Antenna, Body, CommuneRef, Heartbeat, Latency, Link, Method, Placement, Signal,
};
use geo::InteriorPoint;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The address the simulated fibre probes measure (the provincial data centre).
pub const DEMO_FIBRE_TARGET: &str = "10.6.0.1";

/// `coverage-collector demo` options.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Wall-clock time to play the simulated period in.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Start of the simulated period (RFC 3339); the boundary set in force then is audited.
    #[arg(long, default_value = "2025-06-01T00:00:00+07:00", value_parser = audit::parse_instant)]
    pub from: DateTime<Utc>,
    /// Length of the simulated period in days (the audit needs at least 12 distinct hours
    /// and 300 samples per site: two days give 576 samples per modem).
    #[arg(long, default_value_t = 2)]
    pub days: u32,
    /// Directory for the archive, the agents' state and spools, and the reports.
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Write to this InfluxDB (v1 API, database `coverage`) instead of the archive file, and
    /// audit it with InfluxQL.
    #[arg(long)]
    pub influx_url: Option<String>,
    /// Use this MQTT broker (`mqtt://host:port`, anonymous) instead of the embedded one.
    #[arg(long)]
    pub broker_url: Option<String>,
    /// Simulate only the first N sites of the plan (the other communes then have no site);
    /// for quick runs and tests.
    #[arg(long)]
    pub max_sites: Option<usize>,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the collector running after the audit and serve the live map, the HTTP API and
    /// `/metrics` on `--listen` until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
    /// The collector's HTTP address (the live map at `/`, the API, `/metrics`); default with
    /// `--serve` 127.0.0.1:9108, else any free loopback port.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Show the collector's, the agents' and the embedded broker's logs (by default only the
    /// demo's own progress and the summary; `COVERAGE_LOG` still sets the filter).
    #[arg(short, long)]
    pub verbose: bool,
}

/// Why the demo failed.
#[derive(Debug, Error)]
pub enum DemoError {
    /// A file or directory could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Boundary sets.
    #[error(transparent)]
    Boundary(#[from] coverage_shared::boundary::BoundaryError),
    /// The embedded broker could not start.
    #[error("embedded broker: {0}")]
    Broker(String),
    /// The collector could not start.
    #[error("collector: {0}")]
    Collector(#[from] crate::run::RunError),
    /// An agent could not start.
    #[error("simulated agent {site}: {error}")]
    Agent {
        /// The site.
        site: String,
        /// What went wrong.
        error: String,
    },
    /// The readings did not all arrive in time.
    #[error("{0}")]
    Timeout(String),
    /// The audit failed.
    #[error("audit: {0}")]
    Audit(Box<audit::AuditError>),
    /// Bad options.
    #[error("{0}")]
    Options(String),
    /// The demo's own files could not be made.
    #[error("demo setup: {0}")]
    Setup(String),
}

impl From<audit::AuditError> for DemoError {
    fn from(e: audit::AuditError) -> Self {
        DemoError::Audit(Box::new(e))
    }
}

/// What the demo produced.
#[derive(Debug)]
pub struct DemoOutcome {
    /// The audit report.
    pub report: Report,
    /// Where the reports were written (JSON, Markdown, CSV).
    pub reports: Vec<PathBuf>,
    /// The archive file (when no InfluxDB was used).
    pub archive: Option<PathBuf>,
    /// Readings the simulated agents recorded.
    pub readings: u64,
    /// Points the collector wrote.
    pub points_written: u64,
    /// Readings the collector rejected.
    pub rejected: u64,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// The coordinator's derived points (`rollups.lp` beside the archive; in InfluxDB's
    /// `rollups` policy with `--influx-url`).
    pub rollups: Option<PathBuf>,
    /// Rollup windows the coordinator computed (hours and days).
    pub rollup_windows: u64,
    /// With `--serve`: the still running collector.
    pub serving: Option<Serving>,
}

/// The collector kept running by `--serve`.
#[derive(Debug)]
pub struct Serving {
    /// The live map's address.
    pub url: String,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<Arc<Metrics>, crate::run::RunError>>,
    agents: CancellationToken,
}

impl Serving {
    /// Serves until `signal` completes (Ctrl-C), then stops the collector.
    pub async fn until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.agents.cancel();
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// The demo's simulated time: `from` when the agents start, then one simulated hour per `tick`
/// of wall time, held at `end`, just after the period (the coordinator then sees every window
/// of the period closed, and site status stays as it was when the period ended).
#[derive(Debug)]
struct SimClock {
    from: DateTime<Utc>,
    end: DateTime<Utc>,
    tick: Duration,
    started: std::sync::OnceLock<tokio::time::Instant>,
}

impl crate::coordinator::Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let Some(t0) = self.started.get() else {
            return self.from;
        };
        let hours = t0.elapsed().as_secs_f64() / self.tick.as_secs_f64().max(1e-6);
        let t = self.from + Span::milliseconds((hours * 3_600_000.0) as i64);
        t.min(self.end)
    }
}

/// How a simulated site behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Strong,
    Moderate,
    Weak,
    Flaky,
    Dead,
    /// Online only for the last hours of the period: too little evidence.
    Thin,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FibreHealth {
    Healthy {
        rtt_ms: f64,
    },
    /// Down (100 % loss) for hours `from..to` of the period.
    Outage {
        rtt_ms: f64,
        from: u32,
        to: u32,
    },
}

/// `sites.toml` as written.
#[derive(serde::Serialize)]
struct RegistryFile<'a> {
    sites: &'a [SiteEntry],
}

struct DemoSite {
    id: String,
    commune: String,
    lat: f64,
    lon: f64,
    kind: Kind,
    modems: Vec<(String, SimProfile)>,
    fibre: Option<FibreHealth>,
}

fn profile(kind: Kind) -> SimProfile {
    SimProfile::preset(match kind {
        Kind::Strong | Kind::Thin => SimPreset::Strong,
        Kind::Moderate => SimPreset::Moderate,
        Kind::Weak => SimPreset::Weak,
        Kind::Flaky => SimPreset::Flaky,
        Kind::Dead => SimPreset::Dead,
    })
}

/// The plan: which communes get a site, how each behaves, which carry fibre probes.
fn plan(set: &BoundarySet) -> Vec<DemoSite> {
    let mut sites = Vec::new();
    let mut fibre_districts: HashMap<String, usize> = HashMap::new();
    for (i, c) in set.communes().iter().enumerate() {
        if i % 27 == 5 {
            continue; // no site in this commune
        }
        // Mostly good coverage, so the claims are close calls rather than obvious: a few weak,
        // dead, flaky and thin (late-installed) sites, and a few communes without a site.
        let kind = match i {
            _ if i % 41 == 11 => Kind::Dead,
            _ if i % 29 == 3 => Kind::Weak,
            _ if i % 37 == 7 => Kind::Thin,
            _ if i % 31 == 2 => Kind::Flaky,
            _ if i % 6 == 1 => Kind::Moderate,
            _ => Kind::Strong,
        };
        let Some(p) = c.geometry.interior_point() else {
            continue;
        };
        let mut modems = vec![("viettel".to_owned(), profile(kind))];
        if i % 4 == 0 {
            // A second operator's SIM at some sites: per-operator verdicts.
            let mut p2 = profile(if kind == Kind::Strong {
                Kind::Moderate
            } else {
                kind
            });
            p2.home.mnc = "02".into();
            p2.home.name = Some("VinaPhone".into());
            modems.push(("vinaphone".to_owned(), p2));
        }
        // One fibre site per district (or per commune in a set without districts, every
        // tenth), with one district down for a day and one without any fibre site.
        let area = c
            .district
            .as_ref()
            .map_or_else(|| c.code.clone(), |d| d.code.clone());
        let area_index = fibre_districts.len();
        let fibre =
            if c.district.is_some() && !fibre_districts.contains_key(&area) && kind != Kind::Thin {
                fibre_districts.insert(area, i);
                match area_index {
                    1 => None, // this district has no fibre site at all
                    6 => Some(FibreHealth::Outage {
                        rtt_ms: 9.0,
                        from: 20,
                        to: 30,
                    }),
                    n => Some(FibreHealth::Healthy {
                        rtt_ms: 4.0 + 2.5 * n as f64,
                    }),
                }
            } else if c.district.is_none() && i % 10 == 0 {
                Some(FibreHealth::Healthy { rtt_ms: 6.0 })
            } else {
                None
            };
        sites.push(DemoSite {
            id: format!("demo-{}", c.code),
            commune: c.code.clone(),
            lat: p.y(),
            lon: p.x(),
            kind,
            modems,
            fibre,
        });
    }
    sites
}

/// Simulated readings of one site for simulated hour `h` (starting at `t0`).
fn hour_of_readings(
    site: &DemoSite,
    modems: &mut [(String, SimModem)],
    rng: &mut ChaCha8Rng,
    t0: DateTime<Utc>,
    h: u32,
    hours: u32,
) -> Vec<Measurement> {
    let mut out = Vec::new();
    if site.kind == Kind::Thin && h + 8 < hours {
        return out; // installed late: only the last 8 hours
    }
    let start = t0 + Span::hours(i64::from(h));
    for slot in 0..12 {
        let ts = start + Span::minutes(5 * slot) + Span::seconds(rng.random_range(0..30));
        for (name, modem) in modems.iter_mut() {
            let s = modem.sample_at(ts);
            let Some(operator) = s.operator else { continue };
            out.push(Measurement {
                ts,
                body: Body::Signal(Signal {
                    modem: name.clone(),
                    operator,
                    serving: s.serving,
                    placement: Placement::Indoor,
                    antenna: Antenna::External,
                    radio: s.radio,
                }),
            });
        }
    }
    if let Some(health) = site.fibre {
        for slot in 0..6 {
            let ts = start + Span::minutes(10 * slot) + Span::seconds(rng.random_range(0..20));
            let (base, down) = match health {
                FibreHealth::Healthy { rtt_ms } => (rtt_ms, false),
                FibreHealth::Outage { rtt_ms, from, to } => (rtt_ms, (from..to).contains(&h)),
            };
            let rtts: Vec<Option<f64>> = (0..10)
                .map(|_| {
                    (!down).then(|| {
                        let spike = if rng.random_bool(0.05) {
                            rng.random_range(5.0..30.0)
                        } else {
                            0.0
                        };
                        ((base + rng.random_range(0.0..1.5) + spike) * 1000.0).round() / 1000.0
                    })
                })
                .collect();
            let stats = round_stats(&rtts, 0);
            out.push(Measurement {
                ts,
                body: Body::Latency(Latency {
                    target: DEMO_FIBRE_TARGET.to_owned(),
                    method: Method::Icmp,
                    link: Link::Fibre,
                    interface: Some("eth0".to_owned()),
                    sent: stats.sent,
                    received: stats.received,
                    dup: stats.dup,
                    rtt_ms: stats.rtt,
                    jitter_ms: stats.jitter_ms,
                    rtts_ms: rtts,
                    refused: None,
                    error: down.then(|| "no reply (fibre cut)".to_owned()),
                }),
            });
        }
    }
    out
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_owned(),
        source,
    }
}

fn free_port() -> Result<u16, DemoError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| DemoError::Broker(format!("no free loopback port: {e}")))
}

/// Starts rumqttd with an MQTT 5 listener on `port`, on its own thread.
fn start_broker(port: u16) -> Result<(), DemoError> {
    use rumqttd::{
        Broker, Config as BrokerConfig, ConnectionSettings, RouterConfig, ServerSettings,
    };
    let conn = ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: coverage_shared::wire::MAX_PAYLOAD_BYTES + 1024,
        // The collector's receive maximum: enough in flight to keep its batches full.
        max_inflight_count: 1000,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let listen = format!("127.0.0.1:{port}")
        .parse()
        .map_err(|e| DemoError::Broker(format!("{e}")))?;
    let server = ServerSettings {
        name: "v5-demo".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: conn,
    };
    let config = BrokerConfig {
        id: 0,
        router: RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 200,
            max_segment_size: 100 << 20,
            max_segment_count: 10,
            ..Default::default()
        },
        v5: Some(HashMap::from([("1".to_owned(), server)])),
        ..Default::default()
    };
    std::thread::Builder::new()
        .name("rumqttd".into())
        .spawn(move || {
            let mut broker = Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "Embedded broker stopped.");
            }
        })
        .map_err(|e| DemoError::Broker(e.to_string()))?;
    // Ready when it accepts connections.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(DemoError::Broker(format!(
                "not listening on 127.0.0.1:{port} after 10 s"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn mqtt_config(url: &str, client_id: &str) -> MqttConfig {
    MqttConfig {
        url: url.to_owned(),
        username: None,
        password: None,
        password_file: None,
        ca_file: None,
        client_id: Some(client_id.to_owned()),
        keep_alive: Duration::from_secs(30),
    }
}

/// The demo's progress bar over the simulated hours, on standard error when it is a terminal
/// (hidden otherwise: logs and pipes get the plain progress lines instead).
fn demo_progress(hours: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(hours),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} simulated hours, {elapsed} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn total_accepted(m: &Metrics) -> u64 {
    ["signal", "latency", "throughput", "heartbeat"]
        .iter()
        .map(|k| m.accepted_of(k))
        .sum()
}

/// Runs the demo and writes its reports; prints progress on stderr.
pub async fn run_demo(args: &DemoArgs) -> Result<DemoOutcome, DemoError> {
    let began = Instant::now();
    if args.days == 0 {
        return Err(DemoError::Options("--days must be at least 1".into()));
    }
    let hours = args.days * 24;
    let to = args.from + Span::hours(i64::from(hours));
    let listen = args
        .listen
        .or_else(|| args.serve.then(|| ([127, 0, 0, 1], 9108).into()));
    let out = &args.out;
    let agents_dir = out.join("agents");
    let archive = out.join("archive.lp");
    // A fresh run: old agents' spools and the old archive would mix in.
    for p in [&agents_dir] {
        if p.exists() {
            std::fs::remove_dir_all(p).map_err(io(p))?;
        }
    }
    let rollups_file = crate::coordinator::store::rollups_path(&archive);
    for f in [&archive, &rollups_file] {
        if f.exists() {
            std::fs::remove_file(f).map_err(io(f))?;
        }
    }
    std::fs::create_dir_all(&agents_dir).map_err(io(&agents_dir))?;
    let out = std::fs::canonicalize(out).map_err(io(out))?;
    let archive = out.join("archive.lp");
    // Empty until the first write: the coordinator reads it from the start.
    std::fs::File::create(&archive).map_err(io(&archive))?;

    let registry = Arc::new(BoundaryRegistry::embedded()?);
    let set = registry.in_force_at(args.from).ok_or_else(|| {
        DemoError::Options(format!("no boundary set is in force at {}", args.from))
    })?;
    let set_name = set.name().to_owned();
    let mut sites = plan(set);
    if let Some(n) = args.max_sites {
        sites.truncate(n);
    }
    eprintln!(
        "demo: {} simulated sites in {} of {} communes of {set_name}; period {} to {} ({hours} h) played in {:?}",
        sites.len(),
        sites
            .iter()
            .map(|s| &s.commune)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        set.communes().len(),
        args.from.to_rfc3339(),
        to.to_rfc3339(),
        args.duration,
    );

    // Broker.
    let broker_url = match &args.broker_url {
        Some(url) => url.clone(),
        None => {
            let port = free_port()?;
            start_broker(port)?;
            eprintln!("demo: embedded MQTT 5 broker on 127.0.0.1:{port}");
            format!("mqtt://127.0.0.1:{port}")
        }
    };

    // Collector.
    let mut audit_cfg = AuditConfig::default();
    audit_cfg.fibre.target = Some(DEMO_FIBRE_TARGET.to_owned());
    let registry_sites: Vec<SiteEntry> = sites
        .iter()
        .map(|s| SiteEntry {
            id: s.id.clone(),
            lat: s.lat,
            lon: s.lon,
            commune: Some(CommuneRef {
                set: set_name.clone(),
                code: s.commune.clone(),
            }),
            // One SIM per modem: the site counts for each operator even when it sends nothing.
            operators: s
                .modems
                .iter()
                .map(|(_, p)| format!("{}-{}", p.home.mcc, p.home.mnc))
                .collect(),
            contracted_down_mbps: None,
            contracted_up_mbps: None,
            retired: None,
        })
        .collect();
    // The registry in its own file, as a deployment keeps it (its SHA-256 is in the report).
    let registry_file = out.join("sites.toml");
    let registry_text = toml::to_string(&RegistryFile {
        sites: &registry_sites,
    })
    .map_err(|e| DemoError::Setup(format!("cannot write the site registry: {e}")))?;
    std::fs::write(&registry_file, registry_text).map_err(|e| DemoError::Io {
        path: registry_file.clone(),
        source: e,
    })?;
    let site_registry = SiteRegistry::load(&registry_file)
        .map_err(|e| DemoError::Setup(format!("the demo's own registry: {e}")))?;
    let audit_cfg = audit_cfg.with_registry(&site_registry);
    let store = match &args.influx_url {
        Some(url) => Store::Influx {
            cfg: InfluxConfig {
                url: url.clone(),
                api: InfluxApi::V1,
                database: "coverage".into(),
                org: None,
                bucket: None,
                token: None,
                token_file: None,
                username: None,
                raw_retention: None,
            },
            secret: None,
        },
        None => Store::Archive(archive.clone()),
    };
    let collector_cfg = Config {
        file: out.join("(demo: built-in collector config)"),
        base: out.clone(),
        mqtt: mqtt_config(&broker_url, "demo-collector"),
        filter: READINGS_FILTER.to_owned(),
        ingest: IngestConfig::default(),
        store: store.clone(),
        // rumqttd sends a subscriber at most 100 unacknowledged messages: write (and so
        // acknowledge) as soon as a window has arrived.
        sink: SinkConfig {
            linger: Duration::from_millis(5),
            ..SinkConfig::default()
        },
        dead_letter: DeadLetterConfig {
            path: out.join("dead-letter.jsonl"),
            ..DeadLetterConfig::default()
        },
        // As deployed: each reading on disk before its PUBACK.
        wal: Some(crate::wal::WalConfig {
            dir: out.join("wal"),
            max_bytes: 256 << 20,
            segment_bytes: 8 << 20,
            batch_lines: 2000,
        }),
        http: HttpConfig {
            listen: listen.unwrap_or_else(|| ([127, 0, 0, 1], 0).into()),
            token_file: None,
        },
        http_token: None,
        api: crate::api::ApiConfig::default(),
        boundaries_dir: None,
        registry: site_registry,
        registry_reload_every: std::time::Duration::from_secs(5),
        unregistered: crate::config::Unregistered::Accept,
        provisioning: None,
        audit: audit_cfg.clone(),
        // The coordinator on the simulated clock: rollups and site status as in a deployment,
        // polled often enough for an hour that lasts about a second.
        coordinator: crate::coordinator::CoordinatorConfig {
            enabled: true,
            instance: Some("demo-collector".into()),
            settle: Duration::from_secs(600),
            poll_every: Duration::from_millis(200),
            status_every: Duration::from_secs(1),
            ..crate::coordinator::CoordinatorConfig::default()
        },
        rollups: crate::coordinator::RollupsConfig::default(),
        verdict_period_days: 30,
    };
    let tick = args.duration.mul_f64(0.8) / hours.max(1);
    let clock = Arc::new(SimClock {
        from: args.from,
        // Past the last hour's `settle` (so it is computed), and close enough to the last
        // heartbeat that the live map shows the sites alive, as they were when the period ended.
        end: to + Span::minutes(11),
        tick,
        started: std::sync::OnceLock::new(),
    });
    let metrics = Arc::new(Metrics::new());
    let stop_collector = CancellationToken::new();
    let collector = tokio::spawn(crate::run::run_with_clock(
        collector_cfg,
        metrics.clone(),
        clock.clone(),
        stop_collector.clone().cancelled_owned(),
    ));
    // The collector's subscription must exist before agents publish: wait for its session.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !metrics.health().0 {
        if collector.is_finished() || Instant::now() > deadline {
            stop_collector.cancel();
            return match collector.await {
                Ok(Err(e)) => Err(e.into()),
                _ => Err(DemoError::Timeout(
                    "the collector did not connect to the broker".into(),
                )),
            };
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Agents.
    let stop_agents = CancellationToken::new();
    let mut spool_stats: Vec<SpoolStats> = Vec::new();
    let mut publishers = Vec::new();
    let mut generators = Vec::new();
    let t_start = tokio::time::Instant::now();
    let _ = clock.started.set(t_start);
    let readings = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let site_count = sites.len().max(1) as u64;
    let progress = demo_progress(u64::from(hours));
    let site_hours = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let drawer = {
        let (progress, site_hours) = (progress.clone(), site_hours.clone());
        tokio::spawn(async move {
            loop {
                let done = site_hours.load(std::sync::atomic::Ordering::Relaxed) / site_count;
                progress.set_position(done);
                if done >= u64::from(hours) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    for (n, site) in sites.into_iter().enumerate() {
        let dir = agents_dir.join(&site.id);
        let agent_err = |e: String| DemoError::Agent {
            site: site.id.clone(),
            error: e,
        };
        let state = AgentState::open(&dir).map_err(|e| agent_err(e.to_string()))?;
        let run_id = state.run().to_owned();
        let spool = SharedSpool::open(dir.join("spool"), SpoolConfig::default())
            .await
            .map_err(|e| agent_err(e.to_string()))?;
        spool_stats.push(spool.stats());
        let wake = Arc::new(Notify::new());
        let site_cfg = coverage_agent::config::SiteConfig {
            id: site.id.clone(),
            lat: site.lat,
            lon: site.lon,
            acc_m: None,
            placement: Placement::Indoor,
            antenna: Antenna::External,
            commune: Some(CommuneRef {
                set: set_name.clone(),
                code: site.commune.clone(),
            }),
        };
        let mut recorder = Recorder::new(
            state,
            spool.clone(),
            site_cfg,
            ClockWatch::fixed(Some(true)),
            wake.clone(),
        );
        let opts = mqtt_config(&broker_url, &format!("agent-{}", site.id))
            .options("agent", &out)
            .map_err(|e| agent_err(e.to_string()))?;
        let publisher = Publisher {
            spool,
            wake,
            site: site.id.clone(),
            run: run_id,
            stats: Arc::new(PublishStats::default()),
            broker: None,
        };
        publishers.push(tokio::spawn(publisher.run(opts, stop_agents.clone())));
        let seed = args.seed.wrapping_mul(1_000_003).wrapping_add(n as u64);
        let from = args.from;
        let readings = readings.clone();
        let site_hours = site_hours.clone();
        generators.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut modems: Vec<(String, SimModem)> = site
                .modems
                .iter()
                .enumerate()
                .map(|(k, (name, p))| {
                    (
                        name.clone(),
                        SimModem::new(name.clone(), seed * 10 + k as u64, p.clone()),
                    )
                })
                .collect();
            for h in 0..hours {
                tokio::time::sleep_until(t_start + tick * h).await;
                let mut batch = hour_of_readings(&site, &mut modems, &mut rng, from, h, hours);
                if !(site.kind == Kind::Thin && h + 8 < hours) {
                    batch.push(Measurement {
                        ts: from + Span::hours(i64::from(h)) + Span::minutes(59),
                        body: Body::Heartbeat(Heartbeat {
                            uptime_s: u64::from(h) * 3600,
                            // One heartbeat per simulated hour.
                            interval_s: Some(3600),
                            spool_depth: 0,
                            spool_dropped: 0,
                            clock_sync_age_s: Some(64.0),
                            modems: modems.iter().map(|(_, m)| m.info()).collect(),
                            seq_ranges: Vec::new(),
                        }),
                    });
                }
                let mut records = Vec::with_capacity(batch.len());
                for m in batch {
                    match recorder.record(m) {
                        Ok(r) => records.push(r),
                        Err(e) => {
                            tracing::error!(site = %site.id, error = %e, "Cannot number a reading.")
                        }
                    }
                }
                readings.fetch_add(records.len() as u64, std::sync::atomic::Ordering::Relaxed);
                if !records.is_empty() {
                    recorder.append(records).await;
                }
                site_hours.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for g in generators {
        let _ = g.await;
    }
    let _ = drawer.await;
    let total = readings.load(std::sync::atomic::Ordering::Relaxed);
    if progress.is_hidden() {
        eprintln!(
            "demo: simulated {hours} h: {total} readings recorded in the agents' spools; waiting for delivery"
        );
    }
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );

    // Wait until every spool is drained and the collector has written everything.
    let deadline = Instant::now() + args.duration.max(Duration::from_secs(60)) * 2;
    loop {
        let depth: u64 = spool_stats.iter().map(SpoolStats::depth).sum();
        let accepted = total_accepted(&metrics);
        let written = metrics.points_written.get();
        progress.set_message(format!(
            "delivering: {accepted} of {total} readings accepted by the collector"
        ));
        if depth == 0
            && accepted >= total
            && written + metrics.points_dead_lettered.get() >= accepted
        {
            break;
        }
        tracing::debug!(
            depth,
            accepted,
            written,
            pending = metrics.pending_points.get(),
            mqtt = metrics.health().0,
            "Waiting for delivery."
        );
        if Instant::now() > deadline {
            stop_agents.cancel();
            stop_collector.cancel();
            return Err(DemoError::Timeout(format!(
                "readings not delivered in time: {depth} still spooled, {accepted} of {total} accepted, {written} written"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The coordinator computes each window once it has closed on the simulated clock: wait
    // for the last hour of the period.
    let rollups_deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let until = metrics.rollup_closed_until.get();
        progress.set_message("coordinator: computing the last rollups".to_owned());
        if until >= to.timestamp() {
            break;
        }
        if Instant::now() > rollups_deadline {
            stop_agents.cancel();
            stop_collector.cancel();
            return Err(DemoError::Timeout(format!(
                "the coordinator did not compute the period's rollups in time (computed until {})",
                DateTime::from_timestamp(until, 0).map_or("nothing".into(), |t| t.to_rfc3339())
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rollup_windows = metrics.rollup_windows_total();
    let serving = if args.serve {
        let url = format!(
            "http://{}/",
            listen.unwrap_or_else(|| ([127, 0, 0, 1], 9108).into())
        );
        Some(Serving {
            url,
            stop: stop_collector.clone(),
            task: collector,
            agents: stop_agents.clone(),
        })
    } else {
        stop_agents.cancel();
        for p in publishers {
            let _ = p.await;
        }
        stop_collector.cancel();
        collector
            .await
            .map_err(|e| DemoError::Timeout(format!("collector task: {e}")))??;
        None
    };
    let points_written = metrics.points_written.get();
    let rejected = metrics.rejected_total();
    progress.finish_and_clear();
    eprintln!("demo: collector wrote {points_written} points; auditing");

    // Audit.
    let mut audit_args = AuditArgs {
        set: Some(set_name.clone()),
        from: Some(args.from.into()),
        to: Some(to.into()),
        month: None,
        format: Format::Json,
        claims: vec![
            "mobile:communes:100".into(),
            "mobile:communes:80".into(),
            "mobile:communes:75".into(),
        ],
        archives: Vec::new(),
        out: None,
        lang: audit::default_lang(),
    };
    if set.has_districts() {
        audit_args.claims.push("fibre:districts:100".into());
    } else {
        audit_args.claims.push("fibre:communes:100".into());
    }
    let influx = store.query_endpoint();
    if let Store::Archive(path) = store {
        audit_args.archives.push(path);
    }
    let report = audit::run_audit(&audit_args, influx.as_ref(), &audit_cfg, &registry).await?;
    let mut reports = Vec::new();
    for (format, name) in [
        (Format::Json, "report.json"),
        (Format::Md, "report.md"),
        (Format::Csv, "report.csv"),
    ] {
        let path = out.join(name);
        std::fs::write(&path, audit::render(&report, format, set, audit_args.lang))
            .map_err(io(&path))?;
        reports.push(path);
    }
    Ok(DemoOutcome {
        report,
        reports,
        rollups: influx
            .is_none()
            .then(|| crate::coordinator::store::rollups_path(&archive)),
        archive: influx.is_none().then_some(archive),
        readings: total,
        points_written,
        rejected,
        elapsed: began.elapsed(),
        rollup_windows,
        serving,
    })
}

//! `coverage-gen`: the generator's command line (see the library for what each output means).
//!
//! Progress and figures go to standard error as `key=value` pairs, so scripts (the benchmarks)
//! can read them; readings or line protocol go to standard output or the named file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use coverage_gen::scenario::{LatencySpec, Period, RegMix, SimSpec, ThroughputSpec};
use coverage_gen::spread::{SiteTemplate, over_communes};
use coverage_gen::{InfluxTarget, MqttTarget, Placer, Scenario, generate};
use coverage_shared::wire::{Link, Method, Tech};

#[derive(Parser)]
#[command(
    version,
    about = "Seeded scenario and load generator for the coverage monitor."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Input {
    /// Scenario file (TOML).
    #[arg(long)]
    scenario: PathBuf,
    /// Seed; default the scenario's `seed`.
    #[arg(long)]
    seed: Option<u64>,
}

impl Input {
    fn load(&self) -> Result<(Scenario, u64)> {
        let s = Scenario::load(&self.scenario)?;
        let seed = self.seed.unwrap_or(s.seed);
        Ok((s, seed))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Line protocol as the collector writes it, to a file or standard output.
    Lines {
        #[command(flatten)]
        input: Input,
        /// Output file; standard output when absent or `-`.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Line protocol POSTed to an InfluxDB 1.x `/write?precision=ms` in batches.
    Influx {
        #[command(flatten)]
        input: Input,
        /// Base URL, e.g. http://127.0.0.1:8086.
        #[arg(long)]
        url: String,
        /// Database.
        #[arg(long, default_value = coverage_shared::schema::DEFAULT_DATABASE)]
        db: String,
        /// Retention policy (default: the database's).
        #[arg(long)]
        rp: Option<String>,
        /// Lines per POST.
        #[arg(long, default_value_t = 5000)]
        batch_lines: usize,
        /// `CREATE DATABASE` first.
        #[arg(long)]
        create_db: bool,
    },
    /// Wire-format readings published at QoS 1 as the sites' agents would (one shared client).
    Mqtt {
        #[command(flatten)]
        input: Input,
        /// Broker host.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Broker port.
        #[arg(long, default_value_t = 1883)]
        port: u16,
        /// User name.
        #[arg(long, requires = "password")]
        username: Option<String>,
        /// Password.
        #[arg(long, requires = "username")]
        password: Option<String>,
        /// Client id.
        #[arg(long, default_value = "coverage-gen")]
        client_id: String,
        /// Readings per second, paced evenly (default: as fast as the broker acknowledges).
        #[arg(long)]
        rate: Option<f64>,
        /// Stamp each reading with its publish time, as a live agent would.
        #[arg(long)]
        live: bool,
        /// Publish only every K-th reading from the I-th (`I/K`, 0-based), so K processes
        /// publish one scenario between them.
        #[arg(long, value_parser = parse_shard, default_value = "0/1")]
        shard: (usize, usize),
    },
    /// The number of readings a scenario gives.
    Count {
        #[command(flatten)]
        input: Input,
    },
    /// Writes a scenario with sites spread over the communes of a boundary set.
    Spread {
        /// Boundary set.
        #[arg(long, default_value = "bac-kan-2020")]
        set: String,
        /// Number of sites.
        #[arg(long)]
        sites: usize,
        /// Period start, RFC 3339.
        #[arg(long)]
        from: DateTime<Utc>,
        /// Period end, RFC 3339 (exclusive).
        #[arg(long)]
        to: DateTime<Utc>,
        /// Local time offset for measured hours.
        #[arg(long, default_value_t = 7)]
        utc_offset_hours: i32,
        /// Operators, one SIM each (MCC-MNC).
        #[arg(long, value_delimiter = ',', default_value = "452-04,452-02")]
        operators: Vec<String>,
        /// Signal samples per hour per SIM.
        #[arg(long, default_value_t = 60)]
        samples_per_hour: u32,
        /// Usable share of the registered samples with a value.
        #[arg(long, default_value_t = 0.97)]
        usable_share: f64,
        /// Share of samples searching for a network (the rest registered at home).
        #[arg(long, default_value_t = 0.01)]
        searching_share: f64,
        /// Fibre probe target.
        #[arg(long, default_value = "10.6.0.1")]
        fibre_target: String,
        /// Fibre rounds per hour (0: no fibre probe).
        #[arg(long, default_value_t = 4)]
        fibre_rounds_per_hour: u32,
        /// Throughput tests per direction over the period (0: none).
        #[arg(long, default_value_t = 0)]
        throughput_samples: u32,
        /// Seed written into the scenario.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `I/K` with `I < K`.
fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, k) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected I/K, e.g. 0/4"))?;
    let i: usize = i.parse().map_err(|_| format!("{s:?}: I is not a number"))?;
    let k: usize = k.parse().map_err(|_| format!("{s:?}: K is not a number"))?;
    if k == 0 || i >= k {
        return Err(format!("{s:?}: needs 0 <= I < K"));
    }
    Ok((i, k))
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let started = Instant::now();
    match Cli::parse().command {
        Command::Lines { input, out } => {
            let (s, seed) = input.load()?;
            let mut placer = Placer::embedded()?;
            let n = match out.filter(|p| p.as_os_str() != "-") {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    coverage_gen::to_line_protocol(generate(&s, seed), &mut placer, file)?
                }
                None => coverage_gen::to_line_protocol(
                    generate(&s, seed),
                    &mut placer,
                    std::io::stdout().lock(),
                )?,
            };
            report(&[("lines", n.to_string())], started);
        }
        Command::Influx {
            input,
            url,
            db,
            rp,
            batch_lines,
            create_db,
        } => {
            let (s, seed) = input.load()?;
            if create_db {
                coverage_gen::create_database(&url, &db)?;
            }
            let mut placer = Placer::embedded()?;
            let target = InfluxTarget {
                url,
                database: db,
                retention_policy: rp,
                batch_lines,
            };
            let stats = coverage_gen::write_influx(generate(&s, seed), &mut placer, &target)?;
            report(
                &[
                    ("points", stats.points.to_string()),
                    ("batches", stats.batches.to_string()),
                    ("bytes", stats.bytes.to_string()),
                ],
                started,
            );
        }
        Command::Mqtt {
            input,
            host,
            port,
            username,
            password,
            client_id,
            rate,
            live,
            shard: (shard, shards),
        } => {
            let (s, seed) = input.load()?;
            let mut target = MqttTarget::new(&host, port);
            target.client_id = client_id;
            target.credentials = username.zip(password);
            target.rate = rate;
            target.live = live;
            let readings = generate(&s, seed)
                .enumerate()
                .filter(move |(i, _)| i % shards == shard)
                .map(|(_, r)| r);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let stats = rt.block_on(coverage_gen::publish_mqtt(readings, &target))?;
            report(&[("published", stats.published.to_string())], started);
        }
        Command::Count { input } => {
            let (s, seed) = input.load()?;
            println!("{}", generate(&s, seed).count_remaining());
        }
        Command::Spread {
            set,
            sites,
            from,
            to,
            utc_offset_hours,
            operators,
            samples_per_hour,
            usable_share,
            searching_share,
            fibre_target,
            fibre_rounds_per_hour,
            throughput_samples,
            seed,
            out,
        } => {
            let registry = coverage_shared::boundary::BoundaryRegistry::embedded()?;
            let set = registry.get(&set)?;
            let template = SiteTemplate {
                sims: operators
                    .iter()
                    .enumerate()
                    .map(|(i, op)| SimSpec {
                        operator: op.clone(),
                        modem: Some(format!("wwan{i}")),
                        tech: Tech::Lte,
                        samples_per_hour,
                        hours: Vec::new(),
                        usable_share,
                        threshold_dbm: None,
                        reg: RegMix {
                            home: 1.0 - searching_share,
                            searching: searching_share,
                            ..RegMix::default()
                        },
                        unsynced_share: 0.0,
                        null_share: 0.0,
                    })
                    .collect(),
                fibre: (fibre_rounds_per_hour > 0)
                    .then(|| LatencySpec {
                        target: fibre_target.clone(),
                        link: Link::Fibre,
                        method: Method::Icmp,
                        interface: Some("eth0".into()),
                        rounds_per_hour: fibre_rounds_per_hour,
                        probes: 10,
                        rtt_ms: 8.0,
                        rtt_stddev_ms: 1.5,
                        loss: 0.005,
                        outages: Vec::new(),
                    })
                    .into_iter()
                    .collect(),
                throughput: (throughput_samples > 0)
                    .then(|| ThroughputSpec {
                        target: "speed.example.invalid".into(),
                        link: Link::Fibre,
                        interface: Some("eth0".into()),
                        down_mbps: 90.0,
                        up_mbps: 40.0,
                        samples: throughput_samples,
                    })
                    .into_iter()
                    .collect(),
            };
            let period = Period {
                from,
                to,
                utc_offset_hours,
            };
            let scenario = over_communes(set, sites, period, seed, &template);
            scenario
                .validate()
                .map_err(|(key, problem)| anyhow::anyhow!("{key} {problem}"))?;
            let text = scenario.to_toml()?;
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            report(&[("sites", scenario.sites.len().to_string())], started);
        }
    }
    Ok(())
}

/// `key=value ... seconds=S` on standard error.
fn report(pairs: &[(&str, String)], started: Instant) {
    let mut line: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    line.push(format!("seconds={:.3}", started.elapsed().as_secs_f64()));
    eprintln!("{}", line.join(" "));
}

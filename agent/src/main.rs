//! `coverage-agent`: the command line over the agent library.
//!
//! Subcommands: `run` (the daemon), `measure --once` (one round of readings as JSON lines,
//! nothing published), `decode` (what a captured modem reply says), `check` (the technician's
//! one-screen test of a site), `init` (writes a commented config).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use coverage_agent::config::AgentConfig;
use coverage_agent::measure::Measurement;
use coverage_agent::modem::{self, DecodeFormat};
use coverage_agent::{check, init, probe, run};
use coverage_net::logging::init_tracing;
use coverage_net::shutdown::shutdown_signal;
use coverage_shared::wire::{Body, Reading, Signal};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Measures mobile signal and fibre latency at a commune site and publishes readings over MQTT.
#[derive(Debug, Parser)]
#[command(name = "coverage-agent", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the agent: measure on schedule, spool on disk, publish over MQTT 5.
    Run {
        /// The agent's TOML config.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Measure one round (every modem once, every probe once) and print the readings as JSON
    /// lines; nothing is spooled or published.
    Measure {
        /// The agent's TOML config.
        #[arg(long, short)]
        config: PathBuf,
        /// One round, then exit (the only mode; kept explicit for scripts).
        #[arg(long, default_value_t = true)]
        once: bool,
    },
    /// Decode one captured modem reply (AT commands or `mmcli -J`) from standard input and
    /// print the signal fields it determines as one JSON object.
    Decode {
        /// Input format; detected when not given.
        #[arg(long, value_enum)]
        format: Option<DecodeFormat>,
    },
    /// Test a site: config, state directory, modems, signal, probes, broker, clock and
    /// commune, one line each with the fix; exit code 0 only when nothing failed.
    Check(check::CheckArgs),
    /// Write a fully commented config from flags, asking on the terminal for what is missing.
    Init(Box<init::InitArgs>),
    /// Validate a config file and print what it resolves to.
    CheckConfig {
        /// The agent's TOML config.
        #[arg(long, short)]
        config: PathBuf,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// One round of readings, with headers from a throw-away run (`measure-once`, seq from 1), so
/// the state directory is not touched.
async fn measure_once(cfg: &AgentConfig) -> Result<Vec<Reading>> {
    let mut measurements = Vec::new();
    for m in &cfg.modems {
        let mut modem = modem::open(m)
            .await
            .with_context(|| format!("modem {}", m.name()))?;
        let ts = chrono::Utc::now();
        match modem.sample().await {
            Ok(s) => match s.operator {
                Some(operator) => measurements.push(Measurement {
                    ts,
                    body: Body::Signal(Signal {
                        modem: m.name().to_owned(),
                        operator,
                        serving: s.serving,
                        placement: cfg.site.placement,
                        antenna: cfg.site.antenna,
                        radio: s.radio,
                    }),
                }),
                None => eprintln!(
                    "modem {}: no SIM operator known; no signal reading",
                    m.name()
                ),
            },
            Err(e) => eprintln!("modem {}: {e}", m.name()),
        }
    }
    let rounds = futures::future::join_all(cfg.probes.iter().map(|p| async move {
        let ts = chrono::Utc::now();
        Measurement {
            ts,
            body: Body::Latency(probe::run_round(p).await),
        }
    }))
    .await;
    measurements.extend(rounds);
    let dir = tempfile_dir()?;
    let state = coverage_agent::state::AgentState::open(&dir)?;
    let spool =
        coverage_agent::spool::SharedSpool::open(dir.join("spool"), cfg.spool.clone()).await?;
    let mut recorder = run::Recorder::new(
        state,
        spool,
        cfg.site.clone(),
        coverage_agent::clock::ClockWatch::new(),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    );
    let mut out = Vec::new();
    for m in measurements {
        let mut header = recorder.header(m.ts)?;
        header.run = "measure-once".into();
        out.push(Reading {
            header,
            body: m.body,
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("coverage-agent-measure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `check` and `init` speak for themselves on their one screen.
    init_tracing(match cli.command {
        Command::Check(_) | Command::Init(_) => "error",
        _ => "info",
    });
    let result: Result<ExitCode> = (|| match cli.command {
        Command::Run { config } => {
            let cfg = AgentConfig::load(&config)?;
            runtime()?.block_on(run::run(cfg, shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Measure { config, once: _ } => {
            let cfg = AgentConfig::load(&config)?;
            let readings = runtime()?.block_on(measure_once(&cfg))?;
            for r in readings {
                println!("{}", r.to_json());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Decode { format } => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading standard input")?;
            let decoded = modem::decode(&input, format)?;
            println!("{}", serde_json::to_string(&decoded)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let rt = runtime()?;
            let report = rt.block_on(check::run(&args));
            // A check that timed out may leave a blocking task (a hung disk) behind: do not
            // wait for it, `check` must always finish.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            if args.json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.render_text());
            }
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Init(args) => {
            print!("{}", init::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig { config } => {
            let cfg = AgentConfig::load(&config)?;
            println!("{cfg:#?}");
            Ok(ExitCode::SUCCESS)
        }
    })();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("coverage-agent: {e:#}");
            ExitCode::from(2)
        }
    }
}

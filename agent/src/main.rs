//! `coverage-agent`: the command line over the agent library.
//!
//! Subcommands: `run` (the daemon), `measure --once` (one round of readings as JSON lines,
//! nothing published), `decode` (what a captured modem reply says), `check` (the technician's
//! one-screen test of a site), `init` (writes a commented config), `check-config` (what a
//! config resolves to). `check`, `init`, `decode` and `check-config` speak Vietnamese or
//! English (`--lang`, default from `LANG`).
//!
//! Output goes through [`emit`]: a reader that goes away (`coverage-agent check | head -3`)
//! ends the command quietly instead of a panic on the closed pipe.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use coverage_agent::config::AgentConfig;
use coverage_agent::lang::LangArg;
use coverage_agent::measure::Measurement;
use coverage_agent::modem::{self, DecodeFormat};
use coverage_agent::{check, explain, init, probe, run, summary};
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
    /// Decode one captured modem reply (AT commands or `mmcli -J`) from standard input: a
    /// summary (technology, operator, each value with its quality band, whether it counts for
    /// coverage and why, commands the modem refused), or with --json the raw reading.
    Decode {
        /// Input format; detected when not given.
        #[arg(long, value_enum)]
        format: Option<DecodeFormat>,
        /// Print the signal fields as one JSON object (wire-format names) instead.
        #[arg(long)]
        json: bool,
        /// The language of the summary.
        #[command(flatten)]
        lang: LangArg,
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
        /// The language of the summary.
        #[command(flatten)]
        lang: LangArg,
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

/// Writes `text` to standard output; a closed pipe (the reader quit, `| head`) is not an error.
fn emit(text: &str) -> Result<()> {
    coverage_net::stdout::emit(text).context("writing to standard output")
}

/// One line per probe round whose answers were refusals, for the person watching `measure`
/// (the readings on standard output carry the count as `refused`).
fn refusal_notes(readings: &[Reading]) {
    for r in readings {
        if let Body::Latency(l) = &r.body
            && l.refused.is_some_and(|n| n > 0)
        {
            eprintln!(
                "{} {}: {}",
                l.method.as_str(),
                l.target,
                check::round_counts(l, coverage_shared::text::Lang::En)
            );
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `check`, `init` and `decode` speak for themselves on their one screen.
    init_tracing(match cli.command {
        Command::Check(_) | Command::Init(_) | Command::Decode { .. } => "error",
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
            refusal_notes(&readings);
            let mut out = String::new();
            for r in readings {
                out.push_str(&r.to_json());
                out.push('\n');
            }
            emit(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Decode { format, json, lang } => {
            let lang = lang.resolve();
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading standard input")?;
            match modem::decode(&input, format) {
                Ok(decoded) if json => emit(&format!("{}\n", serde_json::to_string(&decoded)?))?,
                Ok(decoded) => emit(&explain::summary(&decoded, lang))?,
                Err(e) if json => {
                    eprintln!("coverage-agent: {e}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => {
                    eprintln!("{}", explain::error_text(&e, lang));
                    return Ok(ExitCode::from(2));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let rt = runtime()?;
            let report = rt.block_on(check::run(&args));
            // A check that timed out may leave a blocking task (a hung disk) behind: do not
            // wait for it, `check` must always finish.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            if args.json {
                emit(&format!("{}\n", report.to_json()))?;
            } else {
                emit(&report.render_text(args.lang.resolve()))?;
            }
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Init(args) => match init::run(&args) {
            Ok(text) => {
                emit(&text)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("coverage-agent: {}", e.localized(args.lang.resolve()));
                Ok(ExitCode::from(2))
            }
        },
        Command::CheckConfig { config, lang } => {
            let cfg = AgentConfig::load(&config)?;
            emit(&summary::summary(&cfg, lang.resolve()))?;
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

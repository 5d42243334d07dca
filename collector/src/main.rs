//! `coverage-collector`: the command line over the collector library.
//!
//! Subcommands: `run` (the daemon), `locate` (which commune a position is in), `audit`
//! (verdicts and claims from the stored readings), `demo` (the whole system on one machine),
//! `check-config` (what a config resolves to, in English or Vietnamese), `check` (the pre-flight:
//! broker, store, boundary sets, site registry, dead-letter directory; exit 1 when one fails),
//! `site add|list|retire` (provisioning, [`coverage_collector::site`]).
//!
//! Standard output goes through [`emit`], and a closed pipe anywhere in an error's chain ends
//! the command quietly: `coverage-collector ... | head` never panics.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use coverage_collector::config::Config;
use coverage_collector::run;
use coverage_net::logging::init_tracing;
use coverage_net::shutdown::shutdown_signal;
use coverage_shared::text::Lang;
use std::path::PathBuf;
use std::process::ExitCode;

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?} is not a language of this tool: vi or en"))
}

/// `--lang`, else the language of `LANG` (`vi*` is Vietnamese, anything else English).
fn lang_or_locale(lang: Option<Lang>) -> Lang {
    lang.unwrap_or_else(|| Lang::from_locale(std::env::var("LANG").ok().as_deref()))
}

/// Writes `text` to standard output; a closed pipe (the reader quit, `| head`) is not an error.
fn emit(text: &str) -> Result<()> {
    coverage_net::stdout::emit(text).context("writing to standard output")
}

/// Whether an error comes from writing to a reader that went away.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Checks telecom coverage claims from agents' measurements.
#[derive(Debug, Parser)]
#[command(name = "coverage-collector", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the collector daemon: subscribe, validate, place, write.
    Run {
        /// The collector's TOML config.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Print which commune a position falls in, as JSON (exit 1 outside every commune).
    ///
    /// Without LAT and LON, places every position read from standard input (CSV `id,lat,lon`
    /// or `lat,lon`, with or without a header, or JSON lines `{"id":..,"lat":..,"lon":..}`) and
    /// prints one JSON line per position, in input order. A bad line is reported on standard
    /// error with its line number and field and skipped; exit 1 if any line failed.
    Locate {
        /// Boundary set name (`bac-kan-2020`, `thai-nguyen-2025`).
        #[arg(long)]
        set: String,
        /// Latitude, WGS84 degrees.
        #[arg(allow_hyphen_values = true, requires = "lon")]
        lat: Option<f64>,
        /// Longitude, WGS84 degrees.
        #[arg(allow_hyphen_values = true)]
        lon: Option<f64>,
        /// A directory with boundary files instead of the sets built in.
        #[arg(long)]
        boundaries: Option<PathBuf>,
        /// The format of standard input (default: detected from the first line).
        #[arg(long, value_enum, conflicts_with = "lat")]
        input: Option<coverage_collector::locate::InputFormat>,
    },
    /// Audit coverage over a period: verdicts per commune and district, and claims.
    ///
    /// Exit code: 0 when every claim is verified (or none was given), 1 when a claim is
    /// refuted or unproven, 2 on an error.
    Audit {
        /// The collector's TOML config (InfluxDB connection, `[audit]` thresholds, sites).
        /// Optional with `--archive`: the defaults of DESIGN.md are used.
        #[arg(long, short)]
        config: Option<PathBuf>,
        #[command(flatten)]
        args: coverage_audit::AuditArgs,
    },
    /// Run the whole system on this machine with nothing installed: an embedded broker, one
    /// simulated agent per commune, the collector and the audit of a simulated past period.
    #[cfg(feature = "demo")]
    Demo {
        #[command(flatten)]
        args: coverage_collector::demo::DemoArgs,
    },
    /// Validate a config file and print what it resolves to.
    CheckConfig {
        /// The collector's TOML config.
        #[arg(long, short)]
        config: PathBuf,
        /// Language of the summary: `vi` or `en`; default from `LANG` (`vi*` is Vietnamese).
        #[arg(long, value_parser = parse_lang)]
        lang: Option<Lang>,
    },
    /// Check that a config works: the broker (connect, credentials, subscribe, publish resend
    /// requests), InfluxDB (reachable, database, write, query) or the archive's directory, the
    /// boundary sets, the site registry's positions and the dead-letter directory.
    ///
    /// One line per check with its fix. Exit code: 0 when no check failed (warnings allowed),
    /// 1 when one failed, 2 when the config does not load.
    Check {
        /// The collector's TOML config.
        #[arg(long, short)]
        config: PathBuf,
        /// Language of the screen: `vi` or `en`; default from `LANG` (`vi*` is Vietnamese).
        #[arg(long, value_parser = parse_lang)]
        lang: Option<Lang>,
        /// Longest wait for each step (connect, SUBACK, PUBACK, each InfluxDB request).
        #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Provision sites: add one (registry, broker login, the technician's agent.toml), list
    /// them with their status, retire one (an end date; its broker login is removed).
    Site {
        /// The collector's TOML config (`[registry]`, `[provisioning]`).
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
        /// Language: `vi` or `en`; default from `LANG` (`vi*` is Vietnamese).
        #[arg(long, value_parser = parse_lang, global = true)]
        lang: Option<Lang>,
        #[command(subcommand)]
        action: SiteAction,
    },
}

#[derive(Debug, Subcommand)]
enum SiteAction {
    /// Add a site: checks the position against the commune, adds it to the registry, gives it a
    /// strong broker password, reloads the broker and writes `agent.toml`, `mqtt-password` and
    /// the broker's CA into `--out` (default `./ID`).
    Add {
        /// Site id, also its MQTT user name (`bk-01834-a`).
        #[arg(long)]
        id: String,
        /// The commune it is installed for, `SET:CODE` (`bac-kan-2020:01834`); default: the
        /// commune the position lies in, in the set in force today.
        #[arg(long)]
        commune: Option<String>,
        /// Surveyed latitude, WGS84.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Surveyed longitude, WGS84.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// An operator whose SIM the site carries (`452-04` or `Viettel`); repeat for each.
        #[arg(long = "operator")]
        operators: Vec<String>,
        /// Where the technician's files go (must not exist).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Every site of the registry with its status from the running collector.
    List,
    /// Retire a site: sets its end date in the registry (kept for past audits) and removes its
    /// broker login; the broker ends its session at the reload.
    Retire {
        /// Site id.
        #[arg(long)]
        id: String,
        /// The end date, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn locate(
    set: &str,
    position: Option<(f64, f64)>,
    dir: Option<PathBuf>,
    input: Option<coverage_collector::locate::InputFormat>,
) -> Result<ExitCode> {
    let registry = match dir {
        Some(d) => coverage_shared::boundary::BoundaryRegistry::from_dir(&d)
            .with_context(|| format!("loading boundary sets from {}", d.display()))?,
        None => coverage_shared::boundary::BoundaryRegistry::embedded()
            .context("loading the built-in boundary sets")?,
    };
    let set = registry.get(set)?;
    let Some((lat, lon)) = position else {
        let summary = coverage_collector::locate::locate_batch(
            set,
            std::io::stdin().lock(),
            input,
            std::io::BufWriter::new(std::io::stdout().lock()),
            |e| eprintln!("coverage-collector locate: {e}"),
        )?;
        let failed: Vec<String> = summary.failed.iter().map(|e| e.line.to_string()).collect();
        eprintln!(
            "Placed {} positions in {} ({} inside a commune); {} lines failed{}.",
            summary.placed,
            set.name(),
            summary.inside,
            failed.len(),
            if failed.is_empty() {
                String::new()
            } else {
                format!(" (lines {})", failed.join(", "))
            }
        );
        return Ok(if failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    };
    let loc = set.locate(lat, lon);
    emit(&format!("{}\n", serde_json::to_string_pretty(&loc)?))?;
    if loc.is_inside() {
        Ok(ExitCode::SUCCESS)
    } else {
        match loc.nearest {
            Some(n) => eprintln!(
                "({lat}, {lon}) is outside every commune of {}; nearest is {} {} at {:.0} m.",
                set.name(),
                n.code,
                n.name,
                loc.edge_distance_m
            ),
            None => eprintln!("({lat}, {lon}) is not a valid position."),
        }
        Ok(ExitCode::from(1))
    }
}

fn audit(config: Option<PathBuf>, mut args: coverage_audit::AuditArgs) -> Result<ExitCode> {
    use coverage_audit::{self as audit, AuditConfig, ClaimVerdict};
    use coverage_collector::config::Store;
    let (cfg, influx, registry) = match &config {
        Some(path) => {
            let cfg = Config::load(path)?;
            let registry = run::boundaries(&cfg)?;
            let influx = cfg.store.query_endpoint();
            if let Store::Archive(path) = &cfg.store
                && args.archives.is_empty()
            {
                args.archives.push(path.clone());
            }
            (cfg.audit, influx, registry)
        }
        None => (
            AuditConfig::default(),
            None,
            coverage_shared::boundary::BoundaryRegistry::embedded()?,
        ),
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = rt.block_on(audit::run_audit(&args, influx.as_ref(), &cfg, &registry))?;
    audit::write_report(&args, &report, &registry)?;
    let all_verified = report
        .claims
        .iter()
        .all(|c| c.verdict == ClaimVerdict::Verified);
    Ok(if all_verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(feature = "demo")]
fn demo(args: coverage_collector::demo::DemoArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let outcome = rt.block_on(coverage_collector::demo::run_demo(&args))?;
    let mut out = format!(
        "\n{}\nReadings: {} recorded by the simulated agents, {} points written, {} rejected; \
         {:.1} s.\n",
        coverage_audit::render::summary(&outcome.report),
        outcome.readings,
        outcome.points_written,
        outcome.rejected,
        outcome.elapsed.as_secs_f64()
    );
    if let Some(a) = &outcome.archive {
        out.push_str(&format!(
            "Archive (line protocol, replayable into InfluxDB): {}\n",
            a.display()
        ));
    }
    out.push_str(&format!(
        "Rollups: {} hourly and daily windows computed by the coordinator",
        outcome.rollup_windows
    ));
    match &outcome.rollups {
        Some(r) => out.push_str(&format!(" ({})\n", r.display())),
        None => out.push_str(" (InfluxDB, retention policy `rollups`)\n"),
    }
    out.push_str("Full report:\n");
    for p in &outcome.reports {
        out.push_str(&format!("  {}\n", p.display()));
    }
    if let Some(serving) = &outcome.serving {
        out.push_str(&format!(
            "Live map, HTTP API and /metrics: {} (Ctrl-C to stop)\n",
            serving.url
        ));
    }
    emit(&out)?;
    if let Some(serving) = outcome.serving {
        rt.block_on(serving.until(async {
            let _ = tokio::signal::ctrl_c().await;
        }));
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo shows only its own progress and summary; `-v` (or COVERAGE_LOG) shows the
    // daemons' logs, the embedded broker's included (rumqttd logs every client's disconnect
    // at ERROR, so it is off unless asked for).
    #[cfg(feature = "demo")]
    let default_log = match &cli.command {
        Command::Demo { args } if !args.verbose => "warn,rumqttd=off",
        _ => "info",
    };
    #[cfg(not(feature = "demo"))]
    let default_log = "info";
    // `check` says everything in its lines; rumqttc's own warnings (a refused SUBACK) would
    // repeat them.
    let default_log = match &cli.command {
        Command::Check { .. } => "error,rumqttc=off",
        _ => default_log,
    };
    init_tracing(default_log);
    let result = match cli.command {
        Command::Locate {
            set,
            lat,
            lon,
            boundaries,
            input,
        } => locate(&set, lat.zip(lon), boundaries, input),
        Command::Audit { config, args } => audit(config, args),
        #[cfg(feature = "demo")]
        Command::Demo { args } => demo(args),
        Command::CheckConfig { config, lang } => (|| {
            let cfg = Config::load(&config)?;
            let lang = lang_or_locale(lang);
            emit(&coverage_collector::summary::summary(&cfg, lang))?;
            Ok(ExitCode::SUCCESS)
        })(),
        Command::Check {
            config,
            lang,
            timeout,
        } => (|| {
            let cfg = Config::load(&config)?;
            let lang = lang_or_locale(lang);
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let report = rt.block_on(coverage_collector::check::check_config(&cfg, timeout, lang));
            emit(&report.render_text(lang))?;
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        })(),
        Command::Site {
            config,
            lang,
            action,
        } => (|| {
            let config = config.context("--config is required: the collector's TOML config")?;
            let cfg = Config::load(&config)?;
            let lang = lang_or_locale(lang);
            let lines = match action {
                SiteAction::Add {
                    id,
                    commune,
                    lat,
                    lon,
                    operators,
                    out,
                } => {
                    let bounds = run::boundaries(&cfg)?;
                    let add = coverage_collector::site::AddSite {
                        id,
                        commune,
                        lat,
                        lon,
                        operators,
                        out,
                    };
                    coverage_collector::site::add(&cfg, &bounds, &add, lang)
                        .map(|lines| lines.join("\n") + "\n")
                }
                SiteAction::List => {
                    let rt =
                        tokio::runtime::Runtime::new().context("starting the async runtime")?;
                    rt.block_on(coverage_collector::site::list(&cfg, lang))
                }
                SiteAction::Retire { id, at } => coverage_collector::site::retire(
                    &cfg,
                    &id,
                    at.unwrap_or_else(chrono::Utc::now),
                    lang,
                )
                .map(|lines| lines.join("\n") + "\n"),
            }
            .map_err(|e| anyhow::anyhow!(e.localized(lang)))?;
            emit(&lines)?;
            Ok(ExitCode::SUCCESS)
        })(),
        Command::Run { config } => (|| {
            let cfg = Config::load(&config)?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(run::run(cfg, shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        })(),
    };
    match result {
        Ok(code) => code,
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coverage-collector: {e:#}");
            ExitCode::from(2)
        }
    }
}

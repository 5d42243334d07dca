//! `coverage-agent check`: the field technician's one-screen test of a site.
//!
//! Every line is one [`Check`]: `✔` passed, `!` a warning that does not fail the site, `✘`
//! failed, with what was checked, the value found and, when something is wrong, the fix. The
//! exit code is 0 only when no check failed.
//!
//! Two halves, kept apart (as rumqttc keeps its state apart from its event loop):
//!
//! - the model: [`Report`] and [`Check`] with their renderers ([`Report::render_text`],
//!   [`Report::to_json`]), and pure functions that turn what was found into a check
//!   ([`clock_check`], [`signal_checks`], [`probe_check`], [`commune_check`], ...). These are
//!   unit-tested without any I/O;
//! - the I/O ([`check_file`]): loads the config, then runs the state, modem, probe, broker,
//!   clock and commune checks **concurrently and independently** (a dead modem does not skip
//!   the probes), each under a deadline so `check` always finishes.
//!
//! The checks do what the agent does, with the agent's own code: `AgentConfig::load`,
//! `modem::open` + `Modem::sample`, `probe::run_round`, `MqttConfig::options` over rumqttc v5,
//! `ClockWatch::refresh`, `BoundaryRegistry::locate`. The broker check publishes one valid
//! heartbeat on `coverage/v1/{site}/heartbeat` with run `check-<random>` and seq 1: a run of
//! its own, so the collector's gap tracking of the real run is untouched, and a duplicate of it
//! is harmless. It uses its own client id so a running agent's session is not taken over.
//!
//! One file per group of checks: `report` (the model and its renderers), `config`, `state`,
//! `modem` and `signal`, `probe`, `broker`, `clock`, `commune`; this file holds the command's
//! arguments and runs the groups together.

mod broker;
mod clock;
mod commune;
mod config;
mod modem;
mod probe;
mod report;
mod signal;
mod state;

pub use broker::refused_by_broker;
pub use broker::{BrokerContext, BrokerOutcome, broker_check};
pub use clock::clock_check;
pub use commune::place;
pub use commune::{boundary_dirs, commune_check, load_boundaries};
pub use config::{config_failure, no_modem_warning};
pub(crate) use modem::modem_route;
pub use modem::{modem_answering, modem_failure, modem_in_use};
pub(crate) use probe::probe_what;
pub use probe::{probe_check, round_counts};
pub(crate) use report::num;
pub use report::{Check, Report, Status};
pub use signal::{
    SignalContext, band_word, coverage_sentence, operator_text, signal_checks, value_text,
};
pub use state::{agent_running, state_check};

use crate::clock::ClockWatch;
use crate::config::AgentConfig;
use crate::lang::LangArg;
use broker::check_broker;
use chrono::Utc;
use commune::check_commune;
use config::config_pass;
use coverage_shared::signal::{BandTable, UsablePolicy};
use coverage_shared::text::Lang;
use modem::check_modem;
use probe::check_probe;
use state::check_state;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::time::Instant;

/// `coverage-agent check` options.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// The agent's TOML config.
    #[arg(long, short)]
    pub config: PathBuf,
    /// Print one JSON object (`{"ok", "checks": [{"name", "status", "detail", "fix"?}]}`)
    /// instead of the screen.
    #[arg(long)]
    pub json: bool,
    /// Longest wait for each check; a probe round also gets the time its own count, spacing
    /// and timeout need.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// The language of the screen.
    #[command(flatten)]
    pub lang: LangArg,
}

/// Runs every check for the config at `path` in `lang`; each check is bounded by `limit` (a
/// probe round by its own span if longer). A config that does not load gives a one-line report.
pub async fn check_file(path: &Path, limit: Duration, lang: Lang) -> Report {
    let mut report = Report::default();
    let cfg = match AgentConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            report.push(config_failure(&e, lang));
            return report;
        }
    };
    report.push(config_pass(&cfg, lang));
    if let Some(w) = no_modem_warning(&cfg, lang) {
        report.push(w);
    }

    let clock = ClockWatch::new();
    let _ = tokio::time::timeout(limit, clock.refresh()).await;
    let ctx = SignalContext {
        policy: UsablePolicy::default(),
        bands: BandTable::default(),
        placement: Some(cfg.site.placement),
        clock_synced: clock.synced(),
        lang,
    };
    let deadline = Instant::now() + limit;
    let running = agent_running(&cfg.state_dir);
    let (state, modems, probes, broker, commune) = tokio::join!(
        check_state(&cfg, limit, lang),
        futures::future::join_all(
            cfg.modems
                .iter()
                .map(|m| check_modem(m, &ctx, deadline, running))
        ),
        futures::future::join_all(cfg.probes.iter().map(|p| check_probe(p, limit, lang))),
        check_broker(&cfg, &clock, limit, lang),
        check_commune(&cfg, limit, lang),
    );
    report.push(state);
    report.checks.extend(modems.into_iter().flatten());
    report.checks.extend(probes);
    report.push(broker);
    report.push(clock_check(clock.synced(), clock.age_s(), Utc::now(), lang));
    report.push(commune);
    report
}

/// `coverage-agent check`.
pub async fn run(args: &CheckArgs) -> Report {
    check_file(&args.config, args.timeout, args.lang.resolve()).await
}

//! The coordinator: the one collector instance (`[coordinator] enabled = true`) that computes
//! derived points from what is **stored** (docs/operations.md "Who computes what").
//!
//! Tasks, each its own module, each reading through [`store`] and writing to the `rollups`
//! retention policy:
//!
//! - rollups (this module's loop, the figures from `coverage_audit::rollup`): closed hours and
//!   days, and the windows late readings touch ([`marks`]);
//! - site status (`status.rs`, beside this one).
//!
//! Time comes from a [`Clock`], so the demo runs the coordinator on its simulated clock
//! (`run::run_with_clock`); the archive store (the demo) works as InfluxDB does, with the
//! derived points in `rollups.lp` beside the archive ([`store::ArchiveStore`]).
//!
//! For the API: [`rollups::Rollups::snapshot`] ([`rollups::CommuneSnapshot`], an
//! `Arc<RwLock<BTreeMap<set, Vec<AreaPoint>>>>`) holds the latest day's commune points of each
//! set, replaced whenever a newer (or the same) day is computed; in archive mode it is the only
//! way to read them without scanning `rollups.lp`. `run` keeps a handle next to the spawned
//! task.

pub mod gaps;
pub mod marks;
pub mod rollups;
pub mod status;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use coverage_shared::boundary::BoundaryRegistry;

use crate::metrics::Metrics;

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The tick of a task that runs a pass every period until shutdown (site status, gaps): the
/// first tick is at once, a tick missed while a pass ran is taken late, not bunched.
#[derive(Debug)]
pub struct Periodic(tokio::time::Interval);

impl Periodic {
    /// Ticks every `every`.
    pub fn new(every: Duration) -> Periodic {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Periodic(tick)
    }

    /// Waits for the next tick; `false` once `shutdown` is cancelled.
    pub async fn next(&mut self, shutdown: &tokio_util::sync::CancellationToken) -> bool {
        tokio::select! {
            _ = self.0.tick() => true,
            () = shutdown.cancelled() => false,
        }
    }
}

/// The rollup task of a collector configuration, reading and writing through `store`.
pub fn rollups(
    cfg: &crate::config::Config,
    store: store::Store,
    registry: Arc<BoundaryRegistry>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
) -> Result<rollups::Rollups, Box<coverage_audit::AuditError>> {
    let source = match &cfg.store {
        crate::config::Store::Influx { .. } => {
            let endpoint = cfg
                .store
                .query_endpoint()
                .ok_or(coverage_audit::AuditError::NoSource)?;
            rollups::Source::Influx(coverage_audit::InfluxQlSource::new(&endpoint)?)
        }
        crate::config::Store::Archive(path) => {
            rollups::Source::Archive(coverage_audit::ArchiveSource::new(vec![path.clone()]))
        }
    };
    Ok(rollups::Rollups::new(
        cfg.coordinator.clone(),
        cfg.verdict_period_days,
        store,
        source,
        registry,
        cfg.audit.clone(),
        clock,
        metrics,
    ))
}

/// Where the coordinator's tasks get the time: the wall clock, or the demo's simulated one.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// `[coordinator]`: whether this instance computes derived points, and how.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorConfig {
    /// Whether this instance is the coordinator. Exactly one instance of a deployment should
    /// be; the others only write raw readings and `stored_late` marks.
    #[serde(default)]
    pub enabled: bool,
    /// This instance's name in `stored_late` marks; default the MQTT client id.
    #[serde(default)]
    pub instance: Option<String>,
    /// How long after its end an hour is computed, so readings in flight are stored first.
    #[serde(default = "default_settle", with = "humantime_serde")]
    pub settle: Duration,
    /// How far back the coordinator computes, on start, the windows that closed while no
    /// coordinator ran (plus every window a `stored_late` mark touches).
    #[serde(default = "default_catch_up", with = "humantime_serde")]
    pub catch_up: Duration,
    /// How often the coordinator looks for closed windows and new `stored_late` marks.
    #[serde(default = "default_poll_every", with = "humantime_serde")]
    pub poll_every: Duration,
    /// How far before the last mark handled the next poll starts, so a mark written by a
    /// collector whose clock is slightly behind is not missed.
    #[serde(default = "default_marks_overlap", with = "humantime_serde")]
    pub marks_overlap: Duration,
    /// Site status: a site that sent nothing (reading or heartbeat) for this long is `silent`.
    #[serde(default = "default_silent_after", with = "humantime_serde")]
    pub silent_after: Duration,
    /// Site status: `stale` after this many heartbeat intervals without a heartbeat.
    #[serde(default = "default_stale_heartbeats")]
    pub stale_heartbeats: u32,
    /// Site status: how often `site_status` points are written.
    #[serde(default = "default_status_every", with = "humantime_serde")]
    pub status_every: Duration,
    /// Gaps: how often the agents' `seq_ranges` are compared with the store.
    #[serde(default = "default_gaps_every", with = "humantime_serde")]
    pub gaps_every: Duration,
    /// Gaps: how long a seq must be missing before it is asked for (readings in flight are
    /// not gaps).
    #[serde(default = "default_gap_grace", with = "humantime_serde")]
    pub gap_grace: Duration,
    /// Gaps: how long after a resend request a range still missing is asked for again.
    #[serde(default = "default_resend_again_after", with = "humantime_serde")]
    pub resend_again_after: Duration,
}

fn default_gaps_every() -> Duration {
    Duration::from_secs(60)
}
fn default_gap_grace() -> Duration {
    Duration::from_secs(300)
}
fn default_resend_again_after() -> Duration {
    Duration::from_secs(600)
}

fn default_settle() -> Duration {
    Duration::from_secs(120)
}
fn default_catch_up() -> Duration {
    Duration::from_secs(2 * 86_400)
}
fn default_poll_every() -> Duration {
    Duration::from_secs(30)
}
fn default_marks_overlap() -> Duration {
    Duration::from_secs(300)
}
fn default_silent_after() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_stale_heartbeats() -> u32 {
    3
}
fn default_status_every() -> Duration {
    Duration::from_secs(60)
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        CoordinatorConfig {
            enabled: false,
            instance: None,
            settle: default_settle(),
            catch_up: default_catch_up(),
            poll_every: default_poll_every(),
            marks_overlap: default_marks_overlap(),
            silent_after: default_silent_after(),
            stale_heartbeats: default_stale_heartbeats(),
            status_every: default_status_every(),
            gaps_every: default_gaps_every(),
            gap_grace: default_gap_grace(),
            resend_again_after: default_resend_again_after(),
        }
    }
}

/// `[rollups]`: what the rollups hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollupsConfig {
    /// Length of the trailing period whose verdict each daily point carries, in whole days
    /// (`"30d"`); the period ends with the point's day.
    #[serde(default = "default_verdict_period", with = "humantime_serde")]
    pub verdict_period: Duration,
}

fn default_verdict_period() -> Duration {
    Duration::from_secs(30 * 86_400)
}

impl Default for RollupsConfig {
    fn default() -> Self {
        RollupsConfig {
            verdict_period: default_verdict_period(),
        }
    }
}

impl RollupsConfig {
    /// The trailing period in days; an error naming the key unless it is whole days, >= 1.
    pub fn period_days(&self) -> Result<u32, String> {
        let s = self.verdict_period.as_secs();
        if s == 0 || !s.is_multiple_of(86_400) || self.verdict_period.subsec_nanos() != 0 {
            return Err(format!(
                "{} is not a whole number of days (write e.g. \"30d\")",
                humantime::format_duration(self.verdict_period)
            ));
        }
        u32::try_from(s / 86_400).map_err(|_| "too long".to_owned())
    }
}

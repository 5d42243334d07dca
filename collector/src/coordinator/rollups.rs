//! The rollup task: which windows to compute at each poll, one fetch of their span, the audit's
//! figures for each window (`coverage_audit::rollup`), their lines in the `rollups` policy, and
//! the coordinator's progress.
//!
//! At each poll (every `coordinator.poll_every`), with `closed` the end of the last hour that
//! ended at least `settle` ago:
//!
//! 1. the hours from the progress's `hours_until` (at most `catch_up` back) to `closed`;
//! 2. the hours of the `stored_late` marks written since the last mark handled (minus
//!    `marks_overlap`), closed ones only, each mark handled once per process (a restart handles
//!    the overlap again: the points are idempotent);
//! 3. for every such hour, its day and the days after it whose trailing period includes it,
//!    closed ones only ([`affected_days`]);
//! 4. one `fetch_hourly` of the span they need, each window's points, written in batches;
//! 5. the progress (`coordinator_progress`) written last, so a crash before it recomputes the
//!    same windows rather than skipping them.
//!
//! The latest `1d` commune points of each set are kept in memory too ([`CommuneSnapshot`]):
//! the API serves them in archive mode, where there is no InfluxQL to ask.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use chrono::{DateTime, SecondsFormat};
use coverage_audit::rollup::{
    AreaPoint, RollupInputs, Window, WindowKind, affected_days, local_date, span_of, window_points,
};
use coverage_audit::source::hourly::HourlyAggregates;
use coverage_audit::source::{HOUR_MS, hour_of};
use coverage_audit::{
    AggregateQuery, AggregateSource, ArchiveSource, AuditConfig, AuditError, InfluxQlSource,
};
use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::schema::lines::{Value, derived_line};
use coverage_shared::schema::{derived, rp, tag};
use thiserror::Error;

use super::store::{Store, StoreError, ident};
use super::{Clock, CoordinatorConfig};
use crate::metrics::{Metrics, WindowLabel};

/// Lines per write of derived points.
const WRITE_BATCH: usize = 5000;

/// Why a poll of the rollup task failed (it is retried at the next poll).
#[derive(Debug, Error)]
pub enum RollupError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The aggregates could not be fetched or a window not computed.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// Where the hourly aggregates come from: the audit's own sources.
#[derive(Debug, Clone)]
pub enum Source {
    /// InfluxQL on the raw policy.
    Influx(InfluxQlSource),
    /// The archive file.
    Archive(ArchiveSource),
}

impl Source {
    async fn fetch_hourly(&self, query: &AggregateQuery) -> Result<HourlyAggregates, AuditError> {
        Ok(match self {
            Source::Influx(s) => s.fetch_hourly(query).await?.0,
            Source::Archive(s) => s.fetch_hourly(query).await?.0,
        })
    }
}

/// The latest `1d` commune points of each set (by set name), newest day only.
pub type CommuneSnapshot = Arc<RwLock<BTreeMap<String, Vec<AreaPoint>>>>;

/// The coordinator's progress, persisted as `coordinator_progress`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// End of the last closed hour computed, ms.
    pub hours_until: Option<i64>,
    /// Time of the last `stored_late` mark handled, ms.
    pub marks_until: Option<i64>,
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn int(v: u64) -> Value<'static> {
    Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

/// One rollup point as a line (docs/operations.md), timestamp = the window's start.
pub fn point_line(p: &AreaPoint) -> Option<String> {
    use derived::field as f;
    use derived::tag as t;
    let mut tags: Vec<(&str, &str)> = vec![
        (tag::SET, &p.set),
        (t::WINDOW, p.window.kind.as_str()),
        (t::SERVICE, p.service),
        (tag::OPERATOR, &p.operator),
        (tag::PROVINCE, &p.province.0),
        (t::PROVINCE_NAME, &p.province.1),
    ];
    if let Some((code, name)) = &p.district {
        tags.extend([
            (tag::DISTRICT, code.as_str()),
            (t::DISTRICT_NAME, name.as_str()),
        ]);
    }
    if let Some((code, name)) = &p.commune {
        tags.extend([
            (tag::COMMUNE, code.as_str()),
            (t::COMMUNE_NAME, name.as_str()),
        ]);
    }
    let g = &p.figures;
    let mut fields: Vec<(&str, Value<'_>)> = Vec::new();
    if let Some(v) = g.verdict {
        fields.push((f::VERDICT, Value::Str(v)));
    }
    if let Some(c) = g.counted {
        fields.push((f::COUNTED, int(c)));
    }
    if let Some(u) = g.usable {
        fields.push((f::USABLE, int(u)));
    }
    if let Some(s) = g.usable_share {
        fields.push((f::USABLE_SHARE, Value::Float(s)));
    }
    fields.push((f::SITES, int(g.sites)));
    if let Some(w) = g.windows {
        fields.extend([
            (f::UP_WINDOWS, int(w.up)),
            (f::KNOWN_WINDOWS, int(w.known)),
            (f::WINDOWS, int(w.total)),
        ]);
    }
    if let Some(tally) = g.tally {
        fields.extend([
            (f::COVERED, int(tally.covered)),
            (f::NOT_COVERED, int(tally.not_covered)),
            (f::INSUFFICIENT_DATA, int(tally.insufficient_data)),
            (f::NO_SITE, int(tally.no_site)),
            (f::AREAS, int(tally.areas())),
        ]);
    }
    if let Some(period) = &p.period {
        fields.push((f::PERIOD_DAYS, Value::Int(i64::from(period.days))));
        if let Some(v) = period.verdict {
            fields.push((f::PERIOD_VERDICT, Value::Str(v)));
        }
        if let Some(s) = period.usable_share {
            fields.push((f::PERIOD_USABLE_SHARE, Value::Float(s)));
        }
        if let Some(tally) = period.tally {
            fields.extend([
                (f::PERIOD_COVERED, int(tally.covered)),
                (f::PERIOD_NOT_COVERED, int(tally.not_covered)),
                (f::PERIOD_INSUFFICIENT_DATA, int(tally.insufficient_data)),
                (f::PERIOD_NO_SITE, int(tally.no_site)),
            ]);
            if let Some((lower, upper)) = tally.bounds_pct() {
                fields.extend([
                    (f::PERIOD_LOWER_PCT, Value::Float(lower)),
                    (f::PERIOD_UPPER_PCT, Value::Float(upper)),
                ]);
            }
        }
    }
    derived_line(
        p.level.measurement(),
        &tags,
        &fields,
        p.window.from.timestamp_millis(),
    )
}

/// The progress as one line (timestamp 0: one point, overwritten each time).
pub fn progress_line(p: &Progress) -> Option<String> {
    let mut fields = Vec::new();
    if let Some(h) = p.hours_until {
        fields.push((derived::field::HOURS_UNTIL_MS, Value::Int(h)));
    }
    if let Some(m) = p.marks_until {
        fields.push((derived::field::MARKS_UNTIL_MS, Value::Int(m)));
    }
    derived_line(derived::COORDINATOR_PROGRESS, &[], &fields, 0)
}

/// The hours and days one poll computes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Hour starts, ms.
    pub hours: BTreeSet<i64>,
    /// Local days.
    pub days: BTreeSet<chrono::NaiveDate>,
}

impl Plan {
    /// Every window of the plan.
    pub fn windows(&self, offset_hours: i32) -> Vec<Window> {
        self.hours
            .iter()
            .map(|h| Window::hour(*h))
            .chain(self.days.iter().map(|d| Window::day(*d, offset_hours)))
            .collect()
    }

    /// Whether there is nothing to compute.
    pub fn is_empty(&self) -> bool {
        self.hours.is_empty() && self.days.is_empty()
    }
}

/// Which windows to compute (pure): the closed hours in `[start, closed)`, the closed hours
/// `touched` by marks, and the closed days either affects.
pub fn plan(
    start: i64,
    closed: i64,
    touched: impl IntoIterator<Item = i64>,
    period_days: u32,
    offset_hours: i32,
) -> Plan {
    let mut hours: BTreeSet<i64> = (0..)
        .map(|n| start + n * HOUR_MS)
        .take_while(|h| *h < closed)
        .collect();
    hours.extend(touched.into_iter().map(hour_of).filter(|h| *h < closed));
    let closed_at = DateTime::from_timestamp_millis(closed).unwrap_or_default();
    let days = hours
        .iter()
        .flat_map(|h| affected_days(*h, period_days, offset_hours, closed_at))
        .collect();
    Plan { hours, days }
}

/// The rollup task.
#[derive(Debug)]
pub struct Rollups {
    /// Settings.
    pub cfg: CoordinatorConfig,
    /// Trailing period, days.
    pub period_days: u32,
    /// Where derived points go and marks come from.
    pub store: Store,
    /// Where aggregates come from.
    pub source: Source,
    /// Boundary sets.
    pub registry: Arc<BoundaryRegistry>,
    /// The audit's settings.
    pub audit: AuditConfig,
    /// The running collector's registry: when set, each computation uses the registry as it
    /// is then (a site added or retired since start-up), not `audit`'s.
    pub sites: Option<crate::registry::LiveRegistry>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The latest daily commune points.
    pub snapshot: CommuneSnapshot,
    /// Marks handled by this process: (hour, mark time).
    handled: Mutex<BTreeSet<(i64, i64)>>,
}

impl Rollups {
    /// The task with an empty snapshot.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: CoordinatorConfig,
        period_days: u32,
        store: Store,
        source: Source,
        registry: Arc<BoundaryRegistry>,
        audit: AuditConfig,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Rollups {
        Rollups {
            cfg,
            period_days,
            store,
            source,
            registry,
            audit,
            sites: None,
            clock,
            metrics,
            snapshot: CommuneSnapshot::default(),
            handled: Mutex::new(BTreeSet::new()),
        }
    }

    /// Reads the persisted progress (none on a fresh store).
    pub async fn load_progress(&self) -> Result<Progress, StoreError> {
        let field = |ints: &BTreeMap<String, i64>, k: &str| ints.get(k).copied();
        match &self.store {
            Store::Influx(s) => {
                let q = format!(
                    "SELECT * FROM {}.{}",
                    ident(rp::ROLLUPS),
                    ident(derived::COORDINATOR_PROGRESS)
                );
                let series = s.query(&q).await?;
                let mut p = Progress::default();
                for s in &series {
                    if let Some(row) = s.values.last() {
                        let get = |k| s.cell(row, k).and_then(serde_json::Value::as_i64);
                        p.hours_until = get(derived::field::HOURS_UNTIL_MS);
                        p.marks_until = get(derived::field::MARKS_UNTIL_MS);
                    }
                }
                Ok(p)
            }
            Store::Archive(a) => {
                let points = a.read_rollups(derived::COORDINATOR_PROGRESS).await?;
                Ok(points.last().map_or_else(Progress::default, |p| Progress {
                    hours_until: field(&p.ints, derived::field::HOURS_UNTIL_MS),
                    marks_until: field(&p.ints, derived::field::MARKS_UNTIL_MS),
                }))
            }
        }
    }

    /// The marks written at or after `since_ms`: (hour start, mark time) pairs.
    pub async fn poll_marks(&self, since_ms: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let hour_ms = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp_millis())
        };
        match &self.store {
            Store::Influx(s) => {
                let q = format!(
                    "SELECT last({}) AS readings FROM {}.{} WHERE time >= '{}' GROUP BY {}",
                    ident(derived::field::READINGS),
                    ident(rp::ROLLUPS),
                    ident(derived::STORED_LATE),
                    rfc3339(since_ms),
                    ident(derived::tag::HOUR),
                );
                let mut out = Vec::new();
                for series in s.query(&q).await? {
                    let Some(hour) = hour_ms(series.tag(derived::tag::HOUR)) else {
                        continue;
                    };
                    for row in &series.values {
                        if let Some(ts) = series.cell(row, "time").and_then(|v| v.as_i64()) {
                            out.push((hour, ts));
                        }
                    }
                }
                Ok(out)
            }
            Store::Archive(a) => Ok(a
                .read_rollups(derived::STORED_LATE)
                .await?
                .into_iter()
                .filter(|p| p.ts_ms >= since_ms)
                .filter_map(|p| Some((hour_ms(p.tags.get(derived::tag::HOUR)?)?, p.ts_ms)))
                .collect()),
        }
    }

    /// One poll: plans, computes, writes and persists; the windows written.
    pub async fn step(&self, progress: &mut Progress) -> Result<usize, RollupError> {
        let now = self.clock.now().timestamp_millis();
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let closed = hour_of(now - ms(self.cfg.settle));
        let floor = hour_of(now - ms(self.cfg.catch_up));
        let start = progress.hours_until.map_or(floor, |h| h.max(floor));
        let since = progress.marks_until.unwrap_or(floor) - ms(self.cfg.marks_overlap);
        let marks = self.poll_marks(since).await?;
        let new_marks: Vec<(i64, i64)> = {
            let handled = self.handled.lock().unwrap_or_else(|e| e.into_inner());
            marks
                .iter()
                .copied()
                .filter(|m| !handled.contains(m))
                .collect()
        };
        // A mark of an hour not yet closed needs nothing: that hour is computed when it closes.
        let ready: Vec<(i64, i64)> = new_marks
            .iter()
            .copied()
            .filter(|(h, _)| *h < closed)
            .collect();
        let offset = self.audit.timezone_offset_hours;
        let plan = plan(
            start,
            closed,
            ready.iter().map(|(h, _)| *h),
            self.period_days,
            offset,
        );
        let windows = if plan.is_empty() {
            0
        } else {
            self.compute(&plan).await?
        };
        {
            let mut handled = self.handled.lock().unwrap_or_else(|e| e.into_inner());
            handled.extend(new_marks.iter().copied());
            // Forget what the next polls cannot return again.
            let keep_from = since;
            handled.retain(|(_, ts)| *ts >= keep_from);
        }
        self.metrics.rollup_marks.inc_by(ready.len() as u64);
        let before = *progress;
        progress.hours_until = Some(progress.hours_until.unwrap_or(closed).max(closed));
        if let Some(h) = progress.hours_until {
            self.metrics.rollup_closed_until.set(h / 1000);
        }
        if let Some(t) = new_marks.iter().map(|(_, ts)| *ts).max() {
            progress.marks_until = Some(progress.marks_until.unwrap_or(t).max(t));
        }
        if *progress != before
            && let Some(line) = progress_line(progress)
        {
            self.store.write_rollups(&line).await?;
        }
        Ok(windows)
    }

    /// Computes and writes every window of `plan` from one fetch.
    pub async fn compute(&self, plan: &Plan) -> Result<usize, RollupError> {
        let started = Instant::now();
        let offset = self.audit.timezone_offset_hours;
        let windows = plan.windows(offset);
        let Some((from, to)) = span_of(&windows, self.period_days) else {
            return Ok(0);
        };
        let query = AggregateQuery {
            from,
            to,
            policy: self.audit.policy.clone(),
            fibre_target: self.audit.fibre.target.clone(),
        };
        let hourly = self.source.fetch_hourly(&query).await?;
        let with_sites;
        let audit = match &self.sites {
            Some(live) => {
                with_sites = self.audit.clone().with_registry(&live.current().registry);
                &with_sites
            }
            None => &self.audit,
        };
        let inputs = RollupInputs {
            registry: &self.registry,
            cfg: audit,
            period_days: self.period_days,
        };
        let mut body = String::new();
        let mut lines = 0;
        let mut written = 0;
        for window in &windows {
            let points = match window_points(&inputs, &hourly, *window) {
                Ok(p) => p,
                // Before the first set or between sets: nothing to roll up.
                Err(AuditError::NoSetInForce { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            for p in &points {
                if let Some(line) = point_line(p) {
                    body.push_str(&line);
                    lines += 1;
                }
            }
            if window.kind == WindowKind::Day {
                self.remember(window, points);
            }
            if lines >= WRITE_BATCH {
                self.store.write_rollups(&body).await?;
                body.clear();
                lines = 0;
            }
            written += 1;
            self.metrics
                .rollup_windows
                .get_or_create(&WindowLabel {
                    window: window.kind.as_str().to_owned(),
                })
                .inc();
        }
        if !body.is_empty() {
            self.store.write_rollups(&body).await?;
        }
        self.metrics
            .rollup_last_duration
            .set(started.elapsed().as_secs_f64());
        tracing::debug!(windows = written, from = %from, to = %to, "Rollups written.");
        Ok(written)
    }

    /// Keeps a day's commune points when it is the newest day of its set.
    fn remember(&self, window: &Window, points: Vec<AreaPoint>) {
        let communes: Vec<AreaPoint> = points
            .into_iter()
            .filter(|p| p.level == coverage_audit::rollup::AreaLevel::Commune)
            .collect();
        let Some(set) = communes.first().map(|p| p.set.clone()) else {
            return;
        };
        let offset = self.audit.timezone_offset_hours;
        let mut snapshot = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let newer = snapshot
            .get(&set)
            .and_then(|v| v.first())
            .is_none_or(|p| local_date(p.window.from, offset) <= local_date(window.from, offset));
        if newer {
            snapshot.insert(set, communes);
        }
    }

    /// Polls until `shutdown`: every `poll_every`, one [`Rollups::step`]; failures are logged,
    /// counted and retried at the next poll.
    pub async fn run(self: Arc<Self>, shutdown: tokio_util::sync::CancellationToken) {
        let mut progress = loop {
            match self.load_progress().await {
                Ok(p) => break p,
                Err(e) => {
                    self.metrics.rollup_errors.inc();
                    tracing::warn!(error = %e, "Cannot read the coordinator's progress; retrying.");
                    tokio::select! {
                        _ = tokio::time::sleep(self.cfg.poll_every) => {}
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        };
        tracing::info!(
            hours_until = ?progress.hours_until.map(rfc3339),
            marks_until = ?progress.marks_until.map(rfc3339),
            "Coordinator computing rollups."
        );
        loop {
            match self.step(&mut progress).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(windows = n, "Rollups computed."),
                Err(e) => {
                    self.metrics.rollup_errors.inc();
                    tracing::warn!(error = %e, "Rollup computation failed; retrying at the next poll.");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.cfg.poll_every) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use coverage_audit::AuditConfig;

    #[test]
    fn a_poll_plans_new_hours_late_hours_and_their_days() {
        // Local days start at 17:00 UTC (+07:00). Hours 0..3 of 2025-06-10 UTC are new;
        // a mark touches 2025-06-08T20:00Z (the 9th, local); 3-day trailing periods.
        let h = |d: u32, hh: u32| {
            chrono::Utc
                .with_ymd_and_hms(2025, 6, d, hh, 0, 0)
                .unwrap()
                .timestamp_millis()
        };
        use chrono::TimeZone;
        let p = plan(h(10, 0), h(10, 3), [h(8, 20) + 5, h(10, 7)], 3, 7);
        assert_eq!(
            p.hours.iter().copied().collect::<Vec<_>>(),
            [h(8, 20), h(10, 0), h(10, 1), h(10, 2)],
            "the open hour 07:00 waits"
        );
        let day = |d| NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
        // Closed at 03:00Z on the 10th = 10:00 local: the 9th is closed, the 10th is not.
        assert_eq!(p.days.iter().copied().collect::<Vec<_>>(), [day(9)]);
        assert!(plan(h(10, 3), h(10, 3), [], 3, 7).is_empty());
        // Catching up over local midnight closes that day.
        let p = plan(h(9, 16), h(9, 18), [], 3, 7);
        assert_eq!(p.days.iter().copied().collect::<Vec<_>>(), [day(9)]);
    }

    #[test]
    fn progress_is_one_point_at_time_zero() {
        let line = progress_line(&Progress {
            hours_until: Some(7_200_000),
            marks_until: None,
        })
        .unwrap();
        assert_eq!(line, "coordinator_progress hours_until_ms=7200000i 0\n");
        assert!(progress_line(&Progress::default()).is_none());
    }
    /// A clock the test sets.
    #[derive(Debug)]
    struct TestClock(Mutex<DateTime<chrono::Utc>>);

    impl Clock for TestClock {
        fn now(&self) -> DateTime<chrono::Utc> {
            *self.0.lock().unwrap()
        }
    }

    fn signal(seq: i64, ts: DateTime<chrono::Utc>) -> String {
        format!(
            "signal,site=s1,operator=452-04,tech=lte,reg=home seq={seq}i,rsrp_dbm=-80,pos_lat=22.162534,pos_lon=105.844234,clock_synced=true {}\n",
            ts.timestamp_millis()
        )
    }

    /// The last line written for a commune_coverage point of 01834 (mobile, 452-04, `window`).
    fn last_point(text: &str, window: &str, ts: i64) -> String {
        text.lines()
            .rfind(|l| {
                l.starts_with("commune_coverage,")
                    && l.contains(&format!("window={window},"))
                    && l.contains("operator=452-04")
                    && l.contains("commune=01834")
                    && l.contains("service=mobile")
                    && l.ends_with(&format!(" {ts}"))
            })
            .unwrap_or_else(|| panic!("no {window} point at {ts}"))
            .to_owned()
    }

    #[tokio::test]
    async fn archive_mode_on_a_set_clock_computes_closed_windows_and_late_marks() {
        use chrono::TimeZone;
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive.lp");
        let t = |h, m| chrono::Utc.with_ymd_and_hms(2025, 3, 3, h, m, 0).unwrap();
        // Five samples at 15:xx UTC (22:xx in Vietnam) on 3 March 2025.
        let body: String = (0..5).map(|i| signal(i, t(15, 10 + i as u32))).collect();
        std::fs::write(&archive, body).unwrap();
        let store = Store::Archive(super::super::store::ArchiveStore::new(&archive));
        let clock = Arc::new(TestClock(Mutex::new(t(17, 5))));
        let cfg = CoordinatorConfig {
            enabled: true,
            catch_up: std::time::Duration::from_secs(3 * 3600),
            ..CoordinatorConfig::default()
        };
        let rollups = Rollups::new(
            cfg.clone(),
            1,
            store.clone(),
            Source::Archive(ArchiveSource::new(vec![archive.clone()])),
            Arc::new(BoundaryRegistry::embedded().unwrap()),
            AuditConfig::default(),
            clock.clone(),
            Arc::new(Metrics::new()),
        );
        let mut progress = rollups.load_progress().await.unwrap();
        assert_eq!(progress, Progress::default());
        // 17:05 with a 2 min settle: 14:00, 15:00 and 16:00 are closed, and so is the local
        // day of 3 March (it ended at 17:00 UTC).
        assert_eq!(rollups.step(&mut progress).await.unwrap(), 4);
        assert_eq!(progress.hours_until, Some(t(17, 0).timestamp_millis()));
        let rollups_lp = dir.path().join("rollups.lp");
        let text = std::fs::read_to_string(&rollups_lp).unwrap();
        let hour = last_point(&text, "1h", t(15, 0).timestamp_millis());
        assert!(
            hour.contains("counted=5i,usable=5i,usable_share=1,sites=1i"),
            "{hour}"
        );
        let day_start = t(0, 0) - chrono::Duration::hours(7);
        let day = last_point(&text, "1d", day_start.timestamp_millis());
        assert!(
            day.contains("period_days=1i,period_verdict=\"insufficient_data\""),
            "{day}"
        );
        assert!(text.contains("coordinator_progress hours_until_ms="));
        let communes = rollups.snapshot.read().unwrap()["bac-kan-2020"].len();
        assert_eq!(communes, 108 * 3, "any, 452-04, fibre");
        // Nothing new: nothing computed.
        assert_eq!(rollups.step(&mut progress).await.unwrap(), 0);

        // A reading of 15:xx stored at 17:20, marked as the sink marks it: its hour and its
        // day are computed again, with the progress read back from rollups.lp.
        *clock.0.lock().unwrap() = t(17, 20);
        let late = signal(99, t(15, 59));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&archive)
            .unwrap();
        std::io::Write::write_all(&mut f, late.as_bytes()).unwrap();
        let marker = super::super::marks::LateMarker {
            instance: "other".into(),
            settle: cfg.settle,
            clock: clock.clone(),
            store,
        };
        assert_eq!(marker.mark([late.as_str()]).await.unwrap(), 1);
        let mut progress = rollups.load_progress().await.unwrap();
        assert_eq!(progress.hours_until, Some(t(17, 0).timestamp_millis()));
        assert_eq!(
            rollups.step(&mut progress).await.unwrap(),
            2,
            "the hour and its day"
        );
        let text = std::fs::read_to_string(&rollups_lp).unwrap();
        let hour = last_point(&text, "1h", t(15, 0).timestamp_millis());
        assert!(hour.contains("counted=6i"), "{hour}");
        assert_eq!(progress.marks_until, Some(t(17, 20).timestamp_millis()));
        // The mark is handled once.
        assert_eq!(rollups.step(&mut progress).await.unwrap(), 0);
    }
}

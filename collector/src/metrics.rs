//! The collector's own counters and gauges, exported in Prometheus text format on `/metrics`.
//!
//! Every reading that enters is accounted for exactly once: written, rejected (by reason), or
//! dead-lettered after a write refusal. Nothing is logged per reading at INFO; these counters
//! are how operations see the flow.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};

/// `kind` label: the reading kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// `signal`, `latency`, `throughput`, `heartbeat`.
    pub kind: String,
}

/// `reason` label: a rejection reason code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// A [`coverage_shared::validate::Rejection::code`].
    pub reason: String,
}

/// `field` label: a wire field name.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FieldLabel {
    /// The field, without any index.
    pub field: String,
}

/// `class` label: a write-error class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabel {
    /// `outage`, `partial`, `rejected`, `too_large`.
    pub class: String,
}

/// `window` label: a rollup window kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WindowLabel {
    /// `1h` or `1d`.
    pub window: String,
}

/// `site` label: a site id.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SiteLabel {
    /// The site id.
    pub site: String,
}

/// `status` label: a site status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// `alive`, `stale`, `silent`, `unregistered`.
    pub status: String,
}

/// All collector metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Readings accepted, by kind.
    pub accepted: Family<KindLabel, Counter>,
    /// Readings rejected, by reason code.
    pub rejected: Family<ReasonLabel, Counter>,
    /// Single values nulled because out of their physical range, by field.
    pub nulled: Family<FieldLabel, Counter>,
    /// Points written to the store.
    pub points_written: Counter,
    /// Points dead-lettered after the store refused them.
    pub points_dead_lettered: Counter,
    /// Points InfluxDB refused in a partial write without naming them.
    pub points_refused_unnamed: Counter,
    /// Dead letters counted but not kept: their reason had used its share of the file.
    pub dead_letters_suppressed: Family<ReasonLabel, Counter>,
    /// Write attempts that failed, by class (outage, partial, rejected, too_large).
    pub write_errors: Family<ClassLabel, Counter>,
    /// Points waiting to be written.
    pub pending_points: Gauge,
    /// Unix time (s) of the last successful write.
    pub last_write_success: Gauge,
    /// Coordinator: rollup windows computed and written, by window (`1h`, `1d`).
    pub rollup_windows: Family<WindowLabel, Counter>,
    /// Coordinator: `stored_late` marks handled.
    pub rollup_marks: Counter,
    /// Coordinator: how long the last rollup computation took (fetch, compute, write), seconds.
    pub rollup_last_duration: Gauge<f64, AtomicU64>,
    /// Coordinator: end of the last closed hour computed, Unix seconds (its lag behind now is
    /// how far the rollups are behind).
    pub rollup_closed_until: Gauge,
    /// Coordinator: rollup computations that failed (retried at the next poll).
    pub rollup_errors: Counter,
    /// Any instance: `stored_late` marks written after storing late readings.
    pub late_marks_written: Counter,
    /// Seconds since anything of a site was stored, by site (the coordinator's site status;
    /// absent for a site never heard from).
    pub site_last_seen_age: Family<SiteLabel, Gauge<f64, AtomicU64>>,
    /// Sites per status (the coordinator's site status).
    pub sites_by_status: Family<StatusLabel, Gauge>,
    /// Site status passes that failed.
    pub status_errors: Counter,
    /// Write-ahead log: records not yet stored (in flight to the sink included).
    pub wal_records: Gauge,
    /// Write-ahead log: bytes of its segment files.
    pub wal_bytes: Gauge,
    /// Write-ahead log: records handed to the sink, not yet reported stored.
    pub wal_in_flight: Gauge,
    /// Write-ahead log: 1 while it is full and no message is taken from the broker.
    pub wal_full: Gauge,
    /// Write-ahead log: damaged regions skipped on reading (since start).
    pub wal_corrupt: Gauge,
    /// MQTT messages received and not yet acknowledged (backlog, queue and batch in hand).
    pub unacked: Gauge,
    /// End-to-end lag of accepted readings: receive time minus the reading's `ts`, seconds
    /// (readings resent or spooled for hours land in the top buckets).
    pub ingest_lag: Histogram,
    /// Lag to the store: the time InfluxDB acknowledged the point's write minus the reading's
    /// `ts`, seconds (what a dashboard waits for a reading).
    pub stored_lag: Histogram,
    /// Coordinator: resend requests sent.
    pub resend_requests: Counter,
    /// Coordinator: seqs asked for in resend requests.
    pub resend_seqs_requested: Counter,
    /// Coordinator: seqs asked for and since stored.
    pub resend_filled: Gauge,
    /// Coordinator: seqs missing from the store that the agents still hold.
    pub gaps_open: Gauge,
    /// Coordinator: stored / issued per site, over what its agent holds.
    pub site_completeness: Family<SiteLabel, Gauge<f64, AtomicU64>>,
    /// Coordinator: seqs lost at the source per site (left the agent unstored), since start.
    pub site_lost: Family<SiteLabel, Gauge>,
    /// Readings rejected, all reasons.
    rejected_all: AtomicU64,
    /// Whether the MQTT session is up (1) or not (0).
    mqtt_up: Gauge,
    /// Whether the last write attempt succeeded (1) or not (0).
    store_up: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("coverage_collector");
        let m = Metrics {
            registry: Registry::default(),
            accepted: Family::default(),
            rejected: Family::default(),
            nulled: Family::default(),
            points_written: Counter::default(),
            points_dead_lettered: Counter::default(),
            dead_letters_suppressed: Family::default(),
            points_refused_unnamed: Counter::default(),
            write_errors: Family::default(),
            pending_points: Gauge::default(),
            last_write_success: Gauge::default(),
            rollup_windows: Family::default(),
            rollup_marks: Counter::default(),
            rollup_last_duration: Gauge::default(),
            rollup_closed_until: Gauge::default(),
            rollup_errors: Counter::default(),
            late_marks_written: Counter::default(),
            site_last_seen_age: Family::default(),
            sites_by_status: Family::default(),
            status_errors: Counter::default(),
            wal_records: Gauge::default(),
            wal_bytes: Gauge::default(),
            wal_in_flight: Gauge::default(),
            wal_full: Gauge::default(),
            wal_corrupt: Gauge::default(),
            unacked: Gauge::default(),
            ingest_lag: Histogram::new([
                0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86_400.0,
            ]),
            // Finer below 2 s than `ingest_lag`: the throughput bench reads p50/p99 from it.
            stored_lag: Histogram::new([
                0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0,
                10.0, 30.0, 60.0, 300.0, 3600.0, 86_400.0,
            ]),
            resend_requests: Counter::default(),
            resend_seqs_requested: Counter::default(),
            resend_filled: Gauge::default(),
            gaps_open: Gauge::default(),
            site_completeness: Family::default(),
            site_lost: Family::default(),
            rejected_all: AtomicU64::new(0),
            mqtt_up: Gauge::default(),
            store_up: Gauge::default(),
        };
        registry.register(
            "mqtt_up",
            "Whether the collector's MQTT session is up (1) or not (0)",
            m.mqtt_up.clone(),
        );
        registry.register(
            "store_up",
            "Whether the store accepted the last write attempt (1) or not (0)",
            m.store_up.clone(),
        );
        registry.register(
            "readings_accepted",
            "Readings accepted, by kind",
            m.accepted.clone(),
        );
        registry.register(
            "readings_rejected",
            "Readings rejected, by reason",
            m.rejected.clone(),
        );
        registry.register(
            "values_nulled",
            "Values nulled as out of range, by field",
            m.nulled.clone(),
        );
        registry.register(
            "points_written",
            "Points written to the store",
            m.points_written.clone(),
        );
        registry.register(
            "points_dead_lettered",
            "Points the store refused, kept in the dead-letter file",
            m.points_dead_lettered.clone(),
        );
        registry.register(
            "points_refused_unnamed",
            "Points InfluxDB refused in a partial write without naming them (not written, not dead-lettered)",
            m.points_refused_unnamed.clone(),
        );
        registry.register(
            "dead_letters_suppressed",
            "Dead letters counted but not kept (their reason used its share of the file), by reason",
            m.dead_letters_suppressed.clone(),
        );
        registry.register(
            "write_errors",
            "Failed write attempts, by class",
            m.write_errors.clone(),
        );
        registry.register(
            "pending_points",
            "Points waiting to be written",
            m.pending_points.clone(),
        );
        registry.register(
            "last_write_success_seconds",
            "Unix time of the last successful write",
            m.last_write_success.clone(),
        );
        registry.register(
            "rollup_windows",
            "Rollup windows computed and written by the coordinator, by window",
            m.rollup_windows.clone(),
        );
        registry.register(
            "rollup_marks",
            "stored_late marks the coordinator handled",
            m.rollup_marks.clone(),
        );
        registry.register(
            "rollup_last_duration_seconds",
            "Duration of the coordinator's last rollup computation",
            m.rollup_last_duration.clone(),
        );
        registry.register(
            "rollup_closed_until_seconds",
            "End of the last closed hour the coordinator computed, Unix time",
            m.rollup_closed_until.clone(),
        );
        registry.register(
            "rollup_errors",
            "Rollup computations that failed and are retried",
            m.rollup_errors.clone(),
        );
        registry.register(
            "late_marks_written",
            "stored_late marks written after storing readings of closed hours",
            m.late_marks_written.clone(),
        );
        registry.register(
            "site_last_seen_age_seconds",
            "Seconds since anything of the site was stored (coordinator only)",
            m.site_last_seen_age.clone(),
        );
        registry.register(
            "sites",
            "Sites per status (coordinator only)",
            m.sites_by_status.clone(),
        );
        registry.register(
            "site_status_errors",
            "Site status passes that failed",
            m.status_errors.clone(),
        );
        registry.register(
            "wal_records",
            "Write-ahead log: records not yet stored",
            m.wal_records.clone(),
        );
        registry.register(
            "wal_bytes",
            "Write-ahead log: bytes of its segment files",
            m.wal_bytes.clone(),
        );
        registry.register(
            "wal_in_flight",
            "Write-ahead log: records handed to the sink and not yet stored",
            m.wal_in_flight.clone(),
        );
        registry.register(
            "wal_full",
            "Write-ahead log: 1 while full (no message is taken from the broker)",
            m.wal_full.clone(),
        );
        registry.register(
            "wal_corrupt",
            "Write-ahead log: damaged regions skipped since start",
            m.wal_corrupt.clone(),
        );
        registry.register(
            "mqtt_unacked",
            "MQTT messages received and not yet acknowledged",
            m.unacked.clone(),
        );
        registry.register(
            "ingest_lag_seconds",
            "Receive time minus the reading's ts, accepted readings",
            m.ingest_lag.clone(),
        );
        registry.register(
            "stored_lag_seconds",
            "Time the store acknowledged a point's write minus the reading's ts",
            m.stored_lag.clone(),
        );
        registry.register(
            "resend_requests",
            "Resend requests sent to agents (coordinator only)",
            m.resend_requests.clone(),
        );
        registry.register(
            "resend_seqs_requested",
            "Seqs asked for in resend requests (coordinator only)",
            m.resend_seqs_requested.clone(),
        );
        registry.register(
            "resend_filled",
            "Seqs asked for and since stored (coordinator only)",
            m.resend_filled.clone(),
        );
        registry.register(
            "gaps_open",
            "Seqs missing from the store that the agents still hold (coordinator only)",
            m.gaps_open.clone(),
        );
        registry.register(
            "site_completeness",
            "Stored / issued readings per site, over what its agent holds (coordinator only)",
            m.site_completeness.clone(),
        );
        registry.register(
            "site_lost_at_source",
            "Readings per site that left the agent unstored, since start (coordinator only)",
            m.site_lost.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Sets the gap gauges from one gap pass.
    pub fn set_gaps(
        &self,
        sites: &std::collections::BTreeMap<String, crate::coordinator::gaps::SiteGaps>,
        filled: u64,
    ) {
        let g = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.resend_filled.set(g(filled));
        self.gaps_open
            .set(g(sites.values().map(|s| s.missing).sum()));
        for (site, s) in sites {
            let label = SiteLabel { site: site.clone() };
            if let Some(c) = s.completeness() {
                self.site_completeness.get_or_create(&label).set(c);
            }
            self.site_lost.get_or_create(&label).set(g(s.lost));
        }
    }

    /// Sets the write-ahead log's gauges.
    pub fn set_wal(&self, records: u64, bytes: u64, in_flight: u64, corrupt: u64) {
        let g = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.wal_records.set(g(records));
        self.wal_bytes.set(g(bytes));
        self.wal_in_flight.set(g(in_flight));
        self.wal_corrupt.set(g(corrupt));
    }

    /// Sets the log's depth alone (after an append).
    pub fn set_wal_depth(&self, records: u64) {
        self.wal_records
            .set(i64::try_from(records).unwrap_or(i64::MAX));
    }

    /// Whether the log is full.
    pub fn set_wal_full(&self, full: bool) {
        self.wal_full.set(i64::from(full));
    }

    /// Counts a dead letter its reason's share left out of the file.
    pub fn dead_letter_kept(&self, reason: &str, kept: crate::deadletter::Kept) {
        if kept == crate::deadletter::Kept::Suppressed {
            self.dead_letters_suppressed
                .get_or_create(&ReasonLabel {
                    reason: reason.to_owned(),
                })
                .inc();
        }
    }

    /// Rollup windows computed, hours and days together.
    pub fn rollup_windows_total(&self) -> u64 {
        ["1h", "1d"]
            .iter()
            .map(|w| {
                self.rollup_windows
                    .get_or_create(&WindowLabel {
                        window: (*w).to_owned(),
                    })
                    .get()
            })
            .sum()
    }

    /// Sets the site gauges from one status pass: `(site, status, seconds since last seen)`.
    /// Every status of `all` gets a count (0 included), so an alert on `silent > 0` has a
    /// series.
    pub fn set_site_statuses<'a>(
        &self,
        all: &[&'a str],
        sites: impl IntoIterator<Item = (&'a str, &'a str, Option<f64>)>,
    ) {
        let mut counts: std::collections::BTreeMap<&str, i64> =
            all.iter().map(|s| (*s, 0)).collect();
        for (site, status, age) in sites {
            *counts.entry(status).or_default() += 1;
            let label = SiteLabel {
                site: site.to_owned(),
            };
            // `get_or_create` returns a guard of the family's lock: never hold it across
            // `remove` (that deadlocks the thread, and with it the tasks queued on it).
            match age {
                Some(age) => {
                    self.site_last_seen_age.get_or_create(&label).set(age);
                }
                None => {
                    self.site_last_seen_age.remove(&label);
                }
            }
        }
        for (status, n) in counts {
            self.sites_by_status
                .get_or_create(&StatusLabel {
                    status: status.to_owned(),
                })
                .set(n);
        }
    }

    /// Counts an accepted reading.
    pub fn accept(&self, kind: &str) {
        self.accepted
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Counts a rejected reading.
    pub fn reject(&self, reason: &str) {
        self.rejected_all.fetch_add(1, Ordering::Relaxed);
        self.rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Counts a nulled value.
    pub fn null(&self, field: &str) {
        // `rtts_ms[17]` would make one series per index: count them under one label.
        let field = field.split('[').next().unwrap_or(field);
        self.nulled
            .get_or_create(&FieldLabel {
                field: field.to_owned(),
            })
            .inc();
    }

    /// Counts a failed write attempt.
    pub fn write_error(&self, class: &str) {
        self.write_errors
            .get_or_create(&ClassLabel {
                class: class.to_owned(),
            })
            .inc();
    }

    /// Records whether the MQTT session is up.
    pub fn set_mqtt_up(&self, up: bool) {
        self.mqtt_up.set(i64::from(up));
    }

    /// Records whether the store accepted the last write.
    pub fn set_store_up(&self, up: bool) {
        self.store_up.set(i64::from(up));
    }

    /// `(mqtt_up, store_up)`.
    pub fn health(&self) -> (bool, bool) {
        (self.mqtt_up.get() == 1, self.store_up.get() == 1)
    }

    /// Readings accepted of `kind` so far.
    pub fn accepted_of(&self, kind: &str) -> u64 {
        self.accepted
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .get()
    }

    /// Readings rejected so far, all reasons.
    pub fn rejected_total(&self) -> u64 {
        self.rejected_all.load(Ordering::Relaxed)
    }

    /// Readings rejected for `reason` so far.
    pub fn rejected_for(&self, reason: &str) -> u64 {
        self.rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .get()
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_prefixed_counters_with_labels() {
        let m = Metrics::new();
        m.accept("signal");
        m.reject("not_json");
        m.null("rtts_ms[3]");
        m.points_written.inc_by(5);
        m.set_mqtt_up(true);
        let text = m.encode();
        assert!(text.contains("coverage_collector_mqtt_up 1\n"), "{text}");
        assert!(text.contains("coverage_collector_store_up 0\n"), "{text}");
        assert!(
            text.contains("coverage_collector_readings_accepted_total{kind=\"signal\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("coverage_collector_readings_rejected_total{reason=\"not_json\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("coverage_collector_values_nulled_total{field=\"rtts_ms\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("coverage_collector_points_written_total 5"),
            "{text}"
        );
    }

    #[test]
    fn site_gauges_follow_each_pass() {
        let m = Metrics::new();
        let all = ["alive", "stale", "silent", "unregistered"];
        m.set_site_statuses(&all, [("a", "alive", Some(3.0)), ("b", "silent", None)]);
        let text = m.encode();
        assert!(
            text.contains("coverage_collector_site_last_seen_age_seconds{site=\"a\"} 3.0"),
            "{text}"
        );
        assert!(!text.contains("site=\"b\""), "never heard from: no age");
        assert!(
            text.contains("coverage_collector_sites{status=\"stale\"} 0"),
            "{text}"
        );
        // A site heard from before and not now (cannot happen: ages only grow) loses its age.
        m.set_site_statuses(&all, [("a", "silent", None)]);
        let text = m.encode();
        assert!(!text.contains("site=\"a\""), "{text}");
        assert!(
            text.contains("coverage_collector_sites{status=\"silent\"} 1"),
            "{text}"
        );
    }
}

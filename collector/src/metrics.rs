//! The collector's own counters and gauges, exported in Prometheus text format on `/metrics`.
//!
//! Every reading that enters is accounted for exactly once: written, rejected (by reason), or
//! dead-lettered after a write refusal. Nothing is logged per reading at INFO; these counters
//! are how operations see the flow.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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
    /// Readings rejected, all reasons.
    rejected_all: AtomicU64,
    /// Whether the MQTT session is up.
    mqtt_up: AtomicBool,
    /// Whether the last write attempt succeeded.
    store_up: AtomicBool,
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
            rejected_all: AtomicU64::new(0),
            mqtt_up: AtomicBool::new(false),
            store_up: AtomicBool::new(false),
        };
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
        Metrics { registry, ..m }
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
        self.mqtt_up.store(up, Ordering::Relaxed);
    }

    /// Records whether the store accepted the last write.
    pub fn set_store_up(&self, up: bool) {
        self.store_up.store(up, Ordering::Relaxed);
    }

    /// `(mqtt_up, store_up)`.
    pub fn health(&self) -> (bool, bool) {
        (
            self.mqtt_up.load(Ordering::Relaxed),
            self.store_up.load(Ordering::Relaxed),
        )
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
        let text = m.encode();
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
}

//! `stored_late` marks (docs/operations.md): how any collector tells the coordinator that it
//! stored readings of an hour the coordinator may already have computed.
//!
//! The sink calls [`LateMarker::mark`] after a batch was stored and **before** it acknowledges
//! the MQTT messages: if the mark cannot be written, the messages stay unacknowledged, the
//! broker redelivers them, the readings are stored again (the same points: idempotent) and the
//! mark is tried again, so a stored late reading is never left unknown to the coordinator.
//!
//! An hour counts as closed for marking once `settle / 2` has passed since its end: the
//! coordinator computes it at `settle`, so a reading stored between the two is marked needlessly
//! (the recomputation rewrites the same points) rather than missed when the two clocks differ by
//! less than `settle / 2`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::SecondsFormat;
use coverage_audit::source::{HOUR_MS, hour_of};
use coverage_shared::schema::derived;
use coverage_shared::schema::lines::{Value, derived_line};

use super::Clock;
use super::store::{Store, StoreError};

/// The timestamp (ms) of a line the collector wrote: its last token (docs/design.md: every
/// point carries the reading's `ts` in milliseconds).
pub fn line_ts_ms(line: &str) -> Option<i64> {
    line.trim_end().rsplit(' ').next()?.parse().ok()
}

/// Readings per hour among `lines` whose hour counts as closed at `now_ms`.
pub fn late_hours<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    now_ms: i64,
    settle: Duration,
) -> BTreeMap<i64, u64> {
    let grace = i64::try_from(settle.as_millis() / 2).unwrap_or(i64::MAX);
    let mut out = BTreeMap::new();
    for ts in lines.into_iter().filter_map(line_ts_ms) {
        let hour = hour_of(ts);
        if hour.saturating_add(HOUR_MS).saturating_add(grace) <= now_ms {
            *out.entry(hour).or_default() += 1;
        }
    }
    out
}

/// The mark lines for `hours` (hour start -> readings), written by `instance` at `now_ms`.
pub fn mark_lines(hours: &BTreeMap<i64, u64>, instance: &str, now_ms: i64) -> String {
    let mut body = String::new();
    for (&hour, &readings) in hours {
        let hour = chrono::DateTime::from_timestamp_millis(hour)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        if let Some(line) = derived_line(
            derived::STORED_LATE,
            &[
                (derived::tag::COLLECTOR, instance),
                (derived::tag::HOUR, &hour),
            ],
            &[(
                derived::field::READINGS,
                Value::Int(i64::try_from(readings).unwrap_or(i64::MAX)),
            )],
            now_ms,
        ) {
            body.push_str(&line);
        }
    }
    body
}

/// Writes `stored_late` marks for the sink.
#[derive(Debug, Clone)]
pub struct LateMarker {
    /// This instance's name.
    pub instance: String,
    /// `coordinator.settle`.
    pub settle: Duration,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Where marks go (the `rollups` policy).
    pub store: Store,
}

impl LateMarker {
    /// Writes one mark per closed hour among `lines` (stored just now); the number written.
    pub async fn mark<'a>(
        &self,
        lines: impl IntoIterator<Item = &'a str>,
    ) -> Result<usize, StoreError> {
        let now = self.clock.now().timestamp_millis();
        let hours = late_hours(lines, now, self.settle);
        if hours.is_empty() {
            return Ok(0);
        }
        self.store
            .write_rollups(&mark_lines(&hours, &self.instance, now))
            .await?;
        Ok(hours.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hours_closed_for_half_the_settle_time_are_marked() {
        let h = |n: i64| n * HOUR_MS;
        let lines = [
            format!("signal,site=a seq=1i {}\n", h(10) + 5),
            format!("signal,site=a seq=2i {}\n", h(10) + 7),
            format!("heartbeat,site=a seq=3i {}\n", h(11) + 1),
            "no timestamp here\n".to_owned(),
        ];
        let settle = Duration::from_secs(120);
        // 11:00:59: hour 10 ended 59 s ago, less than settle / 2.
        let at = |ms| late_hours(lines.iter().map(String::as_str), ms, settle);
        assert!(at(h(11) + 59_000).is_empty());
        assert_eq!(at(h(11) + 60_000), BTreeMap::from([(h(10), 2)]));
        assert_eq!(at(h(12) + 60_000), BTreeMap::from([(h(10), 2), (h(11), 1)]));
        let body = mark_lines(&at(h(11) + 60_000), "collector-b", h(11) + 60_000);
        assert_eq!(
            body,
            "stored_late,collector=collector-b,hour=1970-01-01T10:00:00Z readings=2i 39660000\n"
        );
    }
}

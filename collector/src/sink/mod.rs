//! The sink: batches lines by size and time, writes them, and acknowledges the MQTT messages
//! only once their points are stored (or deliberately dead-lettered).
//!
//! Until the write-ahead log exists, the broker is the buffer: a reading is acknowledged to
//! MQTT only after InfluxDB took it, so a collector that dies, or an InfluxDB that is down for
//! hours, leaves the unacknowledged messages with the broker (persistent session,
//! `max_queued_messages 0`) and nothing is lost. While the store is down, the batch is retried
//! with jittered exponential backoff that honours `Retry-After`; the bounded channel in front of
//! the sink fills, the ingest stops taking messages, and the broker holds the rest.

pub mod influx;

pub use crate::ack::Pending;
use crate::coordinator::marks::LateMarker;
use crate::deadletter::{DeadLetters, Letter};
use crate::metrics::Metrics;
use coverage_net::backoff::Backoff;
pub use influx::PointWriter;
pub use influx::{InfluxApi, InfluxConfig};
use influx::{WriteError, Writer, refused_lines};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Batching settings (`[sink]` in the collector config).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// Largest batch, in lines (InfluxDB recommends 5,000).
    #[serde(default = "default_batch_lines")]
    pub batch_lines: usize,
    /// Longest time a line waits before its batch is written.
    #[serde(default = "default_flush_interval", with = "humantime_serde")]
    pub flush_interval: Duration,
    /// A batch is written once no new point has arrived for this long. Brokers cap the
    /// unacknowledged messages per subscriber (mosquitto `max_inflight_messages`, rumqttd 100)
    /// and readings are acknowledged only once written, so waiting for a full batch would
    /// throttle the flow to one window per `flush_interval`.
    #[serde(default = "default_linger", with = "humantime_serde")]
    pub linger: Duration,
    /// Longest pause between retries while the store is down.
    #[serde(default = "default_max_backoff", with = "humantime_serde")]
    pub max_backoff: Duration,
}

fn default_batch_lines() -> usize {
    5000
}
fn default_flush_interval() -> Duration {
    Duration::from_millis(500)
}
fn default_linger() -> Duration {
    Duration::from_millis(20)
}
fn default_max_backoff() -> Duration {
    Duration::from_secs(30)
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            batch_lines: default_batch_lines(),
            flush_interval: default_flush_interval(),
            linger: default_linger(),
            max_backoff: default_max_backoff(),
        }
    }
}

/// The batching writer task, writing through `W` (the real [`Writer`] unless a test scripts
/// one).
pub struct Sink<W: PointWriter = Writer> {
    writer: W,
    cfg: SinkConfig,
    metrics: Arc<Metrics>,
    dead: Arc<DeadLetters>,
    /// Writes `stored_late` marks after a stored batch, before its acks (docs/operations.md).
    late: Option<LateMarker>,
}

/// What became of a batch.
enum Outcome {
    /// Stored or dead-lettered: acknowledge.
    Done,
    /// Shutdown while the store was down: leave unacknowledged for redelivery.
    Abandoned,
}

impl<W: PointWriter> Sink<W> {
    /// A sink writing through `writer`.
    pub fn new(
        writer: W,
        cfg: SinkConfig,
        metrics: Arc<Metrics>,
        dead: Arc<DeadLetters>,
    ) -> Sink<W> {
        Sink {
            writer,
            cfg,
            metrics,
            dead,
            late: None,
        }
    }

    /// Marks the closed hours of every stored batch with `stored_late` points before the
    /// batch is acknowledged ([`crate::coordinator::marks`]).
    pub fn with_late_marks(mut self, marker: LateMarker) -> Sink<W> {
        self.late = Some(marker);
        self
    }

    /// Runs until `rx` closes or `finish` fires (then it takes what is already queued, writes
    /// it, and returns: the final flush), or until `shutdown` fires during an outage.
    pub async fn run(
        self,
        mut rx: mpsc::Receiver<Pending>,
        finish: CancellationToken,
        shutdown: CancellationToken,
    ) {
        use tokio::time::{Instant, sleep_until};
        let mut finishing = false;
        self.prepare(&shutdown).await;
        let mut batch: Vec<Pending> = Vec::with_capacity(self.cfg.batch_lines);
        // When the batch is written: `linger` after the last point arrived (the stream paused),
        // and at most `flush_interval` after the first one (a steady trickle).
        let mut first_at = Instant::now();
        let mut last_at = Instant::now();
        loop {
            let due = (first_at + self.cfg.flush_interval).min(last_at + self.cfg.linger);
            tokio::select! {
                item = rx.recv() => match item {
                    Some(p) => {
                        last_at = Instant::now();
                        if batch.is_empty() {
                            first_at = last_at;
                        }
                        batch.push(p);
                        self.metrics.pending_points.inc();
                        if batch.len() >= self.cfg.batch_lines
                            && self.flush(&mut batch, &shutdown).await.is_err()
                        {
                            return;
                        }
                    }
                    None => {
                        let _ = self.flush(&mut batch, &shutdown).await;
                        return;
                    }
                },
                _ = sleep_until(due), if !batch.is_empty() => {
                    if self.flush(&mut batch, &shutdown).await.is_err() {
                        return;
                    }
                }
                _ = finish.cancelled(), if !finishing => {
                    // No new points; what is queued still comes out of `recv`, then `None`.
                    finishing = true;
                    rx.close();
                }
            }
        }
    }

    /// Creates the database (v1) before the first write, retrying while the store is down.
    async fn prepare(&self, shutdown: &CancellationToken) {
        let mut backoff = self.retry_backoff();
        loop {
            match self.writer.prepare().await {
                Ok(()) => {
                    if backoff.attempt() > 0 {
                        tracing::info!(store = %self.writer.describe(), attempts = backoff.attempt() + 1, "Store reachable.");
                    }
                    self.metrics.set_store_up(true);
                    return;
                }
                Err(e) => {
                    self.metrics.set_store_up(false);
                    self.metrics.write_error(e.class());
                    let wait = retry_delay(&mut backoff, &e);
                    tracing::warn!(store = %self.writer.describe(), error = %e, retry_in = ?wait, "Store unreachable at start; readings stay with the broker until it answers.");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        }
    }

    /// Writes and acknowledges the batch; `Err` when abandoned at shutdown.
    async fn flush(
        &self,
        batch: &mut Vec<Pending>,
        shutdown: &CancellationToken,
    ) -> Result<(), ()> {
        if batch.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(batch);
        let n = items.len() as i64;
        let outcome = self.write_all(&items, shutdown).await;
        self.metrics.pending_points.dec_by(n);
        let outcome = match (outcome, &self.late) {
            (Outcome::Done, Some(late)) => self.mark_late(late, &items, shutdown).await,
            (outcome, _) => outcome,
        };
        match outcome {
            Outcome::Done => {
                for p in items {
                    p.ack.ack();
                }
                Ok(())
            }
            Outcome::Abandoned => {
                tracing::warn!(
                    points = n,
                    "Shutting down while the store is down; the broker keeps these readings for the next start."
                );
                Err(())
            }
        }
    }

    /// Writes `items`, splitting on 413, until stored or dead-lettered.
    async fn write_all(&self, items: &[Pending], shutdown: &CancellationToken) -> Outcome {
        let mut stack: Vec<&[Pending]> = vec![items];
        while let Some(chunk) = stack.pop() {
            let body: String = chunk.iter().map(|p| p.line.as_str()).collect();
            let mut backoff = self.retry_backoff();
            loop {
                match self.writer.write(&body).await {
                    Ok(()) => {
                        self.on_success(chunk.len(), backoff.attempt());
                        self.observe_stored_lag(chunk);
                        break;
                    }
                    Err(WriteError::TooLarge) if chunk.len() > 1 => {
                        self.metrics.write_error("too_large");
                        let (a, b) = chunk.split_at(chunk.len() / 2);
                        stack.push(b);
                        stack.push(a);
                        break;
                    }
                    Err(e @ WriteError::TooLarge) | Err(e @ WriteError::Rejected { .. }) => {
                        self.metrics.write_error(e.class());
                        self.metrics.set_store_up(true);
                        tracing::error!(points = chunk.len(), error = %e, "Store refused a batch; its points are dead-lettered.");
                        self.dead_letter(
                            chunk.iter().map(|p| p.line.as_str()),
                            "influx_rejected",
                            &e.to_string(),
                        );
                        break;
                    }
                    Err(WriteError::Partial { message }) => {
                        self.metrics.write_error("partial");
                        self.metrics.set_store_up(true);
                        let lines: Vec<&str> = chunk.iter().map(|p| p.line.as_str()).collect();
                        let refusal = refused_lines(&message, &lines);
                        let summary = crate::deadletter::prefix(&message, 300);
                        tracing::error!(points = chunk.len(), refused = refusal.refused, named = refusal.lines.len(), error = %summary, "Store took part of a batch; the refused points are dead-lettered.");
                        // Each refused line with its own reason; the stored ones stay out.
                        for (i, reason) in &refusal.lines {
                            self.dead_letter(std::iter::once(lines[*i]), "influx_partial", reason);
                        }
                        if refusal.unnamed() > 0 {
                            self.metrics
                                .points_refused_unnamed
                                .inc_by(refusal.unnamed() as u64);
                            tracing::error!(unnamed = refusal.unnamed(), error = %summary, "InfluxDB refused points without naming them; they are counted in points_refused_unnamed and cannot be dead-lettered.");
                        }
                        self.on_success(
                            chunk
                                .len()
                                .saturating_sub(refusal.refused.max(refusal.lines.len())),
                            backoff.attempt(),
                        );
                        break;
                    }
                    Err(e @ WriteError::Outage { .. }) => {
                        self.metrics.write_error("outage");
                        self.metrics.set_store_up(false);
                        let should_log = backoff.should_log();
                        let attempt = backoff.attempt();
                        let wait = retry_delay(&mut backoff, &e);
                        if should_log {
                            tracing::warn!(store = %self.writer.describe(), points = chunk.len(), attempt = attempt + 1, retry_in = ?wait, error = %e, "Store unavailable; keeping the batch and retrying.");
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = shutdown.cancelled() => return Outcome::Abandoned,
                        }
                    }
                }
            }
        }
        Outcome::Done
    }

    /// Writes the batch's `stored_late` marks, retrying while the store is down; abandoned
    /// (left unacknowledged, so redelivered and marked again) only at shutdown.
    async fn mark_late(
        &self,
        late: &LateMarker,
        items: &[Pending],
        shutdown: &CancellationToken,
    ) -> Outcome {
        let mut backoff = self.retry_backoff();
        loop {
            match late.mark(items.iter().map(|p| p.line.as_str())).await {
                Ok(n) => {
                    self.metrics.late_marks_written.inc_by(n as u64);
                    return Outcome::Done;
                }
                Err(e) => {
                    self.metrics.write_error("late_mark");
                    let should_log = backoff.should_log();
                    let wait = backoff.next_delay();
                    if should_log {
                        tracing::warn!(error = %e, retry_in = ?wait, "Cannot write stored_late marks; the batch stays unacknowledged until they are written.");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.cancelled() => return Outcome::Abandoned,
                    }
                }
            }
        }
    }

    /// `stored_lag_seconds`: the store's acknowledgement time minus each point's time (the
    /// line's last field, ms), the reading's age when it became visible in InfluxDB.
    fn observe_stored_lag(&self, chunk: &[Pending]) {
        let now_ms = chrono::Utc::now().timestamp_millis();
        for p in chunk {
            if let Some(ts) = p
                .line
                .trim_end()
                .rsplit(' ')
                .next()
                .and_then(|t| t.parse::<i64>().ok())
            {
                self.metrics
                    .stored_lag
                    .observe((now_ms - ts).max(0) as f64 / 1000.0);
            }
        }
    }

    fn on_success(&self, points: usize, attempts_before: u32) {
        self.metrics.points_written.inc_by(points as u64);
        self.metrics.set_store_up(true);
        self.metrics
            .last_write_success
            .set(chrono::Utc::now().timestamp());
        if attempts_before > 0 {
            tracing::info!(store = %self.writer.describe(), attempts = attempts_before + 1, "Store reachable again; batch written.");
        }
    }

    fn dead_letter<'a>(&self, lines: impl Iterator<Item = &'a str>, reason: &str, detail: &str) {
        let time = crate::deadletter::now();
        for line in lines {
            self.metrics.points_dead_lettered.inc();
            let kept = self.dead.put(&Letter {
                time: time.clone(),
                reason,
                detail,
                topic: None,
                payload: line.trim_end(),
            });
            self.metrics.dead_letter_kept(reason, kept);
        }
    }

    /// Retry delays for the store: jittered, from 250 ms to `max_backoff`.
    fn retry_backoff(&self) -> Backoff {
        Backoff::new(Duration::from_millis(250), self.cfg.max_backoff).jittered()
    }
}

/// The delay before the next attempt: what the server asked (`Retry-After`, at most an hour),
/// else the next of `backoff`'s delays. Either way the attempt is counted.
fn retry_delay(backoff: &mut Backoff, e: &WriteError) -> Duration {
    let next = backoff.next_delay();
    match e {
        WriteError::Outage {
            retry_after: Some(d),
            ..
        } => (*d).min(Duration::from_secs(3600)),
        _ => next,
    }
}

#[cfg(test)]
mod tests;

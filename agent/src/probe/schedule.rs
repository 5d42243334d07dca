//! Running probes on their schedules: one tokio task per probe, jittered, never blocking.
//!
//! **Timing.** Each task picks a random phase, uniform in `[0, interval)`, and runs round `k`
//! at `phase + k × interval` (fixed rate, so the schedule does not drift by the rounds'
//! durations) plus a fresh random delay, uniform in `[0, jitter]`. A fleet started at the same
//! moment (a power cut ends, a release rolls out) therefore spreads over the whole interval
//! instead of hitting the data centre in step. Validation guarantees that a round plus its
//! jitter fits in the interval; if a round still overruns (a slow name lookup), the missed
//! slots are skipped, never run back to back.
//!
//! **Independence.** Every probe and every throughput transfer is its own task and owns its
//! sockets; none waits for another, for the modem or for the network beyond its own timeouts.
//! A reading's `ts` is the round's start time (UTC).
//!
//! **Hand-off.** Readings go to the recorder with `try_send`, never `send().await`: measuring
//! must not wait on the recorder. If the channel is full the *newest* reading (the one in
//! hand) is dropped, counted ([`dropped_readings`]) and logged at WARN: a sender cannot evict
//! the oldest entry of a tokio channel, and the readings already queued are older and will
//! reach the spool in order once the recorder catches up. A full channel means the recorder is
//! stuck (disk), which the spool reports on its own. A closed channel (the recorder has
//! stopped) ends the task.
//!
//! **Shutdown.** Cancelling the token stops every task at its next await point, including in
//! the middle of a round (that round's reading is discarded, sockets are closed by drop).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use coverage_shared::wire::Body;
use rand::Rng;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::config::{ProbeConfig, ThroughputConfig};
use super::{run_round, run_throughput};
use crate::measure::{MeasureTx, Measurement};

/// Readings dropped because the recorder's channel was full, since start (all probes).
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// How many probe readings were dropped because the measurement channel was full.
pub fn dropped_readings() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Starts one task per latency probe and one per *enabled* throughput transfer; returns their
/// handles. Must be called within a tokio runtime. Tasks end when `shutdown` is cancelled or
/// the channel closes.
pub fn spawn_probes(
    configs: Vec<ProbeConfig>,
    throughput: Vec<ThroughputConfig>,
    tx: MeasureTx,
    shutdown: CancellationToken,
) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::with_capacity(configs.len() + throughput.len());
    for cfg in configs {
        let (tx, shutdown) = (tx.clone(), shutdown.clone());
        handles.push(tokio::spawn(async move {
            let schedule = Schedule::new(cfg.interval(), cfg.jitter());
            run_schedule(cfg.name().to_string(), schedule, tx, shutdown, || async {
                let latency = run_round(&cfg).await;
                let error = latency.error.clone();
                debug!(
                    probe = cfg.name(),
                    sent = latency.sent,
                    received = latency.received,
                    dup = latency.dup,
                    p50_ms = latency.rtt_ms.map(|r| r.p50),
                    "Round done."
                );
                (Body::Latency(latency), error)
            })
            .await;
        }));
    }
    for cfg in throughput.into_iter().filter(ThroughputConfig::enabled) {
        let (tx, shutdown) = (tx.clone(), shutdown.clone());
        handles.push(tokio::spawn(async move {
            let schedule = Schedule::new(cfg.interval(), cfg.jitter());
            run_schedule(cfg.name().to_string(), schedule, tx, shutdown, || async {
                let t = run_throughput(&cfg).await;
                let error = t.error.clone();
                debug!(
                    probe = cfg.name(),
                    bytes = t.bytes,
                    mbps = t.mbps,
                    "Transfer done."
                );
                (Body::Throughput(t), error)
            })
            .await;
        }));
    }
    handles
}

/// When rounds run: a random phase within the first interval, then a fixed period, each round
/// delayed by a fresh random amount up to `jitter`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    interval: Duration,
    jitter: Duration,
    phase: Duration,
}

impl Schedule {
    pub(crate) fn new(interval: Duration, jitter: Duration) -> Schedule {
        let phase = random_below(interval);
        Schedule {
            interval,
            jitter,
            phase,
        }
    }

    /// Slot `k`'s nominal start relative to the task's start.
    pub(crate) fn slot(&self, k: u32) -> Duration {
        self.phase + self.interval * k
    }

    /// The first slot not before `elapsed` (skips slots a slow round overran).
    pub(crate) fn next_slot(&self, after_k: Option<u32>, elapsed: Duration) -> u32 {
        let mut k = after_k.map_or(0, |k| k + 1);
        if self.slot(k) < elapsed {
            let behind = (elapsed - self.phase).as_nanos() / self.interval.as_nanos().max(1);
            k = k.max(u32::try_from(behind).unwrap_or(u32::MAX - 1) + 1);
        }
        k
    }

    fn jitter_delay(&self) -> Duration {
        random_at_most(self.jitter)
    }
}

/// Uniform in `[0, d)`; zero for a zero `d`.
fn random_below(d: Duration) -> Duration {
    let n = d.as_nanos().min(u128::from(u64::MAX)) as u64;
    if n == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(rand::rng().random_range(0..n))
}

/// Uniform in `[0, d]`.
fn random_at_most(d: Duration) -> Duration {
    let n = d.as_nanos().min(u128::from(u64::MAX - 1)) as u64;
    Duration::from_nanos(rand::rng().random_range(0..=n))
}

/// The loop of one task: wait for the slot, measure, hand over, repeat until shutdown.
async fn run_schedule<F, Fut>(
    name: String,
    schedule: Schedule,
    tx: MeasureTx,
    shutdown: CancellationToken,
    mut measure: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (Body, Option<String>)>,
{
    let origin = Instant::now();
    let mut last_k = None;
    let mut failing: Option<String> = None;
    loop {
        let k = schedule.next_slot(last_k, origin.elapsed());
        if let Some(prev) = last_k
            && k > prev + 1
        {
            debug!(probe = %name, skipped = k - prev - 1, "Round overran its interval; skipping slots.");
        }
        last_k = Some(k);
        let at = origin + schedule.slot(k) + schedule.jitter_delay();
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep_until(at) => {}
        }
        let ts = Utc::now();
        let (body, error) = tokio::select! {
            _ = shutdown.cancelled() => return,
            result = measure() => result,
        };
        match (&failing, &error) {
            (None, Some(e)) => warn!(probe = %name, error = %e, "Probe failing; reporting loss."),
            (Some(_), None) => info!(probe = %name, "Probe recovered."),
            _ => {}
        }
        failing = error;
        match tx.try_send(Measurement { ts, body }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let total = DROPPED.fetch_add(1, Ordering::Relaxed) + 1;
                warn!(probe = %name, dropped_total = total, "Measurement channel full; dropping this reading.");
            }
            Err(TrySendError::Closed(_)) => {
                info!(probe = %name, "Recorder stopped; probe task ends.");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coverage_shared::wire::{Latency, Link, Method};

    fn body() -> Body {
        Body::Latency(Latency {
            target: "t".into(),
            method: Method::Tcp,
            link: Link::Other,
            interface: None,
            sent: 1,
            received: 1,
            dup: 0,
            rtt_ms: None,
            jitter_ms: None,
            rtts_ms: vec![Some(1.0)],
            refused: None,
            error: None,
        })
    }

    #[test]
    fn the_phase_is_within_the_first_interval_and_slots_are_fixed_rate() {
        for _ in 0..200 {
            let s = Schedule::new(Duration::from_secs(60), Duration::from_secs(6));
            assert!(s.phase < Duration::from_secs(60));
            assert_eq!(s.slot(3) - s.slot(2), Duration::from_secs(60));
            assert!(s.jitter_delay() <= Duration::from_secs(6));
        }
    }

    #[test]
    fn phases_spread_a_fleet_over_the_interval() {
        let phases: Vec<f64> = (0..2000)
            .map(|_| {
                Schedule::new(Duration::from_secs(60), Duration::ZERO)
                    .phase
                    .as_secs_f64()
            })
            .collect();
        // Uniform on [0, 60): each 10 s bucket gets about a sixth.
        for b in 0..6 {
            let n = phases.iter().filter(|p| (**p / 10.0) as usize == b).count();
            assert!((250..420).contains(&n), "bucket {b}: {n}");
        }
    }

    #[test]
    fn missed_slots_are_skipped() {
        let s = Schedule {
            interval: Duration::from_secs(10),
            jitter: Duration::ZERO,
            phase: Duration::from_secs(3),
        };
        assert_eq!(s.next_slot(None, Duration::ZERO), 0);
        assert_eq!(s.next_slot(Some(0), Duration::from_secs(5)), 1);
        // Round 1 (at 13 s) ran until 37 s: slots 2 (23 s) and 3 (33 s) are gone.
        assert_eq!(s.next_slot(Some(1), Duration::from_secs(37)), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_channel_drops_the_newest_reading_and_never_blocks() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let shutdown = CancellationToken::new();
        let schedule = Schedule {
            interval: Duration::from_secs(1),
            jitter: Duration::ZERO,
            phase: Duration::ZERO,
        };
        let before = dropped_readings();
        let mut n = 0u32;
        let task = tokio::spawn(run_schedule(
            "t".into(),
            schedule,
            tx,
            shutdown.clone(),
            move || {
                n += 1;
                let mut b = body();
                if let Body::Latency(l) = &mut b {
                    l.sent = n;
                }
                async move { (b, None) }
            },
        ));
        tokio::time::sleep(Duration::from_millis(3500)).await;
        // Rounds at 0, 1, 2, 3 s: the first is queued, the next three are dropped.
        assert!(dropped_readings() - before >= 3);
        let first = rx.recv().await.unwrap();
        assert!(
            matches!(first.body, Body::Latency(ref l) if l.sent == 1),
            "the oldest is kept"
        );
        shutdown.cancel();
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_channel_ends_the_task() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        drop(rx);
        let schedule = Schedule::new(Duration::from_secs(1), Duration::ZERO);
        run_schedule(
            "t".into(),
            schedule,
            tx,
            CancellationToken::new(),
            || async { (body(), None) },
        )
        .await;
    }
}

//! Probes: latency rounds (ICMP echo, TCP connect, HTTP(S), DNS) and rare throughput
//! transfers over the site's links, each turned into one wire-format reading.
//!
//! A **round** sends `count` probes `spacing` apart to one target, waits at most `timeout` for
//! each, and becomes one `latency` reading: `sent`, `received` (duplicates excluded), `dup`,
//! every probe's RTT in send order (`null` when lost) and the statistics of [`stats`]. A round
//! never fails as a whole: when it cannot be measured (the bound interface is missing or down,
//! the name does not resolve, ICMP sockets are not permitted) it is still a reading, with
//! every probe lost and `error` saying why, because for a fibre link "could not reach" *is*
//! the measurement (DESIGN.md, fibre semantics).
//!
//! What counts as an answer, per method (each probe's RTT is measured from just before the
//! send to the moment the answer is read, on the monotonic clock, rounded to the microsecond):
//!
//! | method | probe | answered when | lost when |
//! |---|---|---|---|
//! | `icmp` | one echo request ([`icmp`]) | the echo reply with our sequence comes from the target within `timeout` | no reply in time (a later one is ignored), ICMP error, send error |
//! | `tcp` | one connect ([`tcp`]) | SYN-ACK **or RST** ("connection refused"): the host answered, so it is reachable; the RTT is the handshake's | no answer in time, host/network unreachable |
//! | `http` | one request on a new connection ([`http`]) | the response headers arrive, **any status** (time to first byte, including connect and TLS) | no response in time, connection or TLS error |
//! | `dns` | one query from a new UDP socket ([`dns`]) | a response with our id and question, **any rcode** | no response in time, ICMP port unreachable |
//!
//! TCP treats a refusal as an answer because the question a TCP round asks is "is the host
//! reachable over this link": an RST can only come back if the path works. The reading says how
//! many answers were refusals (`refused`, DESIGN.md), so `check` and `measure` can say "refused
//! (host reachable, port closed)" instead of claiming the service answered. HTTP and DNS ask
//! whether a *service* answers, so only a protocol answer counts. Duplicates can only be seen
//! for ICMP (one socket hears every copy of a reply); TCP, HTTP and DNS report `dup` 0.
//!
//! Modules: [`config`] (TOML and validation), [`stats`] (pure statistics), [`net`] (interface
//! checks, binding, resolution, errors), one module per method, [`throughput`], and
//! [`schedule`] ([`spawn_probes`]: one task per probe, jittered, never blocking).

pub mod config;
pub mod dns;
pub mod http;
pub mod icmp;
pub mod net;
pub mod schedule;
pub mod stats;
pub mod tcp;
pub mod throughput;

use std::future::Future;
use std::time::Duration;

use coverage_shared::wire::{Latency, Method, RttStats};
use futures::future::join_all;
use tokio::time::Instant;

pub use config::{
    Family, ProbeConfig, ProbeConfigError, RawProbeConfig, RawThroughputConfig, Target,
    ThroughputConfig, validate_names,
};
pub use net::ProbeError;
pub use schedule::{dropped_readings, spawn_probes};
pub use stats::{RoundStats, round_stats};
pub use throughput::run_throughput;

/// Runs one round of `cfg` now and returns its reading body. Never fails: a round that cannot
/// be measured is all loss with `error` set (module docs). Takes at most
/// `cfg.round_span()` plus name resolution.
pub async fn run_round(cfg: &ProbeConfig) -> Latency {
    let count = cfg.count() as usize;
    let outcome = match measure(cfg).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::failed(count, e.to_string()),
    };
    outcome.into_latency(cfg)
}

async fn measure(cfg: &ProbeConfig) -> Result<Outcome, ProbeError> {
    if let Some(i) = cfg.interface() {
        net::check_interface(i)?;
    }
    let ip = net::resolve(
        cfg.target().host(),
        cfg.family(),
        cfg.timeout().max(Duration::from_secs(2)),
    )
    .await?;
    match cfg.method() {
        Method::Icmp => icmp::round(cfg, ip).await,
        Method::Tcp => Ok(tcp::round(cfg, ip).await),
        Method::Http => http::round(cfg, ip).await,
        Method::Dns => Ok(dns::round(cfg, ip).await),
    }
}

/// What a round measured, before statistics.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    /// Per probe, in send order: the RTT, or `None` when lost.
    pub(crate) rtts: Vec<Option<Duration>>,
    /// Duplicate replies.
    pub(crate) dup: u32,
    /// Why probes were lost, when something other than silence explains it.
    pub(crate) error: Option<String>,
    /// TCP only: how many answers were refusals (RST); `None` for other methods.
    pub(crate) refused: Option<u32>,
}

impl Outcome {
    /// A round in which nothing could be sent.
    pub(crate) fn failed(count: usize, error: String) -> Outcome {
        Outcome {
            rtts: vec![None; count],
            dup: 0,
            error: Some(error),
            refused: None,
        }
    }

    /// Collects per-probe results: the first error (other than a timeout) explains the round.
    pub(crate) fn from_probes(results: Vec<ProbeResult>) -> Outcome {
        let mut failures = 0;
        let mut first = None;
        let rtts = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| match r {
                ProbeResult::Answered(d) => Some(d),
                ProbeResult::TimedOut => None,
                ProbeResult::Failed(e) => {
                    failures += 1;
                    first.get_or_insert(format!("probe {}: {e}", i + 1));
                    None
                }
            })
            .collect();
        Outcome {
            rtts,
            dup: 0,
            error: first.map(|f| match failures {
                1 => f,
                n => format!("{n} probes failed; first: {f}"),
            }),
            refused: None,
        }
    }

    fn into_latency(self, cfg: &ProbeConfig) -> Latency {
        let rtts_ms: Vec<Option<f64>> = self.rtts.iter().map(|r| r.map(duration_ms)).collect();
        let s = stats::round_stats(&rtts_ms, self.dup);
        Latency {
            target: cfg.target_text().to_string(),
            method: cfg.method(),
            link: cfg.link(),
            interface: cfg.interface().map(str::to_string),
            sent: s.sent,
            received: s.received,
            dup: s.dup,
            rtt_ms: s.rtt.map(|r| RttStats {
                min: tidy(r.min),
                p50: tidy(r.p50),
                mean: tidy(r.mean),
                p95: tidy(r.p95),
                max: tidy(r.max),
                stddev: tidy(r.stddev),
            }),
            jitter_ms: s.jitter_ms.map(tidy),
            rtts_ms,
            refused: self.refused,
            error: self.error,
        }
    }
}

/// A duration in milliseconds, rounded to the microsecond (the precision we claim; iputils
/// prints the same).
pub(crate) fn duration_ms(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1_000.0).round() / 1_000.0
}

/// Rounds a derived statistic to the nanosecond: drops float noise (`0.30000000000000004`)
/// without losing the precision of the microsecond inputs.
fn tidy(ms: f64) -> f64 {
    (ms * 1e6).round() / 1e6
}

/// The result of one probe in a paced round.
#[derive(Debug)]
pub(crate) enum ProbeResult {
    /// Answered after this long.
    Answered(Duration),
    /// No answer within the timeout.
    TimedOut,
    /// Lost for a reason worth reporting.
    Failed(ProbeError),
}

/// Runs `count` independent probes, probe `i` starting at `start + i × spacing` (ping -i
/// pacing: a slow probe never delays the next one), each bounded by `timeout`.
pub(crate) async fn paced<F, Fut>(
    count: usize,
    spacing: Duration,
    timeout: Duration,
    probe: F,
) -> Vec<ProbeResult>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<Duration, ProbeError>>,
{
    let start = Instant::now();
    join_all((0..count).map(|i| {
        let fut = probe(i);
        async move {
            tokio::time::sleep_until(start + spacing * i as u32).await;
            match tokio::time::timeout(timeout, fut).await {
                Ok(Ok(rtt)) if rtt <= timeout => ProbeResult::Answered(rtt),
                Ok(Ok(_)) | Err(_) => ProbeResult::TimedOut,
                Ok(Err(e)) => ProbeResult::Failed(e),
            }
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_become_milliseconds_with_microsecond_precision() {
        assert_eq!(duration_ms(Duration::from_nanos(8_499)), 0.008);
        assert_eq!(duration_ms(Duration::from_nanos(8_500)), 0.009);
        assert_eq!(duration_ms(Duration::from_millis(1234)), 1234.0);
    }

    #[test]
    fn the_first_real_error_explains_the_round() {
        let o = Outcome::from_probes(vec![
            ProbeResult::Answered(Duration::from_millis(1)),
            ProbeResult::TimedOut,
            ProbeResult::Failed(ProbeError::Other("network unreachable".into())),
            ProbeResult::Failed(ProbeError::Other("network unreachable".into())),
        ]);
        assert_eq!(
            o.rtts,
            vec![Some(Duration::from_millis(1)), None, None, None]
        );
        assert_eq!(
            o.error.as_deref(),
            Some("2 probes failed; first: probe 3: network unreachable")
        );
        let quiet = Outcome::from_probes(vec![ProbeResult::TimedOut]);
        assert_eq!(quiet.error, None, "silence is loss, not an error");
    }

    #[tokio::test(start_paused = true)]
    async fn paced_probes_start_on_schedule_and_time_out_independently() {
        let results = paced(
            3,
            Duration::from_secs(1),
            Duration::from_millis(500),
            |i| async move {
                let started = Instant::now();
                // Probe 1 never answers; the others answer after 10 ms.
                let wait = if i == 1 {
                    Duration::from_secs(60)
                } else {
                    Duration::from_millis(10)
                };
                tokio::time::sleep(wait).await;
                Ok(started.elapsed())
            },
        )
        .await;
        assert!(matches!(results[0], ProbeResult::Answered(d) if d == Duration::from_millis(10)));
        assert!(matches!(results[1], ProbeResult::TimedOut));
        assert!(matches!(results[2], ProbeResult::Answered(_)));
    }
}

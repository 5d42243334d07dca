//! Throughput transfers: one HTTP download (GET) or upload (POST of zeros), bounded by bytes
//! and time, reported in Mbit/s.
//!
//! Off by default and scheduled rarely (default every 6 h): a transfer costs the site's data
//! and loads the link it measures, so latency rounds on the same link during a transfer see
//! the load. It runs in its own task and never delays a latency round.
//!
//! **Download**: the clock starts when the response headers arrive (connection setup and the
//! server's think time are latency, not throughput) and stops at the last byte counted; the
//! transfer stops at `max_bytes` or `max_duration`, whichever comes first, and stopping at
//! either is a normal end, not an error. A non-2xx status is an error with no rate.
//! **Upload**: a chunked POST body of zeros, cut at `max_bytes` or `max_duration`; the clock
//! runs from the request to the response headers (the server has read the body by then).
//! `mbps = bytes × 8 / seconds / 10⁶` (decimal megabits, as speed tests and QCVN 34 quote).
//! A transfer that could not run (interface down, name unresolved, connect failure) has
//! `bytes` 0, `mbps` null and `error` set.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coverage_shared::wire::{Direction, Throughput};
use tokio::time::Instant;

use super::config::ThroughputConfig;
use super::http::{client, error_chain};
use super::net::{self, ProbeError};

/// Size of each upload body chunk.
const CHUNK: usize = 64 * 1024;

/// Runs one transfer now and returns its reading body. Never fails: errors go in `error`.
pub async fn run_throughput(cfg: &ThroughputConfig) -> Throughput {
    let mut reading = Throughput {
        target: cfg.url_text().to_string(),
        link: cfg.link(),
        interface: cfg.interface().map(str::to_string),
        direction: cfg.direction(),
        bytes: 0,
        duration_ms: 0.0,
        mbps: None,
        error: None,
    };
    match transfer(cfg).await {
        Ok((bytes, duration)) => {
            reading.bytes = bytes;
            reading.duration_ms = super::duration_ms(duration);
            reading.mbps = mbps(bytes, duration);
        }
        Err((bytes, duration, e)) => {
            reading.bytes = bytes;
            reading.duration_ms = super::duration_ms(duration);
            reading.error = Some(e.to_string());
        }
    }
    reading
}

/// Mean rate in Mbit/s; `None` for an empty or instantaneous transfer.
pub fn mbps(bytes: u64, duration: Duration) -> Option<f64> {
    let secs = duration.as_secs_f64();
    (bytes > 0 && secs > 0.0).then(|| (bytes as f64 * 8.0 / secs / 1e6 * 1000.0).round() / 1000.0)
}

type Failure = (u64, Duration, ProbeError);

async fn transfer(cfg: &ThroughputConfig) -> Result<(u64, Duration), Failure> {
    let fail = |e| (0, Duration::ZERO, e);
    if let Some(i) = cfg.interface() {
        net::check_interface(i).map_err(fail)?;
    }
    let host = cfg
        .url()
        .host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']');
    let ip = net::resolve(host, cfg.family(), Duration::from_secs(10))
        .await
        .map_err(fail)?;
    // The whole transfer, setup included, is bounded; the rate clock is separate.
    let deadline = Instant::now() + cfg.max_duration() + Duration::from_secs(10);
    let http = client(
        cfg.url(),
        ip,
        cfg.interface(),
        cfg.max_duration() + Duration::from_secs(10),
    )
    .map_err(fail)?;
    let http_err = |e: reqwest::Error| ProbeError::Other(error_chain(&e));
    match cfg.direction() {
        Direction::Down => {
            let mut response =
                tokio::time::timeout_at(deadline, http.get(cfg.url().clone()).send())
                    .await
                    .map_err(|_| fail(ProbeError::Other("no response before the deadline".into())))?
                    .map_err(|e| fail(http_err(e)))?;
            if !response.status().is_success() {
                return Err(fail(ProbeError::Other(format!(
                    "HTTP status {}",
                    response.status()
                ))));
            }
            let start = Instant::now();
            let stop = start + cfg.max_duration();
            let mut bytes = 0u64;
            while bytes < cfg.max_bytes() {
                match tokio::time::timeout_at(stop, response.chunk()).await {
                    Err(_) | Ok(Ok(None)) => break, // time bound reached, or end of body
                    Ok(Ok(Some(chunk))) => bytes += chunk.len() as u64,
                    Ok(Err(e)) => return Err((bytes, start.elapsed(), http_err(e))),
                }
            }
            Ok((bytes.min(cfg.max_bytes()), start.elapsed()))
        }
        Direction::Up => {
            let sent = Arc::new(AtomicU64::new(0));
            let start = Instant::now();
            let body = upload_body(cfg.max_bytes(), start + cfg.max_duration(), sent.clone());
            let result = tokio::time::timeout_at(
                deadline,
                http.post(cfg.url().clone())
                    .body(reqwest::Body::wrap_stream(body))
                    .send(),
            )
            .await;
            let (bytes, elapsed) = (sent.load(Ordering::Relaxed), start.elapsed());
            match result {
                Err(_) => Err((
                    bytes,
                    elapsed,
                    ProbeError::Other("no response before the deadline".into()),
                )),
                Ok(Err(e)) => Err((bytes, elapsed, http_err(e))),
                Ok(Ok(r)) if !r.status().is_success() => Err((
                    bytes,
                    elapsed,
                    ProbeError::Other(format!("HTTP status {}", r.status())),
                )),
                Ok(Ok(_)) => Ok((bytes, elapsed)),
            }
        }
    }
}

/// Zeros in [`CHUNK`]s until `max_bytes` are out or `stop` has passed; counts what it yields.
fn upload_body(
    max_bytes: u64,
    stop: Instant,
    sent: Arc<AtomicU64>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    futures::stream::unfold(0u64, move |done| {
        let sent = sent.clone();
        async move {
            if done >= max_bytes || Instant::now() >= stop {
                return None;
            }
            let n = (max_bytes - done).min(CHUNK as u64);
            sent.fetch_add(n, Ordering::Relaxed);
            Some((Ok(vec![0u8; n as usize]), done + n))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_decimal_megabits_per_second() {
        assert_eq!(mbps(10_000_000, Duration::from_secs(8)), Some(10.0));
        assert_eq!(mbps(1_250_000, Duration::from_millis(100)), Some(100.0));
        assert_eq!(mbps(0, Duration::from_secs(1)), None);
        assert_eq!(mbps(5, Duration::ZERO), None);
    }
}

//! Line protocol POSTed to an InfluxDB 1.x `/write?db=..&rp=..&precision=ms`, in batches.
//!
//! Generation and HTTP overlap: batches are built on the calling thread and sent, in order, by
//! one writer thread over one keep-alive connection, with at most [`QUEUED_BATCHES`] waiting.
//! Any answer but 204 stops the run with the status and InfluxDB's message. Plain HTTP only:
//! the generator loads servers on this machine (loopback).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use coverage_shared::wire::Reading;

use crate::GenError;
use crate::output::lines::line_batches;
use crate::placement::Placer;

/// Batches built ahead of the writer.
pub const QUEUED_BATCHES: usize = 4;

/// Where and how to write.
#[derive(Debug, Clone)]
pub struct InfluxTarget {
    /// Base URL, e.g. `http://127.0.0.1:8086`.
    pub url: String,
    /// Database (`db`).
    pub database: String,
    /// Retention policy (`rp`); the database's default when `None`.
    pub retention_policy: Option<String>,
    /// Lines per POST (InfluxDB recommends 5,000).
    pub batch_lines: usize,
}

/// What a write run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteStats {
    /// Points written.
    pub points: u64,
    /// POSTs sent.
    pub batches: u64,
    /// Bytes of line protocol sent.
    pub bytes: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

fn response(
    url: &str,
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<(u16, String), GenError> {
    let mut r = result.map_err(|e| GenError::Http {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    let status = r.status().as_u16();
    let body = r
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .lossy_utf8(true)
        .read_to_string()
        .unwrap_or_default();
    Ok((status, body))
}

/// `CREATE DATABASE` on the server at `url` (a no-op when it exists).
pub fn create_database(url: &str, database: &str) -> Result<(), GenError> {
    let endpoint = format!("{}/query", url.trim_end_matches('/'));
    let q = format!(
        "CREATE DATABASE \"{}\"",
        database.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let (status, body) = response(
        &endpoint,
        agent().post(&endpoint).send_form([("q", q.as_str())]),
    )?;
    if status != 200 || body.contains("\"error\"") {
        return Err(GenError::Refused {
            url: endpoint,
            status,
            body,
        });
    }
    Ok(())
}

/// Writes `readings` as the collector would (placement tags from `placer`) to `target`.
pub fn write_influx(
    readings: impl IntoIterator<Item = Reading>,
    placer: &mut Placer,
    target: &InfluxTarget,
) -> Result<WriteStats, GenError> {
    let started = Instant::now();
    let endpoint = format!("{}/write", target.url.trim_end_matches('/'));
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(QUEUED_BATCHES);
    let writer = {
        let endpoint = endpoint.clone();
        let target = target.clone();
        std::thread::spawn(move || -> Result<(), GenError> {
            let agent = agent();
            for body in rx {
                let mut request = agent
                    .post(&endpoint)
                    .query("db", &target.database)
                    .query("precision", "ms");
                if let Some(rp) = &target.retention_policy {
                    request = request.query("rp", rp);
                }
                let (status, text) = response(
                    &endpoint,
                    request
                        .content_type("text/plain; charset=utf-8")
                        .send(&body[..]),
                )?;
                if status != 204 {
                    return Err(GenError::Refused {
                        url: endpoint,
                        status,
                        body: text,
                    });
                }
            }
            Ok(())
        })
    };
    let (mut points, mut batches, mut bytes) = (0u64, 0u64, 0u64);
    for (n, body) in line_batches(readings, placer, target.batch_lines) {
        points += n as u64;
        batches += 1;
        bytes += body.len() as u64;
        if tx.send(body).is_err() {
            // The writer stopped on an error: report it below.
            break;
        }
    }
    drop(tx);
    writer.join().map_err(|_| GenError::Http {
        url: endpoint.clone(),
        message: "the writer thread panicked".into(),
    })??;
    Ok(WriteStats {
        points,
        batches,
        bytes,
        elapsed: started.elapsed(),
    })
}

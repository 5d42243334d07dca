//! A real VictoriaMetrics 1.79.5 (Debian package `victoria-metrics`) for one test: the real
//! server behind the collector's InfluxDB v2 write path (`/api/v2/write`).
//!
//! Flags: `-httpListenAddr` on a free loopback port, `-storageDataPath` in a temp dir,
//! `-search.latencyOffset=1s` (default 30 s: fresh samples would stay invisible),
//! `-dedup.minScrapeInterval=1ms` (otherwise a point written twice is stored twice), and
//! `-retentionPeriod=100y` (the default of one month silently refuses the past periods the
//! tests simulate; VM still refuses timestamps more than about 2 days in the future).
//!
//! What it does with line protocol (infra-notes §5): `/api/v2/write` ignores the bucket (no `db`
//! label); a point becomes one series per field, `{measurement}_{field}`, with the tags as
//! labels; string fields are stored as 0; malformed lines are skipped with a 204. Read back
//! through `/api/v1/export` after [`VictoriaMetrics::force_flush`].
//!
//! Readiness: `GET /health` answers 200, within [`READY_TIMEOUT`].

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use tempfile::TempDir;

use crate::binaries::require_binary;
use crate::http;
use crate::ports::{free_port, says_addr_in_use};
use crate::process::{Daemon, temp_dir};

/// How long VictoriaMetrics may take to answer `/health` (well under a second here).
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a start is tried on a new port when the port was taken meanwhile.
const START_ATTEMPTS: usize = 5;

/// A running `victoria-metrics`, stopped (and its directory removed) on `Drop`.
#[derive(Debug)]
pub struct VictoriaMetrics {
    /// Declared before `dir` so the process stops before its files go.
    daemon: Daemon,
    port: u16,
    dir: TempDir,
}

impl VictoriaMetrics {
    /// Starts VictoriaMetrics on a free loopback port and waits until `/health` answers.
    pub fn start() -> Result<Self> {
        let binary = require_binary("victoria-metrics")?;
        let dir = temp_dir("vm")?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let mut command = Command::new(&binary);
            command.args([
                format!("-httpListenAddr={}:{port}", crate::LOOPBACK),
                format!("-storageDataPath={}", dir.path().join("data").display()),
                "-search.latencyOffset=1s".into(),
                "-dedup.minScrapeInterval=1ms".into(),
                "-retentionPeriod=100y".into(),
            ]);
            let mut daemon = Daemon::spawn(
                "victoria-metrics",
                command,
                dir.path().join("victoria-metrics.log"),
            )?;
            match wait_ready(&mut daemon, port) {
                Ok(()) => return Ok(VictoriaMetrics { daemon, port, dir }),
                Err(_) if attempt < START_ATTEMPTS && says_addr_in_use(&daemon.run_log()) => {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Base URL: `http://127.0.0.1:{port}` (the InfluxDB v2 client's server URL).
    pub fn url(&self) -> String {
        format!("http://{}:{}", crate::LOOPBACK, self.port)
    }

    /// The HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's temp dir (log, `data/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    crate::process::forward_to_daemon!();

    /// Starts the server again on the same port with the same data (stopping it first if it
    /// runs) and waits until it answers.
    pub fn restart(&mut self) -> Result<()> {
        self.daemon
            .restart_until_ready(|daemon| wait_ready(daemon, self.port))
    }

    /// Makes everything written so far visible to queries and exports at once.
    pub fn force_flush(&self) -> Result<()> {
        let url = format!("{}/internal/force_flush", self.url());
        let response = http::get(&url, &[])?;
        if response.status != 200 {
            bail!(
                "force_flush failed with HTTP {}: {}",
                response.status,
                response.body
            );
        }
        Ok(())
    }

    /// Writes line protocol through the InfluxDB v2 API (`/api/v2/write`, bucket and org
    /// `coverage`, which VM ignores) with timestamps in `precision` (`ns`, `us`, `ms`, `s`).
    pub fn write_lp_v2(&self, lines: &str, precision: &str) -> Result<()> {
        let url = format!("{}/api/v2/write", self.url());
        let query = [
            ("bucket", "coverage"),
            ("org", "coverage"),
            ("precision", precision),
        ];
        let response = http::post(&url, &query, lines.as_bytes())?;
        if response.status != 204 {
            bail!(
                "/api/v2/write failed with HTTP {}: {}",
                response.status,
                response.body
            );
        }
        Ok(())
    }

    /// Exports the series matching the series selector `selector` (e.g.
    /// `{__name__=~"signal_.*"}`) with `/api/v1/export`: one JSON object per series,
    /// `{"metric": {labels}, "values": [..], "timestamps": [ms, ..]}`. Call
    /// [`force_flush`](Self::force_flush) first for just-written data.
    pub fn export(&self, selector: &str) -> Result<Vec<Value>> {
        let url = format!("{}/api/v1/export", self.url());
        let response = http::post_form(&url, &[("match[]", selector)])?;
        if response.status != 200 {
            bail!(
                "export of {selector} failed with HTTP {}: {}",
                response.status,
                response.body
            );
        }
        response
            .body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).with_context(|| format!("export line is not JSON: {l}"))
            })
            .collect()
    }

    /// Runs a PromQL/MetricsQL instant query (`/api/v1/query`) and returns `data.result`.
    pub fn query(&self, promql: &str) -> Result<Vec<Value>> {
        let url = format!("{}/api/v1/query", self.url());
        let response = http::post_form(&url, &[("query", promql)])?;
        let body: Value = serde_json::from_str(&response.body)
            .with_context(|| format!("query answer is not JSON: {}", response.body))?;
        if response.status != 200 || body["status"] != "success" {
            bail!(
                "query {promql} failed with HTTP {}: {}",
                response.status,
                response.body
            );
        }
        Ok(body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

fn wait_ready(daemon: &mut Daemon, port: u16) -> Result<()> {
    let health = format!("http://{}:{port}/health", crate::LOOPBACK);
    daemon.wait_ready(READY_TIMEOUT, &format!("GET {health} answers 200"), |_| {
        http::answers(&health, 200)
    })
}

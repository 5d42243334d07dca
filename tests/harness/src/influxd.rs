//! A real InfluxDB 1.6.7 (Debian package `influxdb`) for one test.
//!
//! The cut-down config of infra-notes §4: the HTTP API and the RPC (backup) service both bound
//! to free loopback ports (by default the RPC service listens on :8088 on every interface, and
//! two servers would clash), meta/data/wal directories in a temp dir, the in-memory index,
//! reporting, query log and self-monitoring off.
//!
//! What 1.6.7 speaks: `/write?db=` (line protocol, 204) and InfluxQL on `/query`; no `/api/v2`,
//! no Flux, no `/health`. Writing to a database that does not exist is 404 ([`Influxd::create_db`]
//! first); `u` integers and empty tag values are 400.
//!
//! Readiness: `GET /ping` answers 204, within [`READY_TIMEOUT`].

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};
use tempfile::TempDir;

use crate::binaries::require_binary;
use crate::http;
use crate::ports::{free_port, says_addr_in_use};
use crate::process::{Daemon, temp_dir};

/// How long influxd may take to answer `/ping`: about 1 s here, but several on a loaded CI
/// machine starting three at once (a 30 s limit was once hit there).
pub const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// How many times a start is tried on new ports when a port was taken meanwhile.
const START_ATTEMPTS: usize = 5;

/// How a server is started: [`Influxd::start_with`].
#[derive(Debug, Clone, Default)]
pub struct InfluxdOptions {
    auth: bool,
}

impl InfluxdOptions {
    /// `[http] auth-enabled = true`: every query and write needs a user (the first admin user
    /// may be created without one). The helpers of [`Influxd`] send none, so with auth they only
    /// serve for `CREATE USER ... WITH ALL PRIVILEGES`.
    pub fn with_auth(mut self) -> Self {
        self.auth = true;
        self
    }
}

/// A running `influxd`, stopped (and its directory removed) on `Drop`.
#[derive(Debug)]
pub struct Influxd {
    /// Declared before `dir` so the process stops before its files go.
    daemon: Daemon,
    http_port: u16,
    rpc_port: u16,
    dir: TempDir,
}

impl Influxd {
    /// Starts influxd on free loopback ports and waits until `/ping` answers.
    pub fn start() -> Result<Self> {
        Influxd::start_with(InfluxdOptions::default())
    }

    /// Starts influxd with `options` on free loopback ports and waits until `/ping` answers.
    pub fn start_with(options: InfluxdOptions) -> Result<Self> {
        let binary = require_binary("influxd")?;
        let dir = temp_dir("influxd")?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let http_port = free_port()?;
            let rpc_port = free_port()?;
            let conf = dir.path().join("influxdb.conf");
            std::fs::write(&conf, config(dir.path(), http_port, rpc_port, options.auth))
                .context("writing influxdb.conf")?;
            let mut command = Command::new(&binary);
            command.arg("run").arg("-config").arg(&conf);
            // Settings come from the file only, not from INFLUXDB_* variables of the caller.
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("INFLUXDB_") {
                    command.env_remove(key);
                }
            }
            let mut daemon = Daemon::spawn("influxd", command, dir.path().join("influxd.log"))?;
            match wait_ready(&mut daemon, http_port) {
                Ok(()) => {
                    return Ok(Influxd {
                        daemon,
                        http_port,
                        rpc_port,
                        dir,
                    });
                }
                Err(_) if attempt < START_ATTEMPTS && says_addr_in_use(&daemon.run_log()) => {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Base URL of the HTTP API: `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}:{}", crate::LOOPBACK, self.http_port)
    }

    /// Port of the HTTP API.
    pub fn port(&self) -> u16 {
        self.http_port
    }

    /// Port of the RPC (backup/restore) service.
    pub fn rpc_port(&self) -> u16 {
        self.rpc_port
    }

    /// The server's temp dir (config, log, meta/data/wal).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    crate::process::forward_to_daemon!();

    /// Starts the server again on the same ports with the same data (stopping it first if it
    /// runs) and waits until it answers.
    pub fn restart(&mut self) -> Result<()> {
        self.daemon
            .restart_until_ready(|daemon| wait_ready(daemon, self.http_port))
    }

    /// `CREATE DATABASE "name"`.
    pub fn create_db(&self, name: &str) -> Result<()> {
        self.query("", &format!("CREATE DATABASE {}", quote_ident(name)))
            .map(|_| ())
            .with_context(|| format!("creating database {name}"))
    }

    /// Runs InfluxQL `q` on database `db` (empty for none) and returns the JSON response.
    /// Times are RFC 3339 strings; see [`query_epoch`](Self::query_epoch). An error in any
    /// statement is an `Err`.
    pub fn query(&self, db: &str, q: &str) -> Result<Value> {
        self.query_with(db, q, None)
    }

    /// Like [`query`](Self::query) with times as integers in `epoch` (`ns`, `u`, `ms`, `s`,
    /// `m`, `h`).
    pub fn query_epoch(&self, db: &str, q: &str, epoch: &str) -> Result<Value> {
        self.query_with(db, q, Some(epoch))
    }

    fn query_with(&self, db: &str, q: &str, epoch: Option<&str>) -> Result<Value> {
        let mut form = vec![("q", q)];
        if !db.is_empty() {
            form.push(("db", db));
        }
        if let Some(epoch) = epoch {
            form.push(("epoch", epoch));
        }
        let url = format!("{}/query", self.url());
        let response = http::post_form(&url, &form)?;
        let body: Value = serde_json::from_str(&response.body).with_context(|| {
            format!(
                "InfluxDB answered {} with a non-JSON body: {}",
                response.status, response.body
            )
        })?;
        if response.status != 200 {
            bail!(
                "InfluxQL `{q}` failed with HTTP {}: {}",
                response.status,
                response.body
            );
        }
        let statement_error = body["results"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|r| r["error"].as_str());
        if let Some(error) = body["error"].as_str().or(statement_error) {
            bail!("InfluxQL `{q}` failed: {error}");
        }
        Ok(body)
    }

    /// Runs `q` and flattens the result into rows: one map per value row, column name to value,
    /// plus the series' tags (from `GROUP BY`) and `_measurement`. Times as in
    /// [`query`](Self::query).
    pub fn query_rows(&self, db: &str, q: &str) -> Result<Vec<Map<String, Value>>> {
        Ok(rows(&self.query(db, q)?))
    }

    /// Writes line protocol `lines` (nanosecond timestamps) to `db`; anything but 204 is an
    /// `Err` with the status and body.
    pub fn write_lp(&self, db: &str, lines: &str) -> Result<()> {
        self.write_lp_with_precision(db, lines, "ns")
    }

    /// Writes line protocol with timestamps in `precision` (`ns`, `u`, `ms`, `s`, `m`, `h`).
    pub fn write_lp_with_precision(&self, db: &str, lines: &str, precision: &str) -> Result<()> {
        let url = format!("{}/write", self.url());
        let response = http::post(
            &url,
            &[("db", db), ("precision", precision)],
            lines.as_bytes(),
        )?;
        if response.status != 204 {
            bail!(
                "write to {db} failed with HTTP {}: {}",
                response.status,
                response.body
            );
        }
        Ok(())
    }
}

/// Flattens an InfluxQL JSON response into rows (see [`Influxd::query_rows`]).
fn rows(body: &Value) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    let results = body["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for series in results
        .iter()
        .filter_map(|r| r["series"].as_array())
        .flatten()
    {
        let columns = series["columns"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let values = series["values"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for value_row in values {
            let mut row = Map::new();
            if let Some(name) = series.get("name") {
                row.insert("_measurement".into(), name.clone());
            }
            if let Some(tags) = series["tags"].as_object() {
                row.extend(tags.clone());
            }
            let cells = value_row.as_array().map(Vec::as_slice).unwrap_or_default();
            for (column, cell) in columns.iter().zip(cells) {
                row.insert(column.as_str().unwrap_or_default().to_owned(), cell.clone());
            }
            rows.push(row);
        }
    }
    rows
}

/// Double-quotes an InfluxQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

fn wait_ready(daemon: &mut Daemon, http_port: u16) -> Result<()> {
    let ping = format!("http://{}:{http_port}/ping", crate::LOOPBACK);
    daemon.wait_ready(READY_TIMEOUT, &format!("GET {ping} answers 204"), |_| {
        http::answers(&ping, 204)
    })
}

fn config(dir: &Path, http_port: u16, rpc_port: u16, auth: bool) -> String {
    let d = dir.display();
    let lo = crate::LOOPBACK;
    // `reporting-enabled` is this Debian build's key, `reporting-disabled` upstream's; unknown
    // keys are ignored.
    format!(
        r#"# Generated by coverage-harness (infra-notes §4).
reporting-enabled = false
reporting-disabled = true
bind-address = "{lo}:{rpc_port}"

[meta]
  dir = "{d}/meta"
  logging-enabled = false

[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
  index-version = "inmem"

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "{lo}:{http_port}"
  auth-enabled = {auth}
  log-enabled = false
  pprof-enabled = false

[ifql]
  enabled = false

[continuous_queries]
  log-enabled = false
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_flatten_series_with_tags() {
        let body = serde_json::json!({"results": [{"statement_id": 0, "series": [
            {"name": "signal", "tags": {"site": "a"}, "columns": ["time", "n"],
             "values": [["t1", 1], ["t2", 2]]},
            {"name": "signal", "tags": {"site": "b"}, "columns": ["time", "n"],
             "values": [["t1", 3]]}
        ]}]});
        let rows = rows(&body);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2]["site"], "b");
        assert_eq!(rows[2]["n"], 3);
        assert_eq!(rows[0]["_measurement"], "signal");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a\"b""#);
    }
}

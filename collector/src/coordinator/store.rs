//! The coordinator's view of the store: InfluxQL statements answered as JSON series, derived
//! points written to the `rollups` retention policy, and the retention policies created at
//! start-up; or, in archive mode (the demo), the archive file and `rollups.lp` beside it.
//!
//! Every coordinator task (rollups, site status) reads what is **stored** through this one
//! reader, never what its own instance received, so N collectors give the same derived points
//! as one (docs/operations.md "Who computes what").
//!
//! - [`InfluxStore::query`] runs one InfluxQL statement on `/query` (`epoch=ms`, so times come
//!   back as integer milliseconds) and returns its series with cells as `serde_json::Value`
//!   (strings, booleans and numbers alike; the audit's own reader takes numbers only).
//! - [`InfluxStore::write`] writes line protocol to a retention policy: `&rp=` on the v1 API, the
//!   bucket `{bucket}/{rp}` on the v2 API (the DBRP convention the README describes), through the
//!   sink's [`Writer`], so every failure is classified the same way as raw writes.
//! - [`InfluxStore::ensure_retention_policies`]: `raw` (the default policy, duration from
//!   `influx.raw_retention`) and `rollups` (`INF`) on the v1 API; `CREATE` is idempotent in
//!   InfluxQL only when the settings match, so an existing policy with another duration is
//!   `ALTER`ed instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coverage_audit::QueryEndpoint;
use coverage_shared::schema::rp;
use serde::Deserialize;
use thiserror::Error;

use crate::sink::influx::{WriteError, Writer};
use crate::sink::{InfluxApi, InfluxConfig};

/// Why the store could not answer or take a write.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The HTTP request failed (connection refused, timeout...).
    #[error("InfluxDB at {url}: {message}")]
    Http {
        /// Base URL (no credentials).
        url: String,
        /// The transport error.
        message: String,
    },
    /// InfluxDB answered with an error status or an error in the answer.
    #[error("InfluxDB query failed: {message}; query: {query}")]
    Query {
        /// The statement.
        query: String,
        /// InfluxDB's message (or the status and body start).
        message: String,
    },
    /// A write of derived points failed.
    #[error("writing to retention policy {rp}: {source}")]
    Write {
        /// The policy.
        rp: String,
        /// The classified failure.
        #[source]
        source: WriteError,
    },
    /// A file of the archive store could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A setting cannot be used.
    #[error("{0}")]
    Config(String),
}

/// One series of an InfluxQL answer, cells as JSON values.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Series {
    /// Measurement name.
    #[serde(default)]
    pub name: String,
    /// `GROUP BY` tags (missing tags as empty strings).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Column names; the first is `time` (ms since the epoch with `epoch=ms`).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Rows.
    #[serde(default)]
    pub values: Vec<Vec<serde_json::Value>>,
}

impl Series {
    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Cell `name` of `row` (`None` when the column is missing or the cell is `null`).
    pub fn cell<'a>(
        &self,
        row: &'a [serde_json::Value],
        name: &str,
    ) -> Option<&'a serde_json::Value> {
        self.column(name)
            .and_then(|i| row.get(i))
            .filter(|v| !v.is_null())
    }

    /// Tag `key`, empty when absent.
    pub fn tag(&self, key: &str) -> &str {
        self.tags.get(key).map_or("", String::as_str)
    }
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    results: Vec<StatementResult>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StatementResult {
    #[serde(default)]
    series: Vec<Series>,
    #[serde(default)]
    error: Option<String>,
}

/// Parses a (non-chunked) `/query` answer; InfluxDB's own error message when it has one.
pub fn parse_answer(body: &[u8]) -> Result<Vec<Series>, String> {
    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| format!("answer is not InfluxDB JSON: {e}"))?;
    if let Some(error) = answer.error {
        return Err(error);
    }
    let mut out = Vec::new();
    for result in answer.results {
        if let Some(error) = result.error {
            return Err(error);
        }
        out.extend(result.series);
    }
    Ok(out)
}

/// An InfluxQL identifier in double quotes.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A duration as InfluxQL writes it (`400d`, `36h`, `90m`, `INF` for zero).
pub fn influx_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "INF".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// InfluxDB, as the coordinator reads and writes it.
#[derive(Debug, Clone)]
pub struct InfluxStore {
    http: reqwest::Client,
    base: String,
    database: String,
    api: InfluxApi,
    username: Option<String>,
    secret: Option<String>,
    /// One writer per retention policy other than the default, built once.
    rollups: Writer,
}

impl InfluxStore {
    /// A store for the collector's `[influx]` settings, with the secret already read.
    pub fn new(cfg: &InfluxConfig, endpoint: &QueryEndpoint) -> Result<InfluxStore, StoreError> {
        coverage_net::tls::ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| StoreError::Config(format!("cannot build the HTTP client: {e}")))?;
        let secret = endpoint.secret.as_ref().map(|s| s.expose().to_owned());
        let rollups =
            Writer::for_policy(cfg, secret.clone(), rp::ROLLUPS).map_err(StoreError::Config)?;
        Ok(InfluxStore {
            http,
            base: cfg.url.trim_end_matches('/').to_owned(),
            database: cfg.database.clone(),
            api: cfg.api,
            username: endpoint.username.clone(),
            secret,
            rollups,
        })
    }

    /// The database InfluxQL statements run in.
    pub fn database(&self) -> &str {
        &self.database
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match (&self.username, &self.secret) {
            (Some(u), p) => req.basic_auth(u, p.as_deref()),
            (None, Some(token)) if !token.is_empty() => {
                req.header(reqwest::header::AUTHORIZATION, format!("Token {token}"))
            }
            (None, _) => req,
        }
    }

    async fn send(&self, statement: &str, post: bool) -> Result<Vec<Series>, StoreError> {
        let url = format!("{}/query", self.base);
        let params = [
            ("db", self.database.as_str()),
            ("epoch", "ms"),
            ("q", statement),
        ];
        let req = if post {
            self.http.post(url).query(&params)
        } else {
            self.http.get(url).query(&params)
        };
        let http_err = |e: reqwest::Error| StoreError::Http {
            url: self.base.clone(),
            message: e.to_string(),
        };
        let resp = self.auth(req).send().await.map_err(http_err)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(http_err)?;
        let query_err = |message: String| StoreError::Query {
            query: statement.to_owned(),
            message,
        };
        match parse_answer(&body) {
            Ok(series) if status.is_success() => Ok(series),
            Ok(_) => Err(query_err(format!(
                "HTTP {}: {}",
                status.as_u16(),
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ))),
            Err(message) if status.is_success() => Err(query_err(message)),
            Err(message) => Err(query_err(format!("HTTP {}: {message}", status.as_u16()))),
        }
    }

    /// Runs one read statement (`SELECT`, `SHOW`) and returns its series.
    pub async fn query(&self, statement: &str) -> Result<Vec<Series>, StoreError> {
        self.send(statement, false).await
    }

    /// Runs one statement that changes the database (`CREATE`, `ALTER`), on `POST`.
    pub async fn execute(&self, statement: &str) -> Result<(), StoreError> {
        self.send(statement, true).await.map(|_| ())
    }

    /// Writes newline-terminated line protocol to the `rollups` retention policy.
    pub async fn write_rollups(&self, body: &str) -> Result<(), StoreError> {
        self.rollups
            .write(body)
            .await
            .map_err(|source| StoreError::Write {
                rp: rp::ROLLUPS.to_owned(),
                source,
            })
    }

    /// Creates the database and the policies `raw` (default, `raw_retention`; zero = `INF`)
    /// and `rollups` (`INF`), or alters them to those durations. On the v2 API buckets and
    /// their DBRP mappings are made by the operator (README "InfluxDB 2.x"): nothing is done.
    pub async fn ensure_retention_policies(
        &self,
        raw_retention: Duration,
    ) -> Result<(), StoreError> {
        if self.api == InfluxApi::V2 {
            return Ok(());
        }
        let db = ident(&self.database);
        self.execute(&format!("CREATE DATABASE {db}")).await?;
        let existing: BTreeMap<String, String> = self
            .query(&format!("SHOW RETENTION POLICIES ON {db}"))
            .await?
            .iter()
            .flat_map(|s| {
                s.values.iter().filter_map(|row| {
                    let name = s.cell(row, "name")?.as_str()?.to_owned();
                    let duration = s.cell(row, "duration")?.as_str()?.to_owned();
                    Some((name, duration))
                })
            })
            .collect();
        for (name, duration, default) in [
            (rp::RAW, raw_retention, true),
            (rp::ROLLUPS, Duration::ZERO, false),
        ] {
            let verb = if existing.contains_key(name) {
                "ALTER"
            } else {
                "CREATE"
            };
            let statement = format!(
                "{verb} RETENTION POLICY {} ON {db} DURATION {} REPLICATION 1{}",
                ident(name),
                influx_duration(duration),
                if default { " DEFAULT" } else { "" }
            );
            self.execute(&statement).await?;
        }
        Ok(())
    }
}

/// The archive store of the demo: raw lines in the archive file, derived lines in
/// `rollups.lp` beside it (read back with the audit's archive parser).
#[derive(Debug, Clone)]
pub struct ArchiveStore {
    /// The raw archive (what the sink appends to).
    pub archive: PathBuf,
    /// `rollups.lp` in the archive's directory.
    pub rollups: PathBuf,
}

impl ArchiveStore {
    /// The store around `archive`.
    pub fn new(archive: &Path) -> ArchiveStore {
        ArchiveStore {
            archive: archive.to_owned(),
            rollups: rollups_path(archive),
        }
    }

    /// Appends derived lines to `rollups.lp` (fsynced).
    pub async fn write_rollups(&self, body: &str) -> Result<(), StoreError> {
        crate::sink::influx::ArchiveWriter::new(&self.rollups)
            .write(body)
            .await
            .map_err(|source| StoreError::Write {
                rp: rp::ROLLUPS.to_owned(),
                source,
            })
    }
}

/// `rollups.lp` beside an archive file.
pub fn rollups_path(archive: &Path) -> PathBuf {
    archive
        .parent()
        .map_or_else(|| PathBuf::from("rollups.lp"), |d| d.join("rollups.lp"))
}

/// Where the coordinator reads and writes.
#[derive(Debug, Clone)]
pub enum Store {
    /// InfluxDB (v1 or v2 API; queries are InfluxQL either way).
    Influx(InfluxStore),
    /// Line-protocol files (the demo).
    Archive(ArchiveStore),
}

impl Store {
    /// The store of a collector configuration.
    pub fn from_config(store: &crate::config::Store) -> Result<Store, StoreError> {
        match store {
            crate::config::Store::Influx { cfg, .. } => {
                let endpoint = store
                    .query_endpoint()
                    .ok_or_else(|| StoreError::Config("influx store without endpoint".into()))?;
                Ok(Store::Influx(InfluxStore::new(cfg, &endpoint)?))
            }
            crate::config::Store::Archive(path) => Ok(Store::Archive(ArchiveStore::new(path))),
        }
    }

    /// Writes derived lines to the `rollups` policy (or `rollups.lp`).
    pub async fn write_rollups(&self, body: &str) -> Result<(), StoreError> {
        match self {
            Store::Influx(s) => s.write_rollups(body).await,
            Store::Archive(s) => s.write_rollups(body).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_strings_and_errors_are_reported() {
        let body = br#"{"results":[{"statement_id":0,"series":[{"name":"heartbeat","tags":{"site":"s1"},"columns":["time","last_agent","up"],"values":[[1000,"0.1.0",true]]}]}]}"#;
        let series = parse_answer(body).unwrap();
        let s = &series[0];
        assert_eq!(s.tag("site"), "s1");
        assert_eq!(s.tag("none"), "");
        let row = &s.values[0];
        assert_eq!(s.cell(row, "last_agent").unwrap().as_str(), Some("0.1.0"));
        assert_eq!(s.cell(row, "up").unwrap().as_bool(), Some(true));
        assert_eq!(s.cell(row, "time").unwrap().as_i64(), Some(1000));
        assert!(s.cell(row, "missing").is_none());
        let err = parse_answer(
            br#"{"results":[{"statement_id":0,"error":"retention policy not found: x"}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("retention policy not found"), "{err}");
    }

    #[test]
    fn durations_and_identifiers_are_written_as_influxql() {
        assert_eq!(influx_duration(Duration::from_secs(400 * 86_400)), "400d");
        assert_eq!(influx_duration(Duration::from_secs(36 * 3_600)), "36h");
        assert_eq!(influx_duration(Duration::from_secs(90)), "90s");
        assert_eq!(influx_duration(Duration::ZERO), "INF");
        assert_eq!(ident(r#"co"v"#), r#""co\"v""#);
        assert_eq!(
            rollups_path(Path::new("/tmp/demo/archive.lp")),
            PathBuf::from("/tmp/demo/rollups.lp")
        );
    }
}

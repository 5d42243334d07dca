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
//!
//! The retention policies themselves (`raw`, the default, and `rollups`) are made by the
//! sink's v1 writer when it prepares the database (`V1Writer::ensure_policies`), on every
//! instance, before any write, and again whenever the database went missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coverage_audit::QueryEndpoint;
use coverage_shared::schema::rp;
use serde::Deserialize;
use thiserror::Error;

use crate::sink::InfluxConfig;
use crate::sink::influx::{WriteError, Writer};

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

/// Parses a (non-chunked) `/query` answer; InfluxDB's own error message when it has one (the
/// audit's reader of the same envelope).
pub fn parse_answer(body: &[u8]) -> Result<Vec<Series>, String> {
    coverage_audit::source::influxql::parse_answer_as(body)
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

    /// `GET /ping`: the server's version (`X-Influxdb-Version`, `?` when it does not say), or
    /// why it did not answer 204.
    pub async fn ping(&self) -> Result<String, StoreError> {
        let resp = self
            .auth(self.http.get(format!("{}/ping", self.base)))
            .send()
            .await
            .map_err(|e| StoreError::Http {
                url: self.base.clone(),
                message: crate::check::error_chain(&e),
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(StoreError::Http {
                url: self.base.clone(),
                message: format!("/ping answered HTTP {}", status.as_u16()),
            });
        }
        Ok(resp
            .headers()
            .get("x-influxdb-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?")
            .to_owned())
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

/// One derived point read back from `rollups.lp`: its tags, integer fields and time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchivePoint {
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Integer fields (the ones the coordinator reads back).
    pub ints: BTreeMap<String, i64>,
    /// Timestamp, ms.
    pub ts_ms: i64,
}

impl ArchiveStore {
    /// Every point of `measurement` in `rollups.lp`, in file order (none when the file does not
    /// exist yet); lines that do not parse are skipped, as the audit's archive reader does.
    pub async fn read_rollups(&self, measurement: &str) -> Result<Vec<ArchivePoint>, StoreError> {
        let text = match tokio::fs::read_to_string(&self.rollups).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Io {
                    path: self.rollups.display().to_string(),
                    source,
                });
            }
        };
        let mut out = Vec::new();
        for line in text.lines() {
            if !line.starts_with(measurement) {
                continue;
            }
            let Some(Ok(parsed)) = influxdb_line_protocol::parse_lines(line).next() else {
                continue;
            };
            if parsed.series.measurement.as_str() != measurement {
                continue;
            }
            let tags = parsed
                .series
                .tag_set
                .iter()
                .flatten()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let ints = parsed
                .field_set
                .iter()
                .filter_map(|(k, v)| match v {
                    influxdb_line_protocol::FieldValue::I64(i) => Some((k.to_string(), *i)),
                    _ => None,
                })
                .collect();
            out.push(ArchivePoint {
                tags,
                ints,
                ts_ms: parsed.timestamp.unwrap_or(0),
            });
        }
        Ok(out)
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
    /// InfluxDB (v1 or v2 API; queries are InfluxQL either way), boxed: it holds HTTP clients.
    Influx(Box<InfluxStore>),
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
                Ok(Store::Influx(Box::new(InfluxStore::new(cfg, &endpoint)?)))
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

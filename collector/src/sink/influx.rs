//! Writers: one batch of line protocol to InfluxDB (v1 or v2 API) or to an archive file, with
//! every failure classified so the caller knows whether to retry, split or dead-letter.
//!
//! Classification (DESIGN.md "InfluxDB error classes", Telegraf's `influxdb_v2/http.go`):
//!
//! | outcome | class | caller does |
//! |---|---|---|
//! | 2xx | ok | acknowledge the readings |
//! | 400 "partial write" | [`WriteError::Partial`] | the other lines are stored: dead-letter the lines named, ack the rest |
//! | 413 | [`WriteError::TooLarge`] | split the batch and write the halves |
//! | 401, 403, 404, 429, 5xx, connection errors | [`WriteError::Outage`] | keep the batch, back off (honour `Retry-After`), retry; never drop |
//! | other 4xx | [`WriteError::Rejected`] | dead-letter the batch, ack it |
//!
//! A 404 on the v1 API means the database is missing (someone dropped it): the writer creates it
//! again before the retry.

use coverage_shared::secret::Secret;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;
use tokio::io::AsyncWriteExt;

/// Which InfluxDB write API to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InfluxApi {
    /// `/write?db=` and InfluxQL `/query` (InfluxDB 1.x, 3.x; 2.x through DBRP for queries).
    V1,
    /// `/api/v2/write` through the `influxdb2` crate (InfluxDB 2.x, 3.x, Cloud).
    V2,
}

/// Where raw points go and where the audit reads them (`[influx]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfluxConfig {
    /// Base URL, e.g. `http://127.0.0.1:8086`.
    pub url: String,
    /// Write API.
    #[serde(default = "default_api")]
    pub api: InfluxApi,
    /// Database (v1) or the DBRP-mapped database InfluxQL queries use (v2), default `coverage`.
    #[serde(default = "default_db")]
    pub database: String,
    /// v2 organisation.
    #[serde(default)]
    pub org: Option<String>,
    /// v2 bucket (default: the database name).
    #[serde(default)]
    pub bucket: Option<String>,
    /// v2 token, or v1 password when `username` is set. Prefer `token_file`.
    #[serde(default)]
    pub token: Option<Secret>,
    /// File holding the token (first line).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// v1 user name.
    #[serde(default)]
    pub username: Option<String>,
}

fn default_api() -> InfluxApi {
    InfluxApi::V1
}

fn default_db() -> String {
    coverage_shared::schema::DEFAULT_DATABASE.to_owned()
}

/// Why a batch was not written.
#[derive(Debug, Error)]
pub enum WriteError {
    /// The store is unavailable or refuses us for now: retry later, never drop.
    #[error("InfluxDB unavailable ({status}): {message}")]
    Outage {
        /// HTTP status, or `connection` for transport errors.
        status: String,
        /// What the server or the transport said.
        message: String,
        /// How long the server asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The batch is too large for the server: split it.
    #[error("InfluxDB refused the batch as too large (413)")]
    TooLarge,
    /// Some lines were refused and the others stored (400 "partial write").
    #[error("InfluxDB stored part of the batch: {message}")]
    Partial {
        /// The server's message, naming what was dropped.
        message: String,
    },
    /// The whole batch was refused for a reason retrying cannot fix.
    #[error("InfluxDB refused the batch ({status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
}

impl WriteError {
    /// A low-cardinality label for counters.
    pub fn class(&self) -> &'static str {
        match self {
            WriteError::Outage { .. } => "outage",
            WriteError::TooLarge => "too_large",
            WriteError::Partial { .. } => "partial",
            WriteError::Rejected { .. } => "rejected",
        }
    }
}

/// Classifies an HTTP error status and body.
pub fn classify(status: u16, body: &str, retry_after: Option<Duration>) -> WriteError {
    let message = body.trim().chars().take(2000).collect::<String>();
    match status {
        413 => WriteError::TooLarge,
        400 if body.contains("partial write") => WriteError::Partial { message },
        401 | 403 | 404 | 429 | 500..=599 => WriteError::Outage {
            status: status.to_string(),
            message,
            retry_after,
        },
        _ => WriteError::Rejected { status, message },
    }
}

/// Parses a `Retry-After` header given in seconds (the form InfluxDB and proxies use).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The lines a 400 "partial write" names: InfluxDB quotes each unparsable line as
/// `unable to parse '<line>': <reason>`.
pub fn lines_named_in(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find("unable to parse '") {
        rest = &rest[start + "unable to parse '".len()..];
        match rest.find("': ") {
            Some(end) => {
                out.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
            None => break,
        }
    }
    out
}

/// What the sink writes batches through: a store that takes newline-terminated line protocol.
///
/// [`Writer`] is the real one (InfluxDB v1 or v2, or an archive file); the sink's unit tests
/// script one to drive the 413 split, partial writes and outages without a server.
pub trait PointWriter: Send + Sync {
    /// Gets the store ready (creates the v1 database); an outage is returned for retrying.
    fn prepare(&self) -> impl std::future::Future<Output = Result<(), WriteError>> + Send;
    /// Writes one batch of newline-terminated lines.
    fn write(&self, body: &str)
    -> impl std::future::Future<Output = Result<(), WriteError>> + Send;
    /// A short description for logs (no secrets).
    fn describe(&self) -> String;
}

impl PointWriter for Writer {
    async fn prepare(&self) -> Result<(), WriteError> {
        Writer::prepare(self).await
    }

    async fn write(&self, body: &str) -> Result<(), WriteError> {
        Writer::write(self, body).await
    }

    fn describe(&self) -> String {
        Writer::describe(self)
    }
}

/// Where batches go.
#[derive(Debug, Clone)]
pub enum Writer {
    /// `/write?db=` over reqwest (InfluxDB 1.x, 3.x).
    V1(V1Writer),
    /// `/api/v2/write` through the `influxdb2` crate (InfluxDB 2.x, 3.x, Cloud).
    V2(V2Writer),
    /// Appends to a line-protocol archive file (the demo's embedded store).
    Archive(ArchiveWriter),
}

impl Writer {
    /// Builds the writer the configuration asks for.
    pub fn from_config(cfg: &InfluxConfig, token: Option<String>) -> Result<Writer, String> {
        match cfg.api {
            InfluxApi::V1 => Ok(Writer::V1(V1Writer::new(cfg, token)?)),
            InfluxApi::V2 => Ok(Writer::V2(V2Writer::new(cfg, token)?)),
        }
    }

    /// A writer to retention policy `rp` instead of the default one: `&rp=` on the v1 API,
    /// the bucket `{bucket}/{rp}` on the v2 API (the DBRP naming convention of InfluxDB 2.x,
    /// README "InfluxDB 2.x").
    pub fn for_policy(
        cfg: &InfluxConfig,
        token: Option<String>,
        rp: &str,
    ) -> Result<Writer, String> {
        Ok(match Writer::from_config(cfg, token)? {
            Writer::V1(mut w) => {
                w.rp = Some(rp.to_owned());
                Writer::V1(w)
            }
            Writer::V2(mut w) => {
                w.bucket = format!("{}/{rp}", w.bucket);
                Writer::V2(w)
            }
            archive @ Writer::Archive(_) => archive,
        })
    }

    /// Gets the store ready (creates the v1 database); an outage is returned for retrying.
    pub async fn prepare(&self) -> Result<(), WriteError> {
        match self {
            Writer::V1(w) => w.create_database().await,
            Writer::V2(_) | Writer::Archive(_) => Ok(()),
        }
    }

    /// Writes one batch of newline-terminated lines.
    pub async fn write(&self, body: &str) -> Result<(), WriteError> {
        match self {
            Writer::V1(w) => w.write(body).await,
            Writer::V2(w) => w.write(body).await,
            Writer::Archive(w) => w.write(body).await,
        }
    }

    /// A short description for logs (no secrets).
    pub fn describe(&self) -> String {
        match self {
            Writer::V1(w) => format!("InfluxDB v1 API at {} database {}", w.base, w.db),
            Writer::V2(w) => format!("InfluxDB v2 API at {} bucket {}", w.url, w.bucket),
            Writer::Archive(w) => format!("archive file {}", w.path.display()),
        }
    }
}

fn transport(e: &reqwest::Error) -> WriteError {
    WriteError::Outage {
        status: "connection".into(),
        message: e.to_string(),
        retry_after: None,
    }
}

/// Writer for the v1 API (`/write?db=&precision=ms`).
#[derive(Debug, Clone)]
pub struct V1Writer {
    http: reqwest::Client,
    base: String,
    db: String,
    username: Option<String>,
    password: Option<String>,
    /// Retention policy (`&rp=`); `None` = the database's default (`raw`).
    rp: Option<String>,
}

impl V1Writer {
    /// A writer for `cfg`; `secret` is the password (with `username`) or a token.
    pub fn new(cfg: &InfluxConfig, secret: Option<String>) -> Result<V1Writer, String> {
        coverage_net::tls::ensure_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        reqwest::Url::parse(&cfg.url).map_err(|e| format!("influx.url {:?}: {e}", cfg.url))?;
        Ok(V1Writer {
            http,
            base: cfg.url.trim_end_matches('/').to_owned(),
            db: cfg.database.clone(),
            username: cfg.username.clone(),
            password: secret,
            rp: None,
        })
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match (&self.username, &self.password) {
            (Some(u), p) => req.basic_auth(u, p.as_deref()),
            (None, Some(token)) => req.header("Authorization", format!("Token {token}")),
            (None, None) => req,
        }
    }

    async fn check(resp: reqwest::Response) -> Result<(), WriteError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let after = retry_after(resp.headers());
        let body = resp.text().await.unwrap_or_default();
        Err(classify(status.as_u16(), &body, after))
    }

    /// `CREATE DATABASE` (idempotent in InfluxQL).
    pub async fn create_database(&self) -> Result<(), WriteError> {
        let q = format!(
            "CREATE DATABASE \"{}\"",
            self.db.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let req = self
            .http
            .post(format!("{}/query", self.base))
            .query(&[("q", q)]);
        let resp = self.auth(req).send().await.map_err(|e| transport(&e))?;
        Self::check(resp).await
    }

    /// Writes one batch.
    pub async fn write(&self, body: &str) -> Result<(), WriteError> {
        let mut req = self
            .http
            .post(format!("{}/write", self.base))
            .query(&[("db", self.db.as_str()), ("precision", "ms")]);
        if let Some(rp) = &self.rp {
            req = req.query(&[("rp", rp.as_str())]);
        }
        let req = req.body(body.to_owned());
        let resp = self.auth(req).send().await.map_err(|e| transport(&e))?;
        let result = Self::check(resp).await;
        if let Err(WriteError::Outage { status, .. }) = &result
            && status == "404"
        {
            // The database went missing: recreate it so the retry can succeed.
            let _ = self.create_database().await;
        }
        result
    }
}

/// Writer for the v2 API through the `influxdb2` crate.
#[derive(Debug, Clone)]
pub struct V2Writer {
    client: influxdb2::Client,
    url: String,
    org: String,
    bucket: String,
}

impl V2Writer {
    /// A writer for `cfg` with `token`.
    pub fn new(cfg: &InfluxConfig, token: Option<String>) -> Result<V2Writer, String> {
        reqwest::Url::parse(&cfg.url).map_err(|e| format!("influx.url {:?}: {e}", cfg.url))?;
        let org = cfg
            .org
            .clone()
            .ok_or("influx.org is required with api = \"v2\"")?;
        let token =
            token.ok_or("influx.token or influx.token_file is required with api = \"v2\"")?;
        let client = influxdb2::ClientBuilder::new(cfg.url.clone(), org.clone(), token)
            .build()
            .map_err(|e| format!("cannot build the InfluxDB v2 client: {e}"))?;
        Ok(V2Writer {
            client,
            url: cfg.url.clone(),
            org,
            bucket: cfg.bucket.clone().unwrap_or_else(|| cfg.database.clone()),
        })
    }

    /// Writes one batch.
    pub async fn write(&self, body: &str) -> Result<(), WriteError> {
        use influxdb2::RequestError;
        use influxdb2::api::write::TimestampPrecision;
        self.client
            .write_line_protocol_with_precision(
                &self.org,
                &self.bucket,
                body.to_owned(),
                TimestampPrecision::Milliseconds,
            )
            .await
            .map_err(|e| match e {
                // influxdb2 0.5 exposes only status and body (no Retry-After).
                RequestError::Http { status, text } => classify(status.as_u16(), &text, None),
                other => WriteError::Outage {
                    status: "connection".into(),
                    message: other.to_string(),
                    retry_after: None,
                },
            })
    }
}

/// Appends batches to a line-protocol file, fsynced per batch (the demo's embedded store).
#[derive(Debug, Clone)]
pub struct ArchiveWriter {
    path: PathBuf,
}

impl ArchiveWriter {
    /// A writer appending to `path` (created with its directory when missing).
    pub fn new(path: &Path) -> ArchiveWriter {
        ArchiveWriter {
            path: path.to_owned(),
        }
    }

    /// The archive file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one batch and fsyncs it.
    pub async fn write(&self, body: &str) -> Result<(), WriteError> {
        let err = |e: std::io::Error| WriteError::Outage {
            status: "io".into(),
            message: format!("{}: {e}", self.path.display()),
            retry_after: None,
        };
        if let Some(dir) = self.path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(err)?;
        }
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(err)?;
        f.write_all(body.as_bytes()).await.map_err(err)?;
        f.sync_data().await.map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_designed() {
        assert_eq!(classify(413, "", None).class(), "too_large");
        assert_eq!(
            classify(400, "{\"error\":\"partial write: x dropped=1\"}", None).class(),
            "partial"
        );
        assert_eq!(
            classify(400, "{\"error\":\"bad timestamp\"}", None).class(),
            "rejected"
        );
        assert_eq!(classify(422, "", None).class(), "rejected");
        for s in [401, 403, 404, 429, 500, 502, 503] {
            assert_eq!(classify(s, "", None).class(), "outage", "{s}");
        }
        let WriteError::Outage { retry_after, .. } =
            classify(429, "", Some(Duration::from_secs(7)))
        else {
            panic!("429 is an outage")
        };
        assert_eq!(retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn finds_the_lines_a_partial_write_names() {
        let msg = r#"{"error":"partial write: unable to parse 'signal,site=a x=': missing field value; unable to parse 'bad line': invalid field format dropped=0"}"#;
        assert_eq!(lines_named_in(msg), ["signal,site=a x=", "bad line"]);
        assert!(lines_named_in("partial write: field type conflict dropped=1").is_empty());
    }
}

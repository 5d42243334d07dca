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

/// The text of an InfluxDB error body: the `error` member of its JSON, decoded (a refused line
/// quoted there has its quotes and newlines escaped in the raw body), else the body itself.
pub fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| body.trim().to_owned())
}

/// Classifies an HTTP error status and body. A partial write keeps InfluxDB's whole message:
/// it quotes each refused line in full (one over the 64 KiB series-key limit is itself over
/// 64 KiB), and only the whole message says which lines were refused and why.
pub fn classify(status: u16, body: &str, retry_after: Option<Duration>) -> WriteError {
    let text = error_text(body);
    if status == 400 && text.contains("partial write") {
        return WriteError::Partial { message: text };
    }
    let message = crate::deadletter::prefix(&text, 2000).to_owned();
    match status {
        413 => WriteError::TooLarge,
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

/// InfluxDB's longest series key (measurement and tags, escaped), in bytes: a longer line is
/// refused whatever else the batch holds (`max key length exceeded`).
pub const MAX_SERIES_KEY_BYTES: usize = 65_535;

/// The series key's length of a line, as InfluxDB counts it (measurement and tags, escaped),
/// or `None` when the line does not parse.
pub fn series_key_len(line: &str) -> Option<usize> {
    let parsed = influxdb_line_protocol::parse_lines(line).next()?.ok()?;
    Some(parsed.series.to_string().len())
}

/// What a 400 "partial write" refused, out of the batch that was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Indices into the batch of the lines InfluxDB refused, each with its reason.
    pub lines: Vec<(usize, String)>,
    /// How many points InfluxDB says it refused: lines it could not parse plus its
    /// `dropped=N`.
    pub refused: usize,
}

impl Refusal {
    /// Refused points the message does not let us name (counted, cannot be dead-lettered).
    pub fn unnamed(&self) -> usize {
        self.refused.saturating_sub(self.lines.len())
    }
}

/// Reads InfluxDB's whole partial-write message against the batch it answers:
///
/// - `unable to parse '<line>': <reason>`, once per unparsable line, the line quoted whole
///   (matched against the batch's lines, so a `': ` inside a string field cannot cut it);
/// - `field type conflict: input field "F" on measurement "M" is type T, already exists as
///   type U dropped=N`: the lines of `M` whose field `F` has type `T`;
/// - `dropped=N` at the end: points refused after parsing (type conflicts, limits).
pub fn refused_lines(message: &str, batch: &[&str]) -> Refusal {
    let index: std::collections::HashMap<&str, usize> = batch
        .iter()
        .enumerate()
        .map(|(i, l)| (l.trim_end_matches('\n'), i))
        .collect();
    let mut named: std::collections::BTreeMap<usize, String> = Default::default();
    let mut unparsable = 0;
    const PARSE: &str = "unable to parse '";
    let mut rest = message;
    while let Some(start) = rest.find(PARSE) {
        rest = &rest[start + PARSE.len()..];
        unparsable += 1;
        // The quoted line ends at one of the following "': "; the right one is in the batch.
        let mut from = 0;
        while let Some(end) = rest[from..].find("': ").map(|e| from + e) {
            if let Some(&i) = index.get(&rest[..end]) {
                let tail = &rest[end + 3..];
                let reason_end = [tail.find('\n'), tail.find(" dropped=")]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(tail.len());
                named.insert(i, tail[..reason_end].to_owned());
                rest = &rest[end..];
                break;
            }
            from = end + 3;
        }
    }
    if let Some(conflict) = type_conflict(message) {
        for (i, line) in batch.iter().enumerate() {
            if conflict.matches(line) {
                named.entry(i).or_insert_with(|| conflict.sentence.clone());
            }
        }
    }
    let dropped = message
        .rsplit_once("dropped=")
        .and_then(|(_, n)| {
            n.trim_end()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse::<usize>().ok())
        })
        .unwrap_or(0);
    Refusal {
        lines: named.into_iter().collect(),
        refused: unparsable + dropped,
    }
}

/// `input field "F" on measurement "M" is type T`.
struct TypeConflict {
    field: String,
    measurement: String,
    kind: String,
    sentence: String,
}

fn type_conflict(message: &str) -> Option<TypeConflict> {
    let at = message.find("field type conflict: input field \"")?;
    let sentence = message[at..]
        .split(" dropped=")
        .next()
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let rest = &sentence["field type conflict: input field \"".len()..];
    let (field, rest) = rest.split_once("\" on measurement \"")?;
    let (measurement, rest) = rest.split_once("\" is type ")?;
    let kind = rest.split([',', ' ']).next()?.to_owned();
    Some(TypeConflict {
        field: field.to_owned(),
        measurement: measurement.to_owned(),
        kind,
        sentence,
    })
}

impl TypeConflict {
    fn matches(&self, line: &str) -> bool {
        use influxdb_line_protocol::FieldValue;
        let Some(Ok(p)) = influxdb_line_protocol::parse_lines(line).next() else {
            return false;
        };
        if p.series.measurement.as_str() != self.measurement {
            return false;
        }
        p.field_set.iter().any(|(name, value)| {
            name.as_str() == self.field
                && match value {
                    FieldValue::F64(_) => self.kind == "float",
                    FieldValue::I64(_) => self.kind == "integer",
                    FieldValue::U64(_) => self.kind == "unsigned",
                    FieldValue::String(_) => self.kind == "string",
                    FieldValue::Boolean(_) => self.kind == "boolean",
                }
        })
    }
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
        let req = self
            .http
            .post(format!("{}/write", self.base))
            .query(&[("db", self.db.as_str()), ("precision", "ms")])
            .body(body.to_owned());
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

    // The bodies below are InfluxDB 1.6.7's own answers to these batches (captured on
    // loopback, 2026-12-02; tests/tests/pipeline.rs replays the same against a live server).

    #[test]
    fn finds_every_line_a_partial_write_names_with_its_reason() {
        let batch = [
            "n,t=a v=1 1700000000000\n",
            "n,t=c v= 1700000000002\n",
            "n,t=d v=4 1700000000003\n",
            "n,t=z x 1700000000003\n",
        ];
        let body = r#"{"error":"partial write: unable to parse 'n,t=c v= 1700000000002': missing field value\nunable to parse 'n,t=z x 1700000000003': invalid field format dropped=0"}"#;
        let WriteError::Partial { message } = classify(400, body, None) else {
            panic!("a partial write")
        };
        let r = refused_lines(&message, &batch);
        assert_eq!(
            r.lines,
            [
                (1, "missing field value".to_owned()),
                (3, "invalid field format".to_owned())
            ]
        );
        assert_eq!((r.refused, r.unnamed()), (2, 0));
    }

    #[test]
    fn a_quoted_line_with_quotes_and_a_colon_inside_is_matched_whole() {
        let line = r#"latency,site=a error="x': y",v= 1"#;
        let batch = ["ok v=1 1\n".to_owned(), format!("{line}\n")];
        let body = serde_json::json!({
            "error": format!("partial write: unable to parse '{line}': missing field value dropped=0")
        })
        .to_string();
        let WriteError::Partial { message } = classify(400, &body, None) else {
            panic!()
        };
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        let r = refused_lines(&message, &refs);
        assert_eq!(r.lines, [(1, "missing field value".to_owned())]);
    }

    #[test]
    fn a_field_type_conflict_names_the_lines_of_that_type() {
        let batch = [
            "k,t=q v=1 1700000000000\n",
            "k,t=c v=\"s\" 1700000000001\n",
            "k,t=d v=1 1700000000001\n",
            "j,t=c v=\"s\" 1700000000001\n",
        ];
        let body = r#"{"error":"partial write: field type conflict: input field \"v\" on measurement \"k\" is type string, already exists as type float dropped=1"}"#;
        let WriteError::Partial { message } = classify(400, body, None) else {
            panic!()
        };
        let r = refused_lines(&message, &batch);
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.lines[0].0, 1);
        assert!(r.lines[0].1.contains("is type string"), "{:?}", r.lines);
        assert_eq!((r.refused, r.unnamed()), (1, 0));
    }

    #[test]
    fn a_refusal_it_cannot_name_is_counted_not_guessed() {
        let r = refused_lines(
            "partial write: max series per database exceeded dropped=3",
            &["a v=1 1\n"],
        );
        assert!(r.lines.is_empty());
        assert_eq!(r.unnamed(), 3);
    }

    #[test]
    fn series_keys_are_measured_as_influxdb_counts_them() {
        assert_eq!(series_key_len("m,b=2,a=1 v=1 1"), Some("m,a=1,b=2".len()));
        let long = format!("m,t={} v=1 1", "x".repeat(MAX_SERIES_KEY_BYTES));
        assert!(series_key_len(&long).unwrap() > MAX_SERIES_KEY_BYTES);
        assert_eq!(series_key_len("not a line"), None);
    }
}

//! Collector configuration (TOML), validated at start-up.
//!
//! Raw serde types mirror the file; every key is documented in `deploy/collector.example.toml`,
//! which a test parses. Unknown keys are errors that name the key and the file.

use serde::Deserialize;

/// Which InfluxDB write API to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InfluxApi {
    /// `/write?db=` and InfluxQL `/query` (InfluxDB 1.x, 3.x; 2.x through DBRP for queries).
    V1,
    /// `/api/v2/write` through the `influxdb2` crate (InfluxDB 2.x, 3.x, Cloud).
    V2,
}

/// Where raw points go and where the audit reads them.
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
    pub token: Option<String>,
    /// File holding the token (first line).
    #[serde(default)]
    pub token_file: Option<std::path::PathBuf>,
    /// v1 user name.
    #[serde(default)]
    pub username: Option<String>,
}

fn default_api() -> InfluxApi {
    InfluxApi::V1
}

fn default_db() -> String {
    "coverage".to_owned()
}

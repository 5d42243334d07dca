//! Where the audit's InfluxQL queries go: the server, the database and the credentials.
//!
//! The audit's own type, so the audit does not depend on the collector's `[influx]` settings:
//! the collector builds one from its validated config, with the token or password already
//! resolved (from `token` or `token_file`). Invariant: the secret is never printed (`Secret`'s
//! `Debug` redacts it).

use coverage_shared::secret::Secret;

/// An InfluxDB `/query` endpoint and how to authenticate to it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryEndpoint {
    /// Base URL, e.g. `http://127.0.0.1:8086`; credentials in it (`http://user:pass@host`) are
    /// used when neither `username` nor `secret` is given.
    pub url: String,
    /// Database (v1), or the DBRP-mapped database (v2).
    pub database: String,
    /// v1 user name; with it, `secret` is the password.
    pub username: Option<String>,
    /// Token (sent as `Authorization: Token ...`), or the password of `username`.
    pub secret: Option<Secret>,
}

impl QueryEndpoint {
    /// An endpoint for `database` at `url`, without credentials.
    pub fn new(url: impl Into<String>, database: impl Into<String>) -> QueryEndpoint {
        QueryEndpoint {
            url: url.into(),
            database: database.into(),
            username: None,
            secret: None,
        }
    }
}

//! The collector's HTTP port: the operations endpoint (`/metrics` in Prometheus text, `/health`
//! as JSON, 503 when the broker session or the store is down, so a load balancer or systemd
//! watchdog can act), the HTTP API under `/api/v1/` and the live map at `/`, with their `[http]`
//! and `[api]` settings.
//!
//! | route | module | what |
//! |---|---|---|
//! | `GET /api/v1/sets` | [`sites`] | the boundary sets: name, validity, communes, districts |
//! | `GET /api/v1/sites?status=` | [`sites`] | the coordinator's latest site statuses |
//! | `GET /api/v1/communes?set=&window=&service=&operator=` | [`communes`] | the latest commune rollup points |
//! | `GET /api/v1/audit?set=&from=&to=&claim=&format=&lang=` | [`audit`] | an audit, as the `audit` subcommand runs it |
//! | `GET /` | [`page`] | the live map (HTML, no external resource) |
//!
//! Invariants:
//!
//! - **Access.** Loopback by default; a listener on any other address needs `[http]
//!   token_file` (the config refuses to load otherwise), and then `/api/*` and `/metrics`
//!   answer 401 without `Authorization: Bearer <token>` (compared in constant time). `/health`
//!   and the page itself stay open (the page holds no data: it fetches the API, with the token
//!   taken from the address's `#token=` fragment, which browsers never send to the server).
//! - **Bad parameters** get 400 with `{"error": {"parameter": ..., "problem": ...}}`; a
//!   parameter the route does not know is one.
//! - **No secret leaves.** Answers are built from boundary data, statuses, rollup points and
//!   reports; store errors are logged in full and answered with a generic message (a URL in a
//!   store error may carry credentials); the dead-letter file is never read here.

pub mod audit;
pub mod communes;
pub mod page;
pub mod sites;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::secret::Secret;
use serde::Deserialize;

use crate::coordinator::status::StatusBoard;
use crate::coordinator::store::Store;
use crate::metrics::Metrics;

/// `[http]`: the collector's HTTP port.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address; loopback by default (put a reverse proxy in front to expose it).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// A file whose first line is the bearer token `/api/*` and `/metrics` require; required
    /// when `listen` is not a loopback address. Relative to the config file's directory.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9108))
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
            token_file: None,
        }
    }
}

/// `[api]`: limits of the HTTP API, so an audit cannot starve ingest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Longest an audit may run; it is abandoned after (503).
    #[serde(default = "default_audit_timeout", with = "humantime_serde")]
    pub audit_timeout: Duration,
    /// Longest period an audit may cover.
    #[serde(default = "default_audit_max_period", with = "humantime_serde")]
    pub audit_max_period: Duration,
}

fn default_audit_timeout() -> Duration {
    Duration::from_secs(120)
}

fn default_audit_max_period() -> Duration {
    Duration::from_secs(92 * 86_400)
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            audit_timeout: default_audit_timeout(),
            audit_max_period: default_audit_max_period(),
        }
    }
}

impl ApiConfig {
    /// `Err((key, problem))` when a limit is zero.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (key, d) in [
            ("api.audit_timeout", self.audit_timeout),
            ("api.audit_max_period", self.audit_max_period),
        ] {
            if d.is_zero() {
                return Err((key.to_owned(), "must be longer than 0".to_owned()));
            }
        }
        Ok(())
    }
}

/// What the routes share.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The collector's metrics (`/metrics`, `/health`).
    pub metrics: Arc<Metrics>,
    /// The bearer token, when one is required.
    pub token: Option<Secret>,
    /// Boundary sets.
    pub boundaries: Arc<BoundaryRegistry>,
    /// The coordinator's latest site statuses (`None` on an instance that is not it).
    pub board: Option<StatusBoard>,
    /// Where rollup points are read (`None`: no store, as in unit tests of other routes).
    pub store: Option<Store>,
    /// Runs audits one at a time.
    pub audits: Arc<audit::AuditRunner>,
}

/// An API error: status, the parameter at fault (if one is), what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The query parameter at fault.
    pub parameter: Option<String>,
    /// What is wrong, for people.
    pub problem: String,
    /// `Retry-After`, seconds (busy, timeout).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// 400 naming `parameter`.
    pub fn bad(parameter: &str, problem: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            parameter: Some(parameter.to_owned()),
            problem: problem.into(),
            retry_after: None,
        }
    }

    /// Another status without a parameter.
    pub fn status(status: StatusCode, problem: impl Into<String>) -> ApiError {
        ApiError {
            status,
            parameter: None,
            problem: problem.into(),
            retry_after: None,
        }
    }

    /// A store failure: logged in full, answered in general terms (the error may hold a URL
    /// with credentials).
    pub fn store(error: &dyn std::fmt::Display) -> ApiError {
        tracing::warn!(error = %error, "API: the store did not answer.");
        ApiError::status(
            StatusCode::BAD_GATEWAY,
            "the store did not answer; the collector's log has the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "parameter": self.parameter, "problem": self.problem }
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// A route's query string, checked against the parameters it knows.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `raw`; a parameter outside `known` is a 400 naming it.
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(ApiError::bad(
                k,
                format!("unknown parameter; this route takes {}", known.join(", ")),
            ));
        }
        Ok(Params(pairs))
    }

    /// The one value of `name` (a second one is a 400).
    pub fn one<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>, ApiError> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad(name, "given more than once"));
        }
        Ok(first)
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Equal in time independent of where two byte strings differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lets a request through when no token is configured or it carries the right one.
async fn require_token(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.token else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if constant_time_eq(g.trim().as_bytes(), token.expose().as_bytes()) => {
            next.run(request).await
        }
        _ => {
            let mut resp = ApiError::status(
                StatusCode::UNAUTHORIZED,
                "this endpoint needs `Authorization: Bearer <token>` (the token of [http] token_file)",
            )
            .into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"coverage-collector\""),
            );
            resp
        }
    }
}

/// The router of every route (module doc).
pub fn router(state: ApiState) -> Router {
    let guarded = Router::new()
        .route("/metrics", get(prometheus))
        .route("/api/v1/sets", get(sites::sets))
        .route("/api/v1/sites", get(sites::sites))
        .route("/api/v1/communes", get(communes::communes))
        .route("/api/v1/audit", get(audit::audit))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ));
    Router::new()
        .route("/health", get(health))
        .route("/", get(page::page))
        .merge(guarded)
        .fallback(|| async {
            ApiError::status(
                StatusCode::NOT_FOUND,
                "no such route: see /api/v1/sets, /api/v1/sites, /api/v1/communes, /api/v1/audit",
            )
        })
        .with_state(state)
}

async fn prometheus(State(s): State<ApiState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

async fn health(State(s): State<ApiState>) -> impl IntoResponse {
    let m = &s.metrics;
    let (mqtt, store) = m.health();
    let status = if mqtt && store {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "mqtt_connected": mqtt,
        "store_writable": store,
        "pending_points": m.pending_points.get(),
    });
    (status, axum::Json(body))
}

#[cfg(test)]
mod tests;

//! A small blocking HTTP client for the servers' APIs on loopback.
//!
//! Blocking (ureq) rather than reqwest so the helpers work both in plain tests and inside async
//! tests (`reqwest::blocking` panics inside a tokio runtime). No proxy from the environment: the
//! servers are on 127.0.0.1. No pooled connections: a restarted server must not meet a stale one.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};

/// Largest response body read (an export of a test's points is far smaller).
const BODY_LIMIT: u64 = 256 * 1024 * 1024;

/// Status and body of a response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Body as text (invalid UTF-8 replaced).
    pub body: String,
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_idle_connections(0)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into()
    })
}

fn finish(
    url: &str,
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Response> {
    let mut response = result.with_context(|| format!("HTTP request to {url}"))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .lossy_utf8(true)
        .read_to_string()
        .with_context(|| format!("reading the response body from {url}"))?;
    Ok(Response { status, body })
}

/// `GET url?query`.
pub(crate) fn get(url: &str, query: &[(&str, &str)]) -> Result<Response> {
    let mut request = agent().get(url);
    for (k, v) in query {
        request = request.query(*k, *v);
    }
    finish(url, request.call())
}

/// `POST url?query` with a raw body.
pub(crate) fn post(url: &str, query: &[(&str, &str)], body: &[u8]) -> Result<Response> {
    let mut request = agent().post(url);
    for (k, v) in query {
        request = request.query(*k, *v);
    }
    finish(
        url,
        request.content_type("text/plain; charset=utf-8").send(body),
    )
}

/// `POST url` with a form-encoded body.
pub(crate) fn post_form(url: &str, form: &[(&str, &str)]) -> Result<Response> {
    finish(url, agent().post(url).send_form(form.iter().copied()))
}

/// Whether `GET url` answers with `status` (false on any error, for readiness polls).
pub(crate) fn answers(url: &str, status: u16) -> bool {
    get(url, &[]).is_ok_and(|r| r.status == status)
}

/// The value of metric `name` on a Prometheus text endpoint (`http://127.0.0.1:{port}/metrics`):
/// the sum over its series (every label set), `None` when the endpoint does not answer or has
/// no such metric. Counters are named with their `_total` suffix.
pub fn metric(port: u16, name: &str) -> Option<f64> {
    let url = format!("http://{}:{port}/metrics", crate::LOOPBACK);
    let body = get(&url, &[]).ok().filter(|r| r.status == 200)?.body;
    let mut found = None;
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let value = if let Some(labelled) = rest.strip_prefix('{') {
            labelled.rsplit_once('}').map(|(_, v)| v)
        } else {
            rest.starts_with(' ').then_some(rest)
        };
        if let Some(v) = value.and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok()) {
            *found.get_or_insert(0.0) += v;
        }
    }
    found
}

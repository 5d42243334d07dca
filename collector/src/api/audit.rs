//! `GET /api/v1/audit?set=&from=&to=&claim=&format=&lang=`: an audit, run through the same code
//! as `coverage-collector audit` (`coverage_audit::run_audit` and `render`), so the API and the
//! command give the same report for the same arguments.
//!
//! It cannot starve ingest: one audit at a time (a second request while one runs gets 429 with
//! `Retry-After`), each abandoned after `[api] audit_timeout` (503 with `Retry-After`), and a
//! period longer than `[api] audit_max_period` is refused (400). Parameters are checked before
//! anything runs, each error naming its parameter: `from`, `to` (a date, local midnight, or an
//! RFC 3339 time, as the command takes them), `set`, every `claim` (repeatable), `format`
//! (`json`, `md`, `csv`, `html`, `geojson`) and `lang` (`vi`, `en`; default from
//! `Accept-Language`).

use std::path::PathBuf;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coverage_audit::period::parse_bound;
use coverage_audit::{AuditArgs, AuditConfig, AuditError, Claim, Format, QueryEndpoint};
use coverage_shared::text::Lang;
use tokio::sync::Semaphore;

use super::{ApiConfig, ApiError, ApiState, Params};

/// Runs audits one at a time with the collector's audit settings.
#[derive(Debug)]
pub struct AuditRunner {
    /// `[audit]` with the site registry.
    pub cfg: AuditConfig,
    /// InfluxDB, when the store is InfluxDB.
    pub endpoint: Option<QueryEndpoint>,
    /// The archive file, when the store is one.
    pub archives: Vec<PathBuf>,
    /// Timeout and longest period.
    pub limits: ApiConfig,
    permit: Semaphore,
}

impl AuditRunner {
    /// A runner with one permit.
    pub fn new(
        cfg: AuditConfig,
        endpoint: Option<QueryEndpoint>,
        archives: Vec<PathBuf>,
        limits: ApiConfig,
    ) -> AuditRunner {
        AuditRunner {
            cfg,
            endpoint,
            archives,
            limits,
            permit: Semaphore::new(1),
        }
    }

    /// Takes the one permit if it is free: while it is held, audit requests get 429.
    pub fn hold(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.permit.try_acquire().ok()
    }
}

/// The language of a page or report: `?lang=` if given, else the best of `Accept-Language`
/// between Vietnamese and English, else English.
pub fn language(param: Option<&str>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    if let Some(l) = param {
        return Lang::parse(l)
            .ok_or_else(|| ApiError::bad("lang", format!("`{l}` is not a language: vi or en")));
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best: Option<(f64, Lang)> = None;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f64>().ok())
            .unwrap_or(1.0);
        let lang = if tag == "vi" || tag.starts_with("vi-") {
            Lang::Vi
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    Ok(best.map_or(Lang::En, |(_, l)| l))
}

fn format_of(name: &str) -> Result<Format, ApiError> {
    Ok(match name {
        "json" => Format::Json,
        "md" => Format::Md,
        "csv" => Format::Csv,
        "html" => Format::Html,
        "geojson" => Format::Geojson,
        other => {
            return Err(ApiError::bad(
                "format",
                format!("`{other}` is not a format: json, md, csv, html or geojson"),
            ));
        }
    })
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Json => "application/json",
        Format::Md => "text/markdown; charset=utf-8",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
        Format::Geojson => "application/geo+json",
    }
}

/// The audit's arguments from the query string, every parameter checked.
pub fn args_of(
    params: &Params,
    headers: &HeaderMap,
    runner: &AuditRunner,
) -> Result<AuditArgs, ApiError> {
    let bound = |name: &str| -> Result<_, ApiError> {
        let v = params.one(name)?.ok_or_else(|| {
            ApiError::bad(name, "required (a date such as 2025-06-01, or RFC 3339)")
        })?;
        parse_bound(v).map_err(|e| ApiError::bad(name, e))
    };
    let (from, to) = (bound("from")?, bound("to")?);
    let offset = runner.cfg.timezone_offset_hours;
    let (f, t) = (from.resolve(offset), to.resolve(offset));
    if f >= t {
        return Err(ApiError::bad("to", "must be after `from`"));
    }
    let longest = chrono::TimeDelta::from_std(runner.limits.audit_max_period)
        .unwrap_or(chrono::TimeDelta::MAX);
    if t - f > longest {
        return Err(ApiError::bad(
            "to",
            format!(
                "the period is longer than api.audit_max_period ({}); audit a shorter one",
                humantime::format_duration(runner.limits.audit_max_period)
            ),
        ));
    }
    let claims: Vec<String> = params.all("claim").map(str::to_owned).collect();
    for c in &claims {
        Claim::parse(c).map_err(|e| ApiError::bad("claim", format!("`{c}`: {e}")))?;
    }
    Ok(AuditArgs {
        set: params.one("set")?.map(str::to_owned),
        from: Some(from),
        to: Some(to),
        month: None,
        format: format_of(params.one("format")?.unwrap_or("json"))?,
        claims,
        archives: runner.archives.clone(),
        out: None,
        lang: language(params.one("lang")?, headers)?,
    })
}

/// An audit error as an API error: what the caller asked for is at fault (400, naming the
/// parameter where one is), or the store (502, in general terms).
fn audit_error(e: AuditError) -> ApiError {
    match &e {
        AuditError::Period(_) => ApiError::bad("from", e.to_string()),
        AuditError::SpansSets { .. }
        | AuditError::NoSetInForce { .. }
        | AuditError::Boundary(_) => ApiError::bad("set", e.to_string()),
        AuditError::Claim(_) => ApiError::bad("claim", e.to_string()),
        AuditError::EmptyPeriod { .. } => ApiError::status(StatusCode::NOT_FOUND, e.to_string()),
        _ => ApiError::store(&e),
    }
}

/// `GET /api/v1/audit`.
pub async fn audit(
    State(s): State<ApiState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(
        raw.as_deref(),
        &["set", "from", "to", "claim", "format", "lang"],
    )?;
    let runner = &s.audits;
    let args = args_of(&params, &headers, runner)?;
    if let Some(name) = &args.set {
        s.boundaries.get(name).map_err(|_| {
            let known: Vec<&str> = s.boundaries.sets().iter().map(|b| b.name()).collect();
            ApiError::bad(
                "set",
                format!("unknown set `{name}`; known: {}", known.join(", ")),
            )
        })?;
    }
    let Some(_permit) = runner.hold() else {
        let mut e = ApiError::status(
            StatusCode::TOO_MANY_REQUESTS,
            "an audit is already running (one at a time); try again shortly",
        );
        e.retry_after = Some(10);
        return Err(e);
    };
    let run =
        coverage_audit::run_audit(&args, runner.endpoint.as_ref(), &runner.cfg, &s.boundaries);
    let report = match tokio::time::timeout(runner.limits.audit_timeout, run).await {
        Ok(r) => r.map_err(audit_error)?,
        Err(_) => {
            let mut e = ApiError::status(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the audit took longer than api.audit_timeout ({}); audit a shorter period",
                    humantime::format_duration(runner.limits.audit_timeout)
                ),
            );
            e.retry_after = Some(60);
            return Err(e);
        }
    };
    let set = s
        .boundaries
        .get(&report.boundary_set)
        .map_err(|e| ApiError::bad("set", e.to_string()))?;
    let body = coverage_audit::render(&report, args.format, set, args.lang);
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(args.format)),
    );
    Ok(resp)
}

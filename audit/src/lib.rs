//! Coverage audit: hourly aggregates -> verdicts per site, commune, district and province ->
//! claims -> reports.
//!
//! The path of one audit ([`run_audit`]):
//!
//! 1. choose the boundary set: `--set`, else the one in force over the whole period (a period
//!    spanning the 2025-07-01 change is an error asking for `--set`);
//! 2. parse the claims and check them against that set, before reading any data;
//! 3. get hourly aggregates from a [`source::AggregateSource`]: InfluxDB through InfluxQL
//!    ([`source::influxql`], at a [`QueryEndpoint`]) or line-protocol archive files
//!    ([`source::archive`]), which give identical rows;
//! 4. place every site on the set ([`report`]), apply the coverage semantics of DESIGN.md
//!    ([`verdict`] for mobile, [`fibre`]), judge the claims ([`claim`]);
//! 5. render as JSON, Markdown, CSV, HTML with a map or GeoJSON ([`render`]).
//!
//! Every step after 3 is a pure function; the same aggregates, configuration and boundaries
//! give a byte-identical report.

pub mod claim;
pub mod config;
pub mod fibre;
pub mod period;
pub mod progress;
pub mod render;
pub mod report;
pub mod rollup;
pub mod source;
pub mod speed;
pub mod verdict;

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use coverage_shared::boundary::{BoundaryError, BoundaryRegistry, BoundarySet};
pub use coverage_shared::text::Lang;

pub use claim::{Claim, ClaimError, ClaimVerdict};
pub use config::{AuditConfig, FibreConfig, Pct, SiteEntry};
pub use fibre::FibreVerdict;
pub use period::{Month, PeriodBound};
pub use progress::Progress;
pub use report::{Report, ReportInputs, build_report};
pub use source::archive::ArchiveSource;
pub use source::influxql::InfluxQlSource;
pub use source::{AggregateQuery, AggregateSource, Aggregates, QueryEndpoint, SourceInfo};
pub use verdict::MobileVerdict;

/// Everything that can stop an audit, with the context to act on it.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A setting of `[audit]` (or of the query endpoint, `influx.url`) is invalid.
    #[error("invalid setting `{key}`: {problem}")]
    Config {
        /// The key, e.g. `audit.fibre.max_rtt_ms`.
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// `--from`/`--to` do not make a period.
    #[error("invalid audit period: {0}")]
    Period(String),
    /// The store holds no reading in the period.
    #[error("no reading in the audit period {from} to {to}: {held}; choose a period with data")]
    EmptyPeriod {
        /// Period start, local time with offset.
        from: String,
        /// Period end.
        to: String,
        /// What the store does hold.
        held: String,
    },
    /// The period spans a change of boundary sets.
    #[error(
        "the period {from} to {to} spans a change of boundary sets ({first} until {first_until}, then {second}); audit each part separately or choose a set with --set"
    )]
    SpansSets {
        /// Period start.
        from: String,
        /// Period end.
        to: String,
        /// Set in force at the start.
        first: String,
        /// Its last day.
        first_until: String,
        /// Set in force at the end.
        second: String,
    },
    /// No set is in force at some instant of the period.
    #[error("no boundary set is in force at {at}; choose one with --set")]
    NoSetInForce {
        /// The instant.
        at: String,
    },
    /// Boundary data problem (unknown set name...).
    #[error(transparent)]
    Boundary(#[from] BoundaryError),
    /// A claim is malformed or does not fit the set.
    #[error(transparent)]
    Claim(#[from] ClaimError),
    /// Neither archive files nor an InfluxDB connection were given.
    #[error("no data source: pass --archive FILE, or configure [influx] in the collector config")]
    NoSource,
    /// InfluxDB could not be reached or the transfer broke.
    #[error("InfluxDB at {url}: request failed")]
    Http {
        /// Base URL (without credentials).
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// InfluxDB answered with an HTTP error.
    #[error("InfluxDB at {url} answered HTTP {status}: {body}")]
    InfluxStatus {
        /// Base URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// Start of the body.
        body: String,
    },
    /// InfluxDB rejected a statement, or answered it in an unexpected shape.
    #[error("InfluxDB query failed: {message}; query: {query}")]
    InfluxQuery {
        /// The statement.
        query: String,
        /// InfluxDB's message, or what was unexpected.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The report could not be written.
    #[error("cannot write the report to {path}")]
    Write {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A background task failed (panicked or was cancelled).
    #[error("audit task failed: {0}")]
    Task(String),
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The full report as JSON.
    #[default]
    Json,
    /// Markdown for people.
    Md,
    /// One CSV row per commune.
    Csv,
    /// One self-contained HTML page with a map of the communes (works offline, prints on A4).
    Html,
    /// The set's communes with their verdicts as a GeoJSON FeatureCollection, for QGIS.
    Geojson,
}

/// Parses an RFC 3339 instant (any offset) into UTC.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("`{s}` is not an RFC 3339 time such as 2025-11-01T00:00:00+07:00: {e}")
        })
}

/// `coverage-collector audit` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// Boundary set to audit (`bac-kan-2020`, `thai-nguyen-2025`); default: the set in force
    /// over the whole period.
    #[arg(long)]
    pub set: Option<String>,
    /// Period start (inclusive): a date, local midnight (`2025-06-01`), or an RFC 3339 time
    /// (`2025-06-01T00:00:00+07:00`).
    #[arg(long, value_parser = period::parse_bound)]
    pub from: Option<PeriodBound>,
    /// Period end (exclusive), as `--from` (`--from 2025-06-01 --to 2025-07-01` is June).
    #[arg(long, value_parser = period::parse_bound)]
    pub to: Option<PeriodBound>,
    /// A calendar month instead of `--from`/`--to` (`2025-06`), in the audit's time zone.
    #[arg(long, value_parser = period::parse_month, conflicts_with_all = ["from", "to"])]
    pub month: Option<Month>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Claim to judge, `SERVICE:LEVEL:PERCENT[:operator=MCC-MNC][@SCOPE]` (repeatable), e.g.
    /// `mobile:communes:100`, `fibre:districts:100`, `mobile:communes:100@former=06`.
    #[arg(long = "claim", value_name = "CLAIM")]
    pub claims: Vec<String>,
    /// Read these line-protocol archive files instead of InfluxDB (repeatable).
    #[arg(long = "archive", value_name = "PATH")]
    pub archives: Vec<PathBuf>,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Language of the report's words, `vi` or `en`; default from `LANG` (`vi*`: Vietnamese,
    /// else English).
    #[arg(long, value_parser = parse_lang, default_value_t = default_lang())]
    pub lang: Lang,
}

/// Parses `--lang`: `vi` or `en`.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s)
        .ok_or_else(|| format!("`{s}` is not a report language; use `--lang vi` or `--lang en`"))
}

/// The report language when `--lang` is not given: from the `LANG` variable.
pub fn default_lang() -> Lang {
    Lang::from_locale(std::env::var("LANG").ok().as_deref())
}

/// The set to audit: `requested`, else the one in force at both ends of `[from, to)`.
pub fn choose_set<'r>(
    registry: &'r BoundaryRegistry,
    requested: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    offset_hours: i32,
) -> Result<&'r BoundarySet, AuditError> {
    if let Some(name) = requested {
        return Ok(registry.get(name)?);
    }
    let last = to - Duration::nanoseconds(1);
    let at = |t: DateTime<Utc>| {
        registry
            .in_force_at(t)
            .ok_or_else(|| AuditError::NoSetInForce {
                at: period::local_rfc3339(t, offset_hours),
            })
    };
    let (first, second) = (at(from)?, at(last)?);
    if first.name() != second.name() {
        return Err(AuditError::SpansSets {
            from: period::local_rfc3339(from, offset_hours),
            to: period::local_rfc3339(to, offset_hours),
            first: first.name().to_owned(),
            first_until: first
                .info()
                .valid_until
                .map_or_else(|| "open".to_owned(), |d| d.to_string()),
            second: second.name().to_owned(),
        });
    }
    Ok(first)
}

impl AuditArgs {
    /// The period `[from, to)` in UTC, dates and months at local midnight of `offset_hours`.
    pub fn period(&self, offset_hours: i32) -> Result<(DateTime<Utc>, DateTime<Utc>), AuditError> {
        period::resolve(self.from, self.to, self.month, offset_hours)
    }
}

/// Fetches the period's aggregates; a period in which the store holds nothing is an error that
/// names the period and the span the store does hold (not a report of communes without sites).
async fn fetch_some<S: AggregateSource>(
    source: &S,
    query: &AggregateQuery,
    offset_hours: i32,
) -> Result<(Aggregates, SourceInfo), AuditError> {
    let (aggregates, info) = source.fetch(query).await?;
    if !aggregates.is_empty() {
        return Ok((aggregates, info));
    }
    let local = |t: DateTime<Utc>| period::local_rfc3339(t, offset_hours);
    let ms = |ms: i64| chrono::TimeZone::timestamp_millis_opt(&Utc, ms).single();
    let held = match source.span().await? {
        None => "the store holds no reading at all".to_owned(),
        Some(span) => match (ms(span.first_ms), ms(span.last_ms)) {
            (Some(first), Some(last)) => format!(
                "the store holds readings from {} to {}",
                local(first),
                local(last)
            ),
            _ => "the store's readings have unreadable times".to_owned(),
        },
    };
    Err(AuditError::EmptyPeriod {
        from: local(query.from),
        to: local(query.to),
        held,
    })
}

/// Runs one audit: aggregates from archives (`--archive`) or InfluxDB, verdicts, claims.
pub async fn run_audit(
    args: &AuditArgs,
    influx: Option<&QueryEndpoint>,
    cfg: &AuditConfig,
    boundaries: &BoundaryRegistry,
) -> Result<Report, AuditError> {
    cfg.validate()?;
    let (from, to) = args.period(cfg.timezone_offset_hours)?;
    let set = choose_set(
        boundaries,
        args.set.as_deref(),
        from,
        to,
        cfg.timezone_offset_hours,
    )?;
    let claims = args
        .claims
        .iter()
        .map(|c| Claim::parse(c))
        .collect::<Result<Vec<_>, _>>()?;
    for claim in &claims {
        claim.areas(set, boundaries)?;
    }
    let query = AggregateQuery {
        from,
        to,
        policy: cfg.policy.clone(),
        fibre_target: cfg.fibre.target.clone(),
    };
    let (aggregates, source) = if !args.archives.is_empty() {
        let source =
            ArchiveSource::new(args.archives.clone()).with_progress(Progress::on_terminal());
        fetch_some(&source, &query, cfg.timezone_offset_hours).await?
    } else if let Some(influx) = influx {
        let source = InfluxQlSource::new(influx)?.with_progress(Progress::on_terminal());
        fetch_some(&source, &query, cfg.timezone_offset_hours).await?
    } else {
        return Err(AuditError::NoSource);
    };
    build_report(ReportInputs {
        set,
        registry: boundaries,
        cfg,
        from,
        to,
        claims: &claims,
        aggregates: &aggregates,
        source,
    })
    .map(|r| report::explain::localised(r, args.lang))
}

/// Renders a report in `format`; `set` is the set the report audited (the HTML map and the
/// GeoJSON geometry are drawn from it), `lang` the language of the words.
pub fn render(report: &Report, format: Format, set: &BoundarySet, lang: Lang) -> String {
    // Every format speaks `lang`: a report localised in another language is localised anew.
    let report = &render::html::in_language(report, lang);
    match format {
        Format::Json => render::json(report),
        Format::Md => render::markdown(report),
        Format::Csv => render::csv(report),
        Format::Html => render::html::render(report, set, lang),
        Format::Geojson => render::geojson::render(report, set, lang),
    }
}

/// Renders the report in `args.format` and writes it to `args.out`, or to standard output.
/// `boundaries` must hold the report's set (the registry it was audited with).
pub fn write_report(
    args: &AuditArgs,
    report: &Report,
    boundaries: &BoundaryRegistry,
) -> Result<(), AuditError> {
    let set = boundaries.get(&report.boundary_set)?;
    let text = render(report, args.format, set, args.lang);
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|source| AuditError::Write {
            path: path.display().to_string(),
            source,
        }),
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|source| AuditError::Write {
                    path: "standard output".into(),
                    source,
                })
        }
    }
}

/// The repository's boundary sets (`data/boundaries`), for unit tests.
#[cfg(test)]
pub(crate) fn test_registry() -> BoundaryRegistry {
    BoundaryRegistry::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/boundaries")).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_registry as registry;
    use chrono::TimeZone;

    #[test]
    fn set_in_force_over_the_period() {
        let r = registry();
        let t = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        assert_eq!(
            choose_set(&r, None, t(2024, 1, 1, 0), t(2024, 2, 1, 0), 7)
                .unwrap()
                .name(),
            "bac-kan-2020"
        );
        assert_eq!(
            choose_set(&r, None, t(2025, 11, 1, 0), t(2025, 12, 1, 0), 7)
                .unwrap()
                .name(),
            "thai-nguyen-2025"
        );
        // Ends exactly at midnight of 1 July in Vietnam (17:00 UTC): still all 2020.
        assert_eq!(
            choose_set(&r, None, t(2025, 6, 1, 0), t(2025, 6, 30, 17), 7)
                .unwrap()
                .name(),
            "bac-kan-2020"
        );
        let err = choose_set(&r, None, t(2025, 6, 1, 0), t(2025, 7, 2, 0), 7)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--set") && err.contains("2025-06-30"), "{err}");
        assert!(
            err.contains("2025-06-01T07:00:00+07:00"),
            "local time with the offset: {err}"
        );
        assert_eq!(
            choose_set(
                &r,
                Some("bac-kan-2020"),
                t(2025, 6, 1, 0),
                t(2025, 7, 2, 0),
                7
            )
            .unwrap()
            .name(),
            "bac-kan-2020"
        );
        assert!(choose_set(&r, Some("nope"), t(2025, 6, 1, 0), t(2025, 7, 2, 0), 7).is_err());
        assert!(matches!(
            choose_set(&r, None, t(2019, 1, 1, 0), t(2019, 2, 1, 0), 7),
            Err(AuditError::NoSetInForce { .. })
        ));
    }

    #[test]
    fn instants_parse_with_offsets() {
        assert_eq!(
            parse_instant("2025-11-01T07:00:00+07:00").unwrap(),
            Utc.with_ymd_and_hms(2025, 11, 1, 0, 0, 0).unwrap()
        );
        assert!(
            parse_instant("2025-11-01")
                .unwrap_err()
                .contains("RFC 3339")
        );
    }
}

//! Logging set-up for both daemons: tracing to standard error, filtered by `COVERAGE_LOG`.
//!
//! `COVERAGE_LOG` takes a level and per-module levels (`info,coverage_agent::publish=debug`):
//! tracing-subscriber's `Targets` filter rather than `EnvFilter`, whose span and field filters
//! neither daemon needs and whose regex engine costs the agent about 0.3 MiB of resident code
//! (bench/README.md). A value that does not parse is reported (as a warning, once logging
//! works) and the default used, never silently ignored. Colours only on a terminal, so the
//! journal gets plain text.

use std::io::IsTerminal;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// The environment variable that sets the log filter.
pub const LOG_ENV: &str = "COVERAGE_LOG";

/// The filter for `value` (the content of `COVERAGE_LOG`, if set), else `default`; the second
/// element says why `value` was not used when it does not parse.
pub fn filter(value: Option<&str>, default: &str) -> (Targets, Option<String>) {
    let fallback = || default.parse::<Targets>().unwrap_or_default();
    match value {
        Some(v) if !v.trim().is_empty() => match v.parse::<Targets>() {
            Ok(t) => (t, None),
            Err(e) => (
                fallback(),
                Some(format!(
                    "{LOG_ENV}={v:?} is not a log filter ({e}); using {default:?}"
                )),
            ),
        },
        _ => (fallback(), None),
    }
}

/// Installs the global subscriber: standard error, at `default` unless `COVERAGE_LOG` says
/// otherwise.
pub fn init_tracing(default: &str) {
    let value = std::env::var(LOG_ENV).ok();
    let (filter, bad) = filter(value.as_deref(), default);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
    if let Some(message) = bad {
        tracing::warn!("{message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn a_filter_that_parses_is_used_and_a_bad_one_is_reported() {
        let (t, bad) = filter(Some("warn,coverage_agent::publish=debug"), "info");
        assert!(bad.is_none());
        assert!(t.would_enable("coverage_agent::publish", &Level::DEBUG));
        assert!(!t.would_enable("coverage_agent::spool", &Level::INFO));
        let (t, bad) = filter(Some("info,=nonsense=="), "warn");
        let bad = bad.expect("reported");
        assert!(
            bad.contains("COVERAGE_LOG") && bad.contains("\"warn\""),
            "{bad}"
        );
        assert!(!t.would_enable("x", &Level::INFO));
        assert!(t.would_enable("x", &Level::WARN));
        let (t, bad) = filter(None, "info");
        assert!(bad.is_none() && t.would_enable("x", &Level::INFO));
        let (_, bad) = filter(Some("  "), "info");
        assert!(bad.is_none());
    }
}

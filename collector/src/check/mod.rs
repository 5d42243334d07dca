//! `coverage-collector check`: the pre-flight of a collector's config, one line per check with
//! its fix, laid out as the agent's `coverage-agent check` (`✔` passed, `!` a warning that does
//! not fail, `✘` failed); exit code 0 only when no check failed.
//!
//! What is checked, with the collector's own code (no second client):
//!
//! - the broker ([`broker`]): connect and credentials (CONNACK), the right to subscribe to the
//!   readings filter (SUBACK), and a QoS 1 resend request on `coverage/v1/{site}/resend` for a
//!   probe site (PUBACK; mosquitto 2.0 acknowledges even a publish its ACL denied, and the line
//!   says so);
//! - the store ([`influx`]): InfluxDB's `/ping`, the database (`SHOW DATABASES`), one point
//!   written to the measurement `collector_check`, `SHOW MEASUREMENTS LIMIT 1`; or, for
//!   `[archive]`, the file's directory writable;
//! - the boundary sets load, every registry site lies in the commune it names, and the
//!   dead-letter file's directory is writable ([`files`]).
//!
//! The model ([`Report`], [`Check`]) and the functions that word what was found are pure and
//! unit-tested; the broker session and the store requests run concurrently, each step under
//! `--timeout`, so `check` always finishes.

mod broker;
pub(crate) mod files;
mod influx;
pub(crate) mod report;

pub use broker::{BrokerContext, BrokerOutcome, PROBE_SITE, Step, broker_checks, suback_code};
pub use files::{boundaries_check, dir_check, parent_dir, registry_checks};
pub use influx::{database_check, database_names, ping_check, query_check, write_check};
pub use report::{Check, Report, Status, error_chain};

use crate::config::Config;
use coverage_shared::text::Lang;
use coverage_shared::text::server::text;
use std::time::Duration;

/// Runs every check of `cfg` in `lang`, each network step bounded by `limit`.
pub async fn check_config(cfg: &Config, limit: Duration, lang: Lang) -> Report {
    let t = text(lang);
    let (broker, store) = tokio::join!(
        broker::check_broker(cfg, limit, lang),
        influx::check_store(cfg, limit, lang),
    );
    let mut report = Report::default();
    report.checks.extend(broker);
    report.checks.extend(store);
    let bounds = crate::run::boundaries(cfg).map_err(|e| error_chain(&e));
    report.push(boundaries_check(
        cfg.boundaries_dir.as_deref(),
        &bounds,
        lang,
    ));
    if let Ok(bounds) = &bounds {
        report
            .checks
            .extend(registry_checks(&cfg.registry, bounds, lang));
    }
    report.push(dir_check(t.check_dead_letter, &cfg.dead_letter.path, lang));
    if let Some(wal) = &cfg.wal {
        // The log's own files go in its directory: try it as the directory of one of them.
        report.push(dir_check(t.check_wal, &wal.dir.join("acks"), lang));
    }
    report
}

//! The store checks, through the collector's own InfluxDB code: [`InfluxStore`] (the
//! coordinator's reader) for `/ping`, `SHOW DATABASES` and `SHOW MEASUREMENTS LIMIT 1`, and the
//! sink's [`Writer`] for the write, so a failure is classified as the running collector would.
//!
//! InfluxDB (v1 API): reachable, the database exists, one point written to the measurement
//! `collector_check` (the default retention policy, where readings go), one read statement
//! answered. With `api = "v2"` the bucket is not listed separately: the write to it is the check.
//! The archive store: the file's directory is writable.
//!
//! The `*_check` functions turn what was found into a line without I/O; [`check_store`] runs
//! the requests, each under the step timeout.

use super::files::dir_check;
use super::report::Check;
use crate::config::{Config, Store};
use crate::coordinator::store::{InfluxStore, Series};
use crate::sink::influx::InfluxApi;
use coverage_shared::text::server::text;
use coverage_shared::text::{Lang, fill};
use std::time::Duration;

/// The `InfluxDB` line for a `/ping`.
pub fn ping_check(url: &str, answer: &Result<String, String>, lang: Lang) -> Check {
    let t = text(lang);
    match answer {
        Ok(version) => Check::pass(
            t.check_influx,
            fill(
                t.influx_ping,
                &[("url", &url), ("version", &version.as_str())],
            ),
        ),
        Err(error) => Check::fail(
            t.check_influx,
            fill(
                t.influx_unreachable,
                &[("url", &url), ("error", &error.as_str())],
            ),
            fill(
                t.influx_unreachable_fix,
                &[("url", &url.trim_end_matches('/'))],
            ),
        ),
    }
}

/// The `database` line for the answer of `SHOW DATABASES`. A refused statement is a warning:
/// a user without admin rights may not list databases yet write and query its own.
pub fn database_check(database: &str, answer: &Result<Vec<String>, String>, lang: Lang) -> Check {
    let t = text(lang);
    match answer {
        Ok(names) if names.iter().any(|n| n == database) => Check::pass(
            t.check_database,
            fill(t.database_found, &[("database", &database)]),
        ),
        Ok(names) => Check::fail(
            t.check_database,
            fill(
                t.database_missing,
                &[("database", &database), ("found", &names.join(", "))],
            ),
            fill(t.database_missing_fix, &[("database", &database)]),
        ),
        Err(error) => Check::warn(
            t.check_database,
            fill(t.database_failed, &[("error", &error.as_str())]),
            t.database_failed_fix,
        ),
    }
}

/// The `write` line.
pub fn write_check(database: &str, answer: &Result<(), String>, lang: Lang) -> Check {
    let t = text(lang);
    match answer {
        Ok(()) => Check::pass(t.check_write, fill(t.write_ok, &[("database", &database)])),
        Err(error) => Check::fail(
            t.check_write,
            fill(
                t.write_failed,
                &[("database", &database), ("error", &error.as_str())],
            ),
            fill(t.write_failed_fix, &[("database", &database)]),
        ),
    }
}

/// The `query` line for the answer of `SHOW MEASUREMENTS LIMIT 1`.
pub fn query_check(database: &str, answer: &Result<usize, String>, lang: Lang) -> Check {
    let t = text(lang);
    match answer {
        Ok(n) => Check::pass(
            t.check_query,
            fill(
                t.query_ok,
                &[("database", &database as &dyn std::fmt::Display), ("n", n)],
            ),
        ),
        Err(error) => Check::fail(
            t.check_query,
            fill(
                t.query_failed,
                &[("database", &database), ("error", &error.as_str())],
            ),
            fill(t.query_failed_fix, &[("database", &database)]),
        ),
    }
}

/// The database names in an answer of `SHOW DATABASES`.
pub fn database_names(series: &[Series]) -> Vec<String> {
    series
        .iter()
        .flat_map(|s| {
            s.values
                .iter()
                .filter_map(|row| s.cell(row, "name")?.as_str().map(str::to_owned))
        })
        .collect()
}

async fn bounded<T, E: std::fmt::Display>(
    limit: Duration,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "no answer within {}",
            humantime::format_duration(limit)
        )),
    }
}

/// The store lines for `cfg`: InfluxDB's four, or the archive directory's one.
pub async fn check_store(cfg: &Config, limit: Duration, lang: Lang) -> Vec<Check> {
    let t = text(lang);
    let (influx, endpoint) = match (&cfg.store, cfg.store.query_endpoint()) {
        (Store::Archive(path), _) => return vec![dir_check(t.check_archive, path, lang)],
        (Store::Influx { cfg: influx, .. }, Some(endpoint)) => (influx, endpoint),
        (Store::Influx { .. }, None) => return Vec::new(),
    };
    let database = influx.database.as_str();
    let store = match InfluxStore::new(influx, &endpoint) {
        Ok(s) => s,
        Err(e) => {
            return vec![ping_check(&influx.url, &Err(e.to_string()), lang)];
        }
    };
    let ping = bounded(limit, store.ping()).await.map_err(|e| {
        // The URL is said by the line itself.
        e.strip_prefix(&format!(
            "InfluxDB at {}: ",
            influx.url.trim_end_matches('/')
        ))
        .map_or(e.clone(), str::to_owned)
    });
    let mut lines = vec![ping_check(&influx.url, &ping, lang)];
    if ping.is_err() {
        return lines;
    }
    if influx.api == InfluxApi::V1 {
        let names = bounded(limit, store.query("SHOW DATABASES"))
            .await
            .map(|s| database_names(&s));
        let line = database_check(database, &names, lang);
        let missing = matches!(&names, Ok(n) if !n.iter().any(|n| n == database));
        lines.push(line);
        if missing {
            // The v1 writer would create a missing database: not the check's to do.
            return lines;
        }
    }
    let written = match crate::run::writer(cfg) {
        Ok(w) => {
            let point = format!(
                "collector_check ok=1i {}\n",
                chrono::Utc::now().timestamp_millis()
            );
            bounded(limit, w.write(&point)).await
        }
        Err(e) => Err(e.to_string()),
    };
    lines.push(write_check(database, &written, lang));
    let measured = bounded(limit, async {
        store
            .query("SHOW MEASUREMENTS LIMIT 1")
            .await
            .map(|s| s.iter().map(|s| s.values.len()).sum::<usize>())
    })
    .await;
    lines.push(query_check(database, &measured, lang));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    #[test]
    fn lines_for_each_answer() {
        let ok = ping_check("http://127.0.0.1:8086", &Ok("1.6.7~rc0".into()), Lang::En);
        assert_eq!(ok.status, Status::Pass);
        let down = ping_check(
            "http://127.0.0.1:9/",
            &Err("connection refused".into()),
            Lang::En,
        );
        assert_eq!(down.status, Status::Fail);
        assert!(down.detail.contains("http://127.0.0.1:9/"), "{down:?}");
        assert!(
            down.fix
                .unwrap()
                .contains("curl -i http://127.0.0.1:9/ping")
        );

        let names = Ok(vec!["_internal".to_owned(), "coverage".to_owned()]);
        assert_eq!(
            database_check("coverage", &names, Lang::En).status,
            Status::Pass
        );
        let missing = database_check("other", &names, Lang::En);
        assert_eq!(missing.status, Status::Fail);
        assert!(
            missing.detail.contains("_internal, coverage"),
            "{missing:?}"
        );
        let refused = database_check("coverage", &Err("forbidden".into()), Lang::En);
        assert_eq!(refused.status, Status::Warn, "listing is an admin right");

        let w = write_check(
            "coverage",
            &Err("InfluxDB unavailable (403)".into()),
            Lang::En,
        );
        assert_eq!(w.status, Status::Fail);
        assert!(w.fix.unwrap().contains("GRANT WRITE ON \"coverage\""));
        let q = query_check("coverage", &Ok(1), Lang::Vi);
        assert_eq!(q.status, Status::Pass);
        assert!(q.name == "quyền truy vấn", "{q:?}");
    }

    #[test]
    fn database_names_from_an_answer() {
        let s = crate::coordinator::store::parse_answer(
            br#"{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["_internal"],["coverage"]]}]}]}"#,
        )
        .unwrap();
        assert_eq!(database_names(&s), ["_internal", "coverage"]);
    }
}

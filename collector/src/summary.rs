//! `coverage-collector check-config`: what a valid config resolves to, as one readable screen
//! (`label: value`, one line per setting, paths resolved, defaults shown), in English or
//! Vietnamese (`coverage_shared::text::server`). No secret is printed: only whether one is set.

use crate::config::{Config, Store};
use crate::sink::influx::InfluxApi;
use coverage_shared::text::server::text;
use coverage_shared::text::{Lang, fill};

fn duration(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The screen of `check-config` for `cfg`, in `lang`.
pub fn summary(cfg: &Config, lang: Lang) -> String {
    let t = text(lang);
    let mut rows: Vec<(&str, String)> = Vec::new();
    let user = cfg
        .mqtt
        .username
        .as_deref()
        .map_or_else(|| t.anonymous.to_owned(), |u| fill(t.user, &[("user", &u)]));
    rows.push((
        t.broker,
        fill(
            t.broker_value,
            &[
                ("url", &cfg.mqtt.url),
                ("user", &user),
                ("filter", &cfg.filter),
                ("receive", &cfg.ingest.receive_maximum),
                ("expiry", &duration(cfg.ingest.session_expiry)),
            ],
        ),
    ));
    rows.push((
        t.store,
        match &cfg.store {
            Store::Influx {
                cfg: influx,
                secret,
            } => fill(
                t.store_influx,
                &[
                    ("url", &influx.url),
                    (
                        "api",
                        &match influx.api {
                            InfluxApi::V1 => "v1",
                            InfluxApi::V2 => "v2",
                        },
                    ),
                    ("database", &influx.database),
                    (
                        "auth",
                        &if secret.is_some() {
                            t.secret_set
                        } else {
                            t.secret_none
                        },
                    ),
                ],
            ),
            Store::Archive(path) => fill(t.store_archive, &[("path", &path.display())]),
        },
    ));
    rows.push((
        t.sink,
        fill(
            t.sink_value,
            &[
                ("lines", &cfg.sink.batch_lines),
                ("flush", &duration(cfg.sink.flush_interval)),
                ("backoff", &duration(cfg.sink.max_backoff)),
            ],
        ),
    ));
    rows.push((
        t.dead_letter,
        fill(
            t.dead_letter_value,
            &[
                ("path", &cfg.dead_letter.path.display()),
                ("max", &cfg.dead_letter.max_bytes),
            ],
        ),
    ));
    rows.push((
        t.wal,
        cfg.wal.as_ref().map_or_else(
            || t.wal_none.to_owned(),
            |w| {
                fill(
                    t.wal_value,
                    &[("dir", &w.dir.display()), ("max", &w.max_bytes)],
                )
            },
        ),
    ));
    rows.push((t.http, cfg.http.listen.to_string()));
    rows.push((
        t.boundaries,
        cfg.boundaries_dir.as_ref().map_or_else(
            || t.boundaries_embedded.to_owned(),
            |d| d.display().to_string(),
        ),
    ));
    rows.push((
        t.registry,
        match &cfg.registry.file {
            Some(f) => fill(
                t.registry_value,
                &[
                    ("n", &cfg.registry.sites.len()),
                    ("file", &f.display()),
                    ("sha", &cfg.registry.sha256),
                ],
            ),
            None => t.registry_none.to_owned(),
        },
    ));
    rows.push((
        t.provisioning,
        match &cfg.provisioning {
            Some(p) => fill(
                t.provisioning_value,
                &[
                    ("file", &p.password_file.display()),
                    (
                        "reload",
                        &if p.reload.is_empty() {
                            t.provisioning_no_reload.to_owned()
                        } else {
                            format!("`{}`", p.reload.join(" "))
                        },
                    ),
                    ("url", &p.agent_broker_url),
                    (
                        "ca",
                        &p.agent_ca_file.as_ref().map_or_else(
                            || t.provisioning_no_ca.to_owned(),
                            |c| c.display().to_string(),
                        ),
                    ),
                ],
            ),
            None => t.provisioning_none.to_owned(),
        },
    ));
    let a = &cfg.audit;
    rows.push((
        t.audit,
        fill(
            t.audit_value,
            &[
                ("share", &format!("{} %", a.min_usable_share_pct)),
                ("samples", &a.min_samples),
                ("hours", &a.min_distinct_hours),
                ("offset", &format!("{:+03}:00", a.timezone_offset_hours)),
            ],
        ),
    ));
    let mut out = fill(t.valid, &[("file", &cfg.file.display())]);
    out.push('\n');
    out.push_str(&coverage_shared::text::format::label_rows(&rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_example_config_reads_as_a_summary_without_secrets() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/collector.example.toml"
        ));
        let cfg = Config::load(path).unwrap();
        let en = summary(&cfg, Lang::En);
        assert!(en.lines().next().unwrap().ends_with(": valid"), "{en}");
        assert!(en.contains("  broker:"), "{en}");
        let provisioning = en
            .lines()
            .find(|l| l.trim_start().starts_with("site provisioning:"))
            .expect("a provisioning row");
        assert!(
            provisioning.contains("mosquitto") && provisioning.contains("reload"),
            "the example's password file and reload command: {provisioning}"
        );
        assert!(!en.contains("Config {") && !en.contains("Secret"), "{en}");
        assert!(!en.contains('{'), "no placeholder left: {en}");
        let vi = summary(&cfg, Lang::Vi);
        assert!(vi.contains("  nơi lưu:"), "{vi}");
    }
}

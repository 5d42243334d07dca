//! `coverage-agent check-config`: what a valid config resolves to, as one readable screen
//! (`label: value`, one line per setting, paths resolved, defaults shown), in the technician's
//! language. No secret is printed: only where the password comes from.

use crate::check::{modem_route, probe_what};
use crate::config::AgentConfig;
use coverage_net::mqtt::SYSTEM_CA_BUNDLE;
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill, format};

/// `64 MiB`, `512 KiB`, `1.5 GiB`.
fn bytes(lang: Lang, n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    let decimals = if v.fract() == 0.0 { 0 } else { 1 };
    format!("{} {}", format::decimal(lang, v, decimals), UNITS[unit])
}

fn duration(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The screen of `check-config` for `cfg`, in `lang`.
pub fn summary(cfg: &AgentConfig, lang: Lang) -> String {
    let t = text(lang);
    let mut rows: Vec<(&str, String)> = Vec::new();
    let site = &cfg.site;
    rows.push((t.cc_site, site.id.clone()));
    let acc = site
        .acc_m
        .map(|m| fill(t.cc_accuracy, &[("metres", &crate::check::num(lang, m))]))
        .unwrap_or_default();
    rows.push((
        t.cc_position,
        fill(
            t.cc_position_value,
            &[
                ("lat", &site.lat),
                ("lon", &site.lon),
                ("placement", &site.placement.as_str()),
                ("antenna", &format!("{:?}", site.antenna).to_lowercase()),
                ("acc", &acc),
            ],
        ),
    ));
    rows.push((
        t.cc_commune,
        site.commune
            .as_ref()
            .map_or_else(|| t.cc_none.to_owned(), |c| format!("{}:{}", c.set, c.code)),
    ));
    let m = &cfg.mqtt;
    let user = m.username.as_deref().map_or_else(
        || t.broker_anonymous.to_owned(),
        |u| fill(t.broker_user, &[("user", &u)]),
    );
    let client_id = m.client_id.clone().unwrap_or_else(|| {
        fill(
            t.cc_client_id_default,
            &[("id", &format!("agent-{}", site.id))],
        )
    });
    rows.push((
        t.cc_broker,
        fill(
            t.cc_broker_value,
            &[
                ("url", &m.url),
                ("user", &user),
                ("client_id", &client_id),
                ("keep_alive", &duration(m.keep_alive)),
            ],
        ),
    ));
    rows.push((
        t.cc_password,
        match (&m.password_file, &m.password) {
            (Some(f), _) => fill(t.cc_password_file, &[("file", &cfg.base.join(f).display())]),
            (None, Some(_)) => t.cc_password_inline.to_owned(),
            (None, None) => t.cc_password_none.to_owned(),
        },
    ));
    if m.url.starts_with("mqtts") {
        rows.push((
            t.cc_ca,
            m.ca_file.as_ref().map_or_else(
                || fill(t.cc_system_ca, &[("file", &SYSTEM_CA_BUNDLE)]),
                |f| cfg.base.join(f).display().to_string(),
            ),
        ));
    }
    rows.push((t.cc_state, cfg.state_dir.display().to_string()));
    rows.push((t.cc_boundaries, cfg.boundaries_dir.display().to_string()));
    rows.push((
        t.cc_schedule,
        fill(
            t.cc_schedule_value,
            &[
                ("signal", &duration(cfg.schedule.signal_interval)),
                ("heartbeat", &duration(cfg.schedule.heartbeat_interval)),
            ],
        ),
    ));
    rows.push((
        t.cc_spool,
        fill(
            t.cc_spool_value,
            &[
                ("max", &bytes(lang, cfg.spool.max_bytes)),
                ("segment", &bytes(lang, cfg.spool.segment_bytes)),
                ("keep", &duration(cfg.spool.keep_sent)),
            ],
        ),
    ));
    if cfg.modems.is_empty() {
        rows.push((t.cc_modem, t.cc_none.to_owned()));
    }
    for modem in &cfg.modems {
        rows.push((
            t.cc_modem,
            format!("{}: {}", modem.name(), modem_route(modem, lang)),
        ));
    }
    if cfg.probes.is_empty() {
        rows.push((t.cc_probe, t.cc_none.to_owned()));
    }
    for p in &cfg.probes {
        rows.push((
            t.cc_probe,
            format!(
                "{}: {}",
                p.name(),
                fill(
                    t.cc_probe_value,
                    &[
                        ("what", &probe_what(t, p)),
                        ("count", &p.count()),
                        ("interval", &duration(p.interval())),
                        ("timeout", &duration(p.timeout())),
                    ],
                )
            ),
        ));
    }
    for tp in &cfg.throughput {
        rows.push((
            t.cc_throughput,
            format!(
                "{}: {}",
                tp.name(),
                fill(
                    t.cc_throughput_value,
                    &[
                        ("direction", &tp.direction().as_str()),
                        ("url", &tp.url_text()),
                        ("link", &tp.link().as_str()),
                        ("interval", &duration(tp.interval())),
                        (
                            "state",
                            &if tp.enabled() {
                                t.cc_enabled
                            } else {
                                t.cc_disabled
                            },
                        ),
                    ],
                )
            ),
        ));
    }
    let mut out = fill(t.cc_valid, &[("file", &cfg.file.display())]);
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
            "/../deploy/agent.example.toml"
        ));
        let cfg = AgentConfig::load(path).unwrap();
        let en = summary(&cfg, Lang::En);
        assert!(
            en.lines()
                .next()
                .unwrap()
                .ends_with("agent.example.toml: valid"),
            "{en}"
        );
        assert!(en.contains("  site:"), "{en}");
        assert!(!en.contains("AgentConfig"), "not a Debug dump: {en}");
        assert!(!en.contains('{'), "no placeholder left: {en}");
        assert_eq!(
            en.lines()
                .filter(|l| l.trim_start().starts_with("probe"))
                .count(),
            cfg.probes.len(),
            "{en}"
        );
        let vi = summary(&cfg, Lang::Vi);
        assert!(vi.contains("  điểm đo:"), "{vi}");
        assert_eq!(bytes(Lang::En, 64 * 1024 * 1024), "64 MiB");
        assert_eq!(bytes(Lang::Vi, 1536), "1,5 KiB");
    }
}

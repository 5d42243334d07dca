//! The `commune` check: the configured position against the boundary sets (the set in force
//! today, `site.commune`, a 2020 code through the 2020→2025 mapping), and where the boundary
//! files are looked for. [`commune_check`] is pure; [`check_commune`] loads the files off the
//! async runtime under a deadline.

use super::report::{Check, metres, num};
use crate::config::{AgentConfig, SiteConfig};
use chrono::{DateTime, Utc};
use coverage_shared::boundary::{BoundaryRegistry, Location, NEAR_EDGE_M};
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where boundary files are looked for, in order: `boundaries_dir` from the config, then
/// `<exe dir>/../share/coverage-monitor/boundaries` (an installed package), then the
/// checkout's `data/boundaries` (running from a build tree).
pub fn boundary_dirs(configured: &Path, exe: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = vec![configured.to_owned()];
    if let Some(bin) = exe.and_then(Path::parent) {
        dirs.push(bin.join("../share/coverage-monitor/boundaries"));
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/boundaries");
    dirs.push(checkout.canonicalize().unwrap_or(checkout));
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let key = d.canonicalize().unwrap_or_else(|_| d.clone());
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    dirs
}

/// Loads the first boundary directory of `dirs` that holds the sets.
pub fn load_boundaries(dirs: &[PathBuf]) -> Result<(BoundaryRegistry, PathBuf), String> {
    let mut errors = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            errors.push(format!("{}: missing", d.display()));
            continue;
        }
        match BoundaryRegistry::from_dir(d) {
            Ok(r) => return Ok((r, d.clone())),
            Err(e) => errors.push(format!("{}: {e}", d.display())),
        }
    }
    Err(errors.join("; "))
}

/// Where a located position is, in words: `Phường Đức Xuân (thai-nguyen-2025 01840)`.
pub fn place(loc: &Location<'_>, lang: Lang) -> String {
    let t = text(lang);
    match (loc.commune, loc.nearest) {
        (Some(c), _) => fill(
            t.place_in,
            &[("name", &c.name), ("set", &loc.set), ("code", &c.code)],
        ),
        (None, Some(n)) => fill(
            t.place_outside_near,
            &[
                ("set", &loc.set),
                ("name", &n.name),
                ("code", &n.code),
                ("distance", &metres(lang, loc.edge_distance_m)),
            ],
        ),
        (None, None) => fill(t.place_outside, &[("set", &loc.set)]),
    }
}

/// The `commune` line: the commune the configured position falls in, in the set in force at
/// `now`, against `site.commune` (a 2020 code is compared through the 2020→2025 mapping).
/// ✘ outside every commune or in another commune; `!` within [`NEAR_EDGE_M`] of an edge, when
/// `site.commune` is missing, or when it names a set no longer in force.
pub fn commune_check(
    registry: &BoundaryRegistry,
    site: &SiteConfig,
    now: DateTime<Utc>,
    source: &Path,
    lang: Lang,
) -> Check {
    let t = text(lang);
    let name = "commune";
    let Some(today) = registry.in_force_at(now).or_else(|| registry.sets().last()) else {
        return Check::warn(
            name,
            fill(t.commune_no_set, &[("dir", &source.display())]),
            t.commune_install_fix,
        );
    };
    let loc = today.locate(site.lat, site.lon);
    let here = place(&loc, lang);
    let Some(commune) = loc.commune else {
        return Check::fail(
            name,
            fill(
                t.commune_outside,
                &[("lat", &site.lat), ("lon", &site.lon), ("place", &here)],
            ),
            t.commune_outside_fix,
        );
    };
    let located = [
        ("set", &today.name() as &dyn std::fmt::Display),
        ("code", &commune.code),
    ];
    let Some(conf) = &site.commune else {
        return Check::warn(
            name,
            fill(t.commune_unset, &[("place", &here)]),
            fill(t.commune_unset_fix, &located),
        );
    };
    let conf_set = match registry.get(&conf.set) {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(
                name,
                fill(t.commune_bad_set, &[("place", &here), ("error", &e)]),
                fill(t.commune_bad_set_fix, &located),
            );
        }
    };
    let Some(conf_commune) = conf_set.commune(&conf.code) else {
        let list = format!(
            "{}/{}",
            source.display(),
            conf_set.info().file.replace(".geojson", ".csv")
        );
        return Check::fail(
            name,
            fill(
                t.commune_bad_code,
                &[("place", &here), ("code", &conf.code), ("set", &conf.set)],
            ),
            fill(
                t.commune_bad_code_fix,
                &[
                    ("list", &list),
                    ("today", &today.name()),
                    ("located", &commune.code),
                ],
            ),
        );
    };
    let configured = fill(
        t.place_in,
        &[
            ("name", &conf_commune.name),
            ("set", &conf.set),
            ("code", &conf.code),
        ],
    );
    // The configured commune in today's set, for the message: the same code, or a 2020 code
    // through the 2020→2025 mapping.
    let expected: Option<String> = if conf_set.name() == today.name() {
        Some(conf.code.clone())
    } else if conf_set.info().valid_from < today.info().valid_from {
        registry.map_2020_to_2025(&conf.code).map(str::to_owned)
    } else {
        None
    };
    // One rule for "is the configured commune the located one, across sets", shared with the
    // audit's flags (`BoundaryRegistry::matches_configured`). `conf` was checked above to name a
    // known set and one of its communes, so the comparison can always be made.
    let matches = registry
        .matches_configured(conf, today.name(), Some(commune.code.as_str()))
        .unwrap_or(false);
    if !matches {
        let mapped = match &expected {
            Some(code) if conf_set.name() != today.name() => fill(
                t.commune_mapped,
                &[
                    ("set", &today.name()),
                    ("code", code),
                    ("since", &today.info().valid_from),
                ],
            ),
            _ => String::new(),
        };
        return Check::fail(
            name,
            fill(
                t.commune_mismatch,
                &[
                    ("place", &here),
                    ("configured", &configured),
                    ("mapped", &mapped),
                ],
            ),
            fill(t.commune_mismatch_fix, &located),
        );
    }
    let mut detail = fill(
        t.commune_ok,
        &[
            ("place", &here),
            ("distance", &metres(lang, loc.edge_distance_m)),
        ],
    );
    let mut fixes = Vec::new();
    if loc.near_edge(NEAR_EDGE_M) {
        detail.push_str(&fill(
            t.commune_near_edge,
            &[("metres", &num(lang, NEAR_EDGE_M))],
        ));
        fixes.push(t.commune_near_edge_fix.to_owned());
    }
    if conf_set.name() != today.name() {
        detail.push_str(&fill(
            t.commune_old_set,
            &[
                ("old", &conf.set),
                ("today", &today.name()),
                ("since", &today.info().valid_from),
            ],
        ));
        fixes.push(fill(t.commune_old_set_fix, &located));
    }
    if fixes.is_empty() {
        Check::pass(name, detail)
    } else {
        Check::warn(name, detail, fixes.join("; "))
    }
}

pub(super) async fn check_commune(cfg: &AgentConfig, limit: Duration, lang: Lang) -> Check {
    let t = text(lang);
    let exe = std::env::current_exe().ok();
    let dirs = boundary_dirs(&cfg.boundaries_dir, exe.as_deref());
    let site = cfg.site.clone();
    let configured = cfg.boundaries_dir.clone();
    let work = tokio::task::spawn_blocking(move || match load_boundaries(&dirs) {
        Ok((registry, dir)) => {
            let mut c = commune_check(&registry, &site, Utc::now(), &dir, lang);
            if dir != configured {
                c.detail.push_str(&fill(
                    t.commune_from_elsewhere,
                    &[
                        ("found", &dir.display()),
                        ("configured", &configured.display()),
                    ],
                ));
            }
            c
        }
        Err(errors) => Check::warn(
            "commune",
            fill(t.commune_no_files, &[("errors", &errors)]),
            fill(t.commune_no_files_fix, &[("dir", &configured.display())]),
        ),
    });
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => Check::warn(
            "commune",
            fill(t.commune_lookup_failed, &[("error", &e)]),
            t.bug_fix,
        ),
        Err(_) => Check::warn(
            "commune",
            fill(
                t.commune_slow,
                &[("limit", &humantime::format_duration(limit))],
            ),
            t.commune_slow_fix,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    fn registry() -> BoundaryRegistry {
        BoundaryRegistry::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/boundaries"))
            .unwrap()
    }

    fn site(lat: f64, lon: f64, commune: Option<(&str, &str)>) -> SiteConfig {
        SiteConfig {
            id: "s1".into(),
            lat,
            lon,
            acc_m: None,
            placement: coverage_shared::wire::Placement::Indoor,
            antenna: coverage_shared::wire::Antenna::Internal,
            commune: commune.map(|(set, code)| coverage_shared::wire::CommuneRef {
                set: set.into(),
                code: code.into(),
            }),
        }
    }

    #[test]
    fn commune_lines() {
        let reg = registry();
        let now = "2025-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let dir = Path::new("/usr/share/coverage-monitor/boundaries");
        // 870 m inside Phường Đức Xuân (thai-nguyen-2025 01840).
        let (lat, lon) = (22.162534, 105.844234);
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "01840"))),
            now,
            dir,
            Lang::En,
        );
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(
            c.detail
                .contains("Phường Đức Xuân (thai-nguyen-2025 01840) as configured")
        );
        // The 2020 code of the example config maps to 01840: right commune, outdated set.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("bac-kan-2020", "01834"))),
            now,
            dir,
            Lang::En,
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.fix.unwrap().contains("code = \"01840\""));
        // Another commune.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "01843"))),
            now,
            dir,
            Lang::En,
        );
        assert_eq!(c.status, Status::Fail, "{c:?}");
        // Unknown code, unknown set, none configured, outside.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "99999"))),
            now,
            dir,
            Lang::En,
        );
        assert_eq!(c.status, Status::Fail);
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("nowhere-2030", "01840"))),
            now,
            dir,
            Lang::En,
        );
        assert_eq!(c.status, Status::Fail);
        let c = commune_check(&reg, &site(lat, lon, None), now, dir, Lang::En);
        assert_eq!(c.status, Status::Warn);
        let c = commune_check(&reg, &site(lon, lat, None), now, dir, Lang::En);
        assert_eq!(c.status, Status::Fail, "swapped coordinates: {c:?}");
        // In 2024 the 2020 set is in force: the example's own code, but near an edge.
        let then = "2024-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("bac-kan-2020", "01834"))),
            then,
            dir,
            Lang::En,
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.detail.contains("within 250 m"), "{c:?}");
    }

    #[test]
    fn the_example_config_passes_the_commune_check_today() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/agent.example.toml"
        ));
        let cfg = AgentConfig::load(path).unwrap();
        let c = commune_check(&registry(), &cfg.site, Utc::now(), path, Lang::En);
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(crate::check::no_modem_warning(&cfg, Lang::En).is_none());
    }

    #[test]
    fn boundary_dirs_order() {
        let dirs = boundary_dirs(
            Path::new("/nonexistent/b"),
            Some(Path::new("/opt/cm/bin/coverage-agent")),
        );
        assert_eq!(dirs[0], Path::new("/nonexistent/b"));
        assert_eq!(
            dirs[1],
            Path::new("/opt/cm/bin/../share/coverage-monitor/boundaries")
        );
        assert!(dirs[2].ends_with("data/boundaries"));
        let (_, found) = load_boundaries(&dirs).unwrap();
        assert_eq!(found, dirs[2]);
        let err = load_boundaries(&dirs[..2]).unwrap_err();
        assert!(err.contains("/nonexistent/b: missing"), "{err}");
    }
}

//! The `commune` check: the configured position against the boundary sets (the set in force
//! today, `site.commune`, a 2020 code through the 2020→2025 mapping), and where the boundary
//! files are looked for. [`commune_check`] is pure; [`check_commune`] loads the files off the
//! async runtime under a deadline.

use super::report::{Check, metres, num};
use crate::config::{AgentConfig, SiteConfig};
use chrono::{DateTime, Utc};
use coverage_shared::boundary::{BoundaryRegistry, Location, NEAR_EDGE_M};
use std::fmt::Write as _;
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

fn place(loc: &Location<'_>) -> String {
    match (loc.commune, loc.nearest) {
        (Some(c), _) => format!("{} ({} {})", c.name, loc.set, c.code),
        (None, Some(n)) => format!(
            "outside every commune of {} (nearest {} {}, {} away)",
            loc.set,
            n.name,
            n.code,
            metres(loc.edge_distance_m)
        ),
        (None, None) => format!("outside every commune of {}", loc.set),
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
) -> Check {
    let name = "commune";
    let Some(today) = registry.in_force_at(now).or_else(|| registry.sets().last()) else {
        return Check::warn(
            name,
            format!("no boundary set in {}", source.display()),
            "install the project's data/boundaries files",
        );
    };
    let loc = today.locate(site.lat, site.lon);
    let here = place(&loc);
    let Some(commune) = loc.commune else {
        return Check::fail(
            name,
            format!("position {}, {} is {here}", site.lat, site.lon),
            "check site.lat and site.lon: WGS84 decimal degrees, latitude first (swapped? a \
             sign lost?); survey the antenna's position again",
        );
    };
    let Some(conf) = &site.commune else {
        return Check::warn(
            name,
            format!("position is in {here}; site.commune is not set"),
            format!(
                "add commune = {{ set = \"{}\", code = \"{}\" }} to [site] if that is the \
                 commune the site was installed for",
                today.name(),
                commune.code
            ),
        );
    };
    let conf_set = match registry.get(&conf.set) {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(
                name,
                format!("position is in {here}; site.commune: {e}"),
                format!(
                    "use a known set: commune = {{ set = \"{}\", code = \"{}\" }}",
                    today.name(),
                    commune.code
                ),
            );
        }
    };
    let Some(conf_commune) = conf_set.commune(&conf.code) else {
        return Check::fail(
            name,
            format!(
                "position is in {here}; site.commune.code {} is not a commune of {}",
                conf.code, conf.set
            ),
            format!(
                "correct the code (the set's communes are listed in {}/{}): the position says \
                 commune = {{ set = \"{}\", code = \"{}\" }}",
                source.display(),
                conf_set.info().file.replace(".geojson", ".csv"),
                today.name(),
                commune.code
            ),
        );
    };
    let configured = format!("{} ({} {})", conf_commune.name, conf.set, conf.code);
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
            Some(code) if conf_set.name() != today.name() => {
                format!(
                    ", which is {} {code} since {}",
                    today.name(),
                    today.info().valid_from
                )
            }
            _ => String::new(),
        };
        return Check::fail(
            name,
            format!("position is in {here}, but site.commune is {configured}{mapped}"),
            format!(
                "survey the position again; if it is right, set commune = {{ set = \"{}\", \
                 code = \"{}\" }}",
                today.name(),
                commune.code
            ),
        );
    }
    let mut detail = format!(
        "position is in {here} as configured; {} from the nearest edge",
        metres(loc.edge_distance_m)
    );
    let mut fixes = Vec::new();
    if loc.near_edge(NEAR_EDGE_M) {
        let _ = write!(
            detail,
            " (within {} m: the placement is uncertain)",
            num(NEAR_EDGE_M)
        );
        fixes.push(
            "survey the position precisely (and set acc_m); reports flag sites this close to \
             an edge"
                .to_owned(),
        );
    }
    if conf_set.name() != today.name() {
        let _ = write!(
            detail,
            "; site.commune uses {}, {} is in force since {}",
            conf.set,
            today.name(),
            today.info().valid_from
        );
        fixes.push(format!(
            "update site.commune to {{ set = \"{}\", code = \"{}\" }}",
            today.name(),
            commune.code
        ));
    }
    if fixes.is_empty() {
        Check::pass(name, detail)
    } else {
        Check::warn(name, detail, fixes.join("; "))
    }
}

pub(super) async fn check_commune(cfg: &AgentConfig, limit: Duration) -> Check {
    let exe = std::env::current_exe().ok();
    let dirs = boundary_dirs(&cfg.boundaries_dir, exe.as_deref());
    let site = cfg.site.clone();
    let configured = cfg.boundaries_dir.clone();
    let work = tokio::task::spawn_blocking(move || match load_boundaries(&dirs) {
        Ok((registry, dir)) => {
            let mut c = commune_check(&registry, &site, Utc::now(), &dir);
            if dir != configured {
                let _ = write!(
                    c.detail,
                    "; boundaries from {} (none in boundaries_dir {})",
                    dir.display(),
                    configured.display()
                );
            }
            c
        }
        Err(errors) => Check::warn(
            "commune",
            format!("no boundary files found ({errors}); the position was not checked"),
            format!(
                "install the project's data/boundaries files into {} (or set boundaries_dir)",
                configured.display()
            ),
        ),
    });
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => Check::warn("commune", format!("lookup failed: {e}"), "report this bug"),
        Err(_) => Check::warn(
            "commune",
            format!("loading the boundary files took longer than {limit:?}"),
            "run check again with a longer --timeout",
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
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.fix.unwrap().contains("code = \"01840\""));
        // Another commune.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "01843"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Fail, "{c:?}");
        // Unknown code, unknown set, none configured, outside.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "99999"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Fail);
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("nowhere-2030", "01840"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Fail);
        let c = commune_check(&reg, &site(lat, lon, None), now, dir);
        assert_eq!(c.status, Status::Warn);
        let c = commune_check(&reg, &site(lon, lat, None), now, dir);
        assert_eq!(c.status, Status::Fail, "swapped coordinates: {c:?}");
        // In 2024 the 2020 set is in force: the example's own code, but near an edge.
        let then = "2024-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("bac-kan-2020", "01834"))),
            then,
            dir,
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.detail.contains("within 250 m"), "{c:?}");
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

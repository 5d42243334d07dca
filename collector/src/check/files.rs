//! The checks on this machine: the boundary sets load (embedded or `boundaries.dir`), every
//! registry site lies inside the commune it names (located with the same
//! [`BoundarySet::locate`] as `coverage-collector locate` and the audit), and the directories
//! the collector writes to (dead letters, the archive) are writable.
//!
//! [`registry_checks`] and [`boundaries_check`] are pure over what was loaded; [`dir_check`]
//! creates and removes one small file in the directory.

use super::report::Check;
use coverage_shared::boundary::{BoundaryRegistry, BoundarySet};
use coverage_shared::site::SiteRegistry;
use coverage_shared::text::server::text;
use coverage_shared::text::{Lang, fill};
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// The `boundary sets` line: the sets loaded from `dir` (`None`: compiled in), or why not.
pub fn boundaries_check(
    dir: Option<&Path>,
    loaded: &Result<BoundaryRegistry, String>,
    lang: Lang,
) -> Check {
    let t = text(lang);
    let from = dir.map_or_else(
        || t.boundaries_embedded.to_owned(),
        |d| d.display().to_string(),
    );
    match loaded {
        Ok(registry) => {
            let sets: Vec<&str> = registry.sets().iter().map(BoundarySet::name).collect();
            Check::pass(
                t.check_boundaries,
                fill(
                    t.boundaries_ok,
                    &[
                        ("n", &sets.len() as &dyn Display),
                        ("from", &from),
                        ("sets", &sets.join(", ")),
                    ],
                ),
            )
        }
        Err(error) => Check::fail(
            t.check_boundaries,
            fill(
                t.boundaries_failed,
                &[("from", &from), ("error", &error.as_str())],
            ),
            t.boundaries_fix,
        ),
    }
}

/// The `site registry` lines: one warning per site that lies outside the commune it names
/// (naming the commune it lies in), and one line for the registry as a whole (passed when
/// every site that names a commune lies in it).
pub fn registry_checks(sites: &SiteRegistry, bounds: &BoundaryRegistry, lang: Lang) -> Vec<Check> {
    let t = text(lang);
    let name = t.check_registry;
    let Some(file) = &sites.file else {
        return vec![Check::pass(name, t.registry_absent)];
    };
    let file = file.display().to_string();
    let mut problems = Vec::new();
    let mut unnamed = 0;
    for site in &sites.sites {
        let Some(conf) = &site.commune else {
            unnamed += 1;
            continue;
        };
        let lat = format!("{}", site.lat);
        let lon = format!("{}", site.lon);
        let fix = fill(
            t.registry_fix,
            &[
                ("file", &file.as_str() as &dyn Display),
                ("set", &conf.set),
                ("lat", &lat),
                ("lon", &lon),
            ],
        );
        let set = match bounds.get(&conf.set) {
            Ok(s) => s,
            Err(e) => {
                problems.push(Check::warn(
                    name,
                    fill(
                        t.registry_bad_ref,
                        &[
                            ("site", &site.id as &dyn Display),
                            ("named", &format!("{} {}", conf.set, conf.code)),
                            ("error", &e),
                        ],
                    ),
                    fix,
                ));
                continue;
            }
        };
        let named = set
            .commune(&conf.code)
            .map_or_else(|| conf.code.clone(), |c| format!("{} {}", c.code, c.name));
        let loc = set.locate(site.lat, site.lon);
        let detail = match (loc.commune, loc.nearest) {
            (Some(c), _) if c.code == conf.code => continue,
            (Some(c), _) => fill(
                t.registry_elsewhere,
                &[
                    ("site", &site.id as &dyn Display),
                    ("lat", &lat),
                    ("lon", &lon),
                    ("place", &format!("{} {}", c.code, c.name)),
                    ("set", &conf.set),
                    ("named", &named),
                ],
            ),
            (None, nearest) => fill(
                t.registry_nowhere,
                &[
                    ("site", &site.id as &dyn Display),
                    ("lat", &lat),
                    ("lon", &lon),
                    (
                        "place",
                        &nearest
                            .map_or_else(|| "-".to_owned(), |c| format!("{} {}", c.code, c.name)),
                    ),
                    ("distance", &format!("{:.0}", loc.edge_distance_m)),
                    ("set", &conf.set),
                    ("named", &named),
                ],
            ),
        };
        problems.push(Check::warn(name, detail, fix));
    }
    if problems.is_empty() {
        vec![Check::pass(
            name,
            fill(
                t.registry_ok,
                &[
                    ("n", &sites.sites.len() as &dyn Display),
                    ("file", &file),
                    ("unnamed", &unnamed),
                ],
            ),
        )]
    } else {
        problems
    }
}

/// The directory a file of the collector goes in.
pub fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Whether `file`'s directory takes a new file: one is created, written and removed. A
/// directory that does not exist yet passes when its nearest existing ancestor takes one (the
/// collector creates the missing directories).
pub fn dir_check(name: &str, file: &Path, lang: Lang) -> Check {
    let t = text(lang);
    let dir = parent_dir(file);
    let mut tried = dir.clone();
    while !tried.exists() {
        match tried.parent() {
            Some(p) if !p.as_os_str().is_empty() => tried = p.to_owned(),
            _ => {
                tried = PathBuf::from(".");
                break;
            }
        }
    }
    let probe = tried.join(format!(
        ".coverage-collector-check-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let written = std::fs::write(&probe, b"check\n");
    let _ = std::fs::remove_file(&probe);
    let shown = dir.display();
    match written {
        Ok(()) if tried == dir => Check::pass(
            name,
            fill(
                t.dir_writable,
                &[("dir", &shown as &dyn Display), ("file", &file.display())],
            ),
        ),
        Ok(()) => Check::pass(
            name,
            fill(
                t.dir_creatable,
                &[
                    ("dir", &shown as &dyn Display),
                    ("ancestor", &tried.display()),
                    ("file", &file.display()),
                ],
            ),
        ),
        Err(e) => Check::fail(
            name,
            fill(
                t.dir_not_writable,
                &[("dir", &tried.display() as &dyn Display), ("error", &e)],
            ),
            fill(t.dir_fix, &[("dir", &shown)]),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use coverage_shared::site::SiteEntry;
    use coverage_shared::wire::CommuneRef;

    fn site(id: &str, lat: f64, lon: f64, code: &str) -> SiteEntry {
        SiteEntry {
            commune: Some(CommuneRef {
                set: "bac-kan-2020".into(),
                code: code.into(),
            }),
            ..SiteEntry::at(id, lat, lon)
        }
    }

    #[test]
    fn a_site_outside_its_commune_names_the_one_it_lies_in() {
        let bounds = BoundaryRegistry::embedded().unwrap();
        let set = bounds.get("bac-kan-2020").unwrap();
        let inside = set
            .locate(22.162534, 105.844234)
            .commune
            .unwrap()
            .code
            .clone();
        let mut sites = SiteRegistry::from_sites(vec![
            site("s-ok", 22.162534, 105.844234, &inside),
            SiteEntry::at("s-unnamed", 22.162534, 105.844234),
        ])
        .unwrap();
        sites.file = Some(PathBuf::from("/etc/coverage/sites.toml"));
        let lines = registry_checks(&sites, &bounds, Lang::En);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].status, Status::Pass, "{lines:?}");
        assert!(lines[0].detail.contains("(1 name no commune)"), "{lines:?}");

        let other = set
            .communes()
            .iter()
            .find(|c| c.code != inside)
            .unwrap()
            .code
            .clone();
        sites
            .sites
            .push(site("s-moved", 22.162534, 105.844234, &other));
        let lines = registry_checks(&sites, &bounds, Lang::En);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].status, Status::Warn);
        let c = set.commune(&inside).unwrap();
        assert!(
            lines[0]
                .detail
                .contains(&format!("lies in {} {} of bac-kan-2020", c.code, c.name)),
            "{lines:?}"
        );
        assert!(
            lines[0]
                .fix
                .as_ref()
                .unwrap()
                .contains("coverage-collector locate")
        );
    }

    #[test]
    fn no_registry_and_bad_boundaries() {
        let bounds = BoundaryRegistry::embedded().unwrap();
        let lines = registry_checks(&SiteRegistry::default(), &bounds, Lang::En);
        assert_eq!(lines[0].status, Status::Pass);
        let c = boundaries_check(None, &Ok(bounds), Lang::En);
        assert!(c.detail.contains("compiled in"), "{c:?}");
        let c = boundaries_check(Some(Path::new("/nope")), &Err("missing".into()), Lang::En);
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("/nope"));
    }

    #[test]
    fn directories_are_tried_by_writing() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir_check("dead letters", &dir.path().join("dl.jsonl"), Lang::En);
        assert_eq!(ok.status, Status::Pass, "{ok:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing left"
        );
        let later = dir_check(
            "dead letters",
            &dir.path().join("no/such/dl.jsonl"),
            Lang::En,
        );
        assert_eq!(later.status, Status::Pass, "{later:?}");
        assert!(later.detail.contains("does not exist yet"), "{later:?}");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let bad = dir_check("dead letters", &file.join("dl.jsonl"), Lang::En);
        assert_eq!(bad.status, Status::Fail, "{bad:?}");
        assert!(bad.fix.unwrap().contains("a-file"));
        assert_eq!(parent_dir(Path::new("dl.jsonl")), PathBuf::from("."));
    }
}

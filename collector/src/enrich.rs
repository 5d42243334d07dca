//! Site placement: which boundary set, province, district and commune a reading's site is in.
//!
//! DESIGN.md: placement is computed once per site position (the site registry's position, else
//! the reading's `pos`), not per reading, so a GPS fix near an edge does not make a site hop
//! between communes. The set is the one in force at the reading's `ts` (codes are reused
//! between sets, so the `set` tag always travels with `commune`).
//!
//! A site without a registry entry is placed at the first position it reports; it is placed
//! again only when it reports a position more than [`MOVE_THRESHOLD_M`] away (the box was moved),
//! which is logged. These tags serve dashboards; the audit places sites itself.

use crate::registry::LiveRegistry;
use coverage_shared::boundary::BoundaryRegistry;
pub use coverage_shared::site::SiteEntry;
use coverage_shared::site::SiteRegistry;
use coverage_shared::wire::Reading;
use geo::{Distance, Haversine, Point};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A reported position further than this from the one a site was placed at re-places it.
pub const MOVE_THRESHOLD_M: f64 = 1000.0;

/// The placement tags of a point (defined beside the line builder that writes them).
pub use coverage_shared::schema::lines::SitePlacement;

#[derive(Debug)]
struct Placed {
    /// The position placement was computed from.
    pos: (f64, f64),
    /// Placement per boundary set name.
    by_set: HashMap<String, SitePlacement>,
}

/// Places sites, caching the result per site position.
#[derive(Debug)]
pub struct Enricher {
    boundaries: Arc<BoundaryRegistry>,
    registry: LiveRegistry,
    cache: Mutex<HashMap<String, Placed>>,
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

impl Enricher {
    /// An enricher over `boundaries` with the site registry `sites`.
    pub fn new(boundaries: Arc<BoundaryRegistry>, sites: &[SiteEntry]) -> Enricher {
        Enricher::live(
            boundaries,
            LiveRegistry::fixed(SiteRegistry {
                sites: sites.to_vec(),
                ..SiteRegistry::default()
            }),
        )
    }

    /// An enricher over `boundaries` that follows the running collector's registry: a
    /// site's surveyed position from a registry reloaded since applies from its next reading.
    pub fn live(boundaries: Arc<BoundaryRegistry>, registry: LiveRegistry) -> Enricher {
        Enricher {
            boundaries,
            registry,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether site `id` is in the registry now (the file is read again first if the site is
    /// not in the registry as last loaded: it may have just been added).
    pub fn registered(&self, id: &str) -> bool {
        self.registry.current().get(id).is_some() || self.registry.refresh().get(id).is_some()
    }

    /// The placement of `reading`'s site in the set in force at its `ts`.
    pub fn place(&self, reading: &Reading) -> SitePlacement {
        let h = &reading.header;
        let Some(set) = self.boundaries.in_force_at(h.ts) else {
            return SitePlacement::default();
        };
        let reported = match self.registry.current().get(&h.site) {
            Some(entry) => (entry.lat, entry.lon),
            None => (h.pos.lat, h.pos.lon),
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let placed = cache.entry(h.site.clone()).or_insert_with(|| Placed {
            pos: reported,
            by_set: HashMap::new(),
        });
        if placed.pos != reported && distance_m(placed.pos, reported) > MOVE_THRESHOLD_M {
            tracing::info!(site = %h.site, from = ?placed.pos, to = ?reported, "Site reports a position more than 1 km away; placing it again.");
            *placed = Placed {
                pos: reported,
                by_set: HashMap::new(),
            };
        }
        let pos = placed.pos;
        placed
            .by_set
            .entry(set.name().to_owned())
            .or_insert_with(|| {
                let loc = set.locate(pos.0, pos.1);
                let commune = loc.commune;
                if commune.is_none() {
                    tracing::warn!(site = %h.site, lat = pos.0, lon = pos.1, set = %set.name(), "Site is outside every commune of the set; its points carry no commune tag.");
                }
                SitePlacement {
                    set: Some(set.name().to_owned()),
                    province: commune.map(|c| c.province.code.clone()),
                    commune: commune.map(|c| c.code.clone()),
                    district: commune.and_then(|c| c.district.as_ref().map(|d| d.code.clone())),
                }
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coverage_shared::validate::decode;

    fn registry() -> Arc<BoundaryRegistry> {
        Arc::new(BoundaryRegistry::embedded().unwrap())
    }

    fn hb(site: &str, ts: &str, lat: f64, lon: f64) -> Reading {
        let json = format!(
            r#"{{"v":1,"site":"{site}","run":"r","seq":1,"ts":"{ts}","kind":"heartbeat",
            "pos":{{"lat":{lat},"lon":{lon},"src":"gps"}},"agent":"t","uptime_s":1,
            "spool_depth":0,"spool_dropped":0}}"#
        );
        decode(
            &format!("coverage/v1/{site}/heartbeat"),
            json.as_bytes(),
            chrono::Utc::now(),
        )
        .unwrap()
        .reading
    }

    #[test]
    fn places_in_the_set_in_force_at_ts() {
        let e = Enricher::new(registry(), &[]);
        // Inside point of Phường Nguyễn Thị Minh Khai (01834), Thành phố Bắc Kạn (058).
        let p2020 = e.place(&hb("s1", "2024-05-01T00:00:00Z", 22.162534, 105.844234));
        assert_eq!(p2020.set.as_deref(), Some("bac-kan-2020"));
        assert_eq!(p2020.commune.as_deref(), Some("01834"));
        assert_eq!(p2020.district.as_deref(), Some("058"));
        assert_eq!(p2020.province.as_deref(), Some("06"));
        let p2025 = e.place(&hb("s1", "2025-07-02T00:00:00Z", 22.162534, 105.844234));
        assert_eq!(p2025.set.as_deref(), Some("thai-nguyen-2025"));
        assert_eq!(p2025.commune.as_deref(), Some("01840"));
        assert_eq!(p2025.district, None);
        assert_eq!(p2025.province.as_deref(), Some("19"));
    }

    #[test]
    fn placement_is_per_site_position_not_per_reading() {
        let e = Enricher::new(registry(), &[]);
        let first = e.place(&hb("s1", "2024-05-01T00:00:00Z", 22.162534, 105.844234));
        // A GPS fix 300 m away keeps the first placement.
        let jitter = e.place(&hb("s1", "2024-05-01T00:01:00Z", 22.1652, 105.8442));
        assert_eq!(first, jitter);
        // A registry entry wins over any reported position.
        let reg = Enricher::new(
            registry(),
            &[SiteEntry {
                id: "s2".into(),
                lat: 22.162534,
                lon: 105.844234,
                commune: None,
                operators: Vec::new(),
                contracted_down_mbps: None,
                contracted_up_mbps: None,
                retired: None,
            }],
        );
        let p = reg.place(&hb("s2", "2024-05-01T00:00:00Z", 21.0285, 105.8542));
        assert_eq!(p.commune.as_deref(), Some("01834"));
    }

    #[test]
    fn outside_every_commune_leaves_the_commune_tag_out() {
        let e = Enricher::new(registry(), &[]);
        let p = e.place(&hb("hanoi", "2024-05-01T00:00:00Z", 21.0285, 105.8542));
        assert_eq!(p.set.as_deref(), Some("bac-kan-2020"));
        assert_eq!(p.commune, None);
        // Before any set was in force: no placement at all.
        let p = e.place(&hb("old", "2020-01-15T00:00:00Z", 22.162534, 105.844234));
        assert_eq!(p, SitePlacement::default());
    }
}

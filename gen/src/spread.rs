//! Scenarios over the real communes of a boundary set: `n` sites dealt round-robin to the
//! communes (in code order), each placed at an interior point of its commune, all with the same
//! SIMs and probes. The benchmarks use it, so they need no hand-typed coordinates.
//!
//! Invariant: every site lies inside the commune it was dealt to (checked with the set's own
//! point-in-polygon lookup; a commune without such a point is skipped).

use coverage_shared::boundary::BoundarySet;
use geo::InteriorPoint;

use crate::scenario::{LatencySpec, Period, Scenario, SimSpec, SiteSpec, ThroughputSpec};

/// What every site of a spread scenario carries.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteTemplate {
    /// SIMs of each site.
    pub sims: Vec<SimSpec>,
    /// Latency probes of each site.
    pub fibre: Vec<LatencySpec>,
    /// Throughput tests of each site.
    pub throughput: Vec<ThroughputSpec>,
}

/// `sites` sites over the communes of `set` (ids `g-{commune}-{k}`), for `period` and `seed`.
pub fn over_communes(
    set: &BoundarySet,
    sites: usize,
    period: Period,
    seed: u64,
    template: &SiteTemplate,
) -> Scenario {
    let points: Vec<(&str, f64, f64)> = set
        .communes()
        .iter()
        .filter_map(|c| {
            let p = c.geometry.interior_point()?;
            let inside = set.locate(p.y(), p.x()).commune.map(|f| f.code == c.code);
            (inside == Some(true)).then_some((c.code.as_str(), p.y(), p.x()))
        })
        .collect();
    let mut out = Vec::with_capacity(sites);
    if !points.is_empty() {
        for i in 0..sites {
            let (code, lat, lon) = points[i % points.len()];
            out.push(SiteSpec {
                id: format!("g-{code}-{}", i / points.len()),
                lat,
                lon,
                placement: coverage_shared::wire::Placement::Indoor,
                antenna: coverage_shared::wire::Antenna::External,
                sims: template.sims.clone(),
                fibre: template.fibre.clone(),
                throughput: template.throughput.clone(),
            });
        }
    }
    Scenario {
        seed,
        period,
        heartbeat_s: crate::scenario::DEFAULT_HEARTBEAT_S,
        sites: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SimSpec;
    use chrono::TimeZone;

    #[test]
    fn sites_lie_in_the_communes_they_are_named_after() {
        let registry = coverage_shared::boundary::BoundaryRegistry::embedded().unwrap();
        let set = registry.get("bac-kan-2020").unwrap();
        let template = SiteTemplate {
            sims: vec![SimSpec {
                operator: "452-04".into(),
                modem: None,
                tech: coverage_shared::wire::Tech::Lte,
                samples_per_hour: 1,
                hours: Vec::new(),
                usable_share: 1.0,
                threshold_dbm: None,
                reg: Default::default(),
                unsynced_share: 0.0,
                null_share: 0.0,
            }],
            fibre: Vec::new(),
            throughput: Vec::new(),
        };
        let period = Period {
            from: chrono::Utc.with_ymd_and_hms(2024, 11, 1, 0, 0, 0).unwrap(),
            to: chrono::Utc.with_ymd_and_hms(2024, 11, 2, 0, 0, 0).unwrap(),
            utc_offset_hours: 7,
        };
        let n = set.communes().len() + 5;
        let s = over_communes(set, n, period, 3, &template);
        s.validate().unwrap();
        assert_eq!(s.sites.len(), n);
        let codes: std::collections::BTreeSet<_> = s
            .sites
            .iter()
            .map(|site| {
                let code = set.locate(site.lat, site.lon).commune.unwrap().code.clone();
                assert!(site.id.starts_with(&format!("g-{code}-")), "{}", site.id);
                code
            })
            .collect();
        assert_eq!(
            codes.len(),
            set.communes().len(),
            "every commune has a site"
        );
    }
}

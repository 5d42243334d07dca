//! Placement of a generated site, as the collector's enricher computes it for a site without a
//! registry entry: the commune of the site's position in the boundary set in force at the
//! reading's `ts`, cached per site and set.
//!
//! Invariant: the tags match what `coverage-collector run` would write for the same readings,
//! since the generator's sites never move (the enricher re-places a site only when it moves).

use std::collections::HashMap;

use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::schema::lines::SitePlacement;
use coverage_shared::wire::Reading;

use crate::GenError;

/// Places readings' sites in communes, caching per site and boundary set.
#[derive(Debug)]
pub struct Placer {
    registry: BoundaryRegistry,
    /// Per site id: (set name, placement) of every set met so far.
    cache: HashMap<String, Vec<(String, SitePlacement)>>,
    none: SitePlacement,
}

impl Placer {
    /// A placer over the boundary sets compiled into the binary (as the collector's default).
    pub fn embedded() -> Result<Placer, GenError> {
        Ok(Placer::new(BoundaryRegistry::embedded()?))
    }

    /// A placer over `registry`.
    pub fn new(registry: BoundaryRegistry) -> Placer {
        Placer {
            registry,
            cache: HashMap::new(),
            none: SitePlacement::default(),
        }
    }

    /// The boundary sets it places in.
    pub fn registry(&self) -> &BoundaryRegistry {
        &self.registry
    }

    /// The placement tags of `reading`'s site at its `ts` (none before any set was in force).
    pub fn place(&mut self, reading: &Reading) -> &SitePlacement {
        let h = &reading.header;
        let Some(set) = self.registry.in_force_at(h.ts) else {
            return &self.none;
        };
        // Look up before inserting: `entry` would allocate the key for every reading.
        if !self.cache.contains_key(h.site.as_str()) {
            self.cache.insert(h.site.clone(), Vec::new());
        }
        let Some(known) = self.cache.get_mut(h.site.as_str()) else {
            return &self.none;
        };
        let i = match known.iter().position(|(name, _)| name == set.name()) {
            Some(i) => i,
            None => {
                let commune = set.locate(h.pos.lat, h.pos.lon).commune;
                known.push((
                    set.name().to_owned(),
                    SitePlacement {
                        set: Some(set.name().to_owned()),
                        province: commune.map(|c| c.province.code.clone()),
                        commune: commune.map(|c| c.code.clone()),
                        district: commune.and_then(|c| c.district.as_ref().map(|d| d.code.clone())),
                    },
                ));
                known.len() - 1
            }
        };
        &known[i].1
    }
}

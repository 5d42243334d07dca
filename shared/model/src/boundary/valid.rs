//! Validity of a commune's polygons, which the lookup's crossing count relies on (see `grid`).
//!
//! The checks are those of geo's `Validation`, whose self-intersection test compares every edge
//! of a ring with every other (quadratic: seconds for rings of a few thousand positions). Here
//! each ring is checked with an R-tree of its edges, with the same rule as geo (two edges that
//! meet, other than consecutive edges at their shared end, make the ring cross itself); geo's
//! own `Validation` then checks what is left, holes and MultiPolygon members, for the few
//! communes that have them.

use geo::{Intersects, Line, MultiPolygon, RemoveRepeatedPoints, Validation};
use rstar::primitives::GeomWithData;
use rstar::{RTree, RTreeObject};

/// The first problem of `multi`, in words naming the polygon and ring, or `Ok`.
pub(super) fn check(multi: &MultiPolygon<f64>) -> Result<(), String> {
    for (p, polygon) in multi.iter().enumerate() {
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        for (r, ring) in rings.enumerate() {
            if ring.remove_repeated_points().0.len() < 4 {
                return Err(format!(
                    "polygon {p} ring {r} has fewer than 3 distinct positions"
                ));
            }
            let lines: Vec<Line<f64>> = ring.lines().collect();
            let tree = RTree::bulk_load(
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, line)| GeomWithData::new(*line, i))
                    .collect(),
            );
            for (i, line) in lines.iter().enumerate() {
                let crossing =
                    tree.locate_in_envelope_intersecting(&line.envelope())
                        .find(|other| {
                            let (j, other) = (other.data, other.geom());
                            j > i
                                && line.start != other.end
                                && line.end != other.start
                                && line.intersects(other)
                        });
                if let Some(other) = crossing {
                    return Err(format!(
                        "polygon {p} ring {r} crosses itself: its edges {i} (from [{}, {}]) and \
                         {} (from [{}, {}]) meet",
                        line.start.x,
                        line.start.y,
                        other.data,
                        other.geom().start.x,
                        other.geom().start.y
                    ));
                }
            }
        }
    }
    // Holes inside their polygon and apart from each other, members that do not overlap: geo,
    // only where there is something to check (it repeats the quadratic ring test).
    if multi.0.len() > 1 || multi.iter().any(|p| !p.interiors().is_empty()) {
        multi
            .check_validation()
            .map_err(|e| format!("not a valid polygon: {e}"))?;
    }
    Ok(())
}

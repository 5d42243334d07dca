//! The spatial index of one boundary set: which commune contains a point, and how far the point
//! is from the nearest commune edge, in metres on the sphere.
//!
//! Four structures, all built once per set:
//! - a uniform grid (`grid`) that answers most commune lookups with one load and the rest with a
//!   few exact edge tests;
//! - an R-tree of the communes' bounding boxes, then geo's `Contains` / `Intersects` on the
//!   polygons: the exact test, used where the grid cannot decide (rare) and to seed its sweep.
//!   (geo's `IntervalTreeMultiPolygon`, used before the grid, misplaces some points in holes.)
//! - an R-tree of every polygon edge, tagged with its commune, for the distance to the nearest edge.
//!
//! Distances: the R-trees work in degrees, where one degree of longitude is shorter than one of
//! latitude, so the edge nearest in degrees is not always nearest in metres. The search visits
//! edges in order of distance in degrees, measures each with the haversine, and stops at the
//! radius in degrees beyond which no edge can be nearer in metres than the best one so far.

use geo::{
    BoundingRect, Closest, Contains, Distance, Haversine, HaversineClosestPoint, Intersects, Line,
    Point,
};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use super::Commune;
use super::grid::Grid;

/// A commune's bounding box, with the commune's index in its set.
type BoxEntry = GeomWithData<Rectangle<Point<f64>>, u32>;
/// One polygon edge, with the index of the commune whose ring it belongs to.
type EdgeEntry = GeomWithData<Line<f64>, u32>;

/// The index over the communes of one set, addressed by the communes' positions in the set's
/// code-sorted list, so "lowest index" means "lowest code".
pub(super) struct SpatialIndex {
    boxes: RTree<BoxEntry>,
    edges: RTree<EdgeEntry>,
    grid: Grid,
}

impl SpatialIndex {
    /// Builds the index over `communes` (the set's code-sorted list).
    pub(super) fn build(communes: &[Commune]) -> Self {
        let mut boxes = Vec::with_capacity(communes.len());
        let mut edges = Vec::new();
        for (i, geometry) in communes.iter().map(|c| &c.geometry).enumerate() {
            let id = u32::try_from(i).expect("fewer than 2^32 communes in a set");
            if let Some(rect) = geometry.bounding_rect() {
                boxes.push(GeomWithData::new(
                    Rectangle::from_corners(rect.min().into(), rect.max().into()),
                    id,
                ));
            }
            let rings = geometry
                .iter()
                .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()));
            for line in rings.flat_map(|ring| ring.lines()) {
                if line.start == line.end {
                    continue;
                }
                edges.push(GeomWithData::new(canonical(line), id));
            }
        }
        let boxes = RTree::bulk_load(boxes);
        let grid = Grid::build(communes, |c| {
            let p = Point::from(c);
            let mut inside: Vec<u32> = boxes
                .locate_all_at_point(&p)
                .map(|entry| entry.data)
                .filter(|&i| communes[i as usize].geometry.contains(&p))
                .collect();
            inside.sort_unstable();
            inside
        });
        Self {
            boxes,
            edges: RTree::bulk_load(edges),
            grid,
        }
    }

    /// The commune containing `p`: a commune whose interior holds the point wins; otherwise,
    /// among the communes whose edge the point lies on, the lowest index. `None` outside every
    /// commune. `communes` is the list given to [`Self::build`].
    pub(super) fn containing(&self, communes: &[Commune], p: Point<f64>) -> Option<usize> {
        match self.grid.containing(p.0) {
            Some(found) => found,
            None => self.containing_exact(communes, p),
        }
    }

    /// The grid, for tests.
    #[cfg(test)]
    pub(super) fn grid(&self) -> &Grid {
        &self.grid
    }

    /// [`Self::containing`] without the grid: bounding boxes, then geo's exact tests.
    pub(super) fn containing_exact(&self, communes: &[Commune], p: Point<f64>) -> Option<usize> {
        let candidates = || {
            self.boxes
                .locate_all_at_point(&p)
                .map(|entry| entry.data as usize)
        };
        // Strict interiors do not overlap in a valid coverage, so at most one matches; min()
        // keeps the rule deterministic if a file ever has overlaps.
        let interior = candidates()
            .filter(|&i| communes[i].geometry.contains(&p))
            .min();
        interior.or_else(|| {
            candidates()
                .filter(|&i| communes[i].geometry.intersects(&p))
                .min()
        })
    }

    /// The nearest edge to `p` and its haversine distance in metres, among the edges of commune
    /// `only` when given, else among all edges (ties: lowest index). `None` for a set without
    /// edges or a commune index with none.
    pub(super) fn nearest_edge(&self, p: Point<f64>, only: Option<usize>) -> Option<(usize, f64)> {
        // Edges come in order of distance in degrees; once that distance exceeds the radius in
        // degrees of the best haversine distance so far, no later edge can be nearer in metres.
        let mut best: Option<(f64, usize)> = None;
        let mut radius_2 = f64::INFINITY;
        for (entry, distance_2) in self.edges.nearest_neighbor_iter_with_distance_2(&p) {
            if distance_2 > radius_2 {
                break;
            }
            let commune = entry.data as usize;
            if only.is_some_and(|c| c != commune) {
                continue;
            }
            let candidate = (haversine_to_line(p, entry.geom()), commune);
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
                let radius = search_radius_deg(p.y(), candidate.0);
                radius_2 = radius * radius;
            }
        }
        best.map(|(distance, commune)| (commune, distance))
    }
}

/// The edge with its end points in a fixed order, so that an edge shared by two communes (stored
/// once per commune, in opposite directions) gives bit-identical distances to both and the
/// lowest-code tie-break applies.
fn canonical(line: Line<f64>) -> Line<f64> {
    if (line.start.x, line.start.y) <= (line.end.x, line.end.y) {
        line
    } else {
        Line::new(line.end, line.start)
    }
}

/// Haversine distance in metres from `p` to the great-circle arc `line`.
fn haversine_to_line(p: Point<f64>, line: &Line<f64>) -> f64 {
    match line.haversine_closest_point(&p) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(q) => Haversine.distance(p, q),
        // Not produced for a non-degenerate line; the nearer end point is the safe answer.
        Closest::Indeterminate => Haversine
            .distance(p, line.start_point())
            .min(Haversine.distance(p, line.end_point())),
    }
}

/// A radius in degrees (Euclidean, in the lon/lat plane) outside of which no point is within
/// `metres` of a point at latitude `lat_deg`.
///
/// On the sphere an offset of `d` metres spans `d / R` radians of latitude and at most
/// `d / (R cos φmax)` radians of longitude, φmax being the largest latitude reached, so the
/// lon/lat offset is at most `d / (R cos φmax)`. The small factor and constant cover the
/// difference between an edge drawn straight in lon/lat (the R-tree) and as a great-circle arc
/// (the haversine), well under a metre for edges of a few kilometres.
fn search_radius_deg(lat_deg: f64, metres: f64) -> f64 {
    let arc = metres / Haversine.radius();
    let lat_max = (lat_deg.abs().to_radians() + arc).min(89f64.to_radians());
    (arc / lat_max.cos()).to_degrees() * 1.001 + 1e-5
}

//! A uniform grid over one boundary set, for the commune lookup alone (no distances).
//!
//! Most cells lie wholly inside one commune or outside every commune and answer with one load.
//! The others ("mixed" cells) list the commune edges that meet them and a reference point whose
//! place in every commune is known; a point in such a cell is inside a commune when the
//! reference point is and the segment between them crosses the commune's edges an even number
//! of times, or outside and odd.
//!
//! Invariants, which make the answer exactly that of geo's `Contains` / `Intersects` on the
//! polygons:
//!
//! - **Conservative lists.** Every edge whose bounding box meets a cell grown by a margin far
//!   larger than floating-point rounding ([`Grid::margin`]) is listed in that cell. So a cell
//!   without edges has one status throughout, and a segment between two points of one cell (or
//!   of two neighbouring cells) crosses only edges of their lists.
//! - **Reference points lie on no edge**, so their status is inside or outside, never boundary.
//!   A row's first cell lies left of every commune (the grid has an empty margin), so its status
//!   is known; each next cell's follows from the crossings of the segment from the previous
//!   reference point. A cell where no candidate point is off every edge is marked undecided and
//!   the caller uses the exact test of `index`.
//! - **Exact predicates.** Crossings use geo's robust orientation predicate; a vertex exactly on
//!   the segment counts as lying to its left (an infinitesimal shift of the segment to the right),
//!   which keeps the parity exact through vertices and collinear edges. A point exactly on an edge
//!   (collinear and within its box) is on the commune's boundary, as in geo.
//! - **Valid rings** (checked by `parse`): crossing parity over all rings of a commune equals
//!   geo's "inside an exterior and outside its holes" only for valid polygons.
//!
//! Tie-break as in the module doc of `boundary`: an interior wins, lowest commune index first;
//! else the lowest index among the communes whose boundary holds the point.

use geo::algorithm::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, Line};

use super::Commune;

/// Cell value: outside every commune.
const OUTSIDE: u32 = u32::MAX;
/// Cell value: no reference point found, use the exact test.
const UNDECIDED: u32 = u32::MAX - 1;
/// Cell value flag: the rest of the value indexes `Grid::mixed`.
const MIXED: u32 = 1 << 31;

/// Cells per (non-degenerate) edge: finer cells are cheaper to test but cost memory and build time.
const CELLS_PER_EDGE: f64 = 2.0;
/// Bounds on the number of cells of one grid.
const MIN_CELLS: f64 = 1024.0;
/// Bounds on the number of cells of one grid (16 MiB of cell values).
const MAX_CELLS: f64 = (1 << 22) as f64;

/// Candidate positions of a reference point inside a cell, as fractions of its width and height.
const REFERENCE_CANDIDATES: [(f64, f64); 9] = [
    (0.5, 0.5),
    (0.377, 0.611),
    (0.613, 0.389),
    (0.271, 0.283),
    (0.733, 0.719),
    (0.191, 0.817),
    (0.829, 0.173),
    (0.443, 0.137),
    (0.557, 0.863),
];

/// One edge as listed in a mixed cell, with the side of its line on which the cell's reference
/// point lies (computed once at build).
#[derive(Debug, Clone, Copy)]
struct CellEdge {
    a: Coord<f64>,
    b: Coord<f64>,
    reference_side: Orientation,
}

/// The edges of one commune in one mixed cell.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// Commune index in the set's code-sorted list.
    commune: u32,
    /// Whether the cell's reference point is inside the commune.
    reference_inside: bool,
    /// Range in `Grid::edges`.
    start: u32,
    end: u32,
}

/// A cell that edges cross.
#[derive(Debug, Clone, Copy)]
struct MixedCell {
    /// A point of the cell on no edge.
    reference: Coord<f64>,
    /// Lowest index of a commune containing the whole cell without an edge in it (overlapping
    /// communes only), else `OUTSIDE`.
    constant: u32,
    /// Range in `Grid::groups`, in ascending commune order.
    start: u32,
    end: u32,
}

/// Where a point is relative to one commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Inside,
    Boundary,
    Outside,
}

/// The grid of one set. See the module documentation.
pub(super) struct Grid {
    x0: f64,
    y0: f64,
    /// Cell width and height, degrees.
    w: f64,
    h: f64,
    cols: usize,
    rows: usize,
    /// Per cell, row-major: a commune index, `OUTSIDE`, `UNDECIDED` or `MIXED | i`.
    cells: Vec<u32>,
    mixed: Vec<MixedCell>,
    groups: Vec<Group>,
    edges: Vec<CellEdge>,
}

impl Grid {
    /// Builds the grid over `communes` (the set's code-sorted list). `exact_inside(c)` gives the
    /// ascending indices of the communes whose interior holds `c`; it is called only where the
    /// sweep along a row restarts after an undecided cell.
    pub(super) fn build(
        communes: &[Commune],
        exact_inside: impl Fn(Coord<f64>) -> Vec<u32>,
    ) -> Self {
        // Every non-degenerate edge, in commune order, so that a cell's list (in edge order) is
        // grouped by commune in ascending order.
        let mut all: Vec<(u32, Line<f64>)> = Vec::new();
        for (commune, c) in communes.iter().enumerate() {
            let commune = u32::try_from(commune).expect("fewer than 2^31 communes in a set");
            let rings = c
                .geometry
                .iter()
                .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()));
            for line in rings.flat_map(|ring| ring.lines()) {
                if line.start != line.end {
                    all.push((commune, line));
                }
            }
        }
        let (mut min, mut max) = (
            Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        );
        for (_, line) in &all {
            for c in [line.start, line.end] {
                min = Coord {
                    x: min.x.min(c.x),
                    y: min.y.min(c.y),
                };
                max = Coord {
                    x: max.x.max(c.x),
                    y: max.y.max(c.y),
                };
            }
        }
        if all.is_empty() {
            (min, max) = (Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 });
        }
        // Square cells in degrees; one empty cell of margin on every side (plus rounding).
        let (span_x, span_y) = ((max.x - min.x).max(1e-9), (max.y - min.y).max(1e-9));
        let target = (all.len() as f64 * CELLS_PER_EDGE).clamp(MIN_CELLS, MAX_CELLS);
        let side = (span_x * span_y / target)
            .sqrt()
            .max(span_x.max(span_y) / 4096.0);
        let cols = (span_x / side).ceil() as usize + 3;
        let rows = (span_y / side).ceil() as usize + 3;
        let mut grid = Grid {
            x0: min.x - side,
            y0: min.y - side,
            w: side,
            h: side,
            cols,
            rows,
            cells: vec![OUTSIDE; cols * rows],
            mixed: Vec::new(),
            groups: Vec::new(),
            edges: Vec::new(),
        };

        // Compressed lists of edge ids per cell: count, prefix sums, fill.
        let eps = grid.margin();
        let span = |line: &Line<f64>| {
            let (lo_x, hi_x) = (line.start.x.min(line.end.x), line.start.x.max(line.end.x));
            let (lo_y, hi_y) = (line.start.y.min(line.end.y), line.start.y.max(line.end.y));
            (
                grid.col_of(lo_x - eps),
                grid.col_of(hi_x + eps),
                grid.row_of(lo_y - eps),
                grid.row_of(hi_y + eps),
            )
        };
        let mut start = vec![0u32; cols * rows + 1];
        for (_, line) in &all {
            let (c0, c1, r0, r1) = span(line);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    start[r * cols + c + 1] += 1;
                }
            }
        }
        for k in 0..cols * rows {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let mut ids = vec![0u32; start[cols * rows] as usize];
        for (id, (_, line)) in all.iter().enumerate() {
            let (c0, c1, r0, r1) = span(line);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    let slot = &mut fill[r * cols + c];
                    ids[*slot as usize] = id as u32;
                    *slot += 1;
                }
            }
        }
        let list = |k: usize| &ids[start[k] as usize..start[k + 1] as usize];

        // Sweep every row left to right, carrying the set of communes holding the reference point.
        let mut inside: Vec<u32> = Vec::new();
        for row in 0..rows {
            let mut previous: Option<(Coord<f64>, usize)> = None;
            for col in 0..cols {
                let k = row * cols + col;
                let cell = list(k);
                let Some(reference) = grid.reference_point(col, row, cell, &all) else {
                    grid.cells[k] = UNDECIDED;
                    previous = None;
                    continue;
                };
                match previous {
                    // Column 0 lies left of every commune; after an undecided cell, ask.
                    None if col == 0 => inside.clear(),
                    None => inside = exact_inside(reference),
                    Some((from, prev_k)) => {
                        for id in merged(list(prev_k), cell) {
                            let (commune, line) = all[id as usize];
                            if crosses(from, reference, line.start, line.end) {
                                match inside.binary_search(&commune) {
                                    Ok(at) => {
                                        inside.remove(at);
                                    }
                                    Err(at) => inside.insert(at, commune),
                                }
                            }
                        }
                    }
                }
                previous = Some((reference, k));
                grid.cells[k] = if cell.is_empty() {
                    inside.first().copied().unwrap_or(OUTSIDE)
                } else {
                    grid.push_mixed(reference, cell, &all, &inside)
                };
            }
        }
        grid
    }

    /// The margin by which cells are grown when listing their edges, degrees: a millionth of a
    /// cell, far above the rounding of `col_of` (about 1e-14 degrees) and far below a cell.
    fn margin(&self) -> f64 {
        (self.w.min(self.h) * 1e-6).max(1e-12)
    }

    /// The column of longitude `x`, clamped to the grid.
    fn col_of(&self, x: f64) -> usize {
        (((x - self.x0) / self.w).floor().max(0.0) as usize).min(self.cols - 1)
    }

    /// The row of latitude `y`, clamped to the grid.
    fn row_of(&self, y: f64) -> usize {
        (((y - self.y0) / self.h).floor().max(0.0) as usize).min(self.rows - 1)
    }

    /// A point of cell (`col`, `row`) on none of the edges `cell` lists, if a candidate is.
    fn reference_point(
        &self,
        col: usize,
        row: usize,
        cell: &[u32],
        all: &[(u32, Line<f64>)],
    ) -> Option<Coord<f64>> {
        REFERENCE_CANDIDATES
            .iter()
            .map(|(fx, fy)| Coord {
                x: self.x0 + (col as f64 + fx) * self.w,
                y: self.y0 + (row as f64 + fy) * self.h,
            })
            .find(|&r| {
                cell.iter().all(|&id| {
                    let line = all[id as usize].1;
                    !on_segment(r, line.start, line.end)
                })
            })
    }

    /// Stores a mixed cell and returns its cell value.
    fn push_mixed(
        &mut self,
        reference: Coord<f64>,
        cell: &[u32],
        all: &[(u32, Line<f64>)],
        inside: &[u32],
    ) -> u32 {
        let groups_start = self.groups.len() as u32;
        for &id in cell {
            let (commune, line) = all[id as usize];
            if self.groups.len() as u32 == groups_start
                || self.groups.last().is_some_and(|g| g.commune != commune)
            {
                let start = self.edges.len() as u32;
                self.groups.push(Group {
                    commune,
                    reference_inside: inside.binary_search(&commune).is_ok(),
                    start,
                    end: start,
                });
            }
            self.edges.push(CellEdge {
                a: line.start,
                b: line.end,
                reference_side: RobustKernel::orient2d(line.start, line.end, reference),
            });
            if let Some(group) = self.groups.last_mut() {
                group.end = self.edges.len() as u32;
            }
        }
        let groups = &self.groups[groups_start as usize..];
        let constant = inside
            .iter()
            .copied()
            .find(|c| groups.iter().all(|g| g.commune != *c))
            .unwrap_or(OUTSIDE);
        let index = u32::try_from(self.mixed.len())
            .ok()
            .filter(|i| i & MIXED == 0)
            .expect("fewer than 2^31 mixed cells");
        self.mixed.push(MixedCell {
            reference,
            constant,
            start: groups_start,
            end: self.groups.len() as u32,
        });
        MIXED | index
    }

    /// The index of the commune holding `p` (lon, lat), by the rule of the module doc: `Some(None)`
    /// outside every commune, `None` in an undecided cell (use the exact test).
    #[inline]
    pub(super) fn containing(&self, p: Coord<f64>) -> Option<Option<usize>> {
        let fx = (p.x - self.x0) / self.w;
        let fy = (p.y - self.y0) / self.h;
        // Also false for NaN. The grid covers every commune, so beyond it is outside.
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.cols as f64 && fy < self.rows as f64) {
            return Some(None);
        }
        let value = self.cells[fy as usize * self.cols + fx as usize];
        match value {
            OUTSIDE => Some(None),
            UNDECIDED => None,
            v if v & MIXED == 0 => Some(Some(v as usize)),
            v => Some(self.in_mixed(&self.mixed[(v & !MIXED) as usize], p)),
        }
    }

    /// The rule of the module doc within one mixed cell.
    fn in_mixed(&self, cell: &MixedCell, p: Coord<f64>) -> Option<usize> {
        let mut interior = cell.constant;
        let mut boundary = OUTSIDE;
        for group in &self.groups[cell.start as usize..cell.end as usize] {
            // Groups come in ascending commune order: none later can beat an interior found.
            if group.commune >= interior {
                break;
            }
            match self.status(group, cell.reference, p) {
                Status::Inside => interior = group.commune,
                Status::Boundary => boundary = boundary.min(group.commune),
                Status::Outside => {}
            }
        }
        [interior, boundary]
            .into_iter()
            .find(|&c| c != OUTSIDE)
            .map(|c| c as usize)
    }

    /// Where `p` is relative to one commune, from its status at the reference point and the
    /// parity of the crossings between them.
    fn status(&self, group: &Group, reference: Coord<f64>, p: Coord<f64>) -> Status {
        let mut inside = group.reference_inside;
        for edge in &self.edges[group.start as usize..group.end as usize] {
            let side = RobustKernel::orient2d(edge.a, edge.b, p);
            if side == Orientation::Collinear {
                if in_box(p, edge.a, edge.b) {
                    return Status::Boundary;
                }
                continue;
            }
            // Both strictly on opposite sides of the edge's line, and the edge's ends on
            // opposite sides of the segment (a vertex on it counting as left).
            if edge.reference_side != Orientation::Collinear
                && side != edge.reference_side
                && left_or_on(p, reference, edge.a) != left_or_on(p, reference, edge.b)
            {
                inside = !inside;
            }
        }
        if inside {
            Status::Inside
        } else {
            Status::Outside
        }
    }
}

/// Whether segment `p`–`r` (both on no edge) crosses edge `a`–`b`, by the rules of the module doc.
fn crosses(p: Coord<f64>, r: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> bool {
    let side_p = RobustKernel::orient2d(a, b, p);
    let side_r = RobustKernel::orient2d(a, b, r);
    side_p != Orientation::Collinear
        && side_r != Orientation::Collinear
        && side_p != side_r
        && left_or_on(p, r, a) != left_or_on(p, r, b)
}

/// Whether `c` is left of the directed line `p`→`r`, or on it.
#[inline]
fn left_or_on(p: Coord<f64>, r: Coord<f64>, c: Coord<f64>) -> bool {
    RobustKernel::orient2d(p, r, c) != Orientation::Clockwise
}

/// Whether `p` lies on the closed segment `a`–`b`, exactly.
fn on_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> bool {
    in_box(p, a, b) && RobustKernel::orient2d(a, b, p) == Orientation::Collinear
}

/// Whether `p` is in the closed bounding box of `a` and `b`.
#[inline]
fn in_box(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> bool {
    a.x.min(b.x) <= p.x && p.x <= a.x.max(b.x) && a.y.min(b.y) <= p.y && p.y <= a.y.max(b.y)
}

/// The union of two ascending id lists, ascending, without repeats.
fn merged<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => return None,
        };
        Some(next)
    })
}

#[cfg(test)]
impl Grid {
    /// Origin, cell size and shape, for tests that aim at cell edges.
    pub(super) fn layout(&self) -> (Coord<f64>, f64, f64, usize, usize) {
        (
            Coord {
                x: self.x0,
                y: self.y0,
            },
            self.w,
            self.h,
            self.cols,
            self.rows,
        )
    }

    /// How many cells are uniform, mixed and undecided.
    pub(super) fn census(&self) -> (usize, usize, usize) {
        let undecided = self.cells.iter().filter(|&&v| v == UNDECIDED).count();
        let mixed = self.mixed.len();
        (self.cells.len() - mixed - undecided, mixed, undecided)
    }
}

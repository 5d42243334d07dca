//! Property tests of the fast commune lookup (`grid`): over many seeded random points (in the
//! sets' extents, exactly on vertices and edges, a hair off them, on the grid's cell lines, in
//! holes), [`BoundarySet::commune_at`] and [`BoundarySet::locate`] must give exactly the commune
//! that geo's `Contains` and `Intersects` on the original polygons give, with the set's rule
//! (an interior first; on edges, the lowest code).

use std::path::PathBuf;
use std::sync::OnceLock;

use geo::{BoundingRect, Contains, Coord, Intersects, Point, Rect};

use super::*;

fn registry() -> &'static BoundaryRegistry {
    static REGISTRY: OnceLock<BoundaryRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        BoundaryRegistry::from_dir(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/boundaries"),
        )
        .expect("data/boundaries loads")
    })
}

/// A seeded generator of uniform floats in [0, 1) (64-bit LCG, top 53 bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n - 1)
    }
}

/// The commune geo alone puts `p` in: the lowest index whose polygons contain `p`, else the
/// lowest whose polygons touch it.
/// `boxes` are the communes' bounding boxes, which only save time.
fn oracle(set: &BoundarySet, boxes: &[Option<Rect<f64>>], p: Point<f64>) -> Option<usize> {
    let near: Vec<usize> = boxes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_some_and(|r| r.intersects(&p)))
        .map(|(i, _)| i)
        .collect();
    near.iter()
        .copied()
        .find(|&i| set.communes()[i].geometry.contains(&p))
        .or_else(|| {
            near.iter()
                .copied()
                .find(|&i| set.communes()[i].geometry.intersects(&p))
        })
}

/// Checks every point against the oracle; returns how many were inside and on an edge.
fn check(set: &BoundarySet, points: &[Coord<f64>]) -> (usize, usize) {
    let (mut inside, mut on_edge) = (0, 0);
    let boxes: Vec<_> = set
        .communes()
        .iter()
        .map(|c| c.geometry.bounding_rect())
        .collect();
    for (k, &c) in points.iter().enumerate() {
        let p = Point::from(c);
        let expected = oracle(set, &boxes, p);
        let code = expected.map(|i| set.communes()[i].code.as_str());
        assert_eq!(
            set.commune_at(c.y, c.x).map(|c| c.code.as_str()),
            code,
            "{}: commune_at({}, {}) (lat, lon)",
            set.name(),
            c.y,
            c.x
        );
        assert_eq!(
            set.index.containing_exact(set.communes(), p),
            expected,
            "{}: exact test at {c:?}",
            set.name()
        );
        // The edge distance makes `locate` slow in a debug build: every 8th point.
        if k % 8 == 0 {
            let location = set.locate(c.y, c.x);
            assert_eq!(location.code(), code, "{}: locate at {c:?}", set.name());
        }
        inside += usize::from(expected.is_some());
        on_edge += usize::from(expected.is_some_and(|i| !set.communes()[i].geometry.contains(&p)));
    }
    (inside, on_edge)
}

/// Random points in `set`'s extent and a margin, on and a hair off its vertices and edges,
/// and on the grid's cell lines.
fn random_points(set: &BoundarySet, rng: &mut Lcg, n: usize) -> Vec<Coord<f64>> {
    let vertices: Vec<Coord<f64>> = set
        .communes()
        .iter()
        .flat_map(|c| c.geometry.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().copied())
        .collect();
    let (min, max) = vertices
        .iter()
        .fold((vertices[0], vertices[0]), |(lo, hi), c| {
            (
                Coord {
                    x: lo.x.min(c.x),
                    y: lo.y.min(c.y),
                },
                Coord {
                    x: hi.x.max(c.x),
                    y: hi.y.max(c.y),
                },
            )
        });
    let (origin, w, h, cols, rows) = set.index.grid().layout();
    let mut points = Vec::with_capacity(n);
    for k in 0..n {
        let i = rng.below(vertices.len() - 1);
        let (v, next) = (vertices[i], vertices[i + 1]);
        let point = match k % 6 {
            // Anywhere in the extent and 0.02° around it.
            0 | 1 => Coord {
                x: min.x - 0.02 + rng.next() * (max.x - min.x + 0.04),
                y: min.y - 0.02 + rng.next() * (max.y - min.y + 0.04),
            },
            // Exactly on a vertex (shared vertices test the tie-break).
            2 => v,
            // A hair (1e-12 to 1e-6 degrees) off a vertex, in any direction.
            3 => {
                let d = 10f64.powf(-12.0 + 6.0 * rng.next());
                let a = rng.next() * std::f64::consts::TAU;
                Coord {
                    x: v.x + d * a.cos(),
                    y: v.y + d * a.sin(),
                }
            }
            // On or next to the segment between a vertex and its successor in the list (an edge,
            // mostly): the rounded point may fall on either side.
            4 => {
                let t = rng.next();
                Coord {
                    x: v.x + t * (next.x - v.x),
                    y: v.y + t * (next.y - v.y),
                }
            }
            // On a cell line or corner of the grid, where the conservative margins matter.
            _ => Coord {
                x: origin.x
                    + rng.below(cols) as f64 * w
                    + if rng.next() < 0.5 {
                        0.0
                    } else {
                        rng.next() * w
                    },
                y: origin.y + rng.below(rows) as f64 * h,
            },
        };
        points.push(point);
    }
    points
}

#[test]
fn the_grid_agrees_with_geo_on_random_points_of_the_real_sets() {
    let mut rng = Lcg(0x9e37_79b9_7f4a_7c15);
    for set in registry().sets() {
        let points = random_points(set, &mut rng, 12_000);
        let (inside, on_edge) = check(set, &points);
        // The sample reaches every case: inside, outside, on an edge or vertex.
        assert!(
            inside > 6_000 && inside < 11_000,
            "{}: {inside}",
            set.name()
        );
        assert!(on_edge > 1_500, "{}: {on_edge} on an edge", set.name());
        let (uniform, mixed, undecided) = set.index.grid().census();
        assert!(
            uniform > mixed && undecided * 1000 < mixed,
            "{uniform} {mixed} {undecided}"
        );
    }
}

#[test]
fn every_vertex_of_the_real_sets_goes_to_the_same_commune_as_with_geo() {
    for set in registry().sets() {
        let vertices: Vec<Coord<f64>> = set
            .communes()
            .iter()
            .flat_map(|c| c.geometry.iter())
            .flat_map(|p| p.exterior().0.iter().copied())
            .step_by(7)
            .collect();
        check(set, &vertices);
    }
}

/// Hand-made communes on a dyadic lattice (exact in binary, so midpoints of edges lie exactly on
/// them), in units of 1/64 degree from (105 E, 22 N):
/// - 00003: the square 0..8 with two holes: a diamond (filled by 00001) and an empty triangle;
/// - 00001: the diamond island in 00003's hole, sharing all its edges;
/// - 00002: a MultiPolygon: a square sharing 00003's edge x = 8 (y 0..4), and a triangle
///   touching 00003 and 00004 at the corner (8, 8) only;
/// - 00004: a triangle on top of 00003, sharing the edge y = 8, with diagonal edges.
fn holes_and_islands() -> BoundarySet {
    let at = |x: f64, y: f64| format!("[{},{}]", 105.0 + x / 64.0, 22.0 + y / 64.0);
    let ring = |points: &[(f64, f64)]| {
        let mut coords: Vec<String> = points.iter().map(|&(x, y)| at(x, y)).collect();
        coords.push(at(points[0].0, points[0].1));
        format!("[{}]", coords.join(","))
    };
    let polygon = |rings: &[&[(f64, f64)]]| {
        let rings: Vec<String> = rings.iter().map(|r| ring(r)).collect();
        format!("[{}]", rings.join(","))
    };
    let diamond: &[(f64, f64)] = &[(4.0, 2.0), (6.0, 4.0), (4.0, 6.0), (2.0, 4.0)];
    let features = [
        (
            "00003",
            "Polygon",
            polygon(&[
                &[(0.0, 0.0), (8.0, 0.0), (8.0, 8.0), (0.0, 8.0)],
                &[(4.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 4.0)],
                &[(0.5, 6.5), (1.5, 6.5), (1.0, 7.5)],
            ]),
        ),
        ("00001", "Polygon", polygon(&[diamond])),
        (
            "00002",
            "MultiPolygon",
            format!(
                "[{},{}]",
                polygon(&[&[(8.0, 0.0), (12.0, 0.0), (12.0, 4.0), (8.0, 4.0)]]),
                polygon(&[&[(8.0, 8.0), (11.0, 8.0), (11.0, 11.0)]])
            ),
        ),
        (
            "00004",
            "Polygon",
            polygon(&[&[(0.0, 8.0), (8.0, 8.0), (4.0, 12.0)]]),
        ),
    ];
    let features: Vec<String> = features
        .iter()
        .map(|(code, kind, coordinates)| {
            format!(
                r#"{{"type":"Feature","properties":{{"commune_code":"{code}","commune_name":"Xã {code}","commune_type":"Xã","district_code":"001","district_name":"Huyện B","province_code":"06","province_name":"Tỉnh Bắc Kạn","area_km2":1.0}},"geometry":{{"type":"{kind}","coordinates":{coordinates}}}}}"#
            )
        })
        .collect();
    let geojson = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    );
    BoundarySet::from_geojson(SetInfo::BAC_KAN_2020, geojson.as_bytes()).unwrap()
}

#[test]
fn the_grid_agrees_with_geo_in_holes_islands_and_multipolygons() {
    let set = holes_and_islands();
    let mut rng = Lcg(7);
    let unit = |v: f64| v / 64.0;
    let mut points = Vec::new();
    // Every point of a lattice of 1/16 unit over -1..13: many exactly on edges and vertices.
    for i in -16..=208 {
        for j in -16..=208 {
            points.push(Coord {
                x: 105.0 + unit(f64::from(i) / 16.0),
                y: 22.0 + unit(f64::from(j) / 16.0),
            });
        }
    }
    // And random ones, anywhere and a hair off the lattice.
    for _ in 0..20_000 {
        let (x, y) = (-1.0 + rng.next() * 14.0, -1.0 + rng.next() * 14.0);
        let jitter = if rng.next() < 0.5 {
            0.0
        } else {
            1e-13 * (rng.next() - 0.5)
        };
        points.push(Coord {
            x: 105.0 + unit((x * 16.0).round() / 16.0) + jitter,
            y: 22.0 + unit(y),
        });
    }
    let (inside, on_edge) = check(&set, &points);
    assert!(
        inside > 10_000 && on_edge > 1_000,
        "{inside} inside, {on_edge} on an edge"
    );

    // The cases by name.
    let code = |x: f64, y: f64| {
        set.commune_at(22.0 + unit(y), 105.0 + unit(x))
            .map(|c| c.code.as_str())
    };
    assert_eq!(code(4.0, 4.0), Some("00001"), "the island");
    assert_eq!(code(1.0, 1.0), Some("00003"), "the holed square");
    assert_eq!(code(1.0, 7.0), None, "the empty hole");
    assert_eq!(
        code(5.0, 3.0),
        Some("00001"),
        "the island's edge: lowest code"
    );
    assert_eq!(
        code(8.0, 2.0),
        Some("00002"),
        "edge shared with the MultiPolygon"
    );
    assert_eq!(code(8.0, 8.0), Some("00002"), "corner of three communes");
    assert_eq!(
        code(10.0, 9.0),
        Some("00002"),
        "the MultiPolygon's second member"
    );
    assert_eq!(code(4.0, 10.0), Some("00004"), "the triangle");
    assert_eq!(
        code(2.0, 10.0),
        Some("00004"),
        "the triangle's diagonal edge"
    );
    assert_eq!(code(10.0, 6.0), None, "between the members");
}

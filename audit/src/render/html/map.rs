//! The HTML report's map: the set's communes as an inline SVG choropleth, district borders, site
//! dots, drawn from the boundary polygons.
//!
//! Geometry: an equirectangular projection scaled by cos(latitude) at the middle of the set's
//! bounding box (the province spans under two degrees, so the distortion is negligible), into a
//! [`WIDTH`]-unit wide view box; polygons are simplified with Ramer–Douglas–Peucker at
//! [`TOLERANCE`] units (well under a pixel at print size) and written with one decimal.
//!
//! Invariants: exactly one `<path>` per commune of the set, in code order, whatever the report
//! holds (a commune missing from the report is drawn as `no_site`); district borders and the
//! legend use other elements (`<polygon>`, `<rect>`), so a DOM count of `path` is a count of
//! communes. Pure: the same set and report give the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use coverage_shared::boundary::{BoundarySet, Commune};
use coverage_shared::text::{self, Catalogue};
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Simplify};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::{fibre_label, flag_label, mobile_label};
use crate::fibre::FibreVerdict;
use crate::report::{CommuneReport, Report};
use crate::verdict::MobileVerdict;

/// Width of the SVG view box, in user units.
pub const WIDTH: f64 = 1000.0;
/// Margin around the drawing, in user units.
const MARGIN: f64 = 8.0;
/// Simplification tolerance, in user units (1/1000 of the map's width).
pub const TOLERANCE: f64 = 0.6;

/// [`Projection`]'s numbers, as a page script reads them (JSON).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ProjectionParams {
    /// Westmost longitude.
    pub lon_min: f64,
    /// Northmost latitude.
    pub lat_max: f64,
    /// Units per degree of latitude.
    pub scale: f64,
    /// cos(latitude) at the middle.
    pub cos_lat: f64,
    /// Margin, units.
    pub margin: f64,
}

/// Lon/lat to view-box units.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    lon_min: f64,
    lat_max: f64,
    /// Units per degree of latitude.
    scale: f64,
    /// cos(latitude) at the middle of the box.
    cos_lat: f64,
    /// Height of the view box.
    pub height: f64,
}

impl Projection {
    /// The projection that fits the set's communes into [`WIDTH`] units.
    pub fn fit(set: &BoundarySet) -> Projection {
        let mut rect: Option<geo::Rect<f64>> = None;
        for c in set.communes() {
            if let Some(r) = c.geometry.bounding_rect() {
                rect = Some(match rect {
                    None => r,
                    Some(a) => geo::Rect::new(
                        Coord {
                            x: a.min().x.min(r.min().x),
                            y: a.min().y.min(r.min().y),
                        },
                        Coord {
                            x: a.max().x.max(r.max().x),
                            y: a.max().y.max(r.max().y),
                        },
                    ),
                });
            }
        }
        // An empty set still renders (an empty map) rather than dividing by zero.
        let r = rect.unwrap_or_else(|| geo::Rect::new((0.0, 0.0), (1.0, 1.0)));
        let cos_lat = ((r.min().y + r.max().y) / 2.0).to_radians().cos();
        let span_x = ((r.max().x - r.min().x) * cos_lat).max(1e-9);
        let scale = (WIDTH - 2.0 * MARGIN) / span_x;
        Projection {
            lon_min: r.min().x,
            lat_max: r.max().y,
            scale,
            cos_lat,
            height: (r.max().y - r.min().y) * scale + 2.0 * MARGIN,
        }
    }

    /// The numbers of [`Projection::point`], for a script that places dots on the map:
    /// `x = margin + (lon - lon_min) * cos_lat * scale`, `y = margin + (lat_max - lat) * scale`.
    pub fn params(&self) -> ProjectionParams {
        ProjectionParams {
            lon_min: self.lon_min,
            lat_max: self.lat_max,
            scale: self.scale,
            cos_lat: self.cos_lat,
            margin: MARGIN,
        }
    }

    /// A lon/lat position in view-box units (y grows downwards).
    pub fn point(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            MARGIN + (lon - self.lon_min) * self.cos_lat * self.scale,
            MARGIN + (self.lat_max - lat) * self.scale,
        )
    }

    /// A lon/lat multipolygon in view-box units.
    pub fn multipolygon(&self, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        let ring = |l: &LineString<f64>| -> LineString<f64> {
            l.coords()
                .map(|c| {
                    let (x, y) = self.point(c.x, c.y);
                    Coord { x, y }
                })
                .collect()
        };
        MultiPolygon(
            mp.iter()
                .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
                .collect(),
        )
    }
}

/// The rings of a projected multipolygon after simplification, rounded to one decimal, without
/// repeated points; rings that collapse below a triangle are dropped.
fn rings(mp: &MultiPolygon<f64>) -> Vec<Vec<(i64, i64)>> {
    let simple = mp.simplify(TOLERANCE);
    let mut out = Vec::new();
    for p in &simple {
        for l in std::iter::once(p.exterior()).chain(p.interiors()) {
            let mut ring: Vec<(i64, i64)> = Vec::with_capacity(l.0.len());
            for c in l.coords() {
                // Tenths of a unit as integers: exact, compact, deterministic text.
                let q = ((c.x * 10.0).round() as i64, (c.y * 10.0).round() as i64);
                if ring.last() != Some(&q) {
                    ring.push(q);
                }
            }
            if ring.len() > 1 && ring.first() == ring.last() {
                ring.pop();
            }
            if ring.len() >= 3 {
                out.push(ring);
            }
        }
    }
    out
}

/// Writes tenths of a unit as a decimal (`123.4`, `-0.5`, `12`).
fn num(o: &mut String, tenths: i64) {
    let sign = if tenths < 0 { "-" } else { "" };
    let a = tenths.unsigned_abs();
    if a.is_multiple_of(10) {
        let _ = write!(o, "{sign}{}", a / 10);
    } else {
        let _ = write!(o, "{sign}{}.{}", a / 10, a % 10);
    }
}

/// SVG path data of a projected multipolygon (`M x y L x y x y Z ...`).
pub fn path_data(mp: &MultiPolygon<f64>) -> String {
    let mut o = String::new();
    for ring in rings(mp) {
        for (i, &(x, y)) in ring.iter().enumerate() {
            o.push(match i {
                0 => 'M',
                1 => 'L',
                _ => ' ',
            });
            num(&mut o, x);
            o.push(' ');
            num(&mut o, y);
        }
        o.push('Z');
    }
    o
}

/// `points` attributes, one per ring, of a projected multipolygon.
fn polygon_points(mp: &MultiPolygon<f64>) -> Vec<String> {
    rings(mp)
        .into_iter()
        .map(|ring| {
            let mut o = String::new();
            for (i, &(x, y)) in ring.iter().enumerate() {
                if i > 0 {
                    o.push(' ');
                }
                num(&mut o, x);
                o.push(',');
                num(&mut o, y);
            }
            o
        })
        .collect()
}

/// The outline of each district: the union of its communes (projected), in district code order.
fn district_outlines(set: &BoundarySet, projection: &Projection) -> Vec<MultiPolygon<f64>> {
    let mut by_district: BTreeMap<&str, Vec<MultiPolygon<f64>>> = BTreeMap::new();
    for c in set.communes() {
        if let Some(d) = &c.district {
            by_district
                .entry(d.code.as_str())
                .or_default()
                .push(projection.multipolygon(&c.geometry));
        }
    }
    by_district
        .into_values()
        .map(|parts| {
            let polygons: Vec<Polygon<f64>> = parts.into_iter().flat_map(|m| m.0).collect();
            let merged = geo::unary_union(&polygons);
            // Slivers between communes that do not quite touch in the source data would draw
            // as stray lines inside a district: keep outer rings and holes of real size only.
            MultiPolygon(
                merged
                    .into_iter()
                    .filter(|p| ring_area(p.exterior()) > 4.0 * TOLERANCE * TOLERANCE)
                    .map(|p| {
                        let holes = p
                            .interiors()
                            .iter()
                            .filter(|h| ring_area(h) > 4.0 * TOLERANCE * TOLERANCE)
                            .cloned()
                            .collect();
                        Polygon::new(p.exterior().clone(), holes)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Unsigned shoelace area of a ring, in square units.
fn ring_area(l: &LineString<f64>) -> f64 {
    use geo::Area;
    Polygon::new(l.clone(), vec![]).unsigned_area()
}

/// One commune's verdict keys for the colouring selector: `any`, each operator, `fibre`.
fn data_attributes(o: &mut String, r: &Report, c: Option<&CommuneReport>) {
    let mobile = c.map_or(MobileVerdict::NoSite, |c| c.mobile);
    let _ = write!(o, " data-any=\"{}\"", mobile.as_str());
    for (i, op) in r.operators.iter().enumerate() {
        let v = c
            .and_then(|c| c.mobile_by_operator.get(op))
            .copied()
            .unwrap_or(MobileVerdict::NoSite);
        let _ = write!(o, " data-op{i}=\"{}\"", v.as_str());
    }
    let fibre = c.map_or(FibreVerdict::NoSite, |c| c.fibre);
    let _ = write!(o, " data-fibre=\"{}\"", fibre.as_str());
}

/// The tooltip of a commune: name, code, district, each verdict.
fn tooltip(t: &Catalogue, r: &Report, commune: &Commune, c: Option<&CommuneReport>) -> String {
    let mut lines = vec![format!("{} ({})", commune.name, commune.code)];
    if let Some(d) = &commune.district {
        lines.push(format!("{}: {}", t.report.label_district, d.name));
    } else if let Some(p) = &commune.former_province {
        lines.push(format!("{}: {}", t.html.col_former_province, p));
    }
    let mobile = c.map_or(MobileVerdict::NoSite, |c| c.mobile);
    lines.push(format!(
        "{}: {}",
        t.html.colour_any,
        mobile_label(t, mobile)
    ));
    for op in &r.operators {
        let v = c
            .and_then(|c| c.mobile_by_operator.get(op))
            .copied()
            .unwrap_or(MobileVerdict::NoSite);
        let name = text::fill(
            t.html.colour_operator,
            &[("operator", &text::operators::label(op))],
        );
        lines.push(format!("{name}: {}", mobile_label(t, v)));
    }
    let fibre = c.map_or(FibreVerdict::NoSite, |c| c.fibre);
    lines.push(format!(
        "{}: {}",
        t.html.colour_fibre,
        fibre_label(t, fibre)
    ));
    if let Some(c) = c {
        if !c.sites.is_empty() {
            lines.push(format!("{}: {}", t.report.label_sites, c.sites.join(", ")));
        }
        lines.extend(c.reasons.any.iter().cloned());
    }
    lines.join("\n")
}

/// What the map draws of one commune: its verdict class, extra attributes, tooltip.
struct CommuneLook {
    /// The `v-...` class.
    verdict: &'static str,
    /// Attributes after `data-code` (each with its leading space).
    attributes: String,
    /// The `<title>` text.
    title: String,
}

/// The `<svg>` element: one `<path>` per commune (in code order) looked as `look` says,
/// the district borders, and `sites` as dots (position, class, tooltip).
fn draw(
    set: &BoundarySet,
    t: &Catalogue,
    projection: &Projection,
    look: impl Fn(&Commune) -> CommuneLook,
    sites: &[(f64, f64, bool, String)],
) -> String {
    let mut o = String::with_capacity(512 * 1024);
    let _ = write!(
        o,
        "<svg id=\"map\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">",
        WIDTH,
        projection.height.ceil(),
        attr(t.html.map)
    );
    o.push_str("<g id=\"map-communes\">");
    for commune in set.communes() {
        let l = look(commune);
        let _ = write!(
            o,
            "<path class=\"c v-{}\" data-code=\"{}\"{}",
            l.verdict,
            attr(&commune.code),
            l.attributes
        );
        let _ = write!(
            o,
            " d=\"{}\"><title>{}</title></path>",
            path_data(&projection.multipolygon(&commune.geometry)),
            esc(&l.title)
        );
    }
    o.push_str("</g>");
    if set.has_districts() {
        o.push_str("<g id=\"map-districts\">");
        for outline in district_outlines(set, projection) {
            for points in polygon_points(&outline) {
                let _ = write!(o, "<polygon class=\"d\" points=\"{points}\"/>");
            }
        }
        o.push_str("</g>");
    }
    o.push_str("<g id=\"map-sites\">");
    for (lat, lon, flagged, title) in sites {
        let (x, y) = projection.point(*lon, *lat);
        let _ = write!(
            o,
            "<circle class=\"{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\"><title>{}</title></circle>",
            if *flagged { "s flagged" } else { "s" },
            x,
            y,
            if *flagged { 5 } else { 4 },
            esc(title)
        );
    }
    o.push_str("</g></svg>");
    o
}

/// The `<svg>` map of the set, coloured by the `any` mobile verdict.
pub fn svg(r: &Report, set: &BoundarySet, t: &Catalogue) -> String {
    let projection = Projection::fit(set);
    let by_code: BTreeMap<&str, &CommuneReport> =
        r.communes.iter().map(|c| (c.code.as_str(), c)).collect();
    let mut sites = Vec::new();
    for s in &r.sites {
        let (Some(lat), Some(lon)) = (s.lat, s.lon) else {
            continue;
        };
        let flagged = !s.flags.is_empty();
        let mut title = s.id.clone();
        if let Some(name) = &s.commune_name {
            let _ = write!(title, "\n{}: {name}", t.report.label_commune);
        }
        if flagged {
            let flags: Vec<&str> = s.flags.iter().map(|f| flag_label(t, *f)).collect();
            let _ = write!(title, "\n{}: {}", t.report.label_flags, flags.join(", "));
        }
        sites.push((lat, lon, flagged, title));
    }
    draw(
        set,
        t,
        &projection,
        |commune| {
            let c = by_code.get(commune.code.as_str()).copied();
            let mut attributes = String::new();
            data_attributes(&mut attributes, r, c);
            CommuneLook {
                verdict: c.map_or(MobileVerdict::NoSite, |c| c.mobile).as_str(),
                attributes,
                title: tooltip(t, r, commune, c),
            }
        },
        &sites,
    )
}

/// The map of the set without a report (the collector's live map): every commune drawn
/// `no_site`, its tooltip its name, code and district, no site; a script colours it and adds
/// the sites with [`Projection::params`]. One `<path>` per commune, as [`svg`].
pub fn blank_svg(set: &BoundarySet, t: &Catalogue) -> String {
    let projection = Projection::fit(set);
    draw(
        set,
        t,
        &projection,
        |commune| {
            let mut title = format!("{} ({})", commune.name, commune.code);
            if let Some(d) = &commune.district {
                let _ = write!(title, "\n{}: {}", t.report.label_district, d.name);
            }
            CommuneLook {
                verdict: MobileVerdict::NoSite.as_str(),
                attributes: format!(" data-name=\"{}\"", attr(&commune.name)),
                title,
            }
        },
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_registry;

    #[test]
    fn projection_keeps_the_set_inside_the_view_box() {
        let reg = test_registry();
        let set = reg.get("bac-kan-2020").unwrap();
        let p = Projection::fit(set);
        assert!(p.height > 100.0 && p.height < 2.0 * WIDTH, "{}", p.height);
        for c in set.communes() {
            let mp = p.multipolygon(&c.geometry);
            let r = mp.bounding_rect().unwrap();
            assert!(r.min().x >= MARGIN - 1e-6 && r.max().x <= WIDTH - MARGIN + 1e-6);
            assert!(r.min().y >= MARGIN - 1e-6 && r.max().y <= p.height - MARGIN + 1e-6);
        }
        // North is up: a point further north has a smaller y.
        assert!(p.point(105.8, 22.5).1 < p.point(105.8, 22.0).1);
    }

    #[test]
    fn every_commune_keeps_a_drawable_simplified_outline() {
        let reg = test_registry();
        for name in ["bac-kan-2020", "thai-nguyen-2025"] {
            let set = reg.get(name).unwrap();
            let p = Projection::fit(set);
            let mut total = 0;
            for c in set.communes() {
                let d = path_data(&p.multipolygon(&c.geometry));
                assert!(d.starts_with('M') && d.ends_with('Z'), "{name} {}", c.code);
                total += d.len();
            }
            // Simplification must actually shrink the data: the full sets are 1.1 and 1.9 MB.
            assert!(total < 400_000, "{name}: {total} bytes of path data");
        }
    }

    #[test]
    fn districts_outline_as_one_or_few_rings_each() {
        let reg = test_registry();
        let set = reg.get("bac-kan-2020").unwrap();
        let p = Projection::fit(set);
        let outlines = district_outlines(set, &p);
        assert_eq!(outlines.len(), 8);
        for o in &outlines {
            assert!(!o.0.is_empty() && o.0.len() <= 3, "{} parts", o.0.len());
        }
    }

    #[test]
    fn the_blank_map_draws_every_commune_and_its_projection_places_dots() {
        let reg = test_registry();
        let set = reg.get("bac-kan-2020").unwrap();
        let svg = blank_svg(
            set,
            coverage_shared::text::catalogue(coverage_shared::text::Lang::En),
        );
        assert_eq!(svg.matches("<path ").count(), set.communes().len());
        assert_eq!(
            svg.matches("class=\"c v-no_site\"").count(),
            set.communes().len()
        );
        assert!(svg.contains("<g id=\"map-sites\"></g>"));
        let p = Projection::fit(set);
        let q = p.params();
        let (x, y) = p.point(105.8, 22.1);
        assert!((q.margin + (105.8 - q.lon_min) * q.cos_lat * q.scale - x).abs() < 1e-9);
        assert!((q.margin + (q.lat_max - 22.1) * q.scale - y).abs() < 1e-9);
    }

    #[test]
    fn numbers_print_in_tenths() {
        let mut o = String::new();
        for n in [0, 5, 10, 1234, -5, -20] {
            num(&mut o, n);
            o.push(' ');
        }
        assert_eq!(o, "0 0.5 1 123.4 -0.5 -2 ");
    }
}

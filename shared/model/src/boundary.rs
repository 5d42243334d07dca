//! Commune boundary sets and point-in-polygon lookup: which commune a site is in.
//!
//! The collector places every site in its commune so that coverage can be decided per commune,
//! district and province, and audits a claim against the boundaries in force on the claim's date.
//! A [`BoundarySet`] is one versioned map of communes, parsed from GeoJSON (see
//! `data/boundaries/README.md` for the files, their sources and licences); a
//! [`BoundaryRegistry`] holds the known sets, tells which is in force on a date, and maps 2020
//! codes to 2025 codes. [`BoundarySet::locate`] answers a position with a [`Location`].
//!
//! Invariants and rules:
//!
//! - **A code is only meaningful with its set.** 2025 codes reuse 2020 codes of other units
//!   (`01843` is Phường Phùng Chí Kiên in `bac-kan-2020` and Phường Bắc Kạn in
//!   `thai-nguyen-2025`), so every result carries its set's name; never store a bare code.
//! - **Validity.** `bac-kan-2020`: 2020-02-01 to 2025-06-30 inclusive, 108 communes in 8
//!   districts. `thai-nguyen-2025`: from 2025-07-01, open-ended, 92 communes, no district level.
//!   Dates are Vietnamese legal dates (UTC+7).
//! - **Tie-break.** A point inside a commune's interior belongs to it. A point on an edge or a
//!   vertex shared by several communes belongs to the one with the lowest code (codes compare as
//!   strings; GSO codes are fixed-width digits). The same position always gives the same commune.
//! - **Outside.** A point outside every commune (beyond the province, or in the rounding gap of
//!   0.1 m² between two 2020 polygons) is reported as outside, with the nearest commune
//!   and the distance to it, never silently moved into a commune.
//! - **Edge distance and the 250 m flag.** [`Location::edge_distance_m`] is the haversine distance
//!   from the point to the nearest commune edge: for a point inside, to the nearest edge of its
//!   own commune; for a point outside, to the nearest commune. The `bac-kan-2020` layer is a
//!   reconstruction, not an official map: edges between communes that were merged in 2025 come
//!   from a 2011 map moved by up to a few hundred metres, and both files are simplified at 10 m.
//!   A placement within [`NEAR_EDGE_M`] (250 m) of an edge is therefore uncertain, and reports flag
//!   it ([`Location::near_edge`]) instead of trusting it.
//! - **Provenance.** A set keeps the SHA-256 of the GeoJSON bytes it was built from
//!   ([`BoundarySet::sha256`]) for reports to quote.
//!
//! The core parses bytes and does no I/O; only [`BoundaryRegistry::from_dir`] reads files. With
//! the `embedded` cargo feature, `BoundaryRegistry::embedded()` compiles the files in. A set is
//! built once (parsing, checking and indexing: about 85 ms for `bac-kan-2020` and 130 ms for
//! `thai-nguyen-2025` in a release build) and refused, naming the file and the feature, if a
//! geometry is broken (unclosed or self-crossing ring, invalid polygon, out-of-range position)
//! or a code is missing or repeated. Lookups take `&self` and borrow their result from the set.
//! [`BoundarySet::commune_at`] (the commune only) costs about 50 ns on the real sets (20
//! million points per second on one core, 100 times shapely 2's vectorised `STRtree`; a
//! uniform grid, see `grid`); [`BoundarySet::locate`] adds the edge distance (R-tree of edges):
//! about 10 µs inside a commune, up to about 0.1 ms far outside (`bench/lookup.sh`,
//! `cargo bench -p coverage-shared --bench boundary`). Neither allocates itself; the R-tree
//! search keeps its queue on the stack unless a far search outgrows it.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use geo::{MultiPolygon, Point};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

mod error;
mod grid;
mod index;
#[cfg(test)]
mod lookup_tests;
mod parse;
mod registry;
#[cfg(test)]
mod tests;
mod valid;

pub use error::{BoundaryError, FeatureAt};
pub use registry::{BoundaryRegistry, MAPPING_2020_TO_2025_FILE};

use index::SpatialIndex;

/// Distance from a commune edge, in metres, within which a placement is flagged as uncertain
/// (DESIGN.md; the 2020 internal edges may be off by 100–300 m).
pub const NEAR_EDGE_M: f64 = 250.0;

/// What a boundary set is: its name, its file, when it is in force, whether it has districts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetInfo {
    /// The set's name, carried with every code (`bac-kan-2020`).
    pub name: Cow<'static, str>,
    /// The GeoJSON file name it is read from, inside a boundary directory.
    pub file: Cow<'static, str>,
    /// First day in force (Vietnamese legal date).
    pub valid_from: NaiveDate,
    /// Last day in force, inclusive; `None` while still in force.
    pub valid_until: Option<NaiveDate>,
    /// Whether communes belong to districts (claims at district level need it).
    pub has_districts: bool,
}

/// `NaiveDate::from_ymd_opt` in a constant.
const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid date in a set definition"),
    }
}

impl SetInfo {
    /// Tỉnh Bắc Kạn after NQ 855/NQ-UBTVQH14: 108 communes in 8 districts.
    pub const BAC_KAN_2020: SetInfo = SetInfo {
        name: Cow::Borrowed("bac-kan-2020"),
        file: Cow::Borrowed("bac-kan-communes-2020.geojson"),
        valid_from: date(2020, 2, 1),
        valid_until: Some(date(2025, 6, 30)),
        has_districts: true,
    };

    /// Tỉnh Thái Nguyên after NQ 1683/NQ-UBTVQH15: 92 communes, no district level.
    pub const THAI_NGUYEN_2025: SetInfo = SetInfo {
        name: Cow::Borrowed("thai-nguyen-2025"),
        file: Cow::Borrowed("thai-nguyen-communes-2025.geojson"),
        valid_from: date(2025, 7, 1),
        valid_until: None,
        has_districts: false,
    };

    /// The sets this project ships, oldest first.
    pub const KNOWN: [SetInfo; 2] = [Self::BAC_KAN_2020, Self::THAI_NGUYEN_2025];

    /// Whether the set is in force on `date`.
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_until.is_none_or(|until| date <= until)
    }
}

/// A district (2020 set only), by GSO code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct District {
    /// GSO 3-digit code (`058`).
    pub code: String,
    /// Official name (`Thành phố Bắc Kạn`).
    pub name: String,
}

/// A province, by GSO code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Province {
    /// GSO 2-digit code (`06` Bắc Kạn, `19` Thái Nguyên).
    pub code: String,
    /// Official name (`Tỉnh Bắc Kạn`).
    pub name: String,
}

/// One commune-level unit (xã, phường, thị trấn) of a set.
#[derive(Clone, PartialEq, Serialize)]
pub struct Commune {
    /// GSO 5-digit code, unique within its set only.
    pub code: String,
    /// Official name, GSO spelling (`Phường Nguyễn Thị Minh Khai`).
    pub name: String,
    /// `Xã`, `Phường` or `Thị trấn`.
    pub commune_type: String,
    /// Its district in a set with a district level; `None` in the 2025 set.
    pub district: Option<District>,
    /// Its province.
    pub province: Province,
    /// 2025 set: the province the unit was in before the 2025 merger (`Bắc Kạn`, `Thái Nguyên`).
    pub former_province: Option<String>,
    /// 2020 set: code of the 2025 unit it was merged into.
    pub code_2025: Option<String>,
    /// 2020 set: name of the 2025 unit it was merged into.
    pub name_2025: Option<String>,
    /// 2025 set: codes of the 2020 communes merged into it (former Bắc Kạn units only, else empty).
    pub codes_2020: Vec<String>,
    /// Geodesic area from the full-resolution polygon, km².
    pub area_km2: f64,
    /// The commune's area, lon/lat (WGS84). A plain Polygon in the file is a one-member
    /// MultiPolygon here. Not serialised.
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
}

impl fmt::Debug for Commune {
    /// Everything but the geometry, which would print thousands of coordinates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Commune")
            .field("code", &self.code)
            .field("name", &self.name)
            .field("commune_type", &self.commune_type)
            .field("district", &self.district)
            .field("province", &self.province)
            .field("former_province", &self.former_province)
            .field("code_2025", &self.code_2025)
            .field("name_2025", &self.name_2025)
            .field("codes_2020", &self.codes_2020)
            .field("area_km2", &self.area_km2)
            .finish_non_exhaustive()
    }
}

/// A district and its communes, as listed by [`BoundarySet::districts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistrictCommunes {
    /// The district.
    pub district: District,
    /// Codes of its communes, in code order.
    pub communes: Vec<String>,
}

/// One versioned set of commune boundaries with its spatial index.
pub struct BoundarySet {
    info: SetInfo,
    /// Lower-case hex SHA-256 of the GeoJSON bytes.
    sha256: String,
    /// Sorted by code; positions are the indices used by `index`.
    communes: Vec<Commune>,
    /// Sorted by district code; empty without a district level.
    districts: Vec<DistrictCommunes>,
    index: SpatialIndex,
}

impl fmt::Debug for BoundarySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundarySet")
            .field("info", &self.info)
            .field("sha256", &self.sha256)
            .field("communes", &self.communes.len())
            .field("districts", &self.districts.len())
            .finish_non_exhaustive()
    }
}

impl BoundarySet {
    /// Parses a GeoJSON FeatureCollection (one Polygon or MultiPolygon feature per commune, with
    /// the properties of `data/boundaries/README.md`) and builds the index. No I/O.
    pub fn from_geojson(info: SetInfo, geojson: &[u8]) -> Result<Self, BoundaryError> {
        let sha256 = hex::encode(Sha256::digest(geojson));
        let communes = parse::parse_communes(&info, geojson)?;
        let districts = group_districts(&communes);
        let index = SpatialIndex::build(&communes);
        Ok(Self {
            info,
            sha256,
            communes,
            districts,
            index,
        })
    }

    /// The set's name (`bac-kan-2020`).
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// Name, file, validity and district level.
    pub fn info(&self) -> &SetInfo {
        &self.info
    }

    /// Whether communes belong to districts.
    pub fn has_districts(&self) -> bool {
        self.info.has_districts
    }

    /// Lower-case hex SHA-256 of the GeoJSON bytes the set was built from, for report provenance.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// All communes, in code order.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    /// The commune with this code in this set.
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.communes
            .binary_search_by(|c| c.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.communes[i])
    }

    /// The districts with their communes, in code order; empty for a set without districts.
    pub fn districts(&self) -> &[DistrictCommunes] {
        &self.districts
    }

    /// The commune holding a WGS84 position (latitude, longitude in degrees), by the same rules
    /// as [`Self::locate`] (an interior first; a shared edge or vertex to the lowest code), without
    /// the edge distance: the fast path for placing many positions. `None` outside every commune
    /// and for a non-finite or out-of-range position.
    pub fn commune_at(&self, lat: f64, lon: f64) -> Option<&Commune> {
        if !crate::geo::LatLon::is_valid(lat, lon) {
            return None;
        }
        self.index
            .containing(&self.communes, Point::new(lon, lat))
            .map(|i| &self.communes[i])
    }

    /// Places a WGS84 position (latitude, longitude in degrees) in the set.
    ///
    /// Inside a commune: [`Location::commune`] is set and [`Location::edge_distance_m`] is the
    /// distance to that commune's nearest edge. Outside every commune: [`Location::nearest`] is
    /// the nearest commune and `edge_distance_m` the distance to it. A non-finite or out-of-range
    /// position is outside with no nearest commune and an infinite distance.
    pub fn locate(&self, lat: f64, lon: f64) -> Location<'_> {
        let mut location = Location {
            set: &self.info.name,
            lat,
            lon,
            commune: None,
            nearest: None,
            edge_distance_m: f64::INFINITY,
        };
        if !crate::geo::LatLon::is_valid(lat, lon) {
            return location;
        }
        let p = Point::new(lon, lat);
        match self.index.containing(&self.communes, p) {
            Some(i) => {
                location.commune = Some(&self.communes[i]);
                if let Some((_, distance)) = self.index.nearest_edge(p, Some(i)) {
                    location.edge_distance_m = distance;
                }
            }
            None => {
                if let Some((i, distance)) = self.index.nearest_edge(p, None) {
                    location.nearest = Some(&self.communes[i]);
                    location.edge_distance_m = distance;
                }
            }
        }
        location
    }
}

/// Groups the communes by district, in code order (the parser checked that a district code has
/// one name).
fn group_districts(communes: &[Commune]) -> Vec<DistrictCommunes> {
    let mut districts: Vec<DistrictCommunes> = Vec::new();
    for commune in communes {
        let Some(district) = &commune.district else {
            continue;
        };
        match districts
            .iter_mut()
            .find(|d| d.district.code == district.code)
        {
            Some(entry) => entry.communes.push(commune.code.clone()),
            None => districts.push(DistrictCommunes {
                district: district.clone(),
                communes: vec![commune.code.clone()],
            }),
        }
    }
    districts.sort_by(|a, b| a.district.code.cmp(&b.district.code));
    districts
}

/// Where a position falls in one set. Borrows from the set, so a lookup copies no strings.
///
/// Serialises (for `coverage-collector locate`) as its [`Location::summary`] with the 250 m flag.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    /// The set's name: the code means nothing without it.
    pub set: &'a str,
    /// The latitude looked up, degrees.
    pub lat: f64,
    /// The longitude looked up, degrees.
    pub lon: f64,
    /// The commune containing the position (interior or edge; shared edges go to the lowest code);
    /// `None` outside every commune.
    pub commune: Option<&'a Commune>,
    /// Outside every commune: the commune whose edge is nearest (ties: lowest code). `None`
    /// inside a commune, and for a non-finite or out-of-range position.
    pub nearest: Option<&'a Commune>,
    /// Haversine distance in metres to the nearest edge: of `commune` when inside, of `nearest`
    /// when outside; 0 on an edge; infinite for a non-finite or out-of-range position.
    pub edge_distance_m: f64,
}

impl<'a> Location<'a> {
    /// Whether the position is in a commune.
    pub fn is_inside(&self) -> bool {
        self.commune.is_some()
    }

    /// Code of the containing commune, `None` outside.
    pub fn code(&self) -> Option<&'a str> {
        self.commune.map(|c| c.code.as_str())
    }

    /// Whether the position is within `threshold_m` metres of a commune edge, inside or outside
    /// (use [`NEAR_EDGE_M`]): its placement is then uncertain and a report should flag it.
    pub fn near_edge(&self, threshold_m: f64) -> bool {
        self.edge_distance_m <= threshold_m
    }

    /// A flat view for printing as JSON, with the near-edge flag at `threshold_m` metres.
    pub fn summary(&self, threshold_m: f64) -> LocationSummary<'a> {
        let commune = self.commune;
        LocationSummary {
            set: self.set,
            lat: self.lat,
            lon: self.lon,
            inside: commune.is_some(),
            code: commune.map(|c| c.code.as_str()),
            name: commune.map(|c| c.name.as_str()),
            commune_type: commune.map(|c| c.commune_type.as_str()),
            district: commune.and_then(|c| c.district.as_ref()),
            province: commune.map(|c| &c.province),
            edge_distance_m: round_cm(self.edge_distance_m),
            near_edge: self.near_edge(threshold_m),
            near_edge_threshold_m: threshold_m,
            nearest: self.nearest.map(|c| NearestCommune {
                code: &c.code,
                name: &c.name,
                distance_m: round_cm(self.edge_distance_m).unwrap_or(f64::INFINITY),
            }),
        }
    }
}

/// Rounds to centimetres, which is all the data can support; `None` when not finite.
fn round_cm(metres: f64) -> Option<f64> {
    metres.is_finite().then(|| (metres * 100.0).round() / 100.0)
}

impl Serialize for Location<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.summary(NEAR_EDGE_M).serialize(serializer)
    }
}

/// A [`Location`] flattened for JSON output; commune fields are `null` outside every commune.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocationSummary<'a> {
    /// The set's name.
    pub set: &'a str,
    /// The latitude looked up.
    pub lat: f64,
    /// The longitude looked up.
    pub lon: f64,
    /// Whether the position is in a commune.
    pub inside: bool,
    /// Commune code.
    pub code: Option<&'a str>,
    /// Commune name.
    pub name: Option<&'a str>,
    /// `Xã`, `Phường` or `Thị trấn`.
    pub commune_type: Option<&'a str>,
    /// District (`null` in a set without districts, and outside).
    pub district: Option<&'a District>,
    /// Province (`null` outside).
    pub province: Option<&'a Province>,
    /// Distance to the nearest commune edge, metres, rounded to centimetres (`null` for an
    /// invalid position).
    pub edge_distance_m: Option<f64>,
    /// Whether `edge_distance_m <= near_edge_threshold_m`.
    pub near_edge: bool,
    /// The threshold used for `near_edge`, metres.
    pub near_edge_threshold_m: f64,
    /// Outside: the nearest commune.
    pub nearest: Option<NearestCommune<'a>>,
}

/// The nearest commune to a position outside every commune.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearestCommune<'a> {
    /// Commune code.
    pub code: &'a str,
    /// Commune name.
    pub name: &'a str,
    /// Distance to its nearest edge, metres, rounded to centimetres.
    pub distance_m: f64,
}

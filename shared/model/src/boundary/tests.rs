//! Tests on the real boundary files of `data/boundaries`, plus hand-made broken GeoJSON.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use geo::{Closest, Distance, Haversine, HaversineClosestPoint, Intersects, Point};

use super::*;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/boundaries")
}

/// Built once for all tests: parsing and indexing both sets takes a while in a debug build.
fn registry() -> &'static BoundaryRegistry {
    static REGISTRY: OnceLock<BoundaryRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| BoundaryRegistry::from_dir(data_dir()).expect("data/boundaries loads"))
}

fn bac_kan() -> &'static BoundarySet {
    registry().get("bac-kan-2020").unwrap()
}

fn thai_nguyen() -> &'static BoundarySet {
    registry().get("thai-nguyen-2025").unwrap()
}

/// The rows of one of the communes CSVs, as column → value maps.
fn csv_rows(file: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(data_dir().join(file)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .map(str::to_owned)
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn inside_point(row: &BTreeMap<String, String>) -> (f64, f64) {
    (
        row["inside_lat"].parse().unwrap(),
        row["inside_lon"].parse().unwrap(),
    )
}

/// Brute force over every commune: which ones touch the point, and the distance to the nearest
/// edge, computed with geo alone and no index.
fn brute_force(set: &BoundarySet, lat: f64, lon: f64) -> (Vec<&str>, f64, &str) {
    let p = Point::new(lon, lat);
    let touching: Vec<&str> = set
        .communes()
        .iter()
        .filter(|c| c.geometry.intersects(&p))
        .map(|c| c.code.as_str())
        .collect();
    let edge_distance = |c: &Commune| {
        c.geometry
            .iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .map(|ring| match ring.haversine_closest_point(&p) {
                Closest::Intersection(_) => 0.0,
                Closest::SinglePoint(q) => Haversine.distance(p, q),
                Closest::Indeterminate => f64::INFINITY,
            })
            .fold(f64::INFINITY, f64::min)
    };
    let candidates: Vec<&Commune> = match touching.first() {
        Some(code) => vec![set.commune(code).unwrap()],
        None => set.communes().iter().collect(),
    };
    let (nearest, distance) = candidates
        .into_iter()
        .map(|c| (c.code.as_str(), edge_distance(c)))
        .fold(
            ("", f64::INFINITY),
            |best, x| if x.1 < best.1 { x } else { best },
        );
    (touching, distance, nearest)
}

#[test]
fn counts_match_the_official_figures() {
    let old = bac_kan();
    assert_eq!(old.communes().len(), 108);
    assert!(old.has_districts());
    let per_district: Vec<(&str, usize)> = old
        .districts()
        .iter()
        .map(|d| (d.district.code.as_str(), d.communes.len()))
        .collect();
    assert_eq!(
        per_district,
        [
            ("058", 8),
            ("060", 10),
            ("061", 15),
            ("062", 10),
            ("063", 14),
            ("064", 20),
            ("065", 14),
            ("066", 17)
        ]
    );
    assert_eq!(old.districts()[0].district.name, "Thành phố Bắc Kạn");
    assert!(
        old.communes()
            .iter()
            .all(|c| c.province.code == "06" && c.code_2025.is_some())
    );

    let new = thai_nguyen();
    assert_eq!(new.communes().len(), 92);
    assert!(!new.has_districts());
    assert!(new.districts().is_empty());
    assert!(
        new.communes()
            .iter()
            .all(|c| c.district.is_none() && c.province.code == "19")
    );
    let former_bac_kan: Vec<&Commune> = new
        .communes()
        .iter()
        .filter(|c| c.former_province.as_deref() == Some("Bắc Kạn"))
        .collect();
    assert_eq!(former_bac_kan.len(), 37);
    assert_eq!(
        former_bac_kan
            .iter()
            .map(|c| c.codes_2020.len())
            .sum::<usize>(),
        108
    );
}

#[test]
fn sha256_is_that_of_the_geojson_files() {
    // The values quoted in data/boundaries/README.md.
    assert_eq!(
        bac_kan().sha256(),
        "850bb3073a68a3273389c4b867568c51337c710431b656f21f001e380f6a5d91"
    );
    assert_eq!(
        thai_nguyen().sha256(),
        "32b3196563f6267d0aa1b2f48fe7221d13f3fe6b9ee9d1c2ec7c3f65607a4607"
    );
}

#[test]
fn every_2020_inside_point_locates_to_its_own_commune_and_district() {
    let rows = csv_rows("bac-kan-communes-2020.csv");
    assert_eq!(rows.len(), 108);
    for row in &rows {
        let (lat, lon) = inside_point(row);
        let location = bac_kan().locate(lat, lon);
        let commune = location
            .commune
            .unwrap_or_else(|| panic!("{} not found: {location:?}", row["commune_code"]));
        assert_eq!(commune.code, row["commune_code"]);
        assert_eq!(commune.name, row["commune_name"]);
        let district = commune.district.as_ref().unwrap();
        assert_eq!(district.code, row["district_code"]);
        assert_eq!(district.name, row["district_name"]);
        assert!(location.nearest.is_none());
        assert!(
            location.edge_distance_m > 0.0 && location.edge_distance_m < 20_000.0,
            "{location:?}"
        );
    }
}

#[test]
fn every_2025_inside_point_locates_to_its_own_commune() {
    let rows = csv_rows("thai-nguyen-communes-2025.csv");
    assert_eq!(rows.len(), 92);
    for row in &rows {
        let (lat, lon) = inside_point(row);
        let location = thai_nguyen().locate(lat, lon);
        assert_eq!(
            location.code(),
            Some(row["commune_code"].as_str()),
            "{location:?}"
        );
        assert!(location.commune.unwrap().district.is_none());
    }
}

#[test]
fn mapping_agrees_with_looking_up_the_2025_set() {
    let rows = csv_rows("bac-kan-communes-2020.csv");
    for row in &rows {
        let (lat, lon) = inside_point(row);
        let old = bac_kan().locate(lat, lon).code().unwrap();
        let mapped = registry().map_2020_to_2025(old);
        assert_eq!(
            mapped,
            thai_nguyen().locate(lat, lon).code(),
            "2020 commune {old}"
        );
        assert_eq!(mapped, Some(row["code_2025"].as_str()));
    }
    assert_eq!(registry().map_2020_to_2025("01834"), Some("01840"));
    assert_eq!(registry().map_2020_to_2025("99999"), None);
}

#[test]
fn a_point_far_outside_gives_the_nearest_commune_and_its_distance() {
    let hanoi = (21.0285, 105.8542);
    for set in registry().sets() {
        let location = set.locate(hanoi.0, hanoi.1);
        assert!(!location.is_inside());
        let nearest = location.nearest.expect("nearest commune");
        // Hà Nội is some tens of kilometres south of Thái Nguyên, ~100 km from old Bắc Kạn.
        assert!(
            (10_000.0..200_000.0).contains(&location.edge_distance_m),
            "{}: {location:?}",
            set.name()
        );
        assert!(!location.near_edge(NEAR_EDGE_M));
        let (touching, distance, code) = brute_force(set, hanoi.0, hanoi.1);
        assert!(touching.is_empty());
        assert_eq!(nearest.code, code, "{}", set.name());
        assert!(
            (location.edge_distance_m - distance).abs() < 1e-3,
            "{} vs {distance}",
            location.edge_distance_m
        );
    }
}

#[test]
fn lookups_agree_with_brute_force_on_a_grid() {
    for set in registry().sets() {
        // A 9 x 9 grid over the set's extent and a margin around it: points inside, outside,
        // and near the outer edge.
        let (mut min, mut max) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for c in set.communes() {
            for coord in c.geometry.iter().flat_map(|p| p.exterior().0.iter()) {
                min = (min.0.min(coord.x), min.1.min(coord.y));
                max = (max.0.max(coord.x), max.1.max(coord.y));
            }
        }
        for i in 0..9 {
            for j in 0..9 {
                let lon = min.0 - 0.05 + (max.0 - min.0 + 0.1) * f64::from(i) / 8.0;
                let lat = min.1 - 0.05 + (max.1 - min.1 + 0.1) * f64::from(j) / 8.0;
                let location = set.locate(lat, lon);
                let (touching, distance, nearest) = brute_force(set, lat, lon);
                assert_eq!(location.code(), touching.first().copied(), "{lat},{lon}");
                if location.is_inside() {
                    assert_eq!(touching.len(), 1, "{lat},{lon} touches {touching:?}");
                } else {
                    assert_eq!(
                        location.nearest.map(|c| c.code.as_str()),
                        Some(nearest),
                        "{lat},{lon}"
                    );
                }
                assert!(
                    (location.edge_distance_m - distance).abs() < 1e-3,
                    "{lat},{lon}: {} vs {distance}",
                    location.edge_distance_m
                );
            }
        }
    }
}

#[test]
fn lookups_agree_with_brute_force_near_edges() {
    // Points 1 m to 400 m from vertices, in all directions, where an index that confused degrees
    // with metres would pick the wrong edge or commune. A fixed LCG keeps the test reproducible.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for set in registry().sets() {
        let vertices: Vec<_> = set
            .communes()
            .iter()
            .flat_map(|c| c.geometry.iter().flat_map(|p| p.exterior().0.iter()))
            .collect();
        let (mut inside, mut near) = (0, 0);
        for _ in 0..300 {
            let v = vertices[(next() * vertices.len() as f64) as usize];
            let (distance, bearing) = (1.0 + next() * 400.0, next() * 360.0);
            let p = geo::Destination::destination(&Haversine, Point::from(*v), bearing, distance);
            let location = set.locate(p.y(), p.x());
            let (touching, expected, nearest) = brute_force(set, p.y(), p.x());
            assert_eq!(location.code(), touching.first().copied(), "{p:?}");
            if !location.is_inside() {
                assert_eq!(
                    location.nearest.map(|c| c.code.as_str()),
                    Some(nearest),
                    "{p:?}"
                );
            }
            assert!(
                (location.edge_distance_m - expected).abs() < 1e-3,
                "{p:?}: {} vs {expected}",
                location.edge_distance_m
            );
            inside += usize::from(location.is_inside());
            near += usize::from(location.near_edge(NEAR_EDGE_M));
        }
        assert!(
            inside > 250 && near > 250,
            "{}: {inside} inside, {near} near an edge",
            set.name()
        );
    }
}

#[test]
fn a_shared_vertex_goes_to_the_lowest_code() {
    for set in registry().sets() {
        // Every vertex with the communes whose rings contain it.
        let mut owners: BTreeMap<(u64, u64), Vec<&str>> = BTreeMap::new();
        for c in set.communes() {
            for coord in c.geometry.iter().flat_map(|p| p.exterior().0.iter()) {
                let entry = owners
                    .entry((coord.x.to_bits(), coord.y.to_bits()))
                    .or_default();
                if entry.last() != Some(&c.code.as_str()) {
                    entry.push(&c.code);
                }
            }
        }
        let shared: Vec<_> = owners
            .iter()
            .filter(|(_, codes)| codes.len() >= 2)
            .collect();
        let triple = shared.iter().filter(|(_, codes)| codes.len() >= 3).count();
        assert!(
            shared.len() > 100 && triple > 10,
            "{}: {} shared, {triple} triple",
            set.name(),
            shared.len()
        );
        // Every triple point, and every 20th vertex shared by two.
        let checked = shared
            .iter()
            .enumerate()
            .filter(|(i, (_, codes))| codes.len() >= 3 || i % 20 == 0);
        for (_, ((x, y), codes)) in checked {
            let (lon, lat) = (f64::from_bits(*x), f64::from_bits(*y));
            let location = set.locate(lat, lon);
            let lowest = codes.iter().min().unwrap();
            assert_eq!(
                location.code(),
                Some(*lowest),
                "{lat},{lon} shared by {codes:?}"
            );
            assert_eq!(location.edge_distance_m, 0.0);
            assert!(location.near_edge(NEAR_EDGE_M));
        }
    }
}

#[test]
fn the_set_in_force_follows_the_validity_periods() {
    let reg = registry();
    let on = |y, m, d| {
        reg.in_force_on(NaiveDate::from_ymd_opt(y, m, d).unwrap())
            .map(BoundarySet::name)
    };
    assert_eq!(on(2020, 1, 31), None);
    assert_eq!(on(2020, 2, 1), Some("bac-kan-2020"));
    assert_eq!(on(2023, 6, 15), Some("bac-kan-2020"));
    assert_eq!(on(2025, 6, 30), Some("bac-kan-2020"));
    assert_eq!(on(2025, 7, 1), Some("thai-nguyen-2025"));
    assert_eq!(on(2040, 1, 1), Some("thai-nguyen-2025"));

    let at = |s: &str| {
        reg.in_force_at(s.parse::<DateTime<Utc>>().unwrap())
            .map(BoundarySet::name)
    };
    assert_eq!(at("2025-06-30T12:00:00Z"), Some("bac-kan-2020"));
    // Midnight of 1 July in Vietnam (UTC+7).
    assert_eq!(at("2025-06-30T16:59:59.999Z"), Some("bac-kan-2020"));
    assert_eq!(at("2025-06-30T17:00:00Z"), Some("thai-nguyen-2025"));
    assert_eq!(at("2020-01-31T16:59:59Z"), None);
    assert_eq!(at("2020-01-31T17:00:00Z"), Some("bac-kan-2020"));
}

#[test]
fn unknown_set_names_list_the_known_ones() {
    let err = registry().get("bac-kan-2019").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown boundary set `bac-kan-2019`; known sets: bac-kan-2020, thai-nguyen-2025"
    );
}

#[test]
fn locations_serialise_for_the_collector() {
    let row = &csv_rows("bac-kan-communes-2020.csv")[0];
    let (lat, lon) = inside_point(row);
    let json = serde_json::to_value(bac_kan().locate(lat, lon)).unwrap();
    assert_eq!(json["set"], "bac-kan-2020");
    assert_eq!(json["inside"], true);
    assert_eq!(json["code"], "01834");
    assert_eq!(json["name"], "Phường Nguyễn Thị Minh Khai");
    assert_eq!(
        json["district"],
        serde_json::json!({"code": "058", "name": "Thành phố Bắc Kạn"})
    );
    assert_eq!(
        json["province"],
        serde_json::json!({"code": "06", "name": "Tỉnh Bắc Kạn"})
    );
    assert!(json["edge_distance_m"].as_f64().unwrap() > 0.0);
    assert!(json["near_edge"].is_boolean());
    assert_eq!(json["near_edge_threshold_m"], 250.0);
    assert!(json["nearest"].is_null());

    let json = serde_json::to_value(thai_nguyen().locate(lat, lon)).unwrap();
    assert_eq!(json["set"], "thai-nguyen-2025");
    assert_eq!(json["code"], "01840");
    assert!(json["district"].is_null());
    assert_eq!(json["province"]["code"], "19");

    let json = serde_json::to_value(thai_nguyen().locate(21.0285, 105.8542)).unwrap();
    assert_eq!(json["inside"], false);
    assert!(json["code"].is_null() && json["district"].is_null() && json["province"].is_null());
    assert_eq!(json["near_edge"], false);
    assert!(json["nearest"]["code"].is_string());
    assert_eq!(json["nearest"]["distance_m"], json["edge_distance_m"]);
}

#[test]
fn invalid_positions_are_outside_with_no_nearest_commune() {
    for (lat, lon) in [
        (f64::NAN, 105.8),
        (22.1, f64::INFINITY),
        (91.0, 105.8),
        (22.1, -181.0),
    ] {
        let location = bac_kan().locate(lat, lon);
        assert!(location.commune.is_none() && location.nearest.is_none());
        assert!(!location.near_edge(NEAR_EDGE_M));
        let json = serde_json::to_value(location).unwrap();
        assert!(json["edge_distance_m"].is_null());
    }
}

#[test]
fn registry_and_sets_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<BoundaryRegistry>();
    assert_send_sync::<BoundarySet>();
}

#[test]
fn a_missing_directory_names_the_file() {
    let err = BoundaryRegistry::from_dir("/nonexistent/boundaries").unwrap_err();
    assert!(matches!(err, BoundaryError::Io { .. }));
    assert_eq!(
        err.to_string(),
        "cannot read boundary file /nonexistent/boundaries/bac-kan-communes-2020.geojson"
    );
}

#[cfg(feature = "embedded")]
#[test]
fn embedded_files_are_those_of_the_data_directory() {
    let embedded = BoundaryRegistry::embedded().unwrap();
    for (a, b) in embedded.sets().iter().zip(registry().sets()) {
        assert_eq!(a.name(), b.name());
        assert_eq!(a.sha256(), b.sha256());
    }
}

/// A one-feature FeatureCollection in the 2020 scheme with `properties` and `geometry` given.
fn collection(properties: &str, geometry: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{properties},"geometry":{geometry}}}]}}"#
    )
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[105.0,22.0],[105.1,22.0],[105.1,22.1],[105.0,22.1],[105.0,22.0]]]}"#;

fn props(code: &str, district_code: &str) -> String {
    format!(
        r#"{{"commune_code":"{code}","commune_name":"Xã A","commune_type":"Xã","district_code":"{district_code}","district_name":"Huyện B","province_code":"06","province_name":"Tỉnh Bắc Kạn","area_km2":1.5}}"#
    )
}

fn parse_2020(geojson: &str) -> Result<BoundarySet, BoundaryError> {
    BoundarySet::from_geojson(SetInfo::BAC_KAN_2020, geojson.as_bytes())
}

#[test]
fn a_hand_made_square_works() {
    let set = parse_2020(&collection(&props("00001", "001"), SQUARE)).unwrap();
    assert_eq!(set.locate(22.05, 105.05).code(), Some("00001"));
    // 0.05° of longitude from the nearest edge at 22.05° N: ~5.15 km.
    let d = set.locate(22.05, 105.05).edge_distance_m;
    assert!((d - 5_153.1).abs() < 1.0, "{d}");
    let outside = set.locate(22.2, 105.05);
    assert_eq!(outside.nearest.map(|c| c.code.as_str()), Some("00001"));
    assert!(
        (outside.edge_distance_m - 11_119.5).abs() < 1.0,
        "{}",
        outside.edge_distance_m
    );
    // On the edge, and on a corner.
    assert_eq!(set.locate(22.0, 105.05).code(), Some("00001"));
    assert_eq!(set.locate(22.1, 105.1).code(), Some("00001"));
}

#[test]
fn bad_geojson_errors_name_the_problem() {
    let err = parse_2020("{not json").unwrap_err();
    assert!(matches!(err, BoundaryError::Json { .. }));
    assert_eq!(
        err.to_string(),
        "bac-kan-communes-2020.geojson (set bac-kan-2020): not a GeoJSON FeatureCollection"
    );

    let err = parse_2020(r#"{"type":"FeatureCollection","features":[]}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bac-kan-communes-2020.geojson (set bac-kan-2020): no features"
    );

    let no_code = props("00001", "001").replace(r#""commune_code":"00001","#, "");
    let err = parse_2020(&collection(&no_code, SQUARE)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bac-kan-communes-2020.geojson (set bac-kan-2020), feature 0: missing property `commune_code`"
    );

    let no_name = props("00001", "001").replace(r#""commune_name":"Xã A","#, "");
    let err = parse_2020(&collection(&no_name, SQUARE)).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("feature 0 (commune 00001): missing property `commune_name`"),
        "{err}"
    );

    let numeric = props("00001", "001").replace(r#""province_code":"06""#, r#""province_code":6"#);
    let err = parse_2020(&collection(&numeric, SQUARE)).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("property `province_code` must be a string, found 6"),
        "{err}"
    );

    let err = parse_2020(&collection(&props("00001", ""), SQUARE)).unwrap_err();
    assert!(
        err.to_string().ends_with("property `district_code` is missing or empty, but set bac-kan-2020 has a district level"),
        "{err}"
    );
    let err = BoundarySet::from_geojson(
        SetInfo::THAI_NGUYEN_2025,
        collection(&props("00001", "001"), SQUARE).as_bytes(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("has no district level"), "{err}");

    let err = parse_2020(&collection(
        &props("00001", "001"),
        r#"{"type":"Point","coordinates":[105.0,22.0]}"#,
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bac-kan-communes-2020.geojson (set bac-kan-2020), feature 0 (commune 00001): \
         geometry is a Point, expected a Polygon or MultiPolygon"
    );

    let err = parse_2020(&collection(&props("00001", "001"), "null")).unwrap_err();
    assert!(
        err.to_string().ends_with("(commune 00001): no geometry"),
        "{err}"
    );

    let far = SQUARE.replace("[105.1,22.1]", "[205.1,22.1]");
    let err = parse_2020(&collection(&props("00001", "001"), &far)).unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid geometry: polygon 0 ring 0 has position [205.1, 22.1]"),
        "{err}"
    );

    let line = r#"{"type":"Polygon","coordinates":[[[105.0,22.0],[105.1,22.0],[105.0,22.0]]]}"#;
    let err = parse_2020(&collection(&props("00001", "001"), line)).unwrap_err();
    assert!(err.to_string().contains("ring 0 has 3 positions"), "{err}");

    let feature = |code: &str| {
        format!(
            r#"{{"type":"Feature","properties":{},"geometry":{SQUARE}}}"#,
            props(code, "001")
        )
    };
    let twice = format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
        feature("00002"),
        feature("00001"),
        feature("00002")
    );
    let renamed = twice.replacen(
        r#""district_name":"Huyện B""#,
        r#""district_name":"Huyện C""#,
        1,
    );
    let renamed = renamed.replacen(r#""commune_code":"00002""#, r#""commune_code":"00003""#, 1);
    let err = parse_2020(&renamed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bac-kan-communes-2020.geojson (set bac-kan-2020), feature 1 (commune 00001): \
         property `district_name` is `Huyện B`, but feature 0 names district 001 `Huyện C`"
    );

    let err = parse_2020(&twice).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bac-kan-communes-2020.geojson (set bac-kan-2020), feature 2 (commune 00002): \
         commune code appears twice (also feature 0)"
    );
}

/// The error for a one-feature 2020 collection of commune 00001 with this geometry.
fn geometry_error(geometry: &str) -> String {
    parse_2020(&collection(&props("00001", "001"), geometry))
        .unwrap_err()
        .to_string()
}

#[test]
fn broken_geometries_are_refused_with_the_file_feature_and_ring() {
    let at = "bac-kan-communes-2020.geojson (set bac-kan-2020), feature 0 (commune 00001): \
              invalid geometry: ";
    let open = r#"{"type":"Polygon","coordinates":[[[105.0,22.0],[105.1,22.0],[105.1,22.1],[105.0,22.1]]]}"#;
    assert_eq!(
        geometry_error(open),
        format!(
            "{at}polygon 0 ring 0 is not closed: it starts at [105.0, 22.0] and ends at [105.0, 22.1]"
        )
    );
    let open_hole = r#"{"type":"MultiPolygon","coordinates":[[[[105.0,22.0],[105.1,22.0],[105.1,22.1],[105.0,22.0]]],[[[106.0,22.0],[106.1,22.0],[106.1,22.1],[106.0,22.0]],[[106.05,22.01],[106.06,22.01],[106.06,22.02]]]]}"#;
    assert!(
        geometry_error(open_hole).starts_with(&format!("{at}polygon 1 ring 1 is not closed")),
        "{}",
        geometry_error(open_hole)
    );

    // A bow tie: the ring crosses itself.
    let bow_tie = r#"{"type":"Polygon","coordinates":[[[105.0,22.0],[105.1,22.1],[105.1,22.0],[105.0,22.1],[105.0,22.0]]]}"#;
    assert_eq!(
        geometry_error(bow_tie),
        format!(
            "{at}polygon 0 ring 0 crosses itself: its edges 0 (from [105, 22]) and 2 (from \
             [105.1, 22]) meet"
        )
    );
    // A hole outside its polygon.
    let stray_hole = r#"{"type":"Polygon","coordinates":[[[105.0,22.0],[105.1,22.0],[105.1,22.1],[105.0,22.1],[105.0,22.0]],[[105.2,22.2],[105.3,22.2],[105.3,22.3],[105.2,22.2]]]}"#;
    assert!(
        geometry_error(stray_hole).contains("interior ring at index 0 is not contained"),
        "{}",
        geometry_error(stray_hole)
    );
    // Two members of a MultiPolygon that overlap.
    let overlap = r#"{"type":"MultiPolygon","coordinates":[[[[105.0,22.0],[105.1,22.0],[105.1,22.1],[105.0,22.1],[105.0,22.0]]],[[[105.05,22.0],[105.15,22.0],[105.15,22.1],[105.05,22.1],[105.05,22.0]]]]}"#;
    assert_eq!(
        geometry_error(overlap),
        format!("{at}not a valid polygon: polygons at indices 0 and 1 overlap")
    );
    // Three distinct positions, closed with a repeat: no area.
    let flat = r#"{"type":"Polygon","coordinates":[[[105.0,22.0],[105.1,22.0],[105.1,22.0],[105.0,22.0]]]}"#;
    assert!(
        geometry_error(flat).contains("polygon 0 ring 0 has fewer than 3 distinct positions"),
        "{}",
        geometry_error(flat)
    );
    // Non-finite coordinates cannot be written in JSON; out of range ones are refused above.
    let huge = SQUARE.replace("[105.1,22.1]", "[105.1,1e999]");
    let err = parse_2020(&collection(&props("00001", "001"), &huge)).unwrap_err();
    assert!(matches!(err, BoundaryError::Json { .. }), "{err}");

    // The real sets pass every check (they load in `registry()`); a broken feature among good
    // ones is named by its index and code.
    let good = |code: &str| {
        format!(
            r#"{{"type":"Feature","properties":{},"geometry":{SQUARE}}}"#,
            props(code, "001")
        )
    };
    let bad = format!(
        r#"{{"type":"Feature","properties":{},"geometry":{bow_tie}}}"#,
        props("00007", "001")
    );
    let err = parse_2020(&format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{bad}]}}"#,
        good("00001"),
        good("00002")
    ))
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "bac-kan-communes-2020.geojson (set bac-kan-2020), feature 2 (commune 00007): invalid geometry"
        ),
        "{err}"
    );
    assert!(matches!(
        err,
        BoundaryError::BadGeometry {
            at: FeatureAt { index: 2, .. },
            ..
        }
    ));
}

#[test]
fn a_mapping_that_disagrees_with_the_sets_is_rejected() {
    let read = |name: &str| std::fs::read(data_dir().join(name)).unwrap();
    let (old, new) = (
        read("bac-kan-communes-2020.geojson"),
        read("thai-nguyen-communes-2025.geojson"),
    );
    let mapping = String::from_utf8(read(MAPPING_2020_TO_2025_FILE)).unwrap();

    // 01834 belongs to 01840; claim it belongs to 01843.
    let wrong = mapping.replacen(
        "01834,Phường Nguyễn Thị Minh Khai,058,Thành phố Bắc Kạn,06,01840",
        "01834,Phường Nguyễn Thị Minh Khai,058,Thành phố Bắc Kạn,06,01843",
        1,
    );
    assert_ne!(wrong, mapping);
    let err = BoundaryRegistry::parse(&old, &new, wrong.as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("bac-kan-2020-to-2025.csv: line 2: maps 01834 to 01843"),
        "{err}"
    );

    let short: String = mapping.lines().take(50).map(|l| format!("{l}\n")).collect();
    let err = BoundaryRegistry::parse(&old, &new, short.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("no row for bac-kan-2020 commune"),
        "{err}"
    );

    let err = BoundaryRegistry::parse(&old, &new, b"a,b\n1,2\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bac-kan-2020-to-2025.csv: line 1: no column `old_code`"
    );
}

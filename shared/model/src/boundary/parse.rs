//! GeoJSON → [`Commune`]s: reads the properties by name, converts the geometry with the
//! `geojson` crate's `geo-types` conversion, and checks what lookup relies on (every commune
//! has a code, a name, a province and a non-empty area; codes are unique; a set with a district
//! level gives every commune a district; rings are closed, with at least 4 positions, finite and
//! in range; every polygon is valid in the OGC sense, as geo's `Validation` checks it: no
//! self-intersection, holes inside their polygon, MultiPolygon members that do not overlap).

use std::collections::BTreeMap;

use geo::{MultiPolygon, Polygon};
use geojson::{Feature, FeatureCollection, GeometryValue, JsonObject, JsonValue, Position};

use super::{BoundaryError, Commune, District, FeatureAt, Province, SetInfo};
use crate::geo::LatLon;

/// Parses the communes of one set, sorted by code.
pub(super) fn parse_communes(
    info: &SetInfo,
    geojson: &[u8],
) -> Result<Vec<Commune>, BoundaryError> {
    let collection: FeatureCollection =
        serde_json::from_slice(geojson).map_err(|source| BoundaryError::Json {
            set: info.name.to_string(),
            file: info.file.to_string(),
            source,
        })?;
    if collection.features.is_empty() {
        return Err(BoundaryError::Empty {
            set: info.name.to_string(),
            file: info.file.to_string(),
        });
    }
    let mut communes = collection
        .features
        .iter()
        .enumerate()
        .map(|(index, feature)| parse_feature(info, index, feature).map(|c| (c, index)))
        .collect::<Result<Vec<_>, _>>()?;
    communes.sort_by(|a, b| a.0.code.cmp(&b.0.code).then(a.1.cmp(&b.1)));
    if let Some(pair) = communes.windows(2).find(|w| w[0].0.code == w[1].0.code) {
        return Err(BoundaryError::DuplicateCode {
            at: FeatureAt {
                set: info.name.to_string(),
                file: info.file.to_string(),
                index: pair[1].1,
                code: Some(pair[1].0.code.clone()),
            },
            first: pair[0].1,
        });
    }
    check_district_names(info, &communes)?;
    Ok(communes.into_iter().map(|(c, _)| c).collect())
}

/// A district code must carry the same name in every feature, or districts would be listed
/// under whichever name came first.
fn check_district_names(
    info: &SetInfo,
    communes: &[(Commune, usize)],
) -> Result<(), BoundaryError> {
    let mut in_file_order: Vec<&(Commune, usize)> = communes.iter().collect();
    in_file_order.sort_by_key(|(_, index)| *index);
    let mut first: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for (commune, index) in in_file_order {
        let Some(district) = &commune.district else {
            continue;
        };
        let (name, first_index) = *first
            .entry(&district.code)
            .or_insert((&district.name, *index));
        if name != district.name {
            return Err(BoundaryError::BadProperty {
                at: FeatureAt {
                    set: info.name.to_string(),
                    file: info.file.to_string(),
                    index: *index,
                    code: Some(commune.code.clone()),
                },
                property: "district_name",
                problem: format!(
                    "is `{}`, but feature {first_index} names district {} `{name}`",
                    district.name, district.code
                ),
            });
        }
    }
    Ok(())
}

/// Reads one feature.
fn parse_feature(
    info: &SetInfo,
    index: usize,
    feature: &Feature,
) -> Result<Commune, BoundaryError> {
    let mut at = FeatureAt {
        set: info.name.to_string(),
        file: info.file.to_string(),
        index,
        code: None,
    };
    let empty = JsonObject::new();
    let props = Props {
        map: feature.properties.as_ref().unwrap_or(&empty),
    };
    let code = props.required(&at, "commune_code")?;
    at.code = Some(code.to_owned());

    let district = match props.optional(&at, "district_code")? {
        Some(code) => Some(District {
            code: code.to_owned(),
            name: props.required(&at, "district_name")?.to_owned(),
        }),
        None => None,
    };
    match (&district, info.has_districts) {
        (None, true) => {
            return Err(BoundaryError::BadProperty {
                at,
                property: "district_code",
                problem: format!(
                    "is missing or empty, but set {} has a district level",
                    info.name
                ),
            });
        }
        (Some(d), false) => {
            return Err(BoundaryError::BadProperty {
                at,
                property: "district_code",
                problem: format!(
                    "is `{}`, but set {} has no district level",
                    d.code, info.name
                ),
            });
        }
        _ => {}
    }

    let area_km2 = match props.map.get("area_km2") {
        None | Some(JsonValue::Null) => {
            return Err(BoundaryError::MissingProperty {
                at,
                property: "area_km2",
            });
        }
        Some(value) => match value.as_f64() {
            Some(area) if area.is_finite() && area >= 0.0 => area,
            _ => {
                return Err(BoundaryError::BadProperty {
                    at,
                    property: "area_km2",
                    problem: format!("must be a non-negative number, found {value}"),
                });
            }
        },
    };

    let codes_2020 = props
        .optional(&at, "codes_2020")?
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();

    Ok(Commune {
        code: code.to_owned(),
        name: props.required(&at, "commune_name")?.to_owned(),
        commune_type: props.required(&at, "commune_type")?.to_owned(),
        district,
        province: Province {
            code: props.required(&at, "province_code")?.to_owned(),
            name: props.required(&at, "province_name")?.to_owned(),
        },
        former_province: props.optional(&at, "former_province")?.map(str::to_owned),
        code_2025: props.optional(&at, "code_2025")?.map(str::to_owned),
        name_2025: props.optional(&at, "name_2025")?.map(str::to_owned),
        codes_2020,
        area_km2,
        geometry: parse_geometry(&at, feature)?,
    })
}

/// The feature's Polygon or MultiPolygon, checked to be usable for lookup.
fn parse_geometry(at: &FeatureAt, feature: &Feature) -> Result<MultiPolygon<f64>, BoundaryError> {
    let Some(geometry) = &feature.geometry else {
        return Err(BoundaryError::MissingGeometry { at: at.clone() });
    };
    let converted = match &geometry.value {
        GeometryValue::Polygon { .. } => {
            Polygon::<f64>::try_from(&geometry.value).map(|p| MultiPolygon(vec![p]))
        }
        GeometryValue::MultiPolygon { .. } => MultiPolygon::<f64>::try_from(&geometry.value),
        other => {
            return Err(BoundaryError::NotPolygon {
                at: at.clone(),
                found: other.type_name(),
            });
        }
    };
    let bad = |problem: String| BoundaryError::BadGeometry {
        at: at.clone(),
        problem,
    };
    // geo closes open rings silently on conversion; RFC 7946 requires the file to close them.
    let polygons: Vec<&Vec<Vec<Position>>> = match &geometry.value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        _ => Vec::new(),
    };
    for (p, rings) in polygons.iter().enumerate() {
        for (r, ring) in rings.iter().enumerate() {
            if let (Some(first), Some(last)) = (ring.first(), ring.last())
                && ring.len() > 1
                && first != last
            {
                return Err(bad(format!(
                    "polygon {p} ring {r} is not closed: it starts at {:?} and ends at \
                     {:?}",
                    first.as_slice(),
                    last.as_slice()
                )));
            }
        }
    }
    let multi = converted.map_err(|e| bad(e.to_string()))?;
    if multi.0.is_empty() {
        return Err(bad("MultiPolygon without polygons".to_owned()));
    }
    for (p, polygon) in multi.iter().enumerate() {
        let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
        for (r, ring) in rings.enumerate() {
            // geo closes rings on construction, so 4 positions = a triangle.
            if ring.0.len() < 4 {
                return Err(bad(format!(
                    "polygon {p} ring {r} has {} positions, a ring needs at least 4",
                    ring.0.len()
                )));
            }
            // GeoJSON positions are [lon, lat].
            if let Some(c) = ring.0.iter().find(|c| !LatLon::is_valid(c.y, c.x)) {
                return Err(bad(format!(
                    "polygon {p} ring {r} has position [{}, {}] outside lon -180..180 / lat -90..90",
                    c.x, c.y
                )));
            }
        }
    }
    // Self-intersections, holes outside their polygon or crossing each other, members of a
    // MultiPolygon that overlap: lookup counts edge crossings, which is only meaningful for a
    // valid polygon.
    super::valid::check(&multi).map_err(bad)?;
    Ok(multi)
}

/// A feature's properties, read as strings with errors that name the property.
struct Props<'a> {
    map: &'a JsonObject,
}

impl<'a> Props<'a> {
    /// A non-empty string property.
    fn required(&self, at: &FeatureAt, key: &'static str) -> Result<&'a str, BoundaryError> {
        match self.optional(at, key)? {
            Some(value) => Ok(value),
            None if matches!(self.map.get(key), None | Some(JsonValue::Null)) => {
                Err(BoundaryError::MissingProperty {
                    at: at.clone(),
                    property: key,
                })
            }
            None => Err(BoundaryError::BadProperty {
                at: at.clone(),
                property: key,
                problem: "is empty".to_owned(),
            }),
        }
    }

    /// A string property that may be absent, null or empty (all read as `None`).
    fn optional(
        &self,
        at: &FeatureAt,
        key: &'static str,
    ) -> Result<Option<&'a str>, BoundaryError> {
        match self.map.get(key) {
            None | Some(JsonValue::Null) => Ok(None),
            Some(JsonValue::String(s)) if s.trim().is_empty() => Ok(None),
            Some(JsonValue::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(BoundaryError::BadProperty {
                at: at.clone(),
                property: key,
                problem: format!("must be a string, found {other}"),
            }),
        }
    }
}

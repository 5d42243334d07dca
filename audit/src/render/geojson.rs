//! The report as GeoJSON for QGIS: a FeatureCollection of the set's communes with their full
//! boundary geometry and, as flat properties, their verdicts and figures.
//!
//! Invariants: one Feature per commune of the set, in code order, with `id` its code; machine
//! values (`covered`, `no_site`) in `mobile`, `mobile_<MCC-MNC>` and `fibre`, the words of the
//! chosen language beside them in `*_label`, so a style can key on the former and a label show
//! the latter; properties are flat (strings and numbers only, lists joined with `; `) because
//! QGIS shows nested values as raw JSON. `reasons` (and `reasons_<MCC-MNC>`) are the
//! sentences of [`crate::report::explain`] behind each verdict, joined with `; `. Coordinates
//! are WGS84 lon/lat as the boundary file has them (RFC 7946). Pure and deterministic: keys
//! are sorted (serde_json's ordered map).

use std::collections::BTreeMap;

use coverage_shared::boundary::BoundarySet;
use coverage_shared::text::{self, Lang};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, JsonValue};

use super::html::{fibre_label, in_language, mobile_label};
use crate::fibre::FibreVerdict;
use crate::report::{CommuneReport, Report};
use crate::verdict::MobileVerdict;

/// The set's communes with the report's verdicts, as one GeoJSON FeatureCollection (a single
/// line of JSON and a final newline).
pub fn render(report: &Report, set: &BoundarySet, lang: Lang) -> String {
    let report = &in_language(report, lang);
    let t = text::catalogue(lang);
    let by_code: BTreeMap<&str, &CommuneReport> = report
        .communes
        .iter()
        .map(|c| (c.code.as_str(), c))
        .collect();
    let features = set.communes().iter().map(|commune| {
        let c = by_code.get(commune.code.as_str()).copied();
        let mut p = JsonObject::new();
        let mut put = |k: &str, v: JsonValue| {
            p.insert(k.to_owned(), v);
        };
        put("boundary_set", report.boundary_set.clone().into());
        put("code", commune.code.clone().into());
        put("name", commune.name.clone().into());
        put("commune_type", commune.commune_type.clone().into());
        put("province", commune.province.name.clone().into());
        put(
            "district",
            commune
                .district
                .as_ref()
                .map_or(JsonValue::Null, |d| d.code.clone().into()),
        );
        put(
            "district_name",
            commune
                .district
                .as_ref()
                .map_or(JsonValue::Null, |d| d.name.clone().into()),
        );
        put(
            "former_province",
            commune
                .former_province
                .clone()
                .map_or(JsonValue::Null, JsonValue::from),
        );
        put("area_km2", commune.area_km2.into());
        let mobile = c.map_or(MobileVerdict::NoSite, |c| c.mobile);
        put("mobile", mobile.as_str().into());
        put("mobile_label", mobile_label(t, mobile).into());
        for op in &report.operators {
            let v = c
                .and_then(|c| c.mobile_by_operator.get(op))
                .copied()
                .unwrap_or(MobileVerdict::NoSite);
            put(&format!("mobile_{op}"), v.as_str().into());
            put(&format!("mobile_{op}_label"), mobile_label(t, v).into());
            let reasons = c.and_then(|c| c.reasons.by_operator.get(op));
            put(
                &format!("reasons_{op}"),
                reasons.map_or_else(String::new, |r| r.join("; ")).into(),
            );
        }
        // Why: the sentences behind the `any` verdict, and the excluded samples.
        put(
            "reasons",
            c.map_or_else(String::new, |c| c.reasons.any.join("; "))
                .into(),
        );
        put(
            "excluded",
            c.and_then(|c| c.reasons.excluded.clone())
                .map_or(JsonValue::Null, JsonValue::from),
        );
        put(
            "usable_share",
            c.and_then(|c| c.usable_share)
                .map_or(JsonValue::Null, JsonValue::from),
        );
        let decided = c.and_then(|c| c.decided_by.as_ref());
        put(
            "decided_by_operator",
            decided.map_or(JsonValue::Null, |d| d.operator.clone().into()),
        );
        put(
            "decided_by_site",
            decided.map_or(JsonValue::Null, |d| d.site.clone().into()),
        );
        let fibre = c.map_or(FibreVerdict::NoSite, |c| c.fibre);
        put("fibre", fibre.as_str().into());
        put("fibre_label", fibre_label(t, fibre).into());
        let windows = c.map(|c| c.fibre_windows);
        put("fibre_windows_up", windows.map_or(0, |w| w.up).into());
        put("fibre_windows_known", windows.map_or(0, |w| w.known).into());
        put("fibre_windows_total", windows.map_or(0, |w| w.total).into());
        let speed = c.map_or(crate::speed::SpeedVerdict::NoSite, |c| c.speed);
        put("fibre_speed", speed.as_str().into());
        put(
            "fibre_speed_label",
            crate::report::explain::speed_word(speed, t).into(),
        );
        let sites = c.map_or(&[][..], |c| c.sites.as_slice());
        put("sites", sites.join("; ").into());
        put("site_count", sites.len().into());
        put("samples", c.map_or(0, |c| c.samples).into());
        put("counted", c.map_or(0, |c| c.counted).into());
        Feature {
            bbox: None,
            geometry: Some(Geometry::new(GeometryValue::from(&commune.geometry))),
            id: Some(geojson::feature::Id::String(commune.code.clone())),
            properties: Some(p),
            foreign_members: None,
        }
    });
    let mut fc = FeatureCollection::new(features);
    let mut meta = JsonObject::new();
    meta.insert("boundary_set".into(), report.boundary_set.clone().into());
    meta.insert("from".into(), report.from.clone().into());
    meta.insert("to".into(), report.to.clone().into());
    meta.insert("lang".into(), lang.code().into());
    fc.foreign_members = Some(meta);
    let mut out = fc.to_string();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::html::tests::report;
    use crate::test_registry;

    #[test]
    fn one_feature_per_commune_with_full_geometry_and_verdicts() {
        let registry = test_registry();
        let set = registry.get("bac-kan-2020").unwrap();
        let r = report("bac-kan-2020");
        let text = render(&r, set, Lang::Vi);
        assert!(text.ends_with("}\n"));
        let fc: FeatureCollection = text
            .parse::<geojson::GeoJson>()
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(fc.features.len(), 108);
        let meta = fc.foreign_members.as_ref().unwrap();
        assert_eq!(meta["boundary_set"], "bac-kan-2020");
        assert_eq!(meta["lang"], "vi");
        for (f, commune) in fc.features.iter().zip(set.communes()) {
            assert_eq!(
                f.id,
                Some(geojson::feature::Id::String(commune.code.clone()))
            );
            // Full geometry: the very polygons of the boundary file.
            let g: geo::MultiPolygon<f64> = f.geometry.as_ref().unwrap().try_into().unwrap();
            assert_eq!(g, commune.geometry, "{}", commune.code);
            let p = f.properties.as_ref().unwrap();
            assert_eq!(p["name"], commune.name.as_str());
            assert_eq!(
                p["district"],
                commune.district.as_ref().unwrap().code.as_str()
            );
            // Flat values only, for QGIS.
            assert!(p.values().all(|v| !v.is_object() && !v.is_array()));
        }
        let p = fc.features[0].properties.as_ref().unwrap();
        assert_eq!(p["mobile"], "covered");
        assert_eq!(p["mobile_label"], "Đạt (có phủ sóng)");
        assert_eq!(p["mobile_452-04"], "covered");
        assert_eq!(p["fibre"], "connected");
        assert_eq!(p["sites"], "bk-cov");
        assert_eq!(p["site_count"], 1);
        let p = fc.features[1].properties.as_ref().unwrap();
        assert_eq!(p["mobile"], "not_covered");
        assert_eq!(p["fibre_label"], "Chưa có điểm đo");
        // The reasons, in the language asked for, though the report was localised in English.
        let no_site = &fc.features[50].properties.as_ref().unwrap();
        assert_eq!(no_site["mobile"], "no_site");
        assert_eq!(
            no_site["reasons"],
            text::catalogue(Lang::Vi).report.reason_no_site
        );
        assert_eq!(text, render(&r, set, Lang::Vi), "deterministic");
    }

    #[test]
    fn the_2025_set_has_no_district_but_a_former_province() {
        let registry = test_registry();
        let set = registry.get("thai-nguyen-2025").unwrap();
        let r = report("thai-nguyen-2025");
        let fc: FeatureCollection = render(&r, set, Lang::En)
            .parse::<geojson::GeoJson>()
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(fc.features.len(), 92);
        for f in &fc.features {
            let p = f.properties.as_ref().unwrap();
            assert!(p["district"].is_null());
            assert!(p["former_province"].is_string());
        }
    }
}

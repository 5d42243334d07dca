//! One CSV row per commune. Column headers are English identifiers (machine-readable); cells
//! that are words (verdicts, reasons, excluded samples) are in the report's language.

use super::cat;
use crate::report::Report;
use crate::report::explain::{fibre_word, mobile_word, speed_word};

/// One CSV row per commune, with a header; per-operator verdicts as `mobile_<operator>` and
/// their reasons as `reason_<operator>` columns.
pub fn csv(r: &Report) -> String {
    let cat = cat(r);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "boundary_set",
        "code",
        "name",
        "district",
        "district_name",
        "former_province",
        "sites",
        "mobile_sites",
        "fibre_sites",
        "samples",
        "counted",
        "usable",
        "usable_share",
        "decided_by_operator",
        "decided_by_site",
        "mobile",
        "reason",
        "excluded",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    header.extend(r.operators.iter().map(|op| format!("mobile_{op}")));
    header.extend(r.operators.iter().map(|op| format!("reason_{op}")));
    header.extend(
        [
            "fibre",
            "fibre_windows_up",
            "fibre_windows_known",
            "fibre_windows_total",
            "fibre_speed",
        ]
        .into_iter()
        .map(str::to_owned),
    );
    let _ = w.write_record(&header);
    for c in &r.communes {
        let mut row: Vec<String> = vec![
            r.boundary_set.clone(),
            c.code.clone(),
            c.name.clone(),
            c.district.clone().unwrap_or_default(),
            c.district_name.clone().unwrap_or_default(),
            c.former_province.clone().unwrap_or_default(),
            c.sites.join(";"),
            c.mobile_sites.join(";"),
            c.fibre_sites.join(";"),
            c.samples.to_string(),
            c.counted.to_string(),
            c.usable.to_string(),
            c.usable_share.map(|s| s.to_string()).unwrap_or_default(),
            c.decided_by
                .as_ref()
                .map(|d| d.operator.clone())
                .unwrap_or_default(),
            c.decided_by
                .as_ref()
                .map(|d| d.site.clone())
                .unwrap_or_default(),
            mobile_word(c.mobile, cat).to_owned(),
            c.reasons.any.join("; "),
            c.reasons.excluded.clone().unwrap_or_default(),
        ];
        for op in &r.operators {
            row.push(
                c.mobile_by_operator
                    .get(op)
                    .map_or("", |v| mobile_word(*v, cat))
                    .to_owned(),
            );
        }
        for op in &r.operators {
            row.push(
                c.reasons
                    .by_operator
                    .get(op)
                    .map(|v| v.join("; "))
                    .unwrap_or_default(),
            );
        }
        row.push(fibre_word(c.fibre, cat).to_owned());
        row.push(c.fibre_windows.up.to_string());
        row.push(c.fibre_windows.known.to_string());
        row.push(c.fibre_windows.total.to_string());
        row.push(speed_word(c.speed, cat).to_owned());
        let _ = w.write_record(&row);
    }
    // Writing to a Vec cannot fail.
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

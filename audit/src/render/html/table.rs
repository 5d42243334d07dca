//! The HTML report's commune table: one plain HTML row per commune of the report, in code
//! order, which the page's script can sort (click a heading) and filter (a text box).
//!
//! Invariants: complete and readable without JS (the filter box and its count are `hidden`
//! until the script shows them); a numeric cell carries its raw value in `data-sort` so the
//! script sorts numbers as numbers whatever the language's decimal mark; a verdict cell carries
//! its machine value in its class (`v-covered`) for the colour.

use std::fmt::Write as _;

use coverage_shared::text::{self, Catalogue, format};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::{fibre_label, mobile_label};
use crate::report::Report;
use crate::verdict::MobileVerdict;

/// Writes the commune section: heading, filter controls, table.
pub fn communes(o: &mut String, r: &Report, t: &Catalogue) {
    let h = &t.html;
    let total = r.communes.len() as u64;
    let _ = writeln!(
        o,
        "<section id=\"communes-section\">\n<h2>{}</h2>",
        esc(t.report.heading_communes)
    );
    let _ = writeln!(
        o,
        "<p class=\"controls\" id=\"table-controls\" hidden><label for=\"filter\">{}</label> \
         <input type=\"search\" id=\"filter\" placeholder=\"{}\" autocomplete=\"off\"> \
         <span id=\"rows-shown\" data-template=\"{}\" data-total=\"{}\"></span> \
         <span class=\"hint\">{}</span></p>",
        esc(h.filter),
        attr(h.filter_placeholder),
        attr(h.rows_shown),
        format::count(t.lang, total),
        esc(h.sort_hint),
    );
    // The 2025 set has no districts: show the former province in that column instead.
    let area_heading = if r.districts.is_empty() {
        h.col_former_province
    } else {
        t.report.label_district
    };
    let _ = write!(
        o,
        "<div class=\"table-wrap\">\n<table id=\"communes\">\n<thead><tr><th data-type=\"text\">{}</th><th data-type=\"text\">{}</th>\
         <th data-type=\"text\">{}</th><th data-type=\"text\">{}</th><th class=\"n\" data-type=\"num\">{}</th>\
         <th class=\"n\" data-type=\"num\">{}</th><th data-type=\"text\">{}</th>",
        esc(t.report.label_code),
        esc(t.report.label_commune),
        esc(area_heading),
        esc(t.report.label_sites),
        esc(t.report.label_counted),
        esc(t.report.label_usable_share),
        esc(h.col_mobile),
    );
    for op in &r.operators {
        let _ = write!(
            o,
            "<th data-type=\"text\">{}</th>",
            esc(&text::operators::label(op))
        );
    }
    let _ = writeln!(
        o,
        "<th data-type=\"text\">{}</th><th data-type=\"text\">{}</th></tr></thead>\n<tbody>",
        esc(t.report.label_fibre),
        esc(t.report.label_reason)
    );
    for c in &r.communes {
        let area = c
            .district_name
            .as_deref()
            .or(c.former_province.as_deref())
            .unwrap_or("");
        let share = match c.usable_share {
            Some(s) => format!(
                "<td class=\"n\" data-sort=\"{s}\">{}</td>",
                esc(&format::percent(t.lang, s, 1))
            ),
            None => "<td class=\"n\" data-sort=\"-1\">–</td>".to_owned(),
        };
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\" data-sort=\"{}\">{}</td>{share}\
             <td class=\"v v-{}\">{}</td>",
            esc(&c.code),
            esc(&c.name),
            esc(area),
            esc(&c.sites.join(", ")),
            c.counted,
            format::count(t.lang, c.counted),
            c.mobile.as_str(),
            esc(mobile_label(t, c.mobile)),
        );
        for op in &r.operators {
            let v = c
                .mobile_by_operator
                .get(op)
                .copied()
                .unwrap_or(MobileVerdict::NoSite);
            let _ = write!(
                o,
                "<td class=\"v v-{}\">{}</td>",
                v.as_str(),
                esc(mobile_label(t, v))
            );
        }
        let _ = write!(
            o,
            "<td class=\"v v-{}\">{}</td><td class=\"reason\">",
            c.fibre.as_str(),
            esc(fibre_label(t, c.fibre))
        );
        // The reasons behind the `any` verdict, then the excluded samples, one line each.
        let lines = c.reasons.any.iter().chain(&c.reasons.excluded);
        for (i, line) in lines.enumerate() {
            if i > 0 {
                o.push_str("<br>");
            }
            o.push_str(&esc(line));
        }
        o.push_str("</td></tr>\n");
    }
    o.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

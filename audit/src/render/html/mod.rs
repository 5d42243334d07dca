//! The HTML report: one self-contained page (inline CSS, SVG and a little vanilla JS; no
//! request of any kind, so it works offline and from a USB stick) with the claims and their
//! verdicts, a choropleth map of the set's communes ([`map`]), and a sortable, filterable
//! commune table ([`table`]). It prints on A4 (`@media print` in `style.css`).
//!
//! Invariants: every piece of data (commune, district and site names, claims, paths) is escaped
//! with `html-escape` before it reaches the page; every word comes from
//! [`coverage_shared::text`] in the chosen language; without JS the page is complete (the table
//! is plain HTML, the map coloured by the `any` mobile verdict) and the controls that need JS
//! stay hidden. Pure: the same report, set and language give the same bytes.

pub mod map;
pub mod table;

use std::borrow::Cow;
use std::fmt::Write as _;

use coverage_shared::boundary::BoundarySet;
use coverage_shared::text::{self, Catalogue, Lang, format};
use html_escape::encode_text as esc;

use crate::claim::ClaimVerdict;
use crate::fibre::FibreVerdict;
use crate::report::{Report, SiteFlag, explain};
use crate::source::SourceInfo;
use crate::verdict::MobileVerdict;

/// The page's style sheet (screen and print).
pub const STYLE: &str = include_str!("style.css");
/// The page's script: map colouring selector, table filter and sort.
const SCRIPT: &str = include_str!("script.js");

/// The report as one self-contained HTML page in `lang`, its map drawn from `set` (the set the
/// report audited).
pub fn render(report: &Report, set: &BoundarySet, lang: Lang) -> String {
    let report = &in_language(report, lang);
    let t = text::catalogue(lang);
    let mut o = String::with_capacity(1024 * 1024);
    let title = &report.words.title;
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        lang.code(),
        esc(title)
    );
    header(&mut o, report, t);
    claims(&mut o, report, t);
    map_section(&mut o, report, set, t);
    table::communes(&mut o, report, t);
    flagged(&mut o, report, t);
    thresholds(&mut o, report, t);
    provenance(&mut o, report, t);
    let _ = write!(o, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n");
    o
}

/// `report` with its sentences (reasons, claim explanations, period) in `lang`: as it is when
/// it was localised in `lang` already (what `run_audit` does with `--lang`), else localised anew.
pub fn in_language(report: &Report, lang: Lang) -> Cow<'_, Report> {
    if report.lang == lang && !report.words.title.is_empty() {
        Cow::Borrowed(report)
    } else {
        Cow::Owned(explain::localised(report.clone(), lang))
    }
}

/// The word for a mobile verdict.
pub fn mobile_label(t: &Catalogue, v: MobileVerdict) -> &'static str {
    match v {
        MobileVerdict::Covered => t.report.verdict_covered,
        MobileVerdict::NotCovered => t.report.verdict_not_covered,
        MobileVerdict::InsufficientData => t.report.verdict_insufficient_data,
        MobileVerdict::NoSite => t.report.verdict_no_site,
    }
}

/// The word for a fibre verdict.
pub fn fibre_label(t: &Catalogue, v: FibreVerdict) -> &'static str {
    match v {
        FibreVerdict::Connected => t.report.verdict_connected,
        FibreVerdict::NotConnected => t.report.verdict_not_connected,
        FibreVerdict::InsufficientData => t.report.verdict_insufficient_data,
        FibreVerdict::NoSite => t.report.verdict_no_site,
    }
}

/// The word for a claim verdict.
pub fn claim_label(t: &Catalogue, v: ClaimVerdict) -> &'static str {
    match v {
        ClaimVerdict::Verified => t.report.claim_verified,
        ClaimVerdict::Refuted => t.report.claim_refuted,
        ClaimVerdict::Unproven => t.report.claim_unproven,
    }
}

/// The words for a site flag.
pub fn flag_label(t: &Catalogue, f: SiteFlag) -> &'static str {
    match f {
        SiteFlag::Outside => t.html.flag_outside,
        SiteFlag::NearEdge => t.html.flag_near_edge,
        SiteFlag::ConfiguredElsewhere => t.html.flag_configured_elsewhere,
        SiteFlag::NoPosition => t.html.flag_no_position,
        SiteFlag::NoData => t.html.flag_no_data,
    }
}

/// A percentage already in percent (`86.11` -> `86.11 %`, `86,11 %` in Vietnamese).
fn pct(t: &Catalogue, value: f64) -> String {
    format!("{}\u{a0}%", format::decimal(t.lang, value, 2))
}

/// Title, set, period and the province's figures.
fn header(o: &mut String, r: &Report, t: &Catalogue) {
    let p = &r.province;
    let n = |x: u64| format::count(t.lang, x);
    let provinces: Vec<&str> = p.provinces.values().map(String::as_str).collect();
    let _ = writeln!(
        o,
        "<header>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>",
        esc(t.report.title),
        esc(&provinces.join(", ")),
    );
    if let Some(provisional) = &r.words.provisional {
        let _ = writeln!(
            o,
            "<p class=\"provisional\"><strong>{}</strong>. {}</p>",
            esc(provisional),
            esc(&r.words.thresholds_note)
        );
    }
    let _ = writeln!(
        o,
        "<ul class=\"facts\">\n<li>{}: {}</li>\n<li>{}: {}</li>",
        esc(t.report.label_set),
        esc(&r.boundary_set),
        esc(t.report.label_period),
        esc(&r.words.period),
    );
    let _ = writeln!(
        o,
        "<li>{}</li>",
        esc(&text::fill(
            t.html.summary_mobile,
            &[("covered", &n(p.mobile.covered)), ("total", &n(p.communes))]
        ))
    );
    let (level, tally, total) = if p.districts > 0 {
        (t.html.level_districts, &p.fibre_districts, p.districts)
    } else {
        (t.html.level_communes, &p.fibre_communes, p.communes)
    };
    let _ = writeln!(
        o,
        "<li>{}</li>",
        esc(&text::fill(
            t.html.summary_fibre,
            &[
                ("level", &level),
                ("connected", &n(tally.connected)),
                ("total", &n(total))
            ]
        ))
    );
    let _ = writeln!(
        o,
        "<li>{}</li>\n</ul>\n</header>",
        esc(&text::fill(
            t.html.summary_sites,
            &[
                ("sites", &n(p.sites)),
                ("placed", &n(p.sites_placed)),
                ("flagged", &n(p.sites_flagged))
            ]
        ))
    );
}

/// The claims with their verdicts and bounds.
fn claims(o: &mut String, r: &Report, t: &Catalogue) {
    let _ = writeln!(
        o,
        "<section id=\"claims\">\n<h2>{}</h2>",
        esc(t.report.heading_claims)
    );
    if r.claims.is_empty() {
        let _ = writeln!(o, "<p>{}</p>\n</section>", esc(t.report.no_claim));
        return;
    }
    let _ = writeln!(
        o,
        "<table class=\"claims\">\n<thead><tr><th>{}</th><th>{}</th><th class=\"n\">{}</th>\
         <th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>\
         <th class=\"n\">{}</th></tr></thead>\n<tbody>",
        esc(t.report.label_claim),
        esc(t.report.label_verdict),
        esc(t.report.label_lower),
        esc(t.report.label_upper),
        esc(t.report.label_shown),
        esc(t.report.label_not_shown),
        esc(t.report.label_unknown),
        esc(t.report.label_areas),
    );
    let n = |x: u64| format::count(t.lang, x);
    for c in &r.claims {
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code></td><td><span class=\"badge k-{}\">{}</span></td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&c.claim),
            c.verdict.as_str(),
            esc(claim_label(t, c.verdict)),
            esc(&pct(t, c.lower)),
            esc(&pct(t, c.upper)),
            n(c.shown),
            n(c.not_shown),
            n(c.unknown),
            n(c.total),
        );
        // The sentence under its claim, across the row: it is long, and it is the answer.
        let _ = writeln!(
            o,
            "<tr class=\"explanation\"><td colspan=\"8\"><span class=\"lbl\">{}:</span> {}</td></tr>",
            esc(t.html.col_explanation),
            esc(&c.explanation)
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

/// The map, its colouring selector and its legend.
fn map_section(o: &mut String, r: &Report, set: &BoundarySet, t: &Catalogue) {
    let h = &t.html;
    let _ = writeln!(o, "<section id=\"map-section\">\n<h2>{}</h2>", esc(h.map));
    // Hidden until the script runs: without JS it could not do anything.
    let _ = write!(
        o,
        "<p class=\"controls\" id=\"colour-controls\" hidden><label for=\"colour-by\">{}</label> \
         <select id=\"colour-by\"><option value=\"any\">{}</option>",
        esc(h.colour_by),
        esc(h.colour_any)
    );
    for (i, op) in r.operators.iter().enumerate() {
        let label = text::fill(
            h.colour_operator,
            &[("operator", &text::operators::label(op))],
        );
        let _ = write!(o, "<option value=\"op{i}\">{}</option>", esc(&label));
    }
    let _ = writeln!(
        o,
        "<option value=\"fibre\">{}</option></select></p>",
        esc(h.colour_fibre)
    );
    let _ = writeln!(
        o,
        "<div class=\"map-wrap\">\n<figure>{}</figure>",
        map::svg(r, set, t)
    );
    legend(o, set, t);
    let _ = writeln!(
        o,
        "</div>\n<p class=\"note\">{}</p>\n</section>",
        esc(h.map_note)
    );
}

/// The legend: verdict colours (mobile, or fibre when chosen), district border, site dots.
pub fn legend(o: &mut String, set: &BoundarySet, t: &Catalogue) {
    let h = &t.html;
    let _ = writeln!(o, "<aside class=\"legend\">\n<h3>{}</h3>", esc(h.legend));
    let item = |o: &mut String, swatch: &str, label: &str| {
        let _ = writeln!(
            o,
            "<li><svg class=\"sw\" viewBox=\"0 0 20 14\" aria-hidden=\"true\">{swatch}</svg> {}</li>",
            esc(label)
        );
    };
    o.push_str("<ul id=\"legend-mobile\">\n");
    for v in [
        MobileVerdict::Covered,
        MobileVerdict::NotCovered,
        MobileVerdict::InsufficientData,
        MobileVerdict::NoSite,
    ] {
        let swatch = format!(
            "<rect class=\"v-{}\" width=\"20\" height=\"14\"/>",
            v.as_str()
        );
        item(o, &swatch, mobile_label(t, v));
    }
    o.push_str("</ul>\n<ul id=\"legend-fibre\" hidden>\n");
    for v in [
        FibreVerdict::Connected,
        FibreVerdict::NotConnected,
        FibreVerdict::InsufficientData,
        FibreVerdict::NoSite,
    ] {
        let swatch = format!(
            "<rect class=\"v-{}\" width=\"20\" height=\"14\"/>",
            v.as_str()
        );
        item(o, &swatch, fibre_label(t, v));
    }
    o.push_str("</ul>\n<ul>\n");
    if set.has_districts() {
        item(
            o,
            "<line class=\"d\" x1=\"0\" y1=\"7\" x2=\"20\" y2=\"7\"/>",
            h.district_border,
        );
    }
    item(
        o,
        "<circle class=\"s\" cx=\"10\" cy=\"7\" r=\"4\"/>",
        t.report.label_site,
    );
    item(
        o,
        "<circle class=\"s flagged\" cx=\"10\" cy=\"7\" r=\"5\"/>",
        h.site_flagged,
    );
    o.push_str("</ul>\n</aside>\n");
}

/// The flagged sites.
fn flagged(o: &mut String, r: &Report, t: &Catalogue) {
    let h = &t.html;
    let _ = writeln!(
        o,
        "<section id=\"flagged\">\n<h2>{}</h2>",
        esc(t.report.heading_flagged)
    );
    if r.flagged_sites.is_empty() {
        let _ = writeln!(o, "<p>{}</p>\n</section>", esc(t.report.none));
        return;
    }
    let _ = writeln!(
        o,
        "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        esc(t.report.label_site),
        esc(t.report.label_flags),
        esc(h.col_detail)
    );
    for f in &r.flagged_sites {
        let flags: Vec<&str> = f.flags.iter().map(|x| flag_label(t, *x)).collect();
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.site),
            esc(&flags.join(", ")),
            esc(&f.detail)
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

/// The thresholds with their sources, the confidence note and the definitions.
fn thresholds(o: &mut String, r: &Report, t: &Catalogue) {
    let _ = writeln!(
        o,
        "<section id=\"thresholds\">\n<h2>{}</h2>\n<p>{}</p>\n<ul>",
        esc(t.report.heading_thresholds),
        esc(&r.words.thresholds_note)
    );
    for line in &r.words.threshold_sources {
        let _ = writeln!(o, "<li>{}</li>", esc(line));
    }
    let _ = writeln!(
        o,
        "</ul>\n<h3>{}</h3>\n<p>{}</p>\n<details open>\n<summary>{}</summary>\n<ul>",
        esc(t.report.heading_confidence),
        esc(r.confidence.note),
        esc(t.report.heading_definitions)
    );
    for d in &r.definitions {
        let _ = writeln!(o, "<li>{}</li>", esc(d));
    }
    o.push_str("</ul>\n</details>\n</section>\n");
}

/// Software, boundary file and data source.
fn provenance(o: &mut String, r: &Report, t: &Catalogue) {
    let h = &t.html;
    let pr = &r.provenance;
    let _ = writeln!(
        o,
        "<footer id=\"provenance\">\n<h2>{}</h2>\n<ul>",
        esc(t.report.heading_provenance)
    );
    let li = |o: &mut String, s: String| {
        let _ = writeln!(o, "<li>{}</li>", esc(&s));
    };
    li(
        o,
        text::fill(
            h.software,
            &[
                ("software", &pr.software),
                ("version", &pr.version),
                ("commit", &pr.git_commit),
            ],
        ),
    );
    li(
        o,
        text::fill(
            h.boundary_file,
            &[("file", &pr.boundary_file), ("sha256", &pr.boundary_sha256)],
        ),
    );
    match &pr.source {
        SourceInfo::Influxql { url, database, .. } => li(
            o,
            text::fill(h.source_influx, &[("url", url), ("database", database)]),
        ),
        SourceInfo::Archive { files, .. } => {
            let names: Vec<String> = files
                .iter()
                .map(|f| format!("{} (SHA-256 {})", f.path, f.sha256))
                .collect();
            li(
                o,
                text::fill(h.source_archive, &[("files", &names.join(", "))]),
            );
        }
    }
    li(o, r.words.operators_source.clone());
    o.push_str("</ul>\n</footer>\n");
}

#[cfg(test)]
pub(crate) mod tests;

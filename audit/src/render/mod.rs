//! Report renderers: JSON (the full report), Markdown (for people), CSV (one row per commune).
//!
//! Each renderer is a pure function of the [`Report`]: no clock, no environment, so the same
//! report always renders to the same bytes.
//!
//! [`html`] (a self-contained page with a map) and [`geojson`] (the communes with their
//! verdicts, for QGIS) also need the boundary set's geometry and a language.

pub mod geojson;
pub mod html;

use std::fmt::Write as _;

use crate::report::{FibreTally, MobileTally, Report};
use crate::source::SourceInfo;

/// The full report as pretty JSON, with a final newline.
pub fn json(report: &Report) -> String {
    // Serialising plain structs with string keys cannot fail; keep a readable fallback anyway.
    let mut out = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise report: {e}\"}}"));
    out.push('\n');
    out
}

/// A few plain-text lines for a terminal: set, period, commune and district counts, claims.
pub fn summary(r: &Report) -> String {
    let p = &r.province;
    let mut o = String::new();
    let _ = writeln!(o, "Audit of {} from {} to {}", r.boundary_set, r.from, r.to);
    let _ = writeln!(
        o,
        "  communes: {}; mobile: {}",
        p.communes,
        mobile_tally(&p.mobile)
    );
    let _ = writeln!(o, "  fibre (communes): {}", fibre_tally(&p.fibre_communes));
    if p.districts > 0 {
        let _ = writeln!(
            o,
            "  districts: {}; fibre: {}",
            p.districts,
            fibre_tally(&p.fibre_districts)
        );
    }
    let _ = writeln!(
        o,
        "  sites: {} ({} placed, {} flagged); counted samples {}",
        p.sites, p.sites_placed, p.sites_flagged, p.counted
    );
    for c in &r.claims {
        let _ = writeln!(
            o,
            "  claim {}: {} (lower {:.2} %, upper {:.2} %)",
            c.claim,
            c.verdict.as_str(),
            c.lower,
            c.upper
        );
    }
    o
}

/// Escapes a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn opt_share(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |s| format!("{:.1} %", s * 100.0))
}

fn mobile_tally(t: &MobileTally) -> String {
    format!(
        "covered {}, not covered {}, insufficient data {}, no site {}",
        t.covered, t.not_covered, t.insufficient_data, t.no_site
    )
}

fn fibre_tally(t: &FibreTally) -> String {
    format!(
        "connected {}, not connected {}, insufficient data {}, no site {}",
        t.connected, t.not_connected, t.insufficient_data, t.no_site
    )
}

/// A Markdown document: claims, province, districts, communes, flagged sites, confidence,
/// definitions and provenance.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Coverage audit: {}, {} to {}\n",
        r.boundary_set, r.from, r.to
    );

    let _ = writeln!(o, "## Claims\n");
    if r.claims.is_empty() {
        let _ = writeln!(o, "No claim was given.\n");
    } else {
        let _ = writeln!(
            o,
            "| claim | verdict | lower | upper | shown | not shown | unknown | areas |\n|---|---|---:|---:|---:|---:|---:|---:|"
        );
        for c in &r.claims {
            let _ = writeln!(
                o,
                "| `{}` | **{}** | {:.2} % | {:.2} % | {} | {} | {} | {} |",
                cell(&c.claim),
                c.verdict.as_str(),
                c.lower,
                c.upper,
                c.shown,
                c.not_shown,
                c.unknown,
                c.total
            );
        }
        let _ = writeln!(o);
    }

    let p = &r.province;
    let _ = writeln!(o, "## Province\n");
    let names: Vec<String> = p
        .provinces
        .iter()
        .map(|(c, n)| format!("{n} ({c})"))
        .collect();
    let _ = writeln!(o, "- Province: {}", names.join(", "));
    let _ = writeln!(
        o,
        "- Communes: {}; mobile (any operator): {}",
        p.communes,
        mobile_tally(&p.mobile)
    );
    for (op, t) in &p.mobile_by_operator {
        let _ = writeln!(o, "- Mobile, operator {op}: {}", mobile_tally(t));
    }
    let _ = writeln!(o, "- Fibre, communes: {}", fibre_tally(&p.fibre_communes));
    if p.districts > 0 {
        let _ = writeln!(
            o,
            "- Districts: {}; fibre: {}",
            p.districts,
            fibre_tally(&p.fibre_districts)
        );
        let _ = writeln!(
            o,
            "- Districts, mobile (every commune covered): {}",
            mobile_tally(&p.mobile_districts)
        );
    }
    let _ = writeln!(
        o,
        "- Sites: {} ({} placed in a commune, {} flagged); signal samples {}, counted {}\n",
        p.sites, p.sites_placed, p.sites_flagged, p.samples, p.counted
    );

    if !r.districts.is_empty() {
        let _ = writeln!(o, "## Districts\n");
        let _ = writeln!(
            o,
            "| code | district | communes | mobile covered | mobile | fibre | fibre windows up / known / total |\n|---|---|---:|---:|---|---|---|"
        );
        for d in &r.districts {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} / {} / {} |",
                d.code,
                cell(&d.name),
                d.communes,
                d.mobile_covered,
                d.mobile.as_str(),
                d.fibre.as_str(),
                d.fibre_windows.up,
                d.fibre_windows.known,
                d.fibre_windows.total
            );
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## Communes\n");
    let mut header =
        "| code | commune | district | sites | counted samples | usable share | mobile |"
            .to_owned();
    let mut rule = "|---|---|---|---|---:|---:|---|".to_owned();
    for op in &r.operators {
        let _ = write!(header, " {op} |");
        rule.push_str("---|");
    }
    header.push_str(" fibre |");
    rule.push_str("---|");
    let _ = writeln!(o, "{header}\n{rule}");
    for c in &r.communes {
        let mut line = format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.code,
            cell(&c.name),
            cell(
                c.district_name
                    .as_deref()
                    .or(c.former_province.as_deref())
                    .unwrap_or("")
            ),
            cell(&c.sites.join(", ")),
            c.counted,
            opt_share(c.usable_share),
            c.mobile.as_str()
        );
        for op in &r.operators {
            let v = c.mobile_by_operator.get(op).map_or("–", |v| v.as_str());
            let _ = write!(line, " {v} |");
        }
        let _ = write!(line, " {} |", c.fibre.as_str());
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Flagged sites\n");
    if r.flagged_sites.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(o, "| site | flags | detail |\n|---|---|---|");
        for f in &r.flagged_sites {
            let flags: Vec<String> = f
                .flags
                .iter()
                .map(|x| {
                    serde_json::to_value(x)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                f.site,
                flags.join(", "),
                cell(&f.detail)
            );
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## Confidence\n\n{}\n", r.confidence.note);
    let _ = writeln!(o, "## Definitions\n");
    for d in &r.definitions {
        let _ = writeln!(o, "- {d}");
    }
    let _ = writeln!(o);

    let pr = &r.provenance;
    let _ = writeln!(o, "## Provenance\n");
    let _ = writeln!(
        o,
        "- Software: {} {} (commit {})",
        pr.software, pr.version, pr.git_commit
    );
    let _ = writeln!(
        o,
        "- Boundary set: {} (`{}`, SHA-256 `{}`)",
        pr.boundary_set, pr.boundary_file, pr.boundary_sha256
    );
    let _ = writeln!(
        o,
        "- Period: {} to {} ({} windows of 1 h)",
        pr.period.from, pr.period.to, pr.period.windows
    );
    let t = &r.thresholds;
    let _ = writeln!(
        o,
        "- Thresholds: usable share >= {} %, >= {} samples in >= {} local hours (UTC{:+}); fibre: loss <= {} %, RTT <= {} ms, >= {} rounds per window, up >= {} % of known windows, known >= {} % of windows, target {}; edge flag {} m",
        t.min_usable_share_pct,
        t.min_samples,
        t.min_distinct_hours,
        t.timezone_offset_hours,
        t.fibre.max_loss_pct,
        t.fibre.max_rtt_ms,
        t.fibre.min_rounds,
        t.fibre.min_up_pct,
        t.fibre.min_known_pct,
        t.fibre
            .target
            .as_deref()
            .map_or("any".to_owned(), |x| format!("`{x}`")),
        t.edge_flag_m
    );
    let pol = serde_json::to_string(&t.policy).unwrap_or_default();
    let _ = writeln!(o, "- Usable policy: `{pol}`");
    let _ = writeln!(o, "- Threshold sources: {}", pr.threshold_sources);
    match &pr.source {
        SourceInfo::Influxql {
            url,
            database,
            queries,
        } => {
            let _ = writeln!(
                o,
                "- Source: InfluxDB {url}, database `{database}`; queries run:\n"
            );
            for q in queries {
                let _ = writeln!(o, "```sql\n{q}\n```");
            }
        }
        SourceInfo::Archive {
            files,
            equivalent_queries,
        } => {
            let _ = writeln!(o, "- Source: line-protocol archive");
            for f in files {
                let _ = writeln!(
                    o,
                    "  - `{}` SHA-256 `{}`: {} lines, {} unparsed, {} duplicate points",
                    f.path, f.sha256, f.lines, f.unparsed_lines, f.duplicate_points
                );
            }
            let _ = writeln!(o, "- Aggregates equal to these InfluxQL statements:\n");
            for q in equivalent_queries {
                let _ = writeln!(o, "```sql\n{q}\n```");
            }
        }
    }
    o
}

/// One CSV row per commune, with a header; per-operator verdicts as `mobile_<operator>` columns.
pub fn csv(r: &Report) -> String {
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
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    header.extend(r.operators.iter().map(|op| format!("mobile_{op}")));
    header.extend(
        [
            "fibre",
            "fibre_windows_up",
            "fibre_windows_known",
            "fibre_windows_total",
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
            c.mobile.as_str().to_owned(),
        ];
        for op in &r.operators {
            row.push(
                c.mobile_by_operator
                    .get(op)
                    .map_or("", |v| v.as_str())
                    .to_owned(),
            );
        }
        row.push(c.fibre.as_str().to_owned());
        row.push(c.fibre_windows.up.to_string());
        row.push(c.fibre_windows.known.to_string());
        row.push(c.fibre_windows.total.to_string());
        let _ = w.write_record(&row);
    }
    // Writing to a Vec cannot fail.
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

//! The Markdown report for people, in the report's language: title block (set, period in the
//! audit's time zone, provisional-thresholds marker), claims with their explanation and the
//! deciding areas by name and code, province, districts, communes, why each commune has its
//! verdict, flagged sites, thresholds with their sources, confidence, definitions, provenance.

use std::fmt::Write as _;

use coverage_shared::text::{Catalogue, fill, format, operators};

use super::{bound, cat, fibre_tally, mobile_tally, named, opt_share, sites_and_samples};
use crate::report::explain::{
    claim_word, fibre_word, local_time, mobile_word, sentence, site_flags, speed_word,
};
use crate::report::{CommuneReport, Report};
use crate::source::SourceInfo;
use crate::verdict::MobileVerdict;

/// Escapes a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown document (see the module doc).
pub fn markdown(r: &Report) -> String {
    let cat = cat(r);
    let mut o = String::new();
    title_block(&mut o, r, cat);
    claims(&mut o, r, cat);
    province(&mut o, r, cat);
    districts(&mut o, r, cat);
    communes(&mut o, r, cat);
    reasons(&mut o, r, cat);
    flagged(&mut o, r, cat);
    thresholds(&mut o, r, cat);
    let t = cat.report;
    let _ = writeln!(o, "## {}\n\n{}\n", t.heading_confidence, r.confidence.note);
    let _ = writeln!(o, "## {}\n", t.heading_definitions);
    for d in &r.definitions {
        let _ = writeln!(o, "- {d}");
    }
    let _ = writeln!(o);
    provenance(&mut o, r, cat);
    o
}

fn title_block(o: &mut String, r: &Report, cat: &Catalogue) {
    let t = cat.report;
    let _ = writeln!(o, "# {}\n", r.words.title);
    if let Some(mark) = &r.words.provisional {
        let _ = writeln!(o, "**{mark}.** {}\n", r.words.thresholds_note);
    }
    let _ = writeln!(o, "- {}: {}", t.label_set, r.boundary_set);
    let _ = writeln!(o, "- {}: {}", t.label_period, r.words.period);
    let _ = writeln!(o, "- {}: {}\n", t.label_time_zone, r.words.time_zone);
}

fn claims(o: &mut String, r: &Report, cat: &Catalogue) {
    let t = cat.report;
    let lang = cat.lang;
    let _ = writeln!(o, "## {}\n", t.heading_claims);
    if r.claims.is_empty() {
        let _ = writeln!(o, "{}\n", t.no_claim);
        return;
    }
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n|---|---|---:|---:|---:|---:|---:|---:|",
        t.label_claim,
        t.label_verdict,
        t.label_lower,
        t.label_upper,
        t.label_shown,
        t.label_not_shown,
        t.label_unknown,
        t.label_areas
    );
    for c in &r.claims {
        let _ = writeln!(
            o,
            "| `{}` | **{}** | {} | {} | {} | {} | {} | {} |",
            cell(&c.claim),
            claim_word(c.verdict, cat),
            bound(cat, c.lower),
            bound(cat, c.upper),
            format::count(lang, c.shown),
            format::count(lang, c.not_shown),
            format::count(lang, c.unknown),
            format::count(lang, c.total)
        );
    }
    let _ = writeln!(o);
    for c in &r.claims {
        let _ = writeln!(o, "### `{}`\n", c.claim);
        if let Some(op) = &c.operator {
            let _ = writeln!(o, "{}: {}\n", t.label_operator, operators::label(op));
        }
        let _ = writeln!(o, "{}\n", c.explanation);
        for (label, areas) in [
            (t.label_not_shown, &c.deciding.not_shown),
            (t.label_unknown_no_site, &c.deciding.no_site),
            (t.label_unknown_insufficient, &c.deciding.insufficient_data),
        ] {
            if !areas.is_empty() {
                let _ = writeln!(
                    o,
                    "- {label} ({}): {}",
                    format::count(lang, areas.len() as u64),
                    named(areas)
                );
            }
        }
        let _ = writeln!(o);
    }
}

fn province(o: &mut String, r: &Report, cat: &Catalogue) {
    let (t, p) = (cat.report, &r.province);
    let _ = writeln!(o, "## {}\n", t.heading_province);
    let names: Vec<String> = p
        .provinces
        .iter()
        .map(|(c, n)| format!("{n} ({c})"))
        .collect();
    let _ = writeln!(o, "- {}: {}", t.label_province, names.join(", "));
    let _ = writeln!(
        o,
        "- {}: {}; {} ({}): {}",
        t.label_communes,
        format::count(cat.lang, p.communes),
        t.label_mobile,
        t.label_any_operator,
        mobile_tally(&p.mobile, cat)
    );
    for (op, tally) in &p.mobile_by_operator {
        let _ = writeln!(
            o,
            "- {}, {}: {}",
            t.label_mobile,
            operators::label(op),
            mobile_tally(tally, cat)
        );
    }
    let _ = writeln!(
        o,
        "- {}, {}: {}",
        t.label_fibre,
        t.areas_communes,
        fibre_tally(&p.fibre_communes, cat)
    );
    if p.districts > 0 {
        let _ = writeln!(
            o,
            "- {}: {}; {}: {}",
            t.label_districts,
            format::count(cat.lang, p.districts),
            t.label_fibre,
            fibre_tally(&p.fibre_districts, cat)
        );
        let _ = writeln!(
            o,
            "- {}: {}",
            t.label_districts_mobile,
            mobile_tally(&p.mobile_districts, cat)
        );
        let _ = writeln!(
            o,
            "- {}, {}: {}",
            t.label_fibre_speed,
            t.areas_districts,
            super::speed_tally(&p.speed_districts, cat)
        );
    } else {
        let _ = writeln!(
            o,
            "- {}, {}: {}",
            t.label_fibre_speed,
            t.areas_communes,
            super::speed_tally(&p.speed_communes, cat)
        );
    }
    let _ = writeln!(o, "- {}", sites_and_samples(r, cat));
    let _ = writeln!(o, "- {}\n", r.words.operators_source);
}

fn districts(o: &mut String, r: &Report, cat: &Catalogue) {
    if r.districts.is_empty() {
        return;
    }
    let (t, lang) = (cat.report, cat.lang);
    let _ = writeln!(o, "## {}\n", t.heading_districts);
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n|---|---|---:|---:|---|---|---|---|",
        t.label_code,
        t.label_district,
        t.label_communes,
        t.label_communes_covered,
        t.label_mobile,
        t.label_fibre,
        t.label_fibre_windows,
        t.label_fibre_speed
    );
    for d in &r.districts {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} / {} / {} | {} |",
            d.code,
            cell(&d.name),
            format::count(lang, d.communes),
            format::count(lang, d.mobile_covered),
            mobile_word(d.mobile, cat),
            fibre_word(d.fibre, cat),
            format::count(lang, d.fibre_windows.up),
            format::count(lang, d.fibre_windows.known),
            format::count(lang, d.fibre_windows.total),
            speed_word(d.speed, cat)
        );
    }
    let _ = writeln!(o);
}

fn communes(o: &mut String, r: &Report, cat: &Catalogue) {
    let (t, lang) = (cat.report, cat.lang);
    let _ = writeln!(o, "## {}\n", t.heading_communes);
    let mut header = format!(
        "| {} | {} | {} | {} | {} | {} | {} ({}) |",
        t.label_code,
        t.label_commune,
        t.label_district,
        t.label_sites,
        t.label_counted,
        t.label_usable_share,
        t.label_mobile,
        t.label_any_operator
    );
    let mut rule = "|---|---|---|---|---:|---:|---|".to_owned();
    for op in &r.operators {
        let _ = write!(header, " {} |", cell(&operators::label(op)));
        rule.push_str("---|");
    }
    let _ = write!(header, " {} | {} |", t.label_fibre, t.label_fibre_speed);
    rule.push_str("---|---|");
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
            format::count(lang, c.counted),
            opt_share(cat, c.usable_share),
            mobile_word(c.mobile, cat)
        );
        for op in &r.operators {
            let v = c
                .mobile_by_operator
                .get(op)
                .map_or("–", |v| mobile_word(*v, cat));
            let _ = write!(line, " {v} |");
        }
        let _ = write!(
            line,
            " {} | {} |",
            fibre_word(c.fibre, cat),
            speed_word(c.speed, cat)
        );
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o);
}

/// Whether a commune's verdicts need no more than "no site": no site of its own at all.
fn bare(c: &CommuneReport) -> bool {
    c.sites.is_empty() && c.mobile == MobileVerdict::NoSite
}

fn reasons(o: &mut String, r: &Report, cat: &Catalogue) {
    let t = cat.report;
    let _ = writeln!(o, "## {}\n", t.heading_reasons);
    for c in r.communes.iter().filter(|c| !bare(c)) {
        let _ = writeln!(
            o,
            "### {} ({}): {}\n",
            c.name,
            c.code,
            mobile_word(c.mobile, cat)
        );
        let _ = writeln!(
            o,
            "- {}: {}",
            t.label_any_operator,
            c.reasons.any.join("; ")
        );
        for (op, v) in &c.mobile_by_operator {
            let why = c
                .reasons
                .by_operator
                .get(op)
                .map(|w| w.join("; "))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "- {}: **{}**: {}",
                operators::label(op),
                mobile_word(*v, cat),
                why
            );
        }
        if let Some(e) = &c.reasons.excluded {
            let _ = writeln!(o, "- {e}");
        }
        let _ = writeln!(o);
    }
    let bare: Vec<String> = r
        .communes
        .iter()
        .filter(|c| bare(c))
        .map(|c| format!("{} ({})", c.name, c.code))
        .collect();
    if !bare.is_empty() {
        let _ = writeln!(
            o,
            "{} ({}): {}\n",
            mobile_word(MobileVerdict::NoSite, cat),
            format::count(cat.lang, bare.len() as u64),
            bare.join(", ")
        );
    }
}

fn flagged(o: &mut String, r: &Report, cat: &Catalogue) {
    let t = cat.report;
    let _ = writeln!(o, "## {}\n", t.heading_flagged);
    if r.flagged_sites.is_empty() {
        let _ = writeln!(o, "{}\n", t.none);
        return;
    }
    let _ = writeln!(o, "| {} | {} |\n|---|---|", t.label_site, t.label_reason);
    for f in &r.flagged_sites {
        let why: Vec<String> = match r.sites.iter().find(|s| s.id == f.site) {
            Some(s) => site_flags(s).iter().map(|x| sentence(x, cat)).collect(),
            None => vec![f.detail.clone()],
        };
        let _ = writeln!(o, "| {} | {} |", cell(&f.site), cell(&why.join("; ")));
    }
    let _ = writeln!(o);
}

fn thresholds(o: &mut String, r: &Report, cat: &Catalogue) {
    let (t, lang) = (cat.report, cat.lang);
    let th = &r.thresholds;
    let pct = |p: crate::config::Pct| crate::report::explain::pct(lang, p);
    let _ = writeln!(o, "## {}\n", t.heading_thresholds);
    let _ = writeln!(o, "{}\n", r.words.thresholds_note);
    let _ = writeln!(
        o,
        "- {}",
        fill(
            t.thresholds_line,
            &[
                ("share", &pct(th.min_usable_share_pct)),
                ("samples", &format::count(lang, th.min_samples)),
                ("hours", &th.min_distinct_hours),
                (
                    "offset",
                    &crate::report::explain::offset(th.timezone_offset_hours)
                ),
            ],
        )
    );
    for s in &r.words.threshold_sources {
        let _ = writeln!(o, "- {s}");
    }
    let _ = writeln!(
        o,
        "- {}",
        fill(
            t.thresholds_fibre_line,
            &[
                ("loss", &pct(th.fibre.max_loss_pct)),
                ("rtt", &format::decimal(lang, th.fibre.max_rtt_ms, 0)),
                ("rounds", &th.fibre.min_rounds),
                ("up", &pct(th.fibre.min_up_pct)),
                ("known", &pct(th.fibre.min_known_pct)),
                (
                    "target",
                    &th.fibre
                        .target
                        .as_deref()
                        .map_or(t.any_target.to_owned(), |x| format!("`{x}`")),
                ),
                ("edge", &format::decimal(lang, th.edge_flag_m, 0)),
            ],
        )
    );
    let _ = writeln!(
        o,
        "- {}",
        fill(
            t.thresholds_speed_line,
            &[
                ("share", &pct(th.fibre_speed.min_share_of_contracted_pct)),
                ("samples", &format::count(lang, th.fibre_speed.min_samples)),
            ],
        )
    );
    let pol = serde_json::to_string(&th.policy).unwrap_or_default();
    let _ = writeln!(o, "- {}: `{pol}`", t.label_policy);
    let _ = writeln!(
        o,
        "- {}: {}\n",
        t.label_threshold_sources, r.provenance.threshold_sources
    );
}

fn provenance(o: &mut String, r: &Report, cat: &Catalogue) {
    let (t, lang) = (cat.report, cat.lang);
    let pr = &r.provenance;
    let offset = r.thresholds.timezone_offset_hours;
    let _ = writeln!(o, "## {}\n", t.heading_provenance);
    let _ = writeln!(
        o,
        "- {}: {}",
        t.label_software,
        fill(
            t.provenance_software,
            &[
                ("software", &pr.software),
                ("version", &pr.version),
                ("commit", &pr.git_commit),
            ],
        )
    );
    let _ = writeln!(
        o,
        "- {}: {} (`{}`, SHA-256 `{}`)",
        t.label_set, pr.boundary_set, pr.boundary_file, pr.boundary_sha256
    );
    let _ = writeln!(
        o,
        "- {}: {}",
        t.label_period,
        fill(
            t.provenance_period,
            &[
                ("from", &local_time(&pr.period.from, offset, lang)),
                ("to", &local_time(&pr.period.to, offset, lang)),
                ("windows", &format::count(lang, pr.period.windows)),
            ],
        )
    );
    let _ = writeln!(o, "- {}", r.words.operators_source);
    match &pr.source {
        SourceInfo::Influxql {
            url,
            database,
            queries,
        } => {
            let _ = writeln!(
                o,
                "- {}: {}\n",
                t.label_source,
                fill(t.provenance_influx, &[("url", url), ("database", database)])
            );
            for q in queries {
                let _ = writeln!(o, "```sql\n{q}\n```");
            }
        }
        SourceInfo::Archive {
            files,
            equivalent_queries,
        } => {
            let _ = writeln!(o, "- {}: {}", t.label_source, t.provenance_archive);
            for f in files {
                let _ = writeln!(
                    o,
                    "  - {}",
                    fill(
                        t.provenance_archive_file,
                        &[
                            ("path", &f.path),
                            ("sha", &f.sha256),
                            ("lines", &format::count(lang, f.lines)),
                            ("unparsed", &format::count(lang, f.unparsed_lines)),
                            ("duplicates", &format::count(lang, f.duplicate_points)),
                        ],
                    )
                );
            }
            let _ = writeln!(o, "- {}\n", t.provenance_equivalent);
            for q in equivalent_queries {
                let _ = writeln!(o, "```sql\n{q}\n```");
            }
        }
    }
}

//! A few plain-text lines for a terminal, in the report's language: title and period in the
//! audit's time zone, the provisional-thresholds marker, commune and district counts, each
//! claim with its verdict, bounds and explanation.

use std::fmt::Write as _;

use coverage_shared::text::{fill, format};

use super::{bound, cat, fibre_tally, mobile_tally, sites_and_samples};
use crate::report::Report;
use crate::report::explain::claim_word;

/// A few plain-text lines for a terminal.
pub fn summary(r: &Report) -> String {
    let (cat, p) = (cat(r), &r.province);
    let t = cat.report;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        fill(
            t.summary_title,
            &[("set", &r.boundary_set), ("period", &r.words.period)]
        )
    );
    if let Some(mark) = &r.words.provisional {
        let _ = writeln!(o, "  {mark}: {}", r.words.thresholds_note);
    }
    let _ = writeln!(
        o,
        "  {}: {}; {}: {}",
        t.label_communes,
        format::count(cat.lang, p.communes),
        t.label_mobile,
        mobile_tally(&p.mobile, cat)
    );
    let _ = writeln!(
        o,
        "  {} ({}): {}",
        t.label_fibre,
        t.areas_communes,
        fibre_tally(&p.fibre_communes, cat)
    );
    if p.districts > 0 {
        let _ = writeln!(
            o,
            "  {}: {}; {}: {}",
            t.label_districts,
            format::count(cat.lang, p.districts),
            t.label_fibre,
            fibre_tally(&p.fibre_districts, cat)
        );
        let _ = writeln!(
            o,
            "  {} ({}): {}",
            t.label_fibre_speed,
            t.areas_districts,
            super::speed_tally(&p.speed_districts, cat)
        );
    } else {
        let _ = writeln!(
            o,
            "  {} ({}): {}",
            t.label_fibre_speed,
            t.areas_communes,
            super::speed_tally(&p.speed_communes, cat)
        );
    }
    let _ = writeln!(o, "  {}", sites_and_samples(r, cat));
    for c in &r.claims {
        let _ = writeln!(
            o,
            "  {} {}: {} ({} {}, {} {})",
            t.label_claim,
            c.claim,
            claim_word(c.verdict, cat),
            t.label_lower,
            bound(cat, c.lower),
            t.label_upper,
            bound(cat, c.upper)
        );
        let _ = writeln!(o, "    {}", c.explanation);
    }
    o
}

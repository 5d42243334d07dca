//! Report renderers: JSON (the full report), Markdown (for people), CSV (one row per commune),
//! and the terminal summary, each in the report's language ([`Report::lang`]).
//!
//! Each renderer is a pure function of the [`Report`]: no clock, no environment, so the same
//! report always renders to the same bytes. Words come from the catalogue
//! (`coverage_shared::text::report::ReportText`), sentences from [`crate::report::explain`]
//! (stored in the report by [`crate::report::explain::localised`]); operators are shown by name
//! beside their MCC-MNC, communes and districts by official name and code.
//!
//! [`html`] (a self-contained page with a map) and [`geojson`] (the communes with their
//! verdicts, for QGIS) also need the boundary set's geometry and a language.

pub mod csv;
pub mod geojson;
pub mod html;
pub mod json;
pub mod markdown;
pub mod summary;

pub use self::csv::csv;
pub use self::json::json;
pub use self::markdown::markdown;
pub use self::summary::summary;

use coverage_shared::text::{Catalogue, catalogue, fill, format};

use crate::fibre::FibreVerdict;
use crate::report::explain::{fibre_word, mobile_word};
use crate::report::{FibreTally, MobileTally, NamedArea, Report};
use crate::verdict::MobileVerdict;

/// The catalogue of the report's language.
pub(crate) fn cat(r: &Report) -> &'static Catalogue {
    catalogue(r.lang)
}

/// A mobile tally in words: `covered 2, not covered 1, insufficient data 0, no site 105`.
pub(crate) fn mobile_tally(t: &MobileTally, cat: &Catalogue) -> String {
    [
        (MobileVerdict::Covered, t.covered),
        (MobileVerdict::NotCovered, t.not_covered),
        (MobileVerdict::InsufficientData, t.insufficient_data),
        (MobileVerdict::NoSite, t.no_site),
    ]
    .iter()
    .map(|(v, n)| format!("{} {}", mobile_word(*v, cat), format::count(cat.lang, *n)))
    .collect::<Vec<_>>()
    .join(", ")
}

/// A fibre tally in words.
pub(crate) fn fibre_tally(t: &FibreTally, cat: &Catalogue) -> String {
    [
        (FibreVerdict::Connected, t.connected),
        (FibreVerdict::NotConnected, t.not_connected),
        (FibreVerdict::InsufficientData, t.insufficient_data),
        (FibreVerdict::NoSite, t.no_site),
    ]
    .iter()
    .map(|(v, n)| format!("{} {}", fibre_word(*v, cat), format::count(cat.lang, *n)))
    .collect::<Vec<_>>()
    .join(", ")
}

pub(crate) fn speed_tally(t: &crate::report::SpeedTally, cat: &Catalogue) -> String {
    use crate::speed::SpeedVerdict;
    [
        (SpeedVerdict::Fast, t.fast),
        (SpeedVerdict::Slow, t.slow),
        (SpeedVerdict::InsufficientData, t.insufficient_data),
        (SpeedVerdict::NoSite, t.no_site),
    ]
    .iter()
    .map(|(v, n)| {
        format!(
            "{} {}",
            crate::report::explain::speed_word(*v, cat),
            format::count(cat.lang, *n)
        )
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// A share in 0..=1 as a percentage with one decimal, `–` when absent.
pub(crate) fn opt_share(cat: &Catalogue, v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |s| format::percent(cat.lang, s, 1))
}

/// A bound (already in percent, two decimals).
pub(crate) fn bound(cat: &Catalogue, percent: f64) -> String {
    format!("{}\u{a0}%", format::decimal(cat.lang, percent, 2))
}

/// Areas by name and code: `Phường Nguyễn Thị Minh Khai (01834), ...`.
pub(crate) fn named(areas: &[NamedArea]) -> String {
    areas
        .iter()
        .map(|a| {
            if a.name.is_empty() {
                a.code.clone()
            } else {
                format!("{} ({})", a.name, a.code)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The site and sample counts of the province summary, in words.
pub(crate) fn sites_and_samples(r: &Report, cat: &Catalogue) -> String {
    let (p, lang) = (&r.province, cat.lang);
    let sites = fill(
        cat.report.sites_line,
        &[
            ("sites", &format::count(lang, p.sites)),
            ("placed", &format::count(lang, p.sites_placed)),
            ("flagged", &format::count(lang, p.sites_flagged)),
        ],
    );
    let samples = fill(
        cat.report.samples_line,
        &[
            ("samples", &format::count(lang, p.samples)),
            ("counted", &format::count(lang, p.counted)),
        ],
    );
    format!("{sites}; {samples}")
}

//! Why each verdict is what it is: the rule that decided, as data, then as a sentence in the
//! reader's language.
//!
//! Two layers, kept apart so the HTML renderer can use either:
//!
//! - **Reasons** (language-free): from a built [`Report`], [`site_reasons`],
//!   [`commune_operator_reasons`], [`commune_any_reasons`], [`flag_reasons`] and
//!   [`site_flags`] give the
//!   [`Reason`]s behind a commune's verdicts, one function per rule (covered, below threshold,
//!   too few samples, too few hours, nothing counted, not measured, no site, site silent,
//!   flagged); [`deciding_areas`] gives a claim's areas not shown and unknown (no site / too
//!   little data) by name and code.
//! - **Sentences**: [`sentence`], [`claim_sentence`], [`excluded_sentence`] render them with a
//!   [`Catalogue`]; [`localised`] stores every sentence in the report (`CommuneReport::reasons`,
//!   `ClaimReport::explanation` and `deciding`, `Report::words`) so JSON carries them.
//!
//! Invariants: pure (no clock, no environment); a reason only restates figures the report
//! already holds (the interval is `SiteOperatorReport::share_interval_95`, the Wilson interval
//! on hourly blocks), so a sentence never disagrees with the tables beside it.

use chrono::{DateTime, FixedOffset};
use coverage_shared::signal::{Thresholds, UsablePolicy};
use coverage_shared::text::{Catalogue, Lang, catalogue, fill, format, operators};

use super::model::{
    ClaimReport, CommuneReasons, CommuneReport, DecidingAreas, NamedArea, Report, ReportWords,
    SiteFlag, SiteOperatorReport, SiteReport, ThresholdsReport,
};
use crate::claim::{ClaimVerdict, Level, Service};
use crate::config::{AuditConfig, Pct};
use crate::fibre::FibreVerdict;
use crate::verdict::{ExcludedCounts, MobileVerdict, district_mobile_verdict};

/// The figures of one site and operator that a reason restates.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteFigures {
    /// Site id.
    pub site: String,
    /// Operator `MCC-MNC`.
    pub operator: String,
    /// Signal samples, excluded included.
    pub samples: u64,
    /// Counted samples (usable + unusable).
    pub counted: u64,
    /// usable / counted (`None` when nothing was counted).
    pub share: Option<f64>,
    /// 95 % Wilson interval of the share on hourly blocks.
    pub interval: Option<[f64; 2]>,
    /// Distinct local hours of the day with counted samples.
    pub distinct_hours: u32,
}

impl SiteFigures {
    /// The figures of `site` for one operator.
    pub fn of(site: &str, r: &SiteOperatorReport) -> SiteFigures {
        SiteFigures {
            site: site.to_owned(),
            operator: r.operator.clone(),
            samples: r.samples,
            counted: r.counted,
            share: r.usable_share,
            interval: r.share_interval_95,
            distinct_hours: r.distinct_hours,
        }
    }
}

/// The criteria a site verdict was judged by, as the report states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criteria {
    /// Minimum usable share.
    pub min_share: Pct,
    /// Minimum counted samples.
    pub min_samples: u64,
    /// Minimum distinct local hours of the day.
    pub min_hours: u32,
}

impl From<&ThresholdsReport> for Criteria {
    fn from(t: &ThresholdsReport) -> Self {
        Criteria {
            min_share: t.min_usable_share_pct,
            min_samples: t.min_samples,
            min_hours: t.min_distinct_hours,
        }
    }
}

/// One rule that decided (or qualifies) a verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// The site covers: its share reaches the threshold with enough evidence.
    Covered {
        /// Its figures.
        figures: SiteFigures,
        /// The threshold.
        min_share: Pct,
    },
    /// Evidence enough, share below the threshold.
    BelowThreshold {
        /// Its figures.
        figures: SiteFigures,
        /// The threshold.
        min_share: Pct,
    },
    /// Fewer counted samples than needed.
    TooFewSamples {
        /// Site id.
        site: String,
        /// Counted samples.
        counted: u64,
        /// Needed.
        min: u64,
    },
    /// Counted samples in fewer distinct local hours than needed.
    TooFewHours {
        /// Site id.
        site: String,
        /// Distinct hours.
        hours: u32,
        /// Needed.
        min: u32,
    },
    /// The site sent samples of the operator, and every one was excluded.
    NothingCounted {
        /// Site id.
        site: String,
        /// Its samples of the operator.
        samples: u64,
    },
    /// The registry names the operator for the site, which sent no sample of it.
    NotMeasured {
        /// Site id.
        site: String,
    },
    /// The commune has no mobile site at all.
    NoSite,
    /// No site of the commune carries the operator's SIM.
    NoSiteForOperator,
    /// A registry site sent nothing in the period.
    SiteSilent {
        /// Site id.
        site: String,
    },
    /// A site of the commune is flagged (placement uncertain).
    Flagged {
        /// Site id.
        site: String,
        /// The flag.
        flag: SiteFlag,
        /// Distance to the nearest commune edge, m.
        edge_distance_m: Option<f64>,
        /// The commune it was installed for (`set code`), for `configured_elsewhere`.
        configured: Option<String>,
    },
}

/// Rule: the site covers (`covered` site verdict).
pub fn covered(f: &SiteFigures, v: MobileVerdict, c: &Criteria) -> Option<Reason> {
    (v == MobileVerdict::Covered).then(|| Reason::Covered {
        figures: f.clone(),
        min_share: c.min_share,
    })
}

/// Rule: evidence enough and the share below the threshold (`not_covered` site verdict).
pub fn below_threshold(f: &SiteFigures, v: MobileVerdict, c: &Criteria) -> Option<Reason> {
    (v == MobileVerdict::NotCovered).then(|| Reason::BelowThreshold {
        figures: f.clone(),
        min_share: c.min_share,
    })
}

/// Rule: some samples counted, fewer than `min_samples`.
pub fn too_few_samples(f: &SiteFigures, c: &Criteria) -> Option<Reason> {
    (f.counted > 0 && f.counted < c.min_samples).then(|| Reason::TooFewSamples {
        site: f.site.clone(),
        counted: f.counted,
        min: c.min_samples,
    })
}

/// Rule: some samples counted, in fewer than `min_distinct_hours` distinct local hours.
pub fn too_few_hours(f: &SiteFigures, c: &Criteria) -> Option<Reason> {
    (f.counted > 0 && f.distinct_hours < c.min_hours).then(|| Reason::TooFewHours {
        site: f.site.clone(),
        hours: f.distinct_hours,
        min: c.min_hours,
    })
}

/// Rule: samples sent, none counted (all excluded).
pub fn nothing_counted(f: &SiteFigures) -> Option<Reason> {
    (f.counted == 0).then(|| Reason::NothingCounted {
        site: f.site.clone(),
        samples: f.samples,
    })
}

/// The reasons of one site's verdict for one operator: the rule that decided it (both
/// shortfalls when samples and hours both fall short).
pub fn site_reasons(site: &str, r: &SiteOperatorReport, c: &Criteria) -> Vec<Reason> {
    let f = SiteFigures::of(site, r);
    match r.verdict {
        MobileVerdict::Covered => covered(&f, r.verdict, c).into_iter().collect(),
        MobileVerdict::NotCovered => below_threshold(&f, r.verdict, c).into_iter().collect(),
        MobileVerdict::InsufficientData | MobileVerdict::NoSite => match nothing_counted(&f) {
            Some(reason) => vec![reason],
            None => [too_few_samples(&f, c), too_few_hours(&f, c)]
                .into_iter()
                .flatten()
                .collect(),
        },
    }
}

fn site<'r>(report: &'r Report, id: &str) -> Option<&'r SiteReport> {
    report
        .sites
        .binary_search_by(|s| s.id.as_str().cmp(id))
        .ok()
        .map(|i| &report.sites[i])
}

/// Rule: the site is in the registry and sent nothing in the period.
pub fn site_silent(s: &SiteReport) -> Option<Reason> {
    s.flags
        .contains(&SiteFlag::NoData)
        .then(|| Reason::SiteSilent { site: s.id.clone() })
}

/// The reasons behind a commune's verdict for `operator`: no site carrying its SIM, or each
/// such site's reasons (only the covering sites when the commune is covered).
pub fn commune_operator_reasons(
    report: &Report,
    commune: &CommuneReport,
    operator: &str,
) -> Vec<Reason> {
    let c = Criteria::from(&report.thresholds);
    let sites = commune
        .sites_by_operator
        .get(operator)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if sites.is_empty() {
        return vec![Reason::NoSiteForOperator];
    }
    let verdict = commune
        .mobile_by_operator
        .get(operator)
        .copied()
        .unwrap_or(MobileVerdict::NoSite);
    let mut out = Vec::new();
    for id in sites {
        let Some(s) = site(report, id) else { continue };
        match s.mobile.iter().find(|m| m.operator == operator) {
            // When the commune is covered, only the covering sites explain it.
            Some(m) if verdict != MobileVerdict::Covered || m.verdict == MobileVerdict::Covered => {
                out.extend(site_reasons(id, m, &c));
            }
            Some(_) => {}
            None if verdict != MobileVerdict::Covered => {
                out.push(site_silent(s).unwrap_or_else(|| Reason::NotMeasured { site: id.clone() }))
            }
            None => {}
        }
    }
    out
}

/// The reasons behind a commune's `any`-operator verdict, each with the operator it is about
/// (`None` for the commune as a whole): no site; the deciding operator's covering site; or,
/// when no operator covers, every measured operator's reasons and the silent registry sites.
pub fn commune_any_reasons(
    report: &Report,
    commune: &CommuneReport,
) -> Vec<(Option<String>, Reason)> {
    if commune.mobile == MobileVerdict::NoSite {
        return vec![(None, Reason::NoSite)];
    }
    if commune.mobile == MobileVerdict::Covered
        && let Some(d) = &commune.decided_by
    {
        let reasons = commune_operator_reasons(report, commune, &d.operator);
        return reasons
            .into_iter()
            .filter(|r| matches!(r, Reason::Covered { figures, .. } if figures.site == d.site))
            .map(|r| (Some(d.operator.clone()), r))
            .collect();
    }
    let mut out = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for (op, sites) in &commune.sites_by_operator {
        if sites.is_empty() {
            continue;
        }
        named.extend(sites.iter().map(String::as_str));
        for r in commune_operator_reasons(report, commune, op) {
            out.push((Some(op.clone()), r));
        }
    }
    for id in &commune.sites {
        if named.contains(&id.as_str()) {
            continue;
        }
        if let Some(r) = site(report, id).and_then(site_silent) {
            out.push((None, r));
        }
    }
    out
}

/// Rule: each flag of one site, in words through [`sentence`] (`no_data` reads as
/// [`Reason::SiteSilent`] does).
pub fn site_flags(s: &SiteReport) -> Vec<Reason> {
    s.flags
        .iter()
        .map(|flag| Reason::Flagged {
            site: s.id.clone(),
            flag: *flag,
            edge_distance_m: s.edge_distance_m,
            configured: s
                .configured_commune
                .as_ref()
                .map(|c| format!("{} {}", c.set, c.code)),
        })
        .collect()
}

/// The flags of the commune's sites (placement uncertain), except `no_data`, which
/// [`site_silent`] states among the verdict's reasons.
pub fn flag_reasons(report: &Report, commune: &CommuneReport) -> Vec<Reason> {
    commune
        .sites
        .iter()
        .filter_map(|id| site(report, id))
        .flat_map(site_flags)
        .filter(|r| {
            !matches!(
                r,
                Reason::Flagged {
                    flag: SiteFlag::NoData,
                    ..
                }
            )
        })
        .collect()
}

/// The mobile verdict of `commune` for a claim's operator (`None`: `any`).
fn commune_mobile(c: &CommuneReport, operator: Option<&str>) -> MobileVerdict {
    match operator {
        Some(op) => c
            .mobile_by_operator
            .get(op)
            .copied()
            .unwrap_or(MobileVerdict::NoSite),
        None => c.mobile,
    }
}

/// How one area counts for a claim, split as the report names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Shown,
    NotShown,
    NoSite,
    Insufficient,
}

fn mobile_outcome(v: MobileVerdict) -> Outcome {
    match v {
        MobileVerdict::Covered => Outcome::Shown,
        MobileVerdict::NotCovered => Outcome::NotShown,
        MobileVerdict::NoSite => Outcome::NoSite,
        MobileVerdict::InsufficientData => Outcome::Insufficient,
    }
}

fn fibre_outcome(v: FibreVerdict) -> Outcome {
    match v {
        FibreVerdict::Connected => Outcome::Shown,
        FibreVerdict::NotConnected => Outcome::NotShown,
        FibreVerdict::NoSite => Outcome::NoSite,
        FibreVerdict::InsufficientData => Outcome::Insufficient,
    }
}

/// The areas that decide `claim`, by name and code: those not shown, and the unknown ones
/// split into no site and too little data (the claim's own area lists, in their order).
pub fn deciding_areas(report: &Report, claim: &ClaimReport) -> DecidingAreas {
    let op = claim.operator.as_deref();
    let outcome_of = |code: &str| -> Option<(String, Outcome)> {
        match claim.level {
            Level::Communes => {
                let c = report.communes.iter().find(|c| c.code == code)?;
                let o = match claim.service {
                    Service::Mobile => mobile_outcome(commune_mobile(c, op)),
                    Service::Fibre => fibre_outcome(c.fibre),
                };
                Some((c.name.clone(), o))
            }
            Level::Districts => {
                let d = report.districts.iter().find(|d| d.code == code)?;
                let o = match claim.service {
                    Service::Fibre => fibre_outcome(d.fibre),
                    Service::Mobile => {
                        let verdicts: Vec<MobileVerdict> = report
                            .communes
                            .iter()
                            .filter(|c| c.district.as_deref() == Some(code))
                            .map(|c| commune_mobile(c, op))
                            .collect();
                        mobile_outcome(district_mobile_verdict(&verdicts))
                    }
                };
                Some((d.name.clone(), o))
            }
        }
    };
    let mut out = DecidingAreas::default();
    for code in claim.not_shown_areas.iter().chain(&claim.unknown_areas) {
        let (name, outcome) = outcome_of(code).unwrap_or((String::new(), Outcome::Insufficient));
        let area = NamedArea {
            code: code.clone(),
            name,
        };
        match outcome {
            Outcome::NotShown => out.not_shown.push(area),
            Outcome::NoSite => out.no_site.push(area),
            // An unknown area is insufficient_data unless it has no site; a shown area is not
            // in these lists.
            Outcome::Insufficient | Outcome::Shown => out.insufficient_data.push(area),
        }
    }
    out
}

/// Whether `policy` judges samples by this installation's default signal thresholds (for
/// every placement without its own, or in a placement override left at the defaults), not by
/// levels someone set: the report is then provisional.
pub fn is_provisional(policy: &UsablePolicy) -> bool {
    let d = Thresholds::default();
    policy.thresholds == d || policy.by_placement.values().any(|t| *t == d)
}

// ---------------------------------------------------------------------------------------------
// Sentences.

/// A configured percentage in words, with only the decimals it has: `95 %`, `99,5 %` (vi).
pub fn pct(lang: Lang, p: Pct) -> String {
    // Pct is exact in thousandths: 95 -> "95 %", 99.5 -> "99,5 %".
    let milli = p.milli();
    let decimals = if milli.is_multiple_of(1000) {
        0
    } else if milli.is_multiple_of(100) {
        1
    } else if milli.is_multiple_of(10) {
        2
    } else {
        3
    };
    format::percent(lang, milli as f64 / 100_000.0, decimals)
}

/// A bound in percent (already 0..=100, two decimals): `86.11 %`, `86,11 %`.
fn bound(lang: Lang, percent: f64) -> String {
    format!("{}\u{a0}%", format::decimal(lang, percent, 2))
}

fn interval_text(cat: &Catalogue, interval: Option<[f64; 2]>) -> String {
    let lang = cat.lang;
    match interval {
        Some([lo, hi]) => fill(
            cat.report.interval,
            &[
                ("lo", &format::decimal(lang, lo * 100.0, 0)),
                ("hi", &format::percent(lang, hi, 0)),
            ],
        ),
        None => cat.report.interval_none.to_owned(),
    }
}

fn share_sentence(template: &str, f: &SiteFigures, min: Pct, cat: &Catalogue) -> String {
    let lang = cat.lang;
    fill(
        template,
        &[
            ("site", &f.site),
            (
                "share",
                &f.share
                    .map_or_else(|| "–".to_owned(), |s| format::percent(lang, s, 1)),
            ),
            ("counted", &format::count(lang, f.counted)),
            ("interval", &interval_text(cat, f.interval)),
            ("min", &pct(lang, min)),
        ],
    )
}

/// One reason in words.
pub fn sentence(reason: &Reason, cat: &Catalogue) -> String {
    let (t, lang) = (cat.report, cat.lang);
    match reason {
        Reason::Covered { figures, min_share } => {
            share_sentence(t.reason_covered, figures, *min_share, cat)
        }
        Reason::BelowThreshold { figures, min_share } => {
            share_sentence(t.reason_below_threshold, figures, *min_share, cat)
        }
        Reason::TooFewSamples { site, counted, min } => fill(
            t.reason_too_few_samples,
            &[
                ("site", site),
                ("counted", &format::count(lang, *counted)),
                ("min", &format::count(lang, *min)),
            ],
        ),
        Reason::TooFewHours { site, hours, min } => fill(
            t.reason_too_few_hours,
            &[("site", site), ("hours", hours), ("min", min)],
        ),
        Reason::NothingCounted { site, samples } => fill(
            t.reason_nothing_counted,
            &[("site", site), ("samples", &format::count(lang, *samples))],
        ),
        Reason::NotMeasured { site } => fill(t.reason_not_measured, &[("site", site)]),
        Reason::NoSite => t.reason_no_site.to_owned(),
        Reason::NoSiteForOperator => t.reason_no_site_operator.to_owned(),
        Reason::SiteSilent { site } => fill(t.reason_site_silent, &[("site", site)]),
        Reason::Flagged {
            site,
            flag,
            edge_distance_m,
            configured,
        } => match flag {
            SiteFlag::NearEdge => fill(
                t.reason_flag_near_edge,
                &[
                    ("site", site),
                    (
                        "distance",
                        &edge_distance_m.map_or_else(
                            || "–".to_owned(),
                            |d| format!("{}\u{a0}m", format::decimal(lang, d, 0)),
                        ),
                    ),
                ],
            ),
            SiteFlag::Outside => fill(t.reason_flag_outside, &[("site", site)]),
            SiteFlag::ConfiguredElsewhere => fill(
                t.reason_flag_configured_elsewhere,
                &[
                    ("site", site),
                    ("configured", &configured.as_deref().unwrap_or("–")),
                ],
            ),
            SiteFlag::NoPosition => fill(t.reason_flag_no_position, &[("site", site)]),
            SiteFlag::NoData => fill(t.reason_site_silent, &[("site", site)]),
        },
    }
}

/// A reason about one operator, led by the operator's label (`Viettel (452-04): ...`).
pub fn operator_sentence(operator: Option<&str>, reason: &Reason, cat: &Catalogue) -> String {
    match operator {
        Some(op) => format!("{}: {}", operators::label(op), sentence(reason, cat)),
        None => sentence(reason, cat),
    }
}

/// The excluded samples with their reasons, `None` when none was excluded.
pub fn excluded_sentence(e: &ExcludedCounts, cat: &Catalogue) -> Option<String> {
    let (t, lang) = (cat.report, cat.lang);
    if e.total() == 0 {
        return None;
    }
    let parts: Vec<String> = [
        (t.excluded_reg_denied, e.reg_denied),
        (t.excluded_reg_unknown, e.reg_unknown),
        (t.excluded_clock_not_synced, e.clock_not_synced),
        (t.excluded_no_value, e.no_deciding_value),
        (t.excluded_unrecognised, e.unrecognised),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(tpl, n)| fill(tpl, &[("n", &format::count(lang, n))]))
    .collect();
    Some(fill(
        t.excluded_samples,
        &[
            ("n", &format::count(lang, e.total())),
            ("list", &parts.join(", ")),
        ],
    ))
}

/// A mobile verdict word.
pub fn mobile_word(v: MobileVerdict, cat: &Catalogue) -> &'static str {
    let t = cat.report;
    match v {
        MobileVerdict::Covered => t.verdict_covered,
        MobileVerdict::NotCovered => t.verdict_not_covered,
        MobileVerdict::InsufficientData => t.verdict_insufficient_data,
        MobileVerdict::NoSite => t.verdict_no_site,
    }
}

/// A fibre verdict word.
pub fn fibre_word(v: FibreVerdict, cat: &Catalogue) -> &'static str {
    let t = cat.report;
    match v {
        FibreVerdict::Connected => t.verdict_connected,
        FibreVerdict::NotConnected => t.verdict_not_connected,
        FibreVerdict::InsufficientData => t.verdict_insufficient_data,
        FibreVerdict::NoSite => t.verdict_no_site,
    }
}

/// A claim verdict word.
pub fn claim_word(v: ClaimVerdict, cat: &Catalogue) -> &'static str {
    let t = cat.report;
    match v {
        ClaimVerdict::Verified => t.claim_verified,
        ClaimVerdict::Refuted => t.claim_refuted,
        ClaimVerdict::Unproven => t.claim_unproven,
    }
}

/// The claim's verdict in one sentence, with the bounds; a fibre claim's adds that latency
/// shows reachability, not speed.
pub fn claim_sentence(claim: &ClaimReport, deciding: &DecidingAreas, cat: &Catalogue) -> String {
    let (t, lang) = (cat.report, cat.lang);
    // The refutation counts the areas not shown; the other sentences count all of them.
    let counted = match claim.verdict {
        ClaimVerdict::Refuted => claim.not_shown,
        _ => claim.total,
    };
    let areas = match (claim.level, counted == 1) {
        (Level::Communes, false) => t.areas_communes,
        (Level::Communes, true) => t.area_commune,
        (Level::Districts, false) => t.areas_districts,
        (Level::Districts, true) => t.area_district,
    };
    let measured = if claim.not_shown == 1 {
        t.was_measured_one
    } else {
        t.was_measured_many
    };
    let (shown_word, not_shown_word) = match claim.service {
        Service::Mobile => (t.shown_mobile, t.not_shown_mobile),
        Service::Fibre => (t.shown_fibre, t.not_shown_fibre),
    };
    let n = |x: u64| format::count(lang, x);
    let args: [(&str, &dyn std::fmt::Display); 13] = [
        ("measured", &measured),
        ("shown", &n(claim.shown)),
        ("not_shown", &n(claim.not_shown)),
        ("unknown", &n(claim.unknown)),
        ("no_site", &n(deciding.no_site.len() as u64)),
        ("insufficient", &n(deciding.insufficient_data.len() as u64)),
        ("total", &n(claim.total)),
        ("areas", &areas),
        ("shown_word", &shown_word),
        ("not_shown_word", &not_shown_word),
        ("lower", &bound(lang, claim.lower)),
        ("upper", &bound(lang, claim.upper)),
        ("target", &pct(lang, claim.target_pct)),
    ];
    let template = match claim.verdict {
        ClaimVerdict::Verified => t.claim_verified_sentence,
        ClaimVerdict::Refuted => t.claim_refuted_sentence,
        ClaimVerdict::Unproven => t.claim_unproven_sentence,
    };
    let mut s = fill(template, &args);
    if claim.service == Service::Fibre {
        s.push(' ');
        s.push_str(t.fibre_latency_note);
    }
    s
}

/// An RFC 3339 instant in the audit's time zone: `2025-11-01 00:00 (UTC+07:00)` (en),
/// `01/11/2025 00:00 (UTC+07:00)` (vi); seconds only when not zero. A string that is not
/// RFC 3339 is returned as it is.
pub fn local_time(rfc3339: &str, offset_hours: i32, lang: Lang) -> String {
    let (Ok(t), Some(zone)) = (
        DateTime::parse_from_rfc3339(rfc3339),
        FixedOffset::east_opt(offset_hours * 3600),
    ) else {
        return rfc3339.to_owned();
    };
    let local = t.with_timezone(&zone);
    let clock = if local.format("%S").to_string() == "00" {
        local.format("%H:%M").to_string()
    } else {
        local.format("%H:%M:%S").to_string()
    };
    format!(
        "{} {clock} (UTC{})",
        format::date(lang, local.date_naive()),
        offset(offset_hours)
    )
}

/// `+07:00`, `-03:00`.
pub fn offset(hours: i32) -> String {
    let sign = if hours < 0 { '-' } else { '+' };
    format!("{sign}{:02}:00", hours.unsigned_abs())
}

/// The audit's time zone in words (Vietnam's named at +7).
pub fn time_zone(offset_hours: i32, cat: &Catalogue) -> String {
    let template = if offset_hours == 7 {
        cat.report.time_zone_vietnam
    } else {
        cat.report.time_zone
    };
    fill(template, &[("offset", &offset(offset_hours))])
}

/// Each deciding number with its source: the default 95 % from QCVN 81:2019 section 2.1.1, 300
/// samples from VNNIC (i-Speed), 12 hours this project's rule; a changed value is the
/// configuration's.
pub fn threshold_sources(t: &ThresholdsReport, cat: &Catalogue) -> Vec<String> {
    let (r, lang) = (cat.report, cat.lang);
    let d = AuditConfig::default();
    let line = |what: String, default: bool, source: &str| {
        fill(
            r.threshold_with_source,
            &[
                ("what", &what),
                (
                    "source",
                    &if default { source } else { r.source_configured },
                ),
            ],
        )
    };
    vec![
        line(
            fill(
                r.what_share,
                &[("share", &pct(lang, t.min_usable_share_pct))],
            ),
            t.min_usable_share_pct == d.min_usable_share_pct,
            r.source_qcvn_share,
        ),
        line(
            fill(
                r.what_samples,
                &[("n", &format::count(lang, t.min_samples))],
            ),
            t.min_samples == d.min_samples,
            r.source_vnnic_samples,
        ),
        line(
            fill(r.what_hours, &[("n", &t.min_distinct_hours)]),
            t.min_distinct_hours == d.min_distinct_hours,
            r.source_project_hours,
        ),
    ]
}

/// The definitions in `cat`'s language.
pub fn definitions(cat: &Catalogue) -> Vec<String> {
    let t = cat.report;
    [
        t.definition_classes,
        t.definition_site,
        t.definition_commune_operator,
        t.definition_commune_any,
        t.definition_district,
        t.definition_fibre_window,
        t.definition_fibre_area,
        t.definition_claims,
        t.definition_placement,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// The sentences behind one commune's verdicts.
pub fn commune_reasons(report: &Report, c: &CommuneReport, cat: &Catalogue) -> CommuneReasons {
    let flags: Vec<String> = flag_reasons(report, c)
        .iter()
        .map(|r| sentence(r, cat))
        .collect();
    let mut any: Vec<String> = commune_any_reasons(report, c)
        .iter()
        .map(|(op, r)| operator_sentence(op.as_deref(), r, cat))
        .collect();
    any.extend(flags.iter().cloned());
    let by_operator = c
        .mobile_by_operator
        .keys()
        .map(|op| {
            let mut v: Vec<String> = commune_operator_reasons(report, c, op)
                .iter()
                .map(|r| sentence(r, cat))
                .collect();
            if c.sites_by_operator.get(op).is_some_and(|s| !s.is_empty()) {
                v.extend(flags.iter().cloned());
            }
            (op.clone(), v)
        })
        .collect();
    CommuneReasons {
        any,
        by_operator,
        excluded: excluded_sentence(&c.excluded, cat),
    }
}

/// The report-wide sentences.
pub fn report_words(report: &Report, cat: &Catalogue) -> ReportWords {
    let (t, lang) = (cat.report, cat.lang);
    let offset_h = report.thresholds.timezone_offset_hours;
    let from = local_time(&report.from, offset_h, lang);
    let to = local_time(&report.to, offset_h, lang);
    let period = fill(t.period_range, &[("from", &from), ("to", &to)]);
    let provisional = is_provisional(&report.thresholds.policy);
    ReportWords {
        title: format!("{}: {}, {}", t.title, report.boundary_set, period),
        provisional: provisional.then(|| t.provisional_thresholds.to_owned()),
        time_zone: time_zone(offset_h, cat),
        from,
        to,
        period,
        thresholds_note: if provisional {
            t.thresholds_default_note
        } else {
            t.thresholds_configured_note
        }
        .to_owned(),
        threshold_sources: threshold_sources(&report.thresholds, cat),
        operators_source: fill(t.operators_source, &[("source", &operators::SOURCE)]),
    }
}

/// `report` with every sentence in `lang`: the language, the provisional flag, the commune
/// reasons, each claim's explanation and deciding areas, the report-wide words, the
/// definitions and the confidence note.
pub fn localised(mut report: Report, lang: Lang) -> Report {
    let cat = catalogue(lang);
    report.lang = lang;
    report.provisional_thresholds = is_provisional(&report.thresholds.policy);
    let reasons: Vec<CommuneReasons> = report
        .communes
        .iter()
        .map(|c| commune_reasons(&report, c, cat))
        .collect();
    for (c, r) in report.communes.iter_mut().zip(reasons) {
        c.reasons = r;
    }
    let deciding: Vec<DecidingAreas> = report
        .claims
        .iter()
        .map(|c| deciding_areas(&report, c))
        .collect();
    for (c, d) in report.claims.iter_mut().zip(deciding) {
        c.explanation = claim_sentence(c, &d, cat);
        c.deciding = d;
    }
    report.words = report_words(&report, cat);
    report.definitions = definitions(cat);
    report.confidence.note = cat.report.confidence_note;
    report
}

#[cfg(test)]
mod tests;

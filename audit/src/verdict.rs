//! Mobile verdicts: sample classes from aggregate rows, then site, commune and district verdicts.
//!
//! Pure functions, DESIGN.md "Coverage semantics" applied exactly:
//!
//! - **Classes** ([`row_classes`]): a row's points with `clock_synced = false` are excluded; the
//!   rest are classed by `coverage_shared::signal::classify_parts` on the row's tags. When the
//!   tags alone decide (`denied`, `unknown`, `searching`, `tech = none`...), every point gets
//!   that class; when the deciding value decides, points without it are excluded, the usable
//!   count comes from the aggregate and the rest are unusable. Unrecognised `tech`/`reg` tags
//!   are excluded as `unrecognised`.
//! - **Site and operator** ([`site_verdict`]): `covered` when usable / counted >= 95 % (in
//!   integers) with >= 300 counted samples in >= 12 distinct local hours of the day;
//!   `not_covered` when that evidence exists and the share is below; `insufficient_data`
//!   otherwise (and always when nothing was counted).
//! - **Commune per operator** ([`commune_operator_verdict`]) over the commune's sites *for that
//!   operator*: those that carry its SIM (a sample of it in the period, or the operator named
//!   for the site in the registry); a site with another operator's SIM is no evidence about
//!   this one, so a commune without such a site is `no_site`. **Commune, `any` operator**
//!   ([`commune_any_verdict`]) over the operators measured there; a registry site that sent no
//!   counted sample keeps it from `no_site`.
//! - **District** ([`district_mobile_verdict`]): the project's definition of a mobile claim at
//!   district level: a district is covered when *every* commune of it is covered.

use std::collections::{BTreeMap, BTreeSet};

use coverage_shared::signal::{
    Exclusion, SampleClass, UsablePolicy, classify_parts, deciding_field,
};
use coverage_shared::wire::{Reg, Tech};
use serde::Serialize;

use crate::config::{AuditConfig, Pct};
use crate::source::archive::parse_placement;
use crate::source::{HOUR_MS, MobileRow};

/// A mobile verdict word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MobileVerdict {
    /// Coverage shown.
    Covered,
    /// Evidence enough, and coverage below the threshold.
    NotCovered,
    /// Not enough evidence either way.
    InsufficientData,
    /// No site measures there.
    NoSite,
}

impl MobileVerdict {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            MobileVerdict::Covered => "covered",
            MobileVerdict::NotCovered => "not_covered",
            MobileVerdict::InsufficientData => "insufficient_data",
            MobileVerdict::NoSite => "no_site",
        }
    }
}

/// Samples left out of the denominator, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExcludedCounts {
    /// `reg = denied`.
    pub reg_denied: u64,
    /// `reg = unknown`.
    pub reg_unknown: u64,
    /// Registered without the deciding value.
    pub no_deciding_value: u64,
    /// `clock_synced = false`.
    pub clock_not_synced: u64,
    /// `tech` or `reg` tag this version does not know.
    pub unrecognised: u64,
}

impl ExcludedCounts {
    /// All excluded samples.
    pub fn total(&self) -> u64 {
        self.reg_denied
            + self.reg_unknown
            + self.no_deciding_value
            + self.clock_not_synced
            + self.unrecognised
    }

    /// Adds `other`.
    pub fn add(&mut self, other: &ExcludedCounts) {
        self.reg_denied += other.reg_denied;
        self.reg_unknown += other.reg_unknown;
        self.no_deciding_value += other.no_deciding_value;
        self.clock_not_synced += other.clock_not_synced;
        self.unrecognised += other.unrecognised;
    }

    fn add_reason(&mut self, reason: Exclusion, n: u64) {
        match reason {
            Exclusion::RegDenied => self.reg_denied += n,
            Exclusion::RegUnknown => self.reg_unknown += n,
            Exclusion::NoDecidingValue => self.no_deciding_value += n,
            Exclusion::ClockNotSynced => self.clock_not_synced += n,
        }
    }
}

/// Samples by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClassCounts {
    /// Usable samples.
    pub usable: u64,
    /// Unusable samples.
    pub unusable: u64,
    /// Excluded samples, by reason.
    pub excluded: ExcludedCounts,
}

impl ClassCounts {
    /// usable + unusable: the denominator.
    pub fn counted(&self) -> u64 {
        self.usable + self.unusable
    }

    /// Every sample.
    pub fn samples(&self) -> u64 {
        self.counted() + self.excluded.total()
    }

    /// Adds `other`.
    pub fn add(&mut self, other: &ClassCounts) {
        self.usable += other.usable;
        self.unusable += other.unusable;
        self.excluded.add(&other.excluded);
    }
}

/// The classes of one aggregate row's points (see the module doc).
pub fn row_classes(row: &MobileRow, policy: &UsablePolicy) -> ClassCounts {
    let mut out = ClassCounts::default();
    out.excluded.clock_not_synced = row.unsynced.samples;
    let kept = row.all.minus(&row.unsynced);
    let (Some(tech), Some(reg)) = (Tech::parse(&row.key.tech), Reg::parse(&row.key.reg)) else {
        out.excluded.unrecognised = kept.samples;
        return out;
    };
    let placement = parse_placement(&row.key.placement);
    // Without a value, the tags alone either decide the class or say the value decides.
    match classify_parts(tech, reg, None, &row.key.operator, placement, None, policy) {
        SampleClass::Excluded(Exclusion::NoDecidingValue) | SampleClass::Usable => {
            let valued = deciding_field(tech)
                .map_or(0, |f| kept.with_field(f))
                .min(kept.samples);
            let usable = kept.usable.min(valued);
            out.excluded.no_deciding_value = kept.samples - valued;
            out.usable = usable;
            out.unusable = valued - usable;
        }
        SampleClass::Excluded(reason) => out.excluded.add_reason(reason, kept.samples),
        SampleClass::Unusable => out.unusable = kept.samples,
    }
    out
}

/// The local hour of the day (0..24) of an hour bucket starting at `hour_ms` (UTC).
pub fn local_hour(hour_ms: i64, offset_hours: i32) -> u32 {
    let utc_hour = hour_ms.div_euclid(HOUR_MS).rem_euclid(24);
    // In 0..24 by rem_euclid.
    (utc_hour + i64::from(offset_hours)).rem_euclid(24) as u32
}

/// What decides a site's mobile verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MobileCriteria {
    /// Minimum usable share.
    pub min_share: Pct,
    /// Minimum counted samples.
    pub min_samples: u64,
    /// Minimum distinct local hours of the day.
    pub min_distinct_hours: u32,
}

impl From<&AuditConfig> for MobileCriteria {
    fn from(cfg: &AuditConfig) -> Self {
        MobileCriteria {
            min_share: cfg.min_usable_share_pct,
            min_samples: cfg.min_samples,
            min_distinct_hours: cfg.min_distinct_hours,
        }
    }
}

/// Everything measured at one site for one operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SiteOperatorStats {
    /// Samples by class.
    pub classes: ClassCounts,
    /// Per hour bucket (UTC start, ms) with counted samples: (usable, counted).
    pub hours: BTreeMap<i64, (u64, u64)>,
}

impl SiteOperatorStats {
    /// Adds one row's classes.
    pub fn add(&mut self, hour: i64, classes: &ClassCounts) {
        self.classes.add(classes);
        if classes.counted() > 0 {
            let e = self.hours.entry(hour).or_default();
            e.0 += classes.usable;
            e.1 += classes.counted();
        }
    }

    /// Distinct local hours of the day with at least one counted sample.
    pub fn distinct_hours(&self, offset_hours: i32) -> u32 {
        let set: BTreeSet<u32> = self
            .hours
            .keys()
            .map(|h| local_hour(*h, offset_hours))
            .collect();
        // At most 24.
        set.len() as u32
    }

    /// Hourly blocks (UTC hours) with counted samples: the `n` of the confidence interval.
    pub fn blocks(&self) -> u64 {
        self.hours.len() as u64
    }
}

/// The verdict for one site and operator.
pub fn site_verdict(
    usable: u64,
    counted: u64,
    distinct_hours: u32,
    criteria: &MobileCriteria,
) -> MobileVerdict {
    let enough = counted > 0
        && counted >= criteria.min_samples
        && distinct_hours >= criteria.min_distinct_hours;
    if !enough {
        MobileVerdict::InsufficientData
    } else if criteria.min_share.meets(usable, counted) {
        MobileVerdict::Covered
    } else {
        MobileVerdict::NotCovered
    }
}

/// A commune's verdict for one operator from the verdicts of its sites for that operator (a
/// registry site named for it without samples is `insufficient_data`): `covered` if any
/// site is; else `insufficient_data` if any site is; else `not_covered` if it has sites; else
/// `no_site`.
pub fn commune_operator_verdict(site_verdicts: &[MobileVerdict]) -> MobileVerdict {
    if site_verdicts.is_empty() {
        MobileVerdict::NoSite
    } else if site_verdicts.contains(&MobileVerdict::Covered) {
        MobileVerdict::Covered
    } else if site_verdicts
        .iter()
        .any(|v| matches!(v, MobileVerdict::InsufficientData | MobileVerdict::NoSite))
    {
        MobileVerdict::InsufficientData
    } else {
        MobileVerdict::NotCovered
    }
}

/// A commune's `any`-operator verdict from its per-operator verdicts over the operators measured
/// there: `covered` if any operator covers it; `not_covered` if every operator measured there
/// (at least one) is `not_covered`; `no_site` without mobile sites; else `insufficient_data`.
pub fn commune_any_verdict(has_sites: bool, operator_verdicts: &[MobileVerdict]) -> MobileVerdict {
    if !has_sites {
        MobileVerdict::NoSite
    } else if operator_verdicts.contains(&MobileVerdict::Covered) {
        MobileVerdict::Covered
    } else if !operator_verdicts.is_empty()
        && operator_verdicts
            .iter()
            .all(|v| *v == MobileVerdict::NotCovered)
    {
        MobileVerdict::NotCovered
    } else {
        MobileVerdict::InsufficientData
    }
}

/// A district's mobile verdict (the definition behind `mobile:districts:...` claims): `covered`
/// when every commune is covered; `not_covered` when any commune is not covered; `no_site` when
/// no commune has a site; else `insufficient_data`. An empty district is `no_site`.
pub fn district_mobile_verdict(commune_verdicts: &[MobileVerdict]) -> MobileVerdict {
    if commune_verdicts.is_empty() || commune_verdicts.iter().all(|v| *v == MobileVerdict::NoSite) {
        MobileVerdict::NoSite
    } else if commune_verdicts
        .iter()
        .all(|v| *v == MobileVerdict::Covered)
    {
        MobileVerdict::Covered
    } else if commune_verdicts.contains(&MobileVerdict::NotCovered) {
        MobileVerdict::NotCovered
    } else {
        MobileVerdict::InsufficientData
    }
}

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for a share `p` observed over `n` independent units; `None` for n = 0.
///
/// The audit passes the usable share and `n` = hourly blocks, not samples: samples a minute
/// apart are not independent, so each hour counts as one unit (a conservative effective size).
pub fn wilson(p: f64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 || !p.is_finite() {
        return None;
    }
    let n = n as f64;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = p + z2 / (2.0 * n);
    let margin = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let lo = ((centre - margin) / denom).clamp(0.0, 1.0);
    let hi = ((centre + margin) / denom).clamp(0.0, 1.0);
    Some((lo, hi))
}

/// Rounds a share for printing (4 decimals), so reports stay short and stable.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// usable / counted rounded to 4 decimals; `None` when nothing was counted.
pub fn share(usable: u64, counted: u64) -> Option<f64> {
    (counted > 0).then(|| round4(usable as f64 / counted as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FieldCounts, MobileKey};
    use MobileVerdict::*;
    use coverage_shared::signal::Thresholds;
    use coverage_shared::wire::Placement;

    fn crit() -> MobileCriteria {
        MobileCriteria::from(&AuditConfig::default())
    }

    fn row(tech: &str, reg: &str, all: FieldCounts, unsynced: FieldCounts) -> MobileRow {
        MobileRow {
            key: MobileKey {
                site: "s".into(),
                operator: "452-04".into(),
                tech: tech.into(),
                reg: reg.into(),
                placement: "indoor".into(),
                hour: 0,
            },
            all,
            unsynced,
        }
    }

    fn fc(samples: u64, rsrp: u64, usable: u64) -> FieldCounts {
        FieldCounts {
            samples,
            rsrp_dbm: rsrp,
            usable,
            ..Default::default()
        }
    }

    #[test]
    fn site_verdict_edges() {
        let c = crit();
        // Exactly 95 % of exactly 300 in exactly 12 hours.
        assert_eq!(site_verdict(285, 300, 12, &c), Covered);
        assert_eq!(site_verdict(284, 300, 12, &c), NotCovered);
        assert_eq!(site_verdict(285, 300, 11, &c), InsufficientData);
        assert_eq!(site_verdict(284, 299, 24, &c), InsufficientData);
        assert_eq!(site_verdict(299, 299, 24, &c), InsufficientData);
        assert_eq!(site_verdict(0, 300, 12, &c), NotCovered);
        assert_eq!(site_verdict(300, 300, 24, &c), Covered);
        // 95 % of 301 is 285.95: 286 needed.
        assert_eq!(site_verdict(286, 301, 12, &c), Covered);
        assert_eq!(site_verdict(285, 301, 12, &c), NotCovered);
        let zero = MobileCriteria {
            min_samples: 0,
            min_distinct_hours: 0,
            ..c
        };
        assert_eq!(
            site_verdict(0, 0, 0, &zero),
            InsufficientData,
            "nothing counted"
        );
        let fine = MobileCriteria {
            min_share: Pct::parse("99.5").unwrap(),
            ..c
        };
        assert_eq!(site_verdict(995, 1000, 12, &fine), Covered);
        assert_eq!(site_verdict(994, 1000, 12, &fine), NotCovered);
    }

    #[test]
    fn classes_from_rows() {
        let p = UsablePolicy::default();
        // 10 points: 2 unsynced (1 of them usable), 1 without value, 6 usable in total.
        let r = row("lte", "home", fc(10, 9, 6), fc(2, 2, 1));
        let c = row_classes(&r, &p);
        assert_eq!(c.excluded.clock_not_synced, 2);
        assert_eq!(c.excluded.no_deciding_value, 1);
        assert_eq!(c.usable, 5);
        assert_eq!(c.unusable, 2);
        assert_eq!(c.samples(), 10);
        // Tags decide alone.
        let c = row_classes(&row("lte", "denied", fc(4, 4, 0), fc(1, 1, 0)), &p);
        assert_eq!(
            (
                c.excluded.reg_denied,
                c.excluded.clock_not_synced,
                c.counted()
            ),
            (3, 1, 0)
        );
        let c = row_classes(
            &row("lte", "unknown", fc(4, 4, 0), FieldCounts::default()),
            &p,
        );
        assert_eq!(c.excluded.reg_unknown, 4);
        for reg in ["searching", "none", "limited"] {
            let c = row_classes(&row("lte", reg, fc(4, 4, 0), FieldCounts::default()), &p);
            assert_eq!(c.unusable, 4, "{reg}");
        }
        let c = row_classes(
            &row("none", "home", fc(4, 0, 0), FieldCounts::default()),
            &p,
        );
        assert_eq!(c.unusable, 4);
        // Roaming not counted as own: valued samples are unusable, valueless still excluded.
        let c = row_classes(
            &row("lte", "roaming", fc(4, 3, 0), FieldCounts::default()),
            &p,
        );
        assert_eq!((c.unusable, c.excluded.no_deciding_value), (3, 1));
        // GSM is decided by RSSI: rsrp counts do not matter.
        let gsm = MobileRow {
            all: FieldCounts {
                samples: 5,
                rssi_dbm: 4,
                rsrp_dbm: 5,
                usable: 4,
                ..Default::default()
            },
            ..row(
                "gsm",
                "home",
                FieldCounts::default(),
                FieldCounts::default(),
            )
        };
        let c = row_classes(&gsm, &p);
        assert_eq!(
            (c.usable, c.unusable, c.excluded.no_deciding_value),
            (4, 0, 1)
        );
        let c = row_classes(&row("6g", "home", fc(4, 4, 0), FieldCounts::default()), &p);
        assert_eq!(c.excluded.unrecognised, 4);
    }

    #[test]
    fn classes_agree_with_classify_parts_sample_by_sample() {
        // For every tech/reg and a value above, at and below the threshold, one point per row:
        // the class from the row equals classify_parts on the point.
        let mut p = UsablePolicy::default();
        p.by_placement.insert(
            Placement::Indoor,
            Thresholds {
                lte_rsrp_dbm: -100.0,
                ..Thresholds::default()
            },
        );
        for tech in Tech::ALL {
            for reg in Reg::ALL {
                for value in [None, Some(-99.0), Some(-100.0), Some(-100.5), Some(-111.0)] {
                    for clock in [None, Some(true), Some(false)] {
                        let expected = classify_parts(
                            tech,
                            reg,
                            value.filter(|_| deciding_field(tech).is_some()),
                            "452-04",
                            Some(Placement::Indoor),
                            clock,
                            &p,
                        );
                        let has = value.is_some() && deciding_field(tech).is_some();
                        let usable = classify_parts(
                            tech,
                            reg,
                            value.filter(|_| has),
                            "452-04",
                            Some(Placement::Indoor),
                            None,
                            &p,
                        ) == SampleClass::Usable;
                        let mut counts = FieldCounts {
                            samples: 1,
                            usable: u64::from(usable),
                            ..Default::default()
                        };
                        if let (true, Some(f)) = (has, deciding_field(tech)) {
                            match f {
                                "rsrp_dbm" => counts.rsrp_dbm = 1,
                                "ss_rsrp_dbm" => counts.ss_rsrp_dbm = 1,
                                "rscp_dbm" => counts.rscp_dbm = 1,
                                _ => counts.rssi_dbm = 1,
                            }
                        }
                        let unsynced = if clock == Some(false) {
                            counts
                        } else {
                            FieldCounts::default()
                        };
                        let c =
                            row_classes(&row(tech.as_str(), reg.as_str(), counts, unsynced), &p);
                        let got = if c.usable == 1 {
                            SampleClass::Usable
                        } else if c.unusable == 1 {
                            SampleClass::Unusable
                        } else if c.excluded.reg_denied == 1 {
                            SampleClass::Excluded(Exclusion::RegDenied)
                        } else if c.excluded.reg_unknown == 1 {
                            SampleClass::Excluded(Exclusion::RegUnknown)
                        } else if c.excluded.no_deciding_value == 1 {
                            SampleClass::Excluded(Exclusion::NoDecidingValue)
                        } else {
                            SampleClass::Excluded(Exclusion::ClockNotSynced)
                        };
                        assert_eq!(got, expected, "{tech:?} {reg:?} {value:?} {clock:?}");
                        assert_eq!(c.samples(), 1);
                    }
                }
            }
        }
    }

    #[test]
    fn distinct_local_hours() {
        assert_eq!(local_hour(0, 7), 7);
        assert_eq!(local_hour(17 * HOUR_MS, 7), 0);
        assert_eq!(local_hour(-HOUR_MS, 0), 23);
        let mut s = SiteOperatorStats::default();
        let one = ClassCounts {
            usable: 1,
            ..Default::default()
        };
        // The same local hour on two days counts once; an hour with only excluded samples not.
        s.add(0, &one);
        s.add(24 * HOUR_MS, &one);
        s.add(
            HOUR_MS,
            &ClassCounts {
                excluded: ExcludedCounts {
                    reg_denied: 3,
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        s.add(
            2 * HOUR_MS,
            &ClassCounts {
                unusable: 1,
                ..Default::default()
            },
        );
        assert_eq!(s.distinct_hours(7), 2);
        assert_eq!(s.blocks(), 3);
        assert_eq!(s.classes.samples(), 6);
    }

    #[test]
    fn commune_rules() {
        assert_eq!(commune_operator_verdict(&[]), NoSite);
        assert_eq!(commune_operator_verdict(&[NotCovered, Covered]), Covered);
        assert_eq!(
            commune_operator_verdict(&[NotCovered, InsufficientData]),
            InsufficientData
        );
        assert_eq!(
            commune_operator_verdict(&[NotCovered, NotCovered]),
            NotCovered
        );

        assert_eq!(commune_any_verdict(false, &[]), NoSite);
        assert_eq!(commune_any_verdict(true, &[]), InsufficientData);
        assert_eq!(commune_any_verdict(true, &[NotCovered, Covered]), Covered);
        assert_eq!(
            commune_any_verdict(true, &[NotCovered, NotCovered]),
            NotCovered
        );
        assert_eq!(
            commune_any_verdict(true, &[NotCovered, InsufficientData]),
            InsufficientData
        );
        assert_eq!(
            commune_any_verdict(true, &[InsufficientData, Covered]),
            Covered
        );

        assert_eq!(district_mobile_verdict(&[]), NoSite);
        assert_eq!(district_mobile_verdict(&[NoSite, NoSite]), NoSite);
        assert_eq!(district_mobile_verdict(&[Covered, Covered]), Covered);
        assert_eq!(
            district_mobile_verdict(&[Covered, NotCovered, InsufficientData]),
            NotCovered
        );
        assert_eq!(
            district_mobile_verdict(&[Covered, NoSite]),
            InsufficientData
        );
        assert_eq!(
            district_mobile_verdict(&[Covered, InsufficientData]),
            InsufficientData
        );
    }

    #[test]
    fn wilson_interval() {
        assert_eq!(wilson(0.5, 0, Z95), None);
        let (lo, hi) = wilson(0.95, 24, Z95).unwrap();
        assert!(lo < 0.95 && hi > 0.95 && lo > 0.7 && hi <= 1.0, "{lo} {hi}");
        let (lo, hi) = wilson(1.0, 10, Z95).unwrap();
        assert!((hi - 1.0).abs() < 1e-12, "{hi}");
        assert!((lo - 0.7225).abs() < 1e-3, "{lo}");
        // More hours, narrower.
        let (l2, _) = wilson(1.0, 100, Z95).unwrap();
        assert!(l2 > lo);
    }
}

//! Signal classes: whether a sample counts for the audit, and how good it is for a technician.
//!
//! Two different questions, kept apart on purpose:
//!
//! - [`classify`] answers the audit's question (DESIGN.md, "Mobile sample classes"): is this
//!   sample **usable**, **unusable**, or **excluded** from the denominator? The deciding value
//!   depends on the technology ([`deciding_field`]); the thresholds are configuration
//!   ([`UsablePolicy`]) and may differ by placement.
//! - [`quality_band`] answers the technician's question: `none/poor/moderate/good/great`, from
//!   the Android AOSP default bars (`reference/thresholds.md` §4), configurable.
//!
//! The collector's InfluxQL aggregates encode the same rules in a `WHERE` clause; both are
//! generated from the same [`UsablePolicy`], so the per-sample and the aggregated paths agree.

use crate::wire::{Placement, RadioValues, Reg, Tech};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The wire field that decides a sample of `tech`, or `None` for `tech: none`.
pub fn deciding_field(tech: Tech) -> Option<&'static str> {
    match tech {
        Tech::Lte | Tech::Nr5gNsa => Some("rsrp_dbm"),
        Tech::Nr5gSa => Some("ss_rsrp_dbm"),
        Tech::Umts => Some("rscp_dbm"),
        Tech::Gsm => Some("rssi_dbm"),
        Tech::None => None,
    }
}

/// The deciding value of a sample, if the modem gave it.
pub fn deciding_value(radio: &RadioValues) -> Option<f64> {
    let field = deciding_field(radio.tech)?;
    radio
        .values()
        .into_iter()
        .find(|(n, _)| *n == field)
        .and_then(|(_, v)| v)
}

/// Minimum deciding values (dBm) for a sample to be usable, per technology.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// LTE and NR-NSA (LTE anchor) RSRP, dBm.
    #[serde(default = "default_lte_rsrp")]
    pub lte_rsrp_dbm: f64,
    /// NR-SA SS-RSRP, dBm.
    #[serde(default = "default_nr_ss_rsrp")]
    pub nr_ss_rsrp_dbm: f64,
    /// UMTS RSCP, dBm.
    #[serde(default = "default_umts_rscp")]
    pub umts_rscp_dbm: f64,
    /// GSM RSSI, dBm.
    #[serde(default = "default_gsm_rssi")]
    pub gsm_rssi_dbm: f64,
}

fn default_lte_rsrp() -> f64 {
    -110.0
}
fn default_nr_ss_rsrp() -> f64 {
    -110.0
}
fn default_umts_rscp() -> f64 {
    -100.0
}
fn default_gsm_rssi() -> f64 {
    -100.0
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            lte_rsrp_dbm: default_lte_rsrp(),
            nr_ss_rsrp_dbm: default_nr_ss_rsrp(),
            umts_rscp_dbm: default_umts_rscp(),
            gsm_rssi_dbm: default_gsm_rssi(),
        }
    }
}

impl Thresholds {
    /// The minimum deciding value for `tech`, or `None` for `tech: none`.
    pub fn for_tech(&self, tech: Tech) -> Option<f64> {
        match tech {
            Tech::Lte | Tech::Nr5gNsa => Some(self.lte_rsrp_dbm),
            Tech::Nr5gSa => Some(self.nr_ss_rsrp_dbm),
            Tech::Umts => Some(self.umts_rscp_dbm),
            Tech::Gsm => Some(self.gsm_rssi_dbm),
            Tech::None => None,
        }
    }
}

/// Where the default thresholds come from; printed in every report.
pub const THRESHOLD_SOURCES: &str = "usable: LTE/NR-NSA RSRP >= -110 dBm, NR-SA SS-RSRP >= -110 dBm, \
UMTS RSCP >= -100 dBm, GSM RSSI >= -100 dBm (DESIGN.md defaults near Android AOSP 'moderate' bars: \
LTE -118/-108, WCDMA -105/-95 dBm; QCVN 81:2019 s1.4.5 minimum levels not yet read); \
site covered when usable share >= 95% (QCVN 81:2019 s2.1.1 radio network availability) with \
>= 300 samples (VNNIC i-Speed) in >= 12 distinct local hours";

/// Everything that decides whether a sample is usable (DESIGN.md, "Mobile sample classes").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsablePolicy {
    /// Thresholds for every placement without its own.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Per-placement overrides (QCVN 81 sets minimum levels per placement).
    #[serde(default)]
    pub by_placement: BTreeMap<Placement, Thresholds>,
    /// Home operators (`MCC-MNC`) whose roaming samples count as their own network
    /// (national roaming agreements); roaming for any other operator is unusable.
    #[serde(default)]
    pub roaming_counts_for: Vec<String>,
    /// Technologies that count; a sample on any other technology is unusable. Empty = all.
    #[serde(default)]
    pub usable_techs: Vec<Tech>,
}

impl UsablePolicy {
    /// The thresholds in force for `placement`.
    pub fn thresholds_for(&self, placement: Option<Placement>) -> &Thresholds {
        placement
            .and_then(|p| self.by_placement.get(&p))
            .unwrap_or(&self.thresholds)
    }

    /// Whether samples on `tech` can count as usable at all.
    pub fn tech_counts(&self, tech: Tech) -> bool {
        tech != Tech::None && (self.usable_techs.is_empty() || self.usable_techs.contains(&tech))
    }

    /// Whether a roaming sample of home operator `operator` (`MCC-MNC`) counts as its own.
    pub fn roaming_counts(&self, operator: &str) -> bool {
        self.roaming_counts_for.iter().any(|o| o == operator)
    }
}

/// Why a sample is left out of the denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// `reg` is `denied`: a SIM or account fault, not coverage.
    RegDenied,
    /// `reg` is `unknown`.
    RegUnknown,
    /// Registered, but the deciding value is null.
    NoDecidingValue,
    /// `clock_synced: false`: the time of the sample cannot be trusted.
    ClockNotSynced,
}

/// The audit class of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleClass {
    /// Counts for coverage.
    Usable,
    /// Counts against coverage.
    Unusable,
    /// Left out of the denominator.
    Excluded(Exclusion),
}

/// What [`classify`] needs to know about one sample.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// Measured values, registration and technology.
    pub radio: &'a RadioValues,
    /// The SIM's home operator, `MCC-MNC`.
    pub operator: &'a str,
    /// Antenna placement.
    pub placement: Option<Placement>,
    /// The common `clock_synced` field.
    pub clock_synced: Option<bool>,
}

/// Classifies one sample as DESIGN.md defines it.
pub fn classify(sample: Sample<'_>, policy: &UsablePolicy) -> SampleClass {
    classify_parts(
        sample.radio.tech,
        sample.radio.reg,
        deciding_value(sample.radio),
        sample.operator,
        sample.placement,
        sample.clock_synced,
        policy,
    )
}

/// [`classify`] on the parts the audit keeps per aggregate group.
pub fn classify_parts(
    tech: Tech,
    reg: Reg,
    deciding: Option<f64>,
    operator: &str,
    placement: Option<Placement>,
    clock_synced: Option<bool>,
    policy: &UsablePolicy,
) -> SampleClass {
    if clock_synced == Some(false) {
        return SampleClass::Excluded(Exclusion::ClockNotSynced);
    }
    match reg {
        Reg::Denied => return SampleClass::Excluded(Exclusion::RegDenied),
        Reg::Unknown => return SampleClass::Excluded(Exclusion::RegUnknown),
        Reg::Searching | Reg::None | Reg::Limited => return SampleClass::Unusable,
        Reg::Home | Reg::Roaming => {}
    }
    if tech == Tech::None {
        return SampleClass::Unusable;
    }
    let Some(value) = deciding else {
        return SampleClass::Excluded(Exclusion::NoDecidingValue);
    };
    if reg == Reg::Roaming && !policy.roaming_counts(operator) {
        return SampleClass::Unusable;
    }
    if !policy.tech_counts(tech) {
        return SampleClass::Unusable;
    }
    match policy.thresholds_for(placement).for_tech(tech) {
        Some(min) if value >= min => SampleClass::Usable,
        _ => SampleClass::Unusable,
    }
}

/// A technician's quality band for the current signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// No serving cell, or below the `poor` bound.
    None,
    /// At or above the `poor` bound.
    Poor,
    /// At or above the `moderate` bound.
    Moderate,
    /// At or above the `good` bound.
    Good,
    /// At or above the `great` bound.
    Great,
}

impl Band {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::None => "none",
            Band::Poor => "poor",
            Band::Moderate => "moderate",
            Band::Good => "good",
            Band::Great => "great",
        }
    }
}

/// Lower bounds (dBm) of poor, moderate, good and great for one technology's deciding value.
pub type BandBounds = [f64; 4];

/// Quality-band bounds per technology; defaults are Android AOSP's `CarrierConfigManager`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandTable {
    /// LTE / NR-NSA RSRP (AOSP `KEY_LTE_RSRP_THRESHOLDS_INT_ARRAY`).
    #[serde(default = "aosp_lte")]
    pub lte_rsrp_dbm: BandBounds,
    /// NR-SA SS-RSRP (AOSP `KEY_5G_NR_SSRSRP_THRESHOLDS_INT_ARRAY`).
    #[serde(default = "aosp_nr")]
    pub nr_ss_rsrp_dbm: BandBounds,
    /// UMTS RSCP (AOSP `KEY_WCDMA_RSCP_THRESHOLDS_INT_ARRAY`).
    #[serde(default = "aosp_umts")]
    pub umts_rscp_dbm: BandBounds,
    /// GSM RSSI (AOSP `KEY_GSM_RSSI_THRESHOLDS_INT_ARRAY`).
    #[serde(default = "aosp_gsm")]
    pub gsm_rssi_dbm: BandBounds,
}

fn aosp_lte() -> BandBounds {
    [-128.0, -118.0, -108.0, -98.0]
}
fn aosp_nr() -> BandBounds {
    [-110.0, -90.0, -80.0, -65.0]
}
fn aosp_umts() -> BandBounds {
    [-115.0, -105.0, -95.0, -85.0]
}
fn aosp_gsm() -> BandBounds {
    [-107.0, -103.0, -97.0, -89.0]
}

impl Default for BandTable {
    fn default() -> Self {
        BandTable {
            lte_rsrp_dbm: aosp_lte(),
            nr_ss_rsrp_dbm: aosp_nr(),
            umts_rscp_dbm: aosp_umts(),
            gsm_rssi_dbm: aosp_gsm(),
        }
    }
}

/// The quality band of a sample's deciding value (`none` without service or value).
pub fn quality_band(radio: &RadioValues, table: &BandTable) -> Band {
    let bounds = match radio.tech {
        Tech::Lte | Tech::Nr5gNsa => table.lte_rsrp_dbm,
        Tech::Nr5gSa => table.nr_ss_rsrp_dbm,
        Tech::Umts => table.umts_rscp_dbm,
        Tech::Gsm => table.gsm_rssi_dbm,
        Tech::None => return Band::None,
    };
    let Some(v) = deciding_value(radio) else {
        return Band::None;
    };
    let bands = [Band::Poor, Band::Moderate, Band::Good, Band::Great];
    bounds
        .iter()
        .zip(bands)
        .rev()
        .find(|(b, _)| v >= **b)
        .map_or(Band::None, |(_, band)| band)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn radio(tech: Tech, reg: Reg, value: Option<f64>) -> RadioValues {
        let mut r = RadioValues::no_service(reg);
        r.tech = tech;
        if let Some(field) = deciding_field(tech) {
            *r.value_mut(field).unwrap() = value;
        }
        r
    }

    fn class(tech: Tech, reg: Reg, value: Option<f64>) -> SampleClass {
        let r = radio(tech, reg, value);
        classify(
            Sample {
                radio: &r,
                operator: "452-04",
                placement: None,
                clock_synced: Some(true),
            },
            &UsablePolicy::default(),
        )
    }

    #[test]
    fn thresholds_are_inclusive_per_technology() {
        for (tech, min) in [
            (Tech::Lte, -110.0),
            (Tech::Nr5gNsa, -110.0),
            (Tech::Nr5gSa, -110.0),
            (Tech::Umts, -100.0),
            (Tech::Gsm, -100.0),
        ] {
            assert_eq!(
                class(tech, Reg::Home, Some(min)),
                SampleClass::Usable,
                "{tech:?} at"
            );
            assert_eq!(
                class(tech, Reg::Home, Some(min - 0.5)),
                SampleClass::Unusable,
                "{tech:?} below"
            );
        }
    }

    #[test]
    fn nr_nsa_is_decided_by_the_lte_anchor() {
        let mut r = radio(Tech::Nr5gNsa, Reg::Home, Some(-120.0));
        r.ss_rsrp_dbm = Some(-70.0);
        assert_eq!(deciding_value(&r), Some(-120.0));
    }

    #[test]
    fn registration_rules() {
        assert_eq!(
            class(Tech::Lte, Reg::Searching, Some(-80.0)),
            SampleClass::Unusable
        );
        assert_eq!(class(Tech::Lte, Reg::None, None), SampleClass::Unusable);
        assert_eq!(
            class(Tech::Lte, Reg::Limited, Some(-80.0)),
            SampleClass::Unusable
        );
        assert_eq!(class(Tech::None, Reg::Home, None), SampleClass::Unusable);
        assert_eq!(
            class(Tech::Lte, Reg::Denied, Some(-80.0)),
            SampleClass::Excluded(Exclusion::RegDenied)
        );
        assert_eq!(
            class(Tech::Lte, Reg::Unknown, Some(-80.0)),
            SampleClass::Excluded(Exclusion::RegUnknown)
        );
        assert_eq!(
            class(Tech::Lte, Reg::Home, None),
            SampleClass::Excluded(Exclusion::NoDecidingValue)
        );
    }

    #[test]
    fn unsynced_clock_is_excluded_but_unknown_clock_counts() {
        let r = radio(Tech::Lte, Reg::Home, Some(-80.0));
        let p = UsablePolicy::default();
        let s = |clock_synced| Sample {
            radio: &r,
            operator: "452-04",
            placement: None,
            clock_synced,
        };
        assert_eq!(
            classify(s(Some(false)), &p),
            SampleClass::Excluded(Exclusion::ClockNotSynced)
        );
        assert_eq!(classify(s(None), &p), SampleClass::Usable);
    }

    #[test]
    fn roaming_counts_only_where_configured() {
        let r = radio(Tech::Lte, Reg::Roaming, Some(-80.0));
        let mut p = UsablePolicy::default();
        let s = Sample {
            radio: &r,
            operator: "452-04",
            placement: None,
            clock_synced: None,
        };
        assert_eq!(classify(s, &p), SampleClass::Unusable);
        p.roaming_counts_for.push("452-04".into());
        assert_eq!(classify(s, &p), SampleClass::Usable);
    }

    #[test]
    fn usable_techs_and_placement_overrides() {
        let r = radio(Tech::Gsm, Reg::Home, Some(-90.0));
        let mut p = UsablePolicy::default();
        let s = Sample {
            radio: &r,
            operator: "452-04",
            placement: Some(Placement::Indoor),
            clock_synced: None,
        };
        assert_eq!(classify(s, &p), SampleClass::Usable);
        p.usable_techs = vec![Tech::Lte, Tech::Nr5gSa];
        assert_eq!(classify(s, &p), SampleClass::Unusable);
        p.usable_techs.clear();
        p.by_placement.insert(
            Placement::Indoor,
            Thresholds {
                gsm_rssi_dbm: -85.0,
                ..Thresholds::default()
            },
        );
        assert_eq!(classify(s, &p), SampleClass::Unusable);
        let outdoor = Sample {
            placement: Some(Placement::Outdoor),
            ..s
        };
        assert_eq!(classify(outdoor, &p), SampleClass::Usable);
    }

    #[test]
    fn quality_bands_follow_aosp_bounds() {
        let t = BandTable::default();
        for (v, band) in [
            (-129.0, Band::None),
            (-128.0, Band::Poor),
            (-118.0, Band::Moderate),
            (-108.5, Band::Moderate),
            (-108.0, Band::Good),
            (-98.0, Band::Great),
            (-60.0, Band::Great),
        ] {
            assert_eq!(
                quality_band(&radio(Tech::Lte, Reg::Home, Some(v)), &t),
                band,
                "{v}"
            );
        }
        assert_eq!(
            quality_band(&radio(Tech::None, Reg::Searching, None), &t),
            Band::None
        );
        assert_eq!(
            quality_band(&radio(Tech::Umts, Reg::Home, Some(-100.0)), &t),
            Band::Moderate
        );
    }

    #[test]
    fn policy_config_rejects_unknown_keys() {
        let err = toml_like(r#"{"thresholds": {"lte_rsrp": -100}}"#).unwrap_err();
        assert!(err.contains("lte_rsrp"), "{err}");
        let ok = toml_like(r#"{"thresholds": {"lte_rsrp_dbm": -100}, "usable_techs": ["lte"]}"#)
            .unwrap();
        assert_eq!(ok.thresholds.lte_rsrp_dbm, -100.0);
        assert_eq!(ok.thresholds.gsm_rssi_dbm, -100.0);
    }

    fn toml_like(json: &str) -> Result<UsablePolicy, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }
}

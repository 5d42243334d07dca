//! The audit's configuration: the `[audit]` table of the collector config.
//!
//! Every number the verdicts depend on lives here, with its default in a named function, so a
//! report can print exactly the thresholds it used. Invariants, checked by
//! [`AuditConfig::validate`] before any data is read:
//!
//! - percentages are [`Pct`]: 0..=100 with at most three decimals, held as integers so that
//!   every comparison of a share with a threshold is done in integers (`usable x 100 >= 95 x
//!   counted`), never in floating point;
//! - dBm thresholds, the RTT bound and site positions are finite (they are written into
//!   InfluxQL, which has no NaN, and compared with `>=`);
//! - site ids are unique and look like wire-format site ids;
//! - the fibre target, when set, contains no control character (InfluxQL string literals cannot
//!   carry a newline).

use coverage_shared::signal::UsablePolicy;
use coverage_shared::wire::Tech;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::AuditError;

/// A percentage with at most three decimals, stored in thousandths of a percent.
///
/// Deserialises from a TOML/JSON number (`95`, `99.5`); serialises back as the same number.
/// Comparisons with shares are exact integer arithmetic ([`Pct::meets`], [`Pct::at_most`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pct {
    /// Thousandths of a percent: 95 % is 95 000.
    milli: u64,
}

impl Pct {
    /// 100 %.
    pub const HUNDRED: Pct = Pct { milli: 100_000 };

    /// A whole percentage (`Pct::whole(95)` is 95 %); values above 100 are clamped.
    pub const fn whole(percent: u64) -> Pct {
        let p = if percent > 100 { 100 } else { percent };
        Pct { milli: p * 1000 }
    }

    /// From thousandths of a percent; `None` above 100 %.
    pub const fn from_milli(milli: u64) -> Option<Pct> {
        if milli > 100_000 {
            None
        } else {
            Some(Pct { milli })
        }
    }

    /// Thousandths of a percent.
    pub const fn milli(self) -> u64 {
        self.milli
    }

    /// From a float such as `99.5`; `None` when not finite, outside 0..=100 or finer than
    /// a thousandth of a percent.
    pub fn from_f64(value: f64) -> Option<Pct> {
        if !value.is_finite() || !(0.0..=100.0).contains(&value) {
            return None;
        }
        let scaled = value * 1000.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return None;
        }
        // In 0..=100_000 by the range check above.
        Pct::from_milli(rounded as u64)
    }

    /// Parses `95`, `99.5`, `100%` exactly (no floating point); `None` when malformed.
    pub fn parse(text: &str) -> Option<Pct> {
        let text = text.strip_suffix('%').unwrap_or(text);
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || int.len() > 3 || (text.contains('.') && !digits(frac)) || frac.len() > 3
        {
            return None;
        }
        let whole: u64 = int.parse().ok()?;
        let mut milli_frac: u64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            milli_frac += u64::from(b - b'0') * [100, 10, 1][i];
        }
        Pct::from_milli(whole.checked_mul(1000)? + milli_frac)
    }

    /// Whether `part / whole >= self`, exactly. `whole == 0` never meets a threshold.
    pub fn meets(self, part: u64, whole: u64) -> bool {
        whole > 0 && u128::from(part) * 100_000 >= u128::from(self.milli) * u128::from(whole)
    }

    /// Whether `part / whole <= self`, exactly. `whole == 0` is never at most anything.
    pub fn at_most(self, part: u64, whole: u64) -> bool {
        whole > 0 && u128::from(part) * 100_000 <= u128::from(self.milli) * u128::from(whole)
    }

    /// The value as a float, for printing.
    pub fn as_f64(self) -> f64 {
        self.milli as f64 / 1000.0
    }
}

impl std::fmt::Display for Pct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, frac) = (self.milli / 1000, self.milli % 1000);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let s = format!("{frac:03}");
            write!(f, "{whole}.{}", s.trim_end_matches('0'))
        }
    }
}

impl Serialize for Pct {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.milli.is_multiple_of(1000) {
            serializer.serialize_u64(self.milli / 1000)
        } else {
            serializer.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Pct {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Pct::from_f64(value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{value} is not a percentage from 0 to 100 with at most three decimals"
            ))
        })
    }
}

/// The audit's settings: the `[audit]` table of the collector config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Which samples are usable (thresholds per technology and placement, roaming, techs).
    #[serde(default)]
    pub policy: UsablePolicy,
    /// A site is covered for an operator when usable / counted is at least this (QCVN 81:2019
    /// radio network availability, 95 %).
    #[serde(default = "default_min_usable_share_pct")]
    pub min_usable_share_pct: Pct,
    /// Counted (usable + unusable) samples needed before a site can be judged (VNNIC i-Speed
    /// rates a commune from 300 samples).
    #[serde(default = "default_min_samples")]
    pub min_samples: u64,
    /// Distinct local hours of the day (0..24) with counted samples needed before a site can be
    /// judged, so that a verdict is not the picture of one quiet night.
    #[serde(default = "default_min_distinct_hours")]
    pub min_distinct_hours: u32,
    /// Offset of local time from UTC in whole hours, for "hours of the day" (Asia/Ho_Chi_Minh is
    /// UTC+7 without daylight saving since 1975).
    #[serde(default = "default_timezone_offset_hours")]
    pub timezone_offset_hours: i32,
    /// A site within this many metres of a commune edge is flagged (the 2020 internal edges may
    /// be off by 100-300 m).
    #[serde(default = "default_edge_flag_m")]
    pub edge_flag_m: f64,
    /// Fibre windows and area verdicts.
    #[serde(default)]
    pub fibre: FibreConfig,
    /// Fibre speed against the contracted speeds (`[audit.fibre_speed]`).
    #[serde(default)]
    pub fibre_speed: SpeedConfig,
    /// Known sites; their position wins over the readings' `pos`. Filled from the collector's
    /// site registry ([`AuditConfig::with_registry`]), not from `[audit]`.
    #[serde(skip)]
    pub sites: Vec<SiteEntry>,
    /// The registry's file and SHA-256, for the report's provenance (`None` without a file).
    #[serde(skip)]
    pub registry: Option<RegistrySource>,
}

/// The file a site registry was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrySource {
    /// The path, as configured (resolved against the config's directory).
    pub file: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Sites it lists.
    pub sites: u64,
}

/// Fibre speed (DESIGN.md "Fibre speed"): per site and direction, the mean measured speed
/// against the contracted speed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedConfig {
    /// A direction is fast when its mean speed is at least this share of the contracted speed
    /// (QCVN 34:2022: Pd >= 0.8 Vd, Pu >= 0.8 Vu).
    #[serde(default = "default_min_share_of_contracted_pct")]
    pub min_share_of_contracted_pct: Pct,
    /// Measured transfers needed per site and direction before judging (QCVN 34:2022's own
    /// method takes 1,000; the report says when fewer were used).
    #[serde(default = "default_speed_min_samples")]
    pub min_samples: u64,
}

/// The sample count QCVN 34:2022's measurement method takes per direction.
pub const QCVN34_SAMPLES: u64 = 1000;

/// Default of [`SpeedConfig::min_share_of_contracted_pct`]: 80 %.
pub fn default_min_share_of_contracted_pct() -> Pct {
    Pct::whole(80)
}

/// Default of [`SpeedConfig::min_samples`]: 30.
pub fn default_speed_min_samples() -> u64 {
    30
}

impl Default for SpeedConfig {
    fn default() -> Self {
        SpeedConfig {
            min_share_of_contracted_pct: default_min_share_of_contracted_pct(),
            min_samples: default_speed_min_samples(),
        }
    }
}

/// Default of [`AuditConfig::min_usable_share_pct`]: 95 %.
pub fn default_min_usable_share_pct() -> Pct {
    Pct::whole(95)
}

/// Default of [`AuditConfig::min_samples`]: 300.
pub fn default_min_samples() -> u64 {
    300
}

/// Default of [`AuditConfig::min_distinct_hours`]: 12.
pub fn default_min_distinct_hours() -> u32 {
    12
}

/// Default of [`AuditConfig::timezone_offset_hours`]: 7 (Asia/Ho_Chi_Minh).
pub fn default_timezone_offset_hours() -> i32 {
    7
}

/// Default of [`AuditConfig::edge_flag_m`]: 250 m.
pub fn default_edge_flag_m() -> f64 {
    250.0
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            policy: UsablePolicy::default(),
            min_usable_share_pct: default_min_usable_share_pct(),
            min_samples: default_min_samples(),
            min_distinct_hours: default_min_distinct_hours(),
            timezone_offset_hours: default_timezone_offset_hours(),
            edge_flag_m: default_edge_flag_m(),
            fibre: FibreConfig::default(),
            fibre_speed: SpeedConfig::default(),
            sites: Vec::new(),
            registry: None,
        }
    }
}

/// Fibre: per-site 1 h windows and area verdicts (DESIGN.md, "Fibre").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FibreConfig {
    /// The `target` tag of the rounds that count (the provincial data centre). Unset: every
    /// `link = fibre` round counts, whatever its target.
    #[serde(default)]
    pub target: Option<String>,
    /// A window is up only when lost / sent is at most this.
    #[serde(default = "default_max_loss_pct")]
    pub max_loss_pct: Pct,
    /// A window is up only when the median of its rounds' `rtt_p50_ms` is at most this.
    #[serde(default = "default_max_rtt_ms")]
    pub max_rtt_ms: f64,
    /// A window with fewer rounds is unknown.
    #[serde(default = "default_min_rounds")]
    pub min_rounds: u64,
    /// An area is connected when up / known windows is at least this.
    #[serde(default = "default_min_up_pct")]
    pub min_up_pct: Pct,
    /// An area is judged only when known windows are at least this share of the period's.
    #[serde(default = "default_min_known_pct")]
    pub min_known_pct: Pct,
}

/// Default of [`FibreConfig::max_loss_pct`]: 1 %.
pub fn default_max_loss_pct() -> Pct {
    Pct::whole(1)
}

/// Default of [`FibreConfig::max_rtt_ms`]: 50 ms.
pub fn default_max_rtt_ms() -> f64 {
    50.0
}

/// Default of [`FibreConfig::min_rounds`]: 3.
pub fn default_min_rounds() -> u64 {
    3
}

/// Default of [`FibreConfig::min_up_pct`]: 99 %.
pub fn default_min_up_pct() -> Pct {
    Pct::whole(99)
}

/// Default of [`FibreConfig::min_known_pct`]: 90 %.
pub fn default_min_known_pct() -> Pct {
    Pct::whole(90)
}

impl Default for FibreConfig {
    fn default() -> Self {
        FibreConfig {
            target: None,
            max_loss_pct: default_max_loss_pct(),
            max_rtt_ms: default_max_rtt_ms(),
            min_rounds: default_min_rounds(),
            min_up_pct: default_min_up_pct(),
            min_known_pct: default_min_known_pct(),
        }
    }
}

/// A site of the registry: the collector's `[[sites]]` entries (one definition for ingest
/// placement and the audit).
pub use coverage_shared::site::{SiteEntry, SiteRegistry};

/// A commune named by set and code (codes are reused across sets).
pub type ConfiguredCommune = coverage_shared::wire::CommuneRef;

/// Whether `s` is an operator id `MCC-MNC` (3 digits, dash, 2 or 3 digits).
pub(crate) use coverage_shared::site::is_operator_id;

impl AuditConfig {
    /// Checks every setting; the error names the key (`audit.fibre.max_rtt_ms`).
    pub fn validate(&self) -> Result<(), AuditError> {
        let bad = |key: String, problem: String| Err(AuditError::Config { key, problem });
        let finite_dbm = |key: &str, v: f64| -> Result<(), AuditError> {
            if v.is_finite() && (-200.0..=0.0).contains(&v) {
                Ok(())
            } else {
                bad(
                    key.to_owned(),
                    format!("{v} is not a level in dBm from -200 to 0"),
                )
            }
        };
        let all = std::iter::once((
            "audit.policy.thresholds".to_owned(),
            &self.policy.thresholds,
        ))
        .chain(
            self.policy
                .by_placement
                .iter()
                .map(|(p, t)| (format!("audit.policy.by_placement.{}", p.as_str()), t)),
        );
        for (prefix, t) in all {
            finite_dbm(&format!("{prefix}.lte_rsrp_dbm"), t.lte_rsrp_dbm)?;
            finite_dbm(&format!("{prefix}.nr_ss_rsrp_dbm"), t.nr_ss_rsrp_dbm)?;
            finite_dbm(&format!("{prefix}.umts_rscp_dbm"), t.umts_rscp_dbm)?;
            finite_dbm(&format!("{prefix}.gsm_rssi_dbm"), t.gsm_rssi_dbm)?;
        }
        for op in &self.policy.roaming_counts_for {
            if !is_operator_id(op) {
                return bad(
                    "audit.policy.roaming_counts_for".into(),
                    format!("`{op}` is not an operator id MCC-MNC such as 452-04"),
                );
            }
        }
        if self.policy.usable_techs.contains(&Tech::None) {
            return bad(
                "audit.policy.usable_techs".into(),
                "`none` is no technology: a sample without a serving cell is never usable".into(),
            );
        }
        if self.min_distinct_hours > 24 {
            return bad(
                "audit.min_distinct_hours".into(),
                format!(
                    "{} is more than the 24 hours of a day",
                    self.min_distinct_hours
                ),
            );
        }
        if !(-12..=14).contains(&self.timezone_offset_hours) {
            return bad(
                "audit.timezone_offset_hours".into(),
                format!(
                    "{} is not an offset from -12 to 14 hours",
                    self.timezone_offset_hours
                ),
            );
        }
        if !self.edge_flag_m.is_finite() || self.edge_flag_m < 0.0 {
            return bad(
                "audit.edge_flag_m".into(),
                format!("{} is not a distance in metres", self.edge_flag_m),
            );
        }
        let f = &self.fibre;
        if let Some(target) = &f.target
            && (target.is_empty() || target.chars().any(char::is_control))
        {
            return bad(
                "audit.fibre.target".into(),
                "must be a non-empty target without control characters".into(),
            );
        }
        if !f.max_rtt_ms.is_finite() || f.max_rtt_ms < 0.0 {
            return bad(
                "audit.fibre.max_rtt_ms".into(),
                format!("{} is not a duration in ms", f.max_rtt_ms),
            );
        }
        if f.min_rounds == 0 {
            return bad(
                "audit.fibre.min_rounds".into(),
                "must be at least 1: a window without rounds shows nothing".into(),
            );
        }
        if self.fibre_speed.min_samples == 0 {
            return bad(
                "audit.fibre_speed.min_samples".into(),
                "must be at least 1: a speed is judged from measured transfers".into(),
            );
        }
        Ok(())
    }

    /// Reads the `[audit]` table as the collector config holds it (`None`: all defaults) and
    /// validates it; errors name the key under `audit.`.
    pub fn from_toml(value: Option<toml::Value>) -> Result<AuditConfig, AuditError> {
        let cfg = match value {
            None => AuditConfig::default(),
            Some(v) => v
                .try_into()
                .map_err(|e: toml::de::Error| AuditError::Config {
                    key: "audit".into(),
                    problem: e.to_string(),
                })?,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Takes the site registry (validated when read) and its file for provenance.
    pub fn with_registry(mut self, registry: &SiteRegistry) -> AuditConfig {
        self.sites = registry.sites.clone();
        self.registry = registry.file.as_ref().map(|f| RegistrySource {
            file: f.display().to_string(),
            sha256: registry.sha256.clone(),
            sites: registry.sites.len() as u64,
        });
        self
    }

    /// The registry entry of site `id`.
    pub fn site(&self, id: &str) -> Option<&SiteEntry> {
        self.sites.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_design_numbers() {
        let c: AuditConfig = toml::from_str("").unwrap();
        assert_eq!(c, AuditConfig::default());
        assert_eq!(c.min_usable_share_pct, Pct::whole(95));
        assert_eq!(c.min_samples, 300);
        assert_eq!(c.min_distinct_hours, 12);
        assert_eq!(c.timezone_offset_hours, 7);
        assert_eq!(c.edge_flag_m, 250.0);
        assert_eq!(c.fibre.max_loss_pct, Pct::whole(1));
        assert_eq!(c.fibre.max_rtt_ms, 50.0);
        assert_eq!(c.fibre.min_rounds, 3);
        assert_eq!(c.fibre.min_up_pct, Pct::whole(99));
        assert_eq!(c.fibre.min_known_pct, Pct::whole(90));
        assert_eq!(c.fibre.target, None);
        c.validate().unwrap();
    }

    #[test]
    fn full_table_parses() {
        let c: AuditConfig = toml::from_str(
            r#"
            min_usable_share_pct = 99.5
            min_samples = 100
            min_distinct_hours = 6
            timezone_offset_hours = 7
            edge_flag_m = 100.0
            [policy]
            roaming_counts_for = ["452-04"]
            usable_techs = ["lte", "nr5g-sa"]
            [policy.thresholds]
            lte_rsrp_dbm = -105
            [policy.by_placement.indoor]
            lte_rsrp_dbm = -100.5
            [fibre]
            target = "10.6.0.1"
            max_loss_pct = 0.5
            max_rtt_ms = 40
            min_rounds = 4
            min_up_pct = 98
            min_known_pct = 80
            "#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.min_usable_share_pct.milli(), 99_500);
        assert_eq!(c.fibre.max_loss_pct.milli(), 500);
        assert_eq!(c.policy.thresholds.lte_rsrp_dbm, -105.0);
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["min_usable_share_pct"], serde_json::json!(99.5));
        assert_eq!(back["fibre"]["min_up_pct"], serde_json::json!(98));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = toml::from_str::<AuditConfig>("min_sample = 3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("min_sample"), "{err}");
        let err = toml::from_str::<AuditConfig>("[fibre]\nmax_los_pct = 3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_los_pct"), "{err}");
        let err = toml::from_str::<AuditConfig>("min_usable_share_pct = 101")
            .unwrap_err()
            .to_string();
        assert!(err.contains("percentage"), "{err}");
        let err = toml::from_str::<AuditConfig>("min_usable_share_pct = 95.0001")
            .unwrap_err()
            .to_string();
        assert!(err.contains("three decimals"), "{err}");

        let mut c = AuditConfig::default();
        c.fibre.max_rtt_ms = f64::NAN;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("audit.fibre.max_rtt_ms")
        );
        let mut c = AuditConfig::default();
        c.policy.thresholds.lte_rsrp_dbm = f64::INFINITY;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("lte_rsrp_dbm")
        );
        let mut c = AuditConfig::default();
        c.policy.roaming_counts_for = vec!["45204".into()];
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("roaming_counts_for")
        );
        let mut c = AuditConfig::default();
        c.fibre.target = Some("a\nb".into());
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("audit.fibre.target")
        );
        let c = AuditConfig {
            min_distinct_hours: 25,
            ..AuditConfig::default()
        };
        assert!(c.validate().is_err());
        let mut c = AuditConfig::default();
        c.fibre.min_rounds = 0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn pct_parses_and_compares_exactly() {
        assert_eq!(Pct::parse("100"), Some(Pct::whole(100)));
        assert_eq!(Pct::parse("99.5").unwrap().milli(), 99_500);
        assert_eq!(Pct::parse("99.125%").unwrap().milli(), 99_125);
        assert_eq!(Pct::parse("0"), Some(Pct::whole(0)));
        for bad in ["", "101", "99.1234", "1e2", "-1", "9a", ".5", "5.", "1000"] {
            assert_eq!(Pct::parse(bad), None, "{bad}");
        }
        let p95 = Pct::whole(95);
        assert!(p95.meets(285, 300));
        assert!(!p95.meets(284, 300));
        assert!(p95.meets(19, 20));
        assert!(!p95.meets(0, 0));
        let p1 = Pct::whole(1);
        assert!(p1.at_most(1, 100));
        assert!(!p1.at_most(2, 199));
        assert!(p1.at_most(0, 1));
        assert!(!p1.at_most(0, 0));
        assert_eq!(Pct::parse("99.5").unwrap().to_string(), "99.5");
        assert_eq!(Pct::parse("99.050").unwrap().to_string(), "99.05");
        assert_eq!(Pct::whole(95).to_string(), "95");
        // Large counts do not overflow.
        assert!(Pct::HUNDRED.meets(u64::MAX, u64::MAX));
    }

    #[test]
    fn from_the_collector_config_value() {
        let v: toml::Value = toml::from_str("min_samples = 10\n[fibre]\ntarget = \"dc\"").unwrap();
        let c = AuditConfig::from_toml(Some(v)).unwrap();
        assert_eq!((c.min_samples, c.fibre.target.as_deref()), (10, Some("dc")));
        assert_eq!(
            AuditConfig::from_toml(None).unwrap(),
            AuditConfig::default()
        );
        let v: toml::Value = toml::from_str("min_smaples = 10").unwrap();
        let e = AuditConfig::from_toml(Some(v)).unwrap_err().to_string();
        assert!(e.contains("min_smaples"), "{e}");
    }

    #[test]
    fn ids() {
        assert!(is_operator_id("452-04"));
        assert!(is_operator_id("452-004"));
        assert!(!is_operator_id("452-4"));
        assert!(!is_operator_id("45a-04"));
    }
}

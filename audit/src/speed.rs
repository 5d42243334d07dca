//! Fibre speed verdicts (DESIGN.md "Fibre speed"): shown only where throughput is measured.
//!
//! Pure functions, one rule each:
//!
//! - **Per site and direction** ([`direction_verdict`]): `fast` when the mean measured speed is
//!   at least 0.8 x the contracted speed (QCVN 34:2022: Pd >= 0.8 Vd, Pu >= 0.8 Vu) over at
//!   least `min_samples` measured transfers (30 by default; QCVN 34's own method takes 1,000,
//!   and the report says when fewer were used); `slow` when that evidence exists and the mean
//!   is below; `insufficient_data` otherwise, and always without a contracted speed.
//! - **Per site** ([`site_speed_verdict`]): `fast` when fast in both directions; `slow` when
//!   slow in either (it cannot be fast whatever the other shows); else `insufficient_data`.
//! - **Per area** ([`area_speed_verdict`]): `fast` if any of its speed sites is fast; `slow` if
//!   every one is slow; `no_site` without one; else `insufficient_data`. An area's speed sites
//!   are its sites with fibre throughput readings or with a contracted speed in the registry.
//!
//! The comparison is made on the mean rounded to 1 kbit/s, as both sources give it.

use serde::Serialize;

use crate::config::{SiteEntry, SpeedConfig};
use crate::source::ThroughputRow;

/// A fibre speed verdict word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeedVerdict {
    /// At least 0.8 x the contracted speed.
    Fast,
    /// Measured enough, and below.
    Slow,
    /// Too few measured transfers, or no contracted speed.
    InsufficientData,
    /// No site measures throughput there.
    NoSite,
}

impl SpeedVerdict {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SpeedVerdict::Fast => "fast",
            SpeedVerdict::Slow => "slow",
            SpeedVerdict::InsufficientData => "insufficient_data",
            SpeedVerdict::NoSite => "no_site",
        }
    }
}

/// One direction of one site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DirectionSpeed {
    /// Transfers attempted (failed ones included).
    pub transfers: u64,
    /// Transfers with a measured speed.
    pub samples: u64,
    /// Mean measured speed, Mbit/s.
    pub mean_mbps: Option<f64>,
    /// Contracted speed from the registry, Mbit/s.
    pub contracted_mbps: Option<f64>,
    /// The verdict.
    pub verdict: SpeedVerdict,
}

/// The verdict of one direction (see the module doc).
pub fn direction_verdict(
    samples: u64,
    mean_mbps: Option<f64>,
    contracted_mbps: Option<f64>,
    cfg: &SpeedConfig,
) -> SpeedVerdict {
    match (mean_mbps, contracted_mbps) {
        (Some(mean), Some(contracted)) if samples >= cfg.min_samples && samples > 0 => {
            // mean >= share x contracted, with the share in thousandths of a percent.
            let needed = contracted * cfg.min_share_of_contracted_pct.milli() as f64 / 100_000.0;
            if mean >= needed {
                SpeedVerdict::Fast
            } else {
                SpeedVerdict::Slow
            }
        }
        _ => SpeedVerdict::InsufficientData,
    }
}

/// A site's verdict from its two directions (see the module doc).
pub fn site_speed_verdict(down: SpeedVerdict, up: SpeedVerdict) -> SpeedVerdict {
    if down == SpeedVerdict::Fast && up == SpeedVerdict::Fast {
        SpeedVerdict::Fast
    } else if down == SpeedVerdict::Slow || up == SpeedVerdict::Slow {
        SpeedVerdict::Slow
    } else {
        SpeedVerdict::InsufficientData
    }
}

/// An area's verdict from its speed sites' verdicts (see the module doc).
pub fn area_speed_verdict(site_verdicts: &[SpeedVerdict]) -> SpeedVerdict {
    if site_verdicts.is_empty() {
        SpeedVerdict::NoSite
    } else if site_verdicts.contains(&SpeedVerdict::Fast) {
        SpeedVerdict::Fast
    } else if site_verdicts.iter().all(|v| *v == SpeedVerdict::Slow) {
        SpeedVerdict::Slow
    } else {
        SpeedVerdict::InsufficientData
    }
}

/// Both directions of one site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SiteSpeed {
    /// Download.
    pub down: DirectionSpeed,
    /// Upload.
    pub up: DirectionSpeed,
    /// Both together.
    pub verdict: SpeedVerdict,
}

/// A site's speed from its throughput rows and registry entry; `None` when it has neither a
/// fibre throughput reading nor a contracted speed (it is no speed site).
pub fn site_speed(
    rows: &[&ThroughputRow],
    entry: Option<&SiteEntry>,
    cfg: &SpeedConfig,
) -> Option<SiteSpeed> {
    let contracted_down = entry.and_then(|e| e.contracted_down_mbps);
    let contracted_up = entry.and_then(|e| e.contracted_up_mbps);
    if rows.is_empty() && contracted_down.is_none() && contracted_up.is_none() {
        return None;
    }
    let direction = |name: &str, contracted: Option<f64>| {
        let row = rows.iter().find(|r| r.direction == name);
        let (transfers, samples, mean) =
            row.map_or((0, 0, None), |r| (r.transfers, r.samples, r.mean_mbps));
        DirectionSpeed {
            transfers,
            samples,
            mean_mbps: mean,
            contracted_mbps: contracted,
            verdict: direction_verdict(samples, mean, contracted, cfg),
        }
    };
    let down = direction("down", contracted_down);
    let up = direction("up", contracted_up);
    Some(SiteSpeed {
        down,
        up,
        verdict: site_speed_verdict(down.verdict, up.verdict),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use SpeedVerdict::*;

    fn cfg() -> SpeedConfig {
        SpeedConfig::default()
    }

    #[test]
    fn direction_edges() {
        let c = cfg();
        // Exactly 0.8 x 100 over exactly 30 samples is fast; just below is slow.
        assert_eq!(direction_verdict(30, Some(80.0), Some(100.0), &c), Fast);
        assert_eq!(direction_verdict(30, Some(79.999), Some(100.0), &c), Slow);
        assert_eq!(
            direction_verdict(29, Some(99.0), Some(100.0), &c),
            InsufficientData
        );
        assert_eq!(
            direction_verdict(30, Some(99.0), None, &c),
            InsufficientData
        );
        assert_eq!(
            direction_verdict(30, None, Some(100.0), &c),
            InsufficientData
        );
        assert_eq!(direction_verdict(1000, Some(0.0), Some(100.0), &c), Slow);
        let strict = SpeedConfig {
            min_share_of_contracted_pct: crate::Pct::parse("90").unwrap(),
            min_samples: 1,
        };
        assert_eq!(direction_verdict(1, Some(89.9), Some(100.0), &strict), Slow);
        assert_eq!(direction_verdict(1, Some(90.0), Some(100.0), &strict), Fast);
        let zero = SpeedConfig {
            min_samples: 0,
            ..cfg()
        };
        assert_eq!(
            direction_verdict(0, Some(90.0), Some(100.0), &zero),
            InsufficientData,
            "nothing measured"
        );
    }

    #[test]
    fn site_and_area_rules() {
        assert_eq!(site_speed_verdict(Fast, Fast), Fast);
        assert_eq!(site_speed_verdict(Fast, Slow), Slow);
        assert_eq!(site_speed_verdict(InsufficientData, Slow), Slow);
        assert_eq!(site_speed_verdict(Fast, InsufficientData), InsufficientData);
        assert_eq!(area_speed_verdict(&[]), NoSite);
        assert_eq!(area_speed_verdict(&[Slow, Fast]), Fast);
        assert_eq!(area_speed_verdict(&[Slow, Slow]), Slow);
        assert_eq!(
            area_speed_verdict(&[Slow, InsufficientData]),
            InsufficientData
        );
    }

    #[test]
    fn sites_from_rows_and_registry() {
        let row = |d: &str, n, mean| ThroughputRow {
            site: "s".into(),
            direction: d.into(),
            transfers: n + 2,
            samples: n,
            mean_mbps: Some(mean),
        };
        let mut entry = SiteEntry::at("s", 22.0, 105.8);
        assert_eq!(site_speed(&[], Some(&entry), &cfg()), None, "no speed site");
        entry.contracted_down_mbps = Some(100.0);
        entry.contracted_up_mbps = Some(40.0);
        let silent = site_speed(&[], Some(&entry), &cfg()).unwrap();
        assert_eq!(
            silent.verdict, InsufficientData,
            "contracted, never measured"
        );
        let (down, up) = (row("down", 40, 85.0), row("up", 40, 20.0));
        let s = site_speed(&[&down, &up], Some(&entry), &cfg()).unwrap();
        assert_eq!(
            (s.down.verdict, s.up.verdict, s.verdict),
            (Fast, Slow, Slow)
        );
        assert_eq!(s.down.transfers, 42);
        let s = site_speed(&[&down], None, &cfg()).unwrap();
        assert_eq!(s.verdict, InsufficientData, "measured without a contract");
    }
}

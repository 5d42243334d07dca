//! A simulated modem for demos and tests: deterministic, seeded, realistic per technology.
//!
//! [`SimModem::sample_at`] is a pure function of the seed, the profile and the timestamp: the
//! same inputs give the same sample whatever was asked before, so a demo can be replayed and a
//! test can ask for any instant. Realism comes from structure, not from state:
//!
//! - **Slow fading**: a smooth value-noise track (20 min correlation) plus per-sample fast
//!   fading (ChaCha8 seeded by seed and timestamp); their variances add up to the profile's σ.
//! - **Cells**: a handful of sites per modem; the serving site changes every couple of hours
//!   (the best one most of the time, the others a few dB weaker). Ids (TAC/LAC, CI, PCI,
//!   ARFCN, band) are derived from the seed and the site, so they are stable.
//! - **Technology** is drawn from the profile's mix per 30-minute block.
//! - **Correlated values**: SINR follows RSRP (with noise), RSRQ follows SINR, LTE RSSI is
//!   derived from RSRP and RSRQ by their definition (RSSI = N·RSRP/RSRQ, N = 50 RBs); UMTS
//!   Ec/N0 follows RSCP and RSSI = RSCP − Ec/N0; the NR leg of EN-DC follows its LTE anchor.
//! - **Outages**: no service (searching) per 10-minute block with `p_no_service`, and whenever
//!   the level falls below the technology's sensitivity; registration denied per hour with
//!   `p_denied`; each value missing with `p_null`. An optional dip around a local hour models
//!   the evening busy hour.

use chrono::{DateTime, Timelike, Utc};
use coverage_shared::wire::{Cell, ModemInfo, Plmn, RadioValues, Reg, Tech};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::ModemSample;

/// Ready-made simulator profiles for demos: strong, moderate, weak, flaky and dead communes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimPreset {
    /// LTE with a good signal (RSRP around −85 dBm), always in service.
    Strong,
    /// Mostly LTE around −97 dBm, some 3G.
    #[default]
    Moderate,
    /// LTE near the edge (around −112 dBm) with some 2G fallback and outages.
    Weak,
    /// Widely varying signal, frequent outages and missing values, an evening dip.
    Flaky,
    /// Never in service.
    Dead,
}

impl SimPreset {
    /// The preset's profile.
    pub fn profile(self) -> SimProfile {
        SimProfile::preset(self)
    }
}

/// A network id in the simulator's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlmnConfig {
    /// Mobile country code (`"452"`).
    pub mcc: String,
    /// Mobile network code (`"04"`).
    pub mnc: String,
    /// Operator name.
    #[serde(default)]
    pub name: Option<String>,
}

impl PlmnConfig {
    fn plmn(&self) -> Plmn {
        Plmn {
            mcc: self.mcc.clone(),
            mnc: self.mnc.clone(),
            name: self.name.clone(),
        }
    }
}

/// Relative weights of the technologies (need not sum to 1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechMix {
    /// Weight of 2G.
    #[serde(default)]
    pub gsm: f64,
    /// Weight of 3G.
    #[serde(default)]
    pub umts: f64,
    /// Weight of 4G.
    #[serde(default)]
    pub lte: f64,
    /// Weight of 5G NSA (LTE anchor plus NR).
    #[serde(default)]
    pub nr5g_nsa: f64,
    /// Weight of 5G SA.
    #[serde(default)]
    pub nr5g_sa: f64,
}

/// Mean and spread of a technology's deciding value (RSSI for GSM, RSCP for UMTS, RSRP for
/// LTE and the NSA anchor, SS-RSRP for SA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Mean, dBm.
    pub mean_dbm: f64,
    /// Standard deviation, dB.
    #[serde(default = "default_sigma")]
    pub sigma_db: f64,
}

fn default_sigma() -> f64 {
    6.0
}

/// What the simulated modem sees; every key defaults to the `moderate` preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimProfile {
    /// The SIM's home network.
    pub home: PlmnConfig,
    /// The network in use when roaming (`None`: the home network).
    pub serving: Option<PlmnConfig>,
    /// Technology weights.
    pub tech_mix: TechMix,
    /// GSM RSSI level.
    pub gsm: Level,
    /// UMTS RSCP level.
    pub umts: Level,
    /// LTE RSRP level (also the NSA anchor).
    pub lte: Level,
    /// NR SA SS-RSRP level.
    pub nr: Level,
    /// Depth of the daily dip, dB (0 = none).
    pub diurnal_dip_db: f64,
    /// Local hour of the deepest point of the dip.
    pub dip_hour: f64,
    /// Offset of local time from UTC, hours (Vietnam: 7).
    pub utc_offset_h: f64,
    /// Probability that a 10-minute block has no service.
    pub p_no_service: f64,
    /// Probability that an hour has registration denied.
    pub p_denied: f64,
    /// Probability that any single value is missing.
    pub p_null: f64,
    /// Number of cell sites the modem can be served by (≥ 1).
    pub sites: u32,
}

impl Default for SimProfile {
    fn default() -> Self {
        SimProfile::preset(SimPreset::Moderate)
    }
}

impl SimProfile {
    /// The profile of a preset.
    pub fn preset(p: SimPreset) -> SimProfile {
        let base = SimProfile {
            home: PlmnConfig {
                mcc: "452".into(),
                mnc: "04".into(),
                name: Some("Viettel".into()),
            },
            serving: None,
            tech_mix: TechMix {
                lte: 0.85,
                umts: 0.1,
                gsm: 0.05,
                ..TechMix::default()
            },
            gsm: Level {
                mean_dbm: -75.0,
                sigma_db: 6.0,
            },
            umts: Level {
                mean_dbm: -88.0,
                sigma_db: 6.0,
            },
            lte: Level {
                mean_dbm: -97.0,
                sigma_db: 6.0,
            },
            nr: Level {
                mean_dbm: -97.0,
                sigma_db: 6.0,
            },
            diurnal_dip_db: 0.0,
            dip_hour: 20.0,
            utc_offset_h: 7.0,
            p_no_service: 0.0,
            p_denied: 0.0,
            p_null: 0.0,
            sites: 3,
        };
        match p {
            SimPreset::Moderate => base,
            SimPreset::Strong => SimProfile {
                tech_mix: TechMix {
                    lte: 0.8,
                    nr5g_nsa: 0.2,
                    ..TechMix::default()
                },
                lte: Level {
                    mean_dbm: -85.0,
                    sigma_db: 4.0,
                },
                ..base
            },
            SimPreset::Weak => SimProfile {
                tech_mix: TechMix {
                    lte: 0.6,
                    umts: 0.2,
                    gsm: 0.2,
                    ..TechMix::default()
                },
                lte: Level {
                    mean_dbm: -112.0,
                    sigma_db: 6.0,
                },
                umts: Level {
                    mean_dbm: -103.0,
                    sigma_db: 6.0,
                },
                gsm: Level {
                    mean_dbm: -95.0,
                    sigma_db: 6.0,
                },
                p_no_service: 0.05,
                diurnal_dip_db: 3.0,
                ..base
            },
            SimPreset::Flaky => SimProfile {
                lte: Level {
                    mean_dbm: -102.0,
                    sigma_db: 10.0,
                },
                p_no_service: 0.2,
                p_denied: 0.01,
                p_null: 0.05,
                diurnal_dip_db: 8.0,
                ..base
            },
            SimPreset::Dead => SimProfile {
                p_no_service: 1.0,
                ..base
            },
        }
    }

    /// Checks probabilities, spreads and the technology mix.
    pub fn validate(&self) -> Result<(), String> {
        for (k, p) in [
            ("p_no_service", self.p_no_service),
            ("p_denied", self.p_denied),
            ("p_null", self.p_null),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("`profile.{k}` must be within 0..1, got {p}"));
            }
        }
        let m = &self.tech_mix;
        let w = [m.gsm, m.umts, m.lte, m.nr5g_nsa, m.nr5g_sa];
        if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 {
            return Err(
                "`profile.tech_mix` needs non-negative weights, one of them positive".into(),
            );
        }
        for (k, l) in [
            ("gsm", &self.gsm),
            ("umts", &self.umts),
            ("lte", &self.lte),
            ("nr", &self.nr),
        ] {
            if !l.mean_dbm.is_finite() || !l.sigma_db.is_finite() || l.sigma_db < 0.0 {
                return Err(format!(
                    "`profile.{k}` needs a finite mean and a sigma >= 0"
                ));
            }
        }
        if self.sites == 0 {
            return Err("`profile.sites` must be at least 1".into());
        }
        if self.home.mcc.len() != 3 || !(2..=3).contains(&self.home.mnc.len()) {
            return Err("`profile.home` needs a 3-digit mcc and a 2- or 3-digit mnc".into());
        }
        Ok(())
    }
}

/// splitmix64 of a combination: the deterministic hash behind every random choice.
fn h(seed: u64, stream: u64, k: i64) -> u64 {
    let mut z = seed
        ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (k as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Standard normal from a hash (Box–Muller).
fn gauss_h(seed: u64, stream: u64, k: i64) -> f64 {
    let u1 = unit(h(seed, stream, k)).max(1e-12);
    let u2 = unit(h(seed, stream ^ 0x5555, k));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Smooth unit-variance noise over time: interpolated normals at `period_s` knots.
fn smooth(seed: u64, stream: u64, t_s: f64, period_s: f64) -> f64 {
    let x = t_s / period_s;
    let k = x.floor();
    let f = x - k;
    let w = f * f * (3.0 - 2.0 * f);
    let a = gauss_h(seed, stream, k as i64);
    let b = gauss_h(seed, stream, k as i64 + 1);
    (a * (1.0 - w) + b * w) / ((1.0 - w).powi(2) + w * w).sqrt()
}

fn round_to(v: f64, step: f64) -> f64 {
    ((v / step).round() * step * 100.0).round() / 100.0
}

/// The simulated modem.
#[derive(Debug, Clone)]
pub struct SimModem {
    name: String,
    seed: u64,
    profile: SimProfile,
}

impl SimModem {
    /// A simulator named `name` with a seed and a profile.
    pub fn new(name: impl Into<String>, seed: u64, profile: SimProfile) -> Self {
        SimModem {
            name: name.into(),
            seed,
            profile,
        }
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The profile in use.
    pub fn profile(&self) -> &SimProfile {
        &self.profile
    }

    /// The sample at `ts`: a pure function of seed, profile and `ts`.
    pub fn sample_at(&mut self, ts: DateTime<Utc>) -> ModemSample {
        let p = &self.profile;
        let seed = self.seed;
        let t_ms = ts.timestamp_millis();
        let t_s = t_ms as f64 / 1000.0;
        let secs = ts.timestamp();
        let mut rng = ChaCha8Rng::seed_from_u64(h(seed, 99, t_ms));
        let home = p.home.plmn();
        let serving = p
            .serving
            .as_ref()
            .map(PlmnConfig::plmn)
            .unwrap_or_else(|| home.clone());
        let roaming = serving.mcc != home.mcc || serving.mnc != home.mnc;
        let mut sample = ModemSample {
            operator: Some(home),
            serving: roaming.then_some(serving),
            radio: RadioValues::no_service(Reg::Searching),
            notes: Vec::new(),
        };

        // Outages decided per block so they last, as real ones do.
        if unit(h(seed, 3, secs.div_euclid(600))) < p.p_no_service {
            return sample;
        }
        let tech = self.pick_tech(secs.div_euclid(1800));
        // Serving site: the best (0) two blocks in three, else another, a few dB weaker.
        let sites = p.sites.max(1) as u64;
        let site = if unit(h(seed, 1, secs.div_euclid(7200))) < 0.67 {
            0
        } else {
            h(seed, 6, secs.div_euclid(7200)) % sites
        };
        let level_cfg = match tech {
            Tech::Gsm => &p.gsm,
            Tech::Umts => &p.umts,
            Tech::Nr5gSa => &p.nr,
            _ => &p.lte,
        };
        let local_h =
            (ts.hour() as f64 + ts.minute() as f64 / 60.0 + p.utc_offset_h).rem_euclid(24.0);
        let dh = (local_h - p.dip_hour).rem_euclid(24.0);
        let dh = dh.min(24.0 - dh);
        let dip = p.diurnal_dip_db * (-(dh * dh) / (2.0 * 1.5 * 1.5)).exp();
        let level = level_cfg.mean_dbm
            + level_cfg.sigma_db * (0.8 * smooth(seed, 5, t_s, 1200.0) + 0.6 * gauss(&mut rng))
            - 4.0 * site as f64
            - dip;
        let floor = match tech {
            Tech::Gsm => -108.0,
            Tech::Umts => -118.0,
            _ => -128.0,
        };
        if level < floor {
            sample.notes.push("simulated: below sensitivity".into());
            return sample;
        }
        let reg = if unit(h(seed, 4, secs.div_euclid(3600))) < p.p_denied {
            Reg::Denied
        } else if roaming {
            Reg::Roaming
        } else {
            Reg::Home
        };
        let mut r = RadioValues::no_service(reg);
        r.tech = tech;
        let clamp = |v: f64, lo: f64, hi: f64| v.clamp(lo, hi);
        match tech {
            Tech::Gsm => r.rssi_dbm = Some(round_to(clamp(level, -110.0, -48.0), 1.0)),
            Tech::Umts => {
                let rscp = round_to(clamp(level, -120.0, -25.0), 1.0);
                let ecno = round_to(
                    clamp(
                        -2.0 + 0.2 * (rscp + 85.0) + 1.5 * gauss(&mut rng),
                        -24.0,
                        -1.0,
                    ),
                    0.5,
                );
                r.rscp_dbm = Some(rscp);
                r.ecno_db = Some(ecno);
                r.rssi_dbm = Some(round_to(rscp - ecno, 1.0));
            }
            Tech::Nr5gSa => {
                let rsrp = round_to(clamp(level, -140.0, -44.0), 1.0);
                let sinr = clamp(
                    0.5 * (rsrp + 115.0) - 2.0 + 3.0 * gauss(&mut rng),
                    -20.0,
                    35.0,
                );
                r.ss_rsrp_dbm = Some(rsrp);
                r.ss_sinr_db = Some(round_to(sinr, 0.5));
                r.ss_rsrq_db = Some(round_to(
                    clamp(-11.0 + 0.2 * sinr + gauss(&mut rng), -20.0, -3.0),
                    0.5,
                ));
            }
            _ => {
                let rsrp = round_to(clamp(level, -140.0, -44.0), 1.0);
                let sinr = clamp(
                    0.5 * (rsrp + 115.0) - 2.0 + 3.0 * gauss(&mut rng),
                    -20.0,
                    30.0,
                );
                let rsrq = round_to(
                    clamp(-10.5 + 0.25 * sinr + gauss(&mut rng), -19.5, -3.0),
                    0.5,
                );
                r.rsrp_dbm = Some(rsrp);
                r.sinr_db = Some(round_to(sinr, 0.1));
                r.rsrq_db = Some(rsrq);
                // RSSI = N·RSRP/RSRQ with N = 50 resource blocks (10 MHz).
                r.rssi_dbm = Some(round_to(10.0 * 50f64.log10() + rsrp - rsrq, 1.0));
                if tech == Tech::Nr5gNsa {
                    let ss_rsrp = round_to(
                        clamp(rsrp - 3.0 + 4.0 * gauss(&mut rng), -140.0, -44.0),
                        1.0,
                    );
                    let ss_sinr = clamp(sinr - 2.0 + 3.0 * gauss(&mut rng), -20.0, 35.0);
                    r.ss_rsrp_dbm = Some(ss_rsrp);
                    r.ss_sinr_db = Some(round_to(ss_sinr, 0.5));
                    r.ss_rsrq_db = Some(round_to(
                        clamp(-11.0 + 0.2 * ss_sinr + gauss(&mut rng), -20.0, -3.0),
                        0.5,
                    ));
                }
            }
        }
        if p.p_null > 0.0 {
            for name in super::observe::VALUE_NAMES {
                let drop = rng.random::<f64>() < p.p_null;
                if drop && let Some(v) = r.value_mut(name) {
                    *v = None;
                }
            }
        }
        r.cell = Some(self.cell(site, tech));
        sample.radio = r;
        sample
    }

    fn pick_tech(&self, block: i64) -> Tech {
        let m = &self.profile.tech_mix;
        let options = [
            (Tech::Gsm, m.gsm),
            (Tech::Umts, m.umts),
            (Tech::Lte, m.lte),
            (Tech::Nr5gNsa, m.nr5g_nsa),
            (Tech::Nr5gSa, m.nr5g_sa),
        ];
        let total: f64 = options.iter().map(|o| o.1.max(0.0)).sum();
        if total <= 0.0 {
            return Tech::Lte;
        }
        let mut u = unit(h(self.seed, 2, block)) * total;
        for (t, w) in options {
            let w = w.max(0.0);
            if u < w {
                return t;
            }
            u -= w;
        }
        Tech::Lte
    }

    /// Identity of `site`'s cell for `tech`: stable for a seed.
    fn cell(&self, site: u64, tech: Tech) -> Cell {
        let s = self.seed;
        let k = site as i64;
        let area = h(s, 10, k) % 0xFFFD + 1;
        let pick = |stream: u64, lo: u64, hi: u64| lo + h(s, stream, k) % (hi - lo + 1);
        match tech {
            Tech::Gsm => Cell {
                lac: Some(format!("{area:X}")),
                ci: Some(format!("{:X}", pick(11, 1, 0xFFFF))),
                arfcn: Some(pick(12, 1, 124) as u32),
                band: Some("GSM900".into()),
                ..Cell::default()
            },
            Tech::Umts => Cell {
                lac: Some(format!("{area:X}")),
                ci: Some(format!(
                    "{:X}",
                    pick(13, 1, 4095) << 16 | pick(14, 1, 0xFFFF)
                )),
                arfcn: Some(pick(15, 10562, 10838) as u32),
                band: Some("B1".into()),
                ..Cell::default()
            },
            Tech::Nr5gSa => Cell {
                tac: Some(format!("{area:X}")),
                ci: Some(format!("{:X}", pick(16, 1, (1 << 36) - 1))),
                pci: Some(pick(17, 0, 1007) as u32),
                arfcn: Some(pick(18, 620_000, 653_333) as u32),
                band: Some("n78".into()),
                ..Cell::default()
            },
            _ => Cell {
                tac: Some(format!("{area:X}")),
                ci: Some(format!(
                    "{:X}",
                    pick(19, 1, (1 << 20) - 1) << 8 | pick(20, 0, 2)
                )),
                pci: Some(pick(21, 0, 503) as u32),
                arfcn: Some(pick(22, 1200, 1949) as u32),
                band: Some("B3".into()),
                ..Cell::default()
            },
        }
    }

    /// Identity for heartbeats, derived from the seed (IMEI and ICCID pass the Luhn check).
    pub fn info(&self) -> ModemInfo {
        let digits = |stream: u64, n: usize| -> String {
            let mut x = h(self.seed, stream, 0);
            (0..n)
                .map(|_| {
                    let d = (x % 10) as u8;
                    x = x / 10 + h(self.seed, stream, (x % 97) as i64) % 1000;
                    (b'0' + d) as char
                })
                .collect()
        };
        let with_luhn = |body: String| {
            let check = (0..10)
                .find(|c| super::fields::luhn_ok(&format!("{body}{c}")))
                .unwrap_or(0);
            format!("{body}{check}")
        };
        ModemInfo {
            name: self.name.clone(),
            model: Some("simulated".into()),
            imei: Some(with_luhn(format!("35{}", digits(30, 12)))),
            iccid: Some(with_luhn(format!("8984{}", digits(31, 14)))),
            sim_state: Some("ready".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ts(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 11, 1, h, m, 0).unwrap()
    }

    #[test]
    fn deterministic_per_timestamp_whatever_the_order() {
        let mut a = SimModem::new("s", 7, SimProfile::default());
        let mut b = SimModem::new("s", 7, SimProfile::default());
        let x = a.sample_at(ts(3, 0));
        let _ = b.sample_at(ts(9, 0));
        assert_eq!(b.sample_at(ts(3, 0)), x);
        let mut c = SimModem::new("s", 8, SimProfile::default());
        assert_ne!(c.sample_at(ts(3, 0)), x);
    }

    #[test]
    fn lte_mean_and_spread_follow_the_profile() {
        let profile = SimProfile {
            tech_mix: TechMix {
                lte: 1.0,
                ..TechMix::default()
            },
            sites: 1,
            lte: Level {
                mean_dbm: -95.0,
                sigma_db: 6.0,
            },
            ..SimProfile::default()
        };
        let mut m = SimModem::new("s", 1, profile);
        let start = ts(0, 0);
        let v: Vec<f64> = (0..5000)
            .filter_map(|i| {
                m.sample_at(start + chrono::Duration::minutes(i))
                    .radio
                    .rsrp_dbm
            })
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!((mean + 95.0).abs() < 1.5, "mean {mean}");
        assert!((sd - 6.0).abs() < 1.5, "sd {sd}");
    }

    #[test]
    fn values_are_correlated_and_cells_stable() {
        let profile = SimProfile {
            tech_mix: TechMix {
                lte: 1.0,
                ..TechMix::default()
            },
            sites: 1,
            lte: Level {
                mean_dbm: -95.0,
                sigma_db: 10.0,
            },
            ..SimProfile::default()
        };
        let mut m = SimModem::new("s", 3, profile);
        let samples: Vec<_> = (0..2000)
            .map(|i| m.sample_at(ts(0, 0) + chrono::Duration::minutes(i)))
            .filter(|s| s.radio.tech == Tech::Lte)
            .collect();
        let pairs: Vec<(f64, f64)> = samples
            .iter()
            .filter_map(|s| Some((s.radio.rsrp_dbm?, s.radio.sinr_db?)))
            .collect();
        let n = pairs.len() as f64;
        let (mx, my) = (
            pairs.iter().map(|p| p.0).sum::<f64>() / n,
            pairs.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let cov = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>();
        let vx = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
        let vy = pairs.iter().map(|p| (p.1 - my).powi(2)).sum::<f64>();
        assert!(
            cov / (vx * vy).sqrt() > 0.6,
            "rsrp/sinr correlation too weak"
        );
        let cells: std::collections::BTreeSet<_> = samples
            .iter()
            .filter_map(|s| s.radio.cell.as_ref().and_then(|c| c.ci.clone()))
            .collect();
        assert_eq!(cells.len(), 1, "one site, one cell: {cells:?}");
    }

    #[test]
    fn outages_and_presets() {
        let mut dead = SimModem::new("d", 1, SimPreset::Dead.profile());
        let s = dead.sample_at(ts(5, 0));
        assert_eq!(s.radio.tech, Tech::None);
        assert_eq!(s.radio.reg, Reg::Searching);
        let mut flaky = SimModem::new("f", 2, SimPreset::Flaky.profile());
        let outages = (0..1000)
            .filter(|i| {
                flaky
                    .sample_at(ts(0, 0) + chrono::Duration::minutes(*i))
                    .radio
                    .tech
                    == Tech::None
            })
            .count();
        assert!(outages > 50 && outages < 600, "{outages}");
        for p in [
            SimPreset::Strong,
            SimPreset::Moderate,
            SimPreset::Weak,
            SimPreset::Flaky,
            SimPreset::Dead,
        ] {
            p.profile().validate().unwrap();
        }
        let mut home = SimModem::new("h", 3, SimPreset::Strong.profile());
        assert_eq!(
            home.sample_at(ts(5, 0)).serving,
            None,
            "serving only when different"
        );
        let roaming = SimProfile {
            serving: Some(PlmnConfig {
                mcc: "452".into(),
                mnc: "02".into(),
                name: None,
            }),
            ..SimPreset::Strong.profile()
        };
        let s = SimModem::new("r", 3, roaming).sample_at(ts(5, 0));
        assert_eq!(s.serving.map(|p| p.id()).as_deref(), Some("452-02"));
        assert_eq!(s.radio.reg, Reg::Roaming);
        let info = dead.info();
        assert!(super::super::fields::luhn_ok(info.imei.as_deref().unwrap()));
        assert_eq!(info.imei.as_deref().map(str::len), Some(15));
    }
}

//! Pure parser for SIMCom's `AT+CPSI?` serving-system report.
//!
//! Layouts (SIMCom SIM7500/SIM7600 and SIM8200 AT manuals, and public captures):
//!
//! | system mode | fields after `<System Mode>` |
//! |---|---|
//! | `NO SERVICE` | `<Operation Mode>` — no service |
//! | `GSM` | `<Op Mode>,<MCC>-<MNC>,<LAC>,<Cell ID>,<ARFCN>[ <band>],<RxLev dBm>,<Track LO Adjust>,<C1>-<C2>` |
//! | `WCDMA` | `<Op Mode>,<MCC>-<MNC>,<LAC>,<Cell ID>,<Frequency Band>,<PSC>,<Freq>,<SSC>,<EC/IO>,<RSCP>,<Qual>,<RxLev>,<TXPWR>` |
//! | `LTE` (also `LTE CAT-M1`, `LTE NB-IOT`) | `<Op Mode>,<MCC>-<MNC>,<TAC>,<SCellID>,<PCellID>,<Frequency Band>,<EARFCN>,<dlbw>,<ulbw>,<RSRQ>,<RSRP>,<RSSI>,<RSSNR>` |
//! | `NR5G_SA` | `<Op Mode>,<MCC>-<MNC>,<TAC>,<SCellID>,<PCellID>,<Frequency Band>,<ARFCN>,<RSRP>,<RSRQ>,<SNR>` |
//! | `NR5G_NSA` (second line under the LTE one) | `<PCellID>,<Frequency Band>,<ARFCN>,<RSRP>,<RSRQ>,<SNR>` |
//!
//! Ids: `<LAC>`/`<TAC>` are hex (usually with `0x`); `<Cell ID>`/`<SCellID>` are **decimal**.
//!
//! Units differ between firmware families, so the LTE line's RSRP decides: below −156 it is in
//! **0.1 dB units** (Qualcomm-based SIM7600/SIM7906: `-889` = −88.9 dBm, RSRQ and RSSI scaled
//! alike); −156..−31 is plain dBm/dB (SIM7000 CAT-M); 0..97 is a 27.007 index (ASR-based
//! A76xx), decoded like `+CESQ` (RSRP −141 + n, RSRQ −20 + n/2; the RSSI index scale is not
//! documented and is left unknown). `<RSSNR>` has no documented unit across families (some
//! manuals give SINR = 2·RSSNR − 20): it is kept raw in `rssnr_raw` and not reported as SINR.
//! NR values are in 0.1 units. WCDMA `<EC/IO>` and `<RSCP>` are printed as magnitudes by some
//! firmwares (`4.0,69`): positive values are negated.

use coverage_shared::wire::Tech;
use serde::Serialize;

use super::bands;
use super::fields::{Field, ParseError, find_bodies, hex_id, hex_string, round2, split_fields};
use super::gpp;
use super::observe::{Observation, RANK_SERVING, V};

/// A decoded `+CPSI?` reply (one line, or the LTE line plus its `NR5G_NSA` line).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cpsi {
    /// `<System Mode>` as printed (`LTE`, `NR5G_SA`, `NO SERVICE`, ...).
    pub system_mode: String,
    /// `<Operation Mode>` (`Online`, `Offline`, `Low Power Mode`, ...).
    pub op_mode: Option<String>,
    /// MCC.
    pub mcc: Option<String>,
    /// MNC.
    pub mnc: Option<String>,
    /// LAC (GSM/WCDMA), upper-case hex.
    pub lac: Option<String>,
    /// TAC (LTE/NR), upper-case hex.
    pub tac: Option<String>,
    /// Serving cell id, upper-case hex (printed in decimal by the modem).
    pub cell_id: Option<String>,
    /// Physical cell id / PSC.
    pub pci: Option<u32>,
    /// Band as printed (`EUTRAN-BAND3`, `NR5G_BAND78`, `WCDMA IMT 2000`, `EGSM 900`).
    pub band: Option<String>,
    /// Channel number (ARFCN/UARFCN/EARFCN/NR-ARFCN).
    pub arfcn: Option<u32>,
    /// How the LTE values were printed: `tenths`, `plain` or `index`.
    pub units: Option<&'static str>,
    /// RSSI (LTE) or RxLev (GSM), dBm.
    pub rssi_dbm: Option<f64>,
    /// LTE RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// LTE RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// LTE `<RSSNR>` as printed.
    pub rssnr_raw: Option<i64>,
    /// UMTS RSCP, dBm.
    pub rscp_dbm: Option<f64>,
    /// UMTS Ec/Io, dB.
    pub ecio_db: Option<f64>,
    /// NR SS-RSRP, dBm.
    pub ss_rsrp_dbm: Option<f64>,
    /// NR SS-RSRQ, dB.
    pub ss_rsrq_db: Option<f64>,
    /// NR SNR, dB.
    pub ss_sinr_db: Option<f64>,
    /// NR physical cell id (EN-DC secondary or SA serving cell).
    pub nr_pci: Option<u32>,
    /// NR band as printed.
    pub nr_band: Option<String>,
    /// NR-ARFCN.
    pub nr_arfcn: Option<u32>,
    /// How the NR values were printed: `tenths` or `plain`.
    pub nr_units: Option<&'static str>,
    /// A whole-dB NR line printed its SNR out of range; it was read as tenths.
    pub nr_snr_scaled: bool,
    /// The NR line uses the SIM8200 V1.00.01 `NR5G,...` layout.
    pub legacy_nr: bool,
    /// Lines of a layout this parser does not know, as printed (not decoded).
    pub unknown_lines: Vec<String>,
}

impl Cpsi {
    /// True for `NO SERVICE`.
    pub fn no_service(&self) -> bool {
        self.system_mode.eq_ignore_ascii_case("NO SERVICE")
    }

    /// Our technology; `None` for system modes we cannot represent (CDMA, EVDO).
    pub fn tech(&self) -> Option<Tech> {
        let m = self.system_mode.to_ascii_uppercase();
        Some(if m == "NO SERVICE" {
            Tech::None
        } else if m.starts_with("NR5G_SA") || m.starts_with("NR5G SA") {
            Tech::Nr5gSa
        } else if m.starts_with("LTE") || m.starts_with("CAT-") {
            if self.ss_rsrp_dbm.is_some() || self.nr_pci.is_some() {
                Tech::Nr5gNsa
            } else {
                Tech::Lte
            }
        } else if m.starts_with("WCDMA") || m.starts_with("HSPA") || m.starts_with("TDSCDMA") {
            Tech::Umts
        } else if m.starts_with("GSM") || m.starts_with("EDGE") || m.starts_with("GPRS") {
            Tech::Gsm
        } else {
            return None;
        })
    }
}

fn s(f: Option<&Field<'_>>) -> Option<String> {
    f.and_then(Field::opt_str).map(str::to_string)
}

fn dec_id(f: Option<&Field<'_>>) -> Option<String> {
    f.and_then(Field::int)
        .and_then(|v| u64::try_from(v).ok())
        .filter(|v| *v != 0)
        .map(hex_string)
}

fn plmn(f: Option<&Field<'_>>) -> (Option<String>, Option<String>) {
    match f.and_then(Field::opt_str).and_then(|t| t.split_once('-')) {
        Some((mcc, mnc)) if !mcc.is_empty() && !mnc.is_empty() => {
            (Some(mcc.trim().to_string()), Some(mnc.trim().to_string()))
        }
        _ => (None, None),
    }
}

fn tenths(f: Option<&Field<'_>>) -> Option<f64> {
    f.and_then(Field::float).map(|v| round2(v / 10.0))
}

/// Sets the NR values from `<RSRP>,<RSRQ>,<SNR>` as printed. RSRP decides the unit of RSRP
/// and RSRQ: below −156 it is tenths (SIM8200 V1.01: `-960` = −96.0 dBm), else whole dB (the
/// V1.00.01 lines). The SNR follows RSRP in tenths; with whole-dB RSRP it is taken as dB when
/// it fits the SS-SINR range −23..40 and as tenths otherwise (the V1.00.01 EN-DC example
/// prints `153` beside RSRP `-92`), flagged in `nr_snr_scaled`.
fn nr_values(
    out: &mut Cpsi,
    rsrp: Option<&Field<'_>>,
    rsrq: Option<&Field<'_>>,
    snr: Option<&Field<'_>>,
) {
    let Some(p) = rsrp.and_then(Field::float) else {
        return;
    };
    if p < -156.0 {
        out.nr_units = Some("tenths");
        out.ss_rsrp_dbm = Some(round2(p / 10.0));
        out.ss_rsrq_db = tenths(rsrq);
        out.ss_sinr_db = tenths(snr);
    } else {
        out.nr_units = Some("plain");
        out.ss_rsrp_dbm = Some(p);
        out.ss_rsrq_db = rsrq.and_then(Field::float);
        out.ss_sinr_db = match snr.and_then(Field::float) {
            Some(v) if (-23.0..=40.0).contains(&v) => Some(v),
            Some(v) if (-230.0..=400.0).contains(&v) => {
                out.nr_snr_scaled = true;
                Some(round2(v / 10.0))
            }
            _ => None,
        };
    }
}

fn magnitude_negative(f: Option<&Field<'_>>) -> Option<f64> {
    f.and_then(Field::float)
        .map(|v| if v > 0.0 { -v } else { v })
}

fn parse_line(out: &mut Cpsi, f: &[Field<'_>]) {
    let g = |k: usize| f.get(k);
    let mode = f[0].text.to_ascii_uppercase();
    if mode.starts_with("NR5G_NSA") || mode.starts_with("NR5G NSA") {
        out.nr_pci = g(1)
            .and_then(Field::int)
            .and_then(|v| u32::try_from(v).ok());
        out.nr_band = s(g(2));
        out.nr_arfcn = g(3)
            .and_then(Field::int)
            .and_then(|v| u32::try_from(v).ok());
        nr_values(out, g(4), g(5), g(6));
        return;
    }
    if mode == "NR5G" {
        // SIM8200 manual V1.00.01 layouts, told apart by the second field: a number is the
        // EN-DC leg `NR5G,<PCellID>,<ARFCN>,<RSRQ>,<RSRP>,<SNR>` (RSRQ first), a word the SA
        // serving cell `NR5G,<Op Mode>,<MCC>-<MNC>,<TAC>,<SCellID>,<PCellID>,<ARFCN>,<RSRP>,
        // <RSRQ>,<SNR>`. Both print RSRP/RSRQ in whole dB and the SNR in either unit.
        if g(1).and_then(Field::int).is_some() {
            out.legacy_nr = true;
            out.nr_pci = g(1)
                .and_then(Field::int)
                .and_then(|v| u32::try_from(v).ok());
            out.nr_arfcn = g(2)
                .and_then(Field::int)
                .and_then(|v| u32::try_from(v).ok());
            nr_values(out, g(4), g(3), g(5));
            return;
        }
        if f.len() >= 10 {
            out.legacy_nr = true;
            out.system_mode = "NR5G_SA".to_string();
            out.op_mode = s(g(1));
            let (mcc, mnc) = plmn(g(2));
            out.mcc = mcc;
            out.mnc = mnc;
            out.tac = g(3).and_then(|f| hex_id(f.text));
            out.cell_id = dec_id(g(4));
            out.nr_pci = g(5)
                .and_then(Field::int)
                .and_then(|v| u32::try_from(v).ok());
            out.nr_arfcn = g(6)
                .and_then(Field::int)
                .and_then(|v| u32::try_from(v).ok());
            nr_values(out, g(7), g(8), g(9));
            return;
        }
        // Any other NR5G line: not a layout we know; it must not replace the LTE anchor.
        out.unknown_lines
            .push(f.iter().map(|f| f.text).collect::<Vec<_>>().join(","));
        return;
    }
    if mode.starts_with("NOT IN") {
        return;
    }
    out.system_mode = f[0].text.to_string();
    out.op_mode = s(g(1));
    let (mcc, mnc) = plmn(g(2));
    out.mcc = mcc;
    out.mnc = mnc;
    let u32_at = |k: usize| {
        g(k).and_then(Field::int)
            .and_then(|v| u32::try_from(v).ok())
    };
    if mode.starts_with("NR5G_SA") || mode.starts_with("NR5G SA") {
        out.tac = g(3).and_then(|f| hex_id(f.text));
        out.cell_id = dec_id(g(4));
        out.nr_pci = u32_at(5);
        out.nr_band = s(g(6));
        out.nr_arfcn = u32_at(7);
        nr_values(out, g(8), g(9), g(10));
    } else if mode.starts_with("LTE") || mode.starts_with("CAT-") {
        out.tac = g(3).and_then(|f| hex_id(f.text));
        out.cell_id = dec_id(g(4));
        out.pci = u32_at(5);
        out.band = s(g(6));
        out.arfcn = u32_at(7);
        let (rsrq, rsrp, rssi) = (
            g(10).and_then(Field::int),
            g(11).and_then(Field::int),
            g(12),
        );
        match rsrp {
            Some(r) if r < -156 => {
                out.units = Some("tenths");
                out.rsrq_db = tenths(g(10));
                out.rsrp_dbm = Some(round2(r as f64 / 10.0));
                out.rssi_dbm = tenths(rssi);
            }
            Some(r) if r < 0 => {
                out.units = Some("plain");
                out.rsrq_db = g(10).and_then(Field::float);
                out.rsrp_dbm = Some(r as f64);
                out.rssi_dbm = rssi.and_then(Field::float);
            }
            Some(r) => {
                out.units = Some("index");
                out.rsrq_db = rsrq.and_then(gpp::rsrq_db);
                out.rsrp_dbm = gpp::rsrp_dbm(r);
            }
            None => {}
        }
        out.rssnr_raw = g(13).and_then(Field::int);
    } else if mode.starts_with("WCDMA") || mode.starts_with("HSPA") || mode.starts_with("TDSCDMA") {
        out.lac = g(3).and_then(|f| hex_id(f.text));
        out.cell_id = dec_id(g(4));
        out.band = s(g(5));
        out.pci = u32_at(6);
        out.arfcn = u32_at(7);
        out.ecio_db = magnitude_negative(g(9));
        out.rscp_dbm = magnitude_negative(g(10));
    } else if mode.starts_with("GSM") || mode.starts_with("EDGE") || mode.starts_with("GPRS") {
        out.lac = g(3).and_then(|f| hex_id(f.text));
        out.cell_id = dec_id(g(4));
        // "27 EGSM 900": the ARFCN, then the band name when the firmware prints one.
        if let Some(t) = g(5).and_then(Field::opt_str) {
            let mut parts = t.splitn(2, ' ');
            out.arfcn = parts.next().and_then(|a| a.trim().parse().ok());
            out.band = parts.next().map(|b| b.trim().to_string());
        }
        out.rssi_dbm = g(6)
            .and_then(Field::float)
            .filter(|v| (-125.0..=-20.0).contains(v));
    }
}

/// Parses the `+CPSI:` lines of a reply.
pub fn parse_cpsi(reply: &str) -> Result<Cpsi, ParseError> {
    let mut out = Cpsi::default();
    for body in find_bodies(reply, "+CPSI") {
        let f = split_fields(body);
        if f.first().is_none_or(|f| f.text.is_empty()) {
            continue;
        }
        parse_line(&mut out, &f);
    }
    if out.system_mode.is_empty() {
        Err(ParseError::Missing { prefix: "+CPSI" })
    } else {
        Ok(out)
    }
}

/// The wire band of a CPSI band string in the given mode.
pub fn band(cpsi: &Cpsi) -> Option<String> {
    let m = cpsi.system_mode.to_ascii_uppercase();
    if m.starts_with("NR5G_SA") || m.starts_with("NR5G SA") {
        return cpsi
            .nr_band
            .as_deref()
            .and_then(|b| bands::normalise(b, true));
    }
    let b = cpsi.band.as_deref();
    if m.starts_with("WCDMA") || m.starts_with("HSPA") {
        return b
            .and_then(bands::umts_from_name)
            .or_else(|| cpsi.arfcn.and_then(|u| bands::umts_from_uarfcn(u.into())));
    }
    if m.starts_with("GSM") || m.starts_with("EDGE") || m.starts_with("GPRS") {
        let pcs = b.is_some_and(|b| b.to_ascii_uppercase().contains("PCS"));
        return cpsi
            .arfcn
            .and_then(|a| bands::gsm_from_arfcn(a.into(), pcs));
    }
    b.and_then(|b| bands::normalise(b, false))
}

/// How simcom replies add to an [`Observation`] (the ranked merge itself is in `observe.rs`).
impl Observation {
    /// Adds a SIMCom `+CPSI?` reply.
    pub fn add_cpsi(&mut self, c: &Cpsi) {
        let r = RANK_SERVING;
        let tech = c.tech();
        self.tech(tech, r);
        self.service(c.no_service(), r);
        self.serving(c.mcc.as_deref(), c.mnc.as_deref(), r);
        match tech {
            Some(Tech::Nr5gSa) => {
                self.value(V::SsRsrp, c.ss_rsrp_dbm, r);
                self.value(V::SsRsrq, c.ss_rsrq_db, r);
                self.value(V::SsSinr, c.ss_sinr_db, r);
                self.cell(
                    None,
                    c.tac.clone(),
                    c.cell_id.clone(),
                    c.nr_pci,
                    c.nr_arfcn,
                    band(c),
                    r,
                );
            }
            _ => {
                self.value(V::Rssi, c.rssi_dbm, r);
                self.value(V::Rsrp, c.rsrp_dbm, r);
                self.value(V::Rsrq, c.rsrq_db, r);
                self.value(V::Rscp, c.rscp_dbm, r);
                self.value(V::Ecno, c.ecio_db, r);
                self.value(V::SsRsrp, c.ss_rsrp_dbm, r);
                self.value(V::SsRsrq, c.ss_rsrq_db, r);
                self.value(V::SsSinr, c.ss_sinr_db, r);
                self.cell(
                    c.lac.clone(),
                    c.tac.clone(),
                    c.cell_id.clone(),
                    c.pci,
                    c.arfcn,
                    band(c),
                    r,
                );
            }
        }
        match c.units {
            Some("tenths") => self.note("cpsi lte values scaled from 0.1 dB units"),
            Some("index") => self
                .note("cpsi lte values decoded as 27.007 indices; rssi index scale undocumented"),
            _ => {}
        }
        if c.rssnr_raw.is_some() {
            self.note(
                "cpsi rssnr kept raw (unit differs between SIMCom firmwares); sinr_db not set",
            );
        }
        match c.nr_units {
            Some("tenths") => self.note("cpsi nr values scaled from 0.1 dB units"),
            Some(_) if c.nr_snr_scaled => {
                self.note("cpsi nr rsrp/rsrq in dB; snr out of range in dB, read as 0.1 dB units")
            }
            _ => {}
        }
        for l in &c.unknown_lines {
            self.note(format!(
                "+CPSI line {l:?} is not a layout we know; not decoded"
            ));
        }
        if tech.is_none() {
            self.note(format!(
                "+CPSI system mode {} is not a technology we report",
                c.system_mode
            ));
        }
        self.detail("cpsi", c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::modem::fixture;

    #[test]
    fn lte_tenths_sim7906() {
        let c = parse_cpsi(&fixture("simcom-cpsi-lte-sim7906-megafon.txt")).unwrap();
        assert_eq!(c.tech(), Some(Tech::Lte));
        assert_eq!(c.op_mode.as_deref(), Some("Online"));
        assert_eq!(
            (c.mcc.as_deref(), c.mnc.as_deref()),
            (Some("250"), Some("02"))
        );
        assert_eq!(c.tac.as_deref(), Some("EF8"));
        assert_eq!(c.cell_id.as_deref(), Some("562C")); // 22060 decimal
        assert_eq!(c.pci, Some(58));
        assert_eq!(band(&c).as_deref(), Some("B3"));
        assert_eq!(c.arfcn, Some(1725));
        assert_eq!(c.units, Some("tenths"));
        assert_eq!(
            (c.rsrq_db, c.rsrp_dbm, c.rssi_dbm),
            (Some(-10.8), Some(-88.9), Some(-61.4))
        );
        assert_eq!(c.rssnr_raw, Some(19));
    }

    #[test]
    fn other_modes() {
        let n = parse_cpsi("+CPSI: NO SERVICE,Online").unwrap();
        assert!(n.no_service());
        assert_eq!(n.tech(), Some(Tech::None));

        let g =
            parse_cpsi("+CPSI: GSM,Online,460-00,0x182d,12401,27 EGSM 900,-64,2110,42-42").unwrap();
        assert_eq!(g.tech(), Some(Tech::Gsm));
        assert_eq!(
            (g.lac.as_deref(), g.cell_id.as_deref()),
            (Some("182D"), Some("3071"))
        );
        assert_eq!((g.arfcn, g.rssi_dbm), (Some(27), Some(-64.0)));
        assert_eq!(band(&g).as_deref(), Some("GSM900"));

        let w = parse_cpsi(
            "+CPSI: WCDMA,Online,250-20,0x4D07,4487261,WCDMA IMT 2000,38,10563,0,4.0,69,32,46,500",
        )
        .unwrap();
        assert_eq!(w.tech(), Some(Tech::Umts));
        assert_eq!((w.ecio_db, w.rscp_dbm), (Some(-4.0), Some(-69.0)));
        assert_eq!(band(&w).as_deref(), Some("B1"));

        let sa = parse_cpsi(
            "+CPSI: NR5G_SA,Online,242-12,0x765D,4955280,0,NR5G_BAND78,640704,-740,-110,240",
        )
        .unwrap();
        assert_eq!(sa.tech(), Some(Tech::Nr5gSa));
        assert_eq!(
            (sa.ss_rsrp_dbm, sa.ss_rsrq_db, sa.ss_sinr_db),
            (Some(-74.0), Some(-11.0), Some(24.0))
        );
        assert_eq!(band(&sa).as_deref(), Some("n78"));

        let nsa = parse_cpsi(
            "+CPSI: LTE,Online,460-11,0x5A1E,187214780,257,EUTRAN-BAND3,1850,5,5,-94,-850,-545,15\r\n+CPSI: NR5G_NSA,644,NR5G_BAND78,627264,-960,-120,95\r\nOK",
        )
        .unwrap();
        assert_eq!(nsa.tech(), Some(Tech::Nr5gNsa));
        assert_eq!(nsa.rsrp_dbm, Some(-85.0));
        assert_eq!(nsa.ss_rsrp_dbm, Some(-96.0));
        assert_eq!(nsa.ss_sinr_db, Some(9.5));

        // SIM8200 manual V1.00.01 (tests/fixtures/modem-vendor): the older NR5G layouts.
        let endc = parse_cpsi(
            "+CPSI: LTE,Online,460-11,0x5A1E,187214780,257,EUTRAN-BAND3,1825,4,4,-102,-924,-632,13\n+CPSI: NR5G,257,629952,-11,-92,153\nOK\n",
        )
        .unwrap();
        assert_eq!(endc.tech(), Some(Tech::Nr5gNsa));
        assert_eq!(
            (endc.rsrp_dbm, endc.mcc.as_deref()),
            (Some(-92.4), Some("460"))
        );
        assert_eq!(
            (
                endc.ss_rsrp_dbm,
                endc.ss_rsrq_db,
                endc.ss_sinr_db,
                endc.nr_snr_scaled
            ),
            (Some(-92.0), Some(-11.0), Some(15.3), true)
        );
        let sa =
            parse_cpsi("+CPSI: NR5G,Online,311-480,0x2D18,50896642,257,629952,-92,-11,15").unwrap();
        assert_eq!(sa.tech(), Some(Tech::Nr5gSa));
        assert_eq!(
            (
                sa.ss_rsrp_dbm,
                sa.ss_rsrq_db,
                sa.ss_sinr_db,
                sa.nr_snr_scaled
            ),
            (Some(-92.0), Some(-11.0), Some(15.0), false)
        );
        assert_eq!((sa.nr_pci, sa.nr_arfcn), (Some(257), Some(629952)));
        let odd = parse_cpsi("+CPSI: LTE,Online,460-11,0x5A1E,187214780,257,EUTRAN-BAND3,1825,4,4,-102,-924,-632,13\n+CPSI: NR5G,x").unwrap();
        assert_eq!((odd.tech(), odd.unknown_lines.len()), (Some(Tech::Lte), 1));

        let catm = parse_cpsi(
            "+CPSI: LTE CAT-M1,Online,240-07,0x2AFE,34564631,149,EUTRAN-BAND20,6400,3,3,-12,-81,-52,10",
        )
        .unwrap();
        assert_eq!(
            (catm.units, catm.rsrp_dbm, catm.rsrq_db),
            (Some("plain"), Some(-81.0), Some(-12.0))
        );
        let asr = parse_cpsi(
            "+CPSI: LTE,Online,286-01,0x172B,387360,449,EUTRAN-BAND3,1651,5,0,22,64,64,10",
        )
        .unwrap();
        assert_eq!(
            (asr.units, asr.rsrp_dbm, asr.rsrq_db, asr.rssi_dbm),
            (Some("index"), Some(-77.0), Some(-9.0), None)
        );
    }
}

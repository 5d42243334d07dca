//! Pure parsers for Quectel's engineering-mode serving-cell report, `AT+QENG="servingcell"`,
//! and its signal report `AT+QCSQ` (at the end of this file).
//!
//! Layouts (Quectel EC2x/EG2x AT manual §"AT+QENG"; RG50x/RM5xx as documented in quectel-CM
//! `atc.c`; see the fixtures' `INDEX.md` §E), fields after `"servingcell",<state>`:
//!
//! - LTE (also `CAT-M`, `CAT-NB`, `eMTC`, `NBIoT`): `"LTE",<is_tdd>,<mcc>,<mnc>,<cellID>,<pcid>,
//!   <earfcn>,<band>,<ul_bw>,<dl_bw>,<tac>,<rsrp>,<rsrq>,<rssi>,<sinr>[,<cqi>,<tx_power>][,<srxlev>]`
//! - EN-DC, three lines: `"servingcell",<state>` / `"LTE",<is_tdd>,...` (no state) /
//!   `"NR5G-NSA",<mcc>,<mnc>,<pcid>,<rsrp>,<sinr>,<rsrq>[,<arfcn>,<band>,<nr_dl_bw>,<scs>]` —
//!   **SINR before RSRQ** in the NR line.
//! - NR5G-SA: `"NR5G-SA",<duplex>,<mcc>,<mnc>,<cellID>,<pcid>,<tac>,<arfcn>,<band>,<nr_dl_bw>,
//!   <rsrp>,<rsrq>,<sinr>,<scs>,<srxlev>`
//! - WCDMA: `"WCDMA",<mcc>,<mnc>,<lac>,<cellID>,<uarfcn>,<psc>,<rac>,<rscp>,<ecio>,<phych>,<sf>,
//!   <slot>,<speech_code>,<comMod>`
//! - GSM: `"GSM",<mcc>,<mnc>,<lac>,<cellID>,<bsic>,<arfcn>,<band>,<rxlev>,<txp>,<rla>,<drx>,<c1>,
//!   <c2>,<gprs>,<tch>,<ts>,<ta>,<maio>,<hsn>,<rxlevsub>,<rxlevfull>,<rxqualsub>,<rxqualfull>,
//!   <voicecodec>`
//!
//! Signal fields are already dBm/dB. `<cellID>`, `<lac>` and `<tac>` are hex strings even when
//! they hold no letter. `"-"` means "invalid in the current condition" and decodes to `None`.
//! `<state>` is `SEARCH` (no cell: no service), `LIMSRV` (camped, not registered), `NOCONN`
//! (registered, idle) or `CONNECT`.
//!
//! Firmware quirk: the RM500Q's NR line has been seen reporting SINR in 0.1 dB (raw `180` while
//! QMI said 18.5 dB). An NR SINR outside the SS-SINR range −23..40 dB whose tenth is inside it
//! is decoded as tenths and flagged (`sinr_scaled`); a value inside the range is taken as dB.

use coverage_shared::wire::Tech;
use serde::Serialize;

use super::bands;
use super::fields::{Field, ParseError, find_bodies, hex_id, split_fields};
use super::observe::{Observation, RANK_CESQ, RANK_SERVING, V};

/// The decoded `+QENG="servingcell"` reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QengServing {
    /// `<state>`: `SEARCH`, `LIMSRV`, `NOCONN` or `CONNECT`.
    pub state: Option<String>,
    /// The serving RAT as printed (`LTE`, `NR5G-SA`, `WCDMA`, ...); `NR5G-NSA` for EN-DC.
    pub rat: Option<String>,
    /// The LTE serving cell (also the EN-DC anchor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lte: Option<QengLte>,
    /// The NR secondary cell of an EN-DC connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nr5g_nsa: Option<QengNrNsa>,
    /// The NR standalone serving cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nr5g_sa: Option<QengNrSa>,
    /// A RAT name this parser does not know (`NTN NBIoT`, ...): its fields are not decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_rat: Option<String>,
    /// The WCDMA serving cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wcdma: Option<QengWcdma>,
    /// The GSM serving cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gsm: Option<QengGsm>,
}

impl QengServing {
    /// True when the modem reports no serving cell (`SEARCH`).
    pub fn no_service(&self) -> bool {
        self.state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("SEARCH"))
    }

    /// Our technology: `none` while searching; EN-DC when an NR5G-NSA line with a measured or
    /// identified cell accompanies the LTE anchor.
    pub fn tech(&self) -> Option<Tech> {
        if self.no_service() {
            return Some(Tech::None);
        }
        if let Some(nr) = &self.nr5g_nsa
            && (nr.pci.is_some() || nr.rsrp_dbm.is_some())
        {
            return Some(Tech::Nr5gNsa);
        }
        if self.nr5g_sa.is_some() {
            return Some(Tech::Nr5gSa);
        }
        if self.lte.is_some() {
            return Some(Tech::Lte);
        }
        if self.wcdma.is_some() {
            return Some(Tech::Umts);
        }
        if self.gsm.is_some() {
            return Some(Tech::Gsm);
        }
        None
    }
}

/// An LTE serving cell from `+QENG`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QengLte {
    /// `FDD` or `TDD`.
    pub duplex: Option<String>,
    /// MCC as printed (Quectel drops leading zeros: `1` for `001`).
    pub mcc: Option<String>,
    /// MNC as printed.
    pub mnc: Option<String>,
    /// E-UTRAN cell id (ECI), upper-case hex.
    pub cell_id: Option<String>,
    /// Physical cell id.
    pub pci: Option<u32>,
    /// EARFCN.
    pub earfcn: Option<u32>,
    /// E-UTRA band number.
    pub band: Option<u32>,
    /// Uplink bandwidth, MHz (index 0..5 = 1.4/3/5/10/15/20).
    pub ul_bw_mhz: Option<f64>,
    /// Downlink bandwidth, MHz.
    pub dl_bw_mhz: Option<f64>,
    /// Tracking area code, upper-case hex.
    pub tac: Option<String>,
    /// RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// RSSI, dBm.
    pub rssi_dbm: Option<f64>,
    /// SINR, dB.
    pub sinr_db: Option<f64>,
    /// CQI.
    pub cqi: Option<i64>,
    /// Transmit power.
    pub tx_power: Option<i64>,
    /// Cell-selection RX level (`<srxlev>`).
    pub srxlev: Option<i64>,
}

/// The NR leg of an EN-DC connection from `+QENG`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QengNrNsa {
    /// MCC as printed.
    pub mcc: Option<String>,
    /// MNC as printed.
    pub mnc: Option<String>,
    /// Physical cell id.
    pub pci: Option<u32>,
    /// SS-RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// SINR as printed.
    pub sinr_raw: Option<i64>,
    /// SS-SINR, dB (after the 0.1 dB correction when `sinr_scaled`).
    pub sinr_db: Option<f64>,
    /// The raw SINR was out of range and decoded as tenths of a dB.
    pub sinr_scaled: bool,
    /// SS-RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// NR-ARFCN.
    pub arfcn: Option<u32>,
    /// NR band number.
    pub band: Option<u32>,
    /// DL bandwidth index as printed.
    pub dl_bw: Option<i64>,
    /// Subcarrier spacing index as printed.
    pub scs: Option<i64>,
}

/// An NR standalone serving cell from `+QENG`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QengNrSa {
    /// `FDD` or `TDD`.
    pub duplex: Option<String>,
    /// MCC as printed.
    pub mcc: Option<String>,
    /// MNC as printed.
    pub mnc: Option<String>,
    /// NR cell id (NCI, 36 bits), upper-case hex.
    pub cell_id: Option<String>,
    /// Physical cell id.
    pub pci: Option<u32>,
    /// Tracking area code, upper-case hex.
    pub tac: Option<String>,
    /// NR-ARFCN.
    pub arfcn: Option<u32>,
    /// NR band number.
    pub band: Option<u32>,
    /// DL bandwidth index as printed.
    pub dl_bw: Option<i64>,
    /// SS-RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// SS-RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// SINR as printed.
    pub sinr_raw: Option<i64>,
    /// SS-SINR, dB.
    pub sinr_db: Option<f64>,
    /// The raw SINR was out of range and decoded as tenths of a dB.
    pub sinr_scaled: bool,
    /// Subcarrier spacing index as printed.
    pub scs: Option<i64>,
    /// Cell-selection RX level.
    pub srxlev: Option<i64>,
}

/// A WCDMA serving cell from `+QENG`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QengWcdma {
    /// MCC as printed.
    pub mcc: Option<String>,
    /// MNC as printed.
    pub mnc: Option<String>,
    /// Location area code, upper-case hex.
    pub lac: Option<String>,
    /// 28-bit UTRAN cell id, upper-case hex.
    pub cell_id: Option<String>,
    /// RNC id (cell id >> 16).
    pub rnc: Option<u64>,
    /// Cell id within the RNC (cell id & 0xFFFF).
    pub cid: Option<u64>,
    /// Downlink UARFCN.
    pub uarfcn: Option<u32>,
    /// Primary scrambling code.
    pub psc: Option<u32>,
    /// Routing area code.
    pub rac: Option<i64>,
    /// RSCP, dBm.
    pub rscp_dbm: Option<f64>,
    /// Ec/Io, dB.
    pub ecio_db: Option<f64>,
    /// Remaining fields as printed (`<phych>,<sf>,<slot>,<speech_code>,<comMod>`).
    pub rest: Vec<Option<String>>,
}

/// A GSM serving cell from `+QENG`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QengGsm {
    /// MCC as printed.
    pub mcc: Option<String>,
    /// MNC as printed.
    pub mnc: Option<String>,
    /// Location area code, upper-case hex.
    pub lac: Option<String>,
    /// Cell id, upper-case hex.
    pub cell_id: Option<String>,
    /// Base station identity code.
    pub bsic: Option<i64>,
    /// ARFCN.
    pub arfcn: Option<u32>,
    /// `<band>`: 0 DCS1800, 1 PCS1900 (disambiguates ARFCN 512..810).
    pub band: Option<i64>,
    /// Received level, dBm.
    pub rxlev_dbm: Option<f64>,
    /// Transmit power.
    pub txp: Option<i64>,
    /// Received level average.
    pub rla: Option<i64>,
    /// DRX.
    pub drx: Option<i64>,
    /// C1.
    pub c1: Option<i64>,
    /// C2.
    pub c2: Option<i64>,
    /// GPRS support.
    pub gprs: Option<i64>,
    /// Traffic channel: ARFCN, or `h` when hopping.
    pub tch: Option<String>,
    /// Timeslot.
    pub ts: Option<i64>,
    /// Timing advance.
    pub ta: Option<i64>,
    /// MAIO.
    pub maio: Option<i64>,
    /// HSN.
    pub hsn: Option<i64>,
    /// RXLEV-SUB (0..63 scale).
    pub rxlevsub: Option<i64>,
    /// RXLEV-FULL (0..63 scale).
    pub rxlevfull: Option<i64>,
    /// RXQUAL-SUB.
    pub rxqualsub: Option<i64>,
    /// RXQUAL-FULL.
    pub rxqualfull: Option<i64>,
    /// Voice codec.
    pub voicecodec: Option<String>,
}

/// Decodes an NR SINR as printed; see the module doc for the 0.1 dB firmware quirk.
pub fn nr_sinr(raw: Option<i64>) -> (Option<f64>, bool) {
    match raw {
        Some(v) if (-23..=40).contains(&v) => (Some(v as f64), false),
        Some(v) if (-230..=400).contains(&v) => (Some(v as f64 / 10.0), true),
        _ => (None, false),
    }
}

const LTE_BW_MHZ: [f64; 6] = [1.4, 3.0, 5.0, 10.0, 15.0, 20.0];

fn lte_bw(f: Option<&Field<'_>>) -> Option<f64> {
    f.and_then(Field::int)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| LTE_BW_MHZ.get(i).copied())
}

fn s(f: Option<&Field<'_>>) -> Option<String> {
    f.and_then(Field::opt_str).map(str::to_string)
}

fn i(f: Option<&Field<'_>>) -> Option<i64> {
    f.and_then(Field::int)
}

fn u(f: Option<&Field<'_>>) -> Option<u32> {
    i(f).and_then(|v| u32::try_from(v).ok())
}

fn db(f: Option<&Field<'_>>) -> Option<f64> {
    f.and_then(Field::float)
}

fn hx(f: Option<&Field<'_>>) -> Option<String> {
    f.and_then(|f| hex_id(f.text))
}

/// A cell id: printed as `0` when the modem has none (quectel-CM's NR5G-SA example), which is
/// no id rather than cell zero.
fn cell_hx(f: Option<&Field<'_>>) -> Option<String> {
    hx(f).filter(|h| h != "0")
}

fn parse_lte(f: &[Field<'_>]) -> QengLte {
    // f[0] is the RAT name.
    let g = |k: usize| f.get(k);
    // After <sinr> (index 14): `<srxlev>` alone (EC2x), `<cqi>,<tx_power>`, or all three.
    let tail = f.len().saturating_sub(15);
    let (cqi, tx_power, srxlev) = match tail {
        0 => (None, None, None),
        1 => (None, None, i(g(15))),
        2 => (i(g(15)), i(g(16)), None),
        _ => (i(g(15)), i(g(16)), i(g(17))),
    };
    QengLte {
        duplex: s(g(1)),
        mcc: s(g(2)),
        mnc: s(g(3)),
        cell_id: cell_hx(g(4)),
        pci: u(g(5)),
        earfcn: u(g(6)),
        band: u(g(7)),
        ul_bw_mhz: lte_bw(g(8)),
        dl_bw_mhz: lte_bw(g(9)),
        tac: hx(g(10)),
        rsrp_dbm: db(g(11)),
        rsrq_db: db(g(12)),
        rssi_dbm: db(g(13)),
        sinr_db: db(g(14)),
        cqi,
        tx_power,
        srxlev,
    }
}

fn parse_nr_nsa(f: &[Field<'_>]) -> QengNrNsa {
    let g = |k: usize| f.get(k);
    let sinr_raw = i(g(5));
    let (sinr_db, sinr_scaled) = nr_sinr(sinr_raw);
    QengNrNsa {
        mcc: s(g(1)),
        mnc: s(g(2)),
        pci: u(g(3)),
        rsrp_dbm: db(g(4)),
        sinr_raw,
        sinr_db,
        sinr_scaled,
        rsrq_db: db(g(6)),
        arfcn: u(g(7)),
        band: u(g(8)),
        dl_bw: i(g(9)),
        scs: i(g(10)),
    }
}

fn parse_nr_sa(f: &[Field<'_>]) -> QengNrSa {
    let g = |k: usize| f.get(k);
    let sinr_raw = i(g(12));
    let (sinr_db, sinr_scaled) = nr_sinr(sinr_raw);
    QengNrSa {
        duplex: s(g(1)),
        mcc: s(g(2)),
        mnc: s(g(3)),
        cell_id: cell_hx(g(4)),
        pci: u(g(5)),
        tac: hx(g(6)),
        arfcn: u(g(7)),
        band: u(g(8)),
        dl_bw: i(g(9)),
        rsrp_dbm: db(g(10)),
        rsrq_db: db(g(11)),
        sinr_raw,
        sinr_db,
        sinr_scaled,
        scs: i(g(13)),
        srxlev: i(g(14)),
    }
}

fn parse_wcdma(f: &[Field<'_>]) -> QengWcdma {
    let g = |k: usize| f.get(k);
    let ci = g(4).and_then(Field::hex);
    // A 28-bit UTRAN CI is RNC-ID (12 or 16 bits) << 16 | C-ID.
    let (rnc, cid) = match ci {
        Some(v) if v > 0xFFFF => (Some(v >> 16), Some(v & 0xFFFF)),
        _ => (None, None),
    };
    QengWcdma {
        mcc: s(g(1)),
        mnc: s(g(2)),
        lac: hx(g(3)),
        cell_id: hx(g(4)),
        rnc,
        cid,
        uarfcn: u(g(5)),
        psc: u(g(6)),
        rac: i(g(7)),
        rscp_dbm: db(g(8)),
        ecio_db: db(g(9)),
        rest: f.iter().skip(10).map(|f| s(Some(f))).collect(),
    }
}

fn parse_gsm(f: &[Field<'_>]) -> QengGsm {
    let g = |k: usize| f.get(k);
    QengGsm {
        mcc: s(g(1)),
        mnc: s(g(2)),
        lac: hx(g(3)),
        cell_id: hx(g(4)),
        bsic: i(g(5)),
        arfcn: u(g(6)),
        band: i(g(7)),
        rxlev_dbm: db(g(8)),
        txp: i(g(9)),
        rla: i(g(10)),
        drx: i(g(11)),
        c1: i(g(12)),
        c2: i(g(13)),
        gprs: i(g(14)),
        tch: s(g(15)),
        ts: i(g(16)),
        ta: i(g(17)),
        maio: i(g(18)),
        hsn: i(g(19)),
        rxlevsub: i(g(20)),
        rxlevfull: i(g(21)),
        rxqualsub: i(g(22)),
        rxqualfull: i(g(23)),
        voicecodec: s(g(24)),
    }
}

/// Applies one RAT block (fields starting with the RAT name) to `out`. Returns false when the
/// first field is not a RAT this parser knows.
fn apply_block(out: &mut QengServing, f: &[Field<'_>]) -> bool {
    let Some(rat) = f.first().map(|f| f.text.to_ascii_uppercase()) else {
        return false;
    };
    match rat.as_str() {
        "LTE" | "CAT-M" | "CAT-NB" | "EMTC" | "NBIOT" | "NB-IOT" | "CAT-M1" | "CAT-NB1" => {
            out.lte = Some(parse_lte(f));
        }
        "NR5G-NSA" => out.nr5g_nsa = Some(parse_nr_nsa(f)),
        "NR5G-SA" => out.nr5g_sa = Some(parse_nr_sa(f)),
        "WCDMA" | "UMTS" | "HSPA" | "HSDPA" | "HSUPA" | "HSPA+" => {
            out.wcdma = Some(parse_wcdma(f));
        }
        "GSM" => out.gsm = Some(parse_gsm(f)),
        _ => {
            if !f[0].text.is_empty() && !f[0].text.eq_ignore_ascii_case("servingcell") {
                out.unknown_rat = Some(f[0].text.to_string());
            }
            return false;
        }
    }
    if out.rat.as_deref() != Some("NR5G-NSA") {
        out.rat = Some(if out.nr5g_nsa.is_some() {
            "NR5G-NSA".to_string()
        } else {
            f[0].text.to_string()
        });
    }
    true
}

/// Parses every `+QENG:` serving-cell line of a reply (one line, or the three EN-DC lines).
/// Neighbour-cell lines are skipped.
pub fn parse_qeng_servingcell(reply: &str) -> Result<QengServing, ParseError> {
    let mut out = QengServing::default();
    let mut seen = false;
    let mut neighbours = false;
    for body in find_bodies(reply, "+QENG") {
        let f = split_fields(body);
        let Some(first) = f.first() else { continue };
        if first.text.eq_ignore_ascii_case("servingcell") {
            seen = true;
            out.state = f
                .get(1)
                .and_then(Field::opt_str)
                .map(str::to_ascii_uppercase);
            if f.len() > 2 {
                apply_block(&mut out, &f[2..]);
            }
        } else if first.text.to_ascii_lowercase().starts_with("neighbourcell") {
            neighbours = true;
        } else if apply_block(&mut out, &f) {
            seen = true;
        }
    }
    if seen {
        Ok(out)
    } else if neighbours {
        Err(ParseError::NotServing {
            prefix: "+QENG",
            what: "neighbour-cell report",
        })
    } else {
        Err(ParseError::Missing { prefix: "+QENG" })
    }
}

/// A decoded Quectel `+QCSQ` reply (one line per RAT; EN-DC modems print an `LTE` and an
/// `NR5G` line). Layouts (Quectel EC2x and RM5xx AT manuals): `"NOSERVICE"`, `"GSM",<rssi>`,
/// `"WCDMA",<rssi>,<ecio>`, `"LTE",<rssi>,<rsrp>,<sinr>,<rsrq>`, `"NR5G",<rsrp>,<sinr>,<rsrq>`.
/// RSSI/RSRP/RSRQ are dBm/dB; `<sinr>` is 0..250 in fifths of a dB from −20 dB
/// (dB = raw/5 − 20). The WCDMA `<ecio>` unit is not documented consistently and is kept raw.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Qcsq {
    /// The sysmodes printed, upper-cased, in order.
    pub sysmodes: Vec<String>,
    /// RSSI (GSM, WCDMA or LTE), dBm.
    pub rssi_dbm: Option<f64>,
    /// LTE RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// LTE SINR as printed.
    pub sinr_raw: Option<i64>,
    /// LTE SINR, dB.
    pub sinr_db: Option<f64>,
    /// LTE RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// WCDMA Ec/Io as printed.
    pub ecio_raw: Option<i64>,
    /// An RSSI printed as a non-negative number (a Baiwang QDC507 prints `85`): not a dBm
    /// value, kept here and left out of `rssi_dbm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rssi_invalid_raw: Option<f64>,
    /// NR SS-RSRP, dBm.
    pub nr_rsrp_dbm: Option<f64>,
    /// NR SINR as printed.
    pub nr_sinr_raw: Option<i64>,
    /// NR SS-SINR, dB.
    pub nr_sinr_db: Option<f64>,
    /// NR SS-RSRQ, dB.
    pub nr_rsrq_db: Option<f64>,
}

impl Qcsq {
    /// True when the only sysmode is `NOSERVICE`.
    pub fn no_service(&self) -> bool {
        self.sysmodes.iter().all(|m| m == "NOSERVICE") && !self.sysmodes.is_empty()
    }

    /// Our technology: LTE with NR5G is EN-DC, NR5G alone SA.
    pub fn tech(&self) -> Option<Tech> {
        let has = |m: &str| self.sysmodes.iter().any(|x| x == m);
        Some(if has("NR5G") && has("LTE") {
            Tech::Nr5gNsa
        } else if has("NR5G") {
            Tech::Nr5gSa
        } else if has("LTE") || has("CAT-M") || has("CAT-NB") {
            Tech::Lte
        } else if has("WCDMA") || has("TDSCDMA") {
            Tech::Umts
        } else if has("GSM") {
            Tech::Gsm
        } else if self.no_service() {
            Tech::None
        } else {
            return None;
        })
    }
}

/// An RSSI in dBm, or the raw value when it cannot be one (zero or positive).
fn rssi_or_invalid(f: Option<&Field<'_>>, invalid: &mut Option<f64>) -> Option<f64> {
    let v = db(f)?;
    if v < 0.0 {
        Some(v)
    } else {
        *invalid = Some(v);
        None
    }
}

fn fifths(raw: Option<i64>) -> Option<f64> {
    raw.filter(|v| (0..=250).contains(v))
        .map(|v| super::fields::round2(v as f64 / 5.0 - 20.0))
}

/// Parses the `+QCSQ:` lines of a reply.
pub fn parse_qcsq(reply: &str) -> Result<Qcsq, ParseError> {
    let mut out = Qcsq::default();
    for body in find_bodies(reply, "+QCSQ") {
        let f = split_fields(body);
        let Some(mode) = f
            .first()
            .map(|f| f.text.to_ascii_uppercase())
            .filter(|m| !m.is_empty())
        else {
            continue;
        };
        let g = |k: usize| f.get(k);
        match mode.as_str() {
            "GSM" => out.rssi_dbm = rssi_or_invalid(g(1), &mut out.rssi_invalid_raw),
            "WCDMA" | "TDSCDMA" => {
                out.rssi_dbm = rssi_or_invalid(g(1), &mut out.rssi_invalid_raw);
                out.ecio_raw = i(g(2));
            }
            "LTE" | "CAT-M" | "CAT-NB" => {
                out.rssi_dbm = rssi_or_invalid(g(1), &mut out.rssi_invalid_raw);
                out.rsrp_dbm = db(g(2));
                out.sinr_raw = i(g(3));
                out.sinr_db = fifths(out.sinr_raw);
                out.rsrq_db = db(g(4));
            }
            "NR5G" => {
                out.nr_rsrp_dbm = db(g(1));
                out.nr_sinr_raw = i(g(2));
                out.nr_sinr_db = fifths(out.nr_sinr_raw);
                out.nr_rsrq_db = db(g(3));
            }
            _ => {}
        }
        out.sysmodes.push(mode);
    }
    if out.sysmodes.is_empty() {
        Err(ParseError::Missing { prefix: "+QCSQ" })
    } else {
        Ok(out)
    }
}

/// How quectel replies add to an [`Observation`] (the ranked merge itself is in `observe.rs`).
impl Observation {
    /// Adds a Quectel `+QENG="servingcell"` reply.
    pub fn add_qeng(&mut self, q: &QengServing) {
        let r = RANK_SERVING;
        self.tech(q.tech(), r);
        self.service(q.no_service(), r);
        if let Some(rat) = &q.unknown_rat {
            self.note(format!(
                "+QENG RAT {rat:?} is not a layout we know; its fields are not decoded"
            ));
        }
        if let Some(l) = &q.lte {
            self.value(V::Rsrp, l.rsrp_dbm, r);
            self.value(V::Rsrq, l.rsrq_db, r);
            self.value(V::Rssi, l.rssi_dbm, r);
            self.value(V::Sinr, l.sinr_db, r);
            self.serving(l.mcc.as_deref(), l.mnc.as_deref(), r);
            self.cell(
                None,
                l.tac.clone(),
                l.cell_id.clone(),
                l.pci,
                l.earfcn,
                l.band.and_then(|b| bands::lte(b.into())),
                r,
            );
        }
        if let Some(n) = &q.nr5g_nsa {
            self.value(V::SsRsrp, n.rsrp_dbm, r);
            self.value(V::SsRsrq, n.rsrq_db, r);
            self.value(V::SsSinr, n.sinr_db, r);
            if n.sinr_scaled {
                self.note(format!(
                    "nr sinr scaled from 0.1 dB: raw {} read as {} dB",
                    n.sinr_raw.unwrap_or_default(),
                    n.sinr_db.unwrap_or_default()
                ));
            }
        }
        if let Some(n) = &q.nr5g_sa {
            self.value(V::SsRsrp, n.rsrp_dbm, r);
            self.value(V::SsRsrq, n.rsrq_db, r);
            self.value(V::SsSinr, n.sinr_db, r);
            if n.sinr_scaled {
                self.note(format!(
                    "nr sinr scaled from 0.1 dB: raw {} read as {} dB",
                    n.sinr_raw.unwrap_or_default(),
                    n.sinr_db.unwrap_or_default()
                ));
            }
            self.serving(n.mcc.as_deref(), n.mnc.as_deref(), r);
            self.cell(
                None,
                n.tac.clone(),
                n.cell_id.clone(),
                n.pci,
                n.arfcn,
                n.band.and_then(|b| bands::nr(b.into())),
                r,
            );
        }
        if let Some(w) = &q.wcdma {
            self.value(V::Rscp, w.rscp_dbm, r);
            self.value(V::Ecno, w.ecio_db, r);
            self.serving(w.mcc.as_deref(), w.mnc.as_deref(), r);
            self.cell(
                w.lac.clone(),
                None,
                w.cell_id.clone(),
                None,
                w.uarfcn,
                w.uarfcn.and_then(|u| bands::umts_from_uarfcn(u.into())),
                r,
            );
        }
        if let Some(g) = &q.gsm {
            self.value(V::Rssi, g.rxlev_dbm, r);
            self.serving(g.mcc.as_deref(), g.mnc.as_deref(), r);
            self.cell(
                g.lac.clone(),
                None,
                g.cell_id.clone(),
                None,
                g.arfcn,
                g.arfcn
                    .and_then(|a| bands::gsm_from_arfcn(a.into(), g.band == Some(1))),
                r,
            );
        }
        self.detail("qeng", q);
    }

    /// Adds a Quectel `+QCSQ` reply (ranked like `+CESQ`: `+QENG` says more).
    pub fn add_qcsq(&mut self, q: &Qcsq) {
        let r = RANK_CESQ;
        self.tech(q.tech(), r);
        self.service(q.no_service(), r);
        self.value(V::Rssi, q.rssi_dbm, r);
        self.value(V::Rsrp, q.rsrp_dbm, r);
        self.value(V::Sinr, q.sinr_db, r);
        self.value(V::Rsrq, q.rsrq_db, r);
        self.value(V::SsRsrp, q.nr_rsrp_dbm, r);
        self.value(V::SsSinr, q.nr_sinr_db, r);
        self.value(V::SsRsrq, q.nr_rsrq_db, r);
        if q.sinr_db.is_some() || q.nr_sinr_db.is_some() {
            self.note("qcsq sinr decoded from fifths of a dB (raw/5 - 20)");
        }
        if let Some(raw) = q.rssi_invalid_raw {
            self.note(format!("qcsq rssi {raw} is not a dBm value; dropped"));
        }
        self.detail("qcsq", q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::modem::fixture;

    #[test]
    fn nr5g_sa_cmcc() {
        let q = parse_qeng_servingcell(&fixture("quectel-qeng-nr5g-sa-connect-cmcc.txt")).unwrap();
        assert_eq!(q.state.as_deref(), Some("CONNECT"));
        assert_eq!(q.tech(), Some(Tech::Nr5gSa));
        let sa = q.nr5g_sa.unwrap();
        assert_eq!(sa.pci, Some(901));
        assert_eq!(sa.arfcn, Some(504990));
        assert_eq!(sa.band, Some(41));
        assert_eq!(sa.tac.as_deref(), Some("46550B"));
        assert_eq!(sa.cell_id.as_deref(), Some("170C23000"));
        assert_eq!(
            (sa.rsrp_dbm, sa.rsrq_db, sa.sinr_db),
            (Some(-48.0), Some(-10.0), Some(17.0))
        );
        assert!(!sa.sinr_scaled);
    }

    #[test]
    fn endc_three_lines_inside_mmcli_wrapper() {
        let q =
            parse_qeng_servingcell(&fixture("mmcli-command-qeng-rm500q-nsa-callbox.txt")).unwrap();
        assert_eq!(q.state.as_deref(), Some("NOCONN"));
        assert_eq!(q.tech(), Some(Tech::Nr5gNsa));
        let lte = q.lte.unwrap();
        assert_eq!(lte.duplex.as_deref(), Some("FDD"));
        assert_eq!(
            (lte.mcc.as_deref(), lte.mnc.as_deref()),
            (Some("1"), Some("01"))
        );
        assert_eq!(lte.cell_id.as_deref(), Some("1A2D001"));
        assert_eq!(
            (lte.pci, lte.earfcn, lte.band),
            (Some(1), Some(1575), Some(3))
        );
        assert_eq!(lte.dl_bw_mhz, Some(10.0));
        assert_eq!(lte.tac.as_deref(), Some("1"));
        assert_eq!(
            (lte.rsrp_dbm, lte.rsrq_db, lte.rssi_dbm, lte.sinr_db),
            (Some(-70.0), Some(-9.0), Some(-46.0), Some(25.0))
        );
        let nr = q.nr5g_nsa.unwrap();
        assert_eq!(nr.pci, Some(500));
        assert_eq!(nr.rsrp_dbm, Some(-75.0));
        assert_eq!(nr.sinr_raw, Some(180));
        assert_eq!(nr.sinr_db, Some(18.0));
        assert!(nr.sinr_scaled);
        assert_eq!(nr.rsrq_db, Some(-11.0));
        assert_eq!((nr.arfcn, nr.band), (None, None));
    }

    #[test]
    fn search_is_no_service() {
        let q = parse_qeng_servingcell(&fixture("quectel-qeng-search-manual.txt")).unwrap();
        assert!(q.no_service());
        assert_eq!(q.tech(), Some(Tech::None));
    }

    #[test]
    fn gsm_manual() {
        let q = parse_qeng_servingcell(&fixture("quectel-qeng-gsm-connect-manual.txt")).unwrap();
        assert_eq!(q.tech(), Some(Tech::Gsm));
        let g = q.gsm.unwrap();
        assert_eq!(
            (g.mcc.as_deref(), g.mnc.as_deref()),
            (Some("460"), Some("00"))
        );
        assert_eq!(g.lac.as_deref(), Some("550A"));
        assert_eq!(g.cell_id.as_deref(), Some("2BB9"));
        assert_eq!((g.bsic, g.arfcn, g.band), (Some(23), Some(94), Some(0)));
        assert_eq!(g.rxlev_dbm, Some(-61.0));
        assert_eq!(g.tch.as_deref(), Some("h"));
        assert_eq!(
            (g.hsn, g.rxlevsub, g.rxlevfull),
            (Some(33), Some(50), Some(52))
        );
        assert_eq!(g.voicecodec.as_deref(), Some("EFR"));
    }

    #[test]
    fn lte_tdd_manual() {
        let q = parse_qeng_servingcell(&fixture("quectel-qeng-lte-tdd-manual.txt")).unwrap();
        let l = q.lte.unwrap();
        assert_eq!(l.duplex.as_deref(), Some("TDD"));
        assert_eq!(l.cell_id.as_deref(), Some("82E8C80"));
        assert_eq!((l.pci, l.earfcn, l.band), (Some(87), Some(38400), Some(39)));
        assert_eq!((l.ul_bw_mhz, l.dl_bw_mhz), (Some(20.0), Some(20.0)));
        assert_eq!(l.tac.as_deref(), Some("550A"));
        assert_eq!(
            (l.rsrp_dbm, l.rsrq_db, l.rssi_dbm, l.sinr_db),
            (Some(-93.0), Some(-13.0), Some(-59.0), Some(-4.0))
        );
        assert_eq!(l.srxlev, Some(46));
    }

    #[test]
    fn wcdma_smart() {
        let q = parse_qeng_servingcell(&fixture("quectel-qeng-wcdma-smart-ph.txt")).unwrap();
        assert_eq!(q.state.as_deref(), Some("NOCONN"));
        assert_eq!(q.tech(), Some(Tech::Umts));
        let w = q.wcdma.unwrap();
        assert_eq!(w.lac.as_deref(), Some("3AB2"));
        assert_eq!(w.cell_id.as_deref(), Some("B55EEFF"));
        assert_eq!((w.rnc, w.cid), (Some(2901), Some(61183)));
        assert_eq!((w.uarfcn, w.psc, w.rac), (Some(3037), Some(352), Some(1)));
        assert_eq!((w.rscp_dbm, w.ecio_db), (Some(-94.0), Some(-15.0)));
    }

    #[test]
    fn limsrv_and_lte_with_cqi() {
        let q = parse_qeng_servingcell(
            "+QENG: \"servingcell\",\"LIMSRV\",\"LTE\",\"FDD\",452,04,1BE7A0A,312,1617,3,5,5,4B03,-99,-13,-66,11,2,170,-",
        )
        .unwrap();
        assert_eq!(q.state.as_deref(), Some("LIMSRV"));
        assert!(!q.no_service());
        let l = q.lte.unwrap();
        assert_eq!((l.cqi, l.tx_power, l.srxlev), (Some(2), Some(170), None));
        assert_eq!(l.sinr_db, Some(11.0));
        assert!(parse_qeng_servingcell("+CSQ: 1,2").is_err());
    }

    #[test]
    fn unknown_rat_and_cell_id_zero() {
        // Satellite NB-IoT module (tests/fixtures/modem-vendor): a RAT name we do not know.
        let q = parse_qeng_servingcell(
            "+QENG: \"servingcell\",\"LIMSRV\",\"NTN NBIoT\",\"FDD\",901,98,DC379,9,7685,23,0,0,7D9,-123,-14,-108,85,17",
        )
        .unwrap();
        assert_eq!(q.unknown_rat.as_deref(), Some("NTN NBIoT"));
        assert_eq!((q.tech(), q.lte.is_none()), (None, true));
        // quectel-CM's NR5G-SA example prints cell id 0.
        let q = parse_qeng_servingcell(
            "+QENG: \"servingcell\",\"NOCONN\",\"NR5G-SA\",\"TDD\", 454,12,0,21,4ED,636576,78,3,-85,-11,32,0,5184",
        )
        .unwrap();
        let sa = q.nr5g_sa.unwrap();
        assert_eq!((sa.cell_id, sa.tac.as_deref()), (None, Some("4ED")));
    }

    #[test]
    fn qcsq() {
        let q = parse_qcsq("+QCSQ: \"LTE\",-69,-102,150,-12\r\nOK\r\n").unwrap();
        assert_eq!(q.tech(), Some(Tech::Lte));
        assert_eq!(
            (q.rssi_dbm, q.rsrp_dbm, q.sinr_db, q.rsrq_db),
            (Some(-69.0), Some(-102.0), Some(10.0), Some(-12.0))
        );
        let q = parse_qcsq("+QCSQ: \"LTE\",85,-124,55,-18").unwrap();
        assert_eq!(q.sinr_db, Some(-9.0));
        let q = parse_qcsq("+QCSQ: \"LTE\",-62,-92,170,-11\n+QCSQ: \"NR5G\",-95,120,-11").unwrap();
        assert_eq!(q.tech(), Some(Tech::Nr5gNsa));
        assert_eq!((q.nr_rsrp_dbm, q.nr_sinr_db), (Some(-95.0), Some(4.0)));
        let n = parse_qcsq("+QCSQ: \"NOSERVICE\"").unwrap();
        // Baiwang QDC507 (tests/fixtures/modem-vendor): RSSI printed as +85.
        let q = parse_qcsq("+QCSQ: \"LTE\",85,-124,55,-18").unwrap();
        assert_eq!((q.rssi_dbm, q.rssi_invalid_raw), (None, Some(85.0)));
        assert!(n.no_service());
        assert_eq!(n.tech(), Some(Tech::None));
    }

    #[test]
    fn neighbour_cell_report_is_recognised_not_decoded() {
        // RM520N-GL session (agent/tests/fixtures/modem-vendor/quectel-rm520n-gl-tim-session.txt).
        let reply = "+QENG: \"neighbourcell intra\",\"LTE\",275,280,-14,-99,-67,-,-,-,-,-,-\r\n\
                     +QENG: \"neighbourcell intra\",\"LTE\",275,34,-20,-105,-76,-,-,-,-,-,-\r\n";
        let e = parse_qeng_servingcell(reply).unwrap_err();
        assert!(matches!(e, ParseError::NotServing { .. }), "{e:?}");
        assert!(parse_qeng_servingcell("+QENG: \"servingcell\",\"SEARCH\"\r\n").is_ok());
        assert_eq!(
            parse_qeng_servingcell("OK\r\n").unwrap_err(),
            ParseError::Missing { prefix: "+QENG" }
        );
    }
}

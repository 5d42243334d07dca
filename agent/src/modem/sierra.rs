//! Pure parser for Sierra Wireless `AT!GSTATUS?`, a free-form block of `Key: value` pairs,
//! several per line, separated by tabs (or runs of spaces once pasted):
//!
//! ```text
//! !GSTATUS:
//! System mode:   LTE            PS state:    Attached
//! LTE band:      B2             LTE bw:      20 MHz
//! PCC RxM RSSI:  -45        RSRP (dBm):  -81
//! Tx Power:      15        TAC:         8C65 (35666)
//! RSRQ (dB):     -14.0        Cell ID:     0A14666A (169106666)
//! SINR (dB):     23.8
//! ```
//!
//! A key that repeats on several lines (`RSRP (dBm)` after `PCC RxM RSSI`, `PCC RxD RSSI`, ...)
//! is qualified by the first key of its line (`PCC RxM RSRP (dBm)`). Ids are printed as
//! `HEX (decimal)`; the hex token is used, and a disagreeing decimal is reported in
//! `id_mismatch` rather than trusted (captures in the wild have been hand-anonymised).
//! The wire values come from the primary cell's main receiver (`PCC RxM`). Keys of UMTS/GSM
//! (`RSCP`, `Ec/Io`, `LAC`) and EN-DC (`NR5G RSRP`, ...) firmwares are read by name.

use std::collections::BTreeMap;

use coverage_shared::wire::Tech;
use serde::Serialize;

use super::bands;
use super::fields::{ParseError, float, hex, hex_string, lines, split_prefix};
use super::observe::{Observation, RANK_CESQ, RANK_SERVING, V};

/// A decoded `!GSTATUS?` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Gstatus {
    /// `Mode` (`ONLINE`, `LOW POWER`, ...).
    pub mode: Option<String>,
    /// `System mode` (`LTE`, `WCDMA`, `GSM`, `ENDC`, `No service`, ...).
    pub system_mode: Option<String>,
    /// `PS state` (`Attached`, ...).
    pub ps_state: Option<String>,
    /// Band as printed (`B2`).
    pub band: Option<String>,
    /// Bandwidth, MHz.
    pub bw_mhz: Option<f64>,
    /// Downlink channel (`LTE Rx chan`).
    pub earfcn: Option<u32>,
    /// Carrier aggregation state (`ACTIVE`, `INACTIVE`).
    pub ca: Option<String>,
    /// Secondary cell band.
    pub scell_band: Option<String>,
    /// EMM state (`Registered Normal Service`).
    pub emm_state: Option<String>,
    /// RRC state.
    pub rrc_state: Option<String>,
    /// Primary cell RSSI, main receiver, dBm.
    pub rssi_dbm_main: Option<f64>,
    /// Primary cell RSSI, diversity receiver, dBm.
    pub rssi_dbm_div: Option<f64>,
    /// Primary cell RSRP, main receiver, dBm.
    pub rsrp_dbm_main: Option<f64>,
    /// Primary cell RSRP, diversity receiver, dBm.
    pub rsrp_dbm_div: Option<f64>,
    /// RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// SINR, dB.
    pub sinr_db: Option<f64>,
    /// UMTS RSCP, dBm.
    pub rscp_dbm: Option<f64>,
    /// UMTS Ec/Io, dB.
    pub ecio_db: Option<f64>,
    /// NR SS-RSRP, dBm.
    pub nr_rsrp_dbm: Option<f64>,
    /// NR SS-RSRQ, dB.
    pub nr_rsrq_db: Option<f64>,
    /// NR SS-SINR, dB.
    pub nr_sinr_db: Option<f64>,
    /// NR band as printed.
    pub nr_band: Option<String>,
    /// NR downlink channel (`NR5G Rx chan`).
    pub nr_arfcn: Option<u32>,
    /// MCC of the serving network (`MCC-MNC`), when printed.
    pub mcc: Option<String>,
    /// MNC of the serving network, when printed.
    pub mnc: Option<String>,
    /// Transmit power.
    pub tx_power: Option<f64>,
    /// TAC, upper-case hex (the hex token).
    pub tac: Option<String>,
    /// LAC, upper-case hex.
    pub lac: Option<String>,
    /// Cell id, upper-case hex (the hex token).
    pub cell_id: Option<String>,
    /// Ids whose decimal in parentheses disagrees with the hex token.
    pub id_mismatch: Vec<String>,
    /// Values printed but not used, with the reason (an EARFCN outside its band).
    pub dropped: Vec<String>,
    /// Every pair as read, for display.
    pub pairs: BTreeMap<String, String>,
}

impl Gstatus {
    /// True when the system mode says there is no service.
    pub fn no_service(&self) -> bool {
        self.system_mode.as_deref().is_some_and(|m| {
            let m = m.to_ascii_uppercase();
            m.contains("NO SERVICE") || m.contains("NO SRV") || m == "NONE"
        })
    }

    /// Our technology from the system mode (EN-DC when NR values accompany LTE).
    pub fn tech(&self) -> Option<Tech> {
        let m = self.system_mode.as_deref()?.to_ascii_uppercase();
        let nr_values = self.nr_rsrp_dbm.is_some() || self.nr_sinr_db.is_some();
        Some(if self.no_service() {
            Tech::None
        } else if m.contains("ENDC") || m.contains("EN-DC") || m.contains("NSA") {
            Tech::Nr5gNsa
        } else if m.starts_with("NR") || m == "SA" {
            Tech::Nr5gSa
        } else if m.starts_with("LTE") {
            if nr_values { Tech::Nr5gNsa } else { Tech::Lte }
        } else if m.contains("WCDMA")
            || m.contains("UMTS")
            || m.contains("HSPA")
            || m.contains("HSDPA")
        {
            Tech::Umts
        } else if m.contains("GSM") || m.contains("EDGE") || m.contains("GPRS") {
            Tech::Gsm
        } else {
            return None;
        })
    }

    /// The wire band. UMTS firmwares print a name (`WCDMA 2100`, `IMT2000`, `WCDMA 800`): the
    /// name decides when it is known, else the UARFCN.
    pub fn wire_band(&self) -> Option<String> {
        match self.tech() {
            Some(Tech::Nr5gSa) => self
                .nr_band
                .as_deref()
                .and_then(|b| bands::normalise(b, true)),
            Some(Tech::Umts) => self
                .band
                .as_deref()
                .and_then(bands::umts_from_name)
                .or_else(|| self.earfcn.and_then(|u| bands::umts_from_uarfcn(u.into()))),
            _ => self
                .band
                .as_deref()
                .and_then(|b| bands::normalise(b, false)),
        }
    }
}

/// Splits one line into `(key, value)` pairs.
fn pairs_of_line(line: &str) -> Vec<(String, String)> {
    // Tokens: tab-separated, then runs of two or more spaces.
    let mut tokens: Vec<String> = Vec::new();
    for seg in line.split('\t') {
        let mut cur = String::new();
        let mut spaces = 0;
        for c in seg.chars() {
            if c == ' ' {
                spaces += 1;
                continue;
            }
            if spaces >= 2 && !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            } else if spaces == 1 && !cur.is_empty() {
                cur.push(' ');
            }
            spaces = 0;
            cur.push(c);
        }
        if !cur.is_empty() {
            tokens.push(cur);
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let mut key: Option<String> = None;
    let mut value = String::new();
    let flush = |key: &mut Option<String>, value: &mut String, out: &mut Vec<(String, String)>| {
        if let Some(k) = key.take() {
            out.push((k, value.trim().to_string()));
        }
        value.clear();
    };
    for t in tokens {
        if let Some(k) = t.strip_suffix(':') {
            flush(&mut key, &mut value, &mut out);
            // `RX level Carrier 0 (dBm):-74 LAC:` — a pair and the next key joined by a single
            // space when the value is long (Telstra capture).
            match k.split_once(':').and_then(|(k1, rest)| {
                let (v1, k2) = rest.trim().split_once(' ')?;
                (!k1.trim().is_empty() && float(v1).is_some()).then_some((k1, v1, k2))
            }) {
                Some((k1, v1, k2)) => {
                    out.push((k1.trim().to_string(), v1.to_string()));
                    key = Some(k2.trim().to_string());
                }
                None => key = Some(k.trim().to_string()),
            }
        } else if let Some((k, v)) = t.split_once(':')
            && k.trim()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            flush(&mut key, &mut value, &mut out);
            key = Some(k.trim().to_string());
            value.push_str(v.trim());
        } else if key.is_some() {
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(&t);
        }
    }
    flush(&mut key, &mut value, &mut out);
    out
}

/// `"8C65 (35666)"` → (`"8C65"`, mismatch when 35666 ≠ 0x8C65).
fn hex_with_decimal(v: &str) -> (Option<String>, bool) {
    let mut parts = v.split_whitespace();
    let h = parts.next().and_then(hex);
    let dec = parts
        .next()
        .map(|d| d.trim_matches(|c| c == '(' || c == ')'))
        .and_then(|d| d.parse::<u64>().ok());
    let mismatch = matches!((h, dec), (Some(h), Some(d)) if h != d);
    (h.map(hex_string), mismatch)
}

/// Parses a `!GSTATUS:` block: the `!GSTATUS:` line and the unprefixed lines after it, up to
/// the final result code or the next prefixed line.
pub fn parse_gstatus(reply: &str) -> Result<Gstatus, ParseError> {
    let mut in_block = false;
    let mut out = Gstatus::default();
    let mut seen_keys: BTreeMap<String, usize> = BTreeMap::new();
    for line in lines(reply) {
        if let Some((p, rest)) = split_prefix(line) {
            if p == "!GSTATUS" {
                in_block = true;
                if rest.trim().is_empty() {
                    continue;
                }
            } else if in_block {
                break;
            } else {
                continue;
            }
        } else if !in_block {
            continue;
        }
        let l = line.trim();
        if l.eq_ignore_ascii_case("OK") || l.eq_ignore_ascii_case("ERROR") {
            break;
        }
        let l = l.strip_prefix("!GSTATUS:").unwrap_or(l);
        let pairs = pairs_of_line(l);
        let row_prefix = pairs
            .first()
            .map(|(k, _)| k.rsplit_once(' ').map_or("", |(a, _)| a).to_string())
            .unwrap_or_default();
        for (idx, (k, v)) in pairs.into_iter().enumerate() {
            let count = seen_keys.entry(k.clone()).or_insert(0);
            *count += 1;
            // RSRP-style keys repeat per row: qualify them by the row's first key.
            let key = if idx > 0 && !row_prefix.is_empty() && (k.starts_with("RSRP") || *count > 1)
            {
                format!("{row_prefix} {k}")
            } else {
                k
            };
            out.pairs.insert(key, v);
        }
    }
    if !in_block {
        return Err(ParseError::Missing { prefix: "!GSTATUS" });
    }
    let get = |k: &str| out.pairs.get(k).map(String::as_str);
    let num = |k: &str| get(k).and_then(float);
    let find_num = |pred: &dyn Fn(&str) -> bool| {
        out.pairs
            .iter()
            .find(|(k, _)| pred(&k.to_ascii_uppercase()))
            .and_then(|(_, v)| float(v))
    };
    let mut g = Gstatus {
        mode: get("Mode").map(str::to_string),
        system_mode: get("System mode").map(str::to_string),
        ps_state: get("PS state").map(str::to_string),
        band: get("LTE band")
            .or(get("WCDMA band"))
            .or(get("GSM band"))
            .map(str::to_string),
        bw_mhz: num("LTE bw"),
        earfcn: get("LTE Rx chan")
            .or(get("WCDMA channel"))
            .or(get("UMTS channel"))
            .or(get("GSM channel"))
            .or(get("Channel"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok()),
        ca: get("LTE CA state").map(str::to_string),
        scell_band: get("LTE Scell band").map(str::to_string),
        emm_state: get("EMM state").map(str::to_string),
        rrc_state: get("RRC state").map(str::to_string),
        rssi_dbm_main: find_num(&|k| k.starts_with("PCC RXM RSSI")),
        rssi_dbm_div: find_num(&|k| k.starts_with("PCC RXD RSSI")),
        rsrp_dbm_main: find_num(&|k| k.starts_with("PCC RXM RSRP")),
        rsrp_dbm_div: find_num(&|k| k.starts_with("PCC RXD RSRP")),
        rsrq_db: num("RSRQ (dB)"),
        sinr_db: num("SINR (dB)"),
        rscp_dbm: find_num(&|k| k.contains("RSCP")),
        ecio_db: find_num(&|k| k.contains("EC/IO") || k.contains("ECIO")),
        nr_rsrp_dbm: find_num(&|k| k.starts_with("NR5G RSRP")),
        nr_rsrq_db: find_num(&|k| k.starts_with("NR5G RSRQ")),
        nr_sinr_db: find_num(&|k| k.starts_with("NR5G SINR")),
        nr_band: get("NR5G band").map(str::to_string),
        nr_arfcn: get("NR5G Rx chan")
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok()),
        tx_power: num("Tx Power"),
        ..Gstatus::default()
    };
    // Without a PCC row (UMTS/GSM firmwares), take the first main-receiver RSSI; WCDMA
    // firmwares print it as the received level of carrier 0 (`RX level C0:` or
    // `RX level Carrier 0 (dBm):`; carrier 1 is the second DC-HSPA carrier).
    if g.rssi_dbm_main.is_none() {
        g.rssi_dbm_main =
            find_num(&|k| k.contains("RSSI") && !k.contains("RXD") && !k.starts_with("SCC"))
                .or_else(|| {
                    find_num(&|k| k == "RX LEVEL C0" || k.starts_with("RX LEVEL CARRIER 0"))
                });
    }
    // Some LTE firmwares print `LTE Rx chan: 0` beside a band whose channels start far above
    // it (B66 on a SWI9X50C): a channel outside the band is not the serving channel.
    if g.tech() == Some(Tech::Lte)
        && let Some(n) = g.band.as_deref().and_then(bands::lte_band_number)
        && let Some(note) = bands::drop_earfcn_outside_band(n, &mut g.earfcn, "LTE Rx chan")
    {
        g.dropped.push(note);
    }
    if let Some((mcc, mnc)) = ["MCC-MNC", "LTE MCC-MNC", "NR5G MCC-MNC"]
        .iter()
        .find_map(|k| get(k))
        .and_then(|v| v.split_once('-'))
    {
        g.mcc = Some(mcc.trim().to_string()).filter(|m| !m.is_empty());
        g.mnc = Some(mnc.trim().to_string()).filter(|m| !m.is_empty());
    }
    // LTE ids first; an NR standalone block prints them as `NR5G TAC` / `NR5G Cell ID`.
    for (name, keys) in [
        ("tac", ["TAC", "NR5G TAC"]),
        ("lac", ["LAC", "LAC"]),
        ("cell_id", ["Cell ID", "NR5G Cell ID"]),
    ] {
        if let Some((key, v)) = keys.iter().find_map(|k| get(k).map(|v| (*k, v))) {
            let (h, mismatch) = hex_with_decimal(v);
            if mismatch {
                g.id_mismatch.push(format!("{key} {v}"));
            }
            match name {
                "tac" => g.tac = h,
                "lac" => g.lac = h,
                _ => g.cell_id = h,
            }
        }
    }
    g.pairs = out.pairs;
    Ok(g)
}

/// One table of `!LTEINFO`: the section's rows, each keyed by its column names.
pub type LteinfoRows = Vec<BTreeMap<String, String>>;

/// A decoded `!LTEINFO?` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Lteinfo {
    /// Serving cell downlink EARFCN.
    pub earfcn: Option<u32>,
    /// MCC of the serving cell.
    pub mcc: Option<String>,
    /// MNC of the serving cell.
    pub mnc: Option<String>,
    /// TAC, upper-case hex (converted from the printed decimal).
    pub tac: Option<String>,
    /// Cell id, upper-case hex.
    pub cell_id: Option<String>,
    /// LTE band number (`Bd`).
    pub band: Option<u16>,
    /// Physical cell id.
    pub pci: Option<u32>,
    /// RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// RSSI, dBm.
    pub rssi_dbm: Option<f64>,
    /// `SNR` as printed (unit not documented; not reported as SINR).
    pub snr_raw: Option<f64>,
    /// The serving row as printed, keyed by column.
    pub serving: BTreeMap<String, String>,
    /// Intra-frequency neighbours.
    pub intra_freq: LteinfoRows,
    /// Inter-frequency neighbours.
    pub inter_freq: LteinfoRows,
    /// Other sections (`WCDMA`, `GSM`, ...) by name.
    pub other: BTreeMap<String, LteinfoRows>,
    /// Rows or values not used, with the reason.
    pub dropped: Vec<String>,
}

/// Parses a `!LTEINFO:` block: the `!LTEINFO:` line and the unprefixed lines after it, up to
/// the final result code or the next prefixed line.
pub fn parse_lteinfo(reply: &str) -> Result<Lteinfo, ParseError> {
    let mut in_block = false;
    let mut out = Lteinfo::default();
    let mut section: Option<(String, Vec<String>)> = None;
    let mut tables: Vec<(String, LteinfoRows)> = Vec::new();
    for line in lines(reply) {
        let l = match split_prefix(line) {
            Some((p, rest)) if p == "!LTEINFO" => {
                in_block = true;
                rest.trim()
            }
            Some(_) if in_block => break,
            Some(_) => continue,
            None if !in_block => continue,
            None => line.trim(),
        };
        if l.eq_ignore_ascii_case("OK") || l.eq_ignore_ascii_case("ERROR") {
            break;
        }
        let mut tokens = l.split_whitespace().peekable();
        let Some(first) = tokens.peek().copied() else {
            continue;
        };
        if let Some(name) = first.strip_suffix(':')
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        {
            tokens.next();
            let header: Vec<String> = tokens.map(str::to_string).collect();
            tables.push((name.to_string(), Vec::new()));
            section = Some((name.to_string(), header));
            continue;
        }
        let Some((name, header)) = &section else {
            out.dropped.push(format!("line {l:?} outside a section"));
            continue;
        };
        let values: Vec<&str> = tokens.collect();
        if values.len() != header.len() {
            out.dropped.push(format!(
                "{name} row {l:?} has {} values under {} columns; not decoded",
                values.len(),
                header.len()
            ));
            continue;
        }
        let row: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(values.iter().map(|v| v.to_string()))
            .collect();
        if let Some((_, rows)) = tables.last_mut() {
            rows.push(row);
        }
    }
    if !in_block {
        return Err(ParseError::Missing { prefix: "!LTEINFO" });
    }
    for (name, rows) in tables {
        match name.to_ascii_uppercase().as_str() {
            "SERVING" => {
                if let Some(first) = rows.into_iter().next() {
                    out.serving = first;
                }
            }
            "INTRAFREQ" => out.intra_freq = rows,
            "INTERFREQ" => out.inter_freq = rows,
            _ => {
                out.other.insert(name, rows);
            }
        }
    }
    let get = |k: &str| out.serving.get(k).map(String::as_str);
    let digits = |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit());
    out.earfcn = get("EARFCN").and_then(|v| v.parse().ok());
    out.mcc = get("MCC")
        .filter(|v| digits(v) && v.len() <= 3)
        .map(str::to_string);
    out.mnc = get("MNC")
        .filter(|v| digits(v) && v.len() <= 3)
        .map(str::to_string);
    out.tac = match get("TAC") {
        Some(v) if digits(v) => v.parse::<u64>().ok().map(hex_string),
        Some(v) if !super::fields::is_null_marker(v) => {
            out.dropped
                .push(format!("TAC {v} is not decimal; not used"));
            None
        }
        _ => None,
    };
    out.cell_id = get("CID").and_then(hex).map(hex_string);
    out.band = get("Bd").and_then(|v| v.parse().ok());
    out.pci = get("PCI").and_then(|v| v.parse().ok());
    out.rsrq_db = get("RSRQ").and_then(float);
    out.rsrp_dbm = get("RSRP").and_then(float);
    out.rssi_dbm = get("RSSI").and_then(float);
    out.snr_raw = get("SNR").and_then(float);
    if let Some(b) = out.band
        && let Some(note) = bands::drop_earfcn_outside_band(b, &mut out.earfcn, "EARFCN")
    {
        out.dropped.push(note);
    }
    Ok(out)
}

/// How sierra replies add to an [`Observation`] (the ranked merge itself is in `observe.rs`).
impl Observation {
    /// Adds a Sierra `!GSTATUS?` reply.
    pub fn add_gstatus(&mut self, g: &Gstatus) {
        let r = RANK_SERVING;
        let tech = g.tech();
        self.tech(tech, r);
        self.service(g.no_service(), r);
        self.value(V::Rssi, g.rssi_dbm_main, r);
        self.value(V::Rsrp, g.rsrp_dbm_main, r);
        self.value(V::Rsrq, g.rsrq_db, r);
        self.value(V::Sinr, g.sinr_db, r);
        self.value(V::Rscp, g.rscp_dbm, r);
        self.value(V::Ecno, g.ecio_db, r);
        self.value(V::SsRsrp, g.nr_rsrp_dbm, r);
        self.value(V::SsRsrq, g.nr_rsrq_db, r);
        self.value(V::SsSinr, g.nr_sinr_db, r);
        let arfcn = if tech == Some(Tech::Nr5gSa) {
            g.nr_arfcn
        } else {
            g.earfcn
        };
        self.serving(g.mcc.as_deref(), g.mnc.as_deref(), r);
        self.cell(
            g.lac.clone(),
            g.tac.clone(),
            g.cell_id.clone(),
            None,
            arfcn,
            g.wire_band(),
            r,
        );
        for d in &g.dropped {
            self.note(format!("!GSTATUS {d}"));
        }
        for m in &g.id_mismatch {
            self.note(format!(
                "!GSTATUS {m}: decimal in parentheses disagrees with hex; hex used"
            ));
        }
        self.detail("gstatus", g);
    }

    /// Adds a Sierra `!LTEINFO?` reply: the serving row's values and ids (a serving-cell
    /// report); its technology ranks below one that can see an NR leg.
    pub fn add_lteinfo(&mut self, l: &Lteinfo) {
        let r = RANK_SERVING;
        if l.serving.is_empty() {
            self.note("!LTEINFO has no serving-cell row; nothing decoded from it");
        } else {
            self.tech(Some(Tech::Lte), RANK_CESQ);
        }
        self.value(V::Rsrp, l.rsrp_dbm, r);
        self.value(V::Rsrq, l.rsrq_db, r);
        self.value(V::Rssi, l.rssi_dbm, r);
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
        if l.snr_raw.is_some() {
            self.note("!LTEINFO SNR kept raw (unit undocumented); sinr_db not set from it");
        }
        for d in &l.dropped {
            self.note(format!("!LTEINFO {d}"));
        }
        self.detail("lteinfo", l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::modem::fixture;

    #[test]
    fn mc7455_lte_ca() {
        let g = parse_gstatus(&fixture("sierra-gstatus-mc7455-att-ca.txt")).unwrap();
        assert_eq!(g.mode.as_deref(), Some("ONLINE"));
        assert_eq!(g.system_mode.as_deref(), Some("LTE"));
        assert_eq!(g.tech(), Some(Tech::Lte));
        assert_eq!(g.ps_state.as_deref(), Some("Attached"));
        assert_eq!(g.band.as_deref(), Some("B2"));
        assert_eq!(g.wire_band().as_deref(), Some("B2"));
        assert_eq!(g.bw_mhz, Some(20.0));
        assert_eq!(g.earfcn, Some(800));
        assert_eq!(g.ca.as_deref(), Some("ACTIVE"));
        assert_eq!(g.scell_band.as_deref(), Some("B12"));
        assert_eq!(
            (g.rssi_dbm_main, g.rssi_dbm_div),
            (Some(-45.0), Some(-44.0))
        );
        assert_eq!(
            (g.rsrp_dbm_main, g.rsrp_dbm_div),
            (Some(-81.0), Some(-79.0))
        );
        assert_eq!((g.rsrq_db, g.sinr_db), (Some(-14.0), Some(23.8)));
        assert_eq!(g.tac.as_deref(), Some("8C65"));
        assert_eq!(g.cell_id.as_deref(), Some("A14666A"));
        assert_eq!(g.id_mismatch.len(), 2);
        assert_eq!(g.emm_state.as_deref(), Some("Registered Normal Service"));
    }

    #[test]
    fn wcdma_rx_level_and_band_name() {
        // Forum capture (tests/fixtures/modem-vendor/sierra-gstatus-wcdma-2100-forum.txt).
        let w = "!GSTATUS: \nSystem mode:   WCDMA            PS state:    Attached     \nWCDMA band:    WCDMA 2100 \nWCDMA channel: 10662\nRX level C0:   -68              LAC:         1389 (5001)\nRX level C1:   -106             Cell ID:     01F5C481 (32883841)\n\n\nOK\n";
        let g = parse_gstatus(w).unwrap();
        assert_eq!(g.tech(), Some(Tech::Umts));
        assert_eq!((g.rssi_dbm_main, g.earfcn), (Some(-68.0), Some(10662)));
        assert_eq!(g.wire_band().as_deref(), Some("B1"));
        assert_eq!(g.lac.as_deref(), Some("1389"));
        let w = "!GSTATUS:\nSystem mode:   WCDMA      PS state:    Attached     \nWCDMA band:    WCDMA 800  \nWCDMA channel: 4436\nRX level Carrier 0 (dBm):-74 LAC:         <..> (<..>)\n";
        let g = parse_gstatus(w).unwrap();
        assert_eq!(g.rssi_dbm_main, Some(-74.0));
        assert!(g.pairs.contains_key("LAC"), "{:?}", g.pairs);
        assert_eq!(g.wire_band().as_deref(), Some("B5"));
        assert_eq!(g.lac, None);
    }

    #[test]
    fn earfcn_outside_its_band_is_dropped() {
        let l = "!GSTATUS: \nSystem mode:   LTE        \tPS state:    Attached     \nLTE band:      B66    \t\tLTE bw:      20 MHz  \nLTE Rx chan:   0\t\tLTE Tx chan: 132272\n";
        let g = parse_gstatus(l).unwrap();
        assert_eq!(g.earfcn, None);
        assert_eq!(g.dropped.len(), 1);
        let l = l.replace("Rx chan:   0", "Rx chan:   66736");
        assert_eq!(parse_gstatus(&l).unwrap().earfcn, Some(66736));
    }

    #[test]
    fn spaces_instead_of_tabs_and_no_service() {
        let g = parse_gstatus(
            "!GSTATUS: \nSystem mode:   No service     PS state:    Not attached\nOK\n",
        )
        .unwrap();
        assert!(g.no_service());
        assert_eq!(g.ps_state.as_deref(), Some("Not attached"));
        assert!(parse_gstatus("+CSQ: 1,1").is_err());
    }

    #[test]
    fn nr5g_standalone_and_em7565_keys() {
        // EM919x in SA (layout quoted in a public driver's comment).
        let sa = "!GSTATUS:\nCurrent Time:  423212         Temperature: 36\nSystem mode:   NR5G           PS state:    Not attached\nNR5G TAC:        2d6600       NR5G Cell ID:    1C649D138 (7621693752)\nNR5G MCC-MNC:    310-260\nNR5G band:       n41          NR5G Carrier ID: 0\nNR5G dl bw:      20 MHz\nNR5G Rx chan:    521232\nNR5G RSRP (dBm): -104        NR5G RSRQ (dB):  -15\nNR5G SINR (dB):   0.5\nOK\n";
        let g = parse_gstatus(sa).unwrap();
        assert_eq!(g.tech(), Some(Tech::Nr5gSa));
        assert_eq!(
            (g.nr_rsrp_dbm, g.nr_rsrq_db, g.nr_sinr_db),
            (Some(-104.0), Some(-15.0), Some(0.5))
        );
        assert_eq!(g.wire_band().as_deref(), Some("n41"));
        assert_eq!(g.nr_arfcn, Some(521232));
        assert_eq!(g.tac.as_deref(), Some("2D6600"));
        assert_eq!(g.cell_id.as_deref(), Some("1C649D138"));
        assert_eq!(
            (g.mcc.as_deref(), g.mnc.as_deref()),
            (Some("310"), Some("260"))
        );
        // EM7565: `PCC RxM RSRP:` without the unit, NR rows of dashes.
        let lte = "!GSTATUS: \nSystem mode:   LTE              PS state:    Attached\nPCC RxM RSSI:  -46              PCC RxM RSRP:  -72\nPCC RxD RSSI:  -45              PCC RxD RSRP:  -71\nTx Power:      --               TAC:         0001 (1)\nRSRQ (dB):     -6.0             Cell ID:     01a2d001 (27447297)\nSINR (dB):     25.4\nNR5G RSRP (dBm): ---            NR5G RSRQ (dB):  ---\n";
        let g = parse_gstatus(lte).unwrap();
        assert_eq!(g.tech(), Some(Tech::Lte));
        assert_eq!(
            (g.rsrp_dbm_main, g.rsrp_dbm_div, g.rssi_dbm_main),
            (Some(-72.0), Some(-71.0), Some(-46.0))
        );
        assert_eq!(g.cell_id.as_deref(), Some("1A2D001"));
        assert!(g.id_mismatch.is_empty());
    }

    #[test]
    fn lteinfo_mc7455_att() {
        // danielewood/sierra-wireless-modems README (MC7455, AT&T), indentation removed.
        let l = "!LTEINFO: \nServing:   EARFCN MCC MNC   TAC      CID Bd D U SNR PCI  RSRQ   RSRP   RSSI RXLV\n              800 310 410 35666 0A14666A  2 5 5  22 404 -14.1  -79.6  -45.5 --\n\nIntraFreq:                                          PCI  RSRQ   RSRP   RSSI RXLV\n                                                    404 -14.1  -79.6  -45.5 --\n                                                    402 -20.0  -89.3  -57.6 --\n\nInterFreq: EARFCN ThresholdLow ThresholdHi Priority PCI  RSRQ   RSRP   RSSI RXLV\n             5110            0           0        0 272 -12.1  -80.9  -50.6   0\n";
        let i = parse_lteinfo(l).unwrap();
        assert_eq!((i.earfcn, i.band, i.pci), (Some(800), Some(2), Some(404)));
        assert_eq!(
            (i.mcc.as_deref(), i.mnc.as_deref()),
            (Some("310"), Some("410"))
        );
        assert_eq!(i.tac.as_deref(), Some("8B52"));
        assert_eq!(i.cell_id.as_deref(), Some("A14666A"));
        assert_eq!(
            (i.rsrq_db, i.rsrp_dbm, i.rssi_dbm, i.snr_raw),
            (Some(-14.1), Some(-79.6), Some(-45.5), Some(22.0))
        );
        assert_eq!(i.intra_freq.len(), 2);
        assert_eq!(i.inter_freq[0]["EARFCN"], "5110");
        assert!(i.dropped.is_empty(), "{:?}", i.dropped);
    }

    #[test]
    fn lteinfo_shifted_rows_and_empty_sections() {
        // MikroTik forum capture (MC7455, AT&T B4): an empty WCDMA section.
        let l = "!LTEINFO: \nServing:   EARFCN MCC MNC   TAC      CID Bd D U SNR PCI  RSRQ   RSRP   RSSI RXLV\n             2000 310 410 35614 0A1FC518  4 3 3  -3 269 -12.6 -100.7  -68.6 --\nWCDMA:     UARFCN ThreshL ThreshH Prio PSC   RSCP  ECN0 RXLV\n\nOK\n";
        let i = parse_lteinfo(l).unwrap();
        assert_eq!(
            (i.earfcn, i.tac.as_deref(), i.rsrp_dbm),
            (Some(2000), Some("8B1E"), Some(-100.7))
        );
        assert_eq!(i.other["WCDMA"].len(), 0);
        // A value missing from the serving row: nothing is read from it.
        let l = "!LTEINFO:\nServing:   EARFCN MCC MNC   TAC      CID Bd D U SNR PCI  RSRQ   RSRP   RSSI RXLV\n 2000 310 410 35614 0A1FC518 4 3 3 269 -12.6 -100.7 -68.6 --\n";
        let i = parse_lteinfo(l).unwrap();
        assert_eq!((i.earfcn, i.rsrp_dbm, i.pci), (None, None, None));
        assert_eq!(i.dropped.len(), 1);
        assert!(parse_lteinfo("Serving: EARFCN\n800\n").is_err());
    }
}

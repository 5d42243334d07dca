//! Combining parsed replies into one view of the modem: technology, data registration,
//! networks, values and serving cell.
//!
//! A sample is assembled from several replies (`+CEREG?`, `+COPS?`, `+CSQ`, `+CESQ`, a vendor
//! serving-cell report; or mmcli's modem, signal and SIM documents). Sources disagree and
//! overlap, so each contribution carries a rank and a higher rank wins (equal ranks: the later
//! one, which is the fresher):
//!
//! | rank | sources |
//! |---|---|
//! | 3 | vendor serving-cell reports (`+QENG`, `^HCSQ`, `+CPSI`, `!GSTATUS`, `!LTEINFO` values and ids), mmcli |
//! | 2 | `+CESQ`, Quectel `+QCSQ`, `+QNWINFO`, `+QSPN` and `+QCAINFO` (primary carrier), Huawei `^SYSINFO`/`^SYSINFOEX` (technology, no service), `!LTEINFO` technology, `+COPS` numeric |
//! | 1 | `+CSQ`, `+CGREG`/`+CEREG`/`+C5GREG` ids and AcT, `+COPS` AcT |
//! | 0 | `+CREG` ids and AcT |
//!
//! Where things live: this file holds the ranked merge ([`Observation`]'s slots,
//! [`Observation::finish`]) and the dispatch of an AT transcript to the parsers
//! ([`Observation::feed_at`]); each reply's contribution (`add_csq`, `add_qeng`, ...) is an
//! `impl Observation` block beside its parser, in `gpp/mod.rs` (27.007) or the vendor's file
//! (`quectel.rs`, `quectel_info.rs`, `huawei.rs`, `simcom.rs`, `sierra.rs`).
//!
//! Invariants of [`Observation::finish`]:
//! - `reg` comes only from `+CGREG`/`+CEREG`/`+C5GREG` (or ModemManager's registration state),
//!   never from `+CREG`; among several, the one of the serving technology's domain is used
//!   (C5GREG for NR-SA, CEREG for LTE/NR-NSA, CGREG for GSM/UMTS), else the most registered.
//! - A serving-cell report that says "no service" (Quectel `SEARCH`, Huawei `NOSERVICE`,
//!   SIMCom `NO SERVICE`) gives `tech: none`, no values and no cell; so does a rank-2 statement
//!   (`+QNWINFO: No Service`, `^SYSINFOEX` srv_status 0) unless a serving-cell report says
//!   otherwise.
//! - Huawei `^SYSINFO(EX)` service status and domain never set `reg` (they are not the 27.007
//!   data registration).
//! - Values that are firmware sentinels (magnitude ≥ 500, e.g. −32768) are dropped with a note.

use std::collections::BTreeMap;

use coverage_shared::wire::{Cell, Plmn, Reg, Tech};
use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{
    self, ParseError, digits_of, is_echo, is_final_error, is_final_ok, lines, luhn_ok, split_prefix,
};
use super::gpp::{self, RegCommand, Registration};
use super::huawei;
use super::quectel;
use super::quectel_info;
use super::sierra;
use super::simcom;

/// Rank of vendor serving-cell reports and ModemManager.
pub const RANK_SERVING: u8 = 3;
/// Rank of `+CESQ` and numeric `+COPS`.
pub const RANK_CESQ: u8 = 2;
/// Rank of `+CSQ` and data-domain registration replies.
pub const RANK_REG: u8 = 1;
/// Rank of `+CREG`.
pub const RANK_CREG: u8 = 0;

/// Index of each value, in the order of [`coverage_shared::wire::RadioValues::values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V {
    /// `rssi_dbm`.
    Rssi = 0,
    /// `rsrp_dbm`.
    Rsrp,
    /// `rsrq_db`.
    Rsrq,
    /// `sinr_db`.
    Sinr,
    /// `rscp_dbm`.
    Rscp,
    /// `ecno_db`.
    Ecno,
    /// `ss_rsrp_dbm`.
    SsRsrp,
    /// `ss_rsrq_db`.
    SsRsrq,
    /// `ss_sinr_db`.
    SsSinr,
}

/// Wire names of the values, indexed by [`V`].
pub const VALUE_NAMES: [&str; 9] = [
    "rssi_dbm",
    "rsrp_dbm",
    "rsrq_db",
    "sinr_db",
    "rscp_dbm",
    "ecno_db",
    "ss_rsrp_dbm",
    "ss_rsrq_db",
    "ss_sinr_db",
];

type Ranked<T> = Option<(T, u8)>;

fn put<T>(slot: &mut Ranked<T>, v: Option<T>, rank: u8) {
    if let Some(v) = v
        && slot.as_ref().is_none_or(|(_, r)| rank >= *r)
    {
        *slot = Some((v, rank));
    }
}

/// Accumulates contributions from parsed replies; see the module doc for the rules.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    tech: Ranked<Tech>,
    no_service: Ranked<bool>,
    regs: BTreeMap<RegCommand, Registration>,
    mm_reg: Option<Reg>,
    serving: Ranked<(String, String)>,
    serving_name: Option<String>,
    home: Option<Plmn>,
    imsi: Option<String>,
    values: [Ranked<f64>; 9],
    lac: Ranked<String>,
    tac: Ranked<String>,
    ci: Ranked<String>,
    pci: Ranked<u32>,
    arfcn: Ranked<u32>,
    band: Ranked<String>,
    /// IMEI, when a reply gave it.
    pub imei: Option<String>,
    /// ICCID, when a reply gave it.
    pub iccid: Option<String>,
    /// SIM state, when a reply gave it.
    pub sim_state: Option<String>,
    /// Model, when a reply gave it.
    pub model: Option<String>,
    /// Manufacturer, when a reply gave it.
    pub manufacturer: Option<String>,
    notes: Vec<String>,
    details: Map<String, Value>,
    recognised: usize,
}

/// The outcome of an [`Observation`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interpreted {
    /// Serving technology, when a reply determined it.
    pub tech: Option<Tech>,
    /// Data registration, when a data-domain reply gave it.
    pub reg: Option<Reg>,
    /// `+CREG` registration (display only).
    pub cs_reg: Option<Reg>,
    /// The SIM's home network.
    pub home: Option<Plmn>,
    /// The network in use, when given numerically.
    pub serving: Option<Plmn>,
    /// The network's name when given without its code (`+COPS` alphanumeric).
    pub serving_name: Option<String>,
    /// Values indexed by [`V`].
    pub values: [Option<f64>; 9],
    /// Serving cell identity.
    pub cell: Option<Cell>,
    /// A reply said there is no service.
    pub no_service: bool,
    /// Decoding notes (scalings, ignored lines, dropped sentinels).
    pub notes: Vec<String>,
    /// Per-source decoded details, keyed by source (`cesq`, `qeng`, `mmcli`, ...).
    pub details: Map<String, Value>,
    /// IMEI.
    pub imei: Option<String>,
    /// ICCID.
    pub iccid: Option<String>,
    /// SIM state.
    pub sim_state: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
}

/// Pads a MCC printed without leading zeros (`1` → `001`).
pub fn pad_mcc(mcc: &str) -> Option<String> {
    let m = mcc.trim();
    (!m.is_empty() && m.len() <= 3 && m.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{m:0>3}"))
}

/// Pads a MNC to at least two digits (`1` → `01`).
pub fn pad_mnc(mnc: &str) -> Option<String> {
    let m = mnc.trim();
    (!m.is_empty() && m.len() <= 3 && m.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{m:0>2}"))
}

impl Observation {
    /// An empty observation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of replies recognised so far.
    pub fn recognised(&self) -> usize {
        self.recognised
    }

    /// Sets a value with a rank.
    pub fn value(&mut self, which: V, v: Option<f64>, rank: u8) {
        put(
            &mut self.values[which as usize],
            v.map(fields::round2),
            rank,
        );
    }

    /// Sets the technology with a rank.
    pub fn tech(&mut self, t: Option<Tech>, rank: u8) {
        put(&mut self.tech, t, rank);
    }

    /// Records a statement about service (true: no service) with a rank.
    pub fn service(&mut self, no_service: bool, rank: u8) {
        put(&mut self.no_service, Some(no_service), rank);
    }

    /// Sets the serving network from printed MCC/MNC.
    pub fn serving(&mut self, mcc: Option<&str>, mnc: Option<&str>, rank: u8) {
        let id = mcc.and_then(pad_mcc).zip(mnc.and_then(pad_mnc));
        put(&mut self.serving, id, rank);
    }

    /// Sets the serving network's name.
    pub fn serving_name(&mut self, name: Option<&str>) {
        if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty() && *n != "--") {
            self.serving_name = Some(n.to_string());
        }
    }

    /// Sets the SIM's home network directly (ModemManager's SIM operator code).
    pub fn home(&mut self, plmn: Plmn) {
        self.home = Some(plmn);
    }

    /// Records the IMSI (the home network is derived in [`Observation::finish`]).
    pub fn imsi(&mut self, imsi: &str) {
        self.imsi = Some(imsi.to_string());
    }

    /// Sets ModemManager's consolidated registration state.
    pub fn mm_registration(&mut self, reg: Option<Reg>) {
        if reg.is_some() {
            self.mm_reg = reg;
        }
    }

    /// Sets cell identity fields with a rank.
    #[allow(clippy::too_many_arguments)]
    pub fn cell(
        &mut self,
        lac: Option<String>,
        tac: Option<String>,
        ci: Option<String>,
        pci: Option<u32>,
        arfcn: Option<u32>,
        band: Option<String>,
        rank: u8,
    ) {
        put(&mut self.lac, lac, rank);
        put(&mut self.tac, tac, rank);
        put(&mut self.ci, ci, rank);
        put(&mut self.pci, pci, rank);
        put(&mut self.arfcn, arfcn, rank);
        put(&mut self.band, band, rank);
    }

    /// Adds a note.
    pub fn note(&mut self, note: impl Into<String>) {
        let n = note.into();
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }

    /// Adds what a parser decoded, or notes why it could not.
    fn take<T>(&mut self, parsed: Result<T, ParseError>, add: impl FnOnce(&mut Self, &T)) {
        match parsed {
            Ok(v) => add(self, &v),
            Err(e) => self.note(e.to_string()),
        }
    }

    /// Keeps a registration reply for the merge in [`Observation::finish`] (one per command,
    /// the data domain's deciding `reg`).
    pub(super) fn keep_registration(&mut self, reg: &Registration) {
        self.regs.insert(reg.cmd, reg.clone());
    }

    /// Records a source's decoded details.
    pub fn detail(&mut self, key: &str, v: &impl Serialize) {
        if let Ok(v) = serde_json::to_value(v) {
            self.details.insert(key.to_string(), v);
        }
        self.recognised += 1;
    }

    /// Feeds AT reply text: any number of lines, with echo, URCs, blank lines and final result
    /// codes. Returns the number of replies recognised in it.
    pub fn feed_at(&mut self, text: &str) -> usize {
        let before = self.recognised;
        let ls = join_wrapped(text);
        let ls: Vec<&str> = ls.iter().map(String::as_str).collect();
        let mut last_echo: Option<String> = None;
        let mut i = 0;
        while i < ls.len() {
            let l = ls[i];
            i += 1;
            if is_echo(l) {
                last_echo = Some(l.to_ascii_uppercase());
                continue;
            }
            if is_final_ok(l) {
                last_echo = None;
                continue;
            }
            if is_final_error(l) {
                if let Some(cmd) = last_echo.take() {
                    self.note(format!("{cmd} failed: {l}"));
                }
                continue;
            }
            let Some((prefix, body)) = split_prefix(l) else {
                self.bare_line(l, last_echo.as_deref());
                continue;
            };
            // Multi-line reports: gather the lines that belong together.
            let mut group = |same: &dyn Fn(&str) -> bool| {
                let mut g = l.to_string();
                while i < ls.len() && same(ls[i]) {
                    g.push('\n');
                    g.push_str(ls[i]);
                    i += 1;
                }
                g
            };
            match prefix.as_str() {
                "+CSQ" => self.take(gpp::parse_csq(l), Self::add_csq),
                "+CESQ" => self.take(gpp::parse_cesq(l), Self::add_cesq),
                "+COPS" if gpp::is_cops_list(body) => {
                    // `AT+COPS=?`: the list may go on over more `+COPS:` or `(` lines.
                    let g = group(&|n: &str| match split_prefix(n) {
                        Some((p, b)) => p == "+COPS" && gpp::is_cops_list(b),
                        None => n.starts_with('('),
                    });
                    match gpp::parse_cops_scan(&g) {
                        Ok(list) if !list.is_empty() => self.add_cops_scan(&list),
                        Ok(_) => self.note("+COPS network list names no network"),
                        Err(e) => self.note(e.to_string()),
                    }
                }
                "+COPS" => self.take(gpp::parse_cops(l), Self::add_cops),
                "+QENG" => {
                    let g = group(&same_prefix("+QENG"));
                    self.take(quectel::parse_qeng_servingcell(&g), Self::add_qeng)
                }
                "+QCSQ" => {
                    let g = group(&same_prefix("+QCSQ"));
                    self.take(quectel::parse_qcsq(&g), Self::add_qcsq)
                }
                "+QNWINFO" => self.take(quectel_info::parse_qnwinfo(l), Self::add_qnwinfo),
                "+QSPN" => self.take(quectel_info::parse_qspn(l), Self::add_qspn),
                "+QCAINFO" => {
                    let g = group(&same_prefix("+QCAINFO"));
                    self.take(quectel_info::parse_qcainfo(&g), Self::add_qcainfo)
                }
                "^SYSINFO" | "^SYSINFOEX" => self.take(huawei::parse_sysinfo(l), Self::add_sysinfo),
                "!LTEINFO" => {
                    let g = group(&sierra_body_line);
                    self.take(sierra::parse_lteinfo(&g), Self::add_lteinfo)
                }
                "^HCSQ" => self.take(huawei::parse_hcsq(l), Self::add_hcsq),
                "+CPSI" => {
                    let g = group(&same_prefix("+CPSI"));
                    self.take(simcom::parse_cpsi(&g), Self::add_cpsi)
                }
                "!GSTATUS" => {
                    let g = group(&sierra_body_line);
                    self.take(sierra::parse_gstatus(&g), Self::add_gstatus)
                }
                "+CIMI" => self.bare_line(body, Some("AT+CIMI")),
                "+CGSN" | "+GSN" => self.bare_line(body, Some("AT+CGSN")),
                "+CCID" | "+ICCID" | "^ICCID" | "+QCCID" | "^SCID" | "+CICCID" => {
                    if let Some(iccid) = gpp::parse_iccid(l) {
                        self.iccid = Some(iccid.clone());
                        self.detail("iccid", &iccid);
                    }
                }
                "+CPIN" => {
                    self.sim_state = gpp::parse_sim_state(l);
                    let s = self.sim_state.clone();
                    self.detail("cpin", &s);
                }
                "+CGMM" | "+GMM" => self.bare_line(body, Some("AT+CGMM")),
                "+CGMI" | "+GMI" => self.bare_line(body, Some("AT+CGMI")),
                p => {
                    if let Some(cmd) = RegCommand::from_prefix(p) {
                        match gpp::parse_registration_body(cmd, body) {
                            Ok(r) => self.add_registration(&r),
                            Err(e) => self.note(e.to_string()),
                        }
                    } else {
                        self.note(format!("{p} line not decoded"));
                    }
                }
            }
        }
        self.recognised - before
    }

    /// A line without a prefix: an identifier or a model, decided by the echoed command when
    /// there is one, else by its shape (a Luhn-valid 15-digit number is an IMEI, another
    /// 6..15-digit one an IMSI, 18..22 digits an ICCID).
    fn bare_line(&mut self, l: &str, echo: Option<&str>) {
        let t = l.trim().trim_matches('"').trim();
        let cmd = echo.unwrap_or("").to_ascii_uppercase();
        let digits = !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
        if cmd.contains("CIMI") && digits {
            self.imsi(t);
            self.detail("cimi", &t);
        } else if (cmd.contains("CGSN") || cmd.contains("GSN")) && digits {
            self.imei = Some(t.to_string());
            self.detail("cgsn", &t);
        } else if cmd.contains("CCID") && !digits_of(t).is_empty() {
            if let Some(iccid) = gpp::parse_iccid(t) {
                self.iccid = Some(iccid.clone());
                self.detail("iccid", &iccid);
            }
        } else if cmd.contains("GMM") {
            self.model = Some(t.to_string());
            self.detail("cgmm", &t);
        } else if cmd.contains("GMI") {
            self.manufacturer = Some(t.to_string());
            self.detail("cgmi", &t);
        } else if digits && (18..=22).contains(&t.len()) && t.starts_with("89") {
            self.iccid = Some(t.to_string());
            self.detail("iccid", &t);
        } else if digits && t.len() == 15 && luhn_ok(t) {
            self.imei = Some(t.to_string());
            self.detail("cgsn", &t);
        } else if digits && (6..=15).contains(&t.len()) {
            self.imsi(t);
            self.detail("cimi", &t);
        }
    }

    /// The data registration to report for technology `tech`.
    fn data_reg(&self, tech: Option<Tech>) -> Option<Reg> {
        let pick = |c: RegCommand| self.regs.get(&c).and_then(|r| r.state);
        let order: &[RegCommand] = match tech {
            Some(Tech::Nr5gSa) => &[RegCommand::C5greg, RegCommand::Cereg, RegCommand::Cgreg],
            Some(Tech::Lte | Tech::Nr5gNsa) => {
                &[RegCommand::Cereg, RegCommand::C5greg, RegCommand::Cgreg]
            }
            Some(Tech::Gsm | Tech::Umts) => {
                &[RegCommand::Cgreg, RegCommand::Cereg, RegCommand::C5greg]
            }
            _ => &[],
        };
        if let Some(r) = order.iter().find_map(|c| pick(*c)) {
            return Some(r);
        }
        // No technology (or no reply of its domain): the most registered of the data replies.
        let score = |r: Reg| match r {
            Reg::Home => 0,
            Reg::Roaming => 1,
            Reg::Denied => 2,
            Reg::Limited => 3,
            Reg::Searching => 4,
            Reg::Unknown => 5,
            Reg::None => 6,
        };
        [RegCommand::Cgreg, RegCommand::Cereg, RegCommand::C5greg]
            .into_iter()
            .filter_map(pick)
            .min_by_key(|r| score(*r))
            .or(self.mm_reg)
    }

    /// Resolves the contributions; see the module doc for the rules.
    pub fn finish(mut self) -> Interpreted {
        let no_service = self.no_service.as_ref().is_some_and(|(n, _)| *n);
        let mut tech = self.tech.map(|(t, _)| t);
        let mut values: [Option<f64>; 9] = self.values.map(|v| v.map(|(v, _)| v));
        let mut cell = Cell {
            lac: self.lac.take().map(|v| v.0),
            tac: self.tac.take().map(|v| v.0),
            ci: self.ci.take().map(|v| v.0),
            pci: self.pci.take().map(|v| v.0),
            arfcn: self.arfcn.take().map(|v| v.0),
            band: self.band.take().map(|v| v.0),
        };
        if no_service {
            tech = Some(Tech::None);
            values = [None; 9];
            cell = Cell::default();
        }
        for (i, v) in values.iter_mut().enumerate() {
            if let Some(x) = *v
                && x.abs() >= 500.0
            {
                self.notes.push(format!(
                    "{} {x} is a firmware sentinel; dropped",
                    VALUE_NAMES[i]
                ));
                *v = None;
            }
        }
        let reg = self.data_reg(tech);
        if reg.is_none() && self.regs.contains_key(&RegCommand::Creg) {
            self.notes.push(
                "+CREG is circuit-switched registration: shown in details, it does not decide reg \
                 (+CGREG/+CEREG/+C5GREG do)"
                    .into(),
            );
        }
        let serving = self.serving.map(|((mcc, mnc), _)| Plmn {
            mcc,
            mnc,
            name: self.serving_name.clone(),
        });
        let mut home = self.home.or_else(|| {
            self.imsi
                .as_deref()
                .and_then(|i| gpp::home_plmn_from_imsi(i, serving.as_ref()))
        });
        if let (Some(h), Some(s)) = (home.as_mut(), serving.as_ref())
            && h.name.is_none()
            && h.mcc == s.mcc
            && h.mnc == s.mnc
        {
            h.name = s.name.clone();
        }
        Interpreted {
            tech,
            reg,
            cs_reg: self.regs.get(&RegCommand::Creg).and_then(|r| r.state),
            serving_name: if serving.is_none() {
                self.serving_name
            } else {
                None
            },
            home,
            serving,
            values,
            cell: (!cell.is_empty()).then_some(cell),
            no_service,
            notes: self.notes,
            details: self.details,
            imei: self.imei,
            iccid: self.iccid,
            sim_state: self.sim_state,
            model: self.model,
            manufacturer: self.manufacturer,
        }
    }
}

/// The lines of a reply, with a response prefix left alone on its line (`+QENG:` then the
/// fields on the next line, as pasted from wrapped documents) joined to its continuation.
/// `!`-prefixed block replies (`!GSTATUS:`) legitimately end their first line there.
fn join_wrapped(text: &str) -> Vec<String> {
    let raw: Vec<&str> = lines(text).collect();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let l = raw[i];
        i += 1;
        let bare_prefix =
            split_prefix(l).is_some_and(|(p, body)| body.trim().is_empty() && !p.starts_with('!'));
        if bare_prefix
            && let Some(next) = raw.get(i)
            && split_prefix(next).is_none()
            && !is_final_ok(next)
            && !is_final_error(next)
            && !is_echo(next)
        {
            out.push(format!("{l} {next}"));
            i += 1;
        } else {
            out.push(l.to_string());
        }
    }
    out
}

/// A predicate for the lines of a multi-line report whose every line carries `prefix`.
fn same_prefix(prefix: &'static str) -> impl Fn(&str) -> bool {
    move |line| split_prefix(line).is_some_and(|(p, _)| p == prefix)
}

/// A line that continues a Sierra report (`!GSTATUS:`, `!LTEINFO:`): the body lines carry no
/// prefix of their own; a final result, an echo or another prefixed line ends the report.
fn sierra_body_line(line: &str) -> bool {
    split_prefix(line).is_none() && !is_final_ok(line) && !is_final_error(line) && !is_echo(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg_never_from_creg() {
        let mut o = Observation::new();
        o.feed_at("+CREG: 2,1,8BE3,2BAF\r\n");
        let i = o.finish();
        assert_eq!(i.reg, None);
        assert_eq!(i.cs_reg, Some(Reg::Home));
        assert_eq!(i.cell.unwrap().lac.as_deref(), Some("8BE3"));
    }

    #[test]
    fn reg_follows_the_serving_domain() {
        let mut o = Observation::new();
        o.feed_at("+CGREG: 2,2\r\n+CEREG: 2,1,\"1F00\",\"79D903\",7\r\n+C5GREG: 2,0\r\nOK");
        let i = o.finish();
        assert_eq!(i.tech, Some(Tech::Lte));
        assert_eq!(i.reg, Some(Reg::Home));
        let mut o = Observation::new();
        o.feed_at("+CGREG: 2,2\r\n+CEREG: 2,3\r\n");
        assert_eq!(o.finish().reg, Some(Reg::Denied));
    }

    #[test]
    fn serving_cell_report_outranks_cesq_and_no_service_clears() {
        let mut o = Observation::new();
        o.feed_at(
            "+CESQ: 99,99,255,255,20,80\r\n+QENG: \"servingcell\",\"SEARCH\"\r\n+CSQ: 20,99\r\n",
        );
        let i = o.finish();
        assert!(i.no_service);
        assert_eq!(i.tech, Some(Tech::None));
        assert_eq!(i.values, [None; 9]);
    }

    #[test]
    fn bare_identifiers_by_echo_and_shape() {
        let mut o = Observation::new();
        o.feed_at("AT+CIMI\r\n452040123456789\r\nOK\r\nAT+CGSN\r\n862570024875048\r\nOK\r\n+COPS: 0,2,\"45204\",7\r\n");
        let i = o.finish();
        assert_eq!(i.home.as_ref().map(Plmn::id).as_deref(), Some("452-04"));
        assert_eq!(i.imei.as_deref(), Some("862570024875048"));
        assert_eq!(i.serving.as_ref().map(Plmn::id).as_deref(), Some("452-04"));
        let mut o = Observation::new();
        o.feed_at("862570024875048\n452040123456789\n");
        let i = o.finish();
        assert_eq!(i.imei.as_deref(), Some("862570024875048"));
        assert!(i.home.is_some());
    }

    #[test]
    fn a_prefix_wrapped_onto_its_own_line_is_joined() {
        let mut o = Observation::new();
        o.feed_at("AT+QENG=\"servingcell\"\n+QENG:\n\"servingcell\",\"NOCONN\",\"NR5G-SA\",\"TDD\",999,70,E00,0,1,641280,78,6,-67,-11,31,1,-\nOK\n");
        let i = o.finish();
        assert_eq!(i.tech, Some(Tech::Nr5gSa));
        assert_eq!(i.values[V::SsRsrp as usize], Some(-67.0));
    }

    #[test]
    fn a_network_list_gives_its_current_network_below_cops_read() {
        // ModemManager test_cops_response_n2720: the list goes on on an unprefixed line.
        let mut o = Observation::new();
        o.feed_at("AT+COPS=?\r\n+COPS: (2,\"T - Mobile\",,\"31026\",0),\r\n(1,\"AT&T\",,\"310410\",0),,(0,1,3),(0,2)\r\n\r\nOK\r\n");
        let i = o.finish();
        assert_eq!(i.serving.as_ref().map(Plmn::id).as_deref(), Some("310-26"));
        assert_eq!(i.tech, Some(Tech::Gsm));
        assert_eq!(i.details["cops_scan"].as_array().map(Vec::len), Some(2));
        // +COPS? outranks the scan; two different current networks give none.
        let mut o = Observation::new();
        o.feed_at("+COPS: (2,\"A\",\"A\",\"31026\",0),(2,\"B\",\"B\",\"310260\",2)\r\n");
        assert_eq!(o.clone().finish().serving, None);
        o.feed_at("+COPS: 0,2,\"45204\",7\r\n");
        let i = o.finish();
        assert_eq!(i.serving.as_ref().map(Plmn::id).as_deref(), Some("452-04"));
        assert_eq!(i.tech, Some(Tech::Lte));
    }

    #[test]
    fn sentinels_are_dropped() {
        let mut o = Observation::new();
        o.value(V::Rsrp, Some(-32768.0), RANK_SERVING);
        let i = o.finish();
        assert_eq!(i.values[V::Rsrp as usize], None);
        assert_eq!(i.notes.len(), 1);
    }
}

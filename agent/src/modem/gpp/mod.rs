//! Pure parsers for the 3GPP TS 27.007 replies every modem answers: `+CSQ`, `+CESQ`,
//! `+CREG`/`+CGREG`/`+CEREG`/`+C5GREG`, `+COPS?`, the `+COPS=?` network list, `+CIMI`, `+CGSN`,
//! `+CCID` and `+CPIN?`.
//!
//! Index values are ranges; they decode to the **lower bound** of the range, the convention of
//! ModemManager (`src/mm-modem-helpers.c`: `mm_3gpp_rxlev_to_rssi`, `..._rscp_level_to_rscp`,
//! `..._ecn0_level_to_ecio`, `..._rsrq_level_to_rsrq`, `..._rsrp_level_to_rsrp`) and of the
//! fixtures' `INDEX.md`. The "not known" markers (99 for `+CSQ`/`<rxlev>`/`<ber>`, 255 for the
//! other `+CESQ` fields) and any index outside the documented range decode to `None`, never to
//! a number.
//!
//! Every parser takes a whole reply (echo, URCs, `OK` and blank lines are skipped) and looks
//! for its own prefix, so a technician's paste and the driver's captured lines go through the
//! same code.

use coverage_shared::wire::{Plmn, Reg, Tech};
use serde::Serialize;

use super::fields::{
    self, ParseError, digits_of, find_body, hex_string, is_echo, is_final_error, is_final_ok,
    lines, split_fields, split_prefix,
};
use super::observe::{Observation, RANK_CESQ, RANK_CREG, RANK_REG, V};

/// `+CSQ <rssi>` index 0..31 → dBm: −113 + 2·n (0 means ≤ −113, 31 means ≥ −51).
pub fn csq_rssi_dbm(idx: i64) -> Option<f64> {
    (0..=31).contains(&idx).then(|| -113.0 + 2.0 * idx as f64)
}

/// `+CESQ <rxlev>` 0..63 → dBm: −111 + n (n = 1 is −110 ≤ x < −109).
pub fn rxlev_dbm(idx: i64) -> Option<f64> {
    (0..=63).contains(&idx).then(|| -111.0 + idx as f64)
}

/// `+CESQ <rscp>` 0..96 → dBm: −121 + n.
pub fn rscp_dbm(idx: i64) -> Option<f64> {
    (0..=96).contains(&idx).then(|| -121.0 + idx as f64)
}

/// `+CESQ <ecno>` 0..49 → dB: −24.5 + 0.5·n.
pub fn ecno_db(idx: i64) -> Option<f64> {
    (0..=49).contains(&idx).then(|| -24.5 + 0.5 * idx as f64)
}

/// `+CESQ <rsrq>` 0..34 → dB: −20 + 0.5·n.
pub fn rsrq_db(idx: i64) -> Option<f64> {
    (0..=34).contains(&idx).then(|| -20.0 + 0.5 * idx as f64)
}

/// `+CESQ <rsrp>` 0..97 → dBm: −141 + n.
pub fn rsrp_dbm(idx: i64) -> Option<f64> {
    (0..=97).contains(&idx).then(|| -141.0 + idx as f64)
}

/// `+CESQ <ss_rsrq>` 0..127 → dB: −43.5 + 0.5·n (TS 38.133 §10.1.11.1).
pub fn ss_rsrq_db(idx: i64) -> Option<f64> {
    (0..=127).contains(&idx).then(|| -43.5 + 0.5 * idx as f64)
}

/// `+CESQ <ss_rsrp>` 0..127 → dBm: −157 + n (TS 38.133 §10.1.6.1).
pub fn ss_rsrp_dbm(idx: i64) -> Option<f64> {
    (0..=127).contains(&idx).then(|| -157.0 + idx as f64)
}

/// `+CESQ <ss_sinr>` 0..127 → dB: −23.5 + 0.5·n (TS 38.133 §10.1.16.1).
pub fn ss_sinr_db(idx: i64) -> Option<f64> {
    (0..=127).contains(&idx).then(|| -23.5 + 0.5 * idx as f64)
}

/// A decoded `+CSQ: <rssi>,<ber>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Csq {
    /// The raw `<rssi>` index (99 = unknown).
    pub rssi_index: Option<i64>,
    /// RSSI in dBm (lower bound of the index's range), `None` when unknown.
    pub rssi_dbm: Option<f64>,
    /// The index was the top of the scale (31): the true value is at or above `rssi_dbm`.
    pub rssi_is_floor: bool,
    /// `<ber>` as RXQUAL 0..7, `None` when unknown (99).
    pub ber: Option<u8>,
}

/// Parses the first `+CSQ:` line of a reply.
pub fn parse_csq(reply: &str) -> Result<Csq, ParseError> {
    let body = find_body(reply, "+CSQ").ok_or(ParseError::Missing { prefix: "+CSQ" })?;
    let f = split_fields(body);
    let Some(rssi) = f.first().and_then(|f| f.int()) else {
        return Err(ParseError::malformed("+CSQ", body, "no <rssi>"));
    };
    let ber = f
        .get(1)
        .and_then(|f| f.int())
        .filter(|b| (0..=7).contains(b));
    Ok(Csq {
        rssi_index: Some(rssi),
        rssi_dbm: csq_rssi_dbm(rssi),
        rssi_is_floor: rssi == 31,
        ber: ber.map(|b| b as u8),
    })
}

/// A decoded `+CESQ` (6 fields, or 9 with the Rel-15 NR fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cesq {
    /// Number of fields in the line (6 or 9).
    pub fields: usize,
    /// GSM RSSI from `<rxlev>`, dBm.
    pub rssi_dbm: Option<f64>,
    /// `<ber>` as RXQUAL 0..7.
    pub ber_rxqual: Option<u8>,
    /// UMTS RSCP, dBm.
    pub rscp_dbm: Option<f64>,
    /// UMTS Ec/N0, dB.
    pub ecno_db: Option<f64>,
    /// LTE RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// LTE RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// NR SS-RSRQ, dB.
    pub ss_rsrq_db: Option<f64>,
    /// NR SS-RSRP, dBm.
    pub ss_rsrp_dbm: Option<f64>,
    /// NR SS-SINR, dB.
    pub ss_sinr_db: Option<f64>,
}

impl Cesq {
    /// The technology whose fields carry values: NR with LTE → NR-NSA, NR alone → NR-SA, then
    /// LTE, UMTS, GSM. `None` when every field is "not known".
    pub fn tech(&self) -> Option<Tech> {
        let nr =
            self.ss_rsrp_dbm.is_some() || self.ss_rsrq_db.is_some() || self.ss_sinr_db.is_some();
        let lte = self.rsrp_dbm.is_some() || self.rsrq_db.is_some();
        Some(if nr && lte {
            Tech::Nr5gNsa
        } else if nr {
            Tech::Nr5gSa
        } else if lte {
            Tech::Lte
        } else if self.rscp_dbm.is_some() || self.ecno_db.is_some() {
            Tech::Umts
        } else if self.rssi_dbm.is_some() {
            Tech::Gsm
        } else {
            return None;
        })
    }
}

/// Parses the first `+CESQ:` line of a reply.
pub fn parse_cesq(reply: &str) -> Result<Cesq, ParseError> {
    let body = find_body(reply, "+CESQ").ok_or(ParseError::Missing { prefix: "+CESQ" })?;
    let f = split_fields(body);
    if f.len() < 6 {
        return Err(ParseError::malformed(
            "+CESQ",
            body,
            format!("{} fields, 6 or 9 expected", f.len()),
        ));
    }
    let idx = |i: usize| f.get(i).and_then(|f| f.int());
    Ok(Cesq {
        fields: f.len(),
        rssi_dbm: idx(0).and_then(rxlev_dbm),
        ber_rxqual: idx(1).filter(|b| (0..=7).contains(b)).map(|b| b as u8),
        rscp_dbm: idx(2).and_then(rscp_dbm),
        ecno_db: idx(3).and_then(ecno_db),
        rsrq_db: idx(4).and_then(rsrq_db),
        rsrp_dbm: idx(5).and_then(rsrp_dbm),
        ss_rsrq_db: idx(6).and_then(ss_rsrq_db),
        ss_rsrp_dbm: idx(7).and_then(ss_rsrp_dbm),
        ss_sinr_db: idx(8).and_then(ss_sinr_db),
    })
}

/// Which registration command a reply came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RegCommand {
    /// `+CREG`: circuit-switched (voice/SMS). Kept for display; never decides `reg`.
    #[serde(rename = "CREG")]
    Creg,
    /// `+CGREG`: GPRS/UMTS packet domain.
    #[serde(rename = "CGREG")]
    Cgreg,
    /// `+CEREG`: EPS (LTE, NR-NSA).
    #[serde(rename = "CEREG")]
    Cereg,
    /// `+C5GREG`: 5GS (NR-SA).
    #[serde(rename = "C5GREG")]
    C5greg,
}

impl RegCommand {
    /// Every registration command.
    pub const ALL: [RegCommand; 4] = [
        RegCommand::Creg,
        RegCommand::Cgreg,
        RegCommand::Cereg,
        RegCommand::C5greg,
    ];

    /// The reply prefix, e.g. `+CEREG`.
    pub fn prefix(self) -> &'static str {
        match self {
            RegCommand::Creg => "+CREG",
            RegCommand::Cgreg => "+CGREG",
            RegCommand::Cereg => "+CEREG",
            RegCommand::C5greg => "+C5GREG",
        }
    }

    /// The command for a reply prefix (case-insensitive).
    pub fn from_prefix(p: &str) -> Option<RegCommand> {
        RegCommand::ALL
            .into_iter()
            .find(|c| c.prefix().eq_ignore_ascii_case(p))
    }

    /// True for the data-domain commands whose `<stat>` decides `reg` (all but `+CREG`).
    pub fn is_data(self) -> bool {
        self != RegCommand::Creg
    }

    /// True when the area code field is a TAC (EPS/5GS) rather than a LAC.
    pub fn has_tac(self) -> bool {
        matches!(self, RegCommand::Cereg | RegCommand::C5greg)
    }
}

/// A decoded `+CREG`/`+CGREG`/`+CEREG`/`+C5GREG` line, solicited (`<n>,<stat>[,...]`) or
/// unsolicited (`<stat>[,...]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registration {
    /// The command.
    pub cmd: RegCommand,
    /// Read-command form (`<n>` present) rather than a URC.
    pub solicited: bool,
    /// `<n>`, the URC presentation mode (solicited form only).
    pub n: Option<u8>,
    /// `<stat>` 0..11.
    pub stat: Option<u8>,
    /// `<stat>` in wire terms (DESIGN.md mapping).
    pub state: Option<Reg>,
    /// `<lac>` (CREG/CGREG), upper-case hex.
    pub lac: Option<String>,
    /// `<tac>` (CEREG/C5GREG), upper-case hex.
    pub tac: Option<String>,
    /// `<ci>`, upper-case hex.
    pub ci: Option<String>,
    /// `<AcT>` 0..13.
    pub act: Option<u8>,
    /// `<AcT>` as a name (`gsm-egprs`, `e-utran`, ...).
    pub act_name: Option<&'static str>,
    /// `<rac>` (CGREG, or the Novatel `+CEREG` layout), upper-case hex.
    pub rac: Option<String>,
}

/// Name of a 27.007 `<AcT>` value.
pub fn act_name(act: u8) -> Option<&'static str> {
    Some(match act {
        0 => "gsm",
        1 => "gsm-compact",
        2 => "utran",
        3 => "gsm-egprs",
        4 => "utran-hsdpa",
        5 => "utran-hsupa",
        6 => "utran-hsdpa-hsupa",
        7 => "e-utran",
        8 => "ec-gsm-iot",
        9 => "e-utran-nb-s1",
        10 => "e-utra-5gcn",
        11 => "nr-5gcn",
        12 => "ng-ran",
        13 => "e-utra-nr-dual",
        _ => return None,
    })
}

/// Our technology for a 27.007 `<AcT>` value (`+COPS`, `+CxREG`).
pub fn act_tech(act: u8) -> Option<Tech> {
    Some(match act {
        0 | 1 | 3 | 8 => Tech::Gsm,
        2 | 4..=6 => Tech::Umts,
        7 | 9 | 10 => Tech::Lte,
        11 | 12 => Tech::Nr5gSa,
        13 => Tech::Nr5gNsa,
        _ => return None,
    })
}

/// Parses the first registration line (any of the four commands) of a reply.
pub fn parse_registration(reply: &str) -> Result<Registration, ParseError> {
    for l in lines(reply) {
        if let Some((p, body)) = split_prefix(l)
            && let Some(cmd) = RegCommand::from_prefix(&p)
        {
            return parse_registration_body(cmd, body);
        }
    }
    Err(ParseError::Missing { prefix: "+CxREG" })
}

/// Parses the body of one registration line of command `cmd`.
///
/// Solicited and unsolicited forms are told apart the way 27.007 allows: two fields are
/// `<n>,<stat>`; one or three fields are a URC; otherwise the second field decides: an unquoted
/// decimal 0..11 is `<stat>` (solicited), anything else (quoted, empty, hex letters) is a
/// location code (URC). A second field longer than two digits (`0001`) is a location code,
/// unless the modem zero-pads every integer (Iridium's `+CREG:002,001,...`, seen as a padded
/// `<n>`), in which case `0011` is still a `<stat>`.
///
/// Some LTE modems (Novatel E362, ModemManager's `test_cereg2_novatel_lte_*`) put a routing
/// area between `<tac>` and `<ci>` in `+CEREG`: `<stat>,<tac>,<rac>,<ci>,<AcT>`. That layout is
/// recognised when the field where 27.007 puts `<AcT>` is a hex id rather than an AcT and the
/// one after it is an AcT.
pub fn parse_registration_body(cmd: RegCommand, body: &str) -> Result<Registration, ParseError> {
    let f = split_fields(body);
    let prefix = cmd.prefix();
    let Some(first) = f.first().and_then(|f| f.int()) else {
        return Err(ParseError::malformed(
            prefix,
            body,
            "first field is not a number",
        ));
    };
    let padded = |t: &str| t.len() > 1 && t.starts_with('0');
    let solicited = match f.len() {
        1 | 3 => false,
        2 => true,
        _ => {
            let s = &f[1];
            let stat_like = !s.quoted
                && s.int().is_some_and(|v| (0..=11).contains(&v))
                && (s.text.len() <= 2 || padded(f[0].text));
            stat_like && (0..=5).contains(&first)
        }
    };
    let (n, rest) = if solicited {
        (Some(first), &f[1..])
    } else {
        (None, &f[..])
    };
    let Some(stat) = rest
        .first()
        .and_then(|f| f.int())
        .filter(|s| (0..=255).contains(s))
    else {
        return Err(ParseError::malformed(prefix, body, "no <stat>"));
    };
    let stat = stat as u8;
    let act_at = |i: usize| {
        rest.get(i)
            .and_then(|f| f.int())
            .filter(|a| (0..=255).contains(a))
            .map(|a| a as u8)
    };
    let is_act = |i: usize| act_at(i).is_some_and(|a| act_name(a).is_some());
    // The Novatel layout: `<rac>` after `<tac>`, so `<ci>` sits where `<AcT>` belongs.
    let rac_layout = cmd.has_tac()
        && rest.len() >= 5
        && !is_act(3)
        && is_act(4)
        && rest[2].hex().is_some()
        && rest[3].hex().is_some();
    let (ci_at, act_idx, rac_at) = if rac_layout {
        (3, 4, Some(2))
    } else {
        (2, 3, (cmd == RegCommand::Cgreg).then_some(4))
    };
    // A zero area code or cell id means "not available" in registration replies.
    let id = |i: usize| {
        rest.get(i)
            .and_then(|f| f.hex())
            .filter(|v| *v != 0)
            .map(hex_string)
    };
    let area = id(1);
    let act = act_at(act_idx);
    Ok(Registration {
        cmd,
        solicited,
        n: n.and_then(|n| u8::try_from(n).ok()),
        stat: Some(stat),
        state: Reg::from_3gpp_stat(stat),
        lac: if cmd.has_tac() { None } else { area.clone() },
        tac: if cmd.has_tac() { area } else { None },
        ci: id(ci_at),
        act,
        act_name: act.and_then(act_name),
        rac: rac_at.and_then(id),
    })
}

/// A decoded `+COPS?` reply: `<mode>[,<format>,<oper>[,<AcT>]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cops {
    /// `<mode>`: 0 automatic, 1 manual, 2 deregister, 3 set format only, 4 manual/automatic.
    pub mode: Option<u8>,
    /// `<format>`: 0 long alphanumeric, 1 short alphanumeric, 2 numeric.
    pub format: Option<u8>,
    /// `<oper>` as printed.
    pub oper: Option<String>,
    /// `<AcT>`.
    pub act: Option<u8>,
    /// MCC when `<oper>` is numeric.
    pub mcc: Option<String>,
    /// MNC when `<oper>` is numeric (2 or 3 digits, as printed).
    pub mnc: Option<String>,
}

impl Cops {
    /// The operator as a PLMN when it was given numerically.
    pub fn plmn(&self) -> Option<Plmn> {
        Some(Plmn {
            mcc: self.mcc.clone()?,
            mnc: self.mnc.clone()?,
            name: None,
        })
    }

    /// The operator's name when it was given alphanumerically.
    pub fn name(&self) -> Option<&str> {
        if self.mcc.is_some() {
            None
        } else {
            self.oper.as_deref()
        }
    }
}

/// Splits a numeric PLMN (`"45204"`, `"452004"`, `"452 04"`, `"452-04"`) into MCC and MNC.
/// Five digits give a two-digit MNC, six a three-digit one.
pub fn split_numeric_plmn(s: &str) -> Option<(String, String)> {
    let t = s.trim();
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return None;
    }
    let d: String = t.chars().filter(char::is_ascii_digit).collect();
    match d.len() {
        5 | 6 => Some((d[..3].to_string(), d[3..].to_string())),
        _ => None,
    }
}

/// Parses the first `+COPS:` line of a reply (the `+COPS=?` network list is refused).
pub fn parse_cops(reply: &str) -> Result<Cops, ParseError> {
    let body = find_body(reply, "+COPS").ok_or(ParseError::Missing { prefix: "+COPS" })?;
    if body.trim_start().starts_with('(') {
        return Err(ParseError::malformed(
            "+COPS",
            body,
            "a network list (AT+COPS=?), not the current operator",
        ));
    }
    let f = split_fields(body);
    let small = |i: usize| {
        f.get(i)
            .and_then(|f| f.int())
            .and_then(|v| u8::try_from(v).ok())
    };
    let Some(mode) = small(0) else {
        return Err(ParseError::malformed("+COPS", body, "no <mode>"));
    };
    let format = small(1);
    let oper = f.get(2).and_then(|f| f.opt_str()).map(decode_text);
    // Some firmwares print the numeric PLMN even in an alphanumeric format.
    let numeric = oper.as_deref().and_then(split_numeric_plmn);
    Ok(Cops {
        mode: Some(mode),
        format,
        oper,
        act: small(3),
        mcc: numeric.as_ref().map(|n| n.0.clone()),
        mnc: numeric.map(|n| n.1),
    })
}

/// A text field as the modem meant it: a name the modem printed as UCS2 hex (`+CSCS="UCS2"`,
/// e.g. u-blox LARA's `"004D006F0076..."` for `Movistar`) is decoded, anything else is kept.
///
/// The character set is not known from a reply alone, so UCS2 is assumed only when it cannot
/// be mistaken for a name: at least two code units (8 hex digits), all printable Latin-1. An
/// all-hex name such as `"CAFE"` stays as printed.
pub fn decode_text(s: &str) -> String {
    decode_ucs2_hex(s).unwrap_or_else(|| s.to_string())
}

fn decode_ucs2_hex(s: &str) -> Option<String> {
    let t = s.trim();
    let text = fields::ucs2_hex(t).filter(|_| t.len() >= 8)?;
    let printable = |c: char| matches!(u32::from(c), 0x20..0x7F | 0xA0..=0xFF);
    text.chars().all(printable).then_some(text)
}

/// One network of a `+COPS=?` list: `(<stat>,<long>,<short>,<numeric>[,<AcT>])`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopsNetwork {
    /// `<stat>`: 0 unknown, 1 available, 2 current, 3 forbidden.
    pub stat: u8,
    /// Long alphanumeric name, `None` when empty.
    pub long: Option<String>,
    /// Short alphanumeric name, `None` when empty.
    pub short: Option<String>,
    /// Numeric PLMN as printed (`"31026"`, `"310410"`).
    pub numeric: String,
    /// `<AcT>`, `None` when the modem gave none (pre-Rel-99 lists).
    pub act: Option<u8>,
    /// Our technology for `<AcT>`.
    pub tech: Option<Tech>,
}

impl CopsNetwork {
    /// The network as a PLMN (5 or 6 digits), with its name.
    pub fn plmn(&self) -> Option<Plmn> {
        let (mcc, mnc) = split_numeric_plmn(&self.numeric)?;
        Some(Plmn {
            mcc,
            mnc,
            name: self.long.clone().or_else(|| self.short.clone()),
        })
    }
}

/// True when a `+COPS:` body is a network list (`AT+COPS=?`) rather than the current operator.
pub fn is_cops_list(body: &str) -> bool {
    body.trim_start().starts_with('(')
}

/// Parses a `+COPS=?` network list. `reply` is every line of it: firmwares split the list
/// over several `+COPS:` lines (Novatel XU870) or continue it on an unprefixed line (Nokia
/// 2720). The trailing `,,(0-4),(0-2)` lists of supported modes and formats are skipped, as is
/// any group that does not name a network.
///
/// Quirk kept from real devices (ModemManager `test_cops_response_tm506`, `..._f3607gw`): an
/// entry closed before its `<AcT>`, `(2,"T - Mobile","T - Mobile","310260"),2)`, still gets
/// that AcT.
pub fn parse_cops_scan(reply: &str) -> Result<Vec<CopsNetwork>, ParseError> {
    let mut text = String::new();
    for l in lines(reply) {
        let body = match split_prefix(l) {
            Some((p, body)) if p == "+COPS" => body,
            Some(_) => continue,
            None if l.trim_start().starts_with('(') => l,
            None => continue,
        };
        if !text.is_empty() {
            text.push(',');
        }
        text.push_str(body.trim());
    }
    if !is_cops_list(&text) {
        return Err(ParseError::Missing { prefix: "+COPS" });
    }
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'(' {
            i += 1;
            continue;
        }
        // The group runs to the first `)` outside quotes.
        let start = i + 1;
        let mut j = start;
        let mut quoted = false;
        while j < b.len() && (quoted || b[j] != b')') {
            if b[j] == b'"' {
                quoted = !quoted;
            }
            j += 1;
        }
        let group = &text[start..j.min(text.len())];
        i = j + 1;
        let f = split_fields(group);
        let Some(stat) = f
            .first()
            .filter(|x| !x.quoted)
            .and_then(|x| x.int())
            .filter(|v| (0..=3).contains(v))
        else {
            continue;
        };
        let Some(num) = f.get(3).filter(|x| !x.text.is_empty()) else {
            continue;
        };
        let numeric = decode_text(num.text);
        if !(num.quoted || numeric.len() >= 5) || !numeric.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let mut act = f
            .get(4)
            .and_then(|x| x.int())
            .and_then(|v| u8::try_from(v).ok());
        if f.len() == 4 {
            // `...,"310260"),2)`: the AcT after a premature `)`.
            let rest = &text[i.min(text.len())..];
            if let Some(r) = rest.strip_prefix(',')
                && let Some(close) = r.find(')')
                && !r[..close].is_empty()
                && r[..close].chars().all(|c| c.is_ascii_digit())
                && !r[..close].contains('(')
            {
                act = r[..close].parse().ok();
                i += 1 + close + 1;
            }
        }
        let name = |k: usize| {
            f.get(k)
                .map(|x| decode_text(x.text))
                .filter(|n| !n.trim().is_empty())
        };
        out.push(CopsNetwork {
            stat: stat as u8,
            long: name(1),
            short: name(2),
            numeric,
            act,
            tech: act.and_then(act_tech),
        });
    }
    Ok(out)
}

/// MCCs whose networks use three-digit MNCs (ITU-T E.212 assignments; North America and the
/// Caribbean under NANP, Mexico, Argentina, Colombia, Honduras, Falklands). India (404/405)
/// mixes two- and three-digit MNCs and cannot be decided from the IMSI alone: there the MNC
/// length of the serving network is used when the IMSI starts with it, else two digits.
/// Every other country, Vietnam (452) included, uses two digits.
const THREE_DIGIT_MNC_MCCS: &[&str] = &[
    "302", "310", "311", "312", "313", "314", "315", "316", "334", "338", "342", "344", "346",
    "348", "354", "356", "358", "360", "365", "366", "376", "708", "722", "732", "750",
];

/// The SIM's home network from its IMSI: MCC = first 3 digits; MNC = next 3 digits for the
/// countries in the three-digit table, else next 2. `hint` (the serving network, e.g. from
/// `+COPS` numeric) decides the MNC length when the IMSI starts with its MCC and MNC, since
/// a numeric PLMN carries its own length.
pub fn home_plmn_from_imsi(imsi: &str, hint: Option<&Plmn>) -> Option<Plmn> {
    let imsi = imsi.trim();
    if imsi.len() < 6 || imsi.len() > 15 || !imsi.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mcc = &imsi[..3];
    let len = match hint {
        Some(h)
            if h.mcc == mcc && imsi[3..].starts_with(&h.mnc) && (2..=3).contains(&h.mnc.len()) =>
        {
            h.mnc.len()
        }
        _ if THREE_DIGIT_MNC_MCCS.contains(&mcc) => 3,
        _ => 2,
    };
    Some(Plmn {
        mcc: mcc.to_string(),
        mnc: imsi[3..3 + len].to_string(),
        name: None,
    })
}

/// The lines of a reply that carry an answer: not blank, not the echo, not a final result.
fn answer_lines(reply: &str) -> impl Iterator<Item = &str> {
    lines(reply).filter(|l| !is_echo(l) && !is_final_ok(l) && !is_final_error(l))
}

/// The value of an identifier reply: `+CIMI: 452...`, `"8984..."` or a bare line of digits.
fn identifier(reply: &str, prefixes: &[&str]) -> Vec<String> {
    answer_lines(reply)
        .filter_map(|l| {
            let body = match split_prefix(l) {
                Some((p, body)) if prefixes.iter().any(|x| x.eq_ignore_ascii_case(&p)) => body,
                Some(_) => return None,
                None => l,
            };
            let t = body.trim().trim_matches('"').trim();
            t.chars()
                .all(|c| c.is_ascii_alphanumeric())
                .then(|| t.to_string())
        })
        .collect()
}

/// The IMSI of a `+CIMI` reply (6 to 15 digits).
pub fn parse_imsi(reply: &str) -> Option<String> {
    identifier(reply, &["+CIMI"])
        .into_iter()
        .find(|t| (6..=15).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit()))
}

/// The IMEI (or IMEISV) of a `+CGSN` reply (14 to 17 digits).
pub fn parse_imei(reply: &str) -> Option<String> {
    identifier(reply, &["+CGSN", "+GSN"])
        .into_iter()
        .find(|t| (14..=17).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit()))
}

/// The ICCID of a `+CCID`/`+ICCID`/`^ICCID`/`+QCCID` reply (18 to 22 digits, `F` filler
/// dropped). Huawei's `^ICCID` prints the SIM's nibble-swapped bytes (`98...`): those are
/// swapped back, since every ICCID starts with `89` (ITU-T E.118 telecom prefix).
pub fn parse_iccid(reply: &str) -> Option<String> {
    let raw = identifier(
        reply,
        &["+CCID", "+ICCID", "^ICCID", "+QCCID", "^SCID", "+CICCID"],
    )
    .into_iter()
    .find(|t| (18..=22).contains(&t.len()) && t.chars().all(|c| c.is_ascii_hexdigit()))?;
    let d = digits_of(&raw).to_ascii_uppercase();
    let d = if d.starts_with("98") {
        let b = d.as_bytes();
        let mut out = String::with_capacity(b.len());
        for pair in b.chunks(2) {
            if pair.len() == 2 {
                out.push(pair[1] as char);
            }
            out.push(pair[0] as char);
        }
        out
    } else {
        d
    };
    let d: String = d.chars().filter(char::is_ascii_digit).collect();
    (18..=22).contains(&d.len()).then_some(d)
}

/// The SIM state of a `+CPIN?` reply in heartbeat terms: `ready`, `pin-required`,
/// `puk-required`, `absent`, ... (`+CME ERROR: 10` is "SIM not inserted").
pub fn parse_sim_state(reply: &str) -> Option<String> {
    for l in lines(reply) {
        let u = l.to_ascii_uppercase();
        if let Some(code) = u.strip_prefix("+CME ERROR:") {
            let code = code.trim();
            return Some(
                match code {
                    "10" | "SIM NOT INSERTED" => "absent",
                    "13" | "SIM FAILURE" => "failure",
                    "14" | "SIM BUSY" => "busy",
                    "15" | "SIM WRONG" => "wrong",
                    _ => "error",
                }
                .to_string(),
            );
        }
        if let Some((p, body)) = split_prefix(l)
            && p == "+CPIN"
        {
            let b = body.trim().trim_matches('"').to_ascii_uppercase();
            return Some(match b.as_str() {
                "READY" => "ready".to_string(),
                "SIM PIN" => "pin-required".to_string(),
                "SIM PUK" => "puk-required".to_string(),
                "SIM PIN2" => "pin2-required".to_string(),
                "SIM PUK2" => "puk2-required".to_string(),
                "PH-SIM PIN" => "ph-sim-pin-required".to_string(),
                "NOT INSERTED" | "SIM NOT INSERTED" => "absent".to_string(),
                "NOT READY" => "not-ready".to_string(),
                other => other.to_ascii_lowercase().replace(' ', "-"),
            });
        }
    }
    None
}

/// The first answer line of a reply to a text query (`+CGMM`, `+CGMI`): the model or
/// manufacturer, without any `+CGMM:` prefix or quotes.
pub fn parse_text(reply: &str, prefix: &str) -> Option<String> {
    answer_lines(reply).find_map(|l| {
        let body = match split_prefix(l) {
            Some((p, body)) if p.eq_ignore_ascii_case(prefix) => body,
            Some(_) => return None,
            None => l,
        };
        let t = body.trim().trim_matches('"').trim();
        (!t.is_empty()).then(|| t.to_string())
    })
}

/// How gpp replies add to an [`Observation`] (the ranked merge itself is in `observe.rs`).
impl Observation {
    /// Adds a `+CSQ` reply.
    pub fn add_csq(&mut self, c: &Csq) {
        self.value(V::Rssi, c.rssi_dbm, RANK_REG);
        self.detail("csq", c);
    }

    /// Adds a `+CESQ` reply.
    pub fn add_cesq(&mut self, c: &Cesq) {
        let r = RANK_CESQ;
        self.value(V::Rssi, c.rssi_dbm, r);
        self.value(V::Rscp, c.rscp_dbm, r);
        self.value(V::Ecno, c.ecno_db, r);
        self.value(V::Rsrq, c.rsrq_db, r);
        self.value(V::Rsrp, c.rsrp_dbm, r);
        self.value(V::SsRsrq, c.ss_rsrq_db, r);
        self.value(V::SsRsrp, c.ss_rsrp_dbm, r);
        self.value(V::SsSinr, c.ss_sinr_db, r);
        self.tech(c.tech(), r);
        self.detail("cesq", c);
    }

    /// Adds a registration reply.
    pub fn add_registration(&mut self, reg: &Registration) {
        let rank = if reg.cmd.is_data() {
            RANK_REG
        } else {
            RANK_CREG
        };
        // A registered modem's ids describe its serving cell; an unregistered one's are stale.
        if matches!(reg.state, Some(Reg::Home | Reg::Roaming | Reg::Limited)) {
            self.cell(
                reg.lac.clone(),
                reg.tac.clone(),
                reg.ci.clone(),
                None,
                None,
                None,
                rank,
            );
            self.tech(reg.act.and_then(act_tech), rank);
        }
        let key = reg
            .cmd
            .prefix()
            .trim_start_matches('+')
            .to_ascii_lowercase();
        self.detail(&key, reg);
        self.keep_registration(reg);
    }

    /// Adds a `+COPS?` reply.
    pub fn add_cops(&mut self, c: &Cops) {
        self.serving(c.mcc.as_deref(), c.mnc.as_deref(), RANK_CESQ);
        self.serving_name(c.name());
        self.tech(c.act.and_then(act_tech), RANK_REG);
        self.detail("cops", c);
    }

    /// Adds a `+COPS=?` network list. The network marked current (`<stat>` 2) is the serving
    /// one, ranked below `+COPS?` (a scan is older news). A network listed current once per
    /// technology (Sony Ericsson K600i) is still one network; its technology is taken only when
    /// the entries agree. When the list marks different networks current (Sony Ericsson TM-506
    /// does), none is taken.
    pub fn add_cops_scan(&mut self, list: &[CopsNetwork]) {
        let current: Vec<&CopsNetwork> = list.iter().filter(|n| n.stat == 2).collect();
        match current.first() {
            Some(first) if current.iter().all(|n| n.numeric == first.numeric) => {
                if let Some(p) = first.plmn() {
                    self.serving(Some(&p.mcc), Some(&p.mnc), RANK_REG);
                    self.serving_name(p.name.as_deref());
                }
                if current.iter().all(|n| n.tech == first.tech) {
                    self.tech(first.tech, RANK_CREG);
                }
            }
            Some(_) => self.note("+COPS network list marks several networks current; none taken"),
            None => {}
        }
        self.detail("cops_scan", &list);
    }
}

#[cfg(test)]
mod tests;

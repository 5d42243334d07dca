//! Pure parsers for the Quectel network-information replies technicians paste beside
//! `+QENG`: `AT+QNWINFO` (technology, network, band, channel), `AT+QSPN` (network names) and
//! `AT+QCAINFO` (carrier aggregation). None of them is a full serving-cell report, so
//! [`super::observe`] ranks them below `+QENG` (like `+CESQ`).
//!
//! Layouts (Quectel EC2x/EG2x, EM12 and RM5xx AT manuals, as quoted beside the captures in
//! `tests/fixtures/modem-vendor/`):
//!
//! - `+QNWINFO: <AcT>,<oper>,<band>,<channel>`, or `+QNWINFO: No Service`. `<oper>` is the
//!   numeric PLMN (`"46011"`, quoted or not; five digits = 2-digit MNC, six = 3-digit) or, when
//!   `+COPS` is set to an alphanumeric format, the operator's name. `<AcT>` is `GSM`, `GPRS`,
//!   `EDGE`, `WCDMA`, `HSDPA`, `HSUPA`, `HSPA+`, `TDSCDMA`, `TDD LTE`, `FDD LTE`, `eMTC`,
//!   `NBIoT`, and on RM5xx `TDD NR5G`/`FDD NR5G`, which is NR standalone (in EN-DC the modem
//!   names its LTE anchor). An LTE channel outside the printed band is dropped with a note.
//! - `+QSPN: <FNN>,<SNN>,<SPN>,<alphabet>,<RPLMN>`: full and short network names (the names
//!   the modem displays; for an MVNO SIM that may be the SIM's brand), the SIM's service
//!   provider name, the alphabet (0 = GSM 7-bit text, 1 = UCS2 as hex) and the registered PLMN.
//! - `+QCAINFO: "PCC"|"SCC",<freq>,<bandwidth>,<band>,...`, one line per component carrier:
//!   - LTE: `<state>,<pci>,<rsrp>,<rsrq>,<rssi>,<rssnr>[,<ul_configured>,<ul_bw>,<ul_earfcn>]`,
//!     bandwidth in resource blocks (6/15/25/50/75/100 = 1.4/3/5/10/15/20 MHz), values in
//!     dBm/dB;
//!   - NR PCC (SA), NR SCC short form: `<pci>[,<rsrp>,<rsrq>[,<snr>]]`;
//!   - NR SCC long form: `<state>,<pci>,<ul_configured>,<ul_bw>,<ul_arfcn>[,<rsrp>,<rsrq>[,<snr>]]`.
//!
//!   Only the PCC feeds the wire fields; SCCs stay in the details. An NR `<snr>` is printed in
//!   a unit the manuals leave open (`2582` beside RSRQ −11: hundredths of a dB?) and is kept
//!   raw, never reported as dB. An NR SCC beside an LTE PCC means EN-DC.
//!
//! Values outside the wire's physical ranges (an RSRP of `0` on an idle carrier, `-32768`)
//! decode to `None`.

use coverage_shared::wire::Tech;
use serde::Serialize;

use super::bands;
use super::fields::{self, Field, ParseError, find_bodies, find_body, split_fields};
use super::observe::{Observation, RANK_CESQ, V};

/// A decoded `+QNWINFO` line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Qnwinfo {
    /// `<AcT>` as printed (`FDD LTE`, `WCDMA`, `TDD NR5G`, `No Service`).
    pub act: String,
    /// MCC of `<oper>` when numeric.
    pub mcc: Option<String>,
    /// MNC of `<oper>` when numeric.
    pub mnc: Option<String>,
    /// `<oper>` when it is a name (alphanumeric `+COPS` format).
    pub operator_name: Option<String>,
    /// `<band>` as printed (`LTE BAND 3`, `WCDMA 2100`, `NR5G BAND 79`).
    pub band_printed: Option<String>,
    /// The band in wire form.
    pub band: Option<String>,
    /// `<channel>`: (E/U)ARFCN or NR-ARFCN, when consistent with the band.
    pub channel: Option<u32>,
    /// Values printed but not used, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<String>,
}

impl Qnwinfo {
    /// True for `No Service` (or `NONE`).
    pub fn no_service(&self) -> bool {
        let a = self.act.to_ascii_uppercase();
        a == "NO SERVICE" || a == "NONE"
    }

    /// Our technology (`none` without service, `None` for CDMA/HDR and unknown names).
    pub fn tech(&self) -> Option<Tech> {
        if self.no_service() {
            return Some(Tech::None);
        }
        act_tech(&self.act)
    }
}

/// Technology of a Quectel `<AcT>` name.
fn act_tech(act: &str) -> Option<Tech> {
    let a = act.to_ascii_uppercase().replace(['-', '_'], "");
    Some(if a.contains("NR5GNSA") || a.contains("ENDC") {
        Tech::Nr5gNsa
    } else if a.contains("NR5G") || a.contains("NR") && a.contains("SA") {
        Tech::Nr5gSa
    } else if a.contains("LTE")
        || a.contains("EMTC")
        || a.contains("CATM")
        || a.contains("CATNB")
        || a.contains("NBIOT")
    {
        Tech::Lte
    } else if a.contains("WCDMA")
        || a.contains("HSDPA")
        || a.contains("HSUPA")
        || a.contains("HSPA")
        || a.contains("TDSCDMA")
        || a.contains("UMTS")
    {
        Tech::Umts
    } else if a == "GSM" || a == "GPRS" || a == "EDGE" {
        Tech::Gsm
    } else {
        return None;
    })
}

/// Splits a printed numeric PLMN (`46011`, `732101`) into MCC and MNC.
fn split_plmn(s: &str) -> Option<(String, String)> {
    let s = s.trim();
    ((s.len() == 5 || s.len() == 6) && s.chars().all(|c| c.is_ascii_digit()))
        .then(|| (s[..3].to_string(), s[3..].to_string()))
}

fn text(f: Option<&Field<'_>>) -> Option<String> {
    f.and_then(Field::opt_str).map(str::to_string)
}

/// Parses the first `+QNWINFO:` line of a reply.
pub fn parse_qnwinfo(reply: &str) -> Result<Qnwinfo, ParseError> {
    let body = find_body(reply, "+QNWINFO").ok_or(ParseError::Missing { prefix: "+QNWINFO" })?;
    let f = split_fields(body);
    let act = f
        .first()
        .map(|a| a.text.to_string())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ParseError::malformed("+QNWINFO", body, "no <AcT>"))?;
    let mut out = Qnwinfo {
        act,
        ..Qnwinfo::default()
    };
    if out.no_service() {
        return Ok(out);
    }
    if f.len() < 4 {
        return Err(ParseError::malformed(
            "+QNWINFO",
            body,
            "expected <AcT>,<oper>,<band>,<channel>",
        ));
    }
    if let Some(o) = text(f.get(1)) {
        match split_plmn(&o) {
            Some((mcc, mnc)) => (out.mcc, out.mnc) = (Some(mcc), Some(mnc)),
            None if o.chars().all(|c| c.is_ascii_digit()) => {
                out.dropped
                    .push(format!("<oper> {o} is not a 5- or 6-digit PLMN"));
            }
            None => out.operator_name = Some(o),
        }
    }
    out.band_printed = text(f.get(2));
    let channel = f
        .get(3)
        .and_then(Field::int)
        .and_then(|c| u32::try_from(c).ok());
    let tech = out.tech();
    let printed = out.band_printed.as_deref().unwrap_or("");
    out.band = match tech {
        Some(Tech::Umts) => bands::umts_from_name(printed)
            .or_else(|| channel.and_then(|c| bands::umts_from_uarfcn(c.into()))),
        Some(Tech::Gsm) => {
            channel.and_then(|c| bands::gsm_from_arfcn(c.into(), printed.contains("1900")))
        }
        Some(Tech::Nr5gSa | Tech::Nr5gNsa) => bands::normalise(printed, true),
        _ => bands::normalise(printed, false),
    };
    out.channel = channel;
    if tech == Some(Tech::Lte)
        && let Some(n) = out.band.as_deref().and_then(bands::lte_band_number)
        && let Some(note) = bands::drop_earfcn_outside_band(n, &mut out.channel, "channel")
    {
        out.dropped.push(note);
    }
    Ok(out)
}

/// A decoded `+QSPN` line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Qspn {
    /// Full network name.
    pub full_name: Option<String>,
    /// Short network name.
    pub short_name: Option<String>,
    /// The SIM's service provider name.
    pub spn: Option<String>,
    /// `<alphabet>`: 0 GSM 7-bit text, 1 UCS2 hex.
    pub alphabet: Option<i64>,
    /// MCC of the registered PLMN.
    pub mcc: Option<String>,
    /// MNC of the registered PLMN.
    pub mnc: Option<String>,
    /// Names that could not be read (UCS2 hex that is not valid UTF-16).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<String>,
}

impl Qspn {
    /// The network's name to show: the full name, else the short one.
    pub fn name(&self) -> Option<&str> {
        self.full_name.as_deref().or(self.short_name.as_deref())
    }
}

/// Parses the first `+QSPN:` line of a reply.
pub fn parse_qspn(reply: &str) -> Result<Qspn, ParseError> {
    let body = find_body(reply, "+QSPN").ok_or(ParseError::Missing { prefix: "+QSPN" })?;
    let f = split_fields(body);
    if f.len() < 5 {
        return Err(ParseError::malformed(
            "+QSPN",
            body,
            "expected <FNN>,<SNN>,<SPN>,<alphabet>,<RPLMN>",
        ));
    }
    let mut out = Qspn {
        alphabet: f[3].int(),
        ..Qspn::default()
    };
    let name = |k: usize, what: &str, dropped: &mut Vec<String>| -> Option<String> {
        let t = f[k].text.trim();
        if t.is_empty() {
            return None;
        }
        match out.alphabet {
            Some(1) => {
                let n = fields::ucs2_hex(t);
                if n.is_none() {
                    dropped.push(format!("{what} {t:?} is not UCS2 hex"));
                }
                n
            }
            _ => Some(t.to_string()),
        }
    };
    let mut dropped = Vec::new();
    out.full_name = name(0, "FNN", &mut dropped);
    out.short_name = name(1, "SNN", &mut dropped);
    out.spn = name(2, "SPN", &mut dropped);
    out.dropped = dropped;
    if let Some((mcc, mnc)) = split_plmn(f[4].text) {
        (out.mcc, out.mnc) = (Some(mcc), Some(mnc));
    }
    Ok(out)
}

/// One component carrier of `+QCAINFO`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Carrier {
    /// `PCC` or `SCC`.
    pub role: String,
    /// `LTE` or `NR5G`, from the band name.
    pub rat: String,
    /// EARFCN or NR-ARFCN.
    pub arfcn: Option<u32>,
    /// `<bandwidth>` as printed (LTE: resource blocks; NR: the manual's index).
    pub bandwidth_raw: Option<i64>,
    /// LTE bandwidth, MHz, from the resource-block count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bw_mhz: Option<f64>,
    /// Band in wire form.
    pub band: Option<String>,
    /// `<pcell_state>`/`<scell_state>`.
    pub state: Option<i64>,
    /// Physical cell id.
    pub pci: Option<u32>,
    /// RSRP (NR: SS-RSRP), dBm.
    pub rsrp_dbm: Option<f64>,
    /// RSRQ (NR: SS-RSRQ), dB.
    pub rsrq_db: Option<f64>,
    /// LTE RSSI, dBm.
    pub rssi_dbm: Option<f64>,
    /// LTE RSSNR, dB.
    pub sinr_db: Option<f64>,
    /// NR `<snr>` as printed (unit undocumented; never reported as dB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nr_snr_raw: Option<i64>,
    /// Fields after the band, as printed, when the layout was not recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unparsed: Option<String>,
}

/// The decoded `+QCAINFO` reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Qcainfo {
    /// The primary carrier.
    pub pcc: Option<Carrier>,
    /// Secondary carriers, in order.
    pub scc: Vec<Carrier>,
}

impl Qcainfo {
    /// Our technology: an NR PCC is SA; an LTE PCC with an NR SCC is EN-DC.
    pub fn tech(&self) -> Option<Tech> {
        let pcc = self.pcc.as_ref()?;
        Some(match pcc.rat.as_str() {
            "NR5G" => Tech::Nr5gSa,
            "LTE" if self.scc.iter().any(|c| c.rat == "NR5G") => Tech::Nr5gNsa,
            "LTE" => Tech::Lte,
            _ => return None,
        })
    }
}

fn in_range(v: Option<f64>, lo: f64, hi: f64) -> Option<f64> {
    v.filter(|x| (lo..=hi).contains(x))
}

fn lte_rb_mhz(rb: i64) -> Option<f64> {
    Some(match rb {
        6 => 1.4,
        15 => 3.0,
        25 => 5.0,
        50 => 10.0,
        75 => 15.0,
        100 => 20.0,
        _ => return None,
    })
}

fn parse_carrier(body: &str) -> Option<Carrier> {
    let f = split_fields(body);
    let role = f.first()?.text.to_ascii_uppercase();
    if role != "PCC" && role != "SCC" {
        return None;
    }
    let band_printed = f.get(3)?.text.to_ascii_uppercase();
    let rat = if band_printed.starts_with("NR") {
        "NR5G"
    } else if band_printed.starts_with("LTE") {
        "LTE"
    } else {
        ""
    };
    let num = |k: usize| f.get(k).and_then(Field::float);
    let int = |k: usize| f.get(k).and_then(Field::int);
    let u = |k: usize| int(k).and_then(|v| u32::try_from(v).ok());
    let rsrp = |k: usize, lo: f64| in_range(num(k), lo, -31.0);
    let mut c = Carrier {
        role,
        rat: rat.to_string(),
        arfcn: u(1),
        bandwidth_raw: int(2),
        band: bands::normalise(&band_printed, rat == "NR5G"),
        ..Carrier::default()
    };
    let rest = f.len().saturating_sub(4);
    match (rat, c.role.as_str(), rest) {
        ("LTE", _, 6 | 9) => {
            c.bw_mhz = c.bandwidth_raw.and_then(lte_rb_mhz);
            c.state = int(4);
            c.pci = u(5);
            c.rsrp_dbm = rsrp(6, -156.0);
            c.rsrq_db = in_range(num(7), -43.0, 20.0);
            c.rssi_dbm = in_range(num(8), -120.0, -25.0);
            c.sinr_db = in_range(num(9), -23.0, 40.0);
        }
        ("NR5G", "PCC", 1 | 3 | 4) | ("NR5G", "SCC", 1 | 3 | 4) => {
            c.pci = u(4);
            c.rsrp_dbm = rsrp(5, -156.0);
            c.rsrq_db = in_range(num(6), -43.0, 20.0);
            c.nr_snr_raw = int(7).filter(|v| *v != -32768);
        }
        ("NR5G", "SCC", 5 | 7 | 8) => {
            c.state = int(4);
            c.pci = u(5);
            c.rsrp_dbm = rsrp(9, -156.0);
            c.rsrq_db = in_range(num(10), -43.0, 20.0);
            c.nr_snr_raw = int(11).filter(|v| *v != -32768);
        }
        _ => {
            let tail: Vec<&str> = f.iter().skip(4).map(|x| x.text).collect();
            c.unparsed = Some(tail.join(","));
        }
    }
    Some(c)
}

/// Parses the `+QCAINFO:` lines of a reply (the first `PCC` line is the primary carrier).
pub fn parse_qcainfo(reply: &str) -> Result<Qcainfo, ParseError> {
    let mut out = Qcainfo::default();
    let mut seen = false;
    for body in find_bodies(reply, "+QCAINFO") {
        seen = true;
        let Some(c) = parse_carrier(body) else {
            return Err(ParseError::malformed(
                "+QCAINFO",
                body,
                "expected \"PCC\"|\"SCC\",<freq>,<bandwidth>,<band>,...",
            ));
        };
        if c.role == "PCC" && out.pcc.is_none() {
            out.pcc = Some(c);
        } else {
            out.scc.push(c);
        }
    }
    if !seen {
        return Err(ParseError::Missing { prefix: "+QCAINFO" });
    }
    Ok(out)
}

/// How quectel_info replies add to an [`Observation`] (the ranked merge itself is in `observe.rs`).
impl Observation {
    /// Adds a Quectel `+QNWINFO` reply (ranked like `+CESQ`: `+QENG` says more).
    pub fn add_qnwinfo(&mut self, q: &Qnwinfo) {
        let r = RANK_CESQ;
        self.service(q.no_service(), r);
        self.tech(q.tech(), r);
        if q.tech().is_none() {
            self.note(format!(
                "+QNWINFO access technology {:?} is not a technology we report",
                q.act
            ));
        }
        self.serving(q.mcc.as_deref(), q.mnc.as_deref(), r);
        self.serving_name(q.operator_name.as_deref());
        self.cell(None, None, None, None, q.channel, q.band.clone(), r);
        for d in &q.dropped {
            self.note(format!("+QNWINFO {d}"));
        }
        self.detail("qnwinfo", q);
    }

    /// Adds a Quectel `+QSPN` reply: the registered network and its displayed name.
    pub fn add_qspn(&mut self, q: &Qspn) {
        self.serving(q.mcc.as_deref(), q.mnc.as_deref(), RANK_CESQ);
        self.serving_name(q.name());
        for d in &q.dropped {
            self.note(format!("+QSPN {d}; name not used"));
        }
        self.detail("qspn", q);
    }

    /// Adds a Quectel `+QCAINFO` reply: the primary carrier only (ranked like `+CESQ`);
    /// secondary carriers stay in the details.
    pub fn add_qcainfo(&mut self, q: &Qcainfo) {
        let r = RANK_CESQ;
        self.tech(q.tech(), r);
        match &q.pcc {
            Some(p) if p.rat == "NR5G" => {
                self.value(V::SsRsrp, p.rsrp_dbm, r);
                self.value(V::SsRsrq, p.rsrq_db, r);
                if p.nr_snr_raw.is_some() {
                    self.note(
                        "+QCAINFO NR snr kept raw (unit undocumented); ss_sinr_db not set from it",
                    );
                }
            }
            Some(p) => {
                self.value(V::Rsrp, p.rsrp_dbm, r);
                self.value(V::Rsrq, p.rsrq_db, r);
                self.value(V::Rssi, p.rssi_dbm, r);
                self.value(V::Sinr, p.sinr_db, r);
            }
            None => self.note("+QCAINFO names no primary carrier (PCC); only details kept"),
        }
        if let Some(p) = &q.pcc {
            self.cell(None, None, None, p.pci, p.arfcn, p.band.clone(), r);
        }
        for c in q.pcc.iter().chain(&q.scc) {
            if let Some(u) = &c.unparsed {
                self.note(format!(
                    "+QCAINFO {} {} fields {u:?} are not a layout we know; not decoded",
                    c.role, c.rat
                ));
            }
        }
        self.detail("qcainfo", q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qnwinfo_lte_three_digit_mnc_and_unquoted_operator() {
        // Colombia (C comment in a cell-modem driver; see the vendor fixtures' manifest).
        let q = parse_qnwinfo("+QNWINFO: \"FDD LTE\",\"732101\",\"LTE BAND 7\",3075").unwrap();
        assert_eq!(q.tech(), Some(Tech::Lte));
        assert_eq!(
            (q.mcc.as_deref(), q.mnc.as_deref()),
            (Some("732"), Some("101"))
        );
        assert_eq!((q.band.as_deref(), q.channel), (Some("B7"), Some(3075)));
        // Quectel manual example: the operator unquoted.
        let q = parse_qnwinfo("+QNWINFO: \"FDD LTE\",46011,\"LTE BAND 3\",1650").unwrap();
        assert_eq!(
            (q.mcc.as_deref(), q.mnc.as_deref()),
            (Some("460"), Some("11"))
        );
        assert_eq!((q.band.as_deref(), q.channel), (Some("B3"), Some(1650)));
    }

    #[test]
    fn qnwinfo_wcdma_nr_sa_names_and_no_service() {
        let q = parse_qnwinfo("+QNWINFO: \"WCDMA\",\"46001\",\"WCDMA 2100\",10763").unwrap();
        assert_eq!(
            (q.tech(), q.band.as_deref()),
            (Some(Tech::Umts), Some("B1"))
        );
        let q = parse_qnwinfo("+QNWINFO: \"FDD NR5G\",\"310260\",\"NR5G BAND 71\",127490").unwrap();
        assert_eq!(
            (q.tech(), q.band.as_deref()),
            (Some(Tech::Nr5gSa), Some("n71"))
        );
        assert_eq!(q.channel, Some(127490));
        let q = parse_qnwinfo("+QNWINFO: \"FDD LTE\",\"TIM IT\",\"LTE BAND 3\",1300").unwrap();
        assert_eq!((q.operator_name.as_deref(), q.mcc), (Some("TIM IT"), None));
        let q = parse_qnwinfo("+QNWINFO: No Service").unwrap();
        assert!(q.no_service());
        assert_eq!(q.tech(), Some(Tech::None));
    }

    #[test]
    fn qnwinfo_partial_and_inconsistent() {
        assert!(parse_qnwinfo("+QNWINFO: \"FDD LTE\",\"46011\"").is_err());
        assert!(parse_qnwinfo("+QNWINFO:").is_err());
        // A channel outside its band is not the serving EARFCN.
        let q = parse_qnwinfo("+QNWINFO: \"FDD LTE\",\"46011\",\"LTE BAND 3\",100").unwrap();
        assert_eq!((q.channel, q.dropped.len()), (None, 1));
        let q = parse_qnwinfo("+QNWINFO: \"CDMA1X\",\"46003\",\"BC0\",283").unwrap();
        assert_eq!(q.tech(), None);
    }

    #[test]
    fn qspn_names_and_registered_plmn() {
        // RM520N-GL on TIM Italy (README sample output).
        let q = parse_qspn("+QSPN: \"I TIM\",\"TIM\",\"\",0,\"22201\"").unwrap();
        assert_eq!(q.name(), Some("I TIM"));
        assert_eq!(
            (q.mcc.as_deref(), q.mnc.as_deref()),
            (Some("222"), Some("01"))
        );
        assert_eq!(q.spn, None);
        let q = parse_qspn("+QSPN: \"004F0032\",\"004F0032\",\"\",1,\"23410\"").unwrap();
        assert_eq!(q.name(), Some("O2"));
        let q = parse_qspn("+QSPN: \"4F3\",\"\",\"\",1,\"23410\"").unwrap();
        assert_eq!((q.name(), q.dropped.len()), (None, 1));
        assert!(parse_qspn("+QSPN: \"X\"").is_err());
    }

    #[test]
    fn qcainfo_lte_pcc_lte_and_nr_scc() {
        // RM520N-GL on TIM Italy: LTE B1 PCC, LTE B3 SCC, NR n78 SCC (short form).
        let q = parse_qcainfo(
            "+QCAINFO: \"PCC\",275,75,\"LTE BAND 1\",1,280,-99,-14,-67,-4\n+QCAINFO: \"SCC\",1350,100,\"LTE BAND 3\",1,240,-95,-18,-68,-10,0,-,-\n+QCAINFO: \"SCC\",648768,10,\"NR5G BAND 78\",920\n",
        )
        .unwrap();
        let p = q.pcc.clone().unwrap();
        assert_eq!(
            (p.arfcn, p.band.as_deref(), p.pci),
            (Some(275), Some("B1"), Some(280))
        );
        assert_eq!(p.bw_mhz, Some(15.0));
        assert_eq!(
            (p.rsrp_dbm, p.rsrq_db, p.rssi_dbm, p.sinr_db),
            (Some(-99.0), Some(-14.0), Some(-67.0), Some(-4.0))
        );
        assert_eq!(q.scc.len(), 2);
        assert_eq!(q.scc[0].rsrp_dbm, Some(-95.0));
        assert_eq!(
            (q.scc[1].pci, q.scc[1].band.as_deref()),
            (Some(920), Some("n78"))
        );
        assert_eq!(q.tech(), Some(Tech::Nr5gNsa));
    }

    #[test]
    fn qcainfo_nr_sa_short_and_long_forms() {
        let q = parse_qcainfo("+QCAINFO: \"PCC\",721824,6,\"NR5G BAND 79\",347").unwrap();
        assert_eq!(q.tech(), Some(Tech::Nr5gSa));
        let p = q.pcc.unwrap();
        assert_eq!(
            (p.arfcn, p.band.as_deref(), p.pci),
            (Some(721824), Some("n79"), Some(347))
        );
        assert_eq!(p.rsrp_dbm, None);
        let q = parse_qcainfo(
            "+QCAINFO: \"PCC\",501390,12,\"NR5G BAND 41\",153,-79,-11,2582\n+QCAINFO: \"SCC\",393850,3,\"NR5G BAND 25\",1,696,0,-,-,0,0,-32768\n+QCAINFO: \"SCC\",521310,11,\"NR5G BAND 41\",1,153,0,-,-,-76,-11,427\n",
        )
        .unwrap();
        let p = q.pcc.unwrap();
        assert_eq!(
            (p.rsrp_dbm, p.rsrq_db, p.nr_snr_raw),
            (Some(-79.0), Some(-11.0), Some(2582))
        );
        assert_eq!(p.sinr_db, None);
        // RSRP 0 on a configured, idle carrier is no measurement; -32768 is a sentinel.
        assert_eq!(
            (q.scc[0].pci, q.scc[0].rsrp_dbm, q.scc[0].nr_snr_raw),
            (Some(696), None, None)
        );
        assert_eq!((q.scc[1].state, q.scc[1].rsrp_dbm), (Some(1), Some(-76.0)));
    }

    #[test]
    fn qcainfo_unknown_layouts_give_no_numbers() {
        let q = parse_qcainfo("+QCAINFO: \"PCC\",275,75,\"LTE BAND 1\",1,280,-99").unwrap();
        let p = q.pcc.unwrap();
        assert_eq!((p.pci, p.rsrp_dbm), (None, None));
        assert!(p.unparsed.is_some());
        assert!(parse_qcainfo("+QCAINFO: 1,2").is_err());
        assert!(parse_qcainfo("+CSQ: 1,2").is_err());
    }
}

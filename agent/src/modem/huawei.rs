//! Pure parser for Huawei's `^HCSQ` signal report: `^HCSQ: <sysmode>[,<value>...]`.
//!
//! Scales as ModemManager decodes them (`src/plugins/huawei/mm-broadband-modem-huawei.c`):
//! RSSI and RSCP −121 + n (0..96), RSRP −141 + n (0..97), SINR −20.2 + n/5 (0..251), RSRQ
//! −20 + n/2 (0..34), Ec/Io −32.5 + n/2 (0..65); 255 and any index out of range are unknown.
//!
//! | sysmode | values |
//! |---|---|
//! | `NOSERVICE` | none: no service |
//! | `GSM` | rssi |
//! | `WCDMA`, `TD-SCDMA` | rssi, rscp, ecio |
//! | `LTE` | rssi, rsrp, sinr, rsrq |
//!
//! The sysmode may be quoted or not, with or without a space after the colon. CDMA/EVDO
//! sysmodes have no place in our technologies and are reported with no tech.
//!
//! Also the system-information replies ([`parse_sysinfo`]), which carry no signal values:
//!
//! - `^SYSINFOEX: <srv_status>,<srv_domain>,<roam_status>,<sim_state>,<lock_state>,<sysmode>,
//!   <sysmode_name>,<submode>,<submode_name>`; sysmode 0 no service, 1 GSM, 2 CDMA, 3 WCDMA,
//!   4 TD-SCDMA, 5 WiMAX, 6 LTE (ModemManager `huawei_sysinfoex_mode_to_act`).
//! - `^SYSINFO: <srv_status>,<srv_domain>,<roam_status>,<sys_mode>,<sim_state>[,<lock_state>,
//!   <sys_submode>]`; sys_mode 0 no service, 2 CDMA, 3 GSM/GPRS, 4 HDR, 5 WCDMA, 7 GSM/WCDMA,
//!   8 CDMA/HDR, 15 TD-SCDMA; submode 1..3 GSM/GPRS/EDGE, 4..7, 9, 17, 18 WCDMA/HSPA family,
//!   8 TD-SCDMA (ModemManager `huawei_sysinfo_mode_to_act`, `..._submode_to_act`). The submode
//!   is the seventh field only: in a six-field reply the last field is the lock state.
//!
//! `<srv_status>` 0 means no service. `<srv_domain>` (CS/PS) and `<srv_status>` are not the
//! 3GPP data registration `<stat>`, so they never decide `reg` (DESIGN.md: only
//! `+CGREG`/`+CEREG`/`+C5GREG`); they are shown in the details.

use coverage_shared::wire::Tech;
use serde::Serialize;

use super::fields::{Field, ParseError, find_body, split_fields};
use super::observe::{Observation, RANK_CESQ, RANK_SERVING, V};

/// A decoded `^HCSQ` line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hcsq {
    /// The sysmode as printed, upper-cased (`LTE`, `WCDMA`, `GSM`, `NOSERVICE`, ...).
    pub sysmode: String,
    /// RSSI, dBm.
    pub rssi_dbm: Option<f64>,
    /// LTE RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// LTE SINR, dB.
    pub sinr_db: Option<f64>,
    /// LTE RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// UMTS RSCP, dBm.
    pub rscp_dbm: Option<f64>,
    /// UMTS Ec/Io, dB.
    pub ecio_db: Option<f64>,
}

impl Hcsq {
    /// True for `NOSERVICE`.
    pub fn no_service(&self) -> bool {
        self.sysmode == "NOSERVICE"
    }

    /// Our technology (`none` for `NOSERVICE`, `None` for sysmodes we cannot represent).
    pub fn tech(&self) -> Option<Tech> {
        match self.sysmode.as_str() {
            "NOSERVICE" => Some(Tech::None),
            "GSM" => Some(Tech::Gsm),
            "WCDMA" | "TD-SCDMA" => Some(Tech::Umts),
            "LTE" => Some(Tech::Lte),
            _ => None,
        }
    }
}

fn scaled(f: Option<&Field<'_>>, max: i64, base: f64, step: f64) -> Option<f64> {
    let n = f.and_then(Field::int)?;
    (0..=max)
        .contains(&n)
        .then(|| super::fields::round2(base + step * n as f64))
}

/// Parses the first `^HCSQ:` line of a reply.
pub fn parse_hcsq(reply: &str) -> Result<Hcsq, ParseError> {
    let body = find_body(reply, "^HCSQ").ok_or(ParseError::Missing { prefix: "^HCSQ" })?;
    let f = split_fields(body);
    let sysmode = f
        .first()
        .map(|f| f.text.to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ParseError::malformed("^HCSQ", body, "no <sysmode>"))?;
    let g = |k: usize| f.get(k);
    let mut out = Hcsq {
        sysmode,
        ..Hcsq::default()
    };
    match out.sysmode.as_str() {
        "GSM" => out.rssi_dbm = scaled(g(1), 96, -121.0, 1.0),
        "WCDMA" | "TD-SCDMA" => {
            out.rssi_dbm = scaled(g(1), 96, -121.0, 1.0);
            out.rscp_dbm = scaled(g(2), 96, -121.0, 1.0);
            out.ecio_db = scaled(g(3), 65, -32.5, 0.5);
        }
        "LTE" => {
            out.rssi_dbm = scaled(g(1), 96, -121.0, 1.0);
            out.rsrp_dbm = scaled(g(2), 97, -141.0, 1.0);
            out.sinr_db = scaled(g(3), 251, -20.2, 0.2);
            out.rsrq_db = scaled(g(4), 34, -20.0, 0.5);
        }
        _ => {}
    }
    Ok(out)
}

/// A decoded `^SYSINFO` or `^SYSINFOEX` line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sysinfo {
    /// `^SYSINFOEX` (true) or `^SYSINFO`.
    pub extended: bool,
    /// `<srv_status>`: 0 no service, 1 restricted, 2 valid, 3 restricted regional, 4 sleep.
    pub srv_status: Option<i64>,
    /// `<srv_domain>`: 0 none, 1 CS, 2 PS, 3 CS+PS, 4 searching.
    pub srv_domain: Option<i64>,
    /// `<roam_status>`: 0 not roaming, 1 roaming.
    pub roam_status: Option<i64>,
    /// `<sim_state>`: 1 valid, 255 absent, other values invalid or locked.
    pub sim_state: Option<i64>,
    /// `<lock_state>` (often empty).
    pub lock_state: Option<i64>,
    /// `<sysmode>` / `<sys_mode>`.
    pub sysmode: Option<i64>,
    /// `<sysmode_name>` (`^SYSINFOEX` only).
    pub sysmode_name: Option<String>,
    /// `<submode>` / `<sys_submode>`.
    pub submode: Option<i64>,
    /// `<submode_name>` (`^SYSINFOEX` only).
    pub submode_name: Option<String>,
}

impl Sysinfo {
    /// The reply's prefix, for notes.
    pub fn prefix(&self) -> &'static str {
        if self.extended {
            "^SYSINFOEX"
        } else {
            "^SYSINFO"
        }
    }

    /// True when the modem says it has no service (`<srv_status>` 0 or sysmode 0).
    pub fn no_service(&self) -> bool {
        self.srv_status == Some(0) || self.sysmode == Some(0)
    }

    /// Our technology; `None` when the modes cannot be represented or disagree.
    pub fn tech(&self) -> Option<Tech> {
        if self.no_service() {
            return Some(Tech::None);
        }
        if self.extended {
            return match self.sysmode? {
                1 => Some(Tech::Gsm),
                3 | 4 => Some(Tech::Umts),
                6 => Some(Tech::Lte),
                _ => None,
            };
        }
        let by_mode = match self.sysmode? {
            3 => Some(Tech::Gsm),
            5 | 15 => Some(Tech::Umts),
            _ => None,
        };
        let by_submode = self.submode.and_then(|s| match s {
            1..=3 => Some(Tech::Gsm),
            4..=9 | 17 | 18 => Some(Tech::Umts),
            _ => None,
        });
        match (by_mode, by_submode) {
            (Some(m), Some(s)) if m != s => None,
            (m, s) => s.or(m),
        }
    }
}

/// Parses the first `^SYSINFOEX:` line of a reply, else the first `^SYSINFO:` line.
pub fn parse_sysinfo(reply: &str) -> Result<Sysinfo, ParseError> {
    if let Some(body) = find_body(reply, "^SYSINFOEX") {
        let f = split_fields(body);
        if f.len() < 6 || f[0].int().is_none() {
            return Err(ParseError::malformed(
                "^SYSINFOEX",
                body,
                "expected <srv_status>,<srv_domain>,<roam_status>,<sim_state>,<lock_state>,<sysmode>,...",
            ));
        }
        let int = |k: usize| f.get(k).and_then(Field::int);
        let text = |k: usize| f.get(k).and_then(Field::opt_str).map(str::to_string);
        return Ok(Sysinfo {
            extended: true,
            srv_status: int(0),
            srv_domain: int(1),
            roam_status: int(2),
            sim_state: int(3),
            lock_state: int(4),
            sysmode: int(5),
            sysmode_name: text(6),
            submode: int(7),
            submode_name: text(8),
        });
    }
    let body = find_body(reply, "^SYSINFO").ok_or(ParseError::Missing { prefix: "^SYSINFO" })?;
    let f = split_fields(body);
    if f.len() < 5 || f[0].int().is_none() {
        return Err(ParseError::malformed(
            "^SYSINFO",
            body,
            "expected <srv_status>,<srv_domain>,<roam_status>,<sys_mode>,<sim_state>[,<lock_state>,<sys_submode>]",
        ));
    }
    let int = |k: usize| f.get(k).and_then(Field::int);
    Ok(Sysinfo {
        extended: false,
        srv_status: int(0),
        srv_domain: int(1),
        roam_status: int(2),
        sysmode: int(3),
        sim_state: int(4),
        lock_state: int(5),
        submode: int(6),
        ..Sysinfo::default()
    })
}

/// How huawei replies add to an [`Observation`] (the ranked merge itself is in `observe.rs`).
impl Observation {
    /// Adds a Huawei `^HCSQ` reply.
    pub fn add_hcsq(&mut self, h: &Hcsq) {
        let r = RANK_SERVING;
        self.tech(h.tech(), r);
        self.service(h.no_service(), r);
        self.value(V::Rssi, h.rssi_dbm, r);
        self.value(V::Rsrp, h.rsrp_dbm, r);
        self.value(V::Sinr, h.sinr_db, r);
        self.value(V::Rsrq, h.rsrq_db, r);
        self.value(V::Rscp, h.rscp_dbm, r);
        self.value(V::Ecno, h.ecio_db, r);
        if h.tech().is_none() {
            self.note(format!(
                "^HCSQ sysmode {} is not a technology we report",
                h.sysmode
            ));
        }
        self.detail("hcsq", h);
    }

    /// Adds a Huawei `^SYSINFO` or `^SYSINFOEX` reply: technology and service only (ranked
    /// like `+CESQ`; `^HCSQ` is the serving-cell report). Never `reg`.
    pub fn add_sysinfo(&mut self, s: &Sysinfo) {
        let r = RANK_CESQ;
        let p = s.prefix();
        self.service(s.no_service(), r);
        self.tech(s.tech(), r);
        if s.tech().is_none() {
            self.note(format!(
                "{p} sysmode {:?} / submode {:?} is not a technology we report",
                s.sysmode, s.submode
            ));
        }
        self.note(format!(
            "{p} srv_status/srv_domain are not the 3GPP data registration: shown in details, \
             they do not decide reg (+CGREG/+CEREG/+C5GREG do)"
        ));
        let key = if s.extended { "sysinfoex" } else { "sysinfo" };
        self.detail(key, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::modem::fixture;

    #[test]
    fn lte_quoted_no_space() {
        let h = parse_hcsq(&fixture("huawei-hcsq-lte-quoted-mm.txt")).unwrap();
        assert_eq!(h.tech(), Some(Tech::Lte));
        assert_eq!(h.rssi_dbm, Some(-91.0));
        assert_eq!(h.rsrp_dbm, Some(-122.0));
        assert_eq!(h.sinr_db, Some(-7.0));
        assert_eq!(h.rsrq_db, Some(-20.0));
    }

    #[test]
    fn wcdma() {
        let h = parse_hcsq(&fixture("huawei-hcsq-wcdma-mm.txt")).unwrap();
        assert_eq!(h.tech(), Some(Tech::Umts));
        assert_eq!(
            (h.rssi_dbm, h.rscp_dbm, h.ecio_db),
            (Some(-91.0), Some(-91.0), Some(-3.5))
        );
    }

    #[test]
    fn noservice_and_unquoted() {
        let h = parse_hcsq(&fixture("huawei-hcsq-noservice-quoted-mm.txt")).unwrap();
        assert!(h.no_service());
        assert_eq!(h.tech(), Some(Tech::None));
        let g = parse_hcsq("^HCSQ: GSM,255").unwrap();
        assert_eq!((g.tech(), g.rssi_dbm), (Some(Tech::Gsm), None));
        assert!(parse_hcsq("^HCSQ:").is_err());
    }

    #[test]
    fn sysinfoex_forms() {
        // ModemManager sysinfoex_tests[0..2].
        for l in [
            "^SYSINFOEX:2,4,5,1,,3,WCDMA,41,HSPA+",
            "^SYSINFOEX:2,4,5,1,,3,\"WCDMA\",41,\"HSPA+\"",
            "^SYSINFOEX: 2,4,5,1,0,3,\"WCDMA\",41,\"HSPA+\"",
        ] {
            let s = parse_sysinfo(l).unwrap();
            assert!(s.extended);
            assert_eq!(
                (s.srv_status, s.srv_domain, s.roam_status, s.sim_state),
                (Some(2), Some(4), Some(5), Some(1))
            );
            assert_eq!((s.sysmode, s.submode), (Some(3), Some(41)));
            assert_eq!(s.submode_name.as_deref(), Some("HSPA+"));
            assert_eq!(s.tech(), Some(Tech::Umts));
            assert!(!s.no_service());
        }
        let s = parse_sysinfo("^SYSINFOEX:2,3,0,1,,6,\"LTE\",101,\"LTE\"").unwrap();
        assert_eq!(s.tech(), Some(Tech::Lte));
        let s = parse_sysinfo("^SYSINFOEX:0,0,0,1,,0,\"\",0,\"\"").unwrap();
        assert!(s.no_service());
        assert_eq!(s.tech(), Some(Tech::None));
        assert_eq!(
            parse_sysinfo("^SYSINFOEX:2,3,0,1,,2,\"CDMA\",21,\"IS95A\"")
                .unwrap()
                .tech(),
            None
        );
        assert!(parse_sysinfo("^SYSINFOEX:2,3").is_err());
    }

    #[test]
    fn sysinfo_submode_is_the_seventh_field_only() {
        // ModemManager sysinfo_tests: a six-field reply ends with the lock state.
        let s = parse_sysinfo("^SYSINFO:2,4,5,3,1").unwrap();
        assert_eq!(
            (s.sysmode, s.submode, s.tech()),
            (Some(3), None, Some(Tech::Gsm))
        );
        let s = parse_sysinfo("^SYSINFO:2,4,5,3,1,6").unwrap();
        assert_eq!(
            (s.lock_state, s.submode, s.tech()),
            (Some(6), None, Some(Tech::Gsm))
        );
        // GSM mode with an HSUPA submode disagrees: no technology rather than a guess.
        assert_eq!(parse_sysinfo("^SYSINFO:2,4,5,3,1,,6").unwrap().tech(), None);
        // A Huawei dongle reader's example: WCDMA, HSDPA.
        let s = parse_sysinfo("^SYSINFO:2,3,0,5,1,,4").unwrap();
        assert_eq!((s.submode, s.tech()), (Some(4), Some(Tech::Umts)));
        assert_eq!(parse_sysinfo("^SYSINFO:2,3,0,7,1").unwrap().tech(), None);
        assert!(parse_sysinfo("^SYSINFO:0,0,0,0,1").unwrap().no_service());
        assert!(parse_sysinfo("^SYSINFO:2,3").is_err());
    }
}

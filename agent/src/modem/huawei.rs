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

use coverage_shared::wire::Tech;
use serde::Serialize;

use super::fields::{Field, ParseError, find_body, split_fields};

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
}

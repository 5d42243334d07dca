//! The pure readers of ModemManager's output: `mmcli -J` documents (and the `-K` key-value and
//! human forms, turned into the same JSON tree) into [`MmcliStatus`], [`MmcliSignal`],
//! [`MmcliSim`] and [`MmcliLocation`], and those into an [`Observation`] (`apply_*`).
//!
//! No I/O (the rule of `modem/mod.rs`: drivers do I/O, parsers are pure): the driver in
//! `mmcli/mod.rs` runs `mmcli` and hands the text here; `coverage-agent decode` and the
//! capture tests call the same functions on pasted or captured output. Missing values are the
//! string `"--"`; numbers are strings, sometimes with a decimal comma.

use coverage_shared::wire::{Plmn, Reg, Tech};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::modem::fields::float;
use crate::modem::gpp;
use crate::modem::observe::{Observation, RANK_CESQ, RANK_SERVING, V};

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// A string at `path`, `None` for a missing key, `"--"` or an empty string.
fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let s = match at(v, path)? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s != "--").then_some(s)
}

/// A number at `path` (string or JSON number, decimal comma accepted).
fn num_at(v: &Value, path: &[&str]) -> Option<f64> {
    str_at(v, path).and_then(|s| float(&s))
}

fn list_at(v: &Value, path: &[&str]) -> Vec<String> {
    match at(v, path) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "--")
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "--")
            .collect(),
        _ => Vec::new(),
    }
}

/// What `mmcli -m N -J` says about a modem.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MmcliStatus {
    /// D-Bus object path (`/org/freedesktop/ModemManager1/Modem/3`).
    pub dbus_path: Option<String>,
    /// Modem state (`connected`, `registered`, `searching`, `disabled`, ...).
    pub state: Option<String>,
    /// Access technologies (`lte`, `5gnr`, `edge`, ...).
    pub access_tech: Vec<String>,
    /// Signal quality, percent.
    pub signal_quality_pct: Option<u32>,
    /// Whether the signal quality is recent.
    pub recent: Option<bool>,
    /// 3GPP registration state as ModemManager names it.
    pub registration: Option<String>,
    /// Serving operator code (MCCMNC).
    pub operator_code: Option<String>,
    /// Serving operator name.
    pub operator_name: Option<String>,
    /// IMEI.
    pub imei: Option<String>,
    /// Equipment identifier (IMEI for 3GPP modems): identifies the modem across restarts.
    pub equipment_id: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Firmware revision.
    pub revision: Option<String>,
    /// SIM object path.
    pub sim_path: Option<String>,
    /// Lock the modem waits for (`sim-pin`, ...).
    pub unlock_required: Option<String>,
    /// Primary port.
    pub primary_port: Option<String>,
}

/// Reads a `mmcli -m N -J` document (`None` when it has no `modem` object).
pub fn parse_modem_json(v: &Value) -> Option<MmcliStatus> {
    let m = v.get("modem")?;
    if m.get("generic").is_none() && m.get("3gpp").is_none() {
        return None;
    }
    let g = |k: &[&str]| str_at(m, &[&["generic"], k].concat());
    let p = |k: &str| str_at(m, &["3gpp", k]);
    Some(MmcliStatus {
        dbus_path: str_at(m, &["dbus-path"]),
        state: g(&["state"]),
        access_tech: list_at(m, &["generic", "access-technologies"]),
        signal_quality_pct: num_at(m, &["generic", "signal-quality", "value"])
            .filter(|v| (0.0..=100.0).contains(v))
            .map(|v| v as u32),
        recent: g(&["signal-quality", "recent"]).map(|r| r == "yes" || r == "true"),
        registration: p("registration-state"),
        operator_code: p("operator-code"),
        operator_name: p("operator-name"),
        imei: p("imei"),
        equipment_id: g(&["equipment-identifier"]),
        model: g(&["model"]),
        manufacturer: g(&["manufacturer"]),
        revision: g(&["revision"]),
        sim_path: g(&["sim"]).filter(|s| s != "/"),
        unlock_required: g(&["unlock-required"]),
        primary_port: g(&["primary-port"]),
    })
}

/// What `mmcli -m N --signal-get -J` says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MmcliSignal {
    /// Polling period, seconds; 0 means extended signal polling is off.
    pub refresh_rate_s: Option<f64>,
    /// GSM RSSI, dBm.
    pub gsm_rssi: Option<f64>,
    /// UMTS RSSI, dBm.
    pub umts_rssi: Option<f64>,
    /// UMTS RSCP, dBm.
    pub umts_rscp: Option<f64>,
    /// UMTS Ec/Io, dB.
    pub umts_ecio: Option<f64>,
    /// LTE RSSI, dBm.
    pub lte_rssi: Option<f64>,
    /// LTE RSRP, dBm.
    pub lte_rsrp: Option<f64>,
    /// LTE RSRQ, dB.
    pub lte_rsrq: Option<f64>,
    /// LTE S/N, dB.
    pub lte_snr: Option<f64>,
    /// NR RSRP, dBm.
    pub nr_rsrp: Option<f64>,
    /// NR RSRQ, dB.
    pub nr_rsrq: Option<f64>,
    /// NR S/N, dB.
    pub nr_snr: Option<f64>,
    /// Every value was `--`.
    pub all_unknown: bool,
}

/// Reads a `mmcli -m N --signal-get -J` document (`None` without `modem.signal`).
pub fn parse_signal_json(v: &Value) -> Option<MmcliSignal> {
    let s = at(v, &["modem", "signal"])?;
    let n = |a: &str, b: &str| num_at(s, &[a, b]);
    let mut out = MmcliSignal {
        refresh_rate_s: num_at(s, &["refresh", "rate"]),
        gsm_rssi: n("gsm", "rssi"),
        umts_rssi: n("umts", "rssi"),
        umts_rscp: n("umts", "rscp"),
        umts_ecio: n("umts", "ecio"),
        lte_rssi: n("lte", "rssi"),
        lte_rsrp: n("lte", "rsrp"),
        lte_rsrq: n("lte", "rsrq"),
        lte_snr: n("lte", "snr"),
        nr_rsrp: n("5g", "rsrp"),
        nr_rsrq: n("5g", "rsrq"),
        nr_snr: n("5g", "snr"),
        all_unknown: false,
    };
    out.all_unknown = [
        out.gsm_rssi,
        out.umts_rssi,
        out.umts_rscp,
        out.umts_ecio,
        out.lte_rssi,
        out.lte_rsrp,
        out.lte_rsrq,
        out.lte_snr,
        out.nr_rsrp,
        out.nr_rsrq,
        out.nr_snr,
    ]
    .iter()
    .all(Option::is_none);
    Some(out)
}

/// What `mmcli -i N -J` says about a SIM.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MmcliSim {
    /// D-Bus object path.
    pub dbus_path: Option<String>,
    /// IMSI.
    pub imsi: Option<String>,
    /// ICCID.
    pub iccid: Option<String>,
    /// Home operator code (MCCMNC; ModemManager reads the MNC length from the SIM).
    pub operator_code: Option<String>,
    /// Home operator name (service provider name).
    pub operator_name: Option<String>,
    /// Whether the SIM is the active one (multi-slot modems).
    pub active: Option<bool>,
}

/// Reads a `mmcli -i N -J` document.
pub fn parse_sim_json(v: &Value) -> Option<MmcliSim> {
    let s = v.get("sim")?;
    let p = |k: &str| str_at(s, &["properties", k]).or_else(|| str_at(s, &[k]));
    Some(MmcliSim {
        dbus_path: str_at(s, &["dbus-path"]),
        imsi: p("imsi"),
        iccid: p("iccid"),
        operator_code: p("operator-code"),
        operator_name: p("operator-name"),
        active: p("active").map(|a| a == "yes" || a == "true"),
    })
}

/// 3GPP location from `mmcli -m N --location-get -J`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MmcliLocation {
    /// MCC.
    pub mcc: Option<String>,
    /// MNC.
    pub mnc: Option<String>,
    /// LAC, hex as printed.
    pub lac: Option<String>,
    /// TAC, hex as printed.
    pub tac: Option<String>,
    /// Cell id, hex as printed.
    pub cid: Option<String>,
}

/// Reads the 3GPP part of a `--location-get` document.
pub fn parse_location_json(v: &Value) -> Option<MmcliLocation> {
    let l = at(v, &["modem", "location", "3gpp"])?;
    Some(MmcliLocation {
        mcc: str_at(l, &["mcc"]),
        mnc: str_at(l, &["mnc"]),
        lac: str_at(l, &["lac"]),
        tac: str_at(l, &["tac"]),
        cid: str_at(l, &["cid"]),
    })
}

/// The modem paths of `mmcli -L -J`.
pub fn parse_modem_list(v: &Value) -> Vec<String> {
    list_at(v, &["modem-list"])
}

/// Our technology for ModemManager's access technologies: `5gnr` with `lte` is EN-DC,
/// `5gnr` alone is SA. `None` for an empty list or technologies we cannot represent (CDMA).
pub fn tech_from_access(techs: &[String]) -> Option<Tech> {
    let has = |names: &[&str]| techs.iter().any(|t| names.contains(&t.as_str()));
    let lte = has(&["lte", "lte-cat-m", "lte-nb-iot"]);
    Some(if has(&["5gnr"]) {
        if lte { Tech::Nr5gNsa } else { Tech::Nr5gSa }
    } else if lte {
        Tech::Lte
    } else if has(&["umts", "hsdpa", "hsupa", "hspa", "hspa-plus"]) {
        Tech::Umts
    } else if has(&["gsm", "gsm-compact", "gprs", "edge"]) {
        Tech::Gsm
    } else {
        return None;
    })
}

/// Our registration for ModemManager's `MMModem3gppRegistrationState` names.
pub fn reg_from_mm(state: &str) -> Option<Reg> {
    Some(match state {
        "home" | "home-csfb-not-preferred" => Reg::Home,
        "roaming" | "roaming-csfb-not-preferred" => Reg::Roaming,
        "searching" => Reg::Searching,
        "denied" => Reg::Denied,
        "idle" => Reg::None,
        "unknown" => Reg::Unknown,
        "home-sms-only" | "roaming-sms-only" | "emergency-only" | "attached-rlos" => Reg::Limited,
        _ => return None,
    })
}

/// Adds a modem document to an observation.
pub fn apply_status(obs: &mut Observation, s: &MmcliStatus) {
    let reg = s.registration.as_deref().and_then(reg_from_mm);
    obs.mm_registration(reg);
    let tech = tech_from_access(&s.access_tech);
    let registered = matches!(reg, Some(Reg::Home | Reg::Roaming | Reg::Limited));
    if tech.is_some() {
        obs.tech(tech, RANK_SERVING);
    } else if !registered
        && (matches!(reg, Some(Reg::Searching | Reg::None))
            || s.state.as_deref() == Some("searching"))
    {
        obs.tech(Some(Tech::None), RANK_SERVING);
        obs.service(true, RANK_SERVING);
    }
    if let Some(code) = &s.operator_code
        && let Some((mcc, mnc)) = gpp::split_numeric_plmn(code)
    {
        obs.serving(Some(&mcc), Some(&mnc), RANK_SERVING);
    }
    obs.serving_name(s.operator_name.as_deref());
    if s.imei.is_some() {
        obs.imei = s.imei.clone();
    }
    if s.model.is_some() {
        obs.model = s.model.clone();
    }
    if s.manufacturer.is_some() {
        obs.manufacturer = s.manufacturer.clone();
    }
    if let Some(state) = s.state.as_deref()
        && matches!(
            state,
            "failed" | "disabled" | "disabling" | "locked" | "initializing"
        )
    {
        obs.note(format!("modem state {state}: not measuring"));
    }
    obs.detail("mmcli", s);
}

/// The RSSI of the most advanced 3GPP group that carries any value: `rssi_dbm` belongs to
/// the serving technology, and ModemManager fills older groups too (a GSM RSSI beside LTE
/// RSRP/SNR has been seen), so a GSM RSSI must not stand in for an LTE one.
fn signal_rssi(s: &MmcliSignal) -> Option<f64> {
    let lte = [s.lte_rssi, s.lte_rsrp, s.lte_rsrq, s.lte_snr];
    let umts = [s.umts_rssi, s.umts_rscp, s.umts_ecio];
    if lte.iter().any(Option::is_some) {
        s.lte_rssi
    } else if umts.iter().any(Option::is_some) {
        s.umts_rssi
    } else {
        s.gsm_rssi
    }
}

/// Adds a signal document to an observation.
pub fn apply_signal(obs: &mut Observation, s: &MmcliSignal) {
    let r = RANK_SERVING;
    obs.value(V::Rssi, signal_rssi(s), r);
    obs.value(V::Rscp, s.umts_rscp, r);
    obs.value(V::Ecno, s.umts_ecio, r);
    obs.value(V::Rsrp, s.lte_rsrp, r);
    obs.value(V::Rsrq, s.lte_rsrq, r);
    obs.value(V::Sinr, s.lte_snr, r);
    obs.value(V::SsRsrp, s.nr_rsrp, r);
    obs.value(V::SsRsrq, s.nr_rsrq, r);
    obs.value(V::SsSinr, s.nr_snr, r);
    // Which groups carry values hints at the technology when no modem document says it.
    let nr = s.nr_rsrp.is_some() || s.nr_snr.is_some();
    let lte = s.lte_rsrp.is_some() || s.lte_rsrq.is_some();
    let tech = if nr && lte {
        Some(Tech::Nr5gNsa)
    } else if nr {
        Some(Tech::Nr5gSa)
    } else if lte {
        Some(Tech::Lte)
    } else if s.umts_rscp.is_some() || s.umts_ecio.is_some() {
        Some(Tech::Umts)
    } else if s.gsm_rssi.is_some() {
        Some(Tech::Gsm)
    } else {
        None
    };
    obs.tech(tech, RANK_CESQ);
    if s.refresh_rate_s == Some(0.0) {
        obs.note("extended signal polling is off (refresh rate 0): run mmcli --signal-setup=SECS");
    }
    obs.detail("mmcli_signal", s);
}

/// Adds a SIM document to an observation: the home network and identifiers.
pub fn apply_sim(obs: &mut Observation, s: &MmcliSim) {
    if let Some((mcc, mnc)) = s.operator_code.as_deref().and_then(gpp::split_numeric_plmn) {
        obs.home(Plmn {
            mcc,
            mnc,
            name: s.operator_name.clone(),
        });
    } else if let Some(imsi) = &s.imsi {
        obs.imsi(imsi);
    }
    if s.iccid.is_some() {
        obs.iccid = s.iccid.clone();
    }
    obs.detail("mmcli_sim", s);
}

/// Adds a 3GPP location document to an observation.
pub fn apply_location(obs: &mut Observation, l: &MmcliLocation) {
    obs.serving(l.mcc.as_deref(), l.mnc.as_deref(), RANK_CESQ);
    let id = |s: &Option<String>| {
        s.as_deref()
            .and_then(crate::modem::fields::hex)
            .filter(|v| *v != 0)
            .map(crate::modem::fields::hex_string)
    };
    obs.cell(
        id(&l.lac),
        id(&l.tac),
        id(&l.cid),
        None,
        None,
        None,
        RANK_SERVING,
    );
    obs.detail("mmcli_location", l);
}

/// Turns `mmcli -K` key-value output into the JSON tree `-J` would print: `a.b.c : v` becomes
/// `{"a":{"b":{"c":"v"}}}` and `a.b.value[1] : v` an element of the array `a.b`.
pub fn keyvalue_document(text: &str) -> Option<Value> {
    let mut root = Value::Object(Map::new());
    let mut any = false;
    for line in text.lines() {
        let Some((k, v)) = line.split_once(" : ").or_else(|| line.split_once(':')) else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || k.contains(' ') || !k.contains('.') {
            continue;
        }
        let parts: Vec<&str> = k.split('.').collect();
        let Some((last, parents)) = parts.split_last() else {
            continue;
        };
        if *last == "length" {
            continue;
        }
        any = true;
        let v = Value::String(v.trim().to_string());
        if last.starts_with("value[") && last.ends_with(']') {
            insert_path(&mut root, parents, v, true);
        } else {
            insert_path(&mut root, &parts, v, false);
        }
    }
    any.then_some(root)
}

/// Turns mmcli's human-readable output (`  Status |  state: connected`, section names on the
/// left of the bar) into the JSON tree `-J` would print, for the fields this module reads.
pub fn human_document(text: &str) -> Option<Value> {
    let mut root = Value::Object(Map::new());
    let mut section = String::new();
    let mut any = false;
    for line in text.lines() {
        let Some((left, right)) = line.split_once('|') else {
            continue;
        };
        let left = left.trim();
        if !left.is_empty() {
            section = left.to_ascii_lowercase();
        }
        let Some((name, value)) = right.split_once(": ") else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        let path: Vec<&str> = match (section.as_str(), name.as_str()) {
            ("general", "path") => vec!["modem", "dbus-path"],
            ("hardware", "manufacturer") => vec!["modem", "generic", "manufacturer"],
            ("hardware", "model") => vec!["modem", "generic", "model"],
            ("hardware", "firmware revision") => vec!["modem", "generic", "revision"],
            ("hardware", "equipment id") => vec!["modem", "generic", "equipment-identifier"],
            ("system", "primary port") => vec!["modem", "generic", "primary-port"],
            ("status", "state") => vec!["modem", "generic", "state"],
            ("status", "lock") => vec!["modem", "generic", "unlock-required"],
            ("status", "access tech") => vec!["modem", "generic", "access-technologies"],
            ("status", "signal quality") => {
                // "74% (recent)"
                let pct = value.split('%').next().unwrap_or("").trim().to_string();
                let recent = if value.contains("(recent)") {
                    "yes"
                } else {
                    "no"
                };
                insert_path(
                    &mut root,
                    &["modem", "generic", "signal-quality", "value"],
                    Value::String(pct),
                    false,
                );
                insert_path(
                    &mut root,
                    &["modem", "generic", "signal-quality", "recent"],
                    Value::String(recent.into()),
                    false,
                );
                any = true;
                continue;
            }
            ("3gpp", "imei") => vec!["modem", "3gpp", "imei"],
            ("3gpp", "operator id") => vec!["modem", "3gpp", "operator-code"],
            ("3gpp", "operator name") => vec!["modem", "3gpp", "operator-name"],
            ("3gpp", "registration") => vec!["modem", "3gpp", "registration-state"],
            ("sim", "primary sim path" | "path") => vec!["modem", "generic", "sim"],
            ("refresh", "rate") => vec!["modem", "signal", "refresh", "rate"],
            ("gsm" | "umts" | "lte" | "5g", k) => {
                let tech = match section.as_str() {
                    "gsm" => "gsm",
                    "umts" => "umts",
                    "lte" => "lte",
                    _ => "5g",
                };
                let key = if k == "s/n" {
                    "snr".to_string()
                } else {
                    k.to_string()
                };
                insert_path(
                    &mut root,
                    &["modem", "signal", tech, &key],
                    Value::String(value.to_string()),
                    false,
                );
                any = true;
                continue;
            }
            ("properties", "imsi") => vec!["sim", "properties", "imsi"],
            ("properties", "iccid") => vec!["sim", "properties", "iccid"],
            ("properties", "operator id") => vec!["sim", "properties", "operator-code"],
            ("properties", "operator name") => vec!["sim", "properties", "operator-name"],
            ("properties", "active") => vec!["sim", "properties", "active"],
            _ => continue,
        };
        let v = if path.last() == Some(&"access-technologies") {
            Value::Array(
                value
                    .split(',')
                    .map(|t| Value::String(t.trim().to_string()))
                    .collect(),
            )
        } else {
            Value::String(value.to_string())
        };
        insert_path(&mut root, &path, v, false);
        any = true;
    }
    any.then_some(root)
}

/// Sets (or, with `push`, appends to the array at) `path` in `node`.
fn insert_path(node: &mut Value, path: &[&str], v: Value, push: bool) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Value::Object(m) = node else {
        return;
    };
    if rest.is_empty() {
        if push {
            let entry = m
                .entry(first.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            if let Value::Array(a) = entry {
                a.push(v);
            }
        } else {
            m.insert(first.to_string(), v);
        }
        return;
    }
    let child = m
        .entry(first.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    insert_path(child, rest, v, push);
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::modem::fixture;

    #[test]
    fn huawei_connected_3g() {
        let v: Value =
            serde_json::from_str(&fixture("mmcli-m-json-huawei-e3131-connected-3g.json")).unwrap();
        let s = parse_modem_json(&v).unwrap();
        assert_eq!(s.state.as_deref(), Some("connected"));
        assert_eq!(s.access_tech, ["edge"]);
        assert_eq!((s.signal_quality_pct, s.recent), (Some(74), Some(true)));
        assert_eq!(s.registration.as_deref(), Some("home"));
        assert_eq!(s.operator_code, None);
        assert_eq!(s.imei.as_deref(), Some("862570024875048"));
        assert_eq!(s.primary_port.as_deref(), Some("ttyUSB2"));
        assert_eq!(tech_from_access(&s.access_tech), Some(Tech::Gsm));
        assert_eq!(reg_from_mm("home"), Some(Reg::Home));
    }

    #[test]
    fn quectel_searching() {
        let v: Value =
            serde_json::from_str(&fixture("mmcli-m-json-quectel-bg96-searching.json")).unwrap();
        let s = parse_modem_json(&v).unwrap();
        assert_eq!(s.state.as_deref(), Some("searching"));
        assert!(s.access_tech.is_empty());
        assert_eq!((s.signal_quality_pct, s.recent), (Some(0), Some(false)));
        let mut o = Observation::new();
        apply_status(&mut o, &s);
        let i = o.finish();
        assert!(i.no_service);
        assert_eq!(i.tech, Some(Tech::None));
        assert_eq!(i.reg, Some(Reg::Searching));
    }

    #[test]
    fn signal_unconfigured_and_decimal_comma() {
        let v: Value =
            serde_json::from_str(&fixture("mmcli-signal-get-json-unconfigured.json")).unwrap();
        let s = parse_signal_json(&v).unwrap();
        assert_eq!(s.refresh_rate_s, Some(0.0));
        assert!(s.all_unknown);
        let v: Value = serde_json::from_str(
            r#"{"modem":{"signal":{"lte":{"rsrp":"-95,5","rsrq":"-11,00","rssi":"--","snr":"4,4"},"refresh":{"rate":"30"}}}}"#,
        )
        .unwrap();
        let s = parse_signal_json(&v).unwrap();
        assert_eq!(
            (s.lte_rsrp, s.lte_rsrq, s.lte_snr),
            (Some(-95.5), Some(-11.0), Some(4.4))
        );
        assert!(!s.all_unknown);
    }

    #[test]
    fn rssi_comes_from_the_serving_group() {
        // tests/fixtures/modem-vendor/mmcli-signal-get-json-mixed-groups.json
        let v: Value = serde_json::from_str(
            r#"{"modem":{"signal":{"gsm":{"rssi":"-69.0"},"lte":{"rsrp":"-104.00","rssi":"--","snr":"2.00"}}}}"#,
        )
        .unwrap();
        let mut o = Observation::new();
        apply_signal(&mut o, &parse_signal_json(&v).unwrap());
        let i = o.finish();
        assert_eq!(i.values[V::Rssi as usize], None);
        assert_eq!(i.values[V::Rsrp as usize], Some(-104.0));
        let v: Value =
            serde_json::from_str(r#"{"modem":{"signal":{"gsm":{"rssi":"-71.0"}}}}"#).unwrap();
        let mut o = Observation::new();
        apply_signal(&mut o, &parse_signal_json(&v).unwrap());
        assert_eq!(o.finish().values[V::Rssi as usize], Some(-71.0));
    }

    #[test]
    fn keyvalue_output() {
        let v = keyvalue_document(
            "modem.generic.access-technologies.length : 1\nmodem.generic.access-technologies.value[1] : lte\nmodem.3gpp.registration-state : home\nmodem.generic.state : registered\n",
        )
        .unwrap();
        let s = parse_modem_json(&v).unwrap();
        assert_eq!(s.access_tech, ["lte"]);
        assert_eq!(s.registration.as_deref(), Some("home"));
    }

    #[test]
    fn human_output() {
        let modem = "  --------------------------------\n  General  |                   path: /org/freedesktop/ModemManager1/Modem/0\n  --------------------------------\n  Status   |                  state: connected\n           |            access tech: lte, 5gnr\n           |         signal quality: 80% (recent)\n  --------------------------------\n  3GPP     |                   imei: 862570024875048\n           |            operator id: 45204\n           |          operator name: Viettel\n           |           registration: home\n";
        let v = human_document(modem).unwrap();
        let s = parse_modem_json(&v).unwrap();
        assert_eq!(s.access_tech, ["lte", "5gnr"]);
        assert_eq!((s.signal_quality_pct, s.recent), (Some(80), Some(true)));
        assert_eq!(s.operator_code.as_deref(), Some("45204"));
        let signal = "  ------------------------\n  Refresh |   rate: 30 seconds\n  ------------------------\n  LTE     |   rssi: -75.00 dBm\n          |   rsrq: -11.00 dB\n          |   rsrp: -104.00 dBm\n          |    s/n: 4.40 dB\n";
        let s = parse_signal_json(&human_document(signal).unwrap()).unwrap();
        assert_eq!(s.refresh_rate_s, Some(30.0));
        assert_eq!((s.lte_rsrp, s.lte_snr), (Some(-104.0), Some(4.4)));
    }
}

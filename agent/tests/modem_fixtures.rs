//! Every captured modem reply in `tests/fixtures/modem/` (copied with its `INDEX.md` of
//! sources from the project's shared fixtures) decodes to what `expected.json` says; the AT
//! driver, fed the same captured bytes through a scripted serial seam, samples what the parsers
//! decode; and no input, random or truncated, makes the decoder panic.
//!
//! `expected.json` speaks the fixtures' own vocabulary (decimal ids, vendor names such as
//! `NR5G-SA`, raw fields like `bsic`). Each of its keys is checked where our output keeps it:
//! wire fields (`tech`, `reg`, values, `cell`, `operator`) strictly, in wire form (ids as hex,
//! NR values in the `ss_*` fields, bands as `B3`/`n41`); everything else in the `details` the
//! decoder reports per source.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use coverage_agent::modem::at::{AtModem, AtTransport, LineBuffer};
use coverage_agent::modem::{ModemError, Vendor, decode};
use coverage_shared::wire::{Reg, Tech};
use futures::future::BoxFuture;
use rand::{Rng, SeedableRng};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/modem"))
}

fn fixture(name: &str) -> String {
    let p = dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("fixtures directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n != "INDEX.md" && n != "expected.json")
        .collect();
    names.sort();
    names
}

const TOLERANCE: f64 = 0.051;

fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            (a.as_f64().unwrap_or(f64::NAN) - e.as_f64().unwrap_or(f64::NAN)).abs() < TOLERANCE
        }
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| same(a, e))
        }
        _ => actual == expected,
    }
}

/// Finds `key` with a value equal to `expected` anywhere under `v`.
fn found_in(v: &Value, key: &str, expected: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, x)| (k == key && same(x, expected)) || found_in(x, key, expected)),
        Value::Array(a) => a.iter().any(|x| found_in(x, key, expected)),
        _ => false,
    }
}

fn wire_tech(name: &str) -> &'static str {
    match name.to_ascii_uppercase().as_str() {
        "LTE" => "lte",
        "UMTS" | "WCDMA" => "umts",
        "GSM" => "gsm",
        "NR5G-SA" => "nr5g-sa",
        "NR5G-NSA" => "nr5g-nsa",
        _ => "?",
    }
}

fn hex_value(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| u64::from_str_radix(s, 16).ok())
}

fn expected_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => u64::from_str_radix(s, 16).ok(),
        _ => None,
    }
}

fn wire_band(expected: &Value, nr: bool) -> Option<String> {
    match expected {
        Value::Number(n) => n
            .as_u64()
            .map(|b| if nr { format!("n{b}") } else { format!("B{b}") }),
        Value::String(s) => {
            let digits: String = s
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if s.starts_with('n') || s.to_ascii_uppercase().starts_with("NR") {
                Some(format!("n{digits}"))
            } else {
                Some(format!("B{digits}"))
            }
        }
        _ => None,
    }
}

/// Checks one expected key against the decoded JSON `j`; `scope` is the nested object of the
/// expectation (`lte`, `nr5g_nsa`) or empty.
fn check(j: &Value, scope: &str, key: &str, expected: &Value, failures: &mut Vec<String>) {
    let tech = j["tech"].as_str().unwrap_or("");
    let nr = scope == "nr5g_nsa" || (scope.is_empty() && tech == "nr5g-sa");
    let mut fail = |what: String| {
        failures.push(format!(
            "{scope}{}{key}: {what}",
            if scope.is_empty() { "" } else { "." }
        ))
    };
    let cell = &j["cell"];
    let value_field = |k: &str| -> Option<&'static str> {
        Some(match (k, nr) {
            ("rssi_dbm" | "rxlev_dbm", _) => "rssi_dbm",
            ("rsrp_dbm", false) => "rsrp_dbm",
            ("rsrq_db", false) => "rsrq_db",
            ("sinr_db", false) => "sinr_db",
            ("rsrp_dbm", true) => "ss_rsrp_dbm",
            ("rsrq_db", true) => "ss_rsrq_db",
            ("sinr_db", true) | ("sinr_db_if_tenths", _) => "ss_sinr_db",
            ("rscp_dbm", _) => "rscp_dbm",
            ("ecno_db" | "ecio_db", _) => "ecno_db",
            _ => return None,
        })
    };
    let details = &j["details"];
    match key {
        "_conventions" => {}
        "note" => {
            if j["notes"].as_array().is_none_or(Vec::is_empty) {
                fail("expected a note about it".into());
            }
        }
        "tech" => {
            let want = match expected.as_str() {
                Some(t) => wire_tech(t),
                None => "none",
            };
            if tech != want {
                fail(format!("tech {tech:?}, expected {want:?}"));
            }
            if expected.is_null() && j["no_service"] != Value::Bool(true) {
                fail("no tech without no_service".into());
            }
        }
        "no_service" => {
            if j["no_service"] != *expected {
                fail(format!(
                    "no_service {}, expected {expected}",
                    j["no_service"]
                ));
            }
        }
        "gsm" => {
            if !j["rssi_dbm"].is_null() {
                fail("GSM values present".into());
            }
        }
        "umts" => {
            if !j["rscp_dbm"].is_null() || !j["ecno_db"].is_null() {
                fail("UMTS values present".into());
            }
        }
        k if value_field(k).is_some() => {
            let f = value_field(k).unwrap_or_default();
            if !same(&j[f], expected) {
                fail(format!("{f} = {}, expected {expected}", j[f]));
            }
        }
        "lac" | "tac" | "ci" | "cell_id" | "eci" | "lac_hex" | "tac_hex" | "ci_hex" | "eci_hex"
        | "cell_id_hex" => {
            let field = match key {
                "lac" | "lac_hex" => "lac",
                "tac" | "tac_hex" => "tac",
                _ => "ci",
            };
            let actual = hex_value(&cell[field]);
            if actual != expected_id(expected) {
                fail(format!(
                    "cell.{field} = {}, expected {expected}",
                    cell[field]
                ));
            }
        }
        "enb" | "cell" => {
            let ci = hex_value(&cell["ci"]).unwrap_or(u64::MAX);
            let actual = if key == "enb" { ci >> 8 } else { ci & 0xFF };
            if Some(actual) != expected.as_u64() {
                fail(format!(
                    "from cell.ci {}: {actual}, expected {expected}",
                    cell["ci"]
                ));
            }
        }
        "pci" if scope != "nr5g_nsa" => {
            if !same(&cell["pci"], expected) {
                fail(format!("cell.pci = {}, expected {expected}", cell["pci"]));
            }
        }
        "arfcn" | "earfcn" | "uarfcn" if scope != "nr5g_nsa" => {
            if !same(&cell["arfcn"], expected) {
                fail(format!(
                    "cell.arfcn = {}, expected {expected}",
                    cell["arfcn"]
                ));
            }
        }
        "band" if scope != "nr5g_nsa" => {
            let want = wire_band(expected, nr);
            if cell["band"].as_str() != want.as_deref() {
                fail(format!("cell.band = {}, expected {want:?}", cell["band"]));
            }
        }
        "mcc" | "mnc" => {
            let e = expected.as_str().unwrap_or_default();
            let want = if key == "mcc" {
                format!("{e:0>3}")
            } else {
                format!("{e:0>2}")
            };
            let got = j["serving"][key].as_str().or(j["operator"][key].as_str());
            if got != Some(want.as_str()) {
                fail(format!("operator {key} {got:?}, expected {want:?}"));
            }
            if scope.is_empty() && !found_in(details, key, expected) {
                fail("raw value not in details".into());
            }
        }
        "state" if Reg::parse(expected.as_str().unwrap_or_default()).is_some() => {
            // A registration state: the data domain decides `reg`; +CREG only shows it.
            let creg = details.get("creg").is_some();
            let ok_reg = if creg {
                j["reg"].is_null()
            } else {
                j["reg"] == *expected
            };
            let shown = found_in(details, "state", expected) || details.get("mmcli").is_some();
            if !ok_reg || !shown {
                fail(format!(
                    "reg {} (details {details}), expected {expected}",
                    j["reg"]
                ));
            }
        }
        "lte" | "nr5g_nsa" => {
            let Some(obj) = expected.as_object() else {
                fail("expected an object".into());
                return;
            };
            for (k, v) in obj {
                check(j, key, k, v, failures);
            }
        }
        _ => {
            // A raw field: in the details, under the nested object when there is one.
            let within = if scope.is_empty() {
                details.clone()
            } else {
                find_object(details, scope)
            };
            if !found_in(&within, key, expected) {
                fail(format!("not found in details {within}"));
            }
        }
    }
}

fn find_object(v: &Value, key: &str) -> Value {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(key) {
                return x.clone();
            }
            m.values()
                .map(|x| find_object(x, key))
                .find(|x| !x.is_null())
                .unwrap_or(Value::Null)
        }
        _ => Value::Null,
    }
}

#[test]
fn every_fixture_decodes_to_its_expected_values() {
    let expected: Value = serde_json::from_str(&fixture("expected.json")).expect("expected.json");
    let mut report = BTreeMap::new();
    let names = fixture_names();
    assert!(names.len() >= 24, "fixtures: {names:?}");
    for name in &names {
        let Some(want) = expected.get(name).and_then(Value::as_object) else {
            panic!("{name} has no entry in expected.json");
        };
        let input = fixture(name);
        let decoded = decode(&input, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = serde_json::to_string(&decoded).expect("serialises");
        let j: Value = serde_json::from_str(&text).expect("one JSON object");
        assert!(j.is_object());
        let mut failures = Vec::new();
        for (k, v) in want {
            check(&j, "", k, v, &mut failures);
        }
        // The wire contract, whatever expected.json lists.
        if let Some(t) = j["tech"].as_str() {
            assert!(Tech::parse(t).is_some(), "{name}: tech {t}");
        }
        if let Some(r) = j["reg"].as_str() {
            assert!(Reg::parse(r).is_some(), "{name}: reg {r}");
        }
        if !failures.is_empty() {
            report.insert(name.clone(), (failures, text));
        }
    }
    assert!(report.is_empty(), "{report:#?}");
}

#[test]
fn creg_never_decides_reg_and_searching_has_no_numbers() {
    for name in [
        "creg2-solicited-huawei-e160g.txt",
        "creg2-unsolicited-searching-empty-novatel-xu870.txt",
    ] {
        let d = decode(&fixture(name), None).unwrap();
        assert_eq!(d.reg, None, "{name}");
    }
    for name in [
        "quectel-qeng-search-manual.txt",
        "huawei-hcsq-noservice-quoted-mm.txt",
        "mmcli-m-json-quectel-bg96-searching.json",
    ] {
        let d = decode(&fixture(name), None).unwrap();
        assert!(d.no_service, "{name}");
        assert_eq!(d.tech, Some(Tech::None), "{name}");
        assert!(
            d.rssi_dbm.is_none() && d.rsrp_dbm.is_none() && d.cell.is_none(),
            "{name}"
        );
    }
    let nsa = decode(&fixture("mmcli-command-qeng-rm500q-nsa-callbox.txt"), None).unwrap();
    assert!(
        nsa.notes.iter().any(|n| n.contains("scaled from 0.1 dB")),
        "{:?}",
        nsa.notes
    );
}

#[test]
fn formats_can_be_forced_and_combined() {
    use coverage_agent::modem::DecodeFormat;
    // Two mmcli documents in one paste: the modem and its extended signal.
    let both = format!(
        "{}\n{}",
        fixture("mmcli-m-json-huawei-e3131-connected-3g.json"),
        r#"{"modem":{"signal":{"umts":{"rscp":"-87,00","ecio":"-6,50","rssi":"--"},"refresh":{"rate":"30"}}}}"#
    );
    let d = decode(&both, Some(DecodeFormat::Mmcli)).unwrap();
    assert_eq!((d.tech, d.reg), (Some(Tech::Gsm), Some(Reg::Home)));
    assert_eq!((d.rscp_dbm, d.ecno_db), (Some(-87.0), Some(-6.5)));
    // The mmcli --command wrapper, forced as mmcli, still decodes as AT.
    let d = decode(
        &fixture("mmcli-command-qeng-rm500q-nsa-callbox.txt"),
        Some(DecodeFormat::Mmcli),
    )
    .unwrap();
    assert_eq!(d.tech, Some(Tech::Nr5gNsa));
    // LF-only and CRLF give the same result.
    let crlf = fixture("cereg2-solicited-spaces.txt");
    assert_eq!(
        decode(&crlf, None),
        decode(&crlf.replace("\r\n", "\n"), Some(DecodeFormat::At))
    );
}

#[test]
fn decoding_never_panics_on_truncated_or_random_input() {
    let mut corpus: Vec<String> = fixture_names().iter().map(|n| fixture(n)).collect();
    corpus.push(fixture("expected.json"));
    for text in &corpus {
        for (i, _) in text.char_indices() {
            let _ = decode(&text[..i], None);
            let _ = decode(&text[i..], None);
        }
    }
    let alphabet: Vec<char> = "+^!$#:,;\"' \t\r\n{}[]-.0123456789ABCDEFabcdefxXNRLTEGSMQENGCSQCESQCREGCOPSHCSQCPSI()éₓ\u{0}"
        .chars()
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20251101);
    for _ in 0..5000 {
        let len = rng.random_range(0..200);
        let mut s: String = (0..len)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        if rng.random_bool(0.5) {
            // Graft a random piece of a real reply in, to reach deep into the parsers.
            let src = &corpus[rng.random_range(0..corpus.len())];
            let cut: Vec<usize> = src.char_indices().map(|(i, _)| i).collect();
            if cut.len() > 2 {
                let a = cut[rng.random_range(0..cut.len())];
                let b = cut[rng.random_range(0..cut.len())];
                let (a, b) = (a.min(b), a.max(b));
                s.insert_str(
                    s.char_indices()
                        .map(|(i, _)| i)
                        .nth(len / 2)
                        .unwrap_or(s.len()),
                    &src[a..b],
                );
            }
        }
        for format in [
            None,
            Some(coverage_agent::modem::DecodeFormat::At),
            Some(coverage_agent::modem::DecodeFormat::Mmcli),
        ] {
            if let Ok(d) = decode(&s, format) {
                serde_json::to_string(&d).expect("always serialisable");
            }
        }
    }
}

/// A scripted AT port: each command gets a captured reply; URCs can be injected before a
/// command's reply; a command without a script gets `ERROR`, as modems answer unknown ones.
struct Script {
    replies: BTreeMap<String, String>,
    urcs: BTreeMap<String, Vec<String>>,
    silent: Vec<String>,
    queue: VecDeque<String>,
    sent: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Script {
    fn new(replies: &[(&str, String)]) -> Self {
        Script {
            replies: replies
                .iter()
                .map(|(c, r)| (c.to_string(), r.clone()))
                .collect(),
            urcs: BTreeMap::new(),
            silent: Vec::new(),
            queue: VecDeque::new(),
            sent: Default::default(),
        }
    }
}

impl AtTransport for Script {
    fn send_line<'a>(&'a mut self, line: &'a str) -> BoxFuture<'a, io::Result<()>> {
        self.sent.lock().unwrap().push(line.to_string());
        let mut bytes = String::new();
        for u in self.urcs.get(line).into_iter().flatten() {
            bytes.push_str(&format!("\r\n{u}\r\n"));
        }
        if self.silent.iter().any(|s| s == line) {
            // Never answers.
        } else if let Some(reply) = self.replies.get(line) {
            bytes.push_str(reply);
            let ends_final = reply
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim() == "OK");
            if !ends_final {
                bytes.push_str("\r\nOK\r\n");
            }
        } else if line.starts_with("AT")
            && line.contains('=')
            && !line.contains('?')
            && !line.contains('"')
        {
            bytes.push_str("\r\nOK\r\n");
        } else {
            bytes.push_str("\r\nERROR\r\n");
        }
        let mut lb = LineBuffer::default();
        lb.push(bytes.as_bytes());
        while let Some(l) = lb.next_line() {
            self.queue.push_back(l);
        }
        Box::pin(async { Ok(()) })
    }

    fn read_line(&mut self) -> BoxFuture<'_, io::Result<Option<String>>> {
        let next = self.queue.pop_front();
        Box::pin(async move {
            match next {
                Some(l) => Ok(Some(l)),
                None => std::future::pending().await,
            }
        })
    }
}

fn modem(vendor: Vendor, script: Script) -> AtModem {
    AtModem::new(
        "m0",
        "/dev/ttyTEST",
        vendor,
        Duration::from_millis(300),
        Box::new(script),
    )
}

#[tokio::test]
async fn at_driver_samples_a_quectel_from_captured_replies() {
    let mut script = Script::new(&[
        ("AT+CREG?", fixture("creg2-solicited-huawei-e160g.txt")),
        (
            "AT+CGREG?",
            fixture("cgreg2-solicited-edge-ericsson-f3607gw.txt"),
        ),
        ("AT+CEREG?", fixture("cereg2-solicited-spaces.txt")),
        ("AT+COPS?", fixture("cops-manual-lte-mm.txt")),
        ("AT+CSQ", fixture("csq-lte-quectel-ep06.txt")),
        ("AT+CESQ", fixture("cesq-lte-mm.txt")),
        (
            "AT+QENG=\"servingcell\"",
            fixture("quectel-qeng-lte-tdd-manual.txt"),
        ),
    ]);
    // URCs interleaved with replies are not mistaken for them.
    script
        .urcs
        .insert("AT+CSQ".into(), vec!["+CEREG: 3".into(), "RING".into()]);
    script.urcs.insert(
        "AT+QENG=\"servingcell\"".into(),
        vec!["+QIND: \"csq\",20,99".into()],
    );
    let sent_log = script.sent.clone();
    let mut m = modem(Vendor::Quectel, script);
    let s = m.sample().await.unwrap();
    assert_eq!(s.radio.tech, Tech::Lte);
    assert_eq!(s.radio.reg, Reg::Home, "URC +CEREG: 3 must not count");
    assert_eq!(
        (
            s.radio.rsrp_dbm,
            s.radio.rsrq_db,
            s.radio.rssi_dbm,
            s.radio.sinr_db
        ),
        (Some(-93.0), Some(-13.0), Some(-59.0), Some(-4.0))
    );
    let cell = s.radio.cell.clone().unwrap();
    assert_eq!(cell.tac.as_deref(), Some("550A"));
    assert_eq!(cell.ci.as_deref(), Some("82E8C80"));
    assert_eq!(
        (cell.pci, cell.arfcn, cell.band.as_deref()),
        (Some(87), Some(38400), Some("B39"))
    );
    assert_eq!(
        s.serving.as_ref().map(|p| p.id()).as_deref(),
        Some("460-00")
    );
    assert_eq!(s.operator, None, "no +CIMI answer: home network unknown");
    let sent = sent_log.lock().unwrap().clone();
    assert!(sent.contains(&"AT+COPS=3,2".to_string()), "{sent:?}");
    // A refused command is not sent again on the next sample.
    m.sample().await.unwrap();
    let sent = sent_log.lock().unwrap().clone();
    assert_eq!(
        sent.iter().filter(|c| *c == "AT+C5GREG?").count(),
        1,
        "{sent:?}"
    );
    assert_eq!(
        sent.iter().filter(|c| *c == "AT+CSQ").count(),
        2,
        "{sent:?}"
    );
}

#[tokio::test]
async fn at_driver_echo_search_and_denied() {
    let script = Script::new(&[
        ("AT+CEREG?", fixture("cereg1-solicited-denied.txt")),
        (
            "AT+QENG=\"servingcell\"",
            fixture("quectel-qeng-search-manual.txt"),
        ),
    ]);
    let s = modem(Vendor::Quectel, script).sample().await.unwrap();
    assert_eq!(s.radio.tech, Tech::None);
    assert_eq!(s.radio.reg, Reg::Denied);
    assert!(s.radio.values().iter().all(|(_, v)| v.is_none()));
}

#[tokio::test]
async fn at_driver_other_vendors() {
    let s = modem(
        Vendor::Huawei,
        Script::new(&[
            (
                "AT+CGREG?",
                fixture("cgreg2-solicited-edge-ericsson-f3607gw.txt"),
            ),
            ("AT^HCSQ?", fixture("huawei-hcsq-wcdma-mm.txt")),
        ]),
    )
    .sample()
    .await
    .unwrap();
    assert_eq!((s.radio.tech, s.radio.reg), (Tech::Umts, Reg::Home));
    assert_eq!(
        (s.radio.rscp_dbm, s.radio.ecno_db),
        (Some(-91.0), Some(-3.5))
    );

    let s = modem(
        Vendor::Simcom,
        Script::new(&[
            ("AT+CEREG?", fixture("cereg2-solicited-spaces.txt")),
            ("AT+CPSI?", fixture("simcom-cpsi-lte-sim7906-megafon.txt")),
        ]),
    )
    .sample()
    .await
    .unwrap();
    assert_eq!((s.radio.tech, s.radio.reg), (Tech::Lte, Reg::Home));
    assert_eq!(s.radio.rsrp_dbm, Some(-88.9));
    assert_eq!(
        s.serving.as_ref().map(|p| p.id()).as_deref(),
        Some("250-02")
    );

    let s = modem(
        Vendor::Sierra,
        Script::new(&[
            ("AT+CEREG?", fixture("cereg2-solicited-spaces.txt")),
            ("AT!GSTATUS?", fixture("sierra-gstatus-mc7455-att-ca.txt")),
        ]),
    )
    .sample()
    .await
    .unwrap();
    assert_eq!(s.radio.tech, Tech::Lte);
    assert_eq!(
        (s.radio.rsrp_dbm, s.radio.sinr_db),
        (Some(-81.0), Some(23.8))
    );

    let s = modem(
        Vendor::Generic,
        Script::new(&[
            ("AT+CEREG?", fixture("cereg2-solicited-spaces.txt")),
            ("AT+CESQ", fixture("cesq-lte-mm.txt")),
        ]),
    )
    .sample()
    .await
    .unwrap();
    assert_eq!(
        (s.radio.tech, s.radio.reg, s.radio.rsrp_dbm),
        (Tech::Lte, Reg::Home, Some(-61.0))
    );
}

#[tokio::test]
async fn at_driver_timeout_names_command_and_port_then_recovers() {
    let mut script = Script::new(&[("AT+CSQ", fixture("csq-lte-quectel-ep06.txt"))]);
    script.silent.push("AT+CEREG?".into());
    let mut m = modem(Vendor::Generic, script);
    let e = m.sample().await.unwrap_err();
    assert!(matches!(e, ModemError::Timeout { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("AT+CEREG?") && msg.contains("/dev/ttyTEST"),
        "{msg}"
    );
    // The next command still works.
    assert_eq!(
        m.command("AT+CSQ").await.unwrap(),
        vec!["+CSQ: 31,99".to_string()]
    );
    let e = m.command("AT+NOPE").await.unwrap_err();
    assert!(
        matches!(e, ModemError::At { .. }) && e.to_string().contains("ERROR"),
        "{e}"
    );
}

#[test]
fn the_checker_rejects_wrong_values() {
    let d = decode(&fixture("quectel-qeng-lte-tdd-manual.txt"), None).unwrap();
    let j = serde_json::to_value(&d).unwrap();
    for (k, v) in [
        ("rsrp_dbm", serde_json::json!(-92)),
        ("tech", serde_json::json!("GSM")),
        ("tac", serde_json::json!(1)),
        ("band", serde_json::json!(3)),
        ("srxlev", serde_json::json!(45)),
        ("mcc", serde_json::json!("461")),
        ("state", serde_json::json!("home")),
        ("no_service", serde_json::json!(true)),
    ] {
        let mut failures = Vec::new();
        check(&j, "", k, &v, &mut failures);
        assert!(!failures.is_empty(), "{k} = {v} was accepted");
    }
}

//! Real captures of the generic 3GPP TS 27.007 replies (`+CSQ`, `+CESQ`, `+CREG`/`+CGREG`/
//! `+CEREG`/`+C5GREG`, `+COPS?`, `+COPS=?`, `+CIMI`) from other modems than ours decode to what
//! their sources say they mean.
//!
//! The captures and their expectations live in `tests/fixtures/modem-generic/` (`MANIFEST.json`,
//! provenance in `README.md`). Each manifest entry's `expect` is the source's statement in wire
//! terms: a listed key must match; `null` means null or absent; `cell`, `operator`, `serving`
//! and `details` are compared key by key, arrays element by element. Where our reading differs
//! from the source's (DESIGN.md wins), the entry says so under `conventions`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use coverage_agent::modem::decode;
use coverage_shared::wire::{Reg, Tech};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/modem-generic"
    ))
}

fn read(name: &str) -> String {
    let p = dir().join(name);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: not UTF-8: {e}", p.display()))
}

fn manifest() -> Vec<Value> {
    let m: Value = serde_json::from_str(&read("MANIFEST.json")).expect("MANIFEST.json is JSON");
    m["files"].as_array().expect("files[]").clone()
}

/// The nine signal values, by wire name.
const VALUES: [&str; 9] = coverage_agent::modem::observe::VALUE_NAMES;

/// `actual` satisfies `expected`: objects key by key (expected `null` = absent or null), arrays
/// element by element with the same length, numbers within 0.05.
fn satisfies(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (_, Value::Null) => actual.is_null(),
        (Value::Number(a), Value::Number(e)) => {
            (a.as_f64().unwrap_or(f64::NAN) - e.as_f64().unwrap_or(f64::NAN)).abs() < 0.051
        }
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| satisfies(a.get(k).unwrap_or(&Value::Null), v)),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| satisfies(a, e))
        }
        _ => actual == expected,
    }
}

/// The mismatches between the decoded JSON `j` and an entry's `expect`.
fn check(j: &Value, expect: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    let Some(expect) = expect.as_object() else {
        return vec!["`expect` is not an object".into()];
    };
    for (key, want) in expect {
        let known = matches!(
            key.as_str(),
            "tech" | "reg" | "operator" | "serving" | "cell" | "details" | "no_service"
        ) || VALUES.contains(&key.as_str());
        if !known {
            failures.push(format!("unknown expectation key {key:?}"));
            continue;
        }
        let got = if key == "no_service" {
            j.get(key).cloned().unwrap_or(Value::Bool(false))
        } else {
            j.get(key).cloned().unwrap_or(Value::Null)
        };
        if !satisfies(&got, want) {
            failures.push(format!("{key}: got {got}, expected {want}"));
        }
    }
    failures
}

#[test]
fn every_capture_decodes_to_what_its_source_says() {
    let entries = manifest();
    assert!(entries.len() >= 100, "{} captures", entries.len());
    let mut listed: Vec<String> = Vec::new();
    let mut report = BTreeMap::new();
    for e in &entries {
        let name = e["file"].as_str().expect("file").to_string();
        assert!(
            e["source"].is_object() && e["source_states"].is_object(),
            "{name}: source and source_states are required"
        );
        let input = read(&name);
        let decoded = decode(&input, None).unwrap_or_else(|err| panic!("{name}: {err}"));
        let j = serde_json::to_value(&decoded).expect("serialises");
        if let Some(t) = j["tech"].as_str() {
            assert!(Tech::parse(t).is_some(), "{name}: tech {t}");
        }
        if let Some(r) = j["reg"].as_str() {
            assert!(Reg::parse(r).is_some(), "{name}: reg {r}");
        }
        let failures = check(&j, &e["expect"]);
        if !failures.is_empty() {
            report.insert(name.clone(), (failures, j.to_string()));
        }
        listed.push(name);
    }
    assert!(report.is_empty(), "{report:#?}");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir())
        .expect("fixture directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n != "MANIFEST.json" && n != "README.md")
        .collect();
    on_disk.sort();
    listed.sort();
    assert_eq!(on_disk, listed, "every file has one manifest entry");
}

/// Line ends and letter case are how a paste arrives, not what it says: LF only, CR CR LF
/// (echo on, as gammu's E220 capture shows) and lower-case response prefixes decode the same.
#[test]
fn line_ends_and_prefix_case_do_not_change_the_decode() {
    for e in manifest() {
        let name = e["file"].as_str().expect("file");
        let input = read(name);
        let base = serde_json::to_value(decode(&input, None).unwrap()).unwrap();
        let lf = input.replace("\r\n", "\n");
        let crcrlf = lf.replace('\n', "\r\r\n");
        let lower: String = lf
            .lines()
            .map(|l| match l.find(':') {
                Some(i) if l.starts_with('+') => {
                    format!("{}{}", l[..i].to_ascii_lowercase(), &l[i..])
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        for (how, text) in [("LF", lf), ("CR CR LF", crcrlf), ("lower-case", lower)] {
            let j = serde_json::to_value(decode(&text, None).unwrap()).unwrap();
            for k in ["tech", "reg", "operator", "cell"]
                .into_iter()
                .chain(VALUES)
            {
                assert_eq!(j.get(k), base.get(k), "{name} ({how}): {k}");
            }
        }
    }
}

/// A technician's `AT+CSQ;+CEREG?;+COPS?` paste: replies of several captures in one text, with
/// the echo and blank lines. The data registration, the numeric operator and the values combine.
#[test]
fn replies_from_one_paste_combine() {
    let cereg = read("mm-cereg2-solicited.txt");
    let cops = read("mm-cops-query-data-3.txt");
    let cesq = read("obsy-marvell-csq-cesq.txt");
    let paste = format!(
        "AT+CSQ;+CESQ;+CEREG?;+COPS?\r\n{}\r\n{cereg}\r\n{cops}\r\n\r\nOK\r\n",
        cesq.trim_end()
    );
    let d = decode(&paste, None).unwrap();
    assert_eq!((d.tech, d.reg), (Some(Tech::Lte), Some(Reg::Home)));
    assert_eq!(
        (d.rsrp_dbm, d.rsrq_db, d.rssi_dbm),
        (Some(-101.0), Some(-14.0), None)
    );
    let op = d.operator.expect("operator");
    assert_eq!(
        (op.mcc.as_deref(), op.mnc.as_deref()),
        (Some("460"), Some("00"))
    );
    let cell = d.cell.expect("cell");
    assert_eq!(
        (cell.tac.as_deref(), cell.ci.as_deref()),
        (Some("1F00"), Some("79D903"))
    );
    // A URC that says "denied" after the solicited reply is the fresher news.
    let later = format!("{paste}\r\n+CEREG: 3\r\n");
    assert_eq!(decode(&later, None).unwrap().reg, Some(Reg::Denied));
}

#[test]
fn the_checker_rejects_wrong_expectations() {
    let entries = manifest();
    let e = entries
        .iter()
        .find(|e| e["file"] == "mm-cereg2-novatel-lte-solicited.txt")
        .expect("entry");
    let j =
        serde_json::to_value(decode(&read("mm-cereg2-novatel-lte-solicited.txt"), None).unwrap())
            .unwrap();
    assert!(check(&j, &e["expect"]).is_empty());
    for (k, v) in [
        ("reg", serde_json::json!("roaming")),
        ("tech", serde_json::json!(null)),
        ("cell", serde_json::json!({"ci": "20"})),
        ("cell", serde_json::json!(null)),
        ("rsrp_dbm", serde_json::json!(-100)),
        ("details", serde_json::json!({"cereg": {"act": 2}})),
        ("operator", serde_json::json!({"mcc": "460"})),
        ("nonsense", serde_json::json!(1)),
    ] {
        let mut bad = e["expect"].clone();
        bad[k] = v.clone();
        assert!(!check(&j, &bad).is_empty(), "{k} = {v} was accepted");
    }
}

//! Vendor-specific replies captured from real modems (Quectel `+QENG`/`+QCSQ`, SIMCom `+CPSI`,
//! Huawei `^HCSQ`, Sierra `!GSTATUS`) and ModemManager output, found in public sources and
//! kept in `tests/fixtures/modem-vendor/` (see the README there for provenance).
//!
//! `MANIFEST.json` gives, per file, the source and the decode the source states (or the vendor
//! manual's layout determines), already in wire units. Every key listed is checked strictly:
//! a number must match, `null` must decode to nothing, `cell: null` means no cell at all.
//! `error` means the reply must be refused rather than decoded; `notes_contain` means a note
//! must mention the given text.

use std::path::PathBuf;

use coverage_agent::modem::decode;
use coverage_shared::wire::{Reg, Tech};
use serde_json::{Map, Value};

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/modem-vendor"
    ))
}

fn read(name: &str) -> String {
    let p = dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn manifest() -> Map<String, Value> {
    match serde_json::from_str(&read("MANIFEST.json")).expect("MANIFEST.json is JSON") {
        Value::Object(m) => m,
        _ => panic!("MANIFEST.json is not an object"),
    }
}

/// The nine signal values, by wire name.
const VALUES: [&str; 9] = coverage_agent::modem::observe::VALUE_NAMES;

fn same_number(actual: &Value, expected: &Value) -> bool {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(e)) => (a - e).abs() < 0.001,
        _ => actual.is_null() && expected.is_null(),
    }
}

/// Compares one decoded object against its manifest entry; returns the mismatches.
fn mismatches(j: &Value, expect: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, want) in expect {
        match key.as_str() {
            "error" => out.push(format!("decoded although {want} was expected")),
            "tech" | "reg" => {
                if j[key] != *want {
                    out.push(format!("{key} = {}, expected {want}", j[key]));
                }
            }
            "no_service" => {
                let got = j.get("no_service").cloned().unwrap_or(Value::Bool(false));
                if got != *want {
                    out.push(format!("no_service = {got}, expected {want}"));
                }
            }
            "operator" => {
                // The network the reply names: `serving` when it differs from the SIM's.
                let got = j.get("serving").or_else(|| j.get("operator"));
                match (got, want) {
                    (None, Value::Null) => {}
                    (Some(g), Value::Object(w)) => {
                        for (k, v) in w {
                            if g[k] != *v {
                                out.push(format!("operator.{k} = {}, expected {v}", g[k]));
                            }
                        }
                    }
                    (g, w) => out.push(format!("operator = {g:?}, expected {w}")),
                }
            }
            "cell" => match (j.get("cell"), want) {
                (None, Value::Null) => {}
                (Some(c), Value::Object(w)) => {
                    for (k, v) in w {
                        let got = c.get(k).unwrap_or(&Value::Null);
                        let ok = if v.is_number() {
                            same_number(got, v)
                        } else {
                            got == v
                        };
                        if !ok {
                            out.push(format!("cell.{k} = {got}, expected {v}"));
                        }
                    }
                }
                (c, w) => out.push(format!("cell = {c:?}, expected {w}")),
            },
            "notes_contain" => {
                let needle = want.as_str().unwrap_or_default().to_ascii_lowercase();
                let found = j["notes"].as_array().is_some_and(|n| {
                    n.iter().any(|x| {
                        x.as_str()
                            .is_some_and(|s| s.to_ascii_lowercase().contains(&needle))
                    })
                });
                if !found {
                    out.push(format!("no note mentions {want:?}: {}", j["notes"]));
                }
            }
            k if VALUES.contains(&k) => {
                if !same_number(&j[k], want) {
                    out.push(format!("{k} = {}, expected {want}", j[k]));
                }
            }
            other => out.push(format!("manifest key {other} is not checked by this test")),
        }
    }
    out
}

#[test]
fn every_vendor_capture_decodes_as_its_source_states() {
    let m = manifest();
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .expect("fixture directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n != "MANIFEST.json" && n != "README.md")
        .collect();
    files.sort();
    assert!(files.len() >= 50, "captures: {}", files.len());
    let listed: Vec<&String> = m.keys().collect();
    assert_eq!(
        files.iter().collect::<Vec<_>>(),
        listed,
        "every file has a manifest entry and every entry a file"
    );
    let mut report = Vec::new();
    for name in &files {
        let entry = &m[name];
        assert!(
            entry["source"]["ref"].is_string() && entry["source"]["what"].is_string(),
            "{name}: source must name where the capture comes from"
        );
        let expect = entry["expect"].as_object().expect("expect object");
        let input = read(name);
        let decoded = decode(&input, None);
        let Ok(decoded) = decoded else {
            if !expect.contains_key("error") {
                report.push(format!("{name}: refused: {decoded:?}"));
            }
            continue;
        };
        let j = serde_json::to_value(&decoded).expect("serialises");
        if let Some(t) = j["tech"].as_str() {
            assert!(Tech::parse(t).is_some(), "{name}: tech {t}");
        }
        if let Some(r) = j["reg"].as_str() {
            assert!(Reg::parse(r).is_some(), "{name}: reg {r}");
        }
        for f in mismatches(&j, expect) {
            report.push(format!("{name}: {f}\n    decoded: {j}"));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_checker_rejects_wrong_values() {
    let j = serde_json::to_value(decode(&read("quectel-rm5xx-manual-nr5g-sa.txt"), None).unwrap())
        .unwrap();
    for (k, v) in [
        ("ss_rsrp_dbm", serde_json::json!(-106)),
        ("rsrp_dbm", serde_json::json!(-107)),
        ("tech", serde_json::json!("lte")),
        ("cell", serde_json::json!({"band": "B78"})),
        ("cell", serde_json::Value::Null),
        ("operator", serde_json::json!({"mnc": "1"})),
        ("no_service", serde_json::json!(true)),
        ("notes_contain", serde_json::json!("nothing like this")),
        ("typo", serde_json::json!(1)),
    ] {
        let mut e = Map::new();
        e.insert(k.to_string(), v.clone());
        assert!(!mismatches(&j, &e).is_empty(), "{k} = {v} was accepted");
    }
}

#[test]
fn truncated_vendor_captures_never_panic() {
    for name in manifest().keys() {
        let text = read(name);
        for (i, _) in text.char_indices() {
            let _ = decode(&text[..i], None);
            let _ = decode(&text[i..], None);
        }
    }
}

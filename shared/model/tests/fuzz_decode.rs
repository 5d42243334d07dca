//! Fuzzing decode, validation and line building in the normal test run (proptest): arbitrary
//! bytes, and valid readings of every kind with their fields replaced by arbitrary JSON values
//! and strings (commas, quotes, newlines, control characters, long texts). Whatever comes in:
//! nothing panics; a payload is either rejected with a reason or decoded into a reading whose
//! line is exactly one line of valid line protocol (InfluxDB's own parser, the
//! `influxdb-line-protocol` crate), in the reading's measurement, with the reading's site, run
//! and seq as sent.

use chrono::{DateTime, TimeZone, Utc};
use coverage_shared::schema::lines::{SitePlacement, line};
use coverage_shared::validate::decode;
use influxdb_line_protocol::{FieldValue, parse_lines};
use proptest::prelude::*;
use serde_json::{Value, json};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 1, 8, 0, 0).unwrap()
}

fn common(kind: &str) -> Value {
    json!({
        "v": 1, "site": "s1", "run": "r1", "seq": 7, "ts": "2025-11-01T07:00:00.000Z",
        "kind": kind, "clock_synced": true,
        "pos": {"lat": 22.16, "lon": 105.84, "acc_m": 5.0, "src": "config"},
        "commune": {"set": "bac-kan-2020", "code": "01834"}, "agent": "0.1.0",
        "placement": "indoor", "antenna": "internal"
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// One valid reading of each kind.
fn readings() -> Vec<Value> {
    vec![
        merge(
            common("signal"),
            json!({
                "modem": "m0", "operator": {"mcc": "452", "mnc": "04"},
                "tech": "lte", "reg": "home",
                "rssi_dbm": -70.0, "rsrp_dbm": -95.0, "rsrq_db": -10.0, "sinr_db": 12.0,
                "rscp_dbm": null, "ecno_db": null, "ss_rsrp_dbm": null, "ss_rsrq_db": null,
                "ss_sinr_db": null, "cell": {"tac": "1F00", "ci": "79D903", "pci": 3}
            }),
        ),
        merge(
            common("latency"),
            json!({
                "target": "10.6.0.1", "method": "icmp", "link": "fibre", "interface": "eth0",
                "sent": 5, "received": 5, "dup": 0,
                "rtt_ms": {"min": 1.0, "p50": 2.0, "mean": 2.0, "p95": 3.0, "max": 3.0, "stddev": 0.5},
                "jitter_ms": 0.3, "rtts_ms": [1.0, 2.0, null, 3.0, 2.0], "error": null
            }),
        ),
        merge(
            common("throughput"),
            json!({
                "target": "http://10.6.0.1/100M", "link": "fibre", "interface": "eth0",
                "direction": "down", "bytes": 100000000, "duration_ms": 8000, "mbps": 100.0,
                "error": null
            }),
        ),
        merge(
            common("heartbeat"),
            json!({
                "uptime_s": 60, "interval_s": 60, "spool_depth": 0, "spool_dropped": 0,
                "clock_sync_age_s": 1.5, "modems": [{"name": "m0", "model": "EC25"}]
            }),
        ),
    ]
}

/// Every path to a leaf of `v` (object keys and array indices).
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(k.clone());
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(i.to_string());
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn set(v: &mut Value, path: &[String], new: Value) {
    let mut cur = v;
    for (i, key) in path.iter().enumerate() {
        let next = match cur {
            Value::Object(m) => m.get_mut(key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        };
        let Some(next) = next else { return };
        if i + 1 == path.len() {
            *next = new;
            return;
        }
        cur = next;
    }
}

/// Hostile strings: separators of line protocol, quotes, backslashes, control characters,
/// Vietnamese text, and long runs.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ ,=\"\\\\\n\r\t\u{0}a-z0-9]{0,40}",
        Just("04\n,x=1".to_owned()),
        Just("Xã Bằng Thành, Pác Nặm".to_owned()),
        Just(",".repeat(5000)),
        Just(String::new()),
        Just("   ".to_owned()),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just(1e308),
            Just(-1e308),
            Just(0.0),
            Just(-0.0),
            Just(1e-300)
        ]
        .prop_map(|f: f64| json!(f)),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn placement() -> SitePlacement {
    SitePlacement {
        set: Some("bac-kan-2020".into()),
        province: Some("06".into()),
        commune: Some("01834".into()),
        district: Some("061".into()),
    }
}

/// What must hold of any payload: no panic; an accepted reading gives one valid line.
fn check(topic: &str, payload: &[u8]) -> Result<(), TestCaseError> {
    let Ok(valid) = decode(topic, payload, now()) else {
        return Ok(());
    };
    let text = line(&valid.reading, &placement());
    prop_assert!(text.ends_with('\n'), "a line ends with a newline: {text:?}");
    let parsed: Vec<_> = parse_lines(text.trim_end_matches('\n')).collect();
    prop_assert_eq!(parsed.len(), 1, "exactly one line: {:?}", text);
    let parsed = match &parsed[0] {
        Ok(p) => p,
        Err(e) => return Err(TestCaseError::fail(format!("{e}: {text:?}"))),
    };
    prop_assert_eq!(
        parsed.series.measurement.as_str(),
        valid.reading.kind().as_str(),
        "measurement of {:?}",
        text
    );
    let h = &valid.reading.header;
    prop_assert_eq!(
        parsed.tag_value("site").map(|v| v.to_string()),
        Some(h.site.clone())
    );
    prop_assert_eq!(
        parsed.tag_value("run").map(|v| v.to_string()),
        Some(h.run.clone())
    );
    let seq = match parsed.field_value("seq") {
        Some(FieldValue::I64(n)) => u64::try_from(*n).ok(),
        Some(FieldValue::U64(n)) => Some(*n),
        _ => None,
    };
    prop_assert_eq!(seq, Some(h.seq), "seq of {:?}", text);
    Ok(())
}

fn topic(v: &Value) -> String {
    format!(
        "coverage/v1/{}/{}",
        v["site"].as_str().unwrap_or("s1"),
        v["kind"].as_str().unwrap_or("signal")
    )
}

#[test]
fn every_base_reading_is_valid() {
    for r in readings() {
        let t = topic(&r);
        assert!(
            decode(&t, r.to_string().as_bytes(), now()).is_ok(),
            "{t}: {:?}",
            decode(&t, r.to_string().as_bytes(), now()).err()
        );
        check(&t, r.to_string().as_bytes()).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), kind in 0usize..4) {
        let kinds = ["signal", "latency", "throughput", "heartbeat"];
        check(&format!("coverage/v1/s1/{}", kinds[kind]), &bytes)?;
    }

    #[test]
    fn mutated_readings_are_rejected_or_give_one_valid_line(
        which in 0usize..4,
        picks in prop::collection::vec((any::<prop::sample::Index>(), any_json()), 1..4),
    ) {
        let mut r = readings()[which].clone();
        let mut all = Vec::new();
        paths(&r, &mut Vec::new(), &mut all);
        for (index, new) in picks {
            let path = index.get(&all).clone();
            set(&mut r, &path, new);
        }
        check(&topic(&r), r.to_string().as_bytes())?;
    }

    #[test]
    fn hostile_identity_and_tag_strings(
        which in 0usize..4,
        field in prop::sample::select(vec!["site", "run", "modem", "target", "interface", "agent"]),
        text in hostile_string(),
    ) {
        let mut r = readings()[which].clone();
        r[field] = Value::String(text);
        check(&topic(&r), r.to_string().as_bytes())?;
        // And inside the operator.
        let mut r = readings()[0].clone();
        r["operator"]["mnc"] = r[field].clone();
        check(&topic(&r), r.to_string().as_bytes())?;
    }
}

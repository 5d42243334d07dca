//! Validation of incoming readings: what is rejected, and which single values are nulled.
//!
//! DESIGN.md, "Validation": a reading is **rejected** (with a reason, counted, dead-lettered)
//! when it is not JSON, has the wrong `v`, misses a common field, disagrees with its topic, has
//! `ts` more than 5 minutes in the future or before 2020-01-01, or `pos` out of range. A single
//! **value** out of its physical range is nulled and flagged, and the rest of the reading kept.
//!
//! A JSON key given twice makes the reading malformed (which value was meant is ambiguous).
//!
//! [`decode`] is total: any byte string yields either a [`Valid`] reading or a [`Rejection`]
//! whose [`Rejection::code`] is a stable label for counters and whose `Display` says what is
//! wrong and where (field name, values).

use crate::geo::LatLon;
use crate::topic::{Channel, Topic};
use crate::wire::{Body, MAX_PAYLOAD_BYTES, Reading, SCHEMA_VERSION, ts_millis};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use thiserror::Error;

/// How far in the future a `ts` may be before the reading is rejected.
pub const MAX_FUTURE: TimeDelta = TimeDelta::minutes(5);

/// The earliest acceptable `ts` (a clock before this is at its epoch, not measuring).
pub fn earliest_ts() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The common fields every reading must carry.
pub const COMMON_FIELDS: [&str; 8] = ["v", "site", "run", "seq", "ts", "kind", "pos", "agent"];

/// Why a reading was rejected as a whole.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Rejection {
    /// Larger than the 64 KiB the wire format allows.
    #[error("payload is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Payload size in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not UTF-8 JSON.
    #[error("payload is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("payload is JSON but not an object")]
    NotObject,
    /// `v` is missing or not the supported version.
    #[error("field v is {found}, expected {SCHEMA_VERSION}")]
    WrongVersion {
        /// What was found (`missing`, or the JSON value).
        found: String,
    },
    /// A common field is missing.
    #[error("common field {0} is missing")]
    MissingField(&'static str),
    /// A field has the wrong type or shape.
    #[error("malformed reading: {0}")]
    Malformed(String),
    /// The payload's `site` or `kind` differs from the topic's.
    #[error("field {field} is {payload:?} but the topic says {topic:?}")]
    TopicMismatch {
        /// `site` or `kind`.
        field: &'static str,
        /// Value in the topic.
        topic: String,
        /// Value in the payload.
        payload: String,
    },
    /// The topic is not a readings topic.
    #[error("topic is not a readings topic: {0}")]
    BadTopic(String),
    /// `ts` is more than [`MAX_FUTURE`] ahead of the collector's clock.
    #[error("field ts {ts} is more than 5 minutes ahead of the collector's clock ({now})")]
    FutureTs {
        /// The reading's time.
        ts: String,
        /// The collector's time.
        now: String,
    },
    /// `ts` is before 2020-01-01: the agent's clock was at its epoch.
    #[error("field ts {0} is before 2020-01-01 (agent clock not set)")]
    TooOld(String),
    /// A field that becomes a tag or part of a reading's identity is out of shape (`run`,
    /// `modem`, `target`, `interface`, `operator.mcc`, `operator.mnc`, `serving.*`).
    #[error("field {field} is {value:?}: {problem}")]
    BadField {
        /// Wire name of the field.
        field: &'static str,
        /// The value, cut to 80 characters.
        value: String,
        /// The rule it breaks.
        problem: &'static str,
    },
    /// `pos.lat` or `pos.lon` is outside -90..90 / -180..180 (or not finite).
    #[error("field pos ({lat}, {lon}) is outside -90..90 / -180..180")]
    PosOutOfRange {
        /// Latitude given.
        lat: f64,
        /// Longitude given.
        lon: f64,
    },
}

impl Rejection {
    /// A stable, low-cardinality label for counters and dead-letter records.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "too_large",
            Rejection::NotJson(_) => "not_json",
            Rejection::NotObject => "not_object",
            Rejection::WrongVersion { .. } => "wrong_version",
            Rejection::MissingField(_) => "missing_field",
            Rejection::Malformed(_) => "malformed",
            Rejection::TopicMismatch { .. } => "topic_mismatch",
            Rejection::BadTopic(_) => "bad_topic",
            Rejection::FutureTs { .. } => "future_ts",
            Rejection::TooOld(_) => "too_old",
            Rejection::PosOutOfRange { .. } => "pos_out_of_range",
            Rejection::BadField { .. } => "bad_field",
        }
    }
}

/// A value that was out of its physical range and has been nulled.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// Wire name of the field (`rsrp_dbm`, `rtt_ms.p50`, `rtts_ms[3]`).
    pub field: String,
    /// The value that was dropped.
    pub value: f64,
    /// The accepted range, for the log line.
    pub range: (f64, f64),
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "field {} = {} is outside {}..{} and was nulled",
            self.field, self.value, self.range.0, self.range.1
        )
    }
}

/// A reading that passed validation, with the values that were nulled on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Valid {
    /// The reading, out-of-range values already nulled.
    pub reading: Reading,
    /// One entry per nulled value.
    pub flags: Vec<Flag>,
}

/// Physical range of each signal value (DESIGN.md). Ec/N0 is not listed there; its range is the
/// widest any modem reports (Huawei Ec/Io -32.5 dB) up to 0 dB.
pub const SIGNAL_RANGES: [(&str, f64, f64); 9] = [
    ("rsrp_dbm", -156.0, -31.0),
    ("ss_rsrp_dbm", -156.0, -31.0),
    ("rsrq_db", -43.0, 20.0),
    ("ss_rsrq_db", -43.0, 20.0),
    ("sinr_db", -23.0, 40.0),
    ("ss_sinr_db", -23.0, 40.0),
    ("rscp_dbm", -125.0, -25.0),
    ("rssi_dbm", -120.0, -25.0),
    ("ecno_db", -35.0, 0.0),
];

/// Decodes and validates one MQTT message against its topic, at collector time `now`.
pub fn decode(topic: &str, payload: &[u8], now: DateTime<Utc>) -> Result<Valid, Rejection> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Rejection::TooLarge {
            len: payload.len(),
            max: MAX_PAYLOAD_BYTES,
        });
    }
    let topic = Topic::parse(topic).map_err(|e| Rejection::BadTopic(e.to_string()))?;
    let Channel::Reading(topic_kind) = topic.channel else {
        return Err(Rejection::BadTopic(
            "resend requests are not readings".into(),
        ));
    };
    let probe: Probe =
        serde_json::from_slice(payload).map_err(|e| json_rejection(&e, payload, true))?;
    match &probe.v {
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(v) => {
            return Err(Rejection::WrongVersion {
                found: v.to_string(),
            });
        }
        None => {
            return Err(Rejection::WrongVersion {
                found: "missing".into(),
            });
        }
    }
    if let Some(missing) = COMMON_FIELDS
        .iter()
        .enumerate()
        .find(|(i, _)| probe.present & (1 << i) == 0)
        .map(|(_, f)| f)
    {
        return Err(Rejection::MissingField(missing));
    }
    // Compare against the topic before the full decode, so a reading of an unknown kind
    // published on the wrong topic is reported as the mismatch it is.
    for (field, value, expected) in [
        ("site", &probe.site, topic.site.as_str()),
        ("kind", &probe.kind, topic_kind.as_str()),
    ] {
        match value.as_ref().and_then(|v| v.as_str()) {
            Some(found) if found == expected => {}
            Some(found) => {
                return Err(Rejection::TopicMismatch {
                    field,
                    topic: expected.to_owned(),
                    payload: found.to_owned(),
                });
            }
            None => {
                return Err(Rejection::Malformed(format!(
                    "field {field} is not a string"
                )));
            }
        }
    }
    let mut reading: Reading =
        serde_json::from_slice(payload).map_err(|e| json_rejection(&e, payload, false))?;

    let ts = reading.header.ts;
    if ts > now + MAX_FUTURE {
        return Err(Rejection::FutureTs {
            ts: ts_millis::format(&ts),
            now: ts_millis::format(&now),
        });
    }
    if ts < earliest_ts() {
        return Err(Rejection::TooOld(ts_millis::format(&ts)));
    }
    let pos = reading.header.pos;
    if !LatLon::is_valid(pos.lat, pos.lon) {
        return Err(Rejection::PosOutOfRange {
            lat: pos.lat,
            lon: pos.lon,
        });
    }
    check_identity_fields(&reading)?;
    let flags = null_out_of_range(&mut reading.body);
    Ok(Valid { reading, flags })
}

/// What [`decode`] checks before the typed decode: `v`, `site` and `kind` (as JSON values, so
/// a wrong type is reported as such) and which [`COMMON_FIELDS`] are present (bit `i` for
/// `COMMON_FIELDS[i]`). Every other value is skipped unparsed ([`serde::de::IgnoredAny`]),
/// so the payload is read twice, but only the typed decode builds anything: parsing it into a
/// whole `serde_json::Value` first cost 40 % of the collector's CPU per reading (a `perf`
/// profile, bench/README.md "Collector throughput"). A key given twice counts once, the last
/// value wins, as in a `serde_json::Value`.
#[derive(Default)]
struct Probe {
    v: Option<serde_json::Value>,
    site: Option<serde_json::Value>,
    kind: Option<serde_json::Value>,
    present: u32,
}

impl<'de> serde::Deserialize<'de> for Probe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Probe, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Probe;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Probe, A::Error> {
                let mut probe = Probe::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if let Some(i) = COMMON_FIELDS.iter().position(|f| *f == key) {
                        probe.present |= 1 << i;
                    }
                    match key.as_ref() {
                        "v" => probe.v = Some(map.next_value()?),
                        "site" => probe.site = Some(map.next_value()?),
                        "kind" => probe.kind = Some(map.next_value()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(probe)
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// The rejection for a JSON error: not JSON (syntax, end of input, nesting past the parser's
/// limit), not an object (a valid JSON value of another type), or malformed (a field of the
/// wrong type or out of its type's range).
fn json_rejection(e: &serde_json::Error, payload: &[u8], probe: bool) -> Rejection {
    match e.classify() {
        // The probe stops at the first byte of anything but an object: whether the rest is
        // JSON is decided as before, by parsing it whole (rare: only such payloads pay).
        serde_json::error::Category::Data if probe => {
            match serde_json::from_slice::<serde_json::Value>(payload) {
                Err(e) => Rejection::NotJson(e.to_string()),
                Ok(v) if v.is_object() => Rejection::Malformed(e.to_string()),
                Ok(_) => Rejection::NotObject,
            }
        }
        serde_json::error::Category::Data => Rejection::Malformed(e.to_string()),
        _ => Rejection::NotJson(e.to_string()),
    }
}

/// Longest `modem`, `target` or `interface`, in characters.
pub const MAX_LABEL_CHARS: usize = 128;

fn bad(field: &'static str, value: &str, problem: &'static str) -> Rejection {
    Rejection::BadField {
        field,
        value: value.chars().take(80).collect(),
        problem,
    }
}

/// `run`: `[A-Za-z0-9_-]{1,64}` (part of the reading's identity and a tag).
fn check_run(run: &str) -> Result<(), Rejection> {
    let ok = (1..=64).contains(&run.len())
        && run
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(bad("run", run, "must be 1 to 64 of A-Z a-z 0-9 _ -"))
    }
}

/// `modem`, `target`, `interface`: 1..128 printable characters, no control character, not
/// blank (each becomes a tag or names what was measured).
fn check_label(field: &'static str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        return Err(bad(field, value, "must not be empty or blank"));
    }
    if value.chars().count() > MAX_LABEL_CHARS {
        return Err(bad(field, value, "must be at most 128 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(field, value, "must not contain control characters"));
    }
    Ok(())
}

/// An operator: `mcc` three digits, `mnc` two or three digits (leading zeros kept).
fn check_plmn(
    mcc_field: &'static str,
    mnc_field: &'static str,
    plmn: &crate::wire::Plmn,
) -> Result<(), Rejection> {
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(&plmn.mcc, 3..=3) {
        return Err(bad(mcc_field, &plmn.mcc, "must be 3 digits"));
    }
    if !digits(&plmn.mnc, 2..=3) {
        return Err(bad(mnc_field, &plmn.mnc, "must be 2 or 3 digits"));
    }
    Ok(())
}

/// An integer stored as InfluxDB's signed `i` (DESIGN.md "Storage"): at most `i64::MAX`, so
/// it is stored as sent and never saturated into another number.
fn check_int(field: &'static str, v: u64) -> Result<(), Rejection> {
    if i64::try_from(v).is_ok() {
        Ok(())
    } else {
        Err(bad(
            field,
            &v.to_string(),
            "must be at most 9223372036854775807 (stored as a signed integer)",
        ))
    }
}

/// The revised validation of DESIGN.md: every field that becomes a tag or an identity, and
/// every integer, which must fit the store's signed integers.
pub fn check_identity_fields(reading: &Reading) -> Result<(), Rejection> {
    check_run(&reading.header.run)?;
    check_int("seq", reading.header.seq)?;
    match &reading.body {
        Body::Signal(s) => {
            check_label("modem", &s.modem)?;
            check_plmn("operator.mcc", "operator.mnc", &s.operator)?;
            if let Some(serving) = &s.serving {
                check_plmn("serving.mcc", "serving.mnc", serving)?;
            }
        }
        Body::Latency(l) => {
            check_label("target", &l.target)?;
            if let Some(i) = &l.interface {
                check_label("interface", i)?;
            }
        }
        Body::Throughput(t) => {
            check_int("bytes", t.bytes)?;
            check_label("target", &t.target)?;
            if let Some(i) = &t.interface {
                check_label("interface", i)?;
            }
        }
        Body::Heartbeat(h) => {
            check_int("uptime_s", h.uptime_s)?;
            check_int("spool_depth", h.spool_depth)?;
            check_int("spool_dropped", h.spool_dropped)?;
            if let Some(i) = h.interval_s {
                check_int("interval_s", i)?;
            }
            if h.seq_ranges.len() > crate::wire::MAX_SEQ_RANGES {
                return Err(bad(
                    "seq_ranges",
                    &h.seq_ranges.len().to_string(),
                    "must hold at most 32 ranges",
                ));
            }
            for r in &h.seq_ranges {
                check_run(&r.run).map_err(|_| {
                    bad(
                        "seq_ranges.run",
                        &r.run,
                        "must be 1 to 64 of A-Z a-z 0-9 _ -",
                    )
                })?;
                check_int("seq_ranges.last", r.last)?;
                if r.first > r.last {
                    return Err(bad(
                        "seq_ranges",
                        &format!("{}-{}", r.first, r.last),
                        "first must not be above last",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Nulls every value outside its physical range and returns what was nulled.
pub fn null_out_of_range(body: &mut Body) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut check = |field: String, slot: &mut Option<f64>, lo: f64, hi: f64| {
        if let Some(v) = *slot
            && !(v.is_finite() && v >= lo && v <= hi)
        {
            flags.push(Flag {
                field,
                value: v,
                range: (lo, hi),
            });
            *slot = None;
        }
    };
    match body {
        Body::Signal(s) => {
            for (name, lo, hi) in SIGNAL_RANGES {
                if let Some(slot) = s.radio.value_mut(name) {
                    check(name.to_owned(), slot, lo, hi);
                }
            }
        }
        Body::Latency(l) => {
            const RTT: (f64, f64) = (0.0, f64::MAX);
            if let Some(stats) = l.rtt_ms {
                let mut parts = [
                    ("rtt_ms.min", Some(stats.min)),
                    ("rtt_ms.p50", Some(stats.p50)),
                    ("rtt_ms.mean", Some(stats.mean)),
                    ("rtt_ms.p95", Some(stats.p95)),
                    ("rtt_ms.max", Some(stats.max)),
                    ("rtt_ms.stddev", Some(stats.stddev)),
                ];
                for (name, slot) in parts.iter_mut() {
                    check((*name).to_owned(), slot, RTT.0, RTT.1);
                }
                // Statistics derived from an impossible RTT are meaningless as a whole.
                if parts.iter().any(|(_, v)| v.is_none()) {
                    l.rtt_ms = None;
                }
            }
            check("jitter_ms".to_owned(), &mut l.jitter_ms, RTT.0, RTT.1);
            for (i, rtt) in l.rtts_ms.iter_mut().enumerate() {
                check(format!("rtts_ms[{i}]"), rtt, RTT.0, RTT.1);
            }
        }
        Body::Throughput(t) => {
            check("mbps".to_owned(), &mut t.mbps, 0.0, f64::MAX);
        }
        Body::Heartbeat(h) => {
            check(
                "clock_sync_age_s".to_owned(),
                &mut h.clock_sync_age_s,
                0.0,
                f64::MAX,
            );
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 11, 1, 8, 0, 0).unwrap()
    }

    fn signal() -> Value {
        json!({
            "v": 1, "site": "s1", "run": "r1", "seq": 7, "ts": "2025-11-01T07:00:00.000Z",
            "kind": "signal", "clock_synced": true,
            "pos": {"lat": 22.16, "lon": 105.84, "src": "config"},
            "commune": {"set": "bac-kan-2020", "code": "01834"}, "agent": "0.1.0",
            "modem": "m0", "operator": {"mcc": "452", "mnc": "04"},
            "placement": "indoor", "antenna": "internal", "tech": "lte", "reg": "home",
            "rssi_dbm": -70.0, "rsrp_dbm": -95.0, "rsrq_db": -10.0, "sinr_db": 12.0,
            "rscp_dbm": null, "ecno_db": null, "ss_rsrp_dbm": null, "ss_rsrq_db": null,
            "ss_sinr_db": null, "cell": {"tac": "1F00", "ci": "79D903", "pci": 3}
        })
    }

    fn run(topic: &str, v: &Value) -> Result<Valid, Rejection> {
        decode(topic, v.to_string().as_bytes(), now())
    }

    const T: &str = "coverage/v1/s1/signal";

    #[test]
    fn accepts_a_good_reading_without_flags() {
        let valid = run(T, &signal()).unwrap();
        assert!(valid.flags.is_empty());
        assert_eq!(valid.reading.header.seq, 7);
    }

    #[test]
    fn rejects_non_json_and_non_objects() {
        assert_eq!(
            decode(T, b"\xff\xfe", now()).unwrap_err().code(),
            "not_json"
        );
        assert_eq!(
            decode(T, b"{\"v\":1", now()).unwrap_err().code(),
            "not_json"
        );
        assert_eq!(
            decode(T, b"[1,2]", now()).unwrap_err(),
            Rejection::NotObject
        );
    }

    #[test]
    fn the_probe_and_the_typed_decode_reject_as_one_parse_did() {
        let code = |payload: &[u8]| decode(T, payload, now()).map(|_| ()).unwrap_err().code();
        // Not an object, whatever follows the first byte: JSON or not is decided whole.
        assert_eq!(code(b"[1,"), "not_json");
        assert_eq!(code(b"\"abc"), "not_json");
        assert_eq!(code(b"\"abc\""), "not_object");
        let deep = format!("{}{}", "[".repeat(3_000), "]".repeat(3_000));
        assert_eq!(code(deep.as_bytes()), "not_json", "past the nesting limit");
        // Inside an object: deep nesting under an unknown key (which the probe skips without
        // a limit) and invalid UTF-8 in an unknown key's string are still not JSON.
        let good = signal().to_string();
        let with = |extra: &str| format!("{{{extra},{}", &good[1..]).into_bytes();
        let nested = format!("\"x\":{}{}", "[".repeat(3_000), "]".repeat(3_000));
        assert_eq!(code(&with(&nested)), "not_json");
        let mut bad_utf8 = with("\"x\":\"a\"");
        let at = bad_utf8.iter().position(|&b| b == b'a').unwrap();
        bad_utf8[at] = 0xff;
        assert_eq!(code(&bad_utf8), "not_json");
        // A field of the wrong type is malformed, as through a `serde_json::Value`.
        let mut v = signal();
        v["seq"] = json!("seven");
        assert_eq!(run(T, &v).unwrap_err().code(), "malformed");
        // A key given twice: the probe keeps the last value (a mismatch is named as such),
        // and the typed decode refuses the duplicate (a `Value` used to keep the last one).
        let twice_site = format!("{},\"site\":\"other\"}}", &good[..good.len() - 1]);
        assert_eq!(code(twice_site.as_bytes()), "topic_mismatch");
        let twice_seq = with("\"seq\":8");
        let e = decode(T, &twice_seq, now()).map(|_| ()).unwrap_err();
        assert_eq!(e.code(), "malformed", "{e}");
        assert!(e.to_string().contains("duplicate field `seq`"), "{e}");
    }

    #[test]
    fn rejects_oversized_payloads() {
        let big = vec![b' '; MAX_PAYLOAD_BYTES + 1];
        assert_eq!(decode(T, &big, now()).unwrap_err().code(), "too_large");
    }

    #[test]
    fn rejects_wrong_or_missing_version() {
        let mut v = signal();
        v["v"] = json!(2);
        assert_eq!(
            run(T, &v).unwrap_err(),
            Rejection::WrongVersion { found: "2".into() }
        );
        v["v"] = json!("1");
        assert_eq!(run(T, &v).unwrap_err().code(), "wrong_version");
        v.as_object_mut().unwrap().remove("v");
        assert_eq!(
            run(T, &v).unwrap_err(),
            Rejection::WrongVersion {
                found: "missing".into()
            }
        );
    }

    #[test]
    fn rejects_each_missing_common_field_by_name() {
        for field in COMMON_FIELDS.iter().filter(|f| **f != "v") {
            let mut v = signal();
            v.as_object_mut().unwrap().remove(*field);
            assert_eq!(
                run(T, &v).unwrap_err(),
                Rejection::MissingField(field),
                "{field}"
            );
        }
    }

    #[test]
    fn rejects_topic_disagreement() {
        let err = run("coverage/v1/s2/signal", &signal()).unwrap_err();
        assert_eq!(
            err,
            Rejection::TopicMismatch {
                field: "site",
                topic: "s2".into(),
                payload: "s1".into()
            }
        );
        let err = run("coverage/v1/s1/latency", &signal()).unwrap_err();
        assert!(
            matches!(err, Rejection::TopicMismatch { field: "kind", .. }),
            "{err}"
        );
        assert_eq!(
            run("coverage/v1/s1/resend", &signal()).unwrap_err().code(),
            "bad_topic"
        );
        assert_eq!(
            run("other/s1/signal", &signal()).unwrap_err().code(),
            "bad_topic"
        );
    }

    #[test]
    fn rejects_malformed_bodies_with_the_field_name() {
        let mut v = signal();
        v["tech"] = json!("6g");
        let err = run(T, &v).unwrap_err();
        assert_eq!(err.code(), "malformed");
        assert!(err.to_string().contains("6g"), "{err}");
        let mut v = signal();
        v["seq"] = json!(-1);
        assert_eq!(run(T, &v).unwrap_err().code(), "malformed");
        let mut v = signal();
        v["ts"] = json!("yesterday");
        let err = run(T, &v).unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }

    #[test]
    fn ts_window_edges() {
        let mut v = signal();
        v["ts"] = json!("2025-11-01T08:05:00.000Z");
        assert!(run(T, &v).is_ok(), "exactly 5 minutes ahead is accepted");
        v["ts"] = json!("2025-11-01T08:05:00.001Z");
        assert_eq!(run(T, &v).unwrap_err().code(), "future_ts");
        v["ts"] = json!("2020-01-01T00:00:00.000Z");
        assert!(run(T, &v).is_ok());
        v["ts"] = json!("2019-12-31T23:59:59.999Z");
        assert_eq!(run(T, &v).unwrap_err().code(), "too_old");
        v["ts"] = json!("1970-01-01T00:00:00Z");
        assert_eq!(run(T, &v).unwrap_err().code(), "too_old");
    }

    #[test]
    fn pos_range_edges() {
        for (lat, lon, ok) in [
            (90.0, 180.0, true),
            (-90.0, -180.0, true),
            (90.0001, 0.0, false),
            (0.0, -180.0001, false),
        ] {
            let mut v = signal();
            v["pos"]["lat"] = json!(lat);
            v["pos"]["lon"] = json!(lon);
            assert_eq!(run(T, &v).is_ok(), ok, "({lat}, {lon})");
        }
    }

    #[test]
    fn out_of_range_values_are_nulled_and_flagged_rest_kept() {
        let mut v = signal();
        v["rsrp_dbm"] = json!(-157.0);
        v["ss_sinr_db"] = json!(180.0); // a firmware reporting 0.1 dB units
        v["rssi_dbm"] = json!(-25.0); // edge: kept
        let valid = run(T, &v).unwrap();
        let fields: Vec<_> = valid.flags.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["rsrp_dbm", "ss_sinr_db"]);
        let Body::Signal(s) = valid.reading.body else {
            panic!("signal")
        };
        assert_eq!(s.radio.rsrp_dbm, None);
        assert_eq!(s.radio.ss_sinr_db, None);
        assert_eq!(s.radio.rssi_dbm, Some(-25.0));
        assert_eq!(s.radio.rsrq_db, Some(-10.0));
    }

    #[test]
    fn every_signal_range_edge() {
        for (name, lo, hi) in SIGNAL_RANGES {
            for (value, kept) in [(lo, true), (hi, true), (lo - 0.5, false), (hi + 0.5, false)] {
                let mut v = signal();
                v[name] = json!(value);
                let valid = run(T, &v).unwrap();
                assert_eq!(valid.flags.is_empty(), kept, "{name} = {value}");
            }
        }
    }

    #[test]
    fn negative_rtts_are_nulled() {
        let v = json!({
            "v": 1, "site": "s1", "run": "r1", "seq": 8, "ts": "2025-11-01T07:00:00Z",
            "kind": "latency", "pos": {"lat": 22.16, "lon": 105.84, "src": "config"},
            "agent": "0.1.0", "target": "10.0.0.1", "method": "icmp", "link": "fibre",
            "interface": "eth0", "sent": 3, "received": 3, "dup": 0,
            "rtt_ms": {"min": -1.0, "p50": 2.0, "mean": 2.0, "p95": 3.0, "max": 3.0, "stddev": 1.0},
            "jitter_ms": 0.5, "rtts_ms": [-1.0, 2.0, 3.0]
        });
        let valid = run("coverage/v1/s1/latency", &v).unwrap();
        let fields: Vec<_> = valid.flags.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["rtt_ms.min", "rtts_ms[0]"]);
        let Body::Latency(l) = valid.reading.body else {
            panic!("latency")
        };
        assert_eq!(l.rtt_ms, None);
        assert_eq!(l.rtts_ms, vec![None, Some(2.0), Some(3.0)]);
        assert_eq!(l.jitter_ms, Some(0.5));
    }

    #[test]
    fn fields_that_become_tags_or_identities_are_checked() {
        let cases: [(&str, Value, &str); 10] = [
            ("run", json!(""), "run"),
            ("run", json!("   "), "run"),
            ("run", json!("r 1"), "run"),
            ("run", json!("r".repeat(65)), "run"),
            ("modem", json!(""), "modem"),
            ("modem", json!("m\n,x=1"), "modem"),
            ("modem", json!("m".repeat(129)), "modem"),
            (
                "operator",
                json!({"mcc": "452", "mnc": "04\n,x=1"}),
                "operator.mnc",
            ),
            (
                "operator",
                json!({"mcc": "45", "mnc": "04"}),
                "operator.mcc",
            ),
            ("serving", json!({"mcc": "452", "mnc": "4"}), "serving.mnc"),
        ];
        for (key, value, field) in cases {
            let mut v = signal();
            v[key] = value.clone();
            match run("coverage/v1/s1/signal", &v) {
                Err(Rejection::BadField { field: f, .. }) => assert_eq!(f, field, "{key}={value}"),
                other => panic!("{key}={value}: {other:?}"),
            }
        }
        // At the edges: 64-character run, 128-character modem, 3-digit MNC, Vietnamese text.
        let mut v = signal();
        v["run"] = json!("A-z_9".repeat(12) + "abcd");
        v["modem"] = json!("Quectel EC25 ở nhà văn hoá".to_owned() + &"x".repeat(102));
        v["operator"] = json!({"mcc": "452", "mnc": "004"});
        assert!(run("coverage/v1/s1/signal", &v).is_ok());
        let err = {
            let mut v = signal();
            v["run"] = json!("");
            run("coverage/v1/s1/signal", &v).unwrap_err()
        };
        assert_eq!(err.code(), "bad_field");
        assert!(err.to_string().contains("field run is \"\""), "{err}");
    }

    #[test]
    fn integers_beyond_the_stores_signed_range_are_rejected_not_saturated() {
        // Found by the fuzz test in CI: a seq of 2^63 was stored as 2^63 - 1 (another reading).
        let mut v = signal();
        v["seq"] = json!(i64::MAX as u64);
        assert!(run("coverage/v1/s1/signal", &v).is_ok());
        v["seq"] = json!(i64::MAX as u64 + 1);
        match run("coverage/v1/s1/signal", &v) {
            Err(Rejection::BadField { field, value, .. }) => {
                assert_eq!((field, value.as_str()), ("seq", "9223372036854775808"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn probe_targets_and_interfaces_are_checked() {
        let latency = json!({"v":1,"site":"s1","run":"r1","seq":1,"ts":"2025-06-01T00:00:00.000Z",
            "kind":"latency","pos":{"lat":22.1,"lon":105.8,"src":"config"},"agent":"0.1.0",
            "target":"10.0.0.1","method":"icmp","link":"fibre","interface":"eth0","sent":5,
            "received":5,"dup":0,"rtt_ms":null,"jitter_ms":null,"rtts_ms":[]});
        assert!(run("coverage/v1/s1/latency", &latency).is_ok());
        for (key, value) in [("target", ""), ("target", "a\tb"), ("interface", " ")] {
            let mut v = latency.clone();
            v[key] = json!(value);
            assert!(
                matches!(run("coverage/v1/s1/latency", &v), Err(Rejection::BadField { field, .. }) if field == key),
                "{key}={value:?}"
            );
        }
    }

    #[test]
    fn hostile_input_never_panics() {
        let inputs: [&[u8]; 6] = [
            b"",
            b"null",
            b"{\"v\":1e400}",
            b"{\"v\":1,\"site\":{\"$gt\":1}}",
            &[b'['; 10_000],
            b"{\"v\":1,\"site\":\"s1\",\"run\":\"r\",\"seq\":1,\"ts\":\"2025-11-01T07:00:00Z\",\"kind\":\"signal\",\"pos\":{\"lat\":\"x\"},\"agent\":\"a\"}",
        ];
        for input in inputs {
            assert!(decode(T, input, now()).is_err());
        }
    }
}

//! Readings to InfluxDB line protocol, with the schema of DESIGN.md ("InfluxDB schema").
//!
//! Invariants that keep the database consistent over years of writes:
//!
//! - Tags are never empty: a missing value leaves the tag out (InfluxDB 1.x rejects `k=`).
//! - dBm, dB, ms, Mbit/s and lat/lon are always floats, counters and `seq` always signed
//!   integers (`i`; InfluxDB 1.x rejects `u`), ids and names strings: a field never changes type.
//! - Null values are left out; NaN and infinities are never written.
//! - The timestamp is the reading's `ts` in milliseconds (write with `precision=ms`), so a
//!   reading delivered twice writes the same point twice: writes are idempotent.
//!
//! Lines are escaped by the rules of InfluxData's `influxdb-line-protocol` builder (which the
//! audit's archive parser reads back), with a faster builder of the same bytes ([`builder`]).
//!
//! This is the one line builder of the project (cargo feature `line-protocol`): the collector's
//! sink writes with it and `coverage-gen` generates load with it, so a generated database is
//! byte for byte what the collector would have written from the same readings.

use crate::schema::{field, tag};
use crate::wire::{Body, Reading};
use builder::Line;

pub mod builder;
pub mod status;

/// A line with its measurement, taking tags.
type Tags = Line;
/// A line with at least one field, taking fields.
type Fields = Line;

/// The placement tags of a site's point; each is left out when unknown.
///
/// Who computes it is the writer's business (the collector's enricher caches it per site
/// position); this module only writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SitePlacement {
    /// Boundary set name.
    pub set: Option<String>,
    /// Province code.
    pub province: Option<String>,
    /// Commune code within `set`.
    pub commune: Option<String>,
    /// District code (sets with districts only).
    pub district: Option<String>,
}

/// A heartbeat's `seq_ranges` as the string field the coordinator reads back:
/// `run:first-last` joined by `,` (runs are `[A-Za-z0-9_-]`, so neither `:` nor `,` occurs in
/// them).
pub fn seq_ranges_text(ranges: &[crate::wire::SeqRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{}:{}-{}", r.run, r.first, r.last))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads [`seq_ranges_text`] back; `None` when any part is out of shape.
pub fn parse_seq_ranges(text: &str) -> Option<Vec<crate::wire::SeqRange>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',')
        .map(|part| {
            let (run, span) = part.rsplit_once(':')?;
            let (first, last) = span.split_once('-')?;
            Some(crate::wire::SeqRange {
                run: run.to_owned(),
                first: first.parse().ok()?,
                last: last.parse().ok()?,
            })
        })
        .collect()
}

/// Appends `v` as a float field when present and finite.
fn float(b: Fields, key: &str, v: Option<f64>) -> Fields {
    match v {
        Some(v) if v.is_finite() => b.field(key, v),
        _ => b,
    }
}

/// Appends `v` as a signed integer field when present.
fn int(b: Fields, key: &str, v: Option<i64>) -> Fields {
    match v {
        Some(v) => b.field(key, v),
        None => b,
    }
}

/// Line protocol cannot carry a newline (or other control character) in a tag or a string
/// field, even escaped: replace them with spaces so a hostile value cannot forge a line.
fn clean(v: &str) -> std::borrow::Cow<'_, str> {
    if v.chars().any(char::is_control) {
        v.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        v.into()
    }
}

/// Appends `v` as a string field when present.
fn string(b: Fields, key: &str, v: Option<&str>) -> Fields {
    match v {
        Some(v) => b.field(key, clean(v).as_ref()),
        None => b,
    }
}

/// Appends a tag when the value is present and not empty (after cleaning).
///
/// A backslash in a tag value is replaced by `/`: InfluxDB 1.x stores an escaped `\\` in a
/// tag as two backslashes while the line-protocol parser (the archive's) reads one, so the same
/// line would give different tags in the two stores and the audit's `target = '...'` filter
/// would match in one and not the other. No site id, modem name or probe target needs one.
fn tag(b: Tags, key: &str, v: Option<&str>) -> Tags {
    match v.map(clean) {
        Some(v) if !v.trim().is_empty() => {
            if v.contains('\\') {
                b.tag(key, &v.replace('\\', "/"))
            } else {
                b.tag(key, v.as_ref())
            }
        }
        _ => b,
    }
}

/// Saturating conversion for counters: a `u64` beyond `i64::MAX` cannot be a real counter.
fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Appends one reading as one line to `buf`, tagged with the site's placement.
pub fn append_line(buf: Vec<u8>, reading: &Reading, placement: &SitePlacement) -> Vec<u8> {
    let h = &reading.header;
    let b = Line::new_with(buf)
        .measurement(reading.kind().as_str())
        .tag(tag::SITE, &h.site);
    let mut b = tag(b, tag::RUN, Some(&h.run));
    b = tag(b, tag::SET, placement.set.as_deref());
    b = tag(b, tag::PROVINCE, placement.province.as_deref());
    b = tag(b, tag::COMMUNE, placement.commune.as_deref());
    b = tag(b, tag::DISTRICT, placement.district.as_deref());
    let b = match &reading.body {
        Body::Signal(s) => {
            let operator = s.operator.id();
            b = tag(b, tag::OPERATOR, Some(&operator));
            b = tag(b, tag::TECH, Some(s.radio.tech.as_str()));
            b = tag(b, tag::REG, Some(s.radio.reg.as_str()));
            b = tag(b, tag::MODEM, Some(&s.modem));
            b = tag(b, tag::PLACEMENT, Some(s.placement.as_str()));
            let mut f = b.field(field::SEQ, i(h.seq));
            for (name, value) in s.radio.values() {
                f = float(f, name, value);
            }
            if let Some(cell) = &s.radio.cell {
                f = string(f, "cell_lac", cell.lac.as_deref());
                f = string(f, "cell_tac", cell.tac.as_deref());
                f = string(f, "cell_ci", cell.ci.as_deref());
                f = int(f, "cell_pci", cell.pci.map(i64::from));
                f = int(f, "cell_arfcn", cell.arfcn.map(i64::from));
                f = string(f, "cell_band", cell.band.as_deref());
            }
            let serving = s.serving.as_ref().map(|p| p.id());
            f = string(f, "serving", serving.as_deref());
            f = string(f, "operator_name", s.operator.name.as_deref());
            let antenna = match s.antenna {
                crate::wire::Antenna::Internal => "internal",
                crate::wire::Antenna::External => "external",
            };
            string(f, "antenna", Some(antenna))
        }
        Body::Latency(l) => {
            b = tag(b, tag::TARGET, Some(&l.target));
            b = tag(b, tag::METHOD, Some(l.method.as_str()));
            b = tag(b, tag::LINK, Some(l.link.as_str()));
            let mut f = b.field(field::SEQ, i(h.seq));
            f = f.field(field::SENT, i64::from(l.sent));
            f = f.field(field::RECEIVED, i64::from(l.received));
            f = f.field("dup", i64::from(l.dup));
            f = int(f, "refused", l.refused.map(i64::from));
            if let Some(r) = &l.rtt_ms {
                f = float(f, "rtt_min_ms", Some(r.min));
                f = float(f, field::RTT_P50_MS, Some(r.p50));
                f = float(f, "rtt_mean_ms", Some(r.mean));
                f = float(f, "rtt_p95_ms", Some(r.p95));
                f = float(f, "rtt_max_ms", Some(r.max));
                f = float(f, "rtt_stddev_ms", Some(r.stddev));
            }
            f = float(f, "jitter_ms", l.jitter_ms);
            f = string(f, "interface", l.interface.as_deref());
            string(f, "error", l.error.as_deref())
        }
        Body::Throughput(t) => {
            b = tag(b, tag::TARGET, Some(&t.target));
            b = tag(b, tag::LINK, Some(t.link.as_str()));
            b = tag(b, tag::DIRECTION, Some(t.direction.as_str()));
            let mut f = b.field(field::SEQ, i(h.seq));
            f = f.field("bytes", i(t.bytes));
            f = float(f, "duration_ms", Some(t.duration_ms));
            f = float(f, "mbps", t.mbps);
            f = string(f, "interface", t.interface.as_deref());
            string(f, "error", t.error.as_deref())
        }
        Body::Heartbeat(hb) => {
            let mut f = b.field(field::SEQ, i(h.seq));
            f = f.field("uptime_s", i(hb.uptime_s));
            if let Some(interval) = hb.interval_s {
                f = f.field("interval_s", i(interval));
            }
            f = f.field("spool_depth", i(hb.spool_depth));
            f = f.field("spool_dropped", i(hb.spool_dropped));
            f = float(f, "clock_sync_age_s", hb.clock_sync_age_s);
            f = f.field("modems", i64::try_from(hb.modems.len()).unwrap_or(i64::MAX));
            let ranges = (!hb.seq_ranges.is_empty()).then(|| seq_ranges_text(&hb.seq_ranges));
            f = string(f, field::SEQ_RANGES, ranges.as_deref());
            string(f, "agent", Some(&h.agent))
        }
    };
    let mut f = float(b, field::POS_LAT, Some(h.pos.lat));
    f = float(f, field::POS_LON, Some(h.pos.lon));
    f = float(f, "pos_acc_m", h.pos.acc_m);
    if let Some(synced) = h.clock_synced {
        f = f.field("clock_synced", synced);
    }
    f.timestamp(h.ts.timestamp_millis()).close_line().build()
}

/// A field value of a derived point (docs/operations.md): rollups, site status, marks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A signed integer (`i`).
    Int(i64),
    /// A float; non-finite values are left out.
    Float(f64),
    /// A string.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
}

/// One derived point as one line (with its newline), by the invariants above: empty tag
/// values are left out, strings cleaned of control characters, non-finite floats left out;
/// `None` when no field is left (a line needs one). `ts_ms` in milliseconds.
pub fn derived_line(
    measurement: &str,
    tags: &[(&str, &str)],
    fields: &[(&str, Value<'_>)],
    ts_ms: i64,
) -> Option<String> {
    let mut b = Line::new_with(Vec::with_capacity(256)).measurement(measurement);
    for (k, v) in tags {
        b = tag(b, k, Some(v));
    }
    let mut any = false;
    for (k, v) in fields {
        b = match *v {
            Value::Int(i) => b.field(k, i),
            Value::Float(f) if f.is_finite() => b.field(k, f),
            Value::Float(_) => continue,
            Value::Str(s) => b.field(k, clean(s).as_ref()),
            Value::Bool(x) => b.field(k, x),
        };
        any = true;
    }
    any.then(|| String::from_utf8(b.timestamp(ts_ms).close_line().build()).unwrap_or_default())
}

/// One reading as one line (with its trailing newline).
pub fn line(reading: &Reading, placement: &SitePlacement) -> String {
    // The builder only ever writes UTF-8 (it copies &str and formats numbers).
    String::from_utf8(append_line(Vec::with_capacity(384), reading, placement)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::decode;
    use influxdb_line_protocol::{FieldValue, parse_lines};

    fn reading(topic: &str, json: &str) -> Reading {
        decode(topic, json.as_bytes(), chrono::Utc::now())
            .unwrap()
            .reading
    }

    fn placed() -> SitePlacement {
        SitePlacement {
            set: Some("bac-kan-2020".into()),
            province: Some("06".into()),
            commune: Some("01834".into()),
            district: Some("058".into()),
        }
    }

    #[test]
    fn signal_line_has_schema_tags_and_typed_fields() {
        let r = reading(
            "coverage/v1/s 1/signal".replace(' ', "_").as_str(),
            r#"{"v":1,"site":"s_1","run":"r1","seq":7,"ts":"2025-11-01T07:00:00.250Z","kind":"signal",
            "clock_synced":true,"pos":{"lat":22.16,"lon":105.84,"src":"config"},"agent":"0.1.0",
            "modem":"m 0","operator":{"mcc":"452","mnc":"04","name":"Viettel"},"placement":"indoor",
            "antenna":"internal","tech":"lte","reg":"home","rssi_dbm":-70,"rsrp_dbm":-95.5,
            "rsrq_db":null,"sinr_db":12,"cell":{"tac":"1F00","ci":"79D903","pci":3,"band":"B3"}}"#,
        );
        let text = line(&r, &placed());
        let parsed: Vec<_> = parse_lines(&text).collect::<Result<_, _>>().unwrap();
        assert_eq!(parsed.len(), 1);
        let p = &parsed[0];
        assert_eq!(p.series.measurement.as_str(), "signal");
        for (k, v) in [
            ("site", "s_1"),
            ("run", "r1"),
            ("set", "bac-kan-2020"),
            ("province", "06"),
            ("commune", "01834"),
            ("district", "058"),
            ("operator", "452-04"),
            ("tech", "lte"),
            ("reg", "home"),
            ("modem", "m 0"),
            ("placement", "indoor"),
        ] {
            assert_eq!(p.tag_value(k).map(|t| t.as_str()), Some(v), "tag {k}");
        }
        assert!(matches!(p.field_value("seq"), Some(FieldValue::I64(7))));
        assert!(matches!(p.field_value("rssi_dbm"), Some(FieldValue::F64(v)) if *v == -70.0));
        assert!(matches!(p.field_value("rsrp_dbm"), Some(FieldValue::F64(v)) if *v == -95.5));
        assert!(p.field_value("rsrq_db").is_none(), "nulls are left out");
        assert!(matches!(
            p.field_value("cell_pci"),
            Some(FieldValue::I64(3))
        ));
        assert!(
            matches!(p.field_value("cell_ci"), Some(FieldValue::String(s)) if s.as_str() == "79D903")
        );
        assert!(matches!(
            p.field_value("clock_synced"),
            Some(FieldValue::Boolean(true))
        ));
        assert_eq!(p.timestamp, Some(1_761_980_400_250));
        assert!(
            !text.contains("u,") && !text.contains("u "),
            "no unsigned integers: {text}"
        );
    }

    #[test]
    fn missing_placement_leaves_tags_out_and_latency_is_flattened() {
        let r = reading(
            "coverage/v1/s1/latency",
            r#"{"v":1,"site":"s1","run":"r1","seq":8,"ts":"2025-11-01T07:00:00Z","kind":"latency",
            "pos":{"lat":22.16,"lon":105.84,"src":"config"},"agent":"0.1.0","target":"10.0.0.1",
            "method":"icmp","link":"fibre","interface":"eth0","sent":10,"received":9,"dup":0,
            "rtt_ms":{"min":1,"p50":2,"mean":2.1,"p95":3,"max":3.5,"stddev":0.4},"jitter_ms":0.2,
            "rtts_ms":[1,2,null]}"#,
        );
        let text = line(&r, &SitePlacement::default());
        assert!(
            !text.contains("set=") && !text.contains("commune="),
            "{text}"
        );
        let p = parse_lines(&text).next().unwrap().unwrap();
        assert!(matches!(p.field_value("rtt_p50_ms"), Some(FieldValue::F64(v)) if *v == 2.0));
        assert!(matches!(p.field_value("sent"), Some(FieldValue::I64(10))));
        assert!(p.field_value("clock_synced").is_none());
        assert_eq!(p.tag_value("link").map(|t| t.as_str()), Some("fibre"));
    }

    #[test]
    fn tcp_refusals_are_an_integer_field_and_absent_otherwise() {
        let json = r#"{"v":1,"site":"s1","run":"r1","seq":8,"ts":"2025-11-01T07:00:00Z","kind":"latency",
            "pos":{"lat":22.16,"lon":105.84,"src":"config"},"agent":"0.1.0","target":"10.0.0.1:443",
            "method":"tcp","link":"fibre","sent":5,"received":5,"refused":5,"rtts_ms":[1,1,1,1,1]}"#;
        let text = line(&reading("coverage/v1/s1/latency", json), &placed());
        let p = parse_lines(&text).next().unwrap().unwrap();
        assert!(
            matches!(p.field_value("refused"), Some(FieldValue::I64(5))),
            "{text}"
        );
        assert!(matches!(
            p.field_value("received"),
            Some(FieldValue::I64(5))
        ));
        let older = json.replace(r#""refused":5,"#, "");
        let text = line(&reading("coverage/v1/s1/latency", &older), &placed());
        let p = parse_lines(&text).next().unwrap().unwrap();
        assert!(p.field_value("refused").is_none(), "{text}");
    }

    #[test]
    fn backslashes_in_tags_become_slashes() {
        let r = reading(
            "coverage/v1/s1/latency",
            r#"{"v":1,"site":"s1","run":"r1","seq":8,"ts":"2025-11-01T07:00:00Z","kind":"latency",
            "pos":{"lat":22.16,"lon":105.84,"src":"config"},"agent":"0.1.0","target":"\\\\dc\\ping",
            "method":"icmp","link":"fibre","sent":1,"received":1,"rtts_ms":[1.0]}"#,
        );
        let text = line(&r, &placed());
        let p = parse_lines(&text).next().unwrap().unwrap();
        assert_eq!(
            p.tag_value("target").map(|t| t.as_str()),
            Some("//dc/ping"),
            "{text}"
        );
    }

    #[test]
    fn hostile_strings_are_escaped() {
        let r = reading(
            "coverage/v1/s1/heartbeat",
            r#"{"v":1,"site":"s1","run":"r1","seq":9,"ts":"2025-11-01T07:00:00Z","kind":"heartbeat",
            "pos":{"lat":1,"lon":2,"src":"gps"},"agent":"x\" y=1,z\nw","uptime_s":1,"spool_depth":2,
            "spool_dropped":0}"#,
        );
        let text = line(&r, &placed());
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        let p = parse_lines(&text).next().unwrap().unwrap();
        assert!(
            matches!(p.field_value("agent"), Some(FieldValue::String(s)) if s.as_str().starts_with("x"))
        );
    }

    #[test]
    fn heartbeat_interval_is_an_int_field_and_absent_from_old_agents() {
        let json = |extra: &str| {
            format!(
                r#"{{"v":1,"site":"s1","run":"r1","seq":9,"ts":"2025-11-01T07:00:00Z","kind":"heartbeat",
                "pos":{{"lat":1,"lon":2,"src":"gps"}},"agent":"0.2.0","uptime_s":1,"spool_depth":2,
                "spool_dropped":0{extra}}}"#
            )
        };
        let text = line(
            &reading("coverage/v1/s1/heartbeat", &json(r#","interval_s":60"#)),
            &placed(),
        );
        let p = parse_lines(&text).next().unwrap().unwrap();
        assert!(
            matches!(p.field_value("interval_s"), Some(FieldValue::I64(60))),
            "{text}"
        );
        let old = line(&reading("coverage/v1/s1/heartbeat", &json("")), &placed());
        let p = parse_lines(&old).next().unwrap().unwrap();
        assert!(p.field_value("interval_s").is_none(), "{old}");
    }
}

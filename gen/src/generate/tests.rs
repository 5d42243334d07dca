//! The generator's promises: determinism, validity, statistics as asked, time order and seq.

use super::*;
use crate::scenario::{LatencySpec, Period, RegMix, Scenario, SimSpec, SiteSpec, Window};
use chrono::TimeZone;
use coverage_shared::signal::{Exclusion, Sample, SampleClass, UsablePolicy, classify};
use coverage_shared::topic::reading_topic;
use coverage_shared::validate::decode;
use coverage_shared::wire::{Antenna, Kind, Link, Method, Placement, Tech};

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, d, h, 0, 0).unwrap()
}

fn sim(op: &str, per_hour: u32, usable: f64) -> SimSpec {
    SimSpec {
        operator: op.into(),
        modem: None,
        tech: Tech::Lte,
        samples_per_hour: per_hour,
        hours: Vec::new(),
        usable_share: usable,
        threshold_dbm: None,
        reg: RegMix::default(),
        unsynced_share: 0.0,
        null_share: 0.0,
    }
}

fn site(id: &str, sims: Vec<SimSpec>) -> SiteSpec {
    SiteSpec {
        id: id.into(),
        lat: 22.162534,
        lon: 105.844234,
        placement: Placement::Indoor,
        antenna: Antenna::External,
        sims,
        fibre: Vec::new(),
        throughput: Vec::new(),
    }
}

fn scenario(days: u32, sites: Vec<SiteSpec>) -> Scenario {
    let s = Scenario {
        seed: 1,
        heartbeat_s: 0,
        period: Period {
            from: at(1, 0),
            to: at(1 + days, 0),
            utc_offset_hours: 7,
        },
        sites,
    };
    s.validate().unwrap();
    s
}

fn mixed() -> Scenario {
    let mut a = site("a", vec![sim("452-04", 60, 0.8), sim("452-02", 12, 0.5)]);
    a.sims[0].reg = RegMix {
        home: 0.9,
        roaming: 0.02,
        searching: 0.04,
        denied: 0.02,
        unknown: 0.02,
    };
    a.sims[0].null_share = 0.05;
    a.sims[0].unsynced_share = 0.1;
    a.sims[1].tech = Tech::Gsm;
    a.fibre.push(LatencySpec {
        target: "10.6.0.1".into(),
        link: Link::Fibre,
        method: Method::Icmp,
        interface: Some("eth0".into()),
        rounds_per_hour: 12,
        probes: 10,
        rtt_ms: 8.0,
        rtt_stddev_ms: 2.0,
        loss: 0.05,
        outages: vec![Window {
            from: at(1, 3),
            to: at(1, 5),
        }],
    });
    a.throughput.push(crate::scenario::ThroughputSpec {
        target: "speed".into(),
        link: Link::Fibre,
        interface: None,
        down_mbps: 90.0,
        up_mbps: 40.0,
        samples: 3,
    });
    let mut b = site("b", vec![sim("452-01", 30, 0.99)]);
    b.sims[0].tech = Tech::Umts;
    b.sims[0].hours = vec![7, 8, 9, 10];
    scenario(2, vec![a, b])
}

#[test]
fn same_seed_same_readings_other_seed_other_values() {
    let s = mixed();
    let one: Vec<Reading> = generate(&s, 9).collect();
    let two: Vec<Reading> = generate(&s, 9).collect();
    assert!(!one.is_empty());
    assert_eq!(one, two);
    let other: Vec<Reading> = generate(&s, 10).collect();
    assert_eq!(
        one.len(),
        other.len(),
        "the schedule does not depend on values"
    );
    assert_ne!(one, other);
}

#[test]
fn every_reading_is_valid_ordered_and_counted_up() {
    let s = mixed();
    let readings = generate(&s, 3);
    let expected = readings.count_remaining();
    let now = s.period.to;
    let mut last_ts = i64::MIN;
    let mut seq: std::collections::BTreeMap<String, u64> = Default::default();
    let mut kinds = std::collections::BTreeSet::new();
    let mut n = 0;
    for r in readings {
        n += 1;
        let topic = reading_topic(&r.header.site, r.kind());
        let valid = decode(&topic, r.to_json().as_bytes(), now)
            .unwrap_or_else(|e| panic!("{e}: {}", r.to_json()));
        assert!(valid.flags.is_empty(), "{:?}", valid.flags);
        assert_eq!(valid.reading, r, "decoding changes nothing");
        let ts = r.header.ts.timestamp_millis();
        assert!(ts >= last_ts && r.header.ts >= s.period.from && r.header.ts < s.period.to);
        last_ts = ts;
        let next = seq.entry(r.header.site.clone()).or_default();
        *next += 1;
        assert_eq!(r.header.seq, *next, "seq +1 per reading of a site");
        kinds.insert(r.kind());
    }
    assert_eq!(n, expected);
    assert_eq!(
        kinds,
        [Kind::Signal, Kind::Latency, Kind::Throughput].into()
    );
}

#[test]
fn schedule_gives_the_asked_rates_and_hours() {
    let s = mixed();
    let mut per: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for r in generate(&s, 1) {
        let key = match &r.body {
            Body::Signal(sig) => {
                if r.header.site == "b" {
                    // Measured local hours (UTC+7) only.
                    let local = (r.header.ts.timestamp() / 3600 + 7).rem_euclid(24);
                    assert!((7..=10).contains(&local), "hour {local}");
                }
                sig.operator.id()
            }
            Body::Latency(_) => "latency".into(),
            Body::Throughput(t) => t.direction.as_str().into(),
            Body::Heartbeat(_) => "heartbeat".into(),
        };
        *per.entry((r.header.site.clone(), key)).or_default() += 1;
    }
    let get = |s: &str, k: &str| per[&(s.to_owned(), k.to_owned())];
    assert_eq!(get("a", "452-04"), 48 * 60);
    assert_eq!(get("a", "452-02"), 48 * 12);
    assert_eq!(get("a", "latency"), 48 * 12);
    assert_eq!(get("a", "down"), 3);
    assert_eq!(get("a", "up"), 3);
    assert_eq!(get("b", "452-01"), 2 * 4 * 30);
}

/// `k` successes in `n` trials are within 4.5 standard deviations of `p`.
fn binomial_ok(k: u64, n: u64, p: f64) -> bool {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (k as f64 - mean).abs() <= 4.5 * sd.max(0.5)
}

#[test]
fn usable_share_and_mixes_come_out_as_asked() {
    // 10,080 samples of one SIM: one week at one per minute.
    let mut one = site("s", vec![sim("452-04", 60, 0.9)]);
    one.sims[0].reg = RegMix {
        home: 0.85,
        roaming: 0.05,
        searching: 0.05,
        denied: 0.03,
        unknown: 0.02,
    };
    one.sims[0].null_share = 0.04;
    one.sims[0].unsynced_share = 0.06;
    let s = scenario(7, vec![one]);
    let policy = UsablePolicy::default();
    let mut n = 0u64;
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    let (mut with_value, mut above) = (0u64, 0u64);
    for r in generate(&s, 5) {
        let Body::Signal(sig) = &r.body else {
            unreachable!("signal only")
        };
        n += 1;
        let class = classify(
            Sample {
                radio: &sig.radio,
                operator: "452-04",
                placement: Some(sig.placement),
                clock_synced: r.header.clock_synced,
            },
            &policy,
        );
        let name = match class {
            SampleClass::Usable => "usable".to_owned(),
            SampleClass::Unusable => "unusable".to_owned(),
            SampleClass::Excluded(e) => format!("{e:?}"),
        };
        *counts.entry(name).or_default() += 1;
        *counts.entry(sig.radio.reg.as_str().to_owned()).or_default() += 1;
        if let Some(v) = sig.radio.rsrp_dbm {
            with_value += 1;
            above += u64::from(v >= -110.0);
        }
    }
    assert_eq!(n, 7 * 24 * 60);
    let c = |k: &str| counts.get(k).copied().unwrap_or(0);
    // The share above the threshold, among samples with a value.
    assert!(binomial_ok(above, with_value, 0.9), "{above}/{with_value}");
    for (reg, p) in [
        ("home", 0.85),
        ("roaming", 0.05),
        ("searching", 0.05),
        ("denied", 0.03),
        ("unknown", 0.02),
    ] {
        assert!(binomial_ok(c(reg), n, p), "{reg}: {} of {n}", c(reg));
    }
    assert!(binomial_ok(
        c(&format!("{:?}", Exclusion::ClockNotSynced)),
        n,
        0.06
    ));
    // Usable as the audit counts it: synced, home (roaming does not count by default), with a
    // value, above the threshold.
    let p_usable = 0.94 * 0.85 * 0.96 * 0.9;
    assert!(
        binomial_ok(c("usable"), n, p_usable),
        "{} of {n}",
        c("usable")
    );
}

#[test]
fn outages_lose_every_probe_and_loss_is_as_asked() {
    let s = mixed();
    let (mut sent, mut received) = (0u64, 0u64);
    for r in generate(&s, 2) {
        let Body::Latency(l) = &r.body else { continue };
        let h = r.header.ts;
        if h >= at(1, 3) && h < at(1, 5) {
            assert_eq!(l.received, 0);
            assert!(l.rtt_ms.is_none());
            continue;
        }
        assert_eq!(l.rtts_ms.len(), 10);
        assert_eq!(l.rtts_ms.iter().flatten().count() as u32, l.received);
        if let Some(st) = l.rtt_ms {
            assert!(st.min <= st.p50 && st.p50 <= st.p95 && st.p95 <= st.max);
        }
        sent += u64::from(l.sent);
        received += u64::from(l.received);
    }
    assert!(
        binomial_ok(sent - received, sent, 0.05),
        "{received}/{sent}"
    );
}

#[test]
fn values_stay_in_range_on_both_sides_of_the_threshold() {
    let mut gsm = sim("452-04", 600, 0.5);
    gsm.tech = Tech::Gsm;
    let mut nr = sim("452-04", 600, 0.5);
    nr.tech = Tech::Nr5gSa;
    nr.threshold_dbm = Some(-100.5);
    let s = scenario(1, vec![site("x", vec![gsm, nr])]);
    for r in generate(&s, 8) {
        let Body::Signal(sig) = &r.body else { continue };
        let (field, t) = match sig.radio.tech {
            Tech::Gsm => ("rssi_dbm", -100.0),
            _ => ("ss_rsrp_dbm", -100.5),
        };
        let (_, lo, hi) = SIGNAL_RANGES.iter().find(|f| f.0 == field).unwrap();
        let v = sig
            .radio
            .values()
            .into_iter()
            .find(|(n, _)| *n == field)
            .and_then(|(_, v)| v)
            .unwrap();
        assert!((*lo..=*hi).contains(&v), "{field} {v}");
        assert!((v - t).abs() <= 30.0 + 1e-9, "{field} {v}");
    }
}

#[test]
fn heartbeats_come_every_interval_and_leave_other_streams_alone() {
    let quiet = mixed();
    let mut beating = mixed();
    beating.heartbeat_s = 300;
    let without: Vec<Reading> = generate(&quiet, 3).collect();
    let with: Vec<Reading> = generate(&beating, 3).collect();
    let heartbeats: Vec<&Reading> = with
        .iter()
        .filter(|r| matches!(r.body, Body::Heartbeat(_)))
        .collect();
    // Two sites, 48 hours, one every 5 minutes.
    assert_eq!(heartbeats.len(), 2 * 48 * 12);
    for r in &heartbeats {
        let Body::Heartbeat(h) = &r.body else {
            unreachable!()
        };
        assert_eq!(h.interval_s, Some(300));
        let since_start = (r.header.ts - beating.period.from).num_seconds();
        assert_eq!(h.uptime_s, u64::try_from(since_start).unwrap());
        decode(
            &reading_topic(&r.header.site, Kind::Heartbeat),
            r.to_json().as_bytes(),
            beating.period.to,
        )
        .unwrap();
    }
    let site_a = heartbeats.iter().filter(|r| r.header.site == "a").count();
    assert_eq!(site_a, 48 * 12);
    // The other readings are the same values (seq numbers shift around the heartbeats).
    let bodies = |v: &[Reading]| -> Vec<Body> {
        v.iter()
            .filter(|r| !matches!(r.body, Body::Heartbeat(_)))
            .map(|r| r.body.clone())
            .collect()
    };
    assert_eq!(bodies(&with), bodies(&without));
    assert_eq!(generate(&beating, 3).count_remaining(), with.len() as u64);
}

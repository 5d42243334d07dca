//! Shared by the audit integration tests: a deterministic data set (as line protocol, written
//! identically to InfluxDB and to an archive file), a brute-force aggregation of it computed
//! from the generated values (not from the lines), and a throw-away InfluxDB 1.x server (the workspace's `coverage-harness`).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use coverage_audit::source::archive::{influx_median, parse_placement};
use coverage_audit::source::{
    AggregateQuery, Aggregates, FibreRow, FieldCounts, MobileKey, MobileRow, SitePosition,
    ThroughputRow, hour_of, round_mbps,
};
use coverage_audit::{AuditConfig, SiteEntry};
use coverage_shared::signal::{
    SampleClass, Thresholds, UsablePolicy, classify_parts, deciding_field,
};
use coverage_shared::wire::{Placement, Reg, Tech};

/// Start of the generated period: 2024-03-04T00:00:00Z (bac-kan-2020 in force).
pub const T0: i64 = 1_709_510_400_000;
/// Hours generated.
pub const HOURS: i64 = 48;
/// One hour, ms.
pub const H: i64 = 3_600_000;
/// The fibre target, with a quote and a backslash to exercise escaping.
pub const TARGET: &str = r"dc'x\y";

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        // Two decimals, like a modem.
        ((lo + (hi - lo) * self.unit()) * 100.0).round() / 100.0
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One `signal` point.
#[derive(Debug, Clone)]
pub struct Sample {
    pub site: String,
    pub operator: String,
    pub tech: String,
    pub reg: String,
    pub placement: Option<String>,
    pub values: Vec<(&'static str, f64)>,
    pub clock: Option<bool>,
    pub ts: i64,
    pub seq: i64,
    pub lat: f64,
    pub lon: f64,
}

/// One `latency` point.
#[derive(Debug, Clone)]
pub struct Round {
    pub site: String,
    pub target: String,
    pub link: &'static str,
    pub method: &'static str,
    pub sent: i64,
    pub received: i64,
    pub rtt_p50: Option<f64>,
    pub ts: i64,
    pub seq: i64,
    pub lat: f64,
    pub lon: f64,
}

/// One `heartbeat` point.
#[derive(Debug, Clone)]
pub struct Beat {
    pub site: String,
    pub ts: i64,
    pub seq: i64,
    pub lat: f64,
    pub lon: f64,
}

/// One `throughput` point.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub site: String,
    pub link: &'static str,
    pub direction: &'static str,
    pub bytes: i64,
    pub duration_ms: f64,
    /// `None`: the transfer failed.
    pub mbps: Option<f64>,
    pub ts: i64,
    pub seq: i64,
    pub lat: f64,
    pub lon: f64,
}

/// The generated data set.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub samples: Vec<Sample>,
    pub rounds: Vec<Round>,
    pub beats: Vec<Beat>,
    pub transfers: Vec<Transfer>,
}

/// Inside points of some bac-kan-2020 communes (data/boundaries/bac-kan-communes-2020.csv).
pub const P01834: (f64, f64) = (22.162534, 105.844234);
pub const P01837: (f64, f64) = (22.14579, 105.816676);
pub const P01840: (f64, f64) = (22.140228, 105.847142);
pub const P01843: (f64, f64) = (22.134644, 105.832261);
pub const P01846: (f64, f64) = (22.172623, 105.835905);
pub const P01849: (f64, f64) = (22.169521, 105.802103);
/// Hà Nội: outside every commune of the set.
pub const HANOI: (f64, f64) = (21.028, 105.854);

fn lte(rsrp: f64) -> Vec<(&'static str, f64)> {
    vec![
        ("rsrp_dbm", rsrp),
        ("rssi_dbm", rsrp + 30.0),
        ("sinr_db", 10.0),
    ]
}

/// The policy the tests audit with: an indoor override and one roaming operator, so the
/// `WHERE` clause has every kind of term.
pub fn policy() -> UsablePolicy {
    UsablePolicy {
        roaming_counts_for: vec!["452-04".into()],
        by_placement: [(
            Placement::Indoor,
            Thresholds {
                lte_rsrp_dbm: -105.0,
                ..Thresholds::default()
            },
        )]
        .into(),
        ..UsablePolicy::default()
    }
}

/// The audit configuration of the tests: [`policy`], the fibre target, a registry site.
pub fn audit_config() -> AuditConfig {
    let fibre = coverage_audit::FibreConfig {
        target: Some(TARGET.to_owned()),
        ..Default::default()
    };
    AuditConfig {
        policy: policy(),
        fibre,
        sites: vec![SiteEntry {
            id: "bk-reg".into(),
            lat: P01846.0,
            lon: P01846.1,
            commune: Some(coverage_audit::config::ConfiguredCommune {
                set: "bac-kan-2020".into(),
                code: "01834".into(),
            }),
            operators: Vec::new(),
            contracted_down_mbps: None,
            contracted_up_mbps: None,
            retired: None,
        }],
        ..AuditConfig::default()
    }
}

/// Builds the data set (deterministic).
pub fn dataset() -> Dataset {
    let mut rng = Rng::new(0x5eed_cafe);
    let mut ds = Dataset::default();
    let mut seq = 0i64;
    let mut next_seq = || {
        seq += 1;
        seq
    };
    let push = |ds: &mut Dataset, s: Sample| ds.samples.push(s);
    let sample = |site: &str,
                  op: &str,
                  tech: &str,
                  reg: &str,
                  placement: Option<&str>,
                  values: Vec<(&'static str, f64)>,
                  clock: Option<bool>,
                  ts: i64,
                  seq: i64,
                  pos: (f64, f64)| Sample {
        site: site.into(),
        operator: op.into(),
        tech: tech.into(),
        reg: reg.into(),
        placement: placement.map(str::to_owned),
        values,
        clock,
        ts,
        seq,
        lat: pos.0,
        lon: pos.1,
    };
    // Every 5 minutes for 48 h (plus a few points outside the period).
    for i in -3..(HOURS * 12 + 3) {
        let base = T0 + i * 300_000;
        // bk-cov: strong Viettel LTE (covered), weak Vinaphone GSM, roaming MobiFone.
        let s = sample(
            "bk-cov",
            "452-04",
            "lte",
            "home",
            Some("outdoor"),
            lte(rng.range(-100.0, -70.0)),
            Some(true),
            base + 1,
            next_seq(),
            P01834,
        );
        push(&mut ds, s);
        let s = sample(
            "bk-cov",
            "452-02",
            "gsm",
            "home",
            Some("outdoor"),
            vec![("rssi_dbm", rng.range(-110.0, -95.0))],
            Some(true),
            base + 2,
            next_seq(),
            P01834,
        );
        push(&mut ds, s);
        let s = sample(
            "bk-cov",
            "452-01",
            "lte",
            "roaming",
            Some("outdoor"),
            lte(-80.0),
            None,
            base + 3,
            next_seq(),
            P01834,
        );
        push(&mut ds, s);
        // bk-weak, indoor: -105 dBm override, a third of samples usable.
        let s = sample(
            "bk-weak",
            "452-04",
            "lte",
            "home",
            Some("indoor"),
            lte(rng.range(-115.0, -100.0)),
            Some(true),
            base + 4,
            next_seq(),
            P01837,
        );
        push(&mut ds, s);
        // bk-thin: six hours only.
        if (0..6 * 12).contains(&i) {
            let s = sample(
                "bk-thin",
                "452-04",
                "lte",
                "home",
                Some("outdoor"),
                lte(-80.0),
                Some(true),
                base + 5,
                next_seq(),
                P01840,
            );
            push(&mut ds, s);
        }
        // bk-reg: registry site (position from config), readings say another commune.
        let s = sample(
            "bk-reg",
            "452-04",
            "lte",
            "home",
            Some("outdoor"),
            lte(-85.0),
            Some(true),
            base + 6,
            next_seq(),
            P01849,
        );
        push(&mut ds, s);
        // bk-out: outside the province.
        let s = sample(
            "bk-out",
            "452-04",
            "lte",
            "home",
            Some("outdoor"),
            lte(-85.0),
            Some(true),
            base + 7,
            next_seq(),
            HANOI,
        );
        push(&mut ds, s);
    }
    // bk-mix: one sample a minute, everything random, edges of every threshold included.
    let techs = ["none", "gsm", "umts", "lte", "nr5g-nsa", "nr5g-sa", "6g"];
    let regs = [
        "home",
        "roaming",
        "searching",
        "denied",
        "none",
        "unknown",
        "limited",
        "weird",
    ];
    let placements = [
        Some("indoor"),
        Some("outdoor"),
        Some("vehicle"),
        None,
        Some("roof"),
    ];
    let ops = ["452-04", "452-01", "452-02"];
    let edges = [
        -110.0, -110.01, -109.99, -105.0, -105.01, -100.0, -100.01, -99.99,
    ];
    for i in -10..(HOURS * 60 + 10) {
        let tech = *rng.pick(&techs);
        let reg = *rng.pick(&regs);
        let mut values = Vec::new();
        let field = Tech::parse(tech).and_then(deciding_field);
        if let Some(f) = field
            && rng.below(10) != 0
        {
            let v = if rng.below(3) == 0 {
                *rng.pick(&edges)
            } else {
                rng.range(-125.0, -70.0)
            };
            values.push((f, v));
        }
        if rng.below(2) == 0 && field != Some("rssi_dbm") {
            values.push(("rssi_dbm", rng.range(-100.0, -50.0)));
        }
        if tech == "nr5g-nsa" && rng.below(2) == 0 {
            values.push(("ss_rsrp_dbm", rng.range(-120.0, -60.0)));
        }
        let clock = *rng.pick(&[None, Some(true), Some(true), Some(false)]);
        let jitter = (rng.range(-0.0005, 0.0005), rng.range(-0.0005, 0.0005));
        let op = *rng.pick(&ops);
        let placement = *rng.pick(&placements);
        let s = sample(
            "bk-mix",
            op,
            tech,
            reg,
            placement,
            values,
            clock,
            T0 + i * 60_000 + 11,
            next_seq(),
            (P01843.0 + jitter.0, P01843.1 + jitter.1),
        );
        push(&mut ds, s);
    }
    // Fibre rounds.
    for i in -2..(HOURS * 6 + 2) {
        let base = T0 + i * 600_000;
        let hour = i.div_euclid(6);
        // bk-cov: every 10 min, clean.
        ds.rounds.push(Round {
            site: "bk-cov".into(),
            target: TARGET.into(),
            link: "fibre",
            method: "icmp",
            sent: 10,
            received: 10,
            rtt_p50: Some(rng.range(4.0, 15.0)),
            ts: base + 21,
            seq: next_seq(),
            lat: P01834.0,
            lon: P01834.1,
        });
        // A round to another target and on another link: never counted.
        ds.rounds.push(Round {
            site: "bk-cov".into(),
            target: "other".into(),
            link: "fibre",
            method: "tcp",
            sent: 10,
            received: 0,
            rtt_p50: None,
            ts: base + 22,
            seq: next_seq(),
            lat: P01834.0,
            lon: P01834.1,
        });
        ds.rounds.push(Round {
            site: "bk-cov".into(),
            target: TARGET.into(),
            link: "mobile",
            method: "icmp",
            sent: 10,
            received: 0,
            rtt_p50: None,
            ts: base + 23,
            seq: next_seq(),
            lat: P01834.0,
            lon: P01834.1,
        });
        // bk-weak: 3 rounds an hour; 1 of 10 lost in five hours (3.3 % loss: down).
        if i % 2 == 0 {
            let lossy = (10..15).contains(&hour);
            let received = if lossy && i % 4 == 0 { 9 } else { 10 };
            ds.rounds.push(Round {
                site: "bk-weak".into(),
                target: TARGET.into(),
                link: "fibre",
                method: "tcp",
                sent: 10,
                received,
                rtt_p50: Some(rng.range(10.0, 49.0)),
                ts: base + 24,
                seq: next_seq(),
                lat: P01837.0,
                lon: P01837.1,
            });
        }
        // bk-thin: 2 rounds an hour (every window unknown).
        if i % 3 == 0 {
            ds.rounds.push(Round {
                site: "bk-thin".into(),
                target: TARGET.into(),
                link: "fibre",
                method: "icmp",
                sent: 5,
                received: 5,
                rtt_p50: Some(3.0),
                ts: base + 25,
                seq: next_seq(),
                lat: P01840.0,
                lon: P01840.1,
            });
        }
        // bk-mix: random loss and RTT, sometimes everything lost.
        let sent = 1 + rng.below(20) as i64;
        let received = if rng.below(5) == 0 {
            0
        } else {
            sent - rng.below(2) as i64
        };
        let rtt = (received > 0).then(|| *rng.pick(&[50.0, 49.99, 50.01, 12.5, 80.0]));
        ds.rounds.push(Round {
            site: "bk-mix".into(),
            target: TARGET.into(),
            link: "fibre",
            method: "http",
            sent,
            received,
            rtt_p50: rtt,
            ts: base + 26,
            seq: next_seq(),
            lat: P01843.0,
            lon: P01843.1,
        });
    }
    // Fibre throughput: bk-weak every hour in both directions (some transfers failed), bk-mix
    // downloads only, and bk-cov over its mobile link (not fibre: left out of speed).
    for i in -1..(HOURS + 1) {
        let base = T0 + i * H;
        for (site, pos, link, direction, lo, hi) in [
            ("bk-weak", P01837, "fibre", "down", 70.0, 95.0),
            ("bk-weak", P01837, "fibre", "up", 20.0, 45.0),
            ("bk-mix", P01843, "fibre", "down", 10.0, 99.0),
            ("bk-cov", P01834, "mobile", "down", 5.0, 30.0),
        ] {
            let failed = rng.below(7) == 0;
            let mbps = (!failed).then(|| rng.range(lo, hi));
            ds.transfers.push(Transfer {
                site: site.into(),
                link,
                direction,
                bytes: if failed { 0 } else { 10_000_000 },
                duration_ms: mbps.map_or(30_000.0, |m| 80_000.0 / m),
                mbps,
                ts: base + 1_234_567,
                seq: next_seq(),
                lat: pos.0,
                lon: pos.1,
            });
        }
    }
    for i in -1..(HOURS + 1) {
        for (site, pos) in [
            ("bk-cov", P01834),
            ("bk-weak", P01837),
            ("bk-thin", P01840),
            ("bk-reg", P01849),
            ("bk-out", HANOI),
            ("bk-fibreonly", P01846),
        ] {
            ds.beats.push(Beat {
                site: site.into(),
                ts: T0 + i * H + 1_800_031,
                seq: next_seq(),
                lat: pos.0,
                lon: pos.1,
            });
        }
    }
    ds
}

/// A float as line protocol writes it (never with an exponent).
fn f(v: f64) -> String {
    format!("{v}")
}

/// The data set as line protocol, one point per line, in time order.
pub fn lines(ds: &Dataset) -> Vec<String> {
    let mut out: Vec<(i64, String)> = Vec::new();
    for s in &ds.samples {
        let mut tags = format!(
            "signal,site={},run=r1,set=bac-kan-2020,province=06,operator={},tech={},reg={},modem=m0",
            s.site, s.operator, s.tech, s.reg
        );
        if let Some(p) = &s.placement {
            tags.push_str(&format!(",placement={p}"));
        }
        let mut fields = format!("seq={}i", s.seq);
        for (k, v) in &s.values {
            fields.push_str(&format!(",{k}={}", f(*v)));
        }
        fields.push_str(&format!(",pos_lat={},pos_lon={}", f(s.lat), f(s.lon)));
        if let Some(c) = s.clock {
            fields.push_str(&format!(",clock_synced={c}"));
        }
        fields.push_str(",antenna=\"internal\",operator_name=\"Op \\\"x\\\"\"");
        out.push((s.ts, format!("{tags} {fields} {}", s.ts)));
    }
    for r in &ds.rounds {
        let mut fields = format!(
            "seq={}i,sent={}i,received={}i,dup=0i",
            r.seq, r.sent, r.received
        );
        if let Some(rtt) = r.rtt_p50 {
            fields.push_str(&format!(
                ",rtt_p50_ms={},rtt_min_ms={}",
                f(rtt),
                f(rtt / 2.0)
            ));
        } else {
            fields.push_str(",error=\"interface down\"");
        }
        fields.push_str(&format!(
            ",pos_lat={},pos_lon={},interface=\"eth0\"",
            f(r.lat),
            f(r.lon)
        ));
        out.push((
            r.ts,
            format!(
                "latency,site={},run=r1,target={},method={},link={} {fields} {}",
                r.site, r.target, r.method, r.link, r.ts
            ),
        ));
    }
    for t in &ds.transfers {
        let mut fields = format!(
            "seq={}i,bytes={}i,duration_ms={}",
            t.seq,
            t.bytes,
            f(t.duration_ms)
        );
        match t.mbps {
            Some(m) => fields.push_str(&format!(",mbps={}", f(m))),
            None => fields.push_str(",error=\"timeout\""),
        }
        fields.push_str(&format!(",pos_lat={},pos_lon={}", f(t.lat), f(t.lon)));
        out.push((
            t.ts,
            format!(
                "throughput,site={},run=r1,target=http://10.6.0.1/10M,method=http,link={},direction={} {fields} {}",
                t.site, t.link, t.direction, t.ts
            ),
        ));
    }
    for b in &ds.beats {
        out.push((b.ts, format!("heartbeat,site={},run=r1 seq={}i,uptime_s=5i,spool_depth=0i,spool_dropped=0i,pos_lat={},pos_lon={},agent=\"0.1.0\" {}", b.site, b.seq, f(b.lat), f(b.lon), b.ts)));
    }
    out.sort_by_key(|(ts, _)| *ts);
    out.into_iter().map(|(_, l)| l).collect()
}

/// rounds, sent, received, RTTs of one site and hour.
type FibreAcc = (u64, i64, i64, Vec<f64>);

/// The aggregates computed directly from the generated values, by brute force.
pub fn brute_force(ds: &Dataset, q: &AggregateQuery) -> Aggregates {
    let (from, to) = (q.from.timestamp_millis(), q.to.timestamp_millis());
    let inside = |ts: i64| ts >= from && ts < to;
    let mut mobile: BTreeMap<MobileKey, (FieldCounts, FieldCounts)> = BTreeMap::new();
    for s in ds.samples.iter().filter(|s| inside(s.ts)) {
        let key = MobileKey {
            site: s.site.clone(),
            operator: s.operator.clone(),
            tech: s.tech.clone(),
            reg: s.reg.clone(),
            placement: s.placement.clone().unwrap_or_default(),
            hour: hour_of(s.ts),
        };
        let has = |name: &str| s.values.iter().any(|(k, _)| *k == name);
        let mut c = FieldCounts {
            samples: 1,
            rsrp_dbm: u64::from(has("rsrp_dbm")),
            ss_rsrp_dbm: u64::from(has("ss_rsrp_dbm")),
            rscp_dbm: u64::from(has("rscp_dbm")),
            rssi_dbm: u64::from(has("rssi_dbm")),
            usable: 0,
        };
        if let (Some(tech), Some(reg)) = (Tech::parse(&s.tech), Reg::parse(&s.reg)) {
            let value = deciding_field(tech)
                .and_then(|f| s.values.iter().find(|(k, _)| *k == f).map(|(_, v)| *v));
            let placement = s.placement.as_deref().and_then(parse_placement);
            let class = classify_parts(tech, reg, value, &s.operator, placement, None, &q.policy);
            c.usable = u64::from(class == SampleClass::Usable);
        }
        let e = mobile.entry(key).or_default();
        e.0.add(&c);
        if s.clock == Some(false) {
            e.1.add(&c);
        }
    }
    let mut fibre: BTreeMap<(String, i64), FibreAcc> = BTreeMap::new();
    for r in ds
        .rounds
        .iter()
        .filter(|r| inside(r.ts) && r.link == "fibre")
    {
        if q.fibre_target.as_ref().is_some_and(|t| *t != r.target) {
            continue;
        }
        let e = fibre.entry((r.site.clone(), hour_of(r.ts))).or_default();
        e.0 += 1;
        e.1 += r.sent;
        e.2 += r.received;
        e.3.extend(r.rtt_p50);
    }
    // Last position per site over every measurement.
    let mut last: BTreeMap<String, (i64, &str, f64, f64)> = BTreeMap::new();
    let mut see = |site: &str, m: &'static str, ts: i64, lat: f64, lon: f64| {
        if !inside(ts) {
            return;
        }
        let e = last
            .entry(site.to_owned())
            .or_insert((i64::MIN, "", 0.0, 0.0));
        if (ts, m) > (e.0, e.1) {
            *e = (ts, m, lat, lon);
        }
    };
    for s in &ds.samples {
        see(&s.site, "signal", s.ts, s.lat, s.lon);
    }
    for r in &ds.rounds {
        see(&r.site, "latency", r.ts, r.lat, r.lon);
    }
    for b in &ds.beats {
        see(&b.site, "heartbeat", b.ts, b.lat, b.lon);
    }
    for t in &ds.transfers {
        see(&t.site, "throughput", t.ts, t.lat, t.lon);
    }
    // Fibre throughput per site and direction: transfers, measured ones, their sum.
    let mut speed: BTreeMap<(String, String), (u64, u64, f64)> = BTreeMap::new();
    for t in ds
        .transfers
        .iter()
        .filter(|t| inside(t.ts) && t.link == "fibre")
    {
        let e = speed
            .entry((t.site.clone(), t.direction.to_owned()))
            .or_default();
        e.0 += 1;
        if let Some(m) = t.mbps {
            e.1 += 1;
            e.2 += m;
        }
    }
    Aggregates {
        mobile: mobile
            .into_iter()
            .map(|(key, (all, unsynced))| MobileRow { key, all, unsynced })
            .collect(),
        fibre: fibre
            .into_iter()
            .map(
                |((site, hour), (rounds, sent, received, mut rtts))| FibreRow {
                    site,
                    hour,
                    rounds,
                    sent,
                    received,
                    rtt_p50_median_ms: influx_median(&mut rtts),
                },
            )
            .collect(),
        throughput: speed
            .into_iter()
            .map(
                |((site, direction), (transfers, samples, sum))| ThroughputRow {
                    site,
                    direction,
                    transfers,
                    samples,
                    mean_mbps: (samples > 0).then(|| round_mbps(sum / samples as f64)),
                },
            )
            .collect(),
        positions: last
            .into_iter()
            .map(|(site, (ts_ms, _, lat, lon))| SitePosition {
                site,
                lat,
                lon,
                ts_ms,
            })
            .collect(),
    }
}

/// Writes lines to a file.
pub fn write_archive(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// A free TCP port on 127.0.0.1 (bound, then released).
/// A loopback port nothing listens on (free a moment ago).
pub fn free_port() -> u16 {
    coverage_harness::free_port().expect("a free loopback port")
}

/// A throw-away InfluxDB 1.x (`influxd`) on loopback, from the workspace's test harness
/// (retries on taken ports, errors carry its log), with async helpers that write and run
/// statements as a user.
pub struct Influxd {
    _server: coverage_harness::Influxd,
    pub url: String,
}

impl Influxd {
    /// Starts `influxd` and waits until `/ping` answers.
    pub fn start() -> Influxd {
        Influxd::start_with(false)
    }

    /// As [`Influxd::start`], with `auth-enabled` as given.
    pub fn start_with(auth: bool) -> Influxd {
        let mut options = coverage_harness::InfluxdOptions::default();
        if auth {
            options = options.with_auth();
        }
        let server = coverage_harness::Influxd::start_with(options)
            .unwrap_or_else(|e| panic!("starting influxd: {e:#}"));
        Influxd {
            url: server.url(),
            _server: server,
        }
    }

    /// Runs a statement with POST (CREATE DATABASE...).
    pub async fn exec(&self, client: &reqwest::Client, q: &str) {
        self.exec_as(client, q, None).await;
    }

    /// Runs a statement with POST as a user.
    pub async fn exec_as(&self, client: &reqwest::Client, q: &str, user: Option<(&str, &str)>) {
        let mut req = client
            .post(format!("{}/query", self.url))
            .query(&[("q", q)]);
        if let Some((u, p)) = user {
            req = req.basic_auth(u, Some(p));
        }
        let r = req.send().await.unwrap();
        assert!(r.status().is_success(), "{q}: {}", r.status());
    }

    /// Writes lines (batches of 5000, precision ms), asserting 204.
    pub async fn write(&self, client: &reqwest::Client, db: &str, lines: &[String]) {
        self.write_as(client, db, lines, None).await;
    }

    /// Writes lines as a user.
    pub async fn write_as(
        &self,
        client: &reqwest::Client,
        db: &str,
        lines: &[String],
        user: Option<(&str, &str)>,
    ) {
        for chunk in lines.chunks(5000) {
            let mut req = client
                .post(format!("{}/write?db={db}&precision=ms", self.url))
                .body(chunk.join("\n"));
            if let Some((u, p)) = user {
                req = req.basic_auth(u, Some(p));
            }
            let r = req.send().await.unwrap();
            let status = r.status();
            assert_eq!(
                status.as_u16(),
                204,
                "write: {}",
                r.text().await.unwrap_or_default()
            );
        }
    }
}

//! Rollups end to end (docs/operations.md): a three-day scenario (`tests/scenarios/rollups.toml`)
//! published once to a real mosquitto and stored by two deployments, each in its own real
//! InfluxDB 1.x:
//!
//! - **pair**: collectors `a` (the coordinator) and `b` on one shared subscription;
//! - **single**: collector `c` alone, its own coordinator.
//!
//! Checked:
//!
//! 1. both deployments hold the same rollup points, point for point;
//! 2. every daily commune (and province) point's trailing verdict is what
//!    `coverage-collector audit --from D-1 --to D+1` (JSON) says for the same commune (the test
//!    config's `rollups.verdict_period` is 2 days);
//! 3. a reading withheld from the first publish and published two days after its hour closed,
//!    while the coordinator `a` is stopped (so it reaches `b`, which marks it), changes, once
//!    `a` is back, its own hour, its own day and the trailing periods that include that day,
//!    and nothing else; the single deployment ends with the same points again.

use anyhow::{Context, Result, bail, ensure};
use chrono::{DateTime, Duration as Days, NaiveDate, SecondsFormat, Utc};
use coverage_e2e::{
    Daemon, Influxd, Mosquitto, MosquittoOptions, cargo_bin, free_port, poll_until,
    run_with_timeout, temp_dir,
};
use coverage_gen::{MqttTarget, Scenario, generate, publish_mqtt};
use coverage_shared::wire::{Body, Reading};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SCENARIO: &str = include_str!("../scenarios/rollups.toml");
const OFFSET: i64 = 7;
const PERIOD_DAYS: i64 = 2;
const MEASUREMENTS: [&str; 3] = ["commune_coverage", "district_coverage", "province_coverage"];

fn local_midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc() - Days::hours(OFFSET)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One collector's config (`group` for a shared subscription, `coordinator` on or off) and
/// its `/metrics` port.
fn config(
    mqtt: &str,
    influx: &str,
    client: &str,
    group: Option<&str>,
    coordinator: bool,
) -> (String, u16) {
    let group = group.map_or(String::new(), |g| format!("shared_group = \"{g}\"\n"));
    let http = free_port().expect("a free port");
    let text = format!(
        r#"[mqtt]
url = "{mqtt}"
client_id = "{client}"
[ingest]
{group}session_expiry = "0s"
[influx]
url = "{influx}"
database = "coverage"
raw_retention = "3650d"
[sink]
flush_interval = "200ms"
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter-{client}.jsonl"
[audit.fibre]
target = "10.6.0.1"
[coordinator]
enabled = {coordinator}
settle = "20s"
catch_up = "4d"
poll_every = "1s"
[rollups]
verdict_period = "{PERIOD_DAYS}d"
"#
    );
    (text, http)
}

/// The value of counter `name` (with `labels`, e.g. `{window="1d"}`) on `/metrics` at `port`.
fn counter(rt: &tokio::runtime::Runtime, port: u16, name: &str) -> Result<f64> {
    coverage_net::tls::ensure_crypto_provider();
    let text = rt.block_on(async {
        reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await?
            .text()
            .await
    })?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .with_context(|| format!("no {name} in /metrics:\n{text}"))
}

fn collector(dir: &Path, name: &str, (text, _): &(String, u16)) -> Result<Daemon> {
    let file = format!("collector-{name}.toml");
    std::fs::write(dir.join(&file), text)?;
    Daemon::collector(dir, name, &file)
}

fn count_points(influx: &Influxd) -> Option<u64> {
    let mut total = 0;
    for m in ["signal", "latency"] {
        let v = influx
            .query("coverage", &format!("SELECT count(seq) FROM {m}"))
            .ok()?;
        total += v["results"][0]["series"][0]["values"][0][1]
            .as_u64()
            .unwrap_or(0);
    }
    Some(total)
}

/// The rows of `q`, column name to value, times in ms.
fn rows_ms(influx: &Influxd, q: &str) -> Result<Vec<Map<String, Value>>> {
    let body = influx.query_epoch("coverage", q, "ms")?;
    let mut out = Vec::new();
    for series in body["results"][0]["series"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let columns: Vec<String> = series["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        for row in series["values"].as_array().into_iter().flatten() {
            let row = row.as_array().context("row")?;
            out.push(columns.iter().cloned().zip(row.iter().cloned()).collect());
        }
    }
    Ok(out)
}

/// Whether the coordinator has handled every mark written so far (and computed once).
fn settled(influx: &Influxd) -> Option<()> {
    let progress = rows_ms(influx, "SELECT * FROM rollups.coordinator_progress").ok()?;
    let row = progress.last()?;
    row.get("hours_until_ms")?.as_i64()?;
    let marks_until = row.get("marks_until_ms").and_then(Value::as_i64);
    let last_mark = rows_ms(influx, "SELECT last(readings) FROM rollups.stored_late")
        .ok()?
        .first()
        .and_then(|r| r.get("time")?.as_i64());
    match (last_mark, marks_until) {
        (None, _) => Some(()),
        (Some(m), Some(u)) if u >= m => Some(()),
        _ => None,
    }
}

/// Waits until `n` readings are stored and the coordinator has caught up with the marks.
fn wait_settled(influx: &Influxd, n: u64, what: &str) -> Result<()> {
    poll_until(Duration::from_secs(180), || {
        count_points(influx).filter(|c| *c == n)
    })
    .with_context(|| format!("{what}: not all {n} readings were stored"))?;
    // A batch's marks are written just after the batch itself: let them land.
    std::thread::sleep(Duration::from_secs(2));
    poll_until(Duration::from_secs(300), || settled(influx))
        .with_context(|| format!("{what}: the coordinator did not handle every mark"))
}

/// Every rollup point: (measurement, tags, time) -> fields.
type Points = BTreeMap<(String, BTreeMap<String, String>, i64), Map<String, Value>>;

fn points(influx: &Influxd) -> Result<Points> {
    let mut out = Points::new();
    for m in MEASUREMENTS {
        let body = influx.query_epoch(
            "coverage",
            &format!("SELECT * FROM rollups.{m} GROUP BY *"),
            "ms",
        )?;
        for series in body["results"][0]["series"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let tags: BTreeMap<String, String> = series["tags"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty()))
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect();
            let columns: Vec<&str> = series["columns"]
                .as_array()
                .context("columns")?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for row in series["values"].as_array().context("values")? {
                let row = row.as_array().context("row")?;
                let time = row[0].as_i64().context("time")?;
                let fields: Map<String, Value> = columns
                    .iter()
                    .zip(row)
                    .skip(1)
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect();
                out.insert((m.to_owned(), tags.clone(), time), fields);
            }
        }
    }
    Ok(out)
}

fn tag<'a>(key: &'a (String, BTreeMap<String, String>, i64), k: &str) -> &'a str {
    key.1.get(k).map_or("", String::as_str)
}

/// The audit of `[from, to)` as JSON, through the `audit` command and collector `a`'s config.
fn audit(dir: &Path, from: NaiveDate, to: NaiveDate) -> Result<Value> {
    let mut cmd = Command::new(cargo_bin("coverage-collector")?);
    cmd.args(["audit", "--config", "collector-a.toml"])
        .args(["--from", &from.to_string(), "--to", &to.to_string()])
        .current_dir(dir);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120))?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        bail!(
            "audit {from} to {to}: exit {:?}\n{}",
            out.status.code(),
            out.stderr
        );
    }
    serde_json::from_str(&out.stdout).context("the audit's JSON")
}

/// Whether two JSON values are the same share: both absent, or equal numbers (InfluxDB writes
/// a float without a fraction as `1`, the audit as `1.0`).
fn same_share(rollup: Option<&Value>, audit: &Value) -> bool {
    match (rollup.and_then(Value::as_f64), audit.as_f64()) {
        (Some(a), Some(b)) => a == b,
        (None, None) => audit.is_null() && rollup.is_none_or(Value::is_null),
        _ => false,
    }
}

/// Checks every `1d` commune point of day `d` against the audit of its trailing period.
fn check_day(all: &Points, d: NaiveDate, report: &Value) -> Result<usize> {
    let t = local_midnight(d).timestamp_millis();
    let mut checked = 0;
    let set = report["boundary_set"].as_str().context("boundary_set")?;
    for c in report["communes"].as_array().context("communes")? {
        let code = c["code"].as_str().context("code")?;
        let point = |service: &str, op: &str| {
            all.iter()
                .find(|(k, _)| {
                    k.0 == "commune_coverage"
                        && k.2 == t
                        && tag(k, "window") == "1d"
                        && tag(k, "commune") == code
                        && tag(k, "service") == service
                        && tag(k, "operator") == op
                        && tag(k, "set") == set
                })
                .map(|(_, f)| f)
                .with_context(|| format!("no 1d {service} {op} point for {code} on {d}"))
        };
        let any = point("mobile", "any")?;
        ensure!(
            any["period_verdict"] == c["mobile"],
            "{d} {code}: rollup {} vs audit {}",
            any["period_verdict"],
            c["mobile"]
        );
        ensure!(
            same_share(any.get("period_usable_share"), &c["usable_share"]),
            "{d} {code}: share {:?} vs audit {}",
            any.get("period_usable_share"),
            c["usable_share"]
        );
        ensure!(any["period_days"] == PERIOD_DAYS, "{any:?}");
        for (op, verdict) in c["mobile_by_operator"].as_object().context("by operator")? {
            let p = point("mobile", op)?;
            ensure!(
                &p["period_verdict"] == verdict,
                "{d} {code} {op}: {} vs {verdict}",
                p["period_verdict"]
            );
            let share = &c["usable_share_by_operator"][op];
            ensure!(
                same_share(p.get("period_usable_share"), share),
                "{d} {code} {op}: share {:?} vs {share}",
                p.get("period_usable_share")
            );
        }
        let fibre = point("fibre", "any")?;
        ensure!(
            fibre["period_verdict"] == c["fibre"],
            "{d} {code} fibre: {} vs {}",
            fibre["period_verdict"],
            c["fibre"]
        );
        checked += 1;
    }
    // The province's trailing tallies: the audit's commune counts.
    let province = all
        .iter()
        .find(|(k, _)| {
            k.0 == "province_coverage"
                && k.2 == t
                && tag(k, "window") == "1d"
                && tag(k, "service") == "mobile"
                && tag(k, "operator") == "any"
        })
        .map(|(_, f)| f)
        .context("no 1d province point")?;
    let tally = &report["province"]["mobile"];
    for v in ["covered", "not_covered", "insufficient_data", "no_site"] {
        ensure!(
            province[&format!("period_{v}")] == tally[v],
            "{d} province {v}: {} vs {}",
            province[&format!("period_{v}")],
            tally[v]
        );
    }
    Ok(checked)
}

#[test]
fn rollups_equal_the_audit_and_late_readings_touch_only_their_windows() -> Result<()> {
    let dir = temp_dir("rollups")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let pair = Influxd::start()?;
    let single = Influxd::start()?;

    // The three local days before today.
    let today = (Utc::now() + Days::hours(OFFSET)).date_naive();
    let days: Vec<NaiveDate> = (1..=3).rev().map(|n| today - Days::days(n)).collect();
    let (from, to) = (local_midnight(days[0]), local_midnight(today));
    let text = SCENARIO
        .replace("@FROM@", &rfc3339(from))
        .replace("@TO@", &rfc3339(to));
    let scenario = Scenario::parse(&text, "tests/scenarios/rollups.toml")?;
    let mut readings: Vec<Reading> = generate(&scenario, scenario.seed).collect();
    // The late reading: r-weak's first sample at 10:00 local on the middle day.
    let late_hour = local_midnight(days[1]) + Days::hours(10);
    let late_at = readings
        .iter()
        .position(|r| {
            r.header.site == "r-weak"
                && matches!(r.body, Body::Signal(_))
                && r.header.ts >= late_hour
                && r.header.ts < late_hour + Days::hours(1)
        })
        .context("a reading of r-weak at 10:00 on the middle day")?;
    let late = readings.remove(late_at);

    let mqtt = broker.url();
    let cfg_a = config(&mqtt, &pair.url(), "a", Some("pair"), true);
    let cfg_b = config(&mqtt, &pair.url(), "b", Some("pair"), false);
    let mut a = collector(d, "a", &cfg_a)?;
    let _b = collector(d, "b", &cfg_b)?;
    let _c = collector(d, "c", &config(&mqtt, &single.url(), "c", None, true))?;

    let rt = tokio::runtime::Runtime::new()?;
    let target = MqttTarget::new("127.0.0.1", broker.port());
    let n = readings.len() as u64;
    let stats = rt.block_on(publish_mqtt(readings, &target))?;
    assert_eq!(stats.published, n);
    let started = std::time::Instant::now();
    wait_settled(&pair, n, "pair")?;
    wait_settled(&single, n, "single")?;
    eprintln!("rollups settled {:?} after the publish", started.elapsed());
    // The coordinator counts what it computed; the other instance computes nothing.
    let days_written = counter(
        &rt,
        cfg_a.1,
        "coverage_collector_rollup_windows_total{window=\"1d\"}",
    )?;
    ensure!(days_written >= 3.0, "a computed {days_written} days");
    let seconds = counter(
        &rt,
        cfg_a.1,
        "coverage_collector_rollup_last_duration_seconds",
    )?;
    eprintln!("last rollup computation: {seconds:.3} s");
    ensure!(
        counter(&rt, cfg_b.1, "coverage_collector_rollup_marks_total")? == 0.0,
        "b is not the coordinator"
    );

    // 1. Two collectors on a shared subscription give the points one gives.
    let before = points(&pair)?;
    ensure!(
        before == points(&single)?,
        "the pair's rollups differ from the single collector's"
    );
    let dailies = before
        .keys()
        .filter(|k| tag(k, "window") == "1d" && k.0 == "commune_coverage")
        .count();
    ensure!(dailies > 0, "no daily commune points at all");

    // 2. Every daily point's trailing verdict is the audit's.
    let mut checked = 0;
    let mut weak_commune = None;
    for day in &days {
        let report = audit(d, *day - Days::days(PERIOD_DAYS - 1), *day + Days::days(1))?;
        checked += check_day(&before, *day, &report)?;
        weak_commune = report["sites"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["id"] == "r-weak")
            .and_then(|s| s["commune"].as_str().map(str::to_owned));
    }
    let weak_commune = weak_commune.context("the audit placed r-weak in a commune")?;
    eprintln!("{checked} daily commune points checked against the audit");

    // 3. The late reading reaches `b` while the coordinator is down.
    a.stop()?;
    let marks_of_b = "SELECT count(readings) FROM rollups.stored_late WHERE collector = 'b'";
    let marks_before = rows_ms(&pair, marks_of_b)?
        .first()
        .and_then(|r| r.get("count")?.as_u64())
        .unwrap_or(0);
    let stats = rt.block_on(publish_mqtt([late], &target))?;
    assert_eq!(stats.published, 1);
    poll_until(Duration::from_secs(60), || {
        rows_ms(&pair, marks_of_b)
            .ok()?
            .first()
            .and_then(|r| r.get("count")?.as_u64())
            .filter(|c| *c > marks_before)
    })
    .context("collector b did not mark the late reading")?;
    ensure!(counter(&rt, cfg_b.1, "coverage_collector_late_marks_written_total")? >= 1.0);
    a.restart()?;
    a.wait_for_log("Connected to the broker", Duration::from_secs(60))?;
    wait_settled(&pair, n + 1, "pair, late")?;
    wait_settled(&single, n + 1, "single, late")?;

    let after = points(&pair)?;
    ensure!(
        after == points(&single)?,
        "after the late reading, the pair's rollups differ from the single collector's"
    );
    ensure!(
        after.keys().collect::<BTreeSet<_>>() == before.keys().collect::<BTreeSet<_>>(),
        "the late reading added or removed points"
    );
    let hour_ms = late_hour.timestamp_millis();
    // Its day, and the days whose trailing period includes it (all closed).
    let day_starts: Vec<i64> = (0..PERIOD_DAYS)
        .map(|n| local_midnight(days[1] + Days::days(n)).timestamp_millis())
        .collect();
    let mut changed = BTreeSet::new();
    for (key, fields) in &after {
        if before.get(key) == Some(fields) {
            continue;
        }
        let allowed = match tag(key, "window") {
            "1h" => key.2 == hour_ms,
            "1d" => day_starts.contains(&key.2),
            _ => false,
        };
        ensure!(
            allowed,
            "a point outside the late reading's windows changed: {key:?}\nbefore {:?}\nafter {fields:?}",
            before.get(key)
        );
        changed.insert((tag(key, "window").to_owned(), key.2, key.0.clone()));
    }
    // r-weak's commune (in the set in force, as the audit placed it): its hour, its day and
    // the trailing periods including that day all changed.
    let weak = |window: &str, t: i64, field: &str| -> Result<(Value, Value)> {
        let key = before
            .keys()
            .find(|k| {
                k.0 == "commune_coverage"
                    && tag(k, "window") == window
                    && k.2 == t
                    && tag(k, "service") == "mobile"
                    && tag(k, "operator") == "452-02"
                    && tag(k, "commune") == weak_commune
            })
            .with_context(|| format!("r-weak's {window} point at {t}"))?;
        Ok((
            before[key].get(field).cloned().unwrap_or(Value::Null),
            after[key].get(field).cloned().unwrap_or(Value::Null),
        ))
    };
    let (h0, h1) = weak("1h", hour_ms, "counted")?;
    ensure!(
        h1.as_u64() == h0.as_u64().map(|c| c + 1),
        "the hour counts the late reading: {h0} -> {h1}"
    );
    let (d0, d1) = weak("1d", day_starts[0], "counted")?;
    ensure!(
        d1.as_u64() == d0.as_u64().map(|c| c + 1),
        "its day counts it: {d0} -> {d1}"
    );
    for t in &day_starts {
        let (s0, s1) = weak("1d", *t, "period_usable_share")?;
        ensure!(
            s0 != s1,
            "the trailing share ending {t} includes it: {s0} -> {s1}"
        );
    }
    eprintln!("changed windows: {changed:?}");
    Ok(())
}

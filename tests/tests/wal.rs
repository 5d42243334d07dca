//! The collector's write-ahead log under faults, end to end (issue 10, "Write-ahead log, then
//! ack"): real mosquitto, real InfluxDB 1.6.7, `coverage-collector run` with `[wal]`, readings
//! from the scenario generator, each checked in InfluxDB by (site, measurement, seq) exactly as
//! published.
//!
//! - InfluxDB stopped under flow: the collector keeps acknowledging (everything received is in
//!   the log, not with the broker), is then SIGKILLed while InfluxDB is still down (the readings
//!   exist only in its log now) and restarted; once InfluxDB is back, every reading is stored
//!   once.
//! - mosquitto restarted twice under flow (persistence on, as deployed): every reading stored
//!   once.
//! - A log that fills while InfluxDB is down: acknowledgements stop, the log stays within its
//!   bound, the collector's memory stays flat while the broker holds the rest, and once InfluxDB
//!   is back every reading is stored once.

use anyhow::{Context, Result, ensure};
use chrono::{Duration as Span, SecondsFormat, Utc};
use coverage_e2e::{
    Daemon, Influxd, Mosquitto, MosquittoOptions, free_port, metric, poll_until, temp_dir,
};
use coverage_gen::{MqttTarget, Scenario, generate, publish_mqtt};
use coverage_shared::wire::{Body, Reading};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// Two sites over the period the test sets: signal every 5 minutes per SIM, fibre every 10.
const SCENARIO: &str = r#"
seed = 1010
heartbeat_s = 0

[period]
from = "@FROM@"
to = "@TO@"
utc_offset_hours = 7

[[sites]]
id = "w-a"
lat = 22.162534
lon = 105.844234
[[sites.sims]]
operator = "452-04"
samples_per_hour = 12
usable_share = 1.0
[[sites.sims]]
operator = "452-02"
samples_per_hour = 12
usable_share = 0.9
[[sites.fibre]]
target = "10.6.0.1"
rounds_per_hour = 6
rtt_ms = 5.0

[[sites]]
id = "w-b"
lat = 22.14579
lon = 105.816676
[[sites.sims]]
operator = "452-01"
samples_per_hour = 12
usable_share = 0.7
"#;

/// One reading's identity as the collector stores it.
type Key = (String, &'static str, u64);

fn readings(hours: i64) -> Result<(Vec<Reading>, BTreeSet<Key>)> {
    let to = Utc::now() - Span::hours(1);
    let from = to - Span::hours(hours);
    let rfc = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let text = SCENARIO
        .replace("@FROM@", &rfc(from))
        .replace("@TO@", &rfc(to));
    let scenario = Scenario::parse(&text, "wal.rs")?;
    let readings: Vec<Reading> = generate(&scenario, scenario.seed)
        .filter(|r| matches!(r.body, Body::Signal(_) | Body::Latency(_)))
        .collect();
    let keys = readings
        .iter()
        .map(|r| {
            let kind = match r.body {
                Body::Signal(_) => "signal",
                _ => "latency",
            };
            (r.header.site.clone(), kind, r.header.seq)
        })
        .collect();
    Ok((readings, keys))
}

/// Every (site, measurement, seq) stored, and how many points in all (duplicates would show
/// as more points than keys).
fn stored(influx: &Influxd) -> Result<(BTreeSet<Key>, usize)> {
    let mut keys = BTreeSet::new();
    let mut points = 0;
    for m in ["signal", "latency"] {
        let rows = influx.query_rows("coverage", &format!("SELECT seq, site FROM {m}"))?;
        for row in rows {
            points += 1;
            let site = row["site"].as_str().unwrap_or_default().to_owned();
            let seq = row["seq"]
                .as_u64()
                .or_else(|| row["seq"].as_f64().map(|f| f as u64));
            keys.insert((site, m, seq.unwrap_or(u64::MAX)));
        }
    }
    Ok((keys, points))
}

fn config(mqtt: &str, influx: &str, wal_max: u64, wal_segment: u64) -> Result<(String, u16)> {
    let http = free_port()?;
    Ok((
        format!(
            r#"[mqtt]
url = "{mqtt}"
client_id = "wal-collector"
[ingest]
session_expiry = "1h"
receive_maximum = 50
[influx]
url = "{influx}"
database = "coverage"
raw_retention = "3650d"
[sink]
flush_interval = "100ms"
max_backoff = "1s"
[wal]
dir = "wal"
max_bytes = {wal_max}
segment_bytes = {wal_segment}
batch_lines = 200
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter.jsonl"
"#
        ),
        http,
    ))
}

fn start(dir: &Path, text: &str) -> Result<Daemon> {
    std::fs::write(dir.join("collector.toml"), text)?;
    Daemon::collector(dir, "collector", "collector.toml")
}

fn publish(port: u16, readings: Vec<Reading>, chunk: usize, pause: Duration) -> Result<u64> {
    let rt = tokio::runtime::Runtime::new()?;
    let mut published = 0;
    for c in readings.chunks(chunk) {
        published += rt
            .block_on(publish_mqtt(
                c.to_vec(),
                &MqttTarget::new("127.0.0.1", port),
            ))?
            .published;
        std::thread::sleep(pause);
    }
    Ok(published)
}

/// Waits until every published reading is stored, then checks each exactly once.
fn check_all_stored(influx: &Influxd, want: &BTreeSet<Key>, collector: &Daemon) -> Result<()> {
    poll_until(Duration::from_secs(120), || {
        stored(influx).ok().filter(|(k, _)| k.len() >= want.len())
    })
    .with_context(|| {
        format!(
            "not every reading was stored: {:?} of {}\n{}",
            stored(influx).map(|(k, _)| k.len()).ok(),
            want.len(),
            collector.log_tail(30)
        )
    })?;
    let (got, points) = stored(influx)?;
    let missing: Vec<_> = want.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(want).take(5).collect();
    ensure!(
        missing.is_empty() && extra.is_empty(),
        "stored set differs: missing {missing:?}, unexpected {extra:?}"
    );
    ensure!(
        points == want.len(),
        "{points} points for {} readings",
        want.len()
    );
    Ok(())
}

#[test]
fn influxdb_down_under_flow_then_a_collector_sigkill_loses_nothing() -> Result<()> {
    let dir = temp_dir("wal-outage")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let mut influx = Influxd::start()?;
    let (readings, want) = readings(36)?;
    let total = readings.len() as u64;
    ensure!(total > 1500, "a stream long enough: {total}");
    let (text, http) = config(&broker.url(), &influx.url(), 64 << 20, 1 << 20)?;
    let mut collector = start(d, &text)?;

    let port = broker.port();
    let publisher =
        std::thread::spawn(move || publish(port, readings, 60, Duration::from_millis(100)));
    // Stop InfluxDB mid-stream.
    poll_until(Duration::from_secs(60), || {
        stored(&influx).ok().filter(|(k, _)| k.len() >= 200)
    })
    .with_context(|| collector.log_tail(30))?;
    influx.stop()?;
    let published = publisher
        .join()
        .map_err(|_| anyhow::anyhow!("the publisher panicked"))??;
    ensure!(published == total, "published {published} of {total}");
    // With InfluxDB down, everything received is in the log and acknowledged: the collector
    // holds nothing unacknowledged once the stream ended, and the log holds what is unstored.
    poll_until(Duration::from_secs(60), || {
        let depth = metric(http, "coverage_collector_wal_records")?;
        let unacked = metric(http, "coverage_collector_mqtt_unacked")?;
        (depth > 0.0 && unacked == 0.0).then_some(depth)
    })
    .with_context(|| {
        format!(
            "the log did not take the stream\n{}",
            collector.log_tail(30)
        )
    })?;
    // Everything the log holds was acknowledged to the broker: kill the collector now, and only
    // its log has those readings.
    collector.kill()?;
    collector.restart()?;
    collector.wait_for_log("Write-ahead log open", Duration::from_secs(30))?;
    collector.wait_for_log("Connected to the broker", Duration::from_secs(60))?;
    influx.restart()?;
    check_all_stored(&influx, &want, &collector)?;
    eprintln!("wal outage: {total} readings, each stored once after InfluxDB down and a SIGKILL");
    Ok(())
}

#[test]
fn a_full_log_stops_the_acks_keeps_memory_flat_and_loses_nothing() -> Result<()> {
    let dir = temp_dir("wal-full")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let mut influx = Influxd::start()?;
    let (readings, want) = readings(24)?;
    let total = readings.len() as u64;
    // About 150 lines fit in 48 KiB: a small fraction of the stream.
    let max = 48 << 10;
    let (text, http) = config(&broker.url(), &influx.url(), max, 8 << 10)?;
    let collector = start(d, &text)?;
    // Let the collector create its database and policies, then take InfluxDB away.
    poll_until(Duration::from_secs(30), || {
        influx
            .query("coverage", "SHOW RETENTION POLICIES")
            .ok()
            .filter(|v| v.to_string().contains("rollups"))
    })?;
    influx.stop()?;
    let published = publish(broker.port(), readings, 200, Duration::ZERO)?;
    ensure!(published == total, "published {published} of {total}");
    poll_until(Duration::from_secs(60), || {
        (metric(http, "coverage_collector_wal_full")? == 1.0).then_some(())
    })
    .with_context(|| format!("the log never filled\n{}", collector.log_tail(30)))?;
    let rss_full = collector.rss_kib().context("collector RSS")?;
    std::thread::sleep(Duration::from_secs(5));
    let rss_later = collector.rss_kib().context("collector RSS")?;
    let bytes = metric(http, "coverage_collector_wal_bytes").unwrap_or(f64::MAX);
    let depth = metric(http, "coverage_collector_wal_records").unwrap_or(0.0);
    ensure!(
        bytes <= max as f64,
        "the log passed its bound: {bytes} bytes"
    );
    ensure!(
        depth < total as f64 / 2.0,
        "the log holds {depth} of {total}: the broker should hold the rest"
    );
    ensure!(
        rss_later <= rss_full + 8 * 1024,
        "memory grew while the log was full: {rss_full} KiB -> {rss_later} KiB"
    );
    ensure!(
        collector.log().contains("Write-ahead log full"),
        "the collector says the log is full"
    );
    influx.restart()?;
    check_all_stored(&influx, &want, &collector)?;
    ensure!(
        metric(http, "coverage_collector_wal_full") == Some(0.0),
        "the log is no longer full"
    );
    eprintln!(
        "wal full: {total} readings, log bound {max} bytes ({depth} records when full), RSS {rss_full} -> {rss_later} KiB while full; each stored once"
    );
    Ok(())
}

#[test]
fn mosquitto_restarted_twice_under_flow_loses_nothing() -> Result<()> {
    let dir = temp_dir("wal-broker-restart")?;
    let d = dir.path();
    // Persistence: the collector's session and its queue survive a clean broker restart, as
    // with the deployed config (`deploy/mosquitto/mosquitto.conf`).
    let mut broker = Mosquitto::start(MosquittoOptions::default().with_persistence())?;
    let influx = Influxd::start()?;
    let (readings, want) = readings(24)?;
    let total = readings.len() as u64;
    let (text, http) = config(&broker.url(), &influx.url(), 64 << 20, 1 << 20)?;
    let mut collector = start(d, &text)?;
    collector.wait_for_log("Connected to the broker", Duration::from_secs(60))?;

    // Three bursts; after each of the first two the broker is restarted at once, while the
    // collector is still draining the burst (messages in flight, unacknowledged, in its log).
    let third = readings.len().div_ceil(3);
    let mut published = 0;
    let mut stored_at_restart = Vec::new();
    for (i, burst) in readings.chunks(third).enumerate() {
        published += publish(broker.port(), burst.to_vec(), 400, Duration::ZERO)?;
        if i < 2 {
            stored_at_restart.push(stored(&influx).map(|(k, _)| k.len()).unwrap_or(0));
            broker.restart()?;
            // The collector's reconnect (after its backoff) before the next burst, so the next
            // restart is one more it lives through.
            let want = i + 2;
            poll_until(Duration::from_secs(60), || {
                (collector
                    .run_log()
                    .matches("Connected to the broker")
                    .count()
                    >= want)
                    .then_some(())
            })
            .with_context(|| {
                format!(
                    "no reconnect after restart {}\n{}",
                    i + 1,
                    collector.log_tail(20)
                )
            })?;
        }
    }
    ensure!(published == total, "published {published} of {total}");
    check_all_stored(&influx, &want, &collector)?;
    let connects = collector
        .run_log()
        .matches("Connected to the broker")
        .count();
    ensure!(
        connects >= 3,
        "the collector connected {connects} times: it did not see both restarts\n{}",
        collector.log_tail(30)
    );
    ensure!(
        metric(http, "coverage_collector_mqtt_unacked") == Some(0.0),
        "nothing left unacknowledged"
    );
    eprintln!(
        "broker restarts: {total} readings in 3 bursts, {stored_at_restart:?} stored when the broker restarted; {connects} connections; each stored once"
    );
    Ok(())
}

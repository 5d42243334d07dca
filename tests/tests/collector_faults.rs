//! The collector's faults, end to end: mosquitto -> `coverage-collector run` -> InfluxDB 1.6.7.
//!
//! - A partial write (400) stores the other lines of its batch. The collector must dead-letter
//!   exactly the refused readings, each with InfluxDB's own reason, count the others as
//!   written, and lose nothing: the counters tell the truth and every good reading is stored.
//! - A clean shutdown (SIGTERM) writes what the sink holds and sends those messages' acks
//!   before it exits, so the next start is not sent them again.

use anyhow::{Context, Result};
use coverage_e2e::{
    Daemon, Influxd, Mosquitto, MosquittoOptions, cargo_bin, free_port, poll_until, temp_dir,
};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn metric(http: u16, name: &str) -> Option<f64> {
    let body = ureq::get(&format!("http://127.0.0.1:{http}/metrics"))
        .call()
        .ok()?
        .into_body()
        .read_to_string()
        .ok()?;
    body.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Publishes each payload at QoS 1 to `topic` with `mosquitto_pub -l` (one message per line).
fn publish(port: u16, topic: &str, payloads: &[String]) -> Result<()> {
    let mut child = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-V", "mqttv5"])
        .args(["-q", "1", "-t", topic, "-l"])
        .stdin(Stdio::piped())
        .spawn()
        .context("mosquitto_pub (Debian package mosquitto-clients)")?;
    let mut stdin = child.stdin.take().context("stdin")?;
    for p in payloads {
        writeln!(stdin, "{p}")?;
    }
    drop(stdin);
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "mosquitto_pub failed: {status}");
    Ok(())
}

fn header(kind: &str, seq: u64, ts: &str) -> Value {
    json!({"v": 1, "site": "s1", "run": "run-1", "seq": seq, "ts": ts, "kind": kind,
        "clock_synced": true, "pos": {"lat": 22.147, "lon": 105.834, "src": "config"},
        "agent": "0.1.0"})
}

fn merged(mut a: Value, b: Value) -> String {
    for (k, v) in b.as_object().cloned().unwrap_or_default() {
        a[k] = v;
    }
    a.to_string()
}

fn dead_letters(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("dead-letter.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Writes `collector.toml` (broker, InfluxDB, the metrics port, `extra` settings) and starts
/// `coverage-collector run`; returns once its metrics answer.
fn start_collector(
    d: &Path,
    broker: &Mosquitto,
    influx: &Influxd,
    http: u16,
    extra: &str,
) -> Result<Daemon> {
    std::fs::write(
        d.join("collector.toml"),
        format!(
            r#"[mqtt]
url = "{}"
client_id = "collector-faults"
[influx]
url = "{}"
database = "coverage"
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter.jsonl"
{extra}
"#,
            broker.url(),
            influx.url()
        ),
    )?;
    let mut cmd = Command::new(cargo_bin("coverage-collector")?);
    cmd.args(["run", "--config", "collector.toml"])
        .current_dir(d)
        .env("COVERAGE_LOG", "info");
    let collector = Daemon::spawn("coverage-collector", cmd, d.join("collector.log"))?;
    poll_until(WAIT, || {
        let up = ureq::get(&format!("http://127.0.0.1:{http}/health"))
            .call()
            .ok()?
            .into_body()
            .read_to_string()
            .ok()?;
        up.contains("\"mqtt_connected\":true").then_some(())
    })
    .with_context(|| format!("collector log:\n{}", collector.log_tail(40)))?;
    Ok(collector)
}

fn latency_reading(seq: u64, ts: &str) -> String {
    merged(
        header("latency", seq, ts),
        json!({"target": "10.6.0.1", "method": "icmp", "link": "fibre",
            "interface": "eth0", "sent": 5, "received": 5, "dup": 0,
            "rtt_ms": {"min": 1.0, "p50": 2.0, "mean": 2.0, "p95": 3.0, "max": 3.0,
                "stddev": 0.5}, "jitter_ms": 0.2, "rtts_ms": [1.0, 2.0, 2.0, 3.0, 3.0]}),
    )
}

fn ts_after(start: chrono::DateTime<chrono::Utc>, i: u64) -> String {
    (start + chrono::Duration::milliseconds(i as i64 * 10))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[test]
fn a_partial_write_dead_letters_only_the_refused_readings() -> Result<()> {
    let dir = temp_dir("refusals")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let influx = Influxd::start()?;
    influx.create_db("coverage")?;
    let now = chrono::Utc::now() - chrono::Duration::minutes(30);
    let ts = |i: u64| ts_after(now, i);
    // Another writer stored `rsrp_dbm` as a string in this shard: every signal point the
    // collector writes there (a float, as the schema says) is now a field type conflict. The
    // shard is one of the `raw` policy, where the collector writes readings (it alters the
    // policy at start-up, so it must exist before the conflicting point is written).
    influx.query(
        "coverage",
        r#"CREATE RETENTION POLICY "raw" ON "coverage" DURATION 0s REPLICATION 1 DEFAULT"#,
    )?;
    influx.write_lp_with_precision(
        "coverage",
        &format!(
            "signal,site=other rsrp_dbm=\"bad\" {}\n",
            now.timestamp_millis() - 1000
        ),
        "ms",
    )?;

    let http = free_port()?;
    let mut collector = start_collector(
        d,
        &broker,
        &influx,
        http,
        "[sink]\nbatch_lines = 5000\nflush_interval = \"500ms\"",
    )?;

    // 300 latency rounds and 40 signal samples, interleaved in time so they share batches.
    let latency: Vec<String> = (0..300).map(|i| latency_reading(i, &ts(i))).collect();
    let signal: Vec<String> = (0..40)
        .map(|i| {
            merged(
                header("signal", 1000 + i, &ts(i * 7)),
                json!({"modem": "m0", "operator": {"mcc": "452", "mnc": "04"},
                    "placement": "indoor", "antenna": "internal", "tech": "lte", "reg": "home",
                    "rsrp_dbm": -95.0, "rsrq_db": -10.0}),
            )
        })
        .collect();
    publish(broker.port(), "coverage/v1/s1/signal", &signal)?;
    publish(broker.port(), "coverage/v1/s1/latency", &latency)?;

    let total = (latency.len() + signal.len()) as f64;
    poll_until(WAIT, || {
        let written = metric(http, "coverage_collector_points_written_total")?;
        let dead = metric(http, "coverage_collector_points_dead_lettered_total")?;
        (written + dead >= total).then_some(())
    })
    .with_context(|| format!("collector log:\n{}", collector.log_tail(40)))?;

    // The counters: every latency round written, every signal sample refused by name.
    assert_eq!(
        metric(http, "coverage_collector_points_written_total"),
        Some(latency.len() as f64)
    );
    assert_eq!(
        metric(http, "coverage_collector_points_dead_lettered_total"),
        Some(signal.len() as f64)
    );
    assert_eq!(
        metric(http, "coverage_collector_points_refused_unnamed_total"),
        Some(0.0)
    );
    // The store holds every good reading.
    let rows = influx.query_rows("coverage", "SELECT count(sent) FROM latency")?;
    assert_eq!(rows[0]["count"], json!(latency.len()), "{rows:?}");
    // The dead-letter file holds exactly the refused lines, each with InfluxDB's reason.
    let letters = dead_letters(d);
    assert_eq!(letters.len(), signal.len(), "{letters:#?}");
    for l in &letters {
        assert_eq!(l["reason"], "influx_partial");
        let detail = l["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("field type conflict") && detail.contains("\"rsrp_dbm\""),
            "{detail}"
        );
        assert!(
            l["payload"]
                .as_str()
                .unwrap_or_default()
                .starts_with("signal,")
        );
        assert_eq!(l["payload_sha256"].as_str().map(str::len), Some(64));
    }
    collector.stop()?;
    Ok(())
}

#[test]
fn a_clean_shutdown_acknowledges_its_final_flush() -> Result<()> {
    let dir = temp_dir("shutdown-acks")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let influx = Influxd::start()?;
    let http = free_port()?;
    // The sink holds the readings (nothing is due for 30 s) until the shutdown flushes them.
    let slow = "[sink]\nflush_interval = \"30s\"\nlinger = \"30s\"";
    let mut collector = start_collector(d, &broker, &influx, http, slow)?;
    let start = chrono::Utc::now() - chrono::Duration::minutes(5);
    let readings: Vec<String> = (0..50)
        .map(|i| latency_reading(i, &ts_after(start, i)))
        .collect();
    publish(broker.port(), "coverage/v1/s1/latency", &readings)?;
    poll_until(WAIT, || {
        (metric(http, "coverage_collector_readings_accepted_total")? >= 50.0).then_some(())
    })?;
    assert_eq!(
        metric(http, "coverage_collector_points_written_total"),
        Some(0.0)
    );

    let status = collector.stop()?;
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let rows = influx.query_rows("coverage", "SELECT count(sent) FROM latency")?;
    assert_eq!(rows[0]["count"], json!(50), "the final flush: {rows:?}");

    // The same client id takes its session back: had the acks been lost, the broker would
    // send all 50 again now.
    let mut again = start_collector(d, &broker, &influx, http, slow)?;
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        metric(http, "coverage_collector_readings_accepted_total").unwrap_or(0.0),
        0.0,
        "redelivered after a clean shutdown; log:\n{}",
        again.log_tail(30)
    );
    again.stop()?;
    Ok(())
}

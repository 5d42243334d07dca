//! The collector's faults, end to end: mosquitto -> `coverage-collector run` -> InfluxDB 1.6.7.
//!
//! - A partial write (400) stores the other lines of its batch. The collector must dead-letter
//!   exactly the refused readings, each with InfluxDB's own reason, count the others as
//!   written, and lose nothing: the counters tell the truth and every good reading is stored.
//! - A clean shutdown (SIGTERM) writes what the sink holds and sends those messages' acks
//!   before it exits, so the next start is not sent them again.
//! - Hostile payloads (not JSON, invalid UTF-8, 30,000-deep nesting, seq 2^63, blank run,
//!   line-protocol injection in tags, 40 KB tags, identity conflicts, ...) among valid
//!   readings: each is dead-lettered and counted under its reason, every valid reading is
//!   stored once as sent, and the collector stays healthy.

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

/// Publishes raw payloads (any bytes) at QoS 1 to one topic each, over one MQTT 5 session,
/// and waits for every PUBACK.
fn publish_raw(port: u16, messages: &[(String, Vec<u8>)]) -> Result<()> {
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::{AsyncClient, Event, MqttOptions, mqttbytes::v5::Packet};
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let mut options = MqttOptions::new("hostile-publisher", "127.0.0.1", port);
        options.set_max_packet_size(Some(1 << 20));
        let (client, mut events) = AsyncClient::new(options, messages.len() + 10);
        for (topic, payload) in messages {
            client
                .publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
                .await?;
        }
        let mut acked = 0;
        let deadline = tokio::time::Instant::now() + WAIT;
        while acked < messages.len() {
            let event = tokio::time::timeout_at(deadline, events.poll())
                .await
                .context("PUBACKs from mosquitto")??;
            if let Event::Incoming(Packet::PubAck(_)) = event {
                acked += 1;
            }
        }
        client.disconnect().await?;
        anyhow::Ok(())
    })
}

#[test]
fn hostile_payloads_among_valid_readings_are_each_rejected_by_name_and_nothing_valid_is_lost()
-> Result<()> {
    let dir = temp_dir("hostile")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let influx = Influxd::start()?;
    let http = free_port()?;
    let collector = start_collector(d, &broker, &influx, http, "")?;
    let start = chrono::Utc::now() - chrono::Duration::minutes(30);
    let ts = |i: u64| ts_after(start, i);
    let latency = "coverage/v1/s1/latency".to_owned();
    let signal = "coverage/v1/s1/signal".to_owned();
    let lat = |seq: u64, extra: Value| {
        merged(
            serde_json::from_str(&latency_reading(seq, &ts(seq))).unwrap(),
            extra,
        )
    };
    let sig = |seq: u64, extra: Value| {
        merged(
            serde_json::from_str(&merged(
                header("signal", seq, &ts(seq)),
                json!({"modem": "m0", "operator": {"mcc": "452", "mnc": "04"},
                    "placement": "indoor", "antenna": "internal", "tech": "lte",
                    "reg": "home", "rsrp_dbm": -95.0, "rsrq_db": -10.0}),
            ))
            .unwrap(),
            extra,
        )
    };
    // (topic, payload, the reason the collector must give). Seqs 5000+ are never valid.
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let hostile: Vec<(String, Vec<u8>, &str)> = vec![
        (latency.clone(), b"not json at all".to_vec(), "not_json"),
        (latency.clone(), b"\xff\xfe{\"v\":1}".to_vec(), "not_json"),
        (latency.clone(), deep.into_bytes(), "not_json"),
        (latency.clone(), b"[1,2,3]".to_vec(), "not_object"),
        (latency.clone(), vec![0u8; 1000], "not_json"),
        (
            latency.clone(),
            lat(5001, json!({"v": 2})).into_bytes(),
            "wrong_version",
        ),
        (
            latency.clone(),
            lat(5002, json!({"site": "s2"})).into_bytes(),
            "topic_mismatch",
        ),
        (
            latency.clone(),
            lat(5003, json!({"kind": "signal"})).into_bytes(),
            "topic_mismatch",
        ),
        (
            latency.clone(),
            lat(0, json!({"seq": 9_223_372_036_854_775_808u64})).into_bytes(),
            "bad_field",
        ),
        (
            latency.clone(),
            lat(5004, json!({"run": ""})).into_bytes(),
            "bad_field",
        ),
        (
            latency.clone(),
            lat(5005, json!({"run": "   "})).into_bytes(),
            "bad_field",
        ),
        (
            latency.clone(),
            lat(5006, json!({"target": "10.6.0.1\n,x=1"})).into_bytes(),
            "bad_field",
        ),
        (
            latency.clone(),
            lat(5007, json!({"target": ",".repeat(40_000)})).into_bytes(),
            "bad_field",
        ),
        (
            latency.clone(),
            lat(5009, json!({"ts": "2999-01-01T00:00:00Z"})).into_bytes(),
            "future_ts",
        ),
        (
            latency.clone(),
            lat(
                5010,
                json!({"pos": {"lat": 95.0, "lon": 105.8, "src": "config"}}),
            )
            .into_bytes(),
            "pos_out_of_range",
        ),
        (
            signal.clone(),
            sig(5011, json!({"modem": ""})).into_bytes(),
            "bad_field",
        ),
        (
            signal.clone(),
            sig(5012, json!({"operator": {"mcc": "452", "mnc": "04\n,x=1"}})).into_bytes(),
            "bad_field",
        ),
        (
            signal.clone(),
            sig(5013, json!({"modem": ",".repeat(40_000)})).into_bytes(),
            "bad_field",
        ),
        (
            latency.clone(),
            lat(5014, json!({"sent": -1})).into_bytes(),
            "malformed",
        ),
        (
            "coverage/v1/s1/nonsense".to_owned(),
            lat(5015, json!({})).into_bytes(),
            "bad_topic",
        ),
        // The same identity as valid seq 7 with another body: the first stays.
        (
            latency.clone(),
            lat(7, json!({"received": 1})).into_bytes(),
            "identity_conflict",
        ),
    ];
    // 200 valid latency rounds (seqs 1..=200), the hostile ones spread among them.
    let mut messages = Vec::new();
    let mut hostile_iter = hostile.iter();
    for seq in 1..=200u64 {
        messages.push((latency.clone(), latency_reading(seq, &ts(seq)).into_bytes()));
        if seq % 9 == 0
            && let Some((t, p, _)) = hostile_iter.next()
        {
            messages.push((t.clone(), p.clone()));
        }
    }
    for (t, p, _) in hostile_iter {
        messages.push((t.clone(), p.clone()));
    }
    // Hostile-looking but valid: line-protocol syntax in a tag is escaped, not refused.
    let odd = "eth0 x=1,y=\"2\"";
    messages.push((
        latency.clone(),
        lat(201, json!({"interface": odd})).into_bytes(),
    ));
    publish_raw(broker.port(), &messages)?;

    let rejected = |reason: &str| {
        metric(
            http,
            &format!("coverage_collector_readings_rejected_total{{reason=\"{reason}\"}}"),
        )
        .unwrap_or(0.0)
    };
    poll_until(WAIT, || {
        let written = metric(http, "coverage_collector_points_written_total")?;
        (written >= 201.0 && dead_letters(d).len() >= hostile.len()).then_some(())
    })
    .with_context(|| {
        format!(
            "written {:?}, dead letters {}\ncollector log:\n{}",
            metric(http, "coverage_collector_points_written_total"),
            dead_letters(d).len(),
            collector.log_tail(40)
        )
    })?;
    // Every valid reading stored once, exactly as sent (seq 7 with its first body).
    let rows = influx.query_rows("coverage", "SELECT seq, received FROM latency")?;
    let mut seqs: Vec<u64> = rows.iter().filter_map(|r| r["seq"].as_u64()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=201).collect::<Vec<_>>(), "stored seqs");
    assert!(rows.iter().all(|r| r["received"] == json!(5)), "{rows:?}");
    let odd_rows = influx.query_rows(
        "coverage",
        &format!(
            "SELECT seq FROM latency WHERE interface = '{}'",
            odd.replace('\'', "\\'")
        ),
    )?;
    assert_eq!(
        odd_rows.len(),
        1,
        "the odd interface kept exactly: {odd_rows:?}"
    );
    assert_eq!(odd_rows[0]["seq"], json!(201));
    assert_eq!(
        influx
            .query_rows("coverage", "SELECT count(rsrp_dbm) FROM signal")?
            .len(),
        0,
        "no hostile signal sample stored"
    );
    // Every hostile payload dead-lettered with its reason, and counted under it.
    let letters = dead_letters(d);
    assert_eq!(letters.len(), hostile.len(), "{letters:#?}");
    let mut want: std::collections::BTreeMap<&str, usize> = Default::default();
    for (_, _, reason) in &hostile {
        *want.entry(reason).or_default() += 1;
    }
    let mut got: std::collections::BTreeMap<&str, usize> = Default::default();
    for l in &letters {
        let reason = want
            .keys()
            .find(|r| l["reason"] == **r)
            .with_context(|| format!("unexpected dead letter {l}"))?;
        *got.entry(reason).or_default() += 1;
        assert!(
            l["payload_bytes"].as_u64().is_some() && l["payload_sha256"].as_str().is_some(),
            "{l}"
        );
    }
    assert_eq!(got, want, "dead letters per reason");
    for (reason, n) in &want {
        assert_eq!(
            rejected(reason),
            *n as f64,
            "rejected_total{{reason={reason}}}"
        );
    }
    // Still healthy.
    let health = ureq::get(&format!("http://127.0.0.1:{http}/health"))
        .call()?
        .into_body()
        .read_to_string()?;
    assert!(health.contains("\"mqtt_connected\":true"), "{health}");
    eprintln!(
        "hostile: 201 valid readings stored once (one with line-protocol syntax in a tag, kept exactly); {} hostile payloads rejected by reason {want:?}",
        hostile.len()
    );
    Ok(())
}

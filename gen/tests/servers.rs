//! The generator against real servers on loopback: mosquitto (publish_mqtt, every reading
//! received and valid) and InfluxDB 1.6.7 (write_influx, every point stored).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use coverage_e2e::{Influxd, Mosquitto, MosquittoOptions};
use coverage_gen::{InfluxTarget, MqttTarget, Placer, Scenario, generate};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};

const SCENARIO: &str = r#"
[period]
from = "2024-11-01T00:00:00Z"
to = "2024-11-01T12:00:00Z"
[[sites]]
id = "bk-01834-a"
lat = 22.162534
lon = 105.844234
[[sites.sims]]
operator = "452-04"
samples_per_hour = 60
usable_share = 0.9
reg = { home = 0.95, denied = 0.05 }
[[sites.sims]]
operator = "452-02"
samples_per_hour = 30
usable_share = 0.5
[[sites.fibre]]
target = "10.6.0.1"
rounds_per_hour = 12
rtt_ms = 8.0
[[sites]]
id = "bk-01840-b"
lat = 22.15
lon = 105.83
[[sites.sims]]
operator = "452-01"
samples_per_hour = 20
usable_share = 0.7
[[sites.throughput]]
target = "speed"
down_mbps = 90
up_mbps = 40
samples = 4
"#;

/// Whether the subscription is acknowledged, and every (topic, payload) received.
type Seen = (bool, Vec<(String, Vec<u8>)>);

fn scenario() -> Scenario {
    Scenario::parse(SCENARIO, "servers.rs").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_published_reading_arrives_valid() -> Result<()> {
    let broker =
        Mosquitto::start(MosquittoOptions::default().with_config_line("max_queued_messages 0"))?;
    let s = scenario();
    let expected: Vec<_> = generate(&s, 11).collect();

    let mut options = MqttOptions::new("gen-test-sub", broker.host(), broker.port());
    options.set_keep_alive(Duration::from_secs(30));
    let (sub, mut eventloop) = AsyncClient::new(options, 100);
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let task_seen = seen.clone();
    let poll = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = sub.try_subscribe("coverage/v1/+/+", QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => task_seen.lock().unwrap().0 = true,
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let topic = String::from_utf8_lossy(&p.topic).into_owned();
                    task_seen
                        .lock()
                        .unwrap()
                        .1
                        .push((topic, p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.lock().unwrap().0 {
        anyhow::ensure!(Instant::now() < deadline, "no SUBACK");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let stats = coverage_gen::publish_mqtt(
        generate(&s, 11),
        &MqttTarget::new(broker.host(), broker.port()),
    )
    .await?;
    assert_eq!(stats.published, expected.len() as u64);
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().1.len() < expected.len() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "received {} of {}",
            seen.lock().unwrap().1.len(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    poll.abort();
    let received = seen.lock().unwrap().1.clone();
    assert_eq!(received.len(), expected.len());
    let now = s.period.to;
    // One publisher, QoS 1: the broker keeps the order.
    for ((topic, payload), want) in received.iter().zip(&expected) {
        let valid = coverage_shared::validate::decode(topic, payload, now)
            .with_context(|| String::from_utf8_lossy(payload).into_owned())?;
        assert_eq!(&valid.reading, want);
    }
    Ok(())
}

#[test]
fn every_written_point_is_stored() -> Result<()> {
    let influxd = Influxd::start()?;
    let s = scenario();
    coverage_gen::create_database(&influxd.url(), "gen")?;
    let target = InfluxTarget {
        url: influxd.url(),
        database: "gen".into(),
        retention_policy: None,
        batch_lines: 100,
    };
    let stats = coverage_gen::write_influx(generate(&s, 5), &mut Placer::embedded()?, &target)?;
    let expected = generate(&s, 5).count() as u64;
    assert_eq!(stats.points, expected);
    assert_eq!(stats.batches, expected.div_ceil(100));
    let mut stored = 0;
    for m in ["signal", "latency", "throughput", "heartbeat"] {
        let rows = influxd.query_rows("gen", &format!("SELECT count(seq) FROM {m}"))?;
        stored += rows[0]["count"].as_u64().context("count")?;
    }
    assert_eq!(stored, expected);
    let rows = influxd.query_rows(
        "gen",
        "SELECT count(seq) FROM signal WHERE commune = '01834' AND \"set\" = 'bac-kan-2020'",
    )?;
    assert_eq!(
        rows[0]["count"],
        12 * 90,
        "the first site's samples carry its commune"
    );
    // A refused write names the server's reason.
    let bad = InfluxTarget {
        database: "missing".into(),
        ..target
    };
    let e = coverage_gen::write_influx(generate(&s, 5), &mut Placer::embedded()?, &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("404") && e.contains("database not found"), "{e}");
    Ok(())
}

//! Wire-format readings published to MQTT as the sites' agents would: topic
//! `coverage/v1/{site}/{kind}` (`coverage_shared::topic`), the JSON of `Reading::to_json`,
//! QoS 1, MQTT 5, over one client shared by every site.
//!
//! `rate` paces the publishes and `live` stamps each reading with its publish time: together
//! they are a fleet publishing now at a known rate (`bench/collector-throughput.sh`).
//!
//! One shared client suits a broker without per-site ACLs (the embedded broker, a test
//! mosquitto with anonymous access). [`publish_mqtt`] returns once the broker has acknowledged
//! every publish (PUBACK), so a caller can then wait for the collector to have stored them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use coverage_shared::topic::reading_topic;
use coverage_shared::wire::Reading;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};

use crate::GenError;

/// The broker and client settings.
#[derive(Debug, Clone)]
pub struct MqttTarget {
    /// Broker host (loopback for tests and benches).
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// MQTT client id.
    pub client_id: String,
    /// User name and password, when the broker wants them.
    pub credentials: Option<(String, String)>,
    /// Publishes in flight (unacknowledged) at once.
    pub inflight: u16,
    /// Longest wait for the broker: connection, and each acknowledgement.
    pub timeout: Duration,
    /// Readings per second, paced evenly; `None`: as fast as the broker acknowledges.
    pub rate: Option<f64>,
    /// Stamp each reading with the time it is published (`ts`), as a live agent would, so the
    /// collector's lag figures measure the pipeline rather than the scenario's dates.
    pub live: bool,
}

impl MqttTarget {
    /// Anonymous, 100 in flight, 30 s timeout, client id `coverage-gen`.
    pub fn new(host: &str, port: u16) -> MqttTarget {
        MqttTarget {
            host: host.to_owned(),
            port,
            client_id: "coverage-gen".into(),
            credentials: None,
            inflight: 100,
            timeout: Duration::from_secs(30),
            rate: None,
            live: false,
        }
    }
}

/// What a publish run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublishStats {
    /// Readings published and acknowledged.
    pub published: u64,
    /// Wall time from the connection to the last acknowledgement.
    pub elapsed: Duration,
}

/// Publishes every reading at QoS 1 and waits for every PUBACK.
pub async fn publish_mqtt(
    readings: impl IntoIterator<Item = Reading>,
    target: &MqttTarget,
) -> Result<PublishStats, GenError> {
    let broker = format!("{}:{}", target.host, target.port);
    let mut options = MqttOptions::new(&target.client_id, &target.host, target.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_start(true)
        .set_outgoing_inflight_upper_limit(target.inflight.max(1));
    if let Some((user, password)) = &target.credentials {
        options.set_credentials(user, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, usize::from(target.inflight) + 16);
    let started = Instant::now();
    // The event loop runs beside the publisher: it sends what `publish` queued and counts
    // acknowledgements; a connection error ends the run (no silent reconnect and resend).
    let acked = Arc::new(AtomicU64::new(0));
    let counter = acked.clone();
    let poller = tokio::spawn(async move {
        let mut connected = false;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => connected = true,
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    if !matches!(
                        ack.reason,
                        PubAckReason::Success | PubAckReason::NoMatchingSubscribers
                    ) {
                        return format!("the broker refused a publish: {:?}", ack.reason);
                    }
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::Incoming(Packet::Disconnect(d))) => {
                    return format!("the broker disconnected: {:?}", d.reason_code);
                }
                Ok(_) => {}
                Err(e) => {
                    let when = if connected {
                        "while publishing"
                    } else {
                        "connecting"
                    };
                    return format!("{when}: {e}");
                }
            }
        }
    });
    let fail = |message: String| GenError::Mqtt {
        broker: broker.clone(),
        message,
    };
    let mut published = 0u64;
    let pace = target
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(1.0 / r));
    let mut due = tokio::time::Instant::now();
    for mut reading in readings {
        if let Some(step) = pace {
            // Paced from the start, not from each publish: a slow moment is caught up.
            due += step;
            tokio::time::sleep_until(due).await;
        }
        if target.live {
            reading.header.ts = chrono::Utc::now();
        }
        let topic = reading_topic(&reading.header.site, reading.kind());
        let payload = reading.to_json().into_bytes();
        let sent = tokio::time::timeout(
            target.timeout,
            client.publish(topic, QoS::AtLeastOnce, false, payload),
        )
        .await;
        match sent {
            Ok(Ok(())) => published += 1,
            Ok(Err(e)) => {
                // The event loop ended; its error says why.
                return Err(fail(poller.await.unwrap_or_else(|_| e.to_string())));
            }
            Err(_) => {
                poller.abort();
                return Err(fail(format!(
                    "no room to publish for {:?}: the broker does not acknowledge",
                    target.timeout
                )));
            }
        }
    }
    // Wait for every acknowledgement; the timeout restarts whenever one arrives.
    let (mut seen, mut since) = (0, Instant::now());
    loop {
        let now = acked.load(Ordering::Relaxed);
        if now >= published {
            break;
        }
        if poller.is_finished() {
            return Err(fail(poller.await.unwrap_or_else(|e| e.to_string())));
        }
        if now != seen {
            (seen, since) = (now, Instant::now());
        } else if since.elapsed() > target.timeout {
            poller.abort();
            return Err(fail(format!(
                "{} of {published} publishes unacknowledged after {:?}",
                published - now,
                target.timeout
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    // Everything is acknowledged: a clean DISCONNECT, given a moment to go out.
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), poller).await;
    Ok(PublishStats { published, elapsed })
}

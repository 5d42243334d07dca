//! MQTT ingest: subscribe, decode, validate, place, and hand lines to the sink.
//!
//! The collector speaks MQTT 5 with a persistent session (`clean_start = false`, a session
//! expiry) under a stable client id, and acknowledges each message manually only when the sink
//! says its point is stored (or refused for good). The broker's flow control does the rest:
//! at most `receive_maximum` messages are unacknowledged, so the channel to the sink (sized
//! above that) never blocks the event loop, and keep-alives keep flowing during a store outage.
//!
//! Acknowledgements carry the connection generation they belong to: after a reconnect the broker
//! redelivers what was not acknowledged, and an acknowledgement for an old connection's packet
//! id is dropped rather than sent, because that id may now name a different message.
//!
//! Bad input never stops the loop: a rejected message is counted by reason, written to the
//! dead-letter file and acknowledged (redelivering it would not make it valid).

use crate::deadletter::{DeadLetters, Letter};
use crate::enrich::Enricher;
use crate::metrics::Metrics;
use crate::sink::{Pending, lines};
use coverage_shared::topic::{Channel, Topic};
use coverage_shared::validate::decode;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Acknowledges one MQTT message once its point is dealt with.
#[derive(Debug)]
pub struct AckToken(Option<AckInner>);

#[derive(Debug)]
struct AckInner {
    client: AsyncClient,
    publish: Publish,
    generation: u64,
    current: Arc<AtomicU64>,
}

impl AckToken {
    /// A token with nothing to acknowledge (tests, replays).
    pub fn none() -> AckToken {
        AckToken(None)
    }

    /// Sends the PUBACK, unless the connection the message came on is gone.
    pub async fn ack(self) {
        let Some(a) = self.0 else { return };
        if a.current.load(Ordering::Acquire) != a.generation {
            // Redelivered on the new connection; that copy will be acknowledged instead.
            return;
        }
        if let Err(e) = a.client.ack(&a.publish).await {
            tracing::warn!(error = %e, "Cannot acknowledge a message; the broker will redeliver it.");
        }
    }
}

/// Settings of the ingest that are not connection settings.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// Subscription filter (`coverage/v1/+/+` or a `$share/...` form).
    pub filter: String,
    /// MQTT 5 receive maximum: unacknowledged messages the broker may send us.
    pub receive_maximum: u16,
    /// Session expiry: how long the broker keeps our session while we are away.
    pub session_expiry: Duration,
}

/// Rate-limits warnings about rejected messages to one per reason per minute.
#[derive(Default)]
struct RejectLog(HashMap<&'static str, Instant>);

impl RejectLog {
    fn should_log(&mut self, code: &'static str) -> bool {
        let now = Instant::now();
        match self.0.get(code) {
            Some(t) if now.duration_since(*t) < Duration::from_secs(60) => false,
            _ => {
                self.0.insert(code, now);
                true
            }
        }
    }
}

/// Everything the ingest loop needs.
pub struct Ingest {
    /// Placement of sites.
    pub enricher: Arc<Enricher>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Where rejected messages go.
    pub dead: Arc<DeadLetters>,
    /// Lines to the sink.
    pub tx: mpsc::Sender<Pending>,
}

/// Prepares MQTT options for the collector (persistent session, manual acks, flow control).
pub fn collector_options(mut opts: MqttOptions, s: &IngestSettings) -> MqttOptions {
    opts.set_clean_start(false)
        .set_manual_acks(true)
        .set_session_expiry_interval(Some(
            u32::try_from(s.session_expiry.as_secs()).unwrap_or(u32::MAX),
        ))
        .set_receive_maximum(Some(s.receive_maximum))
        .set_max_packet_size(Some(256 * 1024));
    opts
}

impl Ingest {
    /// Runs the subscription until `shutdown`. Connection errors are logged and retried with
    /// backoff; nothing here returns early on an error.
    pub async fn run(
        self,
        opts: MqttOptions,
        settings: IngestSettings,
        shutdown: CancellationToken,
    ) {
        let opts = collector_options(opts, &settings);
        let (client, mut eventloop) =
            AsyncClient::new(opts, usize::from(settings.receive_maximum) + 64);
        let generation = Arc::new(AtomicU64::new(0));
        let mut rejects = RejectLog::default();
        let mut failures = 0u32;
        loop {
            let event = tokio::select! {
                ev = eventloop.poll() => ev,
                _ = shutdown.cancelled() => break,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    failures = 0;
                    generation.fetch_add(1, Ordering::AcqRel);
                    self.metrics.set_mqtt_up(true);
                    tracing::info!(session_present = ack.session_present, filter = %settings.filter, "Connected to the broker.");
                    // Subscribing again is harmless with a persistent session and needed without.
                    if let Err(e) = client
                        .subscribe(settings.filter.clone(), QoS::AtLeastOnce)
                        .await
                    {
                        tracing::error!(error = %e, "Cannot subscribe; readings are not being received.");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    tracing::debug!(reasons = ?ack.return_codes, "Subscription acknowledged.");
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    self.handle(&client, p, &generation, &mut rejects).await;
                }
                Ok(Event::Incoming(Packet::Disconnect(d))) => {
                    self.metrics.set_mqtt_up(false);
                    tracing::warn!(reason = ?d.reason_code, "Broker closed the session.");
                }
                Ok(_) => {}
                Err(e) => {
                    self.metrics.set_mqtt_up(false);
                    let wait = Duration::from_millis(500).saturating_mul(1 << failures.min(6));
                    if failures == 0 || failures.is_power_of_two() {
                        tracing::warn!(error = %e, retry_in = ?wait, "MQTT connection lost; reconnecting.");
                    }
                    failures += 1;
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.cancelled() => break,
                    }
                }
            }
        }
        self.metrics.set_mqtt_up(false);
        // Unacknowledged messages stay with the broker for our next session; a clean
        // DISCONNECT (with a session expiry) keeps the session.
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Ok(ev) = eventloop.poll().await {
                if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }

    async fn handle(
        &self,
        client: &AsyncClient,
        p: Publish,
        generation: &Arc<AtomicU64>,
        rejects: &mut RejectLog,
    ) {
        let token = AckToken(Some(AckInner {
            client: client.clone(),
            publish: p.clone(),
            generation: generation.load(Ordering::Acquire),
            current: generation.clone(),
        }));
        let topic = String::from_utf8_lossy(&p.topic);
        if matches!(
            Topic::parse(&topic),
            Ok(Topic {
                channel: Channel::Resend,
                ..
            })
        ) {
            // Our own (or another collector's) resend request: not a reading.
            token.ack().await;
            return;
        }
        match decode(&topic, &p.payload, chrono::Utc::now()) {
            Err(rejection) => {
                let code = rejection.code();
                self.metrics.reject(code);
                let detail = rejection.to_string();
                if rejects.should_log(code) {
                    tracing::warn!(topic = %topic, reason = code, error = %detail, "Rejected a reading (logged once a minute per reason; all are counted and dead-lettered).");
                }
                let payload = String::from_utf8_lossy(&p.payload);
                self.dead.put(&Letter {
                    time: crate::deadletter::now(),
                    reason: code,
                    detail: &detail,
                    topic: Some(&topic),
                    payload: &payload,
                });
                token.ack().await;
            }
            Ok(valid) => {
                for flag in &valid.flags {
                    self.metrics.null(&flag.field);
                    tracing::debug!(topic = %topic, flag = %flag, "Nulled an out-of-range value.");
                }
                let placement = self.enricher.place(&valid.reading);
                let line = lines::line(&valid.reading, &placement);
                self.metrics.accept(valid.reading.kind().as_str());
                if self.tx.send(Pending { line, ack: token }).await.is_err() {
                    tracing::debug!("Sink closed; leaving the message unacknowledged.");
                }
            }
        }
    }
}

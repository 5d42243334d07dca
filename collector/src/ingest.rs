//! MQTT ingest: subscribe, decode, validate, place, and hand lines to the sink.
//!
//! The collector speaks MQTT 5 with a persistent session (`clean_start = false`, a session
//! expiry) under a stable client id, and acknowledges each message manually only when the sink
//! says its point is stored (or refused for good).
//!
//! The event loop is never blocked: one task polls rumqttc, hands points on (to the
//! write-ahead log's appender, or to the sink without one) when there is room (holding the
//! rest in a backlog), and sends the PUBACKs asked for over an unbounded channel. Blocking on
//! either side would deadlock: acks wait for the request channel to drain, and only polling
//! drains it. The backlog is bounded: the broker should send no more than the MQTT 5 receive
//! maximum unacknowledged, but mosquitto 2.0.11 sends past it, so once the backlog holds a
//! receive maximum of messages the loop stops polling (stops reading the broker's socket) until
//! the backlog has room again; TCP flow control then holds the broker back. Memory stays flat
//! whatever the broker has queued.
//!
//! Acknowledgements carry the connection generation they belong to: after a reconnect the broker
//! redelivers what was not acknowledged, and an acknowledgement for an old connection's packet
//! id is dropped rather than sent, because that id may now name a different message.
//!
//! Shutdown has two steps: the loop stops handing messages to the sink (newer ones stay
//! unacknowledged, so the broker redelivers them to our next session) but keeps polling until
//! the sink has spent or dropped every token, so the acks of its final flush are sent before
//! the connection closes.
//!
//! Bad input never stops the loop: a rejected message is counted by reason, written to the
//! dead-letter file and acknowledged (redelivering it would not make it valid).

use crate::ack::{AckToken, Pending, PubAckId};
use crate::deadletter::{DeadLetters, Letter};
use crate::enrich::Enricher;
use crate::identity::{IdentityCache, IdentityConfig, Seen};
use crate::metrics::Metrics;
use crate::sink::influx::{MAX_SERIES_KEY_BYTES, series_key_len};
use coverage_net::backoff::Backoff;
use coverage_net::mqtt::Poller;
use coverage_shared::schema::lines;
use coverage_shared::topic::{Channel, Topic};
use coverage_shared::validate::decode;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// `[ingest]`: how the collector subscribes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Shared-subscription group; several collectors with the same group split the load.
    #[serde(default)]
    pub shared_group: Option<String>,
    /// Unacknowledged messages the broker may send (MQTT 5 receive maximum).
    #[serde(default = "default_receive_maximum")]
    pub receive_maximum: u16,
    /// How long the broker keeps our session (and queues for us) while we are away.
    #[serde(default = "default_session_expiry", with = "humantime_serde")]
    pub session_expiry: Duration,
    /// Identity conflicts: how long and how many readings this instance remembers.
    #[serde(default)]
    pub identity: IdentityConfig,
}

fn default_receive_maximum() -> u16 {
    1000
}

fn default_session_expiry() -> Duration {
    Duration::from_secs(7 * 24 * 3600)
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            shared_group: None,
            receive_maximum: default_receive_maximum(),
            session_expiry: default_session_expiry(),
            identity: IdentityConfig::default(),
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
    /// Identity-conflict memory.
    pub identity: IdentityConfig,
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
    /// Whether readings of sites not in the registry are dead-lettered.
    pub reject_unregistered: bool,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Where rejected messages go.
    pub dead: Arc<DeadLetters>,
    /// Lines to the sink.
    pub tx: mpsc::Sender<Pending>,
    /// Resend requests from the coordinator's gap pass, published on this connection (`None`:
    /// not the coordinator).
    pub resends: Option<mpsc::UnboundedReceiver<crate::coordinator::gaps::ResendRequest>>,
}

/// Prepares MQTT options for the collector (persistent session, manual acks, flow control).
pub fn collector_options(mut opts: MqttOptions, s: &IngestSettings) -> MqttOptions {
    opts.set_clean_start(false)
        .set_manual_acks(true)
        .set_session_expiry_interval(Some(
            u32::try_from(s.session_expiry.as_secs()).unwrap_or(u32::MAX),
        ))
        .set_receive_maximum(Some(s.receive_maximum))
        .set_max_packet_size(Some(256 * 1024))
        // The collector publishes little (resend requests); rumqttc 0.25 would otherwise
        // allocate a 65,536-entry table of outgoing publishes (13.5 MB) per client.
        .set_outgoing_inflight_upper_limit(100);
    opts
}

impl Ingest {
    /// Runs the subscription until `shutdown`. Connection errors are logged and retried with
    /// backoff; nothing here returns early on an error.
    pub async fn run(
        mut self,
        opts: MqttOptions,
        settings: IngestSettings,
        shutdown: CancellationToken,
    ) {
        let opts = collector_options(opts, &settings);
        let (client, eventloop) =
            AsyncClient::new(opts, usize::from(settings.receive_maximum) + 64);
        let mut events = Poller::new(eventloop);
        let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<(PubAckId, u64)>();
        // Dropped when shutdown starts: once the sink has spent or dropped every token, the
        // ack channel closes and the loop ends (see `draining`).
        let mut ack_tx = Some(ack_tx);
        // After `shutdown`: no new message goes to the sink (those that arrive stay
        // unacknowledged, and the broker redelivers them to our next session), but the loop
        // keeps polling so the acks of the sink's final flush reach the broker before we exit.
        let mut draining = false;
        let mut generation = 0u64;
        let mut backlog: VecDeque<Pending> = VecDeque::new();
        // The ack debt: PUBACKs asked for that did not fit in rumqttc's request channel. It sends
        // one request per poll while a poll can also read ten messages, so against a broker that
        // sends past our receive maximum (mosquitto 2.0.11, see the module doc) it grows with the
        // flood: kept as 4-byte ids (a `Publish` each took 0.5 KB: 515 MiB RSS draining 2 M).
        let mut unsent_acks: VecDeque<PubAckId> = VecDeque::new();
        let mut warned_flow = false;
        // More than this in the backlog and the socket is not read (see the module doc).
        let backlog_cap = usize::from(settings.receive_maximum).max(1);
        // Messages received and not yet acknowledged (each token's ack comes back on `ack_rx`).
        let mut unacked: i64 = 0;
        let mut rejects = RejectLog::default();
        let mut identities = IdentityCache::new(settings.identity.clone());
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(32));
        let mut resends = self.resends.take();
        loop {
            // Acks that did not fit in rumqttc's request channel go first after each poll.
            while let Some(id) = unsent_acks.pop_front() {
                if client.try_ack(&id.to_publish()).is_err() {
                    unsent_acks.push_front(id);
                    break;
                }
            }
            self.metrics.unacked.set(unacked);
            tokio::select! {
                ev = events.next(), if backlog.len() < backlog_cap || draining => match ev {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                        backoff.reset();
                        generation += 1;
                        // Acks for the previous connection are void (see the module doc), and
                        // its messages come again.
                        unsent_acks.clear();
                        unacked = 0;
                        self.metrics.set_mqtt_up(true);
                        tracing::info!(session_present = ack.session_present, filter = %settings.filter, "Connected to the broker.");
                        // Subscribing again is harmless with a persistent session and needed without.
                        if let Err(e) = client.try_subscribe(settings.filter.clone(), QoS::AtLeastOnce) {
                            tracing::error!(error = %e, "Cannot subscribe; readings are not being received.");
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(ack))) => {
                        tracing::debug!(reasons = ?ack.return_codes, "Subscription acknowledged.");
                    }
                    Ok(Event::Incoming(Packet::Publish(_))) if draining => {}
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let Some(ack_tx) = &ack_tx else { continue };
                        let token = AckToken::new(&p, generation, ack_tx.clone());
                        unacked += 1;
                        if let Some(pending) = self.handle(p, token, &mut rejects, &mut identities) {
                            backlog.push_back(pending);
                            if !warned_flow && backlog.len() >= backlog_cap {
                                warned_flow = true;
                                tracing::info!(backlog = backlog.len(), receive_maximum = settings.receive_maximum, "Backlog at the receive maximum: not reading from the broker until it has room (logged once).");
                            }
                        }
                    }
                    Ok(Event::Incoming(Packet::Disconnect(d))) => {
                        self.metrics.set_mqtt_up(false);
                        tracing::warn!(reason = ?d.reason_code, "Broker closed the session.");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.metrics.set_mqtt_up(false);
                        let should_log = backoff.should_log();
                        let wait = backoff.next_delay();
                        if should_log {
                            tracing::warn!(error = %e, retry_in = ?wait, "MQTT connection lost; reconnecting.");
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = shutdown.cancelled() => break,
                        }
                    }
                },
                permit = self.tx.reserve(), if !backlog.is_empty() && !draining => match permit {
                    Ok(permit) => {
                        if let Some(p) = backlog.pop_front() {
                            permit.send(p);
                        }
                    }
                    Err(_) => {
                        tracing::debug!("Sink closed; leaving messages unacknowledged.");
                        break;
                    }
                },
                ack = ack_rx.recv() => match ack {
                    Some((id, gen_of)) => {
                        if gen_of == generation {
                            unacked -= 1;
                            // Behind the debt, in order, or straight to rumqttc.
                            if !unsent_acks.is_empty() || client.try_ack(&id.to_publish()).is_err() {
                                unsent_acks.push_back(id);
                            }
                        }
                    }
                    // Every token is spent or dropped (only after shutdown began).
                    None => break,
                },
                req = async { resends.as_mut()?.recv().await }, if resends.is_some() && !draining => match req {
                    Some(r) => {
                        if let Err(e) = client.try_publish(r.topic(), QoS::AtLeastOnce, false, r.payload()) {
                            tracing::warn!(site = %r.site, error = %e, "Cannot send a resend request; the next gap pass asks again.");
                        }
                    }
                    None => resends = None,
                },
                _ = shutdown.cancelled(), if !draining => {
                    draining = true;
                    ack_tx = None;
                    // Held back from the sink: never stored, so never acknowledged.
                    backlog.clear();
                    tracing::debug!("Ingest stopped; sending the acks of the final flush.");
                }
            }
        }
        // Acks queued behind a full request channel.
        while let Some(id) = unsent_acks.pop_front() {
            if client.try_ack(&id.to_publish()).is_err() {
                break;
            }
        }
        self.metrics.set_mqtt_up(false);
        // Unacknowledged messages stay with the broker for our next session; a clean
        // DISCONNECT (with a session expiry) keeps the session.
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Ok(ev) = events.next().await {
                if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }

    /// Decodes one message; returns the point for the sink, or acknowledges a rejected one.
    fn handle(
        &self,
        p: Publish,
        token: AckToken,
        rejects: &mut RejectLog,
        identities: &mut IdentityCache,
    ) -> Option<Pending> {
        let topic = String::from_utf8_lossy(&p.topic);
        if matches!(
            Topic::parse(&topic),
            Ok(Topic {
                channel: Channel::Resend,
                ..
            })
        ) {
            // Our own (or another collector's) resend request: not a reading.
            token.ack();
            return None;
        }
        let decoded = decode(&topic, &p.payload, chrono::Utc::now())
            .map_err(|r| (r.code(), r.to_string()))
            .and_then(|valid| {
                let site = &valid.reading.header.site;
                if self.reject_unregistered && !self.enricher.registered(site) {
                    return Err((
                        "unregistered",
                        format!(
                            "site {site} is not in the site registry ([registry] unregistered = \"reject\"): add it with `coverage-collector site add`"
                        ),
                    ));
                }
                let placement = self.enricher.place(&valid.reading);
                let line = lines::line(&valid.reading, &placement);
                // InfluxDB refuses a series key over 64 KiB whatever else the batch holds, and
                // may not say so (a partial write names only its first kind of error): such a
                // reading is rejected here, with its payload, rather than lost there. (The key
                // is never longer than the line, so short lines are not parsed.)
                if line.len() > MAX_SERIES_KEY_BYTES
                    && let Some(n) = series_key_len(&line)
                    && n > MAX_SERIES_KEY_BYTES
                {
                    return Err((
                        "key_too_long",
                        format!(
                            "its series key (measurement and tags) would be {n} bytes, more than InfluxDB's {MAX_SERIES_KEY_BYTES}"
                        ),
                    ));
                }
                let h = &valid.reading.header;
                if identities.check(&h.site, &h.run, h.seq, &p.payload, Instant::now())
                    == Seen::Conflict
                {
                    return Err((
                        "identity_conflict",
                        format!(
                            "site {} run {} seq {} was accepted before with another body; the first stays",
                            h.site, h.run, h.seq
                        ),
                    ));
                }
                Ok((valid, line))
            });
        match decoded {
            Err((code, detail)) => {
                self.metrics.reject(code);
                if rejects.should_log(code) {
                    tracing::warn!(topic = %topic, reason = code, error = %detail, "Rejected a reading (logged once a minute per reason; all are counted and dead-lettered).");
                }
                let payload = String::from_utf8_lossy(&p.payload);
                let kept = self.dead.put(&Letter {
                    time: crate::deadletter::now(),
                    reason: code,
                    detail: &detail,
                    topic: Some(&topic),
                    payload: &payload,
                });
                self.metrics.dead_letter_kept(code, kept);
                token.ack();
                None
            }
            Ok((valid, line)) => {
                for flag in &valid.flags {
                    self.metrics.null(&flag.field);
                    tracing::debug!(topic = %topic, flag = %flag, "Nulled an out-of-range value.");
                }
                self.metrics.accept(valid.reading.kind().as_str());
                let lag = chrono::Utc::now() - valid.reading.header.ts;
                self.metrics
                    .ingest_lag
                    .observe(lag.num_milliseconds().max(0) as f64 / 1000.0);
                Some(Pending { line, ack: token })
            }
        }
    }
}

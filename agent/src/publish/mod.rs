//! The publisher: drains the spool to MQTT 5 at QoS 1 and acknowledges a spooled reading only
//! after the broker's PUBACK says it was accepted.
//!
//! Protocol state kept apart from I/O, as rumqttc keeps `state.rs` beside `eventloop.rs`:
//! [`PublisherState`] (in `state.rs`) holds the connection state, the pause after a refusal,
//! the window, the in-flight table and the resend queue, takes events and returns
//! [`Action`]s; [`Publisher::run`] only does the I/O. The rules it keeps:
//!
//! - [`InFlight`] pairs what we asked rumqttc to publish with the packet ids rumqttc assigns.
//!   rumqttc's `publish()` returns no packet id, but its event loop emits
//!   `Outgoing::Publish(pkid)` for our requests **in the order we made them**, so a FIFO of
//!   requests, popped on each such event, gives each pkid its spool `seq`.
//! - A PUBACK with reason `Success` or `NoMatchingSubscribers` is a delivery. Any reason
//!   of 0x80 or more (`NotAuthorized` from the broker's ACL, `QuotaExceeded`, ...) is **not**: the
//!   reading goes back to the spool, the refusal is counted and logged at ERROR, and publishing
//!   pauses for a while (retrying at once would only be refused again). MQTT 3.1.1 would have
//!   acknowledged and silently dropped it; this is why the agent speaks MQTT 5. One reason
//!   refuses the reading itself, not the configuration: `PayloadFormatInvalid` (0x99). Sending
//!   it again could never succeed and would hold the spool up, so such a reading is dropped from
//!   the spool, counted (`dropped_refused`) and logged with the reason. `PacketTooLarge` (0x95)
//!   would be the other, but rumqttc 0.25 cannot decode that PUBACK (it fails the connection),
//!   so the recorder never spools a reading over the wire format's 64 KiB (the broker's
//!   `message_size_limit`).
//! - Any connection error puts every in-flight reading back to the spool (they are published
//!   again after the reconnect: duplicates, never losses) and clears the FIFO. The session is
//!   clean (`clean_start`), so rumqttc replays nothing of its own and the FIFO stays exact; we
//!   only hand rumqttc requests while connected, never more than the in-flight window.
//! - The packet ids of the lost connection are kept until the next CONNACK: rumqttc can yield
//!   a PUBACK it read just before the socket closed *after* the error that reports the close
//!   (its event queue survives the reconnection and is drained before the new CONNACK).
//!   mosquitto 2.0.11 does exactly that to an ACL refusal: PUBACK 135, then it closes the
//!   connection. Such a late PUBACK still counts: a refusal is logged and pauses publishing, a
//!   success acknowledges the reading (it was rewound, so this saves a duplicate).
//! - A refusal, of the credentials at CONNECT or of a reading by the ACL, is explained once in
//!   the log with `check`'s words for it (what was refused and the fix), then the retries back
//!   off quietly (DEBUG) until a reading is delivered. "Connection lost" is said only of a
//!   connection that was up; a connection never made is "cannot connect".
//! - Reconnections back off ([`reconnect_backoff`]); a CONNACK alone does not reset the delay,
//!   a delivery (or a connection that stays up) does. When mosquitto closes the connection after a refusal,
//!   a publish written in the meantime can fail first and the PUBACK 135 dies with the socket:
//!   the refusal is then invisible, and only the backoff keeps the agent from reconnecting and
//!   being refused every half second.
//!
//! Resend requests from the collector arrive on `coverage/v1/{site}/resend` as
//! `{"run": "...", "from": N, "to": M}`; the readings still in the spool (acknowledged ones
//! are kept for `keep_sent`) are published again, untracked (they were already delivered once).
//! Requests wait in a [`ResendQueue`] and are read from the spool a window at a time, after the
//! unsent readings, within the same in-flight window.

mod state;

pub use state::{AckOutcome, Action, InFlight, PublisherState, ResendQueue};

use crate::check::{BrokerContext, BrokerOutcome, broker_check, refused_by_broker};
use crate::spool::{Record, SharedSpool};
use coverage_net::backoff::{Backoff, ConnectionBackoff};
use coverage_net::mqtt::Poller;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Largest number of readings offered to the broker and not yet acknowledged.
pub const WINDOW: usize = 100;

/// Packet ids rumqttc may use (its `outgoing_inflight_upper_limit`). rumqttc 0.25 allocates a
/// table of this many `Option<Publish>` (about 210 bytes each) at start; its default, `u16::MAX`,
/// made 13.5 MB, two thirds of the agent's memory. We never have more than [`WINDOW`] tracked
/// publishes in flight; ten times that keeps packet ids from wrapping onto one still awaiting its
/// PUBACK (a pkid collision, which rumqttc 0.25 does not clear on reconnection) unless the broker
/// acknowledges a thousand publishes out of order. A broker's smaller receive maximum still wins.
pub const RUMQTTC_INFLIGHT_LIMIT: u16 = 10 * WINDOW as u16;

/// How long publishing pauses after the broker refused a reading.
pub const REFUSAL_PAUSE: Duration = Duration::from_secs(30);

/// A connection that stayed up this long counts as healthy (resets [`reconnect_backoff`]) even
/// without a delivery: an idle agent has nothing to deliver.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(30);

/// Reconnection delays: 0.5 s, doubling with each lost or failed connection, up to 32 s. A
/// CONNACK alone does not reset them; a delivery on the connection, or the connection staying up
/// for [`HEALTHY_AFTER`], does. So a broker that accepts the connection and drops it at once (an
/// ACL refusal whose PUBACK died with the socket, another agent with the same client id) is
/// retried ever more slowly instead of every half second.
pub fn reconnect_backoff() -> ConnectionBackoff {
    ConnectionBackoff::new(
        Backoff::new(Duration::from_millis(500), Duration::from_secs(32)),
        HEALTHY_AFTER,
    )
}

/// Largest seq range one resend request may cover; a larger `to` is cut to `from` + this.
pub const MAX_RESEND_SPAN: u64 = 100_000;

/// Most resend ranges kept waiting ([`ResendQueue`]); a further request drops the oldest (the
/// collector asks again for what it still misses).
pub const MAX_RESEND_RANGES: usize = 64;

/// A resend request from the collector.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResendRequest {
    /// The run the seqs belong to; requests for another run are ignored.
    pub run: String,
    /// First seq, inclusive.
    pub from: u64,
    /// Last seq, inclusive.
    pub to: u64,
}

/// Counters the heartbeat and `check` report.
#[derive(Debug, Default)]
pub struct PublishStats {
    /// Readings the broker acknowledged.
    pub delivered: AtomicU64,
    /// Readings the broker refused (PUBACK reason >= 0x80).
    pub refused: AtomicU64,
    /// Readings the broker refused for good (too large, payload format) and dropped.
    pub dropped_refused: AtomicU64,
    /// Readings published again on request.
    pub resent: AtomicU64,
}

/// Drains `spool` to the broker until `shutdown`.
pub struct Publisher {
    /// The spool.
    pub spool: SharedSpool,
    /// Rung by the recorder after each append.
    pub wake: Arc<Notify>,
    /// This agent's site id.
    pub site: String,
    /// This agent's run id.
    pub run: String,
    /// Counters.
    pub stats: Arc<PublishStats>,
    /// The broker as `check` describes it, to say the fix of a refusal in the log in `check`'s
    /// words (`None`: refusals are logged without it).
    pub broker: Option<BrokerContext>,
}

impl Publisher {
    /// Runs until `shutdown`; connection errors are retried with backoff, never returned.
    ///
    /// The I/O half: polls rumqttc's event loop, the recorder's wake-up, the one-second tick and
    /// `shutdown`, hands each event to a [`PublisherState`] and carries out the [`Action`]s it
    /// returns.
    pub async fn run(self, mut opts: MqttOptions, shutdown: CancellationToken) {
        opts.set_clean_start(true);
        opts.set_outgoing_inflight_upper_limit(RUMQTTC_INFLIGHT_LIMIT);
        let (client, eventloop) = AsyncClient::new(opts, 2 * WINDOW + 16);
        let mut events = Poller::new(eventloop);
        let resend_topic = coverage_shared::topic::resend_topic(&self.site);
        let mut state = PublisherState::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let actions = tokio::select! {
                ev = events.next() => match ev {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        tracing::info!(site = %self.site, "Connected to the broker.");
                        state.on_connack(Instant::now())
                    }
                    Ok(Event::Outgoing(rumqttc::Outgoing::Publish(pkid))) => {
                        state.on_outgoing_publish(pkid);
                        Vec::new()
                    }
                    Ok(Event::Incoming(Packet::PubAck(ack))) => {
                        let actions = state.on_puback(ack.pkid, ack.reason, Instant::now());
                        for a in &actions {
                            if let Action::Refused(seq) = a {
                                if state.say_refusal() {
                                    let fix = self.explain(&BrokerOutcome::Acked(ack.reason));
                                    tracing::error!(site = %self.site, seq, reason = ?ack.reason, pause = ?REFUSAL_PAUSE, fix = %fix, "Broker refused a reading; it stays in the spool, and publishing retries quietly until one is accepted.");
                                } else {
                                    tracing::debug!(site = %self.site, seq, reason = ?ack.reason, "Broker refused a reading again.");
                                }
                            }
                        }
                        actions
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => self.on_resend(&mut state, &p.payload),
                    Ok(Event::Incoming(Packet::Disconnect(d))) => {
                        tracing::warn!(reason = ?d.reason_code, "Broker closed the connection.");
                        Vec::new()
                    }
                    Ok(_) => Vec::new(),
                    Err(e) => {
                        if refused_by_broker(&e) {
                            // Retrying cannot help until someone fixes the credentials: say the
                            // fix once, as `check` would, then back off quietly.
                            if state.say_refusal() {
                                let fix = self.explain(&BrokerOutcome::Failed { connected: false, error: e });
                                tracing::error!(site = %self.site, fix = %fix, "Broker refused the connection; readings stay in the spool, and reconnecting retries quietly with backoff.");
                            } else {
                                tracing::debug!(site = %self.site, error = %e, "Broker refused the connection again.");
                            }
                        } else if state.log_connection_error() {
                            if state.was_connected() {
                                tracing::warn!(site = %self.site, error = %e, in_flight = state.in_flight(), "MQTT connection lost; readings stay in the spool.");
                            } else {
                                tracing::warn!(site = %self.site, error = %e, "Cannot connect to the broker; readings stay in the spool.");
                            }
                        }
                        state.on_connection_error()
                    }
                },
                _ = self.wake.notified() => vec![Action::Fill],
                _ = tick.tick() => state.on_tick(Instant::now()),
                _ = shutdown.cancelled() => break,
            };
            for action in actions {
                match action {
                    Action::Subscribe => {
                        if let Err(e) = client.try_subscribe(resend_topic.clone(), QoS::AtLeastOnce)
                        {
                            tracing::warn!(error = %e, "Cannot subscribe to resend requests.");
                        }
                    }
                    Action::Fill => self.fill(&client, &mut state).await,
                    Action::Ack(seq) => {
                        self.spool.ack(vec![seq]).await;
                        self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Action::Refused(seq) => {
                        self.spool.nack(seq).await;
                        self.stats.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Action::Dropped(seq, reason) => {
                        tracing::warn!(site = %self.site, seq, reason = ?reason, "Broker refused a reading for good (sending it again cannot succeed); it is dropped from the spool and counted.");
                        self.spool.ack(vec![seq]).await;
                        self.stats.refused.fetch_add(1, Ordering::Relaxed);
                        self.stats.dropped_refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Action::Rewind => self.spool.rewind().await,
                    Action::Wait(wait) => {
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = shutdown.cancelled() => break,
                        }
                    }
                    Action::Maintain => {
                        if let Err(e) = self.spool.maintain().await {
                            tracing::error!(error = %e, "Spool housekeeping failed.");
                        }
                    }
                }
            }
            if shutdown.is_cancelled() {
                break;
            }
        }
        // Make acknowledgements durable so a restart resends as little as possible.
        if let Err(e) = self.spool.commit().await {
            tracing::warn!(error = %e, "Cannot commit spool acknowledgements at shutdown; some readings will be sent twice.");
        }
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_millis(500), events.next()).await;
    }

    /// `check`'s broker line for `outcome` (what was found, and the fix), for the log.
    fn explain(&self, outcome: &BrokerOutcome) -> String {
        match &self.broker {
            Some(ctx) => {
                let c = broker_check(outcome, ctx);
                match c.fix {
                    Some(fix) => format!("{}; fix: {fix}", c.detail),
                    None => c.detail,
                }
            }
            None => "check the broker's password file and ACL (`coverage-agent check`)".to_owned(),
        }
    }

    /// Hands the next unsent readings to rumqttc, up to the window; then, with the room left,
    /// readings asked for again.
    async fn fill(&self, client: &AsyncClient, state: &mut PublisherState) {
        let Some(room) = state.room() else {
            return;
        };
        let records = match self.spool.next_unsent(room).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "Cannot read the spool.");
                return;
            }
        };
        for r in records {
            self.offer(client, state, r, true);
        }
        // A bounded number of spool reads per call: a sparse range (gaps between lifetimes) may
        // yield few readings per read; the rest waits for the next call (at least every second).
        for _ in 0..16 {
            let Some((from, to)) = state.next_resend() else {
                break;
            };
            match self.spool.resend(from, to).await {
                Ok(records) => {
                    self.stats
                        .resent
                        .fetch_add(records.len() as u64, Ordering::Relaxed);
                    for r in records {
                        self.offer(client, state, r, false);
                    }
                }
                Err(e) => {
                    tracing::error!(from, to, error = %e, "Cannot read the spool for a resend request.");
                }
            }
        }
    }

    fn offer(&self, client: &AsyncClient, state: &mut PublisherState, r: Record, tracked: bool) {
        match client.try_publish(r.topic, QoS::AtLeastOnce, false, r.payload) {
            Ok(()) => state.offered(tracked.then_some(r.seq)),
            Err(e) => {
                // The request channel is sized above the window, so this means the event loop
                // is gone; the reading stays in flight in the spool until the rewind.
                tracing::warn!(seq = r.seq, error = %e, "Cannot queue a publish.");
            }
        }
    }

    /// A message on the resend topic: a request of this run is queued; anything else is logged
    /// and ignored.
    fn on_resend(&self, state: &mut PublisherState, payload: &[u8]) -> Vec<Action> {
        let req: ResendRequest = match serde_json::from_slice(payload) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "Ignoring a malformed resend request.");
                return vec![Action::Fill];
            }
        };
        if req.run != self.run {
            tracing::info!(requested_run = %req.run, run = %self.run, "Ignoring a resend request for another run.");
            return vec![Action::Fill];
        }
        tracing::info!(
            from = req.from,
            to = req.to,
            "Resending readings on the collector's request."
        );
        let (dropped, actions) = state.on_resend(req.from, req.to);
        if let Some((from, to)) = dropped {
            tracing::warn!(
                from,
                to,
                "Too many resend requests waiting; dropped the oldest."
            );
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_until_a_connection_proves_healthy() {
        let secs = |b: &mut ConnectionBackoff| b.failed().as_secs_f64();
        let mut b = reconnect_backoff();
        let t0 = Instant::now();
        assert_eq!(
            (0..8).map(|_| secs(&mut b)).collect::<Vec<_>>(),
            [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 32.0]
        );
        let mut b = reconnect_backoff();
        // Accepted, then dropped at once, again and again: no reset.
        for expected in [0.5, 1.0, 2.0] {
            b.connected(t0);
            b.tick(t0 + Duration::from_secs(1));
            assert_eq!(secs(&mut b), expected);
        }
        // A delivery resets.
        b.connected(t0);
        b.delivered();
        assert_eq!(secs(&mut b), 0.5);
        // So does a connection that stays up, without deliveries.
        b.connected(t0);
        b.tick(t0 + HEALTHY_AFTER - Duration::from_millis(1));
        assert_eq!(secs(&mut b), 1.0);
        b.connected(t0);
        b.tick(t0 + HEALTHY_AFTER);
        assert_eq!(secs(&mut b), 0.5);
        // Ticks while disconnected change nothing.
        b.tick(t0 + 10 * HEALTHY_AFTER);
        assert_eq!(b.failures(), 1);
    }
}

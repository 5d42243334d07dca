//! The publisher: drains the spool to MQTT 5 at QoS 1 and acknowledges a spooled reading only
//! after the broker's PUBACK says it was accepted.
//!
//! Protocol state kept apart from I/O:
//!
//! - [`InFlight`] pairs what we asked rumqttc to publish with the packet ids rumqttc assigns.
//!   rumqttc's `publish()` returns no packet id, but its event loop emits
//!   `Outgoing::Publish(pkid)` for our requests **in the order we made them**, so a FIFO of
//!   requests, popped on each such event, gives each pkid its spool `seq`.
//! - A PUBACK with reason `Success` or `NoMatchingSubscribers` is a delivery. Any reason
//!   of 0x80 or more (`NotAuthorized` from the broker's ACL, `QuotaExceeded`, ...) is **not**: the
//!   reading goes back to the spool, the refusal is counted and logged at ERROR, and publishing
//!   pauses for a while (retrying at once would only be refused again). MQTT 3.1.1 would have
//!   acknowledged and silently dropped it; this is why the agent speaks MQTT 5.
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

use crate::spool::{Record, SharedSpool};
use coverage_net::backoff::{Backoff, ConnectionBackoff, log_throttle};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
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

/// Resend requests waiting for room in the window, as seq ranges. They are read from the spool a
/// window's worth of seqs at a time, after the unsent readings, so a request for many readings
/// neither holds them all in memory nor overflows rumqttc's request channel.
#[derive(Debug, Default)]
pub struct ResendQueue {
    ranges: VecDeque<(u64, u64)>,
}

impl ResendQueue {
    /// Queues `from..=to` (cut to [`MAX_RESEND_SPAN`] seqs); returns the range dropped to make
    /// room, if any.
    pub fn push(&mut self, from: u64, to: u64) -> Option<(u64, u64)> {
        if from > to {
            return None;
        }
        let dropped = if self.ranges.len() >= MAX_RESEND_RANGES {
            self.ranges.pop_front()
        } else {
            None
        };
        self.ranges
            .push_back((from, to.min(from.saturating_add(MAX_RESEND_SPAN - 1))));
        dropped
    }

    /// Takes the next seq range of at most `room` seqs (so at most `room` readings) off the
    /// queue; `None` when the queue is empty or `room` is 0.
    pub fn take(&mut self, room: usize) -> Option<(u64, u64)> {
        if room == 0 {
            return None;
        }
        let front = self.ranges.front_mut()?;
        let (from, to) = *front;
        let upto = from.saturating_add(room as u64 - 1).min(to);
        if upto >= to {
            self.ranges.pop_front();
        } else {
            front.0 = upto + 1;
        }
        Some((from, upto))
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

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
    /// Readings published again on request.
    pub resent: AtomicU64,
}

/// Pairs publish requests with packet ids and packet ids with spool seqs.
#[derive(Debug, Default)]
pub struct InFlight {
    /// Requests handed to rumqttc and not yet seen as `Outgoing::Publish`; `None` = untracked.
    requested: VecDeque<Option<u64>>,
    /// Packet id -> seq, for tracked publishes awaiting their PUBACK.
    by_pkid: HashMap<u16, Option<u64>>,
    /// `by_pkid` of the connection that was lost, until the next CONNACK: PUBACKs rumqttc read
    /// before the connection closed come out after the error (module doc).
    lost: HashMap<u16, Option<u64>>,
}

/// What a PUBACK means for the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// Delivered: acknowledge `seq` in the spool.
    Delivered(u64),
    /// Refused by the broker: put `seq` back.
    Refused(u64),
    /// An untracked (resent) publish or an unknown packet id.
    Untracked,
}

impl InFlight {
    /// Readings handed out and not yet acknowledged.
    pub fn len(&self) -> usize {
        self.requested.len() + self.by_pkid.len()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records a publish request, in the order it was made.
    pub fn requested(&mut self, seq: Option<u64>) {
        self.requested.push_back(seq);
    }

    /// rumqttc sent our next request with packet id `pkid`.
    pub fn sent(&mut self, pkid: u16) {
        if let Some(seq) = self.requested.pop_front() {
            self.by_pkid.insert(pkid, seq);
        }
    }

    /// The broker answered `pkid` with `reason`, on this connection or, before the next
    /// CONNACK, on the one that was lost.
    pub fn acked(&mut self, pkid: u16, reason: PubAckReason) -> AckOutcome {
        let seq = self
            .by_pkid
            .remove(&pkid)
            .or_else(|| self.lost.remove(&pkid));
        match seq.flatten() {
            None => AckOutcome::Untracked,
            Some(seq)
                if matches!(
                    reason,
                    PubAckReason::Success | PubAckReason::NoMatchingSubscribers
                ) =>
            {
                AckOutcome::Delivered(seq)
            }
            Some(seq) => AckOutcome::Refused(seq),
        }
    }

    /// The connection is gone (the spool is rewound by the caller): requests not yet sent are
    /// forgotten; packet ids awaiting a PUBACK are kept apart until [`InFlight::connected`], for
    /// the PUBACKs rumqttc read before the connection closed and yields after the error.
    pub fn connection_lost(&mut self) {
        self.requested.clear();
        self.lost.extend(self.by_pkid.drain());
    }

    /// A new connection is up (CONNACK): nothing of the lost one can come any more.
    pub fn connected(&mut self) {
        self.lost.clear();
    }
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
}

impl Publisher {
    /// Runs until `shutdown`; connection errors are retried with backoff, never returned.
    pub async fn run(self, mut opts: MqttOptions, shutdown: CancellationToken) {
        opts.set_clean_start(true);
        opts.set_outgoing_inflight_upper_limit(RUMQTTC_INFLIGHT_LIMIT);
        let (client, mut eventloop) = AsyncClient::new(opts, 2 * WINDOW + 16);
        let resend_topic = coverage_shared::topic::resend_topic(&self.site);
        let mut inflight = InFlight::default();
        let mut resends = ResendQueue::default();
        let mut connected = false;
        let mut paused_until: Option<Instant> = None;
        let mut backoff = reconnect_backoff();
        // Slow start: after a connection dies with readings in flight and none delivered, offer
        // one reading at a time until one is delivered. A broker that refuses a publish and
        // closes (mosquitto after an ACL denial) then has its PUBACK read before the close,
        // instead of the close surfacing first as a broken pipe on the next queued publish.
        let mut window = WINDOW;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                ev = eventloop.poll() => match ev {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        connected = true;
                        inflight.connected();
                        backoff.connected(Instant::now());
                        tracing::info!(site = %self.site, "Connected to the broker.");
                        if let Err(e) = client.try_subscribe(resend_topic.clone(), QoS::AtLeastOnce) {
                            tracing::warn!(error = %e, "Cannot subscribe to resend requests.");
                        }
                        self.fill(&client, &mut inflight, &mut resends, connected, paused_until, window).await;
                    }
                    Ok(Event::Outgoing(rumqttc::Outgoing::Publish(pkid))) => inflight.sent(pkid),
                    Ok(Event::Incoming(Packet::PubAck(ack))) => {
                        match inflight.acked(ack.pkid, ack.reason) {
                            AckOutcome::Delivered(seq) => {
                                self.spool.ack(vec![seq]).await;
                                self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                                backoff.delivered();
                                window = WINDOW;
                            }
                            AckOutcome::Refused(seq) => {
                                self.spool.nack(seq).await;
                                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                                tracing::error!(site = %self.site, seq, reason = ?ack.reason, pause = ?REFUSAL_PAUSE, "Broker refused a reading (check the ACL and that mqtt.username equals the site id); it stays in the spool.");
                                paused_until = Some(Instant::now() + REFUSAL_PAUSE);
                            }
                            AckOutcome::Untracked => {}
                        }
                        self.fill(&client, &mut inflight, &mut resends, connected, paused_until, window).await;
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        self.on_resend(&mut resends, &p.payload);
                        self.fill(&client, &mut inflight, &mut resends, connected, paused_until, window).await;
                    }
                    Ok(Event::Incoming(Packet::Disconnect(d))) => {
                        tracing::warn!(reason = ?d.reason_code, "Broker closed the connection.");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let failures = backoff.failures();
                        if connected || log_throttle(failures) {
                            tracing::warn!(site = %self.site, error = %e, in_flight = inflight.len(), "MQTT connection lost; readings stay in the spool.");
                        }
                        if connected && !inflight.is_empty() {
                            window = 1;
                        }
                        connected = false;
                        inflight.connection_lost();
                        self.spool.rewind().await;
                        let wait = backoff.failed();
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = shutdown.cancelled() => break,
                        }
                    }
                },
                _ = self.wake.notified() => self.fill(&client, &mut inflight, &mut resends, connected, paused_until, window).await,
                _ = tick.tick() => {
                    if paused_until.is_some_and(|t| Instant::now() >= t) {
                        paused_until = None;
                    }
                    backoff.tick(Instant::now());
                    if let Err(e) = self.spool.maintain().await {
                        tracing::error!(error = %e, "Spool housekeeping failed.");
                    }
                    self.fill(&client, &mut inflight, &mut resends, connected, paused_until, window).await;
                }
                _ = shutdown.cancelled() => break,
            }
        }
        // Make acknowledgements durable so a restart resends as little as possible.
        if let Err(e) = self.spool.commit().await {
            tracing::warn!(error = %e, "Cannot commit spool acknowledgements at shutdown; some readings will be sent twice.");
        }
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
    }

    /// Hands the next unsent readings to rumqttc, up to the window; then, with the room left,
    /// readings asked for again.
    async fn fill(
        &self,
        client: &AsyncClient,
        inflight: &mut InFlight,
        resends: &mut ResendQueue,
        connected: bool,
        paused_until: Option<Instant>,
        window: usize,
    ) {
        if !connected || paused_until.is_some() || inflight.len() >= window {
            return;
        }
        let records = match self.spool.next_unsent(window - inflight.len()).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "Cannot read the spool.");
                return;
            }
        };
        for r in records {
            self.offer(client, inflight, r, true);
        }
        // A bounded number of spool reads per call: a sparse range (gaps between lifetimes) may
        // yield few readings per read; the rest waits for the next call (at least every second).
        for _ in 0..16 {
            let Some((from, to)) = resends.take(window.saturating_sub(inflight.len())) else {
                break;
            };
            match self.spool.resend(from, to).await {
                Ok(records) => {
                    self.stats
                        .resent
                        .fetch_add(records.len() as u64, Ordering::Relaxed);
                    for r in records {
                        self.offer(client, inflight, r, false);
                    }
                }
                Err(e) => {
                    tracing::error!(from, to, error = %e, "Cannot read the spool for a resend request.");
                }
            }
        }
    }

    fn offer(&self, client: &AsyncClient, inflight: &mut InFlight, r: Record, tracked: bool) {
        match client.try_publish(r.topic, QoS::AtLeastOnce, false, r.payload) {
            Ok(()) => inflight.requested(tracked.then_some(r.seq)),
            Err(e) => {
                // The request channel is sized above the window, so this means the event loop
                // is gone; the reading stays in flight in the spool until the rewind.
                tracing::warn!(seq = r.seq, error = %e, "Cannot queue a publish.");
            }
        }
    }

    fn on_resend(&self, resends: &mut ResendQueue, payload: &[u8]) {
        let req: ResendRequest = match serde_json::from_slice(payload) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "Ignoring a malformed resend request.");
                return;
            }
        };
        if req.run != self.run {
            tracing::info!(requested_run = %req.run, run = %self.run, "Ignoring a resend request for another run.");
            return;
        }
        tracing::info!(
            from = req.from,
            to = req.to,
            "Resending readings on the collector's request."
        );
        if let Some((from, to)) = resends.push(req.from, req.to) {
            tracing::warn!(
                from,
                to,
                "Too many resend requests waiting; dropped the oldest."
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkids_pair_with_seqs_in_request_order() {
        let mut f = InFlight::default();
        f.requested(Some(10));
        f.requested(None);
        f.requested(Some(12));
        f.sent(1);
        f.sent(2);
        f.sent(3);
        assert_eq!(f.len(), 3);
        assert_eq!(f.acked(3, PubAckReason::Success), AckOutcome::Delivered(12));
        assert_eq!(f.acked(2, PubAckReason::Success), AckOutcome::Untracked);
        assert_eq!(
            f.acked(1, PubAckReason::NoMatchingSubscribers),
            AckOutcome::Delivered(10)
        );
        assert!(f.is_empty());
    }

    #[test]
    fn refusals_are_not_deliveries() {
        let mut f = InFlight::default();
        for (i, reason) in [
            PubAckReason::NotAuthorized,
            PubAckReason::QuotaExceeded,
            PubAckReason::UnspecifiedError,
            PubAckReason::TopicNameInvalid,
            PubAckReason::PayloadFormatInvalid,
        ]
        .into_iter()
        .enumerate()
        {
            let seq = i as u64;
            f.requested(Some(seq));
            f.sent(7);
            assert_eq!(f.acked(7, reason), AckOutcome::Refused(seq), "{reason:?}");
        }
        assert_eq!(f.acked(99, PubAckReason::Success), AckOutcome::Untracked);
    }

    #[test]
    fn resend_ranges_come_out_a_window_at_a_time() {
        let mut q = ResendQueue::default();
        assert_eq!(q.push(10, 9), None, "an empty range is ignored");
        assert!(q.is_empty());
        q.push(1, 250);
        q.push(300, 300);
        assert_eq!(q.take(0), None);
        assert_eq!(q.take(100), Some((1, 100)));
        assert_eq!(q.take(100), Some((101, 200)));
        assert_eq!(q.take(7), Some((201, 207)));
        assert_eq!(q.take(100), Some((208, 250)));
        assert_eq!(q.take(100), Some((300, 300)));
        assert_eq!(q.take(100), None);
        // A huge request is cut to MAX_RESEND_SPAN seqs, and u64::MAX does not overflow.
        q.push(5, u64::MAX);
        let mut n = 0;
        while let Some((from, to)) = q.take(WINDOW) {
            n += to - from + 1;
        }
        assert_eq!(n, MAX_RESEND_SPAN);
        q.push(u64::MAX - 1, u64::MAX);
        assert_eq!(q.take(WINDOW), Some((u64::MAX - 1, u64::MAX)));
        // Bounded: the oldest range goes.
        for i in 0..MAX_RESEND_RANGES as u64 {
            assert_eq!(q.push(i, i), None);
        }
        assert_eq!(q.push(1000, 1000), Some((0, 0)));
    }

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

    #[test]
    fn a_lost_connection_forgets_unsent_requests() {
        let mut f = InFlight::default();
        f.requested(Some(1));
        f.requested(Some(2));
        f.sent(5);
        f.connection_lost();
        assert!(f.is_empty());
        // The request for seq 2 never went out: the next connection's first publish is not it.
        f.connected();
        f.requested(Some(3));
        f.sent(1);
        assert_eq!(f.acked(1, PubAckReason::Success), AckOutcome::Delivered(3));
        assert_eq!(f.acked(5, PubAckReason::Success), AckOutcome::Untracked);
    }

    /// mosquitto 2.0.11 answers a publish its ACL denies with PUBACK 135 and closes the
    /// connection; rumqttc reads both at once and reports the close first, then yields the
    /// PUBACK from its event queue before the next CONNACK. The refusal must still count.
    #[test]
    fn a_puback_read_before_the_connection_closed_still_counts() {
        let mut f = InFlight::default();
        for seq in [10, 11, 12] {
            f.requested(Some(seq));
        }
        f.sent(2);
        f.sent(3);
        f.connection_lost(); // seq 12 was never sent
        assert!(f.is_empty(), "the window is free for the next connection");
        // A failed reconnection attempt before the CONNACK changes nothing.
        f.connection_lost();
        assert_eq!(
            f.acked(2, PubAckReason::NotAuthorized),
            AckOutcome::Refused(10)
        );
        assert_eq!(f.acked(3, PubAckReason::Success), AckOutcome::Delivered(11));
        assert_eq!(f.acked(3, PubAckReason::Success), AckOutcome::Untracked);
    }

    #[test]
    fn packet_ids_of_a_lost_connection_are_forgotten_at_the_next_connack() {
        let mut f = InFlight::default();
        f.requested(Some(10));
        f.sent(2);
        f.connection_lost();
        f.connected();
        // Packet id 2 again, on the new connection, for another reading.
        f.requested(Some(20));
        f.sent(2);
        assert_eq!(f.acked(2, PubAckReason::Success), AckOutcome::Delivered(20));
        assert_eq!(f.acked(2, PubAckReason::Success), AckOutcome::Untracked);
        // And a late PUBACK after the CONNACK is no longer matched to the lost connection.
        f.requested(Some(30));
        f.sent(7);
        f.connection_lost();
        f.connected();
        assert_eq!(
            f.acked(7, PubAckReason::NotAuthorized),
            AckOutcome::Untracked
        );
    }
}

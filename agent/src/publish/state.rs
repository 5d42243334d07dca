//! The publisher's protocol state, apart from its I/O (as rumqttc keeps `state.rs` beside
//! `eventloop.rs`): whether the connection is up, the pause after a refusal, the in-flight
//! window (slow start after a lost connection), the table pairing packet ids with spool seqs
//! ([`InFlight`]), the resend requests waiting for room ([`ResendQueue`]) and the reconnection
//! backoff.
//!
//! [`PublisherState`] takes the events of the MQTT event loop (CONNACK, `Outgoing::Publish`
//! with its packet id, PUBACK with its reason code, a connection error, the one-second tick, a
//! resend request) and returns [`Action`]s for the I/O half (`Publisher::run`) to carry out:
//! acknowledge or put back a reading in the spool, rewind the spool, wait before reconnecting,
//! subscribe, offer readings. Filling the window is asked for in two steps, because only the I/O
//! half reads the spool: [`PublisherState::room`] says how many unsent readings to read,
//! [`PublisherState::offered`] records each one handed to rumqttc, and
//! [`PublisherState::next_resend`] gives the next seq range asked for again that fits.
//!
//! Invariants: nothing is offered while disconnected, while paused after a refusal, or beyond
//! the window; a reading leaves the spool only on a PUBACK with reason `Success` or
//! `NoMatchingSubscribers` (the module doc of [`crate::publish`] says why, and why a PUBACK that
//! comes out after the error closing its connection still counts). No I/O, no clock of its own:
//! every time is passed in, so each sequence of events is unit-tested.

use super::{MAX_RESEND_RANGES, MAX_RESEND_SPAN, REFUSAL_PAUSE, WINDOW, reconnect_backoff};
use coverage_net::backoff::{ConnectionBackoff, log_throttle};
use rumqttc::v5::mqttbytes::v5::PubAckReason;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// What the I/O half must do after an event, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Subscribe to this site's resend requests (after each CONNACK: the session is clean).
    Subscribe,
    /// Offer readings to rumqttc: [`PublisherState::room`], [`PublisherState::offered`],
    /// [`PublisherState::next_resend`].
    Fill,
    /// The broker accepted this reading: acknowledge it in the spool and count it delivered.
    Ack(u64),
    /// The broker refused this reading (PUBACK reason 0x80 or more): put it back in the spool,
    /// count and log the refusal; publishing is paused for [`REFUSAL_PAUSE`].
    Refused(u64),
    /// The broker refused this very reading for good ([`refuses_for_good`]: too large, payload
    /// format): sending it again can never succeed, so it leaves the spool, counted and logged
    /// with the reason, and publishing goes on.
    Dropped(u64, PubAckReason),
    /// The connection is gone: every reading in flight is unsent again (duplicates, never
    /// losses).
    Rewind,
    /// Wait this long before polling the event loop again (it reconnects on the next poll).
    Wait(Duration),
    /// Do the spool's housekeeping (on the tick).
    Maintain,
}

/// Whether a PUBACK `reason` refuses the reading itself, whatever the configuration:
/// `PayloadFormatInvalid` (0x99). (`PacketTooLarge`, 0x95, mosquitto's answer to a payload over
/// its `message_size_limit`, would be one too, but rumqttc 0.25 cannot decode it: the PUBACK
/// fails the connection instead. The recorder therefore never spools a reading over the wire
/// format's 64 KiB, the limit of `deploy/mosquitto/mosquitto.conf`.)
/// Every other refusal (`NotAuthorized` from the ACL, `QuotaExceeded`, a topic refused) is a
/// matter of configuration or load that someone can fix, so the reading waits in the spool.
pub fn refuses_for_good(reason: PubAckReason) -> bool {
    matches!(reason, PubAckReason::PayloadFormatInvalid)
}

/// The publisher's state between events (module doc).
#[derive(Debug)]
pub struct PublisherState {
    inflight: InFlight,
    resends: ResendQueue,
    connected: bool,
    paused_until: Option<Instant>,
    backoff: ConnectionBackoff,
    /// How many readings may be in flight: [`WINDOW`], or 1 (slow start) after a connection
    /// died with readings in flight, until one is delivered. A broker that refuses a publish
    /// and closes (mosquitto after an ACL denial) then has its PUBACK read before the close,
    /// instead of the close surfacing first as a broken pipe on the next queued publish.
    window: usize,
    /// Whether a refusal (credentials, ACL) has been explained in the log since the last
    /// delivery: the fix is said once, then the retries back off quietly.
    refusal_said: bool,
}

impl Default for PublisherState {
    fn default() -> Self {
        PublisherState::new()
    }
}

impl PublisherState {
    /// Disconnected, not paused, the full window, nothing in flight or waiting, the backoff at
    /// its first delay ([`reconnect_backoff`]).
    pub fn new() -> PublisherState {
        PublisherState {
            inflight: InFlight::default(),
            resends: ResendQueue::default(),
            connected: false,
            paused_until: None,
            backoff: reconnect_backoff(),
            window: WINDOW,
            refusal_said: false,
        }
    }

    /// A CONNACK at `now`: connected; the packet ids of the lost connection are forgotten.
    pub fn on_connack(&mut self, now: Instant) -> Vec<Action> {
        self.connected = true;
        self.inflight.connected();
        self.backoff.connected(now);
        vec![Action::Subscribe, Action::Fill]
    }

    /// rumqttc sent our next publish request with packet id `pkid`.
    pub fn on_outgoing_publish(&mut self, pkid: u16) {
        self.inflight.sent(pkid);
    }

    /// A PUBACK for `pkid` with `reason`, at `now`. A delivery restores the full window and
    /// resets the backoff; a refusal pauses publishing until `now` + [`REFUSAL_PAUSE`].
    pub fn on_puback(&mut self, pkid: u16, reason: PubAckReason, now: Instant) -> Vec<Action> {
        match self.inflight.acked(pkid, reason) {
            AckOutcome::Delivered(seq) => {
                self.backoff.delivered();
                self.window = WINDOW;
                self.refusal_said = false;
                vec![Action::Ack(seq), Action::Fill]
            }
            AckOutcome::Refused(seq) if refuses_for_good(reason) => {
                vec![Action::Dropped(seq, reason), Action::Fill]
            }
            AckOutcome::Refused(seq) => {
                self.paused_until = Some(now + REFUSAL_PAUSE);
                vec![Action::Refused(seq), Action::Fill]
            }
            AckOutcome::Untracked => vec![Action::Fill],
        }
    }

    /// Whether a connection error now deserves a log line: always when the connection was up,
    /// otherwise throttled by the number of failures in a row.
    pub fn log_connection_error(&self) -> bool {
        self.connected || log_throttle(self.backoff.failures())
    }

    /// Whether the connection was up when the error came: "connection lost" is said only of
    /// a connection that was made.
    pub fn was_connected(&self) -> bool {
        self.connected
    }

    /// A refusal (the broker refused the credentials at CONNECT, or a reading by its ACL):
    /// `true` the first time since the last delivery, when the log should say what to fix;
    /// afterwards the retries back off without repeating it.
    pub fn say_refusal(&mut self) -> bool {
        !std::mem::replace(&mut self.refusal_said, true)
    }

    /// A connection error: slow start if readings were in flight on a live connection, the
    /// spool rewound, and the reconnection delayed by the backoff.
    pub fn on_connection_error(&mut self) -> Vec<Action> {
        if self.connected && !self.inflight.is_empty() {
            self.window = 1;
        }
        self.connected = false;
        self.inflight.connection_lost();
        vec![Action::Rewind, Action::Wait(self.backoff.failed())]
    }

    /// The one-second tick at `now`: a pause that has run out ends; a connection up for
    /// [`super::HEALTHY_AFTER`] resets the backoff.
    pub fn on_tick(&mut self, now: Instant) -> Vec<Action> {
        if self.paused_until.is_some_and(|t| now >= t) {
            self.paused_until = None;
        }
        self.backoff.tick(now);
        vec![Action::Maintain, Action::Fill]
    }

    /// A resend request of this run for `from..=to` (the caller checked the run); returns the
    /// range dropped to make room, if any ([`ResendQueue::push`]).
    pub fn on_resend(&mut self, from: u64, to: u64) -> (Option<(u64, u64)>, Vec<Action>) {
        (self.resends.push(from, to), vec![Action::Fill])
    }

    /// How many unsent readings may be offered now; `None` while disconnected, paused or with
    /// the window full.
    pub fn room(&self) -> Option<usize> {
        if !self.connected || self.paused_until.is_some() || self.inflight.len() >= self.window {
            return None;
        }
        Some(self.window - self.inflight.len())
    }

    /// A reading was handed to rumqttc: `Some(seq)` tracked (its PUBACK acknowledges it in the
    /// spool), `None` untracked (a resend).
    pub fn offered(&mut self, seq: Option<u64>) {
        self.inflight.requested(seq);
    }

    /// The next seq range asked for again that fits in the room left in the window.
    pub fn next_resend(&mut self) -> Option<(u64, u64)> {
        self.resends
            .take(self.window.saturating_sub(self.inflight.len()))
    }

    /// Readings handed out and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    /// Whether the connection is up (a CONNACK since the last error).
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// How many readings may be in flight now ([`WINDOW`], or 1 during slow start).
    pub fn window(&self) -> usize {
        self.window
    }

    /// Until when publishing is paused after a refusal, if it is.
    pub fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::HEALTHY_AFTER;

    /// Offers `n` tracked readings with seqs from `first` and lets rumqttc send them with
    /// packet ids from `first_pkid`, as the I/O half would on [`Action::Fill`].
    fn offer_and_send(s: &mut PublisherState, first: u64, n: u64, first_pkid: u16) {
        for i in 0..n {
            s.offered(Some(first + i));
        }
        for i in 0..n {
            s.on_outgoing_publish(first_pkid + i as u16);
        }
    }

    #[test]
    fn nothing_is_offered_before_the_connack() {
        let s = PublisherState::new();
        assert!(!s.is_connected());
        assert_eq!(s.room(), None);
        assert_eq!(s.window(), WINDOW);
    }

    #[test]
    fn connack_fill_the_window_then_a_success_commits() {
        let t0 = Instant::now();
        let mut s = PublisherState::new();
        assert_eq!(s.on_connack(t0), [Action::Subscribe, Action::Fill]);
        assert_eq!(s.room(), Some(WINDOW));
        offer_and_send(&mut s, 1, WINDOW as u64, 1);
        assert_eq!(s.room(), None, "the window is full");
        assert_eq!(s.in_flight(), WINDOW);
        assert_eq!(
            s.on_puback(1, PubAckReason::Success, t0),
            [Action::Ack(1), Action::Fill]
        );
        assert_eq!(s.room(), Some(1), "one place free again");
        assert_eq!(
            s.on_puback(2, PubAckReason::NoMatchingSubscribers, t0),
            [Action::Ack(2), Action::Fill],
            "no subscriber is still a delivery"
        );
        // A PUBACK for a packet id we never sent acknowledges nothing.
        assert_eq!(s.on_puback(900, PubAckReason::Success, t0), [Action::Fill]);
    }

    #[test]
    fn a_reading_refused_for_good_is_dropped_without_a_pause() {
        let t0 = Instant::now();
        let mut s = PublisherState::new();
        s.on_connack(t0);
        offer_and_send(&mut s, 10, 3, 1);
        assert_eq!(
            s.on_puback(1, PubAckReason::PayloadFormatInvalid, t0),
            [
                Action::Dropped(10, PubAckReason::PayloadFormatInvalid),
                Action::Fill
            ]
        );
        assert!(s.room().is_some(), "publishing goes on: no pause");
        // An ACL refusal still keeps the reading and pauses.
        assert_eq!(
            s.on_puback(2, PubAckReason::NotAuthorized, t0),
            [Action::Refused(11), Action::Fill]
        );
        assert!(!refuses_for_good(PubAckReason::NotAuthorized));
        assert!(!refuses_for_good(PubAckReason::QuotaExceeded));
    }

    #[test]
    fn a_refusal_pauses_for_refusal_pause_and_commits_nothing() {
        let t0 = Instant::now();
        let mut s = PublisherState::new();
        s.on_connack(t0);
        offer_and_send(&mut s, 10, 3, 1);
        let actions = s.on_puback(1, PubAckReason::NotAuthorized, t0);
        assert_eq!(actions, [Action::Refused(10), Action::Fill]);
        assert!(!actions.iter().any(|a| matches!(a, Action::Ack(_))));
        assert_eq!(s.paused_until(), Some(t0 + REFUSAL_PAUSE));
        assert_eq!(s.room(), None, "paused: nothing is offered");
        // Still paused one tick before the pause ends, free at its end.
        s.on_tick(t0 + REFUSAL_PAUSE - Duration::from_millis(1));
        assert_eq!(s.room(), None);
        assert_eq!(
            s.on_tick(t0 + REFUSAL_PAUSE),
            [Action::Maintain, Action::Fill]
        );
        assert_eq!(s.paused_until(), None);
        assert_eq!(s.room(), Some(WINDOW - 2));
    }

    #[test]
    fn an_error_with_readings_in_flight_rewinds_and_slow_starts() {
        let t0 = Instant::now();
        let mut s = PublisherState::new();
        s.on_connack(t0);
        offer_and_send(&mut s, 1, 5, 1);
        assert!(
            s.log_connection_error(),
            "a live connection's loss is logged"
        );
        assert_eq!(
            s.on_connection_error(),
            [Action::Rewind, Action::Wait(Duration::from_millis(500))]
        );
        assert!(!s.is_connected());
        assert_eq!(s.window(), 1, "slow start");
        assert_eq!(
            s.in_flight(),
            0,
            "the window is free for the next connection"
        );
        assert_eq!(s.room(), None, "disconnected");
        s.on_connack(t0 + Duration::from_secs(1));
        assert_eq!(s.room(), Some(1), "one reading at a time");
        offer_and_send(&mut s, 1, 1, 1);
        assert_eq!(s.room(), None);
        assert_eq!(
            s.on_puback(1, PubAckReason::Success, t0),
            [Action::Ack(1), Action::Fill]
        );
        assert_eq!(s.window(), WINDOW, "a delivery ends the slow start");
        assert_eq!(s.room(), Some(WINDOW));
    }

    #[test]
    fn an_error_with_nothing_in_flight_keeps_the_window() {
        let t0 = Instant::now();
        let mut s = PublisherState::new();
        s.on_connack(t0);
        s.on_connection_error();
        assert_eq!(s.window(), WINDOW);
        // Failed reconnections (no CONNACK) back off and do not touch the window.
        assert_eq!(
            s.on_connection_error(),
            [Action::Rewind, Action::Wait(Duration::from_secs(1))]
        );
        assert_eq!(s.window(), WINDOW);
    }

    #[test]
    fn a_tick_after_healthy_after_resets_the_backoff() {
        let t0 = Instant::now();
        let wait = |actions: Vec<Action>| match actions.as_slice() {
            [Action::Rewind, Action::Wait(d)] => *d,
            other => panic!("{other:?}"),
        };
        let mut s = PublisherState::new();
        // Accepted, then dropped within HEALTHY_AFTER: the delay keeps doubling.
        for expected in [500, 1000, 2000] {
            s.on_connack(t0);
            s.on_tick(t0 + HEALTHY_AFTER - Duration::from_millis(1));
            assert_eq!(
                wait(s.on_connection_error()),
                Duration::from_millis(expected)
            );
        }
        // Up for HEALTHY_AFTER, seen on a tick: back to the first delay.
        s.on_connack(t0);
        s.on_tick(t0 + HEALTHY_AFTER);
        assert_eq!(wait(s.on_connection_error()), Duration::from_millis(500));
    }

    #[test]
    fn a_late_puback_after_the_error_still_counts() {
        let t0 = Instant::now();
        let mut s = PublisherState::new();
        s.on_connack(t0);
        offer_and_send(&mut s, 10, 2, 2);
        s.offered(Some(12)); // never sent
        s.on_connection_error();
        // rumqttc yields the PUBACKs it read before the close after the error.
        assert_eq!(
            s.on_puback(2, PubAckReason::NotAuthorized, t0),
            [Action::Refused(10), Action::Fill]
        );
        assert_eq!(s.paused_until(), Some(t0 + REFUSAL_PAUSE));
        assert_eq!(
            s.on_puback(3, PubAckReason::Success, t0),
            [Action::Ack(11), Action::Fill]
        );
        // After the next CONNACK the lost connection's packet ids are forgotten.
        offer_and_send(&mut s, 20, 1, 4);
        s.on_connection_error();
        s.on_connack(t0);
        assert_eq!(s.on_puback(4, PubAckReason::Success, t0), [Action::Fill]);
    }

    #[test]
    fn resends_fill_the_room_left_after_the_unsent_readings() {
        let t0 = Instant::now();
        let mut s = PublisherState::new();
        let (dropped, actions) = s.on_resend(1, 250);
        assert_eq!((dropped, actions), (None, vec![Action::Fill]));
        s.on_connack(t0);
        offer_and_send(&mut s, 1000, 60, 1);
        assert_eq!(
            s.next_resend(),
            Some((1, 40)),
            "the room left in the window"
        );
        for _ in 0..40 {
            s.offered(None);
        }
        assert_eq!(s.next_resend(), None, "the window is full");
        // Untracked (resent) publishes free their place on any PUBACK without a commit.
        for pkid in 61..=100 {
            s.on_outgoing_publish(pkid);
        }
        assert_eq!(s.on_puback(61, PubAckReason::Success, t0), [Action::Fill]);
        assert_eq!(s.next_resend(), Some((41, 41)));
    }

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

    #[test]
    fn a_refusal_is_explained_once_until_a_delivery() {
        let mut s = PublisherState::new();
        assert!(!s.was_connected(), "nothing was connected yet");
        assert!(s.say_refusal());
        assert!(!s.say_refusal());
        assert!(!s.say_refusal(), "retries stay quiet");
        let now = Instant::now();
        s.on_connack(now);
        assert!(s.was_connected());
        offer_and_send(&mut s, 1, 1, 1);
        assert_eq!(
            s.on_puback(1, PubAckReason::Success, now)[0],
            Action::Ack(1)
        );
        assert!(
            s.say_refusal(),
            "after a delivery a new refusal is explained again"
        );
    }
}

//! Unit tests of the ledger alone: no file, no disk. A small simulation stands in for the log:
//! it "writes" records of a fixed size and "reads" them back at the offsets the ledger asks
//! for, so every delivery rule is checked on state only.

use super::*;
use std::collections::BTreeMap;

/// Every simulated record is this long on "disk".
const LEN: u64 = 100;

/// The ledger plus what the simulated files hold: key by (segment id, offset).
struct Sim {
    l: Ledger,
    files: BTreeMap<(u64, u64), u64>,
    segment_bytes: u64,
    max_bytes: u64,
}

impl Sim {
    fn new(segment_bytes: u64, max_bytes: u64) -> Sim {
        Sim {
            l: Ledger::new(VecDeque::new(), 0, None, BTreeSet::new(), 0),
            files: BTreeMap::new(),
            segment_bytes,
            max_bytes,
        }
    }

    /// One batch, as `SegLog::append_batch` drives the ledger; returns what was dropped.
    fn append(&mut self, keys: &[u64]) -> Option<Dropped> {
        self.check_retrying();
        let bytes = LEN * keys.len() as u64;
        let has_active = self.l.segments.back().is_some_and(|s| !s.sealed);
        let need_new = self
            .l
            .plan_append(has_active, bytes, self.segment_bytes, self.max_bytes)
            .expect("fits");
        if need_new {
            self.l.seal_last();
        }
        let needed = bytes + if need_new { SEGMENT_HEADER_LEN } else { 0 };
        let mut dropped = None;
        let mut segments = 0;
        while self.l.over_bound(needed, self.max_bytes) {
            let i = self.l.victim().expect("a victim");
            let s = self.l.forget(i);
            self.files.retain(|(id, _), _| *id != s.id);
            segments += 1;
            self.l.count_dropped(&s, &mut dropped);
        }
        if let Some(d) = dropped.as_mut() {
            d.segments = segments;
        }
        if need_new {
            let id = self.l.allocate_id();
            self.l.push_segment(id, 1_000 + id);
        }
        let seg = self.l.segments.back().unwrap();
        for (n, &k) in keys.iter().enumerate() {
            self.files.insert((seg.id, seg.size + LEN * n as u64), k);
        }
        let runs: Vec<(u64, u64)> = keys.iter().map(|&k| (k, k)).collect();
        self.l.appended(
            bytes,
            keys[0],
            *keys.last().unwrap(),
            keys.len() as u64,
            &runs,
        );
        dropped
    }

    /// The count of put-back entries [`Ledger::retries`] relies on matches `pending`.
    fn check_retrying(&self) {
        let counted = self
            .l
            .pending
            .values()
            .filter(|p| p.state == State::Retry)
            .count();
        assert_eq!(
            self.l.retrying, counted,
            "retrying out of step with pending"
        );
    }

    /// Up to `max` records handed out, as `SegLog::next_unsent` drives the ledger.
    fn next_unsent(&mut self, max: usize) -> Vec<u64> {
        self.check_retrying();
        let mut out: Vec<u64> = Vec::new();
        for (k, _) in self.l.retries(max) {
            out.push(k);
            self.l.resent(k);
        }
        while out.len() < max {
            let Some(i) = self.l.segment_to_read() else {
                break;
            };
            let (id, end) = (self.l.segments[i].id, self.l.segments[i].end);
            while out.len() < max && self.l.cursor.offset < end {
                let at = self.l.cursor.offset;
                match self.files.get(&(id, at)) {
                    Some(&k) => {
                        if self.l.read_record(i, at, at + LEN, k) {
                            out.push(k);
                        }
                    }
                    None => {
                        self.l.read_damage(i, at, at + LEN);
                    }
                }
            }
            self.l.read_done(i);
        }
        out
    }
}

#[test]
fn acks_in_any_order_fold_into_the_prefix_and_free_their_entries() {
    let mut s = Sim::new(10_000, 100_000);
    s.append(&[1, 2, 3, 4, 5]);
    assert_eq!(s.l.depth, 5);
    assert_eq!(s.l.stats().depth(), 5);
    assert_eq!(s.next_unsent(10), [1, 2, 3, 4, 5]);
    assert_eq!(s.l.in_flight(), 5);
    assert!(s.l.ack(2) && s.l.ack(3));
    assert!(!s.l.ack(3), "a second ack is a no-op");
    assert_eq!(
        s.l.segments[0].acked_to, SEGMENT_HEADER_LEN,
        "1 is still open"
    );
    assert!(s.l.ack(1));
    assert_eq!(s.l.segments[0].acked_to, SEGMENT_HEADER_LEN + 3 * LEN);
    assert_eq!(
        s.l.pending.keys().copied().collect::<Vec<_>>(),
        [4, 5],
        "folded entries are gone"
    );
    assert!(s.l.dirty);
    assert!(s.l.ack(5) && s.l.ack(4));
    assert!(s.l.pending.is_empty());
    assert_eq!(s.l.depth, 0);
    assert_eq!(s.l.stats().depth(), 0);
    assert_eq!(
        s.l.segments[0].sent_at_ms, 0,
        "the segment being written is never sent"
    );
}

#[test]
fn nack_and_rewind_hand_records_out_again_lowest_key_first() {
    let mut s = Sim::new(10_000, 100_000);
    s.append(&[10, 11, 12, 13, 14, 15]);
    assert_eq!(s.next_unsent(4), [10, 11, 12, 13]);
    assert!(s.l.nack(12));
    assert!(!s.l.nack(12), "already put back");
    assert!(s.l.ack(10));
    assert!(!s.l.nack(10), "acknowledged");
    assert_eq!(s.next_unsent(2), [12, 14]);
    s.l.rewind();
    assert_eq!(s.l.in_flight(), 0);
    assert_eq!(s.next_unsent(usize::MAX), [11, 12, 13, 14, 15]);
    assert_eq!(s.l.depth, 5);
}

#[test]
fn a_sealed_fully_acknowledged_segment_is_sent_and_expires_after_keep() {
    let mut s = Sim::new(32 + 2 * LEN, 100_000);
    s.append(&[1, 2]);
    s.append(&[3, 4]); // a new segment: the first is sealed
    assert_eq!(s.l.segments.len(), 2);
    assert!(s.l.segments[0].sealed && !s.l.segments[1].sealed);
    for k in s.next_unsent(usize::MAX) {
        s.l.ack(k);
    }
    let first = &s.l.segments[0];
    assert!(first.is_sent());
    assert_ne!(first.sent_at_ms, 0);
    assert!(!s.l.segments[1].is_sent(), "still being written");
    let sent = first.sent_at_ms;
    assert!(!s.l.is_expired(0, sent + 999, 1000));
    assert!(s.l.is_expired(0, sent + 1000, 1000));
    assert!(!s.l.is_expired(1, u64::MAX, 0), "never the active segment");
}

#[test]
fn the_bound_takes_unreadable_then_sent_then_the_oldest_unsent_and_counts_the_loss() {
    // Segments of two records (232 bytes), 5 segments fit.
    let mut s = Sim::new(32 + 2 * LEN, 5 * (32 + 2 * LEN));
    for k in (1..=10).step_by(2) {
        s.append(&[k, k + 1]);
    }
    assert_eq!(s.l.segments.len(), 5);
    // Segment 2 (keys 3, 4) is delivered; segment 4 is unreadable.
    assert_eq!(s.next_unsent(4), [1, 2, 3, 4]);
    s.l.ack(3);
    s.l.ack(4);
    s.l.rewind();
    s.l.segments[3].readable = false;
    assert_eq!(s.l.victim(), Some(3), "unreadable first");
    s.l.segments[3].readable = true;
    assert_eq!(s.l.victim(), Some(1), "then sent");
    assert_eq!(
        s.append(&[11, 12]),
        None,
        "a sent segment goes without loss"
    );
    assert_eq!(s.l.victim(), Some(0), "then the oldest unsent");
    let d = s.append(&[13, 14]).expect("a loss");
    assert_eq!(
        d,
        Dropped {
            records: 2,
            segments: 1,
            first_key: 1,
            last_key: 2
        }
    );
    assert_eq!(s.l.stats().dropped(), 2);
    assert!(
        !s.l.pending.contains_key(&1),
        "its entries are forgotten too"
    );
    assert!(s.l.total_bytes <= s.max_bytes);
    assert_eq!(s.l.depth, 10);
    assert_eq!(
        s.next_unsent(usize::MAX),
        [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
}

#[test]
fn plan_append_opens_segments_at_the_size_and_refuses_what_never_fits() {
    let s = Sim::new(1024, 2048);
    assert_eq!(s.l.plan_append(false, 100, 1024, 2048), Ok(true));
    assert_eq!(s.l.plan_append(false, 2048, 1024, 2048), Err((2048, 2048)));
    let mut s = Sim::new(1024, 4096);
    s.append(&[1]);
    assert_eq!(s.l.plan_append(true, 800, 1024, 4096), Ok(false));
    assert_eq!(s.l.plan_append(true, 900, 1024, 4096), Ok(true));
    assert_eq!(s.l.allocate_id(), 2, "ids only grow");
}

#[test]
fn damage_is_counted_once_and_written_off_when_the_segment_is_passed() {
    let mut s = Sim::new(32 + 3 * LEN, 100_000);
    s.append(&[1, 2, 3]);
    // Record 2 rots on "disk".
    s.files.remove(&(1, SEGMENT_HEADER_LEN + LEN));
    assert_eq!(s.next_unsent(10), [1, 3]);
    assert_eq!(s.l.stats().corrupt(), 1);
    s.l.ack(1);
    s.l.ack(3);
    assert_eq!(s.l.depth, 1, "not known lost until the segment is passed");
    s.append(&[4]);
    assert_eq!(s.next_unsent(10), [4]);
    assert_eq!(s.l.depth, 1, "record 2 was written off, 4 is in flight");
    assert_eq!(s.l.stats().corrupt(), 1, "counted once");
    assert!(s.l.segments[0].is_sent());
}

#[test]
fn acks_from_before_a_restart_are_skipped_and_kept_in_the_ack_state() {
    // A segment as recovery leaves it: records 1..=4 at 32, 132, ..., nothing folded, 2 and 4
    // acknowledged out of order before the restart.
    let mut seg = Segment::empty(7, 5_000, SEGMENT_HEADER_LEN + 4 * LEN);
    seg.sealed = false;
    seg.first_key = Some(1);
    seg.last_key = Some(4);
    seg.unacked = 2;
    let l = Ledger::new(VecDeque::from([seg]), 9, Some(4), BTreeSet::from([2, 4]), 0);
    assert_eq!(l.next_id, 9, "the ack file's next id wins");
    assert_eq!(l.depth, 2);
    let mut sim = Sim {
        l,
        files: (1..=4)
            .map(|k| ((7, SEGMENT_HEADER_LEN + (k - 1) * LEN), k))
            .collect(),
        segment_bytes: 10_000,
        max_bytes: 100_000,
    };
    assert_eq!(sim.next_unsent(10), [1, 3]);
    let state = sim.l.ack_state();
    let e = &state.entries[&7];
    assert_eq!((e.created_ms, e.acked_to), (5_000, SEGMENT_HEADER_LEN));
    assert_eq!(e.acked, [2, 4], "still carried until folded");
    assert_eq!(state.next_segment_id, 9);
    sim.l.ack(1);
    let state = sim.l.ack_state();
    let e = &state.entries[&7];
    assert_eq!(e.acked_to, SEGMENT_HEADER_LEN + 2 * LEN, "1 and 2 folded");
    assert_eq!(e.acked, [4]);
    assert_eq!(sim.l.depth, 1);
}

#[test]
fn room_without_loss_counts_sent_and_unreadable_segments_as_free() {
    let seg = 32 + 2 * LEN;
    let mut s = Sim::new(seg, 4 * seg);
    assert_eq!(s.l.room_without_loss(s.max_bytes, seg), 4 * seg - 32);
    for k in (1..=6).step_by(2) {
        s.append(&[k, k + 1]);
    }
    assert_eq!(s.l.room_without_loss(s.max_bytes, seg), seg - 32);
    for k in s.next_unsent(2) {
        s.l.ack(k);
    }
    assert!(s.l.segments[0].is_sent());
    assert_eq!(s.l.room_without_loss(s.max_bytes, seg), 2 * seg - 32);
    s.l.segments[1].readable = false;
    assert_eq!(s.l.room_without_loss(s.max_bytes, seg), 3 * seg - 32);
    s.l.segments[1].readable = true;
    // What it promises holds: appending that much drops nothing unacknowledged.
    let room = s.l.room_without_loss(s.max_bytes, seg);
    let n = room / LEN;
    assert!(n >= 1);
    let keys: Vec<u64> = (7..7 + n.min(2)).collect();
    assert_eq!(s.append(&keys), None);
    assert_eq!(s.l.stats().dropped(), 0);
}

#[test]
fn put_back_records_are_counted_through_nack_rewind_ack_and_deletion() {
    // Two segments of three records; the bound (seven records) deletes the oldest on the
    // third batch.
    let mut s = Sim::new(3 * LEN, 7 * LEN + 3 * SEGMENT_HEADER_LEN);
    s.append(&[1, 2, 3]);
    s.append(&[4, 5, 6]);
    assert_eq!(s.next_unsent(6), [1, 2, 3, 4, 5, 6]);
    assert!(s.l.nack(2) && s.l.nack(5));
    assert!(!s.l.nack(2), "a second nack is a no-op");
    s.check_retrying();
    assert_eq!(s.l.retrying, 2);
    assert!(s.l.ack(5), "a put-back record can still be acknowledged");
    s.check_retrying();
    s.l.rewind();
    s.check_retrying();
    assert_eq!(
        s.l.retrying, 5,
        "2 again, and 1, 3, 4 and 6, which were in flight"
    );
    assert_eq!(s.next_unsent(2), [1, 2], "retries first, lowest key first");
    s.check_retrying();
    // The bound deletes segment 1 (3 still put back) to make room.
    s.append(&[7, 8, 9]);
    s.check_retrying();
    assert!(
        s.l.pending.keys().all(|&k| k > 3),
        "segment 1's entries are gone"
    );
    assert_eq!(s.next_unsent(10), [4, 6, 7, 8, 9]);
    s.check_retrying();
    assert_eq!(s.l.retrying, 0);
}

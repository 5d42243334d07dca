//! The log's delivery ledger: what is on disk per segment, which records are unsent, in flight,
//! put back or acknowledged, where the read cursor is, which segment goes first when the bound
//! is reached and which ones have expired. State only: no file is touched here; the log
//! (`log.rs`) does the I/O and tells the ledger what it found and did.
//!
//! Invariants (checked by the unit tests below, without a disk):
//! - `depth` is the sum of the segments' `unacked` and is published to [`LogStats`] on every
//!   change;
//! - a segment's `acked_to` only moves forward, over the longest prefix of records that are
//!   acknowledged (or damaged), never past the cursor;
//! - a pending entry exists for every record the cursor passed that is not folded into its
//!   segment's `acked_to`; folded entries are removed, so memory is bounded by what is in
//!   flight plus out-of-order acks;
//! - a segment is *sent* when sealed, readable and without unacknowledged records, and then (and
//!   only then) has a `sent_at_ms`;
//! - `dirty` is set by every change the ack-state file records.

use crate::format::{AckEntry, AckState, SEGMENT_HEADER_LEN};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Unacknowledged records deleted because the log was full. The caller logs it at ERROR: it
/// is data loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// Records never acknowledged that were deleted.
    pub records: u64,
    /// Segments deleted to make room (including fully acknowledged ones).
    pub segments: u64,
    /// Lowest key in the deleted unsent segments.
    pub first_key: u64,
    /// Highest key in the deleted unsent segments.
    pub last_key: u64,
}

#[derive(Debug, Default)]
struct Counters {
    depth: AtomicU64,
    dropped: AtomicU64,
    corrupt: AtomicU64,
}

/// The log's counters, readable without access to the log (for heartbeats and metrics).
#[derive(Debug, Clone, Default)]
pub struct LogStats(Arc<Counters>);

impl LogStats {
    /// Records not yet acknowledged.
    pub fn depth(&self) -> u64 {
        self.0.depth.load(Ordering::Relaxed)
    }

    /// Unacknowledged records deleted because the log was full, since this process opened the
    /// log (not persisted).
    pub fn dropped(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }

    /// Damaged regions, out-of-order records and unreadable segments met since open.
    pub fn corrupt(&self) -> u64 {
        self.0.corrupt.load(Ordering::Relaxed)
    }
}

/// What the log knows about one segment file.
/// Most key runs one segment remembers ([`Segment::runs`]): a log whose keys have a gap every
/// record (never the agent's or the collector's) would otherwise hold one run per record.
pub const MAX_RUNS_PER_SEGMENT: usize = 64;

#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub id: u64,
    pub created_ms: u64,
    /// Bytes in the file (counted against `max_bytes`).
    pub size: u64,
    /// End of the bytes the reader looks at.
    pub end: u64,
    /// The header is valid (an unreadable segment is never read or appended to).
    pub readable: bool,
    /// A newer segment exists (or this one cannot be appended to): it never grows again.
    pub sealed: bool,
    pub first_key: Option<u64>,
    pub last_key: Option<u64>,
    /// The keys of its valid records as runs of consecutive keys, `(first, last)` inclusive, in
    /// order: at most [`MAX_RUNS_PER_SEGMENT`] (past that the last run is stretched, which can
    /// only make a reader ask for keys that do not exist).
    pub runs: Vec<(u64, u64)>,
    /// Valid records not yet acknowledged.
    pub unacked: u64,
    /// Every record before this offset is acknowledged.
    pub acked_to: u64,
    /// When it became fully acknowledged (Unix ms), 0 if not.
    pub sent_at_ms: u64,
    /// Offsets of damaged regions and out-of-order records already counted: skipped without
    /// counting again.
    pub known: Vec<u64>,
}

impl Segment {
    /// A segment as found (or created) with no records yet and nothing acknowledged.
    pub(crate) fn empty(id: u64, created_ms: u64, size: u64) -> Segment {
        Segment {
            id,
            created_ms,
            size,
            end: size,
            readable: true,
            sealed: true,
            first_key: None,
            last_key: None,
            runs: Vec::new(),
            unacked: 0,
            acked_to: SEGMENT_HEADER_LEN,
            sent_at_ms: 0,
            known: Vec::new(),
        }
    }

    /// Adds `first..=last` (all present, above every key so far) to [`Segment::runs`].
    pub(crate) fn note_keys(&mut self, first: u64, last: u64) {
        let full = self.runs.len() >= MAX_RUNS_PER_SEGMENT;
        match self.runs.last_mut() {
            Some(run) if full || run.1.checked_add(1) == Some(first) => run.1 = last,
            _ => self.runs.push((first, last)),
        }
    }

    pub(crate) fn key_range(&self) -> Option<std::ops::RangeInclusive<u64>> {
        Some(self.first_key?..=self.last_key?)
    }

    pub(crate) fn is_sent(&self) -> bool {
        self.sealed && self.readable && self.unacked == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    InFlight,
    Retry,
    Acked,
}

/// A record handed out by the cursor and not yet folded into its segment's `acked_to`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub seg: u64,
    pub at: u64,
    pub next: u64,
    pub state: State,
}

/// Where the next unread record is: segment id and byte offset. A segment id that no longer
/// exists means "at `acked_to` of the next segment".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    pub seg: u64,
    pub offset: u64,
}

/// The delivery state of a whole log. See the module doc for its invariants.
#[derive(Debug)]
pub(crate) struct Ledger {
    /// In id order; the last one is the one being written unless it is sealed.
    pub segments: VecDeque<Segment>,
    pub next_id: u64,
    pub last_key: Option<u64>,
    pub cursor: Cursor,
    /// Records handed out and not yet folded into `acked_to`, by key.
    pub pending: BTreeMap<u64, Pending>,
    /// Keys acknowledged out of order before the last restart that the cursor has not reached.
    pub preacked: BTreeSet<u64>,
    /// How many `pending` entries are put back (`State::Retry`): [`Ledger::retries`] scans
    /// `pending` only when there are any (the collector's log has thousands in flight, and
    /// is asked for its next records many times a second).
    retrying: usize,
    pub total_bytes: u64,
    pub depth: u64,
    /// The ack state changed since the last commit.
    pub dirty: bool,
    stats: LogStats,
}

impl Ledger {
    /// The ledger of the segments recovery found (in id order), with the cursor at `acked_to`
    /// of the oldest one. `acks_next_id` is the ack file's "next segment id".
    pub(crate) fn new(
        segments: VecDeque<Segment>,
        acks_next_id: u64,
        last_key: Option<u64>,
        preacked: BTreeSet<u64>,
        corrupt: u64,
    ) -> Ledger {
        let next_id = segments
            .back()
            .map_or(1, |s| s.id + 1)
            .max(acks_next_id)
            .max(1);
        let cursor = segments.front().map_or(
            Cursor {
                seg: next_id,
                offset: SEGMENT_HEADER_LEN,
            },
            |s| Cursor {
                seg: s.id,
                offset: s.acked_to,
            },
        );
        let stats = LogStats::default();
        stats.0.corrupt.store(corrupt, Ordering::Relaxed);
        let mut ledger = Ledger {
            total_bytes: segments.iter().map(|s| s.size).sum(),
            depth: segments.iter().map(|s| s.unacked).sum(),
            segments,
            next_id,
            last_key,
            cursor,
            pending: BTreeMap::new(),
            retrying: 0,
            preacked,
            dirty: false,
            stats,
        };
        for i in 0..ledger.segments.len() {
            ledger.check_sent(i);
        }
        ledger.publish_depth();
        ledger
    }

    pub(crate) fn stats(&self) -> &LogStats {
        &self.stats
    }

    pub(crate) fn index_of(&self, id: u64) -> Option<usize> {
        self.segments.binary_search_by_key(&id, |s| s.id).ok()
    }

    fn publish_depth(&self) {
        self.stats.0.depth.store(self.depth, Ordering::Relaxed);
    }

    pub(crate) fn bump_corrupt(&self) {
        self.stats.0.corrupt.fetch_add(1, Ordering::Relaxed);
    }

    // ---- appending ----

    /// Whether a batch of `bytes` needs a new segment (`has_active`: the last segment can be
    /// appended to), or an error when it could never fit in `max_bytes`: the segment written
    /// to can never be deleted to make room.
    pub(crate) fn plan_append(
        &self,
        has_active: bool,
        bytes: u64,
        segment_bytes: u64,
        max_bytes: u64,
    ) -> Result<bool, (u64, u64)> {
        let active_size = self.segments.back().filter(|_| has_active).map(|s| s.size);
        let need_new = match active_size {
            None => true,
            Some(size) => size > SEGMENT_HEADER_LEN && size + bytes > segment_bytes,
        };
        // The size of the segment written to, after the write.
        let footprint = if need_new {
            SEGMENT_HEADER_LEN
        } else {
            active_size.unwrap_or(0)
        } + bytes;
        if footprint > max_bytes {
            return Err((bytes, max_bytes));
        }
        Ok(need_new)
    }

    /// A fresh segment id; ids only grow.
    pub(crate) fn allocate_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A new, empty segment was created and is now the one being written.
    pub(crate) fn push_segment(&mut self, id: u64, created_ms: u64) {
        let mut s = Segment::empty(id, created_ms, SEGMENT_HEADER_LEN);
        s.sealed = false;
        self.segments.push_back(s);
        self.total_bytes += SEGMENT_HEADER_LEN;
    }

    /// The last segment will never be appended to again.
    pub(crate) fn seal_last(&mut self) {
        if let Some(i) = self.segments.len().checked_sub(1) {
            self.segments[i].sealed = true;
            self.check_sent(i);
        }
    }

    /// A batch of `n` records with keys `first_key..=last_key`, `bytes` long, was written and
    /// synced at the end of the last segment.
    pub(crate) fn appended(
        &mut self,
        bytes: u64,
        first_key: u64,
        last_key: u64,
        n: u64,
        runs: &[(u64, u64)],
    ) {
        let seg = self.segments.back_mut().expect("an active segment exists");
        for &(a, b) in runs {
            seg.note_keys(a, b);
        }
        seg.size += bytes;
        seg.end = seg.size;
        seg.first_key.get_or_insert(first_key);
        seg.last_key = Some(last_key);
        seg.unacked += n;
        self.total_bytes += bytes;
        self.last_key = Some(last_key);
        self.depth += n;
        self.publish_depth();
    }

    /// The keys on disk (readable segments, acknowledged or not) as runs of consecutive keys,
    /// oldest first, runs that continue across segments merged.
    pub(crate) fn key_runs(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for seg in self.segments.iter().filter(|s| s.readable) {
            for &(a, b) in &seg.runs {
                match out.last_mut() {
                    Some(last) if last.1.checked_add(1) == Some(a) => last.1 = b,
                    _ => out.push((a, b)),
                }
            }
        }
        out
    }

    // ---- making room and expiring ----

    /// Whether `needed` more bytes pass `max_bytes`.
    pub(crate) fn over_bound(&self, needed: u64, max_bytes: u64) -> bool {
        self.total_bytes + needed > max_bytes
    }

    /// The segment to delete first when space is needed: unreadable ones first, then sent ones,
    /// then the oldest unsent; never the one being written.
    pub(crate) fn victim(&self) -> Option<usize> {
        self.segments
            .iter()
            .position(|s| s.sealed && !s.readable)
            .or_else(|| self.segments.iter().position(Segment::is_sent))
            .or_else(|| self.segments.iter().position(|s| s.sealed))
    }

    /// Framed bytes that can be appended without deleting an unacknowledged record (a lower
    /// bound: it leaves room for a new segment's header). Unreadable and sent segments count as
    /// free, since the bound deletes them first and without loss.
    pub(crate) fn room_without_loss(&self, max_bytes: u64, segment_bytes: u64) -> u64 {
        let last = self.segments.len().saturating_sub(1);
        let kept: u64 = self
            .segments
            .iter()
            .enumerate()
            // The segment being written is not sent (it is not sealed), but when it is fully
            // acknowledged and already full, the next append seals it and may delete it: it
            // is room too (else a log whose one segment grew past `segment_bytes` in one batch
            // and was then fully acknowledged would never have room again).
            .filter(|&(i, s)| {
                let reclaimable =
                    i == last && !s.sealed && s.unacked == 0 && s.size >= segment_bytes;
                s.readable && !s.is_sent() && !reclaimable
            })
            .map(|(_, s)| s.size)
            .sum();
        max_bytes.saturating_sub(kept + SEGMENT_HEADER_LEN)
    }

    /// Whether segment `i` is fully acknowledged since at least `keep_ms` before `now_ms`.
    pub(crate) fn is_expired(&self, i: usize, now_ms: u64, keep_ms: u64) -> bool {
        let s = &self.segments[i];
        s.is_sent() && s.sent_at_ms != 0 && now_ms.saturating_sub(s.sent_at_ms) >= keep_ms
    }

    /// Forgets segment `i` (its file was deleted) and its delivery state.
    pub(crate) fn forget(&mut self, i: usize) -> Segment {
        debug_assert!(
            self.segments[i].sealed,
            "the segment being written is never deleted"
        );
        let s = self.segments.remove(i).expect("index is in range");
        if let Some(r) = s.key_range() {
            let gone: Vec<u64> = self
                .pending
                .range(r.clone())
                .filter(|(_, p)| p.seg == s.id)
                .map(|(&q, _)| q)
                .collect();
            for q in gone {
                if self
                    .pending
                    .remove(&q)
                    .is_some_and(|p| p.state == State::Retry)
                {
                    self.retrying -= 1;
                }
            }
            let gone: Vec<u64> = self.preacked.range(r).copied().collect();
            for q in gone {
                self.preacked.remove(&q);
            }
        }
        self.total_bytes = self.total_bytes.saturating_sub(s.size);
        self.depth = self.depth.saturating_sub(s.unacked);
        self.publish_depth();
        self.dirty = true;
        s
    }

    /// Counts the unacknowledged records of `s`, deleted to make room, into `dropped`.
    pub(crate) fn count_dropped(&self, s: &Segment, dropped: &mut Option<Dropped>) {
        if !(s.readable && s.unacked > 0) {
            return;
        }
        let (lo, hi) = s.key_range().map_or((0, 0), |r| (*r.start(), *r.end()));
        let d = dropped.get_or_insert(Dropped {
            records: 0,
            segments: 0,
            first_key: lo,
            last_key: hi,
        });
        d.records += s.unacked;
        d.first_key = d.first_key.min(lo);
        d.last_key = d.last_key.max(hi);
        self.stats.0.dropped.fetch_add(s.unacked, Ordering::Relaxed);
    }

    // ---- handing out ----

    /// Up to `max` records put back by a nack or a rewind, lowest key first.
    pub(crate) fn retries(&self, max: usize) -> Vec<(u64, Pending)> {
        if self.retrying == 0 {
            return Vec::new();
        }
        self.pending
            .iter()
            .filter(|(_, p)| p.state == State::Retry)
            .take(max)
            .map(|(&k, &p)| (k, p))
            .collect()
    }

    /// A retried record was read back and handed out again.
    pub(crate) fn resent(&mut self, key: u64) {
        if let Some(e) = self.pending.get_mut(&key)
            && e.state == State::Retry
        {
            e.state = State::InFlight;
            self.retrying -= 1;
        }
    }

    /// A retried record could not be read back (damaged since): nothing left to deliver.
    pub(crate) fn retry_lost(&mut self, key: u64) {
        self.bump_corrupt();
        self.settle_ack(key);
    }

    /// The segment the cursor reads next (passing exhausted sealed segments), or `None` when
    /// the cursor has caught up with the segment being written. The log reads it from
    /// `cursor.offset` to its `end`.
    pub(crate) fn segment_to_read(&mut self) -> Option<usize> {
        loop {
            let i = self.segments.iter().position(|s| s.id >= self.cursor.seg)?;
            let seg = &self.segments[i];
            if seg.id > self.cursor.seg {
                self.cursor = Cursor {
                    seg: seg.id,
                    offset: seg.acked_to.max(SEGMENT_HEADER_LEN),
                };
            }
            if !seg.readable || self.cursor.offset >= seg.end {
                if seg.sealed {
                    self.pass_segment(i);
                    continue;
                }
                return None; // caught up with the segment being written
            }
            return Some(i);
        }
    }

    /// The cursor read a valid record at `at..next` of segment `i`: whether to hand it out
    /// (false for a record already counted as out of order, or acknowledged before a restart).
    pub(crate) fn read_record(&mut self, i: usize, at: u64, next: u64, key: u64) -> bool {
        self.cursor.offset = next;
        if self.segments[i].known.contains(&at) {
            return false;
        }
        // An ack from before the restart stays an entry until folded into `acked_to`, so the
        // next commit still carries it.
        let (state, hand_out) = if self.preacked.remove(&key) {
            (State::Acked, false)
        } else {
            (State::InFlight, true)
        };
        let old = self.pending.insert(
            key,
            Pending {
                seg: self.segments[i].id,
                at,
                next,
                state,
            },
        );
        if old.is_some_and(|p| p.state == State::Retry) {
            self.retrying -= 1;
        }
        hand_out
    }

    /// The cursor met damage at `at..next` of segment `i`: whether it is new (then counted,
    /// and the log warns).
    pub(crate) fn read_damage(&mut self, i: usize, at: u64, next: u64) -> bool {
        self.cursor.offset = next;
        if self.segments[i].known.contains(&at) {
            return false;
        }
        self.segments[i].known.push(at);
        self.bump_corrupt();
        true
    }

    /// Segment `i` turned out to end at `found` rather than at its recorded end.
    pub(crate) fn read_short(&mut self, i: usize, found: u64) {
        self.segments[i].end = found;
        self.cursor.offset = self.cursor.offset.min(found);
    }

    /// The cursor stopped reading segment `i` (for now): fold what it can.
    pub(crate) fn read_done(&mut self, i: usize) {
        self.settle(i);
    }

    // ---- acknowledging ----

    /// Marks one in-flight record delivered; false when it was not in flight.
    pub(crate) fn ack(&mut self, key: u64) -> bool {
        match self.pending.get(&key) {
            Some(p) if p.state != State::Acked => {
                self.settle_ack(key);
                true
            }
            _ => false,
        }
    }

    /// Puts one in-flight record back; false when it was not in flight.
    pub(crate) fn nack(&mut self, key: u64) -> bool {
        match self.pending.get_mut(&key) {
            Some(p) if p.state == State::InFlight => {
                p.state = State::Retry;
                self.retrying += 1;
                true
            }
            _ => false,
        }
    }

    /// Puts every in-flight record back.
    pub(crate) fn rewind(&mut self) {
        for p in self.pending.values_mut() {
            if p.state == State::InFlight {
                p.state = State::Retry;
                self.retrying += 1;
            }
        }
    }

    /// Records handed out and neither acknowledged nor put back.
    pub(crate) fn in_flight(&self) -> usize {
        self.pending
            .values()
            .filter(|p| p.state == State::InFlight)
            .count()
    }

    /// Marks `key` (pending, not acked) acknowledged and folds what it can.
    fn settle_ack(&mut self, key: u64) {
        let Some(p) = self.pending.get_mut(&key) else {
            return;
        };
        if p.state == State::Retry {
            self.retrying -= 1;
        }
        p.state = State::Acked;
        let seg = p.seg;
        self.dirty = true;
        if let Some(i) = self.index_of(seg) {
            let s = &mut self.segments[i];
            s.unacked = s.unacked.saturating_sub(1);
            self.depth = self.depth.saturating_sub(1);
            self.publish_depth();
            self.settle(i);
        }
    }

    /// Advances `acked_to` of segment `i` over its acknowledged prefix, drops the folded
    /// pending entries, and marks the segment sent when it is.
    fn settle(&mut self, i: usize) {
        let s = &self.segments[i];
        let limit = if self.cursor.seg == s.id {
            self.cursor.offset
        } else if self.cursor.seg > s.id {
            s.end
        } else {
            return; // the cursor has not reached it
        };
        // Keys grow with the offset within a segment (recovery skips a record out of key
        // order), so the segment's pending entries in key order are in offset order: the first
        // unacknowledged one bounds the prefix, and the acknowledged ones before it are the
        // ones to fold. Walking only that far keeps an in-order ack O(log n), where taking the
        // minimum over the segment's entries made each ack cost every record in flight.
        let id = s.id;
        let mut open = None;
        let mut folded: Vec<(u64, u64)> = Vec::new();
        if let Some(r) = s.key_range() {
            for (&k, p) in self.pending.range(r).filter(|(_, p)| p.seg == id) {
                if p.state != State::Acked {
                    open = Some(p.at);
                    break;
                }
                folded.push((k, p.at));
            }
        }
        let new = open.map_or(limit, |o| o.min(limit));
        if new > s.acked_to {
            self.segments[i].acked_to = new;
            self.dirty = true;
            for (k, at) in folded {
                if at < new {
                    self.pending.remove(&k);
                }
            }
        }
        self.check_sent(i);
    }

    fn check_sent(&mut self, i: usize) {
        let s = &mut self.segments[i];
        if s.is_sent() && s.sent_at_ms == 0 {
            s.sent_at_ms = unix_ms(SystemTime::now()).max(1);
            self.dirty = true;
        } else if !s.is_sent() && s.sent_at_ms != 0 {
            s.sent_at_ms = 0;
            self.dirty = true;
        }
    }

    /// Moves the cursor past segment `i` (sealed, read to its end).
    fn pass_segment(&mut self, i: usize) {
        let s = &self.segments[i];
        self.cursor = match self.segments.get(i + 1) {
            Some(n) => Cursor {
                seg: n.id,
                offset: n.acked_to.max(SEGMENT_HEADER_LEN),
            },
            None => Cursor {
                seg: s.id + 1,
                offset: SEGMENT_HEADER_LEN,
            },
        };
        // Every unacknowledged record of a passed segment is now a pending entry: recount, in
        // case records counted as valid earlier turned out damaged when read.
        let id = s.id;
        let open = match s.key_range() {
            Some(r) => self
                .pending
                .range(r)
                .filter(|(_, p)| p.seg == id && p.state != State::Acked)
                .count() as u64,
            None => 0,
        };
        let s = &mut self.segments[i];
        if s.readable && s.unacked > open {
            let lost = s.unacked - open;
            s.unacked = open;
            self.depth = self.depth.saturating_sub(lost);
            self.publish_depth();
        }
        self.settle(i);
    }

    // ---- persisting ----

    /// The ack state to write: an entry per readable segment with anything acknowledged.
    pub(crate) fn ack_state(&self) -> AckState {
        let mut state = AckState {
            next_segment_id: self.next_id,
            ..Default::default()
        };
        for s in self.segments.iter().filter(|s| s.readable) {
            let mut acked: Vec<u64> = Vec::new();
            if let Some(r) = s.key_range() {
                acked.extend(
                    self.pending
                        .range(r.clone())
                        .filter(|(_, p)| p.seg == s.id && p.state == State::Acked)
                        .map(|(&k, _)| k),
                );
                acked.extend(self.preacked.range(r));
                acked.sort_unstable();
            }
            if s.acked_to > SEGMENT_HEADER_LEN || s.sent_at_ms != 0 || !acked.is_empty() {
                state.entries.insert(
                    s.id,
                    AckEntry {
                        created_ms: s.created_ms,
                        acked_to: s.acked_to,
                        sent_at_ms: s.sent_at_ms,
                        acked,
                    },
                );
            }
        }
        state
    }
}

/// Unix milliseconds of `t` (0 before the epoch, saturating far after it).
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;

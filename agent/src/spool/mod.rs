//! The crash-safe spool: readings on disk, in `seq` order, until the broker has acknowledged
//! them, and for a while after so the collector can ask for them again.
//!
//! DESIGN.md, delivery guarantees: a reading is on disk (fsync) before it is offered to MQTT;
//! it stays until acknowledged; acknowledged readings are kept for a while (default 24 h) for
//! resend requests; power loss loses at most the reading being written; a full spool drops the
//! oldest segment and counts the loss. This module is the storage half of that; the publisher
//! (`crate::publish`) drives it. Like vector's `disk_v2` buffer, this doc *is* the design.
//!
//! # Files
//!
//! One directory per run (it lives in the agent's state directory, so a wiped state directory
//! is a new run with an empty spool):
//!
//! | file | what |
//! |---|---|
//! | `00000000000000000001.seg` | a segment: a header, then records appended in `seq` order. The name is the segment id, 20 decimal digits so names sort like ids. Ids only grow. |
//! | `acks` | the delivery state (below), replaced atomically (`acks.tmp`, fsync, rename, fsync directory) |
//! | `lock` | held with `flock(LOCK_EX)` while a [`Spool`] is open, so two processes never share a spool |
//! | `*.tmp` | a segment or ack file being created; left over only by a crash, deleted on open |
//!
//! All integers are little-endian. CRC32 is IEEE (`crc32fast`).
//!
//! ## Segment header (32 bytes)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `CVSPLSEG` |
//! | 8 | 2 | format version, `1` |
//! | 10 | 2 | header length, `32` |
//! | 12 | 8 | segment id (equals the file name) |
//! | 20 | 8 | creation time, Unix ms; also binds `acks` entries to this very file |
//! | 28 | 4 | CRC32 of bytes 0..28 |
//!
//! A segment is created as `{id}.seg.tmp` holding just the header, fsynced, renamed to
//! `{id}.seg`, and the directory is fsynced: a segment file never has a torn header.
//!
//! ## Record (24 bytes + topic + payload), one per reading
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | marker `FF 52 45 43` (`\xFFREC`; `0xFF` never occurs in UTF-8, so never in a topic or JSON payload) |
//! | 4 | 4 | `len` = topic length + payload length (at most 65 535 + 65 536) |
//! | 8 | 4 | CRC32 of bytes 0..8 and 12..24+`len`: every byte of the frame but this field |
//! | 12 | 8 | `seq` |
//! | 20 | 2 | topic length |
//! | 22 | 2 | flags, `0` (anything else is damage) |
//! | 24 | .. | topic (UTF-8), then payload ([`MAX_PAYLOAD_BYTES`] at most) |
//!
//! ## Ack state (`acks`)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `CVSPLACK` |
//! | 8 | 2 | format version, `1` |
//! | 10 | 2 | reserved, `0` |
//! | 12 | 8 | next segment id: no id below it is ever created again, so an entry can never be applied to a newer file of the same name |
//! | 20 | 4 | number of entries, then per entry: |
//! | +0 | 8 | segment id |
//! | +8 | 8 | the segment's creation time (an entry whose time differs from the file's header is ignored) |
//! | +16 | 8 | `acked_to`: every record of the segment before this byte offset is acknowledged |
//! | +24 | 8 | `sent_at`: Unix ms when the segment became fully acknowledged, `0` if not yet |
//! | +32 | 4 | `n`, then `n` x 8 bytes: seqs at or after `acked_to` acknowledged out of order |
//! | end-4 | 4 | CRC32 of everything before |
//!
//! # Delivery state
//!
//! A read cursor walks the segments in id order, records in file order; [`Spool::next_unsent`]
//! hands out the records under it and they become *in flight*. [`Spool::ack`] marks one
//! acknowledged, in any order; [`Spool::nack`] and [`Spool::rewind`] put in-flight records back
//! to be handed out again first (lowest seq first). A segment's `acked_to` advances over the
//! longest acknowledged prefix (damaged bytes count as done); acknowledgements beyond it are
//! kept as a short list of seqs. A segment is *sent* once it is closed (a newer segment exists)
//! and none of its readings is unacknowledged; `sent_at` is set then.
//!
//! Acks are made durable by [`Spool::commit`] (or [`Spool::maintain`], or [`Spool::close`]),
//! not by [`Spool::ack`]: one fsync per PUBACK would cost a flash write per reading. The
//! trade-off: a crash resends what was acknowledged since the last commit plus what was in
//! flight — duplicates, which the collector absorbs (points are idempotent) — and never loses
//! anything. Committing every second bounds the duplicates to one second of deliveries plus the
//! in-flight window; committing after each batch of acks costs two fsyncs per batch.
//!
//! # Invariants
//!
//! 1. **On disk before offered.** [`Spool::append_batch`] returns only after the batch is
//!    written and `fdatasync`ed (and, when it opened a segment, the directory fsynced); a
//!    record is visible to [`Spool::next_unsent`] only after that.
//! 2. **Seq order.** Each batch must continue the order (`seq` strictly above every seq ever
//!    appended to this spool, gaps allowed; seqs need not start at 1). Records are handed out
//!    and resent in seq order. On open, a valid record whose seq is not above every seq before
//!    it (possible only after a failed write that was retried) is skipped and counted.
//! 3. **Files are deleted only** when fully acknowledged and `keep_sent` has passed since
//!    ([`Spool::remove_expired`]), or when the size bound forces it ([`Spool::append_batch`]:
//!    unreadable segments first, then sent ones, then the oldest unsent, whose unacknowledged
//!    readings are counted in [`Spool::dropped`] and returned as [`Dropped`]). The segment being
//!    written is never deleted.
//! 4. **Damage is never fatal.** A bad record (marker, length, CRC, UTF-8, flags) is skipped: the
//!    reader searches forward for the next marker that starts a valid frame, so even a damaged
//!    length loses only the damaged record. Each damaged region is counted once
//!    ([`Spool::corrupt`]). A segment with a bad header is left alone, counted, and deleted
//!    first when space is needed. A damaged `acks` file means everything on disk counts as
//!    unsent (duplicates, not loss).
//! 5. **Bounded.** All segment files together stay within `max_bytes`; memory holds per segment
//!    a few numbers, plus one entry per in-flight record.
//!
//! # What a crash can do, and recovery
//!
//! A crash (kill -9, power loss) can leave: a torn last batch in the newest segment (partly
//! written, or a size extended over zeros); a `*.tmp` file; an `acks` file older than the last
//! acknowledgements. [`Spool::open`]:
//!
//! 1. takes the lock, deletes `*.tmp`, reads `acks` (missing or damaged: start from nothing);
//! 2. walks every segment in id order, validating each record's frame and CRC, counting
//!    records, damage and out-of-order seqs, and checking each `acks` entry against the file
//!    (creation time, `acked_to` on a record boundary; an entry that does not fit is ignored);
//! 3. truncates a damaged tail of the **newest** segment at the end of its last valid record
//!    (fdatasync) — the torn batch was never reported as appended — and keeps appending to it;
//!    damage in older segments is only skipped;
//! 4. places the cursor at `acked_to` of the oldest segment with unacknowledged readings, so
//!    unsent readings come first, in seq order. Readings acknowledged after the last commit are
//!    sent again.
//!
//! So after a crash no appended reading is lost (only the batch whose `append_batch` had not
//! returned can be, and with it at most the reading being written for the usual batch of one),
//! and the duplicates are bounded as above.
//!
//! # Use from async code
//!
//! All of this is blocking `std::fs` work (fsync takes milliseconds to tens of milliseconds on
//! an SD card). Use [`SharedSpool`]: a cloneable handle for the recorder and the publisher that
//! runs every call under a mutex on tokio's blocking pool, plus [`SpoolStats`] for heartbeats
//! without taking the lock.

mod config;
mod error;
mod format;
mod shared;
#[cfg(test)]
mod tests;

pub use config::{
    MIN_SEGMENT_BYTES, SpoolConfig, default_keep_sent, default_max_bytes, default_segment_bytes,
};
pub use error::SpoolError;
pub use format::{MAX_PAYLOAD_BYTES, MAX_TOPIC_BYTES};
pub use shared::SharedSpool;

use format::{
    AckEntry, AckState, Item, Reader, SEGMENT_HEADER_LEN, SegmentHeader, decode_acks,
    decode_segment_header, encode_acks, encode_record, encode_segment_header,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::{debug, warn};

/// Name of the ack-state file.
const ACKS_FILE: &str = "acks";
/// Name of the lock file.
const LOCK_FILE: &str = "lock";

/// One reading as the spool stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The reading's `seq`; strictly increasing in append order within a spool.
    pub seq: u64,
    /// The MQTT topic to publish it on.
    pub topic: String,
    /// The JSON payload, at most [`MAX_PAYLOAD_BYTES`].
    pub payload: Vec<u8>,
}

/// Unacknowledged readings deleted because the spool was full. The caller logs it at ERROR:
/// it is data loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// Readings never acknowledged that were deleted.
    pub readings: u64,
    /// Segments deleted to make room (including fully acknowledged ones).
    pub segments: u64,
    /// Lowest seq in the deleted unsent segments.
    pub first_seq: u64,
    /// Highest seq in the deleted unsent segments.
    pub last_seq: u64,
}

/// What [`Spool::open`] found and repaired. Damage is also logged at WARN by the spool itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Segment files found.
    pub segments: usize,
    /// Valid records found.
    pub records: u64,
    /// Of those, not acknowledged: they are sent again first.
    pub unsent: u64,
    /// Torn tails cut off the newest segment (0 or 1).
    pub torn_tails: u64,
    /// Bytes cut off by that.
    pub torn_tail_bytes: u64,
    /// Damaged regions skipped (each may have held one or more records).
    pub corrupt_regions: u64,
    /// Valid records skipped because their seq was not above every seq before them.
    pub out_of_order: u64,
    /// Segment files whose header is unreadable, with the reason; left alone.
    pub unreadable_segments: Vec<(PathBuf, String)>,
    /// The state of the `acks` file.
    pub ack_state: AckStateStatus,
    /// `acks` entries that did not fit their segment and were ignored.
    pub ack_entries_ignored: u64,
}

/// The state of the `acks` file found on open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AckStateStatus {
    /// No file: a new spool, or nothing was ever committed.
    #[default]
    Missing,
    /// Read and applied.
    Loaded,
    /// Damaged (with the reason): ignored, so everything on disk counts as unsent.
    Corrupt(String),
}

/// What [`Spool::maintain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Whether the ack state was written (it had changed).
    pub committed: bool,
    /// Fully acknowledged segments deleted because `keep_sent` had passed.
    pub expired_segments: usize,
}

#[derive(Debug, Default)]
struct Counters {
    depth: AtomicU64,
    dropped: AtomicU64,
    corrupt: AtomicU64,
}

/// The spool's counters, readable without the spool's lock (for heartbeats and metrics).
#[derive(Debug, Clone, Default)]
pub struct SpoolStats(Arc<Counters>);

impl SpoolStats {
    /// Readings not yet acknowledged (heartbeat `spool_depth`).
    pub fn depth(&self) -> u64 {
        self.0.depth.load(Ordering::Relaxed)
    }

    /// Unacknowledged readings deleted because the spool was full, since this process opened
    /// the spool (heartbeat `spool_dropped`; not persisted).
    pub fn dropped(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }

    /// Damaged regions, out-of-order records and unreadable segments met since open.
    pub fn corrupt(&self) -> u64 {
        self.0.corrupt.load(Ordering::Relaxed)
    }
}

/// What the spool knows about one segment file.
#[derive(Debug)]
struct Segment {
    id: u64,
    created_ms: u64,
    path: PathBuf,
    /// Bytes in the file (counted against `max_bytes`).
    size: u64,
    /// End of the bytes the reader looks at.
    end: u64,
    /// The header is valid (an unreadable segment is never read or appended to).
    readable: bool,
    /// A newer segment exists (or this one cannot be appended to): it never grows again.
    sealed: bool,
    first_seq: Option<u64>,
    last_seq: Option<u64>,
    /// Valid records not yet acknowledged.
    unacked: u64,
    /// Every record before this offset is acknowledged.
    acked_to: u64,
    /// When it became fully acknowledged (Unix ms), 0 if not.
    sent_at_ms: u64,
    /// Offsets of damaged regions and out-of-order records already counted: skipped without
    /// counting again.
    known: Vec<u64>,
}

impl Segment {
    fn seq_range(&self) -> Option<std::ops::RangeInclusive<u64>> {
        Some(self.first_seq?..=self.last_seq?)
    }

    fn is_sent(&self) -> bool {
        self.sealed && self.readable && self.unacked == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight,
    Retry,
    Acked,
}

/// A record handed out by the cursor and not yet folded into its segment's `acked_to`.
#[derive(Debug, Clone, Copy)]
struct Pending {
    seg: u64,
    at: u64,
    next: u64,
    state: State,
}

/// Where the next unread record is: segment id and byte offset. A segment id that no longer
/// exists means "at `acked_to` of the next segment".
#[derive(Debug, Clone, Copy)]
struct Cursor {
    seg: u64,
    offset: u64,
}

/// A crash-safe, bounded, segmented spool of readings. See the module doc for the design.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    config: SpoolConfig,
    /// Holds the `flock` while open.
    _lock: File,
    /// In id order; the last one is the one being written when `active` is set.
    segments: VecDeque<Segment>,
    /// Write handle of the last segment, when it can be appended to.
    active: Option<File>,
    next_id: u64,
    last_seq: Option<u64>,
    cursor: Cursor,
    /// Records handed out and not yet folded into `acked_to`, by seq.
    pending: BTreeMap<u64, Pending>,
    /// Seqs acknowledged out of order before the last restart that the cursor has not reached.
    preacked: BTreeSet<u64>,
    total_bytes: u64,
    depth: u64,
    /// The ack state changed since the last commit.
    dirty: bool,
    stats: SpoolStats,
    recovery: Recovery,
    /// Reused encode buffer.
    scratch: Vec<u8>,
}

impl Spool {
    /// Opens the spool in `dir` (created if missing), recovering from whatever a crash left.
    /// See "What a crash can do, and recovery" in the module doc; [`Spool::recovery`] says what
    /// was found. Errors only on a bad config, an I/O failure or a spool held by another
    /// process; never because of damaged files.
    pub fn open(dir: impl AsRef<Path>, config: SpoolConfig) -> Result<Spool, SpoolError> {
        config.validate()?;
        let dir = dir.as_ref().to_path_buf();
        let existed = dir.is_dir();
        fs::create_dir_all(&dir).map_err(io_err("create directory", &dir))?;
        if !existed {
            let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
            sync_dir(parent.unwrap_or(Path::new(".")))?;
        }
        let lock = lock_dir(&dir)?;

        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("list directory", &dir))? {
            let entry = entry.map_err(io_err("list directory", &dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(".tmp") {
                let path = entry.path();
                fs::remove_file(&path).map_err(io_err("delete leftover", &path))?;
                debug!(path = %path.display(), "Deleted a leftover temporary spool file.");
            } else if let Some(id) = parse_segment_name(name) {
                ids.push(id);
            }
        }
        ids.sort_unstable();

        let mut recovery = Recovery::default();
        let acks_path = dir.join(ACKS_FILE);
        let acks = match fs::read(&acks_path) {
            Ok(bytes) => match decode_acks(&bytes) {
                Ok(state) => {
                    recovery.ack_state = AckStateStatus::Loaded;
                    state
                }
                Err(what) => {
                    warn!(path = %acks_path.display(), error = %what,
                        "Spool ack state is damaged; every spooled reading will be sent again.");
                    recovery.ack_state = AckStateStatus::Corrupt(what);
                    AckState::default()
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => AckState::default(),
            Err(e) => return Err(io_err("read", &acks_path)(e)),
        };

        let mut segments = VecDeque::with_capacity(ids.len());
        let mut preacked = BTreeSet::new();
        let mut max_seq = None;
        for (i, &id) in ids.iter().enumerate() {
            let newest = i + 1 == ids.len();
            let seg = scan_segment(
                &dir,
                id,
                acks.entries.get(&id),
                newest,
                &mut max_seq,
                &mut preacked,
                &mut recovery,
            )?;
            segments.push_back(seg);
        }
        recovery.segments = segments.len();

        // Keep appending to the newest segment when it is readable.
        let mut active = None;
        if let Some(last) = segments.back_mut().filter(|s| s.readable) {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&last.path)
                .map_err(seg_err(last.id, "open", &last.path))?;
            last.sealed = false;
            active = Some(f);
        }

        let next_id = segments
            .back()
            .map_or(1, |s| s.id + 1)
            .max(acks.next_segment_id)
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
        let depth = segments.iter().map(|s| s.unacked).sum();
        recovery.unsent = depth;
        let corrupt = recovery.corrupt_regions
            + recovery.out_of_order
            + recovery.unreadable_segments.len() as u64;
        let stats = SpoolStats::default();
        stats.0.corrupt.store(corrupt, Ordering::Relaxed);
        let mut spool = Spool {
            total_bytes: segments.iter().map(|s| s.size).sum(),
            dir,
            config,
            _lock: lock,
            segments,
            active,
            next_id,
            last_seq: max_seq,
            cursor,
            pending: BTreeMap::new(),
            preacked,
            depth,
            dirty: false,
            stats,
            recovery,
            scratch: Vec::new(),
        };
        for i in 0..spool.segments.len() {
            spool.check_sent(i);
        }
        spool.publish_depth();
        if spool.recovery.unsent > 0 {
            debug!(
                unsent = spool.recovery.unsent,
                segments = spool.recovery.segments,
                "Spool opened with unsent readings; they are sent first."
            );
        }
        Ok(spool)
    }

    /// What [`Spool::open`] found and repaired.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends a batch of readings and makes it durable (write, `fdatasync`; on a new segment
    /// also the directory) before returning. Seqs must be strictly increasing and above every
    /// seq appended before; nothing is written when any record is invalid.
    ///
    /// When the bound forces deleting unacknowledged readings, returns what was dropped (also
    /// counted in [`Spool::dropped`]); log it at ERROR. On an I/O error the batch is not in the
    /// spool (it may be retried with the same seqs) and the next batch opens a new segment.
    pub fn append_batch(&mut self, records: &[Record]) -> Result<Option<Dropped>, SpoolError> {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(None);
        };
        let mut prev = self.last_seq;
        for r in records {
            if r.payload.len() > MAX_PAYLOAD_BYTES {
                return Err(SpoolError::InvalidRecord {
                    seq: r.seq,
                    what: format!(
                        "payload of {} bytes, the limit is {MAX_PAYLOAD_BYTES}",
                        r.payload.len()
                    ),
                });
            }
            if r.topic.len() > MAX_TOPIC_BYTES {
                return Err(SpoolError::InvalidRecord {
                    seq: r.seq,
                    what: format!(
                        "topic of {} bytes, the limit is {MAX_TOPIC_BYTES}",
                        r.topic.len()
                    ),
                });
            }
            if let Some(p) = prev.filter(|&p| r.seq <= p) {
                return Err(SpoolError::SeqOrder {
                    seq: r.seq,
                    last: p,
                });
            }
            prev = Some(r.seq);
        }
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        for r in records {
            encode_record(&mut buf, r);
        }
        let result = self.append_encoded(&buf, first.seq, last.seq, records.len() as u64);
        self.scratch = buf;
        result
    }

    fn append_encoded(
        &mut self,
        buf: &[u8],
        first_seq: u64,
        last_seq: u64,
        n: u64,
    ) -> Result<Option<Dropped>, SpoolError> {
        let bytes = buf.len() as u64;
        let active_size = self
            .active
            .as_ref()
            .and(self.segments.back())
            .map(|s| s.size);
        let need_new = match active_size {
            None => true,
            Some(size) => size > SEGMENT_HEADER_LEN && size + bytes > self.config.segment_bytes,
        };
        // The size of the segment written to, after the write: it can never be deleted.
        let footprint = if need_new {
            SEGMENT_HEADER_LEN
        } else {
            active_size.unwrap_or(0)
        } + bytes;
        if footprint > self.config.max_bytes {
            return Err(SpoolError::BatchTooLarge {
                bytes,
                max_bytes: self.config.max_bytes,
            });
        }
        if need_new {
            self.seal_active();
        }
        let needed = bytes + if need_new { SEGMENT_HEADER_LEN } else { 0 };
        let dropped = self.make_room(needed)?;
        if need_new {
            self.create_segment()?;
        }
        let seg = self.segments.back_mut().expect("an active segment exists");
        let file = self.active.as_ref().expect("an active segment exists");
        let at = seg.size;
        let written = file
            .write_all_at(buf, at)
            .map_err(seg_err(seg.id, "write", &seg.path))
            .and_then(|()| {
                file.sync_data()
                    .map_err(seg_err(seg.id, "fsync", &seg.path))
            });
        if let Err(e) = written {
            // Take back what may have reached the file, and never append after it again:
            // the next batch opens a new segment.
            let _ = file.set_len(at).and_then(|()| file.sync_data());
            warn!(segment = seg.id, error = %e, "Spool write failed; closing the segment.");
            self.seal_active();
            return Err(e);
        }
        seg.size += bytes;
        seg.end = seg.size;
        seg.first_seq.get_or_insert(first_seq);
        seg.last_seq = Some(last_seq);
        seg.unacked += n;
        self.total_bytes += bytes;
        self.last_seq = Some(last_seq);
        self.depth += n;
        self.publish_depth();
        Ok(dropped)
    }

    /// Hands out up to `max` unacknowledged readings, lowest seq first: first those put back by
    /// [`Spool::nack`] or [`Spool::rewind`], then the next ones never handed out. They are in
    /// flight until [`Spool::ack`]ed. Empty when everything on disk is in flight or acked.
    /// Damaged records are skipped and counted.
    pub fn next_unsent(&mut self, max: usize) -> Result<Vec<Record>, SpoolError> {
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        let retries: Vec<(u64, Pending)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.state == State::Retry)
            .take(max)
            .map(|(&s, &p)| (s, p))
            .collect();
        for (seq, p) in retries {
            match self.read_one(p)? {
                Some(r) if r.seq == seq => {
                    out.push(r);
                    if let Some(e) = self.pending.get_mut(&seq) {
                        e.state = State::InFlight;
                    }
                }
                _ => {
                    // Readable when handed out first, damaged now: nothing left to deliver.
                    warn!(
                        seq,
                        segment = p.seg,
                        offset = p.at,
                        "Spooled reading became unreadable before delivery; skipped."
                    );
                    self.bump_corrupt();
                    self.settle_ack(seq);
                }
            }
        }
        while out.len() < max {
            let Some(i) = self.segments.iter().position(|s| s.id >= self.cursor.seg) else {
                break;
            };
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
                break; // caught up with the segment being written
            }
            let (id, end, path) = (seg.id, seg.end, seg.path.clone());
            let file = File::open(&path).map_err(seg_err(id, "open", &path))?;
            let mut reader = Reader::new(&file, self.cursor.offset, end, true);
            while out.len() < max {
                let Some(item) = reader.next_item().map_err(seg_err(id, "read", &path))? else {
                    break;
                };
                match item {
                    Item::Record {
                        at,
                        next,
                        seq,
                        record,
                    } => {
                        self.cursor.offset = next;
                        if self.segments[i].known.contains(&at) {
                            continue;
                        }
                        // An ack from before the restart stays an entry until folded into
                        // `acked_to`, so the next commit still carries it.
                        let state = if self.preacked.remove(&seq) {
                            State::Acked
                        } else {
                            out.extend(record);
                            State::InFlight
                        };
                        self.pending.insert(
                            seq,
                            Pending {
                                seg: id,
                                at,
                                next,
                                state,
                            },
                        );
                    }
                    Item::Damaged { at, next } => {
                        self.cursor.offset = next;
                        if !self.segments[i].known.contains(&at) {
                            warn!(
                                segment = id,
                                offset = at,
                                bytes = next - at,
                                "Damaged spool record skipped."
                            );
                            self.segments[i].known.push(at);
                            self.bump_corrupt();
                        }
                    }
                }
            }
            if reader.end() < end {
                warn!(
                    segment = id,
                    expected = end,
                    found = reader.end(),
                    "Spool segment is shorter than written; the rest is lost."
                );
                self.segments[i].end = reader.end();
                self.cursor.offset = self.cursor.offset.min(reader.end());
            }
            self.settle(i);
        }
        Ok(out)
    }

    /// Marks one in-flight reading delivered (after a successful PUBACK). Returns false when
    /// `seq` was not in flight (already acknowledged, dropped, or never handed out: a resend);
    /// that is harmless. Memory only: [`Spool::commit`] makes it durable.
    pub fn ack(&mut self, seq: u64) -> bool {
        match self.pending.get(&seq) {
            Some(p) if p.state != State::Acked => {
                self.settle_ack(seq);
                true
            }
            _ => false,
        }
    }

    /// Puts one in-flight reading back: [`Spool::next_unsent`] hands it out again before
    /// anything newer. For a PUBACK with a failure reason code (it was not delivered; retry it
    /// later). Returns false when `seq` was not in flight.
    pub fn nack(&mut self, seq: u64) -> bool {
        match self.pending.get_mut(&seq) {
            Some(p) if p.state == State::InFlight => {
                p.state = State::Retry;
                true
            }
            _ => false,
        }
    }

    /// Puts every in-flight reading back, to be handed out again first, in seq order. For a
    /// lost connection whose in-flight publishes will not be retransmitted.
    pub fn rewind(&mut self) {
        for p in self.pending.values_mut() {
            if p.state == State::InFlight {
                p.state = State::Retry;
            }
        }
    }

    /// Readings handed out and neither acknowledged nor put back.
    pub fn in_flight(&self) -> usize {
        self.pending
            .values()
            .filter(|p| p.state == State::InFlight)
            .count()
    }

    /// Readings not yet acknowledged (in flight, put back or never handed out). Cheap.
    pub fn depth(&self) -> u64 {
        self.depth
    }

    /// Unacknowledged readings deleted because the spool was full, since this process opened
    /// it. Not persisted: a restart starts at 0 (heartbeat `spool_dropped` is "since start").
    pub fn dropped(&self) -> u64 {
        self.stats.dropped()
    }

    /// Damaged regions, out-of-order records and unreadable segments met since open.
    pub fn corrupt(&self) -> u64 {
        self.stats.corrupt()
    }

    /// The counters, readable without access to the spool.
    pub fn stats(&self) -> SpoolStats {
        self.stats.clone()
    }

    /// The highest seq ever appended to this spool (as far as its files tell).
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Bytes of all segment files together (bounded by `max_bytes`).
    pub fn bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Readings still on disk with `seq_from <= seq <= seq_to`, acknowledged or not, in seq
    /// order, for a resend request from the collector. Does not change the delivery state.
    /// Memory grows with the range: ask for at most a few thousand seqs at a time.
    pub fn resend(&mut self, seq_from: u64, seq_to: u64) -> Result<Vec<Record>, SpoolError> {
        let mut out = Vec::new();
        if seq_from > seq_to {
            return Ok(out);
        }
        for seg in self.segments.iter().filter(|s| s.readable) {
            let Some(range) = seg.seq_range() else {
                continue;
            };
            if *range.end() < seq_from || *range.start() > seq_to {
                continue;
            }
            let file = File::open(&seg.path).map_err(seg_err(seg.id, "open", &seg.path))?;
            let mut reader = Reader::new(&file, SEGMENT_HEADER_LEN, seg.end, true);
            while let Some(item) = reader
                .next_item()
                .map_err(seg_err(seg.id, "read", &seg.path))?
            {
                if let Item::Record {
                    at, seq, record, ..
                } = item
                {
                    if seg.known.contains(&at) || seq < seq_from {
                        continue;
                    }
                    if seq > seq_to {
                        break;
                    }
                    out.extend(record);
                }
            }
        }
        Ok(out)
    }

    /// Writes the ack state durably if it changed (`acks.tmp`, fsync, rename, fsync of the
    /// directory). Returns whether it wrote. Call it periodically (every second is a good
    /// trade-off, see the module doc) and before exit.
    pub fn commit(&mut self) -> Result<bool, SpoolError> {
        if !self.dirty {
            return Ok(false);
        }
        let bytes = encode_acks(&self.ack_state());
        let path = self.dir.join(ACKS_FILE);
        let tmp = self.dir.join(format!("{ACKS_FILE}.tmp"));
        let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(&bytes).map_err(io_err("write", &tmp))?;
        f.sync_data().map_err(io_err("fsync", &tmp))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(io_err("rename into place", &path))?;
        sync_dir(&self.dir)?;
        self.dirty = false;
        Ok(true)
    }

    /// Deletes the fully acknowledged segments that became so at least `keep_sent` before
    /// `now`. Returns how many. A clock that went backwards keeps segments longer; one that
    /// jumped forward expires them early (only resend requests suffer, no reading is lost).
    pub fn remove_expired(&mut self, now: SystemTime) -> Result<usize, SpoolError> {
        let now_ms = unix_ms(now);
        let keep_ms = u64::try_from(self.config.keep_sent.as_millis()).unwrap_or(u64::MAX);
        let mut removed = 0;
        let mut i = 0;
        while i < self.segments.len() {
            let s = &self.segments[i];
            if s.is_sent() && s.sent_at_ms != 0 && now_ms.saturating_sub(s.sent_at_ms) >= keep_ms {
                debug!(
                    segment = s.id,
                    "Deleting an expired, fully delivered spool segment."
                );
                self.delete_segment(i)?;
                removed += 1;
            } else {
                i += 1;
            }
        }
        if removed > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(removed)
    }

    /// The periodic housekeeping in one call: [`Spool::commit`], then
    /// [`Spool::remove_expired`] at the current time. Call it about once a second.
    pub fn maintain(&mut self) -> Result<Maintenance, SpoolError> {
        let committed = self.commit()?;
        let expired_segments = self.remove_expired(SystemTime::now())?;
        Ok(Maintenance {
            committed,
            expired_segments,
        })
    }

    /// Commits the ack state and closes the spool. Dropping a spool also commits, ignoring
    /// errors.
    pub fn close(mut self) -> Result<(), SpoolError> {
        self.commit().map(drop)
    }

    /// A crash, for tests: closes without committing (the lock is released, as by exit).
    #[cfg(test)]
    pub(crate) fn crash(mut self) {
        self.dirty = false;
    }

    // ---- internals ----

    fn publish_depth(&self) {
        self.stats.0.depth.store(self.depth, Ordering::Relaxed);
    }

    fn bump_corrupt(&self) {
        self.stats.0.corrupt.fetch_add(1, Ordering::Relaxed);
    }

    fn index_of(&self, id: u64) -> Option<usize> {
        self.segments.binary_search_by_key(&id, |s| s.id).ok()
    }

    /// Marks `seq` (pending, not acked) acknowledged and folds what it can.
    fn settle_ack(&mut self, seq: u64) {
        let Some(p) = self.pending.get_mut(&seq) else {
            return;
        };
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
        let range = s.seq_range();
        let open = range.clone().and_then(|r| {
            self.pending
                .range(r)
                .filter(|(_, p)| p.seg == s.id && p.state != State::Acked)
                .map(|(_, p)| p.at)
                .min()
        });
        let new = open.map_or(limit, |o| o.min(limit));
        if new > s.acked_to {
            let id = s.id;
            self.segments[i].acked_to = new;
            self.dirty = true;
            if let Some(r) = range {
                let folded: Vec<u64> = self
                    .pending
                    .range(r)
                    .filter(|(_, p)| p.seg == id && p.state == State::Acked && p.at < new)
                    .map(|(&s, _)| s)
                    .collect();
                for s in folded {
                    self.pending.remove(&s);
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
        // Every unacknowledged reading of a passed segment is now a pending entry: recount, in
        // case records counted as valid earlier turned out damaged when read.
        let id = s.id;
        let open = match s.seq_range() {
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

    fn read_one(&self, p: Pending) -> Result<Option<Record>, SpoolError> {
        let Some(i) = self.index_of(p.seg) else {
            return Ok(None);
        };
        let s = &self.segments[i];
        let file = File::open(&s.path).map_err(seg_err(s.id, "open", &s.path))?;
        let mut reader = Reader::new(&file, p.at, p.next, true);
        match reader.next_item().map_err(seg_err(s.id, "read", &s.path))? {
            Some(Item::Record { next, record, .. }) if next == p.next => Ok(record),
            _ => Ok(None),
        }
    }

    fn seal_active(&mut self) {
        if self.active.take().is_some() {
            let i = self.segments.len() - 1;
            self.segments[i].sealed = true;
            self.check_sent(i);
        }
    }

    fn create_segment(&mut self) -> Result<(), SpoolError> {
        let id = self.next_id;
        self.next_id += 1;
        let created_ms = unix_ms(SystemTime::now());
        let path = self.dir.join(segment_name(id));
        let tmp = self.dir.join(format!("{}.tmp", segment_name(id)));
        let header = encode_segment_header(SegmentHeader { id, created_ms });
        let created = File::create(&tmp)
            .map_err(seg_err(id, "create", &tmp))
            .and_then(|mut f| {
                f.write_all(&header)
                    .map_err(seg_err(id, "write", &tmp))
                    .map(|()| f)
            })
            .and_then(|f| f.sync_all().map_err(seg_err(id, "fsync", &tmp)))
            .and_then(|()| {
                fs::rename(&tmp, &path).map_err(seg_err(id, "rename into place", &path))
            });
        if let Err(e) = created {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(&self.dir)?;
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(seg_err(id, "open", &path))?;
        self.segments.push_back(Segment {
            id,
            created_ms,
            path,
            size: SEGMENT_HEADER_LEN,
            end: SEGMENT_HEADER_LEN,
            readable: true,
            sealed: false,
            first_seq: None,
            last_seq: None,
            unacked: 0,
            acked_to: SEGMENT_HEADER_LEN,
            sent_at_ms: 0,
            known: Vec::new(),
        });
        self.active = Some(f);
        self.total_bytes += SEGMENT_HEADER_LEN;
        Ok(())
    }

    /// Deletes sealed segments until `needed` more bytes fit: unreadable ones first, then sent
    /// ones, then the oldest unsent.
    fn make_room(&mut self, needed: u64) -> Result<Option<Dropped>, SpoolError> {
        let mut dropped: Option<Dropped> = None;
        let mut segments = 0;
        while self.total_bytes + needed > self.config.max_bytes {
            let victim = self
                .segments
                .iter()
                .position(|s| s.sealed && !s.readable)
                .or_else(|| self.segments.iter().position(Segment::is_sent))
                .or_else(|| self.segments.iter().position(|s| s.sealed));
            let Some(i) = victim else {
                return Err(SpoolError::BatchTooLarge {
                    bytes: needed,
                    max_bytes: self.config.max_bytes,
                });
            };
            let s = self.delete_segment(i)?;
            segments += 1;
            if s.readable && s.unacked > 0 {
                let (lo, hi) = s.seq_range().map_or((0, 0), |r| (*r.start(), *r.end()));
                let d = dropped.get_or_insert(Dropped {
                    readings: 0,
                    segments: 0,
                    first_seq: lo,
                    last_seq: hi,
                });
                d.readings += s.unacked;
                d.first_seq = d.first_seq.min(lo);
                d.last_seq = d.last_seq.max(hi);
                self.stats.0.dropped.fetch_add(s.unacked, Ordering::Relaxed);
            }
        }
        if segments > 0 {
            sync_dir(&self.dir)?;
        }
        if let Some(d) = dropped.as_mut() {
            d.segments = segments;
        }
        Ok(dropped)
    }

    /// Deletes segment `i` (never the active one) and forgets its delivery state.
    fn delete_segment(&mut self, i: usize) -> Result<Segment, SpoolError> {
        let s = &self.segments[i];
        debug_assert!(s.sealed, "the segment being written is never deleted");
        match fs::remove_file(&s.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(seg_err(s.id, "delete", &s.path)(e)),
        }
        let s = self.segments.remove(i).expect("index is in range");
        if let Some(r) = s.seq_range() {
            let gone: Vec<u64> = self
                .pending
                .range(r.clone())
                .filter(|(_, p)| p.seg == s.id)
                .map(|(&q, _)| q)
                .collect();
            for q in gone {
                self.pending.remove(&q);
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
        Ok(s)
    }

    fn ack_state(&self) -> AckState {
        let mut state = AckState {
            next_segment_id: self.next_id,
            ..Default::default()
        };
        for s in self.segments.iter().filter(|s| s.readable) {
            let mut acked: Vec<u64> = Vec::new();
            if let Some(r) = s.seq_range() {
                acked.extend(
                    self.pending
                        .range(r.clone())
                        .filter(|(_, p)| p.seg == s.id && p.state == State::Acked)
                        .map(|(&q, _)| q),
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

impl Drop for Spool {
    fn drop(&mut self) {
        if self.dirty
            && let Err(e) = self.commit()
        {
            warn!(error = %e, "Could not commit the spool's ack state on close; \
                acknowledged readings may be sent again.");
        }
    }
}

/// Reads one segment on open: validates every record, applies its `acks` entry, truncates a
/// torn tail when it is the newest.
fn scan_segment(
    dir: &Path,
    id: u64,
    entry: Option<&AckEntry>,
    newest: bool,
    max_seq: &mut Option<u64>,
    preacked: &mut BTreeSet<u64>,
    recovery: &mut Recovery,
) -> Result<Segment, SpoolError> {
    let path = dir.join(segment_name(id));
    let file = OpenOptions::new()
        .read(true)
        .write(newest)
        .open(&path)
        .map_err(seg_err(id, "open", &path))?;
    let len = file.metadata().map_err(seg_err(id, "stat", &path))?.len();
    let mut seg = Segment {
        id,
        created_ms: 0,
        path,
        size: len,
        end: len,
        readable: false,
        sealed: true,
        first_seq: None,
        last_seq: None,
        unacked: 0,
        acked_to: SEGMENT_HEADER_LEN,
        sent_at_ms: 0,
        known: Vec::new(),
    };
    let mut head = [0u8; SEGMENT_HEADER_LEN as usize];
    let n = read_full_at(&file, &mut head, 0).map_err(seg_err(id, "read", &seg.path))?;
    let header = decode_segment_header(&head[..n]).and_then(|h| {
        if h.id == id {
            Ok(h)
        } else {
            Err(format!("header names segment {}", h.id))
        }
    });
    let header = match header {
        Ok(h) => h,
        Err(what) => {
            warn!(segment = id, path = %seg.path.display(), error = %what,
                "Unreadable spool segment left alone; it is deleted first when space is needed.");
            recovery.unreadable_segments.push((seg.path.clone(), what));
            return Ok(seg);
        }
    };
    seg.readable = true;
    seg.created_ms = header.created_ms;

    let entry = entry.filter(|e| e.created_ms == header.created_ms);
    let acked_to = entry.map_or(SEGMENT_HEADER_LEN, |e| e.acked_to.max(SEGMENT_HEADER_LEN));
    let acked_set: BTreeSet<u64> = entry
        .map(|e| e.acked.iter().copied().collect())
        .unwrap_or_default();
    let mut entry_fits = acked_to <= len;
    let (mut records, mut unacked_with_entry) = (0u64, 0u64);
    let mut found_preacked = Vec::new();
    let mut torn_at = None;
    let mut reader = Reader::new(&file, SEGMENT_HEADER_LEN, len, false);
    while let Some(item) = reader.next_item().map_err(seg_err(id, "read", &seg.path))? {
        match item {
            Item::Record { at, next, seq, .. } => {
                if at < acked_to && acked_to < next {
                    entry_fits = false; // `acked_to` falls inside a valid record
                }
                if max_seq.is_some_and(|m| seq <= m) {
                    warn!(
                        segment = id,
                        offset = at,
                        seq,
                        "Out-of-order spool record skipped."
                    );
                    seg.known.push(at);
                    recovery.out_of_order += 1;
                    continue;
                }
                *max_seq = Some(seq);
                seg.first_seq.get_or_insert(seq);
                seg.last_seq = Some(seq);
                records += 1;
                if at >= acked_to {
                    if acked_set.contains(&seq) {
                        found_preacked.push(seq);
                    } else {
                        unacked_with_entry += 1;
                    }
                }
            }
            Item::Damaged { at, next } => {
                if newest && next >= reader.end() {
                    torn_at = Some(at);
                } else {
                    warn!(
                        segment = id,
                        offset = at,
                        bytes = next - at,
                        "Damaged spool record skipped."
                    );
                    seg.known.push(at);
                    recovery.corrupt_regions += 1;
                }
            }
        }
    }
    recovery.records += records;
    if let Some(at) = torn_at {
        let cut = len - at;
        file.set_len(at)
            .map_err(seg_err(id, "truncate", &seg.path))?;
        file.sync_data().map_err(seg_err(id, "fsync", &seg.path))?;
        warn!(
            segment = id,
            offset = at,
            bytes = cut,
            "Cut a torn tail off the spool (a batch being written when the agent stopped)."
        );
        recovery.torn_tails += 1;
        recovery.torn_tail_bytes += cut;
        seg.size = at;
        seg.end = at;
        entry_fits &= acked_to <= at;
    } else {
        seg.end = reader.end();
    }
    match entry {
        Some(e) if entry_fits => {
            seg.acked_to = acked_to;
            seg.unacked = unacked_with_entry;
            seg.sent_at_ms = e.sent_at_ms;
            preacked.extend(found_preacked);
        }
        Some(_) => {
            warn!(
                segment = id,
                "Spool ack state does not fit its segment; its readings will be \
                sent again."
            );
            recovery.ack_entries_ignored += 1;
            seg.unacked = records;
        }
        None => seg.unacked = records,
    }
    Ok(seg)
}

/// `{id:020}.seg`.
fn segment_name(id: u64) -> String {
    format!("{id:020}.seg")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync directory", dir))
}

fn lock_dir(dir: &Path) -> Result<File, SpoolError> {
    let path = dir.join(LOCK_FILE);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err("open", &path))?;
    match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(f),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
            Err(SpoolError::Locked { path: dir.into() })
        }
        Err(e) => Err(io_err("lock", &path)(e.into())),
    }
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SpoolError {
    let path = path.to_path_buf();
    move |source| SpoolError::Io { what, path, source }
}

fn seg_err(id: u64, what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SpoolError {
    let path = path.to_path_buf();
    move |source| SpoolError::Segment {
        id,
        what,
        path,
        source,
    }
}

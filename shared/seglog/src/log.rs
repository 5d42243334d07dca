//! [`SegLog`]: the I/O half of the log. It owns the directory, the lock and the write handle,
//! reads and writes the files, and tells the [`Ledger`] what it found and did; every decision
//! about delivery state is the ledger's.
//!
//! Invariants: a batch is visible to [`SegLog::next_unsent`] only after it is written and
//! `fdatasync`ed; a file is deleted only after the ledger chose it (expired, or a victim of the
//! bound) and the directory is fsynced after deletions; the ack state is replaced atomically.

use crate::files::{ACKS_FILE, io_err, lock_dir, seg_err, segment_name, sync_dir};
use crate::format::{
    MAX_BODY_BYTES, MAX_HEAD_BYTES, SEGMENT_HEADER_LEN, SegmentHeader, encode_acks, encode_record,
    encode_segment_header,
};
use crate::ledger::{Dropped, Ledger, LogStats, Pending, unix_ms};
use crate::reader::{Item, Reader};
use crate::recovery::{Recovered, Recovery, recover};
use crate::{AsRecord, LogConfig, LogError, Record};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tracing::{debug, warn};

/// What [`SegLog::maintain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Whether the ack state was written (it had changed).
    pub committed: bool,
    /// Fully acknowledged segments deleted because `keep_sent` had passed.
    pub expired_segments: usize,
}

/// A crash-safe, bounded, segmented log. See the crate doc for the design.
#[derive(Debug)]
pub struct SegLog {
    dir: PathBuf,
    config: LogConfig,
    /// Holds the `flock` while open.
    _lock: File,
    /// Write handle of the last segment, when it can be appended to.
    active: Option<File>,
    pub(crate) ledger: Ledger,
    recovery: Recovery,
    /// Reused encode buffer.
    scratch: Vec<u8>,
}

impl SegLog {
    /// Opens the log in `dir` (created if missing), recovering from whatever a crash left.
    ///
    /// See "What a crash can do, and recovery" in the crate doc; [`SegLog::recovery`] says what
    /// was found. Errors only on a bad config, an I/O failure or a directory held by another
    /// process; never because of damaged files.
    pub fn open(dir: impl AsRef<Path>, config: LogConfig) -> Result<SegLog, LogError> {
        config.validate()?;
        let dir = dir.as_ref().to_path_buf();
        let existed = dir.is_dir();
        fs::create_dir_all(&dir).map_err(io_err("create directory", &dir))?;
        if !existed {
            let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
            sync_dir(parent.unwrap_or(Path::new(".")))?;
        }
        let lock = lock_dir(&dir)?;
        let Recovered {
            ledger,
            active,
            recovery,
        } = recover(&dir)?;
        if recovery.unsent > 0 {
            debug!(
                unsent = recovery.unsent,
                segments = recovery.segments,
                "Spool opened with unsent readings; they are sent first."
            );
        }
        Ok(SegLog {
            dir,
            config,
            _lock: lock,
            active,
            ledger,
            recovery,
            scratch: Vec::new(),
        })
    }

    /// What [`SegLog::open`] found and repaired.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends a batch of records and makes it durable (write, `fdatasync`; on a new segment
    /// also the directory) before returning. Keys must be strictly increasing and above every
    /// key appended before; nothing is written when any record is invalid.
    ///
    /// When the bound forces deleting unacknowledged records, returns what was dropped (also
    /// counted in [`SegLog::dropped`]). On an I/O error the batch is not in the log (it may be
    /// retried with the same keys) and the next batch opens a new segment.
    pub fn append_batch<R: AsRecord>(
        &mut self,
        records: &[R],
    ) -> Result<Option<Dropped>, LogError> {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(None);
        };
        let (first, last) = (first.as_record(), last.as_record());
        let mut prev = self.ledger.last_key;
        for r in records {
            let r = r.as_record();
            if r.body.len() > MAX_BODY_BYTES {
                return Err(LogError::InvalidRecord {
                    key: r.key,
                    what: format!(
                        "payload of {} bytes, the limit is {MAX_BODY_BYTES}",
                        r.body.len()
                    ),
                });
            }
            if r.head.len() > MAX_HEAD_BYTES {
                return Err(LogError::InvalidRecord {
                    key: r.key,
                    what: format!(
                        "topic of {} bytes, the limit is {MAX_HEAD_BYTES}",
                        r.head.len()
                    ),
                });
            }
            if let Some(p) = prev.filter(|&p| r.key <= p) {
                return Err(LogError::KeyOrder {
                    key: r.key,
                    last: p,
                });
            }
            prev = Some(r.key);
        }
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for r in records {
            let r = r.as_record();
            encode_record(&mut buf, r);
            match runs.last_mut() {
                Some(run) if run.1 + 1 == r.key => run.1 = r.key,
                _ => runs.push((r.key, r.key)),
            }
        }
        let result = self.append_encoded(&buf, first.key, last.key, records.len() as u64, &runs);
        self.scratch = buf;
        result
    }

    fn append_encoded(
        &mut self,
        buf: &[u8],
        first_key: u64,
        last_key: u64,
        n: u64,
        runs: &[(u64, u64)],
    ) -> Result<Option<Dropped>, LogError> {
        let bytes = buf.len() as u64;
        let need_new = self
            .ledger
            .plan_append(
                self.active.is_some(),
                bytes,
                self.config.segment_bytes,
                self.config.max_bytes,
            )
            .map_err(|(bytes, max_bytes)| LogError::BatchTooLarge { bytes, max_bytes })?;
        if need_new {
            self.seal_active();
        }
        let needed = bytes + if need_new { SEGMENT_HEADER_LEN } else { 0 };
        let dropped = self.make_room(needed)?;
        if need_new {
            self.create_segment()?;
        }
        let seg = self
            .ledger
            .segments
            .back()
            .expect("an active segment exists");
        let file = self.active.as_ref().expect("an active segment exists");
        let (id, at) = (seg.id, seg.size);
        let path = self.dir.join(segment_name(id));
        let written = file
            .write_all_at(buf, at)
            .map_err(seg_err(id, "write", &path))
            .and_then(|()| file.sync_data().map_err(seg_err(id, "fsync", &path)));
        if let Err(e) = written {
            // Take back what may have reached the file, and never append after it again:
            // the next batch opens a new segment.
            let _ = file.set_len(at).and_then(|()| file.sync_data());
            warn!(segment = id, error = %e, "Spool write failed; closing the segment.");
            self.seal_active();
            return Err(e);
        }
        self.ledger.appended(bytes, first_key, last_key, n, runs);
        Ok(dropped)
    }

    /// Hands out up to `max` unacknowledged records, lowest key first: first those put back by
    /// [`SegLog::nack`] or [`SegLog::rewind`], then the next ones never handed out. They are in
    /// flight until [`SegLog::ack`]ed. Empty when everything on disk is in flight or acked.
    /// Damaged records are skipped and counted.
    pub fn next_unsent(&mut self, max: usize) -> Result<Vec<Record>, LogError> {
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        for (key, p) in self.ledger.retries(max) {
            match self.read_one(p)? {
                Some(r) if r.key == key => {
                    out.push(r);
                    self.ledger.resent(key);
                }
                _ => {
                    warn!(
                        seq = key,
                        segment = p.seg,
                        offset = p.at,
                        "Spooled reading became unreadable before delivery; skipped."
                    );
                    self.ledger.retry_lost(key);
                }
            }
        }
        while out.len() < max {
            let Some(i) = self.ledger.segment_to_read() else {
                break;
            };
            let seg = &self.ledger.segments[i];
            let (id, end) = (seg.id, seg.end);
            let path = self.dir.join(segment_name(id));
            let file = File::open(&path).map_err(seg_err(id, "open", &path))?;
            let mut reader = Reader::new(&file, self.ledger.cursor.offset, end, true);
            while out.len() < max {
                let Some(item) = reader.next_item().map_err(seg_err(id, "read", &path))? else {
                    break;
                };
                match item {
                    Item::Record {
                        at,
                        next,
                        key,
                        record,
                    } => {
                        if self.ledger.read_record(i, at, next, key) {
                            out.extend(record);
                        }
                    }
                    Item::Damaged { at, next } => {
                        if self.ledger.read_damage(i, at, next) {
                            warn!(
                                segment = id,
                                offset = at,
                                bytes = next - at,
                                "Damaged spool record skipped."
                            );
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
                self.ledger.read_short(i, reader.end());
            }
            self.ledger.read_done(i);
        }
        Ok(out)
    }

    /// Marks one in-flight record delivered. Returns false when `key` was not in flight
    /// (already acknowledged, dropped, or never handed out); that is harmless. Memory only:
    /// [`SegLog::commit`] makes it durable.
    pub fn ack(&mut self, key: u64) -> bool {
        self.ledger.ack(key)
    }

    /// Puts one in-flight record back: [`SegLog::next_unsent`] hands it out again before
    /// anything newer. Returns false when `key` was not in flight.
    pub fn nack(&mut self, key: u64) -> bool {
        self.ledger.nack(key)
    }

    /// Puts every in-flight record back, to be handed out again first, in key order.
    pub fn rewind(&mut self) {
        self.ledger.rewind();
    }

    /// Records handed out and neither acknowledged nor put back.
    pub fn in_flight(&self) -> usize {
        self.ledger.in_flight()
    }

    /// Records not yet acknowledged (in flight, put back or never handed out). Cheap.
    pub fn depth(&self) -> u64 {
        self.ledger.depth
    }

    /// Unacknowledged records deleted because the log was full, since this process opened it.
    /// Not persisted: a restart starts at 0.
    pub fn dropped(&self) -> u64 {
        self.ledger.stats().dropped()
    }

    /// Damaged regions, out-of-order records and unreadable segments met since open.
    pub fn corrupt(&self) -> u64 {
        self.ledger.stats().corrupt()
    }

    /// The counters, readable without access to the log.
    pub fn stats(&self) -> LogStats {
        self.ledger.stats().clone()
    }

    /// The highest key ever appended to this log (as far as its files tell).
    pub fn last_key(&self) -> Option<u64> {
        self.ledger.last_key
    }

    /// Bytes of all segment files together (bounded by `max_bytes`).
    pub fn bytes(&self) -> u64 {
        self.ledger.total_bytes
    }

    /// The keys on disk, acknowledged or not, as runs of consecutive keys `(first, last)`
    /// inclusive, oldest first: what [`SegLog::read_range`] can still give. The agent's
    /// heartbeat reports them (`seq_ranges`), so a gap between runs (keys never issued) is never
    /// taken for a loss. A damaged record's key is not known and stays inside its run.
    pub fn key_runs(&self) -> Vec<(u64, u64)> {
        self.ledger.key_runs()
    }

    /// Framed bytes ([`crate::framed_len`]) that can be appended now without the bound
    /// deleting an unacknowledged record: a caller that must never lose one (the collector's
    /// write-ahead log) stops taking input when its next batch exceeds this, instead of letting
    /// [`SegLog::append_batch`] drop the oldest segment.
    pub fn room_without_loss(&self) -> u64 {
        self.ledger
            .room_without_loss(self.config.max_bytes, self.config.segment_bytes)
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.ledger.segments.len()
    }

    /// Records still on disk with `key_from <= key <= key_to`, acknowledged or not, in key
    /// order. Does not change the delivery state. Memory grows with the range.
    pub fn read_range(&mut self, key_from: u64, key_to: u64) -> Result<Vec<Record>, LogError> {
        let mut out = Vec::new();
        if key_from > key_to {
            return Ok(out);
        }
        for seg in self.ledger.segments.iter().filter(|s| s.readable) {
            let Some(range) = seg.key_range() else {
                continue;
            };
            if *range.end() < key_from || *range.start() > key_to {
                continue;
            }
            let path = self.dir.join(segment_name(seg.id));
            let file = File::open(&path).map_err(seg_err(seg.id, "open", &path))?;
            let mut reader = Reader::new(&file, SEGMENT_HEADER_LEN, seg.end, true);
            while let Some(item) = reader.next_item().map_err(seg_err(seg.id, "read", &path))? {
                if let Item::Record {
                    at, key, record, ..
                } = item
                {
                    if seg.known.contains(&at) || key < key_from {
                        continue;
                    }
                    if key > key_to {
                        break;
                    }
                    out.extend(record);
                }
            }
        }
        Ok(out)
    }

    /// Writes the ack state durably if it changed (`acks.tmp`, fsync, rename, fsync of the
    /// directory). Returns whether it wrote. Call it periodically and before exit.
    pub fn commit(&mut self) -> Result<bool, LogError> {
        if !self.ledger.dirty {
            return Ok(false);
        }
        let bytes = encode_acks(&self.ledger.ack_state());
        let path = self.dir.join(ACKS_FILE);
        let tmp = self.dir.join(format!("{ACKS_FILE}.tmp"));
        let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(&bytes).map_err(io_err("write", &tmp))?;
        f.sync_data().map_err(io_err("fsync", &tmp))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(io_err("rename into place", &path))?;
        sync_dir(&self.dir)?;
        self.ledger.dirty = false;
        Ok(true)
    }

    /// Deletes the fully acknowledged segments that became so at least `keep_sent` before
    /// `now`. Returns how many. A clock that went backwards keeps segments longer; one that
    /// jumped forward expires them early.
    pub fn remove_expired(&mut self, now: SystemTime) -> Result<usize, LogError> {
        let now_ms = unix_ms(now);
        let keep_ms = u64::try_from(self.config.keep_sent.as_millis()).unwrap_or(u64::MAX);
        let mut removed = 0;
        let mut i = 0;
        while i < self.ledger.segments.len() {
            if self.ledger.is_expired(i, now_ms, keep_ms) {
                debug!(
                    segment = self.ledger.segments[i].id,
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

    /// The periodic housekeeping in one call: [`SegLog::commit`], then
    /// [`SegLog::remove_expired`] at the current time. Call it about once a second.
    pub fn maintain(&mut self) -> Result<Maintenance, LogError> {
        let committed = self.commit()?;
        let expired_segments = self.remove_expired(SystemTime::now())?;
        Ok(Maintenance {
            committed,
            expired_segments,
        })
    }

    /// Commits the ack state and closes the log. Dropping a log also commits, ignoring errors.
    pub fn close(mut self) -> Result<(), LogError> {
        self.commit().map(drop)
    }

    /// Closes without committing, as a crash would (the lock is released, as by exit): what
    /// was acknowledged since the last commit is handed out again on the next open. For tests
    /// of the caller's recovery.
    pub fn crash(mut self) {
        self.ledger.dirty = false;
    }

    // ---- internals ----

    fn read_one(&self, p: Pending) -> Result<Option<Record>, LogError> {
        let Some(i) = self.ledger.index_of(p.seg) else {
            return Ok(None);
        };
        let id = self.ledger.segments[i].id;
        let path = self.dir.join(segment_name(id));
        let file = File::open(&path).map_err(seg_err(id, "open", &path))?;
        let mut reader = Reader::new(&file, p.at, p.next, true);
        match reader.next_item().map_err(seg_err(id, "read", &path))? {
            Some(Item::Record { next, record, .. }) if next == p.next => Ok(record),
            _ => Ok(None),
        }
    }

    fn seal_active(&mut self) {
        if self.active.take().is_some() {
            self.ledger.seal_last();
        }
    }

    fn create_segment(&mut self) -> Result<(), LogError> {
        let id = self.ledger.allocate_id();
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
        self.ledger.push_segment(id, created_ms);
        self.active = Some(f);
        Ok(())
    }

    /// Deletes sealed segments until `needed` more bytes fit, in the ledger's order.
    fn make_room(&mut self, needed: u64) -> Result<Option<Dropped>, LogError> {
        let mut dropped: Option<Dropped> = None;
        let mut segments = 0;
        while self.ledger.over_bound(needed, self.config.max_bytes) {
            let Some(i) = self.ledger.victim() else {
                return Err(LogError::BatchTooLarge {
                    bytes: needed,
                    max_bytes: self.config.max_bytes,
                });
            };
            let s = self.delete_segment(i)?;
            segments += 1;
            self.ledger.count_dropped(&s, &mut dropped);
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
    fn delete_segment(&mut self, i: usize) -> Result<crate::ledger::Segment, LogError> {
        let id = self.ledger.segments[i].id;
        let path = self.dir.join(segment_name(id));
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(seg_err(id, "delete", &path)(e)),
        }
        Ok(self.ledger.forget(i))
    }
}

impl Drop for SegLog {
    fn drop(&mut self) {
        if self.ledger.dirty
            && let Err(e) = self.commit()
        {
            warn!(error = %e, "Could not commit the spool's ack state on close; \
                acknowledged readings may be sent again.");
        }
    }
}

//! The crash-safe spool: readings on disk, in `seq` order, until the broker has acknowledged
//! them, and for a while after so the collector can ask for them again.
//!
//! DESIGN.md, delivery guarantees: a reading is on disk (fsync) before it is offered to MQTT;
//! it stays until acknowledged; acknowledged readings are kept for a while (default 24 h) for
//! resend requests; power loss loses at most the reading being written; a full spool drops the
//! oldest segment and counts the loss. The publisher (`crate::publish`) drives it.
//!
//! The spool is a [`coverage_seglog::SegLog`] (the collector's write-ahead log is one too): the
//! files, the record framing with its CRC, fsync per batch, the acknowledged cursor, recovery
//! (torn tails and corrupt records skipped and counted, never fatal), the size bound and the
//! expiry of acknowledged segments are that crate's, and its crate doc is the on-disk format
//! and the design. What this module adds is the mapping of a reading onto a log record:
//!
//! | reading | log record |
//! |---|---|
//! | `seq` | key (strictly increasing, gaps allowed) |
//! | MQTT topic | head (UTF-8, at most [`MAX_TOPIC_BYTES`]) |
//! | JSON payload | body (at most [`MAX_PAYLOAD_BYTES`]) |
//!
//! plus the `[spool]` config section ([`SpoolConfig`]), the spool's own error type with its
//! `spool.*` key names ([`SpoolError`]), and [`SharedSpool`] for async code.
//!
//! Invariants (the log's, in the spool's words): [`Spool::append_batch`] returns only once the
//! batch is durable; seqs only grow; a reading leaves the disk only once acknowledged and
//! `keep_sent` has passed, or when the bound forces it (counted in [`Spool::dropped`]);
//! damage never makes [`Spool::open`] fail.
//!
//! # Use from async code
//!
//! All of this is blocking `std::fs` work (fsync takes milliseconds to tens of milliseconds on
//! an SD card). Use [`SharedSpool`]: a cloneable handle for the recorder and the publisher that
//! runs every call under a mutex on tokio's blocking pool, plus [`SpoolStats`] for heartbeats
//! without taking the lock.

mod config;
mod error;
mod shared;
#[cfg(test)]
mod tests;

pub use config::{
    MIN_SEGMENT_BYTES, SpoolConfig, default_keep_sent, default_max_bytes, default_segment_bytes,
};
pub use coverage_seglog::{AckStateStatus, Maintenance, Recovery};
pub use error::SpoolError;
pub use shared::SharedSpool;

use coverage_seglog::{AsRecord, LogStats, RecordRef, SegLog};
use std::path::Path;
use std::time::SystemTime;

/// Largest payload a record may carry (DESIGN.md: one reading is at most 64 KiB).
pub const MAX_PAYLOAD_BYTES: usize = coverage_seglog::MAX_BODY_BYTES;
/// Largest topic a record may carry (the MQTT limit, and what a `u16` length holds).
pub const MAX_TOPIC_BYTES: usize = coverage_seglog::MAX_HEAD_BYTES;

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

impl AsRecord for Record {
    fn as_record(&self) -> RecordRef<'_> {
        RecordRef {
            key: self.seq,
            head: &self.topic,
            body: &self.payload,
        }
    }
}

impl From<coverage_seglog::Record> for Record {
    fn from(r: coverage_seglog::Record) -> Self {
        Record {
            seq: r.key,
            topic: r.head,
            payload: r.body,
        }
    }
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

impl From<coverage_seglog::Dropped> for Dropped {
    fn from(d: coverage_seglog::Dropped) -> Self {
        Dropped {
            readings: d.records,
            segments: d.segments,
            first_seq: d.first_key,
            last_seq: d.last_key,
        }
    }
}

/// The spool's counters, readable without the spool's lock (for heartbeats and metrics).
#[derive(Debug, Clone, Default)]
pub struct SpoolStats(LogStats);

impl SpoolStats {
    /// Readings not yet acknowledged (heartbeat `spool_depth`).
    pub fn depth(&self) -> u64 {
        self.0.depth()
    }

    /// Unacknowledged readings deleted because the spool was full, since this process opened
    /// the spool (heartbeat `spool_dropped`; not persisted).
    pub fn dropped(&self) -> u64 {
        self.0.dropped()
    }

    /// Damaged regions, out-of-order records and unreadable segments met since open.
    pub fn corrupt(&self) -> u64 {
        self.0.corrupt()
    }
}

/// A crash-safe, bounded, segmented spool of readings: a [`SegLog`] of readings. See the
/// module doc, and the crate doc of [`coverage_seglog`] for the design.
#[derive(Debug)]
pub struct Spool {
    log: SegLog,
}

impl Spool {
    /// Opens the spool in `dir` (created if missing), recovering from whatever a crash left.
    ///
    /// See "What a crash can do, and recovery" in the crate doc of [`coverage_seglog`];
    /// [`Spool::recovery`] says what was found. Errors only on a bad config, an I/O failure or
    /// a spool held by another process; never because of damaged files.
    pub fn open(dir: impl AsRef<Path>, config: SpoolConfig) -> Result<Spool, SpoolError> {
        config.validate()?;
        let log = SegLog::open(dir, config.log_config())?;
        Ok(Spool { log })
    }

    /// What [`Spool::open`] found and repaired.
    pub fn recovery(&self) -> &Recovery {
        self.log.recovery()
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        self.log.dir()
    }

    /// Appends a batch of readings and makes it durable (write, `fdatasync`; on a new segment
    /// also the directory) before returning. Seqs must be strictly increasing and above every
    /// seq appended before; nothing is written when any record is invalid.
    ///
    /// When the bound forces deleting unacknowledged readings, returns what was dropped (also
    /// counted in [`Spool::dropped`]); log it at ERROR. On an I/O error the batch is not in the
    /// spool (it may be retried with the same seqs) and the next batch opens a new segment.
    pub fn append_batch(&mut self, records: &[Record]) -> Result<Option<Dropped>, SpoolError> {
        Ok(self.log.append_batch(records)?.map(Dropped::from))
    }

    /// Hands out up to `max` unacknowledged readings, lowest seq first: first those put back by
    /// [`Spool::nack`] or [`Spool::rewind`], then the next ones never handed out. They are in
    /// flight until [`Spool::ack`]ed. Empty when everything on disk is in flight or acked.
    /// Damaged records are skipped and counted.
    pub fn next_unsent(&mut self, max: usize) -> Result<Vec<Record>, SpoolError> {
        Ok(into_readings(self.log.next_unsent(max)?))
    }

    /// Marks one in-flight reading delivered (after a successful PUBACK). Returns false when
    /// `seq` was not in flight (already acknowledged, dropped, or never handed out: a resend);
    /// that is harmless. Memory only: [`Spool::commit`] makes it durable.
    pub fn ack(&mut self, seq: u64) -> bool {
        self.log.ack(seq)
    }

    /// Puts one in-flight reading back: [`Spool::next_unsent`] hands it out again before
    /// anything newer. For a PUBACK with a failure reason code (it was not delivered; retry it
    /// later). Returns false when `seq` was not in flight.
    pub fn nack(&mut self, seq: u64) -> bool {
        self.log.nack(seq)
    }

    /// Puts every in-flight reading back, to be handed out again first, in seq order. For a
    /// lost connection whose in-flight publishes will not be retransmitted.
    pub fn rewind(&mut self) {
        self.log.rewind();
    }

    /// Readings handed out and neither acknowledged nor put back.
    pub fn in_flight(&self) -> usize {
        self.log.in_flight()
    }

    /// Readings not yet acknowledged (in flight, put back or never handed out). Cheap.
    pub fn depth(&self) -> u64 {
        self.log.depth()
    }

    /// Unacknowledged readings deleted because the spool was full, since this process opened
    /// it. Not persisted: a restart starts at 0 (heartbeat `spool_dropped` is "since start").
    pub fn dropped(&self) -> u64 {
        self.log.dropped()
    }

    /// Damaged regions, out-of-order records and unreadable segments met since open.
    pub fn corrupt(&self) -> u64 {
        self.log.corrupt()
    }

    /// The counters, readable without access to the spool.
    pub fn stats(&self) -> SpoolStats {
        SpoolStats(self.log.stats())
    }

    /// The highest seq ever appended to this spool (as far as its files tell).
    pub fn last_seq(&self) -> Option<u64> {
        self.log.last_key()
    }

    /// Bytes of all segment files together (bounded by `max_bytes`).
    pub fn bytes(&self) -> u64 {
        self.log.bytes()
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.log.segment_count()
    }

    /// Readings still on disk with `seq_from <= seq <= seq_to`, acknowledged or not, in seq
    /// order, for a resend request from the collector. Does not change the delivery state.
    /// Memory grows with the range: ask for at most a few thousand seqs at a time.
    pub fn resend(&mut self, seq_from: u64, seq_to: u64) -> Result<Vec<Record>, SpoolError> {
        Ok(into_readings(self.log.read_range(seq_from, seq_to)?))
    }

    /// The seqs on disk, sent or not, as runs `(first, last)` inclusive, oldest first: what a
    /// resend request can still get (the heartbeat's `seq_ranges`).
    pub fn seq_runs(&self) -> Vec<(u64, u64)> {
        self.log.key_runs()
    }

    /// Writes the ack state durably if it changed (`acks.tmp`, fsync, rename, fsync of the
    /// directory). Returns whether it wrote. Call it periodically (every second bounds the
    /// duplicates a crash causes to a second of deliveries) and before exit.
    pub fn commit(&mut self) -> Result<bool, SpoolError> {
        Ok(self.log.commit()?)
    }

    /// Deletes the fully acknowledged segments that became so at least `keep_sent` before
    /// `now`. Returns how many. A clock that went backwards keeps segments longer; one that
    /// jumped forward expires them early (only resend requests suffer, no reading is lost).
    pub fn remove_expired(&mut self, now: SystemTime) -> Result<usize, SpoolError> {
        Ok(self.log.remove_expired(now)?)
    }

    /// The periodic housekeeping in one call: [`Spool::commit`], then
    /// [`Spool::remove_expired`] at the current time. Call it about once a second.
    pub fn maintain(&mut self) -> Result<Maintenance, SpoolError> {
        Ok(self.log.maintain()?)
    }

    /// Commits the ack state and closes the spool. Dropping a spool also commits, ignoring
    /// errors.
    pub fn close(self) -> Result<(), SpoolError> {
        Ok(self.log.close()?)
    }
}

fn into_readings(records: Vec<coverage_seglog::Record>) -> Vec<Record> {
    records.into_iter().map(Record::from).collect()
}

//! A crash-safe, bounded, segmented log of records on disk, in key order, kept until the
//! caller acknowledges them (and, if asked, for a while after). The agent's spool
//! (`coverage_agent::spool`: readings until the broker's PUBACK, kept 24 h for resend requests)
//! and the collector's write-ahead log (accepted readings until InfluxDB has them) are both
//! this log. Like vector's `disk_v2` buffer, this doc *is* the design.
//!
//! DESIGN.md, delivery guarantees: a record is on disk (fsync) before it is handed out; it stays
//! until acknowledged; acknowledged segments are kept `keep_sent` so they can be read again;
//! power loss loses at most the batch being written; a full log drops the oldest segment and
//! counts the loss. The log knows nothing of readings or MQTT: a record is a `u64` key that
//! strictly increases (the agent's `seq`), a short UTF-8 head (the MQTT topic) and a body of
//! bytes (the JSON payload).
//!
//! # Files
//!
//! One directory per log:
//!
//! | file | what |
//! |---|---|
//! | `00000000000000000001.seg` | a segment: a header, then records appended in key order. The name is the segment id, 20 decimal digits so names sort like ids. Ids only grow. |
//! | `acks` | the delivery state (below), replaced atomically (`acks.tmp`, fsync, rename, fsync directory) |
//! | `lock` | held with `flock(LOCK_EX)` while a [`SegLog`] is open, so two processes never share a log |
//! | `*.tmp` | a segment or ack file being created; left over only by a crash, deleted on open |
//!
//! All integers are little-endian. CRC32 is IEEE (`crc32fast`). The magic numbers say `SPL`
//! because the agent's spool came first; the format is the spool's version 1, unchanged, so a
//! spool directory written before this crate existed opens as it is.
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
//! ## Record (24 bytes + head + body)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | marker `FF 52 45 43` (`\xFFREC`; `0xFF` never occurs in UTF-8, so never in a head or a JSON body) |
//! | 4 | 4 | `len` = head length + body length (at most 65 535 + 65 536) |
//! | 8 | 4 | CRC32 of bytes 0..8 and 12..24+`len`: every byte of the frame but this field |
//! | 12 | 8 | key |
//! | 20 | 2 | head length |
//! | 22 | 2 | flags, `0` (anything else is damage) |
//! | 24 | .. | head (UTF-8, [`MAX_HEAD_BYTES`] at most), then body ([`MAX_BODY_BYTES`] at most) |
//!
//! A frame is valid when marker, length bounds, CRC, flags and the head's UTF-8 all hold.
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
//! | +32 | 4 | `n`, then `n` x 8 bytes: keys at or after `acked_to` acknowledged out of order |
//! | end-4 | 4 | CRC32 of everything before |
//!
//! # Delivery state
//!
//! A read cursor walks the segments in id order, records in file order; [`SegLog::next_unsent`]
//! hands out the records under it and they become *in flight*. [`SegLog::ack`] marks one
//! acknowledged, in any order; [`SegLog::nack`] and [`SegLog::rewind`] put in-flight records
//! back to be handed out again first (lowest key first). A segment's `acked_to` advances over
//! the longest acknowledged prefix (damaged bytes count as done); acknowledgements beyond it
//! are kept as a short list of keys. A segment is *sent* once it is closed (a newer segment
//! exists) and none of its records is unacknowledged; `sent_at` is set then. This state lives
//! in the ledger (`ledger.rs`, no I/O, unit-tested without a disk); [`SegLog`] (`log.rs`) does
//! the I/O and recovery (`recovery.rs`) rebuilds the ledger from the files.
//!
//! Acks are made durable by [`SegLog::commit`] (or [`SegLog::maintain`], or
//! [`SegLog::close`]), not by [`SegLog::ack`]: one fsync per acknowledgement would cost a flash
//! write per record. The trade-off: a crash hands out again what was acknowledged since the
//! last commit plus what was in flight (duplicates, which the collector absorbs: points are
//! idempotent) and never loses anything. Committing every second bounds the duplicates to one
//! second of deliveries plus the in-flight window.
//!
//! # Invariants
//!
//! 1. **On disk before handed out.** [`SegLog::append_batch`] returns only after the batch is
//!    written and `fdatasync`ed (and, when it opened a segment, the directory fsynced); a
//!    record is visible to [`SegLog::next_unsent`] only after that.
//! 2. **Key order.** Each batch must continue the order (key strictly above every key ever
//!    appended to this log, gaps allowed; keys need not start at 1). Records are handed out
//!    and read back in key order. On open, a valid record whose key is not above every key
//!    before it (possible only after a failed write that was retried) is skipped and counted.
//! 3. **Files are deleted only** when fully acknowledged and `keep_sent` has passed since
//!    ([`SegLog::remove_expired`]), or when the size bound forces it
//!    ([`SegLog::append_batch`]: unreadable segments first, then sent ones, then the oldest
//!    unsent, whose unacknowledged records are counted in [`SegLog::dropped`] and returned as
//!    [`Dropped`]). The segment being written is never deleted.
//! 4. **Damage is never fatal.** A bad record (marker, length, CRC, UTF-8, flags) is skipped:
//!    the reader searches forward for the next marker that starts a valid frame, so even a
//!    damaged length loses only the damaged record. Each damaged region is counted once
//!    ([`SegLog::corrupt`]). A segment with a bad header is left alone, counted, and deleted
//!    first when space is needed. A damaged `acks` file means everything on disk counts as
//!    unacknowledged (duplicates, not loss).
//! 5. **Bounded.** All segment files together stay within `max_bytes`; memory holds per
//!    segment a few numbers, plus one entry per in-flight record.
//!
//! # What a crash can do, and recovery
//!
//! A crash (kill -9, power loss) can leave: a torn last batch in the newest segment (partly
//! written, or a size extended over zeros); a `*.tmp` file; an `acks` file older than the last
//! acknowledgements. [`SegLog::open`]:
//!
//! 1. takes the lock, deletes `*.tmp`, reads `acks` (missing or damaged: start from nothing);
//! 2. walks every segment in id order, validating each record's frame and CRC, counting
//!    records, damage and out-of-order keys, and checking each `acks` entry against the file
//!    (creation time, `acked_to` on a record boundary; an entry that does not fit is ignored);
//! 3. truncates a damaged tail of the **newest** segment at the end of its last valid record
//!    (fdatasync): the torn batch was never reported as appended; appends continue there;
//!    damage in older segments is only skipped;
//! 4. places the cursor at `acked_to` of the oldest segment with unacknowledged records, so
//!    they come first, in key order. Records acknowledged after the last commit are handed out
//!    again.
//!
//! So after a crash no appended record is lost (only the batch whose `append_batch` had not
//! returned can be), and the duplicates are bounded as above. [`Recovery`] says what was found.
//!
//! # Blocking
//!
//! All of this is blocking `std::fs` work (an fsync takes milliseconds to tens of milliseconds
//! on an SD card): async callers run it on a blocking pool (the agent's `SharedSpool`).
//! Messages are logged with `tracing` in the agent spool's words ("Damaged spool record
//! skipped."), which the agent's end-to-end tests look for.

mod config;
mod error;
mod files;
mod format;
mod ledger;
mod log;
mod reader;
mod record;
mod recovery;
#[cfg(test)]
mod tests;

pub use config::{LogConfig, MIN_SEGMENT_BYTES};
pub use error::LogError;
pub use format::{
    MAX_BODY_BYTES, MAX_HEAD_BYTES, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, framed_len,
};
pub use ledger::{Dropped, LogStats};
pub use log::{Maintenance, SegLog};
pub use record::{AsRecord, Record, RecordRef};
pub use recovery::{AckStateStatus, Recovery};

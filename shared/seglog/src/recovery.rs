//! Opening a log directory after whatever a crash left: leftover `*.tmp` files deleted, the
//! ack state read (or ignored when damaged), every segment scanned and validated record by
//! record, a torn tail cut off the newest segment, the ledger rebuilt.
//!
//! Invariant: damage never makes recovery fail. Only I/O errors do; a damaged record, header
//! or ack file is skipped, counted in [`Recovery`] and logged at WARN.

use crate::LogError;
use crate::files::{ACKS_FILE, io_err, parse_segment_name, read_full_at, seg_err, segment_name};
use crate::format::{AckEntry, AckState, SEGMENT_HEADER_LEN, decode_acks, decode_segment_header};
use crate::ledger::{Ledger, Segment};
use crate::reader::{Item, Reader};
use std::collections::{BTreeSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use tracing::{debug, warn};

/// What [`crate::SegLog::open`] found and repaired. Damage is also logged at WARN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Segment files found.
    pub segments: usize,
    /// Valid records found.
    pub records: u64,
    /// Of those, not acknowledged: they are handed out again first.
    pub unsent: u64,
    /// Torn tails cut off the newest segment (0 or 1).
    pub torn_tails: u64,
    /// Bytes cut off by that.
    pub torn_tail_bytes: u64,
    /// Damaged regions skipped (each may have held one or more records).
    pub corrupt_regions: u64,
    /// Valid records skipped because their key was not above every key before them.
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
    /// No file: a new log, or nothing was ever committed.
    #[default]
    Missing,
    /// Read and applied.
    Loaded,
    /// Damaged (with the reason): ignored, so everything on disk counts as unacknowledged.
    Corrupt(String),
}

/// What recovery hands to the log.
pub(crate) struct Recovered {
    pub ledger: Ledger,
    /// Write handle of the newest segment, when it is readable (appends continue there).
    pub active: Option<File>,
    pub recovery: Recovery,
}

/// Recovers the (locked) log directory `dir`.
pub(crate) fn recover(dir: &Path) -> Result<Recovered, LogError> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err("list directory", dir))? {
        let entry = entry.map_err(io_err("list directory", dir))?;
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
    let mut max_key = None;
    for (i, &id) in ids.iter().enumerate() {
        let newest = i + 1 == ids.len();
        let seg = scan_segment(
            dir,
            id,
            acks.entries.get(&id),
            newest,
            &mut max_key,
            &mut preacked,
            &mut recovery,
        )?;
        segments.push_back(seg);
    }
    recovery.segments = segments.len();

    // Keep appending to the newest segment when it is readable.
    let mut active = None;
    if let Some(last) = segments.back_mut().filter(|s| s.readable) {
        let path = dir.join(segment_name(last.id));
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(seg_err(last.id, "open", &path))?;
        last.sealed = false;
        active = Some(f);
    }

    let corrupt = recovery.corrupt_regions
        + recovery.out_of_order
        + recovery.unreadable_segments.len() as u64;
    let ledger = Ledger::new(segments, acks.next_segment_id, max_key, preacked, corrupt);
    recovery.unsent = ledger.depth;
    Ok(Recovered {
        ledger,
        active,
        recovery,
    })
}

/// Reads one segment on open: validates every record, applies its `acks` entry, truncates a
/// torn tail when it is the newest.
fn scan_segment(
    dir: &Path,
    id: u64,
    entry: Option<&AckEntry>,
    newest: bool,
    max_key: &mut Option<u64>,
    preacked: &mut BTreeSet<u64>,
    recovery: &mut Recovery,
) -> Result<Segment, LogError> {
    let path = dir.join(segment_name(id));
    let file = OpenOptions::new()
        .read(true)
        .write(newest)
        .open(&path)
        .map_err(seg_err(id, "open", &path))?;
    let len = file.metadata().map_err(seg_err(id, "stat", &path))?.len();
    let mut seg = Segment::empty(id, 0, len);
    seg.readable = false;
    let mut head = [0u8; SEGMENT_HEADER_LEN as usize];
    let n = read_full_at(&file, &mut head, 0).map_err(seg_err(id, "read", &path))?;
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
            warn!(segment = id, path = %path.display(), error = %what,
                "Unreadable spool segment left alone; it is deleted first when space is needed.");
            recovery.unreadable_segments.push((path, what));
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
    while let Some(item) = reader.next_item().map_err(seg_err(id, "read", &path))? {
        match item {
            Item::Record { at, next, key, .. } => {
                if at < acked_to && acked_to < next {
                    entry_fits = false; // `acked_to` falls inside a valid record
                }
                if max_key.is_some_and(|m| key <= m) {
                    warn!(
                        segment = id,
                        offset = at,
                        seq = key,
                        "Out-of-order spool record skipped."
                    );
                    seg.known.push(at);
                    recovery.out_of_order += 1;
                    continue;
                }
                *max_key = Some(key);
                seg.first_key.get_or_insert(key);
                seg.last_key = Some(key);
                seg.note_keys(key, key);
                records += 1;
                if at >= acked_to {
                    if acked_set.contains(&key) {
                        found_preacked.push(key);
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
        file.set_len(at).map_err(seg_err(id, "truncate", &path))?;
        file.sync_data().map_err(seg_err(id, "fsync", &path))?;
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

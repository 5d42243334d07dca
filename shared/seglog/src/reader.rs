//! A chunked, read-only walk through one segment file that resynchronises after damage.
//!
//! Invariants: memory is bounded (one chunk, or one whole frame when a frame is larger); every
//! byte between the start and the end of the walk is reported exactly once, either inside a
//! valid record or inside a damaged region; a damaged region ends at the next marker that
//! starts a valid frame (or at the end), so a damaged length loses only the damaged record.

use crate::Record;
use crate::format::{Parse, RECORD_HEADER_LEN, RECORD_MARKER, parse_record};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// How much a reader fetches per `pread` when it can choose.
const READ_CHUNK: usize = 64 * 1024;

/// One step of a walk through a segment.
#[derive(Debug)]
pub(crate) enum Item {
    /// A valid record occupying `at..next`; `record` only when the walk asked for bodies.
    Record {
        at: u64,
        next: u64,
        key: u64,
        record: Option<Record>,
    },
    /// Bytes `at..next` hold no valid record: damage, or a torn tail when `next` is the end.
    Damaged { at: u64, next: u64 },
}

/// Walks the records of one segment from a record boundary to an end offset.
pub(crate) struct Reader<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    buf_off: u64,
    with_bodies: bool,
}

impl<'f> Reader<'f> {
    /// A reader over `file[from..end]`; `from` must be a record boundary (or the header end).
    pub(crate) fn new(file: &'f File, from: u64, end: u64, with_bodies: bool) -> Self {
        Reader {
            file,
            pos: from,
            end,
            buf: Vec::new(),
            buf_off: from,
            with_bodies,
        }
    }

    /// The end offset; lowered if the file turned out shorter than announced.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Makes the buffer cover `at..min(at + want, end)` (or up to the end of the file).
    fn fill(&mut self, at: u64, want: usize) -> io::Result<()> {
        let want_end = self.end.min(at + want as u64);
        let buf_end = self.buf_off + self.buf.len() as u64;
        if at >= self.buf_off && want_end <= buf_end {
            return Ok(());
        }
        let len = (self.end - at).min(want.max(READ_CHUNK) as u64) as usize;
        self.buf.clear();
        self.buf.resize(len, 0);
        self.buf_off = at;
        let mut got = 0;
        while got < len {
            match self.file.read_at(&mut self.buf[got..], at + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if got < len {
            // The file is shorter than we were told (truncated behind our back): what is not
            // there is not there.
            self.buf.truncate(got);
            self.end = at + got as u64;
        }
        Ok(())
    }

    fn avail(&self, at: u64) -> &[u8] {
        let start = (at - self.buf_off) as usize;
        &self.buf[start.min(self.buf.len())..]
    }

    /// Whether the buffer reaches the end of the walk.
    fn at_end(&self) -> bool {
        self.buf_off + self.buf.len() as u64 >= self.end
    }

    /// Judges the frame at `at`, fetching more bytes as needed: `Ok(Some(len))` for a valid
    /// frame of `len` bytes, `Ok(None)` for none.
    fn judge(&mut self, at: u64) -> io::Result<Option<usize>> {
        let mut want = RECORD_HEADER_LEN;
        loop {
            self.fill(at, want)?;
            match parse_record(self.avail(at)) {
                Parse::Record(_, len) => return Ok(Some(len)),
                Parse::Bad => return Ok(None),
                Parse::Short(n) => {
                    // After `fill(at, want)` the buffer is short only when it reaches the end:
                    // the frame would run past it (a torn tail, or a damaged length).
                    if self.at_end() || n <= want {
                        return Ok(None);
                    }
                    want = n;
                }
            }
        }
    }

    /// The offset of the next valid frame after the damage at `from`, or the end.
    fn resync(&mut self, from: u64) -> io::Result<u64> {
        let mut c = from + 1;
        while c < self.end {
            self.fill(c, READ_CHUNK)?;
            let hay = self.avail(c);
            match hay
                .windows(RECORD_MARKER.len())
                .position(|w| w == RECORD_MARKER)
            {
                Some(i) => {
                    let cand = c + i as u64;
                    if self.judge(cand)?.is_some() {
                        return Ok(cand);
                    }
                    c = cand + 1;
                }
                None => {
                    if self.at_end() {
                        return Ok(self.end);
                    }
                    // Keep the last bytes: a marker may straddle the chunk boundary.
                    let scanned = hay.len().saturating_sub(RECORD_MARKER.len() - 1).max(1);
                    c += scanned as u64;
                }
            }
        }
        Ok(self.end)
    }

    /// The next record or damaged region, or `None` at the end.
    pub(crate) fn next_item(&mut self) -> io::Result<Option<Item>> {
        if self.pos >= self.end {
            return Ok(None);
        }
        let at = self.pos;
        match self.judge(at)? {
            Some(len) => {
                let Parse::Record(view, _) = parse_record(self.avail(at)) else {
                    unreachable!("judge() just validated this frame");
                };
                let key = view.key;
                let record = self.with_bodies.then(|| view.to_record());
                self.pos = at + len as u64;
                Ok(Some(Item::Record {
                    at,
                    next: self.pos,
                    key,
                    record,
                }))
            }
            None => {
                let next = self.resync(at)?;
                self.pos = next;
                Ok(Some(Item::Damaged { at, next }))
            }
        }
    }
}

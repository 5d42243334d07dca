//! The log's bytes on disk: segment header, record frame and ack-state file.
//!
//! Everything here is pure encoding and decoding of byte slices (no file access); the layouts
//! are documented byte by byte in the crate doc. Invariant: every frame [`encode_record`]
//! writes is one [`parse_record`] accepts, and a frame with any single bit flipped is one it
//! rejects (the CRC covers every byte but itself).

use crate::{Record, RecordRef};
use std::collections::BTreeMap;

/// First eight bytes of every segment file (the agent's spool came first, hence the name).
pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"CVSPLSEG";
/// First eight bytes of the ack-state file.
pub(crate) const ACKS_MAGIC: [u8; 8] = *b"CVSPLACK";
/// Format version written into segment headers and the ack-state file.
pub(crate) const FORMAT_VERSION: u16 = 1;
/// Length of the segment header; the first record starts here.
pub const SEGMENT_HEADER_LEN: u64 = 32;
/// Start of every record. `0xFF` never occurs in UTF-8, so a head or a UTF-8 body (JSON)
/// cannot contain the marker; that is what makes resynchronising after damage reliable.
pub(crate) const RECORD_MARKER: [u8; 4] = [0xFF, b'R', b'E', b'C'];
/// Length of the fixed part of a record, before head and body.
pub const RECORD_HEADER_LEN: usize = 24;
/// Largest body a record may carry (DESIGN.md: one reading is at most 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest head a record may carry (what its `u16` length holds; also the MQTT topic limit).
pub const MAX_HEAD_BYTES: usize = u16::MAX as usize;
/// Largest head + body a valid frame can declare.
pub(crate) const MAX_FRAME_BODY: usize = MAX_HEAD_BYTES + MAX_BODY_BYTES;

/// A decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    /// The segment id, equal to the number in the file name.
    pub id: u64,
    /// Creation time in Unix milliseconds; also binds ack-state entries to this very file.
    pub created_ms: u64,
}

/// Encodes a segment header.
pub(crate) fn encode_segment_header(h: SegmentHeader) -> [u8; SEGMENT_HEADER_LEN as usize] {
    let mut b = [0u8; SEGMENT_HEADER_LEN as usize];
    b[0..8].copy_from_slice(&SEGMENT_MAGIC);
    b[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    b[10..12].copy_from_slice(&(SEGMENT_HEADER_LEN as u16).to_le_bytes());
    b[12..20].copy_from_slice(&h.id.to_le_bytes());
    b[20..28].copy_from_slice(&h.created_ms.to_le_bytes());
    let crc = crc32fast::hash(&b[0..28]);
    b[28..32].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Decodes a segment header, saying what is wrong when it cannot.
pub(crate) fn decode_segment_header(b: &[u8]) -> Result<SegmentHeader, String> {
    if b.len() < SEGMENT_HEADER_LEN as usize {
        return Err(format!(
            "header is {} bytes, expected {SEGMENT_HEADER_LEN}",
            b.len()
        ));
    }
    if b[0..8] != SEGMENT_MAGIC {
        return Err("bad magic (not a spool segment)".into());
    }
    let crc = u32_at(b, 28);
    if crc != crc32fast::hash(&b[0..28]) {
        return Err("header CRC mismatch".into());
    }
    let version = u16_at(b, 8);
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this agent reads {FORMAT_VERSION}"
        ));
    }
    let len = u16_at(b, 10);
    if u64::from(len) != SEGMENT_HEADER_LEN {
        return Err(format!(
            "header length {len}, expected {SEGMENT_HEADER_LEN}"
        ));
    }
    Ok(SegmentHeader {
        id: u64_at(b, 12),
        created_ms: u64_at(b, 20),
    })
}

/// Size of `r` once framed.
pub fn framed_len(r: RecordRef<'_>) -> usize {
    RECORD_HEADER_LEN + r.head.len() + r.body.len()
}

/// Appends the frame of one record to `out`. Limits are checked by the caller.
pub(crate) fn encode_record(out: &mut Vec<u8>, r: RecordRef<'_>) {
    let start = out.len();
    let body_len = (r.head.len() + r.body.len()) as u32;
    out.extend_from_slice(&RECORD_MARKER);
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // CRC, filled in below
    out.extend_from_slice(&r.key.to_le_bytes());
    out.extend_from_slice(&(r.head.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // flags, reserved
    out.extend_from_slice(r.head.as_bytes());
    out.extend_from_slice(r.body);
    let crc = record_crc(&out[start..]);
    out[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
}

/// CRC32 of a frame: every byte of header and body except the CRC field itself, so the length,
/// the key and the head length are all covered.
fn record_crc(frame: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&frame[0..8]);
    h.update(&frame[12..]);
    h.finalize()
}

/// What is found at one position of a segment.
#[derive(Debug)]
pub(crate) enum Parse<'a> {
    /// A valid frame of this many bytes.
    Record(RecordRef<'a>, usize),
    /// The buffer ends before the frame can be judged; it needs this many bytes in all.
    Short(usize),
    /// Not a valid frame.
    Bad,
}

/// Decodes the frame starting at `b[0]`.
pub(crate) fn parse_record(b: &[u8]) -> Parse<'_> {
    let marker_len = RECORD_MARKER.len().min(b.len());
    if b[..marker_len] != RECORD_MARKER[..marker_len] {
        return Parse::Bad;
    }
    if b.len() < RECORD_HEADER_LEN {
        return Parse::Short(RECORD_HEADER_LEN);
    }
    let body_len = u32_at(b, 4) as usize;
    if body_len > MAX_FRAME_BODY {
        return Parse::Bad;
    }
    let total = RECORD_HEADER_LEN + body_len;
    if b.len() < total {
        return Parse::Short(total);
    }
    let frame = &b[..total];
    if u32_at(frame, 8) != record_crc(frame) {
        return Parse::Bad;
    }
    let head_len = u16_at(frame, 20) as usize;
    let flags = u16_at(frame, 22);
    if head_len > body_len || head_len > MAX_HEAD_BYTES || flags != 0 {
        return Parse::Bad;
    }
    if body_len - head_len > MAX_BODY_BYTES {
        return Parse::Bad;
    }
    let body = &frame[RECORD_HEADER_LEN..];
    let Ok(head) = std::str::from_utf8(&body[..head_len]) else {
        return Parse::Bad;
    };
    Parse::Record(
        RecordRef {
            key: u64_at(frame, 12),
            head,
            body: &body[head_len..],
        },
        total,
    )
}

impl RecordRef<'_> {
    /// An owned copy.
    pub fn to_record(self) -> Record {
        Record {
            key: self.key,
            head: self.head.to_owned(),
            body: self.body.to_vec(),
        }
    }
}

/// The persisted delivery state of one segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AckEntry {
    /// `created_ms` of the segment the entry belongs to (an entry for a file that was since
    /// replaced is ignored).
    pub created_ms: u64,
    /// Every record before this offset is acknowledged.
    pub acked_to: u64,
    /// When the segment became fully acknowledged, Unix ms; 0 when it has not.
    pub sent_at_ms: u64,
    /// Keys of acknowledged records at or after `acked_to` (acks that arrived out of order).
    pub acked: Vec<u64>,
}

/// The whole ack-state file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AckState {
    /// No segment id below this is ever created again.
    pub next_segment_id: u64,
    /// Per segment id.
    pub entries: BTreeMap<u64, AckEntry>,
}

/// Encodes the ack-state file.
pub(crate) fn encode_acks(s: &AckState) -> Vec<u8> {
    let mut b = Vec::with_capacity(32 + s.entries.len() * 40);
    b.extend_from_slice(&ACKS_MAGIC);
    b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&s.next_segment_id.to_le_bytes());
    b.extend_from_slice(&(s.entries.len() as u32).to_le_bytes());
    for (id, e) in &s.entries {
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(&e.created_ms.to_le_bytes());
        b.extend_from_slice(&e.acked_to.to_le_bytes());
        b.extend_from_slice(&e.sent_at_ms.to_le_bytes());
        b.extend_from_slice(&(e.acked.len() as u32).to_le_bytes());
        for key in &e.acked {
            b.extend_from_slice(&key.to_le_bytes());
        }
    }
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// Decodes the ack-state file, saying what is wrong when it cannot.
pub(crate) fn decode_acks(b: &[u8]) -> Result<AckState, String> {
    if b.len() < 28 {
        return Err(format!("{} bytes is too short", b.len()));
    }
    let (body, crc) = b.split_at(b.len() - 4);
    if u32_at(crc, 0) != crc32fast::hash(body) {
        return Err("CRC mismatch".into());
    }
    if body[0..8] != ACKS_MAGIC {
        return Err("bad magic (not a spool ack file)".into());
    }
    let version = u16_at(body, 8);
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this agent reads {FORMAT_VERSION}"
        ));
    }
    let next_segment_id = u64_at(body, 12);
    let count = u32_at(body, 20) as usize;
    let mut pos = 24;
    let mut entries = BTreeMap::new();
    for _ in 0..count {
        if body.len() < pos + 36 {
            return Err("truncated entry".into());
        }
        let id = u64_at(body, pos);
        let created_ms = u64_at(body, pos + 8);
        let acked_to = u64_at(body, pos + 16);
        let sent_at_ms = u64_at(body, pos + 24);
        let n = u32_at(body, pos + 32) as usize;
        pos += 36;
        if body.len() < pos + n * 8 {
            return Err("truncated list of acknowledged seqs".into());
        }
        let acked = (0..n).map(|i| u64_at(body, pos + i * 8)).collect();
        pos += n * 8;
        entries.insert(
            id,
            AckEntry {
                created_ms,
                acked_to,
                sent_at_ms,
                acked,
            },
        );
    }
    if pos != body.len() {
        return Err(format!("{} trailing bytes", body.len() - pos));
    }
    Ok(AckState {
        next_segment_id,
        entries,
    })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: u64, head: &str, body: &[u8]) -> Record {
        Record {
            key,
            head: head.into(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn record_frame_round_trips_and_every_byte_is_covered() {
        let r = rec(42, "coverage/v1/s1/signal", br#"{"v":1}"#);
        let mut b = Vec::new();
        encode_record(&mut b, r.as_ref());
        assert_eq!(b.len(), framed_len(r.as_ref()));
        match parse_record(&b) {
            Parse::Record(v, n) => {
                assert_eq!(n, b.len());
                assert_eq!(v.to_record(), r);
            }
            other => panic!("{other:?}"),
        }
        // Any single flipped bit anywhere makes the frame invalid (or, in the length field,
        // asks for more bytes than there are).
        for i in 0..b.len() {
            for bit in 0..8 {
                let mut c = b.clone();
                c[i] ^= 1 << bit;
                assert!(
                    !matches!(parse_record(&c), Parse::Record(..)),
                    "flip of bit {bit} in byte {i} went unnoticed"
                );
            }
        }
    }

    #[test]
    fn segment_header_round_trips_and_rejects_damage() {
        let h = SegmentHeader {
            id: 7,
            created_ms: 1_700_000_000_000,
        };
        let b = encode_segment_header(h);
        assert_eq!(decode_segment_header(&b), Ok(h));
        let mut c = b;
        c[13] ^= 1;
        assert!(decode_segment_header(&c).is_err());
        assert!(decode_segment_header(&b[..31]).is_err());
    }

    #[test]
    fn ack_state_round_trips_and_rejects_damage() {
        let mut s = AckState {
            next_segment_id: 9,
            ..Default::default()
        };
        s.entries.insert(
            3,
            AckEntry {
                created_ms: 5,
                acked_to: 100,
                sent_at_ms: 0,
                acked: vec![7, 9],
            },
        );
        s.entries.insert(
            4,
            AckEntry {
                created_ms: 6,
                acked_to: 32,
                sent_at_ms: 99,
                acked: vec![],
            },
        );
        let b = encode_acks(&s);
        assert_eq!(decode_acks(&b), Ok(s));
        for i in 0..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x10;
            assert!(
                decode_acks(&c).is_err(),
                "damage at byte {i} went unnoticed"
            );
        }
        assert!(decode_acks(&b[..b.len() - 1]).is_err());
    }
}

//! Tests of the log on real files in temporary directories (moved here from the agent's
//! spool with their assertions; the spool keeps the tests of its own glue).

use crate::files::{ACKS_FILE, LOCK_FILE};
use crate::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const TOPIC: &str = "coverage/v1/site-1/signal";

/// The agent spool's defaults: 64 MiB, 1 MiB segments, kept 24 h.
fn default_cfg() -> LogConfig {
    LogConfig {
        max_bytes: 64 * 1024 * 1024,
        segment_bytes: 1024 * 1024,
        keep_sent: Duration::from_secs(24 * 3600),
    }
}

fn cfg(segment_bytes: u64, max_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        max_bytes,
        keep_sent: Duration::from_secs(3600),
    }
}

fn rec(seq: u64) -> Record {
    Record {
        key: seq,
        head: TOPIC.into(),
        body: format!(r#"{{"v":1,"seq":{seq},"kind":"signal","rsrp_dbm":-97.5}}"#).into_bytes(),
    }
}

fn recs(seqs: impl IntoIterator<Item = u64>) -> Vec<Record> {
    seqs.into_iter().map(rec).collect()
}

fn seqs(v: &[Record]) -> Vec<u64> {
    v.iter().map(|r| r.key).collect()
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

/// Copies the spool files (not the lock) into a fresh directory.
fn copy_spool(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap() != LOCK_FILE {
            fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// Everything not yet acknowledged, in the order the spool hands it out.
fn drain(s: &mut SegLog) -> Vec<Record> {
    s.next_unsent(usize::MAX).unwrap()
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert_eq!(s.depth(), 0);
    assert!(s.next_unsent(10).unwrap().is_empty());
    assert_eq!(s.append_batch(&recs([1000])).unwrap(), None);
    assert_eq!(s.append_batch(&recs([1001, 1005, 1006])).unwrap(), None);
    let big = Record {
        key: 1007,
        head: TOPIC.into(),
        body: vec![b'x'; MAX_BODY_BYTES],
    };
    s.append_batch(std::slice::from_ref(&big)).unwrap();
    assert_eq!(s.depth(), 5);
    assert_eq!(s.stats().depth(), 5);
    let got = s.next_unsent(2).unwrap();
    assert_eq!(got, recs([1000, 1001]));
    let got = s.next_unsent(10).unwrap();
    assert_eq!(seqs(&got), [1005, 1006, 1007]);
    assert_eq!(got[2], big);
    assert_eq!(s.in_flight(), 5);
    assert!(
        s.next_unsent(10).unwrap().is_empty(),
        "everything is in flight"
    );
    for q in [1000, 1001, 1005, 1006, 1007] {
        assert!(s.ack(q));
    }
    assert!(!s.ack(1000), "a second ack is a no-op");
    assert!(!s.ack(4242), "an unknown seq is a no-op");
    assert_eq!(s.depth(), 0);
    assert_eq!(s.in_flight(), 0);
    assert_eq!(s.last_key(), Some(1007));
    s.close().unwrap();

    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert_eq!(s.depth(), 0);
    assert!(drain(&mut s).is_empty());
    assert_eq!(
        s.read_range(0, u64::MAX).unwrap().len(),
        5,
        "acknowledged readings are kept"
    );
}

#[test]
fn invalid_batches_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    s.append_batch(&recs([5])).unwrap();
    assert!(matches!(
        s.append_batch(&recs([5])),
        Err(LogError::KeyOrder { key: 5, last: 5 })
    ));
    assert!(matches!(
        s.append_batch(&recs([4])),
        Err(LogError::KeyOrder { .. })
    ));
    assert!(matches!(
        s.append_batch(&recs([7, 6])),
        Err(LogError::KeyOrder { key: 6, last: 7 })
    ));
    let too_big = Record {
        key: 9,
        head: TOPIC.into(),
        body: vec![b'x'; MAX_BODY_BYTES + 1],
    };
    let e = s.append_batch(&[rec(8), too_big]).unwrap_err();
    assert!(matches!(e, LogError::InvalidRecord { key: 9, .. }), "{e}");
    assert_eq!(seqs(&drain(&mut s)), [5]);
    s.append_batch(&recs([6])).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [6]);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = SegLog::open(dir.path(), default_cfg()).unwrap();
    let e = SegLog::open(dir.path(), default_cfg()).unwrap_err();
    assert!(matches!(e, LogError::Locked { .. }), "{e}");
    drop(s);
    SegLog::open(dir.path(), default_cfg()).unwrap();
}

#[test]
fn restart_after_clean_close_returns_unsent_first_in_seq_order() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<u64> = (0..40).map(|i| 500 + 3 * i).collect(); // gaps, not from 1
    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    for chunk in all.chunks(4) {
        s.append_batch(&recs(chunk.iter().copied())).unwrap();
    }
    assert!(s.segment_count() > 3, "several segments");
    let out = s.next_unsent(20).unwrap();
    assert_eq!(seqs(&out), all[..20]);
    // Acknowledge all handed out but two, out of order.
    for r in out.iter().rev() {
        if r.key != all[3] && r.key != all[17] {
            assert!(s.ack(r.key));
        }
    }
    assert_eq!(s.depth(), 22);
    s.close().unwrap();

    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    assert_eq!(s.recovery().ack_state, AckStateStatus::Loaded);
    assert_eq!(s.recovery().unsent, 22);
    assert_eq!(s.depth(), 22);
    let mut want = vec![all[3], all[17]];
    want.extend(&all[20..]);
    assert_eq!(seqs(&drain(&mut s)), want);
    assert_eq!(s.corrupt(), 0);
}

#[test]
fn a_crash_before_commit_resends_but_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    s.append_batch(&recs(1..=10)).unwrap();
    for r in s.next_unsent(5).unwrap() {
        s.ack(r.key);
    }
    s.commit().unwrap();
    for r in s.next_unsent(3).unwrap() {
        s.ack(r.key); // acknowledged, never committed
    }
    s.crash();
    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    assert_eq!(seqs(&drain(&mut s)), (6..=10).collect::<Vec<_>>());
}

#[test]
fn acks_out_of_order_are_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    s.append_batch(&recs(1..=10)).unwrap();
    assert_eq!(
        seqs(&s.next_unsent(10).unwrap()),
        (1..=10).collect::<Vec<_>>()
    );
    for q in [10, 2, 9, 4, 5, 6, 8, 7, 3] {
        assert!(s.ack(q)); // 1 is still in flight
    }
    assert_eq!(s.depth(), 1);
    s.commit().unwrap();
    s.crash();

    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert_eq!(s.depth(), 1);
    assert_eq!(seqs(&drain(&mut s)), [1]);
    // Reading past the acks from before the restart must not forget them (found by the crash
    // test): commit other acks without acknowledging 1, and only 1 comes back.
    s.append_batch(&recs([11])).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [11]);
    assert!(s.ack(11));
    s.close().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [1]);
    assert!(s.ack(1));
    assert_eq!(s.depth(), 0);
    assert!(
        s.ledger.pending.is_empty(),
        "everything folded into acked_to"
    );
    s.close().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert!(drain(&mut s).is_empty());
}

#[test]
fn nack_and_rewind_hand_readings_out_again_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    s.append_batch(&recs(1..=8)).unwrap();
    assert_eq!(seqs(&s.next_unsent(4).unwrap()), [1, 2, 3, 4]);
    s.ack(1);
    assert!(s.nack(3));
    assert!(!s.nack(1), "acknowledged");
    assert_eq!(seqs(&s.next_unsent(3).unwrap()), [3, 5, 6]);
    s.ack(5);
    s.rewind();
    assert_eq!(s.in_flight(), 0);
    assert_eq!(seqs(&drain(&mut s)), [2, 3, 4, 6, 7, 8]);
    assert_eq!(s.depth(), 6);
}

/// Writes records 1..=n, one batch each, into a fresh spool; returns the segment file and the
/// offset each record starts at (plus the end).
fn one_segment_spool(dir: &Path, n: u64) -> (PathBuf, Vec<u64>) {
    let mut s = SegLog::open(dir, default_cfg()).unwrap();
    let mut offsets = vec![SEGMENT_HEADER_LEN];
    for q in 1..=n {
        s.append_batch(&recs([q])).unwrap();
        offsets.push(s.ledger.segments.back().unwrap().size);
    }
    s.close().unwrap();
    let files = segment_files(dir);
    assert_eq!(files.len(), 1);
    (files[0].clone(), offsets)
}

#[test]
fn a_torn_tail_at_every_byte_loses_at_most_the_last_record() {
    let base = tempfile::tempdir().unwrap();
    let (seg, offsets) = one_segment_spool(base.path(), 4);
    let last_start = offsets[3];
    let full = fs::read(&seg).unwrap();
    assert_eq!(full.len() as u64, offsets[4]);
    for cut in last_start..=full.len() as u64 {
        let dir = tempfile::tempdir().unwrap();
        copy_spool(base.path(), dir.path());
        let seg = dir.path().join(seg.file_name().unwrap());
        fs::write(&seg, &full[..cut as usize]).unwrap();

        let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
        let torn = cut != last_start && cut != full.len() as u64;
        assert_eq!(s.recovery().torn_tails, u64::from(torn), "cut at {cut}");
        assert_eq!(
            s.corrupt(),
            0,
            "a torn tail is not corruption (cut at {cut})"
        );
        let want: Vec<u64> = if cut == full.len() as u64 {
            vec![1, 2, 3, 4]
        } else {
            vec![1, 2, 3]
        };
        assert_eq!(s.depth(), want.len() as u64);
        assert_eq!(drain(&mut s), recs(want.iter().copied()), "cut at {cut}");
        assert_eq!(
            fs::metadata(&seg).unwrap().len(),
            offsets[want.len()],
            "truncated"
        );
        // Appending continues cleanly after the cut.
        s.append_batch(&recs([10, 11])).unwrap();
        s.crash();
        let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
        assert_eq!(s.recovery().torn_tails, 0);
        assert_eq!(s.corrupt(), 0);
        let mut want = want;
        want.extend([10, 11]);
        assert_eq!(seqs(&drain(&mut s)), want, "cut at {cut}, after appending");
    }
}

#[test]
fn zeros_after_the_last_record_are_a_torn_tail() {
    // What ext4 can leave after power loss: the size was extended, the data never written.
    let dir = tempfile::tempdir().unwrap();
    let (seg, offsets) = one_segment_spool(dir.path(), 3);
    let mut bytes = fs::read(&seg).unwrap();
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    fs::write(&seg, &bytes).unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert_eq!(s.recovery().torn_tail_bytes, 4096);
    assert_eq!(seqs(&drain(&mut s)), [1, 2, 3]);
    assert_eq!(fs::metadata(&seg).unwrap().len(), offsets[3]);
}

#[test]
fn a_flipped_bit_in_a_middle_record_skips_only_that_record() {
    let base = tempfile::tempdir().unwrap();
    let (seg, offsets) = one_segment_spool(base.path(), 5);
    let full = fs::read(&seg).unwrap();
    let (start, end) = (offsets[2], offsets[3]); // record 3
    for i in start..end {
        for bit in [0, 3, 7] {
            let dir = tempfile::tempdir().unwrap();
            copy_spool(base.path(), dir.path());
            let mut bytes = full.clone();
            bytes[i as usize] ^= 1 << bit;
            fs::write(dir.path().join(seg.file_name().unwrap()), &bytes).unwrap();

            let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
            assert_eq!(s.recovery().corrupt_regions, 1, "byte {i} bit {bit}");
            assert_eq!(s.recovery().torn_tails, 0, "byte {i} bit {bit}");
            assert_eq!(s.corrupt(), 1);
            assert_eq!(s.depth(), 4);
            assert_eq!(drain(&mut s), recs([1, 2, 4, 5]), "byte {i} bit {bit}");
            assert_eq!(s.corrupt(), 1, "counted once");
            assert_eq!(seqs(&s.read_range(0, 10).unwrap()), [1, 2, 4, 5]);
            for q in [1, 2, 4, 5] {
                s.ack(q);
            }
            assert_eq!(s.depth(), 0);
        }
    }
}

#[test]
fn damage_found_after_open_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    s.append_batch(&recs(1..=3)).unwrap();
    let seg = segment_files(dir.path())[0].clone();
    // Rot under a running spool: corrupt record 2's payload.
    let mut bytes = fs::read(&seg).unwrap();
    let at = bytes.windows(8).position(|w| w == b"\"seq\":2,").unwrap();
    bytes[at] ^= 0x01;
    fs::write(&seg, &bytes).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [1, 3]);
    assert_eq!(s.corrupt(), 1);
    s.ack(1);
    s.ack(3);
    assert_eq!(s.depth(), 1, "not known lost until the segment is passed");
    s.append_batch(
        &vec![rec(4); 1]
            .into_iter()
            .map(|mut r| {
                r.body = vec![b'y'; 2000]; // forces a new segment
                r
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(seqs(&drain(&mut s)), [4]);
    assert_eq!(
        s.depth(),
        1,
        "record 2 was written off when its segment was passed"
    );
}

#[test]
fn an_unreadable_segment_header_is_left_alone_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    for q in 1..=30 {
        s.append_batch(&recs([q])).unwrap();
    }
    s.close().unwrap();
    let files = segment_files(dir.path());
    assert!(files.len() >= 3);
    let mut b = fs::read(&files[0]).unwrap();
    b[0] = b'X';
    fs::write(&files[0], &b).unwrap();

    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    assert_eq!(s.recovery().unreadable_segments.len(), 1);
    assert_eq!(s.corrupt(), 1);
    let got = seqs(&drain(&mut s));
    assert!(!got.is_empty() && *got.last().unwrap() == 30);
    assert!(got.windows(2).all(|w| w[0] < w[1]));
    assert!(files[0].exists(), "left for inspection");
}

#[test]
fn a_damaged_ack_file_means_everything_is_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    s.append_batch(&recs(1..=5)).unwrap();
    for r in s.next_unsent(3).unwrap() {
        s.ack(r.key);
    }
    s.close().unwrap();
    let acks = dir.path().join(ACKS_FILE);
    let mut b = fs::read(&acks).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0xFF;
    fs::write(&acks, &b).unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert!(matches!(s.recovery().ack_state, AckStateStatus::Corrupt(_)));
    assert_eq!(seqs(&drain(&mut s)), [1, 2, 3, 4, 5]);
}

#[test]
fn leftover_temporary_files_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    s.append_batch(&recs([1])).unwrap();
    s.close().unwrap();
    fs::write(dir.path().join("00000000000000000002.seg.tmp"), b"CVSPL").unwrap();
    fs::write(dir.path().join("acks.tmp"), b"half").unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [1]);
    assert!(!dir.path().join("acks.tmp").exists());
    assert!(!dir.path().join("00000000000000000002.seg.tmp").exists());
}

/// Appends one record per batch until the spool has `n` segments in all.
fn fill_segments(s: &mut SegLog, next: &mut u64, n: usize) {
    while s.segment_count() < n {
        s.append_batch(&recs([*next])).unwrap();
        *next += 1;
    }
}

#[test]
fn the_size_bound_drops_sent_segments_first_then_the_oldest_unsent() {
    let dir = tempfile::tempdir().unwrap();
    // 1 KiB segments, 6 KiB in all: at most 6 segments.
    let mut s = SegLog::open(dir.path(), cfg(1024, 6 * 1024)).unwrap();
    let mut next = 1;
    fill_segments(&mut s, &mut next, 3);
    // Deliver everything in the first two segments (the third is being written).
    let ranges: Vec<_> = s
        .ledger
        .segments
        .iter()
        .map(|g| g.key_range().unwrap())
        .collect();
    let second_last = *ranges[1].end();
    for r in s.next_unsent(usize::MAX).unwrap() {
        if r.key <= second_last {
            s.ack(r.key);
        }
    }
    s.rewind();
    assert!(s.ledger.segments[0].is_sent() && s.ledger.segments[1].is_sent());
    fill_segments(&mut s, &mut next, 6);
    let depth_before = s.depth();
    let third = s.ledger.segments[2].id;
    let mut drops = Vec::new();
    // The next segments force drops: the two sent ones go first, silently.
    while s.ledger.segments.front().unwrap().id != third {
        drops.extend(s.append_batch(&recs([next])).unwrap());
        next += 1;
        assert!(s.bytes() <= 6 * 1024, "bound holds: {}", s.bytes());
    }
    assert!(
        drops.is_empty(),
        "sent segments are dropped without loss: {drops:?}"
    );
    assert_eq!(s.dropped(), 0);
    // Now only unsent segments are left: the oldest goes, and is counted.
    let oldest = s.ledger.segments.front().unwrap().key_range().unwrap();
    let oldest_len = oldest.clone().count() as u64;
    let d = loop {
        assert!(s.bytes() <= 6 * 1024);
        if let Some(d) = s.append_batch(&recs([next])).unwrap() {
            next += 1;
            break d;
        }
        next += 1;
    };
    assert_eq!(d.records, oldest_len);
    assert_eq!((d.first_key, d.last_key), (*oldest.start(), *oldest.end()));
    assert_eq!(d.segments, 1);
    assert_eq!(s.dropped(), oldest_len);
    assert_eq!(s.stats().dropped(), oldest_len);
    let remaining = drain(&mut s);
    assert_eq!(remaining.len() as u64, s.depth());
    assert_eq!(
        remaining.first().unwrap().key,
        oldest.end() + 1,
        "the oldest unsent are gone"
    );
    assert_eq!(remaining.last().unwrap().key, next - 1);
    assert!(remaining.windows(2).all(|w| w[1].key == w[0].key + 1));
    assert!(s.depth() > depth_before - oldest_len);
    s.close().unwrap();
    let s = SegLog::open(dir.path(), cfg(1024, 6 * 1024)).unwrap();
    assert_eq!(
        s.dropped(),
        0,
        "the drop count is per process, not persisted"
    );
}

#[test]
fn a_batch_larger_than_the_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(1024, 2048)).unwrap();
    let big = Record {
        key: 1,
        head: TOPIC.into(),
        body: vec![b'x'; 4096],
    };
    assert!(matches!(
        s.append_batch(&[big]),
        Err(LogError::BatchTooLarge { .. })
    ));
    s.append_batch(&recs([2])).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [2]);
}

#[test]
fn retention_deletes_expired_sent_segments_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    let mut next = 1;
    fill_segments(&mut s, &mut next, 5);
    // Deliver segments 1, 2 and 4; segment 3 keeps one unacknowledged reading.
    let r3 = s.ledger.segments[2].key_range().unwrap();
    let r5 = s.ledger.segments[4].key_range().unwrap();
    let keep = *r3.start() + 1;
    for r in drain(&mut s) {
        if r.key != keep && !r5.contains(&r.key) {
            s.ack(r.key);
        }
    }
    let ids: Vec<u64> = s.ledger.segments.iter().map(|g| g.id).collect();
    let now = SystemTime::now();
    assert_eq!(s.remove_expired(now).unwrap(), 0, "not expired yet");
    s.close().unwrap(); // sent_at survives a restart

    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    assert_eq!(
        s.remove_expired(now + Duration::from_secs(1800)).unwrap(),
        0
    );
    assert_eq!(
        s.remove_expired(now + Duration::from_secs(3700)).unwrap(),
        3
    );
    let left: Vec<u64> = s.ledger.segments.iter().map(|g| g.id).collect();
    assert_eq!(
        left,
        [ids[2], ids[4]],
        "the unsent and the active segment stay"
    );
    assert_eq!(segment_files(dir.path()).len(), 2);
    let mut want = vec![keep];
    want.extend(r5);
    assert_eq!(seqs(&drain(&mut s)), want);
    assert!(s.maintain().unwrap().committed || !s.ledger.dirty);
}

#[test]
fn resend_spans_segments_and_leaves_delivery_state_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(1024, 1 << 20)).unwrap();
    let all: Vec<u64> = (0..60).map(|i| 100 + 2 * i).collect();
    for q in &all {
        s.append_batch(&recs([*q])).unwrap();
    }
    assert!(s.segment_count() >= 5);
    for r in s.next_unsent(25).unwrap() {
        s.ack(r.key);
    }
    s.rewind();
    let depth = s.depth();
    let got = s.read_range(131, 190).unwrap();
    let want: Vec<u64> = all
        .iter()
        .copied()
        .filter(|q| (131..=190).contains(q))
        .collect();
    assert_eq!(got, recs(want.iter().copied()));
    assert!(s.read_range(10, 99).unwrap().is_empty());
    assert!(s.read_range(190, 131).unwrap().is_empty());
    assert_eq!(seqs(&s.read_range(218, 10_000).unwrap()), [218]);
    assert_eq!(s.depth(), depth);
    assert_eq!(seqs(&drain(&mut s)), all[25..]);
}

#[test]
fn segments_roll_at_segment_bytes_and_appends_continue_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(4096, 1 << 20)).unwrap();
    for q in 1..=100 {
        s.append_batch(&recs([q])).unwrap();
    }
    let n = s.segment_count();
    assert!(n > 2);
    for g in s.ledger.segments.iter() {
        assert!(g.size <= 4096, "segment {} is {} bytes", g.id, g.size);
    }
    assert_eq!(
        s.bytes(),
        segment_files(dir.path())
            .iter()
            .map(|p| fs::metadata(p).unwrap().len())
            .sum::<u64>()
    );
    s.close().unwrap();
    let mut s = SegLog::open(dir.path(), cfg(4096, 1 << 20)).unwrap();
    s.append_batch(&recs([101])).unwrap();
    assert_eq!(s.segment_count(), n, "the newest segment is appended to");
    assert_eq!(seqs(&drain(&mut s)), (1..=101).collect::<Vec<_>>());
}

/// Bytes laid out by hand from the crate doc's tables (not with `format.rs`), as the agent's
/// spool wrote them before this crate existed: the on-disk format must not change.
#[test]
fn a_spool_directory_in_the_documented_format_opens_as_it_is() {
    fn le(out: &mut Vec<u8>, v: u64, n: usize) {
        out.extend_from_slice(&v.to_le_bytes()[..n]);
    }
    let created: u64 = 1_700_000_000_000;
    let mut seg = Vec::new();
    seg.extend_from_slice(b"CVSPLSEG");
    le(&mut seg, 1, 2); // version
    le(&mut seg, 32, 2); // header length
    le(&mut seg, 1, 8); // id
    le(&mut seg, created, 8);
    let crc = crc32fast::hash(&seg);
    le(&mut seg, u64::from(crc), 4);
    let mut offsets = Vec::new();
    for (seq, kind) in [(5u64, "signal"), (6, "latency"), (7, "heartbeat")] {
        offsets.push(seg.len() as u64);
        let topic = format!("coverage/v1/site-1/{kind}");
        let payload = format!(r#"{{"v":1,"seq":{seq}}}"#);
        let mut f = vec![0xFF, b'R', b'E', b'C'];
        le(&mut f, (topic.len() + payload.len()) as u64, 4);
        le(&mut f, 0, 4); // CRC, below
        le(&mut f, seq, 8);
        le(&mut f, topic.len() as u64, 2);
        le(&mut f, 0, 2); // flags
        f.extend_from_slice(topic.as_bytes());
        f.extend_from_slice(payload.as_bytes());
        let mut h = crc32fast::Hasher::new();
        h.update(&f[0..8]);
        h.update(&f[12..]);
        f[8..12].copy_from_slice(&h.finalize().to_le_bytes());
        seg.extend_from_slice(&f);
    }
    // Acks: seq 5 folded (acked_to = start of 6), seq 7 acknowledged out of order.
    let mut acks = Vec::new();
    acks.extend_from_slice(b"CVSPLACK");
    le(&mut acks, 1, 2);
    le(&mut acks, 0, 2);
    le(&mut acks, 2, 8); // next segment id
    le(&mut acks, 1, 4); // entries
    le(&mut acks, 1, 8); // segment id
    le(&mut acks, created, 8);
    le(&mut acks, offsets[1], 8); // acked_to
    le(&mut acks, 0, 8); // sent_at
    le(&mut acks, 1, 4);
    le(&mut acks, 7, 8);
    let crc = crc32fast::hash(&acks);
    le(&mut acks, u64::from(crc), 4);

    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("00000000000000000001.seg"), &seg).unwrap();
    fs::write(dir.path().join(ACKS_FILE), &acks).unwrap();
    let mut s = SegLog::open(dir.path(), default_cfg()).unwrap();
    let r = s.recovery().clone();
    assert_eq!(r.ack_state, AckStateStatus::Loaded);
    assert_eq!((r.segments, r.records, r.unsent), (1, 3, 1));
    assert_eq!(
        (r.corrupt_regions, r.torn_tails, r.ack_entries_ignored),
        (0, 0, 0)
    );
    assert_eq!(s.last_key(), Some(7));
    let unsent = drain(&mut s);
    assert_eq!(seqs(&unsent), [6]);
    assert_eq!(unsent[0].head, "coverage/v1/site-1/latency");
    assert_eq!(unsent[0].body, br#"{"v":1,"seq":6}"#);
    assert_eq!(seqs(&s.read_range(0, u64::MAX).unwrap()), [5, 6, 7]);
    // Appends continue in the same file, with the same framing.
    s.append_batch(&recs([8])).unwrap();
    s.close().unwrap();
    let on_disk = fs::read(dir.path().join("00000000000000000001.seg")).unwrap();
    assert_eq!(on_disk[..seg.len()], seg[..]);
    let mut want = Vec::new();
    crate::format::encode_record(&mut want, rec(8).as_ref());
    assert_eq!(on_disk[seg.len()..], want[..]);
}

#[test]
fn key_runs_follow_appends_gaps_restarts_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    // Small segments: the runs cross segment boundaries.
    let config = LogConfig {
        keep_sent: Duration::ZERO,
        ..cfg(1024, 64 * 1024)
    };
    {
        let mut s = SegLog::open(dir.path(), config).unwrap();
        assert_eq!(s.key_runs(), Vec::<(u64, u64)>::new());
        // One record per batch: the segments roll every few records.
        for k in 1..=30 {
            s.append_batch(&recs([k])).unwrap();
        }
        // A block skipped (the agent reserved 31..=99 and restarted): never issued.
        s.append_batch(&recs([100, 101, 102, 104])).unwrap();
        assert!(s.segment_count() > 1, "the runs span segments");
        assert_eq!(s.key_runs(), vec![(1, 30), (100, 102), (104, 104)]);
        s.close().unwrap();
    }
    // Rebuilt from the files alone.
    let mut s = SegLog::open(dir.path(), config).unwrap();
    assert_eq!(s.key_runs(), vec![(1, 30), (100, 102), (104, 104)]);
    s.append_batch(&recs(105..=110)).unwrap();
    assert_eq!(s.key_runs(), vec![(1, 30), (100, 102), (104, 110)]);
    // Acknowledge the oldest records and expire their segments: they leave the runs.
    let out = s.next_unsent(1000).unwrap();
    for r in out.iter().filter(|r| r.key <= 20) {
        s.ack(r.key);
    }
    s.maintain().unwrap();
    let runs = s.key_runs();
    assert!(
        runs.first().unwrap().0 > 1 && runs.first().unwrap().0 <= 21,
        "{runs:?}"
    );
    assert_eq!(runs.last(), Some(&(104, 110)));
}

#[test]
fn a_full_and_acknowledged_active_segment_is_room_again() {
    // One batch larger than a segment fills the active one past `segment_bytes`; once all of it
    // is acknowledged the log must offer room (the collector's WAL waited forever here).
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        keep_sent: Duration::ZERO,
        ..cfg(1024, 4096)
    };
    let mut s = SegLog::open(dir.path(), config).unwrap();
    s.append_batch(&recs(1..=40)).unwrap();
    assert_eq!(s.segment_count(), 1);
    assert!(s.bytes() > 3000, "{} bytes in one segment", s.bytes());
    let small = s.room_without_loss();
    for r in s.next_unsent(100).unwrap() {
        s.ack(r.key);
    }
    s.maintain().unwrap();
    let room = s.room_without_loss();
    assert!(room > small && room >= 3000, "room {small} -> {room}");
    // And what it promises holds: that much is appended without dropping anything.
    let n = (room / framed_len(rec(41).as_ref()) as u64).min(30);
    s.append_batch(&recs(41..41 + n)).unwrap();
    assert_eq!(s.dropped(), 0);
}

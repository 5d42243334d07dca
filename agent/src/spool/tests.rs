//! Unit tests of the spool's glue on real files in temporary directories: readings in and
//! out, the spool's errors, [`SharedSpool`]. The storage itself (recovery, damage, bounds,
//! retention) is tested in `coverage_seglog` with the same assertions.

use super::*;
use std::time::Duration;

const TOPIC: &str = "coverage/v1/site-1/signal";

fn cfg(segment_bytes: u64, max_bytes: u64) -> SpoolConfig {
    SpoolConfig {
        segment_bytes,
        max_bytes,
        keep_sent: Duration::from_secs(3600),
    }
}

fn rec(seq: u64) -> Record {
    Record {
        seq,
        topic: TOPIC.into(),
        payload: format!(r#"{{"v":1,"seq":{seq},"kind":"signal","rsrp_dbm":-97.5}}"#).into_bytes(),
    }
}

fn recs(seqs: impl IntoIterator<Item = u64>) -> Vec<Record> {
    seqs.into_iter().map(rec).collect()
}

fn seqs(v: &[Record]) -> Vec<u64> {
    v.iter().map(|r| r.seq).collect()
}

/// Everything not yet acknowledged, in the order the spool hands it out.
fn drain(s: &mut Spool) -> Vec<Record> {
    s.next_unsent(usize::MAX).unwrap()
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert_eq!(s.depth(), 0);
    assert!(s.next_unsent(10).unwrap().is_empty());
    assert_eq!(s.append_batch(&recs([1000])).unwrap(), None);
    assert_eq!(s.append_batch(&recs([1001, 1005, 1006])).unwrap(), None);
    let big = Record {
        seq: 1007,
        topic: TOPIC.into(),
        payload: vec![b'x'; MAX_PAYLOAD_BYTES],
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
    assert_eq!(s.last_seq(), Some(1007));
    s.close().unwrap();

    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    assert_eq!(s.depth(), 0);
    assert!(drain(&mut s).is_empty());
    assert_eq!(
        s.resend(0, u64::MAX).unwrap().len(),
        5,
        "acknowledged readings are kept"
    );
}

#[test]
fn invalid_batches_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    s.append_batch(&recs([5])).unwrap();
    assert!(matches!(
        s.append_batch(&recs([5])),
        Err(SpoolError::SeqOrder { seq: 5, last: 5 })
    ));
    assert!(matches!(
        s.append_batch(&recs([4])),
        Err(SpoolError::SeqOrder { .. })
    ));
    assert!(matches!(
        s.append_batch(&recs([7, 6])),
        Err(SpoolError::SeqOrder { seq: 6, last: 7 })
    ));
    let too_big = Record {
        seq: 9,
        topic: TOPIC.into(),
        payload: vec![b'x'; MAX_PAYLOAD_BYTES + 1],
    };
    let e = s.append_batch(&[rec(8), too_big]).unwrap_err();
    assert!(matches!(e, SpoolError::InvalidRecord { seq: 9, .. }), "{e}");
    assert_eq!(seqs(&drain(&mut s)), [5]);
    s.append_batch(&recs([6])).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [6]);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
    let e = Spool::open(dir.path(), SpoolConfig::default()).unwrap_err();
    assert!(matches!(e, SpoolError::Locked { .. }), "{e}");
    drop(s);
    Spool::open(dir.path(), SpoolConfig::default()).unwrap();
}

#[test]
fn a_batch_larger_than_the_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(dir.path(), cfg(1024, 2048)).unwrap();
    let big = Record {
        seq: 1,
        topic: TOPIC.into(),
        payload: vec![b'x'; 4096],
    };
    assert!(matches!(
        s.append_batch(&[big]),
        Err(SpoolError::BatchTooLarge { .. })
    ));
    s.append_batch(&recs([2])).unwrap();
    assert_eq!(seqs(&drain(&mut s)), [2]);
}

#[test]
fn shared_spool_works_from_async_code() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let s = SharedSpool::open(dir.path().into(), SpoolConfig::default())
            .await
            .unwrap();
        s.append_batch(recs(1..=3)).await.unwrap();
        assert_eq!(s.stats().depth(), 3);
        let got = s.next_unsent(10).await.unwrap();
        assert_eq!(seqs(&got), [1, 2, 3]);
        assert_eq!(s.ack(vec![1, 3]).await, 2);
        assert!(s.nack(2).await);
        assert_eq!(seqs(&s.next_unsent(10).await.unwrap()), [2]);
        assert_eq!(s.resend(1, 3).await.unwrap().len(), 3);
        assert!(s.maintain().await.unwrap().committed);
        assert_eq!(s.stats().depth(), 1);
    });
}

//! The write-ahead log against a real directory: PUBACKs only after the append, every record
//! handed to the sink until it is reported stored, a full log takes nothing (and acks nothing)
//! until room is freed, and what was not stored comes back after a restart.

use super::*;
use crate::deadletter::DeadLetterConfig;

fn config(dir: &Path, max_bytes: u64, segment_bytes: u64) -> WalConfig {
    WalConfig {
        dir: dir.to_path_buf(),
        max_bytes,
        segment_bytes,
        batch_lines: 100,
    }
}

fn dead(dir: &Path) -> Arc<DeadLetters> {
    Arc::new(DeadLetters::new(
        Some(&dir.join("dead.jsonl")),
        &DeadLetterConfig::default(),
    ))
}

fn line(i: u64) -> String {
    format!("signal,site=s{i} rsrp_dbm=-90 {i}000000000\n")
}

/// Sends `n` points whose "PUBACK" is reported on the returned channel (as their index).
async fn send(
    tx: &mpsc::Sender<Pending>,
    range: std::ops::Range<u64>,
) -> mpsc::UnboundedReceiver<u64> {
    let (ack_tx, ack_rx) = mpsc::unbounded_channel();
    for i in range {
        tx.send(Pending {
            line: line(i),
            ack: AckToken::wal(i, ack_tx.clone()),
        })
        .await
        .unwrap();
    }
    ack_rx
}

async fn recv_n(rx: &mut mpsc::UnboundedReceiver<u64>, n: usize) -> Vec<u64> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(k)) => got.push(k),
            _ => break,
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_after_append_drained_until_stored_and_gone_after_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(&tmp.path().join("wal"), 1 << 20, 64 << 10);
    let metrics = Arc::new(Metrics::new());
    let wal = Wal::open(&cfg, metrics.clone()).await.unwrap();
    let (in_tx, in_rx) = mpsc::channel(64);
    let (sink_tx, mut sink_rx) = mpsc::channel(16);
    let stop = CancellationToken::new();
    let appender = tokio::spawn(wal.clone().append(in_rx, dead(tmp.path())));
    let drainer = tokio::spawn(wal.clone().drain(sink_tx, stop.clone()));

    let mut pubacks = send(&in_tx, 0..500).await;
    let acked = recv_n(&mut pubacks, 500).await;
    assert_eq!(
        acked,
        (0..500).collect::<Vec<_>>(),
        "every message acked, in order"
    );
    // Acked means on disk: the records are in the log's files now.
    let on_disk: u64 = std::fs::read_dir(&cfg.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert!(
        on_disk > 500 * line(0).len() as u64,
        "{on_disk} bytes on disk"
    );

    // The "sink": stores every point it is handed (reports it done).
    let mut lines = Vec::new();
    while lines.len() < 500 {
        let p = tokio::time::timeout(Duration::from_secs(10), sink_rx.recv())
            .await
            .expect("the drainer hands out every record")
            .unwrap();
        lines.push(p.line.clone());
        p.ack.ack();
    }
    let want: Vec<String> = (0..500).map(line).collect();
    assert_eq!(lines, want, "handed out in order, each once");

    drop(in_tx);
    appender.await.unwrap();
    stop.cancel();
    drop(sink_rx);
    drainer.await.unwrap();
    drop(wal);

    // Reopened: everything was stored, nothing is handed out again.
    let wal = Wal::open(&cfg, metrics.clone()).await.unwrap();
    let left = blocking(&wal.log, |log| log.next_unsent(1000))
        .await
        .unwrap();
    assert!(left.is_empty(), "{} records handed out again", left.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unstored_records_come_back_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(&tmp.path().join("wal"), 1 << 20, 64 << 10);
    let metrics = Arc::new(Metrics::new());
    {
        let wal = Wal::open(&cfg, metrics.clone()).await.unwrap();
        let (in_tx, in_rx) = mpsc::channel(64);
        let (sink_tx, mut sink_rx) = mpsc::channel(400);
        let stop = CancellationToken::new();
        let appender = tokio::spawn(wal.clone().append(in_rx, dead(tmp.path())));
        let drainer = tokio::spawn(wal.clone().drain(sink_tx, stop.clone()));
        let mut pubacks = send(&in_tx, 0..300).await;
        assert_eq!(recv_n(&mut pubacks, 300).await.len(), 300);
        // The sink stores the first 100 and then the collector stops (InfluxDB was down).
        for _ in 0..100 {
            let p = sink_rx.recv().await.unwrap();
            p.ack.ack();
        }
        drop(in_tx);
        appender.await.unwrap();
        stop.cancel();
        drop(sink_rx);
        drainer.await.unwrap();
    }
    let wal = Wal::open(&cfg, metrics.clone()).await.unwrap();
    let left = blocking(&wal.log, |log| log.next_unsent(1000))
        .await
        .unwrap();
    let lines: Vec<String> = left
        .iter()
        .map(|r| String::from_utf8(r.body.clone()).unwrap())
        .collect();
    assert_eq!(lines, (100..300).map(line).collect::<Vec<_>>());
    assert_eq!(metrics.wal_records.get(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_log_acks_nothing_until_the_sink_frees_room() {
    let tmp = tempfile::tempdir().unwrap();
    // Two segments of 4 KiB: about 80 records of ~50 bytes fit, fewer than a batch holds (a
    // batch larger than an emptied log's room is appended in parts, never waited on forever).
    let cfg = WalConfig {
        batch_lines: 500,
        ..config(&tmp.path().join("wal"), 8 << 10, 4 << 10)
    };
    let metrics = Arc::new(Metrics::new());
    let wal = Wal::open(&cfg, metrics.clone()).await.unwrap();
    let (in_tx, in_rx) = mpsc::channel(1000);
    let (sink_tx, mut sink_rx) = mpsc::channel(1000);
    let stop = CancellationToken::new();
    let appender = tokio::spawn(wal.clone().append(in_rx, dead(tmp.path())));
    let drainer = tokio::spawn(wal.clone().drain(sink_tx, stop.clone()));
    let mut pubacks = send(&in_tx, 0..400).await;
    // InfluxDB is down: the sink takes points but stores none.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut acked = Vec::new();
    while let Ok(k) = pubacks.try_recv() {
        acked.push(k);
    }
    assert!(
        !acked.is_empty() && acked.len() < 400,
        "{} of 400 acked with the log full",
        acked.len()
    );
    assert_eq!(metrics.wal_full.get(), 1, "the log says it is full");
    assert!(
        metrics.wal_bytes.get() <= 8 << 10,
        "the bound holds: {} bytes",
        metrics.wal_bytes.get()
    );
    // InfluxDB is back: the sink stores what it holds and what comes; every message ends
    // acked, every line stored exactly as sent.
    let mut stored = Vec::new();
    let mut n_acked = acked.len();
    while stored.len() < 400 {
        let Ok(p) = tokio::time::timeout(Duration::from_secs(20), sink_rx.recv()).await else {
            let state = blocking(&wal.log, |l| {
                (
                    l.depth(),
                    l.bytes(),
                    l.in_flight(),
                    l.room_without_loss(),
                    l.segment_count(),
                )
            })
            .await;
            panic!(
                "the drainer stopped handing out records after {} stored: (depth, bytes, in flight, room, segments) = {state:?}",
                stored.len()
            );
        };
        let p = p.unwrap();
        stored.push(p.line.clone());
        p.ack.ack();
        while let Ok(_k) = pubacks.try_recv() {
            n_acked += 1;
        }
    }
    n_acked += recv_n(&mut pubacks, 400 - n_acked).await.len();
    assert_eq!(n_acked, 400);
    assert_eq!(stored, (0..400).map(line).collect::<Vec<_>>());
    assert_eq!(
        blocking(&wal.log, |log| log.dropped()).await,
        0,
        "nothing dropped for room"
    );
    drop(in_tx);
    appender.await.unwrap();
    stop.cancel();
    drop(sink_rx);
    drainer.await.unwrap();
}

#[test]
fn bounds_are_checked_with_the_key_named() {
    let bad = config(Path::new("/tmp/x"), 1000, 4096);
    let (key, reason) = bad.validate().unwrap_err();
    assert_eq!(key, "wal.max_bytes", "{reason}");
    let bad = WalConfig {
        batch_lines: 0,
        ..config(Path::new("/tmp/x"), 1 << 20, 4096)
    };
    assert_eq!(bad.validate().unwrap_err().0, "wal.batch_lines");
}

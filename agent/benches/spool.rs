//! Spool throughput on this machine's disk: appends with one fsync per batch of 1, 10 and 100
//! readings, and draining (read, hand out, acknowledge) 100 readings at a time.
//!
//! `cargo bench -p coverage-agent --bench spool`. The spool lives under Cargo's target
//! directory (a real disk, not tmpfs), so the fsyncs are real.

// `criterion_group!` defines a public function without a doc comment.
#![allow(missing_docs)]

use coverage_agent::spool::{Record, Spool, SpoolConfig};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A reading of typical size (a `signal` reading is 400 to 600 bytes of JSON).
fn record(seq: u64) -> Record {
    let payload = format!(
        r#"{{"v":1,"site":"bk-cho-don-01","run":"5f0c2a9e7d1b3c4a","seq":{seq},"ts":"2025-07-01T08:00:00.000Z","kind":"signal","clock_synced":true,"pos":{{"lat":22.15,"lon":105.83,"src":"config"}},"agent":"0.1.0","modem":"quectel-ec25","operator":{{"mcc":"452","mnc":"04"}},"placement":"indoor","antenna":"external","tech":"lte","reg":"home","rssi_dbm":-71.0,"rsrp_dbm":-97.0,"rsrq_db":-11.0,"sinr_db":8.4,"cell":{{"tac":"2F1A","ci":"0A1B2C3","pci":301,"arfcn":1650,"band":"B3"}}}}"#
    );
    Record {
        seq,
        topic: "coverage/v1/bk-cho-don-01/signal".into(),
        payload: payload.into_bytes(),
    }
}

fn spool_dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("spool_append_fsync_per_batch");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for batch in [1u64, 10, 100] {
        g.throughput(Throughput::Elements(batch));
        g.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &n| {
            let dir = spool_dir();
            let mut spool = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
            let mut seq = 1;
            b.iter(|| {
                let records: Vec<Record> = (seq..seq + n).map(record).collect();
                black_box(spool.append_batch(&records).unwrap());
                seq += n;
            });
        });
    }
    g.finish();
}

fn drain(c: &mut Criterion) {
    let mut g = c.benchmark_group("spool_drain");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(100));
    g.bench_function("next_unsent_100_and_ack", |b| {
        b.iter_custom(|iters| {
            let dir = spool_dir();
            let mut spool = Spool::open(dir.path(), SpoolConfig::default()).unwrap();
            let mut seq = 1;
            for _ in 0..iters {
                let records: Vec<Record> = (seq..seq + 100).map(record).collect();
                spool.append_batch(&records).unwrap();
                seq += 100;
            }
            let start = Instant::now();
            for _ in 0..iters {
                let got = spool.next_unsent(100).unwrap();
                for r in &got {
                    spool.ack(r.seq);
                }
                black_box(got);
            }
            spool.commit().unwrap();
            start.elapsed()
        });
    });
    g.finish();
}

criterion_group!(benches, append, drain);
criterion_main!(benches);

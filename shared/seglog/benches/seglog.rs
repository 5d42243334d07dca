//! Segment log throughput on this machine's disk, without the agent's spool on top: appends
//! with one fsync per batch of 1 and 100 records, and draining (read, hand out, acknowledge)
//! 100 records at a time. `cargo bench -p coverage-seglog --bench seglog`. The log lives
//! under Cargo's target directory (a real disk, not tmpfs), so the fsyncs are real.

// `criterion_group!` defines a public function without a doc comment.
#![allow(missing_docs)]

use coverage_seglog::{LogConfig, Record, SegLog};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn config() -> LogConfig {
    LogConfig {
        max_bytes: 64 * 1024 * 1024,
        segment_bytes: 1024 * 1024,
        keep_sent: Duration::from_secs(24 * 3600),
    }
}

/// A record of a typical reading's size (500 bytes of body).
fn record(key: u64) -> Record {
    Record {
        key,
        head: "coverage/v1/bk-cho-don-01/signal".into(),
        body: vec![b'x'; 500],
    }
}

fn log_dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("seglog_append_fsync_per_batch");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    for batch in [1u64, 100] {
        g.throughput(Throughput::Elements(batch));
        g.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &n| {
            let dir = log_dir();
            let mut log = SegLog::open(dir.path(), config()).unwrap();
            let mut key = 1;
            b.iter(|| {
                let records: Vec<Record> = (key..key + n).map(record).collect();
                black_box(log.append_batch(&records).unwrap());
                key += n;
            });
        });
    }
    g.finish();
}

fn drain(c: &mut Criterion) {
    let mut g = c.benchmark_group("seglog_drain");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(100));
    g.bench_function("next_unsent_100_and_ack", |b| {
        b.iter_custom(|iters| {
            let dir = log_dir();
            let mut log = SegLog::open(dir.path(), config()).unwrap();
            let mut key = 1;
            for _ in 0..iters {
                let records: Vec<Record> = (key..key + 100).map(record).collect();
                log.append_batch(&records).unwrap();
                key += 100;
            }
            let start = Instant::now();
            for _ in 0..iters {
                let got = log.next_unsent(100).unwrap();
                for r in &got {
                    log.ack(r.key);
                }
                black_box(got);
            }
            log.commit().unwrap();
            start.elapsed()
        });
    });
    g.finish();
}

criterion_group!(benches, append, drain);
criterion_main!(benches);

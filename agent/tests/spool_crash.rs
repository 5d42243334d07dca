//! The spool under kill -9: a child process appends, delivers and acknowledges in a loop,
//! printing what it has done; the parent kills it with SIGKILL at random moments, reopens the
//! spool and checks that nothing reported as appended was lost, that committed acks held, and
//! that nothing is corrupt.
//!
//! The child is this test binary run again with [`CHILD_ENV`] set, filtered to `crash_child`.
//! Its lines on stdout: `A <seq>` once `append_batch` returned, `K <seq>` once `ack` returned,
//! `C` once `maintain` (commit) returned.

use coverage_agent::spool::{AckStateStatus, Record, Spool, SpoolConfig};
use rand::Rng;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "COVERAGE_SPOOL_CRASH_CHILD_DIR";
/// The first seq the child may use (the parent's record of what was used, plus a gap, as the
/// agent's seq reservation would give after a restart).
const START_ENV: &str = "COVERAGE_SPOOL_CRASH_CHILD_START";
const ITERATIONS: usize = 50;
const MAX_BATCH: u64 = 5;

fn config() -> SpoolConfig {
    // Small segments so that rolling, sealing and expiry happen all the time; no expiry delay.
    SpoolConfig {
        segment_bytes: 4096,
        max_bytes: 256 << 20,
        keep_sent: Duration::ZERO,
    }
}

/// The payload is a function of the seq, so the parent can check every byte.
fn record(seq: u64) -> Record {
    let pad = "x".repeat((seq % 300) as usize);
    Record {
        seq,
        topic: format!(
            "coverage/v1/crash-site/{}",
            if seq.is_multiple_of(2) {
                "signal"
            } else {
                "latency"
            }
        ),
        payload: format!(r#"{{"v":1,"seq":{seq},"pad":"{pad}"}}"#).into_bytes(),
    }
}

#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // only meaningful as the child of `spool_survives_kill_9_at_random_moments`
    };
    let mut spool = Spool::open(&dir, config()).expect("child: open");
    let mut out = std::io::stdout().lock();
    writeln!(out).unwrap(); // end libtest's "test crash_child ... " line
    let mut rng = rand::rng();
    let start: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    let mut next = spool.last_seq().map_or(start, |s| start.max(s + 1));
    loop {
        let n = rng.random_range(1..=MAX_BATCH);
        let batch: Vec<Record> = (next..next + n).map(record).collect();
        spool.append_batch(&batch).expect("child: append");
        for r in &batch {
            writeln!(out, "A {}", r.seq).unwrap();
        }
        next += n;
        let handed = spool
            .next_unsent(rng.random_range(0..8))
            .expect("child: next_unsent");
        for r in handed {
            if rng.random_bool(0.8) {
                spool.ack(r.seq);
                writeln!(out, "K {}", r.seq).unwrap();
            }
        }
        if rng.random_bool(0.05) {
            spool.rewind();
        }
        if rng.random_bool(0.3) {
            spool.maintain().expect("child: maintain");
            writeln!(out, "C").unwrap();
        }
    }
}

#[test]
fn spool_survives_kill_9_at_random_moments() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    let mut appended = BTreeSet::new(); // reported appended (or found in the spool)
    let mut acked = BTreeSet::new(); // ack() returned
    let mut committed = BTreeSet::new(); // ack() returned, then a commit returned
    let (mut torn, mut total_lines) = (0, 0);
    let mut next_start = 1_000_000;
    for iteration in 0..ITERATIONS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env(START_ENV, next_start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(5..120)));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let lines = reader.join().unwrap();
        if status.signal() != Some(9) {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("iteration {iteration}: the child ended by itself ({status}):\n{err}");
        }
        total_lines += lines.len();
        let mut uncommitted = Vec::new();
        for line in &lines {
            let mut parts = line.split(' ');
            match (
                parts.next(),
                parts.next().and_then(|s| s.parse::<u64>().ok()),
            ) {
                (Some("A"), Some(seq)) => {
                    appended.insert(seq);
                }
                (Some("K"), Some(seq)) => {
                    acked.insert(seq);
                    uncommitted.push(seq);
                }
                (Some("C"), None) => committed.extend(uncommitted.drain(..)),
                _ => {} // libtest's own lines
            }
        }

        let mut spool = Spool::open(dir.path(), config())
            .unwrap_or_else(|e| panic!("iteration {iteration}: open after kill -9: {e}"));
        let rec = spool.recovery().clone();
        assert_eq!(rec.corrupt_regions, 0, "iteration {iteration}: {rec:?}");
        assert_eq!(rec.out_of_order, 0, "iteration {iteration}: {rec:?}");
        assert!(
            rec.unreadable_segments.is_empty(),
            "iteration {iteration}: {rec:?}"
        );
        assert!(
            !matches!(rec.ack_state, AckStateStatus::Corrupt(_)),
            "{rec:?}"
        );
        torn += rec.torn_tails;

        let unsent = spool.next_unsent(usize::MAX).unwrap();
        assert_eq!(spool.depth(), unsent.len() as u64, "iteration {iteration}");
        assert_eq!(spool.corrupt(), 0, "iteration {iteration}");
        for r in &unsent {
            assert_eq!(
                *r,
                record(r.seq),
                "iteration {iteration}: the bytes of seq {}",
                r.seq
            );
        }
        let unsent: Vec<u64> = unsent.iter().map(|r| r.seq).collect();
        assert!(
            unsent.windows(2).all(|w| w[0] < w[1]),
            "iteration {iteration}: seq order"
        );
        let unsent_set: BTreeSet<u64> = unsent.iter().copied().collect();
        // Nothing reported as appended is lost: it is unsent, or it was acknowledged.
        let lost: Vec<u64> = appended
            .iter()
            .filter(|q| !unsent_set.contains(q) && !acked.contains(q))
            .copied()
            .collect();
        assert!(lost.is_empty(), "iteration {iteration}: lost {lost:?}");
        // Committed acks hold.
        let back: Vec<u64> = committed.intersection(&unsent_set).copied().collect();
        assert!(
            back.is_empty(),
            "iteration {iteration}: committed acks came back: {back:?}"
        );
        // Unreported readings can only be the batch whose append had not been reported.
        let max_reported = appended.iter().next_back().copied().unwrap_or(0);
        let extra: Vec<u64> = unsent_set.difference(&appended).copied().collect();
        assert!(
            extra.len() as u64 <= MAX_BATCH && extra.iter().all(|&q| q > max_reported),
            "iteration {iteration}: unknown readings {extra:?}; reported up to {max_reported}, \
             acked {:?}, child said {lines:?}, unsent {unsent:?}",
            acked
                .range(max_reported.saturating_sub(20)..)
                .collect::<Vec<_>>()
        );
        appended.extend(extra);
        // Gaps, as after a restart that abandoned a reserved block of seqs.
        next_start =
            appended.iter().next_back().map_or(next_start, |q| q + 1) + rng.random_range(0..3);
        spool.close().unwrap();
    }
    eprintln!(
        "{ITERATIONS} kills: {} readings appended, {} acknowledged, {} committed, {torn} torn \
         tails, {total_lines} lines",
        appended.len(),
        acked.len(),
        committed.len()
    );
    assert!(
        appended.len() > 100,
        "the child did work: {}",
        appended.len()
    );
}

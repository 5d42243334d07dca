//! The sink's write path against a scripted [`PointWriter`]: the 413 split, a 400 partial write
//! and an outage, with tokio's paused clock for the retry sleeps. Real servers are in the e2e
//! tests.

use super::*;
use crate::ack::AckToken;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Mutex;

/// Answers each write with the next scripted result (then `Ok`), recording every body.
#[derive(Default)]
struct Scripted {
    answers: Mutex<VecDeque<Result<(), WriteError>>>,
    bodies: Mutex<Vec<String>>,
}

impl Scripted {
    fn new(answers: Vec<Result<(), WriteError>>) -> Scripted {
        Scripted {
            answers: Mutex::new(answers.into()),
            bodies: Mutex::new(Vec::new()),
        }
    }
}

impl PointWriter for Scripted {
    async fn prepare(&self) -> Result<(), WriteError> {
        Ok(())
    }

    async fn write(&self, body: &str) -> Result<(), WriteError> {
        self.bodies.lock().unwrap().push(body.to_owned());
        self.answers.lock().unwrap().pop_front().unwrap_or(Ok(()))
    }

    fn describe(&self) -> String {
        "scripted writer".to_owned()
    }
}

fn items(n: usize) -> Vec<Pending> {
    (0..n)
        .map(|i| Pending {
            line: format!("signal,site=s{i} seq={i}i {i}\n"),
            ack: AckToken::none(),
        })
        .collect()
}

fn sink(answers: Vec<Result<(), WriteError>>, dead: &Path) -> Sink<Scripted> {
    Sink::new(
        Scripted::new(answers),
        SinkConfig::default(),
        Arc::new(Metrics::new()),
        Arc::new(DeadLetters::new(
            Some(dead),
            &crate::deadletter::DeadLetterConfig::default(),
        )),
    )
}

fn dead_letters(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_413_splits_the_batch_in_halves_until_it_fits() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let s = sink(vec![Err(WriteError::TooLarge)], &dead);
    let batch = items(4);
    let outcome = s.write_all(&batch, &CancellationToken::new()).await;
    assert!(matches!(outcome, Outcome::Done));
    let bodies = s.writer.bodies.lock().unwrap().clone();
    let all: String = batch.iter().map(|p| p.line.as_str()).collect();
    let first: String = batch[..2].iter().map(|p| p.line.as_str()).collect();
    let second: String = batch[2..].iter().map(|p| p.line.as_str()).collect();
    assert_eq!(bodies, vec![all, first, second]);
    assert_eq!(s.metrics.points_written.get(), 4);
    assert_eq!(s.metrics.points_dead_lettered.get(), 0);
    assert!(dead_letters(&dead).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_partial_write_dead_letters_only_the_named_lines() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let batch = items(3);
    let bad = batch[1].line.trim_end().to_owned();
    let message = format!("partial write: unable to parse '{bad}': invalid field format");
    let s = sink(vec![Err(WriteError::Partial { message })], &dead);
    let outcome = s.write_all(&batch, &CancellationToken::new()).await;
    assert!(matches!(outcome, Outcome::Done));
    // One attempt: the good lines are stored by that same write.
    assert_eq!(s.writer.bodies.lock().unwrap().len(), 1);
    assert_eq!(s.metrics.points_written.get(), 2);
    assert_eq!(s.metrics.points_dead_lettered.get(), 1);
    let letters = dead_letters(&dead);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["reason"], "influx_partial");
    assert_eq!(letters[0]["payload"], bad.as_str());
}

#[tokio::test(start_paused = true)]
async fn an_outage_keeps_the_batch_and_retries_until_written() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let outage = || {
        Err(WriteError::Outage {
            status: "connection".into(),
            message: "refused".into(),
            retry_after: None,
        })
    };
    let s = sink(vec![outage(), outage(), outage()], &dead);
    let batch = items(2);
    let started = tokio::time::Instant::now();
    let outcome = s.write_all(&batch, &CancellationToken::new()).await;
    assert!(matches!(outcome, Outcome::Done));
    let bodies = s.writer.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 4, "three failed attempts, then the write");
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "the same batch each time"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "slept between attempts"
    );
    assert_eq!(s.metrics.points_written.get(), 2);
    assert_eq!(s.metrics.points_dead_lettered.get(), 0);
    assert!(s.metrics.health().1, "store up again");
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_an_outage_abandons_the_batch_unwritten() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let outage = Err(WriteError::Outage {
        status: "503".into(),
        message: "unavailable".into(),
        retry_after: None,
    });
    let s = sink(vec![outage], &dead);
    let shutdown = CancellationToken::new();
    shutdown.cancel();
    let outcome = s.write_all(&items(2), &shutdown).await;
    assert!(matches!(outcome, Outcome::Abandoned));
    assert_eq!(s.metrics.points_written.get(), 0);
    assert!(dead_letters(&dead).is_empty());
}

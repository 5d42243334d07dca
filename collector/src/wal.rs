//! The write-ahead log (`[wal]`): each accepted reading's line is appended to a crash-safe
//! segment log on disk (`coverage-seglog`, fsync per batch) and only then is its MQTT message
//! acknowledged; a drainer hands the log's records to the sink, and a record is done once the
//! sink stored it (or dead-lettered it for good). DESIGN.md, "Delivery guarantees".
//!
//! ```text
//! ingest ──Pending(PUBACK token)──▶ appender ──append+fsync──▶ log ──▶ drainer ──Pending(log token)──▶ sink
//!    ▲                                 │                                  ▲                               │
//!    └────────── PUBACK ───────────────┘                                  └──────── record done ──────────┘
//! ```
//!
//! Invariants:
//! - **On disk, then acknowledged.** A PUBACK is asked for only after the batch holding its
//!   line returned from `append_batch` (written and `fdatasync`ed). An append that fails is
//!   retried with backoff; its messages stay unacknowledged meanwhile.
//! - **Never loses for room.** The log's byte bound is never allowed to delete an unwritten
//!   record: before each append the appender checks [`SegLog::room_without_loss`], and while
//!   the batch does not fit it waits (`wal_full` = 1). Its input channel then fills, the ingest
//!   stops handing it messages, its backlog reaches its cap, and the ingest stops reading the
//!   broker's socket: the broker keeps the rest (persistent session). No error PUBACK is ever
//!   sent.
//! - **Memory is bounded** by the channels (the receive maximum and the sink's queue), the
//!   batch in hand and one entry per record in flight; never by the log's depth.
//! - **Idempotent replay.** After a crash the log hands out again what was in flight or done
//!   since the last commit (once a second): duplicates, which InfluxDB absorbs (a point with the
//!   same series and time is overwritten with the same values).
//! - **Shutdown.** The appender appends what it holds and asks for its PUBACKs; the drainer
//!   stops handing out records, waits for the sink's final flush to report what it stored, and
//!   commits. What was not yet written stays in the log and is written after the next start.
//!
//! A line longer than a record's body may be ([`MAX_BODY_BYTES`]; only a reading with a huge
//! `modem` text comes near), or than half the log's bound, is dead-lettered (`line_too_long`)
//! and acknowledged: the log could never take it.

use crate::ack::{AckToken, Pending};
use crate::deadletter::{DeadLetters, Letter};
use crate::metrics::Metrics;
use coverage_net::backoff::Backoff;
use coverage_seglog::{
    LogConfig, LogError, MAX_BODY_BYTES, RecordRef, SEGMENT_HEADER_LEN, SegLog, framed_len,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

/// `[wal]`: where the write-ahead log lives and how large it may grow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalConfig {
    /// The log's directory (created if missing; relative to the config file's directory).
    pub dir: PathBuf,
    /// Bound on all segment files together. When the next batch does not fit without
    /// deleting an unwritten record, the collector stops taking messages from the broker.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Size at which a segment is closed; a written segment is deleted once all of it is
    /// stored.
    #[serde(default = "default_segment_bytes")]
    pub segment_bytes: u64,
    /// Most lines appended (and fsynced) in one batch.
    #[serde(default = "default_batch_lines")]
    pub batch_lines: usize,
}

fn default_max_bytes() -> u64 {
    1 << 30
}
fn default_segment_bytes() -> u64 {
    16 << 20
}
fn default_batch_lines() -> usize {
    2000
}

impl WalConfig {
    /// The segment log's bounds (fully written segments are deleted at once).
    pub fn log_config(&self) -> LogConfig {
        LogConfig {
            max_bytes: self.max_bytes,
            segment_bytes: self.segment_bytes,
            keep_sent: Duration::ZERO,
        }
    }

    /// Checks the values together; the error names the key (`wal.max_bytes`, ...).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.batch_lines == 0 {
            return Err(("wal.batch_lines".into(), "must be at least 1".into()));
        }
        match self.log_config().validate() {
            Err(LogError::Config { key, reason }) => Err((format!("wal.{key}"), reason)),
            Err(e) => Err(("wal".into(), e.to_string())),
            Ok(()) => Ok(()),
        }
    }
}

/// An open write-ahead log, shared by the appender and the drainer.
#[derive(Clone)]
pub struct Wal {
    log: Arc<Mutex<SegLog>>,
    /// Woken after each append (the drainer has records) and after records are done (the
    /// appender may have room).
    appended: Arc<Notify>,
    done: Arc<Notify>,
    metrics: Arc<Metrics>,
    batch_lines: usize,
    /// The longest line taken: one a log emptied of everything else surely has room for
    /// (half the bound), and one a record can hold.
    max_line: usize,
}

/// Runs blocking log work off the async threads.
async fn blocking<T: Send + 'static>(
    log: &Arc<Mutex<SegLog>>,
    f: impl FnOnce(&mut SegLog) -> T + Send + 'static,
) -> T {
    let log = log.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = log.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    })
    .await
    .expect("a write-ahead log task panicked")
}

impl Wal {
    /// Opens (or creates) the log in `cfg.dir`, recovering what a crash left.
    pub async fn open(cfg: &WalConfig, metrics: Arc<Metrics>) -> Result<Wal, LogError> {
        let dir = cfg.dir.clone();
        let config = cfg.log_config();
        let log = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(|source| LogError::Io {
                what: "create",
                path: dir.clone(),
                source,
            })?;
            SegLog::open(&dir, config)
        })
        .await
        .expect("opening the write-ahead log panicked")?;
        let recovery = log.recovery();
        tracing::info!(
            dir = %log.dir().display(),
            unwritten = log.depth(),
            bytes = log.bytes(),
            recovery = ?recovery,
            "Write-ahead log open."
        );
        let wal = Wal {
            log: Arc::new(Mutex::new(log)),
            appended: Arc::new(Notify::new()),
            done: Arc::new(Notify::new()),
            metrics,
            batch_lines: cfg.batch_lines,
            max_line: MAX_BODY_BYTES.min(
                usize::try_from(cfg.max_bytes / 2 - SEGMENT_HEADER_LEN).unwrap_or(usize::MAX)
                    - coverage_seglog::RECORD_HEADER_LEN,
            ),
        };
        wal.publish_gauges().await;
        Ok(wal)
    }

    /// The log's directory.
    pub async fn dir(&self) -> PathBuf {
        blocking(&self.log, |log| log.dir().to_path_buf()).await
    }

    async fn publish_gauges(&self) {
        let (depth, bytes, in_flight, corrupt) = blocking(&self.log, |log| {
            (log.depth(), log.bytes(), log.in_flight(), log.corrupt())
        })
        .await;
        self.metrics
            .set_wal(depth, bytes, in_flight as u64, corrupt);
    }

    /// The appender: takes points from the ingest, appends them in batches, then acknowledges
    /// their messages. Returns when `rx` closes (the ingest ended).
    pub async fn append(self, mut rx: mpsc::Receiver<Pending>, dead: Arc<DeadLetters>) {
        let mut batch: Vec<Pending> = Vec::with_capacity(self.batch_lines);
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        loop {
            // Group commit: whatever arrived while the previous fsync ran goes in one batch.
            if batch.is_empty() {
                match rx.recv().await {
                    Some(p) => batch.push(p),
                    None => break,
                }
            }
            while batch.len() < self.batch_lines {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            batch.retain_mut(|p| {
                if p.line.len() <= self.max_line {
                    return true;
                }
                let detail = format!(
                    "its line is {} bytes, more than the write-ahead log takes ({})",
                    p.line.len(),
                    self.max_line
                );
                let kept = dead.put(&Letter {
                    time: crate::deadletter::now(),
                    reason: "line_too_long",
                    detail: &detail,
                    topic: None,
                    payload: &p.line,
                });
                self.metrics.reject("line_too_long");
                self.metrics.dead_letter_kept("line_too_long", kept);
                std::mem::replace(&mut p.ack, AckToken::none()).ack();
                false
            });
            if batch.is_empty() {
                continue;
            }
            // Full: wait for the drainer to free room for at least the first line; meanwhile
            // nothing is taken or acked. Then append the longest prefix that fits (a batch
            // larger than the room an emptied log has would otherwise wait forever).
            let sizes: Vec<u64> = batch
                .iter()
                .map(|p| {
                    framed_len(RecordRef {
                        key: 0,
                        head: "",
                        body: p.line.as_bytes(),
                    }) as u64
                })
                .collect();
            let mut warned = false;
            let fits = loop {
                let room = blocking(&self.log, |log| log.room_without_loss()).await;
                let mut used = SEGMENT_HEADER_LEN;
                let fits = sizes
                    .iter()
                    .take_while(|&&n| {
                        used += n;
                        used <= room
                    })
                    .count();
                if fits > 0 {
                    break fits;
                }
                self.metrics.set_wal_full(true);
                if !warned {
                    warned = true;
                    tracing::warn!(
                        room,
                        "Write-ahead log full: no new messages are taken from the broker until InfluxDB stores what the log holds."
                    );
                }
                tokio::select! {
                    _ = self.done.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            };
            if warned {
                tracing::info!("Write-ahead log has room again; taking messages.");
            }
            self.metrics.set_wal_full(false);
            let rest = batch.split_off(fits);
            // The lines go to the log's thread and come back (a failed append is retried).
            let lines: Vec<String> = batch
                .iter_mut()
                .map(|p| std::mem::take(&mut p.line))
                .collect();
            let (lines, result) = blocking(&self.log, move |log| {
                let first = log.last_key().map_or(1, |k| k + 1);
                let records: Vec<RecordRef<'_>> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| RecordRef {
                        key: first + i as u64,
                        head: "",
                        body: l.as_bytes(),
                    })
                    .collect();
                let result = log
                    .append_batch(&records)
                    .map(|dropped| (dropped, log.depth()));
                drop(records);
                (lines, result)
            })
            .await;
            match result {
                Ok((dropped, depth)) => {
                    backoff.reset();
                    if let Some(d) = dropped {
                        // Cannot happen (room was checked with the lock released only between
                        // the check and the append, and only the drainer frees room), but if
                        // it did, say so loudly.
                        tracing::error!(dropped = ?d, "Write-ahead log dropped unwritten records.");
                    }
                    self.metrics.set_wal_depth(depth);
                    for p in batch.drain(..) {
                        p.ack.ack();
                    }
                    batch = rest;
                    self.appended.notify_one();
                }
                Err(e) => {
                    for (p, line) in batch.iter_mut().zip(lines) {
                        p.line = line;
                    }
                    batch.extend(rest);
                    let should_log = backoff.should_log();
                    let wait = backoff.next_delay();
                    if should_log {
                        tracing::error!(error = %e, retry_in = ?wait, "Cannot append to the write-ahead log; the messages stay unacknowledged.");
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
        // The ingest ended: nothing more comes. The log is committed by the drainer.
        if !batch.is_empty() {
            tracing::debug!(
                left = batch.len(),
                "Appender stopped with points unappended."
            );
        }
    }

    /// The drainer: hands the log's records to the sink (`tx`), marks them done as the sink
    /// reports them stored, commits once a second and deletes written segments. Stops handing
    /// out on `stop`, then waits until the sink has reported or dropped every record it holds,
    /// commits and closes the log.
    pub async fn drain(self, tx: mpsc::Sender<Pending>, stop: CancellationToken) {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<u64>();
        let mut done_tx = Some(done_tx);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut done: Vec<u64> = Vec::new();
        // Whether the log may hold records not yet handed out: set by an append (and at
        // start, for what a crash left), cleared when a feed found fewer than it had room
        // for. While it is set the drainer also wakes as soon as the sink's queue has room,
        // so the sink's batches fill to `sink.batch_lines` instead of to the queue's size.
        let mut unsent = true;
        loop {
            let feeding = done_tx.is_some() && unsent;
            tokio::select! {
                key = done_rx.recv() => match key {
                    Some(k) => {
                        done.push(k);
                        while let Ok(k) = done_rx.try_recv() {
                            done.push(k);
                        }
                        let keys = std::mem::take(&mut done);
                        blocking(&self.log, move |log| {
                            for k in keys {
                                log.ack(k);
                            }
                        })
                        .await;
                        self.done.notify_one();
                    }
                    // Every token is spent or dropped (only after `stop`).
                    None => break,
                },
                _ = self.appended.notified() => unsent = true,
                permit = tx.reserve(), if feeding => match permit {
                    // The permit only says there is room; `feed` fills it.
                    Ok(permit) => {
                        drop(permit);
                        unsent = self.feed(&tx, done_tx.as_ref()).await;
                    }
                    // The sink has stopped: nothing more can be written.
                    Err(_) => done_tx = None,
                },
                _ = tick.tick() => {
                    self.maintain().await;
                    // A record put back for a retry (`nack`) is unsent again.
                    unsent = true;
                }
                _ = stop.cancelled(), if done_tx.is_some() => {
                    // Records not handed out stay in the log for the next start.
                    done_tx = None;
                }
            }
        }
        let result = blocking(&self.log, |log| log.commit()).await;
        if let Err(e) = result {
            tracing::error!(error = %e, "Cannot commit the write-ahead log; what was stored since the last commit is written again at the next start.");
        }
        self.publish_gauges().await;
    }

    /// Hands out as many records as the sink's queue has room for; whether the log may hold
    /// more (it filled the room).
    async fn feed(
        &self,
        tx: &mpsc::Sender<Pending>,
        done: Option<&mpsc::UnboundedSender<u64>>,
    ) -> bool {
        let Some(done) = done else { return false };
        let room = tx.capacity().min(self.batch_lines);
        if room == 0 {
            return true;
        }
        let records = blocking(&self.log, move |log| log.next_unsent(room)).await;
        match records {
            Ok(records) => {
                let more = records.len() == room;
                for r in records {
                    let line = String::from_utf8(r.body).unwrap_or_else(|e| {
                        // Never happens (lines are UTF-8 and the CRC holds); keep what is there.
                        String::from_utf8_lossy(e.as_bytes()).into_owned()
                    });
                    let pending = Pending {
                        line,
                        ack: AckToken::wal(r.key, done.clone()),
                    };
                    if tx.try_send(pending).is_err() {
                        // Cannot happen (room was checked and only we send); put it back.
                        let key = r.key;
                        blocking(&self.log, move |log| log.nack(key)).await;
                        return true;
                    }
                }
                more
            }
            Err(e) => {
                tracing::error!(error = %e, "Cannot read the write-ahead log; retrying.");
                // The tick tries again.
                false
            }
        }
    }

    async fn maintain(&self) {
        let result = blocking(&self.log, |log| log.maintain()).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "Write-ahead log housekeeping failed; retrying.");
        }
        self.publish_gauges().await;
        self.done.notify_one();
    }
}

/// Whether `dir` can hold the log: created if missing, writable (a file created, fsynced and
/// removed). For `coverage-collector check`.
pub fn check_dir(dir: &Path) -> Result<(), std::io::Error> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".check.tmp");
    let f = std::fs::File::create(&probe)?;
    f.sync_all()?;
    drop(f);
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests;

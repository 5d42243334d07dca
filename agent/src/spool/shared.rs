//! [`SharedSpool`]: the spool for async code. One [`Spool`] behind a mutex; every call runs on
//! tokio's blocking pool, so an fsync never stalls the runtime's worker threads.

use super::{Dropped, Maintenance, Record, Spool, SpoolConfig, SpoolError, SpoolStats};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

/// A cloneable async handle on one [`Spool`], shared by the recorder (appends) and the
/// publisher (reads, acks, resends, housekeeping). Calls are serialised; none holds the lock
/// across an `.await`.
#[derive(Debug, Clone)]
pub struct SharedSpool {
    inner: Arc<Mutex<Spool>>,
    stats: super::SpoolStats,
}

impl SharedSpool {
    /// Wraps an open spool.
    pub fn new(spool: Spool) -> Self {
        let stats = spool.stats();
        SharedSpool {
            inner: Arc::new(Mutex::new(spool)),
            stats,
        }
    }

    /// [`Spool::open`] on the blocking pool.
    pub async fn open(dir: PathBuf, config: SpoolConfig) -> Result<Self, SpoolError> {
        let spool = match tokio::task::spawn_blocking(move || Spool::open(dir, config)).await {
            Ok(result) => result?,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => std::future::pending().await,
            },
        };
        Ok(SharedSpool::new(spool))
    }

    /// Counters for heartbeats and metrics, read without the lock.
    pub fn stats(&self) -> SpoolStats {
        self.stats.clone()
    }

    /// Runs `f` on the spool on the blocking pool; for anything the other methods do not cover
    /// (several calls under one lock, [`Spool::recovery`]).
    pub async fn with<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut Spool) -> T + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        match tokio::task::spawn_blocking(move || {
            let mut spool = inner.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut spool)
        })
        .await
        {
            Ok(v) => v,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // Cancelled: the runtime is shutting down and drops this task too.
                Err(_) => std::future::pending().await,
            },
        }
    }

    /// [`Spool::append_batch`]. Keep a copy of the records if you mean to retry after an error.
    pub async fn append_batch(&self, records: Vec<Record>) -> Result<Option<Dropped>, SpoolError> {
        self.with(move |s| s.append_batch(&records)).await
    }

    /// [`Spool::next_unsent`].
    pub async fn next_unsent(&self, max: usize) -> Result<Vec<Record>, SpoolError> {
        self.with(move |s| s.next_unsent(max)).await
    }

    /// [`Spool::ack`] for each seq; returns how many were in flight.
    pub async fn ack(&self, seqs: Vec<u64>) -> usize {
        self.with(move |s| seqs.into_iter().filter(|&q| s.ack(q)).count())
            .await
    }

    /// [`Spool::nack`].
    pub async fn nack(&self, seq: u64) -> bool {
        self.with(move |s| s.nack(seq)).await
    }

    /// [`Spool::rewind`].
    pub async fn rewind(&self) {
        self.with(Spool::rewind).await
    }

    /// [`Spool::resend`].
    pub async fn resend(&self, seq_from: u64, seq_to: u64) -> Result<Vec<Record>, SpoolError> {
        self.with(move |s| s.resend(seq_from, seq_to)).await
    }

    /// [`Spool::maintain`]: commit acks and delete expired segments; call about once a second.
    pub async fn maintain(&self) -> Result<Maintenance, SpoolError> {
        self.with(Spool::maintain).await
    }

    /// [`Spool::commit`]; call on shutdown.
    pub async fn commit(&self) -> Result<bool, SpoolError> {
        self.with(Spool::commit).await
    }
}

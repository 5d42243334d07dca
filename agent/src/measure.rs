//! The hand-off between measuring and recording.
//!
//! Every measuring task (a modem sampler, a probe) sends [`Measurement`]s on an mpsc channel.
//! Measuring never waits on the network: the recorder only appends to the local spool.

use chrono::{DateTime, Utc};
use coverage_shared::wire::Body;

/// One measured value, before the recorder gives it a header.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// When it was measured (the reading's `ts`).
    pub ts: DateTime<Utc>,
    /// What was measured.
    pub body: Body,
}

/// Where measuring tasks send their results.
pub type MeasureTx = tokio::sync::mpsc::Sender<Measurement>;

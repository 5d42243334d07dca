//! The log's bounds: how much disk it may use, how large a segment grows, how long fully
//! acknowledged segments stay. Plain values; each user has its own serde config section and
//! builds this from it.

use crate::LogError;
use std::time::Duration;

/// The smallest `segment_bytes` accepted: below it the per-segment overhead (a file, a header,
/// an fsync of the directory) dominates.
pub const MIN_SEGMENT_BYTES: u64 = 1024;

/// Bounds of one log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogConfig {
    /// Bound on the bytes of all segment files together. When an append would pass it, the
    /// oldest segments are deleted (fully acknowledged ones first) and unacknowledged records
    /// lost that way are counted.
    pub max_bytes: u64,
    /// Size at which the segment being written is closed and a new one started. A batch is
    /// never split, so one segment may exceed this by at most one batch.
    pub segment_bytes: u64,
    /// How long a fully acknowledged segment is kept, counted from the moment it became fully
    /// acknowledged (`Duration::ZERO`: deleted by the next [`crate::SegLog::maintain`]).
    pub keep_sent: Duration,
}

impl LogConfig {
    /// Checks the bounds together; the error names the field at fault.
    pub fn validate(&self) -> Result<(), LogError> {
        if self.segment_bytes < MIN_SEGMENT_BYTES {
            return Err(LogError::Config {
                key: "segment_bytes",
                reason: format!(
                    "is {}, the minimum is {MIN_SEGMENT_BYTES}",
                    self.segment_bytes
                ),
            });
        }
        if self.max_bytes < 2 * self.segment_bytes {
            return Err(LogError::Config {
                key: "max_bytes",
                reason: format!(
                    "is {}, it must hold at least two segments (2 x segment_bytes = {})",
                    self.max_bytes,
                    2 * self.segment_bytes
                ),
            });
        }
        Ok(())
    }
}

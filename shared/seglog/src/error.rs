//! The log's error type: one enum, the context (path, segment, key) in the variant.

use std::io;
use std::path::PathBuf;
use thiserror::Error;

/// Why a log operation failed.
///
/// Damage found in the files is never an error (it is skipped and counted, see the crate doc);
/// these are failures of the disk or of the caller.
#[derive(Debug, Error)]
pub enum LogError {
    /// A file system operation outside any one segment failed (directory, ack state, lock).
    #[error("segment log: cannot {what} {}", path.display())]
    Io {
        /// What was being done, as a verb phrase ("create directory").
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// An operation on one segment file failed.
    #[error("segment {id}: cannot {what} {}", path.display())]
    Segment {
        /// The segment id (the number in the file name).
        id: u64,
        /// What was being done ("write", "fsync", "read").
        what: &'static str,
        /// The segment file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Another process holds the log directory.
    #[error("segment log directory {} is in use by another process", path.display())]
    Locked {
        /// The log directory.
        path: PathBuf,
    },
    /// A setting is out of range.
    #[error("segment log config: `{key}` {reason}")]
    Config {
        /// The field at fault, e.g. `max_bytes`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A record cannot be stored (too large); nothing of the batch was written.
    #[error("segment log: record {key} cannot be stored: {what}")]
    InvalidRecord {
        /// Its key.
        key: u64,
        /// What is wrong.
        what: String,
    },
    /// A batch does not continue the key order; nothing of the batch was written.
    #[error("segment log: key {key} is not above the previous key {last} (keys must increase)")]
    KeyOrder {
        /// The offending key.
        key: u64,
        /// The key it should have been above.
        last: u64,
    },
    /// A batch larger than the whole bound; nothing was written (split it).
    #[error("segment log: a batch of {bytes} bytes can never fit in max_bytes = {max_bytes}")]
    BatchTooLarge {
        /// Framed size of the batch.
        bytes: u64,
        /// The bound.
        max_bytes: u64,
    },
}

//! The spool's error type: one enum, the context (path, segment, seq) in the variant; the
//! segment log's errors mapped onto it, so messages and variants stay the spool's.

use coverage_seglog::LogError;
use std::io;
use std::path::PathBuf;
use thiserror::Error;

/// Why a spool operation failed.
///
/// Damage found in the files is never an error (it is skipped and counted, see the module doc
/// of [`crate::spool`]); these are failures of the disk or of the caller.
#[derive(Debug, Error)]
pub enum SpoolError {
    /// A file system operation outside any one segment failed (directory, ack state, lock).
    #[error("spool: cannot {what} {}", path.display())]
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
    #[error("spool segment {id}: cannot {what} {}", path.display())]
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
    /// Another process holds the spool directory.
    #[error("spool directory {} is in use by another process", path.display())]
    Locked {
        /// The spool directory.
        path: PathBuf,
    },
    /// A setting is out of range.
    #[error("spool config: `{key}` {reason}")]
    Config {
        /// The key at fault, e.g. `spool.max_bytes`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A record cannot be stored (too large); nothing of the batch was written.
    #[error("spool: reading seq {seq} cannot be stored: {what}")]
    InvalidRecord {
        /// Its seq.
        seq: u64,
        /// What is wrong.
        what: String,
    },
    /// A batch does not continue the seq order; nothing of the batch was written.
    #[error(
        "spool: seq {seq} is not above the previous seq {last} (seqs must increase; \
         a spool directory belongs to one run)"
    )]
    SeqOrder {
        /// The offending seq.
        seq: u64,
        /// The seq it should have been above.
        last: u64,
    },
    /// A batch larger than the whole bound; nothing was written (split it).
    #[error("spool: a batch of {bytes} bytes can never fit in spool.max_bytes = {max_bytes}")]
    BatchTooLarge {
        /// Framed size of the batch.
        bytes: u64,
        /// The bound.
        max_bytes: u64,
    },
}

impl From<LogError> for SpoolError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Io { what, path, source } => SpoolError::Io { what, path, source },
            LogError::Segment {
                id,
                what,
                path,
                source,
            } => SpoolError::Segment {
                id,
                what,
                path,
                source,
            },
            LogError::Locked { path } => SpoolError::Locked { path },
            // `SpoolConfig::validate` runs first with the same rules; this only names the key.
            LogError::Config { key, reason } => SpoolError::Config {
                key: match key {
                    "segment_bytes" => "spool.segment_bytes",
                    "max_bytes" => "spool.max_bytes",
                    _ => "spool",
                },
                reason,
            },
            LogError::InvalidRecord { key, what } => SpoolError::InvalidRecord { seq: key, what },
            LogError::KeyOrder { key, last } => SpoolError::SeqOrder { seq: key, last },
            LogError::BatchTooLarge { bytes, max_bytes } => {
                SpoolError::BatchTooLarge { bytes, max_bytes }
            }
        }
    }
}

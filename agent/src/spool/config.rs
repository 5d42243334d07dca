//! `[spool]` settings: how much disk the spool may use and how long delivered readings stay.

use super::SpoolError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The smallest `segment_bytes` accepted: below it the per-segment overhead (a file, a header,
/// an fsync of the directory) dominates.
pub const MIN_SEGMENT_BYTES: u64 = coverage_seglog::MIN_SEGMENT_BYTES;

/// `[spool]` in the agent config.
///
/// ```toml
/// [spool]
/// max_bytes = 67108864     # 64 MiB on disk, all segments together
/// segment_bytes = 1048576  # 1 MiB per segment file
/// keep_sent = "24h"        # keep delivered readings this long for resend requests
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolConfig {
    /// Bound on the bytes of all segment files together. When an append would pass it, the
    /// oldest segments are deleted (delivered ones first) and undelivered readings lost that way
    /// are counted: a full spool loses old readings rather than stop measuring.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Size at which the segment being written is closed and a new one started. Smaller
    /// segments free space and expire in finer steps; larger ones mean fewer files. A batch is
    /// never split, so one segment may exceed this by at most one batch.
    #[serde(default = "default_segment_bytes")]
    pub segment_bytes: u64,
    /// How long a fully acknowledged segment is kept, counted from the moment it became fully
    /// acknowledged, so the collector can ask for its readings again
    /// (`coverage/v1/{site}/resend`).
    #[serde(default = "default_keep_sent", with = "humantime_serde")]
    pub keep_sent: Duration,
}

/// Default `max_bytes`: 64 MiB, days of readings at a few per minute.
pub fn default_max_bytes() -> u64 {
    64 * 1024 * 1024
}

/// Default `segment_bytes`: 1 MiB, one sixty-fourth of the default bound.
pub fn default_segment_bytes() -> u64 {
    1024 * 1024
}

/// Default `keep_sent`: 24 hours (DESIGN.md, delivery guarantees).
pub fn default_keep_sent() -> Duration {
    Duration::from_secs(24 * 3600)
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            max_bytes: default_max_bytes(),
            segment_bytes: default_segment_bytes(),
            keep_sent: default_keep_sent(),
        }
    }
}

impl SpoolConfig {
    /// Checks the settings together; the error names the key at fault.
    pub fn validate(&self) -> Result<(), SpoolError> {
        if self.segment_bytes < MIN_SEGMENT_BYTES {
            return Err(SpoolError::Config {
                key: "spool.segment_bytes",
                reason: format!(
                    "is {}, the minimum is {MIN_SEGMENT_BYTES}",
                    self.segment_bytes
                ),
            });
        }
        if self.max_bytes < 2 * self.segment_bytes {
            return Err(SpoolError::Config {
                key: "spool.max_bytes",
                reason: format!(
                    "is {}, it must hold at least two segments (2 x segment_bytes = {})",
                    self.max_bytes,
                    2 * self.segment_bytes
                ),
            });
        }
        Ok(())
    }

    /// The bounds of the segment log under the spool.
    pub(crate) fn log_config(&self) -> coverage_seglog::LogConfig {
        coverage_seglog::LogConfig {
            max_bytes: self.max_bytes,
            segment_bytes: self.segment_bytes,
            keep_sent: self.keep_sent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_toml_with_defaults_and_rejects_unknown_keys() {
        let c: SpoolConfig = toml::from_str("").unwrap();
        assert_eq!(c, SpoolConfig::default());
        assert_eq!(c.keep_sent, Duration::from_secs(86_400));
        let c: SpoolConfig =
            toml::from_str("max_bytes = 4096\nsegment_bytes = 2048\nkeep_sent = \"90m\"").unwrap();
        assert_eq!(c.keep_sent, Duration::from_secs(5400));
        c.validate().unwrap();
        assert!(toml::from_str::<SpoolConfig>("max_byte = 1").is_err());
    }

    #[test]
    fn validation_names_the_key() {
        let c = SpoolConfig {
            segment_bytes: 10,
            ..Default::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("spool.segment_bytes")
        );
        let c = SpoolConfig {
            max_bytes: 1024 * 1024,
            ..Default::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("spool.max_bytes")
        );
    }
}

//! The error type of both daemons' TOML configuration: every message names the file, and the
//! key where one is at fault (`agent.toml: mqtt.username: ...`).

use std::path::PathBuf;
use thiserror::Error;

/// Why a configuration file cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{file}: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The TOML does not parse, or has unknown or mistyped keys (toml's message names the key,
    /// line and column).
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: PathBuf,
        /// What the TOML parser said.
        message: String,
    },
    /// A value is not acceptable.
    #[error("{file}: {key}: {message}")]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The key (`influx.org`, `sites[3].id`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

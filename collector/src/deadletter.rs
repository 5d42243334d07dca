//! A bounded dead-letter file: every rejected message and every point the store refused is
//! kept here, one JSON object per line, for inspection.
//!
//! Bounded by size: when the file would exceed `max_bytes`, it is renamed to `<name>.1`
//! (replacing the previous one) and a new file is started, so at most twice `max_bytes` is
//! kept. Writing here never fails the caller: an I/O error is logged and counted instead,
//! because the reading it describes has already been refused for its own reason.

use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `[dead_letter]`: where refused messages and points are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// JSON-lines file; relative to the config file's directory.
    #[serde(default = "default_dead_letter_path")]
    pub path: PathBuf,
    /// Size at which the file is rotated (one old file is kept).
    #[serde(default = "default_dead_letter_bytes")]
    pub max_bytes: u64,
}

fn default_dead_letter_path() -> PathBuf {
    PathBuf::from("dead-letter.jsonl")
}

fn default_dead_letter_bytes() -> u64 {
    16 * 1024 * 1024
}

impl Default for DeadLetterConfig {
    fn default() -> Self {
        DeadLetterConfig {
            path: default_dead_letter_path(),
            max_bytes: default_dead_letter_bytes(),
        }
    }
}

/// One dead-lettered item.
#[derive(Debug, Serialize)]
pub struct Letter<'a> {
    /// When it was refused (RFC 3339, collector clock).
    pub time: String,
    /// Stable reason code (`not_json`, `influx_rejected`, ...).
    pub reason: &'a str,
    /// Human-readable detail: what is wrong and where.
    pub detail: &'a str,
    /// MQTT topic, when it came from MQTT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<&'a str>,
    /// The payload or line, lossily decoded as UTF-8.
    pub payload: &'a str,
}

/// The dead-letter file.
#[derive(Debug)]
pub struct DeadLetters {
    path: Option<PathBuf>,
    max_bytes: u64,
    lock: Mutex<()>,
}

impl DeadLetters {
    /// Dead letters go to `path`, rotated at `max_bytes`; `None` keeps them only in the log.
    pub fn new(path: Option<&Path>, max_bytes: u64) -> DeadLetters {
        DeadLetters {
            path: path.map(Path::to_owned),
            max_bytes,
            lock: Mutex::new(()),
        }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one letter.
    pub fn put(&self, letter: &Letter<'_>) {
        let Some(path) = &self.path else { return };
        let mut line = serde_json::to_string(letter).unwrap_or_default();
        line.push('\n');
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = self.append(path, &line) {
            tracing::error!(path = %path.display(), error = %e, "Cannot write the dead-letter file; the refused item is only in this log.");
        }
    }

    fn append(&self, path: &Path, line: &str) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            let mut rotated = path.as_os_str().to_owned();
            rotated.push(".1");
            fs::rename(path, PathBuf::from(rotated))?;
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?
            .write_all(line.as_bytes())
    }
}

/// Now, for letters.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_json_lines_and_rotates_at_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl/dead.jsonl");
        let dl = DeadLetters::new(Some(&path), 400);
        for i in 0..10 {
            let payload = format!("payload {i} {}", "x".repeat(50));
            dl.put(&Letter {
                time: now(),
                reason: "not_json",
                detail: "d",
                topic: Some("t"),
                payload: &payload,
            });
        }
        let cur = fs::read_to_string(&path).unwrap();
        let old = fs::read_to_string(dir.path().join("dl/dead.jsonl.1")).unwrap();
        assert!(cur.len() <= 400 && old.len() <= 400);
        let last: serde_json::Value = serde_json::from_str(cur.lines().last().unwrap()).unwrap();
        assert!(last["payload"].as_str().unwrap().starts_with("payload 9"));
        assert_eq!(last["reason"], "not_json");
    }
}

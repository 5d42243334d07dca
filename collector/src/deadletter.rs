//! A bounded dead-letter file: every rejected message and every point the store refused is
//! kept here, one JSON object per line, for inspection.
//!
//! Bounded three ways, so a flood of one kind of bad input cannot push the evidence of every
//! other kind out:
//!
//! - **per letter**: a letter keeps the first `prefix_bytes` of its payload (default 1 KiB),
//!   with the payload's full length and SHA-256, so a 200 KB payload costs about 1.3 KB and can
//!   still be matched against the agent's spool or a capture;
//! - **per reason**: no reason (`not_json`, `bad_field`, `influx_rejected`, ...) takes more
//!   than `reason_share` of `max_bytes` in the current file; past it, its letters are counted
//!   ([`crate::metrics::Metrics`] `dead_letters_suppressed`), not kept, and one letter says
//!   so, until the file rotates;
//! - **per file**: when the file would exceed `max_bytes`, it is renamed to `<name>.1`
//!   (replacing the previous one) and a new file is started, so at most twice `max_bytes` is
//!   kept.
//!
//! Writing here never fails the caller: an I/O error is logged instead, because the reading it
//! describes has already been refused for its own reason. The per-reason tallies of an
//! existing file are read back at start, so a restart does not reset the shares.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
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
    /// Bytes of each payload kept (its length and SHA-256 are always kept).
    #[serde(default = "default_prefix_bytes")]
    pub prefix_bytes: usize,
    /// Largest share of `max_bytes` one reason may take in the current file, 0 < share <= 1.
    #[serde(default = "default_reason_share")]
    pub reason_share: f64,
}

fn default_prefix_bytes() -> usize {
    1024
}

fn default_reason_share() -> f64 {
    0.25
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
            prefix_bytes: default_prefix_bytes(),
            reason_share: default_reason_share(),
        }
    }
}

impl DeadLetterConfig {
    /// Checks the bounds; the error is the key and what is wrong with its value.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(self.reason_share > 0.0 && self.reason_share <= 1.0) {
            return Err((
                "dead_letter.reason_share",
                format!("{} must be above 0 and at most 1", self.reason_share),
            ));
        }
        if self.max_bytes < 4096 {
            return Err((
                "dead_letter.max_bytes",
                format!("{} must be at least 4096", self.max_bytes),
            ));
        }
        Ok(())
    }
}

/// One dead-lettered item, as the caller gives it.
#[derive(Debug)]
pub struct Letter<'a> {
    /// When it was refused (RFC 3339, collector clock).
    pub time: String,
    /// Stable reason code (`not_json`, `influx_rejected`, ...).
    pub reason: &'a str,
    /// Human-readable detail: what is wrong and where.
    pub detail: &'a str,
    /// MQTT topic, when it came from MQTT.
    pub topic: Option<&'a str>,
    /// The payload or line, lossily decoded as UTF-8.
    pub payload: &'a str,
}

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    /// When it was refused.
    pub time: String,
    /// Stable reason code.
    pub reason: String,
    /// What is wrong and where.
    pub detail: String,
    /// MQTT topic, when it came from MQTT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The payload's first `prefix_bytes` (cut at a character boundary).
    pub payload: String,
    /// The payload's full length in bytes (of its UTF-8 text).
    pub payload_bytes: usize,
    /// SHA-256 of the whole payload text, hex.
    pub payload_sha256: String,
    /// Whether `payload` is only a prefix.
    pub truncated: bool,
}

/// Whether a letter was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Written to the file (or there is no file: only the log has it).
    Yes,
    /// Its reason had used its share of the file: counted only.
    Suppressed,
}

/// The longest prefix of `s` of at most `max` bytes that ends at a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[derive(Debug, Default)]
struct Tally {
    /// Bytes per reason in the current file.
    bytes: HashMap<String, u64>,
    /// Reasons whose "share used" note is in the current file.
    noted: std::collections::HashSet<String>,
    /// Whether the existing file was read back.
    loaded: bool,
}

/// The dead-letter file.
#[derive(Debug)]
pub struct DeadLetters {
    path: Option<PathBuf>,
    max_bytes: u64,
    prefix_bytes: usize,
    reason_share: f64,
    tally: Mutex<Tally>,
}

impl DeadLetters {
    /// Dead letters go to `path`, bounded as `cfg` says; `None` keeps them only in the log.
    pub fn new(path: Option<&Path>, cfg: &DeadLetterConfig) -> DeadLetters {
        DeadLetters {
            path: path.map(Path::to_owned),
            max_bytes: cfg.max_bytes,
            prefix_bytes: cfg.prefix_bytes,
            reason_share: cfg.reason_share,
            tally: Mutex::new(Tally::default()),
        }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The most one reason may take in the current file.
    fn reason_cap(&self) -> u64 {
        (self.max_bytes as f64 * self.reason_share) as u64
    }

    /// Appends one letter, unless its reason has used its share of the file.
    pub fn put(&self, letter: &Letter<'_>) -> Kept {
        let Some(path) = &self.path else {
            return Kept::Yes;
        };
        let payload = prefix(letter.payload, self.prefix_bytes);
        let record = Record {
            time: letter.time.clone(),
            reason: letter.reason.to_owned(),
            detail: prefix(letter.detail, self.prefix_bytes).to_owned(),
            topic: letter.topic.map(|t| prefix(t, 256).to_owned()),
            payload: payload.to_owned(),
            payload_bytes: letter.payload.len(),
            payload_sha256: hex::encode(Sha256::digest(letter.payload.as_bytes())),
            truncated: payload.len() < letter.payload.len(),
        };
        let mut line = serde_json::to_string(&record).unwrap_or_default();
        line.push('\n');
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        if !tally.loaded {
            tally.loaded = true;
            read_back(path, &mut tally);
        }
        let used = tally.bytes.get(letter.reason).copied().unwrap_or(0);
        let result = if used + line.len() as u64 > self.reason_cap() {
            if tally.noted.contains(letter.reason) {
                return Kept::Suppressed;
            }
            // One note per reason and file says why the rest of them is missing.
            let detail = format!(
                "reason {} used its share ({} of {} bytes) of this file; further letters of it are counted (coverage_collector_dead_letters_suppressed), not kept, until the file rotates",
                letter.reason,
                self.reason_cap(),
                self.max_bytes
            );
            let note = Record {
                time: letter.time.clone(),
                reason: letter.reason.to_owned(),
                detail,
                topic: None,
                payload: String::new(),
                payload_bytes: 0,
                payload_sha256: String::new(),
                truncated: false,
            };
            let mut note_line = serde_json::to_string(&note).unwrap_or_default();
            note_line.push('\n');
            tally.noted.insert(letter.reason.to_owned());
            self.append(path, &note_line, letter.reason, &mut tally)
                .map(|()| Kept::Suppressed)
        } else {
            self.append(path, &line, letter.reason, &mut tally)
                .map(|()| Kept::Yes)
        };
        result.unwrap_or_else(|e| {
            tracing::error!(path = %path.display(), error = %e, "Cannot write the dead-letter file; the refused item is only in this log.");
            Kept::Yes
        })
    }

    fn append(
        &self,
        path: &Path,
        line: &str,
        reason: &str,
        tally: &mut Tally,
    ) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            let mut rotated = path.as_os_str().to_owned();
            rotated.push(".1");
            fs::rename(path, PathBuf::from(rotated))?;
            tally.bytes.clear();
            tally.noted.clear();
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?
            .write_all(line.as_bytes())?;
        *tally.bytes.entry(reason.to_owned()).or_default() += line.len() as u64;
        Ok(())
    }
}

/// Rebuilds the per-reason tallies from an existing file (after a restart).
fn read_back(path: &Path, tally: &mut Tally) {
    let Ok(text) = fs::read_to_string(path) else {
        return;
    };
    for line in text.lines() {
        let reason = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "unreadable".to_owned());
        *tally.bytes.entry(reason).or_default() += line.len() as u64 + 1;
    }
}

/// Now, for letters.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max_bytes: u64, prefix_bytes: usize, reason_share: f64) -> DeadLetterConfig {
        DeadLetterConfig {
            path: PathBuf::from("unused"),
            max_bytes,
            prefix_bytes,
            reason_share,
        }
    }

    fn put(dl: &DeadLetters, reason: &str, payload: &str) -> Kept {
        dl.put(&Letter {
            time: now(),
            reason,
            detail: "d",
            topic: Some("t"),
            payload,
        })
    }

    fn records(path: &Path) -> Vec<Record> {
        fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn appends_json_lines_and_rotates_at_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dl/dead.jsonl");
        let dl = DeadLetters::new(Some(&path), &cfg(2000, 1024, 1.0));
        for i in 0..30 {
            put(&dl, "not_json", &format!("payload {i} {}", "x".repeat(50)));
        }
        let cur = fs::read_to_string(&path).unwrap();
        let old = fs::read_to_string(dir.path().join("dl/dead.jsonl.1")).unwrap();
        assert!(cur.len() <= 2000 && old.len() <= 2000);
        let last = records(&path).pop().unwrap();
        assert!(last.payload.starts_with("payload 29"));
        assert_eq!(last.reason, "not_json");
        assert!(!last.truncated);
    }

    #[test]
    fn a_large_payload_keeps_a_prefix_its_length_and_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let dl = DeadLetters::new(Some(&path), &cfg(1 << 20, 100, 1.0));
        // 200 KB of 3-byte characters: the cut must fall on a character boundary.
        let payload = "ệ".repeat(70_000);
        assert_eq!(put(&dl, "not_json", &payload), Kept::Yes);
        let r = records(&path).pop().unwrap();
        assert_eq!(r.payload_bytes, 210_000);
        assert!(r.truncated);
        assert_eq!(r.payload, "ệ".repeat(33));
        assert_eq!(
            r.payload_sha256,
            hex::encode(Sha256::digest(payload.as_bytes()))
        );
        assert!(fs::metadata(&path).unwrap().len() < 600);
    }

    /// The flood of the issue: 1,000 random 200 KB payloads once rotated out every earlier
    /// entry in 2 s. Now the flood takes at most its share and the earlier evidence stays.
    #[test]
    fn a_flood_of_one_reason_cannot_push_the_others_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let dl = DeadLetters::new(Some(&path), &cfg(64 * 1024, 1024, 0.25));
        for i in 0..5 {
            assert_eq!(put(&dl, "bad_field", &format!("evidence {i}")), Kept::Yes);
        }
        let big = "z".repeat(200_000);
        let kept = (0..1000)
            .filter(|_| put(&dl, "not_json", &big) == Kept::Yes)
            .count();
        assert!(kept > 5 && kept < 20, "{kept}");
        assert!(!dir.path().join("dead.jsonl.1").exists());
        let all = records(&path);
        let evidence = all.iter().filter(|r| r.reason == "bad_field").count();
        assert_eq!(evidence, 5);
        let flood: u64 = all
            .iter()
            .filter(|r| r.reason == "not_json")
            .map(|r| serde_json::to_string(r).unwrap().len() as u64 + 1)
            .sum();
        assert!(flood <= 16 * 1024 + 600, "{flood}");
        // One note says the rest of the flood is counted, not kept.
        let notes: Vec<_> = all
            .iter()
            .filter(|r| r.detail.contains("used its share"))
            .collect();
        assert_eq!(notes.len(), 1);
        // Another reason still gets in.
        assert_eq!(put(&dl, "future_ts", "late"), Kept::Yes);
    }

    #[test]
    fn shares_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let c = cfg(8192, 1024, 0.25);
        let dl = DeadLetters::new(Some(&path), &c);
        while put(&dl, "not_json", &"q".repeat(500)) == Kept::Yes {}
        drop(dl);
        let again = DeadLetters::new(Some(&path), &c);
        assert_eq!(put(&again, "not_json", &"q".repeat(500)), Kept::Suppressed);
        assert_eq!(put(&again, "too_old", "x"), Kept::Yes);
    }

    #[test]
    fn bounds_are_validated_with_the_key() {
        assert!(cfg(1 << 20, 1024, 0.25).validate().is_ok());
        let (key, _) = cfg(1 << 20, 1024, 0.0).validate().unwrap_err();
        assert_eq!(key, "dead_letter.reason_share");
        let (key, problem) = cfg(100, 1024, 0.5).validate().unwrap_err();
        assert_eq!(key, "dead_letter.max_bytes");
        assert!(problem.contains("at least 4096"), "{problem}");
    }
}

//! Whether the box's clock is synchronised, and since when: `clock_synced` in every reading and
//! `clock_sync_age_s` in heartbeats.
//!
//! Sources, in order:
//!
//! 1. `/run/systemd/timesync/synchronized`: systemd-timesyncd creates it once the clock is
//!    synchronised and touches it at every successful sync, so its age is the sync age.
//! 2. `timedatectl show -p NTPSynchronized --value` (`yes`/`no`): the kernel's view (works with
//!    chrony and ntpd too), without an age.
//! 3. Otherwise unknown: the field is left out, which the audit treats as "not known to be
//!    wrong" (only an explicit `false` excludes a sample).
//!
//! The value is cached and refreshed by the heartbeat task, so stamping a reading never runs
//! a command.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

const UNKNOWN: u8 = 0;
const NOT_SYNCED: u8 = 1;
const SYNCED: u8 = 2;
const NO_AGE: u64 = u64::MAX;

/// The cached clock status, cheap to clone and read.
#[derive(Debug, Clone)]
pub struct ClockWatch {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    status: AtomicU8,
    age_ms: AtomicU64,
    timesyncd_file: PathBuf,
}

impl Default for ClockWatch {
    fn default() -> Self {
        Self::new()
    }
}

impl ClockWatch {
    /// A watch over the system's sources; unknown until the first [`ClockWatch::refresh`].
    pub fn new() -> ClockWatch {
        Self::with_file(PathBuf::from("/run/systemd/timesync/synchronized"))
    }

    /// A watch reading the timesyncd marker at `path` (tests).
    pub fn with_file(path: PathBuf) -> ClockWatch {
        ClockWatch {
            inner: Arc::new(Inner {
                status: AtomicU8::new(UNKNOWN),
                age_ms: AtomicU64::new(NO_AGE),
                timesyncd_file: path,
            }),
        }
    }

    /// A watch fixed at `synced` (the demo's simulated agents).
    pub fn fixed(synced: Option<bool>) -> ClockWatch {
        let w = Self::with_file(PathBuf::new());
        w.set(synced, None);
        w
    }

    fn set(&self, synced: Option<bool>, age: Option<Duration>) {
        let s = match synced {
            Some(true) => SYNCED,
            Some(false) => NOT_SYNCED,
            None => UNKNOWN,
        };
        self.inner.status.store(s, Ordering::Relaxed);
        let age = age.map_or(NO_AGE, |a| {
            u64::try_from(a.as_millis()).unwrap_or(NO_AGE - 1)
        });
        self.inner.age_ms.store(age, Ordering::Relaxed);
    }

    /// `Some(true)`/`Some(false)` when known.
    pub fn synced(&self) -> Option<bool> {
        match self.inner.status.load(Ordering::Relaxed) {
            SYNCED => Some(true),
            NOT_SYNCED => Some(false),
            _ => None,
        }
    }

    /// Seconds since the last synchronisation, when known.
    pub fn age_s(&self) -> Option<f64> {
        match self.inner.age_ms.load(Ordering::Relaxed) {
            NO_AGE => None,
            ms => Some(ms as f64 / 1000.0),
        }
    }

    /// Reads the sources again.
    pub async fn refresh(&self) {
        if self.inner.timesyncd_file.as_os_str().is_empty() {
            return;
        }
        if let Ok(meta) = tokio::fs::metadata(&self.inner.timesyncd_file).await {
            let age = meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok());
            self.set(Some(true), age);
            return;
        }
        let out = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::process::Command::new("timedatectl")
                .args(["show", "-p", "NTPSynchronized", "--value"])
                .output(),
        )
        .await;
        let synced = match out {
            Ok(Ok(o)) if o.status.success() => match String::from_utf8_lossy(&o.stdout).trim() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            _ => None,
        };
        self.set(synced, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timesyncd_marker_gives_synced_and_age() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("synchronized");
        std::fs::write(&marker, b"").unwrap();
        let w = ClockWatch::with_file(marker);
        assert_eq!(w.synced(), None, "unknown before the first refresh");
        w.refresh().await;
        assert_eq!(w.synced(), Some(true));
        let age = w.age_s().unwrap();
        assert!((0.0..5.0).contains(&age), "{age}");
    }

    #[test]
    fn fixed_values() {
        assert_eq!(ClockWatch::fixed(Some(false)).synced(), Some(false));
        assert_eq!(ClockWatch::fixed(None).synced(), None);
        assert_eq!(ClockWatch::fixed(Some(true)).age_s(), None);
    }
}

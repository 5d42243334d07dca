//! The `state` check: the state directory is writable (or creatable), with the run id and the
//! spool's depth when present; and whether a running agent holds the spool, which decides
//! whether serial modems may be opened.
//!
//! The spool is opened only when no running agent holds its lock; the write test leaves
//! nothing behind.

use super::report::Check;
use crate::config::AgentConfig;
use crate::spool::{Spool, SpoolConfig, SpoolError};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Whether the state directory is usable, with the run id and the spool's depth when present.
/// Writes (and removes) one small file in the directory; opens the spool only if it exists,
/// and only when no running agent holds it.
pub fn state_check(dir: &Path, spool: &SpoolConfig) -> Check {
    let name = "state";
    let not_writable_fix = format!(
        "the agent's user must be able to write {}: under systemd the unit's StateDirectory= \
         creates it (run check with sudo to see what the agent sees), otherwise \
         `chown` it to the agent's user",
        dir.display()
    );
    if !dir.exists() {
        let Some(ancestor) = dir
            .ancestors()
            .skip(1)
            .map(|a| {
                if a.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    a
                }
            })
            .find(|a| a.is_dir())
        else {
            return Check::fail(
                name,
                format!("{} does not exist", dir.display()),
                not_writable_fix,
            );
        };
        return match rustix::fs::access(ancestor, rustix::fs::Access::WRITE_OK) {
            Ok(()) => Check::pass(
                name,
                format!(
                    "{} does not exist yet; the agent creates it ({} is writable)",
                    dir.display(),
                    ancestor.display()
                ),
            ),
            Err(e) => Check::fail(
                name,
                format!(
                    "{} does not exist and cannot be created: {}: {e}",
                    dir.display(),
                    ancestor.display()
                ),
                not_writable_fix,
            ),
        };
    }
    if !dir.is_dir() {
        return Check::fail(
            name,
            format!("{} is not a directory", dir.display()),
            "set state_dir to a directory (default /var/lib/coverage-agent)",
        );
    }
    let probe_file = dir.join(format!(".check-{}", std::process::id()));
    let written = std::fs::File::create(&probe_file)
        .and_then(|mut f| {
            use std::io::Write;
            f.write_all(b"check\n")?;
            f.sync_all()
        })
        .and_then(|()| std::fs::remove_file(&probe_file));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&probe_file);
        return Check::fail(
            name,
            format!("cannot write in {}: {e}", dir.display()),
            not_writable_fix,
        );
    }
    let mut detail = format!("{} writable", dir.display());
    match std::fs::read_to_string(dir.join("run")) {
        Ok(run) => {
            let _ = write!(detail, "; run {}", run.trim());
        }
        Err(_) => detail.push_str("; no run id yet (the agent creates one at its first start)"),
    }
    let spool_dir = dir.join("spool");
    if !spool_dir.is_dir() {
        return Check::pass(name, detail);
    }
    match Spool::open(&spool_dir, spool.clone()) {
        Ok(s) => {
            let _ = write!(
                detail,
                "; spool: {} unsent reading{} in {} segment{}",
                s.depth(),
                if s.depth() == 1 { "" } else { "s" },
                s.segment_count(),
                if s.segment_count() == 1 { "" } else { "s" }
            );
            if s.corrupt() > 0 {
                let _ = write!(detail, ", {} damaged region(s) skipped", s.corrupt());
                return Check::warn(
                    name,
                    detail,
                    "the spool skipped damaged records (power loss or a failing SD card); if it \
                     recurs, replace the SD card",
                );
            }
            Check::pass(name, detail)
        }
        Err(SpoolError::Locked { .. }) => {
            detail.push_str("; spool in use by the running agent (its depth is in heartbeats)");
            Check::pass(name, detail)
        }
        Err(e) => Check::fail(
            name,
            format!("{detail}; spool unusable: {e}"),
            "the agent cannot open its spool: check permissions and free space on the state \
             directory's file system (`df -h`)",
        ),
    }
}

/// Whether a running agent holds the spool of `state_dir` (its `flock`), tested without
/// waiting and without creating anything.
pub fn agent_running(state_dir: &Path) -> bool {
    let Ok(f) = std::fs::File::open(state_dir.join("spool").join("lock")) else {
        return false;
    };
    matches!(
        rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockShared),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK
    )
}

pub(super) async fn check_state(cfg: &AgentConfig, limit: Duration) -> Check {
    let dir = cfg.state_dir.clone();
    let spool = cfg.spool.clone();
    match tokio::time::timeout(
        limit,
        tokio::task::spawn_blocking(move || state_check(&dir, &spool)),
    )
    .await
    {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => Check::fail("state", format!("check failed: {e}"), "report this bug"),
        Err(_) => Check::fail(
            "state",
            format!(
                "{} did not answer within {limit:?}",
                cfg.state_dir.display()
            ),
            "the state directory's storage hangs: check the SD card or disk (`dmesg`)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    #[test]
    fn state_dir_checks() {
        let dir = tempfile::tempdir().unwrap();
        let c = state_check(&dir.path().join("new"), &SpoolConfig::default());
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(c.detail.contains("does not exist yet"));
        let c = state_check(
            Path::new("relative-state-dir-that-does-not-exist"),
            &SpoolConfig::default(),
        );
        assert_eq!(
            c.status,
            Status::Pass,
            "a relative path resolves against `.`: {c:?}"
        );
        std::fs::write(dir.path().join("run"), "0123456789abcdef\n").unwrap();
        let c = state_check(dir.path(), &SpoolConfig::default());
        assert!(c.detail.contains("run 0123456789abcdef"), "{c:?}");
        let spool = Spool::open(dir.path().join("spool"), SpoolConfig::default()).unwrap();
        let c = state_check(dir.path(), &SpoolConfig::default());
        assert!(c.detail.contains("in use by the running agent"), "{c:?}");
        assert!(agent_running(dir.path()));
        drop(spool);
        assert!(!agent_running(dir.path()));
        assert!(!agent_running(&dir.path().join("nowhere")));
        let c = state_check(dir.path(), &SpoolConfig::default());
        assert!(c.detail.contains("spool: 0 unsent readings"), "{c:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "the write test leaves nothing behind"
        );
    }
}

//! The `state` check: the state directory is writable (or creatable), with the run id and the
//! spool's depth when present; and whether a running agent holds the spool, which decides
//! whether serial modems may be opened.
//!
//! The spool is opened only when no running agent holds its lock; the write test leaves
//! nothing behind.

use super::report::Check;
use crate::config::AgentConfig;
use crate::spool::{Spool, SpoolConfig, SpoolError};
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill};
use std::path::Path;
use std::time::Duration;

/// Whether the state directory is usable, with the run id and the spool's depth when present.
/// Writes (and removes) one small file in the directory; opens the spool only if it exists,
/// and only when no running agent holds it.
pub fn state_check(dir: &Path, spool: &SpoolConfig, lang: Lang) -> Check {
    let t = text(lang);
    let name = "state";
    let shown = dir.display();
    let not_writable_fix = fill(t.state_not_writable_fix, &[("dir", &shown)]);
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
                fill(t.state_missing, &[("dir", &shown)]),
                not_writable_fix,
            );
        };
        return match rustix::fs::access(ancestor, rustix::fs::Access::WRITE_OK) {
            Ok(()) => Check::pass(
                name,
                fill(
                    t.state_will_create,
                    &[("dir", &shown), ("parent", &ancestor.display())],
                ),
            ),
            Err(e) => Check::fail(
                name,
                fill(
                    t.state_cannot_create,
                    &[
                        ("dir", &shown),
                        ("parent", &ancestor.display()),
                        ("error", &e),
                    ],
                ),
                not_writable_fix,
            ),
        };
    }
    if !dir.is_dir() {
        return Check::fail(
            name,
            fill(t.state_not_dir, &[("dir", &shown)]),
            t.state_not_dir_fix,
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
            fill(t.state_cannot_write, &[("dir", &shown), ("error", &e)]),
            not_writable_fix,
        );
    }
    let mut detail = fill(t.state_writable, &[("dir", &shown)]);
    match std::fs::read_to_string(dir.join("run")) {
        Ok(run) => detail.push_str(&fill(t.state_run, &[("run", &run.trim())])),
        Err(_) => detail.push_str(t.state_no_run),
    }
    let spool_dir = dir.join("spool");
    if !spool_dir.is_dir() {
        return Check::pass(name, detail);
    }
    match Spool::open(&spool_dir, spool.clone()) {
        Ok(s) => {
            detail.push_str(&fill(
                t.state_spool,
                &[("depth", &s.depth()), ("segments", &s.segment_count())],
            ));
            if s.corrupt() > 0 {
                detail.push_str(&fill(t.state_spool_damaged, &[("n", &s.corrupt())]));
                return Check::warn(name, detail, t.state_spool_damaged_fix);
            }
            Check::pass(name, detail)
        }
        Err(SpoolError::Locked { .. }) => {
            detail.push_str(t.state_spool_in_use);
            Check::pass(name, detail)
        }
        Err(e) => {
            detail.push_str(&fill(t.state_spool_unusable, &[("error", &e)]));
            Check::fail(name, detail, t.state_spool_unusable_fix)
        }
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

pub(super) async fn check_state(cfg: &AgentConfig, limit: Duration, lang: Lang) -> Check {
    let t = text(lang);
    let dir = cfg.state_dir.clone();
    let spool = cfg.spool.clone();
    match tokio::time::timeout(
        limit,
        tokio::task::spawn_blocking(move || state_check(&dir, &spool, lang)),
    )
    .await
    {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => Check::fail("state", fill(t.bug, &[("error", &e)]), t.bug_fix),
        Err(_) => Check::fail(
            "state",
            fill(
                t.state_hangs,
                &[
                    ("dir", &cfg.state_dir.display()),
                    ("limit", &humantime::format_duration(limit)),
                ],
            ),
            t.state_hangs_fix,
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
        let c = state_check(&dir.path().join("new"), &SpoolConfig::default(), Lang::En);
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(c.detail.contains("does not exist yet"));
        let c = state_check(
            Path::new("relative-state-dir-that-does-not-exist"),
            &SpoolConfig::default(),
            Lang::En,
        );
        assert_eq!(
            c.status,
            Status::Pass,
            "a relative path resolves against `.`: {c:?}"
        );
        std::fs::write(dir.path().join("run"), "0123456789abcdef\n").unwrap();
        let c = state_check(dir.path(), &SpoolConfig::default(), Lang::En);
        assert!(c.detail.contains("run 0123456789abcdef"), "{c:?}");
        let spool = Spool::open(dir.path().join("spool"), SpoolConfig::default()).unwrap();
        let c = state_check(dir.path(), &SpoolConfig::default(), Lang::En);
        assert!(c.detail.contains("in use by the running agent"), "{c:?}");
        assert!(agent_running(dir.path()));
        drop(spool);
        assert!(!agent_running(dir.path()));
        assert!(!agent_running(&dir.path().join("nowhere")));
        let c = state_check(dir.path(), &SpoolConfig::default(), Lang::En);
        assert!(c.detail.contains("spool: 0 unsent reading(s)"), "{c:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "the write test leaves nothing behind"
        );
    }
}

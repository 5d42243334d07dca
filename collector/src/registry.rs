//! The site registry as the running collector sees it: loaded with the config, then watched.
//! Every `[registry] reload_every` the file is read again; when its bytes changed and it is
//! valid, every stage that uses the registry (placement, site status, rollups) sees the new
//! one at its next reading or pass, without a restart (`coverage-collector site add` and
//! `site retire` write it atomically). An invalid file is logged with its file and key and the
//! last good registry is kept: nothing already accepted changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use coverage_shared::site::{SiteEntry, SiteRegistry};
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// A registry with its sites indexed by id.
#[derive(Debug, Default)]
pub struct Sites {
    /// The registry as loaded.
    pub registry: SiteRegistry,
    by_id: HashMap<String, usize>,
}

impl Sites {
    /// Indexes `registry`.
    pub fn new(registry: SiteRegistry) -> Sites {
        let by_id = registry
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Sites { registry, by_id }
    }

    /// The entry of site `id`.
    pub fn get(&self, id: &str) -> Option<&SiteEntry> {
        self.by_id.get(id).map(|&i| &self.registry.sites[i])
    }
}

/// What `stat` says of the file: a change of any of these means it was written (an atomic
/// replace, as `site add` does, is a new inode).
type Stamp = (Option<SystemTime>, u64, u64);

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len(), m.ino()))
}

/// A handle on the current registry; cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveRegistry {
    tx: Arc<watch::Sender<Arc<Sites>>>,
    /// The file and the hash of the bytes last looked at (valid or not, so a bad file is
    /// logged once), with its `stat` then.
    file: Option<Arc<Mutex<Watched>>>,
}

#[derive(Debug)]
struct Watched {
    path: PathBuf,
    last: String,
    stamp: Option<Stamp>,
}

/// The shortest period of the reload loop.
const MIN_RELOAD_EVERY: Duration = Duration::from_millis(500);

impl LiveRegistry {
    /// A registry that never changes (tests, the demo).
    pub fn fixed(registry: SiteRegistry) -> LiveRegistry {
        LiveRegistry {
            tx: Arc::new(watch::Sender::new(Arc::new(Sites::new(registry)))),
            file: None,
        }
    }

    /// The registry now.
    pub fn current(&self) -> Arc<Sites> {
        self.tx.borrow().clone()
    }

    /// Reads the file again now if `stat` says it changed since it was last read (the ingest
    /// asks this before it refuses a site as unregistered, so a site `site add` has just
    /// written is never refused in the seconds before the periodic reload; a `stat` per such
    /// reading is all it costs). Returns the registry then.
    pub fn refresh(&self) -> Arc<Sites> {
        if let Some(w) = &self.file {
            let mut w = w.lock().unwrap_or_else(|p| p.into_inner());
            let now = stamp(&w.path);
            if now.is_none() || now != w.stamp {
                reload(&mut w, &self.tx);
            }
        }
        self.current()
    }

    /// Reads the file again whatever `stat` says (the periodic reload: an edit that kept the
    /// size within the clock's resolution is still seen).
    fn reload_now(&self) {
        if let Some(w) = &self.file {
            let mut w = w.lock().unwrap_or_else(|p| p.into_inner());
            reload(&mut w, &self.tx);
        }
    }
}

/// Reads the watched file; publishes it when its bytes changed and it is valid.
fn reload(w: &mut Watched, tx: &watch::Sender<Arc<Sites>>) {
    w.stamp = stamp(&w.path);
    let bytes = match std::fs::read(&w.path) {
        Ok(b) => b,
        Err(e) => {
            if w.last != "unreadable" {
                tracing::error!(file = %w.path.display(), error = %e, "Cannot read the site registry; keeping the last one read.");
                w.last = "unreadable".into();
            }
            return;
        }
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    if sha == w.last {
        return;
    }
    w.last = sha;
    let parsed = std::str::from_utf8(&bytes)
        .map_err(|e| format!("{}: not UTF-8: {e}", w.path.display()))
        .and_then(|t| SiteRegistry::parse(t, &w.path).map_err(|e| e.to_string()));
    match parsed {
        Ok(new) => {
            let old = tx.borrow().clone();
            let added = new
                .sites
                .iter()
                .filter(|s| old.get(&s.id).is_none())
                .count();
            let retired = new
                .sites
                .iter()
                .filter(|s| {
                    s.retired.is_some() && old.get(&s.id).is_some_and(|o| o.retired.is_none())
                })
                .count();
            tracing::info!(file = %w.path.display(), sites = new.sites.len(), added, retired, sha256 = %new.sha256, "Site registry reloaded.");
            tx.send_replace(Arc::new(Sites::new(new)));
        }
        Err(e) => {
            tracing::error!(error = %e, "The site registry changed but is not valid; keeping the last valid one.");
        }
    }
}

/// Starts watching `registry.file` (a registry without a file never changes).
pub fn watch(
    registry: SiteRegistry,
    every: Duration,
    stop: CancellationToken,
) -> (LiveRegistry, Option<tokio::task::JoinHandle<()>>) {
    let Some(path) = registry.file.clone() else {
        return (LiveRegistry::fixed(registry), None);
    };
    let watched = Watched {
        path,
        last: registry.sha256.clone(),
        stamp: None,
    };
    let live = LiveRegistry {
        tx: Arc::new(watch::Sender::new(Arc::new(Sites::new(registry)))),
        file: Some(Arc::new(Mutex::new(watched))),
    };
    let task = tokio::spawn(reload_loop(live.clone(), every, stop));
    (live, Some(task))
}

async fn reload_loop(live: LiveRegistry, every: Duration, stop: CancellationToken) {
    let mut tick = tokio::time::interval(every.max(MIN_RELOAD_EVERY));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let live = live.clone();
        let _ = tokio::task::spawn_blocking(move || live.reload_now()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_changed_file_is_picked_up_and_a_bad_one_is_not() {
        let dir = std::env::temp_dir().join(format!("live-registry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("sites.toml");
        let one = "[[sites]]\nid = \"a\"\nlat = 22.1\nlon = 105.8\n";
        std::fs::write(&f, one).unwrap();
        let stop = CancellationToken::new();
        let (live, task) = watch(
            SiteRegistry::load(&f).unwrap(),
            Duration::from_millis(500),
            stop.clone(),
        );
        assert!(live.current().get("a").is_some() && live.current().get("b").is_none());
        std::fs::write(
            &f,
            format!("{one}[[sites]]\nid = \"b\"\nlat = 22.2\nlon = 105.9\n"),
        )
        .unwrap();
        let mut picked = false;
        for _ in 0..60 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if live.current().get("b").is_some() {
                picked = true;
                break;
            }
        }
        assert!(picked, "the new site was not picked up within 3 s");
        // An invalid file: the last valid registry stays.
        std::fs::write(&f, "[[sites]]\nid = \"c\"\nlat = 99.0\nlon = 105.9\n").unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let now = live.current();
        assert!(now.get("b").is_some() && now.get("c").is_none());
        stop.cancel();
        task.unwrap().await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What the ingest relies on before it refuses a site: a file replaced just now, even
    /// right after another read, is read again at once (CI found a half-second throttle here
    /// refusing a site `site add` had just written).
    #[test]
    fn refresh_sees_a_file_replaced_just_after_a_read() {
        let dir = std::env::temp_dir().join(format!("live-refresh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("sites.toml");
        let mut text = String::new();
        std::fs::write(&f, &text).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let stop = CancellationToken::new();
        let (live, _task) = rt.block_on(async {
            watch(
                SiteRegistry::load(&f).unwrap(),
                Duration::from_secs(3600),
                stop.clone(),
            )
        });
        for i in 0..20 {
            assert!(live.refresh().get(&format!("s{i}")).is_none());
            text.push_str(&format!(
                "[[sites]]\nid = \"s{i}\"\nlat = 22.1\nlon = 105.8\n"
            ));
            let tmp = dir.join(".sites.toml.tmp");
            std::fs::write(&tmp, &text).unwrap();
            std::fs::rename(&tmp, &f).unwrap();
            assert!(
                live.refresh().get(&format!("s{i}")).is_some(),
                "site s{i} not seen right after the file was replaced"
            );
        }
        stop.cancel();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Identity conflicts: the same `(site, run, seq)` with a different body (DESIGN.md
//! "Validation"). The first reading stays; a later one with another body is rejected
//! (`identity_conflict`), counted and dead-lettered, instead of silently overwriting the first
//! in InfluxDB (same tags and time) or doubling it (different tags).
//!
//! This is the check "by the instance that sees both": each collector remembers the readings
//! it accepted, by a 64-bit hash of their identity and of their payload, for `window` (48 h by
//! default) and at most `entries` of them (oldest forgotten first), so memory stays bounded
//! whatever arrives: about 40 bytes per reading, 8 MB at the default 200,000 (8 hours of a
//! province of 100 sites at four readings a minute). A redelivery (the same bytes again) is a
//! duplicate, harmless since writes are idempotent.
//!
//! Pure: time is passed in, so the rules are unit-tested without waiting.

use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

/// `[ingest.identity]`: how long and how many readings each collector remembers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// How long a reading's identity is remembered.
    #[serde(default = "default_window", with = "humantime_serde")]
    pub window: Duration,
    /// Most identities remembered (oldest forgotten first).
    #[serde(default = "default_entries")]
    pub entries: usize,
}

fn default_window() -> Duration {
    Duration::from_secs(48 * 3600)
}

fn default_entries() -> usize {
    200_000
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            window: default_window(),
            entries: default_entries(),
        }
    }
}

/// What the cache says of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not seen within the window: accepted and remembered.
    New,
    /// The same identity and the same payload: a redelivery.
    Duplicate,
    /// The same identity with another payload: the first stays, this one is refused.
    Conflict,
}

/// The identities of recently accepted readings.
#[derive(Debug)]
pub struct IdentityCache {
    cfg: IdentityConfig,
    bodies: HashMap<u64, u64>,
    order: VecDeque<(Instant, u64)>,
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl IdentityCache {
    /// An empty cache.
    pub fn new(cfg: IdentityConfig) -> IdentityCache {
        IdentityCache {
            bodies: HashMap::with_capacity(cfg.entries.min(4096)),
            order: VecDeque::with_capacity(cfg.entries.min(4096)),
            cfg,
        }
    }

    /// Checks `(site, run, seq)` with its `payload` at `now`, remembering a new one.
    pub fn check(&mut self, site: &str, run: &str, seq: u64, payload: &[u8], now: Instant) -> Seen {
        self.forget(now);
        let key = hash_of((site, run, seq));
        let body = hash_of(payload);
        match self.bodies.get(&key) {
            Some(&b) if b == body => Seen::Duplicate,
            Some(_) => Seen::Conflict,
            None => {
                if self.cfg.entries == 0 {
                    return Seen::New;
                }
                while self.order.len() >= self.cfg.entries {
                    if let Some((_, old)) = self.order.pop_front() {
                        self.bodies.remove(&old);
                    }
                }
                self.bodies.insert(key, body);
                self.order.push_back((now, key));
                Seen::New
            }
        }
    }

    /// Identities remembered now.
    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    fn forget(&mut self, now: Instant) {
        while let Some(&(at, key)) = self.order.front() {
            if now.duration_since(at) < self.cfg.window {
                break;
            }
            self.order.pop_front();
            self.bodies.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(window_s: u64, entries: usize) -> IdentityCache {
        IdentityCache::new(IdentityConfig {
            window: Duration::from_secs(window_s),
            entries,
        })
    }

    #[test]
    fn a_redelivery_is_a_duplicate_and_another_body_a_conflict() {
        let mut c = cache(3600, 100);
        let t = Instant::now();
        assert_eq!(c.check("s1", "r1", 7, b"{\"a\":1}", t), Seen::New);
        assert_eq!(c.check("s1", "r1", 7, b"{\"a\":1}", t), Seen::Duplicate);
        assert_eq!(c.check("s1", "r1", 7, b"{\"a\":2}", t), Seen::Conflict);
        // The first body stays the reference.
        assert_eq!(c.check("s1", "r1", 7, b"{\"a\":1}", t), Seen::Duplicate);
        // Another seq, run or site is another reading.
        assert_eq!(c.check("s1", "r1", 8, b"{\"a\":2}", t), Seen::New);
        assert_eq!(c.check("s1", "r2", 7, b"{\"a\":2}", t), Seen::New);
        assert_eq!(c.check("s2", "r1", 7, b"{\"a\":2}", t), Seen::New);
    }

    #[test]
    fn identities_are_forgotten_after_the_window() {
        let mut c = cache(48 * 3600, 100);
        let t = Instant::now();
        c.check("s1", "r1", 1, b"x", t);
        let later = t + Duration::from_secs(47 * 3600);
        assert_eq!(c.check("s1", "r1", 1, b"y", later), Seen::Conflict);
        let after = t + Duration::from_secs(48 * 3600);
        assert_eq!(c.check("s1", "r1", 1, b"y", after), Seen::New);
    }

    #[test]
    fn memory_is_bounded_by_the_entry_cap() {
        let mut c = cache(3600, 1000);
        let t = Instant::now();
        for seq in 0..10_000 {
            c.check("s1", "r1", seq, b"x", t);
        }
        assert_eq!(c.len(), 1000);
        // The oldest were forgotten, the newest kept.
        assert_eq!(c.check("s1", "r1", 9_999, b"z", t), Seen::Conflict);
        assert_eq!(c.check("s1", "r1", 0, b"z", t), Seen::New);
    }
}

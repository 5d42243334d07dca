//! The common header of every reading (`v`, `site`, `run`, `seq`, `ts`, `clock_synced`, `pos`,
//! `commune`, `agent`; wire format v1), stamped in one place: the recorder (`run`, and
//! `measure --once` through it) and `check`'s test heartbeat all call [`reading_header`], so
//! they cannot drift apart.
//!
//! Pure: the caller supplies the run, the seq (reserved by the agent's state) and the clock's
//! status. The position is the configured one (`src: config`).

use crate::config::SiteConfig;
use crate::run::AGENT_VERSION;
use chrono::{DateTime, Utc};
use coverage_shared::wire::{Header, Position, PositionSource, SCHEMA_VERSION};

/// The header of a reading of `site` in run `run` with sequence number `seq`, taken at `ts`
/// with the clock's status `clock_synced`.
pub fn reading_header(
    site: &SiteConfig,
    run: String,
    seq: u64,
    ts: DateTime<Utc>,
    clock_synced: Option<bool>,
) -> Header {
    Header {
        v: SCHEMA_VERSION,
        site: site.id.clone(),
        run,
        seq,
        ts,
        clock_synced,
        pos: Position {
            lat: site.lat,
            lon: site.lon,
            src: PositionSource::Config,
            acc_m: site.acc_m,
        },
        commune: site.commune.clone(),
        agent: AGENT_VERSION.to_owned(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use coverage_shared::wire::{Antenna, CommuneRef, Placement};

    #[test]
    fn the_header_carries_the_site_run_seq_and_clock() {
        let site = SiteConfig {
            id: "tn-01840-a".into(),
            lat: 22.162534,
            lon: 105.844234,
            acc_m: Some(5.0),
            placement: Placement::Indoor,
            antenna: Antenna::Internal,
            commune: Some(CommuneRef {
                set: "thai-nguyen-2025".into(),
                code: "01840".into(),
            }),
        };
        let ts = "2025-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let h = reading_header(&site, "0123456789abcdef".into(), 7, ts, Some(true));
        assert_eq!(h.v, SCHEMA_VERSION);
        assert_eq!(
            (h.site.as_str(), h.run.as_str(), h.seq),
            ("tn-01840-a", "0123456789abcdef", 7)
        );
        assert_eq!((h.ts, h.clock_synced), (ts, Some(true)));
        assert_eq!(
            (h.pos.lat, h.pos.lon, h.pos.acc_m),
            (22.162534, 105.844234, Some(5.0))
        );
        assert_eq!(h.pos.src, PositionSource::Config);
        assert_eq!(h.commune, site.commune);
        assert_eq!(h.agent, AGENT_VERSION);
    }
}

//! Fibre verdicts: per-site 1 h windows, then areas (districts in `bac-kan-2020`, communes in
//! both sets).
//!
//! Pure functions, DESIGN.md "Fibre" applied exactly:
//!
//! - **Window** ([`window_state`]): fewer than `min_rounds` rounds (default 3) is `unknown`;
//!   otherwise the site is up when loss = Σ lost / Σ sent <= 1 % (compared in integers) and the
//!   median of the rounds' `rtt_p50_ms` is <= 50 ms. A window whose rounds all lost every probe
//!   has no RTT and is down. A window with rounds but nothing sent shows nothing: unknown.
//! - **Area window** ([`area_windows`]): up if any of its sites is up; down if none is up and at
//!   least one is known; unknown if all its sites are unknown (or silent) then.
//! - **Area** ([`area_verdict`]): `no_site` without fibre sites; `insufficient_data` when known
//!   windows are fewer than 90 % of the period's windows; else `connected` when up / known >=
//!   99 %, `not_connected` below.
//!
//! Fibre rounds are not filtered on `clock_synced` (DESIGN.md excludes unsynchronised clocks
//! for mobile samples only).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::FibreConfig;
use crate::source::{FibreRow, HOUR_MS};

/// A site's (or an area's) state in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    /// Too few rounds to say.
    Unknown,
    /// Loss and RTT within bounds.
    Up,
    /// Loss or RTT out of bounds.
    Down,
}

/// A fibre verdict word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FibreVerdict {
    /// Up in at least 99 % of the known windows, with enough known windows.
    Connected,
    /// Enough known windows, up in fewer than 99 % of them.
    NotConnected,
    /// Too few known windows.
    InsufficientData,
    /// No fibre site in the area.
    NoSite,
}

impl FibreVerdict {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FibreVerdict::Connected => "connected",
            FibreVerdict::NotConnected => "not_connected",
            FibreVerdict::InsufficientData => "insufficient_data",
            FibreVerdict::NoSite => "no_site",
        }
    }
}

/// One site's state in one window.
pub fn window_state(row: &FibreRow, cfg: &FibreConfig) -> WindowState {
    if row.rounds < cfg.min_rounds || row.sent <= 0 {
        return WindowState::Unknown;
    }
    let sent = row.sent.unsigned_abs();
    let lost = row.sent.saturating_sub(row.received).max(0).unsigned_abs();
    let loss_ok = cfg.max_loss_pct.at_most(lost, sent);
    let rtt_ok = row.rtt_p50_median_ms.is_some_and(|r| r <= cfg.max_rtt_ms);
    if loss_ok && rtt_ok {
        WindowState::Up
    } else {
        WindowState::Down
    }
}

/// The number of 1 h windows (UTC hour buckets) that intersect `[from_ms, to_ms)`.
pub fn period_windows(from_ms: i64, to_ms: i64) -> u64 {
    if to_ms <= from_ms {
        return 0;
    }
    let first = from_ms.div_euclid(HOUR_MS);
    let last = (to_ms - 1).div_euclid(HOUR_MS);
    (last - first + 1).unsigned_abs()
}

/// Window counts of one site or area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WindowCounts {
    /// Windows in the period.
    pub total: u64,
    /// Windows with a known state.
    pub known: u64,
    /// Windows up.
    pub up: u64,
}

/// One site's windows: hour bucket -> state (only hours with rounds).
pub type SiteWindows = BTreeMap<i64, WindowState>;

/// A site's windows from its rows.
pub fn site_windows<'a>(
    rows: impl IntoIterator<Item = &'a FibreRow>,
    cfg: &FibreConfig,
) -> SiteWindows {
    rows.into_iter()
        .map(|r| (r.hour, window_state(r, cfg)))
        .collect()
}

/// Counts an area's known and up windows from its sites' windows.
pub fn area_windows(sites: &[&SiteWindows], total: u64) -> WindowCounts {
    let mut merged: BTreeMap<i64, WindowState> = BTreeMap::new();
    for site in sites {
        for (&hour, &state) in site.iter() {
            let e = merged.entry(hour).or_insert(WindowState::Unknown);
            *e = match (*e, state) {
                (WindowState::Up, _) | (_, WindowState::Up) => WindowState::Up,
                (WindowState::Down, _) | (_, WindowState::Down) => WindowState::Down,
                _ => WindowState::Unknown,
            };
        }
    }
    let known = merged
        .values()
        .filter(|s| **s != WindowState::Unknown)
        .count() as u64;
    let up = merged.values().filter(|s| **s == WindowState::Up).count() as u64;
    WindowCounts { total, known, up }
}

/// An area's verdict from its window counts; `has_sites` says whether it has fibre sites.
pub fn area_verdict(has_sites: bool, w: WindowCounts, cfg: &FibreConfig) -> FibreVerdict {
    if !has_sites {
        FibreVerdict::NoSite
    } else if w.known == 0 || !cfg.min_known_pct.meets(w.known, w.total) {
        FibreVerdict::InsufficientData
    } else if cfg.min_up_pct.meets(w.up, w.known) {
        FibreVerdict::Connected
    } else {
        FibreVerdict::NotConnected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FibreVerdict::*;

    fn row(rounds: u64, sent: i64, received: i64, rtt: Option<f64>) -> FibreRow {
        FibreRow {
            site: "s".into(),
            hour: 0,
            rounds,
            sent,
            received,
            rtt_p50_median_ms: rtt,
        }
    }

    #[test]
    fn window_edges() {
        let c = FibreConfig::default();
        assert_eq!(
            window_state(&row(2, 20, 20, Some(1.0)), &c),
            WindowState::Unknown
        );
        assert_eq!(
            window_state(&row(3, 30, 30, Some(1.0)), &c),
            WindowState::Up
        );
        // Loss exactly 1 % is up, just above is down.
        assert_eq!(
            window_state(&row(3, 100, 99, Some(1.0)), &c),
            WindowState::Up
        );
        assert_eq!(
            window_state(&row(3, 199, 197, Some(1.0)), &c),
            WindowState::Down
        );
        // RTT exactly 50 ms is up, just above is down.
        assert_eq!(
            window_state(&row(3, 30, 30, Some(50.0)), &c),
            WindowState::Up
        );
        assert_eq!(
            window_state(&row(3, 30, 30, Some(50.001)), &c),
            WindowState::Down
        );
        // Everything lost: no RTT, 100 % loss.
        assert_eq!(window_state(&row(3, 30, 0, None), &c), WindowState::Down);
        assert_eq!(window_state(&row(3, 0, 0, None), &c), WindowState::Unknown);
        // Duplicates never make loss negative.
        assert_eq!(
            window_state(&row(3, 30, 31, Some(1.0)), &c),
            WindowState::Up
        );
    }

    #[test]
    fn windows_in_a_period() {
        assert_eq!(period_windows(0, 24 * HOUR_MS), 24);
        assert_eq!(period_windows(0, 24 * HOUR_MS + 1), 25);
        assert_eq!(period_windows(HOUR_MS / 2, HOUR_MS), 1);
        assert_eq!(period_windows(5, 5), 0);
    }

    #[test]
    fn area_windows_take_any_site_up() {
        let a: SiteWindows = [
            (0, WindowState::Up),
            (1, WindowState::Down),
            (2, WindowState::Unknown),
        ]
        .into();
        let b: SiteWindows = [
            (1, WindowState::Up),
            (2, WindowState::Down),
            (3, WindowState::Unknown),
        ]
        .into();
        let w = area_windows(&[&a, &b], 10);
        assert_eq!(
            w,
            WindowCounts {
                total: 10,
                known: 3,
                up: 2
            }
        );
        assert_eq!(
            area_windows(&[], 10),
            WindowCounts {
                total: 10,
                known: 0,
                up: 0
            }
        );
    }

    #[test]
    fn area_verdict_edges() {
        let c = FibreConfig::default();
        let w = |known, up| WindowCounts {
            total: 100,
            known,
            up,
        };
        assert_eq!(area_verdict(false, w(100, 100), &c), NoSite);
        assert_eq!(area_verdict(true, w(89, 89), &c), InsufficientData);
        assert_eq!(area_verdict(true, w(90, 90), &c), Connected);
        // 99 % of 100 known.
        assert_eq!(area_verdict(true, w(100, 99), &c), Connected);
        assert_eq!(area_verdict(true, w(100, 98), &c), NotConnected);
        // 99 % of 90 is 89.1: 90 needed.
        assert_eq!(area_verdict(true, w(90, 89), &c), NotConnected);
        assert_eq!(
            area_verdict(
                true,
                WindowCounts {
                    total: 0,
                    known: 0,
                    up: 0
                },
                &c
            ),
            InsufficientData
        );
    }
}

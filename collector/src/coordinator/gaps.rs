//! Gap refill (DESIGN.md "Delivery guarantees", gaps): the coordinator compares each site's
//! latest `seq_ranges` (what its agent issued and still holds, from the newest stored
//! heartbeat) with the seqs stored in InfluxDB, asks on `coverage/v1/{site}/resend` for what
//! has been missing longer than `gap_grace`, and counts as lost at the source what leaves the
//! agent's ranges unstored. Completeness per site = stored / issued over the ranges the agent
//! holds.
//!
//! Like every coordinator task it reads only what is **stored**, so N collectors on a shared
//! subscription make the same requests as one: only the coordinator asks.
//!
//! - [`GapTracker`] is the state, without I/O: each pass gives it, per (site, run), the agent's
//!   ranges and the seqs stored in them, and it answers with the requests to send. A missing
//!   range keeps the time it was first seen missing (a range that is split or shrinks keeps it),
//!   is asked for once it has been missing for `gap_grace`, and again every `resend_every` while
//!   it stays missing. A range asked for that is then stored counts as filled.
//! - [`GapTask`] runs a pass every `gaps_every`: one statement for the newest `seq_ranges` per
//!   site, then, for up to `RUNS_PER_STATEMENT` (site, run) pairs at a time, one `count(seq)`
//!   over the four measurements within their ranges (`GROUP BY site, run`), and one statement
//!   of the seqs themselves for the pairs whose count is short. Requests go to the ingest loop,
//!   which publishes them at QoS 1 on its own connection.
//!
//! In archive mode (the demo) there is no InfluxDB to ask, and the task does not run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use coverage_shared::schema::lines::parse_seq_ranges;
use coverage_shared::schema::{field, measurement, tag};
use coverage_shared::wire::SeqRange;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Clock;
use super::store::{InfluxStore, Series, StoreError, ident};
use crate::metrics::Metrics;

/// A resend request for the ingest loop to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendRequest {
    /// The site asked.
    pub site: String,
    /// Its run.
    pub run: String,
    /// First seq, inclusive.
    pub from: u64,
    /// Last seq, inclusive.
    pub to: u64,
}

impl ResendRequest {
    /// The topic: `coverage/v1/{site}/resend`.
    pub fn topic(&self) -> String {
        format!("coverage/v1/{}/resend", self.site)
    }

    /// The payload the agent reads: `{"run": ..., "from": N, "to": M}`.
    pub fn payload(&self) -> String {
        serde_json::json!({"run": self.run, "from": self.from, "to": self.to}).to_string()
    }
}

/// The timing of gap requests (from `[coordinator]`).
#[derive(Debug, Clone, Copy)]
pub struct GapRules {
    /// How long a seq must be missing before it is asked for (readings in flight are not gaps).
    pub grace: Duration,
    /// How long after a request a range still missing is asked for again.
    pub again_after: Duration,
    /// Most seqs in one request (the agent reads them from its spool a window at a time).
    pub max_request: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct Missing {
    first: u64,
    last: u64,
    since_ms: i64,
    asked_ms: Option<i64>,
}

impl Missing {
    fn len(&self) -> u64 {
        self.last - self.first + 1
    }
}

/// One (site, run)'s gaps and counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunGaps {
    missing: Vec<Missing>,
    /// Seqs the agent holds (the sum of its ranges' lengths), at the last pass.
    pub issued: u64,
    /// Of those, stored.
    pub stored: u64,
    /// Seqs that left the agent's ranges without being stored: lost at the source.
    pub lost: u64,
    /// Seqs asked for and then stored.
    pub filled: u64,
}

impl RunGaps {
    /// Seqs missing now (in grace or not).
    pub fn missing(&self) -> u64 {
        self.missing.iter().map(Missing::len).sum()
    }
}

/// Per-site completeness and gap counts, for `site_status` and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteGaps {
    /// Seqs the agent holds, all runs.
    pub issued: u64,
    /// Of those, stored.
    pub stored: u64,
    /// Missing now.
    pub missing: u64,
    /// Lost at the source since the coordinator started.
    pub lost: u64,
}

impl SiteGaps {
    /// Stored / issued (`None` before the agent reported any range).
    pub fn completeness(&self) -> Option<f64> {
        (self.issued > 0).then(|| self.stored as f64 / self.issued as f64)
    }
}

/// The gaps of every (site, run), without I/O (module doc).
#[derive(Debug, Default)]
pub struct GapTracker {
    runs: BTreeMap<(String, String), RunGaps>,
}

/// `ranges` minus the sorted `stored` seqs, as inclusive ranges.
fn subtract(ranges: &[(u64, u64)], stored: &BTreeSet<u64>) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(a, b) in ranges {
        let mut next = a;
        for &s in stored.range(a..=b) {
            if s > next {
                out.push((next, s - 1));
            }
            next = s + 1;
        }
        if next <= b {
            out.push((next, b));
        }
    }
    out
}

fn overlaps(m: &Missing, a: u64, b: u64) -> bool {
    m.first <= b && a <= m.last
}

fn count_in(ranges: &[(u64, u64)], m: &Missing) -> u64 {
    ranges
        .iter()
        .filter(|&&(a, b)| overlaps(m, a, b))
        .map(|&(a, b)| b.min(m.last) - a.max(m.first) + 1)
        .sum()
}

impl GapTracker {
    /// One pass's view of `site`'s run `run`: the agent holds `ranges`, of which `stored` are in
    /// the store. Returns the requests due at `now_ms`, and updates the counts.
    pub fn observe(
        &mut self,
        site: &str,
        run: &str,
        ranges: &[(u64, u64)],
        stored: &BTreeSet<u64>,
        now_ms: i64,
        rules: &GapRules,
    ) -> Vec<ResendRequest> {
        let gaps = self
            .runs
            .entry((site.to_owned(), run.to_owned()))
            .or_default();
        let missing_now = subtract(ranges, stored);
        // What was missing and is no longer held: lost at the source, unless it was stored.
        for old in &gaps.missing {
            let still_held = count_in(ranges, old);
            let stored_now = stored.range(old.first..=old.last).count() as u64;
            let gone = old.len().saturating_sub(still_held);
            // Stored seqs can only be among the held ones (we only read those).
            gaps.lost += gone;
            if old.asked_ms.is_some() {
                gaps.filled += stored_now;
            }
        }
        let mut next = Vec::with_capacity(missing_now.len());
        for (a, b) in missing_now {
            let inherited: Vec<&Missing> =
                gaps.missing.iter().filter(|m| overlaps(m, a, b)).collect();
            let since_ms = inherited.iter().map(|m| m.since_ms).min().unwrap_or(now_ms);
            let asked_ms = inherited.iter().filter_map(|m| m.asked_ms).max();
            next.push(Missing {
                first: a,
                last: b,
                since_ms,
                asked_ms,
            });
        }
        let grace = i64::try_from(rules.grace.as_millis()).unwrap_or(i64::MAX);
        let again = i64::try_from(rules.again_after.as_millis()).unwrap_or(i64::MAX);
        let mut requests = Vec::new();
        for m in &mut next {
            let due = now_ms - m.since_ms >= grace
                && m.asked_ms.is_none_or(|asked| now_ms - asked >= again);
            if !due {
                continue;
            }
            let mut from = m.first;
            while from <= m.last {
                let to = m
                    .last
                    .min(from.saturating_add(rules.max_request.max(1) - 1));
                requests.push(ResendRequest {
                    site: site.to_owned(),
                    run: run.to_owned(),
                    from,
                    to,
                });
                if to == u64::MAX {
                    break;
                }
                from = to + 1;
            }
            m.asked_ms = Some(now_ms);
        }
        gaps.missing = next;
        gaps.issued = ranges.iter().map(|&(a, b)| b - a + 1).sum();
        gaps.stored = gaps.issued - gaps.missing();
        requests
    }

    /// The counts of one (site, run).
    pub fn run(&self, site: &str, run: &str) -> Option<&RunGaps> {
        self.runs.get(&(site.to_owned(), run.to_owned()))
    }

    /// Per site, all its runs together.
    pub fn sites(&self) -> BTreeMap<String, SiteGaps> {
        let mut out: BTreeMap<String, SiteGaps> = BTreeMap::new();
        for ((site, _), g) in &self.runs {
            let s = out.entry(site.clone()).or_default();
            s.issued += g.issued;
            s.stored += g.stored;
            s.missing += g.missing();
            s.lost += g.lost;
        }
        out
    }

    /// Seqs asked for and then stored, all sites.
    pub fn filled(&self) -> u64 {
        self.runs.values().map(|g| g.filled).sum()
    }
}

/// The latest per-site gap counts, shared with the site status task (completeness).
#[derive(Debug, Clone, Default)]
pub struct GapBoard(Arc<Mutex<BTreeMap<String, SiteGaps>>>);

impl GapBoard {
    /// Replaces the counts.
    pub fn publish(&self, sites: BTreeMap<String, SiteGaps>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = sites;
    }

    /// The counts of `site`.
    pub fn get(&self, site: &str) -> Option<SiteGaps> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(site)
            .cloned()
    }
}

/// How far back the newest heartbeat of a site is looked for.
const HEARTBEAT_LOOKBACK: Duration = Duration::from_secs(3600);

/// How far back stored seqs are looked for: the agent keeps acknowledged readings 24 h.
const SEQ_LOOKBACK: Duration = Duration::from_secs(3 * 86_400);

/// Measurements that carry readings' seqs.
const MEASUREMENTS: [&str; 4] = [
    measurement::SIGNAL,
    measurement::LATENCY,
    measurement::THROUGHPUT,
    measurement::HEARTBEAT,
];

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn ms(t: DateTime<Utc>) -> String {
    format!("{}ms", t.timestamp_millis())
}

/// The statement for each site's newest `seq_ranges`.
pub fn ranges_query(now: DateTime<Utc>) -> String {
    let from = now - chrono::TimeDelta::from_std(HEARTBEAT_LOOKBACK).unwrap_or_default();
    format!(
        "SELECT last({f}) AS {f} FROM {m} WHERE time > {from} GROUP BY {site}",
        f = ident(field::SEQ_RANGES),
        m = ident(measurement::HEARTBEAT),
        from = ms(from),
        site = ident(tag::SITE),
    )
}

/// Most (site, run) conditions in one statement: a pass over 3,000 sites is 30 statements of
/// counts (and as many of seqs at most), and each GET stays well under InfluxDB's URL limit.
const RUNS_PER_STATEMENT: usize = 100;

/// The agent's ranges of one run of one site.
type RunSpans = (String, String, Vec<(u64, u64)>);

/// `("site" = 'S' AND "run" = 'R' AND (("seq" >= a AND "seq" <= b) OR ...))`.
fn run_condition(site: &str, run: &str, spans: &[(u64, u64)]) -> String {
    let seq = ident(field::SEQ);
    let spans = spans
        .iter()
        .map(|(a, b)| format!("({seq} >= {a} AND {seq} <= {b})"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "({st} = {site} AND {rt} = {run} AND ({spans}))",
        st = ident(tag::SITE),
        rt = ident(tag::RUN),
        site = quote(site),
        run = quote(run),
    )
}

/// `SELECT <select>` over the readings' measurements within the runs' ranges, grouped by site
/// and run.
pub fn runs_query<'a>(
    select: &str,
    runs: impl IntoIterator<Item = &'a RunSpans>,
    now: DateTime<Utc>,
) -> String {
    let from = now - chrono::TimeDelta::from_std(SEQ_LOOKBACK).unwrap_or_default();
    let conditions = runs
        .into_iter()
        .map(|(site, run, spans)| run_condition(site, run, spans))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "SELECT {select} FROM {all} WHERE time > {from} AND ({conditions}) GROUP BY {st}, {rt}",
        all = from_all(),
        from = ms(from),
        st = ident(tag::SITE),
        rt = ident(tag::RUN),
    )
}

fn from_all() -> String {
    MEASUREMENTS
        .iter()
        .map(|m| ident(m))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the newest ranges per site from the answer of [`ranges_query`].
pub fn read_ranges(series: &[Series]) -> BTreeMap<String, Vec<SeqRange>> {
    let mut out = BTreeMap::new();
    for s in series {
        let site = s.tag(tag::SITE);
        let Some(row) = s.values.first() else {
            continue;
        };
        let Some(text) = s.cell(row, field::SEQ_RANGES).and_then(|v| v.as_str()) else {
            continue;
        };
        match parse_seq_ranges(text) {
            Some(r) => {
                out.insert(site.to_owned(), r);
            }
            None => tracing::warn!(
                site,
                text,
                "Unreadable seq_ranges in a stored heartbeat; skipped."
            ),
        }
    }
    out
}

/// The coordinator's gap pass (module doc).
pub struct GapTask {
    /// Where the stored seqs are.
    pub store: InfluxStore,
    /// The coordinator's clock.
    pub clock: Arc<dyn Clock>,
    /// Timing.
    pub rules: GapRules,
    /// How often a pass runs.
    pub every: Duration,
    /// Requests to the ingest loop.
    pub requests: mpsc::UnboundedSender<ResendRequest>,
    /// Counters and gauges.
    pub metrics: Arc<Metrics>,
    /// Completeness for the site status.
    pub board: GapBoard,
    /// The state.
    pub tracker: GapTracker,
}

impl GapTask {
    /// The stored seqs of each run within its ranges: one `count(seq)` statement for the whole
    /// chunk of runs, then one statement of seqs for the runs whose count is short.
    async fn stored_in(
        &self,
        runs: &[RunSpans],
        now: DateTime<Utc>,
    ) -> Result<Vec<BTreeSet<u64>>, StoreError> {
        let key = |s: &Series| (s.tag(tag::SITE).to_owned(), s.tag(tag::RUN).to_owned());
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        let count = format!("count({})", ident(field::SEQ));
        for s in self.store.query(&runs_query(&count, runs, now)).await? {
            let n: u64 = s
                .values
                .iter()
                .filter_map(|r| s.cell(r, "count").and_then(|v| v.as_u64()))
                .sum();
            *counts.entry(key(&s)).or_default() += n;
        }
        let issued = |spans: &[(u64, u64)]| spans.iter().map(|(a, b)| b - a + 1).sum::<u64>();
        // Per run, in `runs` order: whether every seq of its ranges is stored.
        let complete: Vec<bool> = runs
            .iter()
            .map(|(site, run, spans)| {
                let n = counts.get(&(site.clone(), run.clone())).copied();
                n.unwrap_or(0) >= issued(spans)
            })
            .collect();
        let short: Vec<&RunSpans> = runs
            .iter()
            .zip(&complete)
            .filter(|(_, done)| !**done)
            .map(|(r, _)| r)
            .collect();
        let mut seqs: BTreeMap<(String, String), BTreeSet<u64>> = BTreeMap::new();
        if !short.is_empty() {
            let select = ident(field::SEQ);
            for s in self.store.query(&runs_query(&select, short, now)).await? {
                let got = seqs.entry(key(&s)).or_default();
                got.extend(
                    s.values
                        .iter()
                        .filter_map(|r| s.cell(r, field::SEQ).and_then(|v| v.as_u64())),
                );
            }
        }
        Ok(runs
            .iter()
            .zip(complete)
            .map(|((site, run, spans), complete)| {
                if complete {
                    spans.iter().flat_map(|&(a, b)| a..=b).collect()
                } else {
                    seqs.remove(&(site.clone(), run.clone()))
                        .unwrap_or_default()
                }
            })
            .collect())
    }

    /// One pass. Returns the requests sent.
    pub async fn pass(&mut self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let latest = read_ranges(&self.store.query(&ranges_query(now)).await?);
        let mut runs: Vec<RunSpans> = Vec::new();
        for (site, ranges) in latest {
            let mut by_run: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
            for r in ranges {
                by_run.entry(r.run).or_default().push((r.first, r.last));
            }
            runs.extend(
                by_run
                    .into_iter()
                    .map(|(run, spans)| (site.clone(), run, spans)),
            );
        }
        let mut sent = 0;
        for chunk in runs.chunks(RUNS_PER_STATEMENT) {
            let stored = self.stored_in(chunk, now).await?;
            for ((site, run, spans), stored) in chunk.iter().zip(stored) {
                let requests = self.tracker.observe(
                    site,
                    run,
                    spans,
                    &stored,
                    now.timestamp_millis(),
                    &self.rules,
                );
                for r in requests {
                    tracing::info!(site = %r.site, run = %r.run, from = r.from, to = r.to, "Asking the agent to resend readings missing from the store.");
                    self.metrics.resend_requests.inc();
                    self.metrics.resend_seqs_requested.inc_by(r.to - r.from + 1);
                    if self.requests.send(r).is_ok() {
                        sent += 1;
                    }
                }
            }
        }
        let sites = self.tracker.sites();
        self.metrics.set_gaps(&sites, self.tracker.filled());
        self.board.publish(sites);
        Ok(sent)
    }

    /// Runs a pass every `every` until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut tick = super::Periodic::new(self.every);
        while tick.next(&shutdown).await {
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "Gap pass failed; trying again next period.");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: GapRules = GapRules {
        grace: Duration::from_secs(300),
        again_after: Duration::from_secs(600),
        max_request: 100,
    };
    const MIN: i64 = 60_000;

    fn set(r: impl IntoIterator<Item = u64>) -> BTreeSet<u64> {
        r.into_iter().collect()
    }

    #[test]
    fn subtract_gives_the_holes() {
        assert_eq!(
            subtract(&[(1, 10), (20, 22)], &set([1, 2, 5, 10, 21])),
            vec![(3, 4), (6, 9), (20, 20), (22, 22)]
        );
        assert_eq!(subtract(&[(1, 3)], &set(1..=3)), vec![]);
        assert_eq!(subtract(&[(1, 3)], &set([])), vec![(1, 3)]);
    }

    #[test]
    fn a_gap_is_asked_for_after_the_grace_then_again_and_counted_filled() {
        let mut t = GapTracker::default();
        // Seqs 1..=100 issued, 41..=60 missing (the broker lost them), 100 in flight.
        let stored: BTreeSet<u64> = (1..=40).chain(61..=99).collect();
        let r = t.observe("s1", "r1", &[(1, 100)], &stored, 0, &RULES);
        assert!(r.is_empty(), "nothing asked within the grace");
        assert_eq!(t.run("s1", "r1").unwrap().missing(), 21);
        // 100 arrives; 41..=60 still missing after the grace: asked once.
        let stored: BTreeSet<u64> = (1..=40).chain(61..=100).collect();
        let r = t.observe("s1", "r1", &[(1, 100)], &stored, 5 * MIN, &RULES);
        assert_eq!(
            r,
            vec![ResendRequest {
                site: "s1".into(),
                run: "r1".into(),
                from: 41,
                to: 60
            }]
        );
        // Not again before `again_after`.
        assert!(
            t.observe("s1", "r1", &[(1, 100)], &stored, 6 * MIN, &RULES)
                .is_empty()
        );
        // Half came back; the rest is asked again after 10 minutes.
        let stored: BTreeSet<u64> = (1..=50).chain(61..=100).collect();
        let r = t.observe("s1", "r1", &[(1, 100)], &stored, 15 * MIN, &RULES);
        assert_eq!((r[0].from, r[0].to), (51, 60));
        assert_eq!(t.run("s1", "r1").unwrap().filled, 10);
        // All stored: complete.
        let stored: BTreeSet<u64> = (1..=100).collect();
        assert!(
            t.observe("s1", "r1", &[(1, 100)], &stored, 16 * MIN, &RULES)
                .is_empty()
        );
        let g = t.run("s1", "r1").unwrap();
        assert_eq!((g.filled, g.lost, g.missing()), (20, 0, 0));
        assert_eq!(t.sites()["s1"].completeness(), Some(1.0));
    }

    #[test]
    fn seqs_that_leave_the_agents_ranges_unstored_are_lost_at_the_source() {
        let mut t = GapTracker::default();
        let stored: BTreeSet<u64> = (11..=100).collect();
        t.observe("s1", "r1", &[(1, 100)], &stored, 0, &RULES);
        // The agent's spool expired 1..=5: those five are lost; 6..=10 still missing.
        let s = t.sites();
        assert_eq!(s["s1"].completeness(), Some(0.9));
        t.observe("s1", "r1", &[(6, 120)], &(11..=120).collect(), MIN, &RULES);
        let g = t.run("s1", "r1").unwrap();
        assert_eq!((g.lost, g.missing()), (5, 5));
        assert_eq!(g.issued, 115);
    }

    #[test]
    fn numbers_between_ranges_are_never_gaps_and_big_gaps_are_split() {
        let mut t = GapTracker::default();
        // Two reserved blocks: 1..=10 and 1001..=1300; 1001..=1250 lost.
        let stored: BTreeSet<u64> = (1..=10).chain(1251..=1300).collect();
        t.observe("s1", "r1", &[(1, 10), (1001, 1300)], &stored, 0, &RULES);
        let r = t.observe(
            "s1",
            "r1",
            &[(1, 10), (1001, 1300)],
            &stored,
            5 * MIN,
            &RULES,
        );
        let spans: Vec<(u64, u64)> = r.iter().map(|r| (r.from, r.to)).collect();
        assert_eq!(spans, vec![(1001, 1100), (1101, 1200), (1201, 1250)]);
        let payload: serde_json::Value = serde_json::from_str(&r[0].payload()).unwrap();
        assert_eq!(
            payload,
            serde_json::json!({"run": "r1", "from": 1001, "to": 1100})
        );
        assert_eq!(r[0].topic(), "coverage/v1/s1/resend");
    }

    #[test]
    fn one_statement_asks_for_many_runs_grouped_by_site_and_run() {
        let runs = vec![
            ("s-1".to_owned(), "r1".to_owned(), vec![(1, 5), (9, 20)]),
            ("o'k".to_owned(), "r2".to_owned(), vec![(7, 7)]),
        ];
        let q = runs_query("count(\"seq\")", &runs, Utc::now());
        assert!(
            q.starts_with("SELECT count(\"seq\") FROM \"signal\", "),
            "{q}"
        );
        assert!(q.ends_with("GROUP BY \"site\", \"run\""), "{q}");
        assert!(q.contains(
            "(\"site\" = 's-1' AND \"run\" = 'r1' AND ((\"seq\" >= 1 AND \"seq\" <= 5) OR (\"seq\" >= 9 AND \"seq\" <= 20)))"
        ), "{q}");
        // Quotes in a tag value are escaped, and the runs are joined with OR.
        assert!(
            q.contains(
                ") OR (\"site\" = 'o\\'k' AND \"run\" = 'r2' AND ((\"seq\" >= 7 AND \"seq\" <= 7)))"
            ),
            "{q}"
        );
    }

    #[test]
    fn ranges_are_read_from_the_stored_heartbeats() {
        let body = br#"{"results":[{"statement_id":0,"series":[
            {"name":"heartbeat","tags":{"site":"s1"},"columns":["time","seq_ranges"],"values":[[1000,"r1:1-30,r1:100-102"]]},
            {"name":"heartbeat","tags":{"site":"s2"},"columns":["time","seq_ranges"],"values":[[1000,"bad"]]}]}]}"#;
        let series = super::super::store::parse_answer(body).unwrap();
        let r = read_ranges(&series);
        assert_eq!(r.len(), 1);
        assert_eq!(r["s1"][1].first, 100);
        assert!(ranges_query(Utc::now()).starts_with("SELECT last(\"seq_ranges\")"));
    }
}

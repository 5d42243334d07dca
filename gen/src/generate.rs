//! Readings from a scenario: one seeded stream per SIM, probe and throughput direction, merged
//! in time order.
//!
//! Invariants:
//!
//! - **Deterministic.** Each stream draws from its own ChaCha8 stream of the seed (stream number
//!   from the site's index and the stream's place in it), so the same scenario and seed give the
//!   same readings, in the same order, on every machine; a stream's values do not depend on the
//!   other streams.
//! - **Valid.** Every reading passes `coverage_shared::validate::decode` (with a clock at or after
//!   the period's end): values are within the physical ranges, `ts` within the period.
//! - **In time order,** ties broken by stream order; `seq` counts up by one per reading of a site
//!   from 1, and each site has one `run` drawn from the seed, as one agent would publish them.
//! - Statistics are per stream: of a SIM's registered samples with a deciding value, the share
//!   at or above the threshold is `usable_share` (binomially); registration states follow the
//!   weights; registered samples carry the SIM's technology, the others `tech: none`.
//! - **Heartbeats** (unless the scenario's `heartbeat_s` is 0): one per site every
//!   `heartbeat_s` of simulated time, carrying it as `interval_s`, with `uptime_s` counted from
//!   the period's start and an empty spool, as a healthy agent sends them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};
use coverage_shared::signal::{Thresholds, deciding_field};
use coverage_shared::validate::SIGNAL_RANGES;
use coverage_shared::wire::{
    Body, Direction, Header, Heartbeat, Latency, ModemInfo, Plmn, Position, PositionSource,
    RadioValues, Reading, Reg, RttStats, SCHEMA_VERSION, Signal, Throughput,
};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Normal;

use crate::scenario::{LatencySpec, Scenario, SimSpec, SiteSpec, ThroughputSpec, parse_operator};

/// The `agent` field of generated readings.
pub const AGENT: &str = concat!("coverage-gen/", env!("CARGO_PKG_VERSION"));

const HOUR_MS: i64 = 3_600_000;
const REGS: [Reg; 5] = [
    Reg::Home,
    Reg::Roaming,
    Reg::Searching,
    Reg::Denied,
    Reg::Unknown,
];

/// The readings of `scenario` under `seed`, in time order (see the module doc).
pub fn generate(scenario: &Scenario, seed: u64) -> Generator {
    Generator::new(scenario, seed)
}

/// Evenly spaced instants of a stream within the period, restricted to some local hours.
#[derive(Debug, Clone)]
struct Schedule {
    next_ms: i64,
    end_ms: i64,
    interval_ms: i64,
    /// Bit `h` set: local hour `h` is measured.
    hours: u32,
    offset_ms: i64,
}

impl Schedule {
    fn next(&mut self) -> Option<i64> {
        loop {
            let t = self.next_ms;
            if t >= self.end_ms {
                return None;
            }
            self.next_ms += self.interval_ms;
            let hour = (t + self.offset_ms).div_euclid(HOUR_MS).rem_euclid(24);
            if self.hours & (1 << hour) != 0 {
                return Some(t);
            }
        }
    }
}

/// What a stream produces.
#[derive(Debug)]
enum Source {
    Signal {
        sim: SimSpec,
        modem: String,
        plmn: Plmn,
        reg: WeightedIndex<f64>,
        field: &'static str,
        threshold: f64,
        range: (f64, f64),
    },
    Latency {
        spec: LatencySpec,
        rtt: Normal<f64>,
        /// Outage windows in ms.
        outages: Vec<(i64, i64)>,
    },
    Throughput {
        spec: ThroughputSpec,
        direction: Direction,
    },
    /// The site's heartbeats, as an agent with `interval_s` sends them.
    Heartbeat {
        interval_s: u64,
        /// Start of the period, ms (the agent's start: `uptime_s` counts from it).
        started_ms: i64,
        modems: Vec<ModemInfo>,
    },
}

/// The stream place of a site's heartbeats: above every other stream's, so turning heartbeats
/// on or off leaves the other streams' values as they were.
const HEARTBEAT_PLACE: u64 = (1 << 20) - 1;

#[derive(Debug)]
struct Stream {
    site: usize,
    schedule: Schedule,
    rng: ChaCha8Rng,
    source: Source,
}

#[derive(Debug)]
struct SiteState {
    spec: SiteSpec,
    run: String,
    seq: u64,
}

/// The iterator [`generate`] returns.
#[derive(Debug)]
pub struct Generator {
    sites: Vec<SiteState>,
    streams: Vec<Stream>,
    /// `(ts, stream)` of every stream's next reading.
    heap: BinaryHeap<Reverse<(i64, usize)>>,
}

/// A stream's own ChaCha8 stream of the seed: site index in the high bits, place below.
fn rng_for(seed: u64, site: usize, place: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((site as u64) << 20) | place);
    rng
}

/// Rounds to 0.1 (what modems report), keeping the sign of `x - threshold`.
fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn hour_mask(hours: &[u8]) -> u32 {
    if hours.is_empty() {
        (1 << 24) - 1
    } else {
        hours.iter().fold(0, |m, h| m | (1 << h))
    }
}

impl Generator {
    /// A generator over a scenario that passed [`Scenario::validate`]; streams whose
    /// parameters are invalid (an unvalidated scenario) produce nothing.
    pub fn new(scenario: &Scenario, seed: u64) -> Generator {
        let from = scenario.period.from.timestamp_millis();
        let end = scenario.period.to.timestamp_millis();
        let offset_ms = i64::from(scenario.period.utc_offset_hours) * HOUR_MS;
        let mut sites = Vec::new();
        let mut streams = Vec::new();
        for (i, spec) in scenario.sites.iter().enumerate() {
            let mut run_rng = rng_for(seed, i, 0);
            let run = format!("{:016x}", run_rng.random::<u64>());
            let mut place = 1u64;
            let mut push = |rng: ChaCha8Rng, schedule: Schedule, source: Source| {
                streams.push(Stream {
                    site: i,
                    schedule,
                    rng,
                    source,
                });
            };
            let schedule = |rng: &mut ChaCha8Rng, interval_ms: i64, hours: u32| Schedule {
                // A random phase per stream, so sites do not all measure on the same millisecond.
                next_ms: from + rng.random_range(0..interval_ms.max(1)),
                end_ms: end,
                interval_ms: interval_ms.max(1),
                hours,
                offset_ms,
            };
            for (j, sim) in spec.sims.iter().enumerate() {
                let mut rng = rng_for(seed, i, place);
                place += 1;
                let (Some((mcc, mnc)), Some(field), Ok(reg)) = (
                    parse_operator(&sim.operator),
                    deciding_field(sim.tech),
                    WeightedIndex::new(sim.reg.weights()),
                ) else {
                    continue;
                };
                let threshold = sim
                    .threshold_dbm
                    .or_else(|| Thresholds::default().for_tech(sim.tech))
                    .unwrap_or(-110.0);
                let range = SIGNAL_RANGES
                    .iter()
                    .find(|(n, _, _)| *n == field)
                    .map_or((-156.0, -31.0), |(_, lo, hi)| (*lo, *hi));
                let s = schedule(
                    &mut rng,
                    HOUR_MS / i64::from(sim.samples_per_hour.max(1)),
                    hour_mask(&sim.hours),
                );
                let source = Source::Signal {
                    modem: sim.modem.clone().unwrap_or_else(|| format!("sim{j}")),
                    plmn: Plmn {
                        mcc: mcc.to_owned(),
                        mnc: mnc.to_owned(),
                        name: coverage_shared::text::operators::name_of(&sim.operator)
                            .map(str::to_owned),
                    },
                    sim: sim.clone(),
                    reg,
                    field,
                    threshold,
                    range,
                };
                push(rng, s, source);
            }
            for probe in &spec.fibre {
                let mut rng = rng_for(seed, i, place);
                place += 1;
                let Ok(rtt) = Normal::new(probe.rtt_ms, probe.rtt_stddev_ms) else {
                    continue;
                };
                let s = schedule(
                    &mut rng,
                    HOUR_MS / i64::from(probe.rounds_per_hour.max(1)),
                    hour_mask(&[]),
                );
                let outages = probe
                    .outages
                    .iter()
                    .map(|w| (w.from.timestamp_millis(), w.to.timestamp_millis()))
                    .collect();
                push(
                    rng,
                    s,
                    Source::Latency {
                        spec: probe.clone(),
                        rtt,
                        outages,
                    },
                );
            }
            for t in &spec.throughput {
                for direction in [Direction::Down, Direction::Up] {
                    let mut rng = rng_for(seed, i, place);
                    place += 1;
                    let interval = (end - from) / i64::from(t.samples.max(1));
                    let s = schedule(&mut rng, interval, hour_mask(&[]));
                    let source = Source::Throughput {
                        spec: t.clone(),
                        direction,
                    };
                    push(rng, s, source);
                }
            }
            if scenario.heartbeat_s > 0 {
                let mut rng = rng_for(seed, i, HEARTBEAT_PLACE);
                let interval_ms = i64::try_from(scenario.heartbeat_s)
                    .unwrap_or(i64::MAX / 1000)
                    .saturating_mul(1000);
                let s = schedule(&mut rng, interval_ms, hour_mask(&[]));
                let modems = spec
                    .sims
                    .iter()
                    .enumerate()
                    .map(|(j, sim)| ModemInfo {
                        name: sim.modem.clone().unwrap_or_else(|| format!("sim{j}")),
                        sim_state: Some("ready".into()),
                        ..ModemInfo::default()
                    })
                    .collect();
                push(
                    rng,
                    s,
                    Source::Heartbeat {
                        interval_s: scenario.heartbeat_s,
                        started_ms: from,
                        modems,
                    },
                );
            }
            sites.push(SiteState {
                spec: spec.clone(),
                run,
                seq: 0,
            });
        }
        let mut heap = BinaryHeap::with_capacity(streams.len());
        for (k, stream) in streams.iter_mut().enumerate() {
            if let Some(t) = stream.schedule.next() {
                heap.push(Reverse((t, k)));
            }
        }
        Generator {
            sites,
            streams,
            heap,
        }
    }

    /// How many readings remain, exactly (walks the schedules without drawing values).
    pub fn count_remaining(&self) -> u64 {
        let mut n = self.heap.len() as u64;
        for Reverse((_, k)) in &self.heap {
            let mut s = self.streams[*k].schedule.clone();
            while s.next().is_some() {
                n += 1;
            }
        }
        n
    }
}

impl Iterator for Generator {
    type Item = Reading;

    fn next(&mut self) -> Option<Reading> {
        let Reverse((ts_ms, k)) = self.heap.pop()?;
        let stream = &mut self.streams[k];
        let site = &mut self.sites[stream.site];
        site.seq += 1;
        let ts = DateTime::<Utc>::from_timestamp_millis(ts_ms).unwrap_or_default();
        let (clock_synced, body) = draw(&mut stream.rng, &stream.source, &site.spec, ts_ms);
        let reading = Reading {
            header: Header {
                v: SCHEMA_VERSION,
                site: site.spec.id.clone(),
                run: site.run.clone(),
                seq: site.seq,
                ts,
                clock_synced: Some(clock_synced),
                pos: Position {
                    lat: site.spec.lat,
                    lon: site.spec.lon,
                    src: PositionSource::Config,
                    acc_m: None,
                },
                commune: None,
                agent: AGENT.to_owned(),
            },
            body,
        };
        if let Some(t) = stream.schedule.next() {
            self.heap.push(Reverse((t, k)));
        }
        Some(reading)
    }
}

/// One reading's body (and its `clock_synced`), drawn from the stream's generator.
fn draw(rng: &mut ChaCha8Rng, source: &Source, site: &SiteSpec, ts_ms: i64) -> (bool, Body) {
    match source {
        Source::Signal {
            sim,
            modem,
            plmn,
            reg,
            field,
            threshold,
            range,
        } => {
            // Always the same number of draws per sample, whatever the outcome, so one
            // parameter changes its own outcomes only.
            let unsynced = rng.random::<f64>() < sim.unsynced_share;
            let state = REGS[reg.sample(rng)];
            let null = rng.random::<f64>() < sim.null_share;
            let usable = rng.random::<f64>() < sim.usable_share;
            let u = rng.random::<f64>();
            let mut radio = RadioValues::no_service(state);
            if matches!(state, Reg::Home | Reg::Roaming) {
                radio.tech = sim.tech;
                if !null {
                    let (lo, hi) = *range;
                    let t = *threshold;
                    let value = if usable {
                        let top = (t + 30.0).min(hi).max(t);
                        tenth(t + u * (top - t)).clamp(t, hi.max(t))
                    } else {
                        let bottom = (t - 30.0).max(lo);
                        let v = tenth(bottom + u * (t - bottom));
                        (if v >= t { tenth(t - 0.1) } else { v }).max(lo)
                    };
                    if let Some(slot) = radio.value_mut(field) {
                        *slot = Some(value);
                    }
                }
            }
            let body = Body::Signal(Signal {
                modem: modem.clone(),
                operator: plmn.clone(),
                serving: None,
                placement: site.placement,
                antenna: site.antenna,
                radio,
            });
            (!unsynced, body)
        }
        Source::Latency { spec, rtt, outages } => {
            let down = outages.iter().any(|(a, b)| (*a..*b).contains(&ts_ms));
            let mut rtts = Vec::with_capacity(spec.probes as usize);
            for _ in 0..spec.probes {
                let lost = rng.random::<f64>() < spec.loss;
                let value = (rtt.sample(rng).max(0.05) * 100.0).round() / 100.0;
                rtts.push((!(down || lost)).then_some(value));
            }
            let mut got: Vec<f64> = rtts.iter().flatten().copied().collect();
            let jitter = (got.len() > 1).then(|| {
                let diffs: f64 = got.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
                round2(diffs / (got.len() - 1) as f64)
            });
            got.sort_by(f64::total_cmp);
            let body = Body::Latency(Latency {
                target: spec.target.clone(),
                method: spec.method,
                link: spec.link,
                interface: spec.interface.clone(),
                sent: spec.probes,
                received: got.len() as u32,
                dup: 0,
                rtt_ms: stats(&got),
                jitter_ms: jitter,
                rtts_ms: rtts,
                refused: None,
                error: None,
            });
            (true, body)
        }
        Source::Throughput { spec, direction } => {
            let nominal = match direction {
                Direction::Down => spec.down_mbps,
                Direction::Up => spec.up_mbps,
            };
            let mbps = round2(nominal * rng.random_range(0.85..1.10));
            let duration_ms = 10_000.0;
            let bytes = (mbps * 1e6 / 8.0 * duration_ms / 1000.0) as u64;
            let body = Body::Throughput(Throughput {
                target: spec.target.clone(),
                link: spec.link,
                interface: spec.interface.clone(),
                direction: *direction,
                bytes,
                duration_ms,
                mbps: Some(mbps),
                error: None,
            });
            (true, body)
        }
        Source::Heartbeat {
            interval_s,
            started_ms,
            modems,
        } => {
            let body = Body::Heartbeat(Heartbeat {
                uptime_s: u64::try_from((ts_ms - started_ms) / 1000).unwrap_or(0),
                interval_s: Some(*interval_s),
                spool_depth: 0,
                spool_dropped: 0,
                // An agent whose NTP client synchronised a few minutes ago.
                clock_sync_age_s: Some(64.0 + f64::from(rng.random_range(0..600u32))),
                modems: modems.clone(),
                seq_ranges: Vec::new(),
            });
            (true, body)
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Round statistics of sorted RTTs: median, nearest-rank p95, population deviation.
fn stats(sorted: &[f64]) -> Option<RttStats> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let var = sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    let p50 = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
    Some(RttStats {
        min: sorted[0],
        p50: round2(p50),
        mean: round2(mean),
        p95: sorted[rank - 1],
        max: sorted[n - 1],
        stddev: round2(var.sqrt()),
    })
}

#[cfg(test)]
mod tests;

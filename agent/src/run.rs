//! `coverage-agent run`: measure on schedules, record to the spool, publish from the spool.
//!
//! Tasks and what they own:
//!
//! - one sampler per modem (owns the modem), one task per probe (owns its sockets), the
//!   heartbeat: each sends [`Measurement`]s with `try_send` and never waits on the network;
//! - the [`Recorder`] (owns the [`AgentState`]): gives each measurement its header (`run`,
//!   `seq`, `clock_synced`, position), appends a batch to the spool (fsync), wakes the publisher;
//! - the [`Publisher`] (owns the MQTT connection): drains the spool, acknowledges on PUBACK.
//!
//! Shutdown stops the measuring tasks first, lets the recorder write what they handed over,
//! then stops the publisher (which commits the spool's acknowledgements).

use crate::clock::ClockWatch;
use crate::config::{AgentConfig, SiteConfig};
use crate::header::reading_header;
use crate::measure::{MeasureTx, Measurement};
use crate::modem::{self, Modem};
use crate::probe;
use crate::publish::{PublishStats, Publisher};
use crate::spool::{Record, SharedSpool};
use crate::state::{AgentState, StateError};
use coverage_net::backoff::Backoff;
use coverage_shared::topic::reading_topic;
use coverage_shared::wire::{
    Body, Header, Heartbeat, MAX_SEQ_RANGES, ModemInfo, Reading, SeqRange, Signal,
};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

/// The agent's version, carried in every reading.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why the agent could not start.
#[derive(Debug, Error)]
pub enum RunError {
    /// The state directory is unusable.
    #[error(transparent)]
    State(#[from] StateError),
    /// The spool cannot be opened.
    #[error("spool: {0}")]
    Spool(#[from] crate::spool::SpoolError),
    /// The MQTT settings are unusable.
    #[error(transparent)]
    Mqtt(#[from] coverage_net::mqtt::MqttConfigError),
    /// A modem cannot be opened.
    #[error("modem {name}: {error}")]
    Modem {
        /// The modem's configured name.
        name: String,
        /// What went wrong.
        error: String,
    },
}

/// Stamps measurements with their header and appends them to the spool.
pub struct Recorder {
    state: AgentState,
    spool: SharedSpool,
    site: SiteConfig,
    clock: ClockWatch,
    wake: Arc<Notify>,
}

impl Recorder {
    /// A recorder for `site`, numbering from `state`, writing to `spool`.
    pub fn new(
        state: AgentState,
        spool: SharedSpool,
        site: SiteConfig,
        clock: ClockWatch,
        wake: Arc<Notify>,
    ) -> Recorder {
        Recorder {
            state,
            spool,
            site,
            clock,
            wake,
        }
    }

    /// The header of a reading measured at `ts`.
    pub fn header(&mut self, ts: chrono::DateTime<chrono::Utc>) -> Result<Header, StateError> {
        Ok(reading_header(
            &self.site,
            self.state.run().to_owned(),
            self.state.next_seq()?,
            ts,
            self.clock.synced(),
        ))
    }

    /// A spool record for `m`.
    pub fn record(&mut self, m: Measurement) -> Result<Record, StateError> {
        let reading = Reading {
            header: self.header(m.ts)?,
            body: m.body,
        };
        Ok(Record {
            seq: reading.header.seq,
            topic: reading_topic(&self.site.id, reading.kind()),
            payload: reading.to_json().into_bytes(),
        })
    }

    /// Appends `records` (fsync), retrying while the disk refuses; wakes the publisher.
    pub async fn append(&self, records: Vec<Record>) {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        loop {
            match self.spool.append_batch(records.clone()).await {
                Ok(dropped) => {
                    if let Some(d) = dropped {
                        tracing::error!(
                            readings = d.readings,
                            first_seq = d.first_seq,
                            last_seq = d.last_seq,
                            "Spool full: dropped the oldest unsent readings."
                        );
                    }
                    self.wake.notify_one();
                    return;
                }
                Err(e) => {
                    if backoff.should_log() {
                        tracing::error!(error = %e, readings = records.len(), "Cannot write the spool; retrying. Measuring continues while the channel has room.");
                    }
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    }

    /// Records everything `rx` delivers until it closes, in batches of what is ready.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Measurement>) {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < 256 {
                match rx.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
            let mut records = Vec::with_capacity(batch.len());
            for m in batch {
                match self.record(m) {
                    // DESIGN.md's payload limit, which the broker enforces too
                    // (`message_size_limit`): such a reading could never be delivered, and in a
                    // batch it would keep the spool from taking the others.
                    Ok(r) if r.payload.len() > coverage_shared::wire::MAX_PAYLOAD_BYTES => {
                        tracing::error!(
                            seq = r.seq,
                            topic = %r.topic,
                            bytes = r.payload.len(),
                            limit = coverage_shared::wire::MAX_PAYLOAD_BYTES,
                            "Reading larger than the wire format allows; dropped."
                        );
                    }
                    Ok(r) => records.push(r),
                    Err(e) => {
                        tracing::error!(error = %e, "Cannot reserve a sequence number; reading lost.")
                    }
                }
            }
            if !records.is_empty() {
                self.append(records).await;
            }
        }
    }
}

/// Samples one modem on `interval` and hands signal readings over.
pub async fn sample_modem(
    mut modem: Modem,
    site: SiteConfig,
    interval: Duration,
    infos: Arc<Mutex<Vec<ModemInfo>>>,
    tx: MeasureTx,
    shutdown: CancellationToken,
) {
    let name = modem.name().to_owned();
    let info = modem.info().await;
    set_info(&infos, info);
    let mut failing = false;
    let mut last_info = Instant::now();
    // A random phase so a fleet does not sample in step.
    let phase = Duration::from_millis(rand::random_range(0..interval.as_millis().max(1) as u64));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + phase, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        if last_info.elapsed() > Duration::from_secs(3600) {
            set_info(&infos, modem.info().await);
            last_info = Instant::now();
        }
        let ts = chrono::Utc::now();
        let sample = tokio::select! {
            s = modem.sample() => s,
            _ = shutdown.cancelled() => return,
        };
        let body = match sample {
            Ok(s) => {
                if failing {
                    tracing::info!(modem = %name, "Modem answering again.");
                    failing = false;
                }
                let Some(operator) = s.operator else {
                    tracing::warn!(modem = %name, "Modem does not say which SIM (operator) it has; sample skipped.");
                    continue;
                };
                Body::Signal(Signal {
                    modem: name.clone(),
                    operator,
                    serving: s.serving,
                    placement: site.placement,
                    antenna: site.antenna,
                    radio: s.radio,
                })
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(modem = %name, error = %e, "Modem not answering; no signal readings until it does.");
                    failing = true;
                }
                continue;
            }
        };
        if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(Measurement { ts, body }) {
            return;
        }
    }
}

fn set_info(infos: &Mutex<Vec<ModemInfo>>, info: ModemInfo) {
    let mut v = infos.lock().unwrap_or_else(|p| p.into_inner());
    match v.iter_mut().find(|m| m.name == info.name) {
        Some(slot) => *slot = info,
        None => v.push(info),
    }
}

/// The heartbeat's `seq_ranges` from the spool's runs of seqs: the newest
/// [`MAX_SEQ_RANGES`] (older ones, if a spool ever held more, are no longer offered).
pub fn seq_ranges(run: &str, runs: &[(u64, u64)]) -> Vec<SeqRange> {
    let skip = runs.len().saturating_sub(MAX_SEQ_RANGES);
    runs[skip..]
        .iter()
        .map(|&(first, last)| SeqRange {
            run: run.to_owned(),
            first,
            last,
        })
        .collect()
}

/// Sends a heartbeat every `interval`, with the seqs the spool holds (`seq_ranges` of run
/// `run`).
#[allow(clippy::too_many_arguments)]
pub async fn heartbeat(
    interval: Duration,
    started: Instant,
    spool: SharedSpool,
    run: String,
    clock: ClockWatch,
    infos: Arc<Mutex<Vec<ModemInfo>>>,
    tx: MeasureTx,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        clock.refresh().await;
        let runs = spool.with(|s| s.seq_runs()).await;
        let stats = spool.stats();
        let body = Body::Heartbeat(Heartbeat {
            uptime_s: started.elapsed().as_secs(),
            interval_s: Some(interval.as_secs().max(1)),
            spool_depth: stats.depth(),
            spool_dropped: stats.dropped(),
            clock_sync_age_s: clock.age_s(),
            modems: infos.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            seq_ranges: seq_ranges(&run, &runs),
        });
        if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(Measurement {
            ts: chrono::Utc::now(),
            body,
        }) {
            return;
        }
    }
}

/// Runs the agent until `shutdown` completes.
pub async fn run(cfg: AgentConfig, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    let started = Instant::now();
    let state = AgentState::open(&cfg.state_dir)?;
    let run_id = state.run().to_owned();
    let spool = SharedSpool::open(cfg.state_dir.join("spool"), cfg.spool.clone()).await?;
    let opts = cfg
        .mqtt
        .options(&format!("agent-{}", cfg.site.id), &cfg.base)?;
    let clock = ClockWatch::new();
    clock.refresh().await;
    tracing::info!(site = %cfg.site.id, run = %run_id, broker = %cfg.mqtt.url, modems = cfg.modems.len(), probes = cfg.probes.len(), unsent = spool.stats().depth(), "Agent starting.");

    let (tx, rx) = mpsc::channel::<Measurement>(1024);
    let wake = Arc::new(Notify::new());
    let stop_measuring = CancellationToken::new();
    let stop_publishing = CancellationToken::new();
    let infos = Arc::new(Mutex::new(Vec::new()));
    let mut measuring = Vec::new();
    for m in &cfg.modems {
        let modem = modem::open(m).await.map_err(|e| RunError::Modem {
            name: m.name().to_owned(),
            error: e.to_string(),
        })?;
        measuring.push(tokio::spawn(sample_modem(
            modem,
            cfg.site.clone(),
            cfg.schedule.signal_interval,
            infos.clone(),
            tx.clone(),
            stop_measuring.clone(),
        )));
    }
    measuring.extend(probe::spawn_probes(
        cfg.probes.clone(),
        cfg.throughput.clone(),
        tx.clone(),
        stop_measuring.clone(),
    ));
    measuring.push(tokio::spawn(heartbeat(
        cfg.schedule.heartbeat_interval,
        started,
        spool.clone(),
        run_id.clone(),
        clock.clone(),
        infos,
        tx.clone(),
        stop_measuring.clone(),
    )));
    drop(tx);

    let recorder = Recorder::new(state, spool.clone(), cfg.site.clone(), clock, wake.clone());
    let recorder_task = tokio::spawn(recorder.run(rx));
    let publisher = Publisher {
        spool,
        wake,
        site: cfg.site.id.clone(),
        run: run_id,
        stats: Arc::new(PublishStats::default()),
        broker: crate::check::BrokerContext::from_config(&cfg, coverage_shared::text::Lang::En)
            .ok(),
    };
    let publisher_task = tokio::spawn(publisher.run(opts, stop_publishing.clone()));

    shutdown.await;
    tracing::info!("Shutting down: measuring stops, recorded readings stay in the spool.");
    stop_measuring.cancel();
    for t in measuring {
        let _ = t.await;
    }
    let _ = recorder_task.await;
    stop_publishing.cancel();
    let _ = publisher_task.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::SpoolConfig;
    use coverage_shared::wire::{Antenna, Placement};

    fn heartbeat(modem_name: String) -> Measurement {
        Measurement {
            ts: chrono::Utc::now(),
            body: Body::Heartbeat(Heartbeat {
                uptime_s: 1,
                interval_s: Some(60),
                spool_depth: 0,
                spool_dropped: 0,
                clock_sync_age_s: None,
                modems: vec![ModemInfo {
                    name: modem_name,
                    model: None,
                    imei: None,
                    iccid: None,
                    sim_state: None,
                }],
                seq_ranges: Vec::new(),
            }),
        }
    }

    #[tokio::test]
    async fn a_reading_over_the_payload_limit_is_dropped_and_the_others_spooled() {
        let dir = tempfile::tempdir().unwrap();
        let state = AgentState::open(&dir.path().join("state")).unwrap();
        let spool = SharedSpool::open(dir.path().join("spool"), SpoolConfig::default())
            .await
            .unwrap();
        let site = SiteConfig {
            id: "s1".into(),
            lat: 22.1,
            lon: 105.8,
            acc_m: None,
            placement: Placement::Indoor,
            antenna: Antenna::Internal,
            commune: None,
        };
        let recorder = Recorder::new(
            state,
            spool.clone(),
            site,
            ClockWatch::new(),
            Arc::new(Notify::new()),
        );
        let (tx, rx) = mpsc::channel(8);
        tx.send(heartbeat("a".into())).await.unwrap();
        tx.send(heartbeat("x".repeat(70 * 1024))).await.unwrap();
        tx.send(heartbeat("b".into())).await.unwrap();
        drop(tx);
        recorder.run(rx).await;
        let spooled = spool.next_unsent(10).await.unwrap();
        let names: Vec<String> = spooled
            .iter()
            .map(|r| String::from_utf8_lossy(&r.payload).into_owned())
            .collect();
        assert_eq!(spooled.len(), 2, "{names:?}");
        assert!(names[0].contains(r#""name":"a""#) && names[1].contains(r#""name":"b""#));
    }
}

//! `coverage-collector run`: wires ingest, sink and the operations endpoint together and shuts
//! them down in order (stop taking messages, flush what was taken, then exit).

use crate::config::{Config, Store};
use crate::coordinator::status::{StatusBoard, StatusInputs, StatusTask};
use crate::coordinator::{self, Clock, SystemClock};
use crate::deadletter::DeadLetters;
use crate::enrich::Enricher;
use crate::ingest::{Ingest, IngestSettings};
use crate::metrics::Metrics;
use crate::sink::Sink;
use crate::sink::influx::{ArchiveWriter, Writer};
use crate::wal::Wal;
use coverage_shared::boundary::BoundaryRegistry;
use std::future::Future;
use std::sync::Arc;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Why the collector could not start.
#[derive(Debug, Error)]
pub enum RunError {
    /// Boundary sets could not be loaded.
    #[error("boundary sets: {0}")]
    Boundaries(#[from] coverage_shared::boundary::BoundaryError),
    /// MQTT settings are unusable (a file cannot be read).
    #[error(transparent)]
    Mqtt(#[from] coverage_net::mqtt::MqttConfigError),
    /// The store settings are unusable.
    #[error("{0}")]
    Store(String),
    /// The write-ahead log cannot be opened.
    #[error("wal.dir {dir}: {reason}")]
    Wal {
        /// The log's directory.
        dir: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The operations endpoint cannot listen.
    #[error("http.listen {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Loads the boundary sets the config asks for.
pub fn boundaries(cfg: &Config) -> Result<BoundaryRegistry, RunError> {
    Ok(match &cfg.boundaries_dir {
        Some(dir) => BoundaryRegistry::from_dir(dir)?,
        None => BoundaryRegistry::embedded()?,
    })
}

/// The writer for the configured store.
pub fn writer(cfg: &Config) -> Result<Writer, RunError> {
    match &cfg.store {
        Store::Influx {
            cfg: influx,
            secret,
        } => Writer::from_config(influx, secret.as_ref().map(|s| s.expose().to_owned()))
            .map_err(RunError::Store),
        Store::Archive(path) => Ok(Writer::Archive(ArchiveWriter::new(path))),
    }
}

/// Runs the collector until `shutdown` completes. Returns the metrics for a final summary.
pub async fn run(
    cfg: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<Arc<Metrics>, RunError> {
    run_with(cfg, Arc::new(Metrics::new()), shutdown).await
}

/// [`run`] with metrics the caller can watch while it runs (the demo waits on them).
pub async fn run_with(
    cfg: Config,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> Result<Arc<Metrics>, RunError> {
    run_with_clock(cfg, metrics, Arc::new(SystemClock), shutdown).await
}

/// [`run_with`] on `clock`: the time the coordinator and the `stored_late` marks go by (the
/// demo passes its simulated clock).
pub async fn run_with_clock(
    cfg: Config,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) -> Result<Arc<Metrics>, RunError> {
    let registry = Arc::new(boundaries(&cfg)?);
    let writer = writer(&cfg)?;
    let opts = cfg.mqtt.options("coverage-collector", &cfg.base)?;
    let dead = Arc::new(DeadLetters::new(
        Some(&cfg.dead_letter.path),
        &cfg.dead_letter,
    ));
    let listener = tokio::net::TcpListener::bind(cfg.http.listen)
        .await
        .map_err(|source| RunError::Listen {
            addr: cfg.http.listen,
            source,
        })?;
    tracing::info!(
        store = %writer.describe(),
        broker = %cfg.mqtt.url,
        filter = %cfg.filter,
        http = %cfg.http.listen,
        "Collector starting."
    );

    let stop_ingest = CancellationToken::new();
    let finish_sink = CancellationToken::new();
    let stop_sink = CancellationToken::new();
    let stop_http = CancellationToken::new();
    // Sized above the receive maximum: the broker never has more unacknowledged messages out.
    // With the write-ahead log the sink's queue holds a whole batch too, so the drainer fills
    // the next batch while the sink writes one (the lines are in the log: only memory bounds
    // this queue, about 2 MB at 5,000 lines).
    let queue = usize::from(cfg.ingest.receive_maximum) + 64;
    let queue = if cfg.wal.is_some() {
        queue.max(cfg.sink.batch_lines)
    } else {
        queue
    };
    let (tx, rx) = mpsc::channel(queue);
    let store = coordinator::store::Store::from_config(&cfg.store)
        .map_err(|e| RunError::Store(e.to_string()))?;
    let marker = coordinator::marks::LateMarker {
        instance: cfg.coordinator.instance.clone().unwrap_or_default(),
        settle: cfg.coordinator.settle,
        clock: clock.clone(),
        store: store.clone(),
    };
    let sink =
        Sink::new(writer, cfg.sink.clone(), metrics.clone(), dead.clone()).with_late_marks(marker);
    let sink_task = tokio::spawn(sink.run(rx, finish_sink.clone(), stop_sink.clone()));
    // With the write-ahead log the ingest hands its points to the log's appender (and the
    // PUBACK follows the fsync); the drainer feeds the sink from the log.
    let stop_drain = CancellationToken::new();
    let (tx, wal_tasks) = match &cfg.wal {
        Some(wal_cfg) => {
            let wal = Wal::open(wal_cfg, metrics.clone())
                .await
                .map_err(|e| RunError::Wal {
                    dir: wal_cfg.dir.clone(),
                    reason: e.to_string(),
                })?;
            let (in_tx, in_rx) = mpsc::channel(usize::from(cfg.ingest.receive_maximum) + 64);
            let appender = tokio::spawn(wal.clone().append(in_rx, dead.clone()));
            let drainer = tokio::spawn(wal.drain(tx, stop_drain.clone()));
            (in_tx, Some((appender, drainer)))
        }
        None => (tx, None),
    };
    let stop_coordinator = CancellationToken::new();
    // The registry file, watched: a site added or retired is picked up without a restart.
    let (sites, registry_task) = crate::registry::watch(
        cfg.registry.clone(),
        cfg.registry_reload_every,
        stop_http.clone(),
    );
    // The coordinator's rollups; `snapshot` holds its latest daily commune points (the API
    // serves them in archive mode).
    let (coordinator_task, _snapshot) = if cfg.coordinator.enabled {
        let mut rollups = coordinator::rollups(
            &cfg,
            store.clone(),
            registry.clone(),
            clock.clone(),
            metrics.clone(),
        )
        .map_err(|e| RunError::Store(e.to_string()))?;
        rollups.sites = Some(sites.clone());
        let rollups = Arc::new(rollups);
        let snapshot = rollups.snapshot.clone();
        (
            Some(tokio::spawn(rollups.run(stop_coordinator.clone()))),
            Some(snapshot),
        )
    } else {
        (None, None)
    };
    // The coordinator's gap pass (InfluxDB only): its resend requests go out on the ingest's
    // connection.
    let gap_board = coordinator::gaps::GapBoard::default();
    let (resends, gaps_task) = match (&store, cfg.coordinator.enabled) {
        (coordinator::store::Store::Influx(influx), true) => {
            let (req_tx, req_rx) = mpsc::unbounded_channel();
            let task = coordinator::gaps::GapTask {
                store: (**influx).clone(),
                clock: clock.clone(),
                rules: coordinator::gaps::GapRules {
                    grace: cfg.coordinator.gap_grace,
                    again_after: cfg.coordinator.resend_again_after,
                    max_request: 1000,
                },
                every: cfg.coordinator.gaps_every,
                requests: req_tx,
                metrics: metrics.clone(),
                board: gap_board.clone(),
                tracker: coordinator::gaps::GapTracker::default(),
            };
            (
                Some(req_rx),
                Some(tokio::spawn(task.run(stop_coordinator.clone()))),
            )
        }
        _ => (None, None),
    };
    let ingest = Ingest {
        enricher: Arc::new(Enricher::live(registry.clone(), sites.clone())),
        reject_unregistered: cfg.unregistered == crate::config::Unregistered::Reject,
        metrics: metrics.clone(),
        dead,
        tx,
        resends,
    };
    let settings = IngestSettings {
        filter: cfg.filter.clone(),
        receive_maximum: cfg.ingest.receive_maximum,
        session_expiry: cfg.ingest.session_expiry,
        identity: cfg.ingest.identity.clone(),
    };
    let ingest_task = tokio::spawn(ingest.run(opts, settings, stop_ingest.clone()));
    let coordinator = cfg.coordinator.enabled.then(|| store.clone());
    let board = coordinator.as_ref().map(|_| StatusBoard::default());
    let status_task = match (&coordinator, &board) {
        (Some(store), Some(board)) => {
            let task = StatusTask::new(StatusInputs {
                store: store.clone(),
                clock: clock.clone(),
                config: cfg.coordinator.clone(),
                registry: sites.clone(),
                boundaries: registry.clone(),
                board: board.clone(),
                metrics: metrics.clone(),
                gaps: gap_board.clone(),
            });
            Some(tokio::spawn(task.run(stop_http.clone())))
        }
        _ => None,
    };
    let state = crate::api::ApiState {
        metrics: metrics.clone(),
        token: cfg.http_token.clone(),
        boundaries: registry.clone(),
        board,
        store: Some(store.clone()),
        audits: Arc::new(crate::api::audit::AuditRunner::new(
            cfg.audit.clone(),
            cfg.store.query_endpoint(),
            match &cfg.store {
                Store::Archive(path) => vec![path.clone()],
                Store::Influx { .. } => Vec::new(),
            },
            cfg.api.clone(),
        )),
    };
    let app = crate::api::router(state);
    let http_stop = stop_http.clone();
    let http_task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(http_stop.cancelled_owned())
            .await
        {
            tracing::error!(error = %e, "Operations endpoint failed.");
        }
    });

    shutdown.await;
    tracing::info!("Shutting down: no new messages; flushing what was received.");
    stop_coordinator.cancel();
    if let Some(task) = coordinator_task {
        let _ = task.await;
    }
    if let Some(task) = gaps_task {
        let _ = task.await;
    }
    // The ingest stops handing messages to the sink but keeps its connection, so the acks of
    // the final flush reach the broker (they were lost with the connection before). The sink
    // writes what it holds and returns; if the store is down, it gets a bounded time, then the
    // rest stays unacknowledged with the broker. The ingest ends once every ack is sent.
    stop_ingest.cancel();
    let mut ingest_task = Some(ingest_task);
    let drainer = match wal_tasks {
        Some((appender, drainer)) => {
            // With the log, the ingest ends once the appender has appended (and so acked)
            // what it holds; then nothing more is handed to the sink.
            if let Some(mut task) = ingest_task.take()
                && tokio::time::timeout(std::time::Duration::from_secs(15), &mut task)
                    .await
                    .is_err()
            {
                tracing::warn!(
                    "The write-ahead log did not take the last messages in time; they stay with the broker."
                );
                task.abort();
            }
            let _ = appender.await;
            stop_drain.cancel();
            Some(drainer)
        }
        None => None,
    };
    finish_sink.cancel();
    let mut sink_task = sink_task;
    let flush = tokio::time::timeout(std::time::Duration::from_secs(10), &mut sink_task);
    if flush.await.is_err() {
        stop_sink.cancel();
        let _ = sink_task.await;
    }
    // The drainer commits what the final flush stored; without the log, the ingest sends the
    // final flush's acks.
    if let Some(drainer) = drainer {
        let _ = drainer.await;
    }
    if let Some(task) = ingest_task {
        let _ = task.await;
    }
    stop_http.cancel();
    let _ = http_task.await;
    if let Some(task) = status_task {
        let _ = task.await;
    }
    if let Some(task) = registry_task {
        let _ = task.await;
    }
    Ok(metrics)
}

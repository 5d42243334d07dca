//! `coverage-collector run`: wires ingest, sink and the operations endpoint together and shuts
//! them down in order (stop taking messages, flush what was taken, then exit).

use crate::config::{Config, Store};
use crate::deadletter::DeadLetters;
use crate::enrich::Enricher;
use crate::ingest::{Ingest, IngestSettings};
use crate::metrics::Metrics;
use crate::sink::Sink;
use crate::sink::influx::{ArchiveWriter, Writer};
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
    let stop_sink = CancellationToken::new();
    let stop_http = CancellationToken::new();
    // Sized above the receive maximum: the broker never has more unacknowledged messages out.
    let (tx, rx) = mpsc::channel(usize::from(cfg.ingest.receive_maximum) + 64);
    let sink = Sink::new(writer, cfg.sink.clone(), metrics.clone(), dead.clone());
    let sink_task = tokio::spawn(sink.run(rx, stop_sink.clone()));
    let ingest = Ingest {
        enricher: Arc::new(Enricher::new(registry, &cfg.registry.sites)),
        metrics: metrics.clone(),
        dead,
        tx,
    };
    let settings = IngestSettings {
        filter: cfg.filter.clone(),
        receive_maximum: cfg.ingest.receive_maximum,
        session_expiry: cfg.ingest.session_expiry,
    };
    let ingest_task = tokio::spawn(ingest.run(opts, settings, stop_ingest.clone()));
    let app = crate::api::router(metrics.clone());
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
    stop_ingest.cancel();
    let _ = ingest_task.await;
    // The ingest dropped its sender: the sink flushes and returns. If the store is down, give
    // it a bounded time, then leave the rest unacknowledged with the broker.
    let flush = tokio::time::timeout(std::time::Duration::from_secs(10), sink_task);
    if flush.await.is_err() {
        stop_sink.cancel();
    }
    stop_http.cancel();
    let _ = http_task.await;
    Ok(metrics)
}

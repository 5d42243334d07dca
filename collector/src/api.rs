//! The operations endpoint: `/metrics` (Prometheus text) and `/health` (JSON, 503 when the
//! broker session or the store is down, so a load balancer or systemd watchdog can act), and
//! its `[http]` settings.

use crate::metrics::Metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// `[http]`: the operations endpoint (`/metrics`, `/health`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address; loopback by default (put a reverse proxy in front to expose it).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9108))
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
        }
    }
}

/// The router with both endpoints.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(prometheus))
        .route("/health", get(health))
        .with_state(metrics)
}

async fn prometheus(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
}

async fn health(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    let (mqtt, store) = m.health();
    let status = if mqtt && store {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "mqtt_connected": mqtt,
        "store_writable": store,
        "pending_points": m.pending_points.get(),
    });
    (status, axum::Json(body))
}

//! `coverage-gen`: one seeded generator of scenarios and load, for tests and benchmarks.
//!
//! A [`Scenario`] (TOML or Rust structs) names a period and sites with their SIMs, fibre
//! probes and throughput tests; [`generate`] turns it and a seed into wire-format
//! [`Reading`](coverage_shared::wire::Reading)s, deterministically and in time order. Where they go is the
//! caller's choice:
//!
//! - [`to_line_protocol`]: InfluxDB line protocol exactly as the collector writes it (placement
//!   tags from [`Placer`], lines from `coverage_shared::schema::lines`), to any writer;
//! - [`write_influx`]: the same lines POSTed to an InfluxDB 1.x `/write` in batches;
//! - [`publish_mqtt`]: JSON on `coverage/v1/{site}/{kind}` at QoS 1, as agents publish.
//!
//! ```no_run
//! use coverage_gen::{Placer, Scenario, generate, to_line_protocol};
//! let scenario = Scenario::load("scenario.toml".as_ref())?;
//! let mut placer = Placer::embedded()?;
//! to_line_protocol(generate(&scenario, 42), &mut placer, std::io::stdout().lock())?;
//! # Ok::<(), coverage_gen::GenError>(())
//! ```
//!
//! The generator does not go through the agent crate: readings are built from the shared model
//! directly, and every one passes `coverage_shared::validate::decode`.

pub mod generate;
pub mod output;
pub mod placement;
pub mod scenario;
pub mod spread;

pub use generate::{Generator, generate};
pub use output::influx::{InfluxTarget, WriteStats, create_database, write_influx};
pub use output::lines::{line_batches, to_line_protocol};
pub use output::mqtt::{MqttTarget, PublishStats, publish_mqtt};
pub use placement::Placer;
pub use scenario::Scenario;

use std::path::PathBuf;

/// Everything that can go wrong, with what and where.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A scenario file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A scenario is not TOML of the scenario's shape.
    #[error("{origin}: {message}")]
    Toml {
        /// File or description.
        origin: String,
        /// The parser's message (with line and key).
        message: String,
    },
    /// A scenario value is out of range.
    #[error("{origin}: {key} {problem}")]
    Scenario {
        /// File or description.
        origin: String,
        /// The key, e.g. `sites[3] (bk-1).sims[0].usable_share`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The boundary sets could not be loaded.
    #[error("boundaries: {0}")]
    Boundary(#[from] coverage_shared::boundary::BoundaryError),
    /// Writing the output failed.
    #[error("writing the output: {source}")]
    Output {
        /// Why.
        source: std::io::Error,
    },
    /// An HTTP request did not complete.
    #[error("HTTP request to {url} failed: {message}")]
    Http {
        /// The endpoint.
        url: String,
        /// Why.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}: {body}")]
    Refused {
        /// The endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// The server's message.
        body: String,
    },
    /// Publishing to the broker failed.
    #[error("MQTT broker {broker}: {message}")]
    Mqtt {
        /// `host:port`.
        broker: String,
        /// Why.
        message: String,
    },
}

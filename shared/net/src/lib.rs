//! Network plumbing both daemons share, with no knowledge of readings or coverage:
//!
//! - [`mqtt`]: MQTT connection settings (URL, credentials, TLS) and their errors.
//! - [`tls`]: the one rustls crypto provider (ring) of both daemons.
//! - [`backoff`]: one retry/reconnect backoff (exponential, optionally jittered) with the
//!   log throttle ("log on attempt 0 or a power of two") every retry loop uses, and the
//!   connection-health wrapper that resets it only once a connection proves healthy.
//! - [`shutdown`]: the Ctrl-C / SIGTERM future `main` hands to `run(config, shutdown)`.
//! - [`logging`]: tracing set-up to standard error from `COVERAGE_LOG`.
//! - [`stdout`]: standard output where a closed pipe ends the output quietly.

pub mod backoff;
pub mod logging;
pub mod mqtt;
pub mod shutdown;
pub mod stdout;
pub mod tls;

pub use backoff::{Backoff, ConnectionBackoff};

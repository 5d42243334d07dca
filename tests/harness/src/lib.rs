//! Test harness for the workspace's tests against real servers: servers from Debian packages,
//! started on free loopback ports in temporary directories, and the project's own binaries as
//! child processes. Used by the end-to-end tests (`coverage-e2e`) and by the crates' own
//! integration tests (the audit's InfluxQL tests).
//!
//! - [`Mosquitto`] (package `mosquitto`): plain listener, optional password file + per-site ACL,
//!   optional TLS listener with a generated CA, optional persistence, stop/restart on the same
//!   ports.
//! - [`Influxd`] (package `influxdb`, 1.6.7): v1 `/write` and InfluxQL `/query`, optionally with
//!   `auth-enabled` ([`InfluxdOptions`]).
//! - [`VictoriaMetrics`] (package `victoria-metrics`): `/api/v2/write`, `/api/v1/export`.
//! - [`cargo_bin`] builds `coverage-agent` / `coverage-collector` once per test process and
//!   returns the executable, to be spawned as a [`Daemon`] or run with [`run_with_timeout`].
//! - [`wait_until`], [`poll_until`], [`wait_until_async`] for bounded polling.
//!
//! Invariants:
//! - Every server and [`Daemon`] runs in its own process group and is stopped on `Drop`
//!   (SIGTERM to the group, bounded wait, then SIGKILL and reap), so a failing or panicking test
//!   leaves no process behind. Each child also gets SIGTERM from the kernel when the test process
//!   dies (Ctrl-C, SIGKILL, `process::exit`): see the `process` module.
//! - A server that does not start (or does not become ready in time) returns an error that
//!   contains the tail of its log. A missing server binary is an error naming the Debian package
//!   to install, never a silent skip.
//! - Everything listens on 127.0.0.1 only.
//! - Each server lives in its own temp dir (config, log, data), removed on `Drop` unless
//!   `COVERAGE_E2E_KEEP_DIRS` is set ([`temp_dir`]).
//! - The API is blocking (std threads and a blocking HTTP client), so it works in plain `#[test]`
//!   functions and inside `#[tokio::test]` alike. Inside a current-thread runtime a blocking call
//!   stalls the runtime's other tasks for its duration: use [`wait_until_async`] there when the
//!   condition depends on tasks of the same runtime.
//!
//! Errors are `anyhow` errors: this crate is test code, and every error ends as a failed test
//! whose message should carry as much context (command, log tail) as possible.
//!
//! ```no_run
//! use coverage_harness::{Influxd, Mosquitto, MosquittoOptions, cargo_bin, Daemon};
//!
//! # fn main() -> anyhow::Result<()> {
//! let broker = Mosquitto::start(
//!     MosquittoOptions::default()
//!         .with_agent("site-1", "agent-pw")
//!         .with_collector("collector", "collector-pw")
//!         .with_tls(),
//! )?;
//! let influx = Influxd::start()?;
//! influx.create_db("coverage")?;
//!
//! let agent = cargo_bin("coverage-agent")?;
//! let mut cmd = std::process::Command::new(agent);
//! cmd.args(["run", "--config", "agent.toml"]);
//! let mut agent = Daemon::spawn("coverage-agent", cmd, broker.dir().join("agent.log"))?;
//! // ... wait_until(..) rows arrive in influx.query("coverage", "SELECT ...") ...
//! agent.stop()?;
//! # Ok(())
//! # }
//! ```

mod binaries;
mod http;
mod influxd;
mod mosquitto;
mod ports;
mod process;
mod tls;
mod victoria_metrics;
mod wait;

pub use binaries::{cargo_bin, require_binary, workspace_root};
pub use http::metric;
pub use influxd::{Influxd, InfluxdOptions};
pub use mosquitto::{Mosquitto, MosquittoOptions, MqttUser};
pub use ports::free_port;
pub use process::{Daemon, KEEP_DIRS_VAR, ProcessOutput, STOP_GRACE, run_with_timeout, temp_dir};
pub use tls::TestCa;
pub use victoria_metrics::VictoriaMetrics;
pub use wait::{poll_until, wait_until, wait_until_async};

/// Host every server listens on.
pub const LOOPBACK: &str = "127.0.0.1";

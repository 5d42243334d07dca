//! The end-to-end tests across the agent and the collector (`tests/tests/`), and what only they
//! need: [`grafana`] loads `deploy/grafana/` (data source, dashboards, alert rules), checks it for
//! what Grafana requires and interpolates its InfluxQL queries as Grafana would.
//!
//! The servers and child processes come from [`coverage_harness`], re-exported here whole.

pub mod grafana;

pub use coverage_harness::*;

//! The coverage collector: receives agents' readings over MQTT, places every site in its
//! commune, writes raw points to InfluxDB, and audits coverage claims.
//!
//! One module per stage of the data's path: [`ingest`] (MQTT subscribe, decode, validate) ->
//! [`enrich`] (site -> commune placement) -> [`sink`] (line protocol to InfluxDB or to an
//! archive file). The audit (aggregates -> verdicts -> claims -> reports) is its own crate,
//! `coverage-audit`, which the `audit` subcommand runs.
//!
//! [`check`] is the pre-flight of a config (`coverage-collector check`): the broker, the store,
//! the boundary sets, the site registry and the dead-letter directory, one line each with its
//! fix.
//!
//! `demo` (feature `demo`, on by default) runs the whole system on one machine with nothing
//! installed, with simulated agents: it is the only module that depends on the agent crate, and
//! the feature is what pulls that crate in, so a build with `--no-default-features` proves
//! (and `.ci/run` checks) that nothing else in the collector does.

pub mod ack;
pub mod api;
pub mod check;
pub mod config;
pub mod coordinator;
pub mod deadletter;
#[cfg(feature = "demo")]
pub mod demo;
pub mod enrich;
pub mod identity;
pub mod ingest;
pub mod locate;
pub mod metrics;
pub mod registry;
pub mod run;
pub mod sink;
pub mod site;
pub mod summary;
pub mod wal;

//! The coverage agent: measures the mobile signal and the fibre link at a commune site and
//! delivers every reading to the collector at least once.
//!
//! The data's path, one module per stage: [`modem`] and [`probe`] measure and hand
//! [`measure::Measurement`]s to the recorder, which stamps the common header ([`header`];
//! [`state`] gives `run` and `seq`) and appends the reading to the [`spool`]; [`publish`]
//! drains the spool to MQTT 5 and commits only after a successful PUBACK.

pub mod check;
pub mod clock;
pub mod config;
pub mod explain;
pub mod header;
pub mod init;
pub mod lang;
pub mod measure;
pub mod modem;
pub mod probe;
pub mod publish;
pub mod run;
pub mod spool;
pub mod state;
pub mod summary;

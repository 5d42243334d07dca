//! The domain model the coverage agent and collector agree on.
//!
//! - [`wire`]: wire format v1 (the contract of `DESIGN.md`), readings as serde types.
//! - [`topic`]: MQTT topic names.
//! - [`validate`]: what the collector rejects, and which values it nulls and flags.
//! - [`signal`]: sample classes (usable, unusable, excluded) and quality bands.
//! - [`config`]: the configuration error type both daemons use.
//! - [`secret`]: a password type that never prints itself.
//! - [`boundary`]: boundary sets and point-in-polygon lookup.
//! - [`geo`]: a validated WGS84 position.
//! - [`schema`]: InfluxDB measurement, tag and field names and retention policies.
//! - [`site`]: the site registry's entry (surveyed position, installed-for commune).
//! - [`text`]: the words people read, one compile-time catalogue per language (vi, en), and
//!   the operator names.
//!
//! No I/O lives here beyond reading boundary files from a directory: no tokio, no sockets.

pub mod boundary;
pub mod config;
pub mod geo;
pub mod schema;
pub mod secret;
pub mod signal;
pub mod site;
pub mod text;
pub mod topic;
pub mod validate;
pub mod wire;

//! Where generated readings go: line protocol to a writer ([`lines`]), line protocol POSTed to
//! an InfluxDB 1.x `/write` in batches ([`influx`]), or wire-format JSON published to MQTT as
//! the sites' agents would ([`mqtt`]).

pub mod influx;
pub mod lines;
pub mod mqtt;

//! `site_status` points (docs/operations.md "site_status") as line protocol, with the rules of
//! [`super`]: tags never empty, strings cleaned of control characters, counters as signed
//! integers, ages and positions as floats, absent values left out.

use super::{Line, clean, float, int, string, tag};
use crate::schema::derived::{self, site_status as f};
use crate::schema::tag as t;

/// One site's status at one minute; every `Option` is left out when `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusPoint<'a> {
    /// Site id (tag).
    pub site: &'a str,
    /// `alive`, `stale`, `silent` or `unregistered` (tag and field).
    pub status: &'a str,
    /// Boundary set of the placement (tag).
    pub set: Option<&'a str>,
    /// Province code (tag).
    pub province: Option<&'a str>,
    /// District code (tag).
    pub district: Option<&'a str>,
    /// Commune code (tag).
    pub commune: Option<&'a str>,
    /// Commune name (tag).
    pub commune_name: Option<&'a str>,
    /// Seconds since the newest reading.
    pub last_reading_age_s: Option<f64>,
    /// Seconds since the newest heartbeat.
    pub last_heartbeat_age_s: Option<f64>,
    /// The newest reading's time, RFC 3339.
    pub last_reading: Option<&'a str>,
    /// The newest heartbeat's time, RFC 3339.
    pub last_heartbeat: Option<&'a str>,
    /// Agent version.
    pub agent: Option<&'a str>,
    /// Agent uptime, s.
    pub uptime_s: Option<i64>,
    /// Heartbeat interval, s.
    pub interval_s: Option<i64>,
    /// Spool depth.
    pub spool_depth: Option<i64>,
    /// Readings dropped by the spool.
    pub spool_dropped: Option<i64>,
    /// Clock synchronised.
    pub clock_synced: Option<bool>,
    /// Age of the clock synchronisation, s.
    pub clock_sync_age_s: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// In the site registry.
    pub registered: bool,
    /// Stored / issued readings over what the agent holds (the gap pass), when known.
    pub completeness: Option<f64>,
}

/// One `site_status` line (with its newline) at `ts_ms`.
pub fn line(p: &StatusPoint<'_>, ts_ms: i64) -> String {
    let mut b = Line::new_with(Vec::with_capacity(384)).measurement(derived::SITE_STATUS);
    b = tag(b, t::SITE, Some(p.site));
    b = tag(b, derived::tag::STATUS, Some(p.status));
    b = tag(b, t::SET, p.set);
    b = tag(b, t::PROVINCE, p.province);
    b = tag(b, t::DISTRICT, p.district);
    b = tag(b, t::COMMUNE, p.commune);
    b = tag(b, derived::tag::COMMUNE_NAME, p.commune_name);
    let mut b = b.field(f::STATUS, clean(p.status).as_ref());
    b = b.field(f::REGISTERED, p.registered);
    b = float(b, f::LAST_READING_AGE_S, p.last_reading_age_s);
    b = float(b, f::LAST_HEARTBEAT_AGE_S, p.last_heartbeat_age_s);
    b = string(b, f::LAST_READING, p.last_reading);
    b = string(b, f::LAST_HEARTBEAT, p.last_heartbeat);
    b = string(b, f::AGENT, p.agent);
    b = int(b, f::UPTIME_S, p.uptime_s);
    b = int(b, f::INTERVAL_S, p.interval_s);
    b = int(b, f::SPOOL_DEPTH, p.spool_depth);
    b = int(b, f::SPOOL_DROPPED, p.spool_dropped);
    if let Some(synced) = p.clock_synced {
        b = b.field(f::CLOCK_SYNCED, synced);
    }
    b = float(b, f::CLOCK_SYNC_AGE_S, p.clock_sync_age_s);
    b = float(b, f::LAT, p.lat);
    b = float(b, f::LON, p.lon);
    b = float(b, f::COMPLETENESS, p.completeness);
    let bytes = b.timestamp(ts_ms).close_line().build();
    // The builder only ever writes UTF-8 (it copies &str and formats numbers).
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use influxdb_line_protocol::{FieldValue, parse_lines};

    #[test]
    fn absent_values_are_left_out_and_hostile_names_cannot_forge_lines() {
        let p = StatusPoint {
            site: "s1",
            status: "silent",
            commune_name: Some("Xã A\nsite_status,site=forged x=1 1"),
            district: Some(""),
            ..StatusPoint::default()
        };
        let text = line(&p, 60_000);
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        let parsed = parse_lines(&text).next().unwrap().unwrap();
        assert!(parsed.tag_value("district").is_none(), "empty tag left out");
        assert!(parsed.field_value("agent").is_none());
        assert!(matches!(
            parsed.field_value("registered"),
            Some(FieldValue::Boolean(false))
        ));
        assert_eq!(parsed.timestamp, Some(60_000));
    }
}

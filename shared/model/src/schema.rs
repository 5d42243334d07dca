//! The InfluxDB schema of DESIGN.md ("InfluxDB schema"): measurement, tag and field names.
//!
//! One list for the writer (the collector's line protocol) and the readers (the audit's InfluxQL
//! queries and its archive parser), so a renamed tag cannot silently empty an audit. Invariant:
//! these strings are the stored schema; changing one is a schema migration, not a refactor.
//! The radio value fields (`rssi_dbm`, `rsrp_dbm`, ...) are named by
//! [`crate::wire::RadioValues::values`] and [`crate::signal::deciding_field`].
//!
//! With the cargo feature `line-protocol`, [`lines`] writes readings in this schema.

#[cfg(feature = "line-protocol")]
pub mod lines;

/// Database the collector writes and the audit reads when none is configured.
pub const DEFAULT_DATABASE: &str = "coverage";

/// Measurement names: one per reading kind ([`crate::wire::Kind::as_str`]).
pub mod measurement {
    /// One modem's signal sample.
    pub const SIGNAL: &str = "signal";
    /// One latency probe round.
    pub const LATENCY: &str = "latency";
    /// One throughput test.
    pub const THROUGHPUT: &str = "throughput";
    /// The agent's heartbeat.
    pub const HEARTBEAT: &str = "heartbeat";
}

/// Tag names.
pub mod tag {
    /// Site id (every measurement).
    pub const SITE: &str = "site";
    /// Agent run id (every measurement).
    pub const RUN: &str = "run";
    /// Boundary set of the placement.
    pub const SET: &str = "set";
    /// Province code of the placement.
    pub const PROVINCE: &str = "province";
    /// Commune code of the placement, within `set`.
    pub const COMMUNE: &str = "commune";
    /// District code of the placement (sets with districts).
    pub const DISTRICT: &str = "district";
    /// Operator id `MCC-MNC` (`signal`).
    pub const OPERATOR: &str = "operator";
    /// Radio technology (`signal`).
    pub const TECH: &str = "tech";
    /// Registration state (`signal`).
    pub const REG: &str = "reg";
    /// Modem name (`signal`).
    pub const MODEM: &str = "modem";
    /// Indoor, outdoor or vehicle (`signal`).
    pub const PLACEMENT: &str = "placement";
    /// Probe target (`latency`, `throughput`).
    pub const TARGET: &str = "target";
    /// Probe method (`latency`).
    pub const METHOD: &str = "method";
    /// Link the probe used (`latency`, `throughput`).
    pub const LINK: &str = "link";
    /// Upload or download (`throughput`).
    pub const DIRECTION: &str = "direction";
}

/// Field names the audit reads (the writer writes them among others).
pub mod field {
    /// Reading sequence number (every measurement).
    pub const SEQ: &str = "seq";
    /// Latitude of the reading's position (every measurement).
    pub const POS_LAT: &str = "pos_lat";
    /// Longitude of the reading's position (every measurement).
    pub const POS_LON: &str = "pos_lon";
    /// Probes sent in a latency round.
    pub const SENT: &str = "sent";
    /// Probes answered in a latency round.
    pub const RECEIVED: &str = "received";
    /// Median round-trip time of a latency round.
    pub const RTT_P50_MS: &str = "rtt_p50_ms";
    /// Bytes moved by a throughput transfer (failed transfers too).
    pub const BYTES: &str = "bytes";
    /// Mean rate of a throughput transfer, Mbit/s (absent when it failed).
    pub const MBPS: &str = "mbps";
    /// A heartbeat's `seq_ranges`, as `run:first-last,...` (`lines::seq_ranges_text`).
    pub const SEQ_RANGES: &str = "seq_ranges";
}

/// Retention policies (DESIGN.md "InfluxDB schema"): raw readings in [`rp::RAW`] (the
/// database's default), derived data (rollups, site status, stored-late marks) in
/// [`rp::ROLLUPS`]. On InfluxDB 2.x these are buckets mapped by DBRP to the same names.
pub mod rp {
    /// Raw readings; the default policy, duration from config.
    pub const RAW: &str = "raw";
    /// Rollups and site status, kept forever.
    pub const ROLLUPS: &str = "rollups";
}

/// The derived measurements, all in [`rp::ROLLUPS`], and their tag and field names
/// (docs/operations.md lists every one with its meaning; Grafana's dashboards query these).
pub mod derived {
    /// Per commune, service, operator and window.
    pub const COMMUNE_COVERAGE: &str = "commune_coverage";
    /// Per district (sets with districts), service, operator and window.
    pub const DISTRICT_COVERAGE: &str = "district_coverage";
    /// Per province (the whole set), service, operator and window.
    pub const PROVINCE_COVERAGE: &str = "province_coverage";
    /// Per site and minute: the fleet's status.
    pub const SITE_STATUS: &str = "site_status";
    /// Written by any collector after it stored a reading whose hour had already closed:
    /// the coordinator recomputes the windows it touches.
    pub const STORED_LATE: &str = "stored_late";

    /// Tag names of the derived measurements (with [`super::tag`]'s `set`, `province`,
    /// `district`, `commune`, `operator`, `site`).
    pub mod tag {
        /// `1h` or `1d` (a local day of the audit's time zone).
        pub const WINDOW: &str = "window";
        /// `mobile` or `fibre`.
        pub const SERVICE: &str = "service";
        /// Commune name as in the boundary set.
        pub const COMMUNE_NAME: &str = "commune_name";
        /// District name (sets with districts).
        pub const DISTRICT_NAME: &str = "district_name";
        /// Province name.
        pub const PROVINCE_NAME: &str = "province_name";
        /// `alive`, `stale`, `silent` or `unregistered` (`site_status`).
        pub const STATUS: &str = "status";
        /// The collector instance that wrote a `stored_late` mark.
        pub const COLLECTOR: &str = "collector";
        /// The start of the hour a `stored_late` mark touches, RFC 3339 UTC.
        pub const HOUR: &str = "hour";
    }

    /// The coordinator's progress (one series, overwritten): the end of the last closed hour
    /// computed and the time of the last `stored_late` mark handled, so a restarted
    /// coordinator (this instance or another) resumes where the last one stopped.
    pub const COORDINATOR_PROGRESS: &str = "coordinator_progress";

    /// Values of the `window` tag.
    pub mod window {
        /// One UTC hour (an hour of the audit's time zone, whose offset is whole hours).
        pub const HOUR: &str = "1h";
        /// One local day of the audit's time zone.
        pub const DAY: &str = "1d";
    }

    /// Values of the `service` tag.
    pub mod service {
        /// Mobile coverage.
        pub const MOBILE: &str = "mobile";
        /// Fibre reachability.
        pub const FIBRE: &str = "fibre";
    }

    /// The `operator` tag of the figures over every operator (for mobile, those of the
    /// operator that decided).
    pub const ANY_OPERATOR: &str = "any";

    /// Field names of the derived measurements (docs/operations.md).
    pub mod field {
        /// The window's own verdict.
        pub const VERDICT: &str = "verdict";
        /// Usable + unusable samples.
        pub const COUNTED: &str = "counted";
        /// Usable samples.
        pub const USABLE: &str = "usable";
        /// usable / counted.
        pub const USABLE_SHARE: &str = "usable_share";
        /// Sites counted.
        pub const SITES: &str = "sites";
        /// Fibre: hours up.
        pub const UP_WINDOWS: &str = "up_windows";
        /// Fibre: hours known.
        pub const KNOWN_WINDOWS: &str = "known_windows";
        /// Fibre: hours in the window.
        pub const WINDOWS: &str = "windows";
        /// `1d`: the trailing period's verdict.
        pub const PERIOD_VERDICT: &str = "period_verdict";
        /// `1d`: the trailing period's usable share.
        pub const PERIOD_USABLE_SHARE: &str = "period_usable_share";
        /// `1d`: the trailing period's length in days.
        pub const PERIOD_DAYS: &str = "period_days";
        /// District and province points: areas covered (connected for fibre).
        pub const COVERED: &str = "covered";
        /// Areas not covered (not connected).
        pub const NOT_COVERED: &str = "not_covered";
        /// Areas with insufficient data.
        pub const INSUFFICIENT_DATA: &str = "insufficient_data";
        /// Areas without a site.
        pub const NO_SITE: &str = "no_site";
        /// Areas counted.
        pub const AREAS: &str = "areas";
        /// `1d` district and province points: areas per trailing-period verdict.
        pub const PERIOD_COVERED: &str = "period_covered";
        /// See [`PERIOD_COVERED`].
        pub const PERIOD_NOT_COVERED: &str = "period_not_covered";
        /// See [`PERIOD_COVERED`].
        pub const PERIOD_INSUFFICIENT_DATA: &str = "period_insufficient_data";
        /// See [`PERIOD_COVERED`].
        pub const PERIOD_NO_SITE: &str = "period_no_site";
        /// A claim's lower bound over the trailing period, percent.
        pub const PERIOD_LOWER_PCT: &str = "period_lower_pct";
        /// A claim's upper bound over the trailing period, percent.
        pub const PERIOD_UPPER_PCT: &str = "period_upper_pct";
        /// `stored_late`: readings of the hour in the batch.
        pub const READINGS: &str = "readings";
        /// `coordinator_progress`: end of the last closed hour computed, ms since the epoch.
        pub const HOURS_UNTIL_MS: &str = "hours_until_ms";
        /// `coordinator_progress`: time of the last `stored_late` mark handled, ms.
        pub const MARKS_UNTIL_MS: &str = "marks_until_ms";
    }

    /// Field names of [`SITE_STATUS`] (docs/operations.md "site_status"); its tags are
    /// [`tag::STATUS`] and the placement tags `site`, `set`, `province`, `district`, `commune`,
    /// [`tag::COMMUNE_NAME`].
    pub mod site_status {
        /// The status as a string field too, so a table without `GROUP BY` shows it.
        pub const STATUS: &str = "status";
        /// Seconds since the newest reading stored (absent: never).
        pub const LAST_READING_AGE_S: &str = "last_reading_age_s";
        /// Seconds since the newest heartbeat stored (absent: never).
        pub const LAST_HEARTBEAT_AGE_S: &str = "last_heartbeat_age_s";
        /// The newest reading's time, RFC 3339.
        pub const LAST_READING: &str = "last_reading";
        /// The newest heartbeat's time, RFC 3339.
        pub const LAST_HEARTBEAT: &str = "last_heartbeat";
        /// Agent version (last heartbeat).
        pub const AGENT: &str = "agent";
        /// Agent uptime, s (last heartbeat).
        pub const UPTIME_S: &str = "uptime_s";
        /// Heartbeat interval, s (last heartbeat).
        pub const INTERVAL_S: &str = "interval_s";
        /// Readings in the agent's spool (last heartbeat).
        pub const SPOOL_DEPTH: &str = "spool_depth";
        /// Readings the agent dropped since start (last heartbeat).
        pub const SPOOL_DROPPED: &str = "spool_dropped";
        /// The agent's clock was synchronised (last heartbeat).
        pub const CLOCK_SYNCED: &str = "clock_synced";
        /// Age of the agent's last clock synchronisation, s (last heartbeat).
        pub const CLOCK_SYNC_AGE_S: &str = "clock_sync_age_s";
        /// Stored / issued readings over what the agent holds (its `seq_ranges`; the gap pass).
        pub const COMPLETENESS: &str = "completeness";
        /// The site's latitude (registry, else last reported).
        pub const LAT: &str = "lat";
        /// The site's longitude.
        pub const LON: &str = "lon";
        /// Whether the site is in the registry.
        pub const REGISTERED: &str = "registered";
    }
}

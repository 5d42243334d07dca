//! The `clock` check: synchronised, not synchronised (or a time before 2020, which the
//! collector rejects), unknown, or last synchronised more than a day ago. Pure: no I/O.

use super::report::{Check, age};
use chrono::{DateTime, Utc};

/// The `clock` line: ✔ synchronised, ✘ not synchronised (or a time before 2020), `!` unknown
/// or last synchronised more than a day ago.
pub fn clock_check(synced: Option<bool>, age_s: Option<f64>, now: DateTime<Utc>) -> Check {
    let name = "clock";
    if now.timestamp() < 1_577_836_800 {
        return Check::fail(
            name,
            format!(
                "the time is {}: before 2020, so the collector rejects every reading",
                now.format("%Y-%m-%d %H:%M UTC")
            ),
            "set the time (`timedatectl set-time`) and enable NTP (`timedatectl set-ntp true`)",
        );
    }
    match synced {
        Some(true) => match age_s {
            Some(a) if a > 86_400.0 => Check::warn(
                name,
                format!("synchronised, but the last sync was {} ago", age(a)),
                "the NTP server may be unreachable: `timedatectl timesync-status`; UDP port 123 \
                 must be open",
            ),
            Some(a) => Check::pass(
                name,
                format!("synchronised (NTP), last sync {} ago", age(a)),
            ),
            None => Check::pass(name, "synchronised (NTP)"),
        },
        Some(false) => Check::fail(
            name,
            "not synchronised: readings carry clock_synced: false and the audit excludes their \
             signal samples",
            "enable NTP (`timedatectl set-ntp true`) and check UDP port 123 to the NTP server is \
             open (`timedatectl timesync-status`)",
        ),
        None => Check::warn(
            name,
            "unknown: no systemd-timesyncd marker and no answer from timedatectl",
            "enable systemd-timesyncd (or chrony) so the agent can tell; until then readings \
             leave clock_synced out",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    #[test]
    fn clock_lines() {
        let now = Utc::now();
        assert_eq!(
            clock_check(Some(true), Some(30.0), now).status,
            Status::Pass
        );
        assert!(
            clock_check(Some(true), Some(30.0), now)
                .detail
                .contains("30 s")
        );
        assert_eq!(clock_check(Some(true), None, now).status, Status::Pass);
        assert_eq!(
            clock_check(Some(true), Some(200_000.0), now).status,
            Status::Warn
        );
        assert_eq!(clock_check(Some(false), None, now).status, Status::Fail);
        assert_eq!(clock_check(None, None, now).status, Status::Warn);
        let epoch = DateTime::from_timestamp(0, 0).unwrap();
        let c = clock_check(Some(true), None, epoch);
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("1970-01-01"), "{c:?}");
    }
}

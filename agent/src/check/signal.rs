//! The `signal` and `network` checks of one modem sample: the deciding value with its quality
//! band and the audit's class for it, and the registration with its likely cause, worded as
//! the audit (`coverage_shared::signal`) decides. Pure: no I/O.

use super::report::{Check, num};
use crate::modem::ModemSample;
use coverage_shared::signal::{
    self, BandTable, Exclusion, Sample, SampleClass, UsablePolicy, deciding_field, deciding_value,
};
use coverage_shared::wire::{Plmn, Reg, Tech};

/// What decides whether a signal sample is usable, as the audit will decide it.
#[derive(Debug, Clone, Default)]
pub struct SignalContext {
    /// The audit's policy (default: DESIGN.md's thresholds).
    pub policy: UsablePolicy,
    /// Quality bands (default: Android AOSP).
    pub bands: BandTable,
    /// Placement of the antenna (thresholds may differ by placement).
    pub placement: Option<coverage_shared::wire::Placement>,
    /// The clock status the agent would stamp on the reading.
    pub clock_synced: Option<bool>,
}

/// `RSRP`, `SS-RSRP`, `RSCP`, `RSSI` for a deciding field.
fn value_label(field: &str) -> &'static str {
    match field {
        "rsrp_dbm" => "RSRP",
        "ss_rsrp_dbm" => "SS-RSRP",
        "rscp_dbm" => "RSCP",
        "rssi_dbm" => "RSSI",
        _ => "value",
    }
}

fn operator_text(p: &Plmn) -> String {
    match &p.name {
        Some(n) => format!("{n} ({})", p.id()),
        None => p.id(),
    }
}

/// Why a sample is unusable, in words (the audit's rules, DESIGN.md).
fn unusable_reason(sample: &ModemSample, operator: &str, ctx: &SignalContext) -> String {
    let r = &sample.radio;
    if matches!(r.reg, Reg::Searching | Reg::None | Reg::Limited) {
        return format!("not registered for data ({})", r.reg.as_str());
    }
    if r.tech == Tech::None {
        return "no serving cell".to_owned();
    }
    if r.reg == Reg::Roaming && !ctx.policy.roaming_counts(operator) {
        return format!("roaming, and roaming does not count for {operator}");
    }
    if !ctx.policy.tech_counts(r.tech) {
        return format!("{} does not count for the audit", r.tech.as_str());
    }
    let label = deciding_field(r.tech).map_or("value", value_label);
    match (
        deciding_value(r),
        ctx.policy.thresholds_for(ctx.placement).for_tech(r.tech),
    ) {
        (Some(v), Some(min)) => format!("{label} {} dBm is below {} dBm", num(v), num(min)),
        _ => "below the threshold".to_owned(),
    }
}

/// The `signal` and `network` lines of one sample.
///
/// `signal`: technology, the deciding value with its quality band, and the audit class
/// (✔ usable, `!` unusable or excluded: the site works, the coverage is what it is).
/// `network`: registration and operator (✘ denied, limited, searching, not registered, or no
/// SIM operator known, each with its likely cause; `!` unknown).
pub fn signal_checks(modem: &str, sample: &ModemSample, ctx: &SignalContext) -> [Check; 2] {
    let r = &sample.radio;
    let operator = sample.operator.as_ref().map(Plmn::id).unwrap_or_default();
    let band = signal::quality_band(r, &ctx.bands);
    let value = match (deciding_field(r.tech), deciding_value(r)) {
        (Some(f), Some(v)) => format!("{} {} dBm ({})", value_label(f), num(v), band.as_str()),
        (Some(f), None) => format!("{} not reported", value_label(f)),
        (None, _) => format!("no serving cell ({})", band.as_str()),
    };
    let class = signal::classify(
        Sample {
            radio: r,
            operator: &operator,
            placement: ctx.placement,
            clock_synced: ctx.clock_synced,
        },
        &ctx.policy,
    );
    let signal_name = format!("signal {modem}");
    let signal = match class {
        SampleClass::Usable => {
            let min = ctx
                .policy
                .thresholds_for(ctx.placement)
                .for_tech(r.tech)
                .map(|m| format!(" (at or above {} dBm)", num(m)))
                .unwrap_or_default();
            Check::pass(
                signal_name,
                format!("{}, {value}; usable for the audit{min}", r.tech.as_str()),
            )
        }
        SampleClass::Unusable => {
            let why = unusable_reason(sample, &operator, ctx);
            let fix = if matches!(r.reg, Reg::Searching | Reg::None | Reg::Limited) {
                "see the network line".to_owned()
            } else if r.tech == Tech::None || deciding_value(r).is_some() {
                "the antenna gets no usable signal here: check the antenna cable and connectors, \
                 try the external antenna or a higher spot; if phones nearby do no better, this \
                 is the commune's real coverage and the site measures it"
                    .to_owned()
            } else {
                "see the audit policy (roaming_counts_for, usable_techs)".to_owned()
            };
            Check::warn(
                signal_name,
                format!(
                    "{}, {value}; counts as unusable for the audit: {why}",
                    r.tech.as_str()
                ),
                fix,
            )
        }
        SampleClass::Excluded(reason) => {
            let (why, fix) = match reason {
                Exclusion::RegDenied => (
                    "registration denied".to_owned(),
                    "see the network line".to_owned(),
                ),
                Exclusion::RegUnknown => (
                    "registration unknown".to_owned(),
                    "see the network line".to_owned(),
                ),
                Exclusion::NoDecidingValue => (
                    format!(
                        "the modem gives no {}",
                        deciding_field(r.tech).map_or("value", value_label)
                    ),
                    "for ModemManager, check `mmcli -m 0 --signal-get` shows values \
                     (signal_refresh); for AT modems, set `vendor` to the modem's maker"
                        .to_owned(),
                ),
                Exclusion::ClockNotSynced => (
                    "the clock is not synchronised".to_owned(),
                    "see the clock line".to_owned(),
                ),
            };
            Check::warn(
                signal_name,
                format!(
                    "{}, {value}; excluded from the audit: {why}",
                    r.tech.as_str()
                ),
                fix,
            )
        }
    };

    let net_name = format!("network {modem}");
    let network = match &sample.operator {
        None => Check::fail(
            net_name,
            format!(
                "registration {}; the modem does not say which SIM it has, so the agent \
                 skips every signal sample",
                r.reg.as_str()
            ),
            "check the SIM is inserted and unlocked; for AT modems `AT+CIMI` must answer the \
             IMSI, for ModemManager `mmcli -i 0` must show the SIM's operator",
        ),
        Some(home) => {
            let serving = sample
                .serving
                .as_ref()
                .map(|s| format!(", serving network {}", operator_text(s)))
                .unwrap_or_default();
            let detail = format!(
                "{} on SIM operator {}{serving}",
                r.reg.as_str(),
                operator_text(home)
            );
            match r.reg {
                Reg::Home | Reg::Roaming => Check::pass(net_name, format!("registered: {detail}")),
                Reg::Searching => Check::fail(
                    net_name,
                    format!("not registered: {detail}"),
                    "the modem finds no network it may use: check the antenna connections and \
                     placement, and that the SIM's operator covers this spot",
                ),
                Reg::Denied => Check::fail(
                    net_name,
                    format!("refused: {detail}"),
                    "the network refused the SIM: it may not be activated, be barred or have no \
                     data plan; call the operator with the ICCID",
                ),
                Reg::Limited => Check::fail(
                    net_name,
                    format!("limited service: {detail}"),
                    "emergency or SMS only: the SIM has no data service here; check its data \
                     plan and APN with the operator",
                ),
                Reg::None => Check::fail(
                    net_name,
                    format!("not registered, not searching: {detail}"),
                    "the modem is not trying to register (radio off or a manual operator \
                     choice): `mmcli -m 0 -e`, or `AT+CFUN=1` and `AT+COPS=0`",
                ),
                Reg::Unknown => Check::warn(
                    net_name,
                    format!("registration unknown: {detail}"),
                    "the modem does not report its data registration (+CGREG/+CEREG/+C5GREG); \
                     samples are excluded from the audit until it does",
                ),
            }
        }
    };
    [signal, network]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use coverage_shared::wire::RadioValues;

    fn lte(reg: Reg, rsrp: Option<f64>) -> ModemSample {
        let mut radio = RadioValues::no_service(reg);
        radio.tech = Tech::Lte;
        radio.rsrp_dbm = rsrp;
        ModemSample {
            operator: Some(Plmn {
                mcc: "452".into(),
                mnc: "04".into(),
                name: Some("Viettel".into()),
            }),
            serving: None,
            radio,
            notes: vec![],
        }
    }

    fn ctx() -> SignalContext {
        SignalContext {
            placement: Some(coverage_shared::wire::Placement::Indoor),
            clock_synced: Some(true),
            ..SignalContext::default()
        }
    }

    #[test]
    fn usable_signal_passes_with_band_and_threshold() {
        let [signal, network] = signal_checks("wwan0", &lte(Reg::Home, Some(-100.0)), &ctx());
        assert_eq!(signal.status, Status::Pass);
        assert_eq!(
            signal.detail,
            "lte, RSRP -100 dBm (good); usable for the audit (at or above -110 dBm)"
        );
        assert_eq!(network.status, Status::Pass);
        assert_eq!(
            network.detail,
            "registered: home on SIM operator Viettel (452-04)"
        );
    }

    #[test]
    fn weak_signal_warns_and_says_why() {
        let [signal, network] = signal_checks("wwan0", &lte(Reg::Home, Some(-115.0)), &ctx());
        assert_eq!(signal.status, Status::Warn);
        assert!(
            signal.detail.contains("RSRP -115 dBm (moderate)")
                && signal.detail.contains("unusable")
                && signal.detail.contains("below -110 dBm"),
            "{signal:?}"
        );
        assert_eq!(network.status, Status::Pass);
    }

    #[test]
    fn registration_failures_fail_with_causes() {
        for (reg, word) in [
            (Reg::Denied, "refused"),
            (Reg::Limited, "limited"),
            (Reg::Searching, "not registered"),
            (Reg::None, "not searching"),
        ] {
            let [signal, network] = signal_checks("m", &lte(reg, Some(-80.0)), &ctx());
            assert_eq!(network.status, Status::Fail, "{reg:?}");
            assert!(network.detail.contains(word), "{network:?}");
            assert!(network.fix.is_some());
            assert_eq!(
                signal.status,
                Status::Warn,
                "{reg:?}: the signal line only warns"
            );
        }
        let [signal, network] = signal_checks("m", &lte(Reg::Unknown, Some(-80.0)), &ctx());
        assert_eq!(network.status, Status::Warn);
        assert!(signal.detail.contains("excluded"), "{signal:?}");
    }

    #[test]
    fn unknown_sim_operator_fails() {
        let mut s = lte(Reg::Home, Some(-80.0));
        s.operator = None;
        let [_, network] = signal_checks("m", &s, &ctx());
        assert_eq!(network.status, Status::Fail);
        assert!(network.detail.contains("skips every signal sample"));
    }

    #[test]
    fn no_service_and_unsynced_clock() {
        let mut s = lte(Reg::Searching, None);
        s.radio.tech = Tech::None;
        let [signal, _] = signal_checks("m", &s, &ctx());
        assert!(
            signal.detail.starts_with("none, no serving cell (none)"),
            "{signal:?}"
        );
        let mut c = ctx();
        c.clock_synced = Some(false);
        let [signal, _] = signal_checks("m", &lte(Reg::Home, Some(-80.0)), &c);
        assert_eq!(signal.status, Status::Warn);
        assert!(
            signal.detail.contains("clock is not synchronised"),
            "{signal:?}"
        );
    }
}

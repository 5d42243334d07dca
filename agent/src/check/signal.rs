//! The `signal` and `network` checks of one modem sample: the deciding value with its quality
//! band and the audit's class for it, and the registration with its likely cause, worded as
//! the audit (`coverage_shared::signal`) decides. Pure: no I/O.

use super::report::{Check, num};
use crate::modem::ModemSample;
use coverage_shared::signal::{
    self, Band, BandTable, Exclusion, Sample, SampleClass, UsablePolicy, deciding_field,
    deciding_value,
};
use coverage_shared::text::agent::{AgentText, text};
use coverage_shared::text::{Lang, fill};
use coverage_shared::wire::{Plmn, RadioValues, Reg, Tech};

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
    /// The language of the lines.
    pub lang: Lang,
}

/// `RSRP`, `SS-RSRP`, `RSCP`, `RSSI` for a deciding field.
pub fn value_label(field: &str) -> &'static str {
    match field {
        "rsrp_dbm" => "RSRP",
        "ss_rsrp_dbm" => "SS-RSRP",
        "rscp_dbm" => "RSCP",
        "rssi_dbm" => "RSSI",
        _ => "value",
    }
}

/// A quality band in words.
pub fn band_word(t: &AgentText, band: Band) -> &'static str {
    match band {
        Band::None => t.band_none,
        Band::Poor => t.band_poor,
        Band::Moderate => t.band_moderate,
        Band::Good => t.band_good,
        Band::Great => t.band_great,
    }
}

/// `Viettel (452-04)`, or `452-04` without a name.
pub fn operator_text(p: &Plmn) -> String {
    match &p.name {
        Some(n) => format!("{n} ({})", p.id()),
        None => p.id(),
    }
}

/// The deciding value with its band (`RSRP -100 dBm (good)`), or what is missing.
pub fn value_text(r: &RadioValues, ctx: &SignalContext) -> String {
    let t = text(ctx.lang);
    let band = band_word(t, signal::quality_band(r, &ctx.bands));
    match (deciding_field(r.tech), deciding_value(r)) {
        (Some(f), Some(v)) => fill(
            t.signal_value,
            &[
                ("label", &value_label(f)),
                ("value", &num(ctx.lang, v)),
                ("band", &band),
            ],
        ),
        (Some(f), None) => fill(t.signal_value_missing, &[("label", &value_label(f))]),
        (None, _) => fill(t.signal_no_cell, &[("band", &band)]),
    }
}

/// Why a sample is unusable, in words (the audit's rules, DESIGN.md).
fn unusable_reason(r: &RadioValues, operator: &str, ctx: &SignalContext) -> String {
    let lang = ctx.lang;
    let t = text(lang);
    if matches!(r.reg, Reg::Searching | Reg::None | Reg::Limited) {
        return fill(t.why_not_registered, &[("reg", &r.reg.as_str())]);
    }
    if r.tech == Tech::None {
        return t.why_no_cell.to_owned();
    }
    if r.reg == Reg::Roaming && !ctx.policy.roaming_counts(operator) {
        return fill(t.why_roaming, &[("operator", &operator)]);
    }
    if !ctx.policy.tech_counts(r.tech) {
        return fill(t.why_tech, &[("tech", &r.tech.as_str())]);
    }
    let label = deciding_field(r.tech).map_or("value", value_label);
    match (
        deciding_value(r),
        ctx.policy.thresholds_for(ctx.placement).for_tech(r.tech),
    ) {
        (Some(v), Some(min)) => fill(
            t.why_below,
            &[
                ("label", &label),
                ("value", &num(lang, v)),
                ("min", &num(lang, min)),
            ],
        ),
        _ => t.why_below_threshold.to_owned(),
    }
}

/// Why a sample is excluded from the audit, and the fix.
fn excluded_reason(r: &RadioValues, reason: Exclusion, t: &AgentText) -> (String, &'static str) {
    match reason {
        Exclusion::RegDenied => (t.why_denied.to_owned(), t.see_network),
        Exclusion::RegUnknown => (t.why_reg_unknown.to_owned(), t.see_network),
        Exclusion::NoDecidingValue => (
            fill(
                t.why_no_value,
                &[(
                    "label",
                    &deciding_field(r.tech).map_or("value", value_label),
                )],
            ),
            t.signal_fix_no_value,
        ),
        Exclusion::ClockNotSynced => (t.why_clock.to_owned(), t.see_clock),
    }
}

/// The audit's class of one sample, and why, in words: "counts for coverage: yes, because
/// RSRP -100 dBm is at or above -110 dBm" (what `check` and `decode` say).
pub fn coverage_sentence(r: &RadioValues, operator: &str, ctx: &SignalContext) -> String {
    let lang = ctx.lang;
    let t = text(lang);
    let class = signal::classify(
        Sample {
            radio: r,
            operator,
            placement: ctx.placement,
            clock_synced: ctx.clock_synced,
        },
        &ctx.policy,
    );
    match class {
        SampleClass::Usable => {
            let label = deciding_field(r.tech).map_or("value", value_label);
            let why = match (
                deciding_value(r),
                ctx.policy.thresholds_for(ctx.placement).for_tech(r.tech),
            ) {
                (Some(v), Some(min)) => fill(
                    t.why_usable,
                    &[
                        ("label", &label),
                        ("value", &num(lang, v)),
                        ("min", &num(lang, min)),
                    ],
                ),
                _ => label.to_owned(),
            };
            fill(t.counts_yes, &[("why", &why)])
        }
        SampleClass::Unusable => fill(t.counts_no, &[("why", &unusable_reason(r, operator, ctx))]),
        SampleClass::Excluded(reason) => {
            fill(t.counts_no, &[("why", &excluded_reason(r, reason, t).0)])
        }
    }
}

/// The `signal` and `network` lines of one sample.
///
/// `signal`: technology, the deciding value with its quality band, and the audit class
/// (✔ usable, `!` unusable or excluded: the site works, the coverage is what it is).
/// `network`: registration and operator (✘ denied, limited, searching, not registered, or no
/// SIM operator known, each with its likely cause; `!` unknown).
pub fn signal_checks(modem: &str, sample: &ModemSample, ctx: &SignalContext) -> [Check; 2] {
    let lang = ctx.lang;
    let t = text(lang);
    let r = &sample.radio;
    let operator = sample.operator.as_ref().map(Plmn::id).unwrap_or_default();
    let value = value_text(r, ctx);
    let class = signal::classify(
        Sample {
            radio: r,
            operator: &operator,
            placement: ctx.placement,
            clock_synced: ctx.clock_synced,
        },
        &ctx.policy,
    );
    let tech = r.tech.as_str();
    let signal_name = format!("signal {modem}");
    let signal = match class {
        SampleClass::Usable => {
            let min = ctx
                .policy
                .thresholds_for(ctx.placement)
                .for_tech(r.tech)
                .map(|m| fill(t.signal_at_or_above, &[("min", &num(lang, m))]))
                .unwrap_or_default();
            Check::pass(
                signal_name,
                fill(
                    t.signal_usable,
                    &[("tech", &tech), ("value", &value), ("min", &min)],
                ),
            )
        }
        SampleClass::Unusable => {
            let why = unusable_reason(r, &operator, ctx);
            let fix = if matches!(r.reg, Reg::Searching | Reg::None | Reg::Limited) {
                t.see_network
            } else if r.tech == Tech::None || deciding_value(r).is_some() {
                t.signal_fix_weak
            } else {
                t.signal_fix_policy
            };
            Check::warn(
                signal_name,
                fill(
                    t.signal_unusable,
                    &[("tech", &tech), ("value", &value), ("why", &why)],
                ),
                fix,
            )
        }
        SampleClass::Excluded(reason) => {
            let (why, fix) = excluded_reason(r, reason, t);
            Check::warn(
                signal_name,
                fill(
                    t.signal_excluded,
                    &[("tech", &tech), ("value", &value), ("why", &why)],
                ),
                fix,
            )
        }
    };

    let net_name = format!("network {modem}");
    let reg = r.reg.as_str();
    let network = match &sample.operator {
        None => Check::fail(
            net_name,
            fill(t.net_no_sim_operator, &[("reg", &reg)]),
            t.net_no_sim_operator_fix,
        ),
        Some(home) => {
            let serving = sample
                .serving
                .as_ref()
                .map(|s| fill(t.net_serving, &[("operator", &operator_text(s))]))
                .unwrap_or_default();
            let detail = fill(
                t.net_detail,
                &[
                    ("reg", &reg),
                    ("operator", &operator_text(home)),
                    ("serving", &serving),
                ],
            );
            let d = [("detail", &detail as &dyn std::fmt::Display)];
            match r.reg {
                Reg::Home | Reg::Roaming => Check::pass(net_name, fill(t.net_registered, &d)),
                Reg::Searching => {
                    Check::fail(net_name, fill(t.net_searching, &d), t.net_searching_fix)
                }
                Reg::Denied => Check::fail(net_name, fill(t.net_denied, &d), t.net_denied_fix),
                Reg::Limited => Check::fail(net_name, fill(t.net_limited, &d), t.net_limited_fix),
                Reg::None => Check::fail(net_name, fill(t.net_none, &d), t.net_none_fix),
                Reg::Unknown => Check::warn(net_name, fill(t.net_unknown, &d), t.net_unknown_fix),
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
    fn the_coverage_sentence_says_why_in_both_languages() {
        let s = lte(Reg::Home, Some(-100.0));
        assert_eq!(
            coverage_sentence(&s.radio, "452-04", &ctx()),
            "counts for coverage: yes, because RSRP -100 dBm is at or above -110 dBm"
        );
        let s = lte(Reg::Home, Some(-112.5));
        let vi = SignalContext {
            lang: Lang::Vi,
            ..ctx()
        };
        assert_eq!(
            coverage_sentence(&s.radio, "452-04", &vi),
            "được tính cho phủ sóng: không, vì RSRP -112,5 dBm thấp hơn ngưỡng -110 dBm"
        );
        let [signal, _] = signal_checks("m", &s, &vi);
        assert!(signal.detail.contains("(trung bình)"), "{signal:?}");
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

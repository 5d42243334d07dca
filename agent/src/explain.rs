//! `coverage-agent decode` for people: the summary of a decoded modem reply, in the
//! technician's language. The technology, the operator's name, each value with its quality
//! band, whether the sample counts for coverage and why (the words of `check`'s signal line,
//! from the audit's own classification), and the commands the modem refused. `decode --json`
//! prints the raw [`Decoded`] instead.
//!
//! Pure: no I/O.

use crate::check::{SignalContext, coverage_sentence, operator_text};
use crate::modem::decode::{DecodedPlmn, Refusal};
use crate::modem::{DecodeError, Decoded};
use coverage_shared::signal::{self, BandTable};
use coverage_shared::text::agent::{AgentText, text};
use coverage_shared::text::operators::name_of;
use coverage_shared::text::{Lang, fill};
use coverage_shared::wire::{Plmn, RadioValues, Reg, Tech};
use std::fmt::Write as _;

/// `Viettel (452-04)`: the reply's name, else the known name of the MCC-MNC.
fn operator_line(p: &DecodedPlmn) -> String {
    match (&p.mcc, &p.mnc) {
        (Some(mcc), Some(mnc)) => {
            let id = format!("{mcc}-{mnc}");
            let name = p.name.clone().or_else(|| name_of(&id).map(str::to_owned));
            operator_text(&Plmn {
                mcc: mcc.clone(),
                mnc: mnc.clone(),
                name,
            })
        }
        _ => p.name.clone().unwrap_or_else(|| "?".to_owned()),
    }
}

/// The values of a reply as the wire format carries them (tech and reg filled in as
/// `none`/`unknown` when the reply does not say).
fn radio(d: &Decoded) -> RadioValues {
    RadioValues {
        tech: d.tech.unwrap_or(Tech::None),
        reg: d.reg.unwrap_or(Reg::Unknown),
        rssi_dbm: d.rssi_dbm,
        rsrp_dbm: d.rsrp_dbm,
        rsrq_db: d.rsrq_db,
        sinr_db: d.sinr_db,
        rscp_dbm: d.rscp_dbm,
        ecno_db: d.ecno_db,
        ss_rsrp_dbm: d.ss_rsrp_dbm,
        ss_rsrq_db: d.ss_rsrq_db,
        ss_sinr_db: d.ss_sinr_db,
        cell: d.cell.clone(),
    }
}

/// The band of one value, where the project's band table (Android AOSP's) defines one: RSRP,
/// SS-RSRP, RSCP, and RSSI only when GSM is the technology (its deciding value; on LTE the
/// GSM bounds would mislead).
fn band_of(field: &str, v: f64, tech: Option<Tech>, bands: &BandTable) -> Option<signal::Band> {
    let mut r = RadioValues::no_service(Reg::Home);
    match field {
        "rsrp_dbm" => {
            r.tech = Tech::Lte;
            r.rsrp_dbm = Some(v);
        }
        "ss_rsrp_dbm" => {
            r.tech = Tech::Nr5gSa;
            r.ss_rsrp_dbm = Some(v);
        }
        "rscp_dbm" => {
            r.tech = Tech::Umts;
            r.rscp_dbm = Some(v);
        }
        "rssi_dbm" if tech == Some(Tech::Gsm) => {
            r.tech = Tech::Gsm;
            r.rssi_dbm = Some(v);
        }
        _ => return None,
    }
    Some(signal::quality_band(&r, bands))
}

fn values_line(d: &Decoded, t: &AgentText, lang: Lang, bands: &BandTable) -> Option<String> {
    let values = [
        ("RSRP", "rsrp_dbm", d.rsrp_dbm, "dBm"),
        ("RSRQ", "rsrq_db", d.rsrq_db, "dB"),
        ("SINR", "sinr_db", d.sinr_db, "dB"),
        ("SS-RSRP", "ss_rsrp_dbm", d.ss_rsrp_dbm, "dBm"),
        ("SS-RSRQ", "ss_rsrq_db", d.ss_rsrq_db, "dB"),
        ("SS-SINR", "ss_sinr_db", d.ss_sinr_db, "dB"),
        ("RSCP", "rscp_dbm", d.rscp_dbm, "dBm"),
        ("Ec/N0", "ecno_db", d.ecno_db, "dB"),
        ("RSSI", "rssi_dbm", d.rssi_dbm, "dBm"),
    ];
    let parts: Vec<String> = values
        .iter()
        .filter_map(|(label, field, v, unit)| {
            let v = (*v)?;
            let shown = format!("{label} {} {unit}", crate::check::num(lang, v));
            Some(match band_of(field, v, d.tech, bands) {
                Some(b) => fill(
                    t.decode_banded,
                    &[("value", &shown), ("band", &crate::check::band_word(t, b))],
                ),
                None => fill(t.decode_no_band, &[("value", &shown)]),
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn cell_line(d: &Decoded) -> Option<String> {
    let c = d.cell.as_ref()?;
    let mut parts = Vec::new();
    for (label, v) in [("LAC", &c.lac), ("TAC", &c.tac), ("CI", &c.ci)] {
        if let Some(v) = v {
            parts.push(format!("{label} {v}"));
        }
    }
    if let Some(p) = c.pci {
        parts.push(format!("PCI {p}"));
    }
    if let Some(a) = c.arfcn {
        parts.push(format!("ARFCN {a}"));
    }
    if let Some(b) = &c.band {
        parts.push(b.clone());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One refused command in words.
pub fn refusal_line(r: &Refusal, lang: Lang) -> String {
    let t = text(lang);
    match &r.command {
        Some(c) => fill(t.decode_refusal, &[("command", c), ("error", &r.error)]),
        None => fill(t.decode_refusal_no_echo, &[("error", &r.error)]),
    }
}

/// Whether the sample counts for coverage, and why, or what is missing to tell.
fn coverage_line(d: &Decoded, ctx: &SignalContext) -> String {
    let t = text(ctx.lang);
    if d.tech.is_none() && !d.no_service {
        return fill(
            t.decode_counts_unknown,
            &[("missing", &t.decode_missing_tech)],
        );
    }
    if d.reg.is_none() {
        return fill(
            t.decode_counts_unknown,
            &[("missing", &t.decode_missing_reg)],
        );
    }
    let operator = match &d.operator {
        Some(DecodedPlmn {
            mcc: Some(m),
            mnc: Some(n),
            ..
        }) => format!("{m}-{n}"),
        _ => String::new(),
    };
    coverage_sentence(&radio(d), &operator, ctx)
}

/// The summary of `decoded` in `lang`: one `label: value` line each, the label column aligned.
pub fn summary(d: &Decoded, lang: Lang) -> String {
    let t = text(lang);
    let ctx = SignalContext {
        // The modem's clock is not the reply's business: judge the values alone.
        clock_synced: Some(true),
        lang,
        ..SignalContext::default()
    };
    let mut rows: Vec<(&str, String)> = Vec::new();
    let tech = match (d.no_service, d.tech) {
        (true, _) => t.decode_no_service.to_owned(),
        (false, Some(tech)) => tech.as_str().to_owned(),
        (false, None) => t.decode_unknown.to_owned(),
    };
    rows.push((t.decode_tech, tech));
    rows.push((
        t.decode_operator,
        d.operator
            .as_ref()
            .map_or_else(|| t.decode_unknown.to_owned(), operator_line),
    ));
    if let Some(s) = &d.serving {
        rows.push((t.decode_serving, operator_line(s)));
    }
    let creg_only = d.reg.is_none() && d.details.contains_key("creg");
    rows.push((
        t.decode_registration,
        match d.reg {
            Some(r) => r.as_str().to_owned(),
            None if creg_only => t.decode_reg_unknown_creg.to_owned(),
            None => t.decode_unknown.to_owned(),
        },
    ));
    rows.push((
        t.decode_values,
        values_line(d, t, lang, &ctx.bands).unwrap_or_else(|| t.decode_unknown.to_owned()),
    ));
    if let Some(c) = cell_line(d) {
        rows.push((t.decode_cell, c));
    }
    rows.push((t.decode_coverage, coverage_line(d, &ctx)));
    for r in &d.refused {
        rows.push((t.decode_refused, refusal_line(r, lang)));
    }
    // The decoder notes each refusal too ("AT+X failed: ERROR"); it is listed above already.
    let repeats = |n: &str| {
        d.refused
            .iter()
            .any(|r| n.ends_with(&format!("failed: {}", r.error)))
    };
    for n in d.notes.iter().filter(|n| !repeats(n)) {
        rows.push((t.decode_notes, n.clone()));
    }
    render_rows(&rows)
}

fn render_rows(rows: &[(&str, String)]) -> String {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        let pad = width - label.chars().count();
        let _ = writeln!(out, "{label}:{:pad$} {value}", "");
    }
    out
}

/// A decode error in `lang`, with what to do for a refusal.
pub fn error_text(e: &DecodeError, lang: Lang) -> String {
    let t = text(lang);
    match e {
        DecodeError::Empty => t.decode_empty.to_owned(),
        DecodeError::NotRecognised { format, first_line } => fill(
            t.decode_not_recognised,
            &[
                ("format", format),
                ("first_line", &format!("{first_line:?}")),
            ],
        ),
        DecodeError::Refused(refusals) => {
            let mut out = t.decode_refused_only.to_owned();
            for r in refusals {
                let _ = write!(out, "\n  {}", refusal_line(r, lang));
            }
            let _ = write!(out, "\n{} {}", t.fix_label, t.decode_refused_fix);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modem::decode;

    fn fixture(path: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// The label's value on the summary screen.
    fn row<'a>(summary: &'a str, label: &str) -> Vec<&'a str> {
        summary
            .lines()
            .filter_map(|l| l.strip_prefix(label)?.strip_prefix(':'))
            .map(str::trim)
            .collect()
    }

    #[test]
    fn a_quectel_lte_capture_reads_as_a_summary() {
        let d = decode(&fixture("modem/quectel-qeng-lte-tdd-manual.txt"), None).unwrap();
        let s = summary(&d, Lang::En);
        assert_eq!(row(&s, "technology"), ["lte"], "{s}");
        assert_eq!(
            row(&s, "values"),
            ["RSRP -93 dBm (great), RSRQ -13 dB, SINR -4 dB, RSSI -59 dBm"],
            "{s}"
        );
        assert_eq!(
            row(&s, "cell"),
            ["TAC 550A, CI 82E8C80, PCI 87, ARFCN 38400, B39"]
        );
        assert!(
            row(&s, "coverage")[0].starts_with("counts for coverage: cannot tell"),
            "no data registration in a lone +QENG: {s}"
        );
        let vi = summary(&d, Lang::Vi);
        assert_eq!(row(&vi, "công nghệ"), ["lte"], "{vi}");
        assert!(
            row(&vi, "giá trị")[0].contains("RSRP -93 dBm (rất tốt)"),
            "{vi}"
        );
    }

    #[test]
    fn a_registered_capture_says_whether_it_counts_and_names_the_operator() {
        let d = decode(&fixture("modem/cesq-lte-mm.txt"), None).unwrap();
        let s = summary(&d, Lang::En);
        assert!(!row(&s, "values").is_empty(), "{s}");
        let captured = "AT+CESQ\r\n+CESQ: 99,99,255,255,20,80\r\n\r\nOK\r\n\
                        +CEREG: 2,1,\"1F00\",\"79D903\",7\r\n+COPS: 0,2,\"45204\",7\r\n";
        let d = decode(captured, None).unwrap();
        let s = summary(&d, Lang::En);
        assert_eq!(row(&s, "operator"), ["Viettel (452-04)"], "{s}");
        assert_eq!(row(&s, "registration"), ["home"]);
        assert_eq!(
            row(&s, "coverage"),
            ["counts for coverage: yes, because RSRP -61 dBm is at or above -110 dBm"]
        );
    }

    #[test]
    fn refused_commands_are_named() {
        // u-blox SARA: the network refuses the manual operator choice.
        let d = decode(
            &fixture("modem-generic/ublox-sara-denied-sequence.txt"),
            None,
        )
        .unwrap();
        let s = summary(&d, Lang::En);
        assert_eq!(
            row(&s, "refused"),
            ["the modem refused AT+COPS=1,2,\"22812\": +CME ERROR: not found"],
            "{s}"
        );
        assert!(
            !row(&s, "notes").iter().any(|n| n.contains("+CME ERROR")),
            "listed once: {s}"
        );
        // SIMCom SIM7600E-H: AT+CPSI? refused, the rest of the session decodes.
        let d = decode(
            &fixture("modem-vendor/simcom-cpsi-lte-sim7600e-h-session.txt"),
            None,
        )
        .unwrap();
        let s = summary(&d, Lang::Vi);
        assert_eq!(
            row(&s, "bị từ chối"),
            ["modem từ chối lệnh AT+CPSI?: ERROR"],
            "{s}"
        );
        // Nothing but a refusal: an error that says so, and which command.
        let e = decode("AT+QENG=\"servingcell\"\r\n+CME ERROR: 4\r\n", None).unwrap_err();
        let text = error_text(&e, Lang::En);
        assert!(
            text.contains("the modem refused AT+QENG=\"servingcell\": +CME ERROR: 4"),
            "{text}"
        );
    }
}

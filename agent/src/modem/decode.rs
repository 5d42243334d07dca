//! `coverage-agent decode`: one captured modem reply in, one JSON object out, with the
//! wire-format `signal` fields the reply determines.
//!
//! Input is what a technician pastes: an AT reply (several lines, URCs, echo, `OK`, CRLF or
//! LF), `mmcli ... -J` output (one or several JSON documents, pretty-printed or not), `mmcli -K`
//! key-value output, or the `response: '...'` wrapper `mmcli --command` prints around an AT
//! reply. The format is detected unless given.
//!
//! Output ([`Decoded`]): `tech`, `reg`, `operator` `{mcc?, mnc?, name?}`, the nine values,
//! `cell` `{lac?, tac?, ci?, pci?, arfcn?, band?}`, and `no_service: true` when the reply says
//! there is no service. Fields the reply does not determine are `null` (or absent for the
//! objects). `operator` is the SIM's home network when the reply identifies the SIM (`+CIMI`,
//! mmcli SIM document), else the network the reply names (`+COPS`, a serving-cell report);
//! `serving` is added when both are known and differ. Extra keys: `notes` (scalings and
//! anything skipped) and `details` (every source decoded, keyed by source, for display).
//! Readers of the wire format ignore unknown keys, so the object stays a valid `signal`
//! fragment.
//!
//! A final error result (`ERROR`, `+CME ERROR: ...`) is the modem refusing a command: it is
//! listed under `refused` with the command echoed before it, and a capture of nothing but
//! refusals is [`DecodeError::Refused`] (the modem refused, and which command), not an
//! unrecognised reply.
//!
//! `reg` follows DESIGN.md: only `+CGREG`/`+CEREG`/`+C5GREG` (or ModemManager's registration
//! state) decide it; a lone `+CREG` reply leaves it `null` (its state is under `details`).
//! Decoding never panics: any input gives a [`Decoded`] or a [`DecodeError`].

use coverage_shared::wire::{Cell, Plmn, Reg, Tech};
use serde::Serialize;
use serde_json::{Map, Value};

use super::observe::{Interpreted, Observation};
use super::{fields, mmcli};

/// The input format of [`decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecodeFormat {
    /// An AT reply (also inside mmcli's `response: '...'` wrapper).
    At,
    /// `mmcli -J` (or `-K`) output.
    Mmcli,
}

/// Why a reply could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Nothing but whitespace came in.
    #[error("empty input: paste a modem reply (AT or mmcli -J) on standard input")]
    Empty,
    /// The modem answered only with refusals (`ERROR`, `+CME ERROR: ...`): it refused the
    /// command(s), so there is nothing to decode.
    #[error("the modem refused {}", refusals_text(.0))]
    Refused(Vec<Refusal>),
    /// No line or document of a known kind was found.
    #[error("no known {format} reply in the input (first line: {first_line:?})")]
    NotRecognised {
        /// The format tried.
        format: &'static str,
        /// The first line of the input, shortened.
        first_line: String,
    },
}

/// A command the modem refused: the echoed command (when the capture has it) and the final
/// result code (`ERROR`, `+CME ERROR: 10`, `+CME ERROR: not found`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The command as echoed (`AT+CPSI?`), when the capture shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The modem's final result code, as it printed it.
    pub error: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.command {
            Some(c) => write!(f, "{c} ({})", self.error),
            None => write!(f, "a command ({})", self.error),
        }
    }
}

fn refusals_text(r: &[Refusal]) -> String {
    r.iter()
        .map(Refusal::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The commands an AT capture shows refused: each final error result (`ERROR`,
/// `+CME ERROR: ...`, `+CMS ERROR: ...`) with the command echoed before it, if any.
pub fn refusals(input: &str) -> Vec<Refusal> {
    let mut out = Vec::new();
    let mut last_echo: Option<String> = None;
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if fields::is_echo(line) {
            last_echo = Some(line.to_owned());
        } else if fields::is_final_ok(line) {
            last_echo = None;
        } else if fields::is_final_error(line) && line != "4" {
            out.push(Refusal {
                command: last_echo.take(),
                error: line.to_owned(),
            });
        }
    }
    out
}

/// A network as far as the reply names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecodedPlmn {
    /// Mobile country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcc: Option<String>,
    /// Mobile network code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mnc: Option<String>,
    /// Operator name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<Plmn> for DecodedPlmn {
    fn from(p: Plmn) -> Self {
        DecodedPlmn {
            mcc: Some(p.mcc),
            mnc: Some(p.mnc),
            name: p.name,
        }
    }
}

/// The decoded reply: wire-format signal fields plus `no_service`, `notes` and `details`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Decoded {
    /// Serving technology.
    pub tech: Option<Tech>,
    /// Data registration.
    pub reg: Option<Reg>,
    /// The SIM's home network, else the network the reply names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<DecodedPlmn>,
    /// The network in use, when both it and the home network are known and they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving: Option<DecodedPlmn>,
    /// RSSI, dBm.
    pub rssi_dbm: Option<f64>,
    /// LTE RSRP, dBm.
    pub rsrp_dbm: Option<f64>,
    /// LTE RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// LTE SINR, dB.
    pub sinr_db: Option<f64>,
    /// UMTS RSCP, dBm.
    pub rscp_dbm: Option<f64>,
    /// UMTS Ec/N0, dB.
    pub ecno_db: Option<f64>,
    /// NR SS-RSRP, dBm.
    pub ss_rsrp_dbm: Option<f64>,
    /// NR SS-RSRQ, dB.
    pub ss_rsrq_db: Option<f64>,
    /// NR SS-SINR, dB.
    pub ss_sinr_db: Option<f64>,
    /// Serving cell identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<Cell>,
    /// The reply says there is no service.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_service: bool,
    /// Scalings applied and lines skipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Every source decoded, keyed by source (`cesq`, `qeng`, `mmcli`, ...).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    /// Commands of the capture the modem refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Refusal>,
}

impl From<Interpreted> for Decoded {
    fn from(i: Interpreted) -> Self {
        let [
            rssi,
            rsrp,
            rsrq,
            sinr,
            rscp,
            ecno,
            ss_rsrp,
            ss_rsrq,
            ss_sinr,
        ] = i.values;
        let differs =
            matches!((&i.home, &i.serving), (Some(h), Some(s)) if h.mcc != s.mcc || h.mnc != s.mnc);
        let operator = match (&i.home, &i.serving, &i.serving_name) {
            (Some(h), _, _) => Some(h.clone().into()),
            (None, Some(s), _) => Some(s.clone().into()),
            (None, None, Some(name)) => Some(DecodedPlmn {
                name: Some(name.clone()),
                ..DecodedPlmn::default()
            }),
            _ => None,
        };
        Decoded {
            tech: i.tech,
            reg: i.reg,
            operator,
            serving: if differs {
                i.serving.map(Into::into)
            } else {
                None
            },
            rssi_dbm: rssi,
            rsrp_dbm: rsrp,
            rsrq_db: rsrq,
            sinr_db: sinr,
            rscp_dbm: rscp,
            ecno_db: ecno,
            ss_rsrp_dbm: ss_rsrp,
            ss_rsrq_db: ss_rsrq,
            ss_sinr_db: ss_sinr,
            cell: i.cell,
            no_service: i.no_service,
            notes: i.notes,
            details: i.details,
            refused: Vec::new(),
        }
    }
}

/// Guesses the format: JSON or mmcli key-value text is mmcli, anything else AT.
pub fn detect_format(input: &str) -> DecodeFormat {
    let t = input.trim_start();
    if t.starts_with('{') || t.starts_with('[') || looks_keyvalue(t) {
        DecodeFormat::Mmcli
    } else {
        DecodeFormat::At
    }
}

fn looks_keyvalue(t: &str) -> bool {
    t.lines().take(5).any(|l| {
        let l = l.trim_start();
        (l.starts_with("modem.") || l.starts_with("sim.")) && l.contains(" : ")
    })
}

fn first_line(input: &str) -> String {
    input
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .chars()
        .take(80)
        .collect()
}

/// Feeds every mmcli document of `input` (JSON stream, else key-value text); returns how many
/// were recognised.
fn feed_mmcli(obs: &mut Observation, input: &str) -> usize {
    let mut docs: Vec<Value> = Vec::new();
    for v in serde_json::Deserializer::from_str(input).into_iter::<Value>() {
        match v {
            Ok(v) => docs.push(v),
            Err(_) => break,
        }
    }
    if docs.is_empty()
        && let Some(v) = mmcli::keyvalue_document(input).or_else(|| mmcli::human_document(input))
    {
        docs.push(v);
    }
    let before = obs.recognised();
    for d in &docs {
        if let Some(s) = mmcli::parse_modem_json(d) {
            mmcli::apply_status(obs, &s);
        }
        if let Some(s) = mmcli::parse_signal_json(d) {
            mmcli::apply_signal(obs, &s);
        }
        if let Some(s) = mmcli::parse_sim_json(d) {
            mmcli::apply_sim(obs, &s);
        }
        if let Some(l) = mmcli::parse_location_json(d) {
            mmcli::apply_location(obs, &l);
        }
    }
    obs.recognised() - before
}

/// Decodes one captured reply; see the module doc.
pub fn decode(input: &str, format: Option<DecodeFormat>) -> Result<Decoded, DecodeError> {
    // A byte-order mark or NULs from a serial capture are noise, not content.
    let input = input.trim_start_matches('\u{feff}').replace('\0', "");
    if input.trim().is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = format.unwrap_or_else(|| detect_format(&input));
    let mut obs = Observation::new();
    let found = match format {
        DecodeFormat::Mmcli => {
            let n = feed_mmcli(&mut obs, &input);
            if n == 0 {
                // `mmcli --command` prints the modem's reply as `response: '...'`.
                obs.feed_at(&input)
            } else {
                n
            }
        }
        DecodeFormat::At => {
            let n = obs.feed_at(&input);
            if n == 0 {
                // Not AT after all: mmcli's human-readable output, say.
                feed_mmcli(&mut obs, &input)
            } else {
                n
            }
        }
    };
    let refused = match format {
        DecodeFormat::At => refusals(&input),
        DecodeFormat::Mmcli if found == 0 => refusals(&input),
        DecodeFormat::Mmcli => Vec::new(),
    };
    if found == 0 && !refused.is_empty() {
        return Err(DecodeError::Refused(refused));
    }
    if found == 0 {
        return Err(DecodeError::NotRecognised {
            format: match format {
                DecodeFormat::At => "AT",
                DecodeFormat::Mmcli => "mmcli",
            },
            first_line: first_line(&input),
        });
    }
    let mut decoded: Decoded = obs.finish().into();
    decoded.refused = refused;
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(detect_format("  {\"modem\":{}}"), DecodeFormat::Mmcli);
        assert_eq!(
            detect_format("modem.generic.state : connected\n"),
            DecodeFormat::Mmcli
        );
        assert_eq!(detect_format("AT+CSQ\r\n+CSQ: 1,2\r\nOK"), DecodeFormat::At);
        assert_eq!(detect_format("response: '+CSQ: 1,2'"), DecodeFormat::At);
    }

    #[test]
    fn one_object_with_wire_names() {
        let d = decode(
            "AT+CESQ\r\n+CESQ: 99,99,255,255,20,80\r\n\r\nOK\r\n+CEREG: 2,1,\"1F00\",\"79D903\",7\r\n+COPS: 0,2,\"45204\",7\r\n",
            None,
        )
        .unwrap();
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["tech"], "lte");
        assert_eq!(j["reg"], "home");
        assert_eq!(j["operator"]["mcc"], "452");
        assert_eq!(j["operator"]["mnc"], "04");
        assert_eq!(j["rsrp_dbm"], -61.0);
        assert_eq!(j["cell"]["tac"], "1F00");
        assert!(j["rscp_dbm"].is_null());
        assert!(j.get("no_service").is_none());
    }

    #[test]
    fn errors() {
        assert_eq!(decode("  \n", None), Err(DecodeError::Empty));
        assert!(matches!(
            decode("hello", None),
            Err(DecodeError::NotRecognised { .. })
        ));
        assert!(matches!(
            decode("{\"x\":1}", None),
            Err(DecodeError::NotRecognised { .. })
        ));
    }

    #[test]
    fn refusals_name_the_command() {
        let e = decode("AT+CPSI?\r\nERROR\r\n", None).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Refused(vec![Refusal {
                command: Some("AT+CPSI?".into()),
                error: "ERROR".into()
            }])
        );
        assert_eq!(e.to_string(), "the modem refused AT+CPSI? (ERROR)");
        let e = decode("+CME ERROR: 10\n", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the modem refused a command (+CME ERROR: 10)"
        );
        let d = decode("AT+CSQ\r\n+CSQ: 19,99\r\nOK\r\nAT+CPSI?\r\nERROR\r\n", None).unwrap();
        assert_eq!(d.refused.len(), 1, "{d:?}");
        assert_eq!(d.rssi_dbm, Some(-75.0));
    }
}

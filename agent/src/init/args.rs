//! Argument resolution for `coverage-agent init`: every flag is checked (an error names its
//! flag, `--lat: 122 is not a latitude (-90..90)`), a missing value is asked for through
//! [`Ask`] (the terminal, or a script in tests) with a bounded number of retries, and the
//! result is one [`Settings`] that render and verify take. Nothing is written here.
//!
//! The commune is checked against the position with `check`'s own lookup (the boundary set
//! in force today): a code that is not a commune of its set is refused, a position in another
//! commune is a warning naming it, and a missing `--commune` gets the position's commune
//! proposed. Questions, refusals and warnings come from the catalogue, in `--lang`.

use super::{InitArgs, InitError};
use coverage_net::mqtt::parse_url;
use coverage_shared::boundary::{BoundaryRegistry, SetInfo};
use coverage_shared::geo;
use coverage_shared::text::agent::{AgentText, text};
use coverage_shared::text::{Lang, fill};
use coverage_shared::topic::validate_site;
use coverage_shared::wire::CommuneRef;
use std::io::{BufRead, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Asks the user for values: the terminal, or a script in tests.
pub trait Ask {
    /// Shows `question` and returns the answer line; `None` at the end of input.
    fn ask(&mut self, question: &str) -> std::io::Result<Option<String>>;
    /// Shows a message (why an answer was refused).
    fn tell(&mut self, message: &str);
}

/// Questions on standard error, answers from standard input.
#[derive(Debug, Default)]
pub struct Terminal;

impl Ask for Terminal {
    fn ask(&mut self, question: &str) -> std::io::Result<Option<String>> {
        let mut err = std::io::stderr().lock();
        write!(err, "{question} ")?;
        err.flush()?;
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line)? {
            0 => Ok(None),
            _ => Ok(Some(line.trim().to_owned())),
        }
    }

    fn tell(&mut self, message: &str) {
        eprintln!("  {message}");
    }
}

/// The modem the config drives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModemChoice {
    /// ModemManager, optionally modem index N.
    Mmcli {
        /// `mmcli -m N`.
        index: Option<u32>,
    },
    /// AT commands on a serial port.
    At {
        /// Device path.
        port: String,
        /// Vendor commands to use (`generic` when not given).
        vendor: Option<String>,
    },
    /// The simulator.
    Simulated {
        /// Preset (the example's when not given).
        preset: Option<String>,
    },
}

impl ModemChoice {
    pub(super) fn driver(&self) -> &'static str {
        match self {
            ModemChoice::Mmcli { .. } => "mmcli",
            ModemChoice::At { .. } => "at",
            ModemChoice::Simulated { .. } => "simulated",
        }
    }
}

/// Every value of a config, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `site.id` and `mqtt.username`.
    pub site: String,
    /// `site.lat`.
    pub lat: f64,
    /// `site.lon`.
    pub lon: f64,
    /// `site.commune`: set and code.
    pub commune: (String, String),
    /// `mqtt.url`.
    pub broker: String,
    /// `mqtt.password_file`.
    pub credentials_file: PathBuf,
    /// `mqtt.ca_file` (TLS only).
    pub ca_file: Option<PathBuf>,
    /// The modem.
    pub modem: ModemChoice,
    /// Interface of fibre probes.
    pub fibre_interface: String,
    /// Host of fibre probes.
    pub target: String,
    /// Interface of mobile probes; `None` comments them out.
    pub mobile_interface: Option<String>,
    /// `site.placement`.
    pub placement: String,
    /// `site.antenna`.
    pub antenna: String,
    /// The commune in words when the position lies in the one written (for the summary).
    pub place: Option<String>,
    /// Warnings for the technician (the position lies in another commune, ...).
    pub notes: Vec<String>,
}

const PLACEMENTS: [&str; 3] = ["indoor", "outdoor", "vehicle"];
const ANTENNAS: [&str; 2] = ["internal", "external"];
const VENDORS: [&str; 5] = ["generic", "quectel", "huawei", "simcom", "sierra"];
const PRESETS: [&str; 5] = ["strong", "moderate", "weak", "flaky", "dead"];

fn parse_site(s: &str) -> Result<String, String> {
    validate_site(s).map_err(|e| e.to_string())?;
    Ok(s.to_owned())
}

fn parse_degrees(
    t: &AgentText,
    s: &str,
    valid: fn(f64) -> bool,
    out_of_range: &str,
) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| fill(t.init_bad_degrees, &[("value", &format!("{s:?}"))]))?;
    // The range rule is the model's (`coverage_shared::geo`).
    if !valid(v) {
        return Err(fill(out_of_range, &[("value", &s)]));
    }
    Ok(v)
}

/// `SET:CODE` of a known set and a five-digit code (the form only).
fn parse_commune_form(t: &AgentText, s: &str) -> Result<(String, String), String> {
    let known: Vec<&str> = SetInfo::KNOWN.iter().map(|i| i.name.as_ref()).collect();
    let sets = known.join(", ");
    let Some((set, code)) = s.split_once(':') else {
        return Err(fill(
            t.init_bad_commune_form,
            &[("value", &format!("{s:?}")), ("sets", &sets)],
        ));
    };
    if !known.contains(&set) {
        return Err(fill(
            t.init_bad_set,
            &[("set", &format!("{set:?}")), ("sets", &sets)],
        ));
    }
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fill(
            t.init_bad_code_form,
            &[("code", &format!("{code:?}"))],
        ));
    }
    Ok((set.to_owned(), code.to_owned()))
}

/// Where the position lies, looked up as `check` does (the set in force today).
struct Located {
    /// The set in force today.
    set: String,
    /// The commune's code, when the position lies in one.
    code: Option<String>,
    /// The place in words (`Phường Đức Xuân (thai-nguyen-2025 01840)`, or outside ...).
    place: String,
}

impl Located {
    fn proposal(&self) -> Option<String> {
        self.code.as_ref().map(|c| format!("{}:{c}", self.set))
    }
}

fn locate(registry: &BoundaryRegistry, lat: f64, lon: f64, lang: Lang) -> Option<Located> {
    let today = registry
        .in_force_at(chrono::Utc::now())
        .or_else(|| registry.sets().last())?;
    let loc = today.locate(lat, lon);
    Some(Located {
        set: today.name().to_owned(),
        code: loc.commune.map(|c| c.code.clone()),
        place: crate::check::place(&loc, lang),
    })
}

/// `SET:CODE` whose code is a commune of the set, when the boundary files are at hand.
fn parse_commune(
    t: &AgentText,
    s: &str,
    boundaries: Option<&(BoundaryRegistry, PathBuf)>,
    located: Option<&Located>,
) -> Result<(String, String), String> {
    let (set, code) = parse_commune_form(t, s)?;
    let Some((registry, dir)) = boundaries else {
        return Ok((set, code));
    };
    let Ok(boundary_set) = registry.get(&set) else {
        return Ok((set, code)); // a known set whose file is not installed: nothing to check
    };
    if boundary_set.commune(&code).is_none() {
        let list = dir.join(boundary_set.info().file.replace(".geojson", ".csv"));
        let here = located
            .and_then(|l| {
                l.proposal().map(|p| {
                    fill(
                        t.init_position_lies_in,
                        &[("place", &l.place), ("proposal", &p)],
                    )
                })
            })
            .unwrap_or_default();
        return Err(fill(
            t.init_code_not_in_set,
            &[
                ("code", &code),
                ("set", &set),
                ("list", &list.display()),
                ("here", &here),
            ],
        ));
    }
    Ok((set, code))
}

fn parse_broker(s: &str) -> Result<String, String> {
    parse_url(s).map_err(|e| e.to_string())?;
    Ok(s.to_owned())
}

fn parse_path(t: &AgentText, s: &str) -> Result<PathBuf, String> {
    if s.trim().is_empty() || s.contains('\n') {
        return Err(t.init_bad_path.to_owned());
    }
    Ok(PathBuf::from(s))
}

fn parse_modem(t: &AgentText, s: &str) -> Result<ModemChoice, String> {
    let (kind, rest) = match s.split_once(':') {
        Some((k, r)) => (k, Some(r)),
        None => (s, None),
    };
    match (kind, rest) {
        ("mmcli", None) => Ok(ModemChoice::Mmcli { index: None }),
        ("mmcli", Some(i)) => i
            .parse()
            .map(|i| ModemChoice::Mmcli { index: Some(i) })
            .map_err(|_| fill(t.init_bad_modem_index, &[("value", &format!("{i:?}"))])),
        ("at", Some(rest)) => {
            let (port, vendor) = match rest.rsplit_once(':') {
                Some((p, v)) => (p, Some(v)),
                None => (rest, None),
            };
            if !port.starts_with('/') {
                return Err(fill(t.init_bad_port, &[("value", &format!("{port:?}"))]));
            }
            if let Some(v) = vendor
                && !VENDORS.contains(&v)
            {
                return Err(one_of_message(t, v, &VENDORS));
            }
            Ok(ModemChoice::At {
                port: port.to_owned(),
                vendor: vendor.map(str::to_owned),
            })
        }
        ("simulated", p) => match p {
            Some(p) if !PRESETS.contains(&p) => Err(one_of_message(t, p, &PRESETS)),
            p => Ok(ModemChoice::Simulated {
                preset: p.map(str::to_owned),
            }),
        },
        _ => Err(fill(t.init_bad_modem, &[("value", &format!("{s:?}"))])),
    }
}

/// A Linux interface name: 1 to 15 bytes, no `/`, no whitespace, not `.` or `..`.
fn parse_interface(t: &AgentText, s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s != "."
        && s != ".."
        && !s
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace());
    if !ok {
        return Err(fill(t.init_bad_interface, &[("value", &format!("{s:?}"))]));
    }
    Ok(s.to_owned())
}

fn parse_mobile_interface(t: &AgentText, s: &str) -> Result<Option<String>, String> {
    if s == "none" {
        return Ok(None);
    }
    parse_interface(t, s).map(Some)
}

fn parse_target(t: &AgentText, s: &str) -> Result<String, String> {
    if s.parse::<IpAddr>().is_ok() {
        return Ok(s.to_owned());
    }
    let name_ok = !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !name_ok {
        let hint = if s.contains(':') || s.contains('/') {
            t.init_target_hint
        } else {
            ""
        };
        return Err(fill(
            t.init_bad_target,
            &[("value", &format!("{s:?}")), ("hint", &hint)],
        ));
    }
    Ok(s.to_owned())
}

fn one_of_message(t: &AgentText, s: &str, options: &[&str]) -> String {
    fill(
        t.init_one_of,
        &[
            ("value", &format!("{s:?}")),
            ("options", &options.join(", ")),
        ],
    )
}

fn one_of<'a>(
    t: &'a AgentText,
    options: &'static [&'static str],
) -> impl Fn(&str) -> Result<String, String> + 'a {
    move |s| {
        if options.contains(&s) {
            Ok(s.to_owned())
        } else {
            Err(one_of_message(t, s, options))
        }
    }
}

/// One value: from its flag, else asked for (with a default shown), else an error naming the
/// flag (when `required`) or the default.
struct Resolver<'a> {
    asker: Option<&'a mut dyn Ask>,
    t: &'static AgentText,
}

/// How many refused answers before giving up on a value.
const MAX_ATTEMPTS: usize = 5;

impl Resolver<'_> {
    fn value<T>(
        &mut self,
        flag: &'static str,
        given: Option<&str>,
        question: &str,
        default: Option<&str>,
        required: bool,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, InitError> {
        let invalid = |message| InitError::Invalid { flag, message };
        if let Some(g) = given {
            return parse(g).map_err(invalid);
        }
        let Some(asker) = self.asker.as_deref_mut() else {
            return match (required, default) {
                (false, Some(d)) => parse(d).map_err(invalid),
                _ => Err(InitError::Missing { flag }),
            };
        };
        let q = match default {
            Some(d) => format!("{question} [{d}]:"),
            None => format!("{question}:"),
        };
        let mut last = None;
        for _ in 0..MAX_ATTEMPTS {
            let answer = asker
                .ask(&q)
                .map_err(|source| InitError::Prompt { flag, source })?;
            let Some(answer) = answer else {
                return Err(InitError::Missing { flag });
            };
            let answer = match (answer.is_empty(), default) {
                (true, Some(d)) => d.to_owned(),
                (true, None) => {
                    asker.tell(self.t.init_answer_needed);
                    continue;
                }
                (false, _) => answer,
            };
            match parse(&answer) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    asker.tell(&e);
                    last = Some(e);
                }
            }
        }
        Err(invalid(
            last.unwrap_or_else(|| self.t.init_no_answer.to_owned()),
        ))
    }
}

/// The boundary sets for the commune lookup: `--boundaries-dir`, else where `check` looks.
fn load_sets(args: &InitArgs) -> Result<(BoundaryRegistry, PathBuf), String> {
    let configured = args
        .boundaries_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_BOUNDARIES_DIR));
    let exe = std::env::current_exe().ok();
    crate::check::load_boundaries(&crate::check::boundary_dirs(&configured, exe.as_deref()))
}

/// Checks every value of `args`, asking `asker` for the missing ones (or failing, naming the
/// flag, without one). The commune is checked against the position with `check`'s lookup: a
/// code that is not a commune of its set is refused, a commune the position does not lie in
/// is a warning in [`Settings::notes`], and without `--commune` the commune of the position is
/// proposed (the question's default, or the error's suggestion).
pub fn resolve(args: &InitArgs, asker: Option<&mut dyn Ask>) -> Result<Settings, InitError> {
    let lang = args.lang.resolve();
    let t = text(lang);
    let mut r = Resolver { asker, t };
    let site = r.value(
        "--site",
        args.site.as_deref(),
        t.init_q_site,
        None,
        true,
        parse_site,
    )?;
    let lat = r.value(
        "--lat",
        args.lat.as_deref(),
        t.init_q_lat,
        None,
        true,
        |s| parse_degrees(t, s, geo::valid_lat, t.init_bad_lat),
    )?;
    let lon = r.value(
        "--lon",
        args.lon.as_deref(),
        t.init_q_lon,
        None,
        true,
        |s| parse_degrees(t, s, geo::valid_lon, t.init_bad_lon),
    )?;
    let mut notes = Vec::new();
    let boundaries = match load_sets(args) {
        Ok(b) => Some(b),
        Err(errors) => {
            notes.push(fill(t.init_warn_no_boundaries, &[("errors", &errors)]));
            None
        }
    };
    let located = boundaries
        .as_ref()
        .and_then(|(reg, _)| locate(reg, lat, lon, lang));
    let proposal = located.as_ref().and_then(Located::proposal);
    if args.commune.is_none()
        && r.asker.is_none()
        && let (Some(l), Some(p)) = (&located, &proposal)
    {
        return Err(InitError::MissingCommune {
            place: l.place.clone(),
            proposal: p.clone(),
        });
    }
    let question = match (&located, &proposal) {
        (Some(l), Some(_)) => fill(t.init_q_commune_here, &[("place", &l.place)]),
        _ => t.init_q_commune.to_owned(),
    };
    let commune = r.value(
        "--commune",
        args.commune.as_deref(),
        &question,
        proposal.as_deref(),
        true,
        |s| parse_commune(t, s, boundaries.as_ref(), located.as_ref()),
    )?;
    if let (Some((registry, _)), Some(l)) = (&boundaries, &located) {
        match &l.code {
            None => notes.push(fill(t.init_warn_outside, &[("place", &l.place)])),
            Some(code) => {
                let conf = CommuneRef {
                    set: commune.0.clone(),
                    code: commune.1.clone(),
                };
                if registry.matches_configured(&conf, &l.set, Some(code)) == Some(false) {
                    let configured = registry
                        .get(&conf.set)
                        .ok()
                        .and_then(|s| s.commune(&conf.code))
                        .map_or_else(
                            || format!("{}:{}", conf.set, conf.code),
                            |c| {
                                fill(
                                    t.place_in,
                                    &[("name", &c.name), ("set", &conf.set), ("code", &conf.code)],
                                )
                            },
                        );
                    notes.push(fill(
                        t.init_warn_other_commune,
                        &[
                            ("place", &l.place),
                            ("configured", &configured),
                            ("proposal", &proposal.clone().unwrap_or_default()),
                        ],
                    ));
                }
            }
        }
    }
    let placement = r.value(
        "--placement",
        args.placement.as_deref(),
        t.init_q_placement,
        Some("indoor"),
        false,
        one_of(t, &PLACEMENTS),
    )?;
    let antenna = r.value(
        "--antenna",
        args.antenna.as_deref(),
        t.init_q_antenna,
        Some("internal"),
        false,
        one_of(t, &ANTENNAS),
    )?;
    let broker = r.value(
        "--broker",
        args.broker.as_deref(),
        t.init_q_broker,
        None,
        true,
        parse_broker,
    )?;
    let credentials_file = r.value(
        "--credentials-file",
        args.credentials_file.as_deref().and_then(Path::to_str),
        t.init_q_credentials,
        Some("mqtt-password"),
        true,
        |s| parse_path(t, s),
    )?;
    let tls = parse_url(&broker).is_ok_and(|e| e.tls);
    let ca_file = match (&args.ca_file, tls) {
        (Some(p), true) => {
            Some(
                parse_path(t, &p.to_string_lossy()).map_err(|message| InitError::Invalid {
                    flag: "--ca-file",
                    message,
                })?,
            )
        }
        (Some(_), false) => {
            return Err(InitError::Invalid {
                flag: "--ca-file",
                message: t.init_ca_plain.to_owned(),
            });
        }
        (None, true) => r.value("--ca-file", None, t.init_q_ca, Some("system"), false, |s| {
            if s == "system" {
                Ok(None)
            } else {
                parse_path(t, s).map(Some)
            }
        })?,
        (None, false) => None,
    };
    let modem = r.value(
        "--modem",
        args.modem.as_deref(),
        t.init_q_modem,
        Some("mmcli"),
        true,
        |s| parse_modem(t, s),
    )?;
    let fibre_interface = r.value(
        "--fibre-interface",
        args.fibre_interface.as_deref(),
        t.init_q_fibre,
        Some("eth0"),
        true,
        |s| parse_interface(t, s),
    )?;
    let target = r.value(
        "--target",
        args.target.as_deref(),
        t.init_q_target,
        None,
        true,
        |s| parse_target(t, s),
    )?;
    let mobile_default = match modem {
        ModemChoice::Simulated { .. } => "none",
        _ => "wwan0",
    };
    let mobile_interface = match &args.mobile_interface {
        Some(m) => parse_mobile_interface(t, m).map_err(|message| InitError::Invalid {
            flag: "--mobile-interface",
            message,
        })?,
        None => parse_mobile_interface(t, mobile_default).map_err(InitError::Template)?,
    };
    let place = located
        .as_ref()
        .filter(|l| l.proposal().as_deref() == Some(&format!("{}:{}", commune.0, commune.1)))
        .map(|l| l.place.clone());
    Ok(Settings {
        site,
        lat,
        lon,
        commune,
        broker,
        credentials_file,
        ca_file,
        modem,
        fibre_interface,
        target,
        mobile_interface,
        placement,
        antenna,
        place,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::tests::args;

    #[test]
    fn errors_name_the_flag() {
        type Edit = fn(&mut InitArgs);
        let cases: [(Edit, &str); 9] = [
            (|a| a.lat = Some("122".into()), "--lat"),
            (|a| a.lon = Some("east".into()), "--lon"),
            (|a| a.site = Some("bk 1".into()), "--site"),
            (|a| a.commune = Some("01840".into()), "--commune"),
            (|a| a.commune = Some("mars-2030:01840".into()), "--commune"),
            (|a| a.broker = Some("http://x".into()), "--broker"),
            (|a| a.modem = Some("serial".into()), "--modem"),
            (|a| a.target = Some("10.6.0.1:443".into()), "--target"),
            (
                |a| a.fibre_interface = Some("eth 0".into()),
                "--fibre-interface",
            ),
        ];
        for (edit, flag) in cases {
            let mut a = args();
            edit(&mut a);
            let e = resolve(&a, None).unwrap_err().to_string();
            assert!(e.starts_with(flag), "{flag}: {e}");
        }
        let mut a = args();
        a.site = None;
        let e = resolve(&a, None).unwrap_err();
        assert!(matches!(e, InitError::Missing { flag: "--site" }), "{e}");
    }

    struct Script {
        answers: Vec<&'static str>,
        questions: Vec<String>,
        told: Vec<String>,
    }

    impl Ask for Script {
        fn ask(&mut self, question: &str) -> std::io::Result<Option<String>> {
            self.questions.push(question.to_owned());
            Ok((!self.answers.is_empty()).then(|| self.answers.remove(0).to_owned()))
        }
        fn tell(&mut self, message: &str) {
            self.told.push(message.to_owned());
        }
    }

    #[test]
    fn asks_for_what_is_missing_and_retries_bad_answers() {
        let mut a = args();
        a.lat = None;
        a.fibre_interface = None;
        a.placement = None;
        let mut script = Script {
            answers: vec!["ninety", "22.5", "", "", ""],
            questions: vec![],
            told: vec![],
        };
        let s = resolve(&a, Some(&mut script)).unwrap();
        assert_eq!(s.lat, 22.5);
        assert_eq!(s.fibre_interface, "eth0", "empty answer takes the default");
        assert_eq!(s.placement, "indoor");
        assert_eq!(script.told.len(), 1, "{:?}", script.told);
        assert!(script.questions[0].starts_with("Latitude"));
        assert!(script.questions.iter().any(|q| q.contains("[eth0]")));
    }

    #[test]
    fn the_commune_is_checked_against_the_position() {
        // A code that is no commune of its set is refused, naming where the position lies.
        let mut a = args();
        a.commune = Some("thai-nguyen-2025:09999".into());
        let e = resolve(&a, None).unwrap_err().to_string();
        assert!(
            e.starts_with("--commune: 09999 is not a commune of thai-nguyen-2025"),
            "{e}"
        );
        assert!(
            e.contains("the position lies in Phường Đức Xuân (thai-nguyen-2025 01840): --commune thai-nguyen-2025:01840"),
            "{e}"
        );
        // A real commune the position does not lie in: written, with a warning naming both.
        a.commune = Some("thai-nguyen-2025:01843".into());
        let s = resolve(&a, None).unwrap();
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(
            s.notes[0].starts_with(
                "warning: the position lies in Phường Đức Xuân (thai-nguyen-2025 01840), not in "
            ),
            "{:?}",
            s.notes
        );
        assert!(s.notes[0].contains("01843"), "{:?}", s.notes);
        // The 2020 code of the same commune is the same place: no warning.
        a.commune = Some("bac-kan-2020:01834".into());
        assert!(resolve(&a, None).unwrap().notes.is_empty());
        // The right one: no warning, and the summary can name it.
        let s = resolve(&args(), None).unwrap();
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        assert_eq!(
            s.place.as_deref(),
            Some("Phường Đức Xuân (thai-nguyen-2025 01840)")
        );
    }

    #[test]
    fn a_missing_commune_is_proposed_from_the_position() {
        let mut a = args();
        a.commune = None;
        let e = resolve(&a, None).unwrap_err();
        assert!(
            matches!(&e, InitError::MissingCommune { proposal, .. } if proposal == "thai-nguyen-2025:01840"),
            "{e}"
        );
        assert!(
            e.localized(Lang::Vi).starts_with("cần có --commune"),
            "{}",
            e.localized(Lang::Vi)
        );
        let mut script = Script {
            answers: vec!["", "", ""],
            questions: vec![],
            told: vec![],
        };
        let s = resolve(&a, Some(&mut script)).unwrap();
        assert_eq!(s.commune, ("thai-nguyen-2025".into(), "01840".into()));
        let q = &script.questions[0];
        assert!(
            q.contains("the position lies in Phường Đức Xuân")
                && q.ends_with("[thai-nguyen-2025:01840]:"),
            "{q}"
        );
    }

    #[test]
    fn questions_and_refusals_in_vietnamese() {
        let mut a = args();
        a.lang = crate::lang::LangArg {
            lang: Some(Lang::Vi),
        };
        a.lat = None;
        let mut script = Script {
            answers: vec!["chín mươi", "22.162534", "", ""],
            questions: vec![],
            told: vec![],
        };
        resolve(&a, Some(&mut script)).unwrap();
        assert!(
            script.questions[0].starts_with("Vĩ độ của ăng-ten"),
            "{:?}",
            script.questions
        );
        assert!(
            script.told[0].contains("không phải là số độ"),
            "{:?}",
            script.told
        );
        a.lat = Some("122".into());
        let e = resolve(&a, None).unwrap_err();
        assert_eq!(
            e.localized(Lang::Vi),
            "--lat: 122 không phải là vĩ độ (-90..90)"
        );
    }
}

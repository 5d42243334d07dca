//! Argument resolution for `coverage-agent init`: every flag is checked (an error names its
//! flag, `--lat: 122 is not a latitude (-90..90)`), a missing value is asked for through
//! [`Ask`] (the terminal, or a script in tests) with a bounded number of retries, and the
//! result is one [`Settings`] that render and verify take. Nothing is written here.

use super::{InitArgs, InitError};
use coverage_net::mqtt::parse_url;
use coverage_shared::boundary::SetInfo;
use coverage_shared::geo;
use coverage_shared::topic::validate_site;
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
}

const PLACEMENTS: [&str; 3] = ["indoor", "outdoor", "vehicle"];
const ANTENNAS: [&str; 2] = ["internal", "external"];
const VENDORS: [&str; 5] = ["generic", "quectel", "huawei", "simcom", "sierra"];
const PRESETS: [&str; 5] = ["strong", "moderate", "weak", "flaky", "dead"];

fn parse_site(s: &str) -> Result<String, String> {
    validate_site(s).map_err(|e| e.to_string())?;
    Ok(s.to_owned())
}

fn parse_degrees(s: &str, limit: f64, valid: fn(f64) -> bool, what: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of degrees (WGS84 decimal, e.g. 22.1625)"))?;
    // The range rule is the model's (`coverage_shared::geo`); `limit` only names it.
    if !valid(v) {
        return Err(format!("{s} is not a {what} (-{limit}..{limit})"));
    }
    Ok(v)
}

fn parse_commune(s: &str) -> Result<(String, String), String> {
    let known: Vec<&str> = SetInfo::KNOWN.iter().map(|i| i.name.as_ref()).collect();
    let Some((set, code)) = s.split_once(':') else {
        return Err(format!(
            "{s:?} is not SET:CODE (e.g. thai-nguyen-2025:01840; sets: {})",
            known.join(", ")
        ));
    };
    if !known.contains(&set) {
        return Err(format!(
            "unknown boundary set {set:?}; known sets: {}",
            known.join(", ")
        ));
    }
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "commune code {code:?} is not 5 digits (GSO code, e.g. 01840)"
        ));
    }
    Ok((set.to_owned(), code.to_owned()))
}

fn parse_broker(s: &str) -> Result<String, String> {
    parse_url(s).map_err(|e| e.to_string())?;
    Ok(s.to_owned())
}

fn parse_path(s: &str) -> Result<PathBuf, String> {
    if s.trim().is_empty() || s.contains('\n') {
        return Err("must be a file path".to_owned());
    }
    Ok(PathBuf::from(s))
}

fn parse_modem(s: &str) -> Result<ModemChoice, String> {
    let usage = "expected mmcli[:INDEX], at:PORT[:VENDOR] or simulated[:PRESET]";
    let (kind, rest) = match s.split_once(':') {
        Some((k, r)) => (k, Some(r)),
        None => (s, None),
    };
    match (kind, rest) {
        ("mmcli", None) => Ok(ModemChoice::Mmcli { index: None }),
        ("mmcli", Some(i)) => i
            .parse()
            .map(|i| ModemChoice::Mmcli { index: Some(i) })
            .map_err(|_| format!("modem index {i:?} is not a number; {usage}")),
        ("at", Some(rest)) => {
            let (port, vendor) = match rest.rsplit_once(':') {
                Some((p, v)) => (p, Some(v)),
                None => (rest, None),
            };
            if !port.starts_with('/') {
                return Err(format!(
                    "serial port {port:?} is not a device path like /dev/ttyUSB2; {usage}"
                ));
            }
            if let Some(v) = vendor
                && !VENDORS.contains(&v)
            {
                return Err(format!(
                    "unknown vendor {v:?}; one of {}",
                    VENDORS.join(", ")
                ));
            }
            Ok(ModemChoice::At {
                port: port.to_owned(),
                vendor: vendor.map(str::to_owned),
            })
        }
        ("simulated", p) => match p {
            Some(p) if !PRESETS.contains(&p) => Err(format!(
                "unknown preset {p:?}; one of {}",
                PRESETS.join(", ")
            )),
            p => Ok(ModemChoice::Simulated {
                preset: p.map(str::to_owned),
            }),
        },
        _ => Err(format!("{s:?}: {usage}")),
    }
}

/// A Linux interface name: 1 to 15 bytes, no `/`, no whitespace, not `.` or `..`.
fn parse_interface(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s != "."
        && s != ".."
        && !s
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace());
    if !ok {
        return Err(format!(
            "{s:?} is not an interface name (`ip -br link` lists them)"
        ));
    }
    Ok(s.to_owned())
}

fn parse_mobile_interface(s: &str) -> Result<Option<String>, String> {
    if s == "none" {
        return Ok(None);
    }
    parse_interface(s).map(Some)
}

fn parse_target(s: &str) -> Result<String, String> {
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
            " (give the host only: the probes add their own port and path)"
        } else {
            ""
        };
        return Err(format!("{s:?} is not a host name or IP address{hint}"));
    }
    Ok(s.to_owned())
}

fn one_of(options: &'static [&'static str]) -> impl Fn(&str) -> Result<String, String> {
    move |s| {
        if options.contains(&s) {
            Ok(s.to_owned())
        } else {
            Err(format!("{s:?} is not one of {}", options.join(", ")))
        }
    }
}

/// One value: from its flag, else asked for (with a default shown), else an error naming the
/// flag (when `required`) or the default.
struct Resolver<'a> {
    asker: Option<&'a mut dyn Ask>,
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
                    asker.tell("an answer is needed");
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
        Err(invalid(last.unwrap_or_else(|| "no answer".to_owned())))
    }
}

/// Checks every value of `args`, asking `asker` for the missing ones (or failing, naming the
/// flag, without one).
pub fn resolve(args: &InitArgs, asker: Option<&mut dyn Ask>) -> Result<Settings, InitError> {
    let mut r = Resolver { asker };
    let site = r.value(
        "--site",
        args.site.as_deref(),
        "Site id (also the MQTT user name), e.g. tn-01840-a",
        None,
        true,
        parse_site,
    )?;
    let lat = r.value(
        "--lat",
        args.lat.as_deref(),
        "Latitude of the antenna (WGS84 decimal degrees)",
        None,
        true,
        |s| parse_degrees(s, 90.0, geo::valid_lat, "latitude"),
    )?;
    let lon = r.value(
        "--lon",
        args.lon.as_deref(),
        "Longitude of the antenna (WGS84 decimal degrees)",
        None,
        true,
        |s| parse_degrees(s, 180.0, geo::valid_lon, "longitude"),
    )?;
    let commune = r.value(
        "--commune",
        args.commune.as_deref(),
        "Commune, SET:CODE (e.g. thai-nguyen-2025:01840)",
        None,
        true,
        parse_commune,
    )?;
    let placement = r.value(
        "--placement",
        args.placement.as_deref(),
        "Antenna placement (indoor, outdoor, vehicle)",
        Some("indoor"),
        false,
        one_of(&PLACEMENTS),
    )?;
    let antenna = r.value(
        "--antenna",
        args.antenna.as_deref(),
        "Antenna (internal, external)",
        Some("internal"),
        false,
        one_of(&ANTENNAS),
    )?;
    let broker = r.value(
        "--broker",
        args.broker.as_deref(),
        "Broker URL (mqtts://host:8883)",
        None,
        true,
        parse_broker,
    )?;
    let credentials_file = r.value(
        "--credentials-file",
        args.credentials_file.as_deref().and_then(Path::to_str),
        "File holding the MQTT password (first line; relative to the config's directory)",
        Some("mqtt-password"),
        true,
        parse_path,
    )?;
    let tls = parse_url(&broker).is_ok_and(|e| e.tls);
    let ca_file = match (&args.ca_file, tls) {
        (Some(p), true) => {
            Some(
                parse_path(&p.to_string_lossy()).map_err(|message| InitError::Invalid {
                    flag: "--ca-file",
                    message,
                })?,
            )
        }
        (Some(_), false) => {
            return Err(InitError::Invalid {
                flag: "--ca-file",
                message: "only used with an mqtts:// broker".to_owned(),
            });
        }
        (None, true) => r.value(
            "--ca-file",
            None,
            "CA certificate of the broker (PEM; \"system\" for the system CA bundle)",
            Some("system"),
            false,
            |s| {
                if s == "system" {
                    Ok(None)
                } else {
                    parse_path(s).map(Some)
                }
            },
        )?,
        (None, false) => None,
    };
    let modem = r.value(
        "--modem",
        args.modem.as_deref(),
        "Modem: mmcli[:INDEX], at:PORT[:VENDOR] or simulated[:PRESET]",
        Some("mmcli"),
        true,
        parse_modem,
    )?;
    let fibre_interface = r.value(
        "--fibre-interface",
        args.fibre_interface.as_deref(),
        "Interface of the fibre link",
        Some("eth0"),
        true,
        parse_interface,
    )?;
    let target = r.value(
        "--target",
        args.target.as_deref(),
        "Host the fibre probes reach (the provincial data centre)",
        None,
        true,
        parse_target,
    )?;
    let mobile_default = match modem {
        ModemChoice::Simulated { .. } => "none",
        _ => "wwan0",
    };
    let mobile_interface = match &args.mobile_interface {
        Some(m) => parse_mobile_interface(m).map_err(|message| InitError::Invalid {
            flag: "--mobile-interface",
            message,
        })?,
        None => parse_mobile_interface(mobile_default).map_err(InitError::Template)?,
    };
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
}

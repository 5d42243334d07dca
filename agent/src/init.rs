//! `coverage-agent init`: writes a site's config from flags or answers on the terminal.
//!
//! The config written **is** `deploy/agent.example.toml` (compiled in) with the site's values
//! put in place: every key and comment of the example stays, so a technician reads the same
//! explanations on every box, and the example cannot drift from what `init` writes. The
//! example is edited line by line ([`Template`]): values are replaced keeping their trailing
//! comments aligned, the modem table of the chosen driver is uncommented and the others
//! commented out, fibre probes get the fibre interface and target, mobile probes the mobile
//! interface.
//!
//! Rules:
//!
//! - Every value is checked before anything is written, and an error names the flag
//!   (`--lat: 122 is not a latitude (-90..90)`). A missing value is asked for on the terminal
//!   when standard input is one; otherwise the error names the missing flag.
//! - The text is then validated by [`AgentConfig::parse`] and the values read back compared
//!   with those given (a template that no longer fits the example is an error, not a wrong
//!   config).
//! - An existing file is never replaced without `--force`; the file is written to a temporary
//!   name and linked or renamed into place, so a crash leaves no half-written config.
//! - The MQTT password is never asked for nor written: the config only names the file that
//!   holds it (`mqtt.password_file`). The config therefore holds no secret and is written
//!   0644, so that the agent's (systemd dynamic) user can read it.

use crate::config::AgentConfig;
use coverage_net::mqtt::parse_url;
use coverage_shared::boundary::SetInfo;
use coverage_shared::topic::validate_site;
use coverage_shared::wire::Method;
use std::io::{BufRead, IsTerminal, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The commented example config, the template of every config `init` writes.
pub const EXAMPLE_CONFIG: &str = include_str!("../../deploy/agent.example.toml");

/// Where `init` writes by default (where the systemd unit reads).
pub const DEFAULT_OUT: &str = "/etc/coverage-agent/agent.toml";

/// `coverage-agent init` options. Each is asked for on the terminal when missing and standard
/// input is a terminal.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InitArgs {
    /// Site id, `[A-Za-z0-9_-]{1,64}`; also the MQTT user name (convention:
    /// `<province>-<commune code>-<letter>`, e.g. `tn-01840-a`).
    #[arg(long)]
    pub site: Option<String>,
    /// Surveyed latitude of the antenna, WGS84 decimal degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub lat: Option<String>,
    /// Surveyed longitude of the antenna, WGS84 decimal degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub lon: Option<String>,
    /// The commune the site is installed for, `SET:CODE` (`thai-nguyen-2025:01840`).
    #[arg(long)]
    pub commune: Option<String>,
    /// Broker URL, `mqtts://host:8883` or `mqtt://host:1883`.
    #[arg(long)]
    pub broker: Option<String>,
    /// File whose first line is the MQTT password (relative paths: from the config's
    /// directory). Not created: put the password in it yourself.
    #[arg(long)]
    pub credentials_file: Option<PathBuf>,
    /// CA certificate (PEM) that signed the broker's certificate, for `mqtts://`; default: the
    /// system CA bundle.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// The modem: `mmcli[:INDEX]`, `at:PORT[:VENDOR]` (`at:/dev/ttyUSB2:quectel`) or
    /// `simulated[:PRESET]`.
    #[arg(long)]
    pub modem: Option<String>,
    /// Interface of the fibre link (`eth0`); fibre probes are bound to it.
    #[arg(long)]
    pub fibre_interface: Option<String>,
    /// Host the fibre probes reach (the provincial data centre), a name or an IP address.
    #[arg(long)]
    pub target: Option<String>,
    /// Interface of the mobile data link for the mobile probes (default `wwan0`; `none`
    /// comments those probes out; with a simulated modem they are commented out by default).
    #[arg(long)]
    pub mobile_interface: Option<String>,
    /// Antenna placement: `indoor` (default), `outdoor` or `vehicle`.
    #[arg(long)]
    pub placement: Option<String>,
    /// Antenna: `internal` (default) or `external`.
    #[arg(long)]
    pub antenna: Option<String>,
    /// Where to write the config.
    #[arg(long, short, default_value = DEFAULT_OUT)]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Why no config was written.
#[derive(Debug, Error)]
pub enum InitError {
    /// A value is needed and standard input is not a terminal to ask on.
    #[error("{flag} is required (standard input is not a terminal, so it cannot be asked for)")]
    Missing {
        /// The flag, `--site`.
        flag: &'static str,
    },
    /// A value is not acceptable.
    #[error("{flag}: {message}")]
    Invalid {
        /// The flag, `--lat`.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The output exists and `--force` was not given.
    #[error("{path} exists; give --force to replace it")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// Writing failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The terminal could not be read.
    #[error("reading the answer for {flag}: {source}")]
    Prompt {
        /// The flag being asked for.
        flag: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The example config no longer has the shape this module edits (a bug: the example and
    /// this module must be changed together).
    #[error("the config template does not fit deploy/agent.example.toml: {0}")]
    Template(String),
}

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
    fn driver(&self) -> &'static str {
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

fn parse_degrees(s: &str, limit: f64, what: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of degrees (WGS84 decimal, e.g. 22.1625)"))?;
    if !v.is_finite() || v.abs() > limit {
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
        |s| parse_degrees(s, 90.0, "latitude"),
    )?;
    let lon = r.value(
        "--lon",
        args.lon.as_deref(),
        "Longitude of the antenna (WGS84 decimal degrees)",
        None,
        true,
        |s| parse_degrees(s, 180.0, "longitude"),
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

// ---------------------------------------------------------------------------------------------
// Editing the example.

/// A TOML basic string (quoted and escaped).
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A TOML float that stays a float (`105.0`, never `105`).
fn toml_float(v: f64) -> String {
    format!("{v:?}")
}

/// One table of the example: a header line (`[site]`, `[[modems]]`, or commented out,
/// `# [[modems]]`) and the lines up to the next blank line or header.
#[derive(Debug, Clone)]
struct Block {
    /// `site`, `modems`, ...
    table: String,
    /// Line index of the header.
    start: usize,
    /// One past the last line.
    end: usize,
}

/// The example's lines, edited in place.
#[derive(Debug, Clone)]
struct Template {
    lines: Vec<String>,
}

/// The table a header line opens, active or commented out.
fn header_table(line: &str) -> Option<String> {
    let t = line.strip_prefix("# ").unwrap_or(line).trim();
    let inner = t
        .strip_prefix("[[")
        .and_then(|r| r.strip_suffix("]]"))
        .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
    inner
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        .then(|| inner.to_owned())
}

/// The key of an active `key = value` line.
fn line_key(line: &str) -> Option<&str> {
    if line.starts_with('#') {
        return None;
    }
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(k)
}

/// Byte index of a `#` comment in a TOML value, outside strings.
fn comment_start(value: &str) -> Option<usize> {
    let mut in_basic = false;
    let mut in_literal = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_basic => escaped = true,
            '"' if !in_literal => in_basic = !in_basic,
            '\'' if !in_basic => in_literal = !in_literal,
            '#' if !in_basic && !in_literal => return Some(i),
            _ => {}
        }
    }
    None
}

/// `line` with its value replaced by `value`, the trailing comment kept in its column.
fn replace_value(line: &str, value: &str) -> String {
    let Some(eq) = line.find('=') else {
        return line.to_owned();
    };
    let (head, after) = line.split_at(eq + 1);
    let body = after.trim_start();
    let lead = &after[..after.len() - body.len()];
    match comment_start(body) {
        Some(ci) => {
            let width = body[..ci].chars().count();
            let (_, comment) = body.split_at(ci);
            if value.chars().count() < width {
                format!("{head}{lead}{value:<width$}{comment}")
            } else {
                format!("{head}{lead}{value}  {comment}")
            }
        }
        None => format!("{head}{lead}{value}"),
    }
}

impl Template {
    fn new(text: &str) -> Template {
        Template {
            lines: text.lines().map(str::to_owned).collect(),
        }
    }

    fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }

    fn blocks(&self) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut i = 0;
        while i < self.lines.len() {
            if let Some(table) = header_table(&self.lines[i]) {
                let start = i;
                i += 1;
                while i < self.lines.len()
                    && !self.lines[i].trim().is_empty()
                    && header_table(&self.lines[i]).is_none()
                {
                    i += 1;
                }
                blocks.push(Block {
                    table,
                    start,
                    end: i,
                });
            } else {
                i += 1;
            }
        }
        blocks
    }

    fn block(&self, table: &str) -> Result<Block, InitError> {
        self.blocks()
            .into_iter()
            .find(|b| b.table == table && !self.is_commented(b))
            .ok_or_else(|| InitError::Template(format!("no [{table}] table")))
    }

    fn is_commented(&self, b: &Block) -> bool {
        self.lines[b.start].starts_with('#')
    }

    /// The value text of `key` in `b` (active or commented line), without its comment.
    fn get(&self, b: &Block, key: &str) -> Option<String> {
        self.lines[b.start..b.end].iter().find_map(|l| {
            let active = l.strip_prefix("# ").unwrap_or(l);
            (line_key(active) == Some(key)).then(|| {
                let (_, v) = active.split_once('=').unwrap_or_default();
                let v = v.trim_start();
                v[..comment_start(v).unwrap_or(v.len())].trim().to_owned()
            })
        })
    }

    /// Sets `key` in `b`, uncommenting its line if it is commented out.
    fn set(&mut self, b: &Block, key: &str, value: &str) -> Result<(), InitError> {
        for i in b.start..b.end {
            let line = &self.lines[i];
            let active = line.strip_prefix("# ").unwrap_or(line);
            if line_key(active) == Some(key) {
                self.lines[i] = replace_value(active, value);
                return Ok(());
            }
        }
        Err(InitError::Template(format!(
            "no key `{key}` in [{}] at line {}",
            b.table,
            b.start + 1
        )))
    }

    /// Replaces the value of a commented-out `# key = value` line, leaving it commented (the
    /// default it shows then matches this site).
    fn set_commented(&mut self, b: &Block, key: &str, value: &str) {
        for i in b.start..b.end {
            if let Some(active) = self.lines[i].strip_prefix("# ")
                && line_key(active) == Some(key)
            {
                self.lines[i] = format!("# {}", replace_value(active, value));
            }
        }
    }

    /// Comments the key line out (a default then applies).
    fn comment_key(&mut self, b: &Block, key: &str) {
        for i in b.start..b.end {
            if line_key(&self.lines[i]) == Some(key) {
                self.lines[i] = format!("# {}", self.lines[i]);
            }
        }
    }

    fn comment_block(&mut self, b: &Block) {
        for l in &mut self.lines[b.start..b.end] {
            if !l.starts_with('#') {
                *l = format!("# {l}");
            }
        }
    }

    fn uncomment_block(&mut self, b: &Block) {
        for l in &mut self.lines[b.start..b.end] {
            if let Some(rest) = l.strip_prefix("# ") {
                *l = rest.to_owned();
            }
        }
    }
}

/// The unquoted value of a TOML string literal as it appears in the example.
fn unquote(v: &str) -> String {
    toml::from_str::<toml::Table>(&format!("v = {v}"))
        .ok()
        .and_then(|t| t.get("v").and_then(|v| v.as_str().map(str::to_owned)))
        .unwrap_or_else(|| v.trim_matches('"').to_owned())
}

/// `host` ready to be followed by `:port` or put in a URL (IPv6 in brackets).
fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// The probe target for `method` pointing at `host`, keeping the example's port or URL path.
fn retarget(method: &str, old: &str, host: &str) -> Result<String, InitError> {
    match method {
        "icmp" => Ok(host.to_owned()),
        "tcp" | "dns" => match old.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() && !old.ends_with(']') => {
                Ok(format!("{}:{port}", bracketed(host)))
            }
            _ => Ok(host.to_owned()),
        },
        "http" => url_with_host(old, host),
        other => Err(InitError::Template(format!(
            "unknown probe method {other:?}"
        ))),
    }
}

fn url_with_host(old: &str, host: &str) -> Result<String, InitError> {
    let mut u = url::Url::parse(old)
        .map_err(|e| InitError::Template(format!("example URL {old:?}: {e}")))?;
    u.set_host(Some(&bracketed(host)))
        .map_err(|e| InitError::Template(format!("host {host:?} in {old:?}: {e}")))?;
    Ok(u.to_string())
}

/// The config text for `s`: the example with the site's values in place, and a first line
/// saying where it came from.
pub fn render(s: &Settings) -> Result<String, InitError> {
    let mut t = Template::new(EXAMPLE_CONFIG);

    let site = t.block("site")?;
    t.set(&site, "id", &toml_string(&s.site))?;
    t.set(&site, "lat", &toml_float(s.lat))?;
    t.set(&site, "lon", &toml_float(s.lon))?;
    t.set(&site, "placement", &toml_string(&s.placement))?;
    t.set(&site, "antenna", &toml_string(&s.antenna))?;
    t.set(
        &site,
        "commune",
        &format!(
            "{{ set = {}, code = {} }}",
            toml_string(&s.commune.0),
            toml_string(&s.commune.1)
        ),
    )?;

    let mqtt = t.block("mqtt")?;
    t.set(&mqtt, "url", &toml_string(&s.broker))?;
    t.set(&mqtt, "username", &toml_string(&s.site))?;
    t.set(
        &mqtt,
        "password_file",
        &toml_string(&s.credentials_file.to_string_lossy()),
    )?;
    t.set_commented(
        &mqtt,
        "client_id",
        &toml_string(&format!("agent-{}", s.site)),
    );
    match &s.ca_file {
        Some(ca) => t.set(&mqtt, "ca_file", &toml_string(&ca.to_string_lossy()))?,
        None => t.comment_key(&mqtt, "ca_file"),
    }

    // Modems: the chosen driver's table on, the others off.
    let driver = s.modem.driver();
    let mut chosen = None;
    for b in t.blocks().into_iter().filter(|b| b.table == "modems") {
        let d = t.get(&b, "driver").map(|v| unquote(&v));
        if d.as_deref() == Some(driver) && chosen.is_none() {
            if t.is_commented(&b) {
                t.uncomment_block(&b);
            }
            chosen = Some(b);
        } else if !t.is_commented(&b) {
            t.comment_block(&b);
        }
    }
    let modem = chosen.ok_or_else(|| {
        InitError::Template(format!("no [[modems]] table with driver = \"{driver}\""))
    })?;
    match &s.modem {
        ModemChoice::Mmcli { index } => {
            if let Some(i) = index {
                t.set(&modem, "index", &i.to_string())?;
            }
        }
        ModemChoice::At { port, vendor } => {
            let vendor = vendor.as_deref().unwrap_or("generic");
            t.set(&modem, "name", &toml_string("modem0"))?;
            t.set(&modem, "port", &toml_string(port))?;
            t.set(&modem, "vendor", &toml_string(vendor))?;
        }
        ModemChoice::Simulated { preset } => {
            if let Some(p) = preset {
                t.set(&modem, "preset", &toml_string(p))?;
            }
        }
    }

    // Probes and throughput tests: fibre ones to the target over the fibre interface, mobile
    // ones over the mobile interface (or off).
    let mut fibre_probes = 0;
    for b in t.blocks() {
        if t.is_commented(&b) || !(b.table == "probes" || b.table == "throughput") {
            continue;
        }
        let link = t.get(&b, "link").map(|v| unquote(&v));
        match link.as_deref() {
            Some("fibre") => {
                t.set(&b, "interface", &toml_string(&s.fibre_interface))?;
                if b.table == "probes" {
                    let method = t.get(&b, "method").map(|v| unquote(&v)).unwrap_or_default();
                    let old = t.get(&b, "target").map(|v| unquote(&v)).unwrap_or_default();
                    t.set(
                        &b,
                        "target",
                        &toml_string(&retarget(&method, &old, &s.target)?),
                    )?;
                    fibre_probes += 1;
                } else {
                    let old = t.get(&b, "url").map(|v| unquote(&v)).unwrap_or_default();
                    t.set(&b, "url", &toml_string(&url_with_host(&old, &s.target)?))?;
                }
            }
            Some("mobile") => match &s.mobile_interface {
                Some(i) => t.set(&b, "interface", &toml_string(i))?,
                None => t.comment_block(&b),
            },
            _ => {}
        }
    }
    if fibre_probes == 0 {
        return Err(InitError::Template(
            "no fibre probe to point at the target".into(),
        ));
    }

    Ok(format!(
        "# Written by `coverage-agent init` (agent {}) from the commented example config.\n{}",
        crate::run::AGENT_VERSION,
        t.text()
    ))
}

/// Parses `text` as the agent will and checks it says what `s` says.
pub fn verify(text: &str, path: &Path, s: &Settings) -> Result<AgentConfig, InitError> {
    let cfg = AgentConfig::parse(text, path)
        .map_err(|e| InitError::Template(format!("the written config does not load: {e}")))?;
    let mut wrong = Vec::new();
    if cfg.site.id != s.site || cfg.mqtt.username.as_deref() != Some(s.site.as_str()) {
        wrong.push("site id");
    }
    if cfg.site.lat != s.lat || cfg.site.lon != s.lon {
        wrong.push("position");
    }
    if cfg.site.commune.as_ref().is_none_or(|c| {
        (c.set.as_str(), c.code.as_str()) != (s.commune.0.as_str(), s.commune.1.as_str())
    }) {
        wrong.push("commune");
    }
    if cfg.mqtt.url != s.broker
        || cfg.mqtt.password_file.as_deref() != Some(s.credentials_file.as_path())
        || cfg.mqtt.ca_file != s.ca_file
    {
        wrong.push("mqtt");
    }
    let driver_ok = cfg.modems.len() == 1
        && matches!(
            (&cfg.modems[0], &s.modem),
            (
                crate::modem::ModemConfig::Mmcli(_),
                ModemChoice::Mmcli { .. }
            ) | (crate::modem::ModemConfig::At(_), ModemChoice::At { .. })
                | (
                    crate::modem::ModemConfig::Simulated(_),
                    ModemChoice::Simulated { .. }
                )
        );
    if !driver_ok {
        wrong.push("modem");
    }
    for p in &cfg.probes {
        let link = p.link().as_str();
        let ok = match link {
            "fibre" => {
                p.interface() == Some(s.fibre_interface.as_str()) && p.target().host() == s.target
            }
            "mobile" => p.interface() == s.mobile_interface.as_deref(),
            _ => true,
        };
        if !ok {
            wrong.push("probes");
        }
    }
    if !cfg
        .probes
        .iter()
        .any(|p| p.method() == Method::Icmp || p.method() == Method::Tcp)
    {
        wrong.push("probes");
    }
    wrong.dedup();
    if !wrong.is_empty() {
        return Err(InitError::Template(format!(
            "the written config has other values than given for: {}",
            wrong.join(", ")
        )));
    }
    Ok(cfg)
}

/// Writes `text` to `path` with mode 0644: to a temporary file in the same directory (fsync),
/// then linked into place (fails if `path` exists) or, with `force`, renamed over it.
pub fn write_config(path: &Path, text: &str, force: bool) -> Result<(), InitError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| InitError::Io { path: p, source }
    };
    if !force && path.exists() {
        return Err(InitError::Exists {
            path: path.to_owned(),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "agent.toml".to_owned());
    let tmp = dir.join(format!(".{file_name}.init-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(text.as_bytes()).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        if force {
            std::fs::rename(&tmp, path).map_err(io(path))?;
        } else {
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(InitError::Exists {
                        path: path.to_owned(),
                    });
                }
                // A file system without hard links: the check above has to do.
                Err(_) => std::fs::rename(&tmp, path).map_err(io(path))?,
            }
        }
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&dir))
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Resolves, renders, verifies and writes; returns what to tell the user.
pub fn run_with(args: &InitArgs, asker: Option<&mut dyn Ask>) -> Result<String, InitError> {
    if !args.force && args.out.exists() {
        return Err(InitError::Exists {
            path: args.out.clone(),
        });
    }
    let settings = resolve(args, asker)?;
    let text = render(&settings)?;
    let cfg = verify(&text, &args.out, &settings)?;
    write_config(&args.out, &text, args.force)?;

    let password_file = cfg.base.join(&settings.credentials_file);
    let password_file = std::path::absolute(&password_file).unwrap_or(password_file);
    let mut out = format!(
        "Wrote {} for site {} ({} modem, fibre probes to {} over {}).\nNext:\n",
        args.out.display(),
        settings.site,
        settings.modem.driver(),
        settings.target,
        settings.fibre_interface
    );
    if password_file.exists() {
        out.push_str(&format!(
            "  1. The MQTT password is read from {} (first line); it exists.\n",
            password_file.display()
        ));
    } else {
        out.push_str(&format!(
            "  1. Put the MQTT password of user {} on the first line of {} (init never \
             writes passwords), readable by the agent's user only.\n",
            settings.site,
            password_file.display()
        ));
    }
    if parse_url(&settings.broker).is_ok_and(|e| e.tls) && settings.ca_file.is_none() {
        out.push_str(
            "     The broker's certificate is checked against the system CA bundle; set \
             mqtt.ca_file if it uses a private CA.\n",
        );
    }
    out.push_str(&format!(
        "  2. Run: coverage-agent check --config {}\n",
        args.out.display()
    ));
    Ok(out)
}

/// `coverage-agent init`: asks on the terminal when standard input is one.
pub fn run(args: &InitArgs) -> Result<String, InitError> {
    let mut terminal = Terminal;
    let asker: Option<&mut dyn Ask> = if std::io::stdin().is_terminal() {
        Some(&mut terminal)
    } else {
        None
    };
    run_with(args, asker)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_settings() -> Settings {
        Settings {
            site: "bk-01834-a".into(),
            lat: 22.162534,
            lon: 105.844234,
            commune: ("bac-kan-2020".into(), "01834".into()),
            broker: "mqtts://broker.example.invalid:8883".into(),
            credentials_file: "mqtt-password".into(),
            ca_file: Some("ca.crt".into()),
            modem: ModemChoice::Mmcli { index: None },
            fibre_interface: "eth0".into(),
            target: "10.6.0.1".into(),
            mobile_interface: Some("wwan0".into()),
            placement: "indoor".into(),
            antenna: "external".into(),
        }
    }

    #[test]
    fn the_example_values_give_the_example_back() {
        let text = render(&example_settings()).unwrap();
        let (first, rest) = text.split_once('\n').unwrap();
        assert!(first.starts_with("# Written by `coverage-agent init`"));
        assert_eq!(
            rest, EXAMPLE_CONFIG,
            "init must write the example's structure and comments"
        );
    }

    fn args() -> InitArgs {
        InitArgs {
            site: Some("tn-01840-a".into()),
            lat: Some("22.162534".into()),
            lon: Some("105.844234".into()),
            commune: Some("thai-nguyen-2025:01840".into()),
            broker: Some("mqtt://127.0.0.1:1883".into()),
            credentials_file: Some("mqtt-password".into()),
            modem: Some("at:/dev/ttyUSB2:quectel".into()),
            fibre_interface: Some("enp1s0".into()),
            target: Some("10.6.0.9".into()),
            out: PathBuf::from("/etc/coverage-agent/agent.toml"),
            ..InitArgs::default()
        }
    }

    #[test]
    fn flags_fill_the_template_and_it_loads() {
        let s = resolve(&args(), None).unwrap();
        let text = render(&s).unwrap();
        let cfg = verify(&text, Path::new("/etc/coverage-agent/agent.toml"), &s).unwrap();
        assert_eq!(cfg.site.id, "tn-01840-a");
        assert_eq!(cfg.mqtt.ca_file, None, "no CA file for plain mqtt://");
        match &cfg.modems[0] {
            crate::modem::ModemConfig::At(a) => {
                assert_eq!(a.port, "/dev/ttyUSB2");
                assert_eq!(a.name, "modem0");
            }
            other => panic!("{other:?}"),
        }
        assert!(text.contains("placement = \"indoor\"                # indoor | outdoor"));
        assert!(text.contains("target = \"10.6.0.9:443\""), "{text}");
        assert!(
            text.contains("url = \"http://10.6.0.9/10MB.bin\""),
            "{text}"
        );
        assert!(
            text.contains("# [[modems]]\n# driver = \"mmcli\""),
            "{text}"
        );
        assert!(text.contains("# ca_file = \"ca.crt\""));
    }

    #[test]
    fn simulated_modem_and_ipv6_target() {
        let mut a = args();
        a.modem = Some("simulated:weak".into());
        a.target = Some("fd00::1".into());
        let s = resolve(&a, None).unwrap();
        assert_eq!(
            s.mobile_interface, None,
            "no mobile probes with a simulated modem"
        );
        let text = render(&s).unwrap();
        let cfg = verify(&text, Path::new("/tmp/a.toml"), &s).unwrap();
        assert!(cfg.probes.iter().all(|p| p.link().as_str() != "mobile"));
        assert!(text.contains("target = \"[fd00::1]:443\""), "{text}");
        assert!(text.contains("preset = \"weak\""));
    }

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
    fn replace_value_keeps_comment_column() {
        assert_eq!(
            replace_value("name = \"wwan0\"   # x", "\"a\""),
            "name = \"a\"       # x"
        );
        assert_eq!(
            replace_value("name = \"w\" # x", "\"much longer\""),
            "name = \"much longer\"  # x"
        );
        assert_eq!(replace_value("id = \"a#b\"", "\"c\""), "id = \"c\"");
        assert_eq!(comment_start("\"a#b\" # c"), Some(6));
    }

    #[test]
    fn never_overwrites_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        write_config(&path, "a = 1\n", false).unwrap();
        let e = write_config(&path, "a = 2\n", false).unwrap_err();
        assert!(matches!(e, InitError::Exists { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 1\n");
        write_config(&path, "a = 3\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 3\n");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o600, 0o600);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}

//! `coverage-agent init`: writes a site's config from flags or answers on the terminal.
//!
//! The config written **is** `deploy/agent.example.toml` (compiled in) with the site's values
//! put in place: every key and comment of the example stays, so a technician reads the same
//! explanations on every box, and the example cannot drift from what `init` writes. The
//! example is edited line by line (the `template` module): values are replaced keeping their trailing
//! comments aligned, the modem table of the chosen driver is uncommented and the others
//! commented out, fibre probes get the fibre interface and target, mobile probes the mobile
//! interface.
//!
//! Rules:
//!
//! - Every value is checked before anything is written, and an error names the flag
//!   (`--lat: 122 is not a latitude (-90..90)`). A missing value is asked for on the terminal
//!   when standard input is one; otherwise the error names the missing flag.
//! - The text is then validated by [`AgentConfig::parse`](crate::config::AgentConfig::parse)
//!   and the values read back compared with those given (a template that no longer fits the
//!   example is an error, not a wrong config).
//! - An existing file is never replaced without `--force`; the file is written to a temporary
//!   name and linked or renamed into place, so a crash leaves no half-written config.
//! - The MQTT password is never asked for nor written: the config only names the file that
//!   holds it (`mqtt.password_file`). The config therefore holds no secret and is written
//!   0644, so that the agent's (systemd dynamic) user can read it.
//!
//! Files: `args.rs` resolves the flags and answers into [`Settings`], `template.rs` is the
//! TOML line editor, `render.rs` renders and verifies; this file holds the command's
//! arguments, its errors, the atomic write and the command itself.

mod args;
mod render;
mod template;

pub use args::{Ask, ModemChoice, Settings, Terminal, resolve};
pub use render::{render, verify};

use crate::lang::LangArg;
use coverage_net::mqtt::parse_url;
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The commented example config, the template of every config `init` writes.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../deploy/agent.example.toml");

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
    /// Directory with the boundary files for the commune check (default: where `check` looks,
    /// /usr/share/coverage-monitor/boundaries, then beside the binary and in the checkout).
    #[arg(long)]
    pub boundaries_dir: Option<PathBuf>,
    /// The language of the questions and messages.
    #[command(flatten)]
    pub lang: LangArg,
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
    /// `--commune` is needed and standard input is not a terminal; the position's commune is
    /// proposed.
    #[error(
        "--commune is required (standard input is not a terminal, so it cannot be asked for); \
         the position lies in {place}: --commune {proposal}"
    )]
    MissingCommune {
        /// Where the position lies, in words.
        place: String,
        /// `SET:CODE` of that commune.
        proposal: String,
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

impl InitError {
    /// The message in `lang` (the `Display` text is English).
    pub fn localized(&self, lang: Lang) -> String {
        let t = text(lang);
        match self {
            InitError::Missing { flag } => fill(t.init_missing, &[("flag", flag)]),
            InitError::MissingCommune { place, proposal } => fill(
                t.init_missing_commune,
                &[("place", place), ("proposal", proposal)],
            ),
            InitError::Invalid { flag, message } => {
                fill(t.init_invalid, &[("flag", flag), ("message", message)])
            }
            InitError::Exists { path } => fill(t.init_exists, &[("path", &path.display())]),
            InitError::Io { path, source } => {
                fill(t.init_io, &[("path", &path.display()), ("error", source)])
            }
            InitError::Prompt { flag, source } => {
                fill(t.init_prompt_failed, &[("flag", flag), ("error", source)])
            }
            InitError::Template(m) => fill(t.init_template, &[("message", m)]),
        }
    }
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
    let config = render(&settings)?;
    let cfg = verify(&config, &args.out, &settings)?;
    write_config(&args.out, &config, args.force)?;

    let t = text(args.lang.resolve());
    let password_file = cfg.base.join(&settings.credentials_file);
    let password_file = std::path::absolute(&password_file).unwrap_or(password_file);
    let mut out = String::new();
    for note in &settings.notes {
        out.push_str(note);
        out.push('\n');
    }
    out.push_str(&fill(
        t.init_wrote,
        &[
            ("path", &args.out.display()),
            ("site", &settings.site),
            ("driver", &settings.modem.driver()),
            ("target", &settings.target),
            ("iface", &settings.fibre_interface),
        ],
    ));
    out.push('\n');
    if let Some(place) = &settings.place {
        out.push_str(&fill(t.init_commune_line, &[("place", place)]));
        out.push('\n');
    }
    out.push_str(t.init_next);
    out.push('\n');
    let file = [("file", &password_file.display() as &dyn std::fmt::Display)];
    if password_file.exists() {
        out.push_str(&fill(t.init_password_exists, &file));
    } else {
        out.push_str(&fill(
            t.init_password_missing,
            &[("site", &settings.site), ("file", &password_file.display())],
        ));
    }
    out.push('\n');
    if parse_url(&settings.broker).is_ok_and(|e| e.tls) && settings.ca_file.is_none() {
        out.push_str(t.init_system_ca);
        out.push('\n');
    }
    out.push_str(&fill(t.init_run_check, &[("path", &args.out.display())]));
    out.push('\n');
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

    /// Flags for a complete Quectel site, shared by the tests of the submodules.
    pub(super) fn args() -> InitArgs {
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
            lang: LangArg {
                lang: Some(Lang::En),
            },
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

//! `coverage-agent check`: the field technician's one-screen test of a site.
//!
//! Every line is one [`Check`]: `✔` passed, `!` a warning that does not fail the site, `✘`
//! failed, with what was checked, the value found and, when something is wrong, the fix. The
//! exit code is 0 only when no check failed.
//!
//! Two halves, kept apart (as rumqttc keeps its state apart from its event loop):
//!
//! - the model: [`Report`] and [`Check`] with their renderers ([`Report::render_text`],
//!   [`Report::to_json`]), and pure functions that turn what was found into a check
//!   ([`clock_check`], [`signal_checks`], [`probe_check`], [`commune_check`], ...). These are
//!   unit-tested without any I/O;
//! - the I/O ([`check_file`]): loads the config, then runs the state, modem, probe, broker,
//!   clock and commune checks **concurrently and independently** (a dead modem does not skip
//!   the probes), each under a deadline so `check` always finishes.
//!
//! The checks do what the agent does, with the agent's own code: `AgentConfig::load`,
//! `modem::open` + `Modem::sample`, `probe::run_round`, `MqttConfig::options` over rumqttc v5,
//! `ClockWatch::refresh`, `BoundaryRegistry::locate`. The broker check publishes one valid
//! heartbeat on `coverage/v1/{site}/heartbeat` with run `check-<random>` and seq 1: a run of
//! its own, so the collector's gap tracking of the real run is untouched, and a duplicate of it
//! is harmless. It uses its own client id so a running agent's session is not taken over.

use crate::clock::ClockWatch;
use crate::config::{AgentConfig, ConfigError, SiteConfig};
use crate::modem::{self, ModemConfig, ModemError, ModemSample};
use crate::probe::{self, ProbeConfig};
use crate::run::AGENT_VERSION;
use crate::spool::{Spool, SpoolConfig, SpoolError};
use chrono::{DateTime, Utc};
use coverage_net::mqtt::{Endpoint, MqttConfigError, SYSTEM_CA_BUNDLE, parse_url};
use coverage_shared::boundary::{BoundaryRegistry, Location, NEAR_EDGE_M, SetInfo};
use coverage_shared::signal::{
    self, BandTable, Exclusion, Sample, SampleClass, UsablePolicy, deciding_field, deciding_value,
};
use coverage_shared::topic::reading_topic;
use coverage_shared::wire::{
    Body, Header, Heartbeat, Latency, ModemInfo, Plmn, Position, PositionSource, Reading, Reg,
    SCHEMA_VERSION, Tech,
};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, DisconnectReasonCode, Packet, PubAckReason};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, MqttOptions, StateError};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// The model.

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Works as it should.
    Pass,
    /// Worth a look, but the site works: does not change the exit code.
    Warn,
    /// Broken: the agent will not measure or deliver what it should until fixed.
    Fail,
}

impl Status {
    /// The mark printed at the start of the line.
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Pass => "✔",
            Status::Warn => "!",
            Status::Fail => "✘",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked (`config`, `modem wwan0`, `probe dc-ping`, ...).
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// The value found, in words.
    pub detail: String,
    /// What to do about it; set on failures and warnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn pass(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A warning with its fix.
    pub fn warn(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::with_fix(Status::Warn, name.into(), detail.into(), fix.into())
    }

    fn with_fix(status: Status, name: String, detail: String, fix: String) -> Check {
        Check {
            name,
            status,
            detail,
            fix: Some(fix),
        }
    }

    /// A failure with its fix.
    pub fn fail(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::with_fix(Status::Fail, name.into(), detail.into(), fix.into())
    }
}

/// Every check of one run, in a fixed order (config, state, modems, probes, broker, clock,
/// commune) whatever order they finished in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The checks, in display order.
    pub checks: Vec<Check>,
}

/// The JSON shape: `{"ok": bool, "checks": [...]}`.
#[derive(Serialize)]
struct ReportJson<'a> {
    ok: bool,
    checks: &'a [Check],
}

/// Names longer than this do not widen the name column.
const MAX_NAME_WIDTH: usize = 24;

impl Report {
    /// Appends a check.
    pub fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// True when no check failed (warnings allowed): exit code 0.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// How many checks passed, warned and failed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s| self.checks.iter().filter(|c| c.status == s).count();
        (n(Status::Pass), n(Status::Warn), n(Status::Fail))
    }

    /// The screen: one line per check (`✔ name  detail`), the fix indented under it, and a
    /// summary line. Details and fixes are kept to one line each.
    pub fn render_text(&self) -> String {
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_NAME_WIDTH);
        let mut out = String::new();
        for c in &self.checks {
            let _ = writeln!(
                out,
                "{} {:<width$}  {}",
                c.status.symbol(),
                c.name,
                one_line(&c.detail)
            );
            if let Some(fix) = &c.fix {
                let _ = writeln!(
                    out,
                    "{:indent$}fix: {}",
                    "",
                    one_line(fix),
                    indent = width + 4
                );
            }
        }
        let (pass, warn, fail) = self.counts();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let _ = writeln!(
            out,
            "{}: {} passed, {}, {} failed.",
            plural(self.checks.len(), "check"),
            pass,
            plural(warn, "warning"),
            fail
        );
        out
    }

    /// One JSON object for machines: `{"ok": bool, "checks": [{"name", "status", "detail",
    /// "fix"?}]}` with `status` one of `pass`, `warn`, `fail`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&ReportJson {
            ok: self.ok(),
            checks: &self.checks,
        })
        .unwrap_or_else(|e| format!("{{\"ok\":false,\"error\":\"{e}\"}}"))
    }
}

/// Newlines and runs of whitespace (from command output, error chains) become one space, so a
/// check stays on its line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `-92`, `-92.5`: whole numbers without a decimal point.
fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `870 m`, `1.2 km`.
fn metres(m: f64) -> String {
    if m < 1000.0 {
        format!("{m:.0} m")
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

/// `45 s`, `12 min`, `3.5 h`, `2.0 days`.
fn age(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.1} days", seconds / 86_400.0)
    }
}

/// An error and its sources, joined with `: ` (skipping a source its parent already quotes).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        source = s.source();
    }
    text
}

// ---------------------------------------------------------------------------------------------
// The command line.

/// `coverage-agent check` options.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// The agent's TOML config.
    #[arg(long, short)]
    pub config: PathBuf,
    /// Print one JSON object (`{"ok", "checks": [{"name", "status", "detail", "fix"?}]}`)
    /// instead of the screen.
    #[arg(long)]
    pub json: bool,
    /// Longest wait for each check; a probe round also gets the time its own count, spacing
    /// and timeout need.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

// ---------------------------------------------------------------------------------------------
// Config.

/// The `config` check for a config that does not load: the error names the file and the key.
pub fn config_failure(e: &ConfigError) -> Check {
    let fix = match e {
        ConfigError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            "give the config's path with --config; `coverage-agent init` writes one".to_owned()
        }
        ConfigError::Read { .. } => {
            "run check as a user who may read the config (root, or the agent's user)".to_owned()
        }
        ConfigError::Parse { .. } => "fix the key or the TOML syntax at the place shown; \
             deploy/agent.example.toml shows every key with its meaning"
            .to_owned(),
        ConfigError::Invalid { key, .. } => {
            format!("correct `{key}` as the message says, then run check again")
        }
    };
    Check::fail("config", e.to_string(), fix)
}

fn config_pass(cfg: &AgentConfig) -> Check {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    Check::pass(
        "config",
        format!(
            "{}: site {}, {}, {}",
            cfg.file.display(),
            cfg.site.id,
            plural(cfg.modems.len(), "modem"),
            plural(cfg.probes.len(), "probe")
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// State directory and spool.

/// Whether the state directory is usable, with the run id and the spool's depth when present.
/// Writes (and removes) one small file in the directory; opens the spool only if it exists,
/// and only when no running agent holds it.
pub fn state_check(dir: &Path, spool: &SpoolConfig) -> Check {
    let name = "state";
    let not_writable_fix = format!(
        "the agent's user must be able to write {}: under systemd the unit's StateDirectory= \
         creates it (run check with sudo to see what the agent sees), otherwise \
         `chown` it to the agent's user",
        dir.display()
    );
    if !dir.exists() {
        let Some(ancestor) = dir
            .ancestors()
            .skip(1)
            .map(|a| {
                if a.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    a
                }
            })
            .find(|a| a.is_dir())
        else {
            return Check::fail(
                name,
                format!("{} does not exist", dir.display()),
                not_writable_fix,
            );
        };
        return match rustix::fs::access(ancestor, rustix::fs::Access::WRITE_OK) {
            Ok(()) => Check::pass(
                name,
                format!(
                    "{} does not exist yet; the agent creates it ({} is writable)",
                    dir.display(),
                    ancestor.display()
                ),
            ),
            Err(e) => Check::fail(
                name,
                format!(
                    "{} does not exist and cannot be created: {}: {e}",
                    dir.display(),
                    ancestor.display()
                ),
                not_writable_fix,
            ),
        };
    }
    if !dir.is_dir() {
        return Check::fail(
            name,
            format!("{} is not a directory", dir.display()),
            "set state_dir to a directory (default /var/lib/coverage-agent)",
        );
    }
    let probe_file = dir.join(format!(".check-{}", std::process::id()));
    let written = std::fs::File::create(&probe_file)
        .and_then(|mut f| {
            use std::io::Write;
            f.write_all(b"check\n")?;
            f.sync_all()
        })
        .and_then(|()| std::fs::remove_file(&probe_file));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&probe_file);
        return Check::fail(
            name,
            format!("cannot write in {}: {e}", dir.display()),
            not_writable_fix,
        );
    }
    let mut detail = format!("{} writable", dir.display());
    match std::fs::read_to_string(dir.join("run")) {
        Ok(run) => {
            let _ = write!(detail, "; run {}", run.trim());
        }
        Err(_) => detail.push_str("; no run id yet (the agent creates one at its first start)"),
    }
    let spool_dir = dir.join("spool");
    if !spool_dir.is_dir() {
        return Check::pass(name, detail);
    }
    match Spool::open(&spool_dir, spool.clone()) {
        Ok(s) => {
            let _ = write!(
                detail,
                "; spool: {} unsent reading{} in {} segment{}",
                s.depth(),
                if s.depth() == 1 { "" } else { "s" },
                s.segment_count(),
                if s.segment_count() == 1 { "" } else { "s" }
            );
            if s.corrupt() > 0 {
                let _ = write!(detail, ", {} damaged region(s) skipped", s.corrupt());
                return Check::warn(
                    name,
                    detail,
                    "the spool skipped damaged records (power loss or a failing SD card); if it \
                     recurs, replace the SD card",
                );
            }
            Check::pass(name, detail)
        }
        Err(SpoolError::Locked { .. }) => {
            detail.push_str("; spool in use by the running agent (its depth is in heartbeats)");
            Check::pass(name, detail)
        }
        Err(e) => Check::fail(
            name,
            format!("{detail}; spool unusable: {e}"),
            "the agent cannot open its spool: check permissions and free space on the state \
             directory's file system (`df -h`)",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Modems: found and answering, signal, registration.

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

/// How a modem is reached, for the `modem` line.
fn modem_route(cfg: &ModemConfig) -> String {
    match cfg {
        ModemConfig::Simulated(c) => {
            format!("simulated ({})", format!("{:?}", c.preset).to_lowercase())
        }
        ModemConfig::Mmcli(c) => match c.index {
            Some(i) => format!("ModemManager modem {i}"),
            None => "ModemManager".to_owned(),
        },
        ModemConfig::At(c) => format!(
            "AT on {} ({})",
            c.port,
            format!("{:?}", c.vendor).to_lowercase()
        ),
    }
}

fn modem_identity(info: &ModemInfo) -> String {
    let mut parts = Vec::new();
    if let Some(m) = &info.model {
        parts.push(format!("model {m}"));
    }
    if let Some(i) = &info.imei {
        parts.push(format!("IMEI {i}"));
    }
    match &info.sim_state {
        Some(s) => parts.push(format!("SIM {s}")),
        None => parts.push("SIM state unknown".to_owned()),
    }
    if let Some(i) = &info.iccid {
        parts.push(format!("ICCID {i}"));
    }
    parts.join(", ")
}

/// The `modem` line for a modem that answered a sample: ✘ when its SIM is not ready.
pub fn modem_answering(cfg: &ModemConfig, info: &ModemInfo) -> Check {
    let name = format!("modem {}", cfg.name());
    let detail = format!("{}: answering; {}", modem_route(cfg), modem_identity(info));
    match info.sim_state.as_deref() {
        None | Some("ready") => Check::pass(name, detail),
        Some("absent") => Check::fail(
            name,
            detail,
            "insert the SIM (power the box off first), contacts down; the agent cannot measure \
             without it",
        ),
        Some(s) if s.ends_with("-required") => Check::fail(
            name,
            detail,
            "the SIM is locked: disable its PIN (in a phone, or `mmcli -i 0 --pin=NNNN \
             --disable-pin`), the agent never enters PINs",
        ),
        Some(_) => Check::fail(
            name,
            detail,
            "the SIM is not usable: reseat it; if it stays so, ask the operator for a new SIM",
        ),
    }
}

/// The `modem` line for a modem that could not be opened or sampled, with the likely fix.
pub fn modem_failure(cfg: &ModemConfig, error: &ModemError) -> Check {
    let name = format!("modem {}", cfg.name());
    let detail = format!("{}: {}", modem_route(cfg), error_chain(error));
    let fix = match error {
        ModemError::Spawn { .. } => "install ModemManager (`apt install modemmanager`), or use \
             driver = \"at\" with the modem's serial port"
            .to_owned(),
        ModemError::NotFound { .. } => "`mmcli -L` lists the modems ModemManager sees: check \
             the modem's USB cable and power (`lsusb`), and modems[].index"
            .to_owned(),
        ModemError::CommandFailed { stderr, .. } => {
            let s = stderr.to_ascii_lowercase();
            if s.contains("not authorized") || s.contains("permission") {
                "the user cannot talk to ModemManager over D-Bus: run check as root, and give the \
                 agent's user the netdev group (the systemd unit does)"
                    .to_owned()
            } else if s.contains("couldn't find") || s.contains("not found") {
                "ModemManager does not see this modem: `mmcli -L` lists modems; check the USB \
                 cable and power, and modems[].index"
                    .to_owned()
            } else {
                "run the command shown by hand (`mmcli -m 0`) to see what ModemManager says; \
                 `systemctl status ModemManager`"
                    .to_owned()
            }
        }
        // The serial library's error comes wrapped as `Other`: look at the device and the text.
        ModemError::Port { port, source } => {
            let text = error_chain(source).to_ascii_lowercase();
            if !Path::new(port).exists() {
                "no such serial device: `ls /dev/ttyUSB*` lists the modem's ports (AT commands \
                 are usually on the 2nd or 3rd); check the USB cable"
                    .to_owned()
            } else if text.contains("permission denied") {
                "the user may not open the port: add it to group dialout (the systemd unit \
                 does), or run check with sudo"
                    .to_owned()
            } else {
                "the port is busy or broken: ModemManager may hold it (use driver = \"mmcli\", \
                 or stop ModemManager), or unplug and replug the modem"
                    .to_owned()
            }
        }
        ModemError::Timeout { .. } => "the port does not answer AT commands: it may be the \
             wrong ttyUSB (try the others), the wrong baud, or ModemManager is using it"
            .to_owned(),
        ModemError::Io { .. } => "the modem went away while talking to it: check the USB \
             cable and the power supply (modems reset on brown-outs)"
            .to_owned(),
        ModemError::At { .. } => "the modem refused a command: `vendor` may not match this \
             modem; try vendor = \"generic\""
            .to_owned(),
        ModemError::Decode { .. } => "the reply could not be decoded: capture it and run \
             `coverage-agent decode` on it, and report it with the modem's model"
            .to_owned(),
        ModemError::Config(_) => "correct the modem's settings in the config".to_owned(),
    };
    Check::fail(name, detail, fix)
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

/// Whether a running agent holds the spool of `state_dir` (its `flock`), tested without
/// waiting and without creating anything.
pub fn agent_running(state_dir: &Path) -> bool {
    let Ok(f) = std::fs::File::open(state_dir.join("spool").join("lock")) else {
        return false;
    };
    matches!(
        rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockShared),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK
    )
}

/// The `modem` line for an AT modem the running agent is using: it is not opened, because
/// two programs on one serial port garble each other's replies (root even bypasses the
/// port's exclusive open). ModemManager and the simulator are safe to use alongside.
pub fn modem_in_use(cfg: &ModemConfig, agent_running: bool) -> Option<Check> {
    match cfg {
        ModemConfig::At(_) if agent_running => Some(Check::warn(
            format!("modem {}", cfg.name()),
            format!(
                "{}: not tested, the running agent uses this serial port",
                modem_route(cfg)
            ),
            "stop the agent (`systemctl stop coverage-agent`), run check, then start it again; \
             meanwhile its heartbeats show the modem",
        )),
        _ => None,
    }
}

/// Opens, identifies and samples one modem, all before `deadline`.
async fn check_modem(
    cfg: &ModemConfig,
    ctx: &SignalContext,
    deadline: Instant,
    agent_running: bool,
) -> Vec<Check> {
    if let Some(busy) = modem_in_use(cfg, agent_running) {
        return vec![busy];
    }
    let name = format!("modem {}", cfg.name());
    let late = |what: &str| {
        Check::fail(
            name.clone(),
            format!("{}: no answer while {what}", modem_route(cfg)),
            "the modem or ModemManager hangs: unplug and replug the modem, or `systemctl \
             restart ModemManager`; check with a longer --timeout",
        )
    };
    let mut m = match tokio::time::timeout_at(deadline, modem::open(cfg)).await {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return vec![modem_failure(cfg, &e)],
        Err(_) => return vec![late("opening it")],
    };
    let info = tokio::time::timeout_at(deadline, m.info())
        .await
        .unwrap_or_else(|_| ModemInfo {
            name: cfg.name().to_owned(),
            ..ModemInfo::default()
        });
    match tokio::time::timeout_at(deadline, m.sample()).await {
        Ok(Ok(sample)) => {
            let mut checks = vec![modem_answering(cfg, &info)];
            checks.extend(signal_checks(cfg.name(), &sample, ctx));
            checks
        }
        Ok(Err(e)) => vec![modem_failure(cfg, &e)],
        Err(_) => vec![late("sampling the signal")],
    }
}

// ---------------------------------------------------------------------------------------------
// Probes.

/// The `probe` line for one round: received/sent and p50; ✘ when nothing came back, `!` on
/// partial loss.
pub fn probe_check(cfg: &ProbeConfig, round: &Latency) -> Check {
    let name = format!("probe {}", cfg.name());
    let via = cfg
        .interface()
        .map(|i| format!(" via {i}"))
        .unwrap_or_default();
    let what = format!(
        "{} {}{via} ({})",
        cfg.method().as_str(),
        cfg.target_text(),
        cfg.link().as_str()
    );
    let counts = format!("{}/{} replies", round.received, round.sent);
    if round.received == 0 {
        let error = round
            .error
            .clone()
            .unwrap_or_else(|| "no answer".to_owned());
        return Check::fail(
            name,
            format!("{what}: {counts}: {error}"),
            probe_fix(cfg, round.error.as_deref()),
        );
    }
    let p50 = round
        .rtt_ms
        .as_ref()
        .map(|r| format!(", p50 {:.1} ms", r.p50))
        .unwrap_or_default();
    let detail = format!("{what}: {counts}{p50}");
    if round.received < round.sent {
        return Check::warn(
            name,
            detail,
            "some probes were lost; if loss persists, check the link (cable, ONT, radio) and \
             whether the target rate-limits replies",
        );
    }
    Check::pass(name, detail)
}

/// The likely fix for a round in which nothing came back.
fn probe_fix(cfg: &ProbeConfig, error: Option<&str>) -> String {
    let iface = cfg.interface().unwrap_or("the interface");
    let e = error.unwrap_or("").to_ascii_lowercase();
    if e.contains("ping_group_range") || e.contains("icmp socket") {
        "allow ICMP: `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (persist it in \
         /etc/sysctl.d), or give the agent CAP_NET_RAW (the systemd unit's \
         AmbientCapabilities=CAP_NET_RAW, or `setcap cap_net_raw+ep` on the binary)"
            .to_owned()
    } else if e.contains("does not exist") {
        format!(
            "there is no interface {iface}: `ip -br link` lists them; set the probe's \
             `interface` to the right one"
        )
    } else if e.contains("is down") {
        format!(
            "{iface} is down: check the cable and the ONT/router it plugs into, then \
             `ip link set {iface} up`"
        )
    } else if e.contains("cannot bind") {
        "binding to an interface needs CAP_NET_RAW on kernels before 5.7: run check with sudo; \
         the systemd unit grants it to the agent"
            .to_owned()
    } else if e.contains("unreachable") {
        let target = cfg.target().host();
        format!(
            "the network says {target} is unreachable: check the link's gateway and route \
             (`ip route get {target}`), and the target address"
        )
    } else if e.contains("resolve") || e.contains("no ipv") {
        "the target's name does not resolve: check the name, and the DNS server in \
         /etc/resolv.conf"
            .to_owned()
    } else {
        let target = cfg.target().host();
        format!(
            "no answer from {target}: check the target address, the route (`ip route get \
             {target}`), and that it answers {} (firewalls often drop ICMP)",
            cfg.method().as_str()
        )
    }
}

async fn check_probe(cfg: &ProbeConfig, limit: Duration) -> Check {
    // A round needs its own span whatever --timeout says, plus time for name resolution.
    let limit = limit.max(cfg.round_span() + Duration::from_secs(5));
    match tokio::time::timeout(limit, probe::run_round(cfg)).await {
        Ok(round) => probe_check(cfg, &round),
        Err(_) => Check::fail(
            format!("probe {}", cfg.name()),
            format!(
                "{} {}: the round did not finish within {limit:?}",
                cfg.method().as_str(),
                cfg.target_text()
            ),
            "name resolution or the network stack hangs: check /etc/resolv.conf and the link",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Broker.

/// What connecting and publishing the test heartbeat led to.
#[derive(Debug)]
pub enum BrokerOutcome {
    /// The broker answered the heartbeat's PUBLISH with this PUBACK reason.
    Acked(PubAckReason),
    /// The broker closed the session with a DISCONNECT before acknowledging.
    Disconnected(DisconnectReasonCode),
    /// The connection failed.
    Failed {
        /// Whether the CONNACK had been received.
        connected: bool,
        /// rumqttc's error.
        error: ConnectionError,
    },
    /// Nothing conclusive before the deadline.
    TimedOut {
        /// Whether the CONNACK had been received.
        connected: bool,
        /// How long was waited.
        after: Duration,
    },
}

/// What the broker line needs to say about the configuration.
#[derive(Debug, Clone)]
pub struct BrokerContext {
    /// The configured URL.
    pub url: String,
    /// Host, port, TLS.
    pub endpoint: Endpoint,
    /// `mqtt.username`.
    pub username: Option<String>,
    /// Where the password comes from, for messages (`mqtt.password_file` resolved).
    pub password_file: Option<PathBuf>,
    /// The CA bundle used for TLS.
    pub ca_file: PathBuf,
    /// The heartbeat's topic.
    pub topic: String,
    /// Whether a password is configured (inline or file).
    pub has_password: bool,
}

impl BrokerContext {
    fn from_config(cfg: &AgentConfig) -> Result<BrokerContext, MqttConfigError> {
        let endpoint = parse_url(&cfg.mqtt.url)?;
        Ok(BrokerContext {
            url: cfg.mqtt.url.clone(),
            endpoint,
            username: cfg.mqtt.username.clone(),
            password_file: cfg.mqtt.password_file.as_ref().map(|p| cfg.base.join(p)),
            ca_file: cfg
                .mqtt
                .ca_file
                .as_ref()
                .map_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE), |p| cfg.base.join(p)),
            topic: reading_topic(&cfg.site.id, coverage_shared::wire::Kind::Heartbeat),
            has_password: cfg.mqtt.password.is_some() || cfg.mqtt.password_file.is_some(),
        })
    }

    fn host_port(&self) -> String {
        if self.endpoint.host.contains(':') {
            format!("[{}]:{}", self.endpoint.host, self.endpoint.port)
        } else {
            format!("{}:{}", self.endpoint.host, self.endpoint.port)
        }
    }

    fn user(&self) -> String {
        self.username
            .as_deref()
            .map_or_else(|| "anonymous".to_owned(), |u| format!("user {u}"))
    }

    fn password_place(&self) -> String {
        self.password_file.as_ref().map_or_else(
            || "mqtt.password".to_owned(),
            |p| format!("{} (first line)", p.display()),
        )
    }

    fn is_loopback(&self) -> bool {
        let h = self.endpoint.host.as_str();
        h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// The `broker` line for the outcome of a connect-and-publish.
pub fn broker_check(outcome: &BrokerOutcome, ctx: &BrokerContext) -> Check {
    let name = "broker";
    let at = format!("{} as {}", ctx.url, ctx.user());
    match outcome {
        BrokerOutcome::Acked(
            reason @ (PubAckReason::Success | PubAckReason::NoMatchingSubscribers),
        ) => {
            let note = if *reason == PubAckReason::NoMatchingSubscribers {
                " (no subscriber yet: no collector session on this broker)"
            } else {
                ""
            };
            let detail = format!(
                "connected to {at}; test heartbeat on {} accepted{note}",
                ctx.topic
            );
            if !ctx.endpoint.tls && ctx.has_password && !ctx.is_loopback() {
                return Check::warn(
                    name,
                    format!("{detail}; the password travels in clear text"),
                    "use mqtts:// (port 8883) so the password and readings are encrypted",
                );
            }
            Check::pass(name, detail)
        }
        BrokerOutcome::Acked(PubAckReason::NotAuthorized) => Check::fail(
            name,
            format!(
                "connected to {at}, but the broker refused the heartbeat on {} (not authorised)",
                ctx.topic
            ),
            "broker refused: check the ACL and that mqtt.username equals site.id (the ACL needs \
             `pattern write coverage/v1/%u/#`)",
        ),
        BrokerOutcome::Acked(other) => Check::fail(
            name,
            format!(
                "connected to {at}, but the broker refused the heartbeat on {}: {other:?}",
                ctx.topic
            ),
            match other {
                PubAckReason::QuotaExceeded => {
                    "the broker's quota for this client is exhausted: ask its operator"
                }
                _ => "look in the broker's log for why it refused the publish",
            },
        ),
        BrokerOutcome::Disconnected(code) => Check::fail(
            name,
            format!("{at}: the broker closed the connection ({code:?})"),
            match code {
                DisconnectReasonCode::NotAuthorized => {
                    "broker refused: check the ACL and that mqtt.username equals site.id"
                }
                DisconnectReasonCode::SessionTakenOver => {
                    "another client uses the same client id: set a unique mqtt.client_id"
                }
                _ => "look in the broker's log for why it closed the connection",
            },
        ),
        BrokerOutcome::TimedOut { connected, after } => {
            if *connected {
                Check::fail(
                    name,
                    format!("connected to {at}, but no acknowledgement within {after:?}"),
                    "the broker is overloaded or drops the publish: look in its log",
                )
            } else {
                Check::fail(
                    name,
                    format!("no answer from {} within {after:?}", ctx.host_port()),
                    format!(
                        "check the route and any firewall to the broker (`nc -vz {} {}`), and \
                         the host and port in mqtt.url",
                        ctx.endpoint.host, ctx.endpoint.port
                    ),
                )
            }
        }
        BrokerOutcome::Failed { error, .. } => connection_failure(error, ctx),
    }
}

fn connection_failure(error: &ConnectionError, ctx: &BrokerContext) -> Check {
    let name = "broker";
    let text = error_chain(error);
    let code = match error {
        ConnectionError::ConnectionRefused(code)
        | ConnectionError::MqttState(StateError::ConnFail { reason: code }) => Some(*code),
        _ => None,
    };
    if let Some(code) = code {
        let detail = format!(
            "{} refused the connection as {}: {code:?}",
            ctx.host_port(),
            ctx.user()
        );
        let fix = match (code, &ctx.username) {
            (ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized, None) => {
                "the broker does not accept anonymous clients: set mqtt.username = site.id and \
                 mqtt.password_file"
                    .to_owned()
            }
            (ConnectReturnCode::BadUserNamePassword, Some(u)) => format!(
                "bad credentials: put this site's password on the first line of {}; on the \
                 broker, `mosquitto_passwd <password file> {u}` sets it",
                ctx.password_place()
            ),
            // mosquitto answers this for an unknown user and for a wrong password alike.
            (ConnectReturnCode::NotAuthorized, Some(u)) => format!(
                "the broker refused user {u}'s credentials: check that {} holds this site's \
                 password, and that the broker's password file has user {u} \
                 (`mosquitto_passwd <password file> {u}`)",
                ctx.password_place()
            ),
            (ConnectReturnCode::ClientIdentifierNotValid | ConnectReturnCode::BadClientId, _) => {
                "the broker rejects the client id: set mqtt.client_id".to_owned()
            }
            (ConnectReturnCode::Banned, _) => {
                "the broker banned this client: ask the broker's operator".to_owned()
            }
            (
                ConnectReturnCode::ServerUnavailable
                | ConnectReturnCode::ServerBusy
                | ConnectReturnCode::ConnectionRateExceeded,
                _,
            ) => "the broker is busy or unavailable: try again later; the agent keeps readings \
                  in its spool meanwhile"
                .to_owned(),
            (
                ConnectReturnCode::UnsupportedProtocolVersion
                | ConnectReturnCode::RefusedProtocolVersion,
                _,
            ) => "the broker does not speak MQTT 5: use mosquitto 2 or another MQTT 5 broker"
                .to_owned(),
            _ => "look in the broker's log for why it refused the connection".to_owned(),
        };
        return Check::fail(name, detail, fix);
    }
    let lower = text.to_ascii_lowercase();
    let tls_words = [
        "certificate",
        "unknownissuer",
        "tls",
        "handshake",
        "notvalidforname",
        "invalidcontenttype",
        "corrupt message",
    ];
    if ctx.endpoint.tls && tls_words.iter().any(|w| lower.contains(w)) {
        let ca = ctx.ca_file.display();
        let fix = if lower.contains("unknownissuer") || lower.contains("unknown ca") {
            format!(
                "the broker's certificate is not signed by a CA in {ca}: set mqtt.ca_file to \
                 the CA certificate (PEM) that signed it"
            )
        } else if lower.contains("notvalidforname") {
            format!(
                "the certificate is not valid for {}: put the host name the certificate names \
                 in mqtt.url",
                ctx.endpoint.host
            )
        } else if lower.contains("expired") || lower.contains("notvalidyet") {
            "the certificate is expired or not yet valid: renew it on the broker, or, if this \
             box's clock is wrong (see the clock line), fix the clock first"
                .to_owned()
        } else if lower.contains("no valid ca") {
            format!("{ca} holds no usable PEM certificate: point mqtt.ca_file at the CA's PEM")
        } else if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
            "this port does not speak TLS: use mqtt:// for it, or the broker's TLS port \
             (usually 8883)"
                .to_owned()
        } else {
            format!(
                "the TLS handshake failed: check mqtt.ca_file ({ca}) and that the port in \
                 mqtt.url is the broker's TLS port"
            )
        };
        return Check::fail(
            name,
            format!("TLS with {} failed: {text}", ctx.host_port()),
            fix,
        );
    }
    let io_kind = match error {
        ConnectionError::Io(e) | ConnectionError::MqttState(StateError::Io(e)) => Some(e.kind()),
        _ => None,
    };
    use std::io::ErrorKind as K;
    let fix = if io_kind == Some(K::ConnectionRefused) {
        format!(
            "nothing accepts connections on {}: check the host and port in mqtt.url (1883 for \
             mqtt://, 8883 for mqtts://) and that the broker runs",
            ctx.host_port()
        )
    } else if lower.contains("lookup")
        || lower.contains("name or service")
        || lower.contains("resolution")
    {
        format!(
            "{} does not resolve: check the name in mqtt.url and the DNS server in \
             /etc/resolv.conf",
            ctx.endpoint.host
        )
    } else if matches!(
        io_kind,
        Some(K::HostUnreachable | K::NetworkUnreachable | K::TimedOut)
    ) || matches!(error, ConnectionError::Timeout(_))
    {
        format!(
            "no route to the broker: check this box's network and any firewall (`ip route get \
             {}`)",
            ctx.endpoint.host
        )
    } else if matches!(
        io_kind,
        Some(K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted)
    ) || matches!(
        error,
        ConnectionError::MqttState(StateError::ConnectionAborted)
    ) {
        if ctx.endpoint.tls {
            "the broker closed the connection: check the port is its TLS port and whether it \
             requires a client certificate"
                .to_owned()
        } else {
            "the broker closed the connection before answering: if this port expects TLS, use \
             mqtts://; otherwise look in the broker's log"
                .to_owned()
        }
    } else {
        "look in the broker's log, and check mqtt.url".to_owned()
    };
    Check::fail(
        name,
        format!("cannot connect to {}: {text}", ctx.host_port()),
        fix,
    )
}

/// A heartbeat of the check's own run, seq 1 (module docs).
fn test_heartbeat(cfg: &AgentConfig, clock: &ClockWatch) -> Reading {
    let run: String = (0..8)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    Reading {
        header: Header {
            v: SCHEMA_VERSION,
            site: cfg.site.id.clone(),
            run: format!("check-{run}"),
            seq: 1,
            ts: Utc::now(),
            clock_synced: clock.synced(),
            pos: Position {
                lat: cfg.site.lat,
                lon: cfg.site.lon,
                src: PositionSource::Config,
                acc_m: cfg.site.acc_m,
            },
            commune: cfg.site.commune.clone(),
            agent: AGENT_VERSION.to_owned(),
        },
        body: Body::Heartbeat(Heartbeat {
            uptime_s: 0,
            spool_depth: 0,
            spool_dropped: 0,
            clock_sync_age_s: clock.age_s(),
            modems: cfg
                .modems
                .iter()
                .map(|m| ModemInfo {
                    name: m.name().to_owned(),
                    ..ModemInfo::default()
                })
                .collect(),
        }),
    }
}

/// Connects with the agent's MQTT options (but a client id of its own), publishes one QoS 1
/// heartbeat and waits for its PUBACK.
async fn broker_session(
    opts: MqttOptions,
    topic: String,
    payload: Vec<u8>,
    connected: &mut bool,
) -> BrokerOutcome {
    let (client, mut eventloop) = AsyncClient::new(opts, 10);
    if let Err(e) = client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
    {
        return BrokerOutcome::Failed {
            connected: false,
            error: ConnectionError::Io(std::io::Error::other(e.to_string())),
        };
    }
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => *connected = true,
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                let _ = client.try_disconnect();
                let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
                return BrokerOutcome::Acked(ack.reason);
            }
            Ok(Event::Incoming(Packet::Disconnect(d))) => {
                return BrokerOutcome::Disconnected(d.reason_code);
            }
            Ok(_) => {}
            Err(error) => {
                return BrokerOutcome::Failed {
                    connected: *connected,
                    error,
                };
            }
        }
    }
}

async fn check_broker(cfg: &AgentConfig, clock: &ClockWatch, limit: Duration) -> Check {
    let ctx = match BrokerContext::from_config(cfg) {
        Ok(c) => c,
        Err(e) => return Check::fail("broker", e.to_string(), "correct mqtt.url"),
    };
    // The agent's options, but never its client id: a second session with the same id would
    // throw the running agent off the broker.
    let mut mqtt = cfg.mqtt.clone();
    mqtt.client_id = None;
    let suffix: u32 = rand::random();
    let mut opts = match mqtt.options(&format!("check-{}-{suffix:08x}", cfg.site.id), &cfg.base) {
        Ok(o) => o,
        Err(e) => {
            let fix = match &e {
                MqttConfigError::File {
                    key: "password_file",
                    path,
                    ..
                } => format!(
                    "create {} with this site's MQTT password on its first line, readable by \
                     the agent's user only",
                    path.display()
                ),
                MqttConfigError::File { path, .. } => format!(
                    "put the CA certificate (PEM) that signed the broker's certificate at {}, \
                     or point mqtt.ca_file at it",
                    path.display()
                ),
                MqttConfigError::Url { .. } => "correct mqtt.url".to_owned(),
            };
            return Check::fail("broker", e.to_string(), fix);
        }
    };
    opts.set_clean_start(true);
    opts.set_connection_timeout(limit.as_secs().max(1));
    let payload = test_heartbeat(cfg, clock).to_json().into_bytes();
    let mut connected = false;
    let outcome = match tokio::time::timeout(
        limit,
        broker_session(opts, ctx.topic.clone(), payload, &mut connected),
    )
    .await
    {
        Ok(o) => o,
        Err(_) => BrokerOutcome::TimedOut {
            connected,
            after: limit,
        },
    };
    broker_check(&outcome, &ctx)
}

// ---------------------------------------------------------------------------------------------
// Clock.

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

// ---------------------------------------------------------------------------------------------
// Commune.

/// Where boundary files are looked for, in order: `boundaries_dir` from the config, then
/// `<exe dir>/../share/coverage-monitor/boundaries` (an installed package), then the
/// checkout's `data/boundaries` (running from a build tree).
pub fn boundary_dirs(configured: &Path, exe: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = vec![configured.to_owned()];
    if let Some(bin) = exe.and_then(Path::parent) {
        dirs.push(bin.join("../share/coverage-monitor/boundaries"));
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/boundaries");
    dirs.push(checkout.canonicalize().unwrap_or(checkout));
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let key = d.canonicalize().unwrap_or_else(|_| d.clone());
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    dirs
}

/// Loads the first boundary directory of `dirs` that holds the sets.
pub fn load_boundaries(dirs: &[PathBuf]) -> Result<(BoundaryRegistry, PathBuf), String> {
    let mut errors = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            errors.push(format!("{}: missing", d.display()));
            continue;
        }
        match BoundaryRegistry::from_dir(d) {
            Ok(r) => return Ok((r, d.clone())),
            Err(e) => errors.push(format!("{}: {e}", d.display())),
        }
    }
    Err(errors.join("; "))
}

fn place(loc: &Location<'_>) -> String {
    match (loc.commune, loc.nearest) {
        (Some(c), _) => format!("{} ({} {})", c.name, loc.set, c.code),
        (None, Some(n)) => format!(
            "outside every commune of {} (nearest {} {}, {} away)",
            loc.set,
            n.name,
            n.code,
            metres(loc.edge_distance_m)
        ),
        (None, None) => format!("outside every commune of {}", loc.set),
    }
}

/// The `commune` line: the commune the configured position falls in, in the set in force at
/// `now`, against `site.commune` (a 2020 code is compared through the 2020→2025 mapping).
/// ✘ outside every commune or in another commune; `!` within [`NEAR_EDGE_M`] of an edge, when
/// `site.commune` is missing, or when it names a set no longer in force.
pub fn commune_check(
    registry: &BoundaryRegistry,
    site: &SiteConfig,
    now: DateTime<Utc>,
    source: &Path,
) -> Check {
    let name = "commune";
    let Some(today) = registry.in_force_at(now).or_else(|| registry.sets().last()) else {
        return Check::warn(
            name,
            format!("no boundary set in {}", source.display()),
            "install the project's data/boundaries files",
        );
    };
    let loc = today.locate(site.lat, site.lon);
    let here = place(&loc);
    let Some(commune) = loc.commune else {
        return Check::fail(
            name,
            format!("position {}, {} is {here}", site.lat, site.lon),
            "check site.lat and site.lon: WGS84 decimal degrees, latitude first (swapped? a \
             sign lost?); survey the antenna's position again",
        );
    };
    let Some(conf) = &site.commune else {
        return Check::warn(
            name,
            format!("position is in {here}; site.commune is not set"),
            format!(
                "add commune = {{ set = \"{}\", code = \"{}\" }} to [site] if that is the \
                 commune the site was installed for",
                today.name(),
                commune.code
            ),
        );
    };
    let conf_set = match registry.get(&conf.set) {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(
                name,
                format!("position is in {here}; site.commune: {e}"),
                format!(
                    "use a known set: commune = {{ set = \"{}\", code = \"{}\" }}",
                    today.name(),
                    commune.code
                ),
            );
        }
    };
    let Some(conf_commune) = conf_set.commune(&conf.code) else {
        return Check::fail(
            name,
            format!(
                "position is in {here}; site.commune.code {} is not a commune of {}",
                conf.code, conf.set
            ),
            format!(
                "correct the code (the set's communes are listed in {}/{}): the position says \
                 commune = {{ set = \"{}\", code = \"{}\" }}",
                source.display(),
                conf_set.info().file.replace(".geojson", ".csv"),
                today.name(),
                commune.code
            ),
        );
    };
    let configured = format!("{} ({} {})", conf_commune.name, conf.set, conf.code);
    // The configured commune in today's set.
    let expected: Option<String> = if conf_set.name() == today.name() {
        Some(conf.code.clone())
    } else if conf_set.name() == SetInfo::BAC_KAN_2020.name
        && today.name() == SetInfo::THAI_NGUYEN_2025.name
    {
        registry.map_2020_to_2025(&conf.code).map(str::to_owned)
    } else {
        None
    };
    let matches = match &expected {
        Some(code) => commune.code == *code,
        // No mapping between the two sets: compare in the configured set itself.
        None => conf_set.locate(site.lat, site.lon).code() == Some(conf.code.as_str()),
    };
    if !matches {
        let mapped = match &expected {
            Some(code) if conf_set.name() != today.name() => {
                format!(
                    ", which is {} {code} since {}",
                    today.name(),
                    today.info().valid_from
                )
            }
            _ => String::new(),
        };
        return Check::fail(
            name,
            format!("position is in {here}, but site.commune is {configured}{mapped}"),
            format!(
                "survey the position again; if it is right, set commune = {{ set = \"{}\", \
                 code = \"{}\" }}",
                today.name(),
                commune.code
            ),
        );
    }
    let mut detail = format!(
        "position is in {here} as configured; {} from the nearest edge",
        metres(loc.edge_distance_m)
    );
    let mut fixes = Vec::new();
    if loc.near_edge(NEAR_EDGE_M) {
        let _ = write!(
            detail,
            " (within {} m: the placement is uncertain)",
            num(NEAR_EDGE_M)
        );
        fixes.push(
            "survey the position precisely (and set acc_m); reports flag sites this close to \
             an edge"
                .to_owned(),
        );
    }
    if conf_set.name() != today.name() {
        let _ = write!(
            detail,
            "; site.commune uses {}, {} is in force since {}",
            conf.set,
            today.name(),
            today.info().valid_from
        );
        fixes.push(format!(
            "update site.commune to {{ set = \"{}\", code = \"{}\" }}",
            today.name(),
            commune.code
        ));
    }
    if fixes.is_empty() {
        Check::pass(name, detail)
    } else {
        Check::warn(name, detail, fixes.join("; "))
    }
}

async fn check_commune(cfg: &AgentConfig, limit: Duration) -> Check {
    let exe = std::env::current_exe().ok();
    let dirs = boundary_dirs(&cfg.boundaries_dir, exe.as_deref());
    let site = cfg.site.clone();
    let configured = cfg.boundaries_dir.clone();
    let work = tokio::task::spawn_blocking(move || match load_boundaries(&dirs) {
        Ok((registry, dir)) => {
            let mut c = commune_check(&registry, &site, Utc::now(), &dir);
            if dir != configured {
                let _ = write!(
                    c.detail,
                    "; boundaries from {} (none in boundaries_dir {})",
                    dir.display(),
                    configured.display()
                );
            }
            c
        }
        Err(errors) => Check::warn(
            "commune",
            format!("no boundary files found ({errors}); the position was not checked"),
            format!(
                "install the project's data/boundaries files into {} (or set boundaries_dir)",
                configured.display()
            ),
        ),
    });
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => Check::warn("commune", format!("lookup failed: {e}"), "report this bug"),
        Err(_) => Check::warn(
            "commune",
            format!("loading the boundary files took longer than {limit:?}"),
            "run check again with a longer --timeout",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// All together.

async fn check_state(cfg: &AgentConfig, limit: Duration) -> Check {
    let dir = cfg.state_dir.clone();
    let spool = cfg.spool.clone();
    match tokio::time::timeout(
        limit,
        tokio::task::spawn_blocking(move || state_check(&dir, &spool)),
    )
    .await
    {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => Check::fail("state", format!("check failed: {e}"), "report this bug"),
        Err(_) => Check::fail(
            "state",
            format!(
                "{} did not answer within {limit:?}",
                cfg.state_dir.display()
            ),
            "the state directory's storage hangs: check the SD card or disk (`dmesg`)",
        ),
    }
}

/// Runs every check for the config at `path`; each check is bounded by `limit` (a probe round
/// by its own span if longer). A config that does not load gives a one-line report.
pub async fn check_file(path: &Path, limit: Duration) -> Report {
    let mut report = Report::default();
    let cfg = match AgentConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            report.push(config_failure(&e));
            return report;
        }
    };
    report.push(config_pass(&cfg));

    let clock = ClockWatch::new();
    let _ = tokio::time::timeout(limit, clock.refresh()).await;
    let ctx = SignalContext {
        policy: UsablePolicy::default(),
        bands: BandTable::default(),
        placement: Some(cfg.site.placement),
        clock_synced: clock.synced(),
    };
    let deadline = Instant::now() + limit;
    let running = agent_running(&cfg.state_dir);
    let (state, modems, probes, broker, commune) = tokio::join!(
        check_state(&cfg, limit),
        futures::future::join_all(
            cfg.modems
                .iter()
                .map(|m| check_modem(m, &ctx, deadline, running))
        ),
        futures::future::join_all(cfg.probes.iter().map(|p| check_probe(p, limit))),
        check_broker(&cfg, &clock, limit),
        check_commune(&cfg, limit),
    );
    report.push(state);
    report.checks.extend(modems.into_iter().flatten());
    report.checks.extend(probes);
    report.push(broker);
    report.push(clock_check(clock.synced(), clock.age_s(), Utc::now()));
    report.push(commune);
    report
}

/// `coverage-agent check`.
pub async fn run(args: &CheckArgs) -> Report {
    check_file(&args.config, args.timeout).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use coverage_shared::wire::{Link, Method, RadioValues, RttStats};

    fn sample_report() -> Report {
        Report {
            checks: vec![
                Check::pass("config", "agent.toml: site s1"),
                Check::warn("clock", "unknown", "enable timesyncd"),
                Check::fail(
                    "probe dc-ping",
                    "icmp 10.6.0.1 via eth0: 0/10\nreplies",
                    "plug it in",
                ),
            ],
        }
    }

    #[test]
    fn renders_one_line_per_check_with_fixes_indented() {
        let text = sample_report().render_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "✔ config         agent.toml: site s1");
        assert_eq!(lines[1], "! clock          unknown");
        assert_eq!(lines[2], "                 fix: enable timesyncd");
        assert_eq!(
            lines[3], "✘ probe dc-ping  icmp 10.6.0.1 via eth0: 0/10 replies",
            "newlines in details are folded"
        );
        assert_eq!(lines[4], "                 fix: plug it in");
        assert_eq!(lines[5], "3 checks: 1 passed, 1 warning, 1 failed.");
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn ok_only_without_failures() {
        let mut r = sample_report();
        assert!(!r.ok());
        r.checks.pop();
        assert!(r.ok(), "warnings do not fail");
        assert!(Report::default().ok());
        assert_eq!(r.counts(), (1, 1, 0));
    }

    #[test]
    fn json_shape() {
        let v: serde_json::Value = serde_json::from_str(&sample_report().to_json()).unwrap();
        assert_eq!(v["ok"], false);
        let checks = v["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 3);
        assert_eq!(checks[0]["status"], "pass");
        assert!(checks[0].get("fix").is_none(), "no fix key on a pass");
        assert_eq!(checks[1]["status"], "warn");
        assert_eq!(checks[2]["status"], "fail");
        assert_eq!(checks[2]["name"], "probe dc-ping");
        assert_eq!(checks[2]["fix"], "plug it in");
    }

    #[test]
    fn long_names_do_not_widen_the_column_beyond_the_cap() {
        let r = Report {
            checks: vec![Check::pass("x".repeat(40), "d"), Check::pass("y", "d")],
        };
        let text = r.render_text();
        let second = text.lines().nth(1).unwrap();
        assert_eq!(second, format!("✔ {:<24}  d", "y"));
    }

    #[test]
    fn config_failure_names_file_and_key() {
        let e = AgentConfig::parse(
            "[site]\nid = \"s 1\"\nlat = 1.0\nlon = 1.0\nplacement = \"indoor\"\n[mqtt]\nurl = \"mqtt://x\"\n",
            Path::new("/etc/coverage-agent/agent.toml"),
        )
        .unwrap_err();
        let c = config_failure(&e);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("agent.toml") && c.detail.contains("site.id"),
            "{c:?}"
        );
        assert!(c.fix.unwrap().contains("site.id"));
    }

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

    fn probe_cfg(interface: Option<&str>) -> ProbeConfig {
        let mut raw = probe::RawProbeConfig::new("dc-ping", Method::Icmp, "10.6.0.1", Link::Fibre);
        raw.interface = interface.map(str::to_owned);
        ProbeConfig::try_from(raw).unwrap()
    }

    fn round(received: u32, error: Option<&str>) -> Latency {
        Latency {
            target: "10.6.0.1".into(),
            method: Method::Icmp,
            link: Link::Fibre,
            interface: Some("eth0".into()),
            sent: 10,
            received,
            dup: 0,
            rtt_ms: (received > 0).then_some(RttStats {
                min: 1.0,
                p50: 3.25,
                mean: 3.0,
                p95: 5.0,
                max: 6.0,
                stddev: 1.0,
            }),
            jitter_ms: None,
            rtts_ms: vec![],
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn probe_lines() {
        let cfg = probe_cfg(Some("eth0"));
        let c = probe_check(&cfg, &round(10, None));
        assert_eq!(c.status, Status::Pass);
        assert_eq!(
            c.detail,
            "icmp 10.6.0.1 via eth0 (fibre): 10/10 replies, p50 3.2 ms"
        );
        assert_eq!(probe_check(&cfg, &round(7, None)).status, Status::Warn);
        let c = probe_check(&cfg, &round(0, Some("interface eth0 does not exist")));
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail
                .ends_with("0/10 replies: interface eth0 does not exist")
        );
        assert!(c.fix.unwrap().contains("ip -br link"));
        let c = probe_check(
            &cfg,
            &round(
                0,
                Some(
                    "cannot open an ICMP socket (permission denied): ... net.ipv4.ping_group_range ...",
                ),
            ),
        );
        assert!(c.fix.unwrap().contains("CAP_NET_RAW"));
        let c = probe_check(&probe_cfg(None), &round(0, None));
        assert!(c.detail.ends_with("0/10 replies: no answer"), "{c:?}");
        assert!(c.fix.unwrap().contains("ip route get 10.6.0.1"));
    }

    fn broker_ctx(url: &str, user: Option<&str>) -> BrokerContext {
        BrokerContext {
            url: url.to_owned(),
            endpoint: parse_url(url).unwrap(),
            username: user.map(str::to_owned),
            password_file: user.map(|_| PathBuf::from("/etc/coverage-agent/mqtt-password")),
            ca_file: PathBuf::from(SYSTEM_CA_BUNDLE),
            topic: "coverage/v1/s1/heartbeat".into(),
            has_password: user.is_some(),
        }
    }

    #[test]
    fn broker_acks() {
        let ctx = broker_ctx("mqtt://127.0.0.1:1883", Some("s1"));
        for reason in [PubAckReason::Success, PubAckReason::NoMatchingSubscribers] {
            let c = broker_check(&BrokerOutcome::Acked(reason), &ctx);
            assert_eq!(c.status, Status::Pass, "{reason:?}");
        }
        let c = broker_check(&BrokerOutcome::Acked(PubAckReason::NotAuthorized), &ctx);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.fix
                .unwrap()
                .starts_with("broker refused: check the ACL and that mqtt.username equals site.id")
        );
        let remote = broker_ctx("mqtt://broker.example:1883", Some("s1"));
        let c = broker_check(&BrokerOutcome::Acked(PubAckReason::Success), &remote);
        assert_eq!(
            c.status,
            Status::Warn,
            "clear-text password to a remote broker"
        );
    }

    #[test]
    fn broker_connection_failures_have_their_own_fixes() {
        let ctx = broker_ctx("mqtt://127.0.0.1:1883", Some("s1"));
        let fail = |error| {
            broker_check(
                &BrokerOutcome::Failed {
                    connected: false,
                    error,
                },
                &ctx,
            )
        };
        let c = fail(ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword,
        ));
        assert!(c.fix.unwrap().contains("mqtt-password (first line)"));
        let c = fail(ConnectionError::ConnectionRefused(
            ConnectReturnCode::NotAuthorized,
        ));
        assert!(c.fix.unwrap().contains("refused user s1's credentials"));
        let c = fail(ConnectionError::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert!(
            c.fix
                .unwrap()
                .contains("nothing accepts connections on 127.0.0.1:1883")
        );
        let anon = broker_ctx("mqtt://127.0.0.1:1883", None);
        let c = broker_check(
            &BrokerOutcome::Failed {
                connected: false,
                error: ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized),
            },
            &anon,
        );
        assert!(c.fix.unwrap().contains("anonymous"));
        let tls = broker_ctx("mqtts://broker.example", Some("s1"));
        let c = broker_check(
            &BrokerOutcome::Failed {
                connected: false,
                error: ConnectionError::Io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "invalid peer certificate: UnknownIssuer",
                )),
            },
            &tls,
        );
        assert!(
            c.detail.starts_with("TLS with broker.example:8883 failed"),
            "{c:?}"
        );
        assert!(c.fix.unwrap().contains("mqtt.ca_file"));
        let c = broker_check(
            &BrokerOutcome::TimedOut {
                connected: false,
                after: Duration::from_secs(20),
            },
            &tls,
        );
        assert!(c.fix.unwrap().contains("nc -vz broker.example 8883"));
    }

    fn registry() -> BoundaryRegistry {
        BoundaryRegistry::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/boundaries"))
            .unwrap()
    }

    fn site(lat: f64, lon: f64, commune: Option<(&str, &str)>) -> SiteConfig {
        SiteConfig {
            id: "s1".into(),
            lat,
            lon,
            acc_m: None,
            placement: coverage_shared::wire::Placement::Indoor,
            antenna: coverage_shared::wire::Antenna::Internal,
            commune: commune.map(|(set, code)| coverage_shared::wire::CommuneRef {
                set: set.into(),
                code: code.into(),
            }),
        }
    }

    #[test]
    fn commune_lines() {
        let reg = registry();
        let now = "2025-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let dir = Path::new("/usr/share/coverage-monitor/boundaries");
        // 870 m inside Phường Đức Xuân (thai-nguyen-2025 01840).
        let (lat, lon) = (22.162534, 105.844234);
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "01840"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(
            c.detail
                .contains("Phường Đức Xuân (thai-nguyen-2025 01840) as configured")
        );
        // The 2020 code of the example config maps to 01840: right commune, outdated set.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("bac-kan-2020", "01834"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.fix.unwrap().contains("code = \"01840\""));
        // Another commune.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "01843"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Fail, "{c:?}");
        // Unknown code, unknown set, none configured, outside.
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("thai-nguyen-2025", "99999"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Fail);
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("nowhere-2030", "01840"))),
            now,
            dir,
        );
        assert_eq!(c.status, Status::Fail);
        let c = commune_check(&reg, &site(lat, lon, None), now, dir);
        assert_eq!(c.status, Status::Warn);
        let c = commune_check(&reg, &site(lon, lat, None), now, dir);
        assert_eq!(c.status, Status::Fail, "swapped coordinates: {c:?}");
        // In 2024 the 2020 set is in force: the example's own code, but near an edge.
        let then = "2024-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let c = commune_check(
            &reg,
            &site(lat, lon, Some(("bac-kan-2020", "01834"))),
            then,
            dir,
        );
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.detail.contains("within 250 m"), "{c:?}");
    }

    #[test]
    fn an_at_modem_in_use_by_the_agent_is_left_alone() {
        let at: ModemConfig =
            toml::from_str("driver = \"at\"\nname = \"q\"\nport = \"/dev/ttyUSB2\"\n").unwrap();
        let sim: ModemConfig = toml::from_str("driver = \"simulated\"\nname = \"s\"\n").unwrap();
        let c = modem_in_use(&at, true).unwrap();
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.detail.contains("/dev/ttyusb2") || c.detail.contains("/dev/ttyUSB2"),
            "{c:?}"
        );
        assert!(modem_in_use(&at, false).is_none());
        assert!(modem_in_use(&sim, true).is_none());
    }

    #[test]
    fn boundary_dirs_order() {
        let dirs = boundary_dirs(
            Path::new("/nonexistent/b"),
            Some(Path::new("/opt/cm/bin/coverage-agent")),
        );
        assert_eq!(dirs[0], Path::new("/nonexistent/b"));
        assert_eq!(
            dirs[1],
            Path::new("/opt/cm/bin/../share/coverage-monitor/boundaries")
        );
        assert!(dirs[2].ends_with("data/boundaries"));
        let (_, found) = load_boundaries(&dirs).unwrap();
        assert_eq!(found, dirs[2]);
        let err = load_boundaries(&dirs[..2]).unwrap_err();
        assert!(err.contains("/nonexistent/b: missing"), "{err}");
    }

    #[test]
    fn state_dir_checks() {
        let dir = tempfile::tempdir().unwrap();
        let c = state_check(&dir.path().join("new"), &SpoolConfig::default());
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(c.detail.contains("does not exist yet"));
        let c = state_check(
            Path::new("relative-state-dir-that-does-not-exist"),
            &SpoolConfig::default(),
        );
        assert_eq!(
            c.status,
            Status::Pass,
            "a relative path resolves against `.`: {c:?}"
        );
        std::fs::write(dir.path().join("run"), "0123456789abcdef\n").unwrap();
        let c = state_check(dir.path(), &SpoolConfig::default());
        assert!(c.detail.contains("run 0123456789abcdef"), "{c:?}");
        let spool = Spool::open(dir.path().join("spool"), SpoolConfig::default()).unwrap();
        let c = state_check(dir.path(), &SpoolConfig::default());
        assert!(c.detail.contains("in use by the running agent"), "{c:?}");
        assert!(agent_running(dir.path()));
        drop(spool);
        assert!(!agent_running(dir.path()));
        assert!(!agent_running(&dir.path().join("nowhere")));
        let c = state_check(dir.path(), &SpoolConfig::default());
        assert!(c.detail.contains("spool: 0 unsent readings"), "{c:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "the write test leaves nothing behind"
        );
    }
}

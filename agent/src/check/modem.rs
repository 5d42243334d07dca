//! The `modem` checks: each configured modem is opened, identified and sampled with the
//! agent's own driver (`modem::open`, `Modem::sample`) under a deadline; an AT modem the
//! running agent uses is left alone (two programs on one serial port garble each other).
//! Failures are worded with their likely fix; the sample's lines come from [`super::signal`].

use super::report::{Check, error_chain};
use super::signal::{SignalContext, signal_checks};
use crate::modem::{self, ModemConfig, ModemError};
use coverage_shared::wire::ModemInfo;
use std::path::Path;
use tokio::time::Instant;

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
pub(super) async fn check_modem(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

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
}

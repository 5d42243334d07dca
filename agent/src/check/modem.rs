//! The `modem` checks: each configured modem is opened, identified and sampled with the
//! agent's own driver (`modem::open`, `Modem::sample`) under a deadline; an AT modem the
//! running agent uses is left alone (two programs on one serial port garble each other).
//! Failures are worded with their likely fix; the sample's lines come from [`super::signal`].

use super::report::{Check, error_chain};
use super::signal::{SignalContext, signal_checks};
use crate::modem::{self, ModemConfig, ModemError};
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill};
use coverage_shared::wire::ModemInfo;
use std::path::Path;
use tokio::time::Instant;

/// How a modem is reached, for the `modem` line.
pub(crate) fn modem_route(cfg: &ModemConfig, lang: Lang) -> String {
    let t = text(lang);
    match cfg {
        ModemConfig::Simulated(c) => fill(
            t.modem_simulated,
            &[("preset", &format!("{:?}", c.preset).to_lowercase())],
        ),
        ModemConfig::Mmcli(c) => match c.index {
            Some(i) => fill(t.modem_mm_index, &[("index", &i)]),
            None => t.modem_mm.to_owned(),
        },
        ModemConfig::At(c) => fill(
            t.modem_at,
            &[
                ("port", &c.port),
                ("vendor", &format!("{:?}", c.vendor).to_lowercase()),
            ],
        ),
    }
}

fn modem_identity(info: &ModemInfo, lang: Lang) -> String {
    let t = text(lang);
    let mut parts = Vec::new();
    if let Some(m) = &info.model {
        parts.push(fill(t.modem_model, &[("model", m)]));
    }
    if let Some(i) = &info.imei {
        parts.push(format!("IMEI {i}"));
    }
    match &info.sim_state {
        Some(s) => parts.push(fill(t.modem_sim, &[("state", s)])),
        None => parts.push(t.modem_sim_unknown.to_owned()),
    }
    if let Some(i) = &info.iccid {
        parts.push(format!("ICCID {i}"));
    }
    parts.join(", ")
}

/// The `modem` line for a modem that answered a sample: ✘ when its SIM is not ready.
pub fn modem_answering(cfg: &ModemConfig, info: &ModemInfo, lang: Lang) -> Check {
    let t = text(lang);
    let name = format!("modem {}", cfg.name());
    let detail = fill(
        t.modem_answering,
        &[
            ("route", &modem_route(cfg, lang)),
            ("identity", &modem_identity(info, lang)),
        ],
    );
    match info.sim_state.as_deref() {
        None | Some("ready") => Check::pass(name, detail),
        Some("absent") => Check::fail(name, detail, t.modem_fix_sim_absent),
        Some(s) if s.ends_with("-required") => Check::fail(name, detail, t.modem_fix_sim_locked),
        Some(_) => Check::fail(name, detail, t.modem_fix_sim_other),
    }
}

/// The `modem` line for a modem that could not be opened or sampled, with the likely fix.
pub fn modem_failure(cfg: &ModemConfig, error: &ModemError, lang: Lang) -> Check {
    let t = text(lang);
    let name = format!("modem {}", cfg.name());
    let detail = fill(
        t.modem_failed,
        &[
            ("route", &modem_route(cfg, lang)),
            ("error", &error_chain(error)),
        ],
    );
    let fix = match error {
        ModemError::Spawn { .. } => t.modem_fix_spawn,
        ModemError::NotFound { .. } => t.modem_fix_not_found,
        ModemError::CommandFailed { stderr, .. } => {
            let s = stderr.to_ascii_lowercase();
            if s.contains("not authorized") || s.contains("permission") {
                t.modem_fix_dbus
            } else if s.contains("couldn't find") || s.contains("not found") {
                t.modem_fix_not_found
            } else {
                t.modem_fix_mm_other
            }
        }
        // The serial library's error comes wrapped as `Other`: look at the device and the text.
        ModemError::Port { port, source } => {
            let text = error_chain(source).to_ascii_lowercase();
            if !Path::new(port).exists() {
                t.modem_fix_no_port
            } else if text.contains("permission denied") {
                t.modem_fix_port_permission
            } else {
                t.modem_fix_port_busy
            }
        }
        ModemError::Timeout { .. } => t.modem_fix_timeout,
        ModemError::Io { .. } => t.modem_fix_io,
        ModemError::At { .. } => t.modem_fix_at,
        ModemError::Decode { .. } => t.modem_fix_decode,
        ModemError::Config(_) => t.modem_fix_config,
    };
    Check::fail(name, detail, fix)
}

/// The `modem` line for an AT modem the running agent is using: it is not opened, because
/// two programs on one serial port garble each other's replies (root even bypasses the
/// port's exclusive open). ModemManager and the simulator are safe to use alongside.
pub fn modem_in_use(cfg: &ModemConfig, agent_running: bool, lang: Lang) -> Option<Check> {
    let t = text(lang);
    match cfg {
        ModemConfig::At(_) if agent_running => Some(Check::warn(
            format!("modem {}", cfg.name()),
            fill(t.modem_in_use, &[("route", &modem_route(cfg, lang))]),
            t.modem_in_use_fix,
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
    let lang = ctx.lang;
    let t = text(lang);
    if let Some(busy) = modem_in_use(cfg, agent_running, lang) {
        return vec![busy];
    }
    let name = format!("modem {}", cfg.name());
    let late = |what: &str| {
        Check::fail(
            name.clone(),
            fill(
                t.modem_hangs,
                &[("route", &modem_route(cfg, lang)), ("what", &what)],
            ),
            t.modem_hangs_fix,
        )
    };
    let mut m = match tokio::time::timeout_at(deadline, modem::open(cfg)).await {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return vec![modem_failure(cfg, &e, lang)],
        Err(_) => return vec![late(t.modem_while_opening)],
    };
    let info = tokio::time::timeout_at(deadline, m.info())
        .await
        .unwrap_or_else(|_| ModemInfo {
            name: cfg.name().to_owned(),
            ..ModemInfo::default()
        });
    match tokio::time::timeout_at(deadline, m.sample()).await {
        Ok(Ok(sample)) => {
            let mut checks = vec![modem_answering(cfg, &info, lang)];
            checks.extend(signal_checks(cfg.name(), &sample, ctx));
            checks
        }
        Ok(Err(e)) => vec![modem_failure(cfg, &e, lang)],
        Err(_) => vec![late(t.modem_while_sampling)],
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
        let c = modem_in_use(&at, true, Lang::En).unwrap();
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.detail.contains("/dev/ttyusb2") || c.detail.contains("/dev/ttyUSB2"),
            "{c:?}"
        );
        assert!(modem_in_use(&at, false, Lang::En).is_none());
        assert!(modem_in_use(&sim, true, Lang::En).is_none());
    }
}

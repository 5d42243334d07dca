//! ModemManager through its command-line client: pure readers of `mmcli -J` documents and the
//! [`MmcliModem`] driver that runs `mmcli` through a [`CommandRunner`].
//!
//! Documents read (key paths from ModemManager `cli/mmcli-output.c`):
//!
//! - `mmcli -m N -J`: `modem.dbus-path`, `modem.generic.{state, access-technologies[],
//!   signal-quality.{value,recent}, sim, model, manufacturer, equipment-identifier,
//!   unlock-required}`, `modem.3gpp.{registration-state, operator-code, operator-name, imei}`.
//! - `mmcli -m N --signal-get -J`: `modem.signal.refresh.rate` and
//!   `modem.signal.{gsm,umts,lte,5g}.{rssi,rscp,ecio,rsrp,rsrq,snr}`.
//! - `mmcli -i N -J`: `sim.properties.{imsi, iccid, operator-code, operator-name}`.
//! - `mmcli -m N --location-get -J`: `modem.location.3gpp.{mcc, mnc, lac, tac, cid}`.
//! - `mmcli -L -J`: `modem-list[]`.
//!
//! Missing values are the string `"--"`; numbers are strings, sometimes with a decimal comma
//! (`"-95,5"`, locale-dependent builds). The key-value form (`-K`, `modem.signal.lte.rsrp : -95`)
//! is read too, by turning it into the same JSON tree.
//!
//! Driver invariants: extended signal values exist only after `--signal-setup=SECS`; the
//! driver arms it whenever the refresh rate reads 0 or the modem's D-Bus path changed (a
//! ModemManager restart renumbers modems and forgets the setup). A modem that vanished is
//! found again by its equipment identifier.
//!
//! The readers are in `parse.rs` (pure, re-exported here); this file is the driver.

mod parse;

pub use parse::{
    MmcliLocation, MmcliSignal, MmcliSim, MmcliStatus, apply_location, apply_signal, apply_sim,
    apply_status, human_document, keyvalue_document, parse_location_json, parse_modem_json,
    parse_modem_list, parse_signal_json, parse_sim_json, reg_from_mm, tech_from_access,
};

use std::time::Duration;

use coverage_shared::wire::ModemInfo;
use futures::future::BoxFuture;
use serde_json::Value;

use super::observe::Observation;
use super::{ModemError, ModemSample};

/// The program run by [`MmcliModem`].
pub const MMCLI: &str = "mmcli";

/// Runs a program and returns its standard output: the seam between [`MmcliModem`] and the
/// system. The real one is [`TokioCommandRunner`]; tests replay captured output.
pub trait CommandRunner: Send + Sync {
    /// Runs `program args...`; a non-zero exit is an error carrying standard error.
    fn run<'a>(
        &'a self,
        program: &'a str,
        args: &'a [String],
    ) -> BoxFuture<'a, Result<String, ModemError>>;
}

/// Runs commands with `tokio::process`, killing them after a timeout.
#[derive(Debug, Clone)]
pub struct TokioCommandRunner {
    /// How long a command may run.
    pub timeout: Duration,
}

impl CommandRunner for TokioCommandRunner {
    fn run<'a>(
        &'a self,
        program: &'a str,
        args: &'a [String],
    ) -> BoxFuture<'a, Result<String, ModemError>> {
        Box::pin(async move {
            let command = format!("{program} {}", args.join(" "));
            let mut cmd = tokio::process::Command::new(program);
            cmd.args(args)
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true);
            let out = tokio::time::timeout(self.timeout, cmd.output())
                .await
                .map_err(|_| ModemError::Timeout {
                    command: command.clone(),
                    port: program.to_string(),
                    after: self.timeout,
                    partial: String::new(),
                })?
                .map_err(|source| ModemError::Spawn {
                    command: command.clone(),
                    source,
                })?;
            if !out.status.success() {
                return Err(ModemError::CommandFailed {
                    command,
                    status: out.status.code(),
                    stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                });
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        })
    }
}

/// A modem driven through ModemManager's `mmcli`.
pub struct MmcliModem {
    name: String,
    index: Option<u32>,
    refresh: Duration,
    runner: Box<dyn CommandRunner>,
    /// D-Bus path of the modem in use.
    path: Option<String>,
    /// Equipment identifier of the modem in use, to find it again after a restart.
    equipment_id: Option<String>,
    /// The path on which `--signal-setup` was last issued.
    armed: Option<String>,
    status: Option<MmcliStatus>,
    sim: Option<MmcliSim>,
}

impl std::fmt::Debug for MmcliModem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmcliModem")
            .field("name", &self.name)
            .field("index", &self.index)
            .field("path", &self.path)
            .field("armed", &self.armed)
            .finish_non_exhaustive()
    }
}

impl MmcliModem {
    /// A driver for modem `index` (any modem when `None`), arming extended signal polling at
    /// `signal_refresh`, running `mmcli` through `runner`.
    pub fn new(
        name: impl Into<String>,
        index: Option<u32>,
        signal_refresh: Duration,
        runner: Box<dyn CommandRunner>,
    ) -> Self {
        MmcliModem {
            name: name.into(),
            index,
            refresh: signal_refresh,
            runner,
            path: None,
            equipment_id: None,
            armed: None,
            status: None,
            sim: None,
        }
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self, args: &[&str]) -> Result<String, ModemError> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        self.runner.run(MMCLI, &args).await
    }

    async fn json(&self, args: &[&str]) -> Result<Value, ModemError> {
        let out = self.run(args).await?;
        serde_json::from_str(&out).map_err(|e| ModemError::Decode {
            command: format!("{MMCLI} {}", args.join(" ")),
            reply: out.chars().take(400).collect(),
            reason: e.to_string(),
        })
    }

    async fn status_of(&self, target: &str) -> Result<MmcliStatus, ModemError> {
        let v = self.json(&["-m", target, "-J"]).await?;
        parse_modem_json(&v).ok_or_else(|| ModemError::Decode {
            command: format!("{MMCLI} -m {target} -J"),
            reply: v.to_string().chars().take(400).collect(),
            reason: "no modem object".into(),
        })
    }

    /// Finds the modem: the known path, else the configured index, else (after a
    /// ModemManager restart renumbered it) the listed modem with the same equipment id, else
    /// the only or first listed modem.
    async fn resolve(&mut self) -> Result<MmcliStatus, ModemError> {
        let target = self
            .path
            .clone()
            .or_else(|| self.index.map(|i| i.to_string()));
        let mut first_err = None;
        if let Some(t) = target {
            match self.status_of(&t).await {
                Ok(s) => return Ok(self.adopt(s)),
                Err(e) => first_err = Some(e),
            }
        }
        let list = parse_modem_list(&self.json(&["-L", "-J"]).await?);
        let mut candidates = Vec::new();
        for p in &list {
            if let Ok(s) = self.status_of(p).await {
                candidates.push(s);
            }
        }
        let chosen = match &self.equipment_id {
            Some(id) => candidates
                .iter()
                .position(|s| s.equipment_id.as_deref() == Some(id)),
            None if self.index.is_none() || candidates.len() == 1 => {
                (!candidates.is_empty()).then_some(0)
            }
            None => None,
        };
        match chosen {
            Some(i) => {
                let s = candidates.swap_remove(i);
                tracing::info!(modem = %self.name, path = ?s.dbus_path, "ModemManager modem found.");
                Ok(self.adopt(s))
            }
            None => Err(first_err.unwrap_or(ModemError::NotFound {
                what: match self.index {
                    Some(i) => format!("with index {i} ({} modems listed)", list.len()),
                    None => "at all (mmcli -L lists none)".to_string(),
                },
            })),
        }
    }

    fn adopt(&mut self, s: MmcliStatus) -> MmcliStatus {
        if s.dbus_path.is_some() {
            self.path = s.dbus_path.clone();
        }
        if s.equipment_id.is_some() {
            self.equipment_id = s.equipment_id.clone();
        }
        self.status = Some(s.clone());
        s
    }

    async fn signal(&self, path: &str) -> Result<MmcliSignal, ModemError> {
        let v = self.json(&["-m", path, "--signal-get", "-J"]).await?;
        parse_signal_json(&v).ok_or_else(|| ModemError::Decode {
            command: format!("{MMCLI} -m {path} --signal-get -J"),
            reply: v.to_string().chars().take(400).collect(),
            reason: "no modem.signal object".into(),
        })
    }

    /// Takes one sample: modem status, extended signal (arming it when needed) and SIM.
    pub async fn sample(&mut self) -> Result<ModemSample, ModemError> {
        let status = match self.resolve().await {
            Ok(s) => s,
            Err(e) => {
                // Forget the path so the next sample searches again.
                self.path = None;
                return Err(e);
            }
        };
        let path = self
            .path
            .clone()
            .or_else(|| self.index.map(|i| i.to_string()))
            .unwrap_or_else(|| "any".to_string());
        let mut obs = Observation::new();
        apply_status(&mut obs, &status);

        let mut signal = self.signal(&path).await;
        let needs_setup = match &signal {
            Ok(s) => s.refresh_rate_s == Some(0.0) || self.armed.as_deref() != Some(path.as_str()),
            Err(_) => false,
        };
        if needs_setup && !self.refresh.is_zero() {
            let secs = self.refresh.as_secs().max(1);
            let arg = format!("--signal-setup={secs}");
            match self.run(&["-m", &path, &arg]).await {
                Ok(_) => {
                    tracing::info!(modem = %self.name, path = %path, secs, "Extended signal polling armed.");
                    self.armed = Some(path.clone());
                    obs.note(format!("extended signal polling armed at {secs} s"));
                    signal = self.signal(&path).await;
                }
                Err(e) => {
                    tracing::warn!(modem = %self.name, error = %e, "Could not arm extended signal polling.");
                    obs.note(format!("signal setup failed: {e}"));
                }
            }
        }
        match &signal {
            Ok(s) => apply_signal(&mut obs, s),
            Err(e) => obs.note(format!("no extended signal: {e}")),
        }

        if let Some(sim_path) = status.sim_path.clone() {
            let cached = self
                .sim
                .as_ref()
                .is_some_and(|s| s.dbus_path.as_deref() == Some(sim_path.as_str()));
            if !cached {
                match self
                    .json(&["-i", &sim_path, "-J"])
                    .await
                    .map(|v| parse_sim_json(&v))
                {
                    Ok(Some(s)) => self.sim = Some(s),
                    Ok(None) => obs.note("SIM document without a sim object"),
                    Err(e) => obs.note(format!("SIM not read: {e}")),
                }
            }
        } else {
            self.sim = None;
        }
        if let Some(s) = &self.sim {
            apply_sim(&mut obs, s);
        }
        Ok(ModemSample::from_interpreted(obs.finish()))
    }

    /// Model, IMEI, ICCID and SIM state for heartbeats (from the last status, refreshed when
    /// there is none).
    pub async fn info(&mut self) -> ModemInfo {
        if self.status.is_none() {
            let _ = self.resolve().await;
        }
        let s = self.status.clone().unwrap_or_default();
        let sim_state = if self.status.is_none() {
            None
        } else if let Some(lock) = s.unlock_required.as_deref().filter(|l| *l != "none") {
            Some(format!("{lock}-required"))
        } else if s.sim_path.is_none() {
            Some("absent".to_string())
        } else {
            Some("ready".to_string())
        };
        ModemInfo {
            name: self.name.clone(),
            model: s.model.clone(),
            imei: s.imei.clone().or(s.equipment_id.clone()),
            iccid: self.sim.as_ref().and_then(|s| s.iccid.clone()),
            sim_state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coverage_shared::wire::{Plmn, Reg, Tech};
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use crate::modem::fixture;

    type Answers = Vec<(String, VecDeque<Result<String, String>>)>;

    /// Replays canned outputs keyed by the argument line, recording every call.
    struct Replay {
        answers: Mutex<Answers>,
        calls: Mutex<Vec<String>>,
    }

    impl Replay {
        fn new(answers: &[(&str, &[Result<&str, &str>])]) -> Self {
            Replay {
                answers: Mutex::new(
                    answers
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.to_string(),
                                v.iter()
                                    .map(|r| r.map(str::to_string).map_err(str::to_string))
                                    .collect(),
                            )
                        })
                        .collect(),
                ),
                calls: Mutex::new(Vec::new()),
            }
        }
    }

    impl CommandRunner for std::sync::Arc<Replay> {
        fn run<'a>(
            &'a self,
            _program: &'a str,
            args: &'a [String],
        ) -> BoxFuture<'a, Result<String, ModemError>> {
            let line = args.join(" ");
            self.calls.lock().unwrap().push(line.clone());
            let mut answers = self.answers.lock().unwrap();
            let answer = answers
                .iter_mut()
                .find(|(k, _)| *k == line)
                .and_then(|(_, q)| {
                    if q.len() > 1 {
                        q.pop_front()
                    } else {
                        q.front().cloned()
                    }
                });
            let out = match answer {
                Some(Ok(s)) => Ok(s),
                Some(Err(e)) => Err(ModemError::CommandFailed {
                    command: line,
                    status: Some(1),
                    stderr: e,
                }),
                None => Err(ModemError::CommandFailed {
                    stderr: format!("no answer for {line}"),
                    command: line,
                    status: Some(1),
                }),
            };
            Box::pin(async move { out })
        }
    }

    #[tokio::test]
    async fn arms_signal_and_rearms_after_restart() {
        let modem3 = fixture("mmcli-m-json-huawei-e3131-connected-3g.json");
        let modem4 = modem3.replace("Modem/3", "Modem/4");
        let unconfigured = fixture("mmcli-signal-get-json-unconfigured.json");
        let armed = r#"{"modem":{"signal":{"umts":{"rscp":"-87.00","ecio":"-6.50","rssi":"-71.00"},"refresh":{"rate":"30"}}}}"#;
        let sim = r#"{"sim":{"dbus-path":"/org/freedesktop/ModemManager1/SIM/3","properties":{"active":"yes","iccid":"89840480000123456789","imsi":"452040123456789","operator-code":"45204","operator-name":"Viettel"}}}"#;
        let p3 = "/org/freedesktop/ModemManager1/Modem/3";
        let p4 = "/org/freedesktop/ModemManager1/Modem/4";
        let replay = std::sync::Arc::new(Replay::new(&[
            ("-m 3 -J", &[Ok(modem3.as_str())]),
            (&format!("-m {p3} -J"), &[Err("error: couldn't find modem")]),
            (
                &format!("-m {p3} --signal-get -J"),
                &[Ok(unconfigured.as_str()), Ok(armed)],
            ),
            (
                &format!("-m {p3} --signal-setup=30"),
                &[Ok("successfully setup signal")],
            ),
            (
                "-L -J",
                &[Ok(
                    r#"{"modem-list":["/org/freedesktop/ModemManager1/Modem/4"]}"#,
                )],
            ),
            (&format!("-m {p4} -J"), &[Ok(modem4.as_str())]),
            (
                &format!("-m {p4} --signal-get -J"),
                &[Ok(unconfigured.as_str()), Ok(armed)],
            ),
            (
                &format!("-m {p4} --signal-setup=30"),
                &[Ok("successfully setup signal")],
            ),
            ("-i /org/freedesktop/ModemManager1/SIM/3 -J", &[Ok(sim)]),
        ]));
        let mut m = MmcliModem::new(
            "m0",
            Some(3),
            Duration::from_secs(30),
            Box::new(replay.clone()),
        );
        let s = m.sample().await.unwrap();
        assert_eq!(s.radio.tech, Tech::Gsm);
        assert_eq!(s.radio.reg, Reg::Home);
        assert_eq!(s.radio.rscp_dbm, Some(-87.0));
        assert_eq!(s.operator.as_ref().map(Plmn::id).as_deref(), Some("452-04"));
        assert_eq!(
            s.operator.as_ref().and_then(|p| p.name.as_deref()),
            Some("Viettel")
        );
        // ModemManager restarted: Modem/3 is gone, the same IMEI is now Modem/4.
        let s = m.sample().await.unwrap();
        assert_eq!(s.radio.ecno_db, Some(-6.5));
        let calls = replay.calls.lock().unwrap().clone();
        assert!(
            calls.contains(&format!("-m {p3} --signal-setup=30")),
            "{calls:#?}"
        );
        assert!(
            calls.contains(&format!("-m {p4} --signal-setup=30")),
            "{calls:#?}"
        );
        let info = m.info().await;
        assert_eq!(info.model.as_deref(), Some("E3131"));
        assert_eq!(info.imei.as_deref(), Some("862570024875048"));
        assert_eq!(info.iccid.as_deref(), Some("89840480000123456789"));
        assert_eq!(info.sim_state.as_deref(), Some("ready"));
    }
}

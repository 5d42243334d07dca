//! Modem drivers: what the cellular modem says about the radio, as [`ModemSample`]s.
//!
//! Three drivers behind one [`Modem`]:
//!
//! - [`MmcliModem`]: ModemManager through `mmcli -J`, commands run through a
//!   [`CommandRunner`] (the seam tests replace).
//! - [`AtModem`]: AT commands on a serial port through an [`AtTransport`] (the seam tests
//!   replace with captured bytes), with a vendor's serving-cell command.
//! - [`SimModem`]: a deterministic simulator for demos and tests.
//!
//! The drivers do I/O only; every reply is decoded by pure parsers tested on real captured
//! bytes (`agent/tests/fixtures/modem/`): [`gpp`] (27.007: `+CSQ`, `+CESQ`, `+CxREG`, `+COPS`,
//! `+CIMI`, ...), [`quectel`] (`+QENG`, `+QCSQ`), [`quectel_info`] (`+QNWINFO`, `+QSPN`,
//! `+QCAINFO`), [`huawei`] (`^HCSQ`, `^SYSINFO`, `^SYSINFOEX`), [`simcom`] (`+CPSI`), [`sierra`]
//! (`!GSTATUS`, `!LTEINFO`) and [`mmcli`]. [`observe`] combines several replies into one view, and
//! [`decode()`] is `coverage-agent decode` for a technician's pasted reply.
//!
//! Invariants (DESIGN.md, wire format `signal`): values are raw and never classified; an
//! unknown marker is `None`, never a number; `reg` is the data registration (`+CGREG`,
//! `+CEREG`, `+C5GREG`), never `+CREG`; a modem with no serving cell gives `tech: none`.

pub mod at;
pub mod bands;
pub mod config;
pub mod decode;
pub mod fields;
pub mod gpp;
pub mod huawei;
pub mod mmcli;
pub mod observe;
pub mod quectel;
pub mod quectel_info;
pub mod sierra;
pub mod sim;
pub mod simcom;

use std::time::Duration;

use coverage_shared::wire::{ModemInfo, Plmn, RadioValues, Reg, Tech};

pub use at::{AtModem, AtTransport, SerialTransport};
pub use config::{AtConfig, MmcliConfig, ModemConfig, SimulatedConfig, Vendor};
pub use decode::{DecodeError, DecodeFormat, Decoded, decode};
pub use mmcli::{CommandRunner, MmcliModem, TokioCommandRunner};
pub use sim::{SimModem, SimPreset, SimProfile};

/// One sample of one modem: what a `signal` reading needs from the modem.
#[derive(Debug, Clone, PartialEq)]
pub struct ModemSample {
    /// The SIM's home network (from the IMSI or ModemManager's SIM), when known.
    pub operator: Option<Plmn>,
    /// The network in use, only when it is known and differs from `operator` (DESIGN.md:
    /// `serving` is written when different). With `operator` unknown it is kept.
    pub serving: Option<Plmn>,
    /// Technology, registration, values and cell.
    pub radio: RadioValues,
    /// How values were decoded where it matters (e.g. "nr sinr scaled from 0.1 dB").
    pub notes: Vec<String>,
}

impl ModemSample {
    /// Builds a sample from an [`observe::Interpreted`]: an unknown technology becomes
    /// `none` and an unknown registration `unknown` (both with a note), since the wire format
    /// requires them.
    pub fn from_interpreted(i: observe::Interpreted) -> Self {
        let mut notes = i.notes;
        let tech = i.tech.unwrap_or_else(|| {
            notes.push("technology not reported; sent as none".into());
            Tech::None
        });
        let reg = i.reg.unwrap_or_else(|| {
            notes.push("data registration not reported; sent as unknown".into());
            Reg::Unknown
        });
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
        let serving = match (&i.home, i.serving) {
            (Some(h), Some(s)) if h.mcc == s.mcc && h.mnc == s.mnc => None,
            (_, s) => s,
        };
        ModemSample {
            operator: i.home,
            serving,
            radio: RadioValues {
                tech,
                reg,
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
            },
            notes,
        }
    }
}

/// Why a modem could not be sampled or opened. Each variant names the command and the port
/// or program, and carries the reply where there was one.
#[derive(Debug, thiserror::Error)]
pub enum ModemError {
    /// A program could not be started (e.g. `mmcli` not installed).
    #[error("could not run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A program exited with a failure.
    #[error("`{command}` failed with exit status {status:?}: {stderr}")]
    CommandFailed {
        /// The command line.
        command: String,
        /// Exit code (`None` when killed by a signal).
        status: Option<i32>,
        /// What it printed on standard error.
        stderr: String,
    },
    /// No answer within the timeout.
    #[error("`{command}` on {port} got no final result within {after:?} (received {partial:?})")]
    Timeout {
        /// The command.
        command: String,
        /// The serial port or program.
        port: String,
        /// The timeout.
        after: Duration,
        /// What was received before the deadline.
        partial: String,
    },
    /// The serial port could not be opened.
    #[error("cannot open serial port {port}: {source}")]
    Port {
        /// The device path.
        port: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the port failed.
    #[error("I/O error on {port} during `{command}`: {source}")]
    Io {
        /// The device path.
        port: String,
        /// The command being run.
        command: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The modem answered `ERROR` or `+CME ERROR`.
    #[error("`{command}` on {port} failed: {reply}")]
    At {
        /// The command.
        command: String,
        /// The device path.
        port: String,
        /// The final result line (`ERROR`, `+CME ERROR: 10`, ...).
        reply: String,
    },
    /// A reply could not be decoded.
    #[error("could not decode the reply to `{command}`: {reason} (reply {reply:?})")]
    Decode {
        /// The command.
        command: String,
        /// The reply, shortened.
        reply: String,
        /// What was wrong.
        reason: String,
    },
    /// ModemManager does not know the modem.
    #[error("no ModemManager modem {what}")]
    NotFound {
        /// Which modem was looked for.
        what: String,
    },
    /// The configuration is invalid.
    #[error("invalid modem configuration: {0}")]
    Config(String),
}

/// A modem of any driver.
// One per configured modem, long-lived: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Modem {
    /// The simulator.
    Simulated(SimModem),
    /// ModemManager.
    Mmcli(MmcliModem),
    /// AT commands.
    At(AtModem),
}

impl Modem {
    /// The configured name (the `modem` field of readings).
    pub fn name(&self) -> &str {
        match self {
            Modem::Simulated(m) => m.name(),
            Modem::Mmcli(m) => m.name(),
            Modem::At(m) => m.name(),
        }
    }

    /// Takes one sample now.
    pub async fn sample(&mut self) -> Result<ModemSample, ModemError> {
        match self {
            Modem::Simulated(m) => Ok(m.sample_at(chrono::Utc::now())),
            Modem::Mmcli(m) => m.sample().await,
            Modem::At(m) => m.sample().await,
        }
    }

    /// Model, IMEI, ICCID and SIM state for heartbeats; what cannot be read is left out.
    pub async fn info(&mut self) -> ModemInfo {
        match self {
            Modem::Simulated(m) => m.info(),
            Modem::Mmcli(m) => m.info().await,
            Modem::At(m) => m.info().await,
        }
    }
}

/// Opens the modem a configuration describes. Opening the serial port is the only I/O done
/// here; ModemManager is first asked at the first sample, so an agent starts even while
/// ModemManager is still probing.
pub async fn open(cfg: &ModemConfig) -> Result<Modem, ModemError> {
    cfg.validate()?;
    Ok(match cfg {
        ModemConfig::Simulated(c) => {
            Modem::Simulated(SimModem::new(&c.name, c.seed, c.effective_profile()))
        }
        ModemConfig::Mmcli(c) => Modem::Mmcli(MmcliModem::new(
            &c.name,
            c.index,
            c.signal_refresh,
            Box::new(TokioCommandRunner { timeout: c.timeout }),
        )),
        ModemConfig::At(c) => {
            let transport = SerialTransport::open(&c.port, c.baud)?;
            Modem::At(AtModem::new(
                &c.name,
                &c.port,
                c.vendor,
                c.timeout,
                Box::new(transport),
            ))
        }
    })
}

/// A captured modem reply from `agent/tests/fixtures/modem/` (real bytes, for parser tests).
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> String {
    let p = format!("{}/tests/fixtures/modem/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// Samplers run in spawned tasks: the futures must be `Send`.
    #[allow(dead_code)]
    fn futures_are_send(m: &mut Modem) {
        assert_send(&m.sample());
        assert_send(&m.info());
    }

    #[tokio::test]
    async fn open_simulated_and_missing_port() {
        let cfg: ModemConfig =
            toml::from_str("driver = \"simulated\"\nname = \"s\"\nseed = 1\npreset = \"strong\"\n")
                .unwrap();
        let mut m = open(&cfg).await.unwrap();
        let s = m.sample().await.unwrap();
        assert_ne!(s.radio.tech, Tech::None);
        assert_eq!(m.info().await.name, "s");
        let cfg: ModemConfig =
            toml::from_str("driver = \"at\"\nname = \"a\"\nport = \"/dev/does-not-exist\"\n")
                .unwrap();
        let e = open(&cfg).await.unwrap_err();
        assert!(e.to_string().contains("/dev/does-not-exist"), "{e}");
    }
}

//! Modem configuration: one TOML table per modem, tagged by `driver`.
//!
//! ```toml
//! [[modems]]
//! driver = "mmcli"          # ModemManager
//! name = "wwan0"
//! index = 0                 # optional: any modem when absent
//! signal_refresh = "30s"    # --signal-setup period
//!
//! [[modems]]
//! driver = "at"             # AT commands on a serial port
//! name = "quectel"
//! port = "/dev/ttyUSB2"
//! baud = 115200
//! vendor = "quectel"        # generic | quectel | huawei | simcom | sierra
//! timeout = "5s"
//!
//! [[modems]]
//! driver = "simulated"      # deterministic demo modem
//! name = "sim0"
//! seed = 42
//! preset = "weak"           # strong | moderate | weak | flaky | dead
//! ```
//!
//! A `profile` table replaces the preset entirely (every key defaults to the `moderate`
//! preset's value); see [`SimProfile`]. Unknown keys are rejected, naming the key.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ModemError;
use super::sim::{SimPreset, SimProfile};

/// One modem's configuration, tagged by `driver`.
// Built once per modem at start-up: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "driver", rename_all = "lowercase")]
pub enum ModemConfig {
    /// The deterministic simulator.
    Simulated(SimulatedConfig),
    /// ModemManager through `mmcli`.
    Mmcli(MmcliConfig),
    /// AT commands on a serial port.
    At(AtConfig),
}

impl ModemConfig {
    /// The modem's name (the `modem` field of its readings).
    pub fn name(&self) -> &str {
        match self {
            ModemConfig::Simulated(c) => &c.name,
            ModemConfig::Mmcli(c) => &c.name,
            ModemConfig::At(c) => &c.name,
        }
    }

    /// Checks the settings serde cannot: non-empty names, probabilities within 0..1, a
    /// positive baud rate and timeouts. The error names the key.
    pub fn validate(&self) -> Result<(), ModemError> {
        let bad = |key: &str, why: &str| {
            Err(ModemError::Config(format!(
                "modem {:?}: `{key}` {why}",
                self.name()
            )))
        };
        if self.name().trim().is_empty() {
            return bad("name", "must not be empty");
        }
        match self {
            ModemConfig::Simulated(c) => {
                if let Some(p) = &c.profile {
                    p.validate()
                        .map_err(|e| ModemError::Config(format!("modem {:?}: {e}", c.name)))?;
                }
            }
            ModemConfig::Mmcli(c) => {
                if c.timeout.is_zero() {
                    return bad("timeout", "must be positive");
                }
            }
            ModemConfig::At(c) => {
                if c.port.trim().is_empty() {
                    return bad("port", "must name a serial device");
                }
                if c.baud == 0 {
                    return bad("baud", "must be positive");
                }
                if c.timeout.is_zero() {
                    return bad("timeout", "must be positive");
                }
            }
        }
        Ok(())
    }
}

/// `driver = "simulated"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatedConfig {
    /// Modem name.
    pub name: String,
    /// Seed: the same seed and timestamps give the same samples.
    #[serde(default)]
    pub seed: u64,
    /// A ready-made profile, used when `profile` is absent.
    #[serde(default)]
    pub preset: SimPreset,
    /// A full profile; replaces the preset.
    #[serde(default)]
    pub profile: Option<SimProfile>,
}

impl SimulatedConfig {
    /// The profile in force: `profile` if given, else the preset's.
    pub fn effective_profile(&self) -> SimProfile {
        self.profile
            .clone()
            .unwrap_or_else(|| self.preset.profile())
    }
}

/// `driver = "mmcli"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MmcliConfig {
    /// Modem name.
    pub name: String,
    /// ModemManager modem index (`mmcli -m N`); the first modem when absent. After a
    /// ModemManager restart renumbers modems, the same modem is found by its IMEI.
    #[serde(default)]
    pub index: Option<u32>,
    /// Extended signal polling period given to `--signal-setup`.
    #[serde(default = "default_signal_refresh", with = "humantime_serde")]
    pub signal_refresh: Duration,
    /// How long one `mmcli` call may take.
    #[serde(default = "default_mmcli_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

/// Which vendor's serving-cell command an AT modem answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    /// 27.007 commands only.
    #[default]
    Generic,
    /// Quectel: `AT+QENG="servingcell"`.
    Quectel,
    /// Huawei: `AT^HCSQ?`.
    Huawei,
    /// SIMCom: `AT+CPSI?`.
    Simcom,
    /// Sierra Wireless: `AT!GSTATUS?`.
    Sierra,
}

impl Vendor {
    /// The vendor's serving-cell command, if it has one.
    pub fn serving_cell_command(self) -> Option<&'static str> {
        match self {
            Vendor::Generic => None,
            Vendor::Quectel => Some("AT+QENG=\"servingcell\""),
            Vendor::Huawei => Some("AT^HCSQ?"),
            Vendor::Simcom => Some("AT+CPSI?"),
            Vendor::Sierra => Some("AT!GSTATUS?"),
        }
    }
}

/// `driver = "at"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtConfig {
    /// Modem name.
    pub name: String,
    /// Serial device of the AT port (`/dev/ttyUSB2`); not the one ModemManager uses.
    pub port: String,
    /// Baud rate (USB modems ignore it).
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Vendor, choosing the serving-cell command.
    #[serde(default)]
    pub vendor: Vendor,
    /// How long one command may take to answer.
    #[serde(default = "default_at_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

fn default_signal_refresh() -> Duration {
    Duration::from_secs(30)
}

fn default_mmcli_timeout() -> Duration {
    Duration::from_secs(20)
}

fn default_baud() -> u32 {
    115_200
}

fn default_at_timeout() -> Duration {
    Duration::from_secs(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        modems: Vec<ModemConfig>,
    }

    #[test]
    fn module_doc_example_parses() {
        let toml_text = r#"
[[modems]]
driver = "mmcli"
name = "wwan0"
index = 0
signal_refresh = "30s"

[[modems]]
driver = "at"
name = "quectel"
port = "/dev/ttyUSB2"
baud = 115200
vendor = "quectel"
timeout = "5s"

[[modems]]
driver = "simulated"
name = "sim0"
seed = 42
preset = "weak"

[[modems]]
driver = "simulated"
name = "sim1"
[modems.profile]
home = { mcc = "452", mnc = "01", name = "VinaPhone" }
tech_mix = { lte = 0.7, umts = 0.2, gsm = 0.1 }
lte = { mean_dbm = -95.0, sigma_db = 6.0 }
p_no_service = 0.02
"#;
        let f: File = toml::from_str(toml_text).unwrap();
        assert_eq!(f.modems.len(), 4);
        match &f.modems[0] {
            ModemConfig::Mmcli(c) => {
                assert_eq!(c.index, Some(0));
                assert_eq!(c.signal_refresh, Duration::from_secs(30));
            }
            other => panic!("{other:?}"),
        }
        match &f.modems[1] {
            ModemConfig::At(c) => {
                assert_eq!(c.vendor, Vendor::Quectel);
                assert_eq!(c.timeout, Duration::from_secs(5));
            }
            other => panic!("{other:?}"),
        }
        match &f.modems[3] {
            ModemConfig::Simulated(c) => {
                let p = c.effective_profile();
                assert_eq!(p.home.mnc, "01");
                assert_eq!(p.tech_mix.umts, 0.2);
                assert_eq!(p.p_no_service, 0.02);
            }
            other => panic!("{other:?}"),
        }
        for m in &f.modems {
            m.validate().unwrap();
        }
    }

    #[test]
    fn unknown_keys_and_drivers_are_rejected() {
        let e = toml::from_str::<File>(
            "[[modems]]\ndriver = \"at\"\nname = \"a\"\nport = \"/dev/x\"\nbaudrate = 9600\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("baudrate"), "{e}");
        let e = toml::from_str::<File>("[[modems]]\ndriver = \"qmi\"\nname = \"a\"\n").unwrap_err();
        assert!(e.to_string().contains("qmi"), "{e}");
        let bad = ModemConfig::At(AtConfig {
            name: "a".into(),
            port: "/dev/x".into(),
            baud: 0,
            vendor: Vendor::Generic,
            timeout: Duration::from_secs(1),
        });
        assert!(bad.validate().unwrap_err().to_string().contains("baud"));
    }
}

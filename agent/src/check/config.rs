//! The `config` check: the config loads (with what it holds), or the loader's error naming
//! the file and the key, with the fix.

use super::report::Check;
use crate::config::{AgentConfig, ConfigError};

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

pub(super) fn config_pass(cfg: &AgentConfig) -> Check {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use std::path::Path;

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
}

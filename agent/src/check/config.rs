//! The `config` check: the config loads (with what it holds), or the loader's error naming
//! the file and the key, with the fix; and the warning for a config without a modem. A TOML
//! error keeps the parser's layout (the line, the caret under the key), with the nearest known
//! key for an unknown one.

use super::report::{Check, counted};
use crate::config::{AgentConfig, ConfigError};
use coverage_shared::text::agent::text;
use coverage_shared::text::{Lang, fill};

/// The `config` check for a config that does not load: the error names the file and the key.
pub fn config_failure(e: &ConfigError, lang: Lang) -> Check {
    let t = text(lang);
    let fix = match e {
        ConfigError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            t.config_fix_missing.to_owned()
        }
        ConfigError::Read { .. } => t.config_fix_unreadable.to_owned(),
        ConfigError::Parse { .. } => t.config_fix_parse.to_owned(),
        ConfigError::Invalid { key, .. } => fill(t.config_fix_invalid, &[("key", key)]),
    };
    let detail = match e {
        // The parser's words are its own (English); the hint is ours, in the language.
        ConfigError::Parse {
            file,
            message,
            hint,
        } => {
            let mut d = format!("{}: {message}", file.display());
            if let Some(h) = hint {
                d.push('\n');
                d.push_str(&h.sentence(lang));
            }
            d
        }
        other => other.to_string(),
    };
    Check::fail("config", detail, fix)
}

pub(super) fn config_pass(cfg: &AgentConfig, lang: Lang) -> Check {
    let t = text(lang);
    Check::pass(
        "config",
        fill(
            t.config_ok,
            &[
                ("file", &cfg.file.display()),
                ("site", &cfg.site.id),
                (
                    "modems",
                    &counted(t, cfg.modems.len(), t.word_modem, t.word_modems),
                ),
                (
                    "probes",
                    &counted(t, cfg.probes.len(), t.word_probe, t.word_probes),
                ),
            ],
        ),
    )
}

/// The warning for a config without a modem: the site can never count for mobile coverage.
pub fn no_modem_warning(cfg: &AgentConfig, lang: Lang) -> Option<Check> {
    let t = text(lang);
    cfg.modems
        .is_empty()
        .then(|| Check::warn("modem", t.config_no_modem, t.config_no_modem_fix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use std::path::Path;

    const MIN: &str = "[site]\nid = \"s1\"\nlat = 1.0\nlon = 1.0\nplacement = \"indoor\"\n[mqtt]\nurl = \"mqtt://x\"\n";

    #[test]
    fn config_failure_names_file_and_key() {
        let e = AgentConfig::parse(
            &MIN.replace("\"s1\"", "\"s 1\""),
            Path::new("/etc/coverage-agent/agent.toml"),
        )
        .unwrap_err();
        let c = config_failure(&e, Lang::En);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("agent.toml") && c.detail.contains("site.id"),
            "{c:?}"
        );
        assert!(c.fix.unwrap().contains("site.id"));
    }

    #[test]
    fn an_unknown_key_gets_the_nearest_in_the_language() {
        let e = AgentConfig::parse(
            &MIN.replace("lat = 1.0", "latt = 1.0"),
            Path::new("/etc/coverage-agent/agent.toml"),
        )
        .unwrap_err();
        let en = config_failure(&e, Lang::En);
        assert!(
            en.detail
                .ends_with("\nunknown key `latt`; did you mean `lat`?"),
            "{en:?}"
        );
        assert!(en.detail.contains("| ^"), "the caret line is kept: {en:?}");
        let vi = config_failure(&e, Lang::Vi);
        assert!(vi.detail.ends_with("có phải ý bạn là `lat`?"), "{vi:?}");
        assert!(vi.fix.unwrap().starts_with("sửa khóa"));
    }

    #[test]
    fn a_config_without_a_modem_warns() {
        let path = Path::new("/etc/coverage-agent/agent.toml");
        let cfg = AgentConfig::parse(MIN, path).unwrap();
        let w = no_modem_warning(&cfg, Lang::En).unwrap();
        assert_eq!(w.status, Status::Warn);
        assert!(
            w.detail.contains("never count for mobile coverage"),
            "{w:?}"
        );
        let with = AgentConfig::parse(
            &format!("{MIN}[[modems]]\ndriver = \"simulated\"\nname = \"s\"\n"),
            path,
        )
        .unwrap();
        assert!(no_modem_warning(&with, Lang::En).is_none());
        assert_eq!(
            config_pass(&with, Lang::En).detail,
            "/etc/coverage-agent/agent.toml: site s1, 1 modem, 0 probes"
        );
    }
}

//! The error type of both daemons' TOML configuration: every message names the file, and the
//! key where one is at fault (`agent.toml: mqtt.username: ...`).
//!
//! A TOML error keeps the parser's own multi-line layout (the line quoted, the caret under the
//! key); an unknown key also gets the nearest known key ("unknown key `latt`; did you mean
//! `lat`?", [`nearest_key`]), which the agent's `check` words in the technician's language.

use crate::text::{Lang, agent, fill};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a configuration file cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{file}: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The TOML does not parse, or has unknown or mistyped keys (toml's message names the key,
    /// line and column, and quotes the line with a caret under the key).
    #[error("{file}: {message}{}", hint.as_ref().map(|h| format!("\n{}", h.sentence(Lang::En))).unwrap_or_default())]
    Parse {
        /// The file.
        file: PathBuf,
        /// What the TOML parser said (several lines).
        message: String,
        /// For an unknown key: the known key nearest to it.
        hint: Option<KeyHint>,
    },
    /// A value is not acceptable.
    #[error("{file}: {key}: {message}")]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The key (`influx.org`, `sites[3].id`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// An unknown key and the known key nearest to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHint {
    /// The key as written (`latt`).
    pub written: String,
    /// The nearest key the table knows (`lat`).
    pub known: String,
}

impl KeyHint {
    /// "unknown key `latt`; did you mean `lat`?" in `lang`.
    pub fn sentence(&self, lang: Lang) -> String {
        fill(
            agent::text(lang).config_did_you_mean,
            &[("key", &self.written), ("known", &self.known)],
        )
    }
}

impl ConfigError {
    /// A TOML (or serde) error of `file`: the parser's message as it lays it out, and the
    /// nearest known key when the error is an unknown key.
    pub fn toml(file: &Path, e: &toml::de::Error) -> ConfigError {
        let message = e.to_string().trim_end().to_owned();
        ConfigError::Parse {
            file: file.to_owned(),
            hint: nearest_key(e.message()),
            message,
        }
    }
}

/// For serde's "unknown field `latt`, expected one of `id`, `lat`, ..." (or "expected `a` or
/// `b`"), the written key and the nearest expected one, when one is near enough to be a typo:
/// an edit distance (Damerau–Levenshtein) of at most a third of the longer key, and at most 3.
pub fn nearest_key(message: &str) -> Option<KeyHint> {
    let rest = message.strip_prefix("unknown field `")?;
    let (written, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    let known: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|k| !k.is_empty())
        .collect();
    let (best, distance) = known
        .iter()
        .map(|k| (*k, strsim::damerau_levenshtein(written, k)))
        .min_by_key(|(_, d)| *d)?;
    let longer = written.chars().count().max(best.chars().count());
    (distance <= 3 && distance * 3 <= longer.max(3)).then(|| KeyHint {
        written: written.to_owned(),
        known: best.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Site {
        id: String,
        lat: f64,
        lon: f64,
        placement: Option<String>,
    }

    #[test]
    fn an_unknown_key_keeps_the_parsers_layout_and_names_the_nearest_key() {
        let text = "id = \"s1\"\nlatt = 22.1\nlon = 105.8\n";
        let e = toml::from_str::<Site>(text).unwrap_err();
        let err = ConfigError::toml(Path::new("/etc/coverage-agent/agent.toml"), &e);
        let shown = err.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert!(
            lines[0].starts_with("/etc/coverage-agent/agent.toml: TOML parse error at line 2"),
            "{shown}"
        );
        let quoted = lines
            .iter()
            .position(|l| l.ends_with("latt = 22.1"))
            .unwrap();
        let caret = lines[quoted + 1];
        let key_column = lines[quoted].find("latt").unwrap();
        assert_eq!(
            caret.find('^'),
            Some(key_column),
            "caret under the key: {shown}"
        );
        assert_eq!(
            lines.last().unwrap(),
            &"unknown key `latt`; did you mean `lat`?"
        );
        let ConfigError::Parse { hint: Some(h), .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            h.sentence(Lang::Vi),
            "khóa `latt` không tồn tại; có phải ý bạn là `lat`?"
        );
    }

    #[test]
    fn nearest_keys() {
        let m = |w: &str| {
            format!(
                "unknown field `{w}`, expected one of `id`, `lat`, `lon`, `placement`, `antenna`"
            )
        };
        let near = |w: &str| nearest_key(&m(w)).map(|h| h.known);
        assert_eq!(near("latt").as_deref(), Some("lat"));
        assert_eq!(near("placment").as_deref(), Some("placement"));
        assert_eq!(near("antena").as_deref(), Some("antenna"));
        assert_eq!(near("colour"), None, "nothing near enough");
        assert_eq!(
            nearest_key("unknown field `urll`, expected `url` or `username`").map(|h| h.known),
            Some("url".to_owned())
        );
        assert_eq!(nearest_key("invalid type: string, expected f64"), None);
    }
}

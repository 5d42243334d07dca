//! A secret (password, token) that never prints itself.
//!
//! `Debug` and `Display` show `**REDACTED**`, so a config struct holding one can be logged
//! whole. The value is reachable only through [`Secret::expose`], which makes every use
//! greppable.

use serde::{Deserialize, Deserializer};

/// A password or token.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a secret from the first line of a file (trailing newline and spaces removed).
    pub fn from_file_contents(contents: &str) -> Secret {
        Secret(contents.lines().next().unwrap_or("").trim().to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "**REDACTED** **REDACTED**");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(
            Secret::from_file_contents("tok en\nsecond\n").expose(),
            "tok en"
        );
    }
}

//! The report of `coverage-agent check`: one [`Check`] per line (`✔` passed, `!` a warning
//! that does not fail the site, `✘` failed), rendered for the screen ([`Report::render_text`])
//! or as one JSON object ([`Report::to_json`]), and the exit code ([`Report::ok`]).
//!
//! Pure: no I/O. Also the small formatters every check's wording shares (numbers, distances,
//! ages, error chains), so that two checks never word the same value differently.

use serde::Serialize;
use std::fmt::Write as _;

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
pub(super) fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `870 m`, `1.2 km`.
pub(super) fn metres(m: f64) -> String {
    if m < 1000.0 {
        format!("{m:.0} m")
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

/// `45 s`, `12 min`, `3.5 h`, `2.0 days`.
pub(super) fn age(seconds: f64) -> String {
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
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

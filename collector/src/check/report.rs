//! The report of `coverage-collector check`: one [`Check`] per line (`✔` passed, `!` a warning
//! that does not fail the check, `✘` failed), with its fix indented under it and a summary
//! line, laid out as the agent's `coverage-agent check` lays out its screen.
//!
//! Pure: no I/O. The labels and values come from the collector's catalogue
//! (`coverage_shared::text::server`); the fix label and the summary line are the agent's words
//! (`coverage_shared::text::agent`), so both tools end their screen the same way.

use coverage_shared::text::agent::text as agent_text;
use coverage_shared::text::{Lang, fill};
use std::fmt::Write as _;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Works as it should.
    Pass,
    /// Worth a look, but the collector works: does not change the exit code.
    Warn,
    /// Broken: the collector will not receive, store or place readings as it should.
    Fail,
}

impl Status {
    /// The mark at the start of the line (the agent's).
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Pass => "✔",
            Status::Warn => "!",
            Status::Fail => "✘",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked, in the screen's language (`broker`, `database`).
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// What was found, in words.
    pub detail: String,
    /// What to do about it; set on failures and warnings.
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
        Check {
            name: name.into(),
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// A failure with its fix.
    pub fn fail(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name: name.into(),
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Every check of one run, in display order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
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

    /// The screen in `lang`: `✔ name  detail`, the fix indented under it, a summary line.
    pub fn render_text(&self, lang: Lang) -> String {
        let t = agent_text(lang);
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_NAME_WIDTH);
        let indent = width + 4;
        let mut out = String::new();
        for c in &self.checks {
            let pad = width.saturating_sub(c.name.chars().count());
            let _ = writeln!(
                out,
                "{} {}{:pad$}  {}",
                c.status.symbol(),
                c.name,
                "",
                one_line(&c.detail)
            );
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "{:indent$}{} {}", "", t.fix_label, one_line(fix));
            }
        }
        let (pass, warn, fail) = self.counts();
        let n = self.checks.len();
        let checks = fill(
            if n == 1 { t.checks_one } else { t.checks_many },
            &[("n", &n)],
        );
        let warnings = fill(
            if warn == 1 {
                t.warnings_one
            } else {
                t.warnings_many
            },
            &[("n", &warn)],
        );
        let _ = writeln!(
            out,
            "{}",
            fill(
                t.summary,
                &[
                    ("checks", &checks),
                    ("pass", &pass),
                    ("warnings", &warnings),
                    ("fail", &fail),
                ],
            )
        );
        out
    }
}

/// Newlines and runs of whitespace become one space, so a check stays on its line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An error and its sources, joined with `: ` (skipping a source its parent already quotes).
pub fn error_chain(e: &dyn std::error::Error) -> String {
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

    fn sample() -> Report {
        Report {
            checks: vec![
                Check::pass("broker", "connected"),
                Check::warn("site registry", "s1 lies in 01840", "move it"),
                Check::fail("InfluxDB", "cannot reach\nhttp://x", "start it"),
            ],
        }
    }

    #[test]
    fn one_line_per_check_with_fixes_indented_and_a_summary() {
        let text = sample().render_text(Lang::En);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "✔ broker         connected");
        assert_eq!(lines[1], "! site registry  s1 lies in 01840");
        assert_eq!(lines[2], "                 fix: move it");
        assert_eq!(lines[3], "✘ InfluxDB       cannot reach http://x");
        assert_eq!(lines[4], "                 fix: start it");
        assert_eq!(lines[5], "3 checks: 1 passed, 1 warning, 1 failed.");
        let vi = sample().render_text(Lang::Vi);
        assert!(vi.contains("cách sửa: move it"), "{vi}");
        assert!(
            vi.ends_with("3 mục kiểm tra: 1 đạt, 1 cảnh báo, 1 lỗi.\n"),
            "{vi}"
        );
    }

    #[test]
    fn warnings_do_not_fail() {
        let mut r = sample();
        assert!(!r.ok());
        r.checks.pop();
        assert!(r.ok());
        assert_eq!(r.counts(), (1, 1, 0));
    }
}

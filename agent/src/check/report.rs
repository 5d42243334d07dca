//! The report of `coverage-agent check`: one [`Check`] per line (`✔` passed, `!` a warning
//! that does not fail the site, `✘` failed), rendered for the screen ([`Report::render_text`])
//! or as one JSON object ([`Report::to_json`]), and the exit code ([`Report::ok`]).
//!
//! Pure: no I/O. Also the small formatters every check's wording shares (numbers, distances,
//! ages, error chains), so that two checks never word the same value differently.
//!
//! Words come from the agent's catalogue table (`coverage_shared::text::agent`), in the
//! language of `--lang`. A check's `name` stays the English identifier (`probe dc-ping`) in
//! JSON, for scripts; the screen shows its first word in the chosen language.

use coverage_shared::text::agent::{AgentText, text};
use coverage_shared::text::{Lang, fill, format};
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

    /// The screen in `lang`: one line per check (`✔ name  detail`), the fix indented under
    /// it, and a summary line. Details and fixes are kept to one line each, except the config
    /// check's detail, which keeps the TOML parser's layout (the caret under the key).
    pub fn render_text(&self, lang: Lang) -> String {
        let t = text(lang);
        let names: Vec<String> = self
            .checks
            .iter()
            .map(|c| display_name(t, &c.name))
            .collect();
        let width = names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_NAME_WIDTH);
        let indent = width + 4;
        let mut out = String::new();
        for (c, name) in self.checks.iter().zip(&names) {
            let detail = if c.name == "config" && c.detail.contains('\n') {
                // The parser's own layout, indented under the line it belongs to.
                let mut lines = c.detail.lines();
                let first = lines.next().unwrap_or_default().to_owned();
                lines.fold(first, |mut acc, l| {
                    let _ = write!(acc, "\n{:indent$}{l}", "");
                    acc
                })
            } else {
                one_line(&c.detail)
            };
            let pad = width.saturating_sub(name.chars().count());
            let _ = writeln!(out, "{} {name}{:pad$}  {detail}", c.status.symbol(), "");
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

/// A check's name on the screen: its first word (`probe`, `modem`) in the language, the rest
/// (the probe's or modem's own name) as configured.
fn display_name(t: &AgentText, name: &str) -> String {
    let (word, rest) = match name.split_once(' ') {
        Some((w, r)) => (w, Some(r)),
        None => (name, None),
    };
    let word = match word {
        "config" => t.name_config,
        "state" => t.name_state,
        "modem" => t.name_modem,
        "signal" => t.name_signal,
        "network" => t.name_network,
        "probe" => t.name_probe,
        "broker" => t.name_broker,
        "clock" => t.name_clock,
        "commune" => t.name_commune,
        other => other,
    };
    match rest {
        Some(r) => format!("{word} {r}"),
        None => word.to_owned(),
    }
}

/// Newlines and runs of whitespace (from command output, error chains) become one space, so a
/// check stays on its line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `-92`, `-92.5` (`-92,5` in Vietnamese): whole numbers without a decimal point.
pub(crate) fn num(lang: Lang, v: f64) -> String {
    if v.fract() == 0.0 {
        format::decimal(lang, v, 0)
    } else {
        format::decimal(lang, v, 1)
    }
}

/// `870 m`, `1.2 km` (`1,2 km`).
pub(super) fn metres(lang: Lang, m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", format::decimal(lang, m, 0))
    } else {
        format!("{} km", format::decimal(lang, m / 1000.0, 1))
    }
}

/// `45 s`, `12 min`, `3.5 h`, `2.0 days`, in the language's words.
pub(super) fn age(lang: Lang, seconds: f64) -> String {
    let t = text(lang);
    let (template, value) = if seconds < 120.0 {
        (t.unit_s, format::decimal(lang, seconds, 0))
    } else if seconds < 7200.0 {
        (t.unit_min, format::decimal(lang, seconds / 60.0, 0))
    } else if seconds < 172_800.0 {
        (t.unit_h, format::decimal(lang, seconds / 3600.0, 1))
    } else {
        (t.unit_days, format::decimal(lang, seconds / 86_400.0, 1))
    };
    fill(template, &[("n", &value)])
}

/// `{n} {word}` with the singular or plural word.
pub(super) fn counted(t: &AgentText, n: usize, one: &str, many: &str) -> String {
    fill(
        t.count_one,
        &[("n", &n), ("what", &if n == 1 { one } else { many })],
    )
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
        let text = sample_report().render_text(Lang::En);
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
    fn vietnamese_screen_translates_names_and_the_summary() {
        let text = sample_report().render_text(Lang::Vi);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("✔ cấu hình"), "{text}");
        assert!(lines[3].starts_with("✘ đo trễ dc-ping"), "{text}");
        assert!(lines[2].trim_start().starts_with("cách sửa: "), "{text}");
        assert_eq!(lines[5], "3 mục kiểm tra: 1 đạt, 1 cảnh báo, 1 lỗi.");
        assert_eq!(age(Lang::Vi, 5400.0), "90 phút");
        assert_eq!(metres(Lang::Vi, 1234.0), "1,2 km");
        assert_eq!(num(Lang::Vi, -92.5), "-92,5");
    }

    #[test]
    fn the_config_line_keeps_the_parsers_layout() {
        let r = Report {
            checks: vec![Check::fail(
                "config",
                "a.toml: TOML parse error at line 2, column 1\n  |\n2 | latt = 1\n  | ^^^^\nunknown field `latt`",
                "fix it",
            )],
        };
        let text = r.render_text(Lang::En);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "✘ config  a.toml: TOML parse error at line 2, column 1"
        );
        assert_eq!(lines[2], "          2 | latt = 1");
        assert_eq!(
            lines[3], "            | ^^^^",
            "the caret stays under the key"
        );
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
        let text = r.render_text(Lang::En);
        let second = text.lines().nth(1).unwrap();
        assert_eq!(second, format!("✔ {:<24}  d", "y"));
    }
}

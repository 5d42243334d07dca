//! Grafana's interpolation of an InfluxQL query, as far as the provisioned dashboards and alert
//! rules use it: template variables, their formats, and the InfluxQL macros.
//!
//! Exactly the syntax in [`SUPPORTED`] is substituted; anything else that looks like a Grafana
//! variable (`$name` of no known variable, `${name:format}` with another format, `[[name]]`,
//! a macro such as `$__range`) is an error naming it, so a dashboard cannot carry a query that
//! this test would send to InfluxDB half-interpolated.
//!
//! What each substitution gives follows Grafana's documentation (each unit test below cites the
//! page its example comes from) and, where the documentation is silent, Grafana's InfluxDB
//! code: raw queries are interpolated by `InfluxQueryModel.interpolateQueryStr` (plain value for
//! a variable that is neither multi-value nor has an All option; regex-escaped values joined as
//! `(a|b)` otherwise; a custom All value as it is, never escaped) and the macros by the InfluxQL
//! backend (`pkg/tsdb/influxdb/influxql`: `$timeFilter` is `time >= <from>ms and time <= <to>ms`,
//! `$__interval` the interval as text, `$__interval_ms` in milliseconds).

use std::fmt;

use regex::{Captures, Regex};

/// The syntax this module substitutes, one line each: what the dashboards and alert rules may
/// use. Anything else is an [`InterpolateError`].
pub const SUPPORTED: [(&str, &str); 8] = [
    (
        "$timeFilter",
        "time >= <from>ms and time <= <to>ms (epoch milliseconds of the time range)",
    ),
    (
        "$__interval",
        "the interval as Grafana writes it (10s, 1m, 1h, 1d)",
    ),
    ("$__interval_ms", "the interval in milliseconds"),
    (
        "$var",
        "the variable in the data source's default format (InfluxQL: see ${var})",
    ),
    (
        "${var}",
        "as $var: the value as it is for a single-value variable; regex-escaped values as (a|b) \
         for a multi-value one or one with an All option",
    ),
    (
        "${var:regex}",
        "regex-escaped, several values as (a|b), one value without parentheses",
    ),
    (
        "multi-value /^$var$/",
        "/^(a|b)$/ for the selected values a and b",
    ),
    (
        "$__all",
        "the All option: the variable's custom all value as it is (never escaped), else every \
         option's value, as a multi-value selection",
    ),
];

/// What a variable is set to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These values (one for a single-value variable).
    Values(Vec<String>),
    /// The All option (`$__all` in the dashboard's JSON).
    All,
    /// One value set for one panel of a repeated panel (`repeat`): Grafana passes it as a
    /// single string, so a multi-value variable gives its escaped value without parentheses.
    Scoped(String),
}

/// A template variable with its options and the current selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The variable's name (`site` for `$site`).
    pub name: String,
    /// Multi-value variable (`multi: true`).
    pub multi: bool,
    /// The variable offers an All option (`includeAll: true`).
    pub include_all: bool,
    /// The custom all value (`allValue`), when set.
    pub all_value: Option<String>,
    /// The values the variable's query returned (the All option expands to these).
    pub options: Vec<String>,
    /// The current selection.
    pub selection: Selection,
}

/// The context of one query: time range, interval, variables.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Start of the time range, Unix milliseconds.
    pub from_ms: i64,
    /// End of the time range, Unix milliseconds.
    pub to_ms: i64,
    /// The interval `$__interval` stands for, milliseconds.
    pub interval_ms: i64,
    /// The dashboard's variables, already bound.
    pub vars: &'a [Bound],
}

/// Why a query cannot be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolateError {
    /// `$name` names no variable of the dashboard and no supported macro.
    Unknown(String),
    /// `${name:format}` with a format other than the supported ones.
    Format {
        /// The variable.
        name: String,
        /// The format asked for.
        format: String,
    },
    /// Deprecated `[[name]]` syntax, or a macro Grafana knows and this module does not.
    Unsupported(String),
    /// A single-value variable holds several values.
    NotMulti {
        /// The variable.
        name: String,
        /// How many values it holds.
        values: usize,
    },
    /// A variable (or its All option) has no value at all.
    Empty(String),
}

impl fmt::Display for InterpolateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpolateError::Unknown(name) => {
                write!(
                    f,
                    "`${name}` is neither a variable of this dashboard nor a supported macro"
                )
            }
            InterpolateError::Format { name, format } => write!(
                f,
                "`${{{name}:{format}}}`: format `{format}` is not supported (only `regex`)"
            ),
            InterpolateError::Unsupported(what) => {
                write!(
                    f,
                    "`{what}` is not supported (see grafana::interpolate::SUPPORTED)"
                )
            }
            InterpolateError::NotMulti { name, values } => write!(
                f,
                "variable `{name}` is single-value but holds {values} values"
            ),
            InterpolateError::Empty(name) => write!(f, "variable `{name}` has no value"),
        }
    }
}

impl std::error::Error for InterpolateError {}

/// Grafana's variable syntax (`templateSrv`'s pattern): `$name`, `${name}`, `${name:format}`,
/// and the deprecated `[[name]]` / `[[name:format]]`.
fn pattern() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}")
            .unwrap_or_else(|e| panic!("the variable pattern: {e}"))
    })
}

/// Interpolates `query` as Grafana would before sending it to InfluxDB.
pub fn interpolate(query: &str, ctx: &Context<'_>) -> Result<String, InterpolateError> {
    let mut error = None;
    let out = pattern().replace_all(query, |c: &Captures<'_>| match substitute(c, ctx) {
        Ok(s) => s,
        Err(e) => {
            error.get_or_insert(e);
            String::new()
        }
    });
    match error {
        Some(e) => Err(e),
        None => Ok(out.into_owned()),
    }
}

fn substitute(c: &Captures<'_>, ctx: &Context<'_>) -> Result<String, InterpolateError> {
    if c.get(2).is_some() {
        return Err(InterpolateError::Unsupported(c[0].to_owned()));
    }
    let (name, format) = match (c.get(1), c.get(4)) {
        (Some(n), _) => (n.as_str(), None),
        (None, Some(n)) => (n.as_str(), c.get(5).map(|f| f.as_str())),
        _ => return Err(InterpolateError::Unsupported(c[0].to_owned())),
    };
    match (name, format) {
        ("timeFilter", None) => return Ok(time_filter(ctx.from_ms, ctx.to_ms)),
        ("__interval", None) => return Ok(format_interval(ctx.interval_ms)),
        ("__interval_ms", None) => return Ok(ctx.interval_ms.to_string()),
        _ => {}
    }
    let Some(var) = ctx.vars.iter().find(|v| v.name == name) else {
        return Err(if name.starts_with("__") || name == "interval" {
            InterpolateError::Unsupported(c[0].to_owned())
        } else {
            InterpolateError::Unknown(name.to_owned())
        });
    };
    match format {
        None => default_format(var),
        Some("regex") => regex_format(var),
        Some(other) => Err(InterpolateError::Format {
            name: name.to_owned(),
            format: other.to_owned(),
        }),
    }
}

/// `$timeFilter` as Grafana's InfluxQL backend renders it.
pub fn time_filter(from_ms: i64, to_ms: i64) -> String {
    format!("time >= {from_ms}ms and time <= {to_ms}ms")
}

/// An interval as Grafana's `gtime.FormatInterval` writes it: the largest whole unit (`1d`,
/// `3h`, `5m`, `30s`, `500ms`).
pub fn format_interval(ms: i64) -> String {
    const UNITS: [(i64, &str); 5] = [
        (7 * 86_400_000, "w"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    for (unit, suffix) in UNITS {
        if ms >= unit {
            return format!("{}{suffix}", ms / unit);
        }
    }
    format!("{ms}ms")
}

/// Escapes the characters that have a meaning in a regular expression, and `/`, which ends an
/// InfluxQL regex literal: `test1.` becomes `test1\.`.
pub fn escape_regex(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    for ch in value.chars() {
        if "\\^$*+?.()|[]{}/".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The values a selection stands for, or the custom all value as it is.
enum Expanded<'a> {
    Custom(&'a str),
    Scoped(&'a str),
    Values(&'a [String]),
}

fn expand(var: &Bound) -> Result<Expanded<'_>, InterpolateError> {
    let values = match &var.selection {
        Selection::Scoped(v) => return Ok(Expanded::Scoped(v)),
        Selection::All => match &var.all_value {
            Some(v) => return Ok(Expanded::Custom(v)),
            None => &var.options,
        },
        Selection::Values(v) => v,
    };
    if values.is_empty() {
        return Err(InterpolateError::Empty(var.name.clone()));
    }
    Ok(Expanded::Values(values))
}

/// InfluxQL's default format (`InfluxQueryModel.interpolateQueryStr`).
fn default_format(var: &Bound) -> Result<String, InterpolateError> {
    let values = match expand(var)? {
        Expanded::Custom(v) => return Ok(v.to_owned()),
        Expanded::Scoped(v) if !var.multi && !var.include_all => return Ok(v.to_owned()),
        Expanded::Scoped(v) => return Ok(escape_regex(v)),
        Expanded::Values(v) => v,
    };
    if !var.multi && !var.include_all {
        return match values {
            [one] => Ok(one.clone()),
            more => Err(InterpolateError::NotMulti {
                name: var.name.clone(),
                values: more.len(),
            }),
        };
    }
    let escaped: Vec<String> = values.iter().map(|v| escape_regex(v)).collect();
    Ok(format!("({})", escaped.join("|")))
}

/// The `regex` format of Grafana's variable syntax.
fn regex_format(var: &Bound) -> Result<String, InterpolateError> {
    let values = match expand(var)? {
        Expanded::Custom(v) => return Ok(v.to_owned()),
        Expanded::Scoped(v) => return Ok(escape_regex(v)),
        Expanded::Values(v) => v,
    };
    Ok(match values {
        [one] => escape_regex(one),
        more => {
            let escaped: Vec<String> = more.iter().map(|v| escape_regex(v)).collect();
            format!("({})", escaped.join("|"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, multi: bool, values: &[&str]) -> Bound {
        Bound {
            name: name.to_owned(),
            multi,
            include_all: multi,
            all_value: None,
            options: values.iter().map(|v| (*v).to_owned()).collect(),
            selection: Selection::Values(values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    fn ctx(vars: &[Bound]) -> Context<'_> {
        Context {
            from_ms: 1_594_671_549_254,
            to_ms: 1_594_675_149_254,
            interval_ms: 1_200_000,
            vars,
        }
    }

    /// Grafana's documentation, "Variable syntax" (grafana.com/docs/grafana/latest/dashboards/
    /// variables/variable-syntax/), "Regex": `servers = ['test1.', 'test2']`,
    /// `'${servers:regex}'` gives `'(test1\.|test2)'`.
    #[test]
    fn regex_format_as_documented() {
        let vars = [var("servers", true, &["test1.", "test2"])];
        assert_eq!(
            interpolate("'${servers:regex}'", &ctx(&vars)).unwrap(),
            r"'(test1\.|test2)'"
        );
        // One value: escaped, no parentheses (the formatter's single-value branch).
        let one = [var("servers", true, &["test1."])];
        assert_eq!(
            interpolate("${servers:regex}", &ctx(&one)).unwrap(),
            r"test1\."
        );
    }

    /// "Add and manage variables" (grafana.com/docs/grafana/latest/dashboards/variables/
    /// add-template-variables/), "Multi-value variables with a Prometheus or InfluxDB data
    /// source": host1, host2 and host3 "would be interpolated as `(host1|host2|host3)`"; the
    /// InfluxDB template variables page (grafana.com/docs/grafana/latest/datasources/influxdb/
    /// template-variables/) uses it as `"hostname" =~ /^$host$/`.
    #[test]
    fn multi_value_in_a_regex_as_documented() {
        let vars = [var("host", true, &["host1", "host2", "host3"])];
        assert_eq!(
            interpolate(r#""hostname" =~ /^$host$/"#, &ctx(&vars)).unwrap(),
            r#""hostname" =~ /^(host1|host2|host3)$/"#
        );
        // `${host}` is the same variable in the same default format.
        assert_eq!(
            interpolate(r#""hostname" =~ /^${host}$/"#, &ctx(&vars)).unwrap(),
            r#""hostname" =~ /^(host1|host2|host3)$/"#
        );
        // "Every value would also be regex escaped."
        let dots = [var("target", true, &["10.6.0.1", "a/b"])];
        assert_eq!(
            interpolate("/^$target$/", &ctx(&dots)).unwrap(),
            r"/^(10\.6\.0\.1|a\/b)$/"
        );
    }

    /// The InfluxDB template variables page (as above), "Chain or nest variables":
    /// `SHOW TAG VALUES WITH KEY = "hostname"  WHERE region = '$region'` for a single-value
    /// `region`: the value as it is, not escaped ("When you enable the Multi-value or Include
    /// all value options, Grafana converts the labels from plain text to a regex-compatible
    /// string").
    #[test]
    fn single_value_as_documented() {
        let vars = [var("region", false, &["eu.west-1"])];
        assert_eq!(
            interpolate("WHERE region = '$region'", &ctx(&vars)).unwrap(),
            "WHERE region = 'eu.west-1'"
        );
        let two = [var("region", false, &["a", "b"])];
        assert_eq!(
            interpolate("$region", &ctx(&two)),
            Err(InterpolateError::NotMulti {
                name: "region".into(),
                values: 2
            })
        );
    }

    /// "Add and manage variables", "Custom all value": "it is never escaped"; without one,
    /// "the All value includes all options in combined expression".
    #[test]
    fn all_option_as_documented() {
        let mut site = var("site", true, &["a.1", "b"]);
        site.selection = Selection::All;
        assert_eq!(
            interpolate("/^$site$/", &ctx(std::slice::from_ref(&site))).unwrap(),
            r"/^(a\.1|b)$/"
        );
        site.all_value = Some(".*".into());
        assert_eq!(
            interpolate("/^$site$/ ${site:regex}", &ctx(std::slice::from_ref(&site))).unwrap(),
            "/^.*$/ .*"
        );
        // An All option over no option at all has nothing to stand for.
        let mut empty = var("district", true, &[]);
        empty.selection = Selection::All;
        assert_eq!(
            interpolate("$district", &ctx(std::slice::from_ref(&empty))),
            Err(InterpolateError::Empty("district".into()))
        );
    }

    /// "Configure repeating panels" (grafana.com/docs/grafana/latest/panels-visualizations/
    /// configure-panel-options/#configure-repeating-panels): each repeated panel gets one value
    /// of the variable; for a multi-value variable that one value is still regex-escaped
    /// (`interpolateQueryStr` escapes a string value), without the parentheses of a list.
    #[test]
    fn repeated_panel_gets_one_value() {
        let mut site = var("site", true, &["g.1", "b"]);
        site.selection = Selection::Scoped("g.1".into());
        assert_eq!(
            interpolate("/^$site$/", &ctx(std::slice::from_ref(&site))).unwrap(),
            r"/^g\.1$/"
        );
    }

    /// "Global variables" (grafana.com/docs/grafana/latest/dashboards/variables/
    /// add-template-variables/#global-variables), `$__interval_ms`: "if the `$__interval` is
    /// `20m` then the `$__interval_ms` is `1200000`".
    #[test]
    fn interval_as_documented() {
        let q = "GROUP BY time($__interval) -- $__interval_ms";
        assert_eq!(
            interpolate(q, &ctx(&[])).unwrap(),
            "GROUP BY time(20m) -- 1200000"
        );
        assert_eq!(format_interval(86_400_000), "1d");
        assert_eq!(format_interval(10_000), "10s");
        assert_eq!(format_interval(500), "500ms");
    }

    /// `$timeFilter`: "Global variables", "$timeFilter or $__timeFilter": "returns the
    /// currently selected time range as an expression"; InfluxQL raw mode "must include
    /// `WHERE $timeFilter`" (InfluxDB query editor page). For an absolute range Grafana's
    /// InfluxQL backend writes epoch milliseconds; `${__from}` of the documentation's example
    /// is 1594671549254.
    #[test]
    fn time_filter_as_documented() {
        assert_eq!(
            interpolate("WHERE $timeFilter", &ctx(&[])).unwrap(),
            "WHERE time >= 1594671549254ms and time <= 1594675149254ms"
        );
    }

    /// The syntax not in [`SUPPORTED`] is refused by name.
    #[test]
    fn anything_else_is_refused() {
        let vars = [var("site", true, &["a"])];
        let c = ctx(&vars);
        assert_eq!(
            interpolate("$nosuch", &c),
            Err(InterpolateError::Unknown("nosuch".into()))
        );
        assert_eq!(
            interpolate("${site:csv}", &c),
            Err(InterpolateError::Format {
                name: "site".into(),
                format: "csv".into()
            })
        );
        assert_eq!(
            interpolate("[[site]]", &c),
            Err(InterpolateError::Unsupported("[[site]]".into()))
        );
        assert_eq!(
            interpolate("$__range", &c),
            Err(InterpolateError::Unsupported("$__range".into()))
        );
        assert_eq!(
            interpolate("$interval", &c),
            Err(InterpolateError::Unsupported("$interval".into()))
        );
        // A regex's own anchors are not variables.
        assert_eq!(
            interpolate(r"tech =~ /^(lte|gsm)$/", &c).unwrap(),
            r"tech =~ /^(lte|gsm)$/"
        );
    }
}

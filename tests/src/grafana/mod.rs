//! Grafana's side of the deployment (`deploy/grafana/`), checked without Grafana, which does
//! not install here: the provisioned data source, the dashboards and the alert rules are loaded
//! as Grafana 10/11 would read them, checked for what Grafana requires of them, and every
//! InfluxQL query they hold is extracted with what Grafana needs to run it (time range, interval,
//! template variables), so a test can run each one against a real InfluxDB
//! (tests/tests/grafana.rs).
//!
//! - [`Provisioning::load`] reads `provisioning/datasources`, `provisioning/dashboards`,
//!   `provisioning/alerting` (YAML, with Grafana's `${NAME}` environment references listed) and
//!   the dashboards' JSON. A file that does not parse is an error naming the file and the key.
//! - [`Provisioning::problems`] lists what Grafana would refuse or silently break: a missing uid,
//!   title or schemaVersion, a duplicate panel id, a panel without a gridPos or overlapping
//!   another, a panel, query or variable naming another data source than the provisioned uid,
//!   an alert rule whose condition or expression names no query, a notification policy naming
//!   no contact point.
//! - [`interpolate`] substitutes Grafana's macros and variables, exactly those the dashboards
//!   use ([`interpolate::SUPPORTED`]).
//! - [`schema`] validates the dashboards against the TypeScript types of `@grafana/schema`.

pub mod interpolate;
pub mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// The environment variables the provisioning files may reference (`${NAME}`), each documented
/// in the README's Grafana section.
pub const ENV_VARS: [&str; 6] = [
    "COVERAGE_INFLUX_URL",
    "COVERAGE_INFLUX_DB",
    "COVERAGE_INFLUX_USER",
    "COVERAGE_INFLUX_PASSWORD",
    "COVERAGE_ALERT_WEBHOOK_URL",
    "COVERAGE_ALERT_EMAIL",
];

/// Where a query comes from, for failure messages: dashboard, panel or variable, query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file, relative to `deploy/grafana/`.
    pub file: String,
    /// Dashboard or rule group title.
    pub title: String,
    /// `panel 3 "Sites per status"`, `variable site`, `rule coverage-site-silent "..."`.
    pub item: String,
    /// The query's refId (`A`), empty for a variable.
    pub ref_id: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}), {}", self.title, self.file, self.item)?;
        if !self.ref_id.is_empty() {
            write!(f, ", query {}", self.ref_id)?;
        }
        Ok(())
    }
}

/// A template variable as the dashboard defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Name (`site` for `$site`).
    pub name: String,
    /// The InfluxQL query that lists its values (`type: query`).
    pub query: String,
    /// `multi: true`.
    pub multi: bool,
    /// `includeAll: true`.
    pub include_all: bool,
    /// `allValue`, when set.
    pub all_value: Option<String>,
    /// The values of `current` (`$__all` for All), empty when the dashboard sets none.
    pub current: Vec<String>,
    /// Where it is defined.
    pub origin: Origin,
}

/// One panel query with what Grafana needs to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelQuery {
    /// Where it is defined.
    pub origin: Origin,
    /// The raw InfluxQL.
    pub query: String,
    /// The panel's lower limit for `$__interval` (`interval`, e.g. `1m` or `>1m`).
    pub min_interval: Option<String>,
    /// The panel's relative time override (`timeFrom`, e.g. `5m`): the query's range is the
    /// last `timeFrom` instead of the dashboard's.
    pub time_from: Option<String>,
    /// The variable the panel is repeated over (`repeat`): each copy has one of its values.
    pub repeat: Option<String>,
    /// `maxDataPoints`, when the panel sets it.
    pub max_data_points: Option<i64>,
}

/// A dashboard file.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// File name, relative to `deploy/grafana/`.
    pub file: String,
    /// The parsed JSON.
    pub json: Value,
}

impl Dashboard {
    /// `uid`.
    pub fn uid(&self) -> &str {
        self.json["uid"].as_str().unwrap_or("")
    }

    /// `title`.
    pub fn title(&self) -> &str {
        self.json["title"].as_str().unwrap_or("")
    }

    /// The dashboard's time range (`time.from`, `time.to`), e.g. `now-2d`, `now`.
    pub fn time(&self) -> (&str, &str) {
        (
            self.json["time"]["from"].as_str().unwrap_or(""),
            self.json["time"]["to"].as_str().unwrap_or(""),
        )
    }

    /// Every panel, rows' collapsed panels included.
    pub fn panels(&self) -> Vec<&Value> {
        let mut out = Vec::new();
        for p in self.json["panels"].as_array().into_iter().flatten() {
            out.push(p);
            out.extend(p["panels"].as_array().into_iter().flatten());
        }
        out
    }

    fn origin(&self, item: String, ref_id: &str) -> Origin {
        Origin {
            file: self.file.clone(),
            title: self.title().to_owned(),
            item,
            ref_id: ref_id.to_owned(),
        }
    }

    /// The template variables, in the dashboard's order (Grafana resolves them in this order,
    /// so a variable may use the ones before it).
    pub fn variables(&self) -> Result<Vec<Variable>> {
        let mut out = Vec::new();
        for v in self.json["templating"]["list"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = v["name"].as_str().unwrap_or("").to_owned();
            let kind = v["type"].as_str().unwrap_or("");
            if kind != "query" {
                bail!(
                    "{}: variable `{name}` has type `{kind}`; only `query` variables are \
                     supported by the test (tests/src/grafana)",
                    self.file
                );
            }
            let query = match &v["query"] {
                Value::String(q) => q.clone(),
                other => other["query"].as_str().unwrap_or("").to_owned(),
            };
            let current = match &v["current"]["value"] {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str())
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            out.push(Variable {
                origin: self.origin(format!("variable {name}"), ""),
                name,
                query,
                multi: v["multi"].as_bool().unwrap_or(false),
                include_all: v["includeAll"].as_bool().unwrap_or(false),
                all_value: v["allValue"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                current,
            });
        }
        Ok(out)
    }

    /// Every query of every panel (hidden ones left out, as Grafana does).
    pub fn queries(&self) -> Vec<PanelQuery> {
        let mut out = Vec::new();
        for p in self.panels() {
            let item = format!("panel {} {:?}", p["id"], p["title"].as_str().unwrap_or(""));
            for t in p["targets"].as_array().into_iter().flatten() {
                if t["hide"].as_bool() == Some(true) {
                    continue;
                }
                let ref_id = t["refId"].as_str().unwrap_or("");
                out.push(PanelQuery {
                    origin: self.origin(item.clone(), ref_id),
                    query: t["query"].as_str().unwrap_or("").to_owned(),
                    min_interval: p["interval"].as_str().map(str::to_owned),
                    time_from: p["timeFrom"].as_str().map(str::to_owned),
                    repeat: p["repeat"].as_str().map(str::to_owned),
                    max_data_points: p["maxDataPoints"].as_i64(),
                });
            }
        }
        out
    }
}

/// A threshold of an alert rule (`type: threshold`, one evaluator).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// Fires above the value (`gt`).
    Above(f64),
    /// Fires below the value (`lt`).
    Below(f64),
}

/// An alert rule's InfluxQL query and what turns its answer into alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertQuery {
    /// Where it is defined.
    pub origin: Origin,
    /// The rule's uid.
    pub rule_uid: String,
    /// The raw InfluxQL.
    pub query: String,
    /// `relativeTimeRange.from`, seconds before the evaluation.
    pub from_s: i64,
    /// `relativeTimeRange.to`, seconds before the evaluation.
    pub to_s: i64,
    /// `model.intervalMs`.
    pub interval_ms: i64,
    /// The rule's threshold on this query, when the rule is `reduce(last)` then `threshold`
    /// on it (the shape every rule here has).
    pub threshold: Option<Threshold>,
}

/// Everything under `deploy/grafana/`.
#[derive(Debug, Clone)]
pub struct Provisioning {
    /// `deploy/grafana/`.
    pub root: PathBuf,
    /// The provisioned data source's uid.
    pub datasource_uid: String,
    /// Its `jsonData.timeInterval` (the lower limit of `$__interval`), milliseconds.
    pub datasource_min_interval_ms: Option<i64>,
    /// The dashboards' directory named by the dashboard provider (`options.path`), as given.
    pub provider_path: String,
    /// The dashboards, in file name order.
    pub dashboards: Vec<Dashboard>,
    /// The alert rules' files, parsed.
    pub alerting: Vec<(String, Value)>,
    /// `${NAME}` references in the provisioning files, with the file that holds each.
    pub env_refs: BTreeMap<String, BTreeSet<String>>,
}

/// YAML to JSON, for one kind of document to walk; `what` names the file in errors.
fn yaml_to_json(y: &Yaml, what: &str) -> Result<Value> {
    Ok(match y {
        Yaml::Real(s) => {
            let f: f64 = s
                .parse()
                .with_context(|| format!("{what}: `{s}` is not a number"))?;
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(
            a.iter()
                .map(|x| yaml_to_json(x, what))
                .collect::<Result<_>>()?,
        ),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    other => bail!("{what}: a key that is not a string: {other:?}"),
                };
                m.insert(key, yaml_to_json(v, what)?);
            }
            Value::Object(m)
        }
        Yaml::Null => Value::Null,
        Yaml::Alias(_) | Yaml::BadValue => bail!("{what}: an alias or a bad value"),
    })
}

/// Reads one YAML file into JSON.
pub fn read_yaml(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let docs = YamlLoader::load_from_str(&text)
        .with_context(|| format!("{}: not valid YAML", path.display()))?;
    match docs.as_slice() {
        [one] => yaml_to_json(one, &path.display().to_string()),
        _ => bail!("{}: expected one YAML document", path.display()),
    }
}

/// `${NAME}` and `$NAME` references in `text` (Grafana's environment interpolation), `$$`
/// being an escaped dollar.
fn env_references(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"\$\$|\$\{(\w+)\}|\$(\w+)")
        .unwrap_or_else(|e| panic!("the env pattern: {e}"));
    re.captures_iter(text)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// Walks `value` and collects the strings Grafana interpolates environment variables in:
/// every string of a provisioning file except an alert rule's query models and annotations
/// (which Grafana reads raw: `$timeFilter` and `$labels` stay as written).
fn interpolated_strings<'a>(value: &'a Value, key: &str, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|v| interpolated_strings(v, key, out)),
        Value::Object(m) => {
            for (k, v) in m {
                if key == "data" && k == "model" || k == "annotations" {
                    continue;
                }
                interpolated_strings(v, k, out);
            }
        }
        _ => {}
    }
}

/// The files of `dir` ending in one of `exts`, sorted.
fn files(dir: &Path, exts: &[&str]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = e?.path();
        if path
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| exts.contains(&x))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

impl Provisioning {
    /// Loads `deploy/grafana/` under `root` (the workspace root).
    pub fn load(workspace: &Path) -> Result<Provisioning> {
        let root = workspace.join("deploy/grafana");
        let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
        let mut env_refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut note_env = |file: &str, doc: &Value| {
            let mut strings = Vec::new();
            interpolated_strings(doc, "", &mut strings);
            for s in strings {
                for name in env_references(s) {
                    env_refs.entry(name).or_default().insert(file.to_owned());
                }
            }
        };

        let ds_files = files(&root.join("provisioning/datasources"), &["yaml", "yml"])?;
        let [ds_file] = ds_files.as_slice() else {
            bail!("provisioning/datasources: expected one file, found {ds_files:?}");
        };
        let ds = read_yaml(ds_file)?;
        note_env(&rel(ds_file), &ds);
        let sources = ds["datasources"].as_array().cloned().unwrap_or_default();
        let [source] = sources.as_slice() else {
            bail!(
                "{}: expected one data source under `datasources`",
                rel(ds_file)
            );
        };
        let datasource_uid = match source["uid"].as_str() {
            Some(u) if !u.is_empty() => u.to_owned(),
            _ => bail!("{}: datasources[0].uid is missing", rel(ds_file)),
        };
        for (key, want) in [("type", "influxdb"), ("access", "proxy")] {
            if source[key].as_str() != Some(want) {
                bail!(
                    "{}: datasources[0].{key} is {}, not `{want}`",
                    rel(ds_file),
                    source[key]
                );
            }
        }
        if source["jsonData"]["version"].as_str() != Some("InfluxQL") {
            bail!(
                "{}: datasources[0].jsonData.version must be `InfluxQL`",
                rel(ds_file)
            );
        }
        let datasource_min_interval_ms =
            match source["jsonData"]["timeInterval"].as_str() {
                Some(s) => Some(parse_duration_ms(s.trim_start_matches('>')).with_context(
                    || format!("{}: datasources[0].jsonData.timeInterval", rel(ds_file)),
                )?),
                None => None,
            };

        let provider_files = files(&root.join("provisioning/dashboards"), &["yaml", "yml"])?;
        let [provider_file] = provider_files.as_slice() else {
            bail!("provisioning/dashboards: expected one file, found {provider_files:?}");
        };
        let provider = read_yaml(provider_file)?;
        note_env(&rel(provider_file), &provider);
        let providers = provider["providers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let [p] = providers.as_slice() else {
            bail!(
                "{}: expected one provider under `providers`",
                rel(provider_file)
            );
        };
        if p["type"].as_str() != Some("file") {
            bail!("{}: providers[0].type must be `file`", rel(provider_file));
        }
        let provider_path = p["options"]["path"]
            .as_str()
            .with_context(|| {
                format!(
                    "{}: providers[0].options.path is missing",
                    rel(provider_file)
                )
            })?
            .to_owned();

        let mut dashboards = Vec::new();
        for path in files(&root.join("dashboards"), &["json"])? {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let json: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not valid JSON", rel(&path)))?;
            dashboards.push(Dashboard {
                file: rel(&path),
                json,
            });
        }
        if dashboards.is_empty() {
            bail!("{}: no dashboard", root.join("dashboards").display());
        }

        let mut alerting = Vec::new();
        for path in files(&root.join("provisioning/alerting"), &["yaml", "yml"])? {
            let doc = read_yaml(&path)?;
            note_env(&rel(&path), &doc);
            alerting.push((rel(&path), doc));
        }
        Ok(Provisioning {
            root,
            datasource_uid,
            datasource_min_interval_ms,
            provider_path,
            dashboards,
            alerting,
            env_refs,
        })
    }

    /// The alerting documents' entries under `key` (`groups`, `contactPoints`, `policies`),
    /// with their file.
    fn alerting_entries(&self, key: &str) -> Vec<(&str, &Value)> {
        self.alerting
            .iter()
            .flat_map(|(file, doc)| {
                doc[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(move |v| (file.as_str(), v))
            })
            .collect()
    }

    /// The alert rules' InfluxQL queries.
    pub fn alert_queries(&self) -> Vec<AlertQuery> {
        let mut out = Vec::new();
        for (file, group) in self.alerting_entries("groups") {
            for rule in group["rules"].as_array().into_iter().flatten() {
                let uid = rule["uid"].as_str().unwrap_or("");
                let data = rule["data"].as_array().cloned().unwrap_or_default();
                for d in &data {
                    if d["datasourceUid"].as_str() != Some(&self.datasource_uid) {
                        continue;
                    }
                    let ref_id = d["refId"].as_str().unwrap_or("");
                    out.push(AlertQuery {
                        origin: Origin {
                            file: file.to_owned(),
                            title: format!("rule group {}", group["name"].as_str().unwrap_or("")),
                            item: format!("rule {uid} {:?}", rule["title"].as_str().unwrap_or("")),
                            ref_id: ref_id.to_owned(),
                        },
                        rule_uid: uid.to_owned(),
                        query: d["model"]["query"].as_str().unwrap_or("").to_owned(),
                        from_s: d["relativeTimeRange"]["from"].as_i64().unwrap_or(0),
                        to_s: d["relativeTimeRange"]["to"].as_i64().unwrap_or(0),
                        interval_ms: d["model"]["intervalMs"].as_i64().unwrap_or(1000),
                        threshold: threshold_on(&data, rule, ref_id),
                    });
                }
            }
        }
        out
    }

    /// Everything Grafana would refuse or silently break, one line each; empty when fine.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut uids = BTreeMap::new();
        for d in &self.dashboards {
            if let Some(other) = uids.insert(d.uid().to_owned(), d.file.clone()) {
                out.push(format!("{}: uid {:?} is also {other}'s", d.file, d.uid()));
            }
            dashboard_problems(d, &self.datasource_uid, &mut out);
        }
        self.alerting_problems(&mut out);
        for (name, files) in &self.env_refs {
            if !ENV_VARS.contains(&name.as_str()) {
                out.push(format!(
                    "{}: `${{{name}}}` is not one of the documented environment variables \
                     {ENV_VARS:?} (Grafana interpolates every `$` here: write `$$` for a dollar)",
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        out
    }

    fn alerting_problems(&self, out: &mut Vec<String>) {
        let ds = &self.datasource_uid;
        let mut rule_uids = BTreeSet::new();
        for (file, group) in self.alerting_entries("groups") {
            let gname = group["name"].as_str().unwrap_or("");
            for key in ["name", "folder", "interval"] {
                if group[key].as_str().is_none_or(str::is_empty) {
                    out.push(format!("{file}: group {gname:?}: `{key}` is required"));
                }
            }
            for rule in group["rules"].as_array().into_iter().flatten() {
                let uid = rule["uid"].as_str().unwrap_or("");
                let at = format!("{file}: rule {uid:?}");
                if uid.is_empty() || uid.len() > 40 {
                    out.push(format!("{at}: uid must be 1 to 40 characters"));
                }
                if !rule_uids.insert(uid.to_owned()) {
                    out.push(format!("{at}: uid used twice"));
                }
                for key in ["title", "condition", "for"] {
                    if rule[key].as_str().is_none_or(str::is_empty) {
                        out.push(format!("{at}: `{key}` is required"));
                    }
                }
                for (k, v) in rule["annotations"].as_object().into_iter().flatten() {
                    if v.as_str().is_some_and(|v| v.contains('$')) {
                        out.push(format!(
                            "{at}: annotation {k} holds a `$`: write {{{{ .Labels.x }}}}, not \
                             $labels (Grafana interpolates `$` in provisioned labels and, in \
                             some versions, annotations)"
                        ));
                    }
                }
                let data = rule["data"].as_array().cloned().unwrap_or_default();
                let refs: Vec<&str> = data.iter().filter_map(|d| d["refId"].as_str()).collect();
                if refs.len() != data.len()
                    || refs.iter().collect::<BTreeSet<_>>().len() != refs.len()
                {
                    out.push(format!("{at}: every query needs a unique refId"));
                }
                let cond = rule["condition"].as_str().unwrap_or("");
                if !refs.contains(&cond) {
                    out.push(format!(
                        "{at}: condition {cond:?} names no query ({refs:?})"
                    ));
                }
                for d in &data {
                    let r = d["refId"].as_str().unwrap_or("");
                    match d["datasourceUid"].as_str() {
                        Some("__expr__") => {
                            let e = d["model"]["expression"].as_str().unwrap_or("");
                            if !refs.contains(&e) {
                                out.push(format!(
                                    "{at}: expression {r} reads {e:?}, which names no query"
                                ));
                            }
                            if d["model"]["datasource"]["uid"].as_str() != Some("__expr__") {
                                out.push(format!("{at}: expression {r}: model.datasource.uid must be __expr__"));
                            }
                        }
                        Some(u) if u == ds => {
                            if d["model"]["datasource"]["uid"].as_str() != Some(ds) {
                                out.push(format!("{at}: query {r}: model.datasource.uid is not {ds:?}"));
                            }
                            if d["model"]["rawQuery"].as_bool() != Some(true)
                                || d["model"]["query"].as_str().is_none_or(str::is_empty)
                            {
                                out.push(format!("{at}: query {r} must be a raw InfluxQL query"));
                            }
                            if d["relativeTimeRange"]["from"].as_i64().is_none_or(|f| f <= 0) {
                                out.push(format!("{at}: query {r} needs relativeTimeRange.from"));
                            }
                        }
                        other => out.push(format!(
                            "{at}: query {r} names data source {other:?}, not the provisioned {ds:?}"
                        )),
                    }
                }
                if let Some(dash) = rule["dashboardUid"].as_str() {
                    match self.dashboards.iter().find(|d| d.uid() == dash) {
                        None => out.push(format!("{at}: dashboardUid {dash:?} is no dashboard")),
                        Some(d) => {
                            let id = &rule["panelId"];
                            if !d.panels().iter().any(|p| p["id"] == *id) {
                                out.push(format!("{at}: panelId {id} is no panel of {}", d.file));
                            }
                        }
                    }
                }
            }
        }
        let mut receivers = BTreeSet::new();
        for (file, cp) in self.alerting_entries("contactPoints") {
            let name = cp["name"].as_str().unwrap_or("");
            receivers.insert(name.to_owned());
            let list = cp["receivers"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                out.push(format!("{file}: contact point {name:?} has no receiver"));
            }
            for r in &list {
                let (kind, settings) = (r["type"].as_str().unwrap_or(""), &r["settings"]);
                let required = match kind {
                    "webhook" => "url",
                    "email" => "addresses",
                    other => {
                        out.push(format!(
                            "{file}: receiver type {other:?} is not checked here"
                        ));
                        continue;
                    }
                };
                if settings[required].as_str().is_none_or(str::is_empty) {
                    out.push(format!("{file}: {kind} receiver needs settings.{required}"));
                }
                if r["uid"].as_str().is_none_or(str::is_empty) {
                    out.push(format!("{file}: {kind} receiver needs a uid"));
                }
            }
        }
        let policies = self.alerting_entries("policies");
        if policies.is_empty() {
            out.push("provisioning/alerting: no notification policy".to_owned());
        }
        for (file, p) in policies {
            let r = p["receiver"].as_str().unwrap_or("");
            if !receivers.contains(r) {
                out.push(format!("{file}: policy receiver {r:?} is no contact point"));
            }
        }
    }
}

/// The threshold of `rule` on query `ref_id`: `reduce` of it, then `threshold` of that, and
/// the threshold is the rule's condition.
fn threshold_on(data: &[Value], rule: &Value, ref_id: &str) -> Option<Threshold> {
    let model = |r: &str| {
        data.iter()
            .find(|d| d["refId"].as_str() == Some(r))
            .map(|d| &d["model"])
    };
    let reduce = data
        .iter()
        .map(|d| &d["model"])
        .find(|m| m["type"] == "reduce" && m["expression"] == ref_id)?;
    let threshold = data
        .iter()
        .map(|d| &d["model"])
        .find(|m| m["type"] == "threshold" && m["expression"] == reduce["refId"])?;
    if model(rule["condition"].as_str()?)? != threshold {
        return None;
    }
    let eval = &threshold["conditions"][0]["evaluator"];
    let value = eval["params"][0].as_f64()?;
    match eval["type"].as_str()? {
        "gt" => Some(Threshold::Above(value)),
        "lt" => Some(Threshold::Below(value)),
        _ => None,
    }
}

/// The checks of one dashboard (see [`Provisioning::problems`]).
fn dashboard_problems(d: &Dashboard, ds: &str, out: &mut Vec<String>) {
    let f = &d.file;
    let j = &d.json;
    let uid = d.uid();
    if uid.is_empty()
        || uid.len() > 40
        || !uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        out.push(format!("{f}: uid {uid:?} must be 1 to 40 of [A-Za-z0-9_-]"));
    }
    if d.title().is_empty() {
        out.push(format!("{f}: title is missing"));
    }
    match j["schemaVersion"].as_i64() {
        Some(36..=41) => {}
        other => out.push(format!(
            "{f}: schemaVersion {other:?} is not one Grafana 10/11 writes (36 to 41)"
        )),
    }
    if !j["id"].is_null() {
        out.push(format!(
            "{f}: `id` must be absent or null in a provisioned dashboard"
        ));
    }
    let (from, to) = d.time();
    for (k, v) in [("time.from", from), ("time.to", to)] {
        if relative_ms(v).is_none() {
            out.push(format!("{f}: {k} {v:?} is not `now` or `now-<n><unit>`"));
        }
    }
    let mut ids = BTreeSet::new();
    let mut boxes: Vec<(i64, [i64; 4])> = Vec::new();
    let names: Vec<String> = d
        .variables()
        .map(|v| v.into_iter().map(|v| v.name).collect())
        .unwrap_or_else(|e| {
            out.push(format!("{e:#}"));
            Vec::new()
        });
    for p in d.panels() {
        let at = format!(
            "{f}: panel {} {:?}",
            p["id"],
            p["title"].as_str().unwrap_or("")
        );
        match p["id"].as_i64() {
            Some(id) if id > 0 => {
                if !ids.insert(id) {
                    out.push(format!("{at}: id {id} is used twice"));
                }
            }
            _ => out.push(format!("{at}: id must be a positive integer")),
        }
        if p["title"].as_str().is_none_or(str::is_empty) {
            out.push(format!("{at}: title is missing"));
        }
        let g = &p["gridPos"];
        let pos: Option<Vec<i64>> = ["x", "y", "w", "h"].iter().map(|k| g[k].as_i64()).collect();
        match pos.as_deref() {
            Some(&[x, y, w, h]) if x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24 => {
                for (other, [ox, oy, ow, oh]) in &boxes {
                    if x < ox + ow && *ox < x + w && y < oy + oh && *oy < y + h {
                        out.push(format!("{at}: gridPos overlaps panel {other}"));
                    }
                }
                boxes.push((p["id"].as_i64().unwrap_or(0), [x, y, w, h]));
            }
            _ => out.push(format!(
                "{at}: gridPos needs integers x, y >= 0, w, h >= 1 and x + w <= 24: {g}"
            )),
        }
        if p["type"] == "row" {
            continue;
        }
        if p["datasource"]["uid"].as_str() != Some(ds) {
            out.push(format!(
                "{at}: datasource {} is not the provisioned uid {ds:?}",
                p["datasource"]
            ));
        }
        let targets = p["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            out.push(format!("{at}: no query"));
        }
        let mut refs = BTreeSet::new();
        for t in &targets {
            let r = t["refId"].as_str().unwrap_or("");
            if r.is_empty() || !refs.insert(r.to_owned()) {
                out.push(format!("{at}: every query needs a unique refId"));
            }
            if t["datasource"]["uid"].as_str() != Some(ds) {
                out.push(format!(
                    "{at}: query {r} names data source {}",
                    t["datasource"]
                ));
            }
            if t["rawQuery"].as_bool() != Some(true)
                || t["query"].as_str().is_none_or(str::is_empty)
            {
                out.push(format!(
                    "{at}: query {r} must be raw InfluxQL (rawQuery, query)"
                ));
            }
            if !matches!(t["resultFormat"].as_str(), Some("time_series" | "table")) {
                out.push(format!(
                    "{at}: query {r}: resultFormat must be time_series or table"
                ));
            }
        }
        if let Some(rep) = p["repeat"].as_str()
            && !names.iter().any(|n| n == rep)
        {
            out.push(format!("{at}: repeats over `{rep}`, which is no variable"));
        }
        for k in ["interval", "timeFrom"] {
            if let Some(v) = p[k].as_str()
                && parse_duration_ms(v.trim_start_matches('>')).is_err()
            {
                out.push(format!("{at}: {k} {v:?} is not a duration"));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for v in j["templating"]["list"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap_or("");
        if name.is_empty() || !seen.insert(name) {
            out.push(format!(
                "{f}: variable {name:?}: names must be unique and not empty"
            ));
        }
        if v["datasource"]["uid"].as_str() != Some(ds) {
            out.push(format!(
                "{f}: variable {name}: datasource {} is not the provisioned uid {ds:?}",
                v["datasource"]
            ));
        }
    }
}

/// A Grafana duration (`10s`, `5m`, `2h`, `7d`, `1w`, `500ms`) in milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<i64> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    let n: i64 = digits
        .parse()
        .with_context(|| format!("{s:?} is not a duration"))?;
    let ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => bail!("{s:?}: unit must be ms, s, m, h, d or w"),
    };
    Ok(n * ms)
}

/// How far before now a relative time (`now`, `now-6h`) lies, milliseconds.
pub fn relative_ms(s: &str) -> Option<i64> {
    match s.strip_prefix("now") {
        Some("") => Some(0),
        Some(rest) => parse_duration_ms(rest.strip_prefix('-')?).ok(),
        None => None,
    }
}

/// `$__interval` for a range of `range_ms` as Grafana computes it: the range divided by the
/// panel's data points (its `maxDataPoints`, else the width of a full-screen panel, about 1,000
/// points), rounded up to a round interval, and never below the panel's or the data source's
/// minimum. Grafana's rounding table (`rangeutil.roundInterval`) has a few more steps; any of
/// them gives the same kind of query.
pub fn interval_ms(range_ms: i64, max_data_points: Option<i64>, min_ms: &[i64]) -> i64 {
    const ROUND: [i64; 22] = [
        1_000,
        2_000,
        5_000,
        10_000,
        15_000,
        20_000,
        30_000,
        60_000,
        120_000,
        300_000,
        600_000,
        900_000,
        1_200_000,
        1_800_000,
        3_600_000,
        7_200_000,
        10_800_000,
        21_600_000,
        43_200_000,
        86_400_000,
        604_800_000,
        2_592_000_000,
    ];
    let raw = range_ms / max_data_points.unwrap_or(1_000).max(1);
    let rounded = ROUND
        .iter()
        .copied()
        .find(|r| *r >= raw)
        .unwrap_or(ROUND[ROUND.len() - 1]);
    min_ms.iter().copied().fold(rounded, i64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_relative_times() {
        assert_eq!(parse_duration_ms("10s").unwrap(), 10_000);
        assert_eq!(parse_duration_ms("2d").unwrap(), 172_800_000);
        assert!(parse_duration_ms("2x").is_err());
        assert_eq!(relative_ms("now"), Some(0));
        assert_eq!(relative_ms("now-6h"), Some(21_600_000));
        assert_eq!(relative_ms("now/d"), None);
    }

    #[test]
    fn interval_follows_range_and_minimums() {
        // Two days over 1,000 points: 172.8 s, rounded up to 5 min.
        assert_eq!(interval_ms(172_800_000, None, &[]), 300_000);
        assert_eq!(interval_ms(172_800_000, None, &[3_600_000]), 3_600_000);
        assert_eq!(interval_ms(60_000, None, &[10_000]), 10_000);
    }

    #[test]
    fn environment_references() {
        assert_eq!(
            env_references("url: ${COVERAGE_INFLUX_URL} $$HOME $OTHER"),
            ["COVERAGE_INFLUX_URL", "OTHER"]
        );
    }

    #[test]
    fn yaml_becomes_json() {
        let doc = YamlLoader::load_from_str("a: [1, 2.5, x, true]\nb: { c: null }").unwrap();
        assert_eq!(
            yaml_to_json(&doc[0], "t").unwrap(),
            serde_json::json!({"a": [1, 2.5, "x", true], "b": {"c": null}})
        );
    }
}

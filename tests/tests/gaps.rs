//! Gap refill end to end (issue 10, "Gaps refilled"): a real `coverage-agent` (simulated
//! modem, a reading and a heartbeat every second) publishing to a real mosquitto, a real
//! `coverage-collector` with the coordinator and its write-ahead log, a real InfluxDB 1.6.7.
//!
//! The collector is stopped; while it is away mosquitto queues the agent's readings for its
//! persistent session, and is then SIGKILLed before its autosave: those readings are gone from
//! the broker (the agent had its PUBACKs, so it does not send them again on its own). The
//! collector comes back; its gap pass sees them in the agent's heartbeat `seq_ranges` and not in
//! the store, asks on `coverage/v1/{site}/resend`, and the agent republishes them from its
//! spool. Checked: every seq in the agent's spool ends up stored, resend requests were sent and
//! filled, and the site's completeness is 1. Run once with one collector and once with two on
//! a shared subscription (one the coordinator): only the coordinator asks.

use anyhow::{Context, Result, ensure};
use coverage_agent::spool::{Spool, SpoolConfig};
use coverage_e2e::{
    Daemon, Influxd, Mosquitto, MosquittoOptions, cargo_bin, free_port, metric, poll_until,
    temp_dir,
};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SITE: &str = "gap-site";

fn agent(dir: &Path, mqtt: &str) -> Result<Daemon> {
    let config = format!(
        "state_dir = \"state\"\n\n[site]\nid = \"{SITE}\"\nlat = 22.147\nlon = 105.834\n\
         placement = \"indoor\"\n\n[mqtt]\nurl = \"{mqtt}\"\nkeep_alive = \"5s\"\n\n\
         [schedule]\nsignal_interval = \"1s\"\nheartbeat_interval = \"1s\"\n\n\
         [[modems]]\ndriver = \"simulated\"\nname = \"sim0\"\nseed = 1\n"
    );
    std::fs::write(dir.join("agent.toml"), config)?;
    let mut cmd = Command::new(cargo_bin("coverage-agent")?);
    cmd.args(["run", "--config", "agent.toml"])
        .current_dir(dir)
        .env("COVERAGE_LOG", "info")
        .env("NO_COLOR", "1");
    Daemon::spawn("coverage-agent", cmd, dir.join("agent.log"))
}

/// A collector's config: `name` is its client id; `coordinator` whether it is the one that
/// asks; `shared` puts it in the shared subscription group `collectors`.
fn collector_config(
    mqtt: &str,
    influx: &str,
    http: u16,
    name: &str,
    coordinator: bool,
    shared: bool,
) -> String {
    let group = if shared {
        "shared_group = \"collectors\"\n"
    } else {
        ""
    };
    format!(
        r#"[mqtt]
url = "{mqtt}"
client_id = "{name}"
[ingest]
session_expiry = "1h"
{group}[influx]
url = "{influx}"
database = "coverage"
raw_retention = "3650d"
[sink]
flush_interval = "100ms"
max_backoff = "1s"
[wal]
dir = "wal"
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter.jsonl"
[coordinator]
enabled = {coordinator}
status_every = "1s"
gaps_every = "1s"
gap_grace = "3s"
resend_again_after = "5s"
"#
    )
}

/// Every seq stored for the site, over the four measurements.
fn stored(influx: &Influxd) -> Result<BTreeSet<u64>> {
    let mut out = BTreeSet::new();
    for m in ["signal", "latency", "throughput", "heartbeat"] {
        for row in influx.query_rows(
            "coverage",
            &format!("SELECT seq FROM {m} WHERE site = '{SITE}'"),
        )? {
            if let Some(s) = row["seq"].as_u64() {
                out.insert(s);
            }
        }
    }
    Ok(out)
}

#[test]
fn readings_the_broker_lost_are_asked_for_and_come_back_from_the_agent() -> Result<()> {
    gap_refill("gaps", false)
}

/// Two collectors on a shared subscription, one the coordinator: only the coordinator asks
/// (from the store, so the requests are those one collector would send), and the gap is
/// filled all the same.
#[test]
fn with_two_collectors_only_the_coordinator_asks_and_the_gap_is_filled() -> Result<()> {
    gap_refill("gaps-two", true)
}

/// Subscribes to every resend request on the broker; returns the messages seen so far.
fn watch_requests(port: u16) -> Result<std::sync::Arc<std::sync::Mutex<Vec<String>>>> {
    use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut options = MqttOptions::new("resend-watcher", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(options, 10);
    client.subscribe("coverage/v1/+/resend", QoS::AtLeastOnce)?;
    let out = seen.clone();
    std::thread::spawn(move || {
        let _client = client;
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Ok(mut v) = out.lock() {
                        v.push(String::from_utf8_lossy(&p.payload).into_owned());
                    }
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    });
    Ok(seen)
}

fn gap_refill(name: &str, two_collectors: bool) -> Result<()> {
    let dir = temp_dir(name)?;
    let d = dir.path();
    // Persistence, but an autosave far away: a SIGKILL loses what is queued.
    let mut broker = Mosquitto::start(
        MosquittoOptions::default().with_autosave_interval(Duration::from_secs(3600)),
    )?;
    let influx = Influxd::start()?;
    let http = free_port()?;
    std::fs::write(
        d.join("collector.toml"),
        collector_config(
            &broker.url(),
            &influx.url(),
            http,
            "gap-collector",
            true,
            two_collectors,
        ),
    )?;
    let mut collector = Daemon::collector(d, "collector", "collector.toml")?;
    // The second collector: same group, not the coordinator.
    let second_dir = d.join("second");
    std::fs::create_dir_all(&second_dir)?;
    let http_second = free_port()?;
    let mut second = if two_collectors {
        std::fs::write(
            second_dir.join("collector.toml"),
            collector_config(
                &broker.url(),
                &influx.url(),
                http_second,
                "gap-collector-2",
                false,
                true,
            ),
        )?;
        Some(Daemon::collector(
            &second_dir,
            "collector-2",
            "collector.toml",
        )?)
    } else {
        None
    };
    let agent_dir = d.join("agent");
    std::fs::create_dir_all(&agent_dir)?;
    let mut agent = agent(&agent_dir, &broker.url())?;

    // Flowing: readings are stored.
    poll_until(Duration::from_secs(60), || {
        stored(&influx).ok().filter(|s| s.len() >= 10)
    })
    .with_context(|| {
        format!(
            "nothing stored\n{}\n{}",
            agent.log_tail(20),
            collector.log_tail(20)
        )
    })?;

    // The collectors go away; mosquitto queues for their sessions; then mosquitto dies.
    collector.stop()?;
    if let Some(c) = second.as_mut() {
        c.stop()?;
    }
    let before = stored(&influx)?.len();
    std::thread::sleep(Duration::from_secs(6));
    broker.kill()?;
    broker.restart()?;
    // Every resend request from here on (the collectors ask only once they are back).
    let requests = watch_requests(broker.port())?;
    // The agent reconnects and goes on; the collector comes back.
    agent.wait_for_log("Connected to the broker", Duration::from_secs(60))?;
    collector.restart()?;
    collector.wait_for_log("Connected to the broker", Duration::from_secs(60))?;
    if let Some(c) = second.as_mut() {
        c.restart()?;
        c.wait_for_log("Connected to the broker", Duration::from_secs(60))?;
    }

    // The gap pass asks; the agent resends.
    poll_until(Duration::from_secs(90), || {
        let requested = metric(http, "coverage_collector_resend_requests_total")?;
        let filled = metric(http, "coverage_collector_resend_filled")?;
        (requested >= 1.0 && filled >= 1.0).then_some(())
    })
    .with_context(|| {
        format!(
            "no gap was asked for and filled\ncollector:\n{}\nagent:\n{}",
            collector.log_tail(30),
            agent.log_tail(20)
        )
    })?;

    // Stop the agent; every seq its spool holds must end up stored.
    agent.stop()?;
    let spool_dir = agent_dir.join("state").join("spool");
    let mut spool =
        Spool::open(&spool_dir, SpoolConfig::default()).context("opening the agent's spool")?;
    let issued: BTreeSet<u64> = spool
        .resend(0, u64::MAX)?
        .into_iter()
        .map(|r| r.seq)
        .collect();
    drop(spool);
    poll_until(Duration::from_secs(60), || {
        let s = stored(&influx).ok()?;
        issued.is_subset(&s).then_some(())
    })
    .with_context(|| {
        let s = stored(&influx).unwrap_or_default();
        let missing: Vec<_> = issued.difference(&s).take(20).collect();
        format!(
            "{} of {} issued seqs not stored, first: {missing:?}\n{}",
            issued.difference(&s).count(),
            issued.len(),
            collector.log_tail(30)
        )
    })?;
    let requested = metric(http, "coverage_collector_resend_seqs_requested_total").unwrap_or(0.0);
    ensure!(
        collector
            .log()
            .contains("Asking the agent to resend readings missing from the store"),
        "the collector says what it asks for"
    );
    ensure!(
        agent
            .log()
            .contains("Resending readings on the collector's request"),
        "the agent resent"
    );
    // Who asked: only the coordinator, and every request on the broker is one it counted.
    let asked = metric(http, "coverage_collector_resend_requests_total").unwrap_or(0.0);
    let on_the_wire = requests.lock().map(|v| v.len()).unwrap_or(0);
    if let Some(c) = &second {
        ensure!(
            metric(http_second, "coverage_collector_resend_requests_total").unwrap_or(0.0) == 0.0,
            "the second collector is not the coordinator and must not ask"
        );
        ensure!(
            !c.log()
                .contains("Asking the agent to resend readings missing from the store"),
            "the second collector asked"
        );
    }
    ensure!(
        on_the_wire as f64 <= asked && on_the_wire > 0,
        "{on_the_wire} resend requests seen on the broker, the coordinator counted {asked}"
    );
    eprintln!(
        "{name}: {} seqs issued, {before} stored before the broker was killed, {requested} asked for again in {asked} requests ({on_the_wire} seen by a subscriber); all stored",
        issued.len()
    );
    Ok(())
}

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
//! filled, and the site's completeness is 1.

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

fn collector_config(mqtt: &str, influx: &str, http: u16) -> String {
    format!(
        r#"[mqtt]
url = "{mqtt}"
client_id = "gap-collector"
[ingest]
session_expiry = "1h"
[influx]
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
enabled = true
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
    let dir = temp_dir("gaps")?;
    let d = dir.path();
    // Persistence, but an autosave far away: a SIGKILL loses what is queued.
    let mut broker = Mosquitto::start(
        MosquittoOptions::default().with_autosave_interval(Duration::from_secs(3600)),
    )?;
    let influx = Influxd::start()?;
    let http = free_port()?;
    std::fs::write(
        d.join("collector.toml"),
        collector_config(&broker.url(), &influx.url(), http),
    )?;
    let mut collector = Daemon::collector(d, "collector", "collector.toml")?;
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

    // The collector goes away; mosquitto queues for its session; then mosquitto dies.
    collector.stop()?;
    let before = stored(&influx)?.len();
    std::thread::sleep(Duration::from_secs(6));
    broker.kill()?;
    broker.restart()?;
    // The agent reconnects and goes on; the collector comes back.
    agent.wait_for_log("Connected to the broker", Duration::from_secs(60))?;
    collector.restart()?;
    collector.wait_for_log("Connected to the broker", Duration::from_secs(60))?;

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
    eprintln!(
        "gaps: {} seqs issued, {before} stored before the broker was killed, {requested} asked for again; all stored",
        issued.len()
    );
    Ok(())
}

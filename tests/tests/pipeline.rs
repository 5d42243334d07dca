//! The whole path end to end with real processes and real servers: `coverage-agent run` ->
//! mosquitto (TLS, password file, per-site ACL) -> `coverage-collector run` -> InfluxDB 1.6.7
//! (v1 API) -> `coverage-collector audit`; and the v2 write path to VictoriaMetrics.
//!
//! The agents use simulated modems (the one seam that cannot be real here) and real TCP
//! probes; everything else is the production code path.

use anyhow::{Context, Result};
use coverage_e2e::{
    Daemon, Influxd, Mosquitto, MosquittoOptions, VictoriaMetrics, cargo_bin, free_port,
    poll_until, run_with_timeout, temp_dir, wait_until,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(90);

/// An agent config: a simulated modem with `preset`, a TCP probe to `probe_port` (loopback) on
/// the fibre link, one-second schedules.
fn agent_config(
    site: &str,
    lat: f64,
    lon: f64,
    preset: &str,
    mqtt: &str,
    probe_port: u16,
) -> String {
    format!(
        r#"state_dir = "state-{site}"
[site]
id = "{site}"
lat = {lat}
lon = {lon}
placement = "outdoor"
antenna = "external"
[mqtt]
{mqtt}
[schedule]
signal_interval = "1s"
heartbeat_interval = "2s"
[[modems]]
driver = "simulated"
name = "sim0"
seed = 7
preset = "{preset}"
[[probes]]
name = "dc-tcp"
method = "tcp"
target = "127.0.0.1:{probe_port}"
link = "fibre"
count = 3
spacing = "100ms"
timeout = "500ms"
interval = "1s"
jitter = "100ms"
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> Result<std::path::PathBuf> {
    let p = dir.join(name);
    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
    Ok(p)
}

fn spawn(bin: &str, args: &[&str], dir: &Path, log: &str) -> Result<Daemon> {
    let mut cmd = Command::new(cargo_bin(bin)?);
    cmd.args(args).current_dir(dir).env("COVERAGE_LOG", "info");
    Daemon::spawn(bin, cmd, dir.join(log))
}

/// Writes `collector.toml` in `dir` and starts `coverage-collector run` on it (log:
/// `collector.log`).
fn start_collector(dir: &Path, config: &str) -> Result<Daemon> {
    write(dir, "collector.toml", config)?;
    spawn(
        "coverage-collector",
        &["run", "--config", "collector.toml"],
        dir,
        "collector.log",
    )
}

/// Writes `{site}.toml` ([`agent_config`]) in `dir` and starts `coverage-agent run` on it
/// (log: `{site}.log`).
fn start_agent(
    dir: &Path,
    site: &str,
    (lat, lon): (f64, f64),
    preset: &str,
    mqtt: &str,
    probe_port: u16,
) -> Result<Daemon> {
    let cfg = format!("{site}.toml");
    write(
        dir,
        &cfg,
        &agent_config(site, lat, lon, preset, mqtt, probe_port),
    )?;
    spawn(
        "coverage-agent",
        &["run", "--config", &cfg],
        dir,
        &format!("{site}.log"),
    )
}

fn series_tags(rows: &Value) -> Vec<serde_json::Map<String, Value>> {
    rows["results"][0]["series"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|x| x["tags"].as_object().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn metric(http: u16, name: &str) -> Option<f64> {
    let body = http_get(&format!("http://127.0.0.1:{http}/metrics"))?;
    body.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// A blocking GET through the workspace's HTTP client.
fn http_get(url: &str) -> Option<String> {
    coverage_net::tls::ensure_crypto_provider();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async { reqwest::get(url).await.ok()?.text().await.ok() })
}

#[test]
fn agents_to_influxdb_v1_with_tls_and_acl_then_audit() -> Result<()> {
    let dir = temp_dir("pipeline-v1")?;
    let d = dir.path();
    // Inside points of two 2025 communes (data/boundaries/thai-nguyen-communes-2025.csv), and Hà Nội.
    let sites = [
        ("tn-01840-a", 22.169671, 105.849675, "strong"),
        ("tn-01843-a", 22.109058, 105.859759, "dead"),
        ("hn-outside", 21.0285, 105.8542, "strong"),
    ];
    let mut opts = MosquittoOptions::default()
        .with_tls()
        .with_collector("collector", "collector-pw");
    for (site, ..) in &sites {
        opts = opts.with_agent(site, &format!("{site}-pw"));
    }
    let broker = Mosquitto::start(opts)?;
    let influx = Influxd::start()?;
    let tls_url = broker.tls_url().context("tls")?;
    let ca = broker.ca_path().context("ca")?.to_owned();
    let probe_port = broker.port(); // a listening loopback port: the probe always gets an answer
    let http = free_port()?;

    write(d, "collector-pw", "collector-pw\n")?;
    let mut collector = start_collector(
        d,
        &format!(
            r#"[mqtt]
url = "{tls_url}"
username = "collector"
password_file = "collector-pw"
ca_file = "{ca}"
client_id = "collector-e2e"
[influx]
url = "{influx}"
database = "coverage"
[sink]
flush_interval = "200ms"
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter.jsonl"
[audit]
min_samples = 5
min_distinct_hours = 1
[audit.fibre]
target = "127.0.0.1:{probe_port}"
min_known_pct = 50
"#,
            ca = ca.display(),
            influx = influx.url(),
        ),
    )?;
    collector.wait_for_log("Connected to the broker", Duration::from_secs(30))?;

    let started = chrono::Utc::now();
    let mut agents = Vec::new();
    for (site, lat, lon, preset) in &sites {
        write(d, &format!("{site}.pw"), &format!("{site}-pw\n"))?;
        let mqtt = format!(
            "url = \"{tls_url}\"\nusername = \"{site}\"\npassword_file = \"{site}.pw\"\nca_file = \"{}\"",
            ca.display()
        );
        agents.push(start_agent(
            d,
            site,
            (*lat, *lon),
            preset,
            &mqtt,
            probe_port,
        )?);
    }

    // Readings arrive in InfluxDB with the placement and signal tags of the schema.
    let q = "SELECT count(seq) FROM signal GROUP BY site, run, \"set\", province, commune, district, operator, tech, reg, modem, placement";
    let tags = poll_until(WAIT, || {
        let rows = influx.query("coverage", q).ok()?;
        let tags = series_tags(&rows);
        let counts: Vec<i64> = rows["results"][0]["series"]
            .as_array()?
            .iter()
            .filter_map(|s| s["values"][0][1].as_i64())
            .collect();
        let sites_seen: std::collections::HashSet<_> = tags
            .iter()
            .filter_map(|t| t["site"].as_str().map(str::to_owned))
            .collect();
        (sites_seen.len() == 3 && counts.iter().sum::<i64>() >= 30).then_some(tags)
    })
    .with_context(|| format!("collector log:\n{}", collector.log_tail(40)))?;
    let of = |site: &str| {
        tags.iter()
            .filter(|t| t["site"] == site)
            .collect::<Vec<_>>()
    };
    for t in of("tn-01840-a") {
        assert_eq!(t["set"], "thai-nguyen-2025");
        assert_eq!(t["commune"], "01840");
        assert_eq!(t["province"], "19");
        assert_eq!(t["district"], "", "no district level in the 2025 set");
        assert_eq!(t["operator"], "452-04");
        assert_eq!(t["placement"], "outdoor");
        assert_eq!(t["modem"], "sim0");
        assert_eq!(t["run"].as_str().map(str::len), Some(16));
    }
    assert!(
        of("tn-01840-a")
            .iter()
            .any(|t| t["reg"] == "home" && t["tech"] != "none")
    );
    assert!(
        of("tn-01843-a")
            .iter()
            .all(|t| t["tech"] == "none" && t["reg"] != "home"),
        "{:?}",
        of("tn-01843-a")
    );
    for t in of("hn-outside") {
        assert_eq!(t["set"], "thai-nguyen-2025");
        assert_eq!(t["commune"], "", "outside every commune: no commune tag");
    }

    // Field types never change: floats for dB/dBm/ms, integers for counters, strings for ids.
    let keys = influx.query("coverage", "SHOW FIELD KEYS")?;
    let types: std::collections::HashMap<(String, String), String> = keys["results"][0]["series"]
        .as_array()
        .context("field keys")?
        .iter()
        .flat_map(|s| {
            let m = s["name"].as_str().unwrap_or_default().to_owned();
            s["values"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |v| {
                    (
                        (m.clone(), v[0].as_str().unwrap_or_default().to_owned()),
                        v[1].as_str().unwrap_or_default().to_owned(),
                    )
                })
        })
        .collect();
    let ty = |m: &str, f: &str| types.get(&(m.to_owned(), f.to_owned())).map(String::as_str);
    assert_eq!(ty("signal", "rsrp_dbm"), Some("float"));
    assert_eq!(ty("signal", "seq"), Some("integer"));
    assert_eq!(ty("signal", "cell_ci"), Some("string"));
    wait_until(WAIT, || {
        let rows = influx
            .query("coverage", "SHOW FIELD KEYS FROM latency")
            .ok();
        rows.is_some_and(|r| r.to_string().contains("rtt_p50_ms"))
    })?;
    let lat = influx
        .query("coverage", "SHOW FIELD KEYS FROM latency")?
        .to_string();
    assert!(
        lat.contains(r#"["rtt_p50_ms","float"]"#) && lat.contains(r#"["sent","integer"]"#),
        "{lat}"
    );
    let hb = influx.query(
        "coverage",
        "SELECT last(uptime_s) FROM heartbeat GROUP BY site",
    )?;
    assert_eq!(series_tags(&hb).len(), 3, "{hb}");

    // Hostile input: another site's credentials cannot write here (ACL), and garbage from a
    // legitimate site is rejected with a reason, counted and dead-lettered, nothing crashes.
    let pub_out = run_with_timeout(
        Command::new("mosquitto_pub").args([
            "-h",
            "localhost",
            "-p",
            &broker.tls_port().context("tls port")?.to_string(),
            "--cafile",
            &ca.display().to_string(),
            "-u",
            "tn-01840-a",
            "-P",
            "tn-01840-a-pw",
            "-V",
            "mqttv5",
            "-q",
            "1",
            "-t",
            "coverage/v1/tn-01840-a/signal",
            "-m",
            "{not json",
        ]),
        Duration::from_secs(10),
    )?;
    pub_out.ensure_success()?;
    wait_until(WAIT, || {
        metric(
            http,
            "coverage_collector_readings_rejected_total{reason=\"not_json\"}",
        ) == Some(1.0)
    })?;
    let dead = std::fs::read_to_string(d.join("dead-letter.jsonl"))?;
    assert!(
        dead.contains("not_json") && dead.contains("{not json"),
        "{dead}"
    );
    assert!(collector.is_running(), "the collector survives bad input");

    // Let the agents run a few seconds more, then stop them cleanly (SIGTERM) and audit.
    std::thread::sleep(Duration::from_secs(4));
    for a in &mut agents {
        a.stop()?;
    }
    let hour = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:00:00Z").to_string();
    let from = hour(started);
    let to = hour(started + chrono::Duration::hours(2));
    wait_until(WAIT, || {
        metric(http, "coverage_collector_pending_points") == Some(0.0)
    })?;
    let out = run_with_timeout(
        Command::new(cargo_bin("coverage-collector")?)
            .current_dir(d)
            .args([
                "audit",
                "--config",
                "collector.toml",
                "--from",
                &from,
                "--to",
                &to,
                "--format",
                "json",
                "--claim",
                "mobile:communes:100@former=06",
                "--claim",
                "fibre:communes:1",
            ]),
        Duration::from_secs(60),
    )?;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a refuted claim exits 1: {}",
        out.stderr
    );
    let report: Value = serde_json::from_str(&out.stdout).with_context(|| out.stderr.clone())?;
    let commune = |code: &str| {
        report["communes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .cloned()
            .unwrap()
    };
    assert_eq!(report["boundary_set"], "thai-nguyen-2025");
    assert_eq!(
        commune("01840")["mobile"],
        "covered",
        "{}",
        commune("01840")
    );
    assert_eq!(
        commune("01843")["mobile"],
        "not_covered",
        "{}",
        commune("01843")
    );
    assert_eq!(
        commune("01840")["fibre"],
        "connected",
        "{}",
        commune("01840")
    );
    assert_eq!(commune("01849")["mobile"], "no_site");
    let flagged = report["flagged_sites"].to_string();
    assert!(flagged.contains("hn-outside"), "{flagged}");
    let claims = report["claims"].as_array().unwrap();
    assert_eq!(claims[0]["claim"], "mobile:communes:100@former=06");
    assert_eq!(claims[0]["verdict"], "refuted");
    assert_eq!(claims[1]["verdict"], "verified", "{}", claims[1]);
    let provenance = report["provenance"].to_string();
    assert!(
        provenance.contains("SELECT"),
        "the report states the queries it ran: {provenance}"
    );

    collector.stop()?;
    Ok(())
}

#[test]
fn collector_writes_through_the_v2_api_to_victoria_metrics() -> Result<()> {
    let dir = temp_dir("pipeline-v2")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let vm = VictoriaMetrics::start()?;
    let http = free_port()?;
    let mut collector = start_collector(
        d,
        &format!(
            r#"[mqtt]
url = "{}"
client_id = "collector-v2"
[influx]
url = "{}"
api = "v2"
org = "province"
bucket = "coverage"
token = "not-checked-by-victoria-metrics"
[sink]
flush_interval = "200ms"
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter.jsonl"
"#,
            broker.url(),
            vm.url()
        ),
    )?;
    collector.wait_for_log("Connected to the broker", Duration::from_secs(30))?;
    let mqtt = format!("url = \"{}\"\nusername = \"tn-01840-b\"", broker.url());
    let mut agent = start_agent(
        d,
        "tn-01840-b",
        (22.169671, 105.849675),
        "strong",
        &mqtt,
        broker.port(),
    )?;

    // Points land as VictoriaMetrics series `<measurement>_<field>` with our tags as labels.
    let series = poll_until(WAIT, || {
        vm.force_flush().ok()?;
        let s = vm
            .export(r#"{__name__="signal_rsrp_dbm",site="tn-01840-b"}"#)
            .ok()?;
        let n: usize = s
            .iter()
            .map(|x| x["values"].as_array().map_or(0, Vec::len))
            .sum();
        (n >= 3).then_some(s)
    })
    .with_context(|| format!("collector log:\n{}", collector.log_tail(40)))?;
    let labels = &series[0]["metric"];
    assert_eq!(labels["commune"], "01840");
    assert_eq!(labels["set"], "thai-nguyen-2025");
    assert_eq!(labels["operator"], "452-04");
    for v in series
        .iter()
        .flat_map(|s| s["values"].as_array().cloned().unwrap_or_default())
    {
        let v = v.as_f64().context("float")?;
        assert!((-156.0..=-31.0).contains(&v), "RSRP {v} in range");
    }
    let rtt = poll_until(WAIT, || {
        vm.force_flush().ok()?;
        let s = vm
            .export(r#"{__name__="latency_rtt_p50_ms",link="fibre",site="tn-01840-b"}"#)
            .ok()?;
        (!s.is_empty()).then_some(s)
    })?;
    assert_eq!(rtt[0]["metric"]["method"], "tcp");
    assert_eq!(
        metric(
            http,
            "coverage_collector_write_errors_total{class=\"outage\"}"
        ),
        None
    );
    agent.stop()?;
    collector.stop()?;
    Ok(())
}

#[test]
fn influxdb_down_at_start_and_midway_loses_nothing() -> Result<()> {
    let dir = temp_dir("pipeline-outage")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let mut influx = Influxd::start()?;
    let influx_url = influx.url();
    influx.stop()?; // down before the collector starts
    let http = free_port()?;
    let mut collector = start_collector(
        d,
        &format!(
            r#"[mqtt]
url = "{}"
client_id = "collector-outage"
[influx]
url = "{influx_url}"
[sink]
flush_interval = "200ms"
max_backoff = "1s"
[http]
listen = "127.0.0.1:{http}"
[dead_letter]
path = "dead-letter.jsonl"
"#,
            broker.url()
        ),
    )?;
    collector.wait_for_log("Store unreachable at start", Duration::from_secs(30))?;
    wait_until(WAIT, || {
        http_get(&format!("http://127.0.0.1:{http}/health"))
            .is_some_and(|b| b.contains("\"store_writable\":false"))
    })?;
    let mqtt = format!("url = \"{}\"\nusername = \"tn-01840-c\"", broker.url());
    let mut agent = start_agent(
        d,
        "tn-01840-c",
        (22.169671, 105.849675),
        "strong",
        &mqtt,
        broker.port(),
    )?;
    std::thread::sleep(Duration::from_secs(4));

    // InfluxDB comes up: the readings the broker held arrive.
    influx.restart()?;
    let count = |influx: &Influxd| -> Option<i64> {
        let v = influx
            .query("coverage", "SELECT count(seq) FROM signal")
            .ok()?;
        v["results"][0]["series"][0]["values"][0][1].as_i64()
    };
    wait_until(WAIT, || count(&influx).unwrap_or(0) >= 4)
        .with_context(|| format!("collector log:\n{}", collector.log_tail(30)))?;

    // Down again for a while, then back.
    influx.stop()?;
    std::thread::sleep(Duration::from_secs(4));
    influx.restart()?;
    std::thread::sleep(Duration::from_secs(2));
    agent.stop()?;
    // Every signal reading the agent spooled is in InfluxDB exactly once (points are idempotent).
    let spool = coverage_agent::spool::Spool::open(
        d.join("state-tn-01840-c").join("spool"),
        coverage_agent::spool::SpoolConfig::default(),
    )?;
    let mut spool = spool;
    let signal_seqs: std::collections::BTreeSet<u64> = spool
        .resend(0, u64::MAX)?
        .into_iter()
        .filter(|r| r.topic.ends_with("/signal"))
        .map(|r| r.seq)
        .collect();
    assert!(signal_seqs.len() >= 8, "{}", signal_seqs.len());
    wait_until(WAIT, || count(&influx) == Some(signal_seqs.len() as i64)).with_context(|| {
        format!(
            "want {} points, have {:?}",
            signal_seqs.len(),
            count(&influx)
        )
    })?;
    let rows = influx.query_rows("coverage", "SELECT seq FROM signal")?;
    let stored: std::collections::BTreeSet<u64> =
        rows.iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert_eq!(stored, signal_seqs);
    assert!(
        collector.log().contains("Store reachable again")
            || collector.log().contains("Store reachable.")
    );
    collector.stop()?;
    Ok(())
}

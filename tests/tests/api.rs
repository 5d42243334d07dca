//! Site status, the HTTP API and the live map end to end: `coverage-gen` readings and heartbeats
//! published in real time to a real mosquitto, stored by `coverage-collector run` (the
//! coordinator, with short status intervals) in a real InfluxDB 1.x, and read back through the
//! API:
//!
//! - a site that stops publishing goes `alive` -> `stale` (3 heartbeat intervals without a
//!   heartbeat, readings still recent) -> `silent` (nothing for `silent_after`), in the API, in
//!   the `site_status` points of the `rollups` policy and in `/metrics`; a site publishing but
//!   not in the registry is `unregistered`; a registered site that never sent anything is
//!   `silent`;
//! - `/api/v1/audit` gives the report `coverage-collector audit` prints for the same period;
//! - `/api/v1/communes` reads the newest daily `commune_coverage` point per commune from the
//!   `rollups` policy (points written by the test in the contract's shape);
//! - no answer carries the API token or anything of the dead-letter file;
//! - the live page in headless Chromium (`/usr/bin/chromium`): no console message, one path per
//!   commune, the sites drawn with their status and listed; a screenshot is written to
//!   `docs/img/live-map.png` (the README shows it).

use anyhow::{Context, Result, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use coverage_e2e::{
    Daemon, Influxd, Mosquitto, MosquittoOptions, cargo_bin, free_port, poll_until,
    run_with_timeout, temp_dir, workspace_root,
};
use coverage_gen::scenario::{Period, SimSpec, SiteSpec};
use coverage_gen::{MqttTarget, Scenario, generate, publish_mqtt};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "e2e-api-token-0123456789abcdef";
const DEAD: &str = "NOT-JSON-dead-letter-payload-7f3a";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Heartbeat interval of the generated agents, s: stale after 3 of them.
const HEARTBEAT_S: u64 = 2;

const SITES: &str = r#"
[[sites]]
id = "live-a"
lat = 22.162534
lon = 105.844234

[[sites]]
id = "killed-b"
lat = 22.14579
lon = 105.816676

[[sites]]
id = "never-d"
lat = 22.112652
lon = 105.821932
"#;

fn site(id: &str, lat: f64, lon: f64) -> SiteSpec {
    SiteSpec {
        id: id.into(),
        lat,
        lon,
        placement: coverage_shared::wire::Placement::Indoor,
        antenna: coverage_shared::wire::Antenna::External,
        sims: vec![SimSpec {
            operator: "452-04".into(),
            modem: None,
            tech: coverage_shared::wire::Tech::Lte,
            samples_per_hour: 1800,
            hours: Vec::new(),
            usable_share: 0.97,
            threshold_dbm: None,
            reg: Default::default(),
            unsynced_share: 0.0,
            null_share: 0.0,
        }],
        fibre: Vec::new(),
        throughput: Vec::new(),
    }
}

/// Blocking GET with an optional bearer token: (status, body).
fn get(url: &str, token: Option<&str>) -> Result<(u16, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut req = agent.get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().with_context(|| format!("GET {url}"))?;
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string()?;
    Ok((status, body))
}

/// Every response body the test saw, to check that none leaks a secret.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn api(&mut self, base: &str, path: &str) -> Result<(u16, String)> {
        let (status, body) = get(&format!("{base}{path}"), Some(TOKEN))?;
        self.0.push((path.to_owned(), body.clone()));
        Ok((status, body))
    }

    fn json(&mut self, base: &str, path: &str) -> Result<Value> {
        let (status, body) = self.api(base, path)?;
        if status != 200 {
            bail!("{path}: HTTP {status}: {body}");
        }
        serde_json::from_str(&body).with_context(|| format!("{path}: {body}"))
    }
}

fn status_of(sites: &Value, id: &str) -> Option<String> {
    sites["sites"]
        .as_array()?
        .iter()
        .find(|s| s["site"] == id)
        .and_then(|s| s["status"].as_str().map(str::to_owned))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Runs Chromium headless on `url` with `extra` flags; (stdout, stderr).
fn chromium(url: &str, extra: &[&str]) -> Result<(String, String)> {
    let profile = tempfile::tempdir()?;
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        // No name resolves, so nothing but the collector on 127.0.0.1 can be reached.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        // Lets the page's fetches and script finish before the dump or the screenshot.
        "--virtual-time-budget=20000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120))?;
    if !out.success() {
        bail!(
            "chromium failed ({}): {}",
            out.describe_status(),
            out.stderr
        );
    }
    Ok((out.stdout.clone(), out.stderr.clone()))
}

fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

#[test]
fn site_status_api_and_live_map_end_to_end() -> Result<()> {
    let dir = temp_dir("api")?;
    let d = dir.path();
    let broker = Mosquitto::start(MosquittoOptions::default())?;
    let influx = Influxd::start()?;
    influx.create_db("coverage")?;
    // The coordinator writes derived points to `rollups` (created by the collector at start-up
    // once the rollups land; created here so this test does not depend on it).
    influx.query(
        "coverage",
        "CREATE RETENTION POLICY \"rollups\" ON \"coverage\" DURATION INF REPLICATION 1",
    )?;
    let http = free_port()?;
    let base = format!("http://127.0.0.1:{http}");
    std::fs::write(d.join("sites.toml"), SITES)?;
    std::fs::write(d.join("api-token"), format!("{TOKEN}\n"))?;
    std::fs::write(
        d.join("collector.toml"),
        format!(
            r#"[mqtt]
url = "{mqtt}"
client_id = "collector-api"
[influx]
url = "{influx}"
database = "coverage"
[sink]
flush_interval = "200ms"
[http]
listen = "127.0.0.1:{http}"
token_file = "api-token"
[dead_letter]
path = "dead-letter.jsonl"
[registry]
file = "sites.toml"
[coordinator]
enabled = true
silent_after = "20s"
stale_heartbeats = 3
status_every = "1s"
"#,
            mqtt = broker.url(),
            influx = influx.url(),
        ),
    )?;
    let mut collector = Daemon::collector(d, "collector", "collector.toml")?;

    // Three agents from now on, in real time: a signal sample and a heartbeat every 2 s.
    let start = Utc::now();
    let scenario = Scenario {
        seed: 9,
        period: Period {
            from: start - chrono::TimeDelta::seconds(4),
            to: start + chrono::TimeDelta::seconds(150),
            utc_offset_hours: 7,
        },
        heartbeat_s: HEARTBEAT_S,
        sites: vec![
            site("live-a", 22.162534, 105.844234),
            site("killed-b", 22.14579, 105.816676),
            site("stray-c", 22.172623, 105.835905),
        ],
    };
    scenario
        .validate()
        .map_err(|(k, p)| anyhow::anyhow!("{k} {p}"))?;
    let readings: Vec<_> = generate(&scenario, scenario.seed).collect();
    let kill = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Runtime::new()?;
    let publisher = {
        let (kill, stop) = (kill.clone(), stop.clone());
        let target = MqttTarget::new("127.0.0.1", broker.port());
        rt.spawn(async move {
            let mut next = 0;
            while !stop.load(Ordering::Relaxed) && next < readings.len() {
                let now = Utc::now();
                let due: Vec<_> = readings[next..]
                    .iter()
                    .take_while(|r| r.header.ts <= now)
                    .cloned()
                    .collect();
                next += due.len();
                let killed = kill.load(Ordering::Relaxed);
                let batch: Vec<_> = due
                    .into_iter()
                    .filter(|r| !(killed && r.header.site == "killed-b"))
                    .collect();
                if !batch.is_empty()
                    && let Err(e) = publish_mqtt(batch, &target).await
                {
                    eprintln!("publishing failed: {e}");
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    // A message that is not JSON: rejected into the dead-letter file.
    let status = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &broker.port().to_string(),
            "-q",
            "1",
        ])
        .args(["-t", "coverage/v1/live-a/signal", "-m", DEAD])
        .status()?;
    assert!(status.success(), "mosquitto_pub");

    let mut seen = Seen::default();
    let mut last = String::new();
    // Everyone as expected while all publish.
    let first = poll_until(Duration::from_secs(60), || {
        let v = seen.json(&base, "/api/v1/sites");
        last = format!("{v:?}");
        let v = v.ok()?;
        let ok = status_of(&v, "live-a").as_deref() == Some("alive")
            && status_of(&v, "killed-b").as_deref() == Some("alive")
            && status_of(&v, "stray-c").as_deref() == Some("unregistered");
        ok.then_some(v)
    })
    .with_context(|| {
        format!(
            "sites never all as expected: {last}\nlog:\n{}",
            collector.log_tail(40)
        )
    })?;
    assert_eq!(status_of(&first, "never-d").as_deref(), Some("silent"));
    let a = first["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site"] == "live-a")
        .unwrap();
    assert_eq!(a["interval_s"], HEARTBEAT_S, "{a}");
    assert_eq!(a["agent"], coverage_gen::generate::AGENT);
    assert_eq!(a["commune"], "01840", "placed in the set in force: {a}");
    assert_eq!(a["registered"], true);
    assert_eq!(a["clock_synced"], true);

    // Kill b: stale after 3 missed heartbeats, then silent after 20 s of nothing.
    kill.store(true, Ordering::Relaxed);
    let killed_at = Instant::now();
    let stale = poll_until(Duration::from_secs(30), || {
        let v = seen.json(&base, "/api/v1/sites").ok()?;
        (status_of(&v, "killed-b").as_deref() == Some("stale")).then_some(v)
    })
    .context("killed-b never went stale")?;
    let stale_after = killed_at.elapsed();
    let b = stale["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site"] == "killed-b")
        .unwrap()
        .clone();
    assert!(
        b["last_heartbeat_age_s"].as_f64().unwrap() > 6.0,
        "stale means more than 3 x 2 s without a heartbeat: {b}"
    );
    assert!(
        b["last_reading_age_s"].as_f64().unwrap() <= 20.0,
        "and not yet silent: {b}"
    );
    assert_eq!(status_of(&stale, "live-a").as_deref(), Some("alive"));
    poll_until(Duration::from_secs(40), || {
        let v = seen.json(&base, "/api/v1/sites").ok()?;
        (status_of(&v, "killed-b").as_deref() == Some("silent")).then_some(())
    })
    .context("killed-b never went silent")?;
    let silent_after = killed_at.elapsed();
    assert!(
        silent_after >= Duration::from_secs(17),
        "silent only after 20 s of nothing (its last reading up to 3 s before the kill): {silent_after:?}"
    );
    eprintln!("killed-b: stale after {stale_after:?}, silent after {silent_after:?}");
    let now = seen.json(&base, "/api/v1/sites")?;
    assert_eq!(status_of(&now, "live-a").as_deref(), Some("alive"));
    assert_eq!(
        now["counts"]["silent"], 2,
        "killed-b and never-d: {}",
        now["counts"]
    );
    assert_eq!(now["counts"]["unregistered"], 1);
    let silent = seen.json(&base, "/api/v1/sites?status=silent")?;
    let ids: Vec<&str> = silent["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["killed-b", "never-d"]);

    // The points Grafana reads: one per site and minute, the latest status of each minute.
    let rows = influx.query_rows(
        "coverage",
        "SELECT status, last_heartbeat_age_s, interval_s FROM \"rollups\".\"site_status\" \
         WHERE site = 'killed-b' ORDER BY time",
    )?;
    assert!(!rows.is_empty(), "site_status points for killed-b");
    let statuses: Vec<&str> = rows.iter().filter_map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses.last(), Some(&"silent"), "{statuses:?}");
    let by_status = influx.query_rows(
        "coverage",
        "SELECT count(status) FROM \"rollups\".\"site_status\" GROUP BY status",
    )?;
    let tags: Vec<&str> = by_status
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    for s in ["alive", "silent", "unregistered"] {
        assert!(
            tags.contains(&s),
            "a site_status point tagged {s}: {tags:?}"
        );
    }
    let (status, metrics) = seen.api(&base, "/metrics")?;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("coverage_collector_sites{status=\"silent\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("coverage_collector_site_last_seen_age_seconds{site=\"live-a\"}"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("site=\"never-d\""),
        "no age for a site never heard from"
    );

    // Commune points in the contract's shape, the newest day per commune. Dated after today:
    // the coordinator of this deployment writes its own points for the days that closed, and
    // the newest must be the test's.
    let day = |days: i64| {
        (start.date_naive() + chrono::TimeDelta::days(10 - days))
            .and_hms_opt(17, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    };
    let point = |commune: &str, verdict: &str, ts: i64| {
        format!(
            "commune_coverage,set=thai-nguyen-2025,window=1d,service=mobile,operator=any,\
             province=19,commune={commune},commune_name=Test verdict=\"insufficient_data\",\
             period_verdict=\"{verdict}\",counted=400i,usable=390i,usable_share=0.975,\
             period_usable_share=0.975,period_days=30i,sites=1i {ts}\n"
        )
    };
    let lines = [
        point("01840", "not_covered", day(3)),
        point("01840", "covered", day(2)),
        point("01843", "insufficient_data", day(2)),
    ]
    .concat();
    let resp = ureq::post(format!(
        "{}/write?db=coverage&rp=rollups&precision=ms",
        influx.url()
    ))
    .send(lines.as_bytes())?;
    assert_eq!(resp.status().as_u16(), 204);
    let communes = seen.json(
        &base,
        "/api/v1/communes?set=thai-nguyen-2025&window=1d&service=mobile&operator=any",
    )?;
    let points = communes["points"].as_array().unwrap();
    let of = |code: &str| points.iter().find(|p| p["commune"] == code).cloned();
    assert_eq!(
        of("01840").context("01840")?["period_verdict"],
        "covered",
        "the newest day: {communes}"
    );
    assert_eq!(of("01843").context("01843")?["counted"], 400);
    let (status, body) = seen.api(&base, "/api/v1/communes?set=nope")?;
    assert_eq!(status, 400, "{body}");

    // The live page in Chromium.
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{CHROMIUM} is not installed, and CI must run this test"
        );
        eprintln!("SKIPPED the live page in Chromium: {CHROMIUM} is not installed");
    } else {
        let url = format!("{base}/?set=thai-nguyen-2025&lang=en#token={TOKEN}");
        let (dom, stderr) = chromium(&url, &["--dump-dom"])?;
        assert_eq!(console_lines(&stderr), Vec::<&str>::new(), "console");
        assert!(
            dom.contains("data-loaded=\"1\""),
            "the script refreshed: {}",
            &dom[..dom.len().min(2000)]
        );
        assert_eq!(dom.matches("<path ").count(), 92, "one path per commune");
        assert!(dom.contains("data-sites=\"4\""), "four sites listed");
        for (id, status) in [
            ("live-a", "alive"),
            ("killed-b", "silent"),
            ("stray-c", "unregistered"),
            ("never-d", "silent"),
        ] {
            assert!(
                dom.contains(&format!(
                    "<circle class=\"s st-{status}\" data-site=\"{id}\""
                )),
                "{id} drawn as {status}"
            );
            assert!(
                dom.contains(&format!("<tr data-site=\"{id}\" data-status=\"{status}\">")),
                "{id} listed as {status}"
            );
        }
        assert!(
            dom.contains("class=\"c v-covered\" data-code=\"01840\""),
            "01840 coloured by its newest daily verdict"
        );
        let (dom_vi, stderr) = chromium(
            &format!("{base}/?set=thai-nguyen-2025&lang=vi#token={TOKEN}"),
            &["--dump-dom"],
        )?;
        assert_eq!(console_lines(&stderr), Vec::<&str>::new(), "console (vi)");
        assert!(dom_vi.contains("<html lang=\"vi\">"));
        assert!(dom_vi.contains(coverage_shared::text::live::VI.status_alive));
        let shot = workspace_root().join("docs/img/live-map.png");
        let _ = std::fs::remove_file(&shot);
        let (_, stderr) = chromium(
            &url,
            &[
                &format!("--screenshot={}", shot.display()),
                "--window-size=1280,1500",
                "--hide-scrollbars",
            ],
        )?;
        assert_eq!(
            console_lines(&stderr),
            Vec::<&str>::new(),
            "console (screenshot)"
        );
        let png = std::fs::read(&shot).context("chromium wrote the screenshot")?;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        assert!(png.len() > 20_000, "{} bytes: an empty page?", png.len());
        eprintln!("Screenshot: {}", shot.display());
    }

    // The publisher stops, so the API and the command audit the same stored readings.
    stop.store(true, Ordering::Relaxed);
    rt.block_on(publisher)?;
    std::thread::sleep(Duration::from_secs(2));
    // The audit through the API is the command's.
    let (from, to) = (
        rfc3339(start - chrono::TimeDelta::hours(1)),
        rfc3339(start + chrono::TimeDelta::hours(1)),
    );
    let path =
        format!("/api/v1/audit?from={from}&to={to}&claim=mobile:communes:1&format=json&lang=en")
            .replace('+', "%2B");
    let api = seen.json(&base, &path)?;
    let out = run_with_timeout(
        Command::new(cargo_bin("coverage-collector")?)
            .args([
                "audit",
                "--config",
                "collector.toml",
                "--from",
                &from,
                "--to",
                &to,
            ])
            .args([
                "--claim",
                "mobile:communes:1",
                "--format",
                "json",
                "--lang",
                "en",
            ])
            .current_dir(d),
        Duration::from_secs(120),
    )?;
    let cli: Value = serde_json::from_str(&out.stdout)
        .with_context(|| format!("audit output: {}", out.stderr))?;
    for key in [
        "boundary_set",
        "from",
        "to",
        "communes",
        "claims",
        "sites",
        "province",
    ] {
        assert!(
            api[key] == cli[key],
            "{key} differs between the API and the command"
        );
    }
    assert_eq!(api["claims"][0]["verdict"], cli["claims"][0]["verdict"]);
    let (status, _) = seen.api(&base, "/api/v1/audit?from=2025-01-01&to=2025-12-31")?;
    assert_eq!(status, 400, "longer than audit_max_period");

    // Nothing leaks: no answer holds the token or the dead letter.
    let dead = std::fs::read_to_string(d.join("dead-letter.jsonl")).unwrap_or_default();
    assert!(dead.contains(DEAD), "the bad message was dead-lettered");
    for (path, body) in &seen.0 {
        assert!(!body.contains(TOKEN), "{path} shows the token");
        assert!(!body.contains(DEAD), "{path} shows the dead letter");
    }
    let (status, _) = get(&format!("{base}/api/v1/sites"), None)?;
    assert_eq!(status, 401, "the API needs the token");

    collector.stop()?;
    Ok(())
}
